#[bcast::typed::message(tag = 1, pod)]
struct Trade {
    price: f64,
    qty: u32,
    buy: bool,
    side: u8,
    venue: [u8; 2],
}

fn main() {}

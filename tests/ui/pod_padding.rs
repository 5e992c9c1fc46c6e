#[bcast::typed::message(tag = 1, pod)]
struct Trade {
    side: u8,
    price: f64,
}

fn main() {}

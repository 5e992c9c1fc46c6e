#[bcast::typed::message(tag = 0)]
struct Quote {
    bid: f64,
}

fn main() {}

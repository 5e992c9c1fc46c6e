#[bcast::typed::message(tag = 0)]
struct Quote {
    bid: f64,
}

// The message's traits are still implemented (with the name's tag): no more errors below.
#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
}

fn main() {}

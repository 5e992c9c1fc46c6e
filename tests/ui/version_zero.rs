#[bcast::typed::message(tag = 1, version = 0)]
struct Quote {
    bid: f64,
}

// The message's traits are still implemented (unversioned): no more errors below.
#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
}

fn main() {}

#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
    AlsoQuote(Quote),
}

fn main() {}

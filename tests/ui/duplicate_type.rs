#[bcast::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[derive(bcast::BcastMessage)]
enum MarketData {
    Quote(Quote),
    AlsoQuote(Quote),
}

fn main() {}

#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
    Heartbeat,
    Pair(Quote, Quote),
    Named { quote: Quote },
}

fn main() {}

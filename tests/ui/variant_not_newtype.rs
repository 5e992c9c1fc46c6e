#[bcast::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[derive(bcast::BcastMessage)]
enum MarketData {
    Quote(Quote),
    Heartbeat,
    Pair(Quote, Quote),
    Named { quote: Quote },
}

fn main() {}

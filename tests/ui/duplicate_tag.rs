#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[bcast::typed::message(tag = 1, pod)]
struct Trade {
    price: f64,
}

#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
    Trade(Trade),
}

fn main() {}

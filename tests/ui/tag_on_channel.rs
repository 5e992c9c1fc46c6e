#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[derive(bcast::BcastChannel)]
#[bcast(tag = 3)]
enum MarketData {
    Quote(Quote),
}

fn main() {}

#[derive(bcast::BcastChannel)]
enum MarketData {
    Price(f64),
}

fn main() {}

#[derive(bcast::BcastMessage)]
enum MarketData {
    Price(f64),
}

fn main() {}

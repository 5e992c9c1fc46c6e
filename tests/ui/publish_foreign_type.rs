#[bcast::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[bcast::message(tag = 2)]
struct Order {
    qty: u64,
}

#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
}

fn main() {
    let mut publisher = MarketData::with_capacity(4096).unwrap();
    publisher.publish(&Quote { bid: 1.0 }).unwrap();
    publisher.publish(&Order { qty: 1 }).unwrap();
}

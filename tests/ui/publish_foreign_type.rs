#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
}

#[bcast::typed::message(tag = 2)]
struct Order {
    qty: u64,
}

#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
}

fn main() {
    let ring = bcast::RingBuffer::with_capacity(4096);
    let mut publisher = bcast::typed::Publisher::<MarketData>::new(ring).unwrap();
    publisher.publish(&Quote { bid: 1.0 }).unwrap();
    publisher.publish(&Order { qty: 1 }).unwrap();
}

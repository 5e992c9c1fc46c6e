#[bcast::typed::message(tag = 1, pod)]
struct Trade {
    price: f64,
    qty: u32,
    buy: bool,
    side: u8,
    venue: [u8; 2],
}

// Uses of the type after the mistake report nothing more.
#[derive(bcast::BcastChannel)]
enum MarketData {
    Trade(Trade),
}

fn main() {
    let ring = bcast::RingBuffer::with_capacity(4096);
    let mut publisher = bcast::typed::Publisher::<MarketData>::new(ring).unwrap();
    publisher.publish(&Trade { price: 1.0, qty: 1, buy: true, side: 0, venue: [0; 2] }).unwrap();
}

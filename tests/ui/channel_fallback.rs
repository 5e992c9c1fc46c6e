#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
}

// One mistake in the channel: the view enum, `From` and `Channel` are still generated, so the
// code below reports nothing more.
#[derive(bcast::BcastChannel)]
enum MarketData {
    Quote(Quote),
    Heartbeat,
}

fn main() {
    let ring = bcast::RingBuffer::with_capacity(4096);
    let mut publisher = bcast::typed::Publisher::<MarketData>::new(ring.clone()).unwrap();
    let mut subscriber = bcast::typed::Subscriber::<MarketData>::new(ring).unwrap();
    publisher.publish_value(&MarketData::from(Quote { bid: 1.0 })).unwrap();
    if let Ok(Some(MarketDataView::Quote(quote))) = subscriber.try_recv() {
        println!("{} {}", quote.bid, MarketDataView::Quote(quote).type_name());
    }
}

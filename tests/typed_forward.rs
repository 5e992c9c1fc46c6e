//! Forwarding a typed channel without its types: a registry carried as bytes makes a channel
//! that typed subscribers accept, as a relay on another host does.
#![cfg(all(target_os = "linux", not(miri)))]

mod common;

use bcast::RingBuffer;
use bcast::typed::{Publisher, Registry, Subscriber, TypedOpenError};
use common::ShmPath;

/// A price.
#[bcast::typed::message(tag = 7)]
#[derive(Debug)]
pub struct Price {
    /// The instrument.
    pub symbol: String,
    /// The price.
    pub px: f64,
}

/// The channel being forwarded.
#[derive(Debug, bcast::BcastChannel)]
pub enum Prices {
    /// A price.
    Price(Price),
}

/// Another channel, to be refused: a `Price` of tag 7 that is not the forwarded one.
#[derive(Debug, bcast::BcastChannel)]
pub enum Other {
    /// A level.
    Level(Level),
}

/// A level, under the forwarded `Price`'s tag.
#[bcast::typed::message(tag = 7, pod)]
#[derive(Debug)]
pub struct Level {
    /// Its value.
    pub value: u64,
}

#[test]
fn a_forwarded_registry_makes_a_channel_typed_subscribers_accept()
-> Result<(), Box<dyn std::error::Error>> {
    let mut source_publisher = Publisher::<Prices>::new(RingBuffer::with_capacity(1 << 16))?;
    let mut source_reader = source_publisher.ring().clone().into_reader();
    source_publisher.publish(&Price { symbol: "ES".into(), px: 4321.25 })?;

    // The far side only has the registry's bytes and the raw frames.
    let wire = Registry::read_from(source_publisher.ring())?.expect("typed").to_bytes();
    let path = ShmPath::new("forward");
    let path = path.0.as_path();
    let mirror = Registry::from_bytes(&wire)?.create_channel(path, 1 << 16)?;
    let mut mirror_writer = mirror.into_writer();
    let mut buf = vec![0u8; source_reader.mtu()];
    while let Some(frame) = source_reader.try_recv(&mut buf)? {
        mirror_writer.send_with_tag(&buf[..frame.len], frame.tag)?;
    }

    let mut subscriber = Subscriber::<Prices>::new(RingBuffer::attach(path)?)?;
    subscriber.reset_to_oldest();
    let PricesView::Price(price) = subscriber.try_recv()?.expect("forwarded");
    assert_eq!((price.symbol.as_str(), price.px.to_native()), ("ES", 4321.25));
    assert!(
        matches!(
            Subscriber::<Other>::new(RingBuffer::attach(path)?),
            Err(TypedOpenError::Mismatch(_))
        ),
        "other schemas are refused"
    );

    // Reopening with another registry is refused too.
    drop(mirror_writer);
    let other = Registry::of::<Other>();
    assert!(matches!(other.create_channel(path, 1 << 16), Err(TypedOpenError::Mismatch(_))));
    Ok(())
}

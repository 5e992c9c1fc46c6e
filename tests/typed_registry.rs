//! Schema registries: what changes a fingerprint, which differences a subscriber or a publisher
//! tolerates (fewer or more types), and every way one is refused a ring whose registry is not
//! compatible with its own.

use core::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use bcast::RingBuffer;
use bcast::typed::{
    CodecKind, Difference, Publisher, RecvError, Registry, RegistryError, Schema, SchemaMismatch,
    Subscriber, TypedOpenError,
};

/// A `Trade` of one price, declared with the given `#[bcast::typed::message]` arguments, and a `Feed`
/// channel of the quote type `$quote` and that `Trade`.
macro_rules! trade_and_feed {
    ($quote:ty, $($message:tt)*) => {
        #[bcast::typed::message($($message)*)]
        pub(crate) struct Trade {
            pub(crate) price: f64,
        }
        #[derive(bcast::BcastChannel)]
        pub(crate) enum Feed {
            Quote($quote),
            Trade(Trade),
        }
    };
}

/// Defines a module with a `Feed` channel of `Quote` (tag 1, with the given fields and
/// `Level`) and `Trade` (tag 2, pod).
macro_rules! variant {
    ($name:ident, quote { $($field:ident: $ty:ty),* }, level { $($lfield:ident: $lty:ty),* }) => {
        mod $name {
            #[allow(dead_code)]
            type Price = f64;
            #[bcast::typed::schema]
            pub(crate) struct Level { $(pub(crate) $lfield: $lty),* }
            #[bcast::typed::message(tag = 1)]
            pub(crate) struct Quote { $(pub(crate) $field: $ty),* }
            trade_and_feed!(Quote, tag = 2, pod);
        }
    };
}

// The reference schema, and one variant per kind of change, each in its own module so that the
// types keep their names.
variant!(base, quote { bid: f64, ask: f64, top: Level }, level { price: f64, qty: u64 });
variant!(alias, quote { bid: Price, ask: f64, top: Level }, level { price: Price, qty: u64 });
variant!(added, quote { bid: f64, ask: f64, top: Level, ts: u64 }, level { price: f64, qty: u64 });
variant!(renamed, quote { bid: f64, offer: f64, top: Level }, level { price: f64, qty: u64 });
variant!(retyped, quote { bid: f64, ask: f32, top: Level }, level { price: f64, qty: u64 });
variant!(reordered, quote { ask: f64, bid: f64, top: Level }, level { price: f64, qty: u64 });
variant!(nested, quote { bid: f64, ask: f64, top: Level }, level { price: f64, qty: u32 });

fn quote_fingerprint<C: bcast::typed::Channel>() -> u64 {
    C::TYPES.iter().find(|entry| entry.name == "Quote").expect("a Quote").fingerprint
}

#[test]
fn a_type_alias_keeps_the_fingerprint_and_every_shape_change_changes_it() {
    let base = quote_fingerprint::<base::Feed>();
    assert_eq!(quote_fingerprint::<alias::Feed>(), base);
    assert_eq!(alias::Level::SHAPE.fingerprint(), base::Level::SHAPE.fingerprint());
    let changed = [
        ("added", quote_fingerprint::<added::Feed>()),
        ("renamed", quote_fingerprint::<renamed::Feed>()),
        ("retyped", quote_fingerprint::<retyped::Feed>()),
        ("reordered", quote_fingerprint::<reordered::Feed>()),
        ("nested", quote_fingerprint::<nested::Feed>()),
    ];
    for (change, fingerprint) in changed {
        assert_ne!(fingerprint, base, "{change} must change Quote's fingerprint");
    }
}

/// Publishes `P`'s registry on a heap ring and returns the error of subscribing as `S`.
fn refusal<P: bcast::typed::Channel, S: bcast::typed::Channel>() -> SchemaMismatch {
    let ring = RingBuffer::with_capacity(4096);
    let _publisher = bcast::typed::Publisher::<P>::new(ring.clone()).expect("the publisher");
    match bcast::typed::Subscriber::<S>::new(ring) {
        Err(TypedOpenError::Mismatch(mismatch)) => *mismatch,
        other => panic!("expected a schema mismatch, got {other:?}"),
    }
}

#[test]
fn subscribers_of_the_same_schema_or_an_alias_are_accepted() {
    let ring = RingBuffer::with_capacity(4096);
    let _publisher = Publisher::<base::Feed>::new(ring.clone()).expect("the publisher");
    assert!(Subscriber::<base::Feed>::new(ring.clone()).is_ok());
    assert!(Subscriber::<alias::Feed>::new(ring).is_ok());
}

#[test]
fn a_changed_type_is_named_with_both_fingerprints() {
    for mismatch in [
        refusal::<base::Feed, added::Feed>(),
        refusal::<base::Feed, renamed::Feed>(),
        refusal::<base::Feed, retyped::Feed>(),
        refusal::<base::Feed, reordered::Feed>(),
        refusal::<base::Feed, nested::Feed>(),
    ] {
        let differences = mismatch.differences();
        let [Difference::Changed { ours, theirs, .. }] = differences.as_slice() else {
            panic!("one changed type expected: {differences:?}");
        };
        assert_eq!((&*ours.name, &*theirs.name), ("Quote", "Quote"));
        assert_eq!(theirs.fingerprint, quote_fingerprint::<base::Feed>());
        let text = mismatch.to_string();
        assert!(text.contains("`Quote` (tag 1) changed: fingerprint"), "{text}");
        assert!(!text.contains("Trade"), "{text}");
    }
}

/// The base `Quote` with a `Trade` of another tag.
mod retagged {
    trade_and_feed!(super::base::Quote, tag = 3, pod);
}

/// The base `Quote` with a `Trade` of another codec: rkyv instead of pod.
mod recoded {
    trade_and_feed!(super::base::Quote, tag = 2);
}

mod fewer {
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Quote(super::base::Quote),
    }
}

#[test]
fn a_changed_tag_or_codec_is_named() {
    let text = refusal::<base::Feed, retagged::Feed>().to_string();
    assert!(text.contains("`Trade` (tag 3) changed: tag 3 here, 2 in the channel"), "{text}");
    let mismatch = refusal::<base::Feed, recoded::Feed>();
    let text = mismatch.to_string();
    assert!(text.contains("codec rkyv here, pod in the channel"), "{text}");
    assert!(matches!(
        mismatch.differences().as_slice(),
        [Difference::Changed { ours, theirs, .. }]
            if ours.codec == CodecKind::Rkyv && theirs.codec == CodecKind::Pod
    ));
}

/// A base `Quote` numbered `n`.
fn base_quote(n: u64) -> base::Quote {
    base::Quote { bid: n as f64, ask: n as f64 + 0.5, top: base::Level { price: 1.0, qty: n } }
}

#[test]
fn a_subscriber_may_know_fewer_types_than_the_channel_and_skips_the_others()
-> Result<(), Box<dyn std::error::Error>> {
    let ring = RingBuffer::with_capacity(4096);
    let mut publisher = Publisher::<base::Feed>::new(ring.clone())?;
    let mut fewer = Subscriber::<fewer::Feed>::new(ring.clone())?;
    let mut all = Subscriber::<base::Feed>::new(ring)?;
    for n in 0..3 {
        publisher.publish(&base::Trade { price: n as f64 })?;
        publisher.publish(&base_quote(n))?;
    }
    // One at a time, and in batches: only quotes, and the trades counted.
    let mut quotes = 0;
    while let Some(fewer::FeedView::Quote(_)) = fewer.try_recv()? {
        quotes += 1;
    }
    assert_eq!((quotes, fewer.skipped_other_types()), (3, 3));
    publisher.publish(&base::Trade { price: 9.0 })?;
    publisher.publish(&base_quote(9))?;
    assert_eq!(fewer.batch_iter().count(), 1);
    assert_eq!(fewer.skipped_other_types(), 4);
    // A subscriber of every type receives all of them.
    assert_eq!(all.batch_iter().count(), 8);
    assert_eq!(all.skipped_other_types(), 0);
    Ok(())
}

#[test]
fn a_subscriber_may_know_types_the_channel_does_not_carry() -> Result<(), Box<dyn std::error::Error>>
{
    let ring = RingBuffer::with_capacity(4096);
    let mut publisher = Publisher::<fewer::Feed>::new(ring.clone())?;
    let mut more = Subscriber::<base::Feed>::new(ring)?;
    publisher.publish(&base_quote(1))?;
    assert!(matches!(more.try_recv()?, Some(base::FeedView::Quote(_))));
    Ok(())
}

#[test]
fn a_publisher_may_list_fewer_types_than_the_channel_but_not_more() {
    let ring = RingBuffer::with_capacity(4096);
    drop(Publisher::<base::Feed>::new(ring.clone()).expect("the first publisher"));
    drop(Publisher::<fewer::Feed>::new(ring.clone()).expect("a publisher of some of its types"));
    let ring = RingBuffer::with_capacity(4096);
    drop(Publisher::<fewer::Feed>::new(ring.clone()).expect("the first publisher"));
    let Err(TypedOpenError::Mismatch(mismatch)) = Publisher::<base::Feed>::new(ring) else {
        panic!("a publisher of a type the channel's subscribers were not checked for");
    };
    assert_eq!(mismatch.side, bcast::typed::Side::Publishing);
    let refusals = mismatch.refusals();
    assert!(
        matches!(refusals.as_slice(), [Difference::OnlyOurs(entry)] if entry.name == "Trade"),
        "{refusals:?}"
    );
    let text = mismatch.to_string();
    assert!(text.contains("`Trade` (tag 2) is not in the channel"), "{text}");
}

#[test]
fn a_subscriber_of_a_channel_sharing_no_type_with_it_is_refused() {
    let ring = RingBuffer::with_capacity(4096);
    let _publisher = Publisher::<fewer::Feed>::new(ring.clone()).expect("the publisher");
    let Err(TypedOpenError::Mismatch(mismatch)) = Subscriber::<trades::Feed>::new(ring) else {
        panic!("a subscriber that would never receive anything must be told");
    };
    assert_eq!(mismatch.refusals(), [Difference::NoTypeInCommon]);
    let text = mismatch.to_string();
    assert!(text.ends_with("; no message type in common with the channel"), "{text}");
}

mod trades {
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Trade(super::base::Trade),
    }
}

#[test]
fn another_rkyv_format_is_a_mismatch() {
    let ours = Registry::of::<base::Feed>();
    let mut theirs = ours.clone();
    theirs.rkyv_format.big_endian = !theirs.rkyv_format.big_endian;
    assert!(!ours.matches(&theirs));
    let mismatch = SchemaMismatch {
        path: None,
        side: bcast::typed::Side::Subscribing,
        ours,
        theirs,
        ours_description: None,
        theirs_description: None,
    };
    assert!(matches!(mismatch.differences().as_slice(), [Difference::RkyvFormat { .. }]));
    assert!(mismatch.to_string().contains("rkyv format: rkyv 0.8"));
}

#[test]
fn a_second_publisher_with_another_schema_is_refused() {
    let ring = RingBuffer::with_capacity(4096);
    drop(Publisher::<base::Feed>::new(ring.clone()).expect("the first publisher"));
    assert!(matches!(
        Publisher::<added::Feed>::new(ring.clone()),
        Err(TypedOpenError::Mismatch(_))
    ));
    assert!(Publisher::<base::Feed>::new(ring).is_ok());
}

#[test]
fn a_ring_with_frames_but_no_registry_is_untyped() {
    let ring = RingBuffer::with_capacity(4096);
    // Empty and without a registry: its publisher is not made yet, so subscribing is fine.
    let mut early = Subscriber::<base::Feed>::new(ring.clone()).expect("an empty ring");
    ring.clone().into_writer().send(b"raw").expect("send");

    let error = Subscriber::<base::Feed>::new(ring.clone()).unwrap_err();
    assert!(matches!(error, TypedOpenError::Untyped { path: None }));
    assert!(error.to_string().contains("no schema registry"), "{error}");
    assert!(matches!(Publisher::<base::Feed>::new(ring), Err(TypedOpenError::Untyped { .. })));
    // The early subscriber learns at the frame, before decoding it.
    let error = early.try_recv().map(|_| ()).unwrap_err();
    let RecvError::Schema(cause) = &error else { panic!("{error:?}") };
    assert!(matches!(**cause, TypedOpenError::Untyped { path: None }), "{cause:?}");
    let batch: Vec<_> = early.batch_iter().map(|item| item.map(|_| ())).collect();
    assert!(batch.is_empty(), "the frame was consumed by the failed read: {batch:?}");
}

#[test]
fn registry_bytes_are_parsed_defensively() {
    let bytes = Registry::of::<base::Feed>().to_bytes();
    for len in 0..bytes.len() {
        assert!(Registry::from_bytes(&bytes[..len]).is_err(), "a {len}-byte prefix parsed");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(Registry::from_bytes(&longer), Err(RegistryError::Malformed { .. })));
    let mut version = bytes.clone();
    version[4] = 9;
    assert!(matches!(Registry::from_bytes(&version), Err(RegistryError::Version { found: 9, .. })));
    for index in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[index] ^= 0xff;
        let _ = Registry::from_bytes(&flipped); // never panics
    }
}

/// A ring in memory this test owns, so that it can damage the stored registry between uses.
#[test]
fn a_corrupt_registry_in_the_header_is_a_typed_error() {
    let words = RingBuffer::region_len(256) / 8;
    let memory: Vec<AtomicU64> = (0..words).map(|_| AtomicU64::new(0)).collect();
    let base_ptr = NonNull::from(memory.as_slice()).cast::<u8>();
    let len = memory.len() * 8;
    // SAFETY: `memory` outlives the ring, whose handles are all dropped before it is touched.
    let ring = unsafe { RingBuffer::init_raw(base_ptr, len) }.expect("init");
    drop(Publisher::<base::Feed>::new(ring).expect("the publisher stores the registry"));

    let magic = u64::from(u32::from_le_bytes(*b"BCRG"));
    let word = memory.iter().position(|w| w.load(Ordering::Relaxed) & 0xffff_ffff == magic);
    let word = word.expect("the registry is in the header");
    memory[word].fetch_xor(1, Ordering::Relaxed);

    // SAFETY: as above; the handles are dropped before `memory`.
    let ring = unsafe { RingBuffer::join_raw(base_ptr, len) }.expect("join");
    let error = Subscriber::<base::Feed>::new(ring).unwrap_err();
    assert!(
        matches!(
            error,
            TypedOpenError::CorruptRegistry { reason: RegistryError::BadMagic { .. }, .. }
        ),
        "{error:?}"
    );
}

/// Two message types named `Update`, told apart only by their module and tag.
mod orders {
    #[bcast::typed::message(tag = 11)]
    pub(crate) struct Update {
        pub(crate) id: u64,
    }
}

mod quotes {
    #[bcast::typed::message(tag = 12)]
    pub(crate) struct Update {
        pub(crate) bid: f64,
    }
    /// The same name and tag, with one more field.
    pub(crate) mod v2 {
        #[bcast::typed::message(tag = 12)]
        pub(crate) struct Update {
            pub(crate) bid: f64,
            pub(crate) ask: f64,
        }
    }
}

mod updates {
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Both {
        Orders(super::orders::Update),
        Quotes(super::quotes::Update),
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum OrdersOnly {
        Orders(super::orders::Update),
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum QuotesChanged {
        Orders(super::orders::Update),
        Quotes(super::quotes::v2::Update),
    }
}

#[test]
fn a_missing_type_is_named_by_its_tag_when_another_type_has_its_name() {
    let (both, orders_only) =
        (Registry::of::<updates::Both>(), Registry::of::<updates::OrdersOnly>());
    // A subscriber of fewer types, and one of more: differences, but no refusal.
    for (ours, theirs) in [(&orders_only, &both), (&both, &orders_only)] {
        let mismatch = SchemaMismatch {
            path: None,
            side: bcast::typed::Side::Subscribing,
            ours: ours.clone(),
            theirs: theirs.clone(),
            ours_description: None,
            theirs_description: None,
        };
        let differences = mismatch.differences();
        let entry = match differences.as_slice() {
            [Difference::OnlyTheirs(entry) | Difference::OnlyOurs(entry)] => entry,
            _ => panic!("one type only on one side expected: {differences:?}"),
        };
        assert_eq!((&*entry.name, entry.tag), ("Update", 12));
        assert!(mismatch.refusals().is_empty(), "{mismatch}");
    }
    // A publisher of a type the channel does not list is refused, the type named by its tag.
    let ring = RingBuffer::with_capacity(4096);
    drop(Publisher::<updates::OrdersOnly>::new(ring.clone()).expect("the first publisher"));
    let Err(TypedOpenError::Mismatch(mismatch)) = Publisher::<updates::Both>::new(ring) else {
        panic!("refused");
    };
    let text = mismatch.to_string();
    assert!(text.contains("`Update` (tag 12) is not in the channel"), "{text}");
}

#[test]
fn a_changed_type_is_paired_by_tag_when_another_type_has_its_name() {
    let mismatch = refusal::<updates::Both, updates::QuotesChanged>();
    let differences = mismatch.differences();
    let [Difference::Changed { ours, theirs, .. }] = differences.as_slice() else {
        panic!("one changed type expected: {differences:?}");
    };
    assert_eq!((ours.tag, theirs.tag), (12, 12));
    assert_eq!(theirs.fingerprint, quotes::Update::SHAPE.fingerprint());
    assert_eq!(ours.fingerprint, quotes::v2::Update::SHAPE.fingerprint());
    let text = mismatch.to_string();
    assert!(text.contains("`Update` (tag 12) changed: fingerprint"), "{text}");
    assert!(!text.contains("tag 12 here") && !text.contains("tag 11"), "{text}");
}

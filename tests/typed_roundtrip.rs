//! Typed round trips over heap rings, for every codec and the field types messages use. Small
//! enough to run under Miri (`cargo +nightly miri test --test typed_roundtrip`).

mod common;

use bcast::BcastChannel;
use bcast::RingBuffer;
use bcast::typed::{PublishError, Publisher, Registry, Subscriber, TypedMessage};
use common::heap_channel;
use common::market::{self, Quote, Trade, quote};

#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq)]
struct Level {
    price: f64,
    qty: u64,
}

#[bcast::typed::schema]
#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Buy,
    Sell,
}

/// Every container the rkyv codec must carry, with a u128 and nesting.
#[bcast::typed::message] // tag from the name
#[derive(Debug, Clone, PartialEq)]
struct Book {
    id: u128,
    side: Side,
    venue: Option<String>,
    missing: Option<u32>,
    bids: Vec<Level>,
    top: Box<Level>,
    flags: [u8; 3],
    pair: (i16, bool),
}

/// A pod record aligned to 16 by its u128.
#[bcast::typed::message(tag = 4, pod)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct Wide {
    id: u128,
    value: i64,
    pad: u64,
}

/// A pod record of zero bytes.
#[bcast::typed::message(tag = 5, pod)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct Heartbeat {}

/// The shared `Quote` (tag 1) and `Trade` (tag 2), with one message type of every other kind.
#[derive(BcastChannel)]
enum MarketData {
    Quote(Quote),
    Trade(Trade),
    Book(Book),
    Wide(Wide),
    Heartbeat(Heartbeat),
}

fn book() -> Book {
    let level = |price, qty| Level { price, qty };
    Book {
        id: u128::MAX - 7,
        side: Side::Sell,
        venue: Some("XCME".into()),
        missing: None,
        bids: vec![level(1.0, 2), level(0.75, 30)],
        top: Box::new(level(1.25, 4)),
        flags: [1, 2, 3],
        pair: (-3, true),
    }
}

#[test]
fn the_readme_snippet_works_over_a_heap_ring() -> Result<(), Box<dyn std::error::Error>> {
    let ring = bcast::RingBuffer::with_capacity(4096);
    let mut publisher = Publisher::<MarketData>::new(ring.clone())?;
    let mut subscriber = Subscriber::<MarketData>::new(ring)?;
    publisher.publish(&quote(7))?;
    publisher.publish(&Trade { instrument: 9, price: 1.25, qty: 3 })?;
    let mut seen = Vec::new();
    for msg in subscriber.batch_iter() {
        match msg? {
            MarketDataView::Quote(q) => seen.push(format!("{} {}", q.symbol, q.bid)),
            MarketDataView::Trade(t) => seen.push(format!("{}", t.price)),
            other => panic!("unexpected {}", other.type_name()),
        }
    }
    assert_eq!(seen, ["ES 1", "1.25"]);
    assert!(subscriber.try_recv()?.is_none());
    Ok(())
}

#[test]
fn a_new_subscriber_starts_live_and_replays_the_oldest_data_on_request()
-> Result<(), Box<dyn std::error::Error>> {
    let ring = RingBuffer::with_capacity(1024);
    let mut publisher = Publisher::<MarketData>::new(ring.clone())?;
    for ts in 0..40 {
        publisher.publish(&quote(ts))?; // 48-byte frames: almost two laps of a 1 KiB ring
    }
    let mut late = Subscriber::<MarketData>::new(ring.clone())?;
    late.reset_to_oldest();
    let mut reset = Subscriber::<MarketData>::new(ring)?;
    publisher.publish(&quote(40))?;
    let mut replayed = Vec::new();
    while let Some(view) = late.try_recv()? {
        let MarketDataView::Quote(q) = view else { panic!("only quotes") };
        replayed.push(q.ts.to_native());
    }
    assert!(replayed.len() > 1 && replayed.len() < 40, "{replayed:?}");
    assert!(replayed.windows(2).all(|w| w[1] == w[0] + 1) && replayed.last() == Some(&40));
    assert!(matches!(reset.try_recv()?, Some(MarketDataView::Quote(q)) if q.ts == 40));
    assert!(reset.try_recv()?.is_none());
    Ok(())
}

#[test]
fn every_codec_and_field_type_round_trips() -> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = heap_channel::<MarketData>(4096)?;
    let wide = Wide { id: u128::MAX / 3, value: -5, pad: 0 };

    publisher.publish(&quote(1))?;
    let Some(MarketDataView::Quote(q)) = subscriber.try_recv()? else { panic!("a quote") };
    let owned: Quote = bcast::rkyv::deserialize::<_, bcast::rkyv::rancor::Error>(q)?;
    assert_eq!(owned, quote(1));

    publisher.publish(&book())?;
    let Some(MarketDataView::Book(b)) = subscriber.try_recv()? else { panic!("a book") };
    assert_eq!(b.id, u128::MAX - 7);
    assert_eq!(b.venue.as_deref(), Some("XCME"));
    assert_eq!(b.bids.len(), 2);
    let owned: Book = bcast::rkyv::deserialize::<_, bcast::rkyv::rancor::Error>(b)?;
    assert_eq!(owned, book());

    publisher.publish(&wide)?;
    let Some(MarketDataView::Wide(w)) = subscriber.try_recv()? else { panic!("a wide") };
    assert_eq!(*w, wide);
    assert_eq!((w as *const Wide).align_offset(16), 0);

    publisher.publish(&Heartbeat {})?;
    assert!(matches!(subscriber.try_recv()?, Some(MarketDataView::Heartbeat(Heartbeat {}))));
    assert!(subscriber.try_recv()?.is_none());
    Ok(())
}

#[test]
fn batch_views_stay_alive_together_and_carry_metadata() -> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = heap_channel::<MarketData>(4096)?;
    for ts in 0..4 {
        publisher.publish(&quote(ts))?;
        publisher.publish(&Trade { instrument: ts, price: 2.0, qty: ts * 10 })?;
    }
    let items: Vec<_> = subscriber.batch_iter().with_meta().collect::<Result<_, _>>()?;
    assert_eq!(items.len(), 8);
    for (index, (meta, view)) in items.iter().enumerate() {
        assert_eq!(meta.seq, index as u64);
        assert_eq!(meta.tag, view.tag());
        match view {
            MarketDataView::Quote(q) => assert_eq!(q.ts, index as u64 / 2),
            MarketDataView::Trade(t) => assert_eq!(t.qty, index as u64 / 2 * 10),
            other => panic!("unexpected {}", other.type_name()),
        }
    }
    assert_eq!(subscriber.batch_iter().count(), 0);
    Ok(())
}

#[test]
fn a_batch_stops_when_its_buffer_is_full_and_the_rest_follows()
-> Result<(), Box<dyn std::error::Error>> {
    // A 1 KiB ring: MTU 240, so the subscriber's buffer holds 240 bytes.
    let (mut publisher, mut subscriber) = heap_channel::<MarketData>(1024)?;
    let trade = Trade { instrument: 1, price: 1.0, qty: 1 };
    for _ in 0..12 {
        publisher.publish(&trade)?; // 24 bytes, 32 in the buffer
    }
    let first = subscriber.batch_iter().count();
    let second = subscriber.batch_iter().count();
    assert_eq!((first, second), (7, 5)); // 7 × 32 bytes, and a 24-byte frame does not fit in 16
    Ok(())
}

#[test]
fn a_record_larger_than_the_mtu_is_refused_and_nothing_is_published()
-> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = heap_channel::<MarketData>(1024)?;
    let big = Quote { symbol: "X".repeat(300), ..quote(1) };
    let error = publisher.publish(&big).unwrap_err();
    assert!(matches!(error, PublishError::Ring(bcast::Error::MtuLimitExceeded { mtu: 224, .. })));
    assert_eq!(publisher.messages_published(), 0);
    publisher.publish(&quote(2))?;
    let Some(MarketDataView::Quote(q)) = subscriber.try_recv()? else { panic!("a quote") };
    assert_eq!(q.ts, 2);
    Ok(())
}

#[test]
fn the_subscriber_buffer_grows_for_large_messages() -> Result<(), Box<dyn std::error::Error>> {
    let len = if cfg!(miri) { 2_000 } else { 100_000 };
    let (mut publisher, mut subscriber) = heap_channel::<MarketData>(len * 8)?;
    let big = Quote { symbol: "Y".repeat(len), ..quote(3) };
    publisher.publish(&big)?;
    publisher.publish(&big)?;
    let Some(MarketDataView::Quote(q)) = subscriber.try_recv()? else { panic!("a quote") };
    assert_eq!(q.symbol.len(), len);
    assert_eq!(subscriber.batch_iter().count(), 1);
    Ok(())
}

#[test]
fn tags_and_the_registry_follow_the_declarations() {
    assert_eq!(Book::TAG, bcast::typed::tag_from_name("Book"));
    let registry = Registry::of::<MarketData>();
    let tags: Vec<u32> = registry.types.iter().map(|entry| entry.tag).collect();
    assert_eq!(tags, [1, 2, Book::TAG, 4, 5]);
    assert_eq!(Registry::from_bytes(&registry.to_bytes()), Ok(registry.clone()));
    let text = registry.to_string();
    assert!(text.starts_with("channel MarketData (rkyv 0.8, little-endian"), "{text}");
    assert!(text.contains("pod    ") && text.contains("Heartbeat"), "{text}");
}

#[test]
fn a_second_publisher_of_a_heap_ring_is_refused_until_the_first_is_gone() {
    let ring = bcast::RingBuffer::with_capacity(4096);
    let first = Publisher::<MarketData>::new(ring.clone()).expect("the first publisher");
    let second = Publisher::<MarketData>::new(ring.clone()).unwrap_err();
    assert!(matches!(second, bcast::typed::TypedOpenError::Ring(bcast::Error::WriterExists)));
    drop(first);
    assert!(Publisher::<MarketData>::new(ring).is_ok());
}

#[test]
fn publishing_and_reading_across_threads() -> Result<(), Box<dyn std::error::Error>> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let count: u64 = if cfg!(miri) { 20 } else { 10_000 };
    let (mut publisher, mut subscriber) = heap_channel::<MarketData>(1 << 16)?;
    // The ring holds ~800 quotes; the publisher stays at most 256 ahead, so nothing is lost.
    let consumed = Arc::new(AtomicU64::new(0));
    let progress = Arc::clone(&consumed);
    let reader = std::thread::spawn(move || -> Result<u64, bcast::typed::RecvError> {
        let mut next = 0;
        while next < count {
            while let Some(view) = subscriber.try_recv()? {
                let MarketDataView::Quote(q) = view else { panic!("only quotes") };
                assert_eq!(q.ts, next);
                next += 1;
            }
            progress.store(next, Ordering::Release);
            std::thread::yield_now();
        }
        Ok(next)
    });
    for ts in 0..count {
        while ts - consumed.load(Ordering::Acquire) > 256 {
            std::thread::yield_now();
        }
        publisher.publish(&quote(ts))?;
    }
    assert_eq!(reader.join().expect("reader thread")?, count);
    Ok(())
}

/// A pointer-sized count, through an alias.
type Count = usize;

#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    index: Count,
}

#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq)]
enum Place {
    Start,
    At(usize),
    Span { from: usize, to: Count },
}

/// `usize` and `isize` directly, inside a `Vec`, nested in an `Option` of a struct, and in the
/// variants of an enum.
#[bcast::typed::message(tag = 20)]
#[derive(Debug, Clone, PartialEq)]
struct Sizes {
    len: usize,
    offset: isize,
    counts: Vec<usize>,
    slot: Option<Slot>,
    place: Place,
}

/// A pod message carries its `usize` as the host's own bytes.
#[bcast::typed::message(tag = 21, pod)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct PodSize {
    len: usize,
}

#[derive(BcastChannel)]
enum Indexes {
    Sizes(Sizes),
    PodSize(PodSize),
}

/// The numbers of a `Sizes`, widened to 64 bits (for a place, the last index it names).
type Numbers = (u64, i64, Vec<u64>, Option<u64>, u64);

fn numbers(sizes: &Sizes) -> Numbers {
    let wide = |value: usize| u64::try_from(value).expect("a usize fits u64");
    let place = match sizes.place {
        Place::Start => 0,
        Place::At(at) => wide(at),
        Place::Span { to, .. } => wide(to),
    };
    (
        wide(sizes.len),
        i64::try_from(sizes.offset).expect("an isize fits i64"),
        sizes.counts.iter().map(|&count| wide(count)).collect(),
        sizes.slot.as_ref().map(|slot| wide(slot.index)),
        place,
    )
}

/// The numbers a subscriber reads back from the next message, a `Sizes`.
fn read_sizes(
    subscriber: &mut bcast::typed::Subscriber<Indexes>,
) -> Result<Numbers, Box<dyn std::error::Error>> {
    let Some(IndexesView::Sizes(view)) = subscriber.try_recv()? else { panic!("a Sizes") };
    let place = match &view.place {
        ArchivedPlace::Start => 0,
        ArchivedPlace::At(at) => u64::from(at.to_native()),
        ArchivedPlace::Span { to, .. } => u64::from(to.to_native()),
    };
    Ok((
        u64::from(view.len.to_native()),
        i64::from(view.offset.to_native()),
        view.counts.iter().map(|count| u64::from(count.to_native())).collect(),
        view.slot.as_ref().map(|slot| u64::from(slot.index.to_native())),
        place,
    ))
}

#[cfg(target_pointer_width = "64")]
#[test]
fn a_usize_beyond_the_archived_width_is_refused_never_truncated()
-> Result<(), Box<dyn std::error::Error>> {
    let wide = usize::try_from((1u64 << 32) + 7)?;
    let negative = -isize::try_from(wide)?;
    let narrow = Sizes {
        len: 7,
        offset: -7,
        counts: vec![7, 8],
        slot: Some(Slot { index: 9 }),
        place: Place::Span { from: 1, to: 2 },
    };
    let cases = [
        Sizes { len: wide, ..narrow.clone() },
        Sizes { offset: negative, ..narrow.clone() },
        Sizes { counts: vec![1, wide], ..narrow.clone() },
        Sizes { slot: Some(Slot { index: wide }), ..narrow.clone() },
        Sizes { place: Place::At(wide), ..narrow.clone() },
        Sizes { place: Place::Span { from: 1, to: wide }, ..narrow.clone() },
    ];
    let (mut publisher, mut subscriber) = heap_channel::<Indexes>(4096)?;
    for case in cases {
        let published = publisher.messages_published();
        match publisher.publish(&case) {
            // A build whose archived usize is 64-bit carries the value exactly.
            Ok(()) => assert_eq!(read_sizes(&mut subscriber)?, numbers(&case), "{case:?}"),
            // Otherwise it is refused, and nothing is published.
            Err(PublishError::UsizeOutOfRange { type_name, value, usize_bytes }) => {
                assert!(type_name.ends_with("Sizes") && usize_bytes < size_of::<usize>());
                assert_eq!(value.unsigned_abs(), (1 << 32) + 7, "{case:?}");
                assert_eq!(publisher.messages_published(), published);
            }
            Err(error) => panic!("{case:?}: {error}"),
        }
    }
    publisher.publish(&narrow)?;
    assert_eq!(read_sizes(&mut subscriber)?, numbers(&narrow));

    publisher.publish(&PodSize { len: wide })?;
    let Some(IndexesView::PodSize(pod)) = subscriber.try_recv()? else { panic!("a PodSize") };
    assert_eq!(pod.len, wide);
    Ok(())
}

/// Maps and sets of the standard library, as rkyv archives them.
#[bcast::typed::message(tag = 40)]
struct Venues {
    by_name: std::collections::BTreeMap<String, u32>,
    by_id: std::collections::HashMap<u32, String>,
    open: std::collections::BTreeSet<u16>,
    sizes: std::collections::HashMap<String, usize>,
}

#[derive(BcastChannel)]
enum VenueFeed {
    Venues(Venues),
}

#[test]
fn maps_and_sets_have_schemas_and_round_trip() -> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = heap_channel::<VenueFeed>(1 << 14)?;
    let venues = Venues {
        by_name: [("XCME".to_owned(), 1), ("XEUR".to_owned(), 2)].into(),
        by_id: [(1, "XCME".to_owned()), (2, "XEUR".to_owned())].into(),
        open: [1, 3].into(),
        sizes: [("XCME".to_owned(), 10)].into(),
    };
    publisher.publish(&venues)?;
    let Some(VenueFeedView::Venues(view)) = subscriber.try_recv()? else {
        panic!("one message is pending")
    };
    assert_eq!(view.by_name.get("XEUR").map(|id| id.to_native()), Some(2));
    assert_eq!(view.by_id.get(&2.into()).map(|name| name.as_str()), Some("XEUR"));
    assert!(view.open.contains_key(&3.into()) && !view.open.contains_key(&2.into()));
    assert_eq!(view.sizes.get("XCME").map(|size| size.to_native()), Some(10));

    // A `usize` in a map is checked like any other before it is archived in 32 bits.
    let mut too_large = venues;
    too_large.sizes.insert("XEUR".to_owned(), usize::MAX);
    let error = publisher.publish(&too_large).unwrap_err();
    assert!(matches!(error, PublishError::UsizeOutOfRange { .. }), "{error:?}");
    // Map and set types take part in the fingerprint: another value type is another schema.
    assert_ne!(
        <std::collections::BTreeMap<String, u32> as bcast::typed::Schema>::SHAPE.fingerprint(),
        <std::collections::BTreeMap<String, u64> as bcast::typed::Schema>::SHAPE.fingerprint()
    );
    Ok(())
}

#[test]
fn views_become_the_owned_messages_the_publisher_sent() -> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = heap_channel::<market::MarketData>(1 << 14)?;
    publisher.publish(&quote(7))?;
    publisher.publish(&market::trade(3))?;
    let mut owned = Vec::new();
    for view in subscriber.batch_iter() {
        owned.push(view?.to_message()?);
    }
    // Owned values outlive the views and the subscriber's buffer.
    drop(subscriber);
    let [market::MarketData::Quote(q), market::MarketData::Trade(t)] = owned.as_slice() else {
        panic!("a quote, then a trade")
    };
    assert_eq!((q.symbol.as_str(), q.bid, q.ts), ("ES", 1.0, 7));
    assert_eq!((t.instrument, t.price, t.qty), (9, 1.25, 3));
    // Message type by message type, through the trait.
    publisher.publish(&quote(8))?;
    let mut subscriber = Subscriber::<market::MarketData>::new(publisher.ring().clone())?;
    subscriber.reset_to_oldest();
    let mut last = None;
    while let Some(view) = subscriber.try_recv()? {
        if let market::MarketDataView::Quote(view) = view {
            last = Some(<Quote as bcast::typed::ToMessage>::to_message(&view)?.ts);
        }
    }
    assert_eq!(last, Some(8));
    Ok(())
}

/// Losses per message type are exact: for every type, the messages of that type published
/// between the first and the last one the subscriber received, and not received, whatever
/// the interleaving of types, batch reads, single reads and overruns.
#[test]
fn losses_per_type_are_exact_for_every_type_received_after_them()
-> Result<(), Box<dyn std::error::Error>> {
    use market::MarketData;

    let ring = RingBuffer::with_capacity(1024);
    let mut publisher = Publisher::<MarketData>::new(ring.clone())?;
    let mut subscriber = Subscriber::<MarketData>::new(ring)?.with_losses_by_type();
    // The tag of every message published, by sequence number; the sequence numbers received.
    let mut published: Vec<u32> = Vec::new();
    let mut received: Vec<u64> = Vec::new();
    let rounds = if cfg!(miri) { 12 } else { 300 };
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    for round in 0..rounds {
        for _ in 0..next(40) {
            if next(3) == 0 {
                publisher.publish(&quote(round))?;
                published.push(1);
            } else {
                publisher.publish(&market::trade(round))?;
                published.push(2);
            }
        }
        // Read some, all or none of what is pending: whole batches, or one message at a time.
        let budget = next(30);
        let batches = next(2) == 0;
        let mut read = 0;
        while read < budget {
            read += 1;
            if batches {
                let mut overrun = false;
                let mut any = false;
                for item in subscriber.batch_iter().with_meta() {
                    match item {
                        Ok((meta, _)) => received.push(meta.seq),
                        Err(_) => overrun = true,
                    }
                    any = true;
                }
                if overrun {
                    subscriber.reset_to_oldest();
                } else if !any {
                    break;
                }
            } else {
                match subscriber.try_recv() {
                    Ok(Some(_)) => received.push(received_seq(&subscriber)),
                    Ok(None) => break,
                    Err(_) => {
                        subscriber.reset_to_oldest();
                    }
                }
            }
        }
    }
    let tag_of = |seq: u64| published[usize::try_from(seq).expect("a small test")];
    let mut expected = [0u64; 2];
    for (index, tag) in [1u32, 2].into_iter().enumerate() {
        let seqs: Vec<u64> = received.iter().copied().filter(|&seq| tag_of(seq) == tag).collect();
        if let (Some(&first), Some(&last)) = (seqs.first(), seqs.last()) {
            let between = (first..=last).filter(|&seq| tag_of(seq) == tag).count();
            expected[index] = (between - seqs.len()) as u64;
        }
    }
    let lost: Vec<u64> =
        subscriber.lost_by_type().expect("counted").map(|(_, lost)| lost).collect();
    assert_eq!(lost, expected);
    let total = subscriber.stats().lost;
    assert!(expected.iter().sum::<u64>() <= total);
    if !cfg!(miri) {
        assert!(expected.iter().all(|&lost| lost > 0), "the subscriber lost both types");
    }
    let unattributed = subscriber.tag_losses().expect("counted").unattributed(total);
    assert_eq!(unattributed, total - expected.iter().sum::<u64>());
    Ok(())
}

/// A subscriber that moves back to replay what the ring holds receives messages it had
/// received already: a replay, not a loss, for every type.
#[test]
fn a_replay_is_no_loss_per_type() -> Result<(), Box<dyn std::error::Error>> {
    use market::MarketData;

    let ring = RingBuffer::with_capacity(1 << 14);
    let mut publisher = Publisher::<MarketData>::new(ring.clone())?;
    let mut subscriber = Subscriber::<MarketData>::new(ring)?.with_losses_by_type();
    subscriber.reset_to_oldest();
    for n in 0..20 {
        publisher.publish(&quote(n))?;
        publisher.publish(&market::trade(n))?;
    }
    while subscriber.try_recv()?.is_some() {}
    subscriber.reset_to_oldest();
    publisher.publish(&quote(20))?;
    let mut replayed = 0;
    while subscriber.try_recv()?.is_some() {
        replayed += 1;
    }
    assert_eq!(replayed, 41, "the ring held every message");
    let lost: Vec<u64> =
        subscriber.lost_by_type().expect("counted").map(|(_, lost)| lost).collect();
    assert_eq!(lost, [0, 0]);
    assert_eq!(subscriber.stats().lost, 0);
    Ok(())
}

/// The sequence number of the message a subscriber's `try_recv` returned last, from its reader's
/// counts: it started at the first message, so every message before the next one was received,
/// skipped or lost.
fn received_seq(subscriber: &Subscriber<market::MarketData>) -> u64 {
    let stats = subscriber.stats();
    stats.received + stats.skipped + stats.lost - 1
}

/// A channel carried on frame by frame with `Writer::send_stamped`, some frames dropped on
/// the way (as a relay or a replay of a recording with gaps would), gives the copy's
/// subscribers the losses a subscriber of the source would have counted: in total and per type.
#[test]
fn a_copy_numbered_as_its_source_shows_the_frames_dropped_on_the_way_as_losses()
-> Result<(), Box<dyn std::error::Error>> {
    use market::MarketData;

    let mut source = Publisher::<MarketData>::new(RingBuffer::with_capacity(1 << 16))?;
    let mut reader = source.ring().clone().into_reader();
    // The copy: a ring with the source's registry, written by a raw writer.
    let copy = Publisher::<MarketData>::new(RingBuffer::with_capacity(1 << 16))?.ring().clone();
    let mut subscriber = Subscriber::<MarketData>::new(copy.clone())?.with_losses_by_type();
    let mut writer = copy.into_writer();
    let mut dropped = [0u64; 2];
    for n in 0..200u64 {
        if n % 3 == 0 {
            source.publish(&quote(n))?;
        } else {
            source.publish(&market::trade(n))?;
        }
    }
    // The last of each type arrives, so every loss is attributed.
    source.publish(&quote(200))?;
    source.publish(&market::trade(201))?;
    let mut buf = vec![0; reader.mtu()];
    while let Some(frame) = reader.try_recv(&mut buf)? {
        if frame.seq % 7 == 5 && frame.seq < 200 {
            dropped[usize::try_from(frame.tag - 1)?] += 1;
            continue;
        }
        writer.send_stamped(&buf[..frame.len], bcast::Stamp::from(&frame))?;
    }
    assert_eq!(writer.messages_published(), 202, "numbered as the source");
    while subscriber.try_recv()?.is_some() {}
    let stats = subscriber.stats();
    assert_eq!(stats.lost, dropped.iter().sum::<u64>());
    assert_eq!(stats.received + stats.lost, 202);
    let lost: Vec<u64> =
        subscriber.lost_by_type().expect("counted").map(|(_, lost)| lost).collect();
    assert_eq!(lost, dropped);
    assert!(dropped.iter().all(|&d| d > 0), "both types dropped");
    // Numbers never go back: the writer refuses one below its next and stays where it was.
    let late = bcast::Stamp { tag: 1, seq: 150, tag_seq: 1, version: 0 };
    let refused = writer.send_stamped(b"late", late);
    assert_eq!(refused, Err(bcast::Error::SequenceBehind { seq: 150, next: 202 }));
    assert_eq!(writer.messages_published(), 202);
    Ok(())
}

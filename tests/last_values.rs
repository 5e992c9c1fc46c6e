//! Last-value tables: a late subscriber's snapshot holds the latest message of every key, then
//! the live stream goes on with no gap and no duplicate, while the publisher keeps publishing;
//! what does not fit the table is refused before it is published; a restarted publisher finds
//! its keys again; a table of another build is refused naming the field; and hostile table
//! contents give errors, never a panic. The racing test also runs under Miri (`ci/miri.sh`).

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::{
    LastValues, LastValuesError, PublishError, Publisher, Subscriber, TableMismatch, TypedOpenError,
};
use common::keyed::{Feed, FeedView, Heartbeat, Update, quote};

/// Each update's key: scattered over `keys` keys, the same in the publisher and the check.
fn key_of(counter: u64, keys: u64) -> u64 {
    let mut z = counter.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % keys
}

fn update(counter: u64, keys: u64) -> Update {
    Update::new(key_of(counter, keys), counter)
}

/// The racing test's scale: a million updates over ten thousand keys, a few hundred under
/// Miri.
struct Scale {
    keys: u64,
    /// Updates before the subscriber joins.
    before: u64,
    /// Updates after the subscriber took its snapshot.
    after: u64,
    /// Most updates in all: the ring holds all of them, so the live subscriber is never lapped.
    most: u64,
}

const SCALE: Scale = if cfg!(miri) {
    Scale { keys: 8, before: 60, after: 20, most: 200 }
} else {
    Scale { keys: 10_000, before: 1_000_000, after: 100_000, most: 1_900_000 }
};

#[test]
fn a_late_subscriber_gets_the_latest_message_of_every_key_then_every_later_update() {
    let Scale { keys, before, after, most } = SCALE;
    // 64-byte frames: the ring holds `most` of them and more.
    let capacity = usize::try_from(most * 64 + (most * 64) / 4).unwrap().next_power_of_two();
    let ring =
        LastValues::<Feed>::new(u32::try_from(keys).unwrap()).with_capacity(capacity).unwrap();
    let mut publisher = Publisher::<Feed>::new(ring.clone()).unwrap();
    let primed = Arc::new(AtomicBool::new(false));
    let joined = Arc::new(AtomicBool::new(false));
    let published = Arc::new(AtomicU64::new(0));
    let writer = thread::spawn({
        let (primed, joined, published) = (primed.clone(), joined.clone(), published.clone());
        move || {
            let mut after_join = None;
            for counter in 0..most {
                publisher.publish(&update(counter, keys)).unwrap();
                if counter % 7 == 0 {
                    // Unkeyed messages between: the merge steps over them.
                    publisher.publish(&Heartbeat { at: counter }).unwrap();
                }
                published.store(counter + 1, Ordering::Release);
                if counter + 1 == before {
                    primed.store(true, Ordering::Release);
                }
                if after_join.is_none() && joined.load(Ordering::Acquire) {
                    after_join = Some(counter + after);
                }
                if after_join == Some(counter) {
                    return counter + 1;
                }
            }
            most
        }
    });
    let deadline = Instant::now() + Duration::from_secs(if cfg!(miri) { 600 } else { 120 });
    while !primed.load(Ordering::Acquire) {
        assert!(Instant::now() < deadline, "the publisher never published {before} updates");
        thread::yield_now();
    }
    let mut subscriber = Subscriber::<Feed>::new(ring).unwrap();
    let mut snapshot = subscriber.snapshot().unwrap();
    let mut taken = HashMap::new();
    while let Some((_, view)) = snapshot.next_message().unwrap() {
        let FeedView::Update(update) = view else { panic!("only keyed types are in a snapshot") };
        assert!(taken.insert(update.key, *update).is_none(), "key {} twice", update.key);
    }
    drop(snapshot);
    joined.store(true, Ordering::Release);
    let busy_at_join = published.load(Ordering::Acquire);

    // The live stream: every update from the stitch point on, in order.
    let mut live = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "the live stream stalled after {} updates", live.len());
        match subscriber.recv_timeout(Duration::from_millis(100)).unwrap() {
            Some(FeedView::Update(update)) => live.push(update.counter),
            Some(_) => {}
            None if writer.is_finished() => break,
            None => {}
        }
    }
    let total = writer.join().unwrap();
    while let Some(view) = subscriber.try_recv().unwrap() {
        if let FeedView::Update(update) = view {
            live.push(update.counter);
        }
    }
    let stitch = *live.first().expect("updates after the snapshot");
    assert!(stitch >= before, "the snapshot ends after the first {before} updates");
    assert!(stitch < total, "the publisher was still publishing");
    assert!(busy_at_join < total, "the publisher went on after the snapshot");
    let expected: Vec<u64> = (stitch..total).collect();
    assert!(live == expected, "live updates {stitch}..{total}: a gap or a duplicate");

    // Exactly the latest update of every key before the stitch point.
    let mut latest = HashMap::new();
    for counter in 0..stitch {
        latest.insert(key_of(counter, keys), update(counter, keys));
    }
    assert_eq!(taken.len(), latest.len(), "one message per key");
    for (key, update) in &latest {
        assert_eq!(taken.get(key), Some(update), "key {key}: the latest before {stitch}");
    }
}

#[test]
fn a_message_that_does_not_fit_the_table_is_refused_and_not_published() {
    let ring = LastValues::<Feed>::new(2).key_bytes(8).entry_bytes(64).with_capacity(1 << 16);
    let ring = ring.unwrap();
    let mut publisher = Publisher::<Feed>::new(ring.clone()).unwrap();
    let mut subscriber = Subscriber::<Feed>::new(ring).unwrap();
    publisher.publish(&quote("EURUSD", 1.1)).unwrap();
    publisher.publish(&quote("USDJPY", 150.0)).unwrap();
    publisher.publish(&quote("EURUSD", 1.2)).unwrap();
    let full = publisher.publish(&quote("GBPUSD", 1.3));
    assert!(matches!(full, Err(PublishError::TableFull { keys: 2, .. })), "{full:?}");
    let long = publisher.publish(&quote("A KEY OF MANY BYTES", 1.3));
    assert!(matches!(long, Err(PublishError::KeyTooLong { max: 8, .. })), "{long:?}");
    let mut large = quote("EURUSD", 1.3);
    large.venues = vec![7; 100];
    let large = publisher.publish(&large);
    assert!(matches!(large, Err(PublishError::EntryTooLarge { max: 64, .. })), "{large:?}");
    // Other types are not limited by the table.
    publisher.publish(&Heartbeat { at: 1 }).unwrap();
    let mut bids = Vec::new();
    while let Some(view) = subscriber.try_recv().unwrap() {
        match view {
            FeedView::Quote(quote) => bids.push(quote.bid.to_native()),
            FeedView::Heartbeat(_) => bids.push(0.0),
            FeedView::Update(_) => panic!("no updates were published"),
        }
    }
    assert_eq!(bids, [1.1, 150.0, 1.2, 0.0], "the refused messages were not published");
}

#[test]
fn a_snapshot_of_several_keyed_types_leaves_unkeyed_ones_to_the_live_stream() {
    let ring = LastValues::<Feed>::new(16).with_capacity(1 << 12).unwrap();
    let mut publisher = Publisher::<Feed>::new(ring.clone()).unwrap();
    publisher.publish(&quote("EURUSD", 1.1)).unwrap();
    publisher.publish(&update(1, 4)).unwrap();
    // Several laps of unkeyed messages: the snapshot's merge still starts inside the ring.
    for at in 0..200 {
        publisher.publish(&Heartbeat { at }).unwrap();
    }
    publisher.publish(&quote("EURUSD", 1.2)).unwrap();
    let mut subscriber = Subscriber::<Feed>::new(ring).unwrap();
    let mut snapshot = subscriber.snapshot().unwrap();
    assert_eq!(snapshot.len(), 2);
    let mut seen = Vec::new();
    while let Some((received, view)) = snapshot.next_message().unwrap() {
        match view {
            FeedView::Update(update) => seen.push(format!("update {}", update.counter)),
            FeedView::Quote(quote) => seen.push(format!("{} {}", quote.symbol, quote.bid)),
            FeedView::Heartbeat(_) => panic!("unkeyed message in a snapshot"),
        }
        assert!(received.seq <= 202);
    }
    assert_eq!(seen, ["update 1", "EURUSD 1.2"], "in the order they were published");
    drop(snapshot);
    assert!(subscriber.try_recv().unwrap().is_none(), "nothing after the snapshot yet");
    publisher.publish(&Heartbeat { at: 7 }).unwrap();
    assert!(matches!(subscriber.try_recv().unwrap(), Some(FeedView::Heartbeat(_))));
}

#[test]
fn a_channel_without_a_table_has_no_snapshot() {
    let ring = RingBuffer::with_capacity(1 << 12);
    let _publisher = Publisher::<Feed>::new(ring.clone()).unwrap();
    let mut subscriber = Subscriber::<Feed>::new(ring).unwrap();
    let error = subscriber.snapshot().unwrap_err();
    assert!(matches!(error, LastValuesError::NoTable { .. }), "{error}");
    let error = LastValues::<Plain>::new(8).with_capacity(1 << 12).unwrap_err();
    assert!(matches!(error, LastValuesError::NoKeyedTypes { .. }), "{error}");
}

#[derive(Debug, bcast::BcastChannel)]
pub(crate) enum Plain {
    Heartbeat(Heartbeat),
}

/// The same tag and fields as [`Update`], keyed by another field.
mod rekeyed {
    #[bcast::typed::message(tag = 1, pod)]
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Update {
        pub(crate) key: u64,
        #[bcast(key)]
        pub(crate) counter: u64,
        pub(crate) value: u64,
    }

    #[derive(Debug, bcast::BcastChannel)]
    pub(crate) enum Feed {
        Update(Update),
    }
}

#[test]
fn a_table_keyed_by_another_field_is_refused_naming_both_fields() {
    let ring = LastValues::<rekeyed::Feed>::new(8).with_capacity(1 << 12).unwrap();
    let publisher = Publisher::<rekeyed::Feed>::new(ring.clone()).unwrap();
    // `Feed` also carries `Quote` and `Heartbeat`: its registry is a superset, which a
    // subscriber accepts; its key is not.
    let mut subscriber = Subscriber::<Feed>::new(ring.clone()).unwrap();
    let error = subscriber.snapshot().unwrap_err().to_string();
    assert!(error.contains("`counter`") && error.contains("`key`"), "{error}");
    drop(publisher);
    let error = Publisher::<Feed>::new(ring.clone()).unwrap_err();
    assert!(matches!(error, TypedOpenError::Mismatch(_) | TypedOpenError::Table { .. }), "{error}");
    // A publisher of the same registry but another key cannot keep the table: the error names
    // the type and both fields.
    let error = Publisher::<UpdatesOnly>::new(ring).unwrap_err();
    let TypedOpenError::Table { source: TableMismatch::KeyField { type_name, reason }, .. } =
        &error
    else {
        panic!("a table mismatch was expected: {error}");
    };
    assert_eq!(*type_name, "Update");
    assert!(reason.contains("`counter`") && reason.contains("`key`"), "{reason}");
}

/// [`Feed`]'s keyed pod type alone: the registry of [`rekeyed::Feed`], keyed by `key`.
#[derive(Debug, bcast::BcastChannel)]
pub(crate) enum UpdatesOnly {
    Update(Update),
}

#[cfg(all(target_os = "linux", not(miri)))]
mod files {
    use super::*;
    use common::ShmPath;
    use std::os::unix::fs::FileExt;

    #[test]
    fn a_restarted_publisher_finds_its_keys_and_readers_of_the_file_get_the_snapshot() {
        let path = ShmPath::new("last-values-restart");
        let table = LastValues::<Feed>::new(3);
        {
            let mut publisher = Publisher::<Feed>::new(table.create(&path.0, 1 << 16).unwrap());
            let publisher = publisher.as_mut().unwrap();
            for symbol in ["A", "B", "C"] {
                publisher.publish(&quote(symbol, 1.0)).unwrap();
            }
        }
        let mut publisher =
            Publisher::<Feed>::new(table.create(&path.0, 1 << 16).unwrap()).unwrap();
        publisher.publish(&quote("B", 2.0)).unwrap();
        let full = publisher.publish(&quote("D", 1.0));
        assert!(matches!(full, Err(PublishError::TableFull { .. })), "{full:?}");
        let mut subscriber = Subscriber::<Feed>::new(RingBuffer::attach(&path.0).unwrap()).unwrap();
        let mut snapshot = subscriber.snapshot().unwrap();
        let mut seen = Vec::new();
        while let Some((_, view)) = snapshot.next_message().unwrap() {
            let FeedView::Quote(quote) = view else { panic!("quotes only") };
            seen.push(format!("{} {}", quote.symbol, quote.bid));
        }
        assert_eq!(seen, ["A 1", "C 1", "B 2"]);
        // A channel of another table size is not reopened as this one.
        drop(publisher);
        let other = LastValues::<Feed>::new(4).create(&path.0, 1 << 16).unwrap_err().to_string();
        assert!(other.contains("last-value table"), "{other}");
    }

    /// Where the table starts in a channel file of `capacity` bytes.
    const TABLE: u64 = 65536 + (1 << 16);

    #[test]
    fn hostile_table_contents_give_errors_never_a_panic() {
        let path = ShmPath::new("last-values-hostile");
        let table = LastValues::<Feed>::new(4).entry_bytes(96);
        let ring = table.create(&path.0, 1 << 16).unwrap();
        let table_len = table.table_bytes().unwrap();
        let mut publisher = Publisher::<Feed>::new(ring).unwrap();
        for (i, symbol) in ["EURUSD", "USDJPY", "A LONGER SYMBOL THAN INLINE"].iter().enumerate() {
            publisher.publish(&quote(symbol, i as f64)).unwrap();
            publisher.publish(&update(i as u64, 4)).unwrap();
        }
        drop(publisher);
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&path.0).unwrap();
        let original = {
            let mut bytes = vec![0u8; usize::try_from(table_len).unwrap()];
            file.read_exact_at(&mut bytes, TABLE).unwrap();
            bytes
        };
        // Every byte that holds anything, flipped a few ways: one at a time, from a fresh copy.
        let used: Vec<usize> = (0..original.len()).filter(|&i| original[i] != 0).collect();
        assert!(used.len() > 100, "the table holds messages");
        let (mut refused, mut read) = (0, 0);
        let mut mutations = 0;
        for (n, &at) in used.iter().enumerate() {
            for flip in [0x01u8, 0x80, 0xFF] {
                if (n + usize::from(flip)) % 3 != 0 {
                    continue;
                }
                mutations += 1;
                file.write_all_at(&[original[at] ^ flip], TABLE + at as u64).unwrap();
                match RingBuffer::attach(&path.0) {
                    Err(_) => refused += 1,
                    Ok(ring) => match Subscriber::<Feed>::new(ring).map(|mut s| {
                        let mut snapshot = s.snapshot()?;
                        let mut n = 0;
                        while snapshot.next_message()?.is_some() {
                            n += 1;
                        }
                        Ok::<_, LastValuesError>(n)
                    }) {
                        Ok(Ok(_)) => read += 1,
                        Ok(Err(_)) | Err(_) => refused += 1,
                    },
                }
                file.write_all_at(&original[at..=at], TABLE + at as u64).unwrap();
            }
        }
        assert_eq!(refused + read, mutations);
        assert!(refused > 0 && read > 0, "{refused} refused, {read} read");
    }

    #[test]
    fn a_corrupt_table_description_is_refused_when_the_channel_is_attached() {
        let path = ShmPath::new("last-values-directory");
        let table = LastValues::<Feed>::new(4);
        drop(Publisher::<Feed>::new(table.create(&path.0, 1 << 16).unwrap()).unwrap());
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&path.0).unwrap();
        // The first lane's slot count, far past the table.
        file.write_all_at(&u64::MAX.to_le_bytes(), TABLE + 256 + 8).unwrap();
        let error = RingBuffer::attach(&path.0).unwrap_err().to_string();
        assert!(error.contains("last-value table"), "{error}");
    }
}

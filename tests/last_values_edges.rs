//! Last-value tables at their edges: a publisher restarted after a crash between publishing a
//! keyed message and writing its slot; a message refused by the MTU after its key was placed;
//! per-type losses across a snapshot; a snapshot's merge bounded where it ends although the
//! subscriber skips other types' frames; slots and lanes that claim more than the MTU; and the
//! late registry check before a snapshot.
#![cfg(all(target_os = "linux", not(miri)))]

mod common;

use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use bcast::RingBuffer;
use bcast::typed::{LastValues, PublishError, Publisher, Subscriber};
use common::ShmPath;
use common::keyed::{Feed, FeedView, Heartbeat, Quote, Update};

/// A subscriber's channel without `Quote`: it skips those frames.
#[derive(Debug, bcast::BcastChannel)]
pub(crate) enum Partial {
    Update(Update),
    Heartbeat(Heartbeat),
}

/// The rings' capacity.
const CAP: usize = 1 << 16;
/// Where the table starts in a channel file of [`CAP`] bytes.
const TABLE: u64 = 65536 + CAP as u64;

/// A publisher that died after publishing a keyed message and before writing its slot left the
/// table as it was before the message: the next publisher tables the message again from the
/// ring, so a snapshot holds it, not the key's older value.
#[test]
fn a_publisher_restarted_after_a_crash_between_ring_and_slot_tables_the_message_again() {
    let path = ShmPath::new("lv-edges-restart");
    let lv = LastValues::<Feed>::new(4);
    let len = usize::try_from(lv.table_bytes().unwrap()).unwrap();
    let file_of = || std::fs::OpenOptions::new().read(true).write(true).open(&path.0).unwrap();
    {
        let mut p = Publisher::<Feed>::new(lv.create(&path.0, CAP).unwrap()).unwrap();
        p.publish(&Update::new(7, 1)).unwrap();
        let mut saved = vec![0u8; len];
        file_of().read_exact_at(&mut saved, TABLE).unwrap();
        p.publish(&Update::new(7, 2)).unwrap();
        // The state a crash right after `send_counted` leaves: table (and tabled) as before.
        file_of().write_all_at(&saved, TABLE).unwrap();
    }
    let mut p = Publisher::<Feed>::new(lv.create(&path.0, CAP).unwrap()).unwrap();
    p.publish(&Update::new(8, 3)).unwrap();
    let mut s = Subscriber::<Feed>::new(RingBuffer::attach(&path.0).unwrap()).unwrap();
    let mut snap = s.snapshot().unwrap();
    let mut got = Vec::new();
    while let Some((_, v)) = snap.next_message().unwrap() {
        if let FeedView::Update(u) = v {
            got.push((u.key, u.counter));
        }
    }
    got.sort();
    assert_eq!(got, [(7, 2), (8, 3)], "key 7's latest is counter 2");
}

/// An entry larger than the ring's MTU is refused when the channel is made (no message could
/// fill it), and a message refused for its size takes no slot from the keys after it.
#[test]
fn a_message_the_mtu_refuses_takes_no_slot() {
    let error = LastValues::<Feed>::new(1).entry_bytes(1 << 14).with_capacity(1 << 12).unwrap_err();
    assert!(error.to_string().contains("MTU"), "{error}");
    let ring = LastValues::<Feed>::new(1).entry_bytes(256).with_capacity(1 << 12).unwrap();
    let mut p = Publisher::<Feed>::new(ring).unwrap();
    let big = Quote { symbol: "A".into(), bid: 1.0, venues: vec![1; 4000] };
    let e = p.publish(&big);
    assert!(matches!(e, Err(PublishError::EntryTooLarge { .. })), "{e:?}");
    let small = Quote { symbol: "B".into(), bid: 1.0, venues: vec![1] };
    let r = p.publish(&small);
    assert!(r.is_ok(), "nothing is in the table yet: {r:?}");
}

/// A snapshot moves a subscriber back over messages it had read (its merge starts at the
/// table's `tabled`): no type counts the messages before and after as lost.
#[test]
fn a_snapshot_counts_no_losses_per_type() {
    let ring = LastValues::<Feed>::new(4).with_capacity(1 << 16).unwrap();
    let mut p = Publisher::<Feed>::new(ring.clone()).unwrap();
    let mut s = Subscriber::<Feed>::new(ring).unwrap().with_losses_by_type();
    p.publish(&Update::new(1, 1)).unwrap();
    p.publish(&Heartbeat { at: 1 }).unwrap();
    p.publish(&Heartbeat { at: 2 }).unwrap();
    while s.try_recv().unwrap().is_some() {}
    drop(s.snapshot().unwrap());
    let lost: Vec<u64> = s.lost_by_type().unwrap().map(|(_, l)| l).collect();
    assert_eq!(lost, [0, 0, 0], "reader lost {}", s.stats().lost);
}

/// A subscriber that skips another type's frames ends a snapshot's merge exactly where the
/// snapshot ends, while the publisher goes on: reading on among skipped frames would lose the
/// message after them, or take it into the snapshot.
#[test]
fn the_merge_stops_where_the_snapshot_ends_when_the_subscriber_skips_other_types() {
    let ring = LastValues::<Feed>::new(64).with_capacity(1 << 22).unwrap();
    let mut p = Publisher::<Feed>::new(ring.clone()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let w = thread::spawn({
        let stop = stop.clone();
        move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                p.publish(&Update::new(i % 64, i)).unwrap();
                for _ in 0..500 {
                    p.publish(&Heartbeat { at: i }).unwrap();
                    p.publish(&Quote { symbol: "Q".into(), bid: 1.0, venues: vec![] }).unwrap();
                }
                i += 1;
                if i.is_multiple_of(64) {
                    thread::yield_now();
                }
            }
        }
    });
    let (mut bad, mut errs, mut ok) = (0, 0, 0);
    for _ in 0..2000 {
        let mut s = Subscriber::<Partial>::new(ring.clone()).unwrap();
        let pos = match s.snapshot() {
            Ok(snap) => snap.position(),
            Err(e) => {
                errs += 1;
                if errs < 3 {
                    eprintln!("{e}");
                }
                continue;
            }
        };
        ok += 1;
        if s.position() != pos {
            bad += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    w.join().unwrap();
    assert!(ok > 0, "every snapshot failed");
    assert_eq!(bad, 0, "of {ok} snapshots, {bad} left the subscriber elsewhere than they end");
}

/// A lane without slots, or one whose entries or keys are larger than its ring carries (which
/// would make readers allocate what the lane says), is refused when the channel is attached.
#[test]
fn a_lane_of_no_slots_or_more_than_the_mtu_is_refused_at_attach() {
    let path = ShmPath::new("lv-edges-lanes");
    let lv = LastValues::<Feed>::new(1);
    drop(Publisher::<Feed>::new(lv.create(&path.0, CAP).unwrap()).unwrap());
    let f = std::fs::OpenOptions::new().read(true).write(true).open(&path.0).unwrap();
    // The second lane's description (Quote's).
    let d = TABLE + 256 + 128;
    let mut original = [0u8; 128];
    f.read_exact_at(&mut original, d).unwrap();
    let word = |at: usize| u64::from_le_bytes(original[at..at + 8].try_into().unwrap());
    let stride = |key_max: u64, payload_max: u64| {
        ((5 + key_max.div_ceil(8) + payload_max.div_ceil(8)) * 8).next_multiple_of(64)
    };
    let (key_max, payload_max) = (word(16) & 0xFFFF_FFFF, 0xFFFF_FF00u64);
    let huge = [(16, key_max | payload_max << 32), (32, stride(key_max, payload_max))];
    let (big_key, payload) = (1u64 << 20, word(16) >> 32);
    let long_keys = [(16, big_key | payload << 32), (32, stride(big_key, payload))];
    for (what, edits) in [
        ("no slots", vec![(8, 0)]),
        ("no slots, entries of 4 GiB", vec![(8, 0), huge[0], huge[1]]),
        ("keys of 1 MiB", long_keys.to_vec()),
    ] {
        for (at, value) in &edits {
            f.write_all_at(&value.to_le_bytes(), d + at).unwrap();
        }
        let error = RingBuffer::attach(&path.0).map(|_| ()).unwrap_err().to_string();
        assert!(error.contains("last-value table"), "{what}: {error}");
        f.write_all_at(&original, d).unwrap();
    }
    assert!(RingBuffer::attach(&path.0).is_ok(), "the original lane is accepted");
}

mod other {
    #[bcast::typed::message(tag = 1, pod)]
    pub(crate) struct Update {
        #[bcast(key)]
        pub(crate) key: u64,
        pub(crate) price_in_cents: i64,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Update(Update),
    }
}

/// A subscriber made before any publisher checks the registry when it first reads: a snapshot
/// checks it before it decodes the table, and refuses a publisher of another schema.
#[test]
fn a_snapshot_checks_a_late_registry_first() {
    let ring = LastValues::<other::Feed>::new(4).with_capacity(1 << 16).unwrap();
    let mut s = Subscriber::<UpdOnly>::new(ring.clone()).unwrap();
    let mut p = Publisher::<other::Feed>::new(ring).unwrap();
    p.publish(&other::Update { key: 1, price_in_cents: -5 }).unwrap();
    let r = s.snapshot().map(|mut snap| {
        let mut v = Vec::new();
        while let Some((_, UpdOnlyView::Update(u))) = snap.next_message().unwrap() {
            v.push((u.key, u.counter));
        }
        v
    });
    eprintln!("{r:?}");
    assert!(r.is_err(), "an incompatible registry: {r:?}");
}

#[derive(Debug, bcast::BcastChannel)]
pub(crate) enum UpdOnly {
    Update(Update),
}

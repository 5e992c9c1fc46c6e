//! Reading across versions of a pod message type: a subscriber of version N reads frames of
//! versions N - 1 and N + 1 (in one process and across processes over `/dev/shm`), a publisher
//! may be older than its channel, and every change the rules do not allow is refused with the
//! rule it breaks.

mod common;

use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::{
    Difference, Evolution, Publisher, RecvError, Subscriber, TypedMessage, TypedOpenError,
};

/// Defines module `$m` with a pod `Trade` (tag 2) of the given version and fields, and a
/// `Feed` channel of it.
macro_rules! trade {
    ($m:ident, version = $v:literal, { $($(#[$a:meta])* $f:ident: $t:ty),* }) => {
        mod $m {
            #[bcast::typed::message(tag = 2, version = $v, pod)]
            #[derive(Debug, Clone, Copy, PartialEq)]
            #[repr(C)]
            pub(crate) struct Trade {
                $($(#[$a])* pub(crate) $f: $t),*
            }
            #[derive(Debug, bcast::BcastChannel)]
            pub(crate) enum Feed {
                Trade(Trade),
            }
        }
    };
}

trade!(v1, version = 1, { price: f64, qty: u64 });
trade!(v2, version = 2, {
    price: f64,
    qty: u64,
    #[bcast(since = 2)] venue: u32,
    #[bcast(since = 2)] flags: u32
});
trade!(v3, version = 3, {
    price: f64,
    qty: u64,
    #[bcast(since = 2)] venue: u32,
    #[bcast(since = 2)] flags: u32,
    #[bcast(since = 3)] id: u64
});
// Changes the rules refuse.
trade!(retyped, version = 2, { price: f32, pad: u32, qty: u64 });
trade!(removed, version = 2, { price: f64 });
trade!(unmarked, version = 2, { price: f64, qty: u64, venue: u32, flags: u32 });
trade!(same_version, version = 1, { price: f64, qty: u64, #[bcast(since = 1)] venue: u64 });

/// Publishes `P`'s trades on a heap ring read by a subscriber of `S`.
fn channel<P: bcast::typed::Channel, S: bcast::typed::Channel>()
-> Result<(Publisher<P>, Subscriber<S>), TypedOpenError> {
    let ring = RingBuffer::with_capacity(1 << 16);
    let publisher = Publisher::<P>::new(ring.clone())?;
    Ok((publisher, Subscriber::<S>::new(ring)?))
}

#[test]
fn a_newer_subscriber_reads_older_records_with_the_added_fields_zero()
-> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = channel::<v1::Feed, v3::Feed>()?;
    for qty in 1..=3 {
        publisher.publish(&v1::Trade { price: 1.5, qty })?;
    }
    let complete = |qty| v3::Trade { price: 1.5, qty, venue: 0, flags: 0, id: 0 };
    // One at a time, in a batch (with each frame's version), and waiting.
    let v3::FeedView::Trade(trade) = subscriber.try_recv()?.expect("published");
    assert_eq!(*trade, complete(1));
    let batch: Vec<(u16, v3::Trade)> = subscriber
        .batch_iter()
        .with_meta()
        .map(|item| item.map(|(meta, v3::FeedView::Trade(trade))| (meta.version, *trade)))
        .collect::<Result<_, _>>()?;
    assert_eq!(batch, [(1, complete(2)), (1, complete(3))]);
    publisher.publish(&v1::Trade { price: 1.5, qty: 4 })?;
    let Some(v3::FeedView::Trade(trade)) = subscriber.recv_timeout(Duration::from_secs(5))? else {
        panic!("published");
    };
    assert_eq!(*trade, complete(4));
    Ok(())
}

#[test]
fn the_added_fields_are_zero_whatever_the_subscribers_buffer_held_before()
-> Result<(), Box<dyn std::error::Error>> {
    use bcast::zerocopy::IntoBytes;

    let (publisher, mut subscriber) = channel::<v1::Feed, v3::Feed>()?;
    let ring = publisher.ring().clone();
    drop(publisher);
    let mut writer = ring.into_writer();
    let record = v1::Trade { price: 4.0, qty: 8 };
    let stamp = |seq| bcast::Stamp { tag: v1::Trade::TAG, seq, tag_seq: 1, version: 1 };
    for round in 0..2 {
        // A frame of no type of the channel, all ones, copied into the buffer and refused.
        writer.send_with_tag(&[0xFF; 64], 99)?;
        let seq = writer.messages_published();
        writer.send_stamped(record.as_bytes(), stamp(seq))?;
        let trade = if round == 0 {
            assert!(matches!(subscriber.try_recv(), Err(RecvError::UnknownTag { tag: 99, .. })));
            let v3::FeedView::Trade(trade) = subscriber.try_recv()?.expect("sent");
            *trade
        } else {
            let mut batch = subscriber.batch_iter();
            assert!(matches!(batch.next(), Some(Err(RecvError::UnknownTag { tag: 99, .. }))));
            let v3::FeedView::Trade(trade) = batch.next().expect("sent")?;
            *trade
        };
        assert_eq!(trade, v3::Trade { price: 4.0, qty: 8, venue: 0, flags: 0, id: 0 });
    }
    Ok(())
}

#[test]
fn an_older_subscriber_reads_the_fields_it_knows_of_newer_records()
-> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = channel::<v3::Feed, v1::Feed>()?;
    let trade = |qty| v3::Trade { price: 2.5, qty, venue: 7, flags: 1, id: 99 };
    publisher.publish(&trade(1))?;
    publisher.publish(&trade(2))?;
    let v1::FeedView::Trade(first) = subscriber.try_recv()?.expect("published");
    assert_eq!(*first, v1::Trade { price: 2.5, qty: 1 });
    let rest: Vec<v1::Trade> = subscriber
        .batch_iter()
        .map(|item| item.map(|v1::FeedView::Trade(trade)| *trade))
        .collect::<Result<_, _>>()?;
    assert_eq!(rest, [v1::Trade { price: 2.5, qty: 2 }]);
    // A version between: its own fields, none of the later one's.
    let (mut publisher, mut middle) = channel::<v3::Feed, v2::Feed>()?;
    publisher.publish(&trade(3))?;
    let v2::FeedView::Trade(trade) = middle.try_recv()?.expect("published");
    assert_eq!(*trade, v2::Trade { price: 2.5, qty: 3, venue: 7, flags: 1 });
    Ok(())
}

#[test]
fn a_publisher_may_be_older_than_its_channel_and_a_newer_one_rolls_it_over()
-> Result<(), Box<dyn std::error::Error>> {
    let path = common::ShmPath::new("evolution-rollover");
    let ring = RingBuffer::create(&path.0, 1 << 16)?;
    drop(Publisher::<v2::Feed>::new(ring)?);
    // An older publisher writes into the version-2 channel; its subscribers complete the records.
    let mut older = Publisher::<v1::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let mut v2_subscriber = Subscriber::<v2::Feed>::new(RingBuffer::attach(&path.0)?)?;
    let mut v1_subscriber = Subscriber::<v1::Feed>::new(RingBuffer::attach(&path.0)?)?;
    older.publish(&v1::Trade { price: 1.0, qty: 3 })?;
    let v2::FeedView::Trade(trade) = v2_subscriber.try_recv()?.expect("published");
    assert_eq!(*trade, v2::Trade { price: 1.0, qty: 3, venue: 0, flags: 0 });
    drop(older);
    // A publisher of version 3 takes the file over: the channel's registry is version 3 from
    // now on, and the subscribers attached before read on.
    let mut newer = Publisher::<v3::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let registry =
        bcast::typed::Registry::read_from(&RingBuffer::attach(&path.0)?)?.expect("typed");
    assert_eq!(registry, bcast::typed::Registry::of::<v3::Feed>());
    newer.publish(&v3::Trade { price: 2.0, qty: 4, venue: 5, flags: 6, id: 7 })?;
    let v1::FeedView::Trade(trade) = v1_subscriber.try_recv()?.expect("the first record");
    assert_eq!(*trade, v1::Trade { price: 1.0, qty: 3 });
    let v1::FeedView::Trade(trade) = v1_subscriber.try_recv()?.expect("the version-3 record");
    assert_eq!(*trade, v1::Trade { price: 2.0, qty: 4 });
    let v2::FeedView::Trade(trade) = v2_subscriber.try_recv()?.expect("the version-3 record");
    assert_eq!(*trade, v2::Trade { price: 2.0, qty: 4, venue: 5, flags: 6 });
    // Subscribers of every version attach to the rolled-over channel.
    let mut v3_subscriber = Subscriber::<v3::Feed>::new(RingBuffer::attach(&path.0)?)?;
    assert!(Subscriber::<v1::Feed>::new(RingBuffer::attach(&path.0)?).is_ok());
    newer.publish(&v3::Trade { price: 3.0, qty: 5, venue: 1, flags: 2, id: 3 })?;
    let v3::FeedView::Trade(trade) = v3_subscriber.try_recv()?.expect("published");
    assert_eq!(trade.id, 3);
    // An older publisher is still welcome; one that breaks a rule is not.
    drop(newer);
    drop(Publisher::<v1::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?)?);
    let refused = Publisher::<retyped::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?);
    assert!(matches!(refused, Err(TypedOpenError::Mismatch(_))));
    Ok(())
}

/// The rule a subscriber of `S` breaks on a channel of `P`.
fn rule<P: bcast::typed::Channel, S: bcast::typed::Channel>() -> (&'static str, String) {
    let Err(TypedOpenError::Mismatch(mismatch)) = channel::<P, S>() else {
        panic!("refused");
    };
    let refusals = mismatch.refusals();
    let [Difference::Changed { evolution: Evolution::Refused(rule), .. }] = refusals.as_slice()
    else {
        panic!("one changed type: {refusals:?}");
    };
    (rule, mismatch.to_string())
}

#[test]
fn every_change_the_rules_do_not_allow_is_refused_with_its_rule() {
    let (rule_text, text) = rule::<v1::Feed, retyped::Feed>();
    assert!(rule_text.contains("cannot change its type, name, place or version"), "{text}");
    assert!(text.contains("`Trade.price`: f32 here, f64 in the channel"), "{text}");
    let (rule_text, _) = rule::<v1::Feed, removed::Feed>();
    assert!(rule_text.contains("cannot remove fields"), "{rule_text}");
    let (rule_text, _) = rule::<v1::Feed, unmarked::Feed>();
    assert!(rule_text.contains("must say so"), "{rule_text}");
    let (rule_text, _) = rule::<v1::Feed, same_version::Feed>();
    assert!(rule_text.contains("the same version on both sides"), "{rule_text}");
    // Both ways.
    let (rule_text, _) = rule::<unmarked::Feed, v1::Feed>();
    assert!(rule_text.contains("must say so"), "{rule_text}");
}

#[test]
fn a_record_whose_length_is_not_that_of_its_version_is_an_error_not_a_guess()
-> Result<(), Box<dyn std::error::Error>> {
    let (publisher, mut subscriber) = channel::<v1::Feed, v3::Feed>()?;
    // A writer that says version 1 and sends 20 bytes, where version 1 is 16.
    let ring = publisher.ring().clone();
    drop(publisher);
    let mut writer = ring.into_writer();
    let stamp = bcast::Stamp { tag: v1::Trade::TAG, seq: 0, tag_seq: 1, version: 1 };
    writer.send_stamped(&[0; 20], stamp)?;
    let error = subscriber.try_recv().map(|_| ()).unwrap_err();
    let RecvError::Decode { source, .. } = &error else { panic!("{error:?}") };
    assert!(matches!(
        source,
        bcast::typed::DecodeError::Version { ours: 3, found: 1, len: 20, .. }
    ));
    assert!(error.to_string().contains("version 3 cannot read the 20-byte payload of version 1"));
    Ok(())
}

/// Messages each side of the cross-process test publishes.
const MESSAGES: u64 = 500;
/// Set for the child process: `PATH VERSION`, the channel and the subscriber's version.
const CHILD_ENV: &str = "BCAST_EVOLUTION_CHILD";

/// Run in a child process by `versions_are_read_across_processes`: a subscriber of version 1
/// or 3 reads the channel from its oldest frame until it has every message.
#[test]
#[cfg(all(target_os = "linux", not(miri)))]
fn child_subscriber_of_another_version() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(argument) = std::env::var(CHILD_ENV) else { return Ok(()) };
    let (path, version) = argument.rsplit_once(' ').expect("PATH VERSION");
    let ring = RingBuffer::attach(path)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut qty = 0;
    if version == "3" {
        let mut subscriber = Subscriber::<v3::Feed>::new(ring)?;
        subscriber.reset_to_oldest();
        while qty < MESSAGES {
            assert!(Instant::now() < deadline, "timed out after {qty} messages");
            while let Some(v3::FeedView::Trade(trade)) = subscriber.try_recv()? {
                assert_eq!(*trade, v3::Trade { price: 0.5, qty, venue: 0, flags: 0, id: 0 });
                qty += 1;
            }
        }
    } else {
        let mut subscriber = Subscriber::<v1::Feed>::new(ring)?;
        subscriber.reset_to_oldest();
        while qty < MESSAGES {
            assert!(Instant::now() < deadline, "timed out after {qty} messages");
            while let Some(v1::FeedView::Trade(trade)) = subscriber.try_recv()? {
                assert_eq!(*trade, v1::Trade { price: 0.5, qty });
                qty += 1;
            }
        }
    }
    Ok(())
}

#[test]
#[cfg(all(target_os = "linux", not(miri)))]
fn versions_are_read_across_processes() -> Result<(), Box<dyn std::error::Error>> {
    use std::process::Command;

    for (publishing, reading) in [(1, 3), (3, 1)] {
        let path = common::ShmPath::new(&format!("evolution-{publishing}-{reading}"));
        let ring = RingBuffer::create(&path.0, 1 << 16)?;
        let mut publish: Box<dyn FnMut(u64) -> Result<(), bcast::typed::PublishError>> =
            if publishing == 1 {
                let mut publisher = Publisher::<v1::Feed>::new(ring)?;
                Box::new(move |qty| publisher.publish(&v1::Trade { price: 0.5, qty }))
            } else {
                let mut publisher = Publisher::<v3::Feed>::new(ring)?;
                let trade = |qty| v3::Trade { price: 0.5, qty, venue: 4, flags: 2, id: qty };
                Box::new(move |qty| publisher.publish(&trade(qty)))
            };
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--exact", "child_subscriber_of_another_version", "--nocapture"])
            .env(CHILD_ENV, format!("{} {reading}", path.0.display()))
            .spawn()?;
        // 500 records of at most 40 bytes fit the ring: the child may start late and replay.
        for qty in 0..MESSAGES {
            publish(qty)?;
        }
        let status = child.wait()?;
        assert!(status.success(), "the version-{reading} child failed: {status}");
    }
    Ok(())
}

#[test]
fn tools_decode_records_of_every_version_without_the_types()
-> Result<(), Box<dyn std::error::Error>> {
    use bcast::typed::Decoder;
    use bcast::typed::decoder::FrameError;
    use bcast::zerocopy::IntoBytes;

    let (publisher, _subscriber) = channel::<v3::Feed, v3::Feed>()?;
    let decoder = Decoder::read_from(publisher.ring())?;
    let old = v1::Trade { price: 1.5, qty: 2 };
    let value = decoder.decode_version(2, 1, old.as_bytes())?;
    assert_eq!(value.to_string(), "Trade { price: 1.5, qty: 2 }");
    let middle = v2::Trade { price: 1.5, qty: 2, venue: 3, flags: 4 };
    let value = decoder.decode_version(2, 2, middle.as_bytes())?;
    assert_eq!(value.to_string(), "Trade { price: 1.5, qty: 2, venue: 3, flags: 4 }");
    let wrong = decoder.decode_version(2, 1, middle.as_bytes());
    assert!(matches!(wrong, Err(FrameError::Size { expected: 16, found: 24 })), "{wrong:?}");
    // A description of an earlier version decodes a later record by the fields it knows.
    let (earlier, _subscriber) = channel::<v1::Feed, v1::Feed>()?;
    let decoder = Decoder::read_from(earlier.ring())?;
    let newer = v3::Trade { price: 1.5, qty: 2, venue: 3, flags: 4, id: 5 };
    let value = decoder.decode_version(2, 3, newer.as_bytes())?;
    assert_eq!(value.to_string(), "Trade { price: 1.5, qty: 2 }");
    Ok(())
}

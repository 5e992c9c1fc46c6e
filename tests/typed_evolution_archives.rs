//! Reading across versions of an rkyv message type: a subscriber of version N reads archives of
//! versions N - 1 and N + 1 (in one process and across processes over `/dev/shm`), fields added
//! since an archive was written read as absent (`None`) or zero, a channel is rolled over from
//! version 1 to 3 under a live version-1 subscriber, and every change the rules do not allow
//! for archives is refused with the rule it breaks.

mod common;

use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::{
    DecodeError, Difference, Evolution, Publisher, RecvError, Subscriber, TypedMessage,
    TypedOpenError,
};

/// Defines module `$m` with an rkyv `Quote` (tag 3) of the given version and fields, and a
/// `Feed` channel of it.
macro_rules! quote {
    ($m:ident, version = $v:literal, { $($(#[$a:meta])* $f:ident: $t:ty),* }) => {
        mod $m {
            #[bcast::typed::message(tag = 3, version = $v)]
            #[derive(Debug, Clone, PartialEq)]
            pub(crate) struct Quote {
                $($(#[$a])* pub(crate) $f: $t),*
            }
            #[derive(Debug, bcast::BcastChannel)]
            pub(crate) enum Feed {
                Quote(Quote),
            }
        }
    };
}

quote!(v1, version = 1, { symbol: String, bid: f64 });
quote!(v2, version = 2, {
    symbol: String,
    bid: f64,
    #[bcast(since = 2)] note: Option<String>,
    #[bcast(since = 2)] size: u32
});
quote!(v3, version = 3, {
    symbol: String,
    bid: f64,
    #[bcast(since = 2)] note: Option<String>,
    #[bcast(since = 2)] size: u32,
    #[bcast(since = 3)] venues: Option<Vec<u16>>,
    #[bcast(since = 3)] firm: bool
});
// Changes the rules refuse for archives.
quote!(string_added, version = 2, { symbol: String, bid: f64, #[bcast(since = 2)] note: String });
quote!(narrow, version = 1, { symbol: String, level: u32 });
quote!(widened, version = 2, { symbol: String, level: u32, #[bcast(since = 2)] total: u64 });

/// A symbol longer than rkyv keeps inline, so that the archive holds out-of-line bytes before
/// its root.
const LONG: &str = "ESZ6 Index Future, CME Globex";

fn v1(symbol: &str, bid: f64) -> v1::Quote {
    v1::Quote { symbol: symbol.into(), bid }
}

fn v2(symbol: &str, bid: f64) -> v2::Quote {
    v2::Quote { symbol: symbol.into(), bid, note: Some(format!("{symbol} note")), size: 7 }
}

fn v3(symbol: &str, bid: f64) -> v3::Quote {
    v3::Quote {
        symbol: symbol.into(),
        bid,
        note: Some(format!("{symbol} note")),
        size: 7,
        venues: Some(vec![1, 2, 3]),
        firm: true,
    }
}

/// `quote`, a version-1 message, as version 3 reads it: every field added since absent or zero.
fn completed(quote: &v1::Quote) -> v3::Quote {
    let (symbol, bid) = (quote.symbol.clone(), quote.bid);
    v3::Quote { symbol, bid, note: None, size: 0, venues: None, firm: false }
}

/// Publishes `P`'s quotes on a heap ring read by a subscriber of `S`.
fn channel<P: bcast::typed::Channel, S: bcast::typed::Channel>()
-> Result<(Publisher<P>, Subscriber<S>), TypedOpenError> {
    let ring = RingBuffer::with_capacity(1 << 16);
    let publisher = Publisher::<P>::new(ring.clone())?;
    Ok((publisher, Subscriber::<S>::new(ring)?))
}

/// The owned value of a version-3 view.
fn owned3(view: v3::FeedView<'_>) -> Result<v3::Quote, DecodeError> {
    let v3::Feed::Quote(quote) = view.to_message()?;
    Ok(quote)
}

/// The owned value of a version-1 view.
fn owned1(view: v1::FeedView<'_>) -> Result<v1::Quote, DecodeError> {
    let v1::Feed::Quote(quote) = view.to_message()?;
    Ok(quote)
}

#[test]
fn a_newer_subscriber_reads_older_archives_with_the_added_fields_absent()
-> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = channel::<v1::Feed, v3::Feed>()?;
    let quotes = [v1(LONG, 1.5), v1("ES", 2.5), v1(LONG, 3.5), v1("NQ", 4.5)];
    for quote in &quotes[..3] {
        publisher.publish(quote)?;
    }
    // One at a time, in a batch (with each frame's version), and waiting.
    let first = owned3(subscriber.try_recv()?.expect("published"))?;
    assert_eq!(first, completed(&quotes[0]));
    let batch: Vec<(u16, v3::Quote)> = subscriber
        .batch_iter()
        .with_meta()
        .map(|item| {
            let (meta, view) = item?;
            Ok::<_, Box<dyn std::error::Error>>((meta.version, owned3(view)?))
        })
        .collect::<Result<_, _>>()?;
    assert_eq!(batch, [(1, completed(&quotes[1])), (1, completed(&quotes[2]))]);
    publisher.publish(&quotes[3])?;
    let view = subscriber.recv_timeout(Duration::from_secs(5))?.expect("published");
    assert_eq!(owned3(view)?, completed(&quotes[3]));
    // The view's fields, as a consumer reads them: absent and zero.
    publisher.publish(&quotes[0])?;
    let v3::FeedView::Quote(quote) = subscriber.try_recv()?.expect("published");
    assert_eq!((quote.symbol.as_str(), quote.bid.to_native()), (LONG, 1.5));
    assert!(quote.note.is_none() && quote.venues.is_none() && !quote.firm);
    assert_eq!(quote.size, 0);
    // Without validation too: the completed archive is a valid one.
    publisher.publish(&quotes[1])?;
    // SAFETY: the only publisher is this test's, of a compatible version of `Quote`.
    let view = unsafe { subscriber.try_recv_unchecked() }?.expect("published");
    assert_eq!(owned3(view)?, completed(&quotes[1]));
    Ok(())
}

#[test]
fn a_version_between_keeps_its_own_fields_and_lacks_the_later_ones()
-> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = channel::<v2::Feed, v3::Feed>()?;
    publisher.publish(&v2(LONG, 1.0))?;
    let quote = owned3(subscriber.try_recv()?.expect("published"))?;
    let expected = v3::Quote { venues: None, firm: false, ..v3(LONG, 1.0) };
    assert_eq!(quote, expected);
    let (mut publisher, mut subscriber) = channel::<v3::Feed, v2::Feed>()?;
    publisher.publish(&v3(LONG, 2.0))?;
    let v2::FeedView::Quote(view) = subscriber.try_recv()?.expect("published");
    let v2::Feed::Quote(quote) = v2::FeedView::Quote(view).to_message()?;
    assert_eq!(quote, v2(LONG, 2.0));
    Ok(())
}

#[test]
fn the_added_fields_are_zero_whatever_the_subscribers_buffer_held_before()
-> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = channel::<v1::Feed, v3::Feed>()?;
    // A long archive leaves non-zero bytes where a short one's completion goes: were they kept,
    // the `note` option's tag would not be `None`'s.
    let long = v1(&"z".repeat(300), 1.0);
    let short = v1("ES", 2.0);
    for round in 0..2 {
        publisher.publish(&long)?;
        publisher.publish(&short)?;
        let quotes: Vec<v3::Quote> = if round == 0 {
            let first = owned3(subscriber.try_recv()?.expect("published"))?;
            vec![first, owned3(subscriber.try_recv()?.expect("published"))?]
        } else {
            let batch = subscriber.batch_iter().map(|item| Ok(owned3(item?)?));
            batch.collect::<Result<_, Box<dyn std::error::Error>>>()?
        };
        assert_eq!(quotes, [completed(&long), completed(&short)]);
    }
    Ok(())
}

#[test]
fn an_older_subscriber_reads_the_fields_it_knows_of_newer_archives()
-> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = channel::<v3::Feed, v1::Feed>()?;
    for (symbol, bid) in [(LONG, 1.0), ("ES", 2.0), (LONG, 3.0)] {
        publisher.publish(&v3(symbol, bid))?;
    }
    assert_eq!(owned1(subscriber.try_recv()?.expect("published"))?, v1(LONG, 1.0));
    let rest: Vec<v1::Quote> = subscriber
        .batch_iter()
        .map(|item| Ok(owned1(item?)?))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    assert_eq!(rest, [v1("ES", 2.0), v1(LONG, 3.0)]);
    publisher.publish(&v3(LONG, 4.0))?;
    // SAFETY: the only publisher is this test's, of a compatible version of `Quote`.
    let view = unsafe { subscriber.try_recv_unchecked() }?.expect("published");
    assert_eq!(owned1(view)?, v1(LONG, 4.0));
    Ok(())
}

#[test]
#[cfg_attr(miri, ignore = "channel files: Miri does not emulate mmap of /dev/shm")]
fn a_channel_rolls_over_from_version_1_to_3_under_a_live_version_1_subscriber()
-> Result<(), Box<dyn std::error::Error>> {
    let path = common::ShmPath::new("evolution-archives-rollover");
    let mut first = Publisher::<v1::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let mut old = Subscriber::<v1::Feed>::new(RingBuffer::attach(&path.0)?)?;
    first.publish(&v1(LONG, 1.0))?;
    assert_eq!(owned1(old.try_recv()?.expect("published"))?, v1(LONG, 1.0));
    first.publish(&v1("ES", 2.0))?;
    drop(first);
    // Version 2 takes the file over and stores its description; version 3 after it. The
    // version-1 subscriber reads nothing meanwhile, so that archives of all three versions
    // wait for it, each found through the description of its own version.
    let mut second = Publisher::<v2::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let mut middle = Subscriber::<v2::Feed>::new(RingBuffer::attach(&path.0)?)?;
    second.publish(&v2(LONG, 3.0))?;
    drop(second);
    let mut third = Publisher::<v3::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    third.publish(&v3(LONG, 4.0))?;
    let registry =
        bcast::typed::Registry::read_from(&RingBuffer::attach(&path.0)?)?.expect("typed");
    assert_eq!(registry, bcast::typed::Registry::of::<v3::Feed>());
    let read: Vec<v1::Quote> = old
        .batch_iter()
        .map(|item| Ok(owned1(item?)?))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    assert_eq!(read, [v1("ES", 2.0), v1(LONG, 3.0), v1(LONG, 4.0)]);
    let v2::FeedView::Quote(quote) = middle.try_recv()?.expect("the version-2 archive");
    assert_eq!(quote.note.as_deref(), Some(&*format!("{LONG} note")));
    let v2::FeedView::Quote(quote) = middle.try_recv()?.expect("the version-3 archive");
    assert_eq!((quote.bid.to_native(), quote.size.to_native()), (4.0, 7));
    // Subscribers of every version attach to the rolled-over channel, and an older publisher
    // is still welcome.
    let mut newest = Subscriber::<v3::Feed>::new(RingBuffer::attach(&path.0)?)?;
    newest.reset_to_oldest();
    let all: Vec<v3::Quote> = newest
        .batch_iter()
        .map(|item| Ok(owned3(item?)?))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let v2_completed = v3::Quote { venues: None, firm: false, ..v3(LONG, 3.0) };
    let expected =
        [completed(&v1(LONG, 1.0)), completed(&v1("ES", 2.0)), v2_completed, v3(LONG, 4.0)];
    assert_eq!(all, expected);
    drop(third);
    let mut again = Publisher::<v1::Feed>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    again.publish(&v1("NQ", 5.0))?;
    assert_eq!(owned3(newest.try_recv()?.expect("published"))?, completed(&v1("NQ", 5.0)));
    Ok(())
}

/// The rule a subscriber of `S` breaks on a channel of `P`.
fn rule<P: bcast::typed::Channel, S: bcast::typed::Channel>() -> &'static str {
    let Err(TypedOpenError::Mismatch(mismatch)) = channel::<P, S>() else {
        panic!("refused");
    };
    let refusals = mismatch.refusals();
    let [Difference::Changed { evolution: Evolution::Refused(rule), .. }] = refusals.as_slice()
    else {
        panic!("one changed type: {refusals:?}");
    };
    rule
}

#[test]
fn every_change_the_rules_do_not_allow_for_archives_is_refused_with_its_rule() {
    // Zero bytes are no `String` (they are eight inline NULs): an added one must be an `Option`.
    let text = rule::<v1::Feed, string_added::Feed>();
    assert!(text.contains("must read as zero bytes") && text.contains("`Option`"), "{text}");
    // An earlier archive's root is aligned for its own fields only.
    let text = rule::<narrow::Feed, widened::Feed>();
    assert!(text.contains("cannot raise the alignment"), "{text}");
    // Both ways: an older subscriber of such a change is refused too.
    assert!(rule::<string_added::Feed, v1::Feed>().contains("must read as zero bytes"));
    assert!(rule::<widened::Feed, narrow::Feed>().contains("cannot raise the alignment"));
}

#[test]
fn an_archive_that_is_not_what_its_version_says_is_an_error_not_a_guess()
-> Result<(), Box<dyn std::error::Error>> {
    // Version-1 archives stamped as versions the channel does not describe, or shorter than
    // their version's root: errors for checked and unchecked reads alike, never a panic.
    let stamps: [(u16, usize); 3] = [(2, 16), (9, 64), (1, 8)];
    for (version, len) in stamps {
        for checked in [true, false] {
            let (publisher, mut subscriber) = channel::<v1::Feed, v3::Feed>()?;
            let ring = publisher.ring().clone();
            drop(publisher);
            let mut writer = ring.into_writer();
            let archive = bcast::rkyv::to_bytes::<bcast::rkyv::rancor::Error>(&v1(LONG, 1.0))?;
            let payload = &archive[archive.len().saturating_sub(len)..];
            let stamp = bcast::Stamp { tag: v3::Quote::TAG, seq: 0, tag_seq: 1, version };
            writer.send_stamped(payload, stamp)?;
            let read = if checked {
                subscriber.try_recv().map(|view| view.is_some())
            } else {
                // SAFETY: deliberately not: the frame lies. The subscriber must refuse it
                // before rkyv is asked to read it.
                unsafe { subscriber.try_recv_unchecked() }.map(|view| view.is_some())
            };
            let Err(RecvError::Decode { source, .. }) = &read else {
                panic!("version {version}, {len} bytes: {read:?}");
            };
            assert!(
                matches!(source, DecodeError::Version { ours: 3, found, .. } if *found == version),
                "{source:?}"
            );
        }
    }
    Ok(())
}

/// Messages each side of the cross-process test publishes.
#[cfg(all(target_os = "linux", not(miri)))]
const MESSAGES: u64 = 300;
/// Set for the child process: `PATH VERSION`, the channel and the subscriber's version.
#[cfg(all(target_os = "linux", not(miri)))]
const CHILD_ENV: &str = "BCAST_EVOLUTION_ARCHIVES_CHILD";

/// Run in a child process by `archives_are_read_across_versions_and_processes`: a subscriber
/// of version 1 or 3 reads the channel from its oldest frame until it has every message.
#[test]
#[cfg(all(target_os = "linux", not(miri)))]
fn child_archive_subscriber_of_another_version() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(argument) = std::env::var(CHILD_ENV) else { return Ok(()) };
    let (path, version) = argument.rsplit_once(' ').expect("PATH VERSION");
    let ring = RingBuffer::attach(path)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut count = 0;
    if version == "3" {
        let mut subscriber = Subscriber::<v3::Feed>::new(ring)?;
        subscriber.reset_to_oldest();
        while count < MESSAGES {
            assert!(Instant::now() < deadline, "timed out after {count} messages");
            while let Some(view) = subscriber.try_recv()? {
                assert_eq!(owned3(view)?, completed(&v1(LONG, count as f64)));
                count += 1;
            }
        }
    } else {
        let mut subscriber = Subscriber::<v1::Feed>::new(ring)?;
        subscriber.reset_to_oldest();
        while count < MESSAGES {
            assert!(Instant::now() < deadline, "timed out after {count} messages");
            while let Some(view) = subscriber.try_recv()? {
                assert_eq!(owned1(view)?, v1(LONG, count as f64));
                count += 1;
            }
        }
    }
    Ok(())
}

#[test]
#[cfg(all(target_os = "linux", not(miri)))]
fn archives_are_read_across_versions_and_processes() -> Result<(), Box<dyn std::error::Error>> {
    use std::process::Command;

    for (publishing, reading) in [(1, 3), (3, 1)] {
        let path = common::ShmPath::new(&format!("evolution-archives-{publishing}-{reading}"));
        let ring = RingBuffer::create(&path.0, 1 << 17)?;
        let mut publish: Box<dyn FnMut(f64) -> Result<(), bcast::typed::PublishError>> =
            if publishing == 1 {
                let mut publisher = Publisher::<v1::Feed>::new(ring)?;
                Box::new(move |bid| publisher.publish(&v1(LONG, bid)))
            } else {
                let mut publisher = Publisher::<v3::Feed>::new(ring)?;
                Box::new(move |bid| publisher.publish(&v3(LONG, bid)))
            };
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--exact", "child_archive_subscriber_of_another_version", "--nocapture"])
            .env(CHILD_ENV, format!("{} {reading}", path.0.display()))
            .spawn()?;
        // 300 archives of at most 160 bytes (with frame headers) fit the ring: the child may
        // start late and replay.
        for count in 0..MESSAGES {
            publish(count as f64)?;
        }
        let status = child.wait()?;
        assert!(status.success(), "the version-{reading} child failed: {status}");
    }
    Ok(())
}

#[test]
fn tools_decode_archives_of_earlier_versions_without_the_types()
-> Result<(), Box<dyn std::error::Error>> {
    use bcast::typed::Decoder;
    use bcast::typed::decoder::FrameError;

    let (publisher, _subscriber) = channel::<v3::Feed, v3::Feed>()?;
    let decoder = Decoder::read_from(publisher.ring())?;
    let archive = bcast::rkyv::to_bytes::<bcast::rkyv::rancor::Error>(&v1(LONG, 1.5))?;
    let value = decoder.decode_version(3, 1, &archive)?;
    assert_eq!(value.to_string(), format!("Quote {{ symbol: {LONG:?}, bid: 1.5 }}"));
    let archive = bcast::rkyv::to_bytes::<bcast::rkyv::rancor::Error>(&v2("ES", 2.5))?;
    let value = decoder.decode_version(3, 2, &archive)?;
    assert_eq!(
        value.to_string(),
        r#"Quote { symbol: "ES", bid: 2.5, note: Some("ES note"), size: 7 }"#
    );
    // A later version's root cannot be found from an earlier description.
    let (earlier, _subscriber) = channel::<v1::Feed, v1::Feed>()?;
    let decoder = Decoder::read_from(earlier.ring())?;
    let archive = bcast::rkyv::to_bytes::<bcast::rkyv::rancor::Error>(&v3("ES", 1.0))?;
    let later = decoder.decode_version(3, 3, &archive);
    assert!(matches!(later, Err(FrameError::Version { version: 3, described: 1 })), "{later:?}");
    Ok(())
}

#[test]
fn an_intermediate_version_publishing_on_a_channel_rolled_further_is_read_by_older_subscribers()
-> Result<(), Box<dyn std::error::Error>> {
    // Version 1 makes the channel and version 3 rolls it over; then a publisher of version 2,
    // older than the channel, stores no description of its own.
    let ring = RingBuffer::with_capacity(1 << 16);
    drop(Publisher::<v1::Feed>::new(ring.clone())?);
    let mut old = Subscriber::<v1::Feed>::new(ring.clone())?;
    drop(Publisher::<v3::Feed>::new(ring.clone())?);
    let mut middle = Publisher::<v2::Feed>::new(ring)?;
    middle.publish(&v2(LONG, 1.0))?;
    // Version 2's root is found in version 3's description, whose fields start with its own.
    assert_eq!(owned1(old.try_recv()?.expect("published"))?, v1(LONG, 1.0));
    Ok(())
}

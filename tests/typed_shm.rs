//! Typed channels over `/dev/shm`: the README's snippet, schema checks at attach and at reopen,
//! and a subscriber in another process.
#![cfg(all(target_os = "linux", not(miri)))]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::{Publisher, Registry, Subscriber, TypedOpenError};
use common::ShmPath;
use common::market::{MarketData, MarketDataView, Trade, quote, trade};

/// Another schema under the same names: `MarketData` with a `Quote` (tag 1) of fewer fields
/// than the shared one, and no `Trade`, so that opening the shared channel with it is a mismatch.
mod other {
    #[bcast::typed::message(tag = 1)]
    pub(crate) struct Quote {
        pub(crate) symbol: String,
        pub(crate) bid: f64,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum MarketData {
        Quote(Quote),
    }
}

#[test]
fn the_readme_snippet_works_over_dev_shm() -> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("snippet");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 20)?)?;
    let mut subscriber = Subscriber::<MarketData>::new(RingBuffer::attach(&path.0)?)?;
    publisher.publish(&quote(7))?;
    publisher.publish(&trade(3))?;

    let mut seen = Vec::new();
    for msg in subscriber.batch_iter() {
        match msg? {
            MarketDataView::Quote(q) => seen.push(format!("{} {} {}", q.symbol, q.bid, q.ts)),
            MarketDataView::Trade(t) => seen.push(format!("{} {}", t.price, t.instrument)),
        }
    }
    assert_eq!(seen, ["ES 1 7", "1.25 9"]);

    // The subscriber's ring handle tells which file it reads and whether its writer lives.
    assert_eq!(subscriber.ring().path(), Some(path.0.as_path()));
    assert!(subscriber.ring().writer_alive() && !subscriber.ring().is_replaced());
    drop(publisher);
    assert!(!subscriber.ring().writer_alive());
    Ok(())
}

#[test]
fn attach_refuses_another_schema_and_names_the_path() -> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("attach-mismatch");
    let _publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let error = Subscriber::<other::MarketData>::new(RingBuffer::attach(&path.0)?).unwrap_err();
    let TypedOpenError::Mismatch(mismatch) = &error else { panic!("a mismatch: {error:?}") };
    assert_eq!(mismatch.path.as_deref(), Some(path.0.as_path()));
    let text = error.to_string();
    assert!(text.contains(&*path.0.to_string_lossy()) && text.contains("`Quote` (tag 1) changed"));
    // The channel's `Trade`, which the subscriber does not know, is no reason to refuse it.
    assert!(!text.contains("Trade"), "{text}");
    Ok(())
}

#[test]
fn reopening_checks_the_schema_and_keeps_the_channel() -> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("reopen");
    let mut first = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let mut subscriber = Subscriber::<MarketData>::new(RingBuffer::attach(&path.0)?)?;
    first.publish(&quote(1))?;
    assert!(matches!(
        RingBuffer::create(&path.0, 1 << 16),
        Err(bcast::OpenError::WriterExists { .. })
    ));
    drop(first);

    assert!(matches!(
        Publisher::<other::MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?),
        Err(TypedOpenError::Mismatch(_))
    ));
    let mut second = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    second.publish(&quote(2))?;
    let ts: Vec<u64> = subscriber
        .batch_iter()
        .map(|view| match view {
            Ok(MarketDataView::Quote(q)) => q.ts.to_native(),
            other => panic!("unexpected {:?}", other.err()),
        })
        .collect();
    assert_eq!(ts, [1, 2]);
    Ok(())
}

#[test]
fn an_untyped_channel_is_refused() -> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("untyped");
    untyped_channel(&path.0);
    let error = Subscriber::<MarketData>::new(RingBuffer::attach(&path.0)?).unwrap_err();
    assert!(matches!(&error, TypedOpenError::Untyped { path: Some(p) } if *p == path.0));
    Ok(())
}

#[test]
fn a_subscriber_made_before_its_publisher_checks_the_registry_at_the_first_frame()
-> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("late-registry");
    let ring = RingBuffer::create(&path.0, 1 << 16)?;
    let mut early = Subscriber::<MarketData>::new(RingBuffer::attach(&path.0)?)?;
    let mut wrong = Subscriber::<other::MarketData>::new(RingBuffer::attach(&path.0)?)?;
    assert!(early.try_recv()?.is_none() && wrong.try_recv()?.is_none());

    let mut publisher = Publisher::<MarketData>::new(ring)?;
    publisher.publish(&quote(5))?;
    let Some(MarketDataView::Quote(q)) = early.try_recv()? else { panic!("the quote") };
    assert_eq!(q.ts, 5);
    // The other channel's subscriber learns at the first frame, before decoding it.
    let error = wrong.try_recv().map(|_| ()).unwrap_err();
    let bcast::typed::RecvError::Schema(cause) = &error else { panic!("{error:?}") };
    assert!(matches!(&**cause, TypedOpenError::Mismatch(_)), "{cause:?}");
    assert!(error.to_string().contains("`Quote` (tag 1) changed"), "{error}");
    Ok(())
}

/// Makes an untyped channel at `path` holding one raw frame, as an untyped writer would.
fn untyped_channel(path: &Path) {
    let ring = bcast::RingBuffer::create(path, 1 << 16).expect("create");
    ring.into_writer().send(b"raw frame").expect("send");
}

#[test]
fn a_typed_publisher_refuses_to_adopt_an_untyped_channel() -> Result<(), Box<dyn std::error::Error>>
{
    let path = ShmPath::new("adopt-untyped");
    untyped_channel(&path.0);
    let refused = |result: Result<(), TypedOpenError>, what: &str| match result {
        Err(TypedOpenError::Untyped { path: Some(p) }) if p == path.0 => {}
        other => panic!("{what} on an untyped channel: {other:?}"),
    };
    let error = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?).unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&*path.0.to_string_lossy()), "{text}");
    assert!(text.contains("no schema registry") && text.contains("untyped writer"), "{text}");
    refused(Err(error), "Publisher::new");
    let registry = Registry::of::<MarketData>();
    refused(registry.create_channel(&path.0, 1 << 16).map(drop), "Registry::create_channel");

    // The file is left as it was: untyped, with its frame.
    let ring = bcast::RingBuffer::attach(&path.0)?;
    assert_eq!(Registry::read_from(&ring)?, None);
    let mut buf = [0; 64];
    let frame = ring.into_reader_at_oldest().try_recv(&mut buf)?.ok_or("the raw frame")?;
    assert_eq!(&buf[..frame.len], b"raw frame");

    // Once the file is gone, the path takes a typed channel.
    std::fs::remove_file(&path.0)?;
    Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?.publish(&quote(1))?;
    Ok(())
}

#[test]
fn a_typed_channel_reopened_with_its_registry_keeps_working()
-> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("reopen-registry");
    Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?.publish(&quote(1))?; // the publisher is gone
    let registry = Registry::of::<MarketData>();
    let mut writer = registry.create_channel(&path.0, 1 << 16)?.into_writer();
    writer.send_with_tag(bcast::zerocopy::IntoBytes::as_bytes(&trade(3)), 2)?;
    drop(writer);
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    publisher.publish(&quote(3))?;
    let mut subscriber = Subscriber::<MarketData>::new(RingBuffer::attach(&path.0)?)?;
    subscriber.reset_to_oldest();
    let seen: Vec<String> = subscriber
        .batch_iter()
        .map(|view| match view {
            Ok(MarketDataView::Quote(q)) => format!("quote {}", q.ts),
            Ok(MarketDataView::Trade(t)) => format!("trade {}", t.qty),
            Err(error) => panic!("{error}"),
        })
        .collect();
    assert_eq!(seen, ["quote 1", "trade 3", "quote 3"]);
    Ok(())
}

const CHILD_ENV: &str = "BCAST_TYPED_SHM_CHILD";
const MESSAGES: u64 = 1000;

/// Run in a child process by `a_subscriber_in_another_process_receives_everything`.
#[test]
fn child_subscriber() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::var_os(CHILD_ENV) else { return Ok(()) };
    let mut subscriber = Subscriber::<MarketData>::new(RingBuffer::attach(Path::new(&path))?)?;
    subscriber.reset_to_oldest(); // replays what it missed
    let (mut quotes, mut trades) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while quotes + trades < 2 * MESSAGES {
        assert!(Instant::now() < deadline, "timed out after {quotes} quotes, {trades} trades");
        for msg in subscriber.batch_iter() {
            match msg? {
                MarketDataView::Quote(q) => {
                    assert_eq!(q.ts, quotes);
                    quotes += 1;
                }
                MarketDataView::Trade(t) => {
                    assert_eq!(t.qty, trades);
                    trades += 1;
                }
            }
        }
        std::thread::yield_now();
    }
    Ok(())
}

#[test]
fn a_subscriber_in_another_process_receives_everything() -> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("two-process");
    // 2 000 messages of at most 64 bytes fit the ring: the child may start late and replay.
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 18)?)?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--exact", "child_subscriber", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path.0)
        .spawn()?;
    for ts in 0..MESSAGES {
        publisher.publish(&quote(ts))?;
        publisher.publish(&Trade { instrument: 1, price: 2.0, qty: ts })?;
    }
    let status = child.wait()?;
    assert!(status.success(), "the child subscriber failed: {status}");
    Ok(())
}

//! The async adapter: subscribers as `futures::Stream`s on a tokio runtime, woken by one hub
//! thread per ring rather than a thread per reader.
#![cfg(all(feature = "async", target_os = "linux", not(miri)))]

use std::time::Duration;

use bcast::RingBuffer;
use bcast::typed::{Publisher, Subscriber};
use futures_util::StreamExt;

/// A numbered message with some text.
#[bcast::typed::message(tag = 1)]
#[derive(Debug)]
pub struct Tick {
    /// Its number.
    pub n: u64,
    /// Its text.
    pub note: String,
}

/// The channel of the test.
#[derive(Debug, bcast::BcastChannel)]
pub enum Ticks {
    /// A tick.
    Tick(Tick),
}

/// Threads of this process named like the hub thread.
fn hub_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("procfs")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "bcast-async-hub")
        .count()
}

/// Whether `condition` holds within two seconds.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !condition() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

#[tokio::test(flavor = "current_thread")]
async fn streams_receive_every_message_and_share_one_wake_up_thread()
-> Result<(), Box<dyn std::error::Error>> {
    let path = format!("/dev/shm/bcast-async-{}", std::process::id());
    let _ = bcast::RingBuffer::remove(&path);
    let mut publisher = Publisher::<Ticks>::new(RingBuffer::create(&path, 1 << 16)?)?;
    let ring = RingBuffer::attach(&path)?;
    let streams: Vec<_> = (0..3)
        .map(|_| {
            let subscriber = Subscriber::<Ticks>::new(ring.clone())?;
            Ok(subscriber.into_stream(|TicksView::Tick(t)| (t.n.to_native(), t.note.to_string())))
        })
        .collect::<Result<_, bcast::typed::TypedOpenError>>()?;
    assert!(eventually(|| hub_threads() == 1), "one hub thread for the ring, not one per stream");

    let sender = std::thread::spawn(move || -> Result<(), bcast::typed::PublishError> {
        for n in 0..50 {
            std::thread::sleep(Duration::from_millis(2)); // the streams go quiet and park between
            publisher.publish(&Tick { n, note: format!("tick {n}") })?;
        }
        Ok(())
    });
    let readers = streams.into_iter().map(|stream| async move {
        let got: Vec<_> = stream.take(50).collect().await;
        got.into_iter().collect::<Result<Vec<_>, _>>()
    });
    let all =
        tokio::time::timeout(Duration::from_secs(30), futures_util::future::join_all(readers))
            .await?;
    sender.join().expect("sender")?;
    for got in all {
        let got = got?;
        let expected: Vec<_> = (0..50).map(|n| (n, format!("tick {n}"))).collect();
        assert_eq!(got, expected);
    }
    let _ = bcast::RingBuffer::remove(&path);
    // With the streams gone, the hub thread ends within its liveness period.
    drop(ring);
    assert!(eventually(|| hub_threads() == 0), "the hub thread ends with the last stream");
    Ok(())
}

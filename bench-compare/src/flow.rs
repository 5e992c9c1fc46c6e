//! Streams of messages: the writer alone, a reader catching up on a filled ring, and a writer
//! streaming to readers on other cores (flat out, or paced with timestamps for latency).
//!
//! Every received message is verified ([`crate::payload`]): its sequence number must be the
//! next one, unless the crate reported an overrun since the previous message, in which case it
//! may jump forward. A jump without an overrun (a *silent* loss) and a payload whose stamps
//! disagree (*torn*) are counted and reported: a sound crate shows zero of both.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::affinity::{Cores, pin_current};
use crate::payload::{check, put_word, stamp, verify, word};
use crate::poll::{Idle, Poller, Rendezvous};
use crate::stats::{histogram, nanos, record};
use crate::transport::{Channel, Receiver, Recv, Sender};

/// How the writer hands a payload to the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteApi {
    /// Copy a caller-owned payload: each crate's `send`.
    Send,
    /// Claim room, fill the whole payload in place, commit: each crate's claim API (ours copies
    /// the staged bytes into the ring at commit; the others write the ring directly).
    Claim,
}

/// Times `count` messages of `size` bytes published with no reader, then checks what the ring
/// holds (for crates that can replay it).
///
/// Channels that store nothing without a reader ([`Channel::STORES_WITHOUT_READER`] false) get
/// one idle reader, made before the first message and read only after the last: it checks that
/// the channel ends with the last messages published, in order.
///
/// # Panics
///
/// If the replayed messages are not the last ones published, in order.
pub fn writer_alone<C: Channel>(channel: &C, size: usize, count: u64, api: WriteApi) -> Duration {
    let mut tx = channel.writer();
    let idle = (!C::STORES_WITHOUT_READER).then(|| channel.reader());
    let mut payload = vec![0xA5u8; size];
    let started = Instant::now();
    for seq in 0..count {
        stamp(&mut payload, seq);
        match api {
            WriteApi::Send => tx.send(&payload),
            WriteApi::Claim => tx.publish(size, |buf| buf.copy_from_slice(&payload)),
        }
    }
    let elapsed = started.elapsed();
    if let Some(mut rx) = idle.or_else(|| channel.replay()) {
        let (mut buf, mut last) = (vec![0u8; size], None);
        loop {
            match rx.try_recv(&mut buf) {
                Recv::Message(len) => {
                    let seq = check(&buf, len, size);
                    assert!(last.is_none_or(|last| seq == last + 1), "replay out of order");
                    last = Some(seq);
                }
                // tokio reports the values it dropped before handing out the ones it kept.
                Recv::Overrun => assert!(last.is_none(), "overrun in the middle of a replay"),
                Recv::Empty => break,
            }
        }
        assert_eq!(last, Some(count - 1), "the ring ends with the last message");
    }
    elapsed
}

/// Times a reader draining a ring that holds `per_fill` messages, repeatedly, until it has read
/// at least `count`; returns (time spent reading, messages read). No other thread runs.
///
/// # Panics
///
/// If a message is missing, torn or out of order.
pub fn catch_up<C: Channel>(
    channel: &C,
    size: usize,
    count: u64,
    per_fill: u64,
) -> (Duration, u64) {
    let mut tx = channel.writer();
    let mut rx = channel.reader();
    let (mut payload, mut buf) = (vec![0xA5u8; size], vec![0u8; size]);
    let (mut seq, mut read, mut spent) = (0u64, 0u64, Duration::ZERO);
    while read < count {
        let first = seq;
        for _ in 0..per_fill {
            stamp(&mut payload, seq);
            tx.send(&payload);
            seq += 1;
        }
        let started = Instant::now();
        let mut expected = first;
        while let Recv::Message(len) = rx.try_recv(&mut buf) {
            assert_eq!(check(&buf, len, size), expected, "catch-up out of order");
            expected += 1;
        }
        spent += started.elapsed();
        assert_eq!(expected, seq, "the reader saw every message of the fill");
        read += per_fill;
    }
    (spent, read)
}

/// What one reader of a stream saw.
#[derive(Debug, Clone)]
pub struct ReaderStats {
    /// Messages received whole.
    pub delivered: u64,
    /// Overruns the crate reported.
    pub overruns: u64,
    /// Messages received with stamps that disagree.
    pub torn: u64,
    /// Jumps in the sequence with no overrun reported since the previous message.
    pub silent_gaps: u64,
    /// One-way latency in ns from the writer's timestamp to receipt (paced streams only).
    pub latency: Histogram<u64>,
}

/// What a stream measured.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Time the writer took to publish every message.
    pub writer: Duration,
    /// One entry per reader.
    pub readers: Vec<ReaderStats>,
}

/// A writer on `cores.writer()` publishes `count` messages of `size` bytes to `readers` readers
/// on `cores.reader(i)`: flat out when `pace` is `None`, else one message per `pace` with a
/// timestamp that readers turn into one-way latencies.
///
/// # Panics
///
/// If a thread fails (the other threads then time out and fail too).
pub fn stream<C: Channel>(
    channel: &C,
    size: usize,
    count: u64,
    readers: usize,
    pace: Option<Duration>,
    cores: &Cores,
) -> Stream {
    let done = AtomicBool::new(false);
    let (writer_made, readers_made) = (Rendezvous::new(readers + 1), Rendezvous::new(readers + 1));
    let poller = Poller::for_load(readers + 1, cores.reader_slots() + 1);
    let epoch = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..readers)
            .map(|index| {
                let (done, writer_made, readers_made) = (&done, &writer_made, &readers_made);
                scope.spawn(move || {
                    pin_current(cores.reader(index));
                    writer_made.wait();
                    let mut rx = channel.reader();
                    readers_made.wait();
                    read_stream(&mut rx, size, count, pace.is_some(), epoch, done, poller)
                })
            })
            .collect();
        let writer = scope.spawn(|| {
            pin_current(cores.writer());
            let mut tx = channel.writer();
            writer_made.wait();
            readers_made.wait();
            let elapsed = write_stream(&mut tx, size, count, pace, epoch);
            // Release: every message is committed before `done`; pairs with the Acquire load in
            // `read_stream`.
            done.store(true, Ordering::Release);
            elapsed
        });
        let writer = writer.join().expect("writer thread");
        let readers = handles.into_iter().map(|h| h.join().expect("reader thread")).collect();
        Stream { writer, readers }
    })
}

/// The writer's loop; returns the time from the first send to the end of the last.
fn write_stream<T: Sender>(
    tx: &mut T,
    size: usize,
    count: u64,
    pace: Option<Duration>,
    epoch: Instant,
) -> Duration {
    let mut payload = vec![0xA5u8; size];
    let started = Instant::now();
    let mut next = started;
    for seq in 0..count {
        stamp(&mut payload, seq);
        if let Some(pace) = pace {
            while Instant::now() < next {
                core::hint::spin_loop();
            }
            next += pace;
            put_word(&mut payload, nanos(epoch.elapsed()));
        }
        tx.send(&payload);
    }
    started.elapsed()
}

/// A reader's loop: until it has the last message, or the writer is done and nothing is left.
fn read_stream<R: Receiver>(
    rx: &mut R,
    size: usize,
    count: u64,
    timed: bool,
    epoch: Instant,
    done: &AtomicBool,
    poller: Poller,
) -> ReaderStats {
    let mut stats =
        ReaderStats { delivered: 0, overruns: 0, torn: 0, silent_gaps: 0, latency: histogram() };
    let mut buf = vec![0u8; size];
    let (mut expected, mut overrun_since_last, mut writer_done) = (0u64, false, false);
    let mut idle = Idle::default();
    loop {
        match rx.try_recv(&mut buf) {
            Recv::Message(len) => {
                idle = Idle::default();
                let Some(seq) = verify(&buf, len, size) else {
                    stats.torn += 1;
                    continue;
                };
                if timed {
                    record(&mut stats.latency, nanos(epoch.elapsed()).saturating_sub(word(&buf)));
                }
                if seq != expected && !overrun_since_last {
                    stats.silent_gaps += 1;
                }
                stats.delivered += 1;
                (expected, overrun_since_last) = (seq + 1, false);
                if seq + 1 == count {
                    break;
                }
            }
            Recv::Overrun => {
                stats.overruns += 1;
                overrun_since_last = true;
            }
            // One more poll after seeing `done`: it finds whatever the writer committed last.
            Recv::Empty if writer_done => break,
            // Acquire: pairs with the writer's Release store of `done`.
            Recv::Empty if done.load(Ordering::Acquire) => writer_done = true,
            Recv::Empty => poller.idle(&mut idle),
        }
    }
    stats
}

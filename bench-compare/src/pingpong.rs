//! Ping-pong round trips: the pinger sends a stamped message on one ring, the echoer copies it
//! back on another, and the pinger records the time from before its send to after the echo's
//! receive.
//!
//! Every sample is verified: the echoer checks that message `n` carries sequence number `n`
//! (nothing lost, reordered or torn) and the pinger checks the echo the same way, so a recorded
//! latency is always that of an intact round trip. The first `warmup` round trips are not
//! recorded (caches, TLBs, branch predictors and the CPU's frequency settle during them).

use std::time::Instant;

use hdrhistogram::Histogram;

use crate::affinity::{Cores, pin_current};
use crate::payload::{check, stamp};
use crate::poll::{Poller, Rendezvous};
use crate::stats::{histogram, nanos, record};
use crate::transport::{Channel, Receiver, Sender};

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Payload bytes of each message (at least [`crate::payload::MIN_LEN`]).
    pub size: usize,
    /// Round trips run before recording.
    pub warmup: u64,
    /// Round trips recorded.
    pub samples: u64,
}

impl Spec {
    /// Round trips in all.
    pub fn total(&self) -> u64 {
        self.warmup + self.samples
    }
}

/// The pinger's side: sends `spec.total()` stamped messages on `tx`, waits for each echo on `rx`,
/// and returns the recorded round-trip times in nanoseconds.
///
/// # Panics
///
/// If an echo is missing, torn, or out of order.
pub fn ping<T: Sender, R: Receiver>(
    tx: &mut T,
    rx: &mut R,
    spec: Spec,
    poller: Poller,
) -> Histogram<u64> {
    let mut out = vec![0u8; spec.size];
    let mut back = vec![0u8; spec.size];
    let mut hist = histogram();
    for seq in 0..spec.total() {
        stamp(&mut out, seq);
        let sent = Instant::now();
        tx.send(&out);
        let len = poller.recv(rx, &mut back);
        let elapsed = sent.elapsed();
        assert_eq!(check(&back, len, spec.size), seq, "echo out of order");
        if seq >= spec.warmup {
            record(&mut hist, nanos(elapsed));
        }
    }
    assert_eq!(hist.len(), spec.samples, "every round trip recorded");
    hist
}

/// The echoer's side: receives `spec.total()` messages on `rx`, checks each, and sends it back on
/// `tx`.
///
/// # Panics
///
/// If a message is missing, torn, or out of order.
pub fn echo<T: Sender, R: Receiver>(tx: &mut T, rx: &mut R, spec: Spec, poller: Poller) {
    let mut buf = vec![0u8; spec.size];
    for seq in 0..spec.total() {
        let len = poller.recv(rx, &mut buf);
        assert_eq!(check(&buf, len, spec.size), seq, "ping out of order");
        tx.send(&buf[..len]);
    }
}

/// Runs a ping-pong between two threads of this process, the pinger on `cores.writer()` and the
/// echoer on `cores.reader(0)`, over `ping_ring` (pinger to echoer) and `pong_ring` (back).
///
/// # Panics
///
/// If either side sees a bad message, or a thread cannot be pinned.
pub fn run_threads<C: Channel>(
    ping_ring: &C,
    pong_ring: &C,
    spec: Spec,
    cores: &Cores,
) -> Histogram<u64> {
    two_threads(
        ping_ring,
        pong_ring,
        cores,
        |tx, rx, poller| echo(tx, rx, spec, poller),
        |tx, rx, poller| ping(tx, rx, spec, poller),
    )
}

/// What each thread of a ping-pong makes its own writer and reader from: a [`Channel`], or a
/// bench's own kind of ring (the typed bench's).
pub trait Ends: Sync {
    /// The writer.
    type Tx;
    /// The reader.
    type Rx;

    /// The ring's only writer.
    fn tx(&self) -> Self::Tx;

    /// A reader at the writer's position.
    fn rx(&self) -> Self::Rx;
}

impl<C: Channel> Ends for C {
    type Tx = C::Tx;
    type Rx = C::Rx;

    fn tx(&self) -> C::Tx {
        self.writer()
    }

    fn rx(&self) -> C::Rx {
        self.reader()
    }
}

/// The two threads of a ping-pong: `echoer` runs on `cores.reader(0)` with `pong_ring`'s writer
/// and `ping_ring`'s reader, `pinger` on `cores.writer()` with `ping_ring`'s writer and
/// `pong_ring`'s reader; returns what the pinger returns. Both get the poller for this load.
///
/// Each thread makes its writer, waits for the other to have made its own, then makes its
/// reader (which starts at the writer's position) and waits again, so that no message is sent
/// before both readers exist.
///
/// # Panics
///
/// If either side panics, or a thread cannot be pinned.
pub fn two_threads<E: Ends, P: Send>(
    ping_ring: &E,
    pong_ring: &E,
    cores: &Cores,
    echoer: impl FnOnce(&mut E::Tx, &mut E::Rx, Poller) + Send,
    pinger: impl FnOnce(&mut E::Tx, &mut E::Rx, Poller) -> P + Send,
) -> P {
    let poller = Poller::for_load(2, if cores.writer() == cores.reader(0) { 1 } else { 2 });
    let (writers_made, readers_made) = (Rendezvous::new(2), Rendezvous::new(2));
    std::thread::scope(|scope| {
        let echoer = scope.spawn(|| {
            pin_current(cores.reader(0));
            let mut tx = pong_ring.tx();
            writers_made.wait();
            let mut rx = ping_ring.rx();
            readers_made.wait();
            echoer(&mut tx, &mut rx, poller);
        });
        let pinger = scope.spawn(|| {
            pin_current(cores.writer());
            let mut tx = ping_ring.tx();
            writers_made.wait();
            let mut rx = pong_ring.rx();
            readers_made.wait();
            pinger(&mut tx, &mut rx, poller)
        });
        let out = pinger.join().expect("pinger thread");
        echoer.join().expect("echo thread");
        out
    })
}

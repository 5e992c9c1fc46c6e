//! The hardware floor of a round trip: two pinned threads handing a counter back and forth
//! through cache lines, with no channel at all, timed like [`crate::pingpong`] (clock read before
//! the "send", read again after the "receive", recorded in the same kind of histogram).
//!
//! - **One line** ([`Lines::One`]): a single `AtomicU64` that both threads write in turn. The
//!   pinger stores `2n + 1` and waits for `2n + 2`; the echoer waits for `2n + 1` and stores
//!   `2n + 2`. A round trip is two transfers of one line between the cores: the least any
//!   shared-memory round trip can cost on this machine.
//! - **Two lines** ([`Lines::Two`]): a ping line only the pinger writes and a pong line only the
//!   echoer writes (`n + 1` on each). This is the shape of two single-writer rings: each line
//!   moves once per direction, and each thread also reads the line it owns back after the other
//!   read it.
//!
//! Each line is an `AtomicU64` alone in a 128-byte aligned block (two 64-byte lines: the
//! adjacent-line prefetcher pairs lines on x86-64). Every sample is verified: a thread only moves
//! on when it reads exactly the value it waits for. Rings' round trips are reported as multiples
//! of the one-line floor (`rtt_floor` table).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::affinity::{Cores, pin_current};
use crate::pingpong::Spec;
use crate::poll::{Idle, Poller, Rendezvous};
use crate::stats::{histogram, nanos, record};
use crate::transport::Impl;

/// Which floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line written alternately by both threads.
    One,
    /// A ping line and a pong line, each with one writer.
    Two,
}

impl Lines {
    /// The floor an [`Impl::FloorOneLine`] or [`Impl::FloorTwoLines`] stands for.
    pub fn of(imp: Impl) -> Option<Self> {
        match imp {
            Impl::FloorOneLine => Some(Self::One),
            Impl::FloorTwoLines => Some(Self::Two),
            _ => None,
        }
    }
}

/// An atomic alone in a 128-byte block.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Line(AtomicU64);

/// Waits until `line` holds `value`.
///
/// # Panics
///
/// If it holds anything else than `value` or `before` (the value the other thread replaces), or
/// after [`crate::poll::TIMEOUT`].
#[inline]
fn wait_for(line: &Line, before: u64, value: u64, poller: Poller) {
    let mut idle = Idle::default();
    loop {
        // Acquire: pairs with the other thread's Release store of `value`, so that everything
        // it did before (its own receive) happened before this thread moves on.
        let seen = line.0.load(Ordering::Acquire);
        if seen == value {
            return;
        }
        assert_eq!(seen, before, "floor: unexpected value on the line");
        poller.idle(&mut idle);
    }
}

/// Runs `spec.total()` round trips between a pinger on `cores.writer()` and an echoer on
/// `cores.reader(0)` and returns the recorded ones (ns).
///
/// # Panics
///
/// If a thread cannot be pinned or sees a value out of turn.
pub fn run(lines: Lines, spec: Spec, cores: &Cores) -> Histogram<u64> {
    let poller = Poller::for_load(2, if cores.writer() == cores.reader(0) { 1 } else { 2 });
    let (ping_line, pong_line) = (Line::default(), Line::default());
    // One line: both directions on `ping_line`.
    let pong_line = match lines {
        Lines::One => &ping_line,
        Lines::Two => &pong_line,
    };
    let ping_line = &ping_line;
    // (value the pinger stores, value the echo stores) in round trip `n`.
    let values = move |n: u64| match lines {
        Lines::One => (2 * n + 1, 2 * n + 2),
        Lines::Two => (n + 1, n + 1),
    };
    let ready = Rendezvous::new(2);
    std::thread::scope(|scope| {
        let echoer = scope.spawn(|| {
            pin_current(cores.reader(0));
            ready.wait();
            for n in 0..spec.total() {
                let (ping, pong) = values(n);
                wait_for(ping_line, ping - 1, ping, poller);
                // Release: publishes this turn; pairs with the Acquire load in the pinger's
                // `wait_for`.
                pong_line.0.store(pong, Ordering::Release);
            }
        });
        let pinger = scope.spawn(|| {
            pin_current(cores.writer());
            ready.wait();
            let mut hist = histogram();
            for n in 0..spec.total() {
                let (ping, pong) = values(n);
                let sent = Instant::now();
                // Release: publishes this turn; pairs with the Acquire load in the echoer's
                // `wait_for`.
                ping_line.0.store(ping, Ordering::Release);
                let before = if lines == Lines::One { ping } else { pong - 1 };
                wait_for(pong_line, before, pong, poller);
                let elapsed = sent.elapsed();
                if n >= spec.warmup {
                    record(&mut hist, nanos(elapsed));
                }
            }
            assert_eq!(hist.len(), spec.samples, "every round trip recorded");
            hist
        });
        let hist = pinger.join().expect("floor pinger thread");
        echoer.join().expect("floor echo thread");
        hist
    })
}

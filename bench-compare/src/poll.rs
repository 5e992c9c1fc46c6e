//! Waiting for the next message: spin, and yield the core only when spinning is hopeless.
//!
//! All three crates only offer non-blocking reads, so every bench polls. A poller spins with
//! [`core::hint::spin_loop`] and, after `yield_after` empty polls in a row, calls
//! [`std::thread::yield_now`] on every further empty poll. With one thread per core the
//! threshold is never reached in a healthy run (a reply arrives within microseconds); it only
//! keeps a bench alive when threads outnumber cores (fan-out with more readers than reader cores,
//! or a single-CPU machine), where a pure spinner would hold its core for a whole time slice.
//!
//! Nothing here waits forever: a poller or [`Rendezvous`] that has been idle for [`TIMEOUT`]
//! panics, so that a bench whose other side died fails instead of hanging.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::transport::{Receiver, Recv};

/// How long a wait may last before the bench gives up.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Empty polls before yielding when every thread has a core of its own: about a millisecond.
pub const YIELD_AFTER_DEDICATED: u32 = 1 << 16;
/// Empty polls before yielding when threads share cores.
pub const YIELD_AFTER_SHARED: u32 = 64;

/// Spin-then-yield waiting policy.
#[derive(Debug, Clone, Copy)]
pub struct Poller {
    yield_after: u32,
}

impl Poller {
    /// A poller that yields after `yield_after` empty polls in a row.
    pub fn new(yield_after: u32) -> Self {
        Self { yield_after }
    }

    /// The policy for `threads` busy threads on `cores` cores.
    pub fn for_load(threads: usize, cores: usize) -> Self {
        Self::new(if threads > cores { YIELD_AFTER_SHARED } else { YIELD_AFTER_DEDICATED })
    }

    /// Polls `rx` until a message arrives and returns its length.
    ///
    /// # Panics
    ///
    /// On an overrun: the benches that use this (ping-pong) never let the writer lap a reader, so
    /// an overrun there is a bug in the bench or in a crate.
    #[inline]
    pub fn recv<R: Receiver>(&self, rx: &mut R, buf: &mut [u8]) -> usize {
        let mut idle = Idle::default();
        loop {
            match rx.try_recv(buf) {
                Recv::Message(len) => return len,
                Recv::Empty => self.idle(&mut idle),
                Recv::Overrun => panic!("unexpected overrun: no reader is ever lapped here"),
            }
        }
    }

    /// One empty poll: spin, or yield once `idle` has seen enough empty polls in a row.
    ///
    /// # Panics
    ///
    /// Once the wait has lasted [`TIMEOUT`].
    #[inline]
    pub fn idle(&self, idle: &mut Idle) {
        if idle.empty < self.yield_after {
            idle.empty += 1;
            core::hint::spin_loop();
            return;
        }
        let since = *idle.yielding_since.get_or_insert_with(Instant::now);
        assert!(since.elapsed() < TIMEOUT, "nothing arrived for {TIMEOUT:?}: the other side died");
        std::thread::yield_now();
    }
}

/// State of one wait: empty polls so far, and when yielding began.
#[derive(Debug, Clone, Copy, Default)]
pub struct Idle {
    empty: u32,
    yielding_since: Option<Instant>,
}

/// A one-shot barrier for `parties` threads that panics instead of hanging when a party never
/// arrives (it panicked before reaching it, say).
#[derive(Debug)]
pub struct Rendezvous {
    arrived: AtomicUsize,
    parties: usize,
}

impl Rendezvous {
    /// A barrier for `parties` threads.
    pub fn new(parties: usize) -> Self {
        Self { arrived: AtomicUsize::new(0), parties }
    }

    /// Waits until all parties have called `wait`.
    ///
    /// # Panics
    ///
    /// After [`TIMEOUT`] without all parties.
    pub fn wait(&self) {
        // AcqRel: each arrival publishes what its thread did before (its writer exists) and,
        // with the Acquire loads below, sees what the others did before theirs.
        self.arrived.fetch_add(1, Ordering::AcqRel);
        let poller = Poller::new(YIELD_AFTER_SHARED);
        let mut idle = Idle::default();
        while self.arrived.load(Ordering::Acquire) < self.parties {
            poller.idle(&mut idle);
        }
    }
}

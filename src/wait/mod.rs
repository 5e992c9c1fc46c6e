//! Waiting for messages: busy spin, spin then yield, or spin then park on a futex.
//!
//! A parked reader counts itself in the header's `waiters` word and sleeps on a futex on
//! `wake_seq`; the writer loads `waiters` after every publication (its only cost while nobody
//! parks) and, when it is not zero, bumps `wake_seq` and wakes the futex. The futex is
//! process-shared, so this works across processes on a channel file.
//!
//! The writer's load of `waiters` is relaxed and follows its release store of a commit word
//! without a fence, so on a rare interleaving it misses a reader that was just parking. A
//! fence there would cost every publication; instead a parked reader sleeps in slices of
//! [`PARK_SLICE`] and re-checks, so a missed wake-up costs at most one slice.
//!
//! A reader killed while parked never takes itself out of `waiters`. Nobody may repair the
//! count (a reader still parking would then take it below zero), so the writer learns it
//! instead, privately ([`Wakes`]). Every park also bumps a park counter in the high half of the
//! same word, so the word changes whenever any reader parks, and again when it leaves; a live
//! parked reader leaves and parks again at least every [`PARK_SLICE`]. A word that stays put
//! for [`STALE_FOR`] (several slices) while every wake-up in that time woke nobody therefore
//! holds only dead registrations: the writer stops waking until the word changes, which the
//! next reader to park makes it do. A dead registration thus costs a writer (and every writer
//! reopened after it) a few milliseconds of wake-ups, not one system call per publication, and
//! the check after each publication stays one load compared with one of the writer's fields.
//!
//! With the `async` feature, `hub` serves async streams the same way: one thread per ring
//! parks like a reader and wakes the tasks of every stream of that ring.

mod futex;
#[cfg(feature = "async")]
pub(crate) mod hub;

use std::time::{Duration, Instant};

use crate::ring::Shared;
use crate::ring::header::WakeWords;
use crate::sync::Ordering;

/// Longest a parked reader sleeps before re-checking the ring on its own.
pub(crate) const PARK_SLICE: Duration = Duration::from_millis(1);

/// How long the `waiters` word must stay put, with every wake-up in that time waking nobody,
/// before the writer takes its registrations for dead readers: several park slices, so that a
/// live reader, which leaves and parks again every slice, is never among them.
pub(crate) const STALE_FOR: Duration = Duration::from_millis(4);

/// What a parking reader adds to `waiters`: one to the count in the low half, one to the park
/// counter in the high half. Leaving takes back only the count.
const PARKING: u64 = 1 | (1 << 32);
/// The count of registered readers in `waiters`.
const COUNT: u64 = u32::MAX as u64;

/// How many readers have registered as parked in `words` and not left (dead ones included).
pub(crate) fn parked(words: &WakeWords) -> u32 {
    // The count is the low half of the word.
    #[allow(clippy::cast_possible_truncation)]
    let count = (words.waiters.load(Ordering::Relaxed) & COUNT) as u32;
    count
}

/// The writer's private record of its wake-ups: which `waiters` word holds only dead
/// registrations, and how many wake-up system calls it made (module docs).
#[derive(Debug)]
pub(crate) struct Wakes {
    /// The `waiters` word at which the writer wakes nobody: 0 (nobody registered) until dead
    /// registrations are learned.
    quiet: u64,
    /// Registrations known to be dead readers'.
    dead: u64,
    /// The word seen at the latest fruitless wake-up, and since when it has not changed.
    seen: u64,
    seen_since: Instant,
    /// Wake-up system calls made.
    calls: u64,
}

impl Wakes {
    pub(crate) fn new() -> Self {
        Self { quiet: 0, dead: 0, seen: 0, seen_since: Instant::now(), calls: 0 }
    }

    /// Wake-up system calls made so far.
    pub(crate) fn calls(&self) -> u64 {
        self.calls
    }

    /// Called by the writer after each publication. While nobody parks (and while only dead
    /// registrations remain) this is one relaxed load of shared memory and one comparison.
    #[inline(always)]
    pub(crate) fn after_publish(&mut self, words: &WakeWords) {
        let word = words.waiters.load(Ordering::Relaxed);
        if word != self.quiet {
            self.wake(words, word);
        }
    }

    #[cold]
    #[inline(never)]
    fn wake(&mut self, words: &WakeWords, word: u64) {
        let count = word & COUNT;
        if count <= self.dead {
            // Nobody but readers known dead is registered: a live one came and went, or one of
            // those taken for dead was live after all and left. Nothing to wake.
            (self.dead, self.quiet) = (count, word);
            return;
        }
        let woken = wake_parked(words);
        self.calls += 1;
        if woken > 0 || word != self.seen {
            (self.seen, self.seen_since) = (word, Instant::now());
        } else if self.seen_since.elapsed() >= STALE_FOR {
            // No reader parked or left for several slices, and nobody was asleep to wake:
            // every registration in the word is a dead reader's.
            (self.dead, self.quiet) = (count, word);
        }
    }
}

/// How a reader waits in its blocking reads ([`Reader::recv_timeout`](crate::Reader::recv_timeout)).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use bcast::{RingBuffer, WaitStrategy};
///
/// let ring = RingBuffer::with_capacity(4096);
/// let mut writer = ring.clone().into_writer();
/// let mut reader = ring.into_reader().with_wait_strategy(WaitStrategy::SpinThenPark { spins: 100 });
/// let publisher = std::thread::spawn(move || writer.send(b"wake up"));
/// let mut buf = [0u8; 16];
/// let received = reader.recv_timeout(&mut buf, Duration::from_secs(5))?.expect("sent");
/// assert_eq!(&buf[..received.len], b"wake up");
/// publisher.join().unwrap()?;
/// # Ok::<(), bcast::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStrategy {
    /// Spin on the reader's position until a message arrives: the lowest latency, one core
    /// kept busy.
    BusySpin,
    /// Spin `spins` times, then yield the thread between checks.
    SpinThenYield {
        /// Checks before the first yield.
        spins: u32,
    },
    /// Spin `spins` times, then park until the writer publishes: no core is burnt while the
    /// channel is quiet. Where the reader may not write the channel (caller memory joined
    /// read-only, a channel file without write permission) it sleeps in short slices instead.
    SpinThenPark {
        /// Checks before parking.
        spins: u32,
    },
}

impl Default for WaitStrategy {
    /// [`SpinThenPark`](WaitStrategy::SpinThenPark) with 1000 spins (a few microseconds).
    fn default() -> Self {
        Self::SpinThenPark { spins: 1000 }
    }
}

/// Calls `attempt` until it finds something, waiting with `wait` in between, for up to
/// `timeout`: the loop behind every `recv_timeout`.
#[inline]
pub(crate) fn retry_for<S, T, E>(
    state: &mut S,
    timeout: Duration,
    mut attempt: impl FnMut(&mut S) -> Result<Option<T>, E>,
    wait: impl Fn(&S, Instant) -> bool,
) -> Result<Option<T>, E> {
    let deadline = deadline_after(timeout);
    loop {
        if let Some(found) = attempt(state)? {
            return Ok(Some(found));
        }
        if !wait(state, deadline) {
            return Ok(None);
        }
    }
}

/// `timeout` from now, or a century from now if that overflows (`Duration::MAX` waits
/// "forever").
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout).unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400))
}

/// Waits until a frame is published at `position` (`true`) or `deadline` passes (`false`).
pub(crate) fn until_published(
    shared: &Shared,
    position: u64,
    deadline: Instant,
    strategy: WaitStrategy,
) -> bool {
    let published = || published_at(shared, position);
    let spins = match strategy {
        WaitStrategy::BusySpin => u32::MAX,
        WaitStrategy::SpinThenYield { spins } | WaitStrategy::SpinThenPark { spins } => spins,
    };
    let mut spun = 0u32;
    loop {
        for _ in 0..spins.saturating_sub(spun).min(1024) {
            if published() {
                return true;
            }
            core::hint::spin_loop();
            spun += 1;
        }
        if published() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        if spun < spins {
            continue;
        }
        match strategy {
            WaitStrategy::BusySpin => spun = 0,
            WaitStrategy::SpinThenYield { .. } => std::thread::yield_now(),
            WaitStrategy::SpinThenPark { .. } => park(shared, position, deadline - now),
        }
    }
}

/// Whether a read at `position` has something to return: a frame published there (its commit
/// word is no longer zero), or the news that the writer lapped the reader, whose read then
/// reports the overrun. Both loads hit the reader's cache until the writer publishes there or
/// moves its reservation.
#[inline]
fn published_at(shared: &Shared, position: u64) -> bool {
    let ring = &shared.ring;
    let capacity = ring.capacity();
    ring.load_commit_word(position & (capacity - 1)) != 0
        || ring.header().claimed_after_loads().wrapping_sub(position) > capacity
}

/// Sleeps until the writer wakes parked readers, for at most `timeout` (and one slice).
fn park(shared: &Shared, position: u64, timeout: Duration) {
    let slice = timeout.min(PARK_SLICE);
    let Some(spot) = shared.park_spot() else {
        std::thread::sleep(slice.min(Duration::from_micros(50)));
        return;
    };
    let words = spot.words();
    let seen = words.wake_seq.load(Ordering::Relaxed);
    // SeqCst: orders the registration before the re-check of the commit word below, so a writer
    // that publishes after the re-check sees the changed word (up to the race in the module
    // docs).
    words.waiters.fetch_add(PARKING, Ordering::SeqCst);
    if !published_at(shared, position) {
        futex::wait(&words.wake_seq, seen, slice);
    }
    words.waiters.fetch_sub(1, Ordering::SeqCst);
}

/// Wakes every reader parked on the ring of `words`; returns how many threads were sleeping
/// on the futex (0 if the call failed).
fn wake_parked(words: &WakeWords) -> u64 {
    // Relaxed: the bump only has to change the value the futex compares; the frames are
    // published by their commit words, which a woken reader loads with acquire semantics.
    words.wake_seq.fetch_add(1, Ordering::Relaxed);
    futex::wake(&words.wake_seq)
}

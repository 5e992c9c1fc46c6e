//! The async wake-up hub: one thread per ring handle (not per reader) that parks on the ring's
//! futex and wakes the tasks of every async stream of that ring when the writer publishes.

use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

use super::{WaitStrategy, until_published};
use crate::ring::Shared;

/// How long the hub thread parks before checking whether any stream still uses it.
const LIVENESS: Duration = Duration::from_millis(50);

/// Wakers of the tasks waiting for the next publication on one ring.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    wakers: Mutex<Vec<Waker>>,
}

impl Hub {
    /// The hub of `shared`'s ring, started if no stream of this process uses the ring yet.
    pub(crate) fn of(shared: &Arc<Shared>) -> Arc<Self> {
        let mut slot = shared.hub.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // The slot only ever holds a `Hub` (it is type-erased for the ring's sake).
        if let Some(hub) = slot.upgrade().and_then(|any| any.downcast::<Self>().ok()) {
            return hub;
        }
        let hub = Arc::new(Self::default());
        *slot = Arc::downgrade(&hub) as Weak<dyn core::any::Any + Send + Sync>;
        // Loaded here, before any task of this hub can register, not by the thread when it
        // starts: a publication between a task's registration and the thread's start would
        // then count as seen, and the task sleep until the next one.
        let seen = shared.ring.header().load_committed();
        let (weak, shared) = (Arc::downgrade(&hub), Arc::clone(shared));
        std::thread::Builder::new()
            .name("bcast-async-hub".into())
            .spawn(move || run(&weak, &shared, seen))
            .expect("spawning the bcast async hub thread");
        hub
    }

    /// Asks to be woken at the next publication.
    pub(crate) fn register(&self, waker: &Waker) {
        let mut wakers = self.wakers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }

    fn wake_all(&self) {
        let wakers = std::mem::take(
            &mut *self.wakers.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// The hub thread: park until the writer publishes past `seen` (the committed position when
/// the hub was made), wake everyone, repeat while streams live.
fn run(hub: &Weak<Hub>, shared: &Shared, mut seen: u64) {
    while let Some(next) = step(hub, shared, seen) {
        seen = next;
    }
}

/// One round of the hub thread: waits (at most [`LIVENESS`]) for a publication past `seen`,
/// and if one came, wakes every registered task. Returns the committed position the next round
/// waits past, or `None` once no stream uses the hub.
///
/// The position is loaded *before* the tasks are woken: a task that registers after the wake
/// (its waker is no longer in the list) and misses a publication in its re-check has that
/// publication land after the load, so the next round sees it and wakes the task. Loading it
/// after the wake would count that publication as seen and leave the task asleep until the next
/// one, which on a quiet channel never comes.
fn step(hub: &Weak<Hub>, shared: &Shared, seen: u64) -> Option<u64> {
    let park = WaitStrategy::SpinThenPark { spins: 0 };
    let published = until_published(shared, seen, Instant::now() + LIVENESS, park);
    let hub = hub.upgrade()?;
    if !published {
        return Some(seen);
    }
    let next = shared.ring.header().load_committed();
    hub.wake_all();
    Some(next)
}

#[cfg(all(test, target_os = "linux", not(miri)))]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::task::{Wake, Waker};

    use super::{Hub, step};
    use crate::sync::{AtomicBool, Ordering};
    use crate::{RingBuffer, Writer};

    /// A task that, when woken, registers a second task and then publishes: a task that
    /// registers just after a wake-up, with a publication following.
    struct RegistersThenPublishes {
        hub: Arc<Hub>,
        writer: Mutex<Writer>,
        late: Waker,
    }

    impl Wake for RegistersThenPublishes {
        fn wake(self: Arc<Self>) {
            self.hub.register(&self.late);
            self.writer.lock().expect("writer").send(b"second").expect("send");
        }
    }

    /// A task that records that it was woken.
    #[derive(Default)]
    struct Flag(AtomicBool);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    /// A task registered as soon as its stream is made, before the hub thread has run, and a
    /// publication right after: the hub must count it as new, however late its thread starts.
    #[test]
    fn a_publication_before_the_hub_thread_runs_wakes_the_tasks_registered_before_it() {
        let ring = RingBuffer::with_capacity(4096);
        let shared = Arc::clone(ring.shared());
        let mut writer = ring.into_writer();
        let hub = Hub::of(&shared);
        let woken = Arc::new(Flag::default());
        hub.register(&Waker::from(Arc::clone(&woken)));
        writer.send(b"published before the hub thread looks").expect("send");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !woken.0.load(Ordering::Relaxed) {
            assert!(std::time::Instant::now() < deadline, "the task was never woken");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn a_task_registered_during_a_wake_up_is_woken_by_the_publication_that_follows() {
        let ring = RingBuffer::with_capacity(4096);
        let shared = Arc::clone(ring.shared());
        // Driven one round at a time on this thread, without the hub thread.
        let hub = Arc::new(Hub::default());
        let weak = Arc::downgrade(&hub);
        let late = Arc::new(Flag::default());
        let first = Arc::new(RegistersThenPublishes {
            hub: Arc::clone(&hub),
            writer: Mutex::new(ring.into_writer()),
            late: Waker::from(Arc::clone(&late)),
        });
        let seen = shared.ring.header().load_committed();
        hub.register(&Waker::from(Arc::clone(&first)));
        first.writer.lock().expect("writer").send(b"first").expect("send");

        // Round one wakes `first`, which registers `late` and publishes "second".
        let seen = step(&weak, &shared, seen).expect("the hub is alive");
        assert!(!late.0.load(Ordering::Relaxed), "`late` registered during round one");
        // Round two must see "second" as new and wake `late`; it would otherwise wait out its
        // liveness period and return with `late` still asleep.
        step(&weak, &shared, seen).expect("the hub is alive");
        assert!(late.0.load(Ordering::Relaxed), "the task that registered late was never woken");
    }
}

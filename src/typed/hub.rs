//! The async wake-up hub: one thread per ring handle (not per reader) that parks on the ring's
//! futex and wakes the tasks of every async stream of that ring when the writer publishes.

use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::ring::Shared;
use crate::wait::{WaitStrategy, until_published};

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
        if let Some(hub) = slot.upgrade() {
            return hub;
        }
        let hub = Arc::new(Self::default());
        *slot = Arc::downgrade(&hub);
        let (weak, shared) = (Arc::downgrade(&hub), Arc::clone(shared));
        std::thread::Builder::new()
            .name("bcast-async-hub".into())
            .spawn(move || run(&weak, &shared))
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

/// The hub thread: park until the writer publishes, wake everyone, repeat while streams live.
fn run(hub: &Weak<Hub>, shared: &Shared) {
    let park = WaitStrategy::SpinThenPark { spins: 0 };
    loop {
        let seen = shared.ring.header().load_committed();
        let published = until_published(shared, seen, Instant::now() + LIVENESS, park);
        let Some(hub) = hub.upgrade() else { return };
        if published {
            hub.wake_all();
        }
    }
}

//! Storing a channel's registry in a ring header, and checking a stored one.

use std::cell::Cell;
use std::io;
use std::path::Path;

use super::error::TypedOpenError;
use super::message::Channel;
use super::registry::{Registry, SchemaMismatch};
use crate::error::OpenError;
use crate::ring::header::{REGISTRY_CAPACITY, round_capacity};
use crate::ring_buffer::{ReadWrite, RingBuffer};
use crate::shm::{CreateOptions, Opened, create_channel};

/// Stores `C`'s registry in a ring that has none; checks the stored one otherwise.
///
/// The caller holds the ring's writer (or its creation lock), so nobody else stores at the same
/// time.
pub(crate) fn store_or_check<C: Channel>(
    ring: &RingBuffer<ReadWrite>,
) -> Result<(), TypedOpenError> {
    store_or_check_registry(ring, Registry::of::<C>(), C::NAME)
}

/// Stores `ours` in a ring that has no registry; checks the stored one otherwise.
fn store_or_check_registry(
    ring: &RingBuffer<ReadWrite>,
    ours: Registry,
    channel: &'static str,
) -> Result<(), TypedOpenError> {
    match stored(ring)? {
        Some(theirs) => compare(ring, ours, theirs),
        None => {
            let bytes = ours.to_bytes();
            if ring.store_registry(&bytes) {
                Ok(())
            } else {
                Err(TypedOpenError::RegistryTooLarge {
                    channel,
                    len: bytes.len(),
                    max: REGISTRY_CAPACITY,
                })
            }
        }
    }
}

/// Checks that the registry stored in `ring` is `C`'s.
pub(crate) fn check<C: Channel, A>(ring: &RingBuffer<A>) -> Result<(), TypedOpenError> {
    match stored(ring)? {
        Some(theirs) => compare(ring, Registry::of::<C>(), theirs),
        None => Err(TypedOpenError::Untyped { path: ring.path().map(ToOwned::to_owned) }),
    }
}

fn stored<A>(ring: &RingBuffer<A>) -> Result<Option<Registry>, TypedOpenError> {
    Registry::read_from(ring).map_err(|reason| TypedOpenError::CorruptRegistry {
        path: ring.path().map(ToOwned::to_owned),
        reason,
    })
}

fn compare<A>(
    ring: &RingBuffer<A>,
    ours: Registry,
    theirs: Registry,
) -> Result<(), TypedOpenError> {
    if ours.matches(&theirs) {
        return Ok(());
    }
    let path = ring.path().map(ToOwned::to_owned);
    Err(TypedOpenError::Mismatch(Box::new(SchemaMismatch { path, ours, theirs })))
}

/// Creates (or reopens) the channel file at `path` with `registry` stored in its header before
/// any reader can see it; reopening checks the stored registry instead, and refuses a file
/// that has none (an untyped channel).
pub(crate) fn create_with_registry(
    path: &Path,
    capacity: usize,
    options: &CreateOptions,
    registry: &Registry,
    channel: &'static str,
) -> Result<RingBuffer<ReadWrite>, TypedOpenError> {
    // `create_channel` reports `OpenError`s; keep the typed error aside and return it.
    let failure = Cell::new(None);
    let init = |ring: &RingBuffer<ReadWrite>, opened| {
        let checked = match opened {
            Opened::New => store_or_check_registry(ring, registry.clone(), channel),
            // A reopened file keeps its frames: only a channel of the same registry may go on.
            Opened::Existing => match stored(ring) {
                Ok(Some(theirs)) => compare(ring, registry.clone(), theirs),
                Ok(None) => Err(TypedOpenError::UntypedChannelExists { path: path.to_owned() }),
                Err(error) => Err(error),
            },
        };
        checked.map_err(|error| {
            let source = io::Error::other(error.to_string());
            failure.set(Some(error));
            OpenError::Io { path: path.to_owned(), operation: "store the registry of", source }
        })
    };
    match create_channel(path, round_capacity(capacity), options, init) {
        Ok(ring) => Ok(ring),
        Err(error) => Err(failure.take().unwrap_or(TypedOpenError::Open(error))),
    }
}

impl Registry {
    /// Creates (or reopens, as its writer) the channel file at `path` carrying this registry,
    /// for programs that forward a typed channel without knowing its types at compile time,
    /// such as a relay that imports a channel from another host. Typed subscribers attach to it
    /// as to a channel made by a [`Publisher`](super::Publisher) of the same types.
    ///
    /// # Errors
    ///
    /// As for [`RingBuffer::create`]; [`TypedOpenError::Mismatch`] if an existing channel at
    /// `path` carries another registry; [`TypedOpenError::UntypedChannelExists`] if it carries
    /// none (an untyped writer made it); [`TypedOpenError::RegistryTooLarge`] if the registry
    /// does not fit the header.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[bcast::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastMessage)] pub enum Pings { Ping(Ping) }
    /// use bcast::typed::Registry;
    ///
    /// // On the far side, the registry arrives as bytes (`Registry::to_bytes`).
    /// let registry = Registry::from_bytes(&Registry::of::<Pings>().to_bytes())?;
    /// let ring = registry.create_channel("/dev/shm/pings-mirror", 1 << 20)?;
    /// let _writer = ring.into_writer(); // forwards frames with `send_with_user_defined`
    /// let _subscriber = Pings::attach("/dev/shm/pings-mirror")?; // accepted: same registry
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_channel(
        &self,
        path: impl AsRef<Path>,
        capacity: usize,
    ) -> Result<RingBuffer<ReadWrite>, TypedOpenError> {
        create_with_registry(path.as_ref(), capacity, &CreateOptions::default(), self, "relayed")
    }

    /// Stores this registry in a heap (or caller-memory) ring that has none, or checks the one
    /// it has; for forwarding a typed channel between threads without its types.
    ///
    /// # Errors
    ///
    /// [`TypedOpenError::Mismatch`] if the ring carries another registry;
    /// [`TypedOpenError::RegistryTooLarge`] if it does not fit the header.
    pub fn install(&self, ring: &RingBuffer<ReadWrite>) -> Result<(), TypedOpenError> {
        store_or_check_registry(ring, self.clone(), "relayed")
    }
}

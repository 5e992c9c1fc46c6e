//! Opening a typed channel: storing its registry in a ring header, checking a stored one, and
//! the error ([`TypedOpenError`]) when either fails.

use std::cell::Cell;
use std::io;
use std::path::{Path, PathBuf};

use super::channel::Channel;
use super::error::place;
use super::mismatch::SchemaMismatch;
use super::registry::{Registry, RegistryError};
use crate::error::{Error, OpenError};
use crate::ring::header::round_capacity;
use crate::ring::metadata::AppendError;
use crate::ring_buffer::{ReadWrite, RingBuffer};
use crate::shm::{CreateOptions, Opened, create_channel};

/// Error returned when making a [`Publisher`](super::Publisher) or
/// [`Subscriber`](super::Subscriber) of a channel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TypedOpenError {
    /// Creating or attaching the channel file failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The ring refused, e.g. [`Error::WriterExists`] for a second publisher of a heap ring.
    #[error(transparent)]
    Ring(#[from] Error),
    /// The channel has no schema registry: an untyped writer made it.
    #[error("{}: the channel has no schema registry (an untyped writer made it)", place(.path.as_deref()))]
    Untyped {
        /// The channel file, or `None` for a heap or caller-memory ring.
        path: Option<PathBuf>,
    },
    /// A typed channel was to be created at a path that holds an untyped channel (one without a
    /// schema registry, made by an untyped writer). It is not adopted, since its frames are not
    /// typed messages; remove the file or create the typed channel at another path.
    #[error(
        "channel {}: the file is an untyped channel (no schema registry), which a typed channel \
         does not take over; remove the file or use another path",
        .path.display()
    )]
    UntypedChannelExists {
        /// The channel file.
        path: PathBuf,
    },
    /// The channel's registry differs from this program's; the error lists the differences.
    #[error(transparent)]
    Mismatch(Box<SchemaMismatch>),
    /// The channel's registry bytes cannot be parsed.
    #[error("{}: corrupt schema registry: {reason}", place(.path.as_deref()))]
    CorruptRegistry {
        /// The channel file, or `None` for a heap or caller-memory ring.
        path: Option<PathBuf>,
        /// What is wrong with it.
        reason: RegistryError,
    },
    /// The channel's registry is larger than the room the ring header has for it.
    #[error("the schema registry of `{channel}` is {len} bytes, the ring header holds {max}")]
    RegistryTooLarge {
        /// The channel type.
        channel: &'static str,
        /// Encoded size of the registry.
        len: usize,
        /// Room in the header.
        max: usize,
    },
}

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
            ring.store_registry(&bytes).map_err(|error| match error {
                AppendError::Full { room } => {
                    TypedOpenError::RegistryTooLarge { channel, len: bytes.len(), max: room }
                }
                AppendError::Layout(reason) => TypedOpenError::CorruptRegistry {
                    path: ring.path().map(ToOwned::to_owned),
                    reason: reason.into(),
                },
            })
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

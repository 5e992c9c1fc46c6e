//! Typed channels in channel files (Linux): a new file carries its registry before any reader
//! can see it, and a reopened one must carry the same.

use std::cell::Cell;
use std::io;
use std::path::Path;

use super::description::Description;
use super::open::{TypedOpenError, store_or_check_registry};
use super::registry::Registry;
use crate::error::OpenError;
use crate::ring::header::round_capacity;
use crate::ring::table::TableLayout;
use crate::ring_buffer::{ReadWrite, RingBuffer};
use crate::shm::{CreateOptions, Opened, create_channel};

/// Creates (or reopens) the channel file at `path` with `registry` (after `description`, if
/// given) stored in its header before any reader can see it; reopening checks the stored
/// registry instead, and refuses a file that has none but holds frames (an untyped channel).
pub(crate) fn create_with_registry(
    path: &Path,
    capacity: usize,
    table: &TableLayout,
    options: &CreateOptions,
    registry: &Registry,
    channel: &'static str,
    description: Option<&[u8]>,
) -> Result<RingBuffer<ReadWrite>, TypedOpenError> {
    // `create_channel` reports `OpenError`s; keep the typed error aside and return it.
    let failure = Cell::new(None);
    // A new file gets the registry; a reopened one keeps its frames, so only a channel of
    // the same registry (or an empty untyped one) may go on.
    let init = |ring: &RingBuffer<ReadWrite>, _: Opened| {
        store_or_check_registry(ring, registry.clone(), channel, description).map_err(|error| {
            let source = io::Error::other(error.to_string());
            failure.set(Some(error));
            OpenError::Io { path: path.to_owned(), operation: "store the registry of", source }
        })
    };
    match create_channel(path, round_capacity(capacity), table, options, init) {
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
    /// `path` carries another registry; [`TypedOpenError::Untyped`] if it carries none but
    /// holds frames (an untyped writer's); [`TypedOpenError::RegistryTooLarge`] if the registry
    /// does not fit the header.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use bcast::typed::Registry;
    ///
    /// // On the far side, the registry arrives as bytes (`Registry::to_bytes`).
    /// let registry = Registry::from_bytes(&Registry::of::<Pings>().to_bytes())?;
    /// let ring = registry.create_channel("/dev/shm/pings-mirror", 1 << 20)?;
    /// let _writer = ring.into_writer(); // forwards frames with `send_with_tag`
    /// let ring = bcast::RingBuffer::attach("/dev/shm/pings-mirror")?;
    /// let _subscriber = bcast::typed::Subscriber::<Pings>::new(ring)?; // accepted: same registry
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_channel(
        &self,
        path: impl AsRef<Path>,
        capacity: usize,
    ) -> Result<RingBuffer<ReadWrite>, TypedOpenError> {
        create_with_registry(
            path.as_ref(),
            capacity,
            &TableLayout::default(),
            &CreateOptions::new(),
            self,
            "relayed",
            None,
        )
    }

    /// Like [`create_channel`](Self::create_channel), and stores `description` (the source
    /// channel's, as [`Description::read_from`] read it) with the registry, so that the new
    /// channel describes itself as the source does.
    ///
    /// # Errors
    ///
    /// As for [`create_channel`](Self::create_channel);
    /// [`TypedOpenError::CorruptDescription`] if `description` does not describe this
    /// registry's types; [`TypedOpenError::DescriptionTooLarge`] if it does not fit the header.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use bcast::typed::description::Description;
    /// use bcast::typed::{Channel, Registry};
    ///
    /// // On the far side, both arrive as bytes.
    /// let registry = Registry::from_bytes(&Registry::of::<Pings>().to_bytes())?;
    /// let description = Description::decode(&Description::of(Pings::SHAPES).to_bytes())?;
    /// let ring = registry.create_described_channel("/dev/shm/pings-mirror", 1 << 20, &description)?;
    /// assert!(Description::read_from(&ring)?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_described_channel(
        &self,
        path: impl AsRef<Path>,
        capacity: usize,
        description: &Description,
    ) -> Result<RingBuffer<ReadWrite>, TypedOpenError> {
        let path = path.as_ref();
        let types = self.types.iter().map(|entry| (entry.tag, entry.fingerprint));
        description.check(types).map_err(|reason| TypedOpenError::CorruptDescription {
            path: Some(path.to_owned()),
            reason,
        })?;
        let bytes = description.to_bytes();
        create_with_registry(
            path,
            capacity,
            &TableLayout::default(),
            &CreateOptions::new(),
            self,
            "relayed",
            Some(&bytes),
        )
    }
}

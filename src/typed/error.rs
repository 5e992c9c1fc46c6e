//! Errors of the typed layer: [`PublishError`] and [`RecvError`] on the hot path (`Copy`, no
//! allocation), [`DecodeError`] for one payload, [`TypedOpenError`] for making publishers and
//! subscribers.

use std::path::{Path, PathBuf};

use super::registry::{RegistryError, SchemaMismatch};
use crate::error::{Error, OpenError};

/// Why a payload is not a valid message of the type its tag names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The tag is not one of the channel's message types.
    #[error("tag {tag} is not a message type of this channel")]
    UnknownTag {
        /// The frame's tag.
        tag: u32,
    },
    /// The bytes are not a valid rkyv archive of the type (checked access failed).
    #[error("{len} bytes are not a valid archive of `{type_name}`")]
    InvalidArchive {
        /// The message type the tag names.
        type_name: &'static str,
        /// Payload length.
        len: usize,
    },
    /// A pod payload does not start at an address aligned for its type, so it cannot be read in
    /// place. A subscriber's buffer is aligned for every pod type; this comes from bytes decoded
    /// elsewhere (see [`Payload::checked`](super::Payload::checked)).
    #[error(
        "`{type_name}` must be {align}-byte aligned, the payload starts {offset} bytes past an \
         aligned address"
    )]
    Misaligned {
        /// The message type the tag names.
        type_name: &'static str,
        /// Alignment the type needs.
        align: usize,
        /// The payload's address modulo `align`.
        offset: usize,
    },
    /// A pod payload does not have the size of its type.
    #[error("`{type_name}` is {expected} bytes, the payload has {found}")]
    Length {
        /// The message type the tag names.
        type_name: &'static str,
        /// Size of the type.
        expected: usize,
        /// Payload length.
        found: usize,
    },
}

/// Error returned by [`Publisher::publish`](super::Publisher::publish); nothing was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The ring refused the frame, e.g. [`Error::MtuLimitExceeded`] for a record larger than
    /// the ring's MTU.
    #[error(transparent)]
    Ring(#[from] Error),
    /// A `usize` or `isize` of the record (at any depth) is too large for rkyv's archived
    /// `usize`/`isize`, which would truncate it (see
    /// [`RkyvFormat::usize_bytes`](super::RkyvFormat::usize_bytes)).
    #[error(
        "`{type_name}` holds the usize or isize {value}, which does not fit rkyv's \
         {usize_bytes}-byte archived usize and isize"
    )]
    UsizeOutOfRange {
        /// The message type.
        type_name: &'static str,
        /// The first value that does not fit.
        value: i128,
        /// Width of the archived `usize` and `isize` in this build.
        usize_bytes: usize,
    },
    /// rkyv could not serialise the record (e.g. a length that does not fit the archived
    /// `usize`).
    #[error("cannot serialise `{type_name}`")]
    Encode {
        /// The message type.
        type_name: &'static str,
    },
}

/// Error returned by the typed reads of a [`Subscriber`](super::Subscriber).
///
/// After [`Ring`](RecvError::Ring) the subscriber stays where it was (call
/// [`Subscriber::reset`](super::Subscriber::reset) after an overrun); after the other variants
/// it has moved past the offending frame and the next read continues with the one after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// The ring reported an error: [`Error::Overrun`] when the publisher lapped this
    /// subscriber, [`Error::CorruptFrame`] for a nonsensical frame header.
    #[error(transparent)]
    Ring(#[from] Error),
    /// A frame's tag is not a message type of the channel (and the subscriber's
    /// [`UnknownTag`](super::UnknownTag) policy is to report it).
    #[error(
        "frame at position {position} has tag {tag}, which is not a message type of this channel"
    )]
    UnknownTag {
        /// The frame's tag.
        tag: u32,
        /// Stream position of the frame.
        position: u64,
    },
    /// A frame's payload is not a valid message of the type its tag names: the publisher is
    /// buggy, hostile, or was built with another definition of the type.
    #[error("frame at position {position}: {source}")]
    Decode {
        /// Stream position of the frame.
        position: u64,
        /// What is wrong with the payload.
        #[source]
        source: DecodeError,
    },
}

impl RecvError {
    /// Whether this is an [`Error::Overrun`]: messages were lost and the subscriber must be
    /// [`reset`](super::Subscriber::reset).
    pub fn is_overrun(&self) -> bool {
        matches!(self, Self::Ring(Error::Overrun(_)))
    }
}

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

/// "channel /dev/shm/x" or "heap ring", for messages.
pub(crate) fn place(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!("channel {}", path.display()),
        None => "in-memory ring".to_owned(),
    }
}

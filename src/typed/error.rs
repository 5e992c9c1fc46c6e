//! Errors of the typed layer: [`PublishError`] and [`RecvError`] on the hot path (`Copy`, no
//! allocation), [`DecodeError`] for one payload, [`TypedOpenError`] for making publishers and
//! subscribers.

use std::path::Path;

use crate::error::{Error, Lapped};

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
    /// rkyv could not rebuild an owned value from a valid archive
    /// ([`ToMessage`](super::ToMessage)).
    #[error("cannot rebuild a `{type_name}` from its archive")]
    Deserialize {
        /// The message type.
        type_name: &'static str,
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
/// After [`Overrun`](RecvError::Overrun) and [`CorruptFrame`](RecvError::CorruptFrame) the
/// subscriber stays where it was (call [`Subscriber::reset`](super::Subscriber::reset)); after
/// the other variants it has moved past the offending frame and the next read continues with
/// the one after.
///
/// # Examples
///
/// ```
/// # #[bcast::message(tag = 1)] pub struct Ping { pub at: u64 }
/// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
/// use bcast::typed::RecvError;
///
/// let mut publisher = Pings::with_capacity(4096)?;
/// let mut subscriber = publisher.subscribe();
/// for at in 0..1000 {
///     publisher.publish(&Ping { at })?; // laps the subscriber
/// }
/// match subscriber.try_recv() {
///     Err(RecvError::Overrun(lapped)) => {
///         println!("lost messages at {}", lapped.position);
///         subscriber.reset();
///     }
///     other => panic!("an overrun was expected, got {:?}", other.map(|_| ())),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// The publisher lapped this subscriber: the messages it had not read yet were overwritten
    /// (the subscriber's [`stats`](super::Subscriber::stats) count them once it reads again).
    #[error(
        "overrun: the publisher lapped this subscriber at position {} (claimed {})",
        .0.position,
        .0.claimed
    )]
    Overrun(Lapped),
    /// A frame header makes no sense: the writer is buggy or hostile, or the channel is
    /// corrupt.
    #[error("corrupt frame at position {position}")]
    CorruptFrame {
        /// Stream position of the frame.
        position: u64,
    },
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
    /// The error of a read of the byte ring at `position`. A read reports only overruns,
    /// corrupt frames and buffers too small, and a subscriber's buffer grows to fit any frame
    /// it reads first; anything else is taken for a corrupt frame there.
    pub(super) fn from_ring(error: Error, position: u64) -> Self {
        match error {
            Error::Overrun(lapped) => Self::Overrun(lapped),
            Error::CorruptFrame { position } => Self::CorruptFrame { position },
            _ => Self::CorruptFrame { position },
        }
    }
}

/// "channel /dev/shm/x" or "heap ring", for messages.
pub(crate) fn place(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!("channel {}", path.display()),
        None => "in-memory ring".to_owned(),
    }
}

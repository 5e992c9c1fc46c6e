//! Errors of the typed layer below the registry: [`PublishError`] (`Copy`, no allocation) and
//! [`DecodeError`] for one payload. [`RecvError`](super::RecvError) and
//! [`TypedOpenError`](super::TypedOpenError) sit above the registry they report on.

use std::path::Path;

use crate::error::Error;

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
    /// place. A subscriber's buffer is aligned for every pod type, so its reads never report
    /// this; the decoder checks it all the same rather than trust its callers.
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
    /// A frame written by another version of its message type that this build cannot read: a
    /// pod record or rkyv archive whose length is not that of the version it says it is, or an
    /// archive of a later version that the channel does not describe compatibly.
    #[error("`{type_name}` version {ours} cannot read the {len}-byte payload of version {found}")]
    Version {
        /// The message type the tag names.
        type_name: &'static str,
        /// This build's version of it.
        ours: u16,
        /// The frame's.
        found: u16,
        /// Payload length.
        len: usize,
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
    /// The channel's last-value table holds as many keys of the message's type as it was made
    /// for, and the message has a new one ([`LastValues::new`](super::LastValues::new)).
    #[error("the last-value table of `{type_name}` is full: it holds {keys} keys")]
    TableFull {
        /// The message type.
        type_name: &'static str,
        /// The keys the table holds for the type.
        keys: u32,
    },
    /// The message's key is longer than the channel's last-value table holds
    /// ([`LastValues::key_bytes`](super::LastValues::key_bytes)).
    #[error("the key of a `{type_name}` is {len} bytes, its last-value table holds {max}")]
    KeyTooLong {
        /// The message type.
        type_name: &'static str,
        /// The key's bytes.
        len: usize,
        /// The most the table holds.
        max: u32,
    },
    /// The encoded message is larger than an entry of the channel's last-value table
    /// ([`LastValues::entry_bytes`](super::LastValues::entry_bytes)).
    #[error("a `{type_name}` encodes to {len} bytes, its last-value table holds {max} a key")]
    EntryTooLarge {
        /// The message type.
        type_name: &'static str,
        /// The encoded message's bytes.
        len: usize,
        /// The most the table holds.
        max: u32,
    },
}

/// "channel /dev/shm/x" or "heap ring", for messages.
pub(crate) fn place(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!("channel {}", path.display()),
        None => "in-memory ring".to_owned(),
    }
}

//! Codecs: how a typed record becomes a frame's payload and how a payload becomes a view.
//!
//! - [`Rkyv`]: variable-size records (strings, vectors, options, nested structs) as an rkyv
//!   archive; the view is the archived type, read in place.
//! - [`Pod`]: fixed-layout plain structs whose bytes are the payload (zerocopy); the view is
//!   the struct itself.
//!
//! Both decode from a buffer aligned to 16 bytes that the subscriber owns, after the frame was
//! copied out of the ring and its lap re-checked.

mod pod;
mod rkyv;

pub use self::pod::Pod;
pub use self::rkyv::{Rkyv, RkyvFormat, Scratch};

use super::error::{DecodeError, PublishError};

/// Which codec a message type uses; part of its entry in a channel's registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "lowercase"))]
pub enum CodecKind {
    /// [`Rkyv`]: an rkyv archive, read in place through its archived type.
    Rkyv,
    /// [`Pod`]: the record's own bytes (zerocopy).
    Pod,
}

impl CodecKind {
    /// The codec's byte in the registry's wire format.
    pub(crate) const fn wire(self) -> u8 {
        match self {
            Self::Rkyv => 1,
            Self::Pod => 2,
        }
    }

    pub(crate) const fn from_wire(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Rkyv),
            2 => Some(Self::Pod),
            _ => None,
        }
    }
}

impl core::fmt::Display for CodecKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.pad(match self {
            Self::Rkyv => "rkyv",
            Self::Pod => "pod",
        })
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Rkyv {}
    impl Sealed for super::Pod {}
}

/// A codec for message type `M`: [`Rkyv`] or [`Pod`]. Sealed: this crate implements it.
///
/// A message type names its codec in [`TypedMessage::Codec`](super::TypedMessage::Codec), and
/// the codec's bounds are what the derive makes rustc check: `Rkyv: Codec<M>` needs rkyv's
/// `Archive` and `Serialize` on `M`, `Pod: Codec<M>` needs zerocopy's `FromBytes`, `IntoBytes`,
/// `KnownLayout` and `Immutable`.
#[diagnostic::on_unimplemented(
    message = "`{M}` lacks the derives that the `{Self}` codec needs",
    label = "`{M}` cannot use the `{Self}` codec",
    note = "`Rkyv` needs `rkyv::Archive` and `rkyv::Serialize`; `Pod` needs zerocopy's `FromBytes`, `IntoBytes`, `KnownLayout` and `Immutable`",
    note = "`#[bcast::typed::message]` (with `pod` for the `Pod` codec) adds them"
)]
pub trait Codec<M>: sealed::Sealed + 'static {
    /// The codec's identity in the registry.
    const KIND: CodecKind;

    /// What a subscriber hands out for a message of type `M`: `&'a Archived<M>` or `&'a M`.
    type View<'a>;

    /// The layout of what a view points at: `Archived<M>`, the root at the end of an archive,
    /// or `M`.
    #[doc(hidden)]
    const ROOT: core::alloc::Layout;

    /// The payload of `message`: its own bytes, or its encoding in `scratch`.
    #[doc(hidden)]
    fn encode<'a>(message: &'a M, scratch: &'a mut Scratch) -> Result<&'a [u8], PublishError>;

    /// Checked view of `bytes`, which start at a 16-byte aligned address.
    #[doc(hidden)]
    fn decode(bytes: &[u8]) -> Result<Self::View<'_>, DecodeError>;

    /// View of `bytes` without validating their content.
    ///
    /// # Safety
    ///
    /// `bytes` start at a 16-byte aligned address and are exactly a payload that
    /// [`encode`](Codec::encode) made for `M` (same type, same crate versions).
    #[doc(hidden)]
    unsafe fn decode_unchecked(bytes: &[u8]) -> Result<Self::View<'_>, DecodeError>;
}

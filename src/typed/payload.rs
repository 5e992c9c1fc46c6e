//! [`Payload`]: one frame's bytes and tag, as a channel decodes them.

use super::codec::Codec;
use super::error::DecodeError;
use super::message::{TypedMessage, View};

/// How a payload is turned into a view.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access {
    /// Validate rkyv archives (bytecheck).
    Checked,
    /// Trust them, on the promise the token stands for.
    Trusted(Trusted),
}

/// A caller's promise that the frames of a channel are what its publisher encoded.
///
/// Only the `unsafe` [`vouch`](Trusted::vouch) makes one, where the caller of an `*_unchecked`
/// method makes the promise; the code that carries it to the decoder needs no contract of its
/// own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trusted(());

impl Trusted {
    /// Makes the token.
    ///
    /// # Safety
    ///
    /// Every frame decoded with the token whose tag is the `TAG` of one of the channel's message
    /// types `M` is an encoding of an `M` by [`Publisher::publish`](super::Publisher::publish),
    /// built with the same definition of `M` and the same crate versions.
    pub(crate) unsafe fn vouch() -> Self {
        Self(())
    }
}

/// A frame's payload and tag, handed to [`Channel::decode`](super::Channel::decode), which picks
/// the message type by tag and calls [`decode`](Payload::decode).
///
/// # Examples
///
/// Decoding bytes kept elsewhere (they must start at a 16-byte aligned address):
///
/// ```
/// use bcast::typed::{Channel, Payload};
///
/// #[bcast::typed::message(tag = 1, pod)]
/// #[repr(C)]
/// pub struct Tick {
///     pub at: u64,
/// }
///
/// #[derive(bcast::BcastChannel)]
/// pub enum Ticks {
///     Tick(Tick),
/// }
///
/// let words = [42u64]; // 8-byte aligned is enough for this pod type
/// let bytes = bcast::zerocopy::IntoBytes::as_bytes(&words);
/// let TicksView::Tick(tick) = Ticks::decode(Payload::checked(1, bytes))?;
/// assert_eq!(tick.at, 42);
/// assert!(Ticks::decode(Payload::checked(2, bytes)).is_err()); // tag 2 is unknown
/// # Ok::<(), bcast::typed::DecodeError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a> {
    bytes: &'a [u8],
    tag: u32,
    /// With [`Access::Trusted`], `bytes` are one whole frame payload (or bytes
    /// [`unchecked`](Self::unchecked)'s caller vouched for), not a part of one.
    access: Access,
}

impl<'a> Payload<'a> {
    /// A payload whose bytes are validated when decoded.
    pub fn checked(tag: u32, bytes: &'a [u8]) -> Self {
        Self { bytes, tag, access: Access::Checked }
    }

    /// A payload whose rkyv bytes are trusted when decoded.
    ///
    /// # Safety
    ///
    /// `bytes` are exactly an encoding, made by [`Publisher::publish`](super::Publisher::publish)
    /// with the same type definitions and crate versions, of the message type whose `TAG` is
    /// `tag` (if the channel has one). (Bytes that do not start at a 16-byte aligned address
    /// are validated, as for [`checked`](Self::checked).)
    pub unsafe fn unchecked(tag: u32, bytes: &'a [u8]) -> Self {
        // SAFETY: the caller's promise about `bytes`, the only frame decoded with this token.
        let trusted = unsafe { Trusted::vouch() };
        Self { bytes, tag, access: Access::Trusted(trusted) }
    }

    /// The payload of a frame a subscriber copied: `bytes` are the whole payload.
    pub(super) fn new(tag: u32, bytes: &'a [u8], access: Access) -> Self {
        Self { bytes, tag, access }
    }

    /// The frame's tag.
    pub fn tag(&self) -> u32 {
        self.tag
    }

    /// The payload bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The payload as a view of message type `M`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::UnknownTag`] if the tag is not `M::TAG`; the codec's error if the bytes
    /// are not a valid `M` (for a checked payload).
    #[inline]
    pub fn decode<M: TypedMessage>(self) -> Result<View<'a, M>, DecodeError> {
        if self.tag != M::TAG {
            return Err(DecodeError::UnknownTag { tag: self.tag });
        }
        match self.access {
            // The codecs need 16-byte aligned bytes; validation also checks the alignment.
            Access::Trusted(_) if self.bytes.as_ptr().addr().is_multiple_of(16) => {
                // SAFETY: the bytes are aligned, and they are a whole frame payload (the field
                // invariant) with the tag `M::TAG`, so an encoding of `M` by `publish` (the
                // token's promise): `decode_unchecked`'s contract.
                unsafe { <M::Codec as Codec<M>>::decode_unchecked(self.bytes) }
            }
            Access::Checked | Access::Trusted(_) => <M::Codec as Codec<M>>::decode(self.bytes),
        }
    }
}

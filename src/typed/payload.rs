//! [`Payload`]: one frame's bytes and tag, as a channel decodes them.

use super::codec::Codec;
use super::error::DecodeError;
use super::message::{TypedMessage, View};

/// How a payload is turned into a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Validate rkyv archives (bytecheck).
    Checked,
    /// Trust them: only for a caller who vouched for the publisher.
    Unchecked,
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
/// #[bcast::message(tag = 1, pod)]
/// #[repr(C)]
/// pub struct Tick {
///     pub at: u64,
/// }
///
/// #[derive(bcast::BcastMessage)]
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
    /// [`Access::Unchecked`] only if whoever made the payload vouched that `bytes` are the
    /// encoding of the message type whose `TAG` is `tag`, at a 16-byte aligned address.
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
    /// `bytes` start at a 16-byte aligned address and are exactly an encoding, made by
    /// [`Publisher::publish`](super::Publisher::publish) with the same type definitions and
    /// crate versions, of the message type whose `TAG` is `tag` (if the channel has one).
    pub unsafe fn unchecked(tag: u32, bytes: &'a [u8]) -> Self {
        Self { bytes, tag, access: Access::Unchecked }
    }

    /// Makes a payload of the given access.
    ///
    /// # Safety
    ///
    /// With [`Access::Unchecked`], as for [`unchecked`](Self::unchecked).
    pub(crate) unsafe fn new(tag: u32, bytes: &'a [u8], access: Access) -> Self {
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
            Access::Checked => <M::Codec as Codec<M>>::decode(self.bytes),
            // SAFETY: the tag is `M::TAG`, so the field invariant says the bytes are an aligned
            // encoding of `M` by `publish`: `decode_unchecked`'s contract.
            Access::Unchecked => unsafe { <M::Codec as Codec<M>>::decode_unchecked(self.bytes) },
        }
    }
}

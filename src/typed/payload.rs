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
    /// built with the same definition of `M` and the same crate versions, or such an encoding
    /// of a compatible version of `M` that the subscriber made into one of `M`.
    pub(crate) unsafe fn vouch() -> Self {
        Self(())
    }
}

/// A frame's payload and tag, handed to [`Channel::decode`](super::Channel::decode), which picks
/// the message type by tag and calls [`decode`](Payload::decode). Public only for the derive's
/// expansion: users read through subscribers, whose buffers hold whole, aligned payloads.
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

#[cfg(test)]
mod tests {
    use rkyv::rancor::Failure;
    use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

    use super::*;
    use crate::typed::codec::{Pod, Rkyv};
    use crate::typed::schema::Schema;

    /// Implements `Schema` and `TypedMessage` by hand (the derive expands to `::bcast` paths),
    /// with `$tag` as the tag.
    macro_rules! message_type {
        ($ty:ident, $tag:literal, $codec:ty) => {
            impl Schema for $ty {
                const SHAPE: crate::typed::Shape = crate::typed::Shape::new(
                    crate::typed::shape::Kind::Struct(crate::typed::shape::Struct::new(
                        stringify!($ty),
                        crate::typed::shape::Style::Named,
                        &[],
                    )),
                );
            }

            impl TypedMessage for $ty {
                const TAG: u32 = $tag;
                type Codec = $codec;
            }
        };
    }

    /// An rkyv message type. No strings: the library's unit tests run under Miri's Stacked
    /// Borrows, which rkyv's archived strings trip.
    #[derive(rkyv::Archive, rkyv::Serialize)]
    struct Note {
        values: [u64; 4],
    }
    message_type!(Note, 1, Rkyv);

    /// A pod message type aligned to 16 by its `u128` (8 where `u128` is 8-aligned).
    #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
    #[repr(C)]
    struct Wide {
        id: u128,
    }
    message_type!(Wide, 2, Pod);

    /// `bytes` copied to one byte past a 16-byte aligned address, in `storage`.
    fn misaligned<'a>(bytes: &[u8], storage: &'a mut Vec<u128>) -> &'a [u8] {
        *storage = vec![0; bytes.len() / 16 + 2];
        let storage = storage.as_mut_bytes();
        storage[1..=bytes.len()].copy_from_slice(bytes);
        let misaligned = &storage[1..=bytes.len()];
        assert!(!misaligned.as_ptr().addr().is_multiple_of(16));
        misaligned
    }

    #[test]
    fn a_misaligned_pod_payload_names_the_alignment_and_the_offset() {
        let align = align_of::<Wide>();
        let words = [0x0102_0304_0506_0708_u128; 3];
        let shift = align / 2;
        let misaligned = &words.as_bytes()[shift..shift + size_of::<Wide>()];
        let Err(error) = Payload::checked(Wide::TAG, misaligned).decode::<Wide>() else {
            panic!("a misaligned payload decoded");
        };
        assert!(
            matches!(
                error,
                DecodeError::Misaligned { type_name, align: a, offset }
                    if type_name.ends_with("Wide") && a == align && offset == shift
            ),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(&format!("{align}-byte aligned")), "{text}");
        assert!(text.contains(&format!("{shift} bytes past")), "{text}");
    }

    /// Trusted bytes that are not 16-byte aligned are validated instead of trusted: reading an
    /// rkyv archive in place at a misaligned address would be undefined behaviour (which Miri
    /// reports), whatever the caller promised about the bytes.
    #[test]
    fn trusted_bytes_at_a_misaligned_address_are_validated() {
        let note = Note { values: [1, 2, 3, 4] };
        let encoded = rkyv::to_bytes::<Failure>(&note).expect("encode");
        let mut storage = Vec::new();
        let bytes = misaligned(&encoded, &mut storage);
        // SAFETY: the bytes are exactly an rkyv encoding of a `Note` of this build.
        let trusted = Access::Trusted(unsafe { Trusted::vouch() });
        let checked = Payload::checked(Note::TAG, bytes).decode::<Note>().map(|_| ());
        let decoded = Payload::new(Note::TAG, bytes, trusted).decode::<Note>().map(|_| ());
        assert_eq!(decoded, checked, "decoded as if checked");
        assert!(checked.is_err(), "rkyv refuses a misaligned archive");
    }
}

//! The pod codec: a fixed-layout record's own bytes are the payload.

use zerocopy::{ConvertError, FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{Codec, CodecKind, Scratch};
use crate::typed::error::{DecodeError, PublishError};

/// Codec of fixed-layout plain records: the payload is the record's bytes
/// (`zerocopy::IntoBytes`), and the view is `&M`, a reference into the subscriber's aligned
/// buffer (`zerocopy::FromBytes`).
///
/// A message type uses it with `#[bcast(pod)]`, `#[repr(C)]` and zerocopy's `FromBytes`,
/// `IntoBytes`, `KnownLayout` and `Immutable` derives, which refuse types with padding or
/// invalid bit patterns at compile time. Values are in the host's byte order, which is what
/// processes of one machine share. The type's alignment must be at most 16.
#[derive(Debug)]
pub enum Pod {}

/// Compile-time check, evaluated for each pod message type that is published or read.
struct AlignCheck<M>(M);

impl<M> AlignCheck<M> {
    const OK: () = assert!(
        align_of::<M>() <= 16,
        "a pod message type must have an alignment of at most 16 bytes"
    );
}

// Reported as `Codec`'s own message (the derives to add), not as rkyv's or zerocopy's bounds.
#[diagnostic::do_not_recommend]
impl<M> Codec<M> for Pod
where
    M: FromBytes + IntoBytes + KnownLayout + Immutable + 'static,
{
    const KIND: CodecKind = CodecKind::Pod;

    const ROOT: core::alloc::Layout = core::alloc::Layout::new::<M>();

    type View<'a> = &'a M;

    #[inline]
    fn encode<'a>(message: &'a M, _scratch: &'a mut Scratch) -> Result<&'a [u8], PublishError> {
        let () = AlignCheck::<M>::OK;
        Ok(message.as_bytes())
    }

    #[inline]
    fn decode(bytes: &[u8]) -> Result<Self::View<'_>, DecodeError> {
        let () = AlignCheck::<M>::OK;
        let type_name = core::any::type_name::<M>();
        M::ref_from_bytes(bytes).map_err(|error| match error {
            ConvertError::Alignment(_) => DecodeError::Misaligned {
                type_name,
                align: align_of::<M>(),
                offset: bytes.as_ptr().addr() % align_of::<M>(),
            },
            _ => DecodeError::Length { type_name, expected: size_of::<M>(), found: bytes.len() },
        })
    }

    #[inline]
    unsafe fn decode_unchecked(bytes: &[u8]) -> Result<Self::View<'_>, DecodeError> {
        // Every bit pattern is a valid `M`: checking costs one comparison, so always check.
        Self::decode(bytes)
    }
}

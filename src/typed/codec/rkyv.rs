//! The rkyv codec: serialise into the publisher's aligned scratch, read the archive in place.

use core::fmt;

use rkyv::api::low::{LowSerializer, LowValidator};
use rkyv::bytecheck::CheckBytes;
use rkyv::rancor::Failure;
use rkyv::ser::allocator::{Arena, ArenaHandle};
use rkyv::util::AlignedVec;
use rkyv::{Archive, Archived, Serialize};

use super::{Codec, CodecKind};
use crate::typed::error::{DecodeError, PublishError};

/// Codec of variable-size records: an rkyv archive per message, read in place as the archived
/// type (`&Archived<M>`, e.g. `&ArchivedQuote`) without deserialising.
///
/// A message type uses it by deriving `rkyv::Archive` and `rkyv::Serialize` beside
/// [`BcastMessage`](crate::BcastMessage) (or through [`#[bcast::typed::message]`](crate::typed::message)).
///
/// Records are serialised and validated with rkyv's low-level API, without pointer sharing: a
/// third cheaper to publish and a little cheaper to check than the high-level API, at the price
/// of shared pointers (`Rc`, `Arc`), which messages cannot hold.
#[derive(Debug)]
pub enum Rkyv {}

/// The serializer a message type must support: rkyv's low-level serializer (no pointer sharing)
/// writing into the publisher's scratch buffer.
type Serializer<'a, 'b> = LowSerializer<&'b mut AlignedVec<16>, ArenaHandle<'a>, Failure>;

// Reported as `Codec`'s own message (the derives to add), not as rkyv's or zerocopy's bounds.
#[diagnostic::do_not_recommend]
impl<M> Codec<M> for Rkyv
where
    M: Archive + for<'a, 'b> Serialize<Serializer<'a, 'b>> + 'static,
    Archived<M>: for<'a> CheckBytes<LowValidator<'a, Failure>> + 'static,
{
    const KIND: CodecKind = CodecKind::Rkyv;

    type View<'a> = &'a Archived<M>;

    const ROOT: core::alloc::Layout = core::alloc::Layout::new::<Archived<M>>();

    #[inline]
    fn encode<'a>(message: &'a M, scratch: &'a mut Scratch) -> Result<&'a [u8], PublishError> {
        let Scratch { buf, arena } = scratch;
        buf.clear();
        rkyv::api::low::to_bytes_in_with_alloc::<_, _, Failure>(
            message,
            &mut *buf,
            arena.acquire(),
        )
        .map_err(|_| PublishError::Encode { type_name: core::any::type_name::<M>() })?;
        Ok(buf.as_slice())
    }

    #[inline]
    fn decode(bytes: &[u8]) -> Result<Self::View<'_>, DecodeError> {
        rkyv::api::low::access::<Archived<M>, Failure>(bytes).map_err(|_| {
            DecodeError::InvalidArchive { type_name: core::any::type_name::<M>(), len: bytes.len() }
        })
    }

    #[inline]
    unsafe fn decode_unchecked(bytes: &[u8]) -> Result<Self::View<'_>, DecodeError> {
        // SAFETY: the caller guarantees that `bytes` are a complete archive of `M` made by
        // `encode` with this rkyv format, at a 16-byte aligned address.
        Ok(unsafe { rkyv::access_unchecked::<Archived<M>>(bytes) })
    }
}

/// A publisher's reusable serialisation memory: the aligned output buffer and rkyv's arena for
/// scratch space. Both keep their capacity, so publishing does not allocate in steady state.
#[doc(hidden)]
pub struct Scratch {
    buf: AlignedVec<16>,
    arena: Arena,
}

impl Scratch {
    /// Scratch whose output buffer already holds `capacity` bytes (the ring's MTU).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self { buf: AlignedVec::with_capacity(capacity), arena: Arena::new() }
    }
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratch").field("capacity", &self.buf.capacity()).finish_non_exhaustive()
    }
}

/// The rkyv wire format this build reads and writes; part of a channel's registry, since two
/// builds of rkyv with different format features cannot read each other's archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RkyvFormat {
    /// rkyv's major version (the format is stable within a minor series before 1.0).
    pub major: u8,
    /// rkyv's minor version.
    pub minor: u8,
    /// Whether archives are big-endian (rkyv feature `big_endian`).
    pub big_endian: bool,
    /// Whether archived primitives are unaligned (rkyv feature `unaligned`).
    pub unaligned: bool,
    /// Size of an archived `usize` and of relative pointers (rkyv `pointer_width_*`). A
    /// publisher refuses a `usize` or `isize` value that does not fit
    /// ([`PublishError::UsizeOutOfRange`](crate::typed::PublishError::UsizeOutOfRange)).
    pub usize_bytes: u8,
}

impl RkyvFormat {
    /// The format of the rkyv this crate was built with.
    ///
    /// # Examples
    ///
    /// ```
    /// let format = bcast::typed::RkyvFormat::current();
    /// assert_eq!((format.major, format.minor), (0, 8));
    /// ```
    pub fn current() -> Self {
        // The only way to observe the endianness feature: archive a known number.
        let big_endian =
            rkyv::to_bytes::<Failure>(&1u32).is_ok_and(|bytes| bytes.first() == Some(&0));
        let usize_bytes = size_of::<rkyv::primitive::ArchivedUsize>();
        Self {
            major: 0,
            minor: 8,
            big_endian,
            unaligned: align_of::<rkyv::primitive::ArchivedU32>() == 1,
            usize_bytes: u8::try_from(usize_bytes).unwrap_or(u8::MAX),
        }
    }

    /// Packs the format into the registry's 32-bit field.
    pub(crate) fn to_wire(self) -> u32 {
        let flags = u8::from(self.big_endian) | u8::from(self.unaligned) << 1;
        u32::from_le_bytes([self.major, self.minor, flags, self.usize_bytes])
    }

    /// Unpacks [`to_wire`](Self::to_wire).
    pub(crate) fn from_wire(wire: u32) -> Self {
        let [major, minor, flags, usize_bytes] = wire.to_le_bytes();
        Self { major, minor, big_endian: flags & 1 != 0, unaligned: flags & 2 != 0, usize_bytes }
    }
}

impl fmt::Display for RkyvFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endian = if self.big_endian { "big-endian" } else { "little-endian" };
        let aligned = if self.unaligned { "unaligned" } else { "aligned" };
        write!(
            f,
            "rkyv {}.{}, {endian}, {aligned}, {}-byte usize",
            self.major, self.minor, self.usize_bytes
        )
    }
}

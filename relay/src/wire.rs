//! The relay's wire format: batches of frames, and the channel description the exporter serves.
//!
//! Every integer is little-endian. A batch is one Zenoh message:
//!
//! ```text
//! header (56 bytes)
//!   magic     4  b"BCRB"
//!   version   2  2
//!   flags     2  0 (reserved)
//!   count     4  frames that follow
//!   reserved  4  0
//!   exporter  8  random id of the exporter's run: a new one means it restarted
//!   epoch     8  the source channel's epoch: a new one means the channel was recreated
//!   registry  8  hash of the source's schema registry (0: an untyped channel)
//!   lost      8  frames the exporter's reader has lost to overruns, cumulative
//!   overruns  8  overruns of the exporter's reader, cumulative
//! then `count` frames, back to back:
//!   seq       8  the frame's sequence number in the source channel
//!   tag       4  its tag
//!   tag_seq   4  its tag sequence (0: the source's writer does not count per tag)
//!   version   2  the schema version of its type (0: unversioned)
//!   reserved  2  0
//!   len       4  payload bytes
//!   payload   len
//! ```
//!
//! [`Batch::parse`] validates a whole batch before any frame is handed out, so a malformed
//! message is rejected whole and never half-written to a channel.
//!
//! The channel description, served at `KEY/@registry`:
//!
//! ```text
//!   magic     4  b"BCRD"
//!   version   2  2
//!   flags     2  bit 0: typed (a registry follows); bit 1: described (a description follows)
//!   capacity  8  the source's data capacity
//!   epoch     8  the source channel's epoch
//!   registry  8  hash of the registry bytes (0: an untyped channel)
//! then, if typed:     u32 length, the registry (`Registry::to_bytes`)
//! then, if described: u32 length, the schema description (`Description::to_bytes`)
//! ```

use bcast::Stamp;
use thiserror::Error;

const BATCH_MAGIC: [u8; 4] = *b"BCRB";
const DESC_MAGIC: [u8; 4] = *b"BCRD";
/// The version of batches: 2 added each frame's tag sequence and schema version.
const VERSION: u16 = 2;
/// The version of the channel description: 2 added the schema description.
const DESC_VERSION: u16 = 2;
const TYPED: u16 = 1;
const DESCRIBED: u16 = 2;
/// Bytes of a batch header.
pub(crate) const HEADER_LEN: usize = 56;
/// Bytes in front of each frame's payload in a batch.
pub(crate) const FRAME_HEADER_LEN: usize = 24;
const DESC_LEN: usize = 32;

/// Why a message from the network was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub(crate) enum WireError {
    /// Shorter than its header, or its frames overrun the message.
    #[error("truncated")]
    Truncated,
    /// Not a relay message, or of another version.
    #[error("bad magic or version")]
    BadMagic,
    /// Bytes left after the last frame, or a frame count that does not match.
    #[error("inconsistent length")]
    Inconsistent,
}

/// The fields of a batch header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct BatchHeader {
    pub(crate) exporter: u64,
    pub(crate) epoch: u64,
    pub(crate) registry: u64,
    pub(crate) lost: u64,
    pub(crate) overruns: u64,
}

/// One relayed frame, borrowed from a batch: its stamp in the source channel and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub(crate) stamp: Stamp,
    pub(crate) payload: &'a [u8],
}

/// Builds batches: frames are appended after room for the header, written on [`take`].
///
/// [`take`]: BatchBuilder::take
#[derive(Debug)]
pub(crate) struct BatchBuilder {
    bytes: Vec<u8>,
    count: u32,
}

impl BatchBuilder {
    pub(crate) fn new() -> Self {
        Self { bytes: vec![0; HEADER_LEN], count: 0 }
    }

    /// Appends a frame. A payload over `u32::MAX` bytes cannot come from a ring.
    pub(crate) fn push(&mut self, frame: Frame<'_>) {
        let len = u32::try_from(frame.payload.len()).expect("ring payloads are far below 4 GiB");
        self.bytes.reserve(FRAME_HEADER_LEN + frame.payload.len());
        let Stamp { tag, seq, tag_seq, version } = frame.stamp;
        self.bytes.extend_from_slice(&seq.to_le_bytes());
        self.bytes.extend_from_slice(&tag.to_le_bytes());
        self.bytes.extend_from_slice(&tag_seq.to_le_bytes());
        self.bytes.extend_from_slice(&version.to_le_bytes());
        self.bytes.extend_from_slice(&0u16.to_le_bytes());
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(frame.payload);
        self.count += 1;
    }

    /// Frames appended since the last [`take`](Self::take).
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Bytes the batch would have.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The finished batch, with `header`; the builder starts over.
    pub(crate) fn take(&mut self, header: &BatchHeader) -> Vec<u8> {
        let capacity = self.bytes.len();
        let mut bytes = std::mem::replace(&mut self.bytes, Vec::with_capacity(capacity));
        self.bytes.resize(HEADER_LEN, 0);
        let mut out = Writer(&mut bytes[..HEADER_LEN]);
        out.put(&BATCH_MAGIC);
        out.put(&VERSION.to_le_bytes());
        out.put(&0u16.to_le_bytes());
        out.put(&self.count.to_le_bytes());
        out.put(&0u32.to_le_bytes());
        for field in [header.exporter, header.epoch, header.registry, header.lost, header.overruns]
        {
            out.put(&field.to_le_bytes());
        }
        self.count = 0;
        bytes
    }
}

/// A validated batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batch<'a> {
    pub(crate) header: BatchHeader,
    body: &'a [u8],
}

impl<'a> Batch<'a> {
    /// Checks the header and every frame's bounds.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        let mut input = Reader(bytes);
        if input.take::<4>()? != BATCH_MAGIC || u16::from_le_bytes(input.take()?) != VERSION {
            return Err(WireError::BadMagic);
        }
        let _flags = input.take::<2>()?;
        let count = u32::from_le_bytes(input.take()?);
        let _reserved = input.take::<4>()?;
        let mut field = || input.take().map(u64::from_le_bytes);
        let header = BatchHeader {
            exporter: field()?,
            epoch: field()?,
            registry: field()?,
            lost: field()?,
            overruns: field()?,
        };
        let batch = Self { header, body: input.0 };
        let mut frames = 0u32;
        let mut rest = batch.body;
        while !rest.is_empty() {
            let (_, tail) = split_frame(rest)?;
            rest = tail;
            frames = frames.checked_add(1).ok_or(WireError::Inconsistent)?;
        }
        if frames != count {
            return Err(WireError::Inconsistent);
        }
        Ok(batch)
    }

    /// The frames, in order.
    pub(crate) fn frames(&self) -> impl Iterator<Item = Frame<'a>> + use<'a> {
        let mut rest = self.body;
        std::iter::from_fn(move || {
            // `parse` checked every frame, so this only ends at the end of the body.
            let (frame, tail) = split_frame(rest).ok()?;
            rest = tail;
            Some(frame)
        })
    }
}

fn split_frame(bytes: &[u8]) -> Result<(Frame<'_>, &[u8]), WireError> {
    let mut input = Reader(bytes);
    let seq = u64::from_le_bytes(input.take()?);
    let tag = u32::from_le_bytes(input.take()?);
    let tag_seq = u32::from_le_bytes(input.take()?);
    let version = u16::from_le_bytes(input.take()?);
    let _reserved = input.take::<2>()?;
    let len =
        usize::try_from(u32::from_le_bytes(input.take()?)).map_err(|_| WireError::Truncated)?;
    if input.0.len() < len {
        return Err(WireError::Truncated);
    }
    let (payload, rest) = input.0.split_at(len);
    Ok((Frame { stamp: Stamp { tag, seq, tag_seq, version }, payload }, rest))
}

/// What the exporter serves about its source channel: enough to make a mirror of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChannelDesc {
    /// The source's data capacity, the importer's default.
    pub(crate) capacity: u64,
    /// The source's epoch.
    pub(crate) epoch: u64,
    /// Hash of `registry` (0 for an untyped channel), as batch headers carry it.
    pub(crate) registry_hash: u64,
    /// `Registry::to_bytes` of the source's registry; `None` for an untyped channel.
    pub(crate) registry: Option<Vec<u8>>,
    /// `Description::to_bytes` of the source's schema description; `None` if it has none.
    pub(crate) description: Option<Vec<u8>>,
}

impl ChannelDesc {
    /// A description of a channel with `registry` (its `to_bytes`), hashing it, and its
    /// schema `description` (its `to_bytes`).
    pub(crate) fn new(
        capacity: u64,
        epoch: u64,
        registry: Option<Vec<u8>>,
        description: Option<Vec<u8>>,
    ) -> Self {
        let registry_hash = registry.as_deref().map_or(0, |bytes| fnv1a(bytes) | 1);
        Self { capacity, epoch, registry_hash, registry, description }
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let parts = [self.registry.as_deref(), self.description.as_deref()];
        let mut bytes = Vec::with_capacity(
            DESC_LEN + parts.iter().flatten().map(|p| p.len() + 4).sum::<usize>(),
        );
        bytes.extend_from_slice(&DESC_MAGIC);
        bytes.extend_from_slice(&DESC_VERSION.to_le_bytes());
        let flags = if self.registry.is_some() { TYPED } else { 0 }
            | if self.description.is_some() { DESCRIBED } else { 0 };
        bytes.extend_from_slice(&flags.to_le_bytes());
        for field in [self.capacity, self.epoch, self.registry_hash] {
            bytes.extend_from_slice(&field.to_le_bytes());
        }
        for part in parts.into_iter().flatten() {
            let len = u32::try_from(part.len()).expect("metadata sections are at most 56 KiB");
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(part);
        }
        bytes
    }

    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        let mut input = Reader(bytes);
        if input.take::<4>()? != DESC_MAGIC || u16::from_le_bytes(input.take()?) != DESC_VERSION {
            return Err(WireError::BadMagic);
        }
        let flags = u16::from_le_bytes(input.take()?);
        if flags & !(TYPED | DESCRIBED) != 0 {
            return Err(WireError::Inconsistent);
        }
        let mut field = || input.take().map(u64::from_le_bytes);
        let (capacity, epoch, registry_hash) = (field()?, field()?, field()?);
        let mut part = |present: bool| -> Result<Option<Vec<u8>>, WireError> {
            if !present {
                return Ok(None);
            }
            let len = usize::try_from(u32::from_le_bytes(input.take()?)).unwrap_or(usize::MAX);
            let (part, rest) = input.0.split_at_checked(len).ok_or(WireError::Truncated)?;
            input.0 = rest;
            Ok(Some(part.to_vec()))
        };
        let registry = part(flags & TYPED != 0)?;
        let description = part(flags & DESCRIBED != 0)?;
        if !input.0.is_empty() {
            return Err(WireError::Inconsistent);
        }
        Ok(Self { capacity, epoch, registry_hash, registry, description })
    }
}

/// 64-bit FNV-1a: a stable hash, the same on every host and build.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(WireError::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }
}

struct Writer<'a>(&'a mut [u8]);

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let (head, rest) = std::mem::take(&mut self.0).split_at_mut(bytes.len());
        head.copy_from_slice(bytes);
        self.0 = rest;
    }
}

#[cfg(test)]
mod tests;

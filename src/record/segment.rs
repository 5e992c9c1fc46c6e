//! The segment file format: a header that describes the channel, then records, each checked by
//! a CRC-32 of its bytes. `docs/recording.md` is the format's page.
//!
//! Every number is little-endian. A segment is the header, then records one after another,
//! each starting at a multiple of 8 bytes. Nothing in a segment is trusted when read: every
//! length is bounded by what is left of the file, and a record whose CRC does not match its
//! bytes is corrupt.

use crate::ring::frame::Stamp;

/// The first eight bytes of every segment.
pub(crate) const MAGIC: [u8; 8] = *b"BCASTREC";

/// The version of the format this build writes and reads.
pub(crate) const FORMAT: u16 = 1;

/// Bytes of the fixed part of the header.
pub(crate) const HEADER_FIXED: usize = 64;

/// Bytes of a record's header, before its payload.
pub(crate) const RECORD_HEADER: usize = 40;

/// A record's kind byte: a frame of the channel.
const KIND_FRAME: u8 = 1;
/// A record's kind byte: messages that are not in the recording.
const KIND_GAP: u8 = 2;

/// The largest header a reader accepts: registry and descriptions are bounded by the channel
/// header's metadata area (64 KiB) many times over.
pub(crate) const MAX_HEADER: usize = 16 << 20;

/// What a segment's header holds: where its records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    /// The channel's epoch (a random value chosen when it was made).
    pub(crate) epoch: u64,
    /// The sequence number the segment's first record starts at.
    pub(crate) first_seq: u64,
    /// When the segment was made, in nanoseconds since the Unix epoch.
    pub(crate) created_ns: u64,
    /// The channel's capacity in bytes.
    pub(crate) capacity: u64,
    /// The channel's schema registry (`Registry::to_bytes`); empty for an untyped channel.
    pub(crate) registry: Vec<u8>,
    /// The channel's schema descriptions (`Description::to_bytes`), oldest first.
    pub(crate) descriptions: Vec<Vec<u8>>,
}

/// Why a segment's bytes cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentDefect {
    /// The file does not start with the segment magic.
    #[error("not a bcast recording segment")]
    NotASegment,
    /// The segment is of a format version this build does not read.
    #[error("segment format {0}, this build reads format 1")]
    Format(u16),
    /// The file ends inside the header or a record.
    #[error("the file ends inside a record")]
    Truncated,
    /// A length that does not fit the file, or a field that makes no sense.
    #[error("a malformed length or field")]
    Malformed,
    /// The bytes do not match their CRC.
    #[error("the bytes do not match their CRC")]
    Checksum,
}

impl SegmentHeader {
    /// The header's bytes, a multiple of 8 long.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_FIXED + self.registry.len() + 256);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // the length, below
        for word in [self.epoch, self.first_seq, self.created_ns, self.capacity] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&len32(self.registry.len()).to_le_bytes());
        out.extend_from_slice(&len32(self.descriptions.len()).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // the CRC, below
        out.extend_from_slice(&0u32.to_le_bytes());
        debug_assert_eq!(out.len(), HEADER_FIXED);
        out.extend_from_slice(&self.registry);
        for description in &self.descriptions {
            out.extend_from_slice(&len32(description.len()).to_le_bytes());
            out.extend_from_slice(description);
        }
        out.resize(out.len().next_multiple_of(8), 0);
        let len = len32(out.len());
        out[12..16].copy_from_slice(&len.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out[56..60].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// The header at the start of `bytes` (the whole header, as [`header_len`] says), checked.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, SegmentDefect> {
        let len = header_len(bytes)?;
        let bytes = bytes.get(..len).ok_or(SegmentDefect::Truncated)?;
        let mut zeroed = bytes.to_vec();
        zeroed[56..60].fill(0);
        if crc32fast::hash(&zeroed) != u32_at(bytes, 56) {
            return Err(SegmentDefect::Checksum);
        }
        let registry_len = u32_at(bytes, 48) as usize;
        let count = u32_at(bytes, 52) as usize;
        let mut rest = bytes.get(HEADER_FIXED..).unwrap_or_default();
        let mut take = |n: usize| -> Result<&[u8], SegmentDefect> {
            let (taken, left) = rest.split_at_checked(n).ok_or(SegmentDefect::Malformed)?;
            rest = left;
            Ok(taken)
        };
        let registry = take(registry_len)?.to_vec();
        // Each description takes at least its 4-byte length: a hostile count fails here.
        let mut descriptions = Vec::new();
        for _ in 0..count {
            let len =
                u32::from_le_bytes(take(4)?.try_into().map_err(|_| SegmentDefect::Malformed)?);
            descriptions.push(take(len as usize)?.to_vec());
        }
        Ok(Self {
            epoch: u64_at(bytes, 16),
            first_seq: u64_at(bytes, 24),
            created_ns: u64_at(bytes, 32),
            capacity: u64_at(bytes, 40),
            registry,
            descriptions,
        })
    }
}

/// The length of the header that `bytes` start with, from its fixed part, checked against
/// magic, format and bounds (not against the file's length).
pub(crate) fn header_len(bytes: &[u8]) -> Result<usize, SegmentDefect> {
    if bytes.len() < HEADER_FIXED {
        return Err(if MAGIC.starts_with(&bytes[..bytes.len().min(8)]) {
            SegmentDefect::Truncated
        } else {
            SegmentDefect::NotASegment
        });
    }
    if bytes[..8] != MAGIC {
        return Err(SegmentDefect::NotASegment);
    }
    let format = u16::from_le_bytes([bytes[8], bytes[9]]);
    if format != FORMAT {
        return Err(SegmentDefect::Format(format));
    }
    let len = u32_at(bytes, 12) as usize;
    if !(HEADER_FIXED..=MAX_HEADER).contains(&len) || !len.is_multiple_of(8) {
        return Err(SegmentDefect::Malformed);
    }
    Ok(len)
}

/// One record of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record<'a> {
    /// A frame the recorder read.
    Frame {
        /// Its sequence number, tag, tag sequence and schema version.
        stamp: Stamp,
        /// When the recorder read it, in nanoseconds since the Unix epoch.
        time_ns: u64,
        /// Its payload.
        payload: &'a [u8],
    },
    /// Messages `from..to` (by sequence number) that are not in the recording.
    Gap {
        /// The first missing sequence number.
        from: u64,
        /// One past the last.
        to: u64,
        /// Why they are missing.
        cause: GapCause,
        /// When the recorder found out, in nanoseconds since the Unix epoch.
        time_ns: u64,
    },
}

/// Why messages are missing from a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GapCause {
    /// The channel's writer overran the recorder: the messages were overwritten before it read
    /// them.
    Overrun,
    /// They were published while no recorder ran (between two recorder runs), or their
    /// segments were deleted by retention.
    NotRecorded,
    /// A segment holding them is corrupt or truncated.
    Corrupt,
}

impl GapCause {
    fn wire(self) -> u8 {
        match self {
            Self::Overrun => 1,
            Self::NotRecorded => 2,
            Self::Corrupt => 3,
        }
    }

    fn from_wire(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Overrun),
            2 => Some(Self::NotRecorded),
            3 => Some(Self::Corrupt),
            _ => None,
        }
    }
}

impl Record<'_> {
    /// Appends the record, padded to a multiple of 8 bytes, to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let gap_end;
        let (kind, cause, stamp, time_ns, payload): (u8, u8, Stamp, u64, &[u8]) = match *self {
            Record::Frame { stamp, time_ns, payload } => (KIND_FRAME, 0, stamp, time_ns, payload),
            Record::Gap { from, to, cause, time_ns } => {
                gap_end = to.to_le_bytes();
                let stamp = Stamp { tag: 0, seq: from, tag_seq: 0, version: 0 };
                (KIND_GAP, cause.wire(), stamp, time_ns, &gap_end)
            }
        };
        let len = RECORD_HEADER + payload.len();
        let mut header = [0u8; RECORD_HEADER];
        header[..4].copy_from_slice(&len32(len).to_le_bytes());
        header[8..10].copy_from_slice(&[kind, cause]);
        header[10..12].copy_from_slice(&stamp.version.to_le_bytes());
        header[12..16].copy_from_slice(&stamp.tag.to_le_bytes());
        header[16..20].copy_from_slice(&stamp.tag_seq.to_le_bytes());
        header[24..32].copy_from_slice(&stamp.seq.to_le_bytes());
        header[32..40].copy_from_slice(&time_ns.to_le_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header[8..]);
        crc.update(payload);
        header[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        out.reserve(len.next_multiple_of(8));
        out.extend_from_slice(&header);
        out.extend_from_slice(payload);
        out.resize(out.len() + (len.next_multiple_of(8) - len), 0);
    }

    /// The record at the start of `bytes`, and the bytes it takes with its padding; `Ok(None)`
    /// at the end of the bytes.
    ///
    /// # Errors
    ///
    /// [`SegmentDefect::Truncated`] if the bytes end inside the record;
    /// [`SegmentDefect::Malformed`] or [`SegmentDefect::Checksum`] for one that is corrupt.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Option<(Record<'_>, usize)>, SegmentDefect> {
        if bytes.is_empty() {
            return Ok(None);
        }
        if bytes.len() < RECORD_HEADER {
            return Err(SegmentDefect::Truncated);
        }
        let len = u32_at(bytes, 0) as usize;
        if len < RECORD_HEADER {
            return Err(SegmentDefect::Malformed);
        }
        let Some(record) = bytes.get(..len) else { return Err(SegmentDefect::Truncated) };
        if crc32fast::hash(&record[8..]) != u32_at(record, 4) {
            return Err(SegmentDefect::Checksum);
        }
        let (kind, cause) = (record[8], record[9]);
        let stamp = Stamp {
            version: u16::from_le_bytes([record[10], record[11]]),
            tag: u32_at(record, 12),
            tag_seq: u32_at(record, 16),
            seq: u64_at(record, 24),
        };
        let time_ns = u64_at(record, 32);
        let payload = &record[RECORD_HEADER..];
        let decoded = match kind {
            KIND_FRAME => Record::Frame { stamp, time_ns, payload },
            KIND_GAP if payload.len() == 8 => Record::Gap {
                from: stamp.seq,
                to: u64_at(payload, 0),
                cause: GapCause::from_wire(cause).ok_or(SegmentDefect::Malformed)?,
                time_ns,
            },
            _ => return Err(SegmentDefect::Malformed),
        };
        // The padding after the last record of a file may be missing: it is not data.
        let taken = len.next_multiple_of(8).min(bytes.len());
        Ok(Some((decoded, taken)))
    }
}

/// `len` as a `u32` length field; lengths are bounded by the ring's MTU and the header's
/// metadata area, both far below 4 GiB.
fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The `u32` at byte `at` of `bytes`, which holds it.
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// The `u64` at byte `at` of `bytes`, which holds it.
fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

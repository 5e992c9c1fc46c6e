//! The frame header: four words in front of every payload (layout version 4).
//!
//! ```text
//! word 0, the commit word, stored last (Release):
//!          bits  0..32  length: a message's payload bytes; a padding frame's whole span
//!          bits 32..40  kind: 0 nothing published here yet, 1 message, 2 padding
//!          bits 40..48  flags: fragments of a message larger than the MTU (none today: 0)
//!          bits 48..64  schema version of the message's type (0: unversioned)
//! word 1:  sequence number: messages the channel carried before this one, or more where
//!          `Writer::send_stamped` skipped numbers (messages lost before this channel)
//! word 2:  bits  0..32  tag
//!          bits 32..64  tag sequence: 1 + messages with this tag before this one, wrapping
//!                       from 2^32 - 1 to 1; 0 where the writer does not count per tag (raw
//!                       writers; typed publishers count)
//! word 3:  reserved, written as 0 and ignored by readers
//! ```
//!
//! A frame is the header, the payload, and padding up to [`FRAME_ALIGN`]. A reader polls the
//! commit word at its position: zero means nothing is published there yet, because the writer
//! zeroes the commit word where the next frame will start before it publishes the current one
//! (see `ring`'s module docs). Frames never cross the end of the data section: when the next
//! frame does not fit before it, the writer first publishes a padding frame that fills the rest
//! of the lap (as little as [`FRAME_ALIGN`] bytes, which is why a padding frame's length is its
//! span), so every lap boundary is a frame boundary.
//!
//! A message's payload starts 32 bytes into its frame, so it is as aligned as the frame: a
//! 32-byte payload and its header fill exactly one 64-byte cache line.

/// What a frame header says of a message besides its length: its tag, its numbers and the
/// schema version of its type.
///
/// [`Received`](crate::Received) and [`Message`](crate::Message) give them for a message read;
/// [`Writer::send_stamped`](crate::Writer::send_stamped) publishes a message with the stamp
/// another channel gave it, for a relay or a replay that carries a stream on.
///
/// # Examples
///
/// ```
/// let ring = bcast::RingBuffer::with_capacity(1024);
/// let mut writer = ring.clone().into_writer();
/// let mut reader = ring.into_reader();
/// let stamp = bcast::Stamp { tag: 7, seq: 0, tag_seq: 1, version: 2 };
/// writer.send_stamped(b"quote", stamp)?;
/// let received = reader.try_recv(&mut [0; 16])?.expect("published");
/// assert_eq!(bcast::Stamp::from(&received), stamp);
/// # Ok::<(), bcast::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stamp {
    /// The message's tag.
    pub tag: u32,
    /// Its sequence number: the messages its channel carried before it.
    pub seq: u64,
    /// Its tag sequence: 1 + the messages with its tag before it (0: not counted per tag).
    pub tag_seq: u32,
    /// The schema version of its type (0: unversioned, or a raw writer's).
    pub version: u16,
}

/// Bytes of the frame header.
pub(crate) const FRAME_HEADER_LEN: u64 = 32;
/// Every frame starts at a multiple of this, so a padding frame always fits in what is left.
pub(crate) const FRAME_ALIGN: u64 = 16;
/// Words of the frame header.
pub(crate) const HEADER_WORDS: usize = 4;

/// What a commit word says is at its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    /// A message: `len` payload bytes follow the header.
    Message,
    /// No message: readers step over the frame's `len` bytes.
    Padding,
}

const KIND_MESSAGE: u8 = 1;
const KIND_PADDING: u8 = 2;

/// A frame header as the writer stores it and a reader decodes it. Decoded values come from
/// shared memory: [`FrameHeader::decode`] only accepts a kind and flags this build knows, and
/// the reader bounds the length before using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub(crate) kind: FrameKind,
    /// Payload bytes of a message; the frame's whole span for padding.
    pub(crate) len: u32,
    pub(crate) schema_version: u16,
    pub(crate) seq: u64,
    pub(crate) tag: u32,
    pub(crate) tag_seq: u32,
}

impl FrameHeader {
    /// A message frame's header; `tag_seq` 0 where the writer does not count per tag,
    /// `schema_version` 0 for an unversioned type or a raw writer.
    #[inline]
    pub(crate) fn message(len: u32, stamp: Stamp) -> Self {
        let Stamp { tag, seq, tag_seq, version } = stamp;
        Self { kind: FrameKind::Message, len, schema_version: version, seq, tag, tag_seq }
    }

    /// The header of a padding frame spanning `span` bytes (a multiple of [`FRAME_ALIGN`]). It
    /// carries the sequence number of the message that follows it; only its commit word and
    /// word 1 are stored (a padding frame may be 16 bytes long).
    #[inline]
    pub(crate) fn padding(span: u32, seq: u64) -> Self {
        Self { kind: FrameKind::Padding, len: span, schema_version: 0, seq, tag: 0, tag_seq: 0 }
    }

    /// The four words, commit word first.
    #[inline]
    pub(crate) fn pack(self) -> [u64; HEADER_WORDS] {
        let kind = match self.kind {
            FrameKind::Message => KIND_MESSAGE,
            FrameKind::Padding => KIND_PADDING,
        };
        let commit =
            u64::from(self.len) | (u64::from(kind) << 32) | (u64::from(self.schema_version) << 48);
        [commit, self.seq, u64::from(self.tag) | (u64::from(self.tag_seq) << 32), 0]
    }

    /// Decodes a header from its commit word and words 1 and 2; `None` unless the commit word
    /// names a kind this build knows, with no flag set, and a padding frame spans a positive
    /// multiple of [`FRAME_ALIGN`] (a zero commit word is `None` too).
    #[inline]
    pub(crate) fn decode(commit: u64, seq: u64, word2: u64) -> Option<Self> {
        #[allow(clippy::cast_possible_truncation)] // deliberate: the fields of packed words
        let (len, kind, flags, schema_version) =
            (commit as u32, (commit >> 32) as u8, (commit >> 40) as u8, (commit >> 48) as u16);
        let kind = match (kind, flags) {
            (KIND_MESSAGE, 0) => FrameKind::Message,
            (KIND_PADDING, 0) if len != 0 && u64::from(len).is_multiple_of(FRAME_ALIGN) => {
                FrameKind::Padding
            }
            _ => return None,
        };
        #[allow(clippy::cast_possible_truncation)] // deliberate: the halves of a packed word
        let (tag, tag_seq) = (word2 as u32, (word2 >> 32) as u32);
        Some(Self { kind, len, schema_version, seq, tag, tag_seq })
    }

    /// Total bytes the frame occupies in the ring.
    #[inline]
    pub(crate) fn frame_len(self) -> u64 {
        match self.kind {
            FrameKind::Message => frame_len(u64::from(self.len)),
            FrameKind::Padding => u64::from(self.len),
        }
    }
}

/// Bytes a message frame with a payload of `len` bytes occupies: header, payload, padding to
/// alignment.
#[inline]
pub(crate) const fn frame_len(len: u64) -> u64 {
    (FRAME_HEADER_LEN + len + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

/// The word holding the last `tail.len() < 8` bytes of a payload, zero past them; built from
/// fixed-size moves, where copying into a zeroed array would call `memcpy` for a variable length.
#[inline(always)]
pub(crate) fn tail_word(tail: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let mut at = 0;
    if let Some(four) = tail.first_chunk::<4>() {
        word[..4].copy_from_slice(four);
        at = 4;
    }
    if let Some(two) = tail.get(at..).and_then(<[u8]>::first_chunk::<2>) {
        word[at..at + 2].copy_from_slice(two);
        at += 2;
    }
    if let Some(&one) = tail.get(at) {
        word[at] = one;
    }
    u64::from_ne_bytes(word)
}

/// Copies the first `tail.len() < 8` bytes of `word` into `tail`, the inverse of
/// [`tail_word`], from fixed-size moves as well.
#[inline(always)]
pub(crate) fn untail_word(tail: &mut [u8], word: u64) {
    let word = word.to_ne_bytes();
    let mut at = 0;
    if let Some(four) = tail.first_chunk_mut::<4>() {
        four.copy_from_slice(&word[..4]);
        at = 4;
    }
    if let Some(two) = tail.get_mut(at..).and_then(<[u8]>::first_chunk_mut::<2>) {
        two.copy_from_slice(&word[at..at + 2]);
        at += 2;
    }
    if let Some(one) = tail.get_mut(at) {
        *one = word[at];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(header: FrameHeader) -> Option<FrameHeader> {
        let [commit, seq, word2, reserved] = header.pack();
        assert_eq!(reserved, 0);
        FrameHeader::decode(commit, seq, word2)
    }

    #[test]
    fn headers_round_trip_through_their_words() {
        let full = FrameHeader {
            kind: FrameKind::Message,
            len: u32::MAX,
            schema_version: u16::MAX,
            seq: u64::MAX,
            tag: u32::MAX,
            tag_seq: u32::MAX,
        };
        assert_eq!(round_trip(full), Some(full));
        let empty = FrameHeader::message(0, Stamp::default());
        assert_eq!(round_trip(empty), Some(empty));
        let padding = FrameHeader::padding(16, 9);
        assert_eq!(round_trip(padding), Some(padding));
        for span in [0, 8, 24] {
            assert_eq!(round_trip(FrameHeader::padding(span, 0)), None, "span {span}");
        }
    }

    #[test]
    fn every_published_commit_word_is_nonzero_and_zero_decodes_to_nothing() {
        assert_ne!(FrameHeader::message(0, Stamp::default()).pack()[0], 0);
        assert_ne!(FrameHeader::padding(16, 0).pack()[0], 0);
        assert_eq!(FrameHeader::decode(0, 0, 0), None);
    }

    #[test]
    fn unknown_kinds_and_any_flag_are_refused() {
        for kind in [0u64, 3, 0xff] {
            assert_eq!(FrameHeader::decode(kind << 32, 0, 0), None, "kind {kind}");
        }
        for flag in 0..8 {
            let commit = (u64::from(KIND_MESSAGE) << 32) | (1 << (40 + flag));
            assert_eq!(FrameHeader::decode(commit, 0, 0), None, "flag bit {flag}");
        }
    }

    #[test]
    fn message_frames_are_header_plus_payload_rounded_to_alignment() {
        assert_eq!(frame_len(0), 32);
        assert_eq!(frame_len(1), 48);
        assert_eq!(frame_len(16), 48);
        assert_eq!(frame_len(32), 64, "a 32-byte message fills one cache line");
        assert_eq!(frame_len(33), 80);
        assert_eq!(FrameHeader::padding(16, 0).frame_len(), 16);
    }
}

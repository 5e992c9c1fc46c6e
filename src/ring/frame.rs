//! The frame header: two words in front of every payload.
//!
//! ```text
//! word 0:  bits  0..32  payload length in bytes
//!          bits 32..64  user-defined tag
//! word 1:  bits  0..56  sequence number: messages published before this one
//!          bits 56..64  flags (FrameFlags)
//! ```
//!
//! A frame is the header, the payload, and zero padding up to [`FRAME_ALIGN`]. Frames never cross
//! the end of the data section: when the next frame does not fit before it, the writer first
//! publishes a padding frame that fills the rest of the lap, so every lap boundary is a frame
//! boundary.

/// Bytes of the frame header.
pub(crate) const FRAME_HEADER_LEN: u64 = 16;
/// Every frame starts at a multiple of this, so a padding frame always fits in what is left.
pub(crate) const FRAME_ALIGN: u64 = 16;

const SEQ_MASK: u64 = (1 << 56) - 1;

/// Flags carried in the frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameFlags(u8);

impl FrameFlags {
    /// An ordinary message frame.
    pub(crate) const MESSAGE: Self = Self(0);
    /// A frame that carries no message; readers step over it.
    pub(crate) const PADDING: Self = Self(1);
}

/// A decoded frame header. Values come from shared memory and may be garbage until checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub(crate) len: u32,
    pub(crate) tag: u32,
    pub(crate) seq: u64,
    pub(crate) flags: FrameFlags,
}

impl FrameHeader {
    /// Packs the header into its two words.
    #[inline]
    pub(crate) fn pack(self) -> [u64; 2] {
        let word0 = u64::from(self.len) | (u64::from(self.tag) << 32);
        let word1 = (self.seq & SEQ_MASK) | (u64::from(self.flags.0) << 56);
        [word0, word1]
    }

    /// Unpacks two words; never fails (the caller validates the fields).
    #[inline]
    pub(crate) fn unpack([word0, word1]: [u64; 2]) -> Self {
        #[allow(clippy::cast_possible_truncation)] // deliberate: the halves of a packed word
        let (len, tag) = (word0 as u32, (word0 >> 32) as u32);
        #[allow(clippy::cast_possible_truncation)] // deliberate: the top byte of a packed word
        let flags = FrameFlags((word1 >> 56) as u8);
        Self { len, tag, seq: word1 & SEQ_MASK, flags }
    }

    /// Total bytes the frame occupies in the ring.
    #[inline]
    pub(crate) fn frame_len(self) -> u64 {
        frame_len(u64::from(self.len))
    }
}

/// Bytes a frame with a payload of `len` bytes occupies: header, payload, padding to alignment.
#[inline]
pub(crate) const fn frame_len(len: u64) -> u64 {
    (FRAME_HEADER_LEN + len + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_through_its_words() {
        let header = FrameHeader {
            len: 0xDEAD_BEEF,
            tag: u32::MAX,
            seq: SEQ_MASK,
            flags: FrameFlags::PADDING,
        };
        assert_eq!(FrameHeader::unpack(header.pack()), header);
        let zero = FrameHeader { len: 0, tag: 0, seq: 0, flags: FrameFlags::MESSAGE };
        assert_eq!(zero.pack(), [0, 0]);
        assert_eq!(FrameHeader::unpack([0, 0]), zero);
    }

    #[test]
    fn sequence_numbers_keep_their_low_56_bits() {
        let header = FrameHeader { len: 1, tag: 2, seq: u64::MAX, flags: FrameFlags::MESSAGE };
        assert_eq!(FrameHeader::unpack(header.pack()).seq, SEQ_MASK);
    }

    #[test]
    fn frames_are_header_plus_payload_rounded_to_alignment() {
        assert_eq!(frame_len(0), 16);
        assert_eq!(frame_len(1), 32);
        assert_eq!(frame_len(16), 32);
        assert_eq!(frame_len(17), 48);
        assert_eq!(frame_len(32), 48);
    }
}

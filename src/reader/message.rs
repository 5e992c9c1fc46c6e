//! [`Message`]: a lazy handle to one frame; [`Received`]: what a copying read returns.

use super::Frames;
use crate::error::Error;
use crate::ring::frame::{FrameHeader, Stamp};

/// A lazy handle to one message in the ring, yielded by [`Reader::batch_iter`] and
/// [`Reader::receive_next`].
///
/// Nothing is copied until [`read`](Message::read). A message is cheap to clone and stays
/// readable until its reader is used again mutably or dropped; if the writer laps it meanwhile,
/// `read` reports [`Error::Overrun`] instead of returning overwritten bytes.
///
/// [`Reader::batch_iter`]: crate::Reader::batch_iter
/// [`Reader::receive_next`]: crate::Reader::receive_next
#[derive(Debug, Clone)]
pub struct Message<'a> {
    frames: &'a Frames,
    position: u64,
    header: FrameHeader,
}

impl<'a> Message<'a> {
    pub(super) fn new(frames: &'a Frames, position: u64, header: FrameHeader) -> Self {
        Self { frames, position, header }
    }

    /// Copies the payload into the front of `buf` and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `buf` is shorter than [`len`](Self::len);
    /// [`Error::Overrun`] if the writer overwrote the message since it was yielded (the bytes
    /// copied into `buf` are then meaningless).
    #[inline]
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.frames.read_payload(self.position, self.header, buf)
    }

    /// The tag the writer gave the message ([`Writer::send_with_tag`]).
    ///
    /// [`Writer::send_with_tag`]: crate::Writer::send_with_tag
    #[inline]
    pub fn tag(&self) -> u32 {
        self.header.tag
    }

    /// Payload length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.header.len as usize
    }

    /// Whether the payload is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.header.len == 0
    }

    /// Stream position of the message's frame.
    #[inline]
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Sequence number: how many messages the ring carried before this one.
    #[inline]
    pub fn seq(&self) -> u64 {
        self.header.seq
    }

    /// Tag sequence: 1 + the messages with this message's tag before it (wrapping from
    /// 2^32 - 1 to 1), as typed publishers number them; 0 from a writer that does not count
    /// per tag. [`TagLosses`](crate::TagLosses) turns them into losses per tag.
    #[inline]
    pub fn tag_seq(&self) -> u32 {
        self.header.tag_seq
    }

    /// The schema version of the message's type that wrote it, as typed publishers stamp it
    /// (`#[bcast::typed::message(version = N)]`); 0 from raw writers and for unversioned types.
    #[inline]
    pub fn version(&self) -> u16 {
        self.header.schema_version
    }
}

impl From<&Received> for Stamp {
    fn from(received: &Received) -> Self {
        let Received { tag, seq, tag_seq, version, .. } = *received;
        Self { tag, seq, tag_seq, version }
    }
}

impl Received {
    pub(super) fn new(position: u64, header: FrameHeader) -> Self {
        let (tag, tag_seq, version) = (header.tag, header.tag_seq, header.schema_version);
        Self { len: header.len as usize, tag, tag_seq, version, position, seq: header.seq }
    }
}

/// What [`Reader::try_recv`](crate::Reader::try_recv) copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Payload length: the message occupies `buf[..len]`.
    pub len: usize,
    /// The tag the writer gave the message.
    pub tag: u32,
    /// Stream position of the message's frame.
    pub position: u64,
    /// Sequence number: how many messages the ring carried before this one.
    pub seq: u64,
    /// Tag sequence, as [`Message::tag_seq`]: 0 from a writer that does not count per tag.
    pub tag_seq: u32,
    /// Schema version, as [`Message::version`]: 0 from raw writers and unversioned types.
    pub version: u16,
}

//! Reading frames: finding the next message, copying payloads, checking laps.

use super::{Cursor, Frames, Passed};
use crate::error::{Error, Lapped};
use crate::ring::frame::{FRAME_ALIGN, FRAME_HEADER_LEN, FrameHeader, FrameKind};
use crate::ring::raw::RawRing;
use crate::sync::Ordering;

/// What the fast path of a copying read found at the reader's position.
pub(super) enum Fast {
    /// A message, copied into the caller's buffer and checked against the lap.
    Read(FrameHeader),
    /// Nothing published there yet (and the reader was not lapped).
    Empty,
    /// Padding, a message that does not fit the buffer, or a frame to diagnose: the caller
    /// takes the careful path.
    Careful,
}

impl Frames {
    /// Finds the next message frame at or after the cursor and below `limit`, stepping over
    /// padding and the messages `filter` rejects. Returns its position and validated header;
    /// the cursor is left at that frame. `limit` is `u64::MAX` for reads that poll the commit
    /// word, and the committed position loaded when a batch began for a batch.
    #[inline]
    pub(super) fn next_frame(
        &self,
        cursor: &mut Cursor,
        limit: u64,
        filter: &mut impl FnMut(u32) -> bool,
    ) -> Result<Option<(u64, FrameHeader)>, Error> {
        loop {
            let position = cursor.position;
            if position >= limit {
                return Ok(None);
            }
            let Some(header) = self.header_at(position, limit)? else {
                return Ok(None);
            };
            match header.kind {
                FrameKind::Message if filter(header.tag) => return Ok(Some((position, header))),
                FrameKind::Message => cursor.pass(position, header, Passed::Skipped),
                FrameKind::Padding => cursor.position = position + header.frame_len(),
            }
        }
    }

    /// The validated header of the frame published at `position`, or `None` if nothing is
    /// published there yet; checked against the lap.
    #[inline]
    pub(super) fn header_at(
        &self,
        position: u64,
        limit: u64,
    ) -> Result<Option<FrameHeader>, Error> {
        let capacity = self.ring.capacity();
        let index = position & (capacity - 1);
        let commit = self.ring.load_commit_word(index);
        if commit == 0 {
            // Zero is "not yet", unless the writer lapped the reader and cleared this word for
            // a later frame: then the lap check below reports it.
            self.check_lap(position)?;
            return Ok(None);
        }
        let (seq, word2) = self.ring.load_header_words(index);
        let ahead = self.check_lap(position)?;
        // The words are the writer's (not overrun): a nonsensical header means corruption.
        let corrupt = Error::CorruptFrame { position };
        let header = FrameHeader::decode(commit, seq, word2).ok_or(corrupt)?;
        let frame = header.frame_len();
        let oversized = header.kind == FrameKind::Message && u64::from(header.len) > self.mtu;
        // A frame lies inside the lap and below the writer's reservation (it reserved before
        // storing the commit word this thread acquired, so `claimed` shows that reservation).
        // `index + frame` stays far below 2^64 (index < 2^36, frame <= 2^32 + 32). A batch
        // also ends at `limit`: the frame is measured against the room left below it (no
        // underflow: the callers checked `position < limit`), so it ends at or before it.
        if oversized || index + frame > capacity || frame > ahead || frame > limit - position {
            return Err(corrupt);
        }
        Ok(Some(header))
    }

    /// The common case of a read, with one lap check instead of two: if the frame at `position`
    /// is a message that fits `buf`, copies it and then checks the lap once for the header and
    /// payload loads together.
    #[inline]
    pub(super) fn read_fast(&self, position: u64, buf: &mut [u8]) -> Result<Fast, Error> {
        let capacity = self.ring.capacity();
        let index = position & (capacity - 1);
        let commit = self.ring.load_commit_word(index);
        if commit == 0 {
            // As in `header_at`: zero is "not yet" unless the reader was lapped.
            self.check_lap(position)?;
            return Ok(Fast::Empty);
        }
        let (seq, word2) = self.ring.load_header_words(index);
        // May be torn: every field is bounded before use and the lap check below discards it.
        let Some(header) = FrameHeader::decode(commit, seq, word2) else {
            return Ok(Fast::Careful);
        };
        let plausible = header.kind == FrameKind::Message
            && u64::from(header.len) <= self.mtu
            && index + header.frame_len() <= capacity;
        let Some(dst) = buf.get_mut(..header.len as usize).filter(|_| plausible) else {
            return Ok(Fast::Careful);
        };
        self.ring.load_bytes(index + FRAME_HEADER_LEN, dst, self.wide_from);
        if self.check_lap(position)? < header.frame_len() {
            // Past the writer's reservation: corrupt, which the careful path reports.
            return Ok(Fast::Careful);
        }
        Ok(Fast::Read(header))
    }

    /// Copies the payload of the frame at `position` into `buf`, then checks it was not lapped.
    #[inline]
    pub(crate) fn read_payload(
        &self,
        position: u64,
        header: FrameHeader,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        let len = header.len as usize;
        let Some(dst) = buf.get_mut(..len) else {
            return Err(Error::BufferTooSmall { needed: len, available: buf.len() });
        };
        let index = position & (self.ring.capacity() - 1);
        self.ring.load_bytes(index + FRAME_HEADER_LEN, dst, self.wide_from);
        self.check_lap(position)?;
        Ok(len)
    }

    /// Fails with [`Error::Overrun`] if the writer may have overwritten any byte at or after
    /// `position` that this thread loaded before the call; otherwise returns how far the
    /// writer's reservation reaches past `position` (at most the capacity).
    #[inline]
    pub(super) fn check_lap(&self, position: u64) -> Result<u64, Error> {
        let claimed = self.ring.header().claimed_after_loads();
        let ahead = claimed.wrapping_sub(position);
        if ahead > self.ring.capacity() {
            return Err(Error::Overrun(Lapped { position, claimed }));
        }
        Ok(ahead)
    }
}

/// Where a reader starts to replay the oldest data still intact.
///
/// While the writer has not yet completed a lap (`claimed <= capacity`), nothing was
/// overwritten and the answer is position 0: everything published so far. Afterwards it is the
/// earliest checkpoint (or lap boundary, always a frame boundary) at or after
/// `claimed - capacity + capacity / 4`, or the committed position if none is. The margin of a
/// quarter lap (the largest frame) keeps the writer's next message from lapping the reader
/// before it has read anything.
///
/// The frontiers come from shared memory and may be anything: no arithmetic here can overflow.
pub(crate) fn oldest_start(ring: &RawRing) -> u64 {
    let header = ring.header();
    let committed = header.load_committed();
    let claimed = header.claimed.load(Ordering::Relaxed);
    let capacity = ring.capacity();
    if claimed <= capacity {
        return 0;
    }
    // `claimed - capacity + capacity / 4`, which is positive here.
    let floor = claimed - (capacity - capacity / 4);
    let lap_boundary = floor.div_ceil(capacity).saturating_mul(capacity).min(committed);
    // A checkpoint is a message frame start the writer recorded before committing the frame;
    // one in `floor..=committed` is a boundary of the current stream whose bytes are intact.
    header
        .checkpoints
        .iter()
        .map(|checkpoint| checkpoint.load(Ordering::Relaxed))
        .filter(|&c| c >= floor && c <= committed && c.is_multiple_of(FRAME_ALIGN))
        .fold(lap_boundary, u64::min)
}

//! Reading frames: finding the next message, copying payloads, checking laps.

use super::{Cursor, View};
use crate::error::{Error, Lapped};
use crate::ring::frame::{FRAME_ALIGN, FRAME_HEADER_LEN, FrameFlags, FrameHeader};
use crate::ring::raw::RawRing;
use crate::sync::Ordering;

impl View {
    /// Finds the next message frame at or after the cursor and below `limit`, stepping over
    /// padding. Returns its position and validated header; the cursor is left at that frame.
    #[inline]
    pub(super) fn next_frame(
        &self,
        cursor: &mut Cursor,
        limit: u64,
        filter: &mut impl FnMut(u32) -> bool,
    ) -> Result<Option<(u64, FrameHeader)>, Error> {
        let capacity = self.ring.capacity();
        loop {
            let position = cursor.position;
            if position >= limit {
                return Ok(None);
            }
            let index = position & (capacity - 1);
            let header = self.ring.load_frame_header(index);
            self.check_lap(position)?;
            // The header is the writer's (not overrun): a nonsensical one means corruption.
            let frame = header.frame_len();
            let corrupt = Error::CorruptFrame { position };
            // `index + frame` stays far below 2^64 (index < 2^36, frame < 2^33). `position` may
            // sit just below 2^64 on a hostile header, so the frame is measured against the room
            // left below `limit` (no underflow: `position < limit` above) rather than added to
            // it; a frame that fits there ends at `position + frame <= limit`, without overflow.
            if index + frame > capacity || frame > limit - position {
                return Err(corrupt);
            }
            match header.flags {
                FrameFlags::MESSAGE if u64::from(header.len) <= self.mtu => {
                    if filter(header.tag) {
                        return Ok(Some((position, header)));
                    }
                    cursor.pass(position, header);
                    cursor.stats.skipped += 1;
                }
                FrameFlags::PADDING => cursor.position = position + frame,
                _ => return Err(corrupt),
            }
        }
    }

    /// The common case of a read, with one lap check instead of two: if the frame at `position`
    /// looks like a message that fits `buf`, copies it and then checks the lap once for the
    /// header and payload loads together. `Ok(None)` sends the caller down the careful path.
    #[inline]
    pub(super) fn read_plain_frame(
        &self,
        position: u64,
        limit: u64,
        buf: &mut [u8],
    ) -> Result<Option<(u64, FrameHeader)>, Error> {
        let capacity = self.ring.capacity();
        let index = position & (capacity - 1);
        if position >= limit {
            return Ok(None);
        }
        // May be torn: every field is bounded before use and the lap check below discards it.
        let header = self.ring.load_frame_header(index);
        let frame = header.frame_len();
        let plausible = header.flags == FrameFlags::MESSAGE
            && u64::from(header.len) <= self.mtu
            && index + frame <= capacity
            // No underflow (`position < limit` above), and no overflow of `position + frame`.
            && frame <= limit - position;
        let Some(dst) = buf.get_mut(..header.len as usize).filter(|_| plausible) else {
            return Ok(None);
        };
        self.ring.load_bytes(index + FRAME_HEADER_LEN, dst);
        self.check_lap(position)?;
        Ok(Some((position, header)))
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
        self.ring.load_bytes(index + FRAME_HEADER_LEN, dst);
        self.check_lap(position)?;
        Ok(len)
    }

    /// Fails with [`Error::Overrun`] if the writer may have overwritten any byte at or after
    /// `position` that this thread loaded before the call.
    #[inline]
    pub(super) fn check_lap(&self, position: u64) -> Result<(), Error> {
        let claimed = self.ring.header().claimed_after_loads();
        if claimed.wrapping_sub(position) > self.ring.capacity() {
            return Err(Error::Overrun(Lapped { position, writer_position: claimed }));
        }
        Ok(())
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

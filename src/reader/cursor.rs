//! A reader's private cursor and its cumulative counters ([`ReaderStats`]).

use crate::error::Error;
use crate::ring::frame::FrameHeader;

/// A reader's private progress through the stream.
#[derive(Debug)]
pub(crate) struct Cursor {
    /// Position of the next frame to read.
    pub(super) position: u64,
    /// Sequence number the next message should carry, once known: a larger one means the
    /// messages in between were lost.
    next_seq: Option<u64>,
    pub(super) stats: ReaderStats,
}

/// Cumulative counters of one [`Reader`](super::Reader), from [`Reader::stats`](super::Reader::stats).
///
/// Losses are counted exactly, from the sequence numbers the writer stamps on every message:
/// when a reader that was overrun (or reset) receives its next message, the gap between that
/// message's number and the one it expected is added to `lost`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ReaderStats {
    /// Messages returned: yielded by a batch, `receive_next` or `try_recv`.
    pub received: u64,
    /// Messages the reader stepped over on purpose: `skip`, or rejected by a batch filter.
    pub skipped: u64,
    /// Messages that were published but never reached this reader (it was lapped or reset).
    pub lost: u64,
    /// [`Error::Overrun`]s the reader's own calls returned.
    pub overruns: u64,
    /// Calls of [`Reader::reset`](super::Reader::reset) and
    /// [`Reader::reset_to_oldest`](super::Reader::reset_to_oldest).
    pub resets: u64,
}

/// What a reader did with a message it moved past, for [`ReaderStats`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Passed {
    /// Handed to the caller.
    Received,
    /// Stepped over on purpose.
    Skipped,
}

impl Cursor {
    pub(super) fn new(position: u64, next_seq: Option<u64>) -> Self {
        Self { position, next_seq, stats: ReaderStats::default() }
    }

    /// The sequence number of the next message, once the reader knows it.
    pub(super) fn next_seq(&self) -> Option<u64> {
        self.next_seq
    }

    /// Moves past the message at `position` and counts it as `passed`, with any gap in
    /// sequence numbers before it.
    #[inline]
    pub(super) fn pass(&mut self, position: u64, header: FrameHeader, passed: Passed) {
        match passed {
            Passed::Received => self.stats.received += 1,
            Passed::Skipped => self.stats.skipped += 1,
        }
        // The sequence number comes from shared memory: a corrupt one may jump anywhere, so
        // the loss count saturates rather than wraps, and the next expected number wraps. So
        // does the position: only a hostile header puts a reader near 2^64.
        if let Some(expected) = self.next_seq {
            self.stats.lost = self.stats.lost.saturating_add(header.seq.saturating_sub(expected));
        }
        self.next_seq = Some(header.seq.wrapping_add(1));
        self.position = position.wrapping_add(header.frame_len());
    }

    /// Counts an overrun on its way to the caller.
    #[inline]
    pub(super) fn note<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(Error::Overrun(_)) = result {
            self.stats.overruns += 1;
        }
        result
    }

    /// The message a reader found (`next`, as from `next_frame`), once the cursor has moved
    /// past it as `passed`; an error is passed on, an overrun counted.
    #[inline]
    pub(super) fn take(
        &mut self,
        next: Result<Option<(u64, FrameHeader)>, Error>,
        passed: Passed,
    ) -> Result<Option<(u64, FrameHeader)>, Error> {
        let found = self.note(next)?;
        if let Some((position, header)) = found {
            self.pass(position, header, passed);
        }
        Ok(found)
    }

    /// Moves to `position`, expecting no sequence number there.
    pub(super) fn restart(&mut self, position: u64) {
        self.position = position;
        self.next_seq = None;
    }

    /// Moves to `position`, keeping the sequence number it expects so the gap is counted.
    pub(super) fn jump(&mut self, position: u64) {
        self.position = position;
        self.stats.resets += 1;
    }
}

//! [`Reader`]: one consumer with its own cursor, never blocking the writer.

mod batch;
mod cursor;
mod frames;
mod lag;
mod message;
mod tag_losses;

pub use batch::{Batch, FilterTag};
pub use cursor::ReaderStats;
pub use lag::Lag;
pub use message::{Message, Received};
pub use tag_losses::TagLosses;

pub(crate) use cursor::Cursor;
use cursor::Passed;
use frames::Fast;
pub(crate) use frames::oldest_start;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::ring::Shared;
use crate::ring::raw::RawRing;
use crate::ring::wide;
use crate::wait::WaitStrategy;

/// One consumer of a ring.
///
/// Each reader has its own position; readers never write shared memory and never slow the
/// writer down. A reader that falls too far behind (the ring's capacity less the sixteenth the
/// writer reserves ahead) is *overrun*: its reads return
/// [`Error::Overrun`] and never a torn message, until [`reset`](Reader::reset) moves it to the
/// committed position (or [`reset_to_oldest`](Reader::reset_to_oldest) to the oldest intact
/// lap).
///
/// Three ways to read, from the most convenient to the cheapest:
///
/// - [`batch_iter`](Reader::batch_iter): an iterator over the messages pending when it was made,
///   yielding lazy [`Message`] handles whose bytes are copied only on
///   [`Message::read`];
/// - [`receive_next`](Reader::receive_next): one lazy message at a time;
/// - [`try_recv`](Reader::try_recv): copies the next message into a buffer.
///
/// `Reader` is `Send`: make it on one thread and move it to the thread that reads.
#[derive(Debug)]
pub struct Reader {
    shared: Arc<Shared>,
    frames: Frames,
    cursor: Cursor,
    wait: WaitStrategy,
}

/// What a [`Message`] needs to read its frame: the ring and its MTU.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frames {
    ring: RawRing,
    mtu: u64,
    /// Payloads of this many bytes and more are copied with the 16-byte kernels
    /// (`ring::wide::threshold`).
    wide_from: usize,
}

impl Reader {
    pub(crate) fn new(shared: Arc<Shared>, position: u64) -> Self {
        let frames =
            Frames { ring: shared.ring, mtu: shared.mtu as u64, wide_from: wide::threshold() };
        // From position 0 every message is accounted for; elsewhere the first one sets the pace.
        let next_seq = (position == 0).then_some(0);
        Self {
            shared,
            frames,
            cursor: Cursor::new(position, next_seq),
            wait: WaitStrategy::default(),
        }
    }

    /// Position of the next frame this reader will read.
    #[inline]
    pub fn position(&self) -> u64 {
        self.cursor.position
    }

    /// The writer's committed position, freshly loaded.
    #[inline]
    pub fn committed(&self) -> u64 {
        self.frames.ring.header().load_committed()
    }

    /// The reader's cumulative counters: received, skipped, lost, overruns, resets.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// for i in 0..40u8 {
    ///     writer.send(&[i; 40])?; // 64-byte frames: 40 of them lap a 1 KiB ring
    /// }
    /// let mut buf = [0u8; 64];
    /// assert!(matches!(reader.try_recv(&mut buf), Err(bcast::Error::Overrun(_))));
    /// reader.reset_to_oldest();
    /// while reader.try_recv(&mut buf)?.is_some() {}
    /// let stats = reader.stats();
    /// assert_eq!((stats.overruns, stats.resets), (1, 1));
    /// assert_eq!(stats.received + stats.lost, 40, "every message is accounted for");
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn stats(&self) -> ReaderStats {
        self.cursor.stats
    }

    /// Largest payload a message on this ring may carry.
    #[inline]
    pub fn mtu(&self) -> usize {
        self.shared.mtu
    }

    /// Iterates over the messages that were pending when the batch began.
    ///
    /// Each item is a lazy [`Message`]: nothing is copied until [`Message::read`], so skipping a
    /// message costs three word loads. After an [`Error::Overrun`] or [`Error::CorruptFrame`] item
    /// the batch ends, and the reader stays where it was until [`reset`](Self::reset).
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// for word in ["one", "two", "three"] {
    ///     writer.send(word.as_bytes())?;
    /// }
    /// let mut buf = [0u8; 16];
    /// let mut seen = Vec::new();
    /// for msg in reader.batch_iter() {
    ///     let len = msg?.read(&mut buf)?;
    ///     seen.push(String::from_utf8_lossy(&buf[..len]).into_owned());
    /// }
    /// assert_eq!(seen, ["one", "two", "three"]);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn batch_iter(&mut self) -> Batch<'_> {
        let limit = self.frames.ring.header().load_committed();
        Batch::new(&self.frames, &mut self.cursor, limit)
    }

    /// The next message as a lazy handle, or `None` if none is pending.
    ///
    /// # Errors
    ///
    /// [`Error::Overrun`] if the writer lapped this reader, [`Error::CorruptFrame`] if the frame
    /// header makes no sense. The reader does not move in either case.
    #[inline]
    pub fn receive_next(&mut self) -> Result<Option<Message<'_>>, Error> {
        let next = self.frames.next_frame(&mut self.cursor, u64::MAX, &mut |_| true);
        let found = self.cursor.take(next, Passed::Received)?;
        Ok(found.map(|(position, header)| Message::new(&self.frames, position, header)))
    }

    /// Copies the next message into `buf` and returns what was received, or `None` if none is
    /// pending.
    ///
    /// # Errors
    ///
    /// [`Error::Overrun`] if the writer lapped this reader, [`Error::BufferTooSmall`] if the
    /// message does not fit `buf`, [`Error::CorruptFrame`] if the frame header makes no sense.
    /// The reader does not move in any of these cases.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// writer.send(b"ping")?;
    /// let mut buf = [0u8; 64];
    /// while let Some(received) = reader.try_recv(&mut buf)? {
    ///     assert_eq!(&buf[..received.len], b"ping");
    /// }
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<Option<Received>, Error> {
        let position = self.cursor.position;
        match self.cursor.note(self.frames.read_fast(position, buf))? {
            Fast::Read(header) => {
                self.cursor.pass(position, header, Passed::Received);
                return Ok(Some(Received::new(position, header)));
            }
            Fast::Empty => return Ok(None),
            Fast::Careful => {}
        }
        // Padding, a buffer too small, or a frame to diagnose.
        let next = self.frames.next_frame(&mut self.cursor, u64::MAX, &mut |_| true);
        let Some((position, header)) = self.cursor.note(next)? else {
            return Ok(None);
        };
        let read = self.frames.read_payload(position, header, buf);
        self.cursor.note(read)?;
        self.cursor.pass(position, header, Passed::Received);
        Ok(Some(Received::new(position, header)))
    }

    /// Sets how the blocking reads wait (default: [`WaitStrategy::SpinThenPark`]).
    #[must_use]
    pub fn with_wait_strategy(mut self, strategy: WaitStrategy) -> Self {
        self.wait = strategy;
        self
    }

    /// Sets how the blocking reads wait.
    pub fn set_wait_strategy(&mut self, strategy: WaitStrategy) {
        self.wait = strategy;
    }

    /// Like [`try_recv`](Self::try_recv), but waits up to `timeout` for a message, in the
    /// reader's [`WaitStrategy`]; `Ok(None)` when the timeout passed first.
    ///
    /// # Errors
    ///
    /// As for [`try_recv`](Self::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut reader = ring.clone().into_reader();
    /// let mut buf = [0u8; 16];
    /// assert_eq!(reader.recv_timeout(&mut buf, Duration::from_millis(5))?, None);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn recv_timeout(
        &mut self,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<Option<Received>, Error> {
        crate::wait::retry_for(self, timeout, |reader| reader.try_recv(buf), Self::wait_until)
    }

    /// The ring's shared state (for the async wake-up hub).
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Waits, in the reader's [`WaitStrategy`], until a frame may be pending at its position
    /// (`true`) or `deadline` passes (`false`). For readers built on this one, such as typed
    /// subscribers.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        crate::wait::until_published(&self.shared, self.cursor.position, deadline, self.wait)
    }

    /// Steps over the next message without copying it; `false` if none is pending.
    ///
    /// # Errors
    ///
    /// As for [`receive_next`](Self::receive_next).
    #[inline]
    pub fn skip(&mut self) -> Result<bool, Error> {
        let next = self.frames.next_frame(&mut self.cursor, u64::MAX, &mut |_| true);
        Ok(self.cursor.take(next, Passed::Skipped)?.is_some())
    }

    /// Moves the reader to `position`, a frame boundary the caller learnt from the writer (a
    /// snapshot's merge starts at the last-value table's), expecting no sequence number: the
    /// first message there sets the pace, and nothing passed over is counted as lost.
    pub(crate) fn restart_at(&mut self, position: u64) {
        self.cursor.restart(position);
    }

    /// Moves the reader to the committed position, skipping everything pending; the
    /// way to resume after an [`Error::Overrun`]. Returns the new position.
    ///
    /// The messages skipped are counted in [`stats`](Self::stats)`.lost` when the next message
    /// arrives (its sequence number tells how many were missed).
    pub fn reset(&mut self) -> u64 {
        let committed = self.frames.ring.header().load_committed();
        self.cursor.jump(committed);
        committed
    }

    /// Moves the reader back to the oldest data still intact in the ring and returns the new
    /// position. After an overrun this loses the fewest messages; the loss is counted in
    /// [`stats`](Self::stats)`.lost`.
    ///
    /// While the writer has not yet filled the ring once (nothing was overwritten), that is
    /// position 0: the reader replays everything published so far. Afterwards it replays up to
    /// three quarters of a lap: the start leaves a quarter of the ring (the largest message)
    /// between the reader and the writer, so the writer's next message cannot lap it at once.
    /// The writer records where its frames start in each eighth of the ring, so the start is
    /// found to within an eighth of the capacity.
    pub fn reset_to_oldest(&mut self) -> u64 {
        let position = oldest_start(&self.frames.ring);
        self.cursor.jump(position);
        position
    }
}

//! [`Reader`]: one consumer with its own cursor, never blocking the writer.

mod batch;
mod message;

pub use batch::{Batch, FilterUserDefined};
pub use message::{Message, Received};

use std::sync::Arc;

use crate::error::{Error, Lapped};
use crate::ring::Shared;
use crate::ring::frame::{FRAME_HEADER_LEN, FrameFlags, FrameHeader, frame_len};
use crate::ring::raw::RawRing;

/// One consumer of a ring.
///
/// Each reader has its own position; readers never write shared memory and never slow the
/// writer down. A reader that falls a whole ring behind is *overrun*: its reads return
/// [`Error::Overrun`] and never a torn message, until [`reset`](Reader::reset) moves it to the
/// producer (or [`reset_to_last_lap`](Reader::reset_to_last_lap) to the oldest intact lap).
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
    view: View,
    cursor: Cursor,
}

/// What a [`Message`] needs to read its frame: the ring and its MTU.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    ring: RawRing,
    mtu: u64,
}

/// A reader's private progress through the stream.
#[derive(Debug)]
pub(crate) struct Cursor {
    /// Position of the next frame to read.
    position: u64,
    /// Last committed position loaded from the header; frames below it are published.
    producer: u64,
}

impl Reader {
    pub(crate) fn new(shared: Arc<Shared>, position: u64) -> Self {
        let view = View { ring: shared.ring, mtu: shared.mtu as u64 };
        Self { shared, view, cursor: Cursor { position, producer: position } }
    }

    /// Position of the next frame this reader will read.
    #[inline]
    pub fn position(&self) -> u64 {
        self.cursor.position
    }

    /// The writer's committed position, freshly loaded.
    #[inline]
    pub fn producer_position(&self) -> u64 {
        self.view.ring.header().load_committed()
    }

    /// Largest payload a message on this ring may carry.
    #[inline]
    pub fn mtu(&self) -> usize {
        self.shared.mtu
    }

    /// Iterates over the messages that were pending when the batch began.
    ///
    /// Each item is a lazy [`Message`]: nothing is copied until [`Message::read`], so skipping a
    /// message costs two word loads. After an [`Error::Overrun`] or [`Error::CorruptFrame`] item
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
        self.cursor.producer = self.view.ring.header().load_committed();
        let limit = self.cursor.producer;
        Batch::new(&self.view, &mut self.cursor, limit)
    }

    /// The next message as a lazy handle, or `None` if none is pending.
    ///
    /// # Errors
    ///
    /// [`Error::Overrun`] if the writer lapped this reader, [`Error::CorruptFrame`] if the frame
    /// header makes no sense. The reader does not move in either case.
    #[inline]
    pub fn receive_next(&mut self) -> Result<Option<Message<'_>>, Error> {
        let limit = self.refresh();
        match self.view.next_frame(&mut self.cursor, limit)? {
            Some((position, header)) => {
                self.cursor.position = position + header.frame_len();
                Ok(Some(Message::new(&self.view, position, header)))
            }
            None => Ok(None),
        }
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
        let limit = self.refresh();
        if let Some(received) = self.view.read_plain_frame(self.cursor.position, limit, buf)? {
            self.cursor.position = received.position + frame_len(received.len as u64);
            return Ok(Some(received));
        }
        // Padding, an empty ring, a buffer too small, or a frame to diagnose.
        let Some((position, header)) = self.view.next_frame(&mut self.cursor, limit)? else {
            return Ok(None);
        };
        let len = self.view.read_payload(position, header, buf)?;
        self.cursor.position = position + header.frame_len();
        Ok(Some(Received { len, user_defined: header.tag, position, seq: header.seq }))
    }

    /// Steps over the next message without copying it; `false` if none is pending.
    ///
    /// # Errors
    ///
    /// As for [`receive_next`](Self::receive_next).
    #[inline]
    pub fn skip(&mut self) -> Result<bool, Error> {
        Ok(self.receive_next()?.is_some())
    }

    /// Moves the reader to the producer's current position, skipping everything pending; the
    /// way to resume after an [`Error::Overrun`]. Returns the new position.
    pub fn reset(&mut self) -> u64 {
        let producer = self.view.ring.header().load_committed();
        self.cursor = Cursor { position: producer, producer };
        producer
    }

    /// Moves the reader to the oldest lap boundary whose data is still intact, so that it
    /// replays what the ring still holds (up to one lap). Returns the new position.
    pub fn reset_to_last_lap(&mut self) -> u64 {
        let position = last_lap_start(&self.view.ring);
        self.cursor = Cursor { position, producer: position };
        position
    }

    /// The committed position, reloaded from the header only when everything below the cached
    /// one has been read.
    #[inline]
    fn refresh(&mut self) -> u64 {
        if self.cursor.position >= self.cursor.producer {
            self.cursor.producer = self.view.ring.header().load_committed();
        }
        self.cursor.producer
    }
}

impl View {
    /// Finds the next message frame at or after the cursor and below `limit`, stepping over
    /// padding. Returns its position and validated header; the cursor is left at that frame.
    #[inline]
    fn next_frame(
        &self,
        cursor: &mut Cursor,
        limit: u64,
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
            if index + frame > capacity || position + frame > limit {
                return Err(corrupt);
            }
            match header.flags {
                FrameFlags::MESSAGE if u64::from(header.len) <= self.mtu => {
                    return Ok(Some((position, header)));
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
    fn read_plain_frame(
        &self,
        position: u64,
        limit: u64,
        buf: &mut [u8],
    ) -> Result<Option<Received>, Error> {
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
            && position + frame <= limit;
        let Some(dst) = buf.get_mut(..header.len as usize).filter(|_| plausible) else {
            return Ok(None);
        };
        self.ring.load_bytes(index + FRAME_HEADER_LEN, dst);
        self.check_lap(position)?;
        Ok(Some(Received { len: dst.len(), user_defined: header.tag, position, seq: header.seq }))
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
    fn check_lap(&self, position: u64) -> Result<(), Error> {
        let claimed = self.ring.header().claimed_after_loads();
        if claimed.wrapping_sub(position) > self.ring.capacity() {
            return Err(Error::Overrun(Lapped { position, writer_position: claimed }));
        }
        Ok(())
    }
}

/// The oldest lap boundary whose bytes the writer has not begun to overwrite, or the committed
/// position if that boundary is not yet committed. Lap boundaries are always frame boundaries.
pub(crate) fn last_lap_start(ring: &RawRing) -> u64 {
    let header = ring.header();
    let committed = header.load_committed();
    let claimed = header.claimed.load(crate::sync::Ordering::Relaxed);
    let capacity = ring.capacity();
    let oldest = claimed.saturating_sub(capacity);
    oldest.div_ceil(capacity).saturating_mul(capacity).min(committed)
}

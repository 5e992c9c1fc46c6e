//! [`Writer`]: the single producer. It never waits for readers.

mod claim;

pub use claim::Claim;

use std::sync::Arc;

use crate::error::Error;
use crate::ring::Shared;
use crate::ring::frame::{FRAME_ALIGN, FRAME_HEADER_LEN, FrameFlags, FrameHeader, frame_len};
use crate::ring::header::CHECKPOINTS;
use crate::ring::raw::RawRing;
use crate::sync::{Ordering, fence};
use crate::wait::Wakes;

/// The single producer of a ring.
///
/// Made by [`RingBuffer::into_writer`](crate::RingBuffer::into_writer). Publishing never blocks
/// and never fails once the payload fits the [`mtu`](Writer::mtu): a reader that falls a whole
/// ring behind is told it was overrun instead of slowing the writer down.
///
/// `Writer` is `Send`: make it on one thread and move it to the thread that publishes.
#[derive(Debug)]
pub struct Writer {
    shared: Arc<Shared>,
    cursor: Cursor,
    /// Private buffer a [`Claim`] is written into before it is copied into the ring.
    staging: Vec<u8>,
}

/// The writer's private view of the stream.
#[derive(Debug)]
struct Cursor {
    ring: RawRing,
    /// Position where the next frame starts; equals the header's `committed` and `claimed`
    /// between publications.
    position: u64,
    /// Messages published so far (the next message's sequence number).
    seq: u64,
    /// Where the last message frame started (for checkpoints).
    last_start: u64,
    /// `log2` of the checkpoint segment size: `capacity / CHECKPOINTS`.
    segment_shift: u32,
    /// Wake-ups of parked readers.
    wakes: Wakes,
}

impl Writer {
    /// Makes the writer of `shared`, whose writer slot the caller holds.
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let ring = shared.ring;
        let segment_shift = ring.capacity().trailing_zeros() - CHECKPOINTS.trailing_zeros();
        let mut cursor =
            Cursor { ring, position: 0, seq: 0, last_start: 0, segment_shift, wakes: Wakes::new() };
        cursor.recover();
        Self { shared, cursor, staging: Vec::new() }
    }

    /// Largest payload a message may carry: a quarter of the capacity, less the 16-byte frame
    /// header, and never more than `u32::MAX - 15` bytes (the frame header's length field),
    /// which binds rings of 32 GiB and more.
    #[inline]
    pub fn mtu(&self) -> usize {
        self.shared.mtu
    }

    /// Stream position where the next frame will start.
    #[inline]
    pub fn position(&self) -> u64 {
        self.cursor.position
    }

    /// Number of messages published on this ring so far (by this writer and its predecessors).
    #[inline]
    pub fn messages_published(&self) -> u64 {
        self.cursor.seq
    }

    /// How many times this writer made the system call that wakes parked readers.
    ///
    /// After a publication it wakes them only while some reader is parked
    /// ([`WaitStrategy::SpinThenPark`](crate::WaitStrategy::SpinThenPark)). A reader killed while
    /// parked stays counted in the channel forever; the writer recognises such registrations
    /// once its wake-ups have woken nobody for a few milliseconds while no reader parked or
    /// left, and from then on makes no wake-up for them. This count shows that cost.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut writer = bcast::RingBuffer::with_capacity(1024).into_writer();
    /// writer.send(b"nobody parked")?;
    /// assert_eq!(writer.wake_calls(), 0);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn wake_calls(&self) -> u64 {
        self.cursor.wakes.calls()
    }

    /// Reserves room for a `len`-byte message; fill it through [`Claim::get_buffer_mut`].
    ///
    /// # Errors
    ///
    /// [`Error::MtuLimitExceeded`] if `len` exceeds [`mtu`](Self::mtu).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut writer = bcast::RingBuffer::with_capacity(1024).into_writer();
    /// let mut claim = writer.claim(5)?;
    /// claim.get_buffer_mut().copy_from_slice(b"hello");
    /// claim.commit();
    /// assert!(writer.claim(10_000).is_err());
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn claim(&mut self, len: usize) -> Result<Claim<'_>, Error> {
        self.claim_with_user_defined(len, 0)
    }

    /// Like [`claim`](Self::claim), and tags the message with `user_defined`, which readers see
    /// as [`Message::user_defined`](crate::Message::user_defined) and can filter on.
    ///
    /// # Errors
    ///
    /// [`Error::MtuLimitExceeded`] if `len` exceeds [`mtu`](Self::mtu).
    #[inline]
    pub fn claim_with_user_defined(
        &mut self,
        len: usize,
        user_defined: u32,
    ) -> Result<Claim<'_>, Error> {
        self.check_len(len)?;
        self.reserve_staging(len);
        Ok(Claim::new(self, len, user_defined))
    }

    /// Publishes a copy of `payload`.
    ///
    /// # Errors
    ///
    /// [`Error::MtuLimitExceeded`] if the payload exceeds [`mtu`](Self::mtu).
    #[inline]
    pub fn send(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send_with_user_defined(payload, 0)
    }

    /// Publishes a copy of `payload` tagged with `user_defined`.
    ///
    /// # Errors
    ///
    /// [`Error::MtuLimitExceeded`] if the payload exceeds [`mtu`](Self::mtu).
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// writer.send_with_user_defined(b"quote", 7)?;
    /// let msg = reader.batch_iter().next().expect("pending")?;
    /// assert_eq!(msg.user_defined(), 7);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn send_with_user_defined(
        &mut self,
        payload: &[u8],
        user_defined: u32,
    ) -> Result<(), Error> {
        self.check_len(payload.len())?;
        self.cursor.publish(payload, user_defined);
        Ok(())
    }

    #[inline]
    fn check_len(&self, len: usize) -> Result<(), Error> {
        if len > self.shared.mtu {
            return Err(Error::MtuLimitExceeded { len, mtu: self.shared.mtu });
        }
        Ok(())
    }

    /// Grows the staging buffer to hold `len` bytes; it only ever grows, so a writer stops
    /// allocating once it has seen its largest claim.
    #[inline]
    fn reserve_staging(&mut self, len: usize) {
        #[cold]
        fn grow(staging: &mut Vec<u8>, len: usize) {
            staging.resize(len, 0);
        }
        if self.staging.len() < len {
            grow(&mut self.staging, len);
        }
    }

    /// Publishes the first `len` staged bytes (called by `Claim`).
    #[inline(always)]
    fn publish_staged(&mut self, len: usize, user_defined: u32) {
        self.cursor.publish(&self.staging[..len], user_defined);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.release_writer();
    }
}

impl Cursor {
    /// Copies one frame into the ring and publishes it (protocol in `ring`'s module docs).
    /// Always inlined: out of line, its prologue and the callers' moves cost a third of a small
    /// message (BENCHMARKS.md, hot spots 2 and 3).
    #[inline(always)]
    fn publish(&mut self, payload: &[u8], user_defined: u32) {
        let ring = self.ring;
        let capacity = ring.capacity();
        let frame = frame_len(payload.len() as u64);
        let index = self.position & (capacity - 1);
        let room = capacity - index;
        // Positions wrap at 2^64 instead of overflowing: a stream never gets near it (585 years
        // at 1 TB/s), but a corrupt header handed to `recover` may start the writer there.
        let start = if frame > room { self.position.wrapping_add(room) } else { self.position };
        let end = start.wrapping_add(frame);

        let header = ring.header();
        header.claimed.store(end, Ordering::Relaxed);
        // Release: orders the `claimed` store above before the frame stores below. Pairs with
        // the fence(Acquire) in `Header::claimed_after_loads`: a reader that loads any of these
        // stores also sees `claimed >= end` and discards its copy.
        fence(Ordering::Release);
        if start != self.position {
            ring.store_frame_header(index, padding_header(room, self.seq));
        }
        let at = start & (capacity - 1);
        ring.store_bytes(at + FRAME_HEADER_LEN, payload);
        // A payload is at most the MTU, which `mtu_for` caps below `u32::MAX`.
        #[allow(clippy::cast_possible_truncation)]
        let len = payload.len() as u32;
        ring.store_frame_header(
            at,
            FrameHeader { len, tag: user_defined, seq: self.seq, flags: FrameFlags::MESSAGE },
        );
        // The first frame to start in an eighth of the ring becomes its checkpoint.
        if (start ^ self.last_start) >> self.segment_shift != 0 {
            #[allow(clippy::cast_possible_truncation)] // masked below CHECKPOINTS
            let slot = (start >> self.segment_shift) as usize & (CHECKPOINTS - 1);
            header.checkpoints[slot].store(start, Ordering::Relaxed);
        }
        self.last_start = start;
        // Wrapping: the count is the header's `frames`, which a corrupt header may set to
        // anything (readers only see its low 56 bits).
        self.seq = self.seq.wrapping_add(1);
        header.frames.store(self.seq, Ordering::Relaxed);
        // Release: publishes the frame. Pairs with the fence(Acquire) in
        // `Header::load_committed`.
        header.committed.store(end, Ordering::Release);
        self.position = end;
        // The writer's only cost for parked readers while there are none: one load.
        self.wakes.after_publish(ring.wake());
    }

    /// Picks up where the previous writer stopped. If it died between claiming and committing,
    /// the bytes in `committed..claimed` may be half written: cover them with padding frames, so
    /// that `claimed` never moves backwards and no reader ever sees those bytes as a message.
    fn recover(&mut self) {
        let header = self.ring.header();
        let capacity = self.ring.capacity();
        let committed = header.load_committed();
        let claimed = header.claimed.load(Ordering::Relaxed);
        self.seq = header.frames.load(Ordering::Relaxed);
        // Whatever the previous writer checkpointed stays valid; start a fresh segment here.
        self.last_start = u64::MAX;
        if !committed.is_multiple_of(FRAME_ALIGN) {
            // No writer leaves this; frames must start aligned, so round up (wrapping, as every
            // position does) and publish that as the frontier: readers see a corrupt frame or
            // nothing below it, never a panic.
            let aligned = committed.wrapping_add(FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1);
            header.claimed.store(aligned, Ordering::Relaxed);
            // Release: pairs with `Header::load_committed`, like every store of `committed`.
            header.committed.store(aligned, Ordering::Release);
            self.position = aligned;
            return;
        }
        self.position = committed;
        let in_flight = claimed.wrapping_sub(committed);
        if in_flight == 0
            || in_flight > capacity
            || claimed < committed
            || !claimed.is_multiple_of(FRAME_ALIGN)
        {
            // Nothing in flight, or a frontier that no writer could have left: keep `committed`.
            header.claimed.store(committed, Ordering::Relaxed);
            return;
        }
        // Release: as in `publish`, orders `claimed` before the padding stores.
        fence(Ordering::Release);
        let mut position = committed;
        while position < claimed {
            let index = position & (capacity - 1);
            let span = (capacity - index).min(claimed - position);
            self.ring.store_frame_header(index, padding_header(span, self.seq));
            position += span;
        }
        // Release: publishes the padding frames. Pairs with `Header::load_committed`.
        header.committed.store(claimed, Ordering::Release);
        self.position = claimed;
    }
}

/// Header of a padding frame that spans `span` bytes (a multiple of the frame alignment).
fn padding_header(span: u64, seq: u64) -> FrameHeader {
    // `span` is at most the capacity, below 2^36 (H2).
    #[allow(clippy::cast_possible_truncation)]
    let len = (span - FRAME_HEADER_LEN) as u32;
    FrameHeader { len, tag: 0, seq, flags: FrameFlags::PADDING }
}

//! [`Writer`]: the ring's only writer. It never waits for readers.

mod claim;

pub use claim::Claim;

use std::sync::Arc;

use crate::error::Error;
use crate::ring::Shared;
use crate::ring::frame::{FRAME_ALIGN, FrameHeader, FrameKind, Stamp, frame_len};
use crate::ring::header::CHECKPOINTS;
use crate::ring::raw::RawRing;
use crate::ring::wide;
use crate::sync::{Ordering, fence};
use crate::wait::Wakes;

/// The only writer of a ring.
///
/// Made by [`RingBuffer::into_writer`](crate::RingBuffer::into_writer). Publishing never blocks
/// and never fails once the payload fits the [`mtu`](Writer::mtu): a reader that falls about a
/// ring behind is told it was overrun instead of slowing the writer down.
///
/// `Writer` is `Send`: make it on one thread and move it to the thread that publishes.
#[derive(Debug)]
pub struct Writer {
    shared: Arc<Shared>,
    head: Head,
    /// Private buffer a [`Claim`] is written into before it is copied into the ring.
    staging: Vec<u8>,
}

/// The writer's end of the stream: where the next frame goes, how far it reserved, and its
/// counters.
#[derive(Debug)]
struct Head {
    ring: RawRing,
    /// Position where the next frame starts; equals the header's `committed` between
    /// publications.
    position: u64,
    /// The claimed frontier last stored in the header: no ring word at or above it is written.
    reserved: u64,
    /// Messages published so far (the next message's sequence number).
    seq: u64,
    /// The last frame start recorded as a checkpoint.
    last_checkpoint: u64,
    /// `log2` of the checkpoint segment size: `capacity / CHECKPOINTS`.
    segment_shift: u32,
    /// Wake-ups of parked readers.
    wakes: Wakes,
    /// Payloads of this many bytes and more are copied with the 16-byte kernels:
    /// `ring::wide::WIDE_MIN` where they are enabled, otherwise never.
    wide_from: usize,
}

impl Writer {
    /// Makes the writer of `shared`, whose writer slot the caller holds.
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let ring = shared.ring;
        let segment_shift = ring.capacity().trailing_zeros() - CHECKPOINTS.trailing_zeros();
        let mut head = Head {
            ring,
            position: 0,
            reserved: 0,
            seq: 0,
            last_checkpoint: 0,
            segment_shift,
            wakes: Wakes::new(),
            wide_from: wide::threshold(),
        };
        head.recover();
        Self { shared, head, staging: Vec::new() }
    }

    /// What every handle of this writer's ring shares.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Largest payload a message may carry: a quarter of the capacity, less the 32-byte frame
    /// header, and never more than 2^32 - 32 bytes (the frame header's 32-bit length field),
    /// which binds rings of 32 GiB and more.
    #[inline]
    pub fn mtu(&self) -> usize {
        self.shared.mtu
    }

    /// Stream position where the next frame will start.
    #[inline]
    pub fn position(&self) -> u64 {
        self.head.position
    }

    /// Number of messages published on this ring so far (by this writer and its predecessors),
    /// with the sequence numbers [`send_stamped`](Self::send_stamped) skipped: the next
    /// message's sequence number.
    #[inline]
    pub fn messages_published(&self) -> u64 {
        self.head.seq
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
        self.head.wakes.calls()
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
        self.claim_with_tag(len, 0)
    }

    /// Like [`claim`](Self::claim), and tags the message with `tag`, which readers see
    /// as [`Message::tag`](crate::Message::tag) and can filter on.
    ///
    /// # Errors
    ///
    /// [`Error::MtuLimitExceeded`] if `len` exceeds [`mtu`](Self::mtu).
    #[inline]
    pub fn claim_with_tag(&mut self, len: usize, tag: u32) -> Result<Claim<'_>, Error> {
        self.check_len(len)?;
        self.reserve_staging(len);
        Ok(Claim::new(self, len, tag))
    }

    /// Publishes a copy of `payload`.
    ///
    /// # Errors
    ///
    /// [`Error::MtuLimitExceeded`] if the payload exceeds [`mtu`](Self::mtu).
    #[inline]
    pub fn send(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send_with_tag(payload, 0)
    }

    /// Publishes a copy of `payload` tagged with `tag`.
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
    /// writer.send_with_tag(b"quote", 7)?;
    /// let msg = reader.batch_iter().next().expect("pending")?;
    /// assert_eq!(msg.tag(), 7);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn send_with_tag(&mut self, payload: &[u8], tag: u32) -> Result<(), Error> {
        self.send_counted(payload, tag, 0, 0)
    }

    /// Publishes a copy of `payload` with the [`Stamp`] another channel gave it: its tag,
    /// sequence number, tag sequence and schema version, for a relay or a replay that carries a
    /// stream on.
    ///
    /// `stamp.seq` may skip numbers ahead of [`messages_published`](Self::messages_published):
    /// every reader of this ring counts the messages skipped as lost ([`ReaderStats::lost`],
    /// and per tag in [`TagLosses`]), as a reader of the original channel would have. A typed
    /// channel's subscribers count per-type losses from `stamp.tag_seq`, and decode the payload
    /// as written by `stamp.version` of its type. The numbers skipped count in
    /// [`messages_published`](Self::messages_published) and in a reader's
    /// [`Lag::messages`](crate::Lag::messages) while they lie ahead of it.
    ///
    /// [`ReaderStats::lost`]: crate::ReaderStats::lost
    /// [`TagLosses`]: crate::TagLosses
    ///
    /// # Errors
    ///
    /// [`Error::SequenceBehind`] if `stamp.seq` is below
    /// [`messages_published`](Self::messages_published): sequence numbers never go back.
    /// [`Error::MtuLimitExceeded`] if the payload exceeds [`mtu`](Self::mtu).
    ///
    /// # Examples
    ///
    /// ```
    /// use bcast::Stamp;
    ///
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// writer.send_stamped(b"first", Stamp { tag: 7, seq: 0, tag_seq: 1, version: 0 })?;
    /// // The two messages between never reached us.
    /// writer.send_stamped(b"fourth", Stamp { tag: 7, seq: 3, tag_seq: 4, version: 0 })?;
    /// let mut buf = [0; 16];
    /// while let Some(received) = reader.try_recv(&mut buf)? {
    ///     assert_eq!(received.tag, 7);
    /// }
    /// assert_eq!(reader.stats().lost, 2);
    /// assert_eq!(writer.messages_published(), 4);
    /// let late = Stamp { tag: 7, seq: 2, tag_seq: 3, version: 0 };
    /// assert!(writer.send_stamped(b"late", late).is_err());
    /// # Ok::<(), bcast::Error>(())
    /// ```
    #[inline]
    pub fn send_stamped(&mut self, payload: &[u8], stamp: Stamp) -> Result<(), Error> {
        let next = self.head.seq;
        if stamp.seq < next {
            return Err(Error::SequenceBehind { seq: stamp.seq, next });
        }
        self.check_len(payload.len())?;
        self.head.seq = stamp.seq;
        self.head.publish(payload, stamp);
        Ok(())
    }

    /// Like [`send_with_tag`](Self::send_with_tag), with the message's tag sequence (1 + the
    /// messages with `tag` sent before it, wrapping from 2^32 - 1 to 1, so that readers count
    /// per-tag losses; 0 for a writer that does not count) and its type's schema `version`.
    /// Always inlined, as `publish` is: out of line, its callers' constant payload lengths no
    /// longer shape the copy, which doubled a small message's cost (BENCHMARKS.md, run 14).
    #[inline(always)]
    pub(crate) fn send_counted(
        &mut self,
        payload: &[u8],
        tag: u32,
        tag_seq: u32,
        version: u16,
    ) -> Result<(), Error> {
        self.check_len(payload.len())?;
        let seq = self.head.seq;
        self.head.publish(payload, Stamp { tag, seq, tag_seq, version });
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
    fn publish_staged(&mut self, len: usize, tag: u32) {
        let seq = self.head.seq;
        self.head.publish(&self.staging[..len], Stamp { tag, seq, tag_seq: 0, version: 0 });
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.release_writer();
    }
}

/// How far a new reservation reaches past the end of the frame that needed it, as a fraction
/// of the capacity: `capacity >> RESERVE_SHIFT`, a sixteenth. The writer stores `claimed` (and
/// so takes the line every reader's lap check loads) once per reserve instead of once per
/// message; in exchange a reader is overrun up to a reserve earlier than the bytes it reads are
/// overwritten, so it may fall behind by `capacity - capacity / 16` less the frame in progress.
const RESERVE_SHIFT: u32 = 4;

impl Head {
    /// Copies one message frame into the ring and publishes it (protocol in `ring`'s module
    /// docs). Always inlined: out of line, its prologue and the callers' moves cost a third of
    /// a small message (BENCHMARKS.md, hot spots 2 and 3).
    #[inline(always)]
    /// `stamp.seq` is the writer's `seq`, which the callers set.
    fn publish(&mut self, payload: &[u8], stamp: Stamp) {
        let ring = self.ring;
        let capacity = ring.capacity();
        let frame = frame_len(payload.len() as u64);
        let index = self.position & (capacity - 1);
        let room = capacity - index;
        // Positions wrap at 2^64 instead of overflowing: a stream never gets near it (585 years
        // at 1 TB/s), but a corrupt header handed to `recover` may start the writer there.
        let start = if frame > room { self.position.wrapping_add(room) } else { self.position };
        let end = start.wrapping_add(frame);
        // The frame and the commit word at its end must lie below the reservation.
        if !self.covers(end) {
            self.reserve_past(start, end);
        }
        if start != self.position {
            // The rest of the lap becomes a padding frame, published like a message: the
            // commit word where the next frame starts (the lap's first word) cleared first.
            ring.clear_commit_word(0);
            // `room < frame <= 2^32`, as `mtu_for` caps the MTU (`MAX_MTU`).
            #[allow(clippy::cast_possible_truncation)]
            ring.store_padding(index, FrameHeader::padding(room as u32, self.seq));
        }
        // A payload is at most the MTU, which `mtu_for` caps below `u32::MAX`.
        #[allow(clippy::cast_possible_truncation)]
        let header = FrameHeader::message(payload.len() as u32, stamp);
        // Nothing is published at `end` yet, and a reader must not take what the word there
        // held on an earlier lap (payload, say) for a frame: `store_message` clears it before
        // it publishes this frame, whose commit word makes the clearing visible with it.
        let (index, next) = (start & (capacity - 1), end & (capacity - 1));
        if payload.len() >= self.wide_from {
            ring.store_message::<true>(index, header, payload, next);
        } else {
            ring.store_message::<false>(index, header, payload, next);
        }
        let header = ring.header();
        // Wrapping: the count is the header's `frames`, which a corrupt header may set to
        // anything.
        self.seq = self.seq.wrapping_add(1);
        header.frames.store(self.seq, Ordering::Relaxed);
        // Release: pairs with the fence(Acquire) in `Header::load_committed`, for readers that
        // start at `committed` or bound a batch by it. Polling readers never load it: they
        // learn of the frame from its commit word.
        header.committed.store(end, Ordering::Release);
        self.position = end;
        // The writer's only cost for parked readers while there are none: one load.
        self.wakes.after_publish(ring.wake());
    }

    /// Whether the reservation covers every word below `end` and the commit word at `end`.
    /// Wrapping arithmetic: `end` lies in `reserved - capacity..reserved`.
    #[inline(always)]
    fn covers(&self, end: u64) -> bool {
        self.reserved.wrapping_sub(end).wrapping_sub(1) < self.ring.capacity()
    }

    /// Moves the claimed frontier a reserve past `end`, before any store below it, for the frame
    /// that starts at `start` (or the padding before it).
    ///
    /// The first such frame to start in an eighth of the ring becomes that eighth's checkpoint:
    /// checkpoints are kept here, once per reserve rather than once per message, so an eighth
    /// gets the first frame start that needed a reservation in it (with a reserve a sixteenth
    /// of the ring, one of the first two sixteenths' worth of frames).
    #[cold]
    #[inline(never)]
    fn reserve_past(&mut self, start: u64, end: u64) {
        let header = self.ring.header();
        if (start ^ self.last_checkpoint) >> self.segment_shift != 0 {
            #[allow(clippy::cast_possible_truncation)] // masked below CHECKPOINTS
            let slot = (start >> self.segment_shift) as usize & (CHECKPOINTS - 1);
            header.checkpoints[slot].store(start, Ordering::Relaxed);
            self.last_checkpoint = start;
        }
        let reserved = end.wrapping_add(self.ring.capacity() >> RESERVE_SHIFT);
        header.claimed.store(reserved, Ordering::Relaxed);
        // Release: orders the `claimed` store above before the ring stores that follow it (until
        // the next reservation). Pairs with the fence(Acquire) in `Header::claimed_after_loads`:
        // a reader that loads any of those stores also sees `claimed >= reserved` and discards
        // its copy.
        fence(Ordering::Release);
        self.reserved = reserved;
    }

    /// Picks up where the previous writer stopped.
    ///
    /// The previous writer stored `committed` after each frame's commit word, so it may have
    /// published frames past `committed` before it stopped: step over them, each vouched for by
    /// its commit word, which is non-zero only once the frame is published (the word was
    /// cleared before the frame before it was published). Bytes past the last such frame may be
    /// half written, but no reader takes them for a frame: the commit word where the next frame
    /// starts is zero, and the next frame written there clears the word after it in turn.
    /// `claimed` never moves backwards.
    fn recover(&mut self) {
        let ring = self.ring;
        let header = ring.header();
        let capacity = ring.capacity();
        let committed = header.load_committed();
        let claimed = header.claimed.load(Ordering::Relaxed);
        self.seq = header.frames.load(Ordering::Relaxed);
        // Whatever the previous writer checkpointed stays valid; start a fresh segment here.
        self.last_checkpoint = u64::MAX;
        // Frames start aligned: round a corrupt `committed` up (wrapping, as every position
        // does), so readers see a corrupt frame or nothing below it, never a panic.
        let mut position = committed.wrapping_add(FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1);
        let ahead = claimed.wrapping_sub(committed);
        let sane =
            position == committed && claimed.is_multiple_of(FRAME_ALIGN) && ahead <= capacity;
        // Frontiers no writer leaves: reserve afresh from `committed`, walking nothing.
        let limit = if sane { claimed } else { position };
        while position != limit {
            let index = position & (capacity - 1);
            let commit = ring.load_commit_word(index);
            let (seq, word2) = ring.load_header_words(index);
            let Some(frame) = FrameHeader::decode(commit, seq, word2) else { break };
            let len = frame.frame_len();
            if index + len > capacity || len > limit.wrapping_sub(position) {
                break;
            }
            if frame.kind == FrameKind::Message {
                self.seq = frame.seq.wrapping_add(1);
            }
            position = position.wrapping_add(len);
        }
        self.position = position;
        self.reserved = limit;
        if !self.covers(position) {
            self.reserve_past(position, position);
        }
        // Zero unless a corrupt word stopped the walk; either way, nothing is published here.
        ring.clear_commit_word(position & (capacity - 1));
        header.frames.store(self.seq, Ordering::Relaxed);
        // Release: pairs with `Header::load_committed`, like every store of `committed`.
        header.committed.store(position, Ordering::Release);
    }
}

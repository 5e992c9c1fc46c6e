//! [`Subscriber`]: one typed reader of a channel, with its own aligned buffer.

mod snapshot;

pub use snapshot::Snapshot;

use core::fmt;
use core::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::archived::{self, Format};
use super::channel::Channel;
use super::codec::{CodecKind, RkyvFormat};
use super::decode::{UnknownTag, decode};
use super::description::{Description, Node};
use super::entry::TypeEntry;
use super::error::DecodeError;
use super::evolution::Evolution;
use super::open::TypedOpenError;
use super::open::check;
use super::payload::{Access, Trusted};
use super::recv::RecvError;
use super::registry::Registry;
use super::shape::Kind;
use super::view_batch::ViewBatch;
use crate::error::Error;
use crate::reader::{Reader, Received, TagLosses};
use crate::ring_buffer::{ReadOnly, RingBuffer};

/// 16 bytes at a 16-aligned address: the unit of a subscriber's buffer, so that every frame
/// copied to a multiple of 16 is aligned for rkyv's `access` and zerocopy's `ref_from_bytes`.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, align(16))]
pub(super) struct Block([u8; 16]);

/// Types whose versions a subscriber keeps at hand (see `Subscriber::versions`); frames of the
/// others go through [`Subscriber::adapt`], which finds them.
const INLINE_VERSIONS: usize = 16;

/// How many (type, version) crossings a subscriber keeps.
const MAX_CROSSINGS: usize = 64;

/// Initial buffer size: enough for a batch of many small messages; it grows for larger ones.
const INITIAL_BUFFER: usize = 64 * 1024;

/// A typed reader of channel `C`.
///
/// Made by [`Subscriber::new`] from a ring of any kind, after checking that the ring's schema
/// registry is `C`'s. It starts live, with what is published from then on;
/// [`reset_to_oldest`](Subscriber::reset_to_oldest) replays what the ring still holds. Every
/// read copies the frame out of the ring with atomic loads into the
/// subscriber's own 16-byte aligned buffer, re-checks that the writer did not lap it, and only
/// then validates the bytes and hands out a view that borrows that buffer.
///
/// Two ways to read:
///
/// - [`try_recv`](Subscriber::try_recv): one message at a time
///   (`while let Some(view) = subscriber.try_recv()? { ... }`); the view borrows the subscriber
///   until the next read;
/// - [`batch_iter`](Subscriber::batch_iter): a real [`Iterator`] over the messages pending when
///   it was made. Since items borrow the buffer, the batch first copies all of its frames (up
///   to the buffer's size) into separate aligned slots and then decodes them one by one, so any
///   number of its views may be alive at once. The price is that the first message of a batch
///   is handed out only after all of the batch was copied.
///
/// Checked access (rkyv's bytecheck) is the default: a buggy or hostile publisher causes a
/// [`RecvError::Decode`], never undefined behaviour. [`try_recv_unchecked`](Self::try_recv_unchecked)
/// skips the validation for a trusted publisher.
pub struct Subscriber<C> {
    ring: RingBuffer<ReadOnly>,
    reader: Reader,
    /// Aligned copy of the frames being read; grows when a frame does not fit.
    buffer: Vec<Block>,
    /// The frames of the current batch: offset in `buffer` and what the ring said.
    slots: Vec<(usize, Received)>,
    unknown: UnknownTag,
    /// Whether the ring's registry was found compatible with `C`'s (see [`Subscriber::new`]).
    checked: bool,
    /// The tags of the channel's other types: listed in its registry, not in `C`. Their frames
    /// are skipped and counted in `skipped`.
    other_types: Box<[u32]>,
    /// Frames of the channel's other types skipped.
    skipped: u64,
    /// The version of each of `C`'s first [`INLINE_VERSIONS`] types, by index, so that a read
    /// of a frame of its type's version costs a comparison, not a call.
    versions: [u16; INLINE_VERSIONS],
    /// How to read the archives of other versions of `C`'s rkyv types met so far.
    crossings: Vec<Crossing>,
    /// Losses per type, from the tag sequences of every frame read, once asked for
    /// ([`with_losses_by_type`](Self::with_losses_by_type)).
    losses: Option<Box<TagLosses>>,
    channel: PhantomData<fn() -> C>,
}

impl<C: Channel> Subscriber<C> {
    /// A subscriber of `ring`, which may be on the heap, in caller memory or in a channel file
    /// ([`RingBuffer::attach`]).
    ///
    /// Like a raw [`Reader`], a new subscriber starts *live*: it receives what is published
    /// from now on. To replay what the ring still holds first (everything published so far
    /// while the ring has not been filled once, otherwise up to three quarters of a lap), call
    /// [`reset_to_oldest`](Self::reset_to_oldest).
    ///
    /// The ring's schema registry is checked now if it has one. A ring without one and without
    /// frames is a channel whose publisher is not made yet: the subscriber then checks the
    /// registry when the first frame arrives, before decoding it, and reports a registry that
    /// is not compatible with `C`'s as [`RecvError::Schema`]. So subscribers and the publisher
    /// can be made in any order.
    ///
    /// The registries need not be equal: `C` may list only some of the channel's message types
    /// (the subscriber skips the frames of the others and counts them,
    /// [`skipped_other_types`](Self::skipped_other_types)), or types the channel does not
    /// carry (they never arrive). A type on both sides must be the same on both, or a
    /// compatible version of it ([`SchemaMismatch`](super::SchemaMismatch) and [`Evolution`]
    /// have the rules): the subscriber reads messages of every version as its own, with the
    /// fields added since zero or `None` in older ones.
    ///
    /// # Errors
    ///
    /// [`TypedOpenError::Mismatch`] if the ring's schema is not compatible with `C`'s;
    /// [`TypedOpenError::Untyped`] if it has none but holds frames (an untyped writer's);
    /// [`TypedOpenError::CorruptRegistry`] if the registry cannot be read.
    pub fn new<A>(ring: RingBuffer<A>) -> Result<Self, TypedOpenError> {
        let registry = check::<C, A>(&ring)?;
        let ring = ring.read_only();
        let reader = ring.clone().into_reader();
        let len = reader.mtu().clamp(16, INITIAL_BUFFER).div_ceil(16);
        Ok(Self {
            ring,
            reader,
            buffer: vec![Block([0; 16]); len],
            slots: Vec::new(),
            unknown: UnknownTag::default(),
            checked: registry.is_some(),
            other_types: registry.as_ref().map(other_types::<C>).unwrap_or_default(),
            skipped: 0,
            versions: core::array::from_fn(|index| {
                C::SHAPES.get(index).map_or(0, |(_, shape)| match shape.kind() {
                    Kind::Struct(shape) => shape.version(),
                    _ => 0,
                })
            }),
            crossings: Vec::new(),
            losses: None,
            channel: PhantomData,
        })
    }

    /// Checks the registry of a channel that had none when this subscriber was made, now that
    /// a frame arrived (a typed publisher stores its registry before its first frame): `true`
    /// if it is compatible with `C`'s. Out of line and returning a `bool`, so that reads pay
    /// one test of `checked` for it (a call returning the error cost 16 instructions a read).
    #[cold]
    #[inline(never)]
    fn check_late(&mut self) -> bool {
        if let Ok(Some(registry)) = check::<C, ReadOnly>(&self.ring) {
            self.other_types = other_types::<C>(&registry);
            self.checked = true;
        }
        self.checked
    }

    /// Why [`check_late`](Self::check_late) refused the registry.
    #[cold]
    #[inline(never)]
    fn late_error(&self) -> RecvError {
        let error = match check::<C, ReadOnly>(&self.ring) {
            Err(error) => error,
            // Still no registry although a frame arrived: an untyped writer's frame.
            Ok(_) => TypedOpenError::Untyped { path: self.ring.path().map(ToOwned::to_owned) },
        };
        RecvError::Schema(Arc::new(error))
    }

    /// Sets what to do with frames of unknown tags.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use bcast::typed::{Publisher, Subscriber, UnknownTag};
    ///
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
    /// let mut subscriber = Subscriber::<Pings>::new(ring.clone())?.with_unknown_tag(UnknownTag::Skip);
    /// let mut raw = ring.into_reader(); // a raw reader sees every frame
    /// publisher.publish(&Ping { at: 1 })?;
    /// assert_eq!(raw.try_recv(&mut [0; 64])?.map(|m| m.tag), Some(1));
    /// assert!(subscriber.try_recv()?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_unknown_tag(mut self, policy: UnknownTag) -> Self {
        self.unknown = policy;
        self
    }

    /// Counts the messages lost per message type from now on
    /// ([`lost_by_type`](Self::lost_by_type)). Off by default: it costs every read a few
    /// instructions (BENCHMARKS.md, run 13), which only a subscriber that reports losses
    /// should pay.
    #[must_use]
    pub fn with_losses_by_type(mut self) -> Self {
        let tags = C::TYPES.iter().map(|entry| entry.tag);
        self.losses = Some(Box::new(TagLosses::with_tags(tags)));
        self
    }

    /// The next message, or `None` if none is pending.
    ///
    /// # Errors
    ///
    /// [`RecvError::Overrun`] when the publisher lapped this subscriber (call
    /// [`reset`](Self::reset)); [`RecvError::CorruptFrame`] for a frame header that makes no
    /// sense; [`RecvError::Decode`] for a payload that is not a valid
    /// message of its tag's type; [`RecvError::UnknownTag`] for a tag the channel does not
    /// carry, unless the [`UnknownTag`] policy skips them.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use bcast::RingBuffer;
    /// use bcast::typed::{Publisher, Subscriber};
    ///
    /// let ring = RingBuffer::with_capacity(4096);
    /// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
    /// let mut subscriber = Subscriber::<Pings>::new(ring)?;
    /// publisher.publish(&Ping { at: 1 })?;
    /// publisher.publish(&Ping { at: 2 })?;
    /// let mut sum = 0;
    /// while let Some(PingsView::Ping(ping)) = subscriber.try_recv()? {
    ///     sum += ping.at.to_native(); // `ping` is an `&ArchivedPing`
    /// }
    /// assert_eq!(sum, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn try_recv(&mut self) -> Result<Option<C::View<'_>>, RecvError> {
        self.recv(Access::Checked)
    }

    /// Like [`try_recv`](Self::try_recv), without validating rkyv archives, for a publisher you
    /// trust. Validation costs a few nanoseconds for a small record and grows with its size
    /// (`examples/typed_cost.rs` measures it).
    ///
    /// # Errors
    ///
    /// As for [`try_recv`](Self::try_recv), except that an invalid rkyv archive is not detected.
    ///
    /// # Safety
    ///
    /// Every frame on the ring whose tag is the `TAG` of one of `C`'s message types `M` is an
    /// encoding of an `M` by [`Publisher::publish`](super::Publisher::publish), built with the
    /// same definition of `M` or of a compatible version of it ([`Evolution`]), and the same
    /// crate versions; and the channel's descriptions of later versions are the ones their
    /// publishers stored. (The registry check compares fingerprints, which a buggy or hostile
    /// writer can forge; raw frames with those tags break this too.)
    #[inline]
    pub unsafe fn try_recv_unchecked(&mut self) -> Result<Option<C::View<'_>>, RecvError> {
        // SAFETY: the caller's promise is the token's.
        let trusted = unsafe { Trusted::vouch() };
        self.recv(Access::Trusted(trusted))
    }

    /// One message: a fast path for what nearly every read is (nothing pending, or a frame
    /// of one of `C`'s types on a checked channel that fits the buffer), everything else out
    /// of line.
    #[inline(always)]
    fn recv(&mut self, access: Access) -> Result<Option<C::View<'_>>, RecvError> {
        let found = self.reader.try_recv(self.buffer.as_mut_bytes());
        let index = match &found {
            Ok(Some(received)) if self.checked => C::type_index(received.tag),
            _ => None,
        };
        let received = match (found, index) {
            (Ok(Some(mut received)), Some(index)) => {
                if let Some(losses) = &mut self.losses {
                    losses.observe_at(index, &received);
                }
                // Frames of unversioned types, as every frame of an unversioned channel is,
                // pay the first test; those of the reader's version the second.
                if received.version != 0
                    && self.versions.get(index).is_none_or(|&ours| ours != received.version)
                {
                    received.len = self.adapt(0, Frame::of(&received))?;
                }
                received
            }
            (Ok(None), _) => return Ok(None),
            (other, _) => match self.recv_rare(other)? {
                Some(received) => received,
                None => return Ok(None),
            },
        };
        self.view(access, &received).map(Some)
    }

    /// What [`recv`](Self::recv) leaves to the general path: a read that failed (a buffer to
    /// grow, an overrun, a corrupt frame), a frame of another type, or a channel whose registry
    /// was not checked yet; then the next frame of one of `C`'s types, as [`fetch`](Self::fetch)
    /// finds it.
    #[cold]
    #[inline(never)]
    fn recv_rare(
        &mut self,
        first: Result<Option<Received>, Error>,
    ) -> Result<Option<Received>, RecvError> {
        match first {
            Ok(Some(mut received)) => {
                if let Some(losses) = &mut self.losses {
                    losses.observe(&received);
                }
                if self.admits(&mut received)? {
                    return Ok(Some(received));
                }
            }
            Ok(None) => return Ok(None),
            Err(Error::BufferTooSmall { .. }) => {}
            Err(error) => return Err(RecvError::from_ring(error, self.reader.position())),
        }
        self.fetch()
    }

    /// Like [`try_recv`](Self::try_recv), but waits up to `timeout` for a message, in the
    /// reader's [`WaitStrategy`](crate::WaitStrategy) (by default spinning briefly, then
    /// parking); `Ok(None)` when the timeout passed first.
    ///
    /// # Errors
    ///
    /// As for [`try_recv`](Self::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use std::time::Duration;
    ///
    /// use bcast::RingBuffer;
    /// use bcast::typed::{Publisher, Subscriber};
    ///
    /// let ring = RingBuffer::with_capacity(4096);
    /// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
    /// let mut subscriber = Subscriber::<Pings>::new(ring)?;
    /// let sender = std::thread::spawn(move || publisher.publish(&Ping { at: 7 }));
    /// let view = subscriber.recv_timeout(Duration::from_secs(5))?.expect("published");
    /// let PingsView::Ping(ping) = view;
    /// assert_eq!(ping.at, 7);
    /// sender.join().unwrap()?;
    /// assert!(subscriber.recv_timeout(Duration::from_millis(1))?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<C::View<'_>>, RecvError> {
        let wait = |subscriber: &Self, deadline| subscriber.reader.wait_until(deadline);
        let Some(received) = crate::wait::retry_for(self, timeout, Self::fetch, wait)? else {
            return Ok(None);
        };
        self.view(Access::Checked, &received).map(Some)
    }

    /// Sets how [`recv_timeout`](Self::recv_timeout) waits.
    pub fn set_wait_strategy(&mut self, strategy: crate::wait::WaitStrategy) {
        self.reader.set_wait_strategy(strategy);
    }

    /// The byte reader underneath.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(super) fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Copies the next frame of one of `C`'s types to the start of the buffer.
    #[inline]
    pub(super) fn fetch(&mut self) -> Result<Option<Received>, RecvError> {
        loop {
            let next = self.copy_next(0);
            let next = next.map_err(|error| RecvError::from_ring(error, self.reader.position()));
            let Some(mut received) = next? else { return Ok(None) };
            if self.admits(&mut received)? {
                return Ok(Some(received));
            }
        }
    }

    /// Whether the frame `received`, copied to the start of the buffer, is to be decoded: the
    /// registry checked first if it was not yet (see [`Subscriber::new`]); a frame of the
    /// channel's other types is skipped and counted; then the [`UnknownTag`] policy. One of
    /// another version of its type is [`adapt`](Self::adapt)ed.
    #[inline]
    fn admits(&mut self, received: &mut Received) -> Result<bool, RecvError> {
        if !self.checked && !self.check_late() {
            return Err(self.late_error());
        }
        if self.is_other_type(received) {
            self.skipped += 1;
            return Ok(false);
        }
        let admitted = self.unknown.admits::<C>(received)?;
        if admitted && received.version != 0 {
            received.len = self.adapt(0, Frame::of(received))?;
        }
        Ok(admitted)
    }

    /// Whether `received` is a frame of one of the channel's types that `C` does not list.
    #[inline]
    fn is_other_type(&self, received: &Received) -> bool {
        !C::carries_tag(received.tag) && self.other_types.contains(&received.tag)
    }

    /// Makes the frame `received` copied to `buffer[offset..]`, written by another version of
    /// its message type, readable as this build's version, in the buffer; frames of
    /// unversioned types, unknown tags and this build's version are left as they are. Returns
    /// the length of the payload to decode. Takes the frame's fields by value, so that the
    /// callers' `Received` stays in registers.
    ///
    /// - A pod record of a later version is read as its prefix (the fields this version
    ///   knows); one of an earlier version is completed with zeros for the fields added since
    ///   (zero bytes are a valid value of every pod field).
    /// - An rkyv archive's root is its last bytes. One of a later version is cut right after
    ///   the part of its root this version knows, so that this version's root ends the archive
    ///   (the later fields' out-of-line bytes stay before it, unreferenced); one of an earlier
    ///   version is completed after its root with zeros for the fields added since, which the
    ///   rules of [`Evolution`] make valid archived values. The root stays where it is, so
    ///   every relative pointer in the archive still points where it did. The layouts come
    ///   from the descriptions of both versions ([`Crossing`]).
    ///
    /// # Errors
    ///
    /// [`DecodeError::Version`] for a record whose length is not that of the version it says
    /// it is, or an archive of a version the channel does not describe compatibly.
    #[cold]
    #[inline(never)]
    fn adapt(&mut self, offset: usize, frame: Frame) -> Result<usize, RecvError> {
        let Frame { tag, version: found, len, position } = frame;
        let Some(index) = C::type_index(tag) else { return Ok(len) };
        let Kind::Struct(shape) = C::SHAPES[index].1.kind() else { return Ok(len) };
        let ours = shape.version();
        if ours == 0 || ours == found {
            return Ok(len);
        }
        let refuse = || RecvError::Decode {
            position,
            source: DecodeError::Version { type_name: shape.name(), ours, found, len },
        };
        let crossing = match self.crossings.iter().find(|c| (c.tag, c.version) == (tag, found)) {
            Some(crossing) => *crossing,
            None => {
                let crossing = self.crossing(index, found).ok_or_else(refuse)?;
                // Bounded: a writer that makes up versions cannot grow it without end.
                if self.crossings.len() < MAX_CROSSINGS {
                    self.crossings.push(crossing);
                }
                crossing
            }
        };
        let layout = crossing.ours;
        let start = match crossing.frame {
            FrameShape::Record { len: exact } => (len == exact).then_some(0),
            FrameShape::Longer => (len >= layout.size()).then_some(0),
            FrameShape::Archive { root } => {
                len.checked_sub(root).filter(|root| root % layout.align() == 0)
            }
        };
        let start = start.ok_or_else(refuse)?;
        let end = start + layout.size();
        self.zero(offset + start + crossing.zero_from, offset + end);
        Ok(end)
    }

    /// Sets `buffer[start..end]` to zeros, growing the buffer to hold it.
    fn zero(&mut self, start: usize, end: usize) {
        if start < end {
            let needed = end.div_ceil(16);
            if self.buffer.len() < needed {
                self.buffer.resize(needed, Block([0; 16]));
            }
            self.buffer.as_mut_bytes()[start..end].fill(0);
        }
    }

    /// How to read messages of version `found` of `C`'s type at `index` as this build's
    /// version. A pod record's lengths come from the type's layout. An rkyv archive's root
    /// sizes come from this build's description of its type for an earlier version (whose
    /// fields are a prefix of it), from the channel's description of that version or a later
    /// one for a later version (which a publisher stored when it rolled the channel over),
    /// checked to be a compatible evolution of this one. `None` if it cannot be read: no such description,
    /// not compatible, or a layout the description does not mirror exactly.
    fn crossing(&self, index: usize, found: u16) -> Option<Crossing> {
        let tag = C::TYPES[index].tag;
        let real = *C::ROOTS.get(index)?;
        let Kind::Struct(shape) = C::SHAPES.get(index)?.1.kind() else { return None };
        // Pod types have a layout; rkyv ones do not.
        if let Some(layout) = shape.layout() {
            if layout.size() != real.size() {
                return None;
            }
            let crossing =
                |frame, zero_from| Crossing { tag, version: found, frame, zero_from, ours: real };
            if found > shape.version() {
                return Some(crossing(FrameShape::Longer, real.size()));
            }
            // The record of version `found` ends where the first field added after it starts.
            let slots = shape.fields().iter().zip(layout.fields());
            let added =
                slots.filter(|(field, _)| field.since() > found).map(|(_, slot)| slot.offset());
            let end = added.min().unwrap_or(real.size());
            return Some(crossing(FrameShape::Record { len: end }, end));
        }
        let rkyv = RkyvFormat::current();
        let format = Format::of(rkyv);
        let ours = Description::of(C::SHAPES);
        let our_root = ours.root(tag)?;
        let Node::Struct { fields, version, .. } = ours.node(our_root) else { return None };
        let sizes = archived::sizes(format, &ours);
        let full = archived::version_root(&sizes, fields, u16::MAX)?.root;
        // The mirror agrees with the compiler, or the archive is not touched.
        if (full.size, full.align) != (real.size() as u64, real.align() as u64) {
            return None;
        }
        let (theirs, zero_from) = if found < *version {
            let earlier = archived::version_root(&sizes, fields, found)?;
            (earlier.root.size, earlier.added_at)
        } else {
            // Any description of that version or a later one: the fields of a version are a
            // prefix of a later one's (a publisher of an intermediate version that joined a
            // channel already rolled further stored none of its own).
            let descriptions = Description::all_from(&self.ring).ok()?;
            let (theirs, their_root) = descriptions.iter().find_map(|description| {
                let root = description.root(tag)?;
                let described = matches!(description.node(root), Node::Struct { version, .. } if *version >= found);
                described.then_some((description, root))
            })?;
            let verdict =
                Evolution::of(CodecKind::Rkyv, rkyv, (&ours, our_root), (theirs, their_root));
            let Node::Struct { fields: their_fields, .. } = theirs.node(their_root) else {
                return None;
            };
            if verdict != Evolution::Compatible {
                return None;
            }
            let their_sizes = archived::sizes(format, theirs);
            let root = archived::version_root(&their_sizes, their_fields, found)?.root;
            // A later root holds this version's: cutting it never reaches past the archive.
            if root.size < full.size {
                return None;
            }
            (root.size, full.size)
        };
        Some(Crossing {
            tag,
            version: found,
            frame: FrameShape::Archive { root: usize::try_from(theirs).ok()? },
            zero_from: usize::try_from(zero_from).ok()?,
            ours: real,
        })
    }

    /// Decodes the frame `fetch` copied to the start of the buffer.
    #[inline]
    pub(super) fn view(
        &self,
        access: Access,
        received: &Received,
    ) -> Result<C::View<'_>, RecvError> {
        decode::<C>(access, received, &self.buffer.as_bytes()[..received.len])
    }

    /// Iterates over the messages pending now, as views that may all be alive at once.
    ///
    /// The batch copies the pending frames into this subscriber's buffer (as many as fit; the
    /// rest are left for the next batch), then validates and yields them in order. An overrun or
    /// a corrupt frame ([`RecvError::Overrun`], [`RecvError::CorruptFrame`]) comes after the
    /// messages copied before it, and ends the batch.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use bcast::RingBuffer;
    /// use bcast::typed::{Publisher, Subscriber};
    ///
    /// let ring = RingBuffer::with_capacity(4096);
    /// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
    /// let mut subscriber = Subscriber::<Pings>::new(ring)?;
    /// for at in 0..3 {
    ///     publisher.publish(&Ping { at })?;
    /// }
    /// let views: Vec<_> = subscriber.batch_iter().collect::<Result<_, _>>()?;
    /// let ats: Vec<u64> = views.iter().map(|PingsView::Ping(p)| p.at.to_native()).collect();
    /// assert_eq!(ats, [0, 1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn batch_iter(&mut self) -> ViewBatch<'_, C> {
        let error = self.fill_batch();
        ViewBatch::new(self.buffer.as_bytes(), &self.slots, self.unknown, Access::Checked, error)
    }

    /// Like [`batch_iter`](Self::batch_iter), without validating rkyv archives.
    ///
    /// # Safety
    ///
    /// As for [`try_recv_unchecked`](Self::try_recv_unchecked).
    pub unsafe fn batch_iter_unchecked(&mut self) -> ViewBatch<'_, C> {
        let error = self.fill_batch();
        // SAFETY: the caller's promise is the token's.
        let trusted = unsafe { Trusted::vouch() };
        let access = Access::Trusted(trusted);
        ViewBatch::new(self.buffer.as_bytes(), &self.slots, self.unknown, access, error)
    }

    /// Copies the frames pending now into `slots`, each at a 16-aligned offset of the buffer,
    /// until the buffer is full; returns the ring error that stopped it, if any.
    fn fill_batch(&mut self) -> Option<RecvError> {
        self.slots.clear();
        let limit = self.reader.committed();
        let mut offset = 0;
        let mut error = None;
        while self.reader.position() < limit {
            match self.copy_next(offset) {
                Ok(Some(mut received)) => {
                    if received.version != 0 {
                        match self.adapt(offset, Frame::of(&received)) {
                            Ok(len) => received.len = len,
                            Err(failed) => {
                                error = Some(failed);
                                break;
                            }
                        }
                    }
                    self.slots.push((offset, received));
                    offset += received.len.next_multiple_of(16);
                }
                Ok(None) => break,
                // The buffer is full: the frame stays for the next batch.
                Err(Error::BufferTooSmall { .. }) => break,
                Err(ring) => {
                    error = Some(RecvError::from_ring(ring, self.reader.position()));
                    break;
                }
            }
        }
        if !self.checked && !self.slots.is_empty() && !self.check_late() {
            self.slots.clear();
            return Some(self.late_error());
        }
        if !self.other_types.is_empty() {
            let before = self.slots.len();
            let (slots, other_types) = (&mut self.slots, &self.other_types);
            slots.retain(|(_, received)| {
                C::carries_tag(received.tag) || !other_types.contains(&received.tag)
            });
            self.skipped += (before - self.slots.len()) as u64;
        }
        error
    }

    /// Copies the next frame to `buffer[offset..]`. At offset 0 the buffer grows to fit any
    /// frame, so `BufferTooSmall` only comes back for a later offset.
    #[inline]
    fn copy_next(&mut self, offset: usize) -> Result<Option<Received>, Error> {
        loop {
            let free = self.buffer.as_mut_bytes().get_mut(offset..).unwrap_or_default();
            match self.reader.try_recv(free) {
                Err(Error::BufferTooSmall { needed, .. }) if offset == 0 => {
                    self.buffer.resize(needed.div_ceil(16), Block([0; 16]));
                }
                Ok(Some(received)) => {
                    if let Some(losses) = &mut self.losses {
                        match C::type_index(received.tag) {
                            Some(index) => losses.observe_at(index, &received),
                            None => losses.observe(&received),
                        }
                    }
                    return Ok(Some(received));
                }
                other => return other,
            }
        }
    }

    /// The ring underneath, e.g. for its [`path`](RingBuffer::path), whether it was
    /// [replaced](RingBuffer::is_replaced) or whether its [writer is
    /// alive](RingBuffer::writer_alive).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use bcast::RingBuffer;
    /// use bcast::typed::{Publisher, Subscriber};
    ///
    /// let ring = RingBuffer::with_capacity(4096);
    /// let publisher = Publisher::<Pings>::new(ring.clone())?;
    /// let subscriber = Subscriber::<Pings>::new(ring)?;
    /// assert!(subscriber.ring().writer_alive());
    /// assert_eq!(subscriber.ring().path(), None); // a heap ring
    /// drop(publisher);
    /// assert!(!subscriber.ring().writer_alive());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ring(&self) -> &RingBuffer<ReadOnly> {
        &self.ring
    }

    /// The cumulative counters of the reader underneath: frames received (frames of unknown
    /// tags included), messages lost (counted exactly from sequence numbers), overruns and
    /// resets.
    pub fn stats(&self) -> crate::reader::ReaderStats {
        self.reader.stats()
    }

    /// Frames of the channel's message types that `C` does not list, skipped: a subscriber may
    /// know only some of a channel's types (see [`Subscriber::new`]). They count as received
    /// in [`stats`](Self::stats), which is the reader's.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Quote { pub px: f64 }
    /// # #[bcast::typed::message(tag = 2)] pub struct Trade { pub qty: u64 }
    /// #[derive(bcast::BcastChannel)]
    /// pub enum Md {
    ///     Quote(Quote),
    ///     Trade(Trade),
    /// }
    /// /// A subscriber interested in quotes only.
    /// #[derive(bcast::BcastChannel)]
    /// pub enum Quotes {
    ///     Quote(Quote),
    /// }
    ///
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut publisher = bcast::typed::Publisher::<Md>::new(ring.clone())?;
    /// let mut subscriber = bcast::typed::Subscriber::<Quotes>::new(ring)?;
    /// publisher.publish(&Trade { qty: 5 })?;
    /// publisher.publish(&Quote { px: 1.5 })?;
    /// let Some(QuotesView::Quote(quote)) = subscriber.try_recv()? else { panic!() };
    /// assert_eq!(quote.px, 1.5);
    /// assert_eq!(subscriber.skipped_other_types(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skipped_other_types(&self) -> u64 {
        self.skipped
    }

    /// Messages lost per message type of the channel, in `C`'s order, if the subscriber counts
    /// them ([`with_losses_by_type`](Self::with_losses_by_type)): exact as of each type's last
    /// message received (see [`TagLosses`]); `stats().lost` less their sum is
    /// [`TagLosses::unattributed`], losses of types not received since.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Quote { pub px: f64 }
    /// # #[bcast::typed::message(tag = 2)] pub struct Trade { pub qty: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Md { Quote(Quote), Trade(Trade) }
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut publisher = bcast::typed::Publisher::<Md>::new(ring.clone())?;
    /// let mut subscriber = bcast::typed::Subscriber::<Md>::new(ring)?.with_losses_by_type();
    /// publisher.publish(&Quote { px: 1.0 })?;
    /// publisher.publish(&Trade { qty: 1 })?;
    /// subscriber.batch_iter().for_each(drop);
    /// for i in 0..60 {
    ///     publisher.publish(&Trade { qty: i })?; // laps the subscriber
    /// }
    /// publisher.publish(&Quote { px: 2.0 })?;
    /// assert!(subscriber.try_recv().is_err()); // the overrun
    /// subscriber.reset_to_oldest();
    /// while subscriber.try_recv()?.is_some() {}
    /// let lost: Vec<(&str, u64)> = subscriber
    ///     .lost_by_type()
    ///     .expect("counted")
    ///     .map(|(entry, lost)| (&*entry.name, lost))
    ///     .collect();
    /// assert_eq!(lost[0], ("Quote", 0));
    /// assert_eq!(lost[1].1, subscriber.stats().lost, "every message lost was a Trade");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lost_by_type(&self) -> Option<impl Iterator<Item = (&'static TypeEntry, u64)> + '_> {
        let losses = self.losses.as_deref()?;
        Some(C::TYPES.iter().map(|entry| (entry, losses.lost(entry.tag))))
    }

    /// The per-tag loss counter behind [`lost_by_type`](Self::lost_by_type), frames of tags
    /// the channel does not list included; `None` unless the subscriber counts them.
    pub fn tag_losses(&self) -> Option<&TagLosses> {
        self.losses.as_deref()
    }

    /// How far behind the publisher this subscriber is: messages and bytes committed past
    /// its position ([`Reader::lag`]).
    ///
    /// # Errors
    ///
    /// As [`Reader::lag`]: [`Error::Overrun`](crate::Error::Overrun) if the publisher lapped the
    /// subscriber.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut publisher = bcast::typed::Publisher::<Pings>::new(ring.clone())?;
    /// let mut subscriber = bcast::typed::Subscriber::<Pings>::new(ring)?;
    /// publisher.publish(&Ping { at: 1 })?;
    /// publisher.publish(&Ping { at: 2 })?;
    /// assert_eq!(subscriber.lag()?.messages, 2);
    /// subscriber.try_recv()?;
    /// assert_eq!(subscriber.lag()?.messages, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lag(&self) -> Result<crate::reader::Lag, crate::error::Error> {
        self.reader.lag()
    }

    /// Moves to the publisher's current position, skipping everything pending: the way to
    /// resume after a [`RecvError::Overrun`]. Returns the new position.
    pub fn reset(&mut self) -> u64 {
        self.reader.reset()
    }

    /// Moves back to the oldest data still intact, to replay what the ring still holds
    /// (everything while nothing was overwritten, otherwise up to three quarters of a lap; see
    /// [`Reader::reset_to_oldest`]). Returns the new position.
    pub fn reset_to_oldest(&mut self) -> u64 {
        self.reader.reset_to_oldest()
    }

    /// Position of the next frame this subscriber will read.
    pub fn position(&self) -> u64 {
        self.reader.position()
    }

    /// The publisher's committed position, freshly loaded.
    pub fn committed(&self) -> u64 {
        self.reader.committed()
    }

    /// Largest encoded message the channel carries.
    pub fn mtu(&self) -> usize {
        self.reader.mtu()
    }
}

impl<C> fmt::Debug for Subscriber<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("channel", &core::any::type_name::<C>())
            .field("reader", &self.reader)
            .field("unknown", &self.unknown)
            .finish_non_exhaustive()
    }
}

/// The tags of `registry` (a channel's) that `C` does not list.
fn other_types<C: Channel>(registry: &Registry) -> Box<[u32]> {
    registry.types.iter().map(|entry| entry.tag).filter(|&tag| !C::carries_tag(tag)).collect()
}

/// How [`Subscriber::adapt`] reads the messages of one other version of a message type as
/// this build's: found once per type and version ([`Subscriber::crossing`]), then applied to
/// each frame.
#[derive(Debug, Clone, Copy)]
struct Crossing {
    tag: u32,
    version: u16,
    /// Where this build's record or root starts in the frame's payload.
    frame: FrameShape,
    /// Offset in this build's record or root of the first field the frame's version lacks,
    /// zeroed (its size when it lacks none).
    zero_from: usize,
    /// This build's record (`M`) or root (`Archived<M>`).
    ours: core::alloc::Layout,
}

/// What a frame of another version holds, and so where this build's record or root starts.
#[derive(Debug, Clone, Copy)]
enum FrameShape {
    /// A pod record of an earlier version: exactly `len` bytes, at the start.
    Record { len: usize },
    /// A pod record of a later version: at least this build's, at the start.
    Longer,
    /// An rkyv archive whose root, of `root` bytes, ends it: this build's root starts where
    /// that one does.
    Archive { root: usize },
}

/// What [`Subscriber::adapt`] needs of a frame, by value.
#[derive(Clone, Copy)]
struct Frame {
    tag: u32,
    version: u16,
    len: usize,
    position: u64,
}

impl Frame {
    fn of(received: &Received) -> Self {
        let Received { tag, version, len, position, .. } = *received;
        Self { tag, version, len, position }
    }
}

//! [`Publisher`]: the single writer of a typed channel.

use core::fmt;
use core::marker::PhantomData;

use super::channel::{Channel, InChannel, MessageVisitor};
use super::codec::{Codec, CodecKind, Scratch};
use super::error::PublishError;
use super::last_values::Tabling;
use super::message::TypedMessage;
use super::open::{TypedOpenError, store_or_check};
use super::recv::RecvError;
use super::shape::Kind;
use super::subscriber::Subscriber;
use super::table_mismatch::TableMismatch;
use crate::reader::Received;
use crate::ring::frame::{FrameHeader, Stamp};
use crate::ring::table::Table;
use crate::ring_buffer::{ReadWrite, RingBuffer};
use crate::writer::Writer;

/// The single writer of a typed channel `C`.
///
/// Made by [`Publisher::new`] from a ring of any kind, which stores `C`'s schema registry in
/// the ring header first. [`publish`](Publisher::publish) accepts exactly the message types of
/// `C`, and never blocks.
///
/// # Examples
///
/// ```
/// use bcast::RingBuffer;
/// use bcast::typed::{Publisher, Subscriber};
///
/// #[bcast::typed::message(tag = 1)]
/// pub struct Ping {
///     pub at: u64,
/// }
///
/// #[derive(bcast::BcastChannel)]
/// pub enum Pings {
///     Ping(Ping),
/// }
///
/// let ring = RingBuffer::with_capacity(4096);
/// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
/// let mut subscriber = Subscriber::<Pings>::new(ring)?;
/// publisher.publish(&Ping { at: 7 })?;
/// let Some(PingsView::Ping(ping)) = subscriber.try_recv()? else { panic!("one ping is pending") };
/// assert_eq!(ping.at, 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Publisher<C> {
    ring: RingBuffer<ReadWrite>,
    writer: Writer,
    scratch: Scratch,
    /// Per message type of `C`, in `C::TYPES` order: the tag sequence of its last message
    /// (frames carry it so that readers count losses per type; see `TagLosses`). The first
    /// [`INLINE_TYPES`] here, where the index (a constant) reaches them without a bounds check
    /// or a load of the pointer; the rest in `more_tag_seqs`.
    tag_seqs: [u32; INLINE_TYPES],
    more_tag_seqs: Box<[u32]>,
    /// The slots of the channel's last-value table, if it has one.
    tabling: Option<Box<Tabling>>,
    channel: PhantomData<fn(C)>,
}

impl<C: Channel> Publisher<C> {
    /// Becomes the writer of `ring`, which may be on the heap
    /// ([`RingBuffer::with_capacity`]), in caller memory ([`RingBuffer::init_raw`]) or in a channel
    /// file ([`RingBuffer::create`]): stores `C`'s schema registry in the ring's header if it
    /// has none, or checks the one it has (a previous publisher's). A publisher may publish
    /// only some of the channel's types, or an earlier version of one; one of a later version
    /// rolls the channel over: it appends its registry and description to the header, which
    /// subscribers attaching from then on check against, while those attached before read its
    /// records as their own version (see [`Evolution`](super::Evolution)).
    ///
    /// # Errors
    ///
    /// [`TypedOpenError::Ring`] with [`Error::WriterExists`](crate::Error::WriterExists) if the
    /// ring has a live writer; [`TypedOpenError::Mismatch`] if its registry is another
    /// channel's; [`TypedOpenError::Untyped`] if it has none but holds frames (an untyped
    /// writer's, which a typed publisher does not take over);
    /// [`TypedOpenError::RegistryTooLarge`] if `C`'s registry does not fit the header;
    /// [`TypedOpenError::Table`] if the ring has a last-value table that `C` does not key as
    /// its maker did, or `C` has no keyed type (its publisher could not keep the table).
    pub fn new(ring: RingBuffer<ReadWrite>) -> Result<Self, TypedOpenError> {
        // Hold the writer first, so that no other publisher stores a registry meanwhile.
        let writer = ring.clone().try_into_writer()?;
        store_or_check::<C>(&ring)?;
        let mut publisher = Self::with_writer(ring, writer);
        if let Some(table) = &publisher.ring.shared().table {
            let capacity = publisher.ring.capacity() as u64;
            let tabling = if keyed(C::KEYS) {
                Tabling::open::<C>(table, capacity)
            } else {
                // It could not keep the table's `tabled` moving: refused.
                Err(TableMismatch::NoKeyedTypes { channel: C::NAME })
            };
            let mut tabling = tabling.map_err(|source| TypedOpenError::Table {
                path: publisher.ring.path().map(Into::into),
                source,
            })?;
            publisher.retable(table, &mut tabling)?;
            publisher.tabling = Some(Box::new(tabling));
        }
        Ok(publisher)
    }

    /// Tables again the keyed messages published after the table's `tabled`: a publisher
    /// before this one may have died after publishing one and before writing its slot (or
    /// while writing it: `Tabling::open` emptied that slot). Then `tabled` moves to the end.
    ///
    /// A message a subscriber of this build cannot read is left out, as a snapshot's merge
    /// would refuse it anyway; a message is stored as this build's version reads it.
    fn retable(&self, table: &Table, tabling: &mut Tabling) -> Result<(), TypedOpenError> {
        let end = self.ring.committed();
        let mut subscriber = Subscriber::<C>::new(self.ring.read_only())?;
        subscriber.restart_at(table.load_tabled());
        let mut key = Vec::new();
        loop {
            let at = subscriber.position();
            let received = match subscriber.next_keyed(end) {
                Ok(Some(received)) => received,
                Ok(None) => break,
                // Lapped (only a raw writer moves the ring without moving `tabled`): nothing
                // more can be found.
                Err(RecvError::Overrun(_)) => break,
                Err(_) if subscriber.position() != at => continue,
                Err(_) => break,
            };
            let Ok(payload) = subscriber.keyed_payload(&received, &mut key) else { continue };
            let Some(index) = C::type_index(received.tag) else { continue };
            let type_name = C::SHAPES[index].1.name();
            let ours = match C::SHAPES[index].1.kind() {
                Kind::Struct(shape) => shape.version(),
                _ => 0,
            };
            core::mem::swap(&mut tabling.key, &mut key);
            if let Ok(Some(place)) = tabling.place(table, index, payload.len(), type_name) {
                let Received { seq, tag_seq, tag, .. } = received;
                let version = if received.version == 0 { 0 } else { ours };
                let stamp = Stamp { tag, seq, tag_seq, version };
                // A payload is at most the MTU, inside `u32`.
                #[allow(clippy::cast_possible_truncation)]
                let header = FrameHeader::message(payload.len() as u32, stamp);
                tabling.record(table, place, header, payload, end);
            }
            core::mem::swap(&mut tabling.key, &mut key);
        }
        tabling.record_end(table, end);
        Ok(())
    }

    fn with_writer(ring: RingBuffer<ReadWrite>, writer: Writer) -> Self {
        let scratch = Scratch::with_capacity(writer.mtu());
        let more_tag_seqs = vec![0; C::TYPES.len().saturating_sub(INLINE_TYPES)].into();
        Self {
            ring,
            writer,
            scratch,
            tag_seqs: [0; INLINE_TYPES],
            more_tag_seqs,
            tabling: None,
            channel: PhantomData,
        }
    }

    /// Publishes one message as one frame tagged with `M::TAG`.
    ///
    /// rkyv messages are serialised into the publisher's reusable aligned scratch and copied
    /// into the ring; pod messages go straight from the value's bytes. Neither allocates once
    /// the scratch has grown to the largest message. Publishing a type that `C` does not carry
    /// does not compile.
    ///
    /// # Errors
    ///
    /// [`PublishError::Ring`] with [`Error::MtuLimitExceeded`](crate::Error::MtuLimitExceeded)
    /// if the encoded message exceeds the [`mtu`](Self::mtu);
    /// [`PublishError::UsizeOutOfRange`] if an rkyv message holds a `usize` or `isize` too large
    /// for rkyv's archived width; [`PublishError::Encode`] if rkyv cannot serialise it. Nothing
    /// is published in any of these cases.
    #[inline]
    pub fn publish<M>(&mut self, message: &M) -> Result<(), PublishError>
    where
        M: TypedMessage + InChannel<C>,
    {
        // rkyv archives `usize` and `isize` in a fixed width and would truncate larger values;
        // the check is compiled out for types without them, and for pod types (their own bytes).
        if M::HOLDS_USIZE && <M::Codec as Codec<M>>::KIND == CodecKind::Rkyv {
            message.check_usize().map_err(|overflow| PublishError::UsizeOutOfRange {
                type_name: core::any::type_name::<M>(),
                value: overflow.value,
                usize_bytes: size_of::<rkyv::primitive::ArchivedUsize>(),
            })?;
        }
        // The frame is sent only once the encoding is complete: an error publishes nothing.
        let payload = <M::Codec as Codec<M>>::encode(message, &mut self.scratch)?;
        let index = const { type_index(C::TYPES, M::TAG) };
        let slot = match self.tag_seqs.get_mut(index) {
            Some(slot) => slot,
            None => &mut self.more_tag_seqs[index - INLINE_TYPES],
        };
        // 1, 2, ... 2^32 - 1, then 1 again: 0 is "not counted".
        let tag_seq = slot.wrapping_add(1).max(1);
        // A channel without keyed types keeps no table: the test is compiled out.
        let tables = match &mut self.tabling {
            Some(tabling) if const { keyed(C::KEYS) } => {
                self.ring.shared().table.as_ref().map(|table| (tabling, table))
            }
            _ => None,
        };
        let Some((tabling, table)) = tables else {
            self.writer.send_counted(payload, M::TAG, tag_seq, M::VERSION)?;
            *slot = tag_seq;
            return Ok(());
        };
        // A keyed message's place in the table is found before it is published: a message
        // that does not fit there is not published at all.
        let place = if M::KEY.is_some() {
            tabling.key.clear();
            message.put_key(&mut tabling.key);
            tabling.place(table, index, payload.len(), core::any::type_name::<M>())?
        } else {
            None
        };
        let seq = self.writer.messages_published();
        self.writer.send_counted(payload, M::TAG, tag_seq, M::VERSION)?;
        *slot = tag_seq;
        let position = self.writer.position();
        match place {
            Some(place) => {
                let stamp = Stamp { tag: M::TAG, seq, tag_seq, version: M::VERSION };
                // The MTU keeps a payload's length inside `u32`.
                #[allow(clippy::cast_possible_truncation)]
                let header = FrameHeader::message(payload.len() as u32, stamp);
                tabling.record(table, place, header, payload, position);
            }
            None => tabling.pass(table, position),
        }
        Ok(())
    }

    /// Publishes the message that a value of the channel enum holds, e.g.
    /// `MarketData::Quote(quote)` or `MarketData::from(quote)`: for code that handles the
    /// channel's messages as one owned type.
    ///
    /// # Errors
    ///
    /// As for [`publish`](Self::publish).
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
    /// for message in [Pings::from(Ping { at: 1 }), Pings::Ping(Ping { at: 2 })] {
    ///     publisher.publish_value(&message)?;
    /// }
    /// assert_eq!(subscriber.batch_iter().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn publish_value(&mut self, value: &C) -> Result<(), PublishError> {
        value.visit(Publish(self))
    }

    /// Largest encoded message the channel carries.
    #[inline]
    pub fn mtu(&self) -> usize {
        self.writer.mtu()
    }

    /// Number of messages the channel has carried (by this publisher and its predecessors).
    #[inline]
    pub fn messages_published(&self) -> u64 {
        self.writer.messages_published()
    }

    /// The underlying ring, e.g. to make raw [`Reader`](crate::Reader)s or to learn its
    /// [`path`](RingBuffer::path).
    pub fn ring(&self) -> &RingBuffer<ReadWrite> {
        &self.ring
    }
}

impl<C> fmt::Debug for Publisher<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("channel", &core::any::type_name::<C>())
            .field("writer", &self.writer)
            .finish_non_exhaustive()
    }
}

/// Whether any message type has a key field (a channel's `KEYS`).
const fn keyed(keys: &[Option<&str>]) -> bool {
    let mut index = 0;
    while index < keys.len() {
        if keys[index].is_some() {
            return true;
        }
        index += 1;
    }
    false
}

/// Message types whose tag sequences a publisher keeps inline.
const INLINE_TYPES: usize = 16;

/// The index of the message type tagged `tag` in `types` (a channel's `TYPES`, which lists
/// every message type of the channel, so it is found).
const fn type_index(types: &[super::entry::TypeEntry], tag: u32) -> usize {
    let mut index = 0;
    while index < types.len() {
        if types[index].tag == tag {
            return index;
        }
        index += 1;
    }
    panic!("a message type of the channel is in its TYPES")
}

/// Publishes the message a channel value holds ([`Publisher::publish_value`]).
struct Publish<'a, C: Channel>(&'a mut Publisher<C>);

impl<C: Channel> MessageVisitor<C> for Publish<'_, C> {
    type Output = Result<(), PublishError>;

    #[inline]
    fn visit<M: TypedMessage + InChannel<C>>(self, message: &M) -> Self::Output {
        self.0.publish(message)
    }
}

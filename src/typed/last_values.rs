//! [`LastValues`]: a channel's last-value table (the latest message of every key of its keyed
//! types), how a channel is made with one, what its publisher keeps there, and the errors.

use core::fmt;
use core::hash::{BuildHasherDefault, Hasher};
use core::marker::PhantomData;
use std::collections::HashMap;

use super::channel::Channel;
use super::codec::CodecKind;
use super::decoder::FrameError;
use super::error::PublishError;
use super::recv::RecvError;
use super::table_mismatch::TableMismatch;
use crate::error::OpenError;
use crate::reader::Received;
use crate::ring::frame::FrameHeader;
use crate::ring::header::{mtu_for, round_capacity};
use crate::ring::storage::Pages;
use crate::ring::table::{
    Lane, LaneSpec, MAX_KEY_BYTES, MAX_KEY_NAME, SlotRead, Table, TableLayout,
};
use crate::ring_buffer::{ReadWrite, RingBuffer};

/// The last-value table of a channel: for every message type of channel `C` with a key field
/// (`#[bcast(key)]`), the latest message of each key, which a late
/// [`Subscriber::snapshot`](super::Subscriber::snapshot) receives before the live stream.
///
/// The table lives in the channel's memory after its ring, and its size is fixed when the
/// channel is made: per keyed type, [`new`](Self::new)'s number of keys, each with room for
/// a key of [`key_bytes`](Self::key_bytes) and a message of
/// [`entry_bytes`](Self::entry_bytes) (an rkyv type; a pod type takes its own size). Nothing
/// is evicted: a message with a new key once a type's keys are all taken, a longer key, or a
/// larger rkyv message is refused by [`Publisher::publish`](super::Publisher::publish) with
/// [`PublishError::TableFull`], [`PublishError::KeyTooLong`] or
/// [`PublishError::EntryTooLarge`], and is not published. A slot takes `40 + key_bytes +
/// entry_bytes` bytes rounded up to 8 each and to 64 in all; [`table_bytes`](Self::table_bytes)
/// gives the total.
///
/// # Examples
///
/// ```
/// use bcast::typed::{LastValues, Publisher, Subscriber};
///
/// #[bcast::typed::message(tag = 1)]
/// pub struct Quote {
///     #[bcast(key)]
///     pub symbol: String,
///     pub bid: f64,
/// }
///
/// #[derive(bcast::BcastChannel)]
/// pub enum Quotes {
///     Quote(Quote),
/// }
///
/// // 1000 symbols, quotes of up to 128 encoded bytes; `create(path, ..)` for a channel file.
/// let ring = LastValues::<Quotes>::new(1000).entry_bytes(128).with_capacity(1 << 16)?;
/// let mut publisher = Publisher::<Quotes>::new(ring.clone())?;
/// for (symbol, bid) in [("EURUSD", 1.10), ("USDJPY", 150.2), ("EURUSD", 1.11)] {
///     publisher.publish(&Quote { symbol: symbol.into(), bid })?;
/// }
///
/// // A subscriber that joins now gets the latest quote of each symbol, then the live stream.
/// let mut subscriber = Subscriber::<Quotes>::new(ring)?;
/// let mut snapshot = subscriber.snapshot()?;
/// let mut latest = Vec::new();
/// while let Some((_, QuotesView::Quote(quote))) = snapshot.next_message()? {
///     latest.push((quote.symbol.to_string(), quote.bid.to_native()));
/// }
/// assert_eq!(latest, [("USDJPY".to_string(), 150.2), ("EURUSD".to_string(), 1.11)]);
/// drop(snapshot);
/// publisher.publish(&Quote { symbol: "USDJPY".into(), bid: 150.3 })?;
/// assert!(subscriber.try_recv()?.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LastValues<C> {
    keys: u32,
    key_bytes: u32,
    entry_bytes: u32,
    channel: PhantomData<fn() -> C>,
}

impl<C> Clone for LastValues<C> {
    fn clone(&self) -> Self {
        Self { channel: PhantomData, ..*self }
    }
}

impl<C> fmt::Debug for LastValues<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LastValues")
            .field("channel", &core::any::type_name::<C>())
            .field("keys", &self.keys)
            .field("key_bytes", &self.key_bytes)
            .field("entry_bytes", &self.entry_bytes)
            .finish()
    }
}

impl<C: Channel> LastValues<C> {
    /// Room for a key's bytes unless [`key_bytes`](Self::key_bytes) says otherwise.
    pub const DEFAULT_KEY_BYTES: u32 = 64;
    /// Room for an rkyv message unless [`entry_bytes`](Self::entry_bytes) says otherwise.
    pub const DEFAULT_ENTRY_BYTES: u32 = 256;

    /// A table of `keys` keys per keyed message type of `C`.
    pub fn new(keys: u32) -> Self {
        Self {
            keys,
            key_bytes: Self::DEFAULT_KEY_BYTES,
            entry_bytes: Self::DEFAULT_ENTRY_BYTES,
            channel: PhantomData,
        }
    }

    /// Room for a key of `bytes` bytes (a `String` key's length; an integer takes its width).
    #[must_use]
    pub fn key_bytes(mut self, bytes: u32) -> Self {
        self.key_bytes = bytes;
        self
    }

    /// Room for an encoded rkyv message of `bytes` bytes (pod messages take their size).
    #[must_use]
    pub fn entry_bytes(mut self, bytes: u32) -> Self {
        self.entry_bytes = bytes;
        self
    }

    /// Bytes the table takes in the channel's memory, after the ring.
    ///
    /// # Errors
    ///
    /// As for [`with_capacity`](Self::with_capacity), but for entries larger than a ring's MTU
    /// (this does not know the ring).
    pub fn table_bytes(&self) -> Result<u64, LastValuesError> {
        self.layout()?.len().ok_or(LastValuesError::TooLarge { channel: C::NAME })
    }

    /// A heap ring of `capacity` bytes (as [`RingBuffer::with_capacity`]) with this table.
    ///
    /// # Errors
    ///
    /// [`LastValuesError::NoKeyedTypes`] if no message type of `C` has a key field,
    /// [`LastValuesError::KeyNameTooLong`] if a key field's name is over 64 bytes,
    /// [`LastValuesError::OutOfRange`] for no keys, keys of over 64 KiB, or entries larger than
    /// the ring's [`mtu`](RingBuffer::mtu) (a pod type's size included), and
    /// [`LastValuesError::TooLarge`] past 64 GiB.
    pub fn with_capacity(&self, capacity: usize) -> Result<RingBuffer<ReadWrite>, LastValuesError> {
        let layout = self.layout_for(round_capacity(capacity))?;
        Ok(RingBuffer::heap_with_table(capacity, &layout, Pages::Prefault))
    }

    /// Creates the channel file at `path` with a ring of `capacity` bytes and this table, or
    /// reopens it (as [`RingBuffer::create`]); a reopened channel must have a table of the same
    /// lanes.
    ///
    /// # Errors
    ///
    /// As for [`with_capacity`](Self::with_capacity), and [`LastValuesError::Open`] as for
    /// [`RingBuffer::create`] (with [`LayoutError::TableMismatch`](crate::LayoutError) for a
    /// channel that has another table).
    #[cfg(target_os = "linux")]
    pub fn create(
        &self,
        path: impl AsRef<std::path::Path>,
        capacity: usize,
    ) -> Result<RingBuffer<ReadWrite>, LastValuesError> {
        let capacity = round_capacity(capacity);
        let (path, layout) = (path.as_ref(), self.layout_for(capacity)?);
        let options = crate::shm::CreateOptions::new();
        // A reopened channel's table must have these lanes: the same length is not enough.
        let check = |ring: &RingBuffer<ReadWrite>, _| match &ring.shared().table {
            Some(table) if table.describes(&layout) => Ok(()),
            _ => Err(OpenError::Layout {
                path: path.to_owned(),
                reason: crate::error::LayoutError::TableMismatch,
            }),
        };
        crate::shm::create_channel(path, capacity, &layout, &options, check)
            .map_err(LastValuesError::Open)
    }

    /// The table's lanes beside a ring of `capacity` bytes (a supported power of two), checked
    /// against its MTU and the largest table.
    fn layout_for(&self, capacity: u64) -> Result<TableLayout, LastValuesError> {
        let layout = self.layout()?;
        let mtu = mtu_for(capacity) as u64;
        for lane in &layout.lanes {
            let what = "an entry of the last-value table, in bytes (at most the ring's MTU)";
            check(what, u64::from(lane.payload_max), 1, mtu)?;
        }
        layout.len().ok_or(LastValuesError::TooLarge { channel: C::NAME })?;
        Ok(layout)
    }

    /// The table's lanes: one per keyed message type of `C`.
    fn layout(&self) -> Result<TableLayout, LastValuesError> {
        check("keys per type of the last-value table", self.keys.into(), 1, u32::MAX.into())?;
        let what = "a key of the last-value table, in bytes";
        check(what, self.key_bytes.into(), 0, MAX_KEY_BYTES.into())?;
        let mut lanes = Vec::new();
        for ((entry, key), root) in C::TYPES.iter().zip(C::KEYS).zip(C::ROOTS) {
            let Some(key) = key else { continue };
            if key.len() > MAX_KEY_NAME {
                return Err(LastValuesError::KeyNameTooLong {
                    type_name: entry.name.to_string(),
                    name: (*key).to_owned(),
                    max: MAX_KEY_NAME,
                });
            }
            let payload_max = match entry.codec {
                CodecKind::Pod => u32::try_from(root.size()).unwrap_or(u32::MAX),
                CodecKind::Rkyv => self.entry_bytes,
            };
            lanes.push(LaneSpec {
                tag: entry.tag,
                slots: self.keys,
                key_max: self.key_bytes,
                payload_max,
                key_name: (*key).to_owned(),
            });
        }
        if lanes.is_empty() {
            return Err(LastValuesError::NoKeyedTypes { channel: C::NAME });
        }
        Ok(TableLayout { lanes })
    }
}

/// Refuses `value` outside `min..=max`, naming `what` it is.
fn check(what: &'static str, value: u64, min: u64, max: u64) -> Result<(), LastValuesError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(LastValuesError::OutOfRange { what, value, min, max })
    }
}

/// Why a channel could not be made with a last-value table, or a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LastValuesError {
    /// No message type of the channel has a key field.
    #[error("no message type of channel `{channel}` has a key field (`#[bcast(key)]`)")]
    NoKeyedTypes {
        /// The channel.
        channel: &'static str,
    },
    /// A key field's name is longer than a table records.
    #[error("the key field `{name}` of `{type_name}` has a name of over {max} bytes")]
    KeyNameTooLong {
        /// The message type.
        type_name: String,
        /// The key field's name.
        name: String,
        /// The longest name a table records.
        max: usize,
    },
    /// A size given to [`LastValues`] is out of range.
    #[error("{what}: {value} is out of range ({min}..={max})")]
    OutOfRange {
        /// What the size is of.
        what: &'static str,
        /// The size given (for a pod type, its size).
        value: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// The table would be larger than 64 GiB.
    #[error("the last-value table of channel `{channel}` would be larger than 64 GiB")]
    TooLarge {
        /// The channel.
        channel: &'static str,
    },
    /// The channel file could not be made or reopened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The channel was made without a last-value table.
    #[error("channel `{channel}` has no last-value table")]
    NoTable {
        /// The channel.
        channel: &'static str,
    },
    /// The channel's table does not key a type as this build does: made by a build whose
    /// message type had another key field, or none.
    #[error("the last-value table of `{type_name}` {reason}")]
    Mismatch {
        /// The message type.
        type_name: &'static str,
        /// What differs, naming the fields.
        reason: String,
    },
    /// The publisher overwrote the ring's messages after the table's point faster than the
    /// snapshot could read them, every time it tried.
    #[error("the publisher lapped the snapshot's merge {attempts} times")]
    Lapped {
        /// How many times the snapshot was tried.
        attempts: u32,
    },
    /// A slot of the table holds what no publisher writes: the channel is corrupt.
    #[error("corrupt slot {slot} of the last-value table of tag {tag}: {reason}")]
    CorruptSlot {
        /// The lane's tag.
        tag: u32,
        /// The slot.
        slot: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A message of the table or the ring could not be read.
    #[error(transparent)]
    Recv(#[from] RecvError),
    /// A message of the table or the ring does not decode by the channel's description
    /// ([`DecodedSnapshot`](super::DecodedSnapshot)).
    #[error("message at position {position} (0: from the table) does not decode: {source}")]
    Undecodable {
        /// The message's frame's position, 0 for one from the table.
        position: u64,
        /// Why it does not decode.
        #[source]
        source: FrameError,
    },
    /// A decoded message has no field of the name its lane gives as the key
    /// ([`DecodedSnapshot`](super::DecodedSnapshot)).
    #[error("a message of tag {tag} has no key field `{field}`")]
    NoKeyField {
        /// The message's tag.
        tag: u32,
        /// The key field's name, as the table gives it.
        field: String,
    },
}

impl From<TableMismatch> for LastValuesError {
    fn from(mismatch: TableMismatch) -> Self {
        match mismatch {
            TableMismatch::NoKeyedTypes { channel } => Self::NoKeyedTypes { channel },
            TableMismatch::KeyField { type_name, reason } => Self::Mismatch { type_name, reason },
        }
    }
}

/// Matches the table's lanes with `C`'s message types: per type index, the lane of its tag.
/// Lanes of tags `C` does not carry are left alone.
///
/// # Errors
///
/// [`TableMismatch::KeyField`] for a type keyed by another field than its lane's, or keyed without
/// a lane.
pub(crate) fn lanes_of<C: Channel>(table: &Table) -> Result<Vec<Option<usize>>, TableMismatch> {
    let mut lanes = vec![None; C::TYPES.len()];
    for (index, (entry, ours)) in C::TYPES.iter().zip(C::KEYS).enumerate() {
        let found = table.lane_of(entry.tag);
        let theirs = found.map(|(_, lane)| lane.key_name.as_str());
        let type_name = C::SHAPES[index].1.name();
        let reason = match (*ours, theirs) {
            (Some(ours), Some(theirs)) if ours == theirs => None,
            (Some(ours), Some(theirs)) => {
                Some(format!("is keyed by field `{theirs}`, this build keys it by `{ours}`"))
            }
            (None, Some(theirs)) => Some(format!(
                "is keyed by field `{theirs}`, which this build does not mark as its key"
            )),
            (Some(ours), None) => {
                Some(format!("is missing: this build keys the type by field `{ours}`"))
            }
            (None, None) => None,
        };
        if let Some(reason) = reason {
            return Err(TableMismatch::KeyField { type_name, reason });
        }
        lanes[index] = found.map(|(lane, _)| lane);
    }
    Ok(lanes)
}

/// The message in slot `slot` of `lane`, with its key and payload copied into `key` and
/// `payload` (which holds the lane's payload capacity), as a frame's metadata at position 0
/// (its frame may be long overwritten); `None` for an empty slot, or one the publisher was
/// updating (whose message a snapshot finds in the ring).
///
/// # Errors
///
/// [`LastValuesError::CorruptSlot`] for a slot no publisher writes.
pub(crate) fn slot_message(
    table: &Table,
    lane: &Lane,
    slot: u32,
    key: &mut Vec<u8>,
    payload: &mut [u8],
) -> Result<Option<Received>, LastValuesError> {
    match table.read(lane, slot, key, payload) {
        SlotRead::Message(header) => Ok(Some(Received {
            len: header.len as usize,
            tag: header.tag,
            position: 0,
            seq: header.seq,
            tag_seq: header.tag_seq,
            version: header.schema_version,
        })),
        SlotRead::Empty | SlotRead::Busy => Ok(None),
        SlotRead::Corrupt(reason) => {
            Err(LastValuesError::CorruptSlot { tag: lane.tag, slot, reason })
        }
    }
}

/// What a publisher keeps of its channel's table: which slot each key has.
#[derive(Debug)]
pub(crate) struct Tabling {
    /// Per type index of the channel: its lane's slots, if it has a lane.
    lanes: Box<[Option<LaneSlots>]>,
    /// The key of the message being published.
    pub(crate) key: Vec<u8>,
    /// The last `tabled` this publisher stored.
    tabled: u64,
    /// How far the ring may move past `tabled` before an unkeyed message moves it.
    lag: u64,
}

/// One lane's keys.
#[derive(Debug)]
struct LaneSlots {
    /// The lane's index in the table.
    lane: usize,
    slots: HashMap<KeyBytes, u32, BuildHasherDefault<KeyHasher>>,
    /// Slots not taken, the lowest last.
    free: Vec<u32>,
}

/// Where a message goes in the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    /// Its type's index in the channel.
    index: usize,
    /// Its lane's index in the table.
    lane: usize,
    slot: u32,
    /// Whether the key is new: the slot is free until the message is recorded.
    new: bool,
}

impl Tabling {
    /// Takes over `table` for a publisher of `C`: rebuilds each key's slot from what earlier
    /// publishers left, and empties slots a publisher left half-written.
    pub(crate) fn open<C: Channel>(table: &Table, capacity: u64) -> Result<Self, TableMismatch> {
        let indices = lanes_of::<C>(table)?;
        let mut lanes = Vec::with_capacity(indices.len());
        let (mut key, mut payload) = (Vec::new(), Vec::new());
        for at in indices {
            let Some(at) = at else {
                lanes.push(None);
                continue;
            };
            let lane = &table.lanes()[at];
            payload.resize(lane.payload_max as usize, 0);
            let mut found: HashMap<KeyBytes, (u32, u64), BuildHasherDefault<KeyHasher>> =
                HashMap::default();
            let mut free = Vec::new();
            for slot in 0..lane.slots {
                let header = match table.read(lane, slot, &mut key, &mut payload) {
                    SlotRead::Empty => {
                        free.push(slot);
                        continue;
                    }
                    SlotRead::Message(header) => header,
                    SlotRead::Busy | SlotRead::Corrupt(_) => {
                        table.clear(lane, slot);
                        free.push(slot);
                        continue;
                    }
                };
                // Two slots of one key (only a corrupt table has them): the later message stays.
                let stale = match found.get(&KeyBytes::from(key.as_slice())) {
                    Some(&(_, seq)) if seq >= header.seq => slot,
                    Some(&(other, _)) => {
                        found.insert(key.as_slice().into(), (slot, header.seq));
                        other
                    }
                    None => {
                        found.insert(key.as_slice().into(), (slot, header.seq));
                        continue;
                    }
                };
                table.clear(lane, stale);
                free.push(stale);
            }
            let slots = found.into_iter().map(|(key, (slot, _))| (key, slot)).collect();
            free.sort_unstable_by(|a, b| b.cmp(a));
            lanes.push(Some(LaneSlots { lane: at, slots, free }));
        }
        Ok(Self { lanes: lanes.into(), key, tabled: table.load_tabled(), lag: capacity / 4 })
    }

    /// Where the message of type index `index` whose key is in `self.key`, `len` bytes
    /// encoded, goes; `None` for a type without a lane.
    ///
    /// # Errors
    ///
    /// [`PublishError::TableFull`], [`PublishError::KeyTooLong`] or
    /// [`PublishError::EntryTooLarge`]: the message does not fit, and nothing is published.
    #[inline]
    pub(crate) fn place(
        &mut self,
        table: &Table,
        index: usize,
        len: usize,
        type_name: &'static str,
    ) -> Result<Option<Place>, PublishError> {
        let Some(Some(lane)) = self.lanes.get_mut(index) else { return Ok(None) };
        let spec = &table.lanes()[lane.lane];
        if len > spec.payload_max as usize {
            return Err(PublishError::EntryTooLarge { type_name, len, max: spec.payload_max });
        }
        let key = KeyBytes::from(self.key.as_slice());
        if let Some(&slot) = lane.slots.get(&key) {
            return Ok(Some(Place { index, lane: lane.lane, slot, new: false }));
        }
        if self.key.len() > spec.key_max as usize {
            let (len, max) = (self.key.len(), spec.key_max);
            return Err(PublishError::KeyTooLong { type_name, len, max });
        }
        // Taken only when the message is recorded: one the ring then refuses takes none.
        let Some(&slot) = lane.free.last() else {
            return Err(PublishError::TableFull { type_name, keys: spec.slots });
        };
        Ok(Some(Place { index, lane: lane.lane, slot, new: true }))
    }

    /// Stores a message the publisher just published (its frame `header`, ending at
    /// `position`) into its place, then `tabled`.
    #[inline]
    pub(crate) fn record(
        &mut self,
        table: &Table,
        place: Place,
        header: FrameHeader,
        payload: &[u8],
        position: u64,
    ) {
        if place.new
            && let Some(Some(lane)) = self.lanes.get_mut(place.index)
        {
            lane.free.pop();
            lane.slots.insert(KeyBytes::from(self.key.as_slice()), place.slot);
        }
        if let Some(lane) = table.lanes().get(place.lane) {
            table.write(lane, place.slot, header.pack(), &self.key, payload);
        }
        table.store_tabled(position);
        self.tabled = position;
    }

    /// Stores `tabled` at `position`, the end of what the publisher tabled again on opening.
    pub(crate) fn record_end(&mut self, table: &Table, position: u64) {
        table.store_tabled(position);
        self.tabled = position;
    }

    /// After a message without a place: moves `tabled` along if the ring went far past it, so
    /// a snapshot's merge never starts a lap behind.
    #[inline]
    pub(crate) fn pass(&mut self, table: &Table, position: u64) {
        if position.wrapping_sub(self.tabled) > self.lag {
            table.store_tabled(position);
            self.tabled = position;
        }
    }
}

/// A key's bytes, inline up to 24 bytes (integers, short symbols) as words, so that a map of
/// them hashes and compares keys in registers, without following a pointer or calling `memcmp`.
#[derive(Debug, Clone)]
pub(crate) enum KeyBytes {
    /// Up to [`INLINE_KEY`] bytes in words, zero past them, and how many.
    Inline(u8, [u64; 3]),
    /// A longer key.
    Heap(Box<[u8]>),
}

/// The longest key [`KeyBytes`] holds inline.
const INLINE_KEY: usize = 24;

impl From<&[u8]> for KeyBytes {
    #[inline]
    fn from(key: &[u8]) -> Self {
        let Ok(len) = u8::try_from(key.len()) else { return Self::Heap(key.into()) };
        if key.len() > INLINE_KEY {
            return Self::Heap(key.into());
        }
        // Each word loaded whole into a register: no byte-wise copy through memory for a
        // wider load to stall on.
        let word = |at: usize| match key.get(at..) {
            Some(rest) => match rest.first_chunk::<8>() {
                Some(chunk) => u64::from_ne_bytes(*chunk),
                None => crate::ring::frame::tail_word(rest),
            },
            None => 0,
        };
        Self::Inline(len, [word(0), word(8), word(16)])
    }
}

impl PartialEq for KeyBytes {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // Word by word: 8-byte loads of what was stored as 8-byte words.
            (Self::Inline(a, [a0, a1, a2]), Self::Inline(b, [b0, b1, b2])) => {
                a == b && a0 == b0 && a1 == b1 && a2 == b2
            }
            (Self::Heap(a), Self::Heap(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for KeyBytes {}

impl core::hash::Hash for KeyBytes {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Inline(len, words) => {
                for word in &words[..usize::from(*len).div_ceil(8)] {
                    state.write_u64(*word);
                }
                state.write_u8(*len);
            }
            Self::Heap(bytes) => state.write(bytes),
        }
    }
}

/// Hashes keys for a publisher's slot map: its own keys, so no defence against chosen
/// collisions is needed, and speed is (FxHash's multiply-rotate over 8-byte words).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl KeyHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(K);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let (words, tail) = bytes.as_chunks::<8>();
        for word in words {
            self.add(u64::from_le_bytes(*word));
        }
        if !tail.is_empty() {
            self.add(crate::ring::frame::tail_word(tail));
        }
        // The length: keys that differ by trailing zero bytes hash apart.
        self.add(bytes.len() as u64);
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

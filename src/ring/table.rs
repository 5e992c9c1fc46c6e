//! The last-value table: after a channel's data section, the latest message of every key of
//! some of its tags, kept by the writer and read by late joiners (`docs/protocol.md`, "The
//! last-value table"). This module is the only code that touches table memory, under the same
//! rules as [`raw`](super::raw) for the ring: 8-byte atomic accesses only, every index checked
//! against the table's length, nothing read from it trusted.
//!
//! ```text
//! byte 0      magic  b"BCASTLVT"
//!      8      lanes: how many lane descriptions follow at 256
//!      128    tabled: a position before which every message of a lane's tag is in the table
//!             (its own 128-byte block: the writer stores it after every table update)
//!      256    lane descriptions, 128 bytes each:
//!               word 0  tag (bits 0..32), key name length (bits 32..40)
//!               word 1  slots
//!               word 2  key capacity (bits 0..32), payload capacity (bits 32..64), bytes
//!               word 3  byte offset of the lane's first slot in the table
//!               word 4  slot stride in bytes
//!               words 8..16  the key field's name, UTF-8, zero-padded
//!      then   each lane's slots, `stride` bytes apiece:
//!               word 0  version: 0 never written, odd while the writer updates the slot,
//!                       even and non-zero while it holds a message
//!               words 1..4  the message's frame header words (`super::frame`): length,
//!                       version, sequence number, tag, tag sequence
//!               word 4  key length in bytes
//!               then    the key, zero-padded to 8 bytes, in `key capacity` bytes
//!               then    the payload, zero-padded to 8 bytes
//! ```
//!
//! A slot is a sequence lock whose writer never waits. The writer updates a slot only after it
//! published the message in the ring, and stores `tabled` after the update; it stores the odd
//! version with Release, so a reader that sees it also sees the frame in the ring. A reader that
//! finds a slot odd, or changed while it copied it, skips it: that key's latest message is then
//! in the ring at or after the `tabled` the reader loaded first, where the snapshot's merge
//! finds it (`typed::snapshot`).

use core::ptr::NonNull;

use super::frame::{FrameHeader, FrameKind, HEADER_WORDS};
use super::frame::{tail_word, untail_word};
use super::header::MAX_TABLE_LEN;
use crate::error::LayoutError;
use crate::sync::{AtomicU64, Ordering, fence};

/// First word of a table: `b"BCASTLVT"` read as a little-endian integer.
const MAGIC: u64 = u64::from_le_bytes(*b"BCASTLVT");
/// Byte offset of `tabled`.
const TABLED_WORD: usize = 128 / 8;
/// Byte offset of the first lane description.
const LANES_OFFSET: usize = 256;
/// Words of a lane description.
const LANE_WORDS: usize = 16;
/// Word of a lane description where the key's name starts.
const NAME_WORD: usize = 8;
/// Most bytes of a key field's name.
pub(crate) const MAX_KEY_NAME: usize = (LANE_WORDS - NAME_WORD) * 8;
/// Most lanes of a table: a channel's keyed types.
pub(crate) const MAX_LANES: usize = 64;
/// Most bytes of a key a lane holds.
pub(crate) const MAX_KEY_BYTES: u32 = 1 << 16;
/// Words of a slot before its key: the version and the frame header's four words.
const SLOT_HEADER_WORDS: usize = 5;
/// Slots start at, and are rounded to, cache lines.
const LINE: u64 = 64;

/// One lane as a channel's creator asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaneSpec {
    /// The tag of the messages it holds.
    pub(crate) tag: u32,
    /// How many keys it holds.
    pub(crate) slots: u32,
    /// Most bytes of a key.
    pub(crate) key_max: u32,
    /// Most bytes of a payload.
    pub(crate) payload_max: u32,
    /// The key field's name (at most [`MAX_KEY_NAME`] bytes).
    pub(crate) key_name: String,
}

impl LaneSpec {
    /// Bytes of one of its slots.
    fn stride(&self) -> u64 {
        stride(self.key_max, self.payload_max)
    }
}

/// Bytes of a slot of these capacities, rounded to a cache line.
fn stride(key_max: u32, payload_max: u32) -> u64 {
    let words = SLOT_HEADER_WORDS as u64
        + u64::from(key_max).div_ceil(8)
        + u64::from(payload_max).div_ceil(8);
    (words * 8).next_multiple_of(LINE)
}

/// The lanes of a table to be made; empty for a channel without one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableLayout {
    pub(crate) lanes: Vec<LaneSpec>,
}

impl TableLayout {
    /// Byte offset of the first slot.
    fn slots_offset(&self) -> u64 {
        (LANES_OFFSET as u64 + (self.lanes.len() * LANE_WORDS * 8) as u64).next_multiple_of(LINE)
    }

    /// Bytes of the table, rounded to a page; 0 without lanes. `None` past [`MAX_TABLE_LEN`].
    pub(crate) fn len(&self) -> Option<u64> {
        if self.lanes.is_empty() {
            return Some(0);
        }
        let mut len = self.slots_offset();
        for lane in &self.lanes {
            len = len.checked_add(u64::from(lane.slots).checked_mul(lane.stride())?)?;
        }
        let len = len.next_multiple_of(4096);
        (len <= MAX_TABLE_LEN).then_some(len)
    }
}

/// A lane as read back from a table's description and checked against its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lane {
    /// The tag of the messages it holds.
    pub(crate) tag: u32,
    /// How many keys it holds.
    pub(crate) slots: u32,
    /// Most bytes of a key.
    pub(crate) key_max: u32,
    /// Most bytes of a payload.
    pub(crate) payload_max: u32,
    /// The key field's name.
    pub(crate) key_name: String,
    /// Word index of its first slot.
    first_word: usize,
    /// Words of a slot.
    stride_words: usize,
}

impl Lane {
    /// Word of a slot where its payload starts, after the key's capacity.
    fn payload_word(&self) -> usize {
        SLOT_HEADER_WORDS + (self.key_max as usize).div_ceil(8)
    }
}

/// What a reader found in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotRead {
    /// Nothing was ever written there.
    Empty,
    /// The writer was updating it: the message it held is in the ring (see the module docs).
    Busy,
    /// A message: its frame header; its key and payload were copied out.
    Message(FrameHeader),
    /// Words no writer of this build stores: the table is corrupt.
    Corrupt(&'static str),
}

/// A channel's table: its memory and its lanes, read once from its description.
#[derive(Debug)]
pub(crate) struct Table {
    words: NonNull<AtomicU64>,
    len_words: usize,
    lanes: Vec<Lane>,
}

// SAFETY: `Table` only holds a pointer to atomics; every access through it is atomic, and the
// storage behind it is kept alive by the `Arc<Shared>` that holds the table.
unsafe impl Send for Table {}
// SAFETY: as for `Send`: shared access only ever performs atomic operations.
unsafe impl Sync for Table {}

impl Table {
    /// Writes a new table's description into zeroed memory no reader can see yet.
    ///
    /// # Safety
    ///
    /// `base` is 8-aligned, valid for `layout.len()` bytes, zeroed, accessed only atomically,
    /// and stays valid while the returned table is used.
    pub(crate) unsafe fn initialise(base: NonNull<u8>, layout: &TableLayout) {
        let Some(len) = layout.len() else { return };
        // SAFETY: the caller's contract.
        let words = unsafe { Self::words_at(base, len) };
        let store = |index: usize, value: u64| {
            if let Some(word) = words.get(index) {
                word.store(value, Ordering::Relaxed);
            }
        };
        store(0, MAGIC);
        store(1, layout.lanes.len() as u64);
        let mut offset = layout.slots_offset();
        for (i, lane) in layout.lanes.iter().enumerate() {
            let at = LANES_OFFSET / 8 + i * LANE_WORDS;
            let name = lane.key_name.as_bytes();
            store(at, u64::from(lane.tag) | ((name.len() as u64) << 32));
            store(at + 1, u64::from(lane.slots));
            store(at + 2, u64::from(lane.key_max) | (u64::from(lane.payload_max) << 32));
            store(at + 3, offset);
            store(at + 4, lane.stride());
            if let Some(name_words) = words.get(at + NAME_WORD..at + LANE_WORDS) {
                store_bytes(name_words, name);
            }
            offset += u64::from(lane.slots) * lane.stride();
        }
    }

    /// Reads a table's description and checks it against the table's length and `mtu`, the
    /// largest payload of its ring: lanes of at least one slot, each holding at most an MTU's
    /// payload and [`MAX_KEY_BYTES`] of key, one after another past the descriptions.
    ///
    /// # Safety
    ///
    /// `base` is 8-aligned, valid for `len` bytes, accessed only atomically, and stays valid
    /// while the returned table is used.
    pub(crate) unsafe fn open(base: NonNull<u8>, len: u64, mtu: u64) -> Result<Self, LayoutError> {
        let corrupt = |reason| LayoutError::CorruptTable { reason };
        // SAFETY: the caller's contract.
        let words = unsafe { Self::words_at(base, len) };
        let load = |index: usize| words.get(index).map_or(0, |w| w.load(Ordering::Relaxed));
        if load(0) != MAGIC {
            return Err(corrupt("no table at the end of the region"));
        }
        let count = usize::try_from(load(1)).unwrap_or(usize::MAX);
        if count == 0 || count > MAX_LANES {
            return Err(corrupt("lane count out of range"));
        }
        let len_words = words.len();
        let mut lanes = Vec::new();
        // Where the next lane may start: past the descriptions, then past the lane before.
        let mut free =
            (LANES_OFFSET as u64 + (count * LANE_WORDS * 8) as u64).next_multiple_of(LINE);
        for i in 0..count {
            let at = LANES_OFFSET / 8 + i * LANE_WORDS;
            let (first, slots, capacities) = (load(at), load(at + 1), load(at + 2));
            let (offset, stride_bytes) = (load(at + 3), load(at + 4));
            #[allow(clippy::cast_possible_truncation)] // deliberate: the fields of packed words
            let (tag, name_len, key_max, payload_max) = (
                first as u32,
                (first >> 32) as usize,
                capacities as u32,
                (capacities >> 32) as u32,
            );
            let slots = u32::try_from(slots).map_err(|_| corrupt("slot count out of range"))?;
            if slots == 0 {
                return Err(corrupt("a lane without slots"));
            }
            if u64::from(payload_max) > mtu || key_max > MAX_KEY_BYTES {
                return Err(corrupt("a lane holds more than its ring's messages or keys"));
            }
            if name_len > MAX_KEY_NAME || first >> 40 != 0 {
                return Err(corrupt("key name length out of range"));
            }
            if stride_bytes != stride(key_max, payload_max) || !offset.is_multiple_of(8) {
                return Err(corrupt("lane geometry does not add up"));
            }
            let end =
                u64::from(slots).checked_mul(stride_bytes).and_then(|n| n.checked_add(offset));
            let Some(end) = end.filter(|&end| end <= len_words as u64 * 8) else {
                return Err(corrupt("lane reaches past the table"));
            };
            if offset < free {
                return Err(corrupt("lane overlaps the descriptions or the lane before"));
            }
            free = end;
            let mut name = Vec::with_capacity(MAX_KEY_NAME);
            for j in 0..(LANE_WORDS - NAME_WORD) {
                name.extend_from_slice(&load(at + NAME_WORD + j).to_ne_bytes());
            }
            name.truncate(name_len);
            let key_name = String::from_utf8(name).map_err(|_| corrupt("key name is not UTF-8"))?;
            // Both fit: checked against the table's length above.
            #[allow(clippy::cast_possible_truncation)]
            let (first_word, stride_words) = ((offset / 8) as usize, (stride_bytes / 8) as usize);
            lanes.push(Lane {
                tag,
                slots,
                key_max,
                payload_max,
                key_name,
                first_word,
                stride_words,
            });
        }
        Ok(Self { words: base.cast(), len_words, lanes })
    }

    /// The table's words.
    ///
    /// # Safety
    ///
    /// As for [`Table::open`].
    #[allow(clippy::disallowed_methods)] // the one place table memory becomes a slice
    unsafe fn words_at<'a>(base: NonNull<u8>, len: u64) -> &'a [AtomicU64] {
        let count = usize::try_from(len / 8).unwrap_or(0);
        // SAFETY: 8-aligned and valid for `len` bytes, only accessed atomically (the caller's
        // contract): a shared slice of atomics that others mutate atomically is sound.
        unsafe { core::slice::from_raw_parts(base.cast::<AtomicU64>().as_ptr(), count) }
    }

    /// All of the table's words.
    fn words(&self) -> &[AtomicU64] {
        // SAFETY: checked by `open` (the contract of `words_at`), and valid while `self` is.
        unsafe { Self::words_at(self.words.cast(), self.len_words as u64 * 8) }
    }

    /// Whether the table has exactly the lanes `layout` asks for.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // channel files: Linux only
    pub(crate) fn describes(&self, layout: &TableLayout) -> bool {
        let same = |lane: &Lane, spec: &LaneSpec| {
            (lane.tag, lane.slots, lane.key_max, lane.payload_max)
                == (spec.tag, spec.slots, spec.key_max, spec.payload_max)
                && lane.key_name == spec.key_name
        };
        self.lanes.len() == layout.lanes.len()
            && self.lanes.iter().zip(&layout.lanes).all(|(lane, spec)| same(lane, spec))
    }

    /// The lanes, as read when the table was opened.
    pub(crate) fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    /// The lane of messages with `tag`, and its index.
    pub(crate) fn lane_of(&self, tag: u32) -> Option<(usize, &Lane)> {
        self.lanes.iter().enumerate().find(|(_, lane)| lane.tag == tag)
    }

    /// The words of slot `slot` of `lane`, if it lies inside the table.
    fn slot(&self, lane: &Lane, slot: u32) -> Option<&[AtomicU64]> {
        if slot >= lane.slots {
            return None;
        }
        let start = lane.first_word.checked_add(slot as usize * lane.stride_words)?;
        self.words().get(start..start.checked_add(lane.stride_words)?)
    }

    /// The writer's `tabled` word.
    fn tabled_word(&self) -> Option<&AtomicU64> {
        self.words().get(TABLED_WORD)
    }

    /// A position before which every message of a lane's tag is in the table.
    pub(crate) fn load_tabled(&self) -> u64 {
        let tabled = self.tabled_word().map_or(0, |word| word.load(Ordering::Relaxed));
        // Acquire: pairs with the Release store in `store_tabled`, so every slot update before
        // it is seen by the loads that follow.
        fence(Ordering::Acquire);
        tabled
    }

    /// Stores `tabled` (writer only).
    pub(crate) fn store_tabled(&self, position: u64) {
        if let Some(word) = self.tabled_word() {
            // Release: pairs with the fence(Acquire) in `load_tabled`.
            word.store(position, Ordering::Release);
        }
    }

    /// Stores a message into a slot (writer only): its frame header's words (packed by the
    /// caller, so that they reach memory as whole words), key and payload. The caller checked
    /// that they fit the lane.
    pub(crate) fn write(
        &self,
        lane: &Lane,
        slot: u32,
        header: [u64; HEADER_WORDS],
        key: &[u8],
        payload: &[u8],
    ) {
        let Some(words) = self.slot(lane, slot) else { return };
        let payload_word = lane.payload_word();
        let fits = key.len() <= lane.key_max as usize && payload.len() <= lane.payload_max as usize;
        debug_assert!(fits, "the publisher checks sizes before it publishes");
        if !fits {
            return;
        }
        // Odd: a version left odd by a writer that died mid-update is made even by this one.
        let begin = words[0].load(Ordering::Relaxed) | 1;
        // Release: a reader that sees the odd version sees the frame this message was
        // published in (stored before), so its merge finds the message in the ring. Pairs with
        // the fence(Acquire) in `read`.
        words[0].store(begin, Ordering::Release);
        // Release: orders the version store before the slot's stores below. Pairs with the
        // second fence(Acquire) in `read`: a reader that loaded any of them sees the version
        // change.
        fence(Ordering::Release);
        let [commit, seq, word2, _] = header;
        words[1].store(commit, Ordering::Relaxed);
        words[2].store(seq, Ordering::Relaxed);
        words[3].store(word2, Ordering::Relaxed);
        words[4].store(key.len() as u64, Ordering::Relaxed);
        store_bytes(&words[SLOT_HEADER_WORDS..payload_word], key);
        store_bytes(&words[payload_word..], payload);
        // Release: publishes the slot's stores. Pairs with the first fence(Acquire) in `read`.
        words[0].store(begin.wrapping_add(1), Ordering::Release);
    }

    /// Empties a slot (writer only), for one a writer left half-written.
    pub(crate) fn clear(&self, lane: &Lane, slot: u32) {
        let Some(words) = self.slot(lane, slot) else { return };
        let begin = words[0].load(Ordering::Relaxed) | 1;
        // Release: as in `write`.
        words[0].store(begin, Ordering::Release);
        fence(Ordering::Release);
        for word in &words[1..SLOT_HEADER_WORDS] {
            word.store(0, Ordering::Relaxed);
        }
        // 0: empty again. Release: as in `write`.
        words[0].store(0, Ordering::Release);
    }

    /// Copies a slot out: its key into `key` (cleared first) and its payload into `payload`,
    /// which holds the lane's payload capacity.
    pub(crate) fn read(
        &self,
        lane: &Lane,
        slot: u32,
        key: &mut Vec<u8>,
        payload: &mut [u8],
    ) -> SlotRead {
        let Some(words) = self.slot(lane, slot) else { return SlotRead::Corrupt("no such slot") };
        let before = words[0].load(Ordering::Relaxed);
        // Acquire: pairs with the Release stores of the version in `write`, so a complete
        // update's stores are seen, and an odd version's frame is in the ring.
        fence(Ordering::Acquire);
        if before == 0 {
            return SlotRead::Empty;
        }
        if before & 1 == 1 {
            return SlotRead::Busy;
        }
        let (commit, seq, word2, key_len) = (
            words[1].load(Ordering::Relaxed),
            words[2].load(Ordering::Relaxed),
            words[3].load(Ordering::Relaxed),
            words[4].load(Ordering::Relaxed),
        );
        let header = FrameHeader::decode(commit, seq, word2);
        // Lengths may be torn or hostile: copy within the lane's capacities only.
        let payload_word = lane.payload_word();
        let key_len = usize::try_from(key_len).unwrap_or(usize::MAX);
        let len = header.map_or(0, |header| header.len as usize);
        let (key_fits, len_fits) =
            (key_len <= lane.key_max as usize, len <= lane.payload_max as usize);
        key.clear();
        if key_fits {
            key.resize(key_len, 0);
            load_bytes(&words[SLOT_HEADER_WORDS..payload_word], key);
        }
        if len_fits && let Some(payload) = payload.get_mut(..len) {
            load_bytes(&words[payload_word..], payload);
        }
        // Acquire: pairs with the fence(Release) in `write` that precedes its slot stores: if
        // any load above saw one, the version below is not `before`.
        fence(Ordering::Acquire);
        if words[0].load(Ordering::Relaxed) != before {
            // Acquire: pairs with the Release store of the odd version in `write`, which the
            // load above may have seen: the caller's next loads (a snapshot's `committed`) see
            // the frame the writer published before it.
            fence(Ordering::Acquire);
            return SlotRead::Busy;
        }
        match header {
            Some(header) if header.kind == FrameKind::Message => {
                if !key_fits {
                    SlotRead::Corrupt("key longer than the lane holds")
                } else if !len_fits || payload.len() < len {
                    SlotRead::Corrupt("payload longer than the lane holds")
                } else if header.tag != lane.tag {
                    SlotRead::Corrupt("message of another tag than the lane's")
                } else {
                    SlotRead::Message(header)
                }
            }
            _ => SlotRead::Corrupt("not a message header"),
        }
    }
}

/// Stores `bytes` into `words` (which hold them), a word at a time.
fn store_bytes(words: &[AtomicU64], bytes: &[u8]) {
    let (chunks, tail) = bytes.as_chunks::<8>();
    for (word, chunk) in words.iter().zip(chunks) {
        word.store(u64::from_ne_bytes(*chunk), Ordering::Relaxed);
    }
    if !tail.is_empty()
        && let Some(word) = words.get(chunks.len())
    {
        word.store(tail_word(tail), Ordering::Relaxed);
    }
}

/// Loads `bytes.len()` bytes from `words` (which hold them), a word at a time.
fn load_bytes(words: &[AtomicU64], bytes: &mut [u8]) {
    let (chunks, tail) = bytes.as_chunks_mut::<8>();
    let full = chunks.len();
    for (chunk, word) in chunks.iter_mut().zip(words) {
        *chunk = word.load(Ordering::Relaxed).to_ne_bytes();
    }
    if !tail.is_empty()
        && let Some(word) = words.get(full)
    {
        untail_word(tail, word.load(Ordering::Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::super::storage::{Pages, Storage};
    use super::*;

    fn lane(tag: u32, key_name: &str) -> LaneSpec {
        LaneSpec { tag, slots: 3, key_max: 12, payload_max: 40, key_name: key_name.to_owned() }
    }

    #[test]
    fn a_table_reads_back_the_lanes_it_was_made_with() {
        let names = ["k", "symbol", "instrum", "instrument", "exactly8", &"n".repeat(MAX_KEY_NAME)];
        let layout = TableLayout {
            lanes: names.iter().zip(1..).map(|(name, tag)| lane(tag, name)).collect(),
        };
        let storage = Storage::heap(1024, &layout, 1, Pages::Lazy);
        let table = storage.table().expect("a table");
        let read: Vec<&str> = table.lanes().iter().map(|lane| lane.key_name.as_str()).collect();
        assert_eq!(read, names);
        assert!(table.describes(&layout));
        let mut other = layout.clone();
        other.lanes[0].slots += 1;
        assert!(!table.describes(&other));
    }

    #[test]
    fn a_slot_holds_what_was_written_until_it_is_cleared() {
        let layout = TableLayout { lanes: vec![lane(7, "id")] };
        let storage = Storage::heap(1024, &layout, 1, Pages::Lazy);
        let table = storage.table().expect("a table");
        let lane = &table.lanes()[0];
        let (mut key, mut payload) = (Vec::new(), vec![0; 40]);
        assert_eq!(table.read(lane, 1, &mut key, &mut payload), SlotRead::Empty);
        let stamp = super::super::frame::Stamp { tag: 7, seq: 9, tag_seq: 2, version: 0 };
        let header = FrameHeader::message(11, stamp);
        table.write(lane, 1, header.pack(), b"EURUSD.SPOT", b"hello world");
        assert_eq!(table.read(lane, 1, &mut key, &mut payload), SlotRead::Message(header));
        assert_eq!((key.as_slice(), &payload[..11]), (&b"EURUSD.SPOT"[..], &b"hello world"[..]));
        table.clear(lane, 1);
        assert_eq!(table.read(lane, 1, &mut key, &mut payload), SlotRead::Empty);
        assert_eq!(table.read(lane, 3, &mut key, &mut payload), SlotRead::Corrupt("no such slot"));
    }
}

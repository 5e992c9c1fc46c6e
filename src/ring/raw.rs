//! The only code that touches ring memory, with [`wide`]: word-wise atomic loads and stores.
//!
//! Shared ring bytes are never read or written with plain accesses, never through `&[u8]`, and
//! never with a width other than 8 bytes (`docs/protocol.md`, ground rules): a plain copy that
//! races with the writer is undefined behaviour even when its result is discarded. Payloads
//! therefore move between private buffers and the ring one `AtomicU64` at a time, or for 128
//! bytes and more on x86-64 with AVX through [`wide`]'s 16-byte copies, which equal such
//! accesses (W1); data-word indices are masked by the capacity, so no value read from shared
//! memory can steer an access outside it.

use core::ptr::NonNull;

use super::frame::{FrameHeader, HEADER_WORDS, tail_word, untail_word};
use super::header::{
    HEADER_SIZE, Header, METADATA_CAPACITY, METADATA_OFFSET, WAKE_OFFSET, WakeWords, mtu_for,
};
use super::metadata::Metadata;
use super::table::{Table, TableLayout};
use super::wide;
use crate::error::LayoutError;
use crate::sync::{AtomicU64, Ordering, fence};

/// The channel header at the start of the ring memory at `base`: the only way any module
/// reaches a header before a [`RawRing`] exists (to initialise or validate it).
///
/// # Safety
///
/// `base` is 8-byte aligned and valid for reads of `HEADER_SIZE` bytes for `'a` (and for
/// writes, if anything stores through the reference), and during `'a` that memory is only
/// accessed atomically (M1, M2 of `docs/protocol.md`, for the header).
pub(crate) unsafe fn header_at<'a>(base: NonNull<u8>) -> &'a Header {
    // SAFETY: aligned and valid for `size_of::<Header>() <= HEADER_SIZE` bytes (contract, M3);
    // `Header` consists of atomics only, so a shared reference to memory that other threads or
    // processes mutate atomically is sound.
    unsafe { base.cast::<Header>().as_ref() }
}

/// The metadata area of the ring memory at `base`.
///
/// # Safety
///
/// As for [`header_at`].
unsafe fn metadata_at<'a>(base: NonNull<u8>) -> Metadata<'a> {
    // SAFETY: the metadata area lies inside the header (M3), which the caller vouches for.
    let area = unsafe { base.add(METADATA_OFFSET) }.cast::<AtomicU64>();
    // SAFETY: the area is 8-aligned (M3), valid for `METADATA_CAPACITY` bytes for `'a` and only
    // accessed atomically (the caller's M1 and M2); a shared slice of atomics that others
    // mutate atomically is sound.
    let words = unsafe { NonNull::slice_from_raw_parts(area, METADATA_CAPACITY / 8).as_ref() };
    // SAFETY: as for this function.
    Metadata { header: unsafe { header_at(base) }, words }
}

/// Checks that the memory at `base` holds a ready channel whose region is `region_len` bytes:
/// its header (H1, H2, H4, H5), its metadata sections (H6) and its last-value table's
/// description, if it has one. Returns the capacity.
///
/// # Errors
///
/// The [`LayoutError`] that says what is wrong.
///
/// # Safety
///
/// `base` is 8-byte aligned and valid for reads of `region_len` bytes (at least `HEADER_SIZE`)
/// during the call, and that memory is only accessed atomically (M1, M2).
pub(crate) unsafe fn validate(base: NonNull<u8>, region_len: u64) -> Result<u64, LayoutError> {
    // SAFETY: the caller's contract is `header_at`'s.
    let capacity = unsafe { header_at(base) }.validate(region_len)?;
    // SAFETY: as above.
    unsafe { metadata_at(base) }.check()?;
    // `validate` checked `region_len == HEADER_SIZE + capacity + table_len`.
    let table_len = region_len - HEADER_SIZE as u64 - capacity;
    if table_len > 0 {
        // SAFETY: the region is `HEADER_SIZE + capacity + table_len` bytes (checked above).
        let table = unsafe { table_at(base, capacity) };
        // SAFETY: the table is the region's last `table_len` bytes (the caller's contract), at
        // an 8-aligned offset (`HEADER_SIZE` and `capacity` are multiples of 8).
        unsafe { Table::open(table, table_len, mtu_for(capacity) as u64) }?;
    }
    Ok(capacity)
}

/// Where the last-value table of a ring of `capacity` bytes at `base` starts.
///
/// # Safety
///
/// The region at `base` is at least `HEADER_SIZE + capacity` bytes long.
pub(crate) unsafe fn table_at(base: NonNull<u8>, capacity: u64) -> NonNull<u8> {
    let offset = usize::try_from(HEADER_SIZE as u64 + capacity).unwrap_or(usize::MAX);
    // SAFETY: the caller's contract: the offset is the end of the data section.
    unsafe { base.add(offset) }
}

/// Makes fresh memory a ring of `capacity` bytes with the last-value table `table` (none if it
/// has no lanes): clears the commit word at position 0 (fresh heap memory and new files are
/// zero already; caller memory may hold anything), writes the table's description, then the
/// header, and marks it ready (H1).
///
/// # Safety
///
/// `base` is 8-byte aligned and valid for reads and writes of `HEADER_SIZE + capacity +
/// table.len()` bytes, `capacity` is a supported power of two, the table's bytes are zero,
/// the memory is only ever accessed atomically, and no other handle uses it until this
/// returns.
pub(crate) unsafe fn initialise(base: NonNull<u8>, capacity: u64, table: &TableLayout, epoch: u64) {
    // SAFETY: the contract of `RawRing::new`, which this function's contract includes.
    let ring = unsafe { RawRing::new(base, capacity) };
    ring.clear_commit_word(0);
    let table_len = table.len().unwrap_or(0);
    if table_len > 0 {
        // SAFETY: the region is `HEADER_SIZE + capacity + table_len` bytes (the contract).
        let at = unsafe { table_at(base, capacity) };
        // SAFETY: the region's last `table_len` bytes, zeroed and unseen (the contract).
        unsafe { Table::initialise(at, table) };
    }
    ring.header().initialise(capacity, table_len, epoch);
}

/// Pointers to a validated ring: the header and the data section that follows it.
///
/// `RawRing` is a plain copyable view; the [`Storage`](super::storage::Storage) that owns the
/// memory lives in the same `Arc` as every copy, which keeps the pointers valid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRing {
    header: NonNull<Header>,
    data: NonNull<AtomicU64>,
    /// Data section length in bytes: a power of two (H2).
    capacity: u64,
    /// `capacity / 8 - 1`: masks a word index into the data section.
    word_mask: usize,
}

// SAFETY: `RawRing` only holds pointers to atomics; every access through it is atomic, and the
// storage behind it is kept alive by the `Arc<Shared>` that every holder of a copy also holds.
unsafe impl Send for RawRing {}
// SAFETY: as for `Send`: shared access only ever performs atomic operations.
unsafe impl Sync for RawRing {}

impl RawRing {
    /// Views `HEADER_SIZE + capacity` bytes at `base` as a ring.
    ///
    /// # Safety
    ///
    /// M1 and M2 of `docs/protocol.md` hold for the `HEADER_SIZE + capacity` bytes at `base`
    /// for as long as any copy of the view is used: 8-byte aligned, valid for reads (and for
    /// writes too if anything will store through this view), accessed only through 8-byte
    /// atomic operations; `capacity` is a power of two and at least 64.
    pub(crate) unsafe fn new(base: NonNull<u8>, capacity: u64) -> Self {
        debug_assert!(capacity.is_power_of_two() && capacity >= 64);
        debug_assert!(base.cast::<AtomicU64>().is_aligned());
        // SAFETY: the region is `HEADER_SIZE + capacity` bytes long (M1), so the data section
        // starts inside it.
        let data = unsafe { base.add(HEADER_SIZE) };
        let words = usize::try_from(capacity / 8).unwrap_or(usize::MAX);
        Self { header: base.cast(), data: data.cast(), capacity, word_mask: words - 1 }
    }

    /// The shared header.
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the ring memory is valid and only accessed atomically while `self` is used
        // (M1, M2).
        unsafe { header_at(self.header.cast()) }
    }

    /// The wake words, for loads (a reader's view may be read-only; see `Storage::park_spot`).
    #[inline]
    pub(crate) fn wake(&self) -> &WakeWords {
        // SAFETY: the wake words lie inside the header (M3), so the offset stays inside the
        // region (M1).
        let words = unsafe { self.header.cast::<u8>().add(WAKE_OFFSET) };
        // SAFETY: the words are 8-aligned and valid (M1, M3); they hold atomics only (M2).
        unsafe { words.cast::<WakeWords>().as_ref() }
    }

    /// Data section length in bytes.
    #[inline]
    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The data word at `word_index` modulo the capacity.
    #[inline]
    fn data_word(&self, word_index: usize) -> &AtomicU64 {
        let index = word_index & self.word_mask;
        // SAFETY: `index < capacity / 8` after masking, so the offset stays inside the data
        // section (M1).
        let word = unsafe { self.data.add(index) };
        // SAFETY: `word` is aligned and valid (above); the data section is only accessed
        // atomically (M2), so a shared reference to a word that others mutate atomically is
        // sound.
        unsafe { word.as_ref() }
    }

    /// Word index of the data-section byte index `index` (which is 8-aligned).
    #[inline]
    fn word_index(index: u64) -> usize {
        // Truncation is harmless: `data_word` masks the index by the capacity anyway.
        #[allow(clippy::cast_possible_truncation)]
        let words = (index / 8) as usize;
        words
    }

    /// Loads the commit word of the frame at data-section byte `index` (16-aligned), with
    /// acquire semantics: if it is the writer's store in [`store_message`](Self::store_message)
    /// or [`store_padding`](Self::store_padding), every store the writer made before it
    /// (the frame's other header words, its payload, the zeroed commit word after it) is visible
    /// to the loads that follow.
    #[inline]
    pub(crate) fn load_commit_word(&self, index: u64) -> u64 {
        let commit = self.data_word(Self::word_index(index)).load(Ordering::Relaxed);
        // Acquire (a relaxed load and a fence, valid on read-only mappings): pairs with the
        // Release store of a commit word in `store_message` or `store_padding`.
        fence(Ordering::Acquire);
        commit
    }

    /// Loads words 1 and 2 of the frame header at data-section byte `index`: the sequence
    /// number and the tag word.
    #[inline]
    pub(crate) fn load_header_words(&self, index: u64) -> (u64, u64) {
        let at = Self::word_index(index);
        (
            self.data_word(at + 1).load(Ordering::Relaxed),
            self.data_word(at + 2).load(Ordering::Relaxed),
        )
    }

    /// Publishes the padding frame `header` at data-section byte `index` (16-aligned): its
    /// sequence number, then its commit word with Release. A padding frame may span only 16
    /// bytes, so it has no other words; storing them would reach into the next lap.
    #[inline]
    pub(crate) fn store_padding(&self, index: u64, header: FrameHeader) {
        let at = Self::word_index(index);
        let [commit, seq, ..] = header.pack();
        self.data_word(at + 1).store(seq, Ordering::Relaxed);
        // Release: publishes the frame (and the zeroed commit word after it, stored before).
        // Pairs with the fence(Acquire) in `load_commit_word`.
        self.data_word(at).store(commit, Ordering::Release);
    }

    /// Writes and publishes a message frame at data-section byte `index` (16-aligned), which
    /// the caller places so that the frame ends at or before the end of the data section: the
    /// payload, the header's other words, a zero commit word at `next` (the index where the next
    /// frame will start), and the commit word last, with Release.
    ///
    /// With `WIDE`, the payload is copied with [`wide`]'s kernel where it can be (the writer
    /// passes `true` for payloads of at least [`wide::threshold`] bytes); the two versions keep
    /// the kernel out of the code of short messages.
    #[inline(always)]
    pub(crate) fn store_message<const WIDE: bool>(
        &self,
        index: u64,
        header: FrameHeader,
        payload: &[u8],
        next: u64,
    ) {
        let [commit, seq, word2, reserved] = header.pack();
        // The writer places every frame inside the lap; a frame past its end (which no writer
        // makes) publishes nothing.
        let Some(frame) =
            self.run_of_words(Self::word_index(index), HEADER_WORDS + payload.len().div_ceil(8))
        else {
            debug_assert!(false, "a frame crosses the end of the data section");
            return;
        };
        // SAFETY: the run holds the header's words and then the payload's.
        let body = unsafe { frame.add(HEADER_WORDS) };
        // The payload, the header's other words, then the next commit word: of the orders
        // measured, the one the writer alone runs fastest with (BENCHMARKS.md, run 7).
        let (chunks, tail) = payload.as_chunks::<8>();
        // SAFETY: `body` starts `chunks.len()` words of the run, and `WIDE` callers are past
        // the threshold, which only `wide::enabled` processes have.
        if !WIDE || !unsafe { wide::store_words(body, chunks) } {
            // SAFETY: the run holds `chunks.len()` words after the header.
            let ring = unsafe { Self::words(body, chunks.len()) };
            for (slot, word) in ring.iter().zip(chunks) {
                slot.store(u64::from_ne_bytes(*word), Ordering::Relaxed);
            }
        }
        if !tail.is_empty() {
            // SAFETY: the run's last word, after the `chunks.len()` full ones.
            unsafe { Self::word(body, chunks.len()) }.store(tail_word(tail), Ordering::Relaxed);
        }
        for (i, word) in [(1, seq), (2, word2), (3, reserved)] {
            // SAFETY: header words 1..4 of the run.
            unsafe { Self::word(frame, i) }.store(word, Ordering::Relaxed);
        }
        self.clear_commit_word(next);
        // Release: publishes the frame (its payload and the zeroed commit word after it were
        // stored before). Pairs with the fence(Acquire) in `load_commit_word`.
        // SAFETY: the run's first word.
        unsafe { Self::word(frame, 0) }.store(commit, Ordering::Release);
    }

    /// Stores a zero commit word at data-section byte `index`: "nothing published here yet".
    #[inline]
    pub(crate) fn clear_commit_word(&self, index: u64) {
        self.data_word(Self::word_index(index)).store(0, Ordering::Relaxed);
    }

    /// The first of the `count` data words from `word_index` (modulo the capacity), or `None`
    /// if they would cross the end of the data section. Frames never cross it, so only a
    /// corrupt length is refused.
    #[inline(always)]
    fn run_of_words(&self, word_index: usize, count: usize) -> Option<NonNull<AtomicU64>> {
        let start = word_index & self.word_mask;
        if count > self.word_mask + 1 - start {
            return None;
        }
        // SAFETY: `start < capacity / 8` (masked), so the offset stays inside the data section,
        // and so do the `count` words from it (checked above).
        Some(unsafe { self.data.add(start) })
    }

    /// Word `i` of a run from [`run_of_words`](Self::run_of_words).
    ///
    /// # Safety
    ///
    /// `run` came from `run_of_words` with a count above `i`.
    #[inline(always)]
    unsafe fn word<'a>(run: NonNull<AtomicU64>, i: usize) -> &'a AtomicU64 {
        // SAFETY: word `i` of the run lies inside the data section (contract).
        let word = unsafe { run.add(i) };
        // SAFETY: the word is aligned and valid while the ring is used (M1), and only accessed
        // atomically (M2): a shared reference to a word that others mutate atomically is sound.
        unsafe { word.as_ref() }
    }

    /// The first `count` words of a run from [`run_of_words`](Self::run_of_words), as a slice:
    /// the copy loops over it compile to fewer instructions than over word pointers.
    ///
    /// # Safety
    ///
    /// `run` came from `run_of_words` with a count of at least `count`.
    #[inline(always)]
    #[allow(clippy::disallowed_methods)] // we are in ring::raw
    unsafe fn words<'a>(run: NonNull<AtomicU64>, count: usize) -> &'a [AtomicU64] {
        // SAFETY: the words lie inside the data section (contract), valid while the ring is
        // used (M1) and only accessed atomically (M2): a shared slice of atomics that others
        // mutate atomically is sound, like `&AtomicU64`.
        unsafe { core::slice::from_raw_parts(run.as_ptr(), count) }
    }

    /// Copies `dst.len()` bytes out of the ring from data-section byte `index` (8-aligned).
    ///
    /// The bytes may be torn by a concurrent writer; the caller re-checks the claimed frontier
    /// afterwards and discards the copy on overrun. The caller also checked that the frame
    /// lies inside the data section; bytes that would lie past its end (which no frame has)
    /// are not loaded.
    ///
    /// Payloads of `wide_from` bytes and more are copied with [`wide`]'s kernel where it can be
    /// ([`wide::threshold`], decided once by the reader).
    #[inline]
    pub(crate) fn load_bytes(&self, index: u64, dst: &mut [u8], wide_from: usize) {
        let Some(run) = self.run_of_words(Self::word_index(index), dst.len().div_ceil(8)) else {
            debug_assert!(false, "a payload crosses the end of the data section");
            return;
        };
        let (words, tail) = dst.as_chunks_mut::<8>();
        let full = words.len();
        // SAFETY: the run holds `full` words; a payload past the threshold means this process
        // has the kernels.
        if full * 8 < wide_from || !unsafe { wide::load_words(words, run) } {
            // SAFETY: the run holds `full` words, and then the tail's.
            let ring = unsafe { Self::words(run, full) };
            for (word, slot) in words.iter_mut().zip(ring) {
                *word = slot.load(Ordering::Relaxed).to_ne_bytes();
            }
        }
        if !tail.is_empty() {
            // SAFETY: the run's last word, after the `full` ones.
            let last = unsafe { Self::word(run, full) }.load(Ordering::Relaxed);
            untail_word(tail, last);
        }
    }

    /// The metadata area.
    pub(crate) fn metadata(&self) -> Metadata<'_> {
        // SAFETY: the ring memory is valid and only accessed atomically while `self` is used
        // (M1, M2).
        unsafe { metadata_at(self.header.cast()) }
    }
}

#[cfg(test)]
mod tests {
    use super::super::frame::FrameHeader;
    use super::super::storage::{Pages, Storage};
    use crate::sync::Ordering;

    #[test]
    fn tail_words_carry_the_last_bytes_and_zeros_past_them() {
        let bytes = [1, 2, 3, 4, 5, 6, 7];
        for len in 0..8 {
            let word = super::super::frame::tail_word(&bytes[..len]).to_ne_bytes();
            assert_eq!(&word[..len], &bytes[..len], "{len} bytes");
            assert!(word[len..].iter().all(|&b| b == 0), "{len} bytes: zeros after");
            let mut back = [0xEE; 7];
            super::super::frame::untail_word(&mut back[..len], u64::from_ne_bytes(word));
            assert_eq!(&back[..len], &bytes[..len], "{len} bytes back");
            assert!(back[len..].iter().all(|&b| b == 0xEE), "{len} bytes: nothing after");
        }
    }

    #[test]
    fn a_padding_frame_stores_nothing_past_its_span() {
        let storage =
            Storage::heap(256, &super::super::table::TableLayout::default(), 1, Pages::Lazy);
        let ring = storage.ring();
        // The lap's first two words, where the message after the padding will go.
        ring.data_word(0).store(0x5EED, Ordering::Relaxed);
        ring.data_word(1).store(0x5EED, Ordering::Relaxed);
        // The shortest padding: the lap's last 16 bytes.
        ring.store_padding(256 - 16, FrameHeader::padding(16, 7));
        assert_eq!(ring.data_word(0).load(Ordering::Relaxed), 0x5EED);
        assert_eq!(ring.data_word(1).load(Ordering::Relaxed), 0x5EED);
        let commit = ring.load_commit_word(256 - 16);
        let (seq, _) = ring.load_header_words(256 - 16);
        assert_eq!(FrameHeader::decode(commit, seq, 0), Some(FrameHeader::padding(16, 7)));
    }
}

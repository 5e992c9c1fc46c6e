//! Where ring memory lives: a heap allocation, caller memory, or a mapped channel file.

use core::alloc::Layout;
use core::ptr::NonNull;

use super::header::{HEADER_SIZE, WAKE_OFFSET, WakeWords};
use super::raw::{self, RawRing};
use super::table::{Table, TableLayout};
use crate::shm::ChannelFile;
use crate::sync::{AtomicU64, Ordering};

/// Owner of the memory behind a ring. Dropping it releases the memory (and, for a file, the
/// mapping and any writer lock).
#[derive(Debug)]
pub(crate) enum Storage {
    /// In-process ring for threads of one process (and the storage Miri tests run on).
    Heap { words: HeapWords, capacity: u64, table_len: u64 },
    /// Memory the caller owns and keeps valid (contract of `RingBuffer::init_raw` / `join_raw`).
    Caller { base: NonNull<u8>, capacity: u64, table_len: u64, writable: bool },
    /// A mapped channel file under `/dev/shm` (never made where channel files are not
    /// supported: there `ChannelFile` is uninhabited).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    File(ChannelFile),
}

// SAFETY: `Caller` memory is required by the `init_raw`/`join_raw` contracts to stay valid and be
// accessed only atomically while any handle exists, from any thread; the other variants own
// thread-safe memory (atomics, a shared mapping).
unsafe impl Send for Storage {}
// SAFETY: as for `Send`: all access through the storage is atomic.
unsafe impl Sync for Storage {}

impl Storage {
    /// Allocates and initialises a heap ring of `capacity` bytes (a supported power of two) and
    /// the last-value table `table`, its pages faulted in now or on first touch as `pages` says.
    pub(crate) fn heap(capacity: u64, table: &TableLayout, epoch: u64, pages: Pages) -> Self {
        let table_len = table.len().unwrap_or(0);
        let bytes = usize::try_from(HEADER_SIZE as u64 + capacity + table_len);
        let words = HeapWords::zeroed(bytes.unwrap_or(usize::MAX), pages);
        let storage = Self::Heap { words, capacity, table_len };
        // SAFETY: the allocation is page-aligned, `HEADER_SIZE + capacity + table_len` bytes
        // long, zeroed (valid atomics), accessed only atomically, and no handle to it exists yet.
        unsafe { raw::initialise(storage.base(), capacity, table, epoch) };
        storage
    }

    /// The last-value table after the data section, if the ring has one and its description
    /// reads back as valid.
    pub(crate) fn table(&self) -> Option<Table> {
        let (capacity, len) = (self.capacity(), self.table_len());
        if len == 0 {
            return None;
        }
        // SAFETY: the region is `HEADER_SIZE + capacity + len` bytes.
        let table = unsafe { raw::table_at(self.base(), capacity) };
        // SAFETY: the table is the region's last `len` bytes, valid and only accessed atomically
        // while the storage lives (M1, M2).
        unsafe { Table::open(table, len, super::header::mtu_for(capacity) as u64) }.ok()
    }

    /// Bytes of the last-value table after the data section.
    fn table_len(&self) -> u64 {
        match self {
            Self::Heap { table_len, .. } | Self::Caller { table_len, .. } => *table_len,
            Self::File(file) => file.table_len(),
        }
    }

    /// The wake words through which a reader of this storage may park, or `None` where it
    /// may not write them (caller memory joined read-only, a channel file it may not write).
    pub(crate) fn park_spot(&self) -> Option<ParkSpot> {
        let in_header = || {
            // SAFETY: the wake words lie inside the header (`WAKE_OFFSET + 16 <= HEADER_SIZE`),
            // which is part of the region `base` points to.
            let words = unsafe { self.base().add(WAKE_OFFSET) };
            ParkSpot { words: words.cast(), _mapping: None }
        };
        match self {
            Self::Heap { .. } | Self::Caller { writable: true, .. } => Some(in_header()),
            Self::Caller { writable: false, .. } => None,
            Self::File(file) if file.holds_writer_lock() => Some(in_header()),
            Self::File(file) => file
                .map_wake_page()
                .ok()
                .map(|(mapping, words)| ParkSpot { words: words.cast(), _mapping: Some(mapping) }),
        }
    }

    /// Pointer to the start of the ring memory.
    fn base(&self) -> NonNull<u8> {
        match self {
            Self::Heap { words, .. } => words.words.cast(),
            Self::Caller { base, .. } => *base,
            Self::File(file) => file.base(),
        }
    }

    /// Data capacity in bytes.
    fn capacity(&self) -> u64 {
        match self {
            Self::Heap { capacity, .. } | Self::Caller { capacity, .. } => *capacity,
            Self::File(file) => file.capacity(),
        }
    }

    /// The validated view of this storage.
    pub(crate) fn ring(&self) -> RawRing {
        // SAFETY: each variant holds `HEADER_SIZE + capacity` bytes at an 8-aligned base, kept
        // valid while `self` lives (the `Arc<Shared>` that owns it outlives every `RawRing` copy),
        // accessed only atomically, and `capacity` was validated as a supported power of two.
        unsafe { RawRing::new(self.base(), self.capacity()) }
    }
}

/// When the pages of a heap ring are faulted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pages {
    /// When the ring is made, so that the first lap of traffic takes no page fault.
    Prefault,
    /// On first touch: creation is cheap and memory is taken as the writer reaches it.
    Lazy,
}

/// A heap ring's memory: zeroed atomic words at a page boundary, held as a raw pointer.
///
/// A `Box` would be retagged as unique each time the storage moves, which under Stacked Borrows
/// invalidates the raw pointers that `RawRing` copies hold; a raw pointer is never retagged.
///
/// The alignment makes heap rings lie in cache lines as channel files (mapped at a page) do:
/// frames of 64 bytes fill one line each, and the header's fields sit in the 128-byte blocks
/// that keep the writer's hot words apart from `claimed`. An allocator's own alignment (16
/// bytes) would split every such frame across two lines.
///
/// The memory is an anonymous mapping: the kernel's zero pages, faulted in when it is made for
/// [`Pages::Prefault`] (by the kernel in one pass, `MAP_POPULATE`, on Linux; by a write to each
/// page elsewhere) or on first touch for [`Pages::Lazy`].
/// (An aligned `alloc_zeroed` would zero every page in user space, faulting all of them in
/// whether wanted or not.) Under Miri, which cannot map memory, it is an aligned allocation.
#[derive(Debug)]
pub(crate) struct HeapWords {
    words: NonNull<AtomicU64>,
    #[cfg(not(miri))]
    _map: memmap2::MmapRaw,
    #[cfg(miri)]
    layout: Layout,
}

/// Alignment of heap rings.
const HEAP_ALIGN: usize = 4096;

impl HeapWords {
    /// Maps `bytes` zeroed bytes (a multiple of 8, and at least a header's).
    #[cfg(not(miri))]
    fn zeroed(bytes: usize, pages: Pages) -> Self {
        let mut options = memmap2::MmapOptions::new();
        options.len(bytes);
        if pages == Pages::Prefault {
            options.populate();
        }
        // Failing to map is running out of memory, as failing to allocate is.
        let Ok(map) = options.map_anon() else {
            std::alloc::handle_alloc_error(Self::layout(bytes))
        };
        let map = memmap2::MmapRaw::from(map);
        let Some(words) = NonNull::new(map.as_mut_ptr().cast::<AtomicU64>()) else {
            std::alloc::handle_alloc_error(Self::layout(bytes))
        };
        // Anonymous mappings are page-aligned and zero-filled, and all-zero bytes are a valid
        // `AtomicU64` (zero), so the memory holds initialised atomics.
        let heap = Self { words, _map: map };
        if pages == Pages::Prefault && !cfg!(target_os = "linux") {
            // `populate` (`MAP_POPULATE`) is Linux's: elsewhere, write each page once.
            for word in (0..bytes / 8).step_by(HEAP_ALIGN / 8) {
                // SAFETY: `word < bytes / 8`: the pointer stays inside the mapping.
                let word = unsafe { heap.words.add(word) };
                // SAFETY: an initialised `AtomicU64` (zero) of the live mapping, accessed only
                // atomically; no other handle sees the ring yet.
                unsafe { word.as_ref() }.store(0, Ordering::Relaxed);
            }
        }
        heap
    }

    /// Allocates `bytes` zeroed bytes (a multiple of 8, and at least a header's); `pages` does
    /// not apply.
    #[cfg(miri)]
    fn zeroed(bytes: usize, _pages: Pages) -> Self {
        let layout = Self::layout(bytes);
        // SAFETY: the layout has a non-zero size (at least a header).
        let memory = unsafe { std::alloc::alloc_zeroed(layout) };
        let Some(words) = NonNull::new(memory.cast::<AtomicU64>()) else {
            std::alloc::handle_alloc_error(layout)
        };
        // All-zero bytes are a valid `AtomicU64` (zero), so the memory holds initialised atomics.
        Self { words, layout }
    }

    /// The layout of `bytes` at a page boundary.
    fn layout(bytes: usize) -> Layout {
        // Rings are at most `HEADER_SIZE + MAX_CAPACITY` bytes (64 GiB and a page), far below
        // `isize::MAX`, so the layout always exists.
        Layout::from_size_align(bytes, HEAP_ALIGN).expect("rings fit the address space")
    }
}

#[cfg(miri)]
impl Drop for HeapWords {
    fn drop(&mut self) {
        // SAFETY: `words` was allocated in `zeroed` with `layout` and is released only here,
        // once; the ring handles that used it are gone, since they all hold the `Arc` that owns
        // `self`.
        unsafe { std::alloc::dealloc(self.words.as_ptr().cast(), self.layout) };
    }
}

/// Writable access to a ring's [`WakeWords`], for a reader that parks.
#[derive(Debug)]
pub(crate) struct ParkSpot {
    words: NonNull<WakeWords>,
    /// A writable mapping of the wake page, for readers of a read-only channel mapping.
    _mapping: Option<memmap2::MmapRaw>,
}

// SAFETY: the pointer targets atomics in memory kept alive by the storage or by `_mapping`.
unsafe impl Send for ParkSpot {}
// SAFETY: as for `Send`: only atomic operations go through the pointer.
unsafe impl Sync for ParkSpot {}

impl ParkSpot {
    /// The wake words.
    pub(crate) fn words(&self) -> &WakeWords {
        // SAFETY: `words` is 8-aligned, points to writable memory holding `WakeWords` (atomics
        // only) and stays valid while `self` (and the storage it came from) lives.
        unsafe { self.words.as_ref() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_rings_start_at_a_page_so_their_frames_lie_in_cache_lines_as_in_files() {
        for capacity in [256, 4096, 1 << 16] {
            let storage = Storage::heap(capacity, &TableLayout::default(), 1, Pages::Lazy);
            assert!(storage.base().as_ptr().addr().is_multiple_of(HEAP_ALIGN), "{capacity}");
            assert_eq!(storage.ring().capacity(), capacity);
        }
    }
}

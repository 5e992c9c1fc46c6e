//! The shared header at offset 0 of every channel: identity, geometry and the writer's frontiers.

use super::frame::{FRAME_ALIGN, FRAME_HEADER_LEN};
use crate::error::LayoutError;
use crate::sync::{AtomicU64, Ordering, fence};

/// Bytes before the data section: the fixed header, the wake words, then the metadata area.
pub(crate) const HEADER_SIZE: usize = 64 * 1024;
/// Byte offset of the [`WakeWords`]: the start of the header's second page, which parking
/// readers map writable on its own.
pub(crate) const WAKE_OFFSET: usize = 4096;
/// Start of the page that holds the wake words.
pub(crate) const WAKE_PAGE_OFFSET: usize = 4096;
/// Length of that page.
pub(crate) const WAKE_PAGE_LEN: usize = 4096;
/// Byte offset of the metadata area (`super::metadata`): typed, versioned sections.
pub(crate) const METADATA_OFFSET: usize = 8192;
/// Bytes of the metadata area: the rest of the header.
pub(crate) const METADATA_CAPACITY: usize = HEADER_SIZE - METADATA_OFFSET;

/// First word of every channel: `b"BCASTRNG"` read as a little-endian integer.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"BCASTRNG");
/// Major layout version: the frame format and the meaning of every header word this build
/// reads. A reader refuses a channel of any other major version.
pub(crate) const LAYOUT_MAJOR: u32 = 4;
/// Minor layout version: a newer minor only gives meaning to header words that older ones keep
/// zero, so readers of any minor of one major read each other's channels, but for what the
/// newer words add: minor 1's `table_len`, whose table makes the region longer than a minor-0
/// reader accepts (it refuses such a channel, never misreads it).
pub(crate) const LAYOUT_MINOR: u32 = 1;
/// The `version` word this build writes: the major version in the low half, the minor in the
/// high half.
pub(crate) const LAYOUT_VERSION: u64 = LAYOUT_MAJOR as u64 | (LAYOUT_MINOR as u64) << 32;
/// `state` value once the creator has initialised the header.
pub(crate) const STATE_READY: u64 = u64::from_le_bytes(*b"ready!!\0");

/// Smallest supported data capacity in bytes.
pub(crate) const MIN_CAPACITY: u64 = 256;
/// Largest supported data capacity in bytes (64 GiB); frame lengths stay far inside `u32`.
pub(crate) const MAX_CAPACITY: u64 = 1 << 36;
/// Largest last-value table in bytes (`super::table`), as large as the largest ring.
pub(crate) const MAX_TABLE_LEN: u64 = 1 << 36;

/// Shared header at offset 0 of every channel.
///
/// Every field is an atomic word: the header lives in memory that other threads or processes read
/// and write, so it is only ever touched through atomics (`docs/protocol.md`, ground rules).
/// Readers may map it read-only, so they only ever issue `Relaxed` loads on it and express
/// `Acquire` as a relaxed load followed by `fence(Acquire)`.
///
/// The fields sit in cache lines by who writes them and how often: identity and checkpoints
/// (written once, or once per eighth of a lap) first; `claimed` alone in a 128-byte block,
/// because every read loads it and the writer moves it only once per reserve; `committed` and
/// `frames`, stored after every message but polled by nobody, in a block of their own. (128
/// bytes: the adjacent-line prefetcher of x86-64 moves lines in pairs.)
///
/// # Invariants
///
/// Numbered as in `docs/protocol.md` ("Invariants"), where they are explained; code cites them.
/// They hold for a channel made by this crate; a hostile or corrupt one is caught by
/// [`validate`](Header::validate) (H1, H2, H4, H5) or by checks where the words are used.
/// - **H1** `magic`, `version`, `capacity` and `table_len` are written once, before `state` becomes
///   [`STATE_READY`], and never change afterwards.
/// - **H2** `capacity` is a power of two in `MIN_CAPACITY..=MAX_CAPACITY`, and the data section of
///   `capacity` bytes directly follows the `HEADER_SIZE`-byte header.
/// - **H3** only the writer stores `claimed`, `committed`, `frames`, `checkpoints` and `writer`,
///   and only the creator or the writer appends metadata sections; readers only load them.
/// - **H4** `committed <= claimed` and `claimed - committed <= capacity`; the writer stores no
///   ring word at or above `claimed`.
/// - **H5** `committed`, `claimed` and every frame start are multiples of the frame alignment.
/// - **H6** `metadata_len` is a multiple of 8 and at most `METADATA_CAPACITY`, and only grows;
///   the metadata bytes below it were stored before it (Release) and never change.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) magic: AtomicU64,
    pub(crate) version: AtomicU64,
    pub(crate) capacity: AtomicU64,
    pub(crate) state: AtomicU64,
    /// Random value chosen at creation; tells a reader that a path now names another channel.
    pub(crate) epoch: AtomicU64,
    /// Bytes of metadata sections published at `METADATA_OFFSET` (H6).
    pub(crate) metadata_len: AtomicU64,
    /// Who holds the writer lock of a channel file: its process id and start time packed by
    /// `shm::liveness`, or 0 when no writer holds it. Readers judge liveness from it.
    pub(crate) writer: AtomicU64,
    /// Bytes of the last-value table after the data section (`super::table`); 0 without one.
    /// Written once by the creator, before `state` (minor version 1; zero before it).
    pub(crate) table_len: AtomicU64,
    /// For each eighth of the ring, a frame start in it on the writer's latest pass (the first
    /// there that needed a new reservation): frame boundaries from which a reader can start at
    /// the oldest intact data (see `reader::oldest_start`).
    pub(crate) checkpoints: [AtomicU64; CHECKPOINTS],
    /// The writer's reservation: it stores no ring word at or above it, so bytes below
    /// `claimed - capacity` may have been overwritten. It runs ahead of `committed` by up to a
    /// reserve (`Writer`), so that it changes rarely.
    pub(crate) claimed: AtomicU64,
    _claimed_block: [AtomicU64; 15],
    /// End of the last frame the writer published (stored after the frame's commit word).
    pub(crate) committed: AtomicU64,
    /// Number of messages (non-padding frames) published.
    pub(crate) frames: AtomicU64,
    _committed_block: [AtomicU64; 14],
    _tail: [AtomicU64; 16],
}

/// How many checkpoints the header keeps: the oldest intact frame is found to within
/// `capacity / CHECKPOINTS` bytes.
pub(crate) const CHECKPOINTS: usize = 8;

// M3 (`docs/protocol.md`): the parts of the header do not overlap, and the wake words have
// their page to themselves.
const _: () = assert!(size_of::<Header>() <= WAKE_PAGE_OFFSET);
const _: () = assert!(core::mem::offset_of!(Header, claimed) == 128);
const _: () = assert!(core::mem::offset_of!(Header, committed) == 256);
const _: () = assert!(WAKE_PAGE_OFFSET.is_multiple_of(4096) && WAKE_PAGE_LEN == 4096);
const _: () = assert!(WAKE_PAGE_OFFSET <= WAKE_OFFSET);
const _: () = assert!(WAKE_OFFSET + size_of::<WakeWords>() <= WAKE_PAGE_OFFSET + WAKE_PAGE_LEN);
const _: () = assert!(WAKE_PAGE_OFFSET + WAKE_PAGE_LEN <= METADATA_OFFSET);
const _: () = assert!(METADATA_OFFSET.is_multiple_of(8) && METADATA_CAPACITY.is_multiple_of(8));
const _: () = assert!(HEADER_SIZE.is_multiple_of(4096));

/// The words through which parked readers and the writer meet (`crate::wait`).
///
/// Unlike everything else in a channel, readers write these: a parking reader counts itself in
/// `waiters`, and the writer, which loads `waiters` after each publication, bumps `wake_seq` and
/// wakes the futex on it when the count is not zero.
#[repr(C)]
pub(crate) struct WakeWords {
    /// Readers currently parked or about to park (low 32 bits), and how many times any reader
    /// parked (high 32 bits, wrapping), so that the word changes with every park.
    pub(crate) waiters: AtomicU64,
    /// Bumped by the writer before each wake-up; the futex word (its low 32 bits).
    pub(crate) wake_seq: AtomicU64,
}

impl Header {
    /// Writes a fresh header for a ring of `capacity` bytes and marks it ready.
    ///
    /// Only called by a creator that has exclusive use of the memory (a new heap allocation, a
    /// temporary file no reader can name yet, or caller memory under `init_raw`'s contract), and
    /// whose first data word, the commit word at position 0, is zero: heap rings and new files
    /// are zero-filled, and `init_raw` zeroes it.
    pub(crate) fn initialise(&self, capacity: u64, table_len: u64, epoch: u64) {
        self.magic.store(MAGIC, Ordering::Relaxed);
        self.version.store(LAYOUT_VERSION, Ordering::Relaxed);
        self.capacity.store(capacity, Ordering::Relaxed);
        self.table_len.store(table_len, Ordering::Relaxed);
        self.epoch.store(epoch, Ordering::Relaxed);
        self.metadata_len.store(0, Ordering::Relaxed);
        self.writer.store(0, Ordering::Relaxed);
        self.claimed.store(0, Ordering::Relaxed);
        self.committed.store(0, Ordering::Relaxed);
        self.frames.store(0, Ordering::Relaxed);
        for checkpoint in &self.checkpoints {
            checkpoint.store(0, Ordering::Relaxed);
        }
        // Release: publishes the fields above (H1). Pairs with the fence(Acquire) in `validate`.
        self.state.store(STATE_READY, Ordering::Release);
    }

    /// Checks that the header describes a ready channel whose region is `region_len` bytes, and
    /// returns its capacity. The region is the header, the data section and the last-value
    /// table, if any: what follows the data section is the table.
    pub(crate) fn validate(&self, region_len: u64) -> Result<u64, LayoutError> {
        let magic = self.magic.load(Ordering::Relaxed);
        if magic != MAGIC {
            return Err(LayoutError::NotAChannel { found: magic, expected: MAGIC });
        }
        // Any minor version of our major: a newer minor only adds words we leave alone.
        let major = self.version.load(Ordering::Relaxed) & u64::from(u32::MAX);
        if major != u64::from(LAYOUT_MAJOR) {
            return Err(LayoutError::Version { found: major, expected: LAYOUT_MAJOR.into() });
        }
        if self.state.load(Ordering::Relaxed) != STATE_READY {
            return Err(LayoutError::NotReady);
        }
        // Acquire: pairs with the Release store of `state` in `initialise`, so the fields read
        // below are the creator's.
        fence(Ordering::Acquire);
        let capacity = self.capacity.load(Ordering::Relaxed);
        if !capacity.is_power_of_two() || !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
            return Err(LayoutError::BadCapacity {
                capacity,
                min: MIN_CAPACITY,
                max: MAX_CAPACITY,
            });
        }
        let table_len = self.table_len.load(Ordering::Relaxed);
        if table_len > MAX_TABLE_LEN || !table_len.is_multiple_of(8) {
            return Err(LayoutError::CorruptTable { reason: "table length out of range" });
        }
        let expected = HEADER_SIZE as u64 + capacity + table_len;
        if region_len != expected {
            return Err(LayoutError::SizeMismatch { len: region_len, expected });
        }
        // `committed` first: its fence orders the `claimed` load after it, so a live writer's
        // frontiers are seen consistently (H4).
        let committed = self.load_committed();
        let claimed = self.claimed.load(Ordering::Relaxed);
        let aligned = committed.is_multiple_of(FRAME_ALIGN) && claimed.is_multiple_of(FRAME_ALIGN);
        if !aligned || claimed < committed || claimed - committed > capacity {
            return Err(LayoutError::CorruptFrontiers { committed, claimed });
        }
        Ok(capacity)
    }

    /// The writer's committed frontier, with acquire semantics expressed as a relaxed load and a
    /// fence so that it is valid on read-only mappings.
    #[inline]
    pub(crate) fn load_committed(&self) -> u64 {
        let committed = self.committed.load(Ordering::Relaxed);
        // Acquire: pairs with the Release store of `committed` in `Head::publish`, so the
        // frame bytes below `committed` are visible to the loads that follow.
        fence(Ordering::Acquire);
        committed
    }

    /// The writer's claimed frontier, loaded after the caller's frame loads.
    ///
    /// Call this after loading frame words: the fence orders those loads before the load of
    /// `claimed`, so if any of them saw a store of a later lap, `claimed` shows that lap.
    #[inline]
    pub(crate) fn claimed_after_loads(&self) -> u64 {
        // Acquire: pairs with the fence(Release) in `Head::reserve_past` that follows the store
        // of `claimed` and precedes the writer's frame stores.
        fence(Ordering::Acquire);
        self.claimed.load(Ordering::Relaxed)
    }
}

/// Smallest ring of at least `requested` bytes: a power of two clamped to the supported range.
pub(crate) fn round_capacity(requested: usize) -> u64 {
    let requested = u64::try_from(requested).unwrap_or(u64::MAX);
    requested.clamp(MIN_CAPACITY, MAX_CAPACITY).next_power_of_two()
}

/// A value that differs between channels made at different times or by different processes,
/// for the header's `epoch`: `RandomState` is seeded from the OS's randomness, and the counter
/// separates calls.
pub(crate) fn new_epoch() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one(CALLS.fetch_add(1, Ordering::Relaxed))
}

/// The largest payload of any ring: the frame header stores a length in 32 bits, and a padding
/// frame's span is shorter than the frame that did not fit, so frames are kept to 2^32 bytes
/// (a multiple of the alignment).
pub(crate) const MAX_MTU: u64 = (1 << 32) - FRAME_HEADER_LEN;

/// The MTU of a ring of `capacity` bytes: a frame may take at most a quarter of the ring, so a
/// reader that keeps up with the writer is never lapped by a single large frame, and its length
/// must fit the frame header ([`MAX_MTU`], which binds rings of 32 GiB and more).
pub(crate) fn mtu_for(capacity: u64) -> usize {
    let mtu = (capacity / 4).saturating_sub(FRAME_HEADER_LEN).min(MAX_MTU);
    usize::try_from(mtu).unwrap_or(usize::MAX)
}

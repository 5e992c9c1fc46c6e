//! The ring protocol: one writer, many readers, variable-size frames, no locks. The channel
//! layout and the protocol are written down, for implementers of other readers too, in
//! `docs/protocol.md`; this is the summary that the code follows.
//!
//! # Vocabulary
//!
//! - *position*: a monotonically increasing `u64` byte offset into the stream of frames;
//! - *index*: `position & (capacity - 1)`, the byte offset inside the data section;
//! - *frame*: a 32-byte header whose first word, the *commit word*, is stored last; the payload;
//!   and padding to 16 bytes ([`frame`]);
//! - *lap*: `position / capacity`; every lap boundary is a frame boundary;
//! - *claimed*: the writer's reservation, which no ring store reaches; *committed*: the end of
//!   the last frame published ([`header`]).
//!
//! ```text
//!  0            4096         8192              65536                                65536 + capacity
//!  | header      | wake words | metadata area   | data section (capacity bytes)           |
//!  | identity    | (parked    | sections: the   | [c|hdr|payload..][c|hdr|payload][0 ...] |
//!  | checkpoints |  readers)  | schema registry |  ^ oldest intact   ^ committed           |
//!  | claimed     |            | ([`metadata`])  |                    (commit word 0: nothing yet)
//!  | committed   |            |                 |
//! ```
//!
//! # Protocol (`docs/protocol.md`)
//!
//! Every access to ring memory is an 8-byte atomic ([`raw`]). The writer publishes a frame that
//! spans `start..end` as:
//!
//! 1. if its reservation does not reach past `end`: `claimed.store(end + capacity / 16,
//!    Relaxed)`, then `fence(Release)` (once per reserve, not per message);
//! 2. relaxed word stores of the payload and of header words 1..3;
//! 3. a relaxed store of 0 to the commit word at `end`, where the next frame will start;
//! 4. the commit word at `start`, with `Release`;
//! 5. `frames`, and `committed.store(end, Release)` for readers that start at it.
//!
//! A reader at a frame boundary `position` loads the commit word there and issues
//! `fence(Acquire)`. Zero means nothing is published there yet (after a lap check, below). A
//! non-zero word is the frame the writer published at `position`, or a store of a later lap:
//! the reader got to `position` by acquiring the frame that ends there, whose writer cleared the
//! word (step 3) before publishing it, or by acquiring `committed` at or after `position`, so by
//! coherence it cannot load an earlier lap's value. It then loads the header words and the
//! payload, issues `fence(Acquire)` and loads `claimed`. If `claimed - position > capacity`,
//! some store of a later lap may have reached the words it loaded: every such store follows a
//! reservation past `position + capacity` and the writer's `fence(Release)`, and the reader's
//! fence synchronises with that fence once it loaded any of them, so `claimed` shows it. The copy
//! is discarded and the read reports [`Error::Overrun`](crate::Error::Overrun). Otherwise the
//! words are exactly the published frame. The same check on the zero path tells a reader that
//! was lapped (and whose word the writer cleared for a later frame) instead of leaving it
//! waiting. A frame reaching past `claimed` is corrupt: the writer reserves before it stores.
//! Torn values are defined behaviour under this scheme because every access is atomic; they are
//! simply never returned.
//!
//! The lap check stays on `claimed`: `committed` can trail stores of a later lap that a reader
//! saw (bcast 0.0.6's bug). Because `claimed` moves only once per reserve and sits in a cache
//! line of its own, a small message costs a reader one line transfer, the frame's: the line of
//! `claimed` stays in its cache. The reserve costs ring space: a reader is overrun once it is
//! more than `capacity - capacity / 16` (less the frame in progress) behind.
//!
//! Readers never write shared memory, which is why a ring can be mapped read-only for them.

pub(crate) mod frame;
pub(crate) mod header;
pub(crate) mod metadata;
pub(crate) mod raw;
pub(crate) mod storage;
pub(crate) mod table;
pub(crate) mod wide;

use crate::sync::{AtomicBool, Ordering};
use header::mtu_for;
use raw::RawRing;
use storage::Storage;

/// State shared by every handle to one ring: the memory, its validated view and the in-process
/// single-writer flag.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) ring: RawRing,
    /// Largest payload a frame may carry.
    pub(crate) mtu: usize,
    /// The last-value table after the data section, if the ring has one.
    pub(crate) table: Option<table::Table>,
    /// Set while a `Writer` for this ring exists in this process.
    writer_active: AtomicBool,
    /// The async wake-up hub of this ring, while any async stream uses it (`wait::hub`). Its
    /// type is erased so that the ring does not name the layer above it, which downcasts it.
    #[cfg(feature = "async")]
    pub(crate) hub: std::sync::Mutex<std::sync::Weak<dyn core::any::Any + Send + Sync>>,
    /// Where this process's readers park, made on first use (`crate::wait`).
    park: std::sync::OnceLock<Option<storage::ParkSpot>>,
    /// Owns the memory `ring` points into; dropped last.
    storage: Storage,
}

impl Shared {
    /// Wraps validated storage.
    pub(crate) fn new(storage: Storage) -> Self {
        let ring = storage.ring();
        Self {
            ring,
            mtu: mtu_for(ring.capacity()),
            table: storage.table(),
            writer_active: AtomicBool::new(false),
            #[cfg(feature = "async")]
            hub: std::sync::Mutex::new(std::sync::Weak::<()>::new()),
            park: std::sync::OnceLock::new(),
            storage,
        }
    }

    /// Takes the in-process writer slot; `false` if a writer already holds it.
    pub(crate) fn acquire_writer(&self) -> bool {
        // Acquire: pairs with the Release in `release_writer`, so the new writer sees every store
        // of the previous one (its cursor state is re-read from the header).
        self.writer_active
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Gives the writer slot back.
    pub(crate) fn release_writer(&self) {
        // Release: pairs with the Acquire in `acquire_writer`.
        self.writer_active.store(false, Ordering::Release);
    }

    /// Whether a `Writer` of this ring is alive in this process.
    pub(crate) fn writer_active(&self) -> bool {
        self.writer_active.load(Ordering::Relaxed)
    }

    /// The wake words this process's readers may write to park, if any.
    pub(crate) fn park_spot(&self) -> Option<&storage::ParkSpot> {
        self.park.get_or_init(|| self.storage.park_spot()).as_ref()
    }

    /// The storage behind the ring.
    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }
}

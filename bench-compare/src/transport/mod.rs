//! One interface over the crates compared, so that each bench body is written once.
//!
//! A [`Channel`] is a ring that threads share (`Sync`); each thread makes its own
//! [`Sender`] or [`Receiver`] from it *on that thread*. That is how the benches work around
//! bcast 1.0's handles not being `Send` (its `Writer` and `Reader` hold a raw pointer): the
//! storage handle (`SharedStorage<LocalStorage>`, or a path for `/dev/shm`) crosses threads, and
//! the writer or reader is built from it where it runs, as bcast 1.0's own `rtt` bench does.
//!
//! Every call is a thin, `#[inline]` forward to the crate's own single-message API: ours
//! `Writer::send` / `Reader::try_recv`, bcast 1.0 `Writer::send` / `Reader::receive_next`, bcast
//! 0.0.6 `Claim` + `copy_from_slice` / `Reader::receive_next` + `Message::read`; iceoryx2 and
//! tokio's `broadcast` as their modules describe ([`iceoryx`], [`tokio_broadcast`]). The benches
//! are generic over these traits, so each crate gets its own monomorphised copy of the loop.
//!
//! Ours and bcast 1.0 make their channels with the same calls, so their channel and factory
//! types are written once, in [`ring`]; [`HeapFactory`] serves every heap ring.

pub mod bcast006;
pub mod iceoryx;
pub mod ours;
pub mod peer;
pub mod ring;
mod shm_names;
pub mod tokio_broadcast;

use std::marker::PhantomData;

pub use shm_names::{ShmNames, remove as remove_channel};

/// Which crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impl {
    /// `bcast` 0.1.0, this workspace.
    Ours,
    /// `bcast` 1.0.0-rc.7 from crates.io.
    Peer,
    /// `bcast` 0.0.6 from crates.io: the API this project started from.
    Bcast006,
    /// iceoryx2 0.10.0's publish-subscribe service ([`iceoryx`]).
    Iceoryx2,
    /// `tokio::sync::broadcast` ([`tokio_broadcast`]); heap only.
    Tokio,
    /// Not a crate: two threads taking turns writing one cache line ([`crate::floor`]).
    FloorOneLine,
    /// Not a crate: a ping line and a pong line ([`crate::floor`]).
    FloorTwoLines,
}

impl Impl {
    /// Short label used in tables and CSV files.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Peer => "bcast-1.0",
            Self::Bcast006 => "bcast-0.0.6",
            Self::Iceoryx2 => "iceoryx2",
            Self::Tokio => "tokio",
            Self::FloorOneLine => "floor-1line",
            Self::FloorTwoLines => "floor-2line",
        }
    }

    /// Every variant.
    pub const ALL: [Self; 7] = [
        Self::Ours,
        Self::Peer,
        Self::Bcast006,
        Self::Iceoryx2,
        Self::Tokio,
        Self::FloorOneLine,
        Self::FloorTwoLines,
    ];

    /// Parses a [`label`](Self::label).
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.label() == label)
    }

    /// Whether this is the hardware floor rather than a crate.
    pub fn is_floor(self) -> bool {
        matches!(self, Self::FloorOneLine | Self::FloorTwoLines)
    }
}

/// Where a ring's memory lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// A heap allocation shared by the threads of one process.
    Heap,
    /// A file under `/dev/shm`, mapped by the writer and (separately) by each reader.
    Shm,
}

impl Storage {
    /// Short label used in tables and CSV files.
    pub fn label(self) -> &'static str {
        match self {
            Self::Heap => "heap",
            Self::Shm => "shm",
        }
    }
}

/// What a non-blocking read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recv {
    /// Nothing is pending.
    Empty,
    /// A message of this many bytes was copied into the buffer.
    Message(usize),
    /// The writer lapped the reader; the receiver has already moved on: to the writer's
    /// position for the rings, to the oldest value still held for tokio (its `Lagged`). iceoryx2
    /// never reports one (see [`iceoryx`]).
    Overrun,
}

/// The writing side of a ring.
pub trait Sender {
    /// Publishes a copy of `payload`.
    fn send(&mut self, payload: &[u8]);

    /// Publishes a `len`-byte message that `fill` writes in place (each crate's claim API).
    fn publish(&mut self, len: usize, fill: impl FnOnce(&mut [u8]));
}

/// The reading side of a ring.
pub trait Receiver {
    /// Copies the next message into `buf`, if there is one. On an overrun the receiver moves on
    /// (see [`Recv::Overrun`]) before returning it.
    fn try_recv(&mut self, buf: &mut [u8]) -> Recv;
}

/// A ring shared by the threads of a bench.
pub trait Channel: Sync {
    /// The writer type.
    type Tx: Sender;
    /// The reader type.
    type Rx: Receiver;

    /// Whether the channel keeps messages when no reader exists (a ring does: its memory holds
    /// the last lap). Where it does not (tokio drops a value nobody can receive, iceoryx2 without
    /// history delivers to nobody), writer-alone runs keep one idle reader connected, so that the
    /// writer does the work of storing every message.
    const STORES_WITHOUT_READER: bool = true;

    /// Makes the ring's only writer. Call it before making any reader.
    fn writer(&self) -> Self::Tx;

    /// Makes a reader that starts at the writer's current position.
    fn reader(&self) -> Self::Rx;

    /// Makes a reader that starts at the oldest message still in the ring, where the crate can
    /// (to verify what a writer-alone run left behind).
    fn replay(&self) -> Option<Self::Rx>;
}

/// Makes fresh channels of one crate and storage.
pub trait Factory {
    /// The channel type.
    type Chan: Channel;

    /// A new, empty ring (for `/dev/shm`, a new file, removed when the factory is dropped).
    fn make(&mut self) -> Self::Chan;
}

/// A channel, or the memory of one, made from its data capacity alone: a heap ring.
pub trait FromCapacity {
    /// A new, empty ring of `capacity` data bytes.
    fn from_capacity(capacity: usize) -> Self;
}

/// Makes heap rings of type `C`.
#[derive(Debug)]
pub struct HeapFactory<C> {
    capacity: usize,
    chan: PhantomData<fn() -> C>,
}

impl<C> HeapFactory<C> {
    /// Rings of `capacity` data bytes.
    pub fn new(capacity: usize) -> Self {
        Self { capacity, chan: PhantomData }
    }
}

impl<C: Channel + FromCapacity> Factory for HeapFactory<C> {
    type Chan = C;

    #[inline(never)] // set-up stays out of the benches' loops: see `ring`
    fn make(&mut self) -> C {
        C::from_capacity(self.capacity)
    }
}

/// A bench body, generic over the channel type; see [`visit`].
pub trait Visitor {
    /// What the body returns.
    type Out;

    /// Runs the body with channels from `factory`.
    fn visit<F: Factory>(self, factory: F) -> Self::Out;
}

/// Runs `visitor` with a factory of `capacity`-byte rings of bcast crate `imp` (ours, 1.0 or
/// 0.0.6) over `storage`. Benches without the peers use this one, so that they do not compile
/// the peers' code; see [`visit_with_peers`].
///
/// # Panics
///
/// For bcast 0.0.6 over `/dev/shm` (no file-backed storage), and for a peer or the floor.
pub fn visit<V: Visitor>(imp: Impl, storage: Storage, capacity: usize, visitor: V) -> V::Out {
    match (imp, storage) {
        (Impl::Ours, Storage::Heap) => {
            visitor.visit(HeapFactory::<ours::HeapChannel>::new(capacity))
        }
        (Impl::Ours, Storage::Shm) => visitor.visit(ring::ShmFactory::<ours::Files>::new(capacity)),
        (Impl::Peer, Storage::Heap) => {
            visitor.visit(HeapFactory::<peer::HeapChannel>::new(capacity))
        }
        (Impl::Peer, Storage::Shm) => visitor.visit(ring::ShmFactory::<peer::Files>::new(capacity)),
        (Impl::Bcast006, Storage::Heap) => {
            visitor.visit(HeapFactory::<bcast006::HeapChannel>::new(capacity))
        }
        (Impl::Bcast006, Storage::Shm) => panic!("bcast 0.0.6 has no file-backed storage"),
        (other, _) => panic!("{} is not a bcast crate: use `visit_with_peers`", other.label()),
    }
}

/// [`visit`], the peers included: iceoryx2 (its `local` service on the heap, `ipc` on
/// `/dev/shm`) and tokio's `broadcast` (heap), sized for messages of at most `max_len` bytes
/// (iceoryx2 has fixed-size slots; both hold `capacity / max_len` messages).
///
/// # Panics
///
/// For bcast 0.0.6 or tokio over `/dev/shm` (no file-backed storage), and for the floor (not a
/// channel: see [`crate::floor`]).
pub fn visit_with_peers<V: Visitor>(
    imp: Impl,
    storage: Storage,
    capacity: usize,
    max_len: usize,
    visitor: V,
) -> V::Out {
    use iceoryx2::prelude::{ipc, local};
    match (imp, storage) {
        (Impl::Iceoryx2, Storage::Heap) => {
            visitor.visit(iceoryx::IoxFactory::<local::Service>::new(capacity, max_len))
        }
        (Impl::Iceoryx2, Storage::Shm) => {
            visitor.visit(iceoryx::IoxFactory::<ipc::Service>::new(capacity, max_len))
        }
        (Impl::Tokio, Storage::Heap) => {
            visitor.visit(tokio_broadcast::TokioFactory::new(capacity, max_len))
        }
        (Impl::Tokio, Storage::Shm) => panic!("tokio's broadcast is in-process only"),
        (Impl::FloorOneLine | Impl::FloorTwoLines, _) => panic!("the floor is not a channel"),
        (bcast, _) => visit(bcast, storage, capacity, visitor),
    }
}

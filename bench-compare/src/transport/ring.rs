//! The channels of ours and bcast 1.0, written once for both.
//!
//! The two crates make writers and readers alike: from a heap ring handle that each thread
//! clones, or from a channel file that the writer creates and each reader maps read-only, with
//! the same calls (`into_writer`, `into_reader`, and a reader at the oldest data). Each crate module
//! implements [`ReadHandle`] and [`WriteHandle`] for its handle types (with the `ring_handles!`
//! macro below), [`FromCapacity`] for its heap handle and [`FileApi`] for its files;
//! [`HeapChannel`], [`ShmChannel`] and [`ShmFactory`] do the rest. Only set-up goes through these traits: the
//! per-message calls are the crates' own `Sender` and `Receiver` impls.
//!
//! The set-up methods here are `#[inline(never)]`: a bench makes its writer or reader in the
//! function that then runs its loop, and set-up inlined there would change how that loop is
//! compiled. Out of line, they stay a call, as they were when each crate had its own concrete
//! channel types in this library (which the benches could not inline).

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use super::{Channel, Factory, FromCapacity, Receiver, Sender, ShmNames};

/// Ring memory that readers are made from: ours `RingBuffer`, a bcast 1.0 storage.
pub trait ReadHandle {
    /// The reader.
    type Rx: Receiver;

    /// A reader at the writer's position (`into_reader`).
    fn reader(self) -> Self::Rx;

    /// A reader at the oldest message the ring still holds.
    fn replay(self) -> Self::Rx;
}

/// Ring memory that the ring's writer is made from.
pub trait WriteHandle {
    /// The writer.
    type Tx: Sender;

    /// The ring's only writer (`into_writer`).
    fn writer(self) -> Self::Tx;
}

/// Implements [`ReadHandle`] for the handle types after `read:` and [`WriteHandle`] for those
/// after `write:`, each `handle => its reader or writer type`, by forwarding to the handle's
/// `into_reader`, the method after `replay:` (ours `into_reader_at_oldest`, bcast 1.0's
/// `into_reader_at_last_lap`) and `into_writer`.
///
/// A macro because ours and bcast 1.0 name these calls alike but share no trait, so generic code
/// cannot call them; and one blanket impl over bcast 1.0's `Storage` trait would overlap ours
/// (the compiler cannot rule out that trait gaining an impl for our `RingBuffer`).
macro_rules! ring_handles {
    (read: $($r:ty => $rx:ty),+; replay: $replay:ident; write: $($w:ty => $tx:ty),+ $(;)?) => {
        $(
            impl $crate::transport::ring::ReadHandle for $r {
                type Rx = $rx;

                fn reader(self) -> $rx {
                    self.into_reader()
                }

                fn replay(self) -> $rx {
                    self.$replay()
                }
            }
        )+
        $(
            impl $crate::transport::ring::WriteHandle for $w {
                type Tx = $tx;

                fn writer(self) -> $tx {
                    self.into_writer()
                }
            }
        )+
    };
}
pub(crate) use ring_handles;

/// A heap ring: the threads share handle `H`, and each makes its writer or reader from a clone.
pub struct HeapChannel<H>(H);

impl<H> fmt::Debug for HeapChannel<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HeapChannel").field(&std::any::type_name::<H>()).finish()
    }
}

impl<H: FromCapacity> FromCapacity for HeapChannel<H> {
    fn from_capacity(capacity: usize) -> Self {
        Self(H::from_capacity(capacity))
    }
}

impl<H: ReadHandle + WriteHandle + Clone + Sync> Channel for HeapChannel<H> {
    type Tx = H::Tx;
    type Rx = H::Rx;

    #[inline(never)]
    fn writer(&self) -> H::Tx {
        self.0.clone().writer()
    }

    #[inline(never)]
    fn reader(&self) -> H::Rx {
        self.0.clone().reader()
    }

    #[inline(never)]
    fn replay(&self) -> Option<H::Rx> {
        Some(self.0.clone().replay())
    }
}

/// How a crate creates and maps a channel file.
pub trait FileApi {
    /// The crate, in panic messages.
    const NAME: &'static str;
    /// What creating or mapping a file can fail with.
    type Error: fmt::Display;
    /// The writable mapping the writer is made from.
    type Created: WriteHandle;
    /// The read-only mapping a reader is made from.
    type Attached: ReadHandle;

    /// Creates a channel file of `capacity` data bytes at `path` and maps it.
    ///
    /// # Errors
    ///
    /// As the crate's call.
    fn create(path: &Path, capacity: usize) -> Result<Self::Created, Self::Error>;

    /// Maps the channel file at `path` read-only.
    ///
    /// # Errors
    ///
    /// As the crate's call.
    fn attach(path: &Path) -> Result<Self::Attached, Self::Error>;
}

/// A channel file of the crate of `F`: the writer creates it, each reader maps it read-only on
/// its own.
#[derive(Debug)]
pub struct ShmChannel<F> {
    path: PathBuf,
    capacity: usize,
    api: PhantomData<fn() -> F>,
}

impl<F: FileApi> ShmChannel<F> {
    /// The channel at `path`, of `capacity` data bytes once its writer creates it.
    pub fn new(path: &Path, capacity: usize) -> Self {
        Self { path: path.to_owned(), capacity, api: PhantomData }
    }

    fn attach(&self) -> F::Attached {
        F::attach(&self.path)
            .unwrap_or_else(|e| panic!("{}: attach {}: {e}", F::NAME, self.path.display()))
    }
}

impl<F: FileApi> Channel for ShmChannel<F> {
    type Tx = <F::Created as WriteHandle>::Tx;
    type Rx = <F::Attached as ReadHandle>::Rx;

    #[inline(never)]
    fn writer(&self) -> Self::Tx {
        F::create(&self.path, self.capacity)
            .unwrap_or_else(|e| panic!("{}: create {}: {e}", F::NAME, self.path.display()))
            .writer()
    }

    #[inline(never)]
    fn reader(&self) -> Self::Rx {
        self.attach().reader()
    }

    #[inline(never)]
    fn replay(&self) -> Option<Self::Rx> {
        Some(self.attach().replay())
    }
}

/// Makes channel files of the crate of `F` under `/dev/shm`, removed (with their lock files)
/// when the factory is dropped.
#[derive(Debug)]
pub struct ShmFactory<F> {
    names: ShmNames,
    capacity: usize,
    api: PhantomData<fn() -> F>,
}

impl<F> ShmFactory<F> {
    /// Channels of `capacity` data bytes.
    pub fn new(capacity: usize) -> Self {
        Self { names: ShmNames::new(), capacity, api: PhantomData }
    }
}

impl<F: FileApi> Factory for ShmFactory<F> {
    type Chan = ShmChannel<F>;

    #[inline(never)]
    fn make(&mut self) -> ShmChannel<F> {
        ShmChannel::new(&self.names.fresh(), self.capacity)
    }
}

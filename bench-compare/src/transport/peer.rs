//! `bcast` 1.0.0-rc.7 from crates.io behind the bench interface.
//!
//! Its `Writer` and `Reader` are not `Send`, so channels hand out storage handles
//! (`SharedStorage<LocalStorage>`, or a path) and each thread builds its own writer or reader
//! from one, as that crate's own benches do. Writers use the default configuration (a claim
//! reserve of 1 % of the capacity), as a user would.

use std::path::{Path, PathBuf};

use bcast_peer::{
    Error, HEADER_SIZE, LocalStorage, MmapMutStorage, MmapStorage, Reader, SharedStorage,
    Storage as PeerStorage, StorageExt, Writer,
};

use super::{Channel, Factory, Receiver, Recv, Sender, ShmNames};

impl<S> Sender for Writer<S> {
    #[inline]
    fn send(&mut self, payload: &[u8]) {
        Writer::send(self, payload, true);
    }

    #[inline]
    fn publish(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        Writer::publish(self, len, true, fill);
    }
}

impl<S: PeerStorage> Receiver for Reader<S> {
    #[inline]
    fn try_recv(&mut self, buf: &mut [u8]) -> Recv {
        match self.receive_next(buf) {
            Some(Ok(message)) => Recv::Message(message.payload.len()),
            None => Recv::Empty,
            Some(Err(Error::Overrun(_))) => {
                self.reset();
                Recv::Overrun
            }
            Some(Err(error)) => panic!("bcast 1.0: read failed: {error}"),
        }
    }
}

/// A heap ring.
pub struct HeapChannel(SharedStorage<LocalStorage>);

impl std::fmt::Debug for HeapChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("peer::HeapChannel").field("len", &self.0.len()).finish()
    }
}

impl Channel for HeapChannel {
    type Tx = Writer<SharedStorage<LocalStorage>>;
    type Rx = Reader<SharedStorage<LocalStorage>>;

    fn writer(&self) -> Self::Tx {
        self.0.clone().into_writer()
    }

    fn reader(&self) -> Self::Rx {
        self.0.clone().into_reader()
    }

    fn replay(&self) -> Option<Self::Rx> {
        Some(self.0.clone().into_reader_at_last_lap())
    }
}

/// Makes heap rings.
#[derive(Debug)]
pub struct HeapFactory {
    /// Data capacity of each ring in bytes.
    pub capacity: usize,
}

impl Factory for HeapFactory {
    type Chan = HeapChannel;

    fn make(&mut self) -> HeapChannel {
        HeapChannel(LocalStorage::with_capacity(self.capacity).into_shared())
    }
}

/// A channel file: the writer creates it (`MmapMutStorage::new`, which also takes the
/// `<path>.lock` sidecar), each reader maps it read-only (`MmapStorage::attach`).
#[derive(Debug)]
pub struct ShmChannel {
    path: PathBuf,
    capacity: usize,
}

impl ShmChannel {
    /// The channel at `path`, of `capacity` data bytes once its writer creates it.
    pub fn new(path: &Path, capacity: usize) -> Self {
        Self { path: path.to_owned(), capacity }
    }

    fn attach(&self) -> MmapStorage {
        MmapStorage::attach(&self.path)
            .unwrap_or_else(|e| panic!("bcast 1.0: attach {}: {e}", self.path.display()))
    }
}

impl Channel for ShmChannel {
    type Tx = Writer<MmapMutStorage>;
    type Rx = Reader<MmapStorage>;

    fn writer(&self) -> Self::Tx {
        MmapMutStorage::new(&self.path, HEADER_SIZE + self.capacity)
            .unwrap_or_else(|e| panic!("bcast 1.0: create {}: {e}", self.path.display()))
            .into_writer()
    }

    fn reader(&self) -> Self::Rx {
        self.attach().into_reader()
    }

    fn replay(&self) -> Option<Self::Rx> {
        Some(self.attach().into_reader_at_last_lap())
    }
}

/// Makes channel files under `/dev/shm`, removed (with their lock files) when dropped.
#[derive(Debug)]
pub struct ShmFactory {
    names: ShmNames,
    capacity: usize,
}

impl ShmFactory {
    /// Channels of `capacity` data bytes.
    pub fn new(capacity: usize) -> Self {
        Self { names: ShmNames::new(), capacity }
    }
}

impl Factory for ShmFactory {
    type Chan = ShmChannel;

    fn make(&mut self) -> ShmChannel {
        ShmChannel::new(&self.names.fresh(), self.capacity)
    }
}

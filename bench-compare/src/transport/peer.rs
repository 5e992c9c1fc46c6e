//! `bcast` 1.0.0-rc.7 from crates.io behind the bench interface.
//!
//! Its `Writer` and `Reader` are not `Send`, so channels hand out storage handles
//! (`SharedStorage<LocalStorage>`, or a path) and each thread builds its own writer or reader
//! from one, as that crate's own benches do. Writers use the default configuration (a claim
//! reserve of 1 % of the capacity), as a user would.

use std::path::Path;

use bcast_peer::{
    Error, HEADER_SIZE, LocalStorage, MmapMutStorage, MmapStorage, Reader, SharedStorage,
    Storage as PeerStorage, StorageExt, Writer,
};

use super::ring::{self, FileApi, ring_handles};
use super::{FromCapacity, Receiver, Recv, Sender};

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

/// A heap ring's memory, shared by the handles made from it.
type Heap = SharedStorage<LocalStorage>;

ring_handles! {
    read: Heap => Reader<Heap>, MmapStorage => Reader<MmapStorage>;
    replay: into_reader_at_last_lap;
    write: Heap => Writer<Heap>, MmapMutStorage => Writer<MmapMutStorage>;
}

impl FromCapacity for Heap {
    fn from_capacity(capacity: usize) -> Self {
        LocalStorage::with_capacity(capacity).into_shared()
    }
}

/// A heap ring.
pub type HeapChannel = ring::HeapChannel<Heap>;

/// bcast 1.0's channel files: the writer creates one with `MmapMutStorage::new` (which also takes
/// the `<path>.lock` sidecar), each reader maps it read-only with `MmapStorage::attach`.
#[derive(Debug)]
pub enum Files {}

impl FileApi for Files {
    const NAME: &'static str = "bcast 1.0";
    type Error = std::io::Error;
    type Created = MmapMutStorage;
    type Attached = MmapStorage;

    fn create(path: &Path, capacity: usize) -> std::io::Result<MmapMutStorage> {
        MmapMutStorage::new(path, HEADER_SIZE + capacity)
    }

    fn attach(path: &Path) -> std::io::Result<MmapStorage> {
        MmapStorage::attach(path)
    }
}

/// A channel file: the writer creates it, each reader maps it read-only on its own.
pub type ShmChannel = ring::ShmChannel<Files>;

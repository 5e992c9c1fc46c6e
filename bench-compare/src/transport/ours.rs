//! `bcast` 0.1.0 (this workspace) behind the bench interface.

use std::path::Path;

use bcast::{Error, OpenError, ReadOnly, Reader, RingBuffer, Writer};

use super::ring::{self, FileApi, ring_handles};
use super::{FromCapacity, Receiver, Recv, Sender};

impl Sender for Writer {
    #[inline]
    fn send(&mut self, payload: &[u8]) {
        Writer::send(self, payload).expect("payload within the MTU");
    }

    #[inline]
    fn publish(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        let mut claim = self.claim(len).expect("payload within the MTU");
        fill(claim.get_buffer_mut());
        claim.commit();
    }
}

impl Receiver for Reader {
    #[inline]
    fn try_recv(&mut self, buf: &mut [u8]) -> Recv {
        match Reader::try_recv(self, buf) {
            Ok(Some(received)) => Recv::Message(received.len),
            Ok(None) => Recv::Empty,
            Err(Error::Overrun(_)) => {
                self.reset();
                Recv::Overrun
            }
            Err(error) => panic!("ours: read failed: {error}"),
        }
    }
}

ring_handles! {
    read: RingBuffer => Reader, RingBuffer<ReadOnly> => Reader;
    replay: into_reader_at_oldest;
    write: RingBuffer => Writer;
}

impl FromCapacity for RingBuffer {
    fn from_capacity(capacity: usize) -> Self {
        RingBuffer::with_capacity(capacity)
    }
}

/// A heap ring.
pub type HeapChannel = ring::HeapChannel<RingBuffer>;

/// Our channel files: `RingBuffer::create`, and `RingBuffer::attach` (read-only) for each reader.
#[derive(Debug)]
pub enum Files {}

impl FileApi for Files {
    const NAME: &'static str = "ours";
    type Error = OpenError;
    type Created = RingBuffer;
    type Attached = RingBuffer<ReadOnly>;

    fn create(path: &Path, capacity: usize) -> Result<RingBuffer, OpenError> {
        RingBuffer::create(path, capacity)
    }

    fn attach(path: &Path) -> Result<RingBuffer<ReadOnly>, OpenError> {
        RingBuffer::attach(path)
    }
}

/// A channel file: the writer creates it, each reader maps it read-only on its own.
pub type ShmChannel = ring::ShmChannel<Files>;

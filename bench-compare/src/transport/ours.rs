//! `bcast` 0.1.0 (this workspace) behind the bench interface.

use std::path::{Path, PathBuf};

use bcast::{Error, Reader, RingBuffer, Writer};

use super::{Channel, Factory, Receiver, Recv, Sender, ShmNames};

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

/// A heap ring.
#[derive(Debug)]
pub struct HeapChannel(RingBuffer);

impl Channel for HeapChannel {
    type Tx = Writer;
    type Rx = Reader;

    fn writer(&self) -> Writer {
        self.0.clone().into_writer()
    }

    fn reader(&self) -> Reader {
        self.0.clone().into_reader()
    }

    fn replay(&self) -> Option<Reader> {
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
        HeapChannel(RingBuffer::with_capacity(self.capacity))
    }
}

/// A channel file: the writer creates it, each reader maps it read-only on its own.
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

    fn attach(&self) -> RingBuffer<bcast::ReadOnly> {
        RingBuffer::attach(&self.path)
            .unwrap_or_else(|e| panic!("ours: attach {}: {e}", self.path.display()))
    }
}

impl Channel for ShmChannel {
    type Tx = Writer;
    type Rx = Reader;

    fn writer(&self) -> Writer {
        RingBuffer::create(&self.path, self.capacity)
            .unwrap_or_else(|e| panic!("ours: create {}: {e}", self.path.display()))
            .into_writer()
    }

    fn reader(&self) -> Reader {
        self.attach().into_reader()
    }

    fn replay(&self) -> Option<Reader> {
        Some(self.attach().into_reader_at_last_lap())
    }
}

/// Makes channel files under `/dev/shm`, removed when the factory is dropped.
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

//! `bcast` 0.0.6 from crates.io (the API this project started from) behind the bench interface.
//!
//! 0.0.6's only constructor is `RingBuffer::new(&[u8])`, and its writer then stores through that
//! shared slice: the unsoundness of ground rule 7 in `docs/protocol.md`, which our crate's API
//! replaces. The benches still run it, as the historical baseline, over a heap buffer that nothing
//! else touches, aligned for its 128-byte header. Its handles do not borrow the buffer (the crate
//! erases the lifetime), so every handle made here owns an `Arc` of the buffer, declared after the
//! handle so that it is dropped after it. It has no file-backed storage, no reset after an overrun
//! (a new reader at the producer's position stands in for one) and no way to start a reader
//! anywhere but at the producer.

use std::sync::Arc;

use bcast006::error::Error;
use bcast006::{HEADER_SIZE, Reader, RingBuffer, Writer};

use super::{Channel, FromCapacity, Receiver, Recv, Sender};

/// Alignment of 0.0.6's header (a `CachePadded` atomic).
const HEADER_ALIGN: usize = 128;

/// Heap memory for one 0.0.6 ring.
#[derive(Debug)]
struct Memory {
    bytes: Box<[u8]>,
    /// Offset of the first `HEADER_ALIGN`-aligned byte of `bytes`.
    start: usize,
    /// Header plus data capacity.
    len: usize,
}

impl Memory {
    fn new(capacity: usize) -> Self {
        let len = HEADER_SIZE + capacity;
        let bytes = vec![0u8; len + HEADER_ALIGN].into_boxed_slice();
        let start = bytes.as_ptr().align_offset(HEADER_ALIGN);
        Self { bytes, start, len }
    }

    fn ring(&self) -> RingBuffer {
        RingBuffer::new(&self.bytes[self.start..self.start + self.len])
    }
}

/// 0.0.6's writer and the memory it writes to.
#[derive(Debug)]
pub struct Bcast006Writer {
    writer: Writer,
    _memory: Arc<Memory>,
}

impl Sender for Bcast006Writer {
    #[inline]
    fn send(&mut self, payload: &[u8]) {
        let mut claim = self.writer.claim(payload.len()).expect("payload within the MTU");
        claim.get_buffer_mut().copy_from_slice(payload);
        claim.commit();
    }

    #[inline]
    fn publish(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        let mut claim = self.writer.claim(len).expect("payload within the MTU");
        fill(claim.get_buffer_mut());
        claim.commit();
    }
}

/// 0.0.6's reader, a ring handle to make its replacement after an overrun, and the memory.
pub struct Bcast006Reader {
    reader: Reader,
    ring: RingBuffer,
    _memory: Arc<Memory>,
}

impl std::fmt::Debug for Bcast006Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bcast006Reader").field("ring", &self.ring).finish_non_exhaustive()
    }
}

impl Receiver for Bcast006Reader {
    #[inline]
    fn try_recv(&mut self, buf: &mut [u8]) -> Recv {
        loop {
            let read = match self.reader.receive_next() {
                None => return Recv::Empty,
                Some(Ok(message)) if message.is_padding => continue,
                Some(Ok(message)) => message.read(buf),
                Some(Err(error)) => Err(error),
            };
            return match read {
                Ok(len) => Recv::Message(len),
                Err(Error::Overrun(_)) => {
                    self.reader = self.ring.clone().into_reader();
                    Recv::Overrun
                }
                Err(error) => panic!("bcast 0.0.6: read failed: {error}"),
            };
        }
    }
}

/// A heap ring.
#[derive(Debug)]
pub struct HeapChannel(Arc<Memory>);

impl Channel for HeapChannel {
    type Tx = Bcast006Writer;
    type Rx = Bcast006Reader;

    fn writer(&self) -> Bcast006Writer {
        Bcast006Writer { writer: self.0.ring().into_writer(), _memory: Arc::clone(&self.0) }
    }

    fn reader(&self) -> Bcast006Reader {
        let ring = self.0.ring();
        Bcast006Reader { reader: ring.clone().into_reader(), ring, _memory: Arc::clone(&self.0) }
    }

    fn replay(&self) -> Option<Bcast006Reader> {
        None
    }
}

impl FromCapacity for HeapChannel {
    fn from_capacity(capacity: usize) -> Self {
        Self(Arc::new(Memory::new(capacity)))
    }
}

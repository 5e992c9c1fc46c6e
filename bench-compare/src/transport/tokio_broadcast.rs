//! `tokio::sync::broadcast` (tokio 1.x) behind the bench interface: in-process only (heap rows).
//!
//! # Configuration
//!
//! - **Payload: `bytes::Bytes`.** A broadcast channel hands every receiver a *clone* of the value;
//!   cloning `Bytes` is a reference-count increment where cloning a `Vec<u8>` is an allocation
//!   and a copy per receiver, so `Bytes` is what a user broadcasting byte messages picks (tokio's
//!   docs point there too). [`Sender::send`] pays one allocation and copy
//!   (`Bytes::copy_from_slice`), [`Sender::publish`] fills a zeroed `BytesMut` and freezes it:
//!   tokio has no in-place write into the channel.
//! - **Capacity in messages:** `capacity / max_len` (at least 2), which tokio rounds up to a power
//!   of two: the messages of the largest size a ring of the same capacity holds.
//! - **Reads** are `try_recv` (no runtime needed) and a copy into the caller's buffer.
//!   `Lagged(n)` maps to [`Recv::Overrun`]. After it tokio moves the receiver to the *oldest*
//!   value still held, not to the writer's position as the rings do.
//!
//! # What is not like-for-like
//!
//! - Every send takes a mutex on the channel's tail and every receive a read lock on the slot;
//!   values live in the heap, the channel holds pointers to them.
//! - A channel without receivers stores nothing (`send` fails), so writer-alone runs keep one idle
//!   receiver ([`Channel::STORES_WITHOUT_READER`]), whose unread values the writer drops as it
//!   overwrites them.

use bytes::{Bytes, BytesMut};
use tokio::sync::broadcast::{self, error::TryRecvError};

use super::{Channel, Factory, Receiver, Recv, Sender};

/// The writing side: a clone of the channel's sender.
#[derive(Debug)]
pub struct TokioSender(broadcast::Sender<Bytes>);

impl Sender for TokioSender {
    #[inline]
    fn send(&mut self, payload: &[u8]) {
        self.0.send(Bytes::copy_from_slice(payload)).expect("tokio: a receiver exists");
    }

    #[inline]
    fn publish(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        let mut buf = BytesMut::zeroed(len);
        fill(&mut buf);
        self.0.send(buf.freeze()).expect("tokio: a receiver exists");
    }
}

/// The reading side.
#[derive(Debug)]
pub struct TokioReceiver(broadcast::Receiver<Bytes>);

impl Receiver for TokioReceiver {
    #[inline]
    fn try_recv(&mut self, buf: &mut [u8]) -> Recv {
        match self.0.try_recv() {
            Ok(message) => {
                buf[..message.len()].copy_from_slice(&message);
                Recv::Message(message.len())
            }
            Err(TryRecvError::Empty) => Recv::Empty,
            Err(TryRecvError::Lagged(_)) => Recv::Overrun,
            Err(TryRecvError::Closed) => panic!("tokio: the sender is gone"),
        }
    }
}

/// A broadcast channel. It keeps one sender so that receivers can subscribe before the writer
/// exists.
#[derive(Debug)]
pub struct TokioChannel(broadcast::Sender<Bytes>);

impl Channel for TokioChannel {
    type Tx = TokioSender;
    type Rx = TokioReceiver;
    const STORES_WITHOUT_READER: bool = false;

    fn writer(&self) -> TokioSender {
        TokioSender(self.0.clone())
    }

    fn reader(&self) -> TokioReceiver {
        TokioReceiver(self.0.subscribe())
    }

    fn replay(&self) -> Option<TokioReceiver> {
        None
    }
}

/// Makes broadcast channels.
#[derive(Debug)]
pub struct TokioFactory {
    /// Messages each channel holds.
    pub slots: usize,
}

impl TokioFactory {
    /// Channels holding as many `max_len`-byte messages as a `capacity`-byte ring.
    pub fn new(capacity: usize, max_len: usize) -> Self {
        Self { slots: (capacity / max_len.max(1)).max(2) }
    }
}

impl Factory for TokioFactory {
    type Chan = TokioChannel;

    fn make(&mut self) -> TokioChannel {
        TokioChannel(broadcast::channel(self.slots).0)
    }
}

//! [`RecvError`]: what a subscriber's read reports, from a lapped reader to a channel that
//! turned out to carry other types.

use std::sync::Arc;

use super::error::DecodeError;
use super::open::TypedOpenError;
use crate::error::{Error, Lapped};

/// Error returned by the typed reads of a [`Subscriber`](super::Subscriber).
///
/// After [`Overrun`](RecvError::Overrun) and [`CorruptFrame`](RecvError::CorruptFrame) the
/// subscriber stays where it was (call [`Subscriber::reset`](super::Subscriber::reset)); after
/// the other variants it has moved past the offending frame and the next read continues with
/// the one after.
///
/// # Examples
///
/// ```
/// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
/// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
/// use bcast::RingBuffer;
/// use bcast::typed::{Publisher, RecvError, Subscriber};
///
/// let ring = RingBuffer::with_capacity(4096);
/// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
/// let mut subscriber = Subscriber::<Pings>::new(ring)?;
/// for at in 0..1000 {
///     publisher.publish(&Ping { at })?; // laps the subscriber
/// }
/// match subscriber.try_recv() {
///     Err(RecvError::Overrun(lapped)) => {
///         println!("lost messages at {}", lapped.position);
///         subscriber.reset();
///     }
///     other => panic!("an overrun was expected, got {:?}", other.map(|_| ())),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// The publisher lapped this subscriber: the messages it had not read yet were overwritten
    /// (the subscriber's [`stats`](super::Subscriber::stats) count them once it reads again).
    #[error(
        "overrun: the publisher lapped this subscriber at position {} (claimed {})",
        .0.position,
        .0.claimed
    )]
    Overrun(Lapped),
    /// A frame header makes no sense: the writer is buggy or hostile, or the channel is
    /// corrupt.
    #[error("corrupt frame at position {position}")]
    CorruptFrame {
        /// Stream position of the frame.
        position: u64,
    },
    /// A frame's tag is not a message type of the channel (and the subscriber's
    /// [`UnknownTag`](super::UnknownTag) policy is to report it).
    #[error(
        "frame at position {position} has tag {tag}, which is not a message type of this channel"
    )]
    UnknownTag {
        /// The frame's tag.
        tag: u32,
        /// Stream position of the frame.
        position: u64,
    },
    /// A frame's payload is not a valid message of the type its tag names: the publisher is
    /// buggy, hostile, or was built with another definition of the type.
    #[error("frame at position {position}: {source}")]
    Decode {
        /// Stream position of the frame.
        position: u64,
        /// What is wrong with the payload.
        #[source]
        source: DecodeError,
    },
    /// The channel does not carry `C`. A subscriber made before the channel had a schema
    /// registry checks it when the first frame arrives, and found another channel's registry,
    /// a corrupt one, or none although frames arrived (an untyped writer's).
    #[error(transparent)]
    Schema(Arc<TypedOpenError>),
}

impl RecvError {
    /// The error of a read of the byte ring at `position`. A read reports only overruns,
    /// corrupt frames and buffers too small, and a subscriber's buffer grows to fit any frame
    /// it reads first; anything else is taken for a corrupt frame there.
    pub(crate) fn from_ring(error: Error, position: u64) -> Self {
        match error {
            Error::Overrun(lapped) => Self::Overrun(lapped),
            Error::CorruptFrame { position } => Self::CorruptFrame { position },
            _ => Self::CorruptFrame { position },
        }
    }
}

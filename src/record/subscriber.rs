//! [`RecordedSubscriber`]: a recording read as typed messages, with the views, checks and
//! schema rules of a live [`Subscriber`].

use core::fmt;

use super::error::RecordError;
use super::recording::{Recording, Start};
use super::replayer::{Pace, Replayer, Step};
use crate::ring_buffer::RingBuffer;
use crate::typed::{Channel, RecvError, Subscriber, TypedOpenError};

/// Why a [`RecordedSubscriber`] could not give the next message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordedError {
    /// The recording could not be read.
    #[error(transparent)]
    Recording(#[from] RecordError),
    /// The message could not be decoded (as for a live subscriber).
    #[error(transparent)]
    Message(#[from] RecvError),
    /// The recording's schema is not compatible with `C`'s (as for a live subscriber), or it
    /// has none.
    #[error(transparent)]
    Schema(#[from] TypedOpenError),
}

/// Reads a recording as typed messages of channel `C`: the same views (`match` on `C`'s view
/// enum), the same checks of every message and the same schema rules (a recording of another
/// schema is refused, one of compatible versions read under the evolution rules) as a live
/// [`Subscriber`], because it is one: of a private heap ring, made with the recording's
/// schema and capacity, into which each recorded frame is published just before it is read.
/// The recording's gaps are that subscriber's losses
/// ([`stats`](Self::stats)`.lost`).
///
/// # Examples
///
/// ```
/// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
/// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
/// use bcast::record::{RecordedSubscriber, Recorder, RecorderOptions, Recording, Start};
///
/// let dir = std::env::temp_dir().join(format!("bcast-doc-recorded-{}", std::process::id()));
/// let ring = bcast::RingBuffer::with_capacity(1 << 16);
/// let mut recorder = Recorder::new(&ring, &dir, RecorderOptions::default())?;
/// let mut publisher = bcast::typed::Publisher::<Pings>::new(ring)?;
/// publisher.publish(&Ping { at: 7 })?;
/// recorder.record_pending()?;
/// drop(recorder);
///
/// let recording = Recording::open(&dir)?;
/// let mut pings = RecordedSubscriber::<Pings>::new(&recording, Start::Beginning)?;
/// let Some(PingsView::Ping(ping)) = pings.try_recv()? else { panic!("recorded") };
/// assert_eq!(ping.at, 7);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RecordedSubscriber<C> {
    replayer: Replayer,
    subscriber: Subscriber<C>,
}

impl<C: Channel> RecordedSubscriber<C> {
    /// A typed reader of `recording` from `start`.
    ///
    /// # Errors
    ///
    /// [`RecordedError::Schema`] if the recording is untyped or its schema is not compatible
    /// with `C`'s; [`RecordedError::Recording`] if it cannot be read (or is empty).
    pub fn new(recording: &Recording, start: Start) -> Result<Self, RecordedError> {
        let segments = recording.segments()?;
        let schema = recording.schema()?;
        let (Some(first), Some(schema)) = (segments.first(), schema) else {
            return Err(TypedOpenError::Untyped { path: Some(recording.dir().to_owned()) }.into());
        };
        let (Some(registry), Some(description)) = (schema.registry, schema.descriptions.last())
        else {
            return Err(TypedOpenError::Untyped { path: Some(recording.dir().to_owned()) }.into());
        };
        // The recorded channel's capacity: every recorded frame fits its MTU.
        let capacity = usize::try_from(first.capacity).unwrap_or(usize::MAX).min(1 << 30);
        let ring = RingBuffer::with_capacity(capacity);
        let writer = ring.clone().into_writer();
        registry.roll_over(&writer, description)?;
        let subscriber = Subscriber::new(ring)?;
        let replayer = Replayer::new(recording.read_from(start)?, writer, Pace::Max);
        Ok(Self { replayer, subscriber })
    }

    /// The next message, or `None` at the end of the recording (for now: a recorder may add
    /// more).
    ///
    /// # Errors
    ///
    /// [`RecordedError::Message`] for a message that does not decode, as for
    /// [`Subscriber::try_recv`]; [`RecordedError::Recording`] if the recording cannot be read
    /// (corrupt segments are skipped, their messages counted lost).
    pub fn try_recv(&mut self) -> Result<Option<C::View<'_>>, RecordedError> {
        loop {
            if self.subscriber.position() < self.subscriber.committed() {
                return Ok(self.subscriber.try_recv()?);
            }
            if self.replayer.step()? == Step::End {
                return Ok(None);
            }
        }
    }

    /// The counters of the subscriber underneath: messages received, and lost (the
    /// recording's gaps).
    pub fn stats(&self) -> crate::reader::ReaderStats {
        self.subscriber.stats()
    }
}

impl<C> fmt::Debug for RecordedSubscriber<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedSubscriber")
            .field("replayer", &self.replayer)
            .finish_non_exhaustive()
    }
}

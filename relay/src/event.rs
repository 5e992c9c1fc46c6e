//! [`RelayEvent`]: what a running relay reports besides its counters.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Something a relay noticed, handed to the callback set with `on_event`; the `bcast-relay`
/// tool prints each one as a line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayEvent {
    /// The exporter is waiting for the source channel file to exist.
    WaitingForSource,
    /// The exporter attached to the source channel.
    SourceAttached {
        /// The channel's epoch (a random value chosen when it was made).
        epoch: u64,
        /// Whether it carries a schema registry.
        typed: bool,
    },
    /// The source's writer lapped the exporter's reader; `lost` frames were skipped.
    Overrun {
        /// Frames lost in this overrun, as far as known when the exporter resumed.
        lost: u64,
    },
    /// The exporter met a corrupt frame in the source channel (something other than its writer
    /// wrote there) and skipped to the writer's position; the frames between are lost.
    CorruptFrame {
        /// Stream position of the corrupt frame.
        position: u64,
        /// Where the exporter resumes: the writer's position.
        skipped_to: u64,
        /// How long it pauses first (doubling while corrupt frames follow one another).
        pause: Duration,
    },
    /// The importer is waiting for an exporter to describe the channel.
    WaitingForExporter,
    /// The importer opened its local channel.
    ChannelOpened {
        /// Whether it carries the exporter's schema registry.
        typed: bool,
        /// Its capacity in bytes.
        capacity: u64,
        /// Whether the channel file existed (a previous importer's, or one made by another
        /// writer) and was reopened, rather than created.
        reopened: bool,
        /// Whether a previous importer's resume file was found and continued from.
        resumed: bool,
    },
    /// Frames are missing in the sequence.
    Gap {
        /// The sequence number expected next.
        expected: u64,
        /// The one that arrived.
        received: u64,
        /// Whether the gap fell while this importer was down (its first batch after a restart).
        while_down: bool,
    },
    /// A new run of the exporter (it restarted); the importer continues.
    ExporterRestarted,
    /// The source channel was recreated: its sequence starts over.
    SourceChanged {
        /// The new channel's epoch.
        epoch: u64,
    },
}

impl fmt::Display for RelayEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WaitingForSource => write!(f, "waiting for the source channel"),
            Self::SourceAttached { epoch, typed } => {
                let kind = if *typed { "typed" } else { "untyped" };
                write!(f, "attached to the source channel ({kind}, epoch {epoch:#018x})")
            }
            Self::Overrun { lost } => {
                write!(f, "overrun: the source lapped the exporter, lost {lost} frames")
            }
            Self::CorruptFrame { position, skipped_to, pause } => write!(
                f,
                "corrupt frame in the source channel at position {position}: skipped to the \
                 writer's position {skipped_to} after a pause of {pause:?}"
            ),
            Self::WaitingForExporter => write!(f, "waiting for an exporter"),
            Self::ChannelOpened { typed, capacity, reopened, resumed } => {
                let kind = if *typed { "typed" } else { "untyped" };
                let how = if *reopened { "reopened" } else { "created" };
                write!(f, "{how} the local channel ({kind}, {capacity} bytes)")?;
                if *reopened && !*resumed {
                    write!(
                        f,
                        "; no resume note, so frames missed before this run are not counted"
                    )?;
                }
                Ok(())
            }
            Self::Gap { expected, received, while_down } => {
                let missed = received.saturating_sub(*expected);
                let when = if *while_down { " while this importer was down" } else { "" };
                write!(
                    f,
                    "gap: {missed} frames missed{when} (expected seq {expected}, got {received})"
                )
            }
            Self::ExporterRestarted => write!(f, "the exporter restarted"),
            Self::SourceChanged { epoch } => {
                write!(f, "the source channel was recreated (epoch {epoch:#018x})")
            }
        }
    }
}

/// Where a relay sends its events.
pub(crate) type EventSink = Arc<dyn Fn(&RelayEvent) + Send + Sync>;

/// A sink that drops every event.
pub(crate) fn ignore_events() -> EventSink {
    Arc::new(|_| {})
}

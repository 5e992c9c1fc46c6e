//! [`Sink`]: what the importer does with each message: check it, follow its sequence, write its
//! frames to the local channel numbered so that its readers see the gaps, note the progress.

use bcast::{Stamp, Writer};

use crate::by_type::TypeTally;
use crate::error::RelayError;
use crate::event::EventSink;
use crate::resume::{Progress, ResumeFile};
use crate::stats::ImportStats;
use crate::tracker::Tracker;
use crate::wire::Batch;

/// The local channel's writer and the importer's state, behind the subscriber's callback.
pub(crate) struct Sink {
    pub(crate) writer: Writer,
    pub(crate) registry_hash: u64,
    pub(crate) tracker: Tracker,
    pub(crate) stats: ImportStats,
    /// Frames missed per type, counted as the local channel's readers count them.
    pub(crate) by_type: TypeTally,
    /// Source frames not written since the last frame written (missed, or too large): the
    /// next frame written skips as many sequence numbers, so the local channel's readers count
    /// them as lost.
    pub(crate) unwritten: u64,
    pub(crate) resume: ResumeFile,
    pub(crate) events: EventSink,
    /// Set when the importer cannot go on; its `run` returns it.
    pub(crate) failure: Option<RelayError>,
    /// The local channel, for the error messages.
    pub(crate) path: std::path::PathBuf,
}

impl Sink {
    /// Handles one message from the network; never panics on its contents.
    pub(crate) fn on_message(&mut self, bytes: &[u8]) {
        if self.failure.is_some() {
            return;
        }
        let Ok(batch) = Batch::parse(bytes) else {
            self.stats.malformed += 1;
            return;
        };
        if batch.header.registry != self.registry_hash {
            self.stats.rejected += 1;
            self.failure = Some(RelayError::SchemaChanged {
                path: self.path.clone(),
                expected: self.registry_hash,
                found: batch.header.registry,
            });
            return;
        }
        let mut events = Vec::new();
        self.tracker.begin_batch(&batch.header, &mut self.stats, &mut events);
        for frame in batch.frames() {
            let source = frame.stamp;
            let Some(missed) = self.tracker.frame(source.seq, &mut self.stats, &mut events) else {
                continue;
            };
            // Saturating: only a hostile exporter's numbers jump near 2^64.
            self.unwritten = self.unwritten.saturating_add(missed);
            let seq = self.writer.messages_published().saturating_add(self.unwritten);
            self.by_type.current.observe_numbers(source.tag, seq, source.tag_seq);
            match self.writer.send_stamped(frame.payload, Stamp { seq, ..source }) {
                Ok(()) => {
                    self.stats.frames += 1;
                    self.unwritten = 0;
                }
                Err(bcast::Error::MtuLimitExceeded { .. }) => {
                    self.stats.oversize += 1;
                    self.unwritten = self.unwritten.saturating_add(1);
                }
                Err(error) => {
                    self.failure = Some(error.into());
                    break;
                }
            }
        }
        self.stats.batches += 1;
        for event in &events {
            (self.events)(event);
        }
        if let Some((epoch, next_seq)) = self.tracker.position() {
            let written = self.writer.messages_published();
            if let Err(error) = self.resume.save(Progress { epoch, next_seq, written }) {
                self.failure = Some(error);
            }
        }
    }
}

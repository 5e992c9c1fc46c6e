//! [`Sink`]: what the importer does with each message: check it, follow its sequence, write its
//! frames to the local channel numbered so that its readers see the gaps, note the progress.

use bcast::typed::Registry;
use bcast::typed::description::Description;
use bcast::{Stamp, Writer};

use crate::by_type::TypeTally;
use crate::error::RelayError;
use crate::event::{EventSink, RelayEvent, RelaySide};
use crate::resume::{Progress, ResumeFile};
use crate::stats::ImportStats;
use crate::tracker::Tracker;
use crate::wire::{Batch, ChannelDesc};

/// How many bytes of batches under a schema the local channel does not carry yet the importer
/// holds while it asks the exporter for that schema; batches past it are rejected (their
/// frames are then counted missed).
const HELD_MAX: usize = 16 << 20;

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
    /// The registry hash of batches that arrived under another schema than the local
    /// channel's: the importer's loop asks the exporter for it and rolls the channel over.
    pub(crate) pending: Option<u64>,
    /// Those batches, in order, written once the channel is rolled over.
    pub(crate) held: Vec<Vec<u8>>,
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
            // A rollover of the source to a later schema version, or a change the local
            // channel cannot follow: the importer's loop finds out which.
            let held: usize = self.held.iter().map(Vec::len).sum();
            if self.pending.is_none_or(|pending| pending == batch.header.registry)
                && held + bytes.len() <= HELD_MAX
            {
                self.pending = Some(batch.header.registry);
                self.held.push(bytes.to_vec());
            } else {
                self.stats.rejected += 1;
            }
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

    /// Rolls the local channel over to `desc`'s schema, which batches held in `held` came
    /// under, and writes them: a publisher of a later version rolled the source over. A change
    /// that is not a compatible evolution (or that drops the registry) fails the importer, as
    /// a publisher of it would be refused.
    pub(crate) fn roll_over(&mut self, desc: &ChannelDesc) {
        let refused = |sink: &Self| RelayError::SchemaChanged {
            path: sink.path.clone(),
            expected: sink.registry_hash,
            found: desc.registry_hash,
        };
        let (Some(registry), Some(description)) = (&desc.registry, &desc.description) else {
            self.failure = Some(refused(self));
            return;
        };
        let rolled = Registry::from_bytes(registry)
            .map_err(RelayError::from)
            .and_then(|registry| Ok((registry, Description::decode(description)?)))
            .and_then(|(registry, description)| {
                registry.roll_over(&self.writer, &description).map_err(|source| {
                    RelayError::SchemaRefused { path: self.path.clone(), source }
                })?;
                Ok(registry)
            });
        match rolled {
            Ok(registry) => {
                self.registry_hash = desc.registry_hash;
                self.pending = None;
                self.by_type.restart(Some(&registry));
                (self.events)(&RelayEvent::SchemaRolledOver {
                    side: RelaySide::Importer,
                    registry: desc.registry_hash,
                });
                for batch in std::mem::take(&mut self.held) {
                    self.on_message(&batch);
                }
            }
            Err(error) => self.failure = Some(error),
        }
    }
}

//! Counters: [`ExportStats`] and [`ImportStats`], read while the relay runs.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// An exporter's cumulative counters, from [`Exporter::stats`](crate::Exporter::stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ExportStats {
    /// Frames read from the source channel and published.
    pub frames: u64,
    /// Zenoh messages published (one per batch).
    pub batches: u64,
    /// Payload bytes published.
    pub bytes: u64,
    /// Frames the exporter's reader lost because the source's writer lapped it, or that it
    /// skipped past a corrupt frame.
    pub lost: u64,
    /// Times the writer lapped the exporter's reader.
    pub overruns: u64,
    /// Batches Zenoh refused to publish (counted, and their frames lost).
    pub publish_errors: u64,
    /// Times the exporter attached to the source channel (more than one: it was recreated).
    pub attachments: u64,
    /// Corrupt frames met in the source channel (each skipped, after a pause).
    pub corrupt_frames: u64,
}

/// An importer's cumulative counters, from [`Importer::stats`](crate::Importer::stats).
///
/// From the first frame this importer receives, every frame of the source's sequence is
/// counted once: written (`frames`), missing (`missed`) or too large (`oversize`). A frame of a
/// malformed message counts as missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ImportStats {
    /// Frames written to the local channel.
    pub frames: u64,
    /// Batches accepted.
    pub batches: u64,
    /// Frames missing from the sequence: published on the source but never written here.
    /// `source_lost + while_down + in_transit`, each frame counted in one of them.
    pub missed: u64,
    /// The part of `missed` that the exporter reported lost: its reader was overrun by the
    /// source's writer, or skipped a corrupt frame.
    pub source_lost: u64,
    /// The part of `missed` that passed while a relay side was down, other than what the
    /// exporter reported lost: the gap to the first frame after this importer restarted
    /// (from its previous run's last frame) or after the exporter restarted (from the previous
    /// exporter run's last frame received).
    pub while_down: u64,
    /// The rest of `missed`: frames lost between the exporter and this importer, with both
    /// running (a batch the exporter failed to publish, see its `publish_errors`; a message
    /// the network dropped, or that arrived malformed).
    pub in_transit: u64,
    /// Frames at or before one already passed (duplicates), dropped.
    pub stale: u64,
    /// Frames larger than the local channel's MTU, dropped.
    pub oversize: u64,
    /// Messages that were not valid relay batches, dropped.
    pub malformed: u64,
    /// Batches from a source with another schema registry, dropped.
    pub rejected: u64,
    /// Times the exporter was seen to restart (a new run of it on the same source channel).
    pub exporter_restarts: u64,
    /// Times the source channel was seen to be recreated (its sequence starts over).
    pub source_changes: u64,
}

impl fmt::Display for ExportStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frames {} in {} batches ({} B), lost {} in {} overruns, publish errors {}, \
             corrupt frames {}",
            self.frames,
            self.batches,
            self.bytes,
            self.lost,
            self.overruns,
            self.publish_errors,
            self.corrupt_frames
        )
    }
}

impl fmt::Display for ImportStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frames {} in {} batches, missed {} (source lost {}, while down {}, in transit {}), \
             stale {}, oversize {}, malformed {}, rejected {}",
            self.frames,
            self.batches,
            self.missed,
            self.source_lost,
            self.while_down,
            self.in_transit,
            self.stale,
            self.oversize,
            self.malformed,
            self.rejected
        )
    }
}

/// A counter shared between the relay's threads and its stats readers.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// An exporter's live counters.
#[derive(Debug, Default)]
pub(crate) struct ExportCounters {
    pub(crate) frames: Counter,
    pub(crate) batches: Counter,
    pub(crate) bytes: Counter,
    pub(crate) lost: Counter,
    pub(crate) overruns: Counter,
    pub(crate) publish_errors: Counter,
    pub(crate) attachments: Counter,
    pub(crate) corrupt_frames: Counter,
}

impl ExportCounters {
    pub(crate) fn snapshot(&self) -> ExportStats {
        ExportStats {
            frames: self.frames.get(),
            batches: self.batches.get(),
            bytes: self.bytes.get(),
            lost: self.lost.get(),
            overruns: self.overruns.get(),
            publish_errors: self.publish_errors.get(),
            attachments: self.attachments.get(),
            corrupt_frames: self.corrupt_frames.get(),
        }
    }
}

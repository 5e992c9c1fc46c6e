//! [`Tracker`]: the importer's view of the source's sequence numbers, where gaps are counted.

use crate::event::{RelayEvent, RelaySide};
use crate::stats::ImportStats;
use crate::wire::BatchHeader;

/// Follows the sequence numbers of one source channel (one epoch) across batches and exporter
/// runs, counting the frames that never arrived, and why: each gap is split into the frames the
/// exporter reported lost (`source_lost`), then those that passed while a relay side was down
/// (`while_down`, the first gap after a restart of either side), or else were lost on the way
/// (`in_transit`). The three add up to `missed`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tracker {
    epoch: Option<u64>,
    exporter: Option<u64>,
    /// The sequence number expected next: one past a frame at `u64::MAX` is `2^64`, so that a
    /// repeat of that frame is stale too.
    next_seq: Option<u128>,
    /// The current exporter's last reported cumulative loss.
    lost_seen: u64,
    /// Losses the exporter reported that no gap has shown yet.
    unmatched_lost: u64,
    /// The next frame is the first since this side restarted (this importer, or the exporter).
    restarted: Option<RelaySide>,
}

impl Tracker {
    /// A tracker that continues where a previous importer stopped: `next_seq` of `epoch`.
    pub(crate) fn resume(epoch: u64, next_seq: u64) -> Self {
        let next_seq = Some(u128::from(next_seq));
        let restarted = Some(RelaySide::Importer);
        Self { epoch: Some(epoch), next_seq, restarted, ..Self::default() }
    }

    /// The source epoch and the next sequence number expected, once a frame has been seen
    /// (`u64::MAX` after a frame at `u64::MAX`).
    pub(crate) fn position(&self) -> Option<(u64, u64)> {
        let next_seq = self.next_seq.map(|next| u64::try_from(next).unwrap_or(u64::MAX));
        self.epoch.zip(next_seq)
    }

    /// Takes note of a batch's header before its frames. Counts saturate: hostile values never
    /// wrap them.
    pub(crate) fn begin_batch(
        &mut self,
        header: &BatchHeader,
        stats: &mut ImportStats,
        events: &mut Vec<RelayEvent>,
    ) {
        if self.epoch != Some(header.epoch) {
            if self.epoch.is_some() && self.restarted != Some(RelaySide::Importer) {
                stats.source_changes = stats.source_changes.saturating_add(1);
                events.push(RelayEvent::SourceChanged { epoch: header.epoch });
            }
            *self = Self { epoch: Some(header.epoch), ..Self::default() };
        }
        if self.exporter != Some(header.exporter) {
            // A new run's losses all fell after the last frame of the run before, so the gap
            // to its first frame holds them; those of the first run this importer follows
            // fell before it did.
            self.unmatched_lost = 0;
            if self.exporter.is_some() {
                stats.exporter_restarts = stats.exporter_restarts.saturating_add(1);
                events.push(RelayEvent::ExporterRestarted);
                self.restarted.get_or_insert(RelaySide::Exporter);
                self.unmatched_lost = header.lost;
            }
            self.exporter = Some(header.exporter);
            self.lost_seen = header.lost;
        } else if header.lost > self.lost_seen {
            self.unmatched_lost = self.unmatched_lost.saturating_add(header.lost - self.lost_seen);
            self.lost_seen = header.lost;
        }
    }

    /// Takes note of a frame: the frames missed just before it, or `None` if it is stale (at or
    /// before one already passed).
    pub(crate) fn frame(
        &mut self,
        seq: u64,
        stats: &mut ImportStats,
        events: &mut Vec<RelayEvent>,
    ) -> Option<u64> {
        let restarted = self.restarted.take();
        let wide = u128::from(seq);
        let mut gap = 0;
        match self.next_seq {
            Some(expected) if wide < expected => {
                self.restarted = restarted;
                stats.stale = stats.stale.saturating_add(1);
                return None;
            }
            Some(expected) if wide > expected => {
                // `expected < seq`, so both fit in a u64.
                let expected = u64::try_from(expected).unwrap_or(u64::MAX);
                let missed = seq - expected;
                gap = missed;
                let source_lost = missed.min(self.unmatched_lost);
                self.unmatched_lost -= source_lost;
                let rest = missed - source_lost;
                stats.missed = stats.missed.saturating_add(missed);
                stats.source_lost = stats.source_lost.saturating_add(source_lost);
                match restarted {
                    Some(_) => stats.while_down = stats.while_down.saturating_add(rest),
                    None => stats.in_transit = stats.in_transit.saturating_add(rest),
                }
                events.push(RelayEvent::Gap {
                    expected,
                    received: seq,
                    source_lost,
                    while_down: restarted,
                });
            }
            _ => {}
        }
        self.next_seq = Some(wide + 1);
        Some(gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(exporter: u64, epoch: u64, lost: u64) -> BatchHeader {
        BatchHeader { exporter, epoch, lost, ..BatchHeader::default() }
    }

    fn feed(tracker: &mut Tracker, h: BatchHeader, seqs: &[u64], stats: &mut ImportStats) -> usize {
        let mut events = Vec::new();
        tracker.begin_batch(&h, stats, &mut events);
        let written =
            seqs.iter().filter(|&&seq| tracker.frame(seq, stats, &mut events).is_some()).count();
        written + events.len() * 1000
    }

    #[test]
    fn gaps_are_counted_and_the_source_losses_separated() {
        let (mut tracker, mut stats) = (Tracker::default(), ImportStats::default());
        assert_eq!(feed(&mut tracker, header(1, 9, 5), &[100, 101], &mut stats), 2);
        assert_eq!(stats.missed, 0, "a late joiner starts where it starts");
        // The exporter lost 3 frames to an overrun (seq 102..105), the network 2 (106, 107).
        assert_eq!(feed(&mut tracker, header(1, 9, 8), &[105, 108], &mut stats), 2002);
        assert_eq!((stats.missed, stats.source_lost, stats.in_transit), (5, 3, 2));
        assert_eq!(stats.while_down, 0);
        assert_eq!(tracker.position(), Some((9, 109)));
    }

    #[test]
    fn stale_frames_are_dropped() {
        let (mut tracker, mut stats) = (Tracker::default(), ImportStats::default());
        feed(&mut tracker, header(1, 9, 0), &[10, 11], &mut stats);
        assert_eq!(feed(&mut tracker, header(1, 9, 0), &[11, 12], &mut stats), 1);
        assert_eq!((stats.stale, stats.missed), (1, 0));
    }

    #[test]
    fn a_restarted_exporter_leaves_a_gap_and_a_new_source_does_not() {
        let (mut tracker, mut stats) = (Tracker::default(), ImportStats::default());
        feed(&mut tracker, header(1, 9, 0), &[10], &mut stats);
        // The new run lost 7 frames before its first batch: they are in the gap, the rest of
        // which passed while the exporter was down.
        assert_eq!(feed(&mut tracker, header(2, 9, 7), &[20], &mut stats), 2001);
        assert_eq!((stats.exporter_restarts, stats.missed, stats.source_lost), (1, 9, 7));
        assert_eq!((stats.while_down, stats.in_transit), (2, 0));
        assert_eq!(feed(&mut tracker, header(2, 10, 0), &[0, 1], &mut stats), 1002);
        assert_eq!((stats.source_changes, stats.missed), (1, 9));
    }

    #[test]
    fn a_resumed_importer_reports_the_gap_while_it_was_down() {
        let mut stats = ImportStats::default();
        let mut tracker = Tracker::resume(9, 50);
        assert_eq!(feed(&mut tracker, header(1, 9, 0), &[60, 62], &mut stats), 2002);
        assert_eq!((stats.missed, stats.while_down, stats.exporter_restarts), (11, 10, 0));
        assert_eq!(stats.in_transit, 1, "only the first gap fell while it was down");
        let mut elsewhere = Tracker::resume(8, 50);
        let mut fresh = ImportStats::default();
        assert_eq!(feed(&mut elsewhere, header(1, 9, 0), &[60], &mut fresh), 1);
        assert_eq!((fresh.missed, fresh.source_changes), (0, 0));
    }

    #[test]
    fn hostile_sequence_jumps_saturate_the_counts_instead_of_overflowing() {
        let (mut tracker, mut stats) = (Tracker::default(), ImportStats::default());
        // Two jumps of almost 2^64 frames, one per source epoch.
        assert_eq!(feed(&mut tracker, header(1, 9, 0), &[0, u64::MAX], &mut stats), 1002);
        assert_eq!(feed(&mut tracker, header(1, 10, 0), &[0, u64::MAX], &mut stats), 2002);
        assert_eq!(stats.missed, u64::MAX, "saturated, not wrapped");
        let mut resumed = Tracker::resume(10, 0);
        resumed.frame(u64::MAX, &mut stats, &mut Vec::new());
        assert_eq!((stats.missed, stats.while_down), (u64::MAX, u64::MAX));
    }

    #[test]
    fn hostile_loss_reports_saturate_and_never_exceed_the_gaps() {
        let (mut tracker, mut stats) = (Tracker::default(), ImportStats::default());
        feed(&mut tracker, header(1, 9, 0), &[1], &mut stats);
        feed(&mut tracker, header(1, 9, u64::MAX), &[2], &mut stats);
        assert_eq!(stats.source_lost, 0, "a reported loss with no gap is no missed frame");
        // A new exporter run starts its own count, and reports as much again, then jumps.
        feed(&mut tracker, header(2, 9, 0), &[3], &mut stats);
        feed(&mut tracker, header(2, 9, u64::MAX), &[u64::MAX], &mut stats);
        assert_eq!((stats.missed, stats.source_lost), (u64::MAX - 4, u64::MAX - 4));
        feed(&mut tracker, header(3, 10, u64::MAX), &[0, u64::MAX], &mut stats);
        assert_eq!(stats.missed, u64::MAX, "saturated, not wrapped");
        assert_eq!(stats.source_lost, u64::MAX - 4, "the first run of an epoch reports none");
    }

    #[test]
    fn frames_missed_while_the_exporter_was_down_count_as_while_down() {
        let (mut tracker, mut stats) = (Tracker::default(), ImportStats::default());
        feed(&mut tracker, header(1, 9, 0), &[10, 11], &mut stats);
        let mut events = Vec::new();
        tracker.begin_batch(&header(2, 9, 0), &mut stats, &mut events);
        assert_eq!(tracker.frame(50, &mut stats, &mut events), Some(38));
        assert_eq!(tracker.frame(52, &mut stats, &mut events), Some(1));
        assert_eq!(tracker.frame(53, &mut stats, &mut events), Some(0));
        assert_eq!(tracker.frame(53, &mut stats, &mut events), None);
        assert_eq!((stats.missed, stats.while_down, stats.in_transit), (39, 38, 1));
        let gap = events[1].to_string();
        assert!(gap.starts_with("gap: 38 frames missed while the exporter was down"), "{gap}");
        assert_eq!(stats.missed, stats.source_lost + stats.while_down + stats.in_transit);
    }

    #[test]
    fn a_frame_at_the_last_sequence_number_is_written_once() {
        let (mut tracker, mut stats) = (Tracker::default(), ImportStats::default());
        assert_eq!(feed(&mut tracker, header(1, 9, 0), &[u64::MAX, u64::MAX], &mut stats), 1);
        assert_eq!(stats.stale, 1);
    }
}

//! [`Replayer`]: publishes a recording into a channel again, with its tags and sequence
//! numbers, at the recorded pace, faster, or as fast as possible.

use std::time::{Duration, Instant, SystemTime};

use super::error::RecordError;
use super::recording::{Entry, RecordingReader};
use crate::sync::{AtomicBool, Ordering};
use crate::writer::Writer;

/// How fast a [`Replayer`] publishes.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Pace {
    /// As the messages were recorded: each one as long after the first as it was then.
    Recorded,
    /// The recorded pace sped up by this factor (2.0: twice as fast).
    Speed(f64),
    /// As fast as the writer goes.
    Max,
}

/// What a [`Replayer`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayStats {
    /// Frames published.
    pub frames: u64,
    /// Messages the recording does not hold (its gaps), which the replayed channel's readers
    /// count as lost.
    pub missing: u64,
    /// Corrupt or truncated segments skipped.
    pub corrupt_segments: u64,
}

/// Publishes a recording into a channel through `writer`: every frame with its tag, tag
/// sequence, schema version and recorded sequence number
/// ([`Writer::send_stamped`](crate::Writer::send_stamped)), so that the channel's readers see
/// the recording's gaps as losses, and typed subscribers attach to a channel made with the
/// recording's schema as to the original.
///
/// # Examples
///
/// ```
/// use bcast::record::{Pace, Recorder, RecorderOptions, Recording, Replayer, Start};
///
/// let dir = std::env::temp_dir().join(format!("bcast-doc-replayer-{}", std::process::id()));
/// let ring = bcast::RingBuffer::with_capacity(1 << 16);
/// let mut recorder = Recorder::new(&ring, &dir, RecorderOptions::default())?;
/// let mut writer = ring.into_writer();
/// writer.send_with_tag(b"hello", 7)?;
/// recorder.record_pending()?;
/// drop(recorder);
///
/// let copy = bcast::RingBuffer::with_capacity(1 << 16);
/// let mut reader = copy.clone().into_reader();
/// let recording = Recording::open(&dir)?;
/// let mut replayer = Replayer::new(recording.read_from(Start::Beginning)?, copy.into_writer(), Pace::Max);
/// replayer.replay_available()?;
/// let mut buf = [0; 64];
/// let message = reader.try_recv(&mut buf)?.expect("replayed");
/// assert_eq!((message.tag, &buf[..message.len]), (7, &b"hello"[..]));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Replayer {
    reader: RecordingReader,
    writer: Writer,
    pace: Pace,
    /// The first frame's recorded time, and when it was published.
    origin: Option<(SystemTime, Instant)>,
    stats: ReplayStats,
}

/// Waits shorter than this spin instead of sleeping.
const SPIN: Duration = Duration::from_micros(50);

impl Replayer {
    /// A replayer of what `reader` reads, published through `writer` at `pace`.
    pub fn new(reader: RecordingReader, writer: Writer, pace: Pace) -> Self {
        Self { reader, writer, pace, origin: None, stats: ReplayStats::default() }
    }

    /// What it has done so far.
    pub fn stats(&self) -> ReplayStats {
        self.stats
    }

    /// The writer it publishes with.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Publishes what the recording holds now, at the replayer's pace; returns how many
    /// frames. Corrupt segments are skipped (and counted); the messages they held are a gap.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if the recording cannot be read; [`RecordError::Ring`] if a frame
    /// cannot be published: larger than the channel's MTU, or with a sequence number below
    /// the channel's next ([`Error::SequenceBehind`](crate::Error::SequenceBehind): a
    /// recording that spans two incarnations of its channel, whose numbers start over).
    pub fn replay_available(&mut self) -> Result<u64, RecordError> {
        self.replay(None)
    }

    /// Like [`replay_available`](Self::replay_available), then follows the recording while
    /// it is written, until `stop` is set.
    ///
    /// # Errors
    ///
    /// As for [`replay_available`](Self::replay_available).
    pub fn run(&mut self, stop: &AtomicBool) -> Result<u64, RecordError> {
        self.replay(Some(stop))
    }

    fn replay(&mut self, follow: Option<&AtomicBool>) -> Result<u64, RecordError> {
        let mut count = 0;
        loop {
            if follow.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
                return Ok(count);
            }
            match self.step()? {
                Step::Published => count += 1,
                Step::Skipped => {}
                Step::End if follow.is_some() => std::thread::sleep(Duration::from_millis(10)),
                Step::End => return Ok(count),
            }
        }
    }

    /// Handles the recording's next entry: publishes a frame when it is due, counts a gap or
    /// a corrupt segment.
    pub(crate) fn step(&mut self) -> Result<Step, RecordError> {
        let entry = match self.reader.next_entry() {
            Ok(entry) => entry,
            Err(RecordError::Corrupt { .. }) => {
                self.stats.corrupt_segments += 1;
                return Ok(Step::Skipped);
            }
            Err(error) => return Err(error),
        };
        match entry {
            Some(Entry::Frame(frame)) => {
                if let Some(deadline) = due(self.pace, &mut self.origin, frame.time) {
                    wait_until(deadline);
                }
                self.writer.send_stamped(frame.payload, frame.stamp)?;
                self.stats.frames += 1;
                Ok(Step::Published)
            }
            Some(Entry::Gap { from, to, .. }) => {
                self.stats.missing += to.saturating_sub(from);
                Ok(Step::Skipped)
            }
            None => Ok(Step::End),
        }
    }
}

/// What [`Replayer::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Published a frame.
    Published,
    /// Passed a gap or a corrupt segment.
    Skipped,
    /// Reached the end of the recording, for now.
    End,
}

/// When a frame recorded at `time` is due under `pace`, given the first frame's `origin` (set
/// by the first call); `None` for at once.
fn due(
    pace: Pace,
    origin: &mut Option<(SystemTime, Instant)>,
    time: SystemTime,
) -> Option<Instant> {
    let speed = match pace {
        Pace::Max => return None,
        Pace::Recorded => 1.0,
        Pace::Speed(speed) if speed.is_finite() && speed > 0.0 => speed,
        Pace::Speed(_) => return None,
    };
    let &mut (first, started) = origin.get_or_insert_with(|| (time, Instant::now()));
    let since = time.duration_since(first).unwrap_or_default();
    Some(started + since.div_f64(speed))
}

/// Waits until `deadline`: sleeps, then spins the last stretch.
fn wait_until(deadline: Instant) {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

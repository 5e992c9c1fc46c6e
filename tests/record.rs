//! Recordings: a recorder writes every frame and every loss of a channel to segment files, and
//! a reader gives them back from the start, a sequence number or a time, while segments roll
//! and retention deletes the oldest, after corruption and truncation, and across processes
//! (a recorder killed with SIGKILL mid-segment).
#![cfg(all(target_os = "linux", not(miri)))]
#![allow(clippy::cast_possible_truncation)] // the numbers of these tests are small

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use bcast::RingBuffer;
use bcast::record::{
    Entry, GapCause, RecordError, Recorder, RecorderOptions, Recording, SegmentDefect, Start,
};

/// A recording directory unique to this process and `name`, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("bcast-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A payload that says its sequence number, `len` bytes long (at least 8).
fn payload(seq: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![(seq % 251) as u8; len.max(8)];
    bytes[..8].copy_from_slice(&seq.to_le_bytes());
    bytes
}

/// Everything a reader of `dir` gives from `start` until it has nothing more: frames as
/// `(seq, tag, payload)`, gaps as `(from, to, cause)`, and errors, in order.
#[derive(Default)]
struct Read {
    frames: Vec<(u64, u32, Vec<u8>)>,
    gaps: Vec<(u64, u64, GapCause)>,
    errors: Vec<String>,
    /// Sequence numbers of frames and gaps, in order, to check that nothing repeats.
    order: Vec<u64>,
}

impl std::fmt::Debug for Read {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seqs: Vec<u64> = self.frames.iter().map(|frame| frame.0).collect();
        let (first, last) = (seqs.first(), seqs.last());
        write!(
            f,
            "{} frames ({first:?}..={last:?}), gaps {:?}, errors {:?}",
            seqs.len(),
            self.gaps,
            self.errors
        )
    }
}

fn read_all(dir: &Path, start: Start) -> Read {
    let mut reader = Recording::open(dir).expect("open").read_from(start).expect("reader");
    let mut read = Read::default();
    // Errors are reported once each: a bounded number of rounds ends the loop.
    for _ in 0..1_000_000 {
        match reader.next_entry() {
            Ok(Some(Entry::Frame(frame))) => {
                read.order.push(frame.stamp.seq);
                read.frames.push((frame.stamp.seq, frame.stamp.tag, frame.payload.to_vec()));
            }
            Ok(Some(Entry::Gap { from, to, cause })) => {
                read.order.push(from);
                read.gaps.push((from, to, cause));
            }
            Ok(None) => return read,
            Err(error) => read.errors.push(error.to_string()),
        }
    }
    panic!("the reader never ran out of entries");
}

#[test]
fn every_frame_is_recorded_with_its_stamp_and_read_back_from_a_sequence_number_or_a_time()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("record-basic");
    let ring = RingBuffer::with_capacity(1 << 16);
    let mut recorder = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    let mut writer = ring.into_writer();
    let before = SystemTime::now();
    for seq in 0..100 {
        writer.send_stamped(
            &payload(seq, 8 + seq as usize % 40),
            bcast::Stamp { tag: 3, seq, tag_seq: seq as u32 + 1, version: 2 },
        )?;
    }
    assert_eq!(recorder.record_pending()?, 100);
    recorder.flush()?;
    let middle = SystemTime::now();
    std::thread::sleep(Duration::from_millis(2));
    for seq in 100..150 {
        writer.send_with_tag(&payload(seq, 16), 4)?;
    }
    assert_eq!(recorder.record_pending()?, 50);
    recorder.flush()?;

    let mut reader = Recording::open(&dir.0)?.read_from_start()?;
    let Some(Entry::Frame(first)) = reader.next_entry()? else { panic!("a frame first") };
    assert_eq!(first.stamp, bcast::Stamp { tag: 3, seq: 0, tag_seq: 1, version: 2 });
    assert!(first.time >= before && first.time <= middle);
    let read = read_all(&dir.0, Start::Beginning);
    assert!(read.gaps.is_empty() && read.errors.is_empty(), "{read:?}");
    let expected: Vec<(u64, u32, Vec<u8>)> = (0..150)
        .map(|seq| {
            if seq < 100 {
                (seq, 3, payload(seq, 8 + seq as usize % 40))
            } else {
                (seq, 4, payload(seq, 16))
            }
        })
        .collect();
    assert_eq!(read.frames, expected);
    // From a sequence number, and from a time.
    let from_seq = read_all(&dir.0, Start::Seq(120));
    assert_eq!(from_seq.frames.first().map(|f| f.0), Some(120));
    assert_eq!(from_seq.frames.len(), 30);
    let from_time = read_all(&dir.0, Start::Time(middle));
    assert_eq!(from_time.frames.first().map(|f| f.0), Some(100));
    assert_eq!(recorder.stats().frames, 150);
    Ok(())
}

#[test]
fn messages_the_recorder_missed_are_an_exact_gap_record() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = TempDir::new("record-gap");
    let ring = RingBuffer::with_capacity(4096);
    let mut recorder = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    let mut writer = ring.into_writer();
    writer.send(&payload(0, 64))?;
    assert_eq!(recorder.record_pending()?, 1);
    // Far more than the ring holds: the writer laps the recorder.
    for seq in 1..1000 {
        writer.send(&payload(seq, 64))?;
    }
    recorder.record_pending()?;
    recorder.flush()?;
    let read = read_all(&dir.0, Start::Beginning);
    let [(1, to, GapCause::Overrun)] = read.gaps[..] else { panic!("one gap: {read:?}") };
    assert_eq!(read.frames[0].0, 0);
    assert_eq!(read.frames[1].0, to, "the gap ends where the recording goes on");
    let last = read.frames.last().expect("frames").0;
    assert_eq!(last, 999);
    assert_eq!(1 + (to - 1) + (read.frames.len() as u64 - 1), 1000, "every message accounted for");
    assert_eq!(recorder.stats().lost, to - 1);
    Ok(())
}

#[test]
fn segments_roll_by_size_and_retention_deletes_the_oldest_while_a_reader_iterates()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("record-retain");
    let ring = RingBuffer::with_capacity(1 << 16);
    let options = RecorderOptions {
        segment_bytes: 8 << 10,
        retain_bytes: Some(40 << 10),
        ..RecorderOptions::default()
    };
    let mut recorder = Recorder::new(&ring, &dir.0, options)?;
    let mut writer = ring.into_writer();
    let mut seq = 0;
    let mut publish = |writer: &mut bcast::Writer, count: u64| -> Result<(), bcast::Error> {
        for _ in 0..count {
            writer.send(&payload(seq, 200))?;
            seq += 1;
        }
        Ok(())
    };
    publish(&mut writer, 100)?;
    recorder.record_pending()?;
    recorder.flush()?;
    // A reader in the oldest segment...
    let recording = Recording::open(&dir.0)?;
    let mut reader = recording.read_from_start()?;
    let Some(Entry::Frame(first)) = reader.next_entry()? else { panic!("a frame") };
    assert_eq!(first.stamp.seq, 0);
    // ...while many more segments come and the oldest go.
    for _ in 0..20 {
        publish(&mut writer, 100)?;
        recorder.record_pending()?;
    }
    recorder.flush()?;
    let segments = recording.segments()?;
    let total: u64 = segments.iter().map(|s| s.bytes).sum();
    assert!(recorder.stats().deleted > 0 && recorder.stats().segments > 10);
    assert!(total <= (40 << 10) + (8 << 10) + 512, "retention keeps about 40 KiB: {total}");
    // The reader finishes its segment, then says what retention took, then goes on.
    let mut frames = vec![0];
    let mut gaps = Vec::new();
    while let Some(entry) = reader.next_entry()? {
        match entry {
            Entry::Frame(frame) => frames.push(frame.stamp.seq),
            Entry::Gap { from, to, cause } => gaps.push((from, to, cause)),
        }
    }
    let [(from, to, GapCause::NotRecorded)] = gaps[..] else { panic!("one gap: {gaps:?}") };
    let before = frames.iter().filter(|&&s| s < from).count() as u64;
    assert_eq!(before, from, "the first segment whole");
    assert_eq!(frames.last(), Some(&2099));
    assert_eq!(frames.len() as u64 + (to - from), 2100, "every message, or the gap");
    assert!(frames.windows(2).all(|w| w[0] < w[1]));
    Ok(())
}

/// Records 300 frames of 100 bytes in segments of 4 KiB; the segment paths.
fn small_segments(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let ring = RingBuffer::with_capacity(1 << 16);
    let options = RecorderOptions { segment_bytes: 4 << 10, ..RecorderOptions::default() };
    let mut recorder = Recorder::new(&ring, dir, options)?;
    let mut writer = ring.into_writer();
    for seq in 0..300 {
        writer.send(&payload(seq, 100))?;
    }
    recorder.record_pending()?;
    recorder.flush()?;
    let segments = Recording::open(dir)?.segments()?;
    assert!(segments.len() >= 5, "{segments:?}");
    Ok(segments.into_iter().map(|s| s.path).collect())
}

#[test]
fn a_corrupt_segment_is_reported_after_its_intact_records_and_reading_goes_on()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("record-corrupt");
    let segments = small_segments(&dir.0)?;
    // A flipped byte in the middle of the second segment.
    let mut bytes = std::fs::read(&segments[1])?;
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    std::fs::write(&segments[1], &bytes)?;
    let read = read_all(&dir.0, Start::Beginning);
    assert_eq!(read.errors.len(), 1, "{read:?}");
    assert!(read.errors[0].contains("do not match their CRC"), "{}", read.errors[0]);
    let [(from, to, GapCause::Corrupt)] = read.gaps[..] else { panic!("{read:?}") };
    // Every frame before the flipped byte, none of its record, every frame after the segment.
    let seqs: Vec<u64> = read.frames.iter().map(|f| f.0).collect();
    assert_eq!(seqs.iter().filter(|&&s| s < from).count() as u64, from);
    assert_eq!(seqs.len() as u64 + (to - from), 300);
    assert!(read.frames.iter().all(|(seq, _, bytes)| *bytes == payload(*seq, 100)));
    // A segment cut short in the middle of a record, and one that is not a segment at all.
    let bytes = std::fs::read(&segments[3])?;
    std::fs::write(&segments[3], &bytes[..bytes.len() - 30])?;
    std::fs::write(&segments[4], b"not a segment, but named like one")?;
    let read = read_all(&dir.0, Start::Beginning);
    assert_eq!(read.errors.len(), 3, "{read:?}");
    assert!(read.errors[1].contains("ends inside a record"), "{}", read.errors[1]);
    assert!(read.errors[2].contains("not a bcast recording segment"), "{}", read.errors[2]);
    assert_eq!(read.frames.last().map(|f| f.0), Some(299));
    Ok(())
}

#[test]
fn hostile_segment_bytes_are_errors_never_panics() -> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("record-hostile");
    let segments = small_segments(&dir.0)?;
    let original = std::fs::read(&segments[0])?;
    // Every single-byte change of the first 200 bytes (the header and the first records), and
    // lengths set to extremes, read without a panic; at most one error per segment.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..400 {
        let mut bytes = original.clone();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = if round < 200 { round } else { (state as usize) % bytes.len() };
        bytes[at] = if round % 3 == 0 { 0xFF } else { bytes[at] ^ (state >> 32) as u8 | 1 };
        std::fs::write(&segments[0], &bytes)?;
        let read = read_all(&dir.0, Start::Beginning);
        assert!(read.errors.len() <= 1, "round {round}: {read:?}");
        assert!(read.order.windows(2).all(|w| w[0] < w[1]), "round {round}: in order");
        assert!(read.frames.iter().all(|(seq, _, bytes)| *bytes == payload(*seq, 100)));
    }
    Ok(())
}

#[test]
fn one_recorder_at_a_time_writes_a_directory() -> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("record-lock");
    let ring = RingBuffer::with_capacity(4096);
    let first = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    let second = Recorder::new(&ring, &dir.0, RecorderOptions::default());
    assert!(matches!(second, Err(RecordError::RecorderExists { .. })), "{second:?}");
    drop(first);
    // A later run continues the directory after the earlier run's segments.
    let mut writer = ring.clone().into_writer();
    writer.send(b"before")?;
    let mut recorder = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    writer.send(b"after")?;
    recorder.record_pending()?;
    drop(recorder);
    let read = read_all(&dir.0, Start::Beginning);
    assert_eq!(read.frames, [(1, 0, b"after".to_vec())]);
    Ok(())
}

/// Set for the child process of the SIGKILL test: `CHANNEL DIR`.
const CHILD_ENV: &str = "BCAST_RECORD_CHILD";

/// Run in a child process: records the channel until killed.
#[test]
fn child_recorder_until_killed() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(argument) = std::env::var(CHILD_ENV) else { return Ok(()) };
    let (channel, dir) = argument.split_once(' ').expect("CHANNEL DIR");
    let ring = RingBuffer::attach(channel)?;
    let options = RecorderOptions { segment_bytes: 256 << 10, ..RecorderOptions::default() };
    let mut recorder = Recorder::new(&ring, dir, options)?;
    let stop = std::sync::atomic::AtomicBool::new(false);
    recorder.run(&stop)?;
    Ok(())
}

#[test]
fn a_recorder_killed_mid_segment_leaves_every_record_it_wrote_readable()
-> Result<(), Box<dyn std::error::Error>> {
    use std::process::Command;

    let channel = common::ShmPath::new("record-kill");
    let dir = TempDir::new("record-kill");
    let mut writer = RingBuffer::create(&channel.0, 1 << 20)?.into_writer();
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--exact", "child_recorder_until_killed", "--nocapture"])
        .env(CHILD_ENV, format!("{} {}", channel.as_str(), dir.0.display()))
        .spawn()?;
    // Publish until the recorder has written a few segments, then kill it mid-stream.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seq = 0;
    loop {
        for _ in 0..200 {
            writer.send(&payload(seq, 300))?;
            seq += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
        let segments = Recording::open(&dir.0).map(|r| r.segments().unwrap_or_default());
        if segments.is_ok_and(|s| s.len() >= 3) {
            break;
        }
        assert!(Instant::now() < deadline, "the recorder wrote no segments");
    }
    child.kill()?;
    child.wait()?;
    let read = read_all(&dir.0, Start::Beginning);
    // What it wrote is whole and in order; a record cut by the kill is reported once.
    assert!(read.frames.len() > 1000, "{} frames", read.frames.len());
    assert!(read.frames.iter().all(|(s, _, bytes)| *bytes == payload(*s, 300)));
    assert!(read.order.windows(2).all(|w| w[0] < w[1]));
    assert!(read.errors.len() <= 1, "{:?}", read.errors);
    assert!(read.errors.iter().all(|e| e.contains("ends inside a record")), "{:?}", read.errors);
    Ok(())
}

#[test]
fn a_reader_follows_a_recording_being_written() -> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("record-follow");
    let ring = RingBuffer::with_capacity(1 << 16);
    let options = RecorderOptions { segment_bytes: 2 << 10, ..RecorderOptions::default() };
    let mut recorder = Recorder::new(&ring, &dir.0, options)?;
    let mut writer = ring.into_writer();
    writer.send(&payload(0, 100))?;
    recorder.record_pending()?;
    recorder.flush()?;
    let mut reader = Recording::open(&dir.0)?.read_from_start()?;
    let mut seen = Vec::new();
    while let Some(entry) = reader.next_entry()? {
        seen.push(entry.frame().expect("a frame").stamp.seq);
    }
    assert_eq!(seen, [0]);
    // More, over several segments: the reader picks them up where it stopped.
    for seq in 1..100 {
        writer.send(&payload(seq, 100))?;
    }
    recorder.record_pending()?;
    recorder.flush()?;
    while let Some(entry) = reader.next_entry()? {
        seen.push(entry.frame().expect("a frame").stamp.seq);
    }
    assert_eq!(seen, (0..100).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn a_truncated_header_is_corrupt_when_no_recorder_writes() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = TempDir::new("record-header");
    let segments = small_segments(&dir.0)?;
    std::fs::write(&segments[0], &std::fs::read(&segments[0])?[..20])?;
    let read = read_all(&dir.0, Start::Beginning);
    assert_eq!(read.errors.len(), 1, "{read:?}");
    assert!(read.errors[0].contains("ends inside a record"), "{read:?}");
    let _ = SegmentDefect::Truncated;
    assert_eq!(read.frames.last().map(|f| f.0), Some(299));
    Ok(())
}

#[test]
fn a_replay_keeps_tags_sequence_numbers_and_gaps_for_typed_subscribers()
-> Result<(), Box<dyn std::error::Error>> {
    use bcast::record::{Pace, Replayer};
    use bcast::typed::{Publisher, Subscriber};
    use common::market::{MarketData, MarketDataView, quote, trade};

    let dir = TempDir::new("record-replay");
    let ring = RingBuffer::with_capacity(8192);
    let mut recorder = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    let mut publisher = Publisher::<MarketData>::new(ring)?;
    for i in 0..10 {
        publisher.publish(&quote(i))?;
        publisher.publish(&trade(i))?;
    }
    recorder.record_pending()?;
    // The recorder is lapped: a gap.
    for i in 10..500 {
        publisher.publish(&trade(i))?;
    }
    recorder.record_pending()?;
    for i in 500..510 {
        publisher.publish(&trade(i))?;
    }
    recorder.record_pending()?;
    drop(recorder);

    // A new channel with the recording's schema, and a typed subscriber of it.
    let recording = Recording::open(&dir.0)?;
    let schema = recording.schema()?.expect("segments");
    let registry = schema.registry.expect("a typed recording");
    let copy = RingBuffer::with_capacity(1 << 20);
    let writer = copy.clone().into_writer();
    registry.roll_over(&writer, schema.descriptions.last().expect("described"))?;
    let mut subscriber = Subscriber::<MarketData>::new(copy)?;
    let mut replayer = Replayer::new(recording.read_from_start()?, writer, Pace::Max);
    let replayed = replayer.replay_available()?;
    let stats = replayer.stats();
    assert_eq!(replayed, stats.frames);
    let mut read = Vec::new();
    while let Some(view) = subscriber.try_recv()? {
        read.push(match view {
            MarketDataView::Quote(q) => (1, q.ts.to_native()),
            MarketDataView::Trade(t) => (2, t.qty),
        });
    }
    assert_eq!(read.len() as u64, stats.frames);
    assert_eq!(&read[..4], [(1, 0), (2, 0), (1, 1), (2, 1)]);
    assert_eq!(read.last(), Some(&(2, 509)));
    // The subscriber counts the recording's gap as lost, exactly.
    assert!(stats.missing > 0);
    assert_eq!(subscriber.stats().lost, stats.missing);
    assert_eq!(stats.frames + stats.missing, 520, "every message published, or the gap");
    Ok(())
}

#[test]
fn a_replay_keeps_the_recorded_pace_sped_up() -> Result<(), Box<dyn std::error::Error>> {
    use bcast::record::{Pace, Replayer};

    let dir = TempDir::new("record-pace");
    let ring = RingBuffer::with_capacity(1 << 16);
    let mut recorder = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    let mut writer = ring.into_writer();
    for seq in 0..5 {
        writer.send(&payload(seq, 16))?;
        recorder.record_pending()?;
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(recorder);
    let recording = Recording::open(&dir.0)?;
    let copy = RingBuffer::with_capacity(1 << 16);
    let mut reader = copy.clone().into_reader();
    let mut replayer =
        Replayer::new(recording.read_from_start()?, copy.into_writer(), Pace::Speed(2.0));
    let started = Instant::now();
    assert_eq!(replayer.replay_available()?, 5);
    // Four intervals of at least 20 ms, at twice the speed.
    assert!(started.elapsed() >= Duration::from_millis(39), "{:?}", started.elapsed());
    let mut buf = [0; 64];
    for seq in 0..5 {
        let message = reader.try_recv(&mut buf)?.expect("replayed");
        assert_eq!((message.seq, &buf[..message.len]), (seq, &payload(seq, 16)[..]));
    }
    Ok(())
}

#[test]
fn a_recording_reads_as_typed_messages_with_a_live_subscribers_rules()
-> Result<(), Box<dyn std::error::Error>> {
    use bcast::record::{RecordedError, RecordedSubscriber};
    use bcast::typed::{Publisher, TypedOpenError};
    use common::market::{MarketData, MarketDataView, quote, trade};

    let dir = TempDir::new("record-typed");
    let ring = RingBuffer::with_capacity(8192);
    let mut recorder = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    let mut publisher = Publisher::<MarketData>::new(ring)?;
    publisher.publish(&quote(1))?;
    recorder.record_pending()?;
    for i in 0..300 {
        publisher.publish(&trade(i))?; // laps the recorder: a gap
    }
    recorder.record_pending()?;
    publisher.publish(&quote(2))?;
    recorder.record_pending()?;
    drop(recorder);

    let recording = Recording::open(&dir.0)?;
    let mut typed = RecordedSubscriber::<MarketData>::new(&recording, Start::Beginning)?;
    let Some(MarketDataView::Quote(first)) = typed.try_recv()? else { panic!("a quote") };
    assert_eq!(first.ts, 1);
    let mut trades = Vec::new();
    let mut last_quote = None;
    while let Some(view) = typed.try_recv()? {
        match view {
            MarketDataView::Trade(trade) => trades.push(trade.qty),
            MarketDataView::Quote(quote) => last_quote = Some(quote.ts.to_native()),
        }
    }
    assert_eq!(last_quote, Some(2));
    // The trades the recorder kept: the last ones, in order.
    assert_eq!(trades.last(), Some(&299));
    assert!(trades.windows(2).all(|w| w[1] == w[0] + 1));
    let trades = trades.len() as u64;
    assert_eq!(1 + trades + typed.stats().lost + 1, 302, "every message, or lost");
    assert!(typed.stats().lost > 0);

    // A channel of another schema is refused, as a live subscriber would be.
    #[bcast::typed::message(tag = 1)]
    #[derive(Debug)]
    struct Other {
        name: String,
    }
    #[derive(Debug, bcast::BcastChannel)]
    enum OtherFeed {
        Other(Other),
    }
    let refused = RecordedSubscriber::<OtherFeed>::new(&recording, Start::Beginning);
    assert!(
        matches!(refused, Err(RecordedError::Schema(TypedOpenError::Mismatch(_)))),
        "{refused:?}"
    );
    Ok(())
}

#[test]
fn a_segment_larger_than_a_readers_window_is_read_whole_and_entered_through_its_index()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("record-window");
    let ring = RingBuffer::with_capacity(1 << 22);
    let mut recorder = Recorder::new(&ring, &dir.0, RecorderOptions::default())?;
    let mut writer = ring.into_writer();
    // Some 5 MiB in one segment: a reader holds a megabyte of it at a time.
    for round in 0..4 {
        for seq in round * 5000..(round + 1) * 5000 {
            writer.send(&payload(seq, 200 + (seq % 400) as usize))?;
        }
        recorder.record_pending()?;
    }
    recorder.flush()?;
    assert_eq!(Recording::open(&dir.0)?.segments()?.len(), 1);
    let read = read_all(&dir.0, Start::Beginning);
    assert!(read.errors.is_empty() && read.gaps.is_empty(), "{read:?}");
    assert_eq!(read.frames.len(), 20_000);
    assert!(read.frames.iter().all(|(s, _, b)| *b == payload(*s, 200 + (*s % 400) as usize)));
    for start in [1, 9_999, 17_321] {
        let read = read_all(&dir.0, Start::Seq(start));
        assert_eq!(read.frames.first().map(|f| f.0), Some(start), "{read:?}");
        assert_eq!(read.frames.len() as u64, 20_000 - start);
    }
    Ok(())
}

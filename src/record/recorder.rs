//! [`Recorder`]: a read-only reader of a channel that appends every frame to segment files.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::error::RecordError;
use super::files::{self, SegmentName};
use super::segment::{GapCause, Record, SegmentHeader};
use crate::error::Error;
use crate::reader::{Reader, Received};
use crate::ring::frame::Stamp;
use crate::ring::metadata::SectionKind;
use crate::ring_buffer::{ReadOnly, RingBuffer};
use crate::shm::lock::WriterLock;
use crate::sync::{AtomicBool, Ordering};

/// When a recorder makes its writes durable with `fsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fsync {
    /// Never: the operating system writes the data back when it chooses. A crash of the
    /// machine (not of the recorder) may lose what was written in the last seconds.
    #[default]
    Never,
    /// When a segment is complete, before the next one starts.
    PerSegment,
    /// At most this long after data is written, and when a segment is complete.
    Every(Duration),
}

/// How a [`Recorder`] writes its segments and which it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecorderOptions {
    /// A segment is complete once it holds this many bytes (64 MiB by default).
    pub segment_bytes: u64,
    /// A segment is complete once it is this old, if set.
    pub segment_age: Option<Duration>,
    /// Deletes the oldest complete segments while all of them take more than this many bytes.
    pub retain_bytes: Option<u64>,
    /// Deletes complete segments whose last record is older than this.
    pub retain_age: Option<Duration>,
    /// When writes are made durable.
    pub fsync: Fsync,
    /// Starts at the oldest frame the ring still holds, rather than at the live edge.
    pub from_oldest: bool,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        Self {
            segment_bytes: 64 << 20,
            segment_age: None,
            retain_bytes: None,
            retain_age: None,
            fsync: Fsync::Never,
            from_oldest: false,
        }
    }
}

/// What a [`Recorder`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecorderStats {
    /// Frames written.
    pub frames: u64,
    /// Bytes written to segments (headers and records).
    pub bytes: u64,
    /// Messages the recorder missed (overrun), written as gap records.
    pub lost: u64,
    /// Segments started.
    pub segments: u64,
    /// Segments deleted by retention.
    pub deleted: u64,
}

/// Bytes of records a recorder gathers before it writes them to its segment.
const WRITE_CHUNK: usize = 1 << 20;

/// A recorder writes an index entry for the first record past every this many bytes.
const INDEX_EVERY: u64 = 64 << 10;

/// How many frames read in one go share a reading of the clock (at 10 million frames a second,
/// 6 µs of them).
const CLOCK_EVERY: u64 = 64;

/// How long [`Recorder::run`] waits for a frame before it writes what it gathered and checks
/// its stop flag.
const IDLE: Duration = Duration::from_millis(20);

/// Records a channel into a directory of segment files.
///
/// The recorder is an ordinary read-only reader of the ring: it never slows its writer or
/// other readers, and if the writer laps it, the messages it missed are written as a gap
/// record, so that losses stay exact in the recording. Each segment starts with the
/// channel's registry and schema descriptions, so a recording describes itself; segments
/// complete by size or age, and the oldest are deleted by total size or age
/// ([`RecorderOptions`]). One recorder at a time writes a directory (a lock file in it says
/// which), and [`Recording`](super::Recording) reads the directory, also while it is written.
///
/// # Examples
///
/// ```
/// use bcast::record::{Recorder, RecorderOptions, Recording};
///
/// let dir = std::env::temp_dir().join(format!("bcast-doc-recorder-{}", std::process::id()));
/// let ring = bcast::RingBuffer::with_capacity(1 << 16);
/// let mut recorder = Recorder::new(&ring, &dir, RecorderOptions::default())?;
/// let mut writer = ring.into_writer();
/// writer.send_with_tag(b"hello", 7)?;
/// writer.send_with_tag(b"world", 7)?;
/// assert_eq!(recorder.record_pending()?, 2);
/// recorder.flush()?;
///
/// let mut reader = Recording::open(&dir)?.read_from_start()?;
/// let first = reader.next_entry()?.expect("recorded");
/// assert_eq!(first.frame().map(|frame| frame.payload), Some(&b"hello"[..]));
/// # drop(recorder);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Recorder {
    ring: RingBuffer<ReadOnly>,
    reader: Reader,
    dir: PathBuf,
    options: RecorderOptions,
    /// Held while the recorder lives: no other recorder writes the directory.
    _lock: WriterLock,
    /// The segment being written, once the first frame arrived.
    segment: Option<Segment>,
    /// The number the next segment's file takes.
    next_number: u64,
    /// Records encoded and not written yet.
    pending: Vec<u8>,
    /// Since when records wait in `pending`.
    gathered_since: Option<Instant>,
    /// Receives each frame.
    scratch: Vec<u8>,
    /// The sequence number expected next.
    next_seq: Option<u64>,
    /// The (tag, version) pairs seen in the current segment: a new one may be the first frame
    /// of a publisher that rolled the channel over to a later schema.
    versions: Vec<(u32, u16)>,
    stats: RecorderStats,
}

/// The segment a recorder writes.
#[derive(Debug)]
struct Segment {
    file: File,
    index: File,
    name: SegmentName,
    /// The registry in its header.
    registry: Vec<u8>,
    /// Bytes in the file, and gathered for it.
    len: u64,
    /// `len` at the last index entry.
    indexed: u64,
    started: Instant,
    /// Since when written data waits for an `fsync` (`Fsync::Every`).
    unsynced: Option<Instant>,
}

impl Recorder {
    /// A recorder of `ring` into the directory `dir`, made if missing; it starts at the live
    /// edge (or at the oldest frame the ring holds, with
    /// [`from_oldest`](RecorderOptions::from_oldest)). Segments of earlier runs in `dir` are
    /// kept, and this run's follow them.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if the directory cannot be made or read;
    /// [`RecordError::RecorderExists`] if another recorder writes it.
    pub fn new<A>(
        ring: &RingBuffer<A>,
        dir: impl AsRef<Path>,
        options: RecorderOptions,
    ) -> Result<Self, RecordError> {
        let dir = dir.as_ref().to_owned();
        std::fs::create_dir_all(&dir).map_err(|e| RecordError::io(&dir, "make", e))?;
        let lock = files::lock(&dir)?;
        let next_number = files::segments(&dir)?.last().map_or(0, |name| name.number + 1);
        let ring = ring.read_only();
        let reader = if options.from_oldest {
            ring.clone().into_reader_at_oldest()
        } else {
            ring.clone().into_reader()
        };
        let scratch = vec![0; reader.mtu()];
        Ok(Self {
            ring,
            reader,
            dir,
            options,
            _lock: lock,
            segment: None,
            next_number,
            pending: Vec::with_capacity(WRITE_CHUNK + (64 << 10)),
            gathered_since: None,
            scratch,
            next_seq: None,
            versions: Vec::new(),
            stats: RecorderStats::default(),
        })
    }

    /// What the recorder has done so far.
    pub fn stats(&self) -> RecorderStats {
        self.stats
    }

    /// The directory it records into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records the frames pending now; returns how many. Records are gathered and written in
    /// chunks: [`flush`](Self::flush) writes the rest.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if a segment cannot be written; [`RecordError::Ring`] if the channel
    /// holds a corrupt frame.
    pub fn record_pending(&mut self) -> Result<u64, RecordError> {
        let mut count: u64 = 0;
        let limit = self.reader.committed();
        let mut time_ns = 0;
        while self.reader.position() < limit {
            match self.reader.try_recv(&mut self.scratch) {
                Ok(Some(received)) => {
                    // The clock costs as much as the rest of a small frame's recording: frames
                    // read in one go share a reading, refreshed every `CLOCK_EVERY` frames.
                    if count.is_multiple_of(CLOCK_EVERY) {
                        time_ns = now_ns();
                    }
                    self.record(received, time_ns)?;
                    count += 1;
                }
                Ok(None) => break,
                Err(Error::Overrun(_)) => {
                    // The next frame's number tells how many were lost: a gap record then.
                    self.reader.reset_to_oldest();
                }
                Err(error) => return Err(RecordError::Ring(error)),
            }
        }
        Ok(count)
    }

    /// Records until `stop` is set, waiting for frames in between; writes what it gathered
    /// whenever the channel is idle and at least every 20 ms (so that readers of the
    /// recording follow closely, and a crash of the recorder loses no more), completes
    /// segments and applies retention as they come due.
    ///
    /// # Errors
    ///
    /// As for [`record_pending`](Self::record_pending).
    pub fn run(&mut self, stop: &AtomicBool) -> Result<(), RecordError> {
        while !stop.load(Ordering::Relaxed) {
            let recorded = self.record_pending()?;
            let waited = self.gathered_since.is_some_and(|since| since.elapsed() >= IDLE);
            if recorded == 0 || waited {
                self.flush()?;
            }
            if recorded == 0 {
                self.reader.wait_until(Instant::now() + IDLE);
            }
            if let Some(segment) = &self.segment {
                let age = self.options.segment_age;
                if age.is_some_and(|age| segment.started.elapsed() >= age) {
                    self.complete_segment()?;
                }
            }
        }
        self.flush()
    }

    /// Writes the records gathered so far to the segment (and `fsync`s it under
    /// [`Fsync::Every`] once due).
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if the segment cannot be written.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        let Some(segment) = &mut self.segment else { return Ok(()) };
        if !self.pending.is_empty() {
            let path = files::segment_path(&self.dir, segment.name);
            segment
                .file
                .write_all(&self.pending)
                .map_err(|e| RecordError::io(&path, "write", e))?;
            self.pending.clear();
            self.gathered_since = None;
            segment.unsynced.get_or_insert_with(Instant::now);
        }
        if let (Fsync::Every(every), Some(since)) = (self.options.fsync, segment.unsynced)
            && since.elapsed() >= every
        {
            sync(&self.dir, segment)?;
            segment.unsynced = None;
        }
        Ok(())
    }

    /// Appends the frame `received`, read into `scratch` at `time_ns`.
    fn record(&mut self, received: Received, time_ns: u64) -> Result<(), RecordError> {
        if received.version != 0 && !self.versions.contains(&(received.tag, received.version)) {
            self.versions.push((received.tag, received.version));
            // A publisher stores its registry before its first frame: a rollover shows now.
            let rolled = self.segment.as_ref().is_some_and(|segment| {
                self.ring.metadata_section(SectionKind::Registry).ok().flatten().unwrap_or_default()
                    != segment.registry
            });
            if rolled {
                self.complete_segment()?;
            }
        }
        if self.segment.as_ref().is_some_and(|s| s.len >= self.options.segment_bytes) {
            self.complete_segment()?;
        }
        if self.segment.is_none() {
            self.start_segment(received.seq)?;
        }
        if let Some(expected) = self.next_seq.filter(|&expected| received.seq > expected) {
            let gap =
                Record::Gap { from: expected, to: received.seq, cause: GapCause::Overrun, time_ns };
            self.append(&gap, expected, time_ns)?;
            self.stats.lost += received.seq - expected;
        }
        self.next_seq = Some(received.seq.wrapping_add(1));
        let payload = &self.scratch[..received.len];
        let frame = Record::Frame { stamp: Stamp::from(&received), time_ns, payload };
        let at = self.pending.len();
        frame.encode(&mut self.pending);
        let added = (self.pending.len() - at) as u64;
        self.note(received.seq, time_ns, added)?;
        self.stats.frames += 1;
        Ok(())
    }

    /// Appends a record other than a frame.
    fn append(&mut self, record: &Record<'_>, seq: u64, time_ns: u64) -> Result<(), RecordError> {
        let at = self.pending.len();
        record.encode(&mut self.pending);
        let added = (self.pending.len() - at) as u64;
        self.note(seq, time_ns, added)
    }

    /// Accounts for a record of `added` bytes just gathered: indexes it if due, and writes the
    /// gathered records once there are enough.
    fn note(&mut self, seq: u64, time_ns: u64, added: u64) -> Result<(), RecordError> {
        let Some(segment) = &mut self.segment else { return Ok(()) };
        if self.gathered_since.is_none() {
            self.gathered_since = Some(Instant::now());
        }
        let offset = segment.len;
        segment.len += added;
        self.stats.bytes += added;
        if offset == segment.indexed || offset - segment.indexed >= INDEX_EVERY {
            segment.indexed = offset;
            let entry = files::index_entry(seq, time_ns, offset);
            let path = files::index_path(&self.dir, segment.name);
            segment.index.write_all(&entry).map_err(|e| RecordError::io(&path, "write", e))?;
        }
        if self.pending.len() >= WRITE_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    /// Starts a segment whose first record has sequence number `first_seq`, with the channel's
    /// registry and descriptions as they are now.
    fn start_segment(&mut self, first_seq: u64) -> Result<(), RecordError> {
        let info = self.ring.info();
        let registry =
            self.ring.metadata_section(SectionKind::Registry).ok().flatten().unwrap_or_default();
        let descriptions =
            self.ring.metadata_sections(SectionKind::Description).unwrap_or_default();
        let header = SegmentHeader {
            epoch: info.epoch,
            first_seq,
            created_ns: now_ns(),
            capacity: info.capacity as u64,
            registry: registry.clone(),
            descriptions,
        };
        let name = SegmentName { number: self.next_number };
        let path = files::segment_path(&self.dir, name);
        let mut file = create(&path)?;
        let index_path = files::index_path(&self.dir, name);
        let index = create(&index_path)?;
        let bytes = header.encode();
        file.write_all(&bytes).map_err(|e| RecordError::io(&path, "write", e))?;
        self.next_number += 1;
        self.stats.segments += 1;
        self.stats.bytes += bytes.len() as u64;
        self.versions.clear();
        self.segment = Some(Segment {
            file,
            index,
            name,
            registry,
            len: bytes.len() as u64,
            indexed: bytes.len() as u64,
            started: Instant::now(),
            unsynced: None,
        });
        Ok(())
    }

    /// Writes what is gathered, completes the segment (`fsync`ing it unless the policy is
    /// [`Fsync::Never`]) and applies retention; the next frame starts a new segment.
    fn complete_segment(&mut self) -> Result<(), RecordError> {
        self.flush()?;
        if let Some(segment) = self.segment.take()
            && self.options.fsync != Fsync::Never
        {
            sync(&self.dir, &segment)?;
        }
        self.stats.deleted +=
            files::retain(&self.dir, self.options.retain_bytes, self.options.retain_age)?;
        Ok(())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Best effort: an error here has no one to go to; `flush` and `run` report theirs.
        let _ = self.flush();
    }
}

/// Makes a segment or index file: new, mode 0600, never through a symbolic link.
fn create(path: &Path) -> Result<File, RecordError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| RecordError::io(path, "create", e))
}

/// `fsync`s a segment and its index.
fn sync(dir: &Path, segment: &Segment) -> Result<(), RecordError> {
    let path = files::segment_path(dir, segment.name);
    segment.file.sync_data().map_err(|e| RecordError::io(&path, "fsync", e))?;
    let path = files::index_path(dir, segment.name);
    segment.index.sync_data().map_err(|e| RecordError::io(&path, "fsync", e))
}

/// Nanoseconds since the Unix epoch (0 before it).
fn now_ns() -> u64 {
    let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
}

//! [`Recording`]: a recording directory opened for reading, and [`RecordingReader`], which
//! iterates its frames and gaps, also while a recorder writes it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::error::{RecordError, SchemaError};
use super::files::{self, SegmentName};
use super::segment::{self, GapCause, Record, SegmentDefect, SegmentHeader};
use crate::ring::frame::Stamp;
use crate::typed::Registry;
use crate::typed::description::Description;

/// A recording directory, as a [`Recorder`](super::Recorder) writes it.
///
/// A recording is untrusted input: every segment is checked as it is read (magic, lengths,
/// a CRC per record), and a corrupt or truncated one is reported as
/// [`RecordError::Corrupt`] after the intact records before it, and reading goes on with the
/// next segment.
#[derive(Debug, Clone)]
pub struct Recording {
    dir: PathBuf,
}

/// A segment of a recording, as [`Recording::segments`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentInfo {
    /// The segment file.
    pub path: PathBuf,
    /// Its number in the directory: segments are read in this order.
    pub number: u64,
    /// The sequence number its first record starts at.
    pub first_seq: u64,
    /// The recorded channel's epoch.
    pub epoch: u64,
    /// When the segment was made.
    pub created: SystemTime,
    /// The recorded channel's capacity in bytes.
    pub capacity: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Where a [`RecordingReader`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At the first record of the oldest segment.
    Beginning,
    /// At the message of this sequence number, or the first after it.
    Seq(u64),
    /// At the first message recorded at or after this time.
    Time(SystemTime),
}

/// One entry of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A frame of the channel.
    Frame(RecordedFrame<'a>),
    /// Messages `from..to` that are not in the recording, and why.
    Gap {
        /// The first missing sequence number.
        from: u64,
        /// One past the last.
        to: u64,
        /// Why they are missing.
        cause: GapCause,
    },
}

impl<'a> Entry<'a> {
    /// The frame, if this entry is one.
    pub fn frame(&self) -> Option<&RecordedFrame<'a>> {
        match self {
            Self::Frame(frame) => Some(frame),
            Self::Gap { .. } => None,
        }
    }
}

/// A frame as the recorder read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedFrame<'a> {
    /// Its sequence number, tag, tag sequence and schema version
    /// ([`Writer::send_stamped`](crate::Writer::send_stamped) publishes it again with them).
    pub stamp: Stamp,
    /// When the recorder read it.
    pub time: SystemTime,
    /// Its payload, in the reader's buffer (not aligned).
    pub payload: &'a [u8],
}

/// The schema of a recorded channel: its registry (`None` for an untyped channel) and its
/// schema descriptions, oldest first (a channel rolled over to later versions has several).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedSchema {
    /// The channel's registry.
    pub registry: Option<Registry>,
    /// Its descriptions, oldest first.
    pub descriptions: Vec<Description>,
}

impl RecordedSchema {
    fn decode(header: &SegmentHeader) -> Result<Self, RecordError> {
        let registry = if header.registry.is_empty() {
            None
        } else {
            Some(Registry::from_bytes(&header.registry).map_err(SchemaError::Registry)?)
        };
        let descriptions = header.descriptions.iter().map(|bytes| Description::decode(bytes));
        let descriptions =
            descriptions.collect::<Result<_, _>>().map_err(SchemaError::Description)?;
        Ok(Self { registry, descriptions })
    }
}

impl Recording {
    /// The recording in directory `dir`.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if `dir` cannot be read.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, RecordError> {
        let dir = dir.as_ref().to_owned();
        files::segments(&dir)?;
        Ok(Self { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The segments whose headers can be read, oldest first.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if the directory cannot be read.
    pub fn segments(&self) -> Result<Vec<SegmentInfo>, RecordError> {
        let mut infos = Vec::new();
        for name in files::segments(&self.dir)? {
            let path = files::segment_path(&self.dir, name);
            let Ok((header, bytes)) = read_header(&path) else { continue };
            infos.push(SegmentInfo {
                path,
                number: name.number,
                first_seq: header.first_seq,
                epoch: header.epoch,
                created: time_of(header.created_ns),
                capacity: header.capacity,
                bytes,
            });
        }
        Ok(infos)
    }

    /// The channel's schema as the newest readable segment's header holds it; `None` for a
    /// recording without segments.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if the directory cannot be read; [`RecordError::Schema`] if the
    /// header's registry or descriptions cannot be decoded.
    pub fn schema(&self) -> Result<Option<RecordedSchema>, RecordError> {
        for name in files::segments(&self.dir)?.into_iter().rev() {
            let path = files::segment_path(&self.dir, name);
            if let Ok((header, _)) = read_header(&path) {
                return RecordedSchema::decode(&header).map(Some);
            }
        }
        Ok(None)
    }

    /// A reader from the oldest record.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if the directory cannot be read.
    pub fn read_from_start(&self) -> Result<RecordingReader, RecordError> {
        self.read_from(Start::Beginning)
    }

    /// A reader from `start`.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] if the directory cannot be read.
    pub fn read_from(&self, start: Start) -> Result<RecordingReader, RecordError> {
        // The first segment to read: the last that starts at or before `start`.
        let segments = self.segments()?;
        let starts_before = |info: &&SegmentInfo| match start {
            Start::Beginning => false,
            Start::Seq(seq) => info.first_seq <= seq,
            Start::Time(time) => info.created <= time,
        };
        // From the beginning, or from before every segment that starts after `start`: every
        // segment from there on is opened, and one that cannot be read is reported.
        let first = segments.iter().rev().find(starts_before);
        Ok(RecordingReader {
            dir: self.dir.clone(),
            current: None,
            last_number: first.and_then(|info| info.number.checked_sub(1)),
            next_seq: None,
            start,
            seek: start != Start::Beginning,
            pending_gap: None,
            after_corruption: false,
            reported_tail: false,
        })
    }
}

/// Reads a recording's entries in order: [`next_entry`](Self::next_entry), until it returns
/// `None`, which means no more for now (a recorder may still be writing: call again later).
#[derive(Debug)]
pub struct RecordingReader {
    dir: PathBuf,
    current: Option<OpenSegment>,
    /// The number of the last segment opened (or before the first to open).
    last_number: Option<u64>,
    /// The sequence number expected next, to tell gaps between segments.
    next_seq: Option<u64>,
    start: Start,
    /// Whether the first segment opened should be entered through its index.
    seek: bool,
    pending_gap: Option<(u64, u64, GapCause)>,
    /// Whether the segment before the next one ended in corruption.
    after_corruption: bool,
    /// Whether a truncated end of the newest segment was reported.
    reported_tail: bool,
}

/// The segment a reader reads, through a window of its bytes: what was read from the file and
/// not consumed yet, so that a reader's memory is bounded by its largest record and
/// [`CHUNK`], whatever the segment's size.
#[derive(Debug)]
struct OpenSegment {
    name: SegmentName,
    file: File,
    bytes: Vec<u8>,
    /// The offset in the file of `bytes[0]`.
    base: u64,
    /// Where the next record starts in `bytes`.
    at: usize,
}

/// How many bytes a reader reads from a segment at a time.
const CHUNK: u64 = 1 << 20;

/// What [`RecordingReader::advance`] found: a record's fields, its payload as a range of the
/// segment's bytes.
enum Found {
    Frame { stamp: Stamp, time_ns: u64, payload: (usize, usize) },
    Gap { from: u64, to: u64, cause: GapCause },
}

impl RecordingReader {
    /// The next entry, or `None` if there is none yet.
    ///
    /// # Errors
    ///
    /// [`RecordError::Corrupt`] for a corrupt or truncated segment (once; the next call goes
    /// on with the next segment, after a [`GapCause::Corrupt`] gap if messages are missing);
    /// [`RecordError::Io`] if a file cannot be read.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_>>, RecordError> {
        Ok(self.advance()?.map(|found| match found {
            Found::Frame { stamp, time_ns, payload: (start, end) } => {
                let bytes = self.current.as_ref().map_or(&[][..], |open| &open.bytes[start..end]);
                Entry::Frame(RecordedFrame { stamp, time: time_of(time_ns), payload: bytes })
            }
            Found::Gap { from, to, cause } => Entry::Gap { from, to, cause },
        }))
    }

    /// Moves to the next entry to hand out.
    fn advance(&mut self) -> Result<Option<Found>, RecordError> {
        loop {
            if let Some((from, to, cause)) = self.pending_gap.take() {
                if let Some(found) = self.keep_gap(from, to, cause) {
                    return Ok(Some(found));
                }
                continue;
            }
            let Some(open) = &mut self.current else {
                if !self.open_next()? {
                    return Ok(None);
                }
                continue;
            };
            let offset = open.at;
            match Record::decode(&open.bytes[offset..]) {
                Ok(Some((record, taken))) => {
                    open.at += taken;
                    let found = match record {
                        Record::Frame { stamp, time_ns, payload } => {
                            let start = offset + segment::RECORD_HEADER;
                            Found::Frame { stamp, time_ns, payload: (start, start + payload.len()) }
                        }
                        Record::Gap { from, to, cause, .. } => Found::Gap { from, to, cause },
                    };
                    if let Some(found) = self.keep(found) {
                        return Ok(Some(found));
                    }
                }
                Ok(None) | Err(SegmentDefect::Truncated) => {
                    if read_more(open, &self.dir)? {
                        continue;
                    }
                    let left = open.bytes.len() - open.at;
                    let offset = open.base + offset as u64;
                    let newer = files::segments(&self.dir)?
                        .into_iter()
                        .any(|n| n.number > open.name.number);
                    if newer {
                        // Complete: bytes left over are a record cut short.
                        let name = open.name;
                        self.current = None;
                        if left > 0 {
                            self.after_corruption = true;
                            return Err(self.corrupt(name, offset, SegmentDefect::Truncated));
                        }
                        continue;
                    }
                    if left > 0 && !self.reported_tail && !files::recorder_alive(&self.dir) {
                        // The newest segment ends inside a record and no recorder writes it:
                        // a recorder was killed mid-write.
                        let name = open.name;
                        self.reported_tail = true;
                        return Err(self.corrupt(name, offset, SegmentDefect::Truncated));
                    }
                    return Ok(None);
                }
                Err(defect) => {
                    let (name, offset) = (open.name, open.base + offset as u64);
                    self.current = None;
                    self.after_corruption = true;
                    return Err(self.corrupt(name, offset, defect));
                }
            }
        }
    }

    /// Opens the segment after the last one opened; `false` if there is none (yet).
    fn open_next(&mut self) -> Result<bool, RecordError> {
        let names = files::segments(&self.dir)?;
        let after = self.last_number;
        let mut later = names.into_iter().filter(|n| after.is_none_or(|last| n.number > last));
        let Some(name) = later.next() else { return Ok(false) };
        let newest = later.next().is_none();
        let path = files::segment_path(&self.dir, name);
        let mut file = match open_file(&path) {
            Ok(file) => file,
            // Deleted by retention since it was listed: the next one's first number tells the gap.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.last_number = Some(name.number);
                return Ok(true);
            }
            Err(e) => return Err(RecordError::io(&path, "open", e)),
        };
        let header = match read_header_from(&mut file, &path)? {
            Ok(header) => header,
            // A recorder writing the newest segment's header right now: not yet.
            Err(SegmentDefect::Truncated) if newest && files::recorder_alive(&self.dir) => {
                return Ok(false);
            }
            Err(defect) => {
                self.last_number = Some(name.number);
                self.after_corruption = true;
                return Err(self.corrupt(name, 0, defect));
            }
        };
        let (header, header_len) = header;
        self.last_number = Some(name.number);
        if let Some(expected) = self.next_seq.filter(|&expected| header.first_seq > expected) {
            let cause =
                if self.after_corruption { GapCause::Corrupt } else { GapCause::NotRecorded };
            self.pending_gap = Some((expected, header.first_seq, cause));
        }
        self.after_corruption = false;
        let mut open = OpenSegment { name, file, bytes: Vec::new(), base: header_len, at: 0 };
        if std::mem::take(&mut self.seek) {
            self.enter(&mut open, header_len)?;
        }
        self.current = Some(open);
        Ok(true)
    }

    /// Moves `open`, positioned after its header, to the last index entry at or before the
    /// reader's start that points at a record; leaves it where it is otherwise.
    fn enter(&self, open: &mut OpenSegment, header_len: u64) -> Result<(), RecordError> {
        let Ok(index) = std::fs::read(files::index_path(&self.dir, open.name)) else {
            return Ok(());
        };
        let before = |&(seq, time_ns, _): &(u64, u64, u64)| match self.start {
            Start::Beginning => false,
            Start::Seq(wanted) => seq <= wanted,
            Start::Time(wanted) => time_of(time_ns) <= wanted,
        };
        let entries: Vec<(u64, u64, u64)> = files::index_entries(&index).collect();
        let Some(&(_, _, offset)) = entries.iter().rev().find(|entry| before(entry)) else {
            return Ok(());
        };
        // The index is untrusted too: use the entry only if a record that checks out starts
        // there.
        if offset <= header_len || !offset.is_multiple_of(8) {
            return Ok(());
        }
        let path = files::segment_path(&self.dir, open.name);
        let seek = |file: &mut File, to| {
            file.seek(SeekFrom::Start(to)).map_err(|e| RecordError::io(&path, "seek", e))
        };
        seek(&mut open.file, offset)?;
        open.base = offset;
        read_more(open, &self.dir)?;
        if !Record::decode(&open.bytes).is_ok_and(|record| record.is_some()) {
            seek(&mut open.file, header_len)?;
            open.bytes.clear();
            open.base = header_len;
        }
        Ok(())
    }

    /// `found`, unless it comes before the reader's start; notes the sequence number it ends at.
    fn keep(&mut self, found: Found) -> Option<Found> {
        match found {
            Found::Frame { stamp, time_ns, payload } => {
                self.next_seq = Some(stamp.seq.wrapping_add(1));
                let before = match self.start {
                    Start::Beginning => false,
                    Start::Seq(seq) => stamp.seq < seq,
                    Start::Time(time) => time_of(time_ns) < time,
                };
                if before {
                    return None;
                }
                // Once past the start, everything after it is kept.
                self.start = Start::Beginning;
                Some(Found::Frame { stamp, time_ns, payload })
            }
            Found::Gap { from, to, cause } => {
                self.next_seq = Some(to);
                self.keep_gap(from, to, cause)
            }
        }
    }

    /// The gap `from..to`, cut to the reader's start.
    fn keep_gap(&mut self, from: u64, to: u64, cause: GapCause) -> Option<Found> {
        match self.start {
            Start::Beginning => Some(Found::Gap { from, to, cause }),
            Start::Seq(seq) if to > seq => Some(Found::Gap { from: from.max(seq), to, cause }),
            // Before the start by number, or by a time it does not carry: not shown.
            Start::Seq(_) | Start::Time(_) => None,
        }
    }

    fn corrupt(&self, name: SegmentName, offset: u64, defect: SegmentDefect) -> RecordError {
        RecordError::Corrupt { segment: files::segment_path(&self.dir, name), offset, defect }
    }
}

/// Reads the segment's next chunk into its window, after dropping the bytes consumed;
/// `true` if anything was read.
fn read_more(open: &mut OpenSegment, dir: &Path) -> Result<bool, RecordError> {
    if open.at > 0 {
        open.bytes.drain(..open.at);
        open.base += open.at as u64;
        open.at = 0;
    }
    let before = open.bytes.len();
    let read = (&mut open.file).take(CHUNK).read_to_end(&mut open.bytes);
    read.map_err(|e| RecordError::io(&files::segment_path(dir, open.name), "read", e))?;
    Ok(open.bytes.len() > before)
}

/// The header at the start of `file` and its length (the file is left after it); a defect if
/// it cannot be read whole or is not a valid header.
fn read_header_from(
    file: &mut File,
    path: &Path,
) -> Result<Result<(SegmentHeader, u64), SegmentDefect>, RecordError> {
    let mut bytes = Vec::new();
    let fixed = segment::HEADER_FIXED as u64;
    let read = |file: &mut File, bytes: &mut Vec<u8>, n: u64| {
        file.take(n).read_to_end(bytes).map_err(|e| RecordError::io(path, "read", e))
    };
    read(file, &mut bytes, fixed)?;
    let len = match segment::header_len(&bytes) {
        Ok(len) => len,
        Err(defect) => return Ok(Err(defect)),
    };
    read(file, &mut bytes, len as u64 - fixed)?;
    Ok(SegmentHeader::decode(&bytes).map(|header| (header, len as u64)))
}

/// Opens a segment for reading, never through a symbolic link.
fn open_file(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// The header of the segment at `path`, and the file's size.
fn read_header(path: &Path) -> Result<(SegmentHeader, u64), RecordError> {
    let mut file = open_file(path).map_err(|e| RecordError::io(path, "open", e))?;
    let size = file.metadata().map_err(|e| RecordError::io(path, "stat", e))?.len();
    let mut fixed = [0u8; segment::HEADER_FIXED];
    file.read_exact(&mut fixed).map_err(|e| RecordError::io(path, "read", e))?;
    let corrupt = |defect| RecordError::Corrupt { segment: path.to_owned(), offset: 0, defect };
    let len = segment::header_len(&fixed).map_err(corrupt)?;
    let mut bytes = fixed.to_vec();
    bytes.resize(len, 0);
    file.read_exact(&mut bytes[segment::HEADER_FIXED..])
        .map_err(|_| corrupt(SegmentDefect::Truncated))?;
    Ok((SegmentHeader::decode(&bytes).map_err(corrupt)?, size))
}

/// The time `ns` nanoseconds after the Unix epoch.
fn time_of(ns: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(ns)
}

//! `Subscriber`: a channel's or a recording's messages, one at a time or as NumPy batches.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use bcast::record::{Entry, RecordError, Recording, RecordingReader};
use bcast::typed::decoder::{Decoder, DecoderError, FrameError};
use bcast::typed::{DecodedSnapshot, LastValuesError, Registry};
use bcast::{ReadOnly, Reader, RingBuffer, TagLosses};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::batch::Records;
use crate::error::{BcastError, CorruptError, OpenError, SchemaError, decode_error, raise};
use crate::message::{Message, Meta};
use crate::pod::PodType;
use crate::value::to_python;

/// The longest a blocking read waits without looking at Python's signals (Ctrl-C).
const SIGNAL_SLICE: Duration = Duration::from_millis(100);

/// How often a reader at the end of a recording looks for more.
const RECORDING_POLL: Duration = Duration::from_millis(20);

/// The most bytes of records one `batch_numpy` call returns.
const MAX_BATCH_BYTES: usize = 256 << 20;

/// The room a batch of a recording's records starts with before it doubles as records come.
const FIRST_BATCH_BYTES: usize = 64 << 10;

/// The bytes of a frame's header in the ring, and the multiple its frames' lengths are.
const FRAME_HEADER: usize = 32;
const FRAME_ALIGN: usize = 16;

/// The messages of a channel or a recording, from `bcast.attach`.
///
/// Iterating yields `Message`s, waiting for each up to the subscriber's `timeout` (`None`:
/// forever; `0`: not at all) and stopping when none came; `recv` and `try_recv` read one.
/// A subscriber the writer lapped raises `Overrun` until `reset()`.
///
/// A subscriber serves one thread at a time: while one waits in `recv` or iteration (with the
/// GIL released), a call from another thread raises `RuntimeError` ("Already mutably
/// borrowed"). Give each thread a subscriber of its own.
#[pyclass(module = "bcast", name = "Subscriber")]
#[derive(Debug)]
pub(crate) struct Subscriber {
    source: Source,
    path: PathBuf,
    /// Decodes a typed channel's frames; `None` for a raw one (or `raw=True`).
    decoder: Option<Decoder>,
    /// Tag → type name, from the registry.
    names: HashMap<u32, String>,
    /// The last frame's payload.
    buf: Vec<u8>,
    /// How long iteration waits for a message; `None` forever.
    timeout: Option<Duration>,
    /// The pod types `batch_numpy` was asked for, by name.
    pods: HashMap<String, PodType>,
    /// An error met after a batch's first records, raised by the next call.
    deferred: Option<PyErr>,
    /// Frames of other types that `batch_numpy` passed over.
    skipped: u64,
}

/// Where the frames come from.
#[derive(Debug)]
enum Source {
    Ring(RingSource),
    Recording(RecordingSource),
}

#[derive(Debug)]
struct RingSource {
    ring: RingBuffer<ReadOnly>,
    reader: Reader,
    losses: TagLosses,
    /// The sequence number of the next message: one past the last one received, or where the
    /// stream stood at the subscriber's start.
    expected: u64,
    /// Messages published after the subscriber's start that it never received: the gaps
    /// between `expected` and the numbers of the messages it received.
    lost: u64,
    /// Overruns `batch_numpy` saw in the reader's lag (the reader counts those of its reads).
    lag_overruns: u64,
    /// What snapshots' merges read from the ring, which the reader counts but the subscriber
    /// never returned: frames received, and overruns (each a merge started again).
    merged: Merged,
    /// The (tag, version) pairs the decoder was read again for.
    renewed: Vec<(u32, u16)>,
}

/// The reader's counts that snapshots' merges made.
#[derive(Debug, Clone, Copy, Default)]
struct Merged {
    received: u64,
    overruns: u64,
}

#[derive(Debug)]
struct RecordingSource {
    reader: RecordingReader,
    received: u64,
    /// Messages in the recording's gaps.
    lost: u64,
}

impl RingSource {
    /// The messages published after the last one the subscriber received: what `reset` skips.
    fn unread(&self) -> u64 {
        self.ring.info().messages.saturating_sub(self.expected)
    }
}

/// A frame read into `Subscriber::buf`.
#[derive(Debug, Clone, Copy)]
struct Frame {
    tag: u32,
    seq: u64,
    version: u16,
    position: Option<u64>,
    time: Option<f64>,
    len: usize,
}

/// Where a subscriber of a channel starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// At the next message published.
    Latest,
    /// At the oldest message the ring still holds.
    Oldest,
    /// At the channel's first message; those overwritten count as lost.
    First,
}

impl Subscriber {
    /// Opens the channel file, or the recording directory, at `path`.
    pub(crate) fn open(
        path: PathBuf,
        raw: bool,
        start: Option<&str>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let timeout = timeout.map(seconds).transpose()?;
        let explicit_start = start.is_some();
        let start = match start {
            None | Some("latest") => Start::Latest,
            Some("oldest") => Start::Oldest,
            Some("first") => Start::First,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "start is \"latest\", \"oldest\" or \"first\", not {other:?}"
                )));
            }
        };
        let (source, decoder, names) = if path.is_dir() {
            if start == Start::Latest && explicit_start {
                return Err(PyValueError::new_err(
                    "a recording is read from its start: start=\"first\" (the default for one)",
                ));
            }
            let (source, decoder, names) = open_recording(&path, raw)?;
            (Source::Recording(source), decoder, names)
        } else {
            let (source, decoder, names) = open_ring(&path, raw, start)?;
            (Source::Ring(source), decoder, names)
        };
        Ok(Self {
            source,
            path,
            decoder,
            names,
            buf: Vec::new(),
            timeout,
            pods: HashMap::new(),
            deferred: None,
            skipped: 0,
        })
    }

    /// Reads the next frame into `buf`, if one is there now.
    fn next_frame(&mut self, py: Python<'_>) -> PyResult<Option<Frame>> {
        match &mut self.source {
            Source::Ring(source) => {
                if self.buf.len() < source.reader.mtu() {
                    self.buf.resize(source.reader.mtu(), 0);
                }
                match source.reader.try_recv(&mut self.buf) {
                    Ok(Some(received)) => {
                        source.losses.observe(&received);
                        count_seq(&mut source.expected, &mut source.lost, received.seq);
                        Ok(Some(Frame {
                            tag: received.tag,
                            seq: received.seq,
                            version: received.version,
                            position: Some(received.position),
                            time: None,
                            len: received.len,
                        }))
                    }
                    Ok(None) => Ok(None),
                    Err(error) => Err(crate::error::read_error(py, error, source.unread())),
                }
            }
            Source::Recording(source) => loop {
                match source.reader.next_entry() {
                    Ok(Some(Entry::Frame(frame))) => {
                        self.buf.clear();
                        self.buf.extend_from_slice(frame.payload);
                        source.received += 1;
                        let time = frame.time.duration_since(SystemTime::UNIX_EPOCH);
                        return Ok(Some(Frame {
                            tag: frame.stamp.tag,
                            seq: frame.stamp.seq,
                            version: frame.stamp.version,
                            position: None,
                            time: time.ok().map(|time| time.as_secs_f64()),
                            len: frame.payload.len(),
                        }));
                    }
                    Ok(Some(Entry::Gap { from, to, .. })) => {
                        source.lost = source.lost.saturating_add(to.saturating_sub(from));
                    }
                    Ok(None) => return Ok(None),
                    Err(error @ RecordError::Corrupt { .. }) => {
                        return Err(raise(CorruptError::new_err, error));
                    }
                    Err(error) => return Err(raise(BcastError::new_err, error)),
                }
            },
        }
    }

    /// Waits until a frame may be there or `deadline` passes, with the GIL released, and
    /// raises `KeyboardInterrupt` (or whatever a signal handler raises) if a signal came.
    fn wait(&mut self, py: Python<'_>, deadline: Instant) -> PyResult<bool> {
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        let until = deadline.min(now + SIGNAL_SLICE);
        match &self.source {
            Source::Ring(source) => {
                let reader = &source.reader;
                py.detach(|| reader.wait_until(until));
            }
            Source::Recording(_) => {
                let pause = RECORDING_POLL.min(until.saturating_duration_since(now));
                py.detach(|| std::thread::sleep(pause));
            }
        }
        py.check_signals()?;
        Ok(true)
    }

    /// The next message, waiting up to `timeout` (`None`: forever).
    fn next_message(
        &mut self,
        py: Python<'_>,
        timeout: Option<Duration>,
    ) -> PyResult<Option<Message>> {
        if let Some(error) = self.deferred.take() {
            return Err(error);
        }
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        loop {
            if let Some(frame) = self.next_frame(py)? {
                let payload = self.buf[..frame.len].to_vec();
                return self.message(py, frame, payload).map(Some);
            }
            // No deadline: a century from now.
            let deadline =
                deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(1 << 31));
            if !self.wait(py, deadline)? {
                return Ok(None);
            }
        }
    }

    /// The `Message` of `frame` and its `payload`, decoded on a typed channel.
    fn message(&mut self, py: Python<'_>, frame: Frame, payload: Vec<u8>) -> PyResult<Message> {
        let fields = match self.decode(frame, &payload) {
            None => py.None(),
            Some(Ok(value)) => to_python(py, &value)?.unbind(),
            Some(Err(error)) => {
                return Err(decode_error(py, &error.to_string(), frame.tag, frame.seq));
            }
        };
        // Named after decoding, which may have read a newer registry.
        let meta = Meta {
            type_name: self.names.get(&frame.tag).cloned(),
            tag: frame.tag,
            seq: frame.seq,
            version: frame.version,
            position: frame.position,
            time: frame.time,
        };
        Ok(Message::new(meta, fields, payload))
    }

    /// Decodes `payload`; reads the channel's registry and description again, once per tag and
    /// version, for a message of a later version than the decoder's or of a tag it does not
    /// know (its publisher rolled the channel over and stored a newer schema).
    fn decode(
        &mut self,
        frame: Frame,
        payload: &[u8],
    ) -> Option<Result<bcast::typed::Value, FrameError>> {
        let decoded = self.decoder.as_ref()?.decode_version(frame.tag, frame.version, payload);
        let (Err(FrameError::Version { .. } | FrameError::UnknownTag { .. }), Source::Ring(source)) =
            (&decoded, &mut self.source)
        else {
            return Some(decoded);
        };
        let key = (frame.tag, frame.version);
        if source.renewed.contains(&key) || source.renewed.len() >= 256 {
            return Some(decoded);
        }
        source.renewed.push(key);
        // A schema that cannot be read now leaves the frame's error as it was.
        let (Ok(renewed), Ok(registry)) =
            (Decoder::read_from(&source.ring), Registry::read_from(&source.ring))
        else {
            return Some(decoded);
        };
        let decoded = renewed.decode_version(frame.tag, frame.version, payload);
        self.decoder = Some(renewed);
        self.names = names(registry.as_ref());
        // A pod type's layout and version come from the description read before.
        self.pods.clear();
        Some(decoded)
    }

    /// Fills `records` with the records of `pod` that follow, up to the ring position `limit`
    /// (the end the writer had committed when the batch began) or, in a recording, as far as it
    /// has been written; other types' frames are passed over. Returns the error that ended the
    /// batch, if any, and whether the next call must raise it (a ring error leaves the reader
    /// where it was, as `Reader::try_recv` does, so it comes again by itself until `reset`).
    fn fill(
        &mut self,
        py: Python<'_>,
        pod: &PodType,
        limit: Option<u64>,
        records: &mut Records<'_>,
    ) -> PyResult<Option<(PyErr, bool)>> {
        while !records.is_full() {
            if let (Source::Ring(source), Some(limit)) = (&self.source, limit)
                && source.reader.position() >= limit
            {
                break;
            }
            let frame = match self.next_frame(py) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(error) => {
                    let deferred = matches!(self.source, Source::Recording(_));
                    return Ok(Some((error, deferred)));
                }
            };
            if frame.tag != pod.tag {
                self.skipped += 1;
                continue;
            }
            let take = match pod.record_bytes(frame.version, frame.len) {
                Ok(take) => take,
                Err(what) => {
                    return Ok(Some((decode_error(py, &what, frame.tag, frame.seq), true)));
                }
            };
            records.push(&self.buf[..take])?;
        }
        Ok(None)
    }

    fn ring(&mut self) -> PyResult<&mut RingSource> {
        match &mut self.source {
            Source::Ring(source) => Ok(source),
            Source::Recording(_) => Err(PyValueError::new_err("a recording has no ring")),
        }
    }

    /// The pod type `type_name`, found once.
    fn pod(&mut self, type_name: &str) -> PyResult<PodType> {
        if let Some(pod) = self.pods.get(type_name) {
            return Ok(pod.clone());
        }
        let Some(decoder) = &self.decoder else {
            return Err(SchemaError::new_err("a raw channel has no message types"));
        };
        let pod = PodType::find(decoder, type_name)?;
        self.pods.insert(type_name.to_owned(), pod.clone());
        Ok(pod)
    }
}

#[pymethods]
impl Subscriber {
    /// The next message, waiting up to `timeout` seconds (`None`: forever); `None` if none
    /// came.
    #[pyo3(signature = (timeout = None))]
    fn recv(&mut self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Message>> {
        let timeout = timeout.map(seconds).transpose()?;
        self.next_message(py, timeout)
    }

    /// The next message if one is there now, else `None`.
    fn try_recv(&mut self, py: Python<'_>) -> PyResult<Option<Message>> {
        self.next_message(py, Some(Duration::ZERO))
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Message>> {
        let timeout = self.timeout;
        self.next_message(py, timeout)
    }

    /// How long iteration waits for each message, in seconds (`None`: forever; `0`: it
    /// yields the pending messages and stops).
    #[getter]
    fn get_timeout(&self) -> Option<f64> {
        self.timeout.map(|timeout| {
            if timeout == Duration::MAX { f64::INFINITY } else { timeout.as_secs_f64() }
        })
    }

    #[setter]
    fn set_timeout(&mut self, timeout: Option<f64>) -> PyResult<()> {
        self.timeout = timeout.map(seconds).transpose()?;
        Ok(())
    }

    /// The channel file or recording directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Tag → message type name, from the channel's registry (empty for a raw channel).
    #[getter]
    fn types(&self) -> HashMap<u32, String> {
        self.names.clone()
    }

    /// Whether messages are decoded (a typed channel, not attached with `raw=True`).
    #[getter]
    fn typed(&self) -> bool {
        self.decoder.is_some()
    }

    /// Moves past everything pending, to the writer's position: the way on after `Overrun`.
    /// The messages skipped count in `stats()["lost"]` once the next one arrives. Returns the
    /// new position.
    fn reset(&mut self) -> PyResult<u64> {
        let position = self.ring()?.reader.reset();
        self.deferred = None;
        Ok(position)
    }

    /// Moves back to the oldest message the ring still holds: after `Overrun`, the way that
    /// loses the fewest. Returns the new position.
    fn reset_to_oldest(&mut self) -> PyResult<u64> {
        let position = self.ring()?.reader.reset_to_oldest();
        self.deferred = None;
        Ok(position)
    }

    /// The latest message of every key of the channel's keyed types, from its last-value table,
    /// in the order they were published; the subscriber moves to where they end, so the next
    /// message it returns is the first published after them. Nothing is missed or repeated
    /// between the two: each key's message is its latest before that point. Taken while the
    /// publisher goes on: the table is copied, then the messages published meanwhile are read
    /// from the ring. A message the table held has `position` 0.
    ///
    /// Raises `SchemaError` for a channel without a table (or a subscriber attached with
    /// `raw=True`), `ValueError` for a recording, `CorruptError` for a table or message no
    /// publisher writes, and `BcastError` if the publisher lapped the ring faster than the
    /// snapshot could read it, 8 times over. After an exception, `reset()`.
    fn snapshot(&mut self, py: Python<'_>) -> PyResult<Vec<Message>> {
        let Source::Ring(source) = &mut self.source else {
            return Err(PyValueError::new_err("a recording has no last-value table"));
        };
        let Some(decoder) = &self.decoder else {
            return Err(SchemaError::new_err(
                "a snapshot is decoded: attach the channel without raw=True",
            ));
        };
        let before = source.reader.stats();
        let taken = DecodedSnapshot::take(decoder, &mut source.reader);
        let after = source.reader.stats();
        source.merged.received += after.received.saturating_sub(before.received);
        source.merged.overruns += after.overruns.saturating_sub(before.overruns);
        let snapshot = taken.map_err(|error| snapshot_error(&self.path, error))?;
        // The subscriber goes on from the snapshot's end: what it passed over is in the
        // snapshot, not lost, and each type's numbering is taken up afresh.
        source.expected = next_seq(&source.ring, &source.reader);
        source.losses.restart();
        self.deferred = None;
        let mut messages = Vec::with_capacity(snapshot.messages.len());
        for (received, payload) in snapshot.messages {
            let frame = Frame {
                tag: received.tag,
                seq: received.seq,
                version: received.version,
                position: Some(received.position),
                time: None,
                len: payload.len(),
            };
            messages.push(self.message(py, frame, payload)?);
        }
        Ok(messages)
    }

    /// The counters: `received` (messages returned, those `reset_to_oldest` replays included),
    /// `lost` (published after the subscriber's start but never
    /// received: skipped by a `reset` after an overrun, or in a recording's gaps; the rest of a
    /// corrupt recording segment counts only once a later segment says where it resumes),
    /// `skipped` (passed over: other types in `batch_numpy`), `overruns`, `resets`, and
    /// `lost_by_type` (type name → messages of that type lost since the first of them
    /// received, from typed publishers' per-type numbering).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = PyDict::new(py);
        let by_type = PyDict::new(py);
        match &self.source {
            Source::Ring(source) => {
                let counts = source.reader.stats();
                let received = counts.received.saturating_sub(source.merged.received);
                let overruns = counts.overruns.saturating_sub(source.merged.overruns);
                stats.set_item("received", received.saturating_sub(self.skipped))?;
                stats.set_item("lost", source.lost)?;
                stats.set_item("skipped", counts.skipped.saturating_add(self.skipped))?;
                stats.set_item("overruns", overruns.saturating_add(source.lag_overruns))?;
                stats.set_item("resets", counts.resets)?;
                for (tag, lost) in source.losses.iter() {
                    match self.names.get(&tag) {
                        Some(name) => by_type.set_item(name, lost)?,
                        None => by_type.set_item(tag, lost)?,
                    }
                }
            }
            Source::Recording(source) => {
                stats.set_item("received", source.received.saturating_sub(self.skipped))?;
                stats.set_item("lost", source.lost)?;
                stats.set_item("skipped", self.skipped)?;
                stats.set_item("overruns", 0)?;
                stats.set_item("resets", 0)?;
            }
        }
        stats.set_item("lost_by_type", by_type)?;
        Ok(stats)
    }

    /// The NumPy dtype of the pod type `type_name`'s records.
    fn dtype<'py>(&mut self, py: Python<'py>, type_name: &str) -> PyResult<Bound<'py, PyAny>> {
        self.pod(type_name)?.dtype(py)
    }

    /// The pending messages of the pod type `type_name`, at most `max` (and at most 256 MiB of
    /// records), as a NumPy structured array: one copy out of the ring, no Python object per
    /// message. Messages of other types among them are passed over (counted in
    /// `stats()["skipped"]`). A record of an earlier version of the type has the fields added
    /// since set to zero; one of a later version gives the fields this one knows.
    #[pyo3(signature = (type_name, max = 65536))]
    fn batch_numpy<'py>(
        &mut self,
        py: Python<'py>,
        type_name: &str,
        max: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(error) = self.deferred.take() {
            return Err(error);
        }
        let pod = self.pod(type_name)?;
        let dtype = pod.dtype(py)?;
        let (limit, first_room) = match &mut self.source {
            Source::Ring(source) => {
                if pod.size > source.reader.mtu() {
                    return Err(SchemaError::new_err(format!(
                        "`{type_name}` records are larger than the channel's MTU"
                    )));
                }
                let lag = source.reader.lag().map_err(|error| {
                    if let bcast::Error::Overrun(_) = error {
                        source.lag_overruns += 1;
                    }
                    crate::error::read_error(py, error, source.unread())
                })?;
                // The pending messages are of every type: this one's records among them take a
                // frame each, of a header and at least the shortest record, in a ring's bytes
                // at most. The lag comes from the writer's header, which may lie: the batch
                // stops where frames stop, whatever it says, and its room is at most what the
                // ring's bytes would hold, doubled if more records come.
                let bytes = lag.bytes.min(source.ring.capacity() as u64);
                let frame = FRAME_HEADER + pod.shortest().next_multiple_of(FRAME_ALIGN);
                let fit = usize::try_from(bytes / frame as u64).unwrap_or(usize::MAX);
                (Some(source.reader.committed()), fit)
            }
            // A recording says nothing of what it holds: room for a few records, doubled as
            // they come, so memory follows the records read.
            Source::Recording(_) => (None, FIRST_BATCH_BYTES / pod.size.max(1)),
        };
        if pod.size > MAX_BATCH_BYTES {
            return Err(SchemaError::new_err(format!(
                "`{type_name}` records are larger than a batch may be ({MAX_BATCH_BYTES} bytes)"
            )));
        }
        let capacity = max.min(MAX_BATCH_BYTES / pod.size.max(1));
        let mut records = Records::new(py, pod.size, first_room, capacity)?;
        // An error after the first records ends the batch.
        if let Some((error, deferred)) = self.fill(py, &pod, limit, &mut records)? {
            if records.count() == 0 {
                return Err(error);
            }
            if deferred {
                self.deferred = Some(error);
            }
        }
        records.into_numpy(dtype)
    }

    fn __repr__(&self) -> String {
        format!("Subscriber({:?})", self.path.display().to_string())
    }
}

/// The exception for a snapshot of the channel at `path` that failed.
fn snapshot_error(path: &Path, error: LastValuesError) -> PyErr {
    let path = path.display();
    match error {
        LastValuesError::NoTable { .. } => {
            SchemaError::new_err(format!("{path}: the channel has no last-value table"))
        }
        LastValuesError::Lapped { .. } => BcastError::new_err(format!("{path}: {error}")),
        error => CorruptError::new_err(format!("{path}: {error}")),
    }
}

/// `seconds` as a duration; infinity, and anything longer than a duration holds, waits
/// forever (`Duration::MAX`).
fn seconds(seconds: f64) -> PyResult<Duration> {
    if seconds.is_nan() || seconds < 0.0 {
        return Err(PyValueError::new_err(format!(
            "a timeout is a number of seconds from 0 to inf, not {seconds}"
        )));
    }
    Ok(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX))
}

/// A reader of the channel file at `path`, its decoder and its type names.
fn open_ring(
    path: &Path,
    raw: bool,
    start: Start,
) -> PyResult<(RingSource, Option<Decoder>, HashMap<u32, String>)> {
    let ring = RingBuffer::attach(path).map_err(|e| raise(OpenError::new_err, e))?;
    let in_file =
        |e: &dyn std::fmt::Display| OpenError::new_err(format!("{}: {e}", path.display()));
    let decoder = match Decoder::read_from(&ring) {
        Ok(decoder) => Some(decoder),
        Err(DecoderError::Untyped) => None,
        Err(_) if raw => None,
        Err(error) => return Err(in_file(&error)),
    };
    let decoder = if raw { None } else { decoder };
    let names = match Registry::read_from(&ring) {
        Ok(registry) => names(registry.as_ref()),
        Err(_) if raw => HashMap::new(),
        Err(error) => return Err(in_file(&error)),
    };
    let reader = match start {
        Start::Latest => ring.clone().into_reader(),
        Start::Oldest => ring.clone().into_reader_at_oldest(),
        Start::First => ring.clone().into_reader_at(0).map_err(|e| in_file(&e))?,
    };
    let source = RingSource {
        expected: next_seq(&ring, &reader),
        ring,
        reader,
        losses: TagLosses::default(),
        lost: 0,
        lag_overruns: 0,
        merged: Merged::default(),
        renewed: Vec::new(),
    };
    Ok((source, decoder, names))
}

/// Counts the message numbered `seq`, the next one a subscriber received, and the gap before
/// it: the messages lost since `expected`.
fn count_seq(expected: &mut u64, lost: &mut u64, seq: u64) {
    // A sequence number comes from shared memory: a hostile one may jump anywhere, so the count
    // saturates.
    *lost = lost.saturating_add(seq.saturating_sub(*expected));
    *expected = seq.wrapping_add(1);
}

/// The sequence number of the message at `reader`'s position: the number of the frame there,
/// or, at the end of the stream, the count of messages published, loaded after the reader's
/// position was (at least the number the next message there will carry, so a loss is never
/// overcounted).
fn next_seq(ring: &RingBuffer<ReadOnly>, reader: &Reader) -> u64 {
    match reader.next_seq() {
        Ok(Some(next)) => next,
        Ok(None) | Err(_) => ring.info().messages,
    }
}

/// A reader of the recording in `dir` from its start, its decoder and its type names.
fn open_recording(
    dir: &Path,
    raw: bool,
) -> PyResult<(RecordingSource, Option<Decoder>, HashMap<u32, String>)> {
    let recording = Recording::open(dir).map_err(|e| raise(OpenError::new_err, e))?;
    if recording.segments().map_err(|e| raise(OpenError::new_err, e))?.is_empty() {
        return Err(OpenError::new_err(format!(
            "{}: not a recording (no segment in it whose header reads)",
            dir.display()
        )));
    }
    let schema = recording.schema().map_err(|e| raise(OpenError::new_err, e))?;
    let registry = schema.as_ref().and_then(|schema| schema.registry.clone());
    let description = schema.and_then(|schema| schema.descriptions.into_iter().last());
    let decoder = match (&registry, description) {
        (Some(registry), Some(description)) if !raw => Some(
            Decoder::new(registry.clone(), description)
                .map_err(|e| OpenError::new_err(format!("{}: {e}", dir.display())))?,
        ),
        _ => None,
    };
    let reader = recording.read_from_start().map_err(|e| raise(OpenError::new_err, e))?;
    let source = RecordingSource { reader, received: 0, lost: 0 };
    Ok((source, decoder, names(registry.as_ref())))
}

/// Tag → type name.
fn names(registry: Option<&Registry>) -> HashMap<u32, String> {
    let types = registry.into_iter().flat_map(|registry| &registry.types);
    types.map(|entry| (entry.tag, entry.name.to_string())).collect()
}

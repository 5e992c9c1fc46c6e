//! [`Exporter`]: reads a local channel and publishes its frames to Zenoh.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bcast::typed::Registry;
use bcast::typed::description::Description;
use bcast::{ReadOnly, Reader, RingBuffer, Stamp, TagLosses};
use zenoh::Wait;
use zenoh::pubsub::Publisher;
use zenoh::qos::CongestionControl;

use crate::by_type::{TypeCount, TypeTally};
use crate::config::{ZenohOptions, open_session};
use crate::error::RelayError;
use crate::event::{EventSink, RelayEvent, RelaySide, ignore_events};
use crate::stats::{ExportCounters, ExportStats};
use crate::stop::StopHandle;
use crate::wire::{BatchBuilder, BatchHeader, ChannelDesc, Frame};

/// The description of `ring` the exporter serves, and its registry.
fn describe(ring: &RingBuffer<ReadOnly>) -> Result<(ChannelDesc, Option<Registry>), RelayError> {
    let registry = Registry::read_from(ring)?;
    let description = Description::read_from(ring)?;
    let info = ring.info();
    let channel = ChannelDesc::new(
        info.capacity as u64,
        info.epoch,
        registry.as_ref().map(Registry::to_bytes),
        description.as_ref().map(Description::to_bytes),
    );
    Ok((channel, registry))
}

/// How many (tag, version) pairs the exporter remembers, looking for the first frame of each:
/// a bound against a source that makes up versions (the periodic check still follows a
/// rollover past it).
const MAX_VERSIONS: usize = 256;

/// How often the exporter checks whether its source was replaced, and how long it waits for
/// frames before checking its stop flag.
const POLL: Duration = Duration::from_millis(100);
/// The pause after a corrupt frame; it doubles with each one met without a good frame between,
/// up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(1);
/// The longest pause after corrupt frames.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// What an [`Exporter`] relays and how.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The local channel file to read (it may appear later, and may be recreated).
    pub path: PathBuf,
    /// The Zenoh key to publish under; the schema registry is served at `KEY/@registry`.
    pub key: String,
    /// Zenoh's endpoints and scouting.
    pub zenoh: ZenohOptions,
    /// Largest batch in bytes: frames pending together are sent in one Zenoh message up to
    /// this size. `0` sends one frame per message.
    pub batch_bytes: usize,
}

impl ExportOptions {
    /// Options for exporting `path` under `key`, listening on the default endpoint, with
    /// 64 KiB batches.
    pub fn new(path: impl Into<PathBuf>, key: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            key: key.into(),
            zenoh: ZenohOptions::listen_default(),
            batch_bytes: 64 * 1024,
        }
    }
}

/// Reads a local channel as one more reader and publishes its frames to Zenoh.
///
/// It starts at the channel's live edge. When the writer laps it, it resumes at the oldest
/// intact frame and counts what it lost ([`ExportStats::lost`]); importers see the loss too.
///
/// A corrupt frame in the source (its header makes no sense: something other than the writer
/// wrote there) cannot be stepped over, since its length is not to be trusted: the exporter
/// counts it ([`ExportStats::corrupt_frames`]), reports [`RelayEvent::CorruptFrame`], pauses
/// (1 ms, doubling while corrupt frames follow one another, at most 1 s) and moves on to the
/// writer's position, losing the frames between (counted in [`ExportStats::lost`]). It never
/// publishes a frame twice.
pub struct Exporter {
    options: ExportOptions,
    counters: Arc<ExportCounters>,
    /// Frames lost per type, as of the last batch published.
    by_type: Mutex<TypeTally>,
    stop: StopHandle,
    events: EventSink,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").field("options", &self.options).finish_non_exhaustive()
    }
}

impl Exporter {
    /// An exporter with these options; nothing happens until [`run`](Self::run).
    pub fn new(options: ExportOptions) -> Self {
        Self {
            options,
            counters: Arc::default(),
            by_type: Mutex::default(),
            stop: StopHandle::default(),
            events: ignore_events(),
        }
    }

    /// Calls `sink` with each [`RelayEvent`], on the relay's threads.
    #[must_use]
    pub fn on_event(mut self, sink: impl Fn(&RelayEvent) + Send + Sync + 'static) -> Self {
        self.events = Arc::new(sink);
        self
    }

    /// The counters so far.
    pub fn stats(&self) -> ExportStats {
        self.counters.snapshot()
    }

    /// The frames of each message type the exporter's reader lost (when the source's writer
    /// lapped it, or past a corrupt frame), as of the last batch published: every type of the
    /// source's registry, in its order, then any tag it does not list; over every source
    /// channel it attached to.
    ///
    /// A type's count is exact as of its last frame read; frames lost of types not read since
    /// are in [`ExportStats::lost`] and in no type's count.
    pub fn lost_by_type(&self) -> Vec<TypeCount> {
        self.by_type.lock().unwrap_or_else(PoisonError::into_inner).counts()
    }

    /// A handle that makes [`run`](Self::run) return.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Relays until stopped: waits for the source channel, attaches to it, publishes its
    /// frames, and attaches again if it is recreated.
    ///
    /// # Errors
    ///
    /// [`RelayError::InvalidKey`], [`RelayError::InvalidEndpoint`], [`RelayError::Listen`],
    /// [`RelayError::TlsFile`], [`RelayError::TlsNotBuilt`] or [`RelayError::Zenoh`] if the
    /// session cannot be set up;
    /// [`RelayError::Open`] if the source exists but is not a channel;
    /// [`RelayError::Registry`] if its schema registry is unreadable.
    pub fn run(&self) -> Result<(), RelayError> {
        let key = crate::key(&self.options.key)?;
        let session = open_session(&self.options.zenoh)?;
        let publisher = session
            .declare_publisher(key.clone())
            .congestion_control(CongestionControl::Block)
            .wait()
            .map_err(RelayError::zenoh("declare the publisher"))?;
        let desc: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let served = Arc::clone(&desc);
        let _queryable = session
            .declare_queryable(crate::registry_key(&key)?)
            .callback(move |query| {
                let reply = served.lock().unwrap_or_else(PoisonError::into_inner).clone();
                if let Some(bytes) = reply {
                    // A reply that cannot be sent is the querier's problem: it asks again.
                    let _ = query.reply(query.key_expr().clone(), bytes).wait();
                }
            })
            .wait()
            .map_err(RelayError::zenoh("declare the registry queryable"))?;
        let exporter = random_id();
        let mut waiting = false;
        while !self.stop.is_stopped() {
            let Some(ring) = self.attach(&mut waiting)? else { continue };
            let (channel, registry) = describe(&ring)?;
            let header = BatchHeader {
                exporter,
                epoch: channel.epoch,
                registry: channel.registry_hash,
                ..BatchHeader::default()
            };
            *desc.lock().unwrap_or_else(PoisonError::into_inner) = Some(channel.to_bytes());
            self.by_type.lock().unwrap_or_else(PoisonError::into_inner).restart(registry.as_ref());
            self.counters.attachments.add(1);
            (self.events)(&RelayEvent::SourceAttached {
                epoch: channel.epoch,
                typed: registry.is_some(),
            });
            self.pump(&ring, &publisher, header, &desc)?;
        }
        drop(publisher);
        session.close().wait().map_err(RelayError::zenoh("close the session"))
    }

    /// The source channel, or `None` after waiting a while for it to appear.
    fn attach(&self, waiting: &mut bool) -> Result<Option<RingBuffer<ReadOnly>>, RelayError> {
        match RingBuffer::attach(&self.options.path) {
            Ok(ring) => {
                *waiting = false;
                Ok(Some(ring))
            }
            Err(bcast::OpenError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                if !std::mem::replace(waiting, true) {
                    (self.events)(&RelayEvent::WaitingForSource);
                }
                std::thread::sleep(POLL);
                Ok(None)
            }
            Err(source) => Err(RelayError::Open { path: self.options.path.clone(), source }),
        }
    }

    /// Publishes the ring's frames until it is replaced or the exporter is stopped; follows a
    /// rollover of its schema (the description served in `desc`, and each batch's registry).
    fn pump(
        &self,
        ring: &RingBuffer<ReadOnly>,
        publisher: &Publisher<'_>,
        header: BatchHeader,
        desc: &Mutex<Option<Vec<u8>>>,
    ) -> Result<(), RelayError> {
        let mut reader = ring.clone().into_reader();
        let mut scratch = vec![0u8; reader.mtu()];
        let mut batch = Outgoing {
            header,
            batch: BatchBuilder::new(),
            reported_lost: 0,
            losses: TagLosses::default(),
            attributed: 0,
        };
        let mut checked = Instant::now();
        let mut backoff = MIN_BACKOFF;
        // After an overrun, the loss is known once the next frame is read: the lost count then.
        let mut lost_before_overrun = None;
        // The (tag, version) pairs of the frames read so far.
        let mut versions: Vec<(u32, u16)> = Vec::new();
        loop {
            let pending = match reader.try_recv(&mut scratch) {
                Ok(Some(frame)) => {
                    backoff = MIN_BACKOFF;
                    if let Some(before) = lost_before_overrun.take() {
                        let lost = reader.stats().lost - before;
                        (self.events)(&RelayEvent::Overrun { lost });
                    }
                    // A frame of a version not seen yet may be the first of a publisher that
                    // rolled the source over: its registry is stored before its first frame, so
                    // it is readable now. Frames before it go under the schema they came under.
                    if frame.version != 0
                        && !versions.contains(&(frame.tag, frame.version))
                        && versions.len() < MAX_VERSIONS
                    {
                        versions.push((frame.tag, frame.version));
                        self.flush(&mut batch, &reader, publisher);
                        if self.follow_rollover(ring, &mut batch.header, desc) {
                            // The new schema's versions are all to be seen afresh.
                            versions.clear();
                            versions.push((frame.tag, frame.version));
                        }
                    }
                    batch.losses.observe(&frame);
                    let payload = &scratch[..frame.len];
                    batch.batch.push(Frame { stamp: Stamp::from(&frame), payload });
                    self.counters.bytes.add(frame.len as u64);
                    if batch.batch.len() < self.options.batch_bytes {
                        continue;
                    }
                    true
                }
                Ok(None) => false,
                Err(bcast::Error::Overrun(_)) => {
                    lost_before_overrun.get_or_insert(reader.stats().lost);
                    self.counters.overruns.add(1);
                    reader.reset_to_oldest();
                    continue;
                }
                Err(bcast::Error::CorruptFrame { position }) => {
                    // Going back would publish again what was already sent, and meet the same
                    // frame: skip ahead to the writer instead, after a pause.
                    self.counters.corrupt_frames.add(1);
                    let pause = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    let skipped_to = reader.reset();
                    (self.events)(&RelayEvent::CorruptFrame { position, skipped_to, pause });
                    if self.pause(pause) {
                        return Ok(());
                    }
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            self.flush(&mut batch, &reader, publisher);
            if self.stop.is_stopped() {
                return Ok(());
            }
            if checked.elapsed() >= POLL {
                if ring.is_replaced() {
                    return Ok(());
                }
                // The batch is sent: what follows is relayed under the rolled-over schema.
                if self.follow_rollover(ring, &mut batch.header, desc) {
                    versions.clear();
                }
                checked = Instant::now();
            }
            if !pending {
                reader.wait_until(Instant::now() + POLL);
            }
        }
    }
}

impl Exporter {
    /// Publishes the frames gathered in `batch`, if any.
    fn flush(&self, batch: &mut Outgoing, reader: &Reader, publisher: &Publisher<'_>) {
        if batch.batch.count() == 0 {
            return;
        }
        batch.publish(reader, publisher, &self.counters);
        // Shared only when a type's count moved: most batches lose nothing.
        let attributed = batch.losses.iter().map(|(_, lost)| lost).sum();
        if attributed != std::mem::replace(&mut batch.attributed, attributed) {
            self.by_type.lock().unwrap_or_else(PoisonError::into_inner).current =
                batch.losses.clone();
        }
    }

    /// Checks whether a publisher of a later version rolled the source over to its schema (a
    /// registry other than the one `header` relays); if so, serves its description and relays
    /// under it from now on; `true` if it did. A registry that cannot be read now changes
    /// nothing: it was read when the exporter attached, and published sections never change.
    fn follow_rollover(
        &self,
        ring: &RingBuffer<ReadOnly>,
        header: &mut BatchHeader,
        desc: &Mutex<Option<Vec<u8>>>,
    ) -> bool {
        let Ok((channel, registry)) = describe(ring) else { return false };
        if channel.registry_hash == header.registry || registry.is_none() {
            return false;
        }
        header.registry = channel.registry_hash;
        *desc.lock().unwrap_or_else(PoisonError::into_inner) = Some(channel.to_bytes());
        self.by_type.lock().unwrap_or_else(PoisonError::into_inner).restart(registry.as_ref());
        (self.events)(&RelayEvent::SchemaRolledOver {
            side: RelaySide::Exporter,
            registry: channel.registry_hash,
        });
        true
    }

    /// Sleeps for `pause`, waking at least every [`POLL`] to check the stop flag; `true` if
    /// the exporter was stopped.
    fn pause(&self, pause: Duration) -> bool {
        let until = Instant::now() + pause;
        loop {
            if self.stop.is_stopped() {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            std::thread::sleep(left.min(POLL));
        }
    }
}

/// The batch being filled, and what its header reports.
struct Outgoing {
    header: BatchHeader,
    batch: BatchBuilder,
    /// The reader's loss count when the last batch was published.
    reported_lost: u64,
    /// The reader's losses per type.
    losses: TagLosses,
    /// Their sum when they were last shared.
    attributed: u64,
}

impl Outgoing {
    /// Publishes the batch, with the reader's cumulative losses in its header.
    fn publish(&mut self, reader: &Reader, publisher: &Publisher<'_>, counters: &ExportCounters) {
        let stats = reader.stats();
        (self.header.lost, self.header.overruns) = (stats.lost, stats.overruns);
        counters.lost.add(stats.lost - std::mem::replace(&mut self.reported_lost, stats.lost));
        let frames = u64::from(self.batch.count());
        match publisher.put(self.batch.take(&self.header)).wait() {
            Ok(()) => {
                counters.frames.add(frames);
                counters.batches.add(1);
            }
            Err(_) => counters.publish_errors.add(1),
        }
    }
}

/// A random id for this run of the exporter, from the process, the time and std's hasher keys.
fn random_id() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one((std::process::id(), nanos))
}

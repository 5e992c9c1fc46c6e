//! [`Importer`]: subscribes to an exporter's frames and writes them into a local channel.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::description::Description;
use bcast::typed::{Registry, TypedOpenError};
use zenoh::Wait;

use crate::by_type::{TypeCount, TypeTally};
use crate::config::{ZenohOptions, open_session};
use crate::error::RelayError;
use crate::event::{EventSink, RelayEvent, ignore_events};
use crate::resume::{Progress, ResumeFile};
use crate::sink::Sink;
use crate::stats::ImportStats;
use crate::stop::StopHandle;
use crate::tracker::Tracker;
use crate::wire::ChannelDesc;

/// How long one query for the channel's description waits for an exporter.
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);
/// The largest local channel an importer makes from an exporter's description unless told
/// otherwise ([`ImportOptions::max_capacity`]): 1 GiB.
pub const DEFAULT_MAX_CAPACITY: usize = 1 << 30;
/// The pause between queries that found no exporter.
const RETRY: Duration = Duration::from_millis(250);
/// How long the importer waits for an exporter before it says what to check.
const HINT_AFTER: Duration = Duration::from_secs(5);
/// How often `run` checks its stop flag and the callback's failures.
const POLL: Duration = Duration::from_millis(50);
/// How long the importer asks for the schema of batches that arrive under another one than
/// the local channel's before it gives up.
const SCHEMA_PATIENCE: Duration = Duration::from_secs(10);

/// What an [`Importer`] relays and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The Zenoh key the exporter publishes under.
    pub key: String,
    /// The local channel file to create (or reopen, after a previous importer) as its writer.
    pub path: PathBuf,
    /// The local channel's capacity in bytes; `None` takes the source's, so that every frame
    /// fits (frames over a smaller channel's MTU are counted in
    /// [`ImportStats::oversize`] and dropped).
    pub capacity: Option<usize>,
    /// The largest capacity taken from the exporter's description (when `capacity` is
    /// `None`): any peer on the network can answer the importer's query, and the local
    /// channel is allocated in full. A larger one is refused with
    /// [`RelayError::CapacityTooLarge`]. [`DEFAULT_MAX_CAPACITY`] by default.
    pub max_capacity: usize,
    /// Zenoh's endpoints and scouting.
    pub zenoh: ZenohOptions,
}

impl ImportOptions {
    /// Options for importing `key` into `path`, connecting to the default endpoint.
    pub fn new(key: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self {
            key: key.into(),
            path: path.into(),
            capacity: None,
            max_capacity: DEFAULT_MAX_CAPACITY,
            zenoh: ZenohOptions::connect_default(),
        }
    }
}

/// Writes the frames an [`Exporter`](crate::Exporter) publishes into a local channel made with
/// the same schema registry, so typed subscribers attach to it as to the source.
///
/// It starts at the live edge. A restarted importer reopens its channel, continues after its
/// last frame and counts the frames it missed while down ([`ImportStats::while_down`]), from a
/// small resume file beside the channel (`PATH.resume`).
pub struct Importer {
    options: ImportOptions,
    stop: StopHandle,
    events: EventSink,
    sink: Arc<Mutex<Option<Sink>>>,
    /// The counters of the last run, once it returned.
    finished: Mutex<(ImportStats, Vec<TypeCount>)>,
}

impl std::fmt::Debug for Importer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importer").field("options", &self.options).finish_non_exhaustive()
    }
}

impl Importer {
    /// An importer with these options; nothing happens until [`run`](Self::run).
    pub fn new(options: ImportOptions) -> Self {
        Self {
            options,
            stop: StopHandle::default(),
            events: ignore_events(),
            sink: Arc::default(),
            finished: Mutex::default(),
        }
    }

    /// Calls `sink` with each [`RelayEvent`], on the relay's threads.
    #[must_use]
    pub fn on_event(mut self, sink: impl Fn(&RelayEvent) + Send + Sync + 'static) -> Self {
        self.events = Arc::new(sink);
        self
    }

    /// The counters so far (all zero until the local channel is open), or those of the last
    /// run once it returned.
    pub fn stats(&self) -> ImportStats {
        let finished = || self.finished.lock().unwrap_or_else(PoisonError::into_inner).0;
        lock(&self.sink).as_ref().map_or_else(finished, |sink| sink.stats)
    }

    /// The frames of each message type missed so far (empty until the local channel is open;
    /// those of the last run once it returned): every type of a typed channel's registry, in
    /// its order, then any tag it does not list.
    ///
    /// A type's count is exact as of its last frame received; frames missed of types not
    /// received since are in [`ImportStats::missed`] and in no type's count. The local
    /// channel's subscribers count the same gaps ([`bcast::typed::Subscriber::lost_by_type`]),
    /// as the importer numbers its frames as the source did.
    pub fn missed_by_type(&self) -> Vec<TypeCount> {
        let finished = || self.finished.lock().unwrap_or_else(PoisonError::into_inner).1.clone();
        lock(&self.sink).as_ref().map_or_else(finished, |sink| sink.by_type.counts())
    }

    /// A handle that makes [`run`](Self::run) return.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Relays until stopped: asks the exporter for the channel's description (retrying until
    /// one answers), creates the local channel with its registry, then writes what arrives.
    ///
    /// # Errors
    ///
    /// [`RelayError::InvalidKey`], [`RelayError::InvalidEndpoint`], [`RelayError::Listen`],
    /// [`RelayError::TlsFile`], [`RelayError::TlsNotBuilt`] or [`RelayError::Zenoh`] if the
    /// session cannot be set up;
    /// [`RelayError::CapacityTooLarge`] if the exporter describes a channel over
    /// [`ImportOptions::max_capacity`]; [`RelayError::Open`] or [`RelayError::Typed`] if the
    /// local channel cannot be created (another writer holds it, or it carries another
    /// registry); [`RelayError::UntypedLocalChannel`] or [`RelayError::TypedLocalChannel`] if a
    /// channel of the other kind is already at the path; [`RelayError::SchemaRefused`] if the
    /// exporter later relays a schema that is not a compatible evolution of the local
    /// channel's (a compatible one rolls the local channel over), [`RelayError::SchemaChanged`]
    /// if it does not describe it; [`RelayError::ResumeFile`] if the resume file cannot be
    /// written.
    pub fn run(&self) -> Result<(), RelayError> {
        let key = crate::key(&self.options.key)?;
        let registry_key = crate::registry_key(&key)?;
        let session = open_session(&self.options.zenoh)?;
        let Some(desc) = self.wait_for_exporter(&session, &registry_key)? else {
            return Ok(());
        };
        *lock(&self.sink) = Some(self.open_channel(&desc)?);
        let sink = Arc::clone(&self.sink);
        let subscriber = session
            .declare_subscriber(key)
            .callback(move |sample| {
                if let Some(sink) = lock(&sink).as_mut() {
                    sink.on_message(&sample.payload().to_bytes());
                }
            })
            .wait()
            .map_err(RelayError::zenoh("declare the subscriber"))?;
        let mut asked_since: Option<Instant> = None;
        let outcome = loop {
            std::thread::sleep(POLL);
            if let Some(failure) = lock(&self.sink).as_mut().and_then(|sink| sink.failure.take()) {
                break Err(failure);
            }
            // Batches under another schema: ask the exporter for it (outside the lock, which
            // the subscriber's callback takes), and roll the local channel over to it.
            let pending = lock(&self.sink).as_ref().and_then(|sink| sink.pending);
            if let Some(pending) = pending {
                let since = *asked_since.get_or_insert_with(Instant::now);
                // A query that fails now may succeed later: only the patience ends the wait.
                let desc = fetch_desc(&session, &registry_key).ok().flatten();
                let mut sink = lock(&self.sink);
                let Some(sink) = sink.as_mut() else { continue };
                match desc {
                    Some(desc) if desc.registry_hash == pending => {
                        sink.roll_over(&desc);
                        asked_since = None;
                    }
                    // The exporter answers with another schema, or not at all, for too long.
                    _ if since.elapsed() >= SCHEMA_PATIENCE => {
                        break Err(RelayError::SchemaChanged {
                            path: self.options.path.clone(),
                            expected: sink.registry_hash,
                            found: pending,
                        });
                    }
                    _ => {}
                }
            }
            if self.stop.is_stopped() {
                break Ok(());
            }
        };
        drop(subscriber);
        // Give the local channel back (its writer lock with it), keeping the counters.
        if let Some(sink) = lock(&self.sink).take() {
            *self.finished.lock().unwrap_or_else(PoisonError::into_inner) =
                (sink.stats, sink.by_type.counts());
        }
        session.close().wait().map_err(RelayError::zenoh("close the session"))?;
        outcome
    }

    /// Asks for the channel's description until an exporter answers (`None` if stopped
    /// first). Says where it looks when it starts waiting, and after [`HINT_AFTER`] without an
    /// answer, what to check: again whenever the session goes from no peer to some, or back.
    fn wait_for_exporter(
        &self,
        session: &zenoh::Session,
        registry_key: &zenoh::key_expr::KeyExpr<'static>,
    ) -> Result<Option<ChannelDesc>, RelayError> {
        let zenoh = &self.options.zenoh;
        let started = Instant::now();
        let mut waiting = false;
        // Whether peers were connected when the last hint was given.
        let mut hinted: Option<bool> = None;
        loop {
            if self.stop.is_stopped() {
                return Ok(None);
            }
            if let Some(desc) = fetch_desc(session, registry_key)? {
                return Ok(Some(desc));
            }
            if !std::mem::replace(&mut waiting, true) {
                (self.events)(&RelayEvent::WaitingForExporter {
                    key: self.options.key.clone(),
                    connect: zenoh.connect.clone(),
                    listen: zenoh.listen.clone(),
                    multicast_scouting: zenoh.multicast_scouting,
                });
            }
            let waited = started.elapsed();
            if waited >= HINT_AFTER {
                let peers = session.info().peers_zid().wait().count();
                if hinted != Some(peers > 0) {
                    hinted = Some(peers > 0);
                    (self.events)(&RelayEvent::NoExporterYet {
                        key: self.options.key.clone(),
                        waited,
                        peers,
                        connect: zenoh.connect.clone(),
                        listen: zenoh.listen.clone(),
                    });
                }
            }
        }
    }

    /// The local channel's capacity: the one asked for, or the exporter's within the limit.
    fn capacity(&self, desc: &ChannelDesc) -> Result<usize, RelayError> {
        if let Some(capacity) = self.options.capacity {
            return Ok(capacity);
        }
        let max = self.options.max_capacity;
        usize::try_from(desc.capacity)
            .ok()
            .filter(|&capacity| capacity <= max)
            .ok_or(RelayError::CapacityTooLarge { offered: desc.capacity, max })
    }

    /// Creates (or reopens) the local channel and reads the previous run's progress.
    fn open_channel(&self, desc: &ChannelDesc) -> Result<Sink, RelayError> {
        let path = &self.options.path;
        let capacity = self.capacity(desc)?;
        // For the report only: a file that appears meanwhile is reopened, and said created.
        let reopened = std::fs::symlink_metadata(path).is_ok();
        let registry = desc.registry.as_deref().map(Registry::from_bytes).transpose()?;
        let ring = match &registry {
            Some(registry) => {
                let created = match &desc.description {
                    Some(description) => registry.create_described_channel(
                        path,
                        capacity,
                        &Description::decode(description)?,
                    ),
                    None => registry.create_channel(path, capacity),
                };
                created.map_err(|source| match source {
                    TypedOpenError::Untyped { .. } => {
                        RelayError::UntypedLocalChannel { path: path.clone() }
                    }
                    source => RelayError::Typed { path: path.clone(), source },
                })?
            }
            None => {
                let ring = RingBuffer::create(path, capacity)
                    .map_err(|source| RelayError::Open { path: path.clone(), source })?;
                // Untyped frames in a typed channel would be misread by its subscribers.
                if !matches!(Registry::read_from(&ring), Ok(None)) {
                    return Err(RelayError::TypedLocalChannel { path: path.clone() });
                }
                ring
            }
        };
        let capacity = ring.capacity() as u64;
        let writer = ring.into_writer();
        let (resume, progress) = ResumeFile::open(path)?;
        // A progress note lags the channel by the frames of the batch being written when the
        // previous importer died: count those as passed too. A note that the channel cannot
        // have come from (a channel made anew) is ignored.
        let (tracker, resumed) = resume_tracker(progress, writer.messages_published());
        (self.events)(&RelayEvent::ChannelOpened {
            typed: desc.registry.is_some(),
            capacity,
            reopened,
            resumed,
        });
        Ok(Sink {
            writer,
            registry_hash: desc.registry_hash,
            tracker,
            stats: ImportStats::default(),
            by_type: TypeTally::new(registry.as_ref()),
            unwritten: 0,
            resume,
            events: Arc::clone(&self.events),
            failure: None,
            path: path.clone(),
            pending: None,
            held: Vec::new(),
        })
    }
}

/// Asks the exporters on `key` for the channel's description; `None` if none answered in time.
fn fetch_desc(
    session: &zenoh::Session,
    key: &zenoh::key_expr::KeyExpr<'static>,
) -> Result<Option<ChannelDesc>, RelayError> {
    let replies = session
        .get(key.clone())
        .timeout(QUERY_TIMEOUT)
        .wait()
        .map_err(RelayError::zenoh("query the channel description"))?;
    let mut found = None;
    while let Ok(reply) = replies.recv() {
        if let Ok(sample) = reply.result()
            && found.is_none()
        {
            found = ChannelDesc::parse(&sample.payload().to_bytes()).ok();
        }
    }
    if found.is_none() {
        // With no peer connected the query ends at once: pause before asking again.
        std::thread::sleep(RETRY);
    }
    Ok(found)
}

/// The tracker that continues from `progress`, noted by a previous importer of a channel that
/// now holds `written` messages, and whether it does continue.
fn resume_tracker(progress: Option<Progress>, written: u64) -> (Tracker, bool) {
    // The note comes from a file: every value is checked, none is trusted to fit.
    let next_seq = progress
        .filter(|p| p.written >= 1 && p.written <= written)
        .and_then(|p| Some((p.epoch, p.next_seq.checked_add(written - p.written)?)));
    match next_seq {
        Some((epoch, next_seq)) => (Tracker::resume(epoch, next_seq), true),
        None => (Tracker::default(), false),
    }
}

fn lock(sink: &Mutex<Option<Sink>>) -> MutexGuard<'_, Option<Sink>> {
    sink.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_beyond_the_limit_or_the_address_space_are_refused() {
        let importer = Importer::new(ImportOptions::new("k", "/nonexistent/mirror"));
        let desc = |capacity| ChannelDesc::new(capacity, 1, None, None);
        assert_eq!(importer.capacity(&desc(1 << 20)).unwrap(), 1 << 20);
        for offered in [(1 << 30) + 1, 64 << 30, u64::MAX] {
            let refused = importer.capacity(&desc(offered));
            assert!(
                matches!(refused, Err(RelayError::CapacityTooLarge { offered: o, max }) if o == offered && max == DEFAULT_MAX_CAPACITY),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn a_hostile_resume_note_is_ignored_instead_of_overflowing() {
        let note = Progress { epoch: 9, next_seq: u64::MAX - 1, written: 1 };
        let (tracker, resumed) = resume_tracker(Some(note), 5);
        assert!(!resumed, "seq u64::MAX - 1 + 4 frames does not exist");
        assert_eq!(tracker.position(), None);
        let note = Progress { epoch: 9, next_seq: 100, written: 3 };
        let (tracker, resumed) = resume_tracker(Some(note), 5);
        assert!(resumed);
        assert_eq!(tracker.position(), Some((9, 102)));
    }
}

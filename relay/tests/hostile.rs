//! The relay facing hostile or corrupt input: a peer that describes an oversized channel, a
//! channel file that already exists, a source frame that something other than its writer
//! scribbled on. Exporters and importers run in this process, each with its own Zenoh session
//! over loopback TCP.

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bcast_relay::{
    ExportOptions, Exporter, ImportOptions, Importer, RelayError, RelayEvent, StopHandle,
    ZenohOptions,
};
use common::{PATIENCE, Paths, Ticks, create, endpoint, eventually};
use zenoh::Wait;

/// Events collected from a relay's callback.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<RelayEvent>>>);

impl Events {
    fn sink(&self) -> impl Fn(&RelayEvent) + Send + Sync + 'static {
        let events = Arc::clone(&self.0);
        move |event| events.lock().unwrap().push(event.clone())
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(ToString::to_string).collect()
    }

    /// Waits for an event whose line contains `needle`, and returns the line.
    fn wait_for(&self, needle: &str) -> String {
        eventually(&format!("an event with {needle:?}"), || {
            self.lines().into_iter().find(|line| line.contains(needle))
        })
    }
}

/// Stops a relay when dropped, so that a failed assertion never leaves its `run` going.
struct StopOnDrop(StopHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Runs `run` on a thread while `body` runs, then stops it (`stop`) and returns its outcome.
fn running<T>(
    run: impl FnOnce() -> Result<(), RelayError> + Send,
    stop: StopHandle,
    body: impl FnOnce() -> T,
) -> (Result<(), RelayError>, T) {
    std::thread::scope(|scope| {
        let relay = scope.spawn(run);
        let guard = StopOnDrop(stop);
        let value = body();
        drop(guard);
        (relay.join().expect("the relay does not panic"), value)
    })
}

/// A channel description as an exporter serves it, for an untyped channel of `capacity` bytes.
fn untyped_description(capacity: u64) -> Vec<u8> {
    let mut bytes = b"BCRD".to_vec();
    bytes.extend_from_slice(&2u16.to_le_bytes()); // version
    bytes.extend_from_slice(&0u16.to_le_bytes()); // untyped
    for field in [capacity, 0x5eed, 0] {
        bytes.extend_from_slice(&field.to_le_bytes()); // capacity, epoch, registry hash
    }
    bytes
}

#[test]
fn an_importer_refuses_a_channel_larger_than_its_limit() {
    let paths = Paths::new("hostile-capacity", &["mirror"]);
    let (mirror, port) = (paths.get(0), endpoint(0));
    let offered: u64 = 2 << 30;
    // A peer that answers the importer's query with a 2 GiB channel.
    let mut config = zenoh::Config::default();
    config.insert_json5("listen/endpoints", &format!("[\"{port}\"]")).unwrap();
    config.insert_json5("scouting/multicast/enabled", "false").unwrap();
    let session = zenoh::open(config).wait().expect("a session");
    let _queryable = session
        .declare_queryable("h/capacity/@registry")
        .callback(move |query| {
            let _ = query.reply(query.key_expr().clone(), untyped_description(offered)).wait();
        })
        .wait()
        .expect("a queryable");

    let mut options = ImportOptions::new("h/capacity", mirror);
    options.zenoh = ZenohOptions { connect: vec![port], ..ZenohOptions::default() };
    let importer = Importer::new(options);
    let returned = AtomicBool::new(false);
    let run = || {
        let outcome = importer.run();
        returned.store(true, Ordering::Relaxed);
        outcome
    };
    let (outcome, ()) = running(run, importer.stop_handle(), || {
        // Until it returns, or makes the channel (then it is stopped).
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline
            && !returned.load(Ordering::Relaxed)
            && !Path::new(mirror).exists()
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let error = outcome.expect_err("the importer refuses the channel");
    let message = error.to_string();
    assert!(message.contains(&offered.to_string()) && message.contains("1073741824"), "{message}");
    assert!(!Path::new(mirror).exists(), "no local channel was made");
    session.close().wait().expect("close");
}

#[test]
fn an_importer_says_it_reopened_a_channel_that_existed() {
    let paths = Paths::new("hostile-reopen", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(1));
    let _writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    // A channel at the importer's path already, made by someone else before it started.
    drop(bcast::RingBuffer::create(mirror, 1 << 16).expect("an existing channel"));

    let mut export = ExportOptions::new(source, "h/reopen");
    export.zenoh = ZenohOptions { listen: vec![port.clone()], ..ZenohOptions::default() };
    let exporter = Exporter::new(export);
    let mut import = ImportOptions::new("h/reopen", mirror);
    import.zenoh = ZenohOptions { connect: vec![port], ..ZenohOptions::default() };
    let events = Events::default();
    let importer = Importer::new(import).on_event(events.sink());
    let (exported, (imported, line)) = running(
        || exporter.run(),
        exporter.stop_handle(),
        || {
            running(
                || importer.run(),
                importer.stop_handle(),
                || events.wait_for("the local channel"),
            )
        },
    );
    exported.expect("the exporter");
    imported.expect("the importer");
    assert!(line.starts_with("reopened the local channel (untyped"), "{line}");
}

/// Relays `source` (already made) into `mirror` on `port` until the importer returns, and
/// returns its outcome.
fn import_until_it_returns(key: &str, source: &str, mirror: &str, port: &str) -> RelayError {
    let mut export = ExportOptions::new(source, key);
    export.zenoh = ZenohOptions { listen: vec![port.into()], ..ZenohOptions::default() };
    let exporter = Exporter::new(export);
    let mut import = ImportOptions::new(key, mirror);
    import.zenoh = ZenohOptions { connect: vec![port.into()], ..ZenohOptions::default() };
    let importer = Importer::new(import);
    let returned = AtomicBool::new(false);
    let import = || {
        let outcome = importer.run();
        returned.store(true, Ordering::Relaxed);
        outcome
    };
    let (exported, imported) = running(
        || exporter.run(),
        exporter.stop_handle(),
        || {
            running(import, importer.stop_handle(), || {
                let deadline = Instant::now() + PATIENCE;
                while Instant::now() < deadline && !returned.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
            .0
        },
    );
    exported.expect("the exporter");
    imported.expect_err("the importer refuses the existing channel")
}

#[test]
fn a_typed_import_over_an_existing_untyped_channel_is_refused_clearly() {
    let paths = Paths::new("hostile-untyped", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(3));
    let _publisher = create::<Ticks>(source, 1 << 16).expect("a typed source");
    let mut other = bcast::RingBuffer::create(mirror, 1 << 16).expect("untyped").into_writer();
    other.send(b"an untyped frame").expect("send");
    drop(other);
    let error = import_until_it_returns("h/untyped", source, mirror, &port);
    assert!(matches!(error, RelayError::UntypedLocalChannel { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(mirror) && message.contains("untyped writer"), "{message}");
    let registry = bcast::typed::Registry::read_from(&bcast::RingBuffer::attach(mirror).unwrap());
    assert!(registry.unwrap().is_none(), "no registry was written over it");
}

#[test]
fn an_untyped_import_over_an_existing_typed_channel_is_refused() {
    let paths = Paths::new("hostile-typed", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(4));
    let _writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    drop(create::<Ticks>(mirror, 1 << 16).expect("a typed channel"));
    let error = import_until_it_returns("h/typed", source, mirror, &port);
    assert!(matches!(error, RelayError::TypedLocalChannel { .. }), "{error:?}");
    assert!(error.to_string().contains(mirror), "{error}");
}

/// Makes the frame at `position` of the channel file at `path` (of `capacity` bytes) a 40-byte
/// message with unknown flags, and moves the writer's frontiers past it, as a buggy or hostile
/// process with write access could. The writer must be gone.
fn commit_a_corrupt_frame(path: &str, capacity: u64, position: u64) {
    /// Byte offsets of `claimed` and `committed` in the header (layout version 4).
    const CLAIMED: u64 = 128;
    const COMMITTED: u64 = 256;
    let region = bcast::RingBuffer::region_len(usize::try_from(capacity).unwrap());
    let header = region as u64 - capacity;
    let file = OpenOptions::new().read(true).write(true).open(path).expect("the channel file");
    let offset = header + position % capacity;
    // The commit word: 40 bytes, a message (kind 1), flags no writer uses.
    let commit = 40u64 | (1 << 32) | (0x7f << 40);
    file.write_all_at(&5u64.to_le_bytes(), offset + 8).unwrap(); // seq 5
    file.write_all_at(&7u64.to_le_bytes(), offset + 16).unwrap(); // tag 7
    file.write_all_at(&commit.to_le_bytes(), offset).unwrap();
    let word_at = |at: u64| {
        let mut word = [0u8; 8];
        file.read_exact_at(&mut word, at).unwrap();
        u64::from_le_bytes(word)
    };
    assert_eq!(word_at(COMMITTED), position, "the frame starts where the writer stopped");
    let end = position + 80; // header and payload
    file.write_all_at(&end.to_le_bytes(), COMMITTED).unwrap();
    let claimed = word_at(CLAIMED).max(end + 16);
    file.write_all_at(&claimed.to_le_bytes(), CLAIMED).unwrap();
}

#[test]
fn a_corrupt_source_frame_is_passed_once_and_nothing_is_published_twice() {
    const CAPACITY: usize = 1 << 16;
    let paths = Paths::new("hostile-corrupt", &["source"]);
    let (source, port) = (paths.get(0), endpoint(2));
    let mut writer = bcast::RingBuffer::create(source, CAPACITY).unwrap().into_writer();
    let mut export = ExportOptions::new(source, "h/corrupt");
    export.zenoh = ZenohOptions { listen: vec![port], ..ZenohOptions::default() };
    export.batch_bytes = 0;
    let events = Events::default();
    let exporter = Exporter::new(export).on_event(events.sink());
    let (outcome, stats) = running(
        || exporter.run(),
        exporter.stop_handle(),
        || {
            events.wait_for("attached to the source channel");
            for n in 0..5u8 {
                writer.send(&[n; 40]).expect("send");
            }
            eventually("five frames published", || (exporter.stats().frames == 5).then_some(()));
            let position = writer.position();
            drop(writer);
            commit_a_corrupt_frame(source, CAPACITY as u64, position);
            // However long the corrupt frame stays, the frames before it go out once.
            std::thread::sleep(Duration::from_secs(2));
            let stats = exporter.stats();
            // A writer that reopens the channel carries on after it, and is relayed.
            let mut writer = bcast::RingBuffer::create(source, CAPACITY)
                .expect("the channel reopens")
                .into_writer();
            writer.send(&[9; 40]).expect("send");
            eventually("the new frame published", || (exporter.stats().frames == 6).then_some(()));
            (position, stats)
        },
    );
    outcome.expect("the exporter");
    let (position, stats) = stats;
    assert_eq!(stats.frames, 5, "nothing republished: {stats}");
    assert_eq!(stats.corrupt_frames, 1, "{stats}");
    let reported: Vec<String> =
        events.lines().into_iter().filter(|line| line.starts_with("corrupt frame")).collect();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains(&format!("at position {position}")), "{reported:?}");
}

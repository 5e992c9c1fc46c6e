//! `bcast record` and `bcast tail --recording` against real channel files under /dev/shm.
#![cfg(all(target_os = "linux", not(miri)))]

#[path = "../../tests/common/market.rs"]
mod market;
#[path = "../../tests/common/shm_path.rs"]
mod shm_path;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::record::Recording;
use bcast::typed::Publisher;
use market::{MarketData, quote, trade};
use serde_json::Value;
use shm_path::ShmPath;
use support::{json_lines, stdout_of};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A recording directory unique to this process and `name`, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("bcast-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }

    fn as_str(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn record_stops_cleanly_on_sigint_and_tail_decodes_the_recording() -> TestResult {
    let path = ShmPath::new("cli-record");
    let dir = TempDir::new("cli-record");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let child = Command::new(env!("CARGO_BIN_EXE_bcast"))
        .args(["record", path.as_str(), "--dir", dir.as_str(), "--segment-size", "4K", "--json"])
        .stdout(Stdio::piped())
        .spawn()?;
    // Wait for the recorder's lock, then publish: everything from then on is recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.0.join(".recorder.lock").exists() {
        assert!(Instant::now() < deadline, "the recorder did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    for i in 0..200 {
        publisher.publish(&quote(i))?;
        publisher.publish(&trade(i))?;
    }
    // Until the recording holds all 400 (the recorder writes when the channel goes idle).
    loop {
        let mut reader = Recording::open(&dir.0)?.read_from_start()?;
        let mut frames = 0;
        while let Some(entry) = reader.next_entry()? {
            frames += u64::from(entry.frame().is_some());
        }
        if frames == 400 {
            break;
        }
        assert!(Instant::now() < deadline, "recorded {frames} of 400");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = libc::pid_t::try_from(child.id())?;
    // SAFETY: `kill` only reads its integer arguments.
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0);
    let output = child.wait_with_output()?;
    assert!(output.status.success(), "{}", output.status);
    let summary: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(summary["frames"], 400, "{summary}");
    assert!(summary["segments"].as_u64().is_some_and(|n| n > 1), "{summary}");
    assert_eq!(summary["lost"], 0);

    // The recording, decoded from the schema it carries.
    let args = ["tail", "--recording", dir.as_str(), "--json", "--count", "400", "--timeout", "5"];
    let lines = json_lines(&stdout_of(&args));
    assert_eq!(lines.len(), 400);
    for (i, line) in lines.iter().enumerate() {
        let n = (i / 2) as u64;
        let (kind, fields) = if i % 2 == 0 {
            let q = quote(n);
            let fields =
                serde_json::json!({ "symbol": q.symbol, "bid": q.bid, "ask": q.ask, "ts": q.ts });
            ("Quote", fields)
        } else {
            let t = trade(n);
            (
                "Trade",
                serde_json::json!({ "instrument": t.instrument, "price": t.price, "qty": t.qty }),
            )
        };
        assert_eq!((&line["event"], &line["type"]), (&Value::from("message"), &Value::from(kind)));
        assert_eq!(line["seq"], i as u64);
        assert_eq!(line["position"], Value::Null);
        assert_eq!(line["fields"], fields, "message {i}");
    }
    Ok(())
}

#[test]
fn tail_reports_a_corrupt_segment_and_goes_on() -> TestResult {
    let path = ShmPath::new("cli-record-corrupt");
    let dir = TempDir::new("cli-record-corrupt");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let ring = RingBuffer::attach(&path.0)?;
    let options = bcast::record::RecorderOptions {
        segment_bytes: 2 << 10,
        ..bcast::record::RecorderOptions::default()
    };
    let mut recorder = bcast::record::Recorder::new(&ring, &dir.0, options)?;
    for i in 0..100 {
        publisher.publish(&trade(i))?;
    }
    recorder.record_pending()?;
    drop(recorder);
    let segments = Recording::open(&dir.0)?.segments()?;
    let mut bytes = std::fs::read(&segments[1].path)?;
    let at = bytes.len() - 20;
    bytes[at] ^= 1;
    std::fs::write(&segments[1].path, &bytes)?;
    let text = stdout_of(&["tail", "--recording", dir.as_str(), "--timeout", "0.2"]);
    let corrupt: Vec<&str> = text.lines().filter(|l| l.starts_with("-- corrupt segment")).collect();
    assert_eq!(corrupt.len(), 1, "{text}");
    assert!(corrupt[0].contains("do not match their CRC"), "{text}");
    assert!(text.lines().any(|l| l.contains("messages not in the recording (corrupt)")), "{text}");
    let last = text.lines().rfind(|l| l.contains(" Trade ")).unwrap_or_default();
    assert!(last.contains("qty: 99"), "the segments after it are shown: {text}");
    Ok(())
}

#[test]
fn replay_publishes_a_recording_that_typed_subscribers_read_as_the_original() -> TestResult {
    use bcast::typed::Subscriber;
    use market::MarketDataView;

    let path = ShmPath::new("cli-replay-source");
    let copy = ShmPath::new("cli-replay-copy");
    let dir = TempDir::new("cli-replay");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let ring = RingBuffer::attach(&path.0)?;
    let mut recorder =
        bcast::record::Recorder::new(&ring, &dir.0, bcast::record::RecorderOptions::default())?;
    for i in 0..50 {
        publisher.publish(&quote(i))?;
        publisher.publish(&trade(i))?;
    }
    recorder.record_pending()?;
    drop(recorder);
    let args = ["replay", dir.as_str(), "--to", copy.as_str(), "--max", "--from", "20", "--json"];
    let summary: Value = serde_json::from_str(stdout_of(&args).trim())?;
    assert_eq!(summary["frames"], 80, "{summary}");
    let mut subscriber = Subscriber::<MarketData>::new(RingBuffer::attach(&copy.0)?)?;
    subscriber.reset_to_oldest();
    let mut read = Vec::new();
    while let Some(view) = subscriber.try_recv()? {
        read.push(match view {
            MarketDataView::Quote(q) => (1, q.ts.to_native()),
            MarketDataView::Trade(t) => (2, t.qty),
        });
    }
    let expected: Vec<(u32, u64)> = (10..50).flat_map(|i| [(1, i), (2, i)]).collect();
    assert_eq!(read, expected);
    Ok(())
}

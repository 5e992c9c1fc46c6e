//! Runs the `bcast` binary against real channel files under /dev/shm and checks its output.
#![cfg(all(target_os = "linux", not(miri)))]

#[path = "../../tests/common/market.rs"]
mod market;
#[path = "../../tests/common/shm_path.rs"]
mod shm_path;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::{Publisher, Registry};
use market::{MarketData, Trade, quote, trade};
use serde_json::Value;
use shm_path::ShmPath;
use support::{Running, bcast, bcast_within, json_lines, stdout_of};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A frame as an independent reader finds it.
struct Frame {
    position: u64,
    seq: u64,
    tag: u32,
    payload: Vec<u8>,
}

/// Every frame from position 0, read by an independent reader.
fn frames(path: &Path) -> Result<Vec<Frame>, Box<dyn std::error::Error>> {
    let mut reader = RingBuffer::attach(path)?.into_reader_at(0)?;
    let mut buf = vec![0; reader.mtu()];
    let mut frames = Vec::new();
    while let Some(msg) = reader.try_recv(&mut buf)? {
        let payload = buf[..msg.len].to_vec();
        frames.push(Frame { position: msg.position, seq: msg.seq, tag: msg.tag, payload });
    }
    Ok(frames)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn inspect_shows_layout_frontiers_writer_and_schema_of_a_typed_channel() -> TestResult {
    let path = ShmPath::new("inspect-typed");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    publisher.publish(&quote(0))?;
    publisher.publish(&trade(1))?;
    publisher.publish(&quote(2))?;
    let info = publisher.ring().info();

    let text = stdout_of(&["inspect", path.as_str()]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("channel     {}", path.as_str()));
    assert!(lines[1].starts_with("file        mode 0600, "), "{text}");
    let layout =
        format!("layout      version {}, capacity 64 KiB, mtu {} B", info.layout_version, info.mtu);
    assert_eq!(lines[2], layout);
    assert_eq!(lines[3], format!("committed   {} (lap 0)", info.committed));
    // The writer claims ahead of what it commits, a sixteenth of the ring at a time.
    assert!(info.claimed > info.committed && info.claimed - info.committed <= (64 << 10) / 16);
    let claimed = format!("claimed     {} (", info.claimed);
    assert!(lines[4].starts_with(&claimed) && lines[4].ends_with(" past committed)"), "{text}");
    assert_eq!(lines[5], "messages    3");
    assert_eq!(lines[6], format!("writer      alive, pid {}", std::process::id()));
    assert_eq!(lines[7], "replaced    no");
    assert_eq!(lines[9], "parked      0 readers");
    assert!(lines[10].starts_with("schema      MarketData (rkyv 0.8, "), "{text}");
    let registry = Registry::of::<MarketData>();
    for (line, entry) in lines[12..].iter().zip(&registry.types) {
        let row = format!(
            "{:>10}  {:<5}  {:#018x}  {}",
            entry.tag, entry.codec, entry.fingerprint, entry.name
        );
        assert_eq!(line.trim(), row.trim());
    }
    // Then, after a blank line, the message types as `bcast schema` declares them.
    assert_eq!(lines[14], "", "{text}");
    let declarations = stdout_of(&["schema", path.as_str()]);
    assert_eq!(lines[15..].join("\n") + "\n", declarations);
    assert!(lines.iter().all(|line| line.chars().count() < 100), "{text}");
    Ok(())
}

#[test]
fn inspect_json_holds_the_channel_info_and_the_registry() -> TestResult {
    let path = ShmPath::new("inspect-json");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    publisher.publish(&quote(0))?;
    publisher.publish(&trade(1))?;
    let info = publisher.ring().info();

    let json: Value = serde_json::from_str(&stdout_of(&["inspect", "--json", path.as_str()]))?;
    assert_eq!(json["path"], path.as_str());
    assert_eq!(json["file_mode"], 0o600);
    assert_eq!(json["file_mode_octal"], "0600");
    assert_eq!(json["capacity"], info.capacity);
    assert_eq!(json["mtu"], info.mtu);
    assert_eq!(json["committed"], info.committed);
    assert_eq!(json["claimed"], info.claimed);
    assert_eq!(json["messages"], 2);
    assert_eq!(json["lap"], 0);
    // In hex, as the fingerprints: `jq` and JavaScript read JSON numbers as doubles.
    assert_eq!(json["epoch"], format!("{:#018x}", info.epoch));
    assert_eq!(json["writer_alive"], true);
    assert_eq!(json["replaced"], false);
    assert_eq!(json["typed"], true);
    assert_eq!(json["registry_error"], Value::Null);
    assert_eq!(json["schema"]["channel"], "MarketData");
    assert_eq!(json["schema"]["rkyv_format"]["minor"], 8);
    let types: Vec<Value> = Registry::of::<MarketData>()
        .types
        .iter()
        .map(|entry| {
            serde_json::json!({
                "tag": entry.tag,
                "name": entry.name,
                "fingerprint": format!("{:#018x}", entry.fingerprint),
                "codec": entry.codec.to_string(),
            })
        })
        .collect();
    assert_eq!(json["schema"]["types"], Value::Array(types));
    let description: Value =
        serde_json::from_str(&stdout_of(&["schema", "--json", path.as_str()]))?;
    assert_eq!(json["description"], description, "the description, as `schema --json` prints it");
    Ok(())
}

#[test]
fn inspect_reports_an_untyped_channel_whose_writer_is_gone() -> TestResult {
    let path = ShmPath::new("inspect-untyped");
    let mut writer = RingBuffer::create(&path.0, 1 << 12)?.into_writer();
    writer.send(b"one")?;
    writer.send(b"two")?;
    drop(writer);

    let text = stdout_of(&["inspect", path.as_str()]);
    assert!(text.contains("\nmessages    2\n"), "{text}");
    // The word `stat` and `ls` use too.
    assert!(text.contains("\nwriter      gone\n"), "{text}");
    assert!(text.ends_with("\nschema      untyped (no registry)\n"), "{text}");

    let json: Value = serde_json::from_str(&stdout_of(&["inspect", path.as_str(), "--json"]))?;
    assert_eq!((&json["messages"], &json["capacity"]), (&Value::from(2), &Value::from(4096)));
    assert_eq!((&json["writer_alive"], &json["typed"]), (&Value::Bool(false), &Value::Bool(false)));
    assert_eq!((&json["schema"], &json["registry_len"]), (&Value::Null, &Value::from(0)));
    assert_eq!(json["description"], Value::Null);
    Ok(())
}

/// A channel whose message has nested, optional, vector, enum and map fields.
mod book {
    #![allow(unreachable_pub)]

    use std::collections::BTreeMap;

    use serde::Serialize;

    #[bcast::typed::schema]
    #[derive(Debug, Clone, Serialize)]
    pub enum Side {
        Bid,
        Ask = 5,
    }

    #[bcast::typed::schema]
    #[derive(Debug, Clone, Serialize)]
    pub enum Venue {
        Lit { mic: String },
        Dark(u32),
        Unknown,
    }

    #[bcast::typed::schema]
    #[derive(Debug, Clone, Serialize)]
    pub struct Level(pub f64, pub u32);

    #[bcast::typed::message(tag = 7)]
    #[derive(Debug, Clone, Serialize)]
    pub struct Book {
        pub symbol: String,
        pub side: Side,
        pub venue: Venue,
        pub levels: Vec<Level>,
        pub best: Option<Box<Level>>,
        pub flags: [u8; 3],
        pub by_venue: BTreeMap<String, Vec<u64>>,
        pub note: Option<String>,
    }

    #[derive(Debug, bcast::BcastChannel)]
    pub enum Books {
        Book(Book),
    }

    /// The `i`th book: every field depends on `i`, some are absent for odd ones.
    pub fn book(i: u32) -> Book {
        let venues = [Venue::Lit { mic: "XCME".into() }, Venue::Dark(i), Venue::Unknown];
        Book {
            symbol: format!("ES{i} \u{1b}[2J"),
            side: if i.is_multiple_of(2) { Side::Bid } else { Side::Ask },
            venue: venues[i as usize % 3].clone(),
            levels: (0..i % 4).map(|n| Level(f64::from(n) + 0.25, n * 10)).collect(),
            best: i.is_multiple_of(2).then(|| Box::new(Level(1.5, i))),
            flags: [1, 2, u8::try_from(i % 256).unwrap_or(0)],
            by_venue: (0..i % 3)
                .map(|n| (format!("v{n}"), vec![u64::from(n); n as usize]))
                .collect(),
            note: (i % 3 == 1).then(|| "a note longer than eight bytes".to_owned()),
        }
    }
}

#[test]
fn tail_decodes_a_typed_channel_into_what_its_publisher_sent() -> TestResult {
    let path = ShmPath::new("tail-decoded");
    let mut publisher = Publisher::<book::Books>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let sent: Vec<book::Book> = (0..6).map(book::book).collect();
    for book in &sent {
        publisher.publish(book)?;
    }

    let args = ["tail", path.as_str(), "--from-start", "--count", "6", "--json", "--timeout", "10"];
    let lines = json_lines(&stdout_of(&args));
    assert_eq!(lines.len(), 6);
    for (seq, (line, book)) in lines.iter().zip(&sent).enumerate() {
        assert_eq!(line["event"], "message");
        assert_eq!(
            (&line["seq"], &line["tag"], &line["type"]),
            (&Value::from(seq), &Value::from(7), &Value::from("Book"))
        );
        assert_eq!(line["fields"], serde_json::to_value(book)?, "message {seq}");
    }

    // Text: the fields in Rust-like syntax, the string's escape sequence escaped.
    let text =
        stdout_of(&["tail", path.as_str(), "--from-start", "--count", "2", "--timeout", "10"]);
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].ends_with("len  message"), "{text}");
    assert_eq!(
        rows[1].split_whitespace().take(5).collect::<Vec<_>>()[..4],
        ["0", "0", "7", "Book"]
    );
    assert!(
        rows[1].ends_with(concat!(
            r#"{ symbol: "ES0 \u{1b}[2J", side: Side::Bid, venue: Venue::Lit { mic: "XCME" }, "#,
            r#"levels: [], best: Some(Level(1.5, 0)), flags: [1, 2, 0], by_venue: {}, note: None }"#
        )),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no raw escape reaches the terminal");
    Ok(())
}

#[test]
fn tail_raw_shows_a_typed_channel_in_hex_and_names_frames_that_do_not_decode() -> TestResult {
    let path = ShmPath::new("tail-undecodable");
    let ring = RingBuffer::create(&path.0, 1 << 16)?;
    drop(Publisher::<book::Books>::new(ring.clone())?);
    let mut writer = ring.into_writer();
    writer.send_with_tag(b"not an archive", 7)?;
    let args = ["tail", path.as_str(), "--from-start", "--count", "1", "--json", "--timeout", "10"];
    let line = &json_lines(&stdout_of(&args))[0];
    assert_eq!(line["event"], "undecodable");
    assert_eq!(line["hex"], hex(b"not an archive"));
    assert!(line["error"].as_str().is_some_and(|error| !error.is_empty()), "{line}");
    let raw = ["tail", path.as_str(), "--from-start", "--count", "1", "--json", "--raw"];
    let line = &json_lines(&stdout_of(&raw))[0];
    assert_eq!((&line["event"], &line["type"]), (&Value::from("frame"), &Value::from("Book")));
    Ok(())
}

#[test]
fn tail_raw_prints_every_frame_with_its_tag_type_length_seq_and_hex() -> TestResult {
    let path = ShmPath::new("tail-typed");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    for i in 0..5 {
        if i % 2 == 0 { publisher.publish(&quote(i))? } else { publisher.publish(&trade(i))? }
    }
    let expected = frames(&path.0)?;
    assert_eq!(expected.len(), 5);

    let args = [
        "tail",
        path.as_str(),
        "--from-start",
        "--count",
        "5",
        "--json",
        "--raw",
        "--timeout",
        "10",
    ];
    let lines = json_lines(&stdout_of(&args));
    assert_eq!(lines.len(), 5);
    for (i, (line, Frame { position, seq, tag, payload })) in
        lines.iter().zip(&expected).enumerate()
    {
        let (tag_wanted, name) = if i % 2 == 0 { (1, "Quote") } else { (2, "Trade") };
        assert_eq!((*seq, *tag), (i as u64, tag_wanted));
        let wanted = serde_json::json!({
            "event": "frame",
            "position": position,
            "seq": i,
            "tag": tag_wanted,
            "type": name,
            "len": payload.len(),
            "hex": hex(&payload[..payload.len().min(32)]),
        });
        assert_eq!(line, &wanted);
    }
    assert_eq!(lines[1]["len"], size_of::<Trade>(), "a pod message is its struct's bytes");
    Ok(())
}

#[test]
fn tail_text_shows_a_hex_preview_of_the_first_bytes() -> TestResult {
    let path = ShmPath::new("tail-untyped");
    let mut writer = RingBuffer::create(&path.0, 1 << 12)?.into_writer();
    writer.send_with_tag(b"hello, world", 7)?;
    writer.send(b"hi")?;

    let text =
        stdout_of(&["tail", path.as_str(), "--from-start", "--count", "2", "--hex-bytes", "4"]);
    let rows: Vec<Vec<&str>> = text.lines().map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["position", "seq", "tag", "type", "len", "payload", "(hex)"]);
    assert_eq!(rows[1], ["0", "0", "7", "-", "12", "68656c6c.."]);
    assert_eq!(rows[2], ["48", "1", "0", "-", "2", "6869"]);
    assert_eq!(rows.len(), 3);
    Ok(())
}

/// Version 1 of an rkyv message, for `tail` across a rollover.
mod level_v1 {
    #[bcast::typed::message(tag = 5, version = 1)]
    #[derive(Debug)]
    pub struct Level {
        pub price: f64,
    }
    #[derive(Debug, bcast::BcastChannel)]
    pub enum Book {
        Level(Level),
    }
}

/// Version 2 of it.
mod level_v2 {
    #[bcast::typed::message(tag = 5, version = 2)]
    #[derive(Debug)]
    pub struct Level {
        pub price: f64,
        #[bcast(since = 2)]
        pub venue: Option<String>,
    }
    #[derive(Debug, bcast::BcastChannel)]
    pub enum Book {
        Level(Level),
    }
}

#[test]
fn tail_reads_the_description_again_when_a_later_version_rolls_the_channel_over() -> TestResult {
    use std::io::{BufRead, BufReader};

    let path = ShmPath::new("tail-rollover");
    let mut first = Publisher::<level_v1::Book>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    first.publish(&level_v1::Level { price: 1.5 })?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcast"))
        .args(["tail", path.as_str(), "--from-start", "--json", "--count", "2"])
        .args(["--timeout", "30"])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    // The tail decoded the first message with version 1's description before the rollover.
    let before: Value = serde_json::from_str(&lines.next().expect("the first message")?)?;
    assert_eq!(before["fields"], serde_json::json!({ "price": 1.5 }));
    drop(first);
    let mut second = Publisher::<level_v2::Book>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    second.publish(&level_v2::Level { price: 2.5, venue: Some("XCME".into()) })?;
    let after: Value = serde_json::from_str(&lines.next().expect("the second message")?)?;
    assert_eq!(after["event"], "message", "{after}");
    assert_eq!(after["fields"], serde_json::json!({ "price": 2.5, "venue": "XCME" }));
    assert!(child.wait()?.success());
    Ok(())
}

#[test]
fn tail_follows_frames_published_after_it_starts() -> TestResult {
    let path = ShmPath::new("tail-follow");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 20)?)?;
    for ts in 0..5 {
        publisher.publish(&quote(ts))?; // before the tail attaches: not shown
    }
    let child = Command::new(env!("CARGO_BIN_EXE_bcast"))
        .args(["tail", path.as_str(), "--json", "--count", "3", "--timeout", "30"])
        .stdout(Stdio::piped())
        .spawn()?;
    let finished = Arc::new(AtomicBool::new(false));
    let waiter = {
        let finished = Arc::clone(&finished);
        std::thread::spawn(move || {
            let output = child.wait_with_output();
            finished.store(true, Ordering::Relaxed);
            output
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ts = 5;
    while !finished.load(Ordering::Relaxed) && Instant::now() < deadline {
        publisher.publish(&trade(ts))?;
        ts += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    let output = waiter.join().expect("the waiter thread")?;
    assert!(output.status.success());
    let lines = json_lines(std::str::from_utf8(&output.stdout)?);
    assert_eq!(lines.len(), 3);
    let first = lines[0]["seq"].as_u64().expect("a seq");
    assert!(first >= 5, "starts at the writer's position, not at the first message");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["seq"], first + i as u64, "consecutive: {lines:?}");
        assert_eq!((&line["type"], &line["len"]), (&Value::from("Trade"), &Value::from(24)));
    }
    Ok(())
}

#[test]
fn tail_reports_messages_lost_to_an_overrun() -> TestResult {
    let path = ShmPath::new("tail-overrun");
    let mut writer = RingBuffer::create(&path.0, 256)?.into_writer(); // holds a few frames
    for i in 0..40u8 {
        writer.send(&[i; 32])?;
    }
    let lines = json_lines(&stdout_of(&[
        "tail",
        path.as_str(),
        "--from-start",
        "--json",
        "--timeout",
        "0.5",
    ]));
    assert_eq!(lines[0]["event"], "lost", "{lines:?}");
    let lost = lines[0]["messages"].as_u64().expect("a count");
    assert_eq!(lines[0]["before_seq"], lost);
    let seqs: Vec<u64> =
        lines[1..].iter().map(|line| line["seq"].as_u64().expect("a seq")).collect();
    assert!(!seqs.is_empty(), "the frames still in the ring are shown");
    assert_eq!(seqs, (lost..40).collect::<Vec<_>>(), "everything after the loss, in order");
    let last = &lines[lines.len() - 1];
    assert_eq!(last["hex"], hex(&[39; 32]));
    Ok(())
}

#[test]
fn tail_exits_when_the_timeout_passes_without_a_frame() -> TestResult {
    let path = ShmPath::new("tail-timeout");
    let _writer = RingBuffer::create(&path.0, 1 << 12)?.into_writer();
    let start = Instant::now();
    let text = stdout_of(&["tail", path.as_str(), "--timeout", "0.3"]);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(text.lines().count(), 1, "only the column headings: {text}");
    Ok(())
}

#[test]
fn stat_counts_messages_per_type_while_a_thread_publishes() -> TestResult {
    let path = ShmPath::new("stat-json");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 20)?)?;
    publisher.publish(&quote(0))?;
    let quote_len = frames(&path.0)?[0].payload.len();
    let stop = Arc::new(AtomicBool::new(false));
    let publishing = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || -> Result<(), bcast::typed::PublishError> {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                publisher.publish(&quote(i))?; // pairs: the counts differ by one at most
                publisher.publish(&trade(i))?;
                i += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(())
        })
    };
    let output = bcast(&["stat", path.as_str(), "--interval", "0.2", "--count", "1", "--json"]);
    stop.store(true, Ordering::Relaxed);
    publishing.join().expect("the publishing thread")?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines = json_lines(std::str::from_utf8(&output.stdout)?);
    assert_eq!(lines.len(), 1);
    let sample = &lines[0];
    let count = |i: usize, key: &str| sample["types"][i][key].as_u64().expect("a count");
    assert_eq!(
        (&sample["types"][0]["tag"], &sample["types"][0]["type"]),
        (&1.into(), &"Quote".into())
    );
    assert_eq!(
        (&sample["types"][1]["tag"], &sample["types"][1]["type"]),
        (&2.into(), &"Trade".into())
    );
    let (quotes, trades) = (count(0, "messages"), count(1, "messages"));
    assert!(quotes > 0 && trades > 0 && quotes.abs_diff(trades) <= 1, "{sample}");
    assert_eq!(count(0, "bytes"), quotes * quote_len as u64);
    assert_eq!(count(1, "bytes"), trades * size_of::<Trade>() as u64);
    assert_eq!(sample["total"]["messages"], quotes + trades);
    assert_eq!((&sample["lost"], &sample["overruns"]), (&0.into(), &0.into()));
    // The sampler keeps up: at the end of the interval it is at most a few messages behind.
    let lag = sample["lag"]["messages"].as_u64().expect("a lag");
    assert!(lag < 1000 && sample["lag"]["bytes"].as_u64() >= Some(lag * 40), "{sample}");
    assert!(sample["writer"]["messages"].as_u64() >= Some(quotes + trades), "{sample}");
    assert!(sample["writer"]["total"].as_u64() > Some(quotes + trades), "{sample}");
    assert_eq!(sample["writer"]["alive"], true);
    let secs = sample["interval_s"].as_f64().expect("seconds");
    assert!((0.2..5.0).contains(&secs), "{secs}");
    let rate = sample["total"]["messages_per_s"].as_f64().expect("a rate");
    assert!((rate - (quotes + trades) as f64 / secs).abs() < 1e-6 * rate.max(1.0));
    Ok(())
}

#[test]
fn stat_prints_a_row_per_registered_type_and_a_total() -> TestResult {
    let path = ShmPath::new("stat-text");
    let _publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?; // idle: every count is zero
    let text = stdout_of(&["stat", path.as_str(), "--interval", "0.1", "--count", "2"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 * 5, "{text}");
    for block in lines.chunks(5) {
        assert!(
            block[0].contains("lost 0, overruns 0, lag 0 msg; writer 0 msg/s, 0 total, alive"),
            "{text}"
        );
        let rows: Vec<Vec<&str>> =
            block[1..].iter().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows[0], ["tag", "type", "msg/s", "bytes/s", "messages", "bytes", "lost"]);
        assert_eq!(rows[1], ["1", "Quote", "0", "0", "B/s", "0", "0", "B", "0"]);
        assert_eq!(rows[2], ["2", "Trade", "0", "0", "B/s", "0", "0", "B", "0"]);
        assert_eq!(rows[3], ["total", "0", "0", "B/s", "0", "0", "B", "0"]);
    }
    Ok(())
}

#[test]
fn bench_reports_ordered_percentiles_of_every_round_trip() -> TestResult {
    let args = ["bench", "--messages", "1000", "--warmup", "100", "--size", "32", "--json"];
    let report: Value = serde_json::from_str(&stdout_of(&args))?;
    assert_eq!((&report["messages"], &report["size"]), (&1000.into(), &32.into()));
    let rtt = &report["rtt_ns"];
    let order: Vec<u64> = ["min", "p50", "p90", "p99", "p99.9", "max"]
        .iter()
        .map(|key| rtt[key].as_u64().expect("nanoseconds"))
        .collect();
    assert!(order[0] > 0 && order.is_sorted(), "{rtt}");
    let buckets = report["histogram"].as_array().expect("buckets");
    let counted: u64 = buckets.iter().map(|b| b["count"].as_u64().expect("a count")).sum();
    assert_eq!(counted, 1000, "every round trip is in the histogram");
    assert!(buckets.windows(2).all(|w| w[0]["le_ns"].as_u64() < w[1]["le_ns"].as_u64()));

    let text = stdout_of(&["bench", "--messages", "200"]);
    for label in ["min", "p50", "p90", "p99", "p99.9", "max", "mean", "rtt up to"] {
        assert!(text.lines().any(|line| line.trim_start().starts_with(label)), "{label}: {text}");
    }
    Ok(())
}

#[test]
fn bench_sizes_its_rings_for_messages_just_under_a_power_of_two() -> TestResult {
    // 16 368 + 16 bytes is a quarter of 64 KiB, but a 64 KiB ring carries at most 16 352 bytes
    // (a quarter less the 32-byte frame header): the ring must be the next size up.
    for size in ["16368", "16352", "16353"] {
        let args = ["bench", "--messages", "20", "--warmup", "0", "--size", size, "--json"];
        let report: Value = serde_json::from_str(&stdout_of(&args))?;
        assert_eq!(report["size"].as_u64(), Some(size.parse()?), "{report}");
    }
    Ok(())
}

#[test]
fn a_missing_channel_is_an_error_that_names_the_path() {
    let path = ShmPath::new("missing");
    let p = path.as_str();
    for args in
        [["inspect", p].as_slice(), &["tail", p, "--timeout", "1"], &["stat", p, "--count", "1"]]
    {
        let output = bcast(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(path.as_str()) && stderr.contains("No such file"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn a_file_that_is_not_a_channel_is_refused() -> TestResult {
    let path = ShmPath::new("not-a-channel");
    std::fs::write(&path.0, vec![0u8; 128 << 10])?; // longer than the smallest channel
    let output = bcast(&["inspect", path.as_str()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains(path.as_str()) && stderr.contains("not a bcast channel"), "{stderr}");
    Ok(())
}

#[test]
fn bad_arguments_are_refused_before_anything_runs() {
    for args in [
        ["stat", "/dev/shm/x", "--interval", "0"].as_slice(),
        &["tail", "/dev/shm/x", "--from-start", "--from-oldest"],
        &["tail", "/dev/shm/x", "--timeout", "soon"],
        &["bench", "--messages", "0"],
    ] {
        let output = bcast(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("error:"), "{args:?}");
    }
}

/// CPU time, in clock ticks, that process `pid` has used so far (0 once it is gone).
fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    let fields: Vec<&str> =
        stat.rsplit_once(") ").map(|(_, rest)| rest.split(' ').collect()).unwrap_or_default();
    // After the command name: state is field 3 of the file, utime 14 and stime 15.
    let ticks = |field: usize| fields.get(field - 3).and_then(|v| v.parse::<u64>().ok());
    ticks(14).unwrap_or(0) + ticks(15).unwrap_or(0)
}

#[test]
fn tail_backs_off_and_reports_an_overrun_that_resetting_does_not_clear() -> TestResult {
    use std::io::BufRead;
    use std::os::unix::fs::FileExt;
    let path = ShmPath::new("tail-stuck");
    let mut writer = RingBuffer::create(&path.0, 4096)?.into_writer();
    for i in 0..20u8 {
        writer.send(&[i; 32])?; // 64-byte frames: the stream ends at 1280
    }
    drop(writer);
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcast"))
        .args(["tail", path.as_str(), "--from-start", "--json", "--timeout", "1"])
        .stdout(Stdio::piped())
        .spawn()?;
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("piped");
    // Drains the output (whatever its volume) and passes on the first few hundred lines.
    let drain = std::thread::spawn(move || {
        for (n, line) in std::io::BufReader::new(stdout).lines().enumerate() {
            let Ok(line) = line else { break };
            if n < 300 {
                let _ = lines_tx.send(line);
            }
        }
    });
    let mut output = Vec::new();
    while output.len() < 20 {
        output.push(lines.recv_timeout(Duration::from_secs(10))?);
    }
    // `tail` has shown the 20 frames and waits at 1280. Now the header claims the writer
    // reserved up to 2^40, far ahead of the 2048 it says are committed: every read is an overrun,
    // and so is every read after a reset (to `committed`, or to the oldest intact frame).
    let file = std::fs::OpenOptions::new().write(true).open(&path.0)?;
    file.write_all_at(&(1u64 << 40).to_ne_bytes(), 128)?; // claimed
    file.write_all_at(&2048u64.to_ne_bytes(), 256)?; // committed

    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ticks = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() > deadline {
            child.kill()?;
            child.wait()?;
            break None;
        }
        ticks = ticks.max(cpu_ticks(pid));
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed();
    drain.join().expect("the drain thread");
    output.extend(lines.try_iter());
    let status = status.ok_or("tail did not exit within 10 s: it spins on the overrun")?;
    assert!(status.success(), "{status}");
    let events = json_lines(&output.join("\n"));
    let stuck: Vec<_> = events.iter().filter(|e| e["event"] == "stuck").collect();
    assert_eq!(stuck.len(), 1, "reported once: {events:?}");
    assert_eq!(stuck[0]["claimed"], 1u64 << 40);
    let last = events.last().expect("events");
    assert_eq!(last["event"], "stuckoverruns", "{events:?}");
    assert!(last["count"].as_u64().is_some_and(|count| count >= 1));
    // Clock ticks are hundredths of a second on Linux.
    let cpu = Duration::from_millis(ticks * 10);
    assert!(cpu < wall * 3 / 10, "tail used {cpu:?} of CPU in {wall:?}");
    Ok(())
}

/// The node whose id is `id` in a description printed by `schema --json` (`Null` if none).
fn node<'a>(description: &'a Value, id: &Value) -> &'a Value {
    let nodes = description["nodes"].as_array().into_iter().flatten();
    nodes.into_iter().find(|node| node["id"] == *id).unwrap_or(&Value::Null)
}

#[test]
fn schema_prints_rust_declarations_and_the_description_as_json() -> TestResult {
    let path = ShmPath::new("schema-book");
    let _publisher = Publisher::<book::Books>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let fingerprint = format!("{:#018x}", Registry::of::<book::Books>().types[0].fingerprint);
    let text = stdout_of(&["schema", path.as_str()]);
    let expected = format!(
        "// tag 7, rkyv, fingerprint {fingerprint}
struct Book {{
    symbol: String,
    side: Side,
    venue: Venue,
    levels: Vec<Level>,
    best: Option<Box<Level>>,
    flags: [u8; 3],
    by_venue: BTreeMap<String, Vec<u64>>,
    note: Option<String>,
}}
enum Side {{
    Bid,
    Ask = 5,
}}
enum Venue {{
    Lit {{
        mic: String,
    }},
    Dark(u32),
    Unknown,
}}
struct Level(f64, u32);
"
    );
    assert_eq!(text, expected);

    let json: Value = serde_json::from_str(&stdout_of(&["schema", path.as_str(), "--json"]))?;
    assert_eq!(
        (&json["channel"], &json["format_version"]),
        (&Value::from("Books"), &Value::from(1))
    );
    let book = &json["types"][0];
    assert_eq!(
        (&book["tag"], &book["name"], &book["codec"]),
        (&Value::from(7), &Value::from("Book"), &Value::from("rkyv"))
    );
    assert_eq!(book["fingerprint"], fingerprint.as_str());
    let root = node(&json, &book["root"]);
    assert_eq!((&root["kind"], &root["type"]), (&Value::from("struct"), &Value::from("Book")));
    let fields: Vec<&str> = root["fields"]
        .as_array()
        .ok_or("fields")?
        .iter()
        .filter_map(|f| f["type"].as_str())
        .collect();
    assert_eq!(fields[..4], ["String", "Side", "Venue", "Vec<Level>"]);
    let side = node(&json, &root["fields"][1]["node"]);
    assert_eq!(side["variants"][1]["discriminant"], "5", "as text: an i128 may not fit a number");
    Ok(())
}

#[test]
fn schema_shows_a_pod_type_with_its_layout_and_refuses_an_untyped_channel() -> TestResult {
    let path = ShmPath::new("schema-pod");
    let _publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let text = stdout_of(&["schema", path.as_str()]);
    assert!(
        text.contains(concat!(
            "#[repr(C)]\nstruct Trade {\n",
            "    instrument: u64, // offset 0, 8 bytes\n",
            "    price: f64, // offset 8, 8 bytes\n",
            "    qty: u64, // offset 16, 8 bytes\n",
            "} // 24 bytes, align 8\n",
        )),
        "{text}"
    );
    let json: Value = serde_json::from_str(&stdout_of(&["schema", path.as_str(), "--json"]))?;
    let trade = node(&json, &json["types"][1]["root"]);
    assert_eq!(trade["layout"]["slots"][1], serde_json::json!({ "offset": 8, "size": 8 }));

    let untyped = ShmPath::new("schema-untyped");
    drop(RingBuffer::create(&untyped.0, 1 << 12)?);
    let output = bcast(&["schema", untyped.as_str()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("untyped channel has no schema"), "{stderr}");
    Ok(())
}

#[test]
fn a_fifo_or_a_directory_at_the_path_is_refused_at_once_by_every_command() {
    let fifo = ShmPath::new("fifo");
    let made = Command::new("mkfifo").arg(&fifo.0).status().expect("mkfifo runs");
    assert!(made.success());
    let dir = ShmPath::new("dir");
    std::fs::create_dir(&dir.0).expect("a directory");
    for (path, kind) in [(fifo.as_str(), "a FIFO"), (dir.as_str(), "a directory")] {
        for command in ["inspect", "tail", "stat", "schema"] {
            let output = bcast_within(&[command, path], Duration::from_secs(20));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{command} {path}: {stderr}");
            assert!(stderr.contains(&format!("it is {kind}, not a regular file")), "{stderr}");
        }
    }
    std::fs::remove_dir(&dir.0).expect("remove the directory");
}

#[test]
fn bad_arguments_exit_2_and_errors_under_json_are_json() {
    let output = bcast(&["bench", "--size", "100000000"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--size 100000000"), "{output:?}");

    let missing = ShmPath::new("missing");
    let output = bcast(&["inspect", missing.as_str(), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&output.stderr).expect("a JSON error on stderr");
    assert_eq!(error["status"], 1);
    assert!(error["error"].as_str().is_some_and(|text| text.contains(missing.as_str())), "{error}");
    assert!(output.stdout.is_empty());
}

#[test]
fn names_from_a_hostile_registry_are_escaped_in_every_text_output() -> TestResult {
    let path = ShmPath::new("hostile-names");
    let mut registry = Registry::of::<MarketData>();
    registry.channel = "Market\u{1b}]0;pwned\u{7}".into();
    registry.types[0].name = "Quote\u{1b}[2J".into();
    let description =
        bcast::typed::description::Description::of(<MarketData as bcast::typed::Channel>::SHAPES);
    let mut writer =
        registry.create_described_channel(&path.0, 1 << 16, &description)?.into_writer();
    writer.send_with_tag(b"x", 1)?;
    for args in [
        &["inspect", path.as_str()][..],
        &["tail", path.as_str(), "--from-start", "--count", "1", "--timeout", "5"],
        &["stat", path.as_str(), "--count", "1", "--interval", "0.1"],
        &["schema", path.as_str()],
    ] {
        let text = stdout_of(args);
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{args:?}: {text:?}");
    }
    Ok(())
}

#[test]
fn tail_follows_the_path_to_a_channel_that_replaced_the_one_it_read() -> TestResult {
    let path = ShmPath::new("tail-replaced");
    let mut old = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let tail = Running::spawn(&["tail", path.as_str(), "--json", "--timeout", "30"]);
    // Publish on the old channel until the tail shows one of its messages.
    let mut ts = 0;
    let first = loop {
        old.publish(&quote(ts))?;
        ts += 1;
        if let Ok(line) = tail.stdout.recv_timeout(Duration::from_millis(20)) {
            break serde_json::from_str::<Value>(&line)?;
        }
        assert!(ts < 1500, "the tail shows nothing");
    };
    assert_eq!(first["event"], "message");
    // A new publisher replaces the channel at the same path.
    drop(old);
    RingBuffer::remove(&path.0)?;
    let mut new = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    new.publish(&trade(100))?;
    new.publish(&trade(101))?;
    let limit = Duration::from_secs(30);
    let replaced = loop {
        let line = tail.next_json(limit);
        if line["event"] != "message" {
            break line;
        }
    };
    assert_eq!(
        (&replaced["event"], &replaced["path"]),
        (&Value::from("replaced"), &Value::from(path.as_str()))
    );
    let (a, b) = (tail.next_json(limit), tail.next_json(limit));
    assert_eq!(
        (&a["fields"]["qty"], &b["fields"]["qty"]),
        (&Value::from(100), &Value::from(101)),
        "the new channel from its start"
    );
    Ok(())
}

#[test]
fn stat_follows_the_path_to_a_channel_that_replaced_the_one_it_sampled() -> TestResult {
    let path = ShmPath::new("stat-replaced");
    let old = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let stat = Running::spawn(&["stat", path.as_str(), "--json", "--interval", "0.1"]);
    let limit = Duration::from_secs(30);
    assert_eq!(stat.next_json(limit)["writer"]["alive"], true);
    drop(old);
    RingBuffer::remove(&path.0)?;
    let mut new = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    let deadline = Instant::now() + limit;
    let mut replaced = false;
    let mut ts = 0;
    loop {
        new.publish(&trade(ts))?;
        ts += 1;
        if let Ok(line) = stat.stdout.recv_timeout(Duration::from_millis(5)) {
            let sample: Value = serde_json::from_str(&line)?;
            replaced |= sample["replaced"] == true;
            // After following the new channel, its messages are counted.
            if replaced && sample["total"]["messages"].as_u64().is_some_and(|n| n > 0) {
                assert_eq!(sample["writer"]["alive"], true);
                break;
            }
        }
        assert!(Instant::now() < deadline, "stat never counted the new channel's messages");
    }
    Ok(())
}

#[test]
fn stat_counts_losses_per_type() -> TestResult {
    let path = ShmPath::new("stat-losses");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 12)?)?;
    let stat = Running::spawn(&["stat", path.as_str(), "--json", "--interval", "0.05"]);
    let limit = Duration::from_secs(30);
    let count = |sample: &Value, i: usize, key: &str| sample["types"][i][key].as_u64().unwrap_or(0);
    // The sampler sees one message of each type...
    let deadline = Instant::now() + limit;
    let (mut quotes, mut trades) = (0, 0);
    while quotes == 0 || trades == 0 {
        publisher.publish(&quote(0))?;
        publisher.publish(&trade(0))?;
        let sample = stat.next_json(limit);
        (quotes, trades) =
            (quotes + count(&sample, 0, "messages"), trades + count(&sample, 1, "messages"));
        assert!(Instant::now() < deadline, "stat counted nothing");
    }
    // ...then, stopped, is lapped by a burst of trades (a 4 KiB ring holds about 80), and
    // goes on to one message of each type.
    let signal = |name: &str| {
        let pid = stat.child.id().to_string();
        let sent = Command::new("kill").args([name, &pid]).status().expect("kill runs");
        assert!(sent.success());
    };
    signal("-STOP");
    for qty in 0..1_000 {
        publisher.publish(&trade(qty))?;
    }
    signal("-CONT");
    // A loss shows when the sampler, reset past the burst, receives a message after it.
    let (mut lost, mut lost_quotes, mut lost_trades) = (0, 0, 0);
    while lost == 0 || lost_trades < lost {
        publisher.publish(&trade(1))?;
        let sample = stat.next_json(limit);
        lost += sample["lost"].as_u64().unwrap_or(0);
        lost_quotes += count(&sample, 0, "lost");
        lost_trades += count(&sample, 1, "lost");
        assert!(Instant::now() < deadline + limit, "lost {lost}, trades {lost_trades}");
    }
    assert!(lost >= 900, "the burst lapped the sampler: {lost}");
    assert_eq!((lost_quotes, lost_trades), (0, lost), "every message lost was a trade");
    // A quote after the burst: none of its type was lost.
    publisher.publish(&quote(1))?;
    while count(&stat.next_json(limit), 0, "messages") == 0 {
        assert!(Instant::now() < deadline + limit, "the quote never came");
    }
    Ok(())
}

#[test]
fn schema_locks_are_printed_and_checked_against_channels() -> TestResult {
    let dir = support::TempDir::new("schema-lock");
    let channel = dir.0.join("md");
    let _publisher = Publisher::<MarketData>::new(RingBuffer::create(&channel, 1 << 16)?)?;
    let channel = channel.to_str().expect("UTF-8");
    // The lock the tool prints is the library's, and the channel is compatible with it.
    let text = stdout_of(&["schema", channel, "--lock"]);
    assert_eq!(text, bcast::typed::SchemaLock::of::<MarketData>().render());
    let lock = dir.0.join("md.lock");
    std::fs::write(&lock, &text)?;
    let lock = lock.to_str().expect("UTF-8");
    let said = stdout_of(&["schema", "check", "--lock", lock, channel]);
    assert!(said.contains("compatible with") && said.contains("(2 types)"), "{said}");
    // A lock of another `Quote` (tag 1, other fields): exit 1, naming the field.
    let other = dir.0.join("other.lock");
    std::fs::write(&other, bcast::typed::SchemaLock::of::<book_quote::Feed>().render())?;
    let output = bcast(&["schema", "check", "--lock", other.to_str().expect("UTF-8"), channel]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`Quote`: `ask` added here"), "{stderr}");
    // Not a lock file: exit 1, saying so; no path: a usage error.
    let output = bcast(&["schema", "check", "--lock", channel, channel]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a schema lock"));
    assert_eq!(bcast(&["schema"]).status.code(), Some(2));
    Ok(())
}

/// A `Quote` under the test channel's tag with fewer fields.
mod book_quote {
    #[bcast::typed::message(tag = 1)]
    pub(crate) struct Quote {
        pub(crate) symbol: String,
        pub(crate) bid: f64,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Quote(Quote),
    }
}

/// A sensor reading keyed by its sensor, for `tail --snapshot`.
mod sensors {
    #[bcast::typed::message(tag = 21, pod)]
    pub(crate) struct Reading {
        #[bcast(key)]
        pub(crate) sensor: u32,
        pub(crate) celsius: f32,
    }

    #[derive(bcast::BcastChannel)]
    pub(crate) enum Plant {
        Reading(Reading),
    }
}

#[test]
fn tail_snapshot_prints_the_latest_message_of_every_key_then_follows_the_channel() -> TestResult {
    use sensors::{Plant, Reading};
    let path = ShmPath::new("tail-snapshot");
    let ring = bcast::typed::LastValues::<Plant>::new(16).create(&path.0, 1 << 16)?;
    let mut publisher = Publisher::<Plant>::new(ring)?;
    for (sensor, celsius) in [(1, 20.5), (2, 19.0), (1, 21.0), (3, 18.5)] {
        publisher.publish(&Reading { sensor, celsius })?;
    }
    let tail = Running::spawn(&["tail", path.as_str(), "--snapshot", "--json", "--count", "4"]);
    let mut snapshot = Vec::new();
    loop {
        let line = tail.next_json(Duration::from_secs(20));
        if line["event"] == "snapshot" {
            assert_eq!(line["messages"], 3, "one message per sensor");
            break;
        }
        assert_eq!(line["event"], "message", "{line}");
        let fields = &line["fields"];
        snapshot.push((fields["sensor"].as_u64(), fields["celsius"].as_f64()));
    }
    assert_eq!(snapshot, [(Some(2), Some(19.0)), (Some(1), Some(21.0)), (Some(3), Some(18.5))]);
    // Published after the snapshot: the live stream.
    publisher.publish(&Reading { sensor: 2, celsius: 19.5 })?;
    let live = tail.next_json(Duration::from_secs(20));
    assert_eq!((live["seq"].as_u64(), live["fields"]["celsius"].as_f64()), (Some(4), Some(19.5)));

    // A channel without a table has no snapshot, and says so.
    let plain = ShmPath::new("tail-snapshot-plain");
    let _plain = Publisher::<Plant>::new(RingBuffer::create(&plain.0, 1 << 16)?)?;
    let output = bcast(&["tail", plain.as_str(), "--snapshot", "--timeout", "1"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no last-value table"), "{stderr}");
    Ok(())
}

//! Runs `bcast export` against channel files under /dev/shm and scrapes it as Prometheus
//! would: HTTP/1.1 GETs of `/metrics` over a plain TCP stream, whose bodies must parse as the
//! text exposition format.
//!
//! The exporter's readers start at the oldest message each ring holds, so messages published
//! before it started are counted too: the tests publish some before and some after.
#![cfg(all(target_os = "linux", not(miri)))]

#[path = "../../tests/common/market.rs"]
mod market;
#[path = "../../tests/common/shm_path.rs"]
mod shm_path;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Output;
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::Publisher;
use market::{MarketData, Trade, quote, trade};
use serde_json::Value;
use shm_path::ShmPath;
use support::{Running, bcast_within};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// How long anything the exporter should do at once may take on a loaded test machine.
const LIMIT: Duration = Duration::from_secs(30);

/// A running `bcast export`, killed when dropped.
struct Exporter(Running);

impl Exporter {
    fn spawn(args: &[&str]) -> Self {
        let args: Vec<&str> = ["export"].into_iter().chain(args.iter().copied()).collect();
        Self(Running::spawn(&args))
    }

    /// The `--json` ready line, waiting at most [`LIMIT`].
    fn ready_json(&self) -> Value {
        self.0.next_json(LIMIT)
    }

    /// The address of a `--json` ready line.
    fn address(&self) -> SocketAddr {
        let ready = self.ready_json();
        ready["listening"].as_str().expect("an address").parse().expect("a socket address")
    }

    /// What the exporter printed on stderr so far, for failure messages.
    fn stderr_so_far(&self) -> String {
        self.0.stderr_so_far()
    }
}

/// `bcast export args` that must exit by itself, killed if it still runs after [`LIMIT`].
fn export_exiting(args: &[&str]) -> Output {
    let args: Vec<&str> = ["export"].into_iter().chain(args.iter().copied()).collect();
    bcast_within(&args, LIMIT)
}

/// An HTTP response.
#[derive(Debug)]
struct Response {
    status: u16,
    /// Header names in lowercase.
    headers: BTreeMap<String, String>,
    body: String,
}

/// `METHOD path` over a new connection to `addr`, as an HTTP/1.1 client, bounded by timeouts.
fn request(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: export-test\r\n\
         Accept: text/plain\r\n\r\n"
    )?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    let text = String::from_utf8(bytes).map_err(std::io::Error::other)?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| bad(&text))?;
    let mut head_lines = head.split("\r\n");
    let status_line = head_lines.next().ok_or_else(|| bad(&text))?;
    let status = match status_line.split(' ').collect::<Vec<_>>()[..] {
        ["HTTP/1.1", code, ..] => code.parse().map_err(|_| bad(&text))?,
        _ => return Err(bad(&text)),
    };
    let mut headers = BTreeMap::new();
    for line in head_lines {
        let (name, value) = line.split_once(':').ok_or_else(|| bad(&text))?;
        headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
    }
    Ok(Response { status, headers, body: body.to_owned() })
}

fn bad(response: &str) -> std::io::Error {
    std::io::Error::other(format!("not an HTTP response: {response:?}"))
}

/// A GET of `/metrics` that must succeed, as a parsed body.
fn scrape(addr: SocketAddr) -> Vec<Sample> {
    let response = request(addr, "GET", "/metrics").expect("a scrape");
    assert_eq!(response.status, 200, "{response:?}");
    let content_type = &response.headers["content-type"];
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    assert_eq!(response.headers["content-length"], response.body.len().to_string());
    parse_exposition(&response.body)
        .unwrap_or_else(|error| panic!("{error}, in:\n{}", response.body))
}

/// Scrapes until `done` holds of the samples, for up to [`LIMIT`]; returns them.
fn scrape_until(
    exporter: &Exporter,
    addr: SocketAddr,
    what: &str,
    done: impl Fn(&Metrics) -> bool,
) -> Metrics {
    let deadline = Instant::now() + LIMIT;
    loop {
        let metrics = Metrics(scrape(addr));
        if done(&metrics) {
            return metrics;
        }
        assert!(
            Instant::now() < deadline,
            "never {what}; last scrape:\n{metrics:#?}\nstderr: {}",
            exporter.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One sample line of the text format.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of one scrape.
#[derive(Debug)]
struct Metrics(Vec<Sample>);

impl Metrics {
    /// The value of the sample `name` whose labels are exactly `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels: BTreeMap<String, String> =
            labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.0.iter().find(|s| s.name == name && s.labels == labels).map(|s| s.value)
    }

    /// The value of the per-channel sample `name` of `channel`.
    fn of(&self, name: &str, channel: &str) -> Option<f64> {
        self.get(name, &[("channel", channel)])
    }

    /// `type_messages_total` and `type_bytes_total` of one tag (and type name, if any).
    fn of_type(&self, channel: &str, tag: &str, name: Option<&str>) -> (Option<f64>, Option<f64>) {
        let mut labels = vec![("channel", channel), ("tag", tag)];
        labels.extend(name.map(|name| ("type", name)));
        (
            self.get("bcast_type_messages_total", &labels),
            self.get("bcast_type_bytes_total", &labels),
        )
    }
}

/// Parses a body of the Prometheus text exposition format (version 0.0.4): `# HELP` and
/// `# TYPE` lines (at most one each per metric, TYPE before its samples), other comments, blank
/// lines, and samples `name{label="value",...} value [timestamp]` with label values escaped
/// (`\\`, `\"`, `\n`). The samples of a metric must be consecutive and their label sets unique.
fn parse_exposition(body: &str) -> Result<Vec<Sample>, String> {
    if !body.is_empty() && !body.ends_with('\n') {
        return Err("the body does not end with a line feed".into());
    }
    let mut samples: Vec<Sample> = Vec::new();
    let mut helped = BTreeSet::new();
    let mut typed = BTreeMap::new();
    let mut finished = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (number, line) in body.lines().enumerate() {
        let context = |error: String| format!("line {}: {error}: {line:?}", number + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(name), _) => {
                    check_name(name).map_err(context)?;
                    if !helped.insert(name.to_owned()) {
                        return Err(context("a second HELP".into()));
                    }
                }
                (Some("TYPE"), Some(name), Some(kind)) => {
                    check_name(name).map_err(context)?;
                    let kinds = ["counter", "gauge", "histogram", "summary", "untyped"];
                    if !kinds.contains(&kind) {
                        return Err(context(format!("unknown type {kind}")));
                    }
                    if samples.iter().any(|s| s.name == name) {
                        return Err(context("TYPE after samples".into()));
                    }
                    if typed.insert(name.to_owned(), kind.to_owned()).is_some() {
                        return Err(context("a second TYPE".into()));
                    }
                }
                (Some("TYPE"), ..) => return Err(context("a TYPE without a type".into())),
                _ => {} // another comment
            }
            continue;
        }
        let sample = parse_sample(line).map_err(context)?;
        if let Some(last) = samples.last()
            && last.name != sample.name
        {
            finished.insert(last.name.clone());
        }
        if finished.contains(&sample.name) {
            return Err(context("the metric's samples are not consecutive".into()));
        }
        if !seen.insert((sample.name.clone(), format!("{:?}", sample.labels))) {
            return Err(context("a duplicate series".into()));
        }
        if typed.get(&sample.name).is_some_and(|kind| kind == "counter") && sample.value < 0.0 {
            return Err(context("a negative counter".into()));
        }
        samples.push(sample);
    }
    Ok(samples)
}

/// A metric or label name: `[a-zA-Z_:][a-zA-Z0-9_:]*` (no colon in label names).
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first = chars.next().ok_or("an empty name")?;
    if (first.is_ascii_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        Ok(())
    } else {
        Err(format!("bad name {name:?}"))
    }
}

/// One sample line.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let end = line.find(['{', ' ', '\t']).ok_or("no value")?;
    let name = &line[..end];
    check_name(name)?;
    let mut rest = &line[end..];
    let mut labels = BTreeMap::new();
    if let Some(mut inside) = rest.strip_prefix('{') {
        loop {
            // The closing brace, also after a trailing comma.
            if let Some(after) = inside.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = inside.find('=').ok_or("a label without a value")?;
            let label = &inside[..eq];
            check_name(label)?;
            if label.contains(':') {
                return Err(format!("a colon in label name {label:?}"));
            }
            let (value, after) = parse_label_value(&inside[eq + 1..])?;
            if labels.insert(label.to_owned(), value).is_some() {
                return Err(format!("label {label} twice"));
            }
            inside = match after.strip_prefix(',') {
                Some(after) => after,
                None if after.starts_with('}') => after,
                None => return Err("a label not followed by `,` or `}`".into()),
            };
        }
    }
    finish_sample(name, labels, rest)
}

/// A quoted, escaped label value at the start of `text`, and what follows it.
fn parse_label_value(text: &str) -> Result<(String, &str), String> {
    let mut chars = text.strip_prefix('"').ok_or("a label value without quotes")?.chars();
    let mut value = String::new();
    loop {
        match chars.next().ok_or("an unterminated label value")? {
            '"' => return Ok((value, chars.as_str())),
            '\\' => match chars.next().ok_or("a dangling backslash")? {
                '\\' => value.push('\\'),
                '"' => value.push('"'),
                'n' => value.push('\n'),
                other => return Err(format!("a bad escape \\{other}")),
            },
            c => value.push(c),
        }
    }
}

/// The value (and optional timestamp) after the name and labels.
fn finish_sample(
    name: &str,
    labels: BTreeMap<String, String>,
    rest: &str,
) -> Result<Sample, String> {
    let mut fields = rest.split_whitespace();
    if !rest.starts_with(' ') && !rest.starts_with('\t') {
        return Err("no blank before the value".into());
    }
    let value = fields.next().ok_or("no value")?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        value => value.parse().map_err(|_| format!("a bad value {value:?}"))?,
    };
    if let Some(timestamp) = fields.next() {
        timestamp.parse::<i64>().map_err(|_| format!("a bad timestamp {timestamp:?}"))?;
    }
    if fields.next().is_some() {
        return Err("trailing fields".into());
    }
    Ok(Sample { name: name.to_owned(), labels, value })
}

#[test]
fn the_test_parser_accepts_the_format_and_rejects_what_it_forbids() {
    let good = "# HELP a_total Some help.\n# TYPE a_total counter\na_total{x=\"q\\\"\\\\\\n\",y=\"\"} 3\n\
                a_total{x=\"2\",} 4 1700000000\n# a comment\n\nb 1.5e3\nc{} NaN\n";
    let samples = parse_exposition(good).expect("valid");
    assert_eq!(samples.len(), 4);
    assert_eq!(samples[0].labels["x"], "q\"\\\n");
    assert_eq!(samples[2].value, 1500.0);
    for bad in [
        "a 1",                                // no final line feed
        "a{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n",  // a metric in two groups
        "a 1\na 2\n",                         // a duplicate series
        "a{x=1} 1\n",                         // an unquoted label value
        "a{x=\"\\t\"} 1\n",                   // a bad escape
        "a{x=\"1\" 1\n",                      // unclosed labels
        "a one\n",                            // a bad value
        "1a 1\n",                             // a bad name
        "# TYPE a counter\n# TYPE a gauge\n", // a second TYPE
        "a 1\n# TYPE a gauge\n",              // TYPE after samples
        "# TYPE a counter\na -1\n",           // a negative counter
    ] {
        assert!(parse_exposition(bad).is_err(), "{bad:?} parsed");
    }
}

/// The payload length of the first message of the channel at `path`.
fn first_len(path: &ShmPath) -> Result<u64, Box<dyn std::error::Error>> {
    let mut reader = RingBuffer::attach(&path.0)?.into_reader_at(0)?;
    let msg = reader.batch_iter().next().ok_or("no message")??;
    Ok(msg.len() as u64)
}

#[test]
fn export_counts_each_type_of_a_typed_and_an_untyped_channel_for_prometheus() -> TestResult {
    let typed = ShmPath::new("export-typed");
    // A path whose label value needs every escape of the format.
    let raw = ShmPath::new("export-raw \"quoted\" back\\slash\nline");
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&typed.0, 1 << 16)?)?;
    let mut writer = RingBuffer::create(&raw.0, 1 << 12)?.into_writer();
    // Before the exporter starts: counted, since its readers start at the oldest message.
    for i in 0..5 {
        publisher.publish(&quote(i))?;
    }
    for i in 0..3 {
        publisher.publish(&trade(i))?;
    }
    for _ in 0..4 {
        writer.send_with_tag(b"abc", 7)?;
    }
    writer.send(b"hello world")?;
    writer.send(b"hello world")?;
    let quote_len = first_len(&typed)?;
    let trade_len = size_of::<Trade>() as u64;

    let exporter =
        Exporter::spawn(&["--listen", "127.0.0.1:0", "--json", typed.as_str(), raw.as_str()]);
    let ready = exporter.ready_json();
    assert_eq!(ready["channels"], serde_json::json!([typed.as_str(), raw.as_str()]));
    let addr: SocketAddr = ready["listening"].as_str().ok_or("an address")?.parse()?;
    assert_eq!((addr.ip().to_string(), addr.port() != 0), ("127.0.0.1".to_owned(), true));

    // After it started: counted as they arrive.
    publisher.publish(&trade(3))?;
    publisher.publish(&trade(4))?;
    writer.send_with_tag(b"abc", 7)?;
    let (t, r) = (typed.as_str(), raw.as_str());
    let metrics = scrape_until(&exporter, addr, "counted every message", |m| {
        m.of_type(t, "2", Some("Trade")).0 == Some(5.0) && m.of_type(r, "7", None).0 == Some(5.0)
    });
    let float = |n: u64| Some(n as f64);
    assert_eq!(metrics.of_type(t, "1", Some("Quote")), (float(5), float(5 * quote_len)));
    assert_eq!(metrics.of_type(t, "2", Some("Trade")), (float(5), float(5 * trade_len)));
    assert_eq!(metrics.of_type(r, "7", None), (float(5), float(15)));
    assert_eq!(metrics.of_type(r, "0", None), (float(2), float(22)));
    let type_series = metrics.0.iter().filter(|s| s.name == "bcast_type_messages_total").count();
    assert_eq!(type_series, 4, "one series per tag: {metrics:#?}");
    for (channel, info, messages) in
        [(t, publisher.ring().info(), 10), (r, RingBuffer::attach(&raw.0)?.info(), 7)]
    {
        assert_eq!(metrics.of("bcast_messages_total", channel), float(messages));
        assert_eq!(metrics.of("bcast_committed_bytes", channel), float(info.committed));
        assert_eq!(metrics.of("bcast_capacity_bytes", channel), float(info.capacity as u64));
        for (name, value) in [
            ("bcast_up", 1),
            ("bcast_writer_alive", 1),
            ("bcast_replaced", 0),
            ("bcast_reader_lost_total", 0),
            ("bcast_reader_overruns_total", 0),
            ("bcast_reader_corrupt_frames_total", 0),
            ("bcast_replacements_total", 0),
        ] {
            assert_eq!(metrics.of(name, channel), float(value), "{name} of {channel:?}");
        }
    }

    // The writers go away: the next scrapes say so, and the counts stay.
    drop(publisher);
    drop(writer);
    let metrics = scrape_until(&exporter, addr, "saw the writers go", |m| {
        m.of("bcast_writer_alive", t) == Some(0.0) && m.of("bcast_writer_alive", r) == Some(0.0)
    });
    assert_eq!((metrics.of("bcast_up", t), metrics.of("bcast_up", r)), (float(1), float(1)));
    assert_eq!(metrics.of_type(t, "2", Some("Trade")), (float(5), float(5 * trade_len)));

    // Other paths and methods.
    let nope = request(addr, "GET", "/nope")?;
    assert_eq!(nope.status, 404, "{nope:?}");
    let post = request(addr, "POST", "/metrics")?;
    assert_eq!((post.status, post.headers["allow"].as_str()), (405, "GET, HEAD"), "{post:?}");
    let head = request(addr, "HEAD", "/metrics")?;
    assert_eq!(head.status, 200, "{head:?}");
    assert!(head.body.is_empty() && head.headers["content-length"] != "0", "{head:?}");
    let query = request(addr, "GET", "/metrics?name[]=bcast_up")?;
    assert_eq!(query.status, 200, "the query is ignored: {query:?}");
    Ok(())
}

#[test]
fn export_reports_a_removed_channel_down_and_follows_a_new_one_at_its_path() -> TestResult {
    let path = ShmPath::new("export-follow");
    let mut old = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    for i in 0..3 {
        old.publish(&trade(i))?;
    }
    let exporter = Exporter::spawn(&["--listen", "127.0.0.1:0", "--json", path.as_str()]);
    let addr = exporter.address();
    let p = path.as_str();
    let trades = |m: &Metrics| m.of_type(p, "2", Some("Trade")).0;
    scrape_until(&exporter, addr, "counted the old channel", |m| trades(m) == Some(3.0));

    drop(old);
    RingBuffer::remove(&path.0)?;
    let metrics = scrape_until(&exporter, addr, "reported the channel down", |m| {
        m.of("bcast_up", p) == Some(0.0)
    });
    assert_eq!(metrics.of("bcast_writer_alive", p), Some(0.0));
    // Nothing to say of a channel's header while the path names none; counters stay.
    assert_eq!(metrics.of("bcast_committed_bytes", p), None);
    assert_eq!(metrics.of("bcast_messages_total", p), None);
    assert_eq!(trades(&metrics), Some(3.0));

    let mut new = Publisher::<MarketData>::new(RingBuffer::create(&path.0, 1 << 16)?)?;
    new.publish(&trade(10))?;
    new.publish(&trade(11))?;
    let metrics = scrape_until(&exporter, addr, "followed the new channel", |m| {
        m.of("bcast_up", p) == Some(1.0) && trades(m) == Some(5.0)
    });
    assert_eq!(metrics.of("bcast_replacements_total", p), Some(1.0));
    assert_eq!(metrics.of("bcast_writer_alive", p), Some(1.0));
    assert_eq!(metrics.of("bcast_replaced", p), Some(0.0));
    assert_eq!(metrics.of("bcast_messages_total", p), Some(2.0), "the new channel's header");
    assert_eq!(metrics.of("bcast_committed_bytes", p), Some(new.ring().info().committed as f64));
    Ok(())
}

#[test]
fn a_client_that_sends_nothing_delays_a_scrape_by_seconds_at_most() -> TestResult {
    let path = ShmPath::new("export-silent");
    let _writer = RingBuffer::create(&path.0, 1 << 12)?.into_writer();
    let exporter = Exporter::spawn(&["--listen", "127.0.0.1:0", "--json", path.as_str()]);
    let addr = exporter.address();
    // One connection that never sends, one that stops halfway through its request line.
    let _silent = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    let mut halfway = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    halfway.write_all(b"GET /met")?;
    let start = Instant::now();
    let metrics = Metrics(scrape(addr));
    assert!(start.elapsed() < Duration::from_secs(15), "{:?}", start.elapsed());
    assert_eq!(metrics.of("bcast_up", path.as_str()), Some(1.0));
    Ok(())
}

#[test]
fn export_refuses_remote_addresses_unless_allowed_and_channels_it_cannot_attach() -> TestResult {
    let path = ShmPath::new("export-refuse");
    let _writer = RingBuffer::create(&path.0, 1 << 12)?.into_writer();
    let p = path.as_str();

    let output = export_exiting(&["--listen", "0.0.0.0:0", p]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a loopback address") && stderr.contains("--allow-remote"));
    let output = export_exiting(&["--listen", "[::]:0", "--json", p]);
    assert_eq!(output.status.code(), Some(2));
    let error: Value = serde_json::from_slice(&output.stderr)?;
    assert_eq!(error["status"], 2);
    assert!(output.stdout.is_empty());

    let missing = ShmPath::new("export-missing");
    let output = export_exiting(&["--listen", "127.0.0.1:0", p, missing.as_str()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(missing.as_str()), "{stderr}");

    let output = export_exiting(&["--listen", "127.0.0.1:0", p, p]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("given twice"), "{output:?}");

    // Allowed, it serves on every interface, loopback included; the text ready line is on
    // stderr.
    let exporter = Exporter::spawn(&["--listen", "0.0.0.0:0", "--allow-remote", p]);
    let line = exporter.0.stderr.recv_timeout(LIMIT)?;
    let port = line
        .strip_prefix("serving metrics of 1 channel at http://0.0.0.0:")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .ok_or_else(|| format!("the ready line: {line:?}"))?;
    let metrics = Metrics(scrape(SocketAddr::from(([127, 0, 0, 1], port.parse()?))));
    assert_eq!(metrics.of("bcast_up", p), Some(1.0));
    Ok(())
}

#[test]
fn tags_past_the_first_256_of_a_channel_are_counted_together_as_other() -> TestResult {
    let path = ShmPath::new("export-many-tags");
    let mut writer = RingBuffer::create(&path.0, 1 << 16)?.into_writer();
    for tag in 0..300 {
        writer.send_with_tag(b"x", tag)?;
    }
    let exporter = Exporter::spawn(&["--listen", "127.0.0.1:0", "--json", path.as_str()]);
    let addr = exporter.address();
    let p = path.as_str();
    let metrics = scrape_until(&exporter, addr, "counted the 300 frames", |m| {
        m.get("bcast_type_messages_total", &[("channel", p), ("tag", "other")]) == Some(44.0)
    });
    let series = |name: &str| metrics.0.iter().filter(|s| s.name == name).count();
    assert_eq!(series("bcast_type_messages_total"), 257);
    assert_eq!(series("bcast_type_bytes_total"), 257);
    assert_eq!(metrics.of_type(p, "255", None), (Some(1.0), Some(1.0)));
    assert_eq!(metrics.of_type(p, "256", None), (None, None));
    Ok(())
}

//! `bcast export --listen ADDR PATH...`: serves the channels' counters over HTTP in the
//! Prometheus text exposition format (version 0.0.4), at `GET /metrics`.
//!
//! Each channel has a sampling thread: a reader of its own, from the oldest message the ring
//! holds, that steps through every frame taking its tag and length from the header, as `stat`
//! does, and counts messages and payload bytes per message type. It follows the path as `tail`
//! and `stat` do: when a new channel replaces the one it reads, it attaches to the new one and
//! reads it from its oldest message; while the path names no channel the channel is reported
//! down (`bcast_up 0`). The thread publishes its counts to the server with `try_lock`, so a
//! scrape never makes it wait.
//!
//! The server handles one connection at a time, with a deadline for reading the request and one
//! for writing the response, so a slow or silent client delays other scrapes by seconds at most
//! and never the sampling. Every response closes its connection.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bcast::{ReadOnly, Reader, ReaderStats, RingBuffer};
use serde::Serialize;

use crate::channel::{Channel, TypeNames};
use crate::error::{CliError, Result};
use crate::format;

/// How long a sampler first sleeps when no frame is pending; the sleep doubles while the
/// channel stays idle, up to [`MAX_IDLE_SLEEP`], and is back to this after a frame.
const IDLE_SLEEP: Duration = Duration::from_micros(200);

/// Longest sleep of an idle sampler: a long-running exporter of quiet channels wakes 500 times a
/// second per channel, and a writer would need to fill a 1 MiB ring within it to lap the sampler.
const MAX_IDLE_SLEEP: Duration = Duration::from_millis(2);

/// How often a sampler checks whether its path now names another channel, or names one again.
const FOLLOW_CHECK: Duration = Duration::from_millis(250);

/// Longest a busy sampler goes without publishing its counts.
const PUBLISH_EVERY: Duration = Duration::from_millis(20);

/// How long a client has to send its request line and headers.
const REQUEST_DEADLINE: Duration = Duration::from_secs(2);

/// How long a client has to take the whole response.
const RESPONSE_DEADLINE: Duration = Duration::from_secs(5);

/// Longest request head (request line and headers) read.
const MAX_REQUEST_HEAD: usize = 8 << 10;

/// Most tags counted apart per channel beyond those its registry lists: frames of further tags
/// (a writer using tags as identifiers, or a hostile one) are counted under `tag="other"`, so
/// that the exporter's memory and Prometheus's series stay bounded.
const MAX_TAGS: usize = 256;

/// The content type of the text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Arguments of `bcast export`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel files, e.g. /dev/shm/feed.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Address to serve on: HOST:PORT, a loopback address unless --allow-remote is given; port
    /// 0 takes a free port (the ready line says which).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    listen: String,
    /// Allow a --listen address that is not loopback, which serves the metrics to other hosts.
    #[arg(long)]
    allow_remote: bool,
    /// Print the ready line as JSON on stdout instead of text on stderr.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The ready line of `export --json`.
#[derive(Debug, Serialize)]
struct Ready {
    /// The address bound, with the actual port.
    listening: String,
    /// The channel paths, in the order given.
    channels: Vec<String>,
}

/// Runs `bcast export`: attaches to every channel, starts their samplers, then serves until the
/// process is killed.
///
/// # Errors
///
/// Usage errors (exit status 2) for a path given twice, an address that does not resolve, is
/// not loopback without `--allow-remote`, or cannot be bound; the library's error if a channel
/// cannot be attached; an I/O error if the ready line cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    for (i, path) in args.paths.iter().enumerate() {
        if args.paths[..i].contains(path) {
            return Err(CliError::Usage(format!("{} is given twice", path.display())));
        }
    }
    let addrs = listen_addrs(&args.listen, args.allow_remote)?;
    let channels =
        args.paths.iter().map(|path| Channel::attach(path)).collect::<Result<Vec<_>>>()?;
    let listener = TcpListener::bind(&addrs[..])
        .map_err(|error| CliError::Usage(format!("cannot listen on {}: {error}", args.listen)))?;
    let bound = listener.local_addr()?;
    let exported: Vec<Exported> = args
        .paths
        .iter()
        .zip(channels)
        .map(|(path, channel)| Exported::start(path, channel))
        .collect::<Result<_>>()?;

    if args.json {
        let channels = args.paths.iter().map(|path| path.display().to_string()).collect();
        format::json_line(out, &Ready { listening: bound.to_string(), channels })?;
        out.flush()?;
    } else {
        let n = exported.len();
        let plural = if n == 1 { "" } else { "s" };
        eprintln!("serving metrics of {n} channel{plural} at http://{bound}/metrics");
    }

    for stream in listener.incoming() {
        match stream {
            // A client that misbehaves only loses its own response.
            Ok(stream) => {
                let _ = serve(stream, &exported);
            }
            // Out of file descriptors, or a connection reset before it was accepted: wait a
            // little rather than spin.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    Ok(())
}

/// The addresses `listen` resolves to, refused unless all are loopback or `allow_remote`.
fn listen_addrs(listen: &str, allow_remote: bool) -> Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|error| CliError::Usage(format!("--listen {listen}: {error}")))?
        .collect();
    if addrs.is_empty() {
        return Err(CliError::Usage(format!("--listen {listen} resolves to no address")));
    }
    if !allow_remote && !addrs.iter().all(|addr| addr.ip().to_canonical().is_loopback()) {
        return Err(CliError::Usage(format!(
            "--listen {listen} is not a loopback address: other hosts could read the metrics; \
             pass --allow-remote to serve them anyway"
        )));
    }
    Ok(addrs)
}

/// One channel being exported: its path and what its sampler last published.
struct Exported {
    path: String,
    shared: Arc<Mutex<Snapshot>>,
}

impl Exported {
    /// Starts the sampler of `channel`, attached at `path`.
    fn start(path: &Path, channel: Channel) -> Result<Self> {
        let mut sampler = Sampler::new(path.to_owned());
        sampler.attach(channel);
        let shared = Arc::new(Mutex::new(sampler.snapshot.clone()));
        sampler.shared = Arc::clone(&shared);
        std::thread::Builder::new().name("bcast-sample".to_owned()).spawn(move || sampler.run())?;
        Ok(Self { path: path.display().to_string(), shared })
    }
}

/// Messages and payload bytes of one message type.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    messages: u64,
    bytes: u64,
}

impl Count {
    fn add(&mut self, other: Self) {
        self.messages += other.messages;
        self.bytes += other.bytes;
    }
}

/// What a sampler has counted, as the server renders it.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    /// The channel mapped now: `None` while the path names no channel.
    ring: Option<RingBuffer<ReadOnly>>,
    /// Its registry's type names.
    names: Arc<TypeNames>,
    /// Per tag, in the channel mapped now; every tag of its registry is listed.
    current: BTreeMap<u32, Count>,
    /// Per tag and type name, in the channels the path named before.
    retired: BTreeMap<(u32, Option<String>), Count>,
    /// Frames of tags past [`MAX_TAGS`], in every channel the path named.
    other: Count,
    /// Messages the reader missed, over every channel the path named.
    lost: u64,
    /// Overruns the reader hit, over every channel the path named.
    overruns: u64,
    /// Corrupt frames the reader skipped.
    corrupt_frames: u64,
    /// How many times the sampler followed the path to a new channel.
    replacements: u64,
}

impl Snapshot {
    /// Counts per tag and type name, over every channel the path named.
    fn per_type(&self) -> BTreeMap<(u32, Option<&str>), Count> {
        let mut all = BTreeMap::<_, Count>::new();
        for ((tag, name), count) in &self.retired {
            all.entry((*tag, name.as_deref())).or_default().add(*count);
        }
        for (tag, count) in &self.current {
            all.entry((*tag, self.names.get(*tag))).or_default().add(*count);
        }
        all
    }
}

/// A channel's sampling thread.
struct Sampler {
    path: PathBuf,
    /// Where the counts go for the server.
    shared: Arc<Mutex<Snapshot>>,
    /// The counts, kept here and copied to `shared` when it is free.
    snapshot: Snapshot,
    /// The reader of the channel mapped now.
    reader: Option<Reader>,
    /// Losses and overruns of the readers of the channels the path named before.
    retired: ReaderStats,
    /// Whether `snapshot` changed since it was last published.
    dirty: bool,
    /// Whether the channel is reported down (and a warning was printed).
    down: bool,
}

impl Sampler {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            shared: Arc::default(),
            snapshot: Snapshot::default(),
            reader: None,
            retired: ReaderStats::default(),
            dirty: true,
            down: false,
        }
    }

    /// Samples forever.
    fn run(mut self) {
        let mut last_check = Instant::now();
        let mut last_publish = Instant::now();
        let mut idle_sleep = IDLE_SLEEP;
        loop {
            let seen = self.read_pending();
            if last_check.elapsed() >= FOLLOW_CHECK {
                last_check = Instant::now();
                self.follow();
            }
            if self.dirty && (seen == 0 || last_publish.elapsed() >= PUBLISH_EVERY) {
                // The server may be copying the snapshot: then publish on a later pass.
                if let Ok(mut shared) = self.shared.try_lock() {
                    shared.clone_from(&self.snapshot);
                    self.dirty = false;
                    last_publish = Instant::now();
                }
            }
            if seen == 0 {
                std::thread::sleep(idle_sleep);
                idle_sleep = (idle_sleep * 2).min(MAX_IDLE_SLEEP);
            } else {
                idle_sleep = IDLE_SLEEP;
            }
        }
    }

    /// Counts the pending frames from their headers; returns how many there were.
    fn read_pending(&mut self) -> u64 {
        let Some(reader) = &mut self.reader else { return 0 };
        let mut seen = 0;
        let mut overrun = false;
        let mut corrupt = None;
        for msg in reader.batch_iter() {
            match msg {
                Ok(msg) => {
                    let frame = Count { messages: 1, bytes: msg.len() as u64 };
                    let current = &mut self.snapshot.current;
                    let room = current.len() < MAX_TAGS;
                    match current.get_mut(&msg.tag()) {
                        Some(count) => count.add(frame),
                        None if room => {
                            current.insert(msg.tag(), frame);
                        }
                        None => self.snapshot.other.add(frame),
                    }
                    seen += 1;
                }
                // The batch ends here; the gap is counted as lost when the next frame arrives.
                Err(bcast::Error::Overrun(_)) => overrun = true,
                Err(error) => corrupt = Some(error),
            }
        }
        if let Some(error) = corrupt {
            // Nothing can be read past a corrupt frame: go on from the writer's position.
            let path = self.path.display();
            eprintln!("bcast: warning: {path}: {error}: skipping to the writer's position");
            self.snapshot.corrupt_frames += 1;
            self.dirty = true;
            reader.reset();
        } else if overrun {
            reader.reset();
        }
        let stats = reader.stats();
        let (lost, overruns) =
            (self.retired.lost + stats.lost, self.retired.overruns + stats.overruns);
        if seen > 0 || (lost, overruns) != (self.snapshot.lost, self.snapshot.overruns) {
            (self.snapshot.lost, self.snapshot.overruns) = (lost, overruns);
            self.dirty = true;
        }
        seen
    }

    /// Takes `channel` as the one the path names now, read from its oldest message.
    fn attach(&mut self, channel: Channel) {
        self.retire();
        let names = channel.type_names();
        self.snapshot.current = names.tags().map(|tag| (tag, Count::default())).collect();
        self.snapshot.names = Arc::new(names);
        self.reader = Some(channel.ring.clone().into_reader_at_oldest());
        self.snapshot.ring = Some(channel.ring);
        self.dirty = true;
    }

    /// Moves the counts of the channel mapped now to the retired ones, and unmaps it.
    fn retire(&mut self) {
        let snapshot = &mut self.snapshot;
        for (tag, count) in std::mem::take(&mut snapshot.current) {
            let key = (tag, snapshot.names.get(tag).map(str::to_owned));
            let room = snapshot.retired.len() < MAX_TAGS;
            match snapshot.retired.get_mut(&key) {
                Some(retired) => retired.add(count),
                None if room => {
                    snapshot.retired.insert(key, count);
                }
                None => snapshot.other.add(count),
            }
        }
        snapshot.names = Arc::default();
        if let Some(reader) = self.reader.take() {
            let stats = reader.stats();
            self.retired.lost += stats.lost;
            self.retired.overruns += stats.overruns;
        }
        snapshot.ring = None;
        self.dirty = true;
    }

    /// Follows the path: attaches to the channel that replaced the one mapped (or that appeared
    /// where there was none), and reports the channel down while the path names none.
    fn follow(&mut self) {
        if self.snapshot.ring.as_ref().is_some_and(|ring| !ring.is_replaced()) {
            return;
        }
        match Channel::attach(&self.path) {
            Ok(channel) => {
                eprintln!("bcast: {} now names another channel: following it", self.path.display());
                self.attach(channel);
                self.snapshot.replacements += 1;
                self.down = false;
            }
            Err(error) => {
                // Unmap the old channel: a removed channel's memory is only freed with its
                // last mapping.
                if self.snapshot.ring.is_some() {
                    self.retire();
                }
                if !self.down {
                    eprintln!(
                        "bcast: warning: {error}: reporting the channel down until it is back"
                    );
                    self.down = true;
                }
            }
        }
    }
}

/// Answers one request on `stream`.
fn serve(mut stream: TcpStream, exported: &[Exported]) -> io::Result<()> {
    let head = read_head(&mut stream, Instant::now() + REQUEST_DEADLINE)?;
    let deadline = Instant::now() + RESPONSE_DEADLINE;
    let response = match parse_request_line(&head) {
        None => Response::text("400 Bad Request", "bad request\n"),
        Some((_, path)) if path != "/metrics" => {
            Response::text("404 Not Found", "not found: the metrics are at /metrics\n")
        }
        Some(("GET", _)) => Response::metrics(render(exported), true),
        Some(("HEAD", _)) => Response::metrics(render(exported), false),
        Some(_) => Response {
            allow: true,
            ..Response::text("405 Method Not Allowed", "method not allowed: use GET\n")
        },
    };
    write_by(&mut stream, &response.bytes(), deadline)?;
    stream.shutdown(std::net::Shutdown::Write)
}

/// Reads the request head (up to the blank line) by `deadline`.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0; 1024];
    loop {
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        let n = match stream.read(&mut buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n").or_else(|| find(&head, b"\n\n")) {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too long"));
        }
    }
}

/// The time left until `deadline`, or a timeout error once it passed.
fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() { Err(io::ErrorKind::TimedOut.into()) } else { Ok(left) }
}

/// The offset of the first `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The method and path (without its query) of the request line that starts `head`, if it is
/// one.
fn parse_request_line(head: &[u8]) -> Option<(&str, &str)> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || method.is_empty() {
        return None;
    }
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    Some((method, path))
}

/// Writes all of `bytes` by `deadline`.
fn write_by(stream: &mut TcpStream, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        match stream.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// An HTTP response, after which the connection closes.
struct Response {
    status: &'static str,
    content_type: &'static str,
    /// The body's length, sent even when the body is not (HEAD).
    len: usize,
    body: Option<String>,
    /// Whether to say which methods the resource allows (405).
    allow: bool,
}

impl Response {
    fn text(status: &'static str, body: &str) -> Self {
        let content_type = "text/plain; charset=utf-8";
        let body = Some(body.to_owned());
        Self { status, content_type, len: body.as_ref().map_or(0, String::len), body, allow: false }
    }

    fn metrics(body: String, with_body: bool) -> Self {
        let len = body.len();
        let body = with_body.then_some(body);
        Self { status: "200 OK", content_type: CONTENT_TYPE, len, body, allow: false }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status, self.content_type, self.len
        );
        if self.allow {
            head.push_str("Allow: GET, HEAD\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if let Some(body) = &self.body {
            bytes.extend_from_slice(body.as_bytes());
        }
        bytes
    }
}

/// What a scrape shows of one channel.
struct View {
    /// The `channel="PATH"` label, escaped.
    label: String,
    /// The sampler's counts.
    snapshot: Snapshot,
    /// The channel header, if the path names a channel.
    info: Option<bcast::ChannelInfo>,
}

/// The metrics of every channel, in the text exposition format, grouped by metric.
fn render(exported: &[Exported]) -> String {
    let views: Vec<View> = exported
        .iter()
        .map(|exported| {
            // Copy the counts, then read the header without holding the lock.
            let snapshot = exported.shared.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let info = snapshot.ring.as_ref().map(RingBuffer::info);
            let label = format!("channel=\"{}\"", escape_label(&exported.path));
            View { label, snapshot, info }
        })
        .collect();
    let mut out = String::with_capacity(4096);
    // A metric with one sample per channel, or none where `value` gives none.
    let mut per_channel =
        |name: &str, kind: &str, help: &str, value: &dyn Fn(&View) -> Option<u64>| {
            describe(&mut out, name, kind, help);
            for view in &views {
                if let Some(value) = value(view) {
                    let _ = writeln!(out, "{name}{{{}}} {value}", view.label);
                }
            }
        };
    per_channel(
        "bcast_up",
        "gauge",
        "Whether the path names a channel (1) or none (0).",
        &|view| Some(view.info.is_some().into()),
    );
    per_channel(
        "bcast_writer_alive",
        "gauge",
        "Whether a live writer holds the channel (0 while the path names none).",
        &|view| Some(view.info.as_ref().is_some_and(|info| info.writer_alive).into()),
    );
    per_channel(
        "bcast_replaced",
        "gauge",
        "Whether the path now names another file than the channel read (followed within a second).",
        &|view| view.info.as_ref().map(|info| info.replaced.into()),
    );
    per_channel(
        "bcast_parked_readers",
        "gauge",
        "Readers parked on the channel's futex waiting for messages (killed ones included).",
        &|view| view.info.as_ref().map(|info| u64::from(info.parked_readers)),
    );
    per_channel("bcast_capacity_bytes", "gauge", "Data capacity of the channel.", &|view| {
        view.info.as_ref().map(|info| info.capacity as u64)
    });
    per_channel(
        "bcast_committed_bytes",
        "gauge",
        "Stream position after the last committed frame.",
        &|view| view.info.as_ref().map(|info| info.committed),
    );
    per_channel(
        "bcast_messages_total",
        "counter",
        "Messages the writer published since the channel was made (from the channel header).",
        &|view| view.info.as_ref().map(|info| info.messages),
    );
    per_channel(
        "bcast_reader_lost_total",
        "counter",
        "Messages the exporter's reader missed because the writer lapped it.",
        &|view| Some(view.snapshot.lost),
    );
    per_channel(
        "bcast_reader_overruns_total",
        "counter",
        "Times the writer lapped the exporter's reader.",
        &|view| Some(view.snapshot.overruns),
    );
    per_channel(
        "bcast_reader_corrupt_frames_total",
        "counter",
        "Corrupt frames at which the exporter's reader skipped to the writer's position.",
        &|view| Some(view.snapshot.corrupt_frames),
    );
    per_channel(
        "bcast_replacements_total",
        "counter",
        "Times the exporter followed the path to a new channel.",
        &|view| Some(view.snapshot.replacements),
    );
    let per_type: Vec<_> = views.iter().map(|view| (view, view.snapshot.per_type())).collect();
    for (name, help, value) in [
        (
            "bcast_type_messages_total",
            "Messages of each type the exporter's reader received.",
            (|count: &Count| count.messages) as fn(&Count) -> u64,
        ),
        (
            "bcast_type_bytes_total",
            "Payload bytes of each type the exporter's reader received.",
            |count: &Count| count.bytes,
        ),
    ] {
        describe(&mut out, name, "counter", help);
        for (view, counts) in &per_type {
            for ((tag, type_name), count) in counts {
                let _ = write!(out, "{name}{{{},tag=\"{tag}\"", view.label);
                if let Some(type_name) = type_name {
                    let _ = write!(out, ",type=\"{}\"", escape_label(type_name));
                }
                let _ = writeln!(out, "}} {}", value(count));
            }
            let other = &view.snapshot.other;
            if other.messages > 0 {
                let _ = writeln!(out, "{name}{{{},tag=\"other\"}} {}", view.label, value(other));
            }
        }
    }
    out
}

/// The `# HELP` and `# TYPE` lines of metric `name`.
fn describe(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `value` escaped as a label value of the text format: backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_line_feed() {
        assert_eq!(escape_label("/dev/shm/md"), "/dev/shm/md");
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_label("tab\tstays"), "tab\tstays");
    }

    #[test]
    fn request_lines_give_method_and_path_without_query() {
        assert_eq!(
            parse_request_line(b"GET /metrics HTTP/1.1\r\nHost: x"),
            Some(("GET", "/metrics"))
        );
        assert_eq!(parse_request_line(b"HEAD /metrics?x=1 HTTP/1.0"), Some(("HEAD", "/metrics")));
        assert_eq!(parse_request_line(b"GET /metrics"), None);
        assert_eq!(parse_request_line(b"GET /metrics HTTP/2 extra"), None);
        assert_eq!(parse_request_line(b"\xff /metrics HTTP/1.1"), None);
    }

    #[test]
    fn only_loopback_addresses_are_served_without_allow_remote() {
        assert!(listen_addrs("127.0.0.1:0", false).is_ok());
        assert!(listen_addrs("[::1]:9464", false).is_ok());
        assert!(listen_addrs("[::ffff:127.0.0.1]:9464", false).is_ok());
        for remote in ["0.0.0.0:9464", "[::]:9464", "10.1.2.3:9464"] {
            let error = listen_addrs(remote, false).expect_err(remote);
            assert_eq!(error.status(), 2);
            assert!(error.to_string().contains("--allow-remote"), "{error}");
            assert!(listen_addrs(remote, true).is_ok());
        }
        assert_eq!(listen_addrs("no port", false).map_err(|e| e.status()).err(), Some(2));
    }
}

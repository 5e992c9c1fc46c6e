//! The main job: a typed market-data feed from one publisher process to subscriber processes
//! over `/dev/shm`, fitted to the machine it runs on.
//!
//! ```sh
//! cargo run --release --example market_feed                      # fits itself to the cores
//! cargo run --release --example market_feed -- --latency         # one pinned subscriber, paced
//! cargo run --release --example market_feed -- --throughput      # the publisher flat out
//! cargo run --release --example market_feed -- --subscribers 4   # more: past the cores they park
//! cargo run --release --example market_feed -- --help            # every option
//! ```
//!
//! The publisher creates a channel under `/dev/shm`, starts itself again as each subscriber
//! (`market_feed subscribe PATH ID spin|park CORE`), and publishes four message types (quotes
//! and books with the rkyv codec, trades and heartbeats with the pod codec), each stamped with
//! `CLOCK_MONOTONIC` (one clock for all processes), then an `End` record of the totals. Every
//! subscriber checks each message's contents, counts what it received and lost per type, and
//! measures rates and publish-to-receive latency. The publisher prints their reports, removes
//! the channel file, and exits non-zero if any subscriber saw a corrupt message or failed.
//!
//! A spinning subscriber keeps a core busy; two of them on one core take turns in scheduler
//! slices and measure the scheduler, not the channel. So by default the demo counts the cores
//! it may use and starts no more spinning subscribers than fit beside the publisher (at most
//! three); those asked for beyond that park on the channel's futex instead of spinning.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use bcast::typed::{Publisher, RecvError, Registry, Subscriber};
use bcast::{BcastChannel, RingBuffer, WaitStrategy};
use hdrhistogram::Histogram;

/// A price level of a book.
#[bcast::typed::schema]
struct Level {
    price: f64,
    qty: u64,
}

/// Top of book for one symbol (rkyv: it has a string).
#[bcast::typed::message(tag = 1)]
struct Quote {
    symbol: String,
    bid: f64,
    ask: f64,
    seq: u64,
    sent_ns: u64,
}

/// One execution (pod: its bytes are the payload).
#[bcast::typed::message(tag = 2, pod)]
struct Trade {
    instrument: u64,
    price: f64,
    qty: u64,
    seq: u64,
    sent_ns: u64,
}

/// Five levels a side (rkyv: vectors).
#[bcast::typed::message(tag = 3)]
struct Book {
    instrument: u64,
    bids: Vec<Level>,
    asks: Vec<Level>,
    seq: u64,
    sent_ns: u64,
}

/// Liveness (pod).
#[bcast::typed::message(tag = 4, pod)]
struct Heartbeat {
    seq: u64,
    sent_ns: u64,
}

/// The end of the feed, with how many of each type were published (pod).
#[bcast::typed::message(tag = 5, pod)]
struct End {
    published: [u64; 4],
}

#[derive(BcastChannel)]
enum MarketData {
    Quote(Quote),
    Trade(Trade),
    Book(Book),
    Heartbeat(Heartbeat),
    End(End),
}

const TYPES: [&str; 4] = ["Quote", "Trade", "Book", "Heartbeat"];
/// Per ten messages: 5 quotes, 3 trades, 1 book, 1 heartbeat.
const MIX: [usize; 10] = [0, 1, 0, 1, 0, 2, 0, 1, 0, 3];
const CAPACITY: usize = 16 << 20;
/// A subscriber that hears nothing for this long gives up.
const SILENCE: Duration = Duration::from_secs(10);
/// Spinning subscribers at most, whatever the machine.
const MAX_SPINNING: usize = 3;

const HELP: &str = "\
usage: market_feed [--latency | --throughput] [--subscribers N] [--messages N] [--rate N]
                   [--linger SECS]

  (default)          a feed at 1 000 000 messages/s to as many spinning subscribers as fit
                     beside the publisher on this machine's cores (at most 3)
  --latency          one subscriber and the publisher, each pinned to its own core; the
                     publisher paced at 100 000 messages/s: publish-to-receive latency
  --throughput       the publisher flat out: how many messages/s go through
  --subscribers N    N subscribers; those past the cores park on a futex instead of spinning
  --messages N       how many to publish (default 3 000 000; 10 000 000 with --throughput)
  --rate N           messages/s (0: flat out)
  --linger SECS      keep the channel file SECS seconds after the feed, for `bcast tail`";

/// `CLOCK_MONOTONIC` in nanoseconds: unlike `Instant`, comparable across processes.
fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable `timespec`; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

fn symbol(seq: u64) -> String {
    format!("SYM{:03}.XNAS", seq % 500)
}

fn price(seq: u64) -> f64 {
    100.0 + (seq % 1000) as f64 / 8.0
}

/// The CPUs this process may run on, ascending, as many as its CPU quota allows
/// (`available_parallelism`, which also reads cgroup limits).
fn usable_cores() -> Vec<usize> {
    let mut cores = allowed_cpus();
    cores.truncate(std::thread::available_parallelism().map_or(1, usize::from).max(1));
    cores
}

/// The CPUs this process's affinity mask allows, ascending.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is a plain bit array for which all-zero is a valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 means this thread.
    let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &raw mut set) };
    if rc != 0 {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        return (0..cores).collect();
    }
    let max = usize::try_from(libc::CPU_SETSIZE).unwrap_or(0);
    // SAFETY: every `cpu < CPU_SETSIZE` lies inside `set`.
    (0..max).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect()
}

/// Pins the calling thread to `core`; a refusal is reported, not fatal (the demo still runs).
fn pin(core: usize) {
    // SAFETY: all-zero is a valid, empty `cpu_set_t`.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: the caller's cores come from `usable_cores`, all below `CPU_SETSIZE`.
    unsafe { libc::CPU_SET(core, &mut set) };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 means this thread.
    let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &raw const set) };
    if rc != 0 {
        eprintln!("market_feed: cannot pin to core {core}: {}", std::io::Error::last_os_error());
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("subscribe") => subscribe(&args[1..]),
        _ => Options::parse(&args).and_then(|options| publish(&options)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("market_feed: {error}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// What the demo measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A paced feed to as many subscribers as fit.
    Feed,
    /// One pinned subscriber, a paced publisher.
    Latency,
    /// The publisher flat out.
    Throughput,
}

/// The command line.
#[derive(Debug)]
struct Options {
    mode: Mode,
    subscribers: Option<usize>,
    messages: u64,
    rate: u64,
    linger: Duration,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut mode = Mode::Feed;
        let (mut subscribers, mut messages, mut rate, mut linger) = (None, None, None, 0);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| -> Result<u64> {
                let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
                Ok(value.replace('_', "").parse().map_err(|e| format!("{name} {value}: {e}"))?)
            };
            match arg.as_str() {
                "--latency" => mode = Mode::Latency,
                "--throughput" => mode = Mode::Throughput,
                "--subscribers" => subscribers = Some(usize::try_from(value(arg)?)?),
                "--messages" => messages = Some(value(arg)?),
                "--rate" => rate = Some(value(arg)?),
                "--linger" => linger = value(arg)?,
                "--help" | "-h" => {
                    println!("{HELP}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{HELP}").into()),
            }
        }
        let (default_messages, default_rate) = match mode {
            Mode::Feed => (3_000_000, 1_000_000),
            Mode::Latency => (300_000, 100_000),
            Mode::Throughput => (10_000_000, 0),
        };
        Ok(Self {
            mode,
            subscribers,
            messages: messages.unwrap_or(default_messages),
            rate: rate.unwrap_or(default_rate),
            linger: Duration::from_secs(linger),
        })
    }
}

/// Who runs where.
#[derive(Debug)]
struct Plan {
    /// The publisher's core, when it is pinned.
    publisher_core: Option<usize>,
    /// Per subscriber: whether it spins, and its core if pinned.
    subscribers: Vec<(bool, Option<usize>)>,
    /// Why, in one line.
    why: String,
}

impl Plan {
    fn fit(options: &Options, cores: &[usize]) -> Self {
        let n = cores.len();
        // Cores a spinning subscriber can have to itself beside the publisher.
        let free = n.saturating_sub(1);
        let fits = free.min(MAX_SPINNING);
        let asked = options.subscribers;
        let count = match options.mode {
            Mode::Latency => asked.unwrap_or(1),
            Mode::Feed | Mode::Throughput => asked.unwrap_or(fits.max(1)),
        };
        let spinning = count.min(fits);
        let pinned = spinning >= 1;
        let subscribers = (0..count)
            .map(|i| if i < spinning { (true, Some(cores[1 + i])) } else { (false, None) })
            .collect();
        let cores_word = if n == 1 { "core" } else { "cores" };
        let why = if spinning == 0 {
            format!(
                "{n} usable {cores_word}: no room for a spinning subscriber beside the \
                 publisher, so {} on the channel's futex (latency then includes a wake-up)",
                plural(count, "subscriber parks", "subscribers park")
            )
        } else if count > spinning {
            format!(
                "{n} usable {cores_word}: the publisher on core {} and {}, each pinned to a core \
                 of its own; {} on the channel's futex, since spinners sharing a core would \
                 measure the scheduler",
                cores[0],
                plural(spinning, "spinning subscriber", "spinning subscribers"),
                plural(count - spinning, "other parks", "others park")
            )
        } else {
            let more = if asked.is_none() && options.mode != Mode::Latency {
                " (--subscribers N asks for more: those past the cores park instead of spinning)"
            } else {
                ""
            };
            format!(
                "{n} usable {cores_word}: the publisher on core {} and {}, each pinned to a core \
                 of its own{more}",
                cores[0],
                plural(spinning, "spinning subscriber", "spinning subscribers")
            )
        };
        Self { publisher_core: pinned.then(|| cores[0]), subscribers, why }
    }
}

/// Removes the channel file and stops the subscribers, however the publisher ends.
struct Cleanup {
    path: PathBuf,
    children: Vec<Child>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for child in &mut self.children {
            if child.try_wait().ok().flatten().is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = bcast::RingBuffer::remove(&self.path);
    }
}

fn publish(options: &Options) -> Result<ExitCode> {
    let cores = usable_cores();
    let plan = Plan::fit(options, &cores);
    let (total, rate) = (options.messages, options.rate);
    let path = PathBuf::from(format!("/dev/shm/bcast-market-feed-{}", std::process::id()));
    let mut cleanup = Cleanup { path: path.clone(), children: Vec::new() };
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path, CAPACITY)?)?;
    let count = plan.subscribers.len();
    println!(
        "bcast market_feed: typed market data from one publisher to {} over /dev/shm",
        plural(count, "subscriber process", "subscriber processes")
    );
    println!(
        "channel {} ({} MiB ring); its schema, which travels with it:\n{}",
        path.display(),
        CAPACITY >> 20,
        Registry::of::<MarketData>()
    );
    println!("machine: {}", plan.why);

    let mut reports = Vec::new();
    for (id, &(spins, core)) in plan.subscribers.iter().enumerate() {
        let wait = if spins { "spin" } else { "park" };
        let core = core.map_or_else(|| "-".to_owned(), |core| core.to_string());
        let mut child = Command::new(std::env::current_exe()?)
            .args(["subscribe", &path.to_string_lossy(), &id.to_string(), wait, &core])
            .stdout(Stdio::piped())
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no child stdout")?).lines();
        let ready = lines.next().transpose()?;
        if ready.as_deref() != Some("ready") {
            return Err(format!("subscriber {id} did not start: {ready:?}").into());
        }
        reports.push(std::thread::spawn(move || {
            lines.map_while(std::io::Result::ok).collect::<Vec<_>>()
        }));
        cleanup.children.push(child);
    }
    if let Some(core) = plan.publisher_core {
        pin(core);
    }

    let pace =
        if rate == 0 { "flat out".to_owned() } else { format!("{} messages/s", group(rate)) };
    println!(
        "publishing {} messages, {pace}: per ten, 5 Quote (rkyv: a string), 3 Trade (pod), \
         1 Book (rkyv: two vectors of levels), 1 Heartbeat (pod), each stamped with \
         CLOCK_MONOTONIC",
        group(total)
    );
    let mut published = [0u64; 4];
    let start = Instant::now();
    for i in 0..total {
        // Ahead of schedule: sleep rather than spin, leaving the cores to the subscribers.
        if let Some(due) = (i * 1_000_000_000).checked_div(rate) {
            let ahead = Duration::from_nanos(due).saturating_sub(start.elapsed());
            if ahead > Duration::from_micros(50) {
                std::thread::sleep(ahead);
            }
        }
        let kind = MIX[(i % 10) as usize];
        let seq = published[kind];
        let sent_ns = now_ns();
        match kind {
            0 => publisher.publish(&Quote {
                symbol: symbol(seq),
                bid: price(seq),
                ask: price(seq) + 0.25,
                seq,
                sent_ns,
            })?,
            1 => publisher.publish(&Trade {
                instrument: seq % 64,
                price: price(seq),
                qty: seq % 100,
                seq,
                sent_ns,
            })?,
            2 => {
                let side = |sign: f64| {
                    (1..=5)
                        .map(|l| Level { price: price(seq) + sign * l as f64, qty: l * seq % 997 })
                        .collect()
                };
                publisher.publish(&Book {
                    instrument: seq % 64,
                    bids: side(-1.0),
                    asks: side(1.0),
                    seq,
                    sent_ns,
                })?;
            }
            _ => publisher.publish(&Heartbeat { seq, sent_ns })?,
        }
        published[kind] += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "published {} messages in {elapsed:.2} s ({:.2} M messages/s)",
        group(total),
        total as f64 / elapsed / 1e6
    );

    // Repeat the end marker until every subscriber has seen one (a lapped one may miss a few).
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut statuses = vec![None; cleanup.children.len()];
    while statuses.iter().any(Option::is_none) {
        if Instant::now() > deadline {
            return Err("subscribers did not finish within 15 s of the end of the feed".into());
        }
        publisher.publish(&End { published })?;
        std::thread::sleep(Duration::from_millis(5));
        for (status, child) in statuses.iter_mut().zip(&mut cleanup.children) {
            if status.is_none() {
                *status = child.try_wait()?;
            }
        }
    }
    let mut failed = false;
    let mut p50s = Vec::new();
    for (id, (report, status)) in reports.into_iter().zip(statuses).enumerate() {
        for line in report.join().map_err(|_| "report reader panicked")? {
            if let Some(p50) = line.strip_prefix("p50 ") {
                p50s.push(p50.parse::<f64>().unwrap_or(f64::NAN));
            } else {
                println!("{line}");
            }
        }
        let status = status.ok_or("unreachable: every status is known")?;
        if !status.success() {
            println!("subscriber {id} FAILED: {status}");
            failed = true;
        }
    }
    if !options.linger.is_zero() {
        println!(
            "keeping {} for {} s: in another terminal, `cargo run --release -p bcast-cli -- \
             tail {} --from-oldest` prints it decoded",
            path.display(),
            options.linger.as_secs(),
            path.display()
        );
        std::thread::sleep(options.linger);
    }
    drop(cleanup);
    let worst = p50s.iter().copied().fold(0.0, f64::max);
    let verdict = if failed {
        "FAILURE: a subscriber saw a corrupt message or failed (above)".to_owned()
    } else {
        let what = match options.mode {
            Mode::Feed => format!("worst median publish-to-receive latency {worst:.1} µs"),
            Mode::Latency => format!("median publish-to-receive latency {worst:.1} µs"),
            Mode::Throughput => {
                format!("{:.2} M messages/s published", total as f64 / elapsed / 1e6)
            }
        };
        let next = match options.mode {
            Mode::Feed => {
                "Next: `-- --latency`, `-- --throughput`, or `-- --linger 60` and \
                           `cargo run --release -p bcast-cli -- tail <channel>` in another terminal"
            }
            Mode::Latency => {
                "Next: `-- --throughput`, or the peers side by side: \
                              `cargo bench -p bench-compare --bench rtt_ipc`"
            }
            Mode::Throughput => {
                "Next: `-- --latency`, or the peers side by side: \
                                 `cargo bench -p bench-compare --bench throughput`"
            }
        };
        format!(
            "removed the channel. This showed typed messages crossing processes through shared \
             memory, every one checked, lost ones counted: {what}. {next}"
        )
    };
    println!("{verdict}");
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `n` and the noun that goes with it: "1 subscriber", "2 subscribers".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `n` with thin groups of three digits: 3 000 000.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

/// What one subscriber saw of one message type.
struct Stats {
    received: u64,
    latency: Histogram<u64>,
    first_ns: u64,
    last_ns: u64,
}

impl Stats {
    fn record(&mut self, sent_ns: u64, now: u64) -> Result<()> {
        if self.received == 0 {
            self.first_ns = now;
        }
        self.received += 1;
        self.last_ns = now;
        self.latency.record(now.saturating_sub(sent_ns).max(1))?;
        Ok(())
    }
}

/// A subscriber's counts.
struct Counts {
    stats: Vec<Stats>,
    corrupt: u64,
    overruns: u64,
}

impl Counts {
    /// Checks and counts one message; the publisher's totals once it is the end marker.
    fn handle(&mut self, view: MarketDataView<'_>) -> Result<Option<[u64; 4]>> {
        let now = now_ns();
        let stats = &mut self.stats;
        let ok = match view {
            MarketDataView::Quote(q) => {
                stats[0].record(q.sent_ns.to_native(), now)?;
                let seq = q.seq.to_native();
                q.symbol == symbol(seq) && q.bid == price(seq) && q.ask == price(seq) + 0.25
            }
            MarketDataView::Trade(t) => {
                stats[1].record(t.sent_ns, now)?;
                t.price == price(t.seq) && t.qty == t.seq % 100 && t.instrument == t.seq % 64
            }
            MarketDataView::Book(b) => {
                stats[2].record(b.sent_ns.to_native(), now)?;
                let seq = b.seq.to_native();
                let side = |levels: &[ArchivedLevel], sign: f64| {
                    levels.len() == 5
                        && levels.iter().zip(1u64..).all(|(l, n)| {
                            l.price == price(seq) + sign * n as f64 && l.qty == n * seq % 997
                        })
                };
                side(&b.bids, -1.0) && side(&b.asks, 1.0)
            }
            MarketDataView::Heartbeat(h) => {
                stats[3].record(h.sent_ns, now)?;
                true
            }
            MarketDataView::End(end) => return Ok(Some(end.published)),
        };
        if !ok {
            self.corrupt += 1;
        }
        Ok(None)
    }

    /// An error from a read: an overrun (the caller resets) or a corrupt frame.
    fn error(&mut self, id: &str, error: &RecvError) -> bool {
        if matches!(error, RecvError::Overrun(_)) {
            self.overruns += 1;
            return true;
        }
        eprintln!("subscriber {id}: {error}");
        self.corrupt += 1;
        false
    }
}

/// `market_feed subscribe PATH ID spin|park CORE`: one subscriber process.
fn subscribe(args: &[String]) -> Result<ExitCode> {
    let [path, id, wait, core] = args else {
        return Err("usage: market_feed subscribe PATH ID spin|park CORE".into());
    };
    let spins = wait == "spin";
    if let Ok(core) = core.parse::<usize>() {
        pin(core);
    }
    let mut subscriber = Subscriber::<MarketData>::new(RingBuffer::attach(Path::new(path))?)?;
    subscriber.set_wait_strategy(WaitStrategy::SpinThenPark { spins: 100 });
    println!("ready");
    let stats = (0..4)
        .map(|_| {
            Ok(Stats {
                received: 0,
                latency: Histogram::new_with_bounds(1, 60_000_000_000, 3)?,
                first_ns: 0,
                last_ns: 0,
            })
        })
        .collect::<Result<_>>()?;
    let mut counts = Counts { stats, corrupt: 0, overruns: 0 };
    let mut idle = 0u32;
    let mut heard = Instant::now();
    let published = 'feed: loop {
        if !spins {
            // Park until a message comes, then take what is pending in a batch.
            match subscriber.recv_timeout(SILENCE) {
                Ok(Some(view)) => {
                    if let Some(published) = counts.handle(view)? {
                        break 'feed published;
                    }
                    heard = Instant::now();
                }
                Ok(None) => {}
                Err(error) => {
                    if counts.error(id, &error) {
                        subscriber.reset();
                    }
                }
            }
        }
        let (mut batch, mut lapped) = (0, false);
        for msg in subscriber.batch_iter() {
            batch += 1;
            match msg {
                Ok(view) => {
                    if let Some(published) = counts.handle(view)? {
                        break 'feed published;
                    }
                }
                Err(error) => lapped |= counts.error(id, &error), // an overrun ends the batch
            }
        }
        if lapped {
            subscriber.reset(); // losses show in the counts against the publisher's totals
        }
        if batch > 0 {
            heard = Instant::now();
            idle = 0;
        } else if heard.elapsed() > SILENCE {
            println!("subscriber {id}: no message for {} s: giving up", SILENCE.as_secs());
            return Ok(ExitCode::from(3));
        } else if spins {
            idle += 1;
            if idle.is_multiple_of(64) { std::thread::yield_now() } else { std::hint::spin_loop() }
        }
    };

    let Counts { stats, corrupt, overruns } = counts;
    let received: u64 = stats.iter().map(|s| s.received).sum();
    let sent: u64 = published.iter().sum();
    let how = if spins { format!("spinning on core {core}") } else { "parked".to_owned() };
    println!(
        "subscriber {id} ({how}): received {} of {}, lost {}, overruns {overruns}, corrupt \
         {corrupt}",
        group(received),
        group(sent),
        group(sent.saturating_sub(received)),
    );
    println!(
        "  {:<10} {:>9} {:>7} {:>11} {:>8} {:>8} {:>9} {:>9}",
        "type", "received", "lost", "rate/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs"
    );
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    for ((name, s), sent) in TYPES.iter().zip(&stats).zip(published) {
        all.add(&s.latency)?;
        let span = (s.last_ns.saturating_sub(s.first_ns)).max(1) as f64 / 1e9;
        let us = |q: f64| s.latency.value_at_quantile(q) as f64 / 1e3;
        println!(
            "  {name:<10} {:>9} {:>7} {:>11.0} {:>8.1} {:>8.1} {:>9.1} {:>9.1}",
            s.received,
            sent.saturating_sub(s.received),
            s.received as f64 / span,
            us(0.5),
            us(0.99),
            us(0.999),
            s.latency.max() as f64 / 1e3
        );
    }
    // For the publisher's closing line.
    println!("p50 {:.3}", all.value_at_quantile(0.5) as f64 / 1e3);
    Ok(if corrupt == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

//! A typed market-data feed from one publisher process to several subscriber
//! processes over `/dev/shm`.
//!
//! ```sh
//! cargo run --release --example market_feed                 # 3 subscribers, 3 000 000 messages
//! cargo run --release --example market_feed -- 4 5000000 0  # subscribers, messages, rate (0: unpaced)
//! ```
//!
//! The publisher creates a channel under `/dev/shm`, starts itself again as each subscriber
//! (`market_feed subscribe <path> <id>`), publishes four message types (quotes and books with
//! the rkyv codec, trades and heartbeats with the pod codec) at a steady rate, each stamped with
//! `CLOCK_MONOTONIC` (one clock for all processes), and ends with an `End` record of the totals.
//! Every subscriber checks each message's contents, counts what it received and lost per type,
//! and measures rates and publish-to-receive latency. The publisher prints their reports, removes
//! the channel file, and exits non-zero if any subscriber saw a corrupt message or failed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use bcast::BcastChannel;
use bcast::RingBuffer;
use bcast::typed::{Publisher, RecvError, Subscriber};
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("subscribe") if args.len() == 4 => subscribe(Path::new(&args[2]), &args[3]),
        _ => publish(&args[1..]),
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

fn publish(args: &[String]) -> Result<ExitCode> {
    let arg = |i: usize, default: u64| args.get(i).map_or(Ok(default), |a| a.parse::<u64>());
    let subscribers = arg(0, 3)?;
    let total = arg(1, 3_000_000)?;
    let rate = arg(2, 1_000_000)?;
    let path = PathBuf::from(format!("/dev/shm/bcast-market-feed-{}", std::process::id()));
    let mut cleanup = Cleanup { path: path.clone(), children: Vec::new() };
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(&path, CAPACITY)?)?;
    println!("channel {} ({} MiB), registry:\n{}", path.display(), CAPACITY >> 20, {
        bcast::typed::Registry::of::<MarketData>()
    });

    let mut reports = Vec::new();
    for id in 0..subscribers {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["subscribe", &path.to_string_lossy(), &id.to_string()])
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

    println!(
        "publishing {total} messages at {}",
        if rate == 0 { "full speed".into() } else { format!("{rate}/s") }
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
        "published {total} messages in {elapsed:.2} s ({:.2} M msg/s): {}",
        total as f64 / elapsed / 1e6,
        {
            TYPES
                .iter()
                .zip(published)
                .map(|(t, n)| format!("{t} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
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
    for (id, (report, status)) in reports.into_iter().zip(statuses).enumerate() {
        for line in report.join().map_err(|_| "report reader panicked")? {
            println!("[subscriber {id}] {line}");
        }
        let status = status.ok_or("unreachable: every status is known")?;
        if !status.success() {
            println!("[subscriber {id}] FAILED: {status}");
            failed = true;
        }
    }
    drop(cleanup);
    println!(
        "removed {}; {}",
        path.display(),
        if failed { "FAILURE" } else { "all subscribers clean" }
    );
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
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

fn subscribe(path: &Path, id: &str) -> Result<ExitCode> {
    let mut subscriber = Subscriber::<MarketData>::new(RingBuffer::attach(path)?)?;
    println!("ready");
    let mut stats: Vec<Stats> = (0..4)
        .map(|_| {
            Ok(Stats {
                received: 0,
                latency: Histogram::new_with_bounds(1, 60_000_000_000, 3)?,
                first_ns: 0,
                last_ns: 0,
            })
        })
        .collect::<Result<_>>()?;
    let (mut corrupt, mut overruns, mut idle) = (0u64, 0u64, 0u32);
    let mut heard = Instant::now();
    let published = 'feed: loop {
        let (mut batch, mut lapped) = (0, false);
        for msg in subscriber.batch_iter() {
            batch += 1;
            let now = now_ns();
            let view = match msg {
                Ok(view) => view,
                Err(RecvError::Overrun(_)) => {
                    (overruns, lapped) = (overruns + 1, true); // the batch ends here
                    continue;
                }
                Err(error) => {
                    eprintln!("subscriber {id}: {error}");
                    corrupt += 1;
                    continue;
                }
            };
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
                MarketDataView::End(end) => break 'feed end.published,
            };
            if !ok {
                corrupt += 1;
            }
        }
        if lapped {
            subscriber.reset(); // losses show in the counts against the publisher's totals
        }
        if batch > 0 {
            heard = Instant::now();
            idle = 0;
        } else if heard.elapsed() > SILENCE {
            println!("no message for {} s: giving up", SILENCE.as_secs());
            return Ok(ExitCode::from(3));
        } else {
            idle += 1;
            if idle % 64 == 0 { std::thread::yield_now() } else { std::hint::spin_loop() }
        }
    };

    println!(
        "{:<10} {:>9} {:>9} {:>11} {:>9} {:>9} {:>9} {:>9}",
        "type", "received", "lost", "rate/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs"
    );
    for ((name, s), sent) in TYPES.iter().zip(&stats).zip(published) {
        let span = (s.last_ns.saturating_sub(s.first_ns)).max(1) as f64 / 1e9;
        let us = |q: f64| s.latency.value_at_quantile(q) as f64 / 1e3;
        println!(
            "{name:<10} {:>9} {:>9} {:>11.0} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            s.received,
            sent.saturating_sub(s.received),
            s.received as f64 / span,
            us(0.5),
            us(0.99),
            us(0.999),
            s.latency.max() as f64 / 1e3
        );
    }
    println!("overruns {overruns}, corrupt {corrupt}");
    Ok(if corrupt == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

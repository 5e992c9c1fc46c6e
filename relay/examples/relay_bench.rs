//! Relay benchmark: messages/s through an exporter and an importer (separate Zenoh sessions
//! over loopback TCP) at 32 and 256 bytes, with and without batching, and the latency the
//! relay adds over reading the local channel.
//!
//! ```text
//! cargo run --release -p bcast-relay --example relay_bench [MESSAGES]
//! ```
//!
//! Throughput: a writer publishes MESSAGES (default 1 000 000) messages as fast as the relay
//! carries them, keeping at most 20 000 in flight so that no ring is lapped (a lapped reader
//! would turn the test into a loss count); the rate is messages over the time from the first
//! send to the last receipt on the far channel.
//!
//! Latency: 50 000 messages at 10 000/s, each stamped with its number and send time, read by
//! a reader of the source channel ("local") and one of the imported channel ("relayed"), both
//! parked between messages; "added" is, message by message, the relayed arrival less the
//! local one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bcast::{RingBuffer, Writer};
use bcast_relay::{ExportOptions, Exporter, ImportOptions, Importer, StopHandle, ZenohOptions};
use hdrhistogram::Histogram;

const CAPACITY: usize = 8 << 20;
const WINDOW: u64 = 20_000;
const LATENCY_MESSAGES: u64 = 50_000;
const LATENCY_GAP: Duration = Duration::from_micros(100);

/// An exporter and an importer of one source channel, running on their own threads.
struct Pair {
    source: String,
    mirror: String,
    stops: Vec<StopHandle>,
    threads: Vec<std::thread::JoinHandle<()>>,
    importer: Arc<Importer>,
}

impl Pair {
    fn start(name: &str, port: u16, batch_bytes: usize) -> (Self, Writer) {
        let pid = std::process::id();
        let source = format!("/dev/shm/bcast-relay-bench-{name}-{pid}");
        let mirror = format!("{source}-mirror");
        cleanup(&source, &mirror);
        let writer = RingBuffer::create(&source, CAPACITY).expect("source").into_writer();
        let endpoint = format!("tcp/127.0.0.1:{port}");
        let key = format!("bench/{name}");
        let mut export = ExportOptions::new(&source, &key);
        export.zenoh = ZenohOptions { listen: vec![endpoint.clone()], ..Default::default() };
        export.batch_bytes = batch_bytes;
        let mut import = ImportOptions::new(&key, &mirror);
        import.zenoh = ZenohOptions { connect: vec![endpoint], ..Default::default() };
        let exporter = Arc::new(Exporter::new(export));
        let importer = Arc::new(Importer::new(import));
        let stops = vec![exporter.stop_handle(), importer.stop_handle()];
        let threads = vec![
            std::thread::spawn(move || exporter.run().expect("exporter")),
            std::thread::spawn({
                let importer = Arc::clone(&importer);
                move || importer.run().expect("importer")
            }),
        ];
        let pair = Self { source, mirror, stops, threads, importer };
        (pair, writer)
    }

    /// A reader of the imported channel once the relay carries frames end to end.
    fn warm_up(&self, writer: &mut Writer) -> bcast::Reader {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut reader = loop {
            if let Ok(ring) = RingBuffer::attach(&self.mirror) {
                break ring.into_reader();
            }
            assert!(Instant::now() < deadline, "no mirror channel");
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut buf = vec![0u8; reader.mtu()];
        loop {
            writer.send_with_tag(&[0; 8], 1).expect("send");
            std::thread::sleep(Duration::from_millis(10));
            if reader.try_recv(&mut buf).expect("recv").is_some() {
                while reader.try_recv(&mut buf).expect("recv").is_some() {}
                return reader;
            }
            assert!(Instant::now() < deadline, "the relay carried nothing");
        }
    }

    fn stop(self) {
        self.stops.iter().for_each(StopHandle::stop);
        self.threads.into_iter().for_each(|t| t.join().expect("relay thread"));
        cleanup(&self.source, &self.mirror);
    }
}

fn cleanup(source: &str, mirror: &str) {
    for path in [source.to_owned(), mirror.to_owned(), format!("{mirror}.resume")] {
        let _ = bcast::RingBuffer::remove(path);
    }
}

/// Messages per second through the relay, and the frames the importer missed.
fn throughput(name: &str, port: u16, size: usize, batch_bytes: usize, messages: u64) -> (f64, u64) {
    let (pair, mut writer) = Pair::start(name, port, batch_bytes);
    let mut reader = pair.warm_up(&mut writer);
    let received = AtomicU64::new(0);
    let elapsed = std::thread::scope(|scope| {
        let consumer = scope.spawn(|| {
            let mut buf = vec![0u8; reader.mtu()];
            let mut count = 0;
            while count < messages {
                match reader.recv_timeout(&mut buf, Duration::from_secs(10)).expect("recv") {
                    Some(_) => count += 1,
                    None => break, // a lost message: the loss count below tells
                }
                received.store(count, Ordering::Release);
            }
            Instant::now()
        });
        let payload = vec![7u8; size];
        let start = Instant::now();
        for sent in 0..messages {
            while sent - received.load(Ordering::Acquire) >= WINDOW {
                std::hint::spin_loop();
                std::thread::yield_now();
            }
            writer.send_with_tag(&payload, 2).expect("send");
        }
        consumer.join().expect("consumer") - start
    });
    let missed = pair.importer.stats().missed;
    pair.stop();
    (messages as f64 / elapsed.as_secs_f64(), missed)
}

/// Latency (ns) from the send to a local reader, from the send to a reader of the imported
/// channel, and what the relay added for each message: its relayed arrival less its local one.
fn latency(name: &str, port: u16, size: usize) -> [Histogram<u64>; 3] {
    let (pair, mut writer) = Pair::start(name, port, 64 * 1024);
    let mut relayed = pair.warm_up(&mut writer);
    let mut local = RingBuffer::attach(&pair.source).expect("source").into_reader();
    let base = Instant::now();
    let now_ns = || u64::try_from(base.elapsed().as_nanos()).expect("u64 ns");
    // Each reader notes when each message (numbered in its first 8 bytes) arrived.
    let arrivals = |reader: &mut bcast::Reader| {
        let mut at = vec![None; usize::try_from(LATENCY_MESSAGES).expect("usize")];
        let mut buf = vec![0u8; reader.mtu()];
        while let Some(frame) =
            reader.recv_timeout(&mut buf, Duration::from_secs(10)).expect("recv")
        {
            let index = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
            let sent = u64::from_le_bytes(buf[8..16].try_into().expect("8 bytes"));
            assert_eq!(frame.len, size);
            at[usize::try_from(index).expect("usize")] = Some((sent, now_ns()));
            if index + 1 == LATENCY_MESSAGES {
                break;
            }
        }
        at
    };
    let (local, relayed) = std::thread::scope(|scope| {
        let local = scope.spawn(|| arrivals(&mut local));
        let relayed = scope.spawn(|| arrivals(&mut relayed));
        let mut payload = vec![0u8; size];
        let mut next = Instant::now();
        for index in 0..LATENCY_MESSAGES {
            next += LATENCY_GAP;
            while Instant::now() < next {
                std::thread::sleep(next.saturating_duration_since(Instant::now()) / 2);
            }
            payload[..8].copy_from_slice(&index.to_le_bytes());
            payload[8..16].copy_from_slice(&now_ns().to_le_bytes());
            writer.send_with_tag(&payload, 3).expect("send");
        }
        (local.join().expect("local"), relayed.join().expect("relayed"))
    });
    pair.stop();
    let mut histograms = [(); 3].map(|()| Histogram::<u64>::new(3).expect("histogram"));
    for ((sent, local_at), (_, relayed_at)) in
        local.into_iter().zip(relayed).filter_map(|(l, r)| l.zip(r))
    {
        histograms[0].record(local_at.saturating_sub(sent)).expect("record");
        histograms[1].record(relayed_at.saturating_sub(sent)).expect("record");
        histograms[2].record(relayed_at.saturating_sub(local_at)).expect("record");
    }
    histograms
}

/// The load averages, to judge how quiet the machine was.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "?".into(), |l| l.trim().to_owned())
}

fn main() {
    let messages: u64 = std::env::args().nth(1).map_or(1_000_000, |n| n.parse().expect("MESSAGES"));
    // Below Linux's ephemeral port range (32768 and up), so that no outgoing connection holds it.
    let port = 10_000 + 8 * u16::try_from(std::process::id() % 2000).expect("port");
    println!("load averages: {}\n", load());
    println!("relayed messages/s ({messages} messages, loopback TCP, separate Zenoh sessions)\n");
    println!("| payload | batching (64 KiB) | one frame per message |");
    println!("|---|---|---|");
    for (i, size) in [32usize, 256].into_iter().enumerate() {
        let port = port + 2 * u16::try_from(i).expect("small");
        let (batched, missed_b) = throughput(&format!("b{size}"), port, size, 64 * 1024, messages);
        let (single, missed_s) = throughput(&format!("s{size}"), port + 1, size, 0, messages);
        println!(
            "| {size} B | {batched:.0} (missed {missed_b}) | {single:.0} (missed {missed_s}) |"
        );
    }
    println!(
        "\nlatency, µs ({LATENCY_MESSAGES} messages at {}/s, readers parked; added: each \
         message's relayed arrival less its local one)\n",
        1_000_000 / LATENCY_GAP.as_micros()
    );
    println!(
        "| payload | local p50 | local p99 | relayed p50 | relayed p99 | added p50 | added p99 |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, size) in [32usize, 256].into_iter().enumerate() {
        let port = port + 4 + u16::try_from(i).expect("small");
        let [local, relayed, added] = latency(&format!("l{size}"), port, size);
        let us = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "| {size} B | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            us(&local, 0.5),
            us(&local, 0.99),
            us(&relayed, 0.5),
            us(&relayed, 0.99),
            us(&added, 0.5),
            us(&added, 0.99)
        );
    }
    println!("\nload averages: {}", load());
}

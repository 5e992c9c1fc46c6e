//! Waking parked readers: the latency from a publication to a parked reader holding the message,
//! in another thread and in another process (over `/dev/shm`), and what the writer pays per
//! message with no reader parked, with readers that park between messages, and on a channel
//! that still counts a reader killed while parked.
//!
//! ```text
//! cargo bench --bench wakeup           # measure (about 20 s)
//! cargo test --bench wakeup            # sanity run only (what CI does)
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use bcast::{RingBuffer, WaitStrategy};
use hdrhistogram::Histogram;

const PARKED: WaitStrategy = WaitStrategy::SpinThenPark { spins: 0 };

fn main() {
    if let Ok(path) = std::env::var("BCAST_WAKEUP_CHILD") {
        return child_reader(&path);
    }
    let measure = std::env::args().any(|arg| arg == "--bench");
    let samples = if measure { 2_000 } else { 50 };
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9}",
        "wake-up latency (publication -> reader)", "p50 us", "p90 us", "p99 us", "max us"
    );
    report("parked reader, other thread, heap ring", &thread_wakeups(samples));
    report("parked reader, other process, /dev/shm", &process_wakeups(samples));
    let messages = if measure { 2_000_000 } else { 10_000 };
    println!();
    println!("{:<44} {:>9}", "writer cost per 32-byte message", "ns");
    println!("{:<44} {:>9.1}", "no reader parked", writer_cost(messages, 0));
    println!("{:<44} {:>9.1}", "2 readers parking between messages", writer_cost(messages, 2));
    let (ns, calls) = writer_cost_after_a_dead_reader(messages);
    println!("{:<44} {ns:>9.1}  ({calls} wake calls)", "1 reader killed while parked (/dev/shm)");
}

/// Writer cost on a channel file that still counts one parked reader, as a reader killed while
/// parked leaves it; and the wake-up calls the writer made.
fn writer_cost_after_a_dead_reader(messages: u64) -> (f64, u64) {
    use std::os::unix::fs::FileExt;
    let path = format!("/dev/shm/bcast-bench-dead-{}", std::process::id());
    let _ = bcast::RingBuffer::remove(&path);
    let mut writer = RingBuffer::create(&path, 1 << 20).expect("create").into_writer();
    // The count of parked readers: a `u64` in the last 64 bytes of the 8 KiB header.
    let file = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
    file.write_all_at(&1u64.to_ne_bytes(), 8192 - 64).expect("write");
    let payload = [7u8; 32];
    let start = Instant::now();
    for _ in 0..messages {
        writer.send(black_box(&payload)).expect("below the MTU");
    }
    let elapsed = start.elapsed();
    let _ = bcast::RingBuffer::remove(&path);
    (elapsed.as_nanos() as f64 / messages as f64, writer.wake_calls())
}

fn report(name: &str, histogram: &Histogram<u64>) {
    let us = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{name:<44} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
        us(0.5),
        us(0.9),
        us(0.99),
        histogram.max() as f64 / 1000.0
    );
}

/// Nanoseconds on the system-wide monotonic clock (comparable across processes).
fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

/// Publishes `samples` timestamps 2 ms apart (so the reader parks before each) and returns the
/// writer; `received` reports when each arrived.
fn publish_spaced(writer: &mut bcast::Writer, samples: usize) {
    for _ in 0..samples {
        std::thread::sleep(Duration::from_millis(2));
        writer.send(&now_ns().to_le_bytes()).expect("below the MTU");
    }
}

fn thread_wakeups(samples: usize) -> Histogram<u64> {
    let ring = RingBuffer::with_capacity(1 << 16);
    let mut reader = ring.clone().into_reader().with_wait_strategy(PARKED);
    let mut writer = ring.into_writer();
    let consumer = std::thread::spawn(move || {
        let mut histogram =
            Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram");
        let mut buf = [0u8; 8];
        for _ in 0..samples {
            reader.recv_timeout(&mut buf, Duration::from_secs(10)).expect("read").expect("in time");
            histogram.saturating_record(now_ns().saturating_sub(u64::from_le_bytes(buf)));
        }
        histogram
    });
    publish_spaced(&mut writer, samples);
    consumer.join().expect("reader thread")
}

fn process_wakeups(samples: usize) -> Histogram<u64> {
    let path = format!("/dev/shm/bcast-wakeup-{}", std::process::id());
    let _ = bcast::RingBuffer::remove(&path);
    let mut writer = RingBuffer::create(&path, 1 << 16).expect("create").into_writer();
    let child = std::process::Command::new(std::env::current_exe().expect("bench binary"))
        .env("BCAST_WAKEUP_CHILD", &path)
        .env("BCAST_WAKEUP_SAMPLES", samples.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn reader");
    std::thread::sleep(Duration::from_millis(200)); // let it attach and park
    publish_spaced(&mut writer, samples);
    let output = child.wait_with_output().expect("reader process");
    let _ = bcast::RingBuffer::remove(&path);
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram");
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if let Ok(ns) = line.trim().parse::<u64>() {
            histogram.saturating_record(ns);
        }
    }
    assert_eq!(histogram.len(), samples as u64, "every sample arrived");
    histogram
}

/// The reader process of `process_wakeups`: prints one latency in ns per line.
fn child_reader(path: &str) {
    let samples: usize =
        std::env::var("BCAST_WAKEUP_SAMPLES").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut reader = RingBuffer::attach(path)
        .expect("attach")
        .into_reader_at(0)
        .expect("empty")
        .with_wait_strategy(PARKED);
    let mut buf = [0u8; 8];
    let mut lines = String::new();
    for _ in 0..samples {
        reader.recv_timeout(&mut buf, Duration::from_secs(10)).expect("read").expect("in time");
        let latency = now_ns().saturating_sub(u64::from_le_bytes(buf));
        lines.push_str(&format!("{latency}\n"));
    }
    print!("{lines}");
}

/// Nanoseconds per `send` of 32 bytes, with `parkers` reader threads that park between messages.
fn writer_cost(messages: u64, parkers: usize) -> f64 {
    let ring = RingBuffer::with_capacity(1 << 20);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..parkers)
        .map(|_| {
            let mut reader = ring.clone().into_reader().with_wait_strategy(PARKED);
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut buf = [0u8; 32];
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Err(bcast::Error::Overrun(_)) =
                        reader.recv_timeout(&mut buf, Duration::from_millis(5))
                    {
                        reader.reset();
                    }
                }
            })
        })
        .collect();
    let mut writer = ring.into_writer();
    let payload = [7u8; 32];
    let start = Instant::now();
    for _ in 0..messages {
        writer.send(black_box(&payload)).expect("below the MTU");
    }
    let elapsed = start.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for thread in threads {
        thread.join().expect("parker");
    }
    elapsed.as_nanos() as f64 / messages as f64
}

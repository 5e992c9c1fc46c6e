//! `bcast bench`: a quick ping-pong latency histogram between two threads over two heap rings.
//!
//! The main thread sends a message on the *ping* ring and waits for the echo thread to send it
//! back on the *pong* ring; each round trip is timed and recorded in an HDR histogram. Both
//! sides spin while waiting (yielding after a while, so a busy machine still makes progress).
//! Every echo is checked to be the message that was sent.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use bcast::{Reader, Received, RingBuffer};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::error::{CliError, Result};
use crate::format;

/// Spins before a waiting side starts yielding its core.
const SPINS_BEFORE_YIELD: u32 = 20_000;
/// Largest message size accepted.
const MAX_SIZE: usize = 16 << 20;
/// Width of the longest bar of the text histogram.
const BAR_WIDTH: u64 = 40;

/// Arguments of `bcast bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Round trips to measure.
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    messages: u64,
    /// Payload size of each message, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64)]
    size: usize,
    /// Round trips to run before measuring.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    warmup: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `bench --json` prints.
#[derive(Debug, Serialize)]
struct Report {
    /// Round trips measured.
    messages: u64,
    /// Payload bytes per message.
    size: usize,
    /// Round trips run before measuring.
    warmup: u64,
    /// Capacity of each of the two rings.
    ring_capacity: usize,
    /// Round-trip time percentiles, in nanoseconds.
    rtt_ns: Percentiles,
    /// Round trips per bucket of the 1-2-5 series: `count` took at most `le_ns` nanoseconds and
    /// more than the bound of the bucket before.
    histogram: Vec<Bucket>,
}

/// Round-trip percentiles in nanoseconds.
#[derive(Debug, Serialize)]
struct Percentiles {
    min: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    #[serde(rename = "p99.9")]
    p99_9: u64,
    max: u64,
    /// The mean, to a tenth of a nanosecond.
    mean: f64,
}

/// One bucket of the histogram.
#[derive(Debug, Serialize)]
struct Bucket {
    le_ns: u64,
    count: u64,
}

/// Runs `bcast bench`.
///
/// # Errors
///
/// If `--size` is too large, an echo does not match, or the output cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    if args.size > MAX_SIZE {
        let max = format::bytes(MAX_SIZE as u64);
        return Err(CliError::Usage(format!("--size {} is over the {max} limit", args.size)));
    }
    // Large enough for the message (the MTU is a quarter of the capacity, less the 32-byte
    // frame header).
    let capacity = ((args.size + 32) * 4).next_power_of_two().max(64 << 10);
    let histogram = ping_pong(args, capacity)?;
    let report = Report {
        messages: args.messages,
        size: args.size,
        warmup: args.warmup,
        ring_capacity: capacity,
        rtt_ns: Percentiles {
            min: histogram.min(),
            p50: histogram.value_at_quantile(0.5),
            p90: histogram.value_at_quantile(0.9),
            p99: histogram.value_at_quantile(0.99),
            p99_9: histogram.value_at_quantile(0.999),
            max: histogram.max(),
            mean: (histogram.mean() * 10.0).round() / 10.0,
        },
        histogram: buckets(&histogram),
    };
    if args.json { format::json_line(out, &report) } else { write_text(out, &report) }
}

/// Runs the round trips and returns their times in nanoseconds.
fn ping_pong(args: &Args, capacity: usize) -> Result<Histogram<u64>> {
    let ping = RingBuffer::with_capacity(capacity);
    let pong = RingBuffer::with_capacity(capacity);
    let mut ping_writer = ping.clone().into_writer();
    let mut pong_reader = pong.clone().into_reader();
    let mut ping_reader = ping.into_reader();
    let mut pong_writer = pong.into_writer();
    let total = args
        .warmup
        .checked_add(args.messages)
        .ok_or_else(|| CliError::Usage("--warmup plus --messages is too many".to_owned()))?;
    let mtu = ping_writer.mtu();

    let echo = std::thread::spawn(move || -> Result<(), bcast::Error> {
        let mut buf = vec![0; mtu];
        for _ in 0..total {
            let received = wait(&mut ping_reader, &mut buf)?;
            pong_writer.send(&buf[..received.len])?;
        }
        Ok(())
    });

    let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .map_err(|error| CliError::Bench(error.to_string()))?;
    let mut payload = vec![0xa5; args.size];
    let mut buf = vec![0; mtu];
    for round in 0..total {
        // Stamp the round number so that a stale or foreign echo is caught.
        let stamp = round.to_le_bytes();
        let stamped = payload.len().min(stamp.len());
        payload[..stamped].copy_from_slice(&stamp[..stamped]);
        let start = Instant::now();
        ping_writer.send(&payload)?;
        // On error the echo thread is left waiting; the process exits with the error.
        let received = wait(&mut pong_reader, &mut buf)?;
        let rtt = format::as_nanos(start.elapsed());
        if buf[..received.len] != payload[..] {
            return Err(CliError::Bench(format!("round {round}: the echo differs from the ping")));
        }
        if round >= args.warmup {
            histogram.saturating_record(rtt.max(1));
        }
    }
    match echo.join() {
        Ok(result) => result?,
        Err(_) => return Err(CliError::Bench("the echo thread panicked".to_owned())),
    }
    Ok(histogram)
}

/// Spins (then yields) until `reader` receives a message into `buf`.
fn wait(reader: &mut Reader, buf: &mut [u8]) -> Result<Received, bcast::Error> {
    let mut spins = 0u32;
    loop {
        if let Some(received) = reader.try_recv(buf)? {
            return Ok(received);
        }
        if spins < SPINS_BEFORE_YIELD {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// Counts per bucket of the 1-2-5 series (1 µs, 2 µs, 5 µs, 10 µs...), from the bucket of the
/// smallest recorded value to that of the largest, empty buckets in between included.
fn buckets(histogram: &Histogram<u64>) -> Vec<Bucket> {
    let mut counts = BTreeMap::<u64, u64>::new();
    for value in histogram.iter_recorded() {
        *counts.entry(bucket_bound(value.value_iterated_to())).or_default() +=
            value.count_at_value();
    }
    let (Some(&low), Some(&high)) = (counts.keys().next(), counts.keys().next_back()) else {
        return Vec::new();
    };
    let mut buckets = Vec::new();
    let mut le_ns = low;
    loop {
        buckets.push(Bucket { le_ns, count: counts.get(&le_ns).copied().unwrap_or(0) });
        if le_ns >= high {
            return buckets;
        }
        le_ns = bucket_bound(le_ns + 1);
    }
}

/// The smallest number of the 1-2-5 series (1, 2, 5, 10, 20, 50...) that is at least `value`.
fn bucket_bound(value: u64) -> u64 {
    let mut decade = 1u64;
    loop {
        for step in [1, 2, 5] {
            let bound = decade.saturating_mul(step);
            if value <= bound {
                return bound;
            }
        }
        match decade.checked_mul(10) {
            Some(next) => decade = next,
            None => return u64::MAX,
        }
    }
}

/// The report as percentiles and a bar chart, under 80 columns.
fn write_text(out: &mut impl Write, report: &Report) -> Result<()> {
    writeln!(
        out,
        "ping-pong between two threads over two heap rings of {}",
        format::bytes(report.ring_capacity as u64),
    )?;
    writeln!(
        out,
        "{} round trips of {} messages, after {} to warm up",
        report.messages,
        format::bytes(report.size as u64),
        report.warmup,
    )?;
    let p = &report.rtt_ns;
    writeln!(out, "round-trip time (one way is about half):")?;
    for (name, ns) in [
        ("min", p.min),
        ("p50", p.p50),
        ("p90", p.p90),
        ("p99", p.p99),
        ("p99.9", p.p99_9),
        ("max", p.max),
    ] {
        writeln!(out, "  {name:>6}  {:>10}", format::nanos(ns as f64))?;
    }
    writeln!(out, "  {:>6}  {:>10}", "mean", format::nanos(p.mean))?;
    writeln!(out, "\n  {:>12}  {:>10}", "rtt up to", "count")?;
    let widest = report.histogram.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    for bucket in &report.histogram {
        let width = bucket.count.saturating_mul(BAR_WIDTH).div_ceil(widest);
        let bar = "#".repeat(usize::try_from(width).unwrap_or(0));
        let line =
            format!("  {:>12}  {:>10}  {bar}", format::nanos(bucket.le_ns as f64), bucket.count);
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bucket_bound;

    #[test]
    fn bucket_bounds_follow_the_1_2_5_series() {
        let bounds: Vec<u64> =
            [0, 1, 2, 3, 5, 6, 10, 11, 1_999, 2_000, 2_001].map(bucket_bound).into();
        assert_eq!(bounds, [1, 1, 2, 5, 5, 10, 10, 20, 2_000, 2_000, 5_000]);
        assert_eq!(bucket_bound(u64::MAX), u64::MAX);
    }
}

//! `bcast bench`: a quick ping-pong latency histogram, between two threads over two heap rings
//! or (`--shm [DIR]`) between two processes over two channel files.
//!
//! The measuring side sends a message on the *ping* ring and waits for the echo side to send it
//! back on the *pong* ring; each round trip is timed and recorded in an HDR histogram. Both
//! sides spin while waiting (yielding after a while, so a busy machine still makes progress).
//! Every echo is checked to be the message that was sent.
//!
//! With `--shm`, this process creates both channel files (`DIR/bcast-bench-PID-ping` and
//! `-pong`) and lets go of the pong one's writer lock; the echo side is this executable run as
//! `bcast bench --echo PING PONG` (a hidden flag), which attaches the ping channel as a reader,
//! reopens the pong channel as its writer and announces itself with a ready message. It stops
//! after the announced number of round trips, and gives up when no ping comes for a few seconds
//! or the measuring process is gone. The files are removed when the run ends, whether it
//! succeeds or fails; the echo process is killed if it has not exited by then.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bcast::{Reader, Received, RingBuffer, Writer};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::error::{CliError, Result};
use crate::format;

/// Spins before a waiting side starts yielding its core.
const SPINS_BEFORE_YIELD: u32 = 20_000;
/// Yields between two looks at the other side (is it still there?) while waiting.
const YIELDS_PER_WATCH: u32 = 64;
/// Largest message size accepted.
const MAX_SIZE: usize = 16 << 20;
/// Width of the longest bar of the text histogram.
const BAR_WIDTH: u64 = 40;
/// `mode` of the two-thread benchmark.
const THREADS: &str = "threads, heap";
/// `mode` of the two-process benchmark (`--shm`).
const PROCESSES: &str = "processes, /dev/shm";
/// `--shm` without a directory.
const SHM_DIR: &str = "/dev/shm";
/// What the echo process sends on the pong channel once it is ready.
const READY: &[u8] = b"bcast bench echo ready";
/// How long the measuring process waits for the echo process to be ready, and for each echo.
const ECHO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the echo process waits for a ping before it gives up.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the echo process, while waiting, checks that the measuring process is alive.
const LIVENESS_EVERY: Duration = Duration::from_millis(100);
/// How long the echo process has to exit after the last echo before it is killed.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// Ping-pong between two processes over two channel files made in DIR (default /dev/shm,
    /// removed at the end) instead of two threads over heap rings.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = SHM_DIR)]
    shm: Option<PathBuf>,
    /// The echo side of `--shm`, which `bench --shm` runs in a child process: echo the
    /// `--warmup` plus `--messages` messages of channel PING on channel PONG.
    #[arg(long, num_args = 2, value_names = ["PING", "PONG"], hide = true,
          conflicts_with = "shm")]
    echo: Option<Vec<PathBuf>>,
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
    /// Between what and over what: [`THREADS`] or [`PROCESSES`].
    mode: &'static str,
    /// Where the channel files were made, under `--shm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    dir: Option<String>,
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

/// Runs `bcast bench`, or its echo side (`--echo`).
///
/// # Errors
///
/// If `--size` is too large, a channel file cannot be made, the echo process fails, an echo
/// does not match, or the output cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let total = args
        .warmup
        .checked_add(args.messages)
        .ok_or_else(|| CliError::Usage("--warmup plus --messages is too many".to_owned()))?;
    match args.echo.as_deref() {
        Some([ping, pong]) => return echo(ping, pong, total),
        Some(_) => return Err(CliError::Usage("--echo takes two paths".to_owned())),
        None => {}
    }
    if args.size > MAX_SIZE {
        let max = format::bytes(MAX_SIZE as u64);
        return Err(CliError::Usage(format!("--size {} is over the {max} limit", args.size)));
    }
    // Large enough for the message (the MTU is a quarter of the capacity, less the 32-byte
    // frame header).
    let capacity = ((args.size + 32) * 4).next_power_of_two().max(64 << 10);
    let (histogram, mode) = match &args.shm {
        None => (threads(args, total, capacity)?, THREADS),
        Some(dir) => (processes(args, total, capacity, dir)?, PROCESSES),
    };
    let report = Report {
        messages: args.messages,
        size: args.size,
        warmup: args.warmup,
        mode,
        dir: args.shm.as_ref().map(|dir| dir.display().to_string()),
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

/// Ping-pong between this thread and an echo thread over two heap rings; returns the round-trip
/// times in nanoseconds.
fn threads(args: &Args, total: u64, capacity: usize) -> Result<Histogram<u64>> {
    let ping = RingBuffer::with_capacity(capacity);
    let pong = RingBuffer::with_capacity(capacity);
    let mut ping_writer = ping.clone().into_writer();
    let mut pong_reader = pong.clone().into_reader();
    let mut ping_reader = ping.into_reader();
    let mut pong_writer = pong.into_writer();
    let mtu = ping_writer.mtu();

    let echo = std::thread::spawn(move || -> Result<()> {
        let mut buf = vec![0; mtu];
        for _ in 0..total {
            let received = wait(&mut ping_reader, &mut buf, |_| Ok(()))?;
            pong_writer.send(&buf[..received.len])?;
        }
        Ok(())
    });
    let measured = measure(args, total, &mut ping_writer, &mut pong_reader, |_| {
        if echo.is_finished() {
            Err(CliError::Bench("the echo thread stopped early".to_owned()))
        } else {
            Ok(())
        }
    });
    if measured.is_err() && !echo.is_finished() {
        // The echo thread is left waiting; the process exits with the error.
        return measured;
    }
    match echo.join() {
        // The echo thread's error, if any, says more than ours.
        Ok(result) => result?,
        Err(_) => return Err(CliError::Bench("the echo thread panicked".to_owned())),
    }
    measured
}

/// Ping-pong between this process and an echo process over two channel files in `dir`;
/// returns the round-trip times in nanoseconds.
fn processes(args: &Args, total: u64, capacity: usize, dir: &Path) -> Result<Histogram<u64>> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(CliError::Bench(format!("--shm {}: not a directory", dir.display())));
        }
        Err(error) => return Err(CliError::Bench(format!("--shm {}: {error}", dir.display()))),
    }
    let pid = std::process::id();
    let ping_path = dir.join(format!("bcast-bench-{pid}-ping"));
    let pong_path = dir.join(format!("bcast-bench-{pid}-pong"));
    // Dropped last: the files go once the echo process is gone (and on every error path).
    let mut files = ChannelFiles::default();
    let mut ping_writer = files.create(&ping_path, capacity)?.into_writer();
    // Let go of the pong channel's writer lock at once: the echo process reopens it as its
    // writer. Attached before the echo process starts, this reader sees every frame it sends.
    drop(files.create(&pong_path, capacity)?);
    let mut pong_reader = RingBuffer::attach(&pong_path)?.into_reader();
    let mut echo = EchoProcess::spawn(&ping_path, &pong_path, args)?;

    let mut buf = vec![0; pong_reader.mtu()];
    let ready = wait(&mut pong_reader, &mut buf, |waited| echo.watch(waited, "to be ready"))?;
    if buf[..ready.len] != *READY {
        return Err(CliError::Bench(format!(
            "{}: the first frame is not the echo process's ready message",
            pong_path.display(),
        )));
    }
    let histogram = measure(args, total, &mut ping_writer, &mut pong_reader, |waited| {
        echo.watch(waited, "for an echo")
    })?;
    echo.finish()?;
    Ok(histogram)
}

/// The echo side of `--shm` (`bench --echo PING PONG`): echoes `total` messages of the channel
/// at `ping` on the channel at `pong`, which it reopens as its writer, after a ready message.
fn echo(ping_path: &Path, pong_path: &Path, total: u64) -> Result<()> {
    let ping = RingBuffer::attach(ping_path)?;
    // The measuring process sends no ping before the ready message, so none is missed.
    let mut ping_reader = ping.clone().into_reader();
    let mut pong_writer = RingBuffer::create(pong_path, ping.capacity())?.into_writer();
    pong_writer.send(READY)?;
    let mut buf = vec![0; ping_reader.mtu()];
    let mut checked = Instant::now();
    let mut watch = |waited: Duration| {
        if waited >= PING_TIMEOUT {
            return Err(CliError::Bench(format!(
                "echo: no ping for {} s: giving up",
                PING_TIMEOUT.as_secs(),
            )));
        }
        if checked.elapsed() >= LIVENESS_EVERY {
            checked = Instant::now();
            if !ping.writer_alive() {
                return Err(CliError::Bench(format!(
                    "echo: the writer of {} is gone: giving up",
                    ping_path.display(),
                )));
            }
        }
        Ok(())
    };
    for _ in 0..total {
        let received = wait(&mut ping_reader, &mut buf, &mut watch)?;
        pong_writer.send(&buf[..received.len])?;
    }
    Ok(())
}

/// Runs the `total` round trips (the first `--warmup` of them unmeasured) and returns their
/// times in nanoseconds; `watch` is called now and then while an echo is late (see [`wait`]).
fn measure(
    args: &Args,
    total: u64,
    ping: &mut Writer,
    pong: &mut Reader,
    mut watch: impl FnMut(Duration) -> Result<()>,
) -> Result<Histogram<u64>> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .map_err(|error| CliError::Bench(error.to_string()))?;
    let mut payload = vec![0xa5; args.size];
    let mut buf = vec![0; pong.mtu()];
    for round in 0..total {
        // Stamp the round number so that a stale or foreign echo is caught.
        let stamp = round.to_le_bytes();
        let stamped = payload.len().min(stamp.len());
        payload[..stamped].copy_from_slice(&stamp[..stamped]);
        let start = Instant::now();
        ping.send(&payload)?;
        let received = wait(pong, &mut buf, &mut watch)?;
        let rtt = format::as_nanos(start.elapsed());
        if buf[..received.len] != payload[..] {
            return Err(CliError::Bench(format!("round {round}: the echo differs from the ping")));
        }
        if round >= args.warmup {
            histogram.saturating_record(rtt.max(1));
        }
    }
    Ok(histogram)
}

/// Spins (then yields) until `reader` receives a message into `buf`. While yielding it calls
/// `watch` every [`YIELDS_PER_WATCH`] yields with the time spent yielding so far, and returns
/// its error if it has one (the other side is gone, or has been silent for too long) and no
/// message came meanwhile.
fn wait(
    reader: &mut Reader,
    buf: &mut [u8],
    mut watch: impl FnMut(Duration) -> Result<()>,
) -> Result<Received> {
    let mut spins = 0u32;
    let mut yields = 0u32;
    let mut yielding_since = None;
    loop {
        if let Some(received) = reader.try_recv(buf)? {
            return Ok(received);
        }
        if spins < SPINS_BEFORE_YIELD {
            spins += 1;
            std::hint::spin_loop();
            continue;
        }
        let since = *yielding_since.get_or_insert_with(Instant::now);
        std::thread::yield_now();
        yields = yields.wrapping_add(1);
        if yields.is_multiple_of(YIELDS_PER_WATCH)
            && let Err(error) = watch(since.elapsed())
        {
            // The other side may have sent its last message and gone since the last look.
            return reader.try_recv(buf)?.ok_or(error);
        }
    }
}

/// The channel files of `--shm`, removed (with their writer lock files) when dropped.
#[derive(Debug, Default)]
struct ChannelFiles(Vec<PathBuf>);

impl ChannelFiles {
    /// Creates the channel at `path`, to be removed with the others.
    fn create(&mut self, path: &Path, capacity: usize) -> Result<RingBuffer> {
        let ring = RingBuffer::create(path, capacity)?;
        self.0.push(path.to_owned());
        Ok(ring)
    }
}

impl Drop for ChannelFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            if let Err(error) = RingBuffer::remove(path) {
                eprintln!("bcast: warning: {error}");
            }
        }
    }
}

/// The echo process of `--shm`, killed (and waited for) when dropped if it is still running.
#[derive(Debug)]
struct EchoProcess(Child);

impl EchoProcess {
    /// Runs this executable as `bcast bench --echo PING PONG`, for `args`' round trips.
    fn spawn(ping: &Path, pong: &Path, args: &Args) -> Result<Self> {
        let exe = std::env::current_exe().map_err(|error| {
            CliError::Bench(format!("cannot find this program to run the echo process: {error}"))
        })?;
        let child = Command::new(&exe)
            .arg("bench")
            .arg("--echo")
            .arg(ping)
            .arg(pong)
            .arg("--messages")
            .arg(args.messages.to_string())
            .arg("--warmup")
            .arg(args.warmup.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Read back for the error message if it fails.
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                CliError::Bench(format!(
                    "cannot run {} as the echo process: {error}",
                    exe.display()
                ))
            })?;
        Ok(Self(child))
    }

    /// Checks, while this process waits `for_what` (for `waited` so far), that the echo
    /// process is still running and has not been silent for too long.
    fn watch(&mut self, waited: Duration, for_what: &str) -> Result<()> {
        if let Some(status) = self.try_wait()? {
            return Err(self.failure(status, "exited early"));
        }
        if waited >= ECHO_TIMEOUT {
            return Err(CliError::Bench(format!(
                "waited {} s for the echo process (pid {}) {for_what}: giving up",
                ECHO_TIMEOUT.as_secs(),
                self.0.id(),
            )));
        }
        Ok(())
    }

    /// Waits (at most [`EXIT_TIMEOUT`]) for the echo process to exit after the last echo, and
    /// checks that it succeeded.
    fn finish(&mut self) -> Result<()> {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            match self.try_wait()? {
                Some(status) if status.success() => return Ok(()),
                Some(status) => return Err(self.failure(status, "failed")),
                None if Instant::now() >= deadline => {
                    // Dropping `self` kills it.
                    return Err(CliError::Bench(format!(
                        "the echo process (pid {}) did not exit within {} s of the last echo",
                        self.0.id(),
                        EXIT_TIMEOUT.as_secs(),
                    )));
                }
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.0.try_wait().map_err(|error| {
            CliError::Bench(format!(
                "cannot check on the echo process (pid {}): {error}",
                self.0.id()
            ))
        })
    }

    /// The error for an echo process that exited with `status`, with what it said on stderr.
    fn failure(&mut self, status: ExitStatus, what: &str) -> CliError {
        let mut said = String::new();
        if let Some(stderr) = self.0.stderr.as_mut() {
            let _ = stderr.take(4096).read_to_string(&mut said);
        }
        let said = said.trim();
        let said = said.strip_prefix("bcast: ").unwrap_or(said);
        let pid = self.0.id();
        if said.is_empty() {
            CliError::Bench(format!("the echo process (pid {pid}) {what} ({status})"))
        } else {
            CliError::Bench(format!("the echo process (pid {pid}) {what} ({status}): {said}"))
        }
    }
}

impl Drop for EchoProcess {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            // SIGKILL: the wait that follows is short.
            let _ = self.0.kill();
            let _ = self.0.wait();
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
    let capacity = format::bytes(report.ring_capacity as u64);
    match &report.dir {
        None => writeln!(out, "ping-pong between two threads over two heap rings of {capacity}")?,
        Some(dir) => writeln!(
            out,
            "ping-pong between two processes over two channel files of {capacity} in {}",
            format::escape(dir),
        )?,
    }
    writeln!(out, "mode: {}", report.mode)?;
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

//! Round-trip latency between two *processes* over two `/dev/shm` channels: what the library is
//! for. Ours against bcast 1.0.0-rc.7 and iceoryx2's `ipc` publish-subscribe service, 32 B,
//! 256 B, 4 KiB and 64 KiB, interleaved round by round, with the cache-line floor
//! (`bench_compare::floor`, two threads of the pinger process on the same two cores) in the same
//! rounds as the reference (`target/bench-out/rtt_ipc_floor.csv`).
//!
//! ```text
//! cargo bench -p bench-compare --bench rtt_ipc      # measure (under a minute)
//! cargo test  -p bench-compare --bench rtt_ipc      # sanity run: every sample verified
//! ```
//!
//! The bench process is the pinger (on the first core of `BENCH_CORES`). For each crate and
//! round it creates the ping channel, re-executes itself (`std::env::current_exe()`) with
//! `--echo` as the echo process (which pins itself to the second core, creates the pong channel,
//! attaches the ping channel read-only and says `ready`), attaches the pong channel and runs the
//! ping-pong. Channels have unique names (`/dev/shm/bcast-bench-<pid>-<n>`; iceoryx2 services of
//! the same names, with files under this run's own iceoryx2 root, see
//! `bench_compare::transport::iceoryx`) and are removed after each run, also on failure. Rings
//! are 64 KiB, or eight messages where that is more (512 KiB for 64 KiB messages: ours lets a
//! message take at most a quarter of its ring). Output: `target/bench-out/rtt_ipc_*.csv`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bench_compare::affinity::{CORES_ENV, Cores, pin_current};
use bench_compare::floor::{self, Lines};
use bench_compare::pingpong::{Spec, echo, ping};
use bench_compare::poll::Poller;
use bench_compare::report::{LatencyRounds, LatencyTables};
use bench_compare::transport::{Channel, Impl, ShmNames, Storage, iceoryx, ours, peer};
use bench_compare::{Mode, load_average, round_order, with_peers};
use hdrhistogram::Histogram;

/// Channel capacity in bytes, for messages up to 16 KiB.
const CAPACITY: usize = 64 * 1024;
/// Payload sizes.
const SIZES: [usize; 4] = [32, 256, 4096, 65536];

/// The ring capacity for `size`-byte messages: [`CAPACITY`], or eight messages where that is more.
fn capacity(size: usize) -> usize {
    CAPACITY.max(8 * size)
}

/// Opens the channel at a path of crate `imp`, sized for `size`-byte messages, and runs `then`
/// with the opener (a generic body needs the channel type).
macro_rules! with_opener {
    ($imp:expr, $size:expr, $then:ident ( $($arg:expr),* )) => {{
        let (size, cap) = ($size, capacity($size));
        match $imp {
            Impl::Ours => $then(&|path: &Path| ours::ShmChannel::new(path, cap), $($arg),*),
            Impl::Peer => $then(&|path: &Path| peer::ShmChannel::new(path, cap), $($arg),*),
            Impl::Iceoryx2 => {
                $then(&|path: &Path| iceoryx::IpcChannel::new(path, cap, size), $($arg),*)
            }
            other => unreachable!("{} has no file-backed storage", other.label()),
        }
    }};
}
/// First argument of the echo process.
const ECHO_FLAG: &str = "--echo";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(ECHO_FLAG) {
        echo_process(&args[2..]);
        return;
    }
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let (rounds, warmup, samples) = mode.pick((2, 200, 2_000), (30, 5_000, 50_000));
    let _iceoryx_files = iceoryx::Cleanup::new();
    println!(
        "rtt_ipc: {mode:?} mode, cores {} (pinger, echo process), {rounds} rounds x {samples} \
         round trips after {warmup} warm-up, channels {CAPACITY} B (8 messages for larger ones)",
        cores.describe()
    );
    println!("load average at start: {}", load_average());
    pin_current(cores.writer());
    let poller = Poller::for_load(2, if cores.writer() == cores.reader(0) { 1 } else { 2 });
    let mut tables = LatencyTables::new("rtt_ipc", "Round trip, two processes over /dev/shm");
    for size in SIZES {
        let spec = Spec { size, warmup, samples };
        let mut impls = with_peers(Storage::Shm, size);
        impls.extend([Impl::FloorOneLine, Impl::FloorTwoLines]);
        let mut results = LatencyRounds::new("shm-2proc", size);
        for round in 0..rounds {
            for imp in round_order(&impls, round) {
                let hist = match Lines::of(imp) {
                    Some(lines) => floor::run(lines, spec, &cores),
                    None => with_opener!(imp, size, pinger(imp, spec, &cores, poller)),
                };
                results.add(imp, &hist);
            }
        }
        for imp in &impls {
            let total = results.total(*imp).expect("every crate ran");
            assert_eq!(total.len(), samples * rounds as u64, "every sample verified");
        }
        results.write(&mut tables);
        println!("  {size} B: done");
    }
    println!("load average at end: {}", load_average());
    tables.emit();
}

/// The pinger's side of one run: makes the ping channel, starts the echo process, waits for it,
/// attaches the pong channel and measures.
fn pinger<C: Channel>(
    open: &dyn Fn(&Path) -> C,
    imp: Impl,
    spec: Spec,
    cores: &Cores,
    poller: Poller,
) -> Histogram<u64> {
    let mut names = ShmNames::new();
    let (ping_path, pong_path) = (names.fresh(), names.fresh());
    let ping_channel = open(&ping_path);
    let mut tx = ping_channel.writer();

    let exe = std::env::current_exe().expect("path of this executable");
    let mut child = Command::new(exe)
        .arg(ECHO_FLAG)
        .arg(imp.label())
        .arg(&ping_path)
        .arg(&pong_path)
        .arg(spec.size.to_string())
        .arg(spec.total().to_string())
        // Explicitly: the child inherits this thread's affinity (the pinger's core only).
        .env(CORES_ENV, cores.describe())
        // The echo process's iceoryx2 files live under this run's root, which it removes.
        .env(iceoryx::RUN_ENV, iceoryx::run_id())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the echo process");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    BufReader::new(stdout).read_line(&mut line).expect("read from the echo process");
    assert_eq!(line.trim(), "ready", "the echo process failed to start");

    let pong_channel = open(&pong_path);
    let mut rx = pong_channel.reader();
    let hist = ping(&mut tx, &mut rx, spec, poller);
    let status = child.wait().expect("wait for the echo process");
    assert!(status.success(), "the echo process failed: {status}");
    hist
}

/// The echo process: `--echo <impl> <ping path> <pong path> <size> <count>`.
fn echo_process(args: &[String]) {
    let [imp, ping_path, pong_path, size, count] = args else {
        panic!("usage: {ECHO_FLAG} <impl> <ping path> <pong path> <size> <count>");
    };
    let imp = Impl::from_label(imp).expect("a known crate label");
    let size: usize = size.parse().expect("a payload size");
    let samples: u64 = count.parse().expect("a message count");
    // Not `Cores::from_env`, which checks the cores against this process's affinity: that is
    // the pinger's single core, inherited.
    let list = std::env::var(CORES_ENV).expect("the pinger passes its cores");
    let cores = Cores::parse(&list).expect("a valid core list");
    pin_current(cores.reader(0));
    let poller = Poller::for_load(2, if cores.writer() == cores.reader(0) { 1 } else { 2 });
    let spec = Spec { size, warmup: 0, samples };
    let (ping_path, pong_path) = (PathBuf::from(ping_path), PathBuf::from(pong_path));
    with_opener!(imp, size, echoer(&ping_path, &pong_path, spec, poller));
}

/// Creates the pong channel, attaches the ping channel, says `ready` and echoes.
fn echoer<C: Channel>(
    open: &dyn Fn(&Path) -> C,
    ping_path: &Path,
    pong_path: &Path,
    spec: Spec,
    poller: Poller,
) {
    let pong_channel = open(pong_path);
    let mut tx = pong_channel.writer();
    let ping_channel = open(ping_path);
    let mut rx = ping_channel.reader();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "ready").and_then(|()| stdout.flush()).expect("tell the pinger");
    echo(&mut tx, &mut rx, spec, poller);
}

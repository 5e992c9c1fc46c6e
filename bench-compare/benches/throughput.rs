//! Throughput, ours against bcast 1.0.0-rc.7 and 0.0.6 on heap rings, interleaved round by
//! round, for 32 B, 256 B, 1 KiB and 4 KiB payloads (and 64 KiB for `send`):
//!
//! - `send` / `claim`: the writer alone (no reader), copying a caller payload (`send`) or
//!   filling a claim in place (`claim`); messages/s and GB/s of payload. `send` also runs the
//!   peers in the same rounds: iceoryx2's process-local service (32 B, 256 B, 4 KiB, 64 KiB) and
//!   tokio's `broadcast` (32 B, 256 B), each with one idle reader connected, since neither
//!   stores a message nobody can receive (`Channel::STORES_WITHOUT_READER`); bcast 0.0.6 stops
//!   at 4 KiB;
//! - `catch-up`: a reader alone draining a ring filled to three quarters, repeatedly;
//! - `contended`: a writer flat out on one core and a reader on another; the writer's rate, the
//!   share of messages the reader received, the overruns it was told about, and any torn
//!   payload or silent loss it saw (there is no backpressure: a reader that falls a lap behind
//!   loses messages, and must be told).
//!
//! ```text
//! cargo bench -p bench-compare --bench throughput   # measure (about a minute and a half)
//! BENCH_RING_MIB=64 BENCH_PHASES=send,catch-up cargo bench -p bench-compare --bench throughput
//! cargo test  -p bench-compare --bench throughput   # sanity run
//! ```
//!
//! Output: `target/bench-out/throughput.csv` and `throughput_ratio.csv`.

use std::time::Duration;

use bench_compare::affinity::Cores;
use bench_compare::flow::{WriteApi, catch_up, stream, writer_alone};
use bench_compare::stats::Paired;
use bench_compare::table::{Table, ns};
use bench_compare::transport::{Factory, Impl, Storage, Visitor, iceoryx, visit_with_peers};
use bench_compare::{Mode, contenders, load_average, round_order};

/// Ring capacity in bytes by default: a small real-world ring, about one core's L2 cache on the
/// reference machine (1 MiB), so the single-thread figures measure the crates more than DRAM.
const CAPACITY: usize = 1 << 20;
/// Environment variable: the ring capacity in MiB instead of [`CAPACITY`] (64 for a ring far
/// larger than the caches).
const RING_ENV: &str = "BENCH_RING_MIB";
/// Environment variable: the phases to run, comma-separated labels (`send,catch-up`); all by
/// default.
const PHASES_ENV: &str = "BENCH_PHASES";
/// Payload sizes.
const SIZES: [usize; 4] = [32, 256, 1024, 4096];
/// Payload sizes of the `send` phase, which the peers join.
const SEND_SIZES: [usize; 5] = [32, 256, 1024, 4096, 65536];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Send,
    Claim,
    CatchUp,
    Contended,
}

impl Phase {
    /// The sizes this phase runs.
    fn sizes(self) -> &'static [usize] {
        if self == Self::Send { &SEND_SIZES } else { &SIZES }
    }

    /// The crates this phase runs at `size`: the bcast family (0.0.6 up to 4 KiB), and in
    /// `send` the peers at the sizes the issue asks for (iceoryx2 at 32 B, 256 B, 4 KiB and
    /// 64 KiB; tokio at 32 B and 256 B).
    fn impls(self, size: usize) -> Vec<Impl> {
        let mut impls = contenders(Storage::Heap);
        if size > 4096 {
            impls.retain(|&imp| imp != Impl::Bcast006);
        }
        if self == Self::Send && size != 1024 {
            impls.push(Impl::Iceoryx2);
        }
        if self == Self::Send && size <= 256 {
            impls.push(Impl::Tokio);
        }
        impls
    }

    fn label(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Claim => "claim",
            Self::CatchUp => "catch-up",
            Self::Contended => "contended",
        }
    }
}

/// One crate's run of one phase, on a fresh ring.
struct Run<'a> {
    phase: Phase,
    size: usize,
    count: u64,
    /// Ring capacity in bytes.
    capacity: usize,
    cores: &'a Cores,
}

/// What a run measured.
struct Sample {
    seconds: f64,
    messages: u64,
    /// For `contended`: (delivered share, overruns, torn, silent gaps).
    reader: Option<(f64, u64, u64, u64)>,
}

impl Visitor for Run<'_> {
    type Out = Sample;

    fn visit<F: Factory>(self, mut factory: F) -> Sample {
        let ring = factory.make();
        let (size, count) = (self.size, self.count);
        let timed = |elapsed: Duration, messages| Sample {
            seconds: elapsed.as_secs_f64(),
            messages,
            reader: None,
        };
        match self.phase {
            Phase::Send => timed(writer_alone(&ring, size, count, WriteApi::Send), count),
            Phase::Claim => timed(writer_alone(&ring, size, count, WriteApi::Claim), count),
            Phase::CatchUp => {
                let per_fill = (self.capacity as u64 * 3 / 4) / (size as u64 + 32);
                let (elapsed, read) = catch_up(&ring, size, count, per_fill);
                timed(elapsed, read)
            }
            Phase::Contended => {
                let result = stream(&ring, size, count, 1, None, self.cores);
                let r = &result.readers[0];
                let share = r.delivered as f64 / count as f64;
                Sample {
                    reader: Some((share, r.overruns, r.torn, r.silent_gaps)),
                    ..timed(result.writer, count)
                }
            }
        }
    }
}

fn main() {
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let rounds = mode.pick(2, 15);
    let capacity = std::env::var(RING_ENV).map_or(CAPACITY, |mib| {
        mib.parse::<usize>().ok().filter(|&mib| mib > 0).expect("BENCH_RING_MIB: a number of MiB")
            << 20
    });
    let phases: Vec<Phase> = [Phase::Send, Phase::Claim, Phase::CatchUp, Phase::Contended]
        .into_iter()
        .filter(|phase| {
            std::env::var(PHASES_ENV)
                .map_or(true, |list| list.split(',').any(|p| p == phase.label()))
        })
        .collect();
    let _iceoryx_files = iceoryx::Cleanup::new();
    println!(
        "throughput: {mode:?} mode, cores {} (writer, reader), {rounds} rounds, ring {capacity} B",
        cores.describe()
    );
    println!("load average at start: {}", load_average());
    let mut results = Table::new(
        "throughput",
        "Throughput: medians over rounds (GB/s counts payload bytes)",
        &[
            "phase",
            "size",
            "impl",
            "Mmsg/s",
            "GB/s",
            "ns/msg",
            "delivered",
            "overruns",
            "torn",
            "silent",
        ],
    );
    let mut ratios = Table::spreads(
        "throughput_ratio",
        "Throughput: paired ratio ours / theirs of messages/s per round (above 1: ours faster)",
        &["phase", "size", "ours_vs"],
    );
    for phase in phases {
        for &size in phase.sizes() {
            let count = mode.pick(5_000, (128u64 << 20) / size as u64).clamp(5_000, 2_000_000);
            let impls = phase.impls(size);
            let mut tally = Tally::default();
            for round in 0..rounds {
                for imp in round_order(&impls, round) {
                    let run = Run { phase, size, count, capacity, cores: &cores };
                    tally.add(imp, &visit_with_peers(imp, Storage::Heap, capacity, size, run));
                }
            }
            let Tally { rate, share, overruns, .. } = &tally;
            for imp in &impls {
                let mps = rate.median(imp.label()).expect("rounds ran");
                let mut row = vec![phase.label().into(), size.to_string(), imp.label().into()];
                row.push(format!("{:.2}", mps / 1e6));
                row.push(format!("{:.2}", mps * size as f64 / 1e9));
                row.push(ns(1e9 / mps));
                if phase == Phase::Contended {
                    let share = share.median(imp.label()).expect("rounds ran");
                    row.push(format!("{:.1}%", share * 100.0));
                    row.push(format!("{:.0}", overruns.median(imp.label()).expect("rounds ran")));
                    let (torn, silent) = tally.bad(*imp);
                    row.extend([torn.to_string(), silent.to_string()]);
                } else {
                    row.extend(["-", "-", "-", "-"].map(String::from));
                }
                results.row(row);
                if *imp != Impl::Ours {
                    let spread = rate.ratio(Impl::Ours.label(), imp.label()).expect("rounds ran");
                    let mut row = vec![phase.label().into(), size.to_string(), imp.label().into()];
                    row.extend(spread.cells());
                    ratios.row(row);
                }
            }
            if phase == Phase::Contended {
                let bad = tally.bad(Impl::Ours);
                assert_eq!(bad, (0, 0), "ours never delivers a torn or silently lost message");
            }
            println!("  {} {size} B: done", phase.label());
        }
    }
    println!("load average at end: {}", load_average());
    results.emit();
    ratios.emit();
}

/// Per-round figures of every crate for one phase and size.
#[derive(Default)]
struct Tally {
    /// Messages per second.
    rate: Paired,
    /// Share of messages delivered (contended only).
    share: Paired,
    /// Overruns reported (contended only).
    overruns: Paired,
    /// Torn and silently lost messages summed over rounds (contended only).
    bad: Vec<(Impl, u64, u64)>,
}

impl Tally {
    /// Files one run's sample under its crate.
    fn add(&mut self, imp: Impl, sample: &Sample) {
        self.rate.push(imp.label(), sample.messages as f64 / sample.seconds);
        if let Some((delivered, lapped, torn, silent)) = sample.reader {
            self.share.push(imp.label(), delivered);
            self.overruns.push(imp.label(), lapped as f64);
            match self.bad.iter_mut().find(|(i, ..)| *i == imp) {
                Some(entry) => (entry.1, entry.2) = (entry.1 + torn, entry.2 + silent),
                None => self.bad.push((imp, torn, silent)),
            }
        }
    }

    /// Torn and silently lost messages of `imp`.
    fn bad(&self, imp: Impl) -> (u64, u64) {
        self.bad
            .iter()
            .find(|(i, ..)| *i == imp)
            .map_or((0, 0), |&(_, torn, silent)| (torn, silent))
    }
}

//! Fan-out: one writer, 1, 2, 4 and 8 readers, 32 B messages on heap rings, ours against
//! bcast 1.0.0-rc.7 and 0.0.6, interleaved round by round. Two figures per reader count:
//!
//! - writer cost: ns per message while the writer publishes flat out and every reader polls
//!   (readers touching the ring's cache lines is what can slow a writer down);
//! - reader latency: the writer publishes one timestamped message every `PACE`, and each
//!   reader records the one-way latency to its receipt (all readers' samples merged).
//!
//! The writer runs on the first core of `BENCH_CORES`, readers round-robin on the others. On a
//! 2-core machine every reader shares the second core, so beyond one reader the figures measure
//! time-slicing as much as the crates: only the trend means anything there, and readers that
//! share a core yield after a few empty polls (see `bench_compare::poll`).
//!
//! ```text
//! cargo bench -p bench-compare --bench fanout       # measure (under a minute)
//! cargo test  -p bench-compare --bench fanout       # sanity run
//! ```
//!
//! Output: `target/bench-out/fanout.csv` and `fanout_ratio.csv`.

use std::time::Duration;

use bench_compare::affinity::Cores;
use bench_compare::flow::stream;
use bench_compare::stats::{Paired, histogram, percentile_columns, percentiles};
use bench_compare::table::{Table, ns};
use bench_compare::transport::{Factory, Impl, Storage, Visitor, visit};
use bench_compare::{Mode, contenders, load_average, round_order};
use hdrhistogram::Histogram;

/// Ring capacity in bytes.
const CAPACITY: usize = 1 << 20;
/// Payload bytes.
const SIZE: usize = 32;
/// Reader counts.
const READERS: [usize; 4] = [1, 2, 4, 8];
/// Interval between messages of the latency run: long enough that the reader is idle between
/// messages, so that one scheduling hiccup delays few messages (at 10 µs, a 4 ms preemption
/// delays 400 of them, which still shows in p99 of a run: read the tails with that in mind).
const PACE: Duration = Duration::from_micros(10);

/// One crate's two runs with `readers` readers.
struct FanOut<'a> {
    readers: usize,
    flat_count: u64,
    paced_count: u64,
    cores: &'a Cores,
}

/// What the two runs measured.
struct Sample {
    writer_ns: f64,
    /// Mean share of messages delivered to a reader in the flat-out run.
    share: f64,
    /// Overruns, torn payloads and silent gaps over both runs and all readers.
    overruns: u64,
    torn: u64,
    silent: u64,
    latency: Histogram<u64>,
}

impl Visitor for FanOut<'_> {
    type Out = Sample;

    fn visit<F: Factory>(self, mut factory: F) -> Sample {
        let flat = stream(&factory.make(), SIZE, self.flat_count, self.readers, None, self.cores);
        let paced =
            stream(&factory.make(), SIZE, self.paced_count, self.readers, Some(PACE), self.cores);
        let mut sample = Sample {
            writer_ns: flat.writer.as_secs_f64() * 1e9 / self.flat_count as f64,
            share: 0.0,
            overruns: 0,
            torn: 0,
            silent: 0,
            latency: histogram(),
        };
        for r in &flat.readers {
            sample.share += r.delivered as f64 / self.flat_count as f64 / self.readers as f64;
        }
        for r in flat.readers.iter().chain(&paced.readers) {
            sample.overruns += r.overruns;
            sample.torn += r.torn;
            sample.silent += r.silent_gaps;
        }
        for r in &paced.readers {
            assert_eq!(r.latency.len(), r.delivered, "every delivered message timed");
            sample.latency.add(&r.latency).expect("same bounds");
        }
        sample
    }
}

fn main() {
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let (rounds, flat_count, paced_count) = mode.pick((2, 5_000, 1_000), (10, 500_000, 10_000));
    println!(
        "fanout: {mode:?} mode, cores {} (writer, readers...), {rounds} rounds, {SIZE} B, \
         {flat_count} messages flat out, {paced_count} paced at {PACE:?}, ring {CAPACITY} B",
        cores.describe()
    );
    println!("load average at start: {}", load_average());
    let mut columns = vec!["readers", "impl", "writer ns/msg", "delivered", "overruns"];
    columns.extend(percentile_columns());
    columns.extend(["torn", "silent"]);
    let mut results = Table::new(
        "fanout",
        "Fan-out: writer cost (median over rounds), reader one-way latency in ns (all rounds)",
        &columns,
    );
    let mut ratios = Table::spreads(
        "fanout_ratio",
        "Fan-out: paired ratio ours / theirs per round (below 1: ours cheaper or faster)",
        &["readers", "metric", "ours_vs"],
    );
    let impls = contenders(Storage::Heap);
    for readers in READERS {
        let (mut writer_ns, mut p50, mut p99) = Default::default();
        let mut totals: Vec<(Impl, Sample)> = Vec::new();
        for round in 0..rounds {
            for imp in round_order(&impls, round) {
                let run = FanOut { readers, flat_count, paced_count, cores: &cores };
                let sample = visit(imp, Storage::Heap, CAPACITY, run);
                fold(&mut totals, imp, sample, [&mut writer_ns, &mut p50, &mut p99]);
            }
        }
        for (imp, total) in &totals {
            let mut row = vec![readers.to_string(), imp.label().into()];
            row.push(ns(writer_ns.median(imp.label()).expect("rounds ran")));
            row.push(format!("{:.1}%", total.share / rounds as f64 * 100.0));
            row.push(total.overruns.to_string());
            row.extend(percentiles(&total.latency).iter().map(ToString::to_string));
            row.extend([total.torn.to_string(), total.silent.to_string()]);
            results.row(row);
            if *imp == Impl::Ours {
                assert_eq!(
                    (total.torn, total.silent),
                    (0, 0),
                    "ours never tears or loses silently"
                );
                continue;
            }
            for (metric, paired) in [("writer ns/msg", &writer_ns), ("p50", &p50), ("p99", &p99)] {
                let spread = paired.ratio(Impl::Ours.label(), imp.label()).expect("rounds ran");
                let mut row = vec![readers.to_string(), metric.into(), imp.label().into()];
                row.extend(spread.cells());
                ratios.row(row);
            }
        }
        println!("  {readers} readers: done");
    }
    println!("load average at end: {}", load_average());
    results.emit();
    ratios.emit();
}

/// Adds a round's sample to the crate's totals and its per-round figures to `paired`
/// (writer ns/msg, latency p50, latency p99).
fn fold(totals: &mut Vec<(Impl, Sample)>, imp: Impl, sample: Sample, paired: [&mut Paired; 3]) {
    let [writer_ns, p50, p99] = paired;
    writer_ns.push(imp.label(), sample.writer_ns);
    p50.push(imp.label(), sample.latency.value_at_quantile(0.5) as f64);
    p99.push(imp.label(), sample.latency.value_at_quantile(0.99) as f64);
    match totals.iter_mut().find(|(i, _)| *i == imp) {
        Some((_, total)) => {
            total.share += sample.share;
            total.overruns += sample.overruns;
            total.torn += sample.torn;
            total.silent += sample.silent;
            total.latency.add(&sample.latency).expect("same bounds");
        }
        None => totals.push((imp, sample)),
    }
}

//! The first lap of a new heap ring: what making the ring costs, and what its writer's first
//! lap of sends costs against its second, for a ring whose pages are faulted in when it is made
//! (`RingBuffer::with_capacity`) and one whose pages are faulted in on first touch
//! (`RingBuffer::with_capacity_lazy`). Every send of both laps is timed on its own, so that the
//! page faults of a lazy first lap show in its tail.
//!
//! ```text
//! cargo bench -p bench-compare --bench first_lap   # measure (a few seconds)
//! cargo test  -p bench-compare --bench first_lap   # sanity run
//! ```
//!
//! Output: `target/bench-out/first_lap.csv`.

use std::time::Instant;

use bcast::RingBuffer;
use bench_compare::affinity::{Cores, pin_current};
use bench_compare::stats::{self, Spread};
use bench_compare::table::{Table, ns};
use bench_compare::{Mode, load_average};
use hdrhistogram::Histogram;

/// Payload bytes of each send: a 4 KiB page holds about four frames.
const SIZE: usize = 1024;

/// How the ring's pages are faulted in.
#[derive(Debug, Clone, Copy)]
enum Pages {
    /// `RingBuffer::with_capacity`.
    Prefault,
    /// `RingBuffer::with_capacity_lazy`.
    Lazy,
}

impl Pages {
    fn label(self) -> &'static str {
        match self {
            Self::Prefault => "prefaulted",
            Self::Lazy => "lazy",
        }
    }

    fn make(self, capacity: usize) -> RingBuffer {
        match self {
            Self::Prefault => RingBuffer::with_capacity(capacity),
            Self::Lazy => RingBuffer::with_capacity_lazy(capacity),
        }
    }
}

/// One round of one way: the time to make the ring, and each send of the first and second lap.
struct Round {
    make_ns: u64,
    first: Histogram<u64>,
    second: Histogram<u64>,
}

fn round(pages: Pages, capacity: usize) -> Round {
    let start = Instant::now();
    let ring = pages.make(capacity);
    let make_ns = stats::nanos(start.elapsed());
    let mut writer = ring.into_writer();
    let payload = vec![0x5a_u8; SIZE];
    // Frames of 1 KiB and a 32-byte header: a lap is a little fewer sends than capacity / SIZE.
    let per_lap = capacity / (SIZE + 32);
    let mut laps = [stats::histogram(), stats::histogram()];
    for lap in &mut laps {
        for _ in 0..per_lap {
            let start = Instant::now();
            writer.send(&payload).expect("a 1 KiB payload fits the MTU");
            stats::record(lap, stats::nanos(start.elapsed()));
        }
    }
    let [first, second] = laps;
    Round { make_ns, first, second }
}

fn main() {
    let mode = Mode::from_args();
    let capacity = mode.pick(1 << 20, 64 << 20);
    let rounds = mode.pick(2, 10);
    let cores = Cores::from_env();
    pin_current(cores.writer());
    println!(
        "first_lap: {mode:?} mode, core {}, {rounds} rounds, ring {} MiB, {SIZE} B sends",
        cores.writer(),
        capacity >> 20
    );
    println!("load average at start: {}", load_average());

    let ways = [Pages::Prefault, Pages::Lazy];
    let mut results: Vec<Vec<Round>> = ways.iter().map(|_| Vec::new()).collect();
    for r in 0..rounds {
        // Alternate the order, so that neither way always runs on a freshly idle machine.
        let order: Vec<usize> = if r % 2 == 0 { vec![0, 1] } else { vec![1, 0] };
        for i in order {
            results[i].push(round(ways[i], capacity));
        }
    }

    let mut table = Table::new(
        "first_lap",
        "First lap of a new heap ring: make, then each send (ns), medians of rounds",
        &["way", "make", "lap 1 mean", "lap 1 p99", "lap 1 max", "lap 2 mean", "lap 2 p99"],
    );
    let median = |values: Vec<f64>| Spread::of(&values).map_or(0.0, |s| s.median);
    for (way, rounds) in ways.iter().zip(&results) {
        let of = |f: &dyn Fn(&Round) -> f64| median(rounds.iter().map(f).collect());
        table.row(vec![
            way.label().to_owned(),
            ns(of(&|r| r.make_ns as f64)),
            ns(of(&|r| r.first.mean())),
            ns(of(&|r| r.first.value_at_quantile(0.99) as f64)),
            ns(of(&|r| r.first.max() as f64)),
            ns(of(&|r| r.second.mean())),
            ns(of(&|r| r.second.value_at_quantile(0.99) as f64)),
        ]);
    }
    table.emit();
}

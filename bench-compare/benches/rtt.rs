//! Round-trip latency between two threads pinned to different cores: ping-pong over two rings,
//! 32 B, 256 B, 4 KiB and 64 KiB payloads, heap and `/dev/shm` storage, ours against bcast
//! 1.0.0-rc.7 (and 0.0.6 on the heap up to 256 B), iceoryx2 (process-local service on the heap,
//! `ipc` on `/dev/shm`) and tokio's `broadcast` (heap, up to 256 B), with the one-line and
//! two-line cache-line ping-pongs (`bench_compare::floor`) in the same rounds, interleaved round
//! by round.
//!
//! ```text
//! cargo bench -p bench-compare --bench rtt          # measure (under a minute)
//! cargo test  -p bench-compare --bench rtt          # sanity run: every sample verified
//! BENCH_CORES=2,3 cargo bench -p bench-compare --bench rtt
//! ```
//!
//! Each round runs every crate once (ours first on even rounds, last on odd ones); a crate's
//! run makes two fresh rings, spawns a pinger and an echo thread, runs `WARMUP` round trips and
//! records `SAMPLES` more; the floor runs the same way between the same two cores. Output:
//! percentiles over all rounds, paired ratios ours / theirs of the per-round p50, p99 and p99.9,
//! every contender's per-round p50 and mean as a multiple of the one-line floor's, and
//! percentile curves in `target/bench-out/rtt_*.csv`.

use bench_compare::affinity::Cores;
use bench_compare::floor::{self, Lines};
use bench_compare::pingpong::{Spec, run_threads};
use bench_compare::report::{LatencyRounds, LatencyTables};
use bench_compare::transport::{Factory, Impl, Storage, Visitor, iceoryx, visit_with_peers};
use bench_compare::{Mode, load_average, round_order, with_peers};
use hdrhistogram::Histogram;

/// Ring capacity in bytes, as in bcast 1.0's own `rtt` bench, for messages up to 16 KiB.
const CAPACITY: usize = 64 * 1024;
/// Payload sizes.
const SIZES: [usize; 4] = [32, 256, 4096, 65536];

/// The ring capacity for `size`-byte messages: [`CAPACITY`], or eight messages where that is more
/// (512 KiB for 64 KiB messages: ours lets a message take at most a quarter of its ring).
fn capacity(size: usize) -> usize {
    CAPACITY.max(8 * size)
}

/// One crate's ping-pong over two fresh rings.
struct RoundTrip<'a> {
    spec: Spec,
    cores: &'a Cores,
}

impl Visitor for RoundTrip<'_> {
    type Out = Histogram<u64>;

    fn visit<F: Factory>(self, mut factory: F) -> Histogram<u64> {
        let (ping, pong) = (factory.make(), factory.make());
        run_threads(&ping, &pong, self.spec, self.cores)
    }
}

fn main() {
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let (rounds, warmup, samples) = mode.pick((2, 200, 2_000), (30, 5_000, 50_000));
    let _iceoryx_files = iceoryx::Cleanup::new();
    println!(
        "rtt: {mode:?} mode, cores {} (pinger, echo), {rounds} rounds x {samples} round trips \
         after {warmup} warm-up, ring {CAPACITY} B (8 messages for larger ones)",
        cores.describe()
    );
    println!("load average at start: {}", load_average());
    let mut tables = LatencyTables::new("rtt", "Round trip, two threads");
    for storage in [Storage::Heap, Storage::Shm] {
        for size in SIZES {
            let spec = Spec { size, warmup, samples };
            let mut impls = with_peers(storage, size);
            impls.extend([Impl::FloorOneLine, Impl::FloorTwoLines]);
            let mut results = LatencyRounds::new(storage.label(), size);
            for round in 0..rounds {
                for imp in round_order(&impls, round) {
                    let hist = match Lines::of(imp) {
                        Some(lines) => floor::run(lines, spec, &cores),
                        None => {
                            let run = RoundTrip { spec, cores: &cores };
                            visit_with_peers(imp, storage, capacity(size), size, run)
                        }
                    };
                    results.add(imp, &hist);
                }
            }
            for imp in &impls {
                let total = results.total(*imp).expect("every crate ran");
                assert_eq!(total.len(), samples * rounds as u64, "every sample verified");
            }
            results.write(&mut tables);
            println!("  {} {size} B: done", storage.label());
        }
    }
    println!("load average at end: {}", load_average());
    tables.emit();
}

//! Shared machinery of the comparison benches: `bcast` (this workspace) against the crates.io
//! crate of the same name, version 1.0.0-rc.7 (`bcast_peer`) and, where its API allows, 0.0.6
//! (`bcast006`); against iceoryx2's publish-subscribe service and tokio's `broadcast` (the
//! *peers*); and against the hardware floor of a round trip ([`floor`]).
//!
//! The benches live in `benches/` and are described in `BENCHMARKS.md` at the repository root.
//! This library gives them:
//!
//! - [`transport`]: one [`Sender`](transport::Sender) / [`Receiver`](transport::Receiver)
//!   interface over the crates, on heap memory and on `/dev/shm` files, so that a bench
//!   body is written once and monomorphised per crate;
//! - [`affinity`]: thread pinning from `BENCH_CORES`;
//! - [`floor`]: one-line and two-line cache-line ping-pongs, the floor of every round trip;
//! - [`payload`]: sequence-number stamps that let every received sample be verified;
//! - [`stats`]: hdrhistogram percentiles and paired ratios (ours / theirs per round);
//! - [`table`]: aligned tables on stdout and CSV files under `target/bench-out/`;
//! - [`Mode`]: the quick sanity run (`cargo test --benches`) versus the full measurement
//!   (`cargo bench`).
//!
//! Comparisons are *interleaved*: round `r` runs every crate once, ours first on even rounds and
//! last on odd ones, and ratios are taken within a round. Absolute figures on a shared machine
//! drift by 2x between minutes; ratios of neighbouring runs drift far less.

pub mod affinity;
pub mod floor;
pub mod flow;
pub mod payload;
pub mod pingpong;
pub mod poll;
pub mod report;
pub mod stats;
pub mod table;
pub mod transport;

/// How long a bench runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A few thousand iterations that check every setup and every sample; what
    /// `cargo test -p bench-compare --benches` runs (cargo does not pass `--bench` then).
    Quick,
    /// The measurement: `cargo bench -p bench-compare --bench NAME` (cargo passes `--bench`).
    Full,
}

impl Mode {
    /// [`Mode::Full`] when the process was started with a `--bench` argument.
    pub fn from_args() -> Self {
        if std::env::args().any(|arg| arg == "--bench") { Self::Full } else { Self::Quick }
    }

    /// `quick` in quick mode, `full` otherwise.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        match self {
            Self::Quick => quick,
            Self::Full => full,
        }
    }
}

/// The crates compared, in the order of an even round.
pub fn contenders(storage: transport::Storage) -> Vec<transport::Impl> {
    use transport::Impl;
    match storage {
        transport::Storage::Heap => vec![Impl::Ours, Impl::Peer, Impl::Bcast006],
        // bcast 0.0.6 has no file-backed storage.
        transport::Storage::Shm => vec![Impl::Ours, Impl::Peer],
    }
}

/// The crates compared at `size`-byte messages over `storage`, peers included: the bcast family
/// ([`contenders`]; bcast 0.0.6 only up to 256 B, as before), iceoryx2 (its process-local service
/// on the heap, its `ipc` service on `/dev/shm`), and tokio's `broadcast` on the heap up to 256 B.
pub fn with_peers(storage: transport::Storage, size: usize) -> Vec<transport::Impl> {
    use transport::Impl;
    let mut impls = contenders(storage);
    if size > 256 {
        impls.retain(|&imp| imp != Impl::Bcast006);
    }
    impls.push(Impl::Iceoryx2);
    if storage == transport::Storage::Heap && size <= 256 {
        impls.push(Impl::Tokio);
    }
    impls
}

/// The order in which round `round` runs `impls`: as given on even rounds, reversed on odd
/// ones, so that no crate always runs first (or always right after another).
pub fn round_order<T: Copy>(impls: &[T], round: usize) -> Vec<T> {
    let mut order = impls.to_vec();
    if round % 2 == 1 {
        order.reverse();
    }
    order
}

/// The system's load averages (1, 5, 15 minutes) from `/proc/loadavg`, for the record: on a
/// shared machine, a bench that ran beside other work says so.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

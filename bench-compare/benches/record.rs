//! The recorder: its sustained rate into segment files on tmpfs and on disk, and what it costs
//! the writer (the writer alone's throughput with and without a recorder attached).
//!
//! ```text
//! cargo bench -p bench-compare --bench record       # measure (about a minute)
//! cargo test  -p bench-compare --bench record       # sanity run
//! BENCH_CORES=2,3 BENCH_RECORD_DISK=/var/tmp cargo bench -p bench-compare --bench record
//! ```
//!
//! A writer pinned to the first core publishes frames of `S` bytes into a fresh 64 MiB heap
//! ring as fast as it can; with a recorder, a thread pinned to the second core records the
//! ring into a fresh directory (64 MiB segments, no `fsync`) until it has every frame (or the
//! gap records of those it missed), then writes what it gathered. The recorder's sustained
//! rate is measured on half a ring of frames (it is never lapped): frames (and bytes of
//! payload) per second from its start to the last frame written. The writer's rate, frames per
//! second of its loop, on 20 million frames, alone and with a recorder (which it laps: the
//! recorder then writes gap records), alternated (order reversed on odd rounds); ratios are
//! taken per round. Directories: `/dev/shm` (tmpfs) and
//! `BENCH_RECORD_DISK` (default `/var/tmp`, a disk on most machines), removed after each round.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bcast::RingBuffer;
use bcast::record::{Recorder, RecorderOptions};
use bench_compare::affinity::{Cores, pin_current};
use bench_compare::stats::{Paired, Spread};
use bench_compare::table::Table;
use bench_compare::{Mode, load_average};

/// Ring capacity of every run.
const CAPACITY: usize = 64 << 20;

/// One run's result: the writer's rate, and the recorder's (frames/s, frames lost), if any.
struct Run {
    writer: f64,
    recorder: Option<(f64, u64)>,
}

/// Publishes `frames` frames of `size` bytes, recorded into `dir` if given.
fn run(frames: u64, size: usize, dir: Option<&Path>, cores: &Cores) -> Run {
    let ring = RingBuffer::with_capacity(CAPACITY);
    let recorder = dir.map(|dir| {
        let _ = std::fs::remove_dir_all(dir);
        let options = RecorderOptions::default();
        Recorder::new(&ring, dir, options).expect("a recorder")
    });
    let writer_core = cores.writer();
    let recorder_core = cores.reader(0);
    std::thread::scope(|scope| {
        let recording = recorder.map(|mut recorder| {
            scope.spawn(move || {
                pin_current(recorder_core);
                let start = Instant::now();
                loop {
                    recorder.record_pending().expect("record");
                    let stats = recorder.stats();
                    if stats.frames + stats.lost >= frames {
                        break;
                    }
                    std::hint::spin_loop();
                }
                recorder.flush().expect("flush");
                let stats = recorder.stats();
                (stats.frames as f64 / start.elapsed().as_secs_f64(), stats.lost)
            })
        });
        let writer = scope.spawn(|| {
            pin_current(writer_core);
            let mut writer = ring.clone().into_writer();
            let mut payload = vec![0u8; size];
            let start = Instant::now();
            for seq in 0..frames {
                payload[..8].copy_from_slice(&seq.to_le_bytes());
                writer.send(&payload).expect("send");
            }
            frames as f64 / start.elapsed().as_secs_f64()
        });
        let writer = writer.join().expect("writer thread");
        let recorder = recording.map(|thread| thread.join().expect("recorder thread"));
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        Run { writer, recorder }
    })
}

fn main() {
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let rounds = mode.pick(2, 10);
    // Half the ring's worth of frames: the recorder, slower than the writer, is never lapped,
    // so its rate is that of recording every frame.
    let frames_of = |size: usize| mode.pick(20_000, (CAPACITY / 2 / (size + 32)) as u64);
    // The writer's runs: some 0.2 s each.
    let writer_frames = mode.pick(50_000, 20_000_000);
    let disk = std::env::var_os("BENCH_RECORD_DISK")
        .map_or_else(|| PathBuf::from("/var/tmp"), PathBuf::from);
    let pid = std::process::id();
    let places = [
        ("tmpfs", PathBuf::from(format!("/dev/shm/bcast-bench-record-{pid}"))),
        ("disk", disk.join(format!("bcast-bench-record-{pid}"))),
    ];
    println!(
        "record: {mode:?} mode, cores {}, {rounds} rounds, half a {CAPACITY} B ring of frames per \
         run; disk directory {}",
        cores.describe(),
        places[1].1.display()
    );
    println!("load average at start: {}", load_average());
    let mut rates = Paired::default();
    let mut losses = Vec::new();
    for size in [32usize, 256] {
        for (place, dir) in &places {
            let label = |what: &str| -> &'static str {
                Box::leak(format!("{what} {size} B {place}").into_boxed_str())
            };
            for round in 0..rounds {
                // The recorder's sustained rate: half a ring of frames, none lost.
                let sustained = run(frames_of(size), size, Some(dir.as_path()), &cores);
                if let Some((rate, lost)) = sustained.recorder {
                    rates.push(label("recorder"), rate);
                    losses.push((size, *place, lost));
                }
                // The writer, with and without a recorder (which it laps), for long enough.
                let mut order = [false, true];
                if round % 2 == 1 {
                    order.reverse();
                }
                for recorded in order {
                    let dir = recorded.then_some(dir.as_path());
                    let result = run(writer_frames, size, dir, &cores);
                    let what = if recorded { "writer, recorded" } else { "writer alone" };
                    rates.push(label(what), result.writer);
                }
            }
        }
    }
    println!("load average at end: {}", load_average());

    let mut table = Table::new(
        "record_rates",
        "Recorder: rates (M frames/s and MB/s of payload, median of rounds)",
        &["payload", "to", "writer alone", "writer, recorded", "recorder", "recorder MB/s", "lost"],
    );
    let mut ratios = Table::spreads(
        "record_ratios",
        "Recorder: writer recorded / writer alone, per round",
        &["ratio"],
    );
    for size in [32usize, 256] {
        for (place, _) in &places {
            let key = |what: &str| format!("{what} {size} B {place}");
            let median = |what: &str| {
                Spread::of(rates.values(&key(what))).map_or(0.0, |spread| spread.median)
            };
            let recorder = median("recorder");
            let lost: u64 =
                losses.iter().filter(|(s, p, _)| *s == size && p == place).map(|l| l.2).sum();
            table.row(vec![
                format!("{size} B"),
                (*place).to_owned(),
                format!("{:.2}", median("writer alone") / 1e6),
                format!("{:.2}", median("writer, recorded") / 1e6),
                format!("{:.2}", recorder / 1e6),
                format!("{:.0}", recorder * size as f64 / 1e6),
                lost.to_string(),
            ]);
            if let Some(spread) = rates.ratio(&key("writer, recorded"), &key("writer alone")) {
                let mut cells = vec![format!("{size} B {place}")];
                cells.extend(spread.cells());
                ratios.row(cells);
            }
        }
    }
    table.emit();
    ratios.emit();
}

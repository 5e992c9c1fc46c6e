//! Single-thread cost of the ring's operations, per frame: the writer alone, and a reader
//! catching up on a full ring (no contention; cross-core figures are `benches/latency.rs`'s job).
//!
//! ```text
//! cargo bench --bench ring_ops              # measure (about 10 s)
//! cargo test --bench ring_ops               # sanity run only (what CI does)
//! ```
//! Pin with `taskset -c 1 cargo bench --bench ring_ops` for steadier numbers.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bcast::RingBuffer;

const CAPACITY: usize = 1 << 20;

fn main() {
    let measure = std::env::args().any(|arg| arg == "--bench");
    let rounds = if measure { 15 } else { 1 };
    let batch = if measure { 1 << 20 } else { 1 << 12 };
    println!(
        "{:<28} {:>8} {:>10} {:>10} {:>10}",
        "operation", "payload", "p50 ns", "min ns", "max ns"
    );
    for size in [32usize, 256, 1024] {
        report("writer.send", size, rounds, || writer_send(size, batch));
        report("writer.claim+commit", size, rounds, || writer_claim(size, batch));
        report("reader.try_recv (catch-up)", size, rounds, || reader_try_recv(size, batch));
        report("reader.batch_iter (skip)", size, rounds, || reader_batch_skip(size, batch));
    }
}

/// Runs `sample` `rounds` times; each returns (elapsed, frames). Prints per-frame percentiles.
fn report(name: &str, size: usize, rounds: usize, mut sample: impl FnMut() -> (Duration, u64)) {
    let mut per_frame: Vec<f64> = (0..rounds)
        .map(|_| {
            let (elapsed, frames) = sample();
            elapsed.as_nanos() as f64 / frames as f64
        })
        .collect();
    per_frame.sort_by(f64::total_cmp);
    let p50 = per_frame[per_frame.len() / 2];
    println!(
        "{name:<28} {size:>8} {p50:>10.2} {:>10.2} {:>10.2}",
        per_frame[0],
        per_frame[rounds - 1]
    );
}

fn writer_send(size: usize, n: u64) -> (Duration, u64) {
    let mut writer = RingBuffer::with_capacity(CAPACITY).into_writer();
    let payload = vec![7u8; size];
    let start = Instant::now();
    for _ in 0..n {
        writer.send(black_box(&payload)).expect("below the MTU");
    }
    (start.elapsed(), n)
}

fn writer_claim(size: usize, n: u64) -> (Duration, u64) {
    let mut writer = RingBuffer::with_capacity(CAPACITY).into_writer();
    let start = Instant::now();
    for i in 0..n {
        let mut claim = writer.claim(size).expect("below the MTU");
        claim.get_buffer_mut()[..8].copy_from_slice(&i.to_le_bytes());
        claim.commit();
    }
    (start.elapsed(), n)
}

/// A ring holding as many frames as fit without overrunning a reader at its start (the writer
/// reserves a sixteenth of the ring ahead of its frames), and that reader.
fn filled(size: usize) -> (bcast::Reader, u64) {
    let ring = RingBuffer::with_capacity(CAPACITY);
    let mut writer = ring.clone().into_writer();
    // A frame: the 32-byte header and the payload, rounded up to 16 bytes.
    let frame = (32 + size).next_multiple_of(16);
    let frames = ((CAPACITY - CAPACITY / 16) / frame) as u64;
    for i in 0..frames {
        let mut claim = writer.claim(size).expect("below the MTU");
        claim.get_buffer_mut()[..8].copy_from_slice(&i.to_le_bytes());
    }
    (ring.into_reader_at(0).expect("0 is a frame boundary"), frames)
}

fn reader_try_recv(size: usize, n: u64) -> (Duration, u64) {
    let mut buf = vec![0u8; size];
    let (mut total, mut count) = (Duration::ZERO, 0);
    while count < n {
        let (mut reader, frames) = filled(size);
        let start = Instant::now();
        while let Some(received) = reader.try_recv(&mut buf).expect("no overrun") {
            black_box(received);
        }
        total += start.elapsed();
        count += frames;
    }
    (total, count)
}

fn reader_batch_skip(size: usize, n: u64) -> (Duration, u64) {
    let (mut total, mut count) = (Duration::ZERO, 0);
    while count < n {
        let (mut reader, frames) = filled(size);
        let start = Instant::now();
        let mut seen = 0usize;
        for msg in reader.batch_iter() {
            black_box(msg.expect("no overrun").len());
            seen += 1;
        }
        total += start.elapsed();
        assert_eq!(seen as u64, frames, "every frame seen");
        count += frames;
    }
    (total, count)
}

//! How fast can a payload move between a private buffer and ring words? Single-threaded timings
//! of copy loops over a 1 MiB array of `AtomicU64` (frames laid one after another, as a writer
//! or a catch-up reader walks the ring), to show what limits our large-frame throughput.
//!
//! ```text
//! cargo run --release -p bench-compare --example copy_probe     # pin with taskset -c 1
//! ```
//!
//! Variants, for copy-in (writer) and copy-out (reader):
//!
//! - `masked`: what `ring::raw` does today: one relaxed `AtomicU64` access per word, every word
//!   index masked by the capacity;
//! - `contiguous`: the same atomic accesses over one slice of words, bounds checked once (a
//!   frame never crosses the end of the ring, so its words are contiguous);
//! - `sse16` (copy-in only): 16-byte SSE stores (`movdqu`) from inline assembly, standing in for
//!   16-byte atomic stores (aligned `movdqa` is documented as atomic on x86-64 CPUs with AVX;
//!   whether that can be used soundly from Rust is discussed in BENCHMARKS.md);
//! - `memcpy`: `copy_nonoverlapping`, the speed of light. It is *not* a candidate: racing with
//!   another thread it is undefined behaviour (`docs/protocol.md`, ground rule 1). It is only
//!   sound here because this probe has a single thread.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Words in the probe's ring: 1 MiB.
const WORDS: usize = (1 << 20) / 8;

type CopyIn = fn(&[AtomicU64], usize, &[u8]);
type CopyOut = fn(&[AtomicU64], usize, &mut [u8]);

#[inline(never)]
fn store_masked(ring: &[AtomicU64], at: usize, src: &[u8]) {
    let mask = ring.len() - 1;
    for (i, word) in src.as_chunks::<8>().0.iter().enumerate() {
        ring[(at + i) & mask].store(u64::from_ne_bytes(*word), Ordering::Relaxed);
    }
}

#[inline(never)]
fn store_contiguous(ring: &[AtomicU64], at: usize, src: &[u8]) {
    let words = src.as_chunks::<8>().0;
    for (dst, word) in ring[at..at + words.len()].iter().zip(words) {
        dst.store(u64::from_ne_bytes(*word), Ordering::Relaxed);
    }
}

#[inline(never)]
fn store_sse16(ring: &[AtomicU64], at: usize, src: &[u8]) {
    let dst = ring[at..at + src.len() / 8].as_ptr().cast::<u8>();
    for (i, chunk) in src.as_chunks::<16>().0.iter().enumerate() {
        // `wrapping_add` stays in bounds: `dst` spans `src.len()` bytes (checked by the slice).
        let to = dst.wrapping_add(i * 16);
        // SAFETY: `chunk` is 16 readable bytes and `to` 16 writable ones (above); the asm moves
        // them through a register and touches nothing else. No other thread accesses the probe's
        // ring, so the store races with nothing.
        unsafe {
            std::arch::asm!(
                "movdqu {t}, [{s}]",
                "movdqu [{d}], {t}",
                s = in(reg) chunk.as_ptr(),
                d = in(reg) to,
                t = out(xmm_reg) _,
                options(nostack, preserves_flags),
            );
        }
    }
}

#[allow(clippy::disallowed_methods)] // the single-threaded reference point; see the file docs
#[inline(never)]
fn store_memcpy(ring: &[AtomicU64], at: usize, src: &[u8]) {
    let dst = ring[at..at + src.len() / 8].as_ptr().cast::<u8>().cast_mut();
    // SAFETY: `dst` spans `src.len()` bytes (checked by the slice above) and no other thread
    // touches the probe's ring, so this plain write races with nothing.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) }
}

#[inline(never)]
fn load_masked(ring: &[AtomicU64], at: usize, dst: &mut [u8]) {
    let mask = ring.len() - 1;
    for (i, word) in dst.as_chunks_mut::<8>().0.iter_mut().enumerate() {
        *word = ring[(at + i) & mask].load(Ordering::Relaxed).to_ne_bytes();
    }
}

#[inline(never)]
fn load_contiguous(ring: &[AtomicU64], at: usize, dst: &mut [u8]) {
    let words = dst.as_chunks_mut::<8>().0;
    let len = words.len();
    for (word, src) in words.iter_mut().zip(&ring[at..at + len]) {
        *word = src.load(Ordering::Relaxed).to_ne_bytes();
    }
}

#[allow(clippy::disallowed_methods)] // the single-threaded reference point; see the file docs
#[inline(never)]
fn load_memcpy(ring: &[AtomicU64], at: usize, dst: &mut [u8]) {
    let src = ring[at..at + dst.len() / 8].as_ptr().cast::<u8>();
    // SAFETY: `src` spans `dst.len()` bytes (checked by the slice above) and no other thread
    // writes the probe's ring.
    unsafe { std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), dst.len()) }
}

/// Best of five passes of `n` frames, in ns per frame.
fn time(frame_words: usize, n: u64, mut copy: impl FnMut(usize)) -> f64 {
    (0..5)
        .map(|_| {
            let started = Instant::now();
            let mut at = 0;
            for _ in 0..n {
                if at + frame_words > WORDS {
                    at = 0;
                }
                copy(at);
                at += frame_words;
            }
            started.elapsed().as_secs_f64() * 1e9 / n as f64
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let ring: Vec<AtomicU64> = (0..WORDS as u64).map(AtomicU64::new).collect();
    let copy_in: [(&str, CopyIn); 4] = [
        ("masked", store_masked),
        ("contiguous", store_contiguous),
        ("sse16", store_sse16),
        ("memcpy", store_memcpy),
    ];
    let copy_out: [(&str, CopyOut); 3] =
        [("masked", load_masked), ("contiguous", load_contiguous), ("memcpy", load_memcpy)];
    println!("{:>6}  {:<8} {:<11} {:>9}", "size", "copy", "variant", "ns/frame");
    for size in [32usize, 256, 1024, 4096] {
        // A frame: a 16-byte header and the payload.
        let (frame_words, n) = (size / 8 + 2, (256u64 << 20) / size as u64);
        let mut buf = vec![7u8; size];
        for (name, copy) in copy_in {
            let ns = time(frame_words, n, |at| copy(black_box(&ring), at, black_box(&buf)));
            println!("{size:>6}  {:<8} {name:<11} {ns:>9.1}", "in");
        }
        for (name, copy) in copy_out {
            let ns = time(frame_words, n, |at| copy(black_box(&ring), at, black_box(&mut buf)));
            println!("{size:>6}  {:<8} {name:<11} {ns:>9.1}", "out");
        }
    }
}

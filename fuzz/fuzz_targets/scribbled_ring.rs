//! Fuzz target: a ring in caller memory with some messages, then arbitrary words written over
//! its header and frames; joining and reading everything must give typed errors or plausible
//! messages, never a panic, a hang or an out-of-bounds access.
//!
//! ```text
//! cargo install cargo-fuzz
//! cd fuzz && cargo +nightly fuzz run scribbled_ring -- -max_total_time=300
//! ```
#![no_main]

use core::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use bcast::RingBuffer;
use libfuzzer_sys::fuzz_target;

const HEADER_WORDS: usize = 64 * 1024 / 8;
const CAPACITY: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&messages, scribbles)) = data.split_first() else { return };
    let memory: Vec<AtomicU64> = (0..HEADER_WORDS + CAPACITY / 8).map(|_| AtomicU64::new(0)).collect();
    let base = NonNull::from(&memory[..]).cast::<u8>();
    let len = memory.len() * 8;
    // SAFETY: `memory` outlives every handle made here (they are dropped before it) and is only
    // accessed atomically.
    let ring = unsafe { RingBuffer::init_raw(base, len) }.expect("fits");
    let mut writer = ring.clone().into_writer();
    for seq in 0..u64::from(messages) {
        let size = (seq as usize * 7) % writer.mtu();
        writer.send(&vec![seq as u8; size]).expect("below the MTU");
    }
    drop((ring, writer));
    // Each 10-byte chunk: a word index (2 bytes) and a value (8 bytes).
    for chunk in scribbles.chunks_exact(10) {
        let index = usize::from(u16::from_le_bytes([chunk[0], chunk[1]])) % memory.len();
        let value = u64::from_le_bytes(chunk[2..].try_into().expect("8 bytes"));
        memory[index].store(value, Ordering::Relaxed);
    }
    // SAFETY: as above.
    let Ok(joined) = (unsafe { RingBuffer::join_raw(base, len) }) else { return };
    let mut buf = vec![0u8; joined.mtu()];
    for mut reader in [joined.clone().into_reader_at_oldest(), joined.clone().into_reader()] {
        for _ in 0..CAPACITY / 16 + 1 {
            match reader.try_recv(&mut buf) {
                Ok(Some(received)) => assert!(received.len <= joined.mtu()),
                Ok(None) | Err(_) => break,
            }
        }
    }
});

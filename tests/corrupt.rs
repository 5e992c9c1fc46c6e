//! Rings in caller memory that something other than the writer scribbled on: every outcome is a
//! typed error, never a panic, a hang or an access outside the region.

// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

use core::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

mod common;

use bcast::{Error, LayoutError, ReadOnly, RingBuffer};
use common::layout::{
    CLAIMED, COMMITTED, FRAMES, HEADER_STRUCT_WORDS, HEADER_WORDS, METADATA, METADATA_LEN,
    message_commit, padding_commit,
};

const CAPACITY: usize = 1024;

/// Caller memory for a 1 KiB ring, as atomic words (8-byte aligned, atomically accessible).
fn memory() -> Vec<AtomicU64> {
    (0..HEADER_WORDS + CAPACITY / 8).map(|_| AtomicU64::new(0)).collect()
}

fn base(memory: &[AtomicU64]) -> NonNull<u8> {
    NonNull::from(memory).cast()
}

/// Formats `memory` and publishes `messages` 32-byte messages (64-byte frames).
fn ring_with_messages(memory: &[AtomicU64], messages: u64) -> RingBuffer {
    // SAFETY: `memory` outlives the ring (every test drops the ring first) and is only accessed
    // atomically, by the ring and by the tests' word stores.
    let ring = unsafe { RingBuffer::init_raw(base(memory), size_of_val(memory)) }.expect("fits");
    let mut writer = ring.clone().into_writer();
    for seq in 0..messages {
        writer.send(&[seq as u8; 32]).expect("below the MTU");
    }
    ring
}

fn join(memory: &[AtomicU64]) -> Result<RingBuffer<ReadOnly>, LayoutError> {
    // SAFETY: as in `ring_with_messages`.
    unsafe { RingBuffer::join_raw(base(memory), size_of_val(memory)) }
}

/// The data word at byte offset `offset` of the data section.
fn data_word(memory: &[AtomicU64], offset: usize) -> &AtomicU64 {
    &memory[HEADER_WORDS + offset / 8]
}

fn first_error(ring: &RingBuffer) -> Error {
    let mut reader = ring.clone().into_reader_at(0).expect("0 is a frame boundary");
    let mut buf = [0u8; 256];
    loop {
        match reader.try_recv(&mut buf) {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the corruption went unnoticed"),
            Err(error) => return error,
        }
    }
}

#[test]
fn frame_length_over_the_mtu_is_a_corrupt_frame() {
    let memory = memory();
    let ring = ring_with_messages(&memory, 3);
    data_word(&memory, 64).store(message_commit(u32::MAX - 7), Ordering::Relaxed); // 2nd frame
    assert_eq!(first_error(&ring), Error::CorruptFrame { position: 64 });
}

#[test]
fn frame_past_the_claimed_frontier_is_a_corrupt_frame() {
    let memory = memory();
    let ring = ring_with_messages(&memory, 2); // frames end at 128, claimed a reserve later: 192
    assert_eq!(memory[CLAIMED].load(Ordering::Relaxed), 192);
    // Fits the MTU, but the 240-byte frame would end at 304, past anything the writer claimed.
    data_word(&memory, 64).store(message_commit(200), Ordering::Relaxed);
    assert_eq!(first_error(&ring), Error::CorruptFrame { position: 64 });
}

#[test]
fn a_batch_refuses_a_frame_past_the_committed_position() {
    let memory = memory();
    let ring = ring_with_messages(&memory, 2);
    // Ends at 192: inside the claimed frontier, past the committed one (128).
    data_word(&memory, 64).store(message_commit(96), Ordering::Relaxed);
    let mut reader = ring.clone().into_reader_at(64).expect("a frame boundary");
    let first = reader.batch_iter().next().expect("one item");
    assert_eq!(first.map(|m| m.len()), Err(Error::CorruptFrame { position: 64 }));
}

#[test]
fn unknown_kinds_and_flags_are_a_corrupt_frame() {
    for commit in [message_commit(32) | (0x7f << 40), (3 << 32) | 32, 32] {
        let memory = memory();
        let ring = ring_with_messages(&memory, 2);
        data_word(&memory, 0).store(commit, Ordering::Relaxed);
        assert_eq!(first_error(&ring), Error::CorruptFrame { position: 0 }, "{commit:#x}");
    }
}

#[test]
fn padding_that_crosses_the_lap_end_or_is_not_aligned_is_a_corrupt_frame() {
    for commit in [padding_commit(4096), padding_commit(8), padding_commit(0)] {
        let memory = memory();
        let ring = ring_with_messages(&memory, 17); // 17 * 64 bytes: the 17th starts the 2nd lap
        let mut reader = ring.clone().into_reader_at(1024).expect("a lap boundary");
        assert!(reader.try_recv(&mut [0u8; 64]).is_ok());
        // Turn the first frame of the lap into a padding frame that cannot be.
        data_word(&memory, 0).store(commit, Ordering::Relaxed);
        let mut reader = ring.clone().into_reader_at(1024).expect("a lap boundary");
        let error = reader.try_recv(&mut [0u8; 64]).expect_err("corrupt");
        assert_eq!(error, Error::CorruptFrame { position: 1024 }, "{commit:#x}");
    }
}

#[test]
fn garbage_claimed_frontier_reads_as_overrun_not_as_data() {
    let memory = memory();
    let ring = ring_with_messages(&memory, 2);
    memory[CLAIMED].store(u64::MAX, Ordering::Relaxed);
    assert!(matches!(first_error(&ring), Error::Overrun(_)));
}

#[test]
fn random_scribbles_never_panic_or_hang() {
    let memory = memory();
    let ring = ring_with_messages(&memory, 40);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let rounds = if cfg!(miri) { 20 } else { 5_000 };
    for _ in 0..rounds {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let offset = (state as usize % CAPACITY) & !7;
        data_word(&memory, offset).store(state.rotate_left(17), Ordering::Relaxed);
        let mut reader = ring.clone().into_reader_at_oldest();
        let mut buf = [0u8; 256];
        for _ in 0..CAPACITY / 16 {
            match reader.try_recv(&mut buf) {
                Ok(Some(received)) => assert!(received.len <= 224),
                Ok(None) | Err(_) => break,
            }
        }
    }
}

#[test]
fn join_refuses_what_is_not_a_ready_ring() {
    let memory = memory();
    assert!(matches!(join(&memory), Err(LayoutError::NotAChannel { found: 0, .. })));
    let ring = ring_with_messages(&memory, 1);
    drop(ring);
    assert!(join(&memory).is_ok());

    let version = memory[1].swap(99, Ordering::Relaxed);
    assert!(matches!(join(&memory).unwrap_err(), LayoutError::Version { found: 99, .. }));
    memory[1].store(version, Ordering::Relaxed);

    let state = memory[3].swap(0, Ordering::Relaxed);
    assert_eq!(join(&memory).unwrap_err(), LayoutError::NotReady);
    memory[3].store(state, Ordering::Relaxed);

    memory[2].store(1000, Ordering::Relaxed); // capacity
    assert!(matches!(join(&memory), Err(LayoutError::BadCapacity { capacity: 1000, .. })));
    memory[2].store(2048, Ordering::Relaxed);
    assert!(matches!(join(&memory), Err(LayoutError::SizeMismatch { .. })));
    memory[2].store(CAPACITY as u64, Ordering::Relaxed);

    memory[COMMITTED].store(8, Ordering::Relaxed); // misaligned
    assert!(matches!(join(&memory), Err(LayoutError::CorruptFrontiers { .. })));
}

#[test]
fn caller_memory_that_is_short_or_misaligned_is_refused() {
    let memory = memory();
    // SAFETY: the region is inside `memory`, which outlives the call; it is refused before use.
    let short = unsafe { RingBuffer::init_raw(base(&memory), HEADER_WORDS * 8 + 100) };
    assert!(matches!(short, Err(LayoutError::TooShort { .. })));
    // SAFETY: one byte into `memory`, still inside it.
    let skewed_base = unsafe { base(&memory).add(1) };
    // SAFETY: as above; the region is misaligned and refused before use.
    let skewed = unsafe { RingBuffer::init_raw(skewed_base, HEADER_WORDS * 8 + 512) };
    assert_eq!(skewed.unwrap_err(), LayoutError::Misaligned);
}

/// Reads every message from position 0: (first payload byte, sequence number) of each.
fn firsts(ring: RingBuffer) -> Result<Vec<(u8, u64)>, Error> {
    let mut reader = ring.into_reader_at(0)?;
    let mut buf = [0u8; 64];
    let mut firsts = Vec::new();
    while let Some(received) = reader.try_recv(&mut buf)? {
        firsts.push((buf[0], received.seq));
    }
    Ok(firsts)
}

#[test]
fn a_frame_a_dead_writer_left_half_written_is_never_delivered() -> Result<(), Error> {
    let memory = memory();
    let ring = ring_with_messages(&memory, 2); // committed 128, claimed 192
    // A writer that died while copying the third frame: payload stored, commit word not. Past
    // it, a commit word that looks published (as an earlier lap may leave one).
    data_word(&memory, 128 + 32).store(0xDEAD, Ordering::Relaxed);
    data_word(&memory, 160).store(message_commit(8), Ordering::Relaxed);
    let mut writer = ring.clone().into_writer();
    assert_eq!(writer.position(), 128, "nothing was published past `committed`");
    writer.send(&[7; 32])?;
    assert_eq!(firsts(ring)?, [(0, 0), (1, 1), (7, 2)], "the half-written frame never shows");
    Ok(())
}

#[test]
fn a_frame_a_dead_writer_published_before_storing_committed_is_kept() -> Result<(), Error> {
    let memory = memory();
    let ring = ring_with_messages(&memory, 2); // committed 128, claimed 192
    // A writer that died after publishing the third frame's commit word, before it stored
    // `committed` and `frames`: the frame is out, readers may have seen it.
    data_word(&memory, 128 + 32).store(u64::from_ne_bytes([9; 8]), Ordering::Relaxed);
    data_word(&memory, 128 + 8).store(2, Ordering::Relaxed); // sequence number
    data_word(&memory, 128).store(message_commit(8), Ordering::Relaxed);
    assert_eq!(memory[FRAMES].load(Ordering::Relaxed), 2);
    let mut writer = ring.clone().into_writer();
    assert_eq!(writer.position(), 128 + 48, "after the published frame");
    assert_eq!(writer.messages_published(), 3, "numbered after the published frame");
    writer.send(&[7; 32])?;
    assert_eq!(firsts(ring)?, [(0, 0), (1, 1), (9, 2), (7, 3)]);
    Ok(())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 512 },
        // Failures print their minimal input; no regression files (Miri cannot write them).
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Arbitrary words written anywhere over the header words, the start of the metadata area
    /// and the frames: joining and reading everything gives typed errors or plausible
    /// messages, never a panic, a hang or an access outside the region (indices are masked;
    /// Miri checks the accesses).
    #[test]
    fn arbitrary_scribbles_give_typed_errors_or_valid_messages(
        messages in 0u64..60,
        scribbles in proptest::collection::vec((0usize..SCRIBBLED_WORDS, proptest::num::u64::ANY), 1..24),
    ) {
        let memory = memory();
        let ring = ring_with_messages(&memory, messages);
        for (word, value) in scribbles {
            memory[scribbled_word(word)].store(value, Ordering::Relaxed);
        }
        if let Ok(joined) = join(&memory) {
            let mut buf = vec![0u8; joined.mtu()];
            for mut reader in [joined.clone().into_reader_at_oldest(), joined.clone().into_reader()] {
                for _ in 0..CAPACITY / 16 + 1 {
                    match reader.try_recv(&mut buf) {
                        Ok(Some(received)) => proptest::prop_assert!(received.len <= joined.mtu()),
                        Ok(None) | Err(_) => break,
                    }
                }
                for msg in reader.batch_iter().take(CAPACITY / 16 + 1).flatten() {
                    let _ = msg.read(&mut buf);
                }
            }
        }
        drop(ring);
    }
}

/// How many words the scribble test writes over: the header struct, the first words of the
/// metadata area, and the data section.
const SCRIBBLED_WORDS: usize = HEADER_STRUCT_WORDS + METADATA_SCRIBBLED + CAPACITY / 8;
const METADATA_SCRIBBLED: usize = 8;

/// The `n`th of the words the scribble test writes over.
fn scribbled_word(n: usize) -> usize {
    match n {
        n if n < HEADER_STRUCT_WORDS => n,
        n if n < HEADER_STRUCT_WORDS + METADATA_SCRIBBLED => METADATA + n - HEADER_STRUCT_WORDS,
        n => HEADER_WORDS + n - HEADER_STRUCT_WORDS - METADATA_SCRIBBLED,
    }
}

#[test]
fn metadata_sections_that_are_malformed_or_unknown_and_required_are_refused() {
    let memory = memory();
    let _ring = ring_with_messages(&memory, 1);
    assert!(join(&memory).is_ok());
    // A published length past the area, then one that is not a multiple of 8.
    for len in [65536 - 8192 + 8, 12] {
        memory[METADATA_LEN].store(len, Ordering::Relaxed);
        let error = join(&memory).unwrap_err();
        assert_eq!(error, LayoutError::CorruptMetadata { offset: len }, "{error}");
    }
    // A section whose body runs past the published length.
    memory[METADATA].store(1, Ordering::Relaxed); // kind 1, version 0, no flags
    memory[METADATA + 1].store(u64::MAX, Ordering::Relaxed);
    memory[METADATA_LEN].store(32, Ordering::Relaxed);
    assert_eq!(join(&memory).unwrap_err(), LayoutError::CorruptMetadata { offset: 0 });
    // A required section of a kind this build does not know: a newer writer's.
    memory[METADATA].store(900 | 1 << 32, Ordering::Relaxed);
    memory[METADATA + 1].store(8, Ordering::Relaxed);
    memory[METADATA_LEN].store(24, Ordering::Relaxed);
    assert_eq!(join(&memory).unwrap_err(), LayoutError::UnknownSection { kind: 900 });
    // The same kind, not required: skipped.
    memory[METADATA].store(900, Ordering::Relaxed);
    assert!(join(&memory).is_ok());
}

#[test]
fn a_newer_minor_layout_version_is_read_and_another_major_is_refused() {
    let memory = memory();
    let _ring = ring_with_messages(&memory, 1);
    memory[1].store(4 | 7 << 32, Ordering::Relaxed); // major 4, minor 7
    let mut reader = join(&memory).expect("any minor of our major").into_reader_at(0).unwrap();
    assert!(reader.try_recv(&mut [0; 64]).expect("a message").is_some());
    memory[1].store(5, Ordering::Relaxed);
    assert_eq!(join(&memory).unwrap_err(), LayoutError::Version { found: 5, expected: 4 });
}

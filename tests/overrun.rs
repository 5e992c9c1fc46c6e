//! Lapped readers: overrun detection, reset, late join, and a writer thread racing reader
//! threads (the test `ci/miri.sh` runs under Miri with many seeds).

// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

mod common;

use bcast::{Error, RingBuffer};
use common::{check_payload, len_for, payload, send_frames, writer_and_reader};

#[test]
fn reader_lapped_by_the_writer_reports_overrun_until_reset() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(1024);
    send_frames(&mut writer, 0..40)?; // 64-byte frames: 40 of them lap a 1 KiB ring
    let mut buf = [0u8; 64];
    let Err(Error::Overrun(lapped)) = reader.try_recv(&mut buf) else {
        panic!("a lapped reader must report an overrun");
    };
    assert_eq!(lapped.position, 0);
    assert!(lapped.claimed > 1024);
    assert!(matches!(reader.batch_iter().next(), Some(Err(Error::Overrun(_)))));
    assert!(matches!(reader.try_recv(&mut buf), Err(Error::Overrun(_))), "it stays overrun");

    let position = reader.reset();
    assert_eq!(position, writer.position());
    assert_eq!(reader.try_recv(&mut buf)?, None);
    writer.send(&payload(40, 48))?;
    let received = reader.try_recv(&mut buf)?.expect("sent after the reset");
    assert_eq!(check_payload(&buf[..received.len]), 40);
    Ok(())
}

#[test]
fn kept_message_overwritten_later_reads_as_overrun() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(1024);
    writer.send(b"soon overwritten")?;
    let kept: Vec<_> = reader.batch_iter().collect::<Result<_, _>>()?;
    let mut buf = [0u8; 64];
    assert_eq!(kept[0].read(&mut buf)?, 16, "still intact");
    // The reader is borrowed by `kept`, but the writer is independent: lap the message.
    send_frames(&mut writer, 0..20)?;
    assert!(matches!(kept[0].read(&mut buf), Err(Error::Overrun(_))));
    Ok(())
}

#[test]
fn late_joiners_start_at_the_committed_position_at_zero_or_at_the_oldest_data() -> Result<(), Error>
{
    let ring = RingBuffer::with_capacity(1024);
    let mut writer = ring.clone().into_writer();
    send_frames(&mut writer, 0..10)?;
    let mut buf = [0u8; 64];

    let mut live = ring.clone().into_reader();
    assert_eq!(live.try_recv(&mut buf)?, None);

    let mut from_start = ring.clone().into_reader_at(0)?;
    assert_eq!(from_start.batch_iter().count(), 10);

    let oldest = ring.clone().into_reader_at_oldest();
    assert_eq!(oldest.position(), 0, "nothing was overwritten yet");

    send_frames(&mut writer, 10..40)?;
    let mut oldest = ring.clone().into_reader_at_oldest();
    let mut seqs = Vec::new();
    while let Some(received) = oldest.try_recv(&mut buf)? {
        seqs.push(check_payload(&buf[..received.len]));
    }
    // 40 frames of 64 bytes: the last 16 fill the ring; all but a quarter lap's and the
    // writer's reserve (a sixteenth) are replayed, from a checkpoint (every eighth).
    assert_eq!(
        seqs,
        (30..40).collect::<Vec<_>>(),
        "starts at the oldest intact frame, less a margin"
    );

    let mut from_zero = ring.clone().into_reader_at(0)?;
    assert!(matches!(from_zero.try_recv(&mut buf), Err(Error::Overrun(_))));
    assert_eq!(from_zero.reset_to_oldest(), oldest_start(&ring));
    assert!(from_zero.try_recv(&mut buf)?.is_some());
    Ok(())
}

fn oldest_start(ring: &RingBuffer) -> u64 {
    ring.clone().into_reader_at_oldest().position()
}

#[test]
fn start_positions_that_cannot_be_frame_boundaries_are_refused() -> Result<(), Error> {
    let ring = RingBuffer::with_capacity(1024);
    let mut writer = ring.clone().into_writer();
    writer.send(b"x")?;
    let committed = writer.position();
    let err = ring.clone().into_reader_at(8).unwrap_err();
    assert_eq!(err, Error::InvalidPosition { position: 8, committed });
    let err = ring.clone().into_reader_at(committed + 16).unwrap_err();
    assert_eq!(err, Error::InvalidPosition { position: committed + 16, committed });
    assert!(ring.into_reader_at(committed).is_ok());
    Ok(())
}

/// A writer thread laps reader threads on a tiny ring: one copying with `try_recv`, one reading
/// lazily, one joining late at the oldest data. Every message a reader returns must be intact and
/// newer than the previous one; every overrun is followed by a reset. Under Miri this is the
/// data-race and torn-read check for the whole protocol.
#[test]
fn racing_writer_never_hands_readers_a_torn_message() {
    const MESSAGES: u64 = if cfg!(miri) { 300 } else { 200_000 };
    let ring = RingBuffer::with_capacity(256);
    let mtu = ring.mtu();
    let readers: Vec<_> = (0..3).map(|_| ring.clone()).collect();
    let mut writer = ring.into_writer();
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = std::sync::Arc::new(std::sync::Barrier::new(4));

    let handles: Vec<_> = readers
        .into_iter()
        .enumerate()
        .map(|(id, ring)| {
            let finished = std::sync::Arc::clone(&finished);
            let started = std::sync::Arc::clone(&started);
            std::thread::spawn(move || {
                let mut reader = ring.clone().into_reader();
                started.wait();
                if id == 2 {
                    // Join late, while the writer is running.
                    for _ in 0..8 {
                        std::thread::yield_now();
                    }
                    reader = ring.into_reader_at_oldest();
                }
                let mut buf = vec![0u8; mtu];
                let (mut delivered, mut overruns, mut last) = (0u64, 0u64, None::<u64>);
                loop {
                    let item = if id == 0 {
                        reader.try_recv(&mut buf).map(|m| m.map(|m| m.len))
                    } else {
                        lazy_read(&mut reader, &mut buf)
                    };
                    match item {
                        Ok(Some(len)) => {
                            let seq = check_payload(&buf[..len]);
                            assert_eq!(len, len_for(seq, mtu), "length of message {seq}");
                            assert!(last.is_none_or(|l| seq > l), "{seq} after {last:?}");
                            last = Some(seq);
                            delivered += 1;
                        }
                        Ok(None) if finished.load(std::sync::atomic::Ordering::Acquire) => {
                            return (delivered, overruns);
                        }
                        Ok(None) => std::thread::yield_now(),
                        Err(Error::Overrun(_)) => {
                            overruns += 1;
                            reader.reset();
                        }
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
            })
        })
        .collect();

    let mut staged = vec![0u8; mtu];
    started.wait();
    for seq in 0..MESSAGES {
        let len = len_for(seq, mtu);
        common::fill_payload(seq, &mut staged[..len]);
        if seq % 2 == 0 {
            writer.send(&staged[..len]).unwrap();
        } else {
            writer.claim(len).unwrap().get_buffer_mut().copy_from_slice(&staged[..len]);
        }
        if seq % 64 == 0 {
            std::thread::yield_now();
        }
    }
    // Release: pairs with the readers' Acquire load; everything was sent before it.
    finished.store(true, std::sync::atomic::Ordering::Release);
    let mut total_delivered = 0;
    for handle in handles {
        let (delivered, overruns) = handle.join().expect("reader thread");
        assert!(delivered + overruns > 0, "every reader saw messages or was told it lost them");
        total_delivered += delivered;
    }
    assert!(total_delivered > 0, "the readers must have checked some messages");
}

/// Reads one message through the lazy path: `receive_next`, then `Message::read`.
fn lazy_read(reader: &mut bcast::Reader, buf: &mut [u8]) -> Result<Option<usize>, Error> {
    match reader.receive_next()? {
        Some(msg) => msg.read(buf).map(Some),
        None => Ok(None),
    }
}

#[test]
fn losses_are_counted_exactly_from_sequence_numbers() -> Result<(), Error> {
    let ring = RingBuffer::with_capacity(1024);
    let mut writer = ring.clone().into_writer();
    let mut reader = ring.clone().into_reader_at(0)?;
    let mut buf = [0u8; 64];
    send_frames(&mut writer, 0..3)?;
    assert!(reader.skip()?);
    assert!(reader.try_recv(&mut buf)?.is_some());
    send_frames(&mut writer, 3..50)?; // laps the reader, which expects message 2
    assert!(matches!(reader.try_recv(&mut buf), Err(Error::Overrun(_))));
    // The oldest intact frame less a quarter lap and the writer's reserve: message 40 of 0..50.
    reader.reset_to_oldest();
    let mut first = None;
    while let Some(received) = reader.try_recv(&mut buf)? {
        first.get_or_insert(received.seq);
    }
    assert_eq!(first, Some(40));
    let stats = reader.stats();
    assert_eq!(
        stats,
        bcast::ReaderStats { received: 11, skipped: 1, lost: 38, overruns: 1, resets: 1 }
    );
    assert_eq!(stats.received + stats.skipped + stats.lost, 50, "every message accounted for");

    // A reset to the committed position counts its loss when the next message arrives.
    send_frames(&mut writer, 50..60)?;
    reader.reset();
    writer.send(&payload(60, 32))?;
    assert_eq!(reader.try_recv(&mut buf)?.map(|m| m.seq), Some(60));
    assert_eq!(reader.stats().lost, 38 + 10);

    // Filtered-out messages are skipped, not lost.
    writer.send_with_tag(b"a", 1)?;
    writer.send_with_tag(b"b", 2)?;
    assert_eq!(reader.batch_iter().filter_tag(|tag| tag == 2).count(), 1);
    let stats = reader.stats();
    assert_eq!((stats.received, stats.skipped, stats.lost), (13, 2, 48));
    Ok(())
}

/// Rings in caller memory whose header and frames a test rewrites as a corrupt or hostile writer
/// would.
mod hostile {
    use core::ptr::NonNull;
    use std::sync::atomic::{AtomicU64, Ordering};

    use bcast::RingBuffer;

    use crate::common::layout::{
        CHECKPOINTS, CLAIMED, COMMITTED, FRAMES, HEADER_WORDS, message_commit,
    };

    /// Caller memory for one ring, as atomic words.
    pub(crate) struct Memory(Vec<AtomicU64>);

    impl Memory {
        pub(crate) fn new(capacity: usize) -> Self {
            Self((0..HEADER_WORDS + capacity / 8).map(|_| AtomicU64::new(0)).collect())
        }

        /// A fresh ring in the memory.
        pub(crate) fn ring(&self) -> RingBuffer {
            let base = NonNull::from(&self.0[..]).cast::<u8>();
            // SAFETY: the memory outlives the ring (each test drops the ring first) and is only
            // accessed atomically, by the ring and by the stores below.
            unsafe { RingBuffer::init_raw(base, size_of_val(&self.0[..])) }.expect("fits")
        }

        /// Sets the writer's frontiers and message count as a corrupt header would.
        pub(crate) fn set_frontiers(&self, claimed: u64, committed: u64, frames: u64) {
            self.0[CLAIMED].store(claimed, Ordering::Relaxed);
            self.0[COMMITTED].store(committed, Ordering::Relaxed);
            self.0[FRAMES].store(frames, Ordering::Relaxed);
        }

        pub(crate) fn set_checkpoint(&self, slot: usize, position: u64) {
            self.0[CHECKPOINTS + slot].store(position, Ordering::Relaxed);
        }

        /// Writes a message frame header (`len`, tag 0, `seq`) at data offset `index`.
        pub(crate) fn set_frame(&self, index: usize, len: u32, seq: u64) {
            self.0[HEADER_WORDS + index / 8].store(message_commit(len), Ordering::Relaxed);
            self.0[HEADER_WORDS + index / 8 + 1].store(seq, Ordering::Relaxed);
        }
    }
}

/// The last frame before 2^64: a frame at `2^64 - 128` whose 96-byte payload ends at 2^64.
const NEAR_END: u64 = u64::MAX - 127;

/// A 1 KiB ring whose header says the stream has reached `2^64 - 16` (and claimed no further),
/// with one frame at [`NEAR_END`] that claims to end at 2^64, past the claimed frontier.
fn ring_at_the_end_of_the_stream(memory: &hostile::Memory) -> RingBuffer {
    let ring = memory.ring();
    let end = u64::MAX - 15;
    memory.set_frontiers(end, end, 1);
    memory.set_checkpoint(0, NEAR_END);
    memory.set_frame(1024 - 128, 96, 0);
    ring
}

#[test]
fn an_oldest_data_reader_of_a_stream_near_2_pow_64_gets_a_corrupt_frame() {
    let memory = hostile::Memory::new(1024);
    let ring = ring_at_the_end_of_the_stream(&memory);
    let mut reader = ring.into_reader_at_oldest();
    assert_eq!(reader.position(), NEAR_END, "the checkpoint is the oldest intact frame");
    let error = reader.try_recv(&mut [0u8; 256]).expect_err("the frame ends past 2^64");
    assert_eq!(error, Error::CorruptFrame { position: NEAR_END });
}

#[test]
fn a_frame_ending_at_2_pow_64_is_a_corrupt_frame_for_every_read() {
    let memory = hostile::Memory::new(1024);
    let ring = ring_at_the_end_of_the_stream(&memory);
    let corrupt = Error::CorruptFrame { position: NEAR_END };
    let reader = || ring.clone().into_reader_at(NEAR_END).expect("a frame boundary");
    assert_eq!(reader().try_recv(&mut [0u8; 256]), Err(corrupt));
    assert_eq!(reader().try_recv(&mut [0u8; 8]), Err(corrupt), "through the careful path");
    assert_eq!(reader().receive_next().map(|m| m.is_some()), Err(corrupt));
    assert_eq!(reader().skip(), Err(corrupt));
    assert!(matches!(reader().batch_iter().next(), Some(Err(e)) if e == corrupt));
}

#[test]
fn the_lost_count_saturates_on_sequence_numbers_that_keep_jumping() -> Result<(), Error> {
    const CAPACITY: usize = 16 * 1024;
    // Empty messages fill the ring but for the last 32 bytes, where nothing is published.
    const FRAMES: usize = CAPACITY / 32 - 1;
    let memory = hostile::Memory::new(CAPACITY);
    let ring = memory.ring();
    // Sequence numbers alternate between 0 and the largest one: every other message claims
    // about 2^64 were lost, which adds up to more than 2^64.
    for frame in 0..FRAMES {
        let seq = if frame % 2 == 0 { 0 } else { u64::MAX };
        memory.set_frame(frame * 32, 0, seq);
    }
    let end = (FRAMES * 32) as u64;
    memory.set_frontiers(end + 16, end, FRAMES as u64);
    let mut reader = ring.into_reader_at(0)?;
    let mut buf = [0u8; 8];
    let mut received = 0;
    while reader.try_recv(&mut buf)?.is_some() {
        received += 1;
    }
    assert_eq!(received, FRAMES);
    assert_eq!(reader.stats().lost, u64::MAX, "saturated, not wrapped");
    Ok(())
}

#[test]
fn a_writer_resuming_a_header_near_2_pow_64_publishes_without_overflow() -> Result<(), Error> {
    let memory = hostile::Memory::new(1024);
    let ring = memory.ring();
    memory.set_frontiers(u64::MAX - 15, u64::MAX - 15, u64::MAX);
    let mut writer = ring.clone().into_writer();
    send_frames(&mut writer, 0..40)?;
    assert_eq!(writer.messages_published(), 39, "the count wraps like the positions");
    Ok(())
}

#[test]
fn a_writer_resuming_an_unaligned_frontier_publishes_aligned_frames() -> Result<(), Error> {
    let memory = hostile::Memory::new(1024);
    let ring = memory.ring();
    memory.set_frontiers(100, 100, 3);
    let mut writer = ring.clone().into_writer();
    assert_eq!(writer.position(), 112, "rounded up to a frame boundary");
    writer.send(b"after")?;
    let mut reader = ring.into_reader_at(112)?;
    assert_eq!(reader.try_recv(&mut [0u8; 8])?.map(|m| (m.len, m.seq)), Some((5, 3)));
    Ok(())
}

//! Stress: a writer and two readers on a deliberately small ring, random payload sizes from 0 to
//! the MTU, millions of messages; in threads of one process and across processes over
//! `/dev/shm`. Every delivered payload is verified byte for byte, deliveries are in order, and
//! delivered + reported losses account for every message.
//!
//! `BCAST_STRESS_MESSAGES` sets the message count (CI default: 2 million in threads, 1 million
//! across processes); release checks run with e.g. `BCAST_STRESS_MESSAGES=50000000`.
#![cfg(not(miri))]
// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

use std::time::{Duration, Instant};

use bcast::{Error, Reader, RingBuffer};

const CAPACITY: usize = 4096;

fn messages(default: u64) -> u64 {
    std::env::var("BCAST_STRESS_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

/// Payload of message `seq`: its length and every byte follow from `seq`. Payloads of 16 bytes
/// or more start with the sequence number and a checksum of the rest.
fn fill(seq: u64, mtu: usize, buf: &mut Vec<u8>) {
    let len = (splitmix(seq) % (mtu as u64 + 1)) as usize;
    buf.clear();
    let mut state = splitmix(seq ^ 0xA5A5);
    buf.extend((0..len).map(|_| {
        state = splitmix(state);
        state as u8
    }));
    if len >= 16 {
        buf[..8].copy_from_slice(&seq.to_le_bytes());
        let sum = checksum(&buf[16..]);
        buf[8..16].copy_from_slice(&sum.to_le_bytes());
    }
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// What one reader saw.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    delivered: u64,
    lost: u64,
    overruns: u64,
}

/// Reads until message `total - 1` arrives or `writer_done()` says no more will come, verifying
/// every payload; counts losses from the sequence numbers of the frames.
fn consume(reader: &mut Reader, total: u64, mut writer_done: impl FnMut() -> bool) -> Tally {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut buf = vec![0u8; reader.mtu()];
    let mut expected = vec![0u8; reader.mtu()];
    let (mut tally, mut next) = (Tally::default(), 0u64);
    let mut idle = 0u32;
    while next < total {
        match reader.try_recv(&mut buf) {
            Ok(Some(received)) => {
                idle = 0;
                assert!(received.seq >= next, "message {} after {}", received.seq, next);
                fill(received.seq, buf.len(), &mut expected);
                assert_eq!(
                    &buf[..received.len],
                    &expected[..],
                    "payload of message {}",
                    received.seq
                );
                tally.lost += received.seq - next;
                tally.delivered += 1;
                next = received.seq + 1;
            }
            Ok(None) => {
                idle += 1;
                if idle.is_multiple_of(1024) {
                    assert!(Instant::now() < deadline, "stalled at message {next}");
                    if writer_done() && reader.try_recv(&mut buf).is_ok_and(|m| m.is_none()) {
                        break;
                    }
                    std::thread::yield_now();
                }
            }
            Err(Error::Overrun(_)) => {
                tally.overruns += 1;
                reader.reset();
            }
            Err(e) => panic!("unexpected error at message {next}: {e}"),
        }
    }
    tally.lost += total - next;
    tally
}

fn publish(writer: &mut bcast::Writer, total: u64) {
    let mut buf = Vec::new();
    for seq in 0..total {
        fill(seq, writer.mtu(), &mut buf);
        if seq % 3 == 0 {
            writer.claim(buf.len()).expect("below the MTU").get_buffer_mut().copy_from_slice(&buf);
        } else {
            writer.send(&buf).expect("below the MTU");
        }
    }
}

#[test]
fn threads_on_a_small_ring_lose_nothing_unreported() {
    let total = messages(2_000_000);
    let ring = RingBuffer::with_capacity(CAPACITY);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let mut reader = ring.clone().into_reader();
            let done = std::sync::Arc::clone(&done);
            std::thread::spawn(move || {
                consume(&mut reader, total, || done.load(std::sync::atomic::Ordering::Acquire))
            })
        })
        .collect();
    publish(&mut ring.into_writer(), total);
    // Release: pairs with the Acquire load in the readers' `writer_done`.
    done.store(true, std::sync::atomic::Ordering::Release);
    for reader in readers {
        let tally = reader.join().expect("reader thread");
        assert_eq!(tally.delivered + tally.lost, total, "{tally:?}");
        assert!(tally.delivered > 0, "{tally:?}");
        println!("threads: {total} messages: {tally:?}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn processes_on_a_small_shm_ring_lose_nothing_unreported() {
    use std::io::{BufRead, BufReader};
    let total = messages(1_000_000);
    let path = std::path::PathBuf::from(format!("/dev/shm/bcast-stress-{}", std::process::id()));
    let _ = bcast::RingBuffer::remove(&path);
    let ring = RingBuffer::create(&path, CAPACITY).expect("create");
    let mut children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().expect("test binary"))
                .args(["--exact", "stress_child_reader", "--nocapture", "--test-threads=1"])
                .env("BCAST_STRESS_CHILD", &path)
                .env("BCAST_STRESS_MESSAGES", total.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn reader")
        })
        .collect();
    let mut outputs: Vec<_> =
        children.iter_mut().map(|c| BufReader::new(c.stdout.take().expect("piped"))).collect();
    for out in &mut outputs {
        let mut line = String::new();
        // The test harness may print its own text before ours on the same line.
        while !line.contains("ready") {
            line.clear();
            assert!(
                out.read_line(&mut line).expect("child stdout") > 0,
                "child died before attaching"
            );
        }
    }
    let mut writer = ring.into_writer();
    publish(&mut writer, total);
    drop(writer); // releases the lock: the children's `writer_alive` turns false
    for (mut child, out) in children.into_iter().zip(outputs) {
        let report: Vec<String> = out.lines().map(|l| l.expect("utf-8")).collect();
        assert!(child.wait().expect("reader").success(), "reader failed: {report:?}");
        let line = report
            .iter()
            .find_map(|l| l.split_once("tally").map(|(_, t)| t))
            .expect("a tally line");
        let numbers: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        assert_eq!(numbers[0] + numbers[1], total, "{line}");
        println!("processes: {total} messages: {line}");
    }
    let _ = bcast::RingBuffer::remove(&path);
}

/// The reader processes of the test above; a no-op when the suite runs it directly.
#[test]
fn stress_child_reader() {
    let Ok(path) = std::env::var("BCAST_STRESS_CHILD") else { return };
    let total = messages(0);
    let ring = RingBuffer::attach(&path).expect("attach");
    let mut reader = ring.clone().into_reader_at(0).expect("nothing written yet");
    println!("ready");
    let tally = consume(&mut reader, total, || !ring.writer_alive());
    println!("tally delivered {} lost {} overruns {}", tally.delivered, tally.lost, tally.overruns);
}

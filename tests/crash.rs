//! Crash: a writer process killed with SIGKILL at random points, many times. Readers never
//! deliver a torn frame, notice the dead writer (its `flock` is gone), and each new writer
//! reopens the channel and continues the stream where the dead one stopped.
#![cfg(all(target_os = "linux", not(miri)))]
// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use bcast::{Error, RingBuffer};

const CAPACITY: usize = 64 * 1024;
const ROLE: &str = "BCAST_CRASH_WRITER";

/// Payload of message `seq`: 8 to 200 bytes, every byte derived from `seq`.
fn payload(seq: u64) -> Vec<u8> {
    let len = 8 + (seq.wrapping_mul(0x9E37_79B9) % 193) as usize;
    let mut bytes: Vec<u8> = (0..len).map(|i| (seq as u8) ^ (i as u8).wrapping_mul(7)).collect();
    bytes[..8].copy_from_slice(&seq.to_le_bytes());
    bytes
}

#[test]
fn killed_writers_never_tear_a_frame_and_successors_continue() {
    let kills = std::env::var("BCAST_CRASH_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(25);
    let path = std::path::PathBuf::from(format!("/dev/shm/bcast-crash-{}", std::process::id()));
    let _ = bcast::RingBuffer::remove(&path);
    drop(RingBuffer::create(&path, CAPACITY).expect("create"));
    let ring = RingBuffer::attach(&path).expect("attach");
    let mut reader = ring.clone().into_reader_at(0).expect("empty channel");
    let mut buf = vec![0u8; reader.mtu()];
    let (mut next, mut delivered, mut overruns) = (0u64, 0u64, 0u64);
    let mut rng = 0x2545_F491_4F6C_DD1Du64;

    for kill in 0..kills {
        let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "crash_child_writer", "--nocapture", "--test-threads=1"])
            .env(ROLE, &path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn writer");
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Let it run 1 to 20 ms, reading meanwhile, then kill it wherever it is.
        let until = std::time::Instant::now() + Duration::from_micros(1_000 + rng % 19_000);
        while std::time::Instant::now() < until {
            drain(&mut reader, &mut buf, &mut next, &mut delivered, &mut overruns);
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "writer {kill} must die by the signal, not exit: {status}"
        );
        assert!(!ring.writer_alive(), "the kernel released writer {kill}'s lock");
        drain(&mut reader, &mut buf, &mut next, &mut delivered, &mut overruns);
    }
    // One more writer proves the channel is still usable after the last kill.
    let mut writer =
        RingBuffer::create(&path, CAPACITY).expect("the lock is not stuck").into_writer();
    let last = writer.messages_published();
    writer.send(&payload(last)).expect("send");
    drain(&mut reader, &mut buf, &mut next, &mut delivered, &mut overruns);
    assert_eq!(next, last + 1, "the successor's message arrives with the next sequence number");
    println!("{kills} kills, {last} messages published, {delivered} verified, {overruns} overruns");
    assert!(delivered > 0);
    let _ = bcast::RingBuffer::remove(&path);
}

/// Reads everything pending, verifying each payload against its sequence number.
fn drain(
    reader: &mut bcast::Reader,
    buf: &mut [u8],
    next: &mut u64,
    delivered: &mut u64,
    overruns: &mut u64,
) {
    loop {
        match reader.try_recv(buf) {
            Ok(Some(received)) => {
                assert!(received.seq >= *next, "message {} after {}", received.seq, next);
                assert_eq!(
                    &buf[..received.len],
                    &payload(received.seq)[..],
                    "torn message {}",
                    received.seq
                );
                *next = received.seq + 1;
                *delivered += 1;
            }
            Ok(None) => return,
            Err(Error::Overrun(_)) => {
                *overruns += 1;
                reader.reset();
            }
            Err(e) => panic!("unexpected error after message {next}: {e}"),
        }
    }
}

/// The writer processes of the test above: reopen the channel, check the stream continues where
/// the last writer stopped, and publish until killed. A no-op when the suite runs it directly.
#[test]
fn crash_child_writer() {
    let Ok(path) = std::env::var(ROLE) else { return };
    let ring = RingBuffer::create(&path, CAPACITY).expect("reopen after the previous writer died");
    let mut writer = ring.into_writer();
    for seq in writer.messages_published().. {
        let bytes = payload(seq);
        if seq % 2 == 0 {
            writer.send(&bytes).expect("send");
        } else {
            writer.claim(bytes.len()).expect("claim").get_buffer_mut().copy_from_slice(&bytes);
        }
        if seq % 256 == 0 {
            std::thread::sleep(Duration::from_micros(50)); // let the reader keep up now and then
        }
    }
}

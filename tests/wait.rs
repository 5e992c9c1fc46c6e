//! Waiting for messages: every strategy delivers, timeouts expire, a parked reader burns no
//! CPU, and parking works across processes over `/dev/shm`.
#![cfg(all(target_os = "linux", not(miri)))]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bcast::{RingBuffer, WaitStrategy};
use common::ShmPath;

const STRATEGIES: [WaitStrategy; 3] = [
    WaitStrategy::BusySpin,
    WaitStrategy::SpinThenYield { spins: 100 },
    WaitStrategy::SpinThenPark { spins: 100 },
];

#[test]
fn every_strategy_delivers_a_message_published_later() -> Result<(), bcast::Error> {
    for strategy in STRATEGIES {
        let ring = RingBuffer::with_capacity(4096);
        let mut writer = ring.clone().into_writer();
        let mut reader = ring.into_reader().with_wait_strategy(strategy);
        let publisher = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            writer.send(b"late")
        });
        let mut buf = [0u8; 8];
        let received = reader.recv_timeout(&mut buf, Duration::from_secs(10))?;
        assert_eq!(received.map(|m| m.len), Some(4), "{strategy:?}");
        publisher.join().expect("publisher")?;
    }
    Ok(())
}

#[test]
fn timeouts_expire_with_nothing_received() -> Result<(), bcast::Error> {
    for strategy in STRATEGIES {
        let ring = RingBuffer::with_capacity(1024);
        let _writer = ring.clone().into_writer();
        let mut reader = ring.into_reader().with_wait_strategy(strategy);
        let started = Instant::now();
        assert_eq!(reader.recv_timeout(&mut [0u8; 8], Duration::from_millis(30))?, None);
        assert!(started.elapsed() >= Duration::from_millis(30), "{strategy:?}");
    }
    Ok(())
}

/// CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: `usage` points to writable memory of the right type, which `getrusage`
    // initialises when it returns 0.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: `getrusage` returned 0, so it initialised `usage`.
    let usage = unsafe { usage.assume_init() };
    let secs = u64::try_from(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec).unwrap_or(0);
    let micros = u64::try_from(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(micros)
}

#[test]
fn a_parked_reader_burns_no_cpu_and_wakes_on_publication() -> Result<(), bcast::Error> {
    let ring = RingBuffer::with_capacity(4096);
    let mut writer = ring.clone().into_writer();
    let mut reader =
        ring.into_reader().with_wait_strategy(WaitStrategy::SpinThenPark { spins: 100 });
    let waiter = std::thread::spawn(move || {
        let before = thread_cpu_time();
        let started = Instant::now();
        let mut buf = [0u8; 8];
        let received = reader.recv_timeout(&mut buf, Duration::from_secs(10));
        (received, started.elapsed(), thread_cpu_time() - before)
    });
    std::thread::sleep(Duration::from_millis(300));
    writer.send(b"wake")?;
    let (received, waited, cpu) = waiter.join().expect("waiter");
    assert_eq!(received?.map(|m| m.len), Some(4));
    assert!(waited >= Duration::from_millis(200), "it waited for the publication: {waited:?}");
    // Parked in 1 ms slices for 300 ms: a spinning reader would have used ~300 ms of CPU.
    assert!(cpu < Duration::from_millis(60), "parked reader used {cpu:?} of CPU in {waited:?}");
    Ok(())
}

#[test]
fn readers_of_read_only_caller_memory_still_wait() -> Result<(), Box<dyn std::error::Error>> {
    use std::sync::atomic::AtomicU64;
    let len = RingBuffer::region_len(4096);
    let memory: Vec<AtomicU64> = (0..len / 8).map(|_| AtomicU64::new(0)).collect();
    let base = core::ptr::NonNull::from(&memory[..]).cast::<u8>();
    // SAFETY: `memory` outlives both rings (dropped at the end of the test) and is only
    // accessed atomically.
    let ring = unsafe { RingBuffer::init_raw(base, size_of_val(&memory[..])) }?;
    // SAFETY: as above.
    let joined = unsafe { RingBuffer::join_raw(base, size_of_val(&memory[..])) }?;
    let mut reader =
        joined.into_reader().with_wait_strategy(WaitStrategy::SpinThenPark { spins: 10 });
    let mut writer = ring.into_writer();
    let publisher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        writer.send(b"polled")
    });
    let received = reader.recv_timeout(&mut [0u8; 8], Duration::from_secs(10))?;
    assert_eq!(received.map(|m| m.len), Some(6));
    publisher.join().expect("publisher")?;
    Ok(())
}

#[test]
fn a_reader_process_parks_on_a_channel_file_and_is_woken() -> Result<(), Box<dyn std::error::Error>>
{
    let file = ShmPath::new("woken");
    let mut writer = RingBuffer::create(&file.0, 4096)?.into_writer();
    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["--exact", "parked_child_reader", "--nocapture", "--test-threads=1"])
        .env("BCAST_WAIT_CHILD", &file.0)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    // Give the child time to attach and park, then publish.
    std::thread::sleep(Duration::from_millis(300));
    writer.send(b"across processes")?;
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("woken with 16 bytes"), "{stdout}");
    Ok(())
}

/// The reader process of the test above; a no-op when the suite runs it directly.
#[test]
fn parked_child_reader() {
    let Ok(path) = std::env::var("BCAST_WAIT_CHILD") else { return };
    let mut reader = parking_reader(&path, 10).expect("attach");
    let before = thread_cpu_time();
    let received = reader.recv_timeout(&mut [0u8; 32], Duration::from_secs(20)).expect("read");
    let cpu = thread_cpu_time() - before;
    assert!(cpu < Duration::from_millis(100), "parked reader used {cpu:?} of CPU");
    println!("woken with {} bytes", received.expect("published").len);
}

/// A reader of the channel file at `path` that parks after `spins` checks.
fn parking_reader(path: impl AsRef<Path>, spins: u32) -> Result<bcast::Reader, bcast::OpenError> {
    let reader = RingBuffer::attach(path)?.into_reader();
    Ok(reader.with_wait_strategy(WaitStrategy::SpinThenPark { spins }))
}

/// The channel's count of parked readers, as a tool attaching to it reads it.
fn parked_readers(path: &Path) -> u64 {
    u64::from(RingBuffer::attach(path).expect("attach").info().parked_readers)
}

/// Polls `condition` every millisecond for at most five seconds.
fn within_5s(condition: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Starts a reader process that parks on `path` and kills it with SIGKILL while it is counted
/// as parked; retries if the kill landed between two of its park slices.
fn kill_a_parked_reader(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use std::os::unix::process::ExitStatusExt;
    for _ in 0..20 {
        let mut child = std::process::Command::new(std::env::current_exe()?)
            .args(["--exact", "reader_child_that_parks_until_killed", "--test-threads=1"])
            .env("BCAST_PARKED_CHILD", path)
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let parked = within_5s(|| parked_readers(path) > 0);
        child.kill()?;
        let status = child.wait()?;
        assert!(parked, "the reader process never parked");
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
        if parked_readers(path) == 1 {
            return Ok(());
        }
    }
    Err("every kill landed between two park slices".into())
}

#[test]
fn a_reader_killed_while_parked_stops_costing_the_writer_wake_calls()
-> Result<(), Box<dyn std::error::Error>> {
    let file = ShmPath::new("killed");
    let mut writer = RingBuffer::create(&file.0, 4096)?.into_writer();
    kill_a_parked_reader(&file.0)?;

    learn_the_dead_registration(&mut writer)?;
    let before = writer.wake_calls();
    for n in 0..10_000u32 {
        writer.send(&n.to_le_bytes())?;
    }
    let calls = writer.wake_calls() - before;
    assert!(calls < 100, "{calls} wake calls for 10 000 messages after the parked reader died");

    // A live reader that parks now is still woken by the writer. It re-checks on its own every
    // millisecond too, so a round whose publication fell between two of its park slices proves
    // nothing: require a wake call in at least one of five rounds.
    let mut rounds_with_a_wake_call = 0;
    for round in 0..5u8 {
        let mut reader = parking_reader(&file.0, 0)?;
        let waiter =
            std::thread::spawn(move || reader.recv_timeout(&mut [0u8; 8], Duration::from_secs(10)));
        assert!(within_5s(|| parked_readers(&file.0) == 2), "the live reader parks");
        let before = writer.wake_calls();
        writer.send(&[round])?;
        let received = waiter.join().expect("reader thread")?;
        assert_eq!(received.map(|m| m.len), Some(1), "the live reader got the message");
        rounds_with_a_wake_call += u32::from(writer.wake_calls() > before);
    }
    assert!(rounds_with_a_wake_call > 0, "the writer never woke the live reader");

    // A writer reopened on the channel inherits the dead registration and learns it too.
    drop(writer);
    let mut writer = RingBuffer::create(&file.0, 4096)?.into_writer();
    assert_eq!(parked_readers(&file.0), 1, "the dead reader is still counted");
    learn_the_dead_registration(&mut writer)?;
    let before = writer.wake_calls();
    for n in 0..10_000u32 {
        writer.send(&n.to_le_bytes())?;
    }
    let reopened_calls = writer.wake_calls() - before;
    println!(
        "wake calls per 10 000 messages after the kill: {calls}, reopened: {reopened_calls}; \
         live reader woken by a call in {rounds_with_a_wake_call} of 5 rounds"
    );
    assert!(
        reopened_calls < 100,
        "{reopened_calls} wake calls for 10 000 messages by the reopened writer"
    );
    Ok(())
}

/// Publishes for 20 ms, a message every 100 µs: the writer only takes a registration for a dead
/// reader once its wake-ups have woken nobody for several park slices.
fn learn_the_dead_registration(writer: &mut bcast::Writer) -> Result<(), bcast::Error> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(20) {
        writer.send(b"learning")?;
        std::thread::sleep(Duration::from_micros(100));
    }
    Ok(())
}

#[test]
fn a_live_reader_is_woken_after_every_burst() -> Result<(), Box<dyn std::error::Error>> {
    // Bursts leave a woken reader counted for a few microseconds while the writer makes many
    // fruitless wake-ups: that must never make the writer take it for a dead one.
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    const BURSTS: u32 = 30;
    const BURST: u32 = 200;
    let file = ShmPath::new("bursts");
    let mut writer = RingBuffer::create(&file.0, 1 << 16)?.into_writer();
    let mut reader = parking_reader(&file.0, 0)?;
    let received = Arc::new(AtomicU32::new(0));
    let receiver = {
        let received = Arc::clone(&received);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8];
            while received.load(Ordering::Relaxed) < BURSTS * BURST {
                match reader.recv_timeout(&mut buf, Duration::from_secs(10)) {
                    Ok(Some(_)) => received.fetch_add(1, Ordering::Relaxed),
                    Ok(None) => break,
                    Err(e) => panic!("{e}"),
                };
            }
        })
    };
    let mut missed = 0;
    for burst in 0..BURSTS {
        // The reader has read everything and is parked again.
        let caught_up = || received.load(Ordering::Relaxed) == burst * BURST;
        assert!(within_5s(|| caught_up() && parked_readers(&file.0) == 1), "the reader parks");
        let before = writer.wake_calls();
        writer.send(&0u32.to_le_bytes())?;
        missed += u32::from(writer.wake_calls() == before);
        for n in 1..BURST {
            writer.send(&n.to_le_bytes())?;
        }
    }
    receiver.join().expect("reader thread");
    assert_eq!(received.load(Ordering::Relaxed), BURSTS * BURST, "every message arrives");
    // A reader that the scheduler stops for longer than the writer's staleness window while it
    // is counted as parked looks exactly like a dead one, and then waits one park slice: on a
    // loaded machine that may happen to a burst or two. A writer that misjudges live readers
    // (the bug this test caught) missed 17 to 24 of the 30.
    assert!(
        missed <= BURSTS / 10,
        "{missed} of {BURSTS} bursts began without waking the parked reader"
    );
    Ok(())
}

/// The reader process of the test above: parks until killed (or a minute passes); a no-op
/// when the suite runs it directly.
#[test]
fn reader_child_that_parks_until_killed() {
    let Ok(path) = std::env::var("BCAST_PARKED_CHILD") else { return };
    let mut reader = parking_reader(&path, 0).expect("attach");
    let _ = reader.recv_timeout(&mut [0u8; 8], Duration::from_secs(60));
}

//! Waiting for messages: every strategy delivers, timeouts expire, a parked reader burns no
//! CPU, and parking works across processes over `/dev/shm`.
#![cfg(all(target_os = "linux", not(miri)))]

use std::time::{Duration, Instant};

use bcast::{RingBuffer, WaitStrategy};

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
    let memory: Vec<AtomicU64> = (0..1024 + 512).map(|_| AtomicU64::new(0)).collect();
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
    let path = std::path::PathBuf::from(format!("/dev/shm/bcast-wait-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut writer = RingBuffer::create(&path, 4096)?.into_writer();
    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["--exact", "parked_child_reader", "--nocapture", "--test-threads=1"])
        .env("BCAST_WAIT_CHILD", &path)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    // Give the child time to attach and park, then publish.
    std::thread::sleep(Duration::from_millis(300));
    writer.send(b"across processes")?;
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let _ = std::fs::remove_file(&path);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("woken with 16 bytes"), "{stdout}");
    Ok(())
}

/// The reader process of the test above; a no-op when the suite runs it directly.
#[test]
fn parked_child_reader() {
    let Ok(path) = std::env::var("BCAST_WAIT_CHILD") else { return };
    let mut reader = RingBuffer::attach(&path)
        .expect("attach")
        .into_reader()
        .with_wait_strategy(WaitStrategy::SpinThenPark { spins: 10 });
    let before = thread_cpu_time();
    let received = reader.recv_timeout(&mut [0u8; 32], Duration::from_secs(20)).expect("read");
    let cpu = thread_cpu_time() - before;
    assert!(cpu < Duration::from_millis(100), "parked reader used {cpu:?} of CPU");
    println!("woken with {} bytes", received.expect("published").len);
}

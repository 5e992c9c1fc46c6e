//! Channel files under `/dev/shm`: create, attach, every attach error, the single-writer lock,
//! reopening after a writer died, and round trips across real processes.
#![cfg(all(target_os = "linux", not(miri)))]
// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

mod common;

use std::os::unix::fs::{FileExt, PermissionsExt};
use std::process::Command;

use bcast::{CreateOptions, Error, LayoutError, OpenError, RingBuffer};
use common::{ShmPath, check_payload, len_for, payload};

const CHILD_ROLE: &str = "BCAST_TEST_CHILD_ROLE";
const CHILD_PATH: &str = "BCAST_TEST_CHILD_PATH";
const MESSAGES: u64 = 20_000;

#[test]
fn create_then_attach_round_trips_in_one_process() -> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("roundtrip");
    let ring = RingBuffer::create(&path.0, 64 * 1024)?;
    assert_eq!(ring.path(), Some(path.0.as_path()));
    let mut writer = ring.into_writer();
    let attached = RingBuffer::attach(&path.0)?;
    assert!(attached.writer_alive());
    let mut reader = attached.into_reader();
    writer.send_with_tag(b"over shm", 9)?;
    let mut buf = [0u8; 16];
    let received = reader.try_recv(&mut buf)?.expect("sent");
    assert_eq!((&buf[..received.len], received.tag), (&b"over shm"[..], 9));
    Ok(())
}

#[test]
fn channel_files_are_private_by_default_and_mode_is_configurable() -> Result<(), OpenError> {
    let private = ShmPath::new("mode-private");
    let _ring = RingBuffer::create(&private.0, 4096)?;
    let mode = std::fs::metadata(&private.0).expect("exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let shared = ShmPath::new("mode-group");
    let _ring = CreateOptions::new().mode(0o640).create(&shared.0, 4096)?;
    let mode = std::fs::metadata(&shared.0).expect("exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    Ok(())
}

#[test]
fn second_writer_is_refused_with_the_path() -> Result<(), OpenError> {
    let path = ShmPath::new("second-writer");
    let first = RingBuffer::create(&path.0, 4096)?;
    let err = RingBuffer::create(&path.0, 4096).unwrap_err();
    assert!(matches!(&err, OpenError::WriterExists { path: p } if *p == path.0));
    assert!(err.to_string().contains(&*path.0.to_string_lossy()));
    drop(first);
    let third = RingBuffer::create(&path.0, 4096).map(drop);
    assert!(third.is_ok(), "the lock goes with the writer: {third:?}");
    Ok(())
}

#[test]
fn reopened_channel_continues_at_the_committed_position() -> Result<(), Box<dyn std::error::Error>>
{
    let path = ShmPath::new("reopen");
    let mut writer = RingBuffer::create(&path.0, 4096)?.into_writer();
    writer.send(b"first")?;
    let position = writer.position();
    drop(writer);
    let ring = RingBuffer::create(&path.0, 4096)?;
    assert!(ring.writer_alive());
    let mut writer = ring.into_writer();
    assert_eq!((writer.position(), writer.messages_published()), (position, 1));
    writer.send(b"second")?;
    let mut reader = RingBuffer::attach(&path.0)?.into_reader_at(0)?;
    let mut buf = [0u8; 16];
    let lens: Vec<_> =
        std::iter::from_fn(|| reader.try_recv(&mut buf).unwrap()).map(|m| m.len).collect();
    assert_eq!(lens, [5, 6]);
    drop(writer);

    let err = RingBuffer::create(&path.0, 8192).unwrap_err();
    assert!(matches!(err, OpenError::Layout { reason: LayoutError::CapacityMismatch { .. }, .. }));
    Ok(())
}

#[test]
fn attach_errors_name_the_path_and_what_was_expected() {
    let path = ShmPath::new("attach-errors");
    let err = RingBuffer::attach(&path.0).unwrap_err();
    assert!(
        matches!(&err, OpenError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    assert!(err.to_string().contains("attach-errors"), "{err}");

    std::fs::write(&path.0, b"short").unwrap();
    let err = RingBuffer::attach(&path.0).unwrap_err();
    assert!(matches!(err, OpenError::Layout { reason: LayoutError::TooShort { len: 5, .. }, .. }));

    std::fs::write(&path.0, vec![0xAB; RingBuffer::region_len(4096)]).unwrap();
    let err = RingBuffer::attach(&path.0).unwrap_err();
    assert!(matches!(err, OpenError::Layout { reason: LayoutError::NotAChannel { .. }, .. }));
    assert!(err.to_string().contains("not a bcast channel"), "{err}");
    std::fs::remove_file(&path.0).unwrap();

    drop(RingBuffer::create(&path.0, 4096).unwrap());
    let patch = |offset: u64, value: u64| {
        let file = std::fs::OpenOptions::new().write(true).open(&path.0).unwrap();
        file.write_all_at(&value.to_le_bytes(), offset).unwrap();
    };
    let layout_error = || match RingBuffer::attach(&path.0) {
        Err(OpenError::Layout { reason, .. }) => reason,
        other => panic!("expected a layout error, got {other:?}"),
    };
    patch(8, 99);
    assert!(matches!(layout_error(), LayoutError::Version { found: 99, .. }));
    let layout_version = RingBuffer::with_capacity(256).info().layout_version;
    patch(8, layout_version);
    patch(24, 0);
    assert_eq!(layout_error(), LayoutError::NotReady, "a half-made channel");
    let err = RingBuffer::create(&path.0, 4096).unwrap_err();
    assert!(
        matches!(err, OpenError::Layout { reason: LayoutError::NotReady, .. }),
        "never clobbered"
    );
}

#[test]
fn file_whose_size_disagrees_with_its_header_is_refused() {
    let path = ShmPath::new("size-mismatch");
    drop(RingBuffer::create(&path.0, 4096).unwrap());
    let file = std::fs::OpenOptions::new().write(true).open(&path.0).unwrap();
    // Written, not just resized, so that every block of the longer file is allocated.
    let expected = RingBuffer::region_len(4096) as u64;
    file.write_all_at(&[0; 4096], expected).unwrap();
    let err = RingBuffer::attach(&path.0).unwrap_err();
    let len = expected + 4096;
    assert!(matches!(
        err,
        OpenError::Layout { reason: LayoutError::SizeMismatch { len: l, expected: e }, .. }
            if (l, e) == (len, expected)
    ));
}

#[test]
fn readers_in_other_processes_receive_every_message() -> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("multiprocess");
    // Large enough to hold the whole run: readers may start late and still see everything.
    let mut writer = RingBuffer::create(&path.0, 4 << 20)?.into_writer();
    let children: Vec<_> =
        (0..2).map(|_| spawn_child("reader", &path)).collect::<Result<_, _>>()?;
    for seq in 0..MESSAGES {
        writer.send_with_tag(&payload(seq, len_for(seq, 200)), (seq % 7) as u32)?;
    }
    for child in children {
        let output = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "reader failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains(&format!("verified {MESSAGES} messages")), "{stdout}");
    }
    Ok(())
}

#[test]
fn writer_killed_mid_stream_leaves_a_channel_a_new_writer_continues()
-> Result<(), Box<dyn std::error::Error>> {
    let path = ShmPath::new("killed-writer");
    let status = spawn_child("doomed_writer", &path)?.wait()?;
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(libc::SIGKILL));

    let attached = RingBuffer::attach(&path.0)?;
    assert!(!attached.writer_alive(), "the kernel released the dead writer's lock");
    let mut writer = RingBuffer::create(&path.0, 1 << 20)?.into_writer();
    assert_eq!(writer.messages_published(), 1000);
    writer.send(&payload(1000, 64))?;
    let mut reader = attached.into_reader_at(0)?;
    let mut buf = [0u8; 256];
    let mut expected = 0;
    while let Some(received) = reader.try_recv(&mut buf)? {
        assert_eq!(check_payload(&buf[..received.len]), expected);
        expected += 1;
    }
    assert_eq!(expected, 1001);
    Ok(())
}

fn spawn_child(role: &str, path: &ShmPath) -> std::io::Result<std::process::Child> {
    Command::new(std::env::current_exe()?)
        .args(["--exact", "child_process_entry", "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role)
        .env(CHILD_PATH, &path.0)
        .stdout(std::process::Stdio::piped())
        .spawn()
}

/// Entry point of the child processes; a no-op when the test suite runs it directly.
#[test]
fn child_process_entry() {
    let (Ok(role), Ok(path)) = (std::env::var(CHILD_ROLE), std::env::var(CHILD_PATH)) else {
        return;
    };
    match role.as_str() {
        "reader" => child_reader(&path),
        "doomed_writer" => child_doomed_writer(&path),
        other => panic!("unknown child role {other}"),
    }
}

fn child_reader(path: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let ring = loop {
        match RingBuffer::attach(path) {
            Ok(ring) => break ring,
            Err(_) if std::time::Instant::now() < deadline => std::thread::yield_now(),
            Err(e) => panic!("attach: {e}"),
        }
    };
    let mut reader = ring.into_reader_at(0).expect("0 is a frame boundary");
    let mut buf = vec![0u8; reader.mtu()];
    let mut next = 0;
    while next < MESSAGES {
        assert!(std::time::Instant::now() < deadline, "timed out at message {next}");
        match reader.try_recv(&mut buf) {
            Ok(Some(received)) => {
                let seq = check_payload(&buf[..received.len]);
                assert_eq!((seq, received.seq), (next, next), "messages arrive in order");
                assert_eq!(received.len, len_for(seq, 200));
                assert_eq!(received.tag, (seq % 7) as u32);
                next += 1;
            }
            Ok(None) => std::thread::yield_now(),
            Err(Error::Overrun(lapped)) => panic!("the ring holds the whole run: {lapped:?}"),
            Err(e) => panic!("read: {e}"),
        }
    }
    println!("verified {next} messages");
}

fn child_doomed_writer(path: &str) {
    let mut writer = RingBuffer::create(path, 1 << 20).expect("create").into_writer();
    for seq in 0..1000 {
        writer.send(&payload(seq, 64)).expect("send");
    }
    // Die holding the lock, with a claim open: nothing of it may ever be published.
    let mut claim = writer.claim(64).expect("claim");
    claim.get_buffer_mut().fill(0xEE);
    let pid = libc::pid_t::try_from(std::process::id()).expect("pids fit pid_t");
    // SAFETY: `kill` has no memory-safety preconditions.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    unreachable!("SIGKILL cannot be caught");
}

//! The single-writer lock and writer liveness: readers and monitoring tools can neither keep a
//! writer out nor be fooled about whether it lives.
#![cfg(all(target_os = "linux", not(miri)))]

mod common;

use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bcast::{FileRefusal, OpenError, RingBuffer};
use common::{ShmPath, is_root, lock_path, run_as_nobody};

fn flock(file: &std::fs::File, operation: libc::c_int) -> bool {
    // SAFETY: `flock` only reads its integer arguments; the descriptor is open.
    unsafe { libc::flock(file.as_raw_fd(), operation) == 0 }
}

#[test]
fn a_reader_holding_a_lock_on_the_channel_file_does_not_keep_the_writer_out() {
    let path = ShmPath::new("lock-reader-flock");
    drop(RingBuffer::create(&path.0, 4096).expect("create"));
    // Anyone who may read the channel may lock it: a shared flock and an fcntl read lock.
    let reader = std::fs::File::open(&path.0).expect("open read-only");
    assert!(flock(&reader, libc::LOCK_SH | libc::LOCK_NB), "a reader can flock the channel");
    // SAFETY: `struct flock` is plain integers, for which all zeroes is a valid value.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_RDLCK.try_into().expect("fits");
    lock.l_whence = libc::SEEK_SET.try_into().expect("fits");
    // SAFETY: `lock` is a valid, initialised `struct flock` that outlives the call.
    assert_eq!(unsafe { libc::fcntl(reader.as_raw_fd(), libc::F_OFD_SETLK, &raw const lock) }, 0);
    let mut writer = RingBuffer::create(&path.0, 4096).expect("the writer restarts").into_writer();
    writer.send(b"still publishing").expect("send");
}

#[test]
fn watching_writer_liveness_in_a_loop_never_refuses_a_writer() {
    let path = ShmPath::new("lock-monitor");
    drop(RingBuffer::create(&path.0, 4096).expect("create"));
    let stop = Arc::new(AtomicBool::new(false));
    let probes = Arc::new(AtomicU64::new(0));
    let monitor = {
        let (stop, probes, path) = (Arc::clone(&stop), Arc::clone(&probes), path.0.clone());
        std::thread::spawn(move || {
            // What `bcast stat`, the relay's exporter and `info()` do, as fast as it can.
            let ring = RingBuffer::attach(&path).expect("attach");
            while !stop.load(Ordering::Relaxed) {
                let _ = ring.writer_alive();
                let _ = ring.info();
                probes.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let (mut restarts, mut refused) = (0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(10);
    while (restarts < 20_000 || probes.load(Ordering::Relaxed) < 200_000)
        && Instant::now() < deadline
    {
        match RingBuffer::create(&path.0, 4096) {
            Ok(ring) => drop(ring),
            Err(OpenError::WriterExists { .. }) => refused += 1,
            Err(other) => panic!("unexpected error {other}"),
        }
        restarts += 1;
    }
    stop.store(true, Ordering::Relaxed);
    monitor.join().expect("monitor");
    let probes = probes.load(Ordering::Relaxed);
    assert!(probes > 0, "the monitor never attached");
    assert_eq!(refused, 0, "{refused} of {restarts} restarts refused beside {probes} probes");
}

#[test]
fn writer_liveness_follows_the_writer_and_names_its_process() {
    let path = ShmPath::new("lock-liveness");
    let ring = RingBuffer::create(&path.0, 4096).expect("create");
    let watcher = RingBuffer::attach(&path.0).expect("attach");
    assert!(watcher.writer_alive());
    assert_eq!(watcher.writer_pid(), Some(std::process::id()));
    assert_eq!(watcher.info().writer_pid, Some(std::process::id()));
    let second = RingBuffer::create(&path.0, 4096).unwrap_err();
    assert!(matches!(second, OpenError::WriterExists { .. }), "still one writer at a time");
    drop(ring);
    assert!(!watcher.writer_alive(), "the writer closed the channel");
    assert_eq!(watcher.writer_pid(), None);
}

#[test]
fn a_recorded_writer_whose_process_is_gone_or_reused_is_not_alive() {
    let path = ShmPath::new("lock-dead-record");
    drop(RingBuffer::create(&path.0, 4096).expect("create"));
    let record_at = |record: u64| {
        let file = std::fs::OpenOptions::new().write(true).open(&path.0).expect("open");
        // The writer record is the header's seventh word.
        std::os::unix::fs::FileExt::write_all_at(&file, &record.to_le_bytes(), 48).expect("write");
        RingBuffer::attach(&path.0).expect("attach")
    };
    // A process id that a dead writer left behind and the kernel gave to nobody since.
    let mut exited = std::process::Command::new("true").spawn().expect("spawn");
    let dead_pid = exited.id();
    exited.wait().expect("wait");
    assert!(!record_at(u64::from(dead_pid)).writer_alive(), "a dead writer's record");
    // Our own process id, but a start time that is not ours: a process id reused.
    let reused = (1u64 << 22) | u64::from(std::process::id());
    assert!(!record_at(reused).writer_alive(), "a reused process id");
}

#[test]
fn the_writer_lock_file_is_private_and_stays_for_the_next_writer() {
    let path = ShmPath::new("lock-file");
    let lock = lock_path(&path.0);
    let ring = RingBuffer::create(&path.0, 4096).expect("create");
    let meta =
        std::fs::symlink_metadata(&lock).expect("the lock file exists while the writer does");
    assert!(meta.file_type().is_file());
    assert_eq!(meta.mode() & 0o7777, 0o600);
    // SAFETY: `geteuid` has no preconditions.
    assert_eq!(meta.uid(), unsafe { libc::geteuid() });
    if is_root() {
        // Another user cannot open it, so cannot lock it.
        let output =
            run_as_nobody("open_lock_file_as_child", &[("BCAST_LOCK_FILE", lock.as_os_str())]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("PermissionDenied"), "{stdout}");
    } else {
        println!("SKIPPED the other-user half: run the tests as root to check it");
    }
    drop(ring);
    // Kept, so that nobody else can take the name between two runs of the writer.
    let kept = std::fs::symlink_metadata(&lock).expect("the lock file stays");
    assert_eq!(kept.ino(), meta.ino());
    drop(RingBuffer::create(&path.0, 4096).expect("the next writer reuses it"));
    RingBuffer::remove(&path.0).expect("remove");
    assert!(!path.0.exists() && !lock.exists(), "remove deletes the channel and its lock file");
}

/// Child of the test above: prints how opening the lock file went. A no-op when run directly.
#[test]
fn open_lock_file_as_child() {
    let Ok(path) = std::env::var("BCAST_LOCK_FILE") else { return };
    match std::fs::File::open(&path) {
        Ok(_) => println!("opened"),
        Err(e) => println!("io error {:?}", e.kind()),
    }
}

#[test]
fn a_lock_file_left_by_another_user_or_with_another_mode_is_refused() {
    let path = ShmPath::new("lock-hostile");
    let lock = lock_path(&path.0);
    std::fs::write(&lock, b"").expect("pre-create the lock file");
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let err = RingBuffer::create(&path.0, 4096).unwrap_err();
    assert!(
        matches!(&err, OpenError::Refused { path: p, reason: FileRefusal::Mode { found: 0o666, .. } } if *p == lock),
        "{err}"
    );
    if is_root() {
        std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::os::unix::fs::chown(&lock, Some(65534), Some(65534)).expect("chown");
        let err = RingBuffer::create(&path.0, 4096).unwrap_err();
        assert!(
            matches!(
                err,
                OpenError::Refused { reason: FileRefusal::Owner { owner: 65534, .. }, .. }
            ),
            "{err}"
        );
    } else {
        println!("SKIPPED the other-owner half: run the tests as root to check it");
    }
    std::fs::remove_file(&lock).expect("remove");
    let symlink_target = ShmPath::new("lock-hostile-target");
    std::fs::write(&symlink_target.0, b"").expect("target");
    std::os::unix::fs::symlink(&symlink_target.0, &lock).expect("symlink");
    let err = RingBuffer::create(&path.0, 4096).unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::Refused { reason: FileRefusal::NotRegular { kind: "symbolic link" }, .. }
        ),
        "{err}"
    );
    assert!(!path.0.exists(), "no channel was made without the lock");
}

#[test]
fn racing_writers_never_hold_one_channel_together() {
    let path = ShmPath::new("lock-race");
    let holders = Arc::new(AtomicU64::new(0));
    let most = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (path, holders, most) = (path.0.clone(), Arc::clone(&holders), Arc::clone(&most));
            std::thread::spawn(move || {
                for _ in 0..300 {
                    match RingBuffer::create(&path, 4096) {
                        Ok(ring) => {
                            let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::yield_now();
                            holders.fetch_sub(1, Ordering::SeqCst);
                            drop(ring);
                        }
                        Err(OpenError::WriterExists { .. }) => {}
                        Err(other) => panic!("unexpected error {other}"),
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("writer thread");
    }
    assert_eq!(most.load(Ordering::SeqCst), 1, "two writers held the channel at once");
}

#[test]
fn a_forked_child_that_drops_its_copy_leaves_the_writer_alone() {
    if std::env::var_os("BCAST_FORK_CHILD").is_none() {
        // Forking needs a process with no other test threads: run this test alone in a child.
        let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "a_forked_child_that_drops_its_copy_leaves_the_writer_alone"])
            .args(["--nocapture", "--test-threads=1"])
            .env("BCAST_FORK_CHILD", "1")
            .output()
            .expect("run the forking test");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success() && stdout.contains("writer intact"), "{stdout}");
        return;
    }
    let path = ShmPath::new("lock-fork");
    let ring = RingBuffer::create(&path.0, 4096).expect("create");
    // SAFETY: this process runs one test thread; the child only drops a handle and exits.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork");
    if child == 0 {
        drop(ring);
        // SAFETY: ends the child at once, without running the parent's exit handlers.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above; `status` is a valid place to write to.
    assert_eq!(unsafe { libc::waitpid(child, &raw mut status, 0) }, child);
    let watcher = RingBuffer::attach(&path.0).expect("attach");
    assert!(watcher.writer_alive(), "the child cleared the writer's record");
    assert_eq!(watcher.writer_pid(), Some(std::process::id()));
    assert!(lock_path(&path.0).exists(), "the lock file is still there");
    let second = RingBuffer::create(&path.0, 4096).map(drop);
    assert!(matches!(second, Err(OpenError::WriterExists { .. })), "a second writer got in");
    drop(ring);
    println!("writer intact");
}

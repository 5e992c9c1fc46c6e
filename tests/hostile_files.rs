//! Files that another local user, or a crashed process, leaves at a channel's path: each is
//! refused with a typed error, never followed, waited on, mapped short or allocated by a reader.
#![cfg(all(target_os = "linux", not(miri)))]
// Sizes here are a few MiB at most: converting them between u64 and usize cannot truncate.
#![allow(clippy::cast_possible_truncation)]

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use bcast::{FileRefusal, OpenError, RingBuffer};
use common::{ShmPath, SmallTmpfs, free_bytes, is_root, lock_path};

const HEADER: u64 = (common::layout::HEADER_WORDS * 8) as u64;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn refusal(result: Result<RingBuffer<impl Sized>, OpenError>) -> FileRefusal {
    match result {
        Err(OpenError::Refused { reason, .. }) => reason,
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, got a channel"),
    }
}

#[test]
fn create_refuses_a_channel_file_with_another_mode_than_requested() {
    let path = ShmPath::new("hostile-mode");
    drop(RingBuffer::create(&path.0, 4096).expect("create"));
    // Someone made the channel readable and writable by everyone.
    chmod(&path.0, 0o666);
    let err = RingBuffer::create(&path.0, 4096).unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::Refused { reason: FileRefusal::Mode { found: 0o666, expected: 0o600 }, .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("remove it"), "says what to do: {err}");
}

#[test]
fn create_refuses_a_channel_file_another_user_owns() {
    if !is_root() {
        println!("SKIPPED: only root can give a file to another user; run the tests as root");
        return;
    }
    let path = ShmPath::new("hostile-owner");
    drop(RingBuffer::create(&path.0, 4096).expect("create"));
    // Another user (nobody) pre-created a valid-looking channel at the path, mode 0600.
    std::os::unix::fs::chown(&path.0, Some(65534), Some(65534)).expect("chown");
    let reason = refusal(RingBuffer::create(&path.0, 4096));
    assert_eq!(reason, FileRefusal::Owner { owner: 65534, expected: 0 });
}

#[test]
fn create_never_follows_a_symbolic_link() {
    let target = ShmPath::new("hostile-link-target");
    let link = ShmPath::new("hostile-link");
    drop(RingBuffer::create(&target.0, 4096).expect("create"));
    std::os::unix::fs::symlink(&target.0, &link.0).expect("symlink");
    let reason = refusal(RingBuffer::create(&link.0, 4096));
    assert_eq!(reason, FileRefusal::NotRegular { kind: "symbolic link" });
}

#[test]
fn a_fifo_at_the_path_is_refused_without_blocking() {
    let path = ShmPath::new("hostile-fifo");
    let c_path = std::ffi::CString::new(path.0.as_os_str().as_encoded_bytes()).expect("no NUL");
    // SAFETY: `c_path` is a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0, "mkfifo");
    let (done, results) = mpsc::channel();
    let (attach_path, create_path) = (path.0.clone(), path.0.clone());
    std::thread::spawn(move || {
        let attached = RingBuffer::attach(&attach_path).map(drop);
        let created = RingBuffer::create(&create_path, 4096).map(drop);
        let _ = done.send((attached, created));
    });
    let Ok((attached, created)) = results.recv_timeout(Duration::from_secs(10)) else {
        // Unblock the thread stuck in `open` so the process can end, then fail.
        let _ = std::fs::OpenOptions::new().write(true).open(&path.0);
        panic!("opening a FIFO at the channel path blocked");
    };
    let fifo = FileRefusal::NotRegular { kind: "FIFO" };
    assert!(matches!(attached, Err(OpenError::Refused { reason, .. }) if reason == fifo));
    assert!(matches!(created, Err(OpenError::Refused { reason, .. }) if reason == fifo));
}

#[test]
fn a_sparse_channel_file_is_refused_and_never_allocated_by_a_reader() {
    let made = ShmPath::new("sparse-source");
    let sparse = ShmPath::new("sparse");
    let capacity = 1u64 << 24;
    drop(RingBuffer::create(&made.0, capacity as usize).expect("create"));
    // A valid header followed by 16 MiB of holes: what a hostile user or a crashed tool could
    // leave, and what a reader in a small tmpfs would die of (SIGBUS) on first touch.
    let mut header = vec![0; HEADER as usize];
    std::io::Read::read_exact(&mut std::fs::File::open(&made.0).expect("open"), &mut header)
        .expect("read the header");
    std::fs::write(&sparse.0, &header).expect("write header");
    std::fs::File::options()
        .write(true)
        .open(&sparse.0)
        .and_then(|f| f.set_len(HEADER + capacity))
        .expect("extend");
    let blocks = || std::fs::metadata(&sparse.0).expect("stat").blocks();
    let before = blocks();
    let reason = refusal(RingBuffer::attach(&sparse.0));
    assert!(matches!(reason, FileRefusal::NotAllocated { len, .. } if len == HEADER + capacity));
    assert_eq!(blocks(), before, "the reader allocated nothing");
}

#[test]
fn a_reader_never_allocates_or_prefaults_the_writers_file() {
    let path = ShmPath::new("no-prefault");
    let capacity = 1usize << 24;
    let _writer = RingBuffer::create(&path.0, capacity).expect("create").into_writer();
    let _reader = RingBuffer::attach(&path.0).expect("attach");
    // The reader's mapping is read-only and not populated: resident pages come only from the
    // reads it makes (here: the header), never the whole 16 MiB.
    let inode = std::fs::metadata(&path.0).expect("stat").ino().to_string();
    let rss_kib = reader_rss_kib(&inode);
    assert!(rss_kib < 1024, "a reader that has read only the header has {rss_kib} KiB resident");
}

/// Resident KiB of this process's read-only mapping of the file with inode `inode`.
fn reader_rss_kib(inode: &str) -> u64 {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
    let mut in_reader_mapping = false;
    for line in smaps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first().is_some_and(|f| f.contains('-') && !f.ends_with(':')) {
            in_reader_mapping = fields.get(1) == Some(&"r--s") && fields.get(4) == Some(&inode);
        } else if in_reader_mapping && fields.first() == Some(&"Rss:") {
            return fields[1].parse().expect("a number");
        }
    }
    panic!("no read-only mapping of inode {inode}");
}

#[test]
fn the_mapping_always_has_the_length_that_was_validated() {
    let path = ShmPath::new("shrinking");
    let capacity = 1u64 << 16;
    let full = HEADER + capacity;
    drop(RingBuffer::create(&path.0, capacity as usize).expect("create"));
    // Another process with write permission shrinks the file and grows it back, over and over.
    let stop = Arc::new(AtomicBool::new(false));
    let resizer = {
        let (stop, file) = (Arc::clone(&stop), std::fs::File::options().write(true).open(&path.0));
        let file = file.expect("open for writing");
        std::thread::spawn(move || {
            use std::os::fd::AsRawFd;
            // Each state lasts a few microseconds: long enough to fall between the size check
            // and the mapping of an attach, short enough to do so often.
            let hold = || {
                let since = Instant::now();
                while since.elapsed() < Duration::from_micros(20) {
                    std::hint::spin_loop();
                }
            };
            while !stop.load(Ordering::Relaxed) {
                file.set_len(HEADER + 256).expect("shrink");
                hold();
                // SAFETY: plain integer arguments on an open descriptor.
                let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, full as i64) };
                assert_eq!(rc, 0, "grow back");
                hold();
            }
        })
    };
    let inode = std::fs::metadata(&path.0).expect("stat").ino().to_string();
    let deadline = Instant::now() + Duration::from_secs(3);
    let (mut attached, mut refused) = (0, 0);
    while Instant::now() < deadline && attached < 20_000 {
        match RingBuffer::attach(&path.0) {
            Ok(ring) => {
                attached += 1;
                let mapped = mapped_len(&inode);
                assert_eq!(mapped, full, "attach accepted a mapping shorter than its header says");
                assert_eq!(ring.capacity() as u64, capacity);
            }
            Err(OpenError::Refused { .. } | OpenError::Layout { .. }) => refused += 1,
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    resizer.join().expect("resizer");
    println!("{attached} attached, {refused} refused while the file was being resized");
    assert!(attached + refused > 0);
}

/// Length of this process's only read-only mapping of the file with inode `inode`.
fn mapped_len(inode: &str) -> u64 {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
    let ranges: Vec<u64> = maps
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.get(1) == Some(&"r--s") && f.get(4) == Some(&inode))
        .map(|f| {
            let (start, end) = f[0].split_once('-').expect("a range");
            u64::from_str_radix(end, 16).unwrap() - u64::from_str_radix(start, 16).unwrap()
        })
        .collect();
    assert_eq!(ranges.len(), 1, "one mapping of the channel: {ranges:?}");
    ranges[0]
}

#[test]
fn a_creator_killed_mid_create_leaves_nothing_behind() {
    if let (Ok(path), Ok(capacity)) =
        (std::env::var("BCAST_CREATE_CHILD"), std::env::var("BCAST_CREATE_CAPACITY"))
    {
        // The child: create a large channel, slowly enough to be killed while doing it.
        let _ = RingBuffer::create(&path, capacity.parse().expect("a capacity"));
        return;
    }
    // As large as /dev/shm comfortably holds, up to 1 GiB: allocating it takes long enough to
    // be caught in the act.
    let capacity = (free_bytes(Path::new("/dev/shm")) / 4).min(1 << 30);
    if capacity < 128 << 20 {
        println!("SKIPPED: /dev/shm has too little room to make a slow-enough channel");
        return;
    }
    let path = ShmPath::new("killed-creator");
    let name = path.0.file_name().unwrap().to_string_lossy().into_owned();
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "a_creator_killed_mid_create_leaves_nothing_behind", "--nocapture"])
        .env("BCAST_CREATE_CHILD", &path.0)
        .env("BCAST_CREATE_CAPACITY", capacity.to_string())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the creator");
    // Kill it as soon as it has the channel's file open but not yet linked.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut caught = false;
    while Instant::now() < deadline && !caught {
        caught = open_unlinked_file(child.id(), &lock_path(&path.0));
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(caught, "the creator finished before it could be killed mid-create");
    assert!(!path.0.exists(), "no channel appeared");
    let left: Vec<String> = std::fs::read_dir("/dev/shm")
        .expect("list /dev/shm")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains(&name) && *n != format!(".{name}.lock"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "a half-made file was left behind");
}

/// Whether process `pid` has a file under `/dev/shm` open that is not `lock` and not a linked
/// channel: the file being made.
fn open_unlinked_file(pid: u32, lock: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok()).any(|target| {
        let target = target.to_string_lossy();
        target.starts_with("/dev/shm/") && target != lock.to_string_lossy()
    })
}

#[test]
fn a_sparse_channel_in_a_full_tmpfs_is_refused_without_a_signal() {
    if let Ok(path) = std::env::var("BCAST_SPARSE_CHILD") {
        // The child: read everything as a reader would, then write a lap as a restarted writer
        // would; a SIGBUS kills it.
        match RingBuffer::attach(&path) {
            Ok(ring) => {
                let mut reader = ring.into_reader_at_oldest();
                let mut buf = vec![0; reader.mtu()];
                while let Ok(Some(_)) = reader.try_recv(&mut buf) {}
                println!("reader attached and read");
            }
            Err(e) => println!("reader refused: {e}"),
        }
        match RingBuffer::create(&path, 1 << 22) {
            Ok(ring) => {
                let mut writer = ring.into_writer();
                let payload = vec![7; 4096];
                for _ in 0..2048 {
                    writer.send(&payload).expect("send");
                }
                println!("writer reopened and wrote");
            }
            Err(e) => println!("writer refused: {e}"),
        }
        return;
    }
    // A real 1 MiB tmpfs, where the test may mount one (root, as in CI).
    let Some(tmpfs) = SmallTmpfs::mount("sparse") else {
        println!("SKIPPED: cannot mount a tmpfs here (run as root to check it)");
        return;
    };
    let dir = &tmpfs.0;
    // A valid header over 4 MiB of holes in a 1 MiB file system: touching them cannot succeed.
    let made = ShmPath::new("sparse-tmpfs-source");
    drop(RingBuffer::create(&made.0, 1 << 22).expect("create"));
    let mut header = vec![0; HEADER as usize];
    std::io::Read::read_exact(&mut std::fs::File::open(&made.0).expect("open"), &mut header)
        .expect("read the header");
    let sparse = dir.join("channel");
    std::fs::write(&sparse, &header).expect("write header");
    chmod(&sparse, 0o600);
    std::fs::File::options()
        .write(true)
        .open(&sparse)
        .and_then(|f| f.set_len(HEADER + (1 << 22)))
        .expect("extend");
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "a_sparse_channel_in_a_full_tmpfs_is_refused_without_a_signal"])
        .arg("--nocapture")
        .env("BCAST_SPARSE_CHILD", &sparse)
        .output()
        .expect("run the reader");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the child died: {:?}\n{stdout}", output.status);
    assert!(stdout.contains("reader refused: ") && stdout.contains("allocated"), "{stdout}");
    assert!(stdout.contains("writer refused: ") && stdout.contains("no space"), "{stdout}");
}

#[test]
fn create_refuses_a_channel_file_with_a_second_name() {
    let other = ShmPath::new("hostile-hardlink-other");
    let path = ShmPath::new("hostile-hardlink");
    drop(RingBuffer::create(&other.0, 4096).expect("create"));
    // A link, at the channel's path, to another channel of the same user.
    std::fs::hard_link(&other.0, &path.0).expect("link");
    let reason = refusal(RingBuffer::create(&path.0, 4096));
    assert_eq!(reason, FileRefusal::HardLinked { links: 2 });
}

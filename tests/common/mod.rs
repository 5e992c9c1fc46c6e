//! Fixtures shared by the integration tests.
#![allow(dead_code, unreachable_pub)]
// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

use std::path::PathBuf;

// A serde serializer: only with the `serde` feature, which makes serde available to the tests.
#[cfg(feature = "serde")]
pub mod canonical;
pub mod feed;
pub mod keyed;
pub mod layout;
pub mod market;
mod shm_path;

// A file of its own so that the CLI's tests can include it; not every test uses it.
#[allow(unused_imports)]
pub use shm_path::{ShmPath, lock_path};

/// A payload of `len` bytes that encodes `seq` and can be checked for tearing: the first 8 bytes
/// are `seq`, every following byte is derived from `seq` and its index.
pub fn payload(seq: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    fill_payload(seq, &mut bytes);
    bytes
}

/// Writes the payload for `seq` into `buf` (see [`payload`]).
pub fn fill_payload(seq: u64, buf: &mut [u8]) {
    let head = seq.to_le_bytes();
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte = if i < 8 { head[i] } else { pattern(seq, i) };
    }
}

/// Checks a received payload and returns its sequence number, or panics naming the torn byte.
pub fn check_payload(bytes: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    let n = bytes.len().min(8);
    head[..n].copy_from_slice(&bytes[..n]);
    let seq = u64::from_le_bytes(head);
    if bytes.len() >= 8 {
        for (i, &byte) in bytes.iter().enumerate().skip(8) {
            assert_eq!(byte, pattern(seq, i), "torn payload: byte {i} of message {seq}");
        }
    }
    seq
}

/// Payload length used for message `seq` by the tests that vary sizes: 8 to `max` bytes.
pub fn len_for(seq: u64, max: usize) -> usize {
    8 + (seq.wrapping_mul(2_654_435_761) % (max as u64 - 7)) as usize
}

fn pattern(seq: u64, i: usize) -> u8 {
    (seq as u8).wrapping_mul(31).wrapping_add(i as u8)
}

/// Whether this process runs as root (and so may act as another user).
pub fn is_root() -> bool {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs the test `name` of this test binary in a child process as the user `nobody` (uid and
/// gid 65534), with `envs`. The binary is copied to a fresh directory under the system's
/// temporary directory first, so the child can run it wherever the target directory is (for
/// instance under a home directory that `nobody` cannot enter); the copy is removed after.
pub fn run_as_nobody(name: &str, envs: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    // `/tmp` rather than `$TMPDIR`, which may point where `nobody` cannot go.
    let base = std::path::Path::new("/tmp");
    let base = if base.is_dir() { base.to_path_buf() } else { std::env::temp_dir() };
    let dir = base.join(format!("bcast-as-nobody-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make a directory for the test binary");
    let guard = RemoveDir(dir.clone());
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let exe = dir.join("test-binary");
    std::fs::copy(std::env::current_exe().expect("test binary"), &exe).expect("copy the binary");
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod exe");
    let run = || {
        std::process::Command::new(&exe)
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .envs(envs.iter().copied())
            .current_dir(&dir)
            .uid(65534)
            .gid(65534)
            .output()
    };
    // A process that another test thread forks while the copy is still open for writing keeps
    // it open until it execs, and the kernel refuses to run a file open for writing (ETXTBSY):
    // try again for a little while.
    let mut output = run();
    for _ in 0..100 {
        match &output {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
                output = run();
            }
            _ => break,
        }
    }
    drop(guard);
    output.expect("spawn the test binary as nobody")
}

/// Removes a directory tree when dropped.
struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes free for an unprivileged user in the file system of `dir`.
pub fn free_bytes(dir: &std::path::Path) -> u64 {
    let c_dir = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).expect("no NUL");
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_dir` is a NUL-terminated path and `stat` points to writable memory of the
    // right type; `statvfs` initialises it when it returns 0.
    let rc = unsafe { libc::statvfs(c_dir.as_ptr(), stat.as_mut_ptr()) };
    assert_eq!(rc, 0, "statvfs {}", dir.display());
    // SAFETY: `statvfs` returned 0, so it initialised `stat`.
    let stat = unsafe { stat.assume_init() };
    stat.f_bavail * stat.f_frsize
}

/// A real 1 MiB tmpfs mounted for one test, unmounted and removed when dropped.
pub struct SmallTmpfs(pub PathBuf);

impl SmallTmpfs {
    /// Mounts one, or returns `None` where this process may not mount (not root, or a sandbox
    /// that forbids it).
    pub fn mount(name: &str) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("bcast-tmpfs-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            Some(Self(dir))
        } else {
            let _ = std::fs::remove_dir(&dir);
            None
        }
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A heap ring of `capacity` bytes: its writer, and a reader at the start.
pub fn writer_and_reader(capacity: usize) -> (bcast::Writer, bcast::Reader) {
    let ring = bcast::RingBuffer::with_capacity(capacity);
    let writer = ring.clone().into_writer();
    (writer, ring.into_reader())
}

/// A publisher of the typed channel `C` on a heap ring of `capacity` bytes, and a subscriber.
pub fn heap_channel<C: bcast::typed::Channel>(
    capacity: usize,
) -> Result<(bcast::typed::Publisher<C>, bcast::typed::Subscriber<C>), bcast::typed::TypedOpenError>
{
    let ring = bcast::RingBuffer::with_capacity(capacity);
    let publisher = bcast::typed::Publisher::<C>::new(ring.clone())?;
    let subscriber = bcast::typed::Subscriber::<C>::new(ring)?;
    Ok((publisher, subscriber))
}

/// Sends the 32-byte payload (see [`payload`]) of every `seq` in `seqs`: 64-byte frames, 16 to
/// a KiB.
pub fn send_frames(
    writer: &mut bcast::Writer,
    seqs: std::ops::Range<u64>,
) -> Result<(), bcast::Error> {
    for seq in seqs {
        writer.send(&payload(seq, 32))?;
    }
    Ok(())
}

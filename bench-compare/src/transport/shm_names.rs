//! Unique `/dev/shm` paths for bench channels, removed when no longer needed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out unique channel paths and removes them (and bcast 1.0's `<path>.lock` sidecar
/// files) when dropped, also when a bench panics.
///
/// Paths look like `/dev/shm/bcast-bench-<pid>-<n>`, so that concurrent bench processes and
/// leftovers of a killed run never collide. Set `BENCH_SHM_DIR` to use another directory.
#[derive(Debug, Default)]
pub struct ShmNames {
    made: Vec<PathBuf>,
}

impl ShmNames {
    /// No paths yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh path, to be removed with the others.
    pub fn fresh(&mut self) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::var_os("BENCH_SHM_DIR").unwrap_or_else(|| "/dev/shm".into());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(&dir).join(format!("bcast-bench-{}-{n}", std::process::id()));
        self.made.push(path.clone());
        path
    }

    /// Removes every path made so far (and its lock sidecar); missing files are fine.
    pub fn remove_all(&mut self) {
        for path in self.made.drain(..) {
            remove(&path);
        }
    }
}

impl Drop for ShmNames {
    fn drop(&mut self) {
        self.remove_all();
    }
}

/// Removes a channel file with our `.NAME.lock` and bcast 1.0's `<path>.lock` sidecars,
/// ignoring missing files.
pub fn remove(path: &Path) {
    let _ = bcast::RingBuffer::remove(path);
    let _ = std::fs::remove_file(path);
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    let _ = std::fs::remove_file(PathBuf::from(lock));
}

//! A `/dev/shm` channel path for one test. It needs nothing but `std`, so that the CLI's tests
//! can include this file too (`#[path = "../../tests/common/shm_path.rs"]`).
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

/// A `/dev/shm` path unique to this process and `name`, removed when dropped.
pub struct ShmPath(pub PathBuf);

impl ShmPath {
    pub fn new(name: &str) -> Self {
        let path = PathBuf::from(format!("/dev/shm/bcast-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }

    /// The path as a string, for a command line.
    pub fn as_str(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for ShmPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        // A writer that was killed leaves its lock file `.NAME.lock` beside the channel.
        let _ = std::fs::remove_file(lock_path(&self.0));
    }
}

/// The writer lock file of the channel at `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    let name = path.file_name().expect("a file name").to_string_lossy();
    path.with_file_name(format!(".{name}.lock"))
}

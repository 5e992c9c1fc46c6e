//! The single-writer lock: an exclusive `flock` on a file beside the channel that only the
//! writer's user can open.
//!
//! The lock cannot live on the channel file itself: any file a reader can open, it can lock,
//! so a reader holding a shared lock (or a monitoring tool probing one) would refuse every
//! writer. The lock file `.NAME.lock`, next to the channel `NAME`, has mode `0600` and belongs
//! to the writer's user; one left by another user, or with other permissions, is refused.
//!
//! The lock file stays when its writer goes, like the channel itself, and the next writer
//! reuses it: were it removed, any user who may create files in the directory could take the
//! name between two runs of the writer and keep it out for good (a sticky `/dev/shm` lets only
//! the file's owner remove it). [`RingBuffer::remove`](crate::RingBuffer::remove) deletes a
//! channel together with its lock file. Should someone remove the lock file by hand, whoever
//! takes the lock checks afterwards that the path still names the file it locked, and starts
//! over if not, so two writers never hold the same channel.
//!
//! The `flock` belongs to the open file, which a forked child shares: only the process that
//! took the lock acts on it (see `ChannelFile`'s drop).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::io_error;
use super::open::{check_owned, check_regular};
use crate::error::{FileRefusal, OpenError};

/// Permission bits of every lock file.
const LOCK_MODE: u32 = 0o600;

/// An exclusive `flock` on a channel's lock file, held until dropped (closing the file
/// releases it).
#[derive(Debug)]
pub(crate) struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the writer lock of the channel at `channel`.
    ///
    /// # Errors
    ///
    /// [`OpenError::WriterExists`] if another writer holds it; [`OpenError::Refused`] if the lock
    /// file is not a regular file of this user with mode `0600`; [`OpenError::Io`] if it cannot
    /// be made (e.g. the directory is not writable).
    pub(crate) fn acquire(channel: &Path) -> Result<Self, OpenError> {
        let path = lock_path(channel);
        // The path only changes under us if someone removed the lock file just as we opened it;
        // a few rounds settle that.
        for _ in 0..64 {
            let Some(file) = open_lock_file(&path)? else { continue };
            if let Err(e) = lock_exclusive(&file) {
                return Err(if e.kind() == io::ErrorKind::WouldBlock {
                    OpenError::WriterExists { path: channel.to_owned() }
                } else {
                    io_error(&path, "lock", e)
                });
            }
            if names(&path, &file) {
                return Ok(Self { _file: file });
            }
        }
        let source = io::Error::other("the lock file kept being replaced");
        Err(io_error(&path, "lock", source))
    }
}

impl WriterLock {
    /// Releases the lock of a channel that failed to be made, removing the lock file too if it
    /// is still the one at `channel`'s lock path: with no channel at the path there is nothing
    /// whose name it needs to keep.
    pub(crate) fn discard(self, channel: &Path) {
        let path = lock_path(channel);
        if names(&path, &self._file) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

impl WriterLock {
    /// Whether a process holds the lock of `channel` now, probed with a shared lock taken and
    /// released at once (a writer taking the lock meanwhile waits a moment: see
    /// `lock_exclusive`). A lock file that cannot be opened (another user's) counts as held.
    pub(crate) fn is_held(channel: &Path) -> bool {
        let path = lock_path(channel);
        let flags = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
        let file = match OpenOptions::new().read(true).custom_flags(flags).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return false,
            Err(_) => return true,
        };
        match flock(&file, libc::LOCK_SH | libc::LOCK_NB) {
            Ok(()) => {
                let _ = flock(&file, libc::LOCK_UN);
                false
            }
            Err(_) => true,
        }
    }
}

/// `DIR/.NAME.lock` for the channel `DIR/NAME`.
pub(crate) fn lock_path(channel: &Path) -> PathBuf {
    let name = channel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    channel.with_file_name(format!(".{name}.lock"))
}

/// Creates the lock file, or opens the existing one if it is a regular file of ours with mode
/// `0600` and one name; `None` if it was removed while being opened (try again).
fn open_lock_file(path: &Path) -> Result<Option<File>, OpenError> {
    let flags = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
    let mut options = OpenOptions::new();
    options.read(true).write(true).custom_flags(flags);
    match options.clone().create_new(true).mode(LOCK_MODE).open(path) {
        Ok(file) => {
            // The umask may have cleared bits of the mode: set it exactly.
            file.set_permissions(std::fs::Permissions::from_mode(LOCK_MODE))
                .map_err(|e| io_error(path, "set the mode of", e))?;
            return Ok(Some(file));
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_error(path, "create", e)),
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            let reason = FileRefusal::NotRegular { kind: "symbolic link" };
            return Err(OpenError::Refused { path: path.to_owned(), reason });
        }
        Err(e) => return Err(io_error(path, "open", e)),
    };
    let meta = file.metadata().map_err(|e| io_error(path, "stat", e))?;
    if meta.nlink() == 0 {
        return Ok(None);
    }
    check_regular(&meta, path)?;
    check_owned(&file, path, LOCK_MODE)?;
    Ok(Some(file))
}

/// Whether `path` names the very file `file` is open on.
fn names(path: &Path, file: &File) -> bool {
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => (named.dev(), named.ino()) == (open.dev(), open.ino()),
        _ => false,
    }
}

/// Takes the exclusive lock, waiting up to about 60 ms for it.
///
/// A writer that has just let go may still hold the lock for a moment: a child process that
/// another thread of its program was forking at that instant shares the lock file's descriptor
/// until it `exec`s (which closes it). A live writer still refuses the caller, only a little
/// later.
fn lock_exclusive(file: &File) -> io::Result<()> {
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        match flock(file, libc::LOCK_EX | libc::LOCK_NB) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && pause.as_millis() <= 32 => {
                std::thread::sleep(pause);
                pause *= 2;
            }
            other => return other,
        }
    }
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<()> {
    // SAFETY: `flock` only reads its integer arguments; the descriptor is open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), operation) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

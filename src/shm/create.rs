//! Making a new channel file: unnamed until it is complete, so that neither a reader nor a
//! crashed creator ever leaves a half-made file behind.
//!
//! The file is opened with `O_TMPFILE` in the channel's directory: it has no name, so no reader
//! can open it, and if the creator dies at any point before the end the kernel frees it with the
//! creator's descriptors. Once allocated, mapped and initialised it is linked to its path with
//! `linkat` through `/proc/self/fd`, which fails if the path exists meanwhile: a creator never
//! replaces a file.

use std::ffi::CString;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use super::open::{Protection, map_exactly};
use super::{ChannelFile, FileHandle, Opened, Request, allocate, io_error};
use crate::error::OpenError;
use crate::ring::header::{HEADER_SIZE, new_epoch};
use crate::ring::raw;

/// Makes, initialises and links a new channel file at the request's path, whose writer lock
/// the caller holds.
///
/// # Errors
///
/// [`OpenError::Io`] with [`io::ErrorKind::AlreadyExists`] if a file appeared at `path`
/// meanwhile (nothing is left behind: the caller can open that file instead); otherwise as for
/// `RingBuffer::create`.
pub(super) fn create_new<R, F>(request: &Request<'_, F>) -> Result<R, OpenError>
where
    R: FileHandle,
    F: Fn(&R, Opened) -> Result<(), OpenError>,
{
    let Request { path, capacity, table, options, lock, init } = *request;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .mode(options.mode)
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .open(dir)
        .map_err(|e| io_error(path, "create an unnamed file (O_TMPFILE) for", e))?;
    // The umask may have cleared bits of the requested mode: set it exactly.
    file.set_permissions(std::fs::Permissions::from_mode(options.mode))
        .map_err(|e| io_error(path, "set the mode of", e))?;
    let table_len = table
        .len()
        .ok_or_else(|| OpenError::NoSpace { path: path.to_owned(), needed: u64::MAX })?;
    let len = HEADER_SIZE as u64 + capacity + table_len;
    allocate(&file, path, len)?;
    let map = map_exactly(&file, path, len, Protection::ReadWrite)?;
    // The descriptor stays open while `ring` owns `file`, which outlives the link below.
    let fd = file.as_raw_fd();
    let channel = ChannelFile::new(map, file, path, capacity, Some(Arc::clone(lock)));
    // SAFETY: the mapping is page-aligned, exactly `HEADER_SIZE + capacity + table.len()` bytes
    // (F1) of a new zero-filled file no other process can name yet, accessed only atomically.
    unsafe { raw::initialise(channel.base(), capacity, table, new_epoch()) };
    channel.claim_writer();
    let ring = R::wrap(channel);
    init(&ring, Opened::New)?;
    link(fd, path)?;
    Ok(ring)
}

/// Gives the unnamed file open on `fd` the name `path`; fails with `AlreadyExists` if `path`
/// exists.
fn link(fd: RawFd, path: &Path) -> Result<(), OpenError> {
    let invalid = |_| io_error(path, "link", io::Error::from(io::ErrorKind::InvalidInput));
    let from = CString::new(format!("/proc/self/fd/{fd}")).map_err(invalid)?;
    let to = CString::new(path.as_os_str().as_bytes()).map_err(invalid)?;
    // SAFETY: both arguments are NUL-terminated strings that outlive the call; `linkat` only
    // reads them.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 { Ok(()) } else { Err(io_error(path, "link", io::Error::last_os_error())) }
}

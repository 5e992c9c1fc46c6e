//! Opening an existing file as a channel, or as a writer lock, without trusting it.
//!
//! Another local user may have put anything at a channel's path: a FIFO (whose `open` would
//! block), a device, a symbolic link to a file of ours, a file of their own that they can read
//! and rewrite, a sparse file that raises `SIGBUS` when a page is touched in a full tmpfs, or a
//! file they resize while we map it. Each is refused here with [`OpenError::Refused`] before
//! anything in the file is used.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use memmap2::{MmapOptions, MmapRaw};

use super::io_error;
use crate::error::{FileRefusal, LayoutError, OpenError};
use crate::ring::header::{HEADER_SIZE, MIN_CAPACITY};

/// How [`open_existing`] opens the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Read-only, following symbolic links: a reader attaching.
    Read,
    /// Read-write, refusing symbolic links: a writer reopening a channel it will own.
    Write,
}

/// Opens the existing regular file at `path`; anything else is refused without blocking.
///
/// # Errors
///
/// [`OpenError::Io`] (with `NotFound` when nothing is there), [`OpenError::Refused`] with
/// [`FileRefusal::NotRegular`] for a FIFO, directory, device, socket, or, for
/// [`Access::Write`], a symbolic link.
pub(super) fn open_existing(path: &Path, access: Access) -> Result<File, OpenError> {
    // A first look before opening, so that a device node is never opened (opening some has
    // side effects); the check on the open file below is the one that counts.
    let named = match access {
        Access::Read => std::fs::metadata(path),
        Access::Write => std::fs::symlink_metadata(path),
    };
    check_regular(&named.map_err(|e| io_error(path, "open", e))?, path)?;
    let mut options = OpenOptions::new();
    // O_NONBLOCK: a FIFO swapped in after the look above must not block the open.
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    match access {
        Access::Read => options.read(true),
        Access::Write => {
            flags |= libc::O_NOFOLLOW;
            options.read(true).write(true)
        }
    };
    let file = options.custom_flags(flags).open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            refused(path, FileRefusal::NotRegular { kind: "symbolic link" })
        } else {
            io_error(path, "open", e)
        }
    })?;
    check_regular(&metadata(&file, path)?, path)?;
    Ok(file)
}

/// Checks that `file`, which a writer is about to own, belongs to this process's effective uid,
/// has exactly the permission bits `mode`, and has no other name.
///
/// # Errors
///
/// [`OpenError::Refused`] with [`FileRefusal::Owner`], [`FileRefusal::Mode`] or
/// [`FileRefusal::HardLinked`].
pub(super) fn check_owned(file: &File, path: &Path, mode: u32) -> Result<(), OpenError> {
    let meta = metadata(file, path)?;
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if meta.uid() != euid {
        return Err(refused(path, FileRefusal::Owner { owner: meta.uid(), expected: euid }));
    }
    let found = meta.mode() & 0o7777;
    if found != mode & 0o7777 {
        return Err(refused(path, FileRefusal::Mode { found, expected: mode & 0o7777 }));
    }
    // A writer's files have one name each: a second one is a link someone else made (where
    // `fs.protected_hardlinks` allows it) to another file of ours.
    if meta.nlink() != 1 {
        return Err(refused(path, FileRefusal::HardLinked { links: meta.nlink() }));
    }
    Ok(())
}

/// Whether `file` no longer has a name (it was removed after it was opened).
pub(super) fn is_unlinked(file: &File) -> bool {
    file.metadata().is_ok_and(|meta| meta.nlink() == 0)
}

/// The file's length, refused if it cannot hold a header and the smallest ring.
///
/// # Errors
///
/// [`OpenError::Layout`] with [`LayoutError::TooShort`].
pub(super) fn channel_len(file: &File, path: &Path) -> Result<u64, OpenError> {
    let len = metadata(file, path)?.len();
    let min = HEADER_SIZE as u64 + MIN_CAPACITY;
    if len < min {
        let reason = LayoutError::TooShort { len, min };
        return Err(OpenError::Layout { path: path.to_owned(), reason });
    }
    Ok(len)
}

/// Refuses a file whose blocks are not all allocated: a reader must never allocate the writer's
/// memory, nor fault on a page that a full tmpfs cannot supply.
///
/// # Errors
///
/// [`OpenError::Refused`] with [`FileRefusal::NotAllocated`].
pub(super) fn check_allocated(file: &File, path: &Path, len: u64) -> Result<(), OpenError> {
    // `st_blocks` counts 512-byte units whatever the file system's block size.
    let allocated = metadata(file, path)?.blocks().saturating_mul(512);
    if allocated < len {
        return Err(refused(path, FileRefusal::NotAllocated { allocated, len }));
    }
    Ok(())
}

/// Whether a mapping may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protection {
    ReadOnly,
    ReadWrite,
}

/// Maps exactly `len` bytes of `file` (the length that was checked), then checks that the file
/// still has that length, so the mapping never extends past the end of the file it maps.
///
/// # Errors
///
/// [`OpenError::Io`] if the mapping fails; [`OpenError::Refused`] with
/// [`FileRefusal::Resized`] if the file's length changed meanwhile.
pub(super) fn map_exactly(
    file: &File,
    path: &Path,
    len: u64,
    protection: Protection,
) -> Result<MmapRaw, OpenError> {
    let size = usize::try_from(len).map_err(|_| {
        io_error(path, "map", io::Error::other("the file is larger than the address space"))
    })?;
    let mut options = MmapOptions::new();
    options.len(size);
    let map = match protection {
        Protection::ReadOnly => options.map_raw_read_only(file),
        Protection::ReadWrite => options.populate().map_raw(file),
    }
    .map_err(|e| io_error(path, "map", e))?;
    let now = metadata(file, path)?.len();
    if now != len {
        return Err(refused(path, FileRefusal::Resized { checked: len, now }));
    }
    Ok(map)
}

/// Refuses anything but a regular file.
pub(super) fn check_regular(meta: &Metadata, path: &Path) -> Result<(), OpenError> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let kind = if kind.is_fifo() {
        "FIFO"
    } else if kind.is_dir() {
        "directory"
    } else if kind.is_symlink() {
        "symbolic link"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() {
        "block device"
    } else if kind.is_char_device() {
        "character device"
    } else {
        "special file"
    };
    Err(refused(path, FileRefusal::NotRegular { kind }))
}

fn metadata(file: &File, path: &Path) -> Result<Metadata, OpenError> {
    file.metadata().map_err(|e| io_error(path, "stat", e))
}

fn refused(path: &Path, reason: FileRefusal) -> OpenError {
    OpenError::Refused { path: path.to_owned(), reason }
}

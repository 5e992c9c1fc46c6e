//! Channel files under `/dev/shm`: create (or reopen) as the single writer, attach as a reader.
//!
//! # Why mapping a shared file is sound here
//!
//! memmap2 leaves the caller responsible for the file being modified outside the process while
//! it is mapped. This module discharges that obligation as follows:
//!
//! - the mapping is only ever accessed through 8-byte atomics (`ring::raw`), never through
//!   references to plain bytes, so concurrent stores by other processes are atomic accesses
//!   racing with atomic accesses: defined behaviour, whose torn *values* the ring protocol
//!   detects and discards;
//! - only regular files are opened, without blocking (a FIFO at the path is refused, not waited
//!   on); a writer reopens only a file of its own user with exactly the mode it asked for, and
//!   never follows a symbolic link (`open`);
//! - a channel is made unnamed (`O_TMPFILE`), sized with `posix_fallocate` (a full tmpfs fails
//!   there with `ENOSPC` instead of raising `SIGBUS` on first touch), initialised, and only then
//!   linked to its path, so no reader ever maps a half-made file and a creator that dies leaves
//!   nothing behind (`create`);
//! - a reader refuses a file whose blocks are not all allocated (a page it touched could then
//!   fault in a full tmpfs), and never allocates or prefaults the writer's file;
//! - the length that is validated is the length that is mapped: the file's size is read, the
//!   header checked against it, exactly that many bytes mapped, and the size read again after
//!   mapping (a file resized meanwhile is refused);
//! - one writer at a time holds an exclusive `flock` on a lock file that only its user can open
//!   (`lock`), and publishes who it is for readers' liveness checks (`liveness`);
//! - readers map read-only and issue only relaxed loads of at most 8 bytes, which are valid on
//!   read-only memory.
//!
//! What this module cannot prevent is a process with write permission on the file truncating
//! it (or punching holes in it) under a live mapping: the next access to a page past the new end
//! raises `SIGBUS`. Channel files are made mode `0600`, so only the writer's own user (and root)
//! can; a reader that attaches only to files of users it trusts, and not writable by others
//! ([`ChannelInfo::file_mode`](crate::ChannelInfo::file_mode)), is safe from it.

mod create;
mod liveness;
pub(crate) mod lock;
mod open;

use core::ptr::NonNull;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{LayoutError, OpenError};
use crate::ring::header::{HEADER_SIZE, Header, WAKE_OFFSET, WAKE_PAGE_LEN, WAKE_PAGE_OFFSET};
use crate::ring::raw;
use crate::ring::table::TableLayout;
use crate::sync::Ordering;
use lock::WriterLock;
use open::{Access, Protection};

/// A mapped channel file, and for a writer the lock that makes it the only one.
///
/// # Invariants
/// - **F1** `map` is exactly `HEADER_SIZE + capacity + table_len` bytes of `file`, and `file`
///   had that length when it was mapped; the header at its start was validated (or
///   initialised) for `capacity` and `table_len`.
/// - **F2** `lock` is `Some` exactly for a writer's handle, which maps the file read-write; a
///   reader's mapping is read-only.
#[derive(Debug)]
pub(crate) struct ChannelFile {
    map: MmapRaw,
    /// Held for the mapping's lifetime; `is_replaced` and `map_wake_page` use it.
    file: File,
    path: PathBuf,
    capacity: u64,
    /// The single-writer lock, shared with `create_channel` until the file is linked.
    lock: Option<Arc<WriterLock>>,
    /// For a writer's handle: the process that took the lock and the liveness record it
    /// publishes. A forked child shares the handle but is not that process, so it neither
    /// publishes nor clears anything.
    writer: Option<(u32, u64)>,
}

impl ChannelFile {
    fn new(
        map: MmapRaw,
        file: File,
        path: &Path,
        capacity: u64,
        lock: Option<Arc<WriterLock>>,
    ) -> Self {
        let writer = lock.as_ref().map(|_| (std::process::id(), liveness::this_process()));
        Self { map, file, path: path.to_owned(), capacity, lock, writer }
    }

    pub(crate) fn base(&self) -> NonNull<u8> {
        base_of(&self.map)
    }

    /// The channel header at the start of the mapping.
    fn header(&self) -> &Header {
        // SAFETY: the mapping is page-aligned and at least `HEADER_SIZE` bytes long (F1), lives
        // as long as `self`, and is only accessed atomically.
        unsafe { raw::header_at(self.base()) }
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes of the last-value table after the data section: what the mapping holds past it
    /// (F1).
    pub(crate) fn table_len(&self) -> u64 {
        (self.map.len() as u64).saturating_sub(HEADER_SIZE as u64 + self.capacity)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `path` no longer names the mapped file: it was deleted, or replaced by another
    /// channel. The mapping stays valid either way; it is just no longer what the path names.
    pub(crate) fn is_replaced(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(mapped) = self.file.metadata() else { return true };
        match std::fs::metadata(&self.path) {
            Ok(named) => (named.dev(), named.ino()) != (mapped.dev(), mapped.ino()),
            Err(_) => true,
        }
    }

    /// Whether this handle holds the writer lock (and so maps the channel writable).
    pub(crate) fn holds_writer_lock(&self) -> bool {
        self.lock.is_some()
    }

    /// Maps the header page that holds the wake words writable, for a reader that parks, and
    /// returns the mapping with a pointer to the wake words in it. Reopens the very file this
    /// handle mapped (through `/proc/self/fd`), so a replaced path cannot redirect it; fails
    /// where the process may not write the file.
    pub(crate) fn map_wake_page(&self) -> io::Result<(MmapRaw, NonNull<u8>)> {
        let fd_path = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        let file = OpenOptions::new().read(true).write(true).open(fd_path)?;
        let offset = WAKE_PAGE_OFFSET as u64;
        let map = MmapOptions::new().offset(offset).len(WAKE_PAGE_LEN).map_raw(&file)?;
        // SAFETY: the mapping is the wake page, and the wake words lie inside it (M3).
        let words = unsafe { base_of(&map).add(WAKE_OFFSET - WAKE_PAGE_OFFSET) };
        Ok((map, words))
    }

    /// Whether a writer holds this channel: this handle, or the live process whose record is
    /// in the header (see `liveness`). Takes no lock, so it never gets in a writer's way.
    pub(crate) fn writer_alive(&self) -> bool {
        self.holds_writer_lock() || liveness::is_alive(self.writer_record())
    }

    /// Process id of the writer recorded in the header, if any (alive or not).
    pub(crate) fn writer_pid(&self) -> Option<u32> {
        liveness::pid_of(self.writer_record())
    }

    fn writer_record(&self) -> u64 {
        self.header().writer.load(Ordering::Relaxed)
    }

    /// Records this process as the channel's writer, for readers' liveness checks; a no-op on
    /// a reader's handle.
    fn claim_writer(&self) {
        if let Some((_, record)) = self.writer {
            self.header().writer.store(record, Ordering::Relaxed);
        }
    }
}

impl Drop for ChannelFile {
    fn drop(&mut self) {
        // Only in the process that took the lock: a forked child dropping its copy of the handle
        // must not clear the record of a writer that goes on (the lock, shared with it, stays).
        if let Some((pid, record)) = self.writer
            && pid == std::process::id()
        {
            // Fields drop after this, so the lock is still held: no other writer can have stored
            // its record. Clear ours (only ours: the exchange fails on anything else).
            let _ = self.header().writer.compare_exchange(
                record,
                0,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }
}

/// How to create a channel file, in the shape of [`std::fs::OpenOptions`]: set options, then
/// [`create`](CreateOptions::create). [`RingBuffer::create`](crate::RingBuffer::create) is
/// `CreateOptions::new().create(path, capacity)`.
///
/// # Examples
///
/// ```no_run
/// // Let the owner's group attach readers.
/// let ring = bcast::CreateOptions::new().mode(0o640).create("/dev/shm/prices", 1 << 20)?;
/// let _writer = ring.into_writer();
/// # Ok::<(), bcast::OpenError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    pub(crate) mode: u32,
}

impl CreateOptions {
    /// The defaults: mode `0o600` (owner only).
    pub fn new() -> Self {
        Self { mode: 0o600 }
    }

    /// Sets the permission bits of a newly made channel file (a reopened one must already
    /// have them). Use `0o640` to let the owner's group attach readers.
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }
}

impl Default for CreateOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The handle a created or reopened channel file becomes, made by the layer above (the
/// `RingBuffer`), so that channel files do not depend on it.
pub(crate) trait FileHandle: Sized {
    /// Takes ownership of the channel file.
    fn wrap(channel: ChannelFile) -> Self;
    /// The channel file the handle owns.
    fn channel(&self) -> Option<&ChannelFile>;
}

/// Maps the channel file at `path` read-only, for readers (`RingBuffer::attach`).
pub(crate) fn attach(path: &Path) -> Result<ChannelFile, OpenError> {
    let file = open::open_existing(path, Access::Read)?;
    let len = open::channel_len(&file, path)?;
    open::check_allocated(&file, path, len)?;
    let map = open::map_exactly(&file, path, len, Protection::ReadOnly)?;
    validate(map, file, path, None)
}

/// Deletes the channel file at `path` and its writer lock file (`RingBuffer::remove`).
pub(crate) fn remove(path: &Path) -> Result<(), OpenError> {
    std::fs::remove_file(path).map_err(|e| io_error(path, "remove", e))?;
    match std::fs::remove_file(lock::lock_path(path)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(io_error(path, "remove the lock file of", e))
        }
        _ => Ok(()),
    }
}

/// Whether [`create_channel`] made a new channel file or reopened an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// A new file, not yet visible at its path: nothing but the creator has seen it.
    New,
    /// An existing channel whose previous writer went away; it may hold frames.
    Existing,
}

/// Creates or reopens the channel at `path`; `init` runs on a new channel's header before it is
/// made visible (the typed layer writes its registry there), and on a reopened one to check it.
pub(crate) fn create_channel<R: FileHandle>(
    path: &Path,
    capacity: u64,
    table: &TableLayout,
    options: &CreateOptions,
    init: impl Fn(&R, Opened) -> Result<(), OpenError>,
) -> Result<R, OpenError> {
    // Held until the channel's handle owns it: no other `bcast` writer creates or reopens the
    // channel meanwhile, so the path only changes if something else puts a file there.
    let lock = Arc::new(WriterLock::acquire(path)?);
    let made = open_or_make(&Request { path, capacity, table, options, lock: &lock, init: &init });
    if made.is_err()
        && std::fs::symlink_metadata(path).is_err()
        && let Ok(lock) = Arc::try_unwrap(lock)
    {
        // Nothing was made: leave no lock file behind either.
        lock.discard(path);
    }
    made
}

/// What [`create_channel`] was asked for, with the writer lock it holds meanwhile.
struct Request<'a, F> {
    path: &'a Path,
    capacity: u64,
    /// The last-value table of a new channel; a reopened one must have one as long.
    table: &'a TableLayout,
    options: &'a CreateOptions,
    lock: &'a Arc<WriterLock>,
    /// Runs on the new or reopened channel before `create_channel` returns it.
    init: &'a F,
}

/// The loop of [`create_channel`], under the writer lock.
fn open_or_make<R, F>(request: &Request<'_, F>) -> Result<R, OpenError>
where
    R: FileHandle,
    F: Fn(&R, Opened) -> Result<(), OpenError>,
{
    let path = request.path;
    for _ in 0..8 {
        match open::open_existing(path, Access::Write) {
            // Removed while we opened it: make a new one instead.
            Ok(file) if open::is_unlinked(&file) => {}
            Ok(file) => return reopen(file, request),
            Err(OpenError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        match create::create_new(request) {
            Err(OpenError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {}
            other => return other,
        }
    }
    Err(io_error(path, "create", io::Error::other("the path kept appearing and disappearing")))
}

/// Reopens the channel file `file` at `path` as its writer, after its previous writer went away.
fn reopen<R, F>(file: File, request: &Request<'_, F>) -> Result<R, OpenError>
where
    R: FileHandle,
    F: Fn(&R, Opened) -> Result<(), OpenError>,
{
    let Request { path, capacity, table, options, lock, init } = *request;
    open::check_owned(&file, path, options.mode)?;
    let len = open::channel_len(&file, path)?;
    // A writer may allocate its own file: blocks a crash or a hole left unallocated are filled
    // in now (a full file system is `NoSpace` here rather than `SIGBUS` on first touch).
    allocate(&file, path, len)?;
    let map = open::map_exactly(&file, path, len, Protection::ReadWrite)?;
    let channel = validate(map, file, path, Some(Arc::clone(lock)))?;
    if channel.capacity != capacity {
        let reason =
            LayoutError::CapacityMismatch { existing: channel.capacity, requested: capacity };
        return Err(OpenError::Layout { path: path.to_owned(), reason });
    }
    if Some(channel.table_len()) != table.len() {
        return Err(OpenError::Layout {
            path: path.to_owned(),
            reason: LayoutError::TableMismatch,
        });
    }
    let ring = R::wrap(channel);
    init(&ring, Opened::Existing)?;
    // Only once the channel is accepted do readers learn of its new writer.
    if let Some(channel) = ring.channel() {
        channel.claim_writer();
    }
    Ok(ring)
}

/// Checks the header of a mapped file against the length actually mapped, and wraps it.
fn validate(
    map: MmapRaw,
    file: File,
    path: &Path,
    lock: Option<Arc<WriterLock>>,
) -> Result<ChannelFile, OpenError> {
    let mapped = map.len() as u64;
    // Capacity 0 until validated: the handle is dropped unless validation succeeds.
    let mut channel = ChannelFile::new(map, file, path, 0, lock);
    // SAFETY: the mapping is page-aligned and at least `HEADER_SIZE` bytes long (callers map
    // the length `open::channel_len` accepted), lives as long as `channel`, and is only
    // accessed atomically.
    channel.capacity = unsafe { raw::validate(channel.base(), mapped) }
        .map_err(|reason| OpenError::Layout { path: path.to_owned(), reason })?;
    Ok(channel)
}

/// Allocates the first `len` bytes of `file`.
fn allocate(file: &File, path: &Path, len: u64) -> Result<(), OpenError> {
    let size = libc::off_t::try_from(len)
        .map_err(|_| OpenError::NoSpace { path: path.to_owned(), needed: len })?;
    // SAFETY: `posix_fallocate` only reads its integer arguments; the descriptor is open for
    // writing for the duration of the call.
    let errno = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, size) };
    match errno {
        0 => Ok(()),
        libc::ENOSPC | libc::EFBIG => {
            Err(OpenError::NoSpace { path: path.to_owned(), needed: len })
        }
        _ => Err(io_error(path, "allocate", io::Error::from_raw_os_error(errno))),
    }
}

fn io_error(path: &Path, operation: &'static str, source: io::Error) -> OpenError {
    OpenError::Io { path: path.to_owned(), operation, source }
}

/// The address of a mapping.
fn base_of(map: &MmapRaw) -> NonNull<u8> {
    NonNull::new(map.as_mut_ptr()).expect("a mapping is never at address 0")
}

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
//! - a channel is made under a temporary name, sized with `posix_fallocate` (a full tmpfs fails
//!   there with `ENOSPC` instead of raising `SIGBUS` on first touch), initialised, and only then
//!   linked to its path, so no reader ever maps a half-made file;
//! - the size and header of an existing file are validated before anything else is read;
//! - one writer at a time holds an exclusive `flock` for as long as its handle lives; the kernel
//!   releases it if the process dies;
//! - readers map read-only and issue only relaxed loads of at most 8 bytes, which are valid on
//!   read-only memory.
//!
//! What this module cannot prevent is another program truncating the file under a live mapping
//! (`SIGBUS` on the next access). Channel files are made mode `0600`, so only their owner can.

use core::ptr::NonNull;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{LayoutError, OpenError};
use crate::ring::header::{
    HEADER_SIZE, Header, MIN_CAPACITY, WAKE_OFFSET, WAKE_PAGE_OFFSET, round_capacity,
};
use crate::ring::storage::Storage;
use crate::ring_buffer::{ReadOnly, ReadWrite, RingBuffer};

/// A mapped channel file and the open file that keeps its lock.
#[derive(Debug)]
pub(crate) struct ChannelFile {
    map: MmapRaw,
    /// Held for the mapping's lifetime: for a writer, its `flock` is the single-writer lock.
    file: File,
    path: PathBuf,
    capacity: u64,
    /// Whether `file` holds the exclusive writer lock (a `create` handle).
    holds_writer_lock: bool,
}

impl ChannelFile {
    pub(crate) fn base(&self) -> NonNull<u8> {
        NonNull::new(self.map.as_mut_ptr()).expect("a mapping is never at address 0")
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
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
        self.holds_writer_lock
    }

    /// Maps the header page that holds the wake words writable, for a reader that parks, and
    /// returns the mapping with the wake words' offset in it. Reopens the very file this
    /// handle mapped (through `/proc/self/fd`), so a replaced path cannot redirect it; fails
    /// where the process may not write the file.
    pub(crate) fn map_wake_page(&self) -> io::Result<(MmapRaw, usize)> {
        let fd_path = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        let file = OpenOptions::new().read(true).write(true).open(fd_path)?;
        let len = HEADER_SIZE - WAKE_PAGE_OFFSET;
        let map = MmapOptions::new().offset(WAKE_PAGE_OFFSET as u64).len(len).map_raw(&file)?;
        Ok((map, WAKE_OFFSET - WAKE_PAGE_OFFSET))
    }

    /// Whether some process holds the writer lock on this channel.
    pub(crate) fn writer_alive(&self) -> bool {
        if self.holds_writer_lock {
            // Probing our own lock with `flock` would convert it: we are the writer.
            return true;
        }
        match flock(&self.file, libc::LOCK_SH | libc::LOCK_NB) {
            Ok(()) => {
                // We got a shared lock: no writer holds the exclusive one. Give it back; an
                // unlock that fails leaves a shared lock that closing the file releases.
                let _ = flock(&self.file, libc::LOCK_UN);
                false
            }
            Err(_) => true,
        }
    }
}

/// Options for [`RingBuffer::create_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// Permission bits of a newly made channel file; `0o600` (owner only) by default. Use
    /// `0o640` to let the owner's group attach readers.
    pub mode: u32,
}

impl Default for CreateOptions {
    fn default() -> Self {
        Self { mode: 0o600 }
    }
}

impl RingBuffer<ReadWrite> {
    /// Creates the channel file at `path` (under `/dev/shm` for processes of one machine), or
    /// reopens it after its previous writer went away, and holds its single-writer lock.
    ///
    /// A new file is made with mode `0600` under a temporary name, fully allocated, initialised
    /// and then linked into place, so readers never see it half made. An existing channel is
    /// reopened only if it is valid and has the requested capacity; its new writer continues
    /// after the last committed frame.
    ///
    /// # Errors
    ///
    /// [`OpenError::WriterExists`] if another writer (in any process) holds the channel;
    /// [`OpenError::NoSpace`] if the file system is full; [`OpenError::Layout`] if `path` holds
    /// something that is not a channel of this capacity; [`OpenError::Io`] for other OS errors.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let ring = bcast::RingBuffer::create("/dev/shm/prices", 1 << 20)?;
    /// let mut writer = ring.into_writer();
    /// writer.send(b"tick")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, capacity: usize) -> Result<Self, OpenError> {
        Self::create_with(path, capacity, &CreateOptions::default())
    }

    /// Like [`create`](Self::create), with options such as the file mode.
    ///
    /// # Errors
    ///
    /// As for [`create`](Self::create).
    pub fn create_with(
        path: impl AsRef<Path>,
        capacity: usize,
        options: &CreateOptions,
    ) -> Result<Self, OpenError> {
        create_channel(path.as_ref(), round_capacity(capacity), options, |_, _| Ok(()))
    }
}

impl RingBuffer<ReadOnly> {
    /// Maps the channel file at `path` read-only, for readers.
    ///
    /// The handle has access [`ReadOnly`], so no writer can be made from it:
    ///
    /// ```compile_fail
    /// let writer = bcast::RingBuffer::attach("/dev/shm/prices")?.into_writer();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`] if the file cannot be opened or mapped (missing, permission denied);
    /// [`OpenError::Layout`] if it is too short, not a channel, of another layout version, or
    /// its size does not match its header.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let mut reader = bcast::RingBuffer::attach("/dev/shm/prices")?.into_reader();
    /// let mut buf = vec![0u8; reader.mtu()];
    /// while let Some(msg) = reader.try_recv(&mut buf)? {
    ///     println!("{:?}", &buf[..msg.len]);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attach(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| io_error(path, "open", e))?;
        let len = file_len(&file, path)?;
        let map = MmapOptions::new()
            .populate()
            .map_raw_read_only(&file)
            .map_err(|e| io_error(path, "map", e))?;
        let channel = validate(map, file, path, len)?;
        Ok(Self::from_storage(Storage::File(channel)))
    }
}

impl<A> RingBuffer<A> {
    /// Path of the channel file, or `None` for heap and caller memory.
    pub fn path(&self) -> Option<&Path> {
        match self.shared().storage() {
            Storage::File(file) => Some(file.path()),
            _ => None,
        }
    }

    /// Whether this handle's channel file was deleted or replaced at its path since it was
    /// opened; always `false` for heap and caller memory.
    ///
    /// Readers of a deleted or replaced channel keep reading the old one (its memory lives until
    /// the last mapping goes), so a long-lived reader can poll this to notice a restarted
    /// publisher and re-attach.
    pub fn is_replaced(&self) -> bool {
        match self.shared().storage() {
            Storage::File(file) => file.is_replaced(),
            _ => false,
        }
    }

    /// Whether the ring has a live writer: for a channel file, whether any process holds its
    /// writer lock; for heap and caller memory, whether a [`Writer`](crate::Writer) of it is
    /// alive in this process.
    pub fn writer_alive(&self) -> bool {
        match self.shared().storage() {
            Storage::File(file) => file.writer_alive(),
            _ => self.shared().writer_active(),
        }
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
pub(crate) fn create_channel(
    path: &Path,
    capacity: u64,
    options: &CreateOptions,
    init: impl Fn(&RingBuffer<ReadWrite>, Opened) -> Result<(), OpenError>,
) -> Result<RingBuffer<ReadWrite>, OpenError> {
    // Two creators may race: whoever links first wins and the other reopens its file.
    for _ in 0..8 {
        match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => return reopen(file, path, capacity, &init),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(path, "open", e)),
        }
        match create_new(path, capacity, options, &init) {
            Err(OpenError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {}
            other => return other,
        }
    }
    Err(io_error(path, "create", io::Error::other("the path kept appearing and disappearing")))
}

fn reopen(
    file: File,
    path: &Path,
    capacity: u64,
    init: &impl Fn(&RingBuffer<ReadWrite>, Opened) -> Result<(), OpenError>,
) -> Result<RingBuffer<ReadWrite>, OpenError> {
    lock_exclusive(&file, path)?;
    let len = file_len(&file, path)?;
    let map = MmapOptions::new().populate().map_raw(&file).map_err(|e| io_error(path, "map", e))?;
    let mut channel = validate(map, file, path, len)?;
    channel.holds_writer_lock = true;
    if channel.capacity != capacity {
        let reason =
            LayoutError::CapacityMismatch { existing: channel.capacity, requested: capacity };
        return Err(OpenError::Layout { path: path.to_owned(), reason });
    }
    let ring = RingBuffer::from_storage(Storage::File(channel));
    init(&ring, Opened::Existing)?;
    Ok(ring)
}

fn create_new(
    path: &Path,
    capacity: u64,
    options: &CreateOptions,
    init: &impl Fn(&RingBuffer<ReadWrite>, Opened) -> Result<(), OpenError>,
) -> Result<RingBuffer<ReadWrite>, OpenError> {
    let temp = TempFile::new(path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(options.mode)
        .open(&temp.0)
        .map_err(|e| io_error(path, "create", e))?;
    // The umask may have cleared bits of the requested mode: set it exactly.
    file.set_permissions(std::fs::Permissions::from_mode(options.mode))
        .map_err(|e| io_error(path, "set the mode of", e))?;
    let len = HEADER_SIZE as u64 + capacity;
    allocate(&file, path, len)?;
    lock_exclusive(&file, path)?;
    let map = MmapOptions::new().populate().map_raw(&file).map_err(|e| io_error(path, "map", e))?;
    // SAFETY: the mapping is page-aligned and `len` bytes long (fully allocated above); no other
    // process can know the temporary file yet; `Header` holds atomics only.
    let header =
        unsafe { NonNull::new(map.as_mut_ptr()).expect("mapped").cast::<Header>().as_ref() };
    header.initialise(capacity, new_epoch());
    let ring = RingBuffer::from_storage(Storage::File(ChannelFile {
        map,
        file,
        path: path.to_owned(),
        capacity,
        holds_writer_lock: true,
    }));
    init(&ring, Opened::New)?;
    std::fs::hard_link(&temp.0, path).map_err(|e| io_error(path, "link", e))?;
    Ok(ring)
}

/// Checks a mapped file and wraps it.
fn validate(map: MmapRaw, file: File, path: &Path, len: u64) -> Result<ChannelFile, OpenError> {
    let base = NonNull::new(map.as_mut_ptr()).expect("a mapping is never at address 0");
    // SAFETY: the mapping is page-aligned and `len >= HEADER_SIZE` bytes (checked by
    // `file_len`); `Header` holds atomics only and we only load from it.
    let header = unsafe { base.cast::<Header>().as_ref() };
    let capacity = header
        .validate(len)
        .map_err(|reason| OpenError::Layout { path: path.to_owned(), reason })?;
    Ok(ChannelFile { map, file, path: path.to_owned(), capacity, holds_writer_lock: false })
}

/// The file's length, refused if it cannot hold a header and the smallest ring.
fn file_len(file: &File, path: &Path) -> Result<u64, OpenError> {
    let len = file.metadata().map_err(|e| io_error(path, "stat", e))?.len();
    let min = HEADER_SIZE as u64 + MIN_CAPACITY;
    if len < min {
        return Err(OpenError::Layout {
            path: path.to_owned(),
            reason: LayoutError::TooShort { len, min },
        });
    }
    Ok(len)
}

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

fn lock_exclusive(file: &File, path: &Path) -> Result<(), OpenError> {
    flock(file, libc::LOCK_EX | libc::LOCK_NB).map_err(|e| {
        if e.kind() == io::ErrorKind::WouldBlock {
            OpenError::WriterExists { path: path.to_owned() }
        } else {
            io_error(path, "lock", e)
        }
    })
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<()> {
    // SAFETY: `flock` only reads its integer arguments; the descriptor is open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), operation) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

fn io_error(path: &Path, operation: &'static str, source: io::Error) -> OpenError {
    OpenError::Io { path: path.to_owned(), operation, source }
}

/// A temporary name beside the channel's path, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(path: &Path) -> Self {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = format!(".{name}.{}.{:x}.tmp", std::process::id(), new_epoch());
        Self(path.with_file_name(temp))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // The file may never have been made; either way nothing is left behind.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A value that differs between channels made at different times or by different processes:
/// `RandomState` is seeded from the OS's randomness, and the counter separates calls.
pub(crate) fn new_epoch() -> u64 {
    use crate::sync::{AtomicU64, Ordering};
    use std::hash::{BuildHasher, RandomState};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one(CALLS.fetch_add(1, Ordering::Relaxed))
}

//! `RingBuffer`s over channel files (Linux): creating, reopening, attaching and removing them.

use std::path::Path;

use super::{ReadOnly, ReadWrite, RingBuffer};
use crate::error::OpenError;
use crate::ring::header::round_capacity;
use crate::ring::storage::Storage;
use crate::ring::table::TableLayout;
use crate::shm::{self, ChannelFile, CreateOptions, FileHandle, create_channel};

impl CreateOptions {
    /// Creates (or reopens) the channel file at `path` with these options, as
    /// [`RingBuffer::create`] describes.
    ///
    /// # Errors
    ///
    /// As for [`RingBuffer::create`].
    pub fn create(
        &self,
        path: impl AsRef<Path>,
        capacity: usize,
    ) -> Result<RingBuffer<ReadWrite>, OpenError> {
        let (path, capacity) = (path.as_ref(), round_capacity(capacity));
        create_channel(path, capacity, &TableLayout::default(), self, |_, _| Ok(()))
    }
}

impl RingBuffer<ReadWrite> {
    /// Creates the channel file at `path` (under `/dev/shm` for processes of one machine), or
    /// reopens it after its previous writer went away, and holds its single-writer lock.
    ///
    /// A new file is made with mode `0600`, unnamed (`O_TMPFILE`), fully allocated, initialised
    /// and then linked into place, so readers never see it half made and a creator that dies
    /// leaves nothing behind. An existing channel is reopened only if it is a regular file (no
    /// symbolic link is followed) of this process's user with exactly the requested mode, is
    /// valid, and has the requested capacity; its new writer continues after the last committed
    /// frame.
    ///
    /// The single-writer lock is an exclusive `flock` on `.NAME.lock` beside the channel (mode
    /// `0600`, kept for the next writer; [`remove`](RingBuffer::remove) deletes it with the
    /// channel), which readers cannot open, so no reader can keep a writer out. Readers learn whether the writer lives from the header
    /// ([`writer_alive`](RingBuffer::writer_alive)).
    ///
    /// # Errors
    ///
    /// [`OpenError::WriterExists`] if another writer (in any process) holds the channel;
    /// [`OpenError::Refused`] if the file at `path` (or its lock file) is not a regular file of
    /// this user with the requested mode; [`OpenError::NoSpace`] if the file system is full;
    /// [`OpenError::Layout`] if `path` holds something that is not a channel of this capacity;
    /// [`OpenError::Io`] for other OS errors (including a file system without `O_TMPFILE`).
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
        CreateOptions::new().create(path, capacity)
    }

    /// Deletes the channel file at `path` and its writer lock file (`.NAME.lock`, which a writer
    /// leaves in place when it goes, for the next one).
    ///
    /// Handles that have the channel open keep working on the deleted file, and see
    /// [`is_replaced`](RingBuffer::is_replaced) become `true`; a `create` at the same path then
    /// makes a new channel.
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`] if the channel file cannot be removed (`NotFound` when there is none);
    /// a missing lock file is not an error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let ring = bcast::RingBuffer::create("/dev/shm/prices", 1 << 20)?;
    /// drop(ring);
    /// bcast::RingBuffer::remove("/dev/shm/prices")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(path: impl AsRef<Path>) -> Result<(), OpenError> {
        shm::remove(path.as_ref())
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
    /// [`OpenError::Refused`] if it is not a regular file (a FIFO is refused, never waited on),
    /// if not all its blocks are allocated, or if its length changes while it is mapped;
    /// [`OpenError::Layout`] if it is too short, not a channel, of another layout version, or
    /// its size does not match its header.
    ///
    /// A reader never allocates the channel's memory: it maps the file without prefaulting it.
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
        Ok(Self::from_storage(Storage::File(shm::attach(path.as_ref())?)))
    }
}

impl FileHandle for RingBuffer<ReadWrite> {
    fn wrap(channel: ChannelFile) -> Self {
        Self::from_storage(Storage::File(channel))
    }

    fn channel(&self) -> Option<&ChannelFile> {
        self.file()
    }
}

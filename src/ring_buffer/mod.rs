//! [`RingBuffer`]: a handle to a ring in some memory, from which writers and readers are made.

#[cfg(target_os = "linux")]
mod file;
mod info;

pub use info::ChannelInfo;

use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, LayoutError};
use crate::reader::Reader;
use crate::ring::Shared;
use crate::ring::frame::FRAME_ALIGN;
use crate::ring::header::{HEADER_SIZE, MIN_CAPACITY, new_epoch, round_capacity};
use crate::ring::metadata::{AppendError, NewSection, SectionKind};
use crate::ring::raw;
use crate::ring::storage::{Pages, Storage};
use crate::ring::table::TableLayout;
use crate::shm::ChannelFile;
use crate::writer::Writer;

/// Marker for a ring handle that may make a [`Writer`]: the creator's handle.
#[derive(Debug)]
pub enum ReadWrite {}

/// Marker for a ring handle that can only make [`Reader`]s, such as an attached channel file
/// mapped read-only.
#[derive(Debug)]
pub enum ReadOnly {}

/// A ring of variable-size byte frames with one writer and any number of readers.
///
/// A `RingBuffer` is a cheap, cloneable handle to the ring's memory: a heap allocation
/// ([`with_capacity`](RingBuffer::with_capacity)), a channel file under `/dev/shm`
/// ([`create`](RingBuffer::create) / [`attach`](RingBuffer::attach)), or memory the caller owns
/// ([`init_raw`](RingBuffer::init_raw) / [`join_raw`](RingBuffer::join_raw)). Turn a handle into
/// the [`Writer`] with [`into_writer`](RingBuffer::into_writer) (only handles of access
/// [`ReadWrite`] can) and into [`Reader`]s with [`into_reader`](RingBuffer::into_reader).
///
/// # Examples
///
/// ```
/// use bcast::RingBuffer;
///
/// let ring = RingBuffer::with_capacity(4096);
/// let mut writer = ring.clone().into_writer();
/// let mut reader = ring.into_reader();
///
/// writer.send(b"hello")?;
/// let mut buf = [0u8; 64];
/// let received = reader.try_recv(&mut buf)?.expect("one message is pending");
/// assert_eq!(&buf[..received.len], b"hello");
/// # Ok::<(), bcast::Error>(())
/// ```
pub struct RingBuffer<A = ReadWrite> {
    shared: Arc<Shared>,
    access: PhantomData<fn() -> A>,
}

impl<A> Clone for RingBuffer<A> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), access: PhantomData }
    }
}

impl<A> RingBuffer<A> {
    /// A handle to the same ring that can only make readers.
    pub(crate) fn read_only(&self) -> RingBuffer<ReadOnly> {
        RingBuffer { shared: Arc::clone(&self.shared), access: PhantomData }
    }
}

impl RingBuffer<ReadWrite> {
    /// A handle to the ring `writer` writes, for code that acts as its writer (storing
    /// metadata, which only the writer may append).
    pub(crate) fn of_writer(writer: &Writer) -> Self {
        Self { shared: Arc::clone(writer.shared()), access: PhantomData }
    }
}

impl<A> fmt::Debug for RingBuffer<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingBuffer")
            .field("capacity", &self.capacity())
            .field("mtu", &self.mtu())
            .field("committed", &self.committed())
            .finish_non_exhaustive()
    }
}

impl RingBuffer<ReadWrite> {
    /// Allocates a ring on the heap, for threads of one process.
    ///
    /// The capacity is rounded up to a power of two of at least 256 bytes (and clamped to
    /// 64 GiB). The largest message is a quarter of it, less the 32-byte frame header, and at
    /// most 2^32 - 32 bytes ([`Writer::mtu`]).
    ///
    /// The ring's pages are faulted in now, in one pass by the kernel, so that the first lap of
    /// traffic takes no page fault (as Aeron pre-touches its buffers): a ring of 64 MiB took
    /// 20 ms to make on the reference machine (`first_lap` bench, BENCHMARKS.md).
    /// [`with_capacity_lazy`](Self::with_capacity_lazy) leaves them to first touch.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(1000);
    /// assert_eq!(ring.capacity(), 1024);
    /// assert_eq!(ring.mtu(), 224);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::heap(capacity, Pages::Prefault)
    }

    /// Like [`with_capacity`](Self::with_capacity), but the ring's pages are faulted in when
    /// first touched: for huge rings, whose memory the system should only give as the writer
    /// reaches it, or that are made often and used little. The first lap of traffic then pays a
    /// page fault per 4 KiB page (`cargo bench -p bench-compare --bench first_lap` measures it).
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity_lazy(256 << 20); // resident as it is written
    /// let mut writer = ring.into_writer();
    /// writer.send(b"only the pages written are taken")?;
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn with_capacity_lazy(capacity: usize) -> Self {
        Self::heap(capacity, Pages::Lazy)
    }

    fn heap(capacity: usize, pages: Pages) -> Self {
        Self::heap_with_table(capacity, &TableLayout::default(), pages)
    }

    /// A heap ring with the last-value table `table`.
    pub(crate) fn heap_with_table(capacity: usize, table: &TableLayout, pages: Pages) -> Self {
        let capacity = round_capacity(capacity);
        Self::from_storage(Storage::heap(capacity, table, new_epoch(), pages))
    }

    /// Bytes of memory a ring of `capacity` bytes occupies: the 64 KiB header, then the data.
    /// What [`init_raw`](Self::init_raw) needs for that capacity (rounded as by
    /// [`with_capacity`](Self::with_capacity)), and a channel file's length.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(bcast::RingBuffer::region_len(4096), 64 * 1024 + 4096);
    /// assert_eq!(bcast::RingBuffer::region_len(1000), 64 * 1024 + 1024);
    /// ```
    pub fn region_len(capacity: usize) -> usize {
        let capacity = usize::try_from(round_capacity(capacity)).unwrap_or(usize::MAX);
        HEADER_SIZE.saturating_add(capacity)
    }

    /// Formats caller-provided memory as an empty ring and returns its writable handle.
    ///
    /// The ring takes the largest power-of-two capacity that fits after the 64 KiB header (see
    /// [`region_len`](Self::region_len)).
    ///
    /// # Errors
    ///
    /// [`LayoutError::Misaligned`] if `base` is not 8-byte aligned, [`LayoutError::TooShort`] if
    /// `len` cannot hold the header and a 256-byte ring.
    ///
    /// # Safety
    ///
    /// - `base` must be valid for reads and writes of `len` bytes until every handle, writer,
    ///   reader and message made from the returned ring has been dropped;
    /// - during that time every access to the memory, from any thread or process, must be an
    ///   8-byte atomic operation at an 8-byte aligned offset (as `bcast` handles do): no plain
    ///   reads or writes. A second `init_raw` over live memory is sound but resets the ring.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::ptr::NonNull;
    /// use std::sync::atomic::AtomicU64;
    ///
    /// // Memory the caller owns, as atomic words so that it is 8-byte aligned.
    /// let len = bcast::RingBuffer::region_len(4096);
    /// let memory: Vec<AtomicU64> = (0..len / 8).map(|_| AtomicU64::new(0)).collect();
    /// let base = NonNull::from(&memory[..]).cast::<u8>();
    /// // SAFETY: `memory` outlives the ring and its handles, which are dropped at the end of this
    /// // scope, and nothing else touches it meanwhile.
    /// let ring = unsafe { bcast::RingBuffer::init_raw(base, len) }?;
    /// assert_eq!(ring.capacity(), 4096);
    ///
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// writer.send(b"on the stack")?;
    /// let mut buf = [0u8; 32];
    /// assert_eq!(reader.try_recv(&mut buf)?.map(|m| m.len), Some(12));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub unsafe fn init_raw(base: NonNull<u8>, len: usize) -> Result<Self, LayoutError> {
        check_region(base, len)?;
        let room = (len - HEADER_SIZE) as u64;
        let capacity = 1u64 << room.ilog2();
        let capacity = capacity.min(crate::ring::header::MAX_CAPACITY);
        // SAFETY: `base` is aligned and valid for reads and writes of `len >= HEADER_SIZE +
        // capacity` bytes (checked above, and the caller's contract), `capacity` is a supported
        // power of two, the memory is accessed only atomically, and no handle exists yet.
        unsafe { raw::initialise(base, capacity, &TableLayout::default(), new_epoch()) };
        Ok(Self::from_storage(Storage::Caller { base, capacity, table_len: 0, writable: true }))
    }

    /// Makes the ring's writer.
    ///
    /// A ring has at most one writer at a time. When the previous writer was dropped (or, for a
    /// channel file, its process died), the new one continues after the last committed frame.
    ///
    /// # Panics
    ///
    /// If another [`Writer`] of this ring is alive in this process. Use
    /// [`try_into_writer`](Self::try_into_writer) to get an error instead. (Writers in other
    /// processes are refused earlier, by [`create`](Self::create).)
    pub fn into_writer(self) -> Writer {
        match self.try_into_writer() {
            Ok(writer) => writer,
            Err(error) => panic!("RingBuffer::into_writer: {error}"),
        }
    }

    /// Makes the ring's writer, or returns [`Error::WriterExists`] if it already has one.
    ///
    /// # Errors
    ///
    /// [`Error::WriterExists`] while another [`Writer`] of this ring is alive in this process.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let writer = ring.clone().try_into_writer()?;
    /// assert_eq!(ring.clone().try_into_writer().unwrap_err(), bcast::Error::WriterExists);
    /// drop(writer);
    /// assert!(ring.try_into_writer().is_ok());
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn try_into_writer(self) -> Result<Writer, Error> {
        if self.shared.acquire_writer() {
            Ok(Writer::new(self.shared))
        } else {
            Err(Error::WriterExists)
        }
    }
}

impl RingBuffer<ReadWrite> {
    /// Appends metadata sections to the header, published together.
    ///
    /// Call it as the ring's creator or writer (H3), for kinds the ring has none of: the
    /// typed layer stores its sections on a new channel before it is linked into place, on a
    /// heap ring before any subscriber is made.
    ///
    /// # Errors
    ///
    /// [`AppendError::Full`] if they do not all fit (nothing is stored then),
    /// [`AppendError::Layout`] if the area is corrupt.
    pub(crate) fn store_metadata_sections(
        &self,
        sections: &[NewSection<'_>],
    ) -> Result<(), AppendError> {
        self.shared.ring.metadata().append(sections)
    }
}

impl RingBuffer<ReadOnly> {
    /// Joins a ring that [`init_raw`](RingBuffer::init_raw) (in this or another process)
    /// formatted in memory the caller mapped, for reading only.
    ///
    /// # Errors
    ///
    /// A [`LayoutError`] when the region is misaligned, too short, or does not hold a ready ring
    /// whose header matches `len`.
    ///
    /// # Safety
    ///
    /// - `base` must be valid for reads of `len` bytes until every handle, reader and message
    ///   made from the returned ring has been dropped;
    /// - during that time every access to the memory, from any thread or process, must be an
    ///   8-byte atomic operation at an 8-byte aligned offset (as `bcast` handles do): no plain
    ///   reads or writes.
    pub unsafe fn join_raw(base: NonNull<u8>, len: usize) -> Result<Self, LayoutError> {
        check_region(base, len)?;
        // SAFETY: aligned and valid for at least `HEADER_SIZE` bytes (checked above, and the
        // caller's contract), accessed only atomically (the caller's contract).
        let capacity = unsafe { raw::validate(base, len as u64) }?;
        // `validate` checked that the region is the header, the data and the table.
        let table_len = len as u64 - HEADER_SIZE as u64 - capacity;
        Ok(Self::from_storage(Storage::Caller { base, capacity, table_len, writable: false }))
    }
}

impl<A> RingBuffer<A> {
    pub(crate) fn from_storage(storage: Storage) -> Self {
        Self { shared: Arc::new(Shared::new(storage)), access: PhantomData }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The body of the metadata section of `kind` the channel's creator or writer stored, or
    /// `None` if there is none.
    ///
    /// # Errors
    ///
    /// A [`LayoutError`] if the metadata area is corrupt.
    pub(crate) fn metadata_section(
        &self,
        kind: SectionKind,
    ) -> Result<Option<Vec<u8>>, LayoutError> {
        self.shared.ring.metadata().section(kind)
    }

    /// The bodies of every metadata section of `kind`, oldest first.
    pub(crate) fn metadata_sections(&self, kind: SectionKind) -> Result<Vec<Vec<u8>>, LayoutError> {
        self.shared.ring.metadata().sections(kind)
    }

    /// Data capacity in bytes (a power of two).
    pub fn capacity(&self) -> usize {
        usize::try_from(self.shared.ring.capacity()).unwrap_or(usize::MAX)
    }

    /// Largest payload a message may carry.
    pub fn mtu(&self) -> usize {
        self.shared.mtu
    }

    /// Stream position after the last committed frame.
    pub fn committed(&self) -> u64 {
        self.shared.ring.header().load_committed()
    }

    /// Makes a reader that starts at the committed position: it sees the messages
    /// committed from now on.
    pub fn into_reader(self) -> Reader {
        let position = self.committed();
        Reader::new(self.shared, position)
    }

    /// Makes a reader that starts at `position`, a frame boundary such as `0`, a position
    /// returned by [`Reader::position`], or [`Received::position`](crate::Received::position).
    ///
    /// If the writer has since lapped that position, the first read reports
    /// [`Error::Overrun`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPosition`] if `position` is not 16-byte aligned or lies past the
    /// committed position.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut writer = ring.clone().into_writer();
    /// writer.send(b"first")?;
    /// let mut reader = ring.into_reader_at(0)?; // a late joiner that still sees "first"
    /// let mut buf = [0u8; 16];
    /// assert_eq!(reader.try_recv(&mut buf)?.map(|m| m.len), Some(5));
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn into_reader_at(self, position: u64) -> Result<Reader, Error> {
        let committed = self.committed();
        if !position.is_multiple_of(FRAME_ALIGN) || position > committed {
            return Err(Error::InvalidPosition { position, committed });
        }
        Ok(Reader::new(self.shared, position))
    }

    /// Makes a reader that starts at the oldest data still intact in the ring (see
    /// [`Reader::reset_to_oldest`]): it replays everything published so far while the writer
    /// has not yet filled the ring once, otherwise up to three quarters of a lap of history, then
    /// follows the writer.
    pub fn into_reader_at_oldest(self) -> Reader {
        let position = crate::reader::oldest_start(&self.shared.ring);
        Reader::new(self.shared, position)
    }

    /// Path of the channel file, or `None` for heap and caller memory.
    pub fn path(&self) -> Option<&Path> {
        self.file().map(ChannelFile::path)
    }

    /// Whether this handle's channel file was deleted or replaced at its path since it was
    /// opened; always `false` for heap and caller memory.
    ///
    /// Readers of a deleted or replaced channel keep reading the old one (its memory lives until
    /// the last mapping goes), so a long-lived reader can poll this to notice a restarted
    /// publisher and re-attach.
    pub fn is_replaced(&self) -> bool {
        self.file().is_some_and(ChannelFile::is_replaced)
    }

    /// Whether the ring has a live writer: for a channel file, whether the process that took
    /// its writer lock is still running; for heap and caller memory, whether a
    /// [`Writer`](crate::Writer) of it is alive in this process.
    ///
    /// For a channel file this takes no lock (so calling it in a loop never keeps a writer
    /// out) and cannot be fooled by readers: the writer records its process id and start time
    /// in the header, and this checks `/proc` for that process. Readers in another PID
    /// namespace than the writer's cannot judge it this way.
    pub fn writer_alive(&self) -> bool {
        match self.file() {
            Some(file) => file.writer_alive(),
            None => self.shared().writer_active(),
        }
    }

    /// Process id of the channel file's writer as recorded in its header (the last one, if it
    /// died without closing the channel); `None` for heap and caller memory, or when no writer
    /// has the channel open.
    pub fn writer_pid(&self) -> Option<u32> {
        self.file().and_then(ChannelFile::writer_pid)
    }

    /// The channel file behind the ring, if it is one.
    fn file(&self) -> Option<&ChannelFile> {
        match self.shared().storage() {
            Storage::File(file) => Some(file),
            _ => None,
        }
    }
}

/// Checks that caller memory can hold a ring at all.
fn check_region(base: NonNull<u8>, len: usize) -> Result<(), LayoutError> {
    if !base.cast::<u64>().is_aligned() {
        return Err(LayoutError::Misaligned);
    }
    let min = HEADER_SIZE as u64 + MIN_CAPACITY;
    if (len as u64) < min {
        return Err(LayoutError::TooShort { len: len as u64, min });
    }
    Ok(())
}

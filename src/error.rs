//! Public error types: [`Error`] for the hot path (ring operations, `Copy`, no allocation),
//! [`OpenError`] for creating and attaching channels (carries the path and the OS error), and
//! [`LayoutError`] for a region whose header is not a valid channel.

use std::io;
use std::path::PathBuf;

/// Where a reader stood when the writer lapped it.
///
/// A reader is lapped when the writer has claimed ring bytes that overlap a frame the reader had
/// not finished reading. Nothing from that frame is returned; call [`Reader::reset`] (or one of
/// its siblings) to resume.
///
/// [`Reader::reset`]: crate::Reader::reset
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lapped {
    /// Stream position of the frame the reader was about to return.
    pub position: u64,
    /// The writer's claimed frontier observed when the overrun was detected.
    pub claimed: u64,
}

/// Error returned by the ring's read and write operations.
///
/// It is `Copy` and never allocates, so it can be returned from the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A claim or send of `len` bytes exceeds the ring's maximum transmission unit.
    #[error("message of {len} bytes exceeds the ring's MTU of {mtu} bytes")]
    MtuLimitExceeded {
        /// The requested payload length.
        len: usize,
        /// The largest payload this ring accepts ([`Writer::mtu`](crate::Writer::mtu)).
        mtu: usize,
    },
    /// The writer lapped this reader; no bytes of the lapped frame were returned.
    #[error(
        "reader at position {} was overrun by the writer (now at {})",
        .0.position,
        .0.claimed
    )]
    Overrun(Lapped),
    /// The destination buffer is smaller than the message.
    #[error("buffer of {available} bytes is too small for a {needed}-byte message")]
    BufferTooSmall {
        /// The message's payload length.
        needed: usize,
        /// The length of the buffer that was passed in.
        available: usize,
    },
    /// A frame header that the writer committed makes no sense: the ring memory is corrupt or was
    /// written by something other than a `bcast` writer.
    #[error("corrupt frame at position {position}")]
    CorruptFrame {
        /// Stream position of the corrupt frame.
        position: u64,
    },
    /// A reader was asked to start at a position that cannot be a frame boundary.
    #[error(
        "position {position} is not a frame boundary the reader can start at (the writer has committed up to {committed})"
    )]
    InvalidPosition {
        /// The requested start position.
        position: u64,
        /// The writer's committed position at the time of the request.
        committed: u64,
    },
    /// The ring already has a live [`Writer`](crate::Writer).
    #[error("the ring already has a writer")]
    WriterExists,
    /// [`Writer::send_stamped`](crate::Writer::send_stamped) was given a sequence number
    /// below the writer's next: sequence numbers never go back.
    #[error("sequence number {seq} is below the writer's next, {next}")]
    SequenceBehind {
        /// The sequence number given.
        seq: u64,
        /// The lowest the writer accepts:
        /// [`Writer::messages_published`](crate::Writer::messages_published).
        next: u64,
    },
}

/// Why a memory region does not hold a usable channel.
///
/// Returned on its own by the raw-memory constructors and wrapped in [`OpenError::Layout`] by the
/// file-backed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The region is shorter than a channel header.
    #[error("region of {len} bytes is shorter than the smallest channel ({min} bytes)")]
    TooShort {
        /// Length of the region.
        len: u64,
        /// Smallest possible channel (header plus minimum capacity).
        min: u64,
    },
    /// The region does not start at an 8-byte aligned address.
    #[error("region is not 8-byte aligned")]
    Misaligned,
    /// The region does not start with the channel magic: it is not a `bcast` channel.
    #[error("not a bcast channel (magic {found:#018x}, expected {expected:#018x})")]
    NotAChannel {
        /// The first word of the region.
        found: u64,
        /// The magic a channel starts with.
        expected: u64,
    },
    /// The channel was made with another major layout version of this crate (any minor version
    /// of its own major version is read).
    #[error("layout version {found}, this build reads version {expected}")]
    Version {
        /// The major version in the header.
        found: u64,
        /// The major version this build writes and reads.
        expected: u64,
    },
    /// The channel's creator has not finished initialising it (or died while doing so).
    #[error("the channel is not ready: its creator has not finished initialising it")]
    NotReady,
    /// The capacity in the header is not a supported power of two.
    #[error("capacity {capacity} is not a power of two between {min} and {max}")]
    BadCapacity {
        /// The capacity in the header.
        capacity: u64,
        /// Smallest supported capacity.
        min: u64,
        /// Largest supported capacity.
        max: u64,
    },
    /// The region's length does not match header plus capacity.
    #[error("region is {len} bytes, its header says {expected}")]
    SizeMismatch {
        /// Length of the region.
        len: u64,
        /// Header size plus the capacity in the header.
        expected: u64,
    },
    /// The writer's frontiers in the header are impossible: the header is corrupt.
    #[error("corrupt frontiers: committed {committed}, claimed {claimed}")]
    CorruptFrontiers {
        /// The committed frontier in the header.
        committed: u64,
        /// The claimed frontier in the header.
        claimed: u64,
    },
    /// The metadata sections in the header are malformed: the header is corrupt.
    #[error("corrupt metadata section at byte {offset} of the metadata area")]
    CorruptMetadata {
        /// Where the malformed section (or the published length) points.
        offset: u64,
    },
    /// The header holds a metadata section that readers must understand, of a kind this build
    /// does not know: a newer build made the channel.
    #[error("the channel needs metadata section kind {kind}, which this build does not know")]
    UnknownSection {
        /// The section's kind.
        kind: u16,
    },
    /// A channel exists with another last-value table than the one requested (or none).
    #[error("the channel's last-value table is not the one requested")]
    TableMismatch,
    /// The channel's last-value table is malformed: the channel is corrupt.
    #[error("corrupt last-value table: {reason}")]
    CorruptTable {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A channel exists with another capacity than the one requested.
    #[error("the channel has capacity {existing}, {requested} was requested")]
    CapacityMismatch {
        /// Capacity of the existing channel.
        existing: u64,
        /// Capacity that was asked for (rounded up to a power of two).
        requested: u64,
    },
}

/// Error returned when creating, reopening or attaching a channel file.
///
/// Every variant names the path, so the message alone tells an operator what to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// An operating-system call failed (missing file, permission denied, ...).
    #[error("channel {}: cannot {operation}: {source}", path.display())]
    Io {
        /// The channel file.
        path: PathBuf,
        /// What was being done, e.g. `"open"` or `"map"`.
        operation: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file system has no room for the channel (`/dev/shm` full).
    #[error("channel {}: no space left for {needed} bytes", path.display())]
    NoSpace {
        /// The channel file.
        path: PathBuf,
        /// Size of the channel file that was being made.
        needed: u64,
    },
    /// Another writer holds the channel's single-writer lock.
    #[error("channel {}: another writer holds it", path.display())]
    WriterExists {
        /// The channel file.
        path: PathBuf,
    },
    /// The file is not a usable channel.
    #[error("channel {}: {reason}", path.display())]
    Layout {
        /// The channel file.
        path: PathBuf,
        /// What is wrong with it.
        reason: LayoutError,
    },
    /// A file at the channel's path (or at its writer lock's path) was refused before anything
    /// in it was trusted: it is not a regular file, it belongs to someone else, its mode is not
    /// the one asked for, or it could make a reader fault.
    #[error("{}: refused: {reason}", path.display())]
    Refused {
        /// The refused file: the channel, or its writer lock file.
        path: PathBuf,
        /// Why, and what to do about it.
        reason: FileRefusal,
    },
}

/// Why an existing file was refused as a channel or as a channel's writer lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileRefusal {
    /// The path names a FIFO, a directory, a device, a socket, or (where links are not
    /// followed) a symbolic link.
    #[error("it is a {kind}, not a regular file; remove it or use another path")]
    NotRegular {
        /// What the path names, e.g. `"FIFO"` or `"symbolic link"`.
        kind: &'static str,
    },
    /// A writer found the file owned by another user, who could read and rewrite every message
    /// of the channel.
    #[error(
        "it belongs to uid {owner}, not to this process's uid {expected}; another user may have \
         made it to read or rewrite the channel: remove it or use another path"
    )]
    Owner {
        /// Owner of the file.
        owner: u32,
        /// Effective uid of this process.
        expected: u32,
    },
    /// A writer found the file with other permission bits than it asked for.
    #[error(
        "its mode is {found:04o}, not the requested {expected:04o}; remove it, or create with \
         the mode it has"
    )]
    Mode {
        /// Permission bits of the file.
        found: u32,
        /// Permission bits that were asked for.
        expected: u32,
    },
    /// A writer found the file with more than one name (a hard link): another channel of its
    /// own may be behind the path.
    #[error(
        "it has {links} names (hard links), so it may be another channel of this user; remove it \
         or use another path"
    )]
    HardLinked {
        /// Number of names the file has.
        links: u64,
    },
    /// Not all of the file's blocks are allocated (a sparse file): touching a missing page in
    /// a full tmpfs raises `SIGBUS`, and a reader would allocate the writer's memory.
    #[error(
        "only {allocated} of its {len} bytes are allocated; a channel's writer allocates all of \
         it, so this file was not made by one"
    )]
    NotAllocated {
        /// Bytes allocated to the file.
        allocated: u64,
        /// Length of the file.
        len: u64,
    },
    /// The file's length changed between the check and the mapping: someone with write
    /// permission is resizing it.
    #[error("its length changed from {checked} to {now} bytes while it was being mapped")]
    Resized {
        /// Length that was checked and mapped.
        checked: u64,
        /// Length after mapping.
        now: u64,
    },
}

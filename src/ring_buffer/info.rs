//! [`ChannelInfo`]: a snapshot of a ring's header, for tools and monitoring.

use std::path::PathBuf;

use super::RingBuffer;
use crate::ring::header::{HEADER_SIZE, LAYOUT_MAJOR};
use crate::ring::metadata::SectionKind;
use crate::sync::Ordering;

/// A snapshot of a ring's header and storage, from [`RingBuffer::info`].
///
/// The fields are read one after another while the writer may be running, so they describe
/// nearby instants rather than one; each is a value the writer really stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ChannelInfo {
    /// The channel file, or `None` for heap and caller memory.
    pub path: Option<PathBuf>,
    /// Permission bits of the channel file.
    pub file_mode: Option<u32>,
    /// Layout version of the header.
    pub layout_version: u64,
    /// Bytes before the data section (header and schema registry).
    pub header_size: usize,
    /// Data capacity in bytes.
    pub capacity: usize,
    /// Largest payload a message may carry.
    pub mtu: usize,
    /// End of the last published frame.
    pub committed: u64,
    /// End of the frame being published (equal to `committed` between messages).
    pub claimed: u64,
    /// Messages published since the channel was made.
    pub messages: u64,
    /// How many times the writer has wrapped around the ring: `committed / capacity`.
    pub lap: u64,
    /// Whether a writer holds the channel (see [`RingBuffer::writer_alive`]).
    pub writer_alive: bool,
    /// Process id of the channel file's writer (see [`RingBuffer::writer_pid`]).
    pub writer_pid: Option<u32>,
    /// Whether the path now names another file (see [`RingBuffer::is_replaced`]).
    pub replaced: bool,
    /// Bytes of the typed layer's schema registry in the header; 0 for an untyped ring.
    pub registry_len: u64,
    /// Readers parked on the ring's futex, waiting for the next message
    /// ([`WaitStrategy`](crate::WaitStrategy)): those that parked and have not left. A reader
    /// killed while parked stays counted (the writer learns to stop waking it, see the `wait`
    /// module's docs), so this is an upper bound.
    pub parked_readers: u32,
    /// Random value chosen when the channel was made. Serialised (feature `serde`) as `0x` and
    /// 16 hex digits, as fingerprints are: JSON readers that hold numbers as doubles (`jq`,
    /// JavaScript) would round it.
    #[cfg_attr(feature = "serde", serde(serialize_with = "hex_u64"))]
    pub epoch: u64,
}

/// `value` as `0x` and 16 hex digits.
#[cfg(feature = "serde")]
fn hex_u64<S: serde::Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{value:#018x}"))
}

impl<A> RingBuffer<A> {
    /// A snapshot of the ring's header: geometry, frontiers, message count, writer liveness.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(1024);
    /// let mut writer = ring.clone().into_writer();
    /// writer.send(b"hello")?;
    /// let info = ring.info();
    /// assert_eq!((info.capacity, info.messages, info.committed), (1024, 1, 48));
    /// assert!(info.writer_alive);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn info(&self) -> ChannelInfo {
        let ring = &self.shared().ring;
        let header = ring.header();
        let committed = header.load_committed();
        let path = self.path().map(PathBuf::from);
        #[cfg(unix)]
        let file_mode = path.as_ref().and_then(|p| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).ok().map(|m| m.permissions().mode() & 0o7777)
        });
        // Channel files, and so paths, exist only on Linux.
        #[cfg(not(unix))]
        let file_mode = None;
        ChannelInfo {
            file_mode,
            layout_version: LAYOUT_MAJOR.into(),
            header_size: HEADER_SIZE,
            capacity: self.capacity(),
            mtu: self.mtu(),
            committed,
            claimed: header.claimed.load(Ordering::Relaxed),
            messages: header.frames.load(Ordering::Relaxed),
            lap: committed / ring.capacity(),
            writer_alive: self.writer_alive(),
            writer_pid: self.writer_pid(),
            replaced: self.is_replaced(),
            registry_len: self
                .metadata_section(SectionKind::Registry)
                .ok()
                .flatten()
                .map_or(0, |bytes| bytes.len() as u64),
            epoch: header.epoch.load(Ordering::Relaxed),
            parked_readers: crate::wait::parked(ring.wake()),
            path,
        }
    }
}

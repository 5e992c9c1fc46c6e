//! Channel files where they are not supported (every platform but Linux): a [`ChannelFile`]
//! cannot be made, so every ring lives in heap or caller memory, and the code that handles a
//! file compiles to nothing.

use core::ptr::NonNull;
use std::io;
use std::path::Path;

use memmap2::MmapRaw;

/// A mapped channel file: uninhabited on this platform.
#[derive(Debug)]
pub(crate) enum ChannelFile {}

impl ChannelFile {
    pub(crate) fn base(&self) -> NonNull<u8> {
        match *self {}
    }

    pub(crate) fn capacity(&self) -> u64 {
        match *self {}
    }

    pub(crate) fn table_len(&self) -> u64 {
        match *self {}
    }

    pub(crate) fn path(&self) -> &Path {
        match *self {}
    }

    pub(crate) fn is_replaced(&self) -> bool {
        match *self {}
    }

    pub(crate) fn holds_writer_lock(&self) -> bool {
        match *self {}
    }

    pub(crate) fn map_wake_page(&self) -> io::Result<(MmapRaw, NonNull<u8>)> {
        match *self {}
    }

    pub(crate) fn writer_alive(&self) -> bool {
        match *self {}
    }

    pub(crate) fn writer_pid(&self) -> Option<u32> {
        match *self {}
    }
}

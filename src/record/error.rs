//! [`RecordError`]: why recording or reading a recording failed.

use std::io;
use std::path::{Path, PathBuf};

use super::segment::SegmentDefect;

/// Why recording a channel, or reading a recording, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A file or directory operation failed.
    #[error("{}: cannot {operation}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// The system's error.
        source: io::Error,
    },
    /// Another recorder writes the directory.
    #[error("{}: another recorder writes this directory", .dir.display())]
    RecorderExists {
        /// The recording directory.
        dir: PathBuf,
    },
    /// The recorder's lock file could not be taken (see the source).
    #[error("{}: the recorder's lock: {source}", .dir.display())]
    Lock {
        /// The recording directory.
        dir: PathBuf,
        /// Why.
        source: crate::error::OpenError,
    },
    /// The channel being recorded failed (a corrupt frame).
    #[error("the channel: {0}")]
    Ring(#[from] crate::error::Error),
    /// A segment's schema (registry or descriptions) cannot be decoded.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A segment is corrupt or truncated from `offset` on: the records before it were read,
    /// and reading goes on with the next segment.
    #[error("{}: {defect} at byte {offset}", .segment.display())]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Where its bytes stop making sense.
        offset: u64,
        /// What is wrong.
        defect: SegmentDefect,
    },
}

/// Why a recorded schema cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The recorded registry.
    #[error("the recorded schema registry: {0}")]
    Registry(#[from] crate::typed::RegistryError),
    /// A recorded description.
    #[error("a recorded schema description: {0}")]
    Description(#[from] crate::typed::description::DescriptionError),
}

impl RecordError {
    pub(crate) fn io(path: &Path, operation: &'static str, source: io::Error) -> Self {
        Self::Io { path: path.to_owned(), operation, source }
    }
}

//! [`CliError`]: everything that can stop a subcommand, printed by `main` on stderr.

use std::io;

/// Why a subcommand failed. Each variant's message is complete on its own: library errors
/// already name the channel file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Attaching to the channel file failed (missing, not a channel, permission denied...).
    #[error(transparent)]
    Open(#[from] bcast::OpenError),
    /// A ring operation failed (a corrupt frame, a message over the MTU...).
    #[error(transparent)]
    Ring(#[from] bcast::Error),
    /// Recording a channel, or reading a recording, failed.
    #[error(transparent)]
    Record(#[from] bcast::record::RecordError),
    /// A last-value table's snapshot could not be taken.
    #[error(transparent)]
    Snapshot(#[from] bcast::typed::LastValuesError),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Io(#[from] io::Error),
    /// Rendering JSON failed.
    #[error("cannot render JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The arguments describe something that cannot be done (exit status 2, as for arguments
    /// that do not parse).
    #[error("{0}")]
    Usage(String),
    /// The channel is not one the command works on (an untyped channel for `schema`, ...).
    #[error("{0}")]
    Channel(String),
    /// The benchmark went wrong (an echo that does not match, a thread that panicked).
    #[error("bench: {0}")]
    Bench(String),
}

impl CliError {
    /// The exit status for the error: 2 for bad arguments, as clap gives them, 1 otherwise.
    pub(crate) fn status(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }

    /// Whether the error is our output's reader going away, which ends a command quietly.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        match self {
            Self::Io(error) => error.kind() == io::ErrorKind::BrokenPipe,
            Self::Json(error) => error.io_error_kind() == Some(io::ErrorKind::BrokenPipe),
            _ => false,
        }
    }
}

/// The result of a subcommand.
pub(crate) type Result<T, E = CliError> = core::result::Result<T, E>;

//! `bcast rm PATH...`: removes channel files whose writer is gone (or never was), with their
//! writer lock files (`.NAME.lock`), as `RingBuffer::remove` does.
//!
//! A path is removed only once it has been attached as a channel: anything else (a directory,
//! FIFO, socket, symbolic link, a file that is too short or lacks the channel magic, one that
//! cannot be read) is refused and left alone, even with `--force`. A channel with a live writer
//! is refused unless `--force` is given. Each path gets its own line; the exit status is 1 if
//! any path was refused.

use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use bcast::{LayoutError, OpenError, RingBuffer};
use serde::Serialize;

use crate::error::{CliError, Result};
use crate::format;

/// Arguments of `bcast rm`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel files to remove, e.g. /dev/shm/feed.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Remove channels whose writer is alive too (it goes on with the removed file).
    #[arg(long)]
    force: bool,
    /// Print one JSON object per path instead of a line.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What became of one path, as `rm --json` prints it.
#[derive(Debug, Serialize)]
struct Outcome {
    path: String,
    /// Whether the channel file was removed.
    removed: bool,
    /// Whether the path was a channel, as far as could be checked (`null` if it could not be
    /// read).
    channel: Option<bool>,
    /// Whether a writer held the channel (`null` for a path that is not a channel).
    writer_alive: Option<bool>,
    /// Process id recorded in the channel header, if any.
    writer_pid: Option<u32>,
    /// Why the path was not removed: the message the text output prints.
    error: Option<String>,
}

impl Outcome {
    fn new(path: &Path) -> Self {
        Self {
            path: path.display().to_string(),
            removed: false,
            channel: None,
            writer_alive: None,
            writer_pid: None,
            error: None,
        }
    }

    fn refuse(mut self, why: impl std::fmt::Display) -> Self {
        self.error = Some(format!("{}: {why}", self.path));
        self
    }
}

/// Runs `bcast rm`.
///
/// # Errors
///
/// [`CliError::Channel`] if any path was refused (each was reported already), or if the output
/// cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let mut refused = 0;
    for path in &args.paths {
        let outcome = remove(path, args.force);
        if outcome.error.is_some() {
            refused += 1;
        }
        if args.json {
            format::json_line(out, &outcome)?;
        } else if let Some(error) = &outcome.error {
            // In order with the lines on stdout, which is buffered.
            out.flush()?;
            eprintln!("bcast: {}", format::escape(error));
        } else {
            let pid = match (outcome.writer_alive, outcome.writer_pid) {
                (Some(true), Some(pid)) => format!(" (forced: its writer, pid {pid}, is alive)"),
                (Some(true), None) => " (forced: its writer is alive)".to_owned(),
                _ => String::new(),
            };
            writeln!(out, "removed {}{pid}", format::escape(&outcome.path))?;
        }
    }
    match (refused, args.paths.len()) {
        (0, _) => Ok(()),
        (_, 1) => Err(CliError::Channel("the path was not removed".to_owned())),
        (n, total) => Err(CliError::Channel(format!("{n} of {total} paths were not removed"))),
    }
}

/// Removes `path` if it is a channel whose writer is gone (or alive, with `force`).
fn remove(path: &Path, force: bool) -> Outcome {
    let mut outcome = Outcome::new(path);
    // A first look without following links, so that what is not a regular file is never
    // opened; `attach` checks again what it opened.
    let kind = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return outcome.refuse("no such file");
        }
        Err(error) => return outcome.refuse(format_args!("cannot look at it: {error}")),
    };
    if !kind.is_file() {
        outcome.channel = Some(false);
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_symlink() {
            "a symbolic link"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_block_device() || kind.is_char_device() {
            "a device"
        } else {
            "a special file"
        };
        return outcome.refuse(format_args!("not a bcast channel ({what})"));
    }
    let ring = match RingBuffer::attach(path) {
        Ok(ring) => ring,
        Err(error) => {
            outcome.channel = Some(false);
            let why = match &error {
                OpenError::Layout { reason: LayoutError::TooShort { len, .. }, .. } => {
                    format!("not a bcast channel (too short: {len} bytes)")
                }
                OpenError::Layout { reason: LayoutError::NotAChannel { .. }, .. } => {
                    "not a bcast channel (no channel magic)".to_owned()
                }
                OpenError::Layout { reason, .. } => format!("not a bcast channel ({reason})"),
                OpenError::Refused { reason, .. } => format!("not a bcast channel ({reason})"),
                OpenError::Io { source, .. } => {
                    outcome.channel = None;
                    format!("cannot read it to check that it is a bcast channel: {source}")
                }
                other => format!("not removed: {other}"),
            };
            return outcome.refuse(why);
        }
    };
    outcome.channel = Some(true);
    let info = ring.info();
    outcome.writer_alive = Some(info.writer_alive);
    outcome.writer_pid = info.writer_pid;
    if info.writer_alive && !force {
        let pid = info.writer_pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default();
        return outcome
            .refuse(format_args!("a writer is alive{pid}; use --force to remove it anyway"));
    }
    // The path must still name the file that was checked.
    if ring.is_replaced() {
        return outcome.refuse("it changed while it was checked; not removed");
    }
    drop(ring);
    match RingBuffer::remove(path) {
        Ok(()) => outcome.removed = true,
        // The channel file went, its lock file could not: the channel is removed all the same.
        Err(error) if std::fs::symlink_metadata(path).is_err() => {
            eprintln!("bcast: warning: {}", format::escape(&error.to_string()));
            outcome.removed = true;
        }
        Err(OpenError::Io { operation, source, .. }) => {
            return outcome.refuse(format_args!("cannot {operation} it: {source}"));
        }
        Err(error) => return outcome.refuse(error),
    }
    outcome
}

//! `bcast ls [DIR]`: the channels in a directory (`/dev/shm` by default), one line each: name,
//! schema (channel type) name, capacity, messages, message rate, writer status and pid.
//!
//! Only regular files are looked at (never a FIFO, device, socket or directory, and symbolic
//! links are not followed), and each is attached read-only as `inspect` would (the library opens
//! without blocking and checks the header before trusting anything); whatever does not attach
//! (too short, no channel magic, another layout version, unreadable) is skipped. The message
//! rate is the delta of the writer's message counter (`ChannelInfo::messages`) over a short
//! window, between two attachments (a channel that replaced another at the path meanwhile,
//! which has another epoch, gets no rate).

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bcast::typed::Registry;
use bcast::{ChannelInfo, ReadOnly, RingBuffer};
use serde::Serialize;

use crate::error::{CliError, Result};
use crate::format;

/// Arguments of `bcast ls`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The directory to list (not recursively).
    #[arg(default_value = "/dev/shm")]
    dir: PathBuf,
    /// Window over which message rates are measured, in seconds.
    #[arg(long, value_name = "SECS", default_value = "0.2", value_parser = format::parse_secs)]
    interval: Duration,
    /// Print one JSON object per channel instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// One channel, as `ls --json` prints it.
#[derive(Debug, Serialize)]
struct Row {
    /// The file name in the directory.
    name: String,
    /// The full path.
    path: String,
    /// The channel type's name from the schema registry; `null` for an untyped channel (or an
    /// unreadable registry).
    channel: Option<String>,
    /// Whether the channel has a schema registry.
    typed: bool,
    /// Why the registry could not be read, if it could not.
    registry_error: Option<String>,
    /// Data capacity in bytes.
    capacity: usize,
    /// Messages published since the channel was made (the writer's counter in the header).
    messages: u64,
    /// Stream position after the last committed frame.
    committed: u64,
    /// Messages per second over the window: the delta of `messages` divided by its length;
    /// `null` if another channel replaced the file at the path meanwhile.
    messages_per_s: Option<f64>,
    /// The measured window, in seconds.
    interval_s: f64,
    /// `alive` or `gone`, as `inspect` and `stat` say it.
    writer: &'static str,
    /// The same, as a boolean.
    writer_alive: bool,
    /// Process id recorded in the header: the live writer's, or one that died without closing
    /// the channel; `null` when no writer has it open (a writer that closes clears it).
    writer_pid: Option<u32>,
    /// Readers parked on the channel, waiting for messages (killed ones included).
    parked_readers: u32,
}

/// A channel's message counter at the start of the window.
struct First {
    name: OsString,
    path: PathBuf,
    /// The channel's identity: a new channel at the path has another.
    epoch: u64,
    messages: u64,
    at: Instant,
}

/// Runs `bcast ls`.
///
/// # Errors
///
/// If the directory cannot be listed (missing, not a directory, permission denied) or the
/// output cannot be written. Entries that are not channels are skipped, never errors.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let mut firsts = first_look(&args.dir)?;
    if firsts.is_empty() {
        if !args.json {
            writeln!(out, "no bcast channels in {}", args.dir.display())?;
        }
        return Ok(());
    }
    firsts.sort_by(|a, b| a.name.cmp(&b.name));
    std::thread::sleep(args.interval);
    // Attached again rather than held: a directory of thousands of channels would otherwise
    // hold a descriptor each, past the usual limit of 1024. One removed meanwhile is skipped.
    let rows: Vec<Row> = firsts.iter().filter_map(Row::new).collect();
    if args.json {
        for row in &rows {
            format::json_line(out, row)?;
        }
        Ok(())
    } else {
        write_text(out, &rows)
    }
}

/// The message counter of every regular file of `dir` that is a channel.
fn first_look(dir: &Path) -> Result<Vec<First>> {
    let shown = dir.display();
    let entries = std::fs::read_dir(dir).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => CliError::Channel(format!("{shown}: no such directory")),
        io::ErrorKind::NotADirectory => CliError::Channel(format!("{shown}: not a directory")),
        _ => CliError::Channel(format!("{shown}: cannot list the directory: {error}")),
    })?;
    let mut firsts = Vec::new();
    for entry in entries {
        // An entry that vanished or cannot be looked at is no channel we can show.
        let Ok(entry) = entry else { continue };
        // The entry's own type (`d_type`, or `lstat`): symbolic links are not followed, and
        // FIFOs, sockets, devices and directories are never opened.
        if !entry.file_type().is_ok_and(|kind| kind.is_file()) {
            continue;
        }
        let path = entry.path();
        let Some(ring) = attach(&path) else { continue };
        let info = ring.info();
        let (epoch, messages, at) = (info.epoch, info.messages, Instant::now());
        firsts.push(First { name: entry.file_name(), path, epoch, messages, at });
    }
    Ok(firsts)
}

/// The channel at `path` if it is a regular file that attaches as one: the library opens it
/// without blocking, re-checks the type of what it opened, and refuses what is too short,
/// sparse, or not a channel of this layout version.
fn attach(path: &Path) -> Option<RingBuffer<ReadOnly>> {
    if !std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file()) {
        return None;
    }
    RingBuffer::attach(path).ok()
}

impl Row {
    /// The channel at `first`'s path now, with its rate since `first`; `None` if it is gone.
    fn new(first: &First) -> Option<Self> {
        let ring = attach(&first.path)?;
        let info: ChannelInfo = ring.info();
        let elapsed = first.at.elapsed().as_secs_f64().max(f64::MIN_POSITIVE);
        let rate = (info.epoch == first.epoch)
            .then(|| info.messages.saturating_sub(first.messages) as f64 / elapsed);
        let (name, registry_error) = match Registry::read_from(&ring) {
            Ok(registry) => (registry.map(|registry| registry.channel.into_owned()), None),
            Err(error) => (None, Some(error.to_string())),
        };
        Some(Self {
            name: first.name.to_string_lossy().into_owned(),
            path: first.path.display().to_string(),
            channel: name,
            typed: info.registry_len > 0,
            registry_error,
            capacity: info.capacity,
            messages: info.messages,
            committed: info.committed,
            messages_per_s: rate,
            interval_s: elapsed,
            writer: if info.writer_alive { "alive" } else { "gone" },
            writer_alive: info.writer_alive,
            writer_pid: info.writer_pid,
            parked_readers: info.parked_readers,
        })
    }
}

/// The channels as a table, with a header line; names (untrusted) escaped.
fn write_text(out: &mut impl Write, rows: &[Row]) -> Result<()> {
    let names: Vec<String> = rows.iter().map(|row| format::escape(&row.name)).collect();
    let channels: Vec<String> = rows
        .iter()
        .map(|row| match (&row.channel, &row.registry_error) {
            (Some(channel), _) => format::escape(channel),
            (None, Some(_)) => "?".to_owned(),
            (None, None) => "-".to_owned(),
        })
        .collect();
    let width = |column: &[String], title: &str| {
        column.iter().map(|s| s.chars().count()).chain([title.len()]).max().unwrap_or(0)
    };
    let (name_w, channel_w) = (width(&names, "name"), width(&channels, "channel"));
    writeln!(
        out,
        "{:<name_w$}  {:<channel_w$}  {:>9}  {:>10}  {:>6}  {:>6}  {:<6}  pid",
        "name", "channel", "capacity", "messages", "msg/s", "parked", "writer"
    )?;
    for ((row, name), channel) in rows.iter().zip(&names).zip(&channels) {
        let pid = row.writer_pid.map_or_else(|| "-".to_owned(), |pid| pid.to_string());
        writeln!(
            out,
            "{name:<name_w$}  {channel:<channel_w$}  {:>9}  {:>10}  {:>6}  {:>6}  {:<6}  {pid}",
            format::bytes(row.capacity as u64),
            row.messages,
            row.messages_per_s.map_or_else(|| "-".to_owned(), format::rate),
            row.parked_readers,
            row.writer,
        )?;
    }
    Ok(())
}

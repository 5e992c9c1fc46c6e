//! `bcast record PATH --dir DIR`: records a channel into a directory of segment files until
//! Ctrl-C (or `--duration`), then prints what it recorded.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use bcast::RingBuffer;
use bcast::record::{Fsync, Recorder, RecorderOptions, RecorderStats};
use serde::Serialize;

use crate::error::Result;
use crate::{format, stop};

/// Arguments of `bcast record`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel file, e.g. /dev/shm/feed.
    path: PathBuf,
    /// The recording directory (made if missing; a later run continues it).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Start a new segment once one holds this many bytes (K, M, G suffixes: KiB, MiB, GiB).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    segment_size: u64,
    /// Start a new segment once one is this many seconds old.
    #[arg(long, value_name = "SECS", value_parser = format::parse_secs)]
    segment_age: Option<Duration>,
    /// Delete the oldest segments while all of them take more than SIZE.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    retain: Option<u64>,
    /// Delete segments whose last record is older than SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = format::parse_secs)]
    retain_age: Option<Duration>,
    /// When to fsync: `never` (the default), `segment` (each complete segment), or a number of
    /// seconds (at most that long after data is written).
    #[arg(long, value_name = "WHEN", default_value = "never", value_parser = parse_fsync)]
    fsync: Fsync,
    /// Start at the oldest message the ring still holds, rather than at the live edge.
    #[arg(long)]
    from_oldest: bool,
    /// Stop after SECS seconds (default: run until Ctrl-C or SIGTERM).
    #[arg(long, value_name = "SECS", value_parser = format::parse_secs)]
    duration: Option<Duration>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `record --json` prints when it stops.
#[derive(Debug, Serialize)]
struct Summary {
    frames: u64,
    bytes: u64,
    segments: u64,
    lost: u64,
    deleted: u64,
}

/// Runs `bcast record`.
///
/// # Errors
///
/// If the channel cannot be attached, the directory cannot be written (or another recorder
/// writes it), or the channel holds a corrupt frame.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let ring = RingBuffer::attach(&args.path)?;
    let options = RecorderOptions {
        segment_bytes: args.segment_size,
        segment_age: args.segment_age,
        retain_bytes: args.retain,
        retain_age: args.retain_age,
        fsync: args.fsync,
        from_oldest: args.from_oldest,
    };
    let mut recorder = Recorder::new(&ring, &args.dir, options)?;
    stop::on_signals();
    stop::after(args.duration);
    recorder.run(&stop::STOP)?;
    summary(out, args.json, recorder.stats())
}

/// Prints what the recorder did.
fn summary(out: &mut impl Write, json: bool, stats: RecorderStats) -> Result<()> {
    let RecorderStats { frames, bytes, segments, lost, deleted, .. } = stats;
    if json {
        return format::json_line(out, &Summary { frames, bytes, segments, lost, deleted });
    }
    writeln!(
        out,
        "recorded {frames} frames, {} in {segments} segments; lost {lost}; deleted {deleted} \
         segments",
        format::bytes(bytes)
    )?;
    Ok(())
}

/// A size in bytes: a number with an optional `K`, `M` or `G` (binary units; `KiB`, `MiB`,
/// `GiB` too).
pub(crate) fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim_end_matches("iB").trim_end_matches('B');
    let (number, shift) = match trimmed.as_bytes().last() {
        Some(b'K' | b'k') => (&trimmed[..trimmed.len() - 1], 10),
        Some(b'M' | b'm') => (&trimmed[..trimmed.len() - 1], 20),
        Some(b'G' | b'g') => (&trimmed[..trimmed.len() - 1], 30),
        _ => (trimmed, 0),
    };
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a size"))?;
    number
        .checked_mul(1 << shift)
        .filter(|&size| size > 0)
        .ok_or_else(|| format!("`{text}` is not a positive size below 16 EiB"))
}

/// `never`, `segment`, or a number of seconds.
fn parse_fsync(text: &str) -> std::result::Result<Fsync, String> {
    match text {
        "never" => Ok(Fsync::Never),
        "segment" => Ok(Fsync::PerSegment),
        secs => format::parse_secs(secs)
            .map(Fsync::Every)
            .map_err(|_| format!("`{text}`: give never, segment, or a number of seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("8k"), Ok(8 << 10));
        assert!(parse_size("0").is_err() && parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
    }

    #[test]
    fn fsync_is_a_word_or_seconds() {
        assert_eq!(parse_fsync("segment"), Ok(Fsync::PerSegment));
        assert_eq!(parse_fsync("0.5"), Ok(Fsync::Every(Duration::from_millis(500))));
        assert!(parse_fsync("always").is_err());
    }
}

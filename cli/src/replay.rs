//! `bcast replay DIR --to PATH`: publishes a recording into a channel, with its tags and
//! sequence numbers, at the recorded pace, faster, or as fast as possible.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use bcast::RingBuffer;
use bcast::record::{Pace, Recording, Replayer, Start};
use serde::Serialize;

use crate::error::{CliError, Result};
use crate::{format, stop};

/// Arguments of `bcast replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The recording directory.
    dir: PathBuf,
    /// The channel to publish into, made with the recording's schema (or taken over, if one
    /// of that schema is there and its writer is gone).
    #[arg(long, value_name = "PATH")]
    to: PathBuf,
    /// Replay this many times faster than recorded (default: at the recorded pace).
    #[arg(long, value_name = "X", conflicts_with = "max")]
    speed: Option<f64>,
    /// Replay as fast as possible.
    #[arg(long)]
    max: bool,
    /// Start at sequence number SEQ, or at the Unix time @SECS (e.g. @1764900000.5).
    #[arg(long, value_name = "SEQ|@SECS", value_parser = parse_start)]
    from: Option<Start>,
    /// The new channel's capacity (default: the recorded channel's).
    #[arg(long, value_name = "SIZE", value_parser = crate::record::parse_size)]
    capacity: Option<u64>,
    /// After the end of the recording, go on with what a recorder adds, until Ctrl-C.
    #[arg(long)]
    follow: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `replay --json` prints when it stops.
#[derive(Debug, Serialize)]
struct Summary {
    frames: u64,
    missing: u64,
    corrupt_segments: u64,
}

/// Runs `bcast replay`.
///
/// # Errors
///
/// If the recording cannot be read, the channel cannot be made, or a frame cannot be
/// published (over the channel's MTU, or a recording whose numbers start over).
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let recording = Recording::open(&args.dir)?;
    let segments = recording.segments()?;
    let Some(first) = segments.first() else {
        return Err(CliError::Usage(format!("{}: the recording is empty", args.dir.display())));
    };
    let capacity = args.capacity.unwrap_or(first.capacity);
    let capacity = usize::try_from(capacity)
        .map_err(|_| CliError::Usage(format!("a capacity of {capacity} bytes is too large")))?;
    let schema = recording.schema()?;
    let registry = schema.as_ref().and_then(|schema| schema.registry.clone());
    let description = schema.as_ref().and_then(|schema| schema.descriptions.last());
    let ring = match (&registry, description) {
        (Some(registry), Some(description)) => {
            registry.create_described_channel(&args.to, capacity, description)
        }
        (Some(registry), None) => registry.create_channel(&args.to, capacity),
        (None, _) => RingBuffer::create(&args.to, capacity).map_err(Into::into),
    }
    .map_err(|error| CliError::Channel(error.to_string()))?;
    let pace = match (args.max, args.speed) {
        (true, _) => Pace::Max,
        (false, Some(speed)) if speed.is_finite() && speed > 0.0 => Pace::Speed(speed),
        (false, Some(speed)) => {
            return Err(CliError::Usage(format!("--speed {speed}: give a positive factor")));
        }
        (false, None) => Pace::Recorded,
    };
    let reader = recording.read_from(args.from.unwrap_or(Start::Beginning))?;
    let mut replayer = Replayer::new(reader, ring.into_writer(), pace);
    if args.follow {
        stop::on_signals();
        replayer.run(&stop::STOP)?;
    } else {
        replayer.replay_available()?;
    }
    let stats = replayer.stats();
    if args.json {
        let summary = Summary {
            frames: stats.frames,
            missing: stats.missing,
            corrupt_segments: stats.corrupt_segments,
        };
        return format::json_line(out, &summary);
    }
    writeln!(
        out,
        "replayed {} frames into {}; {} messages not in the recording; {} corrupt segments \
         skipped",
        stats.frames,
        args.to.display(),
        stats.missing,
        stats.corrupt_segments
    )?;
    Ok(())
}

/// `SEQ` or `@SECS` (Unix time).
fn parse_start(text: &str) -> std::result::Result<Start, String> {
    if let Some(secs) = text.strip_prefix('@') {
        let secs: f64 = secs.parse().map_err(|_| format!("`{text}`: give @ and Unix seconds"))?;
        let since =
            Duration::try_from_secs_f64(secs).map_err(|error| format!("`{text}`: {error}"))?;
        return Ok(Start::Time(SystemTime::UNIX_EPOCH + since));
    }
    text.parse().map(Start::Seq).map_err(|_| format!("`{text}`: give SEQ or @SECS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_a_number_or_a_time() {
        assert_eq!(parse_start("42"), Ok(Start::Seq(42)));
        let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(parse_start("@1.5"), Ok(Start::Time(time)));
        assert!(parse_start("soon").is_err() && parse_start("@-1").is_err());
    }
}

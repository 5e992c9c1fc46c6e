//! `bcast tail PATH`: follows a channel and prints each frame as it arrives.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bcast::{Reader, Received};
use serde::Serialize;

use crate::channel::{Channel, TypeNames};
use crate::error::{CliError, Result};
use crate::format;

/// How long to sleep when no frame is pending: short enough to keep up with a busy writer in
/// a ring of a few MiB, long enough not to busy a core.
const IDLE_SLEEP: Duration = Duration::from_micros(200);

/// Longest back-off after overruns that resetting does not clear.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// Arguments of `bcast tail`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel file, e.g. /dev/shm/feed.
    path: PathBuf,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// How many payload bytes to show in hex.
    #[arg(long, value_name = "N", default_value_t = 32)]
    hex_bytes: usize,
    /// Start at the first message (position 0); overwritten ones are reported lost.
    #[arg(long, conflicts_with = "from_oldest")]
    from_start: bool,
    /// Start at the oldest message the ring still holds.
    #[arg(long)]
    from_oldest: bool,
    /// Exit after printing N frames.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Exit after SECS seconds without a new frame (default: run until Ctrl-C).
    #[arg(long, value_name = "SECS", value_parser = format::parse_secs)]
    timeout: Option<Duration>,
}

/// One line of `tail --json`.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Event<'a> {
    /// A message frame.
    Frame {
        position: u64,
        seq: u64,
        tag: u32,
        /// The type the registry gives the tag, `null` if none does.
        #[serde(rename = "type")]
        type_name: Option<&'a str>,
        len: usize,
        /// Hex of the first `--hex-bytes` bytes of the payload.
        hex: &'a str,
    },
    /// Messages that were published but that this reader never received (it was overrun).
    Lost {
        /// How many messages were lost.
        messages: u64,
        /// The sequence number of the next message received.
        before_seq: u64,
    },
    /// The channel reported an overrun again with the writer's claimed position unchanged:
    /// its header is inconsistent (corrupt, or written by something other than a bcast
    /// writer), and `tail` backs off instead of resetting in a loop. Printed the first time.
    Stuck {
        /// The claimed position the header keeps reporting.
        claimed: u64,
    },
    /// Printed on exit if any overrun did not clear: how many there were.
    StuckOverruns {
        /// Overruns seen with an unchanged claimed position.
        count: u64,
    },
}

/// Runs `bcast tail`.
///
/// On an overrun the reader moves to the writer's position, or with `--from-start` and
/// `--from-oldest` (which ask for history) to the oldest message still intact; either way the
/// messages it missed are counted from the gap in sequence numbers and reported on one line.
///
/// A writer's claimed position moves on between two overruns of a reader that reset in
/// between. If it has not, the header is inconsistent and resetting cannot help: the first such
/// overrun is reported, the reader moves to the writer's position, and every further one makes
/// `tail` sleep (doubling up to 100 ms) instead of spinning; their count is reported on exit,
/// which `--timeout` still brings.
///
/// # Errors
///
/// If the channel cannot be attached, holds a corrupt frame, or the output cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let channel = Channel::attach(&args.path)?;
    let names = channel.type_names();
    let ring = channel.ring;
    let mut reader = if args.from_start {
        ring.into_reader_at(0)?
    } else if args.from_oldest {
        ring.into_reader_at_oldest()
    } else {
        ring.into_reader()
    };
    if !args.json {
        writeln!(
            out,
            "{:>10} {:>7} {:>4} {:<10} {:>5}  payload (hex)",
            "position", "seq", "tag", "type", "len"
        )?;
        out.flush()?;
    }
    let mut tail = Tail { args, names, buf: vec![0; reader.mtu()], lost: 0, printed: 0 };
    let mut last_frame = Instant::now();
    let mut stuck = Stuck::default();
    let timed_out =
        |last_frame: Instant| args.timeout.is_some_and(|timeout| last_frame.elapsed() >= timeout);
    while args.count.is_none_or(|count| tail.printed < count) {
        match reader.try_recv(&mut tail.buf) {
            Ok(Some(received)) => {
                tail.print(out, &reader, received)?;
                last_frame = Instant::now();
            }
            Ok(None) => {
                // Show what we have before waiting.
                out.flush()?;
                if timed_out(last_frame) {
                    break;
                }
                std::thread::sleep(IDLE_SLEEP);
            }
            Err(bcast::Error::Overrun(lapped)) => {
                if stuck.last_claimed.replace(lapped.claimed) != Some(lapped.claimed) {
                    stuck.backoff = IDLE_SLEEP;
                    if args.from_start || args.from_oldest {
                        reader.reset_to_oldest();
                    } else {
                        reader.reset();
                    }
                    continue;
                }
                // The writer made no progress since the last overrun: not a lap but an
                // inconsistent header. Report it once, stop replaying, and back off.
                if stuck.count == 0 {
                    tail.stuck(out, lapped.claimed)?;
                } else {
                    std::thread::sleep(stuck.backoff);
                    stuck.backoff = (stuck.backoff * 2).min(MAX_BACKOFF);
                }
                stuck.count += 1;
                reader.reset();
                if timed_out(last_frame) {
                    break;
                }
            }
            Err(error) => return Err(CliError::Ring(error)),
        }
    }
    if stuck.count > 0 {
        tail.stuck_overruns(out, stuck.count)?;
    }
    Ok(())
}

/// Overruns that resetting did not clear.
#[derive(Debug, Default)]
struct Stuck {
    /// The writer's claimed position at the last overrun.
    last_claimed: Option<u64>,
    /// How many overruns found it unchanged.
    count: u64,
    /// The next sleep before resetting again.
    backoff: Duration,
}

/// The state of a running `tail`.
struct Tail<'a> {
    args: &'a Args,
    names: TypeNames,
    /// Receives each payload: `reader.mtu()` bytes, so every message fits.
    buf: Vec<u8>,
    /// `reader.stats().lost` when last reported.
    lost: u64,
    /// Frames printed so far.
    printed: u64,
}

impl Tail<'_> {
    /// Reports an overrun that resetting did not clear.
    fn stuck(&self, out: &mut impl Write, claimed: u64) -> Result<()> {
        if self.args.json {
            format::json_line(out, &Event::Stuck { claimed })?;
        } else {
            writeln!(
                out,
                "-- overrun again with the writer's claimed position unchanged at \
                 {claimed}: the channel header is inconsistent; backing off --"
            )?;
        }
        Ok(out.flush()?)
    }

    /// Reports on exit how many overruns did not clear.
    fn stuck_overruns(&self, out: &mut impl Write, count: u64) -> Result<()> {
        if self.args.json {
            format::json_line(out, &Event::StuckOverruns { count })?;
        } else {
            writeln!(out, "-- {count} overruns did not clear (inconsistent channel header) --")?;
        }
        Ok(out.flush()?)
    }

    /// Prints a loss line if the reader's loss count grew, then the frame's line.
    fn print(&mut self, out: &mut impl Write, reader: &Reader, received: Received) -> Result<()> {
        let lost = reader.stats().lost;
        if lost > self.lost {
            let messages = lost - self.lost;
            self.lost = lost;
            if self.args.json {
                format::json_line(out, &Event::Lost { messages, before_seq: received.seq })?;
            } else {
                writeln!(out, "-- lost {messages} messages (overrun) --")?;
            }
        }
        let shown = received.len.min(self.args.hex_bytes);
        let hex = format::hex(&self.buf[..shown]);
        let type_name = self.names.get(received.tag);
        if self.args.json {
            let frame = Event::Frame {
                position: received.position,
                seq: received.seq,
                tag: received.tag,
                type_name,
                len: received.len,
                hex: &hex,
            };
            format::json_line(out, &frame)?;
        } else {
            let more = if shown < received.len { ".." } else { "" };
            writeln!(
                out,
                "{:>10} {:>7} {:>4} {:<10} {:>5}  {hex}{more}",
                received.position,
                received.seq,
                received.tag,
                type_name.unwrap_or("-"),
                received.len,
            )?;
        }
        self.printed += 1;
        Ok(())
    }
}

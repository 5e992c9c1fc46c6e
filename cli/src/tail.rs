//! `bcast tail PATH`: follows a channel and prints each frame as it arrives: decoded from the
//! channel's schema description on a typed channel, in hex otherwise (or with `--raw`).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bcast::record::{Entry, GapCause, RecordError, Recording};
use bcast::typed::decoder::Decoder;
use bcast::typed::description::Node;
use bcast::typed::{DecodedSnapshot, Value};
use bcast::{ReadOnly, Reader, Received, RingBuffer};
use serde::Serialize;

use crate::channel::{Channel, TypeNames};
use crate::error::{CliError, Result};
use crate::format;

/// How long to sleep when no frame is pending: short enough to keep up with a busy writer in
/// a ring of a few MiB, long enough not to busy a core.
const IDLE_SLEEP: Duration = Duration::from_micros(200);

/// Longest back-off after overruns that resetting does not clear.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// How often an idle `tail` checks whether its path now names another channel.
const REPLACED_CHECK: Duration = Duration::from_millis(250);

/// Arguments of `bcast tail`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel file, e.g. /dev/shm/feed.
    #[arg(required_unless_present = "recording")]
    path: Option<PathBuf>,
    /// Print a recording's frames (a directory `bcast record` writes) instead of a channel's,
    /// from its start, then follow it while it is written.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["path", "from_start", "from_oldest"])]
    recording: Option<PathBuf>,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Show frames in hex even on a typed channel, whose frames are otherwise decoded.
    #[arg(long)]
    raw: bool,
    /// How many payload bytes to show in hex.
    #[arg(long, value_name = "N", default_value_t = 32)]
    hex_bytes: usize,
    /// Print the latest message of every key from the channel's last-value table first, then
    /// follow the channel from where that snapshot ends.
    #[arg(long, conflicts_with_all = ["raw", "from_start", "from_oldest"])]
    snapshot: bool,
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

/// What every frame's line shows first: where the frame is and what it is.
#[derive(Debug, Clone, Copy, Serialize)]
struct Meta<'a> {
    /// The frame's position in the ring; `null` for a recording's frame.
    position: Option<u64>,
    seq: u64,
    tag: u32,
    /// The type the registry gives the tag, `null` if none does.
    #[serde(rename = "type")]
    type_name: Option<&'a str>,
    len: usize,
}

impl Meta<'_> {
    /// The columns of the text line, under the header `run` prints.
    fn columns(&self) -> String {
        format!(
            "{:>10} {:>7} {:>4} {:<10} {:>5}",
            self.position.map_or_else(|| "-".to_owned(), |position| position.to_string()),
            self.seq,
            self.tag,
            self.type_name.unwrap_or("-"),
            self.len
        )
    }
}

/// One line of `tail --json`.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Event<'a> {
    /// A message of a typed channel, decoded.
    Message {
        #[serde(flatten)]
        meta: Meta<'a>,
        /// The message's fields, as the publisher's types serialise them.
        fields: &'a Value,
    },
    /// A frame of a typed channel that does not decode as its tag says.
    Undecodable {
        #[serde(flatten)]
        meta: Meta<'a>,
        /// Why it does not decode.
        error: String,
        /// Hex of the first `--hex-bytes` bytes of the payload.
        hex: &'a str,
    },
    /// A frame shown in hex: an untyped channel's, or any with `--raw`.
    Frame {
        #[serde(flatten)]
        meta: Meta<'a>,
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
    /// The path now names another channel (a publisher restarted): `tail` follows it, from
    /// its oldest message.
    Replaced {
        /// The channel file's path.
        path: &'a str,
    },
    /// The channel file was removed and nothing is at its path yet: `tail` waits for a new
    /// channel there. Printed once per removal.
    Removed {
        /// The channel file's path.
        path: &'a str,
    },
    /// Printed on exit if any overrun did not clear: how many there were.
    StuckOverruns {
        /// Overruns seen with an unchanged claimed position.
        count: u64,
    },
    /// The snapshot of `--snapshot` was printed: the live stream follows.
    Snapshot {
        /// How many messages it held: one per key.
        messages: usize,
        /// Where the live stream goes on.
        position: u64,
    },
    /// Messages `from..to` that a recording does not hold, and why.
    Gap {
        /// The first missing sequence number.
        from: u64,
        /// One past the last.
        to: u64,
        /// `overrun`, `not recorded` or `corrupt`.
        cause: &'static str,
    },
    /// A recording's segment is corrupt or truncated: the records before it were shown, and
    /// `tail` goes on with the next segment.
    Corrupt {
        /// What is wrong, and where.
        error: String,
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
    if let Some(dir) = &args.recording {
        return run_recording(args, dir, out);
    }
    let Some(path) = &args.path else {
        return Err(CliError::Usage("give a channel file, or --recording DIR".to_owned()));
    };
    let channel = Channel::attach(path)?;
    let decoder = if args.raw { None } else { channel.decoder() };
    header(args, decoder.is_some(), out)?;
    let names = channel.type_names();
    let ring = channel.ring.clone();
    let mut reader = if args.from_start {
        channel.ring.into_reader_at(0)?
    } else if args.from_oldest {
        channel.ring.into_reader_at_oldest()
    } else {
        channel.ring.into_reader()
    };
    let buf = vec![0; reader.mtu()];
    let mut tail =
        Tail { args, path, names, decoder, renewed: Vec::new(), buf, lost: 0, printed: 0 };
    if args.snapshot {
        tail.snapshot(out, &mut reader)?;
    }
    let mut last_frame = Instant::now();
    let mut last_check = Instant::now();
    let mut ring = Some(ring);
    let mut stuck = Stuck::default();
    let timed_out =
        |last_frame: Instant| args.timeout.is_some_and(|timeout| last_frame.elapsed() >= timeout);
    while args.count.is_none_or(|count| tail.printed < count) {
        match reader.try_recv(&mut tail.buf) {
            Ok(Some(received)) => {
                tail.renew_decoder(ring.as_ref(), received);
                tail.print(out, &reader, received)?;
                last_frame = Instant::now();
            }
            Ok(None) => {
                // Show what we have before waiting.
                out.flush()?;
                if timed_out(last_frame) {
                    break;
                }
                if last_check.elapsed() >= REPLACED_CHECK {
                    last_check = Instant::now();
                    if let Some(new) = tail.follow(out, &mut ring)? {
                        reader = new;
                        stuck = Stuck::default();
                        continue;
                    }
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

/// Runs `bcast tail --recording DIR`: the recording's frames from its start, decoded with the
/// schema its newest segment holds, its gaps and corrupt segments as lines of their own; then
/// follows it while a recorder writes it, until `--count` or `--timeout`.
fn run_recording(args: &Args, dir: &std::path::Path, out: &mut impl Write) -> Result<()> {
    let recording = Recording::open(dir)?;
    let schema = recording.schema()?;
    let registry = schema.as_ref().and_then(|schema| schema.registry.clone());
    let description = schema.as_ref().and_then(|schema| schema.descriptions.last().cloned());
    let decoder = match (&registry, description) {
        (Some(registry), Some(description)) if !args.raw => {
            Decoder::new(registry.clone(), description).ok()
        }
        _ => None,
    };
    header(args, decoder.is_some(), out)?;
    let names = TypeNames::new(registry.as_ref());
    let mut tail = Tail {
        args,
        path: dir,
        names,
        decoder,
        renewed: Vec::new(),
        buf: Vec::new(),
        lost: 0,
        printed: 0,
    };
    let mut reader = recording.read_from_start()?;
    let mut last_entry = Instant::now();
    while args.count.is_none_or(|count| tail.printed < count) {
        match reader.next_entry() {
            Ok(Some(Entry::Frame(frame))) => {
                let stamp = frame.stamp;
                tail.buf.clear();
                tail.buf.extend_from_slice(frame.payload);
                tail.print_frame(out, None, stamp, frame.payload.len())?;
                last_entry = Instant::now();
            }
            Ok(Some(Entry::Gap { from, to, cause })) => {
                let cause = match cause {
                    GapCause::Overrun => "overrun",
                    GapCause::Corrupt => "corrupt",
                    _ => "not recorded",
                };
                tail.event(out, &Event::Gap { from, to, cause }, || {
                    format!("-- {} messages not in the recording ({cause}) --", to - from)
                })?;
            }
            Ok(None) => {
                out.flush()?;
                if args.timeout.is_some_and(|timeout| last_entry.elapsed() >= timeout) {
                    break;
                }
                std::thread::sleep(RECORDING_POLL);
            }
            Err(RecordError::Corrupt { segment, offset, defect }) => {
                let error = format!("{}: {defect} at byte {offset}", segment.display());
                let text = format!("-- corrupt segment {error}: going on with the next --");
                tail.event(out, &Event::Corrupt { error: error.clone() }, || text)?;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// Prints the table's header line, unless the output is JSON.
fn header(args: &Args, decoded: bool, out: &mut impl Write) -> Result<()> {
    if args.json {
        return Ok(());
    }
    let payload = if decoded { "message" } else { "payload (hex)" };
    writeln!(
        out,
        "{:>10} {:>7} {:>4} {:<10} {:>5}  {payload}",
        "position", "seq", "tag", "type", "len"
    )?;
    Ok(out.flush()?)
}

/// How often `tail --recording` looks for more at the end of a recording being written.
const RECORDING_POLL: Duration = Duration::from_millis(20);

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
    /// The channel file (or the recording directory).
    path: &'a std::path::Path,
    names: TypeNames,
    /// Decodes a typed channel's frames; `None` shows them in hex.
    decoder: Option<Decoder>,
    /// The (tag, version) pairs the decoder was read again for.
    renewed: Vec<(u32, u16)>,
    /// Receives each payload: `reader.mtu()` bytes, so every message fits.
    buf: Vec<u8>,
    /// `reader.stats().lost` when last reported.
    lost: u64,
    /// Frames printed so far.
    printed: u64,
}

impl Tail<'_> {
    /// Checks whether the path still names the channel `ring` maps. If a new channel is there,
    /// reports it, attaches to it, and returns a reader from its oldest message (every message
    /// of a new channel is news). If the path names nothing, reports that once (`ring` becomes
    /// `None`) and returns `None` until a channel appears.
    fn follow(
        &mut self,
        out: &mut impl Write,
        ring: &mut Option<RingBuffer<ReadOnly>>,
    ) -> Result<Option<Reader>> {
        if ring.as_ref().is_some_and(|ring| !ring.is_replaced()) {
            return Ok(None);
        }
        let path = self.path.display().to_string();
        let channel = match Channel::attach(self.path) {
            Ok(channel) => channel,
            Err(CliError::Open(bcast::OpenError::Io { source, .. }))
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                if ring.take().is_some() {
                    self.event(out, &Event::Removed { path: &path }, || {
                        format!("-- {path} was removed: waiting for a new channel there --")
                    })?;
                }
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        self.event(out, &Event::Replaced { path: &path }, || {
            format!("-- {path} now names another channel: following it from its start --")
        })?;
        self.names = channel.type_names();
        self.decoder = if self.args.raw { None } else { channel.decoder() };
        *ring = Some(channel.ring.clone());
        let reader = channel.ring.into_reader_at_oldest();
        self.buf.resize(reader.mtu(), 0);
        self.lost = 0;
        Ok(Some(reader))
    }

    /// Prints the channel's last-value table (`--snapshot`) and moves `reader` to where it
    /// ends.
    fn snapshot(&mut self, out: &mut impl Write, reader: &mut Reader) -> Result<()> {
        let Some(decoder) = &self.decoder else {
            let path = self.path.display();
            return Err(CliError::Channel(format!("{path} is not a typed channel: no snapshot")));
        };
        let snapshot = DecodedSnapshot::take(decoder, reader)?;
        let messages = snapshot.messages.len();
        for (received, payload) in snapshot.messages {
            // A table's entries are at most the ring's MTU, which `buf` holds; a longer one
            // (no table that opens has one) is not a reason to stop.
            if self.buf.len() < payload.len() {
                self.buf.resize(payload.len(), 0);
            }
            self.buf[..payload.len()].copy_from_slice(&payload);
            let position = (received.position != 0).then_some(received.position);
            self.print_frame(out, position, bcast::Stamp::from(&received), received.len)?;
        }
        let position = snapshot.position;
        self.event(out, &Event::Snapshot { messages, position }, || {
            format!(
                "-- snapshot: {messages} messages, one per key; live from position {position} --"
            )
        })
    }

    /// Prints `event` as JSON, or `text` as a line.
    fn event(
        &self,
        out: &mut impl Write,
        event: &Event<'_>,
        text: impl FnOnce() -> String,
    ) -> Result<()> {
        if self.args.json {
            format::json_line(out, event)?;
        } else {
            writeln!(out, "{}", text())?;
        }
        Ok(out.flush()?)
    }

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

    /// Reads the channel's description again when `received` is of a later version of its
    /// type than the decoder's: a publisher of that version rolled the channel over and
    /// stored its description (which a later rkyv archive needs to be decoded at all).
    fn renew_decoder(&mut self, ring: Option<&RingBuffer<ReadOnly>>, received: Received) {
        let (Some(decoder), Some(ring)) = (&self.decoder, ring) else { return };
        let description = decoder.description();
        let described = description.root(received.tag).map(|root| description.node(root));
        let Some(Node::Struct { version, .. }) = described else { return };
        // Once per (type, version): a frame whose version no description has (a buggy
        // writer's) does not cost every frame a read of the header.
        let key = (received.tag, received.version);
        if received.version > *version && !self.renewed.contains(&key) {
            if self.renewed.len() < 256 {
                self.renewed.push(key);
            }
            if let Ok(renewed) = Decoder::read_from(ring) {
                self.decoder = Some(renewed);
            }
        }
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
        let stamp = bcast::Stamp::from(&received);
        self.print_frame(out, Some(received.position), stamp, received.len)
    }

    /// Prints the line of the frame `stamp` whose `len` payload bytes are in `buf`: decoded by
    /// its type's version if the channel is typed, in hex otherwise.
    fn print_frame(
        &mut self,
        out: &mut impl Write,
        position: Option<u64>,
        stamp: bcast::Stamp,
        len: usize,
    ) -> Result<()> {
        let payload = &self.buf[..len];
        let type_name = self.names.get(stamp.tag);
        let meta = Meta { position, seq: stamp.seq, tag: stamp.tag, type_name, len };
        let decoded = self
            .decoder
            .as_ref()
            .map(|decoder| decoder.decode_version(stamp.tag, stamp.version, payload));
        match decoded {
            Some(Ok(value)) => self.print_message(out, meta, &value)?,
            Some(Err(error)) => self.print_hex(out, meta, Some(error.to_string()))?,
            None => self.print_hex(out, meta, None)?,
        }
        self.printed += 1;
        Ok(())
    }

    /// A decoded message's line: its fields in Rust-like text, or as JSON.
    fn print_message(&self, out: &mut impl Write, meta: Meta<'_>, value: &Value) -> Result<()> {
        if self.args.json {
            return format::json_line(out, &Event::Message { meta, fields: value });
        }
        // The message type's name is in the type column: show only its fields.
        let fields = match value {
            Value::Struct { fields, .. } => fields.to_string(),
            other => other.to_string(),
        };
        writeln!(out, "{}  {}", meta.columns(), fields.trim_start())?;
        Ok(())
    }

    /// A frame's line in hex, with why it did not decode if it should have.
    fn print_hex(&self, out: &mut impl Write, meta: Meta<'_>, error: Option<String>) -> Result<()> {
        let shown = meta.len.min(self.args.hex_bytes);
        let hex = format::hex(&self.buf[..shown]);
        if self.args.json {
            let event = match error {
                Some(error) => Event::Undecodable { meta, error, hex: &hex },
                None => Event::Frame { meta, hex: &hex },
            };
            return format::json_line(out, &event);
        }
        let more = if shown < meta.len { ".." } else { "" };
        let error = error.map(|error| format!("  (does not decode: {error})")).unwrap_or_default();
        writeln!(out, "{}  {hex}{more}{error}", meta.columns())?;
        Ok(())
    }
}

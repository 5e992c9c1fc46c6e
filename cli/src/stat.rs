//! `bcast stat PATH`: messages/s and bytes/s per message type, interval by interval, like
//! Aeron's AeronStat.
//!
//! The sampler is itself a reader: it steps through every frame with lazy batch reads, taking
//! each frame's tag and length from its header without copying the payload, so it keeps up with
//! a fast writer. Losses (the writer lapping the sampler) come from the reader's exact
//! sequence-number accounting; the writer's own message counter is shown as a cross-check.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bcast::{ReadOnly, Reader, RingBuffer};
use serde::Serialize;

use crate::channel::{Channel, TypeNames};
use crate::error::{CliError, Result};
use crate::format;

/// How long to sleep when no frame is pending.
const IDLE_SLEEP: Duration = Duration::from_micros(200);

/// Arguments of `bcast stat`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel file, e.g. /dev/shm/feed.
    path: PathBuf,
    /// Length of each sampling interval, in seconds.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = format::parse_secs)]
    interval: Duration,
    /// Exit after N intervals (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Print one JSON object per interval instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// One interval, as `stat --json` prints it.
#[derive(Debug, Serialize)]
struct Sample<'a> {
    /// Seconds since the sampler attached, at the end of the interval.
    at_s: f64,
    /// Measured length of the interval in seconds.
    interval_s: f64,
    /// Per message type: every type of the registry, then any other tag seen.
    types: Vec<TypeStat<'a>>,
    /// All types together.
    total: Counts,
    /// Messages the sampler missed because the writer lapped it.
    lost: u64,
    /// Overruns the sampler hit.
    overruns: u64,
    /// How far behind the writer the sampler was at the end of the interval (`null` if it had
    /// just been overrun): whether `stat` itself keeps up.
    lag: Option<bcast::Lag>,
    /// The writer's side, from the channel header.
    writer: WriterStat,
    /// Whether the path named another channel at the end of the previous interval (a
    /// publisher restarted), which this interval sampled instead.
    replaced: bool,
}

/// Counts and rates of one message type in one interval.
#[derive(Debug, Serialize)]
struct TypeStat<'a> {
    tag: u32,
    /// The type the registry gives the tag, `null` if none does.
    #[serde(rename = "type")]
    type_name: Option<&'a str>,
    #[serde(flatten)]
    counts: Counts,
    /// Messages of this type the sampler lost in the interval, counted from the frames' tag
    /// sequences (typed publishers number each type's messages): a loss shows when the next
    /// message of the type arrives.
    lost: u64,
}

/// Messages and payload bytes received in an interval, and the rates they make.
#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Counts {
    messages: u64,
    bytes: u64,
    messages_per_s: f64,
    bytes_per_s: f64,
}

/// What the channel header says about the writer.
#[derive(Debug, Serialize)]
struct WriterStat {
    /// Messages the writer published during the interval.
    messages: u64,
    messages_per_s: f64,
    /// Messages the writer has published since the channel was made.
    total: u64,
    /// Whether a writer holds the channel.
    alive: bool,
}

/// Runs `bcast stat`.
///
/// # Errors
///
/// If the channel cannot be attached, holds a corrupt frame, or the output cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let channel = Channel::attach(&args.path)?;
    let mut names = channel.type_names();
    let mut sampler = Sampler::new(channel.ring);
    let start = Instant::now();
    // Intervals end at multiples of `--interval` after the start, so the output does not drift.
    let mut deadline = start;
    let mut intervals = 0;
    // Whether the channel file is gone from its path (reported once).
    let mut removed = false;
    let mut replaced = false;
    while args.count.is_none_or(|count| intervals < count) {
        intervals += 1;
        deadline = deadline
            .checked_add(args.interval)
            .ok_or_else(|| CliError::Usage("--interval is too long".to_owned()))?;
        let raw = sampler.sample_until(deadline)?;
        let mut sample = raw.summarise(&names, start);
        sample.replaced = replaced;
        if args.json {
            format::json_line(out, &sample)?;
        } else {
            write_text(out, &sample)?;
        }
        out.flush()?;
        replaced = false;
        if sampler.ring.is_replaced() {
            match Channel::attach(&args.path) {
                Ok(channel) => {
                    let path = args.path.display();
                    if !args.json {
                        writeln!(out, "-- {path} now names another channel: following it --")?;
                    }
                    names = channel.type_names();
                    sampler = Sampler::new(channel.ring);
                    (replaced, removed) = (true, false);
                }
                Err(CliError::Open(bcast::OpenError::Io { source, .. }))
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    if !removed && !args.json {
                        let path = args.path.display();
                        writeln!(out, "-- {path} was removed: waiting for a new channel there --")?;
                    }
                    removed = true;
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

/// A reader that counts frames per tag.
struct Sampler {
    ring: RingBuffer<ReadOnly>,
    reader: Reader,
    /// Losses per tag since the sampler attached.
    losses: bcast::TagLosses,
    /// `info().messages` at the start of the current interval.
    writer_messages: u64,
    /// When the current interval began.
    since: Instant,
}

/// The raw counts of one interval.
struct RawSample {
    per_tag: BTreeMap<u32, (u64, u64)>,
    /// Messages lost per tag in the interval, for the tags with losses.
    lost_per_tag: BTreeMap<u32, u64>,
    lost: u64,
    overruns: u64,
    lag: Option<bcast::Lag>,
    elapsed: Duration,
    end: Instant,
    writer_messages: u64,
    writer_total: u64,
    writer_alive: bool,
}

impl Sampler {
    fn new(ring: RingBuffer<ReadOnly>) -> Self {
        let writer_messages = ring.info().messages;
        let reader = ring.clone().into_reader();
        let losses = bcast::TagLosses::default();
        Self { ring, reader, losses, writer_messages, since: Instant::now() }
    }

    /// Counts every frame that arrives until `deadline`.
    fn sample_until(&mut self, deadline: Instant) -> Result<RawSample> {
        let before = self.reader.stats();
        let lost_before: BTreeMap<u32, u64> = self.losses.iter().collect();
        let mut per_tag = BTreeMap::<u32, (u64, u64)>::new();
        loop {
            let mut seen = 0;
            let mut overrun = false;
            for msg in self.reader.batch_iter() {
                match msg {
                    Ok(msg) => {
                        self.losses.observe_message(&msg);
                        let counts = per_tag.entry(msg.tag()).or_default();
                        counts.0 += 1;
                        counts.1 += msg.len() as u64;
                        seen += 1;
                    }
                    // The batch ends here; the gap is counted when the next frame arrives.
                    Err(bcast::Error::Overrun(_)) => overrun = true,
                    Err(error) => return Err(CliError::Ring(error)),
                }
            }
            if overrun {
                self.reader.reset();
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if seen == 0 {
                std::thread::sleep(IDLE_SLEEP.min(deadline - now));
            }
        }
        let end = Instant::now();
        let after = self.reader.stats();
        let info = self.ring.info();
        let lost_per_tag = self
            .losses
            .iter()
            .map(|(tag, lost)| (tag, lost - lost_before.get(&tag).copied().unwrap_or(0)))
            .filter(|&(_, lost)| lost > 0)
            .collect();
        let sample = RawSample {
            per_tag,
            lost_per_tag,
            lost: after.lost - before.lost,
            overruns: after.overruns - before.overruns,
            lag: self.reader.lag().ok(),
            elapsed: end - self.since,
            end,
            writer_messages: info.messages.saturating_sub(self.writer_messages),
            writer_total: info.messages,
            writer_alive: info.writer_alive,
        };
        self.writer_messages = info.messages;
        self.since = end;
        Ok(sample)
    }
}

impl RawSample {
    /// Rates per type, with every type of the registry listed even if it had no messages.
    fn summarise<'a>(self, names: &'a TypeNames, start: Instant) -> Sample<'a> {
        let secs = self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        let counts = |messages: u64, bytes: u64| Counts {
            messages,
            bytes,
            messages_per_s: messages as f64 / secs,
            bytes_per_s: bytes as f64 / secs,
        };
        let mut per_tag = self.per_tag;
        for tag in names.tags().chain(self.lost_per_tag.keys().copied()) {
            per_tag.entry(tag).or_default();
        }
        let types: Vec<_> = per_tag
            .iter()
            .map(|(&tag, &(messages, bytes))| TypeStat {
                tag,
                type_name: names.get(tag),
                counts: counts(messages, bytes),
                lost: self.lost_per_tag.get(&tag).copied().unwrap_or(0),
            })
            .collect();
        let total_messages = types.iter().map(|t| t.counts.messages).sum();
        let total_bytes = types.iter().map(|t| t.counts.bytes).sum();
        Sample {
            at_s: (self.end - start).as_secs_f64(),
            interval_s: secs,
            types,
            total: counts(total_messages, total_bytes),
            lost: self.lost,
            overruns: self.overruns,
            lag: self.lag,
            writer: WriterStat {
                messages: self.writer_messages,
                messages_per_s: self.writer_messages as f64 / secs,
                total: self.writer_total,
                alive: self.writer_alive,
            },
            replaced: false,
        }
    }
}

/// One interval as a block of aligned lines, under 80 columns.
fn write_text(out: &mut impl Write, sample: &Sample<'_>) -> Result<()> {
    let writer = &sample.writer;
    writeln!(
        out,
        "[{:>8.2} s]  lost {}, overruns {}, lag {}; writer {} msg/s, {} total, {}",
        sample.at_s,
        sample.lost,
        sample.overruns,
        sample.lag.map_or_else(|| "-".to_owned(), |lag| format!("{} msg", lag.messages)),
        format::rate(writer.messages_per_s),
        writer.total,
        if writer.alive { "alive" } else { "gone" },
    )?;
    let row = |out: &mut dyn Write, tag: &str, name: &str, c: &Counts, lost: u64| {
        writeln!(
            out,
            "  {tag:>10}  {name:<16}  {:>7}  {:>12}  {:>10}  {:>10}  {lost:>6}",
            format::rate(c.messages_per_s),
            format::bytes_rate(c.bytes_per_s),
            c.messages,
            format::bytes(c.bytes),
        )
    };
    writeln!(
        out,
        "  {:>10}  {:<16}  {:>7}  {:>12}  {:>10}  {:>10}  {:>6}",
        "tag", "type", "msg/s", "bytes/s", "messages", "bytes", "lost"
    )?;
    for stat in &sample.types {
        let name = stat.type_name.unwrap_or("-");
        row(out, &stat.tag.to_string(), name, &stat.counts, stat.lost)?;
    }
    row(out, "", "total", &sample.total, sample.lost)?;
    Ok(())
}

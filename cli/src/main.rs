//! `bcast`: look into bcast channels from the command line.
//!
//! - `bcast inspect PATH`: layout, capacity, frontiers, lap, writer, file mode, schema registry;
//! - `bcast tail PATH`: frames as they arrive, one line each, decoded on a typed channel
//!   (`--recording DIR`: a recording's frames);
//! - `bcast schema PATH`: a typed channel's schema, as Rust declarations or JSON;
//! - `bcast stat PATH`: messages/s and bytes/s per message type, interval by interval;
//! - `bcast bench`: a quick ping-pong latency histogram between two threads over heap rings,
//!   or two processes over `/dev/shm` (`--shm`);
//! - `bcast export PATH...`: the channels' counters over HTTP, for Prometheus;
//! - `bcast ls [DIR]`: the channels in a directory, one line each;
//! - `bcast rm PATH...`: removes channels whose writer is gone;
//! - `bcast record PATH --dir DIR`: records a channel into segment files;
//! - `bcast replay DIR --to PATH`: publishes a recording into a channel.
//!
//! Output fits a terminal; `--json` makes it machine-readable (one JSON document per line).
//! Errors go to stderr with a non-zero exit status.

mod bench;
mod channel;
mod error;
mod export;
mod format;
mod inspect;
mod ls;
mod record;
mod replay;
mod rm;
mod schema;
mod stat;
mod stop;
mod tail;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Inspect, follow and measure bcast channels (files under /dev/shm).
#[derive(Debug, Parser)]
#[command(name = "bcast", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print a channel's layout, frontiers, writer status, file mode and schema registry.
    Inspect(inspect::Args),
    /// Print frames as they arrive: decoded on a typed channel, in hex otherwise.
    Tail(tail::Args),
    /// Print a typed channel's schema: Rust declarations, or its description as JSON.
    Schema(schema::Args),
    /// Print messages/s and bytes/s per message type, interval by interval.
    Stat(stat::Args),
    /// Measure round-trip latency: between two threads over heap rings, or with `--shm` between
    /// two processes over channel files.
    Bench(bench::Args),
    /// Serve the channels' counters over HTTP in the Prometheus text format, at /metrics.
    Export(export::Args),
    /// List the channels in a directory (default /dev/shm): schema, capacity, rate, writer.
    Ls(ls::Args),
    /// Remove channel files whose writer is gone; never files that are not channels.
    Rm(rm::Args),
    /// Record a channel into a directory of segment files, until Ctrl-C.
    Record(record::Args),
    /// Publish a recording into a channel, at the recorded pace, faster, or at once.
    Replay(replay::Args),
}

impl Command {
    /// Whether the command was asked for JSON, which its errors then are too.
    fn json(&self) -> bool {
        match self {
            Self::Inspect(args) => args.json,
            Self::Tail(args) => args.json,
            Self::Schema(args) => args.json,
            Self::Stat(args) => args.json,
            Self::Bench(args) => args.json,
            Self::Export(args) => args.json,
            Self::Ls(args) => args.json,
            Self::Rm(args) => args.json,
            Self::Record(args) => args.json,
            Self::Replay(args) => args.json,
        }
    }
}

/// How an error is printed on stderr under `--json`.
#[derive(serde::Serialize)]
struct JsonError {
    /// The message, as the text output prints it after `bcast: `.
    error: String,
    /// The exit status.
    status: u8,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.command.json();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args, &mut out),
        Command::Tail(args) => tail::run(&args, &mut out),
        Command::Schema(args) => schema::run(&args, &mut out),
        Command::Stat(args) => stat::run(&args, &mut out),
        Command::Bench(args) => bench::run(&args, &mut out),
        Command::Export(args) => export::run(&args, &mut out),
        Command::Ls(args) => ls::run(&args, &mut out),
        Command::Rm(args) => rm::run(&args, &mut out),
        Command::Record(args) => record::run(&args, &mut out),
        Command::Replay(args) => replay::run(&args, &mut out),
    };
    let result = result.and_then(|()| out.flush().map_err(CliError::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`bcast tail PATH | head`): nothing left to do.
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            // Whatever was printed before the error is still worth having.
            let _ = out.flush();
            let status = error.status();
            match serde_json::to_string(&JsonError { error: error.to_string(), status }) {
                Ok(line) if json => eprintln!("{line}"),
                _ => eprintln!("bcast: {error}"),
            }
            ExitCode::from(status)
        }
    }
}

//! `bcast-relay`: carries a bcast channel to another host over Zenoh.
//!
//! ```text
//! bcast-relay export /dev/shm/prices --key feeds/prices            # on the publishing host
//! bcast-relay import --key feeds/prices /dev/shm/prices            # on the subscribing host
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use bcast_relay::{
    ExportOptions, Exporter, ImportOptions, Importer, RelayError, RelayEvent, StopHandle,
    TlsOptions, TypeCount, ZenohOptions,
};
use clap::{Args, Parser, Subcommand};

/// Relays a bcast channel between hosts over Zenoh: `export` on the host that has the channel,
/// `import` on the host that wants it. Events and counters are printed as lines on stdout.
/// SIGINT (Ctrl-C) or SIGTERM stops it cleanly: it prints its final counters and exits 0.
#[derive(Debug, Parser)]
#[command(name = "bcast-relay", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read a local channel and publish its frames under KEY.
    Export {
        /// The local channel file (e.g. /dev/shm/prices); it may appear later.
        path: PathBuf,
        /// The Zenoh key to publish under.
        #[arg(long)]
        key: String,
        /// Largest batch in bytes: pending frames travel together up to this size.
        #[arg(long, default_value_t = 64 * 1024)]
        batch_bytes: usize,
        /// Send one frame per Zenoh message.
        #[arg(long, conflicts_with = "batch_bytes")]
        no_batch: bool,
        #[command(flatten)]
        net: Net,
    },
    /// Subscribe to KEY and write its frames into a local channel, created as its writer.
    Import {
        /// The Zenoh key the exporter publishes under.
        #[arg(long)]
        key: String,
        /// The local channel file to create (or reopen after a previous import).
        path: PathBuf,
        /// Capacity of the local channel in bytes [default: the source's].
        #[arg(long)]
        capacity: Option<usize>,
        /// Largest capacity taken from the exporter's description (without --capacity): a
        /// larger channel is refused rather than allocated.
        #[arg(long, value_name = "BYTES", default_value_t = bcast_relay::DEFAULT_MAX_CAPACITY)]
        max_capacity: usize,
        #[command(flatten)]
        net: Net,
    },
}

/// Zenoh's endpoints. With neither --listen nor --connect, `export` listens on
/// tcp/127.0.0.1:7447 and `import` connects to it: the two work on one machine as they are.
/// `tls/HOST:PORT` endpoints (with the `tls` feature) use the --tls-* certificates.
#[derive(Debug, Args)]
struct Net {
    /// An endpoint to listen on, such as tcp/0.0.0.0:7447 (repeatable).
    #[arg(long, value_name = "ENDPOINT")]
    listen: Vec<String>,
    /// An endpoint to connect to, such as tcp/192.0.2.10:7447 (repeatable; retried forever).
    #[arg(long, value_name = "ENDPOINT")]
    connect: Vec<String>,
    /// Find peers by UDP multicast scouting (on a LAN).
    #[arg(long)]
    multicast_scouting: bool,
    /// TLS: the certificate authority (PEM) that peers' certificates must be signed by.
    #[arg(long, value_name = "FILE")]
    tls_root_ca: Option<PathBuf>,
    /// TLS: this side's certificate (PEM), presented when listening (and connecting, with
    /// --mtls).
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// TLS: the private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Mutual TLS: both sides present a certificate signed by --tls-root-ca.
    #[arg(long)]
    mtls: bool,
    /// Seconds between counter lines, once the relay has started (0: none).
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    stats_every: f64,
}

impl Net {
    fn options(&self, default: ZenohOptions) -> ZenohOptions {
        let mut options = if self.listen.is_empty() && self.connect.is_empty() {
            default
        } else {
            ZenohOptions { listen: self.listen.clone(), connect: self.connect.clone(), ..default }
        };
        options.multicast_scouting = self.multicast_scouting;
        options.tls = TlsOptions {
            root_ca: self.tls_root_ca.clone(),
            certificate: self.tls_cert.clone(),
            private_key: self.tls_key.clone(),
            mutual: self.mtls,
        };
        options
    }

    fn stats_every(&self) -> Option<Duration> {
        (self.stats_every > 0.0).then(|| Duration::from_secs_f64(self.stats_every))
    }
}

fn main() -> ExitCode {
    stop_on_signals();
    // Whether the relay got going (attached to its source, or opened its local channel): one
    // that fails before has no counters to show, only its error.
    let started = Arc::new(AtomicBool::new(false));
    let outcome = match Cli::parse().command {
        Command::Export { path, key, batch_bytes, no_batch, net } => {
            let mut options = ExportOptions::new(path, key);
            options.zenoh = net.options(ZenohOptions::listen_default());
            options.batch_bytes = if no_batch { 0 } else { batch_bytes };
            let flag = Arc::clone(&started);
            let exporter = Exporter::new(options).on_event(move |e| {
                if matches!(e, RelayEvent::SourceAttached { .. }) {
                    flag.store(true, Ordering::Relaxed);
                }
                println!("export: {e}");
            });
            let stats = || {
                let stats = exporter.stats();
                println!("export: {stats}");
                by_type("export: lost by type", &exporter.lost_by_type(), stats.lost);
            };
            let supervisor =
                Supervisor { every: net.stats_every(), started: &started, side: "export" };
            supervisor.run(|| exporter.run(), &exporter.stop_handle(), stats)
        }
        Command::Import { key, path, capacity, max_capacity, net } => {
            let mut options = ImportOptions::new(key, path);
            options.capacity = capacity;
            options.max_capacity = max_capacity;
            options.zenoh = net.options(ZenohOptions::connect_default());
            let flag = Arc::clone(&started);
            let importer = Importer::new(options).on_event(move |e| {
                if matches!(e, RelayEvent::ChannelOpened { .. }) {
                    flag.store(true, Ordering::Relaxed);
                }
                println!("import: {e}");
            });
            let stats = || {
                let stats = importer.stats();
                println!("import: {stats}");
                by_type("import: missed by type", &importer.missed_by_type(), stats.missed);
            };
            let supervisor =
                Supervisor { every: net.stats_every(), started: &started, side: "import" };
            supervisor.run(|| importer.run(), &importer.stop_handle(), stats)
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bcast-relay: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Prints `label: Quote 0, Trade 12` once frames were lost (`total`) on a channel whose frames
/// are counted per type, with the part of `total` not attributed to a type: frames lost
/// before a type's first frame arrived, or after its last.
fn by_type(label: &str, counts: &[TypeCount], total: u64) {
    if total == 0 || counts.is_empty() {
        return;
    }
    let attributed: u64 = counts.iter().map(|c| c.count).sum();
    let rest = total.saturating_sub(attributed);
    let rest = if rest > 0 { format!(" ({rest} not attributed to a type)") } else { String::new() };
    println!("{label}: {}{rest}", TypeCount::list(counts));
}

/// The signal (SIGINT or SIGTERM) that asked the relay to stop; 0 while none has. Accessed
/// with Relaxed: the value is all that is passed, no other memory is published with it.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

/// SIGINT and SIGTERM ask the relay to stop: it returns, prints its final counters and exits 0.
/// A second one ends the process at once, as if no handler were set.
extern "C" fn on_signal(signal: libc::c_int) {
    if SIGNALLED.swap(signal, Ordering::Relaxed) != 0 {
        // SAFETY: `signal` is async-signal-safe; SIG_DFL is a valid disposition.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
        // SAFETY: `raise` is async-signal-safe.
        unsafe { libc::raise(signal) };
    }
}

/// Installs [`on_signal`] for SIGINT and SIGTERM.
fn stop_on_signals() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only swaps an atomic and calls async-signal-safe functions.
        unsafe { libc::signal(signal, handler) };
    }
}

/// Runs a relay, printing its counters every `every` once it has started and once at the end,
/// and stops it on SIGINT or SIGTERM.
struct Supervisor<'a> {
    every: Option<Duration>,
    /// Whether the relay got going: counters are printed once it has (the final ones also if
    /// it stopped cleanly before).
    started: &'a AtomicBool,
    /// `export` or `import`, the prefix of its lines.
    side: &'static str,
}

impl Supervisor<'_> {
    fn run(
        &self,
        relay: impl FnOnce() -> Result<(), RelayError> + Send,
        stop: &StopHandle,
        print_stats: impl Fn() + Sync,
    ) -> Result<(), RelayError> {
        std::thread::scope(|scope| {
            let running = scope.spawn(relay);
            let mut next = self.every.map(|every| Instant::now() + every);
            let mut stopping = false;
            while !running.is_finished() {
                std::thread::sleep(Duration::from_millis(20));
                let signal = SIGNALLED.load(Ordering::Relaxed);
                if signal != 0 && !std::mem::replace(&mut stopping, true) {
                    let name = if signal == libc::SIGINT { "SIGINT" } else { "SIGTERM" };
                    println!("{}: stopping on {name}", self.side);
                    stop.stop();
                }
                if let (Some(at), Some(every)) = (next, self.every)
                    && Instant::now() >= at
                {
                    if self.started.load(Ordering::Relaxed) {
                        print_stats();
                    }
                    next = Some(at + every);
                }
            }
            let outcome = running.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            if outcome.is_ok() || self.started.load(Ordering::Relaxed) {
                print_stats();
            }
            outcome
        })
    }
}

//! [`RelayEvent`]: what a running relay reports besides its counters.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Something a relay noticed, handed to the callback set with `on_event`; the `bcast-relay`
/// tool prints each one as a line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayEvent {
    /// The exporter is waiting for the source channel file to exist.
    WaitingForSource,
    /// The exporter attached to the source channel.
    SourceAttached {
        /// The channel's epoch (a random value chosen when it was made).
        epoch: u64,
        /// Whether it carries a schema registry.
        typed: bool,
    },
    /// The source's writer lapped the exporter's reader; `lost` frames were skipped.
    Overrun {
        /// Frames lost in this overrun, as far as known when the exporter resumed.
        lost: u64,
    },
    /// The exporter met a corrupt frame in the source channel (something other than its writer
    /// wrote there) and skipped to the writer's position; the frames between are lost.
    CorruptFrame {
        /// Stream position of the corrupt frame.
        position: u64,
        /// Where the exporter resumes: the writer's position.
        skipped_to: u64,
        /// How long it pauses first (doubling while corrupt frames follow one another).
        pause: Duration,
    },
    /// The importer is waiting for an exporter to describe the channel.
    WaitingForExporter {
        /// The key it asks under.
        key: String,
        /// The endpoints it connects to.
        connect: Vec<String>,
        /// The endpoints it listens on.
        listen: Vec<String>,
        /// Whether it looks for peers by multicast scouting too.
        multicast_scouting: bool,
    },
    /// No exporter has answered for `waited`: what to check. The importer keeps waiting, and
    /// reports this again if the number of peers goes from none to some or back.
    NoExporterYet {
        /// The key it asks under.
        key: String,
        /// How long it has waited.
        waited: Duration,
        /// How many Zenoh peers its session is connected to: with none, the exporter is not
        /// reached at all; with some, none of them serves `key`.
        peers: usize,
        /// The endpoints it connects to.
        connect: Vec<String>,
        /// The endpoints it listens on.
        listen: Vec<String>,
    },
    /// The importer opened its local channel.
    ChannelOpened {
        /// Whether it carries the exporter's schema registry.
        typed: bool,
        /// Its capacity in bytes.
        capacity: u64,
        /// Whether the channel file existed (a previous importer's, or one made by another
        /// writer) and was reopened, rather than created.
        reopened: bool,
        /// Whether a previous importer's resume file was found and continued from.
        resumed: bool,
    },
    /// Frames are missing in the sequence: `received - expected` of them, of which
    /// `source_lost` the exporter reported lost, and the rest passed while `while_down` was
    /// down, or else were lost in transit.
    Gap {
        /// The sequence number expected next.
        expected: u64,
        /// The one that arrived.
        received: u64,
        /// The part of the gap that the exporter reported lost (overruns of its reader).
        source_lost: u64,
        /// The side that was down, if this is the first frame after it restarted: the rest of
        /// the gap passed meanwhile.
        while_down: Option<RelaySide>,
    },
    /// A new run of the exporter (it restarted); the importer continues.
    ExporterRestarted,
    /// The source channel was recreated: its sequence starts over.
    SourceChanged {
        /// The new channel's epoch.
        epoch: u64,
    },
    /// A publisher of a later version of the channel's types rolled the source over to its
    /// schema: the exporter relays it from now on (`side` exporter), and the importer rolled
    /// its local channel over to it (`side` importer), whose subscribers read on.
    SchemaRolledOver {
        /// The side that followed the rollover.
        side: RelaySide,
        /// The hash of the registry rolled over to.
        registry: u64,
    },
}

impl fmt::Display for RelayEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WaitingForSource => write!(f, "waiting for the source channel"),
            Self::SourceAttached { epoch, typed } => {
                let kind = if *typed { "typed" } else { "untyped" };
                write!(f, "attached to the source channel ({kind}, epoch {epoch:#018x})")
            }
            Self::Overrun { lost } => {
                write!(f, "overrun: the source lapped the exporter, lost {lost} frames")
            }
            Self::CorruptFrame { position, skipped_to, pause } => write!(
                f,
                "corrupt frame in the source channel at position {position}: skipped to the \
                 writer's position {skipped_to} after a pause of {pause:?}"
            ),
            Self::WaitingForExporter { key, connect, listen, multicast_scouting } => {
                let mut ways = Vec::new();
                if !connect.is_empty() {
                    ways.push(format!("connecting to {}", connect.join(", ")));
                }
                if !listen.is_empty() {
                    ways.push(format!("listening on {}", listen.join(", ")));
                }
                if *multicast_scouting {
                    ways.push("scouting by multicast".to_owned());
                }
                write!(f, "waiting for an exporter on key {key}")?;
                if !ways.is_empty() {
                    write!(f, " ({})", ways.join("; "))?;
                }
                Ok(())
            }
            Self::NoExporterYet { key, waited, peers, connect, listen } => {
                let waited = waited.as_secs();
                write!(f, "no exporter on key {key} after {waited} s: ")?;
                if *peers > 0 {
                    let s = if *peers == 1 { "" } else { "s" };
                    return write!(
                        f,
                        "{peers} Zenoh peer{s} connected, but none answers for this key; check \
                         that the exporter runs with --key {key} (keys are case-sensitive) and \
                         has attached to its source channel; still waiting"
                    );
                }
                write!(f, "no Zenoh peer is connected; check that an exporter")?;
                if !connect.is_empty() {
                    let connect = connect.join(", ");
                    write!(
                        f,
                        " listens on {connect} and that it is reachable from this host (host \
                         name, port, firewall)"
                    )?;
                }
                if !listen.is_empty() {
                    let listen = listen.join(", ");
                    let or = if connect.is_empty() { "" } else { ", or" };
                    write!(
                        f,
                        "{or} connects to this host's {listen} (reachable from its host: \
                         address, firewall)"
                    )?;
                }
                if connect.is_empty() && listen.is_empty() {
                    write!(f, " runs with --multicast-scouting on this network")?;
                }
                if connect.iter().chain(listen).any(|e| e.starts_with("tls/")) {
                    write!(f, ", and that each side's certificate is signed by the other's CA")?;
                }
                write!(f, "; still waiting")
            }
            Self::ChannelOpened { typed, capacity, reopened, resumed } => {
                let kind = if *typed { "typed" } else { "untyped" };
                let how = if *reopened { "reopened" } else { "created" };
                write!(f, "{how} the local channel ({kind}, {capacity} bytes)")?;
                if *reopened && !*resumed {
                    write!(
                        f,
                        "; no resume note, so frames missed before this run are not counted"
                    )?;
                }
                Ok(())
            }
            Self::Gap { expected, received, source_lost, while_down } => {
                let missed = received.saturating_sub(*expected);
                let rest = missed.saturating_sub(*source_lost);
                let why = match while_down {
                    Some(RelaySide::Importer) => "while this importer was down",
                    Some(RelaySide::Exporter) => "while the exporter was down",
                    None => "in transit",
                };
                match (*source_lost, rest) {
                    (0, _) => write!(f, "gap: {missed} frames missed {why}")?,
                    (_, 0) => write!(f, "gap: {missed} frames missed: lost at the source")?,
                    (lost, rest) => write!(
                        f,
                        "gap: {missed} frames missed: {lost} lost at the source, {rest} {why}"
                    )?,
                }
                write!(f, " (expected seq {expected}, got {received})")
            }
            Self::ExporterRestarted => write!(f, "the exporter restarted"),
            Self::SourceChanged { epoch } => {
                write!(f, "the source channel was recreated (epoch {epoch:#018x})")
            }
            Self::SchemaRolledOver { side: RelaySide::Exporter, registry } => write!(
                f,
                "the source channel was rolled over to a later schema version (registry \
                 {registry:#018x}): relaying it"
            ),
            Self::SchemaRolledOver { side: RelaySide::Importer, registry } => write!(
                f,
                "rolled the local channel over to the exporter's later schema version \
                 (registry {registry:#018x})"
            ),
        }
    }
}

/// A side of the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelaySide {
    /// The exporter, which reads the source channel.
    Exporter,
    /// The importer, which writes the local channel.
    Importer,
}

/// Where a relay sends its events.
pub(crate) type EventSink = Arc<dyn Fn(&RelayEvent) + Send + Sync>;

/// A sink that drops every event.
pub(crate) fn ignore_events() -> EventSink {
    Arc::new(|_| {})
}

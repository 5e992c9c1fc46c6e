//! `bcast inspect PATH`: a channel's header, writer status, file mode, schema registry, and
//! its message types as Rust declarations (from its schema description).

use std::io::Write;
use std::path::PathBuf;

use bcast::ChannelInfo;
use bcast::typed::description::Description;
use bcast::typed::{CodecKind, Registry, RegistryError, RkyvFormat};
use serde::Serialize;

use crate::channel::Channel;
use crate::error::Result;
use crate::format;
use crate::schema;

/// Arguments of `bcast inspect`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel file, e.g. /dev/shm/feed.
    path: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Runs `bcast inspect`.
///
/// # Errors
///
/// If the channel cannot be attached or the output cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    let channel = Channel::attach(&args.path)?;
    let info = channel.ring.info();
    let description = Description::read_from(&channel.ring);
    let mut report = Report::new(&info, &channel.registry);
    if let Ok(Some(registry)) = &channel.registry {
        match &description {
            Ok(Some(description)) => {
                report.description = Some(schema::to_json(registry, description));
                report.declarations = Some(schema::declarations(registry, description));
            }
            Ok(None) => {}
            Err(error) => report.description_error = Some(error.to_string()),
        }
    }
    if args.json { format::json_line(out, &report) } else { write_text(out, &report) }
}

/// What `inspect --json` prints: every field of [`ChannelInfo`], a few derived ones, and the
/// schema registry.
#[derive(Debug, Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    info: &'a ChannelInfo,
    /// `file_mode` in octal, as `ls` and `chmod` write it.
    file_mode_octal: Option<String>,
    /// Size of the channel file: header plus data.
    file_size: u64,
    /// Bytes the writer claimed past the committed frontier: the frame it is writing, if any,
    /// and the rest of its reservation (it claims a sixteenth of the ring at a time).
    reserved: u64,
    /// Whether the channel has a schema registry.
    typed: bool,
    /// The schema registry, or `None` for an untyped channel.
    schema: Option<Schema<'a>>,
    /// Why the registry could not be read, if it could not.
    registry_error: Option<String>,
    /// The schema description, as `bcast schema --json` prints it; `None` for an untyped
    /// channel or one whose publisher stored none.
    description: Option<serde_json::Value>,
    /// Why the description could not be read, if it could not.
    description_error: Option<String>,
    /// The message types as Rust declarations (text output only).
    #[serde(skip)]
    declarations: Option<String>,
}

/// The schema registry, with fingerprints in hex.
#[derive(Debug, Serialize)]
struct Schema<'a> {
    /// The channel type's name.
    channel: &'a str,
    /// The publisher's rkyv format.
    rkyv_format: &'a RkyvFormat,
    /// The same, in words.
    rkyv: String,
    /// The message types, in registry order.
    types: Vec<TypeRow<'a>>,
}

/// One message type of the registry.
#[derive(Debug, Serialize)]
struct TypeRow<'a> {
    tag: u32,
    name: &'a str,
    /// The schema fingerprint as `0x` and 16 hex digits (a JSON number would lose bits).
    fingerprint: String,
    codec: CodecKind,
}

impl<'a> Report<'a> {
    fn new(info: &'a ChannelInfo, registry: &'a Result<Option<Registry>, RegistryError>) -> Self {
        let (schema, registry_error) = match registry {
            Ok(registry) => (registry.as_ref().map(Schema::new), None),
            Err(error) => (None, Some(error.to_string())),
        };
        Self {
            info,
            file_mode_octal: info.file_mode.map(format::mode),
            file_size: info.header_size as u64 + info.capacity as u64,
            reserved: info.claimed.saturating_sub(info.committed),
            typed: info.registry_len > 0,
            schema,
            registry_error,
            description: None,
            description_error: None,
            declarations: None,
        }
    }
}

impl<'a> Schema<'a> {
    fn new(registry: &'a Registry) -> Self {
        let types = registry
            .types
            .iter()
            .map(|entry| TypeRow {
                tag: entry.tag,
                name: &entry.name,
                fingerprint: format!("{:#018x}", entry.fingerprint),
                codec: entry.codec,
            })
            .collect();
        Self {
            channel: &registry.channel,
            rkyv_format: &registry.rkyv_format,
            rkyv: registry.rkyv_format.to_string(),
            types,
        }
    }
}

/// The report as an aligned table of about 70 columns.
fn write_text(out: &mut impl Write, report: &Report<'_>) -> Result<()> {
    let info = report.info;
    let path = info.path.as_ref().map_or_else(|| "-".to_owned(), |p| p.display().to_string());
    let mode = report.file_mode_octal.as_deref().unwrap_or("-");
    writeln!(out, "channel     {path}")?;
    writeln!(
        out,
        "file        mode {mode}, {} ({} header + {} data)",
        format::bytes(report.file_size),
        format::bytes(info.header_size as u64),
        format::bytes(info.capacity as u64),
    )?;
    writeln!(
        out,
        "layout      version {}, capacity {}, mtu {} B",
        info.layout_version,
        format::bytes(info.capacity as u64),
        info.mtu,
    )?;
    writeln!(out, "committed   {} (lap {})", info.committed, info.lap)?;
    let reserved = match report.reserved {
        0 => "nothing reserved".to_owned(),
        n => format!("{} past committed", format::bytes(n)),
    };
    writeln!(out, "claimed     {} ({reserved})", info.claimed)?;
    writeln!(out, "messages    {}", info.messages)?;
    let writer = match (info.writer_alive, info.writer_pid) {
        (true, Some(pid)) => format!("alive, pid {pid}"),
        (true, None) => "alive".to_owned(),
        (false, Some(pid)) => format!("gone (pid {pid} died without closing the channel)"),
        (false, None) => "gone".to_owned(),
    };
    writeln!(out, "writer      {writer}")?;
    let replaced = if info.replaced { "yes: the path now names another file" } else { "no" };
    writeln!(out, "replaced    {replaced}")?;
    writeln!(out, "epoch       {:#018x}", info.epoch)?;
    writeln!(out, "parked      {} readers", info.parked_readers)?;
    match (&report.schema, &report.registry_error) {
        (Some(schema), _) => {
            writeln!(out, "schema      {} ({})", format::escape(schema.channel), schema.rkyv)?;
            writeln!(out, "  {:>10}  {:<5}  {:<18}  type", "tag", "codec", "fingerprint")?;
            for row in &schema.types {
                writeln!(
                    out,
                    "  {:>10}  {:<5}  {:<18}  {}",
                    row.tag,
                    row.codec,
                    row.fingerprint,
                    format::escape(row.name)
                )?;
            }
        }
        (None, Some(error)) => writeln!(out, "schema      unreadable: {error}")?,
        (None, None) => writeln!(out, "schema      untyped (no registry)")?,
    }
    if let Some(error) = &report.description_error {
        writeln!(out, "description unreadable: {error}")?;
    }
    if let Some(declarations) = &report.declarations {
        writeln!(out)?;
        out.write_all(declarations.as_bytes())?;
    }
    Ok(())
}

//! `bcast schema PATH`: a typed channel's schema description, as Rust declarations (text), as
//! its node table (`--json`), or as a schema lock to commit (`--lock`); `bcast schema check
//! --lock FILE PATH` checks a channel against a committed lock. `inspect` shows the
//! declarations too.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use bcast::typed::description::{Description, Node, NodeField, NodeId, NodeLayout};
use bcast::typed::shape::Style;
use bcast::typed::{Registry, SchemaLock};
use serde_json::{Value, json};

use crate::channel::Channel;
use crate::error::{CliError, Result};
use crate::format::{self, escape};

/// Arguments of `bcast schema`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Check>,
    /// The channel file, e.g. /dev/shm/feed.
    #[arg(required = true)]
    path: Option<PathBuf>,
    /// Print the description's node table as one JSON object instead of Rust declarations.
    #[arg(long, conflicts_with = "lock")]
    pub(crate) json: bool,
    /// Print the channel's schema lock, to commit and check later builds against
    /// (`bcast schema check`, or `bcast::typed::SchemaLock::check_file` in a test).
    #[arg(long)]
    lock: bool,
}

/// `bcast schema check`.
#[derive(Debug, clap::Subcommand)]
enum Check {
    /// Check that a channel's schemas are a compatible evolution of a committed schema lock:
    /// exit 0 if they are, 1 naming each type, field and rule if not.
    Check {
        /// The schema lock file (written by `bcast schema PATH --lock`).
        #[arg(long, value_name = "FILE")]
        lock: PathBuf,
        /// The channel file.
        path: PathBuf,
    },
}

/// Runs `bcast schema`.
///
/// # Errors
///
/// If the channel cannot be attached, is untyped, has no readable description, or the output
/// cannot be written.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> Result<()> {
    if let Some(Check::Check { lock, path }) = &args.command {
        return check(lock, path, out);
    }
    let Some(path) = &args.path else {
        return Err(CliError::Usage("bcast schema needs a channel path".into()));
    };
    if args.lock {
        let channel = Channel::attach(path)?;
        let lock = SchemaLock::read_from(&channel.ring)
            .map_err(|error| CliError::Channel(format!("{}: {error}", path.display())))?;
        return Ok(out.write_all(lock.render().as_bytes())?);
    }
    let channel = Channel::attach(path)?;
    let path = path.display();
    let registry = match &channel.registry {
        Ok(Some(registry)) => registry,
        Ok(None) => {
            return Err(CliError::Channel(format!("{path}: an untyped channel has no schema")));
        }
        Err(error) => return Err(CliError::Channel(format!("{path}: {error}"))),
    };
    let description = match Description::read_from(&channel.ring) {
        Ok(Some(description)) => description,
        Ok(None) => {
            let why = "its publisher stored no schema description";
            return Err(CliError::Channel(format!("{path}: {why}")));
        }
        Err(error) => return Err(CliError::Channel(format!("{path}: {error}"))),
    };
    if args.json {
        format::json_line(out, &to_json(registry, &description))
    } else {
        Ok(out.write_all(declarations(registry, &description).as_bytes())?)
    }
}

/// `bcast schema check --lock FILE PATH`.
fn check(lock: &Path, path: &Path, out: &mut impl Write) -> Result<()> {
    let bytes = std::fs::read(lock)
        .map_err(|error| CliError::Channel(format!("{}: {error}", lock.display())))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::Channel(format!("{}: not a schema lock: it is not text", lock.display()))
    })?;
    let locked = SchemaLock::parse(&text)
        .map_err(|error| CliError::Channel(format!("{}: {error}", lock.display())))?;
    let channel = Channel::attach(path)?;
    let current = SchemaLock::read_from(&channel.ring)
        .map_err(|error| CliError::Channel(format!("{}: {error}", path.display())))?;
    current.check(&locked).map_err(|error| {
        CliError::Channel(format!("{} against {}: {error}", path.display(), lock.display()))
    })?;
    writeln!(
        out,
        "{}: compatible with {} ({} types)",
        path.display(),
        lock.display(),
        current.registry().types.len()
    )?;
    Ok(())
}

/// The message types of `registry` and every struct and enum they hold, as Rust declarations:
/// each message type under a comment with its tag, codec and fingerprint, then the types it
/// holds, each once; a pod type's fields with their offsets and sizes.
pub(crate) fn declarations(registry: &Registry, description: &Description) -> String {
    let mut out = String::new();
    let mut written = BTreeSet::new();
    for entry in &registry.types {
        let Some(root) = description.root(entry.tag) else { continue };
        let _ = writeln!(
            out,
            "// tag {}, {}, fingerprint {:#018x}",
            entry.tag, entry.codec, entry.fingerprint
        );
        let mut pending = vec![root];
        while let Some(id) = pending.pop() {
            if written.insert(id) {
                declare(description, id, &mut out);
                // Declared in the order they appear: pushed last first.
                let mut held = Vec::new();
                named_parts(description, id, &mut held);
                pending.extend(held.into_iter().rev());
            }
        }
    }
    out
}

/// The structs and enums node `id` holds directly (through containers, not through other
/// structs and enums), in order.
fn named_parts(description: &Description, id: NodeId, out: &mut Vec<NodeId>) {
    let fields: Vec<&NodeField> = match description.node(id) {
        Node::Struct { fields, .. } => fields.iter().collect(),
        Node::Enum { variants, .. } => variants.iter().flat_map(|v| &v.fields).collect(),
        _ => return,
    };
    for field in fields {
        reach(description, field.node, out);
    }
}

/// The structs and enums reached from node `id` through containers.
fn reach(description: &Description, id: NodeId, out: &mut Vec<NodeId>) {
    match description.node(id) {
        Node::Struct { .. } | Node::Enum { .. } if !out.contains(&id) => out.push(id),
        Node::Vec(inner) | Node::Slice(inner) | Node::Box(inner) | Node::Option(inner) => {
            reach(description, *inner, out);
        }
        Node::Array { element, .. } | Node::Set { element, .. } => {
            reach(description, *element, out);
        }
        Node::Tuple(elements) => elements.iter().for_each(|e| reach(description, *e, out)),
        Node::Map { key, value, .. } => {
            reach(description, *key, out);
            reach(description, *value, out);
        }
        _ => {}
    }
}

/// One struct's or enum's declaration; nothing for other nodes.
fn declare(description: &Description, id: NodeId, out: &mut String) {
    match description.node(id) {
        Node::Struct { name, reprs, style, fields, layout, version } => {
            if *version != 0 {
                let _ = writeln!(out, "#[bcast(version = {version})]");
            }
            if !reprs.is_empty() {
                let reprs: Vec<String> = reprs.iter().map(|repr| escape(repr)).collect();
                let _ = writeln!(out, "#[repr({})]", reprs.join(", "));
            }
            let size = layout.as_ref().map(|l| format!(" // {} bytes, align {}", l.size, l.align));
            let body = fields_text(description, *style, fields, layout.as_ref(), "");
            let end = if *style == Style::Named { "" } else { ";" };
            let _ = writeln!(out, "struct {}{body}{end}{}", escape(name), size.unwrap_or_default());
        }
        Node::Enum { name, reprs, variants } => {
            if !reprs.is_empty() {
                let reprs: Vec<String> = reprs.iter().map(|repr| escape(repr)).collect();
                let _ = writeln!(out, "#[repr({})]", reprs.join(", "));
            }
            let _ = writeln!(out, "enum {} {{", escape(name));
            for variant in variants {
                let body = fields_text(description, variant.style, &variant.fields, None, "    ");
                let discriminant =
                    variant.discriminant.map(|value| format!(" = {value}")).unwrap_or_default();
                let _ = writeln!(out, "    {}{body}{discriminant},", escape(&variant.name));
            }
            let _ = writeln!(out, "}}");
        }
        _ => {}
    }
}

/// A struct's or variant's fields as Rust writes them: ` {\n    a: u8,\n}`, `(u8, u16)`, or
/// nothing; with a pod layout, each named field's offset and size.
fn fields_text(
    description: &Description,
    style: Style,
    fields: &[NodeField],
    layout: Option<&NodeLayout>,
    indent: &str,
) -> String {
    match style {
        Style::Unit => String::new(),
        Style::Tuple => {
            let types: Vec<String> = fields.iter().map(|f| description.type_name(f.node)).collect();
            format!("({})", types.join(", "))
        }
        Style::Named => {
            let mut text = " {\n".to_owned();
            for (index, field) in fields.iter().enumerate() {
                let slot = layout.and_then(|layout| layout.slots.get(index));
                let place = slot
                    .map(|slot| format!(" // offset {}, {} bytes", slot.offset, slot.size))
                    .unwrap_or_default();
                if field.since != 0 {
                    let _ = writeln!(text, "{indent}    #[bcast(since = {})]", field.since);
                }
                let _ = writeln!(
                    text,
                    "{indent}    {}: {},{place}",
                    escape(&field.name),
                    description.type_name(field.node)
                );
            }
            text.push_str(indent);
            text.push('}');
            text
        }
    }
}

/// The description as JSON: the registry's types (tag, name, codec, fingerprint in hex, root
/// node) and every node, children first, with its id, its type in Rust syntax and its
/// fingerprint.
pub(crate) fn to_json(registry: &Registry, description: &Description) -> Value {
    let types: Vec<Value> = registry
        .types
        .iter()
        .map(|entry| {
            json!({
                "tag": entry.tag,
                "name": entry.name,
                "codec": entry.codec,
                "fingerprint": format!("{:#018x}", entry.fingerprint),
                "root": description.root(entry.tag).map(NodeId::index),
            })
        })
        .collect();
    let nodes: Vec<Value> = description.node_ids().map(|id| node_json(description, id)).collect();
    json!({
        "channel": registry.channel,
        "format_version": description.format(),
        "types": types,
        "nodes": nodes,
    })
}

/// Node `id` as JSON: its kind and parts, its id, its type in Rust syntax and its fingerprint.
fn node_json(description: &Description, id: NodeId) -> Value {
    let fields = |fields: &[NodeField]| -> Vec<Value> {
        fields
            .iter()
            .map(|field| {
                json!({
                    "name": field.name,
                    "node": field.node.index(),
                    "type": description.type_name(field.node),
                    "since": field.since,
                })
            })
            .collect()
    };
    let style = |style: Style| match style {
        Style::Named => "named",
        Style::Tuple => "tuple",
        Style::Unit => "unit",
    };
    let mut node = match description.node(id) {
        Node::Primitive(primitive) => json!({ "kind": "primitive", "primitive": primitive.name() }),
        Node::String => json!({ "kind": "string" }),
        Node::Str => json!({ "kind": "str" }),
        Node::Vec(element) => json!({ "kind": "vec", "element": element.index() }),
        Node::Slice(element) => json!({ "kind": "slice", "element": element.index() }),
        Node::Box(inner) => json!({ "kind": "box", "inner": inner.index() }),
        Node::Option(inner) => json!({ "kind": "option", "inner": inner.index() }),
        Node::Array { len, element } => {
            json!({ "kind": "array", "len": len, "element": element.index() })
        }
        Node::Tuple(elements) => {
            let elements: Vec<usize> = elements.iter().map(|e| e.index()).collect();
            json!({ "kind": "tuple", "elements": elements })
        }
        Node::Map { collection, key, value } => json!({
            "kind": "map",
            "collection": collection.map_name(),
            "key": key.index(),
            "value": value.index(),
        }),
        Node::Set { collection, element } => json!({
            "kind": "set",
            "collection": collection.set_name(),
            "element": element.index(),
        }),
        Node::Struct { name, reprs, style: s, fields: f, layout, version } => json!({
            "kind": "struct",
            "name": name,
            "version": version,
            "reprs": reprs,
            "style": style(*s),
            "fields": fields(f),
            "layout": layout.as_ref().map(|layout| json!({
                "size": layout.size,
                "align": layout.align,
                "slots": layout.slots.iter().map(|slot| json!({
                    "offset": slot.offset,
                    "size": slot.size,
                })).collect::<Vec<_>>(),
            })),
        }),
        Node::Enum { name, reprs, variants } => json!({
            "kind": "enum",
            "name": name,
            "reprs": reprs,
            "variants": variants.iter().map(|variant| json!({
                "name": variant.name,
                // As text: an i128 does not fit a JSON number that every reader keeps exact.
                "discriminant": variant.discriminant.map(|value| value.to_string()),
                "style": style(variant.style),
                "fields": fields(&variant.fields),
            })).collect::<Vec<_>>(),
        }),
        _ => json!({ "kind": "unknown" }),
    };
    node["id"] = json!(id.index());
    node["type"] = json!(description.type_name(id));
    node["fingerprint"] = json!(format!("{:#018x}", description.fingerprint(id)));
    node
}

//! Schema descriptions on the wire: the [`Shape`]s of a channel's message types written as a
//! table of nodes, and read back, from untrusted bytes, as a [`Description`] that tools walk
//! without the Rust types.
//!
//! The format (all integers little-endian; `docs/schema-description.md` has the full page):
//!
//! ```text
//! u16 version (1)
//! u32 node count, then the nodes; a node refers to others by index, only to earlier ones
//! u32 type count, then per message type: u32 tag, u32 index of its root node
//! ```
//!
//! [`Description::of`] turns shapes into a description, [`Description::to_bytes`] writes it,
//! and [`Description::decode`] reads it back. Equal shapes are written once, so a type used in many places costs one node. Reading checks
//! every count against the bytes left, every reference, names as UTF-8, and nesting up to
//! [`MAX_DEPTH`]; it recomputes every node's fingerprint from what it read, so a description
//! can be checked against the fingerprints of the channel's registry.

use core::fmt;

use super::shape::{Collection, Field, Hasher, Kind, Layout, Primitive, Shape, Style, Variant};
use super::wire::{Input, Malformed, put_str, write_name};
use crate::error::LayoutError;
use crate::ring::metadata::SectionKind;
use crate::ring_buffer::RingBuffer;

/// How long a name [`Description::type_name`] writes may get before it is cut short with `…`:
/// a hostile description can nest a pair of pairs of pairs... whose name written out would
/// never end.
pub const MAX_TYPE_NAME: usize = 256;

/// The version of the format this build writes and reads.
pub const FORMAT_VERSION: u16 = 2;

/// How deeply nodes may nest (a struct in a vector in an option is three deep, the primitive
/// inside it four): deeper descriptions are refused, so that walking one never exhausts a stack.
pub const MAX_DEPTH: usize = 64;

/// The primitives by their wire code: the index in this table.
const PRIMITIVES: [Primitive; 17] = [
    Primitive::Unit,
    Primitive::Bool,
    Primitive::Char,
    Primitive::U8,
    Primitive::U16,
    Primitive::U32,
    Primitive::U64,
    Primitive::U128,
    Primitive::Usize,
    Primitive::I8,
    Primitive::I16,
    Primitive::I32,
    Primitive::I64,
    Primitive::I128,
    Primitive::Isize,
    Primitive::F32,
    Primitive::F64,
];

/// Node kinds by their wire code.
mod code {
    pub(super) const PRIMITIVE: u8 = 1;
    pub(super) const STRING: u8 = 2;
    pub(super) const STR: u8 = 3;
    pub(super) const VEC: u8 = 4;
    pub(super) const SLICE: u8 = 5;
    pub(super) const BOX: u8 = 6;
    pub(super) const OPTION: u8 = 7;
    pub(super) const ARRAY: u8 = 8;
    pub(super) const TUPLE: u8 = 9;
    pub(super) const MAP: u8 = 10;
    pub(super) const SET: u8 = 11;
    pub(super) const STRUCT: u8 = 12;
    pub(super) const ENUM: u8 = 13;
}

/// A schema description read from bytes: a table of [`Node`]s and, per message type, its tag
/// and root node.
///
/// # Examples
///
/// ```
/// use bcast::typed::Schema;
/// use bcast::typed::description::{Description, Node};
///
/// #[bcast::typed::message(tag = 9)]
/// struct Quote {
///     symbol: String,
///     bid: Option<f64>,
/// }
///
/// let bytes = Description::of(&[(9, &Quote::SHAPE)]).to_bytes();
/// let read = Description::decode(&bytes)?;
/// let (tag, root) = read.types()[0];
/// assert_eq!(tag, 9);
/// assert_eq!(read.fingerprint(root), Quote::SHAPE.fingerprint());
/// let Node::Struct { name, fields, .. } = read.node(root) else { unreachable!() };
/// assert_eq!((name.as_str(), fields[1].name.as_str()), ("Quote", "bid"));
/// # Ok::<(), bcast::typed::description::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    nodes: Vec<Node>,
    fingerprints: Vec<u64>,
    types: Vec<(u32, NodeId)>,
}

/// A node's index in its [`Description`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// The node's index in [`Description::nodes`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One node of a [`Description`]: the run-time form of a [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Node {
    /// `()`, `bool`, `char`, an integer or a float.
    Primitive(Primitive),
    /// `String`.
    String,
    /// `str`, behind a `Box`.
    Str,
    /// `Vec<T>`.
    Vec(NodeId),
    /// `[T]`, behind a `Box`.
    Slice(NodeId),
    /// `Box<T>`.
    Box(NodeId),
    /// `Option<T>`.
    Option(NodeId),
    /// `[T; len]`.
    Array {
        /// Elements.
        len: u64,
        /// The elements' node.
        element: NodeId,
    },
    /// A tuple.
    Tuple(Vec<NodeId>),
    /// A map.
    Map {
        /// `BTreeMap` or `HashMap`.
        collection: Collection,
        /// The keys' node.
        key: NodeId,
        /// The values' node.
        value: NodeId,
    },
    /// A set.
    Set {
        /// `BTreeSet` or `HashSet`.
        collection: Collection,
        /// The elements' node.
        element: NodeId,
    },
    /// A struct.
    Struct {
        /// Its name.
        name: String,
        /// Its `#[repr]` attributes.
        reprs: Vec<String>,
        /// How it names its fields.
        style: Style,
        /// Its fields, in order.
        fields: Vec<NodeField>,
        /// Where its fields lie in memory, if its layout is defined (`#[repr(C)]`, `packed`,
        /// `transparent`): what a pod record's bytes are.
        layout: Option<NodeLayout>,
        /// Its declared version as a message type; 0 if it is unversioned.
        version: u16,
    },
    /// An enum.
    Enum {
        /// Its name.
        name: String,
        /// Its `#[repr]` attributes.
        reprs: Vec<String>,
        /// Its variants, in order.
        variants: Vec<NodeVariant>,
    },
}

/// A field of a struct or variant [`Node`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeField {
    /// Its name (`0`, `1`, ... in a tuple struct or variant).
    pub name: String,
    /// Its type's node.
    pub node: NodeId,
    /// In a versioned struct, the version that added it; 0 for a field of the first version.
    pub since: u16,
}

/// Where the fields of a struct [`Node`] lie in memory (the run-time form of a
/// [`Layout`]): sizes and offsets in bytes, on the publisher's target. Reading checks that
/// there is one slot per field, that every slot lies inside the struct, and that the alignment
/// is a power of two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLayout {
    /// The struct's size.
    pub size: u64,
    /// The struct's alignment.
    pub align: u64,
    /// Per field, in field order: its offset from the struct's start and its size.
    pub slots: Vec<NodeSlot>,
}

/// Where one field of a struct with a [`NodeLayout`] lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSlot {
    /// Its offset from the struct's start.
    pub offset: u64,
    /// Its size.
    pub size: u64,
}

impl From<&Layout> for NodeLayout {
    fn from(layout: &Layout) -> Self {
        let wide = |n: usize| n as u64;
        Self {
            size: wide(layout.size()),
            align: wide(layout.align()),
            slots: layout
                .fields()
                .iter()
                .map(|slot| NodeSlot { offset: wide(slot.offset()), size: wide(slot.size()) })
                .collect(),
        }
    }
}

/// A variant of an enum [`Node`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeVariant {
    /// Its name.
    pub name: String,
    /// Its explicit discriminant, if it has one.
    pub discriminant: Option<i128>,
    /// How it names its fields.
    pub style: Style,
    /// Its fields, in order.
    pub fields: Vec<NodeField>,
}

/// Why bytes are not a schema description this build can read, or why a channel's description
/// does not describe its registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptionError {
    /// The channel header's metadata area, where the description is kept, is corrupt.
    #[error("the channel's metadata area is corrupt: {0}")]
    Metadata(#[from] LayoutError),
    /// The channel's registry lists a message type that its description lacks.
    #[error("the schema description has no type of tag {tag}, which the registry lists")]
    Missing {
        /// The tag.
        tag: u32,
    },
    /// A message type's description hashes to another fingerprint than the registry lists.
    #[error(
        "the schema description of tag {tag} hashes to {description:#018x}, the registry lists {registry:#018x}"
    )]
    Disagrees {
        /// The tag.
        tag: u32,
        /// The fingerprint in the registry.
        registry: u64,
        /// The fingerprint computed from the description.
        description: u64,
    },
    /// Written in another version of the format.
    #[error("schema description format version {found}, this build reads version {expected}")]
    Version {
        /// The version in the bytes.
        found: u16,
        /// The version this build reads.
        expected: u16,
    },
    /// The bytes end early, go on after the description, or hold a value the format does not
    /// have (an unknown kind, a name that is not UTF-8, ...).
    #[error("schema description of {len} bytes is malformed at byte {at}")]
    Malformed {
        /// Offset of the first byte that does not fit the format.
        at: usize,
        /// Length of the bytes.
        len: usize,
    },
    /// A node refers to itself or to a later node (a description is written children first,
    /// so this is never a cycle it could have meant).
    #[error("node {node} of the schema description refers to node {to}, which does not precede it")]
    Reference {
        /// The referring node.
        node: u32,
        /// The node it refers to.
        to: u32,
    },
    /// Nodes nest deeper than [`MAX_DEPTH`].
    #[error("node {node} of the schema description nests {depth} deep, more than {MAX_DEPTH}")]
    TooDeep {
        /// The node.
        node: u32,
        /// Its depth.
        depth: usize,
    },
    /// Two message types with one tag.
    #[error("the schema description lists tag {tag} twice")]
    DuplicateTag {
        /// The tag.
        tag: u32,
    },
}

impl From<Malformed> for DescriptionError {
    fn from(Malformed { at, len }: Malformed) -> Self {
        Self::Malformed { at, len }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 nodes, fields and types")
}

/// Turns shapes into nodes, children first, each distinct shape once.
struct Builder<'s> {
    table: Table,
    /// The shape of each node, for finding a shape written before.
    shapes: Vec<&'s Shape>,
}

impl<'s> Builder<'s> {
    /// The node of `shape` (made after its parts, unless an equal shape was made before).
    fn node(&mut self, shape: &'s Shape) -> NodeId {
        let known = self
            .shapes
            .iter()
            .position(|&made| made.fingerprint() == shape.fingerprint() && made == shape);
        if let Some(index) = known {
            return NodeId(count(index));
        }
        let node = match shape.kind() {
            Kind::Primitive(primitive) => Node::Primitive(*primitive),
            Kind::String => Node::String,
            Kind::Str => Node::Str,
            Kind::Vec(inner) => Node::Vec(self.node(inner)),
            Kind::Slice(inner) => Node::Slice(self.node(inner)),
            Kind::Box(inner) => Node::Box(self.node(inner)),
            Kind::Option(inner) => Node::Option(self.node(inner)),
            Kind::Array { len, element } => Node::Array { len: *len, element: self.node(element) },
            Kind::Tuple(elements) => Node::Tuple(elements.iter().map(|e| self.node(e)).collect()),
            Kind::Map { collection, key, value } => {
                Node::Map { collection: *collection, key: self.node(key), value: self.node(value) }
            }
            Kind::Set { collection, element } => {
                Node::Set { collection: *collection, element: self.node(element) }
            }
            Kind::Struct(shape) => Node::Struct {
                name: shape.name().to_owned(),
                reprs: shape.reprs().iter().map(|&repr| repr.to_owned()).collect(),
                style: shape.style(),
                fields: self.fields(shape.fields()),
                layout: shape.layout().map(NodeLayout::from),
                version: shape.version(),
            },
            Kind::Enum(shape) => Node::Enum {
                name: shape.name().to_owned(),
                reprs: shape.reprs().iter().map(|&repr| repr.to_owned()).collect(),
                variants: shape.variants().iter().map(|variant| self.variant(variant)).collect(),
            },
        };
        self.table.push(node);
        self.shapes.push(shape);
        NodeId(count(self.shapes.len() - 1))
    }

    fn fields(&mut self, fields: &'s [Field]) -> Vec<NodeField> {
        fields
            .iter()
            .map(|field| NodeField {
                name: field.name().to_owned(),
                node: self.node(field.shape()),
                since: field.since(),
            })
            .collect()
    }

    fn variant(&mut self, variant: &'s Variant) -> NodeVariant {
        NodeVariant {
            name: variant.name().to_owned(),
            discriminant: variant.discriminant(),
            style: variant.style(),
            fields: self.fields(variant.fields()),
        }
    }
}

fn collection_code(collection: Collection) -> u8 {
    match collection {
        Collection::BTree => 0,
        Collection::Hash => 1,
    }
}

fn style_code(style: Style) -> u8 {
    match style {
        Style::Named => 0,
        Style::Tuple => 1,
        Style::Unit => 2,
    }
}

fn put_id(out: &mut Vec<u8>, id: NodeId) {
    out.extend_from_slice(&id.0.to_le_bytes());
}

fn put_reprs(out: &mut Vec<u8>, reprs: &[String]) {
    out.push(u8::try_from(reprs.len()).expect("fewer than 256 repr attributes"));
    reprs.iter().for_each(|repr| put_str(out, repr));
}

fn put_fields(out: &mut Vec<u8>, style: Style, fields: &[NodeField]) {
    out.push(style_code(style));
    out.extend_from_slice(&count(fields.len()).to_le_bytes());
    for field in fields {
        put_str(out, &field.name);
        put_id(out, field.node);
    }
}

/// Writes one node (its parts are written before it).
fn put_node(out: &mut Vec<u8>, node: &Node) {
    match node {
        Node::Primitive(primitive) => {
            let code = PRIMITIVES.iter().position(|p| p == primitive).unwrap_or(0);
            out.extend([code::PRIMITIVE, u8::try_from(code).unwrap_or(0)]);
        }
        Node::String => out.push(code::STRING),
        Node::Str => out.push(code::STR),
        Node::Vec(inner) | Node::Slice(inner) | Node::Box(inner) | Node::Option(inner) => {
            out.push(match node {
                Node::Vec(_) => code::VEC,
                Node::Slice(_) => code::SLICE,
                Node::Box(_) => code::BOX,
                _ => code::OPTION,
            });
            put_id(out, *inner);
        }
        Node::Array { len, element } => {
            out.push(code::ARRAY);
            out.extend_from_slice(&len.to_le_bytes());
            put_id(out, *element);
        }
        Node::Tuple(elements) => {
            out.push(code::TUPLE);
            out.extend_from_slice(&count(elements.len()).to_le_bytes());
            elements.iter().for_each(|element| put_id(out, *element));
        }
        Node::Map { collection, key, value } => {
            out.extend([code::MAP, collection_code(*collection)]);
            put_id(out, *key);
            put_id(out, *value);
        }
        Node::Set { collection, element } => {
            out.extend([code::SET, collection_code(*collection)]);
            put_id(out, *element);
        }
        Node::Struct { name, reprs, style, fields, layout, version } => {
            out.push(code::STRUCT);
            put_str(out, name);
            put_reprs(out, reprs);
            put_fields(out, *style, fields);
            // Format 1 has the layout flag alone; format 2 (written when a struct is
            // versioned) adds the version flag.
            let versioned = if *version == 0 { 0 } else { VERSIONED };
            match layout {
                Some(layout) => {
                    out.push(HAS_LAYOUT | versioned);
                    out.extend_from_slice(&layout.size.to_le_bytes());
                    out.extend_from_slice(&layout.align.to_le_bytes());
                    for slot in &layout.slots {
                        out.extend_from_slice(&slot.offset.to_le_bytes());
                        out.extend_from_slice(&slot.size.to_le_bytes());
                    }
                }
                None => out.push(versioned),
            }
            if *version != 0 {
                out.extend_from_slice(&version.to_le_bytes());
                fields.iter().for_each(|field| out.extend_from_slice(&field.since.to_le_bytes()));
            }
        }
        Node::Enum { name, reprs, variants } => {
            out.push(code::ENUM);
            put_str(out, name);
            put_reprs(out, reprs);
            out.extend_from_slice(&count(variants.len()).to_le_bytes());
            for variant in variants {
                put_str(out, &variant.name);
                match variant.discriminant {
                    Some(value) => {
                        out.push(1);
                        out.extend_from_slice(&value.to_le_bytes());
                    }
                    None => out.push(0),
                }
                put_fields(out, variant.style, &variant.fields);
            }
        }
    }
}

impl Description {
    /// The description of the shapes of a channel's message types, each with its tag: every
    /// distinct shape one node, parts before the nodes that hold them.
    ///
    /// Nesting is not bounded here (Rust types are what they are), but a description nested
    /// deeper than [`MAX_DEPTH`] is refused when read back.
    pub fn of(types: &[(u32, &Shape)]) -> Self {
        let mut builder = Builder { table: Table::default(), shapes: Vec::new() };
        let types = types.iter().map(|&(tag, shape)| (tag, builder.node(shape))).collect();
        let Table { nodes, fingerprints, .. } = builder.table;
        Self { nodes, fingerprints, types }
    }

    /// The format version [`to_bytes`](Self::to_bytes) writes: 1 (which builds from before
    /// message versions read) unless a struct is versioned, [`FORMAT_VERSION`] then.
    pub fn format(&self) -> u16 {
        let versioned =
            self.nodes.iter().any(|node| matches!(node, Node::Struct { version: 1.., .. }));
        if versioned { FORMAT_VERSION } else { 1 }
    }

    /// The description in its wire format, as [`decode`](Self::decode) reads it.
    ///
    /// # Panics
    ///
    /// If a name is longer than 65 535 bytes, or a description holds more than 2^32 nodes: no
    /// Rust type comes near either.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.nodes.len() * 16 + self.types.len() * 8);
        out.extend_from_slice(&self.format().to_le_bytes());
        out.extend_from_slice(&count(self.nodes.len()).to_le_bytes());
        self.nodes.iter().for_each(|node| put_node(&mut out, node));
        out.extend_from_slice(&count(self.types.len()).to_le_bytes());
        for &(tag, root) in &self.types {
            out.extend_from_slice(&tag.to_le_bytes());
            put_id(&mut out, root);
        }
        out
    }

    /// Reads a description from untrusted bytes (a channel header, a recording, the network).
    ///
    /// # Errors
    ///
    /// A [`DescriptionError`] unless `bytes` are exactly one description of this format
    /// version whose references all point backwards and whose nodes nest at most
    /// [`MAX_DEPTH`] deep. Never panics, and allocates at most in proportion to `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self, DescriptionError> {
        let mut input = Input::new(bytes);
        let format = input.u16()?;
        if !(1..=FORMAT_VERSION).contains(&format) {
            return Err(DescriptionError::Version { found: format, expected: FORMAT_VERSION });
        }
        let count = input.u32()?;
        // Every node takes at least one byte.
        let mut read = Table {
            nodes: Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(input.remaining())),
            ..Table::default()
        };
        for index in 0..count {
            let node = read.read_node(&mut input, index)?;
            let depth = read.push(node);
            if depth > MAX_DEPTH {
                return Err(DescriptionError::TooDeep { node: index, depth });
            }
        }
        let type_count = input.u32()?;
        let mut types: Vec<(u32, NodeId)> = Vec::new();
        for _ in 0..type_count {
            let tag = input.u32()?;
            let at = input.at();
            let root = input.u32()?;
            if root >= count {
                return Err(input.malformed(at).into());
            }
            if types.iter().any(|&(known, _)| known == tag) {
                return Err(DescriptionError::DuplicateTag { tag });
            }
            types.push((tag, NodeId(root)));
        }
        input.end()?;
        let Table { nodes, fingerprints, .. } = read;
        Ok(Self { nodes, fingerprints, types })
    }

    /// The description stored in `ring`'s header, `Ok(None)` if it has none (an untyped ring,
    /// or a typed one made by a build older than descriptions). It is not checked against the
    /// registry here: a [`Subscriber`](super::Subscriber) does that when it attaches.
    ///
    /// # Errors
    ///
    /// A [`DescriptionError`] if the stored bytes are not a description this build can read.
    ///
    /// # Examples
    ///
    /// ```
    /// use bcast::typed::description::{Description, Node};
    ///
    /// # #[bcast::typed::message(tag = 1)] pub struct Quote { pub symbol: String, pub bid: f64 }
    /// # #[derive(bcast::BcastChannel)] pub enum MarketData { Quote(Quote) }
    /// # let ring = bcast::RingBuffer::with_capacity(1 << 16);
    /// # let _publisher = bcast::typed::Publisher::<MarketData>::new(ring.clone())?;
    /// // `ring`: any ring of a typed channel, such as a channel file attached by a tool.
    /// let description = Description::read_from(&ring)?.expect("a typed channel");
    /// let quote = description.root(1).expect("tag 1 is described");
    /// let Node::Struct { fields, .. } = description.node(quote) else { unreachable!() };
    /// let fields: Vec<String> = fields
    ///     .iter()
    ///     .map(|field| format!("{}: {}", field.name, description.type_name(field.node)))
    ///     .collect();
    /// assert_eq!(fields, ["symbol: String", "bid: f64"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_from<A>(ring: &RingBuffer<A>) -> Result<Option<Self>, DescriptionError> {
        ring.metadata_section(SectionKind::Description)?
            .map(|bytes| Self::decode(&bytes))
            .transpose()
    }

    /// Every description stored in `ring`, the latest first: a channel rolled over to a later
    /// version of a type keeps the descriptions of the earlier ones, which frames still in the
    /// ring may be of. Descriptions that cannot be read are left out.
    ///
    /// # Errors
    ///
    /// [`DescriptionError::Metadata`] if the header's metadata area is corrupt.
    pub(crate) fn all_from<A>(ring: &RingBuffer<A>) -> Result<Vec<Self>, DescriptionError> {
        let sections = ring.metadata_sections(SectionKind::Description)?;
        Ok(sections.iter().rev().filter_map(|bytes| Self::decode(bytes).ok()).collect())
    }

    /// Checks that every `(tag, fingerprint)` is described, with a description that hashes to
    /// that fingerprint: how a channel's description is checked against its registry.
    ///
    /// # Errors
    ///
    /// [`DescriptionError::Missing`] or [`DescriptionError::Disagrees`] for the first type
    /// that is not.
    pub fn check(
        &self,
        types: impl IntoIterator<Item = (u32, u64)>,
    ) -> Result<(), DescriptionError> {
        for (tag, registry) in types {
            let root = self.root(tag).ok_or(DescriptionError::Missing { tag })?;
            let description = self.fingerprint(root);
            if description != registry {
                return Err(DescriptionError::Disagrees { tag, registry, description });
            }
        }
        Ok(())
    }

    /// The message types described: each one's tag and root node.
    pub fn types(&self) -> &[(u32, NodeId)] {
        &self.types
    }

    /// Every node, children before the nodes that hold them: node `i` has [`NodeId`] index
    /// `i`.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The id of every node, in [`nodes`](Self::nodes) order.
    pub fn node_ids(&self) -> impl ExactSizeIterator<Item = NodeId> + use<> {
        (0..count(self.nodes.len())).map(NodeId)
    }

    /// The root node of the type with `tag`, if the description has it.
    pub fn root(&self, tag: u32) -> Option<NodeId> {
        self.types.iter().find(|&&(known, _)| known == tag).map(|&(_, root)| root)
    }

    /// The node `id`.
    ///
    /// # Panics
    ///
    /// If `id` is not a node of this description (every `NodeId` a description hands out is).
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// Node `id`'s type in Rust syntax: `u32`, `Vec<Level>`, `Option<String>`, `[u8; 4]`, a
    /// struct's or an enum's name (with control characters escaped), cut short with `…` past
    /// [`MAX_TYPE_NAME`] bytes.
    ///
    /// # Panics
    ///
    /// As for [`node`](Self::node).
    pub fn type_name(&self, id: NodeId) -> String {
        let mut out = String::new();
        if self.write_type_name(id, &mut out).is_err() {
            let mut cut = MAX_TYPE_NAME;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
        }
        out
    }

    /// Appends node `id`'s name to `out`; `Err` once `out` is longer than [`MAX_TYPE_NAME`].
    fn write_type_name(&self, id: NodeId, out: &mut String) -> fmt::Result {
        if out.len() > MAX_TYPE_NAME {
            return Err(fmt::Error);
        }
        let inner = |open: &str, ids: &[NodeId], close: &str, out: &mut String| {
            out.push_str(open);
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                self.write_type_name(*id, out)?;
            }
            out.push_str(close);
            Ok(())
        };
        match self.node(id) {
            Node::Primitive(primitive) => out.push_str(primitive.name()),
            Node::String => out.push_str("String"),
            Node::Str => out.push_str("str"),
            Node::Vec(element) => inner("Vec<", &[*element], ">", out)?,
            Node::Slice(element) => inner("[", &[*element], "]", out)?,
            Node::Box(element) => inner("Box<", &[*element], ">", out)?,
            Node::Option(element) => inner("Option<", &[*element], ">", out)?,
            Node::Array { len, element } => inner("[", &[*element], &format!("; {len}]"), out)?,
            Node::Tuple(elements) if elements.len() == 1 => inner("(", elements, ",)", out)?,
            Node::Tuple(elements) => inner("(", elements, ")", out)?,
            Node::Map { collection, key, value } => {
                inner(&format!("{}<", collection.map_name()), &[*key, *value], ">", out)?;
            }
            Node::Set { collection, element } => {
                inner(&format!("{}<", collection.set_name()), &[*element], ">", out)?;
            }
            Node::Struct { name, .. } | Node::Enum { name, .. } => write_name(out, name)?,
        }
        if out.len() > MAX_TYPE_NAME { Err(fmt::Error) } else { Ok(()) }
    }

    /// The fingerprint of node `id`, computed from what was read, as
    /// [`Shape::fingerprint`] computes it from a type.
    ///
    /// # Panics
    ///
    /// As for [`node`](Self::node).
    pub fn fingerprint(&self, id: NodeId) -> u64 {
        self.fingerprints[id.0 as usize]
    }
}

/// The nodes made or read so far, with their fingerprints and depths.
#[derive(Default)]
struct Table {
    nodes: Vec<Node>,
    fingerprints: Vec<u64>,
    depths: Vec<usize>,
}

impl Table {
    /// Adds `node`, whose parts are all in the table, with its fingerprint and depth; returns
    /// its depth.
    fn push(&mut self, node: Node) -> usize {
        let (fingerprint, depth) = self.measure(&node);
        self.nodes.push(node);
        self.fingerprints.push(fingerprint);
        self.depths.push(depth);
        depth
    }

    /// Reads node `index`.
    fn read_node(&self, input: &mut Input<'_>, index: u32) -> Result<Node, DescriptionError> {
        let at = input.at();
        let node = match input.u8()? {
            code::PRIMITIVE => {
                let at = input.at();
                let primitive = PRIMITIVES.get(usize::from(input.u8()?));
                Node::Primitive(*primitive.ok_or_else(|| input.malformed(at))?)
            }
            code::STRING => Node::String,
            code::STR => Node::Str,
            code::VEC => Node::Vec(self.reference(input, index)?),
            code::SLICE => Node::Slice(self.reference(input, index)?),
            code::BOX => Node::Box(self.reference(input, index)?),
            code::OPTION => Node::Option(self.reference(input, index)?),
            code::ARRAY => {
                let len = input.u64()?;
                Node::Array { len, element: self.reference(input, index)? }
            }
            code::TUPLE => {
                let count = input.u32()?;
                // Every element takes four bytes.
                let mut elements = Vec::with_capacity(capacity(count, input, 4));
                for _ in 0..count {
                    elements.push(self.reference(input, index)?);
                }
                Node::Tuple(elements)
            }
            code::MAP => {
                let collection = collection(input)?;
                let key = self.reference(input, index)?;
                Node::Map { collection, key, value: self.reference(input, index)? }
            }
            code::SET => {
                let collection = collection(input)?;
                Node::Set { collection, element: self.reference(input, index)? }
            }
            code::STRUCT => {
                let name = input.str()?.to_owned();
                let reprs = reprs(input)?;
                let (style, fields) = self.fields(input, index)?;
                let (layout, version) = layout_and_version(input, fields.len())?;
                let mut fields = fields;
                if version != 0 {
                    read_since(input, version, &mut fields)?;
                }
                Node::Struct { name, reprs, style, fields, layout, version }
            }
            code::ENUM => {
                let name = input.str()?.to_owned();
                let reprs = reprs(input)?;
                let count = input.u32()?;
                // Every variant takes at least eight bytes.
                let mut variants = Vec::with_capacity(capacity(count, input, 8));
                for _ in 0..count {
                    let name = input.str()?.to_owned();
                    let at = input.at();
                    let discriminant = match input.u8()? {
                        0 => None,
                        1 => Some(input.i128()?),
                        _ => return Err(input.malformed(at).into()),
                    };
                    let (style, fields) = self.fields(input, index)?;
                    variants.push(NodeVariant { name, discriminant, style, fields });
                }
                Node::Enum { name, reprs, variants }
            }
            _ => return Err(input.malformed(at).into()),
        };
        Ok(node)
    }

    /// Reads a reference from node `index`, which must point to an earlier node.
    fn reference(&self, input: &mut Input<'_>, index: u32) -> Result<NodeId, DescriptionError> {
        let to = input.u32()?;
        if to >= index || to as usize >= self.nodes.len() {
            return Err(DescriptionError::Reference { node: index, to });
        }
        Ok(NodeId(to))
    }

    fn fields(
        &self,
        input: &mut Input<'_>,
        index: u32,
    ) -> Result<(Style, Vec<NodeField>), DescriptionError> {
        let at = input.at();
        let style = match input.u8()? {
            0 => Style::Named,
            1 => Style::Tuple,
            2 => Style::Unit,
            _ => return Err(input.malformed(at).into()),
        };
        let count = input.u32()?;
        // Every field takes at least six bytes.
        let mut fields = Vec::with_capacity(capacity(count, input, 6));
        for _ in 0..count {
            let name = input.str()?.to_owned();
            fields.push(NodeField { name, node: self.reference(input, index)?, since: 0 });
        }
        Ok((style, fields))
    }

    /// The fingerprint and depth of `node`, whose parts were all read before it.
    fn measure(&self, node: &Node) -> (u64, usize) {
        let print = |id: &NodeId| self.fingerprints[id.0 as usize];
        let depth = |id: &NodeId| self.depths[id.0 as usize];
        let deepest = |ids: &mut dyn Iterator<Item = &NodeId>| ids.map(depth).max().unwrap_or(0);
        let (hash, below) = match node {
            Node::Primitive(primitive) => (Hasher::new("primitive", primitive.name()), 0),
            Node::String => (Hasher::new("primitive", "String"), 0),
            Node::Str => (Hasher::new("primitive", "str"), 0),
            Node::Vec(id) => (Hasher::new("generic", "Vec").u64(print(id)), depth(id)),
            Node::Slice(id) => (Hasher::new("generic", "slice").u64(print(id)), depth(id)),
            Node::Box(id) => (Hasher::new("generic", "Box").u64(print(id)), depth(id)),
            Node::Option(id) => (Hasher::new("generic", "Option").u64(print(id)), depth(id)),
            Node::Array { len, element } => {
                (Hasher::new("generic", "array").u64(print(element)).u64(*len), depth(element))
            }
            Node::Tuple(elements) => (
                elements.iter().fold(Hasher::new("generic", "tuple"), |h, e| h.u64(print(e))),
                deepest(&mut elements.iter()),
            ),
            Node::Map { collection, key, value } => (
                Hasher::new("generic", collection.map_name()).u64(print(key)).u64(print(value)),
                depth(key).max(depth(value)),
            ),
            Node::Set { collection, element } => {
                (Hasher::new("generic", collection.set_name()).u64(print(element)), depth(element))
            }
            Node::Struct { name, reprs, style, fields, layout, version } => {
                let hash = reprs.iter().fold(Hasher::new("struct", name), |h, r| h.str(r));
                let mut hash = self.hash_fields(hash, *style, fields);
                if let Some(layout) = layout {
                    hash = hash.str("layout").u64(layout.size).u64(layout.align);
                    hash =
                        layout.slots.iter().fold(hash, |h, slot| h.u64(slot.offset).u64(slot.size));
                }
                let hash = hash.version(*version);
                (hash, deepest(&mut fields.iter().map(|field| &field.node)))
            }
            Node::Enum { name, reprs, variants } => {
                let mut hash = reprs.iter().fold(Hasher::new("enum", name), |h, r| h.str(r));
                for variant in variants {
                    hash = hash.str(&variant.name);
                    if let Some(discriminant) = variant.discriminant {
                        hash = hash.str("=").u128(discriminant.cast_unsigned());
                    }
                    hash = self.hash_fields(hash, variant.style, &variant.fields);
                }
                let nodes = &mut variants.iter().flat_map(|v| v.fields.iter().map(|f| &f.node));
                (hash, deepest(nodes))
            }
        };
        (hash.finish(), below + 1)
    }

    fn hash_fields(&self, hash: Hasher, style: Style, fields: &[NodeField]) -> Hasher {
        fields.iter().fold(hash.style(style), |hash, field| {
            hash.str(&field.name).u64(self.fingerprints[field.node.0 as usize]).since(field.since)
        })
    }
}

/// Room to reserve for `count` items of at least `size` bytes each: no more than the bytes
/// left could hold, so hostile counts cannot make us allocate.
fn capacity(count: u32, input: &Input<'_>, size: usize) -> usize {
    usize::try_from(count).unwrap_or(usize::MAX).min(input.remaining() / size)
}

fn collection(input: &mut Input<'_>) -> Result<Collection, DescriptionError> {
    let at = input.at();
    match input.u8()? {
        0 => Ok(Collection::BTree),
        1 => Ok(Collection::Hash),
        _ => Err(input.malformed(at).into()),
    }
}

/// A struct's flags: it has a layout; it is versioned (format 2).
const HAS_LAYOUT: u8 = 1;
const VERSIONED: u8 = 2;

/// A struct's optional layout, with one slot per each of its `fields` fields, each inside the
/// struct, and its version (0 if it is unversioned).
fn layout_and_version(
    input: &mut Input<'_>,
    fields: usize,
) -> Result<(Option<NodeLayout>, u16), DescriptionError> {
    let at = input.at();
    let flags = input.u8()?;
    if flags & !(HAS_LAYOUT | VERSIONED) != 0 {
        return Err(input.malformed(at).into());
    }
    let layout = if flags & HAS_LAYOUT != 0 { Some(layout(input, fields)?) } else { None };
    if flags & VERSIONED == 0 {
        return Ok((layout, 0));
    }
    let at = input.at();
    match input.u16()? {
        0 => Err(input.malformed(at).into()),
        version => Ok((layout, version)),
    }
}

/// The version that added each of a versioned struct's `fields`, at most its `version`, in
/// order: 0 (the first version) or 2 and up, never going back.
fn read_since(
    input: &mut Input<'_>,
    version: u16,
    fields: &mut [NodeField],
) -> Result<(), DescriptionError> {
    let mut last = 0;
    for field in fields {
        let at = input.at();
        let since = input.u16()?;
        if since == 1 || since > version || since < last {
            return Err(input.malformed(at).into());
        }
        (field.since, last) = (since, since);
    }
    Ok(())
}

/// A struct's layout, with one slot per each of its `fields` fields, each inside the struct.
fn layout(input: &mut Input<'_>, fields: usize) -> Result<NodeLayout, DescriptionError> {
    let at = input.at();
    let (size, align) = (input.u64()?, input.u64()?);
    if !align.is_power_of_two() {
        return Err(input.malformed(at).into());
    }
    // Every slot takes sixteen bytes.
    let mut slots = Vec::with_capacity(fields.min(input.remaining() / 16));
    for _ in 0..fields {
        let at = input.at();
        let slot = NodeSlot { offset: input.u64()?, size: input.u64()? };
        if slot.offset.checked_add(slot.size).is_none_or(|end| end > size) {
            return Err(input.malformed(at).into());
        }
        slots.push(slot);
    }
    Ok(NodeLayout { size, align, slots })
}

fn reprs(input: &mut Input<'_>) -> Result<Vec<String>, DescriptionError> {
    let count = input.u8()?;
    (0..count).map(|_| Ok(input.str()?.to_owned())).collect()
}

//! [`Decoder`]: any frame of a typed channel decoded into a [`Value`] from the channel's
//! registry and schema description alone, without the Rust types: what tools, recorders and
//! other languages read channels with.
//!
//! rkyv archives are walked as rkyv 0.8 lays them out (the format page,
//! `docs/schema-description.md`, says how); pod records through the layouts their
//! descriptions carry. The bytes and the description are both untrusted: every read is
//! bounds-checked, every relative pointer resolved inside the payload, every tag, `bool`,
//! `char` and string checked, and the work a frame can cause is bounded (at most
//! [`Decoder::max_values`] values, B-trees at most [`MAX_TREE_HEIGHT`] levels deep; a
//! description nests at most [`MAX_DEPTH`](super::description::MAX_DEPTH) deep). A frame that
//! breaks a rule is a [`FrameError`], never a panic.

use super::archived::{self, Format, ReprC, Size, primitive_width};
use super::codec::{CodecKind, RkyvFormat};
use super::description::{Description, DescriptionError, Node, NodeField, NodeId, NodeVariant};
use super::registry::{Registry, RegistryError};
use super::shape::{Collection, Primitive, Style};
use super::value::{Fields, Value};
use crate::ring_buffer::RingBuffer;

/// How many values one frame may decode into unless [`Decoder::with_max_values`] says
/// otherwise: a bound on the memory and time a hostile frame can cost (a vector of a billion
/// `()` takes eight bytes).
pub const DEFAULT_MAX_VALUES: usize = 1 << 20;

/// How deep a B-tree map or set may be. rkyv's nodes hold five entries, so a tree of this
/// height holds more entries than any frame could.
pub const MAX_TREE_HEIGHT: usize = 32;

/// Entries per node of rkyv's B-trees.
const TREE_ENTRIES: u64 = 5;

/// Decodes the frames of one typed channel without its Rust types.
///
/// # Examples
///
/// ```
/// # #[bcast::typed::message(tag = 1)] pub struct Quote { pub symbol: String, pub bid: Option<f64> }
/// # #[derive(bcast::BcastChannel)] pub enum MarketData { Quote(Quote) }
/// use bcast::RingBuffer;
/// use bcast::typed::Publisher;
/// use bcast::typed::decoder::Decoder;
///
/// let ring = RingBuffer::with_capacity(1 << 16);
/// let mut publisher = Publisher::<MarketData>::new(ring.clone())?;
/// let mut reader = ring.clone().into_reader();
/// publisher.publish(&Quote { symbol: "ES".into(), bid: Some(1.5) })?;
///
/// // A tool that knows nothing of `Quote`: the channel describes itself.
/// let decoder = Decoder::read_from(&ring)?;
/// let mut buf = vec![0; reader.mtu()];
/// let frame = reader.try_recv(&mut buf)?.expect("one frame");
/// let value = decoder.decode(frame.tag, &buf[..frame.len])?;
/// assert_eq!(value.to_string(), r#"Quote { symbol: "ES", bid: Some(1.5) }"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    registry: Registry,
    description: Description,
    format: Format,
    /// Each node's archived size and alignment under rkyv; `None` for unsized nodes and sizes
    /// past `u64`.
    sizes: Vec<Option<Size>>,
    max_values: usize,
}

/// Why a channel cannot be decoded without its Rust types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecoderError {
    /// The channel has no registry: its frames are bytes, not typed messages.
    #[error("the channel has no schema registry: it is not a typed channel")]
    Untyped,
    /// The channel's publisher stored no schema description (it was built before
    /// descriptions existed).
    #[error("the channel's publisher stored no schema description")]
    Undescribed,
    /// The channel's registry cannot be read.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The channel's description cannot be read, or does not describe its registry.
    #[error(transparent)]
    Description(#[from] DescriptionError),
    /// The channel's rkyv messages are archived in a format this build does not decode: one
    /// other than rkyv 0.8's, or with an archived `usize` of other than 2, 4 or 8 bytes.
    #[error("the channel's messages are archived as {0}, which this build does not decode")]
    RkyvFormat(RkyvFormat),
}

/// Why a frame cannot be decoded: its bytes do not fit the description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame's tag is none of the channel's message types.
    #[error("tag {tag} is not one of the channel's message types")]
    UnknownTag {
        /// The frame's tag.
        tag: u32,
    },
    /// A read goes past the payload's end (or before its start).
    #[error("{size} bytes at offset {at} lie outside the {len}-byte payload")]
    OutOfBounds {
        /// Where the read starts, as a signed offset from the payload's start.
        at: i128,
        /// How many bytes it reads.
        size: u64,
        /// The payload's length.
        len: usize,
    },
    /// Bytes that no value of their type has (a `bool` of 2, an unknown enum tag, a string
    /// that is not UTF-8, ...).
    #[error("byte {at}: {what}")]
    Invalid {
        /// Where, from the payload's start.
        at: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// A pod record whose payload is not its size.
    #[error("a pod record of {expected} bytes in a payload of {found}")]
    Size {
        /// The record's size, from its layout.
        expected: u64,
        /// The payload's length.
        found: usize,
    },
    /// An rkyv archive of a later version of its type than the decoder's description: its
    /// root cannot be found without that version's description, which the publisher that
    /// rolled the channel over to it stored ([`Decoder::read_from`] reads it).
    #[error(
        "an archive of version {version}, later than the description's {described}: read the \
         channel's description again"
    )]
    Version {
        /// The frame's version.
        version: u16,
        /// The version the decoder's description has of the type.
        described: u16,
    },
    /// The frame decodes into more values than the decoder allows.
    #[error("the frame holds more than {limit} values")]
    TooManyValues {
        /// [`Decoder::max_values`].
        limit: usize,
    },
    /// A B-tree deeper than [`MAX_TREE_HEIGHT`].
    #[error("a B-tree deeper than {limit} levels")]
    TooDeep {
        /// [`MAX_TREE_HEIGHT`].
        limit: usize,
    },
    /// The description asks for something no frame can hold: a type too large for memory,
    /// an enum tag past `u8`, a type without a fixed layout in a pod record, ...
    #[error("`{type_name}`: {what}")]
    Unsupported {
        /// The type, as the description names it.
        type_name: String,
        /// Why it cannot be decoded.
        what: &'static str,
    },
}

/// The `u8` tag rkyv gives each variant of an enum: its explicit discriminant, or one more
/// than the previous variant's (the first, 0). `None` for one that does not fit a `u8`, which
/// rkyv cannot archive.
fn tags(variants: &[NodeVariant]) -> impl Iterator<Item = Option<u8>> + '_ {
    let mut next: Option<i128> = Some(0);
    variants.iter().map(move |variant| {
        let tag = variant.discriminant.or(next);
        next = tag.and_then(|tag| tag.checked_add(1));
        tag.and_then(|tag| u8::try_from(tag).ok())
    })
}

impl Decoder {
    /// A decoder for frames described by `description` under `registry` (which says each
    /// type's codec and the rkyv format).
    ///
    /// # Errors
    ///
    /// [`DecoderError::Description`] if a type of the registry is not described, or its
    /// description hashes to another fingerprint than the registry lists;
    /// [`DecoderError::RkyvFormat`] if the registry has rkyv types archived in a format this
    /// build does not decode.
    pub fn new(registry: Registry, description: Description) -> Result<Self, DecoderError> {
        description.check(registry.types.iter().map(|entry| (entry.tag, entry.fingerprint)))?;
        let rkyv = registry.rkyv_format;
        let readable = (rkyv.major, rkyv.minor) == (0, 8) && matches!(rkyv.usize_bytes, 2 | 4 | 8);
        if !readable && registry.types.iter().any(|entry| entry.codec == CodecKind::Rkyv) {
            return Err(DecoderError::RkyvFormat(rkyv));
        }
        let format = Format::of(registry.rkyv_format);
        let sizes = archived::sizes(format, &description);
        Ok(Self { registry, description, format, sizes, max_values: DEFAULT_MAX_VALUES })
    }

    /// The decoder of the typed channel in `ring`, from the registry and description its
    /// publisher stored.
    ///
    /// # Errors
    ///
    /// [`DecoderError::Untyped`] for a ring without a registry, [`DecoderError::Undescribed`]
    /// for one without a description, and the errors of reading them and of [`new`](Self::new).
    pub fn read_from<A>(ring: &RingBuffer<A>) -> Result<Self, DecoderError> {
        let registry = Registry::read_from(ring)?.ok_or(DecoderError::Untyped)?;
        let description = Description::read_from(ring)?.ok_or(DecoderError::Undescribed)?;
        Self::new(registry, description)
    }

    /// The same decoder, allowing frames of up to `limit` values (default
    /// [`DEFAULT_MAX_VALUES`]).
    #[must_use]
    pub fn with_max_values(self, limit: usize) -> Self {
        Self { max_values: limit, ..self }
    }

    /// How many values one frame may decode into.
    pub fn max_values(&self) -> usize {
        self.max_values
    }

    /// The channel's registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The channel's schema description.
    pub fn description(&self) -> &Description {
        &self.description
    }

    /// The name of the message type with `tag`, if the channel has one.
    pub fn type_name(&self, tag: u32) -> Option<&str> {
        self.registry.types.iter().find(|entry| entry.tag == tag).map(|entry| &*entry.name)
    }

    /// Decodes the payload of a frame with `tag` written by `version` of its type (the frame's
    /// [`Received::version`](crate::Received::version)): as [`decode`](Self::decode), and for
    /// a message of another version than the description's, the fields the two versions
    /// share. An earlier version's record or archive is decoded without the fields added since
    /// (the value has only the fields the message holds); a later version's pod record by the
    /// prefix this description knows. A later version's rkyv archive needs that version's
    /// description ([`FrameError::Version`]).
    ///
    /// # Errors
    ///
    /// As for [`decode`](Self::decode); [`FrameError::Size`] for a pod record whose length is
    /// not that of its version; [`FrameError::Version`] for an rkyv archive of a later
    /// version.
    ///
    /// # Examples
    ///
    /// ```
    /// use bcast::typed::Decoder;
    ///
    /// #[bcast::typed::message(tag = 1, version = 2, pod)]
    /// pub struct Level { pub price: f64, #[bcast(since = 2)] pub size: u64 }
    /// #[derive(bcast::BcastChannel)]
    /// pub enum Book { Level(Level) }
    ///
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let _publisher = bcast::typed::Publisher::<Book>::new(ring.clone())?;
    /// let decoder = Decoder::read_from(&ring)?;
    /// // A version-1 record holds the price alone.
    /// let value = decoder.decode_version(1, 1, &1.5f64.to_le_bytes())?;
    /// assert_eq!(value.to_string(), "Level { price: 1.5 }");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode_version(
        &self,
        tag: u32,
        version: u16,
        payload: &[u8],
    ) -> Result<Value, FrameError> {
        let entry = self.registry.types.iter().find(|entry| entry.tag == tag);
        let root = self.description.root(tag);
        let (Some(entry), Some(root)) = (entry, root) else { return self.decode(tag, payload) };
        let Node::Struct { name, style, fields, layout, version: described, .. } =
            self.description.node(root)
        else {
            return self.decode(tag, payload);
        };
        if version == 0 || *described == 0 || version == *described {
            return self.decode(tag, payload);
        }
        let described = *described;
        let mut walk = Walk { decoder: self, bytes: payload, budget: self.max_values };
        // The fields the record holds: a prefix, as fields come in the order of their versions.
        let present = &fields[..fields.iter().take_while(|field| field.since <= version).count()];
        let values = match (entry.codec, layout) {
            (CodecKind::Pod, Some(layout)) => {
                let expected = match layout.slots.get(present.len()) {
                    Some(added) if version < described => added.offset,
                    _ => layout.size,
                };
                let short = (payload.len() as u64) < expected;
                if short || (version < described && payload.len() as u64 != expected) {
                    return Err(FrameError::Size { expected, found: payload.len() });
                }
                let slots = present.iter().zip(&layout.slots);
                let values =
                    slots.map(|(field, slot)| walk.pod(field.node, slot.offset, slot.size));
                named(*style, present, values.collect::<Result<_, _>>()?)
            }
            (CodecKind::Rkyv, _) if version < described => {
                let Some(earlier) = archived::version_root(&self.sizes, fields, version) else {
                    return Err(walk.unsupported(root, "has no archived size"));
                };
                let size = earlier.root.size;
                let Some(at) = (payload.len() as u64).checked_sub(size) else {
                    return Err(walk.out_of_bounds(0, size));
                };
                walk.spend()?;
                walk.fields(*style, present, ReprC::new(), at, root)?
            }
            (CodecKind::Rkyv, _) => return Err(FrameError::Version { version, described }),
            (CodecKind::Pod, None) => return self.decode(tag, payload),
        };
        Ok(Value::Struct { name: name.clone(), fields: values })
    }

    /// Decodes the payload of a frame with `tag`: the value its publisher sent.
    ///
    /// `payload` need not be aligned.
    ///
    /// # Errors
    ///
    /// [`FrameError::UnknownTag`] for a tag that is none of the channel's types, and any other
    /// [`FrameError`] for bytes that are not a value of the type.
    pub fn decode(&self, tag: u32, payload: &[u8]) -> Result<Value, FrameError> {
        let entry = self.registry.types.iter().find(|entry| entry.tag == tag);
        let (Some(entry), Some(root)) = (entry, self.description.root(tag)) else {
            return Err(FrameError::UnknownTag { tag });
        };
        let mut walk = Walk { decoder: self, bytes: payload, budget: self.max_values };
        match entry.codec {
            CodecKind::Rkyv => {
                let size = walk.size(root)?.size;
                let at = payload.len() as u64;
                let Some(at) = at.checked_sub(size) else {
                    return Err(walk.out_of_bounds(0, size));
                };
                walk.rkyv(root, at)
            }
            CodecKind::Pod => {
                let Some(expected) = walk.layout_size(root) else {
                    return Err(
                        walk.unsupported(root, "a pod record must be a struct with a layout")
                    );
                };
                if expected != payload.len() as u64 {
                    return Err(FrameError::Size { expected, found: payload.len() });
                }
                walk.pod(root, 0, expected)
            }
        }
    }
}

/// Where a B-tree node keeps its parts (rkyv's `Node`, `LeafNode` and `InnerNode`, all
/// `#[repr(C)]`): the kind byte at 0, then five keys, five values, and after the node a
/// leaf's length or an inner node's five lesser pointers and its greater one.
#[derive(Debug, Clone, Copy)]
struct TreeNode {
    keys: u64,
    values: u64,
    after: u64,
}

/// A map's or set's entry: `#[repr(C)] { key, value }`, where a set's value is `()`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: NodeId,
    value: Option<NodeId>,
    key_size: Size,
    value_size: Size,
    value_offset: u64,
    size: u64,
}

/// An entry's key and, for a map, its value.
type Decoded = (Value, Option<Value>);

/// One frame's decoding: the bytes, and how many more values it may make.
struct Walk<'a> {
    decoder: &'a Decoder,
    bytes: &'a [u8],
    budget: usize,
}

impl<'a> Walk<'a> {
    fn node(&self, id: NodeId) -> &'a Node {
        self.decoder.description.node(id)
    }

    fn unsupported(&self, id: NodeId, what: &'static str) -> FrameError {
        FrameError::Unsupported { type_name: self.decoder.description.type_name(id), what }
    }

    fn out_of_bounds(&self, at: i128, size: u64) -> FrameError {
        FrameError::OutOfBounds { at, size, len: self.bytes.len() }
    }

    fn invalid(at: u64, what: &'static str) -> FrameError {
        FrameError::Invalid { at, what }
    }

    /// The archived size of node `id`.
    fn size(&self, id: NodeId) -> Result<Size, FrameError> {
        self.decoder.sizes[id.index()]
            .ok_or_else(|| self.unsupported(id, "has no archived size (unsized, or too large)"))
    }

    /// Whether `count` more values fit the budget: checked before a collection's elements are
    /// walked, so that a hostile length fails at once.
    fn afford(&self, count: u64) -> Result<(), FrameError> {
        if usize::try_from(count).is_ok_and(|count| count <= self.budget) {
            return Ok(());
        }
        Err(FrameError::TooManyValues { limit: self.decoder.max_values })
    }

    /// Takes one value from the budget.
    fn spend(&mut self) -> Result<(), FrameError> {
        self.afford(1)?;
        self.budget -= 1;
        Ok(())
    }

    /// The `size` bytes at `at`.
    fn take(&self, at: u64, size: u64) -> Result<&'a [u8], FrameError> {
        let range = usize::try_from(at)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(start, size)| Some(start..start.checked_add(size)?));
        range
            .and_then(|range| self.bytes.get(range))
            .ok_or_else(|| self.out_of_bounds(i128::from(at), size))
    }

    /// The unsigned integer of `width` bytes (at most 16) at `at`.
    fn unsigned(&self, at: u64, width: u64, big_endian: bool) -> Result<u128, FrameError> {
        let bytes = self.take(at, width)?;
        let fold = |value: u128, byte: &u8| value << 8 | u128::from(*byte);
        Ok(if big_endian { bytes.iter().fold(0, fold) } else { bytes.iter().rev().fold(0, fold) })
    }

    /// The signed integer of `width` bytes (1 to 16) at `at`.
    fn signed(&self, at: u64, width: u64, big_endian: bool) -> Result<i128, FrameError> {
        let raw = self.unsigned(at, width, big_endian)?;
        // Shifts the value's top bit to bit 127 and back, copying it into the bits above.
        let unused = 128 - 8 * u32::try_from(width.clamp(1, 16)).unwrap_or(16);
        Ok((raw << unused).cast_signed() >> unused)
    }

    /// An archived `usize` at `at`.
    fn word(&self, at: u64) -> Result<u64, FrameError> {
        let format = self.decoder.format;
        let value = self.unsigned(at, format.word, format.big_endian)?;
        u64::try_from(value).map_err(|_| Self::invalid(at, "a length past 2^64"))
    }

    /// Where the relative pointer whose offset is at `at` points, from `base`; `None` for
    /// rkyv's invalid pointer (offset 1). The target must lie in the payload.
    fn pointer(&self, base: u64, at: u64) -> Result<Option<u64>, FrameError> {
        let format = self.decoder.format;
        let offset = self.signed(at, format.word, format.big_endian)?;
        if offset == 1 {
            return Ok(None);
        }
        let target = i128::from(base) + offset;
        match u64::try_from(target) {
            Ok(target) if target <= self.bytes.len() as u64 => Ok(Some(target)),
            _ => Err(self.out_of_bounds(target, 0)),
        }
    }

    /// Like [`pointer`](Self::pointer), where an invalid pointer is an error.
    fn target(&self, base: u64, at: u64) -> Result<u64, FrameError> {
        self.pointer(base, at)?.ok_or_else(|| Self::invalid(at, "a relative pointer to nothing"))
    }

    /// A primitive of `width` bytes at `at`, in the given byte order.
    fn primitive(
        &mut self,
        primitive: Primitive,
        at: u64,
        width: u64,
        big_endian: bool,
    ) -> Result<Value, FrameError> {
        self.spend()?;
        let raw = self.unsigned(at, width, big_endian)?;
        Ok(match primitive {
            Primitive::Unit => Value::Unit,
            Primitive::Bool => match raw {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                _ => return Err(Self::invalid(at, "a bool other than 0 or 1")),
            },
            Primitive::Char => {
                let value = u32::try_from(raw).ok().and_then(char::from_u32);
                Value::Char(value.ok_or_else(|| Self::invalid(at, "not a Unicode scalar value"))?)
            }
            Primitive::F32 => Value::F32(f32::from_bits(u32::try_from(raw).unwrap_or_default())),
            Primitive::F64 => Value::F64(f64::from_bits(u64::try_from(raw).unwrap_or_default())),
            Primitive::I8
            | Primitive::I16
            | Primitive::I32
            | Primitive::I64
            | Primitive::I128
            | Primitive::Isize => Value::Signed(self.signed(at, width, big_endian)?),
            Primitive::U8
            | Primitive::U16
            | Primitive::U32
            | Primitive::U64
            | Primitive::U128
            | Primitive::Usize => Value::Unsigned(raw),
        })
    }

    /// The `len` bytes at `at` as a string.
    fn utf8(&mut self, at: u64, len: u64) -> Result<Value, FrameError> {
        self.spend()?;
        let bytes = self.take(at, len)?;
        let text = core::str::from_utf8(bytes).map_err(|_| Self::invalid(at, "not UTF-8"))?;
        Ok(Value::String(text.to_owned()))
    }

    /// rkyv's `ArchivedString` at `at`: two words, holding the bytes themselves if they fit
    /// (up to the first `0xff`), or else a length and a pointer from the string's start.
    fn string(&mut self, at: u64) -> Result<Value, FrameError> {
        let format = self.decoder.format;
        let repr = self.take(at, 2 * format.word)?;
        // The top two bits of the first byte are `10` for an out-of-line string: no UTF-8
        // string starts with a continuation byte.
        if repr.first().is_none_or(|first| first & 0xc0 != 0x80) {
            let len = repr.iter().position(|&byte| byte == 0xff).unwrap_or(repr.len());
            return self.utf8(at, len as u64);
        }
        let raw = self.word(at)?;
        let len = if format.big_endian {
            raw & (u64::MAX >> (66 - 8 * format.word))
        } else {
            (raw & 0x3f) | ((raw & !0xff) >> 2)
        };
        let start = self.target(at, at + format.word)?;
        self.utf8(start, len)
    }

    /// `len` values of node `element`, one after another from `at` (the list is a value too).
    fn elements(&mut self, element: NodeId, at: u64, len: u64) -> Result<Vec<Value>, FrameError> {
        self.spend()?;
        self.afford(len)?;
        let stride = self.size(element)?.size;
        let end = stride.checked_mul(len).and_then(|size| at.checked_add(size));
        if end.is_none_or(|end| end > self.bytes.len() as u64) {
            return Err(self.out_of_bounds(i128::from(at), stride.saturating_mul(len)));
        }
        (0..len).map(|index| self.rkyv(element, at + index * stride)).collect()
    }

    /// A struct's or variant's fields at `at`, laid out from `layout` on (which may already
    /// hold an enum's tag).
    fn fields(
        &mut self,
        style: Style,
        fields: &'a [NodeField],
        mut layout: ReprC,
        at: u64,
        owner: NodeId,
    ) -> Result<Fields, FrameError> {
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            let offset = layout
                .place(self.size(field.node)?)
                .ok_or_else(|| self.unsupported(owner, "is too large"))?;
            values.push(self.rkyv(field.node, at + offset)?);
        }
        Ok(named(style, fields, values))
    }

    /// The archived value of node `id` at `at`.
    fn rkyv(&mut self, id: NodeId, at: u64) -> Result<Value, FrameError> {
        let format = self.decoder.format;
        match self.node(id) {
            &Node::Primitive(primitive) => {
                let width = primitive_width(primitive).unwrap_or(format.word);
                self.primitive(primitive, at, width, format.big_endian)
            }
            Node::String => self.string(at),
            Node::Str | Node::Slice(_) => Err(self.unsupported(id, "is unsized outside a Box")),
            &Node::Vec(element) => {
                let start = self.target(at, at)?;
                let len = self.word(at + format.word)?;
                self.elements(element, start, len).map(Value::List)
            }
            &Node::Box(inner) => {
                let start = self.target(at, at)?;
                match *self.node(inner) {
                    Node::Str => {
                        let len = self.word(at + format.word)?;
                        self.utf8(start, len)
                    }
                    Node::Slice(element) => {
                        let len = self.word(at + format.word)?;
                        self.elements(element, start, len).map(Value::List)
                    }
                    _ => self.rkyv(inner, start),
                }
            }
            &Node::Option(inner) => {
                self.spend()?;
                match self.unsigned(at, 1, false)? {
                    0 => Ok(Value::Option(None)),
                    1 => {
                        let offset = 1u64.next_multiple_of(self.size(inner)?.align);
                        Ok(Value::Option(Some(Box::new(self.rkyv(inner, at + offset)?))))
                    }
                    _ => Err(Self::invalid(at, "an Option tag other than 0 or 1")),
                }
            }
            &Node::Array { len, element } => self.elements(element, at, len).map(Value::List),
            Node::Tuple(elements) => {
                self.spend()?;
                let mut layout = ReprC::new();
                let mut values = Vec::with_capacity(elements.len());
                for &element in elements {
                    let offset = layout
                        .place(self.size(element)?)
                        .ok_or_else(|| self.unsupported(id, "is too large"))?;
                    values.push(self.rkyv(element, at + offset)?);
                }
                Ok(Value::Tuple(values))
            }
            &Node::Map { collection, key, value } => {
                let entries = self.collection(collection, self.entry(key, Some(value))?, at)?;
                let entries = entries.into_iter().map(|(k, v)| (k, v.unwrap_or(Value::Unit)));
                Ok(Value::Map(entries.collect()))
            }
            &Node::Set { collection, element } => {
                let entries = self.collection(collection, self.entry(element, None)?, at)?;
                Ok(Value::Set(entries.into_iter().map(|(element, _)| element).collect()))
            }
            Node::Struct { name, style, fields, .. } => {
                self.spend()?;
                let fields = self.fields(*style, fields, ReprC::new(), at, id)?;
                Ok(Value::Struct { name: name.clone(), fields })
            }
            Node::Enum { name, variants, .. } => {
                self.spend()?;
                let tag = self.unsigned(at, 1, false)?;
                let index = tags(variants).position(|known| known.map(u128::from) == Some(tag));
                let Some(variant) = index.map(|index| &variants[index]) else {
                    return Err(Self::invalid(at, "an enum tag that names no variant"));
                };
                let mut layout = ReprC::new();
                layout.place(format.scalar(1));
                let fields = self.fields(variant.style, &variant.fields, layout, at, id)?;
                Ok(Value::Enum { name: name.clone(), variant: variant.name.clone(), fields })
            }
        }
    }

    /// The layout of an entry of `key` and `value` (`None` for a set).
    fn entry(&self, key: NodeId, value: Option<NodeId>) -> Result<Entry, FrameError> {
        let key_size = self.size(key)?;
        let value_size = match value {
            Some(value) => self.size(value)?,
            None => Size { size: 0, align: 1 },
        };
        let mut layout = ReprC::new();
        layout.place(key_size);
        let value_offset = layout.place(value_size);
        match (value_offset, layout.finish()) {
            (Some(value_offset), Some(Size { size, .. })) => {
                Ok(Entry { key, value, key_size, value_size, value_offset, size })
            }
            _ => Err(self.unsupported(key, "is too large for a map entry")),
        }
    }

    /// The key and value of the entry at `at`.
    fn entry_at(&mut self, entry: Entry, at: u64) -> Result<Decoded, FrameError> {
        let key = self.rkyv(entry.key, at)?;
        let value = entry.value.map(|value| self.rkyv(value, at + entry.value_offset));
        Ok((key, value.transpose()?))
    }

    /// The entries of a map or set at `at`, in rkyv's order.
    fn collection(
        &mut self,
        collection: Collection,
        entry: Entry,
        at: u64,
    ) -> Result<Vec<Decoded>, FrameError> {
        self.spend()?;
        match collection {
            Collection::Hash => self.hash_table(entry, at),
            Collection::BTree => self.b_tree(entry, at),
        }
    }

    /// rkyv's `ArchivedHashTable` at `at`: a pointer to `cap` control bytes, `len` and `cap`.
    /// Slot `i` is full if its control byte's top bit is clear, and its entry lies `i + 1`
    /// entries before the control bytes.
    fn hash_table(&mut self, entry: Entry, at: u64) -> Result<Vec<Decoded>, FrameError> {
        let word = self.decoder.format.word;
        let (len, cap) = (self.word(at + word)?, self.word(at + 2 * word)?);
        if len == 0 && cap == 0 {
            return Ok(Vec::new());
        }
        if len >= cap {
            return Err(Self::invalid(at, "a hash table with no free slot"));
        }
        self.afford(len)?;
        let controls = self.target(at, at)?;
        let control_bytes = self.take(controls, cap)?;
        let mut entries = Vec::new();
        for (index, _) in (1u64..).zip(control_bytes).filter(|(_, byte)| **byte & 0x80 == 0) {
            if entries.len() as u64 == len {
                return Err(Self::invalid(at, "a hash table with more entries than its length"));
            }
            let back = index.checked_mul(entry.size);
            let Some(slot) = back.and_then(|back| controls.checked_sub(back)) else {
                let at = i128::from(controls) - i128::from(index) * i128::from(entry.size);
                return Err(self.out_of_bounds(at, entry.size));
            };
            entries.push(self.entry_at(entry, slot)?);
        }
        if entries.len() as u64 != len {
            return Err(Self::invalid(at, "a hash table with fewer entries than its length"));
        }
        Ok(entries)
    }

    /// rkyv's `ArchivedBTreeMap` at `at`: a pointer to the root node, and the length.
    fn b_tree(&mut self, entry: Entry, at: u64) -> Result<Vec<Decoded>, FrameError> {
        let format = self.decoder.format;
        let len = self.word(at + format.word)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        self.afford(len)?;
        let layout = tree_node(format, entry)
            .ok_or_else(|| self.unsupported(entry.key, "is too large for a B-tree node"))?;
        let root = self.target(at, at)?;
        let mut entries = Vec::new();
        self.tree_node(layout, entry, root, 0, len, &mut entries)?;
        if entries.len() as u64 != len {
            return Err(Self::invalid(at, "a B-tree with fewer entries than its length"));
        }
        Ok(entries)
    }

    /// The entries of the B-tree node at `at`, `height` levels below the root, in key order:
    /// a leaf's, or an inner node's, each of its five after the subtree of lesser keys, then
    /// the subtree of greater keys.
    fn tree_node(
        &mut self,
        layout: TreeNode,
        entry: Entry,
        at: u64,
        height: usize,
        len: u64,
        out: &mut Vec<Decoded>,
    ) -> Result<(), FrameError> {
        if height > MAX_TREE_HEIGHT {
            return Err(FrameError::TooDeep { limit: MAX_TREE_HEIGHT });
        }
        let word = self.decoder.format.word;
        let push = |walk: &mut Self, index: u64, out: &mut Vec<Decoded>| {
            if out.len() as u64 == len {
                return Err(Self::invalid(at, "a B-tree with more entries than its length"));
            }
            let key = at + layout.keys + index * entry.key_size.size;
            let value = at + layout.values + index * entry.value_size.size;
            let decoded = walk.rkyv(entry.key, key)?;
            let value = entry.value.map(|node| walk.rkyv(node, value)).transpose()?;
            out.push((decoded, value));
            Ok(())
        };
        match self.unsigned(at, 1, false)? {
            0 => {
                let count = self.word(at + layout.after)?;
                if count > TREE_ENTRIES {
                    return Err(Self::invalid(at, "a B-tree leaf with more than five entries"));
                }
                (0..count).try_for_each(|index| push(self, index, out))
            }
            1 => {
                for index in 0..=TREE_ENTRIES {
                    let pointer = at + layout.after + index * word;
                    if let Some(child) = self.pointer(pointer, pointer)? {
                        self.tree_node(layout, entry, child, height + 1, len, out)?;
                    }
                    if index < TREE_ENTRIES {
                        push(self, index, out)?;
                    }
                }
                Ok(())
            }
            _ => Err(Self::invalid(at, "a B-tree node that is neither leaf nor inner")),
        }
    }

    /// The pod value of node `id`, `size` bytes at `at`: integers and floats little-endian, as
    /// the publisher's memory held them.
    fn pod(&mut self, id: NodeId, at: u64, size: u64) -> Result<Value, FrameError> {
        match self.node(id) {
            &Node::Primitive(primitive) => {
                let fits = match primitive_width(primitive) {
                    Some(width) => width == size,
                    None => matches!(size, 2 | 4 | 8),
                };
                if !fits {
                    return Err(self.unsupported(id, "has another size in the record's layout"));
                }
                self.primitive(primitive, at, size, false)
            }
            &Node::Array { len, element } => {
                self.spend()?;
                self.afford(len)?;
                let stride = match size.checked_div(len) {
                    Some(stride) if stride * len == size => stride,
                    None if size == 0 => 0,
                    _ => return Err(self.unsupported(id, "does not divide into its elements")),
                };
                let elements = (0..len).map(|index| self.pod(element, at + index * stride, stride));
                elements.collect::<Result<_, _>>().map(Value::List)
            }
            Node::Struct { name, style, fields, layout: Some(layout), .. } => {
                if layout.size != size || layout.slots.len() != fields.len() {
                    return Err(self.unsupported(id, "has another size in the record's layout"));
                }
                self.spend()?;
                let mut values = Vec::with_capacity(fields.len());
                for (field, slot) in fields.iter().zip(&layout.slots) {
                    values.push(self.pod(field.node, at + slot.offset, slot.size)?);
                }
                Ok(Value::Struct { name: name.clone(), fields: named(*style, fields, values) })
            }
            _ => Err(self.unsupported(id, "has no fixed layout for a pod record")),
        }
    }

    /// The size of a pod record whose root is node `id`: its layout's.
    fn layout_size(&self, id: NodeId) -> Option<u64> {
        match self.node(id) {
            Node::Struct { layout: Some(layout), .. } => Some(layout.size),
            _ => None,
        }
    }
}

/// Field values in the style of their struct or variant.
fn named(style: Style, fields: &[NodeField], values: Vec<Value>) -> Fields {
    match style {
        Style::Named => {
            Fields::Named(fields.iter().map(|field| field.name.clone()).zip(values).collect())
        }
        Style::Tuple => Fields::Tuple(values),
        Style::Unit => Fields::Unit,
    }
}

/// The layout of a B-tree node of `entry`s under `format`.
fn tree_node(format: Format, entry: Entry) -> Option<TreeNode> {
    let run = |size: Size| Some(Size { size: size.size.checked_mul(TREE_ENTRIES)?, ..size });
    let mut node = ReprC::new();
    node.place(format.scalar(1))?;
    let keys = node.place(run(entry.key_size)?)?;
    let values = node.place(run(entry.value_size)?)?;
    let mut whole = ReprC::new();
    whole.place(node.finish()?)?;
    let after = whole.place(format.words(1))?;
    Some(TreeNode { keys, values, after })
}

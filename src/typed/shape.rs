//! Schema descriptions: the [`Shape`] of a type as rkyv or zerocopy lay it out, built at
//! compile time, and the fingerprint computed from it.
//!
//! Every type a message may contain has a shape ([`Schema::SHAPE`](super::Schema::SHAPE)): a
//! tree of structs (field names and shapes, in order), enums (variant names, discriminants and
//! fields), the primitives, strings, and the containers rkyv archives (vectors, slices, boxes,
//! options, arrays, tuples, maps and sets). The derives build it for your types; this crate
//! builds it for the standard ones. A shape's [`fingerprint`](Shape::fingerprint) is a hash of
//! exactly this description, computed when the shape is made, so the two can never disagree:
//! two types with the same fingerprint are assumed to have the same encoding, and a field
//! added, removed, renamed, reordered or retyped changes it.
//!
//! # Examples
//!
//! ```
//! use bcast::typed::Schema;
//! use bcast::typed::shape::{Kind, Primitive, Style};
//!
//! #[derive(bcast::BcastSchema)]
//! struct Level {
//!     price: f64,
//!     qty: Option<u32>,
//! }
//!
//! let Kind::Struct(level) = Level::SHAPE.kind() else { unreachable!() };
//! assert_eq!((level.name(), level.style()), ("Level", Style::Named));
//! let names: Vec<_> = level.fields().iter().map(|field| field.name()).collect();
//! assert_eq!(names, ["price", "qty"]);
//! assert_eq!(level.fields()[0].shape().kind(), &Kind::Primitive(Primitive::F64));
//! assert_eq!(Level::SHAPE.fingerprint(), Level::SHAPE.fingerprint());
//! assert_ne!(Level::SHAPE.fingerprint(), <(f64, Option<u32>)>::SHAPE.fingerprint());
//! ```

use core::fmt;

/// The description of a type's wire shape, with the fingerprint computed from it.
///
/// Made at compile time by [`Shape::new`] (in a `const`), as the derives do; read it with
/// [`kind`](Self::kind), [`name`](Self::name) and [`fingerprint`](Self::fingerprint).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    kind: Kind,
    fingerprint: u64,
}

/// What a [`Shape`] is: a primitive, a string, a container of other shapes, a struct or an
/// enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `()`, `bool`, `char`, an integer or a float.
    Primitive(Primitive),
    /// `String`.
    String,
    /// `str`, behind a `Box`.
    Str,
    /// `Vec<T>`.
    Vec(&'static Shape),
    /// `[T]`, behind a `Box`.
    Slice(&'static Shape),
    /// `Box<T>`.
    Box(&'static Shape),
    /// `Option<T>`.
    Option(&'static Shape),
    /// `[T; len]`.
    Array {
        /// Elements.
        len: u64,
        /// The elements' shape.
        element: &'static Shape,
    },
    /// A tuple of one to four elements.
    Tuple(&'static [&'static Shape]),
    /// A map of `key` to `value`.
    Map {
        /// `BTreeMap` or `HashMap`: rkyv archives them differently.
        collection: Collection,
        /// The keys' shape.
        key: &'static Shape,
        /// The values' shape.
        value: &'static Shape,
    },
    /// A set of `element`.
    Set {
        /// `BTreeSet` or `HashSet`: rkyv archives them differently.
        collection: Collection,
        /// The elements' shape.
        element: &'static Shape,
    },
    /// A struct.
    Struct(Struct),
    /// An enum.
    Enum(Enum),
}

/// The primitive types: their archived form is fixed by their kind alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // each variant is the Rust type of its name
pub enum Primitive {
    Unit,
    Bool,
    Char,
    U8,
    U16,
    U32,
    U64,
    U128,
    /// Archived by rkyv in a fixed width
    /// ([`RkyvFormat::usize_bytes`](super::RkyvFormat::usize_bytes)).
    Usize,
    I8,
    I16,
    I32,
    I64,
    I128,
    /// As [`Usize`](Self::Usize).
    Isize,
    F32,
    F64,
}

/// Which standard collection a map or set is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    /// `BTreeMap` or `BTreeSet`.
    BTree,
    /// `HashMap` or `HashSet`.
    Hash,
}

/// How a struct or an enum variant names its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `{ name: T, .. }`.
    Named,
    /// `(T, ..)`: the fields are named `0`, `1`, ...
    Tuple,
    /// No fields.
    Unit,
}

/// A struct's shape: its name, its `#[repr]` attributes, its fields in order, and, for a struct
/// whose layout Rust defines (`#[repr(C)]`, `packed` or `transparent`, as every pod type is),
/// where its fields lie in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Struct {
    name: &'static str,
    reprs: &'static [&'static str],
    style: Style,
    fields: &'static [Field],
    layout: Option<Layout>,
    version: u16,
}

/// Where a struct with a defined layout keeps its fields: what the bytes of a pod record are,
/// so that a reader without the Rust type (another language, a NumPy structured array) can
/// find each field. Sizes and offsets are in bytes, on the publisher's target.
///
/// # Examples
///
/// ```
/// use bcast::typed::Schema;
/// use bcast::typed::shape::Kind;
///
/// #[bcast::typed::message(tag = 1, pod)]
/// #[repr(C)]
/// struct Tick {
///     price: f64,
///     qty: u32,
///     venue: [u8; 4],
/// }
///
/// let Kind::Struct(tick) = Tick::SHAPE.kind() else { unreachable!() };
/// let layout = tick.layout().expect("a repr(C) struct has a layout");
/// assert_eq!((layout.size(), layout.align()), (16, 8));
/// let offsets: Vec<usize> = layout.fields().iter().map(|slot| slot.offset()).collect();
/// assert_eq!(offsets, [0, 8, 12]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    size: usize,
    align: usize,
    fields: &'static [Slot],
}

/// Where one field of a struct with a [`Layout`] lies: its offset from the struct's start, and
/// its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    offset: usize,
    size: usize,
}

/// An enum's shape: its name, its `#[repr]` attributes, and its variants in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enum {
    name: &'static str,
    reprs: &'static [&'static str],
    variants: &'static [Variant],
}

/// An enum variant: its name, its explicit discriminant if it has one, and its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    name: &'static str,
    discriminant: Option<i128>,
    style: Style,
    fields: &'static [Field],
}

/// A field of a struct or an enum variant: its name (`0`, `1`, ... for tuple fields), its
/// type's shape, and in a versioned message type, the version that added it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    name: &'static str,
    shape: &'static Shape,
    since: u16,
}

impl Shape {
    /// The shape of `kind`, with its fingerprint.
    pub const fn new(kind: Kind) -> Self {
        Self { fingerprint: kind.fingerprint(), kind }
    }

    /// What the shape is.
    pub const fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The hash of this description (64-bit FNV-1a): of its kind, its name, and for each field
    /// in order the field's name and its shape's fingerprint.
    pub const fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The type's name as a channel's registry shows it: a struct's or an enum's name without
    /// its module path, a primitive's Rust name, or the container's (`Vec`, `Option`, ...).
    pub const fn name(&self) -> &'static str {
        match &self.kind {
            Kind::Primitive(primitive) => primitive.name(),
            Kind::String => "String",
            Kind::Str => "str",
            Kind::Vec(_) => "Vec",
            Kind::Slice(_) => "slice",
            Kind::Box(_) => "Box",
            Kind::Option(_) => "Option",
            Kind::Array { .. } => "array",
            Kind::Tuple(_) => "tuple",
            Kind::Map { collection, .. } => collection.map_name(),
            Kind::Set { collection, .. } => collection.set_name(),
            Kind::Struct(shape) => shape.name,
            Kind::Enum(shape) => shape.name,
        }
    }
}

impl fmt::Debug for Shape {
    /// The kind, without the fingerprint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl Kind {
    /// The fingerprint of a shape of this kind, from its own description and its parts'
    /// fingerprints (computed when their shapes were made).
    const fn fingerprint(&self) -> u64 {
        match self {
            Self::Primitive(primitive) => Hasher::new("primitive", primitive.name()).finish(),
            Self::String => Hasher::new("primitive", "String").finish(),
            Self::Str => Hasher::new("primitive", "str").finish(),
            Self::Vec(element) => Hasher::new("generic", "Vec").shape(element).finish(),
            Self::Slice(element) => Hasher::new("generic", "slice").shape(element).finish(),
            Self::Box(inner) => Hasher::new("generic", "Box").shape(inner).finish(),
            Self::Option(inner) => Hasher::new("generic", "Option").shape(inner).finish(),
            Self::Array { len, element } => {
                Hasher::new("generic", "array").shape(element).u64(*len).finish()
            }
            Self::Tuple(elements) => {
                let mut hash = Hasher::new("generic", "tuple");
                let mut i = 0;
                while i < elements.len() {
                    hash = hash.shape(elements[i]);
                    i += 1;
                }
                hash.finish()
            }
            Self::Map { collection, key, value } => {
                Hasher::new("generic", collection.map_name()).shape(key).shape(value).finish()
            }
            Self::Set { collection, element } => {
                Hasher::new("generic", collection.set_name()).shape(element).finish()
            }
            Self::Struct(shape) => Hasher::new("struct", shape.name)
                .strs(shape.reprs)
                .fields(shape.style, shape.fields)
                .layout(shape.layout)
                .version(shape.version)
                .finish(),
            Self::Enum(shape) => {
                let mut hash = Hasher::new("enum", shape.name).strs(shape.reprs);
                let mut i = 0;
                while i < shape.variants.len() {
                    let variant = &shape.variants[i];
                    hash = hash.str(variant.name);
                    if let Some(discriminant) = variant.discriminant {
                        hash = hash.str("=").u128(discriminant.cast_unsigned());
                    }
                    hash = hash.fields(variant.style, variant.fields);
                    i += 1;
                }
                hash.finish()
            }
        }
    }
}

impl Primitive {
    /// The Rust name of the type.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Unit => "()",
            Self::Bool => "bool",
            Self::Char => "char",
            Self::U8 => "u8",
            Self::U16 => "u16",
            Self::U32 => "u32",
            Self::U64 => "u64",
            Self::U128 => "u128",
            Self::Usize => "usize",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::I128 => "i128",
            Self::Isize => "isize",
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }
}

impl Collection {
    /// The Rust name of a map of this collection.
    pub const fn map_name(self) -> &'static str {
        match self {
            Self::BTree => "BTreeMap",
            Self::Hash => "HashMap",
        }
    }

    /// The Rust name of a set of this collection.
    pub const fn set_name(self) -> &'static str {
        match self {
            Self::BTree => "BTreeSet",
            Self::Hash => "HashSet",
        }
    }
}

impl Layout {
    /// A layout of `size` bytes aligned to `align`, with one slot per field.
    pub const fn new(size: usize, align: usize, fields: &'static [Slot]) -> Self {
        Self { size, align, fields }
    }

    /// The struct's size.
    pub const fn size(&self) -> usize {
        self.size
    }

    /// The struct's alignment.
    pub const fn align(&self) -> usize {
        self.align
    }

    /// Where each field lies, in field order.
    pub const fn fields(&self) -> &'static [Slot] {
        self.fields
    }
}

impl Slot {
    /// A field of `size` bytes at `offset` from its struct's start.
    pub const fn new(offset: usize, size: usize) -> Self {
        Self { offset, size }
    }

    /// Its offset from the struct's start.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Its size.
    pub const fn size(&self) -> usize {
        self.size
    }
}

impl Struct {
    /// A struct named `name` (without its module path) with `fields` in declaration order.
    pub const fn new(name: &'static str, style: Style, fields: &'static [Field]) -> Self {
        Self { name, reprs: &[], style, fields, layout: None, version: 0 }
    }

    /// The same struct, declared as version `version` of its message type
    /// (`#[bcast::typed::message(version = N)]`); 0 is unversioned.
    #[must_use]
    pub const fn with_version(self, version: u16) -> Self {
        Self { version, ..self }
    }

    /// Its declared version; 0 if it is unversioned.
    pub const fn version(&self) -> u16 {
        self.version
    }

    /// The same struct with its `#[repr]` attributes (`"C"`, `"packed"`, ...), in order.
    #[must_use]
    pub const fn with_reprs(self, reprs: &'static [&'static str]) -> Self {
        Self { reprs, ..self }
    }

    /// The same struct with its memory layout: one [`Slot`] per field, in field order. The
    /// derives give one to every struct whose layout Rust defines (`#[repr(C)]`, `packed`,
    /// `transparent`).
    #[must_use]
    pub const fn with_layout(self, layout: Layout) -> Self {
        Self { layout: Some(layout), ..self }
    }

    /// Its memory layout, if it has a defined one.
    pub const fn layout(&self) -> Option<&Layout> {
        self.layout.as_ref()
    }

    /// The struct's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Its `#[repr]` attributes.
    pub const fn reprs(&self) -> &'static [&'static str] {
        self.reprs
    }

    /// How it names its fields.
    pub const fn style(&self) -> Style {
        self.style
    }

    /// Its fields, in declaration order.
    pub const fn fields(&self) -> &'static [Field] {
        self.fields
    }
}

impl Enum {
    /// An enum named `name` (without its module path) with `variants` in declaration order.
    pub const fn new(name: &'static str, variants: &'static [Variant]) -> Self {
        Self { name, reprs: &[], variants }
    }

    /// The same enum with its `#[repr]` attributes (`"u8"`, `"C"`, ...), in order.
    #[must_use]
    pub const fn with_reprs(self, reprs: &'static [&'static str]) -> Self {
        Self { reprs, ..self }
    }

    /// The enum's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Its `#[repr]` attributes.
    pub const fn reprs(&self) -> &'static [&'static str] {
        self.reprs
    }

    /// Its variants, in declaration order.
    pub const fn variants(&self) -> &'static [Variant] {
        self.variants
    }
}

impl Variant {
    /// A variant named `name` with `fields`.
    pub const fn new(name: &'static str, style: Style, fields: &'static [Field]) -> Self {
        Self { name, discriminant: None, style, fields }
    }

    /// The same variant with an explicit discriminant (`= 3`).
    #[must_use]
    pub const fn with_discriminant(self, discriminant: i128) -> Self {
        Self { discriminant: Some(discriminant), ..self }
    }

    /// The variant's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Its explicit discriminant, if it has one.
    pub const fn discriminant(&self) -> Option<i128> {
        self.discriminant
    }

    /// How it names its fields.
    pub const fn style(&self) -> Style {
        self.style
    }

    /// Its fields, in declaration order.
    pub const fn fields(&self) -> &'static [Field] {
        self.fields
    }
}

impl Field {
    /// A field named `name` (`"0"`, `"1"`, ... in a tuple struct or variant) of shape `shape`.
    pub const fn new(name: &'static str, shape: &'static Shape) -> Self {
        Self { name, shape, since: 0 }
    }

    /// The same field, added in version `since` of its versioned message type
    /// (`#[bcast(since = N)]`); 0 (or 1) for a field of the first version.
    #[must_use]
    pub const fn with_since(self, since: u16) -> Self {
        Self { since: if since == 1 { 0 } else { since }, ..self }
    }

    /// The version that added the field; 0 for a field of the type's first version.
    pub const fn since(&self) -> u16 {
        self.since
    }

    /// The field's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Its type's shape.
    pub const fn shape(&self) -> &'static Shape {
        self.shape
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// `const` FNV-1a (64-bit) over a description. Every string is hashed with its length in
/// front, so `("ab", "c")` and `("a", "bc")` differ. Also used, at run time, on descriptions
/// read from a channel (`typed::description`), which must hash to the same fingerprints.
#[derive(Clone, Copy)]
pub(crate) struct Hasher(u64);

impl Hasher {
    pub(crate) const fn new(kind: &str, name: &str) -> Self {
        Self(FNV_OFFSET).str(kind).str(name)
    }

    pub(crate) const fn str(self, value: &str) -> Self {
        self.u64(value.len() as u64).bytes(value.as_bytes())
    }

    const fn strs(mut self, values: &[&str]) -> Self {
        let mut i = 0;
        while i < values.len() {
            self = self.str(values[i]);
            i += 1;
        }
        self
    }

    pub(crate) const fn u64(self, value: u64) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    pub(crate) const fn u128(self, value: u128) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    const fn shape(self, shape: &Shape) -> Self {
        self.u64(shape.fingerprint)
    }

    /// The fields' style, then each field's name, shape and version, in order.
    const fn fields(mut self, style: Style, fields: &[Field]) -> Self {
        self = self.style(style);
        let mut i = 0;
        while i < fields.len() {
            self = self.str(fields[i].name).shape(fields[i].shape).since(fields[i].since);
            i += 1;
        }
        self
    }

    /// Nothing for a struct without a layout; else `"layout"`, its size and alignment, and each
    /// field's offset and size.
    const fn layout(mut self, layout: Option<Layout>) -> Self {
        let Some(layout) = layout else { return self };
        self = self.str("layout").u64(layout.size as u64).u64(layout.align as u64);
        let mut i = 0;
        while i < layout.fields.len() {
            self = self.u64(layout.fields[i].offset as u64).u64(layout.fields[i].size as u64);
            i += 1;
        }
        self
    }

    /// Nothing for an unversioned struct (so that its fingerprint is what it was before
    /// versions existed); else `"version"` and the version.
    pub(crate) const fn version(self, version: u16) -> Self {
        if version == 0 {
            return self;
        }
        self.str("version").u64(version as u64)
    }

    /// Nothing for a field of the first version; else `"since"` and the version that added it.
    pub(crate) const fn since(self, since: u16) -> Self {
        if since == 0 {
            return self;
        }
        self.str("since").u64(since as u64)
    }

    pub(crate) const fn style(self, style: Style) -> Self {
        self.str(match style {
            Style::Named => "named",
            Style::Tuple => "tuple",
            Style::Unit => "unit",
        })
    }

    pub(crate) const fn finish(self) -> u64 {
        self.0
    }

    const fn bytes(self, bytes: &[u8]) -> Self {
        let mut hash = self.0;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(FNV_PRIME);
            i += 1;
        }
        Self(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U8: Shape = Shape::new(Kind::Primitive(Primitive::U8));
    const U16: Shape = Shape::new(Kind::Primitive(Primitive::U16));

    #[test]
    fn strings_are_length_prefixed() {
        let ab_c = Hasher::new("k", "ab").str("c").finish();
        let a_bc = Hasher::new("k", "a").str("bc").finish();
        assert_ne!(ab_c, a_bc);
    }

    #[test]
    fn every_part_of_a_struct_changes_its_fingerprint() {
        const FIELDS: &[Field] = &[Field::new("a", &U8), Field::new("b", &U16)];
        const BASE: Shape = Shape::new(Kind::Struct(Struct::new("S", Style::Named, FIELDS)));
        const CHANGED: [Shape; 7] = [
            Shape::new(Kind::Struct(Struct::new("T", Style::Named, FIELDS))),
            Shape::new(Kind::Struct(Struct::new("S", Style::Tuple, FIELDS))),
            Shape::new(Kind::Struct(Struct::new("S", Style::Named, FIELDS).with_reprs(&["C"]))),
            Shape::new(Kind::Struct(Struct::new(
                "S",
                Style::Named,
                &[Field::new("b", &U16), Field::new("a", &U8)],
            ))),
            Shape::new(Kind::Struct(Struct::new(
                "S",
                Style::Named,
                &[Field::new("a", &U8), Field::new("c", &U16)],
            ))),
            Shape::new(Kind::Struct(Struct::new(
                "S",
                Style::Named,
                &[Field::new("a", &U8), Field::new("b", &U8)],
            ))),
            Shape::new(Kind::Struct(Struct::new("S", Style::Named, &[Field::new("a", &U8)]))),
        ];
        for (i, other) in CHANGED.iter().enumerate() {
            assert_ne!(BASE.fingerprint(), other.fingerprint(), "change {i}");
        }
    }

    #[test]
    fn discriminants_are_part_of_an_enum() {
        const A: &[Variant] = &[Variant::new("A", Style::Unit, &[])];
        const A1: &[Variant] = &[Variant::new("A", Style::Unit, &[]).with_discriminant(1)];
        const A2: &[Variant] = &[Variant::new("A", Style::Unit, &[]).with_discriminant(-1)];
        let prints = [A, A1, A2].map(|variants| Shape::new(Kind::Enum(Enum::new("E", variants))));
        assert_ne!(prints[0].fingerprint(), prints[1].fingerprint());
        assert_ne!(prints[1].fingerprint(), prints[2].fingerprint());
        assert_eq!(prints[2].name(), "E");
    }
}

//! The archived size and alignment of a described type: rkyv 0.8's layout, mirrored from a
//! schema description, for decoding archives without their Rust types and for telling where
//! each version of a message type ends in its archive.

use super::codec::RkyvFormat;
use super::description::{Description, Node, NodeField, NodeId};
use super::shape::{Collection, Primitive};

/// A size and an alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size {
    pub(crate) size: u64,
    pub(crate) align: u64,
}

/// What rkyv's format (the registry's `rkyv_format`) changes in archived bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Format {
    /// Bytes of an archived `usize` and of a relative pointer's offset.
    pub(crate) word: u64,
    pub(crate) big_endian: bool,
    pub(crate) unaligned: bool,
}

impl Format {
    /// What `format` changes.
    pub(crate) fn of(format: RkyvFormat) -> Self {
        Self {
            word: u64::from(format.usize_bytes),
            big_endian: format.big_endian,
            unaligned: format.unaligned,
        }
    }

    /// A primitive of `size` bytes.
    pub(crate) fn scalar(self, size: u64) -> Size {
        Size { size, align: if self.unaligned { 1 } else { size.max(1) } }
    }

    /// A run of `count` words (a string, a vector, a relative pointer and its length, ...).
    pub(crate) fn words(self, count: u64) -> Size {
        Size { size: count * self.word, align: self.scalar(self.word).align }
    }
}

/// Lays out fields one after another as `#[repr(C)]` does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReprC {
    size: u64,
    align: u64,
}

impl ReprC {
    pub(crate) fn new() -> Self {
        Self { size: 0, align: 1 }
    }

    /// Places a field of `field`'s size and alignment; its offset.
    pub(crate) fn place(&mut self, field: Size) -> Option<u64> {
        let offset = self.size.checked_next_multiple_of(field.align)?;
        self.size = offset.checked_add(field.size)?;
        self.align = self.align.max(field.align);
        Some(offset)
    }

    /// The struct's size (padded to its alignment) and alignment.
    pub(crate) fn finish(self) -> Option<Size> {
        Some(Size { size: self.size.checked_next_multiple_of(self.align)?, align: self.align })
    }
}

/// The archived size and alignment of `node`, whose parts' are in `sizes`.
fn archived_size(
    format: Format,
    description: &Description,
    sizes: &[Option<Size>],
    node: &Node,
) -> Option<Size> {
    let size = |id: NodeId| sizes.get(id.index()).copied().flatten();
    let repr_c = |parts: &mut dyn Iterator<Item = NodeId>| {
        let mut layout = ReprC::new();
        for id in parts {
            layout.place(size(id)?)?;
        }
        layout.finish()
    };
    match node {
        Node::Primitive(primitive) => Some(match primitive_width(*primitive) {
            Some(width) => format.scalar(width),
            None => format.scalar(format.word),
        }),
        Node::String | Node::Vec(_) => Some(format.words(2)),
        Node::Str | Node::Slice(_) => None,
        Node::Box(inner) => match description.node(*inner) {
            Node::Str | Node::Slice(_) => Some(format.words(2)),
            _ => Some(format.words(1)),
        },
        Node::Option(inner) => {
            let mut layout = ReprC::new();
            layout.place(format.scalar(1))?;
            layout.place(size(*inner)?)?;
            layout.finish()
        }
        Node::Array { len, element } => {
            let element = size(*element)?;
            Some(Size { size: element.size.checked_mul(*len)?, align: element.align })
        }
        Node::Tuple(elements) => repr_c(&mut elements.iter().copied()),
        Node::Map { collection: Collection::BTree, .. }
        | Node::Set { collection: Collection::BTree, .. } => Some(format.words(2)),
        Node::Map { collection: Collection::Hash, .. }
        | Node::Set { collection: Collection::Hash, .. } => Some(format.words(3)),
        Node::Struct { fields, .. } => repr_c(&mut fields.iter().map(|field| field.node)),
        Node::Enum { variants, .. } => {
            // `#[repr(u8)]`: a union of `#[repr(C)]` structs, each the tag and the fields.
            let mut whole = Size { size: 0, align: 1 };
            for variant in variants {
                let mut layout = ReprC::new();
                layout.place(format.scalar(1))?;
                for field in &variant.fields {
                    layout.place(size(field.node)?)?;
                }
                let Size { size, align } = layout.finish()?;
                whole = Size { size: whole.size.max(size), align: whole.align.max(align) };
            }
            Some(Size {
                size: whole.size.checked_next_multiple_of(whole.align)?,
                align: whole.align,
            })
        }
    }
}

/// The width of a primitive other than `usize` and `isize` (whose width is the format's).
pub(crate) fn primitive_width(primitive: Primitive) -> Option<u64> {
    Some(match primitive {
        Primitive::Unit => 0,
        Primitive::Bool | Primitive::U8 | Primitive::I8 => 1,
        Primitive::U16 | Primitive::I16 => 2,
        Primitive::U32 | Primitive::I32 | Primitive::F32 | Primitive::Char => 4,
        Primitive::U64 | Primitive::I64 | Primitive::F64 => 8,
        Primitive::U128 | Primitive::I128 => 16,
        Primitive::Usize | Primitive::Isize => return None,
    })
}

/// Each node's archived size and alignment under `format`, by [`NodeId`] index; `None` for
/// unsized nodes and sizes past `u64`.
pub(crate) fn sizes(format: Format, description: &Description) -> Vec<Option<Size>> {
    // Nodes come children first, so each node's parts are sized before it.
    let mut sizes: Vec<Option<Size>> = Vec::with_capacity(description.nodes().len());
    for node in description.nodes() {
        let size = archived_size(format, description, &sizes, node);
        sizes.push(size);
    }
    sizes
}

/// Where one version of an archived struct ends: the archived root of the version, and the
/// offset at which the fields added after it start in the struct's latest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VersionRoot {
    /// Size and alignment of the root of an archive of that version: the struct of the fields
    /// it has.
    pub(crate) root: Size,
    /// Offset of the first field added after it in the full struct; the full struct's size if
    /// none was.
    pub(crate) added_at: u64,
}

/// The [`VersionRoot`] of version `version` of the struct whose fields are `fields`, sized in
/// `sizes`. Fields are in the order of their versions (the derive refuses another), so the
/// fields of a version are a prefix. `None` if a field has no archived size.
pub(crate) fn version_root(
    sizes: &[Option<Size>],
    fields: &[NodeField],
    version: u16,
) -> Option<VersionRoot> {
    let size = |id: NodeId| sizes.get(id.index()).copied().flatten();
    let kept = fields.iter().take_while(|field| field.since <= version).count();
    let mut layout = ReprC::new();
    for field in &fields[..kept] {
        layout.place(size(field.node)?)?;
    }
    let root = layout.finish()?;
    let added_at = match fields.get(kept) {
        Some(first) => layout.place(size(first.node)?)?,
        None => root.size,
    };
    Some(VersionRoot { root, added_at })
}

/// Whether bytes of zeros are an archived value of `node`, so that a field of its type can be
/// added to a message in a later version: an older archive is completed with zeros for it.
/// Numbers, `bool`, `char` and `()` (zero, `false`, `'\0'`), `Option` (`None`), and arrays,
/// tuples and structs of them; not strings (zero bytes are eight inline NULs), vectors, boxes,
/// maps, sets or enums.
///
/// One pass over the node table, children first (a node refers to earlier ones only): a
/// description shares nodes, and a walk that did not share the answers could take
/// exponential time on a hostile one.
pub(crate) fn zeros_are_valid(description: &Description, node: NodeId) -> bool {
    let mut valid: Vec<bool> = Vec::with_capacity(node.index() + 1);
    for current in description.nodes().iter().take(node.index() + 1) {
        let of = |id: &NodeId| valid.get(id.index()).copied().unwrap_or(false);
        let answer = match current {
            Node::Primitive(_) | Node::Option(_) => true,
            Node::Array { element, .. } => of(element),
            Node::Tuple(elements) => elements.iter().all(of),
            Node::Struct { fields, .. } => fields.iter().all(|field| of(&field.node)),
            _ => false,
        };
        valid.push(answer);
    }
    valid.get(node.index()).copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A description whose node `k` is the tuple `(k - 1, k - 1)`, 60 deep, the type of tag 1:
    /// a walk that does not share the answers of shared nodes visits 2^60 of them.
    fn shared_tuples() -> Description {
        let mut bytes = 1u16.to_le_bytes().to_vec();
        bytes.extend_from_slice(&61u32.to_le_bytes());
        bytes.extend([1, 6]); // node 0: a `u64`
        for node in 1..=60u32 {
            bytes.push(9);
            bytes.extend_from_slice(&2u32.to_le_bytes());
            bytes.extend_from_slice(&(node - 1).to_le_bytes());
            bytes.extend_from_slice(&(node - 1).to_le_bytes());
        }
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&60u32.to_le_bytes());
        Description::decode(&bytes).expect("a well-formed description")
    }

    #[test]
    fn zero_values_of_a_description_of_shared_nodes_take_one_pass() {
        let description = shared_tuples();
        let root = description.root(1).expect("tag 1");
        let started = std::time::Instant::now();
        assert!(zeros_are_valid(&description, root));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }
}

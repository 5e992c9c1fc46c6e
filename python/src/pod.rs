//! Pod message types as fixed layouts: what a NumPy structured array of their records is, and
//! how long a record of each version of its type is.
//!
//! A pod record is the bytes of a `#[repr(C)]` struct, little-endian, laid out as its
//! description's layout says: integers, floats, arrays of them and nested structs. Types that
//! NumPy cannot hold without silently changing a value (`bool` and `char`, which not every
//! byte pattern is; 128-bit integers, which it has no type for) are refused by name.

use bcast::typed::CodecKind;
use bcast::typed::decoder::Decoder;
use bcast::typed::description::{Description, Node, NodeField, NodeId, NodeLayout};
use bcast::typed::shape::Primitive;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::error::SchemaError;

/// A pod message type: its tag, version and record layout.
#[derive(Debug, Clone)]
pub(crate) struct PodType {
    pub(crate) name: String,
    pub(crate) tag: u32,
    /// The version the description has (0: unversioned).
    pub(crate) version: u16,
    /// The record, a struct.
    pub(crate) root: PodNode,
    /// The record's size.
    pub(crate) size: usize,
    /// Per field, the version that added it (a versioned type's fields come in the order of
    /// their versions), and the offset where it starts.
    since: Vec<(u16, usize)>,
}

/// A part of a pod record.
#[derive(Debug, Clone)]
pub(crate) enum PodNode {
    /// A little-endian integer of `width` bytes.
    Int { signed: bool, width: usize },
    /// A float of `width` (4 or 8) bytes.
    Float { width: usize },
    /// `len` elements, `stride` bytes apart.
    Array { len: usize, stride: usize, element: Box<PodNode> },
    /// A struct: its fields at their offsets, `size` bytes in all.
    Struct { fields: Vec<(String, usize, PodNode)>, size: usize },
}

/// How long a record of one version is, against the description's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordLen {
    /// Exactly this long (the description's version, or an earlier one: the fields added
    /// since are missing and read as zeros).
    Exactly(usize),
    /// At least the description's size: a later version, read by the fields it shares.
    AtLeast(usize),
}

impl PodType {
    /// The pod type named `name` in `decoder`'s channel.
    ///
    /// # Errors
    ///
    /// `SchemaError` if the channel has no such type, it is not pod, or a field has a type
    /// NumPy cannot hold.
    pub(crate) fn find(decoder: &Decoder, name: &str) -> PyResult<Self> {
        let registry = decoder.registry();
        let Some(entry) = registry.types.iter().find(|entry| &*entry.name == name) else {
            let names: Vec<&str> = registry.types.iter().map(|entry| &*entry.name).collect();
            return Err(SchemaError::new_err(format!(
                "the channel has no message type `{name}` (it has: {})",
                names.join(", ")
            )));
        };
        if entry.codec != CodecKind::Pod {
            return Err(SchemaError::new_err(format!(
                "`{name}` is an rkyv type: only pod types have fixed-size records"
            )));
        }
        let description = decoder.description();
        let root = description
            .root(entry.tag)
            .ok_or_else(|| SchemaError::new_err(format!("`{name}` is not described")))?;
        let Node::Struct { fields, layout: Some(layout), version, .. } = description.node(root)
        else {
            return Err(SchemaError::new_err(format!("`{name}` has no fixed layout")));
        };
        let node = struct_node(description, name, fields, layout)?;
        let size = to_usize(layout.size, name)?;
        let offsets = layout.slots.iter().map(|slot| to_usize(slot.offset, name));
        let since = fields.iter().map(|field| field.since).zip(offsets);
        let since = since.map(|(since, offset)| offset.map(|offset| (since, offset)));
        Ok(Self {
            name: name.to_owned(),
            tag: entry.tag,
            version: *version,
            root: node,
            size,
            since: since.collect::<PyResult<_>>()?,
        })
    }

    /// How long a record written by `version` of the type must be.
    pub(crate) fn record_len(&self, version: u16) -> RecordLen {
        let described = self.version;
        if version == 0 || described == 0 || version == described {
            return RecordLen::Exactly(self.size);
        }
        if version > described {
            return RecordLen::AtLeast(self.size);
        }
        // The first field the record lacks starts where it ends.
        let missing = self.since.iter().find(|(since, _)| *since > version);
        RecordLen::Exactly(missing.map_or(self.size, |&(_, offset)| offset))
    }

    /// How many bytes of a payload of `len` bytes, a record of version `version`, make a record
    /// of this type; `Err` says why none do.
    pub(crate) fn record_bytes(&self, version: u16, len: usize) -> Result<usize, String> {
        match self.record_len(version) {
            RecordLen::Exactly(want) if len == want => Ok(want),
            RecordLen::AtLeast(want) if len >= want => Ok(want),
            RecordLen::Exactly(want) | RecordLen::AtLeast(want) => Err(format!(
                "a pod record of {want} bytes (version {version}) in a payload of {len}"
            )),
        }
    }

    /// The length of the shortest record of any version of the type (the first version's).
    pub(crate) fn shortest(&self) -> usize {
        match self.record_len(1) {
            RecordLen::Exactly(len) | RecordLen::AtLeast(len) => len.min(self.size),
        }
    }

    /// The NumPy dtype of the type's records.
    pub(crate) fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let numpy = py.import("numpy")?;
        // NumPy refuses what no C struct is (overlapping fields, say): the schema's fault.
        numpy.call_method1("dtype", (format(py, &self.root)?,)).map_err(|error| {
            SchemaError::new_err(format!("`{}` has a layout NumPy refuses: {error}", self.name))
        })
    }
}

/// The NumPy format of `node`: a type string, a `(format, shape)` tuple or a dict of fields.
fn format<'py>(py: Python<'py>, node: &PodNode) -> PyResult<Bound<'py, PyAny>> {
    Ok(match node {
        PodNode::Int { signed, width } => {
            format!("<{}{width}", if *signed { 'i' } else { 'u' }).into_pyobject(py)?.into_any()
        }
        PodNode::Float { width } => format!("<f{width}").into_pyobject(py)?.into_any(),
        PodNode::Array { len, element, .. } => {
            PyTuple::new(py, [format(py, element)?, PyTuple::new(py, [*len])?.into_any()])?
                .into_any()
        }
        PodNode::Struct { fields, size } => {
            let spec = PyDict::new(py);
            let names = fields.iter().map(|(name, _, _)| name.as_str());
            spec.set_item("names", PyList::new(py, names)?)?;
            let formats = fields.iter().map(|(_, _, node)| format(py, node));
            spec.set_item("formats", PyList::new(py, formats.collect::<PyResult<Vec<_>>>()?)?)?;
            let offsets = fields.iter().map(|(_, offset, _)| *offset);
            spec.set_item("offsets", PyList::new(py, offsets)?)?;
            spec.set_item("itemsize", *size)?;
            spec.into_any()
        }
    })
}

/// The node of a struct with a layout; `path` names it in errors.
fn struct_node(
    description: &Description,
    path: &str,
    fields: &[NodeField],
    layout: &NodeLayout,
) -> PyResult<PodNode> {
    if fields.len() != layout.slots.len() {
        return Err(unsupported(path, "has a layout of another number of fields"));
    }
    // Description::decode checked these; records are copied and encoded by them, so again.
    if layout.slots.iter().any(|slot| slot.offset.saturating_add(slot.size) > layout.size) {
        return Err(unsupported(path, "has a field outside its struct"));
    }
    let mut names: Vec<&str> = fields.iter().map(|field| field.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(unsupported(path, "has two fields of one name"));
    }
    let mut nodes = Vec::with_capacity(fields.len());
    for (field, slot) in fields.iter().zip(&layout.slots) {
        let field_path = format!("{path}.{}", field.name);
        let size = to_usize(slot.size, &field_path)?;
        let node = node(description, &field_path, field.node, size)?;
        nodes.push((field.name.clone(), to_usize(slot.offset, &field_path)?, node));
    }
    Ok(PodNode::Struct { fields: nodes, size: to_usize(layout.size, path)? })
}

/// The node of `id`, a part `size` bytes long at `path`.
fn node(description: &Description, path: &str, id: NodeId, size: usize) -> PyResult<PodNode> {
    match description.node(id) {
        &Node::Primitive(primitive) => primitive_node(path, primitive, size),
        &Node::Array { len, element } => {
            let len = to_usize(len, path)?;
            let stride = match size.checked_div(len) {
                Some(stride) if stride * len == size => stride,
                _ => return Err(unsupported(path, "is an array whose size is not its elements'")),
            };
            let element = Box::new(node(description, path, element, stride)?);
            Ok(PodNode::Array { len, stride, element })
        }
        Node::Struct { fields, layout: Some(layout), .. } => {
            if to_usize(layout.size, path)? != size {
                return Err(unsupported(path, "has another size in the record's layout"));
            }
            struct_node(description, path, fields, layout)
        }
        _ => Err(unsupported(path, "has no fixed layout")),
    }
}

fn primitive_node(path: &str, primitive: Primitive, size: usize) -> PyResult<PodNode> {
    let (signed, width) = match primitive {
        Primitive::F32 | Primitive::F64 => {
            let width = if primitive == Primitive::F32 { 4 } else { 8 };
            if width != size {
                return Err(unsupported(path, "has another size in the record's layout"));
            }
            return Ok(PodNode::Float { width });
        }
        Primitive::U8 => (false, 1),
        Primitive::U16 => (false, 2),
        Primitive::U32 => (false, 4),
        Primitive::U64 => (false, 8),
        Primitive::I8 => (true, 1),
        Primitive::I16 => (true, 2),
        Primitive::I32 => (true, 4),
        Primitive::I64 => (true, 8),
        Primitive::Usize if matches!(size, 2 | 4 | 8) => (false, size),
        Primitive::Isize if matches!(size, 2 | 4 | 8) => (true, size),
        Primitive::Bool | Primitive::Char => {
            return Err(unsupported(path, "is a bool or char, which not every byte pattern is"));
        }
        Primitive::U128 | Primitive::I128 => {
            return Err(unsupported(path, "is a 128-bit integer, which NumPy has no type for"));
        }
        _ => return Err(unsupported(path, "has no NumPy type")),
    };
    if width != size {
        return Err(unsupported(path, "has another size in the record's layout"));
    }
    Ok(PodNode::Int { signed, width })
}

fn unsupported(path: &str, what: &str) -> PyErr {
    SchemaError::new_err(format!("`{path}` {what}"))
}

fn to_usize(n: u64, path: &str) -> PyResult<usize> {
    usize::try_from(n).map_err(|_| unsupported(path, "is larger than memory"))
}

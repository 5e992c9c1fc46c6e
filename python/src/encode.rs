//! Pod records from Python values: how a Python publisher feeds a typed Rust subscriber.

use std::fmt;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PySequence, PyString, PyTuple,
};

use crate::error::SchemaError;
use crate::pod::{PodNode, PodType};

/// The record of `pod` whose fields `fields` gives: a mapping from each field's name to its
/// value (an integer, a float, a sequence or array for an array, a mapping for a nested
/// struct).
///
/// Integers are Python `int`s or anything with `__index__` (NumPy's integer scalars); floats
/// are real numbers (`float`, `int`, NumPy's float and integer scalars), rounded to the nearest
/// value of the field's type; a `bool` (Python's or NumPy's) is neither, as a Rust field is
/// not. Arrays are sequences or NumPy arrays, not sets (whose order is their hashes').
///
/// # Errors
///
/// `SchemaError`, naming the field, for a missing or unknown field, a value of the wrong kind,
/// an integer out of its field's range, or a finite float too large for an `f32` field.
pub(crate) fn record(pod: &PodType, fields: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let mut bytes = vec![0; pod.size];
    write(&pod.root, &Path::Type(&pod.name), fields, &mut bytes)?;
    Ok(bytes)
}

/// Where a part of a record is, as errors name it (`Tick.levels[2]`): written out only for an
/// error, so a record is encoded without an allocation per field.
#[derive(Debug, Clone, Copy)]
enum Path<'a> {
    /// The message type.
    Type(&'a str),
    /// A struct's field.
    Field(&'a Path<'a>, &'a str),
    /// An array's element.
    Element(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Type(name) => f.write_str(name),
            Self::Field(outer, name) => write!(f, "{outer}.{name}"),
            Self::Element(outer, index) => write!(f, "{outer}[{index}]"),
        }
    }
}

/// Writes `value`, the part `node` at `path`, into `out` (exactly the part's bytes).
fn write(
    node: &PodNode,
    path: &Path<'_>,
    value: &Bound<'_, PyAny>,
    out: &mut [u8],
) -> PyResult<()> {
    match node {
        PodNode::Int { signed, width } => {
            let int = integer(value)?.ok_or_else(|| kind(path, "an int", value))?;
            let bits = u32::try_from(width * 8).unwrap_or(u32::MAX);
            let (min, max) = if *signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            // An int past i128 is out of every field's range too.
            let n = int.extract::<i128>().ok().filter(|n| (min..=max).contains(n));
            let Some(n) = n else {
                let kind = if *signed { 'i' } else { 'u' };
                return Err(SchemaError::new_err(format!(
                    "`{path}` is a {kind}{bits}: {} is out of its range",
                    short_repr(&int)
                )));
            };
            out.copy_from_slice(&n.to_le_bytes()[..*width]);
        }
        PodNode::Float { width } => {
            let x = match real(value)? {
                AsFloat::Value(x) => x,
                AsFloat::TooLarge => return Err(out_of_range(path, width * 8, value)),
                AsFloat::Refused => return Err(kind(path, "a float", value)),
            };
            if *width == 4 {
                // An f32 field takes the nearest f32, as Rust's `as` does, but a finite value
                // does not become an infinity.
                #[allow(clippy::cast_possible_truncation)]
                let narrow = x as f32;
                if narrow.is_infinite() && x.is_finite() {
                    return Err(out_of_range(path, 32, value));
                }
                out.copy_from_slice(&narrow.to_le_bytes());
            } else {
                out.copy_from_slice(&x.to_le_bytes());
            }
        }
        PodNode::Array { len, stride, element } => {
            let not_sequence = || kind(path, "a sequence", value);
            // A sequence has an order to write (a set's is its hashes'); an array is one too.
            let ordered = value.is_instance_of::<PySequence>()
                || value.hasattr(pyo3::intern!(value.py(), "__array__"))?;
            if !ordered || value.is_instance_of::<PyString>() {
                return Err(not_sequence());
            }
            let found = value.len().map_err(|_| not_sequence())?;
            if found != *len {
                return Err(SchemaError::new_err(format!(
                    "`{path}` holds {len} elements, not {found}"
                )));
            }
            let mut chunks = out.chunks_exact_mut((*stride).max(1)).take(*len);
            // A list or a tuple by index; anything else by its iterator.
            if let Ok(list) = value.cast::<PyList>() {
                for (index, chunk) in chunks.by_ref().enumerate() {
                    write(element, &Path::Element(path, index), &list.get_item(index)?, chunk)?;
                }
            } else if let Ok(tuple) = value.cast::<PyTuple>() {
                for (index, chunk) in chunks.by_ref().enumerate() {
                    write(element, &Path::Element(path, index), &tuple.get_item(index)?, chunk)?;
                }
            } else {
                let items = value.try_iter().map_err(|_| not_sequence())?;
                for (index, item) in items.enumerate() {
                    // An iterator that yields more than its length said is cut at the length.
                    let Some(chunk) = chunks.next() else { break };
                    write(element, &Path::Element(path, index), &item?, chunk)?;
                }
            }
            if chunks.next().is_some() {
                return Err(SchemaError::new_err(format!(
                    "`{path}` holds {len} elements: its iterator gave fewer"
                )));
            }
        }
        PodNode::Struct { fields, .. } => {
            let mapping = value.cast::<PyMapping>().map_err(|_| kind(path, "a mapping", value))?;
            // A dict, the usual case, is read directly; another mapping through its methods.
            let dict = value.cast::<PyDict>().ok();
            let keys = match dict {
                Some(dict) => dict.keys(),
                None => mapping.keys()?,
            };
            for key in keys {
                let known = key
                    .extract::<&str>()
                    .is_ok_and(|key| fields.iter().any(|(name, _, _)| name == key));
                if !known {
                    return Err(SchemaError::new_err(format!(
                        "`{path}` has no field {}",
                        key.repr()?
                    )));
                }
            }
            for (name, offset, field) in fields {
                let field_path = Path::Field(path, name);
                let value = match dict {
                    Some(dict) => dict.get_item(name)?,
                    None if mapping.contains(name)? => Some(mapping.get_item(name)?),
                    None => None,
                };
                let Some(value) = value else {
                    return Err(SchemaError::new_err(format!("`{field_path}` is missing")));
                };
                // Description::decode checked that every field lies inside its struct; a part
                // outside is refused all the same rather than trusted.
                let part = offset
                    .checked_add(size(field))
                    .and_then(|end| out.get_mut(*offset..end))
                    .ok_or_else(|| {
                        SchemaError::new_err(format!("`{field_path}` lies outside its struct"))
                    })?;
                write(field, &field_path, &value, part)?;
            }
        }
    }
    Ok(())
}

/// `value` as a Python `int`: itself, or what its `__index__` gives (NumPy's integer scalars
/// have one); `None` for a `bool` or a value without one.
///
/// # Errors
///
/// Whatever `__index__` raises but a `TypeError` (a `KeyboardInterrupt`, say).
fn integer<'py>(value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    static INDEX: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    if value.is_instance_of::<PyBool>() {
        return Ok(None);
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(Some(value.clone()));
    }
    let py = value.py();
    match INDEX.import(py, "operator", "index")?.call1((value,)) {
        Ok(int) => Ok(Some(int)),
        Err(error) if error.is_instance_of::<PyTypeError>(py) => Ok(None),
        Err(error) => Err(error),
    }
}

/// What a value for a float field is.
enum AsFloat {
    /// A real number, rounded to the nearest `f64`.
    Value(f64),
    /// An integer too large for an `f64`.
    TooLarge,
    /// Not a real number: a `bool` (NumPy's too), a complex number, a string, ...
    Refused,
}

/// `value` as a real number: a `float`, an `int`, or another `numbers.Real` (NumPy's float and
/// integer scalars, a `Fraction`) by its `__float__`.
///
/// # Errors
///
/// Whatever `__float__` raises but a `TypeError` or an `OverflowError`.
fn real(value: &Bound<'_, PyAny>) -> PyResult<AsFloat> {
    static REAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = value.py();
    if value.is_instance_of::<PyBool>() {
        return Ok(AsFloat::Refused);
    }
    // NumPy registers its floats and integers as `numbers.Real`, not its bools or complexes.
    let exact = value.is_instance_of::<PyFloat>() || value.is_instance_of::<PyInt>();
    if !exact && !value.is_instance(REAL.import(py, "numbers", "Real")?)? {
        return Ok(AsFloat::Refused);
    }
    match value.extract::<f64>() {
        Ok(x) => Ok(AsFloat::Value(x)),
        Err(error) if error.is_instance_of::<PyOverflowError>(py) => Ok(AsFloat::TooLarge),
        Err(error) if error.is_instance_of::<PyTypeError>(py) => Ok(AsFloat::Refused),
        Err(error) => Err(error),
    }
}

fn out_of_range(path: &Path<'_>, bits: usize, value: &Bound<'_, PyAny>) -> PyErr {
    SchemaError::new_err(format!(
        "`{path}` is an f{bits}: {} is out of its range",
        short_repr(value)
    ))
}

/// `value`'s `repr`, its middle elided past 40 characters (an int may have thousands of digits).
fn short_repr(value: &Bound<'_, PyAny>) -> String {
    let repr = value.repr().map_or_else(|_| "the value".to_owned(), |repr| repr.to_string());
    let chars: Vec<char> = repr.chars().collect();
    if chars.len() <= 40 {
        return repr;
    }
    let head: String = chars[..20].iter().collect();
    let tail: String = chars[chars.len() - 12..].iter().collect();
    format!("{head}...{tail} ({} digits or characters)", chars.len())
}

/// The bytes `node` takes.
fn size(node: &PodNode) -> usize {
    match node {
        PodNode::Int { width, .. } | PodNode::Float { width } => *width,
        PodNode::Array { len, stride, .. } => len * stride,
        PodNode::Struct { size, .. } => *size,
    }
}

fn kind(path: &Path<'_>, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let found = value.get_type().name().map_or_else(|_| "?".to_owned(), |name| name.to_string());
    SchemaError::new_err(format!("`{path}` takes {expected}, not {found}"))
}

//! Pod records from Python values: how a Python publisher feeds a typed Rust subscriber.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyMapping, PyString};

use crate::error::SchemaError;
use crate::pod::{PodNode, PodType};

/// The record of `pod` whose fields `fields` gives: a mapping from each field's name to its
/// value (an integer, a float, a sequence or array for an array, a mapping for a nested
/// struct).
///
/// Integers are Python `int`s or anything with `__index__` (NumPy's integer scalars); floats
/// are anything with `__float__` (`float`, `int`, NumPy's scalars); a `bool` is neither, as a
/// Rust field is not.
///
/// # Errors
///
/// `SchemaError`, naming the field, for a missing or unknown field, a value of the wrong kind,
/// an integer out of its field's range, or a finite float too large for an `f32` field.
pub(crate) fn record(pod: &PodType, fields: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let mut bytes = vec![0; pod.size];
    write(&pod.root, &pod.name, fields, &mut bytes)?;
    Ok(bytes)
}

/// Writes `value`, the part `node` at `path`, into `out` (exactly the part's bytes).
fn write(node: &PodNode, path: &str, value: &Bound<'_, PyAny>, out: &mut [u8]) -> PyResult<()> {
    match node {
        PodNode::Int { signed, width } => {
            let int = integer(value).ok_or_else(|| kind(path, "an int", value))?;
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
            if value.is_instance_of::<PyBool>() {
                return Err(kind(path, "a float", value));
            }
            let x: f64 = match value.extract() {
                Ok(x) => x,
                Err(_) if value.is_instance_of::<PyInt>() => {
                    return Err(out_of_range(path, width * 8, value));
                }
                Err(_) => return Err(kind(path, "a float", value)),
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
            if value.is_instance_of::<PyString>() || value.is_instance_of::<PyMapping>() {
                return Err(not_sequence());
            }
            let found = value.len().map_err(|_| not_sequence())?;
            if found != *len {
                return Err(SchemaError::new_err(format!(
                    "`{path}` holds {len} elements, not {found}"
                )));
            }
            let items = value.try_iter().map_err(|_| not_sequence())?;
            let mut chunks = out.chunks_exact_mut((*stride).max(1)).take(*len);
            for (index, item) in items.enumerate() {
                // An iterator that yields more than its length said is cut at the length.
                let Some(chunk) = chunks.next() else { break };
                write(element, &format!("{path}[{index}]"), &item?, chunk)?;
            }
            if chunks.next().is_some() {
                return Err(SchemaError::new_err(format!(
                    "`{path}` holds {len} elements: its iterator gave fewer"
                )));
            }
        }
        PodNode::Struct { fields, .. } => {
            let mapping = value.cast::<PyMapping>().map_err(|_| kind(path, "a mapping", value))?;
            for key in mapping.keys()? {
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
                let field_path = format!("{path}.{name}");
                if !mapping.contains(name)? {
                    return Err(SchemaError::new_err(format!("`{field_path}` is missing")));
                }
                let value = mapping.get_item(name)?;
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
fn integer<'py>(value: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    if value.is_instance_of::<PyBool>() {
        return None;
    }
    if value.is_instance_of::<PyInt>() {
        return Some(value.clone());
    }
    let index = value.py().import("operator").and_then(|operator| operator.getattr("index"));
    index.and_then(|index| index.call1((value,))).ok()
}

fn out_of_range(path: &str, bits: usize, value: &Bound<'_, PyAny>) -> PyErr {
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

fn kind(path: &str, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let found = value.get_type().name().map_or_else(|_| "?".to_owned(), |name| name.to_string());
    SchemaError::new_err(format!("`{path}` takes {expected}, not {found}"))
}

//! Pod records from Python values: how a Python publisher feeds a typed Rust subscriber.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PySequence};

use crate::error::SchemaError;
use crate::pod::{PodNode, PodType};

/// The record of `pod` whose fields `fields` gives: a `dict` from each field's name to its
/// value (an `int`, a `float`, a sequence for an array, a `dict` for a nested struct).
///
/// # Errors
///
/// `SchemaError`, naming the field, for a missing or unknown field, a value of the wrong kind,
/// or an integer out of its field's range.
pub(crate) fn record(pod: &PodType, fields: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let mut bytes = vec![0; pod.size];
    write(&pod.root, &pod.name, fields, &mut bytes)?;
    Ok(bytes)
}

/// Writes `value`, the part `node` at `path`, into `out` (exactly the part's bytes).
fn write(node: &PodNode, path: &str, value: &Bound<'_, PyAny>, out: &mut [u8]) -> PyResult<()> {
    match node {
        PodNode::Int { signed, width } => {
            if !value.is_instance_of::<PyInt>() {
                return Err(kind(path, "an int", value));
            }
            let bits = u32::try_from(width * 8).unwrap_or(u32::MAX);
            let (min, max) = if *signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            // An int past i128 is out of every field's range too.
            let n = value.extract::<i128>().ok().filter(|n| (min..=max).contains(n));
            let Some(n) = n else {
                let kind = if *signed { 'i' } else { 'u' };
                return Err(SchemaError::new_err(format!(
                    "`{path}` is a {kind}{bits}: {} is out of its range",
                    value.repr()?
                )));
            };
            out.copy_from_slice(&n.to_le_bytes()[..*width]);
        }
        PodNode::Float { width } => {
            if !(value.is_instance_of::<PyFloat>() || value.is_instance_of::<PyInt>()) {
                return Err(kind(path, "a float", value));
            }
            let x: f64 = value.extract().map_err(|_| {
                SchemaError::new_err(format!("`{path}` is a float: out of its range"))
            })?;
            if *width == 4 {
                // An f32 field takes the nearest f32, as Rust's `as` does.
                #[allow(clippy::cast_possible_truncation)]
                out.copy_from_slice(&(x as f32).to_le_bytes());
            } else {
                out.copy_from_slice(&x.to_le_bytes());
            }
        }
        PodNode::Array { len, stride, element } => {
            let sequence =
                value.cast::<PySequence>().map_err(|_| kind(path, "a sequence", value))?;
            let found = sequence.len()?;
            if found != *len {
                return Err(SchemaError::new_err(format!(
                    "`{path}` holds {len} elements, not {found}"
                )));
            }
            for (index, chunk) in out.chunks_exact_mut((*stride).max(1)).take(*len).enumerate() {
                write(element, &format!("{path}[{index}]"), &sequence.get_item(index)?, chunk)?;
            }
        }
        PodNode::Struct { fields, .. } => {
            let dict = value.cast::<PyDict>().map_err(|_| kind(path, "a dict", value))?;
            for key in dict.keys() {
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
                let Some(value) = dict.get_item(name)? else {
                    return Err(SchemaError::new_err(format!("`{field_path}` is missing")));
                };
                // Description::decode checked that every field lies inside its struct; a part
                // outside is refused all the same rather than trusted.
                let part = out.get_mut(*offset..offset + size(field)).ok_or_else(|| {
                    SchemaError::new_err(format!("`{field_path}` lies outside its struct"))
                })?;
                write(field, &field_path, &value, part)?;
            }
        }
    }
    Ok(())
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

//! A decoded message as Python values: what `Message.fields` holds.
//!
//! The mapping follows serde's, so a message reads in Python as its JSON reads
//! (`bcast tail --json`): a struct with named fields is a `dict`, a tuple struct a `tuple` (a
//! newtype struct its one field), a unit struct `None`; an enum's unit variant is its name,
//! any other variant a one-entry `dict` from its name to its fields (a newtype's field alone,
//! as serde has it); an `Option` is its value or `None`; sequences are `list`s, tuples
//! `tuple`s, maps `dict`s and sets `frozenset`s (a map or set whose keys Python cannot hash,
//! such as structs, or takes for equal, is a `list` of pairs or of elements instead).

use bcast::typed::value::{Fields, Value};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFrozenSet, PyList, PyTuple};

/// `value` as a Python object.
pub(crate) fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Unit => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Char(c) => c.into_bound_py_any(py),
        Value::Unsigned(n) => n.into_bound_py_any(py),
        Value::Signed(n) => n.into_bound_py_any(py),
        Value::F32(x) => f64::from(*x).into_bound_py_any(py),
        Value::F64(x) => x.into_bound_py_any(py),
        Value::String(s) => s.into_bound_py_any(py),
        Value::List(items) => list(py, items).map(Bound::into_any),
        Value::Tuple(items) => tuple(py, items).map(Bound::into_any),
        Value::Option(None) => Ok(py.None().into_bound(py)),
        Value::Option(Some(inner)) => to_python(py, inner),
        Value::Map(entries) => map(py, entries),
        Value::Set(items) => set(py, items),
        Value::Struct { fields, .. } => fields_to_python(py, fields),
        Value::Enum { variant, fields: Fields::Unit, .. } => variant.into_bound_py_any(py),
        Value::Enum { variant, fields, .. } => {
            let dict = PyDict::new(py);
            dict.set_item(variant, fields_to_python(py, fields)?)?;
            Ok(dict.into_any())
        }
        // `Value` may grow variants; a build of this package that meets one says so.
        _ => Err(PyTypeError::new_err("a value of a kind this build does not convert")),
    }
}

/// A struct's or variant's fields: a `dict`, a `tuple` or `None`.
pub(crate) fn fields_to_python<'py>(
    py: Python<'py>,
    fields: &Fields,
) -> PyResult<Bound<'py, PyAny>> {
    match fields {
        Fields::Named(named) => {
            let dict = PyDict::new(py);
            for (name, value) in named {
                dict.set_item(name, to_python(py, value)?)?;
            }
            Ok(dict.into_any())
        }
        // A newtype (`Circle(f64)`) is its one field, as serde has it.
        Fields::Tuple(items) if items.len() == 1 => to_python(py, &items[0]),
        Fields::Tuple(items) => tuple(py, items).map(Bound::into_any),
        Fields::Unit => Ok(py.None().into_bound(py)),
    }
}

fn list<'py>(py: Python<'py>, items: &[Value]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for item in items {
        list.append(to_python(py, item)?)?;
    }
    Ok(list)
}

fn tuple<'py>(py: Python<'py>, items: &[Value]) -> PyResult<Bound<'py, PyTuple>> {
    let items = items.iter().map(|item| to_python(py, item)).collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// A map as a `dict`, or as a `list` of `(key, value)` tuples if a key cannot be hashed.
fn map<'py>(py: Python<'py>, entries: &[(Value, Value)]) -> PyResult<Bound<'py, PyAny>> {
    let mut pairs = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        pairs.push((to_python(py, key)?, to_python(py, value)?));
    }
    if pairs.iter().all(|(key, _)| key.hash().is_ok()) {
        let dict = PyDict::new(py);
        for (key, value) in &pairs {
            dict.set_item(key, value)?;
        }
        // Keys that Python takes for equal (a hostile map's repeated key, or `1` and `1.0`)
        // would merge silently: keep every entry instead.
        if dict.len() == pairs.len() {
            return Ok(dict.into_any());
        }
    }
    let pairs = pairs.into_iter().map(|pair| PyTuple::new(py, [pair.0, pair.1]));
    let list = PyList::empty(py);
    for pair in pairs {
        list.append(pair?)?;
    }
    Ok(list.into_any())
}

/// A set as a `frozenset`, or as a `list` if an element cannot be hashed.
fn set<'py>(py: Python<'py>, items: &[Value]) -> PyResult<Bound<'py, PyAny>> {
    let items = items.iter().map(|item| to_python(py, item)).collect::<PyResult<Vec<_>>>()?;
    if items.iter().all(|item| item.hash().is_ok()) {
        let set = PyFrozenSet::new(py, &items)?;
        if set.len() == items.len() {
            return Ok(set.into_any());
        }
    }
    PyList::new(py, items).map(Bound::into_any)
}

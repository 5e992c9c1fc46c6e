//! `Message`: one frame as Python sees it, its payload decoded if its channel is typed.

use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

/// One message of a channel or a recording.
///
/// `fields` holds the decoded message (a `dict` for a struct with named fields) on a typed
/// channel, `None` on a raw one; `payload` its bytes either way. `message["bid"]` reads a
/// field.
#[pyclass(frozen, module = "bcast", name = "Message")]
#[derive(Debug)]
pub(crate) struct Message {
    /// The name of the message's type, from the channel's registry; `None` on a raw channel.
    #[pyo3(get, name = "type")]
    type_name: Option<String>,
    /// The frame's tag: the type's tag on a typed channel.
    #[pyo3(get)]
    tag: u32,
    /// The sequence number: how many messages the channel carried before this one.
    #[pyo3(get)]
    seq: u64,
    /// The schema version of the type that wrote it (0: unversioned, or a raw writer's).
    #[pyo3(get)]
    version: u16,
    /// The frame's position in the ring (0 for a message a snapshot took from the channel's
    /// last-value table); `None` for a recording's frame.
    #[pyo3(get)]
    position: Option<u64>,
    /// When a recorder read it, in seconds since the Unix epoch; `None` for a channel's frame.
    #[pyo3(get)]
    time: Option<f64>,
    /// The decoded message; `None` on a raw channel.
    #[pyo3(get)]
    fields: Py<PyAny>,
    payload: Vec<u8>,
}

/// What a `Message` is made of, besides its fields.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) type_name: Option<String>,
    pub(crate) tag: u32,
    pub(crate) seq: u64,
    pub(crate) version: u16,
    pub(crate) position: Option<u64>,
    pub(crate) time: Option<f64>,
}

impl Message {
    pub(crate) fn new(meta: Meta, fields: Py<PyAny>, payload: Vec<u8>) -> Self {
        let Meta { type_name, tag, seq, version, position, time } = meta;
        Self { type_name, tag, seq, version, position, time, fields, payload }
    }
}

#[pymethods]
impl Message {
    /// The payload's bytes, as the writer sent them.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.payload)
    }

    /// The field `name` of the decoded message.
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fields = self.fields.bind(py);
        if fields.is_none() {
            return Err(PyTypeError::new_err("a raw channel's message has no fields"));
        }
        if let Ok(dict) = fields.cast::<PyDict>() {
            return dict.get_item(name)?.ok_or_else(|| PyKeyError::new_err(name.clone().unbind()));
        }
        if let Ok(tuple) = fields.cast::<PyTuple>() {
            return tuple.get_item(name.extract::<usize>()?);
        }
        fields.get_item(name)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let fields = self.fields.bind(py).repr()?;
        let name = self.type_name.as_deref().unwrap_or("-");
        Ok(format!("Message(type={name:?}, tag={}, seq={}, fields={fields})", self.tag, self.seq))
    }
}

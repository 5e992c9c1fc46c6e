//! A channel's schema, read from a channel file or from a recording directory.

use std::path::Path;

use bcast::RingBuffer;
use bcast::record::Recording;
use bcast::typed::Registry;
use bcast::typed::description::Description;
use pyo3::prelude::*;

use crate::error::{OpenError, raise};

/// A typed channel's registry and its (latest) schema description.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub(crate) registry: Registry,
    pub(crate) description: Description,
}

impl Schema {
    /// The schema of the channel file, or of the recording directory, at `path`.
    ///
    /// # Errors
    ///
    /// `OpenError` if nothing readable is there, or it holds no typed channel's schema.
    pub(crate) fn read(path: &Path) -> PyResult<Self> {
        let shown = path.display();
        let untyped = || OpenError::new_err(format!("{shown}: not a typed channel: no schema"));
        if path.is_dir() {
            let recording = Recording::open(path).map_err(|e| raise(OpenError::new_err, e))?;
            let schema = recording.schema().map_err(|e| raise(OpenError::new_err, e))?;
            let schema = schema.ok_or_else(untyped)?;
            let registry = schema.registry.ok_or_else(untyped)?;
            let description = schema.descriptions.into_iter().last().ok_or_else(untyped)?;
            return Ok(Self { registry, description });
        }
        let ring = RingBuffer::attach(path).map_err(|e| raise(OpenError::new_err, e))?;
        let in_file = |e: &dyn std::fmt::Display| OpenError::new_err(format!("{shown}: {e}"));
        let registry = Registry::read_from(&ring).map_err(|e| in_file(&e))?.ok_or_else(untyped)?;
        let description =
            Description::read_from(&ring).map_err(|e| in_file(&e))?.ok_or_else(untyped)?;
        Ok(Self { registry, description })
    }
}

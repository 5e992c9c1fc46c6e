//! The extension module `bcast._bcast`: bcast channels and recordings from Python, read
//! and decoded by the Rust library from their own schema descriptions.
//!
//! The Python package `bcast` (`bcast/__init__.py`) re-exports everything here; its stubs
//! (`bcast/_bcast.pyi`) document the Python API.

mod batch;
mod encode;
mod error;
mod message;
mod pod;
mod publisher;
mod schema;
mod subscriber;
mod value;

use std::path::PathBuf;

use pyo3::prelude::*;

use error::{OpenError, raise};
use publisher::Publisher;
use subscriber::Subscriber;

/// Opens the channel file (e.g. `/dev/shm/feed`) or the recording directory at `path`.
#[pyfunction]
#[pyo3(signature = (path, *, raw = false, start = None, timeout = None))]
fn attach(
    path: PathBuf,
    raw: bool,
    start: Option<&str>,
    timeout: Option<f64>,
) -> PyResult<Subscriber> {
    Subscriber::open(path, raw, start, timeout)
}

/// Creates a channel file; see `Publisher`.
#[pyfunction]
#[pyo3(signature = (path, capacity, *, schema_from = None))]
fn create(path: PathBuf, capacity: usize, schema_from: Option<PathBuf>) -> PyResult<Publisher> {
    Publisher::create(path, capacity, schema_from)
}

/// Removes the file at `path` and its writer's lock file, as `RingBuffer::remove` does: it
/// does not check that the file is a channel.
#[pyfunction]
fn remove(path: PathBuf) -> PyResult<()> {
    bcast::RingBuffer::remove(&path).map_err(|e| raise(OpenError::new_err, e))
}

#[pymodule]
fn _bcast(module: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(module)?;
    module.add_class::<Subscriber>()?;
    module.add_class::<Publisher>()?;
    module.add_class::<message::Message>()?;
    module.add_function(wrap_pyfunction!(attach, module)?)?;
    module.add_function(wrap_pyfunction!(create, module)?)?;
    module.add_function(wrap_pyfunction!(remove, module)?)?;
    Ok(())
}

//! The package's exceptions, and the library's errors turned into them with the same messages.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{PyErr, create_exception};

create_exception!(bcast, BcastError, PyException, "The base of every error this package raises.");
create_exception!(
    bcast,
    OpenError,
    BcastError,
    "A channel or recording cannot be opened or created: missing, not a channel, corrupt \
     header, permissions, another writer, ..."
);
create_exception!(
    bcast,
    Overrun,
    BcastError,
    "The writer lapped this subscriber: some of the messages it had not read were \
     overwritten. `lost` says how many were published after the last one it received: \
     `reset()` skips them all, \
     `reset_to_oldest()` recovers those the ring still holds; either way `stats()[\"lost\"]` \
     then counts the ones it never receives."
);
create_exception!(
    bcast,
    DecodeError,
    BcastError,
    "A frame does not decode as its channel's description says (a buggy or hostile writer): \
     the subscriber has moved past it. `tag` and `seq` say which frame."
);
create_exception!(
    bcast,
    CorruptError,
    BcastError,
    "The channel or recording holds bytes no writer stored: a corrupt frame or segment."
);
create_exception!(
    bcast,
    SchemaError,
    BcastError,
    "What was asked does not fit the channel's schema: an unknown type or field, a value out \
     of its field's range, a type NumPy cannot hold."
);
create_exception!(
    bcast,
    PublishError,
    BcastError,
    "A message cannot be published: larger than the channel's MTU, sequence numbers behind, ..."
);

/// `error` as an exception of `kind`, carrying its message.
pub(crate) fn raise<E: std::fmt::Display>(kind: fn(String) -> PyErr, error: E) -> PyErr {
    kind(error.to_string())
}

/// A ring error from a read: an overrun, a corrupt frame, or (never from a well-sized buffer)
/// anything else.
pub(crate) fn read_error(py: Python<'_>, error: bcast::Error, lost: u64) -> PyErr {
    match error {
        bcast::Error::Overrun(lapped) => {
            let text = format!("{error}: {lost} messages unread; reset() to go on");
            let exception = Overrun::new_err(text);
            let value = exception.value(py);
            // Setting attributes on a fresh exception instance cannot fail but for memory.
            let _ = value.setattr("lost", lost);
            let _ = value.setattr("position", lapped.position);
            let _ = value.setattr("claimed", lapped.claimed);
            exception
        }
        bcast::Error::CorruptFrame { .. } => CorruptError::new_err(error.to_string()),
        other => BcastError::new_err(other.to_string()),
    }
}

/// The exception for a frame that does not decode.
pub(crate) fn decode_error(py: Python<'_>, what: &str, tag: u32, seq: u64) -> PyErr {
    let exception = DecodeError::new_err(format!("frame {seq} (tag {tag}): {what}"));
    let value = exception.value(py);
    let _ = value.setattr("tag", tag);
    let _ = value.setattr("seq", seq);
    exception
}

/// Adds the exceptions to the module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("BcastError", py.get_type::<BcastError>())?;
    module.add("OpenError", py.get_type::<OpenError>())?;
    module.add("Overrun", py.get_type::<Overrun>())?;
    module.add("DecodeError", py.get_type::<DecodeError>())?;
    module.add("CorruptError", py.get_type::<CorruptError>())?;
    module.add("SchemaError", py.get_type::<SchemaError>())?;
    module.add("PublishError", py.get_type::<PublishError>())?;
    Ok(())
}

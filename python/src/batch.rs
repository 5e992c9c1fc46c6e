//! `Records`: the bytes of a NumPy batch of pod records, filled one record at a time.

use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyByteArray};

/// The records of a batch so far, in the `bytearray` its NumPy array is made on: room for some,
/// doubled as more come, up to the batch's capacity.
pub(crate) struct Records<'py> {
    array: Bound<'py, PyByteArray>,
    /// A record's bytes.
    size: usize,
    /// How many records `array` has room for.
    room: usize,
    /// At most how many records the batch holds.
    capacity: usize,
    /// How many records it holds.
    count: usize,
}

impl<'py> Records<'py> {
    /// A batch of records of `size` bytes, at most `capacity`, with room for `room` at first.
    pub(crate) fn new(
        py: Python<'py>,
        size: usize,
        room: usize,
        capacity: usize,
    ) -> PyResult<Self> {
        let room = room.min(capacity);
        let array = PyByteArray::new_with(py, room * size, |_| Ok(()))?;
        Ok(Self { array, size, room, capacity, count: 0 })
    }

    /// How many records the batch holds.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// Whether the batch holds as many records as it may.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.count >= self.capacity
    }

    /// Appends a record whose first bytes are `known`: all of them, or an earlier version's,
    /// whose missing fields are zeroed. For a batch that is not full.
    #[inline]
    pub(crate) fn push(&mut self, known: &[u8]) -> PyResult<()> {
        if self.count == self.room {
            self.room = (self.room * 2).max(1).min(self.capacity);
            self.array.resize(self.room * self.size)?;
        }
        let slot = self.count * self.size..(self.count + 1) * self.size;
        // SAFETY: no Python code can reach `array` before `into_numpy` hands it to NumPy: only
        // this struct refers to it, and a bytearray is not tracked by the garbage collector. So
        // nothing resizes or reads its buffer while `record` lives (to the end of this function);
        // its length is `room * size`, past `slot` since `count < room`.
        let record = unsafe { &mut self.array.as_bytes_mut()[slot] };
        let (head, missing) = record.split_at_mut(known.len().min(self.size));
        head.copy_from_slice(&known[..head.len()]);
        missing.fill(0);
        self.count += 1;
        Ok(())
    }

    /// The records as a NumPy array of `dtype`.
    pub(crate) fn into_numpy(self, dtype: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.array.py();
        self.array.resize(self.count * self.size)?;
        let numpy = py.import("numpy")?;
        let count = [("count", self.count)].into_py_dict(py)?;
        numpy.call_method("frombuffer", (self.array, dtype), Some(&count))
    }
}

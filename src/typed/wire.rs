//! Little-endian wire formats of the metadata the typed layer stores in a channel header (the
//! registry, schema descriptions): a bounds-checked reading cursor and the writers' helpers.
//! The bytes come from shared memory, so every read is checked and none can panic.

/// Where bytes stopped fitting their format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// Offset of the first byte that does not fit.
    pub(crate) at: usize,
    /// Length of the bytes.
    pub(crate) len: usize,
}

/// A cursor over untrusted bytes; every read is bounds-checked.
pub(crate) struct Input<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// Offset of the next byte.
    pub(crate) fn at(&self) -> usize {
        self.at
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// The error for the byte at `at`.
    pub(crate) fn malformed(&self, at: usize) -> Malformed {
        Malformed { at, len: self.bytes.len() }
    }

    /// `Ok` if every byte was read.
    pub(crate) fn end(&self) -> Result<(), Malformed> {
        if self.at == self.bytes.len() { Ok(()) } else { Err(self.malformed(self.at)) }
    }

    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let mut out = [0; N];
        out.copy_from_slice(self.take_slice(N)?);
        Ok(out)
    }

    pub(crate) fn take_slice(&mut self, len: usize) -> Result<&'a [u8], Malformed> {
        let end = self.at.checked_add(len).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| self.malformed(self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Malformed> {
        self.take().map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Malformed> {
        self.take().map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Malformed> {
        self.take().map(u64::from_le_bytes)
    }

    pub(crate) fn i128(&mut self) -> Result<i128, Malformed> {
        self.take().map(i128::from_le_bytes)
    }

    /// A string: its length as a `u16`, then that many bytes of UTF-8.
    pub(crate) fn str(&mut self) -> Result<&'a str, Malformed> {
        let len = self.u16()?;
        let at = self.at;
        let bytes = self.take_slice(usize::from(len))?;
        core::str::from_utf8(bytes).map_err(|_| self.malformed(at))
    }
}

/// Writes a string as [`Input::str`] reads it.
///
/// # Panics
///
/// If `value` is longer than 65 535 bytes.
pub(crate) fn put_str(out: &mut Vec<u8>, value: &str) {
    let len = u16::try_from(value.len()).expect("names are at most 65535 bytes");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(value.as_bytes());
}

/// Writes a name read from the wire (untrusted: it may hold terminal escape sequences) with
/// its control characters escaped (`\u{1b}`).
pub(crate) fn write_name(out: &mut impl core::fmt::Write, name: &str) -> core::fmt::Result {
    for c in name.chars() {
        if c.is_control() {
            write!(out, "{}", c.escape_default())?;
        } else {
            out.write_char(c)?;
        }
    }
    Ok(())
}

//! [`Key`]: the types a message's key field may have, and the bytes that identify a key.

/// A type a message's key field may have (`#[bcast(key)]`, see [`LastValues`]), and, for rkyv
/// messages, the archived form of one.
///
/// A key's bytes name it in the channel's last-value table: two messages have the same key
/// when their key fields give the same bytes. Integers give their little-endian bytes (an
/// archived integer gives the same as the integer), byte arrays and strings their bytes.
///
/// [`LastValues`]: crate::typed::LastValues
///
/// # Examples
///
/// ```
/// use bcast::typed::Key;
///
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// 42u64.put_key(&mut a);
/// String::from("EURUSD").put_key(&mut b);
/// assert_eq!(a, 42u64.to_le_bytes());
/// assert_eq!(b, b"EURUSD");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a message's key field",
    label = "not a key type",
    note = "a key field is an integer, a byte array `[u8; N]` or a `String`"
)]
pub trait Key {
    /// Appends the key's bytes to `out`.
    fn put_key(&self, out: &mut Vec<u8>);
}

macro_rules! integer_keys {
    ($($native:ty => $archived:ty),* $(,)?) => {$(
        impl Key for $native {
            #[inline]
            fn put_key(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }

        impl Key for $archived {
            #[inline]
            fn put_key(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_native().to_le_bytes());
            }
        }
    )*};
}

integer_keys! {
    u16 => rkyv::primitive::ArchivedU16,
    u32 => rkyv::primitive::ArchivedU32,
    u64 => rkyv::primitive::ArchivedU64,
    u128 => rkyv::primitive::ArchivedU128,
    i16 => rkyv::primitive::ArchivedI16,
    i32 => rkyv::primitive::ArchivedI32,
    i64 => rkyv::primitive::ArchivedI64,
    i128 => rkyv::primitive::ArchivedI128,
}

// One byte has no byte order: rkyv archives these as themselves.
impl Key for u8 {
    #[inline]
    fn put_key(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Key for i8 {
    #[inline]
    fn put_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

// rkyv archives a byte array as itself.
impl<const N: usize> Key for [u8; N] {
    #[inline]
    fn put_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl Key for String {
    #[inline]
    fn put_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl Key for rkyv::string::ArchivedString {
    #[inline]
    fn put_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_str().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::Key;

    fn key(value: &impl Key) -> Vec<u8> {
        let mut out = Vec::new();
        value.put_key(&mut out);
        out
    }

    #[test]
    fn an_archived_key_gives_the_bytes_of_the_value_it_archives() {
        let archived = rkyv::to_bytes::<rkyv::rancor::Error>(&0x0102_0304_0506_0708u64).unwrap();
        let view = rkyv::access::<rkyv::primitive::ArchivedU64, rkyv::rancor::Error>(&archived);
        assert_eq!(key(view.unwrap()), key(&0x0102_0304_0506_0708u64));
        let archived = rkyv::to_bytes::<rkyv::rancor::Error>(&String::from("EURUSD")).unwrap();
        let view = rkyv::access::<rkyv::string::ArchivedString, rkyv::rancor::Error>(&archived);
        assert_eq!(key(view.unwrap()), b"EURUSD");
        assert_eq!(key(&-2i32), (-2i32).to_le_bytes());
        assert_eq!(key(&[7u8; 3]), [7, 7, 7]);
    }
}

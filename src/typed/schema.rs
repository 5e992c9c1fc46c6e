//! Schema fingerprints: the [`Schema`] trait, the `const` hasher that builds fingerprints, and the
//! fingerprints of the standard types a message may contain.
//!
//! A fingerprint is a 64-bit FNV-1a hash of a type's *shape*: its kind, its name, and for each
//! field in order the field's name and the field type's own fingerprint. It is computed at
//! compile time, so it costs nothing at run time, and it follows types through aliases: a
//! `type Price = f64;` field has the fingerprint of `f64`.

/// A type whose wire shape has a stable fingerprint.
///
/// A fingerprint is a 64-bit FNV-1a hash of a type's *shape*: its kind, its name, and for each
/// field in order the field's name and the field type's own fingerprint. It is computed at
/// compile time, so it costs nothing at run time, and it follows types through aliases: a
/// `type Price = f64;` field has the fingerprint of `f64`.
///
/// Implemented by this crate for the primitives, `String`, `str`, `Vec<T>`, `Box<T>`,
/// `Option<T>`, arrays, slices and tuples of up to four elements, and by
/// [`#[derive(BcastMessage)]`](crate::BcastMessage) / [`#[derive(BcastSchema)]`](crate::BcastSchema)
/// for your structs and enums. Two types with the same fingerprint are assumed to have the same
/// encoding; a field added, removed, renamed, reordered or retyped changes it.
///
/// Implement it by hand only for a type the derives cannot reach, with [`SchemaHasher`]:
///
/// ```
/// use bcast::typed::{Schema, SchemaHasher};
///
/// struct Price(u64); // encoded as its one field
///
/// impl Schema for Price {
///     const NAME: &'static str = "Price";
///     const FINGERPRINT: u64 =
///         SchemaHasher::new("struct", "Price").field("0", u64::FINGERPRINT).finish();
/// }
/// assert_ne!(Price::FINGERPRINT, u64::FINGERPRINT);
/// # let _ = Price(1).0;
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no bcast schema fingerprint",
    label = "no `Schema` for this type",
    note = "derive `BcastSchema` on it (or use `#[bcast::schema]`), or implement `Schema` by hand with `SchemaHasher`"
)]
pub trait Schema {
    /// The type's name as it appears in a channel's registry, without its module path.
    const NAME: &'static str;
    /// Hash of the type's shape (see [`Schema`]).
    const FINGERPRINT: u64;
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// `const` builder of schema fingerprints (FNV-1a, 64-bit).
///
/// Every string is hashed with its length in front, so `("ab", "c")` and `("a", "bc")` differ.
///
/// # Examples
///
/// ```
/// use bcast::typed::{Schema, SchemaHasher};
///
/// const A: u64 = SchemaHasher::new("struct", "P").field("x", u32::FINGERPRINT).finish();
/// const B: u64 = SchemaHasher::new("struct", "P").field("y", u32::FINGERPRINT).finish();
/// assert_ne!(A, B);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaHasher(u64);

impl SchemaHasher {
    /// Starts the fingerprint of a type of the given kind (`"struct"`, `"enum"`, ...) and name.
    pub const fn new(kind: &str, name: &str) -> Self {
        Self(FNV_OFFSET).str(kind).str(name)
    }

    /// Adds a string.
    pub const fn str(self, value: &str) -> Self {
        self.u64(value.len() as u64).bytes(value.as_bytes())
    }

    /// Adds a number (such as another type's fingerprint or an array length).
    pub const fn u64(self, value: u64) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    /// Adds a field: its name, then its type's fingerprint.
    pub const fn field(self, name: &str, fingerprint: u64) -> Self {
        self.str(name).u64(fingerprint)
    }

    /// The fingerprint.
    pub const fn finish(self) -> u64 {
        self.0
    }

    const fn bytes(self, bytes: &[u8]) -> Self {
        let mut hash = self.0;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(FNV_PRIME);
            i += 1;
        }
        Self(hash)
    }
}

/// The tag a message type gets when its derive names none: the 32-bit FNV-1a hash of its name
/// (1 in the unlikely case that the hash is 0, which is reserved for untyped frames).
///
/// Two names may hash to the same tag; a channel that holds both fails to compile (the derive
/// checks that tags are unique), and one of them then needs an explicit `#[bcast(tag = ...)]`.
///
/// # Examples
///
/// ```
/// assert_eq!(bcast::typed::tag_from_name("Quote"), bcast::typed::tag_from_name("Quote"));
/// assert_ne!(bcast::typed::tag_from_name("Quote"), bcast::typed::tag_from_name("Trade"));
/// ```
pub const fn tag_from_name(name: &str) -> u32 {
    let bytes = name.as_bytes();
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    if hash == 0 { 1 } else { hash }
}

macro_rules! primitive_schema {
    ($($ty:ty),* $(,)?) => {$(
        impl Schema for $ty {
            const NAME: &'static str = stringify!($ty);
            const FINGERPRINT: u64 = SchemaHasher::new("primitive", stringify!($ty)).finish();
        }
    )*};
}

primitive_schema!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
primitive_schema!(f32, f64, bool, char, (), str, String);

impl<T: Schema + ?Sized> Schema for Box<T> {
    const NAME: &'static str = "Box";
    const FINGERPRINT: u64 = SchemaHasher::new("generic", "Box").u64(T::FINGERPRINT).finish();
}

impl<T: Schema> Schema for Vec<T> {
    const NAME: &'static str = "Vec";
    const FINGERPRINT: u64 = SchemaHasher::new("generic", "Vec").u64(T::FINGERPRINT).finish();
}

impl<T: Schema> Schema for Option<T> {
    const NAME: &'static str = "Option";
    const FINGERPRINT: u64 = SchemaHasher::new("generic", "Option").u64(T::FINGERPRINT).finish();
}

impl<T: Schema> Schema for [T] {
    const NAME: &'static str = "slice";
    const FINGERPRINT: u64 = SchemaHasher::new("generic", "slice").u64(T::FINGERPRINT).finish();
}

impl<T: Schema, const N: usize> Schema for [T; N] {
    const NAME: &'static str = "array";
    const FINGERPRINT: u64 =
        SchemaHasher::new("generic", "array").u64(T::FINGERPRINT).u64(N as u64).finish();
}

macro_rules! tuple_schema {
    ($($name:ident),+) => {
        impl<$($name: Schema),+> Schema for ($($name,)+) {
            const NAME: &'static str = "tuple";
            const FINGERPRINT: u64 =
                SchemaHasher::new("generic", "tuple")$(.u64($name::FINGERPRINT))+.finish();
        }
    };
}

tuple_schema!(A);
tuple_schema!(A, B);
tuple_schema!(A, B, C);
tuple_schema!(A, B, C, D);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_differ_from_their_element_and_from_each_other() {
        let fingerprints = [
            u8::FINGERPRINT,
            Vec::<u8>::FINGERPRINT,
            Option::<u8>::FINGERPRINT,
            Box::<u8>::FINGERPRINT,
            <[u8; 4]>::FINGERPRINT,
            <[u8; 5]>::FINGERPRINT,
            <(u8,)>::FINGERPRINT,
            <(u8, u8)>::FINGERPRINT,
            Vec::<u16>::FINGERPRINT,
            String::FINGERPRINT,
            str::FINGERPRINT,
        ];
        for (i, a) in fingerprints.iter().enumerate() {
            for b in &fingerprints[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn strings_are_length_prefixed() {
        let ab_c = SchemaHasher::new("k", "ab").str("c").finish();
        let a_bc = SchemaHasher::new("k", "a").str("bc").finish();
        assert_ne!(ab_c, a_bc);
    }

    #[test]
    fn name_tags_are_never_zero() {
        assert_ne!(tag_from_name(""), 0);
        assert_eq!(tag_from_name("a"), 0xe40c_292c);
    }
}

//! Schema fingerprints: the [`Schema`] trait, the `const` hasher that builds fingerprints, and the
//! fingerprints of the standard types a message may contain.
//!
//! A fingerprint is a 64-bit FNV-1a hash of a type's *shape*: its kind, its name, and for each
//! field in order the field's name and the field type's own fingerprint. It is computed at
//! compile time, so it costs nothing at run time, and it follows types through aliases: a
//! `type Price = f64;` field has the fingerprint of `f64`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rkyv::primitive::{ArchivedUsize, FixedIsize, FixedUsize};

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
/// It also guards what rkyv cannot carry exactly: rkyv archives `usize` and `isize` in a fixed
/// width ([`RkyvFormat::usize_bytes`](super::RkyvFormat::usize_bytes), 4 bytes by default)
/// and would silently truncate a larger value. A type that holds one (as a field, a `Vec`
/// element, inside an `Option`, a nested struct or an alias, at any depth) has
/// [`HOLDS_USIZE`](Schema::HOLDS_USIZE) set, and publishing it as an rkyv message first checks
/// the values with [`check_usize`](Schema::check_usize), refusing an out-of-range one with
/// [`PublishError::UsizeOutOfRange`](super::PublishError::UsizeOutOfRange). Types without
/// them skip the check at compile time.
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
///
/// A hand-written implementation for a type that holds a `usize` or `isize` sets
/// [`HOLDS_USIZE`](Schema::HOLDS_USIZE) and checks them in [`check_usize`](Schema::check_usize),
/// by calling the fields' own `check_usize`:
///
/// ```
/// use bcast::typed::{Schema, SchemaHasher, UsizeOverflow};
///
/// struct Offset(usize);
///
/// impl Schema for Offset {
///     const NAME: &'static str = "Offset";
///     const FINGERPRINT: u64 =
///         SchemaHasher::new("struct", "Offset").field("0", usize::FINGERPRINT).finish();
///     const HOLDS_USIZE: bool = true;
///     fn check_usize(&self) -> Result<(), UsizeOverflow> {
///         self.0.check_usize()
///     }
/// }
/// assert!(Offset(7).check_usize().is_ok());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no bcast schema fingerprint",
    label = "no `Schema` for this type",
    note = "derive `BcastSchema` on it (or use `#[bcast::typed::schema]`), or implement `Schema` by hand with `SchemaHasher`"
)]
pub trait Schema {
    /// The type's name as it appears in a channel's registry, without its module path.
    const NAME: &'static str;
    /// Hash of the type's shape (see [`Schema`]).
    const FINGERPRINT: u64;
    /// Whether a value of the type can hold a `usize` or `isize`, at any depth; `false` unless
    /// an implementation says otherwise (the derives and this crate's implementations do).
    const HOLDS_USIZE: bool = false;

    /// Checks that every `usize` and `isize` the value holds fits the width rkyv archives them
    /// in ([`RkyvFormat::usize_bytes`](super::RkyvFormat::usize_bytes)).
    ///
    /// The default accepts every value: right for types that hold no `usize` or `isize`.
    ///
    /// # Errors
    ///
    /// The first value that does not fit, as a [`UsizeOverflow`].
    #[inline]
    fn check_usize(&self) -> Result<(), UsizeOverflow> {
        Ok(())
    }
}

/// A `usize` or `isize` value that rkyv's archived `usize`/`isize` cannot hold in this build
/// (their width is [`RkyvFormat::usize_bytes`](super::RkyvFormat::usize_bytes)); returned by
/// [`Schema::check_usize`].
///
/// # Examples
///
/// ```
/// use bcast::typed::{RkyvFormat, Schema};
///
/// let values = vec![1usize, 2, usize::MAX];
/// let fits = RkyvFormat::current().usize_bytes as u32 >= usize::BITS / 8;
/// assert_eq!(values.check_usize().is_ok(), fits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{value} does not fit rkyv's {}-byte archived usize and isize", size_of::<ArchivedUsize>())]
pub struct UsizeOverflow {
    /// The value.
    pub value: i128,
}

macro_rules! pointer_width_schema {
    ($($ty:ty => $fixed:ty),* $(,)?) => {$(
        impl Schema for $ty {
            const NAME: &'static str = stringify!($ty);
            const FINGERPRINT: u64 = SchemaHasher::new("primitive", stringify!($ty)).finish();
            const HOLDS_USIZE: bool = true;

            #[inline]
            fn check_usize(&self) -> Result<(), UsizeOverflow> {
                if <$fixed>::try_from(*self).is_ok() {
                    return Ok(());
                }
                // Every `usize` and `isize` fits an `i128` on the targets Rust supports.
                let value = i128::try_from(*self).unwrap_or(i128::MAX);
                Err(UsizeOverflow { value })
            }
        }
    )*};
}

pointer_width_schema!(usize => FixedUsize, isize => FixedIsize);

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

primitive_schema!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);
primitive_schema!(f32, f64, bool, char, (), str, String);

/// `Schema` for containers of one `T`: named `$name`, fingerprinted from `T`'s fingerprint,
/// holding a `usize` where `T` does; `$check` checks the values `$this` holds.
macro_rules! container_schema {
    ($(impl[$($generics:tt)*] $ty:ty => $name:literal, |$this:ident| $check:expr;)*) => {$(
        impl<$($generics)*> Schema for $ty {
            const NAME: &'static str = $name;
            const FINGERPRINT: u64 =
                SchemaHasher::new("generic", $name).u64(T::FINGERPRINT).finish();
            const HOLDS_USIZE: bool = T::HOLDS_USIZE;

            #[inline]
            fn check_usize(&self) -> Result<(), UsizeOverflow> {
                let $this = self;
                $check
            }
        }
    )*};
}

container_schema! {
    impl[T: Schema + ?Sized] Box<T> => "Box",
        |this| if T::HOLDS_USIZE { (**this).check_usize() } else { Ok(()) };
    impl[T: Schema] Vec<T> => "Vec", |this| this.as_slice().check_usize();
    impl[T: Schema] Option<T> => "Option", |this| match this {
        Some(value) if T::HOLDS_USIZE => value.check_usize(),
        _ => Ok(()),
    };
    impl[T: Schema] [T] => "slice",
        |this| if T::HOLDS_USIZE { this.iter().try_for_each(Schema::check_usize) } else { Ok(()) };
    impl[T: Schema] BTreeSet<T> => "BTreeSet",
        |this| if T::HOLDS_USIZE { this.iter().try_for_each(Schema::check_usize) } else { Ok(()) };
    impl[T: Schema, S] HashSet<T, S> => "HashSet",
        |this| if T::HOLDS_USIZE { this.iter().try_for_each(Schema::check_usize) } else { Ok(()) };
}

/// `Schema` for maps of `K` to `V` (as rkyv archives them: `BTreeMap`s and `HashMap`s differ),
/// fingerprinted from both.
macro_rules! map_schema {
    ($(impl[$($generics:tt)*] $ty:ty => $name:literal;)*) => {$(
        impl<$($generics)*> Schema for $ty {
            const NAME: &'static str = $name;
            const FINGERPRINT: u64 = SchemaHasher::new("generic", $name)
                .u64(K::FINGERPRINT)
                .u64(V::FINGERPRINT)
                .finish();
            const HOLDS_USIZE: bool = K::HOLDS_USIZE || V::HOLDS_USIZE;

            #[inline]
            fn check_usize(&self) -> Result<(), UsizeOverflow> {
                if !Self::HOLDS_USIZE {
                    return Ok(());
                }
                self.iter().try_for_each(|(key, value)| {
                    key.check_usize()?;
                    value.check_usize()
                })
            }
        }
    )*};
}

map_schema! {
    impl[K: Schema, V: Schema] BTreeMap<K, V> => "BTreeMap";
    impl[K: Schema, V: Schema, S] HashMap<K, V, S> => "HashMap";
}

impl<T: Schema, const N: usize> Schema for [T; N] {
    const NAME: &'static str = "array";
    const FINGERPRINT: u64 =
        SchemaHasher::new("generic", "array").u64(T::FINGERPRINT).u64(N as u64).finish();
    const HOLDS_USIZE: bool = T::HOLDS_USIZE;

    #[inline]
    fn check_usize(&self) -> Result<(), UsizeOverflow> {
        self.as_slice().check_usize()
    }
}

macro_rules! tuple_schema {
    ($($name:ident . $index:tt),+) => {
        impl<$($name: Schema),+> Schema for ($($name,)+) {
            const NAME: &'static str = "tuple";
            const FINGERPRINT: u64 =
                SchemaHasher::new("generic", "tuple")$(.u64($name::FINGERPRINT))+.finish();
            const HOLDS_USIZE: bool = false $(|| $name::HOLDS_USIZE)+;

            #[inline]
            fn check_usize(&self) -> Result<(), UsizeOverflow> {
                $(if $name::HOLDS_USIZE {
                    self.$index.check_usize()?;
                })+
                Ok(())
            }
        }
    };
}

tuple_schema!(A.0);
tuple_schema!(A.0, B.1);
tuple_schema!(A.0, B.1, C.2);
tuple_schema!(A.0, B.1, C.2, D.3);

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
    fn usize_holders_are_known_at_compile_time_and_checked_at_any_depth() {
        const {
            assert!(usize::HOLDS_USIZE && isize::HOLDS_USIZE && !u64::HOLDS_USIZE);
            assert!(<Option<Box<[(u8, usize)]>>>::HOLDS_USIZE && !<Vec<Option<u32>>>::HOLDS_USIZE);
        }
        // A build whose archived usize is as wide as the host's holds every value.
        let wide = size_of::<ArchivedUsize>() >= size_of::<usize>();
        let nested: Option<Box<[(u8, usize)]>> =
            Some(vec![(1, 2), (3, usize::MAX)].into_boxed_slice());
        assert_eq!(nested.check_usize().is_ok(), wide);
        let min = (0u8, isize::MIN).check_usize().err().map(|overflow| overflow.value);
        assert_eq!(min, (!wide).then(|| i128::try_from(isize::MIN).expect("isize fits i128")));
        assert!([[1usize; 2]; 2].check_usize().is_ok() && Some(-7isize).check_usize().is_ok());
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

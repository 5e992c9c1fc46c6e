//! The [`Schema`] trait: a type's [`Shape`], and the shapes of the standard types a message may
//! contain.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rkyv::primitive::{ArchivedUsize, FixedIsize, FixedUsize};

use super::shape::{Collection, Kind, Primitive, Shape};

/// A type whose wire shape a channel can describe: its [`Shape`], from which its fingerprint is
/// computed.
///
/// The shape is built at compile time, so it costs nothing at run time, and it follows types
/// through aliases: a `type Price = f64;` field has the shape of `f64`. Implemented by this
/// crate for the primitives, `String`, `str`, `Vec<T>`, `Box<T>`, `Option<T>`, arrays, slices,
/// tuples of up to four elements and the standard maps and sets, and by
/// [`#[derive(BcastMessage)]`](crate::BcastMessage) / [`#[derive(BcastSchema)]`](crate::BcastSchema)
/// for your structs and enums. Two types with the same fingerprint
/// ([`Shape::fingerprint`]) are assumed to have the same encoding; a field added, removed,
/// renamed, reordered or retyped changes it.
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
/// Implement it by hand only for a type the derives cannot reach, with the constructors of
/// [`shape`](super::shape):
///
/// ```
/// use bcast::typed::Schema;
/// use bcast::typed::shape::{Field, Kind, Shape, Struct, Style};
///
/// struct Price(u64); // encoded as its one field
///
/// impl Schema for Price {
///     const SHAPE: Shape = Shape::new(Kind::Struct(Struct::new(
///         "Price",
///         Style::Tuple,
///         &[Field::new("0", &u64::SHAPE)],
///     )));
/// }
/// assert_eq!(Price::SHAPE.name(), "Price");
/// assert_ne!(Price::SHAPE.fingerprint(), u64::SHAPE.fingerprint());
/// # let _ = Price(1).0;
/// ```
///
/// A hand-written implementation for a type that holds a `usize` or `isize` sets
/// [`HOLDS_USIZE`](Schema::HOLDS_USIZE) and checks them in [`check_usize`](Schema::check_usize),
/// by calling the fields' own `check_usize`:
///
/// ```
/// use bcast::typed::shape::{Field, Kind, Shape, Struct, Style};
/// use bcast::typed::{Schema, UsizeOverflow};
///
/// struct Offset(usize);
///
/// impl Schema for Offset {
///     const SHAPE: Shape = Shape::new(Kind::Struct(Struct::new(
///         "Offset",
///         Style::Tuple,
///         &[Field::new("0", &usize::SHAPE)],
///     )));
///     const HOLDS_USIZE: bool = true;
///     fn check_usize(&self) -> Result<(), UsizeOverflow> {
///         self.0.check_usize()
///     }
/// }
/// assert!(Offset(7).check_usize().is_ok());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no bcast schema",
    label = "no `Schema` for this type",
    note = "derive `BcastSchema` on it (or use `#[bcast::typed::schema]`), or implement `Schema` by hand with the constructors of `bcast::typed::shape`"
)]
pub trait Schema {
    /// The type's shape; its [`name`](Shape::name) is the type's name in a channel's registry,
    /// its [`fingerprint`](Shape::fingerprint) the hash of the whole description.
    const SHAPE: Shape;
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
    ($($ty:ty => $primitive:ident, $fixed:ty),* $(,)?) => {$(
        impl Schema for $ty {
            const SHAPE: Shape = Shape::new(Kind::Primitive(Primitive::$primitive));
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

pointer_width_schema!(usize => Usize, FixedUsize, isize => Isize, FixedIsize);

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
    ($($ty:ty => $kind:expr),* $(,)?) => {$(
        impl Schema for $ty {
            const SHAPE: Shape = Shape::new($kind);
        }
    )*};
}

primitive_schema! {
    () => Kind::Primitive(Primitive::Unit),
    bool => Kind::Primitive(Primitive::Bool),
    char => Kind::Primitive(Primitive::Char),
    u8 => Kind::Primitive(Primitive::U8),
    u16 => Kind::Primitive(Primitive::U16),
    u32 => Kind::Primitive(Primitive::U32),
    u64 => Kind::Primitive(Primitive::U64),
    u128 => Kind::Primitive(Primitive::U128),
    i8 => Kind::Primitive(Primitive::I8),
    i16 => Kind::Primitive(Primitive::I16),
    i32 => Kind::Primitive(Primitive::I32),
    i64 => Kind::Primitive(Primitive::I64),
    i128 => Kind::Primitive(Primitive::I128),
    f32 => Kind::Primitive(Primitive::F32),
    f64 => Kind::Primitive(Primitive::F64),
    str => Kind::Str,
    String => Kind::String,
}

/// `Schema` for containers of one `T`, of shape `$kind`, holding a `usize` where `T` does;
/// `$check` checks the values `$this` holds.
macro_rules! container_schema {
    ($(impl[$($generics:tt)*] $ty:ty => $kind:expr, |$this:ident| $check:expr;)*) => {$(
        impl<$($generics)*> Schema for $ty {
            const SHAPE: Shape = Shape::new($kind);
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
    impl[T: Schema + ?Sized] Box<T> => Kind::Box(&T::SHAPE),
        |this| if T::HOLDS_USIZE { (**this).check_usize() } else { Ok(()) };
    impl[T: Schema] Vec<T> => Kind::Vec(&T::SHAPE), |this| this.as_slice().check_usize();
    impl[T: Schema] Option<T> => Kind::Option(&T::SHAPE), |this| match this {
        Some(value) if T::HOLDS_USIZE => value.check_usize(),
        _ => Ok(()),
    };
    impl[T: Schema] [T] => Kind::Slice(&T::SHAPE),
        |this| if T::HOLDS_USIZE { this.iter().try_for_each(Schema::check_usize) } else { Ok(()) };
    impl[T: Schema] BTreeSet<T> =>
        Kind::Set { collection: Collection::BTree, element: &T::SHAPE },
        |this| if T::HOLDS_USIZE { this.iter().try_for_each(Schema::check_usize) } else { Ok(()) };
    impl[T: Schema, S] HashSet<T, S> =>
        Kind::Set { collection: Collection::Hash, element: &T::SHAPE },
        |this| if T::HOLDS_USIZE { this.iter().try_for_each(Schema::check_usize) } else { Ok(()) };
}

/// `Schema` for maps of `K` to `V` (as rkyv archives them: `BTreeMap`s and `HashMap`s differ).
macro_rules! map_schema {
    ($(impl[$($generics:tt)*] $ty:ty => $collection:expr;)*) => {$(
        impl<$($generics)*> Schema for $ty {
            const SHAPE: Shape = Shape::new(Kind::Map {
                collection: $collection,
                key: &K::SHAPE,
                value: &V::SHAPE,
            });
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
    impl[K: Schema, V: Schema] BTreeMap<K, V> => Collection::BTree;
    impl[K: Schema, V: Schema, S] HashMap<K, V, S> => Collection::Hash;
}

impl<T: Schema, const N: usize> Schema for [T; N] {
    const SHAPE: Shape = Shape::new(Kind::Array { len: N as u64, element: &T::SHAPE });
    const HOLDS_USIZE: bool = T::HOLDS_USIZE;

    #[inline]
    fn check_usize(&self) -> Result<(), UsizeOverflow> {
        self.as_slice().check_usize()
    }
}

macro_rules! tuple_schema {
    ($($name:ident . $index:tt),+) => {
        impl<$($name: Schema),+> Schema for ($($name,)+) {
            const SHAPE: Shape = Shape::new(Kind::Tuple(&[$(&$name::SHAPE),+]));
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
            u8::SHAPE,
            Vec::<u8>::SHAPE,
            Option::<u8>::SHAPE,
            Box::<u8>::SHAPE,
            <[u8; 4]>::SHAPE,
            <[u8; 5]>::SHAPE,
            <(u8,)>::SHAPE,
            <(u8, u8)>::SHAPE,
            Vec::<u16>::SHAPE,
            String::SHAPE,
            str::SHAPE,
            <[u8]>::SHAPE,
            BTreeSet::<u8>::SHAPE,
            HashSet::<u8>::SHAPE,
            BTreeMap::<u8, u8>::SHAPE,
            HashMap::<u8, u8>::SHAPE,
        ]
        .map(|shape| shape.fingerprint());
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
    fn names_are_the_rust_names() {
        assert_eq!(u8::SHAPE.name(), "u8");
        assert_eq!(<()>::SHAPE.name(), "()");
        assert_eq!(Vec::<String>::SHAPE.name(), "Vec");
        assert_eq!(HashMap::<u8, u8>::SHAPE.name(), "HashMap");
        assert_eq!(<[u8]>::SHAPE.name(), "slice");
    }

    #[test]
    fn name_tags_are_never_zero() {
        assert_ne!(tag_from_name(""), 0);
        assert_eq!(tag_from_name("a"), 0xe40c_292c);
    }
}

//! [`Value`]: a message decoded without its Rust type, as the
//! [`Decoder`](super::decoder::Decoder) renders it from a channel's schema description.
//!
//! A value prints in a Rust-like text form (`Quote { symbol: "ES", bid: 1.5 }`), and with the
//! `serde` feature serialises as `serde` would serialise the Rust value itself, so
//! `serde_json::to_string(&value)` gives the JSON that the message type's own `Serialize`
//! derive gives.

use core::fmt;

use super::wire::write_name;

/// A decoded message, or a part of one.
///
/// Integers keep their sign but not their width (`Unsigned(7)` was a `u8`, a `u64`, ... as the
/// description says); floats keep theirs. `Box<T>` is transparent: a boxed value decodes as
/// the value.
///
/// # Examples
///
/// ```
/// use bcast::typed::value::{Fields, Value};
///
/// let quote = Value::Struct {
///     name: "Quote".into(),
///     fields: Fields::Named(vec![
///         ("symbol".into(), Value::String("ES".into())),
///         ("bid".into(), Value::Option(Some(Box::new(Value::F64(1.5))))),
///     ]),
/// };
/// assert_eq!(quote.to_string(), r#"Quote { symbol: "ES", bid: Some(1.5) }"#);
/// assert_eq!(quote.field("symbol"), Some(&Value::String("ES".into())));
///
/// // Names come from a channel, which may be hostile: control characters are escaped.
/// let sneaky = Value::Struct { name: "Q\u{1b}[2J".into(), fields: Fields::Unit };
/// assert_eq!(sneaky.to_string(), r"Q\u{1b}[2J");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `()`.
    Unit,
    /// A `bool`.
    Bool(bool),
    /// A `char`.
    Char(char),
    /// An unsigned integer of any width.
    Unsigned(u128),
    /// A signed integer of any width.
    Signed(i128),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
    /// A `String` or a `Box<str>`.
    String(String),
    /// The elements of a `Vec<T>`, a `Box<[T]>` or an array, in order.
    List(Vec<Value>),
    /// The elements of a tuple, in order.
    Tuple(Vec<Value>),
    /// An `Option<T>`.
    Option(Option<Box<Value>>),
    /// The entries of a map: a `BTreeMap`'s in key order, a `HashMap`'s in the order of its
    /// archived table.
    Map(Vec<(Value, Value)>),
    /// The elements of a set: a `BTreeSet`'s in order, a `HashSet`'s in the order of its
    /// archived table.
    Set(Vec<Value>),
    /// A struct.
    Struct {
        /// Its name, without its module path.
        name: String,
        /// Its fields.
        fields: Fields,
    },
    /// An enum's variant.
    Enum {
        /// The enum's name, without its module path.
        name: String,
        /// The variant's name.
        variant: String,
        /// The variant's fields.
        fields: Fields,
    },
}

/// The fields of a struct or of an enum variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    /// Named fields, in declaration order.
    Named(Vec<(String, Value)>),
    /// Tuple fields, in order.
    Tuple(Vec<Value>),
    /// No fields: a unit struct or variant.
    Unit,
}

impl Value {
    /// The field `name` of a struct or enum variant with named fields, or the element `name`
    /// (`"0"`, `"1"`, ...) of one with tuple fields.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Self::Struct { fields, .. } | Self::Enum { fields, .. } => fields.get(name),
            _ => None,
        }
    }
}

impl Fields {
    /// The field `name` (`"0"`, `"1"`, ... for tuple fields).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Self::Named(fields) => fields.iter().find(|(field, _)| field == name).map(|(_, v)| v),
            Self::Tuple(fields) => name.parse::<usize>().ok().and_then(|index| fields.get(index)),
            Self::Unit => None,
        }
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        match self {
            Self::Named(fields) => fields.len(),
            Self::Tuple(fields) => fields.len(),
            Self::Unit => 0,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Writes a name from a description with its control characters escaped.
fn name(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    write_name(f, name)
}

/// Writes `items` separated by `", "`.
fn list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    mut each: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

impl fmt::Display for Value {
    /// The Rust-like text form: structs and enums as `Debug` prints them, strings quoted,
    /// maps and sets in braces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unit => f.write_str("()"),
            Self::Bool(value) => write!(f, "{value}"),
            Self::Char(value) => write!(f, "{value:?}"),
            Self::Unsigned(value) => write!(f, "{value}"),
            Self::Signed(value) => write!(f, "{value}"),
            Self::F32(value) => write!(f, "{value:?}"),
            Self::F64(value) => write!(f, "{value:?}"),
            Self::String(value) => write!(f, "{value:?}"),
            Self::List(items) => {
                f.write_str("[")?;
                list(f, items, |f, item| write!(f, "{item}"))?;
                f.write_str("]")
            }
            Self::Tuple(items) => {
                f.write_str("(")?;
                list(f, items, |f, item| write!(f, "{item}"))?;
                f.write_str(if items.len() == 1 { ",)" } else { ")" })
            }
            Self::Option(None) => f.write_str("None"),
            Self::Option(Some(value)) => write!(f, "Some({value})"),
            Self::Map(entries) => {
                f.write_str("{")?;
                list(f, entries, |f, (key, value)| write!(f, "{key}: {value}"))?;
                f.write_str("}")
            }
            Self::Set(items) => {
                f.write_str("{")?;
                list(f, items, |f, item| write!(f, "{item}"))?;
                f.write_str("}")
            }
            Self::Struct { name: type_name, fields } => {
                name(f, type_name)?;
                write!(f, "{fields}")
            }
            Self::Enum { name: type_name, variant, fields } => {
                name(f, type_name)?;
                f.write_str("::")?;
                name(f, variant)?;
                write!(f, "{fields}")
            }
        }
    }
}

impl fmt::Display for Fields {
    /// ` { a: 1, b: 2 }`, `(1, 2)`, or nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named(fields) if fields.is_empty() => f.write_str(" {}"),
            Self::Named(fields) => {
                f.write_str(" { ")?;
                list(f, fields, |f, (field, value)| {
                    name(f, field)?;
                    write!(f, ": {value}")
                })?;
                f.write_str(" }")
            }
            Self::Tuple(fields) => {
                f.write_str("(")?;
                list(f, fields, |f, value| write!(f, "{value}"))?;
                f.write_str(")")
            }
            Self::Unit => Ok(()),
        }
    }
}

#[cfg(feature = "serde")]
mod serialize {
    //! `Serialize` as serde's derives serialise the Rust value: named fields as a map, one
    //! tuple field as its value (a newtype), several as a sequence, no fields as unit; enum
    //! variants externally tagged (a unit variant as its name, any other as a one-entry map
    //! from its name to its fields). Names are run-time strings, so structs go through
    //! `serialize_map` where the derive uses `serialize_struct`: JSON cannot tell them apart.

    use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

    use super::{Fields, Value};

    impl Serialize for Value {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self {
                Self::Unit => serializer.serialize_unit(),
                Self::Bool(value) => serializer.serialize_bool(*value),
                Self::Char(value) => serializer.serialize_char(*value),
                Self::Unsigned(value) => match u64::try_from(*value) {
                    Ok(value) => serializer.serialize_u64(value),
                    Err(_) => serializer.serialize_u128(*value),
                },
                Self::Signed(value) => match i64::try_from(*value) {
                    Ok(value) => serializer.serialize_i64(value),
                    Err(_) => serializer.serialize_i128(*value),
                },
                Self::F32(value) => serializer.serialize_f32(*value),
                Self::F64(value) => serializer.serialize_f64(*value),
                Self::String(value) => serializer.serialize_str(value),
                Self::List(items) | Self::Tuple(items) | Self::Set(items) => {
                    serializer.collect_seq(items)
                }
                Self::Option(None) => serializer.serialize_none(),
                Self::Option(Some(value)) => serializer.serialize_some(value),
                Self::Map(entries) => {
                    let mut map = serializer.serialize_map(Some(entries.len()))?;
                    for (key, value) in entries {
                        map.serialize_entry(key, value)?;
                    }
                    map.end()
                }
                Self::Struct { fields, .. } => fields.serialize(serializer),
                Self::Enum { variant, fields: Fields::Unit, .. } => {
                    serializer.serialize_str(variant)
                }
                Self::Enum { variant, fields, .. } => {
                    let mut map = serializer.serialize_map(Some(1))?;
                    map.serialize_entry(variant, fields)?;
                    map.end()
                }
            }
        }
    }

    impl Serialize for Fields {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self {
                Self::Named(fields) => {
                    let mut map = serializer.serialize_map(Some(fields.len()))?;
                    for (name, value) in fields {
                        map.serialize_entry(name, value)?;
                    }
                    map.end()
                }
                Self::Tuple(fields) if fields.len() == 1 => fields[0].serialize(serializer),
                Self::Tuple(fields) => {
                    let mut seq = serializer.serialize_seq(Some(fields.len()))?;
                    for value in fields {
                        seq.serialize_element(value)?;
                    }
                    seq.end()
                }
                Self::Unit => serializer.serialize_unit(),
            }
        }
    }
}

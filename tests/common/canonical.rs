//! A canonical JSON text of anything `serde::Serialize`, for comparing two renderings of the
//! same data that may differ in incidental ways: a struct serialised through
//! `serialize_struct` and the same content through `serialize_map`, a `HashMap` in one
//! iteration order and in another, an `f32` carried exactly.
//!
//! The rules:
//!
//! - integers (`u128` and `i128` too) as exact decimals;
//! - `f32` and `f64` each at their own width, as Rust's `{:?}` prints them (the shortest text
//!   that reads back to the same value), NaN and the infinities as the strings `"NaN"`,
//!   `"inf"` and `"-inf"`;
//! - `char` and `str` as JSON strings, bytes as an array of numbers;
//! - unit, a unit struct and `None` as `null`; `Some(x)` as `x`; a newtype struct as its
//!   value;
//! - sequences, tuples and tuple structs as arrays, in order;
//! - structs and maps alike: an object with its keys sorted if every key renders as a JSON
//!   string, otherwise an array of `[key, value]` pairs sorted by their canonical text;
//! - enum variants externally tagged: a unit variant as its name, any other as a one-entry
//!   object from its name to its value (a newtype's), array (a tuple variant's) or object (a
//!   struct variant's).
//!
//! It is written as a serializer rather than through `serde_json::Value`, which cannot hold an
//! integer beyond 64 bits.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

/// The canonical JSON text of `value` (see the module's documentation).
///
/// # Panics
///
/// If `value`'s `Serialize` implementation fails.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> String {
    value.serialize(Canonical).unwrap_or_else(|error| panic!("serialising failed: {error}"))
}

/// For `#[serde(serialize_with = "...")]` on a set (or any collection): serialises its
/// elements as a sequence sorted by their canonical text, so that a `HashSet` renders the same
/// whatever its iteration order.
///
/// # Errors
///
/// Whatever `serializer` returns.
pub fn sorted_seq<'a, C, T, S>(collection: &'a C, serializer: S) -> Result<S::Ok, S::Error>
where
    &'a C: IntoIterator<Item = &'a T>,
    T: Serialize + 'a,
    S: ser::Serializer,
{
    let mut items: Vec<(String, &T)> =
        collection.into_iter().map(|item| (canonical_json(item), item)).collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    serializer.collect_seq(items.into_iter().map(|(_, item)| item))
}

/// Why a value could not be rendered: its `Serialize` implementation reported an error.
#[derive(Debug)]
pub struct CanonicalError(String);

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CanonicalError {}

impl ser::Error for CanonicalError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self(message.to_string())
    }
}

/// The serializer: every value becomes its canonical text.
#[derive(Debug, Clone, Copy)]
struct Canonical;

/// `text` as a JSON string, quoted and escaped.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                write!(out, "\\u{:04x}", u32::from(c)).expect("writing to a String cannot fail");
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A float's text: `{:?}` for finite values, a JSON string for NaN and the infinities.
fn float_text(is_nan: bool, is_infinite: bool, negative: bool, debug: String) -> String {
    if is_nan {
        json_string("NaN")
    } else if is_infinite {
        json_string(if negative { "-inf" } else { "inf" })
    } else {
        debug
    }
}

/// `{"name":body}`: an enum variant's external tag around its content.
fn tagged(variant: &str, body: &str) -> String {
    format!("{{{}:{body}}}", json_string(variant))
}

/// `[a,b,...]`.
fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

/// A struct's or map's entries (canonical texts of keys and values) as an object with sorted
/// keys if every key is a JSON string, otherwise as a sorted array of `[key, value]` pairs.
fn entries(mut entries: Vec<(String, String)>) -> String {
    if entries.iter().all(|(key, _)| key.starts_with('"')) {
        entries.sort();
        let body: Vec<String> =
            entries.iter().map(|(key, value)| format!("{key}:{value}")).collect();
        format!("{{{}}}", body.join(","))
    } else {
        let mut pairs: Vec<String> =
            entries.iter().map(|(key, value)| format!("[{key},{value}]")).collect();
        pairs.sort();
        array(&pairs)
    }
}

impl ser::Serializer for Canonical {
    type Ok = String;
    type Error = CanonicalError;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Seq;
    type SerializeMap = Map;
    type SerializeStruct = Map;
    type SerializeStructVariant = Map;

    fn serialize_bool(self, v: bool) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_i8(self, v: i8) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_i128(self, v: i128) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_u128(self, v: u128) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }

    fn serialize_f32(self, v: f32) -> Result<String, CanonicalError> {
        Ok(float_text(v.is_nan(), v.is_infinite(), v < 0.0, format!("{v:?}")))
    }

    fn serialize_f64(self, v: f64) -> Result<String, CanonicalError> {
        Ok(float_text(v.is_nan(), v.is_infinite(), v < 0.0, format!("{v:?}")))
    }

    fn serialize_char(self, v: char) -> Result<String, CanonicalError> {
        Ok(json_string(v.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, v: &str) -> Result<String, CanonicalError> {
        Ok(json_string(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<String, CanonicalError> {
        Ok(array(&v.iter().map(u8::to_string).collect::<Vec<_>>()))
    }

    fn serialize_none(self) -> Result<String, CanonicalError> {
        Ok("null".to_owned())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, CanonicalError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, CanonicalError> {
        Ok("null".to_owned())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, CanonicalError> {
        Ok("null".to_owned())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, CanonicalError> {
        Ok(json_string(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, CanonicalError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<String, CanonicalError> {
        Ok(tagged(variant, &value.serialize(self)?))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Seq, CanonicalError> {
        Ok(Seq::new(len, None))
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq, CanonicalError> {
        Ok(Seq::new(Some(len), None))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq, CanonicalError> {
        Ok(Seq::new(Some(len), None))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq, CanonicalError> {
        Ok(Seq::new(Some(len), Some(variant)))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Map, CanonicalError> {
        Ok(Map::new(len, None))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map, CanonicalError> {
        Ok(Map::new(Some(len), None))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Map, CanonicalError> {
        Ok(Map::new(Some(len), Some(variant)))
    }
}

/// A sequence, tuple, tuple struct or tuple variant being rendered.
#[derive(Debug)]
struct Seq {
    /// The elements' texts, in order.
    items: Vec<String>,
    /// The variant's name, for a tuple variant.
    variant: Option<&'static str>,
}

impl Seq {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> Self {
        Self { items: Vec::with_capacity(len.unwrap_or(0)), variant }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        self.items.push(value.serialize(Canonical)?);
        Ok(())
    }

    fn finish(self) -> String {
        let body = array(&self.items);
        match self.variant {
            Some(variant) => tagged(variant, &body),
            None => body,
        }
    }
}

impl ser::SerializeSeq for Seq {
    type Ok = String;
    type Error = CanonicalError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<String, CanonicalError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for Seq {
    type Ok = String;
    type Error = CanonicalError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<String, CanonicalError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for Seq {
    type Ok = String;
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<String, CanonicalError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for Seq {
    type Ok = String;
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<String, CanonicalError> {
        Ok(self.finish())
    }
}

/// A map, struct or struct variant being rendered.
#[derive(Debug)]
struct Map {
    /// The texts of the keys (field names as JSON strings) and values, in the order given.
    entries: Vec<(String, String)>,
    /// The text of a key given by `serialize_key` whose value has not come yet.
    key: Option<String>,
    /// The variant's name, for a struct variant.
    variant: Option<&'static str>,
}

impl Map {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> Self {
        Self { entries: Vec::with_capacity(len.unwrap_or(0)), key: None, variant }
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.entries.push((json_string(name), value.serialize(Canonical)?));
        Ok(())
    }

    fn finish(self) -> Result<String, CanonicalError> {
        if self.key.is_some() {
            return Err(ser::Error::custom("a map key without its value"));
        }
        let body = entries(self.entries);
        Ok(match self.variant {
            Some(variant) => tagged(variant, &body),
            None => body,
        })
    }
}

impl ser::SerializeMap for Map {
    type Ok = String;
    type Error = CanonicalError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        if self.key.is_some() {
            return Err(ser::Error::custom("two map keys in a row"));
        }
        self.key = Some(key.serialize(Canonical)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let key = self.key.take().ok_or_else(|| ser::Error::custom("a map value without a key"))?;
        self.entries.push((key, value.serialize(Canonical)?));
        Ok(())
    }

    fn end(self) -> Result<String, CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Map {
    type Ok = String;
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.field(name, value)
    }

    fn end(self) -> Result<String, CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Map {
    type Ok = String;
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.field(name, value)
    }

    fn end(self) -> Result<String, CanonicalError> {
        self.finish()
    }
}

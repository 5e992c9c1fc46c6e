//! The shapes the derives describe: every field, variant and container, as a tool reading a
//! channel without the Rust types will see them.

use std::collections::{BTreeMap, HashSet};

use bcast::typed::shape::{Collection, Field, Kind, Primitive, Style};
use bcast::typed::{Schema, Shape};

#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq)]
enum Side {
    Bid,
    Ask,
}

#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq)]
enum Venue {
    Lit { id: u32 },
    Dark(u64, Option<String>),
    Unknown,
}

#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq)]
struct Level(f64, u32);

#[bcast::typed::message(tag = 7)]
#[derive(Debug, Clone, PartialEq)]
struct Book {
    symbol: String,
    side: Side,
    venue: Venue,
    levels: Vec<Level>,
    best: Option<Box<Level>>,
    flags: [u8; 4],
    pair: (i16, char),
    by_venue: BTreeMap<u32, Vec<u64>>,
    seen: HashSet<i64>,
    count: usize,
}

#[bcast::typed::message(tag = 8, pod)]
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
struct Tick {
    price: f64,
    qty: u32,
    venue: u32,
}

fn field<'a>(fields: &'a [Field], name: &str) -> &'a Shape {
    fields
        .iter()
        .find(|field| field.name() == name)
        .unwrap_or_else(|| panic!("no field {name}"))
        .shape()
}

#[test]
fn a_struct_lists_its_fields_in_order_with_their_shapes() {
    let Kind::Struct(book) = Book::SHAPE.kind() else { panic!("Book is a struct") };
    assert_eq!((book.name(), book.style()), ("Book", Style::Named));
    let names: Vec<_> = book.fields().iter().map(Field::name).collect();
    assert_eq!(
        names,
        ["symbol", "side", "venue", "levels", "best", "flags", "pair", "by_venue", "seen", "count"]
    );
    let fields = book.fields();
    assert_eq!(field(fields, "symbol").kind(), &Kind::String);
    assert_eq!(field(fields, "count").kind(), &Kind::Primitive(Primitive::Usize));
    assert_eq!(field(fields, "levels").kind(), &Kind::Vec(&Level::SHAPE));
    assert_eq!(field(fields, "best").kind(), &Kind::Option(&<Box<Level>>::SHAPE));
    assert_eq!(field(fields, "flags").kind(), &Kind::Array { len: 4, element: &u8::SHAPE });
    assert_eq!(field(fields, "pair").kind(), &Kind::Tuple(&[&i16::SHAPE, &char::SHAPE]));
    assert_eq!(
        field(fields, "by_venue").kind(),
        &Kind::Map { collection: Collection::BTree, key: &u32::SHAPE, value: &<Vec<u64>>::SHAPE }
    );
    assert_eq!(
        field(fields, "seen").kind(),
        &Kind::Set { collection: Collection::Hash, element: &i64::SHAPE }
    );
}

#[test]
fn tuple_structs_name_their_fields_by_position() {
    let Kind::Struct(level) = Level::SHAPE.kind() else { panic!("Level is a struct") };
    assert_eq!(level.style(), Style::Tuple);
    let names: Vec<_> = level.fields().iter().map(Field::name).collect();
    assert_eq!(names, ["0", "1"]);
    assert_eq!(level.fields()[0].shape().kind(), &Kind::Primitive(Primitive::F64));
}

#[test]
fn an_enum_lists_its_variants_with_their_fields() {
    let Kind::Enum(venue) = Venue::SHAPE.kind() else { panic!("Venue is an enum") };
    let variants: Vec<_> = venue.variants().iter().map(|v| (v.name(), v.style())).collect();
    assert_eq!(variants, [("Lit", Style::Named), ("Dark", Style::Tuple), ("Unknown", Style::Unit)]);
    let dark = &venue.variants()[1];
    assert_eq!(dark.fields()[1].shape().kind(), &Kind::Option(&String::SHAPE));
    assert_eq!(dark.discriminant(), None);
    let Kind::Enum(side) = Side::SHAPE.kind() else { panic!("Side is an enum") };
    assert_eq!(side.variants().len(), 2);
}

#[test]
fn a_pod_message_carries_its_repr() {
    let Kind::Struct(tick) = Tick::SHAPE.kind() else { panic!("Tick is a struct") };
    assert_eq!(tick.reprs(), ["C"]);
    assert_eq!(Tick::SHAPE.name(), "Tick");
}

#[test]
fn the_fingerprint_is_the_descriptions() {
    // Two types of the same description share a fingerprint; any difference in it separates
    // them, down to a nested field.
    mod same {
        #[bcast::typed::schema]
        #[derive(Debug)]
        pub struct Level(pub f64, pub u32);
    }
    mod other {
        #[bcast::typed::schema]
        #[derive(Debug)]
        pub struct Level(pub f64, pub u64);
    }
    assert_eq!(same::Level::SHAPE.fingerprint(), Level::SHAPE.fingerprint());
    assert_ne!(other::Level::SHAPE.fingerprint(), Level::SHAPE.fingerprint());
    assert_ne!(<Vec<other::Level>>::SHAPE.fingerprint(), <Vec<Level>>::SHAPE.fingerprint());
    let _ = (same::Level(1.0, 2).0, other::Level(1.0, 2).1);
}

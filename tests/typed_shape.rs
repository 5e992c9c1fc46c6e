//! The shapes the derives describe: every field, variant and container, as a tool reading a
//! channel without the Rust types will see them.

mod common;

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

#[bcast::typed::schema(pod)]
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Leg {
    qty: u16,
    side: u8,
    flag: u8,
}

#[bcast::typed::message(tag = 11, pod)]
#[derive(Debug, Clone, Copy)]
#[repr(C, packed)]
struct Packed {
    kind: u8,
    price: f64,
    legs: [Leg; 2],
}

#[test]
fn a_struct_with_a_defined_layout_carries_its_offsets_and_sizes() {
    let layout = |shape: &Shape| match shape.kind() {
        Kind::Struct(shape) => shape.layout().copied(),
        _ => None,
    };
    let slots = |shape: &Shape| -> Vec<(usize, usize)> {
        let layout = layout(shape).expect("a layout");
        layout.fields().iter().map(|slot| (slot.offset(), slot.size())).collect()
    };
    let tick = layout(&Tick::SHAPE).expect("repr(C) has a layout");
    assert_eq!((tick.size(), tick.align()), (size_of::<Tick>(), align_of::<Tick>()));
    assert_eq!(slots(&Tick::SHAPE), [(0, 8), (8, 4), (12, 4)]);
    let packed = layout(&Packed::SHAPE).expect("packed has a layout");
    assert_eq!((packed.size(), packed.align()), (17, 1));
    assert_eq!(slots(&Packed::SHAPE), [(0, 1), (1, 8), (9, 8)]);
    assert_eq!(slots(&Leg::SHAPE), [(0, 2), (2, 1), (3, 1)]);
    // Rust lays other structs out as it likes: no layout, and none in the fingerprint.
    assert_eq!(layout(&Book::SHAPE), None);
    assert_eq!(layout(&Level::SHAPE), None);
    let _ = Packed { kind: 0, price: 0.0, legs: [Leg { qty: 0, side: 0, flag: 0 }; 2] }.kind;
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

mod description {
    use bcast::typed::description::{Description, DescriptionError, MAX_DEPTH, Node};
    use bcast::typed::{Schema, Shape};

    use super::{Book, Level, Side, Tick, Venue};

    fn encode(types: &[(u32, &Shape)]) -> Vec<u8> {
        Description::of(types).to_bytes()
    }

    fn channel() -> Vec<u8> {
        encode(&[(7, &Book::SHAPE), (8, &Tick::SHAPE), (9, &Venue::SHAPE), (10, &Side::SHAPE)])
    }

    #[test]
    fn a_description_reads_back_as_it_was_made() {
        let made = Description::of(&[(7, &Book::SHAPE), (8, &Tick::SHAPE), (9, &Venue::SHAPE)]);
        assert_eq!(Description::decode(&made.to_bytes()), Ok(made));
    }

    #[test]
    fn a_description_reads_back_with_the_fingerprints_of_the_types() {
        let read = Description::decode(&channel()).expect("our own description reads back");
        let shapes: [(u32, &Shape); 4] =
            [(7, &Book::SHAPE), (8, &Tick::SHAPE), (9, &Venue::SHAPE), (10, &Side::SHAPE)];
        assert_eq!(read.types().len(), 4);
        for (tag, shape) in shapes {
            let root = read.root(tag).expect("every tag is described");
            assert_eq!(read.fingerprint(root), shape.fingerprint(), "{}", shape.name());
        }
        assert_eq!(read.root(11), None);
        let Node::Struct { fields, .. } = read.node(read.root(7).expect("Book")) else {
            panic!("Book is a struct")
        };
        let Node::Vec(level) = read.node(fields[3].node) else { panic!("levels is a Vec") };
        assert_eq!(read.fingerprint(*level), Level::SHAPE.fingerprint());
    }

    #[test]
    fn layouts_read_back_and_are_checked() {
        use bcast::typed::description::{NodeLayout, NodeSlot};

        let made = Description::of(&[(11, &super::Packed::SHAPE)]);
        let bytes = made.to_bytes();
        let read = Description::decode(&bytes).expect("reads back");
        assert_eq!(read, made);
        let root = read.root(11).expect("described");
        assert_eq!(read.fingerprint(root), super::Packed::SHAPE.fingerprint());
        let Node::Struct { layout: Some(NodeLayout { size, align, slots }), .. } = read.node(root)
        else {
            panic!("Packed has a layout")
        };
        assert_eq!((*size, *align), (17, 1));
        assert_eq!(slots[2], NodeSlot { offset: 9, size: 8 });
        // The type table (a count, a tag and a root) takes the last 12 bytes; before it the
        // layout: flag, size, alignment, then 3 slots of an offset and a size.
        let table = bytes.len() - 12;
        let mut outside = bytes.clone();
        outside[table - 16] = 10; // offset 10 + size 8 > 17
        assert!(matches!(Description::decode(&outside), Err(DescriptionError::Malformed { .. })));
        let mut misaligned = bytes.clone();
        misaligned[table - 3 * 16 - 8] = 3; // alignment 3
        assert!(matches!(
            Description::decode(&misaligned),
            Err(DescriptionError::Malformed { .. })
        ));
        let mut flag = bytes;
        flag[table - 3 * 16 - 17] = 2; // neither "no layout" nor "layout"
        assert!(matches!(Description::decode(&flag), Err(DescriptionError::Malformed { .. })));
    }

    #[test]
    fn a_shape_used_twice_is_written_once() {
        let once = encode(&[(1, &Level::SHAPE)]);
        let twice = encode(&[(1, &Level::SHAPE), (2, &Level::SHAPE)]);
        assert_eq!(twice.len(), once.len() + 8, "one more type entry, no more nodes");
        let read = Description::decode(&twice).expect("reads back");
        assert_eq!(read.root(1), read.root(2));
    }

    #[test]
    fn every_cut_and_every_flipped_byte_is_an_error_or_another_description_never_a_panic() {
        let bytes = channel();
        for len in 0..bytes.len() {
            assert!(Description::decode(&bytes[..len]).is_err(), "cut at {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Description::decode(&longer),
            Err(DescriptionError::Malformed { at, .. }) if at == bytes.len()
        ));
        for at in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut hostile = bytes.clone();
                hostile[at] ^= flip;
                // Anything may come back but a panic, a hang or a huge allocation.
                let _ = Description::decode(&hostile);
            }
        }
    }

    /// The header of a hand-made description with `nodes` nodes.
    fn header(nodes: u32) -> Vec<u8> {
        let mut bytes = 1u16.to_le_bytes().to_vec();
        bytes.extend_from_slice(&nodes.to_le_bytes());
        bytes
    }

    #[test]
    fn references_point_backwards_only() {
        // Node 0 is a Vec of node 0: a cycle, refused.
        let mut bytes = header(1);
        bytes.push(4);
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            Description::decode(&bytes),
            Err(DescriptionError::Reference { node: 0, to: 0 })
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |depth: u32| {
            let mut bytes = header(depth);
            bytes.extend([1, 3]); // u8
            for inner in 0..depth - 1 {
                bytes.push(7); // Option of the node before
                bytes.extend_from_slice(&inner.to_le_bytes());
            }
            bytes.extend_from_slice(&1u32.to_le_bytes());
            bytes.extend_from_slice(&5u32.to_le_bytes());
            bytes.extend_from_slice(&(depth - 1).to_le_bytes());
            bytes
        };
        let max = u32::try_from(MAX_DEPTH).expect("small");
        assert!(Description::decode(&deep(max)).is_ok());
        assert_eq!(
            Description::decode(&deep(max + 1)),
            Err(DescriptionError::TooDeep { node: max, depth: MAX_DEPTH + 1 })
        );
    }

    #[test]
    fn a_type_name_is_bounded_even_when_its_description_doubles_at_every_level() {
        // Node 0 is a `u8`; node i a pair of node i - 1: written out, node 60's name would be
        // 2^60 `u8`s long.
        let mut bytes = header(61);
        bytes.extend([1, 3]);
        for inner in 0..60u32 {
            bytes.push(9);
            bytes.extend_from_slice(&2u32.to_le_bytes());
            bytes.extend_from_slice(&inner.to_le_bytes());
            bytes.extend_from_slice(&inner.to_le_bytes());
        }
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&60u32.to_le_bytes());
        let read = Description::decode(&bytes).expect("a well-formed description");
        let name = read.type_name(read.root(1).expect("tag 1"));
        assert!(name.starts_with("((((((((((((((((("), "{name}");
        assert!(name.len() <= 300, "{} bytes", name.len());
        assert!(name.ends_with('…'), "{name}");
    }

    #[test]
    fn huge_counts_are_refused_without_allocating_for_them() {
        let mut bytes = header(u32::MAX);
        bytes.extend([9]); // a tuple
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(Description::decode(&bytes), Err(DescriptionError::Malformed { .. })));
    }

    #[test]
    fn another_version_and_duplicate_tags_are_named() {
        let mut bytes = channel();
        bytes[0] = 3;
        assert_eq!(
            Description::decode(&bytes),
            Err(DescriptionError::Version { found: 3, expected: 2 })
        );
        let twice = encode(&[(3, &Level::SHAPE), (3, &Side::SHAPE)]);
        assert_eq!(Description::decode(&twice), Err(DescriptionError::DuplicateTag { tag: 3 }));
    }
}

mod stored {
    use bcast::RingBuffer;
    use bcast::typed::description::{Description, DescriptionError};
    use bcast::typed::{Channel, Publisher, Subscriber, TypedOpenError};

    /// A type whose description nearly fills the ring header's metadata area (57 344 bytes):
    /// its name is 57 240 bytes long.
    #[derive(bcast::rkyv::Archive, bcast::rkyv::Serialize)]
    #[rkyv(crate = bcast::rkyv)]
    struct Huge;

    static NAME_BYTES: [u8; 57_240] = [b'h'; 57_240];

    impl bcast::typed::Schema for Huge {
        const SHAPE: bcast::typed::Shape = {
            use bcast::typed::shape::{Kind, Struct, Style};
            let Ok(name) = core::str::from_utf8(&NAME_BYTES) else { panic!("ASCII") };
            bcast::typed::Shape::new(Kind::Struct(Struct::new(name, Style::Unit, &[])))
        };
    }

    #[bcast::typed::message(tag = 1)]
    struct Holder {
        huge: Huge,
    }

    #[derive(bcast::BcastChannel)]
    enum Crowded {
        Holder(Holder),
    }

    #[test]
    fn a_description_that_leaves_no_room_for_the_registry_is_refused_and_stores_nothing() {
        let description = Description::of(Crowded::SHAPES).to_bytes().len();
        let registry = bcast::typed::Registry::of::<Crowded>().to_bytes().len();
        let section = |len: usize| 16 + len.next_multiple_of(8);
        // Each fits the area alone; both do not.
        assert!(section(description) <= 57_344 && section(registry) <= 57_344);
        assert!(section(description) + section(registry) > 57_344);
        let ring = RingBuffer::with_capacity(4096);
        let refused = Publisher::<Crowded>::new(ring.clone()).err();
        assert!(
            matches!(refused, Some(TypedOpenError::DescriptionTooLarge { len, max, .. })
                if len == description && max < len),
            "{refused:?}"
        );
        assert_eq!(Description::read_from(&ring), Ok(None), "nothing stored");
        assert_eq!(bcast::typed::Registry::read_from(&ring), Ok(None), "nothing stored");
    }

    use super::{Book, Tick};

    #[derive(bcast::BcastChannel)]
    enum Books {
        Book(Book),
        Tick(Tick),
    }

    fn registry_types() -> impl Iterator<Item = (u32, u64)> {
        Books::TYPES.iter().map(|entry| (entry.tag, entry.fingerprint))
    }

    #[test]
    fn a_publisher_stores_its_channels_description_beside_the_registry() {
        let ring = RingBuffer::with_capacity(1 << 16);
        let _publisher = Publisher::<Books>::new(ring.clone()).expect("a new channel");
        let read = Description::read_from(&ring).expect("readable").expect("stored");
        read.check(registry_types()).expect("it describes the registry's types");
        assert_eq!(read.types().len(), 2);
        Subscriber::<Books>::new(ring).expect("a subscriber checks it and attaches");
    }

    #[test]
    fn an_untyped_ring_has_no_description() {
        let ring = RingBuffer::with_capacity(1 << 16);
        assert_eq!(Description::read_from(&ring), Ok(None));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_subscriber_refuses_a_description_that_does_not_describe_the_registry() {
        use std::io::{Read, Seek, SeekFrom, Write};

        // The description is the header's first metadata section: its 16-byte section header
        // at 8192, then the body.
        const BODY: u64 = 8192 + 16;
        let path = crate::common::ShmPath::new("description-corrupt");
        let ring = RingBuffer::create(path.as_str(), 1 << 16).expect("a new channel file");
        let _publisher = Publisher::<Books>::new(ring).expect("a publisher stores it");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path.0)
            .expect("the test's own file");
        let mut body = vec![0; 4096];
        file.seek(SeekFrom::Start(BODY)).and_then(|_| file.read_exact(&mut body)).expect("read");
        let name = body.windows(6).position(|w| w == b"\x04\x00Book").expect("Book's name");
        let rewrite = |file: &mut std::fs::File, at: u64, byte: u8| {
            file.seek(SeekFrom::Start(BODY + at))
                .and_then(|_| file.write_all(&[byte]))
                .expect("write");
        };

        rewrite(&mut file, name as u64 + 2, b'C');
        let attach = || Subscriber::<Books>::new(RingBuffer::attach(path.as_str())?);
        let error = attach().expect_err("a description of another Book");
        assert!(
            matches!(
                error,
                TypedOpenError::CorruptDescription {
                    reason: DescriptionError::Disagrees { tag: 7, .. },
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("tag 7"), "{error}");

        rewrite(&mut file, name as u64 + 2, b'B');
        rewrite(&mut file, 0, 3);
        let error = attach().expect_err("another format version");
        assert!(
            matches!(
                error,
                TypedOpenError::CorruptDescription {
                    reason: DescriptionError::Version { found: 3, expected: 2 },
                    ..
                }
            ),
            "{error}"
        );
        rewrite(&mut file, 0, 1);
        attach().expect("restored, it attaches again");
    }
}

mod mismatch {
    use bcast::RingBuffer;
    use bcast::typed::{Difference, FieldDifference, Publisher, Subscriber, TypedOpenError};

    #[allow(missing_debug_implementations)] // fixtures
    mod channel {
        #[bcast::typed::schema]
        pub struct Level {
            pub price: f64,
        }
        #[bcast::typed::schema]
        pub enum Side {
            Bid,
            Ask,
        }
        #[bcast::typed::message(tag = 1)]
        pub struct Book {
            pub bid: f64,
            pub side: Side,
            pub levels: Vec<Level>,
            pub venue: u32,
            pub a: u8,
            pub b: u8,
        }
        #[derive(bcast::BcastChannel)]
        pub enum Feed {
            Book(Book),
        }
    }

    #[allow(missing_debug_implementations)] // fixtures
    mod ours {
        #[bcast::typed::schema]
        pub struct Level {
            pub price: f64,
            pub qty: u32,
        }
        #[bcast::typed::schema]
        pub enum Side {
            Bid,
            Ask,
            Cross,
        }
        #[bcast::typed::message(tag = 1)]
        pub struct Book {
            pub bid: f32,
            pub side: Side,
            pub levels: Vec<Level>,
            pub b: u8,
            pub a: u8,
        }
        #[derive(bcast::BcastChannel)]
        pub enum Feed {
            Book(Book),
        }
    }

    #[test]
    fn a_mismatch_names_every_field_that_differs() {
        let ring = RingBuffer::with_capacity(1 << 16);
        let _publisher = Publisher::<channel::Feed>::new(ring.clone()).expect("a new channel");
        let Err(TypedOpenError::Mismatch(mismatch)) = Subscriber::<ours::Feed>::new(ring) else {
            panic!("another schema must be refused");
        };
        let differences = mismatch.differences();
        let [Difference::Changed { fields, .. }] = differences.as_slice() else {
            panic!("one changed type: {differences:?}");
        };
        let text: Vec<String> = fields.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "`Book`: `venue` only in the channel",
                "`Book`: reordered (bid, side, levels, b, a here, bid, side, levels, a, b in the channel)",
                "`Book.bid`: f32 here, f64 in the channel",
                "`Book.side`: `Cross` added here",
                "`Book.levels[]`: `qty` added here",
            ]
        );
        assert!(matches!(&fields[2], FieldDifference::Retyped { path, .. } if path == "Book.bid"));
        let message = mismatch.to_string();
        assert!(message.contains("`Book.levels[]`: `qty` added here"), "{message}");
    }
}

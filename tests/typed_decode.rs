//! Feature `serde`: the schema-driven [`Decoder`] renders every frame as the message's own
//! types would.
//!
//! For each of many message types (every primitive, strings inline and out of line, options,
//! boxes, arrays, tuples, nested structs of every style, enums of every variant style and with
//! explicit discriminants, maps and sets of both kinds, pod records with nested pod types),
//! a property test publishes generated values and reads each back twice:
//!
//! - (a) through a [`Subscriber`]: the typed view becomes the owned message again;
//! - (b) as a raw frame, decoded by the [`Decoder`] from the channel's description alone into
//!   a [`Value`].
//!
//! Both are rendered as canonical JSON (`common::canonical`) and must agree with each other and
//! with the value that was sent: the decoder reads every byte the way rkyv and the pod layout
//! wrote it. Sets are compared in a canonical order (a `HashSet`'s archive order is not its
//! iteration order): owned sets serialise sorted (`sorted_seq`), decoded ones are sorted by
//! [`sorted_sets`]; maps need nothing, as the canonical form sorts their entries.
//!
//! The decoder must also refuse, never panic on, frames that are not what their tag says:
//! unknown tags, truncated payloads, and payloads with any byte changed.
#![cfg(feature = "serde")]

mod common;

use std::any::type_name;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;

use bcast::typed::decoder::{Decoder, FrameError};
use bcast::typed::value::{Fields, Value};
use bcast::typed::{Channel, DecodeError, InChannel, Publisher, Subscriber, TypedMessage};
use bcast::{BcastChannel, Reader, RingBuffer};
use common::canonical::{canonical_json, sorted_seq};
use proptest::collection::{btree_map, btree_set, hash_map, hash_set, vec};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde::Serialize;

/// Generated values per message type.
const CASES: u32 = 3000;

/// Elements per generated collection, at most (large maps and sets have their own bound).
const MAX_LEN: usize = 8;

// ---------------------------------------------------------------------------------------------
// Nested types
// ---------------------------------------------------------------------------------------------

/// A struct with named fields.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Point {
    x: i32,
    y: f32,
}

/// A struct with named fields holding out-of-line data.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Level {
    price: f64,
    qty: u64,
    venue: String,
}

/// A tuple struct.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Pair(u8, i16);

/// A newtype struct.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Meters(u32);

/// A newtype struct over a string.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Name(String);

/// A unit struct.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Marker;

/// A struct with no fields, in braces.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Empty {}

/// A struct of structs of every style.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Inner {
    id: u16,
    marker: Marker,
    meters: Meters,
    pair: Pair,
    name: Name,
}

/// Nesting two levels deep, directly and in a vector.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Outer {
    inner: Inner,
    inners: Vec<Inner>,
    level: Option<Level>,
}

/// An enum of unit variants with explicit, sparse discriminants.
#[bcast::typed::schema]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
enum Side {
    Buy = 1,
    Sell = 5,
}

/// An enum with variants of every style, empty ones included.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
enum Shape {
    Dot,
    Circle(f64),
    Segment(Point, Point),
    Rect { corner: Point, width: u32, height: u32 },
    Label { text: String, size: Option<u8> },
    Nothing(),
    Blank {},
    Sided(Side),
    Many(Vec<u16>),
    Mixed(u8, String, i128),
}

/// A struct holding a set, for sets nested in other collections.
#[bcast::typed::schema]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Tagged {
    name: String,
    #[serde(serialize_with = "sorted_seq")]
    tags: HashSet<u16>,
}

/// A pod record nested in pod messages (16 bytes, no padding).
#[bcast::typed::schema(pod)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct PodLevel {
    price: i64,
    qty: u32,
    venue: u16,
    flags: [u8; 2],
}

// ---------------------------------------------------------------------------------------------
// Message types and channels
// ---------------------------------------------------------------------------------------------

/// Every unsigned width, `usize` within the 4 bytes rkyv archives it in.
#[bcast::typed::message(tag = 1)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Unsigned {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: u128,
    f: usize,
}

/// Every signed width, `isize` within the 4 bytes rkyv archives it in.
#[bcast::typed::message(tag = 2)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Signed {
    a: i8,
    b: i16,
    c: i32,
    d: i64,
    e: i128,
    f: isize,
}

/// Floats of both widths, NaN and the infinities included.
#[bcast::typed::message(tag = 3)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Floats {
    single: f32,
    double: f64,
    pair: (f32, f64),
    singles: Vec<f32>,
    doubles: Vec<f64>,
}

/// `bool`, `char` and `()`, with a `u8` before a `u128` (padding in the archive).
#[bcast::typed::message(tag = 4)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Misc {
    flag: bool,
    letter: char,
    nothing: (),
    small: u8,
    wide: u128,
    flags: Vec<bool>,
    letters: Vec<char>,
    units: Vec<()>,
}

/// Strings of every length rkyv distinguishes: empty, inline (at most 8 bytes), exactly 8,
/// out of line, and of any characters.
#[bcast::typed::message(tag = 5)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Texts {
    empty: String,
    inline: String,
    eight: String,
    long: String,
    any: String,
    boxed: Box<str>,
    list: Vec<String>,
}

/// Options of every kind of content, options of options included.
#[bcast::typed::message(tag = 6)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Options {
    byte: Option<u8>,
    nested: Option<Option<u8>>,
    text: Option<String>,
    point: Option<Point>,
    wide: Option<u128>,
    list: Option<Vec<i32>>,
    side: Option<Side>,
    options: Vec<Option<u32>>,
}

/// Boxes, which decode as their content.
#[bcast::typed::message(tag = 7)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Boxes {
    value: Box<u64>,
    text: Box<str>,
    slice: Box<[u16]>,
    point: Box<Point>,
    side: Box<Side>,
    maybe: Option<Box<Level>>,
    strings: Box<[String]>,
}

/// Fixed-size arrays, nested and of structs and strings.
#[bcast::typed::message(tag = 8)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Arrays {
    bytes: [u8; 3],
    grid: [[u16; 2]; 3],
    points: [Point; 2],
    none: [u32; 0],
    strings: [String; 2],
    wide: [i128; 2],
}

/// Tuples of one to four elements.
#[bcast::typed::message(tag = 9)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Tuples {
    pair: (u8, String),
    triple: (u64, i8, bool),
    single: (i16,),
    quad: (char, f32, Point, Option<u8>),
    list: Vec<(u32, Side)>,
}

/// Scalars, strings, options, boxes, arrays and tuples.
#[derive(Debug, BcastChannel, Serialize)]
#[serde(untagged)]
enum Scalars {
    Unsigned(Unsigned),
    Signed(Signed),
    Floats(Floats),
    Misc(Misc),
    Texts(Texts),
    Options(Options),
    Boxes(Boxes),
    Arrays(Arrays),
    Tuples(Tuples),
}

/// Structs of every style, nested.
#[bcast::typed::message(tag = 1)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Structs {
    point: Point,
    pair: Pair,
    meters: Meters,
    marker: Marker,
    empty: Empty,
    outer: Outer,
}

/// Enums of every variant style, alone and in containers.
#[bcast::typed::message(tag = 2)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Enums {
    side: Side,
    shape: Shape,
    shapes: Vec<Shape>,
    maybe: Option<Shape>,
    boxed: Box<Shape>,
}

/// Vectors of primitives, strings, structs, vectors and options; one always empty.
#[bcast::typed::message(tag = 3)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Lists {
    bytes: Vec<u8>,
    words: Vec<u64>,
    wide: Vec<i128>,
    texts: Vec<String>,
    levels: Vec<Level>,
    nested: Vec<Vec<u16>>,
    options: Vec<Option<u32>>,
    empty: Vec<u8>,
}

/// Maps of both kinds, with string, integer and struct keys and values.
#[bcast::typed::message(tag = 4)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Maps {
    by_name: BTreeMap<String, u32>,
    by_id: HashMap<u32, String>,
    blobs: HashMap<String, Vec<u8>>,
    levels: BTreeMap<u16, Level>,
    points: HashMap<String, Point>,
    empty: HashMap<u8, u8>,
    nested: BTreeMap<i8, BTreeMap<String, bool>>,
    sides: HashMap<i64, Option<Side>>,
}

/// Sets of both kinds, alone and inside a struct in a vector.
#[bcast::typed::message(tag = 5)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Sets {
    #[serde(serialize_with = "sorted_seq")]
    small: BTreeSet<i16>,
    #[serde(serialize_with = "sorted_seq")]
    ids: HashSet<u64>,
    #[serde(serialize_with = "sorted_seq")]
    names: HashSet<String>,
    #[serde(serialize_with = "sorted_seq")]
    empty: HashSet<u8>,
    tagged: Vec<Tagged>,
}

/// Maps and sets large enough for several B-tree levels and hash table groups.
#[bcast::typed::message(tag = 6)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Large {
    tree: BTreeMap<u32, u8>,
    table: HashMap<u32, u16>,
    #[serde(serialize_with = "sorted_seq")]
    tree_set: BTreeSet<u32>,
    #[serde(serialize_with = "sorted_seq")]
    table_set: HashSet<u32>,
}

/// A message with no fields.
#[bcast::typed::message(tag = 7)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Nothing {}

/// Structs, enums, collections.
#[derive(Debug, BcastChannel, Serialize)]
#[serde(untagged)]
enum Shapes {
    Structs(Structs),
    Enums(Enums),
    Lists(Lists),
    Maps(Maps),
    Sets(Sets),
    Large(Large),
    Nothing(Nothing),
}

/// A pod record of mixed widths (24 bytes, no padding).
#[bcast::typed::message(tag = 1, pod)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Tick {
    ts: u64,
    delta: i32,
    price: f32,
    venue: [u8; 8],
}

/// A pod record of nested pod records (88 bytes).
#[bcast::typed::message(tag = 2, pod)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Depth {
    top: PodLevel,
    levels: [PodLevel; 3],
    seq: u64,
}

/// A pod record of the widest integers and pointer-sized ones, in the host's width (64 bytes).
#[bcast::typed::message(tag = 3, pod)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct WidePod {
    id: u128,
    signed: i128,
    value: f64,
    count: usize,
    offset: isize,
    small: [i8; 4],
    half: u16,
    short: i16,
}

/// A pod record of no bytes.
#[bcast::typed::message(tag = 4, pod)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Heartbeat {}

/// An rkyv message beside the pod ones.
#[bcast::typed::message(tag = 5)]
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Note {
    ticks: Vec<u64>,
    text: String,
}

/// Pod records, with one rkyv message.
#[derive(Debug, BcastChannel, Serialize)]
#[serde(untagged)]
enum Records {
    Tick(Tick),
    Depth(Depth),
    WidePod(WidePod),
    Heartbeat(Heartbeat),
    Note(Note),
}

/// A channel whose views become owned values that serialise as their message.
trait TestChannel: Channel + Serialize {
    /// The view's tag and the owned message it shows.
    fn owned(view: &Self::View<'_>) -> Result<(u32, Self), DecodeError>;
}

/// Implements [`TestChannel`] for channels through their views' generated methods.
macro_rules! test_channels {
    ($($channel:ident),* $(,)?) => {$(
        impl TestChannel for $channel {
            fn owned(view: &Self::View<'_>) -> Result<(u32, Self), DecodeError> {
                Ok((view.tag(), view.to_message()?))
            }
        }
    )*};
}

test_channels!(Scalars, Shapes, Records);

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Any value of `T`, or often one of `edges` (the extremes `any` rarely draws).
fn edgy<T>(edges: &[T]) -> impl Strategy<Value = T> + use<T>
where
    T: Arbitrary + Clone + Debug + 'static,
{
    prop_oneof![3 => any::<T>(), 1 => proptest::sample::select(edges.to_vec())]
}

/// An `f32`: any (NaN, infinities and subnormals included) or a notable one.
fn any_f32() -> impl Strategy<Value = f32> {
    edgy(&[0.0, -0.0, 0.1, 1.0 / 3.0, f32::MAX, f32::MIN_POSITIVE, f32::NAN, f32::INFINITY])
}

/// An `f64`: any (NaN, infinities and subnormals included) or a notable one.
fn any_f64() -> impl Strategy<Value = f64> {
    edgy(&[0.0, -0.0, 0.1, 1.0 / 3.0, f64::MAX, f64::MIN_POSITIVE, f64::NAN, f64::NEG_INFINITY])
}

/// A `usize` that rkyv's 4-byte archived `usize` holds.
fn small_usize() -> impl Strategy<Value = usize> {
    edgy(&[0, u32::MAX]).prop_map(|value| usize::try_from(value).expect("a u32 fits a usize"))
}

/// An `isize` that rkyv's 4-byte archived `isize` holds.
fn small_isize() -> impl Strategy<Value = isize> {
    edgy(&[0, i32::MIN, i32::MAX])
        .prop_map(|value| isize::try_from(value).expect("an i32 fits an isize"))
}

/// Strings of any characters (controls, quotes, multi-byte), up to 40 of them.
fn any_chars() -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..40).prop_map(String::from_iter)
}

/// A string: empty, inline in rkyv (at most 8 bytes), exactly 8 bytes, out of line, or of any
/// characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z]{0,8}", "[a-zA-Z0-9]{8}", "[a-z ]{9,40}", any_chars(),]
}

prop_compose! {
    /// A [`Point`].
    fn point()(x in any::<i32>(), y in any_f32()) -> Point {
        Point { x, y }
    }
}

prop_compose! {
    /// A [`Level`].
    fn level()(price in any_f64(), qty in any::<u64>(), venue in text()) -> Level {
        Level { price, qty, venue }
    }
}

prop_compose! {
    /// An [`Inner`].
    fn inner()(
        id in any::<u16>(),
        meters in any::<u32>(),
        pair in any::<(u8, i16)>(),
        name in text(),
    ) -> Inner {
        Inner { id, marker: Marker, meters: Meters(meters), pair: Pair(pair.0, pair.1), name: Name(name) }
    }
}

prop_compose! {
    /// An [`Outer`].
    fn outer()(
        inner in inner(),
        inners in vec(inner(), 0..4),
        level in proptest::option::of(level()),
    ) -> Outer {
        Outer { inner, inners, level }
    }
}

/// A [`Side`].
fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

/// A [`Shape`] of any variant.
fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Dot),
        any_f64().prop_map(Shape::Circle),
        (point(), point()).prop_map(|(from, to)| Shape::Segment(from, to)),
        (point(), any::<u32>(), any::<u32>()).prop_map(|(corner, width, height)| Shape::Rect {
            corner,
            width,
            height
        }),
        (text(), any::<Option<u8>>()).prop_map(|(text, size)| Shape::Label { text, size }),
        Just(Shape::Nothing()),
        Just(Shape::Blank {}),
        side().prop_map(Shape::Sided),
        vec(any::<u16>(), 0..MAX_LEN).prop_map(Shape::Many),
        (any::<u8>(), text(), any::<i128>()).prop_map(|(a, b, c)| Shape::Mixed(a, b, c)),
    ]
}

prop_compose! {
    /// A [`Tagged`].
    fn tagged()(name in text(), tags in hash_set(any::<u16>(), 0..MAX_LEN)) -> Tagged {
        Tagged { name, tags }
    }
}

prop_compose! {
    /// A [`PodLevel`].
    fn pod_level()(
        price in any::<i64>(),
        qty in any::<u32>(),
        venue in any::<u16>(),
        flags in any::<[u8; 2]>(),
    ) -> PodLevel {
        PodLevel { price, qty, venue, flags }
    }
}

prop_compose! {
    /// An [`Unsigned`].
    fn unsigned()(
        a in edgy(&[0, u8::MAX]),
        b in edgy(&[0, u16::MAX]),
        c in edgy(&[0, u32::MAX]),
        d in edgy(&[0, u64::MAX]),
        e in edgy(&[0, u128::MAX, u128::from(u64::MAX) + 1]),
        f in small_usize(),
    ) -> Unsigned {
        Unsigned { a, b, c, d, e, f }
    }
}

prop_compose! {
    /// A [`Signed`].
    fn signed()(
        a in edgy(&[0, i8::MIN, i8::MAX]),
        b in edgy(&[0, i16::MIN, i16::MAX]),
        c in edgy(&[0, i32::MIN, i32::MAX]),
        d in edgy(&[0, i64::MIN, i64::MAX]),
        e in edgy(&[0, -1, i128::MIN, i128::MAX, i128::from(i64::MIN) - 1]),
        f in small_isize(),
    ) -> Signed {
        Signed { a, b, c, d, e, f }
    }
}

prop_compose! {
    /// A [`Floats`].
    fn floats()(
        single in any_f32(),
        double in any_f64(),
        pair in (any_f32(), any_f64()),
        singles in vec(any_f32(), 0..MAX_LEN),
        doubles in vec(any_f64(), 0..MAX_LEN),
    ) -> Floats {
        Floats { single, double, pair, singles, doubles }
    }
}

prop_compose! {
    /// A [`Misc`].
    fn misc()(
        flag in any::<bool>(),
        letter in any::<char>(),
        small in any::<u8>(),
        wide in any::<u128>(),
        flags in vec(any::<bool>(), 0..MAX_LEN),
        letters in vec(any::<char>(), 0..MAX_LEN),
        units in vec(Just(()), 0..MAX_LEN),
    ) -> Misc {
        Misc { flag, letter, nothing: (), small, wide, flags, letters, units }
    }
}

prop_compose! {
    /// A [`Texts`].
    fn texts()(
        inline in "[a-z]{0,8}",
        eight in "[a-zA-Z0-9]{8}",
        long in "[a-z ]{9,40}",
        any in any_chars(),
        boxed in text(),
        list in vec(text(), 0..MAX_LEN),
    ) -> Texts {
        Texts { empty: String::new(), inline, eight, long, any, boxed: boxed.into(), list }
    }
}

prop_compose! {
    /// An [`Options`].
    fn options()(
        byte in any::<Option<u8>>(),
        nested in any::<Option<Option<u8>>>(),
        text in proptest::option::of(text()),
        point in proptest::option::of(point()),
        wide in any::<Option<u128>>(),
        list in proptest::option::of(vec(any::<i32>(), 0..MAX_LEN)),
        side in proptest::option::of(side()),
        options in vec(any::<Option<u32>>(), 0..MAX_LEN),
    ) -> Options {
        Options { byte, nested, text, point, wide, list, side, options }
    }
}

prop_compose! {
    /// A [`Boxes`].
    fn boxes()(
        value in any::<u64>(),
        text in text(),
        slice in vec(any::<u16>(), 0..MAX_LEN),
        point in point(),
        side in side(),
        maybe in proptest::option::of(level()),
        strings in vec(text(), 0..MAX_LEN),
    ) -> Boxes {
        Boxes {
            value: Box::new(value),
            text: text.into(),
            slice: slice.into(),
            point: Box::new(point),
            side: Box::new(side),
            maybe: maybe.map(Box::new),
            strings: strings.into(),
        }
    }
}

prop_compose! {
    /// An [`Arrays`].
    fn arrays()(
        bytes in any::<[u8; 3]>(),
        grid in any::<[[u16; 2]; 3]>(),
        points in [point(), point()],
        strings in [text(), text()],
        wide in any::<[i128; 2]>(),
    ) -> Arrays {
        Arrays { bytes, grid, points, none: [], strings, wide }
    }
}

prop_compose! {
    /// A [`Tuples`].
    fn tuples()(
        pair in (any::<u8>(), text()),
        triple in any::<(u64, i8, bool)>(),
        single in any::<(i16,)>(),
        quad in (any::<char>(), any_f32(), point(), any::<Option<u8>>()),
        list in vec((any::<u32>(), side()), 0..MAX_LEN),
    ) -> Tuples {
        Tuples { pair, triple, single, quad, list }
    }
}

prop_compose! {
    /// A [`Structs`].
    fn structs()(
        point in point(),
        pair in any::<(u8, i16)>(),
        meters in any::<u32>(),
        outer in outer(),
    ) -> Structs {
        Structs {
            point,
            pair: Pair(pair.0, pair.1),
            meters: Meters(meters),
            marker: Marker,
            empty: Empty {},
            outer,
        }
    }
}

prop_compose! {
    /// An [`Enums`].
    fn enums()(
        side in side(),
        shape in shape(),
        shapes in vec(shape(), 0..MAX_LEN),
        maybe in proptest::option::of(shape()),
        boxed in shape(),
    ) -> Enums {
        Enums { side, shape, shapes, maybe, boxed: Box::new(boxed) }
    }
}

prop_compose! {
    /// A [`Lists`].
    fn lists()(
        bytes in vec(any::<u8>(), 0..40),
        words in vec(any::<u64>(), 0..MAX_LEN),
        wide in vec(any::<i128>(), 0..MAX_LEN),
        texts in vec(text(), 0..MAX_LEN),
        levels in vec(level(), 0..MAX_LEN),
        nested in vec(vec(any::<u16>(), 0..MAX_LEN), 0..MAX_LEN),
        options in vec(any::<Option<u32>>(), 0..MAX_LEN),
    ) -> Lists {
        Lists { bytes, words, wide, texts, levels, nested, options, empty: Vec::new() }
    }
}

prop_compose! {
    /// A [`Maps`].
    fn maps()(
        by_name in btree_map(text(), any::<u32>(), 0..MAX_LEN),
        by_id in hash_map(any::<u32>(), text(), 0..MAX_LEN),
        blobs in hash_map(text(), vec(any::<u8>(), 0..MAX_LEN), 0..MAX_LEN),
        levels in btree_map(any::<u16>(), level(), 0..MAX_LEN),
        points in hash_map(text(), point(), 0..MAX_LEN),
        nested in btree_map(any::<i8>(), btree_map(text(), any::<bool>(), 0..4), 0..4),
        sides in hash_map(any::<i64>(), proptest::option::of(side()), 0..MAX_LEN),
    ) -> Maps {
        Maps { by_name, by_id, blobs, levels, points, empty: HashMap::new(), nested, sides }
    }
}

prop_compose! {
    /// A [`Sets`].
    fn sets()(
        small in btree_set(any::<i16>(), 0..MAX_LEN),
        ids in hash_set(any::<u64>(), 0..MAX_LEN),
        names in hash_set(text(), 0..MAX_LEN),
        tagged in vec(tagged(), 0..4),
    ) -> Sets {
        Sets { small, ids, names, empty: HashSet::new(), tagged }
    }
}

prop_compose! {
    /// A [`Large`]: up to 300 entries each.
    fn large()(
        tree in btree_map(any::<u32>(), any::<u8>(), 0..300),
        table in hash_map(any::<u32>(), any::<u16>(), 0..300),
        tree_set in btree_set(any::<u32>(), 0..300),
        table_set in hash_set(any::<u32>(), 0..300),
    ) -> Large {
        Large { tree, table, tree_set, table_set }
    }
}

prop_compose! {
    /// A [`Tick`].
    fn tick()(
        ts in any::<u64>(),
        delta in any::<i32>(),
        price in any_f32(),
        venue in any::<[u8; 8]>(),
    ) -> Tick {
        Tick { ts, delta, price, venue }
    }
}

prop_compose! {
    /// A [`Depth`].
    fn depth()(top in pod_level(), levels in [pod_level(), pod_level(), pod_level()], seq in any::<u64>()) -> Depth {
        Depth { top, levels, seq }
    }
}

prop_compose! {
    /// A [`WidePod`]: pointer-sized fields of any value (a pod record holds the host's bytes).
    fn wide_pod()(
        id in edgy(&[0, u128::MAX]),
        signed in edgy(&[0, i128::MIN, i128::MAX]),
        value in any_f64(),
        count in edgy(&[0, usize::MAX]),
        offset in edgy(&[0, isize::MIN, isize::MAX]),
        small in any::<[i8; 4]>(),
        half in any::<u16>(),
        short in any::<i16>(),
    ) -> WidePod {
        WidePod { id, signed, value, count, offset, small, half, short }
    }
}

prop_compose! {
    /// A [`Note`].
    fn note()(ticks in vec(any::<u64>(), 0..MAX_LEN), text in text()) -> Note {
        Note { ticks, text }
    }
}

// ---------------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------------

/// A channel on a heap ring, read both by a typed subscriber and by a raw reader whose frames
/// the [`Decoder`] renders.
struct Harness<C: Channel> {
    publisher: Publisher<C>,
    subscriber: Subscriber<C>,
    raw: Reader,
    decoder: Decoder,
    /// The raw reader's buffer, of its ring's mtu.
    buf: Vec<u8>,
}

impl<C: TestChannel> Harness<C> {
    /// A publisher, a subscriber, a raw reader and a decoder on a fresh 64 KiB ring.
    fn new() -> Self {
        let ring = RingBuffer::with_capacity(1 << 16);
        let publisher = Publisher::<C>::new(ring.clone()).expect("a publisher");
        let subscriber = Subscriber::<C>::new(ring.clone()).expect("a subscriber");
        let raw = ring.clone().into_reader();
        let decoder = Decoder::read_from(&ring).expect("the channel describes itself");
        let buf = vec![0; raw.mtu()];
        Self { publisher, subscriber, raw, decoder, buf }
    }

    /// Publishes `message` and returns its frame's tag and payload, as the raw reader reads
    /// it (the subscriber skips it).
    fn frame<M: TypedMessage + InChannel<C>>(&mut self, message: &M) -> (u32, Vec<u8>) {
        self.publisher.publish(message).expect("publish");
        let frame = self.raw.try_recv(&mut self.buf).expect("read").expect("one frame");
        while self.subscriber.try_recv().expect("typed read").is_some() {}
        (frame.tag, self.buf[..frame.len].to_vec())
    }

    /// Publishes `sent`, reads it back through the subscriber and as a raw frame, and checks
    /// that the owned message, the decoded value and `sent` render alike.
    fn check<M>(&mut self, sent: &M) -> Result<(), TestCaseError>
    where
        M: TypedMessage + InChannel<C> + Serialize,
    {
        let name = type_name::<M>();
        self.publisher.publish(sent).map_err(|error| fail(name, "publish", error))?;
        // Both reads come before any verdict, so that a failed case leaves no frame behind.
        let typed = self.subscriber.try_recv().map(|view| view.as_ref().map(C::owned));
        let frame = self.raw.try_recv(&mut self.buf);
        let (tag, owned) = typed
            .map_err(|error| fail(name, "typed read", error))?
            .ok_or_else(|| fail(name, "typed read", "no message"))?
            .map_err(|error| fail(name, "to_message", error))?;
        let frame = frame
            .map_err(|error| fail(name, "raw read", error))?
            .ok_or_else(|| fail(name, "raw read", "no frame"))?;
        prop_assert_eq!((tag, frame.tag), (M::TAG, M::TAG), "{}: tags", name);

        let expected = canonical_json(sent);
        let owned = canonical_json(&owned);
        same(name, "the owned message (a)", &owned, "the message sent", &expected)?;

        let payload = &self.buf[..frame.len];
        let decoded = self.decoder.decode(frame.tag, payload);
        let decoded = decoded.map_err(|error| fail(name, "decode", error))?;
        let decoded = canonical_json(&sorted_sets(decoded));
        same(name, "the decoded value (b)", &decoded, "the owned message (a)", &owned)?;

        // The decoder reads payloads at any address: one byte past an aligned buffer's start.
        let mut shifted = vec![0; payload.len() + 1];
        shifted[1..].copy_from_slice(payload);
        let moved = self.decoder.decode(frame.tag, &shifted[1..]);
        let moved = moved.map_err(|error| fail(name, "decode at an odd address", error))?;
        let moved = canonical_json(&sorted_sets(moved));
        same(name, "the value decoded at an odd address", &moved, "at its own", &decoded)
    }
}

/// A test case failure: `what` failed for message type `name`.
fn fail(name: &str, what: &str, error: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(format!("{name}: {what}: {error}"))
}

/// Fails unless two canonical texts are equal, naming the first difference.
fn same(
    name: &str,
    left_name: &str,
    left: &str,
    right_name: &str,
    right: &str,
) -> Result<(), TestCaseError> {
    if left == right {
        return Ok(());
    }
    let at = left.bytes().zip(right.bytes()).take_while(|(a, b)| a == b).count();
    let context = |text: &str| {
        let mut start = at.saturating_sub(40);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        text[start..].chars().take(80).collect::<String>()
    };
    Err(TestCaseError::fail(format!(
        "{name}: {left_name} differs from {right_name} at byte {at}\n  \
         {left_name}: ...{}...\n  {right_name}: ...{}...\n  \
         {left_name} in full: {left}\n  {right_name} in full: {right}",
        context(left),
        context(right),
    )))
}

/// `value` with the elements of every set, at any depth, sorted by their canonical JSON text:
/// the order `sorted_seq` gives the owned messages' sets.
fn sorted_sets(value: Value) -> Value {
    let fields = |fields: Fields| match fields {
        Fields::Named(fields) => Fields::Named(
            fields.into_iter().map(|(name, value)| (name, sorted_sets(value))).collect(),
        ),
        Fields::Tuple(fields) => Fields::Tuple(fields.into_iter().map(sorted_sets).collect()),
        Fields::Unit => Fields::Unit,
    };
    match value {
        Value::Set(items) => {
            let mut items: Vec<(String, Value)> = items
                .into_iter()
                .map(sorted_sets)
                .map(|item| (canonical_json(&item), item))
                .collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Set(items.into_iter().map(|(_, item)| item).collect())
        }
        Value::List(items) => Value::List(items.into_iter().map(sorted_sets).collect()),
        Value::Tuple(items) => Value::Tuple(items.into_iter().map(sorted_sets).collect()),
        Value::Option(item) => Value::Option(item.map(|item| Box::new(sorted_sets(*item)))),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (sorted_sets(key), sorted_sets(value)))
                .collect(),
        ),
        Value::Struct { name, fields: inner } => Value::Struct { name, fields: fields(inner) },
        Value::Enum { name, variant, fields: inner } => {
            Value::Enum { name, variant, fields: fields(inner) }
        }
        other => other,
    }
}

/// Runs [`CASES`] values of `strategy` through [`Harness::check`] on one channel of `C`.
///
/// # Panics
///
/// On the first failing case (after shrinking it), naming the type and the difference.
fn round_trips<C, M>(strategy: impl Strategy<Value = M>)
where
    C: TestChannel,
    M: TypedMessage + InChannel<C> + Serialize + Debug,
{
    let harness = RefCell::new(Harness::<C>::new());
    let mut config = ProptestConfig::with_cases(CASES);
    // Failures print their minimal input; no regression files.
    config.failure_persistence = None;
    let mut runner = TestRunner::new(config);
    if let Err(error) = runner.run(&strategy, |sent| harness.borrow_mut().check(&sent)) {
        panic!("{}: {error}", type_name::<M>());
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests: one per message type
// ---------------------------------------------------------------------------------------------

#[test]
fn unsigned_integers_decode_as_sent() {
    round_trips::<Scalars, _>(unsigned());
}

#[test]
fn signed_integers_decode_as_sent() {
    round_trips::<Scalars, _>(signed());
}

#[test]
fn floats_decode_as_sent() {
    round_trips::<Scalars, _>(floats());
}

#[test]
fn bools_chars_and_units_decode_as_sent() {
    round_trips::<Scalars, _>(misc());
}

#[test]
fn strings_decode_as_sent() {
    round_trips::<Scalars, _>(texts());
}

#[test]
fn options_decode_as_sent() {
    round_trips::<Scalars, _>(options());
}

#[test]
fn boxes_decode_as_their_content() {
    round_trips::<Scalars, _>(boxes());
}

#[test]
fn arrays_decode_as_sent() {
    round_trips::<Scalars, _>(arrays());
}

#[test]
fn tuples_decode_as_sent() {
    round_trips::<Scalars, _>(tuples());
}

#[test]
fn structs_of_every_style_decode_as_sent() {
    round_trips::<Shapes, _>(structs());
}

#[test]
fn enums_of_every_variant_style_decode_as_sent() {
    round_trips::<Shapes, _>(enums());
}

#[test]
fn vectors_decode_as_sent() {
    round_trips::<Shapes, _>(lists());
}

#[test]
fn maps_decode_as_sent() {
    round_trips::<Shapes, _>(maps());
}

#[test]
fn sets_decode_as_sent() {
    round_trips::<Shapes, _>(sets());
}

#[test]
fn large_maps_and_sets_decode_as_sent() {
    round_trips::<Shapes, _>(large());
}

#[test]
fn a_message_without_fields_decodes_as_sent() {
    round_trips::<Shapes, _>(Just(Nothing {}));
}

#[test]
fn pod_records_decode_as_sent() {
    round_trips::<Records, _>(tick());
}

#[test]
fn nested_pod_records_decode_as_sent() {
    round_trips::<Records, _>(depth());
}

#[test]
fn wide_pod_records_decode_as_sent() {
    round_trips::<Records, _>(wide_pod());
}

#[test]
fn an_empty_pod_record_decodes_as_sent() {
    round_trips::<Records, _>(Just(Heartbeat {}));
}

#[test]
fn rkyv_messages_beside_pod_ones_decode_as_sent() {
    round_trips::<Records, _>(note());
}

// ---------------------------------------------------------------------------------------------
// What the canonical form leaves out, checked on the values themselves
// ---------------------------------------------------------------------------------------------

/// An [`Options`] with `nested` set to `nested`, its other fields empty.
fn options_with(nested: Option<Option<u8>>) -> Options {
    Options {
        byte: None,
        nested,
        text: None,
        point: None,
        wide: None,
        list: None,
        side: None,
        options: Vec::new(),
    }
}

#[test]
fn options_of_options_keep_their_levels() {
    // JSON renders `None` and `Some(None)` alike: the values must still differ.
    let mut harness = Harness::<Scalars>::new();
    let cases = [
        (None, Value::Option(None)),
        (Some(None), Value::Option(Some(Box::new(Value::Option(None))))),
        (
            Some(Some(7)),
            Value::Option(Some(Box::new(Value::Option(Some(Box::new(Value::Unsigned(7))))))),
        ),
    ];
    for (nested, expected) in cases {
        let (tag, payload) = harness.frame(&options_with(nested));
        let value = harness.decoder.decode(tag, &payload).expect("decode");
        assert_eq!(value.field("nested"), Some(&expected), "{nested:?}");
    }
}

#[test]
fn btree_sets_decode_in_order_and_values_keep_their_kinds() {
    // The property tests compare sets sorted by their text; a B-tree set comes in its order.
    let mut harness = Harness::<Shapes>::new();
    let small: BTreeSet<i16> = [-300, -2, 0, 9, 10, 1000].into();
    let sets = Sets {
        small: small.clone(),
        ids: HashSet::new(),
        names: HashSet::new(),
        empty: HashSet::new(),
        tagged: Vec::new(),
    };
    let (tag, payload) = harness.frame(&sets);
    let value = harness.decoder.decode(tag, &payload).expect("decode");
    let expected = Value::Set(small.iter().map(|&n| Value::Signed(i128::from(n))).collect());
    assert_eq!(value.field("small"), Some(&expected));

    // Kinds JSON does not show: a struct's name, an enum's variant, a tuple against a list.
    let Value::Struct { name, .. } = &value else { panic!("a struct: {value}") };
    assert_eq!(name, "Sets");
    let tuples = Tuples {
        pair: (1, "a".into()),
        triple: (2, -3, true),
        single: (4,),
        quad: ('x', 0.5, Point { x: 1, y: 2.0 }, None),
        list: vec![(5, Side::Sell)],
    };
    let mut harness = Harness::<Scalars>::new();
    let (tag, payload) = harness.frame(&tuples);
    let value = harness.decoder.decode(tag, &payload).expect("decode");
    assert_eq!(
        value.field("pair"),
        Some(&Value::Tuple(vec![Value::Unsigned(1), Value::String("a".into())]))
    );
    let sell = Value::Enum { name: "Side".into(), variant: "Sell".into(), fields: Fields::Unit };
    assert_eq!(
        value.field("list"),
        Some(&Value::List(vec![Value::Tuple(vec![Value::Unsigned(5), sell])]))
    );
    let point = Value::Struct {
        name: "Point".into(),
        fields: Fields::Named(vec![("x".into(), Value::Signed(1)), ("y".into(), Value::F32(2.0))]),
    };
    let quad = [Value::Char('x'), Value::F32(0.5), point, Value::Option(None)];
    assert_eq!(value.field("quad"), Some(&Value::Tuple(quad.into())));
}

// ---------------------------------------------------------------------------------------------
// Frames that are not what their tag says
// ---------------------------------------------------------------------------------------------

/// A [`Texts`] with data in every field: a frame with many relative pointers.
fn rich_texts() -> Texts {
    Texts {
        empty: String::new(),
        inline: "abc".into(),
        eight: "12345678".into(),
        long: "a string too long to be inline".into(),
        any: "é\"\\\n\u{1f600}".into(),
        boxed: "boxed and long enough to be out of line".into(),
        list: vec!["x".into(), "a longer element of the list".into(), String::new()],
    }
}

/// An [`Enums`] with data in every field.
fn rich_enums() -> Enums {
    let point = Point { x: -1, y: 2.5 };
    Enums {
        side: Side::Sell,
        shape: Shape::Label { text: "a label that is out of line".into(), size: Some(3) },
        shapes: vec![Shape::Dot, Shape::Many(vec![1, 2, 3]), Shape::Segment(point.clone(), point)],
        maybe: Some(Shape::Mixed(1, "mixed".into(), -5)),
        boxed: Box::new(Shape::Sided(Side::Buy)),
    }
}

#[test]
fn unknown_tags_are_errors() {
    let mut harness = Harness::<Scalars>::new();
    let (tag, payload) = harness.frame(&rich_texts());
    assert_eq!(tag, Texts::TAG);
    for wrong in [0, 10, 99, u32::MAX] {
        let error = harness.decoder.decode(wrong, &payload).expect_err("an unknown tag");
        assert!(matches!(error, FrameError::UnknownTag { tag } if tag == wrong), "{error:?}");
    }
}

#[test]
fn frames_under_another_types_tag_are_refused_or_decoded_never_a_panic() {
    let mut harness = Harness::<Records>::new();
    let tick = Tick { ts: 1, delta: -2, price: 3.5, venue: *b"XCMEXEUR" };
    let (_, tick) = harness.frame(&tick);
    let (_, note) = harness.frame(&Note { ticks: vec![1, 2, 3], text: "a note".into() });
    // A pod record of another size.
    for tag in [Depth::TAG, WidePod::TAG, Heartbeat::TAG] {
        let error = harness.decoder.decode(tag, &tick).expect_err("a pod record of another size");
        assert!(matches!(error, FrameError::Size { found: 24, .. }), "{tag}: {error:?}");
    }
    // Any other reading ends in a value or an error.
    for tag in [Note::TAG, Tick::TAG, Depth::TAG] {
        let _ = harness.decoder.decode(tag, &tick);
        let _ = harness.decoder.decode(tag, &note);
    }
}

#[test]
fn every_truncated_frame_is_an_error() {
    let mut scalars = Harness::<Scalars>::new();
    let mut shapes = Harness::<Shapes>::new();
    let mut records = Harness::<Records>::new();
    let frames = [
        scalars.frame(&rich_texts()),
        shapes.frame(&rich_enums()),
        records.frame(&Depth {
            top: PodLevel { price: 1, qty: 2, venue: 3, flags: [4, 5] },
            levels: [PodLevel { price: -1, qty: 0, venue: 9, flags: [0, 1] }; 3],
            seq: 7,
        }),
    ];
    let decoders = [&scalars.decoder, &shapes.decoder, &records.decoder];
    for ((tag, payload), decoder) in frames.iter().zip(decoders) {
        assert!(decoder.decode(*tag, payload).is_ok(), "the whole frame decodes");
        for len in 0..payload.len() {
            let result = decoder.decode(*tag, &payload[..len]);
            assert!(result.is_err(), "tag {tag}: {len} of {} bytes gave {result:?}", payload.len());
        }
    }
}

#[test]
fn frames_with_any_byte_changed_decode_or_fail_never_panic() {
    let mut scalars = Harness::<Scalars>::new();
    let mut shapes = Harness::<Shapes>::new();
    let mut records = Harness::<Records>::new();
    let large = Large {
        tree: (0..40u8).map(|n| (u32::from(n) * 7, n)).collect(),
        table: (0..40u16).map(|n| (u32::from(n) * 3, n)).collect(),
        tree_set: (0..40).collect(),
        table_set: (0..40).map(|n| n * 11).collect(),
    };
    let note = Note { ticks: vec![1, 2], text: "a note long enough".into() };
    let frames = [
        scalars.frame(&rich_texts()),
        shapes.frame(&rich_enums()),
        shapes.frame(&large),
        records.frame(&note),
    ];
    let decoders = [&scalars.decoder, &shapes.decoder, &shapes.decoder, &records.decoder];
    for ((tag, payload), decoder) in frames.into_iter().zip(decoders) {
        for at in 0..payload.len() {
            for change in [0x01, 0x80, 0xff] {
                let mut bytes = payload.clone();
                bytes[at] ^= change;
                // Ok or Err; a panic fails the test.
                let _ = decoder.decode(tag, &bytes);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The canonical form itself
// ---------------------------------------------------------------------------------------------

/// A struct serialised through `serialize_struct`, compared with the same content as a map.
#[derive(Serialize)]
struct Sample {
    zeta: u8,
    alpha: Vec<i8>,
    text: &'static str,
}

/// A [`Sample`] serialised through `serialize_map`, its entries in another order.
struct AsMap<'a>(&'a Sample);

impl Serialize for AsMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("zeta", &self.0.zeta)?;
        map.serialize_entry("text", &self.0.text)?;
        map.serialize_entry("alpha", &self.0.alpha)?;
        map.end()
    }
}

/// A unit-only enum and one of every other variant style, for the external tags.
#[derive(Serialize)]
enum Styles {
    Unit,
    Newtype(u8),
    Tuple(u8, bool),
    Struct { a: u8 },
}

#[test]
fn canonical_integers_are_exact() {
    assert_eq!(canonical_json(&u128::MAX), "340282366920938463463374607431768211455");
    assert_eq!(canonical_json(&i128::MIN), "-170141183460469231731687303715884105728");
    assert_eq!(canonical_json(&u64::MAX), "18446744073709551615");
    assert_eq!(canonical_json(&-1i8), "-1");
}

#[test]
fn canonical_floats_keep_their_width() {
    assert_eq!(canonical_json(&0.1f32), "0.1");
    assert_eq!(canonical_json(&0.1f64), "0.1");
    // The same f32 widened: another value, another text.
    assert_eq!(canonical_json(&f64::from(0.1f32)), "0.10000000149011612");
    assert_ne!(canonical_json(&f64::from(0.1f32)), canonical_json(&0.1f32));
    assert_eq!(canonical_json(&-0.0f64), "-0.0");
    assert_eq!(canonical_json(&1e300f64), "1e300");
    assert_eq!(canonical_json(&[f32::NAN, f32::INFINITY]), r#"["NaN","inf"]"#);
    assert_eq!(canonical_json(&f64::NEG_INFINITY), r#""-inf""#);
}

#[test]
fn canonical_strings_are_escaped() {
    assert_eq!(canonical_json("a\"b\\c\nd\u{1}é"), r#""a\"b\\c\nd\u0001é""#);
    assert_eq!(canonical_json(&'"'), r#""\"""#);
    assert_eq!(canonical_json(&'\u{1f600}'), "\"\u{1f600}\"");
}

#[test]
fn canonical_maps_do_not_depend_on_order_or_kind() {
    let entries = [(3u32, "c"), (1, "a"), (2, "b")];
    let hash: HashMap<u32, &str> = entries.into();
    let tree: BTreeMap<u32, &str> = entries.into();
    assert_eq!(canonical_json(&hash), canonical_json(&tree));
    // Keys that are not strings: sorted [key, value] pairs.
    assert_eq!(canonical_json(&tree), r#"[[1,"a"],[2,"b"],[3,"c"]]"#);
    // String keys: an object with sorted keys.
    let by_name: HashMap<&str, u32> = [("b", 2), ("a", 1), ("c", 3)].into();
    assert_eq!(canonical_json(&by_name), r#"{"a":1,"b":2,"c":3}"#);
}

#[test]
fn a_struct_renders_as_a_map_of_its_fields() {
    let sample = Sample { zeta: 1, alpha: vec![-1, 2], text: "t" };
    assert_eq!(canonical_json(&sample), r#"{"alpha":[-1,2],"text":"t","zeta":1}"#);
    assert_eq!(canonical_json(&sample), canonical_json(&AsMap(&sample)));
}

#[test]
fn canonical_enums_options_and_units_follow_serde_json() {
    assert_eq!(canonical_json(&Styles::Unit), r#""Unit""#);
    assert_eq!(canonical_json(&Styles::Newtype(1)), r#"{"Newtype":1}"#);
    assert_eq!(canonical_json(&Styles::Tuple(1, true)), r#"{"Tuple":[1,true]}"#);
    assert_eq!(canonical_json(&Styles::Struct { a: 1 }), r#"{"Struct":{"a":1}}"#);
    assert_eq!(canonical_json(&(None::<u8>, Some(3u8), (), Marker)), "[null,3,null,null]");
    assert_eq!(canonical_json(&Meters(9)), "9");
    assert_eq!(canonical_json(&Pair(1, -2)), "[1,-2]");
    assert_eq!(canonical_json(&Empty {}), "{}");
    // A HashSet field through `sorted_seq`: sorted by text, whatever the iteration order.
    let tagged = Tagged { name: "n".into(), tags: [10, 9, 100].into() };
    assert_eq!(canonical_json(&tagged), r#"{"name":"n","tags":[10,100,9]}"#);
}

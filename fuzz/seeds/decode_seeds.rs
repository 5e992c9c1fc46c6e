//! Writes the seed corpus of the `decode` fuzz target into the directory given as the first
//! argument: real frames of real message types, published through a typed channel on a heap
//! ring, each with the channel's description, in the target's input layout (see
//! `fuzz_targets/decode.rs`):
//!
//! ```text
//! n: u16 LE | n bytes: description | flags: u8 | selector: u32 LE | payload
//! ```
//!
//! The seeds are deterministic (a `HashMap` of at most one entry, nothing random), so the
//! corpus is generated, not committed:
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --bin decode_seeds -- DIR
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::error::Error;
use std::path::PathBuf;

use bcast::RingBuffer;
use bcast::typed::description::Description;
use bcast::typed::{CodecKind, Publisher, Registry, RkyvFormat};

/// An enum with data (rkyv).
#[bcast::typed::schema]
enum Figure {
    Circle { radius: f64 },
    Rect(u32, u32),
    Empty,
}

/// A nested struct (rkyv).
#[bcast::typed::schema]
struct Inner {
    id: u64,
    label: Box<str>,
    tags: Vec<u32>,
}

/// Tag 1: most kinds of field.
#[bcast::typed::message(tag = 1)]
struct Everything {
    name: String,
    values: Vec<u32>,
    maybe: Option<f64>,
    figure: Figure,
    counts: BTreeMap<String, u32>,
    names: HashMap<u32, String>,
    inner: Inner,
    note: Box<str>,
}

/// Tag 2: a pod record.
#[bcast::typed::message(tag = 2, pod)]
#[repr(C)]
struct Tick {
    price: f64,
    qty: u32,
    venue: u32,
}

/// Tag 3: small primitives, a tuple and an array.
#[bcast::typed::message(tag = 3)]
struct Small {
    flag: bool,
    letter: char,
    pair: (i16, u8),
    array: [u16; 3],
    big: u128,
    wide: usize,
}

/// Tag 4: containers of structs.
#[bcast::typed::message(tag = 4)]
struct Nested {
    items: Vec<Inner>,
    best: Option<Box<Inner>>,
    seen: BTreeSet<i64>,
    figures: Vec<Figure>,
}

#[derive(bcast::BcastChannel)]
enum Seeds {
    Everything(Everything),
    Tick(Tick),
    Small(Small),
    Nested(Nested),
}

fn inner(id: u64, label: &str, tags: &[u32]) -> Inner {
    Inner { id, label: label.into(), tags: tags.to_vec() }
}

/// Publishes a few values of every type.
fn publish(publisher: &mut Publisher<Seeds>) -> Result<(), Box<dyn Error>> {
    publisher.publish(&Everything {
        name: String::new(),
        values: Vec::new(),
        maybe: None,
        figure: Figure::Empty,
        counts: BTreeMap::new(),
        names: HashMap::new(),
        inner: inner(0, "", &[]),
        note: "".into(),
    })?;
    publisher.publish(&Everything {
        name: "ES".into(),
        values: vec![1, 2, 3, u32::MAX],
        maybe: Some(1.5),
        figure: Figure::Circle { radius: 2.25 },
        counts: (0..7).map(|i| (format!("key{i}"), i)).collect(),
        names: HashMap::from([(7, "seven".into())]),
        inner: inner(42, "inner label", &[9, 8, 7]),
        note: "a note longer than eight bytes".into(),
    })?;
    publisher.publish(&Everything {
        name: "ü€😀".into(),
        values: (0..40).collect(),
        maybe: Some(f64::NAN),
        figure: Figure::Rect(3, 4),
        counts: BTreeMap::from([("a".into(), 1)]),
        names: HashMap::new(),
        inner: inner(u64::MAX, "x", &[0]),
        note: "n".into(),
    })?;
    publisher.publish(&Tick { price: 101.25, qty: 10, venue: 3 })?;
    publisher.publish(&Tick { price: -0.0, qty: 0, venue: u32::MAX })?;
    publisher.publish(&Small {
        flag: true,
        letter: 'λ',
        pair: (-2, 200),
        array: [1, 2, 3],
        big: u128::MAX - 1,
        wide: 123_456,
    })?;
    publisher.publish(&Small {
        flag: false,
        letter: '\0',
        pair: (i16::MIN, 0),
        array: [0; 3],
        big: 0,
        wide: 0,
    })?;
    publisher.publish(&Nested {
        items: vec![inner(1, "one", &[1]), inner(2, "two", &[2, 2])],
        best: Some(Box::new(inner(3, "best", &[]))),
        seen: (-20..20).collect(),
        figures: vec![Figure::Empty, Figure::Rect(1, 2), Figure::Circle { radius: 0.5 }],
    })?;
    publisher.publish(&Nested {
        items: Vec::new(),
        best: None,
        seen: BTreeSet::new(),
        figures: Vec::new(),
    })?;
    Ok(())
}

/// The target's flags byte for frames of `codec` archived in `format`.
fn flags(codec: CodecKind, format: RkyvFormat) -> u8 {
    let width = match format.usize_bytes {
        2 => 1,
        8 => 2,
        _ => 0,
    };
    u8::from(codec == CodecKind::Pod)
        | width << 1
        | u8::from(format.big_endian) << 3
        | u8::from(format.unaligned) << 4
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        return Err("usage: decode_seeds DIR".into());
    };
    std::fs::create_dir_all(&dir)?;

    let ring = RingBuffer::with_capacity(1 << 16);
    let mut reader = ring.clone().into_reader();
    let mut publisher = Publisher::<Seeds>::new(ring.clone())?;
    publish(&mut publisher)?;

    let description = Description::read_from(&ring)?.ok_or("the ring has no description")?;
    let registry = Registry::read_from(&ring)?.ok_or("the ring has no registry")?;
    let described = description.to_bytes();
    let length = u16::try_from(described.len())?;

    let mut buf = vec![0u8; reader.mtu()];
    let mut written = 0;
    while let Some(received) = reader.try_recv(&mut buf)? {
        let selector = description
            .types()
            .iter()
            .position(|&(tag, _)| tag == received.tag)
            .ok_or("a frame of an undescribed type")?;
        let codec = registry
            .types
            .iter()
            .find(|entry| entry.tag == received.tag)
            .ok_or("a frame of an unregistered type")?
            .codec;
        let mut seed = Vec::with_capacity(7 + described.len() + received.len);
        seed.extend_from_slice(&length.to_le_bytes());
        seed.extend_from_slice(&described);
        seed.push(flags(codec, registry.rkyv_format));
        seed.extend_from_slice(&u32::try_from(selector)?.to_le_bytes());
        seed.extend_from_slice(&buf[..received.len]);
        std::fs::write(dir.join(format!("seed-{written:02}-tag{}", received.tag)), &seed)?;
        written += 1;
    }
    if written == 0 {
        return Err("no frame was read back".into());
    }
    println!("{written} seeds in {}", dir.display());
    Ok(())
}

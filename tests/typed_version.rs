//! Message versions: declared with `version = N`, stamped on every frame, part of the type's
//! shape, fingerprint and schema description; a subscriber of an incompatible version is
//! refused with both versions named.

use bcast::RingBuffer;
use bcast::typed::description::{Description, Node};
use bcast::typed::shape::Kind;
use bcast::typed::{Publisher, Schema, Subscriber, TypedMessage, TypedOpenError};

mod unversioned {
    /// A quote of no declared version.
    #[bcast::typed::message(tag = 1)]
    pub(crate) struct Quote {
        pub(crate) bid: f64,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Quote(Quote),
    }
}

mod v1 {
    /// The same quote, declared as version 1.
    #[bcast::typed::message(tag = 1, version = 1)]
    pub(crate) struct Quote {
        pub(crate) bid: f64,
    }
    /// A pod trade at version 3.
    #[bcast::typed::message(tag = 2, version = 3, pod)]
    pub(crate) struct Trade {
        pub(crate) qty: u64,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Quote(Quote),
        Trade(Trade),
    }
}

mod v2 {
    /// The quote at version 2, which added `ask`.
    #[bcast::typed::message(tag = 1, version = 2)]
    pub(crate) struct Quote {
        pub(crate) bid: f64,
        #[bcast(since = 2)]
        pub(crate) ask: f64,
    }
    /// The same fields, but `ask` claimed by the first version.
    #[bcast::typed::message(tag = 1, version = 2)]
    pub(crate) struct Unmarked {
        pub(crate) bid: f64,
        pub(crate) ask: f64,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Quote(Quote),
        Trade(super::v1::Trade),
    }
}

#[test]
fn a_declared_version_is_the_types_and_its_shapes() {
    assert_eq!((unversioned::Quote::VERSION, v1::Quote::VERSION), (0, 1));
    assert_eq!((v2::Quote::VERSION, v1::Trade::VERSION), (2, 3));
    let Kind::Struct(quote) = v2::Quote::SHAPE.kind() else { unreachable!() };
    assert_eq!(quote.version(), 2);
    let since: Vec<u16> = quote.fields().iter().map(|field| field.since()).collect();
    assert_eq!(since, [0, 2], "0 for the first version's fields");
    assert_ne!(v2::Quote::SHAPE.fingerprint(), v2::Unmarked::SHAPE.fingerprint());
    // The version is part of the fingerprint; an unversioned type's is what it always was.
    let fingerprints =
        [unversioned::Quote::SHAPE, v1::Quote::SHAPE, v2::Quote::SHAPE].map(|s| s.fingerprint());
    assert_ne!(fingerprints[0], fingerprints[1]);
    assert_ne!(fingerprints[1], fingerprints[2]);
}

#[test]
fn publishers_stamp_their_types_version_on_every_frame() -> Result<(), Box<dyn std::error::Error>> {
    let ring = RingBuffer::with_capacity(4096);
    let mut publisher = Publisher::<v1::Feed>::new(ring.clone())?;
    let mut reader = ring.clone().into_reader();
    let mut subscriber = Subscriber::<v1::Feed>::new(ring)?;
    publisher.publish(&v1::Quote { bid: 1.0 })?;
    publisher.publish(&v1::Trade { qty: 5 })?;
    let mut buf = [0; 64];
    let versions: Vec<(u32, u16)> = std::iter::from_fn(|| reader.try_recv(&mut buf).ok().flatten())
        .map(|received| (received.tag, received.version))
        .collect();
    assert_eq!(versions, [(1, 1), (2, 3)]);
    let metas: Vec<u16> = subscriber
        .batch_iter()
        .with_meta()
        .map(|item| item.map(|(meta, _)| meta.version))
        .collect::<Result<_, _>>()?;
    assert_eq!(metas, [1, 3]);
    // Raw writers and unversioned types stamp 0.
    let ring = RingBuffer::with_capacity(4096);
    let mut publisher = Publisher::<unversioned::Feed>::new(ring.clone())?;
    let mut reader = ring.into_reader();
    publisher.publish(&unversioned::Quote { bid: 1.0 })?;
    let message = reader.batch_iter().next().expect("published")?;
    assert_eq!(message.version(), 0);
    Ok(())
}

#[test]
fn descriptions_carry_versions_and_stay_in_the_first_format_without_them()
-> Result<(), Box<dyn std::error::Error>> {
    let versioned = Description::of(<v1::Feed as bcast::typed::Channel>::SHAPES);
    let bytes = versioned.to_bytes();
    assert_eq!(bytes[..2], 2u16.to_le_bytes(), "format 2 for versioned types");
    let read = Description::decode(&bytes)?;
    assert_eq!(read, versioned);
    let versions: Vec<u16> = [1, 2]
        .map(|tag| match read.node(read.root(tag).expect("described")) {
            Node::Struct { version, .. } => *version,
            other => panic!("{other:?}"),
        })
        .to_vec();
    assert_eq!(versions, [1, 3]);
    let quote = Description::of(&[(1, &v2::Quote::SHAPE)]);
    let read = Description::decode(&quote.to_bytes())?;
    let Node::Struct { fields, .. } = read.node(read.root(1).expect("described")) else {
        unreachable!()
    };
    let since: Vec<(&str, u16)> = fields.iter().map(|f| (f.name.as_str(), f.since)).collect();
    assert_eq!(since, [("bid", 0), ("ask", 2)]);
    assert_eq!(read.fingerprint(read.root(1).expect("described")), v2::Quote::SHAPE.fingerprint());
    // The version block: the struct's version, then each field's `since`. A field of a version
    // past the struct's, of version 1 (written as 0), or before an earlier one is malformed.
    let bytes = quote.to_bytes();
    let at = bytes.windows(6).position(|w| w == [2, 0, 0, 0, 2, 0]).expect("the version block");
    for since in [[0u8, 3], [0, 1], [2, 0]] {
        let mut bad = bytes.clone();
        (bad[at + 2], bad[at + 4]) = (since[0], since[1]);
        assert!(Description::decode(&bad).is_err(), "fields since {since:?}");
    }
    // Descriptions without a versioned type are read by builds from before versions.
    let plain = Description::of(<unversioned::Feed as bcast::typed::Channel>::SHAPES).to_bytes();
    assert_eq!(plain[..2], 1u16.to_le_bytes());
    // A versioned struct claiming version 0 is malformed: the two encodings of `Quote` differ
    // in its flags byte (versioned), followed by its version.
    let one = Description::of(&[(1, &v1::Quote::SHAPE)]).to_bytes();
    let none = Description::of(&[(1, &unversioned::Quote::SHAPE)]).to_bytes();
    let at = (2..none.len()).find(|&i| one[i] != none[i]).expect("the flags byte");
    assert_eq!((one[at], &one[at + 1..at + 3]), (2, &[1, 0][..]));
    let mut zero = one.clone();
    zero[at + 1] = 0;
    assert!(Description::decode(&zero).is_err());
    Ok(())
}

mod unmarked {
    /// Version 2 of the quote, with `ask` not marked as added by it.
    #[bcast::typed::message(tag = 1, version = 2)]
    pub(crate) struct Quote {
        pub(crate) bid: f64,
        pub(crate) ask: f64,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Quote(Quote),
        Trade(super::v1::Trade),
    }
}

#[test]
fn a_subscriber_of_an_incompatible_version_is_refused_with_both_versions() {
    // Compatible versions share the channel.
    let ring = RingBuffer::with_capacity(4096);
    let _publisher = Publisher::<v2::Feed>::new(ring.clone()).expect("the publisher");
    assert!(Subscriber::<v1::Feed>::new(ring).is_ok());
    let ring = RingBuffer::with_capacity(4096);
    let _publisher = Publisher::<unmarked::Feed>::new(ring.clone()).expect("the publisher");
    let Err(TypedOpenError::Mismatch(mismatch)) = Subscriber::<v1::Feed>::new(ring) else {
        panic!("refused");
    };
    let text = mismatch.to_string();
    assert!(text.contains("`Quote`: version 1 here, version 2 in the channel"), "{text}");
    assert!(text.contains("`Quote`: `ask` only in the channel"), "{text}");
    assert!(!text.contains("Trade"), "the shared Trade is the same on both sides: {text}");
}

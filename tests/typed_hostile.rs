//! Bytes a typed subscriber must survive: frames from a buggy or hostile writer (flipped,
//! truncated, random), unknown tags under both policies, and overruns.

mod common;

use bcast::typed::{DecodeError, Publisher, RecvError, Subscriber, TypedMessage, UnknownTag};
use bcast::{Reader, RingBuffer, Writer};
use common::feed::{Feed, FeedView, Level, Quote, Trade};
use proptest::prelude::*;

fn quote() -> Quote {
    let levels = vec![Level { price: 1.5, qty: 2 }, Level { price: 1.25, qty: 7 }];
    Quote { symbol: "ESZ5-long-name".into(), bid: 1.0, levels, venue: Some("XCME".into()), id: 9 }
}

/// A typed ring with a raw writer in place of the publisher, and a subscriber.
fn hostile_ring() -> (Writer, bcast::typed::Subscriber<Feed>, RingBuffer) {
    let ring = RingBuffer::with_capacity(1 << 16);
    drop(Publisher::<Feed>::new(ring.clone()).expect("store the registry"));
    let writer = ring.clone().into_writer();
    let subscriber = Subscriber::<Feed>::new(ring.clone()).expect("the subscriber");
    (writer, subscriber, ring)
}

/// The exact payload a publisher makes for `quote()`.
fn encoded_quote() -> Vec<u8> {
    let ring = RingBuffer::with_capacity(4096);
    let mut publisher = Publisher::<Feed>::new(ring.clone()).expect("the publisher");
    let mut raw: Reader = ring.into_reader();
    publisher.publish(&quote()).expect("publish");
    let mut buf = vec![0; raw.mtu()];
    let len = raw.try_recv(&mut buf).expect("read").expect("one frame").len;
    buf.truncate(len);
    buf
}

/// Reads everything the view offers, so that a bad view would be noticed (by Miri, or a panic).
fn touch(view: &FeedView<'_>) -> f64 {
    match view {
        FeedView::Quote(q) => {
            let levels: f64 = q.levels.iter().map(|l| l.price.to_native()).sum();
            let venue = q.venue.as_ref().map_or(0, |v| v.len());
            q.bid.to_native() + levels + (q.symbol.len() + venue) as f64 + q.id.to_native() as f64
        }
        FeedView::Trade(t) => t.price + t.qty as f64,
    }
}

/// Sends `payload` with `tag` and returns what the subscriber makes of it.
fn receive(
    writer: &mut Writer,
    subscriber: &mut bcast::typed::Subscriber<Feed>,
    payload: &[u8],
    tag: u32,
) -> Result<f64, RecvError> {
    writer.send_with_tag(payload, tag).expect("send");
    let view = subscriber.try_recv()?.expect("one frame");
    Ok(touch(&view))
}

#[test]
fn flipped_bytes_give_typed_errors_never_panics() {
    let good = encoded_quote();
    let (mut writer, mut subscriber, _ring) = hostile_ring();
    assert!(receive(&mut writer, &mut subscriber, &good, Quote::TAG).is_ok());
    let masks: &[u8] = if cfg!(miri) { &[0x80] } else { &[0x01, 0x10, 0x80, 0xff] };
    let mut rejected = 0;
    for index in 0..good.len() {
        for mask in masks {
            let mut bad = good.clone();
            bad[index] ^= mask;
            match receive(&mut writer, &mut subscriber, &bad, Quote::TAG) {
                Ok(_) => {}
                Err(RecvError::Decode {
                    source: DecodeError::InvalidArchive { len, type_name },
                    ..
                }) => {
                    assert_eq!((len, type_name.ends_with("Quote")), (good.len(), true));
                    rejected += 1;
                }
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
    }
    // Offsets, lengths and the option tag are checked: a good share of flips is caught.
    assert!(rejected >= good.len() / 4, "only {rejected} flips rejected");
}

#[test]
fn truncated_and_oversized_frames_are_rejected() {
    let good = encoded_quote();
    let (mut writer, mut subscriber, _ring) = hostile_ring();
    for len in 0..good.len() {
        let result = receive(&mut writer, &mut subscriber, &good[..len], Quote::TAG);
        assert!(matches!(result, Err(RecvError::Decode { .. })), "prefix of {len}: {result:?}");
    }
    for len in [0, 8, 23, 25, 32] {
        let result = receive(&mut writer, &mut subscriber, &vec![7; len], Trade::TAG);
        assert!(
            matches!(
                result,
                Err(RecvError::Decode { source: DecodeError::Length { expected: 16, found, .. }, .. })
                    if found == len
            ),
            "{len} bytes: {result:?}"
        );
    }
    assert!(receive(&mut writer, &mut subscriber, &[7; 16], Trade::TAG).is_ok());
}

#[test]
fn unknown_tags_are_errors_by_default_and_skipped_on_request() {
    let (mut writer, mut subscriber, ring) = hostile_ring();
    let mut skipping =
        Subscriber::<Feed>::new(ring).expect("subscriber").with_unknown_tag(UnknownTag::Skip);
    let trade = Trade { price: 2.0, qty: 3 };
    writer.send_with_tag(b"raw", 77).expect("send");
    writer.send_with_tag(bcast::zerocopy::IntoBytes::as_bytes(&trade), Trade::TAG).expect("send");

    let error = subscriber.try_recv().map(|_| ()).expect_err("the unknown tag is reported");
    assert!(matches!(error, RecvError::UnknownTag { tag: 77, position: 0 }), "{error:?}");
    assert!(matches!(subscriber.try_recv(), Ok(Some(FeedView::Trade(t))) if t.qty == 3));
    assert!(matches!(skipping.try_recv(), Ok(Some(FeedView::Trade(t))) if t.qty == 3));

    writer.send_with_tag(b"raw", 77).expect("send");
    writer.send_with_tag(bcast::zerocopy::IntoBytes::as_bytes(&trade), Trade::TAG).expect("send");
    let items: Vec<_> = subscriber.batch_iter().collect();
    assert!(matches!(items.as_slice(), [Err(RecvError::UnknownTag { tag: 77, .. }), Ok(_)]));
    assert_eq!(skipping.batch_iter().filter(Result::is_ok).count(), 1);
    assert!(skipping.try_recv().expect("nothing left").is_none());
}

#[test]
fn overruns_surface_and_reset_resumes() {
    let ring = RingBuffer::with_capacity(1024);
    let mut publisher = Publisher::<Feed>::new(ring.clone()).expect("publisher");
    let mut subscriber = Subscriber::<Feed>::new(ring).expect("subscriber");
    let trade = Trade { price: 1.0, qty: 1 };
    for _ in 0..100 {
        publisher.publish(&trade).expect("publish"); // 32-byte frames: ~3 laps of 1 KiB
    }
    let error = subscriber.try_recv().map(|_| ()).expect_err("lapped");
    assert!(matches!(error, RecvError::Overrun(_)), "{error:?}");
    let again = subscriber.try_recv().map(|_| ());
    assert!(matches!(again, Err(RecvError::Overrun(_))), "the error stays");
    let items: Vec<_> = subscriber.batch_iter().collect();
    assert!(matches!(items.as_slice(), [Err(RecvError::Overrun(_))]));

    subscriber.reset();
    publisher.publish(&Trade { price: 5.0, qty: 2 }).expect("publish");
    assert!(matches!(subscriber.try_recv(), Ok(Some(FeedView::Trade(t))) if t.qty == 2));
}

/// A pod type aligned to 16 by its `u128` (8 on targets where `u128` is 8-aligned).
#[bcast::typed::message(tag = 3, pod)]
struct Wide {
    id: u128,
}

#[derive(bcast::BcastChannel)]
enum Wides {
    Wide(Wide),
}

/// A raw frame from a hostile writer lands aligned in a subscriber's buffer, whatever the
/// alignment of the bytes it was sent from.
#[test]
fn a_pod_frame_sent_from_misaligned_bytes_is_read_aligned() {
    let align = align_of::<Wide>();
    let words = [0x0102_0304_0506_0708_u128; 3];
    let bytes = bcast::zerocopy::IntoBytes::as_bytes(&words);
    let shift = align / 2;
    let misaligned = &bytes[shift..shift + size_of::<Wide>()];
    let ring = RingBuffer::with_capacity(4096);
    drop(Publisher::<Wides>::new(ring.clone()).expect("store the registry"));
    let mut writer = ring.clone().into_writer();
    let mut subscriber = Subscriber::<Wides>::new(ring).expect("the subscriber");
    writer.send_with_tag(misaligned, Wide::TAG).expect("send");
    let Ok(Some(WidesView::Wide(wide))) = subscriber.try_recv() else { panic!("one wide") };
    let mut expected = [0; 16];
    expected.copy_from_slice(misaligned);
    assert_eq!(wide.id, u128::from_ne_bytes(expected));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(miri, ignore = "too slow under Miri; the flip test covers the same path")]
    fn random_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..200), tag in 0u32..4) {
        let (mut writer, mut subscriber, _ring) = hostile_ring();
        let _ = receive(&mut writer, &mut subscriber, &payload, tag);
    }
}

/// Frames and descriptions that the generic decoder, which reads channels without their Rust
/// types, must refuse with an error, quickly and without allocating for them.
mod decoder {
    use std::collections::{BTreeSet, HashSet};

    use bcast::RingBuffer;
    use bcast::typed::decoder::{
        DEFAULT_MAX_VALUES, Decoder, DecoderError, FrameError, MAX_TREE_HEIGHT,
    };
    use bcast::typed::description::{Description, DescriptionError};
    use bcast::typed::{Channel, CodecKind, Registry, RkyvFormat, TypeEntry};

    #[bcast::typed::message(tag = 21)]
    struct Units {
        units: Vec<()>,
    }

    #[bcast::typed::message(tag = 22)]
    struct Tree {
        keys: BTreeSet<u8>,
    }

    #[bcast::typed::message(tag = 23)]
    struct Table {
        seen: HashSet<u32>,
    }

    #[derive(bcast::BcastChannel)]
    enum Hostile {
        Units(Units),
        Tree(Tree),
        Table(Table),
    }

    fn decoder() -> Decoder {
        Decoder::new(Registry::of::<Hostile>(), Description::of(Hostile::SHAPES))
            .expect("our own description describes our registry")
    }

    /// Little-endian `i32`s and `u32`s, as rkyv's default format archives offsets and lengths.
    fn words(words: &[i32]) -> Vec<u8> {
        words.iter().flat_map(|word| word.to_le_bytes()).collect()
    }

    #[test]
    fn a_vector_of_two_billion_units_is_refused_by_the_value_budget() {
        // A `Vec<()>` takes eight bytes whatever its length: a pointer (here to itself) and the
        // length.
        let frame = words(&[0, i32::MAX]);
        assert_eq!(
            decoder().decode(21, &frame),
            Err(FrameError::TooManyValues { limit: DEFAULT_MAX_VALUES })
        );
        // The struct, its vector and ten units are twelve values.
        let ten = words(&[0, 10]);
        assert!(decoder().with_max_values(12).decode(21, &ten).is_ok());
        assert_eq!(
            decoder().with_max_values(11).decode(21, &ten),
            Err(FrameError::TooManyValues { limit: 11 })
        );
    }

    #[test]
    fn pointers_outside_the_payload_are_refused() {
        for offset in [9, 1000, -1, -4096] {
            let frame = words(&[offset, 1]);
            assert!(
                matches!(decoder().decode(21, &frame), Err(FrameError::OutOfBounds { .. })),
                "offset {offset}"
            );
        }
        assert!(matches!(decoder().decode(21, &[0; 7]), Err(FrameError::OutOfBounds { .. })));
        assert_eq!(decoder().decode(99, &[0; 8]), Err(FrameError::UnknownTag { tag: 99 }));
    }

    #[test]
    fn a_b_tree_node_that_points_at_itself_is_refused_at_the_height_limit() {
        // An inner node of `u8` keys: kind at 0, keys at 1..6, then (aligned to 4) five lesser
        // pointers and the greater one. Its first lesser pointer, at 8, points back to 0; the
        // others are rkyv's "no pointer" (offset 1). The set, at 32, points to the node.
        let mut frame = vec![1, 1, 2, 3, 4, 5, 0, 0];
        frame.extend(words(&[-8, 1, 1, 1, 1, 1]));
        frame.extend(words(&[-32, 100]));
        assert_eq!(
            decoder().decode(22, &frame),
            Err(FrameError::TooDeep { limit: MAX_TREE_HEIGHT })
        );
        // The same node as a leaf (kind 0) of more than five entries.
        frame[0] = 0;
        frame[8..12].copy_from_slice(&6i32.to_le_bytes());
        assert!(matches!(decoder().decode(22, &frame), Err(FrameError::Invalid { at: 0, .. })));
    }

    #[test]
    fn a_hash_table_without_a_free_slot_or_with_the_wrong_count_is_refused() {
        // A pointer to the control bytes, the length and the capacity.
        let full = words(&[0, 3, 3]);
        assert!(matches!(decoder().decode(23, &full), Err(FrameError::Invalid { .. })));
        // Four control bytes, all empty (top bit set), where the table says two are full.
        let mut frame = vec![0x80; 4];
        frame.extend(words(&[-4, 2, 4]));
        assert!(matches!(decoder().decode(23, &frame), Err(FrameError::Invalid { .. })));
        // Full slots whose entries would lie before the payload's start.
        frame[..4].fill(0);
        assert!(matches!(decoder().decode(23, &frame), Err(FrameError::OutOfBounds { .. })));
    }

    #[test]
    fn a_description_of_a_type_too_large_for_memory_is_refused_per_frame() {
        // Node 0 is a `u64`, node 1 an array of 2^62 of them; tag 5 is node 1.
        let mut bytes = 1u16.to_le_bytes().to_vec();
        bytes.extend_from_slice(&2u32.to_le_bytes());
        bytes.extend([1, 6, 8]);
        bytes.extend_from_slice(&(1u64 << 62).to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&5u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        let description = Description::decode(&bytes).expect("a well-formed description");
        let fingerprint = description.fingerprint(description.root(5).expect("tag 5"));
        let entry = TypeEntry { name: "Huge".into(), tag: 5, fingerprint, codec: CodecKind::Rkyv };
        let registry = Registry {
            channel: "Hostile".into(),
            rkyv_format: RkyvFormat::current(),
            types: vec![entry],
        };
        let decoder = Decoder::new(registry, description).expect("describes the registry");
        assert!(matches!(decoder.decode(5, &[0; 64]), Err(FrameError::Unsupported { .. })));
    }

    #[test]
    fn a_decoder_refuses_an_rkyv_format_it_cannot_read() {
        for (usize_bytes, minor) in [(0, 8), (3, 8), (16, 8), (4, 9)] {
            let mut registry = Registry::of::<Hostile>();
            registry.rkyv_format.usize_bytes = usize_bytes;
            registry.rkyv_format.minor = minor;
            assert!(
                matches!(
                    Decoder::new(registry, Description::of(Hostile::SHAPES)),
                    Err(DecoderError::RkyvFormat(format)) if format.usize_bytes == usize_bytes
                ),
                "usize of {usize_bytes} bytes, rkyv 0.{minor}"
            );
        }
    }

    #[test]
    fn a_decoder_needs_a_typed_channel_whose_description_describes_its_registry() {
        let untyped = RingBuffer::with_capacity(4096);
        assert!(matches!(Decoder::read_from(&untyped), Err(DecoderError::Untyped)));
        let other = Description::of(&[(21, &<Tree as bcast::typed::Schema>::SHAPE)]);
        assert!(matches!(
            Decoder::new(Registry::of::<Hostile>(), other),
            Err(DecoderError::Description(DescriptionError::Disagrees { tag: 21, .. }))
        ));
    }
}

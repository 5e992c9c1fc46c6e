use super::*;

fn sample_header() -> BatchHeader {
    BatchHeader { exporter: 1, epoch: 2, registry: 3, lost: 4, overruns: 5 }
}

fn frame(seq: u64, tag: u32, tag_seq: u32, payload: &[u8]) -> Frame<'_> {
    Frame { stamp: Stamp { tag, seq, tag_seq, version: u16::from(tag == 9) * 3 }, payload }
}

fn sample_batch() -> Vec<u8> {
    let mut builder = BatchBuilder::new();
    builder.push(frame(10, 7, 1, b"first"));
    builder.push(frame(12, 8, 0, b""));
    builder.push(frame(13, 9, u32::MAX, &[0xAB; 300]));
    assert_eq!(builder.count(), 3);
    builder.take(&sample_header())
}

#[test]
fn batches_round_trip() {
    let bytes = sample_batch();
    let batch = Batch::parse(&bytes).unwrap();
    assert_eq!(batch.header, sample_header());
    let frames: Vec<_> = batch.frames().collect();
    assert_eq!(frames[0], frame(10, 7, 1, b"first"));
    assert_eq!(frames[1], frame(12, 8, 0, b""));
    assert_eq!(frames[2], frame(13, 9, u32::MAX, &[0xAB; 300]));
}

#[test]
fn the_builder_starts_over_after_take() {
    let mut builder = BatchBuilder::new();
    builder.push(frame(1, 1, 1, b"x"));
    let _ = builder.take(&BatchHeader::default());
    assert_eq!((builder.count(), builder.len()), (0, HEADER_LEN));
    builder.push(frame(2, 2, 1, b"y"));
    let bytes = builder.take(&BatchHeader::default());
    let seqs: Vec<_> = Batch::parse(&bytes).unwrap().frames().map(|f| f.stamp.seq).collect();
    assert_eq!(seqs, [2]);
}

#[test]
fn every_truncation_is_rejected_without_panicking() {
    let bytes = sample_batch();
    for len in 0..bytes.len() {
        assert!(Batch::parse(&bytes[..len]).is_err(), "a batch cut at {len} bytes");
    }
}

#[test]
fn corrupt_fields_are_rejected() {
    let good = sample_batch();
    let mut bad_magic = good.clone();
    bad_magic[0] ^= 1;
    assert_eq!(Batch::parse(&bad_magic).unwrap_err(), WireError::BadMagic);
    let mut bad_count = good.clone();
    bad_count[8] = 2;
    assert_eq!(Batch::parse(&bad_count).unwrap_err(), WireError::Inconsistent);
    let mut huge_len = good.clone();
    huge_len[HEADER_LEN + 20..HEADER_LEN + FRAME_HEADER_LEN]
        .copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(Batch::parse(&huge_len).unwrap_err(), WireError::Truncated);
    let mut trailing = good;
    trailing.push(0);
    assert!(Batch::parse(&trailing).is_err());
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz: mutate a valid batch byte by byte.
    let good = sample_batch();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bytes = good.clone();
        let at = usize::try_from(state % bytes.len() as u64).unwrap();
        bytes[at] = state.to_le_bytes()[7];
        if let Ok(batch) = Batch::parse(&bytes) {
            // Whatever parses accounts for every byte.
            let framed: usize = batch.frames().map(|f| FRAME_HEADER_LEN + f.payload.len()).sum();
            assert_eq!(HEADER_LEN + framed, bytes.len());
        }
    }
}

#[test]
fn channel_descriptions_round_trip() {
    let typed = ChannelDesc::new(1 << 20, 42, Some(b"registry bytes".to_vec()), None);
    assert_ne!(typed.registry_hash, 0);
    assert_eq!(ChannelDesc::parse(&typed.to_bytes()).unwrap(), typed);
    let described = ChannelDesc::new(
        1 << 20,
        42,
        Some(b"registry bytes".to_vec()),
        Some(b"description".to_vec()),
    );
    assert_eq!(described.registry_hash, typed.registry_hash, "the hash is the registry's");
    assert_eq!(ChannelDesc::parse(&described.to_bytes()).unwrap(), described);
    let bytes = described.to_bytes();
    for len in 0..bytes.len() {
        assert!(ChannelDesc::parse(&bytes[..len]).is_err(), "cut at {len}");
    }
    let untyped = ChannelDesc::new(4096, 7, None, None);
    assert_eq!(untyped.registry_hash, 0);
    assert_eq!(ChannelDesc::parse(&untyped.to_bytes()).unwrap(), untyped);
    let mut trailing = untyped.to_bytes();
    trailing.push(1);
    assert_eq!(ChannelDesc::parse(&trailing).unwrap_err(), WireError::Inconsistent);
    for len in 0..DESC_LEN {
        assert!(ChannelDesc::parse(&typed.to_bytes()[..len]).is_err());
    }
}

#[test]
fn the_registry_hash_is_stable() {
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
}

//! Fuzz target: the generic decoder (`bcast::typed::decoder::Decoder`), which decodes frames
//! from a schema description alone. Both the description and the payload are untrusted, so
//! for ANY bytes of either, `Description::decode` and `Decoder::decode` must give a value or a
//! typed error, never a panic, a hang or an out-of-bounds read; a decoded value is also
//! rendered (`Display` and JSON) to exercise rendering.
//!
//! Input layout:
//!
//! ```text
//! n: u16 LE | n bytes: description (docs/schema-description.md) | flags: u8 |
//! selector: u32 LE | payload: the rest
//! ```
//!
//! - `flags` bit 0: every type's codec is pod instead of rkyv;
//! - `flags` bits 1-2: the rkyv `usize` width: 0 → 4 bytes, 1 → 2, 2 → 8, 3 → 4;
//! - `flags` bit 3: big-endian rkyv archives; bit 4: unaligned rkyv archives;
//! - `selector`: which of the description's types the payload is decoded as (an index into
//!   `Description::types`, modulo their count).
//!
//! Input too short for the header, or a description that does not decode (or describes no
//! types), is skipped. The registry is made from the description itself (each type's tag and
//! fingerprint, name `T{tag}`), so the decoder must accept it.
//!
//! Seeds (real frames of real message types): `fuzz/seeds/decode_seeds.rs`.
//!
//! ```text
//! cargo install cargo-fuzz
//! cargo run --manifest-path fuzz/Cargo.toml --bin decode_seeds -- fuzz/corpus/decode
//! cd fuzz && cargo +nightly fuzz run decode corpus/decode -- -max_len=4096 -max_total_time=300
//! ```
#![no_main]

use std::borrow::Cow;

use bcast::typed::decoder::Decoder;
use bcast::typed::description::Description;
use bcast::typed::{CodecKind, Registry, RkyvFormat, TypeEntry};
use libfuzzer_sys::fuzz_target;

/// The most values one input may decode into: keeps each run fast.
const MAX_VALUES: usize = 10_000;

/// Splits `n` bytes off the front of `data`.
fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = data.split_at_checked(n)?;
    *data = tail;
    Some(head)
}

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    let Some(&[lo, hi]) = take(&mut input, 2) else { return };
    let Some(description) = take(&mut input, usize::from(u16::from_le_bytes([lo, hi]))) else {
        return;
    };
    let Some(&[flags]) = take(&mut input, 1) else { return };
    let Some(&[a, b, c, d]) = take(&mut input, 4) else { return };
    let selector = u32::from_le_bytes([a, b, c, d]);
    let payload = input;

    let Ok(description) = Description::decode(description) else { return };
    let types = description.types();
    if types.is_empty() {
        return;
    }
    let count = u32::try_from(types.len()).unwrap_or(u32::MAX);
    let (tag, root) = types[(selector % count) as usize];
    // Names and type names render for any description.
    let _ = description.type_name(root);

    let codec = if flags & 1 != 0 { CodecKind::Pod } else { CodecKind::Rkyv };
    let usize_bytes = match (flags >> 1) & 3 {
        1 => 2,
        2 => 8,
        _ => 4,
    };
    let rkyv_format = RkyvFormat {
        major: 0,
        minor: 8,
        big_endian: flags & 8 != 0,
        unaligned: flags & 16 != 0,
        usize_bytes,
    };
    let registry = Registry {
        channel: Cow::Borrowed("fuzz"),
        rkyv_format,
        types: types
            .iter()
            .map(|&(tag, root)| TypeEntry {
                name: Cow::Owned(format!("T{tag}")),
                tag,
                fingerprint: description.fingerprint(root),
                codec,
            })
            .collect(),
    };
    // Every type is described with its own fingerprint, in a readable rkyv format: whatever the
    // bytes, this registry fits this description.
    let decoder = match Decoder::new(registry, description) {
        Ok(decoder) => decoder.with_max_values(MAX_VALUES),
        Err(error) => panic!("the decoder refuses a registry made from its description: {error}"),
    };
    assert_eq!(decoder.type_name(tag), Some(&*format!("T{tag}")));

    if let Ok(value) = decoder.decode(tag, payload) {
        let text = format!("{value}");
        assert!(!text.is_empty());
        let _ = serde_json::to_string(&value);
    }
});

//! Schema locks: a channel's schemas in a committed file, read back, and checked against later
//! builds by the rules of schema evolution.

mod common;

use bcast::RingBuffer;
use bcast::typed::{LockError, Publisher, SchemaLock};
use common::market::MarketData;

/// The lock file this crate commits for the tests' `MarketData` channel, as a project would.
const MARKET_LOCK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/market.lock");

#[test]
fn the_committed_lock_of_the_test_channel_still_holds() {
    if let Err(error) = SchemaLock::of::<MarketData>().check_file(MARKET_LOCK) {
        panic!("{error}");
    }
}

/// Channels of a pod `Trade` (tag 2) at several versions, and other changes to it.
macro_rules! trade {
    ($m:ident, version = $v:literal, { $($(#[$a:meta])* $f:ident: $t:ty),* }) => {
        mod $m {
            #[bcast::typed::message(tag = 2, version = $v, pod)]
            #[repr(C)]
            pub(crate) struct Trade {
                $($(#[$a])* pub(crate) $f: $t),*
            }
            #[derive(bcast::BcastChannel)]
            pub(crate) enum Feed {
                Trade(Trade),
            }
        }
    };
}

trade!(v1, version = 1, { price: f64, qty: u64 });
trade!(v2, version = 2, { price: f64, qty: u64, #[bcast(since = 2)] venue: u64 });
trade!(renamed, version = 2, { price: f64, size: u64, #[bcast(since = 2)] venue: u64 });

mod with_more {
    #[bcast::typed::message(tag = 3)]
    pub(crate) struct Note {
        pub(crate) text: String,
    }
    #[derive(bcast::BcastChannel)]
    pub(crate) enum Feed {
        Trade(super::v1::Trade),
        Note(Note),
    }
}

#[test]
fn a_lock_reads_back_as_it_was_rendered() -> Result<(), LockError> {
    let lock = SchemaLock::of::<v2::Feed>();
    let text = lock.render();
    assert!(text.starts_with("# bcast schema lock, format 1"), "{text}");
    assert!(text.contains("# tag 2: Trade (pod, version 2, fingerprint 0x"), "{text}");
    assert_eq!(SchemaLock::parse(&text)?, lock);
    // The schemas a live channel holds lock the same.
    let ring = RingBuffer::with_capacity(4096);
    let _publisher = Publisher::<v2::Feed>::new(ring.clone()).expect("the publisher");
    assert_eq!(SchemaLock::read_from(&ring)?, lock);
    Ok(())
}

#[test]
fn text_that_is_not_a_lock_is_refused_with_the_reason() {
    let text = SchemaLock::of::<v1::Feed>().render();
    let cases = [
        ("", "header"),
        ("# some other file\n", "header"),
        (&text.replacen("registry ", "registry x", 1), "hex"),
        (&text.replacen("registry ", "registry 0", 1), "hex"),
        (&text.replacen("description ", "descriptor ", 1), "neither"),
        (&text.replacen("registry ", "registry00", 1), "bare"),
    ];
    for (bad, reason) in cases {
        let error = SchemaLock::parse(bad).expect_err(reason);
        assert!(error.to_string().contains(reason), "{reason}: {error}");
    }
    // Bytes that are not a registry or a description.
    let cut: String =
        text.lines().filter(|l| !l.starts_with("description")).collect::<Vec<_>>().join("\n");
    assert!(matches!(SchemaLock::parse(&cut), Err(LockError::Description(_))));
}

#[test]
fn compatible_evolutions_pass_and_breaking_changes_name_the_field_and_the_rule()
-> Result<(), LockError> {
    let locked = SchemaLock::parse(&SchemaLock::of::<v1::Feed>().render())?;
    SchemaLock::of::<v1::Feed>().check(&locked)?;
    SchemaLock::of::<v2::Feed>().check(&locked)?;
    SchemaLock::of::<with_more::Feed>().check(&locked)?;
    let error = SchemaLock::of::<renamed::Feed>().check(&locked).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("`Trade`: `size` added here"), "{text}");
    assert!(text.contains("`Trade`: `qty` only in the channel"), "{text}");
    assert!(text.contains("a field cannot change its type, name, place or version"), "{text}");
    Ok(())
}

#[test]
fn a_missing_lock_file_says_how_to_write_it() {
    let dir = std::env::temp_dir().join(format!("bcast-lock-{}", std::process::id()));
    let error = SchemaLock::of::<v1::Feed>().check_file(dir.join("none.lock")).unwrap_err();
    assert!(matches!(error, LockError::Missing { .. }));
    assert!(error.to_string().contains("BCAST_UPDATE_LOCK=1"), "{error}");
}

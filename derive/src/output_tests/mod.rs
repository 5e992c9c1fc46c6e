//! Expansion snapshots: each derive's output on representative inputs, pretty-printed and
//! compared with the case's file in the `expected` folder beside this module. A change to the
//! generated code fails here until the files are rewritten with
//! `BCAST_BLESS=1 cargo test -p bcast-derive` and the diff reviewed.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Path};

use crate::{expand, wrap};

/// The path of `bcast` that the macros would find in a caller that depends on it by name.
fn bcast() -> Path {
    syn::parse_quote!(::bcast)
}

fn parse(tokens: TokenStream) -> DeriveInput {
    syn::parse2(tokens).expect("the test input is a struct or an enum")
}

/// Compares `expanded`, pretty-printed, with the snapshot `case`, or rewrites the snapshot
/// under `BCAST_BLESS`.
fn assert_snapshot(case: &str, expanded: TokenStream) {
    let file: syn::File = syn::parse2(expanded).expect("the expansion is a list of items");
    let actual = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/output_tests/expected")
        .join(format!("{case}.expanded.rs"));
    if std::env::var_os("BCAST_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("the snapshot is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "the expansion of `{case}` differs from {}; review it and rewrite the snapshots with \
         `BCAST_BLESS=1 cargo test -p bcast-derive`\n--- actual ---\n{actual}",
        path.display()
    );
}

#[test]
fn rkyv_message() {
    let input = parse(quote! {
        #[bcast(tag = 1)]
        pub struct Quote {
            pub symbol: String,
            pub bid: f64,
        }
    });
    assert_snapshot("rkyv_message", expand::message(&input, &bcast()));
}

#[test]
fn keyed_message() {
    let input = parse(quote! {
        #[bcast(tag = 4)]
        pub struct Quote {
            #[bcast(key)]
            pub symbol: String,
            pub bid: f64,
        }
    });
    assert_snapshot("keyed_message", expand::message(&input, &bcast()));
}

#[test]
fn pod_message() {
    let input = parse(quote! {
        #[repr(C)]
        #[bcast(tag = 2, pod)]
        pub struct Trade {
            pub instrument: u64,
            pub price: f64,
        }
    });
    assert_snapshot("pod_message", expand::message(&input, &bcast()));
}

#[test]
fn message_attribute_on_pod_struct() {
    let item = quote! {
        pub struct Trade {
            pub instrument: u64,
            pub price: f64,
        }
    };
    let expanded = wrap::expand(quote!(tag = 2, pod), item, wrap::Wrap::Message, &bcast());
    assert_snapshot("message_attribute_pod", expanded);
}

#[test]
fn message_attribute_falls_back_to_rkyv_after_a_bool_field() {
    let item = quote! {
        pub struct Trade {
            pub price: f64,
            pub buy: bool,
        }
    };
    let expanded = wrap::expand(quote!(tag = 2, pod), item, wrap::Wrap::Message, &bcast());
    assert_snapshot("message_attribute_bool_field", expanded);
}

#[test]
fn channel_of_two_types() {
    let input = parse(quote! {
        pub enum MarketData {
            Quote(Quote),
            Trade(Trade),
        }
    });
    assert_snapshot("channel", expand::channel(&input, &bcast()));
}

#[test]
fn channel_with_a_mistake_keeps_its_view_enum() {
    let input = parse(quote! {
        pub enum MarketData {
            Quote(Quote),
            Heartbeat,
        }
    });
    assert_snapshot("channel_fallback", expand::channel(&input, &bcast()));
}

#[test]
fn schema_enum() {
    let input = parse(quote! {
        #[repr(u8)]
        pub enum Venue {
            Exchange { id: u32 } = 1,
            Dark(u64) = 2,
            Unknown = 3,
        }
    });
    assert_snapshot("schema_enum", expand::schema(&input, &bcast()));
}

#[test]
fn crate_key() {
    let input = parse(quote! {
        #[bcast(tag = 3, crate = "my_facade::bcast")]
        pub struct Ping {
            pub at: u64,
        }
    });
    assert_snapshot("crate_key", expand::message(&input, &bcast()));
}

#[test]
fn renamed_dependency() {
    let input = parse(quote! {
        #[bcast(tag = 3)]
        pub struct Ping {
            pub at: u64,
        }
    });
    let found: Path = syn::parse_quote!(::bcast2);
    assert_snapshot("renamed_dependency", expand::message(&input, &found));
}

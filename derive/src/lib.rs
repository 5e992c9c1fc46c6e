//! Derive macros for `bcast`. Use them through the `bcast` crate, which re-exports and
//! documents them: `bcast::BcastMessage`, `bcast::BcastChannel`, `bcast::BcastSchema`,
//! `bcast::typed::message`, `bcast::typed::schema`.
//!
//! Each derive is a pipeline: `ast` reads the input (its `#[bcast(...)]` keys through
//! `attr`), `valid` checks it and reports every mistake, `expand` generates the items, or
//! after a mistake the errors and a fallback. `wrap` is the attribute macros; `krate` finds
//! the path of `bcast` for the caller.

mod ast;
mod attr;
mod errors;
mod expand;
mod krate;
mod tokens;
mod valid;
mod wrap;

#[cfg(test)]
mod output_tests;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// *Defined in `bcast-derive`.*
#[proc_macro_derive(BcastMessage, attributes(bcast))]
pub fn derive_bcast_message(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::message(&input, &krate::default_path()).into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_derive(BcastChannel, attributes(bcast))]
pub fn derive_bcast_channel(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::channel(&input, &krate::default_path()).into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_derive(BcastSchema, attributes(bcast))]
pub fn derive_bcast_schema(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::schema(&input, &krate::default_path()).into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_attribute]
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    wrap::expand(args.into(), item.into(), wrap::Wrap::Message, &krate::default_path()).into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_attribute]
pub fn schema(args: TokenStream, item: TokenStream) -> TokenStream {
    wrap::expand(args.into(), item.into(), wrap::Wrap::Schema, &krate::default_path()).into()
}

//! Derive macros for `bcast`. Use them through the `bcast` crate, which re-exports and
//! documents them: `bcast::BcastMessage`, `bcast::BcastChannel`, `bcast::BcastSchema`,
//! `bcast::typed::message`, `bcast::typed::schema`. The crate-level layout: `attr` parses `#[bcast(...)]`,
//! `schema` expands fingerprints, `message` a message type (`BcastMessage` on a struct),
//! `channel` a channel (`BcastChannel` on an enum), `wrap` the attribute macros.

mod attr;
mod channel;
mod message;
mod schema;
mod wrap;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// *Defined in `bcast-derive`.*
#[proc_macro_derive(BcastMessage, attributes(bcast))]
pub fn derive_bcast_message(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    message::derive(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_derive(BcastChannel, attributes(bcast))]
pub fn derive_bcast_channel(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    channel::derive(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_derive(BcastSchema, attributes(bcast))]
pub fn derive_bcast_schema(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    schema::derive(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_attribute]
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    wrap::expand(args.into(), item.into(), wrap::Wrap::Message)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// *Defined in `bcast-derive`.*
#[proc_macro_attribute]
pub fn schema(args: TokenStream, item: TokenStream) -> TokenStream {
    wrap::expand(args.into(), item.into(), wrap::Wrap::Schema)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

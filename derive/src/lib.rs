//! Derive macros for `bcast`. Use them through the `bcast` crate, which re-exports them and
//! documents them (`bcast::BcastMessage`, `bcast::BcastSchema`, `bcast::message`,
//! `bcast::schema`).

mod attr;
mod channel;
mod message;
mod schema;
mod wrap;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Makes a struct a message type, or an enum of message types a channel. See `bcast::BcastMessage`.
#[proc_macro_derive(BcastMessage, attributes(bcast))]
pub fn derive_bcast_message(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    message::derive(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Gives a struct or enum nested in messages a schema fingerprint. See `bcast::BcastSchema`.
#[proc_macro_derive(BcastSchema, attributes(bcast))]
pub fn derive_bcast_schema(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    schema::derive(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Adds the codec's derives and `BcastMessage` to a struct. See `bcast::message`.
#[proc_macro_attribute]
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    wrap::expand(args.into(), item.into(), wrap::Wrap::Message)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Adds the codec's derives and `BcastSchema` to a nested type. See `bcast::schema`.
#[proc_macro_attribute]
pub fn schema(args: TokenStream, item: TokenStream) -> TokenStream {
    wrap::expand(args.into(), item.into(), wrap::Wrap::Schema)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

//! What a derive still generates after it reported a mistake, so that one mistake is one
//! message: code that names the type, its view enum or its trait impls keeps compiling, rather
//! than failing once per use.
//!
//! A fallback generates the regular expansion over the part of the input that is valid; where
//! nothing is (a generic type, a union), it generates nothing.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Data, Input};
use crate::expand::channel::{self, Carried};
use crate::expand::message::expand as message_items;
use crate::expand::schema::expand as schema_items;
use crate::valid::type_key;

/// A message struct: its impls, with the name's tag if the tag was 0.
pub(crate) fn message(input: &Input<'_>) -> TokenStream {
    match &input.data {
        Data::Struct(..) if !input.generic => message_items(input),
        _ => TokenStream::new(),
    }
}

/// A schema type: its impl, leaving out discriminants that are not integer literals.
pub(crate) fn schema(input: &Input<'_>) -> TokenStream {
    match &input.data {
        Data::Struct(..) | Data::Enum(..) if !input.generic => schema_items(input),
        _ => TokenStream::new(),
    }
}

/// A channel: its items over the newtype variants (the first of each message type), or, if
/// there are none, a view enum without variants, so that code naming it still compiles.
pub(crate) fn channel(input: &Input<'_>) -> TokenStream {
    let Data::Enum(_, variants) = &input.data else { return TokenStream::new() };
    if input.generic {
        return TokenStream::new();
    }
    let mut carried: Vec<Carried<'_>> = Vec::new();
    for variant in channel::carried(input) {
        if !carried.iter().any(|earlier| type_key(earlier.ty) == type_key(variant.ty)) {
            carried.push(variant);
        }
    }
    if !carried.is_empty() {
        let complete = carried.len() == variants.len();
        return channel::expand(input, &carried, complete);
    }
    let Input { vis, .. } = input;
    let view = channel::view_ident(input);
    let doc = channel::view_doc(input);
    quote! {
        #[doc = #doc]
        #vis enum #view<'a> {
            #[doc(hidden)]
            __Empty(::core::convert::Infallible, ::core::marker::PhantomData<&'a ()>),
        }
    }
}

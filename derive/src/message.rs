//! `#[derive(BcastMessage)]` on a struct: a message type (`Schema` + `TypedMessage`). An enum of
//! message types is a channel: `#[derive(BcastChannel)]`, expanded by [`crate::channel`].

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput};

use crate::attr::{Attrs, Context};
use crate::schema::{reject_generics, respan, schema_impl};

/// Expands `#[derive(BcastMessage)]`.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    match &input.data {
        Data::Struct(_) => message(input),
        Data::Enum(data) => Err(syn::Error::new(
            data.enum_token.span,
            "`BcastMessage` makes a struct a message type; an enum of message types is a \
             channel: `#[derive(bcast::BcastChannel)]`",
        )),
        Data::Union(data) => Err(syn::Error::new(
            data.union_token.span,
            "`BcastMessage` applies to structs (message types), not unions",
        )),
    }
}

fn message(input: &DeriveInput) -> syn::Result<TokenStream> {
    let attrs = Attrs::from_attributes(&input.attrs, Context::Message)?;
    reject_generics(input, "a message type")?;
    let krate = attrs.krate();
    let ident = &input.ident;
    let name = ident.to_string();
    let schema = schema_impl(input, &krate, "struct")?;
    let tag = match attrs.tag {
        Some((tag, span)) => quote_spanned!(span=> #tag),
        None => quote!(#krate::__private::tag_from_name(#name)),
    };
    // Spanned at the `pod` key or the type's name: a type that lacks its codec's derives is
    // reported there, by the bound on `TypedMessage::Codec`.
    let codec = match attrs.pod {
        Some(span) => respan(quote!(#krate::__private::Pod), span),
        None => respan(quote!(#krate::__private::Rkyv), ident.span()),
    };
    Ok(quote! {
        #schema

        #[automatically_derived]
        impl #krate::__private::TypedMessage for #ident {
            const TAG: u32 = #tag;
            type Codec = #codec;
        }
    })
}

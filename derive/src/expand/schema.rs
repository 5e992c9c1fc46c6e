//! `impl Schema`: the fingerprint of a type's shape, shared by `BcastSchema` and
//! `BcastMessage`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Path, Type};

use crate::ast::{Data, Input, Shape, Style};
use crate::valid::literal_discriminant;

/// `impl Schema for <input>`, with the fingerprint of its shape. A union has no schema (and
/// validation refuses it): nothing is generated.
pub(crate) fn expand(input: &Input<'_>) -> TokenStream {
    let Input { ident, krate, .. } = input;
    let name = ident.to_string();
    let kind = match &input.data {
        Data::Struct(..) => "struct",
        Data::Enum(..) => "enum",
        Data::Union(_) => return TokenStream::new(),
    };
    let mut hash = quote!(#krate::__private::SchemaHasher::new(#kind, #name));
    for repr in &input.reprs {
        hash = quote!(#hash.str(#repr));
    }
    let mut types: Vec<&Type> = Vec::new();
    match &input.data {
        Data::Struct(_, shape) => {
            hash = fields(hash, shape, krate);
            types.extend(shape.fields.iter().map(|field| field.ty));
        }
        Data::Enum(_, variants) => {
            for variant in variants {
                let variant_name = variant.ident.to_string();
                hash = quote!(#hash.str(#variant_name));
                // Validation refuses other discriminants; the fallback leaves them out.
                if let Some(value) = variant.discriminant.and_then(literal_discriminant) {
                    hash = quote!(#hash.str("=").str(#value));
                }
                hash = fields(hash, &variant.shape, krate);
                types.extend(variant.shape.fields.iter().map(|field| field.ty));
            }
        }
        Data::Union(_) => {}
    }
    let holds = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> || <#ty as #krate::__private::Schema>::HOLDS_USIZE));
    let check = check_usize(input);
    quote! {
        #[automatically_derived]
        impl #krate::__private::Schema for #ident {
            const NAME: &'static str = #name;
            const FINGERPRINT: u64 = #hash.finish();
            const HOLDS_USIZE: bool = false #(#holds)*;

            #[inline]
            fn check_usize(
                &self,
            ) -> #krate::__private::Result<(), #krate::typed::UsizeOverflow> {
                if !<Self as #krate::__private::Schema>::HOLDS_USIZE {
                    return #krate::__private::Result::Ok(());
                }
                #check
                #krate::__private::Result::Ok(())
            }
        }
    }
}

/// The body of `check_usize`: each field's own check, in order. A packed type's fields cannot
/// be borrowed; rkyv cannot archive such a type, and the pod codec copies `usize`s whole, so
/// there is nothing to check.
fn check_usize(input: &Input<'_>) -> TokenStream {
    let krate = &input.krate;
    let check = |ty: &Type, value: TokenStream| {
        let schema = quote!(#krate::__private::Schema);
        quote_spanned!(ty.span()=> <#ty as #schema>::check_usize(#value)?;)
    };
    match &input.data {
        _ if input.packed() => TokenStream::new(),
        Data::Struct(_, shape) => shape
            .fields
            .iter()
            .map(|field| {
                let member = &field.member;
                check(field.ty, quote!(&self.#member))
            })
            .collect(),
        // No values, so nothing to check (and `HOLDS_USIZE` is `false`).
        Data::Enum(_, variants) if variants.is_empty() => TokenStream::new(),
        Data::Enum(_, variants) => {
            let arms = variants.iter().map(|variant| {
                let ident = variant.ident;
                let bindings: Vec<_> = (0..variant.shape.fields.len())
                    .map(|index| format_ident!("__bcast_field_{}", index))
                    .collect();
                let pattern = match variant.shape.style {
                    Style::Named => {
                        let members = variant.shape.fields.iter().map(|field| &field.member);
                        quote!(Self::#ident { #(#members: #bindings),* })
                    }
                    Style::Tuple => quote!(Self::#ident(#(#bindings),*)),
                    Style::Unit => quote!(Self::#ident),
                };
                let checks = variant
                    .shape
                    .fields
                    .iter()
                    .zip(&bindings)
                    .map(|(field, binding)| check(field.ty, quote!(#binding)));
                quote!(#pattern => { #(#checks)* })
            });
            quote!(match self { #(#arms)* })
        }
        Data::Union(_) => TokenStream::new(),
    }
}

/// Adds the field shape, then each field's name and type fingerprint, in order.
fn fields(mut hash: TokenStream, shape: &Shape<'_>, krate: &Path) -> TokenStream {
    let style = match shape.style {
        Style::Named => "named",
        Style::Tuple => "tuple",
        Style::Unit => "unit",
    };
    hash = quote!(#hash.str(#style));
    for field in &shape.fields {
        let name = match &field.member {
            syn::Member::Named(ident) => ident.to_string(),
            syn::Member::Unnamed(index) => index.index.to_string(),
        };
        let ty = field.ty;
        // Spanned at the type, so a type without a schema is reported there.
        let fingerprint =
            quote_spanned!(ty.span()=> <#ty as #krate::__private::Schema>::FINGERPRINT);
        hash = quote!(#hash.field(#name, #fingerprint));
    }
    hash
}

//! `impl Schema`: the description of a type's shape, shared by `BcastSchema` and
//! `BcastMessage`; its fingerprint is computed from it.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Path, Type};

use crate::ast::{Data, Input, Shape, Style};
use crate::valid::literal_discriminant;

/// `impl Schema for <input>`, with the description of its shape. A union has no schema (and
/// validation refuses it): nothing is generated.
pub(crate) fn expand(input: &Input<'_>) -> TokenStream {
    let Input { ident, krate, .. } = input;
    let p = quote!(#krate::__private);
    let name = ident.to_string();
    let reprs = &input.reprs;
    let mut types: Vec<&Type> = Vec::new();
    let kind = match &input.data {
        Data::Struct(_, shape) => {
            let (style, fields) = fields(shape, krate);
            types.extend(shape.fields.iter().map(|field| field.ty));
            let layout = layout(input, shape);
            let version = input.attrs.version.filter(|version| version.value != 0).map(|version| {
                let value = version.value;
                quote!(.with_version(#value))
            });
            quote! {
                #p::Kind::Struct(#p::Struct::new(#name, #style, &[#(#fields),*]).with_reprs(&[#(#reprs),*])#layout #version)
            }
        }
        Data::Enum(_, variants) => {
            let variants = variants.iter().map(|variant| {
                let variant_name = variant.ident.to_string();
                let (style, fields) = fields(&variant.shape, krate);
                types.extend(variant.shape.fields.iter().map(|field| field.ty));
                let mut made = quote!(#p::Variant::new(#variant_name, #style, &[#(#fields),*]));
                // Validation refuses other discriminants; the fallback leaves them out.
                if let Some(value) = variant.discriminant.and_then(literal_discriminant) {
                    let value = discriminant(&value);
                    made = quote!(#made.with_discriminant(#value));
                }
                made
            });
            quote! {
                #p::Kind::Enum(#p::Enum::new(#name, &[#(#variants),*]).with_reprs(&[#(#reprs),*]))
            }
        }
        Data::Union(_) => return TokenStream::new(),
    };
    let holds = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> || <#ty as #krate::__private::Schema>::HOLDS_USIZE));
    let check = check_usize(input);
    quote! {
        #[automatically_derived]
        impl #krate::__private::Schema for #ident {
            const SHAPE: #p::Shape = #p::Shape::new(#kind);
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

/// `.with_layout(...)` for a struct whose layout Rust defines (`#[repr(C)]`, `packed`,
/// `transparent`): its size, alignment, and each field's offset and size, as the compiler
/// laid them out. Nothing for other structs, whose layout may change between compilers.
fn layout(input: &Input<'_>, shape: &Shape<'_>) -> TokenStream {
    let defined = input
        .reprs
        .iter()
        .any(|repr| repr == "C" || repr == "transparent" || repr.starts_with("packed"));
    if !defined {
        return TokenStream::new();
    }
    let p = {
        let krate = &input.krate;
        quote!(#krate::__private)
    };
    let slots = shape.fields.iter().map(|field| {
        let (member, ty) = (&field.member, field.ty);
        quote!(#p::Slot::new(::core::mem::offset_of!(Self, #member), ::core::mem::size_of::<#ty>()))
    });
    quote! {
        .with_layout(#p::Layout::new(
            ::core::mem::size_of::<Self>(),
            ::core::mem::align_of::<Self>(),
            &[#(#slots),*],
        ))
    }
}

/// A discriminant's decimal digits (with a `-` if negative) as an `i128` literal: a `u128`
/// discriminant past `i128::MAX` keeps its bits.
fn discriminant(digits: &str) -> Literal {
    #[allow(clippy::cast_possible_wrap)] // deliberate: the bits of a `u128` discriminant
    let value = match digits.strip_prefix('-') {
        Some(_) => digits.parse::<i128>().ok(),
        None => digits.parse::<u128>().ok().map(|value| value as i128),
    };
    // Validation took the digits from an integer literal of the enum's repr, so they parse.
    Literal::i128_suffixed(value.unwrap_or_default())
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

/// The fields' style, and a `Field` for each, in order.
fn fields(shape: &Shape<'_>, krate: &Path) -> (TokenStream, Vec<TokenStream>) {
    let style = match shape.style {
        Style::Named => quote!(#krate::__private::Style::Named),
        Style::Tuple => quote!(#krate::__private::Style::Tuple),
        Style::Unit => quote!(#krate::__private::Style::Unit),
    };
    let fields = shape
        .fields
        .iter()
        .map(|field| {
            let name = match &field.member {
                syn::Member::Named(ident) => ident.to_string(),
                syn::Member::Unnamed(index) => index.index.to_string(),
            };
            let ty = field.ty;
            // Spanned at the type, so a type without a schema is reported there.
            let shape = quote_spanned!(ty.span()=> &<#ty as #krate::__private::Schema>::SHAPE);
            let since = field.since.filter(|since| since.value > 1).map(|since| {
                let value = since.value;
                quote!(.with_since(#value))
            });
            quote!(#krate::__private::Field::new(#name, #shape) #since)
        })
        .collect();
    (style, fields)
}

//! `#[derive(BcastMessage)]` on a struct: `impl Schema` and `impl TypedMessage`, and for a pod
//! message, the check that it has no padding.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Type;

use crate::ast::{Data, Input};
use crate::expand::schema;
use crate::tokens::{private, respan};
use crate::valid::member_name;

/// The message's impls. A tag of 0 (refused by validation) is replaced by the name's tag, so
/// that the fallback after that mistake still implements the traits.
pub(crate) fn expand(input: &Input<'_>) -> TokenStream {
    let Input { ident, krate, .. } = input;
    let name = ident.to_string();
    let schema = schema::expand(input);
    let tag = match input.attrs.tag.filter(|tag| tag.value != 0) {
        Some(tag) => {
            let value = tag.value;
            quote_spanned!(tag.span=> #value)
        }
        None => quote!(#krate::__private::tag_from_name(#name)),
    };
    // Spanned at the `pod` key or the type's name: a type that lacks its codec's derives is
    // reported there, by the bound on `TypedMessage::Codec`.
    let codec = match input.attrs.pod {
        Some(span) => respan(quote!(#krate::__private::Pod), span),
        None => respan(quote!(#krate::__private::Rkyv), ident.span()),
    };
    let padding = input.attrs.pod.map(|span| padding_check(input, span));
    let key = key(input);
    quote! {
        #padding
        #schema

        #[automatically_derived]
        impl #krate::__private::TypedMessage for #ident {
            const TAG: u32 = #tag;
            type Codec = #codec;
            #key
        }
    }
}

/// For a message with a `#[bcast(key)]` field: its name, and its key from a message and from a
/// view. Spanned at `key`: a field type that is not a `Key` is reported there.
fn key(input: &Input<'_>) -> TokenStream {
    let Data::Struct(_, shape) = &input.data else { return TokenStream::new() };
    let Some((field, span)) = shape.fields.iter().find_map(|f| Some((f, f.key?))) else {
        return TokenStream::new();
    };
    let p = private(&input.krate, span);
    let member = &field.member;
    let name = member_name(member);
    quote_spanned! {span=>
        const KEY: #p::Option<&'static str> = #p::Option::Some(#name);

        #[inline]
        fn put_key(&self, out: &mut #p::Vec<u8>) {
            #p::Key::put_key(&self.#member, out);
        }

        #[inline]
        fn put_view_key(view: &#p::View<'_, Self>, out: &mut #p::Vec<u8>) {
            #p::Key::put_key(&view.#member, out);
        }
    }
}

/// A pod message must have no padding: its bytes are published as they are, and padding bytes
/// are uninitialised. Only rustc knows the layout, so this is a bound that holds when the size
/// is the sum of the fields' sizes, reported (at the `pod` key) before the codec's bounds. A
/// struct with a slice or `str` field has no fixed size and is left to zerocopy.
fn padding_check(input: &Input<'_>, span: Span) -> TokenStream {
    let Input { ident, krate, .. } = input;
    let Data::Struct(_, shape) = &input.data else { return TokenStream::new() };
    let unsized_field = |ty: &Type| match ty {
        Type::Slice(_) => true,
        Type::Path(path) => path.path.is_ident("str"),
        _ => false,
    };
    if shape.fields.iter().any(|field| unsized_field(field.ty)) {
        return TokenStream::new();
    }
    let sizes: Vec<TokenStream> = shape
        .fields
        .iter()
        .map(|field| {
            let ty = field.ty;
            quote!(::core::mem::size_of::<#ty>())
        })
        .collect();
    // `a + b + c`, or `0` without fields: no `0 + a` for clippy's `identity_op` in user code.
    let sum = if sizes.is_empty() { quote!(0) } else { quote!(#(#sizes)+*) };
    let bound = respan(
        quote! {
            #krate::__private::PodLayout<{
                ::core::mem::size_of::<#ident>() == #sum
            }>: #krate::__private::PaddingFree<#ident>
        },
        span,
    );
    quote! {
        const _: () = {
            #[allow(dead_code)]
            fn pod_message_has_no_padding() where #bound {}
        };
    }
}

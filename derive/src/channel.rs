//! `#[derive(BcastChannel)]` on an enum: a channel over the variants' message types.
//!
//! Everything generated per variant is spanned at the variant's type, so that a type that is
//! not a message type is reported there.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DataEnum, DeriveInput, Fields, Ident, Path, Type};

use crate::attr::{Attrs, Context};
use crate::schema::{reject_generics, respan};

/// One variant: `Name(Type)`.
struct Variant<'a> {
    ident: &'a Ident,
    ty: &'a Type,
    /// The span of the variant's type.
    span: Span,
}

/// Expands `#[derive(BcastChannel)]`.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    match &input.data {
        Data::Enum(data) => channel(input, data),
        Data::Struct(data) => Err(syn::Error::new(
            data.struct_token.span,
            "`BcastChannel` makes an enum of message types a channel; a struct is a message type: \
             `#[derive(bcast::BcastMessage)]` or `#[bcast::typed::message]`",
        )),
        Data::Union(data) => Err(syn::Error::new(
            data.union_token.span,
            "`BcastChannel` applies to enums of message types, not unions",
        )),
    }
}

/// A channel enum.
fn channel(input: &DeriveInput, data: &DataEnum) -> syn::Result<TokenStream> {
    let attrs = Attrs::from_attributes(&input.attrs, Context::Channel)?;
    reject_generics(input, "a channel")?;
    let variants = variants(input, data)?;
    let krate = attrs.krate();
    let view = format_ident!("{}View", input.ident);
    let parts = [
        view_enum(input, &view, &variants, &krate),
        channel_impl(input, &view, &variants, &krate),
        per_variant(input, &variants, &krate),
        view_methods(input, &view, &variants, &krate),
    ];
    Ok(quote!(#(#parts)*))
}

fn variants<'a>(input: &DeriveInput, data: &'a DataEnum) -> syn::Result<Vec<Variant<'a>>> {
    if data.variants.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "a channel needs at least one message type: add variants like `Quote(Quote)`",
        ));
    }
    let mut out: Vec<Variant<'a>> = Vec::new();
    let mut errors: Vec<syn::Error> = Vec::new();
    for variant in &data.variants {
        let ty = match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => &fields.unnamed[0].ty,
            _ => {
                let message = format!(
                    "a channel variant must be a newtype over a message type, like `{0}({0})`",
                    variant.ident
                );
                errors.push(syn::Error::new_spanned(variant, message));
                continue;
            }
        };
        let key = type_key(ty);
        if let Some(first) = out.iter().find(|v| type_key(v.ty) == key) {
            let message =
                format!("message type `{key}` is already carried by variant `{}`", first.ident);
            errors.push(syn::Error::new_spanned(ty, message));
        }
        out.push(Variant { ident: &variant.ident, ty, span: ty.span() });
    }
    match errors.into_iter().reduce(|mut all, error| {
        all.combine(error);
        all
    }) {
        Some(errors) => Err(errors),
        None => Ok(out),
    }
}

/// A type's tokens as text, to compare variants' types.
fn type_key(ty: &Type) -> String {
    quote!(#ty).to_string()
}

/// `#krate::__private`, spanned at `span`.
fn private(krate: &Path, span: Span) -> TokenStream {
    respan(quote!(#krate::__private), span)
}

fn view_enum(
    input: &DeriveInput,
    view: &Ident,
    variants: &[Variant<'_>],
    krate: &Path,
) -> TokenStream {
    let vis = &input.vis;
    let doc = format!(
        "A message received on channel [`{}`]: a zero-copy view per message type.",
        input.ident
    );
    let arms = variants.iter().map(|Variant { ident, ty, span }| {
        let doc = format!("A `{}` message.", type_key(ty));
        let p = private(krate, *span);
        quote_spanned!(*span=> #[doc = #doc] #ident(#p::View<'a, #ty>),)
    });
    quote! {
        #[doc = #doc]
        #vis enum #view<'a> {
            #(#arms)*
        }
    }
}

fn channel_impl(
    input: &DeriveInput,
    view: &Ident,
    variants: &[Variant<'_>],
    krate: &Path,
) -> TokenStream {
    let ident = &input.ident;
    let name = ident.to_string();
    let p = quote!(#krate::__private);
    let entries = variants.iter().map(|Variant { ty, span, .. }| {
        let p = private(krate, *span);
        quote_spanned!(*span=> #p::TypeEntry::of::<#ty>())
    });
    let tags: Vec<TokenStream> = variants
        .iter()
        .map(|Variant { ty, span, .. }| {
            let p = private(krate, *span);
            quote_spanned!(*span=> <#ty as #p::TypedMessage>::TAG)
        })
        .collect();
    let decodes = variants.iter().zip(&tags).map(|(Variant { ident, ty, span }, tag)| {
        quote_spanned!(*span=> #tag => payload.decode::<#ty>().map(#view::#ident),)
    });
    let visits = variants.iter().map(|Variant { ident, span, .. }| {
        quote_spanned!(*span=> Self::#ident(message) => visitor.visit(message),)
    });
    quote! {
        #[automatically_derived]
        impl #p::Channel for #ident {
            const NAME: &'static str = #name;
            const TYPES: &'static [#p::TypeEntry] = &[#(#entries),*];
            type View<'a> = #view<'a>;

            #[inline]
            #[allow(unreachable_patterns)]
            fn carries_tag(tag: u32) -> bool {
                ::core::matches!(tag, #(#tags)|*)
            }

            #[inline]
            fn decode(payload: #p::Payload<'_>) -> #p::Result<#view<'_>, #p::DecodeError> {
                // Duplicate tags are reported by the `const` checks below.
                #[allow(unreachable_patterns)]
                match payload.tag() {
                    #(#decodes)*
                    tag => #p::Result::Err(#p::DecodeError::UnknownTag { tag }),
                }
            }

            #[inline]
            fn visit<V: #p::MessageVisitor<Self>>(&self, visitor: V) -> V::Output {
                match self {
                    #(#visits)*
                }
            }
        }
    }
}

/// Per variant: `InChannel` and `From` impls, and a `const` that fails to compile if the tag is
/// 0 or the same as an earlier variant's (a const panic, reported at the variant's type).
fn per_variant(input: &DeriveInput, variants: &[Variant<'_>], krate: &Path) -> TokenStream {
    let channel = &input.ident;
    let items = variants.iter().enumerate().map(|(index, variant)| {
        let Variant { ident, ty, span } = variant;
        let p = private(krate, *span);
        let zero = format!("variant `{ident}` of channel `{channel}` has tag 0, which is reserved");
        let earlier = variants[..index].iter().map(|earlier| {
            let (other, other_ty) = (earlier.ident, earlier.ty);
            let message = format!(
                "variants `{other}` and `{ident}` of channel `{channel}` carry message types with \
                 the same tag; give one of them another `#[bcast(tag = ...)]`"
            );
            quote_spanned! {*span=>
                if <#ty as #p::TypedMessage>::TAG == <#other_ty as #p::TypedMessage>::TAG {
                    ::core::panic!(#message);
                }
            }
        });
        quote_spanned! {*span=>
            #[automatically_derived]
            impl #p::InChannel<#channel> for #ty {}

            #[automatically_derived]
            impl ::core::convert::From<#ty> for #channel {
                #[inline]
                fn from(message: #ty) -> Self {
                    Self::#ident(message)
                }
            }

            const _: () = {
                if <#ty as #p::TypedMessage>::TAG == 0 {
                    ::core::panic!(#zero);
                }
                #(#earlier)*
            };
        }
    });
    quote!(#(#items)*)
}

fn view_methods(
    input: &DeriveInput,
    view: &Ident,
    variants: &[Variant<'_>],
    krate: &Path,
) -> TokenStream {
    let vis = &input.vis;
    let p = quote!(#krate::__private);
    let arms = |arm: &dyn Fn(&Ident, &Type, &TokenStream) -> TokenStream| -> Vec<TokenStream> {
        variants
            .iter()
            .map(|Variant { ident, ty, span }| {
                let p = private(krate, *span);
                let arm = arm(ident, ty, &p);
                quote_spanned!(*span=> #arm)
            })
            .collect()
    };
    let names = arms(&|ident, ty, p| quote!(Self::#ident(_) => <#ty as #p::Schema>::NAME,));
    let tags = arms(&|ident, ty, p| quote!(Self::#ident(_) => <#ty as #p::TypedMessage>::TAG,));
    let json = arms(&|ident, ty, p| quote!(Self::#ident(view) => #p::json_line::<#ty>(view),));
    let channel = &input.ident;
    let owned = arms(
        &|ident, ty, p| quote!(Self::#ident(view) => <#ty as #p::ToMessage>::to_message(view).map(#channel::#ident),),
    );
    let tys: Vec<&Type> = variants.iter().map(|v| v.ty).collect();
    let debugs = variants.iter().map(|Variant { ident, .. }| {
        let name = ident.to_string();
        quote!(Self::#ident(_) => f.debug_tuple(#name).finish_non_exhaustive(),)
    });
    quote! {
        /// Names the variant only: archived types need not implement `Debug`.
        #[automatically_derived]
        impl ::core::fmt::Debug for #view<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(#debugs)*
                }
            }
        }

        #[allow(dead_code)]
        impl #view<'_> {
            /// The message type's name, as in the channel's registry.
            #vis fn type_name(&self) -> &'static str {
                match self {
                    #(#names)*
                }
            }

            /// The message type's tag.
            #vis fn tag(&self) -> u32 {
                match self {
                    #(#tags)*
                }
            }

            /// The owned message this view shows, as a value of the channel's enum: what the
            /// publisher sent, kept past the subscriber's next read.
            ///
            /// Needs `rkyv::Deserialize` on every rkyv message type of the channel
            /// (`#[bcast::typed::message]` derives it).
            ///
            /// # Errors
            ///
            /// A `DecodeError` if rkyv cannot rebuild a value.
            #vis fn to_message(&self) -> #p::Result<#channel, #p::DecodeError>
            where
                #(for<'x> #tys: #p::ToMessage,)*
            {
                match self {
                    #(#owned)*
                }
            }

            /// The message as one line of JSON, `{"type":"Quote","tag":1,"value":{...}}`.
            ///
            /// Needs bcast's `serde` feature and `serde::Serialize` on every message type of the
            /// channel (rkyv ones also need `rkyv::Deserialize`).
            ///
            /// # Errors
            ///
            /// A `JsonError` if the value cannot be rendered.
            #vis fn to_json_line(&self) -> #p::Result<#p::String, #p::JsonError>
            where
                #(for<'x> #tys: #p::JsonMessage,)*
            {
                match self {
                    #(#json)*
                }
            }
        }
    }
}

//! `#[derive(BcastChannel)]` on an enum: the view enum, `impl Channel`, and per message type
//! `InChannel`, `From` and the tag checks.
//!
//! Everything generated per variant is spanned at the variant's type, so that a type that is
//! not a message type is reported there.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, Type};

use crate::ast::{Data, Input};
use crate::tokens::private;
use crate::valid::type_key;

/// A variant that carries a message type: `Name(Type)`.
pub(crate) struct Carried<'a> {
    /// The variant's name.
    pub(crate) ident: &'a Ident,
    /// The message type.
    pub(crate) ty: &'a Type,
    /// The span of the message type.
    pub(crate) span: Span,
}

/// The variants of a valid channel: all of them, each a newtype.
pub(crate) fn carried<'a>(input: &Input<'a>) -> Vec<Carried<'a>> {
    let Data::Enum(_, variants) = &input.data else { return Vec::new() };
    variants
        .iter()
        .filter_map(|variant| {
            let (ty, span) = variant.newtype()?;
            Some(Carried { ident: variant.ident, ty, span })
        })
        .collect()
}

/// The channel's items over `carried`. `complete` says whether `carried` is every variant of
/// the enum; the fallback passes fewer (the valid ones) and `false`.
pub(crate) fn expand(input: &Input<'_>, carried: &[Carried<'_>], complete: bool) -> TokenStream {
    let view = view_ident(input);
    let parts = [
        view_enum(input, &view, carried),
        channel_impl(input, &view, carried, complete),
        per_variant(input, carried),
        view_methods(input, &view, carried),
    ];
    quote!(#(#parts)*)
}

/// `<Name>View`.
pub(crate) fn view_ident(input: &Input<'_>) -> Ident {
    format_ident!("{}View", input.ident)
}

/// The doc comment of the view enum.
pub(crate) fn view_doc(input: &Input<'_>) -> String {
    format!("A message received on channel [`{}`]: a zero-copy view per message type.", input.ident)
}

fn view_enum(input: &Input<'_>, view: &Ident, carried: &[Carried<'_>]) -> TokenStream {
    let Input { vis, krate, .. } = input;
    let doc = view_doc(input);
    let arms = carried.iter().map(|Carried { ident, ty, span }| {
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
    input: &Input<'_>,
    view: &Ident,
    carried: &[Carried<'_>],
    complete: bool,
) -> TokenStream {
    let Input { ident, krate, .. } = input;
    let name = ident.to_string();
    let p = quote!(#krate::__private);
    let entries = carried.iter().map(|Carried { ty, span, .. }| {
        let p = private(krate, *span);
        quote_spanned!(*span=> #p::TypeEntry::of::<#ty>())
    });
    let shapes = carried.iter().map(|Carried { ty, span, .. }| {
        let p = private(krate, *span);
        quote_spanned!(*span=> (<#ty as #p::TypedMessage>::TAG, &<#ty as #p::Schema>::SHAPE))
    });
    let roots = carried.iter().map(|Carried { ty, span, .. }| {
        let p = private(krate, *span);
        quote_spanned!(*span=> <<#ty as #p::TypedMessage>::Codec as #p::Codec<#ty>>::ROOT)
    });
    let keys = carried.iter().map(|Carried { ty, span, .. }| {
        let p = private(krate, *span);
        quote_spanned!(*span=> <#ty as #p::TypedMessage>::KEY)
    });
    let mut put_keys: Vec<TokenStream> = carried
        .iter()
        .map(|Carried { ident, ty, span }| {
            let p = private(krate, *span);
            quote_spanned!(*span=> #view::#ident(view) => <#ty as #p::TypedMessage>::put_view_key(view, out),)
        })
        .collect();
    if !complete {
        put_keys.push(quote!(_ => {}));
    }
    let tags: Vec<TokenStream> = carried
        .iter()
        .map(|Carried { ty, span, .. }| {
            let p = private(krate, *span);
            quote_spanned!(*span=> <#ty as #p::TypedMessage>::TAG)
        })
        .collect();
    let decodes = carried.iter().zip(&tags).map(|(Carried { ident, ty, span }, tag)| {
        quote_spanned!(*span=> #tag => payload.decode::<#ty>().map(#view::#ident),)
    });
    let mut visits: Vec<TokenStream> = carried
        .iter()
        .map(|Carried { ident, span, .. }| {
            quote_spanned!(*span=> Self::#ident(message) => visitor.visit(message),)
        })
        .collect();
    if !complete {
        // The fallback after a mistake: the variants left out are never visited, as the crate
        // does not compile.
        visits.push(quote!(_ => ::core::unreachable!("the channel derive reported an error"),));
    }
    let indices =
        tags.iter().enumerate().map(|(index, tag)| quote!(#tag => #p::Option::Some(#index),));
    quote! {
        #[automatically_derived]
        impl #p::Channel for #ident {
            const NAME: &'static str = #name;
            const TYPES: &'static [#p::TypeEntry] = &[#(#entries),*];
            const SHAPES: &'static [(u32, &'static #p::Shape)] = &[#(#shapes),*];
            const ROOTS: &'static [::core::alloc::Layout] = &[#(#roots),*];
            const KEYS: &'static [#p::Option<&'static str>] = &[#(#keys),*];
            type View<'a> = #view<'a>;

            #[inline]
            fn put_view_key(view: &#view<'_>, out: &mut #p::Vec<u8>) {
                #[allow(unreachable_patterns)]
                match view {
                    #(#put_keys)*
                }
            }

            #[inline]
            #[allow(unreachable_patterns)]
            fn type_index(tag: u32) -> #p::Option<usize> {
                match tag {
                    #(#indices)*
                    _ => #p::Option::None,
                }
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
fn per_variant(input: &Input<'_>, carried: &[Carried<'_>]) -> TokenStream {
    let Input { ident: channel, krate, .. } = input;
    let items = carried.iter().enumerate().map(|(index, variant)| {
        let Carried { ident, ty, span } = variant;
        let p = private(krate, *span);
        let zero = format!("variant `{ident}` of channel `{channel}` has tag 0, which is reserved");
        let earlier = carried[..index].iter().map(|earlier| {
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

fn view_methods(input: &Input<'_>, view: &Ident, carried: &[Carried<'_>]) -> TokenStream {
    let Input { vis, krate, ident: channel, .. } = input;
    let p = quote!(#krate::__private);
    let arms = |arm: &dyn Fn(&Ident, &Type, &TokenStream) -> TokenStream| -> Vec<TokenStream> {
        carried
            .iter()
            .map(|Carried { ident, ty, span }| {
                let p = private(krate, *span);
                let arm = arm(ident, ty, &p);
                quote_spanned!(*span=> #arm)
            })
            .collect()
    };
    let names = arms(&|ident, ty, p| quote!(Self::#ident(_) => <#ty as #p::Schema>::SHAPE.name(),));
    let tags = arms(&|ident, ty, p| quote!(Self::#ident(_) => <#ty as #p::TypedMessage>::TAG,));
    let json = arms(&|ident, ty, p| quote!(Self::#ident(view) => #p::json_line::<#ty>(view),));
    let owned = arms(
        &|ident, ty, p| quote!(Self::#ident(view) => <#ty as #p::ToMessage>::to_message(view).map(#channel::#ident),),
    );
    let tys: Vec<&Type> = carried.iter().map(|carried| carried.ty).collect();
    let debugs = carried.iter().map(|Carried { ident, .. }| {
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

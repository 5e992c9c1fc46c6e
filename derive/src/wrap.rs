//! The attribute macros `#[bcast::typed::message(...)]` and `#[bcast::typed::schema(...)]`: they add the
//! codec's derives (through `bcast`'s re-exports of rkyv and zerocopy) and bcast's own.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::attr::{Attrs, Context};

/// Which attribute macro.
pub(crate) enum Wrap {
    /// `#[bcast::typed::message]`: a message type.
    Message,
    /// `#[bcast::typed::schema]`: a type nested in messages.
    Schema,
}

pub(crate) fn expand(args: TokenStream, item: TokenStream, wrap: Wrap) -> syn::Result<TokenStream> {
    let context = match wrap {
        Wrap::Message => Context::Message,
        Wrap::Schema => Context::Schema,
    };
    // Parse here for early, well-placed errors; the derive parses the same keys again.
    let attrs = Attrs::from_args(args.clone(), context)?;
    let input: DeriveInput = syn::parse2(item)?;
    if let (Wrap::Message, syn::Data::Enum(data)) = (&wrap, &input.data) {
        return Err(syn::Error::new(
            data.enum_token.span,
            "`#[bcast::typed::message]` applies to structs: derive `BcastChannel` on a channel enum, \
             or use `#[bcast::typed::schema]` for an enum inside messages",
        ));
    }
    let krate = attrs.krate();
    let derive = match wrap {
        Wrap::Message => quote!(#krate::BcastMessage),
        Wrap::Schema => quote!(#krate::BcastSchema),
    };
    let codec = if attrs.pod.is_some() {
        let zerocopy = format!("{}::zerocopy", quote!(#krate));
        let repr = input.attrs.iter().any(|attr| attr.path().is_ident("repr"));
        let repr = if repr { quote!() } else { quote!(#[repr(C)]) };
        quote! {
            #[derive(
                #krate::zerocopy::FromBytes,
                #krate::zerocopy::IntoBytes,
                #krate::zerocopy::KnownLayout,
                #krate::zerocopy::Immutable,
            )]
            #[zerocopy(crate = #zerocopy)]
            #repr
        }
    } else {
        quote! {
            #[derive(#krate::rkyv::Archive, #krate::rkyv::Serialize, #krate::rkyv::Deserialize)]
            #[rkyv(crate = #krate::rkyv)]
        }
    };
    Ok(quote! {
        #codec
        #[derive(#derive)]
        #[bcast(#args)]
        #input
    })
}

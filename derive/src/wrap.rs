//! The attribute macros `#[bcast::typed::message(...)]` and `#[bcast::typed::schema(...)]`: they
//! add the codec's derives (through `bcast`'s re-exports of rkyv and zerocopy) and bcast's own,
//! which gets the arguments as `#[bcast(...)]` and reports their mistakes.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{DeriveInput, Meta, Path, Token};

use crate::ast::Shape;
use crate::attr::{Attrs, Context};
use crate::errors::Errors;
use crate::valid;

/// Which attribute macro.
pub(crate) enum Wrap {
    /// `#[bcast::typed::message]`: a message type.
    Message,
    /// `#[bcast::typed::schema]`: a type nested in messages.
    Schema,
}

/// Expands the attribute macro `wrap` with arguments `args` on `item`; `found_crate` is the
/// path of `bcast` when the arguments have no `crate = "..."` key.
pub(crate) fn expand(
    args: TokenStream,
    item: TokenStream,
    wrap: Wrap,
    found_crate: &Path,
) -> TokenStream {
    let context = match wrap {
        Wrap::Message => Context::Message,
        Wrap::Schema => Context::Schema,
    };
    // The derive parses the same arguments again and reports their mistakes, with a fallback.
    let attrs = Attrs::from_args(args.clone(), context, &mut Errors::default());
    let input: DeriveInput = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(error) => {
            let error = error.into_compile_error();
            return quote!(#error #item);
        }
    };
    if let (Wrap::Message, syn::Data::Enum(data)) = (&wrap, &input.data) {
        let error = syn::Error::new(
            data.enum_token.span,
            "`#[bcast::typed::message]` applies to structs: derive `BcastChannel` on a channel enum, \
             or use `#[bcast::typed::schema]` for an enum inside messages",
        )
        .into_compile_error();
        return quote!(#error #input);
    }
    let krate = attrs.krate.clone().unwrap_or_else(|| found_crate.clone());
    let derive = match wrap {
        Wrap::Message => quote!(#krate::BcastMessage),
        Wrap::Schema => quote!(#krate::BcastSchema),
    };
    let (args, pod, errors) = match (attrs.pod, pod_field_errors(&input)) {
        // A field that cannot be pod: reported here, and the type falls back to the rkyv
        // codec, so that the mistake is not reported again by every derive and every use.
        (Some(_), Some(error)) => match without_pod(&args) {
            Some(args) => (args, false, error.into_compile_error()),
            // Arguments that do not parse: the derive reports them, and the fields.
            None => (args, true, TokenStream::new()),
        },
        (pod, _) => (args, pod.is_some(), TokenStream::new()),
    };
    let codec = if pod {
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
    quote! {
        #errors
        #codec
        #[derive(#derive)]
        #[bcast(#args)]
        #input
    }
}

/// The errors of a struct's fields that cannot be pod (see [`valid::pod_fields`]).
fn pod_field_errors(input: &DeriveInput) -> Option<syn::Error> {
    let syn::Data::Struct(data) = &input.data else { return None };
    valid::pod_fields(&input.ident, &Shape::new(&data.fields, &mut Errors::default())).err()
}

/// `args` without the `pod` key, or `None` if they do not parse.
fn without_pod(args: &TokenStream) -> Option<TokenStream> {
    let parser = Punctuated::<Meta, Token![,]>::parse_terminated;
    let metas = syn::parse::Parser::parse2(parser, args.clone()).ok()?;
    let kept =
        metas.into_iter().filter(|meta| !matches!(meta, Meta::Path(path) if path.is_ident("pod")));
    Some(quote!(#(#kept),*))
}

//! Expansion: each derive reads its input ([`crate::ast`]), validates it ([`crate::valid`]),
//! and generates its items, or, after a mistake, the errors and a [`fallback`].

mod channel;
mod fallback;
mod message;
mod schema;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Path};

use crate::ast::Input;
use crate::attr::Context;
use crate::valid;

/// `#[derive(BcastMessage)]`. `found_crate` is the path of `bcast` when the input has no
/// `crate = "..."` key.
pub(crate) fn message(node: &DeriveInput, found_crate: &Path) -> TokenStream {
    let input = Input::from_syn(node, Context::Message, found_crate);
    match valid::message(&input) {
        Ok(()) => message::expand(&input),
        Err(errors) => with_fallback(errors, fallback::message(&input)),
    }
}

/// `#[derive(BcastChannel)]`.
pub(crate) fn channel(node: &DeriveInput, found_crate: &Path) -> TokenStream {
    let input = Input::from_syn(node, Context::Channel, found_crate);
    match valid::channel(&input) {
        Ok(()) => channel::expand(&input, &channel::carried(&input), true),
        Err(errors) => with_fallback(errors, fallback::channel(&input)),
    }
}

/// `#[derive(BcastSchema)]`.
pub(crate) fn schema(node: &DeriveInput, found_crate: &Path) -> TokenStream {
    let input = Input::from_syn(node, Context::Schema, found_crate);
    match valid::schema(&input) {
        Ok(()) => schema::expand(&input),
        Err(errors) => with_fallback(errors, fallback::schema(&input)),
    }
}

/// The errors first, so that rustc reports them before anything the fallback leads to.
fn with_fallback(errors: syn::Error, fallback: TokenStream) -> TokenStream {
    let errors = errors.into_compile_error();
    quote!(#errors #fallback)
}

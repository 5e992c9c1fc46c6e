//! Where the `bcast` crate is, seen from the crate being compiled: the path that generated
//! code starts with when the input has no `crate = "..."` key.

use proc_macro_crate::FoundCrate;
use syn::{Ident, Path};

/// `::bcast`, or `::<name>` when the caller's `Cargo.toml` depends on bcast under another name
/// (`bcast2 = { package = "bcast", ... }`).
///
/// The caller's own manifest naming the `bcast` package (its tests, examples and doctests)
/// gives `::bcast`, the name they link the library under. Without a readable manifest (a build
/// that is not Cargo's), or when no dependency is the `bcast` package (a crate that reaches it
/// through another one, or through `extern crate ... as bcast;`), it is `::bcast` as well: such
/// callers say where the crate is with `crate = "..."`.
pub(crate) fn default_path() -> Path {
    let name = match proc_macro_crate::crate_name("bcast") {
        Ok(FoundCrate::Name(name)) => name,
        Ok(FoundCrate::Itself) | Err(_) => return syn::parse_quote!(::bcast),
    };
    match syn::parse_str::<Ident>(&name) {
        Ok(ident) => syn::parse_quote!(::#ident),
        Err(_) => syn::parse_quote!(::bcast),
    }
}

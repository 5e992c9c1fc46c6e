//! Token helpers shared by the expansions: re-spanning generated tokens at the user's code.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::quote;
use syn::Path;

/// `tokens` with every token (and group) spanned at `span`, so that a diagnostic about them
/// points there even when they come from elsewhere (such as the `crate` path).
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// `#krate::__private`, spanned at `span`.
pub(crate) fn private(krate: &Path, span: Span) -> TokenStream {
    respan(quote!(#krate::__private), span)
}

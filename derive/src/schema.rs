//! `#[derive(BcastSchema)]`, and the fingerprint expression shared with `BcastMessage`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, Lit, Path};

use crate::attr::{Attrs, Context};

/// Expands `#[derive(BcastSchema)]`: a `Schema` impl for a struct or an enum.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let attrs = Attrs::from_attributes(&input.attrs, Context::Schema)?;
    reject_generics(input, "a schema type")?;
    let krate = attrs.krate();
    let kind = match &input.data {
        Data::Struct(_) => "struct",
        Data::Enum(_) => "enum",
        Data::Union(data) => {
            return Err(syn::Error::new(
                data.union_token.span,
                "bcast schemas support structs and enums, not unions",
            ));
        }
    };
    schema_impl(input, &krate, kind)
}

/// Refuses generic types: a fingerprint names one concrete type.
pub(crate) fn reject_generics(input: &DeriveInput, what: &str) -> syn::Result<()> {
    if input.generics.params.is_empty() && input.generics.where_clause.is_none() {
        return Ok(());
    }
    Err(syn::Error::new_spanned(
        &input.generics,
        format!("{what} cannot be generic: its schema fingerprint and tag name one concrete type"),
    ))
}

/// `impl Schema for <input>`, with the fingerprint of its shape.
pub(crate) fn schema_impl(
    input: &DeriveInput,
    krate: &Path,
    kind: &str,
) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let name = ident.to_string();
    let mut hash = quote!(#krate::__private::SchemaHasher::new(#kind, #name));
    let reprs = reprs(input)?;
    for repr in &reprs {
        hash = quote!(#hash.str(#repr));
    }
    let packed = reprs.iter().any(|repr| repr.starts_with("packed"));
    let check = check_usize(input, krate, packed);
    match &input.data {
        Data::Struct(data) => hash = fields(hash, &data.fields, krate),
        Data::Enum(data) => {
            for variant in &data.variants {
                let variant_name = variant.ident.to_string();
                hash = quote!(#hash.str(#variant_name));
                if let Some((_, discriminant)) = &variant.discriminant {
                    let value = literal_discriminant(discriminant)?;
                    hash = quote!(#hash.str("=").str(#value));
                }
                hash = fields(hash, &variant.fields, krate);
            }
        }
        Data::Union(_) => {}
    }
    let field_types: Vec<&syn::Type> = match &input.data {
        Data::Struct(data) => data.fields.iter().map(|field| &field.ty).collect(),
        Data::Enum(data) => data.variants.iter().flat_map(|v| &v.fields).map(|f| &f.ty).collect(),
        Data::Union(_) => Vec::new(),
    };
    let holds = field_types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> || <#ty as #krate::__private::Schema>::HOLDS_USIZE));
    Ok(quote! {
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
    })
}

/// The body of `check_usize`: each field's own check, in order. A packed type's fields cannot
/// be borrowed; rkyv cannot archive such a type, and the pod codec copies `usize`s whole, so
/// there is nothing to check.
fn check_usize(input: &DeriveInput, krate: &Path, packed: bool) -> TokenStream {
    let check = |ty: &syn::Type, value: TokenStream| {
        let schema = quote!(#krate::__private::Schema);
        quote_spanned!(ty.span()=> <#ty as #schema>::check_usize(#value)?;)
    };
    match &input.data {
        _ if packed => TokenStream::new(),
        Data::Struct(data) => data
            .fields
            .iter()
            .zip(data.fields.members())
            .map(|(field, member)| check(&field.ty, quote!(&self.#member)))
            .collect(),
        // No values, so nothing to check (and `HOLDS_USIZE` is `false`).
        Data::Enum(data) if data.variants.is_empty() => TokenStream::new(),
        Data::Enum(data) => {
            let arms = data.variants.iter().map(|variant| {
                let ident = &variant.ident;
                let bindings: Vec<_> = (0..variant.fields.len())
                    .map(|index| quote::format_ident!("__bcast_field_{}", index))
                    .collect();
                let pattern = match &variant.fields {
                    Fields::Named(_) => {
                        let members = variant.fields.members();
                        quote!(Self::#ident { #(#members: #bindings),* })
                    }
                    Fields::Unnamed(_) => quote!(Self::#ident(#(#bindings),*)),
                    Fields::Unit => quote!(Self::#ident),
                };
                let checks = variant
                    .fields
                    .iter()
                    .zip(&bindings)
                    .map(|(field, binding)| check(&field.ty, quote!(#binding)));
                quote!(#pattern => { #(#checks)* })
            });
            quote!(match self { #(#arms)* })
        }
        Data::Union(_) => TokenStream::new(),
    }
}

/// Adds the field shape, then each field's name and type fingerprint, in order.
fn fields(mut hash: TokenStream, fields: &Fields, krate: &Path) -> TokenStream {
    let shape = match fields {
        Fields::Named(_) => "named",
        Fields::Unnamed(_) => "tuple",
        Fields::Unit => "unit",
    };
    hash = quote!(#hash.str(#shape));
    for (index, field) in fields.iter().enumerate() {
        let name = field.ident.as_ref().map_or_else(|| index.to_string(), ToString::to_string);
        let ty = &field.ty;
        // Spanned at the type, so a type without a schema is reported there.
        let fingerprint =
            quote_spanned!(ty.span()=> <#ty as #krate::__private::Schema>::FINGERPRINT);
        hash = quote!(#hash.field(#name, #fingerprint));
    }
    hash
}

/// The `#[repr(...)]` items, rendered canonically (`C`, `u8`, `align(16)`, `packed`), since
/// they decide a pod type's layout.
fn reprs(input: &DeriveInput) -> syn::Result<Vec<String>> {
    let mut out = Vec::new();
    for attr in input.attrs.iter().filter(|attr| attr.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            let mut item = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let lit: syn::LitInt = content.parse()?;
                item = format!("{item}({})", lit.base10_digits());
            }
            out.push(item);
            Ok(())
        })?;
    }
    Ok(out)
}

fn literal_discriminant(expr: &Expr) -> syn::Result<String> {
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(int), .. }) => Ok(int.base10_digits().to_owned()),
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => {
            Ok(format!("-{}", literal_discriminant(expr)?))
        }
        _ => Err(syn::Error::new_spanned(
            expr,
            "bcast schemas support only integer literal discriminants",
        )),
    }
}

/// `tokens` with every token (and group) spanned at `span`, so that a diagnostic about them
/// points there even when they come from elsewhere (such as the `crate` path).
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

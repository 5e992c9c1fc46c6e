//! Checks of what a derive's input means, before anything is generated. Each check reports
//! every mistake it finds, at the token to fix; [`message`], [`channel`] and [`schema`] run
//! the ones that apply to each derive and combine their errors.
//!
//! What a macro cannot see (whether a type implements a trait, a type's size) is left to
//! rustc, through bounds and assertions in the generated code.

use quote::quote;
use syn::{Expr, Lit, Type};

use crate::ast::{Data, Field, Input, Shape};
use crate::errors::Errors;

/// `#[derive(BcastMessage)]`: a non-generic struct, a tag other than 0, and for `pod`, fields
/// that accept any bytes.
pub(crate) fn message(input: &Input<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    errors.check(input.parse_errors.to_result());
    match &input.data {
        Data::Struct(_, shape) => {
            errors.check(not_generic(input, "a message type"));
            if let Some(tag) = input.attrs.tag.filter(|tag| tag.value == 0) {
                errors.push(syn::Error::new(
                    tag.span,
                    "tag 0 is reserved for untyped frames; pick another `u32`",
                ));
            }
            if let Some(version) = input.attrs.version.filter(|version| version.value == 0) {
                errors.push(syn::Error::new(
                    version.span,
                    "versions start at 1; leave `version` out for an unversioned type",
                ));
            }
            if input.attrs.pod.is_some() {
                errors.check(pod_fields(input.ident, shape));
            }
            errors.check(field_versions(input, shape));
            errors.check(one_key(shape));
        }
        Data::Enum(token, _) => errors.push(syn::Error::new(
            *token,
            "`BcastMessage` makes a struct a message type; an enum of message types is a \
             channel: `#[derive(bcast::BcastChannel)]`",
        )),
        Data::Union(token) => errors.push(syn::Error::new(
            *token,
            "`BcastMessage` applies to structs (message types), not unions",
        )),
    }
    errors.finish()
}

/// `#[derive(BcastChannel)]`: a non-generic enum of at least one variant, each a newtype over a
/// message type that no other variant carries.
pub(crate) fn channel(input: &Input<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    errors.check(input.parse_errors.to_result());
    match &input.data {
        Data::Enum(_, variants) => {
            errors.check(not_generic(input, "a channel"));
            if variants.is_empty() {
                errors.push(syn::Error::new_spanned(
                    input.ident,
                    "a channel needs at least one message type: add variants like `Quote(Quote)`",
                ));
            }
            let mut seen: Vec<(String, &syn::Ident)> = Vec::new();
            for variant in variants {
                errors.check(no_field_versions(&variant.shape));
                let Some((ty, _)) = variant.newtype() else {
                    errors.push(syn::Error::new_spanned(
                        variant.original,
                        format!(
                            "a channel variant must be a newtype over a message type, like \
                             `{0}({0})`",
                            variant.ident
                        ),
                    ));
                    continue;
                };
                let key = type_key(ty);
                match seen.iter().find(|(other, _)| *other == key) {
                    Some((_, first)) => errors.push(syn::Error::new_spanned(
                        ty,
                        format!("message type `{key}` is already carried by variant `{first}`"),
                    )),
                    None => seen.push((key, variant.ident)),
                }
            }
        }
        Data::Struct(token, _) => errors.push(syn::Error::new(
            *token,
            "`BcastChannel` makes an enum of message types a channel; a struct is a message \
             type: `#[derive(bcast::BcastMessage)]` or `#[bcast::typed::message]`",
        )),
        Data::Union(token) => errors.push(syn::Error::new(
            *token,
            "`BcastChannel` applies to enums of message types, not unions",
        )),
    }
    errors.finish()
}

/// `#[derive(BcastSchema)]`: a non-generic struct or enum, with literal discriminants, and for
/// a `pod` struct, fields that accept any bytes.
pub(crate) fn schema(input: &Input<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    errors.check(input.parse_errors.to_result());
    match &input.data {
        Data::Struct(_, shape) => {
            errors.check(not_generic(input, "a schema type"));
            errors.check(no_field_versions(shape));
            errors.check(no_keys(shape));
            if input.attrs.pod.is_some() {
                errors.check(pod_fields(input.ident, shape));
            }
        }
        Data::Enum(_, variants) => {
            errors.check(not_generic(input, "a schema type"));
            for variant in variants {
                errors.check(no_field_versions(&variant.shape));
                errors.check(no_keys(&variant.shape));
            }
            for discriminant in variants.iter().filter_map(|variant| variant.discriminant) {
                if literal_discriminant(discriminant).is_none() {
                    errors.push(syn::Error::new_spanned(
                        discriminant,
                        "bcast schemas support only integer literal discriminants, like `= 1`",
                    ));
                }
            }
        }
        Data::Union(token) => errors
            .push(syn::Error::new(*token, "bcast schemas support structs and enums, not unions")),
    }
    errors.finish()
}

/// `#[bcast(since = N)]` on a message's fields: only with the message's `version`, naming one
/// of its versions, and in order, since a version only appends fields to the one before.
fn field_versions(input: &Input<'_>, shape: &Shape<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    let Some(version) = input.attrs.version.map(|version| version.value) else {
        for since in shape.fields.iter().filter_map(|field| field.since) {
            errors.push(syn::Error::new(
                since.span,
                "`since` needs the message's own version: add `version = N` to its attribute",
            ));
        }
        return errors.finish();
    };
    // The version of the fields so far, and the last field that set it.
    let mut last = (1, None);
    for field in &shape.fields {
        let Some(since) = field.since else {
            if let (later, Some(member)) = last {
                errors.push(syn::Error::new_spanned(
                    field.ty,
                    format!(
                        "a field without `since` is of version 1: it must come before \
                         `{}` (version {later}), as versions only append fields",
                        member_name(member)
                    ),
                ));
            }
            continue;
        };
        if since.value == 0 || since.value > version {
            errors.push(syn::Error::new(
                since.span,
                format!(
                    "`since = {}` is not a version of this message: its versions run from 1 \
                     to {version}",
                    since.value
                ),
            ));
        } else if since.value < last.0 {
            errors.push(syn::Error::new(
                since.span,
                format!(
                    "a field of version {} must come before the fields of version {}, as \
                     versions only append fields",
                    since.value, last.0
                ),
            ));
        } else if since.value > 1 {
            last = (since.value, Some(&field.member));
        }
    }
    errors.finish()
}

/// Refuses `#[bcast(since = N)]` outside a message struct.
fn no_field_versions(shape: &Shape<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    for since in shape.fields.iter().filter_map(|field| field.since) {
        errors.push(syn::Error::new(
            since.span,
            "`since` marks a field of a versioned message struct; a schema type or channel \
             evolves with the message that holds it",
        ));
    }
    errors.finish()
}

/// `#[bcast(key)]` on at most one field of a message.
fn one_key(shape: &Shape<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    let mut keys = shape.fields.iter().filter(|field| field.key.is_some());
    let first = keys.next();
    for extra in keys {
        let (Some(first), Some(span)) = (first, extra.key) else { continue };
        errors.push(syn::Error::new(
            span,
            format!(
                "a message has one key field, and `{}` is this one's already",
                member_name(&first.member)
            ),
        ));
    }
    errors.finish()
}

/// Refuses `#[bcast(key)]` outside a message struct.
fn no_keys(shape: &Shape<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    for span in shape.fields.iter().filter_map(|field| field.key) {
        errors.push(syn::Error::new(
            span,
            "`key` marks the key field of a message struct; a schema type has none",
        ));
    }
    errors.finish()
}

/// A field's name, or its index in a tuple struct.
pub(crate) fn member_name(member: &syn::Member) -> String {
    match member {
        syn::Member::Named(ident) => ident.to_string(),
        syn::Member::Unnamed(index) => index.index.to_string(),
    }
}

/// A type's tokens as text, to compare channel variants' types.
pub(crate) fn type_key(ty: &Type) -> String {
    quote!(#ty).to_string()
}

/// An integer literal discriminant (`1`, `-1`) as text, or `None` for any other expression.
pub(crate) fn literal_discriminant(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(int), .. }) => Some(int.base10_digits().to_owned()),
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => {
            literal_discriminant(expr).map(|digits| format!("-{digits}"))
        }
        _ => None,
    }
}

/// Refuses generic types: a fingerprint and a tag name one concrete type.
fn not_generic(input: &Input<'_>, what: &str) -> syn::Result<()> {
    if !input.generic {
        return Ok(());
    }
    Err(syn::Error::new_spanned(
        &input.original.generics,
        format!("{what} cannot be generic: its schema fingerprint and tag name one concrete type"),
    ))
}

/// Every field of a pod type must accept any bytes, since a subscriber reads the type in place
/// from the channel's bytes. Types that visibly do not (`bool`, `char`, references, heap
/// types, ...) are reported at the field's type, with what to use instead; zerocopy's derives
/// check the rest.
pub(crate) fn pod_fields(ident: &syn::Ident, shape: &Shape<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    for Field { member, ty, .. } in &shape.fields {
        let Some((culprit, advice)) = not_any_bytes(ty) else { continue };
        let field = match member {
            syn::Member::Named(name) => format!("field `{name}`"),
            syn::Member::Unnamed(index) => format!("field {}", index.index),
        };
        let culprit = type_key(culprit);
        let whole = type_key(ty);
        let what = if culprit == whole {
            format!("is a `{culprit}`")
        } else {
            format!("holds a `{culprit}`")
        };
        errors.push(syn::Error::new_spanned(
            ty,
            format!(
                "{field} of pod type `{ident}` {what}, which does not accept every bit pattern: \
                 a pod message is read in place from the channel's bytes, so each field must \
                 accept any bytes; {advice}, or drop `pod` to use the rkyv codec"
            ),
        ));
    }
    errors.finish()
}

/// The part of `ty` that visibly does not accept every bit pattern, and what to use instead.
fn not_any_bytes(ty: &Type) -> Option<(&Type, &'static str)> {
    match ty {
        Type::Array(array) => not_any_bytes(&array.elem),
        Type::Slice(slice) => not_any_bytes(&slice.elem),
        Type::Group(group) => not_any_bytes(&group.elem),
        Type::Paren(paren) => not_any_bytes(&paren.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(not_any_bytes),
        Type::Reference(_) | Type::Ptr(_) => Some((
            ty,
            "an address means nothing in another process: store the value itself, or an index",
        )),
        Type::BareFn(_) => Some((ty, "a function pointer means nothing in another process")),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?.ident.to_string();
            let advice = match last.as_str() {
                "bool" => "use `u8` (0 or 1) instead",
                "char" => "use `u32` instead (and `char::from_u32` to read it)",
                "NonZero" | "NonZeroU8" | "NonZeroU16" | "NonZeroU32" | "NonZeroU64"
                | "NonZeroU128" | "NonZeroUsize" | "NonZeroI8" | "NonZeroI16" | "NonZeroI32"
                | "NonZeroI64" | "NonZeroI128" | "NonZeroIsize" => {
                    "use the plain integer type (`u32`, ...) instead"
                }
                "Option" => "use a sentinel value, or a separate `u8` flag field, instead",
                "String" | "str" | "Vec" | "Box" | "Rc" | "Arc" | "HashMap" | "BTreeMap"
                | "HashSet" | "BTreeSet" | "VecDeque" | "Cow" => {
                    "heap memory is not in the message's bytes: use a fixed-size array \
                     (`[u8; N]`) instead"
                }
                _ => return None,
            };
            Some((ty, advice))
        }
        _ => None,
    }
}

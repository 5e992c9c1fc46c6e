//! The input of a derive as bcast sees it: a struct, enum or union with its fields and
//! variants, its parsed `#[bcast(...)]` keys and `#[repr(...)]`, and the spans to report at.
//!
//! Building it never fails: what cannot be parsed is kept as an error in
//! [`Input::parse_errors`], which validation reports with the rest.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{DeriveInput, Expr, Fields, Ident, Member, Path, Type, Visibility};

use crate::attr::{Attrs, Context, Version};
use crate::errors::Errors;

/// A derive's input.
pub(crate) struct Input<'a> {
    /// The item as written.
    pub(crate) original: &'a DeriveInput,
    /// The type's name.
    pub(crate) ident: &'a Ident,
    /// The type's visibility, which generated items share.
    pub(crate) vis: &'a Visibility,
    /// The `#[bcast(...)]` keys.
    pub(crate) attrs: Attrs,
    /// The path of the `bcast` crate in generated code: `crate = "..."`, or the one found for
    /// the caller.
    pub(crate) krate: Path,
    /// The `#[repr(...)]` items, rendered canonically (`C`, `u8`, `align(16)`, `packed`).
    pub(crate) reprs: Vec<String>,
    /// The struct, enum or union.
    pub(crate) data: Data<'a>,
    /// Whether the type has generic parameters or a `where` clause.
    pub(crate) generic: bool,
    /// What could not be parsed: bad keys, bad `repr`s.
    pub(crate) parse_errors: Errors,
}

/// The kind of type, with its fields or variants.
pub(crate) enum Data<'a> {
    /// A struct: its `struct` token's span and its fields.
    Struct(Span, Shape<'a>),
    /// An enum: its `enum` token's span and its variants.
    Enum(Span, Vec<Variant<'a>>),
    /// A union: its `union` token's span.
    Union(Span),
}

/// A struct's or variant's fields and how they are written.
pub(crate) struct Shape<'a> {
    /// Named (`{ a: T }`), tuple (`(T)`) or unit.
    pub(crate) style: Style,
    /// The fields, in order.
    pub(crate) fields: Vec<Field<'a>>,
}

/// How fields are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `{ a: T }`.
    Named,
    /// `(T)`.
    Tuple,
    /// No fields.
    Unit,
}

/// One field.
pub(crate) struct Field<'a> {
    /// `self.<member>`: its name or index.
    pub(crate) member: Member,
    /// Its type.
    pub(crate) ty: &'a Type,
    /// `#[bcast(since = N)]`: the version of a versioned message that added it.
    pub(crate) since: Option<Version>,
    /// `#[bcast(key)]`: the span of `key` on the message's key field.
    pub(crate) key: Option<Span>,
}

/// One enum variant.
pub(crate) struct Variant<'a> {
    /// The variant as written, for spans.
    pub(crate) original: &'a syn::Variant,
    /// Its name.
    pub(crate) ident: &'a Ident,
    /// Its fields.
    pub(crate) shape: Shape<'a>,
    /// `= <expr>`, if written.
    pub(crate) discriminant: Option<&'a Expr>,
}

impl<'a> Input<'a> {
    /// Reads `node` for the derive that `context` names; `found_crate` is the path of `bcast`
    /// when the input has no `crate = "..."` key.
    pub(crate) fn from_syn(node: &'a DeriveInput, context: Context, found_crate: &Path) -> Self {
        let mut parse_errors = Errors::default();
        let attrs = Attrs::from_attributes(&node.attrs, context, &mut parse_errors);
        let reprs = reprs(node, &mut parse_errors);
        let data = match &node.data {
            syn::Data::Struct(data) => {
                Data::Struct(data.struct_token.span, Shape::new(&data.fields, &mut parse_errors))
            }
            syn::Data::Enum(data) => {
                let variants = data.variants.iter();
                Data::Enum(
                    data.enum_token.span,
                    variants.map(|v| Variant::new(v, &mut parse_errors)).collect(),
                )
            }
            syn::Data::Union(data) => Data::Union(data.union_token.span),
        };
        let krate = attrs.krate.clone().unwrap_or_else(|| found_crate.clone());
        Input {
            original: node,
            ident: &node.ident,
            vis: &node.vis,
            attrs,
            krate,
            reprs,
            data,
            generic: !node.generics.params.is_empty() || node.generics.where_clause.is_some(),
            parse_errors,
        }
    }

    /// Whether a `#[repr(packed)]` (or `packed(N)`) applies.
    pub(crate) fn packed(&self) -> bool {
        self.reprs.iter().any(|repr| repr.starts_with("packed"))
    }
}

impl<'a> Shape<'a> {
    /// Reads `fields` and their `#[bcast(...)]` attributes; mistakes go to `errors`.
    pub(crate) fn new(fields: &'a Fields, errors: &mut Errors) -> Self {
        let style = match fields {
            Fields::Named(_) => Style::Named,
            Fields::Unnamed(_) => Style::Tuple,
            Fields::Unit => Style::Unit,
        };
        let fields = fields
            .iter()
            .zip(fields.members())
            .map(|(field, member)| {
                let attrs = Attrs::from_attributes(&field.attrs, Context::Field, errors);
                Field { member, ty: &field.ty, since: attrs.since, key: attrs.key }
            })
            .collect();
        Shape { style, fields }
    }
}

impl<'a> Variant<'a> {
    fn new(variant: &'a syn::Variant, errors: &mut Errors) -> Self {
        Variant {
            original: variant,
            ident: &variant.ident,
            shape: Shape::new(&variant.fields, errors),
            discriminant: variant.discriminant.as_ref().map(|(_, expr)| expr),
        }
    }

    /// The type of a newtype variant `Name(Type)`, and its span.
    pub(crate) fn newtype(&self) -> Option<(&'a Type, Span)> {
        match (self.shape.style, self.shape.fields.as_slice()) {
            (Style::Tuple, [field]) => Some((field.ty, field.ty.span())),
            _ => None,
        }
    }
}

/// The `#[repr(...)]` items, rendered canonically, since they decide a pod type's layout.
fn reprs(node: &DeriveInput, errors: &mut Errors) -> Vec<String> {
    let mut out = Vec::new();
    for attr in node.attrs.iter().filter(|attr| attr.path().is_ident("repr")) {
        errors.check(attr.parse_nested_meta(|meta| {
            let mut item = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let lit: syn::LitInt = content.parse()?;
                item = format!("{item}({})", lit.base10_digits());
            }
            out.push(item);
            Ok(())
        }));
    }
    out
}

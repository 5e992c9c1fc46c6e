//! Parsing of `#[bcast(...)]` (and of the attribute macros' arguments, which use the same keys).

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitInt, LitStr, Path};

/// Where the keys appear; decides which ones are allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// `#[derive(BcastMessage)]` on a struct, or `#[bcast::typed::message]`.
    Message,
    /// `#[derive(BcastChannel)]` on an enum: a channel.
    Channel,
    /// `#[derive(BcastSchema)]`, or `#[bcast::typed::schema]`.
    Schema,
}

impl Context {
    fn allows(self, key: &str) -> bool {
        match self {
            Self::Message => matches!(key, "tag" | "pod" | "crate"),
            Self::Channel => key == "crate",
            Self::Schema => matches!(key, "pod" | "crate"),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Message => "`tag = <u32>`, `pod` or `crate = \"...\"`",
            Self::Channel => "`crate = \"...\"` (tags and codecs belong on the message structs)",
            Self::Schema => "`pod` or `crate = \"...\"`",
        }
    }
}

/// The parsed keys.
#[derive(Default)]
pub(crate) struct Attrs {
    /// `tag = N`: the value and the literal's span.
    pub(crate) tag: Option<(u32, Span)>,
    /// `pod`: its span.
    pub(crate) pod: Option<Span>,
    /// `crate = "path"`.
    pub(crate) krate: Option<Path>,
}

impl Attrs {
    /// Parses every `#[bcast(...)]` among `attrs`.
    pub(crate) fn from_attributes(attrs: &[Attribute], context: Context) -> syn::Result<Self> {
        let mut out = Self::default();
        let mut errors: Option<syn::Error> = None;
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("bcast")) {
            if let Err(error) = attr.parse_nested_meta(|meta| out.key(&meta, context)) {
                match &mut errors {
                    Some(errors) => errors.combine(error),
                    None => errors = Some(error),
                }
            }
        }
        errors.map_or(Ok(out), Err)
    }

    /// Parses an attribute macro's arguments.
    pub(crate) fn from_args(args: TokenStream, context: Context) -> syn::Result<Self> {
        let mut out = Self::default();
        let parser = syn::meta::parser(|meta| out.key(&meta, context));
        syn::parse::Parser::parse2(parser, args)?;
        Ok(out)
    }

    /// The path of the `bcast` crate in generated code.
    pub(crate) fn krate(&self) -> Path {
        self.krate.clone().unwrap_or_else(|| syn::parse_quote!(::bcast))
    }

    fn key(&mut self, meta: &ParseNestedMeta<'_>, context: Context) -> syn::Result<()> {
        let Some(key) = meta.path.get_ident().map(ToString::to_string) else {
            return Err(meta.error(format!("expected one of {}", context.expected())));
        };
        if !context.allows(&key) {
            let what = match context {
                Context::Message => "a message struct",
                Context::Channel => "a channel enum",
                Context::Schema => "a schema type",
            };
            return Err(meta.error(format!(
                "unknown key `{key}` for {what} in `#[bcast(...)]`; expected {}",
                context.expected()
            )));
        }
        let duplicate = || meta.error(format!("duplicate key `{key}`"));
        match key.as_str() {
            "tag" => {
                let lit: LitInt = meta.value()?.parse()?;
                let tag = lit.base10_parse::<u32>()?;
                if tag == 0 {
                    return Err(syn::Error::new(
                        lit.span(),
                        "tag 0 is reserved for untyped frames; pick another `u32`",
                    ));
                }
                if self.tag.replace((tag, lit.span())).is_some() {
                    return Err(duplicate());
                }
            }
            "pod" => {
                if self.pod.replace(meta.path.require_ident()?.span()).is_some() {
                    return Err(duplicate());
                }
            }
            _ => {
                let value = meta.value()?;
                let path = if value.peek(LitStr) {
                    value.parse::<LitStr>()?.parse::<Path>()?
                } else {
                    value.parse::<Path>()?
                };
                if self.krate.replace(path).is_some() {
                    return Err(duplicate());
                }
            }
        }
        Ok(())
    }
}

//! Parsing of `#[bcast(...)]`, and of the attribute macros' arguments, which use the same keys.
//!
//! Parsing goes on past a mistake where it can (an unknown or repeated key), so that every
//! mistake is reported at once; meaning (such as tag 0) is checked later, by [`crate::valid`].

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitInt, LitStr, Path, Token};

use crate::errors::Errors;

/// Where the keys appear; decides which ones are allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// `#[derive(BcastMessage)]` on a struct, or `#[bcast::typed::message]`.
    Message,
    /// `#[derive(BcastChannel)]` on an enum: a channel.
    Channel,
    /// `#[derive(BcastSchema)]`, or `#[bcast::typed::schema]`.
    Schema,
    /// A field of any of them.
    Field,
}

impl Context {
    /// Whether `key` is one of this context's keys.
    fn allows(self, key: &str) -> bool {
        match self {
            Self::Message => matches!(key, "tag" | "version" | "pod" | "crate"),
            Self::Channel => key == "crate",
            Self::Schema => matches!(key, "pod" | "crate"),
            Self::Field => matches!(key, "since" | "key"),
        }
    }

    /// The keys this context allows, for error messages.
    fn expected(self) -> &'static str {
        match self {
            Self::Message => "`tag = <u32>`, `version = <u16>`, `pod` or `crate = \"...\"`",
            Self::Channel => "`crate = \"...\"` (tags and codecs belong on the message structs)",
            Self::Schema => "`pod` or `crate = \"...\"`",
            Self::Field => {
                "`since = <u16>` (the version of a versioned message that added it) or `key` \
                 (the field whose latest message per value the channel keeps)"
            }
        }
    }

    /// What the keys are on, for error messages.
    fn what(self) -> &'static str {
        match self {
            Self::Message => "a message struct",
            Self::Channel => "a channel enum",
            Self::Schema => "a schema type",
            Self::Field => "a field",
        }
    }
}

/// `tag = N`, as written.
#[derive(Clone, Copy)]
pub(crate) struct Tag {
    /// The value; 0 is parsed here and refused by validation.
    pub(crate) value: u32,
    /// The literal's span.
    pub(crate) span: Span,
}

/// `version = N` or `since = N`, as written.
#[derive(Clone, Copy)]
pub(crate) struct Version {
    /// The value; 0 is parsed here and refused by validation.
    pub(crate) value: u16,
    /// The literal's span.
    pub(crate) span: Span,
}

/// The parsed keys. A repeated key keeps its first value.
#[derive(Default)]
pub(crate) struct Attrs {
    /// `tag = N`.
    pub(crate) tag: Option<Tag>,
    /// `version = N`.
    pub(crate) version: Option<Version>,
    /// `since = N`, on a field.
    pub(crate) since: Option<Version>,
    /// `pod`: its span.
    pub(crate) pod: Option<Span>,
    /// `key`, on a field: its span.
    pub(crate) key: Option<Span>,
    /// `crate = "path"`.
    pub(crate) krate: Option<Path>,
}

impl Attrs {
    /// Parses every `#[bcast(...)]` among `attrs`; mistakes go to `errors`.
    pub(crate) fn from_attributes(
        attrs: &[Attribute],
        context: Context,
        errors: &mut Errors,
    ) -> Self {
        let mut out = Self::default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("bcast")) {
            let mut found = Errors::default();
            errors.check(attr.parse_nested_meta(|meta| out.key(&meta, context, &mut found)));
            errors.check(found.finish());
        }
        out
    }

    /// Parses an attribute macro's arguments; mistakes go to `errors`.
    pub(crate) fn from_args(args: TokenStream, context: Context, errors: &mut Errors) -> Self {
        let mut out = Self::default();
        let mut found = Errors::default();
        let parser = syn::meta::parser(|meta| out.key(&meta, context, &mut found));
        errors.check(syn::parse::Parser::parse2(parser, args));
        errors.check(found.finish());
        out
    }

    /// One key. Mistakes after which parsing can go on (an unknown or repeated key) go to
    /// `found`; the others end this attribute's parsing.
    fn key(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        context: Context,
        found: &mut Errors,
    ) -> syn::Result<()> {
        let Some(key) = meta.path.get_ident().map(ToString::to_string) else {
            return Err(meta.error(format!("expected one of {}", context.expected())));
        };
        if !context.allows(&key) {
            found.push(meta.error(format!(
                "unknown key `{key}` for {} in `#[bcast(...)]`; expected {}",
                context.what(),
                context.expected()
            )));
            return skip_value(meta);
        }
        let duplicate = || meta.error(format!("duplicate key `{key}`: give it once"));
        match key.as_str() {
            "tag" => {
                let lit: LitInt = meta.value()?.parse()?;
                let value = lit.base10_parse::<u32>()?;
                match self.tag {
                    Some(_) => found.push(duplicate()),
                    None => self.tag = Some(Tag { value, span: lit.span() }),
                }
            }
            "version" | "since" => {
                let lit: LitInt = meta.value()?.parse()?;
                let value = Version { value: lit.base10_parse::<u16>()?, span: lit.span() };
                let slot = if key == "version" { &mut self.version } else { &mut self.since };
                match slot {
                    Some(_) => found.push(duplicate()),
                    None => *slot = Some(value),
                }
            }
            "pod" | "key" => {
                let slot = if key == "pod" { &mut self.pod } else { &mut self.key };
                match slot {
                    Some(_) => found.push(duplicate()),
                    None => *slot = Some(meta.path.require_ident()?.span()),
                }
            }
            _ => {
                let value = meta.value()?;
                let path = if value.peek(LitStr) {
                    value.parse::<LitStr>()?.parse::<Path>()?
                } else {
                    value.parse::<Path>()?
                };
                match self.krate {
                    Some(_) => found.push(duplicate()),
                    None => self.krate = Some(path),
                }
            }
        }
        Ok(())
    }
}

/// Consumes an unknown key's value (`= expr` or `(...)`), so that the keys after it are parsed.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

//! [`FieldDifference`]: where two descriptions of a message type part, down to the field, so
//! that a schema mismatch can say "`Quote.bid`: f32 here, f64 in the channel".

use std::fmt;

use super::description::{Description, Node, NodeField, NodeId};

/// Reported differences per message type, at most: a type rewritten from scratch would
/// otherwise list every field.
const MAX_DIFFERENCES: usize = 16;

/// One place where this program's description of a message type and the channel's part.
///
/// A *path* names the place from the message type down: `Book.levels[].qty`, where `[]` is the
/// element of a vector, slice or array, `?` the value of an `Option`, `.0` a tuple element or
/// tuple field, `{key}` and `{value}` a map's keys and values, and `::Variant` an enum variant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldDifference {
    /// The type at `path` differs.
    Retyped {
        /// Where.
        path: String,
        /// This program's type, in Rust syntax.
        ours: String,
        /// The channel's type.
        theirs: String,
    },
    /// A field (or variant) that this program has at `path` and the channel does not.
    OnlyOurs {
        /// Where.
        path: String,
        /// The field's or variant's name.
        member: String,
    },
    /// A field (or variant) that the channel has at `path` and this program does not.
    OnlyTheirs {
        /// Where.
        path: String,
        /// The field's or variant's name.
        member: String,
    },
    /// The same fields (or variants) in another order.
    Reordered {
        /// Where.
        path: String,
        /// This program's order.
        ours: Vec<String>,
        /// The channel's order.
        theirs: Vec<String>,
    },
    /// The same message type declared as another version.
    Version {
        /// Where.
        path: String,
        /// This program's version (0: unversioned).
        ours: u16,
        /// The channel's.
        theirs: u16,
    },
    /// The same type with other `#[repr]` attributes, another style of fields (named, tuple,
    /// unit), or, for a struct with a defined layout, other field offsets or sizes (a `usize`
    /// on a 32-bit publisher, say).
    Layout {
        /// Where.
        path: String,
    },
}

impl fmt::Display for FieldDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Retyped { path, ours, theirs } => {
                write!(f, "`{path}`: {ours} here, {theirs} in the channel")
            }
            Self::OnlyOurs { path, member } => write!(f, "`{path}`: `{member}` added here"),
            Self::OnlyTheirs { path, member } => {
                write!(f, "`{path}`: `{member}` only in the channel")
            }
            Self::Reordered { path, ours, theirs } => write!(
                f,
                "`{path}`: reordered ({} here, {} in the channel)",
                ours.join(", "),
                theirs.join(", ")
            ),
            Self::Version { path, ours, theirs } => {
                let version = |v: &u16| match v {
                    0 => "unversioned".to_owned(),
                    v => format!("version {v}"),
                };
                write!(f, "`{path}`: {} here, {} in the channel", version(ours), version(theirs))
            }
            Self::Layout { path } => {
                write!(
                    f,
                    "`{path}`: another repr, field style or memory layout here than in the channel"
                )
            }
        }
    }
}

/// Where `ours` (a node of our description) and `theirs` (of the channel's) part, from the
/// message type named `name` down; empty if their fingerprints agree. At most
/// [`MAX_DIFFERENCES`] are listed.
pub(crate) fn field_differences(
    name: &str,
    ours: (&Description, NodeId),
    theirs: (&Description, NodeId),
) -> Vec<FieldDifference> {
    let mut walk = Walk { ours: ours.0, theirs: theirs.0, out: Vec::new() };
    walk.node(name.to_owned(), ours.1, theirs.1);
    walk.out
}

struct Walk<'a> {
    ours: &'a Description,
    theirs: &'a Description,
    out: Vec<FieldDifference>,
}

impl Walk<'_> {
    fn push(&mut self, difference: FieldDifference) {
        if self.out.len() < MAX_DIFFERENCES {
            self.out.push(difference);
        }
    }

    /// Compares two nodes at `path`. Descriptions nest at most `MAX_DEPTH` deep, which bounds
    /// the recursion.
    fn node(&mut self, path: String, ours: NodeId, theirs: NodeId) {
        if self.ours.fingerprint(ours) == self.theirs.fingerprint(theirs)
            || self.out.len() >= MAX_DIFFERENCES
        {
            return;
        }
        let (a, b) = (self.ours.node(ours), self.theirs.node(theirs));
        match (a, b) {
            (Node::Vec(x), Node::Vec(y)) | (Node::Slice(x), Node::Slice(y)) => {
                self.node(format!("{path}[]"), *x, *y);
            }
            (Node::Array { len: m, element: x }, Node::Array { len: n, element: y }) if m == n => {
                self.node(format!("{path}[]"), *x, *y);
            }
            (Node::Option(x), Node::Option(y)) => self.node(format!("{path}?"), *x, *y),
            (Node::Box(x), Node::Box(y)) => self.node(path, *x, *y),
            (Node::Tuple(xs), Node::Tuple(ys)) if xs.len() == ys.len() => {
                for (index, (x, y)) in xs.iter().zip(ys).enumerate() {
                    self.node(format!("{path}.{index}"), *x, *y);
                }
            }
            (
                Node::Map { collection: c, key: k, value: v },
                Node::Map { collection: d, key: l, value: w },
            ) if c == d => {
                self.node(format!("{path}{{key}}"), *k, *l);
                self.node(format!("{path}{{value}}"), *v, *w);
            }
            (Node::Set { collection: c, element: x }, Node::Set { collection: d, element: y })
                if c == d =>
            {
                self.node(format!("{path}[]"), *x, *y);
            }
            (
                Node::Struct { name: m, reprs: r, style: s, fields: xs, layout: a, version: v },
                Node::Struct { name: n, reprs: q, style: t, fields: ys, layout: b, version: w },
            ) if m == n => {
                if v != w {
                    let (ours, theirs) = (*v, *w);
                    self.push(FieldDifference::Version { path: path.clone(), ours, theirs });
                }
                if r != q || s != t || a != b {
                    self.push(FieldDifference::Layout { path: path.clone() });
                }
                self.members(&path, ".", &members(xs), &members(ys));
            }
            (
                Node::Enum { name: m, reprs: r, variants: xs },
                Node::Enum { name: n, reprs: q, variants: ys },
            ) if m == n => {
                if r != q {
                    self.push(FieldDifference::Layout { path: path.clone() });
                }
                let xs: Vec<_> = xs.iter().map(|v| (v.name.as_str(), Member::Variant(v))).collect();
                let ys: Vec<_> = ys.iter().map(|v| (v.name.as_str(), Member::Variant(v))).collect();
                self.members(&path, "::", &xs, &ys);
            }
            _ => {
                let (ours, theirs) = (self.ours.type_name(ours), self.theirs.type_name(theirs));
                self.push(FieldDifference::Retyped { path, ours, theirs });
            }
        }
    }

    /// Compares the fields (or variants) of two structs (or enums) at `path`, joined to their
    /// names by `separator`.
    fn members(
        &mut self,
        path: &str,
        separator: &str,
        ours: &[(&str, Member<'_>)],
        theirs: &[(&str, Member<'_>)],
    ) {
        for (name, _) in ours.iter().filter(|(name, _)| find(theirs, name).is_none()) {
            let member = (*name).to_owned();
            self.push(FieldDifference::OnlyOurs { path: path.to_owned(), member });
        }
        for (name, _) in theirs.iter().filter(|(name, _)| find(ours, name).is_none()) {
            let member = (*name).to_owned();
            self.push(FieldDifference::OnlyTheirs { path: path.to_owned(), member });
        }
        let shared = |list: &[(&str, Member<'_>)], other: &[(&str, Member<'_>)]| -> Vec<String> {
            list.iter()
                .filter(|(name, _)| find(other, name).is_some())
                .map(|(name, _)| (*name).to_owned())
                .collect()
        };
        let (in_ours, in_theirs) = (shared(ours, theirs), shared(theirs, ours));
        if in_ours != in_theirs {
            self.push(FieldDifference::Reordered {
                path: path.to_owned(),
                ours: in_ours.clone(),
                theirs: in_theirs,
            });
        }
        for name in in_ours {
            let (Some(x), Some(y)) = (find(ours, &name), find(theirs, &name)) else { continue };
            let at = format!("{path}{separator}{name}");
            match (x, y) {
                (Member::Field(x), Member::Field(y)) => self.node(at, x.node, y.node),
                (Member::Variant(x), Member::Variant(y)) => {
                    if x.style != y.style || x.discriminant != y.discriminant {
                        self.push(FieldDifference::Layout { path: at.clone() });
                    }
                    self.members(&at, ".", &members(&x.fields), &members(&y.fields));
                }
                _ => {}
            }
        }
    }
}

/// A struct field or an enum variant, compared by name.
#[derive(Clone, Copy)]
enum Member<'a> {
    Field(&'a NodeField),
    Variant(&'a super::description::NodeVariant),
}

/// The member of `list` named `name`.
fn find<'a>(list: &[(&str, Member<'a>)], name: &str) -> Option<Member<'a>> {
    list.iter().find(|(known, _)| *known == name).map(|(_, member)| *member)
}

fn members(fields: &[NodeField]) -> Vec<(&str, Member<'_>)> {
    fields.iter().map(|field| (field.name.as_str(), Member::Field(field))).collect()
}

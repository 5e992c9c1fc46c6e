//! [`Evolution`]: whether two versions of a message type can share a channel, by the rules of
//! schema evolution, and the [`Side`] of the channel that asks.

use super::archived::{self, Format};
use super::codec::{CodecKind, RkyvFormat};
use super::description::{Description, Node, NodeField, NodeId};

/// Which end of a channel a registry is checked for: what may differ from the channel's
/// registry depends on it (see [`SchemaMismatch`](super::SchemaMismatch)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A [`Publisher`](super::Publisher), or a channel file made with a registry.
    Publishing,
    /// A [`Subscriber`](super::Subscriber).
    Subscribing,
}

/// Whether this program's and the channel's descriptions of a message type (same tag,
/// different fingerprints) are versions of one type that can share the channel.
///
/// Two versions are compatible when a later version only appends fields to an earlier one,
/// each marked `#[bcast(since = N)]` with a version the earlier one does not have: same name,
/// `#[repr]` and field style, every field of the earlier version unchanged and in place; for
/// pod records, the earlier record a prefix of the later in memory; for rkyv archives, added
/// fields whose zero bytes are a value (numbers, `bool`, `char`, `Option`, and arrays, tuples
/// and structs of them) and that do not raise the archive's alignment. A subscriber then
/// reads either version as its own ([`Subscriber::new`](super::Subscriber::new) says how); a
/// publisher may be older than the channel's registry, and one of a later version rolls the
/// channel over to its registry ([`Publisher::new`](super::Publisher::new)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evolution {
    /// Not two versions of one type: one side is unversioned, or not described.
    Unrelated,
    /// Compatible versions: this side of the channel reads or writes across them.
    Compatible,
    /// Versions that cannot share the channel, and the rule they break.
    Refused(&'static str),
}

impl Evolution {
    /// The verdict on `ours` (a node of this program's description) and `theirs` (of the
    /// channel's), message types of codec `codec` on both sides, archived in `format` if rkyv's.
    pub(crate) fn of(
        codec: CodecKind,
        format: RkyvFormat,
        ours: (&Description, NodeId),
        theirs: (&Description, NodeId),
    ) -> Self {
        let (
            Node::Struct { name, reprs, style, fields, layout, version: our_version },
            Node::Struct {
                name: their_name,
                reprs: their_reprs,
                style: their_style,
                fields: their_fields,
                layout: their_layout,
                version: their_version,
            },
        ) = (ours.0.node(ours.1), theirs.0.node(theirs.1))
        else {
            return Self::Unrelated;
        };
        let (ours_v, theirs_v) = (*our_version, *their_version);
        if ours_v == 0 || theirs_v == 0 {
            return Self::Unrelated;
        }
        if ours_v == theirs_v {
            return Self::Refused(
                "the same version on both sides with other fields: a change takes a new version",
            );
        }
        if name != their_name || reprs != their_reprs || style != their_style {
            return Self::Refused(
                "a type's name, `#[repr]` and field style cannot change between versions",
            );
        }
        // The earlier version's side, and the later one's.
        let ((older, old_fields, old_layout), (newer, new_fields, new_layout), old_version) =
            if ours_v < theirs_v {
                ((ours.0, fields, layout), (theirs.0, their_fields, their_layout), ours_v)
            } else {
                ((theirs.0, their_fields, their_layout), (ours.0, fields, layout), theirs_v)
            };
        let Some(added) = new_fields.get(old_fields.len()..) else {
            return Self::Refused(
                "a later version cannot remove fields: keep them, and add new ones",
            );
        };
        let kept = old_fields.iter().zip(new_fields).all(|(old, new)| {
            old.name == new.name
                && old.since == new.since
                && older.fingerprint(old.node) == newer.fingerprint(new.node)
        });
        if !kept {
            return Self::Refused(
                "a field cannot change its type, name, place or version between versions: \
                 add a new field instead",
            );
        }
        if added.iter().any(|field| field.since <= old_version) {
            return Self::Refused(
                "a field that a later version adds must say so: `#[bcast(since = N)]` with a \
                 version after the earlier one",
            );
        }
        if codec == CodecKind::Rkyv {
            return Self::archives(format, (older, old_fields, old_version), (newer, new_fields));
        }
        match (old_layout, new_layout) {
            (Some(old), Some(new))
                if new.slots.starts_with(&old.slots)
                    && new
                        .slots
                        .get(old.slots.len())
                        .map_or(old.size == new.size, |slot| slot.offset == old.size) =>
            {
                Self::Compatible
            }
            _ => Self::Refused(
                "a later version's record must start with the earlier one's, byte for byte",
            ),
        }
    }

    /// The verdict on two versions of an rkyv message whose earlier fields agree: a subscriber
    /// of the later version completes an archive of the earlier one in place, with zeros for
    /// the fields added since, after its root (which stays where it is).
    fn archives(
        format: RkyvFormat,
        (older, old_fields, old_version): (&Description, &[NodeField], u16),
        (newer, new_fields): (&Description, &[NodeField]),
    ) -> Self {
        let added = &new_fields[old_fields.len()..];
        if !added.iter().all(|field| archived::zeros_are_valid(newer, field.node)) {
            return Self::Refused(
                "a field that a later version adds to an rkyv message must read as zero bytes \
                 in an earlier one's: a number, `bool`, `char`, an `Option` (then `None`), or \
                 arrays, tuples and structs of them; wrap a `String`, `Vec`, map or enum in \
                 an `Option`",
            );
        }
        let format = Format::of(format);
        let old = archived::version_root(&archived::sizes(format, older), old_fields, old_version);
        let new = archived::version_root(&archived::sizes(format, newer), new_fields, u16::MAX);
        match (old, new) {
            (Some(old), Some(new)) if new.root.align <= old.root.align => Self::Compatible,
            (Some(_), Some(_)) => Self::Refused(
                "a field that a later version adds to an rkyv message cannot raise the \
                 alignment of its archive: an earlier version's archive is not aligned for it",
            ),
            _ => Self::Refused("an rkyv message's versions must have archived sizes"),
        }
    }
}

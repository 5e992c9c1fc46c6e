//! [`SchemaMismatch`]: what differs between a program's registry and a channel's.

use std::fmt;
use std::path::PathBuf;

use super::codec::{CodecKind, RkyvFormat};
use super::description::Description;
use super::entry::TypeEntry;
use super::error::place;
use super::evolution::{Evolution, Side};
use super::field_difference::{FieldDifference, field_differences};
use super::registry::Registry;

/// The channel's registry differs from this program's in a way that keeps it off the channel:
/// the error of a [`Subscriber::new`](super::Subscriber::new) or
/// [`Publisher::new`](super::Publisher::new) whose schema is not compatible.
///
/// Two registries need not be equal to work together. Types are matched by tag, and a type on
/// both sides must be the same (name, fingerprint and codec) on both; besides:
///
/// - a **subscriber** may list fewer types than the channel (it skips the frames of the
///   others, and counts them: [`Subscriber::skipped_other_types`]) or more (it never receives
///   those);
/// - a **publisher** may list fewer types than the channel (its subscribers were checked
///   against all of them), not more;
/// - a type may differ as another version of itself, when the two versions are compatible
///   ([`Evolution`]: a later version only appends fields, marked `since`);
/// - the rkyv format of both builds must agree when a type they share is archived with rkyv;
/// - the two must share a type: a subscriber of a channel none of whose types it knows is
///   refused ([`Difference::NoTypeInCommon`]), rather than waiting for messages that never come.
///
/// [`Subscriber::skipped_other_types`]: super::Subscriber::skipped_other_types
///
/// The [`refusals`](Self::refusals) are the differences that break these rules, and its
/// [`Display`](fmt::Display) form names them and, where both sides describe a changed type
/// (channels made by this version do), the fields that differ.
///
/// # Examples
///
/// ```
/// use bcast::typed::{Publisher, Subscriber, TypedOpenError};
///
/// mod v1 {
///     #[bcast::typed::message(tag = 1)]
///     pub struct Quote { pub bid: f64 }
///     #[derive(bcast::BcastChannel)]
///     pub enum Feed { Quote(Quote) }
/// }
/// mod v2 {
///     #[bcast::typed::message(tag = 1)]
///     pub struct Quote { pub bid: f64, pub ask: f64 }
///     #[derive(bcast::BcastChannel)]
///     pub enum Feed { Quote(Quote) }
/// }
///
/// let ring = bcast::RingBuffer::with_capacity(4096);
/// let _publisher = Publisher::<v1::Feed>::new(ring.clone())?;
/// // Quote differs on the two sides: the subscriber is refused.
/// let Err(TypedOpenError::Mismatch(mismatch)) = Subscriber::<v2::Feed>::new(ring) else {
///     panic!("a subscriber of another schema must be refused");
/// };
/// assert!(mismatch.to_string().contains("`Quote` (tag 1) changed"));
/// assert!(mismatch.to_string().contains("`Quote`: `ask` added here"));
/// # Ok::<(), bcast::typed::TypedOpenError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaMismatch {
    /// The channel file, or `None` for an in-memory ring.
    pub path: Option<PathBuf>,
    /// Which end of the channel this program was to be.
    pub side: Side,
    /// This program's registry.
    pub ours: Registry,
    /// The registry stored in the channel.
    pub theirs: Registry,
    /// This program's description of its types, where it has one.
    pub ours_description: Option<Description>,
    /// The description stored in the channel, where it has one.
    pub theirs_description: Option<Description>,
}

/// One difference between two registries; see [`SchemaMismatch::differences`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The two builds use different rkyv formats.
    RkyvFormat {
        /// This program's format.
        ours: RkyvFormat,
        /// The channel's format.
        theirs: RkyvFormat,
    },
    /// A type of this program that the channel does not have.
    OnlyOurs(TypeEntry),
    /// A type of the channel that this program does not have.
    OnlyTheirs(TypeEntry),
    /// The two registries have no message type in common: the one difference that is all
    /// differences together, and refuses a subscriber (see [`SchemaMismatch::refusals`]).
    NoTypeInCommon,
    /// A type of both sides (same tag, or same name under another tag) whose name, tag,
    /// fingerprint or codec differs.
    Changed {
        /// This program's entry.
        ours: TypeEntry,
        /// The channel's entry.
        theirs: TypeEntry,
        /// Where the two types part, field by field, when both sides describe them; empty
        /// otherwise.
        fields: Vec<FieldDifference>,
        /// Whether they are versions of one type that can share the channel.
        evolution: Evolution,
    },
}

impl SchemaMismatch {
    /// The differences: format first, then changed, missing and extra types.
    ///
    /// Types are paired by tag, which is what identifies them on the wire, so that two types of
    /// the same name (`orders::Update` and `quotes::Update`) are never confused. A type left
    /// without a partner of its tag is then paired with the one left on the other side that has
    /// its name, if exactly one has it on each side: a retagged type is reported as changed.
    pub fn differences(&self) -> Vec<Difference> {
        let (ours, theirs) = (&self.ours, &self.theirs);
        let mut out = Vec::new();
        if ours.rkyv_format != theirs.rkyv_format {
            out.push(Difference::RkyvFormat { ours: ours.rkyv_format, theirs: theirs.rkyv_format });
        }
        // `partner[i]`: the index in `theirs.types` paired with `ours.types[i]`.
        let mut partner: Vec<Option<usize>> = vec![None; ours.types.len()];
        let mut taken = vec![false; theirs.types.len()];
        for (index, entry) in ours.types.iter().enumerate() {
            let found = (0..theirs.types.len())
                .find(|&other| !taken[other] && theirs.types[other].tag == entry.tag);
            if let Some(other) = found {
                partner[index] = Some(other);
                taken[other] = true;
            }
        }
        for (index, entry) in ours.types.iter().enumerate() {
            if partner[index].is_some() {
                continue;
            }
            let unpaired_ours = (0..ours.types.len())
                .filter(|&i| partner[i].is_none() && ours.types[i].name == entry.name)
                .count();
            let mut unpaired_theirs = (0..theirs.types.len())
                .filter(|&other| !taken[other] && theirs.types[other].name == entry.name);
            if let (1, Some(other), None) =
                (unpaired_ours, unpaired_theirs.next(), unpaired_theirs.next())
            {
                partner[index] = Some(other);
                taken[other] = true;
            }
        }
        for (entry, other) in ours.types.iter().zip(&partner) {
            match other.map(|other| &theirs.types[other]) {
                Some(other) if other != entry => out.push(Difference::Changed {
                    ours: entry.clone(),
                    theirs: other.clone(),
                    fields: self.field_differences(entry, other),
                    evolution: self.evolution(entry, other),
                }),
                Some(_) => {}
                None => out.push(Difference::OnlyOurs(entry.clone())),
            }
        }
        for (entry, _) in theirs.types.iter().zip(&taken).filter(|(_, taken)| !**taken) {
            out.push(Difference::OnlyTheirs(entry.clone()));
        }
        out
    }
}

impl SchemaMismatch {
    /// The differences that keep this program's [`side`](Self::side) off the channel: empty
    /// when the two registries are compatible (see the rules above).
    pub fn refusals(&self) -> Vec<Difference> {
        // A type archived with rkyv that both sides have: then both builds must read rkyv's
        // archives alike.
        let shares_rkyv = self
            .ours
            .types
            .iter()
            .any(|entry| entry.codec == CodecKind::Rkyv && self.theirs.types.contains(entry));
        let mut refusals = self.differences();
        refusals.retain(|difference| match difference {
            Difference::RkyvFormat { .. } => shares_rkyv,
            Difference::OnlyOurs(_) => self.side == Side::Publishing,
            Difference::OnlyTheirs(_) => false,
            Difference::Changed { evolution, .. } => *evolution != Evolution::Compatible,
            Difference::NoTypeInCommon => true,
        });
        let shared = self.ours.types.iter().any(|entry| {
            self.theirs
                .types
                .iter()
                .any(|other| other.tag == entry.tag && other.codec == entry.codec)
        });
        if !shared && !self.theirs.types.is_empty() && refusals.is_empty() {
            refusals.push(Difference::NoTypeInCommon);
        }
        refusals
    }

    /// Whether `ours` and `theirs` are versions of one type that this side can share the
    /// channel across.
    fn evolution(&self, ours: &TypeEntry, theirs: &TypeEntry) -> Evolution {
        let (Some(our_description), Some(their_description)) =
            (&self.ours_description, &self.theirs_description)
        else {
            return Evolution::Unrelated;
        };
        match (our_description.root(ours.tag), their_description.root(theirs.tag)) {
            (Some(our_root), Some(their_root))
                if ours.tag == theirs.tag && ours.codec == theirs.codec =>
            {
                Evolution::of(
                    ours.codec,
                    self.ours.rkyv_format,
                    (our_description, our_root),
                    (their_description, their_root),
                )
            }
            _ => Evolution::Unrelated,
        }
    }

    /// Where the descriptions of `ours` and `theirs` part, if both sides describe them.
    fn field_differences(&self, ours: &TypeEntry, theirs: &TypeEntry) -> Vec<FieldDifference> {
        let (Some(our_description), Some(their_description)) =
            (&self.ours_description, &self.theirs_description)
        else {
            return Vec::new();
        };
        match (our_description.root(ours.tag), their_description.root(theirs.tag)) {
            (Some(our_root), Some(their_root)) => field_differences(
                &ours.name,
                (our_description, our_root),
                (their_description, their_root),
            ),
            _ => Vec::new(),
        }
    }
}

impl std::error::Error for SchemaMismatch {}

impl fmt::Display for SchemaMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: schema of `{}` does not match the channel's (`{}`)",
            place(self.path.as_deref()),
            self.ours.channel,
            self.theirs.channel
        )?;
        for difference in self.refusals() {
            write!(f, "; {difference}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RkyvFormat { ours, theirs } => {
                write!(f, "rkyv format: {ours} here, {theirs} in the channel")
            }
            Self::OnlyOurs(entry) => {
                write!(f, "`{}` (tag {}) is not in the channel", entry.name, entry.tag)
            }
            Self::OnlyTheirs(entry) => {
                write!(f, "`{}` (tag {}) is only in the channel", entry.name, entry.tag)
            }
            Self::NoTypeInCommon => f.write_str("no message type in common with the channel"),
            Self::Changed { ours, theirs, fields, evolution } => {
                let mut parts = Vec::new();
                if ours.name != theirs.name {
                    parts.push(format!(
                        "name `{}` here, `{}` in the channel",
                        ours.name, theirs.name
                    ));
                }
                if ours.tag != theirs.tag {
                    parts.push(format!("tag {} here, {} in the channel", ours.tag, theirs.tag));
                }
                if ours.fingerprint != theirs.fingerprint {
                    parts.push(format!(
                        "fingerprint {:#018x} here, {:#018x} in the channel",
                        ours.fingerprint, theirs.fingerprint
                    ));
                }
                if ours.codec != theirs.codec {
                    parts.push(format!(
                        "codec {} here, {} in the channel",
                        ours.codec, theirs.codec
                    ));
                }
                write!(f, "`{}` (tag {}) changed: {}", ours.name, ours.tag, parts.join(", "))?;
                for field in fields {
                    write!(f, "; {field}")?;
                }
                if let Evolution::Refused(rule) = evolution {
                    write!(f, "; {rule}")?;
                }
                Ok(())
            }
        }
    }
}

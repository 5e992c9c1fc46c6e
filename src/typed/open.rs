//! Opening a typed channel: storing its registry in a ring header, checking a stored one, and
//! the error ([`TypedOpenError`]) when either fails.

use std::path::PathBuf;

use super::channel::Channel;
use super::description::{self, Description, DescriptionError, Node};
use super::error::place;
use super::evolution::Side;
use super::mismatch::SchemaMismatch;
use super::registry::{Registry, RegistryError};
use super::table_mismatch::TableMismatch;
use crate::error::{Error, OpenError};
use crate::ring::metadata::{AppendError, NewSection, SectionKind};
use crate::ring_buffer::{ReadWrite, RingBuffer};

/// Error returned when making a [`Publisher`](super::Publisher) or
/// [`Subscriber`](super::Subscriber) of a channel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TypedOpenError {
    /// Creating or attaching the channel file failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The ring refused, e.g. [`Error::WriterExists`] for a second publisher of a heap ring.
    #[error(transparent)]
    Ring(#[from] Error),
    /// The channel has no schema registry but holds frames: an untyped writer made it. A typed
    /// publisher does not take it over and a typed subscriber does not read it; remove the file
    /// or use another path.
    #[error(
        "{}: the channel holds frames but no schema registry (an untyped writer made it)",
        place(.path.as_deref())
    )]
    Untyped {
        /// The channel file, or `None` for a heap or caller-memory ring.
        path: Option<PathBuf>,
    },
    /// The channel's registry is not compatible with this program's; the error lists the
    /// differences that refuse it.
    #[error(transparent)]
    Mismatch(Box<SchemaMismatch>),
    /// The channel's registry bytes cannot be parsed.
    #[error("{}: corrupt schema registry: {reason}", place(.path.as_deref()))]
    CorruptRegistry {
        /// The channel file, or `None` for a heap or caller-memory ring.
        path: Option<PathBuf>,
        /// What is wrong with it.
        reason: RegistryError,
    },
    /// The channel's schema description cannot be read, or does not describe its registry.
    #[error("{}: corrupt schema description: {reason}", place(.path.as_deref()))]
    CorruptDescription {
        /// The channel file, or `None` for a heap or caller-memory ring.
        path: Option<PathBuf>,
        /// What is wrong with it.
        reason: DescriptionError,
    },
    /// The description of the channel's types is larger than the room the ring header has
    /// for it.
    #[error("the schema description of `{channel}` is {len} bytes, the ring header holds {max}")]
    DescriptionTooLarge {
        /// The channel type.
        channel: &'static str,
        /// Encoded size of the description.
        len: usize,
        /// Room in the header.
        max: usize,
    },
    /// The channel's last-value table does not key the channel's types as `C` does.
    #[error("{}: {source}", place(.path.as_deref()))]
    Table {
        /// The channel file, if any.
        path: Option<PathBuf>,
        /// What is wrong.
        #[source]
        source: TableMismatch,
    },
    /// The channel's registry is larger than the room the ring header has for it.
    #[error("the schema registry of `{channel}` is {len} bytes, the ring header holds {max}")]
    RegistryTooLarge {
        /// The channel type.
        channel: &'static str,
        /// Encoded size of the registry.
        len: usize,
        /// Room in the header.
        max: usize,
    },
}

/// Stores `C`'s description and registry in a ring that has none; checks the stored ones
/// otherwise.
///
/// The caller holds the ring's writer (or its creation lock), so nobody else stores at the same
/// time.
pub(crate) fn store_or_check<C: Channel>(
    ring: &RingBuffer<ReadWrite>,
) -> Result<(), TypedOpenError> {
    let description = Description::of(C::SHAPES).to_bytes();
    store_or_check_registry(ring, Registry::of::<C>(), C::NAME, Some(&description))
}

/// Stores `ours` (after `description`, if given) in a ring that has no registry and no
/// frames; checks the stored ones otherwise, and rolls the channel over to `ours` when it
/// holds a later version of one of the channel's types.
///
/// Both sections are published together (one store of `metadata_len`), so a reader that sees
/// the registry sees the description with it; if they do not both fit, neither is stored.
/// Rolling over appends them after the channel's: later sections supersede earlier ones for
/// whoever reads the registry from then on, while subscribers that attached before keep the
/// one they checked, and read the later version's records as theirs (by their prefix).
pub(super) fn store_or_check_registry(
    ring: &RingBuffer<ReadWrite>,
    ours: Registry,
    channel: &'static str,
    description: Option<&[u8]>,
) -> Result<(), TypedOpenError> {
    let committed = ring.committed();
    match stored(ring)? {
        Some(theirs) => {
            // Decoded once, and only when the registries differ: to tell whether ours is a
            // later version, and to explain a refusal.
            let ours_description = (!ours.matches(&theirs))
                .then(|| description.and_then(|bytes| Description::decode(bytes).ok()))
                .flatten();
            let newer = ours_description.as_ref().is_some_and(|ours| {
                Description::read_from(ring)
                    .ok()
                    .flatten()
                    .is_some_and(|theirs| newer_versions(ours, &theirs))
            });
            compare(ring, ours.clone(), theirs, Side::Publishing, || ours_description)?;
            if newer { append(ring, &ours, channel, description) } else { Ok(()) }
        }
        None if committed > 0 => Err(untyped(ring)),
        None => append(ring, &ours, channel, description),
    }
}

impl Registry {
    /// Stores this registry, and `description` with it, in the channel that `writer` writes,
    /// as a [`Publisher`](super::Publisher) of its types would: a channel that carries an
    /// earlier version of one of its types is rolled over to it (both are appended to the
    /// header; subscribers attached before read on), one that carries a compatible registry is
    /// left as it is, one without a registry and without frames gets it. For programs that
    /// forward a typed channel without its Rust types, such as a relay whose source was rolled
    /// over to a later version while it ran.
    ///
    /// # Errors
    ///
    /// [`TypedOpenError::Mismatch`] if the channel's registry is not compatible with this one
    /// (the rules are a publisher's); [`TypedOpenError::Untyped`] if it has none but holds
    /// frames; [`TypedOpenError::CorruptDescription`] if `description` does not describe this
    /// registry's types; [`TypedOpenError::DescriptionTooLarge`] or
    /// [`TypedOpenError::RegistryTooLarge`] if they do not fit the header.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod v1 {
    /// #     #[bcast::typed::message(tag = 1, version = 1)] pub struct Ping { pub at: u64 }
    /// #     #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// # }
    /// # mod v2 {
    /// #     #[bcast::typed::message(tag = 1, version = 2)]
    /// #     pub struct Ping { pub at: u64, #[bcast(since = 2)] pub from: Option<String> }
    /// #     #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// # }
    /// use bcast::typed::description::Description;
    /// use bcast::typed::{Channel, Registry};
    ///
    /// // A forwarder's channel, made with version 1 of `Ping`...
    /// let v1 = Registry::of::<v1::Pings>();
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// v1.roll_over(&ring.clone().into_writer(), &Description::of(v1::Pings::SHAPES))?;
    /// // ...goes on at version 2, which its source rolled over to.
    /// let writer = ring.clone().into_writer();
    /// let v2 = Registry::of::<v2::Pings>();
    /// v2.roll_over(&writer, &Description::of(v2::Pings::SHAPES))?;
    /// assert_eq!(Registry::read_from(&ring)?, Some(v2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roll_over(
        &self,
        writer: &crate::writer::Writer,
        description: &Description,
    ) -> Result<(), TypedOpenError> {
        let ring = RingBuffer::of_writer(writer);
        let types = self.types.iter().map(|entry| (entry.tag, entry.fingerprint));
        description.check(types).map_err(|reason| TypedOpenError::CorruptDescription {
            path: ring.path().map(ToOwned::to_owned),
            reason,
        })?;
        store_or_check_registry(&ring, self.clone(), "relayed", Some(&description.to_bytes()))
    }
}

/// Whether `ours` describes a later version of one of the types `theirs` describes.
fn newer_versions(ours: &Description, theirs: &Description) -> bool {
    let version = |description: &Description, tag| match description
        .root(tag)
        .map(|root| description.node(root))
    {
        Some(Node::Struct { version, .. }) => *version,
        _ => 0,
    };
    ours.types().iter().any(|&(tag, _)| version(ours, tag) > version(theirs, tag))
}

/// Appends `ours` (after `description`, if given) to the ring's metadata, published together.
fn append(
    ring: &RingBuffer<ReadWrite>,
    ours: &Registry,
    channel: &'static str,
    description: Option<&[u8]>,
) -> Result<(), TypedOpenError> {
    let registry = ours.to_bytes();
    let mut sections = Vec::with_capacity(2);
    if let Some(body) = description {
        // The section's version is the body's format (its first two bytes).
        let version = body
            .first_chunk()
            .map_or(description::FORMAT_VERSION, |format| u16::from_le_bytes(*format));
        sections.push(NewSection { kind: SectionKind::Description, version, body });
    }
    sections.push(NewSection { kind: SectionKind::Registry, version: 1, body: &registry });
    ring.store_metadata_sections(&sections).map_err(|error| match error {
        AppendError::Full { index, room } => {
            let len = sections[index].body.len();
            match sections[index].kind {
                SectionKind::Description => {
                    TypedOpenError::DescriptionTooLarge { channel, len, max: room }
                }
                SectionKind::Registry => {
                    TypedOpenError::RegistryTooLarge { channel, len, max: room }
                }
            }
        }
        AppendError::Layout(reason) => TypedOpenError::CorruptRegistry {
            path: ring.path().map(ToOwned::to_owned),
            reason: reason.into(),
        },
    })
}

/// Checks that the registry stored in `ring` is compatible with `C`'s for a subscriber:
/// `Ok(Some(registry))`, the channel's, if it is; `Ok(None)` if the ring has neither a registry
/// nor frames (its publisher has not stored one yet).
pub(crate) fn check<C: Channel, A>(
    ring: &RingBuffer<A>,
) -> Result<Option<Registry>, TypedOpenError> {
    // `committed` first, with Acquire (paired with the writer's Release store of `committed`
    // after each frame): a publisher stores its registry (Release on `metadata_len`) before
    // its first frame, so a ring with frames but no registry seen after them has none.
    let committed = ring.committed();
    match stored(ring)? {
        Some(theirs) => {
            let ours = Registry::of::<C>();
            let described = || Some(Description::of(C::SHAPES));
            compare(ring, ours, theirs.clone(), Side::Subscribing, described).map(|()| Some(theirs))
        }
        None if committed > 0 => Err(untyped(ring)),
        None => Ok(None),
    }
}

/// Checks that the description stored in `ring`, if any, describes `registry`'s types.
fn check_description<A>(ring: &RingBuffer<A>, registry: &Registry) -> Result<(), TypedOpenError> {
    let corrupt = |reason| TypedOpenError::CorruptDescription {
        path: ring.path().map(ToOwned::to_owned),
        reason,
    };
    let Some(description) = Description::read_from(ring).map_err(corrupt)? else {
        return Ok(());
    };
    let types = registry.types.iter().map(|entry| (entry.tag, entry.fingerprint));
    description.check(types).map_err(corrupt)
}

fn untyped<A>(ring: &RingBuffer<A>) -> TypedOpenError {
    TypedOpenError::Untyped { path: ring.path().map(ToOwned::to_owned) }
}

pub(super) fn stored<A>(ring: &RingBuffer<A>) -> Result<Option<Registry>, TypedOpenError> {
    Registry::read_from(ring).map_err(|reason| TypedOpenError::CorruptRegistry {
        path: ring.path().map(ToOwned::to_owned),
        reason,
    })
}

/// Checks that `theirs` (and the channel's description) are compatible with `ours` for `side`;
/// `ours_description` is made only when the registries differ.
pub(super) fn compare<A>(
    ring: &RingBuffer<A>,
    ours: Registry,
    theirs: Registry,
    side: Side,
    ours_description: impl FnOnce() -> Option<Description>,
) -> Result<(), TypedOpenError> {
    if ours.matches(&theirs) {
        return check_description(ring, &theirs);
    }
    // Both descriptions decide whether two versions of a type are compatible, and explain a
    // refusal; a channel without a readable description is told apart by its registry alone.
    let mismatch = SchemaMismatch {
        path: ring.path().map(ToOwned::to_owned),
        side,
        ours,
        theirs,
        ours_description: ours_description(),
        theirs_description: Description::read_from(ring).ok().flatten(),
    };
    if mismatch.refusals().is_empty() {
        return check_description(ring, &mismatch.theirs);
    }
    Err(TypedOpenError::Mismatch(Box::new(mismatch)))
}

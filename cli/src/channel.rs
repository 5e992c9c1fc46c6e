//! Attaching to a channel file, and naming its message types from the schema registry.

use std::collections::BTreeMap;
use std::path::Path;

use bcast::typed::decoder::{Decoder, DecoderError};
use bcast::typed::{Registry, RegistryError};
use bcast::{ReadOnly, RingBuffer};

use crate::error::Result;
use crate::format;

/// A channel file mapped read-only, with the schema registry its header holds.
#[derive(Debug)]
pub(crate) struct Channel {
    /// The mapped ring.
    pub(crate) ring: RingBuffer<ReadOnly>,
    /// The registry: `Ok(None)` for an untyped channel, `Err` if its bytes are unreadable.
    pub(crate) registry: Result<Option<Registry>, RegistryError>,
}

impl Channel {
    /// Attaches to the channel at `path`.
    ///
    /// # Errors
    ///
    /// The library's [`OpenError`](bcast::OpenError), which names the path.
    pub(crate) fn attach(path: &Path) -> Result<Self> {
        let ring = RingBuffer::attach(path)?;
        let registry = Registry::read_from(&ring);
        Ok(Self { ring, registry })
    }

    /// The decoder of a typed channel's frames, from its registry and description; `None` for
    /// an untyped channel, and (with a warning on stderr) for one whose description is missing
    /// or unreadable.
    pub(crate) fn decoder(&self) -> Option<Decoder> {
        match Decoder::read_from(&self.ring) {
            Ok(decoder) => Some(decoder),
            // `type_names` reports an unreadable registry.
            Err(DecoderError::Untyped | DecoderError::Registry(_)) => None,
            Err(error) => {
                eprintln!("bcast: warning: showing frames in hex: {error}");
                None
            }
        }
    }

    /// Tag → type name, from the registry; empty (with a warning on stderr) if the registry is
    /// unreadable.
    pub(crate) fn type_names(&self) -> TypeNames {
        match &self.registry {
            Ok(registry) => TypeNames::new(registry.as_ref()),
            Err(error) => {
                eprintln!("bcast: warning: ignoring the channel's schema registry: {error}");
                TypeNames::new(None)
            }
        }
    }
}

/// The message type name of each tag a channel's registry lists, with control characters
/// escaped (a hostile registry's names could hold terminal escape sequences).
#[derive(Debug, Clone, Default)]
pub(crate) struct TypeNames(BTreeMap<u32, String>);

impl TypeNames {
    /// The names in `registry`; none for an untyped channel.
    pub(crate) fn new(registry: Option<&Registry>) -> Self {
        let names = registry.into_iter().flat_map(|registry| &registry.types);
        Self(names.map(|entry| (entry.tag, format::escape(&entry.name))).collect())
    }

    /// The name of the type tagged `tag`, if the registry lists it.
    pub(crate) fn get(&self, tag: u32) -> Option<&str> {
        self.0.get(&tag).map(String::as_str)
    }

    /// Every tag the registry lists, in increasing order.
    pub(crate) fn tags(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.keys().copied()
    }
}

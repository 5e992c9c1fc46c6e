//! The schema registry: the list of a channel's message types that the publisher stores in the
//! ring header and that subscribers compare with their own, and its small binary format.
//!
//! Wire format (version 1, little-endian, exactly as long as the header says):
//!
//! ```text
//! magic u32 = "BCRG" | version u16 | count u16 | rkyv format u32 | channel name (u16 len, UTF-8)
//! count × ( tag u32 | fingerprint u64 | codec u8 | type name (u16 len, UTF-8) )
//! ```

use std::borrow::Cow;
use std::fmt;

use super::channel::Channel;
use super::codec::{CodecKind, RkyvFormat};
use super::entry::TypeEntry;
use super::wire::{Input, Malformed, put_str};
use crate::error::LayoutError;
use crate::ring::metadata::SectionKind;
use crate::ring_buffer::RingBuffer;

const MAGIC: u32 = u32::from_le_bytes(*b"BCRG");
const VERSION: u16 = 1;

/// A channel's schema registry: its name, rkyv format, and message types.
///
/// Its [`Display`](fmt::Display) form is a readable table; with the `serde` feature it also
/// serialises (e.g. to JSON).
///
/// # Examples
///
/// ```
/// #[bcast::typed::message(tag = 1)]
/// struct Ping {
///     at: u64,
/// }
///
/// #[derive(bcast::BcastChannel)]
/// enum Pings {
///     Ping(Ping),
/// }
///
/// let registry = bcast::typed::Registry::of::<Pings>();
/// assert_eq!(registry.types.len(), 1);
/// assert_eq!(bcast::typed::Registry::from_bytes(&registry.to_bytes())?, registry);
/// println!("{registry}");
/// # Ok::<(), bcast::typed::RegistryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Registry {
    /// The channel type's name (informational: it is not compared).
    pub channel: Cow<'static, str>,
    /// The rkyv wire format of the publisher's build.
    pub rkyv_format: RkyvFormat,
    /// The message types.
    pub types: Vec<TypeEntry>,
}

/// Why registry bytes cannot be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The bytes do not start with the registry magic.
    #[error("not a schema registry (magic {found:#010x})")]
    BadMagic {
        /// The first four bytes.
        found: u32,
    },
    /// The registry was written in another format version.
    #[error("registry format version {found}, this build reads version {expected}")]
    Version {
        /// The version in the bytes.
        found: u16,
        /// The version this build reads.
        expected: u16,
    },
    /// The channel header's metadata area, where the registry is kept, is corrupt.
    #[error("the channel's metadata area is corrupt: {0}")]
    Metadata(#[from] LayoutError),
    /// The bytes end in the middle of the registry, or go on after it.
    #[error("registry of {len} bytes is malformed at byte {at}")]
    Malformed {
        /// Offset of the first byte that does not fit the format.
        at: usize,
        /// Length of the registry bytes.
        len: usize,
    },
}

impl From<Malformed> for RegistryError {
    fn from(Malformed { at, len }: Malformed) -> Self {
        Self::Malformed { at, len }
    }
}

impl Registry {
    /// The registry of channel `C`, as its publisher stores it.
    pub fn of<C: Channel>() -> Self {
        Self {
            channel: Cow::Borrowed(C::NAME),
            rkyv_format: RkyvFormat::current(),
            types: C::TYPES.to_vec(),
        }
    }

    /// The registry stored in `ring`'s header, `Ok(None)` for an untyped ring.
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] if the stored bytes are not a registry this build can read.
    pub fn read_from<A>(ring: &RingBuffer<A>) -> Result<Option<Self>, RegistryError> {
        ring.metadata_section(SectionKind::Registry)?
            .map(|bytes| Self::from_bytes(&bytes))
            .transpose()
    }

    /// Whether `other` describes the same wire: same rkyv format and the same message types
    /// (tag, name, fingerprint and codec), in any order. Channel names are not compared.
    pub fn matches(&self, other: &Registry) -> bool {
        self.rkyv_format == other.rkyv_format && sorted(&self.types) == sorted(&other.types)
    }

    /// Encodes the registry in its wire format.
    ///
    /// # Panics
    ///
    /// If the registry has more than 65 535 types or a name longer than 65 535 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.types.len() * 32);
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.extend_from_slice(&VERSION.to_le_bytes());
        let count = u16::try_from(self.types.len()).expect("at most 65535 message types");
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&self.rkyv_format.to_wire().to_le_bytes());
        put_str(&mut out, &self.channel);
        for entry in &self.types {
            out.extend_from_slice(&entry.tag.to_le_bytes());
            out.extend_from_slice(&entry.fingerprint.to_le_bytes());
            out.push(entry.codec.wire());
            put_str(&mut out, &entry.name);
        }
        out
    }

    /// Parses the wire format.
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] if `bytes` are not exactly one registry of this format version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RegistryError> {
        let mut input = Input::new(bytes);
        let magic = input.u32()?;
        if magic != MAGIC {
            return Err(RegistryError::BadMagic { found: magic });
        }
        let version = input.u16()?;
        if version != VERSION {
            return Err(RegistryError::Version { found: version, expected: VERSION });
        }
        let count = input.u16()?;
        let rkyv_format = RkyvFormat::from_wire(input.u32()?);
        let channel = Cow::Owned(input.str()?.to_owned());
        let mut types = Vec::with_capacity(usize::from(count).min(bytes.len() / 15));
        for _ in 0..count {
            let tag = input.u32()?;
            let fingerprint = input.u64()?;
            let at = input.at();
            let codec = CodecKind::from_wire(input.u8()?).ok_or_else(|| input.malformed(at))?;
            let name = Cow::Owned(input.str()?.to_owned());
            types.push(TypeEntry { name, tag, fingerprint, codec });
        }
        input.end()?;
        Ok(Self { channel, rkyv_format, types })
    }

    /// The registry as one line of JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] struct Ping { at: u64 }
    /// # #[derive(bcast::BcastChannel)] enum Pings { Ping(Ping) }
    /// let json = bcast::typed::Registry::of::<Pings>().to_json();
    /// assert!(json.contains(r#""name":"Ping","tag":1"#));
    /// ```
    #[cfg(feature = "serde")]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|error| format!(r#"{{"error":"{error}"}}"#))
    }
}

fn sorted(types: &[TypeEntry]) -> Vec<&TypeEntry> {
    let mut types: Vec<_> = types.iter().collect();
    types.sort();
    types
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "channel {} ({})", self.channel, self.rkyv_format)?;
        write!(f, "  {:>10}  {:<5}  {:<18}  type", "tag", "codec", "fingerprint")?;
        for entry in &self.types {
            write!(f, "\n  {entry}")?;
        }
        Ok(())
    }
}

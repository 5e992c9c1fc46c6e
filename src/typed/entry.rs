//! [`TypeEntry`]: one message type of a channel, as a registry records it.

use std::borrow::Cow;
use std::fmt;

use super::codec::{Codec, CodecKind};
use super::message::TypedMessage;

/// One message type of a channel, as its registry records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TypeEntry {
    /// The type's name (the [`name`](super::Shape::name) of [`Schema::SHAPE`](super::Schema::SHAPE)).
    pub name: Cow<'static, str>,
    /// The frame tag ([`TypedMessage::TAG`](super::TypedMessage::TAG)).
    pub tag: u32,
    /// The schema fingerprint (the [`fingerprint`](super::Shape::fingerprint) of [`Schema::SHAPE`](super::Schema::SHAPE)).
    pub fingerprint: u64,
    /// The codec.
    pub codec: CodecKind,
}

impl TypeEntry {
    /// The registry entry of message type `M`.
    ///
    /// # Examples
    ///
    /// ```
    /// use bcast::typed::{CodecKind, TypeEntry};
    ///
    /// #[derive(bcast::rkyv::Archive, bcast::rkyv::Serialize, bcast::BcastMessage)]
    /// #[rkyv(crate = bcast::rkyv)]
    /// #[bcast(tag = 7)]
    /// struct Ping {
    ///     at: u64,
    /// }
    ///
    /// let entry = TypeEntry::of::<Ping>();
    /// assert_eq!((entry.tag, &*entry.name, entry.codec), (7, "Ping", CodecKind::Rkyv));
    /// ```
    pub const fn of<M: TypedMessage>() -> Self {
        Self {
            tag: M::TAG,
            name: Cow::Borrowed(M::SHAPE.name()),
            fingerprint: M::SHAPE.fingerprint(),
            codec: <M::Codec as Codec<M>>::KIND,
        }
    }
}

impl fmt::Display for TypeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>10}  {:<5}  {:#018x}  {}", self.tag, self.codec, self.fingerprint, self.name)
    }
}

//! The traits the derive implements: [`TypedMessage`] for message types, [`Channel`] for the enum
//! that lists a channel's message types, and [`InChannel`] linking the two.

use super::codec::Codec;
use super::entry::TypeEntry;
use super::error::{DecodeError, PublishError};
use super::payload::Payload;
use super::publisher::Publisher;
use super::schema::Schema;

/// A message type: a [`Schema`] with a stable tag and a [`Codec`].
///
/// Implemented by [`#[derive(BcastMessage)]`](crate::BcastMessage) on a struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a bcast message type",
    label = "not a message type",
    note = "derive `BcastMessage` on it, with its codec's derives (or use `#[bcast::message]`)"
)]
pub trait TypedMessage: Schema + Sized + 'static {
    /// The frame tag that identifies this type on a channel; never 0 (untyped frames).
    const TAG: u32;
    /// How the type is encoded: [`Rkyv`](super::Rkyv) or [`Pod`](super::Pod).
    type Codec: Codec<Self>;
}

/// What a subscriber hands out for a message of type `M`: `&'a Archived<M>` for an rkyv
/// message, `&'a M` for a pod message.
pub type View<'a, M> = <<M as TypedMessage>::Codec as Codec<M>>::View<'a>;

/// A channel: the set of message types one ring carries, and the enum of their views.
///
/// Implemented by [`#[derive(BcastMessage)]`](crate::BcastMessage) on an enum whose variants
/// are newtypes over message types. The derive also generates the view enum
/// `<Name>View<'a>` and inherent constructors (`create`, `attach`, `with_capacity`,
/// `publisher`, `subscriber`); see the derive's documentation.
pub trait Channel: Sized + 'static {
    /// The channel type's name, recorded in its registry.
    const NAME: &'static str;
    /// The channel's message types, in variant order.
    const TYPES: &'static [TypeEntry];

    /// One received message: an enum with a variant per message type, holding its
    /// [`View`].
    type View<'a>;

    /// Whether `tag` is one of the channel's message types.
    fn carries_tag(tag: u32) -> bool {
        Self::TYPES.iter().any(|entry| entry.tag == tag)
    }

    /// Decodes `payload` as the message type its tag names and wraps the view.
    ///
    /// The derive implements it as a `match` on the tag that calls
    /// [`payload.decode::<M>()`](Payload::decode) for the matching type.
    ///
    /// # Errors
    ///
    /// [`DecodeError::UnknownTag`] if no message type has this tag; the codec's error when the
    /// bytes are not a valid message of that type.
    fn decode(payload: Payload<'_>) -> Result<Self::View<'_>, DecodeError>;

    /// Publishes the message this value holds; see
    /// [`Publisher::publish_value`](super::Publisher::publish_value).
    ///
    /// # Errors
    ///
    /// As for [`Publisher::publish`](super::Publisher::publish).
    fn publish_on(&self, publisher: &mut Publisher<Self>) -> Result<(), PublishError>;
}

/// Marks message type `Self` as one of channel `C`'s, so that
/// [`Publisher::publish`](super::Publisher::publish) accepts it.
///
/// Implemented by the derive for each variant's type; publishing any other type does not
/// compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message type of channel `{C}`",
    label = "`{C}` has no variant for `{Self}`",
    note = "add a variant `{Self}({Self})` to the channel enum, or publish on another channel"
)]
pub trait InChannel<C> {}

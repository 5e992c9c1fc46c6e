//! [`Channel`]: the enum that lists a channel's message types, the trait the derive implements
//! on it; [`InChannel`], linking a message type to the channels that carry it; and
//! [`MessageVisitor`], for code that handles a channel value's message with its static type.

use super::entry::TypeEntry;
use super::error::DecodeError;
use super::message::TypedMessage;
use super::payload::Payload;
use super::shape::Shape;

/// A channel: the set of message types one ring carries, and the enum of their views.
///
/// Implemented by [`#[derive(BcastChannel)]`](crate::BcastChannel) on an enum whose variants
/// are newtypes over message types. The derive also generates the view enum
/// `<Name>View<'a>`; see the derive's documentation. A channel's ends are
/// [`Publisher::new`](super::Publisher::new) and [`Subscriber::new`](super::Subscriber::new)
/// over any [`RingBuffer`](crate::RingBuffer).
pub trait Channel: Sized + 'static {
    /// The channel type's name, recorded in its registry.
    const NAME: &'static str;
    /// The channel's message types, in variant order.
    const TYPES: &'static [TypeEntry];
    /// The shapes of the channel's message types, each with its tag, in variant order: what a
    /// publisher stores as the channel's [`Description`](super::description::Description).
    const SHAPES: &'static [(u32, &'static Shape)];

    /// One received message: an enum with a variant per message type, holding its
    /// [`View`](super::View).
    type View<'a>;

    /// The [`Codec::ROOT`](super::Codec) of each of [`TYPES`](Self::TYPES): what a view of
    /// it points at.
    #[doc(hidden)]
    const ROOTS: &'static [core::alloc::Layout];

    /// Per message type, as in [`TYPES`](Self::TYPES), the name of its key field
    /// ([`TypedMessage::KEY`]).
    #[doc(hidden)]
    const KEYS: &'static [Option<&'static str>];

    /// Appends the key of the message `view` shows to `out` ([`TypedMessage::put_key`]);
    /// nothing for a type without a key field.
    #[doc(hidden)]
    fn put_view_key(view: &Self::View<'_>, out: &mut Vec<u8>);

    /// The index in [`TYPES`](Self::TYPES) of the message type tagged `tag`, if the channel
    /// has one. The derive implements it as a `match`.
    fn type_index(tag: u32) -> Option<usize> {
        Self::TYPES.iter().position(|entry| entry.tag == tag)
    }

    /// Whether `tag` is one of the channel's message types.
    #[inline]
    fn carries_tag(tag: u32) -> bool {
        Self::type_index(tag).is_some()
    }

    /// Decodes `payload` as the message type its tag names and wraps the view: how a
    /// [`Subscriber`](super::Subscriber) turns the frames it copied into views. Hidden: users
    /// read through subscribers, which align and check the bytes first.
    ///
    /// The derive implements it as a `match` on the tag that calls `payload.decode::<M>()` for
    /// the matching type.
    ///
    /// # Errors
    ///
    /// [`DecodeError::UnknownTag`] if no message type has this tag; the codec's error when the
    /// bytes are not a valid message of that type.
    #[doc(hidden)]
    fn decode(payload: Payload<'_>) -> Result<Self::View<'_>, DecodeError>;

    /// Hands the message this value holds, with its type, to `visitor`: how
    /// [`Publisher::publish_value`](super::Publisher::publish_value) publishes a channel value,
    /// and how any code that needs the message's static type can reach it.
    fn visit<V: MessageVisitor<Self>>(&self, visitor: V) -> V::Output;
}

/// Code that handles the message a value of channel `C` holds, with its static type; see
/// [`Channel::visit`].
///
/// # Examples
///
/// ```
/// use bcast::typed::{Channel, InChannel, MessageVisitor, TypedMessage};
///
/// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
/// # #[bcast::typed::message(tag = 2)] pub struct Pong { pub at: u64 }
/// # #[derive(bcast::BcastChannel)] pub enum Game { Ping(Ping), Pong(Pong) }
/// struct Tag;
///
/// impl<C: Channel> MessageVisitor<C> for Tag {
///     type Output = u32;
///     fn visit<M: TypedMessage + InChannel<C>>(self, _message: &M) -> u32 {
///         M::TAG
///     }
/// }
///
/// assert_eq!(Game::Pong(Pong { at: 0 }).visit(Tag), 2);
/// ```
pub trait MessageVisitor<C: Channel> {
    /// What the visit returns.
    type Output;

    /// Handles `message`, one of `C`'s message types.
    fn visit<M: TypedMessage + InChannel<C>>(self, message: &M) -> Self::Output;
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

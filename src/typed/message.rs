//! [`TypedMessage`]: a message type, the trait the derive implements on a struct, and the
//! [`View`] a subscriber hands out for it.

use super::codec::Codec;
use super::schema::Schema;
use super::shape::Kind;

/// A message type: a [`Schema`] with a stable tag and a [`Codec`].
///
/// Implemented by [`#[derive(BcastMessage)]`](crate::BcastMessage) on a struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a bcast message type",
    label = "not a message type",
    note = "derive `BcastMessage` on it, with its codec's derives (or use `#[bcast::typed::message]`)"
)]
pub trait TypedMessage: Schema + Sized + 'static {
    /// The frame tag that identifies this type on a channel; never 0 (untyped frames).
    const TAG: u32;
    /// How the type is encoded: [`Rkyv`](super::Rkyv) or [`Pod`](super::Pod).
    type Codec: Codec<Self>;
    /// The type's declared version (`#[bcast::typed::message(version = N)]`), which
    /// publishers stamp on every frame of it ([`Message::version`](crate::Message::version));
    /// 0 for an unversioned type. Taken from its [`SHAPE`](Schema::SHAPE).
    const VERSION: u16 = match Self::SHAPE.kind() {
        Kind::Struct(shape) => shape.version(),
        _ => 0,
    };
}

/// What a subscriber hands out for a message of type `M`: `&'a Archived<M>` for an rkyv
/// message, `&'a M` for a pod message.
pub type View<'a, M> = <<M as TypedMessage>::Codec as Codec<M>>::View<'a>;

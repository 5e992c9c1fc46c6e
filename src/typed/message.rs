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
    /// The name of the type's key field (`#[bcast(key)]`), whose latest message per key a
    /// channel's [`LastValues`](super::LastValues) table keeps; `None` for a type without one.
    const KEY: Option<&'static str> = None;

    /// Appends the bytes of the message's key ([`Key`](super::Key)) to `out`; nothing for a
    /// type without a key field.
    #[doc(hidden)]
    #[inline]
    fn put_key(&self, out: &mut Vec<u8>) {
        let _ = out;
    }

    /// As [`put_key`](Self::put_key), for a view of a message.
    #[doc(hidden)]
    #[inline]
    fn put_view_key(view: &View<'_, Self>, out: &mut Vec<u8>) {
        let _ = (view, out);
    }
}

/// What a subscriber hands out for a message of type `M`: `&'a Archived<M>` for an rkyv
/// message, `&'a M` for a pod message.
pub type View<'a, M> = <<M as TypedMessage>::Codec as Codec<M>>::View<'a>;

//! [`ToMessage`]: the owned value a view shows, for code that keeps a message past its view.

use rkyv::api::high::HighDeserializer;
use rkyv::rancor::Failure;
use rkyv::{Archive, Archived, Deserialize};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::codec::{Codec, Pod, Rkyv};
use super::error::DecodeError;
use super::message::{TypedMessage, View};

/// A message type whose views can be turned back into the value the publisher sent.
///
/// Pod message types always implement it (the view is the value); rkyv ones when they derive
/// `rkyv::Deserialize`, which [`#[bcast::typed::message]`](crate::typed::message) does. A channel's view enum
/// has a `to_message` method, returning the channel's enum, when all of its message types
/// implement it.
///
/// # Examples
///
/// ```
/// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64, pub from: String }
/// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
/// use bcast::RingBuffer;
/// use bcast::typed::{Publisher, Subscriber};
///
/// let ring = RingBuffer::with_capacity(4096);
/// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
/// let mut subscriber = Subscriber::<Pings>::new(ring)?;
/// publisher.publish(&Ping { at: 7, from: "a".into() })?;
/// let view = subscriber.try_recv()?.expect("one message");
/// let Pings::Ping(ping) = view.to_message()?; // owned: it outlives the subscriber's buffer
/// assert_eq!((ping.at, ping.from.as_str()), (7, "a"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ToMessage: TypedMessage {
    /// The value `view` shows.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Deserialize`] if rkyv cannot rebuild the value (a custom `with` wrapper
    /// that refuses).
    fn to_message(view: &View<'_, Self>) -> Result<Self, DecodeError>;
}

impl<M> ToMessage for M
where
    M: TypedMessage,
    M::Codec: OwnedCodec<M>,
{
    #[inline]
    fn to_message(view: &View<'_, Self>) -> Result<Self, DecodeError> {
        <M::Codec as OwnedCodec<M>>::to_message(view)
    }
}

/// Rebuilds a message of type `M` from a view of codec `Self`.
pub trait OwnedCodec<M>: Codec<M> {
    fn to_message(view: &Self::View<'_>) -> Result<M, DecodeError>;
}

impl<M> OwnedCodec<M> for Rkyv
where
    Rkyv: for<'a> Codec<M, View<'a> = &'a Archived<M>>,
    M: Archive,
    Archived<M>: Deserialize<M, HighDeserializer<Failure>>,
{
    #[inline]
    fn to_message(view: &Self::View<'_>) -> Result<M, DecodeError> {
        rkyv::deserialize::<M, Failure>(*view)
            .map_err(|_| DecodeError::Deserialize { type_name: core::any::type_name::<M>() })
    }
}

impl<M> OwnedCodec<M> for Pod
where
    M: FromBytes + IntoBytes + KnownLayout + Immutable + 'static,
{
    #[inline]
    fn to_message(view: &Self::View<'_>) -> Result<M, DecodeError> {
        let bytes = view.as_bytes();
        M::read_from_bytes(bytes).map_err(|_| DecodeError::Length {
            type_name: core::any::type_name::<M>(),
            expected: size_of::<M>(),
            found: bytes.len(),
        })
    }
}

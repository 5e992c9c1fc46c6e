//! JSON lines for debugging and tooling (feature `serde`): [`JsonMessage`] renders a view.
//!
//! The channel's generated view enum has a `to_json_line` method, usable when every message type
//! of the channel is a [`JsonMessage`]: with the `serde` feature, every message type that
//! derives `serde::Serialize` (rkyv messages also `rkyv::Deserialize`, to rebuild the owned
//! value from its archive). Without the feature the trait has no implementations.

use super::message::{TypedMessage, View};

/// A message type whose views can be rendered as JSON, for debugging and tooling.
///
/// With the `serde` feature, every message type that derives `serde::Serialize` implements it
/// (rkyv messages also need `rkyv::Deserialize`, to rebuild the owned value from its archive;
/// [`#[bcast::typed::message]`](crate::typed::message) derives it). Without the feature the trait has no
/// implementations. A channel's view enum has a `to_json_line` method when all of its message
/// types implement it.
// Without the feature the trait must exist (the derive's output names it) but is of no use:
// documented only with the feature.
#[cfg_attr(not(feature = "serde"), doc(hidden))]
pub trait JsonMessage: TypedMessage {
    /// The view's value as JSON.
    ///
    /// # Errors
    ///
    /// A [`JsonError`] if the value cannot be rendered (an rkyv archive that fails to
    /// deserialise, a map with non-string keys, ...).
    fn view_to_json(view: &View<'_, Self>) -> Result<String, JsonError>;
}

/// Why a view could not be rendered as JSON.
#[cfg_attr(not(feature = "serde"), doc(hidden))]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot render `{type_name}` as JSON: {message}")]
pub struct JsonError {
    /// The message type.
    pub type_name: &'static str,
    /// What went wrong.
    pub message: String,
}

/// One JSON line for a view: `{"type":"Quote","tag":1,"value":{...}}`. Used by the derive.
#[doc(hidden)]
pub fn json_line<M: JsonMessage>(view: &View<'_, M>) -> Result<String, JsonError> {
    let value = M::view_to_json(view)?;
    // Type names are Rust identifiers: no character needs escaping.
    Ok(format!(r#"{{"type":"{}","tag":{},"value":{value}}}"#, M::SHAPE.name(), M::TAG))
}

#[cfg(feature = "serde")]
mod imp {
    use rkyv::api::high::HighDeserializer;
    use rkyv::rancor;
    use rkyv::{Archive, Archived, Deserialize};
    use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

    use super::{JsonError, JsonMessage};
    use crate::typed::codec::{Codec, Pod, Rkyv};
    use crate::typed::message::{TypedMessage, View};

    /// Renders a view of codec `Self` for message type `M`.
    pub trait JsonCodec<M>: Codec<M> {
        fn to_json(view: &Self::View<'_>) -> Result<String, JsonError>;
    }

    fn error<M>(message: impl ToString) -> JsonError {
        JsonError { type_name: core::any::type_name::<M>(), message: message.to_string() }
    }

    impl<M> JsonCodec<M> for Rkyv
    where
        Rkyv: for<'a> Codec<M, View<'a> = &'a Archived<M>>,
        M: Archive + serde::Serialize,
        Archived<M>: Deserialize<M, HighDeserializer<rancor::Error>>,
    {
        fn to_json(view: &Self::View<'_>) -> Result<String, JsonError> {
            let value = rkyv::deserialize::<M, rancor::Error>(*view).map_err(error::<M>)?;
            serde_json::to_string(&value).map_err(error::<M>)
        }
    }

    impl<M> JsonCodec<M> for Pod
    where
        M: FromBytes + IntoBytes + KnownLayout + Immutable + serde::Serialize + 'static,
    {
        fn to_json(view: &Self::View<'_>) -> Result<String, JsonError> {
            serde_json::to_string(*view).map_err(error::<M>)
        }
    }

    impl<M> JsonMessage for M
    where
        M: TypedMessage + serde::Serialize,
        M::Codec: JsonCodec<M>,
    {
        fn view_to_json(view: &View<'_, Self>) -> Result<String, JsonError> {
            <M::Codec as JsonCodec<M>>::to_json(view)
        }
    }
}

//! Items the derive macros expand to. Not public API: no stability guarantees.

pub use core::option::Option;
pub use core::result::Result;
pub use std::path::Path;
pub use std::string::String;
pub use std::vec::Vec;

pub use crate::ring_buffer::{ReadWrite, RingBuffer};
pub use crate::typed::shape::{Enum, Field, Kind, Layout, Slot, Struct, Style, Variant};
pub use crate::typed::{
    Channel, Codec, DecodeError, InChannel, JsonError, JsonMessage, Key, MessageVisitor, Payload,
    Pod, PublishError, Publisher, Rkyv, Schema, Shape, Subscriber, ToMessage, TypeEntry,
    TypedMessage, TypedOpenError, View, json_line, tag_from_name,
};

/// A pod type's layout, as the derive checks it: `PodLayout<true>` when the type's size is the
/// sum of its fields' sizes, that is, when it has no padding.
#[allow(missing_debug_implementations)]
pub struct PodLayout<const PADDING_FREE: bool>;

/// Holds for `PodLayout<true>` only: the bound that `#[derive(BcastMessage)]` puts on a pod
/// message's layout, so that padding is reported as such, before the codec's bounds.
#[diagnostic::on_unimplemented(
    message = "pod message `{M}` has padding: its size is more than the sum of its fields' sizes",
    label = "`{M}` has padding bytes between or after its fields",
    note = "a pod message's bytes are published as they are, and padding bytes are uninitialised",
    note = "reorder the fields from the largest alignment to the smallest, add explicit padding fields (`_pad: [u8; N]`), or drop `pod` to use the rkyv codec"
)]
pub trait PaddingFree<M> {}

impl<M> PaddingFree<M> for PodLayout<true> {}

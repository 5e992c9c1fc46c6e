//! Items the derive macros expand to. Not public API: no stability guarantees.

pub use core::result::Result;
pub use std::path::Path;
pub use std::string::String;

pub use crate::ring_buffer::{ReadWrite, RingBuffer};
pub use crate::typed::{
    Channel, DecodeError, InChannel, JsonError, JsonMessage, MessageVisitor, Payload, Pod,
    PublishError, Publisher, Rkyv, Schema, SchemaHasher, Subscriber, ToMessage, TypeEntry,
    TypedMessage, TypedOpenError, View, json_line, tag_from_name,
};

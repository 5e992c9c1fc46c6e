//! Typed messages on the byte ring.
//!
//! `#[derive(BcastMessage)]` (usually through [`#[bcast::typed::message]`](message)) on a struct
//! makes it a [`TypedMessage`]: a [`Schema`] (a description of its [`Shape`], and the
//! fingerprint computed from it, both at compile time), a stable `u32` tag carried in the frame
//! header, and a [`Codec`]
//! ([`Rkyv`] for variable-size records, [`Pod`] for fixed-layout ones).
//! `#[derive(BcastChannel)]` on an enum whose variants wrap message types makes it a
//! [`Channel`], with a view enum. [`Publisher::new`] and [`Subscriber::new`] make its ends over
//! a [`RingBuffer`](crate::RingBuffer) of any kind; a subscriber starts live, like a raw reader.
//!
//! ```
//! use bcast::{BcastChannel, RingBuffer};
//! use bcast::typed::{Publisher, Subscriber};
//!
//! #[bcast::typed::message(tag = 1)] // rkyv: strings, vectors, options, nested structs
//! pub struct Quote {
//!     pub symbol: String,
//!     pub bid: f64,
//!     pub ask: f64,
//! }
//!
//! #[bcast::typed::message(tag = 2, pod)] // fixed layout: its bytes are the payload
//! #[repr(C)]
//! pub struct Trade {
//!     pub instrument: u64,
//!     pub price: f64,
//! }
//!
//! #[derive(BcastChannel)]
//! pub enum MarketData {
//!     Quote(Quote),
//!     Trade(Trade),
//! }
//!
//! let ring = RingBuffer::with_capacity(1 << 16); // or RingBuffer::create("/dev/shm/md", ..)
//! let mut publisher = Publisher::<MarketData>::new(ring.clone())?;
//! let mut subscriber = Subscriber::<MarketData>::new(ring)?; // or over RingBuffer::attach(..)
//! publisher.publish(&Quote { symbol: "ES".into(), bid: 1.0, ask: 1.5 })?;
//! publisher.publish(&Trade { instrument: 9, price: 1.25 })?;
//!
//! let mut seen = Vec::new();
//! for msg in subscriber.batch_iter() {
//!     match msg? {
//!         MarketDataView::Quote(q) => seen.push(format!("{} {}", q.symbol, q.bid)), // &ArchivedQuote
//!         MarketDataView::Trade(t) => seen.push(format!("{}", t.price)),            // &Trade
//!     }
//! }
//! assert_eq!(seen, ["ES 1", "1.25"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Words
//!
//! - A *message type* is a struct that implements [`TypedMessage`]; a *channel* is the enum of
//!   a ring's message types, which implements [`Channel`].
//! - A *view* is what a subscriber hands out: for a message type `M`, [`View<'a, M>`](View)
//!   (`&'a Archived<M>` for rkyv, `&'a M` for pod); for a channel, its view enum
//!   `<Name>View<'a>` ([`Channel::View`]), whose variants hold the message views. Both borrow
//!   the subscriber's buffer; [`ToMessage`] and the view enum's `to_message` make owned values.
//! - A [`ViewBatch`] is the typed counterpart of a raw [`Batch`](crate::Batch): the views of the
//!   messages pending when it was made.
//! - A *tag* is the `u32` in every frame header that names the message type
//!   ([`TypedMessage::TAG`]); *committed* and *claimed* are the writer's two positions, as in
//!   the byte ring.
//!
//! # Schemas and the registry
//!
//! A channel's registry lists, for each message type, its tag, name, fingerprint and codec,
//! plus the rkyv format of the build. The publisher stores it in the ring header when it makes
//! the channel; subscribers compare it with their own. They need not be equal: a subscriber
//! may know only some of the channel's types (it skips the others' frames, and counts them) or
//! more (those never arrive), and a publisher may publish only some of them; a type both sides
//! have must be the same on both, and anything else is refused with a [`SchemaMismatch`] that
//! names the differing types and fields. Adding, removing, renaming, reordering or
//! retyping a field changes a type's fingerprint; a type alias does not. The fingerprint is a
//! hash of the type's [`Shape`] ([`shape`]). The publisher also stores the shapes
//! ([`description`]), so that a [`Decoder`] renders any frame as a [`Value`] without the Rust
//! types: what tools, recorders and other languages read channels with.
//!
//! # Late joiners
//!
//! A message type may mark a key field (`#[bcast(key)]`); on a channel made with a
//! [`LastValues`] table the publisher keeps the latest message of every key, and a subscriber
//! that joins late takes a [`Snapshot`] of them ([`Subscriber::snapshot`]) before the live
//! stream, which goes on from exactly where the snapshot ends.
//!
//! # Reading safely
//!
//! A read copies the frame out of the ring with atomic loads into the subscriber's own 16-byte
//! aligned buffer, re-checks that the writer did not lap it, and only then validates the bytes
//! (rkyv's bytecheck; a size check for pod) and hands out a view into that buffer. No reference
//! into ring memory is ever made, and bytes from a buggy or hostile writer give a
//! [`RecvError::Decode`], never undefined behaviour. The `*_unchecked` reads skip rkyv
//! validation for trusted writers.

mod archived;
mod channel;
mod codec;
mod decode;
mod decoded_snapshot;
pub mod decoder;
pub mod description;
mod entry;
mod error;
mod evolution;
mod field_difference;
#[cfg(target_os = "linux")]
mod file;
mod json;
mod key;
mod last_values;
mod lock;
mod message;
mod mismatch;
mod open;
mod owned;
mod payload;
mod publisher;
mod recv;
mod registry;
mod schema;
pub mod shape;
#[cfg(feature = "async")]
mod stream;
mod subscriber;
mod table_mismatch;
pub mod value;
mod view_batch;
mod wire;

pub use channel::{Channel, InChannel, MessageVisitor};
pub use codec::{Codec, CodecKind, Pod, Rkyv, RkyvFormat};
pub use decode::UnknownTag;
pub use decoded_snapshot::DecodedSnapshot;
pub use decoder::Decoder;
pub use entry::TypeEntry;
pub use error::{DecodeError, PublishError};
pub use evolution::{Evolution, Side};
pub use field_difference::FieldDifference;
pub use json::{JsonError, JsonMessage};
pub use key::Key;
pub use last_values::{LastValues, LastValuesError};
pub use lock::{LockError, SchemaLock};
pub use message::{TypedMessage, View};
pub use mismatch::{Difference, SchemaMismatch};
pub use open::TypedOpenError;
pub use owned::ToMessage;
pub use publisher::Publisher;
pub use recv::RecvError;
pub use registry::{Registry, RegistryError};
pub use schema::{Schema, UsizeOverflow, tag_from_name};
pub use shape::Shape;
#[cfg(feature = "async")]
pub use stream::SubscriberStream;
pub use subscriber::{Snapshot, Subscriber};
pub use table_mismatch::TableMismatch;
pub use value::Value;
pub use view_batch::{ViewBatch, WithMeta};

#[doc = include_str!("doc/message_attr.md")]
pub use bcast_derive::message;
#[doc = include_str!("doc/schema_attr.md")]
pub use bcast_derive::schema;

#[doc(hidden)]
pub use codec::Scratch;
#[doc(hidden)]
pub use json::json_line;
#[doc(hidden)]
pub use payload::Payload;

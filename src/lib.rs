//! Low-latency broadcast over shared memory: one writer, many readers, a ring of variable-size
//! byte frames in heap memory, caller memory or a file under `/dev/shm`.
//!
//! ```
//! use bcast::{Error, RingBuffer};
//!
//! let ring = RingBuffer::with_capacity(64 * 1024);
//! let mut writer = ring.clone().into_writer();
//! let mut reader = ring.into_reader();
//!
//! let mut claim = writer.claim(5)?;
//! claim.get_buffer_mut().copy_from_slice(b"hello");
//! claim.commit();
//! writer.send(b"world")?;
//!
//! let mut payload = [0u8; 1024];
//! for msg in reader.batch_iter() {
//!     match msg?.read(&mut payload) {
//!         Ok(len) => println!("{:?}", &payload[..len]),
//!         Err(Error::Overrun(lapped)) => println!("lost messages at {}", lapped.position),
//!         Err(e) => return Err(e),
//!     }
//! }
//! # Ok::<(), Error>(())
//! ```
//!
//! # The model
//!
//! - The [`Writer`] never waits. Each [`Reader`] has its own cursor; a reader that falls a whole
//!   ring behind learns it was overrun ([`Error::Overrun`]) and never sees a torn message.
//! - Frames carry a payload of up to [`Writer::mtu`] bytes and a `u32` tag
//!   ([`Message::tag`]) that readers can filter on without copying.
//! - Storage: [`RingBuffer::with_capacity`] (threads of one process),
//!   [`RingBuffer::create`] / [`RingBuffer::attach`] (processes of one machine, through a file
//!   under `/dev/shm`), [`RingBuffer::init_raw`] / [`RingBuffer::join_raw`] (memory you manage).
//!
//! # Typed messages
//!
//! [`typed`] puts typed records on the same ring: `#[bcast::typed::message]` gives a struct a tag and
//! a schema fingerprint (rkyv archives for variable-size data, `pod` for fixed-layout structs),
//! `#[derive(BcastChannel)]` on an enum of them makes a channel, and subscribers `match` on
//! zero-copy views of what the publisher sent. A channel stores its schema registry in the
//! ring's header, so a subscriber of another schema is refused and told which types differ.
//! [`Publisher::new`](typed::Publisher::new) and [`Subscriber::new`](typed::Subscriber::new)
//! take a ring of any kind, as [`RingBuffer::into_writer`] and [`RingBuffer::into_reader`] do.
//!
//! ```
//! use bcast::RingBuffer;
//! use bcast::typed::{Publisher, RecvError, Subscriber};
//!
//! #[bcast::typed::message(tag = 1)]
//! pub struct Quote {
//!     pub symbol: String,
//!     pub bid: f64,
//! }
//!
//! #[bcast::typed::message(tag = 2, pod)]
//! #[repr(C)]
//! pub struct Trade {
//!     pub price: f64,
//!     pub qty: u64,
//! }
//!
//! #[derive(bcast::BcastChannel)]
//! pub enum Market {
//!     Quote(Quote),
//!     Trade(Trade),
//! }
//!
//! let ring = RingBuffer::with_capacity(1 << 16); // or RingBuffer::create("/dev/shm/md", ..)
//! let mut publisher = Publisher::<Market>::new(ring.clone())?;
//! let mut subscriber = Subscriber::<Market>::new(ring)?; // starts live, like a raw reader
//! publisher.publish(&Quote { symbol: "ES".into(), bid: 5000.25 })?;
//! publisher.publish(&Trade { price: 5000.5, qty: 3 })?;
//! for msg in subscriber.batch_iter() {
//!     match msg {
//!         Ok(MarketView::Quote(q)) => assert_eq!(q.symbol, "ES"), // &ArchivedQuote, in place
//!         Ok(MarketView::Trade(t)) => assert_eq!(t.qty, 3),       // &Trade
//!         Err(RecvError::Overrun(_)) => break, // lapped: `subscriber.reset()` after the batch
//!         Err(other) => return Err(other.into()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Numbers in an rkyv view are archived little-endian types: compare them directly, or call
//! `.to_native()`. With the `serde` feature (and `serde::Serialize` derived beside the message
//! types), views render as JSON ([`typed::JsonMessage`]).
//!
//! # Safety model
//!
//! Ring memory is shared with other threads or processes, so it is only ever accessed through
//! 8-byte atomic loads and stores (on x86-64 with AVX, large payloads through 16-byte copies
//! that equal pairs of them): never through `&[u8]`, never with plain copies. The writer
//! raises its *claimed* frontier and issues a release fence before it overwrites anything, and a
//! reader re-checks that frontier after an acquire fence once it has copied a frame out; a frame
//! that may have been overwritten meanwhile is discarded and reported as an overrun. This makes
//! the protocol sound under Rust's memory model, not just on x86, and Miri checks it (see
//! `ci/miri.sh`). The writer stages a claimed message in private memory, so
//! [`Claim::get_buffer_mut`] never hands out shared bytes.
//!
//! # Platforms
//!
//! - **Linux** (x86-64; the tests run there, natively and under Miri): everything.
//! - **Other platforms** (macOS and Windows are built in CI, not tested): heap rings and caller
//!   memory. Channel files need Linux (`/dev/shm`, `O_TMPFILE`, `posix_fallocate`, `flock`,
//!   `/proc`), so [`RingBuffer::create`], [`RingBuffer::attach`] and [`CreateOptions`] exist
//!   only there; and without a futex, a parked reader
//!   polls every 50 µs instead of being woken.
//! - The minimum supported Rust version is the `rust-version` in `Cargo.toml` (1.88), checked in
//!   CI.
//!
//! Channel files are untrusted input: another local user may have put anything at a channel's
//! path, and a crashed or buggy writer anything in it. Opening refuses what is not a regular
//! file, a writer refuses a file it does not own (with the mode it asked for), readers refuse
//! files that could fault, and every value read from shared memory is checked before use
//! ([`OpenError::Refused`], [`Error::CorruptFrame`]). What no library can prevent is a process
//! with write permission truncating the file under a live mapping (`SIGBUS`): attach only to
//! channels of users you trust.

#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod reader;
mod ring;
mod ring_buffer;
#[cfg(target_os = "linux")]
mod shm;
#[cfg(not(target_os = "linux"))]
#[path = "shm/unsupported.rs"]
mod shm;
mod sync;
mod wait;
mod writer;

pub use error::{Error, FileRefusal, Lapped, LayoutError, OpenError};
pub use reader::{Batch, FilterTag, Lag, Message, Reader, ReaderStats, Received, TagLosses};
pub use ring::frame::Stamp;
pub use ring_buffer::{ChannelInfo, ReadOnly, ReadWrite, RingBuffer};
#[cfg(target_os = "linux")]
pub use shm::CreateOptions;
pub use wait::WaitStrategy;
pub use writer::{Claim, Writer};

pub mod typed;

#[cfg(target_os = "linux")]
pub mod record;

#[doc = include_str!("typed/doc/bcast_channel.md")]
pub use bcast_derive::BcastChannel;
#[doc = include_str!("typed/doc/bcast_message.md")]
pub use bcast_derive::BcastMessage;
#[doc = include_str!("typed/doc/bcast_schema.md")]
pub use bcast_derive::BcastSchema;
pub use rkyv;
pub use zerocopy;

#[doc(hidden)]
pub mod __private;

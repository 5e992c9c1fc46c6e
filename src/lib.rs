//! placeholder
pub mod error;
mod reader;
mod ring;
mod ring_buffer;
mod shm;
mod sync;
mod writer;
pub use error::{Error, Lapped, LayoutError, OpenError};
pub use reader::{Batch, FilterUserDefined, Message, Reader, Received};
pub use ring_buffer::{ReadOnly, ReadWrite, RingBuffer};
pub use writer::{Claim, Writer};
#[doc(hidden)]
pub mod __private;
pub mod typed;
pub use shm::CreateOptions;

//! Turning a frame a subscriber copied into a view of its channel: the [`UnknownTag`] policy
//! for frames of no type the channel carries, and the decoding of the others.

use super::channel::Channel;
use super::payload::{Access, Payload};
use super::recv::RecvError;
use crate::reader::Received;

/// What a [`Subscriber`](super::Subscriber) does with a frame whose tag is not one of its
/// channel's message types (e.g. raw frames sent with [`Writer::send`](crate::Writer::send) on
/// the same ring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownTag {
    /// Report it as [`RecvError::UnknownTag`] and move past it (the default).
    #[default]
    Error,
    /// Move past it silently.
    Skip,
}

impl UnknownTag {
    /// Whether `received` is to be decoded as one of `C`'s types (`Ok(true)`) or skipped
    /// (`Ok(false)`, a tag `C` does not carry under [`Skip`](Self::Skip)).
    ///
    /// # Errors
    ///
    /// [`RecvError::UnknownTag`] for a tag `C` does not carry under [`Error`](Self::Error).
    #[inline]
    pub(super) fn admits<C: Channel>(self, received: &Received) -> Result<bool, RecvError> {
        if C::carries_tag(received.tag) {
            return Ok(true);
        }
        match self {
            Self::Skip => Ok(false),
            Self::Error => {
                let (tag, position) = (received.tag, received.position);
                Err(RecvError::UnknownTag { tag, position })
            }
        }
    }
}

/// Decodes the whole payload of the frame `received` describes as the type its tag names.
#[inline]
pub(super) fn decode<'a, C: Channel>(
    access: Access,
    received: &Received,
    bytes: &'a [u8],
) -> Result<C::View<'a>, RecvError> {
    let payload = Payload::new(received.tag, bytes, access);
    C::decode(payload).map_err(|source| RecvError::Decode { position: received.position, source })
}

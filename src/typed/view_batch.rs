//! [`ViewBatch`]: typed views of the frames a subscriber copied in one go.

use core::fmt;
use core::marker::PhantomData;

use super::channel::Channel;
use super::decode::{UnknownTag, decode};
use super::payload::Access;
use super::recv::RecvError;
use crate::reader::Received;

/// Iterator over the messages that were pending when it was made; see
/// [`Subscriber::batch_iter`](super::Subscriber::batch_iter).
///
/// Every frame was already copied into its own aligned slot of the subscriber's buffer (and its
/// lap re-checked); iterating validates each one and yields its view, which lives as long as
/// the batch's borrow of the subscriber.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct ViewBatch<'a, C: Channel> {
    buffer: &'a [u8],
    slots: core::slice::Iter<'a, (usize, Received)>,
    unknown: UnknownTag,
    access: Access,
    /// The ring error that ended the copy, yielded after the copied messages.
    error: Option<RecvError>,
    channel: PhantomData<fn() -> C>,
}

impl<'a, C: Channel> ViewBatch<'a, C> {
    /// A batch over frames already copied into `buffer`: each slot is the offset of a frame's
    /// payload in it, and the frame's metadata.
    pub(super) fn new(
        buffer: &'a [u8],
        slots: &'a [(usize, Received)],
        unknown: UnknownTag,
        access: Access,
        error: Option<RecvError>,
    ) -> Self {
        Self { buffer, slots: slots.iter(), unknown, access, error, channel: PhantomData }
    }

    /// Yields each view together with what the ring says about its frame (tag, length,
    /// position and sequence number), e.g. to count losses from gaps in
    /// [`Received::seq`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use bcast::RingBuffer;
    /// use bcast::typed::{Publisher, Subscriber};
    ///
    /// let ring = RingBuffer::with_capacity(4096);
    /// let mut publisher = Publisher::<Pings>::new(ring.clone())?;
    /// let mut subscriber = Subscriber::<Pings>::new(ring)?;
    /// publisher.publish(&Ping { at: 1 })?;
    /// for item in subscriber.batch_iter().with_meta() {
    ///     let (meta, PingsView::Ping(ping)) = item?;
    ///     assert_eq!((meta.seq, meta.tag, ping.at.to_native()), (0, 1, 1));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_meta(self) -> WithMeta<'a, C> {
        WithMeta(self)
    }

    /// Number of frames left in the batch (messages, unknown tags and a final ring error).
    pub fn remaining(&self) -> usize {
        self.slots.len() + usize::from(self.error.is_some())
    }

    fn next_entry(&mut self) -> Option<Result<(Received, C::View<'a>), RecvError>> {
        loop {
            let Some(&(offset, received)) = self.slots.next() else {
                return self.error.take().map(Err);
            };
            match self.unknown.admits::<C>(&received) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => return Some(Err(error)),
            }
            let bytes = &self.buffer[offset..offset + received.len];
            let view = decode::<C>(self.access, &received, bytes);
            return Some(view.map(|view| (received, view)));
        }
    }
}

impl<'a, C: Channel> Iterator for ViewBatch<'a, C> {
    type Item = Result<C::View<'a>, RecvError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_entry().map(|entry| entry.map(|(_, view)| view))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining()))
    }
}

impl<C: Channel> core::iter::FusedIterator for ViewBatch<'_, C> {}

impl<C: Channel> fmt::Debug for ViewBatch<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ViewBatch").field("remaining", &self.remaining()).finish_non_exhaustive()
    }
}

/// A [`ViewBatch`] that yields each view with its frame's [`Received`] metadata; see
/// [`ViewBatch::with_meta`].
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct WithMeta<'a, C: Channel>(ViewBatch<'a, C>);

impl<'a, C: Channel> Iterator for WithMeta<'a, C> {
    type Item = Result<(Received, C::View<'a>), RecvError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_entry()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<C: Channel> core::iter::FusedIterator for WithMeta<'_, C> {}

impl<C: Channel> fmt::Debug for WithMeta<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WithMeta").field(&self.0).finish()
    }
}

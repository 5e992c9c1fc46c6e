//! [`Batch`]: the messages pending when a batch began, and its tag filter.

use super::{Cursor, Frames, Message, Passed};
use crate::error::Error;

/// Iterator over the messages that were committed when it was made; see
/// [`Reader::batch_iter`](crate::Reader::batch_iter).
#[derive(Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Batch<'a> {
    frames: &'a Frames,
    cursor: &'a mut Cursor,
    limit: u64,
    finished: bool,
}

impl<'a> Batch<'a> {
    pub(super) fn new(frames: &'a Frames, cursor: &'a mut Cursor, limit: u64) -> Self {
        Self { frames, cursor, limit, finished: false }
    }

    /// Keeps only the messages whose [`tag`](Message::tag) tag passes
    /// `filter`; the others are stepped over without copying their payloads (and counted in
    /// [`ReaderStats::skipped`](crate::ReaderStats::skipped)). Errors still come through.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// for tag in [1, 2, 1, 3] {
    ///     writer.send_with_tag(&[tag as u8], tag)?;
    /// }
    /// let ones = reader.batch_iter().filter_tag(|tag| tag == 1).count();
    /// assert_eq!(ones, 2);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn filter_tag<F: FnMut(u32) -> bool>(self, filter: F) -> FilterTag<'a, F> {
        FilterTag { batch: self, filter }
    }
}

impl<'a> Batch<'a> {
    /// The next message whose tag passes `filter`; the others are stepped over and counted as
    /// skipped.
    #[inline]
    fn next_passing(
        &mut self,
        filter: &mut impl FnMut(u32) -> bool,
    ) -> Option<Result<Message<'a>, Error>> {
        if self.finished {
            return None;
        }
        let next = self.frames.next_frame(self.cursor, self.limit, filter);
        match self.cursor.take(next, Passed::Received) {
            Ok(Some((position, header))) => Some(Ok(Message::new(self.frames, position, header))),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(error) => {
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}

impl<'a> Iterator for Batch<'a> {
    type Item = Result<Message<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_passing(&mut |_| true)
    }
}

impl core::iter::FusedIterator for Batch<'_> {}

/// A [`Batch`] restricted to the messages whose tag passes a filter; see
/// [`Batch::filter_tag`].
#[derive(Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct FilterTag<'a, F> {
    batch: Batch<'a>,
    filter: F,
}

impl<'a, F: FnMut(u32) -> bool> Iterator for FilterTag<'a, F> {
    type Item = Result<Message<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.batch.next_passing(&mut self.filter)
    }
}

impl<F: FnMut(u32) -> bool> core::iter::FusedIterator for FilterTag<'_, F> {}

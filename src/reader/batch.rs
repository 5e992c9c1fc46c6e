//! [`Batch`]: the messages pending when a batch began, and its tag filter.

use super::{Cursor, Message, View};
use crate::error::Error;

/// Iterator over the messages that were committed when it was made; see
/// [`Reader::batch_iter`](crate::Reader::batch_iter).
#[derive(Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Batch<'a> {
    view: &'a View,
    cursor: &'a mut Cursor,
    limit: u64,
    finished: bool,
}

impl<'a> Batch<'a> {
    pub(super) fn new(view: &'a View, cursor: &'a mut Cursor, limit: u64) -> Self {
        Self { view, cursor, limit, finished: false }
    }

    /// Keeps only the messages whose [`user_defined`](Message::user_defined) tag passes
    /// `filter`; the others are stepped over without copying their payloads. Errors still come
    /// through.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// for tag in [1, 2, 1, 3] {
    ///     writer.send_with_user_defined(&[tag as u8], tag)?;
    /// }
    /// let ones = reader.batch_iter().filter_user_defined(|tag| tag == 1).count();
    /// assert_eq!(ones, 2);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn filter_user_defined<F: FnMut(u32) -> bool>(self, filter: F) -> FilterUserDefined<'a, F> {
        FilterUserDefined { batch: self, filter }
    }
}

impl<'a> Iterator for Batch<'a> {
    type Item = Result<Message<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.view.next_frame(self.cursor, self.limit) {
            Ok(Some((position, header))) => {
                self.cursor.position = position + header.frame_len();
                Some(Ok(Message::new(self.view, position, header)))
            }
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

impl core::iter::FusedIterator for Batch<'_> {}

/// A [`Batch`] restricted to the messages whose tag passes a filter; see
/// [`Batch::filter_user_defined`].
#[derive(Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct FilterUserDefined<'a, F> {
    batch: Batch<'a>,
    filter: F,
}

impl<'a, F: FnMut(u32) -> bool> Iterator for FilterUserDefined<'a, F> {
    type Item = Result<Message<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.batch.find(|item| item.as_ref().map_or(true, |msg| (self.filter)(msg.user_defined())))
    }
}

impl<F: FnMut(u32) -> bool> core::iter::FusedIterator for FilterUserDefined<'_, F> {}

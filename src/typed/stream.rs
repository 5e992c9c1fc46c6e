//! [`SubscriberStream`]: a subscriber as a `futures::Stream`, for async runtimes (feature
//! `async`).

use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;

use futures_core::Stream;

use super::channel::Channel;
use super::payload::Access;
use super::recv::RecvError;
use super::subscriber::Subscriber;
use crate::wait::hub::Hub;

/// A [`Subscriber`] as a never-ending [`Stream`] of `map(view)` values; see
/// [`Subscriber::into_stream`].
///
/// A pending stream costs no thread of its own: one hub thread per ring handle (a
/// [`RingBuffer`](crate::RingBuffer) and its clones) parks on the ring's futex and wakes every
/// waiting task when the writer publishes; make several subscribers from one handle to share it.
/// The hub ends within 50 ms of the last stream.
pub struct SubscriberStream<C, F> {
    subscriber: Subscriber<C>,
    map: F,
    hub: Arc<Hub>,
}

impl<C, F> core::fmt::Debug for SubscriberStream<C, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SubscriberStream").finish_non_exhaustive()
    }
}

impl<C: Channel> Subscriber<C> {
    /// Turns the subscriber into a [`Stream`] of the values `map` makes of each view (views
    /// borrow the subscriber's buffer, so a stream item must own its data: copy out the fields
    /// you need, or deserialise).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[bcast::typed::message(tag = 1)] pub struct Ping { pub at: u64 }
    /// # #[derive(bcast::BcastChannel)] pub enum Pings { Ping(Ping) }
    /// use futures_util::StreamExt;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut publisher = bcast::typed::Publisher::<Pings>::new(ring.clone())?;
    /// let subscriber = bcast::typed::Subscriber::<Pings>::new(ring)?;
    /// let mut pings = subscriber.into_stream(|PingsView::Ping(p)| p.at.to_native());
    /// let sender = std::thread::spawn(move || publisher.publish(&Ping { at: 42 }));
    /// assert_eq!(pings.next().await.transpose()?, Some(42));
    /// sender.join().unwrap()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_stream<T, F>(self, map: F) -> SubscriberStream<C, F>
    where
        F: for<'a> FnMut(C::View<'a>) -> T,
    {
        let hub = Hub::of(self.reader().shared());
        SubscriberStream { subscriber: self, map, hub }
    }
}

impl<C, F, T> Stream for SubscriberStream<C, F>
where
    C: Channel,
    F: for<'a> FnMut(C::View<'a>) -> T + Unpin,
{
    type Item = Result<T, RecvError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // Try, register for a wake-up, and try again: a publication between the first try and
        // the registration is caught by the second.
        for registered in [false, true] {
            match this.subscriber.fetch() {
                Ok(Some(received)) => {
                    let view = this.subscriber.view(Access::Checked, &received);
                    return Poll::Ready(Some(view.map(&mut this.map)));
                }
                Ok(None) if !registered => this.hub.register(cx.waker()),
                Ok(None) => return Poll::Pending,
                Err(error) => return Poll::Ready(Some(Err(error))),
            }
        }
        Poll::Pending
    }
}

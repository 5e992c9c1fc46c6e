//! [`TagLosses`]: messages lost per tag, counted from the tag sequences typed publishers stamp
//! on their frames.

use super::{Message, Received};

/// Messages a reader lost, per tag.
///
/// A lost frame is overwritten, tag and all, so a reader cannot tell which types it lost from
/// the frames themselves; the reader's [`lost`](crate::ReaderStats::lost) count is exact but
/// for all tags together. Typed publishers number each tag's messages (the frame's tag
/// sequence, [`Message::tag_seq`]), and this counter, fed every message a reader receives, in
/// order, adds up the gaps per tag.
///
/// The count for a tag is exact as of the last message of that tag received: losses since
/// then show when its next message arrives. Messages lost of tags not received since are in
/// the reader's total and in no tag's count ([`unattributed`](Self::unattributed)). Frames
/// without a tag sequence (raw writers) count nothing; a tag sequence that jumps further than
/// the messages of all tags in between (a restarted publisher numbers afresh) starts the count
/// over instead of counting a loss, and so does a message numbered at or before the tag's last
/// (a reader moved back to replay what the ring holds).
///
/// # Examples
///
/// ```
/// # #[bcast::typed::message(tag = 1)] pub struct Quote { pub px: f64 }
/// # #[bcast::typed::message(tag = 2)] pub struct Trade { pub qty: u64 }
/// # #[derive(bcast::BcastChannel)] pub enum Md { Quote(Quote), Trade(Trade) }
/// let ring = bcast::RingBuffer::with_capacity(1024);
/// let mut publisher = bcast::typed::Publisher::<Md>::new(ring.clone())?;
/// let mut reader = ring.into_reader();
/// let mut losses = bcast::TagLosses::default();
/// let mut buf = [0; 64];
/// publisher.publish(&Quote { px: 1.0 })?;
/// publisher.publish(&Trade { qty: 0 })?;
/// while let Some(received) = reader.try_recv(&mut buf)? {
///     losses.observe(&received);
/// }
/// for qty in 1..100 {
///     publisher.publish(&Trade { qty })?; // laps the reader
/// }
/// publisher.publish(&Quote { px: 2.0 })?;
/// assert!(reader.try_recv(&mut buf).is_err());
/// reader.reset_to_oldest();
/// while let Some(received) = reader.try_recv(&mut buf)? {
///     losses.observe(&received);
/// }
/// assert_eq!(losses.lost(1), 0, "no quote was lost");
/// assert_eq!(losses.lost(2), reader.stats().lost, "every message lost was a trade");
/// assert_eq!(losses.unattributed(reader.stats().lost), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TagLosses {
    /// Per tag seen, in the order first seen: a handful for a typed channel.
    tags: Vec<TagCount>,
}

/// One tag's count.
#[derive(Debug, Clone, Copy)]
struct TagCount {
    tag: u32,
    /// Sequence number of the tag's last message received.
    seq: u64,
    /// Its tag sequence; 0 before the tag's first message.
    tag_seq: u32,
    lost: u64,
}

impl TagCount {
    /// Moves to the tag's message numbered `seq` and `tag_seq` (not 0).
    #[inline]
    fn advance(&mut self, seq: u64, tag_seq: u32) {
        if tag_seq != self.tag_seq.checked_add(1).unwrap_or(1) {
            self.gap(seq, tag_seq);
        }
        (self.seq, self.tag_seq) = (seq, tag_seq);
    }

    /// Counts the gap before the message numbered `seq` and `tag_seq`, which is not the tag's
    /// next: the messages of the tag skipped, on the ring of tag sequences 1..2^32 (2^32 - 1
    /// values), unless that is more than the messages of all tags in between (a publisher that
    /// numbers afresh).
    #[cold]
    #[inline(never)]
    fn gap(&mut self, seq: u64, tag_seq: u32) {
        // The tag's first message: nothing to compare with. A message at or before the tag's
        // last one: the reader moved back to replay what the ring holds, and lost nothing.
        if self.tag_seq == 0 || seq <= self.seq {
            return;
        }
        let between = seq.wrapping_sub(self.seq).wrapping_sub(1);
        let ring = u64::from(u32::MAX);
        let gap = (u64::from(tag_seq) + ring - u64::from(self.tag_seq) - 1) % ring;
        if gap <= between {
            self.lost = self.lost.saturating_add(gap);
        }
    }
}

impl TagLosses {
    /// Counts the message `received` (the reader's next, in order).
    #[inline]
    pub fn observe(&mut self, received: &Received) {
        self.count(received.tag, received.seq, received.tag_seq);
    }

    /// Counts the lazy message `message` (the reader's next, in order).
    #[inline]
    pub fn observe_message(&mut self, message: &Message<'_>) {
        self.count(message.tag(), message.seq(), message.tag_seq());
    }

    /// Counts a message by its numbers: its `tag`, sequence number `seq` and tag sequence
    /// `tag_seq`, as [`Message::seq`] and [`Message::tag_seq`] give them. For messages that
    /// come from elsewhere than a reader, such as a relay's batches or a recording; they must
    /// come in sequence order.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut losses = bcast::TagLosses::default();
    /// losses.observe_numbers(1, 10, 1);
    /// losses.observe_numbers(2, 11, 1);
    /// losses.observe_numbers(1, 14, 3); // 12 and 13 are missing: one of them was tag 1's second
    /// assert_eq!(losses.lost(1), 1);
    /// assert_eq!(losses.unattributed(2), 1, "the other one's tag is not known yet");
    /// ```
    #[inline]
    pub fn observe_numbers(&mut self, tag: u32, seq: u64, tag_seq: u32) {
        self.count(tag, seq, tag_seq);
    }

    /// Counts one message. Every typed read pays for this, so the usual case (the tag's next
    /// number) costs a short scan and two stores; gaps and new tags go out of line.
    #[inline]
    fn count(&mut self, tag: u32, seq: u64, tag_seq: u32) {
        if tag_seq == 0 {
            return;
        }
        match self.tags.iter_mut().find(|count| count.tag == tag) {
            Some(count) => count.advance(seq, tag_seq),
            None => self.first(tag, seq, tag_seq),
        }
    }

    /// A counter for a channel whose tags are `tags`, in order, so that
    /// [`observe_at`](Self::observe_at) finds a tag by its index without a search.
    pub(crate) fn with_tags(tags: impl Iterator<Item = u32>) -> Self {
        Self { tags: tags.map(|tag| TagCount { tag, seq: 0, tag_seq: 0, lost: 0 }).collect() }
    }

    /// Counts `received`, whose tag is the `index`th of [`with_tags`](Self::with_tags).
    #[inline]
    pub(crate) fn observe_at(&mut self, index: usize, received: &Received) {
        if received.tag_seq == 0 {
            return;
        }
        match self.tags.get_mut(index) {
            Some(count) => count.advance(received.seq, received.tag_seq),
            None => self.observe(received),
        }
    }

    #[cold]
    #[inline(never)]
    fn first(&mut self, tag: u32, seq: u64, tag_seq: u32) {
        self.tags.push(TagCount { tag, seq, tag_seq, lost: 0 });
    }

    /// Forgets where each tag was, keeping the losses counted: for a reader moved to a position
    /// it did not read up to (a snapshot's), whose next message of a tag is not the one after
    /// the last it received.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut losses = bcast::TagLosses::default();
    /// losses.observe_numbers(1, 10, 1);
    /// losses.observe_numbers(1, 12, 3); // tag 1's second is missing
    /// losses.restart(); // the reader moved on past a snapshot
    /// losses.observe_numbers(1, 40, 9); // not a loss: counted from here on
    /// losses.observe_numbers(1, 42, 11);
    /// assert_eq!(losses.lost(1), 2);
    /// ```
    pub fn restart(&mut self) {
        for count in &mut self.tags {
            count.tag_seq = 0;
        }
    }

    /// Messages of `tag` lost, as of its last message received.
    pub fn lost(&self, tag: u32) -> u64 {
        self.tags.iter().find(|count| count.tag == tag).map_or(0, |count| count.lost)
    }

    /// Every tag received so far with its losses, in the order first received.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.tags.iter().map(|count| (count.tag, count.lost))
    }

    /// The losses of `total` (the reader's [`lost`](crate::ReaderStats::lost)) that no tag's
    /// count holds yet: messages of tags not received since they were lost.
    pub fn unattributed(&self, total: u64) -> u64 {
        total.saturating_sub(self.tags.iter().map(|count| count.lost).sum())
    }
}

//! [`Lag`]: how far behind the writer a reader is, and the number of the next message it reads.

use super::Reader;
use crate::error::Error;
use crate::sync::Ordering;

/// How far behind the writer a reader is: the messages and bytes committed past its position.
///
/// A snapshot: the writer may have published more by the time it is read. A reader that keeps
/// up has a lag near zero; one whose lag nears the ring's capacity is about to be overrun.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Lag {
    /// Messages committed that the reader has not reached.
    pub messages: u64,
    /// Bytes of frames (headers, payloads and padding) committed past the reader's position.
    pub bytes: u64,
}

impl Reader {
    /// How far behind the writer this reader is.
    ///
    /// # Errors
    ///
    /// [`Error::Overrun`] if the writer lapped the reader (it is more than a ring behind), and
    /// [`Error::CorruptFrame`] if the frame at its position is not one a writer stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut writer = ring.clone().into_writer();
    /// let mut reader = ring.into_reader();
    /// for _ in 0..3 {
    ///     writer.send(&[7; 16])?; // a 32-byte header and 16 bytes each
    /// }
    /// let lag = reader.lag()?;
    /// assert_eq!((lag.messages, lag.bytes), (3, 3 * 48));
    /// reader.try_recv(&mut [0; 16])?;
    /// assert_eq!(reader.lag()?.messages, 2);
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn lag(&self) -> Result<Lag, Error> {
        let ring = &self.frames.ring;
        let committed = ring.header().load_committed();
        let position = self.cursor.position;
        let bytes = committed.saturating_sub(position);
        if bytes == 0 {
            return Ok(Lag::default());
        }
        // Whether the writer lapped the reader: then the frames it has not read are gone.
        self.frames.check_lap(position)?;
        let Some(next) = self.next_seq()? else { return Ok(Lag { messages: 0, bytes }) };
        // Loaded after `committed` (whose load acquired the writer's stores before it): at
        // least the count of the messages below it.
        let published = ring.header().frames.load(Ordering::Relaxed);
        Ok(Lag { messages: published.saturating_sub(next), bytes })
    }

    /// The sequence number of the next message this reader reads: one past the last one it
    /// read, or, before its first, the number the frame at its position carries (a padding
    /// frame carries the number of the message after it). `None` before the first message
    /// while nothing is published at the reader's position.
    ///
    /// A reader that starts elsewhere than position 0 learns where the stream stands from it:
    /// the messages between this number and the one of the next message received were lost.
    ///
    /// # Errors
    ///
    /// As for [`lag`](Self::lag), before the reader's first message: [`Error::Overrun`] if the
    /// writer lapped it, [`Error::CorruptFrame`] if the frame at its position is not one a
    /// writer stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = bcast::RingBuffer::with_capacity(4096);
    /// let mut writer = ring.clone().into_writer();
    /// for _ in 0..3 {
    ///     writer.send(b"earlier")?;
    /// }
    /// let mut reader = ring.clone().into_reader();
    /// assert_eq!(reader.next_seq()?, None, "nothing is published at the end yet");
    /// writer.send(b"fourth")?;
    /// assert_eq!(reader.next_seq()?, Some(3));
    /// reader.try_recv(&mut [0; 16])?;
    /// assert_eq!(reader.next_seq()?, Some(4));
    /// # Ok::<(), bcast::Error>(())
    /// ```
    pub fn next_seq(&self) -> Result<Option<u64>, Error> {
        match self.cursor.next_seq() {
            Some(next) => Ok(Some(next)),
            None => Ok(self.frames.header_at(self.cursor.position, u64::MAX)?.map(|h| h.seq)),
        }
    }
}

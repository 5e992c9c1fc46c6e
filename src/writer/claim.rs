//! [`Claim`]: room for one message, filled by the caller and then published.

use core::mem::ManuallyDrop;

use super::Writer;

/// Room for one message of a fixed length, made by [`Writer::claim`].
///
/// The bytes returned by [`get_buffer_mut`](Claim::get_buffer_mut) are the writer's private
/// staging buffer, never ring memory: readers cannot observe a half-written message, and the
/// payload is copied into the ring with atomic stores when the claim is published.
///
/// Publishing happens on [`commit`](Claim::commit) or when the claim is dropped, except while the
/// thread is panicking: then the claim is discarded, so a panic in the middle of filling it
/// never publishes a half-written message. [`abort`](Claim::abort) discards it explicitly.
///
/// ```compile_fail
/// // A claim must be used: dropping it unnamed is a `must_use` lint, an error here.
/// #![deny(unused_must_use)]
/// let mut writer = bcast::RingBuffer::with_capacity(1024).into_writer();
/// writer.claim(8).unwrap();
/// ```
#[derive(Debug)]
#[must_use = "a claim is published when dropped; call `commit` or `abort` to make that explicit"]
pub struct Claim<'a> {
    writer: &'a mut Writer,
    len: usize,
    tag: u32,
}

impl<'a> Claim<'a> {
    pub(super) fn new(writer: &'a mut Writer, len: usize, tag: u32) -> Self {
        Self { writer, len, tag }
    }

    /// The message's bytes, `len` of them, to fill before publishing.
    ///
    /// They start with whatever an earlier claim left in the staging buffer: write all of them.
    #[inline]
    pub fn get_buffer_mut(&mut self) -> &mut [u8] {
        &mut self.writer.staging[..self.len]
    }

    /// Publishes the message.
    #[inline(always)]
    pub fn commit(self) {
        let len = self.len;
        self.publish(len);
    }

    /// Shrinks the message to its first `len` bytes and publishes it; for a caller that claimed
    /// an upper bound. `len` larger than the claim is clamped to it.
    #[inline]
    pub fn commit_len(self, len: usize) {
        let len = self.len.min(len);
        self.publish(len);
    }

    /// Discards the message: nothing is published.
    #[inline]
    pub fn abort(self) {
        // Not dropped, so not published.
        let _ = ManuallyDrop::new(self);
    }

    /// Publishes the first `len` staged bytes, consuming the claim without running its `Drop`
    /// (which publishes an unfinished claim): no flag is stored and then loaded again, so that
    /// the fields stay in registers (a `done` flag written and read back through memory stalled
    /// store forwarding on the claim path).
    #[inline(always)]
    fn publish(self, len: usize) {
        let mut this = ManuallyDrop::new(self);
        let tag = this.tag;
        this.writer.publish_staged(len, tag);
    }
}

impl Drop for Claim<'_> {
    /// A claim dropped without `commit` or `abort` is published, unless the thread is panicking.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.writer.publish_staged(self.len, self.tag);
        }
    }
}

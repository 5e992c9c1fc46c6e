//! [`Subscriber::snapshot`]: the latest message of every key from the channel's last-value
//! table, stitched to the live stream.
//!
//! The table is not a consistent cut of the stream: the publisher updates it while the
//! snapshot reads it. The stitch makes one (`docs/protocol.md`, "The last-value table"):
//!
//! 1. load `tabled`, a position before which every keyed message is in the table;
//! 2. copy out every slot, skipping those the publisher was updating;
//! 3. load `committed`, the end of the stream as far as the copies can reach;
//! 4. read the ring from `tabled` to `committed`, and let each keyed message there replace
//!    the copy of its key if it is later.
//!
//! A slot's copy (or its absence, for a slot being updated) is the key's latest message as of
//! step 2; every later one up to `committed` was published after `tabled` and is in the ring,
//! where step 4 finds it; and nothing in a copy is past `committed`, since the publisher
//! updates a slot only after it published the message in the ring. So the snapshot holds each
//! key's latest message before `committed`, and the live stream goes on from there. If the
//! publisher laps the merge, the snapshot starts again.

use std::collections::HashMap;
use std::sync::Arc;

use core::fmt;
use core::hash::BuildHasherDefault;

use zerocopy::IntoBytes;

use super::{Block, Frame, Subscriber};
use crate::reader::Received;
use crate::ring::frame::FRAME_ALIGN;
use crate::ring::table::Table;
use crate::typed::channel::Channel;
use crate::typed::last_values::{KeyBytes, KeyHasher, LastValuesError, lanes_of, slot_message};
use crate::typed::payload::Access;
use crate::typed::recv::RecvError;

/// How many times a snapshot starts again after the publisher lapped its merge.
const ATTEMPTS: u32 = 8;

/// The latest message of every key of a channel's keyed types, taken by
/// [`Subscriber::snapshot`]: read it with [`next_message`](Self::next_message), then go on with the
/// subscriber, whose next message is the first after the snapshot.
///
/// The messages come in the order they were published, each as the subscriber would have
/// received it: a view, checked, of the subscriber's own schema version.
pub struct Snapshot<'s, C: Channel> {
    subscriber: &'s mut Subscriber<C>,
    taken: Taken,
    next: usize,
    position: u64,
}

/// What a snapshot took: its messages' bytes, one after another at 16-byte boundaries.
#[derive(Default)]
struct Taken {
    entries: Vec<Entry>,
    arena: Vec<Block>,
    /// Each key's entry.
    keys: HashMap<KeyBytes, usize, BuildHasherDefault<KeyHasher>>,
    /// The key of the message being taken.
    key: Vec<u8>,
}

/// One message of a snapshot.
#[derive(Clone, Copy)]
struct Entry {
    received: Received,
    /// Its first block in the arena.
    at: usize,
}

impl Taken {
    fn clear(&mut self) {
        self.entries.clear();
        self.arena.clear();
        self.keys.clear();
    }
}

impl<C: Channel> Subscriber<C> {
    /// Takes the latest message of every key of the channel's keyed message types from its
    /// last-value table ([`LastValues`](crate::typed::LastValues)), and moves the subscriber to
    /// where they end: the next message it receives is the first one published after them.
    ///
    /// Nothing is missed or repeated between the two: each key's message in the snapshot is
    /// its latest before the subscriber's new position, and every message from there on is the
    /// subscriber's to receive. The snapshot is taken while the publisher goes on; it copies
    /// the table, then reads the messages published meanwhile from the ring.
    ///
    /// # Errors
    ///
    /// [`LastValuesError::NoTable`] for a channel without a table;
    /// [`LastValuesError::Mismatch`] if the table keys a type by another field than this build;
    /// [`LastValuesError::Lapped`] if the publisher lapped the ring faster than the snapshot
    /// could read it, 8 times over; [`LastValuesError::CorruptSlot`] or
    /// [`LastValuesError::Recv`] for a table or a message that no publisher of the channel
    /// writes. After an error the subscriber's position is unspecified:
    /// [`reset`](Self::reset) it.
    ///
    /// # Examples
    ///
    /// See [`LastValues`](crate::typed::LastValues).
    pub fn snapshot(&mut self) -> Result<Snapshot<'_, C>, LastValuesError> {
        let shared = Arc::clone(self.ring.shared());
        let Some(table) = &shared.table else {
            return Err(LastValuesError::NoTable { channel: C::NAME });
        };
        let lanes = lanes_of::<C>(table)?;
        // A subscriber made before its publisher checks the registry before it decodes.
        if !self.checked && !self.check_late() {
            return Err(LastValuesError::Recv(self.late_error()));
        }
        let mut taken = Taken::default();
        for _ in 0..ATTEMPTS {
            taken.clear();
            let start = table.load_tabled();
            self.scan(table, &lanes, &mut taken)?;
            // After the copies: a message of any copy ends at or before it.
            let end = self.reader.committed();
            if !start.is_multiple_of(FRAME_ALIGN) || start > end {
                let error = RecvError::CorruptFrame { position: start };
                return Err(LastValuesError::Recv(error));
            }
            match self.merge(start, end, &mut taken) {
                Ok(()) => {
                    taken.entries.sort_unstable_by_key(|entry| entry.received.seq);
                    return Ok(Snapshot { subscriber: self, taken, next: 0, position: end });
                }
                Err(RecvError::Overrun(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(LastValuesError::Lapped { attempts: ATTEMPTS })
    }

    /// Copies every slot of the lanes of `C`'s types into `taken`.
    fn scan(
        &mut self,
        table: &Table,
        lanes: &[Option<usize>],
        taken: &mut Taken,
    ) -> Result<(), LastValuesError> {
        let mut key = Vec::new();
        for lane in lanes.iter().flatten().filter_map(|&at| table.lanes().get(at)) {
            let room = lane.payload_max as usize;
            if self.buffer.len() * 16 < room {
                self.buffer.resize(room.div_ceil(16), Block([0; 16]));
            }
            for slot in 0..lane.slots {
                let bytes = &mut self.buffer.as_mut_bytes()[..room];
                let Some(received) = slot_message(table, lane, slot, &mut key, bytes)? else {
                    continue;
                };
                self.take(received, false, taken)?;
            }
        }
        Ok(())
    }

    /// Reads the ring from `start` to `end`, taking each keyed message that is later than its
    /// key's copy.
    fn merge(&mut self, start: u64, end: u64, taken: &mut Taken) -> Result<(), RecvError> {
        self.restart_at(start);
        while let Some(received) = self.next_keyed(end)? {
            // Adapted already.
            self.take(received, true, taken)?;
        }
        Ok(())
    }

    /// Moves the subscriber to `start`, a position the writer stored (the table's `tabled`),
    /// expecting no particular message there: nothing passed over counts as lost.
    pub(crate) fn restart_at(&mut self, start: u64) {
        self.reader.restart_at(start);
        if let Some(losses) = &mut self.losses {
            losses.restart();
        }
    }

    /// The next message of a keyed type before `end`, in the buffer and adapted to this
    /// build's version, or `None` once the subscriber reached `end` (also among frames it
    /// skips, which never take it past `end`).
    pub(crate) fn next_keyed(&mut self, end: u64) -> Result<Option<Received>, RecvError> {
        while self.reader.position() < end {
            let next = self.copy_next(0);
            let next = next.map_err(|error| RecvError::from_ring(error, self.reader.position()));
            let Some(mut received) = next? else { break };
            if !self.admits(&mut received)? {
                continue;
            }
            if C::type_index(received.tag).is_some_and(|index| C::KEYS[index].is_some()) {
                return Ok(Some(received));
            }
        }
        Ok(None)
    }

    /// The key and payload of the message `received` describes, which [`next_keyed`]
    /// (Self::next_keyed) returned: its key into `key`, and its payload (of this build's
    /// version).
    pub(crate) fn keyed_payload(
        &self,
        received: &Received,
        key: &mut Vec<u8>,
    ) -> Result<&[u8], RecvError> {
        let view = self.view(Access::Checked, received)?;
        key.clear();
        C::put_view_key(&view, key);
        Ok(&self.buffer.as_bytes()[..received.len])
    }

    /// Takes the message `received` describes, whose payload is in the buffer: adapts it to
    /// this build's version unless `adapted`, checks it, and keeps it if it is its key's
    /// latest.
    fn take(
        &mut self,
        mut received: Received,
        adapted: bool,
        taken: &mut Taken,
    ) -> Result<(), RecvError> {
        if received.version != 0 && !adapted {
            received.len = self.adapt(0, Frame::of(&received))?;
        }
        self.keyed_payload(&received, &mut taken.key)?;
        let entry = Entry { received, at: taken.arena.len() };
        match taken.keys.get(&KeyBytes::from(taken.key.as_slice())) {
            Some(&earlier) if taken.entries[earlier].received.seq >= received.seq => return Ok(()),
            Some(&earlier) => taken.entries[earlier] = entry,
            None => {
                taken.keys.insert(taken.key.as_slice().into(), taken.entries.len());
                taken.entries.push(entry);
            }
        }
        let blocks = received.len.div_ceil(16);
        taken.arena.extend_from_slice(&self.buffer[..blocks]);
        Ok(())
    }
}

impl<C: Channel> Snapshot<'_, C> {
    /// The next message of the snapshot, with its frame's metadata, or `None` after the last.
    /// A message the snapshot took from the table has `position` 0 (its frame may be long
    /// overwritten); one it took from the ring has its frame's.
    ///
    /// # Errors
    ///
    /// None for a message the snapshot already checked; the type is the subscriber's.
    pub fn next_message(&mut self) -> Result<Option<(Received, C::View<'_>)>, RecvError> {
        let Some(entry) = self.taken.entries.get(self.next).copied() else { return Ok(None) };
        self.next += 1;
        let blocks = entry.received.len.div_ceil(16);
        let buffer = &mut self.subscriber.buffer;
        if buffer.len() < blocks {
            buffer.resize(blocks, Block([0; 16]));
        }
        let bytes = self.taken.arena.get(entry.at..entry.at + blocks).unwrap_or_default();
        buffer[..bytes.len()].copy_from_slice(bytes);
        let view = self.subscriber.view(Access::Checked, &entry.received)?;
        Ok(Some((entry.received, view)))
    }

    /// Messages in the snapshot: one per key.
    pub fn len(&self) -> usize {
        self.taken.entries.len()
    }

    /// Whether the snapshot holds no message.
    pub fn is_empty(&self) -> bool {
        self.taken.entries.is_empty()
    }

    /// The stream position where the snapshot ends and the subscriber goes on.
    pub fn position(&self) -> u64 {
        self.position
    }
}

impl<C: Channel> fmt::Debug for Snapshot<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("len", &self.len())
            .field("next", &self.next)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

//! [`DecodedSnapshot`]: a channel's last-value table read without its Rust types, for tools.

use std::collections::HashMap;

use super::decoder::Decoder;
use super::last_values::{LastValuesError, slot_message};
use super::recv::RecvError;
use super::value::{Fields, Value};
use crate::error::Error;
use crate::reader::{Reader, Received};
use crate::ring::frame::FRAME_ALIGN;
use crate::ring::table::{Lane, Table};

/// How many times a snapshot starts again after the publisher lapped its merge.
const ATTEMPTS: u32 = 8;

/// The latest message of every key in a channel's last-value table, decoded from the channel's
/// own description: what [`Subscriber::snapshot`](super::Subscriber::snapshot) gives a
/// subscriber, for a tool that has no Rust types (`bcast tail --snapshot`).
///
/// Taken the same way: the table's slots, then the messages published meanwhile from the
/// ring, each message the latest of its key (the value of the key field the table names)
/// before [`position`](Self::position), where the reader goes on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DecodedSnapshot {
    /// The messages, in the order they were published, each with its frame's metadata
    /// (`position` 0 for one the table held) and its payload.
    pub messages: Vec<(Received, Vec<u8>)>,
    /// The stream position where the snapshot ends.
    pub position: u64,
}

impl DecodedSnapshot {
    /// Takes the snapshot of the channel `reader` reads, whose frames `decoder` decodes, and
    /// moves `reader` to where it ends.
    ///
    /// # Errors
    ///
    /// [`LastValuesError::NoTable`] for a channel without a table; [`LastValuesError::Lapped`]
    /// if the publisher lapped the merge 8 times; [`LastValuesError::CorruptSlot`] or
    /// [`LastValuesError::Undecodable`] for a table or message no publisher writes.
    ///
    /// # Examples
    ///
    /// ```
    /// use bcast::typed::decoder::Decoder;
    /// use bcast::typed::{DecodedSnapshot, LastValues, Publisher};
    ///
    /// #[bcast::typed::message(tag = 1, pod)]
    /// pub struct Level {
    ///     #[bcast(key)]
    ///     pub sensor: u32,
    ///     pub celsius: f32,
    /// }
    /// #[derive(bcast::BcastChannel)]
    /// pub enum Plant {
    ///     Level(Level),
    /// }
    ///
    /// let ring = LastValues::<Plant>::new(64).with_capacity(1 << 12)?;
    /// let mut publisher = Publisher::<Plant>::new(ring.clone())?;
    /// for (sensor, celsius) in [(1, 20.5), (2, 19.0), (1, 21.0)] {
    ///     publisher.publish(&Level { sensor, celsius })?;
    /// }
    /// // A tool: no `Level` type, only the channel.
    /// let decoder = Decoder::read_from(&ring)?;
    /// let mut reader = ring.into_reader();
    /// let snapshot = DecodedSnapshot::take(&decoder, &mut reader)?;
    /// let lines: Vec<String> = snapshot
    ///     .messages
    ///     .iter()
    ///     .map(|(received, payload)| decoder.decode(received.tag, payload).unwrap().to_string())
    ///     .collect();
    /// assert_eq!(lines, ["Level { sensor: 2, celsius: 19.0 }", "Level { sensor: 1, celsius: 21.0 }"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take(decoder: &Decoder, reader: &mut Reader) -> Result<Self, LastValuesError> {
        let shared = std::sync::Arc::clone(reader.shared());
        let channel = "the channel";
        let Some(table) = &shared.table else { return Err(LastValuesError::NoTable { channel }) };
        let mut buf = vec![0; reader.mtu()];
        for _ in 0..ATTEMPTS {
            let mut taken = Keyed::default();
            let start = table.load_tabled();
            for lane in table.lanes() {
                scan(decoder, table, lane, &mut taken)?;
            }
            let end = reader.committed();
            if !start.is_multiple_of(FRAME_ALIGN) || start > end {
                let error = RecvError::CorruptFrame { position: start };
                return Err(LastValuesError::Recv(error));
            }
            reader.restart_at(start);
            let merged = loop {
                if reader.position() >= end {
                    break Ok(());
                }
                match reader.try_recv(&mut buf) {
                    Ok(Some(received)) => {
                        let Some((_, lane)) = table.lane_of(received.tag) else { continue };
                        let payload = &buf[..received.len];
                        taken.take(decoder, lane, received, payload)?;
                    }
                    Ok(None) => break Ok(()),
                    Err(error) => break Err(error),
                }
            };
            match merged {
                Ok(()) => {
                    let mut messages = taken.messages;
                    messages.sort_unstable_by_key(|(received, _)| received.seq);
                    return Ok(Self { messages, position: end });
                }
                Err(Error::Overrun(_)) => {}
                Err(error) => {
                    let error = RecvError::from_ring(error, reader.position());
                    return Err(LastValuesError::Recv(error));
                }
            }
        }
        Err(LastValuesError::Lapped { attempts: ATTEMPTS })
    }
}

/// The messages taken so far, and each key's.
#[derive(Default)]
struct Keyed {
    messages: Vec<(Received, Vec<u8>)>,
    /// Each key's message, by the key field's value in text.
    keys: HashMap<(u32, String), usize>,
}

impl Keyed {
    /// Keeps `payload` if it is its key's latest message.
    fn take(
        &mut self,
        decoder: &Decoder,
        lane: &Lane,
        received: Received,
        payload: &[u8],
    ) -> Result<(), LastValuesError> {
        let undecodable =
            |source| LastValuesError::Undecodable { position: received.position, source };
        let value =
            decoder.decode_version(received.tag, received.version, payload).map_err(undecodable)?;
        let key = match &value {
            Value::Struct { fields: fields @ Fields::Named(_), .. } => fields.get(&lane.key_name),
            _ => None,
        };
        let Some(key) = key else {
            let (tag, field) = (received.tag, lane.key_name.clone());
            return Err(LastValuesError::NoKeyField { tag, field });
        };
        let message = (received, payload.to_vec());
        match self.keys.get(&(received.tag, key.to_string())) {
            Some(&at) if self.messages[at].0.seq >= received.seq => {}
            Some(&at) => self.messages[at] = message,
            None => {
                self.keys.insert((received.tag, key.to_string()), self.messages.len());
                self.messages.push(message);
            }
        }
        Ok(())
    }
}

/// Copies every slot of `lane` into `taken`.
fn scan(
    decoder: &Decoder,
    table: &Table,
    lane: &Lane,
    taken: &mut Keyed,
) -> Result<(), LastValuesError> {
    let (mut key, mut payload) = (Vec::new(), vec![0; lane.payload_max as usize]);
    for slot in 0..lane.slots {
        let Some(received) = slot_message(table, lane, slot, &mut key, &mut payload)? else {
            continue;
        };
        taken.take(decoder, lane, received, &payload[..received.len])?;
    }
    Ok(())
}

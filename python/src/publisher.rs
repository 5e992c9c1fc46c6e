//! `Publisher`: a channel created from Python, written with raw frames or pod records.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use bcast::typed::decoder::Decoder;
use bcast::{RingBuffer, Stamp, Writer};
use pyo3::prelude::*;

use crate::encode;
use crate::error::{OpenError, PublishError, SchemaError, raise};
use crate::pod::PodType;
use crate::schema::Schema;

/// The writer of a channel file made by `bcast.create`.
///
/// `send` publishes raw frames; on a channel created with `schema_from`, `publish` publishes
/// pod records from field dicts, which a typed Rust subscriber of the same types receives.
#[pyclass(module = "bcast", name = "Publisher")]
#[derive(Debug)]
pub(crate) struct Publisher {
    writer: Writer,
    path: PathBuf,
    /// The channel's decoder, when it was created with a schema.
    decoder: Option<Decoder>,
    /// The pod types published so far, by name.
    types: HashMap<String, PodType>,
    /// Per tag, how many messages carried it: the tag sequence typed subscribers count
    /// per-type losses from.
    tag_seqs: HashMap<u32, u32>,
}

impl Publisher {
    /// Creates the channel file `path` of `capacity` bytes (rounded up to a power of two),
    /// raw, or with the schema registry and description of the channel file or recording
    /// directory `schema_from`.
    pub(crate) fn create(
        path: PathBuf,
        capacity: usize,
        schema_from: Option<PathBuf>,
    ) -> PyResult<Self> {
        let (ring, decoder) = match schema_from {
            None => (
                RingBuffer::create(&path, capacity).map_err(|e| raise(OpenError::new_err, e))?,
                None,
            ),
            Some(source) => {
                let schema = Schema::read(&source)?;
                let ring = schema
                    .registry
                    .create_described_channel(&path, capacity, &schema.description)
                    .map_err(|e| raise(OpenError::new_err, e))?;
                let decoder =
                    Decoder::read_from(&ring).map_err(|e| raise(OpenError::new_err, e))?;
                (ring, Some(decoder))
            }
        };
        let writer = ring.try_into_writer().map_err(|e| raise(OpenError::new_err, e))?;
        Ok(Self { writer, path, decoder, types: HashMap::new(), tag_seqs: HashMap::new() })
    }

    /// Publishes `payload` as one frame tagged `tag`, numbered in its tag's sequence.
    fn send_frame(&mut self, tag: u32, payload: &[u8], version: u16) -> PyResult<()> {
        let seq = self.writer.messages_published();
        let counted = self.tag_seqs.entry(tag).or_insert(0);
        // Tag sequences run 1..=u32::MAX and wrap to 1, as typed publishers number them.
        let tag_seq = if *counted == u32::MAX { 1 } else { *counted + 1 };
        self.writer
            .send_stamped(payload, Stamp { tag, seq, tag_seq, version })
            .map_err(|e| raise(PublishError::new_err, e))?;
        *counted = tag_seq;
        Ok(())
    }
}

#[pymethods]
impl Publisher {
    /// The channel file's path.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The largest payload a message may carry.
    #[getter]
    fn mtu(&self) -> usize {
        self.writer.mtu()
    }

    /// How many messages were published on the channel.
    #[getter]
    fn messages_published(&self) -> u64 {
        self.writer.messages_published()
    }

    /// Publishes `payload` (`bytes` or `bytearray`) as one frame tagged `tag` (`version`: the
    /// schema version its frame header carries, 0 for raw data).
    #[pyo3(signature = (tag, payload, version = 0))]
    fn send(&mut self, tag: u32, payload: Cow<'_, [u8]>, version: u16) -> PyResult<()> {
        self.send_frame(tag, &payload, version)
    }

    /// Publishes a record of the pod type `type_name` whose fields `fields` (a mapping) gives,
    /// stamped with the type's tag and version as a typed Rust publisher stamps it.
    fn publish(&mut self, type_name: &str, fields: &Bound<'_, PyAny>) -> PyResult<()> {
        let Some(decoder) = &self.decoder else {
            return Err(SchemaError::new_err(
                "a raw channel: create it with schema_from= to publish typed records",
            ));
        };
        if !self.types.contains_key(type_name) {
            let pod = PodType::find(decoder, type_name)?;
            self.types.insert(type_name.to_owned(), pod);
        }
        let pod = &self.types[type_name];
        let record = encode::record(pod, fields)?;
        let (tag, version) = (pod.tag, pod.version);
        self.send_frame(tag, &record, version)
    }

    fn __repr__(&self) -> String {
        format!("Publisher({:?})", self.path.display().to_string())
    }
}

//! Model-based property test: random sequences of claims, sends, aborts, reads, resets, late
//! joins and tag filters, checked against a plain list of the committed frames.
//!
//! Properties: every message a reader returns is exactly one that was committed (payload, tag,
//! sequence number), readers see messages in order, and a reader skips messages only after an
//! overrun it was told about, a reset, or a filter it asked for.

// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

use bcast::{Error, Reader, RingBuffer, Writer};
use proptest::prelude::*;

const CAPACITY: usize = 512;
const READERS: usize = 3;

/// One committed message, as the model remembers it; its index is its sequence number.
#[derive(Debug, Clone)]
struct Committed {
    tag: u32,
    payload: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Op {
    Send { len: usize, tag: u32 },
    ClaimCommit { len: usize, tag: u32 },
    ClaimAbort { len: usize },
    TryRecv { reader: usize },
    LazyRead { reader: usize },
    Batch { reader: usize, only_tag: Option<u32> },
    Reset { reader: usize },
    ResetToLastLap { reader: usize },
    JoinLive { reader: usize },
    JoinAtZero { reader: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let len = 0..=(CAPACITY / 4 - 32);
    let reader = 0..READERS;
    prop_oneof![
        4 => (len.clone(), 0..3u32).prop_map(|(len, tag)| Op::Send { len, tag }),
        2 => (len.clone(), 0..3u32).prop_map(|(len, tag)| Op::ClaimCommit { len, tag }),
        1 => len.prop_map(|len| Op::ClaimAbort { len }),
        3 => reader.clone().prop_map(|reader| Op::TryRecv { reader }),
        2 => reader.clone().prop_map(|reader| Op::LazyRead { reader }),
        2 => (reader.clone(), proptest::option::of(0..3u32))
            .prop_map(|(reader, only_tag)| Op::Batch { reader, only_tag }),
        1 => reader.clone().prop_map(|reader| Op::Reset { reader }),
        1 => reader.clone().prop_map(|reader| Op::ResetToLastLap { reader }),
        1 => reader.clone().prop_map(|reader| Op::JoinLive { reader }),
        1 => reader.prop_map(|reader| Op::JoinAtZero { reader }),
    ]
}

/// What the model knows about one reader.
struct ModelReader {
    reader: Reader,
    /// Sequence number of the last message returned, if any.
    last_seq: Option<u64>,
    /// Whether the reader may legitimately skip messages before its next delivery.
    may_skip: bool,
}

struct Harness {
    ring: RingBuffer,
    writer: Writer,
    committed: Vec<Committed>,
    readers: Vec<ModelReader>,
    buf: Vec<u8>,
}

impl Harness {
    fn new() -> Self {
        let ring = RingBuffer::with_capacity(CAPACITY);
        let writer = ring.clone().into_writer();
        let readers = (0..READERS)
            .map(|_| ModelReader {
                reader: ring.clone().into_reader(),
                last_seq: None,
                may_skip: false,
            })
            .collect();
        Self { ring, writer, committed: Vec::new(), readers, buf: vec![0; CAPACITY] }
    }

    fn payload(&self, len: usize) -> Vec<u8> {
        let seq = self.committed.len() as u64;
        (0..len).map(|i| (seq as u8).wrapping_mul(13).wrapping_add(i as u8)).collect()
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Send { len, tag } => {
                let payload = self.payload(len);
                self.writer.send_with_tag(&payload, tag).expect("below the MTU");
                self.commit(tag, payload);
            }
            Op::ClaimCommit { len, tag } => {
                let payload = self.payload(len);
                let mut claim = self.writer.claim_with_tag(len, tag).expect("below the MTU");
                claim.get_buffer_mut().copy_from_slice(&payload);
                claim.commit();
                self.commit(tag, payload);
            }
            Op::ClaimAbort { len } => {
                let mut claim = self.writer.claim(len).expect("below the MTU");
                claim.get_buffer_mut().fill(0xEE);
                claim.abort();
            }
            Op::TryRecv { reader } => {
                let r = &mut self.readers[reader];
                let result =
                    r.reader.try_recv(&mut self.buf).map(|m| m.map(|m| (m.seq, m.tag, m.len)));
                let got =
                    result.map(|m| m.map(|(seq, tag, len)| (seq, tag, self.buf[..len].to_vec())));
                check(&self.committed, self.writer.position(), r, got);
            }
            Op::LazyRead { reader } => {
                let r = &mut self.readers[reader];
                let got = match r.reader.receive_next() {
                    Ok(Some(msg)) => {
                        let (seq, tag) = (msg.seq(), msg.tag());
                        msg.read(&mut self.buf)
                            .map(|len| Some((seq, tag, self.buf[..len].to_vec())))
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                check(&self.committed, self.writer.position(), r, got);
            }
            Op::Batch { reader, only_tag } => {
                let r = &mut self.readers[reader];
                let mut got = Vec::new();
                for msg in r.reader.batch_iter().filter_tag(|tag| only_tag.is_none_or(|t| t == tag))
                {
                    got.push(msg.and_then(|m| {
                        let len = m.read(&mut self.buf)?;
                        Ok(Some((m.seq(), m.tag(), self.buf[..len].to_vec())))
                    }));
                }
                // A filter skips the messages it rejects, before and after each one it returns.
                for item in got {
                    r.may_skip |= only_tag.is_some();
                    check(&self.committed, self.writer.position(), r, item);
                }
                r.may_skip |= only_tag.is_some();
            }
            Op::Reset { reader } => {
                let r = &mut self.readers[reader];
                assert_eq!(r.reader.reset(), self.writer.position());
                r.may_skip = true;
            }
            Op::ResetToLastLap { reader } => {
                let r = &mut self.readers[reader];
                let position = r.reader.reset_to_oldest();
                assert!(position <= self.writer.position());
                assert!(
                    self.writer.position() - position <= CAPACITY as u64,
                    "replays at most one lap"
                );
                // A reset may move backwards: restart the ordering check.
                r.last_seq = None;
                r.may_skip = true;
            }
            Op::JoinLive { reader } => {
                self.readers[reader] = ModelReader {
                    reader: self.ring.clone().into_reader(),
                    last_seq: None,
                    may_skip: true,
                };
            }
            Op::JoinAtZero { reader } => {
                let reader_at_zero =
                    self.ring.clone().into_reader_at(0).expect("0 is a frame boundary");
                self.readers[reader] =
                    ModelReader { reader: reader_at_zero, last_seq: None, may_skip: false };
            }
        }
    }

    fn commit(&mut self, tag: u32, payload: Vec<u8>) {
        self.committed.push(Committed { tag, payload });
    }
}

/// Checks one read result against the model and updates the reader's expectations.
fn check(
    committed: &[Committed],
    producer: u64,
    r: &mut ModelReader,
    got: Result<Option<(u64, u32, Vec<u8>)>, Error>,
) {
    match got {
        Ok(Some((seq, tag, payload))) => {
            let expected = committed.get(seq as usize).expect("a committed sequence number");
            assert_eq!((tag, &payload), (expected.tag, &expected.payload), "message {seq} differs");
            if let Some(last) = r.last_seq {
                assert!(seq > last, "message {seq} after {last}: out of order");
                assert!(
                    seq == last + 1 || r.may_skip,
                    "messages {}..{seq} vanished without an overrun",
                    last + 1
                );
            }
            r.last_seq = Some(seq);
            r.may_skip = false;
        }
        Ok(None) => {
            assert_eq!(r.reader.position(), producer, "nothing pending only at the producer")
        }
        Err(Error::Overrun(lapped)) => {
            // The writer reserves a sixteenth of the ring ahead of what it publishes, so a
            // reader is overrun once it is more than the rest of the ring behind.
            let reserve = CAPACITY as u64 / 16;
            assert!(
                producer - lapped.position > CAPACITY as u64 - reserve,
                "overrun reported at {lapped:?} with the producer at {producer}"
            );
            // Lapped: the reader stays overrun until reset, so resetting here keeps the run going.
            r.reader.reset();
            r.may_skip = true;
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // Failures print their minimal input; no regression files (Miri cannot write them).
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn readers_return_exactly_the_committed_messages_in_order(
        ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 60 } else { 400 })
    ) {
        let mut harness = Harness::new();
        for op in &ops {
            harness.apply(op);
        }
    }
}

//! Publishing and receiving on a heap ring: the README API, claims, tags, wrap-around, MTU.

mod common;

use bcast::typed::{Publisher, Subscriber};
use bcast::{Error, RingBuffer};
use common::{check_payload, len_for, payload, send_frames, writer_and_reader};

#[test]
fn the_readme_example_round_trips() -> Result<(), Box<dyn std::error::Error>> {
    let ring = RingBuffer::with_capacity(64 * 1024);
    let mut writer = ring.clone().into_writer();
    let mut reader = ring.clone().into_reader();

    let mut claim = writer.claim(5)?;
    claim.get_buffer_mut().copy_from_slice(b"hello");
    claim.commit();
    writer.send(b"world")?;

    let mut payload = [0u8; 1024];
    let mut kept = Vec::new();
    for msg in reader.batch_iter() {
        let msg = msg?;
        kept.push(msg.clone());
    }
    let mut seen = Vec::new();
    for msg in &kept {
        let len = msg.read(&mut payload)?;
        seen.push(payload[..len].to_vec());
    }
    assert_eq!(seen, [b"hello".to_vec(), b"world".to_vec()]);
    Ok(())
}

#[test]
fn capacity_rounds_up_to_a_power_of_two() {
    assert_eq!(RingBuffer::with_capacity(0).capacity(), 256);
    assert_eq!(RingBuffer::with_capacity(1000).capacity(), 1024);
    assert_eq!(RingBuffer::with_capacity(4096).capacity(), 4096);
}

#[test]
fn claim_over_the_mtu_is_an_error() {
    let mut writer = RingBuffer::with_capacity(1024).into_writer();
    assert_eq!(writer.mtu(), 224);
    assert!(writer.claim(224).is_ok());
    let err = writer.claim(225).unwrap_err();
    assert_eq!(err, Error::MtuLimitExceeded { len: 225, mtu: 224 });
    assert_eq!(writer.send(&[0; 225]), Err(Error::MtuLimitExceeded { len: 225, mtu: 224 }));
}

#[test]
fn dropped_claim_commits_and_aborted_claim_publishes_nothing() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(1024);
    {
        let mut claim = writer.claim(3)?;
        claim.get_buffer_mut().copy_from_slice(b"abc");
    }
    let mut claim = writer.claim(3)?;
    claim.get_buffer_mut().copy_from_slice(b"xyz");
    claim.abort();
    let mut claim = writer.claim(16)?;
    claim.get_buffer_mut()[..2].copy_from_slice(b"ok");
    claim.commit_len(2);

    let mut buf = [0u8; 16];
    assert_eq!(reader.try_recv(&mut buf)?.map(|m| m.len), Some(3));
    assert_eq!(&buf[..3], b"abc");
    assert_eq!(reader.try_recv(&mut buf)?.map(|m| m.len), Some(2));
    assert_eq!(&buf[..2], b"ok");
    assert_eq!(reader.try_recv(&mut buf)?, None);
    assert_eq!(writer.messages_published(), 2);
    Ok(())
}

#[test]
fn claim_dropped_while_panicking_publishes_nothing() {
    let ring = RingBuffer::with_capacity(1024);
    let mut reader = ring.clone().into_reader();
    let mut writer = ring.into_writer();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut claim = writer.claim(8).unwrap();
        claim.get_buffer_mut()[..4].copy_from_slice(b"half");
        panic!("filling the claim failed");
    }));
    assert!(result.is_err());
    writer.send(b"after").unwrap();
    let mut buf = [0u8; 16];
    let received = reader.try_recv(&mut buf).unwrap().unwrap();
    assert_eq!(&buf[..received.len], b"after");
    assert_eq!(received.seq, 0, "the panicked claim took no sequence number");
    assert_eq!(reader.try_recv(&mut buf).unwrap(), None);
}

#[test]
fn tags_travel_with_messages_and_filters_skip_without_copying() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(4096);
    for i in 0..10u32 {
        let mut claim = writer.claim_with_tag(4, i % 3)?;
        claim.get_buffer_mut().copy_from_slice(&i.to_le_bytes());
    }
    let mut buf = [0u8; 4];
    let mut picked = Vec::new();
    for msg in reader.batch_iter().filter_tag(|tag| tag == 1) {
        let msg = msg?;
        assert_eq!(msg.tag(), 1);
        msg.read(&mut buf)?;
        picked.push(u32::from_le_bytes(buf));
    }
    assert_eq!(picked, [1, 4, 7]);
    assert_eq!(reader.try_recv(&mut buf)?, None, "the batch consumed the filtered-out messages");
    Ok(())
}

#[test]
fn skip_and_receive_next_step_over_messages() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(1024);
    writer.send(b"one")?;
    writer.send(b"two")?;
    writer.send_with_tag(b"three", 3)?;
    assert!(reader.skip()?);
    let msg = reader.receive_next()?.expect("two is pending");
    assert_eq!((msg.len(), msg.seq(), msg.is_empty()), (3, 1, false));
    let mut buf = [0u8; 8];
    let received = reader.try_recv(&mut buf)?.expect("three is pending");
    assert_eq!((received.len, received.tag, received.seq), (5, 3, 2));
    assert!(!reader.skip()?);
    assert!(reader.receive_next()?.is_none());
    Ok(())
}

#[test]
fn small_buffer_is_an_error_and_the_message_stays() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(1024);
    writer.send(b"twelve bytes")?;
    let mut small = [0u8; 4];
    assert_eq!(
        reader.try_recv(&mut small),
        Err(Error::BufferTooSmall { needed: 12, available: 4 })
    );
    let mut big = [0u8; 12];
    assert_eq!(reader.try_recv(&mut big)?.map(|m| m.len), Some(12));
    Ok(())
}

#[test]
fn empty_payloads_are_messages() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(256);
    writer.send(&[])?;
    let msg = reader.receive_next()?.expect("pending");
    assert!(msg.is_empty());
    assert_eq!(msg.read(&mut [])?, 0);
    Ok(())
}

#[test]
fn wrap_around_pads_the_lap_and_keeps_every_message_intact() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(512);
    let mut buf = vec![0u8; writer.mtu()];
    let n = if cfg!(miri) { 200 } else { 20_000 };
    let mut laps_with_padding = 0;
    for seq in 0..n {
        let before = writer.position();
        let bytes = payload(seq, len_for(seq, writer.mtu()));
        writer.send(&bytes)?;
        let lap = |p: u64| p / 512;
        if lap(writer.position() - 1) != lap(before) && !writer.position().is_multiple_of(512) {
            laps_with_padding += 1;
        }
        let received = reader.try_recv(&mut buf)?.expect("just sent");
        assert_eq!(received.len, bytes.len());
        assert_eq!(check_payload(&buf[..received.len]), seq);
        assert_eq!(received.seq, seq);
    }
    assert!(laps_with_padding > 0, "the test must exercise padding frames");
    assert_eq!(reader.try_recv(&mut buf)?, None);
    Ok(())
}

#[test]
fn batch_sees_only_what_was_pending_when_it_began() -> Result<(), Error> {
    let (mut writer, mut reader) = writer_and_reader(1024);
    writer.send(b"a")?;
    writer.send(b"b")?;
    let batch = reader.batch_iter();
    writer.send(b"c")?;
    assert_eq!(batch.count(), 2);
    assert_eq!(reader.batch_iter().count(), 1);
    Ok(())
}

#[test]
fn writer_and_reader_move_to_other_threads() -> Result<(), Error> {
    fn assert_send<T: Send>(_: &T) {}
    let (writer, mut reader) = writer_and_reader(4096);
    assert_send(&writer);
    assert_send(&reader);
    let handle = std::thread::spawn(move || {
        let mut writer = writer;
        writer.send(b"from a thread")
    });
    handle.join().expect("writer thread")?;
    let mut buf = [0u8; 32];
    assert_eq!(reader.try_recv(&mut buf)?.map(|m| m.len), Some(13));
    Ok(())
}

#[test]
fn second_writer_is_refused_until_the_first_is_dropped() -> Result<(), Error> {
    let ring = RingBuffer::with_capacity(1024);
    let mut first = ring.clone().try_into_writer()?;
    first.send(b"one")?;
    assert!(ring.writer_alive());
    assert_eq!(ring.clone().try_into_writer().unwrap_err(), Error::WriterExists);
    drop(first);
    assert!(!ring.writer_alive());
    let mut second = ring.clone().try_into_writer()?;
    assert_eq!(second.messages_published(), 1, "the new writer continues the stream");
    second.send(b"two")?;
    let mut reader = ring.into_reader_at(0)?;
    assert_eq!(reader.batch_iter().count(), 2);
    Ok(())
}

#[test]
#[should_panic(expected = "already has a writer")]
fn into_writer_panics_on_a_second_writer() {
    let ring = RingBuffer::with_capacity(1024);
    let _first = ring.clone().into_writer();
    let _second = ring.into_writer();
}

/// A message of the typed replay test.
#[bcast::typed::message(tag = 1)]
#[derive(Debug)]
pub struct Numbered {
    /// Its number.
    pub n: u64,
}

/// The channel of the typed replay test.
#[derive(Debug, bcast::BcastChannel)]
pub enum Numbers {
    /// A numbered message.
    Numbered(Numbered),
}

#[test]
fn a_late_joiner_replays_everything_while_nothing_was_overwritten() -> Result<(), Error> {
    let ring = RingBuffer::with_capacity(4096);
    let mut writer = ring.clone().into_writer();
    // 57 frames of 64 bytes: 3648 bytes, 89 % of the ring, and nothing overwritten yet.
    send_frames(&mut writer, 0..57)?;
    assert!(writer.position() > 4096 * 3 / 4 && writer.position() <= 4096);
    let mut reader = ring.into_reader_at_oldest();
    assert_eq!(reader.position(), 0);
    let mut buf = [0u8; 64];
    let mut seqs = Vec::new();
    while let Some(received) = reader.try_recv(&mut buf)? {
        seqs.push(check_payload(&buf[..received.len]));
    }
    assert_eq!(seqs, (0..57).collect::<Vec<_>>());
    Ok(())
}

#[test]
#[cfg_attr(miri, ignore = "rkyv validation is slow under Miri; the byte test above covers it")]
fn a_subscriber_reset_to_oldest_replays_everything_while_nothing_was_overwritten()
-> Result<(), Box<dyn std::error::Error>> {
    let mut publisher = Publisher::<Numbers>::new(RingBuffer::with_capacity(4096))?;
    let mut n = 0;
    // Publish while the ring is below 90 % full, without wrapping.
    while publisher.ring().committed() < 4096 * 9 / 10 - 64 {
        publisher.publish(&Numbered { n })?;
        n += 1;
    }
    assert!(publisher.ring().committed() > 4096 * 3 / 4);
    let mut subscriber = Subscriber::<Numbers>::new(publisher.ring().clone())?;
    subscriber.reset_to_oldest();
    let mut replayed = Vec::new();
    while let Some(NumbersView::Numbered(message)) = subscriber.try_recv()? {
        replayed.push(message.n.to_native());
    }
    assert_eq!(replayed, (0..n).collect::<Vec<_>>(), "everything published so far");
    Ok(())
}

#[test]
fn lag_counts_what_a_reader_has_not_reached_and_an_overrun_is_an_error() -> Result<(), Error> {
    let ring = RingBuffer::with_capacity(4096);
    let mut writer = ring.clone().into_writer();
    for _ in 0..5 {
        writer.send(&[1; 40])?;
    }
    // A live reader that has read nothing yet learns the number of the next message from the
    // frame at its position.
    let mut reader = ring.clone().into_reader();
    assert_eq!(reader.lag()?, bcast::Lag::default());
    writer.send(&[2; 40])?;
    writer.send(&[3; 8])?;
    assert_eq!(reader.lag()?, bcast::Lag { messages: 2, bytes: 80 + 48 });
    let mut buf = [0; 64];
    reader.try_recv(&mut buf)?;
    assert_eq!(reader.lag()?, bcast::Lag { messages: 1, bytes: 48 });
    // Padding at the end of a lap is bytes, not messages.
    let mut behind = ring.clone().into_reader();
    while writer.position() % 4096 < 4000 {
        writer.send(&[4; 40])?;
    }
    writer.send(&[5; 200])?;
    let lag = behind.lag()?;
    assert_eq!(lag.bytes, writer.position() - behind.position());
    let mut read = 0;
    while behind.try_recv(&mut [0; 256])?.is_some() {
        read += 1;
    }
    assert_eq!(lag.messages, read);
    // A lapped reader is more than a ring behind: an error, as its reads are.
    for _ in 0..200 {
        writer.send(&[6; 40])?;
    }
    assert!(matches!(reader.lag(), Err(Error::Overrun(_))));
    Ok(())
}

#[test]
fn next_seq_says_where_a_reader_stands_from_any_start() -> Result<(), Error> {
    let ring = RingBuffer::with_capacity(4096);
    let mut writer = ring.clone().into_writer();
    let mut buf = [0; 64];
    for _ in 0..200 {
        writer.send(&[1; 40])?; // 64-byte frames: 200 lap a 4 KiB ring three times
    }
    // From the first message: 0, which the writer has since overwritten.
    assert_eq!(ring.clone().into_reader_at(0)?.next_seq()?, Some(0));
    // From the oldest intact one: the number its frame carries, which its first read returns.
    let mut oldest = ring.clone().into_reader_at_oldest();
    let first = oldest.next_seq()?.expect("the oldest frame is there");
    assert!(first > 0 && first < 200);
    assert_eq!(oldest.try_recv(&mut buf)?.map(|m| m.seq), Some(first));
    assert_eq!(oldest.next_seq()?, Some(first + 1));
    // From the end: unknown until the next message is published there.
    let latest = ring.clone().into_reader();
    assert_eq!(latest.next_seq()?, None);
    writer.send(&[2; 40])?;
    assert_eq!(latest.next_seq()?, Some(200));
    // A reader lapped before its first message cannot know: an overrun, as its reads say.
    for _ in 0..200 {
        writer.send(&[3; 40])?;
    }
    assert!(matches!(latest.next_seq(), Err(Error::Overrun(_))));
    Ok(())
}

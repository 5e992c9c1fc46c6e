//! Reader half of the two-process demo: attaches to a `/dev/shm` channel and checks every
//! message, counting losses, until the writer's end marker (tag 1) arrives.

use std::time::{Duration, Instant};

use bcast::{Error, RingBuffer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "/dev/shm/bcast-demo".to_owned());
    let deadline = Instant::now() + Duration::from_secs(30);
    let ring = loop {
        match RingBuffer::attach(&path) {
            Ok(ring) => break ring,
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let mut reader = ring.into_reader_at_oldest();
    let mut buf = vec![0u8; reader.mtu()];
    let (mut received, mut overruns) = (0u64, 0u64);
    loop {
        match reader.try_recv(&mut buf) {
            Ok(Some(msg)) if msg.tag == 1 => break,
            Ok(Some(msg)) => {
                let seq = u64::from_le_bytes(buf[..8].try_into()?);
                let check = u64::from_le_bytes(buf[8..16].try_into()?);
                assert_eq!((msg.len, check), (16, !seq), "torn message {seq}");
                received += 1;
            }
            Ok(None) if Instant::now() > deadline => return Err("timed out".into()),
            Ok(None) => std::hint::spin_loop(),
            Err(Error::Overrun(_)) => {
                overruns += 1;
                reader.reset();
            }
            Err(e) => return Err(e.into()),
        }
    }
    println!("reader: {received} messages verified, {overruns} overruns");
    Ok(())
}

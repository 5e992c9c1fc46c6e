//! The README's example, verbatim: a heap ring shared by a writer and a reader.

use bcast::{Error, RingBuffer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ring = RingBuffer::with_capacity(64 * 1024); // heap; rounded up to a power of two
    let mut writer = ring.clone().into_writer();
    let mut reader = ring.clone().into_reader(); // joins at the committed position

    let mut claim = writer.claim(5)?; // Err(Error::MtuLimitExceeded { .. }) when too big
    claim.get_buffer_mut().copy_from_slice(b"hello");
    claim.commit(); // optional: dropping the claim commits too
    writer.send(b"world")?; // copy-in convenience

    let mut payload = [0u8; 1024];
    let mut kept = Vec::new();
    for msg in reader.batch_iter() {
        // the messages pending when the batch began
        let msg = msg?;
        kept.push(msg.clone()); // messages are lazy, cheap, Clone...
    }
    for msg in &kept {
        // ...and can be read after the loop, until the reader is used again
        match msg.read(&mut payload) {
            Ok(len) => println!("{:?}", std::str::from_utf8(&payload[..len])?),
            Err(Error::Overrun(_)) => { /* the writer lapped us; no torn bytes were returned */ }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

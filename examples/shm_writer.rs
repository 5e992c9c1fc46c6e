//! Writer half of the two-process demo: publishes numbered messages on a `/dev/shm` channel.
//!
//! ```text
//! cargo run --release --example shm_writer -- /dev/shm/bcast-demo 1000000
//! cargo run --release --example shm_reader -- /dev/shm/bcast-demo     # in another terminal
//! ```

use std::time::{Duration, Instant};

use bcast::RingBuffer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/dev/shm/bcast-demo".to_owned());
    let count: u64 = args.next().map_or(Ok(1_000_000), |n| n.parse())?;

    let mut writer = RingBuffer::create(&path, 1 << 20)?.into_writer();
    println!("writer: publishing {count} messages on {path}");
    let started = Instant::now();
    for seq in 0..count {
        let mut claim = writer.claim(16)?;
        let buf = claim.get_buffer_mut();
        buf[..8].copy_from_slice(&seq.to_le_bytes());
        buf[8..].copy_from_slice(&(!seq).to_le_bytes());
        claim.commit();
        if seq % 1024 == 0 {
            // Pace the demo so a reader started by hand can keep up.
            std::thread::sleep(Duration::from_micros(50));
        }
    }
    writer.send_with_tag(b"end", 1)?;
    println!(
        "writer: done in {:.2?}; the channel stays in {path} until removed",
        started.elapsed()
    );
    Ok(())
}

//! What a typed publish + read of a ~48-byte record costs against the raw 48-byte frame, per
//! codec: one thread, a heap ring, cache-resident (no cross-core traffic), so the numbers are
//! the software cost of each layer.
//!
//! ```sh
//! cargo run --release --example typed_cost
//! ```

use std::hint::black_box;
use std::time::Instant;

use bcast::RingBuffer;
use bcast::typed::{Publisher, Subscriber};

/// 48 bytes archived: an inline string (up to 8 bytes) and five 8-byte numbers.
#[bcast::typed::message(tag = 1)]
struct Quote {
    symbol: String,
    bid: f64,
    ask: f64,
    bid_qty: u64,
    ask_qty: u64,
    ts: u64,
}

/// 48 bytes as they are.
#[bcast::typed::message(tag = 2, pod)]
struct PodQuote {
    symbol: [u8; 8],
    bid: f64,
    ask: f64,
    bid_qty: u64,
    ask_qty: u64,
    ts: u64,
}

#[derive(bcast::BcastChannel)]
enum Feed {
    Quote(Quote),
    PodQuote(PodQuote),
}

const BURST: u64 = 256;
const ROUNDS: u64 = 4_000;

/// Runs `publish` and `read` in bursts of `BURST` and returns the best ns per message of each
/// phase over five repetitions.
fn measure(mut publish: impl FnMut(u64), mut read: impl FnMut() -> u64) -> (f64, f64) {
    let (mut best_publish, mut best_read) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        let (mut publishing, mut reading) = (0.0, 0.0);
        for round in 0..ROUNDS {
            let start = Instant::now();
            for i in 0..BURST {
                publish(round * BURST + i);
            }
            let middle = Instant::now();
            let mut seen = 0;
            for _ in 0..BURST {
                seen += read();
            }
            reading += middle.elapsed().as_secs_f64();
            publishing += (middle - start).as_secs_f64();
            assert_eq!(seen, BURST, "every message is read back");
        }
        let per = |total: f64| total * 1e9 / (ROUNDS * BURST) as f64;
        best_publish = best_publish.min(per(publishing));
        best_read = best_read.min(per(reading));
    }
    (best_publish, best_read)
}

fn quote(ts: u64) -> Quote {
    Quote { symbol: "ESZ5".into(), bid: 1.0, ask: 1.25, bid_qty: 3, ask_qty: 4, ts }
}

fn pod(ts: u64) -> PodQuote {
    PodQuote { symbol: *b"ESZ5\0\0\0\0", bid: 1.0, ask: 1.25, bid_qty: 3, ask_qty: 4, ts }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let archived = bcast::rkyv::to_bytes::<bcast::rkyv::rancor::Error>(&quote(0))?.len();
    println!("payloads: rkyv {archived} bytes, pod {} bytes, raw 48 bytes", size_of::<PodQuote>());
    let mut rows = Vec::new();

    let ring = RingBuffer::with_capacity(1 << 20);
    let (mut writer, mut reader) = (ring.clone().into_writer(), ring.into_reader());
    let mut buf = [0u8; 64];
    rows.push((
        "raw frame (send + try_recv)",
        measure(
            |i| writer.send_with_tag(&[i.to_le_bytes()[0]; 48], 1).expect("send"),
            || reader.try_recv(&mut buf).expect("read").map_or(0, |m| black_box(m.len) as u64 / 48),
        ),
    ));

    for (name, checked) in [("rkyv, checked", true), ("rkyv, unchecked", false)] {
        let ring = RingBuffer::with_capacity(1 << 20);
        let mut publisher = Publisher::<Feed>::new(ring.clone())?;
        let mut subscriber = Subscriber::<Feed>::new(ring)?;
        rows.push((
            name,
            measure(
                |i| publisher.publish(&quote(i)).expect("publish"),
                || {
                    let view = if checked {
                        subscriber.try_recv()
                    } else {
                        // SAFETY: the only publisher is this program's, with the same types.
                        unsafe { subscriber.try_recv_unchecked() }
                    };
                    match view.expect("read") {
                        Some(FeedView::Quote(q)) => {
                            u64::from(black_box(q.ts.to_native()) < u64::MAX)
                        }
                        _ => 0,
                    }
                },
            ),
        ));
    }

    let ring = RingBuffer::with_capacity(1 << 20);
    let mut publisher = Publisher::<Feed>::new(ring.clone())?;
    let mut subscriber = Subscriber::<Feed>::new(ring)?;
    rows.push((
        "pod",
        measure(
            |i| publisher.publish(&pod(i)).expect("publish"),
            || match subscriber.try_recv().expect("read") {
                Some(FeedView::PodQuote(q)) => u64::from(black_box(q.ts) < u64::MAX),
                _ => 0,
            },
        ),
    ));

    println!("{:<30} {:>12} {:>12} {:>12}", "ns per message", "publish", "read", "total");
    for (name, (publish, read)) in rows {
        println!("{name:<30} {publish:>12.1} {read:>12.1} {:>12.1}", publish + read);
    }
    Ok(())
}

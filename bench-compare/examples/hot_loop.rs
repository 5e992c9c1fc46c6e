//! One crate's hot loop, alone, for profilers: `valgrind --tool=callgrind` counts its
//! instructions repeatably, `perf record` samples it.
//!
//! ```text
//! cargo build --release -p bench-compare --example hot_loop
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.ours \
//!     target/release/examples/hot_loop ours send 256 100000
//! callgrind_annotate /tmp/cg.ours | head -30
//! ```
//!
//! Arguments: `<ours|bcast-1.0|bcast-0.0.6> <send|claim|recv> <payload bytes> <messages>`.
//! `send` and `claim` publish `messages` payloads with no reader (as the throughput bench's
//! writer-alone phases); `recv` fills a 1 MiB ring to three quarters and drains it with one
//! reader, repeatedly, until it has read `messages`. Divide the instruction count of the loop
//! function by `messages` for a per-message figure; the set-up is the same for every crate.

use std::hint::black_box;

use bench_compare::transport::{Channel, Factory, Impl, Receiver, Recv, Sender, Storage, Visitor};

const CAPACITY: usize = 1 << 20;

struct HotLoop {
    op: String,
    size: usize,
    count: u64,
}

impl Visitor for HotLoop {
    type Out = u64;

    fn visit<F: Factory>(self, mut factory: F) -> u64 {
        let ring = factory.make();
        match self.op.as_str() {
            "send" => send_loop(&ring, self.size, self.count),
            "claim" => claim_loop(&ring, self.size, self.count),
            "recv" => recv_loop(&ring, self.size, self.count),
            other => panic!("unknown operation {other:?}: send, claim or recv"),
        }
    }
}

#[inline(never)]
fn send_loop<C: Channel>(ring: &C, size: usize, count: u64) -> u64 {
    write_loop(ring, size, count, |tx, payload| tx.send(black_box(payload)))
}

#[inline(never)]
fn claim_loop<C: Channel>(ring: &C, size: usize, count: u64) -> u64 {
    write_loop(ring, size, count, |tx, payload| {
        tx.publish(size, |buf| buf.copy_from_slice(black_box(payload)));
    })
}

/// The body of `send_loop` and `claim_loop`, inlined into each: `count` stamped payloads, each
/// published by `write`. It gets the payload as a `&Vec` so that its `black_box` hides the
/// vector itself, as these loops always have.
#[inline(always)]
fn write_loop<C: Channel>(
    ring: &C,
    size: usize,
    count: u64,
    mut write: impl FnMut(&mut C::Tx, &Vec<u8>),
) -> u64 {
    let mut tx = ring.writer();
    let mut payload = vec![7u8; size];
    for seq in 0..count {
        payload[..8].copy_from_slice(&seq.to_le_bytes());
        write(&mut tx, &payload);
    }
    count
}

#[inline(never)]
fn recv_loop<C: Channel>(ring: &C, size: usize, count: u64) -> u64 {
    let (mut tx, mut rx) = (ring.writer(), ring.reader());
    let (payload, mut buf) = (vec![7u8; size], vec![0u8; size]);
    let per_fill = (CAPACITY * 3 / 4 / (size + 32)) as u64;
    let mut read = 0;
    while read < count {
        for _ in 0..per_fill {
            tx.send(&payload);
        }
        read += drain(&mut rx, &mut buf);
    }
    read
}

/// The measured part of `recv`: kept out of line so that profiles separate it from the fill.
#[inline(never)]
fn drain<R: Receiver>(rx: &mut R, buf: &mut [u8]) -> u64 {
    let mut read = 0;
    while let Recv::Message(len) = rx.try_recv(buf) {
        black_box(&buf[..len]);
        read += 1;
    }
    read
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [imp, op, size, count] = args.as_slice() else {
        panic!("usage: hot_loop <ours|bcast-1.0|bcast-0.0.6> <send|claim|recv> <size> <count>");
    };
    let imp = Impl::from_label(imp).expect("a crate label: ours, bcast-1.0 or bcast-0.0.6");
    let run = HotLoop {
        op: op.clone(),
        size: size.parse().expect("a payload size"),
        count: count.parse().expect("a message count"),
    };
    let done = bench_compare::transport::visit(imp, Storage::Heap, CAPACITY, run);
    println!("{} {op} {size} B: {done} messages", imp.label());
}

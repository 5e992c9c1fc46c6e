//! Typed overhead: what the typed layer of `bcast` costs over a raw frame of the same size, per
//! codec, and what it saves over the by-hand way a user of bcast 1.0 sends an rkyv record.
//!
//! ```text
//! cargo bench -p bench-compare --bench typed        # measure (20-35 s)
//! cargo test  -p bench-compare --bench typed        # sanity run: every sample verified
//! BENCH_CORES=2,3 cargo bench -p bench-compare --bench typed
//! BENCH_TYPED_INSTR="pod both 20000" valgrind --tool=callgrind target/release/deps/typed-<hash>
//! ```
//!
//! The record is a 48-byte quote (an up-to-8-byte symbol and five 8-byte numbers), sent as:
//!
//! - `raw`: 48 stamped bytes, ours `Writer::send`, read with `Reader::try_recv` into a buffer;
//! - `pod`: the `#[bcast::typed::message(pod)]` record through `Publisher::publish` /
//!   `Subscriber::try_recv` (48 bytes, no encoding);
//! - `rkyv-checked` / `rkyv-unchecked`: the rkyv record (48 archived bytes) through
//!   `Publisher::publish` / `Subscriber::try_recv` (validated) or `try_recv_unchecked`;
//! - `by-hand-1.0`: what a bcast 1.0.0-rc.7 user does today with the same rkyv record:
//!   `rkyv::api::high::to_bytes_in` into a reused `AlignedVec`, `Writer::send`, then
//!   `Reader::receive_next` into an aligned buffer and `rkyv::access` (checked).
//!
//! RTT: ping-pong between two pinned threads over two heap rings of 64 KiB; the echo decodes
//! each record, checks it, and publishes a new one with the same sequence number, and the
//! pinger checks the echo, so every sample is an intact, verified round trip. Rounds are
//! interleaved (order reversed on odd rounds) and ratios are taken per round on p50 and p99.
//!
//! Throughput: the writer alone publishes `N` records into a fresh 1 MiB ring (no reader),
//! records per second; then a reader made at the oldest retained record reads (and checks)
//! what the ring still holds: the catch-up rate. Ratios per round against `by-hand-1.0`.

use std::marker::PhantomData;
use std::time::Instant;

use bcast::RingBuffer;
use bcast::rkyv;
use bcast::rkyv::rancor::Error as RkyvError;
use bcast::rkyv::util::AlignedVec;
use bench_compare::affinity::{Cores, pin_current};
use bench_compare::payload::{check, stamp};
use bench_compare::pingpong::{Ends, two_threads};
use bench_compare::poll::{Idle, Poller};
use bench_compare::stats::{
    Paired, Spread, histogram, nanos, percentile_columns, percentiles, record, trimmed_mean,
};
use bench_compare::table::{Table, ns};
use bench_compare::{Mode, load_average, round_order};
use hdrhistogram::Histogram;

/// Ring capacity of the RTT runs, as in the `rtt` bench.
const RTT_CAPACITY: usize = 64 * 1024;
/// Ring capacity of the writer-alone runs.
const THROUGHPUT_CAPACITY: usize = 1 << 20;
/// Record size in bytes (raw payload, pod record, rkyv archive).
const RECORD: usize = 48;
/// The quote's symbol.
const SYMBOL: &str = "ESZ5";

/// The rkyv record: 48 archived bytes (the symbol is inline up to 8 bytes).
#[bcast::typed::message(tag = 1)]
#[derive(Debug)]
pub struct Quote {
    /// Instrument, up to 8 bytes so that rkyv stores it inline.
    pub symbol: String,
    /// Bid price.
    pub bid: f64,
    /// Ask price.
    pub ask: f64,
    /// Bid quantity (the sequence number, for the checks).
    pub bid_qty: u64,
    /// Ask quantity (the complement of the sequence number).
    pub ask_qty: u64,
    /// Timestamp (the sequence number).
    pub ts: u64,
}

/// The pod record: 48 bytes as they are.
#[bcast::typed::message(tag = 2, pod)]
#[derive(Debug)]
pub struct QuotePod {
    /// Instrument, NUL-padded.
    pub symbol: [u8; 8],
    /// Bid price.
    pub bid: f64,
    /// Ask price.
    pub ask: f64,
    /// Bid quantity (the sequence number, for the checks).
    pub bid_qty: u64,
    /// Ask quantity (the complement of the sequence number).
    pub ask_qty: u64,
    /// Timestamp (the sequence number).
    pub ts: u64,
}

/// The typed channel.
#[derive(Debug, bcast::BcastChannel)]
pub enum Feed {
    /// rkyv record.
    Quote(Quote),
    /// pod record.
    QuotePod(QuotePod),
}

fn quote(seq: u64) -> Quote {
    Quote {
        symbol: SYMBOL.to_owned(),
        bid: 101.25,
        ask: 101.5,
        bid_qty: seq,
        ask_qty: !seq,
        ts: seq,
    }
}

fn pod(seq: u64) -> QuotePod {
    let mut symbol = [0; 8];
    symbol[..SYMBOL.len()].copy_from_slice(SYMBOL.as_bytes());
    QuotePod { symbol, bid: 101.25, ask: 101.5, bid_qty: seq, ask_qty: !seq, ts: seq }
}

/// Checks an archived quote and returns its sequence number.
///
/// # Panics
///
/// If the record is torn.
#[inline]
fn check_archived(q: &ArchivedQuote) -> u64 {
    let seq = q.ts.to_native();
    assert!(
        q.symbol.as_str() == SYMBOL
            && q.bid == 101.25
            && q.ask == 101.5
            && q.bid_qty == seq
            && q.ask_qty == !seq,
        "torn rkyv record {seq}"
    );
    seq
}

/// Checks a pod quote and returns its sequence number.
#[inline]
fn check_pod(q: &QuotePod) -> u64 {
    let seq = q.ts;
    assert!(
        q.symbol[..SYMBOL.len()] == *SYMBOL.as_bytes()
            && q.bid == 101.25
            && q.ask == 101.5
            && q.bid_qty == seq
            && q.ask_qty == !seq,
        "torn pod record {seq}"
    );
    seq
}

/// One way of sending the record: a ring shared by the threads, from which each thread makes
/// its own sending or receiving end (bcast 1.0's are not `Send`).
trait Wire: Sync {
    /// The sending end and its reusable state.
    type Tx;
    /// The receiving end and its reusable state.
    type Rx;
    /// A fresh ring of `capacity` bytes.
    fn make(capacity: usize) -> Self;
    /// The ring's only sending end; call it before any receiving end.
    fn tx(&self) -> Self::Tx;
    /// A receiving end at the writer's position.
    fn rx(&self) -> Self::Rx;
    /// A receiving end at the oldest record the ring still holds.
    fn replay(&self) -> Self::Rx;
    /// Publishes record `seq`.
    fn send(tx: &mut Self::Tx, seq: u64);
    /// Reads, checks, and returns the sequence number of the next record, if there is one.
    fn try_recv(rx: &mut Self::Rx) -> Option<u64>;
}

/// Ours, raw 48-byte frames.
struct Raw(RingBuffer);

impl Wire for Raw {
    type Tx = (bcast::Writer, [u8; RECORD]);
    type Rx = (bcast::Reader, [u8; 64]);

    fn make(capacity: usize) -> Self {
        Self(RingBuffer::with_capacity(capacity))
    }
    fn tx(&self) -> Self::Tx {
        (self.0.clone().into_writer(), [0; RECORD])
    }
    fn rx(&self) -> Self::Rx {
        (self.0.clone().into_reader(), [0; 64])
    }
    fn replay(&self) -> Self::Rx {
        (self.0.clone().into_reader_at_oldest(), [0; 64])
    }
    #[inline]
    fn send((writer, buf): &mut Self::Tx, seq: u64) {
        stamp(buf, seq);
        writer.send(buf).expect("within the MTU");
    }
    #[inline]
    fn try_recv((reader, buf): &mut Self::Rx) -> Option<u64> {
        let received = reader.try_recv(buf).expect("no overrun")?;
        Some(check(buf, received.len, RECORD))
    }
}

/// Ours, typed: a ring through `Publisher` and `Subscriber`, the record sent and read as `W`
/// says.
struct TypedRing<W>(RingBuffer, PhantomData<fn() -> W>);

/// A way of sending the record through the typed layer: what the publishing thread keeps with
/// its publisher, how it publishes record `seq`, and how a subscriber reads one.
trait Way {
    /// The publisher and what the way keeps with it.
    type Tx;
    /// The sending end made of `publisher`.
    fn tx(publisher: bcast::typed::Publisher<Feed>) -> Self::Tx;
    /// Publishes record `seq`.
    fn send(tx: &mut Self::Tx, seq: u64);
    /// Reads, checks, and returns the sequence number of the next record, if there is one.
    fn try_recv(rx: &mut bcast::typed::Subscriber<Feed>) -> Option<u64>;
}

/// A subscriber at the writer's position (`live`) or at the oldest record the ring holds.
fn subscriber(ring: &RingBuffer, live: bool) -> bcast::typed::Subscriber<Feed> {
    let mut sub = bcast::typed::Subscriber::<Feed>::new(ring.clone()).expect("a typed ring");
    if !live {
        sub.reset_to_oldest();
    }
    sub
}

impl<W: Way> Wire for TypedRing<W> {
    type Tx = W::Tx;
    type Rx = bcast::typed::Subscriber<Feed>;

    fn make(capacity: usize) -> Self {
        Self(RingBuffer::with_capacity(capacity), PhantomData)
    }
    fn tx(&self) -> Self::Tx {
        W::tx(bcast::typed::Publisher::<Feed>::new(self.0.clone()).expect("the only publisher"))
    }
    fn rx(&self) -> Self::Rx {
        subscriber(&self.0, true)
    }
    fn replay(&self) -> Self::Rx {
        subscriber(&self.0, false)
    }
    #[inline]
    fn send(tx: &mut Self::Tx, seq: u64) {
        W::send(tx, seq);
    }
    #[inline]
    fn try_recv(rx: &mut Self::Rx) -> Option<u64> {
        W::try_recv(rx)
    }
}

/// The pod record.
enum Pod {}

impl Way for Pod {
    type Tx = bcast::typed::Publisher<Feed>;

    fn tx(publisher: bcast::typed::Publisher<Feed>) -> Self::Tx {
        publisher
    }
    #[inline]
    fn send(tx: &mut Self::Tx, seq: u64) {
        tx.publish(&pod(seq)).expect("publish");
    }
    #[inline]
    fn try_recv(rx: &mut bcast::typed::Subscriber<Feed>) -> Option<u64> {
        match rx.try_recv().expect("no overrun")? {
            FeedView::QuotePod(q) => Some(check_pod(q)),
            FeedView::Quote(_) => panic!("unexpected rkyv record"),
        }
    }
}

/// The rkyv record, read as `A` says. The sender reuses one record, as a publisher of live data
/// keeps one.
struct Rkyv<A>(PhantomData<fn() -> A>);

/// The typed rkyv sender, with its reused record.
fn publish_quote(tx: &mut (bcast::typed::Publisher<Feed>, Quote), seq: u64) {
    let (publisher, record) = tx;
    (record.bid_qty, record.ask_qty, record.ts) = (seq, !seq, seq);
    publisher.publish(record).expect("publish");
}

/// How a typed rkyv reader gets the next record: validating it or trusting it. A type parameter
/// of [`Rkyv`] rather than a flag, so that each way's loop holds only its own call.
trait Access {
    /// The next record, if there is one.
    fn next(rx: &mut bcast::typed::Subscriber<Feed>) -> Option<FeedView<'_>>;
}

/// Validates each record: `Subscriber::try_recv`.
enum Checked {}

/// Trusts each record: `Subscriber::try_recv_unchecked`.
enum Unchecked {}

impl Access for Checked {
    #[inline]
    fn next(rx: &mut bcast::typed::Subscriber<Feed>) -> Option<FeedView<'_>> {
        rx.try_recv().expect("a valid record")
    }
}

impl Access for Unchecked {
    #[inline]
    fn next(rx: &mut bcast::typed::Subscriber<Feed>) -> Option<FeedView<'_>> {
        // SAFETY: the only publisher of this ring is this bench's, built from the same `Feed`.
        unsafe { rx.try_recv_unchecked() }.expect("no overrun")
    }
}

impl<A: Access> Way for Rkyv<A> {
    type Tx = (bcast::typed::Publisher<Feed>, Quote);

    fn tx(publisher: bcast::typed::Publisher<Feed>) -> Self::Tx {
        (publisher, quote(0))
    }
    #[inline]
    fn send(tx: &mut Self::Tx, seq: u64) {
        publish_quote(tx, seq);
    }
    #[inline]
    fn try_recv(rx: &mut bcast::typed::Subscriber<Feed>) -> Option<u64> {
        match A::next(rx)? {
            FeedView::Quote(q) => Some(check_archived(q)),
            FeedView::QuotePod(_) => panic!("unexpected pod record"),
        }
    }
}

/// bcast 1.0.0-rc.7 with rkyv by hand.
struct ByHand(bcast_peer::SharedStorage<bcast_peer::LocalStorage>);

type PeerStorage = bcast_peer::SharedStorage<bcast_peer::LocalStorage>;

impl Wire for ByHand {
    type Tx = (bcast_peer::Writer<PeerStorage>, Quote, AlignedVec);
    type Rx = (bcast_peer::Reader<PeerStorage>, AlignedVec);

    fn make(capacity: usize) -> Self {
        use bcast_peer::StorageExt as _;
        Self(bcast_peer::LocalStorage::with_capacity(capacity).into_shared())
    }
    fn tx(&self) -> Self::Tx {
        use bcast_peer::StorageExt as _;
        (self.0.clone().into_writer(), quote(0), AlignedVec::with_capacity(256))
    }
    fn rx(&self) -> Self::Rx {
        use bcast_peer::StorageExt as _;
        (self.0.clone().into_reader(), aligned_buffer())
    }
    fn replay(&self) -> Self::Rx {
        use bcast_peer::StorageExt as _;
        (self.0.clone().into_reader_at_last_lap(), aligned_buffer())
    }
    #[inline]
    fn send((writer, record, scratch): &mut Self::Tx, seq: u64) {
        (record.bid_qty, record.ask_qty, record.ts) = (seq, !seq, seq);
        scratch.clear();
        let bytes = rkyv::api::high::to_bytes_in::<_, RkyvError>(&*record, std::mem::take(scratch))
            .expect("serialise");
        writer.send(&bytes, true);
        *scratch = bytes;
    }
    #[inline]
    fn try_recv((reader, buf): &mut Self::Rx) -> Option<u64> {
        let len = match reader.receive_next(buf)? {
            Ok(message) => message.payload.len(),
            Err(error) => panic!("bcast 1.0: read failed: {error}"),
        };
        let archived =
            rkyv::access::<ArchivedQuote, RkyvError>(&buf[..len]).expect("a valid record");
        Some(check_archived(archived))
    }
}

/// A 16-byte-aligned 256-byte receive buffer.
fn aligned_buffer() -> AlignedVec {
    let mut buf = AlignedVec::with_capacity(256);
    buf.resize(256, 0);
    buf
}

/// The ways compared, in the order of an even round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Raw,
    Pod,
    RkyvChecked,
    RkyvUnchecked,
    ByHand,
}

const KINDS: [Kind; 5] =
    [Kind::Raw, Kind::Pod, Kind::RkyvChecked, Kind::RkyvUnchecked, Kind::ByHand];

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Pod => "pod",
            Self::RkyvChecked => "rkyv-checked",
            Self::RkyvUnchecked => "rkyv-unchecked",
            Self::ByHand => "by-hand-1.0",
        }
    }

    fn run<V: Bench>(self, bench: &V) -> V::Out {
        match self {
            Self::Raw => bench.run::<Raw>(),
            Self::Pod => bench.run::<TypedRing<Pod>>(),
            Self::RkyvChecked => bench.run::<TypedRing<Rkyv<Checked>>>(),
            Self::RkyvUnchecked => bench.run::<TypedRing<Rkyv<Unchecked>>>(),
            Self::ByHand => bench.run::<ByHand>(),
        }
    }
}

/// A bench body, generic over the wire.
trait Bench {
    type Out;
    fn run<W: Wire>(&self) -> Self::Out;
}

/// Polls until the next record arrives.
#[inline]
fn wait<W: Wire>(rx: &mut W::Rx, poller: Poller) -> u64 {
    let mut idle = Idle::default();
    loop {
        if let Some(seq) = W::try_recv(rx) {
            return seq;
        }
        poller.idle(&mut idle);
    }
}

/// Ping-pong over two fresh rings.
struct RoundTrip<'a> {
    warmup: u64,
    samples: u64,
    cores: &'a Cores,
}

impl Bench for RoundTrip<'_> {
    type Out = Histogram<u64>;

    fn run<W: Wire>(&self) -> Histogram<u64> {
        let (ping, pong) = (W::make(RTT_CAPACITY), W::make(RTT_CAPACITY));
        let total = self.warmup + self.samples;
        let hist = two_threads(
            &WireEnds(&ping),
            &WireEnds(&pong),
            self.cores,
            |tx, rx, poller| {
                for seq in 0..total {
                    assert_eq!(wait::<W>(rx, poller), seq, "ping out of order");
                    W::send(tx, seq);
                }
            },
            |tx, rx, poller| {
                let mut hist = histogram();
                for seq in 0..total {
                    let sent = Instant::now();
                    W::send(tx, seq);
                    let back = wait::<W>(rx, poller);
                    let elapsed = sent.elapsed();
                    assert_eq!(back, seq, "echo out of order");
                    if seq >= self.warmup {
                        record(&mut hist, nanos(elapsed));
                    }
                }
                hist
            },
        );
        assert_eq!(hist.len(), self.samples, "every round trip recorded");
        hist
    }
}

/// A wire's sending and receiving ends, for [`two_threads`].
struct WireEnds<'a, W>(&'a W);

impl<W: Wire> Ends for WireEnds<'_, W> {
    type Tx = W::Tx;
    type Rx = W::Rx;

    fn tx(&self) -> W::Tx {
        self.0.tx()
    }

    fn rx(&self) -> W::Rx {
        self.0.rx()
    }
}

/// Writer alone, then a catch-up read of what the ring holds: records per second of each.
struct WriterAlone {
    records: u64,
    core: usize,
}

impl Bench for WriterAlone {
    type Out = (f64, f64);

    fn run<W: Wire>(&self) -> (f64, f64) {
        let ring = W::make(THROUGHPUT_CAPACITY);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    pin_current(self.core);
                    let mut tx = ring.tx();
                    let start = Instant::now();
                    for seq in 0..self.records {
                        W::send(&mut tx, seq);
                    }
                    let write = start.elapsed().as_secs_f64();
                    let mut rx = ring.replay();
                    let start = Instant::now();
                    let first = W::try_recv(&mut rx).expect("the ring holds records");
                    let mut last = first;
                    while let Some(seq) = W::try_recv(&mut rx) {
                        assert_eq!(seq, last + 1, "replay out of order");
                        last = seq;
                    }
                    let read = start.elapsed().as_secs_f64();
                    assert_eq!(last, self.records - 1, "replay reaches the last record");
                    let read_count = (last - first + 1) as f64;
                    assert!(read_count > 1000.0, "the ring holds many records: {read_count}");
                    (self.records as f64 / write, read_count / read)
                })
                .join()
                .expect("writer thread")
        })
    }
}

fn ratio_row(table: &mut Table, paired: &Paired, ours: &str, theirs: &str) {
    if let Some(spread) = paired.ratio(ours, theirs) {
        let mut cells = vec![format!("{ours} / {theirs}")];
        cells.extend(spread.cells());
        table.row(cells);
    }
}

fn sizes() -> (usize, usize) {
    let archived = rkyv::to_bytes::<RkyvError>(&quote(7)).expect("serialise").len();
    (archived, size_of::<QuotePod>())
}

/// Instruction-count mode for `valgrind --tool=callgrind`: `BENCH_TYPED_INSTR="KIND OP N"` runs
/// one thread that publishes `N` records of way `KIND` (a label) into a 16 MiB ring (`OP` =
/// `write`), or publishes them and then reads them all back (`OP` = `both`), and exits. The
/// difference of two runs' instruction totals divided by `N` is the cost of one operation.
struct Instr {
    both: bool,
    records: u64,
}

impl Bench for Instr {
    type Out = ();

    fn run<W: Wire>(&self) {
        let ring = W::make(16 << 20);
        let mut tx = ring.tx();
        let mut rx = ring.rx();
        for seq in 0..self.records {
            W::send(&mut tx, seq);
        }
        if self.both {
            for seq in 0..self.records {
                assert_eq!(W::try_recv(&mut rx), Some(seq), "read back in order");
            }
        }
    }
}

/// Runs [`Instr`] if `BENCH_TYPED_INSTR` asks for it; `true` if it did.
fn instr_mode() -> bool {
    let Ok(spec) = std::env::var("BENCH_TYPED_INSTR") else { return false };
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [kind, op, records] = words[..] else { panic!("BENCH_TYPED_INSTR=\"KIND write|both N\"") };
    let kind = KINDS.into_iter().find(|k| k.label() == kind).expect("a known way");
    let records = records.parse().expect("a record count");
    kind.run(&Instr { both: op == "both", records });
    true
}

fn main() {
    if instr_mode() {
        return;
    }
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let (archived, pod_size) = sizes();
    assert_eq!((archived, pod_size), (RECORD, RECORD), "every record is 48 bytes");
    let (rounds, warmup, samples) = mode.pick((2, 200, 2_000), (30, 5_000, 50_000));
    let (tp_rounds, records) = mode.pick((2, 20_000), (30, 1_000_000));
    println!(
        "typed: {mode:?} mode, cores {} (pinger, echo), RTT {rounds} rounds x {samples} round \
         trips after {warmup} warm-up on {RTT_CAPACITY} B rings; writer alone {tp_rounds} rounds \
         x {records} records on {THROUGHPUT_CAPACITY} B rings; records: raw {RECORD} B, pod \
         {pod_size} B, rkyv archive {archived} B",
        cores.describe()
    );
    println!("load average at start: {}", load_average());

    let rtt = RoundTrip { warmup, samples, cores: &cores };
    let mut totals: Vec<Histogram<u64>> = KINDS.iter().map(|_| histogram()).collect();
    let mut paired = Paired::default();
    for round in 0..rounds {
        for kind in round_order(&KINDS, round) {
            let hist = kind.run(&rtt);
            let index = KINDS.iter().position(|&k| k == kind).expect("a kind");
            totals[index].add(&hist).expect("same bounds");
            paired.push(p50_label(kind), hist.value_at_quantile(0.5) as f64);
            paired.push(p99_label(kind), hist.value_at_quantile(0.99) as f64);
            paired.push(mean_label(kind), trimmed_mean(&hist, 0.1, 0.9));
        }
    }
    println!("  rtt: done");

    let alone = WriterAlone { records, core: cores.writer() };
    let mut rates = Paired::default();
    for round in 0..tp_rounds {
        for kind in round_order(&KINDS, round) {
            let (write, read) = kind.run(&alone);
            rates.push(write_label(kind), write);
            rates.push(read_label(kind), read);
        }
    }
    println!("  throughput: done");
    println!("load average at end: {}", load_average());

    let mut columns = vec!["way"];
    columns.extend(percentile_columns());
    let mut latency =
        Table::new("typed_rtt", "Typed overhead: round trip (ns), all rounds", &columns);
    for (kind, total) in KINDS.iter().zip(&totals) {
        assert_eq!(total.len(), samples * rounds as u64, "every sample verified");
        let mut cells = vec![kind.label().to_owned()];
        cells.extend(percentiles(total).into_iter().map(|v| ns(v as f64)));
        latency.row(cells);
    }
    latency.emit();

    let mut ratios =
        Table::spreads("typed_rtt_ratios", "Typed overhead: RTT ratios per round", &["ratio"]);
    for kind in [Kind::Pod, Kind::RkyvChecked, Kind::RkyvUnchecked, Kind::ByHand] {
        ratio_row(&mut ratios, &paired, p50_label(kind), p50_label(Kind::Raw));
    }
    for kind in [Kind::Pod, Kind::RkyvChecked, Kind::RkyvUnchecked] {
        ratio_row(&mut ratios, &paired, p50_label(Kind::ByHand), p50_label(kind));
    }
    for kind in [Kind::Pod, Kind::RkyvChecked, Kind::RkyvUnchecked, Kind::ByHand] {
        ratio_row(&mut ratios, &paired, mean_label(kind), mean_label(Kind::Raw));
    }
    for kind in [Kind::Pod, Kind::RkyvChecked, Kind::RkyvUnchecked] {
        ratio_row(&mut ratios, &paired, mean_label(Kind::ByHand), mean_label(kind));
    }
    for kind in [Kind::Pod, Kind::RkyvChecked, Kind::RkyvUnchecked, Kind::ByHand] {
        ratio_row(&mut ratios, &paired, p99_label(kind), p99_label(Kind::Raw));
    }
    for kind in [Kind::RkyvChecked, Kind::RkyvUnchecked] {
        ratio_row(&mut ratios, &paired, p99_label(Kind::ByHand), p99_label(kind));
    }
    ratios.emit();

    let mut throughput = Table::new(
        "typed_throughput",
        "Typed overhead: writer alone and catch-up read (M records/s, median of rounds)",
        &["way", "write", "write IQR", "catch-up read", "read IQR"],
    );
    for kind in KINDS {
        let write = Spread::of(rates.values(write_label(kind))).expect("rounds ran");
        let read = Spread::of(rates.values(read_label(kind))).expect("rounds ran");
        throughput.row(vec![
            kind.label().to_owned(),
            format!("{:.2}", write.median / 1e6),
            format!("{:.2}-{:.2}", write.p25 / 1e6, write.p75 / 1e6),
            format!("{:.2}", read.median / 1e6),
            format!("{:.2}-{:.2}", read.p25 / 1e6, read.p75 / 1e6),
        ]);
    }
    throughput.emit();

    let mut tp_ratios = Table::spreads(
        "typed_throughput_ratios",
        "Typed overhead: rate ratios per round",
        &["ratio"],
    );
    for kind in [Kind::Raw, Kind::Pod, Kind::RkyvChecked] {
        ratio_row(&mut tp_ratios, &rates, write_label(kind), write_label(Kind::ByHand));
    }
    for kind in [Kind::Raw, Kind::Pod, Kind::RkyvChecked, Kind::RkyvUnchecked] {
        ratio_row(&mut tp_ratios, &rates, read_label(kind), read_label(Kind::ByHand));
    }
    tp_ratios.emit();
}

fn p50_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Raw => "raw p50",
        Kind::Pod => "pod p50",
        Kind::RkyvChecked => "rkyv-checked p50",
        Kind::RkyvUnchecked => "rkyv-unchecked p50",
        Kind::ByHand => "by-hand-1.0 p50",
    }
}

fn p99_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Raw => "raw p99",
        Kind::Pod => "pod p99",
        Kind::RkyvChecked => "rkyv-checked p99",
        Kind::RkyvUnchecked => "rkyv-unchecked p99",
        Kind::ByHand => "by-hand-1.0 p99",
    }
}

fn mean_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Raw => "raw mean10-90",
        Kind::Pod => "pod mean10-90",
        Kind::RkyvChecked => "rkyv-checked mean10-90",
        Kind::RkyvUnchecked => "rkyv-unchecked mean10-90",
        Kind::ByHand => "by-hand-1.0 mean10-90",
    }
}

fn write_label(kind: Kind) -> &'static str {
    kind.label()
}

fn read_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Raw => "raw read",
        Kind::Pod => "pod read",
        Kind::RkyvChecked => "rkyv-checked read",
        Kind::RkyvUnchecked => "rkyv-unchecked read",
        Kind::ByHand => "by-hand-1.0 read",
    }
}

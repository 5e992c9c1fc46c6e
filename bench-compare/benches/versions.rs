//! Schema versions: what a versioned message type costs a subscriber against an unversioned
//! one, when it reads its own version and when it reads another (an older message completed
//! with the fields added since, a newer one cut to the fields it knows), per codec.
//!
//! ```text
//! cargo bench -p bench-compare --bench versions     # measure (about 30 s)
//! cargo test  -p bench-compare --bench versions     # sanity run: every record verified
//! BENCH_CORES=2 cargo bench -p bench-compare --bench versions
//! BENCH_VERSIONS_INSTR="rkyv:1>2 both 20000" valgrind --tool=callgrind target/release/deps/versions-<hash>
//! ```
//!
//! Records: a pod quote of six `u64` (48 bytes; version 2 appends two more, 64 bytes) and an
//! rkyv quote of an inline symbol and five numbers (48 archived bytes; version 2 appends an
//! `Option<u32>` and a `u32`, 64 bytes). Cases, each a publisher of one version and a subscriber
//! of one: `plain` (no version on either side), `1>1` (both at version 1: the same fields as
//! `plain`, declared versioned), `1>2` (a version-2 subscriber reads version-1 messages) and
//! `2>1` (a version-1 subscriber reads version-2 messages).
//!
//! One pinned thread publishes `N` records into a fresh 1 MiB heap ring (no reader), then a
//! subscriber made at the oldest retained record reads and checks all that the ring still
//! holds: the catch-up read rate, records per second. Rounds are interleaved (order reversed
//! on odd rounds); ratios are taken per round against `plain` of the same codec.

use std::time::Instant;

use bcast::RingBuffer;
use bcast::typed::{Channel, InChannel, Publisher, Subscriber, TypedMessage};
use bench_compare::affinity::{Cores, pin_current};
use bench_compare::stats::Paired;
use bench_compare::table::Table;
use bench_compare::{Mode, load_average, round_order};

/// Ring capacity of the runs.
const CAPACITY: usize = 1 << 20;
/// The rkyv quotes' symbol, inline in the archive.
const SYMBOL: &str = "ESZ5";

/// Defines module `$m` with a pod quote of the given version attribute and extra fields.
macro_rules! pod {
    ($m:ident, ($($version:tt)*), { $($(#[$a:meta])* $f:ident: $t:ty),* }) => {
        mod $m {
            /// The pod quote.
            #[bcast::typed::message(tag = 2, pod $($version)*)]
            #[derive(Debug)]
            pub(crate) struct Quote {
                pub(crate) bid: u64,
                pub(crate) ask: u64,
                pub(crate) bid_qty: u64,
                pub(crate) ask_qty: u64,
                pub(crate) ts: u64,
                pub(crate) seq: u64,
                $($(#[$a])* pub(crate) $f: $t),*
            }
            /// Its channel.
            #[derive(Debug, bcast::BcastChannel)]
            pub(crate) enum Feed {
                Quote(Quote),
            }
        }
    };
}

/// Defines module `$m` with an rkyv quote of the given version attribute and extra fields.
macro_rules! archived {
    ($m:ident, ($($version:tt)*), { $($(#[$a:meta])* $f:ident: $t:ty),* }) => {
        mod $m {
            /// The rkyv quote.
            #[bcast::typed::message(tag = 1 $($version)*)]
            #[derive(Debug)]
            pub(crate) struct Quote {
                pub(crate) symbol: String,
                pub(crate) bid: f64,
                pub(crate) ask: f64,
                pub(crate) bid_qty: u64,
                pub(crate) ts: u64,
                pub(crate) seq: u64,
                $($(#[$a])* pub(crate) $f: $t),*
            }
            /// Its channel.
            #[derive(Debug, bcast::BcastChannel)]
            pub(crate) enum Feed {
                Quote(Quote),
            }
        }
    };
}

pod!(pod_plain, (), {});
pod!(pod_v1, (, version = 1), {});
pod!(pod_v2, (, version = 2), { #[bcast(since = 2)] venue: u64, #[bcast(since = 2)] flags: u64 });
archived!(rkyv_plain, (), {});
archived!(rkyv_v1, (, version = 1), {});
archived!(rkyv_v2, (, version = 2), {
    #[bcast(since = 2)] venue: Option<u32>,
    #[bcast(since = 2)] flags: u32
});

/// Makes the record of sequence number `seq` of each quote type.
trait Make {
    fn make(seq: u64) -> Self;
}

macro_rules! make_pod {
    ($($m:ident { $($f:ident: $v:expr),* }),*) => {$(
        impl Make for $m::Quote {
            fn make(seq: u64) -> Self {
                Self { bid: 10_125, ask: 10_150, bid_qty: seq, ask_qty: !seq, ts: seq, seq, $($f: $v),* }
            }
        }
    )*};
}
make_pod!(pod_plain {}, pod_v1 {}, pod_v2 { venue: 7, flags: 1 });

macro_rules! make_archived {
    ($($m:ident { $($f:ident: $v:expr),* }),*) => {$(
        impl Make for $m::Quote {
            fn make(seq: u64) -> Self {
                Self {
                    symbol: SYMBOL.to_owned(), bid: 101.25, ask: 101.5, bid_qty: seq, ts: seq, seq,
                    $($f: $v),*
                }
            }
        }
    )*};
}
make_archived!(rkyv_plain {}, rkyv_v1 {}, rkyv_v2 { venue: Some(3), flags: 1 });

/// The sequence number of a view, after checking the record is intact (and, for a version-2
/// view, what the added fields read as: `sent` when the publisher was of version 2, zero or
/// `None` when it was of version 1).
trait Check: Channel {
    fn check(view: Self::View<'_>, sent: bool) -> u64;
}

impl Check for pod_plain::Feed {
    fn check(pod_plain::FeedView::Quote(q): Self::View<'_>, _: bool) -> u64 {
        assert!(q.bid == 10_125 && q.ask == 10_150 && q.bid_qty == q.seq && q.ask_qty == !q.seq);
        q.seq
    }
}

impl Check for pod_v1::Feed {
    fn check(pod_v1::FeedView::Quote(q): Self::View<'_>, _: bool) -> u64 {
        assert!(q.bid == 10_125 && q.ask == 10_150 && q.bid_qty == q.seq && q.ask_qty == !q.seq);
        q.seq
    }
}

impl Check for pod_v2::Feed {
    fn check(pod_v2::FeedView::Quote(q): Self::View<'_>, sent: bool) -> u64 {
        assert!(q.bid == 10_125 && q.ask == 10_150 && q.bid_qty == q.seq && q.ask_qty == !q.seq);
        assert_eq!((q.venue, q.flags), if sent { (7, 1) } else { (0, 0) });
        q.seq
    }
}

impl Check for rkyv_plain::Feed {
    fn check(rkyv_plain::FeedView::Quote(q): Self::View<'_>, _: bool) -> u64 {
        assert!(
            q.symbol.as_str() == SYMBOL && q.bid == 101.25 && q.ask == 101.5 && q.bid_qty == q.seq
        );
        q.seq.to_native()
    }
}

impl Check for rkyv_v1::Feed {
    fn check(rkyv_v1::FeedView::Quote(q): Self::View<'_>, _: bool) -> u64 {
        assert!(
            q.symbol.as_str() == SYMBOL && q.bid == 101.25 && q.ask == 101.5 && q.bid_qty == q.seq
        );
        q.seq.to_native()
    }
}

impl Check for rkyv_v2::Feed {
    fn check(rkyv_v2::FeedView::Quote(q): Self::View<'_>, sent: bool) -> u64 {
        assert!(
            q.symbol.as_str() == SYMBOL && q.bid == 101.25 && q.ask == 101.5 && q.bid_qty == q.seq
        );
        let added = (q.venue.as_ref().map(|v| v.to_native()), q.flags.to_native());
        assert_eq!(added, if sent { (Some(3), 1) } else { (None, 0) });
        q.seq.to_native()
    }
}

/// One case: publisher channel `P` with its message `M`, subscriber channel `S`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Case {
    PodPlain,
    PodSame,
    PodOlder,
    PodNewer,
    RkyvPlain,
    RkyvSame,
    RkyvOlder,
    RkyvNewer,
}

const CASES: [Case; 8] = [
    Case::PodPlain,
    Case::PodSame,
    Case::PodOlder,
    Case::PodNewer,
    Case::RkyvPlain,
    Case::RkyvSame,
    Case::RkyvOlder,
    Case::RkyvNewer,
];

impl Case {
    fn label(self) -> &'static str {
        match self {
            Self::PodPlain => "pod:plain",
            Self::PodSame => "pod:1>1",
            Self::PodOlder => "pod:1>2",
            Self::PodNewer => "pod:2>1",
            Self::RkyvPlain => "rkyv:plain",
            Self::RkyvSame => "rkyv:1>1",
            Self::RkyvOlder => "rkyv:1>2",
            Self::RkyvNewer => "rkyv:2>1",
        }
    }

    /// The unversioned case of the same codec.
    fn plain(self) -> Self {
        match self {
            Self::PodPlain | Self::PodSame | Self::PodOlder | Self::PodNewer => Self::PodPlain,
            _ => Self::RkyvPlain,
        }
    }

    fn run<B: Bench>(self, bench: &B) -> B::Out {
        match self {
            Self::PodPlain => bench.run::<pod_plain::Feed, pod_plain::Quote, pod_plain::Feed>(),
            Self::PodSame => bench.run::<pod_v1::Feed, pod_v1::Quote, pod_v1::Feed>(),
            Self::PodOlder => bench.run::<pod_v1::Feed, pod_v1::Quote, pod_v2::Feed>(),
            Self::PodNewer => bench.run::<pod_v2::Feed, pod_v2::Quote, pod_v1::Feed>(),
            Self::RkyvPlain => bench.run::<rkyv_plain::Feed, rkyv_plain::Quote, rkyv_plain::Feed>(),
            Self::RkyvSame => bench.run::<rkyv_v1::Feed, rkyv_v1::Quote, rkyv_v1::Feed>(),
            Self::RkyvOlder => bench.run::<rkyv_v1::Feed, rkyv_v1::Quote, rkyv_v2::Feed>(),
            Self::RkyvNewer => bench.run::<rkyv_v2::Feed, rkyv_v2::Quote, rkyv_v1::Feed>(),
        }
    }
}

/// A measurement run over one case's types.
trait Bench {
    type Out;

    fn run<P, M, S>(&self) -> Self::Out
    where
        P: Channel,
        M: TypedMessage + InChannel<P> + Make,
        S: Check;
}

/// Publishes `records` records of `M` on a fresh ring of `capacity` bytes; returns the
/// publisher (still the ring's writer) and whether `M` carries the fields added by version 2.
fn fill<P, M>(capacity: usize, records: u64) -> (Publisher<P>, bool)
where
    P: Channel,
    M: TypedMessage + InChannel<P> + Make,
{
    let mut publisher = Publisher::<P>::new(RingBuffer::with_capacity(capacity)).expect("typed");
    for seq in 0..records {
        publisher.publish(&M::make(seq)).expect("publish");
    }
    (publisher, M::VERSION == 2)
}

/// The catch-up read rate of a subscriber of `S` over what a publisher of `M` left in the ring.
struct CatchUp {
    records: u64,
    core: usize,
}

impl Bench for CatchUp {
    type Out = f64;

    fn run<P, M, S>(&self) -> f64
    where
        P: Channel,
        M: TypedMessage + InChannel<P> + Make,
        S: Check,
    {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    pin_current(self.core);
                    let (publisher, sent) = fill::<P, M>(CAPACITY, self.records);
                    let mut subscriber = Subscriber::<S>::new(publisher.ring().clone())
                        .expect("compatible versions");
                    subscriber.reset_to_oldest();
                    let start = Instant::now();
                    let view = subscriber.try_recv().expect("read").expect("records");
                    let first = S::check(view, sent);
                    let mut last = first;
                    while let Some(view) = subscriber.try_recv().expect("read") {
                        let seq = S::check(view, sent);
                        assert_eq!(seq, last + 1, "read in order");
                        last = seq;
                    }
                    let elapsed = start.elapsed().as_secs_f64();
                    assert_eq!(last, self.records - 1, "read up to the last record");
                    let count = (last - first + 1) as f64;
                    assert!(count > 1000.0, "the ring holds many records: {count}");
                    count / elapsed
                })
                .join()
                .expect("bench thread")
        })
    }
}

/// Instruction-count mode for `valgrind --tool=callgrind`: `BENCH_VERSIONS_INSTR="CASE OP N"`
/// publishes `N` records of case `CASE` (a label) into a 16 MiB ring (`OP` = `write`), or
/// publishes them and then reads them all back (`OP` = `both`), and exits. The difference of
/// two runs' totals divided by the difference of their `N` is the cost of one record.
struct Instr {
    both: bool,
    records: u64,
}

impl Bench for Instr {
    type Out = ();

    fn run<P, M, S>(&self)
    where
        P: Channel,
        M: TypedMessage + InChannel<P> + Make,
        S: Check,
    {
        let (publisher, sent) = fill::<P, M>(16 << 20, self.records);
        let mut subscriber = Subscriber::<S>::new(publisher.ring().clone()).expect("compatible");
        subscriber.reset_to_oldest();
        if self.both {
            for seq in 0..self.records {
                let view = subscriber.try_recv().expect("read").expect("published");
                assert_eq!(S::check(view, sent), seq, "read back in order");
            }
        }
    }
}

/// Runs [`Instr`] if `BENCH_VERSIONS_INSTR` asks for it; `true` if it did.
fn instr_mode() -> bool {
    let Ok(spec) = std::env::var("BENCH_VERSIONS_INSTR") else { return false };
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [case, op, records] = words[..] else {
        panic!("BENCH_VERSIONS_INSTR=\"CASE write|both N\"")
    };
    let case = CASES.into_iter().find(|c| c.label() == case).expect("a known case");
    let records = records.parse().expect("a record count");
    case.run(&Instr { both: op == "both", records });
    true
}

fn main() {
    if instr_mode() {
        return;
    }
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let (rounds, records) = mode.pick((2, 20_000), (30, 200_000));
    println!(
        "versions: {mode:?} mode, core {}, {rounds} rounds x {records} records on {CAPACITY} B \
         rings, catch-up read of what the ring holds",
        cores.writer()
    );
    println!("load average at start: {}", load_average());
    let catch_up = CatchUp { records, core: cores.writer() };
    let mut rates = Paired::default();
    for round in 0..rounds {
        for case in round_order(&CASES, round) {
            rates.push(case.label(), case.run(&catch_up));
        }
    }
    println!("load average at end: {}", load_average());

    let labels: Vec<&str> = CASES.iter().map(|case| case.label()).collect();
    Table::times_per_item(
        "versions_read",
        "Schema versions: catch-up read per record (ns, median of rounds)",
        "ns/record",
        &labels,
        &rates,
    )
    .emit();
    let versioned = CASES.into_iter().filter(|&case| case != case.plain());
    let pairs: Vec<(&str, &str)> =
        versioned.map(|case| (case.label(), case.plain().label())).collect();
    Table::ratios(
        "versions_ratios",
        "Schema versions: read rate against the unversioned type, per round",
        &pairs,
        &rates,
    )
    .emit();
}

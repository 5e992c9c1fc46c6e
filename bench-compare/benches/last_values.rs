//! Last-value tables: what keeping the latest message of every key costs the publisher, per
//! message, against the same message type without a table; and how long a late subscriber's
//! snapshot of ten thousand keys takes.
//!
//! ```text
//! cargo bench -p bench-compare --bench last_values     # measure (about 30 s)
//! cargo test  -p bench-compare --bench last_values     # sanity run
//! BENCH_CORES=2 cargo bench -p bench-compare --bench last_values
//! BENCH_LV_INSTR="pod:keyed 20000" valgrind --tool=callgrind target/release/deps/last_values-<hash>
//! ```
//!
//! Records: a pod update of four `u64` (32 bytes) keyed by an integer, and an rkyv quote keyed
//! by an 8-byte symbol (48 archived bytes). Cases: `plain` publishes the type on a ring without
//! a table; `100` and `10k` publish it on a ring with a table of 10 000 keys, each message's key
//! drawn at random from 100 keys (their slots stay in the cache: the table's own cost) or from
//! all 10 000 (1.3 MB of slots, whose cache lines are mostly cold, as a feed of many
//! instruments has them). One pinned thread publishes `N` records into a 1 MiB ring with no
//! reader: the publisher's rate. Rounds are interleaved (order reversed on odd rounds); ratios
//! are taken per round against `plain` of the same codec. After each `10k` round a subscriber
//! takes a snapshot of the table (10 000 messages).

use std::time::Instant;

use bcast::RingBuffer;
use bcast::typed::{Channel, InChannel, LastValues, Publisher, Subscriber, TypedMessage};
use bench_compare::affinity::{Cores, pin_current};
use bench_compare::stats::{Paired, Spread};
use bench_compare::table::Table;
use bench_compare::{Mode, load_average, round_order};

/// Ring capacity of the runs.
const CAPACITY: usize = 1 << 20;
/// Keys in the table.
const TABLE_KEYS: u32 = 10_000;

/// The pod update, with and without a key.
macro_rules! pod {
    ($m:ident, $($key:tt)*) => {
        mod $m {
            /// The pod update.
            #[bcast::typed::message(tag = 1, pod)]
            #[derive(Debug)]
            pub(crate) struct Update {
                $($key)* pub(crate) instrument: u64,
                pub(crate) price: u64,
                pub(crate) size: u64,
                pub(crate) seq: u64,
            }
            /// Its channel.
            #[derive(Debug, bcast::BcastChannel)]
            pub(crate) enum Feed {
                Update(Update),
            }
        }
    };
}

/// The rkyv quote, with and without a key.
macro_rules! archived {
    ($m:ident, $($key:tt)*) => {
        mod $m {
            /// The rkyv quote.
            #[bcast::typed::message(tag = 2)]
            #[derive(Debug)]
            pub(crate) struct Quote {
                $($key)* pub(crate) symbol: String,
                pub(crate) bid: f64,
                pub(crate) ask: f64,
                pub(crate) seq: u64,
            }
            /// Its channel.
            #[derive(Debug, bcast::BcastChannel)]
            pub(crate) enum Feed {
                Quote(Quote),
            }
        }
    };
}

pod!(pod_plain,);
pod!(pod_keyed, #[bcast(key)]);
archived!(rkyv_plain,);
archived!(rkyv_keyed, #[bcast(key)]);

/// The key of the `seq`-th message: scattered over `keys` keys.
fn key(seq: u64, keys: u64) -> u64 {
    let mut z = seq.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % keys
}

/// The messages of a case, made ahead of the timed loop (the rkyv symbols are `String`s).
trait Make: Sized {
    fn make(seq: u64, keys: u64) -> Self;
}

macro_rules! make {
    ($($m:ident),*) => {$(
        impl Make for $m::Update {
            fn make(seq: u64, keys: u64) -> Self {
                Self { instrument: key(seq, keys), price: 10_125 + seq % 7, size: seq % 100, seq }
            }
        }
    )*};
}
make!(pod_plain, pod_keyed);

macro_rules! make_archived {
    ($($m:ident),*) => {$(
        impl Make for $m::Quote {
            fn make(seq: u64, keys: u64) -> Self {
                Self { symbol: format!("S{:07}", key(seq, keys)), bid: 101.25, ask: 101.5, seq }
            }
        }
    )*};
}
make_archived!(rkyv_plain, rkyv_keyed);

/// One case.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Case {
    PodPlain,
    PodHot,
    PodWide,
    RkyvPlain,
    RkyvHot,
    RkyvWide,
}

const CASES: [Case; 6] =
    [Case::PodPlain, Case::PodHot, Case::PodWide, Case::RkyvPlain, Case::RkyvHot, Case::RkyvWide];

impl Case {
    fn label(self) -> &'static str {
        match self {
            Self::PodPlain => "pod:plain",
            Self::PodHot => "pod:100",
            Self::PodWide => "pod:10k",
            Self::RkyvPlain => "rkyv:plain",
            Self::RkyvHot => "rkyv:100",
            Self::RkyvWide => "rkyv:10k",
        }
    }

    fn plain(self) -> Self {
        match self {
            Self::PodPlain | Self::PodHot | Self::PodWide => Self::PodPlain,
            Self::RkyvPlain | Self::RkyvHot | Self::RkyvWide => Self::RkyvPlain,
        }
    }

    /// How many keys the messages are drawn from; 0 without a table.
    fn keys(self) -> u64 {
        match self {
            Self::PodPlain | Self::RkyvPlain => 0,
            Self::PodHot | Self::RkyvHot => 100,
            Self::PodWide | Self::RkyvWide => u64::from(TABLE_KEYS),
        }
    }

    /// Publishes `records` messages of the case, pinned to `core`: the publisher's rate, and
    /// for a `10k` case how long a snapshot of the table then takes (s).
    fn run(self, records: u64, core: usize) -> (f64, Option<f64>) {
        let keys = self.keys();
        match self {
            Self::PodPlain => publish::<pod_plain::Feed, pod_plain::Update>(records, core, keys),
            Self::PodHot | Self::PodWide => {
                publish::<pod_keyed::Feed, pod_keyed::Update>(records, core, keys)
            }
            Self::RkyvPlain => publish::<rkyv_plain::Feed, rkyv_plain::Quote>(records, core, keys),
            Self::RkyvHot | Self::RkyvWide => {
                publish::<rkyv_keyed::Feed, rkyv_keyed::Quote>(records, core, keys)
            }
        }
    }
}

/// The ring of a case: with a table of [`TABLE_KEYS`] keys if `keyed`.
fn ring<C: Channel>(keyed: bool) -> RingBuffer {
    if keyed {
        let table = LastValues::<C>::new(TABLE_KEYS).key_bytes(8).entry_bytes(64);
        table.with_capacity(CAPACITY).expect("a table of the keyed type")
    } else {
        RingBuffer::with_capacity(CAPACITY)
    }
}

/// Publishes `records` messages of `M` keyed over `keys` keys (on a ring without a table for 0).
fn publish<C, M>(records: u64, core: usize, keys: u64) -> (f64, Option<f64>)
where
    C: Channel,
    M: TypedMessage + InChannel<C> + Make + Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                pin_current(core);
                let keyed = keys > 0;
                let drawn = keys.max(1);
                let messages: Vec<M> = (0..records).map(|seq| M::make(seq, drawn)).collect();
                let ring = ring::<C>(keyed);
                let mut publisher = Publisher::<C>::new(ring.clone()).expect("typed");
                // Every key (almost surely), untimed: the timed loop updates slots, as a running
                // feed does.
                let warm = drawn * 20;
                for seq in records..records + warm {
                    publisher.publish(&M::make(seq, drawn)).expect("publish");
                }
                let distinct: std::collections::HashSet<u64> =
                    (0..records + warm).map(|seq| key(seq, drawn)).collect();
                let start = Instant::now();
                for message in &messages {
                    publisher.publish(message).expect("publish");
                }
                let rate = records as f64 / start.elapsed().as_secs_f64();
                let snapshot = (keys == u64::from(TABLE_KEYS)).then(|| {
                    let mut subscriber = Subscriber::<C>::new(ring).expect("typed");
                    let start = Instant::now();
                    let mut snapshot = subscriber.snapshot().expect("a snapshot");
                    let mut count = 0u64;
                    while snapshot.next_message().expect("checked").is_some() {
                        count += 1;
                    }
                    let elapsed = start.elapsed().as_secs_f64();
                    assert_eq!(count, distinct.len() as u64, "one message per key");
                    elapsed
                });
                (rate, snapshot)
            })
            .join()
            .expect("bench thread")
    })
}

/// Instruction-count mode for `valgrind --tool=callgrind`: `BENCH_LV_INSTR="CASE N"` publishes
/// `N` messages of case `CASE` after the untimed warm-up, and exits. The difference of two runs'
/// totals divided by the difference of their `N` is the cost of one message.
fn instr_mode() -> bool {
    let Ok(spec) = std::env::var("BENCH_LV_INSTR") else { return false };
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [case, records] = words[..] else { panic!("BENCH_LV_INSTR=\"CASE N\"") };
    let case = CASES.into_iter().find(|c| c.label() == case).expect("a known case");
    case.run(records.parse().expect("a record count"), 0);
    true
}

fn main() {
    if instr_mode() {
        return;
    }
    let mode = Mode::from_args();
    let cores = Cores::from_env();
    let (rounds, records) = mode.pick((2, 50_000), (30, 1_000_000));
    println!(
        "last_values: {mode:?} mode, core {}, {rounds} rounds x {records} messages on {CAPACITY} B \
         rings, tables of {TABLE_KEYS} keys",
        cores.writer()
    );
    println!("load average at start: {}", load_average());
    let mut rates = Paired::default();
    let mut snapshots: Vec<(Case, f64)> = Vec::new();
    for round in 0..rounds {
        for case in round_order(&CASES, round) {
            let (rate, snapshot) = case.run(records, cores.writer());
            rates.push(case.label(), rate);
            snapshots.extend(snapshot.map(|seconds| (case, seconds)));
        }
    }
    println!("load average at end: {}", load_average());

    let labels: Vec<&str> = CASES.iter().map(|case| case.label()).collect();
    Table::times_per_item(
        "last_values_publish",
        "Last-value tables: publisher's cost per message (ns, median of rounds)",
        "ns/message",
        &labels,
        &rates,
    )
    .emit();
    let keyed = CASES.into_iter().filter(|&case| case != case.plain());
    let pairs: Vec<(&str, &str)> = keyed.map(|case| (case.label(), case.plain().label())).collect();
    Table::ratios(
        "last_values_ratios",
        "Last-value tables: publisher's rate with a table against without, per round",
        &pairs,
        &rates,
    )
    .emit();

    let mut table = Table::new(
        "last_values_snapshot",
        "Last-value tables: a late subscriber's snapshot of 10 000 keys (ms, median of rounds)",
        &["case", "ms", "IQR"],
    );
    for case in [Case::PodWide, Case::RkyvWide] {
        let times = snapshots.iter().filter(|(c, _)| *c == case).map(|(_, s)| *s * 1e3);
        let spread = Spread::of(&times.collect::<Vec<f64>>()).expect("rounds ran");
        table.row(vec![
            case.label().to_owned(),
            format!("{:.2}", spread.median),
            format!("{:.2}-{:.2}", spread.p25, spread.p75),
        ]);
    }
    table.emit();
}

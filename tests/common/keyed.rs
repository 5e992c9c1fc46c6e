//! A channel of keyed messages, for the last-value table's tests: a keyed pod type, a keyed
//! rkyv type and one without a key.

/// A keyed pod message: the `counter`-th update, of key `key`.
#[bcast::typed::message(tag = 1, pod)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update {
    #[bcast(key)]
    pub key: u64,
    pub counter: u64,
    pub value: u64,
}

impl Update {
    /// Update `counter` of `key`, its value derived from the counter.
    pub fn new(key: u64, counter: u64) -> Self {
        Self { key, counter, value: counter.wrapping_mul(31) }
    }
}

/// A keyed rkyv message.
#[bcast::typed::message(tag = 2)]
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    #[bcast(key)]
    pub symbol: String,
    pub bid: f64,
    pub venues: Vec<u16>,
}

/// A quote of `symbol` at `bid`, on three venues.
pub fn quote(symbol: &str, bid: f64) -> Quote {
    Quote { symbol: symbol.into(), bid, venues: vec![1, 2, 3] }
}

/// A message without a key.
#[bcast::typed::message(tag = 3, pod)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    pub at: u64,
}

/// The channel of the three.
#[derive(Debug, bcast::BcastChannel)]
pub enum Feed {
    Update(Update),
    Quote(Quote),
    Heartbeat(Heartbeat),
}

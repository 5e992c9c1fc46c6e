//! The typed channel of the README's snippet: `MarketData`, of an rkyv `Quote` (tag 1) and a pod
//! `Trade` (tag 2, 24 bytes). It needs nothing but `bcast`, so that the CLI's tests can include
//! this file too (`#[path = "../../tests/common/market.rs"]`).
#![allow(dead_code, unreachable_pub)]

/// Top of book (rkyv: it has a string).
#[bcast::typed::message(tag = 1)]
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub symbol: String,
    pub bid: f64,
    pub ask: f64,
    pub ts: u64,
}

/// One execution (pod: its 24 bytes are the payload).
#[bcast::typed::message(tag = 2, pod)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trade {
    pub instrument: u64,
    pub price: f64,
    pub qty: u64,
}

#[derive(Debug, bcast::BcastChannel)]
pub enum MarketData {
    Quote(Quote),
    Trade(Trade),
}

/// The quote `ES 1.0/1.5` stamped `ts`.
pub fn quote(ts: u64) -> Quote {
    Quote { symbol: "ES".into(), bid: 1.0, ask: 1.5, ts }
}

/// A trade of instrument 9 at 1.25 for `qty`.
pub fn trade(qty: u64) -> Trade {
    Trade { instrument: 9, price: 1.25, qty }
}

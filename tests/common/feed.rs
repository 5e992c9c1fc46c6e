//! A typed channel with nested data: `Feed`, of an rkyv `Quote` (tag 1: a string, a vector of
//! `Level`s, an option and a `u128`) and a pod `Trade` (tag 2, 16 bytes). With the `serde`
//! feature every type also derives `serde::Serialize`, so that views render as JSON.
#![allow(dead_code, unreachable_pub)]

/// A price level.
#[bcast::typed::schema]
#[derive(Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Level {
    pub price: f64,
    pub qty: u64,
}

/// A quote with depth (rkyv).
#[bcast::typed::message(tag = 1)]
#[derive(Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Quote {
    pub symbol: String,
    pub bid: f64,
    pub levels: Vec<Level>,
    pub venue: Option<String>,
    pub id: u128,
}

/// One execution (pod: its 16 bytes are the payload).
#[bcast::typed::message(tag = 2, pod)]
#[derive(Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Trade {
    pub price: f64,
    pub qty: u64,
}

#[derive(Debug, bcast::BcastChannel)]
pub enum Feed {
    Quote(Quote),
    Trade(Trade),
}

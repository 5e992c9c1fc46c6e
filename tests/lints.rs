//! The derives' output is clean under strict lints: every generated public item is documented,
//! no path is needlessly qualified, and clippy (`cargo clippy --all-targets`) finds nothing,
//! pedantic lints included. Also checks `#[bcast(crate = "...")]` for re-exporters.
#![deny(missing_docs, unused_qualifications, unreachable_pub, unused, rust_2018_idioms)]
#![deny(clippy::all, clippy::pedantic)]

/// bcast under another name, as a crate that re-exports it would have it.
pub mod renamed {
    pub use bcast::*;
}

/// A level of a book.
#[bcast::typed::schema]
#[derive(Debug)]
pub struct Level {
    /// Price.
    pub price: f64,
    /// Quantity.
    pub qty: u64,
}

/// A quote.
#[bcast::typed::message(tag = 1)]
#[derive(Debug)]
pub struct Quote {
    /// Symbol.
    pub symbol: String,
    /// Best levels.
    pub levels: Vec<Level>,
}

/// Items that reach bcast through the renamed path.
pub mod through {
    /// A trade.
    #[bcast::typed::message(tag = 2, pod, crate = "crate::renamed")]
    #[derive(Debug)]
    pub struct Trade {
        /// Price.
        pub price: f64,
        /// Quantity.
        pub qty: u64,
    }

    /// Where an order rests: pointer-sized fields in every kind of variant.
    #[bcast::typed::schema(crate = "crate::renamed")]
    #[derive(Debug)]
    pub enum Venue {
        /// Not yet placed.
        Pending,
        /// A book, by index.
        Book(usize),
        /// A range of levels: the first, and the last counted from the end.
        Levels(usize, isize),
    }

    /// An order, with the rkyv codec.
    #[bcast::typed::message(tag = 3, crate = "crate::renamed")]
    #[derive(Debug)]
    pub struct Order {
        /// Client id.
        pub client: String,
        /// Where it rests.
        pub venue: Venue,
        /// Queue positions.
        pub slots: Vec<usize>,
    }

    /// A type without values, with a schema only.
    #[derive(Debug, crate::renamed::BcastSchema)]
    #[bcast(crate = "crate::renamed")]
    pub enum Never {}

    /// A channel.
    #[derive(Debug, bcast::BcastChannel)]
    #[bcast(crate = "crate::renamed")]
    pub enum Trades {
        /// Trades.
        Trade(Trade),
        /// Orders.
        Order(Order),
    }
}

use bcast::RingBuffer;
use bcast::typed::{Publisher, Subscriber};
use through::{Order, Trade, Trades, TradesView, Venue};

/// A heartbeat with a tag derived from its name, derived without the attribute macro.
#[derive(Debug, bcast::rkyv::Archive, bcast::rkyv::Serialize, bcast::BcastMessage)]
#[rkyv(crate = bcast::rkyv)]
pub struct Heartbeat {
    /// Time.
    pub at: u64,
}

/// The channel.
#[derive(Debug, bcast::BcastChannel)]
pub enum MarketData {
    /// Quotes.
    Quote(Quote),
    /// Trades.
    Trade(Trade),
    /// Heartbeats.
    Heartbeat(Heartbeat),
}

#[test]
fn derived_items_work_through_both_paths() -> Result<(), Box<dyn std::error::Error>> {
    let ring = RingBuffer::with_capacity(4096);
    let mut publisher = Publisher::<MarketData>::new(ring.clone())?;
    let mut subscriber = Subscriber::<MarketData>::new(ring)?;
    publisher
        .publish(&Quote { symbol: "ES".into(), levels: vec![Level { price: 1.0, qty: 2 }] })?;
    publisher.publish(&Trade { price: 2.0, qty: 3 })?;
    publisher.publish(&Heartbeat { at: 4 })?;
    let names: Vec<&str> = subscriber
        .batch_iter()
        .map(|view| view.map(|v| v.type_name()))
        .collect::<Result<_, _>>()?;
    assert_eq!(names, ["Quote", "Trade", "Heartbeat"]);

    let ring = RingBuffer::with_capacity(4096);
    let mut trades = Publisher::<Trades>::new(ring.clone())?;
    let mut reader = Subscriber::<Trades>::new(ring)?;
    trades.publish(&Trade { price: 5.0, qty: 6 })?;
    let Some(TradesView::Trade(trade)) = reader.try_recv()? else { panic!("a trade") };
    assert_eq!(trade.qty, 6);
    trades.publish(&Trade { price: 7.0, qty: 8 })?;
    let view = reader.try_recv()?.expect("a trade");
    assert_eq!(format!("{view:?}"), "Trade(..)");
    let levels = Venue::Levels(1, -1);
    trades.publish(&Order { client: "c1".into(), venue: levels, slots: vec![3] })?;
    let Some(TradesView::Order(order)) = reader.try_recv()? else { panic!("an order") };
    assert_eq!(order.client, "c1");
    Ok(())
}

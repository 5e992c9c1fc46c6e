//! Schema versions across the relay: a source published at one version of a pod type and of an
//! rkyv one, and subscribers of the mirror at earlier and later versions, read under the same
//! rules as at the source (the relay carries each frame's version, and the mirror the source's
//! description).

mod common;

use common::{Paths, Relay, attach, create, endpoint, eventually, key};

mod v1 {
    /// A level at version 1.
    #[bcast::typed::message(tag = 4, version = 1, pod)]
    #[derive(Debug, Clone, Copy, PartialEq)]
    #[repr(C)]
    pub(crate) struct Level {
        /// Its number.
        pub(crate) n: u64,
        /// Its price.
        pub(crate) price: f64,
    }
    /// A quote at version 1 (rkyv).
    #[bcast::typed::message(tag = 5, version = 1)]
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) struct Quote {
        /// Its number.
        pub(crate) n: u64,
        /// Its instrument.
        pub(crate) symbol: String,
    }
    /// The channel at version 1.
    #[derive(Debug, bcast::BcastChannel)]
    pub(crate) enum Book {
        /// A level.
        Level(Level),
        /// A quote.
        Quote(Quote),
    }
}

mod v2 {
    /// The level at version 2, which added its size.
    #[bcast::typed::message(tag = 4, version = 2, pod)]
    #[derive(Debug, Clone, Copy, PartialEq)]
    #[repr(C)]
    pub(crate) struct Level {
        /// Its number.
        pub(crate) n: u64,
        /// Its price.
        pub(crate) price: f64,
        /// Its size.
        #[bcast(since = 2)]
        pub(crate) size: u64,
    }
    /// The quote at version 2, which added its venue.
    #[bcast::typed::message(tag = 5, version = 2)]
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) struct Quote {
        /// Its number.
        pub(crate) n: u64,
        /// Its instrument.
        pub(crate) symbol: String,
        /// Its venue.
        #[bcast(since = 2)]
        pub(crate) venue: Option<String>,
    }
    /// The channel at version 2.
    #[derive(Debug, bcast::BcastChannel)]
    pub(crate) enum Book {
        /// A level.
        Level(Level),
        /// A quote.
        Quote(Quote),
    }
}

#[test]
fn mirror_subscribers_of_earlier_and_later_versions_read_the_relayed_records() {
    let paths = Paths::new("versions", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(0));
    let key = key("versions");
    // The source is at version 2; a subscriber of version 1 reads its fields at the source.
    let mut publisher = create::<v2::Book>(source, 1 << 16).expect("source");
    let _exporter = Relay::start("exporter", &["export", source, "--key", &key, "--listen", &port]);
    let importer = Relay::start("importer", &["import", "--key", &key, mirror, "--connect", &port]);
    importer.wait_for("created the local channel (typed");
    let mut older = eventually("the mirror", || attach::<v1::Book>(mirror).ok());
    let mut same = attach::<v2::Book>(mirror).expect("a subscriber of the source's version");
    let level = |n: u64| v2::Level { n, price: n as f64 / 4.0, size: n * 10 };
    // Publish until both subscribers have read a record and an archive, each by its own
    // version, and check everything they read.
    let (mut n, mut seen_old, mut seen_same) = (0, [false; 2], [false; 2]);
    eventually("a relayed record and archive", || {
        publisher.publish(&level(n)).expect("publish");
        publisher.publish(&quote(n)).expect("publish");
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
        while let Some(view) = older.try_recv().expect("a version-1 read") {
            match view {
                v1::BookView::Level(old) => {
                    assert_eq!(*old, v1::Level { n: old.n, price: old.n as f64 / 4.0 });
                    seen_old[0] = true;
                }
                v1::BookView::Quote(old) => {
                    let v1::Book::Quote(old) =
                        v1::BookView::Quote(old).to_message().expect("owned")
                    else {
                        unreachable!()
                    };
                    assert_eq!(old, v1::Quote { n: old.n, symbol: quote(old.n).symbol });
                    seen_old[1] = true;
                }
            }
        }
        while let Some(view) = same.try_recv().expect("a version-2 read") {
            match view {
                v2::BookView::Level(new) => {
                    assert_eq!(*new, level(new.n), "the source's version, whole");
                    seen_same[0] = true;
                }
                v2::BookView::Quote(new) => {
                    let v2::Book::Quote(new) =
                        v2::BookView::Quote(new).to_message().expect("owned")
                    else {
                        unreachable!()
                    };
                    assert_eq!(new, quote(new.n), "the source's version, whole");
                    seen_same[1] = true;
                }
            }
        }
        (seen_old == [true; 2] && seen_same == [true; 2]).then_some(())
    });
}

/// A version-2 quote of number `n`.
fn quote(n: u64) -> v2::Quote {
    v2::Quote {
        n,
        symbol: format!("instrument {n} with a name longer than rkyv keeps inline"),
        venue: Some(format!("venue {n}")),
    }
}

#[test]
fn a_source_rolled_over_to_a_later_version_rolls_the_mirror_over_under_its_subscribers() {
    let paths = Paths::new("rollover", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(1));
    let key = key("rollover");
    let mut first = create::<v1::Book>(source, 1 << 16).expect("source");
    let exporter = Relay::start("exporter", &["export", source, "--key", &key, "--listen", &port]);
    let importer = Relay::start("importer", &["import", "--key", &key, mirror, "--connect", &port]);
    importer.wait_for("created the local channel (typed");
    let mut older = eventually("the mirror", || attach::<v1::Book>(mirror).ok());
    let mut n = 0;
    // Reads the mirror with the version-1 subscriber; the number of the last quote read.
    let read_quotes = |older: &mut bcast::typed::Subscriber<v1::Book>| {
        let mut last = None;
        while let Some(view) = older.try_recv().expect("a version-1 read") {
            if let v1::BookView::Quote(view) = view {
                let v1::Book::Quote(old) = v1::BookView::Quote(view).to_message().expect("owned")
                else {
                    unreachable!()
                };
                assert_eq!(old, v1::Quote { n: old.n, symbol: quote(old.n).symbol });
                last = Some(old.n);
            }
        }
        last
    };
    eventually("a relayed version-1 quote", || {
        first.publish(&v1::Quote { n, symbol: quote(n).symbol }).expect("publish");
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
        read_quotes(&mut older)
    });
    // The source's publisher is upgraded: version 2 takes the file over and rolls it over.
    drop(first);
    let mut second = create::<v2::Book>(source, 1 << 16).expect("the version-2 publisher");
    let upgraded = n;
    eventually("a relayed version-2 quote, read by the version-1 subscriber", || {
        second.publish(&quote(n)).expect("publish");
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
        read_quotes(&mut older).filter(|&last| last >= upgraded)
    });
    exporter.wait_for("rolled over to a later schema version");
    importer.wait_for("rolled the local channel over to the exporter's later schema version");
    // Subscribers that attach to the mirror from now on check against version 2.
    let ring = bcast::RingBuffer::attach(mirror).expect("the mirror");
    let registry = bcast::typed::Registry::read_from(&ring).expect("readable");
    assert_eq!(registry, Some(bcast::typed::Registry::of::<v2::Book>()));
    let mut newer = attach::<v2::Book>(mirror).expect("a version-2 subscriber");
    newer.reset_to_oldest();
    let mut whole = 0;
    while let Some(view) = newer.try_recv().expect("a version-2 read") {
        if let v2::BookView::Quote(view) = view {
            let v2::Book::Quote(new) = v2::BookView::Quote(view).to_message().expect("owned")
            else {
                unreachable!()
            };
            if new.n >= upgraded {
                assert_eq!(new, quote(new.n), "a version-2 quote, whole");
                whole += 1;
            } else {
                assert_eq!(new.venue, None, "a version-1 quote, without the venue");
            }
        }
    }
    assert!(whole > 0, "version-2 quotes were relayed whole");
}

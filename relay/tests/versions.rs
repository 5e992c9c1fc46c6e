//! Schema versions across the relay: a source published at one version of a pod type, and
//! subscribers of the mirror at earlier and later versions, read under the same rules as at the
//! source (the relay carries each frame's version).

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
    /// The channel at version 1.
    #[derive(Debug, bcast::BcastChannel)]
    pub(crate) enum Book {
        /// A level.
        Level(Level),
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
    /// The channel at version 2.
    #[derive(Debug, bcast::BcastChannel)]
    pub(crate) enum Book {
        /// A level.
        Level(Level),
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
    let mut n = 0;
    let level = |n: u64| v2::Level { n, price: n as f64 / 4.0, size: n * 10 };
    // Publish until both subscribers have read one record, each by its own version.
    let (first_old, first_same) = eventually("a relayed record", || {
        publisher.publish(&level(n)).expect("publish");
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
        let old = older.try_recv().expect("a version-1 read");
        let new = same.try_recv().expect("a version-2 read");
        match (old, new) {
            (Some(v1::BookView::Level(old)), Some(v2::BookView::Level(new))) => Some((*old, *new)),
            _ => None,
        }
    });
    assert_eq!(first_same, level(first_same.n), "the source's version, whole");
    assert_eq!(first_old, v1::Level { n: first_same.n, price: first_same.price });
}

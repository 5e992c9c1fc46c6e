//! Relays [`bcast`] channels between machines over [Zenoh](https://zenoh.io).
//!
//! Shared memory ends at the machine's edge. An [`Exporter`] attaches to a local channel as
//! one more reader and publishes its frames under a Zenoh key, several frames per message when
//! they are pending. An [`Importer`] on another host subscribes to that key and writes the
//! frames into a local channel that it creates as the writer, with the source's schema
//! registry: typed subscribers there attach to it unchanged, and are refused on a schema
//! mismatch exactly as they would be at the source.
//!
//! ```no_run
//! use bcast_relay::{ExportOptions, Exporter, ImportOptions, Importer};
//!
//! // On the publishing host:
//! let exporter = Exporter::new(ExportOptions::new("/dev/shm/prices", "feeds/prices"));
//! std::thread::spawn(move || exporter.run());
//!
//! // On the subscribing host (here the same one, through loopback):
//! let importer = Importer::new(ImportOptions::new("feeds/prices", "/dev/shm/prices-mirror"));
//! importer.run()?;
//! # Ok::<(), bcast_relay::RelayError>(())
//! ```
//!
//! # Losses
//!
//! Nothing waits for a slow side. Each relayed frame carries its sequence number in the source
//! channel, so the importer counts every frame that never arrived ([`ImportStats::missed`]),
//! in three parts that add up to it: those the exporter's reader lost when the source's writer
//! lapped it (reported by the exporter, [`ImportStats::source_lost`]), those that passed while
//! a relay side was down (the importer or the exporter restarted,
//! [`ImportStats::while_down`]), and those lost on the way with both sides up
//! ([`ImportStats::in_transit`]).
//!
//! The importer writes each frame numbered as the source numbered it, so the local channel's
//! readers count the frames that never reached it as lost, in total and per message type
//! ([`bcast::typed::Subscriber::lost_by_type`]), as readers of the source count theirs. The
//! relay reports them per type as well: [`Exporter::lost_by_type`] and
//! [`Importer::missed_by_type`].
//!
//! # Restarts
//!
//! Either side may restart. An importer connects again by itself; a new exporter run is
//! noticed and followed; a recreated source channel starts a new sequence. A restarted importer
//! reopens its channel, so its subscribers carry on, and learns from a resume file beside it
//! (`PATH.resume`) how many frames passed while it was down.
//!
//! # Security
//!
//! Batches are not authenticated: anyone who can reach the Zenoh network can publish frames
//! under the key (the importer writes them into its channel), answer the importer's query with
//! another description (its capacity is bounded by [`ImportOptions::max_capacity`]), or read
//! every frame. The typed layer's checked reads stay memory-safe on such frames; its
//! `*_unchecked` reads do not, so never use them on an imported channel unless every peer on
//! the network is trusted. Restrict the network with Zenoh's TLS transport (the `tls` feature,
//! [`TlsOptions`], with mutual authentication) and Zenoh's access control on a router; the
//! README has a configuration sketch.
//!
//! # Wire format
//!
//! Each Zenoh message under `KEY` is a batch: a 56-byte header (exporter run id, source epoch,
//! registry hash, cumulative losses) and frames of `seq`, `tag`, `tag_seq`, `version`, `len` and
//! payload. The exporter answers queries on `KEY/@registry` with the channel's capacity,
//! registry and schema description.

mod by_type;
mod config;
mod error;
mod event;
mod export;
mod import;
mod resume;
mod sink;
mod stats;
mod stop;
mod tracker;
mod wire;

pub use by_type::TypeCount;
pub use config::{DEFAULT_ENDPOINT, TlsOptions, ZenohOptions};
pub use error::RelayError;
pub use event::{RelayEvent, RelaySide};
pub use export::{ExportOptions, Exporter};
pub use import::{DEFAULT_MAX_CAPACITY, ImportOptions, Importer};
pub use stats::{ExportStats, ImportStats};
pub use stop::StopHandle;

use zenoh::key_expr::KeyExpr;

/// `key` as a Zenoh key expression: a plain key, without wildcards.
fn key(key: &str) -> Result<KeyExpr<'static>, RelayError> {
    let invalid = |message: String| RelayError::InvalidKey { key: key.to_owned(), message };
    if key.is_empty() {
        return Err(invalid("the key is empty".into()));
    }
    if key.starts_with('/') || key.ends_with('/') || key.contains("//") {
        return Err(invalid(
            "a key is words separated by single slashes, such as feeds/prices, with no slash at \
             either end"
                .into(),
        ));
    }
    let expr =
        KeyExpr::try_from(key.to_owned()).map_err(|e| invalid(error::plain(&e.to_string())))?;
    if expr.is_wild() {
        return Err(invalid("wildcards are not allowed: a relay carries one channel".into()));
    }
    Ok(expr)
}

/// Where the exporter serves the channel's description: `KEY/@registry`.
fn registry_key(key: &KeyExpr<'_>) -> Result<KeyExpr<'static>, RelayError> {
    let joined = format!("{key}/@registry");
    KeyExpr::try_from(joined.clone())
        .map_err(|e| RelayError::InvalidKey { key: joined, message: error::plain(&e.to_string()) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_checked() {
        assert!(super::key("feeds/prices").is_ok());
        assert!(super::key("feeds/*").is_err());
        assert!(super::key("").is_err());
        assert!(super::key("/leading").is_err());
        for bad in ["", "/leading", "trailing/", "a//b", "a/$*b", "a#b", "a?b"] {
            let message = super::key(bad).expect_err(bad).to_string();
            assert!(
                !message.contains(".rs:") && message.contains(&format!("{bad:?}")),
                "{message}"
            );
        }
        let key = super::key("feeds/prices").unwrap();
        assert_eq!(super::registry_key(&key).unwrap().as_str(), "feeds/prices/@registry");
    }
}

//! [`RelayError`]: why an exporter or importer stopped.

use std::path::PathBuf;

/// Why [`Exporter::run`](crate::Exporter::run) or [`Importer::run`](crate::Importer::run)
/// returned an error. Malformed messages from the network are never errors: they are counted
/// and dropped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// Zenoh refused the configuration, or a session or one of its entities could not be made.
    #[error("zenoh: {context}: {message}")]
    Zenoh {
        /// What the relay was doing.
        context: &'static str,
        /// Zenoh's error, rendered (Zenoh's error type is not `Sync`).
        message: String,
    },
    /// TLS was asked for, but this build has no TLS transport.
    #[error(
        "TLS was asked for ({asked}), but this bcast-relay was built without the `tls` feature \
         (build it with `--features tls`)"
    )]
    TlsNotBuilt {
        /// What asked for it: an endpoint or the certificate options.
        asked: String,
    },
    /// The key expression is not valid for Zenoh (empty, a wildcard, a stray `/`...).
    #[error("invalid key {key:?}: {message}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// Why Zenoh refused it.
        message: String,
    },
    /// The local channel could not be attached or created.
    #[error("channel {}: {source}", .path.display())]
    Open {
        /// The channel file.
        path: PathBuf,
        /// Why it could not be opened.
        source: bcast::OpenError,
    },
    /// The local channel could not be created with the exporter's registry (another registry
    /// is already there, or the file holds something else).
    #[error("cannot create or reopen the local channel {}: {source}", .path.display())]
    Typed {
        /// The channel file.
        path: PathBuf,
        /// Why the typed channel could not be created.
        source: bcast::typed::TypedOpenError,
    },
    /// A channel made by an untyped writer is already at the importer's path, and the exporter
    /// relays a typed one: typed frames are not written over it.
    #[error(
        "channel {}: it exists and has no schema registry (an untyped writer made it), and the \
         exporter relays a typed channel; remove it or import under another path",
        .path.display()
    )]
    UntypedLocalChannel {
        /// The local channel.
        path: PathBuf,
    },
    /// A typed channel is already at the importer's path, and the exporter relays an untyped
    /// one: its frames would be misread by the typed subscribers there.
    #[error(
        "channel {}: it exists with a schema registry, and the exporter relays an untyped \
         channel; remove it or import under another path",
        .path.display()
    )]
    TypedLocalChannel {
        /// The local channel.
        path: PathBuf,
    },
    /// The exporter describes a channel larger than the importer may allocate.
    #[error(
        "the exporter describes a channel of {offered} bytes, over this importer's limit of \
         {max} bytes; raise the limit (--max-capacity) or choose the capacity (--capacity)"
    )]
    CapacityTooLarge {
        /// The capacity in the exporter's description.
        offered: u64,
        /// The importer's limit ([`ImportOptions::max_capacity`](crate::ImportOptions)).
        max: usize,
    },
    /// The source channel's schema registry is unreadable, or the one sent by the exporter is.
    #[error("schema registry: {0}")]
    Registry(#[from] bcast::typed::RegistryError),
    /// The source channel's schema description is unreadable, or the one sent by the exporter
    /// is.
    #[error("schema description: {0}")]
    Description(#[from] bcast::typed::description::DescriptionError),
    /// The exporter now relays a channel with another schema than the one the local channel
    /// was made with; its frames are refused.
    #[error(
        "the exporter's channel changed its schema (registry hash {found:#018x}, this channel \
         has {expected:#018x}); remove {} or import under another path", .path.display()
    )]
    SchemaChanged {
        /// The local channel.
        path: PathBuf,
        /// The local channel's registry hash.
        expected: u64,
        /// The exporter's.
        found: u64,
    },
    /// A ring operation failed in a way the relay does not recover from.
    #[error("ring: {0}")]
    Ring(#[from] bcast::Error),
    /// The importer's resume file is not one it may use: a symbolic link, not a regular file,
    /// or another user's.
    #[error("resume file {}: refused: {reason}", .path.display())]
    UnsafeResumeFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, and what to do.
        reason: String,
    },
    /// The importer's resume file could not be read or written.
    #[error("resume file {}: {source}", .path.display())]
    ResumeFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl RelayError {
    /// Wraps a Zenoh error with what the relay was doing.
    pub(crate) fn zenoh(context: &'static str) -> impl FnOnce(zenoh::Error) -> Self {
        move |error| Self::Zenoh { context, message: error.to_string() }
    }
}

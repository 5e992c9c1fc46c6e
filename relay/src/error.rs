//! [`RelayError`]: why an exporter or importer stopped.
//!
//! Every message is the relay's own words: a path is named once, and Zenoh's errors are
//! rendered without their Debug dumps and source locations ([`plain`]).

use std::fmt::Display;
use std::path::{Path, PathBuf};

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
        /// Zenoh's error, rendered in plain words (Zenoh's error type is not `Sync`).
        message: String,
    },
    /// An endpoint given to listen on or connect to is not one this relay can use.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The relay could not listen on an endpoint (address in use, not this host's, a host
    /// name that does not resolve...).
    #[error("cannot listen on {endpoint}: {reason}")]
    Listen {
        /// The endpoint.
        endpoint: String,
        /// Why, in plain words.
        reason: String,
    },
    /// A TLS certificate or key file cannot be read, or holds no PEM item of its kind.
    #[error("TLS {what} {} ({option}): {reason}", .path.display())]
    TlsFile {
        /// What the file should hold: "root certificate", "certificate" or "private key".
        what: &'static str,
        /// The option that named it, e.g. `--tls-key`.
        option: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
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
    #[error("{}", naming(.path, "channel", None, .source))]
    Open {
        /// The channel file.
        path: PathBuf,
        /// Why it could not be opened.
        source: bcast::OpenError,
    },
    /// The local channel could not be created with the exporter's registry (another registry
    /// is already there, or the file holds something else).
    #[error("{}", naming(.path, LOCAL, Some(LOCAL), .source))]
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
    /// The exporter now relays batches under another schema than the local channel's and
    /// does not describe that schema when asked (for 10 s); its frames are refused.
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
    /// The exporter now relays a channel whose schema is not a compatible evolution of the
    /// local channel's (a publisher of it would be refused there); its frames are refused.
    #[error(
        "the exporter's channel changed its schema to one the local channel cannot roll over \
         to: {source}; remove {} or import under another path", .path.display()
    )]
    SchemaRefused {
        /// The local channel.
        path: PathBuf,
        /// Why the local channel refuses the exporter's schema.
        source: bcast::typed::TypedOpenError,
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
    /// Wraps a Zenoh error with what the relay was doing, in plain words.
    pub(crate) fn zenoh(context: &'static str) -> impl FnOnce(zenoh::Error) -> Self {
        move |error| Self::Zenoh { context, message: plain(&error.to_string()) }
    }
}

/// What [`RelayError::Typed`] could not do.
const LOCAL: &str = "cannot create or reopen the local channel";

/// `error` after `what PATH: `; when `error` names `path` itself (the library's channel errors
/// do), after `named: `, or alone: the path once.
fn naming(path: &Path, what: &str, named: Option<&str>, error: &dyn Display) -> String {
    let (path, error) = (path.display().to_string(), error.to_string());
    match named {
        _ if !error.contains(&path) => format!("{what} {path}: {error}"),
        Some(named) => format!("{named}: {error}"),
        None => error,
    }
}

/// A Zenoh error message in plain words: the text of a JSON5 parser's `Message { msg: ".." }`
/// rather than the Debug dump around it, and no source locations (` at /…/file.rs:86.`).
pub(crate) fn plain(message: &str) -> String {
    let mut text = json5_message(message).unwrap_or_else(|| message.to_owned());
    // ` at PATH.rs:LINE`, then an optional `.`: cut each one.
    while let Some(found) = source_location(&text) {
        text.replace_range(found, "");
    }
    text.trim().trim_end_matches('.').trim().to_owned()
}

/// The `msg` string of a Debug-printed JSON5 error (`Json5Err(Message { msg: "…", … })`).
fn json5_message(message: &str) -> Option<String> {
    let start = message.find("msg: \"")? + "msg: \"".len();
    let mut text = String::new();
    let mut chars = message[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(text),
            '\\' => text.push(chars.next()?),
            c => text.push(c),
        }
    }
    None
}

/// The byte range of the first ` at SOMETHING.rs:LINE[.]` in `text`.
fn source_location(text: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(at) = text[from..].find(" at ").map(|i| i + from) {
        let word_start = at + " at ".len();
        let word_end =
            text[word_start..].find(char::is_whitespace).map_or(text.len(), |i| i + word_start);
        let word = &text[word_start..word_end];
        if let Some(rs) = word.find(".rs:") {
            let digits = word[rs + 4..].bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                let mut end = word_start + rs + 4 + digits;
                if text[end..].starts_with('.') {
                    end += 1;
                }
                return Some(at..end);
            }
        }
        from = word_start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zenoh_messages_lose_their_debug_dumps_and_source_locations() {
        let json5 = "listen/endpoints = [\"x\"]: Json5Err(Message { msg: \"Endpoints must be of the \
             form <protocol>/<address>: x at /root/.cargo/registry/src/zenoh-protocol/src/core/\
             endpoint.rs:615.\", location: Some(Location { line: 1, column: 1 }) }) at \
             /root/.cargo/registry/src/zenoh-1.10.2/src/api/config.rs:86.";
        assert_eq!(plain(json5), "Endpoints must be of the form <protocol>/<address>: x");
        let nested = "Can not create a new TCP listener bound to tcp/127.0.0.1:1: [127.0.0.1:1: \
             Address already in use (os error 98) at /r/zenoh-link-commons/src/tcp.rs:61.] at \
             /r/zenoh-link-tcp/src/unicast.rs:338.";
        assert_eq!(
            plain(nested),
            "Can not create a new TCP listener bound to tcp/127.0.0.1:1: [127.0.0.1:1: Address \
             already in use (os error 98)]"
        );
        assert_eq!(plain("met at noon at the station"), "met at noon at the station");
    }

    #[test]
    fn a_channel_error_names_its_path_once() {
        let path = PathBuf::from("/dev/shm/prices");
        let source = bcast::OpenError::WriterExists { path: path.clone() };
        let error = RelayError::Open { path: path.clone(), source };
        assert_eq!(error.to_string(), "channel /dev/shm/prices: another writer holds it");
        let message = naming(&path, LOCAL, Some(LOCAL), &"a reason");
        assert_eq!(message, "cannot create or reopen the local channel /dev/shm/prices: a reason");
        let message = naming(&path, LOCAL, Some(LOCAL), &"channel /dev/shm/prices: held");
        assert_eq!(
            message,
            "cannot create or reopen the local channel: channel /dev/shm/prices: held"
        );
    }
}

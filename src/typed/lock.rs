//! [`SchemaLock`]: a channel's schemas in a file that a project commits, and the check that
//! later builds stay compatible with it (like `buf breaking` for protobuf).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::channel::Channel;
use super::description::{Description, DescriptionError, Node};
use super::evolution::Side;
use super::mismatch::SchemaMismatch;
use super::registry::{Registry, RegistryError};
use crate::ring_buffer::RingBuffer;

/// The first line of every lock file, with the version of its format.
const HEADER: &str = "# bcast schema lock, format 1";
/// Bytes per line of hex.
const LINE: usize = 48;
/// Set to `1`, [`SchemaLock::check_file`] writes the lock file when it is missing or when
/// the schemas changed compatibly, instead of failing on a missing file.
const UPDATE_ENV: &str = "BCAST_UPDATE_LOCK";

/// A channel's schemas as a project commits them: its registry (every message type's tag,
/// name, fingerprint and codec) and its schema description (their shapes and versions).
///
/// A test keeps the code's schemas a compatible evolution of the committed ones, by the rules
/// subscribers and publishers apply when they attach (see [`SchemaMismatch`]): types may be
/// added or removed, a pod type may gain a version that appends fields, anything else fails
/// the test, naming the type, the field and the rule.
///
/// ```no_run
/// # #[bcast::typed::message(tag = 1)] pub struct Quote { pub bid: f64 }
/// # #[derive(bcast::BcastChannel)] pub enum Feed { Quote(Quote) }
/// #[test]
/// fn the_feed_schema_stays_compatible() {
///     // Writes the file if it is missing and BCAST_UPDATE_LOCK=1; commit it.
///     let lock = bcast::typed::SchemaLock::of::<Feed>();
///     if let Err(error) = lock.check_file("bcast-schema.lock") {
///         panic!("{error}");
///     }
/// }
/// ```
///
/// `bcast schema check --lock FILE PATH` checks a live channel against the file.
///
/// # Examples
///
/// ```
/// use bcast::typed::SchemaLock;
///
/// mod v1 {
///     #[bcast::typed::message(tag = 1, version = 1, pod)]
///     pub struct Trade { pub qty: u64 }
///     #[derive(bcast::BcastChannel)]
///     pub enum Feed { Trade(Trade) }
/// }
/// mod v2 {
///     #[bcast::typed::message(tag = 1, version = 2, pod)]
///     pub struct Trade { pub qty: u64, #[bcast(since = 2)] pub venue: u64 }
///     #[derive(bcast::BcastChannel)]
///     pub enum Feed { Trade(Trade) }
/// }
/// mod retyped {
///     #[bcast::typed::message(tag = 1, version = 2, pod)]
///     pub struct Trade { pub qty: i64 }
///     #[derive(bcast::BcastChannel)]
///     pub enum Feed { Trade(Trade) }
/// }
///
/// let committed = SchemaLock::parse(&SchemaLock::of::<v1::Feed>().render())?;
/// assert!(SchemaLock::of::<v2::Feed>().check(&committed).is_ok());
/// let error = SchemaLock::of::<retyped::Feed>().check(&committed).unwrap_err();
/// assert!(error.to_string().contains("`Trade.qty`: i64 here, u64 in the channel"));
/// # Ok::<(), bcast::typed::LockError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaLock {
    registry: Registry,
    description: Description,
}

/// Why a [`SchemaLock`] could not be read, or why the schemas are not a compatible evolution of
/// the locked ones.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// The lock file could not be read or written.
    #[error("schema lock {}: {source}", .path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// There is no lock file yet.
    #[error(
        "no schema lock at {}: run the check once with {UPDATE_ENV}=1 to write it, and commit it",
        .path.display()
    )]
    Missing {
        /// The lock file.
        path: PathBuf,
    },
    /// The text is not a lock file of this format.
    #[error("not a schema lock (format 1): {0}")]
    Malformed(&'static str),
    /// The locked registry cannot be read.
    #[error("the schema lock's registry: {0}")]
    Registry(#[from] RegistryError),
    /// The locked description cannot be read.
    #[error("the schema lock's description: {0}")]
    Description(#[from] DescriptionError),
    /// A channel has no registry or no description to lock.
    #[error("{0}: the channel has no schema registry and description to lock")]
    Undescribed(String),
    /// The schemas are not a compatible evolution of the locked ones.
    #[error("the schemas are not a compatible evolution of the locked ones: {0}")]
    Incompatible(Box<SchemaMismatch>),
}

impl SchemaLock {
    /// The schemas of channel `C`, as this build has them.
    pub fn of<C: Channel>() -> Self {
        Self { registry: Registry::of::<C>(), description: Description::of(C::SHAPES) }
    }

    /// The schemas stored in a typed channel.
    ///
    /// # Errors
    ///
    /// [`LockError::Undescribed`] for an untyped channel, or one whose publisher stored no
    /// description; [`LockError::Registry`] or [`LockError::Description`] if they are corrupt.
    pub fn read_from<A>(ring: &RingBuffer<A>) -> Result<Self, LockError> {
        let place = || ring.path().map_or("the channel".to_owned(), |p| p.display().to_string());
        let registry = Registry::read_from(ring)?.ok_or_else(|| LockError::Undescribed(place()))?;
        let description =
            Description::read_from(ring)?.ok_or_else(|| LockError::Undescribed(place()))?;
        Ok(Self { registry, description })
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The schema description.
    pub fn description(&self) -> &Description {
        &self.description
    }

    /// The lock file's text: comment lines naming each type (tag, name, codec, version,
    /// fingerprint), for the reviewer of a change, then the registry and the description in
    /// their wire formats, in hex.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{HEADER}: channel `{}`.\n# Later builds must stay compatible with it: \
             bcast::typed::SchemaLock::check_file,\n# or `bcast schema check --lock`.\n",
            self.registry.channel.escape_debug()
        );
        for entry in &self.registry.types {
            let version = self.description.root(entry.tag).and_then(|root| {
                match self.description.node(root) {
                    Node::Struct { version, .. } if *version != 0 => Some(*version),
                    _ => None,
                }
            });
            let version = version.map(|v| format!(", version {v}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "# tag {}: {} ({}{version}, fingerprint {:#018x})",
                entry.tag,
                entry.name.escape_debug(),
                entry.codec,
                entry.fingerprint
            );
        }
        for (label, bytes) in
            [("registry", self.registry.to_bytes()), ("description", self.description.to_bytes())]
        {
            for chunk in bytes.chunks(LINE) {
                let hex: String = chunk.iter().map(|byte| format!("{byte:02x}")).collect();
                let _ = writeln!(out, "{label} {hex}");
            }
        }
        out
    }

    /// Reads a lock file's text, as [`render`](Self::render) writes it.
    ///
    /// # Errors
    ///
    /// [`LockError::Malformed`] for text that is not a lock file of this format;
    /// [`LockError::Registry`] or [`LockError::Description`] if what it holds is not a
    /// registry or a description.
    pub fn parse(text: &str) -> Result<Self, LockError> {
        let mut lines = text.lines();
        if !lines.next().is_some_and(|line| line.starts_with(HEADER)) {
            return Err(LockError::Malformed("the first line is not its header"));
        }
        let (mut registry, mut description) = (Vec::new(), Vec::new());
        for line in lines.filter(|line| !line.is_empty() && !line.starts_with('#')) {
            let (label, hex) = line.split_once(' ').ok_or(LockError::Malformed("a bare line"))?;
            let bytes = match label {
                "registry" => &mut registry,
                "description" => &mut description,
                _ => {
                    return Err(LockError::Malformed("a line of neither registry nor description"));
                }
            };
            unhex(hex, bytes).ok_or(LockError::Malformed("hex digits expected"))?;
        }
        Ok(Self {
            registry: Registry::from_bytes(&registry)?,
            description: Description::decode(&description)?,
        })
    }

    /// Checks that these schemas are a compatible evolution of `locked`: that a subscriber of
    /// either attaches to a channel of the other. In the error, "here" is these schemas and
    /// "the channel" the locked ones.
    ///
    /// # Errors
    ///
    /// [`LockError::Incompatible`], naming each type and field that breaks a rule.
    pub fn check(&self, locked: &SchemaLock) -> Result<(), LockError> {
        for (ours, theirs) in [(self, locked), (locked, self)] {
            let mismatch = SchemaMismatch {
                path: Some(PathBuf::from("the schema lock")),
                side: Side::Subscribing,
                ours: ours.registry.clone(),
                theirs: theirs.registry.clone(),
                ours_description: Some(ours.description.clone()),
                theirs_description: Some(theirs.description.clone()),
            };
            if !ours.registry.matches(&theirs.registry) && !mismatch.refusals().is_empty() {
                return Err(LockError::Incompatible(Box::new(mismatch)));
            }
        }
        Ok(())
    }

    /// Checks these schemas against the lock file at `path` ([`check`](Self::check)). With
    /// the environment variable `BCAST_UPDATE_LOCK` set to `1`, a missing file is written, and so
    /// is one that the schemas evolved from compatibly, so that the next check compares with
    /// them.
    ///
    /// # Errors
    ///
    /// [`LockError::Missing`] if there is no file (and no update was asked for), the errors
    /// of [`parse`](Self::parse) and [`check`](Self::check), and [`LockError::Io`].
    pub fn check_file(&self, path: impl AsRef<Path>) -> Result<(), LockError> {
        let path = path.as_ref();
        let update = std::env::var(UPDATE_ENV).is_ok_and(|value| value == "1");
        let io = |source| LockError::Io { path: path.to_owned(), source };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && !update => {
                return Err(LockError::Missing { path: path.to_owned() });
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(io(error)),
        };
        if !text.is_empty() {
            self.check(&Self::parse(&text)?).map_err(|error| match error {
                LockError::Incompatible(mut mismatch) => {
                    mismatch.path = Some(path.to_owned());
                    LockError::Incompatible(mismatch)
                }
                other => other,
            })?;
        }
        let rendered = self.render();
        if update && rendered != text {
            std::fs::write(path, rendered).map_err(io)?;
        }
        Ok(())
    }
}

/// Appends the bytes of `hex` (pairs of hex digits) to `out`; `None` for anything else.
fn unhex(hex: &str, out: &mut Vec<u8>) -> Option<()> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    for pair in hex.as_bytes().chunks(2) {
        let pair = std::str::from_utf8(pair).ok()?;
        out.push(u8::from_str_radix(pair, 16).ok()?);
    }
    Some(())
}

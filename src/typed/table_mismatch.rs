//! [`TableMismatch`]: why a channel's last-value table does not fit a program's channel type.

/// A channel's last-value table does not key the channel's message types as this program's
/// channel type does, so a publisher of it could not keep the table: the error inside
/// [`TypedOpenError::Table`](super::TypedOpenError::Table), and, for a snapshot, inside
/// [`LastValuesError`](super::LastValuesError).
///
/// # Examples
///
/// ```
/// use bcast::typed::TableMismatch;
///
/// let error = TableMismatch::KeyField {
///     type_name: "Quote",
///     reason: "is keyed by field `venue`, this build keys it by `symbol`".into(),
/// };
/// assert_eq!(
///     error.to_string(),
///     "the last-value table of `Quote` is keyed by field `venue`, this build keys it by `symbol`"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableMismatch {
    /// No message type of the program's channel has a key field: its publisher could not
    /// keep the table.
    #[error("no message type of channel `{channel}` has a key field (`#[bcast(key)]`)")]
    NoKeyedTypes {
        /// The channel type.
        channel: &'static str,
    },
    /// The table keys a type by another field than this build, or only one of the two keys
    /// it: made by a build whose message type had another key field, or none.
    #[error("the last-value table of `{type_name}` {reason}")]
    KeyField {
        /// The message type.
        type_name: &'static str,
        /// What differs, naming the fields.
        reason: String,
    },
}

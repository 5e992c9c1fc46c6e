//! Derive macros for `bcast`. Use them through the `bcast` crate, which re-exports them.

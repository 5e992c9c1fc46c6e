//! Recordings: a channel's history on disk, and reading it back.
//!
//! A [`Recorder`] is an ordinary read-only reader of a channel that appends every frame, with
//! its sequence number, tag, tag sequence, schema version and the time it read it, to segment
//! files in a directory; messages it missed (the writer lapped it) become gap records, so
//! losses stay exact. Each segment starts with the channel's registry and schema descriptions:
//! a recording describes itself. [`Recording`] opens a directory and a [`RecordingReader`]
//! iterates its entries from the start, a sequence number or a time, also while a recorder
//! writes it; a corrupt or truncated segment is reported after the intact records before it.
//! A [`Replayer`] publishes a recording into a channel again, with its tags and sequence
//! numbers, at the recorded pace, faster, or as fast as possible; a [`RecordedSubscriber`]
//! reads it as typed messages, with a live subscriber's views and checks.
//! The format is written down in `docs/recording.md`.
//!
//! Linux only, as channel files are.

mod error;
mod files;
mod recorder;
mod recording;
mod replayer;
mod segment;
mod subscriber;

pub use self::error::{RecordError, SchemaError};
pub use self::recorder::{Fsync, Recorder, RecorderOptions, RecorderStats};
pub use self::recording::{
    Entry, RecordedFrame, RecordedSchema, Recording, RecordingReader, SegmentInfo, Start,
};
pub use self::replayer::{Pace, ReplayStats, Replayer};
pub use self::segment::{GapCause, SegmentDefect};
pub use self::subscriber::{RecordedError, RecordedSubscriber};

//! A recording directory's files: segments `NNNNNNNNNNNN.bcrec` numbered in the order they
//! were made, each with its sparse index `NNNNNNNNNNNN.bcidx`, and the recorder's lock file;
//! retention, which deletes the oldest segments.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::error::RecordError;
use crate::shm::lock::WriterLock;

/// Extension of segment files.
const SEGMENT_EXT: &str = "bcrec";
/// Extension of index files.
const INDEX_EXT: &str = "bcidx";
/// Bytes of one index entry: sequence number, time, offset.
pub(crate) const INDEX_ENTRY: usize = 24;

/// A segment's place in its directory: the number of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SegmentName {
    pub(crate) number: u64,
}

/// The segment file `name` in `dir`.
pub(crate) fn segment_path(dir: &Path, name: SegmentName) -> PathBuf {
    dir.join(format!("{:012}.{SEGMENT_EXT}", name.number))
}

/// The index file of segment `name` in `dir`.
pub(crate) fn index_path(dir: &Path, name: SegmentName) -> PathBuf {
    dir.join(format!("{:012}.{INDEX_EXT}", name.number))
}

/// The segments in `dir`, oldest first. Other files are left alone.
pub(crate) fn segments(dir: &Path) -> Result<Vec<SegmentName>, RecordError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RecordError::io(dir, "read", e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| RecordError::io(dir, "read", e))?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(SEGMENT_EXT).and_then(|s| s.strip_suffix('.')) else {
            continue;
        };
        if stem.len() == 12
            && stem.bytes().all(|b| b.is_ascii_digit())
            && let Ok(number) = stem.parse()
        {
            names.push(SegmentName { number });
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// The recorder's lock on `dir`: its file is `dir/.recorder.lock`.
pub(crate) fn lock(dir: &Path) -> Result<WriterLock, RecordError> {
    WriterLock::acquire(&dir.join("recorder")).map_err(|error| match error {
        crate::error::OpenError::WriterExists { .. } => {
            RecordError::RecorderExists { dir: dir.to_owned() }
        }
        error => RecordError::Lock { dir: dir.to_owned(), source: error },
    })
}

/// Whether a recorder holds the lock on `dir` now.
pub(crate) fn recorder_alive(dir: &Path) -> bool {
    WriterLock::is_held(&dir.join("recorder"))
}

/// An index entry: the record at byte `offset` of its segment has sequence number `seq` (or
/// starts a gap there) and was recorded at `time_ns`.
pub(crate) fn index_entry(seq: u64, time_ns: u64, offset: u64) -> [u8; INDEX_ENTRY] {
    let mut entry = [0; INDEX_ENTRY];
    entry[..8].copy_from_slice(&seq.to_le_bytes());
    entry[8..16].copy_from_slice(&time_ns.to_le_bytes());
    entry[16..].copy_from_slice(&offset.to_le_bytes());
    entry
}

/// The entries of an index file's bytes: `(seq, time_ns, offset)`; a torn last entry is left
/// out.
pub(crate) fn index_entries(bytes: &[u8]) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
    bytes.chunks_exact(INDEX_ENTRY).map(|entry| {
        let word = |at: usize| {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(&entry[at..at + 8]);
            u64::from_le_bytes(bytes)
        };
        (word(0), word(8), word(16))
    })
}

/// Deletes the oldest segments of `dir` (with their indexes) while all of them take more than
/// `bytes`, and those last written longer than `age` ago; never the newest, which a recorder
/// may be writing. Returns how many it deleted.
pub(crate) fn retain(
    dir: &Path,
    bytes: Option<u64>,
    age: Option<Duration>,
) -> Result<u64, RecordError> {
    if bytes.is_none() && age.is_none() {
        return Ok(0);
    }
    let names = segments(dir)?;
    let Some((_, older)) = names.split_last() else { return Ok(0) };
    let sizes: Vec<(SegmentName, u64, Option<SystemTime>)> = names
        .iter()
        .map(|&name| {
            let meta = std::fs::metadata(segment_path(dir, name)).ok();
            let size = meta.as_ref().map_or(0, std::fs::Metadata::len);
            (name, size, meta.and_then(|meta| meta.modified().ok()))
        })
        .collect();
    let mut total: u64 = sizes.iter().map(|(_, size, _)| size).sum();
    let now = SystemTime::now();
    let mut deleted = 0;
    for (name, size, modified) in sizes.iter().take(older.len()) {
        let too_big = bytes.is_some_and(|limit| total > limit);
        let too_old = age.is_some_and(|age| {
            modified.and_then(|at| now.duration_since(at).ok()).is_some_and(|since| since > age)
        });
        if !too_big && !too_old {
            continue;
        }
        let path = segment_path(dir, *name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(RecordError::io(&path, "delete", e)),
        }
        let _ = std::fs::remove_file(index_path(dir, *name));
        total -= size;
        deleted += 1;
    }
    Ok(deleted)
}

//! [`ResumeFile`]: where an importer notes how far it got, so that its next run can tell how
//! many frames passed while it was down.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::RelayError;

const MAGIC: [u8; 8] = *b"BCRRES01";
const LEN: usize = 32;

/// How far an importer got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// The source channel's epoch.
    pub(crate) epoch: u64,
    /// The source sequence number expected next.
    pub(crate) next_seq: u64,
    /// Messages the local channel held when this was noted.
    pub(crate) written: u64,
}

/// A 32-byte file beside the local channel (`PATH.resume`), rewritten after every batch.
#[derive(Debug)]
pub(crate) struct ResumeFile {
    file: File,
    path: PathBuf,
}

impl ResumeFile {
    /// The resume file of the channel at `channel`.
    pub(crate) fn path_for(channel: &Path) -> PathBuf {
        let mut name = channel.as_os_str().to_owned();
        name.push(".resume");
        PathBuf::from(name)
    }

    /// Opens (or creates) the resume file of `channel` and reads what it holds.
    pub(crate) fn open(channel: &Path) -> Result<(Self, Option<Progress>), RelayError> {
        let path = Self::path_for(channel);
        let fail = |source| RelayError::ResumeFile { path: path.clone(), source };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(fail)?;
        let mut bytes = [0u8; LEN];
        let progress = match file.read_exact_at(&mut bytes, 0) {
            Ok(()) => decode(&bytes),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
            Err(e) => return Err(fail(e)),
        };
        Ok((Self { file, path }, progress))
    }

    /// Notes `progress`.
    pub(crate) fn save(&self, progress: Progress) -> Result<(), RelayError> {
        let mut bytes = [0u8; LEN];
        bytes[..8].copy_from_slice(&MAGIC);
        bytes[8..16].copy_from_slice(&progress.epoch.to_le_bytes());
        bytes[16..24].copy_from_slice(&progress.next_seq.to_le_bytes());
        bytes[24..].copy_from_slice(&progress.written.to_le_bytes());
        self.file
            .write_all_at(&bytes, 0)
            .map_err(|source| RelayError::ResumeFile { path: self.path.clone(), source })
    }
}

fn decode(bytes: &[u8; LEN]) -> Option<Progress> {
    let word = |at: usize| bytes[at..at + 8].try_into().ok().map(u64::from_le_bytes);
    (bytes[..8] == MAGIC).then_some(())?;
    Some(Progress { epoch: word(8)?, next_seq: word(16)?, written: word(24)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_survives_a_reopen() {
        let channel =
            std::env::temp_dir().join(format!("bcast-relay-resume-{}", std::process::id()));
        let path = ResumeFile::path_for(&channel);
        let _ = std::fs::remove_file(&path);
        let (file, found) = ResumeFile::open(&channel).unwrap();
        assert_eq!(found, None);
        let progress = Progress { epoch: 7, next_seq: 1234, written: 99 };
        file.save(progress).unwrap();
        drop(file);
        assert_eq!(ResumeFile::open(&channel).unwrap().1, Some(progress));
        std::fs::write(&path, b"garbage that is not a resume file").unwrap();
        assert_eq!(ResumeFile::open(&channel).unwrap().1, None);
        std::fs::remove_file(&path).unwrap();
    }
}

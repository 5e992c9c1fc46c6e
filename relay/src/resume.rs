//! [`ResumeFile`]: where an importer notes how far it got, so that its next run can tell how
//! many frames passed while it was down.
//!
//! The file is the importer's own: opened without following a symbolic link, refused unless it
//! is a regular file of this user, and kept at mode 0600 whatever the umask. Its content is read
//! as untrusted input: a note whose check word does not match is ignored.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::RelayError;
use crate::wire::fnv1a;

const MAGIC: [u8; 8] = *b"BCRRES02";
/// Magic, epoch, next sequence number, messages written, and a check word over the rest.
const LEN: usize = 40;
/// The mode of a resume file.
const MODE: u32 = 0o600;

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

/// A 40-byte file beside the local channel (`PATH.resume`), rewritten after every batch.
///
/// Each note is one 40-byte write at offset 0 with a check word, so a note torn by a crash is
/// detected and ignored rather than misread.
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
    ///
    /// # Errors
    ///
    /// [`RelayError::UnsafeResumeFile`] if the path is a symbolic link, not a regular file, or
    /// another user's file; [`RelayError::ResumeFile`] if it cannot be opened or read.
    pub(crate) fn open(channel: &Path) -> Result<(Self, Option<Progress>), RelayError> {
        let path = Self::path_for(channel);
        let fail = |source| RelayError::ResumeFile { path: path.clone(), source };
        let refuse = |reason: String| RelayError::UnsafeResumeFile { path: path.clone(), reason };
        // No symbolic link is followed, and a FIFO cannot block the open.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(MODE)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => refuse(
                    "it is a symbolic link, which the importer never follows; remove it".into(),
                ),
                _ => fail(e),
            })?;
        let meta = file.metadata().map_err(fail)?;
        if !meta.file_type().is_file() {
            return Err(refuse("it is not a regular file; remove it".into()));
        }
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        if meta.uid() != euid {
            return Err(refuse(format!(
                "it belongs to uid {}, not to this user (uid {euid}); remove it",
                meta.uid()
            )));
        }
        // The umask may have narrowed the mode of a new file; an old one may be wider.
        if meta.permissions().mode() & 0o7777 != MODE {
            file.set_permissions(std::fs::Permissions::from_mode(MODE)).map_err(fail)?;
        }
        let mut bytes = [0u8; LEN];
        let progress = match file.read_exact_at(&mut bytes, 0) {
            Ok(()) => decode(&bytes),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
            Err(e) => return Err(fail(e)),
        };
        Ok((Self { file, path }, progress))
    }

    /// Notes `progress`, in one write.
    pub(crate) fn save(&self, progress: Progress) -> Result<(), RelayError> {
        let mut bytes = [0u8; LEN];
        bytes[..8].copy_from_slice(&MAGIC);
        bytes[8..16].copy_from_slice(&progress.epoch.to_le_bytes());
        bytes[16..24].copy_from_slice(&progress.next_seq.to_le_bytes());
        bytes[24..32].copy_from_slice(&progress.written.to_le_bytes());
        let check = fnv1a(&bytes[..32]);
        bytes[32..].copy_from_slice(&check.to_le_bytes());
        self.file
            .write_all_at(&bytes, 0)
            .map_err(|source| RelayError::ResumeFile { path: self.path.clone(), source })
    }
}

impl Drop for ResumeFile {
    fn drop(&mut self) {
        // The last note reaches the disk when the importer stops (a no-op on tmpfs); a failure
        // only costs the next run its gap report.
        let _ = self.file.sync_data();
    }
}

/// The note in `bytes`, if it has the magic and its check word matches.
fn decode(bytes: &[u8; LEN]) -> Option<Progress> {
    let word = |at: usize| bytes[at..at + 8].try_into().ok().map(u64::from_le_bytes);
    (bytes[..8] == MAGIC && word(32)? == fnv1a(&bytes[..32])).then_some(())?;
    Some(Progress { epoch: word(8)?, next_seq: word(16)?, written: word(24)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A channel path in the temp directory, unique to the test and process; its resume file
    /// (and `PATH.target`) are removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(test: &str) -> Self {
            let name = format!("bcast-relay-resume-{test}-{}", std::process::id());
            let scratch = Self(std::env::temp_dir().join(name));
            scratch.remove();
            scratch
        }

        fn resume(&self) -> PathBuf {
            ResumeFile::path_for(&self.0)
        }

        fn target(&self) -> PathBuf {
            let mut name = self.0.as_os_str().to_owned();
            name.push(".target");
            PathBuf::from(name)
        }

        fn remove(&self) {
            let _ = std::fs::remove_file(self.resume());
            let _ = std::fs::remove_file(self.target());
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            self.remove();
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn progress_survives_a_reopen() {
        let scratch = Scratch::new("reopen");
        let (file, found) = ResumeFile::open(&scratch.0).unwrap();
        assert_eq!(found, None);
        let progress = Progress { epoch: 7, next_seq: 1234, written: 99 };
        file.save(progress).unwrap();
        drop(file);
        assert_eq!(ResumeFile::open(&scratch.0).unwrap().1, Some(progress));
        std::fs::write(scratch.resume(), b"garbage that is not a resume file").unwrap();
        assert_eq!(ResumeFile::open(&scratch.0).unwrap().1, None);
    }

    #[test]
    fn the_resume_file_is_created_0600_whatever_the_umask() {
        let scratch = Scratch::new("umask");
        // SAFETY: `umask` has no memory effects; it only sets the process's file mode mask,
        // restored at once (files other tests create meanwhile get at most their own mode).
        let previous = unsafe { libc::umask(0) };
        let opened = ResumeFile::open(&scratch.0);
        // SAFETY: as above.
        unsafe { libc::umask(previous) };
        drop(opened.unwrap());
        assert_eq!(mode(&scratch.resume()), 0o600);
    }

    #[test]
    fn an_existing_resume_file_is_made_0600() {
        let scratch = Scratch::new("chmod");
        std::fs::write(scratch.resume(), b"").unwrap();
        std::fs::set_permissions(scratch.resume(), std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(ResumeFile::open(&scratch.0).unwrap());
        assert_eq!(mode(&scratch.resume()), 0o600);
    }

    #[test]
    fn a_symlink_at_the_resume_path_is_refused() {
        let scratch = Scratch::new("symlink");
        std::fs::write(scratch.target(), b"").unwrap();
        std::os::unix::fs::symlink(scratch.target(), scratch.resume()).unwrap();
        let error = ResumeFile::open(&scratch.0).expect_err("a symlink is refused");
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert_eq!(std::fs::read(scratch.target()).unwrap(), b"", "the target is untouched");
    }

    #[test]
    fn another_users_resume_file_is_refused() {
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!(
                "SKIPPED another_users_resume_file_is_refused: giving a file away needs root"
            );
            return;
        }
        let scratch = Scratch::new("owner");
        std::fs::write(scratch.resume(), b"").unwrap();
        std::os::unix::fs::chown(scratch.resume(), Some(65534), Some(65534)).unwrap();
        let error = ResumeFile::open(&scratch.0).expect_err("another user's file is refused");
        assert!(matches!(error, RelayError::UnsafeResumeFile { .. }), "{error:?}");
        assert!(error.to_string().contains("uid 65534"), "{error}");
    }

    #[test]
    fn a_note_altered_on_disk_is_ignored() {
        let scratch = Scratch::new("altered");
        let (file, _) = ResumeFile::open(&scratch.0).unwrap();
        file.save(Progress { epoch: 7, next_seq: 1234, written: 99 }).unwrap();
        drop(file);
        let mut bytes = std::fs::read(scratch.resume()).unwrap();
        bytes[16] ^= 0x40; // next_seq: 1234 becomes 1170
        std::fs::write(scratch.resume(), &bytes).unwrap();
        assert_eq!(ResumeFile::open(&scratch.0).unwrap().1, None);
    }
}

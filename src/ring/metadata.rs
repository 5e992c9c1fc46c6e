//! The channel header's metadata area: typed, versioned sections that describe the channel
//! (today the typed layer's schema registry), appended by its creator or writer and read by
//! anyone.
//!
//! A section is a 16-byte section header and a body, padded with zeros to a multiple of 8:
//!
//! ```text
//! bytes 0..2   kind: what the body is (`SectionKind`)
//! bytes 2..4   version of the body's format, for its kind
//! bytes 4..8   flags: bit 0 "required": a reader that does not know the kind must refuse the
//!              channel; the other bits are reserved, written as 0 and ignored
//! bytes 8..16  body length in bytes
//! bytes 16..   body
//! ```
//!
//! Sections follow each other from the start of the area up to the header's `metadata_len`
//! (H6), which whoever appends stores with Release after the section's bytes. A later section
//! of a kind supersedes the earlier ones: that is how a publisher of a newer version of the
//! channel's schema rolls it over while readers that attached before keep reading (they hold
//! what they read; the area is only ever appended to). A reader skips a
//! section of a kind it does not know unless it is required; a body longer than the format it
//! knows is read by its prefix (formats grow by appending fields, and a change that an older
//! reader would misread takes a new kind). The bytes are untrusted: every length is checked
//! against the area, and a walk ends after at most `METADATA_CAPACITY / 16` sections.

use super::header::{Header, METADATA_CAPACITY};
use crate::error::LayoutError;
use crate::sync::{AtomicU64, Ordering, fence};

/// Bytes of a section header.
const SECTION_HEADER: usize = 16;
/// Flag bit: readers that do not know the section's kind must refuse the channel.
const REQUIRED: u32 = 1;

/// The kinds of section this build knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionKind {
    /// The typed layer's schema registry (`typed::Registry`'s wire format).
    Registry = 1,
    /// The shapes of the channel's message types (`typed::description`'s wire format).
    Description = 2,
}

impl SectionKind {
    fn from_wire(kind: u16) -> Option<Self> {
        [Self::Registry, Self::Description].into_iter().find(|known| *known as u16 == kind)
    }
}

/// A section found in the area: where its body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Section {
    kind: u16,
    flags: u32,
    /// Byte offset of the body in the area.
    body: usize,
    /// Body length in bytes.
    len: usize,
}

/// The metadata area of one ring: the header's `metadata_len` and the area's words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metadata<'a> {
    pub(super) header: &'a Header,
    /// The area, `METADATA_CAPACITY / 8` words.
    pub(super) words: &'a [AtomicU64],
}

/// A section to append: its kind, the version of its body's format, and the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewSection<'a> {
    pub(crate) kind: SectionKind,
    pub(crate) version: u16,
    pub(crate) body: &'a [u8],
}

/// Why sections cannot be appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AppendError {
    /// The area has no room for them.
    Full {
        /// The section to shrink: the first one without which the others fit (the first of
        /// all if none is).
        index: usize,
        /// The longest body that section could have, the others as they are.
        room: usize,
    },
    /// The area is corrupt.
    Layout(LayoutError),
}

/// The [`AppendError::Full`] for `sections`, which take more than `available` bytes.
fn full(
    sections: &[NewSection<'_>],
    available: usize,
    needed: impl Fn(&NewSection<'_>) -> usize,
) -> AppendError {
    let total: usize = sections.iter().map(&needed).sum();
    let room_for = |index: usize| {
        let others = total - needed(&sections[index]);
        available.checked_sub(others + SECTION_HEADER)
    };
    let blamed = (0..sections.len()).find_map(|index| Some((index, room_for(index)?)));
    let (index, room) = blamed.unwrap_or((0, 0));
    AppendError::Full { index, room }
}

impl Metadata<'_> {
    /// Checks every published section: well-formed, and none required of a kind this build does
    /// not know.
    ///
    /// # Errors
    ///
    /// [`LayoutError::CorruptMetadata`] or [`LayoutError::UnknownSection`].
    pub(crate) fn check(&self) -> Result<(), LayoutError> {
        self.find(|_| false).map(|_| ())
    }

    /// The body of the last section of `kind` (which supersedes the earlier ones), or `None`
    /// if there is none.
    ///
    /// # Errors
    ///
    /// As for [`check`](Self::check).
    pub(crate) fn section(&self, kind: SectionKind) -> Result<Option<Vec<u8>>, LayoutError> {
        let Some(section) = self.find(|found| found == kind as u16)? else { return Ok(None) };
        let mut body = vec![0; section.len];
        self.load(section.body, &mut body);
        Ok(Some(body))
    }

    /// The bodies of every section of `kind`, oldest first: a channel rolled over to later
    /// versions of its types keeps the descriptions of the earlier ones.
    ///
    /// # Errors
    ///
    /// As for [`check`](Self::check).
    pub(crate) fn sections(&self, kind: SectionKind) -> Result<Vec<Vec<u8>>, LayoutError> {
        let mut sections = Vec::new();
        self.walk(|section| sections.push(section))?;
        let bodies = sections.into_iter().filter(|section| section.kind == kind as u16);
        Ok(bodies
            .map(|section| {
                let mut body = vec![0; section.len];
                self.load(section.body, &mut body);
                body
            })
            .collect())
    }

    /// Appends `sections`, in order, and publishes them together: a reader sees all of them or
    /// none.
    ///
    /// Only the ring's creator or its writer may call this (H3): they are the only ones who
    /// append, so nobody else stores to the area meanwhile.
    ///
    /// # Errors
    ///
    /// [`AppendError::Full`] if they do not all fit, and then nothing is stored;
    /// [`AppendError::Layout`] if the area is corrupt.
    pub(crate) fn append(&self, sections: &[NewSection<'_>]) -> Result<(), AppendError> {
        let start = self.published().map_err(AppendError::Layout)?;
        let available = METADATA_CAPACITY - start;
        let needed =
            |section: &NewSection<'_>| SECTION_HEADER + section.body.len().next_multiple_of(8);
        let total: usize = sections.iter().map(needed).sum();
        if total > available {
            return Err(full(sections, available, needed));
        }
        let mut at = start;
        for section in sections {
            let head = u64::from(section.kind as u16) | u64::from(section.version) << 16;
            self.store(at, &head.to_le_bytes());
            self.store(at + 8, &(section.body.len() as u64).to_le_bytes());
            self.store(at + SECTION_HEADER, section.body);
            at += needed(section);
        }
        // Release: publishes the sections' words stored above (H6). Pairs with the
        // fence(Acquire) in `published`.
        self.header.metadata_len.store(at as u64, Ordering::Release);
        Ok(())
    }

    /// Bytes of sections published, checked against H6.
    fn published(&self) -> Result<usize, LayoutError> {
        let len = self.header.metadata_len.load(Ordering::Relaxed);
        // Acquire: pairs with the Release store of `metadata_len` in `append`, so the section
        // words loaded after this are the ones stored before it.
        fence(Ordering::Acquire);
        usize::try_from(len)
            .ok()
            .filter(|&len| len <= METADATA_CAPACITY && len.is_multiple_of(8))
            .ok_or(LayoutError::CorruptMetadata { offset: len })
    }

    /// The last published section whose kind `wanted` accepts, after checking every section.
    fn find(&self, wanted: impl Fn(u16) -> bool) -> Result<Option<Section>, LayoutError> {
        let mut found = None;
        self.walk(|section| {
            if wanted(section.kind) {
                found = Some(section);
            }
        })?;
        Ok(found)
    }

    /// Visits every published section, in order, failing at one that is corrupt or required of
    /// a kind this build does not know.
    fn walk(&self, mut visit: impl FnMut(Section)) -> Result<(), LayoutError> {
        let end = self.published()?;
        let mut at = 0;
        // Each section takes at least 16 bytes of a bounded area: the walk ends.
        while at < end {
            let section = self.section_at(at, end)?;
            if SectionKind::from_wire(section.kind).is_none() && section.flags & REQUIRED != 0 {
                return Err(LayoutError::UnknownSection { kind: section.kind });
            }
            at = section.body + section.len.next_multiple_of(8);
            visit(section);
        }
        Ok(())
    }

    /// The section whose header is at byte `at`, which must end by `end`.
    fn section_at(&self, at: usize, end: usize) -> Result<Section, LayoutError> {
        let corrupt = LayoutError::CorruptMetadata { offset: at as u64 };
        if end - at < SECTION_HEADER {
            return Err(corrupt);
        }
        let body = at + SECTION_HEADER;
        let room = end - body;
        // `len <= room` first: a hostile length near 2^64 is never rounded up.
        let len = usize::try_from(self.word(at + 8))
            .ok()
            .filter(|&len| len <= room && len.next_multiple_of(8) <= room)
            .ok_or(corrupt)?;
        let [k0, k1, _, _, f0, f1, f2, f3] = self.word(at).to_le_bytes();
        let (kind, flags) = (u16::from_le_bytes([k0, k1]), u32::from_le_bytes([f0, f1, f2, f3]));
        Ok(Section { kind, flags, body, len })
    }

    /// The word at byte offset `at` (a multiple of 8, inside the area).
    fn word(&self, at: usize) -> u64 {
        self.words[at / 8].load(Ordering::Relaxed)
    }

    /// Copies `dst.len()` bytes from byte offset `at` (a multiple of 8) of the area.
    fn load(&self, at: usize, dst: &mut [u8]) {
        for (chunk, slot) in dst.chunks_mut(8).zip(&self.words[at / 8..]) {
            let word = slot.load(Ordering::Relaxed).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    /// Stores `src`, padded with zeros to whole words, at byte offset `at` (a multiple of 8).
    fn store(&self, at: usize, src: &[u8]) {
        for (chunk, slot) in src.chunks(8).zip(&self.words[at / 8..]) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            slot.store(u64::from_le_bytes(word), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::storage::{Pages, Storage};
    use super::{AppendError, METADATA_CAPACITY, Metadata, NewSection, SectionKind};
    use crate::error::LayoutError;
    use crate::sync::Ordering;

    fn with_area(test: impl FnOnce(Metadata<'_>)) {
        let storage =
            Storage::heap(256, &super::super::table::TableLayout::default(), 1, Pages::Lazy);
        test(storage.ring().metadata());
    }

    /// Stores a section header by hand, as a newer or hostile writer would.
    fn put(area: &Metadata<'_>, at: usize, kind: u16, flags: u32, len: u64) {
        let head = u64::from(kind) | u64::from(flags) << 32;
        area.words[at / 8].store(head, Ordering::Relaxed);
        area.words[at / 8 + 1].store(len, Ordering::Relaxed);
    }

    fn registry(body: &[u8]) -> NewSection<'_> {
        NewSection { kind: SectionKind::Registry, version: 1, body }
    }

    fn publish(area: &Metadata<'_>, len: u64) {
        area.header.metadata_len.store(len, Ordering::Release);
    }

    #[test]
    fn an_appended_section_reads_back_after_sections_of_unknown_kinds() {
        with_area(|area| {
            assert_eq!(area.section(SectionKind::Registry), Ok(None));
            // A newer writer's optional section of a kind this build does not know.
            put(&area, 0, 77, 0, 5);
            publish(&area, 24);
            area.append(&[registry(b"registry bytes")]).expect("fits");
            assert_eq!(area.header.metadata_len.load(Ordering::Relaxed), 24 + 16 + 16);
            assert_eq!(area.check(), Ok(()));
            let body = area.section(SectionKind::Registry).expect("well-formed");
            assert_eq!(body.as_deref(), Some(&b"registry bytes"[..]));
        });
    }

    #[test]
    fn a_required_section_of_an_unknown_kind_is_refused() {
        with_area(|area| {
            put(&area, 0, 77, 1, 0);
            publish(&area, 16);
            assert_eq!(area.check(), Err(LayoutError::UnknownSection { kind: 77 }));
            assert!(area.section(SectionKind::Registry).is_err());
        });
    }

    #[test]
    fn malformed_lengths_are_corrupt_metadata_never_a_panic() {
        let cases: [(u64, u64, u64); 6] = [
            // (published length, body length at 0, offset reported)
            (METADATA_CAPACITY as u64 + 8, 0, METADATA_CAPACITY as u64 + 8),
            (12, 0, 12),
            (8, 0, 0),
            (32, 17, 0),
            (32, u64::MAX, 0),
            (32, u64::MAX - 3, 0),
        ];
        for (published, len, offset) in cases {
            with_area(|area| {
                put(&area, 0, SectionKind::Registry as u16, 0, len);
                publish(&area, published);
                let corrupt = LayoutError::CorruptMetadata { offset };
                assert_eq!(area.check(), Err(corrupt), "published {published}, len {len}");
                assert_eq!(area.section(SectionKind::Registry), Err(corrupt));
                let append = area.append(&[registry(b"x")]);
                if published > METADATA_CAPACITY as u64 || !published.is_multiple_of(8) {
                    assert_eq!(append, Err(AppendError::Layout(corrupt)));
                }
            });
        }
    }

    #[test]
    fn a_later_section_of_a_kind_supersedes_the_earlier_ones() {
        with_area(|area| {
            area.append(&[registry(b"version 1")]).expect("fits");
            let description =
                NewSection { kind: SectionKind::Description, version: 1, body: b"shapes" };
            area.append(&[description, registry(b"version 2")]).expect("fits");
            assert_eq!(area.section(SectionKind::Registry), Ok(Some(b"version 2".to_vec())));
            assert_eq!(area.section(SectionKind::Description), Ok(Some(b"shapes".to_vec())));
        });
    }

    #[test]
    fn a_full_area_of_empty_sections_is_walked_to_its_end() {
        with_area(|area| {
            publish(&area, METADATA_CAPACITY as u64);
            assert_eq!(area.check(), Ok(()));
            assert_eq!(area.section(SectionKind::Registry), Ok(None));
            let full = area.append(&[registry(b"x")]);
            assert_eq!(full, Err(AppendError::Full { index: 0, room: 0 }));
        });
    }

    #[test]
    fn a_section_too_large_for_the_area_is_refused_and_stores_nothing() {
        with_area(|area| {
            let body = vec![7u8; METADATA_CAPACITY];
            let room = METADATA_CAPACITY - 16;
            assert_eq!(area.append(&[registry(&body)]), Err(AppendError::Full { index: 0, room }));
            assert_eq!(area.header.metadata_len.load(Ordering::Relaxed), 0);
            area.append(&[registry(&body[..room])]).expect("exactly fits");
            let stored = area.section(SectionKind::Registry).expect("valid").expect("present");
            assert_eq!(stored.len(), room);
        });
    }

    #[test]
    fn sections_that_do_not_all_fit_store_nothing_and_name_the_one_to_shrink() {
        with_area(|area| {
            let description = NewSection {
                kind: SectionKind::Description,
                version: 1,
                body: &[1; METADATA_CAPACITY - 64],
            };
            let registry = registry(&[2; 40]);
            // Each fits alone; together the description must shrink to leave the registry
            // its 16 + 40 bytes.
            assert_eq!(
                area.append(&[description, registry]),
                Err(AppendError::Full { index: 0, room: METADATA_CAPACITY - 56 - 16 })
            );
            assert_eq!(area.header.metadata_len.load(Ordering::Relaxed), 0);
            assert_eq!(area.section(SectionKind::Description), Ok(None));
            area.append(&[registry, registry]).expect("both fit");
            assert_eq!(area.section(SectionKind::Registry), Ok(Some(vec![2; 40])));
            assert_eq!(area.header.metadata_len.load(Ordering::Relaxed), 2 * 56);
        });
    }
}

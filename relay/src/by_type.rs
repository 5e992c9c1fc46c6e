//! [`TypeCount`]: frames counted per message type, and the tally behind the relay's per-type
//! losses.

use std::collections::BTreeMap;

use bcast::TagLosses;
use bcast::typed::Registry;

/// Frames of one message type: lost by an [`Exporter`](crate::Exporter)'s reader
/// ([`Exporter::lost_by_type`](crate::Exporter::lost_by_type)) or missed by an
/// [`Importer`](crate::Importer) ([`Importer::missed_by_type`](crate::Importer::missed_by_type)).
///
/// Counted from the tag sequence typed publishers stamp on every frame (see
/// [`bcast::TagLosses`]): a gap in a type's numbers is that many frames of that type. Frames of
/// raw writers carry none, so an untyped channel has no per-type counts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeCount {
    /// The frames' tag.
    pub tag: u32,
    /// The type's name in the channel's registry; `None` for a tag the registry does not list.
    pub name: Option<String>,
    /// Frames of this type counted.
    pub count: u64,
}

impl TypeCount {
    /// A count of `count` frames of the type tagged `tag`, called `name`.
    pub fn new(tag: u32, name: Option<String>, count: u64) -> Self {
        Self { tag, name, count }
    }

    /// `Name count, Other count` (`tag N` where the name is not known, control characters in
    /// names escaped), for the relay's lines.
    ///
    /// # Examples
    ///
    /// ```
    /// use bcast_relay::TypeCount;
    ///
    /// let counts = [TypeCount::new(1, Some("Quote".into()), 0), TypeCount::new(7, None, 3)];
    /// assert_eq!(TypeCount::list(&counts), "Quote 0, tag 7 3");
    /// ```
    pub fn list(counts: &[TypeCount]) -> String {
        let item = |c: &TypeCount| match &c.name {
            // Names come from the channel or the network: escaped for the terminal.
            Some(name) => format!("{} {}", name.escape_debug(), c.count),
            None => format!("tag {} {}", c.tag, c.count),
        };
        counts.iter().map(item).collect::<Vec<_>>().join(", ")
    }
}

/// Per-type losses over a relay's life: the counts of sources it is done with, and the live
/// counter of the current one.
#[derive(Debug, Clone, Default)]
pub(crate) struct TypeTally {
    /// The current source's types, in registry order.
    names: Vec<(u32, String)>,
    /// Counts of earlier sources, by tag.
    done: BTreeMap<u32, u64>,
    /// The current source's counter.
    pub(crate) current: TagLosses,
}

impl TypeTally {
    /// A tally whose first source has `registry`.
    pub(crate) fn new(registry: Option<&Registry>) -> Self {
        let mut tally = Self::default();
        tally.restart(registry);
        tally
    }

    /// Moves on to a new source with `registry`: the current counts are kept, and counting
    /// starts afresh (a new source numbers its frames anew).
    pub(crate) fn restart(&mut self, registry: Option<&Registry>) {
        for (tag, lost) in std::mem::take(&mut self.current).iter() {
            *self.done.entry(tag).or_default() += lost;
        }
        self.names = registry
            .map(|r| r.types.iter().map(|t| (t.tag, t.name.to_string())).collect())
            .unwrap_or_default();
    }

    /// The counts: every type of the registry, in its order, then any other tag with frames
    /// counted, by tag.
    pub(crate) fn counts(&self) -> Vec<TypeCount> {
        let mut by_tag = self.done.clone();
        for (tag, lost) in self.current.iter() {
            *by_tag.entry(tag).or_default() += lost;
        }
        let mut counts: Vec<TypeCount> = self
            .names
            .iter()
            .map(|(tag, name)| TypeCount {
                tag: *tag,
                name: Some(name.clone()),
                count: by_tag.remove(tag).unwrap_or(0),
            })
            .collect();
        counts.extend(by_tag.into_iter().map(|(tag, count)| TypeCount { tag, name: None, count }));
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_list_the_registry_first_and_survive_a_new_source() {
        let mut tally = TypeTally::default();
        // Tag 1's second and third frames (seq 11, 12) and tag 9's second (seq 14) missing.
        for (tag, seq, tag_seq) in [(1, 10, 1), (9, 13, 1), (1, 15, 4), (9, 16, 3)] {
            tally.current.observe_numbers(tag, seq, tag_seq);
        }
        assert_eq!(TypeCount::list(&tally.counts()), "tag 1 2, tag 9 1");
        tally.restart(None);
        // The new source numbers afresh: no loss, and the earlier ones are kept.
        tally.current.observe_numbers(1, 0, 1);
        tally.current.observe_numbers(1, 2, 3);
        assert_eq!(TypeCount::list(&tally.counts()), "tag 1 3, tag 9 1");
    }
}

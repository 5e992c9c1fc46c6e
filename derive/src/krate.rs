//! Where the `bcast` crate is, seen from the crate being compiled: the path that generated
//! code starts with when the input has no `crate = "..."` key.
//!
//! The answer comes from the caller's `Cargo.toml` (`CARGO_MANIFEST_DIR`), read once per
//! compiled crate:
//!
//! - a dependency named `bcast` is what `::bcast` names, so it wins, even beside renamed ones
//!   (a benchmark that compares bcast with an older release of itself has both);
//! - otherwise exactly one dependency whose `package` is `"bcast"` (`bcast2 = { package =
//!   "bcast", ... }`, also through `bcast2.workspace = true`) gives `::bcast2`;
//! - otherwise (no manifest, none or several renamed ones, or the `bcast` package itself, whose
//!   tests and examples link the library as `bcast`) it is `::bcast`, and a caller that reaches
//!   the crate another way says where with `crate = "..."`.

use std::path::{Path as FsPath, PathBuf};
use std::sync::OnceLock;

use syn::{Ident, Path};
use toml_edit::{DocumentMut, Item, Table};

/// The package whose path this finds.
const PACKAGE: &str = "bcast";

/// `::bcast`, or `::<name>` when the caller depends on bcast under another name.
pub(crate) fn default_path() -> Path {
    static NAME: OnceLock<Option<String>> = OnceLock::new();
    let name = NAME.get_or_init(|| {
        let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        renamed(&manifest, |table| workspace_dependency(&dir, table))
    });
    match name.as_deref().map(syn::parse_str::<Ident>) {
        Some(Ok(ident)) => syn::parse_quote!(::#ident),
        _ => syn::parse_quote!(::bcast),
    }
}

/// The name under which `manifest` depends on the bcast package, if it is not `bcast` and is
/// the only one; `inherited(name)` reads the workspace's entry of a `name.workspace = true`
/// dependency.
fn renamed(manifest: &str, inherited: impl Fn(&str) -> Option<Item>) -> Option<String> {
    let document: DocumentMut = manifest.parse().ok()?;
    let mut names = Vec::new();
    for table in dependency_tables(document.as_table()) {
        for (name, entry) in table.iter() {
            if name == PACKAGE {
                return None;
            }
            let workspace = entry.get("workspace").and_then(Item::as_bool) == Some(true);
            let entry = if workspace { inherited(name) } else { Some(entry.clone()) };
            if entry.as_ref().and_then(|e| e.get("package")).and_then(Item::as_str) == Some(PACKAGE)
            {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    match names.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The `[dependencies]`, `[dev-dependencies]` and `[build-dependencies]` tables of `root`, and
/// those of its `[target.'cfg(...)']` sections.
fn dependency_tables(root: &Table) -> Vec<&Table> {
    fn of(table: &Table) -> Vec<&Table> {
        const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
        KINDS.iter().filter_map(|kind| table.get(kind)?.as_table()).collect()
    }
    let mut tables = of(root);
    if let Some(targets) = root.get("target").and_then(Item::as_table) {
        for (_, target) in targets.iter() {
            if let Some(target) = target.as_table() {
                tables.extend(of(target));
            }
        }
    }
    tables
}

/// The `[workspace.dependencies]` entry `name` of the first manifest above `dir` that has a
/// `[workspace]` table.
fn workspace_dependency(dir: &FsPath, name: &str) -> Option<Item> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(text) = std::fs::read_to_string(ancestor.join("Cargo.toml")) else { continue };
        let document: DocumentMut = text.parse().ok()?;
        if let Some(workspace) = document.get("workspace") {
            return workspace.get("dependencies")?.get(name).cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(manifest: &str) -> Option<String> {
        renamed(manifest, |_| None)
    }

    #[test]
    fn a_dependency_named_bcast_wins_even_beside_renamed_ones() {
        assert_eq!(found("[dependencies]\nbcast = \"0.1\"\n"), None);
        let both = "[dependencies]\nold = { package = \"bcast\", version = \"0.0.6\" }\n\
                    bcast = { path = \"..\" }\n";
        assert_eq!(found(both), None);
    }

    #[test]
    fn one_renamed_dependency_is_found_in_any_dependency_table() {
        let plain = "[dependencies]\nbcast2 = { package = \"bcast\", version = \"0.1\" }\n";
        assert_eq!(found(plain).as_deref(), Some("bcast2"));
        let dotted = "[dev-dependencies.feed]\npackage = \"bcast\"\nversion = \"0.1\"\n";
        assert_eq!(found(dotted).as_deref(), Some("feed"));
        let target = "[target.'cfg(unix)'.dependencies]\nb = { package = \"bcast\" }\n";
        assert_eq!(found(target).as_deref(), Some("b"));
    }

    #[test]
    fn several_renamed_dependencies_or_none_give_the_default() {
        let two = "[dependencies]\na = { package = \"bcast\" }\nb = { package = \"bcast\" }\n";
        assert_eq!(found(two), None);
        assert_eq!(found("[dependencies]\nserde = \"1\"\n"), None);
        assert_eq!(found("not toml ["), None);
    }

    #[test]
    fn a_workspace_inherited_rename_is_read_from_the_workspace() {
        let member = "[dependencies]\nbus = { workspace = true }\n";
        let workspace: DocumentMut =
            "[workspace.dependencies]\nbus = { package = \"bcast\" }\n".parse().expect("toml");
        let entry = |name: &str| workspace["workspace"]["dependencies"].get(name).cloned();
        assert_eq!(renamed(member, entry).as_deref(), Some("bus"));
    }
}

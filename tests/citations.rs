//! Every file that the code's comments and docs cite exists in the repository: a citation like
//! `docs/protocol.md` or `ci/miri.sh` in a comment must resolve from the workspace root or from
//! the citing crate's root, and nothing cites files outside the repository.

use std::path::{Path, PathBuf};

/// Extensions that mark a backticked word as a file citation.
const CITED: &[&str] = &[".md", ".rs", ".sh", ".py", ".toml"];

/// Folders whose files are read, relative to the workspace root.
const READ: &[&str] = &[
    "src",
    "tests",
    "examples",
    "derive",
    "cli",
    "relay",
    "bench-compare",
    "ci",
    "fixtures",
    "python",
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        // Build outputs, UI fixtures, and hidden folders (a virtual environment's `.venv`).
        let skipped = name == "target" || name == "ui" || name.to_string_lossy().starts_with('.');
        if path.is_dir() && !skipped {
            files(&path, out);
        } else if ["rs", "sh"].iter().any(|ext| path.extension().is_some_and(|e| e == *ext)) {
            out.push(path);
        }
    }
}

/// The backticked words of `text` that look like relative file paths.
fn citations(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| CITED.iter().any(|ext| word.ends_with(ext)))
        .filter(|word| word.contains('/') && !word.starts_with('/') && !word.contains(' '))
        .collect()
}

/// The crate root of a file: the nearest ancestor with a `Cargo.toml`.
fn crate_root(file: &Path) -> &Path {
    file.ancestors().find(|dir| dir.join("Cargo.toml").is_file()).expect("a crate root")
}

#[test]
fn every_cited_file_exists_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in READ {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 50, "too few files found under {}", root.display());
    let mut missing = Vec::new();
    for file in &all {
        let text = std::fs::read_to_string(file).expect("a readable file");
        for cited in citations(&text) {
            let found = [root, crate_root(file)].iter().any(|base| base.join(cited).exists());
            if !found || cited.contains("..") || cited.contains("DESIGN.md") {
                missing.push(format!("{}: `{cited}`", file.strip_prefix(root).unwrap().display()));
            }
        }
    }
    assert!(missing.is_empty(), "citations that do not resolve in the repository: {missing:#?}");
}

#[test]
fn the_scanner_finds_citations() {
    let text = "see `docs/protocol.md` and `ci/miri.sh`, not `/dev/shm/x.rs` or `a.rs`";
    assert_eq!(citations(text), ["docs/protocol.md", "ci/miri.sh"]);
}

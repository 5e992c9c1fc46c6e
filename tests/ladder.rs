//! The module ladder: every module of `src/` has a rank, and no module may name one of a higher
//! rank (a `use` or a `crate::`/`super::` path in code). Acyclic is not enough: an acyclic graph
//! can still point upward, and an upward import is where the next cycle starts.
//!
//! The ranks, bottom to top, are the table of `docs/architecture.md`; modules of one rank may
//! use each other.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// Modules by rank, bottom to top, as the table in `docs/architecture.md` gives them: the page
/// is the one place the ranks are written, and this test holds the code to it.
static RANKS: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md");
    let page = std::fs::read_to_string(page).expect("docs/architecture.md is readable");
    let mut ranks = Vec::new();
    for line in page.lines() {
        // `| 3 | `ring::metadata` | what it holds |`
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, rank, modules, ..] = cells[..] else { continue };
        let Ok(rank) = rank.parse::<usize>() else { continue };
        assert_eq!(rank, ranks.len() + 1, "the ranks are numbered 1, 2, 3, ... in the table");
        let names = modules.split(',').map(|name| name.trim().trim_matches('`').to_owned());
        ranks.push(names.collect::<Vec<_>>());
    }
    assert!(ranks.len() > 10, "the rank table of docs/architecture.md was not found");
    ranks
});

/// The rank of module `path` (`a::b::c`), by its nearest listed ancestor; `None` if it has
/// none. `crate` (the root, which re-exports) is above everything.
fn listed_rank(path: &str) -> Option<usize> {
    let mut path = path;
    loop {
        if path == "crate" {
            return Some(RANKS.len());
        }
        if path.is_empty() {
            return None;
        }
        if let Some(rank) = RANKS.iter().position(|names| names.iter().any(|name| name == path)) {
            return Some(rank);
        }
        path = path.rsplit_once("::").map_or("", |(parent, _)| parent);
    }
}

/// The rank of `path`; one that is not listed is taken to be at the top.
fn rank(path: &str) -> usize {
    listed_rank(path).unwrap_or(RANKS.len())
}

/// The module a source file defines: `src/ring/raw.rs` is `ring::raw`, `src/ring/mod.rs` is
/// `ring`, `src/lib.rs` is `crate`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src/").with_extension("");
    let parts: Vec<String> =
        relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    let parts: Vec<&str> = match parts.last().map(String::as_str) {
        Some("mod" | "lib") => parts[..parts.len() - 1].iter().map(String::as_str).collect(),
        _ => parts.iter().map(String::as_str).collect(),
    };
    if parts.is_empty() { "crate".to_owned() } else { parts.join("::") }
}

/// Source text without comments, so that prose naming a module is not taken for an import, and
/// without the unit tests at the end of the file (from its first `#[cfg(test)]` or
/// `#[cfg(all(test, ...))]`): tests may reach up the ladder, production code may not.
fn code_of(text: &str) -> String {
    text.lines()
        .take_while(|line| !line.trim_start().starts_with("#[cfg(test)]"))
        .take_while(|line| !line.trim_start().starts_with("#[cfg(all(test"))
        .map(|line| line.split_once("//").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path the code of module `module` names through `crate::` or `super::`, resolved to
/// `a::b::c` from the crate root; `use` trees with braces are expanded, and `super` inside an
/// inline `mod name { ... }` is resolved from that inline module.
fn referenced(module: &str, code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let tokens = tokens(code);
    // Inline modules open at the current point: (name, brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                depth += 1;
                inline.push((tokens[i + 1].clone(), depth));
                i += 3;
                continue;
            }
            "{" => depth += 1,
            "}" => {
                if inline.last().is_some_and(|&(_, at)| at == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        // `crate` and `super` start a path only before `::` (not in `pub(crate)`).
        let starts_path = tokens.get(i + 1).is_some_and(|next| next == "::");
        if (tokens[i] == "crate" || tokens[i] == "super") && starts_path {
            let here: Vec<&str> = std::iter::once(module)
                .filter(|m| *m != "crate")
                .chain(inline.iter().map(|(name, _)| name.as_str()))
                .collect();
            let (paths, next) = path_tree(&tokens, i);
            for path in paths {
                if let Some(resolved) = resolve(&here.join("::"), &path) {
                    found.insert(resolved);
                }
            }
            i = next;
        } else {
            i += 1;
        }
    }
    found
}

/// Identifiers, `::`, braces and commas; everything else ends a path.
fn tokens(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            let mut ident = c.to_string();
            while let Some(&next) = chars.peek().filter(|n| n.is_alphanumeric() || **n == '_') {
                ident.push(next);
                chars.next();
            }
            tokens.push(ident);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            tokens.push("::".to_owned());
        } else if matches!(c, '{' | '}' | ',') {
            tokens.push(c.to_string());
        } else if !c.is_whitespace() {
            tokens.push(";".to_owned());
        }
    }
    tokens
}

/// The paths of the path or use tree starting at `tokens[start]`, and the index after it.
fn path_tree(tokens: &[String], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = start;
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                let mut paths = Vec::new();
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        Some("}") => return (paths, i + 1),
                        Some(",") => i += 1,
                        Some(_) => {
                            let (inner, next) = path_tree(tokens, i);
                            for path in inner {
                                paths.push([prefix.clone(), path].concat());
                            }
                            if next == i {
                                i += 1;
                            } else {
                                i = next;
                            }
                        }
                        None => return (paths, i),
                    }
                }
            }
            Some("::") => i += 1,
            Some(";" | "}" | ",") | None => return (vec![prefix], i),
            Some(ident) => {
                prefix.push(ident.to_owned());
                i += 1;
                if tokens.get(i).map(String::as_str) != Some("::") {
                    return (vec![prefix], i);
                }
            }
        }
    }
}

/// `path` as named in module `module`, from the crate root (`crate::` and `super::` resolved);
/// `None` for a path that leaves the crate.
fn resolve(module: &str, path: &[String]) -> Option<String> {
    let mut base: Vec<&str> = if module.is_empty() || module == "crate" {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    let path: Vec<&str> = base.into_iter().chain(rest.iter().map(String::as_str)).collect();
    Some(if path.is_empty() { "crate".to_owned() } else { path.join("::") })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Every upward import in `src/`, as `(importing module, imported path)`.
fn upward_imports() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = BTreeSet::new();
    for file in files {
        let module = module_of(&src, &file);
        let code = code_of(&std::fs::read_to_string(&file).expect("a readable source file"));
        for path in referenced(&module, &code) {
            if rank(&path) > rank(&module) {
                upward.insert((module.clone(), path));
            }
        }
    }
    upward
}

#[test]
fn every_module_has_a_rank() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let unranked: Vec<String> = files
        .iter()
        .map(|file| module_of(&src, file))
        .filter(|module| listed_rank(module).is_none())
        .collect();
    assert!(unranked.is_empty(), "add these to docs/architecture.md's table: {unranked:?}");
}

#[test]
fn no_module_imports_one_of_a_higher_rank() {
    let upward = upward_imports();
    assert!(upward.is_empty(), "imports that point to a higher rank: {upward:#?}");
}

#[test]
fn the_checker_sees_use_trees_inline_paths_and_super() {
    let code = code_of(
        "use crate::ring::{frame::FrameHeader, header::{Header, HEADER_SIZE}};\n\
         use super::Cursor; // crate::typed in a comment\n\
         mod sealed { impl Sealed for super::Fast {} }\n\
         fn f() { crate::typed::json::wake(); }",
    );
    let found = referenced("reader::frames", &code);
    let expected = [
        "reader::Cursor",
        "reader::frames::Fast",
        "ring::frame::FrameHeader",
        "ring::header::HEADER_SIZE",
        "ring::header::Header",
        "typed::json::wake",
    ];
    assert_eq!(found.iter().map(String::as_str).collect::<Vec<_>>(), expected);
    assert_eq!(rank("ring::frame::FrameHeader"), 1);
    assert_eq!(rank("reader::Cursor"), rank("reader"));
    assert!(rank("typed::json::wake") > rank("reader::frames"), "an upward import is seen as one");
    assert_eq!(module_of(Path::new("src"), Path::new("src/ring/mod.rs")), "ring");
    assert_eq!(module_of(Path::new("src"), Path::new("src/lib.rs")), "crate");
}

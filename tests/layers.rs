//! The layering of `src/` is checked, not just described: every
//! `crate::…` path in the source is an edge from the module it appears in
//! to the top-level module it names, and
//!
//! - every edge must be allowed by the "may import" column of
//!   `docs/architecture.md` (so the document stays true),
//! - the allowed edges themselves must not form a circle,
//! - every top-level module in `src/` has a row there and every row a module,
//! - and siblings inside one folder (`source/git` and `source/files`, the
//!   verifiers) do not import each other in a circle either.
//!
//! Only files inside the repository are read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file: `src/verify/aws.rs` -> `[verify, aws]`,
/// `src/source/git/mod.rs` -> `[source, git]`; the crate roots are `[]`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root().join("src")).expect("under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Code without comments: doc links such as [`crate::group`] are not imports.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|line| match line.find("//") {
        // A `//` inside a string (a URL) is rare in `use` lines; cutting
        // there at worst drops a path, and the check only ever sees fewer
        // edges for it, never invented ones.
        Some(i) => &line[..i],
        None => line,
    })
}

/// The first path segment after each `crate::` (or each item of a
/// `crate::{a, b::c}` group).
fn crate_refs(line: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        // `keyhound::` in tests is not in src/; `$crate::` in macros is
        // the same crate.
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                refs.extend(first_ident(item.trim()));
            }
        } else {
            refs.extend(first_ident(rest));
        }
    }
    refs
}

fn first_ident(s: &str) -> Option<String> {
    let ident: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    // Items of the crate root (`crate::VERSION`) are not modules.
    (!ident.is_empty() && ident.starts_with(|c: char| c.is_ascii_lowercase())).then_some(ident)
}

/// `super::x` in a file whose module path is `[a, b]` names `a::x`.
fn super_refs(line: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("super::") {
        rest = &rest[i + "super::".len()..];
        if rest.starts_with("super::") {
            continue; // deeper than a sibling: not a sibling edge
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                refs.extend(first_ident(item.trim()));
            }
        } else {
            refs.extend(first_ident(rest));
        }
    }
    refs
}

/// The "may import" table of docs/architecture.md: rows of the form
/// ``| `module` | what it is | `a`, `b` |`` (or `—` for nothing).
fn allowed_imports() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md"))
        .expect("docs/architecture.md exists");
    let mut table = BTreeMap::new();
    let section = doc
        .split("## What each module may import")
        .nth(1)
        .expect("docs/architecture.md has a 'What each module may import' section");
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // ["", module, role, imports, ""]
        if cells.len() < 5 || !cells[1].starts_with('`') {
            continue;
        }
        let module = cells[1].trim_matches('`').to_string();
        let imports = cells[3]
            .split(',')
            .map(|s| s.trim().trim_matches('`').to_string())
            .filter(|s| !s.is_empty() && s != "—")
            .collect();
        table.insert(module, imports);
    }
    assert!(!table.is_empty(), "no rows found in the import table");
    table
}

/// Top-level modules declared in src/lib.rs.
fn declared_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect()
}

struct Edges {
    /// top-level module -> top-level modules it names, with one file each.
    top: BTreeMap<String, BTreeMap<String, PathBuf>>,
    /// `a::x` -> `a::y` between siblings of one folder.
    siblings: BTreeMap<String, BTreeSet<String>>,
}

fn edges() -> Edges {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut top: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    let mut siblings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let path = module_path(&file);
        let text = std::fs::read_to_string(&file).expect("source is readable");
        let from = path.first().cloned().unwrap_or_else(|| "crate".to_string());
        for line in code_lines(&text) {
            for to in crate_refs(line) {
                if to != from {
                    top.entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| file.clone());
                }
            }
            // Sibling edges inside one folder: from `a::x` (any depth
            // below) to `a::y`, by `crate::a::y` or by `super::y` in
            // `a::x` itself.
            if path.len() >= 2 {
                let me = format!("{}::{}", path[0], path[1]);
                let mut named: Vec<String> = Vec::new();
                let full = format!("crate::{}::", path[0]);
                let mut rest = line;
                while let Some(i) = rest.find(&full) {
                    rest = &rest[i + full.len()..];
                    named.extend(first_ident(rest));
                }
                if path.len() == 2 {
                    named.extend(super_refs(line));
                }
                for y in named {
                    let other = format!("{}::{}", path[0], y);
                    let is_module = root().join("src").join(&path[0]).join(&y).is_dir()
                        || root()
                            .join("src")
                            .join(&path[0])
                            .join(format!("{y}.rs"))
                            .is_file();
                    if other != me && is_module {
                        siblings.entry(me.clone()).or_default().insert(other);
                    }
                }
            }
        }
    }
    Edges { top, siblings }
}

/// A circle in `graph`, if any, as the path that closes it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn every_import_is_allowed_by_docs_architecture() {
    let allowed = allowed_imports();
    let mut wrong = Vec::new();
    for (from, tos) in edges().top {
        if from == "crate" {
            continue; // lib.rs declares the modules; main.rs calls cli
        }
        let may = allowed.get(&from);
        for (to, file) in tos {
            if !may.is_some_and(|m| m.contains(&to)) {
                wrong.push(format!(
                    "{from} -> {to} (e.g. {})",
                    file.strip_prefix(root()).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports not allowed by docs/architecture.md:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_allowed_layers_have_no_circle() {
    assert_eq!(find_cycle(&allowed_imports()), None);
}

#[test]
fn the_import_table_matches_the_tree() {
    let declared = declared_modules();
    let documented: BTreeSet<String> = allowed_imports().into_keys().collect();
    assert_eq!(
        declared, documented,
        "src/lib.rs modules and docs/architecture.md rows differ"
    );
    for (module, imports) in allowed_imports() {
        for to in imports {
            assert!(
                declared.contains(&to),
                "docs/architecture.md: {module} may import {to}, which does not exist"
            );
        }
    }
}

#[test]
fn siblings_inside_a_folder_have_no_circle() {
    assert_eq!(find_cycle(&edges().siblings), None);
}

#[test]
fn the_checks_see_edges_and_circles() {
    // The parser must see what it is meant to, or the checks above pass
    // vacuously.
    assert_eq!(
        crate_refs("use crate::{finding::Finding, rules, VERSION};"),
        ["finding", "rules"]
    );
    assert_eq!(crate_refs("let x = crate::group::group(y);"), ["group"]);
    assert_eq!(super_refs("use super::{plan::Item, Verdict};"), ["plan"]);
    let top = edges().top;
    assert!(top["cli"].contains_key("scan"), "cli uses scan");
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(find_cycle(&graph).is_some());
}

//! Files and directories: a parallel walk with the `ignore` crate.
//!
//! Each regular file up to one chunk is read whole, tested for binary
//! content, and handed to the visitor on the walker's own thread, so
//! scanning runs in parallel with no queue between walking and matching.
//! A larger file is streamed in overlapping pieces ([`super::stream`]), so
//! memory stays at a chunk per thread whatever the file's size.
//! Anything that cannot be read is recorded as a [`Skip`](crate::stats::Skip)
//! and the walk goes on.

use std::io::Read;
use std::path::{Path, PathBuf};

pub use super::expand::is_binary;
use super::expand::{ExpandOptions, Expander};
use super::stream::Chunking;
use super::Visit;

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

use crate::stats::{Counters, SkipReason};

/// `keyhound scan` walk settings.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Ignore `.gitignore`/`.ignore` files (`--no-ignore`).
    pub no_ignore: bool,
    /// Descend into hidden files and directories (`--hidden`).
    pub hidden: bool,
    /// Gitignore-style globs to leave out (`--exclude`, config `exclude`).
    pub exclude: Vec<String>,
    /// Files larger than this are skipped (`--max-file-size`; no limit by
    /// default, since large files are streamed).
    pub max_file_size: u64,
    /// How files larger than one chunk are cut into pieces.
    pub chunking: Chunking,
    /// Archives, compressed files, UTF-16 (`--no-archives`).
    pub expand: ExpandOptions,
    /// Scan files with NUL bytes too (`--binary`).
    pub binary: bool,
    /// Follow symbolic links (loops are detected and skipped).
    pub follow_links: bool,
    /// Walker threads; 0 picks the number of CPUs.
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            no_ignore: false,
            hidden: false,
            exclude: Vec::new(),
            max_file_size: u64::MAX,
            chunking: Chunking::default(),
            expand: ExpandOptions::default(),
            binary: false,
            follow_links: true,
            threads: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{0}: no such file or directory")]
    Missing(PathBuf),
    #[error("invalid --exclude glob {glob:?}: {reason}")]
    Glob { glob: String, reason: String },
}

/// How a walked path is named in reports.
#[derive(Debug, Clone)]
pub struct PathNamer {
    /// Paths under this directory are shown relative to it.
    base: PathBuf,
}

impl PathNamer {
    /// With a single directory root, paths are relative to it (the SARIF
    /// `%SRCROOT%`); otherwise to the current directory.
    pub fn for_roots(roots: &[PathBuf]) -> PathNamer {
        let base = match roots {
            [one] if one.is_dir() => one.clone(),
            _ => PathBuf::from("."),
        };
        PathNamer { base }
    }

    pub fn base(&self) -> &Path {
        &self.base
    }

    pub fn name(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.base).unwrap_or(path);
        let rel = rel.strip_prefix(".").unwrap_or(rel);
        let shown = if rel.as_os_str().is_empty() {
            path
        } else {
            rel
        };
        shown.to_string_lossy().replace('\\', "/")
    }
}

/// Walks `roots` in parallel, calling `visit` with each readable,
/// non-binary file's bytes.
pub fn walk(
    roots: &[PathBuf],
    options: &WalkOptions,
    namer: &PathNamer,
    counters: &Counters,
    visit: Visit<'_>,
) -> Result<(), WalkError> {
    for root in roots {
        if std::fs::symlink_metadata(root).is_err() {
            return Err(WalkError::Missing(root.clone()));
        }
    }
    let Some((first, rest)) = roots.split_first() else {
        return Ok(());
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(!options.hidden)
        .ignore(!options.no_ignore)
        .git_ignore(!options.no_ignore)
        .git_global(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .parents(!options.no_ignore)
        // Ignore files apply even outside a git checkout (a tarball).
        .require_git(false)
        .follow_links(options.follow_links)
        .threads(options.threads);
    // `.git` is never content: git history is `keyhound git`'s job.
    let mut overrides = OverrideBuilder::new(namer.base());
    for glob in std::iter::once(&".git".to_string()).chain(&options.exclude) {
        overrides
            .add(&format!("!{glob}"))
            .map_err(|e| WalkError::Glob {
                glob: glob.clone(),
                reason: e.to_string(),
            })?;
    }
    let overrides = overrides.build().map_err(|e| WalkError::Glob {
        glob: options.exclude.join(", "),
        reason: e.to_string(),
    })?;
    builder.overrides(overrides);

    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => visit_entry(entry, options, namer, counters, visit),
                Err(err) => record_walk_error(&err, namer, counters),
            }
            WalkState::Continue
        })
    });
    Ok(())
}

fn visit_entry(
    entry: ignore::DirEntry,
    options: &WalkOptions,
    namer: &PathNamer,
    counters: &Counters,
    visit: Visit<'_>,
) {
    let path = entry.path();
    let name = || namer.name(path);
    let Some(file_type) = entry.file_type() else {
        return; // stdin entries do not occur in a walk
    };
    if file_type.is_dir() {
        return;
    }
    if file_type.is_symlink() && !options.follow_links {
        return;
    }
    // Metadata through the link: a broken link fails here.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let reason = if file_type.is_symlink() || entry.path_is_symlink() {
                SkipReason::BrokenSymlink
            } else {
                SkipReason::Unreadable
            };
            counters.skip(name(), reason, e.to_string());
            return;
        }
    };
    if !meta.is_file() {
        return; // sockets, fifos, devices: never content
    }
    if meta.len() > options.max_file_size {
        counters.skip(
            name(),
            SkipReason::TooLarge,
            format!(
                "{} bytes is over the --max-file-size limit of {} bytes",
                meta.len(),
                options.max_file_size
            ),
        );
        return;
    }
    let expander = Expander {
        options: options.expand,
        chunking: options.chunking,
        binary: options.binary,
        counters,
        visit,
    };
    if meta.len() > options.chunking.chunk() as u64 {
        // Streamed (or, for a zip, read in place): memory stays at a chunk.
        expander.file(path, name());
        return;
    }
    match read_bounded(path, options.max_file_size) {
        Ok(bytes) => expander.bytes(&bytes, name(), false),
        Err(e) => counters.skip(name(), SkipReason::Unreadable, e.to_string()),
    }
}

/// Reads at most `limit` bytes (a file may grow between stat and read).
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn record_walk_error(err: &ignore::Error, namer: &PathNamer, counters: &Counters) {
    let (path, reason) = classify(err);
    let shown = path.map_or_else(|| "<walk>".to_string(), |p| namer.name(&p));
    counters.skip(shown, reason, err.to_string());
}

/// Digs the path and kind out of `ignore`'s nested error type.
fn classify(err: &ignore::Error) -> (Option<PathBuf>, SkipReason) {
    match err {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), classify(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            classify(err)
        }
        ignore::Error::Loop { child, .. } => (Some(child.clone()), SkipReason::SymlinkLoop),
        ignore::Error::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (None, SkipReason::BrokenSymlink)
        }
        ignore::Error::Io(_) => (None, SkipReason::Unreadable),
        _ => (None, SkipReason::WalkError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_probe_looks_only_at_the_start() {
        assert!(is_binary(b"abc\0def"));
        assert!(!is_binary(b"plain text"));
        let mut late = vec![b'a'; super::super::expand::BINARY_PROBE];
        late.push(0);
        assert!(!is_binary(&late));
    }

    #[test]
    fn names_are_relative_to_a_single_directory_root() {
        let dir = tempfile::tempdir().unwrap();
        let namer = PathNamer::for_roots(&[dir.path().to_path_buf()]);
        assert_eq!(namer.name(&dir.path().join("a/b.txt")), "a/b.txt");
        let namer = PathNamer::for_roots(&[PathBuf::from("x.txt"), PathBuf::from("y")]);
        assert_eq!(namer.name(Path::new("./x.txt")), "x.txt");
    }
}

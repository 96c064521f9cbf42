//! What a scan did besides finding things: counts, and what it skipped.
//!
//! Sources record into a shared [`Counters`] from many threads; the run
//! freezes it into [`Stats`] for the reporters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Why an input was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// NUL byte in the first 8 KiB (and `--binary` not given).
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge,
    /// Could not be opened or read (permissions, vanished, I/O error).
    Unreadable,
    /// A symlink whose target does not exist.
    BrokenSymlink,
    /// A symlink cycle found while walking.
    SymlinkLoop,
    /// Anything else the walker could not descend into.
    WalkError,
    /// A Git LFS pointer: the content lives outside the repository.
    LfsPointer,
    /// A git object that could not be decoded (corrupt or missing), or an
    /// archive that cannot be read.
    Corrupt,
    /// An archive or compressed stream that expands past a limit (total
    /// size, ratio, nesting depth): a zip bomb, or close enough.
    ExpansionLimit,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::Unreadable => "unreadable",
            SkipReason::BrokenSymlink => "broken_symlink",
            SkipReason::SymlinkLoop => "symlink_loop",
            SkipReason::WalkError => "walk_error",
            SkipReason::LfsPointer => "lfs_pointer",
            SkipReason::Corrupt => "corrupt",
            SkipReason::ExpansionLimit => "expansion_limit",
        }
    }

    /// Binary files and LFS pointers are skipped by design; the rest are
    /// problems worth a warning.
    pub fn is_warning(self) -> bool {
        !matches!(self, SkipReason::Binary | SkipReason::LfsPointer)
    }
}

/// One skipped input, with a human message (never secret content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub path: String,
    pub reason: SkipReason,
    pub message: String,
}

/// A large input that was scanned (streamed), with what it cost: users
/// who used to raise `--max-file-size` see where the time went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LargeInput {
    pub path: String,
    pub bytes: u64,
    pub seconds: f64,
}

/// Inputs of at least this many bytes are listed in [`Stats::large`].
pub const LARGE_INPUT: u64 = 64 * 1024 * 1024;

/// Thread-safe counters the sources update while scanning.
#[derive(Debug, Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    skips: Mutex<Vec<Skip>>,
    large: Mutex<Vec<LargeInput>>,
}

impl Counters {
    pub fn scanned(&self, bytes: usize) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn skip(&self, path: impl Into<String>, reason: SkipReason, message: impl Into<String>) {
        let skip = Skip {
            path: path.into(),
            reason,
            message: message.into(),
        };
        // Skips are rare; a poisoned lock only means another thread
        // panicked mid-push, and the list is still usable.
        self.skips
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(skip);
    }

    /// Records a scanned input of [`LARGE_INPUT`] bytes or more (smaller
    /// ones are ignored, so callers need not check).
    pub fn large(&self, path: impl Into<String>, bytes: u64, took: Duration) {
        if bytes < LARGE_INPUT {
            return;
        }
        let large = LargeInput {
            path: path.into(),
            bytes,
            seconds: took.as_secs_f64(),
        };
        self.large
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(large);
    }

    pub fn finish(self, elapsed: Duration) -> Stats {
        let mut skipped = self.skips.into_inner().unwrap_or_else(|e| e.into_inner());
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let mut large = self.large.into_inner().unwrap_or_else(|e| e.into_inner());
        large.sort_by(|a, b| a.path.cmp(&b.path));
        Stats {
            files_scanned: self.files.into_inner(),
            bytes_scanned: self.bytes.into_inner(),
            skipped,
            large,
            elapsed,
        }
    }
}

/// The frozen counts of a finished scan.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: Vec<Skip>,
    /// Inputs of [`LARGE_INPUT`] bytes or more that were scanned.
    pub large: Vec<LargeInput>,
    pub elapsed: Duration,
}

impl Stats {
    pub fn skipped_count(&self, reason: SkipReason) -> usize {
        self.skipped.iter().filter(|s| s.reason == reason).count()
    }
}

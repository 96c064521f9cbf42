//! Sources: where scanned bytes come from.
//!
//! A source calls a visitor with `(bytes, Origin)` for every input it can
//! read and records what it could not in [`Counters`](crate::stats::Counters).
//! It knows nothing about rules or findings.

pub mod files;
pub mod git;
pub mod stdin;

pub use files::{walk, PathNamer, WalkError, WalkOptions};

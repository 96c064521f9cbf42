//! Sources: where scanned bytes come from.
//!
//! A source calls a visitor with a [`Piece`] (bytes, [`Origin`](crate::finding::Origin),
//! where the bytes sit in the input) for every input it can read — a whole
//! small file, or one stretch of a streamed large one — and records what it
//! could not in [`Counters`](crate::stats::Counters). It knows nothing
//! about rules or findings.

pub mod expand;
pub mod files;
pub mod git;
pub mod stdin;
pub mod stream;

pub use expand::ExpandOptions;
pub use files::{walk, PathNamer, WalkError, WalkOptions};
pub use stream::{Chunking, Piece, Position};

/// What a file source calls for each piece it reads.
pub type Visit<'a> = &'a (dyn Fn(Piece<'_>) + Sync);

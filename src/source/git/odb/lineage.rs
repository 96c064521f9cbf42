//! What a visitor may reuse from a blob's delta base.
//!
//! A blob decoded from a delta is its base's bytes rearranged plus a few
//! inserted bytes. A visitor that learnt something about the base (the
//! detector: where its keywords are) can often derive the same for the
//! delta from the base's result and the list of copied ranges, instead of
//! reading every byte again. The source only carries what the visitor
//! kept; what it means is the visitor's business.

use std::any::Any;
use std::ops::Range;

use super::delta::Copied;

/// What a visitor kept of a blob, handed back with each delta built on it.
///
/// Opaque to the source, so that bytes-in code does not depend on the
/// rules that read them (`source` must not know `detect`). A type
/// parameter would do the same but would spread through every scanner
/// type and the trait objects they hold; a boxed `Any` costs one
/// allocation per kept blob (blobs with deltas only) and one downcast per
/// delta.
pub type Kept = Box<dyn Any + Send + Sync>;

/// How a blob is made of its delta base.
pub struct Derivation<'a> {
    /// What the visitor kept when it saw the base.
    pub base: &'a (dyn Any + Send + Sync),
    pub(super) copies: &'a [Copied],
}

impl Derivation<'_> {
    /// `(range in the blob, where the range starts in the base)` of every
    /// stretch copied from the base, in blob order; the other bytes were
    /// inserted by the delta. Stretches that continue each other in both
    /// blobs are one.
    pub fn copies(&self) -> impl Iterator<Item = (Range<usize>, usize)> + '_ {
        self.copies.iter().map(|c| (c.at..c.at + c.len, c.from))
    }
}

/// Where a decoded blob comes from and whether anything is built on it.
pub struct Lineage<'a> {
    /// The blob is a delta whose base the visitor kept something for.
    pub base: Option<Derivation<'a>>,
    /// Deltas in the same pack are built on this blob: what the visitor
    /// returns now is handed back with each of them.
    pub has_deltas: bool,
}

impl Lineage<'_> {
    /// A blob read whole, with nothing built on it (loose objects, lookups).
    pub const ALONE: Lineage<'static> = Lineage {
        base: None,
        has_deltas: false,
    };
}

/// A blob visitor that may derive from, and keep for, delta bases.
pub type DeltaVisitor<'a> = dyn Fn(gix::ObjectId, &[u8], Lineage<'_>) -> Option<Kept> + Sync + 'a;

//! Keyword hits of a blob made from another: a git delta copies ranges of
//! its base and inserts the rest, so most of its keywords are the base's,
//! moved.
//!
//! `hits` wants, at each position `s` where a keyword starts, the longest
//! keyword starting there. Let `reach` be the longest keyword's length
//! minus one, and let `s` lie in a copied range ending at `e`:
//!
//! - if `s + reach < e`, every keyword starting at `s` lies inside the
//!   copy, so the keywords at `s` are exactly those at the matching base
//!   position, and the base's longest one there (its hit) fits the copy;
//! - otherwise `s >= e - reach`, and every keyword starting at `s` ends by
//!   `e + reach`: the DFA run over `[e - reach, e + reach)` finds them all.
//!   The base's hit there may run past the copy's end (a longer keyword
//!   cut off, a shorter one at the same start still inside); such a hit is
//!   dropped and the window supplies the right one.
//!
//! A position in inserted bytes is the same with the whole inserted run
//! scanned: a keyword there either lies inside the run or crosses its end,
//! which is a copy's start, where the same window is scanned. So the
//! derived list is: the base hits that fit wholly inside a copy, moved;
//! plus every keyword wholly inside a scanned region (inserted runs and
//! `reach` either side of each copy's ends); reduced, exactly as `hits`
//! does, to the longest at each start.

use std::ops::Range;

use super::Keywords;

impl Keywords {
    /// [`Keywords::hits`] of `blob`, from the base's `hits` and the
    /// `copies` (`(range in blob, start in the base)`, in blob order) that
    /// made `blob` of it. `None` when the regions left to scan are so large
    /// that the striped search over the whole blob is cheaper.
    pub(super) fn derive(
        &self,
        blob: &[u8],
        base: &[(usize, usize)],
        copies: impl IntoIterator<Item = (Range<usize>, usize)>,
    ) -> Option<Vec<(usize, usize)>> {
        // One stretch runs at about 2.5 times the striped search's cost per
        // byte (see `Keywords`).
        self.derive_scanning_at_most(blob, base, copies, blob.len() / 3)
    }

    /// [`Keywords::derive`], giving up if more than `budget` bytes would
    /// have to be scanned.
    pub(super) fn derive_scanning_at_most(
        &self,
        blob: &[u8],
        base: &[(usize, usize)],
        copies: impl IntoIterator<Item = (Range<usize>, usize)>,
        budget: usize,
    ) -> Option<Vec<(usize, usize)>> {
        let n = blob.len();
        let reach = self.longest.saturating_sub(1);
        let mut hits = Vec::new();
        let mut regions: Vec<Range<usize>> = Vec::new();
        let mut copied_to = 0;
        for (to, from) in copies {
            // Inserted bytes before this copy, and both of its ends.
            regions.push(copied_to..to.start);
            regions.push(to.start.saturating_sub(reach)..(to.start + reach).min(n));
            regions.push(to.end.saturating_sub(reach)..(to.end + reach).min(n));
            let end = from + to.len();
            let first = base.partition_point(|&(at, _)| at < from);
            for &(at, pattern) in base[first..].iter().take_while(|&&(at, _)| at < end) {
                if at + self.len[pattern] <= end {
                    hits.push((to.start + (at - from), pattern));
                }
            }
            copied_to = to.end;
        }
        regions.push(copied_to..n);
        regions.sort_unstable_by_key(|r| r.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(regions.len());
        for r in regions.into_iter().filter(|r| !r.is_empty()) {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        let scanned: usize = merged.iter().map(|r| r.len()).sum();
        if scanned > budget {
            return None;
        }
        for r in merged {
            // Started in the start state, the DFA reports exactly the
            // keywords wholly inside the region.
            self.scan(blob, r.clone(), r, self.start, &mut hits);
        }
        self.longest_per_start(&mut hits);
        Some(hits)
    }
}

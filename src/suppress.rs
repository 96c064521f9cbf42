//! Suppression: findings the user has said are not leaks, or has accepted.
//!
//! Every source sets the same thing on a finding, so reporters and the exit
//! code have one rule ([`Finding::is_reported`]):
//!
//! - inline: a line containing `keyhound:allow` (in any comment syntax)
//!   suppresses findings on that line ([`inline`], `kind: inSource`);
//! - rule allowlists ([`allowlist`]): `[rule.allow]` in rule files and
//!   `[allow.ID]` in `keyhound.toml` (`kind: external`, the table's place
//!   and reason as justification);
//! - the ignore file ([`ignore`]): fingerprints, `path:` globs and `rule:`
//!   ids (`kind: external`, the entry's line and reason as justification);
//! - a baseline ([`baseline`]): marks findings `new` or `unchanged`;
//!   unchanged ones are known and not reported again.
//!
//! A suppressed or baselined finding is kept, marked, so SARIF carries it
//! (as dismissed, or `baselineState: unchanged`) and `--include-suppressed`
//! can show it; text and JSON drop it by default.

use std::ops::Range;

pub mod allowlist;
pub mod baseline;
pub mod entries;
pub mod ignore;

use crate::finding::Finding;

/// Applies the ignore file to findings made one per place (before
/// grouping, so `path:` entries see each place). Findings already allowed
/// inline keep that suppression.
pub fn apply_ignore(list: &ignore::IgnoreList, findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
        f.suppression = list.suppression(f);
    }
}

/// Today's date in UTC, for `expires=`.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

use crate::finding::{Suppression, SuppressionKind};

/// The inline marker.
pub const ALLOW_MARKER: &[u8] = b"keyhound:allow";

/// Whether any line the span touches carries the inline marker.
pub fn inline(blob: &[u8], span: Range<usize>) -> Option<Suppression> {
    let start = memchr::memrchr(b'\n', &blob[..span.start.min(blob.len())]).map_or(0, |i| i + 1);
    let end = span.end.min(blob.len());
    let end = memchr::memchr(b'\n', &blob[end..]).map_or(blob.len(), |i| end + i);
    memchr::memmem::find(&blob[start..end], ALLOW_MARKER).map(|_| Suppression {
        kind: SuppressionKind::InSource,
        justification: "inline keyhound:allow".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_on_the_same_line_suppresses() {
        let blob = b"a = 1\nkey = SECRET # keyhound:allow\nb = 2\n";
        let at = 12;
        assert!(inline(blob, at..at + 6).is_some());
    }

    #[test]
    fn marker_on_another_line_does_not() {
        let blob = b"# keyhound:allow\nkey = SECRET\n";
        let at = 23;
        assert!(inline(blob, at..at + 6).is_none());
        assert!(inline(b"SECRET", 0..6).is_none());
    }
}

//! Suppression: findings the user has said are not leaks.
//!
//! Inline: a line containing `keyhound:allow` (in any comment syntax)
//! suppresses findings on that line. A suppressed finding is kept, marked,
//! so SARIF can carry it as dismissed; text and JSON reports drop it.

use std::ops::Range;

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

//! The scan digest: one hash of everything that decides which findings a
//! blob yields. Blobs settled under one digest are skipped only under the
//! same digest; a changed rule, a new keyhound or a different
//! `--max-file-size` makes every blob new again.

use sha2::{Digest, Sha256};

use crate::rules::{Confidence, RuleSet};
use crate::source::git::HistoryOptions;

/// Bumped when keyhound changes how a blob becomes findings in a way the
/// version string would not show (kept with the version on purpose).
const ENGINE: &str = "org-scan-1";

/// The digest of a run's finding-changing settings, as hex.
pub fn scan_digest(rules: &RuleSet, history: &HistoryOptions, confidence: Confidence) -> String {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &[u8]| {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((value.len() as u64).to_le_bytes());
        h.update(value);
    };
    field("engine", ENGINE.as_bytes());
    field("version", crate::VERSION.as_bytes());
    // Rules are data with a serde shape: every field (regex, keywords,
    // entropy, allowlists, pairing) is in the hash.
    for rule in rules.rules() {
        field("rule", &serde_json::to_vec(rule).unwrap_or_default());
    }
    field("max_blob_size", &history.max_blob_size.to_le_bytes());
    field("binary", &[u8::from(history.binary)]);
    field("confidence", confidence.as_str().as_bytes());
    hex::encode(h.finalize())
}

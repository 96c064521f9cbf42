//! Baselines: the fingerprints of findings a team has accepted for now.
//!
//! `keyhound baseline create` writes one fingerprint per line, sorted, each
//! followed by `# rule-id` for the reader, under a fixed header. Sorted
//! single-line entries keep merges small; with `merge=union` for the file
//! in `.gitattributes`, two branches that both add entries merge without
//! a conflict (git's built-in union driver keeps both sides' lines, and
//! this reader does not mind their order or duplicates). The line format
//! is the ignore file's (`suppress::entries`), restricted to fingerprints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::entries::{self, Matcher, Warning};
use crate::finding::{BaselineState, Finding};

/// The first lines of every baseline file.
pub const HEADER: &str = "\
# keyhound baseline: fingerprints of accepted findings, one per line, sorted.
# Made by `keyhound baseline create`; read with `--baseline FILE`.
# Add `<this file> merge=union` to .gitattributes so branches merge cleanly.
";

/// One baseline entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineEntry {
    pub fingerprint: String,
    /// Line in the file (the first, if repeated).
    pub line: usize,
    /// The `# …` text: the rule id, in files keyhound wrote.
    pub note: Option<String>,
}

/// A loaded baseline.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub file: String,
    entries: BTreeMap<String, BaselineEntry>,
}

impl Baseline {
    /// Parses a baseline. Lines that are not fingerprints are warnings.
    pub fn parse(text: &str, file: &str) -> (Baseline, Vec<Warning>) {
        let (parsed, mut warnings) = entries::parse(text, file);
        let mut map = BTreeMap::new();
        for entry in parsed {
            match entry.matcher {
                Matcher::Fingerprint(fp) => {
                    map.entry(fp.clone()).or_insert(BaselineEntry {
                        fingerprint: fp,
                        line: entry.line,
                        note: entry.reason,
                    });
                }
                Matcher::Path { .. } | Matcher::Rule(_) => warnings.push(Warning {
                    file: file.to_string(),
                    line: entry.line,
                    message: "only fingerprints belong in a baseline (path: and rule: entries go in .keyhoundignore)".into(),
                }),
            }
        }
        let baseline = Baseline {
            file: file.to_string(),
            entries: map,
        };
        (baseline, warnings)
    }

    pub fn load(path: &Path) -> Result<(Baseline, Vec<Warning>), std::io::Error> {
        let bytes = std::fs::read(path)?;
        Ok(Baseline::parse(
            &String::from_utf8_lossy(&bytes),
            &path.display().to_string(),
        ))
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.entries.contains_key(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Marks every finding `new` or `unchanged`.
    pub fn apply(&self, findings: &mut [Finding]) {
        for f in findings {
            f.baseline = Some(if self.contains(&f.fingerprint) {
                BaselineState::Unchanged
            } else {
                BaselineState::New
            });
        }
    }

    /// Entries whose fingerprint no finding has: the secret is gone (or
    /// its rule no longer fires), so the entry can be removed.
    pub fn absent<'a>(&'a self, findings: &[Finding]) -> Vec<&'a BaselineEntry> {
        let present: BTreeSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        self.entries
            .values()
            .filter(|e| !present.contains(e.fingerprint.as_str()))
            .collect()
    }
}

/// The baseline file for `findings`: the header, then `fingerprint #
/// rule-id` lines sorted by fingerprint, each fingerprint once.
pub fn render<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> String {
    let lines: BTreeMap<&str, &str> = findings
        .into_iter()
        .map(|f| (f.fingerprint.as_str(), f.rule_id.as_str()))
        .collect();
    let mut out = String::from(HEADER);
    for (fp, rule) in lines {
        out.push_str(fp);
        out.push_str(" # ");
        out.push_str(rule);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merged_files_read_back_and_other_entries_warn() {
        let a = "0123456789abcdef0123456789abcdef";
        let b = "fedcba9876543210fedcba9876543210";
        // What git's union driver leaves: both sides, unsorted, repeated.
        let text = format!("{HEADER}{b} # r2\n{a} # r1\n{HEADER}{a} # r1\npath:x\n");
        let (base, warnings) = Baseline::parse(&text, "kb.txt");
        assert_eq!(base.len(), 2);
        assert!(base.contains(a) && base.contains(b));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0]
            .to_string()
            .contains("kb.txt:10: only fingerprints"));
    }
}

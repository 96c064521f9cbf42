//! `.keyhoundignore`: content-based suppressions kept in the repository.
//!
//! Entries name a fingerprint (rule id + secret), a path glob or a rule
//! id — never a line number or commit — so they keep working when a line
//! moves, across rebases, cherry-picks and squash merges. An entry past
//! its `expires=` date stops suppressing and says so.

use std::path::Path;

use time::Date;

use super::entries::{self, Entry, Matcher, Warning};
use crate::finding::{Finding, Origin, Suppression, SuppressionKind};

/// The file name looked for at the scanned root.
pub const FILE_NAME: &str = ".keyhoundignore";

/// The entries of an ignore file that are in force today.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    file: String,
    entries: Vec<Entry>,
}

impl IgnoreList {
    /// Parses `text` (read from `file`). Malformed lines, rule ids not in
    /// `known_rule`, and expired entries become warnings; expired entries
    /// are dropped.
    pub fn parse(
        text: &str,
        file: &str,
        today: Date,
        known_rule: impl Fn(&str) -> bool,
    ) -> (IgnoreList, Vec<Warning>) {
        let (parsed, mut warnings) = entries::parse(text, file);
        let mut entries = Vec::new();
        for entry in parsed {
            let warn = |message: String| Warning {
                file: file.to_string(),
                line: entry.line,
                message,
            };
            if let Matcher::Rule(id) = &entry.matcher {
                if !known_rule(id) {
                    warnings.push(warn(format!(
                        "unknown rule id {id:?} (see `keyhound rules list`)"
                    )));
                    continue;
                }
            }
            if let Some(date) = entry.expires.filter(|_| entry.expired(today)) {
                warnings.push(warn(format!(
                    "entry expired on {date}: it no longer suppresses anything"
                )));
                continue;
            }
            entries.push(entry);
        }
        let list = IgnoreList {
            file: file.to_string(),
            entries,
        };
        (list, warnings)
    }

    /// Reads `path`. A file that exists but cannot be read is an error;
    /// invalid UTF-8 is read lossily (the bad line then warns).
    /// `label` names the file in warnings and justifications (the
    /// discovered file is `.keyhoundignore`, not `./.keyhoundignore`).
    pub fn load(
        path: &Path,
        label: &str,
        today: Date,
        known_rule: impl Fn(&str) -> bool,
    ) -> Result<(IgnoreList, Vec<Warning>), std::io::Error> {
        let bytes = std::fs::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        Ok(IgnoreList::parse(&text, label, today, known_rule))
    }

    /// The suppression for `finding` (one place, before grouping), if an
    /// entry matches it.
    pub fn suppression(&self, finding: &Finding) -> Option<Suppression> {
        let entry = self.entries.iter().find(|e| matches(e, finding))?;
        let mut justification = format!("{}:{}", self.file, entry.line);
        if let Some(reason) = &entry.reason {
            justification.push_str(": ");
            justification.push_str(reason);
        }
        Some(Suppression {
            kind: SuppressionKind::External,
            justification,
        })
    }
}

fn matches(entry: &Entry, finding: &Finding) -> bool {
    match &entry.matcher {
        Matcher::Fingerprint(fp) => *fp == finding.fingerprint,
        Matcher::Rule(id) => *id == finding.rule_id,
        Matcher::Path { matcher, .. } => path_matches(matcher, &finding.origin),
    }
}

/// Whether a path glob covers a place. A blob with several paths matches
/// only when every path does: a copy outside `docs/` is still a leak.
pub(crate) fn path_matches(matcher: &globset::GlobMatcher, origin: &Origin) -> bool {
    match origin {
        Origin::Git(g) if !g.paths.is_empty() => g.paths.iter().all(|p| matcher.is_match(p)),
        Origin::Git(_) | Origin::Stdin => false,
        // A member of an archive (`app.jar!/x.yml`) is covered by a glob
        // for the archive too.
        Origin::File { path } => {
            matcher.is_match(path)
                || path
                    .split_once("!/")
                    .is_some_and(|(file, _)| matcher.is_match(file))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn expired_and_unknown_rule_entries_warn_and_do_not_apply() {
        let text = "rule:aws expires=2026-01-01 # old\nrule:nope\nrule:jwt # fine\n";
        let (list, warnings) =
            IgnoreList::parse(text, "i", date!(2026 - 01 - 02), |id| id != "nope");
        assert_eq!(list.entries.len(), 1);
        assert_eq!(warnings.len(), 2);
        assert_eq!(warnings[0].line, 1);
        assert!(warnings[0].message.contains("expired on 2026-01-01"));
        assert_eq!(warnings[1].line, 2);
        assert!(warnings[1].message.contains("unknown rule id"));
    }
}

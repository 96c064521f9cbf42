//! The line format shared by `.keyhoundignore` and baseline files.
//!
//! ```text
//! # a comment
//! 3f1c9a…(32 hex)   # reason  expires=2026-06-30
//! path:docs/**      # example keys in the docs
//! rule:generic-password
//! ```
//!
//! One entry per line: a fingerprint, `path:GLOB` or `rule:ID`, then
//! optionally `expires=YYYY-MM-DD` (before or after the `#`) and a `#
//! reason`. A line that is none of these is a [`Warning`] with its line
//! number, never silently dropped.

use std::fmt;

use globset::GlobMatcher;
use time::macros::format_description;
use time::Date;

/// A problem with one line of an ignore or baseline file. Reported, not
/// fatal: a typo in one entry must not stop the scan (nor hide a finding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// What an entry matches.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A finding fingerprint (rule id + secret), lowercase hex.
    Fingerprint(String),
    /// A glob over the finding's path, relative to the scanned root.
    Path { glob: String, matcher: GlobMatcher },
    /// Every finding of a rule.
    Rule(String),
}

/// One parsed line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 1-based line number in its file.
    pub line: usize,
    pub matcher: Matcher,
    pub reason: Option<String>,
    /// Last day (inclusive, UTC) on which the entry applies.
    pub expires: Option<Date>,
}

impl Entry {
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| today > d)
    }
}

/// Length of a fingerprint in hex characters (`finding::fingerprint`).
pub const FINGERPRINT_LEN: usize = 32;

/// Parses every line of `text` (named `file` in warnings).
pub fn parse(text: &str, file: &str) -> (Vec<Entry>, Vec<Warning>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    // Editors on Windows may start the file with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        match parse_line(raw, line) {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => {}
            Err(message) => warnings.push(Warning {
                file: file.to_string(),
                line,
                message,
            }),
        }
    }
    (entries, warnings)
}

fn parse_line(raw: &str, line: usize) -> Result<Option<Entry>, String> {
    let (body, comment) = match raw.split_once('#') {
        Some((b, c)) => (b.trim(), Some(c.trim())),
        None => (raw.trim(), None),
    };
    if body.is_empty() {
        return Ok(None);
    }
    let mut tokens = body.split_whitespace();
    let first = tokens.next().unwrap_or_default();
    let matcher = matcher(first)?;
    let mut expires = None;
    for token in tokens {
        match token.strip_prefix("expires=") {
            Some(date) => expires = Some(parse_date(date)?),
            None => {
                return Err(format!(
                    "unexpected {token:?} after the entry (a reason goes after `#`)"
                ))
            }
        }
    }
    // `expires=` may also be written inside the reason.
    let mut reason_words = Vec::new();
    for word in comment.unwrap_or_default().split_whitespace() {
        match word.strip_prefix("expires=") {
            Some(date) if expires.is_none() => expires = Some(parse_date(date)?),
            Some(_) => return Err("`expires=` given twice".into()),
            None => reason_words.push(word),
        }
    }
    let reason = (!reason_words.is_empty()).then(|| reason_words.join(" "));
    Ok(Some(Entry {
        line,
        matcher,
        reason,
        expires,
    }))
}

fn matcher(token: &str) -> Result<Matcher, String> {
    if let Some(glob) = token.strip_prefix("path:") {
        if glob.is_empty() {
            return Err("empty `path:` glob".into());
        }
        let matcher = crate::rules::allow::path_glob(glob)?;
        return Ok(Matcher::Path {
            glob: glob.to_string(),
            matcher,
        });
    }
    if let Some(id) = token.strip_prefix("rule:") {
        if id.is_empty() {
            return Err("empty `rule:` id".into());
        }
        return Ok(Matcher::Rule(id.to_string()));
    }
    if token.bytes().all(|b| b.is_ascii_hexdigit()) {
        if token.len() != FINGERPRINT_LEN {
            return Err(format!(
                "malformed fingerprint {token:?}: {} hex characters, expected {FINGERPRINT_LEN}",
                token.len()
            ));
        }
        return Ok(Matcher::Fingerprint(token.to_ascii_lowercase()));
    }
    Err(format!(
        "unknown entry {token:?} (expected a fingerprint, `path:GLOB` or `rule:ID`)"
    ))
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("invalid date in `expires={text}` (expected YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn every_entry_kind_parses() {
        let text = "# header\n\n\
            0123456789abcdef0123456789ABCDEF # rotated, test only expires=2026-06-30\n\
            path:docs/**\n\
            rule:generic-password expires=2025-01-01 # noisy\n";
        let (entries, warnings) = parse(text, "f");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(entries.len(), 3);
        assert!(
            matches!(&entries[0].matcher, Matcher::Fingerprint(f) if f == "0123456789abcdef0123456789abcdef")
        );
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[0].reason.as_deref(), Some("rotated, test only"));
        assert_eq!(entries[0].expires, Some(date!(2026 - 06 - 30)));
        match &entries[1].matcher {
            Matcher::Path { matcher, .. } => {
                assert!(matcher.is_match("docs/a/b.md"));
                assert!(!matcher.is_match("src/docs.rs"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(entries[2].expires, Some(date!(2025 - 01 - 01)));
    }

    #[test]
    fn bad_lines_are_warnings_with_line_numbers() {
        let text = "abc123\nfoo:bar\npath:[\n0123456789abcdef0123456789abcdef expires=2026-13-01\n0123456789abcdef0123456789abcdef later\nrule:\n";
        let (entries, warnings) = parse(text, ".keyhoundignore");
        assert!(entries.is_empty());
        let lines: Vec<usize> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6]);
        assert!(warnings[0]
            .to_string()
            .starts_with(".keyhoundignore:1: malformed fingerprint"));
        assert!(warnings[1].message.contains("unknown entry"));
    }

    #[test]
    fn byte_order_mark_and_crlf_are_tolerated() {
        let (entries, warnings) = parse("\u{feff}rule:x # why\r\npath:a/** \r\n", "f");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].reason.as_deref(), Some("why"));
    }

    #[test]
    fn expiry_is_inclusive() {
        let (entries, _) = parse("rule:x expires=2026-01-31\n", "f");
        assert!(!entries[0].expired(date!(2026 - 01 - 31)));
        assert!(entries[0].expired(date!(2026 - 02 - 01)));
    }
}

//! Allowlists: findings of one rule that are known not to be leaks
//! (test fixtures, documentation values, a vendor's published sample).
//!
//! Written as `[rule.allow]` in a rule file or `[allow.RULE-ID]` in
//! `keyhound.toml`. Unlike a rule's `allow_secrets` (public values the
//! detector drops silently), an allowlisted finding is still made and then
//! marked suppressed, so SARIF shows it as dismissed with the reason and
//! `--include-suppressed` lists it: someone decided it is not a leak, and
//! that decision stays visible.

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Deserializer, Serialize};

/// One allowlist table. A finding is allowed when its secret is one of
/// `secrets`, or matches one of `regexes`, or its path matches one of
/// `paths` (any one entry is enough).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// Exact secret values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// Regexes searched for in the secret (anchor with `^…$` to match the
    /// whole value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regexes: Vec<String>,
    /// Path globs, relative to the scanned root, as in `.keyhoundignore`'s
    /// `path:` entries (`*` stays within a directory, `**` crosses them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Why these are not leaks; part of the suppression's justification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the table was written (`file:line`), for justifications and
    /// errors. Set by the loader.
    #[serde(skip)]
    pub origin: String,
    /// Byte offset of the table in its file, until the loader turns it
    /// into a line in `origin`.
    #[serde(skip)]
    pub(crate) offset: usize,
}

impl Allowlist {
    /// Checks that the table allows something and that every regex and
    /// glob compiles, naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.secrets.is_empty() && self.regexes.is_empty() && self.paths.is_empty() {
            return Err(
                "allowlist has no `secrets`, `regexes` or `paths`: it allows nothing".into(),
            );
        }
        if self.secrets.iter().any(String::is_empty) {
            return Err("allowlist `secrets` has an empty string".into());
        }
        for re in &self.regexes {
            secret_regex(re)?;
        }
        for glob in &self.paths {
            path_glob(glob)?;
        }
        Ok(())
    }
}

/// Compiles an allowlist regex (run over the secret as text).
pub fn secret_regex(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.is_empty() {
        return Err("allowlist regex is empty: it would allow every secret".into());
    }
    regex::Regex::new(pattern)
        .map_err(|e| format!("allowlist regex {pattern:?} does not compile: {e}"))
}

/// Compiles a path glob the way `.keyhoundignore` does: `*` does not cross
/// `/`, `**` does.
pub fn path_glob(glob: &str) -> Result<GlobMatcher, String> {
    if glob.is_empty() {
        return Err("empty path glob".into());
    }
    GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid path glob {glob:?}: {e}"))
}

/// Reads one `[rule.allow]` table, remembering where it starts.
pub(crate) fn one_table<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Allowlist>, D::Error> {
    let table = toml::Spanned::<Allowlist>::deserialize(d)?;
    let offset = table.span().start;
    let mut allow = table.into_inner();
    allow.offset = offset;
    Ok(vec![allow])
}

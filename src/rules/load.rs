//! Reading rule files: TOML syntax, then the rule format's own constraints,
//! each error naming the file and line.

use std::path::Path;

use serde::Deserialize;

use super::allow::Allowlist;
use super::model::Rule;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read rule file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin}:{line}: {reason}")]
    Invalid {
        origin: String,
        line: usize,
        reason: String,
    },
    #[error("unknown rule id `{id}` (in {context})")]
    UnknownRule { id: String, context: String },
}

/// Whether to compile a rule's regex while loading. User rule files are
/// compiled (so a bad regex is reported with its line before scanning);
/// builtins are left to the detector's lazy compilation and to `cargo test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compile {
    Now,
    Lazily,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<Rule>>,
}

/// Reads and validates a rule file from disk.
pub fn load_file(path: &Path) -> Result<Vec<Rule>, RuleError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_rules(&text, &path.display().to_string(), Compile::Now)
}

/// Parses rule TOML (a document of `[[rule]]` tables).
pub fn parse_rules(text: &str, origin: &str, compile: Compile) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    finish_rules(text, origin, file.rule, compile)
}

/// Validates rules deserialized from `text` (a rule file, or the `[[rule]]`
/// tables of a `keyhound.toml`), recording where each was defined.
pub fn finish_rules(
    text: &str,
    origin: &str,
    rules: Vec<toml::Spanned<Rule>>,
    compile: Compile,
) -> Result<Vec<Rule>, RuleError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rules.len());
    for spanned in rules {
        let line = line_of(text, spanned.span().start);
        let mut rule = spanned.into_inner();
        rule.origin = format!("{origin}:{line}");
        let invalid = |reason: String| RuleError::Invalid {
            origin: origin.to_string(),
            line,
            reason: format!("rule `{}`: {reason}", rule.id),
        };
        validate(&rule, compile).map_err(invalid)?;
        for allow in &mut rule.allow {
            place_allowlist(text, origin, allow)?;
        }
        if !seen.insert(rule.id.clone()) {
            return Err(invalid("duplicate rule id in this file".into()));
        }
        out.push(rule);
    }
    Ok(out)
}

/// Records where an allowlist table was written (`origin:line`) and
/// validates it, naming that line in errors.
pub fn place_allowlist(text: &str, origin: &str, allow: &mut Allowlist) -> Result<(), RuleError> {
    let line = line_of(text, allow.offset);
    allow.origin = format!("{origin}:{line}");
    allow.validate().map_err(|reason| RuleError::Invalid {
        origin: origin.to_string(),
        line,
        reason,
    })
}

/// Converts a TOML error into ours, keeping its line.
pub fn toml_error(text: &str, origin: &str, e: &toml::de::Error) -> RuleError {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
    RuleError::Invalid {
        origin: origin.to_string(),
        line,
        reason: e.message().trim().to_string(),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn validate(rule: &Rule, compile: Compile) -> Result<(), String> {
    let id_ok = !rule.id.is_empty()
        && rule
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err("id must be non-empty lowercase letters, digits and '-'".into());
    }
    if rule.keywords.is_empty() {
        return Err("no keywords: every rule needs at least one literal for the prefilter".into());
    }
    if let Some(k) = rule.keywords.iter().find(|k| k.len() < 3) {
        return Err(format!(
            "keyword {k:?} is shorter than 3 bytes: it would fire everywhere"
        ));
    }
    if !rule.regex.contains("(?P<secret>") && !rule.regex.contains("(?<secret>") {
        return Err("regex has no named capture `secret`".into());
    }
    if rule.max_span == 0 || rule.max_span > 64 * 1024 {
        return Err("max_span must be between 1 and 65536 bytes".into());
    }
    if !(0.0..=8.0).contains(&rule.min_entropy) {
        return Err("min_entropy must be between 0 and 8 bits per byte".into());
    }
    if compile == Compile::Now {
        super::regex::compile(&rule.regex)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[rule]]
id = "demo-token"
name = "Demo token"
provider = "demo"
description = "A demo."
severity = "high"
confidence = "high"
keywords = ["demo_"]
regex = '''demo_(?P<secret>[a-z0-9]{20})'''
"#;

    #[test]
    fn parses_a_rule_with_defaults() {
        let rules = parse_rules(GOOD, "t.toml", Compile::Now).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].max_span, 256);
        assert!(rules[0].placeholder_filter);
        assert_eq!(rules[0].origin, "t.toml:2");
    }

    #[test]
    fn rejects_missing_secret_group_with_line() {
        let text = format!("\n\n{}", GOOD.replace("(?P<secret>", "("));
        let err = parse_rules(&text, "t.toml", Compile::Now)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.toml:4:"), "{err}");
        assert!(err.contains("named capture `secret`"), "{err}");
    }

    #[test]
    fn rejects_unknown_field_and_bad_regex() {
        let text = GOOD.replace("severity = \"high\"", "severity = \"high\"\nsevrity = 1");
        let err = parse_rules(&text, "t.toml", Compile::Now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("sevrity"), "{err}");
        let text = GOOD.replace("[a-z0-9]{20})", "[a-z0-9]{20}))");
        let err = parse_rules(&text, "t.toml", Compile::Now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not compile"), "{err}");
    }

    #[test]
    fn rejects_rule_without_keywords() {
        let text = GOOD.replace("keywords = [\"demo_\"]", "keywords = []");
        let err = parse_rules(&text, "t.toml", Compile::Now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no keywords"), "{err}");
    }
}

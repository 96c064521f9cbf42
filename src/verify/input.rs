//! Credentials for `keyhound verify`: a JSON or JSONL report written with
//! `--show-secrets`, read back into planning [`Item`]s grouped by file.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::plan::Item;
use crate::finding::{fingerprint, Secret};

/// One finding of a report, as much of it as verification needs.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub item: Item,
}

/// The fields read from a report finding; everything else is ignored, so
/// reports from newer versions still load.
#[derive(Deserialize)]
struct RawFinding {
    rule_id: String,
    secret: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    line: usize,
    #[serde(default)]
    facts: BTreeMap<String, String>,
}

/// A report that cannot be used, with the line at fault.
#[derive(Debug, thiserror::Error)]
#[error("{source_name} line {line}: {message}")]
pub struct InputError {
    pub source_name: String,
    pub line: usize,
    pub message: String,
}

/// Reads a `--format json` document or `--format jsonl` lines.
pub fn read_report(text: &str, source_name: &str) -> Result<Vec<Entry>, InputError> {
    let error = |line: usize, message: String| InputError {
        source_name: source_name.to_string(),
        line,
        message,
    };
    let trimmed = text.trim_start();
    let raws: Vec<(usize, RawFinding)> = if trimmed.starts_with('{') && !is_jsonl(text) {
        #[derive(Deserialize)]
        struct Doc {
            findings: Vec<RawFinding>,
        }
        let doc: Doc = serde_json::from_str(text).map_err(|e| {
            error(
                e.line(),
                format!("not a keyhound JSON report ({})", classify(&e)),
            )
        })?;
        // A JSON document has no line per finding; number them instead.
        doc.findings
            .into_iter()
            .enumerate()
            .map(|(i, f)| (i + 1, f))
            .collect()
    } else {
        let mut raws = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let raw: RawFinding = serde_json::from_str(line).map_err(|e| {
                error(
                    i + 1,
                    format!("not a keyhound JSONL finding ({})", classify(&e)),
                )
            })?;
            raws.push((i + 1, raw));
        }
        raws
    };
    raws.into_iter()
        .map(|(line, raw)| {
            if raw.secret.contains("*****") {
                return Err(error(
                    line,
                    "the secret is redacted; write the report with --show-secrets".into(),
                ));
            }
            Ok(Entry {
                path: raw.path,
                item: Item {
                    fingerprint: fingerprint(&raw.rule_id, raw.secret.as_bytes()),
                    rule_id: raw.rule_id,
                    secret: Secret::new(raw.secret.as_bytes()),
                    facts: raw.facts,
                    line: raw.line,
                },
            })
        })
        .collect()
}

/// Several lines that each start an object: JSONL, even if the first
/// object happens to be complete on its own.
fn is_jsonl(text: &str) -> bool {
    let mut objects = text.lines().filter(|l| !l.trim().is_empty());
    let first = objects.next().unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(first).is_ok_and(|v| v.get("rule_id").is_some())
}

/// serde's message without the input it quotes (which may be a secret).
fn classify(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax => format!("invalid JSON at column {}", e.column()),
        Category::Eof => "unexpected end of input".into(),
        Category::Data => {
            // "missing field `secret`" and type errors name fields, not
            // values; anything quoting input is cut at the first backtick
            // that is not a field name.
            let msg = e.to_string();
            if msg.starts_with("missing field") {
                msg.split(" at line")
                    .next()
                    .unwrap_or("bad field")
                    .to_string()
            } else {
                "a field has the wrong type".into()
            }
        }
        Category::Io => "read error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_and_json_reports_are_read() {
        let jsonl = "{\"rule_id\":\"aws-access-key-id\",\"secret\":\"AKIA1\",\"path\":\"a\",\"line\":1}\n\
                     {\"rule_id\":\"aws-secret-access-key\",\"secret\":\"s\",\"path\":\"a\",\"line\":2}\n";
        let entries = read_report(jsonl, "r").unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].item.line, 2);
        let json = "{\"version\":\"0.1.0\",\"findings\":[{\"rule_id\":\"gcp-api-key\",\"secret\":\"k\",\"path\":\"b\",\"line\":3,\"facts\":{}}],\"stats\":{}}";
        let entries = read_report(json, "r").unwrap();
        assert_eq!(entries[0].path, "b");
    }

    #[test]
    fn bad_lines_are_named_without_quoting_secrets() {
        let text = "{\"rule_id\":\"x\",\"secret\":\"ok\"}\n{\"rule_id\": \"x\", \"secret\": hunter2-secret}\n";
        let err = read_report(text, "report.jsonl").unwrap_err();
        assert_eq!(err.line, 2);
        let msg = err.to_string();
        assert!(msg.starts_with("report.jsonl line 2:"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let redacted = "{\"rule_id\":\"x\",\"secret\":\"AKIA*****M2\"}\n";
        assert!(read_report(redacted, "r")
            .unwrap_err()
            .to_string()
            .contains("--show-secrets"));
        let missing = "{\"rule_id\":\"x\"}\n";
        assert!(read_report(missing, "r")
            .unwrap_err()
            .to_string()
            .contains("missing field `secret`"));
    }
}

//! Per-repository SARIF under `--out-dir`, for GitHub code scanning.
//!
//! Each repository gets its own log, made by the same SARIF reporter as
//! `keyhound git` (rules, fingerprints, suppressions, history-only tags,
//! `versionControlProvenance`), plus `automationDetails.id`
//! `keyhound-org/<repo>/` so that GitHub keeps each repository's alerts
//! apart (its category). GitHub rejects an upload with more than 25,000
//! results or over 10 MB (gzip-compressed; uncompressed size is used here,
//! which is stricter): such a log is split into parts, each a complete
//! log with a share of the results and a category of its own
//! (`keyhound-org/<repo>/part-2/`).

use serde_json::Value;

use crate::finding::Finding;
use crate::report::{self, Format, Options, Vcs};
use crate::rules::RuleSet;
use crate::stats::Stats;

/// GitHub's limit of results per upload.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub's limit of bytes per upload.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The SARIF logs of one repository: one, or several parts.
pub fn logs(
    repo: &str,
    findings: &[Finding],
    rules: &RuleSet,
    vcs: Option<Vcs>,
    options: &Options,
    limits: (usize, usize),
) -> std::io::Result<Vec<String>> {
    let stats = Stats::default();
    let rep = report::Report {
        findings,
        stats: &stats,
        rules,
        root: None,
        vcs,
        absent: &[],
        warnings: &[],
    };
    let mut bytes = Vec::new();
    report::write(Format::Sarif, &rep, options, &mut bytes)?;
    let mut log: Value = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    let results = log
        .pointer_mut("/runs/0/results")
        .and_then(Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let (max_results, max_bytes) = limits;
    let mut per_part = max_results.max(1);
    loop {
        let chunks: Vec<&[Value]> = if results.is_empty() {
            vec![&[][..]]
        } else {
            results.chunks(per_part).collect()
        };
        let many = chunks.len() > 1;
        let mut out = Vec::new();
        let mut too_big = false;
        for (i, chunk) in chunks.iter().enumerate() {
            let mut part = log.clone();
            let category = if many {
                format!("keyhound-org/{repo}/part-{}/", i + 1)
            } else {
                format!("keyhound-org/{repo}/")
            };
            if let Some(run) = part.pointer_mut("/runs/0").and_then(Value::as_object_mut) {
                run.insert("results".into(), Value::Array(chunk.to_vec()));
                run.insert(
                    "automationDetails".into(),
                    serde_json::json!({ "id": category }),
                );
            }
            let text = serde_json::to_string_pretty(&part).map_err(std::io::Error::other)?;
            if text.len() > max_bytes && chunk.len() > 1 {
                too_big = true;
                break;
            }
            out.push(text);
        }
        if !too_big {
            return Ok(out);
        }
        per_part = (per_part / 2).max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Detector;
    use crate::finding::Origin;

    fn findings(n: usize) -> (RuleSet, Vec<Finding>) {
        let rules = crate::rules::builtin().unwrap();
        let detector = Detector::new(&rules).unwrap();
        // Two GitHub tokens with valid checksums, one finding per file.
        let tokens = [
            "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", // keyhound:allow
            "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", // keyhound:allow
        ];
        let mut out = Vec::new();
        for i in 0..n {
            let blob = format!("TOKEN={}\n", tokens[i % 2]);
            let origin = Origin::File {
                path: format!("f{i}.env"),
            };
            out.extend(crate::scan::findings_in(
                &detector,
                blob.as_bytes(),
                &origin,
                crate::rules::Confidence::Low,
            ));
        }
        assert_eq!(out.len(), n);
        (rules, out)
    }

    fn ids(logs: &[String]) -> Vec<(String, usize)> {
        logs.iter()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["runs"][0]["automationDetails"]["id"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    v["runs"][0]["results"].as_array().unwrap().len(),
                )
            })
            .collect()
    }

    #[test]
    fn one_log_under_the_limits() {
        let (rules, f) = findings(3);
        let out = logs(
            "acme/app",
            &f,
            &rules,
            None,
            &Options::default(),
            (25_000, MAX_BYTES),
        )
        .unwrap();
        assert_eq!(ids(&out), [("keyhound-org/acme/app/".to_string(), 3)]);
    }

    #[test]
    fn split_by_result_count_and_by_size() {
        let (rules, f) = findings(5);
        let out = logs("r", &f, &rules, None, &Options::default(), (2, MAX_BYTES)).unwrap();
        assert_eq!(
            ids(&out),
            [
                ("keyhound-org/r/part-1/".to_string(), 2),
                ("keyhound-org/r/part-2/".to_string(), 2),
                ("keyhound-org/r/part-3/".to_string(), 1),
            ]
        );
        // A byte limit a two-result log passes but the whole one does not.
        let whole = &logs("r", &f, &rules, None, &Options::default(), (100, MAX_BYTES)).unwrap()[0];
        let limit = whole.len() - 1;
        let parts = logs("r", &f, &rules, None, &Options::default(), (100, limit)).unwrap();
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= limit));
        let total: usize = ids(&parts).iter().map(|(_, n)| n).sum();
        assert_eq!(total, 5);
    }
}

//! The org report: one document for a run (or for merged shard runs).
//!
//! [`OrgReport`] is built from the run's [`RepoOutcome`]s and is also what
//! `--format json` writes and `keyhound org merge` reads back, so a merged
//! report is made of the same parts as an unsharded one. Findings are kept
//! as the JSON the other commands print ([`crate::report::finding_json`]:
//! secret redacted unless `--show-secrets`) with `repo`, `new` and
//! `first_seen` added.
//!
//! - [`json`]: `--format json` (the document) and `jsonl` (one finding per
//!   line).
//! - [`summary`]: the human summary's sections, rendered by [`markdown`]
//!   and [`html`] (self-contained, nothing fetched).
//! - [`sarif`]: per-repository SARIF for `--out-dir`, split at GitHub's
//!   upload limits.

pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod summary;

use serde::{Deserialize, Serialize};

use super::run::RepoOutcome;
use super::state::Scope;
use crate::report::{self, Options};

/// Which kind of document this is (merge refuses anything else).
pub const KIND: &str = "keyhound-org-report";

/// A whole org run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgReport {
    pub kind: String,
    /// keyhound's version.
    pub version: String,
    /// `I/N` of the shard(s) this covers (`merged` after a merge).
    pub shard: String,
    /// The scan digest (rules, version, settings).
    pub digest: String,
    /// Only findings new since the last run are listed (`--new-only`).
    pub new_only: bool,
    pub stats: Totals,
    /// Reported findings, live ones first, then by repository and path.
    pub findings: Vec<serde_json::Value>,
    /// Findings a complete scan no longer sees.
    pub fixed: Vec<Fixed>,
    /// Repositories that could not be scanned completely, and why.
    pub failures: Vec<FailureView>,
}

/// Counts for the run and per repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub repos_total: usize,
    pub repos_complete: usize,
    pub repos_failed: usize,
    /// Complete repositories whose refs were those of their last complete
    /// scan: not opened, findings from the state store.
    #[serde(default)]
    pub repos_unchanged: usize,
    /// Blobs scanned in this run: 0 when nothing changed.
    pub blobs_scanned: u64,
    /// Blobs left out as settled by an earlier run (or repository).
    pub blobs_known: u64,
    /// Known blobs with findings read again.
    pub blobs_rechecked: u64,
    /// Reported findings (one per secret and repository).
    pub findings: usize,
    pub new: usize,
    pub fixed: usize,
    /// Findings verified live (`--verify`).
    pub live: usize,
    pub repos: Vec<RepoStats>,
}

/// One repository's line of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoStats {
    pub name: String,
    pub url: String,
    /// `complete` or `failed`.
    pub status: String,
    /// Not opened: refs as at its last complete scan (see
    /// [`Totals::repos_unchanged`]).
    #[serde(default)]
    pub unchanged: bool,
    pub blobs_scanned: u64,
    pub blobs_known: u64,
    pub blobs_rechecked: u64,
    pub findings: usize,
    pub new: usize,
    pub fixed: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// HEAD of the mirror.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

/// A fixed finding, from the store (redacted secret only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fixed {
    pub repo: String,
    pub rule_id: String,
    pub rule_name: String,
    pub provider: String,
    pub severity: String,
    pub fingerprint: String,
    pub secret: String,
    pub first_seen: String,
    pub fixed_at: String,
    /// Where it was, as last seen.
    pub locations: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureView {
    pub repo: String,
    pub url: String,
    pub error: String,
}

/// What a report is made with.
pub struct Build<'a> {
    pub shard: String,
    pub digest: &'a str,
    pub new_only: bool,
    pub options: &'a Options,
}

impl OrgReport {
    /// The report of a finished run.
    pub fn of(outcomes: &[RepoOutcome], b: &Build<'_>) -> OrgReport {
        let mut r = OrgReport {
            kind: KIND.into(),
            version: crate::VERSION.into(),
            shard: b.shard.clone(),
            digest: b.digest.into(),
            new_only: b.new_only,
            ..OrgReport::default()
        };
        for o in outcomes {
            let reported: Vec<_> = o.findings.iter().filter(|f| f.is_reported()).collect();
            let new = reported
                .iter()
                .filter(|f| o.new.contains(&f.fingerprint))
                .count();
            for f in &reported {
                let is_new = o.new.contains(&f.fingerprint);
                if b.new_only && !is_new {
                    continue;
                }
                let mut v = report::finding_json(f, b.options);
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("repo".into(), o.name.clone().into());
                    obj.insert("new".into(), is_new.into());
                    if let Some(first) = o.first_seen.get(&f.fingerprint) {
                        obj.insert("first_seen".into(), first.clone().into());
                    }
                }
                r.findings.push(v);
            }
            for s in &o.fixed {
                r.fixed.push(Fixed {
                    repo: o.name.clone(),
                    rule_id: s.record.rule_id.clone(),
                    rule_name: s.record.rule_name.clone(),
                    provider: s.record.provider.clone(),
                    severity: s.record.severity.clone(),
                    fingerprint: s.record.fingerprint.clone(),
                    secret: s.record.secret_redacted.clone(),
                    first_seen: s.first_seen.clone(),
                    fixed_at: s.fixed_at.clone().unwrap_or_default(),
                    locations: serde_json::from_str(&s.record.places).unwrap_or_default(),
                });
            }
            let error = match &o.scope {
                Scope::Failed(reason) => Some(reason.clone()),
                _ => None,
            };
            if let Some(e) = &error {
                r.failures.push(FailureView {
                    repo: o.name.clone(),
                    url: o.url.clone(),
                    error: e.clone(),
                });
            }
            let p = o.provenance.as_ref();
            r.stats.repos.push(RepoStats {
                name: o.name.clone(),
                url: o.url.clone(),
                status: o.scope.as_str().into(),
                unchanged: o.unchanged,
                blobs_scanned: o.blobs_scanned,
                blobs_known: o.blobs_known,
                blobs_rechecked: o.blobs_rechecked,
                findings: reported.len(),
                new,
                fixed: o.fixed.len(),
                error,
                revision: p.and_then(|p| p.revision_id.clone()),
                branch: o
                    .branch
                    .clone()
                    .or_else(|| p.and_then(|p| p.branch.clone())),
            });
        }
        r.finish();
        r
    }

    /// Merges shard reports into one: repositories, findings, fixed and
    /// failures side by side, totals counted again.
    pub fn merge(parts: Vec<OrgReport>) -> Result<OrgReport, String> {
        let mut out = OrgReport {
            kind: KIND.into(),
            version: crate::VERSION.into(),
            shard: "merged".into(),
            ..OrgReport::default()
        };
        let mut shards = Vec::new();
        for (i, p) in parts.into_iter().enumerate() {
            if p.kind != KIND {
                return Err(format!("input {} is not a keyhound org report", i + 1));
            }
            if i == 0 {
                out.digest = p.digest.clone();
                out.new_only = p.new_only;
            } else if p.digest != out.digest {
                return Err(format!(
                    "input {} was scanned with other rules or settings (scan digest {} vs {})",
                    i + 1,
                    short(&p.digest),
                    short(&out.digest)
                ));
            }
            out.new_only |= p.new_only;
            shards.push(p.shard.clone());
            for repo in p.stats.repos {
                if out.stats.repos.iter().any(|r| r.name == repo.name) {
                    return Err(format!(
                        "repository {:?} is in more than one input (overlapping shards?)",
                        repo.name
                    ));
                }
                out.stats.repos.push(repo);
            }
            out.findings.extend(p.findings);
            out.fixed.extend(p.fixed);
            out.failures.extend(p.failures);
        }
        out.shard = format!("merged {}", shards.join(", "));
        out.finish();
        Ok(out)
    }

    /// Sorts and counts.
    fn finish(&mut self) {
        self.stats.repos.sort_by(|a, b| a.name.cmp(&b.name));
        self.findings.sort_by_key(finding_key);
        self.fixed
            .sort_by(|a, b| (&a.repo, &a.fingerprint).cmp(&(&b.repo, &b.fingerprint)));
        self.failures.sort_by(|a, b| a.repo.cmp(&b.repo));
        let t = &mut self.stats;
        t.repos_total = t.repos.len();
        t.repos_complete = t.repos.iter().filter(|r| r.status == "complete").count();
        t.repos_failed = t.repos.iter().filter(|r| r.status == "failed").count();
        t.repos_unchanged = t.repos.iter().filter(|r| r.unchanged).count();
        t.blobs_scanned = t.repos.iter().map(|r| r.blobs_scanned).sum();
        t.blobs_known = t.repos.iter().map(|r| r.blobs_known).sum();
        t.blobs_rechecked = t.repos.iter().map(|r| r.blobs_rechecked).sum();
        t.findings = t.repos.iter().map(|r| r.findings).sum();
        t.new = t.repos.iter().map(|r| r.new).sum();
        t.fixed = self.fixed.len();
        t.live = self.findings.iter().filter(|f| is_live(f)).count();
    }
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

/// Whether a finding's verification says live.
pub fn is_live(f: &serde_json::Value) -> bool {
    f.pointer("/verification/status").and_then(|s| s.as_str()) == Some("live")
}

/// Live first, then new, then repository, path, line, rule.
fn finding_key(f: &serde_json::Value) -> (bool, bool, String, String, u64, String) {
    let s = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    (
        !is_live(f),
        !f.get("new").and_then(|v| v.as_bool()).unwrap_or(false),
        s("repo"),
        s("path"),
        f.get("line").and_then(|v| v.as_u64()).unwrap_or(0),
        s("rule_id"),
    )
}

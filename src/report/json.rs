//! JSON and JSONL reports.
//!
//! Both formats serialize the same [`FindingView`], so a finding looks the
//! same in either; `docs/json-schema.md` documents every field. The schema is
//! a promise to scripts: fields are only ever added, never renamed or
//! removed, which is why the views below are separate structs rather than
//! `#[derive(Serialize)]` on the internal types (those may change freely).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Options, Report, Tally};
use crate::finding::{BaselineState, Finding, GitOrigin, Place, Suppression};
use crate::rules::{Confidence, Severity};
use crate::stats::{Skip, Stats};

/// One finding as JSON sees it: borrowed from the [`Finding`] except the
/// secret, which is rendered (redacted unless `--show-secrets`) once here.
#[derive(Debug, Serialize)]
pub(crate) struct FindingView<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    provider: &'a str,
    severity: Severity,
    confidence: Confidence,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    secret: String,
    fingerprint: &'a str,
    /// Nested so that a check's fact names can never collide with (or
    /// shadow) the fixed top-level fields.
    facts: &'a BTreeMap<String, String>,
    /// Commit provenance, for `keyhound git` findings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<&'a crate::finding::GitOrigin>,
    /// Every place the secret occurs, the primary (the fields above) first.
    locations: Vec<PlaceView>,
    /// History scans: whether the secret is still in HEAD's tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    in_head: Option<bool>,
    /// With `--baseline`: `new` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<BaselineState>,
    /// Why the finding is suppressed (listed only with
    /// `--include-suppressed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a Suppression>,
    /// `--verify` result: status, identity, reason, checked_at.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a crate::finding::Verification>,
}

/// One place of a finding's secret.
#[derive(Debug, Serialize)]
struct PlaceView {
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<GitOrigin>,
}

impl From<Place> for PlaceView {
    fn from(p: Place) -> PlaceView {
        let loc = p.location;
        PlaceView {
            path: p.origin.display_path().to_string(),
            line: loc.line,
            column: loc.column,
            end_line: loc.end_line,
            end_column: loc.end_column,
            git: match p.origin {
                crate::finding::Origin::Git(g) => Some(*g),
                _ => None,
            },
        }
    }
}

impl<'a> FindingView<'a> {
    /// The only place a JSON finding's secret is rendered.
    pub(crate) fn new(finding: &'a Finding, options: &Options) -> FindingView<'a> {
        let loc = &finding.location;
        FindingView {
            rule_id: &finding.rule_id,
            rule_name: &finding.rule_name,
            provider: &finding.provider,
            severity: finding.severity,
            confidence: finding.confidence,
            path: finding.path(),
            line: loc.line,
            column: loc.column,
            end_line: loc.end_line,
            end_column: loc.end_column,
            secret: finding.secret.shown(options.show_secrets),
            fingerprint: &finding.fingerprint,
            facts: &finding.facts,
            git: finding.git(),
            locations: finding.places().into_iter().map(PlaceView::from).collect(),
            in_head: finding.in_head(),
            baseline_state: finding.baseline,
            suppression: finding.suppression.as_ref(),
            verification: finding.verification.as_ref(),
        }
    }
}

/// The whole `--format json` document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    version: &'static str,
    findings: Vec<FindingView<'a>>,
    stats: StatsView,
    skipped: Vec<SkipView<'a>>,
    /// Inputs of 64 MiB or more, with their size and scan time (absent
    /// when there were none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    large: &'a [crate::stats::LargeInput],
    /// Bad lines of the ignore file or the baseline.
    warnings: Vec<WarningView<'a>>,
}

#[derive(Debug, Serialize)]
struct WarningView<'a> {
    file: &'a str,
    line: usize,
    message: &'a str,
}

/// Run counters. `skipped_by_reason` lists only reasons that occurred, so a
/// new skip reason is an added key rather than a changed shape.
#[derive(Debug, Serialize)]
struct StatsView {
    files_scanned: u64,
    bytes_scanned: u64,
    skipped: usize,
    skipped_by_reason: BTreeMap<&'static str, usize>,
    findings: usize,
    /// Distinct secrets among the reported findings.
    secrets: usize,
    /// Places the reported findings' secrets occur in.
    locations: usize,
    /// Findings suppressed by `keyhound:allow` or the ignore file (SARIF
    /// carries them as `suppressions`).
    suppressed: usize,
    /// Findings in the `--baseline` (not reported again).
    baselined: usize,
    /// History scans only: reported findings still in HEAD / only in
    /// history.
    #[serde(skip_serializing_if = "Option::is_none")]
    in_head: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history_only: Option<usize>,
    elapsed_ms: u64,
}

/// One input that was not scanned.
#[derive(Debug, Serialize)]
struct SkipView<'a> {
    path: &'a str,
    reason: &'static str,
    message: &'a str,
}

impl<'a> From<&'a Skip> for SkipView<'a> {
    fn from(skip: &'a Skip) -> Self {
        SkipView {
            path: &skip.path,
            reason: skip.reason.as_str(),
            message: &skip.message,
        }
    }
}

/// Findings the JSON formats list: suppressed and baselined ones only with
/// `--include-suppressed`.
fn listed<'a>(report: &'a Report<'_>, options: &'a Options) -> impl Iterator<Item = &'a Finding> {
    report.findings.iter().filter(|f| options.lists(f))
}

fn stats_view(stats: &Stats, tally: Tally, history: bool) -> StatsView {
    let mut skipped_by_reason = BTreeMap::new();
    for skip in &stats.skipped {
        *skipped_by_reason.entry(skip.reason.as_str()).or_insert(0) += 1;
    }
    StatsView {
        files_scanned: stats.files_scanned,
        bytes_scanned: stats.bytes_scanned,
        skipped: stats.skipped.len(),
        skipped_by_reason,
        findings: tally.findings,
        secrets: tally.secrets,
        locations: tally.locations,
        suppressed: tally.suppressed,
        baselined: tally.baselined,
        in_head: history.then_some(tally.in_head),
        history_only: history.then_some(tally.history_only),
        // u64 milliseconds last 584 million years; saturate rather than fail.
        elapsed_ms: u64::try_from(stats.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

/// Serialization of our own views cannot really fail, but a writer can;
/// either way the caller gets one error type. serde_json hands a writer's
/// own error back unchanged, so its kind (a closed pipe) survives.
fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::from(e)
}

/// `--format json`: one pretty-printed document.
pub fn write_json(report: &Report<'_>, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let findings: Vec<FindingView<'_>> = listed(report, options)
        .map(|f| FindingView::new(f, options))
        .collect();
    let history = report.vcs.is_some();
    let doc = Document {
        version: crate::VERSION,
        stats: stats_view(report.stats, Tally::of(report.findings), history),
        findings,
        skipped: report.stats.skipped.iter().map(SkipView::from).collect(),
        large: &report.stats.large,
        warnings: report
            .warnings
            .iter()
            .map(|w| WarningView {
                file: &w.file,
                line: w.line,
                message: &w.message,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(to_io)?;
    writeln!(out)
}

/// `--format jsonl`: one compact finding object per line, nothing else, so
/// `grep`, `jq -c` and line-oriented log shippers can consume it directly.
pub fn write_jsonl(report: &Report<'_>, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    for finding in listed(report, options) {
        serde_json::to_writer(&mut *out, &FindingView::new(finding, options)).map_err(to_io)?;
        writeln!(out)?;
    }
    Ok(())
}

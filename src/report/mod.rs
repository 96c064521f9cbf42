//! Reports: pure functions from findings and stats to bytes.
//!
//! Reporters know nothing about how findings were made. Each format is one
//! module; [`write()`] picks by [`Format`]. Secrets pass through
//! [`crate::finding::Secret::shown`], so `--show-secrets` is the only way a
//! clear secret reaches output.

use std::io::{self, Write};

use crate::finding::{BaselineState, Finding};
use crate::rules::RuleSet;
use crate::stats::Stats;
use crate::suppress::baseline::BaselineEntry;

mod json;
mod sarif;
mod text;

pub use text::exposure_lines;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Sarif,
}

/// Everything a reporter may read.
pub struct Report<'a> {
    /// Findings to report, sorted by path, line, column, rule.
    /// Suppressed findings are included only when a format wants them
    /// (SARIF always carries them as `suppressions`); the text/JSON writers
    /// skip findings with `suppression` set.
    pub findings: &'a [Finding],
    pub stats: &'a Stats,
    /// Every rule of the run (SARIF lists them all in `tool.driver.rules`).
    pub rules: &'a RuleSet,
    /// The scanned root as given on the command line, for SARIF's
    /// `originalUriBaseIds` (absolute path) — `None` for stdin.
    pub root: Option<std::path::PathBuf>,
    /// The scanned repository, for `keyhound git` (SARIF
    /// `versionControlProvenance`).
    pub vcs: Option<Vcs>,
    /// Baseline entries no finding matched, for `--report-absent` (SARIF
    /// results with `baselineState: absent`); empty otherwise.
    pub absent: &'a [BaselineEntry],
    /// Bad lines of the ignore file or the baseline (JSON `warnings`, SARIF
    /// `toolConfigurationNotifications`).
    pub warnings: &'a [crate::suppress::entries::Warning],
}

/// What the summary lines count, the same in every format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reported findings (not suppressed, not in the baseline).
    pub findings: usize,
    /// Distinct secrets (fingerprints) among them.
    pub secrets: usize,
    /// Places they occur in.
    pub locations: usize,
    /// Findings suppressed (inline, ignore file).
    pub suppressed: usize,
    /// Findings in the baseline (`unchanged`).
    pub baselined: usize,
    /// History scans: reported findings still in HEAD, and only in history.
    pub in_head: usize,
    pub history_only: usize,
}

impl Tally {
    pub fn of(findings: &[Finding]) -> Tally {
        let mut t = Tally::default();
        let mut secrets = std::collections::HashSet::new();
        for f in findings {
            if f.suppression.is_some() {
                t.suppressed += 1;
            } else if f.baseline == Some(BaselineState::Unchanged) {
                t.baselined += 1;
            } else {
                t.findings += 1;
                t.locations += f.location_count();
                secrets.insert(f.fingerprint.as_str());
                match f.in_head() {
                    Some(true) => t.in_head += 1,
                    Some(false) => t.history_only += 1,
                    None => {}
                }
            }
        }
        t.secrets = secrets.len();
        t
    }
}

/// The repository a history scan read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vcs {
    pub repository_uri: String,
    pub revision_id: Option<String>,
    pub branch: Option<String>,
}

/// How to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub show_secrets: bool,
    /// ANSI colours in text output (decided by the caller: TTY and
    /// `--color`).
    pub color: bool,
    /// `--include-suppressed`: text and JSON also list suppressed and
    /// baselined findings, marked as such.
    pub include_suppressed: bool,
}

impl Options {
    /// Whether text and JSON list `finding`.
    pub fn lists(&self, finding: &Finding) -> bool {
        self.include_suppressed || finding.is_reported()
    }
}

/// One finding as the JSON formats show it (the same fields, secret
/// redacted unless `options.show_secrets`), for reports that wrap findings
/// in documents of their own (`keyhound org`).
pub fn finding_json(finding: &Finding, options: &Options) -> serde_json::Value {
    serde_json::to_value(json::FindingView::new(finding, options)).unwrap_or_default()
}

/// Writes `report` in `format`.
pub fn write(
    format: Format,
    report: &Report<'_>,
    options: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, options, out),
        Format::Json => json::write_json(report, options, out),
        Format::Jsonl => json::write_jsonl(report, options, out),
        Format::Sarif => sarif::write(report, options, out),
    }
}

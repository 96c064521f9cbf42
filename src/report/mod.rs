//! Reports: pure functions from findings and stats to bytes.
//!
//! Reporters know nothing about how findings were made. Each format is one
//! module; [`write`] picks by [`Format`]. Secrets pass through
//! [`crate::finding::Secret::shown`], so `--show-secrets` is the only way a
//! clear secret reaches output.

use std::io::{self, Write};

use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::stats::Stats;

mod json;
mod sarif;
mod text;

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

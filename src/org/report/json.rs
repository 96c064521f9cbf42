//! `--format json` and `jsonl` for org runs.
//!
//! JSON is the whole [`OrgReport`] (what `keyhound org merge` reads);
//! JSONL is one finding per line, each with its `repo`, like the JSONL of
//! the other commands plus those fields.

use std::io::{self, Write};

use super::OrgReport;

pub fn write_json(report: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}

pub fn write_jsonl(report: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        writeln!(out, "{}", f.get())?;
    }
    Ok(())
}

/// Reads a report written with `--format json`.
pub fn read(text: &str) -> Result<OrgReport, String> {
    serde_json::from_str(text)
        .map_err(|e| format!("not an org report written with --format json: {e}"))
}

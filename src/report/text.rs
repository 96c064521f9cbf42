//! Text report: for a person at a terminal or reading a CI log.
//!
//! One block per finding, then the skipped files worth a warning, then one
//! summary line. Colour is decided by the caller ([`Options::color`]); with
//! it off the output is plain ASCII-styled text with no escape sequences, so
//! logs and `grep` see exactly what a person would.

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};

use super::{Options, Report, Tally};
use crate::finding::{Finding, GitOrigin, Origin, Place};
use crate::rules::Severity;
use crate::stats::{Skip, Stats};

/// At most this many other places of a secret are listed; JSON lists all.
const MAX_PLACES: usize = 5;

/// At most this many skipped-file warnings are listed; the rest are
/// counted, so a tree full of unreadable files does not bury the findings.
const MAX_SKIP_WARNINGS: usize = 20;

/// Writes the text report.
pub fn write(report: &Report<'_>, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint {
        color: options.color,
    };
    for finding in report.findings.iter().filter(|f| options.lists(f)) {
        write_finding(finding, options, &paint, out)?;
    }
    write_skip_warnings(&report.stats.skipped, &paint, out)?;
    write_large_inputs(&report.stats.large, &paint, out)?;
    if !report.absent.is_empty() {
        writeln!(
            out,
            "{} baseline {} no longer found (`keyhound baseline check` lists them).",
            report.absent.len(),
            plural(report.absent.len(), "entry", "entries")
        )?;
    }
    // A history or staged scan reads blobs (each once, whatever the number
    // of paths and commits it has); a directory scan reads files.
    let unit = match report.vcs {
        Some(_) => Unit::Blobs,
        None => Unit::Files,
    };
    write_summary(report.stats, Tally::of(report.findings), unit, &paint, out)
}

/// What the summary counts as scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Files,
    Blobs,
}

impl Unit {
    fn name(self, n: u64) -> &'static str {
        match self {
            Unit::Files => plural(n, "file", "files"),
            Unit::Blobs => plural(n, "blob", "blobs"),
        }
    }
}

/// Applies ANSI styles only when colour is on.
struct Paint {
    color: bool,
}

impl Paint {
    fn paint<'t>(&self, style: Style, text: &'t str) -> Cow<'t, str> {
        if self.color {
            Cow::Owned(format!("{style}{text}{style:#}"))
        } else {
            Cow::Borrowed(text)
        }
    }
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

fn fg(color: AnsiColor) -> Style {
    Style::new().fg_color(Some(anstyle::Color::Ansi(color)))
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => fg(AnsiColor::Red).bold(),
        Severity::High => fg(AnsiColor::Red),
        Severity::Medium => fg(AnsiColor::Yellow),
        Severity::Low => fg(AnsiColor::Cyan),
        Severity::Info => DIM,
    }
}

/// Escapes control characters. Paths, facts and (with `--show-secrets`)
/// secrets come from scanned data; a crafted file name or secret must not
/// be able to move the cursor or recolour the terminal, nor add fake lines.
fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_debug().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// One finding:
///
/// ```text
/// AWS access key ID [aws-access-key-id]
///   at          src/config.py:12:18
///   severity    high (confidence high)
///   secret      AKIA*****M2
///   facts       aws_account_id=123456789012
/// ```
fn write_finding(
    finding: &Finding,
    options: &Options,
    paint: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let loc = &finding.location;
    writeln!(
        out,
        "{} [{}]",
        paint.paint(BOLD, &clean(&finding.rule_name)),
        clean(&finding.rule_id)
    )?;
    let at = format!("{}:{}:{}", clean(finding.path()), loc.line, loc.column);
    writeln!(out, "  at          {}", paint.paint(BOLD, &at))?;
    writeln!(
        out,
        "  severity    {} (confidence {})",
        paint.paint(severity_style(finding.severity), finding.severity.as_str()),
        finding.confidence
    )?;
    let secret = finding.secret.shown(options.show_secrets);
    writeln!(
        out,
        "  secret      {}",
        paint.paint(fg(AnsiColor::Yellow), &clean(&secret))
    )?;
    if !finding.facts.is_empty() {
        let facts: Vec<String> = finding
            .facts
            .iter()
            .map(|(k, v)| format!("{}={}", clean(k), clean(v)))
            .collect();
        writeln!(out, "  facts       {}", facts.join(", "))?;
    }
    if let Some(git) = finding.git() {
        write_commit(git, out)?;
    }
    match finding.in_head() {
        Some(true) => writeln!(out, "  history     still in HEAD")?,
        Some(false) => writeln!(out, "  history     only in history (not in HEAD)")?,
        None => {}
    }
    if let Some(sup) = &finding.suppression {
        writeln!(
            out,
            "  suppressed  {} ({})",
            clean(&sup.justification),
            match sup.kind {
                crate::finding::SuppressionKind::InSource => "in source",
                crate::finding::SuppressionKind::External => "external",
            }
        )?;
    }
    if let Some(state) = finding.baseline.filter(|_| !finding.is_reported()) {
        writeln!(out, "  baseline    {}", state.as_str())?;
    }
    let places = finding.places();
    if places.len() > 1 {
        let others = places.len() - 1;
        writeln!(
            out,
            "  also at     {others} other {}",
            plural(others, "place", "places")
        )?;
        for place in places.iter().skip(1).take(MAX_PLACES) {
            writeln!(out, "              {}", clean(&place_label(place)))?;
        }
        if others > MAX_PLACES {
            writeln!(
                out,
                "              … and {} more (--format json lists all)",
                others - MAX_PLACES
            )?;
        }
    }
    if let Some(v) = &finding.verification {
        write_verification(v, paint, out)?;
    }
    writeln!(out)
}

/// The commit that introduced a history finding's blob, as people triaging
/// a history scan need it (who, when, in what change):
///
/// ```text
///   commit      3f2c…e9 Add deploy config
///   author      Jane Doe <jane@example.com>, 2024-05-01T10:00:00+02:00
/// ```
///
/// A blob no commit reaches (dangling, or staged) names the blob instead.
fn write_commit(git: &GitOrigin, out: &mut dyn Write) -> io::Result<()> {
    let Some(commit) = &git.commit else {
        let what = if git.reachable {
            "not committed"
        } else {
            "no commit reaches it"
        };
        return writeln!(out, "  blob        {} ({what})", clean(&git.blob));
    };
    match &git.summary {
        Some(summary) => writeln!(out, "  commit      {} {}", clean(commit), clean(summary))?,
        None => writeln!(out, "  commit      {}", clean(commit))?,
    }
    let who = match (&git.author, &git.email) {
        (Some(name), Some(email)) => format!("{} <{}>", clean(name), clean(email)),
        (Some(name), None) => clean(name).into_owned(),
        (None, Some(email)) => format!("<{}>", clean(email)),
        (None, None) => String::new(),
    };
    match (who.is_empty(), &git.date) {
        (false, Some(date)) => writeln!(out, "  author      {who}, {}", clean(date)),
        (false, None) => writeln!(out, "  author      {who}"),
        (true, Some(date)) => writeln!(out, "  date        {}", clean(date)),
        (true, None) => Ok(()),
    }
}

/// `path:line:column`, with the introducing commit for history places.
fn place_label(place: &Place) -> String {
    let loc = &place.location;
    let mut label = format!(
        "{}:{}:{}",
        place.origin.display_path(),
        loc.line,
        loc.column
    );
    if let Origin::Git(g) = &place.origin {
        if let Some(commit) = &g.commit {
            label.push_str(" (commit ");
            label.push_str(commit.get(..10).unwrap_or(commit));
            label.push(')');
        }
    }
    label
}

/// `  verified    live (arn=…, account=…)` or `  verified    dead: why`.
fn write_verification(
    v: &crate::finding::Verification,
    paint: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    use crate::finding::Status;
    let style = match v.status {
        Status::Live => fg(AnsiColor::Red).bold(),
        Status::Dead => fg(AnsiColor::Green),
        Status::Unknown => fg(AnsiColor::Yellow),
        Status::Skipped => DIM,
    };
    let mut line = paint.paint(style, v.status.as_str()).into_owned();
    if !v.identity.is_empty() {
        let identity: Vec<String> = v
            .identity
            .iter()
            .map(|(k, v)| format!("{}={}", clean(k), clean(v)))
            .collect();
        line.push_str(&format!(" ({})", identity.join(", ")));
    }
    if let Some(reason) = &v.reason {
        line.push_str(&format!(": {}", clean(reason)));
    }
    writeln!(out, "  verified    {line}")?;
    if let Some(exposure) = &v.exposure {
        for (label, text) in exposure_lines(exposure) {
            let text = match label {
                "QUARANTINED" | "can" => paint.paint(fg(AnsiColor::Red).bold(), &text).into_owned(),
                _ => text,
            };
            writeln!(out, "  {label:<11} {text}")?;
        }
    }
    Ok(())
}

/// What a live key may do (`--exposure`), as labelled lines, costliest
/// capability first:
///
/// ```text
///   can         launch compute (ec2:RunInstances, lambda:CreateFunction), read S3 (limited: s3:GetObject)
///   cannot      create IAM users or keys, touch billing
///   policies    managed:PowerUserAccess, inline:deploy (read and evaluated by keyhound: …)
/// ```
pub fn exposure_lines(e: &crate::finding::Exposure) -> Vec<(&'static str, String)> {
    use crate::finding::Decision;
    let mut lines = Vec::new();
    if e.quarantined {
        lines.push((
            "QUARANTINED",
            "AWS has attached an AWSCompromisedKeyQuarantine policy to this key's user: \
             AWS already knows it leaked; rotate it and check CloudTrail"
                .to_string(),
        ));
    }
    let (mut can, mut cannot, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for c in &e.capabilities {
        let name = clean(&c.name).into_owned();
        match c.decision {
            Decision::Allowed | Decision::Limited => {
                let actions: Vec<String> = c
                    .actions
                    .iter()
                    .filter(|(_, d)| d.can())
                    .map(|(a, d)| match d {
                        Decision::Limited => format!("limited: {}", clean(a)),
                        _ => clean(a).into_owned(),
                    })
                    .collect();
                can.push(format!("{name} ({})", actions.join(", ")));
            }
            Decision::Unknown => unknown.push(name),
            Decision::NotAllowed | Decision::Denied => cannot.push(name),
        }
    }
    for (label, list) in [("can", can), ("cannot", cannot), ("unknown", unknown)] {
        if !list.is_empty() {
            lines.push((label, list.join(", ")));
        }
    }
    let method = match e.method.as_str() {
        "simulated" => "decided by IAM's policy simulator",
        "root" => "the account's root user: no policy limits it",
        _ => "read and evaluated by keyhound: SCPs and permission boundaries not seen",
    };
    let policies: Vec<String> = e.policies.iter().map(|p| clean(p).into_owned()).collect();
    lines.push((
        "policies",
        if policies.is_empty() {
            format!("none read ({method})")
        } else {
            format!("{} ({method})", policies.join(", "))
        },
    ));
    if !e.unread.is_empty() {
        let unread: Vec<String> = e.unread.iter().map(|u| clean(u).into_owned()).collect();
        lines.push(("unread", unread.join("; ")));
    }
    lines
}

/// Skips that are problems (unreadable, broken links, …); binary files are
/// skipped by design and only counted in the summary.
fn write_skip_warnings(skipped: &[Skip], paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let warnings: Vec<&Skip> = skipped.iter().filter(|s| s.reason.is_warning()).collect();
    let label = paint.paint(fg(AnsiColor::Yellow).bold(), "warning:");
    for skip in warnings.iter().take(MAX_SKIP_WARNINGS) {
        writeln!(
            out,
            "{label} skipped {}: {} ({})",
            clean(&skip.path),
            skip.reason.as_str(),
            clean(&skip.message)
        )?;
    }
    if warnings.len() > MAX_SKIP_WARNINGS {
        writeln!(
            out,
            "{label} … and {} more skipped files",
            warnings.len() - MAX_SKIP_WARNINGS
        )?;
    }
    Ok(())
}

/// One line per large input scanned (streamed), so a slow run says why.
fn write_large_inputs(
    large: &[crate::stats::LargeInput],
    paint: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let label = paint.paint(fg(AnsiColor::Cyan).bold(), "note:");
    for input in large.iter().take(MAX_SKIP_WARNINGS) {
        writeln!(
            out,
            "{label} scanned large file {} ({}) in {:.2} s",
            clean(&input.path),
            human_bytes(input.bytes),
            input.seconds
        )?;
    }
    if large.len() > MAX_SKIP_WARNINGS {
        writeln!(
            out,
            "{label} … and {} more large files",
            large.len() - MAX_SKIP_WARNINGS
        )?;
    }
    Ok(())
}

/// The last line, e.g. `2 findings in 5 places (1 in HEAD, 1 only in
/// history; 1 suppressed). Scanned 12 files (4.2 MiB), skipped 1, in 1.23
/// s.` or `No secrets found. …`.
fn write_summary(
    stats: &Stats,
    tally: Tally,
    unit: Unit,
    paint: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let findings = tally.findings;
    let headline = match findings {
        0 => paint
            .paint(fg(AnsiColor::Green).bold(), "No secrets found")
            .into_owned(),
        n => {
            let text = format!("{n} {}", plural(n, "finding", "findings"));
            paint.paint(fg(AnsiColor::Red).bold(), &text).into_owned()
        }
    };
    let mut notes = Vec::new();
    // History scans know; file and staged scans leave both at 0.
    if tally.in_head + tally.history_only > 0 {
        notes.push(format!(
            "{} in HEAD, {} only in history",
            tally.in_head, tally.history_only
        ));
    }
    if tally.suppressed > 0 {
        notes.push(format!("{} suppressed", tally.suppressed));
    }
    if tally.baselined > 0 {
        notes.push(format!("{} in baseline", tally.baselined));
    }
    let mut suppressed = String::new();
    if tally.locations > findings {
        suppressed.push_str(&format!(" in {} places", tally.locations));
    }
    if !notes.is_empty() {
        suppressed.push_str(&format!(" ({})", notes.join("; ")));
    }
    let files = stats.files_scanned;
    writeln!(
        out,
        "{headline}{suppressed}. Scanned {files} {} ({}), skipped {}, in {}.",
        unit.name(files),
        human_bytes(stats.bytes_scanned),
        stats.skipped.len(),
        human_duration(stats.elapsed),
    )
}

fn plural<N: PartialEq + From<u8>>(n: N, one: &'static str, many: &'static str) -> &'static str {
    if n == N::from(1) {
        one
    } else {
        many
    }
}

/// Binary units, one decimal: `512 B`, `4.2 KiB`, `1.0 GiB`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Precision loss above 2^53 bytes is irrelevant at one decimal.
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `850 ms` below a second, `1.23 s` above.
fn human_duration(elapsed: Duration) -> String {
    if elapsed < Duration::from_secs(1) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format!("{:.2} s", elapsed.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(4_404_019), "4.2 MiB");
        assert_eq!(human_bytes(u64::MAX), "16384.0 PiB");
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(human_duration(Duration::from_millis(1234)), "1.23 s");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert!(matches!(clean("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn paint_only_with_color() {
        let style = fg(AnsiColor::Red);
        assert_eq!(Paint { color: false }.paint(style, "x"), "x");
        assert!(Paint { color: true }.paint(style, "x").contains('\u{1b}'));
    }
}

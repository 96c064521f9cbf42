//! SARIF 2.1.0 report, shaped for GitHub code scanning.
//!
//! Built from `serde-sarif`'s generated types so the output cannot drift
//! from the schema's field names; `tests/report_formats.rs` validates it
//! against the official schema. GitHub-specific choices:
//!
//! - every rule of the run is listed (not only those that fired), with
//!   `security-severity`, `precision` and `tags`, which GitHub uses to rank
//!   and filter alerts;
//! - `partialFingerprints["keyhound/v1"]` is the finding fingerprint (rule id
//!   + secret), so an alert survives line moves and rebases;
//! - locations are relative URIs under `%SRCROOT%`, which GitHub resolves
//!   against the checkout;
//! - suppressed findings are kept, with `suppressions`, so GitHub shows them
//!   as dismissed instead of reopening them;
//! - one result per secret: its other places are `relatedLocations`;
//! - with a baseline every result has `baselineState`, and `--report-absent`
//!   adds `absent` results for baseline entries no longer found;
//! - history-only secrets (not in HEAD) carry the tag `history-only` and
//!   the property `in_head: false`, so a team can filter them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;
use serde_sarif::sarif as s;

use super::{Options, Report};
use crate::finding::{Finding, Origin, Place, Suppression, SuppressionKind};
use crate::rules::{Confidence, Rule, RuleSet, Severity};
use crate::stats::Skip;
use crate::suppress::baseline::BaselineEntry;
use crate::suppress::entries::Warning;

/// `$schema`: the URL GitHub and most SARIF viewers recognise.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
/// The base id every relative location hangs off.
const SRCROOT: &str = "%SRCROOT%";
/// The key of our entry in `partialFingerprints`; bump the suffix if the
/// fingerprint definition ever changes, so old alerts are not mismatched.
const FINGERPRINT_KEY: &str = "keyhound/v1";

/// At most this many `relatedLocations` per result: GitHub displays 100
/// and rejects uploads with over 1,000 locations per result, and a key
/// kept for 10,000 commits must not make the log huge. The result's
/// `properties.locations` has the full count; JSON lists every place.
const MAX_RELATED_LOCATIONS: usize = 100;

/// The result tag of secrets found only in history, not in HEAD.
const HISTORY_ONLY_TAG: &str = "history-only";

/// `tool.driver.informationUri`: the package's homepage or repository when
/// Cargo.toml declares one.
const INFORMATION_URI: &str = information_uri();

const fn information_uri() -> &'static str {
    let homepage = env!("CARGO_PKG_HOMEPAGE");
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !homepage.is_empty() {
        homepage
    } else if !repository.is_empty() {
        repository
    } else {
        "https://github.com/keyhound/keyhound"
    }
}

/// Writes the SARIF log for `report`, pretty-printed.
pub fn write(report: &Report<'_>, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let log = sarif_log(report, options);
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    writeln!(out)
}

/// The whole log: one run.
fn sarif_log(report: &Report<'_>, options: &Options) -> s::Sarif {
    s::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(Value::from(SARIF_VERSION))
        .runs(vec![run(report, options)])
        .build()
}

fn run(report: &Report<'_>, options: &Options) -> s::Run {
    let results = report
        .findings
        .iter()
        .map(|f| result(f, report.rules, options))
        .chain(report.absent.iter().map(|e| absent_result(e, report.rules)))
        .collect::<Vec<_>>();
    let mut run = s::Run::builder()
        .tool(tool(report.rules))
        .results(results)
        .invocations(vec![invocation(&report.stats.skipped, report.warnings)])
        // Our columns count characters (see `finding::Location`).
        .column_kind(Value::from("unicodeCodePoints"))
        .build();
    // Without a root (stdin) there is nothing to resolve against.
    run.original_uri_base_ids = report.root.as_deref().and_then(root_uri).map(|uri| {
        let base = s::ArtifactLocation::builder().uri(uri).build();
        BTreeMap::from([(SRCROOT.to_string(), base)])
    });
    run.version_control_provenance = report.vcs.as_ref().map(|vcs| {
        let mut details = s::VersionControlDetails::builder()
            .repository_uri(vcs.repository_uri.clone())
            .build();
        details.revision_id = vcs.revision_id.clone();
        details.branch = vcs.branch.clone();
        details.mapped_to = Some(
            s::ArtifactLocation::builder()
                .uri("")
                .uri_base_id(SRCROOT)
                .build(),
        );
        vec![details]
    });
    run
}

// ---------------------------------------------------------------------------
// tool.driver and its rules

fn tool(rules: &RuleSet) -> s::Tool {
    let driver = s::ToolComponent::builder()
        .name("keyhound")
        .version(crate::VERSION)
        .semantic_version(crate::VERSION)
        .information_uri(INFORMATION_URI)
        .rules(rules.rules().iter().map(descriptor).collect::<Vec<_>>())
        .build();
    s::Tool::builder().driver(driver).build()
}

/// One `reportingDescriptor`: what GitHub shows in an alert's side panel.
fn descriptor(rule: &Rule) -> s::ReportingDescriptor {
    let default_configuration = s::ReportingConfiguration::builder()
        .level(Value::from(level(rule.severity).to_string()))
        .build();
    let mut descriptor = s::ReportingDescriptor::builder()
        .id(rule.id.as_str())
        .name(pascal_case(&rule.id))
        .short_description(message_string(&rule.name))
        .full_description(message_string(&rule.description))
        .help(help(rule))
        .default_configuration(default_configuration)
        .properties(rule_properties(rule))
        .build();
    descriptor.help_uri = rule.references.iter().find(|r| is_web_url(r)).cloned();
    descriptor
}

fn message_string(text: &str) -> s::MultiformatMessageString {
    s::MultiformatMessageString::builder().text(text).build()
}

/// Rule ids are kebab-case (`aws-access-key-id`); SARIF recommends a
/// PascalCase identifier for `name` (`AwsAccessKeyId`).
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// `helpUri` must be an absolute URI; references are free text, so only
/// plain web links qualify.
fn is_web_url(reference: &str) -> bool {
    (reference.starts_with("https://") || reference.starts_with("http://"))
        && !reference.contains(char::is_whitespace)
}

/// The remediation text. The order matters: a leaked credential must be
/// rotated before history is rewritten, because rewriting does not un-leak
/// it from clones, forks, caches and CI logs.
fn help(rule: &Rule) -> s::MultiformatMessageString {
    let text = format!(
        "{name} ({provider}): {description}\n\n\
         What to do:\n\
         1. Rotate the credential first: revoke or deactivate it with the provider \
         ({provider}) and issue a new one. Treat it as compromised from the moment \
         it was committed.\n\
         2. Then remove it from the code and from version-control history \
         (e.g. git filter-repo), and keep the new one in a secret store or \
         environment variable.\n\
         3. If this is not a real credential (test fixture, documentation value), \
         mark the line with a `keyhound:allow` comment to suppress the finding.",
        name = rule.name,
        provider = rule.provider,
        description = rule.description,
    );
    let markdown = format!(
        "**{name}** ({provider})\n\n{description}\n\n\
         ### What to do\n\n\
         1. **Rotate the credential first**: revoke or deactivate it with the \
         provider ({provider}) and issue a new one. Treat it as compromised from \
         the moment it was committed.\n\
         2. **Then remove it** from the code and from version-control history \
         (e.g. `git filter-repo`), and keep the new one in a secret store or \
         environment variable.\n\
         3. **False positive?** If this is not a real credential (test fixture, \
         documentation value), add a `keyhound:allow` comment on the line to \
         suppress the finding.",
        name = rule.name,
        provider = rule.provider,
        description = rule.description,
    );
    s::MultiformatMessageString::builder()
        .text(text)
        .markdown(markdown)
        .build()
}

fn rule_properties(rule: &Rule) -> s::PropertyBag {
    let extra = BTreeMap::from([
        (
            "security-severity".to_string(),
            Value::from(rule.severity.security_severity()),
        ),
        (
            "precision".to_string(),
            Value::from(precision(rule.confidence)),
        ),
    ]);
    s::PropertyBag::builder()
        .tags(vec![
            "security".to_string(),
            "secret".to_string(),
            rule.provider.clone(),
        ])
        .additional_properties(extra)
        .build()
}

/// GitHub's `precision` vocabulary (`very-high` is not used: no pattern
/// match alone is that certain).
fn precision(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// SARIF has three levels; GitHub shows `error` as a failing check.
fn level(severity: Severity) -> s::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => s::ResultLevel::Error,
        Severity::Medium => s::ResultLevel::Warning,
        Severity::Low | Severity::Info => s::ResultLevel::Note,
    }
}

// ---------------------------------------------------------------------------
// results

/// A credential proven live is an error whatever the rule's severity.
fn result_level(finding: &Finding) -> s::ResultLevel {
    match &finding.verification {
        Some(v) if v.status == crate::finding::Status::Live => s::ResultLevel::Error,
        _ => level(finding.severity),
    }
}

/// The result's message; with `--exposure`, a markdown version lists what
/// the live key may do, for viewers that render it (GitHub code scanning).
fn message(finding: &Finding, text: String) -> s::Message {
    let Some(exposure) = finding
        .verification
        .as_ref()
        .and_then(|v| v.exposure.as_ref())
    else {
        return s::Message::builder().text(text).build();
    };
    let mut markdown = format!("{text}\n\n**What this live key may do**\n");
    for (label, line) in super::exposure_lines(exposure) {
        markdown.push_str(&format!("\n- **{label}**: {}", markdown_escape(&line)));
    }
    s::Message::builder().text(text).markdown(markdown).build()
}

/// Markdown's inline specials escaped: names come from the provider.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn result(finding: &Finding, rules: &RuleSet, options: &Options) -> s::Result {
    let mut text = format!(
        "{} {} found",
        finding.rule_name,
        finding.secret.shown(options.show_secrets)
    );
    let count = finding.location_count();
    if count > 1 {
        text.push_str(&format!(" in {count} places"));
    }
    let mut result = s::Result::builder()
        .rule_id(finding.rule_id.as_str())
        .level(result_level(finding))
        .message(message(finding, text))
        .locations(vec![location(&finding.origin, &finding.location)])
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            finding.fingerprint.clone(),
        )]))
        .properties(result_properties(finding))
        .build();
    // `ruleIndex` must point at the rule; a finding of a rule that is not
    // in the set (should not happen) still carries its `ruleId`.
    result.rule_index = rules
        .index_of(&finding.rule_id)
        .and_then(|i| i64::try_from(i).ok());
    result.suppressions = suppressions(finding.suppression.as_ref());
    let places = finding.places();
    if places.len() > 1 {
        result.related_locations = Some(
            places
                .iter()
                .skip(1)
                .take(MAX_RELATED_LOCATIONS)
                .zip(1..)
                .map(|(place, id)| related_location(place, id))
                .collect(),
        );
    }
    result.baseline_state = finding.baseline.map(|b| Value::from(b.as_str()));
    result
}

/// Another place of the secret, labelled with its commit for history.
fn related_location(place: &Place, id: i64) -> s::Location {
    let mut loc = location(&place.origin, &place.location);
    loc.id = Some(id);
    let text = match &place.origin {
        Origin::Git(g) => match &g.commit {
            Some(c) => format!("also in commit {}", c.get(..12).unwrap_or(c)),
            None => format!("also in blob {}", g.blob),
        },
        _ => "also here".to_string(),
    };
    loc.message = Some(s::Message::builder().text(text).build());
    loc
}

/// A baseline entry whose secret no longer occurs (`--report-absent`):
/// there is no place to point at, only the fingerprint and, when the
/// entry's note names a rule of the run, the rule.
fn absent_result(entry: &BaselineEntry, rules: &RuleSet) -> s::Result {
    let text = format!(
        "Baseline entry {} (line {}) matches no finding any more: the secret is gone \
         and the entry can be removed.",
        entry.fingerprint, entry.line
    );
    let mut result = s::Result::builder()
        .message(s::Message::builder().text(text).build())
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            entry.fingerprint.clone(),
        )]))
        .build();
    result.baseline_state = Some(Value::from("absent"));
    if let Some(rule) = entry.note.as_deref().filter(|n| rules.get(n).is_some()) {
        result.rule_id = Some(rule.to_string());
        result.rule_index = rules.index_of(rule).and_then(|i| i64::try_from(i).ok());
    }
    result
}

/// An empty `suppressions` array would mean "reviewed, not suppressed";
/// for unsuppressed findings the property is left out instead.
fn suppressions(suppression: Option<&Suppression>) -> Option<Vec<s::Suppression>> {
    suppression.map(|sup| {
        let kind = match sup.kind {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        };
        vec![s::Suppression::builder()
            .kind(Value::from(kind))
            .justification(sup.justification.as_str())
            .build()]
    })
}

fn location(origin: &Origin, loc: &crate::finding::Location) -> s::Location {
    if let Some((file, _)) = archive_member(origin) {
        // A member of an archive on disk: the archive is the artifact code
        // scanning can point at; lines and columns are the member's, so the
        // member is named as a logical location and no region is claimed.
        let path = origin.display_path();
        let physical = s::PhysicalLocation::builder()
            .artifact_location(artifact_location(file))
            .build();
        let logical = s::LogicalLocation::builder()
            .fully_qualified_name(path)
            .kind("resource")
            .build();
        let text = format!("{path}, line {}, column {}", loc.line, loc.column);
        return s::Location::builder()
            .physical_location(physical)
            .logical_locations(vec![logical])
            .message(s::Message::builder().text(text).build())
            .build();
    }
    let region = s::Region::builder()
        .start_line(to_i64(loc.line))
        .start_column(to_i64(loc.column))
        .end_line(to_i64(loc.end_line))
        .end_column(to_i64(loc.end_column))
        .build();
    let artifact = match origin {
        Origin::File { path } => artifact_location(path),
        // The file at the introducing commit, relative to the repository.
        Origin::Git(_) => artifact_location(origin.display_path()),
        // No file to point at; the URI is only a label.
        Origin::Stdin => s::ArtifactLocation::builder()
            .uri(percent_encode(origin.display_path(), b""))
            .build(),
    };
    let physical = s::PhysicalLocation::builder()
        .artifact_location(artifact)
        .region(region)
        .build();
    s::Location::builder().physical_location(physical).build()
}

/// `(archive file, member path)` of a finding inside an archive
/// (`app.jar!/config/application.yml`; see `source::expand`).
fn archive_member(origin: &Origin) -> Option<(&str, &str)> {
    match origin {
        Origin::File { path } => path.split_once("!/"),
        _ => None,
    }
}

/// Lines and columns never approach `i64::MAX`; saturate rather than fail.
fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn result_properties(finding: &Finding) -> s::PropertyBag {
    let facts: serde_json::Map<String, Value> = finding
        .facts
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let mut extra = BTreeMap::from([
        (
            "confidence".to_string(),
            Value::from(finding.confidence.as_str()),
        ),
        (
            "severity".to_string(),
            Value::from(finding.severity.as_str()),
        ),
        (
            "provider".to_string(),
            Value::from(finding.provider.as_str()),
        ),
        // Nested, as in the JSON report, so fact names cannot collide
        // with the fixed keys.
        ("facts".to_string(), Value::Object(facts)),
    ]);
    // Commit provenance of history findings, as in the JSON `git` object.
    if let Some(git) = finding.git() {
        if let Ok(value) = serde_json::to_value(git) {
            extra.insert("git".to_string(), value);
        }
    }
    extra.insert(
        "locations".to_string(),
        Value::from(finding.location_count()),
    );
    let in_head = finding.in_head();
    if let Some(in_head) = in_head {
        extra.insert("in_head".to_string(), Value::from(in_head));
    }
    // `--verify` result, as in the JSON `verification` object.
    if let Some(v) = &finding.verification {
        if let Ok(value) = serde_json::to_value(v) {
            extra.insert("verification".to_string(), value);
        }
    }
    let mut bag = s::PropertyBag::builder()
        .additional_properties(extra)
        .build();
    if in_head == Some(false) {
        bag.tags = Some(vec![HISTORY_ONLY_TAG.to_string()]);
    }
    bag
}

// ---------------------------------------------------------------------------
// invocation: skipped files become execution notifications, bad lines of
// the ignore file or baseline configuration notifications

fn invocation(skipped: &[Skip], warnings: &[Warning]) -> s::Invocation {
    let mut invocation = s::Invocation::builder()
        // A skipped file is not a failed run: the scan went on.
        .execution_successful(true)
        .tool_execution_notifications(skipped.iter().map(notification).collect::<Vec<_>>())
        .build();
    if !warnings.is_empty() {
        invocation.tool_configuration_notifications =
            Some(warnings.iter().map(configuration_notification).collect());
    }
    invocation
}

/// A bad line of the ignore file or baseline, at its file and line.
fn configuration_notification(warning: &Warning) -> s::Notification {
    let physical = s::PhysicalLocation::builder()
        .artifact_location(artifact_location(&warning.file))
        .region(
            s::Region::builder()
                .start_line(to_i64(warning.line))
                .build(),
        )
        .build();
    s::Notification::builder()
        .level(Value::from("warning"))
        .message(s::Message::builder().text(warning.to_string()).build())
        .locations(vec![s::Location::builder()
            .physical_location(physical)
            .build()])
        .build()
}

fn notification(skip: &Skip) -> s::Notification {
    let level = if skip.reason.is_warning() {
        "warning"
    } else {
        "note"
    };
    let text = format!(
        "skipped {}: {} ({})",
        skip.path,
        skip.reason.as_str(),
        skip.message
    );
    // A skipped archive member points at the archive on disk; the text
    // names the member.
    let on_disk = skip
        .path
        .split_once("!/")
        .map_or(skip.path.as_str(), |(f, _)| f);
    let physical = s::PhysicalLocation::builder()
        .artifact_location(artifact_location(on_disk))
        .build();
    s::Notification::builder()
        .level(Value::from(level))
        .message(s::Message::builder().text(text).build())
        .locations(vec![s::Location::builder()
            .physical_location(physical)
            .build()])
        .build()
}

// ---------------------------------------------------------------------------
// URIs

/// A path as SARIF wants it: relative paths become relative URIs under
/// `%SRCROOT%`; a path outside the root (absolute) becomes a `file://` URI.
fn artifact_location(path: &str) -> s::ArtifactLocation {
    let path = to_slashes(path);
    if Path::new(path.as_ref()).is_absolute() {
        return s::ArtifactLocation::builder()
            .uri(file_uri(&path, false))
            .build();
    }
    s::ArtifactLocation::builder()
        // `:` is escaped so a first segment like `c:x` cannot parse as a
        // URI scheme.
        .uri(percent_encode(&path, b""))
        .uri_base_id(SRCROOT)
        .build()
}

/// `originalUriBaseIds["%SRCROOT%"]`: the scanned root as an absolute
/// `file://` URI ending in `/` (required for relative resolution).
fn root_uri(root: &Path) -> Option<String> {
    let absolute = std::path::absolute(root).ok()?;
    let text = absolute.to_string_lossy();
    Some(file_uri(&to_slashes(&text), true))
}

/// `file://` + an absolute `/`-separated path (Windows drive paths get the
/// extra leading `/` of `file:///C:/…`).
fn file_uri(path: &str, directory: bool) -> String {
    let mut uri = String::from("file://");
    if !path.starts_with('/') {
        uri.push('/');
    }
    uri.push_str(&percent_encode(path, b":"));
    if directory && !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Reports use `/`; on Windows a stray native separator is converted (a
/// `\` cannot be part of a file name there, unlike on Unix).
fn to_slashes(path: &str) -> std::borrow::Cow<'_, str> {
    if std::path::MAIN_SEPARATOR == '\\' {
        std::borrow::Cow::Owned(path.replace('\\', "/"))
    } else {
        std::borrow::Cow::Borrowed(path)
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, `/`, and
/// the bytes in `keep` — spaces, `#`, `?`, `%` and non-ASCII all appear in
/// real file names and would otherwise change what the URI means.
fn percent_encode(path: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_from_id() {
        assert_eq!(pascal_case("aws-access-key-id"), "AwsAccessKeyId");
        assert_eq!(pascal_case("jwt"), "Jwt");
        assert_eq!(pascal_case("gcp--x2"), "GcpX2");
    }

    #[test]
    fn encodes_uris() {
        assert_eq!(percent_encode("a b/c#d%.txt", b""), "a%20b/c%23d%25.txt");
        assert_eq!(percent_encode("é:x", b""), "%C3%A9%3Ax");
        assert_eq!(file_uri("/tmp/my repo", true), "file:///tmp/my%20repo/");
        assert_eq!(file_uri("C:/src", true), "file:///C:/src/");
        assert_eq!(file_uri("/tmp/", true), "file:///tmp/");
    }

    #[test]
    fn relative_and_absolute_locations() {
        let rel = artifact_location("src/a b.rs");
        assert_eq!(rel.uri.as_deref(), Some("src/a%20b.rs"));
        assert_eq!(rel.uri_base_id.as_deref(), Some(SRCROOT));
        if cfg!(unix) {
            let abs = artifact_location("/etc/x");
            assert_eq!(abs.uri.as_deref(), Some("file:///etc/x"));
            assert_eq!(abs.uri_base_id, None);
        }
    }

    #[test]
    fn related_locations_are_capped_and_counted() {
        use crate::finding::{fingerprint, Location, Place, Secret};
        let location = Location {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 3,
        };
        let places: Vec<Place> = (0..150)
            .map(|i| Place {
                origin: Origin::File {
                    path: format!("f{i}"),
                },
                location,
            })
            .collect();
        let finding = Finding {
            rule_id: "r".into(),
            rule_name: "R".into(),
            provider: "p".into(),
            severity: Severity::High,
            confidence: Confidence::High,
            origin: places[0].origin.clone(),
            location,
            secret: Secret::new(b"s3cr3t-value"),
            fingerprint: fingerprint("r", b"s3cr3t-value"),
            facts: Default::default(),
            suppression: None,
            locations: places,
            baseline: None,
            verification: None,
        };
        let r = result(&finding, &RuleSet::default(), &Options::default());
        let related = r.related_locations.expect("related locations");
        assert_eq!(related.len(), MAX_RELATED_LOCATIONS);
        assert_eq!(related[0].id, Some(1));
        let props = r.properties.expect("properties").additional_properties;
        assert_eq!(props["locations"], Value::from(150));
        assert!(r.message.text.unwrap().ends_with("in 150 places"));
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), s::ResultLevel::Error);
        assert_eq!(level(Severity::High), s::ResultLevel::Error);
        assert_eq!(level(Severity::Medium), s::ResultLevel::Warning);
        assert_eq!(level(Severity::Low), s::ResultLevel::Note);
        assert_eq!(level(Severity::Info), s::ResultLevel::Note);
    }
}

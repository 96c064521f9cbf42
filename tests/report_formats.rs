//! The report formats, from hand-made findings: field names of JSON/JSONL
//! (a documented, stable schema), SARIF validity against the official
//! schema and GitHub's expectations, plain text without colour, and no
//! clear secret anywhere unless asked for.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use keyhound::finding::{
    fingerprint, BaselineState, Finding, Location, Origin, Secret, Suppression, SuppressionKind,
};
use keyhound::report::{write, Format, Options, Report};
use keyhound::rules::{parse_rules, Compile, Confidence, RuleSet, Severity};
use keyhound::stats::{Skip, SkipReason, Stats};
use serde_json::Value;

mod support;
use support::{assert_valid_sarif, sarif_schema};

const RULES: &str = r#"
[[rule]]
id = "aws-access-key-id"
name = "AWS access key ID"
provider = "aws"
description = "Identifies an AWS IAM access key."
severity = "high"
confidence = "high"
keywords = ["AKIA"]
regex = '''(?P<secret>AKIA[A-Z2-7]{16})'''
references = ["https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"]

[[rule]]
id = "demo-token"
name = "Demo token"
provider = "demo"
description = "A token for the demo service."
severity = "medium"
confidence = "medium"
keywords = ["demo_"]
regex = '''demo_(?P<secret>[a-z0-9]{20})'''

[[rule]]
id = "never-fires"
name = "Rule without findings"
provider = "other"
description = "Listed in SARIF although nothing matched."
severity = "low"
confidence = "low"
keywords = ["nothing"]
regex = '''nothing(?P<secret>[0-9]{30})'''
"#;

// Fake credentials; marked so keyhound's scan of its own checkout passes.
const AWS_SECRET: &str = "AKIAQYLPMN5HHHFPZAM2"; // keyhound:allow
const AWS_REDACTED: &str = "AKIA*****M2";
const DEMO_SECRET: &str = "k3j4h5g6f7d8s9a0q1w2"; // keyhound:allow
const ALLOWED_SECRET: &str = "zz9yy8xx7ww6vv5uu4tt"; // keyhound:allow

const FINDING_FIELDS: [&str; 14] = [
    "rule_id",
    "rule_name",
    "provider",
    "severity",
    "confidence",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "fingerprint",
    "facts",
    "locations",
];

fn rules() -> RuleSet {
    let mut set = RuleSet::default();
    let parsed = parse_rules(RULES, "test-rules.toml", Compile::Now).expect("test rules parse");
    set.extend(parsed).expect("rules extend");
    set
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule_id: &str,
    rule_name: &str,
    provider: &str,
    severity: Severity,
    path: &str,
    line: usize,
    secret: &str,
    facts: &[(&str, &str)],
) -> Finding {
    Finding {
        rule_id: rule_id.into(),
        rule_name: rule_name.into(),
        provider: provider.into(),
        severity,
        confidence: Confidence::High,
        origin: Origin::File { path: path.into() },
        location: Location {
            line,
            column: 5,
            end_line: line,
            end_column: 5 + secret.chars().count(),
        },
        secret: Secret::new(secret.as_bytes()),
        fingerprint: fingerprint(rule_id, secret.as_bytes()),
        facts: facts
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        suppression: None,
        locations: Vec::new(),
        baseline: None,
        verification: None,
    }
}

/// Two reportable findings and one allowed inline.
fn findings() -> Vec<Finding> {
    let aws = finding(
        "aws-access-key-id",
        "AWS access key ID",
        "aws",
        Severity::High,
        "config/my settings.py",
        12,
        AWS_SECRET,
        &[("aws_account_id", "123456789012")],
    );
    let demo = finding(
        "demo-token",
        "Demo token",
        "demo",
        Severity::Medium,
        "src/main.rs",
        3,
        DEMO_SECRET,
        &[],
    );
    let mut allowed = finding(
        "demo-token",
        "Demo token",
        "demo",
        Severity::Medium,
        "tests/fixture.txt",
        1,
        ALLOWED_SECRET,
        &[],
    );
    allowed.suppression = Some(Suppression {
        kind: SuppressionKind::InSource,
        justification: "inline keyhound:allow".into(),
    });
    vec![aws, demo, allowed]
}

fn stats() -> Stats {
    Stats {
        files_scanned: 3,
        bytes_scanned: 5 * 1024 * 1024,
        skipped: vec![
            Skip {
                path: "assets/logo.png".into(),
                reason: SkipReason::Binary,
                message: "binary file".into(),
            },
            Skip {
                path: "secret dir/locked.env".into(),
                reason: SkipReason::Unreadable,
                message: "Permission denied (os error 13)".into(),
            },
        ],
        large: Vec::new(),
        elapsed: Duration::from_millis(1234),
    }
}

/// Renders `format` for the fixture scan.
fn render(format: Format, findings: &[Finding], stats: &Stats, options: Options) -> String {
    let rules = rules();
    let report = Report {
        findings,
        stats,
        rules: &rules,
        root: Some(PathBuf::from("/tmp/scan root")),
        vcs: None,
        absent: &[],
        warnings: &[],
    };
    let mut out = Vec::new();
    write(format, &report, &options, &mut out).expect("report writes");
    String::from_utf8(out).expect("report is UTF-8")
}

fn render_default(format: Format) -> String {
    render(format, &findings(), &stats(), Options::default())
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_no_clear_secret(text: &str) {
    for secret in [AWS_SECRET, DEMO_SECRET, ALLOWED_SECRET] {
        assert!(!text.contains(secret), "clear secret {secret} in:\n{text}");
    }
}

// --------------------------------------------------------------------------
// JSON / JSONL

#[test]
fn jsonl_has_one_object_per_reported_finding_with_fixed_fields() {
    let text = render_default(Format::Jsonl);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "suppressed finding must be left out:\n{text}"
    );
    let expected: BTreeSet<&str> = FINDING_FIELDS.into_iter().collect();
    for line in &lines {
        assert_eq!(keys(&parse(line)), expected, "{line}");
    }
    let first = parse(lines[0]);
    assert_eq!(first["rule_id"], "aws-access-key-id");
    assert_eq!(first["severity"], "high");
    assert_eq!(first["confidence"], "high");
    assert_eq!(first["path"], "config/my settings.py");
    assert_eq!(first["line"], 12);
    assert_eq!(first["column"], 5);
    assert_eq!(first["end_column"], 25);
    assert_eq!(first["secret"], AWS_REDACTED);
    assert_eq!(first["facts"]["aws_account_id"], "123456789012");
    assert_eq!(
        first["fingerprint"],
        fingerprint("aws-access-key-id", AWS_SECRET.as_bytes())
    );
    assert_eq!(parse(lines[1])["facts"], serde_json::json!({}));
    assert_no_clear_secret(&text);
}

#[test]
fn jsonl_is_empty_without_findings() {
    assert_eq!(render(Format::Jsonl, &[], &stats(), Options::default()), "");
}

#[test]
fn json_document_has_version_findings_stats_and_skips() {
    let text = render_default(Format::Json);
    let doc = parse(&text);
    assert_eq!(
        keys(&doc),
        BTreeSet::from(["version", "findings", "stats", "skipped", "warnings"])
    );
    assert_eq!(doc["warnings"], serde_json::json!([]));
    assert_eq!(doc["version"], keyhound::VERSION);
    let findings = doc["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), 2);
    let expected: BTreeSet<&str> = FINDING_FIELDS.into_iter().collect();
    assert_eq!(keys(&findings[0]), expected);
    assert_eq!(findings[0]["secret"], AWS_REDACTED);

    let stats = &doc["stats"];
    assert_eq!(stats["files_scanned"], 3);
    assert_eq!(stats["bytes_scanned"], 5 * 1024 * 1024);
    assert_eq!(stats["skipped"], 2);
    assert_eq!(
        stats["skipped_by_reason"],
        serde_json::json!({"binary": 1, "unreadable": 1})
    );
    assert_eq!(stats["findings"], 2);
    assert_eq!(stats["suppressed"], 1);
    assert_eq!(stats["elapsed_ms"], 1234);

    let skipped = doc["skipped"].as_array().expect("skipped array");
    assert_eq!(skipped.len(), 2);
    assert_eq!(
        keys(&skipped[1]),
        BTreeSet::from(["path", "reason", "message"])
    );
    assert_eq!(skipped[1]["reason"], "unreadable");
    assert_no_clear_secret(&text);
}

#[test]
fn json_shows_secrets_only_when_asked() {
    let options = Options {
        show_secrets: true,
        color: false,
        ..Options::default()
    };
    let text = render(Format::Json, &findings(), &stats(), options);
    assert_eq!(parse(&text)["findings"][0]["secret"], AWS_SECRET);
}

// --------------------------------------------------------------------------
// SARIF

#[test]
fn sarif_validates_against_the_official_schema() {
    assert_valid_sarif(&render_default(Format::Sarif));
    // Also without findings, skips or root.
    let rules = rules();
    let stats = Stats::default();
    let report = Report {
        findings: &[],
        stats: &stats,
        rules: &rules,
        root: None,
        vcs: None,
        absent: &[],
        warnings: &[],
    };
    let mut out = Vec::new();
    write(Format::Sarif, &report, &Options::default(), &mut out).expect("writes");
    let sarif = assert_valid_sarif(&String::from_utf8(out).expect("UTF-8"));
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert!(sarif["runs"][0].get("originalUriBaseIds").is_none());
}

#[test]
fn sarif_header_and_driver_lists_every_rule() {
    let sarif = assert_valid_sarif(&render_default(Format::Sarif));
    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///tmp/scan%20root/"
    );

    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "keyhound");
    assert_eq!(driver["version"], keyhound::VERSION);
    assert_eq!(driver["semanticVersion"], keyhound::VERSION);
    assert!(driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["aws-access-key-id", "demo-token", "never-fires"]);

    let aws = &rules[0];
    assert_eq!(aws["name"], "AwsAccessKeyId");
    assert_eq!(aws["shortDescription"]["text"], "AWS access key ID");
    assert_eq!(
        aws["fullDescription"]["text"],
        "Identifies an AWS IAM access key."
    );
    let help = aws["help"]["text"].as_str().expect("help text");
    assert!(help.contains("Rotate"), "{help}");
    assert!(help.contains("keyhound:allow"), "{help}");
    assert!(aws["help"]["markdown"].is_string());
    assert!(aws["helpUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://docs.aws.amazon.com/")));
    assert_eq!(aws["defaultConfiguration"]["level"], "error");
    assert_eq!(aws["properties"]["security-severity"], "8.0");
    assert_eq!(aws["properties"]["precision"], "high");
    assert_eq!(
        aws["properties"]["tags"],
        serde_json::json!(["security", "secret", "aws"])
    );
    assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
    assert_eq!(rules[1]["properties"]["precision"], "medium");
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "note");
    assert_eq!(rules[2]["properties"]["precision"], "low");
}

#[test]
fn sarif_results_carry_location_fingerprint_and_suppressions() {
    let text = render_default(Format::Sarif);
    let sarif = assert_valid_sarif(&text);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "suppressed findings are included");

    let aws = &results[0];
    assert_eq!(aws["ruleId"], "aws-access-key-id");
    assert_eq!(aws["ruleIndex"], 0);
    assert_eq!(aws["level"], "error");
    assert_eq!(
        aws["message"]["text"],
        format!("AWS access key ID {AWS_REDACTED} found")
    );
    let locations = aws["locations"].as_array().expect("locations");
    assert_eq!(locations.len(), 1);
    let physical = &locations[0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "config/my%20settings.py"
    );
    assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        physical["region"],
        serde_json::json!({"startLine": 12, "startColumn": 5, "endLine": 12, "endColumn": 25})
    );
    assert_eq!(
        aws["partialFingerprints"]["keyhound/v1"],
        fingerprint("aws-access-key-id", AWS_SECRET.as_bytes())
    );
    assert_eq!(aws["properties"]["confidence"], "high");
    assert_eq!(aws["properties"]["provider"], "aws");
    assert_eq!(aws["properties"]["facts"]["aws_account_id"], "123456789012");
    assert!(aws.get("suppressions").is_none());

    assert_eq!(results[1]["ruleIndex"], 1);
    assert_eq!(results[1]["level"], "warning");

    let allowed = &results[2];
    assert_eq!(
        allowed["suppressions"],
        serde_json::json!([{"kind": "inSource", "justification": "inline keyhound:allow"}])
    );
    assert_no_clear_secret(&text);
}

#[test]
fn sarif_reports_skipped_files_as_notifications() {
    let sarif = assert_valid_sarif(&render_default(Format::Sarif));
    let invocations = sarif["runs"][0]["invocations"]
        .as_array()
        .expect("invocations");
    assert_eq!(invocations.len(), 1);
    assert_eq!(invocations[0]["executionSuccessful"], true);
    let notes = invocations[0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "note");
    assert_eq!(notes[1]["level"], "warning");
    let message = notes[1]["message"]["text"].as_str().expect("text");
    assert!(message.contains("unreadable"), "{message}");
    assert!(message.contains("Permission denied"), "{message}");
    assert_eq!(
        notes[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "secret%20dir/locked.env"
    );
}

#[test]
fn sarif_shows_secrets_only_when_asked() {
    let options = Options {
        show_secrets: true,
        color: false,
        ..Options::default()
    };
    let text = render(Format::Sarif, &findings(), &stats(), options);
    assert_valid_sarif(&text);
    assert!(text.contains(AWS_SECRET));
}

// --------------------------------------------------------------------------
// text

#[test]
fn text_without_color_has_no_escapes_and_a_summary() {
    let text = render_default(Format::Text);
    assert!(!text.contains('\u{1b}'), "ANSI escape in:\n{text}");
    assert!(
        text.contains("AWS access key ID [aws-access-key-id]"),
        "{text}"
    );
    assert!(text.contains("config/my settings.py:12:5"), "{text}");
    assert!(text.contains(AWS_REDACTED), "{text}");
    assert!(text.contains("aws_account_id=123456789012"), "{text}");
    assert!(
        !text.contains("tests/fixture.txt"),
        "suppressed finding shown:\n{text}"
    );
    // Only warning-worthy skips are listed.
    assert!(text.contains("secret dir/locked.env"), "{text}");
    assert!(!text.contains("assets/logo.png"), "{text}");
    let summary = text.lines().last().expect("a summary line");
    assert_eq!(
        summary,
        "2 findings (1 suppressed). Scanned 3 files (5.0 MiB), skipped 2, in 1.23 s."
    );
    assert_no_clear_secret(&text);
}

/// A history finding names the commit that introduced it, its author and
/// date and summary (what someone triaging a history scan looks for), and
/// the summary counts blobs, which is what a history scan reads.
#[test]
fn text_of_history_findings_names_commit_author_date_and_counts_blobs() {
    use keyhound::finding::GitOrigin;
    use keyhound::report::Vcs;
    let mut introduced = findings().remove(0);
    introduced.origin = Origin::Git(Box::new(GitOrigin {
        blob: "5b2e1a0c9d8f7e6d5c4b3a291807f6e5d4c3b2a1".into(),
        commit: Some("3f2c8d1e0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d".into()),
        paths: vec!["deploy/settings.py".into()],
        author: Some("Jane Doe".into()),
        email: Some("jane@example.com".into()),
        date: Some("2024-05-01T10:00:00+02:00".into()),
        summary: Some("Add deploy settings".into()),
        reachable: true,
        in_head: Some(false),
        commits: Some(2),
    }));
    let mut dangling = introduced.clone();
    if let Origin::Git(g) = &mut dangling.origin {
        g.commit = None;
        g.author = None;
        g.email = None;
        g.date = None;
        g.summary = None;
        g.reachable = false;
    }
    let rules = rules();
    let stats = Stats {
        files_scanned: 1,
        ..stats()
    };
    let report = Report {
        findings: &[introduced, dangling],
        stats: &stats,
        rules: &rules,
        root: None,
        vcs: Some(Vcs {
            repository_uri: "file:///srv/repo".into(),
            revision_id: None,
            branch: None,
        }),
        absent: &[],
        warnings: &[],
    };
    let mut out = Vec::new();
    write(Format::Text, &report, &Options::default(), &mut out).expect("report writes");
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(
        text.contains(
            "  commit      3f2c8d1e0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d Add deploy settings\n\
             \x20 author      Jane Doe <jane@example.com>, 2024-05-01T10:00:00+02:00\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  blob        5b2e1a0c9d8f7e6d5c4b3a291807f6e5d4c3b2a1 (no commit reaches it)\n"
        ),
        "{text}"
    );
    assert!(text.contains("only in history"), "{text}");
    let summary = text.lines().last().expect("a summary line");
    assert!(summary.contains("Scanned 1 blob (5.0 MiB)"), "{summary}");
    assert_no_clear_secret(&text);
}

#[test]
fn text_with_color_uses_ansi() {
    let options = Options {
        show_secrets: false,
        color: true,
        ..Options::default()
    };
    let text = render(Format::Text, &findings(), &stats(), options);
    assert!(text.contains('\u{1b}'));
    assert_no_clear_secret(&text);
}

#[test]
fn text_says_so_when_nothing_is_found() {
    let text = render(Format::Text, &[], &Stats::default(), Options::default());
    assert_eq!(
        text,
        "No secrets found. Scanned 0 files (0 B), skipped 0, in 0 ms.\n"
    );
}

#[test]
fn text_caps_skip_warnings() {
    let skipped = (0..25)
        .map(|i| Skip {
            path: format!("f{i}"),
            reason: SkipReason::Unreadable,
            message: "gone".into(),
        })
        .collect();
    let stats = Stats {
        skipped,
        ..Stats::default()
    };
    let text = render(Format::Text, &[], &stats, Options::default());
    let warnings = text.lines().filter(|l| l.starts_with("warning:")).count();
    assert_eq!(warnings, 21, "{text}");
    assert!(text.contains("… and 5 more"), "{text}");
}

/// Guards the guard: the schema check must reject a broken log.
#[test]
fn sarif_schema_check_rejects_invalid_logs() {
    let mut sarif = parse(&render_default(Format::Sarif));
    sarif["runs"][0]["results"][0]["level"] = Value::from("fatal");
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    // Formats are checked too.
    sarif["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = Value::from("not a uri");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&sarif_schema())
        .expect("the SARIF schema compiles");
    assert_eq!(validator.iter_errors(&sarif).count(), 3);
}

/// The rules users actually get: every builtin rule must make a valid
/// descriptor (e.g. its references must not break `helpUri`).
#[test]
fn sarif_with_builtin_rules_validates() {
    let rules = keyhound::rules::builtin().expect("builtin rules load");
    let findings = findings();
    let stats = stats();
    let report = Report {
        findings: &findings,
        stats: &stats,
        rules: &rules,
        root: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        vcs: None,
        absent: &[],
        warnings: &[],
    };
    let mut out = Vec::new();
    write(Format::Sarif, &report, &Options::default(), &mut out).expect("writes");
    let sarif = assert_valid_sarif(&String::from_utf8(out).expect("UTF-8"));
    let listed = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(listed, rules.len());
}

// --------------------------------------------------------------------------
// grouping, baselines and suppressed findings

/// The fixture after triage: the AWS key grouped with a second place, the
/// demo token in the baseline, the allowed one suppressed.
fn triaged() -> Vec<Finding> {
    let mut f = findings();
    let second = keyhound::finding::Place {
        origin: Origin::File {
            path: "deploy/env".into(),
        },
        location: f[0].location,
    };
    f[0].locations = vec![f[0].places().remove(0), second];
    for x in &mut f {
        x.baseline = Some(BaselineState::New);
    }
    f[1].baseline = Some(BaselineState::Unchanged);
    f
}

#[test]
fn json_lists_places_and_hides_baselined_and_suppressed_unless_asked() {
    let doc = parse(&render(
        Format::Json,
        &triaged(),
        &stats(),
        Options::default(),
    ));
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc:#}");
    let aws = &findings[0];
    assert_eq!(aws["baseline_state"], "new");
    let places: Vec<&str> = aws["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(places, vec!["config/my settings.py", "deploy/env"]);
    assert!(aws.get("suppression").is_none());
    let counts = &doc["stats"];
    assert_eq!(
        (
            &counts["findings"],
            &counts["secrets"],
            &counts["locations"],
            &counts["suppressed"],
            &counts["baselined"]
        ),
        (
            &Value::from(1),
            &Value::from(1),
            &Value::from(2),
            &Value::from(1),
            &Value::from(1)
        )
    );

    let all = Options {
        include_suppressed: true,
        ..Options::default()
    };
    let doc = parse(&render(Format::Json, &triaged(), &stats(), all));
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    assert_eq!(findings[1]["baseline_state"], "unchanged");
    assert_eq!(findings[2]["suppression"]["kind"], "inSource");
    // The counts do not change with what is listed.
    assert_eq!(doc["stats"]["findings"], 1);
}

#[test]
fn text_and_sarif_for_grouped_baselined_findings() {
    let text = render(Format::Text, &triaged(), &stats(), Options::default());
    assert!(text.contains("also at     1 other place"), "{text}");
    assert!(text.contains("deploy/env:12:5"), "{text}");
    assert!(
        !text.contains("src/main.rs"),
        "baselined finding shown:\n{text}"
    );
    let summary = text.lines().last().unwrap();
    assert!(
        summary.starts_with("1 finding in 2 places (1 suppressed; 1 in baseline). "),
        "{summary}"
    );

    let sarif = assert_valid_sarif(&render(
        Format::Sarif,
        &triaged(),
        &stats(),
        Options::default(),
    ));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["baselineState"], "new");
    assert_eq!(results[1]["baselineState"], "unchanged");
    let related = results[0]["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0]["id"], 1);
    assert_eq!(
        related[0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/env"
    );
    assert!(results[1].get("relatedLocations").is_none());
}

/// `--exposure` results travel in JSON (the verification object), in
/// SARIF (properties, and a markdown message GitHub renders) and in text.
#[test]
fn exposure_reaches_every_format() {
    use keyhound::finding::{Capability, Decision, Exposure, Status, Verification};
    let mut live = findings().remove(0);
    live.verification = Some(Verification {
        status: Status::Live,
        identity: [(
            "arn".to_string(),
            "arn:aws:iam::123456789012:user/ci".to_string(),
        )]
        .into(),
        reason: None,
        checked_at: "2026-12-04T00:00:00Z".into(),
        exposure: Some(Exposure {
            method: "policies".into(),
            quarantined: true,
            policies: vec![
                "managed:AWSCompromisedKeyQuarantineV2".into(),
                "inline:deploy".into(),
            ],
            capabilities: vec![
                Capability {
                    name: "launch compute".into(),
                    decision: Decision::Allowed,
                    actions: vec![
                        ("ec2:RunInstances".into(), Decision::Denied),
                        ("ecs:RunTask".into(), Decision::Allowed),
                    ],
                },
                Capability {
                    name: "touch billing".into(),
                    decision: Decision::NotAllowed,
                    actions: vec![("aws-portal:ModifyBilling".into(), Decision::NotAllowed)],
                },
            ],
            unread: vec!["SimulatePrincipalPolicy: AccessDenied".into()],
        }),
    });
    let all = [live];
    let json = parse(&render(Format::Json, &all, &stats(), Options::default()));
    let exposure = &json["findings"][0]["verification"]["exposure"];
    assert_eq!(exposure["quarantined"], true, "{json}");
    assert_eq!(exposure["capabilities"][0]["actions"][1][1], "allowed");
    let sarif = render(Format::Sarif, &all, &stats(), Options::default());
    let log = assert_valid_sarif(&sarif);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(
        result["properties"]["verification"]["exposure"]["method"],
        "policies"
    );
    let markdown = result["message"]["markdown"]
        .as_str()
        .expect("markdown message");
    assert!(markdown.contains("- **QUARANTINED**"), "{markdown}");
    assert!(
        markdown.contains("- **can**: launch compute (ecs:RunTask)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- **cannot**: touch billing"),
        "{markdown}"
    );
    let text = render(Format::Text, &all, &stats(), Options::default());
    assert!(text.contains("  QUARANTINED AWS has attached"), "{text}");
    assert!(
        text.contains("  can         launch compute (ecs:RunTask)\n"),
        "{text}"
    );
    assert!(
        text.contains("  unread      SimulatePrincipalPolicy: AccessDenied\n"),
        "{text}"
    );
    assert_no_clear_secret(&text);
}

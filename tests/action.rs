//! The GitHub Action (`action.yml` + `action/run.py`), run locally the way
//! the runner would: a checkout cloned from an "origin" repository, a fake
//! event payload, `GITHUB_STEP_SUMMARY` / `GITHUB_OUTPUT` files, and the
//! built keyhound on PATH.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

mod support;
use support::{assert_valid_sarif, commit_file, git, BIN};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const ZERO: &str = "0000000000000000000000000000000000000000";

// Format-valid fake GitHub tokens (CRC32 checksums valid), as in git_cli.rs.
const OLD_TOKEN: &str = "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"; // keyhound:allow
const NEW_TOKEN: &str = "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"; // keyhound:allow
/// A line keyhound finds but suppresses.
const ALLOWED_LINE: &str = "KEY_ID = 'AKIAQYLPMN5HHHFPZAM2'  # keyhound:allow\n"; // keyhound:allow
/// How keyhound redacts NEW_TOKEN: first 4 and last 2 characters.
const NEW_REDACTED: &str = "ghp_*****xL";

/// A repository pushed to a bare "origin":
///
/// ```text
/// main:     start ── old key (OLD_TOKEN in old.py) ── allowed key ── docs  <- base
/// feature:                                                         └─ f1 ── new key <- head
/// ```
///
/// The allowed key is an AWS key id marked `keyhound:allow` in the
/// repository: keyhound keeps it in SARIF as a suppressed result.
///
/// The workspace is a fresh clone of origin, as actions/checkout with
/// `fetch-depth: 0` leaves it (remote-tracking refs for every branch).
struct Fixture {
    _dir: tempfile::TempDir,
    dev: PathBuf,
    origin: PathBuf,
    /// The runner's temp directory: payload, summary and output files.
    tmp: PathBuf,
    base: String,
    f1: String,
    head: String,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("dev");
        let origin = dir.path().join("origin.git");
        let tmp = dir.path().join("runner-temp");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::create_dir_all(&tmp).unwrap();
        git(&dev, &["init", "-q"]);
        commit_file(&dev, "README.md", "hello\n", "start");
        commit_file(
            &dev,
            "old.py",
            &format!("TOKEN = '{OLD_TOKEN}'\n"),
            "old key",
        );
        commit_file(&dev, "fixtures/aws.py", ALLOWED_LINE, "allowed key");
        let base = commit_file(&dev, "README.md", "hello, docs\n", "docs");
        git(&dev, &["checkout", "-q", "-b", "feature"]);
        let f1 = commit_file(&dev, "README.md", "hello, feature\n", "f1");
        // A comma and a colon in the path: both need escaping in annotations.
        let head = commit_file(
            &dev,
            "app/db,prod:1.py",
            &format!("# settings\nTOKEN = '{NEW_TOKEN}'\n"),
            "add db settings",
        );
        let top = dir.path();
        git(top, &["init", "-q", "--bare", "origin.git"]);
        git(&dev, &["remote", "add", "origin", origin.to_str().unwrap()]);
        git(&dev, &["push", "-q", "origin", "main", "feature"]);
        Fixture {
            _dir: dir,
            dev,
            origin,
            tmp,
            base,
            f1,
            head,
        }
    }

    /// A new checkout of origin (each run gets its own workspace). Cloned
    /// by `file://` URL, as a real checkout has an `https://` one: SARIF's
    /// `repositoryUri` is the remote URL and must be a URI.
    fn checkout(&self, name: &str) -> PathBuf {
        let ws = self.tmp.parent().unwrap().join(name);
        let url = format!("file://{}", self.origin.display());
        git(self.tmp.parent().unwrap(), &["clone", "-q", &url, name]);
        git(&ws, &["checkout", "-q", &self.head]);
        ws
    }
}

/// What one run of the action left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    summary: String,
    outputs: BTreeMap<String, String>,
    sarif_path: PathBuf,
}

impl Run {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.outputs))
    }

    fn annotations(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::error "))
            .collect()
    }

    fn sarif(&self) -> Value {
        let text = std::fs::read_to_string(&self.sarif_path).expect("SARIF written");
        assert_valid_sarif(&text)
    }

    /// `(ruleId, uri, startLine, commit)` of every result.
    fn results(&self) -> Vec<(String, String, i64, String)> {
        let sarif = self.sarif();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let loc = &r["locations"][0]["physicalLocation"];
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                    loc["region"]["startLine"].as_i64().unwrap(),
                    r["properties"]["git"]["commit"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }

    fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}\nsummary:\n{}",
            self.stdout,
            self.stderr,
            self.summary
        );
    }

    /// Nothing the action wrote may hold a secret in the clear.
    fn assert_no_clear_secret(&self) {
        for (what, text) in [
            ("stdout", &self.stdout),
            ("stderr", &self.stderr),
            ("summary", &self.summary),
            ("outputs", &format!("{:?}", self.outputs)),
        ] {
            for secret in [OLD_TOKEN, NEW_TOKEN] {
                assert!(!text.contains(secret), "clear secret in {what}:\n{text}");
            }
        }
    }
}

/// Runs `action/run.py` in `ws` for `event_name` with `payload`, the
/// inputs as action.yml would pass them; the payload, summary and output
/// files go to `tmp`.
fn run_action(
    tmp: &Path,
    ws: &Path,
    event_name: &str,
    payload: &Value,
    inputs: &[(&str, &str)],
) -> Run {
    let event_path = tmp.join(format!("{event_name}-event.json"));
    std::fs::write(&event_path, payload.to_string()).unwrap();
    let summary_path = tmp.join("summary.md");
    let output_path = tmp.join("output.txt");
    let _ = std::fs::remove_file(&summary_path);
    let _ = std::fs::remove_file(&output_path);

    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(ROOT).join("action/run.py"))
        .current_dir(ws)
        .stdin(Stdio::null())
        .env("PATH", path)
        .env_remove("KEYHOUND")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_WORKSPACE", ws)
        .env("GITHUB_STEP_SUMMARY", &summary_path)
        .env("GITHUB_OUTPUT", &output_path)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "acme/app");
    // Defaults as action.yml declares them (tested below), then overrides.
    let mut all: BTreeMap<&str, &str> = BTreeMap::from([
        ("INPUT_MODE", "auto"),
        ("INPUT_ARGS", ""),
        ("INPUT_SARIF", "keyhound.sarif"),
        ("INPUT_FAIL_ON_FINDINGS", "true"),
        ("INPUT_BASELINE", ""),
    ]);
    all.extend(inputs.iter().copied());
    cmd.envs(all);
    let out = cmd.output().expect("python3 runs");
    let outputs = std::fs::read_to_string(&output_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sarif_input = inputs
        .iter()
        .find(|(k, _)| *k == "INPUT_SARIF")
        .map_or("keyhound.sarif", |(_, v)| v);
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        summary: std::fs::read_to_string(&summary_path).unwrap_or_default(),
        outputs,
        sarif_path: ws.join(sarif_input),
    }
}

fn pull_request(fx: &Fixture) -> Value {
    json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"ref": "main", "sha": fx.base},
            "head": {"ref": "feature", "sha": fx.head},
        },
        "repository": {"default_branch": "main"},
    })
}

fn push(before: &str, after: &str, branch: &str) -> Value {
    json!({
        "ref": format!("refs/heads/{branch}"),
        "before": before,
        "after": after,
        "created": before == ZERO,
        "deleted": after == ZERO,
        "forced": false,
        "repository": {"default_branch": "main"},
    })
}

/// The one finding every range run must report: NEW_TOKEN at head (the
/// SARIF URI is percent-encoded; the action decodes it).
fn assert_only_new_token(run: &Run, head: &str) {
    assert_eq!(
        run.results(),
        vec![(
            "github-token".to_string(),
            "app/db%2Cprod%3A1.py".to_string(),
            2,
            head.to_string()
        )],
        "the old key is before the range and must not be reported"
    );
}

#[test]
fn pull_request_scans_base_to_head_and_reports_summary_annotations_outputs() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let run = run_action(&fx.tmp, &ws, "pull_request", &pull_request(&fx), &[]);
    run.assert_code(1);
    assert_only_new_token(&run, &fx.head);
    run.assert_no_clear_secret();

    assert_eq!(run.output("findings"), "1");
    assert_eq!(run.output("scope"), "range");
    assert_eq!(run.output("range"), format!("{}..{}", fx.base, fx.head));
    assert_eq!(
        Path::new(run.output("sarif")),
        ws.join("keyhound.sarif"),
        "the sarif output is the report's absolute path"
    );

    // One annotation, with file and title escaped as workflow commands need.
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    let a = annotations[0];
    assert!(
        a.starts_with(
            "::error file=app/db%2Cprod%3A1.py,line=2,col=10,title=keyhound%3A GitHub token::"
        ),
        "{a}"
    );
    assert!(a.contains(NEW_REDACTED), "{a}");
    assert!(
        a.contains(&fx.head[..12]) && a.contains("add db settings"),
        "{a}"
    );

    // The summary: a Markdown table row per new finding.
    let s = &run.summary;
    assert!(s.starts_with("## keyhound: 1 new finding\n"), "{s}");
    assert!(s.contains("pull request #7"), "{s}");
    assert!(
        s.contains("| Rule | File | Line | Commit | Secret (redacted) |"),
        "{s}"
    );
    let row = format!(
        "| GitHub token (`github-token`) | `app/db,prod:1.py` | 2 | \
         [`{}`](https://github.example/acme/app/commit/{}) | `{NEW_REDACTED}` |",
        &fx.head[..12],
        fx.head
    );
    assert!(s.contains(&row), "missing row {row}\nin:\n{s}");
    assert!(!s.contains("old.py"), "{s}");
}

#[test]
fn pull_request_target_and_merge_group_take_their_ranges_too() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let run = run_action(&fx.tmp, &ws, "pull_request_target", &pull_request(&fx), &[]);
    run.assert_code(1);
    assert_eq!(run.output("range"), format!("{}..{}", fx.base, fx.head));
    assert_only_new_token(&run, &fx.head);

    let event = json!({"merge_group": {"base_sha": fx.base, "head_sha": fx.head}});
    let run = run_action(&fx.tmp, &ws, "merge_group", &event, &[]);
    run.assert_code(1);
    assert_eq!(run.output("range"), format!("{}..{}", fx.base, fx.head));
    assert_only_new_token(&run, &fx.head);
}

#[test]
fn fail_on_findings_false_reports_but_passes() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let run = run_action(
        &fx.tmp,
        &ws,
        "pull_request",
        &pull_request(&fx),
        &[("INPUT_FAIL_ON_FINDINGS", "false")],
    );
    run.assert_code(0);
    assert_eq!(run.output("findings"), "1");
    assert_eq!(run.annotations().len(), 1);
    assert!(
        run.summary.contains("`fail-on-findings` is false"),
        "{}",
        run.summary
    );
    run.assert_no_clear_secret();
}

#[test]
fn pull_request_without_findings_passes_with_an_empty_report() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    // The range main..f1 only touches README.md.
    let mut event = pull_request(&fx);
    event["pull_request"]["head"]["sha"] = json!(fx.f1);
    let run = run_action(&fx.tmp, &ws, "pull_request", &event, &[]);
    run.assert_code(0);
    assert!(run.results().is_empty());
    assert_eq!(run.output("findings"), "0");
    assert!(run.annotations().is_empty(), "{}", run.stdout);
    assert!(
        run.summary.starts_with("## keyhound: no new findings\n"),
        "{}",
        run.summary
    );
    assert!(!run.summary.contains("| Rule |"), "{}", run.summary);
}

#[test]
fn push_to_an_existing_branch_scans_before_to_after() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let run = run_action(
        &fx.tmp,
        &ws,
        "push",
        &push(&fx.f1, &fx.head, "feature"),
        &[],
    );
    run.assert_code(1);
    assert_eq!(run.output("range"), format!("{}..{}", fx.f1, fx.head));
    assert_only_new_token(&run, &fx.head);
    assert!(
        run.summary.contains("push to `refs/heads/feature`"),
        "{}",
        run.summary
    );
    run.assert_no_clear_secret();

    // The push that only added f1 finds nothing: the key came later.
    let ws2 = fx.checkout("ws2");
    let run = run_action(
        &fx.tmp,
        &ws2,
        "push",
        &push(&fx.base, &fx.f1, "feature"),
        &[],
    );
    run.assert_code(0);
    assert!(run.results().is_empty());
}

#[test]
fn push_of_a_new_branch_scans_what_the_default_branch_does_not_have() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let run = run_action(&fx.tmp, &ws, "push", &push(ZERO, &fx.head, "feature"), &[]);
    run.assert_code(1);
    // origin/main is the base: the old key on main is not reported.
    assert_eq!(run.output("range"), format!("{}..{}", fx.base, fx.head));
    assert_only_new_token(&run, &fx.head);
    run.assert_no_clear_secret();

    // A new branch at a commit main already has introduces nothing.
    let ws2 = fx.checkout("ws2");
    git(
        &fx.dev,
        &[
            "push",
            "-q",
            "origin",
            &format!("{}:refs/heads/copy", fx.base),
        ],
    );
    let run = run_action(&fx.tmp, &ws2, "push", &push(ZERO, &fx.base, "copy"), &[]);
    run.assert_code(0);
    assert!(run.results().is_empty());
    assert_eq!(run.output("findings"), "0");
}

#[test]
fn force_push_over_commits_the_checkout_lacks_falls_back_to_the_default_branch() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let gone = "1234567890123456789012345678901234567890";
    let mut event = push(gone, &fx.head, "feature");
    event["forced"] = json!(true);
    let run = run_action(&fx.tmp, &ws, "push", &event, &[]);
    run.assert_code(1);
    assert_eq!(run.output("range"), format!("{}..{}", fx.base, fx.head));
    assert_only_new_token(&run, &fx.head);
    assert!(
        run.stdout
            .contains("::warning title=keyhound::The commit before the push (123456789012)"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("> The commit before the push"),
        "{}",
        run.summary
    );
}

#[test]
fn first_push_of_the_default_branch_scans_its_whole_history() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let run = run_action(&fx.tmp, &ws, "push", &push(ZERO, &fx.base, "main"), &[]);
    run.assert_code(1);
    assert_eq!(run.output("range"), fx.base);
    let mut files: Vec<String> = run.results().into_iter().map(|r| r.1).collect();
    files.sort();
    assert_eq!(files, ["fixtures/aws.py", "old.py"]);
    assert_eq!(run.output("findings"), "1", "the allowed key is suppressed");
}

#[test]
fn push_that_deletes_a_branch_scans_nothing() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    // A report left by an earlier step must not be uploaded for this run.
    std::fs::write(ws.join("keyhound.sarif"), "stale").unwrap();
    let run = run_action(&fx.tmp, &ws, "push", &push(&fx.head, ZERO, "feature"), &[]);
    run.assert_code(0);
    assert_eq!(run.output("scope"), "none");
    assert_eq!(run.output("findings"), "0");
    assert_eq!(run.output("sarif"), "");
    assert!(!run.sarif_path.exists(), "no SARIF for a deletion");
    assert!(!run.stdout.contains("running keyhound"), "{}", run.stdout);
    assert!(
        run.summary.starts_with("## keyhound: nothing to scan\n"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("deleted `refs/heads/feature`"),
        "{}",
        run.summary
    );
}

#[test]
fn schedule_and_workflow_dispatch_scan_the_full_history() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    let run = run_action(
        &fx.tmp,
        &ws,
        "schedule",
        &json!({"schedule": "0 3 * * *"}),
        &[("INPUT_SARIF", "reports/full.sarif")],
    );
    // A missing report directory is the user's to create: keyhound cannot
    // write there, the scan is incomplete.
    run.assert_code(3);
    assert!(
        run.stdout.contains("::error title=keyhound::"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("could not complete"),
        "{}",
        run.summary
    );

    std::fs::create_dir(ws.join("reports")).unwrap();
    let run = run_action(
        &fx.tmp,
        &ws,
        "schedule",
        &json!({"schedule": "0 3 * * *"}),
        &[("INPUT_SARIF", "reports/full.sarif")],
    );
    run.assert_code(1);
    assert_eq!(run.output("scope"), "full");
    assert_eq!(run.output("range"), "");
    let mut files: Vec<String> = run.results().into_iter().map(|r| r.1).collect();
    files.sort();
    assert_eq!(
        files,
        ["app/db%2Cprod%3A1.py", "fixtures/aws.py", "old.py"],
        "the old key too, and the allowed one as a suppressed result"
    );
    // Suppressed results are neither new nor annotated nor listed.
    assert_eq!(run.output("findings"), "2");
    assert_eq!(run.annotations().len(), 2);
    assert!(!run.stdout.contains("fixtures/aws.py"), "{}", run.stdout);
    assert!(run.summary.contains("full history"), "{}", run.summary);
    assert!(run.summary.contains("`old.py`"), "{}", run.summary);
    assert!(!run.summary.contains("fixtures/aws.py"), "{}", run.summary);
    assert!(
        run.summary.contains("Not listed: 1 suppressed."),
        "{}",
        run.summary
    );
    run.assert_no_clear_secret();

    let run = run_action(
        &fx.tmp,
        &ws,
        "workflow_dispatch",
        &json!({"inputs": {}}),
        &[],
    );
    run.assert_code(1);
    assert_eq!(run.output("scope"), "full");
    assert_eq!(run.output("findings"), "2");
}

#[test]
fn mode_overrides_the_event() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    // full on a pull request: the old key is reported too.
    let run = run_action(
        &fx.tmp,
        &ws,
        "pull_request",
        &pull_request(&fx),
        &[("INPUT_MODE", "full")],
    );
    run.assert_code(1);
    assert_eq!(run.output("scope"), "full");
    assert_eq!(run.output("findings"), "2");

    // range on a schedule: there is no range to take.
    let run = run_action(
        &fx.tmp,
        &ws,
        "schedule",
        &json!({}),
        &[("INPUT_MODE", "range")],
    );
    run.assert_code(2);
    assert!(
        run.stdout.contains("mode range needs a pull_request"),
        "{}",
        run.stdout
    );
    assert_eq!(run.output("findings"), "");
}

#[test]
fn errors_fail_the_step_with_a_clear_message_and_no_report() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");

    // A commit the checkout does not have (shallow clone).
    let mut event = pull_request(&fx);
    event["pull_request"]["base"]["sha"] = json!("1234567890123456789012345678901234567890");
    let run = run_action(&fx.tmp, &ws, "pull_request", &event, &[]);
    run.assert_code(2);
    assert!(run.stdout.contains("fetch-depth: 0"), "{}", run.stdout);
    assert!(!run.sarif_path.exists());

    // keyhound's own usage error (exit 2) is passed on, with its message.
    let run = run_action(
        &fx.tmp,
        &ws,
        "pull_request",
        &pull_request(&fx),
        &[("INPUT_ARGS", "--confidence bogus")],
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("bogus"),
        "keyhound's message: {}",
        run.stderr
    );
    assert!(
        run.stdout.contains("usage or configuration error"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.starts_with("## keyhound: failed"),
        "{}",
        run.summary
    );
    assert!(!run.sarif_path.exists());

    // Inputs the action refuses before running anything.
    for (input, value, message) in [
        ("INPUT_ARGS", "--show-secrets", "secrets must stay redacted"),
        ("INPUT_ARGS", "--format=json", "always writes SARIF"),
        ("INPUT_ARGS", "'unterminated", "cannot be parsed"),
        ("INPUT_MODE", "diff", "auto, range or full"),
        ("INPUT_FAIL_ON_FINDINGS", "maybe", "true or false"),
        ("INPUT_BASELINE", "missing.baseline", "does not exist"),
    ] {
        let run = run_action(
            &fx.tmp,
            &ws,
            "pull_request",
            &pull_request(&fx),
            &[(input, value)],
        );
        run.assert_code(2);
        assert!(
            run.stdout.contains(message),
            "{input}={value}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("running keyhound"), "{}", run.stdout);
    }
}

#[test]
fn extra_args_reach_keyhound() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    // A rule file that disables nothing but must be read: a broken one is
    // keyhound's configuration error.
    std::fs::write(ws.join("broken.toml"), "[[rule]]\nid = \n").unwrap();
    let run = run_action(
        &fx.tmp,
        &ws,
        "pull_request",
        &pull_request(&fx),
        &[("INPUT_ARGS", "--rules 'broken.toml'")],
    );
    run.assert_code(2);
    assert!(run.stderr.contains("broken.toml"), "{}", run.stderr);
}

#[test]
fn markdown_and_workflow_command_characters_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, ws) = (dir.path().join("tmp"), dir.path().join("ws"));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::create_dir_all(&ws).unwrap();
    git(&ws, &["init", "-q"]);
    // `|` and a backtick would break the table; `%` a workflow command.
    commit_file(
        &ws,
        "odd/a|b`c.py",
        &format!("TOKEN = '{NEW_TOKEN}'\n"),
        "100% done: really",
    );
    let run = run_action(&tmp, &ws, "schedule", &json!({}), &[]);
    run.assert_code(1);
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    assert!(
        annotations[0].starts_with("::error file=odd/a|b`c.py,line=1,"),
        "{}",
        annotations[0]
    );
    assert!(
        annotations[0].contains("(100%25 done: really)"),
        "{}",
        annotations[0]
    );
    assert!(
        run.summary.contains("| ``odd/a\\|b`c.py`` | 1 |"),
        "{}",
        run.summary
    );
    run.assert_no_clear_secret();
}

/// The action's side of baselines, with every `baselineState` a run can
/// produce (`absent` included) made up by a wrapper standing in for
/// keyhound (through the `KEYHOUND` variable that action.yml sets): the
/// flag is passed on, and only `new` (or unmarked), unsuppressed results
/// count. The test after it runs the real flag end to end.
#[test]
fn baseline_is_passed_on_and_only_new_results_count() {
    let fx = Fixture::new();
    let ws = fx.checkout("ws");
    std::fs::write(ws.join("keyhound.baseline"), "# entries\n").unwrap();
    let record = fx.tmp.join("argv.json");
    let wrapper = fx.tmp.join("keyhound-with-baseline");
    std::fs::write(
        &wrapper,
        format!(
            r#"#!/usr/bin/env python3
import json, subprocess, sys
args = sys.argv[1:]
with open({record:?}, "w") as f:
    json.dump(args, f)
i = args.index("--baseline")
del args[i:i + 2]
code = subprocess.run([{BIN:?}] + args).returncode
out = args[args.index("--output") + 1]
with open(out) as f:
    log = json.load(f)
results = log["runs"][0]["results"]
for r in results:
    uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    r["baselineState"] = "unchanged" if uri == "old.py" else "new"
# A baseline entry whose secret is gone (`--report-absent`).
results.append({{"message": {{"text": "gone"}}, "baselineState": "absent"}})
with open(out, "w") as f:
    json.dump(log, f)
sys.exit(code)
"#
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let run = run_action(
        &fx.tmp,
        &ws,
        "schedule",
        &json!({}),
        &[
            ("INPUT_BASELINE", "keyhound.baseline"),
            ("KEYHOUND", wrapper.to_str().unwrap()),
        ],
    );
    let argv: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    let at = argv
        .iter()
        .position(|a| a == "--baseline")
        .expect("--baseline passed");
    assert_eq!(argv[at + 1], "keyhound.baseline");

    run.assert_code(1);
    run.sarif(); // still valid SARIF
    assert_eq!(run.output("findings"), "1", "only app/db is new");
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    assert!(
        annotations[0].contains("file=app/db%2Cprod%3A1.py"),
        "{}",
        annotations[0]
    );
    assert!(!run.summary.contains("`old.py`"), "{}", run.summary);
    assert!(
        run.summary
            .contains("Not listed: 1 already in the baseline, 1 suppressed."),
        "{}",
        run.summary
    );

    // Everything in the baseline: reported as such, and the step passes.
    std::fs::write(
        &wrapper,
        std::fs::read_to_string(&wrapper).unwrap().replace(
            r#""unchanged" if uri == "old.py" else "new""#,
            r#""unchanged""#,
        ),
    )
    .unwrap();
    let run = run_action(
        &fx.tmp,
        &ws,
        "schedule",
        &json!({}),
        &[
            ("INPUT_BASELINE", "keyhound.baseline"),
            ("KEYHOUND", wrapper.to_str().unwrap()),
        ],
    );
    run.assert_code(0);
    assert_eq!(run.output("findings"), "0");
    assert!(run.annotations().is_empty(), "{}", run.stdout);
    assert!(
        run.summary.starts_with("## keyhound: no new findings\n"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("Not listed: 2 already in the baseline, 1 suppressed."),
        "{}",
        run.summary
    );
}

#[test]
fn baseline_input_hides_accepted_findings_end_to_end() {
    let fx = Fixture::new();
    // The baseline is made on a clone of main alone, where only the old
    // key exists (a full clone would hold the feature's objects too).
    let top = fx.tmp.parent().unwrap();
    let url = format!("file://{}", fx.origin.display());
    git(
        top,
        &[
            "clone",
            "-q",
            "--single-branch",
            "-b",
            "main",
            &url,
            "main-ws",
        ],
    );
    let main_ws = top.join("main-ws");
    let create = |dir: &Path| {
        let out = Command::new(BIN)
            .args(["baseline", "create", "git", "."])
            .current_dir(dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let ws = fx.checkout("ws");
    std::fs::write(ws.join("keyhound.baseline"), create(&main_ws)).unwrap();
    let inputs = [("INPUT_BASELINE", "keyhound.baseline")];

    let run = run_action(&fx.tmp, &ws, "schedule", &json!({}), &inputs);
    run.assert_code(1);
    assert_eq!(run.output("findings"), "1", "only the feature's key is new");
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    assert!(annotations[0].contains("file=app/db%2Cprod%3A1.py"));
    assert!(!run.summary.contains("`old.py`"), "{}", run.summary);
    assert!(
        run.summary.contains("1 already in the baseline"),
        "{}",
        run.summary
    );
    let sarif = run.sarif();
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["baselineState"].as_str())
        .collect();
    assert!(
        states.contains(&"new") && states.contains(&"unchanged"),
        "{states:?}"
    );
    run.assert_no_clear_secret();

    // A baseline of the whole feature branch: nothing new, the step passes.
    std::fs::write(ws.join("keyhound.baseline"), create(&ws)).unwrap();
    let run = run_action(&fx.tmp, &ws, "schedule", &json!({}), &inputs);
    run.assert_code(0);
    assert_eq!(run.output("findings"), "0");
    assert!(run.annotations().is_empty(), "{}", run.stdout);
}

// ---------------------------------------------------------------------------
// action.yml and the documented workflow

fn yaml(path: &str) -> serde_norway::Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn action_yml_declares_the_inputs_and_runs_the_script() {
    let action = yaml("action.yml");
    let inputs = action["inputs"].as_mapping().expect("inputs");
    let names: Vec<&str> = inputs.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["mode", "args", "sarif", "fail-on-findings", "baseline"]
    );
    let default = |name: &str| {
        action["inputs"][name]["default"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(default("mode"), "auto");
    assert_eq!(default("args"), "");
    assert_eq!(default("sarif"), "keyhound.sarif");
    assert_eq!(default("fail-on-findings"), "true");
    assert_eq!(default("baseline"), "");
    for output in ["findings", "sarif", "scope", "range"] {
        assert_eq!(
            action["outputs"][output]["value"].as_str(),
            Some(format!("${{{{ steps.scan.outputs.{output} }}}}").as_str())
        );
    }

    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let run_of = |s: &serde_norway::Value| s["run"].as_str().unwrap_or_default().to_string();
    // Cached, keyed on Cargo.lock, then installed from the action's source.
    let cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("a cache step");
    let key_step = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("key"))
        .unwrap();
    assert!(run_of(key_step).contains("$GITHUB_ACTION_PATH/Cargo.lock"));
    assert_eq!(
        cache["with"]["key"].as_str(),
        Some("${{ steps.key.outputs.key }}")
    );
    assert!(steps
        .iter()
        .any(|s| run_of(s).contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\"")));
    // The scan step runs the script with every input in its environment.
    let scan = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("scan"))
        .unwrap();
    assert_eq!(
        run_of(scan),
        "python3 \"$GITHUB_ACTION_PATH/action/run.py\""
    );
    for (var, input) in [
        ("INPUT_MODE", "mode"),
        ("INPUT_ARGS", "args"),
        ("INPUT_SARIF", "sarif"),
        ("INPUT_FAIL_ON_FINDINGS", "fail-on-findings"),
        ("INPUT_BASELINE", "baseline"),
    ] {
        assert_eq!(
            scan["env"][var].as_str(),
            Some(format!("${{{{ inputs.{input} }}}}").as_str())
        );
    }
    // Inputs are never pasted into shell code (script injection).
    for step in steps {
        assert!(!run_of(step).contains("inputs."), "{step:?}");
        if step["run"].is_string() {
            assert_eq!(
                step["shell"].as_str(),
                Some("bash"),
                "composite run steps need a shell"
            );
        }
    }
}

#[test]
fn documented_workflow_is_valid_yaml_with_permissions_and_both_jobs() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/github-action.md")).unwrap();
    let start = doc.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let workflow: serde_norway::Value = serde_norway::from_str(&doc[start..end]).unwrap();

    assert_eq!(workflow["permissions"]["contents"].as_str(), Some("read"));
    assert_eq!(
        workflow["permissions"]["security-events"].as_str(),
        Some("write")
    );
    let on = &workflow["on"];
    assert!(on["pull_request"].is_mapping() || on["pull_request"].is_null());
    assert!(on.get("push").is_some() && on.get("pull_request").is_some());
    assert!(on["schedule"][0]["cron"].is_string());

    let jobs = workflow["jobs"].as_mapping().unwrap();
    let mut uploads = 0;
    for (_, job) in jobs {
        let steps = job["steps"].as_sequence().unwrap();
        let uses = |prefix: &str| {
            steps
                .iter()
                .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
                .collect::<Vec<_>>()
        };
        let checkout = uses("actions/checkout@");
        assert_eq!(checkout[0]["with"]["fetch-depth"].as_i64(), Some(0));
        assert_eq!(uses("keyhound/keyhound@").len(), 1);
        uploads += uses("github/codeql-action/upload-sarif@").len();
    }
    assert_eq!(
        jobs.len(),
        2,
        "a PR/push job and a nightly full-history job"
    );
    assert_eq!(uploads, 2, "both jobs upload SARIF");
}

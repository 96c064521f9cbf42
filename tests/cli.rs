//! The `keyhound` binary end to end: exit codes, bad input, config, stdin.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keyhound");

/// A rule of our own, so these tests do not depend on builtin patterns.
const TEST_RULE: &str = r#"
[[rule]]
id = "test-token"
name = "Test token"
provider = "test"
description = "A token for tests."
severity = "high"
confidence = "high"
keywords = ["kh_test_"]
regex = '''kh_test_(?P<secret>[A-Z0-9]{20})(?:[^A-Z0-9]|$)'''
examples = ["t = kh_test_Q7LMZ3RPWX4HNCYE9TB2"]
negative_examples = ["t = kh_test_short"]
"#;

const TOKEN: &str = "kh_test_Q7LMZ3RPWX4HNCYE9TB2";

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        // Readable by others: the unreadable-file test drops privileges.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let f = Fixture { dir };
        f.write("rules/test.toml", TEST_RULE.as_bytes());
        f
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        for dir in path
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(self.dir.path()))
        {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    }

    fn rules_arg(&self) -> String {
        self.dir
            .path()
            .join("rules/test.toml")
            .display()
            .to_string()
    }

    fn keyhound(&self, args: &[&str]) -> Output {
        run(Command::new(BIN).args(args))
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().expect("keyhound runs");
    assert_ne!(
        out.status.code(),
        Some(101),
        "keyhound panicked: {}",
        stderr(&out)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn skipped_reasons(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["skipped"]
        .as_array()
        .expect("skipped array")
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap_or_default().to_string(),
                s["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn finding_paths(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["path"].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn bad_input_is_skipped_counted_and_reported() {
    let f = Fixture::new();
    let line = format!("token = {TOKEN}\n");
    f.write("root/ok.txt", line.as_bytes());
    f.write("root/empty.txt", b"");
    let mut invalid = vec![0xff, 0xfe, 0x80, b'\n'];
    invalid.extend_from_slice(line.as_bytes());
    invalid.extend_from_slice(&[0xc3, 0x28, b'\n']);
    f.write("root/invalid-utf8.txt", &invalid);
    let mut binary = b"\x7fELF\0\0\0".to_vec();
    binary.extend_from_slice(line.as_bytes());
    f.write("root/binary.bin", &binary);
    f.write(
        "root/huge.txt",
        format!("{line}{}", "a".repeat(4096)).as_bytes(),
    );
    let unreadable = f.write("root/unreadable.txt", line.as_bytes());
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::os::unix::fs::symlink(f.root().join("missing-target"), f.root().join("broken")).unwrap();
    std::fs::create_dir_all(f.root().join("loop")).unwrap();
    std::os::unix::fs::symlink("..", f.root().join("loop/back")).unwrap();

    let root = f.root().display().to_string();
    let rules = f.rules_arg();
    let args = [
        "scan",
        &root,
        "--rules",
        &rules,
        "--format",
        "json",
        "--max-file-size",
        "2K",
    ];
    // root reads anything, so drop privileges to make the file unreadable.
    let out = if is_root() {
        run(Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
            .args(args))
    } else {
        f.keyhound(&args)
    };
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    // The same secret in two files is one finding with two places.
    assert_eq!(finding_paths(&report), vec!["invalid-utf8.txt"]);
    let places: Vec<&str> = report["findings"][0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(places, vec!["invalid-utf8.txt", "ok.txt"]);
    let skipped = skipped_reasons(&report);
    for (path, reason) in [
        ("binary.bin", "binary"),
        ("broken", "broken_symlink"),
        ("huge.txt", "too_large"),
        ("unreadable.txt", "unreadable"),
    ] {
        assert!(
            skipped.contains(&(path.to_string(), reason.to_string())),
            "{path} not skipped as {reason}: {skipped:?}"
        );
    }
    assert!(
        skipped
            .iter()
            .any(|(p, r)| p.starts_with("loop") && r == "symlink_loop"),
        "{skipped:?}"
    );
    assert!(stderr(&out).contains("skipped"), "{}", stderr(&out));

    // --binary scans the binary file; a larger limit scans the huge one.
    let out = f.keyhound(&[
        "scan",
        &root,
        "--rules",
        &rules,
        "--format",
        "json",
        "--binary",
        "--no-follow",
        // One result per place: every scanned file shows up.
        "--all-locations",
    ]);
    let paths = finding_paths(&json(&out));
    assert!(paths.contains(&"binary.bin".to_string()), "{paths:?}");
    assert!(paths.contains(&"huge.txt".to_string()), "{paths:?}");
}

#[test]
fn exit_codes_clean_findings_and_usage() {
    let f = Fixture::new();
    f.write("root/clean.txt", b"nothing to see\n");
    let root = f.root().display().to_string();
    let rules = f.rules_arg();
    let out = f.keyhound(&["scan", &root, "--rules", &rules]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No secrets found") || stdout(&out).contains("no findings"),
        "{}",
        stdout(&out)
    );

    f.write("root/leak.txt", format!("x = {TOKEN}\n").as_bytes());
    let out = f.keyhound(&["scan", &root, "--rules", &rules]);
    assert_eq!(out.status.code(), Some(1));

    let missing = f.dir.path().join("nope").display().to_string();
    let out = f.keyhound(&["scan", &missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));

    let out = f.keyhound(&["scan", "--format", "yaml", &root]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn malformed_rule_file_is_a_clear_error() {
    let f = Fixture::new();
    f.write("root/a.txt", b"x\n");
    let bad = f.write(
        "rules/bad.toml",
        TEST_RULE.replace("(?P<secret>", "(").as_bytes(),
    );
    let bad = bad.display().to_string();
    let root = f.root().display().to_string();
    let out = f.keyhound(&["scan", &root, "--rules", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{bad}:2:")), "{err}");
    assert!(err.contains("secret"), "{err}");

    let syntax = f.write("rules/syntax.toml", b"[[rule]]\nid = \"x\"\nname = \n");
    let out = f.keyhound(&["rules", "check", &syntax.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("syntax.toml:3"), "{}", stderr(&out));
}

#[test]
fn rules_check_runs_examples() {
    let f = Fixture::new();
    let out = f.keyhound(&["rules", "check", &f.rules_arg()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("1 rule(s), 2 example(s), 0 failure(s)"),
        "{}",
        stdout(&out)
    );

    let failing = f.write(
        "rules/failing.toml",
        TEST_RULE
            .replace("t = kh_test_short", "t = kh_test_ZZ9QLMR3W7XT4HNCYB2K")
            .as_bytes(),
    );
    let out = f.keyhound(&["rules", "check", &failing.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("negative example was matched"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn rules_list_shows_builtins_and_added_rules() {
    let f = Fixture::new();
    let out = f.keyhound(&["rules", "list", "--rules", &f.rules_arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("test-token"));
    assert!(text.contains("aws-access-key-id"));
}

#[test]
fn stdin_is_scanned() {
    let f = Fixture::new();
    let mut child = Command::new(BIN)
        .args(["scan", "-", "--rules", &f.rules_arg(), "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("a\nkey: {TOKEN}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(line["path"], "<stdin>");
    assert_eq!(line["line"], 2);
    assert_eq!(line["rule_id"], "test-token");
}

#[test]
fn inline_allow_config_excludes_and_secret_display() {
    let f = Fixture::new();
    f.write(
        "root/allowed.py",
        format!("x = '{TOKEN}'  # keyhound:allow\n").as_bytes(),
    );
    f.write("root/vendor/lib.txt", format!("{TOKEN}\n").as_bytes());
    f.write("root/keyhound.toml", b"exclude = [\"vendor/**\"]\n");
    let root = f.root().display().to_string();
    let rules = f.rules_arg();
    let out = f.keyhound(&["scan", &root, "--rules", &rules, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");

    f.write("root/leak.env", format!("TOKEN={TOKEN}\n").as_bytes());
    let out = f.keyhound(&["scan", &root, "--rules", &rules, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        !text.contains("Q7LMZ3RPWX4HNCYE9TB2"),
        "secret printed: {text}"
    );
    let out = f.keyhound(&[
        "scan",
        &root,
        "--rules",
        &rules,
        "--format",
        "jsonl",
        "--show-secrets",
    ]);
    assert!(stdout(&out).contains("Q7LMZ3RPWX4HNCYE9TB2"));

    // An unknown key in keyhound.toml is a configuration error.
    f.write("root/keyhound.toml", b"exclude = []\nexcludes = [\"x\"]\n");
    let out = f.keyhound(&["scan", &root, "--rules", &rules]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("excludes"), "{}", stderr(&out));
}

#[test]
fn unwritable_output_means_the_scan_could_not_complete() {
    let f = Fixture::new();
    f.write("root/a.txt", b"x\n");
    let root = f.root().display().to_string();
    let out = f.keyhound(&["scan", &root, "--output", "/nonexistent-dir/report.json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn keyhound_own_checkout_is_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out =
        run(Command::new(BIN).args(["scan", &root.display().to_string(), "--format", "jsonl"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// Lines `from..=to` (1-based) of a corpus file.
fn corpus_lines(rel: &str, from: usize, to: usize) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip(from - 1)
        .take(to + 1 - from)
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn three_clouds_in_all_four_formats() {
    let f = Fixture::new();
    let aws = corpus_lines("aws/.env", 4, 5);
    f.write("root/.env", aws.as_bytes());
    let sa = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/gcp/firebase/serviceAccountKey.json"),
    )
    .unwrap();
    f.write("root/config/service-account.json", &sa);
    let storage = corpus_lines("azure/appsettings.json", 8, 8);
    let storage = storage.trim().trim_end_matches(',');
    f.write(
        "root/local.settings.json",
        format!("{{\n  \"Values\": {{\n    {storage}\n  }}\n}}\n").as_bytes(),
    );
    let root = f.root().display().to_string();
    let secret_tails = [
        // Middle parts of the clear secrets: never in redacted output.
        aws.lines().nth(1).unwrap().split('=').nth(1).unwrap()[6..30].to_string(),
        storage.split("AccountKey=").nth(1).unwrap()[6..40].to_string(),
    ];

    let expected = [
        "aws-access-key-id",
        "aws-secret-access-key",
        "gcp-service-account-key",
        "azure-storage-account-key",
    ];
    for format in ["text", "json", "jsonl", "sarif"] {
        let out = f.keyhound(&["scan", &root, "--format", format, "--color", "never"]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let text = stdout(&out);
        for tail in &secret_tails {
            assert!(!text.contains(tail.as_str()), "{format} shows a secret");
        }
        let ids: Vec<String> = match format {
            "jsonl" => text
                .lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).unwrap()["rule_id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
            "json" => json(&out)["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule_id"].as_str().unwrap().to_string())
                .collect(),
            "sarif" => json(&out)["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["ruleId"].as_str().unwrap().to_string())
                .collect(),
            _ => expected
                .iter()
                .filter(|id| text.contains(*id))
                .map(|id| id.to_string())
                .collect(),
        };
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(ids, want, "{format}:\n{text}");
    }
    // The service-account finding names the account.
    let out = f.keyhound(&["scan", &root, "--format", "jsonl"]);
    let sa_line = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["rule_id"] == "gcp-service-account-key")
        .unwrap();
    assert!(sa_line["facts"]["client_email"]
        .as_str()
        .unwrap()
        .ends_with(".iam.gserviceaccount.com"));
    assert_eq!(sa_line["path"], "config/service-account.json");
}

#[test]
fn config_stopwords_reach_rules_from_rule_files() {
    // keyhound.toml's stopwords apply once every --rules file is loaded,
    // so rules added (or replaced) by a file get them too.
    let f = Fixture::new();
    f.write("root/app.py", format!("t = {TOKEN}\n").as_bytes());
    let root = f.root().display().to_string();
    let rules = f.rules_arg();
    let args = ["scan", &root, "--rules", &rules, "--format", "jsonl"];
    let out = f.keyhound(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    f.write("root/keyhound.toml", b"stopwords = [\"rpwx4\"]\n");
    let out = f.keyhound(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// A reader that stops early (`| head`) ends the output quietly: no
/// "Broken pipe" error, no failure exit, for every command that prints.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // Enough findings that the report outgrows the pipe's buffer.
    let key = "AKIAYTAZMROB6K6IVLAU"; // keyhound:allow
    let text: String = (0..20_000).map(|i| format!("k{i} = {key}\n")).collect();
    std::fs::write(dir.path().join("many.txt"), text).unwrap();
    let scan = format!("{BIN} scan {} --format jsonl", dir.path().display());
    for (command, ok_codes) in [
        (format!("{BIN} rules list"), [0, 0]),
        (format!("{BIN} rules list --json"), [0, 0]),
        (scan, [0, 1]),
    ] {
        let script =
            format!("{command} 2>err | head -c 10 >/dev/null; echo \"${{PIPESTATUS[0]}}\"");
        let out = Command::new("bash")
            .args(["-c", &script])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let code: i32 = stdout(&out).trim().parse().unwrap();
        let err = std::fs::read_to_string(dir.path().join("err")).unwrap_or_default();
        assert!(ok_codes.contains(&code), "{command}: exit {code}: {err}");
        assert!(!err.contains("Broken pipe"), "{command}: {err}");
    }
}

/// A configuration that turns every built-in rule off is refused (it would
/// report "no secrets found" for anything), unless asked for.
#[test]
fn a_configuration_with_no_builtin_rule_left_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let listed = run(Command::new(BIN).args(["rules", "list", "--json"]));
    let ids: Vec<String> = json(&listed)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{:?}", r["id"].as_str().unwrap()))
        .collect();
    std::fs::write(
        dir.path().join("keyhound.toml"),
        format!("disable = [{}]\n", ids.join(", ")),
    )
    .unwrap();
    let key = "AKIAYTAZMROB6K6IVLAU"; // keyhound:allow
    std::fs::write(
        dir.path().join("a.env"),
        format!("AWS_ACCESS_KEY_ID={key}\n"),
    )
    .unwrap();
    let out = run(Command::new(BIN)
        .args(["scan", "."])
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("leaves no built-in rule enabled"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--allow-no-rules"));
    let out = run(Command::new(BIN)
        .args(["scan", ".", "--allow-no-rules"])
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Turning off all but one is a choice, not a mistake.
    std::fs::write(
        dir.path().join("keyhound.toml"),
        format!(
            "disable = [{}]\n",
            ids.iter()
                .filter(|i| !i.contains("aws-access-key-id"))
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .unwrap();
    let out = run(Command::new(BIN)
        .args(["scan", "."])
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// `keyhound doctor` finds its canaries with the defaults, and says which
/// it misses under a configuration that hides them (a disabled rule, an
/// allowlist that matches every path).
#[test]
fn doctor_finds_its_canaries_and_names_what_a_configuration_hides() {
    let dir = tempfile::tempdir().unwrap();
    let doctor = |dir: &Path| run(Command::new(BIN).args(["doctor", "."]).current_dir(dir));
    let out = doctor(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        stdout(&out).matches(": found").count(),
        4,
        "{}",
        stdout(&out)
    );
    std::fs::write(
        dir.path().join("keyhound.toml"),
        "disable = [\"github-token\"]\n\n[allow.aws-access-key-id]\npaths = [\"**\"]\nreason = \"oops\"\n",
    )
    .unwrap();
    let out = doctor(dir.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("file: GitHub personal access token (github-token): NOT FOUND"),
        "{text}"
    );
    assert!(
        text.contains("history: AWS access key id (aws-access-key-id): NOT FOUND"),
        "{text}"
    );
    assert!(text.contains("would miss real leaks"), "{text}");
    // The canaries themselves never reach the output.
    assert!(
        !text.contains("ghp_") && !stderr(&out).contains("AKIA"),
        "{text}"
    );
}

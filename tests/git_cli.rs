//! `keyhound git` end to end on repositories built with the git CLI.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod support;
use support::{commit_file, git, BIN};

fn keyhound(args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(101),
        "panic: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn jsonl(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

// Format-valid fake GitHub tokens (CRC32 checksums valid).
const TOKEN_A: &str = "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"; // keyhound:allow
const TOKEN_B: &str = "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"; // keyhound:allow

#[test]
fn history_finds_deleted_keys_with_their_commits_and_ranges_see_only_new_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    commit_file(d, "README.md", "hello\n", "start");
    let c1 = commit_file(
        d,
        "app/config.py",
        &format!("TOKEN = '{TOKEN_A}'\n"),
        "add config",
    );
    let c2 = commit_file(
        d,
        "app/config.py",
        &format!("# rotated\nTOKEN = '{TOKEN_B}'\n"),
        "rotate token",
    );
    std::fs::remove_file(d.join("app/config.py")).unwrap();
    let c3 = commit_file(d, "README.md", "hello again\n", "remove config");

    let repo = d.display().to_string();
    let out = keyhound(&["git", &repo, "--format", "jsonl"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = jsonl(&out);
    assert_eq!(findings.len(), 2, "{findings:?}");
    let by_commit = |c: &str| {
        findings
            .iter()
            .find(|f| f["git"]["commit"] == c)
            .unwrap_or_else(|| panic!("no finding for {c}: {findings:?}"))
    };
    let first = by_commit(&c1);
    assert_eq!(first["path"], "app/config.py");
    assert_eq!(first["line"], 1);
    assert_eq!(first["git"]["author"], "Dev One");
    assert_eq!(first["git"]["email"], "dev@example.org");
    assert_eq!(first["git"]["summary"], "add config");
    assert_eq!(first["git"]["reachable"], true);
    assert_eq!(first["git"]["in_head"], false);
    let second = by_commit(&c2);
    assert_eq!(second["line"], 2);

    // A range after the first key sees only the second.
    let range = format!("{c1}..{c3}");
    let out = keyhound(&["git", &repo, "--range", &range, "--format", "jsonl"]);
    let findings = jsonl(&out);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["git"]["commit"], c2.as_str());
    // A range with no new keys is clean.
    let range = format!("{c2}..{c3}");
    let out = keyhound(&["git", &repo, "--range", &range, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0));

    // SARIF carries the provenance too.
    let out = keyhound(&["git", &repo, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["properties"]["git"]["commit"] == c1.as_str()));
}

#[test]
fn unreachable_and_staged_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    commit_file(d, "a.txt", "a\n", "one");
    std::fs::write(d.join("loose.txt"), format!("t={TOKEN_A}\n")).unwrap();
    git(d, &["hash-object", "-w", "loose.txt"]);
    std::fs::remove_file(d.join("loose.txt")).unwrap();
    let repo = d.display().to_string();
    let out = keyhound(&["git", &repo, "--format", "jsonl"]);
    let findings = jsonl(&out);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["git"]["reachable"], false);

    std::fs::write(d.join("staged.txt"), format!("t={TOKEN_B}\n")).unwrap();
    git(d, &["add", "staged.txt"]);
    let out = keyhound(&["git", &repo, "--staged", "--format", "jsonl"]);
    let findings = jsonl(&out);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["path"], "staged.txt");
}

#[test]
fn not_a_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = keyhound(&["git", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git repository"));
}

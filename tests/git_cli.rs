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

/// `keyhound git` findings as JSON lines, with the delta-aware keyword
/// prefilter on or off (`KEYHOUND_NO_DELTA_HITS`).
fn history_findings(repo: &str, delta_hits: bool) -> Vec<Value> {
    let mut cmd = Command::new(BIN);
    cmd.args(["git", repo, "--format", "jsonl"])
        .stdin(Stdio::null());
    support::clean_env(&mut cmd);
    if !delta_hits {
        cmd.env("KEYHOUND_NO_DELTA_HITS", "1");
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    jsonl(&out)
}

#[test]
fn delta_chains_give_the_same_findings_as_full_scans() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    // A long file rewritten by many commits, so that `git gc` stores its
    // versions as delta chains; secrets come and go in small edits.
    let filler: Vec<String> = (0..400)
        .map(|i| format!("setting_{i} = value {}\n", i * 7919 % 1000))
        .collect();
    let version = |k: usize, extra: &[(usize, String)]| -> String {
        let mut lines = filler.clone();
        lines[(k * 37) % 400] = format!("setting_changed = {k}\n");
        for (at, line) in extra {
            lines.insert(*at, line.clone());
        }
        lines.concat()
    };
    let aws = "AKIAQYLPMN5HHHFPZAM2"; // keyhound:allow
    let aws_secret = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"; // keyhound:allow
    for k in 0..30 {
        let mut extra = Vec::new();
        // Only in the first versions (a base, or the end of a chain).
        if k < 2 {
            extra.push((10, format!("token = '{TOKEN_A}'\n")));
        }
        // Appears half way through: an insert in a delta.
        if k >= 15 {
            extra.push((200, format!("TOKEN_B = '{TOKEN_B}'\n")));
        }
        // A keyword completed by an edit right after its first bytes, so
        // it straddles a copy and an insert.
        let split = if k % 3 == 0 {
            format!("key = 'gh{}'\n", "x".repeat(40))
        } else {
            format!("key = '{TOKEN_A}'\n")
        };
        extra.push((300, split));
        if k % 4 == 1 {
            extra.push((350, format!("aws_access_key_id = {aws}\n{aws_secret}\n")));
        }
        commit_file(
            d,
            "config/settings.ini",
            &version(k, &extra),
            &format!("v{k}"),
        );
    }
    git(d, &["gc", "-q", "--aggressive"]);
    // The blobs are stored as deltas of each other.
    let objects = git(
        d,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype) %(deltabase)",
        ],
    );
    let deltas = objects
        .lines()
        .filter(|l| l.starts_with("blob ") && !l.ends_with(&"0".repeat(40)))
        .count();
    assert!(deltas >= 20, "{deltas} blob deltas:\n{objects}");

    let repo = d.display().to_string();
    let with = history_findings(&repo, true);
    let without = history_findings(&repo, false);
    assert_eq!(with, without);
    // Every version with a secret is found: the token of the first
    // versions, the one inserted later, the one whose keyword straddles an
    // edit (the same value as the first), and the AWS key.
    let blobs = |rule: &str| {
        let mut blobs = std::collections::BTreeSet::new();
        for f in with.iter().filter(|f| f["rule_id"] == rule) {
            collect_blobs(f, &mut blobs);
        }
        blobs.len()
    };
    let with_token = (0..30).filter(|k| !(2..15).contains(k) || k % 3 != 0);
    assert_eq!(blobs("github-token"), with_token.count());
    assert_eq!(
        blobs("aws-access-key-id"),
        (0..30).filter(|k| k % 4 == 1).count()
    );
}

/// Every `"blob"` value anywhere in `v`.
fn collect_blobs(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("blob", Some(id)) => {
                        out.insert(id.to_string());
                    }
                    _ => collect_blobs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_blobs(v, out)),
        _ => {}
    }
}

//! Findings people can live with, end to end through the binary: one
//! finding per secret, `.keyhoundignore` entries that survive line moves,
//! rebases and squash merges until they expire, baselines that hide old
//! findings and merge across branches, and SARIF that keeps suppressed and
//! baselined results (validated against the official schema).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use keyhound::detect::checks::github_checksum;
use keyhound::finding::fingerprint;
use serde_json::Value;

mod support;
use support::{assert_valid_sarif, commit_file, git, stderr, stdout, write, BIN};

/// A format-valid GitHub token made at run time (so no credential-shaped
/// literal sits in this file): `ghp_` + 30 pseudo-random characters + their
/// CRC32 checksum.
fn token(seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let body: String = (0..30)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(ALPHABET[((x >> 33) % 62) as usize])
        })
        .collect();
    format!("ghp_{body}{}", github_checksum(&body))
}

fn redacted(token: &str) -> String {
    format!("{}*****{}", &token[..4], &token[token.len() - 2..])
}

fn fp(token: &str) -> String {
    fingerprint("github-token", token.as_bytes())
}

fn keyhound(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(101), "panic: {}", stderr(&out));
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", stdout(out)))
}

// --------------------------------------------------------------------------
// one finding per secret

/// A fast-import stream: `n` commits a day apart, each rewriting
/// `config.txt` with the same key and a changing version line, so every
/// commit has its own blob holding the key.
fn fifty_commits_stream(key: &str, n: usize) -> String {
    let mut s = String::new();
    for i in 1..=n {
        let when = 1_700_000_000 + i * 86_400;
        let msg = format!("version {i}\n");
        let content = format!("token = \"{key}\"\nversion = {i}\n");
        s.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\n\
             author Dev One <dev@example.org> {when} +0000\n\
             committer Dev One <dev@example.org> {when} +0000\n\
             data {}\n{msg}",
            msg.len()
        ));
        if i > 1 {
            s.push_str(&format!("from :{}\n", i - 1));
        }
        s.push_str(&format!(
            "M 100644 inline config.txt\ndata {}\n{content}\n",
            content.len()
        ));
    }
    s
}

#[test]
fn a_key_committed_in_50_commits_is_one_finding_with_50_locations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let key = token(50);
    let mut child = Command::new("git")
        .current_dir(d)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(fifty_commits_stream(&key, 50).as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    git(d, &["checkout", "-q", "-f", "main"]);
    let first = git(d, &["rev-list", "--max-parents=0", "HEAD"]);

    let out = keyhound(d, &["git", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc:#}");
    let f = &findings[0];
    assert_eq!(f["fingerprint"], fp(&key));
    assert_eq!(f["locations"].as_array().unwrap().len(), 50);
    // The primary place is where the key was first introduced.
    assert_eq!(f["git"]["commit"], first.as_str());
    assert_eq!(f["locations"][0]["git"]["commit"], first.as_str());
    assert_eq!(f["in_head"], true);
    assert_eq!(doc["stats"]["findings"], 1);
    assert_eq!(doc["stats"]["secrets"], 1);
    assert_eq!(doc["stats"]["locations"], 50);
    assert_eq!(doc["stats"]["in_head"], 1);
    assert_eq!(doc["stats"]["history_only"], 0);

    let sarif = assert_valid_sarif(&stdout(&keyhound(d, &["git", ".", "--format", "sarif"])));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["relatedLocations"].as_array().unwrap().len(), 49);
    assert_eq!(results[0]["properties"]["locations"], 50);

    // --all-locations: one result per place.
    let all = json(&keyhound(
        d,
        &["git", ".", "--format", "json", "--all-locations"],
    ));
    assert_eq!(all["findings"].as_array().unwrap().len(), 50);
    assert_eq!(all["stats"]["secrets"], 1);

    // Deleted at HEAD: the key is only in history now, and says so.
    commit_file(d, "config.txt", "token = from-vault\n", "rotate");
    let doc = json(&keyhound(d, &["git", ".", "--format", "json"]));
    assert_eq!(doc["findings"][0]["in_head"], false);
    assert_eq!(doc["stats"]["history_only"], 1);
    let sarif = assert_valid_sarif(&stdout(&keyhound(d, &["git", ".", "--format", "sarif"])));
    let props = &sarif["runs"][0]["results"][0]["properties"];
    assert_eq!(props["in_head"], false);
    assert_eq!(props["tags"], serde_json::json!(["history-only"]));
    let text = stdout(&keyhound(d, &["git", "."]));
    assert!(
        text.contains("1 finding in 50 places (0 in HEAD, 1 only in history)"),
        "{text}"
    );
    assert!(text.contains("only in history (not in HEAD)"), "{text}");
    assert!(!text.contains(&key), "clear secret in {text}");
}

// --------------------------------------------------------------------------
// .keyhoundignore

/// Asserts the history scan finds `key` but the ignore file suppresses it.
fn assert_ignored(d: &Path, key: &str, when: &str) {
    let empty = d.join(".git/empty-ignore");
    std::fs::write(&empty, "").unwrap();
    let bare = keyhound(
        d,
        &[
            "git",
            ".",
            "--format",
            "json",
            "--ignore-file",
            empty.to_str().unwrap(),
        ],
    );
    assert_eq!(bare.status.code(), Some(1), "{when}: the key is found");
    assert_eq!(json(&bare)["findings"][0]["fingerprint"], fp(key), "{when}");
    let out = keyhound(d, &["git", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{when}: {}", stdout(&out));
    let doc = json(&out);
    assert_eq!(doc["stats"]["suppressed"], 1, "{when}: {doc:#}");
    assert!(doc["findings"].as_array().unwrap().is_empty(), "{when}");
}

#[test]
fn an_ignore_entry_survives_line_moves_rebases_and_squash_merges_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let key = token(7);
    commit_file(d, "app.cfg", &format!("token = {key}\n"), "add key");
    let today = time::OffsetDateTime::now_utc().date();
    let entry = |expires: time::Date| {
        format!(
            "# reviewed entries\n{} # test-only token, revoked expires={expires}\n",
            fp(&key)
        )
    };
    write(d, ".keyhoundignore", &entry(today));
    assert_ignored(d, &key, "initial");

    // The line moves.
    commit_file(
        d,
        "app.cfg",
        &format!("[section]\nname = x\n\n  token = {key}\n"),
        "move",
    );
    assert_ignored(d, &key, "after a line move");

    // A branch adds the key elsewhere and is rebased onto a moved main.
    git(d, &["checkout", "-q", "-b", "feature"]);
    commit_file(
        d,
        "deploy/env.yaml",
        &format!("env:\n  KEY: {key}\n"),
        "deploy",
    );
    git(d, &["checkout", "-q", "main"]);
    commit_file(d, "README.md", "docs\n", "docs");
    git(d, &["checkout", "-q", "feature"]);
    let before = git(d, &["rev-parse", "HEAD"]);
    git(d, &["rebase", "-q", "main"]);
    assert_ne!(git(d, &["rev-parse", "HEAD"]), before, "rebased");
    assert_ignored(d, &key, "after a rebase");

    // Squash-merged into main.
    git(d, &["checkout", "-q", "main"]);
    git(d, &["merge", "-q", "--squash", "feature"]);
    git(d, &["commit", "-q", "-m", "squash feature"]);
    assert_ignored(d, &key, "after a squash merge");

    // The day after its expiry it stops suppressing, with a warning.
    write(d, ".keyhoundignore", &entry(today.previous_day().unwrap()));
    let out = keyhound(d, &["git", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains(".keyhoundignore:2: entry expired on"), "{err}");
    assert!(stdout(&out).contains(&redacted(&key)));
}

#[test]
fn path_and_rule_entries_and_warnings_for_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b) = (token(1), token(2));
    write(d, "docs/guide.md", &format!("example: {a}\n"));
    write(d, "src/app.py", &format!("TOKEN = '{b}'\n"));
    write(
        d,
        ".keyhoundignore",
        "path:docs/**   # documentation examples\nnot-an-entry\nrule:no-such-rule\n",
    );
    let out = keyhound(d, &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["src/app.py"]);
    let err = stderr(&out);
    assert!(
        err.contains(".keyhoundignore:2: unknown entry \"not-an-entry\""),
        "{err}"
    );
    assert!(
        err.contains(".keyhoundignore:3: unknown rule id \"no-such-rule\""),
        "{err}"
    );
    // The report carries them too: JSON `warnings`, SARIF configuration
    // notifications at the file and line (so CI shows them, not just logs).
    let warnings: Vec<(String, u64)> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["file"].as_str().unwrap().to_string(),
                w["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        vec![
            (".keyhoundignore".to_string(), 2),
            (".keyhoundignore".to_string(), 3)
        ]
    );
    assert!(doc["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("unknown entry"));
    let out = keyhound(d, &["scan", ".", "--format", "sarif"]);
    assert_valid_sarif(&stdout(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
        .as_array()
        .expect("configuration notifications");
    assert_eq!(notes.len(), 2);
    let place = &notes[1]["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], ".keyhoundignore");
    assert_eq!(place["region"]["startLine"], 3);
    assert_eq!(notes[1]["level"], "warning");
    assert!(notes[1]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("no-such-rule"));

    // --include-suppressed lists the suppressed one, with its reason.
    let doc = json(&keyhound(
        d,
        &["scan", ".", "--format", "json", "--include-suppressed"],
    ));
    let docs = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "docs/guide.md")
        .expect("suppressed finding listed");
    assert_eq!(docs["suppression"]["kind"], "external");
    assert_eq!(
        docs["suppression"]["justification"],
        ".keyhoundignore:1: documentation examples"
    );

    // rule: entries silence a whole rule; --ignore-file names another file.
    write(d, "other-ignore", "rule:github-token\n");
    let out = keyhound(d, &["scan", ".", "--ignore-file", "other-ignore"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // A named ignore file that does not exist is a usage error.
    let out = keyhound(d, &["scan", ".", "--ignore-file", "missing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read missing"),
        "{}",
        stderr(&out)
    );
}

// --------------------------------------------------------------------------
// rule allowlists

/// A custom rule with its own `[rule.allow]`: sandbox tokens start `sbx`.
const ACME_RULES: &str = r#"
[[rule]]
id = "acme-token"
name = "Acme token"
provider = "acme"
description = "Acme API token."
severity = "high"
confidence = "high"
keywords = ["acme_"]
regex = '''acme_(?P<secret>[a-z0-9]{20})'''

[rule.allow]
regexes = ['^sbx']
reason = "Acme sandbox tokens cannot reach production"
"#;

#[test]
fn rule_file_and_keyhound_toml_allowlists_suppress_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (fixture, public, real) = (token(40), token(41), token(42));
    write(d, "tests/fixtures/keys.txt", &format!("{fixture}\n"));
    write(d, "src/public.py", &format!("DEMO = '{public}'\n"));
    write(d, "src/app.py", &format!("TOKEN = '{real}'\n"));
    write(
        d,
        "src/acme.txt",
        "sandbox acme_sbx4k2j9q7w1m5n8r3t6\nlive acme_p9k2j4q7w1m5n8r3t6z0\n", // keyhound:allow
    );
    write(d, "acme.toml", ACME_RULES);
    write(
        d,
        "keyhound.toml",
        &format!(
            "[allow.github-token]\npaths = [\"tests/fixtures/**\"]\nsecrets = [\"{public}\"]\nreason = \"published demo token\"\n"
        ),
    );

    let out = keyhound(
        d,
        &["scan", ".", "--rules", "acme.toml", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let mut fps: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    fps.sort_unstable();
    let live_acme = fingerprint("acme-token", b"p9k2j4q7w1m5n8r3t6z0"); // keyhound:allow
    let mut want = vec![fp(&real), live_acme.clone()];
    want.sort_unstable();
    assert_eq!(fps, want);

    // --include-suppressed lists them, each naming its table and reason.
    let doc = json(&keyhound(
        d,
        &[
            "scan",
            ".",
            "--rules",
            "acme.toml",
            "--format",
            "json",
            "--include-suppressed",
        ],
    ));
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 5, "{doc:#}");
    // (The listed secret also occurs in keyhound.toml itself, where the
    // same allowlist covers it: one finding, two places.)
    let why = |key: &str| {
        let f = findings
            .iter()
            .find(|f| f["fingerprint"] == key)
            .unwrap_or_else(|| panic!("no finding {key}"));
        assert_eq!(f["suppression"]["kind"], "external");
        f["suppression"]["justification"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let toml_reason = "keyhound.toml:1: allowlist of rule github-token: published demo token";
    assert_eq!(why(&fp(&fixture)), toml_reason);
    assert_eq!(why(&fp(&public)), toml_reason);
    assert_eq!(
        why(&fingerprint("acme-token", b"sbx4k2j9q7w1m5n8r3t6")), // keyhound:allow
        "acme.toml:12: allowlist of rule acme-token: Acme sandbox tokens cannot reach production"
    );

    // SARIF carries them as dismissed, and still validates.
    let out = keyhound(
        d,
        &["scan", ".", "--rules", "acme.toml", "--format", "sarif"],
    );
    assert_eq!(out.status.code(), Some(1));
    let sarif = assert_valid_sarif(&stdout(&out));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let by_fp = |key: &str| {
        results
            .iter()
            .find(|r| r["partialFingerprints"]["keyhound/v1"] == key)
            .unwrap_or_else(|| panic!("no result for {key}"))
    };
    assert!(by_fp(&fp(&real)).get("suppressions").is_none());
    assert!(by_fp(&live_acme).get("suppressions").is_none());
    for key in [&fixture, &public] {
        let s = &by_fp(&fp(key))["suppressions"][0];
        assert_eq!(s["kind"], "external");
        assert_eq!(s["justification"], toml_reason);
    }

    // Only allowlisted findings left: exit 0.
    std::fs::remove_file(d.join("src/app.py")).unwrap();
    std::fs::remove_file(d.join("src/acme.txt")).unwrap();
    let out = keyhound(d, &["scan", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn allowlist_paths_apply_to_history_scans() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let (fixture, real) = (token(43), token(44));
    commit_file(d, "fixtures/keys.txt", &format!("{fixture}\n"), "fixture");
    commit_file(d, "src/app.env", &format!("T={real}\n"), "app");
    write(
        d,
        "keyhound.toml",
        "[allow.github-token]\npaths = [\"fixtures/*.txt\"]\n",
    );
    let doc = json(&keyhound(
        d,
        &["git", ".", "--format", "json", "--include-suppressed"],
    ));
    let findings = doc["findings"].as_array().unwrap();
    let by_fp = |key: &str| {
        findings
            .iter()
            .find(|f| f["fingerprint"] == fp(key))
            .unwrap_or_else(|| panic!("no finding for {}", redacted(key)))
    };
    assert_eq!(
        by_fp(&fixture)["suppression"]["justification"],
        "keyhound.toml:1: allowlist of rule github-token"
    );
    assert!(by_fp(&real)["suppression"].is_null());
}

#[test]
fn malformed_allowlists_are_usage_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "src/app.py", &format!("TOKEN = '{}'\n", token(45)));
    let fails = |config: &str, rules: Option<&str>, wanted: &[&str]| {
        write(d, "keyhound.toml", config);
        let mut args = vec!["scan", "."];
        if let Some(rules) = rules {
            write(d, "rules.toml", rules);
            args.extend(["--rules", "rules.toml"]);
        }
        let out = keyhound(d, &args);
        assert_eq!(out.status.code(), Some(2), "{config}: {}", stdout(&out));
        let err = stderr(&out);
        for w in wanted {
            assert!(err.contains(w), "{config}: want {w:?} in {err}");
        }
    };
    // An unknown key (`path` for `paths`) is an error, not an ignored line.
    fails(
        "confidence = \"medium\"\n\n[allow.github-token]\npath = [\"x/**\"]\n",
        None,
        &["keyhound.toml:4:", "path"],
    );
    fails(
        "[allow.github-token]\nregexes = ['(unclosed']\n",
        None,
        &["keyhound.toml:1:", "(unclosed", "does not compile"],
    );
    fails(
        "[allow.github-token]\npaths = [\"a/[b\"]\n",
        None,
        &["keyhound.toml:1:", "invalid path glob \"a/[b\""],
    );
    fails(
        "[allow.github-token]\nreason = \"nothing listed\"\n",
        None,
        &["keyhound.toml:1:", "allows nothing"],
    );
    fails(
        "[allow.no-such-rule]\nsecrets = [\"x\"]\n",
        None,
        &["unknown rule id `no-such-rule`", "keyhound.toml:1"],
    );
    fails(
        "",
        Some(&ACME_RULES.replace("regexes = ['^sbx']", "regexes = ['^sbx(']")),
        &["rules.toml:12:", "^sbx("],
    );
    fails(
        "",
        Some(&ACME_RULES.replace("regexes = ", "regex = ")),
        &["rules.toml:13:", "regex"],
    );
}

// --------------------------------------------------------------------------
// baselines

#[test]
fn a_baseline_hides_old_findings_and_two_branches_baselines_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let (a, b, c, n) = (token(10), token(11), token(12), token(13));
    write(d, ".gitattributes", "keyhound-baseline.txt merge=union\n");
    commit_file(d, "a.env", &format!("A={a}\n"), "a");
    let base = keyhound(d, &["baseline", "create", "."]);
    assert_eq!(base.status.code(), Some(0), "{}", stderr(&base));
    write(d, "keyhound-baseline.txt", &stdout(&base));
    commit_file(d, "keyhound-baseline.txt", &stdout(&base), "baseline");

    // Each branch adds a key and records it in its own baseline.
    for (branch, file, key) in [("one", "b.env", &b), ("two", "c.env", &c)] {
        git(d, &["checkout", "-q", "-b", branch, "main"]);
        write(d, file, &format!("K={key}\n"));
        let out = keyhound(d, &["scan", ".", "--baseline", "keyhound-baseline.txt"]);
        assert_eq!(out.status.code(), Some(1), "{branch}");
        let text = stdout(&out);
        assert!(text.contains(&redacted(key)), "{text}");
        assert!(!text.contains(&redacted(&a)), "old finding shown: {text}");
        let new = stdout(&keyhound(d, &["baseline", "create", "."]));
        let fps: Vec<&str> = new.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(fps.len(), 2, "{new}");
        let mut sorted = fps.clone();
        sorted.sort_unstable();
        assert_eq!(fps, sorted, "sorted");
        write(d, "keyhound-baseline.txt", &new);
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", branch]);
    }
    git(d, &["checkout", "-q", "main"]);
    git(d, &["merge", "-q", "--no-edit", "one"]);
    // A real three-way merge of two baselines that both added an entry.
    git(d, &["merge", "-q", "--no-edit", "two"]);
    let merged = std::fs::read_to_string(d.join("keyhound-baseline.txt")).unwrap();
    assert!(!merged.contains("<<<<<<<"), "{merged}");
    for key in [&a, &b, &c] {
        assert!(merged.contains(&fp(key)), "{merged}");
    }
    let out = keyhound(d, &["scan", ".", "--baseline", "keyhound-baseline.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("No secrets found (3 in baseline)"));

    // A new key is reported, alone.
    write(d, "n.env", &format!("N={n}\n"));
    let out = keyhound(
        d,
        &[
            "scan",
            ".",
            "--baseline",
            "keyhound-baseline.txt",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["fingerprint"], fp(&n));
    assert_eq!(doc["findings"][0]["baseline_state"], "new");
    assert_eq!(doc["stats"]["baselined"], 3);

    // Removing a key leaves a stale entry that `baseline check` names.
    std::fs::remove_file(d.join("c.env")).unwrap();
    let out = keyhound(
        d,
        &[
            "baseline",
            "check",
            ".",
            "--baseline",
            "keyhound-baseline.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{} no longer occurs (github-token)", fp(&c))),
        "{text}"
    );
    assert!(
        text.contains("1 of 3 baseline entries no longer occur"),
        "{text}"
    );
    std::fs::remove_file(d.join("n.env")).unwrap();
    let fresh = stdout(&keyhound(d, &["baseline", "create", "."]));
    write(d, "keyhound-baseline.txt", &fresh);
    let out = keyhound(
        d,
        &[
            "baseline",
            "check",
            ".",
            "--baseline",
            "keyhound-baseline.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn malformed_baselines_warn_and_missing_ones_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = token(3);
    write(d, "a.env", &format!("A={a}\n"));
    write(
        d,
        "base.txt",
        &format!("{}\nnonsense here\npath:x\n", fp(&a)),
    );
    let out = keyhound(d, &["scan", ".", "--baseline", "base.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("base.txt:2: unknown entry"), "{err}");
    assert!(err.contains("base.txt:3: only fingerprints"), "{err}");
    let out = keyhound(d, &["scan", ".", "--baseline", "nope.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read baseline nope.txt"));
    let out = keyhound(d, &["scan", ".", "--report-absent"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--report-absent needs --baseline"
    );
}

// --------------------------------------------------------------------------
// suppressed + baselined + new

#[test]
fn suppressed_baselined_and_new_findings_exit_1_and_text_shows_only_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let (ignored, inline, old, gone, new) = (token(20), token(21), token(22), token(23), token(24));
    commit_file(
        d,
        "fixtures/ignored.txt",
        &format!("{ignored}\n"),
        "fixture",
    );
    commit_file(
        d,
        "src/inline.py",
        &format!("T = '{inline}'  # {}\n", "keyhound:allow"),
        "inline",
    );
    commit_file(d, "src/old.env", &format!("OLD={old}\n"), "old");
    write(
        d,
        ".keyhoundignore",
        &format!("{} # fixture\n", fp(&ignored)),
    );
    write(
        d,
        "baseline.txt",
        &format!(
            "{} # github-token\n{} # github-token\n",
            fp(&old),
            fp(&gone)
        ),
    );
    commit_file(d, "src/new.env", &format!("NEW={new}\n"), "new");

    for scan in [&["git", "."][..], &["scan", "."][..]] {
        let mut args = scan.to_vec();
        args.extend(["--baseline", "baseline.txt"]);
        let out = keyhound(d, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(&redacted(&new)), "{text}");
        for hidden in [&ignored, &inline, &old] {
            assert!(
                !text.contains(&redacted(hidden)),
                "{args:?} shows a hidden finding:\n{text}"
            );
        }
        assert_eq!(
            text.matches("GitHub token [github-token]").count(),
            1,
            "{text}"
        );
        assert!(text.contains("1 finding"), "{text}");
        assert!(text.contains("2 suppressed; 1 in baseline"), "{text}");
    }

    // SARIF keeps them all, marked, and still validates.
    let out = keyhound(
        d,
        &[
            "git",
            ".",
            "--baseline",
            "baseline.txt",
            "--report-absent",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let sarif = assert_valid_sarif(&stdout(&out));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let by_fp = |key: &str| {
        results
            .iter()
            .find(|r| r["partialFingerprints"]["keyhound/v1"] == fp(key))
            .unwrap_or_else(|| panic!("no result for {}", redacted(key)))
    };
    assert_eq!(by_fp(&new)["baselineState"], "new");
    assert!(by_fp(&new).get("suppressions").is_none());
    assert_eq!(by_fp(&old)["baselineState"], "unchanged");
    assert_eq!(by_fp(&ignored)["suppressions"][0]["kind"], "external");
    assert!(by_fp(&ignored)["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .ends_with(".keyhoundignore:1: fixture"));
    assert_eq!(by_fp(&inline)["suppressions"][0]["kind"], "inSource");
    let absent = by_fp(&gone);
    assert_eq!(absent["baselineState"], "absent");
    assert_eq!(absent["ruleId"], "github-token");
    assert_eq!(results.len(), 5);
    let text = stdout(&keyhound(
        d,
        &["git", ".", "--baseline", "baseline.txt", "--report-absent"],
    ));
    assert!(text.contains("1 baseline entry no longer found"), "{text}");
    assert!(!stdout(&out).contains(&new), "clear secret in SARIF");
}

// --------------------------------------------------------------------------
// configuration in history scans

#[test]
fn keyhound_toml_applies_to_history_scans_and_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let (fixture, real) = (token(30), token(31));
    commit_file(d, "fixtures/keys.txt", &format!("{fixture}\n"), "fixture");
    commit_file(d, "src/app.env", &format!("T={real}\n"), "app");
    write(d, "keyhound.toml", "exclude = [\"fixtures/**\"]\n");
    let doc = json(&keyhound(d, &["git", ".", "--format", "json"]));
    let fps: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps, vec![fp(&real)]);

    write(d, "other.toml", "disable = [\"github-token\"]\n");
    let out = keyhound(d, &["git", ".", "--config", "other.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    write(d, "bad.toml", "confidence = \"high\"\nstopword = [\"x\"]\n");
    let out = keyhound(d, &["git", ".", "--config", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:2:") && err.contains("stopword"),
        "{err}"
    );
}

#[test]
fn range_scans_say_whether_a_finding_is_still_in_head() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    commit_file(d, "README.md", "hello\n", "start");
    let base = git(d, &["rev-parse", "HEAD"]);
    let (gone, kept) = (token(40), token(41));
    commit_file(d, "a.env", &format!("A={gone}\n"), "add a");
    commit_file(d, "a.env", "A=from-vault\n", "rotate a");
    commit_file(d, "b.env", &format!("B={kept}\n"), "add b");
    let out = keyhound(d, &["git", ".", "--since", &base, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let in_head = |key: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["fingerprint"] == fp(key))
            .map(|f| f["in_head"].clone())
    };
    assert_eq!(in_head(&gone), Some(Value::from(false)));
    assert_eq!(in_head(&kept), Some(Value::from(true)));
    assert_eq!(doc["stats"]["in_head"], 1);
    assert_eq!(doc["stats"]["history_only"], 1);
}

#[test]
fn baseline_commands_refuse_options_that_would_do_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.env", &format!("A={}\n", token(50)));
    for flag in [
        &["--verify"][..],
        &["--only-verified", "--verify"][..],
        &["--show-secrets"][..],
        &["--include-suppressed"][..],
        &["--all-locations"][..],
        &["--format", "json"][..],
    ] {
        for command in ["create", "check"] {
            let mut args = vec!["baseline", command, "."];
            args.extend_from_slice(flag);
            if command == "check" {
                args.extend_from_slice(&["--baseline", "a.env"]);
            }
            let out = keyhound(d, &args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert!(
                stderr(&out).contains(&format!("{} does not apply", flag[0])),
                "{args:?}: {}",
                stderr(&out)
            );
            assert!(stdout(&out).is_empty(), "{args:?}");
        }
    }
    // Without them, the same command works.
    let out = keyhound(d, &["baseline", "create", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&fp(&token(50))));
}

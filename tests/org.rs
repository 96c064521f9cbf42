//! `keyhound org`: real git repositories made in temp dirs, mirrored over
//! file:// URLs and local paths into a cache, a real SQLite state store.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{commit_file, git, keyhound, stderr, stdout};

const TOKEN_A: &str = "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"; // keyhound:allow
const TOKEN_B: &str = "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"; // keyhound:allow

/// A work tree with a few commits; `secret` goes into `config/app.env`.
fn repo(root: &Path, name: &str, secret: Option<&str>) -> PathBuf {
    let dir = root.join("src").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    commit_file(&dir, "README.md", &format!("# {name}\n"), "readme");
    // Unique per repository: blobs shared between repositories are
    // scanned once per run, which only a_fork_scans_... is about.
    commit_file(
        &dir,
        "src/main.rs",
        &format!("fn main() {{ /* {name} */ }}\n"),
        "code",
    );
    if let Some(s) = secret {
        commit_file(
            &dir,
            "config/app.env",
            &format!("GITHUB_TOKEN={s}\n"),
            "config",
        );
    }
    dir
}

struct Org {
    root: tempfile::TempDir,
}

impl Org {
    fn new() -> Org {
        Org {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn list(&self, name: &str, lines: &[String]) -> PathBuf {
        let file = self.path().join(name);
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        file
    }

    /// Runs `keyhound org` with `--cache`/`--state` of slot `slot`.
    fn run(&self, slot: &str, list: &Path, extra: &[&str]) -> (i32, Value, String) {
        self.run_env(slot, list, extra, &[])
    }

    /// [`Org::run`] with extra environment variables.
    fn run_env(
        &self,
        slot: &str,
        list: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> (i32, Value, String) {
        let cache = self.path().join(format!("cache-{slot}"));
        let state = self.path().join(format!("state-{slot}.db"));
        let mut args = vec![
            "org",
            "--repos",
            list.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--format",
            "json",
        ];
        if !extra.contains(&"--jobs") {
            args.extend(["--jobs", "2"]);
        }
        args.extend_from_slice(extra);
        let mut cmd = std::process::Command::new(support::BIN);
        cmd.args(&args).current_dir(self.path());
        support::clean_env(&mut cmd);
        for v in support::INDEX_VARIABLES {
            cmd.env_remove(v);
        }
        cmd.envs(env.iter().copied());
        let out = cmd.output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        let json = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
        (code, json, stderr(&out))
    }
}

fn repo_stats<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["stats"]["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no repo {name} in {report:#}"))
}

fn findings_of(report: &Value) -> BTreeSet<(String, String, bool)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["repo"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["new"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn second_run_scans_no_blob_and_a_new_commit_only_its_blobs() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let beta = repo(org.path(), "beta", None);
    let list = org.list(
        "repos.txt",
        &[
            "# two repositories".into(),
            format!("{} name=acme/alpha", alpha.display()),
            format!("file://{} name=acme/beta", beta.display()),
        ],
    );

    let (code, first, err) = org.run("a", &list, &[]);
    assert_eq!(code, 1, "new findings: {err}");
    let scanned = first["stats"]["blobs_scanned"].as_u64().unwrap();
    // alpha: README, main.rs, app.env; beta: README, main.rs.
    assert_eq!(scanned, 5, "{first:#}");
    assert_eq!(repo_stats(&first, "acme/alpha")["status"], "complete");
    let f = &first["findings"][0];
    assert_eq!(f["repo"], "acme/alpha");
    assert_eq!(f["path"], "config/app.env");
    assert_eq!(f["new"], true);
    assert!(f["git"]["commit"].is_string(), "{f:#}");
    assert!(!first.to_string().contains(TOKEN_A), "secret redacted");

    let (code, second, err) = org.run("a", &list, &[]);
    assert_eq!(code, 0, "nothing new: {err}");
    assert_eq!(second["stats"]["blobs_scanned"], 0, "{second:#}");
    assert_eq!(second["stats"]["blobs_known"], 5);
    // The finding in a blob not scanned again is still present, not new.
    assert_eq!(
        findings_of(&second),
        BTreeSet::from([("acme/alpha".into(), "github-token".into(), false)])
    );
    assert_eq!(second["stats"]["fixed"], 0);

    commit_file(&beta, "deploy/ci.env", &format!("TOKEN={TOKEN_B}\n"), "ci");
    let (code, third, err) = org.run("a", &list, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        third["stats"]["blobs_scanned"], 1,
        "only the new blob: {third:#}"
    );
    assert_eq!(repo_stats(&third, "acme/alpha")["blobs_scanned"], 0);
    assert_eq!(
        findings_of(&third),
        BTreeSet::from([
            ("acme/alpha".into(), "github-token".into(), false),
            ("acme/beta".into(), "github-token".into(), true),
        ])
    );
}

#[test]
fn a_finding_in_a_known_blob_stays_present_with_fresh_attribution() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let list = org.list("repos.txt", &[alpha.display().to_string()]);
    let (_, first, _) = org.run("a", &list, &[]);
    assert_eq!(first["findings"][0]["in_head"], true);
    // Deleting the file adds no blob: nothing to scan, but the secret is
    // now only in history.
    git(&alpha, &["rm", "-q", "config/app.env"]);
    git(&alpha, &["commit", "-q", "-m", "remove config"]);
    let (code, second, err) = org.run("a", &list, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(second["stats"]["blobs_scanned"], 0);
    assert_eq!(second["stats"]["blobs_rechecked"], 1);
    let f = &second["findings"][0];
    assert_eq!(f["in_head"], false, "{second:#}");
    assert_eq!(f["new"], false);
    assert_eq!(f["first_seen"], first["findings"][0]["first_seen"]);
    assert_eq!(second["stats"]["fixed"], 0);
}

#[test]
fn a_changed_ruleset_rescans() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", None);
    let list = org.list("repos.txt", &[alpha.display().to_string()]);
    let (_, first, _) = org.run("a", &list, &[]);
    assert_eq!(first["stats"]["blobs_scanned"], 2);
    let rules = org.path().join("extra.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
id = "acme-internal-token"
name = "ACME internal token"
provider = "acme"
description = "ACME's internal service token."
severity = "high"
confidence = "high"
keywords = ["acmetok_"]
regex = '''(?P<secret>acmetok_[a-z0-9]{24})'''
examples = ["t = acmetok_q8z3k1m0v7x2c9b4n6l5j8h3"]
"#,
    )
    .unwrap();
    let (code, second, err) = org.run("a", &list, &["--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(second["stats"]["blobs_scanned"], 2, "{second:#}");
    assert_ne!(first["digest"], second["digest"]);
}

#[test]
fn a_failing_repository_exits_3_and_the_others_are_scanned() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let missing = org.path().join("src/missing");
    let list = org.list(
        "repos.txt",
        &[
            format!("file://{} name=gone", missing.display()),
            alpha.display().to_string(),
        ],
    );
    let (code, report, err) = org.run("a", &list, &[]);
    assert_eq!(code, 3, "a failed repo wins over new findings: {err}");
    assert_eq!(repo_stats(&report, "alpha")["status"], "complete");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    let gone = repo_stats(&report, "gone");
    assert_eq!(gone["status"], "failed");
    assert!(
        gone["error"].as_str().unwrap().contains("clone"),
        "{gone:#}"
    );
    assert_eq!(report["failures"][0]["repo"], "gone");
    assert!(err.contains("gone"), "{err}");
}

#[test]
fn a_hanging_fetch_is_killed_at_the_timeout() {
    let org = Org::new();
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let alpha = repo(org.path(), "alpha", None);
    let list = org.list(
        "repos.txt",
        &[
            format!("http://127.0.0.1:{port}/acme/slow.git"),
            alpha.display().to_string(),
        ],
    );
    let started = std::time::Instant::now();
    let (code, report, _) = org.run("a", &list, &["--repo-timeout", "1"]);
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(code, 3);
    let slow = repo_stats(&report, "acme/slow");
    assert!(
        slow["error"].as_str().unwrap().contains("timed out"),
        "{slow:#}"
    );
    assert_eq!(repo_stats(&report, "alpha")["status"], "complete");
}

#[test]
fn fixed_only_after_a_complete_scan_of_the_rewritten_history() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let url = format!("file://{}", alpha.display());
    let list = org.list("repos.txt", &[format!("{url} name=alpha")]);
    let (code, _, _) = org.run("a", &list, &[]);
    assert_eq!(code, 1);

    // Rewrite history without the secret.
    git(&alpha, &["checkout", "-q", "--orphan", "clean"]);
    git(&alpha, &["rm", "-q", "--cached", "config/app.env"]);
    std::fs::remove_file(alpha.join("config/app.env")).unwrap();
    git(&alpha, &["commit", "-q", "-m", "clean start"]);
    git(&alpha, &["branch", "-D", "main"]);
    git(&alpha, &["branch", "-m", "main"]);

    // The repository cannot be reached this time: nothing is fixed.
    let moved = org.path().join("src/alpha-away");
    std::fs::rename(&alpha, &moved).unwrap();
    let (code, failed, _) = org.run("a", &list, &[]);
    assert_eq!(code, 3);
    assert_eq!(failed["stats"]["fixed"], 0, "{failed:#}");
    assert_eq!(failed["fixed"].as_array().unwrap().len(), 0);

    std::fs::rename(&moved, &alpha).unwrap();
    let (code, done, err) = org.run("a", &list, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(done["findings"].as_array().unwrap().len(), 0, "{done:#}");
    assert_eq!(done["stats"]["fixed"], 1);
    let fixed = &done["fixed"][0];
    assert_eq!(fixed["repo"], "alpha");
    assert_eq!(fixed["rule_id"], "github-token");
    assert!(!done.to_string().contains(TOKEN_A));
}

#[test]
fn a_corrupt_state_store_is_rebuilt_with_a_warning() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let list = org.list("repos.txt", &[alpha.display().to_string()]);
    org.run("a", &list, &[]);
    let state = org.path().join("state-a.db");
    // Truncated mid-file, as a full disk or a killed copy leaves it.
    let bytes = std::fs::read(&state).unwrap();
    let _ = std::fs::remove_file(org.path().join("state-a.db-wal"));
    std::fs::write(&state, &bytes[..bytes.len().min(4096) / 2 + 100]).unwrap();
    let (code, report, err) = org.run("a", &list, &[]);
    assert!(err.contains("damaged") && err.contains("rebuilt"), "{err}");
    // Rebuilt from scratch: everything scanned and new again.
    assert_eq!(code, 1);
    assert_eq!(report["stats"]["blobs_scanned"], 3);
    let aside: Vec<_> = std::fs::read_dir(org.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
}

#[test]
fn a_store_from_a_newer_keyhound_is_refused() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", None);
    let list = org.list("repos.txt", &[alpha.display().to_string()]);
    let state = org.path().join("state-a.db");
    let conn = rusqlite::Connection::open(&state).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let cache = org.path().join("cache");
    let out = keyhound(
        &[
            "org",
            "--repos",
            list.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ],
        org.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("schema version 99"),
        "{}",
        stderr(&out)
    );
    // Refused, not rebuilt: the store is left as it was.
    let conn = rusqlite::Connection::open(&state).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
}

#[test]
fn shards_partition_the_repositories_and_merge_to_the_unsharded_report() {
    let org = Org::new();
    let mut lines = Vec::new();
    for i in 0..9 {
        let secret = (i % 3 == 0).then_some(if i % 2 == 0 { TOKEN_A } else { TOKEN_B });
        let dir = repo(org.path(), &format!("r{i}"), secret);
        lines.push(format!("{} name=acme/r{i}", dir.display()));
    }
    let list = org.list("repos.txt", &lines);
    let (_, whole, _) = org.run("whole", &list, &[]);
    let mut names = BTreeSet::new();
    let mut reports = Vec::new();
    for i in 0..3 {
        // As a Kubernetes Indexed Job runs them.
        let index = i.to_string();
        let (_, part, err) = org.run_env(
            &format!("s{i}"),
            &list,
            &["--shard-count", "3"],
            &[("JOB_COMPLETION_INDEX", &index)],
        );
        assert_eq!(part["shard"], format!("{i}/3"));
        for r in part["stats"]["repos"].as_array().unwrap() {
            let name = r["name"].as_str().unwrap().to_string();
            assert!(names.insert(name.clone()), "{name} in two shards: {err}");
        }
        let file = org.path().join(format!("shard-{i}.json"));
        std::fs::write(&file, part.to_string()).unwrap();
        reports.push(file);
    }
    let all: BTreeSet<String> = (0..9).map(|i| format!("acme/r{i}")).collect();
    assert_eq!(names, all, "every repository in exactly one shard");
    // And --shard I/N picks the same ones as the engine's index.
    let (_, one, _) = org.run("s1", &list, &["--shard", "1/3"]);
    let again: Vec<&Value> = one["stats"]["repos"].as_array().unwrap().iter().collect();
    assert!(
        again.iter().all(|r| r["blobs_scanned"] == 0),
        "a shard's second run reuses its state: {one:#}"
    );

    let mut args = vec!["org", "merge", "--format", "json"];
    args.extend(reports.iter().map(|p| p.to_str().unwrap()));
    let out = keyhound(&args, org.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let merged: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(findings_of(&merged), findings_of(&whole));
    assert_eq!(merged["stats"]["findings"], whole["stats"]["findings"]);
    assert_eq!(
        merged["stats"]["blobs_scanned"],
        whole["stats"]["blobs_scanned"]
    );
    assert_eq!(merged["stats"]["repos_total"], 9);

    // Overlapping inputs are refused.
    let out = keyhound(
        &[
            "org",
            "merge",
            reports[0].to_str().unwrap(),
            reports[0].to_str().unwrap(),
        ],
        org.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("more than one input"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_fork_scans_only_what_it_does_not_share_with_its_parent() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let fork = org.path().join("src/fork");
    git(
        org.path(),
        &[
            "clone",
            "-q",
            alpha.to_str().unwrap(),
            fork.to_str().unwrap(),
        ],
    );
    commit_file(&fork, "docs/fork.md", "forked\n", "fork");
    let list = org.list(
        "repos.txt",
        &[alpha.display().to_string(), fork.display().to_string()],
    );
    let (code, report, err) = org.run("a", &list, &["--jobs", "1"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(repo_stats(&report, "alpha")["blobs_scanned"], 3);
    // README and main.rs were settled clean by alpha; app.env has a
    // finding, so the fork reads it itself and reports its own place.
    let f = repo_stats(&report, "fork");
    assert_eq!(f["blobs_scanned"], 2, "{report:#}");
    assert_eq!(f["blobs_known"], 2);
    assert_eq!(
        findings_of(&report),
        BTreeSet::from([
            ("alpha".into(), "github-token".into(), true),
            ("fork".into(), "github-token".into(), true),
        ])
    );
    // And the fork's own store row knows the shared blobs next time.
    let (_, again, _) = org.run("a", &list, &["--jobs", "1"]);
    assert_eq!(again["stats"]["blobs_scanned"], 0, "{again:#}");
}

#[test]
fn list_errors_are_usage_errors_with_the_line() {
    let org = Org::new();
    let list = org.list(
        "repos.txt",
        &[
            "/x".into(),
            "https://bot:s3cr3t-token@h.example/a/b.git".into(),
        ],
    );
    let out = keyhound(
        &[
            "org",
            "--repos",
            list.to_str().unwrap(),
            "--cache",
            "c",
            "--state",
            "s.db",
        ],
        org.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("repos.txt:2:") && err.contains("password"),
        "{err}"
    );
    assert!(!err.contains("s3cr3t-token"), "{err}");
}

#[test]
fn out_dir_has_schema_valid_sarif_and_jsonl_per_repository() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let beta = repo(org.path(), "beta", None);
    let list = org.list(
        "repos.txt",
        &[
            format!("file://{} name=acme/alpha", alpha.display()),
            format!("{} name=acme/beta branch=main", beta.display()),
        ],
    );
    let out = org.path().join("out");
    let (code, _, err) = org.run("a", &list, &["--out-dir", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
    let sarif_of = |prefix: &str| {
        let name = files
            .iter()
            .find(|f| f.starts_with(prefix) && f.ends_with(".sarif"))
            .unwrap();
        support::assert_valid_sarif(&std::fs::read_to_string(out.join(name)).unwrap())
    };
    let a = sarif_of("acme_alpha-");
    let run = &a["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "keyhound-org/acme/alpha/");
    assert_eq!(run["results"].as_array().unwrap().len(), 1);
    let vcs = &run["versionControlProvenance"][0];
    assert_eq!(vcs["repositoryUri"], format!("file://{}", alpha.display()));
    assert_eq!(vcs["revisionId"].as_str().unwrap().len(), 40);
    assert!(!a.to_string().contains(TOKEN_A));
    let b = sarif_of("acme_beta-");
    assert_eq!(
        b["runs"][0]["automationDetails"]["id"],
        "keyhound-org/acme/beta/"
    );
    assert_eq!(b["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(
        b["runs"][0]["versionControlProvenance"][0]["branch"],
        "main"
    );
    let jsonl = files
        .iter()
        .find(|f| f.starts_with("acme_alpha-") && f.ends_with(".jsonl"))
        .unwrap();
    let lines: Vec<Value> = std::fs::read_to_string(out.join(jsonl))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["repo"], "acme/alpha");
}

#[test]
fn markdown_and_html_summaries_have_every_section_and_no_secret() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let missing = org.path().join("src/missing");
    let list = org.list(
        "repos.txt",
        &[
            alpha.display().to_string(),
            format!("file://{} name=gone", missing.display()),
        ],
    );
    let run = |format: &str| {
        let out = keyhound(
            &[
                "org",
                "--repos",
                list.to_str().unwrap(),
                "--cache",
                "c",
                "--state",
                "s.db",
                "--format",
                format,
            ],
            org.path(),
        );
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        stdout(&out)
    };
    let md = run("markdown");
    let order = [
        "## Live credentials",
        "## New since the last run",
        "## Fixed since the last run",
        "## Repositories that failed",
        "## Per repository",
        "## Per provider",
        "## Per rule",
        "## All findings (live first)",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|h| md.find(h).unwrap_or_else(|| panic!("{h} missing:\n{md}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{md}");
    assert!(md.contains("| gone |"), "{md}");
    assert!(md.contains("github-token"));
    assert!(!md.contains(TOKEN_A));

    let html = run("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Repositories that failed"));
    assert!(!html.contains(TOKEN_A));
    // Self-contained: nothing loaded from anywhere.
    for needle in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
}

#[test]
fn a_corrupt_mirror_fails_its_repository_and_fixes_nothing() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", Some(TOKEN_A));
    let beta = repo(org.path(), "beta", None);
    let list = org.list(
        "repos.txt",
        &[alpha.display().to_string(), beta.display().to_string()],
    );
    let (code, _, _) = org.run("a", &list, &[]);
    assert_eq!(code, 1);
    let blob = git(&alpha, &["rev-parse", "HEAD:config/app.env"]);
    let mirror = std::fs::read_dir(org.path().join("cache-a"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("alpha-")
        })
        .unwrap();
    support::damage_pack_entry(&mirror, &blob);
    // A new commit: refs unchanged, the mirror would not be opened at all
    // (tests/org_incremental.rs).
    commit_file(&alpha, "NOTES.md", "notes\n", "notes");

    // The blob with the finding is known and read again: it cannot be,
    // so the repository failed, and its finding is not "fixed".
    let (code, report, err) = org.run("a", &list, &[]);
    assert_eq!(code, 3, "{err}");
    let a = repo_stats(&report, "alpha");
    assert_eq!(a["status"], "failed", "{report:#}");
    assert!(a["error"].as_str().unwrap().contains(&blob), "{a:#}");
    assert_eq!(report["stats"]["fixed"], 0);
    assert_eq!(repo_stats(&report, "beta")["status"], "complete");

    // A fresh store over the damaged mirror: a full scan, failed too.
    std::fs::remove_file(org.path().join("state-a.db")).unwrap();
    let (code, report, _) = org.run("a", &list, &[]);
    assert_eq!(code, 3);
    assert_eq!(repo_stats(&report, "alpha")["status"], "failed");
}

#[test]
fn verify_rechecks_live_ones_each_run_and_dead_ones_only_with_reverify() {
    const LIVE: &str = "AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs"; // keyhound:allow
    const DEAD: &str = "AIzaSyBm7TqW2nXc4Rz9KpL6vHd3JeF8sUa5YgQ"; // keyhound:allow
    let api = support::Server::start(|r: &support::Received| {
        match r.header("x-goog-api-key") {
        Some(LIVE) => (200, r#"{"projectId":"123"}"#.into()),
        _ => (
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#.into(),
        ),
    }
    });
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", None);
    commit_file(
        &alpha,
        "web/app.js",
        &format!("const maps = \"{LIVE}\";\nconst old = \"{DEAD}\";\n"),
        "maps",
    );
    let list = org.list("repos.txt", &[alpha.display().to_string()]);
    let endpoint = api.url();
    let verify = ["--verify", "--gcp-api-endpoint", endpoint.as_str()];
    let sent = |key: &str| {
        api.requests()
            .iter()
            .filter(|r| r.header("x-goog-api-key") == Some(key))
            .count()
    };
    let status = |report: &Value| {
        let mut s: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["secret"].as_str().unwrap().to_string(),
                    f["verification"]["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        s.sort();
        s
    };

    let (code, first, err) = org.run("a", &list, &verify);
    assert_eq!(code, 1, "{err}");
    assert_eq!((sent(LIVE), sent(DEAD)), (1, 1));
    assert_eq!(first["stats"]["live"], 1);
    // Live first in the report, and in the Markdown summary made from it.
    assert_eq!(first["findings"][0]["verification"]["status"], "live");
    let saved = org.path().join("first.json");
    std::fs::write(&saved, first.to_string()).unwrap();
    let md = stdout(&keyhound(
        &[
            "org",
            "merge",
            "--format",
            "markdown",
            saved.to_str().unwrap(),
        ],
        org.path(),
    ));
    let all = &md[md.find("## All findings").unwrap()..];
    let rows: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| status") && !l.starts_with("| ---"))
        .collect();
    assert_eq!(rows.len(), 2, "{md}");
    assert!(
        rows[0].starts_with("| live |") && rows[1].starts_with("| dead |"),
        "{md}"
    );
    let live = &md[md.find("## Live credentials").unwrap()..md.find("## New since").unwrap()];
    assert!(
        live.contains("| live |") && !live.contains("| dead |"),
        "{md}"
    );

    let (_, second, _) = org.run("a", &list, &verify);
    assert_eq!(
        (sent(LIVE), sent(DEAD)),
        (2, 1),
        "dead ones are not sent again"
    );
    assert_eq!(
        status(&second),
        status(&first),
        "the dead verdict is carried"
    );

    // Without --verify nothing is sent; the last verdicts are shown.
    let (_, third, _) = org.run("a", &list, &[]);
    assert_eq!((sent(LIVE), sent(DEAD)), (2, 1));
    assert_eq!(status(&third), status(&first));
    assert!(third["findings"][0]["verification"]["checked_at"].is_string());

    let mut again = verify.to_vec();
    again.push("--reverify");
    org.run("a", &list, &again);
    assert_eq!((sent(LIVE), sent(DEAD)), (3, 2));
}

#[test]
fn branch_limits_the_report_to_what_that_branch_reaches() {
    let org = Org::new();
    let alpha = repo(org.path(), "alpha", None);
    git(&alpha, &["checkout", "-q", "-b", "feature"]);
    commit_file(
        &alpha,
        "config/app.env",
        &format!("T={TOKEN_A}\n"),
        "feature",
    );
    git(&alpha, &["checkout", "-q", "main"]);
    let main_only = org.list("main.txt", &[format!("{} branch=main", alpha.display())]);
    let (code, report, err) = org.run("a", &main_only, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
    assert_eq!(
        report["stats"]["blobs_scanned"], 3,
        "every blob is still scanned"
    );
    let every_ref = org.list("all.txt", &[alpha.display().to_string()]);
    let (code, report, _) = org.run("b", &every_ref, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["repo"], "alpha");
}

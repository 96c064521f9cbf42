//! `keyhound org` on an unchanged night: a repository whose refs are those
//! of its last complete scan (same scan digest) is not opened; its
//! findings come from the state store and render exactly as scanned ones.
//! Anything that moves a ref, a changed ruleset, `--show-secrets`, or a
//! failed fetch in between makes it scan again.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{commit_file, git, stderr, stdout};

const TOKEN_A: &str = "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"; // keyhound:allow
const TOKEN_B: &str = "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"; // keyhound:allow

struct Org {
    root: tempfile::TempDir,
}

impl Org {
    /// `alpha` with a token in HEAD, the same token in an allowed test
    /// fixture (one reported and one suppressed finding of one
    /// fingerprint) and a second token only in history; `beta` clean.
    fn new() -> (Org, PathBuf, PathBuf) {
        let org = Org {
            root: tempfile::tempdir().unwrap(),
        };
        let alpha = org.repo("alpha");
        commit_file(
            &alpha,
            "config/app.env",
            &format!("GITHUB_TOKEN={TOKEN_A}\n"),
            "config",
        );
        commit_file(
            &alpha,
            "tests/fixture.env",
            &format!("GITHUB_TOKEN={TOKEN_A} # keyhound:allow\n"),
            "fixture",
        );
        commit_file(&alpha, "old.env", &format!("T={TOKEN_B}\n"), "old");
        git(&alpha, &["rm", "-q", "old.env"]);
        git(&alpha, &["commit", "-q", "-m", "drop old"]);
        let beta = org.repo("beta");
        (org, alpha, beta)
    }

    fn repo(&self, name: &str) -> PathBuf {
        let dir = self.path().join("src").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q"]);
        commit_file(&dir, "README.md", &format!("# {name}\n"), "readme");
        dir
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn list(&self, lines: &[String]) -> PathBuf {
        let file = self.path().join("repos.txt");
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        file
    }

    /// `keyhound org --format json`, one cache and state for all runs.
    fn run(&self, list: &Path, extra: &[&str]) -> (i32, Value, String) {
        let cache = self.path().join("cache");
        let state = self.path().join("state.db");
        let mut cmd = std::process::Command::new(support::BIN);
        cmd.args(["org", "--repos", list.to_str().unwrap()])
            .args(["--cache", cache.to_str().unwrap()])
            .args(["--state", state.to_str().unwrap()])
            .args(["--format", "json", "--jobs", "2"])
            .args(extra)
            .current_dir(self.path());
        support::clean_env(&mut cmd);
        for v in support::INDEX_VARIABLES {
            cmd.env_remove(v);
        }
        let out = cmd.output().unwrap();
        let json = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
        (out.status.code().unwrap_or(-1), json, stderr(&out))
    }

    fn mirror(&self, name: &str) -> PathBuf {
        std::fs::read_dir(self.path().join("cache"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{name}-"))
            })
            .unwrap()
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

fn unchanged(report: &Value, name: &str) -> bool {
    repo_stats(report, name)["unchanged"].as_bool().unwrap()
}

/// The findings without `new`, which depends on the night.
fn findings(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.as_object_mut().unwrap().remove("new");
            f
        })
        .collect()
}

/// Every file of `dir` by name.
fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn an_unchanged_night_opens_no_history_and_reports_the_same_findings() {
    let (org, alpha, beta) = Org::new();
    let list = org.list(&[
        format!("{} name=acme/alpha", alpha.display()),
        format!("file://{} name=acme/beta", beta.display()),
    ]);
    let out = |n: u32| org.path().join(format!("out-{n}"));
    let out_arg = |n: u32| out(n).to_str().unwrap().to_string();

    let (code, first, err) = org.run(&list, &["--out-dir", &out_arg(1)]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(first["stats"]["repos_unchanged"], 0);
    assert!(!unchanged(&first, "acme/alpha"));
    // The token in HEAD and the one only in history.
    assert_eq!(first["stats"]["findings"], 2, "{first:#}");

    // A new branch moves the refs but adds no blob: read again (known
    // blobs with findings re-read), nothing new.
    git(&alpha, &["branch", "topic"]);
    let (code, second, err) = org.run(&list, &["--out-dir", &out_arg(2)]);
    assert_eq!(code, 0, "{err}");
    assert!(!unchanged(&second, "acme/alpha"), "{second:#}");
    assert!(unchanged(&second, "acme/beta"), "{second:#}");
    assert_eq!(repo_stats(&second, "acme/alpha")["blobs_rechecked"], 3);

    // Nothing changed: neither repository is opened.
    let (code, third, err) = org.run(&list, &["--out-dir", &out_arg(3)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(third["stats"]["repos_unchanged"], 2, "{third:#}");
    assert_eq!(third["stats"]["repos_complete"], 2);
    let a = repo_stats(&third, "acme/alpha");
    assert_eq!(a["status"], "complete");
    assert_eq!(
        (&a["blobs_scanned"], &a["blobs_rechecked"]),
        (&0.into(), &0.into())
    );
    assert_eq!(
        a["blobs_known"],
        repo_stats(&second, "acme/alpha")["blobs_known"]
    );
    assert_eq!(a["revision"], repo_stats(&second, "acme/alpha")["revision"]);
    // The store's findings render as the scan's: the whole JSON of each,
    // places, commits, authors, in_head, first_seen.
    assert_eq!(third["findings"], second["findings"]);
    assert_eq!(findings(&third), findings(&first));
    assert_eq!(third["stats"]["findings"], 2);
    // Per-repository SARIF and JSONL: byte for byte.
    assert_eq!(files(&out(3)), files(&out(2)));
    assert!(files(&out(3)).len() >= 4);
    // The suppressed place is still suppressed (in SARIF's suppressions).
    let sarif = files(&out(3))
        .into_iter()
        .find(|(n, _)| n.starts_with("acme_alpha") && n.ends_with(".sarif"))
        .unwrap()
        .1;
    assert!(sarif.contains("\"suppressions\""), "{sarif}");
    for text in files(&out(3)).values() {
        assert!(!text.contains(TOKEN_A) && !text.contains(TOKEN_B));
    }
    let state = std::fs::read(org.path().join("state.db")).unwrap();
    let state = String::from_utf8_lossy(&state);
    assert!(
        !state.contains(TOKEN_A) && !state.contains(TOKEN_B),
        "no secret in the store"
    );

    // Proof that no blob is read: with the blob that has the finding
    // damaged in the mirror, an unchanged night still completes with the
    // same report (a read would fail the repository).
    let blob = git(&alpha, &["rev-parse", "HEAD:config/app.env"]);
    support::damage_pack_entry(&org.mirror("acme_alpha"), &blob);
    let (code, fourth, err) = org.run(&list, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(unchanged(&fourth, "acme/alpha"));
    assert_eq!(fourth["findings"], third["findings"]);

    // `--new-only` lists nothing on an unchanged night; `org merge` of it
    // keeps the counts.
    let (_, fifth, _) = org.run(&list, &["--new-only"]);
    assert_eq!(fifth["findings"].as_array().unwrap().len(), 0);
    assert_eq!(fifth["stats"]["repos_unchanged"], 2);
}

#[test]
fn a_new_commit_a_moved_or_deleted_ref_or_other_rules_scan_again() {
    let (org, alpha, beta) = Org::new();
    let list = org.list(&[alpha.display().to_string(), beta.display().to_string()]);
    org.run(&list, &[]);
    let again = |what: &str| {
        let (code, r, err) = org.run(&list, &[]);
        assert!(code == 0 || code == 1, "{what}: {err}");
        assert!(!unchanged(&r, "alpha"), "{what}: {r:#}");
        assert!(unchanged(&r, "beta"), "{what}: {r:#}");
        let (_, r2, _) = org.run(&list, &[]);
        assert!(unchanged(&r2, "alpha"), "after {what}: {r2:#}");
        r
    };

    // A local source whose refs are the mirror's is not even fetched
    // (git fetch writes FETCH_HEAD; a clone does not).
    let fetch_head = org.mirror("alpha").join("FETCH_HEAD");
    let (_, r, _) = org.run(&list, &[]);
    assert!(unchanged(&r, "alpha"));
    assert!(!fetch_head.exists(), "fetched though nothing changed");

    commit_file(&alpha, "deploy/ci.env", &format!("TOKEN={TOKEN_B}\n"), "ci");
    let r = again("a new commit");
    assert_eq!(repo_stats(&r, "alpha")["blobs_scanned"], 1);
    assert!(fetch_head.exists(), "a changed source is fetched");

    git(&alpha, &["branch", "topic"]);
    again("a new branch");
    git(&alpha, &["checkout", "-q", "topic"]);
    commit_file(&alpha, "topic.md", "topic\n", "topic");
    git(&alpha, &["checkout", "-q", "main"]);
    again("a moved branch");
    git(&alpha, &["branch", "-D", "topic"]);
    let r = again("a deleted branch");
    assert!(
        r["fixed"].as_array().unwrap().is_empty(),
        "topic.md had no secret: {r:#}"
    );
    git(&alpha, &["tag", "v1"]);
    again("a new tag");

    // Another ruleset (scan digest): both scanned again.
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
    let extra = ["--rules", rules.to_str().unwrap()];
    let (_, r, err) = org.run(&list, &extra);
    assert_eq!(r["stats"]["repos_unchanged"], 0, "{err}");
    assert!(r["stats"]["blobs_scanned"].as_u64().unwrap() > 0);
    let (_, r, _) = org.run(&list, &extra);
    assert_eq!(r["stats"]["repos_unchanged"], 2);
    // Back to the built-in rules: that digest's refs were recorded
    // before the tag and the ruleset change; scanned again.
    let (_, r, _) = org.run(&list, &[]);
    assert!(!unchanged(&r, "alpha"), "{r:#}");

    // The clear secret is not in the store: --show-secrets reads blobs.
    let (_, r, _) = org.run(&list, &["--show-secrets"]);
    assert!(!unchanged(&r, "alpha"));
    assert!(r.to_string().contains(TOKEN_A), "{r:#}");
}

#[test]
fn a_failed_fetch_never_takes_the_shortcut() {
    let (org, alpha, beta) = Org::new();
    let list = org.list(&[alpha.display().to_string(), beta.display().to_string()]);
    let (_, first, _) = org.run(&list, &[]);
    let (_, second, _) = org.run(&list, &[]);
    assert!(unchanged(&second, "alpha"));

    // The source is gone: the fetch fails, the repository fails (exit 3),
    // even though the mirror and its recorded refs are still there.
    let away = org.path().join("away");
    std::fs::rename(&alpha, &away).unwrap();
    let (code, r, err) = org.run(&list, &[]);
    assert_eq!(code, 3, "{err}");
    let a = repo_stats(&r, "alpha");
    assert_eq!(a["status"], "failed", "{r:#}");
    assert!(!a["unchanged"].as_bool().unwrap());
    assert_eq!(r["stats"]["fixed"], 0);
    assert!(unchanged(&r, "beta"));

    // Back: the failed night cleared the recorded refs, so this one reads
    // the repository again (known blobs with findings re-read) before
    // the next one may skip it.
    std::fs::rename(&away, &alpha).unwrap();
    let (code, r, err) = org.run(&list, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!unchanged(&r, "alpha"), "{r:#}");
    assert_eq!(repo_stats(&r, "alpha")["blobs_rechecked"], 3);
    assert_eq!(findings(&r), findings(&first));
    let (_, r, _) = org.run(&list, &[]);
    assert!(unchanged(&r, "alpha"));
}

//! `keyhound doctor`: does this configuration still find a leak?
//!
//! A configuration can switch detection off without anyone noticing (a
//! `disable` list, an allowlist that matches everything, a glob that
//! excludes every file). The doctor plants fresh canary credentials — a
//! GitHub token with a valid checksum and an AWS key pair, made up on the
//! spot so they belong to nobody — in a temporary directory and in a
//! temporary git repository's history, scans both with this very binary
//! and the effective configuration, exactly as `scan` and `git` would, and
//! says which were found. Exit 0 when every canary was found in both
//! places, 1 otherwise: a CI step to run once.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use super::{incomplete, usage, Exit, Failure};
use crate::config::FILE_NAME;
use crate::detect::checks::github_checksum;
use crate::finding::fingerprint;

/// `keyhound doctor`.
#[derive(Debug, Args)]
pub struct DoctorCommand {
    /// The project whose configuration is checked (its keyhound.toml).
    #[arg(value_name = "PATH", default_value = ".")]
    path: PathBuf,
    /// Configuration file (default: keyhound.toml in PATH).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Extra rule files, as for `scan`; repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
}

/// A canary: what it is, the file line that carries it, and the rule that
/// must report it.
struct Canary {
    what: &'static str,
    rule: &'static str,
    line: String,
    /// The value a finding of `rule` must have; matched by fingerprint,
    /// as reports redact it.
    secret: String,
}

pub(super) fn run(cmd: DoctorCommand) -> Result<Exit, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| incomplete(anyhow::anyhow!("cannot find keyhound's own binary: {e}")))?;
    let config = match &cmd.config {
        Some(c) => Some(absolute(c)?),
        None => {
            let found = cmd.path.join(FILE_NAME);
            found.is_file().then(|| absolute(&found)).transpose()?
        }
    };
    let rules: Vec<PathBuf> = cmd
        .rules
        .iter()
        .map(|r| absolute(r))
        .collect::<Result<_, _>>()?;
    let canaries = canaries();
    let work = Workdir::new()?;
    // The same relative path in the tree and in history, named like a
    // file people commit settings to.
    let rel = "config/settings.env";
    let text: String = canaries.iter().map(|c| format!("{}\n", c.line)).collect();
    let tree = work.0.join("tree");
    write(&tree.join(rel), &text)?;
    let repo = work.0.join("repo");
    write(&repo.join(rel), &text)?;
    let history = make_repo(&repo, rel);

    let mut common: Vec<String> = Vec::new();
    if let Some(c) = &config {
        common.extend(["--config".into(), c.display().to_string()]);
    }
    for r in &rules {
        common.extend(["--rules".into(), r.display().to_string()]);
    }
    eprintln!(
        "keyhound doctor: configuration {}; {} canaries planted in a file and in a git commit",
        config
            .as_ref()
            .map_or("(none: built-in defaults)".to_string(), |c| c
                .display()
                .to_string()),
        canaries.len()
    );
    let mut all_found = true;
    let places: [(&str, Vec<String>); 2] = [
        ("file", vec!["scan".into(), tree.display().to_string()]),
        ("history", vec!["git".into(), repo.display().to_string()]),
    ];
    for (place, args) in places {
        if place == "history" {
            if let Err(why) = &history {
                println!("history: not checked: {why}");
                all_found = false;
                continue;
            }
        }
        let out = Command::new(&exe)
            .args(&args)
            .args(&common)
            .args(["--format", "jsonl"])
            .current_dir(&work.0)
            .output()
            .map_err(|e| incomplete(anyhow::anyhow!("cannot run {}: {e}", exe.display())))?;
        let code = out.status.code().unwrap_or(-1);
        if !matches!(code, 0 | 1) {
            println!(
                "{place}: the scan failed (exit {code}): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            all_found = false;
            continue;
        }
        let findings: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        for c in &canaries {
            let fp = fingerprint(c.rule, c.secret.as_bytes());
            let found = findings
                .iter()
                .any(|f| f["rule_id"] == c.rule && f["fingerprint"] == fp.as_str());
            all_found &= found;
            println!(
                "{place}: {} ({}): {}",
                c.what,
                c.rule,
                if found { "found" } else { "NOT FOUND" }
            );
        }
    }
    if all_found {
        println!("keyhound doctor: every canary was found");
        Ok(Exit::Clean)
    } else {
        println!(
            "keyhound doctor: some canaries were not found: this configuration would miss real leaks like them"
        );
        Ok(Exit::Findings)
    }
}

/// Fresh canaries: random bodies, valid structure, owned by nobody.
fn canaries() -> Vec<Canary> {
    let body = random_chars(
        30,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    );
    let token = format!("ghp_{body}{}", github_checksum(&body));
    let key_id = format!(
        "AKIA{}",
        random_chars(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    let secret = random_chars(
        40,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    vec![
        Canary {
            what: "GitHub personal access token",
            rule: "github-token",
            line: format!("GITHUB_TOKEN={token}"),
            secret: token,
        },
        Canary {
            what: "AWS access key id",
            rule: "aws-access-key-id",
            line: format!("AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}"),
            secret: key_id,
        },
    ]
}

/// `n` characters of `alphabet`, from the OS-seeded hasher (no RNG crate
/// for a canary that only has to be unguessable enough to be nobody's).
fn random_chars(n: usize, alphabet: &[u8]) -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let state = RandomState::new();
    (0..n)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_usize(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            alphabet[(h.finish() % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    std::fs::canonicalize(path)
        .map_err(|e| usage(anyhow::anyhow!("cannot read {}: {e}", path.display())))
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    let fail =
        |e: std::io::Error| incomplete(anyhow::anyhow!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}

/// Commits `rel` in a new repository at `dir`, then removes it from the
/// work tree again, so only history holds the canaries.
fn make_repo(dir: &Path, rel: &str) -> Result<(), String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .args([
                "-c",
                "user.name=keyhound doctor",
                "-c",
                "user.email=doctor@keyhound.invalid",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .map_err(|e| format!("git could not run: {e}"))
            .and_then(|o| {
                if o.status.success() {
                    Ok(())
                } else {
                    Err(format!(
                        "git {}: {}",
                        args.join(" "),
                        String::from_utf8_lossy(&o.stderr).trim()
                    ))
                }
            })
    };
    git(&["init", "-q"])?;
    git(&["add", rel])?;
    git(&["commit", "-q", "-m", "settings"])?;
    git(&["rm", "-q", rel])?;
    git(&["commit", "-q", "-m", "remove settings"])
}

/// A temporary directory removed when the doctor is done.
struct Workdir(PathBuf);

impl Workdir {
    fn new() -> Result<Workdir, Failure> {
        let name = format!(
            "keyhound-doctor-{}-{}",
            std::process::id(),
            random_chars(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
        );
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir(&dir)
            .map_err(|e| incomplete(anyhow::anyhow!("cannot create {}: {e}", dir.display())))?;
        Ok(Workdir(dir))
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

//! `keyhound hook install|uninstall|pre-push|pre-commit`: arguments, the
//! scan each hook runs, and what it prints. Scripts, ranges and the
//! blocking message are [`crate::hook`].

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{
    exclude_history_paths, git_failure, incomplete, rule_set, suppress_places, usage, warn_all,
    Exit, Failure,
};
use crate::config::Config;
use crate::detect::Detector;
use crate::finding::Finding;
use crate::hook::{self, HookError, Kind, Removal, Stage};
use crate::rules::Confidence;
use crate::scan::{self, GitScope};
use crate::source::git::{self, Repo};

/// `keyhound hook …`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install a pre-push (and optionally pre-commit) hook that runs keyhound.
    Install(InstallArgs),
    /// Remove hooks installed by keyhound, restoring chained originals.
    Uninstall {
        /// Repository (worktree or a directory inside it).
        #[arg(value_name = "REPO", default_value = ".")]
        repo: PathBuf,
    },
    /// Run as git's pre-push hook: scan the commits being pushed (reads
    /// git's ref lines on standard input).
    PrePush {
        /// Name of the remote (passed by git; informational).
        #[arg(value_name = "REMOTE")]
        remote: Option<String>,
        /// URL of the remote (passed by git; informational).
        #[arg(value_name = "URL")]
        url: Option<String>,
    },
    /// Run as git's pre-commit hook: scan the staged content.
    PreCommit,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Also install a pre-commit hook.
    #[arg(long)]
    pre_commit: bool,
    /// Keep an existing hook and run it before keyhound.
    #[arg(long)]
    chain: bool,
    /// Repository (worktree or a directory inside it).
    #[arg(value_name = "REPO", default_value = ".")]
    repo: PathBuf,
}

/// Runs a `keyhound hook` command.
pub(super) fn run(command: HookCommand) -> Result<Exit, Failure> {
    match command {
        HookCommand::Install(args) => install(&args),
        HookCommand::Uninstall { repo } => uninstall(&repo),
        HookCommand::PrePush { .. } => pre_push(),
        HookCommand::PreCommit => pre_commit(),
    }
}

/// A refusal or bad hook input is the user's to fix; the rest means the
/// operation could not complete.
fn hook_failure(err: HookError) -> Failure {
    match err {
        HookError::Refused(_) | HookError::BadInput(_) => usage(err),
        HookError::Git(e) => git_failure(e),
        HookError::Io { .. } => incomplete(err),
    }
}

fn install(args: &InstallArgs) -> Result<Exit, Failure> {
    let dir = hook::hooks_dir(&args.repo).map_err(git_failure)?;
    let mut kinds = vec![Kind::PrePush];
    if args.pre_commit {
        kinds.push(Kind::PreCommit);
    }
    let written =
        hook::install(&dir, &kinds, args.chain, &hook::keyhound_path()).map_err(hook_failure)?;
    for path in written {
        eprintln!("keyhound: installed {}", path.display());
    }
    Ok(Exit::Clean)
}

fn uninstall(repo: &Path) -> Result<Exit, Failure> {
    let dir = hook::hooks_dir(repo).map_err(git_failure)?;
    for removal in hook::uninstall(&dir).map_err(hook_failure)? {
        match removal {
            Removal::Removed(p) => eprintln!("keyhound: removed {}", p.display()),
            Removal::Restored(p) => eprintln!("keyhound: restored {}", p.display()),
            Removal::Foreign(p) => eprintln!(
                "keyhound: leaving {} (not installed by keyhound)",
                p.display()
            ),
        }
    }
    Ok(Exit::Clean)
}

fn pre_push() -> Result<Exit, Failure> {
    let mut input = String::new();
    for line in std::io::stdin().lock().lines() {
        let line =
            line.map_err(|e| incomplete(anyhow::anyhow!("cannot read pre-push input: {e}")))?;
        input.push_str(&line);
        input.push('\n');
    }
    let mut lines = hook::parse_push_lines(&input).map_err(hook_failure)?;
    if lines.is_empty() {
        lines.extend(hook::pre_commit_framework_line());
    }
    let repo = hook::hook_repo().map_err(git_failure)?;
    let range = hook::push_range(&repo, &lines).map_err(git_failure)?;
    if range.include.is_empty() {
        return Ok(Exit::Clean);
    }
    scan_and_report(&repo, &GitScope::Range(range), Stage::Push)
}

fn pre_commit() -> Result<Exit, Failure> {
    let repo = hook::hook_repo().map_err(git_failure)?;
    scan_and_report(&repo, &GitScope::Staged, Stage::Commit)
}

/// Scans `scope` with the repository's `keyhound.toml` and blocks (exit 1)
/// on unsuppressed findings.
fn scan_and_report(repo: &Repo, scope: &GitScope, stage: Stage) -> Result<Exit, Failure> {
    let root = repo
        .workdir()
        .map_or_else(|| repo.git_dir().to_path_buf(), Path::to_path_buf);
    let config = Config::discover(&root).map_err(usage)?;
    let set = rule_set(&[], &config)?;
    let detector = Detector::new(&set).map_err(usage)?;
    let confidence = config.confidence.unwrap_or(Confidence::Medium);
    let options = git::HistoryOptions::default();
    let mut outcome =
        scan::run_git(&detector, repo, scope, &options, confidence, false).map_err(git_failure)?;
    // The same triage as `keyhound git`: config excludes, allowlists and
    // the ignore file, one finding per secret.
    exclude_history_paths(&root, &config.exclude, &mut outcome.findings)?;
    warn_all(&suppress_places(None, &root, &set, &mut outcome.findings)?);
    let findings = crate::group::group(outcome.findings);
    let reported: Vec<&Finding> = findings.iter().filter(|f| f.is_reported()).collect();
    if reported.is_empty() {
        return Ok(Exit::Clean);
    }
    let message = hook::block_message(&reported, stage);
    // A closed stderr cannot be reported anywhere; the exit code still blocks.
    let _ = std::io::stderr().lock().write_all(message.as_bytes());
    Ok(Exit::Findings)
}

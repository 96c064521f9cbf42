//! Git hooks: `keyhound hook install|uninstall|pre-push|pre-commit`.
//!
//! A pre-push hook is the last point where a leaked key is still only on
//! the developer's machine; once pushed it must be treated as exposed. The
//! hooks therefore scan exactly what is about to leave (the pushed commits,
//! or the staged index for pre-commit) and block with advice on what to do.
//!
//! Installed hooks are tiny shell scripts carrying [`MARKER`], so that
//! `install` and `uninstall` never touch a hook someone else wrote.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};

use crate::cli::{
    exclude_history_paths, git_failure, incomplete, rule_set, suppress_places, usage, warn_all,
    Exit, Failure,
};
use crate::config::Config;
use crate::detect::Detector;
use crate::finding::Finding;
use crate::rules::Confidence;
use crate::scan::{self, GitScope};
use crate::source::git::{self, ObjectId, Repo, RevRange};

/// The line that identifies a hook as ours.
pub const MARKER: &str = "# installed by keyhound";

/// Suffix under which a foreign hook is kept when chaining.
const CHAINED_SUFFIX: &str = ".keyhound-chained";

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
pub(crate) fn run(command: HookCommand) -> Result<Exit, Failure> {
    match command {
        HookCommand::Install(args) => install(&args),
        HookCommand::Uninstall { repo } => uninstall(&repo),
        HookCommand::PrePush { .. } => pre_push(),
        HookCommand::PreCommit => pre_commit(),
    }
}

// ---------------------------------------------------------------------------
// install / uninstall

/// Which hook, by git's name for it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    PrePush,
    PreCommit,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::PrePush => "pre-push",
            Kind::PreCommit => "pre-commit",
        }
    }
}

fn install(args: &InstallArgs) -> Result<Exit, Failure> {
    let dir = hooks_dir(&args.repo)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| incomplete(anyhow::anyhow!("cannot create {}: {e}", dir.display())))?;
    let mut kinds = vec![Kind::PrePush];
    if args.pre_commit {
        kinds.push(Kind::PreCommit);
    }
    // Check every hook before writing any, so a refusal leaves nothing
    // half-installed.
    for &kind in &kinds {
        check_installable(&dir, kind, args.chain)?;
    }
    let exe = keyhound_path();
    for &kind in &kinds {
        install_one(&dir, kind, args.chain, &exe)?;
        eprintln!("keyhound: installed {}", dir.join(kind.name()).display());
    }
    Ok(Exit::Clean)
}

/// Refuses to replace a hook that is not ours unless chaining.
fn check_installable(dir: &Path, kind: Kind, chain: bool) -> Result<(), Failure> {
    let path = dir.join(kind.name());
    if !path.exists() || is_ours(&path) {
        return Ok(());
    }
    if !chain {
        return Err(usage(anyhow::anyhow!(
            "{} exists and was not installed by keyhound; not overwriting it \
             (use --chain to keep it and run it before keyhound)",
            path.display()
        )));
    }
    let chained = chained_path(dir, kind);
    if chained.exists() {
        return Err(usage(anyhow::anyhow!(
            "cannot chain {}: {} already exists",
            path.display(),
            chained.display()
        )));
    }
    Ok(())
}

fn install_one(dir: &Path, kind: Kind, chain: bool, exe: &str) -> Result<(), Failure> {
    let path = dir.join(kind.name());
    let chained = chained_path(dir, kind);
    if path.exists() && !is_ours(&path) {
        // `check_installable` allowed this only with --chain.
        std::fs::rename(&path, &chained).map_err(|e| {
            incomplete(anyhow::anyhow!("cannot move {} aside: {e}", path.display()))
        })?;
    }
    // A reinstall keeps running a hook chained earlier.
    let run_chained = chain || chained.exists();
    let script = hook_script(kind, exe, run_chained);
    std::fs::write(&path, script)
        .map_err(|e| incomplete(anyhow::anyhow!("cannot write {}: {e}", path.display())))?;
    make_executable(&path)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| incomplete(anyhow::anyhow!("cannot chmod {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), Failure> {
    Ok(())
}

fn uninstall(repo: &Path) -> Result<Exit, Failure> {
    let dir = hooks_dir(repo)?;
    for kind in [Kind::PrePush, Kind::PreCommit] {
        uninstall_one(&dir, kind)?;
    }
    Ok(Exit::Clean)
}

fn uninstall_one(dir: &Path, kind: Kind) -> Result<(), Failure> {
    let path = dir.join(kind.name());
    if !path.exists() {
        return Ok(());
    }
    if !is_ours(&path) {
        eprintln!(
            "keyhound: leaving {} (not installed by keyhound)",
            path.display()
        );
        return Ok(());
    }
    std::fs::remove_file(&path)
        .map_err(|e| incomplete(anyhow::anyhow!("cannot remove {}: {e}", path.display())))?;
    let chained = chained_path(dir, kind);
    if chained.exists() {
        std::fs::rename(&chained, &path).map_err(|e| {
            incomplete(anyhow::anyhow!("cannot restore {}: {e}", chained.display()))
        })?;
        eprintln!("keyhound: restored {}", path.display());
    } else {
        eprintln!("keyhound: removed {}", path.display());
    }
    Ok(())
}

fn chained_path(dir: &Path, kind: Kind) -> PathBuf {
    dir.join(format!("{}{CHAINED_SUFFIX}", kind.name()))
}

/// Whether the hook at `path` carries our marker line. An unreadable file
/// counts as foreign, so it is never overwritten.
fn is_ours(path: &Path) -> bool {
    std::fs::read(path)
        .map(|bytes| {
            String::from_utf8_lossy(&bytes)
                .lines()
                .any(|l| l.trim_end() == MARKER)
        })
        .unwrap_or(false)
}

/// The hooks directory: `core.hooksPath` when set (relative to the worktree
/// top, as git resolves it), else `<git-dir>/hooks`.
fn hooks_dir(repo_path: &Path) -> Result<PathBuf, Failure> {
    let repo = git::discover(repo_path).map_err(git_failure)?;
    let top = repo
        .workdir()
        .map_or_else(|| repo.git_dir().to_path_buf(), Path::to_path_buf);
    match configured_hooks_path(&top) {
        Some(p) if p.is_absolute() => Ok(p),
        Some(p) => Ok(top.join(p)),
        None => Ok(repo.git_dir().join("hooks")),
    }
}

/// `git config core.hooksPath`, read with git itself so every config file
/// git would honour (includes, worktree config) is honoured. `None` when
/// unset or git cannot be run.
fn configured_hooks_path(top: &Path) -> Option<PathBuf> {
    let out = Command::new("git")
        .current_dir(top)
        .args(["config", "--get", "core.hooksPath"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let value = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!value.is_empty()).then(|| PathBuf::from(value))
}

/// The executable the hook should run: this one, by absolute path, so the
/// hook works without keyhound on git's PATH; `keyhound` if unknown.
fn keyhound_path() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "keyhound".to_string())
}

/// Quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The hook script. With `chain`, git's stdin (the pushed refs) is saved
/// so both the original hook and keyhound can read it, and the original
/// runs first: its failure blocks as it did before.
fn hook_script(kind: Kind, exe: &str, chain: bool) -> String {
    let name = kind.name();
    let mut s = format!(
        "#!/bin/sh\n{MARKER}\n\
         # Blocks commits and pushes that add credentials. Remove with\n\
         # `keyhound hook uninstall`; bypass once with --no-verify.\n\
         KEYHOUND={}\n\
         if [ ! -x \"$KEYHOUND\" ]; then KEYHOUND=keyhound; fi\n",
        shell_quote(exe)
    );
    if chain {
        s.push_str(&format!(
            "input=$(mktemp) || exit 1\n\
             trap 'rm -f \"$input\"' EXIT\n\
             cat > \"$input\"\n\
             \"$(dirname \"$0\")/{name}{CHAINED_SUFFIX}\" \"$@\" < \"$input\" || exit $?\n\
             \"$KEYHOUND\" hook {name} \"$@\" < \"$input\"\n"
        ));
    } else {
        s.push_str(&format!("exec \"$KEYHOUND\" hook {name} \"$@\"\n"));
    }
    s
}

// ---------------------------------------------------------------------------
// pre-push / pre-commit

/// One line of git's pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PushLine {
    local_sha: String,
    remote_sha: String,
}

/// Parses `<local ref> <local sha> <remote ref> <remote sha>` lines;
/// blank lines are ignored.
fn parse_push_lines(input: &str) -> Result<Vec<PushLine>, Failure> {
    let mut lines = Vec::new();
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, local_sha, _, remote_sha] = fields[..] else {
            return Err(usage(anyhow::anyhow!(
                "unexpected pre-push input line {line:?}"
            )));
        };
        lines.push(PushLine {
            local_sha: local_sha.to_string(),
            remote_sha: remote_sha.to_string(),
        });
    }
    Ok(lines)
}

/// git's "no object" id (a deleted or not yet existing ref).
fn is_zero(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

/// The commits a push sends: everything reachable from the pushed tips
/// that the remote is known to have.
fn push_range(repo: &Repo, lines: &[PushLine]) -> Result<RevRange, Failure> {
    let mut range = RevRange::default();
    let mut need_remote_tips = false;
    for line in lines {
        if is_zero(&line.local_sha) {
            continue; // deletion: nothing is sent
        }
        range
            .include
            .push(repo.rev_parse(&line.local_sha).map_err(git_failure)?);
        // A new branch, or a force push over history we do not have:
        // exclude what the remote-tracking refs say the remote has.
        match known_commit(repo, &line.remote_sha) {
            Some(id) => range.exclude.push(id),
            None => need_remote_tips = true,
        }
    }
    if need_remote_tips {
        let tips = repo.ref_tips(&["refs/remotes/"]).map_err(git_failure)?;
        range.exclude.extend(tips);
    }
    range.exclude.sort();
    range.exclude.dedup();
    Ok(range)
}

/// The remote's commit, if it is not the zero id and exists locally.
fn known_commit(repo: &Repo, sha: &str) -> Option<ObjectId> {
    if is_zero(sha) {
        return None;
    }
    repo.rev_parse(sha).ok()
}

fn pre_push() -> Result<Exit, Failure> {
    let mut input = String::new();
    for line in std::io::stdin().lock().lines() {
        let line =
            line.map_err(|e| incomplete(anyhow::anyhow!("cannot read pre-push input: {e}")))?;
        input.push_str(&line);
        input.push('\n');
    }
    let mut lines = parse_push_lines(&input)?;
    if lines.is_empty() {
        lines.extend(pre_commit_framework_line());
    }
    let repo = hook_repo()?;
    let range = push_range(&repo, &lines)?;
    if range.include.is_empty() {
        return Ok(Exit::Clean);
    }
    scan_and_report(&repo, &GitScope::Range(range), Stage::Push)
}

/// The pre-commit framework runs pre-push hooks without git's stdin and
/// passes the pushed range as `PRE_COMMIT_TO_REF` (local) and
/// `PRE_COMMIT_FROM_REF` (remote, absent for a new branch) instead.
fn pre_commit_framework_line() -> Option<PushLine> {
    let local_sha = std::env::var("PRE_COMMIT_TO_REF").ok()?;
    let remote_sha = std::env::var("PRE_COMMIT_FROM_REF").unwrap_or_else(|_| "0".repeat(40));
    Some(PushLine {
        local_sha,
        remote_sha,
    })
}

fn pre_commit() -> Result<Exit, Failure> {
    let repo = hook_repo()?;
    scan_and_report(&repo, &GitScope::Staged, Stage::Commit)
}

/// The repository git runs the hook for: `GIT_DIR` when git set it (as it
/// does for `git --git-dir=… push`), else the one around the working
/// directory, which git makes the worktree top before running hooks.
fn hook_repo() -> Result<Repo, Failure> {
    match std::env::var_os("GIT_DIR") {
        Some(dir) if !dir.is_empty() => git::open(Path::new(&dir)).map_err(git_failure),
        _ => git::discover(Path::new(".")).map_err(git_failure),
    }
}

/// Which hook is reporting; the advice differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Push,
    Commit,
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
    let message = block_message(&reported, stage);
    // A closed stderr cannot be reported anywhere; the exit code still blocks.
    let _ = std::io::stderr().lock().write_all(message.as_bytes());
    Ok(Exit::Findings)
}

/// The text printed when blocking: each finding (secret redacted), then
/// what to do, rotation first because the key may already be exposed.
fn block_message(findings: &[&Finding], stage: Stage) -> String {
    let what = match stage {
        Stage::Push => "push",
        Stage::Commit => "commit",
    };
    let mut s = format!(
        "keyhound: {what} blocked: {} credential(s) found\n\n",
        findings.len()
    );
    for f in findings {
        s.push_str(&format!("  {} ({})\n", f.rule_name, f.rule_id));
        s.push_str(&format!("    {}:{}\n", f.path(), f.location.line));
        if let Some(g) = f.git() {
            if let Some(commit) = &g.commit {
                let short = commit.get(..10).unwrap_or(commit);
                let summary = g.summary.as_deref().unwrap_or("");
                s.push_str(&format!("    commit {short} {summary}\n"));
            }
        }
        s.push_str(&format!("    secret {}\n\n", f.secret.redacted()));
    }
    s.push_str("What to do:\n");
    s.push_str(
        "  1. Rotate (revoke and replace) the credential first: it may already be exposed.\n",
    );
    match stage {
        Stage::Push => s.push_str(
            "  2. Remove it from the commits: `git commit --amend` for the last commit,\n     \
             or `git rebase -i <commit>^` for an earlier one.\n",
        ),
        Stage::Commit => s.push_str("  2. Unstage and remove it from the files.\n"),
    }
    s.push_str("  If it is a false positive, mark the line with a `keyhound:allow` comment.\n");
    s.push_str(&format!(
        "  To bypass this check once: `git {what} --no-verify`.\n"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_lines_parse_and_zero_ids_are_recognised() {
        let zero = "0".repeat(40);
        let input = format!("refs/heads/a {} refs/heads/a {zero}\n\n", "1".repeat(40));
        let lines = parse_push_lines(&input).unwrap();
        assert_eq!(lines.len(), 1);
        assert!(is_zero(&lines[0].remote_sha));
        assert!(!is_zero(&lines[0].local_sha));
        assert!(parse_push_lines("only two\n").is_err());
    }

    #[test]
    fn scripts_carry_the_marker_and_quote_the_path() {
        let s = hook_script(Kind::PrePush, "/opt/it's/keyhound", false);
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.lines().any(|l| l == MARKER));
        assert!(s.contains(r"KEYHOUND='/opt/it'\''s/keyhound'"));
        assert!(s.contains("hook pre-push \"$@\""));
        let c = hook_script(Kind::PreCommit, "keyhound", true);
        assert!(c.contains("pre-commit.keyhound-chained"));
    }
}

//! Git hooks as a library: installing and removing keyhound's hook
//! scripts, the commits a push sends, and the message that blocks it.
//!
//! A pre-push hook is the last point where a leaked key is still only on
//! the developer's machine; once pushed it must be treated as exposed. The
//! hooks therefore scan exactly what is about to leave (the pushed commits,
//! or the staged index for pre-commit) and block with advice on what to do.
//! The commands (`keyhound hook …`), which run the scan and print, are
//! `cli::hook`.
//!
//! Installed hooks are tiny shell scripts carrying [`MARKER`], so that
//! [`install`] and [`uninstall`] never touch a hook someone else wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::finding::Finding;
use crate::source::git::{self, GitError, ObjectId, Repo, RevRange};

/// Why a hook operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The user asked for something keyhound will not do (overwrite a
    /// foreign hook); a usage error.
    #[error("{0}")]
    Refused(String),
    /// git handed the hook input it does not understand.
    #[error("{0}")]
    BadInput(String),
    #[error("cannot {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Git(#[from] GitError),
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> HookError {
    move |source| HookError::Io { what, source }
}

/// The line that identifies a hook as ours.
pub const MARKER: &str = "# installed by keyhound";

/// Suffix under which a foreign hook is kept when chaining.
const CHAINED_SUFFIX: &str = ".keyhound-chained";

// ---------------------------------------------------------------------------
// install / uninstall

/// Which hook, by git's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PrePush,
    PreCommit,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::PrePush, Kind::PreCommit];

    pub fn name(self) -> &'static str {
        match self {
            Kind::PrePush => "pre-push",
            Kind::PreCommit => "pre-commit",
        }
    }
}

/// Installs `kinds` into the hooks directory `dir`, running `exe`, and
/// returns the paths written. Every hook is checked before any is written,
/// so a refusal leaves nothing half-installed.
pub fn install(
    dir: &Path,
    kinds: &[Kind],
    chain: bool,
    exe: &str,
) -> Result<Vec<PathBuf>, HookError> {
    std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    for &kind in kinds {
        check_installable(dir, kind, chain)?;
    }
    let mut written = Vec::new();
    for &kind in kinds {
        install_one(dir, kind, chain, exe)?;
        written.push(dir.join(kind.name()));
    }
    Ok(written)
}

/// Refuses to replace a hook that is not ours unless chaining.
fn check_installable(dir: &Path, kind: Kind, chain: bool) -> Result<(), HookError> {
    let path = dir.join(kind.name());
    if !path.exists() || is_ours(&path) {
        return Ok(());
    }
    if !chain {
        return Err(HookError::Refused(format!(
            "{} exists and was not installed by keyhound; not overwriting it \
             (use --chain to keep it and run it before keyhound)",
            path.display()
        )));
    }
    let chained = chained_path(dir, kind);
    if chained.exists() {
        return Err(HookError::Refused(format!(
            "cannot chain {}: {} already exists",
            path.display(),
            chained.display()
        )));
    }
    Ok(())
}

fn install_one(dir: &Path, kind: Kind, chain: bool, exe: &str) -> Result<(), HookError> {
    let path = dir.join(kind.name());
    let chained = chained_path(dir, kind);
    if path.exists() && !is_ours(&path) {
        // `check_installable` allowed this only with --chain.
        std::fs::rename(&path, &chained).map_err(io(format!("move {} aside", path.display())))?;
    }
    // A reinstall keeps running a hook chained earlier.
    let run_chained = chain || chained.exists();
    let script = hook_script(kind, exe, run_chained);
    std::fs::write(&path, script).map_err(io(format!("write {}", path.display())))?;
    make_executable(&path)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), HookError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(io(format!("chmod {}", path.display())))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), HookError> {
    Ok(())
}

/// What [`uninstall`] did with one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Ours, removed.
    Removed(PathBuf),
    /// Ours, removed, and the hook chained before it put back.
    Restored(PathBuf),
    /// Not ours: left as it is.
    Foreign(PathBuf),
}

/// Removes keyhound's hooks from `dir`, restoring chained originals.
pub fn uninstall(dir: &Path) -> Result<Vec<Removal>, HookError> {
    let mut done = Vec::new();
    for kind in Kind::ALL {
        done.extend(uninstall_one(dir, kind)?);
    }
    Ok(done)
}

fn uninstall_one(dir: &Path, kind: Kind) -> Result<Option<Removal>, HookError> {
    let path = dir.join(kind.name());
    if !path.exists() {
        return Ok(None);
    }
    if !is_ours(&path) {
        return Ok(Some(Removal::Foreign(path)));
    }
    std::fs::remove_file(&path).map_err(io(format!("remove {}", path.display())))?;
    let chained = chained_path(dir, kind);
    if chained.exists() {
        std::fs::rename(&chained, &path).map_err(io(format!("restore {}", chained.display())))?;
        return Ok(Some(Removal::Restored(path)));
    }
    Ok(Some(Removal::Removed(path)))
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
pub fn hooks_dir(repo_path: &Path) -> Result<PathBuf, GitError> {
    let repo = git::discover(repo_path)?;
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
pub fn keyhound_path() -> String {
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
///
/// It fails closed: when keyhound cannot be found, or ends with a usage or
/// scan failure (exit 2 or 3), the commit or push is blocked with a
/// message saying so, never let through unchecked.
fn hook_script(kind: Kind, exe: &str, chain: bool) -> String {
    let name = kind.name();
    let what = match kind {
        Kind::PrePush => "push",
        Kind::PreCommit => "commit",
    };
    let mut s = format!(
        "#!/bin/sh\n{MARKER}\n\
         # Blocks commits and pushes that add credentials. Remove with\n\
         # `keyhound hook uninstall`; bypass once with --no-verify.\n\
         KEYHOUND={}\n\
         if [ ! -x \"$KEYHOUND\" ]; then KEYHOUND=keyhound; fi\n\
         if ! command -v \"$KEYHOUND\" >/dev/null 2>&1; then\n\
         \x20 echo \"keyhound: the {name} hook cannot find keyhound ({exe_shown}), so this {what} is blocked unchecked.\" >&2\n\
         \x20 echo \"keyhound: install it again, or bypass once with --no-verify.\" >&2\n\
         \x20 exit 1\n\
         fi\n",
        shell_quote(exe),
        exe_shown = exe.replace(['"', '\\', '$', '`'], "?"),
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
        s.push_str(&format!("\"$KEYHOUND\" hook {name} \"$@\"\n"));
    }
    s.push_str(&format!(
        "status=$?\n\
         if [ \"$status\" -ge 2 ]; then\n\
         \x20 echo \"keyhound: the check could not be made (exit $status), so this {what} is blocked.\" >&2\n\
         \x20 echo \"keyhound: fix the error above, or bypass once with --no-verify.\" >&2\n\
         fi\n\
         exit \"$status\"\n"
    ));
    s
}

// ---------------------------------------------------------------------------
// pre-push / pre-commit

/// One line of git's pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    pub local_sha: String,
    pub remote_sha: String,
}

/// Parses `<local ref> <local sha> <remote ref> <remote sha>` lines;
/// blank lines are ignored.
pub fn parse_push_lines(input: &str) -> Result<Vec<PushLine>, HookError> {
    let mut lines = Vec::new();
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, local_sha, _, remote_sha] = fields[..] else {
            return Err(HookError::BadInput(format!(
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
pub fn push_range(repo: &Repo, lines: &[PushLine]) -> Result<RevRange, GitError> {
    let mut range = RevRange::default();
    let mut need_remote_tips = false;
    for line in lines {
        if is_zero(&line.local_sha) {
            continue; // deletion: nothing is sent
        }
        range.include.push(repo.rev_parse(&line.local_sha)?);
        // A new branch, or a force push over history we do not have:
        // exclude what the remote-tracking refs say the remote has.
        match known_commit(repo, &line.remote_sha) {
            Some(id) => range.exclude.push(id),
            None => need_remote_tips = true,
        }
    }
    if need_remote_tips {
        let tips = repo.ref_tips(&["refs/remotes/"])?;
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

/// The pre-commit framework runs pre-push hooks without git's stdin and
/// passes the pushed range as `PRE_COMMIT_TO_REF` (local) and
/// `PRE_COMMIT_FROM_REF` (remote, absent for a new branch) instead.
pub fn pre_commit_framework_line() -> Option<PushLine> {
    let local_sha = std::env::var("PRE_COMMIT_TO_REF").ok()?;
    let remote_sha = std::env::var("PRE_COMMIT_FROM_REF").unwrap_or_else(|_| "0".repeat(40));
    Some(PushLine {
        local_sha,
        remote_sha,
    })
}

/// The repository git runs the hook for: `GIT_DIR` when git set it (as it
/// does for `git --git-dir=… push`), else the one around the working
/// directory, which git makes the worktree top before running hooks.
pub fn hook_repo() -> Result<Repo, GitError> {
    match std::env::var_os("GIT_DIR") {
        Some(dir) if !dir.is_empty() => git::open(Path::new(&dir)),
        _ => git::discover(Path::new(".")),
    }
}

/// Which hook is reporting; the advice differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Push,
    Commit,
}

/// The text printed when blocking: each finding (secret redacted), then
/// what to do, rotation first because the key may already be exposed.
pub fn block_message(findings: &[&Finding], stage: Stage) -> String {
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

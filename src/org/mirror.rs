//! One bare mirror per repository under `--cache DIR`.
//!
//! The first run clones (`git clone --mirror`, into a temporary directory
//! renamed into place when complete, so an interrupted clone never looks
//! like a mirror); later runs `git fetch --prune`. Both are real `git`
//! processes: git's transports, credential helpers and ssh configuration
//! are what a team already relies on. Each runs in a process group of its
//! own and is killed with the whole group (ssh, `git-remote-https`) when
//! the per-repository timeout passes.
//!
//! Credentials reach git only through the environment given per
//! repository ([`RepoSpec::env`]); the URL on disk (the mirror's
//! `remote.origin.url`) is the one from the list, which never carries a
//! password.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::repos::RepoSpec;
use super::shard::fnv1a64;

/// Why a mirror could not be brought up to date.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MirrorError {
    #[error("git {op} timed out after {}s", after.as_secs())]
    Timeout { op: &'static str, after: Duration },
    #[error("git {op} failed: {message}")]
    Git { op: &'static str, message: String },
    #[error("{0}")]
    Io(String),
}

/// What happened to a mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Cloned,
    Fetched,
}

/// The mirror directory of a repository.
pub fn path_for(cache: &Path, name: &str) -> PathBuf {
    cache.join(format!("{}.git", file_stem(name)))
}

/// A file name for a repository: its name made safe, plus a hash of the
/// exact name so that `a/b` and `a_b` differ.
pub fn file_stem(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    format!("{safe}-{:016x}", fnv1a64(name.as_bytes()))
}

/// Clones or fetches `repo`'s mirror under `cache`, within `timeout` per
/// git process.
pub fn update(
    repo: &RepoSpec,
    cache: &Path,
    timeout: Duration,
) -> Result<(PathBuf, Update), MirrorError> {
    let dir = path_for(cache, &repo.name);
    if dir.join("HEAD").is_file() {
        // The list may have moved the repository: follow it (one git
        // process fewer per repository when it has not moved).
        if origin_url(&dir).as_deref() != Some(repo.url.as_str()) {
            let mut set = git(&repo.env);
            set.arg("--git-dir")
                .arg(&dir)
                .args(["config", "remote.origin.url"])
                .arg(&repo.url);
            run("config", set, timeout)?;
        }
        let mut fetch = git(&repo.env);
        fetch
            .arg("--git-dir")
            .arg(&dir)
            .args(["fetch", "--prune", "--quiet", "origin"]);
        run("fetch", fetch, timeout)?;
        return Ok((dir, Update::Fetched));
    }
    std::fs::create_dir_all(cache)
        .map_err(|e| MirrorError::Io(format!("cannot create {}: {e}", cache.display())))?;
    let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let mut clone = git(&repo.env);
    // `--no-local`: a local path is cloned like a URL (objects copied
    // through the pack protocol, only what refs reach), never hardlinked
    // into the user's repository.
    clone
        .args(["clone", "--mirror", "--quiet", "--no-local", "--"])
        .arg(&repo.url)
        .arg(&tmp);
    if let Err(e) = run("clone", clone, timeout) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        // A broken leftover without HEAD: replace it.
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::rename(&tmp, &dir).map_err(|e| {
        MirrorError::Io(format!(
            "cannot move {} to {}: {e}",
            tmp.display(),
            dir.display()
        ))
    })?;
    Ok((dir, Update::Cloned))
}

/// The mirror's `remote.origin.url`, read from its config file.
fn origin_url(dir: &Path) -> Option<String> {
    let config =
        gix::config::File::from_path_no_includes(dir.join("config"), gix::config::Source::Local)
            .ok()?;
    config.string("remote.origin.url").map(|u| u.to_string())
}

/// A `git` command that never prompts and that sees `env` besides ours.
fn git(env: &[(OsString, OsString)]) -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("SSH_ASKPASS", "")
        // ssh must not wait for a host-key question either.
        .env(
            "GIT_SSH_COMMAND",
            std::env::var_os("GIT_SSH_COMMAND").unwrap_or_else(|| "ssh -o BatchMode=yes".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `cmd` in its own process group; kills the group at `timeout`.
fn run(op: &'static str, mut cmd: Command, timeout: Duration) -> Result<(), MirrorError> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| MirrorError::Io(format!("cannot run git: {e}")))?;
    // stderr is read on a thread so a chatty git never blocks on a full pipe.
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(64 * 1024).read_to_string(&mut text);
        }
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                kill_group(&mut child);
                let _ = child.wait();
                return Err(MirrorError::Timeout { op, after: timeout });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(MirrorError::Io(format!("waiting for git: {e}"))),
        }
    };
    let text = reader.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let message = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(super::repos::strip_userinfo_in_text)
        .collect::<Vec<_>>()
        .join("; ");
    Err(MirrorError::Git {
        op,
        message: if message.is_empty() {
            format!("exit status {status}")
        } else {
            message
        },
    })
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: kill(2) with a negative pid signals the process group
        // `process_group(0)` made for this child (its pid is the group id);
        // no memory is involved.
        let pgid = child.id() as i32;
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git_ok(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.org"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Every file under `dir`, read as bytes.
    fn any_file_contains(dir: &Path, needle: &[u8]) -> bool {
        std::fs::read_dir(dir).unwrap().any(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                any_file_contains(&p, needle)
            } else {
                std::fs::read(&p)
                    .map(|b| b.windows(needle.len()).any(|w| w == needle))
                    .unwrap_or(false)
            }
        })
    }

    #[test]
    fn a_moved_repository_is_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("old");
        std::fs::create_dir(&src).unwrap();
        git_ok(&src, &["init", "-q"]);
        std::fs::write(src.join("a.txt"), "a\n").unwrap();
        git_ok(&src, &["add", "."]);
        git_ok(&src, &["commit", "-q", "-m", "a"]);
        let cache = tmp.path().join("cache");
        let timeout = Duration::from_secs(60);
        let mut repo = RepoSpec::new("app", src.to_str().unwrap(), None);
        let (dir, _) = update(&repo, &cache, timeout).unwrap();
        assert_eq!(origin_url(&dir).as_deref(), Some(src.to_str().unwrap()));
        let moved = tmp.path().join("new");
        std::fs::rename(&src, &moved).unwrap();
        repo.url = moved.to_str().unwrap().to_string();
        let (again, how) = update(&repo, &cache, timeout).unwrap();
        assert_eq!((again.as_path(), how), (dir.as_path(), Update::Fetched));
        assert_eq!(origin_url(&dir).as_deref(), Some(repo.url.as_str()));
    }

    #[test]
    fn per_repository_environment_reaches_git_and_never_the_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir(&src).unwrap();
        git_ok(&src, &["init", "-q"]);
        std::fs::write(src.join("a.txt"), "a\n").unwrap();
        git_ok(&src, &["add", "."]);
        git_ok(&src, &["commit", "-q", "-m", "a"]);
        // The list names a host that does not exist; only the rewrite
        // given through the environment (as a credential helper would be)
        // makes it reachable. Its value stands in for a token.
        let mut repo = RepoSpec::new("acme/app", "https://git.invalid/acme/app.git", None);
        let real = format!("file://{}", src.display());
        repo.env = vec![
            ("GIT_CONFIG_COUNT".into(), "2".into()),
            (
                "GIT_CONFIG_KEY_0".into(),
                format!("url.{real}.insteadOf").into(),
            ),
            (
                "GIT_CONFIG_VALUE_0".into(),
                "https://git.invalid/acme/app.git".into(),
            ),
            ("GIT_CONFIG_KEY_1".into(), "http.extraHeader".into()),
            (
                "GIT_CONFIG_VALUE_1".into(),
                "Authorization: Bearer token-value-9f8e7d".into(),
            ),
        ];
        let cache = tmp.path().join("cache");
        let timeout = Duration::from_secs(60);
        let (dir, how) = update(&repo, &cache, timeout).unwrap();
        assert_eq!(how, Update::Cloned);
        let (_, how) = update(&repo, &cache, timeout).unwrap();
        assert_eq!(how, Update::Fetched);
        assert!(!any_file_contains(&cache, b"token-value-9f8e7d"));
        // The URL on disk is the list's.
        let config = std::fs::read_to_string(dir.join("config")).unwrap();
        assert!(
            config.contains("url = https://git.invalid/acme/app.git"),
            "{config}"
        );
        // Without it the same list entry fails, with git's reason.
        repo.env.clear();
        std::fs::remove_dir_all(&cache).unwrap();
        let err = update(&repo, &cache, timeout).unwrap_err();
        assert!(matches!(err, MirrorError::Git { op: "clone", .. }), "{err}");
        assert!(
            !cache.join(dir.file_name().unwrap()).exists(),
            "no half mirror left"
        );
    }

    #[test]
    fn mirror_paths_are_safe_and_distinct() {
        let cache = Path::new("/c");
        let a = path_for(cache, "acme/app");
        let b = path_for(cache, "acme_app");
        assert_ne!(a, b);
        assert!(a.starts_with(cache));
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("acme_app-") && name.ends_with(".git"),
            "{name}"
        );
        assert_eq!(path_for(cache, "../../etc").parent(), Some(cache));
    }
}

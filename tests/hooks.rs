//! `keyhound hook` end to end: hooks installed into a real repository and
//! run by real `git push` / `git commit` against a bare `file://` remote.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_keyhound");

// Format-valid fake GitHub tokens (CRC32 checksums valid).
const TOKEN_A: &str = "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"; // keyhound:allow
const TOKEN_B: &str = "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"; // keyhound:allow

/// A git command isolated from the machine's and user's configuration.
fn git_cmd(home: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args([
            "-c",
            "user.name=Dev One",
            "-c",
            "user.email=dev@example.org",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null());
    cmd
}

/// Runs git and returns its output, whatever the status.
fn git_out(home: &Path, dir: &Path, args: &[&str]) -> Output {
    git_cmd(home, dir, args).output().expect("git runs")
}

/// Runs git, asserting success; returns trimmed stdout.
fn git(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = git_out(home, dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn keyhound(home: &Path, dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
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

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A work repository with one clean commit pushed to a bare remote.
struct Setup {
    _tmp: tempfile::TempDir,
    home: std::path::PathBuf,
    work: std::path::PathBuf,
    remote: std::path::PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let work = tmp.path().join("work");
        let remote = tmp.path().join("remote.git");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        git(&home, tmp.path(), &["init", "-q", "--bare", "remote.git"]);
        git(&home, &work, &["init", "-q"]);
        let url = format!("file://{}", remote.display());
        git(&home, &work, &["remote", "add", "origin", &url]);
        let s = Setup {
            _tmp: tmp,
            home,
            work,
            remote,
        };
        s.commit("README.md", "hello\n", "start");
        s.git(&["push", "-q", "origin", "main"]);
        s
    }

    fn git(&self, args: &[&str]) -> String {
        git(&self.home, &self.work, args)
    }

    fn git_out(&self, args: &[&str]) -> Output {
        git_out(&self.home, &self.work, args)
    }

    fn keyhound(&self, args: &[&str]) -> Output {
        keyhound(&self.home, &self.work, args)
    }

    fn commit(&self, path: &str, text: &str, msg: &str) -> String {
        std::fs::write(self.work.join(path), text).unwrap();
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// The remote's id for `branch`, or `None` if it has no such branch.
    fn remote_ref(&self, branch: &str) -> Option<String> {
        let out = git_out(
            &self.home,
            &self.remote,
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

#[test]
fn pre_push_blocks_keys_and_lets_clean_pushes_and_deletions_through() {
    let s = Setup::new();
    let out = s.keyhound(&["hook", "install"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = s.work.join(".git/hooks/pre-push");
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.contains("# installed by keyhound"));
    assert!(script.contains(BIN), "{script}");
    let before = s.remote_ref("main");

    // (1) A commit adding a key to an existing branch is blocked.
    let bad = s.commit("config.py", &format!("TOKEN = '{TOKEN_A}'\n"), "add config");
    let out = s.git_out(&["push", "origin", "main"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "push should fail: {err}");
    assert!(err.contains("github"), "{err}");
    assert!(err.contains("--no-verify"), "{err}");
    assert!(err.contains("config.py:1"), "{err}");
    assert!(err.contains(&bad[..10]), "{err}");
    assert!(!err.contains(TOKEN_A), "secret printed in the clear: {err}");
    assert_eq!(s.remote_ref("main"), before);

    // (2) Once the key is amended out, a clean commit goes through.
    std::fs::write(s.work.join("config.py"), "TOKEN = env('TOKEN')\n").unwrap();
    s.git(&["add", "-A"]);
    s.git(&["commit", "-q", "--amend", "-m", "add config"]);
    let out = s.git_out(&["push", "origin", "main"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.remote_ref("main"), Some(s.git(&["rev-parse", "HEAD"])));

    // (3) A new branch with a key is blocked; a clean new branch is not.
    s.git(&["checkout", "-q", "-b", "leaky"]);
    s.commit("deploy.sh", &format!("export T={TOKEN_B}\n"), "deploy");
    let out = s.git_out(&["push", "origin", "leaky"]);
    assert!(!out.status.success(), "push should fail: {}", stderr(&out));
    assert_eq!(s.remote_ref("leaky"), None);
    s.git(&["checkout", "-q", "main"]);
    s.git(&["checkout", "-q", "-b", "tidy"]);
    s.commit("notes.txt", "nothing secret\n", "notes");
    let out = s.git_out(&["push", "origin", "tidy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(s.remote_ref("tidy").is_some());

    // (4) Deleting a remote branch sends nothing and is allowed.
    let out = s.git_out(&["push", "origin", "--delete", "tidy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.remote_ref("tidy"), None);
}

/// Runs `keyhound hook pre-push` directly with `input` as git's ref lines.
fn pre_push_with(s: &Setup, input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .current_dir(&s.work)
        .args(["hook", "pre-push", "origin", "file:///unused"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &s.home)
        .env_remove("GIT_DIR")
        .env_remove("PRE_COMMIT_TO_REF")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn force_push_over_unknown_history_falls_back_to_remote_tracking_refs() {
    let s = Setup::new();
    let pushed = s.git(&["rev-parse", "origin/main"]);
    let unknown = "1234567890abcdef1234567890abcdef12345678";
    // Already on the remote: nothing new to scan.
    let out = pre_push_with(
        &s,
        &format!("refs/heads/main {pushed} refs/heads/main {unknown}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A new commit with a key is still caught.
    let bad = s.commit("k.txt", &format!("k={TOKEN_B}\n"), "key");
    let out = pre_push_with(
        &s,
        &format!("refs/heads/main {bad} refs/heads/main {unknown}\n"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stderr(&out).contains(TOKEN_B));
}

#[test]
fn pre_commit_blocks_staged_keys() {
    let s = Setup::new();
    let out = s.keyhound(&["hook", "install", "--pre-commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::write(s.work.join("env"), format!("T={TOKEN_A}\n")).unwrap();
    s.git(&["add", "env"]);
    let out = s.git_out(&["commit", "-q", "-m", "env"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "commit should fail: {err}");
    assert!(err.contains("Unstage and remove"), "{err}");
    assert!(!err.contains(TOKEN_A), "{err}");

    // An ignore-file entry for the key lets the commit through.
    let fp = keyhound::finding::fingerprint("github-token", TOKEN_A.as_bytes());
    std::fs::write(s.work.join(".keyhoundignore"), format!("{fp} # test key\n")).unwrap();
    let out = s.git_out(&["commit", "-q", "-m", "env"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn install_refuses_foreign_hooks_and_chains_them_on_request() {
    let s = Setup::new();
    let hooks = s.work.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("pre-push");
    let marker = s.work.join("..").join("foreign-ran");
    let foreign = format!("#!/bin/sh\ncat > '{}'\nexit 0\n", marker.display());
    std::fs::write(&hook, &foreign).unwrap();
    set_executable(&hook);

    let out = s.keyhound(&["hook", "install"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("pre-push") && err.contains("--chain"), "{err}");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);

    let out = s.keyhound(&["hook", "install", "--chain"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push.keyhound-chained")).unwrap(),
        foreign
    );

    // Both run: the foreign hook sees git's ref lines, keyhound blocks.
    s.commit("config.py", &format!("TOKEN = '{TOKEN_A}'\n"), "add config");
    let out = s.git_out(&["push", "origin", "main"]);
    assert!(!out.status.success(), "push should fail: {}", stderr(&out));
    let seen = std::fs::read_to_string(&marker).unwrap();
    assert!(seen.contains("refs/heads/main"), "{seen:?}");

    let out = s.keyhound(&["hook", "uninstall"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
    assert!(!hooks.join("pre-push.keyhound-chained").exists());
}

#[test]
fn install_honours_core_hooks_path_and_uninstall_removes_our_hooks() {
    let s = Setup::new();
    s.git(&["config", "core.hooksPath", ".githooks"]);
    let out = s.keyhound(&["hook", "install", "--pre-commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = s.work.join(".githooks/pre-push");
    assert!(hook.exists());
    assert!(s.work.join(".githooks/pre-commit").exists());
    assert!(!s.work.join(".git/hooks/pre-push").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    let out = s.keyhound(&["hook", "uninstall"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!hook.exists());
    assert!(!s.work.join(".githooks/pre-commit").exists());
}

#[cfg(unix)]
fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) {}

/// The hooks fail closed: a push is blocked, with a message saying why,
/// when keyhound cannot be found (moved, uninstalled, another machine's
/// path) and when it cannot make the check (a broken keyhound.toml gives
/// exit 2). A hook that let pushes through unchecked would be worse than
/// none: it looks like protection.
#[test]
fn hooks_block_when_keyhound_is_missing_or_fails() {
    let s = Setup::new();
    s.commit("notes.md", "nothing secret\n", "notes");
    let hooks = s.work.join(".git/hooks");
    keyhound::hook::install(
        &hooks,
        &[keyhound::hook::Kind::PrePush],
        false,
        "/nonexistent/bin/keyhound",
    )
    .unwrap();
    // PATH with git but no keyhound.
    let git_dir = Path::new("/usr/bin");
    let out = git_cmd(&s.home, &s.work, &["push", "-q", "origin", "main"])
        .env("PATH", git_dir)
        .output()
        .unwrap();
    assert!(!out.status.success(), "push went through unchecked");
    let err = stderr(&out);
    assert!(
        err.contains(
            "cannot find keyhound (/nonexistent/bin/keyhound), so this push is blocked unchecked"
        ),
        "{err}"
    );
    assert_ne!(s.remote_ref("main"), Some(s.git(&["rev-parse", "HEAD"])));

    // keyhound present, but it cannot check: exit 2 blocks too.
    keyhound::hook::uninstall(&hooks).unwrap();
    keyhound::hook::install(&hooks, &[keyhound::hook::Kind::PrePush], false, BIN).unwrap();
    std::fs::write(s.work.join("keyhound.toml"), "exlcude = [\"typo\"]\n").unwrap();
    let out = s.git_out(&["push", "-q", "origin", "main"]);
    assert!(!out.status.success(), "push went through unchecked");
    let err = stderr(&out);
    assert!(
        err.contains("could not be made (exit 2), so this push is blocked"),
        "{err}"
    );
    assert!(err.contains("exlcude"), "keyhound's own error first: {err}");
    assert_ne!(s.remote_ref("main"), Some(s.git(&["rev-parse", "HEAD"])));

    // Fixed configuration: the push goes through.
    std::fs::remove_file(s.work.join("keyhound.toml")).unwrap();
    s.git(&["push", "-q", "origin", "main"]);
    assert_eq!(s.remote_ref("main"), Some(s.git(&["rev-parse", "HEAD"])));
}

//! The `--repos FILE` list: one repository per line.
//!
//! ```text
//! # comments and blank lines are ignored
//! /srv/git/app.git
//! file:///srv/git/lib.git            name=acme/lib
//! https://git.example.com/acme/api.git branch=main
//! ssh://git@git.example.com/acme/web.git
//! git@git.example.com:acme/tools.git name=tools branch=release
//! ```
//!
//! A line is a location (a local path, or a `file://`, `https://`,
//! `http://`, `ssh://`, `git://` or scp-like `[user@]host:path` URL)
//! followed by optional `name=` and `branch=` fields. The name identifies
//! the repository in the state store, the cache and every report; without
//! `name=` it is derived from the location (`acme/api` for
//! `https://git.example.com/acme/api.git`). A URL with a password in it is
//! refused: a credential must reach git through the environment (see
//! [`RepoSpec::env`]), never through a URL that git writes into the
//! mirror's config on disk.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// One repository to scan.
#[derive(Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// How the repository is named in state, cache and reports (`owner/name`,
    /// a path, or the `name=` field).
    pub name: String,
    /// Where to clone from: a URL or an absolute local path. Never carries
    /// a password.
    pub url: String,
    /// Only findings reachable from this branch are reported (`None`:
    /// every ref).
    pub branch: Option<String>,
    /// Extra environment for this repository's git processes: how a token
    /// reaches git (a credential helper set through `GIT_CONFIG_COUNT`,
    /// `GIT_CONFIG_KEY_n`, `GIT_CONFIG_VALUE_n`) without being written to
    /// disk. Never printed (see the `Debug` impl).
    pub env: Vec<(OsString, OsString)>,
}

impl RepoSpec {
    /// A repository with no extra environment.
    pub fn new(name: impl Into<String>, url: impl Into<String>, branch: Option<String>) -> Self {
        RepoSpec {
            name: name.into(),
            url: url.into(),
            branch,
            env: Vec::new(),
        }
    }

    /// The URL as reports show it: no userinfo at all.
    pub fn display_url(&self) -> String {
        strip_userinfo(&self.url)
    }
}

impl fmt::Debug for RepoSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The environment may hold a token: only its variable names.
        let names: Vec<_> = self.env.iter().map(|(k, _)| k).collect();
        f.debug_struct("RepoSpec")
            .field("name", &self.name)
            .field("url", &self.display_url())
            .field("branch", &self.branch)
            .field("env", &names)
            .finish()
    }
}

/// A line of the list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ListError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Reads a list file; relative local paths are taken relative to the
/// file's directory (so a list can sit beside the repositories it names).
pub fn load(path: &Path) -> Result<Vec<RepoSpec>, ListError> {
    let text = std::fs::read_to_string(path).map_err(|e| ListError {
        file: path.display().to_string(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    parse(&text, &path.display().to_string(), &base)
}

/// Parses a list's text. `file` names it in errors; `base` resolves
/// relative local paths.
pub fn parse(text: &str, file: &str, base: &Path) -> Result<Vec<RepoSpec>, ListError> {
    let mut out: Vec<RepoSpec> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let err = |message: String| ListError {
            file: file.to_string(),
            line,
            message,
        };
        let content = match raw.find(" #").or_else(|| raw.find("\t#")) {
            Some(at) => &raw[..at],
            None => raw,
        };
        let content = content.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let mut words = content.split_whitespace();
        let location = words.next().unwrap_or_default();
        let mut name = None;
        let mut branch = None;
        for word in words {
            match word.split_once('=') {
                Some(("name", v)) if !v.is_empty() => set_once(&mut name, v, "name", &err)?,
                Some(("branch", v)) if !v.is_empty() => set_once(&mut branch, v, "branch", &err)?,
                Some((k @ ("name" | "branch"), _)) => {
                    return Err(err(format!("`{k}=` needs a value")))
                }
                _ => {
                    return Err(err(format!(
                        "unexpected {word:?}: a line is a location followed by optional \
                         name=NAME and branch=BRANCH (quote nothing; paths with spaces \
                         are not supported)"
                    )))
                }
            }
        }
        let url = location_url(location, base).map_err(&err)?;
        let name = match name {
            Some(n) => n,
            None => derive_name(location).ok_or_else(|| {
                err(format!(
                    "cannot derive a name from {:?}: add name=NAME",
                    strip_userinfo(location)
                ))
            })?,
        };
        if let Some(first) = out.iter().position(|r| r.name == name) {
            return Err(err(format!(
                "repository name {name:?} is used twice (also by entry {}): add name= to tell them apart",
                first + 1
            )));
        }
        out.push(RepoSpec::new(name, url, branch));
    }
    Ok(out)
}

fn set_once(
    slot: &mut Option<String>,
    value: &str,
    key: &str,
    err: &dyn Fn(String) -> ListError,
) -> Result<(), ListError> {
    if slot.is_some() {
        return Err(err(format!("`{key}=` given twice")));
    }
    *slot = Some(value.to_string());
    Ok(())
}

/// How a location is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `scheme://…`
    Url,
    /// `[user@]host:path`
    ScpLike,
    /// A path on this machine.
    Local,
}

fn kind(location: &str) -> Kind {
    if location.contains("://") {
        return Kind::Url;
    }
    // git's rule: a colon before the first slash makes it scp-like (a
    // one-letter host would be a Windows drive; not supported anyway).
    match (location.find(':'), location.find('/')) {
        (Some(colon), slash) if colon > 1 && slash.is_none_or(|s| colon < s) => Kind::ScpLike,
        _ => Kind::Local,
    }
}

/// The URL git is given: URLs as written (checked), local paths made
/// absolute.
fn location_url(location: &str, base: &Path) -> Result<String, String> {
    match kind(location) {
        Kind::Url => {
            let (scheme, rest) = location.split_once("://").unwrap_or_default();
            if !matches!(scheme, "file" | "https" | "http" | "ssh" | "git") {
                return Err(format!(
                    "unsupported URL scheme {scheme:?} (use file, https, http, ssh or git)"
                ));
            }
            if rest.is_empty() {
                return Err(format!("{scheme}:// URL without a host or path"));
            }
            if has_password(location) {
                return Err(format!(
                    "{} carries a password: pass credentials through the environment \
                     (a credential helper), never in the URL, which git writes to disk",
                    strip_userinfo(location)
                ));
            }
            Ok(location.to_string())
        }
        Kind::ScpLike => {
            if has_password(location) {
                return Err("scp-like location with a password".into());
            }
            Ok(location.to_string())
        }
        Kind::Local => {
            let path = Path::new(location);
            let path = if path.is_absolute() {
                path.to_path_buf()
            } else {
                base.join(path)
            };
            Ok(std::fs::canonicalize(&path)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned())
        }
    }
}

/// Whether the userinfo of a URL (or scp-like location) has a `:`, i.e. a
/// password or token.
fn has_password(location: &str) -> bool {
    userinfo(location).is_some_and(|u| u.contains(':'))
}

fn userinfo(location: &str) -> Option<&str> {
    let authority = match location.split_once("://") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(""),
        None => location.split(':').next().unwrap_or(""),
    };
    authority.rsplit_once('@').map(|(u, _)| u)
}

/// `location` without any `user[:password]@` part, for output.
pub fn strip_userinfo(location: &str) -> String {
    match location.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(at) => rest.split_at(at),
                None => (rest, ""),
            };
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None if kind(location) == Kind::ScpLike => {
            let (authority, path) = location.split_once(':').unwrap_or((location, ""));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{host}:{path}")
        }
        None => location.to_string(),
    }
}

/// Every `scheme://userinfo@` in a line of text (git's error messages)
/// without its userinfo.
pub fn strip_userinfo_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '\'' | '"'))
            .unwrap_or(after.len());
        let authority = &after[..end];
        out.push_str(authority.rsplit_once('@').map_or(authority, |(_, h)| h));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The name a location gives a repository: the path part of a URL without
/// `.git` (`acme/api`), a local path's last component.
pub fn derive_name(location: &str) -> Option<String> {
    let path = match kind(location) {
        Kind::Url => {
            let rest = location.split_once("://")?.1;
            if location.starts_with("file://") {
                last_component(rest)?
            } else {
                rest.split_once('/')?.1.to_string()
            }
        }
        Kind::ScpLike => location.split_once(':')?.1.to_string(),
        Kind::Local => last_component(location)?,
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let path = path.trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_string())
}

fn last_component(path: &str) -> Option<String> {
    let trimmed = path.trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/.git").unwrap_or(trimmed);
    let last = trimmed.rsplit('/').next()?;
    (!last.is_empty() && last != "." && last != "..").then(|| last.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<RepoSpec> {
        parse(text, "repos.txt", Path::new("/lists")).unwrap()
    }

    fn parse_err(text: &str) -> ListError {
        parse(text, "repos.txt", Path::new("/lists")).unwrap_err()
    }

    #[test]
    fn every_kind_of_location_with_fields_and_comments() {
        let repos = parse_ok(
            "# org list\n\
             \n\
             /srv/git/app.git\n\
             file:///srv/git/lib.git name=acme/lib   # a comment\n\
             https://git.example.com/acme/api.git branch=main\n\
             ssh://git@git.example.com:2222/acme/web.git\n\
             git@git.example.com:acme/tools.git name=tools branch=release\n\
             relative/repo\n",
        );
        let got: Vec<_> = repos
            .iter()
            .map(|r| (r.name.as_str(), r.url.as_str(), r.branch.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("app", "/srv/git/app.git", None),
                ("acme/lib", "file:///srv/git/lib.git", None),
                (
                    "acme/api",
                    "https://git.example.com/acme/api.git",
                    Some("main")
                ),
                (
                    "acme/web",
                    "ssh://git@git.example.com:2222/acme/web.git",
                    None
                ),
                (
                    "tools",
                    "git@git.example.com:acme/tools.git",
                    Some("release")
                ),
                ("repo", "/lists/relative/repo", None),
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_err("/a\n\n/b colour=red\n");
        assert_eq!(e.line, 3);
        assert!(e.to_string().starts_with("repos.txt:3: unexpected"), "{e}");
        assert_eq!(parse_err("ftp://h/x.git\n").line, 1);
        assert!(parse_err("/x name=\n").message.contains("needs a value"));
        assert!(parse_err("/x branch=a branch=b\n")
            .message
            .contains("twice"));
        let dup = parse_err("/a/app\n/b/app\n");
        assert_eq!(dup.line, 2);
        assert!(dup.message.contains("used twice"), "{dup}");
        assert!(parse_err("https://h/\n")
            .message
            .contains("cannot derive a name"));
    }

    #[test]
    fn passwords_in_urls_are_refused_and_never_echoed() {
        let e = parse_err("https://bot:ghp_s3cr3t@github.com/acme/app.git\n");
        assert!(e.message.contains("password"), "{e}");
        assert!(!e.to_string().contains("ghp_s3cr3t"), "{e}");
        // A user name alone is fine (ssh), but output shows no userinfo.
        let r = &parse_ok("https://bot@github.com/acme/app.git\n")[0];
        assert_eq!(r.display_url(), "https://github.com/acme/app.git");
        assert_eq!(r.name, "acme/app");
    }

    #[test]
    fn userinfo_is_stripped_for_output() {
        assert_eq!(
            strip_userinfo("https://x:y@h.example/a/b.git"),
            "https://h.example/a/b.git"
        );
        assert_eq!(strip_userinfo("git@h.example:a/b.git"), "h.example:a/b.git");
        assert_eq!(strip_userinfo("/srv/a@b/c"), "/srv/a@b/c");
        assert_eq!(strip_userinfo("file:///srv/x"), "file:///srv/x");
        assert_eq!(
            strip_userinfo_in_text("fatal: unable to access 'https://u:tok@h/x.git/': 403"),
            "fatal: unable to access 'https://h/x.git/': 403"
        );
    }

    #[test]
    fn debug_hides_environment_values() {
        let mut r = RepoSpec::new("a", "https://h/a.git", None);
        r.env
            .push(("GIT_CONFIG_VALUE_0".into(), "token-value-123".into()));
        let text = format!("{r:?}");
        assert!(text.contains("GIT_CONFIG_VALUE_0"));
        assert!(!text.contains("token-value-123"));
    }
}

//! Repositories from hosting APIs: GitHub (github.com or Enterprise) and
//! GitLab (gitlab.com or self-hosted), for `keyhound org`.
//!
//! The flow:
//!
//! ```text
//! Sources ──▶ Forge::list ──▶ github::list / gitlab::list ──▶ http::Client::send ──▶ the API
//!  targets     one target       pages by the Link header         Budget::acquire,
//!  APIs, auth  after another    (same host only), JSON to        rate-limit headers
//!  filters                      RemoteRepo, filters              (ratelimit::advise)
//!                                                                 │
//!                        Forge::git_env(repo) ◀── tokens ─────────┘  (static, or a GitHub App's
//!                        env for `git clone/fetch`                    installation token, re-minted
//!                        (git_auth), never a URL                      before it expires)
//! ```
//!
//! - [`Sources`] says what to list (`--github-org`, `--github-user`,
//!   `--gitlab-group`), where the APIs are, how to authenticate and what
//!   to leave out ([`Filters`]).
//! - [`Forge`] holds one HTTP client, one [`Budget`] and the token sources;
//!   [`Forge::list`] walks every target and returns [`RemoteRepo`]s sorted
//!   by name, each once. A target that cannot be listed fails the whole
//!   listing: a missing organisation must not look like an empty one.
//! - The [`Budget`] is shared by every API request and, through
//!   [`Forge::budget`] and [`Budget::acquire_long`], by the clones and
//!   fetches that follow, so a 2,000-repository organisation is not hit
//!   with 2,000 starts at once.
//! - Tokens live in [`Token`], whose `Debug` prints nothing of it; errors
//!   name the target, the status and the API's message with any token
//!   scrubbed out. A token reaches git only through [`git_auth`]'s
//!   environment, never a URL or a file.

pub mod git_auth;
mod github;
mod github_app;
mod gitlab;
mod http;
pub mod ratelimit;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use github_app::AppCredentials;
pub use ratelimit::{Budget, Limits, Permit};

/// The public GitHub API.
pub const GITHUB_API: &str = "https://api.github.com";
/// The public GitLab API.
pub const GITLAB_API: &str = "https://gitlab.com/api/v4";

/// One repository a forge listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRepo {
    /// `owner/name` on GitHub, the full path on GitLab (`group/sub/name`).
    pub full_name: String,
    /// Where to clone from, as the API gave it but never with credentials
    /// in it (any `user:password@` is removed).
    pub clone_url: String,
    /// `None` for an empty GitLab project.
    pub default_branch: Option<String>,
    pub archived: bool,
    pub fork: bool,
    pub private: bool,
    /// The target that listed it: which credential clones it.
    pub target: Target,
}

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    GitHubOrg(String),
    GitHubUser(String),
    /// A group's full path (`a/b`) or numeric id; subgroups included.
    GitLabGroup(String),
}

impl Target {
    fn forge(&self) -> ForgeKind {
        match self {
            Target::GitHubOrg(_) | Target::GitHubUser(_) => ForgeKind::GitHub,
            Target::GitLabGroup(_) => ForgeKind::GitLab,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::GitHubOrg(o) => write!(f, "GitHub org {o}"),
            Target::GitHubUser(u) => write!(f, "GitHub user {u}"),
            Target::GitLabGroup(g) => write!(f, "GitLab group {g}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ForgeKind {
    GitHub,
    GitLab,
}

/// What to leave out. Forks and archived repositories are left out by
/// default: a fork's history is mostly its parent's, and an archived
/// repository no longer changes (both still hold secrets; ask for them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filters {
    pub include_forks: bool,
    pub include_archived: bool,
}

impl Filters {
    fn keeps(&self, repo: &RemoteRepo) -> bool {
        (self.include_forks || !repo.fork) && (self.include_archived || !repo.archived)
    }
}

/// A token. Its `Debug` never shows it, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Refuses empty tokens and tokens with whitespace or control
    /// characters (they would break a header or the credential helper's
    /// output). The error never quotes the value.
    pub fn new(value: impl Into<String>) -> Result<Token, ForgeError> {
        let value = value.into();
        let value = value.trim().to_string();
        if value.is_empty() {
            return Err(ForgeError::Config("the token is empty".into()));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ForgeError::Config(
                "the token contains whitespace or control characters".into(),
            ));
        }
        Ok(Token(value))
    }

    /// The token itself, for a header or git's environment.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// How to authenticate to GitHub.
#[derive(Debug, Clone, Default)]
pub enum GitHubAuth {
    /// Public data only, 60 requests an hour.
    #[default]
    Anonymous,
    /// A personal access token (or `GITHUB_TOKEN` in Actions).
    Token(Token),
    /// A GitHub App: its JWT is exchanged for one installation token per
    /// organisation or user, re-minted before it expires.
    App(AppCredentials),
}

/// Where the APIs are and what to list.
#[derive(Debug, Clone)]
pub struct Sources {
    pub targets: Vec<Target>,
    /// `https://api.github.com`, or `https://HOST/api/v3` for Enterprise.
    pub github_api: String,
    pub github_auth: GitHubAuth,
    /// `https://gitlab.com/api/v4`, or a self-hosted instance (with or
    /// without the `/api/v4` suffix).
    pub gitlab_api: String,
    pub gitlab_token: Option<Token>,
    /// Where the tokens came from (`GITHUB_TOKEN`), for error hints only.
    pub github_token_name: String,
    pub gitlab_token_name: String,
    pub filters: Filters,
    pub settings: Settings,
}

impl Default for Sources {
    fn default() -> Sources {
        Sources {
            targets: Vec::new(),
            github_api: GITHUB_API.into(),
            github_auth: GitHubAuth::Anonymous,
            gitlab_api: GITLAB_API.into(),
            gitlab_token: None,
            github_token_name: "GITHUB_TOKEN".into(),
            gitlab_token_name: "GITLAB_TOKEN".into(),
            filters: Filters::default(),
            settings: Settings::default(),
        }
    }
}

/// Timeouts, retries and the request budget.
#[derive(Debug, Clone)]
pub struct Settings {
    /// One request, connect to last byte.
    pub timeout: Duration,
    pub limits: Limits,
    /// Retries of a request after a network error or a 5xx.
    pub retries: u32,
    /// First backoff after a network error or a 5xx, doubled per retry.
    pub backoff: Duration,
    /// Wait after a secondary rate limit that names no `retry-after`
    /// (GitHub: "at least one minute"), doubled each time in a row.
    pub secondary_wait: Duration,
    /// Added to a wait until `x-ratelimit-reset`, for clock skew.
    pub reset_slack: Duration,
    /// A GitHub App installation token is re-minted this long before its
    /// `expires_at`.
    pub token_margin: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(30),
            limits: Limits::default(),
            retries: 3,
            backoff: Duration::from_secs(1),
            secondary_wait: Duration::from_secs(60),
            reset_slack: Duration::from_secs(1),
            token_margin: Duration::from_secs(5 * 60),
        }
    }
}

/// Why a listing failed. Never carries a token: API messages are
/// scrubbed of the token that was sent.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error("{what}: HTTP {status}: {message}{hint}")]
    Api {
        what: String,
        status: u16,
        message: String,
        /// e.g. " (check the token in GITHUB_TOKEN)"
        hint: String,
    },
    #[error("{what}: rate limited: the API asks to wait {needed} s, more than the {left} s left of the wait budget (--max-api-wait)")]
    RateLimited {
        what: String,
        needed: u64,
        left: u64,
    },
    #[error("{what}: still rate limited after {attempts} waits")]
    StillLimited { what: String, attempts: u32 },
    #[error("{what}: {detail}")]
    Network { what: String, detail: String },
    #[error("{what}: the API answered HTTP {status} with a redirect to {location}; redirects are not followed (check the API URL, or whether it was renamed)")]
    Redirect {
        what: String,
        status: u16,
        location: String,
    },
    #[error("{what}: refusing to follow a pagination link to {host}, another host than the API's")]
    ForeignLink { what: String, host: String },
    #[error("{what}: unexpected response: {detail}")]
    BadResponse { what: String, detail: String },
    #[error("GitHub App key {}: {detail}", path.display())]
    AppKey { path: PathBuf, detail: String },
    #[error("{0}")]
    Config(String),
}

/// Lists every target's repositories and hands out git credentials for
/// them. One per run; cheap to share by reference across threads.
pub struct Forge {
    sources: Sources,
    client: http::Client,
    app: Option<github_app::Installations>,
}

/// What [`Forge::list`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Kept repositories, sorted by name, each clone URL once.
    pub repos: Vec<RemoteRepo>,
    pub skipped_forks: usize,
    pub skipped_archived: usize,
}

impl Forge {
    /// Checks the API URLs and the targets' names; nothing is sent yet.
    pub fn new(sources: Sources) -> Result<Forge, ForgeError> {
        http::check_base(&sources.github_api, "--github-api")?;
        http::check_base(&sources.gitlab_api, "--gitlab-api")?;
        for target in &sources.targets {
            check_name(target)?;
        }
        let budget = Arc::new(Budget::new(sources.settings.limits.clone()));
        let client = http::Client::new(&sources.settings, budget);
        let app = match &sources.github_auth {
            GitHubAuth::App(creds) => Some(github_app::Installations::new(
                creds.clone(),
                sources.settings.token_margin,
            )),
            _ => None,
        };
        Ok(Forge {
            sources,
            client,
            app,
        })
    }

    /// The budget every request and clone draws from.
    pub fn budget(&self) -> Arc<Budget> {
        self.client.budget()
    }

    /// Every target's repositories, filtered, sorted by name, each once.
    pub fn list(&self) -> Result<Listing, ForgeError> {
        let mut listing = Listing::default();
        let mut all = Vec::new();
        for target in &self.sources.targets {
            let repos = match target {
                Target::GitHubOrg(_) | Target::GitHubUser(_) => github::list(self, target)?,
                Target::GitLabGroup(group) => gitlab::list(self, target, group)?,
            };
            for repo in repos {
                if self.sources.filters.keeps(&repo) {
                    all.push(repo);
                } else if repo.fork && !self.sources.filters.include_forks {
                    listing.skipped_forks += 1;
                } else {
                    listing.skipped_archived += 1;
                }
            }
        }
        all.sort_by(|a, b| a.full_name.cmp(&b.full_name));
        let mut seen = std::collections::HashSet::new();
        all.retain(|r| seen.insert(r.clone_url.clone()));
        listing.repos = all;
        Ok(listing)
    }

    /// The environment that lets `git clone`/`git fetch` of `repo`
    /// authenticate (see [`git_auth`]); empty when there is no token or
    /// the URL is not http(s). A GitHub App's token is re-minted here when
    /// it is about to expire, so call this right before each git command.
    pub fn git_env(&self, repo: &RemoteRepo) -> Result<Vec<(OsString, OsString)>, ForgeError> {
        let (user, token) = match repo.target.forge() {
            ForgeKind::GitHub => ("x-access-token", self.github_token(&repo.target)?),
            ForgeKind::GitLab => ("oauth2", self.sources.gitlab_token.clone()),
        };
        Ok(match token {
            Some(token) => git_auth::git_env(&repo.clone_url, user, &token),
            None => git_auth::no_prompt_env(),
        })
    }

    /// The token GitHub requests for `target` carry, if any.
    fn github_token(&self, target: &Target) -> Result<Option<Token>, ForgeError> {
        match (&self.sources.github_auth, &self.app) {
            (GitHubAuth::Token(t), _) => Ok(Some(t.clone())),
            (GitHubAuth::App(_), Some(app)) => app.token(self, target).map(Some),
            _ => Ok(None),
        }
    }
}

/// [`Forge::list`]'s repositories, for callers that need nothing else.
pub fn enumerate(sources: &Sources) -> Result<Vec<RemoteRepo>, ForgeError> {
    Ok(Forge::new(sources.clone())?.list()?.repos)
}

/// Names go into URL paths: only the characters the forges allow in them.
fn check_name(target: &Target) -> Result<(), ForgeError> {
    let (name, slash) = match target {
        Target::GitHubOrg(n) | Target::GitHubUser(n) => (n, false),
        Target::GitLabGroup(g) => (g, true),
    };
    let ok = !name.is_empty()
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("//")
        && name.split('/').all(|part| part != "." && part != "..")
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') || (slash && c == '/')
        });
    if ok {
        Ok(())
    } else {
        Err(ForgeError::Config(format!(
            "{target}: not a valid name (letters, digits, '-', '_', '.'{})",
            if slash { ", '/' between parts" } else { "" }
        )))
    }
}

/// `s` with every occurrence of the token replaced by `***`: an API may
/// echo what it was sent.
fn scrub(s: &str, token: Option<&Token>) -> String {
    match token {
        Some(t) if !t.expose().is_empty() => s.replace(t.expose(), "***"),
        _ => s.to_string(),
    }
}

/// `clone_url` without any `user:password@` part.
fn strip_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_removed_from_clone_urls() {
        assert_eq!(
            strip_userinfo("https://x-access-token:ghs_abc@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            strip_userinfo("https://github.com/a/b@c.git"),
            "https://github.com/a/b@c.git"
        );
        assert_eq!(strip_userinfo("file:///tmp/x"), "file:///tmp/x");
    }

    #[test]
    fn names_that_could_change_the_path_are_refused() {
        let org = |n: &str| check_name(&Target::GitHubOrg(n.into())).is_ok();
        let group = |n: &str| check_name(&Target::GitLabGroup(n.into())).is_ok();
        assert!(org("acme-corp") && org("a.b_c"));
        assert!(!org("acme/other") && !org("") && !org("a?b") && !org("a%2F"));
        assert!(group("acme/platform/sub") && group("123"));
        assert!(!group("acme/../x") && !group("/acme") && !group("a//b") && !group("a b"));
    }

    #[test]
    fn tokens_do_not_print() {
        let t = Token::new("ghp_secretvalue").unwrap();
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert!(Token::new("a b").is_err() && Token::new(" ").is_err());
        assert_eq!(scrub("bad ghp_secretvalue here", Some(&t)), "bad *** here");
    }

    #[test]
    fn filters_leave_out_forks_and_archived_by_default() {
        let repo = |fork, archived| RemoteRepo {
            full_name: "a/b".into(),
            clone_url: "https://h/a/b.git".into(),
            default_branch: None,
            archived,
            fork,
            private: false,
            target: Target::GitHubOrg("a".into()),
        };
        let f = Filters::default();
        assert!(f.keeps(&repo(false, false)));
        assert!(!f.keeps(&repo(true, false)) && !f.keeps(&repo(false, true)));
        let all = Filters {
            include_forks: true,
            include_archived: true,
        };
        assert!(all.keeps(&repo(true, true)));
    }
}

//! GitHub's REST API: an organisation's or a user's repositories.
//!
//! - `GET /orgs/{org}/repos?per_page=100&type=all` for an organisation
//!   (every repository the token can see: public, private, internal,
//!   forks);
//! - for a user: `GET /user/repos?per_page=100&affiliation=owner` when the
//!   token belongs to that user (private ones included; `GET /user` tells),
//!   `GET /installation/repositories` with a GitHub App (what the
//!   installation was granted), else `GET /users/{user}/repos?type=owner`
//!   (public only);
//! - pages by the `Link` header's `rel="next"`, only on the API's host;
//! - `Accept: application/vnd.github+json`, `X-GitHub-Api-Version`,
//!   `Authorization: Bearer` when there is a token.

use serde::Deserialize;

use super::http::{next_link, Call, Client, Reply};
use super::{strip_userinfo, Forge, ForgeError, GitHubAuth, RemoteRepo, Target, Token};

/// The REST API version keyhound is written against.
pub(crate) const API_VERSION: &str = "2022-11-28";

#[derive(Deserialize)]
struct Repo {
    full_name: String,
    clone_url: String,
    default_branch: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    private: bool,
}

/// `GET /installation/repositories` wraps the list.
#[derive(Deserialize)]
struct InstallationRepos {
    repositories: Vec<Repo>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

/// The headers of every GitHub request.
pub(crate) fn headers(bearer: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("Accept", "application/vnd.github+json".to_string()),
        ("X-GitHub-Api-Version", API_VERSION.to_string()),
    ];
    if let Some(b) = bearer {
        h.push(("Authorization", format!("Bearer {b}")));
    }
    h
}

pub(crate) fn base(forge: &Forge) -> &str {
    forge.sources.github_api.trim_end_matches('/')
}

/// Every repository of `target` (a GitHub org or user), unfiltered.
pub(super) fn list(forge: &Forge, target: &Target) -> Result<Vec<RemoteRepo>, ForgeError> {
    let what = target.to_string();
    let token = forge.github_token(target)?;
    let base = base(forge);
    let (first, wrapped) = match target {
        Target::GitHubOrg(org) => (
            format!("{base}/orgs/{org}/repos?per_page=100&type=all"),
            false,
        ),
        Target::GitHubUser(user) => match &forge.sources.github_auth {
            GitHubAuth::App(_) => (
                format!("{base}/installation/repositories?per_page=100"),
                true,
            ),
            GitHubAuth::Token(_) if is_me(forge, &what, token.as_ref(), user)? => (
                format!("{base}/user/repos?per_page=100&affiliation=owner"),
                false,
            ),
            _ => (
                format!("{base}/users/{user}/repos?per_page=100&type=owner"),
                false,
            ),
        },
        Target::GitLabGroup(_) => {
            return Err(ForgeError::Config(format!("{target}: not a GitHub target")))
        }
    };
    let mut repos = Vec::new();
    for page in pages(forge, &what, token.as_ref(), first)? {
        let parsed: Vec<Repo> = if wrapped {
            serde_json::from_str::<InstallationRepos>(&page.body).map(|w| w.repositories)
        } else {
            serde_json::from_str(&page.body)
        }
        .map_err(|e| ForgeError::BadResponse {
            what: what.clone(),
            detail: format!("not a repository list: {e}"),
        })?;
        repos.extend(parsed.into_iter().map(|r| RemoteRepo {
            full_name: r.full_name,
            clone_url: strip_userinfo(&r.clone_url),
            default_branch: r.default_branch,
            archived: r.archived,
            fork: r.fork,
            private: r.private,
            target: target.clone(),
        }));
    }
    Ok(repos)
}

/// Whether the token's own login is `user` (then `/user/repos` also
/// lists the private repositories).
fn is_me(forge: &Forge, what: &str, token: Option<&Token>, user: &str) -> Result<bool, ForgeError> {
    let reply = get(forge, what, token, format!("{}/user", base(forge)))?;
    let me: User = serde_json::from_str(&reply.body).map_err(|e| ForgeError::BadResponse {
        what: what.to_string(),
        detail: format!("GET /user: {e}"),
    })?;
    Ok(me.login.eq_ignore_ascii_case(user))
}

/// Every page from `first` on, following `rel="next"`.
fn pages(
    forge: &Forge,
    what: &str,
    token: Option<&Token>,
    first: String,
) -> Result<Vec<Reply>, ForgeError> {
    let base = base(forge);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut url = Some(first);
    while let Some(u) = url.take() {
        if !seen.insert(u.clone()) {
            return Err(ForgeError::BadResponse {
                what: what.to_string(),
                detail: "the pagination links go round in a circle".into(),
            });
        }
        let reply = get(forge, what, token, u)?;
        if let Some(next) = reply.header("link").and_then(next_link) {
            Client::same_origin(base, &next).map_err(|host| ForgeError::ForeignLink {
                what: what.to_string(),
                host,
            })?;
            url = Some(next);
        }
        out.push(reply);
    }
    Ok(out)
}

/// One GET that must answer 200.
fn get(forge: &Forge, what: &str, token: Option<&Token>, url: String) -> Result<Reply, ForgeError> {
    let reply = forge.client.send(&Call {
        method: "GET",
        url,
        headers: headers(token.map(Token::expose)),
        body: None,
        what,
        token,
    })?;
    if reply.status == 200 {
        return Ok(reply);
    }
    Err(api_error(forge, what, &reply, token))
}

/// A non-200 answer as an error, with a hint at the likely cause.
pub(crate) fn api_error(
    forge: &Forge,
    what: &str,
    reply: &Reply,
    token: Option<&Token>,
) -> ForgeError {
    let name = &forge.sources.github_token_name;
    let source = match &forge.sources.github_auth {
        GitHubAuth::App(_) => "check the GitHub App's id, key and installation".to_string(),
        GitHubAuth::Token(_) => format!("check the token in {name}"),
        GitHubAuth::Anonymous => format!("no token was sent; set {name}"),
    };
    let hint = match reply.status {
        401 => format!(" ({source})"),
        403 => format!(" (not allowed: {source})"),
        404 => format!(" (no such name, or not visible: {source})"),
        _ => String::new(),
    };
    ForgeError::Api {
        what: what.to_string(),
        status: reply.status,
        message: reply.message(token),
        hint,
    }
}

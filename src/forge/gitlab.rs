//! GitLab's REST API: a group's projects, subgroups included.
//!
//! `GET /api/v4/groups/{id or url-encoded path}/projects` with
//! `include_subgroups=true`, `with_shared=false` (projects only shared
//! with the group belong to another group), `per_page=100`,
//! `order_by=id&sort=asc` (offset pages stay stable while projects are
//! added), and `archived=false` unless archived projects are wanted. Pages
//! by the `Link` header, or `x-next-page` where a proxy dropped it; the
//! token goes in `PRIVATE-TOKEN`.

use serde::Deserialize;

use super::http::{next_link, Call, Client, Reply};
use super::{strip_userinfo, Forge, ForgeError, RemoteRepo, Target, Token};

#[derive(Deserialize)]
struct Project {
    path_with_namespace: String,
    http_url_to_repo: String,
    default_branch: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    forked_from_project: Option<serde_json::Value>,
    #[serde(default)]
    visibility: Option<String>,
}

/// The API base with `/api/v4`, whether or not the user wrote it.
fn base(forge: &Forge) -> String {
    let b = forge.sources.gitlab_api.trim_end_matches('/');
    if b.ends_with("/api/v4") {
        b.to_string()
    } else {
        format!("{b}/api/v4")
    }
}

/// A group path as one URL path segment: `a/b` → `a%2Fb`. Names were
/// checked to hold only letters, digits, `-`, `_`, `.` and `/`.
fn encode_path(group: &str) -> String {
    group.replace('/', "%2F")
}

/// Every project of `group` and its subgroups, unfiltered.
pub(super) fn list(
    forge: &Forge,
    target: &Target,
    group: &str,
) -> Result<Vec<RemoteRepo>, ForgeError> {
    let what = target.to_string();
    let token = forge.sources.gitlab_token.as_ref();
    let base = base(forge);
    let archived = if forge.sources.filters.include_archived {
        ""
    } else {
        "&archived=false"
    };
    let mut url = Some(format!(
        "{base}/groups/{}/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc{archived}",
        encode_path(group)
    ));
    let mut seen = std::collections::HashSet::new();
    let mut repos = Vec::new();
    while let Some(u) = url.take() {
        if !seen.insert(u.clone()) {
            return Err(ForgeError::BadResponse {
                what,
                detail: "the pagination links go round in a circle".into(),
            });
        }
        let reply = get(forge, &what, token, u.clone())?;
        let projects: Vec<Project> =
            serde_json::from_str(&reply.body).map_err(|e| ForgeError::BadResponse {
                what: what.clone(),
                detail: format!("not a project list: {e}"),
            })?;
        repos.extend(projects.into_iter().map(|p| RemoteRepo {
            full_name: p.path_with_namespace,
            clone_url: strip_userinfo(&p.http_url_to_repo),
            default_branch: p.default_branch,
            archived: p.archived,
            fork: p.forked_from_project.is_some_and(|f| !f.is_null()),
            private: p.visibility.as_deref() != Some("public"),
            target: target.clone(),
        }));
        if let Some(next) = next_page(&reply, &u) {
            Client::same_origin(&base, &next).map_err(|host| ForgeError::ForeignLink {
                what: what.clone(),
                host,
            })?;
            url = Some(next);
        }
    }
    Ok(repos)
}

/// `Link: <…>; rel="next"`, else `x-next-page: N` applied to `current`.
fn next_page(reply: &Reply, current: &str) -> Option<String> {
    if let Some(next) = reply.header("link").and_then(next_link) {
        return Some(next);
    }
    let page: u64 = reply.header("x-next-page")?.trim().parse().ok()?;
    let (path, query) = current.split_once('?').unwrap_or((current, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .map(str::to_string)
        .collect();
    params.push(format!("page={page}"));
    Some(format!("{path}?{}", params.join("&")))
}

fn get(forge: &Forge, what: &str, token: Option<&Token>, url: String) -> Result<Reply, ForgeError> {
    let mut headers = vec![("Accept", "application/json".to_string())];
    if let Some(t) = token {
        headers.push(("PRIVATE-TOKEN", t.expose().to_string()));
    }
    let reply = forge.client.send(&Call {
        method: "GET",
        url,
        headers,
        body: None,
        what,
        token,
    })?;
    if reply.status == 200 {
        return Ok(reply);
    }
    let name = &forge.sources.gitlab_token_name;
    let source = match token {
        Some(_) => format!("check the token in {name}"),
        None => format!("no token was sent; set {name}"),
    };
    let hint = match reply.status {
        401 => format!(" ({source})"),
        403 => format!(" (not allowed: {source})"),
        404 => format!(" (no such group, or not visible: {source})"),
        _ => String::new(),
    };
    Err(ForgeError::Api {
        what: what.to_string(),
        status: reply.status,
        message: reply.message(token),
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_next_page_replaces_the_page_parameter() {
        let reply = Reply {
            status: 200,
            headers: vec![("x-next-page".into(), "3".into())],
            body: String::new(),
        };
        assert_eq!(
            next_page(
                &reply,
                "https://g/api/v4/groups/a%2Fb/projects?per_page=100&page=2"
            )
            .as_deref(),
            Some("https://g/api/v4/groups/a%2Fb/projects?per_page=100&page=3")
        );
        let last = Reply {
            headers: vec![("x-next-page".into(), "".into())],
            ..reply
        };
        assert_eq!(next_page(&last, "https://g/x?page=9"), None);
    }

    #[test]
    fn group_paths_are_one_segment() {
        assert_eq!(encode_path("acme/platform/sub"), "acme%2Fplatform%2Fsub");
        assert_eq!(encode_path("42"), "42");
    }
}

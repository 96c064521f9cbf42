//! Repository enumeration from the GitHub and GitLab APIs against loopback
//! servers that check each request's shape: pagination, filters, rate
//! limits (waits measured, kept to a second or two), errors without
//! tokens, a GitHub App's JWT checked with its public key and its
//! installation token re-minted, and the token reaching a real `git clone`
//! through the environment only.

#[path = "support/api_server.rs"]
mod api_server;
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use api_server::{ApiServer, GitServer, Reply, Request};
use keyhound::forge::{
    self, git_auth, AppCredentials, Forge, ForgeError, GitHubAuth, Limits, Settings, Sources,
    Target, Token,
};
use serde_json::json;

const TOKEN: &str = "ghp_testtoken0123456789abcdefghijklmnopq";

fn epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn http_date(secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&f).unwrap()
}

/// Settings for tests: no slack, no pacing between starts beyond 5 ms.
fn settings() -> Settings {
    Settings {
        timeout: Duration::from_secs(10),
        limits: Limits {
            max_concurrent: 4,
            min_interval: Duration::from_millis(5),
            max_wait: Duration::from_secs(30),
            low_remaining: 50,
        },
        retries: 1,
        backoff: Duration::from_millis(50),
        secondary_wait: Duration::from_secs(60),
        reset_slack: Duration::ZERO,
        token_margin: Duration::from_secs(300),
    }
}

fn github(server: &ApiServer, target: Target) -> Sources {
    Sources {
        targets: vec![target],
        github_api: server.url(),
        github_auth: GitHubAuth::Token(Token::new(TOKEN).unwrap()),
        settings: settings(),
        ..Sources::default()
    }
}

fn gh_repo(full_name: &str, fork: bool, archived: bool) -> serde_json::Value {
    json!({
        "id": 1,
        "full_name": full_name,
        "clone_url": format!("https://github.example/{full_name}.git"),
        "default_branch": "main",
        "archived": archived,
        "fork": fork,
        "private": full_name.ends_with("secret"),
    })
}

/// Every GitHub request carries the documented headers.
fn assert_github_shape(req: &Request, bearer: &str) {
    assert_eq!(req.method, "GET", "{}", req.target);
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {bearer}").as_str())
    );
    assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(req.header("x-github-api-version"), Some("2022-11-28"));
    assert!(
        req.header("user-agent")
            .is_some_and(|u| u.starts_with("keyhound/")),
        "{:?}",
        req.header("user-agent")
    );
}

/// Three pages of an organisation, forks and archived among them; page 2
/// says the quota is nearly spent, so page 3 is paced.
fn three_pages(req: &Request, base: &str) -> Reply {
    if req.path() != "/orgs/acme/repos" {
        return Reply::json(404, r#"{"message":"Not Found"}"#);
    }
    let now = epoch();
    let page = req.param("page").unwrap_or_else(|| "1".into());
    let (repos, next, remaining) = match page.as_str() {
        "1" => (
            vec![
                gh_repo("acme/api", false, false),
                gh_repo("acme/fork-of-x", true, false),
            ],
            Some(2),
            "4000",
        ),
        "2" => (
            vec![
                gh_repo("acme/old", false, true),
                gh_repo("acme/secret", false, false),
            ],
            Some(3),
            "1",
        ),
        _ => (vec![gh_repo("acme/web", false, false)], None, "3999"),
    };
    let mut reply = Reply::json(200, serde_json::to_string(&repos).unwrap())
        .with("x-ratelimit-limit", "5000")
        .with("x-ratelimit-remaining", remaining)
        .with("x-ratelimit-reset", (now + 1).to_string())
        .with("date", http_date(now));
    if let Some(n) = next {
        reply = reply.with(
            "link",
            format!(
                "<{base}/orgs/acme/repos?per_page=100&type=all&page={n}>; rel=\"next\", <{base}/orgs/acme/repos?per_page=100&type=all&page=3>; rel=\"last\""
            ),
        );
    }
    reply
}

#[test]
fn github_org_pages_by_link_and_filters_forks_and_archived() {
    let server = ApiServer::start(three_pages);
    let forge = Forge::new(github(&server, Target::GitHubOrg("acme".into()))).unwrap();
    let listing = forge.list().unwrap();
    let names: Vec<&str> = listing.repos.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names, ["acme/api", "acme/secret", "acme/web"]);
    assert_eq!((listing.skipped_forks, listing.skipped_archived), (1, 1));
    let secret = &listing.repos[1];
    assert!(secret.private && !secret.fork && !secret.archived);
    assert_eq!(secret.clone_url, "https://github.example/acme/secret.git");
    assert_eq!(secret.default_branch.as_deref(), Some("main"));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "one request per page");
    for (i, req) in reqs.iter().enumerate() {
        assert_github_shape(req, TOKEN);
        assert_eq!(req.path(), "/orgs/acme/repos");
        assert_eq!(req.param("per_page").as_deref(), Some("100"));
        assert_eq!(req.param("type").as_deref(), Some("all"));
        let page = req.param("page");
        assert_eq!(page.as_deref(), [None, Some("2"), Some("3")][i]);
    }
    // Page 2 left 1 request until a reset ~1 s away: the client spread
    // the rest (half the time to the reset) before asking for page 3.
    let paced = reqs[2].at - reqs[1].at;
    assert!(paced >= Duration::from_millis(300), "paced only {paced:?}");

    // Asked for, forks and archived repositories are listed too.
    let mut all = github(&server, Target::GitHubOrg("acme".into()));
    all.filters.include_forks = true;
    all.filters.include_archived = true;
    assert_eq!(forge::enumerate(&all).unwrap().len(), 5);
}

/// A handler that answers `first` once, then the three pages.
fn limited_once(first: Reply) -> impl Fn(&Request, &str) -> Reply + Send + Sync {
    let sent = AtomicUsize::new(0);
    move |req, base| {
        if sent.fetch_add(1, Ordering::SeqCst) == 0 {
            first.clone()
        } else {
            three_pages(req, base)
        }
    }
}

#[test]
fn primary_rate_limit_waits_until_the_reset() {
    let now = epoch();
    let server = ApiServer::start(limited_once(
        Reply::json(
            403,
            r#"{"message":"API rate limit exceeded for user ID 1."}"#,
        )
        .with("x-ratelimit-limit", "5000")
        .with("x-ratelimit-remaining", "0")
        .with("x-ratelimit-reset", (now + 1).to_string())
        .with("date", http_date(now)),
    ));
    let forge = Forge::new(github(&server, Target::GitHubOrg("acme".into()))).unwrap();
    assert_eq!(forge.list().unwrap().repos.len(), 3);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4, "the limited request was sent again, once");
    assert_eq!(reqs[0].target, reqs[1].target);
    let waited = reqs[1].at - reqs[0].at;
    assert!(
        waited >= Duration::from_millis(900),
        "waited only {waited:?}"
    );
    assert!(forge.budget().waited() >= Duration::from_secs(1));
}

#[test]
fn secondary_rate_limit_honours_retry_after() {
    let server = ApiServer::start(limited_once(
        Reply::json(
            403,
            r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#,
        )
        .with("retry-after", "1")
        .with("x-ratelimit-remaining", "4990"),
    ));
    let forge = Forge::new(github(&server, Target::GitHubOrg("acme".into()))).unwrap();
    assert_eq!(forge.list().unwrap().repos.len(), 3);
    let reqs = server.requests();
    let waited = reqs[1].at - reqs[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
}

#[test]
fn a_wait_past_the_budget_is_a_clear_error_at_once() {
    let now = epoch();
    let server = ApiServer::start(move |_, _| {
        Reply::json(429, r#"{"message":"API rate limit exceeded"}"#)
            .with("x-ratelimit-remaining", "0")
            .with("x-ratelimit-reset", (now + 3600).to_string())
            .with("date", http_date(now))
    });
    let t0 = Instant::now();
    let err = forge::enumerate(&github(&server, Target::GitHubOrg("acme".into()))).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    assert!(matches!(err, ForgeError::RateLimited { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("GitHub org acme") && msg.contains("--max-api-wait"),
        "{msg}"
    );
    assert_eq!(server.requests().len(), 1, "no retry without waiting");
}

#[test]
fn a_bad_token_is_a_clear_error_without_the_token() {
    // The API echoes the token: the error must not.
    let server = ApiServer::start(|req, _| {
        let auth = req.header("authorization").unwrap_or_default().to_string();
        Reply::json(
            401,
            json!({"message": format!("Bad credentials: {auth}")}).to_string(),
        )
    });
    let err = forge::enumerate(&github(&server, Target::GitHubOrg("acme".into()))).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("GitHub org acme"), "{msg}");
    assert!(
        msg.contains("HTTP 401") && msg.contains("Bad credentials"),
        "{msg}"
    );
    assert!(
        msg.contains("GITHUB_TOKEN"),
        "names where the token came from: {msg}"
    );
    assert!(
        !msg.contains(TOKEN) && !format!("{err:?}").contains(TOKEN),
        "{msg}"
    );
    assert_eq!(server.requests().len(), 1, "a 401 is not retried");
}

#[test]
fn redirects_and_foreign_pagination_links_are_not_followed() {
    let server = ApiServer::start(|_, _| {
        Reply::json(301, r#"{"message":"Moved Permanently"}"#)
            .with("location", "http://127.0.0.1:9/orgs/renamed/repos")
    });
    let err = forge::enumerate(&github(&server, Target::GitHubOrg("acme".into()))).unwrap_err();
    assert!(
        matches!(err, ForgeError::Redirect { status: 301, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);

    let server = ApiServer::start(|_, _| {
        Reply::json(200, "[]").with(
            "link",
            "<https://evil.example/orgs/acme/repos?page=2>; rel=\"next\"",
        )
    });
    let err = forge::enumerate(&github(&server, Target::GitHubOrg("acme".into()))).unwrap_err();
    assert!(err.to_string().contains("evil.example"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn github_user_lists_private_repos_when_the_token_is_theirs() {
    let server = ApiServer::start(|req, _| match req.path() {
        "/user" => Reply::json(200, r#"{"login":"Dev-One"}"#),
        "/user/repos" => Reply::json(
            200,
            json!([
                gh_repo("dev-one/secret", false, false),
                gh_repo("dev-one/tool", false, false)
            ])
            .to_string(),
        ),
        "/users/someone/repos" => Reply::json(
            200,
            json!([gh_repo("someone/pub", false, false)]).to_string(),
        ),
        _ => Reply::json(404, r#"{"message":"Not Found"}"#),
    });
    let mine = forge::enumerate(&github(&server, Target::GitHubUser("dev-one".into()))).unwrap();
    assert_eq!(mine.len(), 2);
    let theirs = forge::enumerate(&github(&server, Target::GitHubUser("someone".into()))).unwrap();
    assert_eq!(theirs[0].full_name, "someone/pub");
    let reqs = server.requests();
    let targets: Vec<&str> = reqs.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/user",
            "/user/repos?per_page=100&affiliation=owner",
            "/user",
            "/users/someone/repos?per_page=100&type=owner",
        ]
    );
    for req in &reqs {
        assert_github_shape(req, TOKEN);
    }
}

#[test]
fn enterprise_api_bases_keep_their_path_and_5xx_is_retried() {
    let failed = AtomicUsize::new(0);
    let server = ApiServer::start(move |req, base| {
        let Some(rest) = req.target.strip_prefix("/api/v3") else {
            return Reply::json(404, r#"{"message":"Not Found"}"#);
        };
        if failed.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::json(502, r#"{"message":"Server Error"}"#);
        }
        match rest {
            "/orgs/acme/repos?per_page=100&type=all" => {
                Reply::json(200, json!([gh_repo("acme/one", false, false)]).to_string()).with(
                    "link",
                    format!(
                    "<{base}/api/v3/orgs/acme/repos?per_page=100&type=all&page=2>; rel=\"next\""
                ),
                )
            }
            "/orgs/acme/repos?per_page=100&type=all&page=2" => {
                Reply::json(200, json!([gh_repo("acme/two", false, false)]).to_string())
            }
            _ => Reply::json(404, r#"{"message":"Not Found"}"#),
        }
    });
    let mut sources = github(&server, Target::GitHubOrg("acme".into()));
    sources.github_api = format!("{}/api/v3/", server.url());
    let repos = forge::enumerate(&sources).unwrap();
    assert_eq!(repos.len(), 2);
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/api/v3/orgs/acme/repos?per_page=100&type=all",
            "/api/v3/orgs/acme/repos?per_page=100&type=all",
            "/api/v3/orgs/acme/repos?per_page=100&type=all&page=2",
        ],
        "the 502 was retried once, then the next page followed"
    );
}

// ---- GitLab ----

fn gl_project(path: &str, fork: bool, archived: bool, visibility: &str) -> serde_json::Value {
    let mut p = json!({
        "id": 7,
        "path_with_namespace": path,
        "http_url_to_repo": format!("https://gitlab.example/{path}.git"),
        "default_branch": if path.ends_with("empty") { serde_json::Value::Null } else { json!("main") },
        "archived": archived,
        "visibility": visibility,
    });
    if fork {
        p["forked_from_project"] = json!({"id": 1, "path_with_namespace": "other/x"});
    }
    p
}

#[test]
fn gitlab_group_with_subgroups_pages_by_link_and_x_next_page() {
    const GL_TOKEN: &str = "glpat-testtoken0123456789";
    let limited = AtomicUsize::new(0);
    let server = ApiServer::start(move |req, base| {
        if req.path() != "/api/v4/groups/acme%2Fplatform/projects" {
            return Reply::json(404, r#"{"message":"404 Group Not Found"}"#);
        }
        if req.header("private-token") != Some(GL_TOKEN) {
            return Reply::json(401, r#"{"message":"401 Unauthorized"}"#);
        }
        match req.param("page").as_deref() {
            None => Reply::json(
                200,
                json!([
                    gl_project("acme/platform/api", false, false, "private"),
                    gl_project("acme/platform/sub/fork", true, false, "internal"),
                ])
                .to_string(),
            )
            .with(
                "link",
                format!("<{base}/api/v4/groups/acme%2Fplatform/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc&archived=false&page=2>; rel=\"next\""),
            ),
            // GitLab throttles once (429 with retry-after), then answers;
            // this page has no Link header, only x-next-page.
            Some("2") if limited.fetch_add(1, Ordering::SeqCst) == 0 => {
                Reply::json(429, r#"{"message":"Retry later"}"#)
                    .with("retry-after", "1")
                    .with("ratelimit-remaining", "0")
            }
            Some("2") => Reply::json(
                200,
                json!([gl_project("acme/platform/sub/deeper/web", false, false, "public")])
                    .to_string(),
            )
            .with("x-next-page", "3"),
            _ => Reply::json(200, json!([gl_project("acme/platform/empty", false, false, "private")]).to_string())
                .with("x-next-page", ""),
        }
    });
    let sources = Sources {
        targets: vec![Target::GitLabGroup("acme/platform".into())],
        gitlab_api: server.url(),
        gitlab_token: Some(Token::new(GL_TOKEN).unwrap()),
        settings: settings(),
        ..Sources::default()
    };
    let listing = Forge::new(sources).unwrap().list().unwrap();
    let got: Vec<(&str, Option<&str>, bool)> = listing
        .repos
        .iter()
        .map(|r| (r.full_name.as_str(), r.default_branch.as_deref(), r.private))
        .collect();
    assert_eq!(
        got,
        [
            ("acme/platform/api", Some("main"), true),
            ("acme/platform/empty", None, true),
            ("acme/platform/sub/deeper/web", Some("main"), false),
        ]
    );
    assert_eq!(listing.skipped_forks, 1);
    assert_eq!(
        listing.repos[0].clone_url,
        "https://gitlab.example/acme/platform/api.git"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4, "3 pages and one throttled retry");
    for req in &reqs {
        assert_eq!(req.method, "GET");
        assert_eq!(req.header("private-token"), Some(GL_TOKEN));
        assert_eq!(req.header("authorization"), None);
        assert_eq!(req.param("include_subgroups").as_deref(), Some("true"));
        assert_eq!(req.param("archived").as_deref(), Some("false"));
        assert_eq!(req.param("per_page").as_deref(), Some("100"));
    }
    assert_eq!(reqs[3].param("page").as_deref(), Some("3"));
    assert!(reqs[2].at - reqs[1].at >= Duration::from_millis(950));
}

// ---- GitHub App ----

/// An RSA key pair made by openssl for this test only: (private, public).
fn keypair(dir: &Path, name: &str) -> (std::path::PathBuf, Vec<u8>) {
    let key = dir.join(format!("{name}.pem"));
    let out = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .expect("openssl is installed (it generates the test's app key)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(public.status.success());
    (key, public.stdout)
}

/// What the app server saw.
#[derive(Default)]
struct AppLog {
    jwts_ok: usize,
    mints: usize,
}

fn app_server(public_pem: Vec<u8>, log: Arc<Mutex<AppLog>>) -> ApiServer {
    ApiServer::start(move |req, _| {
        let bearer = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        let check_jwt = || {
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(&public_pem).unwrap();
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            v.set_required_spec_claims(&["exp", "iat", "iss"]);
            v.set_issuer(&["12345"]);
            let data = jsonwebtoken::decode::<serde_json::Value>(&bearer, &key, &v).ok()?;
            let (iat, exp) = (data.claims["iat"].as_u64()?, data.claims["exp"].as_u64()?);
            // GitHub: at most 10 minutes, iat not in the future.
            (exp - iat <= 600 && iat <= epoch()).then_some(())
        };
        match (req.method.as_str(), req.path()) {
            ("GET", "/orgs/acme/installation")
            | ("POST", "/app/installations/77/access_tokens") => {
                if check_jwt().is_none() {
                    return Reply::json(
                        401,
                        r#"{"message":"A JSON web token could not be decoded"}"#,
                    );
                }
                let mut log = log.lock().unwrap();
                log.jwts_ok += 1;
                if req.method == "GET" {
                    return Reply::json(200, r#"{"id":77,"account":{"login":"acme"}}"#);
                }
                log.mints += 1;
                // The first token is about to expire (inside the 5-minute
                // margin): the next use must mint another. The second
                // lives an hour.
                let life = if log.mints == 1 { 60 } else { 3600 };
                let expires = time::OffsetDateTime::from_unix_timestamp((epoch() + life) as i64)
                    .unwrap()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap();
                Reply::json(
                    201,
                    json!({"token": format!("ghs_installation{}", log.mints), "expires_at": expires})
                        .to_string(),
                )
            }
            ("GET", "/orgs/acme/repos") => {
                if bearer != format!("ghs_installation{}", log.lock().unwrap().mints) {
                    return Reply::json(401, r#"{"message":"Bad credentials"}"#);
                }
                Reply::json(200, json!([gh_repo("acme/api", false, false)]).to_string())
            }
            _ => Reply::json(404, r#"{"message":"Not Found"}"#),
        }
    })
}

fn env_value(env: &[(std::ffi::OsString, std::ffi::OsString)], key: &str) -> Option<String> {
    env.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.to_string_lossy().into_owned())
}

#[test]
fn github_app_jwt_is_valid_and_the_installation_token_is_reminted() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keypair(dir.path(), "app");
    let log = Arc::new(Mutex::new(AppLog::default()));
    let server = app_server(public, log.clone());
    let sources = Sources {
        targets: vec![Target::GitHubOrg("acme".into())],
        github_api: server.url(),
        github_auth: GitHubAuth::App(AppCredentials::load("12345", &key).unwrap()),
        settings: settings(),
        ..Sources::default()
    };
    let forge = Forge::new(sources).unwrap();
    let repos = forge.list().unwrap().repos;
    assert_eq!(repos.len(), 1);
    assert_eq!(log.lock().unwrap().mints, 1);
    // The first token expires within the margin: git gets a new one.
    let env = forge.git_env(&repos[0]).unwrap();
    assert_eq!(
        env_value(&env, git_auth::TOKEN_VAR).as_deref(),
        Some("ghs_installation2")
    );
    assert_eq!(log.lock().unwrap().mints, 2);
    // The second lives an hour: reused, from several threads at once.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let env = forge.git_env(&repos[0]).unwrap();
                assert_eq!(
                    env_value(&env, git_auth::TOKEN_VAR).as_deref(),
                    Some("ghs_installation2")
                );
            });
        }
    });
    let log = log.lock().unwrap();
    assert_eq!(log.mints, 2);
    assert_eq!(
        log.jwts_ok, 4,
        "2 installation lookups + 2 mints, each with a valid JWT"
    );
    let posts: Vec<Request> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].header("accept"),
        Some("application/vnd.github+json")
    );
}

#[test]
fn a_github_app_key_that_github_does_not_know_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_, public) = keypair(dir.path(), "app");
    let (other_key, _) = keypair(dir.path(), "other");
    let server = app_server(public, Arc::new(Mutex::new(AppLog::default())));
    let sources = Sources {
        targets: vec![Target::GitHubOrg("acme".into())],
        github_api: server.url(),
        github_auth: GitHubAuth::App(AppCredentials::load("12345", &other_key).unwrap()),
        settings: settings(),
        ..Sources::default()
    };
    let msg = forge::enumerate(&sources).unwrap_err().to_string();
    assert!(
        msg.contains("GitHub App installation for GitHub org acme"),
        "{msg}"
    );
    assert!(
        msg.contains("401") && msg.contains("could not be decoded"),
        "{msg}"
    );

    let not_a_key = dir.path().join("nope.pem");
    std::fs::write(&not_a_key, "hello").unwrap();
    let err = AppCredentials::load("12345", &not_a_key).unwrap_err();
    assert!(err.to_string().contains("nope.pem"), "{err}");
}

// ---- git credentials through the environment ----

/// A git command with no user or system configuration but `home`'s.
fn git_in(home: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_CONFIG_COUNT")
        .stdin(std::process::Stdio::null());
    support::clean_env(&mut cmd);
    cmd
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn git_clone_and_fetch_get_the_token_from_the_environment_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, root, work) = (
        tmp.path().join("home"),
        tmp.path().join("srv"),
        tmp.path().join("work"),
    );
    for d in [&home, &root, &work] {
        std::fs::create_dir_all(d).unwrap();
    }
    // A stored credential for every host in the user's config must not win.
    std::fs::write(
        home.join(".gitconfig"),
        "[credential]\n\thelper = \"!f() { echo username=someone; echo password=stale; }; f\"\n",
    )
    .unwrap();
    support::git(&work, &["init", "-q"]);
    support::commit_file(&work, "README", "hello\n", "first");
    support::git(
        &root,
        &["clone", "-q", "--bare", work.to_str().unwrap(), "repo.git"],
    );

    let token = Token::new("ghs_gitsecret42").unwrap();
    let server = GitServer::start(root.clone(), "x-access-token", token.expose());
    let url = format!("{}/repo.git", server.url());
    let env = git_auth::git_env_after(&url, "x-access-token", &token, 0);

    let mirror = tmp.path().join("mirror.git");
    let out = git_in(&home, tmp.path())
        .args(["clone", "--mirror", "-q", &url])
        .arg(&mirror)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "clone: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let authed = server
        .api
        .requests()
        .iter()
        .filter(|r| r.header("authorization").is_some())
        .count();
    assert!(authed >= 1, "git answered the 401 challenge");

    // A new commit, then a fetch with the same environment.
    support::commit_file(&work, "README", "hello again\n", "second");
    support::git(
        &work,
        &[
            "push",
            "-q",
            root.join("repo.git").to_str().unwrap(),
            "main",
        ],
    );
    let out = git_in(&home, &mirror)
        .args(["fetch", "-q", "--prune"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fetch: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        support::git(&mirror, &["rev-parse", "main"]),
        support::git(&work, &["rev-parse", "HEAD"])
    );

    // Nothing under the mirror (config, remotes, logs, packs) holds the
    // token, and the remote URL has no credentials.
    let mut files = Vec::new();
    files_under(&mirror, &mut files);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !bytes
                .windows(token.expose().len())
                .any(|w| w == token.expose().as_bytes()),
            "token written to {}",
            f.display()
        );
    }
    assert_eq!(support::git(&mirror, &["config", "remote.origin.url"]), url);

    // A wrong token fails at once instead of prompting.
    let wrong = git_auth::git_env_after(&url, "x-access-token", &Token::new("bad").unwrap(), 0);
    let t0 = Instant::now();
    let out = git_in(&home, tmp.path())
        .args(["clone", "-q", &url])
        .arg(tmp.path().join("nope"))
        .envs(wrong.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(t0.elapsed() < Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("ghs_gitsecret42"), "{stderr}");
}

#[test]
fn git_credential_fill_sees_the_token_and_repo_config_stays_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    support::git(&repo, &["init", "-q"]);
    let before = std::fs::read_to_string(repo.join(".git/config")).unwrap();
    let token = Token::new("glpat-fillme").unwrap();
    let env = git_auth::git_env_after("https://gitlab.example/a/b.git", "oauth2", &token, 0);
    let fill = |host: &str| {
        let mut child = git_in(&home, &repo)
            .args(["credential", "fill"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("protocol=https\nhost={host}\n\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = fill("gitlab.example");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("username=oauth2") && text.contains("password=glpat-fillme"),
        "{text}"
    );
    // Another host gets nothing from the helper (and no prompt).
    let other = fill("evil.example");
    assert!(!String::from_utf8_lossy(&other.stdout).contains("glpat-fillme"));
    assert_eq!(
        std::fs::read_to_string(repo.join(".git/config")).unwrap(),
        before
    );
}

// ---- the command ----

fn keyhound(args: &[&str]) -> Command {
    let mut cmd = Command::new(support::BIN);
    cmd.args(args);
    support::clean_env(&mut cmd);
    cmd
}

#[test]
fn org_list_prints_a_repos_file_and_never_the_token() {
    let server = ApiServer::start(three_pages);
    let out = keyhound(&[
        "org",
        "list",
        "--github-org",
        "acme",
        "--github-api",
        &server.url(),
    ])
    .args(["--token-env", "MY_GH_TOKEN"])
    .env("MY_GH_TOKEN", TOKEN)
    .env_remove("GITHUB_TOKEN")
    .output()
    .unwrap();
    let stdout = support::stdout(&out);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        [
            "https://github.example/acme/api.git name=acme/api branch=main",
            "https://github.example/acme/secret.git name=acme/secret branch=main",
            "https://github.example/acme/web.git name=acme/web branch=main",
        ]
    );
    assert!(
        stdout.starts_with("# keyhound org list: 3 repositories (1 forks and 1 archived"),
        "{stdout}"
    );
    assert!(server
        .requests()
        .iter()
        .all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))));

    // A refused token: exit 3, the API's message, the variable's name,
    // not the token.
    let denied = ApiServer::start(|_, _| Reply::json(401, r#"{"message":"Bad credentials"}"#));
    let out = keyhound(&[
        "org",
        "list",
        "--github-org",
        "acme",
        "--github-api",
        &denied.url(),
    ])
    .env("GITHUB_TOKEN", TOKEN)
    .output()
    .unwrap();
    let all = format!("{}{}", support::stdout(&out), support::stderr(&out));
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("Bad credentials") && all.contains("GITHUB_TOKEN"),
        "{all}"
    );
    assert!(!all.contains(TOKEN), "{all}");

    // --token-env naming an unset variable is a usage error.
    let out = keyhound(&[
        "org",
        "list",
        "--github-org",
        "acme",
        "--token-env",
        "KEYHOUND_NOPE_UNSET",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    assert!(support::stderr(&out).contains("KEYHOUND_NOPE_UNSET"));
}

// ---- keyhound org over forge sources ----

/// A work tree with two commits; `secret` goes into `config/app.env`.
fn work_repo(root: &Path, name: &str, secret: Option<&str>) -> std::path::PathBuf {
    let dir = root.join("work").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    support::git(&dir, &["init", "-q"]);
    support::commit_file(&dir, "README.md", &format!("# {name}\n"), "readme");
    if let Some(s) = secret {
        support::commit_file(
            &dir,
            "config/app.env",
            &format!("GITHUB_TOKEN={s}\n"),
            "config",
        );
    }
    dir
}

#[test]
fn keyhound_org_scans_what_the_api_lists_with_the_token_only_in_gits_environment() {
    const LEAKED: &str = "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"; // keyhound:allow
    let tmp = tempfile::tempdir().unwrap();
    let srv = tmp.path().join("srv");
    std::fs::create_dir_all(srv.join("acme")).unwrap();
    for (name, secret) in [("api", Some(LEAKED)), ("web", None), ("fork", Some(LEAKED))] {
        let work = work_repo(tmp.path(), name, secret);
        support::git(
            &srv,
            &[
                "clone",
                "-q",
                "--bare",
                work.to_str().unwrap(),
                &format!("acme/{name}.git"),
            ],
        );
    }
    // acme/web is served over smart HTTP behind Basic auth that only the
    // API token opens; acme/api over file://; the fork is left out.
    let git_server = GitServer::start(srv.clone(), "x-access-token", TOKEN);
    let web_url = format!("{}/acme/web.git", git_server.url());
    let api_url = format!("file://{}", srv.join("acme/api.git").display());
    let fork_url = format!("file://{}", srv.join("acme/fork.git").display());
    let api = ApiServer::start(move |req, _| {
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Reply::json(401, r#"{"message":"Bad credentials"}"#);
        }
        let repo = |name: &str, url: &str, fork: bool| {
            json!({"full_name": name, "clone_url": url, "default_branch": "main",
                   "archived": false, "fork": fork, "private": true})
        };
        match req.path() {
            "/orgs/acme/repos" => Reply::json(
                200,
                json!([
                    repo("acme/api", &api_url, false),
                    repo("acme/web", &web_url, false),
                    repo("acme/fork", &fork_url, true),
                ])
                .to_string(),
            ),
            _ => Reply::json(404, r#"{"message":"Not Found"}"#),
        }
    });
    let cache = tmp.path().join("cache");
    let state = tmp.path().join("state.db");
    let run = || {
        let out = keyhound(&["org", "--github-org", "acme", "--github-api", &api.url()])
            .args([
                "--cache",
                cache.to_str().unwrap(),
                "--state",
                state.to_str().unwrap(),
            ])
            .args(["--format", "json", "--jobs", "2"])
            .env("GITHUB_TOKEN", TOKEN)
            .env("HOME", tmp.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let all = format!("{}{}", support::stdout(&out), support::stderr(&out));
        assert!(!all.contains(TOKEN), "token in output: {all}");
        let json: serde_json::Value =
            serde_json::from_str(&support::stdout(&out)).unwrap_or_else(|e| panic!("{e}: {all}"));
        (out.status.code(), json, all)
    };
    let (code, first, all) = run();
    assert_eq!(code, Some(1), "new findings: {all}");
    let names: Vec<&str> = first["stats"]["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "the fork is left out: {names:?}");
    assert!(
        names.contains(&"acme/api") && names.contains(&"acme/web"),
        "{names:?}"
    );
    for r in first["stats"]["repos"].as_array().unwrap() {
        assert_eq!(r["status"], "complete", "{r:#}");
    }
    let repos_with_findings: Vec<&str> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["repo"].as_str().unwrap())
        .collect();
    assert_eq!(repos_with_findings, ["acme/api"]);
    assert!(
        git_server
            .api
            .requests()
            .iter()
            .any(|r| r.header("authorization").is_some()),
        "acme/web was cloned with the token"
    );

    // Second night: nothing changed, nothing scanned, still authenticated.
    let (code, second, all) = run();
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(second["stats"]["blobs_scanned"], 0, "{second:#}");

    // The token is in no file of the cache or the state store.
    let mut files = Vec::new();
    files_under(&cache, &mut files);
    for entry in std::fs::read_dir(tmp.path()).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("state.db") {
            files.push(entry.path());
        }
    }
    assert!(files.len() > 10, "{files:?}");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "token written to {}",
            f.display()
        );
    }
}

#[test]
fn keyhound_org_clones_gitlab_projects_as_oauth2_with_the_group_token() {
    const GL_TOKEN: &str = "glpat-e2etesttoken98765";
    let tmp = tempfile::tempdir().unwrap();
    let srv = tmp.path().join("srv");
    std::fs::create_dir_all(srv.join("acme/sub")).unwrap();
    let work = work_repo(tmp.path(), "tool", None);
    support::git(
        &srv,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            "acme/sub/tool.git",
        ],
    );
    let git_server = GitServer::start(srv, "oauth2", GL_TOKEN);
    let url = format!("{}/acme/sub/tool.git", git_server.url());
    let api = ApiServer::start(move |req, _| {
        if req.path() != "/api/v4/groups/acme/projects"
            || req.header("private-token") != Some(GL_TOKEN)
        {
            return Reply::json(404, r#"{"message":"404 Group Not Found"}"#);
        }
        Reply::json(
            200,
            json!([{"path_with_namespace": "acme/sub/tool", "http_url_to_repo": url,
                    "default_branch": "main", "archived": false, "visibility": "private"}])
            .to_string(),
        )
    });
    let cache = tmp.path().join("cache");
    let state = tmp.path().join("state.db");
    let out = keyhound(&["org", "--gitlab-group", "acme", "--gitlab-api", &api.url()])
        .args([
            "--cache",
            cache.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ])
        .args(["--format", "json"])
        .env("GITLAB_TOKEN", GL_TOKEN)
        .env("HOME", tmp.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let all = format!("{}{}", support::stdout(&out), support::stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains(GL_TOKEN), "{all}");
    let report: serde_json::Value = serde_json::from_str(&support::stdout(&out)).unwrap();
    let repos = report["stats"]["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 1, "{report:#}");
    assert_eq!(repos[0]["name"], "acme/sub/tool");
    assert_eq!(repos[0]["status"], "complete", "{report:#}");
    assert!(report["stats"]["blobs_scanned"].as_u64().unwrap() > 0);
}

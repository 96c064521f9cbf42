//! `keyhound revoke` end to end: a GitHub token sent to a loopback
//! revocation API that checks the request GitHub documents (unauthenticated
//! `POST /credentials/revoke` with a JSON list, then `GET /user` with the
//! token to confirm), and an AWS key deactivated with its own credentials
//! in moto (IAM and STS, authentication on), after which STS refuses it.
//!
//! Needs `pip install 'moto[server]' awscli` (done by `.ci/run`).

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::Value;

mod support;
use support::{keyhound, stderr, stdout, Server};

/// The `aws` CLI against moto on `port` (see [`support::aws_cli`]).
fn aws(port: u16, args: &[&str]) -> Value {
    support::aws_cli(port, args, Path::new("."))
}

const TOKEN: &str = "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"; // keyhound:allow

/// A GitHub that revokes what it is sent: `/user` answers 200 for a token
/// until it is revoked, 401 after.
fn github() -> Server {
    let revoked: Arc<Mutex<Vec<String>>> = Arc::default();
    Server::start(move |r| match (r.method.as_str(), r.target.as_str()) {
        ("POST", "/credentials/revoke") => {
            if r.header("authorization").is_some()
                || r.header("accept") != Some("application/vnd.github+json")
                || r.header("content-type") != Some("application/json")
            {
                return (400, "{\"message\":\"bad request shape\"}".into());
            }
            let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
            let Some(list) = body["credentials"].as_array() else {
                return (422, "{\"message\":\"credentials missing\"}".into());
            };
            let mut revoked = revoked.lock().unwrap();
            revoked.extend(list.iter().filter_map(|t| t.as_str().map(str::to_string)));
            (202, String::new())
        }
        ("GET", "/user") => {
            let token = r
                .header("authorization")
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or_default();
            if revoked.lock().unwrap().iter().any(|t| t == token) {
                (401, "{\"message\":\"Bad credentials\"}".into())
            } else {
                (200, "{\"login\":\"octocat\"}".into())
            }
        }
        _ => (404, "{}".into()),
    })
}

#[test]
fn a_github_token_is_revoked_and_the_revocation_confirmed() {
    let gh = github();
    let dir = tempfile::tempdir().unwrap();
    let out = keyhound(
        &[
            "revoke",
            "--github-token",
            TOKEN,
            "--yes",
            "--github-api-endpoint",
            &gh.url(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("revoked: "), "{text}");
    assert!(text.contains("401"), "{text}");
    assert!(
        !text.contains(TOKEN) && !stderr(&out).contains(TOKEN),
        "clear token printed"
    );
    let requests = gh.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].target, "/credentials/revoke");
    let body: Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(body, serde_json::json!({ "credentials": [TOKEN] }));
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn a_report_revokes_its_github_tokens_once_each() {
    let gh = github();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("findings.jsonl");
    let line = format!(
        "{{\"rule_id\":\"github-token\",\"secret\":\"{TOKEN}\",\"path\":\"a.env\",\"line\":1}}\n"
    );
    std::fs::write(&report, format!("{line}{line}")).unwrap();
    let out = keyhound(
        &[
            "revoke",
            report.to_str().unwrap(),
            "--yes",
            "--github-api-endpoint",
            &gh.url(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let posts = gh
        .requests()
        .iter()
        .filter(|r| r.target == "/credentials/revoke")
        .count();
    assert_eq!(posts, 1);
}

#[test]
fn nothing_is_sent_without_yes_or_a_terminal() {
    let gh = github();
    let dir = tempfile::tempdir().unwrap();
    let out = keyhound(
        &[
            "revoke",
            "--github-token",
            TOKEN,
            "--github-api-endpoint",
            &gh.url(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("revoke GitHub token ghp_*****M0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(gh.connection_count(), 0, "a request was sent");
}

#[test]
fn github_refusals_are_failures() {
    let gh = Server::start(|_| (422, "{\"message\":\"spammed\"}".into()));
    let dir = tempfile::tempdir().unwrap();
    let out = keyhound(
        &[
            "revoke",
            "--github-token",
            TOKEN,
            "--yes",
            "--github-api-endpoint",
            &gh.url(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("failed:") && stdout(&out).contains("spammed"),
        "{}",
        stdout(&out)
    );
}

/// The key deactivates itself (its policy lets it manage its own keys, as
/// many CI users' do); a key that may not is reported, not retried.
#[test]
fn an_aws_key_is_deactivated_with_its_own_credentials() {
    let (port, _moto) = support::moto_server();
    let manage_own = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:UpdateAccessKey", "iam:ListAccessKeys"], "Resource": "*"}]}"#;
    let key = |user: &str, policy: Option<&str>| {
        aws(port, &["iam", "create-user", "--user-name", user]);
        if let Some(doc) = policy {
            aws(
                port,
                &[
                    "iam",
                    "put-user-policy",
                    "--user-name",
                    user,
                    "--policy-name",
                    "own-keys",
                    "--policy-document",
                    doc,
                ],
            );
        }
        let k = aws(port, &["iam", "create-access-key", "--user-name", user]);
        (
            k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
            k["AccessKey"]["SecretAccessKey"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let (able_id, able_secret) = key("ci", Some(manage_own));
    let (unable_id, unable_secret) = key("reader", None);
    let reset = ureq::post(&format!("http://127.0.0.1:{port}/moto-api/reset-auth"))
        .send("0")
        .expect("reset-auth");
    assert!(reset.status().is_success());
    let url = format!("http://127.0.0.1:{port}");
    let revoke = |id: &str, secret: &str| {
        keyhound(
            &[
                "revoke",
                "--aws-key-id",
                id,
                "--aws-secret",
                secret,
                "--yes",
                "--aws-sts-endpoint",
                &url,
                "--aws-iam-endpoint",
                &url,
            ],
            Path::new("."),
        )
    };
    let out = revoke(&able_id, &able_secret);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("user/ci"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(&able_secret));
    // IAM says so. (moto's STS keeps accepting an inactive key, so the
    // command could not confirm it there and says "accepted"; AWS's STS
    // refuses it once the change has spread.)
    let listed = Command::new("aws")
        .args([
            "iam",
            "list-access-keys",
            "--user-name",
            "ci",
            "--output",
            "json",
        ])
        .env("AWS_ENDPOINT_URL", &url)
        .env("AWS_ACCESS_KEY_ID", &able_id)
        .env("AWS_SECRET_ACCESS_KEY", &able_secret)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap_or(Value::Null);
    let status = listed["AccessKeyMetadata"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["AccessKeyId"] == able_id.as_str()))
        .map(|k| k["Status"].clone());
    assert_eq!(status, Some(Value::from("Inactive")), "{listed}");
    assert!(stdout(&out).starts_with("accepted: ") || stdout(&out).starts_with("revoked: "));

    let denied = revoke(&unable_id, &unable_secret);
    assert_eq!(denied.status.code(), Some(3), "{}", stdout(&denied));
    assert!(
        stdout(&denied).contains("AccessDenied"),
        "{}",
        stdout(&denied)
    );
}

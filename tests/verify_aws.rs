//! AWS verification end to end against a real `moto_server` on loopback,
//! with SigV4 signature checking on: moto recomputes every signature with
//! botocore, so a live verdict proves our signer right.
//!
//! Needs `pip install 'moto[server]'` (done by `.ci/run`). Without
//! `moto_server` these tests fail: they must not pass by skipping.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{assert_valid_sarif, closed_port, jsonl, keyhound, stderr, stdout};

/// moto's credentials: the user's live key, a deleted key, and an
/// AssumeRole session.
struct Moto {
    port: u16,
    _child: support::MotoGuard,
    user_arn: String,
    live_id: String,
    live_secret: String,
    deleted_id: String,
    deleted_secret: String,
    session_id: String,
    session_secret: String,
    session_token: String,
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

fn start() -> Moto {
    let (port, child) = support::moto_server();
    // Setup calls run before authentication is switched on; moto routes
    // them by the service named in the (unchecked) credential scope.
    let iam = |body: &str| aws_call(port, "iam", body);
    let sts = |body: &str| aws_call(port, "sts", body);
    let user = iam("Action=CreateUser&UserName=alice&Version=2010-05-08");
    let user_arn = tag(&user, "Arn");
    let live = iam("Action=CreateAccessKey&UserName=alice&Version=2010-05-08");
    let deleted = iam("Action=CreateAccessKey&UserName=alice&Version=2010-05-08");
    let deleted_id = tag(&deleted, "AccessKeyId");
    iam(&format!(
        "Action=DeleteAccessKey&UserName=alice&AccessKeyId={deleted_id}&Version=2010-05-08"
    ));
    let policy = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22*%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
    let role = iam(&format!(
        "Action=CreateRole&RoleName=deployer&AssumeRolePolicyDocument={policy}&Version=2010-05-08"
    ));
    let role_arn = tag(&role, "Arn");
    let session = sts(&format!(
        "Action=AssumeRole&RoleArn={}&RoleSessionName=ci&Version=2011-06-15",
        role_arn.replace(':', "%3A").replace('/', "%2F")
    ));
    // From now on every request must carry a valid SigV4 signature.
    let reply = http(
        port,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0",
    );
    assert!(reply.contains("\"ok\""), "reset-auth failed: {reply}");
    Moto {
        port,
        _child: child,
        user_arn,
        live_id: tag(&live, "AccessKeyId"),
        live_secret: tag(&live, "SecretAccessKey"),
        deleted_id,
        deleted_secret: tag(&deleted, "SecretAccessKey"),
        session_id: tag(&session, "AccessKeyId"),
        session_secret: tag(&session, "SecretAccessKey"),
        session_token: tag(&session, "SessionToken"),
    }
}

fn aws_call(port: u16, service: &str, body: &str) -> String {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00" // keyhound:allow
    );
    let reply = http(
        port,
        &format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "{service} {body}: {reply}"
    );
    reply
}

fn http(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to moto");
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn tag(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + open.len();
    let end = start + xml[start..].find(&format!("</{name}>")).unwrap();
    xml[start..end].to_string()
}

fn endpoint(m: &Moto) -> String {
    format!("http://127.0.0.1:{}", m.port)
}

/// `keyhound verify --aws-key-id …` results, keyed by rule id.
fn verify(id: &str, secret: &str, token: Option<&str>, sts: &str) -> Vec<Value> {
    let mut args = vec![
        "verify",
        "--aws-key-id",
        id,
        "--aws-secret",
        secret,
        "--aws-sts-endpoint",
        sts,
        "--verify-timeout",
        "3",
        "-f",
        "jsonl",
    ];
    if let Some(t) = token {
        args.extend(["--aws-session-token", t]);
    }
    let out = keyhound(&args, Path::new("."));
    let err = stderr(&out);
    // Whatever happens, the secret never reaches stderr.
    assert!(!err.contains(secret), "secret in stderr: {err}");
    assert!(!stdout(&out).contains(secret), "secret in stdout");
    jsonl(&out)
}

use std::path::Path;

fn status_of(results: &[Value], rule: &str) -> (String, Value) {
    let r = results
        .iter()
        .find(|r| r["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result in {results:?}"));
    (
        r["verification"]["status"].as_str().unwrap().to_string(),
        r["verification"].clone(),
    )
}

#[test]
fn live_key_is_live_with_the_users_arn() {
    let m = moto();
    let results = verify(&m.live_id, &m.live_secret, None, &endpoint(m));
    let (status, v) = status_of(&results, "aws-access-key-id");
    assert_eq!(status, "live", "{v}");
    assert_eq!(v["identity"]["arn"], m.user_arn.as_str());
    assert_eq!(v["identity"]["account"], "123456789012");
    assert!(v["checked_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn wrong_secret_is_dead() {
    let m = moto();
    let mut wrong = m.live_secret.clone();
    wrong.replace_range(
        ..4,
        if wrong.starts_with("AAAA") {
            "BBBB"
        } else {
            "AAAA"
        },
    );
    let results = verify(&m.live_id, &wrong, None, &endpoint(m));
    let (status, v) = status_of(&results, "aws-access-key-id");
    assert_eq!(status, "dead", "{v}");
    assert!(v["reason"]
        .as_str()
        .unwrap()
        .contains("SignatureDoesNotMatch"));
}

#[test]
fn deleted_key_is_dead() {
    let m = moto();
    let results = verify(&m.deleted_id, &m.deleted_secret, None, &endpoint(m));
    let (status, v) = status_of(&results, "aws-access-key-id");
    assert_eq!(status, "dead", "{v}");
    assert!(v["reason"]
        .as_str()
        .unwrap()
        .contains("InvalidClientTokenId"));
}

#[test]
fn session_key_needs_its_token() {
    let m = moto();
    assert!(m.session_id.starts_with("ASIA"));
    let with = verify(
        &m.session_id,
        &m.session_secret,
        Some(&m.session_token),
        &endpoint(m),
    );
    let (status, v) = status_of(&with, "aws-access-key-id");
    assert_eq!(status, "live", "{v}");
    assert!(v["identity"]["arn"]
        .as_str()
        .unwrap()
        .contains("assumed-role/deployer/ci"));
    let (token_status, _) = status_of(&with, "aws-session-token");
    assert_eq!(token_status, "live");
    // Without the token there is nothing to check; no call is made.
    let without = verify(&m.session_id, &m.session_secret, None, &endpoint(m));
    let (status, v) = status_of(&without, "aws-access-key-id");
    assert_eq!(status, "unknown", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("session token"));
    // A wrong token is rejected by STS.
    let wrong = verify(
        &m.session_id,
        &m.session_secret,
        Some("FQoGZXIvYXdzEWRONGTOKENWRONGTOKENWRONGTOKEN"),
        &endpoint(m),
    );
    assert_eq!(status_of(&wrong, "aws-access-key-id").0, "dead");
}

#[test]
fn stopped_server_is_unknown_within_the_timeout() {
    let m = moto();
    let started = Instant::now();
    let dead_end = format!("http://127.0.0.1:{}", closed_port());
    let results = verify(&m.live_id, &m.live_secret, None, &dead_end);
    let (status, v) = status_of(&results, "aws-access-key-id");
    assert_eq!(status, "unknown", "{v}");
    assert!(v["reason"].as_str().unwrap().starts_with("network"), "{v}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn silent_server_times_out_as_unknown() {
    let m = moto();
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let started = Instant::now();
    let out = keyhound(
        &[
            "verify",
            "--aws-key-id",
            &m.live_id,
            "--aws-secret",
            &m.live_secret,
            "--aws-sts-endpoint",
            &url,
            "--verify-timeout",
            "0.5",
            "-f",
            "jsonl",
        ],
        Path::new("."),
    );
    drop(listener);
    let results = jsonl(&out);
    let (status, v) = status_of(&results, "aws-access-key-id");
    assert_eq!(status, "unknown", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("timeout"), "{v}");
    // Three attempts of 0.5 s plus backoff, well under the default 10 s.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn scan_reports_live_and_dead_keys_in_jsonl_and_sarif() {
    let m = moto();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("prod")).unwrap();
    std::fs::create_dir_all(dir.path().join("old")).unwrap();
    std::fs::write(
        dir.path().join("prod/.env"),
        format!(
            "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
            m.live_id, m.live_secret
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("old/credentials"),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            m.deleted_id, m.deleted_secret
        ),
    )
    .unwrap();
    let sts = endpoint(m);
    let scan = |format: &str, extra: &[&str]| {
        let mut args = vec![
            "scan",
            ".",
            "--verify",
            "--aws-sts-endpoint",
            &sts,
            "-f",
            format,
        ];
        args.extend(extra);
        let out = keyhound(&args, dir.path());
        let err = stderr(&out);
        assert!(!err.contains(&m.live_secret) && !err.contains(&m.deleted_secret));
        assert!(
            err.contains("--aws-sts-endpoint"),
            "override warning: {err}"
        );
        out
    };
    let out = scan("jsonl", &[]);
    assert_eq!(out.status.code(), Some(1));
    let findings = jsonl(&out);
    let status = |path: &str, rule: &str| {
        findings
            .iter()
            .find(|f| f["path"] == path && f["rule_id"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {path}: {findings:?}"))["verification"]
            ["status"]
            .clone()
    };
    assert_eq!(status("prod/.env", "aws-access-key-id"), "live");
    assert_eq!(status("prod/.env", "aws-secret-access-key"), "live");
    assert_eq!(status("old/credentials", "aws-access-key-id"), "dead");
    assert_eq!(status("old/credentials", "aws-secret-access-key"), "dead");

    let sarif = assert_valid_sarif(&stdout(&scan("sarif", &[])));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    for r in results {
        let path = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let v = &r["properties"]["verification"];
        if path.starts_with("prod") {
            assert_eq!(v["status"], "live");
            assert_eq!(r["level"], "error");
            assert_eq!(v["identity"]["arn"], m.user_arn.as_str());
        } else {
            assert_eq!(v["status"], "dead");
        }
    }

    // --only-verified keeps the live pair only; still exit 1.
    let only = scan("jsonl", &["--only-verified"]);
    assert_eq!(only.status.code(), Some(1));
    let kept = jsonl(&only);
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.iter().all(|f| f["path"] == "prod/.env"));
}

#[test]
fn report_with_secrets_can_be_verified_later() {
    let m = moto();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("creds.ini"),
        format!(
            "aws_access_key_id = {}\naws_secret_access_key = {}\n",
            m.live_id, m.live_secret
        ),
    )
    .unwrap();
    let report = keyhound(&["scan", ".", "-f", "jsonl", "--show-secrets"], dir.path());
    std::fs::write(dir.path().join("report.jsonl"), &report.stdout).unwrap();
    let out = keyhound(
        &[
            "verify",
            "report.jsonl",
            "--aws-sts-endpoint",
            &endpoint(m),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let results = jsonl(&out);
    assert_eq!(status_of(&results, "aws-access-key-id").0, "live");
    assert!(!stdout(&out).contains(&m.live_secret));
}

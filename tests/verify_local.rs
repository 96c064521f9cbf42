//! GCP and Azure verification against loopback servers that check what
//! the real services check (the JWT's RS256 signature and claims, the
//! SharedKey signature, the client-credentials form); the no-network
//! guarantee without `--verify`; canary and example keys never sent;
//! `keyhound verify`'s input errors.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use support::{assert_valid_sarif, form_value, jsonl, keyhound, stderr, stdout, Received, Server};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/verify");
const TOKEN_AUD: &str = "https://oauth2.googleapis.com/token";
const SA_EMAIL: &str = "ci-deployer@orders-core-318502.iam.gserviceaccount.com";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

/// keyhound with the given environment on top of a clean one.
fn keyhound_env(args: &[&str], cwd: &Path, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(support::BIN);
    cmd.args(args).current_dir(cwd);
    support::clean_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn findings_by_rule(out: &Output) -> BTreeMap<String, Vec<Value>> {
    let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in jsonl(out) {
        map.entry(f["rule_id"].as_str().unwrap().to_string())
            .or_default()
            .push(f);
    }
    map
}

// --------------------------------------------------------------------------
// GCP

/// A service-account key file with the key's PEM JSON-escaped, and a
/// `token_uri` that must never be used.
fn sa_file(key_pem: &str, token_uri: &str) -> String {
    serde_json::json!({
        "type": "service_account",
        "project_id": "orders-core-318502",
        "private_key_id": "43ea37b76e1a48a82cf6d05ebbac0653002ef8a9",
        "private_key": key_pem,
        "client_email": SA_EMAIL,
        "client_id": "716986891443402653598",
        "token_uri": token_uri,
    })
    .to_string()
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: String,
    scope: String,
    iat: i64,
    exp: i64,
}

/// Google's token endpoint as far as verification can tell: checks the
/// form, the assertion's RS256 signature against the service account's
/// registered public key, and its claims.
fn google_token_endpoint() -> Server {
    let public = fixture("gcp-live-pub.pem");
    Server::start(move |r: &Received| {
        let bad = |d: &str| {
            (
                400,
                serde_json::json!({"error": "invalid_grant", "error_description": d}).to_string(),
            )
        };
        if r.method != "POST"
            || r.header("content-type") != Some("application/x-www-form-urlencoded")
        {
            return (400, r#"{"error":"invalid_request"}"#.into());
        }
        if form_value(&r.body, "grant_type").as_deref()
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return (400, r#"{"error":"unsupported_grant_type"}"#.into());
        }
        let Some(assertion) = form_value(&r.body, "assertion") else {
            return (400, r#"{"error":"invalid_request"}"#.into());
        };
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(public.as_bytes()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[TOKEN_AUD]);
        validation.set_issuer(&[SA_EMAIL]);
        match jsonwebtoken::decode::<Claims>(&assertion, &key, &validation) {
            Ok(data) => {
                let c = data.claims;
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                if c.iss != SA_EMAIL
                    || c.scope != "https://www.googleapis.com/auth/cloud-platform"
                    || c.exp - c.iat > 3600
                    || (c.iat - now).abs() > 300
                {
                    return bad("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
                }
                (
                    200,
                    r#"{"access_token":"ya29.never-show-this-token","expires_in":3599,"token_type":"Bearer"}"#
                        .into(),
                )
            }
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
                bad("Invalid JWT Signature.")
            }
            Err(_) => bad("Invalid JWT"),
        }
    })
}

#[test]
fn gcp_service_account_keys_are_exchanged_at_the_allow_listed_endpoint_only() {
    let google = google_token_endpoint();
    // The token_uri written in the file: a planted file must not be able
    // to redirect the credential.
    let planted = Server::start(|_| (200, r#"{"access_token":"x"}"#.into()));
    let dir = tempfile::tempdir().unwrap();
    let planted_uri = format!("{}/token", planted.url());
    std::fs::write(
        dir.path().join("live.json"),
        sa_file(&fixture("gcp-live-key.pem"), &planted_uri),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("old")).unwrap();
    std::fs::write(
        dir.path().join("old/rotated.json"),
        sa_file(&fixture("gcp-rotated-key.pem"), &planted_uri),
    )
    .unwrap();
    let endpoint = format!("{}/token", google.url());
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-token-endpoint",
            &endpoint,
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let found = findings_by_rule(&out);
    let keys = &found["gcp-service-account-key"];
    let by_path = |p: &str| {
        keys.iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("{p} not found: {keys:?}"))["verification"]
            .clone()
    };
    let live = by_path("live.json");
    assert_eq!(live["status"], "live", "{live}");
    assert_eq!(live["identity"]["client_email"], SA_EMAIL);
    assert_eq!(live["identity"]["project"], "orders-core-318502");
    let dead = by_path("old/rotated.json");
    assert_eq!(dead["status"], "dead", "{dead}");
    assert!(dead["reason"]
        .as_str()
        .unwrap()
        .contains("Invalid JWT Signature"));
    assert_eq!(google.requests().len(), 2);
    assert_eq!(
        planted.connection_count(),
        0,
        "token_uri from the file was used"
    );
    // The granted token is never shown.
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("never-show-this-token"));
    assert!(!all.contains("MII"), "private key material in output");
}

#[test]
fn gcp_api_keys_are_probed_with_a_header() {
    const LIVE: &str = "AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs"; // keyhound:allow
    const DEAD: &str = "AIzaSyBm7TqW2nXc4Rz9KpL6vHd3JeF8sUa5YgQ"; // keyhound:allow
    let api = Server::start(|r: &Received| {
        match r.header("x-goog-api-key") {
        Some(LIVE) => (200, r#"{"projectId":"123"}"#.into()),
        _ => (
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#.into(),
        ),
    }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        format!("const maps = \"{LIVE}\";\nconst old = \"{DEAD}\";\n"),
    )
    .unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = findings_by_rule(&out);
    let keys = &found["gcp-api-key"];
    assert_eq!(keys.len(), 2, "{keys:?}");
    let status: Vec<&str> = keys
        .iter()
        .map(|k| k["verification"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["live", "dead"]);
    for r in api.requests() {
        // The key travels in a header, never in the URL.
        assert!(!r.target.contains("AIza"), "{}", r.target);
        assert!(r
            .target
            .starts_with("/identitytoolkit/v3/relyingparty/getProjectConfig"));
    }
}

#[test]
fn allowlisted_keys_are_never_sent() {
    const ALLOWED: &str = "AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs"; // keyhound:allow
    const OTHER: &str = "AIzaSyBm7TqW2nXc4Rz9KpL6vHd3JeF8sUa5YgQ"; // keyhound:allow
    let api = Server::start(|_: &Received| (200, r#"{"projectId":"123"}"#.into()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        format!("const maps = \"{ALLOWED}\";\nconst other = \"{OTHER}\";\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("keyhound.toml"),
        "[allow.gcp-api-key]\nregexes = ['^AIzaSyDq3w']\nreason = \"restricted browser key\"\n",
    )
    .unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "jsonl",
            "--include-suppressed",
        ],
        dir.path(),
    );
    let found = findings_by_rule(&out);
    let keys = &found["gcp-api-key"];
    assert_eq!(keys.len(), 2, "{keys:?}");
    let allowed = keys
        .iter()
        .find(|k| !k["suppression"].is_null())
        .expect("the allowlisted key is listed as suppressed");
    assert!(allowed.get("verification").is_none_or(Value::is_null));
    let requests = api.requests();
    assert_eq!(requests.len(), 1, "only the other key is verified");
    assert_eq!(requests[0].header("x-goog-api-key"), Some(OTHER));
}

// --------------------------------------------------------------------------
// Azure

const ACCOUNT: &str = "stverifytest";

fn storage_key(seed: u8) -> String {
    let bytes: Vec<u8> = (0..64u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(seed).rotate_left(3) ^ 0x5a)
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Blob storage as far as SharedKey goes: recomputes the signature over
/// the documented string-to-sign with the account's key.
fn blob_service(account_key: String) -> Server {
    Server::start(move |r: &Received| {
        let date = r.header("x-ms-date").unwrap_or_default();
        let version = r.header("x-ms-version").unwrap_or_default();
        let auth = r.header("authorization").unwrap_or_default();
        let Some((account, signature)) = auth
            .strip_prefix("SharedKey ")
            .and_then(|a| a.split_once(':'))
        else {
            return (403, error_xml("AuthenticationFailed"));
        };
        if account != ACCOUNT || r.method != "GET" || r.target != "/?comp=list" {
            return (403, error_xml("AuthenticationFailed"));
        }
        let string_to_sign = format!(
            "GET\n{}x-ms-date:{date}\nx-ms-version:{version}\n/{account}/\ncomp:list",
            "\n".repeat(11)
        );
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut mac = Hmac::<Sha256>::new_from_slice(&b64.decode(&account_key).unwrap()).unwrap();
        mac.update(string_to_sign.as_bytes());
        if b64.encode(mac.finalize().into_bytes()) == signature {
            (
                200,
                "<?xml version=\"1.0\"?><EnumerationResults><Containers/></EnumerationResults>"
                    .into(),
            )
        } else {
            (403, error_xml("AuthenticationFailed"))
        }
    })
}

fn error_xml(code: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>Server failed to authenticate the request.</Message></Error>")
}

#[test]
fn azure_storage_keys_are_checked_with_shared_key() {
    let live = storage_key(1);
    let rotated = storage_key(2);
    let blob = blob_service(live.clone());
    let dir = tempfile::tempdir().unwrap();
    let conn = |key: &str| {
        format!("\"AzureWebJobsStorage\": \"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={key};EndpointSuffix=core.windows.net\"\n")
    };
    std::fs::write(dir.path().join("local.settings.json"), conn(&live)).unwrap();
    std::fs::write(dir.path().join("old.settings.json"), conn(&rotated)).unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--azure-blob-endpoint",
            &blob.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = findings_by_rule(&out);
    let keys = &found["azure-storage-account-key"];
    let v = |p: &str| keys.iter().find(|f| f["path"] == p).unwrap()["verification"].clone();
    assert_eq!(v("local.settings.json")["status"], "live");
    assert_eq!(
        v("local.settings.json")["identity"]["storage_account"],
        ACCOUNT
    );
    assert_eq!(v("old.settings.json")["status"], "dead");
    assert!(v("old.settings.json")["reason"]
        .as_str()
        .unwrap()
        .contains("AuthenticationFailed"));
    assert!(!stderr(&out).contains(&live));
}

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "4b7f0d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f";

/// A 40-character Entra secret with a valid checksum.
fn entra_secret(body: &str) -> String {
    let first37 = format!("{}8Q~{}", &body[..3], &body[3..]);
    assert_eq!(first37.len(), 37);
    format!(
        "{first37}{}",
        keyhound::detect::checks::entra_checksum(&first37)
    )
}

/// Entra's token endpoint: checks the client-credentials form.
fn login_service(secret: String) -> Server {
    Server::start(move |r: &Received| {
        let f = |k| form_value(&r.body, k);
        let aad = |status: u16, code: &str| {
            (
                status,
                serde_json::json!({"error": "invalid_client", "error_description": format!("AADSTS{code}: rejected.")}).to_string(),
            )
        };
        if r.target != format!("/{TENANT}/oauth2/v2.0/token")
            || f("grant_type").as_deref() != Some("client_credentials")
            || f("scope").as_deref() != Some("https://graph.microsoft.com/.default")
        {
            return aad(400, "900144");
        }
        if f("client_id").as_deref() != Some(CLIENT) {
            return aad(400, "700016");
        }
        if f("client_secret").as_deref() != Some(secret.as_str()) {
            return aad(401, "7000215");
        }
        (
            200,
            r#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi.never.shown"}"#
                .into(),
        )
    })
}

#[test]
fn entra_client_secrets_use_the_tenant_and_client_found_nearby() {
    let live = entra_secret("kF2nMgmRlGd4fSH7a82NgCWecPbLjindHa");
    let wrong = entra_secret("zQ9nMgmRlGd4fSH7a82NgCWecPbLjindHa");
    let lonely = entra_secret("pP4nMgmRlGd4fSH7a82NgCWecPbLjindHa");
    let login = login_service(live.clone());
    let dir = tempfile::tempdir().unwrap();
    let env = |secret: &str| {
        format!(
            "AZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_ID={CLIENT}\nAZURE_CLIENT_SECRET={secret}\n"
        )
    };
    std::fs::write(dir.path().join("prod.env"), env(&live)).unwrap();
    std::fs::write(dir.path().join("stale.env"), env(&wrong)).unwrap();
    std::fs::write(dir.path().join("lonely.env"), format!("SECRET={lonely}\n")).unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--azure-login-endpoint",
            &login.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = findings_by_rule(&out);
    let secrets = &found["azure-entra-client-secret"];
    let v = |p: &str| {
        secrets
            .iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("{p}: {secrets:?}"))["verification"]
            .clone()
    };
    assert_eq!(v("prod.env")["status"], "live");
    assert_eq!(v("prod.env")["identity"]["tenant"], TENANT);
    assert_eq!(v("prod.env")["identity"]["client_id"], CLIENT);
    assert_eq!(v("stale.env")["status"], "dead");
    assert!(v("stale.env")["reason"]
        .as_str()
        .unwrap()
        .contains("AADSTS7000215"));
    assert_eq!(v("lonely.env")["status"], "unknown");
    assert_eq!(
        v("lonely.env")["reason"],
        "no tenant/client id found near the secret"
    );
    // Two requests: the lonely secret was never sent.
    assert_eq!(login.requests().len(), 2);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!text.contains(&live) && !text.contains("never.shown"));
}

// --------------------------------------------------------------------------
// Safety

/// One credential of each verifiable kind, in one tree.
fn everything(dir: &Path) {
    std::fs::write(
        dir.join(".env"),
        [
            "AWS_ACCESS_KEY_ID=AKIAYTAZMROB6K6IVLAU".to_string(), // keyhound:allow
            "AWS_SECRET_ACCESS_KEY=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".to_string(), // keyhound:allow
            format!("AZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_ID={CLIENT}"),
            format!("AZURE_CLIENT_SECRET={}", entra_secret("kF2nMgmRlGd4fSH7a82NgCWecPbLjindHa")),
            "MAPS_KEY=AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs".to_string(), // keyhound:allow
            format!("STORAGE=DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={};EndpointSuffix=core.windows.net", storage_key(1)),
        ]
        .join("\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("sa.json"),
        sa_file(&fixture("gcp-live-key.pem"), TOKEN_AUD),
    )
    .unwrap();
}

#[test]
fn without_verify_no_connection_is_opened() {
    let listener = Server::start(|_| (500, String::new()));
    let dir = tempfile::tempdir().unwrap();
    everything(dir.path());
    let env: Vec<(&str, String)> = [
        "KEYHOUND_AWS_STS_ENDPOINT",
        "KEYHOUND_GCP_TOKEN_ENDPOINT",
        "KEYHOUND_GCP_API_ENDPOINT",
        "KEYHOUND_AZURE_BLOB_ENDPOINT",
        "KEYHOUND_AZURE_LOGIN_ENDPOINT",
    ]
    .into_iter()
    .map(|k| (k, listener.url()))
    .collect();
    let out = keyhound_env(&["scan", ".", "-f", "jsonl"], dir.path(), &env);
    assert_eq!(out.status.code(), Some(1));
    let found = findings_by_rule(&out);
    for rule in [
        "aws-access-key-id",
        "azure-entra-client-secret",
        "gcp-api-key",
        "azure-storage-account-key",
        "gcp-service-account-key",
    ] {
        assert!(found.contains_key(rule), "{rule} not found: {found:?}");
    }
    assert!(jsonl(&out).iter().all(|f| f.get("verification").is_none()));
    assert_eq!(
        listener.connection_count(),
        0,
        "a scan without --verify connected"
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    // The same run with --verify does reach the listener: the assertion
    // above can fail.
    let out = keyhound_env(
        &[
            "scan",
            ".",
            "-f",
            "jsonl",
            "--verify",
            "--verify-timeout",
            "2",
        ],
        dir.path(),
        &env,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        listener.connection_count() >= 5,
        "{}",
        listener.connection_count()
    );
    for f in jsonl(&out) {
        assert!(f.get("verification").is_some(), "{f}");
    }
    // Every request failed (HTTP 500 after retries): no clear secret in
    // any output, in machine or text form.
    let text = keyhound_env(
        &[
            "scan",
            ".",
            "--verify",
            "--verify-timeout",
            "2",
            "--color",
            "never",
        ],
        dir.path(),
        &env,
    );
    assert!(stdout(&text).contains("unknown: provider error (HTTP 500) after retries"));
    let secrets = [
        "k3Tk+yBj+t9URpKkim2U4VL7JrMxZQNl73wFBZsS".to_string(), // keyhound:allow
        "AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs".to_string(),  // keyhound:allow
        entra_secret("kF2nMgmRlGd4fSH7a82NgCWecPbLjindHa"),
        storage_key(1),
        "MII".to_string(),
    ];
    for o in [&out, &text] {
        let all = format!("{}{}", stdout(o), stderr(o));
        for s in &secrets {
            assert!(!all.contains(s.as_str()), "clear secret in output: {all}");
        }
    }
}

#[test]
fn canary_and_example_keys_are_skipped_without_a_request() {
    let sts = Server::start(|_| (500, String::new()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("canary.env"),
        "aws_access_key_id = AKIAXYZDQCEN4B6JSJQI\naws_secret_access_key = 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\n", // keyhound:allow
    )
    .unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--aws-sts-endpoint",
            &sts.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = jsonl(&out);
    assert_eq!(found.len(), 2, "{found:?}");
    for f in &found {
        assert_eq!(f["verification"]["status"], "skipped");
        assert!(f["verification"]["reason"]
            .as_str()
            .unwrap()
            .contains("canary account 534261010715"));
    }
    let out = keyhound(
        &[
            "verify",
            "--aws-key-id",
            "AKIAIOSFODNN7EXAMPLE", // keyhound:allow
            "--aws-secret",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", // keyhound:allow
            "--aws-sts-endpoint",
            &sts.url(),
            "-f",
            "jsonl",
        ],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(0));
    let results = jsonl(&out);
    assert_eq!(results[0]["verification"]["status"], "skipped");
    assert_eq!(
        results[0]["verification"]["reason"],
        "documentation example key"
    );
    assert_eq!(sts.connection_count(), 0);
}

#[test]
fn sarif_with_verification_validates_and_raises_live_to_error() {
    let api = Server::start(|_| (200, "{}".into()));
    let dir = tempfile::tempdir().unwrap();
    // A medium-severity rule would be a warning; live makes it an error.
    std::fs::write(
        dir.path().join("app.js"),
        "const k = \"AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs\";\n", // keyhound:allow
    )
    .unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "sarif",
        ],
        dir.path(),
    );
    let sarif = assert_valid_sarif(&stdout(&out));
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["level"], "error");
    assert_eq!(result["properties"]["verification"]["status"], "live");
    // Text shows it too.
    let text = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "--color",
            "never",
        ],
        dir.path(),
    );
    assert!(
        stdout(&text).contains("  verified    live"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn malformed_reports_name_the_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.jsonl"),
        "{\"rule_id\":\"gcp-api-key\",\"secret\":\"AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs\"}\n{\"rule_id\": \"x\", \"secret\": hunter2hunter2}\n", // keyhound:allow
    )
    .unwrap();
    let out = keyhound(&["verify", "bad.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.jsonl line 2"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    // A redacted report cannot be verified.
    let report =
        "{\"rule_id\":\"gcp-api-key\",\"secret\":\"AIza*****As\",\"path\":\"a\",\"line\":1}\n";
    std::fs::write(dir.path().join("redacted.jsonl"), report).unwrap();
    let out = keyhound(&["verify", "redacted.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--show-secrets"));
    // Neither a report nor a key: usage error.
    assert_eq!(keyhound(&["verify"], dir.path()).status.code(), Some(2));
    // A bad endpoint override is a usage error, before anything is sent.
    let bad = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--aws-sts-endpoint",
            "ftp://example.com",
        ],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--aws-sts-endpoint"),
        "{}",
        stderr(&bad)
    );
    // --only-verified needs --verify.
    assert_eq!(
        keyhound(&["scan", ".", "--only-verified"], dir.path())
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn throttling_is_retried_and_each_credential_is_sent_once() {
    const KEY: &str = "AIzaSyDq3wJ8vRn2Kx7LpT4mZc9QeHb5YuN1oAs"; // keyhound:allow
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    // Throttles the first request, then answers.
    let api = Server::start(move |_| {
        if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            (429, "{}".into())
        } else {
            (200, "{}".into())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    // The same key in three files and a commit-like copy: one credential.
    for name in ["a.js", "b.js", "c/d.js"] {
        std::fs::create_dir_all(dir.path().join(name).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(name), format!("k = \"{KEY}\"\n")).unwrap();
    }
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = jsonl(&out);
    // One secret, one finding with three places.
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["locations"].as_array().unwrap().len(), 3);
    assert_eq!(found[0]["verification"]["status"], "live");
    let requests = api.requests();
    assert_eq!(requests.len(), 2, "one throttled attempt and one retry");
    let ua = format!("keyhound/{}", env!("CARGO_PKG_VERSION"));
    assert!(requests
        .iter()
        .all(|r| r.header("user-agent") == Some(ua.as_str())));
}

#[test]
fn git_history_findings_are_verified() {
    const KEY: &str = "AIzaSyBm7TqW2nXc4Rz9KpL6vHd3JeF8sUa5YgQ"; // keyhound:allow
    let api = Server::start(|_| (200, "{}".into()));
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(dir.path().join("app.js"), format!("k = \"{KEY}\"\n")).unwrap();
    git(&["add", "app.js"]);
    git(&["commit", "-qm", "add key"]);
    git(&["rm", "-q", "app.js"]);
    git(&["commit", "-qm", "remove key"]);
    let out = keyhound(
        &[
            "git",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = jsonl(&out);
    assert_eq!(found.len(), 1, "{}", stderr(&out));
    assert_eq!(found[0]["verification"]["status"], "live");
    assert_eq!(found[0]["git"]["in_head"], false);
}

#[test]
fn allowed_findings_are_never_sent() {
    let api = Server::start(|_| (200, "{}".into()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        "k = \"AIzaSyBm7TqW2nXc4Rz9KpL6vHd3JeF8sUa5YgQ\" // keyhound:allow\n",
    )
    .unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "sarif",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sarif = assert_valid_sarif(&stdout(&out));
    // Reported as suppressed, not verified, and nothing was sent.
    let result = &sarif["runs"][0]["results"][0];
    assert!(result["suppressions"].is_array());
    assert!(result["properties"].get("verification").is_none());
    assert_eq!(api.connection_count(), 0);
}

#[test]
fn findings_in_the_ignore_file_are_never_sent() {
    // Verification runs after triage: a key the team declared ignorable
    // in .keyhoundignore is not sent, while an identical scan without the
    // entry does send it (so the assertion can fail).
    let api = Server::start(|_| (200, "{}".into()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        "k = \"AIzaSyC4nR8wQ2mTz6KpV3bLx9HdJ7eFs5UaYgP\"\n", // keyhound:allow
    )
    .unwrap();
    let args = [
        "scan",
        ".",
        "--verify",
        "--gcp-api-endpoint",
        &api.url(),
        "-f",
        "jsonl",
    ];
    std::fs::write(
        dir.path().join(".keyhoundignore"),
        "path:app.js # test fixture\n",
    )
    .unwrap();
    let out = keyhound(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(api.connection_count(), 0);

    std::fs::remove_file(dir.path().join(".keyhoundignore")).unwrap();
    let out = keyhound(&args, dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(jsonl(&out)[0]["verification"]["status"], "live");
    assert!(api.connection_count() > 0);
}

#[test]
fn secret_candidates_of_one_key_id_stop_at_the_live_one() {
    // Accepts anything: whichever candidate is tried first is live, and
    // the other must then not be sent at all.
    let sts = Server::start(|_| {
        (
            200,
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::590611254147:user/ci</Arn><Account>590611254147</Account></GetCallerIdentityResult></GetCallerIdentityResponse>".into(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("credentials"),
        [
            "aws_access_key_id = AKIAYTAZMROB6K6IVLAU", // keyhound:allow
            "aws_secret_access_key = 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", // keyhound:allow
            "old_aws_secret_access_key = V2/uiH18gIqHjDQILW+nYk/Hpa6fxbEiwg8xl2bS", // keyhound:allow
        ]
        .join("\n"),
    )
    .unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--aws-sts-endpoint",
            &sts.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = findings_by_rule(&out);
    assert_eq!(sts.requests().len(), 1, "{:?}", sts.requests());
    assert_eq!(
        found["aws-access-key-id"][0]["verification"]["status"],
        "live"
    );
    let mut secrets: Vec<(String, String)> = found["aws-secret-access-key"]
        .iter()
        .map(|f| {
            (
                f["verification"]["status"].as_str().unwrap().to_string(),
                f["verification"]["reason"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    secrets.sort();
    assert_eq!(secrets.len(), 2, "{secrets:?}");
    assert_eq!(secrets[0].0, "dead");
    assert!(secrets[0].1.contains("another secret"));
    assert_eq!(secrets[1].0, "live");
}

/// `n` distinct, well-formed Google API keys.
fn api_keys(n: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            let body: String = (0..35)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    ALPHABET[(x % 64) as usize] as char
                })
                .collect();
            format!("AIza{body}")
        })
        .collect()
}

/// Runs a `--verify` scan of `keys` against a server that takes 150 ms
/// per request; returns the most requests it had in flight at once and
/// the request arrival times.
fn in_flight(keys: &[String], extra: &[&str]) -> (usize, Vec<std::time::Instant>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let now = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let (n, m, a) = (now.clone(), max.clone(), arrivals.clone());
    let api = Server::start(move |_| {
        a.lock().unwrap().push(std::time::Instant::now());
        let current = n.fetch_add(1, Ordering::SeqCst) + 1;
        m.fetch_max(current, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(150));
        n.fetch_sub(1, Ordering::SeqCst);
        (200, "{}".into())
    });
    let dir = tempfile::tempdir().unwrap();
    let text: String = keys.iter().map(|k| format!("k = \"{k}\"\n")).collect();
    std::fs::write(dir.path().join("keys.js"), text).unwrap();
    let mut args = vec!["scan", ".", "--verify", "--gcp-api-endpoint"];
    let url = api.url();
    args.push(&url);
    args.extend(["-f", "jsonl"]);
    args.extend(extra);
    let out = keyhound(&args, dir.path());
    let found = jsonl(&out);
    assert_eq!(found.len(), keys.len(), "{}", stderr(&out));
    assert!(found.iter().all(|f| f["verification"]["status"] == "live"));
    let arrivals = arrivals.lock().unwrap().clone();
    (max.load(Ordering::SeqCst), arrivals)
}

#[test]
fn concurrency_and_rate_are_bounded() {
    let keys = api_keys(6);
    let (two, _) = in_flight(
        &keys,
        &["--verify-concurrency", "2", "--verify-rate", "1000"],
    );
    assert!(
        two <= 2,
        "{two} requests in flight with --verify-concurrency 2"
    );
    // With more workers the same scan does overlap more: the bound above
    // is what held it back.
    let (six, _) = in_flight(
        &keys,
        &["--verify-concurrency", "6", "--verify-rate", "1000"],
    );
    assert!(six > 2, "{six}");
    // 4 requests at 10 per second: at least 300 ms from first to last.
    let (_, arrivals) = in_flight(
        &keys[..4],
        &["--verify-concurrency", "4", "--verify-rate", "10"],
    );
    let spread = *arrivals.iter().max().unwrap() - *arrivals.iter().min().unwrap();
    assert!(
        spread >= std::time::Duration::from_millis(290),
        "{spread:?}"
    );
}

#[test]
fn reports_are_read_from_stdin() {
    let api = Server::start(|_| (200, "{}".into()));
    let report = format!(
        "{{\"rule_id\":\"gcp-api-key\",\"secret\":\"{}\",\"path\":\"app.js\",\"line\":3}}\n",
        api_keys(1)[0]
    );
    let mut cmd = Command::new(support::BIN);
    support::clean_env(&mut cmd);
    let mut child = cmd
        .args([
            "verify",
            "-",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "jsonl",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(report.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let results = jsonl(&out);
    assert_eq!(results[0]["path"], "app.js");
    assert_eq!(results[0]["line"], 3);
    assert_eq!(results[0]["verification"]["status"], "live");
    assert_eq!(api.requests().len(), 1);
}

#[test]
fn redirects_are_never_followed() {
    let elsewhere = Server::start(|_| (200, "{}".into()));
    let target = format!("{}/steal", elsewhere.url());
    let api = Server::start(move |_| (302, target.clone()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        format!("k = \"{}\"\n", api_keys(1)[0]),
    )
    .unwrap();
    let out = keyhound(
        &[
            "scan",
            ".",
            "--verify",
            "--gcp-api-endpoint",
            &api.url(),
            "-f",
            "jsonl",
        ],
        dir.path(),
    );
    let found = jsonl(&out);
    assert_eq!(found[0]["verification"]["status"], "unknown");
    assert_eq!(api.requests().len(), 1, "a redirect is not retried");
    assert_eq!(elsewhere.connection_count(), 0, "the redirect was followed");
}

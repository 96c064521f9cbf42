//! Google Cloud: service-account keys (a signed JWT exchanged at Google's
//! token endpoint) and API keys (a read-only probe).
//!
//! Only Google's own endpoints are contacted, never the `token_uri` of a
//! scanned key file: a planted file could otherwise send its reader's
//! request anywhere. A granted access token is proof enough; it is dropped
//! unread, never printed nor kept.

use std::collections::BTreeMap;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::transport::{Provider, Request, Transport};
use super::Verdict;
use crate::finding::Secret;

/// The token endpoint, and the audience of every assertion.
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const API_BASE: &str = "https://www.googleapis.com";
const API_PROBE: &str = "/identitytoolkit/v3/relyingparty/getProjectConfig";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const JWT_BEARER: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// Rebuilds a PEM from a key as found in a JSON file: `\n` escapes (also
/// doubly escaped), stray backslashes and quotes removed, the body
/// re-wrapped.
pub fn normalize_pem(found: &str) -> Option<String> {
    let begin = found.find("-----BEGIN ")?;
    let label_end = begin + found[begin..].find("KEY-----")? + "KEY-----".len();
    let label = &found[begin..label_end];
    let end = found.find("-----END ")?;
    let body: String = found[label_end..end]
        .replace("\\n", "")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    let kind = &label["-----BEGIN ".len()..label.len() - "-----".len()];
    let mut pem = format!("{label}\n");
    for chunk in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).ok()?);
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {kind}-----\n"));
    Some(pem)
}

/// The signed assertion for `client_email`, valid for an hour from now.
fn assertion(client_email: &str, private_key: &Secret) -> Result<String, String> {
    let pem =
        normalize_pem(private_key.expose()).ok_or("the private key is not a complete PEM block")?;
    // The error of the PEM parser is not shown: it could quote key bytes.
    let key = EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|_| "the private key is not an RSA key keyhound can read".to_string())?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        iss: client_email,
        scope: SCOPE,
        aud: TOKEN_URL,
        iat: now,
        exp: now + 3600,
    };
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map_err(|_| "could not sign the assertion".to_string())
}

/// The project a service account belongs to, from its email.
fn project_of(client_email: &str) -> Option<&str> {
    client_email
        .split_once('@')?
        .1
        .strip_suffix(".iam.gserviceaccount.com")
}

/// Exchanges a signed JWT for an access token.
pub fn verify_service_account(
    transport: &Transport,
    client_email: &str,
    private_key: &Secret,
) -> Verdict {
    let jwt = match assertion(client_email, private_key) {
        Ok(jwt) => jwt,
        Err(why) => return Verdict::unknown(why),
    };
    let url = transport
        .endpoints()
        .gcp_token
        .clone()
        .unwrap_or_else(|| TOKEN_URL.to_string());
    let request = Request {
        provider: Provider::Gcp,
        method: "POST",
        url,
        headers: vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )],
        body: format!("grant_type={JWT_BEARER}&assertion={jwt}").into_bytes(),
    };
    match transport.send(&request) {
        Ok(reply) => classify_token(reply.status, &reply.body, client_email),
        Err(failure) => Verdict::unknown(failure.reason(transport.timeout())),
    }
}

/// Maps the token endpoint's answer to a verdict (reference B2.1).
pub fn classify_token(status: u16, body: &str, client_email: &str) -> Verdict {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    if status == 200 && json.get("access_token").is_some() {
        let mut identity = BTreeMap::from([("client_email".to_string(), client_email.to_string())]);
        if let Some(project) = project_of(client_email) {
            identity.insert("project".to_string(), project.to_string());
        }
        return Verdict::live(identity);
    }
    let error = json.get("error").and_then(|e| e.as_str()).unwrap_or("");
    let description = json
        .get("error_description")
        .and_then(|e| e.as_str())
        .unwrap_or("");
    let lower = description.to_ascii_lowercase();
    match error {
        "invalid_grant" if lower.contains("invalid jwt signature") => {
            Verdict::dead("key deleted or rotated (invalid_grant: Invalid JWT Signature)")
        }
        "invalid_grant" if lower.contains("timeframe") => {
            Verdict::unknown("clock skew (invalid_grant: token not in a reasonable timeframe)")
        }
        "invalid_grant"
            if lower.contains("not found")
                || lower.contains("disabled")
                || lower.contains("deleted") =>
        {
            Verdict::dead(format!(
                "service account gone or disabled (invalid_grant: {})",
                super::printable(description)
            ))
        }
        "" => Verdict::unknown(format!("unexpected response (HTTP {status})")),
        other => Verdict::unknown(format!(
            "unexpected response (HTTP {status}, {})",
            super::printable(other)
        )),
    }
}

/// The read-only API key probe; the key travels in `X-goog-api-key`, not
/// in the URL, to stay out of proxy logs.
pub fn verify_api_key(transport: &Transport, key: &Secret) -> Verdict {
    let base = transport
        .endpoints()
        .gcp_api
        .as_deref()
        .unwrap_or(API_BASE)
        .trim_end_matches('/');
    let request = Request {
        provider: Provider::Gcp,
        method: "GET",
        url: format!("{base}{API_PROBE}"),
        headers: vec![("x-goog-api-key", key.expose().to_string())],
        body: Vec::new(),
    };
    match transport.send(&request) {
        Ok(reply) => classify_api_key(reply.status, &reply.body),
        Err(failure) => Verdict::unknown(failure.reason(transport.timeout())),
    }
}

/// Reference B2.2: 200 live; 403 live but restricted (restrictions apply
/// only once Google has recognised the key); 400 "API key not valid" dead.
pub fn classify_api_key(status: u16, body: &str) -> Verdict {
    match status {
        200 => Verdict::live(BTreeMap::new()),
        403 => Verdict {
            reason: Some("key recognised; restricted for this API".into()),
            ..Verdict::live(BTreeMap::new())
        },
        400 if body.contains("API_KEY_INVALID") || body.contains("API key not valid") => {
            Verdict::dead("API key not valid (API_KEY_INVALID)")
        }
        _ => Verdict::unknown(format!("unexpected response (HTTP {status})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Status;

    #[test]
    fn pem_is_rebuilt_from_json_escapes() {
        let found = "-----BEGIN PRIVATE KEY-----\\nMIIB\\nQUFB\\n-----END PRIVATE KEY-----\\n";
        assert_eq!(
            normalize_pem(found).unwrap(),
            "-----BEGIN PRIVATE KEY-----\nMIIBQUFB\n-----END PRIVATE KEY-----\n"
        );
        let double = found.replace("\\n", "\\\\n");
        assert_eq!(normalize_pem(&double), normalize_pem(found));
        assert!(normalize_pem("no pem here").is_none());
    }

    #[test]
    fn token_responses_are_classified() {
        let email = "sa@proj-1.iam.gserviceaccount.com";
        let live = classify_token(200, r#"{"access_token":"t","expires_in":3599}"#, email);
        assert_eq!(live.status, Status::Live);
        assert_eq!(live.identity["project"], "proj-1");
        let bad_sig = r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#;
        assert_eq!(classify_token(400, bad_sig, email).status, Status::Dead);
        let skew = r#"{"error":"invalid_grant","error_description":"Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"}"#;
        assert_eq!(classify_token(400, skew, email).status, Status::Unknown);
        assert_eq!(classify_token(500, "", email).status, Status::Unknown);
    }

    #[test]
    fn api_key_responses_are_classified() {
        assert_eq!(classify_api_key(200, "{}").status, Status::Live);
        assert_eq!(classify_api_key(403, "{}").status, Status::Live);
        let invalid = r#"{"error":{"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#;
        assert_eq!(classify_api_key(400, invalid).status, Status::Dead);
        assert_eq!(classify_api_key(400, "{}").status, Status::Unknown);
    }
}

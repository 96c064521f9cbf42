//! AWS: `sts:GetCallerIdentity`, SigV4-signed, to `sts.amazonaws.com`.
//!
//! The call needs no permission and changes nothing, but it is logged in
//! the key owner's CloudTrail (with our User-Agent). Before any call, the
//! account id is decoded from the key id offline: keys of known canary
//! accounts and documentation keys are skipped, because asking AWS about a
//! canary is exactly what trips it.

use std::collections::BTreeMap;

use ureq::http::Uri;

use super::sigv4::{self, SignInput};
use super::transport::{Provider, Reply, Request, Transport};
use super::{printable, Verdict};
use crate::detect::checks::{aws_account_id, is_aws_canary_account};
use crate::finding::Secret;

const OFFICIAL: &str = "https://sts.amazonaws.com";
/// The global endpoint signs as us-east-1.
const REGION: &str = "us-east-1";
const BODY: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Whether a key id can be verified at all: AKIA (long-term) and ASIA
/// (temporary) are; ABIA/ACCA have no known read-only check.
pub fn verifiable_key_id(key_id: &str) -> bool {
    key_id.len() == 20 && (key_id.starts_with("AKIA") || key_id.starts_with("ASIA"))
}

/// The verdict reached without the network, if any: canary accounts,
/// documentation keys, unverifiable prefixes, ASIA without its token.
pub fn offline(key_id: &str, secret: Option<&Secret>, has_token: bool) -> Option<Verdict> {
    if !verifiable_key_id(key_id) {
        return Some(Verdict::skipped(
            "not verifiable: only AKIA and ASIA key ids can be checked",
        ));
    }
    if let Some(account) = aws_account_id(key_id) {
        if is_aws_canary_account(&account) {
            return Some(Verdict::skipped(format!(
                "canary account {account}: a call would alert whoever planted the key"
            )));
        }
    }
    if is_example(key_id) || secret.is_some_and(|s| is_example(s.expose())) {
        return Some(Verdict::skipped("documentation example key"));
    }
    if key_id.starts_with("ASIA") && !has_token {
        return Some(Verdict::unknown(
            "no session token found for this ASIA key id",
        ));
    }
    None
}

/// AWS documentation and SigV4 test-suite keys all say so.
fn is_example(s: &str) -> bool {
    s.contains("EXAMPLE")
}

/// Asks STS who owns the key.
pub fn verify(
    transport: &Transport,
    key_id: &str,
    secret: &Secret,
    session_token: Option<&Secret>,
) -> Verdict {
    if let Some(verdict) = offline(key_id, Some(secret), session_token.is_some()) {
        return verdict;
    }
    let base = transport
        .endpoints()
        .aws_sts
        .as_deref()
        .unwrap_or(OFFICIAL)
        .to_string();
    let key = Key {
        id: key_id,
        secret,
        session_token,
    };
    match query(transport, &base, "sts", &key, BODY) {
        Ok(reply) => classify(reply.status, &reply.body, key_id),
        Err(reason) => Verdict::unknown(reason),
    }
}

/// An AWS key as the signer needs it.
pub struct Key<'a> {
    pub id: &'a str,
    pub secret: &'a Secret,
    pub session_token: Option<&'a Secret>,
}

/// Sends one SigV4-signed Query API request (`Action=…&Version=…` form
/// body) for `service` to `base` (an official endpoint or an override).
/// Both services keyhound calls (STS, IAM) are global and sign as
/// us-east-1.
pub(super) fn query(
    transport: &Transport,
    base: &str,
    service: &str,
    key: &Key<'_>,
    body: &[u8],
) -> Result<Reply, String> {
    let url = format!("{}/", base.trim_end_matches('/'));
    let Some(host) = authority(&url) else {
        return Err(format!("invalid {service} endpoint"));
    };
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let mut signed: Vec<(&str, &str)> = vec![
        ("content-type", CONTENT_TYPE),
        ("host", &host),
        ("x-amz-date", &amz_date),
    ];
    if let Some(token) = key.session_token {
        signed.push(("x-amz-security-token", token.expose()));
    }
    let auth = sigv4::authorization(&SignInput {
        key_id: key.id,
        secret: key.secret.expose(),
        amz_date: &amz_date,
        region: REGION,
        service,
        headers: &signed,
        body,
    });
    let mut headers = vec![
        ("content-type", CONTENT_TYPE.to_string()),
        ("x-amz-date", amz_date.clone()),
        ("authorization", auth),
    ];
    if let Some(token) = key.session_token {
        headers.push(("x-amz-security-token", token.expose().to_string()));
    }
    let request = Request {
        provider: Provider::Aws,
        method: "POST",
        url,
        headers,
        body: body.to_vec(),
    };
    transport
        .send(&request)
        .map_err(|failure| failure.reason(transport.timeout()))
}

/// `host` or `host:port`, as the HTTP client will send it in `Host`.
fn authority(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    let host = uri.host()?;
    Some(match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// Maps STS's answer to a verdict (reference table B1.3).
pub fn classify(status: u16, body: &str, key_id: &str) -> Verdict {
    if status == 200 {
        let mut identity = BTreeMap::new();
        for (tag, key) in [
            ("Arn", "arn"),
            ("Account", "account"),
            ("UserId", "user_id"),
        ] {
            if let Some(v) = xml_text(body, tag) {
                identity.insert(key.to_string(), v);
            }
        }
        return Verdict::live(identity);
    }
    let code = xml_text(body, "Code").unwrap_or_default();
    let message = xml_text(body, "Message").unwrap_or_default();
    match code.as_str() {
        "InvalidClientTokenId" if key_id.starts_with("ASIA") => {
            Verdict::dead("key id or session token not recognised (InvalidClientTokenId)")
        }
        "InvalidClientTokenId" => Verdict::dead(
            "key id not recognised: deleted, inactive or revoked (InvalidClientTokenId)",
        ),
        "SignatureDoesNotMatch" if message.contains("expired") => {
            Verdict::unknown("clock skew: the signature was dated too far from AWS's clock")
        }
        "SignatureDoesNotMatch" => {
            Verdict::dead("wrong secret for this key id (SignatureDoesNotMatch)")
        }
        "ExpiredToken" => Verdict::dead("session token expired (ExpiredToken)"),
        "RequestExpired" => Verdict::unknown("clock skew (RequestExpired)"),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
            Verdict::unknown(format!("throttled by AWS after retries ({code})"))
        }
        "AccessDenied" => {
            let mut identity = BTreeMap::new();
            if let Some(account) = aws_account_id(key_id) {
                identity.insert("account".to_string(), account);
            }
            Verdict {
                reason: Some("signature accepted, GetCallerIdentity denied".into()),
                ..Verdict::live(identity)
            }
        }
        "" => Verdict::unknown(format!("unexpected response (HTTP {status})")),
        other => Verdict::unknown(format!(
            "unexpected response (HTTP {status}, {})",
            printable(other)
        )),
    }
}

/// The text of the first `<tag>…</tag>`: enough for STS's flat answers,
/// without an XML parser.
pub(super) fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&close)?;
    Some(printable(body[start..start + len].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canary_and_example_keys_are_skipped_offline() {
        let canary = offline("AKIAXYZDQCEN4B6JSJQI", None, false).unwrap(); // keyhound:allow
        assert_eq!(canary.status, super::super::Status::Skipped);
        assert!(canary.reason.unwrap().contains("534261010715"));
        let example = offline("AKIAIOSFODNN7EXAMPLE", None, false).unwrap(); // keyhound:allow
        assert!(example.reason.unwrap().contains("example"));
        let asia = offline("ASIARZPUZDIKK2J7GGFG", None, false).unwrap(); // keyhound:allow
        assert_eq!(asia.status, super::super::Status::Unknown);
        assert!(offline("AKIARZPUZDIKK2J7GGFG", None, false).is_none()); // keyhound:allow
        assert!(offline("ABIARZPUZDIKK2J7GGFG", None, false).is_some()); // keyhound:allow
    }

    #[test]
    fn responses_are_classified_as_the_reference_says() {
        use super::super::Status::*;
        let ok = "<GetCallerIdentityResponse><GetCallerIdentityResult>\
                  <Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDA1</UserId>\
                  <Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        let live = classify(200, ok, "AKIA");
        assert_eq!(live.status, Live);
        assert_eq!(live.identity["arn"], "arn:aws:iam::123456789012:user/alice");
        assert_eq!(live.identity["account"], "123456789012");
        let err = |code: &str, msg: &str| {
            format!("<ErrorResponse><Error><Code>{code}</Code><Message>{msg}</Message></Error></ErrorResponse>")
        };
        let v = |s, c: &str, m: &str| classify(s, &err(c, m), "AKIA").status;
        assert_eq!(v(403, "InvalidClientTokenId", "x"), Dead);
        assert_eq!(v(403, "SignatureDoesNotMatch", "x"), Dead);
        assert_eq!(
            v(403, "SignatureDoesNotMatch", "Signature expired: 2015"),
            Unknown
        );
        assert_eq!(v(400, "ExpiredToken", "x"), Dead);
        assert_eq!(v(400, "RequestExpired", "x"), Unknown);
        assert_eq!(v(403, "AccessDenied", "x"), Live);
        assert_eq!(v(503, "", ""), Unknown);
        let throttled = classify(400, &err("Throttling", "Rate exceeded"), "AKIA");
        assert_eq!(throttled.status, Unknown);
        assert!(throttled.reason.unwrap().contains("throttled"));
    }

    #[test]
    fn authority_keeps_explicit_ports() {
        assert_eq!(
            authority("http://127.0.0.1:5055/").as_deref(),
            Some("127.0.0.1:5055")
        );
        assert_eq!(
            authority("https://sts.amazonaws.com/").as_deref(),
            Some("sts.amazonaws.com")
        );
    }
}

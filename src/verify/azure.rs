//! Azure: storage account keys (a SharedKey-signed "list containers" call
//! to `<account>.blob.core.windows.net`) and Entra ID client secrets (the
//! client-credentials token request to `login.microsoftonline.com`).
//!
//! Account names, tenant ids and client ids come from scanned data, so
//! each is checked against its strict shape before it becomes part of a
//! host name or path.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::transport::{is_storage_account, Failure, Provider, Request, Transport};
use super::Verdict;
use crate::finding::Secret;

const STORAGE_VERSION: &str = "2019-12-12";
const LOGIN: &str = "https://login.microsoftonline.com";
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The SharedKey string to sign for `GET /?comp=list`.
pub fn storage_string_to_sign(account: &str, date: &str) -> String {
    format!(
        "GET\n{}x-ms-date:{date}\nx-ms-version:{STORAGE_VERSION}\n/{account}/\ncomp:list",
        "\n".repeat(11)
    )
}

/// `base64(HMAC-SHA256(base64decode(key), string_to_sign))`, or `None`
/// when the key is not base64.
pub fn shared_key_signature(key: &str, string_to_sign: &str) -> Option<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let raw = engine.decode(key.trim()).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&raw).ok()?;
    mac.update(string_to_sign.as_bytes());
    Some(engine.encode(mac.finalize().into_bytes()))
}

/// RFC 1123 date, as `x-ms-date` wants it.
fn rfc1123_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap_or_default()
}

/// Lists the account's containers with the key.
pub fn verify_storage(transport: &Transport, account: &str, key: &Secret) -> Verdict {
    if !is_storage_account(account) {
        return Verdict::unknown("storage account name is not valid");
    }
    let date = rfc1123_now();
    let Some(signature) =
        shared_key_signature(key.expose(), &storage_string_to_sign(account, &date))
    else {
        return Verdict::dead("not a base64 storage key");
    };
    let overridden = transport.endpoints().azure_blob.as_deref();
    let base = match overridden {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("https://{account}.blob.core.windows.net"),
    };
    let request = Request {
        provider: Provider::Azure,
        method: "GET",
        url: format!("{base}/?comp=list"),
        headers: vec![
            ("x-ms-date", date),
            ("x-ms-version", STORAGE_VERSION.to_string()),
            ("authorization", format!("SharedKey {account}:{signature}")),
        ],
        body: Vec::new(),
    };
    match transport.send(&request) {
        Ok(reply) => classify_storage(reply.status, &reply.body, account),
        Err(Failure::HostNotFound) if overridden.is_none() => {
            Verdict::dead("storage account does not exist (no DNS name)")
        }
        Err(failure) => Verdict::unknown(failure.reason(transport.timeout())),
    }
}

/// Reference B3.2.
pub fn classify_storage(status: u16, body: &str, account: &str) -> Verdict {
    let code = xml_code(body);
    match (status, code.as_str()) {
        (200, _) => Verdict::live(BTreeMap::from([(
            "storage_account".to_string(),
            account.to_string(),
        )])),
        (403, "AuthenticationFailed") => {
            Verdict::dead("wrong or rotated key (AuthenticationFailed)")
        }
        (403, "AuthorizationFailure") => Verdict::unknown(
            "the account's network rules block this caller; the key may be valid (AuthorizationFailure)",
        ),
        (403, "KeyBasedAuthenticationNotPermitted") => {
            Verdict::unknown("shared key access is disabled on the account")
        }
        _ => Verdict::unknown(format!("unexpected response (HTTP {status})")),
    }
}

fn xml_code(body: &str) -> String {
    let Some(start) = body.find("<Code>") else {
        return String::new();
    };
    let rest = &body[start + 6..];
    rest.find("</Code>")
        .map(|end| super::printable(&rest[..end]))
        .unwrap_or_default()
}

/// A GUID (`8-4-4-4-12` hex).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A tenant: a GUID or a verified domain (`contoso.onmicrosoft.com`).
pub fn is_tenant(s: &str) -> bool {
    is_guid(s)
        || ((3..=253).contains(&s.len())
            && s.contains('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
}

/// Form-encodes a value (RFC 3986 unreserved characters pass).
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The client-credentials token request.
pub fn verify_entra(
    transport: &Transport,
    tenant: &str,
    client_id: &str,
    secret: &Secret,
) -> Verdict {
    if !is_tenant(tenant) || !is_guid(client_id) {
        return Verdict::unknown("tenant or client id is not valid");
    }
    let base = transport
        .endpoints()
        .azure_login
        .as_deref()
        .unwrap_or(LOGIN)
        .trim_end_matches('/');
    let body = format!(
        "client_id={}&client_secret={}&scope={}&grant_type=client_credentials",
        form_encode(client_id),
        form_encode(secret.expose()),
        form_encode(GRAPH_SCOPE)
    );
    let request = Request {
        provider: Provider::Azure,
        method: "POST",
        url: format!("{base}/{tenant}/oauth2/v2.0/token"),
        headers: vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )],
        body: body.into_bytes(),
    };
    match transport.send(&request) {
        Ok(reply) => classify_entra(reply.status, &reply.body, tenant, client_id),
        Err(failure) => Verdict::unknown(failure.reason(transport.timeout())),
    }
}

/// The first `AADSTS<digits>` code of an error description.
fn aadsts(description: &str) -> Option<&str> {
    let start = description.find("AADSTS")? + "AADSTS".len();
    let digits = description[start..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    (digits > 0).then(|| &description[start..start + digits])
}

/// Reference B3.1's AADSTS table.
pub fn classify_entra(status: u16, body: &str, tenant: &str, client_id: &str) -> Verdict {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let identity = || {
        BTreeMap::from([
            ("tenant".to_string(), tenant.to_string()),
            ("client_id".to_string(), client_id.to_string()),
        ])
    };
    if status == 200 && json.get("access_token").is_some() {
        return Verdict::live(identity());
    }
    let description = json
        .get("error_description")
        .and_then(|d| d.as_str())
        .unwrap_or("");
    match aadsts(description) {
        Some("7000215") => Verdict::dead("invalid client secret (AADSTS7000215)"),
        Some("7000222") => Verdict::dead("client secret expired (AADSTS7000222)"),
        Some("700016") => Verdict::unknown(
            "application not found in tenant: client id may not belong to this secret (AADSTS700016)",
        ),
        Some("90002") => Verdict::unknown("tenant not found (AADSTS90002)"),
        Some("53003") => Verdict {
            reason: Some("secret accepted; sign-in blocked by Conditional Access (AADSTS53003)".into()),
            ..Verdict::live(identity())
        },
        Some(code) => Verdict::unknown(format!("unexpected response (HTTP {status}, AADSTS{code})")),
        None => Verdict::unknown(format!("unexpected response (HTTP {status})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Status;

    #[test]
    fn string_to_sign_has_the_documented_layout() {
        let s = storage_string_to_sign("acct", "Mon, 02 Jan 2006 15:04:05 GMT");
        assert_eq!(
            s,
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 02 Jan 2006 15:04:05 GMT\nx-ms-version:2019-12-12\n/acct/\ncomp:list"
        );
        assert!(shared_key_signature("not base64!", &s).is_none());
        let a = shared_key_signature("a2V5MQ==", &s).unwrap();
        assert_ne!(Some(a), shared_key_signature("a2V5Mg==", &s));
    }

    #[test]
    fn names_are_checked_before_they_reach_a_url() {
        assert!(is_guid("4b7f0d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f"));
        assert!(!is_guid("4b7f0d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5"));
        assert!(is_tenant("contoso.onmicrosoft.com"));
        assert!(!is_tenant("evil.example/../x"));
        assert!(!is_tenant("a@b.c"));
    }

    #[test]
    fn storage_and_entra_answers_are_classified() {
        let err = |c: &str| format!("<?xml version=\"1.0\"?><Error><Code>{c}</Code></Error>");
        assert_eq!(classify_storage(200, "", "a").status, Status::Live);
        assert_eq!(
            classify_storage(403, &err("AuthenticationFailed"), "a").status,
            Status::Dead
        );
        assert_eq!(
            classify_storage(403, &err("AuthorizationFailure"), "a").status,
            Status::Unknown
        );
        let e = |code: &str| {
            format!(r#"{{"error":"invalid_client","error_description":"AADSTS{code}: text"}}"#)
        };
        let t = "contoso.onmicrosoft.com";
        let c = "4b7f0d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f";
        assert_eq!(
            classify_entra(401, &e("7000215"), t, c).status,
            Status::Dead
        );
        assert_eq!(
            classify_entra(401, &e("7000222"), t, c).status,
            Status::Dead
        );
        assert_eq!(
            classify_entra(400, &e("700016"), t, c).status,
            Status::Unknown
        );
        assert_eq!(classify_entra(400, &e("53003"), t, c).status, Status::Live);
        assert_eq!(
            classify_entra(200, r#"{"access_token":"x"}"#, t, c).status,
            Status::Live
        );
    }
}

//! Google Cloud service-account key files. The rule matches the
//! `private_key` value; the surrounding JSON says whether it is a
//! service-account key and whose.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::pem::check_embedded;
use super::util::text;
use super::{CheckInput, Outcome, Rejection};

/// How far either side of the match the key file's other fields may be.
const RADIUS: usize = 4096;

/// The public key of Kubernetes' image-pulling test account, published on
/// purpose.
const PUBLIC_TEST_ACCOUNT: &str =
    "image-pulling@authenticated-image-pulling.iam.gserviceaccount.com";

/// A JSON string field, also when the JSON is itself escaped inside a
/// string (`\"type\": \"service_account\"`).
fn field(name: &str) -> Regex {
    let pattern = format!(r#"\\*"{name}\\*"\s*:\s*\\*"([^"\\]{{1,256}})"#);
    // The pattern is a constant template over fixed field names.
    Regex::new(&pattern).unwrap_or_else(|e| panic!("field regex for {name}: {e}"))
}

static TYPE: LazyLock<Regex> = LazyLock::new(|| field("type"));
static CLIENT_EMAIL: LazyLock<Regex> = LazyLock::new(|| field("client_email"));
static PROJECT_ID: LazyLock<Regex> = LazyLock::new(|| field("project_id"));
static PRIVATE_KEY_ID: LazyLock<Regex> = LazyLock::new(|| field("private_key_id"));

/// The value of the occurrence of a field nearest to `at` in `hay`.
fn nearest<'h>(re: &Regex, hay: &'h [u8], at: usize) -> Option<&'h [u8]> {
    re.captures_iter(hay)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let value = c.get(1)?;
            Some((whole.start().abs_diff(at), value.as_bytes()))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// `gcp-service-account`: requires `"type": "service_account"` nearby and
/// a complete key; reports the account, project and key id. The published
/// test account is known public.
pub fn service_account(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let hay = input.around(RADIUS);
    let at = input.whole.start - input.whole.start.saturating_sub(RADIUS);
    if nearest(&TYPE, hay, at) != Some(b"service_account") {
        return Err("no \"type\": \"service_account\" nearby".into());
    }
    check_embedded(input.whole_bytes())?;
    let mut out = Outcome::default();
    if let Some(email) = nearest(&CLIENT_EMAIL, hay, at) {
        if email == PUBLIC_TEST_ACCOUNT.as_bytes() {
            // Not a leak; but the key file is real, so its private key
            // must not be reported by the bare private-key rule either.
            return Ok(Outcome::known_public());
        }
        out = out.fact("client_email", text(email));
    }
    if let Some(project) = nearest(&PROJECT_ID, hay, at) {
        out = out.fact("project_id", text(project));
    }
    if let Some(id) = nearest(&PRIVATE_KEY_ID, hay, at) {
        out = out.fact("private_key_id", text(id));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::pem::tests::{der, pem};
    use super::super::testing::{run_full, NOW};
    use super::*;

    fn key_file(email: &str, kind: &str, pretty: bool) -> String {
        let key = pem("PRIVATE KEY", "", &der(1200)).replace('\n', "\\n");
        let fields = [
            ("type", kind.to_string()),
            ("project_id", "demo-project".to_string()),
            (
                "private_key_id",
                "0123456789abcdef0123456789abcdef01234567".to_string(),
            ),
            ("private_key", key),
            ("client_email", email.to_string()),
            ("client_id", "123456789012345678901".to_string()),
        ];
        let sep = if pretty { ",\n  " } else { "," };
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect();
        format!("{{{}}}", body.join(sep))
    }

    /// Runs the check with the `"private_key": "…"` pair as the match.
    fn check(blob: &str) -> Result<Outcome, Rejection> {
        let start = blob.find("\"private_key\"").unwrap();
        let end = blob[start..].find("-----\\n\"").unwrap() + start + 8;
        run_full(service_account, blob.as_bytes(), start..end, &[], NOW)
    }

    #[test]
    fn service_account_facts() {
        for pretty in [true, false] {
            let f = key_file(
                "svc@demo-project.iam.gserviceaccount.com",
                "service_account",
                pretty,
            );
            let out = check(&f).unwrap();
            assert_eq!(
                out.facts,
                vec![
                    (
                        "client_email",
                        "svc@demo-project.iam.gserviceaccount.com".into()
                    ),
                    ("project_id", "demo-project".into()),
                    (
                        "private_key_id",
                        "0123456789abcdef0123456789abcdef01234567".into()
                    ),
                ]
            );
        }
    }

    #[test]
    fn escaped_inside_another_string() {
        let f = key_file("svc@p.iam.gserviceaccount.com", "service_account", false);
        let wrapped = format!(
            "{{\"creds\": \"{}\"}}",
            f.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let start = wrapped.find("private_key\\\"").unwrap();
        let end = wrapped.find("END PRIVATE KEY").unwrap() + 20;
        let out = run_full(service_account, wrapped.as_bytes(), start..end, &[], NOW).unwrap();
        assert!(out
            .facts
            .contains(&("client_email", "svc@p.iam.gserviceaccount.com".into())));
    }

    #[test]
    fn rejections() {
        let user = key_file("svc@p.iam.gserviceaccount.com", "authorized_user", true);
        assert!(check(&user).is_err());
        let public = key_file(PUBLIC_TEST_ACCOUNT, "service_account", true);
        assert!(check(&public).unwrap().known_public);
        let elided = key_file("svc@p.iam.gserviceaccount.com", "service_account", true).replacen(
            "\\n",
            "\\n...\\n",
            2,
        );
        assert!(check(&elided).is_err());
    }
}

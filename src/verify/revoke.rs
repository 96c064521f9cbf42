//! `keyhound revoke`: ends a leaked credential's life, on explicit command
//! only (never from `scan`, `git`, `--verify` or `org`).
//!
//! - GitHub tokens go to GitHub's public credential-revocation API
//!   (`POST /credentials/revoke`, unauthenticated by design: it is meant
//!   for credentials the caller does not own; GitHub notifies the owner).
//!   A `202` means accepted; keyhound then asks `GET /user` with the token,
//!   where a `401` confirms it is dead.
//! - An AWS access key is deactivated with its own credentials:
//!   `sts:GetCallerIdentity` names its user, `iam:UpdateAccessKey` sets it
//!   `Inactive` (reversible by the account's owner, unlike deletion), and
//!   a second `GetCallerIdentity` confirms the key no longer works.
//!
//! The caller shows the [`Plan`] and asks before [`revoke`] runs it.

use serde_json::Value;

use super::aws::{self, query, xml_text, Key};
use super::transport::{Provider, Request, Transport};
use super::{printable, Verdict};
use crate::finding::{Secret, Status};

const GITHUB_API: &str = "https://api.github.com";
const IAM: &str = "https://iam.amazonaws.com";
const STS: &str = "https://sts.amazonaws.com";

/// The GitHub token kinds the revocation API accepts (GitHub's docs).
const GITHUB_REVOCABLE: &[&str] = &["ghp_", "github_pat_", "gho_", "ghu_", "ghr_"];

/// A credential to revoke.
#[derive(Debug, Clone)]
pub enum Target {
    GitHub {
        token: Secret,
    },
    Aws {
        key_id: String,
        secret: Secret,
        session_token: Option<Secret>,
    },
}

impl Target {
    /// What will be done, for the question the command asks.
    pub fn describe(&self) -> String {
        match self {
            Target::GitHub { token } => format!(
                "revoke GitHub token {} through GitHub's credential-revocation API (its owner is notified; it cannot be undone)",
                token.shown(false)
            ),
            Target::Aws { key_id, .. } => format!(
                "deactivate AWS access key {key_id} (iam:UpdateAccessKey to Inactive, using the key itself; its owner can reactivate it)"
            ),
        }
    }

    /// Why it cannot be revoked, if it cannot (checked before asking).
    pub fn refusal(&self) -> Option<String> {
        match self {
            Target::GitHub { token } => {
                let t = token.expose();
                (!GITHUB_REVOCABLE.iter().any(|p| t.starts_with(p))).then(|| {
                    format!(
                        "GitHub's revocation API takes {} tokens only",
                        GITHUB_REVOCABLE.join(", ")
                    )
                })
            }
            Target::Aws {
                key_id,
                secret,
                session_token,
            } => {
                if key_id.starts_with("ASIA") {
                    return Some(
                        "ASIA keys are temporary (they expire by themselves); revoke the role session instead".into(),
                    );
                }
                aws::offline(key_id, Some(secret), session_token.is_some())
                    .map(|v| v.reason.unwrap_or_default())
            }
        }
    }
}

/// The outcome for one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The provider took the request.
    pub done: bool,
    /// The credential was then checked and no longer works.
    pub confirmed: bool,
    pub message: String,
}

impl Outcome {
    fn failed(message: impl Into<String>) -> Outcome {
        Outcome {
            done: false,
            confirmed: false,
            message: message.into(),
        }
    }
}

/// Revokes one credential (after the caller has asked).
pub fn revoke(transport: &Transport, target: &Target) -> Outcome {
    if let Some(why) = target.refusal() {
        return Outcome::failed(why);
    }
    match target {
        Target::GitHub { token } => github(transport, token),
        Target::Aws {
            key_id,
            secret,
            session_token,
        } => aws_deactivate(
            transport,
            &Key {
                id: key_id,
                secret,
                session_token: session_token.as_ref(),
            },
        ),
    }
}

fn github_base(transport: &Transport) -> String {
    transport
        .endpoints()
        .github_api
        .as_deref()
        .unwrap_or(GITHUB_API)
        .trim_end_matches('/')
        .to_string()
}

fn github(transport: &Transport, token: &Secret) -> Outcome {
    let base = github_base(transport);
    let body = serde_json::json!({ "credentials": [token.expose()] }).to_string();
    let request = Request {
        provider: Provider::GitHub,
        method: "POST",
        url: format!("{base}/credentials/revoke"),
        headers: vec![
            ("accept", "application/vnd.github+json".into()),
            ("x-github-api-version", "2022-11-28".into()),
            ("content-type", "application/json".into()),
        ],
        body: body.into_bytes(),
    };
    let reply = match transport.send(&request) {
        Ok(reply) => reply,
        Err(f) => return Outcome::failed(f.reason(transport.timeout())),
    };
    match reply.status {
        202 => {}
        422 => {
            return Outcome::failed(format!(
                "GitHub refused the request (422: validation failed or rate-limited){}",
                github_message(&reply.body)
            ))
        }
        status => {
            return Outcome::failed(format!(
                "unexpected answer from GitHub (HTTP {status}){}",
                github_message(&reply.body)
            ))
        }
    }
    // Accepted; does the token still work?
    let check = Request {
        provider: Provider::GitHub,
        method: "GET",
        url: format!("{base}/user"),
        headers: vec![
            ("accept", "application/vnd.github+json".into()),
            ("x-github-api-version", "2022-11-28".into()),
            ("authorization", format!("Bearer {}", token.expose())),
        ],
        body: Vec::new(),
    };
    match transport.send(&check).map(|r| r.status) {
        Ok(401) => Outcome {
            done: true,
            confirmed: true,
            message: "revoked: GitHub accepted it and the token is now refused (401)".into(),
        },
        Ok(status) => Outcome {
            done: true,
            confirmed: false,
            message: format!(
                "accepted by GitHub (202); /user still answers {status}: revocation can take a moment, check again later"
            ),
        },
        Err(f) => Outcome {
            done: true,
            confirmed: false,
            message: format!(
                "accepted by GitHub (202); could not confirm: {}",
                f.reason(transport.timeout())
            ),
        },
    }
}

/// `: message` from a GitHub error body, if it has one.
fn github_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(|m| format!(": {}", printable(m))))
        .unwrap_or_default()
}

fn aws_deactivate(transport: &Transport, key: &Key<'_>) -> Outcome {
    let endpoints = transport.endpoints();
    let sts = endpoints.aws_sts.as_deref().unwrap_or(STS).to_string();
    let iam = endpoints.aws_iam.as_deref().unwrap_or(IAM).to_string();
    let who = identity(transport, &sts, key);
    if who.status != Status::Live {
        return Outcome::failed(format!(
            "the key does not work now ({}): nothing to deactivate",
            who.reason.unwrap_or_else(|| who.status.as_str().into())
        ));
    }
    let arn = who.identity.get("arn").cloned().unwrap_or_default();
    // arn:aws:iam::ACCOUNT:user/PATH/NAME; the root user's keys have no
    // user name to pass.
    let user = arn
        .split_once(":user/")
        .map(|(_, path)| path.rsplit('/').next().unwrap_or(path).to_string());
    let mut body = format!(
        "Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId={}&Status=Inactive",
        key.id
    );
    if let Some(user) = &user {
        body.push_str("&UserName=");
        body.push_str(&form_encode(user));
    }
    let reply = match query(transport, &iam, "iam", key, body.as_bytes()) {
        Ok(reply) => reply,
        Err(reason) => return Outcome::failed(reason),
    };
    if reply.status != 200 {
        let code =
            xml_text(&reply.body, "Code").unwrap_or_else(|| format!("HTTP {}", reply.status));
        let hint = if code == "AccessDenied" {
            " (the key may not change itself; its account's owner must deactivate it)"
        } else {
            ""
        };
        return Outcome::failed(format!("iam:UpdateAccessKey refused: {code}{hint}"));
    }
    let after = identity(transport, &sts, key);
    let whose = if arn.is_empty() {
        String::new()
    } else {
        format!(" of {arn}")
    };
    match after.status {
        Status::Dead => Outcome {
            done: true,
            confirmed: true,
            message: format!("deactivated{whose}: STS now refuses the key"),
        },
        _ => Outcome {
            done: true,
            confirmed: false,
            message: format!(
                "deactivated{whose}; STS still answers {} (IAM changes take a few seconds to apply everywhere)",
                after.status.as_str()
            ),
        },
    }
}

fn identity(transport: &Transport, sts: &str, key: &Key<'_>) -> Verdict {
    match query(
        transport,
        sts,
        "sts",
        key,
        b"Action=GetCallerIdentity&Version=2011-06-15",
    ) {
        Ok(reply) => aws::classify(reply.status, &reply.body, key.id),
        Err(reason) => Verdict::unknown(reason),
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_providers_revoke_is_offered() {
        let gh = |t: &str| Target::GitHub {
            token: Secret::new(t.as_bytes()),
        };
        assert!(gh("ghp_x").refusal().is_none());
        assert!(gh("github_pat_x").refusal().is_none());
        // Installation tokens expire within the hour and are not accepted.
        assert!(gh("ghs_x").refusal().unwrap().contains("ghp_"));
        let aws = |id: &str| Target::Aws {
            key_id: id.into(),
            secret: Secret::new(b"s"),
            session_token: None,
        };
        let refusal = |id: &str| aws(id).refusal().unwrap_or_default();
        let temporary = "ASIARZPUZDIKK2J7GGFG"; // keyhound:allow
        let example = "AKIAIOSFODNN7EXAMPLE"; // keyhound:allow
        let canary = "AKIAXYZDQCEN4B6JSJQI"; // keyhound:allow
        assert!(refusal(temporary).contains("temporary"));
        assert!(refusal(example).contains("example"));
        assert!(refusal(canary).contains("canary"));
        assert!(aws("AKIAYTAZMROB6K6IVLAU").refusal().is_none()); // keyhound:allow
    }

    #[test]
    fn descriptions_redact_the_token() {
        let t = Target::GitHub {
            token: Secret::new(b"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"), // keyhound:allow
        };
        let d = t.describe();
        assert!(!d.contains("IwdMx9WF"), "{d}");
        assert!(d.contains("cannot be undone"));
    }
}

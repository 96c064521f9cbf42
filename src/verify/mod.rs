//! Verification (`--verify`, `keyhound verify`): the only place where a
//! found secret leaves the machine.
//!
//! The flow, one way only:
//!
//! ```text
//! findings (+ blob) ──plan──▶ Plans ──unique credentials──▶ verify_plans ──▶ Verification per fingerprint
//!   plan.rs: pair AWS ids        skipped/unknown decided      transport.rs: allow-listed hosts,
//!   with secrets, find tenant    offline (canary, example,    timeouts, retries, rate limit,
//!   and client ids, accounts     no partner credential)       bounded concurrency, one call per
//!                                                             unique credential (cache)
//! ```
//!
//! - [`plan`]: turns findings (and, in a scan, the blob around them) into a
//!   [`Plans`]: for each finding fingerprint either an offline verdict or
//!   the [`Credential`]s to try.
//! - [`transport`]: the HTTP client; refuses any host not on the provider's
//!   allow-list (or the explicit override).
//! - [`aws`], [`gcp`], [`azure`]: what each provider is sent and how its
//!   answer is classified; [`sigv4`] signs AWS requests.
//! - [`input`]: reads credentials for `keyhound verify`.
//!
//! Secrets reach this module as [`Secret`]s and are exposed only while a
//! request is built; error messages and reasons never contain them.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

// The result model lives beside `Finding`, which carries it; re-exported
// here because the verifiers produce it.
use crate::finding::{Exposure, Finding, Secret};
pub use crate::finding::{Status, Verification};

pub mod aws;
pub mod aws_exposure;
pub mod aws_policy;
pub mod azure;
pub mod gcp;
pub mod input;
pub mod plan;
pub mod revoke;
pub mod sigv4;
pub mod transport;

pub use plan::Plans;
pub use transport::{Endpoints, Provider, Transport};

/// One verifier's answer for one credential, before it is stamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub identity: BTreeMap<String, String>,
    pub reason: Option<String>,
    /// `--exposure`, live AWS keys only.
    pub exposure: Option<Exposure>,
}

impl Verdict {
    pub fn live(identity: BTreeMap<String, String>) -> Verdict {
        Verdict {
            status: Status::Live,
            identity,
            reason: None,
            exposure: None,
        }
    }

    pub fn dead(reason: impl Into<String>) -> Verdict {
        Verdict::with(Status::Dead, reason)
    }

    pub fn unknown(reason: impl Into<String>) -> Verdict {
        Verdict::with(Status::Unknown, reason)
    }

    pub fn skipped(reason: impl Into<String>) -> Verdict {
        Verdict::with(Status::Skipped, reason)
    }

    fn with(status: Status, reason: impl Into<String>) -> Verdict {
        Verdict {
            status,
            identity: BTreeMap::new(),
            reason: Some(reason.into()),
            exposure: None,
        }
    }

    fn stamp(self, checked_at: &str) -> Verification {
        Verification {
            status: self.status,
            identity: self.identity,
            reason: self.reason,
            checked_at: checked_at.to_string(),
            exposure: self.exposure,
        }
    }
}

/// A credential complete enough to be sent to its provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    Aws {
        key_id: String,
        secret: Secret,
        session_token: Option<Secret>,
    },
    GcpServiceAccount {
        client_email: String,
        /// PEM (PKCS#8 or PKCS#1), unescaped.
        private_key: Secret,
    },
    GcpApiKey {
        key: Secret,
    },
    AzureStorage {
        account: String,
        key: Secret,
    },
    AzureEntra {
        tenant: String,
        client_id: String,
        secret: Secret,
    },
}

impl Credential {
    /// A digest of the whole credential: the per-run cache key, so the
    /// clear text is not kept in yet another map.
    fn cache_key(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        let mut part = |s: &str| {
            h.update(s.as_bytes());
            h.update([0u8]);
        };
        match self {
            Credential::Aws {
                key_id,
                secret,
                session_token,
            } => {
                part("aws");
                part(key_id);
                part(secret.expose());
                part(session_token.as_ref().map_or("", Secret::expose));
            }
            Credential::GcpServiceAccount {
                client_email,
                private_key,
            } => {
                part("gcp-sa");
                part(client_email);
                part(private_key.expose());
            }
            Credential::GcpApiKey { key } => {
                part("gcp-api-key");
                part(key.expose());
            }
            Credential::AzureStorage { account, key } => {
                part("azure-storage");
                part(account);
                part(key.expose());
            }
            Credential::AzureEntra {
                tenant,
                client_id,
                secret,
            } => {
                part("azure-entra");
                part(tenant);
                part(client_id);
                part(secret.expose());
            }
        }
        h.finalize().into()
    }

    pub fn provider(&self) -> Provider {
        match self {
            Credential::Aws { .. } => Provider::Aws,
            Credential::GcpServiceAccount { .. } | Credential::GcpApiKey { .. } => Provider::Gcp,
            Credential::AzureStorage { .. } | Credential::AzureEntra { .. } => Provider::Azure,
        }
    }
}

/// `--verify-*` settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoints: Endpoints,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests per second per provider.
    pub rate_per_provider: f64,
    /// Attempts after the first on throttling, 5xx and network errors.
    pub retries: u32,
    /// `--exposure`: for a live AWS key, read what it may do.
    pub exposure: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            endpoints: Endpoints::default(),
            concurrency: 4,
            timeout: Duration::from_secs(10),
            rate_per_provider: 10.0,
            retries: 2,
            exposure: false,
        }
    }
}

/// Verifies every credential of `plans` once and returns a verification
/// per finding fingerprint.
pub fn verify_plans(plans: Plans, settings: &Settings) -> HashMap<String, Verification> {
    let transport = Transport::new(settings);
    verify_with(plans, &transport, settings.concurrency, settings.exposure)
}

fn verify_with(
    plans: Plans,
    transport: &Transport,
    concurrency: usize,
    exposure: bool,
) -> HashMap<String, Verification> {
    let checked_at = now_rfc3339();
    // Each unique credential once, however many findings it speaks for,
    // in units of work: the secret candidates of one AWS key id form one
    // unit, tried in turn, so that one key id is never asked about with
    // several secrets at once and the search stops at the live one.
    let mut units: Vec<Vec<(&Credential, [u8; 32])>> = Vec::new();
    let mut unit_of: HashMap<String, usize> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut fingerprints: Vec<&String> = plans.by_fingerprint.keys().collect();
    fingerprints.sort();
    for fp in fingerprints {
        for cred in &plans.by_fingerprint[fp].credentials {
            let key = cred.cache_key();
            if !seen.insert(key) {
                continue;
            }
            let group = match cred {
                Credential::Aws { key_id, .. } => format!("aws:{key_id}"),
                _ => hex::encode(key),
            };
            let unit = *unit_of.entry(group).or_insert_with(|| {
                units.push(Vec::new());
                units.len() - 1
            });
            units[unit].push((cred, key));
        }
    }
    let verdicts: Mutex<HashMap<[u8; 32], Verdict>> = Mutex::new(HashMap::new());
    let next = AtomicUsize::new(0);
    let workers = concurrency.clamp(1, 64).min(units.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(unit) = units.get(i) else {
                    break;
                };
                let mut live = false;
                for (cred, key) in unit {
                    let verdict = if live {
                        // An AWS key id has exactly one secret (and an
                        // ASIA id one token): the others are wrong.
                        Verdict::dead("another secret is the live one for this key id")
                    } else {
                        check(cred, transport, exposure)
                    };
                    live |= verdict.status == Status::Live;
                    verdicts
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(*key, verdict);
                }
            });
        }
    });
    let verdicts = verdicts.into_inner().unwrap_or_else(|e| e.into_inner());
    plans
        .by_fingerprint
        .into_iter()
        .map(|(fingerprint, plan)| {
            let tried: Vec<&Verdict> = plan
                .credentials
                .iter()
                .filter_map(|c| verdicts.get(&c.cache_key()))
                .collect();
            let verdict = if tried.is_empty() {
                plan.offline
                    .unwrap_or_else(|| Verdict::skipped("not verifiable"))
            } else {
                combine(&tried)
            };
            (fingerprint, verdict.stamp(&checked_at))
        })
        .collect()
}

/// One finding, several credentials tried (a key id with three secret
/// candidates): live if any was accepted, dead only if every one was
/// definitely rejected, otherwise unknown.
fn combine(tried: &[&Verdict]) -> Verdict {
    if let Some(live) = tried.iter().find(|v| v.status == Status::Live) {
        return (*live).clone();
    }
    if let Some(unknown) = tried.iter().find(|v| v.status != Status::Dead) {
        return (*unknown).clone();
    }
    let mut dead = tried[0].clone();
    if tried.len() > 1 {
        dead.reason = Some(format!(
            "{} ({} candidate pairings tried, all rejected)",
            dead.reason.unwrap_or_default(),
            tried.len()
        ));
    }
    dead
}

/// Sends one credential to its provider (and, with `exposure`, reads what
/// a live AWS key may do).
fn check(cred: &Credential, transport: &Transport, exposure: bool) -> Verdict {
    match cred {
        Credential::Aws {
            key_id,
            secret,
            session_token,
        } => {
            let mut verdict = aws::verify(transport, key_id, secret, session_token.as_ref());
            let arn = verdict.identity.get("arn").cloned();
            if let (true, Status::Live, Some(arn)) = (exposure, verdict.status, arn) {
                let key = aws::Key {
                    id: key_id,
                    secret,
                    session_token: session_token.as_ref(),
                };
                verdict.exposure = Some(aws_exposure::assess(transport, &key, &arn));
            }
            verdict
        }
        Credential::GcpServiceAccount {
            client_email,
            private_key,
        } => gcp::verify_service_account(transport, client_email, private_key),
        Credential::GcpApiKey { key } => gcp::verify_api_key(transport, key),
        Credential::AzureStorage { account, key } => azure::verify_storage(transport, account, key),
        Credential::AzureEntra {
            tenant,
            client_id,
            secret,
        } => azure::verify_entra(transport, tenant, client_id, secret),
    }
}

/// Attaches results to findings; findings with no plan are left alone.
pub fn attach(findings: &mut [Finding], results: &HashMap<String, Verification>) {
    for f in findings {
        if let Some(v) = results.get(&f.fingerprint) {
            f.verification = Some(v.clone());
        }
    }
}

/// `--only-verified`: keeps live findings only.
pub fn retain_live(findings: &mut Vec<Finding>) {
    findings.retain(|f| {
        f.verification
            .as_ref()
            .is_some_and(|v| v.status == Status::Live)
    });
}

/// A value from a provider's response, bounded and free of control
/// characters, for identities and reasons.
pub(crate) fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(256).collect()
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_prefers_live_then_unknown() {
        let live = Verdict::live(BTreeMap::from([("arn".into(), "x".into())]));
        let dead = Verdict::dead("wrong secret");
        let unknown = Verdict::unknown("timeout");
        assert_eq!(combine(&[&dead, &live]).status, Status::Live);
        assert_eq!(combine(&[&dead, &unknown]).status, Status::Unknown);
        let all_dead = combine(&[&dead, &dead]);
        assert_eq!(all_dead.status, Status::Dead);
        assert!(all_dead.reason.unwrap().contains("2 candidate"));
    }

    #[test]
    fn cache_key_distinguishes_every_field() {
        let a = Credential::Aws {
            key_id: "AKIA1".into(),
            secret: Secret::new(b"s"),
            session_token: None,
        };
        let b = Credential::Aws {
            key_id: "AKIA1".into(),
            secret: Secret::new(b"s"),
            session_token: Some(Secret::new(b"")),
        };
        let c = Credential::Aws {
            key_id: "AKIA1".into(),
            secret: Secret::new(b"t"),
            session_token: None,
        };
        assert_eq!(a.cache_key(), a.clone().cache_key());
        // An empty token and no token sign the same request.
        assert_eq!(a.cache_key(), b.cache_key());
        assert_ne!(a.cache_key(), c.cache_key());
    }
}

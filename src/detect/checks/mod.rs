//! Structural checks: what a regex cannot know about a candidate secret.
//!
//! A rule names at most one check (`check = "github-token"`). The detector
//! runs it after the regex, entropy and placeholder filters, with the match
//! in its blob. A check either rejects the candidate (bad checksum, not a
//! key at all), recognises it as a known public value (not reported, but it
//! still supersedes other rules on its bytes), or accepts it, possibly
//! adding facts (`aws_account_id`,
//! `expires_at`, `client_email`) and lowering severity or confidence (an
//! expired SAS token is still reported, at low severity).
//!
//! Checks are pure functions of bytes: no I/O, no clock other than
//! [`CheckInput::now`], so tests can pin time. They never panic, whatever
//! the bytes, and never put the secret into a fact or a rejection.
//!
//! One module per provider or format (`aws`, `gcp`, `his` and `cask` for
//! Microsoft's checksummed keys, `sas`, `entra`, `devops`, `github` (also npm), `discord`, `jwt`,
//! `pem`), on top of `marvin` (Microsoft's checksum hash) and `util`
//! (lenient decoders, time). The value-making helpers re-exported below let
//! a corpus generator build keys that pass.

use std::ops::Range;

use crate::rules::{Confidence, Severity};

mod aws;
mod cask;
mod devops;
mod discord;
mod entra;
mod gcp;
mod github;
mod his;
mod jwt;
mod marvin;
mod pem;
mod sas;
mod util;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub use aws::{aws_account_id, is_aws_canary_account};
pub use cask::cask_checksum;
pub use entra::entra_checksum;
pub use github::github_checksum;
pub use his::his_v1_checksum_bytes;
pub use marvin::{marvin32, marvin64, seed as marvin_seed};

/// A candidate match handed to a check.
pub struct CheckInput<'a> {
    /// The whole blob the match was found in.
    pub blob: &'a [u8],
    /// The regex match, as a range of `blob`.
    pub whole: Range<usize>,
    /// The `secret` capture, as a range of `blob`.
    pub secret: Range<usize>,
    /// Other named captures that took part in the match.
    pub groups: &'a [(&'a str, Range<usize>)],
    /// Current time, seconds since the Unix epoch (for expiry checks).
    pub now: i64,
}

impl<'a> CheckInput<'a> {
    pub fn secret_bytes(&self) -> &'a [u8] {
        &self.blob[self.secret.clone()]
    }

    pub fn whole_bytes(&self) -> &'a [u8] {
        &self.blob[self.whole.clone()]
    }

    /// The bytes of a named capture, if it took part in the match.
    pub fn group(&self, name: &str) -> Option<&'a [u8]> {
        self.groups
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| &self.blob[r.clone()])
    }

    /// Up to `radius` bytes of the blob either side of the match, for
    /// checks that read surrounding structure (a service-account JSON
    /// object's `client_email`).
    pub fn around(&self, radius: usize) -> &'a [u8] {
        let start = self.whole.start.saturating_sub(radius);
        let end = (self.whole.end + radius).min(self.blob.len());
        &self.blob[start..end]
    }
}

/// What an accepting check adds to the finding.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    /// Extra facts shown in reports (`aws_account_id`, `expired`, …).
    pub facts: Vec<(&'static str, String)>,
    /// Replaces the rule's severity (e.g. `Low` for an expired token).
    pub severity: Option<Severity>,
    /// Replaces the rule's confidence (e.g. `Low` for a failed optional
    /// checksum).
    pub confidence: Option<Confidence>,
    /// The candidate is real but published on purpose (a provider's test
    /// account): it is not reported, yet still supersedes other rules'
    /// matches on its bytes, so the key inside it is not reported either.
    pub known_public: bool,
}

impl Outcome {
    /// An accepted candidate that is known to be public ([`Outcome::known_public`]).
    pub fn known_public() -> Self {
        Outcome {
            known_public: true,
            ..Outcome::default()
        }
    }

    pub fn fact(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.facts.push((key, value.into()));
        self
    }
}

/// Why a check rejected a candidate (for `--explain`-style debugging and
/// tests; never shown with the secret in it).
pub type Rejection = String;

pub type CheckFn = fn(&CheckInput<'_>) -> Result<Outcome, Rejection>;

/// Finds a check by the name rules use.
pub fn lookup(name: &str) -> Option<CheckFn> {
    REGISTRY.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Every check name rules may use, for `keyhound rules list` and docs.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(n, _)| *n)
}

/// Every check, by the name rules use in `check = "…"`.
const REGISTRY: &[(&str, CheckFn)] = &[
    ("aws-access-key-id", aws::access_key_id),
    ("aws-secret-access-key", aws::secret_access_key),
    ("aws-session-token", aws::session_token),
    ("aws-bedrock-long-term", aws::bedrock_long_term),
    ("aws-bedrock-short-term", aws::bedrock_short_term),
    ("gcp-service-account", gcp::service_account),
    ("azure-identifiable-key", his::identifiable_key),
    ("azure-cask", cask::cask),
    ("azure-storage-key", his::storage_key),
    ("azure-sas", sas::sas),
    ("entra-client-secret", entra::client_secret),
    ("azure-devops-legacy-pat", devops::legacy_pat),
    ("jwt", jwt::jwt),
    ("jwt-entra", jwt::jwt_entra),
    ("jwt-supabase-service-role", jwt::jwt_supabase_service_role),
    ("jwt-kubernetes", jwt::jwt_kubernetes),
    ("private-key", pem::private_key),
    ("private-key-base64", pem::private_key_base64),
    ("github-token", github::token),
    ("npm-token", github::npm_token),
    ("discord-bot-token", discord::bot_token),
];

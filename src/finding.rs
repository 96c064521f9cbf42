//! What a scan reports: [`Finding`], where it was ([`Location`], [`Origin`]),
//! and its [`fingerprint`].
//!
//! A finding is one secret: the scan makes one per place, and
//! [`crate::group`] folds the places of one fingerprint into a single
//! finding whose `origin`/`location` are where the secret was first
//! introduced and whose [`Finding::locations`] lists every place.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::rules::{Confidence, Severity};

/// Where the scanned bytes came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// A file on disk; `path` is relative to the scanned root when it is
    /// under it, with `/` separators.
    File { path: String },
    /// Standard input (`keyhound scan -`).
    Stdin,
    /// A blob in a git repository's object database.
    Git(Box<GitOrigin>),
}

/// Where a blob sits in git history (`keyhound git`). Line numbers of a
/// finding refer to the file at `commit`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GitOrigin {
    /// The blob's object id.
    pub blob: String,
    /// The commit that first introduced the blob (`None`: unreachable, or
    /// staged and not yet committed).
    pub commit: Option<String>,
    /// Every path the blob has; the first is the one shown as `path`.
    pub paths: Vec<String>,
    pub author: Option<String>,
    pub email: Option<String>,
    /// Author date, RFC 3339.
    pub date: Option<String>,
    /// The commit message's summary line.
    pub summary: Option<String>,
    /// Whether any ref reaches the blob.
    pub reachable: bool,
    /// Whether HEAD's tree contains it (`None` when not computed: staged
    /// content).
    pub in_head: Option<bool>,
    /// How many commits carry the blob (full-history scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commits: Option<usize>,
}

impl Origin {
    /// The path shown in reports.
    pub fn display_path(&self) -> &str {
        match self {
            Origin::File { path } => path,
            Origin::Stdin => "<stdin>",
            Origin::Git(g) => g.paths.first().map_or(g.blob.as_str(), String::as_str),
        }
    }
}

/// A span in a blob: 1-based lines and columns (columns count characters,
/// i.e. Unicode code points; invalid UTF-8 bytes count one each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Location {
    /// Computes the location of `span` in `blob`. Only called for matches,
    /// so the linear count is not on the hot path.
    pub fn of_span(blob: &[u8], span: std::ops::Range<usize>) -> Location {
        let (line, column) = line_col(blob, span.start);
        // The end is inclusive of the last character: point at it.
        let last = span.end.saturating_sub(1).max(span.start);
        let (end_line, end_column) = line_col(blob, last);
        Location {
            line,
            column,
            end_line,
            end_column: end_column + 1,
        }
    }
}

fn line_col(blob: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(blob.len());
    let before = &blob[..offset];
    let line = 1 + memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    (line, column)
}

/// A found secret. Holds the secret in the clear; every reporter goes
/// through [`Secret::shown`] so nothing prints it unredacted by accident.
///
/// A finding rebuilt from a store that never keeps secrets (`keyhound
/// org`'s unchanged repositories) carries a *withheld* secret: only its
/// redacted form is known, and that is what every accessor returns.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret {
    text: String,
    /// `false`: `text` is already the redacted form.
    clear: bool,
}

impl Secret {
    pub fn new(bytes: &[u8]) -> Secret {
        Secret {
            text: String::from_utf8_lossy(bytes).into_owned(),
            clear: true,
        }
    }

    /// A secret known only by its redacted form (see the type's doc).
    pub fn withheld(redacted: &str) -> Secret {
        Secret {
            text: redacted.to_string(),
            clear: false,
        }
    }

    /// Whether only the redacted form is known.
    pub fn is_withheld(&self) -> bool {
        !self.clear
    }

    /// The secret in the clear. Callers: fingerprinting, `--show-secrets`
    /// and verification (`src/verify/`, only while building a request).
    /// For a withheld secret, its redacted form (which no provider
    /// accepts); callers that need the secret must not rebuild findings.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The redacted form: the first 4 and last 2 characters of long
    /// secrets, fewer of short ones, so a reader can match a finding to a
    /// file without the report becoming a leak itself.
    pub fn redacted(&self) -> String {
        if !self.clear {
            return self.text.clone();
        }
        let chars: Vec<char> = self.text.chars().collect();
        let n = chars.len();
        let (head, tail) = match n {
            0..=7 => (0, 0),
            8..=19 => (2, 0),
            _ => (4, 2),
        };
        let mut out: String = chars[..head].iter().collect();
        out.push_str("*****");
        out.extend(&chars[n - tail..]);
        out
    }

    pub fn shown(&self, show_secrets: bool) -> String {
        if show_secrets {
            self.text.clone()
        } else {
            self.redacted()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug output ends up in logs and panics: never the clear text.
        write!(f, "Secret({})", self.redacted())
    }
}

/// Why a finding is suppressed (kept for SARIF's `suppressions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `inSource` (an inline `keyhound:allow`) or `external` (config).
    pub kind: SuppressionKind,
    pub justification: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SuppressionKind {
    #[serde(rename = "inSource")]
    InSource,
    #[serde(rename = "external")]
    External,
}

/// One place a secret occurs: a file or blob and the span in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub origin: Origin,
    pub location: Location,
}

/// Where a finding stands against a baseline (`--baseline`), as SARIF's
/// `baselineState` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: reported.
    New,
    /// In the baseline: known, not reported again.
    Unchanged,
    /// In the baseline but no longer found (`--report-absent`).
    Absent,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Absent => "absent",
        }
    }
}

/// One reported secret: its first place, and every place it occurs.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub provider: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub origin: Origin,
    pub location: Location,
    pub secret: Secret,
    pub fingerprint: String,
    /// Facts a structural check established (`aws_account_id`, …).
    pub facts: BTreeMap<String, String>,
    pub suppression: Option<Suppression>,
    /// Every place the secret occurs, the primary (`origin`, `location`)
    /// first. Empty until [`crate::group`] has run; see [`Finding::places`].
    pub locations: Vec<Place>,
    /// Set for every finding when a baseline is in use.
    pub baseline: Option<BaselineState>,
    /// Whether the credential is live (`--verify` only).
    pub verification: Option<Verification>,
}

impl Finding {
    /// Whether the finding counts: reported in text and JSON, and in the
    /// exit code. Suppressed and baselined findings do not.
    pub fn is_reported(&self) -> bool {
        self.suppression.is_none() && self.baseline != Some(BaselineState::Unchanged)
    }

    /// Every place, the primary first (just the primary before grouping).
    pub fn places(&self) -> Vec<Place> {
        if self.locations.is_empty() {
            vec![Place {
                origin: self.origin.clone(),
                location: self.location,
            }]
        } else {
            self.locations.clone()
        }
    }

    /// How many places the secret occurs in.
    pub fn location_count(&self) -> usize {
        self.locations.len().max(1)
    }

    /// For history scans: whether any place of the secret is in HEAD's
    /// tree (`Some(false)`: only in history; `None`: not a history scan,
    /// or not computed, as for staged content).
    pub fn in_head(&self) -> Option<bool> {
        let mut seen = None;
        let origins = std::iter::once(&self.origin).chain(self.locations.iter().map(|p| &p.origin));
        for origin in origins {
            if let Origin::Git(g) = origin {
                match g.in_head {
                    Some(true) => return Some(true),
                    Some(false) => seen = Some(false),
                    None => {}
                }
            }
        }
        seen
    }

    pub fn path(&self) -> &str {
        self.origin.display_path()
    }

    /// Git provenance, for findings from `keyhound git`.
    pub fn git(&self) -> Option<&GitOrigin> {
        match &self.origin {
            Origin::Git(g) => Some(g),
            _ => None,
        }
    }
}

/// The fingerprint of a finding: a hash of rule id and secret only, so it
/// is stable when the line moves, across rebases and squash merges, and the
/// same in baselines, ignore files and SARIF.
pub fn fingerprint(rule_id: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0u8]);
    h.update(secret);
    hex::encode(&h.finalize()[..16])
}

// ---------------------------------------------------------------------------
// Verification results
//
// Filled by `crate::verify` (`--verify` only), carried by `Finding` and read
// by the reporters; defined here so that neither needs the stage above it.

/// What verification concluded about a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The provider accepted the credential just now.
    Live,
    /// The provider definitely rejected it (revoked, wrong secret, expired).
    Dead,
    /// No verdict: timeout, throttling, clock skew, network, or a partner
    /// credential (secret, tenant id) was not found.
    Unknown,
    /// Deliberately not sent: canary account, documentation key, or no
    /// verifier for this kind of secret.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Dead => "dead",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
        }
    }
}

/// The verification result attached to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub status: Status,
    /// Whose credential it is (live only): `arn`/`account`/`user_id` (AWS),
    /// `client_email`/`project` (GCP), `tenant`/`client_id` or
    /// `storage_account` (Azure).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identity: BTreeMap<String, String>,
    /// Why (dead, unknown, skipped; live with a caveat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the provider was asked (RFC 3339, UTC); for offline verdicts,
    /// when the verdict was made.
    pub checked_at: String,
    /// What a live credential may do (`--exposure`, AWS keys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// What a live cloud credential is allowed to do, read with read-only
/// calls (`--exposure`): the answer to "how large can the bill get".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// How the decisions were reached: `simulated` (the provider's own
    /// policy simulator) or `policies` (its policies read and evaluated by
    /// keyhound, without SCPs or permission boundaries).
    pub method: String,
    /// The provider has already restricted the credential (AWS: a
    /// `AWSCompromisedKeyQuarantine*` policy attached to its user).
    pub quarantined: bool,
    /// The policies found, as `managed:NAME`, `inline:NAME`,
    /// `group:GROUP:NAME`; empty when they could not be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// One entry per capability, most costly first.
    pub capabilities: Vec<Capability>,
    /// What could not be read, and why (the decisions are weaker for it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

/// One thing a credential may or may not do, e.g. "launch compute".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    pub name: String,
    /// The strongest decision over the capability's actions.
    pub decision: Decision,
    /// Each action asked about and its decision.
    pub actions: Vec<(String, Decision)>,
}

/// Whether an action is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Allowed on every resource, without conditions.
    Allowed,
    /// Allowed on some resources or under conditions.
    Limited,
    /// Not decided: the policies could not all be read.
    Unknown,
    /// Nothing allows it.
    NotAllowed,
    /// An explicit deny forbids it.
    Denied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Limited => "limited",
            Decision::Unknown => "unknown",
            Decision::NotAllowed => "not allowed",
            Decision::Denied => "denied",
        }
    }

    /// Whether the credential can (at least partly) do it.
    pub fn can(self) -> bool {
        matches!(self, Decision::Allowed | Decision::Limited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let blob = "a\nbé c KEY\n".as_bytes();
        let start = blob.windows(3).position(|w| w == b"KEY").unwrap();
        let loc = Location::of_span(blob, start..start + 3);
        assert_eq!(
            loc,
            Location {
                line: 2,
                column: 6,
                end_line: 2,
                end_column: 9
            }
        );
    }

    #[test]
    fn redaction_keeps_only_edges() {
        let s = Secret::new(b"AKIAQYLPMN5HHHFPZAM2"); // keyhound:allow
        assert_eq!(s.redacted(), "AKIA*****M2");
        assert_eq!(Secret::new(b"hunter2").redacted(), "*****");
        assert_eq!(Secret::new(b"hunter2hunter").redacted(), "hu*****");
        assert!(!format!("{s:?}").contains("QYLPMN5"));
    }

    #[test]
    fn fingerprint_depends_on_rule_and_secret_only() {
        let a = fingerprint("r", b"s");
        assert_eq!(a, fingerprint("r", b"s"));
        assert_ne!(a, fingerprint("r2", b"s"));
        assert_ne!(a, fingerprint("r", b"s2"));
        assert_eq!(a.len(), 32);
    }
}

//! What the store keeps of a finding so that an unchanged repository can
//! be reported without being opened: everything a report renders
//! (rule, severity, confidence, facts, suppression, every place with its
//! commit, author and in-HEAD flag), with the secret only in its redacted
//! form.
//!
//! [`keep`] turns the findings of one fingerprint into one JSON text (a
//! fingerprint can be one reported and one suppressed finding, see
//! [`crate::group`]); [`restore`] turns it back into [`Finding`]s whose
//! secret is withheld ([`Secret::withheld`]). Rendered without
//! `--show-secrets` they are the findings the scan made, byte for byte.
//! The verification is not kept here: it has its own columns, and is
//! attached again as for any finding not verified this run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Location, Origin, Place, Secret, Suppression};
use crate::rules::{Confidence, Severity};

/// One finding as kept.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    /// Its position in the repository's findings, so that restored
    /// findings come back in the order the scan made them.
    order: usize,
    rule_id: String,
    rule_name: String,
    provider: String,
    severity: Severity,
    confidence: Confidence,
    origin: Origin,
    location: Location,
    /// Redacted.
    secret: String,
    fingerprint: String,
    facts: BTreeMap<String, String>,
    suppression: Option<Suppression>,
    locations: Vec<KeptPlace>,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeptPlace {
    origin: Origin,
    location: Location,
}

/// The findings `members` (`(position, finding)`, one fingerprint) as
/// one JSON text; no clear secret in it.
pub fn keep(members: &[(usize, &Finding)]) -> String {
    let kept: Vec<Kept> = members
        .iter()
        .map(|&(order, f)| Kept {
            order,
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            provider: f.provider.clone(),
            severity: f.severity,
            confidence: f.confidence,
            origin: f.origin.clone(),
            location: f.location,
            secret: f.secret.redacted(),
            fingerprint: f.fingerprint.clone(),
            facts: f.facts.clone(),
            suppression: f.suppression.clone(),
            locations: f
                .locations
                .iter()
                .map(|p| KeptPlace {
                    origin: p.origin.clone(),
                    location: p.location,
                })
                .collect(),
        })
        .collect();
    serde_json::to_string(&kept).unwrap_or_default()
}

/// The findings of kept texts, in the order the scan made them; `None`
/// if any text cannot be read (the repository is then scanned instead).
pub fn restore<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<Vec<Finding>> {
    let mut all: Vec<Kept> = Vec::new();
    for text in texts {
        all.extend(serde_json::from_str::<Vec<Kept>>(text).ok()?);
    }
    all.sort_by_key(|k| k.order);
    Some(
        all.into_iter()
            .map(|k| Finding {
                rule_id: k.rule_id,
                rule_name: k.rule_name,
                provider: k.provider,
                severity: k.severity,
                confidence: k.confidence,
                origin: k.origin,
                location: k.location,
                secret: Secret::withheld(&k.secret),
                fingerprint: k.fingerprint,
                facts: k.facts,
                suppression: k.suppression,
                locations: k
                    .locations
                    .into_iter()
                    .map(|p| Place {
                        origin: p.origin,
                        location: p.location,
                    })
                    .collect(),
                baseline: None,
                verification: None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::GitOrigin;
    use crate::report::{finding_json, Options};

    fn finding() -> Finding {
        let secret = b"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"; // keyhound:allow
        let origin = Origin::Git(Box::new(GitOrigin {
            blob: "ab".repeat(20),
            commit: Some("cd".repeat(20)),
            paths: vec!["config/app.env".into(), "old/app.env".into()],
            author: Some("Dev".into()),
            email: Some("dev@example.com".into()),
            date: Some("2026-01-02T03:04:05Z".into()),
            summary: Some("config".into()),
            reachable: true,
            in_head: Some(false),
            commits: Some(3),
        }));
        let location = Location {
            line: 2,
            column: 14,
            end_line: 2,
            end_column: 53,
        };
        Finding {
            rule_id: "github-token".into(),
            rule_name: "GitHub token".into(),
            provider: "github".into(),
            severity: Severity::High,
            confidence: Confidence::High,
            origin: origin.clone(),
            location,
            secret: Secret::new(secret),
            fingerprint: crate::finding::fingerprint("github-token", secret),
            facts: BTreeMap::from([("kind".into(), "classic".into())]),
            suppression: None,
            locations: vec![Place { origin, location }],
            baseline: None,
            verification: None,
        }
    }

    #[test]
    fn a_restored_finding_renders_as_the_scanned_one_and_keeps_no_secret() {
        let f = finding();
        let text = keep(&[(0, &f)]);
        assert!(!text.contains(f.secret.expose()), "{text}");
        let back = restore([text.as_str()]).unwrap();
        assert_eq!(back.len(), 1);
        assert!(back[0].secret.is_withheld());
        let opts = Options::default();
        assert_eq!(finding_json(&back[0], &opts), finding_json(&f, &opts));
        // Asked for the clear secret, a withheld one still shows only
        // the redacted form.
        let shown = Options {
            show_secrets: true,
            ..Options::default()
        };
        assert!(!finding_json(&back[0], &shown)
            .to_string()
            .contains(f.secret.expose()));
    }

    #[test]
    fn restored_findings_keep_the_scan_order_and_unreadable_text_is_none() {
        let (a, mut b) = (finding(), finding());
        b.rule_id = "other".into();
        let (ta, tb) = (keep(&[(1, &a)]), keep(&[(0, &b)]));
        let back = restore([ta.as_str(), tb.as_str()]).unwrap();
        assert_eq!(back[0].rule_id, "other");
        assert!(restore(["not json"]).is_none());
    }
}

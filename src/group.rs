//! One finding per secret.
//!
//! The scan makes one [`Finding`] per place a secret occurs: a key kept in
//! a file for 400 commits is 400 blobs, hence 400 findings with one
//! fingerprint. [`group`] folds them into one finding per fingerprint whose
//! primary place is where the secret was first introduced (the oldest
//! commit for history scans; the first path and line for files) and whose
//! [`Finding::locations`] lists every place, primary first.
//!
//! Suppression is decided per place before grouping (an inline
//! `keyhound:allow` covers only its own line, a `path:` ignore entry only
//! matching paths), so places are grouped by fingerprint *and* by how they
//! are suppressed: a secret allowed in a test fixture but also pasted in
//! `src/` is one reported finding (the `src/` places) and one suppressed
//! finding (the fixture), never a reported finding hidden by its fixture.

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::finding::{Finding, Origin, Place};

/// Folds `findings` (one per place) into one finding per fingerprint and
/// suppression, sorted by primary path, line, column and rule id.
pub fn group(findings: Vec<Finding>) -> Vec<Finding> {
    let mut groups: Vec<Vec<Finding>> = Vec::new();
    let mut index: HashMap<(String, Option<String>), usize> = HashMap::new();
    for f in findings {
        let key = (
            f.fingerprint.clone(),
            f.suppression
                .as_ref()
                .map(|s| format!("{:?}\0{}", s.kind, s.justification)),
        );
        match index.get(&key) {
            Some(&i) => groups[i].push(f),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![f]);
            }
        }
    }
    let mut out: Vec<Finding> = groups.into_iter().map(fold).collect();
    sort(&mut out);
    out
}

/// Keeps one finding per place, for `--all-locations`: the scan's own
/// output, sorted.
pub fn ungrouped(mut findings: Vec<Finding>) -> Vec<Finding> {
    sort(&mut findings);
    findings
}

fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.path(), a.location.line, a.location.column, &a.rule_id).cmp(&(
            b.path(),
            b.location.line,
            b.location.column,
            &b.rule_id,
        ))
    });
}

/// One group's findings (same fingerprint) into one: the earliest place
/// is the primary and lends its rule data, facts and severity.
fn fold(mut members: Vec<Finding>) -> Finding {
    members.sort_by_cached_key(introduced);
    let mut places: Vec<Place> = members.iter().flat_map(Finding::places).collect();
    // The same blob reached twice (two roots, a pack and a loose copy).
    let mut seen = std::collections::HashSet::new();
    places.retain(|p| seen.insert(place_key(p)));
    let mut primary = members.swap_remove(0);
    primary.locations = places;
    primary
}

/// Sort key for "first introduced": history places by their commit's
/// author date (places without a commit — unreachable or staged — last),
/// then path, line and column.
fn introduced(f: &Finding) -> (i128, String, usize, usize) {
    let when = match &f.origin {
        Origin::Git(g) => g
            .date
            .as_deref()
            .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok())
            .map_or(i128::MAX, OffsetDateTime::unix_timestamp_nanos),
        _ => 0,
    };
    (
        when,
        f.path().to_string(),
        f.location.line,
        f.location.column,
    )
}

fn place_key(p: &Place) -> (String, usize, usize) {
    let source = match &p.origin {
        Origin::Git(g) => format!("blob:{}", g.blob),
        other => other.display_path().to_string(),
    };
    (source, p.location.line, p.location.column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{fingerprint, GitOrigin, Location, Secret};
    use crate::rules::{Confidence, Severity};

    fn at(path: &str, line: usize, date: Option<&str>, secret: &str) -> Finding {
        let origin = match date {
            None => Origin::File { path: path.into() },
            Some(d) => Origin::Git(Box::new(GitOrigin {
                blob: format!("{path}{line}"),
                commit: Some("c".into()),
                paths: vec![path.into()],
                author: None,
                email: None,
                date: Some(d.into()),
                summary: None,
                reachable: true,
                in_head: Some(false),
                commits: None,
            })),
        };
        Finding {
            rule_id: "r".into(),
            rule_name: "R".into(),
            provider: "p".into(),
            severity: Severity::High,
            confidence: Confidence::High,
            origin,
            location: Location {
                line,
                column: 1,
                end_line: line,
                end_column: 5,
            },
            secret: Secret::new(secret.as_bytes()),
            fingerprint: fingerprint("r", secret.as_bytes()),
            facts: Default::default(),
            suppression: None,
            locations: Vec::new(),
            baseline: None,
            verification: None,
        }
    }

    #[test]
    fn one_finding_per_secret_with_the_oldest_place_first() {
        let grouped = group(vec![
            at("b.txt", 3, Some("2024-05-02T00:00:00+00:00"), "s1"),
            // Earlier in UTC although its local time reads later.
            at("z.txt", 9, Some("2024-05-02T01:00:00+05:00"), "s1"),
            at("a.txt", 1, Some("2024-05-03T00:00:00+00:00"), "s2"),
        ]);
        assert_eq!(grouped.len(), 2);
        let s1 = grouped.iter().find(|f| f.secret.expose() == "s1").unwrap();
        assert_eq!(s1.path(), "z.txt");
        assert_eq!(s1.location_count(), 2);
        assert_eq!(s1.locations[0].origin.display_path(), "z.txt");
        assert_eq!(s1.locations[1].origin.display_path(), "b.txt");
        assert_eq!(s1.in_head(), Some(false));
    }

    #[test]
    fn suppressed_places_do_not_hide_reported_ones() {
        let mut allowed = at("fixture.txt", 1, None, "s1");
        allowed.suppression = Some(crate::finding::Suppression {
            kind: crate::finding::SuppressionKind::InSource,
            justification: "inline".into(),
        });
        let grouped = group(vec![allowed, at("src/a.rs", 2, None, "s1")]);
        assert_eq!(grouped.len(), 2);
        let reported: Vec<_> = grouped.iter().filter(|f| f.is_reported()).collect();
        assert_eq!(reported.len(), 1);
        assert_eq!(reported[0].path(), "src/a.rs");
    }

    #[test]
    fn repeated_places_count_once() {
        let grouped = group(vec![at("a", 1, None, "s"), at("a", 1, None, "s")]);
        assert_eq!(grouped[0].location_count(), 1);
    }
}

//! One run of the pipeline: a source feeds blobs to the detector, each
//! blob's matches become [`Finding`]s (location, fingerprint, inline
//! suppression), and the run returns them sorted with its [`Stats`].

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use crate::detect::{Detector, Match};
use crate::finding::{fingerprint, Finding, Location, Origin, Secret};
use crate::rules::Confidence;
use crate::source::{self, PathNamer, WalkError, WalkOptions};
use crate::stats::{Counters, Stats};
use crate::suppress;

/// What to scan.
#[derive(Debug, Clone)]
pub enum Input {
    /// Files and directories (walked).
    Paths(Vec<PathBuf>),
    /// Standard input.
    Stdin,
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    /// Sorted by path, line, column, rule id; suppressed ones included.
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

/// Turns one blob's matches into findings at or above `min_confidence`.
pub fn findings_in(
    detector: &Detector,
    blob: &[u8],
    origin: &Origin,
    min_confidence: Confidence,
) -> Vec<Finding> {
    detector
        .detect(blob)
        .into_iter()
        .filter(|m| m.confidence >= min_confidence)
        .map(|m| to_finding(detector, blob, origin, m))
        .collect()
}

fn to_finding(detector: &Detector, blob: &[u8], origin: &Origin, m: Match) -> Finding {
    let rule = detector.rule(m.rule);
    let secret = &blob[m.secret.clone()];
    Finding {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        provider: rule.provider.clone(),
        severity: m.severity,
        confidence: m.confidence,
        origin: origin.clone(),
        location: Location::of_span(blob, m.secret.clone()),
        fingerprint: fingerprint(&rule.id, secret),
        secret: Secret::new(secret),
        facts: m
            .facts
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        suppression: suppress::inline(blob, m.secret),
    }
}

/// Scans `input` with `detector`.
pub fn run(
    detector: &Detector,
    input: &Input,
    walk: &WalkOptions,
    namer: &PathNamer,
    min_confidence: Confidence,
) -> Result<Outcome, WalkError> {
    let started = Instant::now();
    let counters = Counters::default();
    let found = Mutex::new(Vec::new());
    let visit = |blob: &[u8], origin: Origin| {
        let mut f = findings_in(detector, blob, &origin, min_confidence);
        if !f.is_empty() {
            // Findings are rare; the lock is off the hot path.
            found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .append(&mut f);
        }
    };
    match input {
        Input::Paths(roots) => source::walk(roots, walk, namer, &counters, &visit)?,
        Input::Stdin => source::stdin::read(walk.max_file_size, &counters, &visit),
    }
    let mut findings = found.into_inner().unwrap_or_else(|e| e.into_inner());
    sort_and_dedup(&mut findings);
    Ok(Outcome {
        findings,
        stats: counters.finish(started.elapsed()),
    })
}

/// Sorts for stable output and drops exact repeats (the same file reached
/// through two roots).
pub fn sort_and_dedup(findings: &mut Vec<Finding>) {
    let key = |f: &Finding| {
        (
            f.path().to_string(),
            f.location.line,
            f.location.column,
            f.rule_id.clone(),
        )
    };
    findings.sort_by_key(key);
    findings.dedup_by(|a, b| key(a) == key(b));
}

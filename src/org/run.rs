//! One `keyhound org` run over a list of repositories.
//!
//! ```text
//! for each repository of this shard, --jobs at a time:
//!   access.prepare                   forge sources: a fresh token, a slot in the request budget
//!   mirror::update (clone once, fetch --prune after; killed at --repo-timeout)
//!   state.known(repo, digest)        blobs settled before, and which had findings
//!   scan::run_git_incremental        only blobs not known; known blobs with findings read again
//!   allowlists, reachable places only, one finding per secret
//!   state.commit_repo                one transaction: scope, blobs, findings; new / fixed
//! ```
//!
//! A repository that fails (clone, fetch, timeout, unreadable or corrupt
//! objects) is recorded as failed with its reason and the run goes on;
//! nothing it had is marked fixed. Blobs settled without findings in one
//! repository are not scanned again in a later repository of the same
//! run (forks share most of their history); a blob with findings is, so
//! that each repository reports its own places. Repositories scanned at
//! the same time may both scan a blob they share: a blob counts as settled
//! for the run only once its repository is committed, which is what keeps
//! a skipped blob's findings from being lost.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use super::mirror;
use super::repos::RepoSpec;
use super::state::{self, Changes, Record, Scope, Store};
use crate::detect::Detector;
use crate::finding::Finding;
use crate::rules::{Confidence, RuleSet};
use crate::scan;
use crate::source::git::{self, ObjectId};

/// How a run scans.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cache: PathBuf,
    /// Repositories at a time.
    pub jobs: usize,
    /// Per git process (clone, fetch).
    pub repo_timeout: Duration,
    pub history: git::HistoryOptions,
    pub min_confidence: Confidence,
    /// `--verify`: check credentials with their provider.
    pub verify: Option<Verify>,
    /// `--show-secrets`: reports need the clear secrets, which the store
    /// does not have, so every repository is read.
    pub need_secrets: bool,
    /// Asked right before a repository's clone or fetch (forge sources):
    /// a fresh environment and a slot in the shared request budget.
    pub access: Option<Access>,
}

/// What a repository's git processes need just before they start.
pub trait GitAccess: Send + Sync {
    /// Blocks until the repository may be cloned or fetched; returns the
    /// environment for its git processes (a token minted or still valid
    /// now, not when the list was made) and a guard that holds the
    /// budget's slot until it is dropped, after the clone or fetch.
    fn prepare(&self, repo: &RepoSpec) -> Result<Prepared, String>;
}

/// [`GitAccess::prepare`]'s answer.
pub struct Prepared {
    pub env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    pub slot: Box<dyn std::any::Any + Send>,
}

/// A shared [`GitAccess`]; its `Debug` names nothing it holds.
#[derive(Clone)]
pub struct Access(pub std::sync::Arc<dyn GitAccess>);

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Access(..)")
    }
}

/// `--verify` and `--reverify`.
#[derive(Debug, Clone)]
pub struct Verify {
    pub settings: crate::verify::Settings,
    /// Check credentials found dead before again too (otherwise only new,
    /// live, unknown and skipped ones are sent again).
    pub reverify: bool,
}

/// What happened to one repository.
#[derive(Debug)]
pub struct RepoOutcome {
    pub name: String,
    /// The URL without userinfo.
    pub url: String,
    pub branch: Option<String>,
    pub scope: Scope,
    /// Its refs were those of its last complete scan: not opened, its
    /// findings are the store's.
    pub unchanged: bool,
    /// Blobs scanned in this run (0 when nothing changed).
    pub blobs_scanned: u64,
    /// Blobs left out as settled before (here or earlier in this run).
    pub blobs_known: u64,
    /// Known blobs with findings read again.
    pub blobs_rechecked: u64,
    /// One finding per secret (suppressed ones included, marked).
    pub findings: Vec<Finding>,
    /// Fingerprints new since the last run.
    pub new: HashSet<String>,
    /// When each finding was first seen.
    pub first_seen: BTreeMap<String, String>,
    /// Findings a complete scan no longer sees.
    pub fixed: Vec<state::Stored>,
    /// HEAD's commit and branch of the mirror, when it could be read.
    pub provenance: Option<git::Provenance>,
    /// Objects that could not be read (the scan is then not complete).
    pub skipped: Vec<crate::stats::Skip>,
}

impl RepoOutcome {
    fn failed(repo: &RepoSpec, reason: String) -> Self {
        RepoOutcome {
            name: repo.name.clone(),
            url: repo.display_url(),
            branch: repo.branch.clone(),
            scope: Scope::Failed(reason),
            unchanged: false,
            blobs_scanned: 0,
            blobs_known: 0,
            blobs_rechecked: 0,
            findings: Vec::new(),
            new: HashSet::new(),
            first_seen: BTreeMap::new(),
            fixed: Vec::new(),
            provenance: None,
            skipped: Vec::new(),
        }
    }
}

/// What a run needs besides the repositories.
pub struct Context<'a> {
    pub detector: &'a Detector,
    pub rules: &'a RuleSet,
    pub digest: &'a str,
    pub settings: &'a Settings,
    /// Called after each repository is committed (progress).
    pub on_done: &'a (dyn Fn(&RepoOutcome, usize) + Sync),
}

/// Runs every repository of `repos`, `settings.jobs` at a time, committing
/// each to `store` as it finishes. Only a store that fails mid-run is an
/// error (the repositories committed so far stay committed).
pub fn run(
    repos: &[RepoSpec],
    store: &mut Store,
    run_id: i64,
    cx: &Context<'_>,
) -> Result<Vec<RepoOutcome>, state::StateError> {
    let store = Mutex::new(store);
    let run_blobs = RunBlobs::default();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, RepoOutcome)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<state::StateError>> = Mutex::new(None);
    let jobs = cx.settings.jobs.clamp(1, repos.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                if failure.lock().is_ok_and(|f| f.is_some()) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(repo) = repos.get(i) else { return };
                match one(repo, &store, run_id, &run_blobs, cx) {
                    Ok(outcome) => {
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        (cx.on_done)(&outcome, n);
                        results
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((i, outcome));
                    }
                    Err(e) => {
                        *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// Blobs settled without findings by repositories committed earlier in
/// this run.
#[derive(Default)]
struct RunBlobs {
    clean: RwLock<HashSet<ObjectId>>,
}

/// One repository: mirror, scan, commit.
fn one(
    repo: &RepoSpec,
    store: &Mutex<&mut Store>,
    run_id: i64,
    run_blobs: &RunBlobs,
    cx: &Context<'_>,
) -> Result<RepoOutcome, state::StateError> {
    let lock = || store.lock().unwrap_or_else(|e| e.into_inner());
    let (mut outcome, blobs) = match scan_repo(repo, store, run_blobs, cx) {
        Ok(scanned) => (scanned.outcome, Some(scanned.blobs)),
        Err(reason) => (RepoOutcome::failed(repo, reason), None),
    };
    let (settled, with_findings, records, refs) = match blobs {
        Some(blobs) => (
            blobs.settled,
            blobs.with_findings,
            records(&outcome.findings),
            Some(blobs.refs),
        ),
        // Nothing was read: keep what was known.
        None => (
            Vec::new(),
            lock().known(&repo.name, cx.digest)?.with_findings,
            Vec::new(),
            None,
        ),
    };
    let changes: Changes = lock().commit_repo(
        run_id,
        &state::RepoResult {
            name: &repo.name,
            url: &outcome.url,
            scope: outcome.scope.clone(),
            digest: cx.digest,
            settled: &settled,
            with_findings: &with_findings,
            findings: &records,
            blobs_scanned: outcome.blobs_scanned,
            refs: refs.as_deref(),
        },
    )?;
    if outcome.scope == Scope::Complete {
        // Settled without findings: later repositories of this run skip them.
        let with: HashSet<&ObjectId> = with_findings.iter().collect();
        let mut clean = run_blobs.clean.write().unwrap_or_else(|e| e.into_inner());
        clean.extend(settled.iter().filter(|id| !with.contains(id)));
    }
    outcome.new = changes.new.into_iter().collect();
    outcome.first_seen = changes.first_seen;
    outcome.fixed = changes.fixed;
    Ok(outcome)
}

/// A scanned repository and the blobs its scan settled.
struct Scanned {
    outcome: RepoOutcome,
    blobs: Blobs,
}

/// What the store learns of a repository's blobs.
struct Blobs {
    /// Settled this run (scanned, skipped by rule, or settled clean by
    /// another repository of this run).
    settled: Vec<ObjectId>,
    /// Every blob with findings now.
    with_findings: Vec<ObjectId>,
    /// The refs' key of the mirror that was scanned ([`refs_key`]).
    refs: String,
}

/// Mirror and scan; `Err` is the reason the repository failed before any
/// finding could be made.
fn scan_repo(
    repo: &RepoSpec,
    store: &Mutex<&mut Store>,
    run_blobs: &RunBlobs,
    cx: &Context<'_>,
) -> Result<Scanned, String> {
    let settings = cx.settings;
    let (dir, _) = match &settings.access {
        Some(access) => {
            let prepared = access.0.prepare(repo)?;
            let spec = RepoSpec {
                env: prepared.env,
                ..repo.clone()
            };
            let updated = mirror::update(&spec, &settings.cache, settings.repo_timeout);
            drop(prepared.slot);
            updated
        }
        None => mirror::update(repo, &settings.cache, settings.repo_timeout),
    }
    .map_err(|e| e.to_string())?;
    let mirror = git::open(&dir).map_err(|e| e.to_string())?;
    let known = store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .known(&repo.name, cx.digest)
        .map_err(|e| e.to_string())?;
    let refs = refs_key(&mirror, repo)?;
    if known.refs.as_deref() == Some(refs.as_str()) {
        let previous = store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .findings(&repo.name)
            .map_err(|e| e.to_string())?;
        if let Some(scanned) = unchanged(repo, &mirror, &known, refs.clone(), &previous, settings) {
            return Ok(scanned);
        }
    }
    // Blobs another repository settled clean this run: skipped, and
    // remembered as settled here too.
    let borrowed: Mutex<Vec<ObjectId>> = Mutex::new(Vec::new());
    let is_known = |id: &gix::oid| {
        if known.settled.contains(id) {
            return true;
        }
        // A read lock per lookup, not for the whole scan: a repository
        // finishing meanwhile must be able to add its blobs.
        let clean = run_blobs.clean.read().unwrap_or_else(|e| e.into_inner());
        if clean.contains(id) {
            borrowed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(id.to_owned());
            return true;
        }
        false
    };
    // `--verify` plans are made while the blobs are in memory (a key id
    // pairs with a secret nearby); sent only after triage.
    let plans = Mutex::new(crate::verify::Plans::default());
    let observe = |blob: &[u8], found: &[Finding]| {
        plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add_blob(blob, found);
    };
    let observer: Option<scan::Observer<'_>> = settings.verify.is_some().then_some(&observe);
    let plan = scan::Incremental {
        known: &is_known,
        recheck: &known.with_findings,
        branch: repo.branch.as_deref(),
    };
    let result = scan::run_git_incremental(
        cx.detector,
        &mirror,
        &plan,
        &settings.history,
        settings.min_confidence,
        observer,
    )
    .map_err(|e| e.to_string())?;
    let mut settled = result.settled;
    settled.extend(borrowed.into_inner().unwrap_or_else(|e| e.into_inner()));

    let mut findings = result.outcome.findings;
    // Every blob with findings, reachable or not: an unreachable one may
    // become reachable again and must then be read again, not skipped.
    let with_findings: Vec<ObjectId> = findings
        .iter()
        .filter_map(|f| {
            f.git()
                .and_then(|g| ObjectId::from_hex(g.blob.as_bytes()).ok())
        })
        .collect();
    // A mirror's unreachable objects are leftovers of rewritten history
    // (a clone only receives what refs reach): not present any more.
    findings.retain(|f| f.git().is_none_or(|g| g.reachable));
    if let Ok(lists) = crate::suppress::allowlist::Allowlists::new(cx.rules) {
        lists.apply(&mut findings);
    }
    let mut findings = crate::group::group(findings);
    let previous = store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .findings(&repo.name)
        .map_err(|e| e.to_string())?;
    verify(
        &mut findings,
        plans.into_inner().unwrap_or_else(|e| e.into_inner()),
        &previous,
        settings.verify.as_ref(),
    );

    let skipped: Vec<_> = result
        .outcome
        .stats
        .skipped
        .into_iter()
        .filter(|s| s.reason == crate::stats::SkipReason::Corrupt)
        .collect();
    let scope = if skipped.is_empty() && result.history.corrupt == 0 {
        Scope::Complete
    } else {
        Scope::Failed(format!(
            "{} object(s) could not be read (first: {}: {})",
            skipped.len().max(result.history.corrupt as usize),
            skipped.first().map_or("?", |s| s.path.as_str()),
            skipped.first().map_or("corrupt", |s| s.message.as_str()),
        ))
    };
    let outcome = RepoOutcome {
        name: repo.name.clone(),
        url: repo.display_url(),
        branch: repo.branch.clone(),
        scope,
        unchanged: false,
        blobs_scanned: result.history.scanned,
        blobs_known: result.history.known,
        blobs_rechecked: result.rechecked,
        findings,
        new: HashSet::new(),
        first_seen: BTreeMap::new(),
        fixed: Vec::new(),
        provenance: Some(mirror.provenance()),
        skipped,
    };
    Ok(Scanned {
        outcome,
        blobs: Blobs {
            settled,
            with_findings,
            refs,
        },
    })
}

/// What identifies the history a scan saw: the mirror's refs
/// ([`git::Repo::refs_fingerprint`]), the branch attribution follows and
/// the URL (reports carry it). Recorded at a complete scan; equal next
/// time, nothing the scan would find can differ.
fn refs_key(mirror: &git::Repo, repo: &RepoSpec) -> Result<String, String> {
    use sha2::{Digest, Sha256};
    let refs = mirror.refs_fingerprint().map_err(|e| e.to_string())?;
    let mut h = Sha256::new();
    for part in [
        refs.as_str(),
        repo.branch.as_deref().unwrap_or(""),
        &repo.display_url(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    Ok(hex::encode(h.finalize()))
}

/// An unchanged repository (refs as at its last complete scan, same scan
/// digest): its findings are the store's, no pack is opened and no blob
/// read. `None` when the store cannot stand in for a scan: the report
/// needs clear secrets (`--show-secrets`), `--verify` must send one of its
/// credentials again (that needs the blob), or a finding was stored
/// before findings were kept (schema 1).
fn unchanged(
    repo: &RepoSpec,
    mirror: &git::Repo,
    known: &state::Known,
    refs: String,
    previous: &[state::Stored],
    settings: &Settings,
) -> Option<Scanned> {
    if settings.need_secrets {
        return None;
    }
    let present: Vec<&state::Stored> = previous.iter().filter(|s| s.status == "present").collect();
    if let Some(v) = &settings.verify {
        let resend = present.iter().any(|s| {
            !s.record.suppressed
                && (v.reverify
                    || s.record
                        .verification
                        .as_deref()
                        .and_then(|t| serde_json::from_str::<crate::finding::Verification>(t).ok())
                        .is_none_or(|l| l.status != crate::finding::Status::Dead))
        });
        if resend {
            return None;
        }
    }
    let texts: Option<Vec<&str>> = present.iter().map(|s| s.record.kept.as_deref()).collect();
    let mut findings = super::kept::restore(texts?)?;
    // The last verdicts, as for any finding not verified this run.
    verify(
        &mut findings,
        crate::verify::Plans::default(),
        previous,
        None,
    );
    let outcome = RepoOutcome {
        name: repo.name.clone(),
        url: repo.display_url(),
        branch: repo.branch.clone(),
        scope: Scope::Complete,
        unchanged: true,
        blobs_scanned: 0,
        blobs_known: known.settled.len() as u64,
        blobs_rechecked: 0,
        findings,
        new: HashSet::new(),
        first_seen: BTreeMap::new(),
        fixed: Vec::new(),
        provenance: Some(mirror.provenance()),
        skipped: Vec::new(),
    };
    Some(Scanned {
        outcome,
        blobs: Blobs {
            settled: Vec::new(),
            with_findings: known.with_findings.clone(),
            refs,
        },
    })
}

/// `--verify` for one repository's findings, and the last verification of
/// every finding not verified this time (so a report shows what was last
/// known, with its time). Suppressed findings are never sent; dead ones
/// only with `--reverify`.
fn verify(
    findings: &mut [Finding],
    mut plans: crate::verify::Plans,
    previous: &[state::Stored],
    verify: Option<&Verify>,
) {
    use crate::finding::{Status, Verification};
    let last: BTreeMap<&str, Verification> = previous
        .iter()
        .filter_map(|s| {
            let v = serde_json::from_str(s.record.verification.as_deref()?).ok()?;
            Some((s.record.fingerprint.as_str(), v))
        })
        .collect();
    if let Some(v) = verify {
        let wanted: HashSet<&str> = findings
            .iter()
            .filter(|f| f.suppression.is_none())
            .filter(|f| {
                v.reverify
                    || last
                        .get(f.fingerprint.as_str())
                        .is_none_or(|l| l.status != Status::Dead)
            })
            .map(|f| f.fingerprint.as_str())
            .collect();
        plans.retain(|fp| wanted.contains(fp));
        let results = crate::verify::verify_plans(plans, &v.settings);
        crate::verify::attach(findings, &results);
    }
    for f in findings.iter_mut() {
        if f.verification.is_none() && f.suppression.is_none() {
            f.verification = last.get(f.fingerprint.as_str()).cloned();
        }
    }
}

/// One record per fingerprint: the reported group if there is one, else
/// the suppressed one; every finding of the fingerprint kept with it.
fn records(findings: &[Finding]) -> Vec<Record> {
    let mut by_fp: BTreeMap<&str, Vec<(usize, &Finding)>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_fp.entry(&f.fingerprint).or_default().push((i, f));
    }
    by_fp
        .into_values()
        .map(|members| {
            let shown = members
                .iter()
                .find(|(_, f)| f.suppression.is_none())
                .unwrap_or(&members[0])
                .1;
            Record {
                kept: Some(super::kept::keep(&members)),
                ..record(shown)
            }
        })
        .collect()
}

/// What the store keeps of a finding: never the clear secret.
pub fn record(f: &Finding) -> Record {
    let places: Vec<serde_json::Value> = f
        .places()
        .iter()
        .map(|p| {
            let git = match &p.origin {
                crate::finding::Origin::Git(g) => serde_json::json!({
                    "blob": g.blob,
                    "commit": g.commit,
                    "paths": g.paths,
                    "date": g.date,
                    "in_head": g.in_head,
                }),
                _ => serde_json::Value::Null,
            };
            serde_json::json!({
                "path": p.origin.display_path(),
                "line": p.location.line,
                "column": p.location.column,
                "git": git,
            })
        })
        .collect();
    Record {
        fingerprint: f.fingerprint.clone(),
        rule_id: f.rule_id.clone(),
        rule_name: f.rule_name.clone(),
        provider: f.provider.clone(),
        severity: f.severity.as_str().to_string(),
        secret_redacted: f.secret.redacted(),
        in_head: f.in_head(),
        suppressed: f.suppression.is_some(),
        places: serde_json::Value::Array(places).to_string(),
        verification: f
            .verification
            .as_ref()
            .and_then(|v| serde_json::to_string(v).ok()),
        verified_at: f.verification.as_ref().map(|v| v.checked_at.clone()),
        kept: None,
    }
}

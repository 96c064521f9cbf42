//! One run of the pipeline: a source feeds blobs to the detector, each
//! blob's matches become [`Finding`]s (location, fingerprint, inline
//! suppression), and the run returns them sorted with its [`Stats`].

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use crate::detect::{Detector, KeywordHits, Match};
use crate::finding::{fingerprint, Finding, GitOrigin, Location, Origin, Secret};
use crate::rules::Confidence;
use crate::source::{self, git, PathNamer, Piece, WalkError, WalkOptions};
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
    findings_of(
        detector,
        blob,
        detector.detect(blob),
        origin,
        min_confidence,
    )
}

fn findings_of(
    detector: &Detector,
    blob: &[u8],
    matches: Vec<Match>,
    origin: &Origin,
    min_confidence: Confidence,
) -> Vec<Finding> {
    matches
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
        locations: Vec::new(),
        baseline: None,
        verification: None,
    }
}

/// Sees each blob that had findings, with its findings, while the blob
/// is still in memory (`--verify` reads the context around a secret).
pub type Observer<'a> = &'a (dyn Fn(&[u8], &[Finding]) + Sync);

/// Scans `input` with `detector`.
pub fn run(
    detector: &Detector,
    input: &Input,
    walk: &WalkOptions,
    namer: &PathNamer,
    min_confidence: Confidence,
) -> Result<Outcome, WalkError> {
    run_observed(detector, input, walk, namer, min_confidence, None)
}

/// [`run`], showing each blob with findings to `observe`.
pub fn run_observed(
    detector: &Detector,
    input: &Input,
    walk: &WalkOptions,
    namer: &PathNamer,
    min_confidence: Confidence,
    observe: Option<Observer<'_>>,
) -> Result<Outcome, WalkError> {
    let started = Instant::now();
    let counters = Counters::default();
    let found = Mutex::new(Vec::new());
    let visit = |piece: Piece<'_>| {
        let mut f = piece_findings(detector, &piece, min_confidence, observe);
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
        Input::Stdin => {
            let options = source::stdin::StdinOptions {
                limit: walk.max_file_size,
                chunking: walk.chunking,
                expand: walk.expand,
                // Piped input was always scanned whatever its bytes.
                binary: true,
            };
            source::stdin::read(options, &counters, &visit)
        }
    }
    let mut findings = found.into_inner().unwrap_or_else(|e| e.into_inner());
    sort_and_dedup(&mut findings);
    Ok(Outcome {
        findings,
        stats: counters.finish(started.elapsed()),
    })
}

/// The findings of one piece of an input (a whole small input is one
/// piece), at input-relative locations.
fn piece_findings(
    detector: &Detector,
    piece: &Piece<'_>,
    min_confidence: Confidence,
    observe: Option<Observer<'_>>,
) -> Vec<Finding> {
    let blob = piece.bytes;
    // A streamed piece reports only the secrets it owns; its neighbours
    // report the rest (source::stream).
    let mut matches = detector.detect(blob);
    matches.retain(|m| piece.owned.contains(&m.secret.start));
    let mut f = findings_of(detector, blob, matches, piece.origin, min_confidence);
    // The observer reads context by line within the bytes it is shown, so
    // it sees piece-relative locations; reports get input-relative ones.
    if let (Some(observe), false) = (observe, f.is_empty()) {
        observe(blob, &f);
    }
    for finding in &mut f {
        finding.location = piece.at.place(finding.location);
    }
    f
}

/// Sorts for stable output and drops exact repeats (the same file reached
/// through two roots). History findings in different blobs are different
/// places even at the same path and line: the blob id is part of the key.
pub fn sort_and_dedup(findings: &mut Vec<Finding>) {
    let key = |f: &Finding| {
        (
            f.path().to_string(),
            f.location.line,
            f.location.column,
            f.rule_id.clone(),
            f.git().map(|g| g.blob.clone()),
        )
    };
    findings.sort_by_key(key);
    findings.dedup_by(|a, b| key(a) == key(b));
}

/// Which part of a repository's history `keyhound git` scans.
#[derive(Debug, Clone)]
pub enum GitScope {
    /// Every unique blob in the object database, reachable or not;
    /// attribution walks all refs, or only `branch`.
    Full { branch: Option<String> },
    /// Blobs introduced by the commits of a range (`A..B`, or `REF..HEAD`
    /// for `--since`).
    Range(git::RevRange),
    /// Index entries that differ from HEAD.
    Staged,
}

/// Scans a repository's history: each unique blob once, then commit
/// provenance for the blobs that had findings only.
pub fn run_git(
    detector: &Detector,
    repo: &git::Repo,
    scope: &GitScope,
    options: &git::HistoryOptions,
    min_confidence: Confidence,
    progress: bool,
) -> Result<Outcome, git::GitError> {
    run_git_observed(
        detector,
        repo,
        scope,
        options,
        min_confidence,
        progress,
        None,
    )
}

/// [`run_git`], showing each blob with findings to `observe`.
pub fn run_git_observed(
    detector: &Detector,
    repo: &git::Repo,
    scope: &GitScope,
    options: &git::HistoryOptions,
    min_confidence: Confidence,
    progress: bool,
    observe: Option<Observer<'_>>,
) -> Result<Outcome, git::GitError> {
    let started = Instant::now();
    let counters = Counters::default();
    let blobs = BlobScan::new(detector, min_confidence, observe);
    let found = &blobs.found;
    // The git source counts scanned blobs itself.
    let visit =
        |id: git::ObjectId, blob: &[u8], lineage: git::Lineage<'_>| blobs.visit(id, blob, lineage);
    // A blob too large to build in memory, in pieces (as a streamed file).
    let visit_piece = |id: git::ObjectId, piece: Piece<'_>| blobs.piece(id, piece);
    let visit_plain = |id: git::ObjectId, blob: &[u8]| {
        visit(id, blob, git::Lineage::ALONE);
    };
    let mut provenance: HashMap<git::ObjectId, GitOrigin> = HashMap::new();
    match scope {
        GitScope::Full { branch } => {
            let so_far = || blobs.count();
            crate::progress::with_progress(progress, &counters, &so_far, || {
                repo.for_each_blob_streamed(options, &counters, &visit, &visit_piece)
            })?;
            provenance = attribute_found(repo, &blobs, branch.as_deref(), &counters)?;
        }
        GitScope::Range(range) => {
            let blobs = repo.blobs_in_range(&range.exclude, &range.include, &counters)?;
            let ids: Vec<git::ObjectId> = blobs.iter().map(|b| b.id).collect();
            repo.visit_blobs(&ids, options, &counters, &visit_plain);
            // A range's blobs may since have been deleted again: say which
            // are still in HEAD (one tree walk, only when there are findings).
            let any = found.lock().map_or(true, |f| !f.is_empty());
            let head = if any {
                repo.head_blobs()
            } else {
                HashSet::new()
            };
            for b in blobs {
                let mut origin = from_commit(b.id, b.commit.as_ref(), b.paths);
                origin.commit = Some(b.commit_id.to_string());
                origin.reachable = true;
                origin.in_head = Some(head.contains(&b.id));
                provenance.insert(b.id, origin);
            }
        }
        GitScope::Staged => {
            let staged = repo.staged_blobs()?;
            let ids: Vec<git::ObjectId> = staged.iter().map(|b| b.id).collect();
            repo.visit_blobs(&ids, options, &counters, &visit_plain);
            for b in staged {
                provenance
                    .entry(b.id)
                    .or_insert_with(|| from_commit(b.id, None, Vec::new()))
                    .paths
                    .push(b.path);
            }
        }
    }
    let findings = blobs.into_findings(&provenance);
    Ok(Outcome {
        findings,
        stats: counters.finish(started.elapsed()),
    })
}

/// What an incremental history scan (`keyhound org`) is told by its
/// caller: which blobs it settled before under the same scan digest, and
/// which of those had findings.
pub struct Incremental<'a> {
    /// Blobs settled before: neither scanned nor (where nothing new needs
    /// them) decoded.
    pub known: git::Known<'a>,
    /// Known blobs that had findings. They are read again, and only they,
    /// so that a finding in a blob that is still there stays present, with
    /// fresh provenance and its secret in memory for `--verify`, without
    /// the state store ever holding a secret. Ids no longer in the
    /// repository are left out: their findings are gone.
    pub recheck: &'a [git::ObjectId],
    /// Attribution follows only this branch (`None`: every ref).
    pub branch: Option<&'a str>,
}

/// The result of [`run_git_incremental`].
#[derive(Debug)]
pub struct IncrementalOutcome {
    /// Findings one per place, with provenance, sorted; `stats` counts the
    /// new blobs only.
    pub outcome: Outcome,
    /// The enumeration's counts (`scanned`: blobs scanned this time,
    /// `known`: blobs left out).
    pub history: git::HistoryStats,
    /// Blobs settled this time, to add to what the caller knows.
    pub settled: Vec<git::ObjectId>,
    /// Known blobs with findings read again ([`Incremental::recheck`]).
    pub rechecked: u64,
}

/// A full-history scan that scans only blobs not settled before, and keeps
/// the findings of known blobs present by reading just those blobs again.
pub fn run_git_incremental(
    detector: &Detector,
    repo: &git::Repo,
    plan: &Incremental<'_>,
    options: &git::HistoryOptions,
    min_confidence: Confidence,
    observe: Option<Observer<'_>>,
) -> Result<IncrementalOutcome, git::GitError> {
    let started = Instant::now();
    let counters = Counters::default();
    let blobs = BlobScan::new(detector, min_confidence, observe);
    let new = repo.for_each_new_blob(options, plan.known, &counters, &|id, blob, lineage| {
        blobs.visit(id, blob, lineage)
    })?;
    // Read again with counters of their own: they are not new blobs.
    let again = Counters::default();
    let present = repo.existing(plan.recheck);
    repo.visit_blobs(&present, options, &again, &|id, blob| {
        blobs.visit(id, blob, git::Lineage::ALONE);
    });
    let provenance = attribute_found(repo, &blobs, plan.branch, &counters)?;
    let findings = blobs.into_findings(&provenance);
    let mut stats = counters.finish(started.elapsed());
    // A known blob that can no longer be read must not make its findings
    // look gone: its skip goes into the outcome like any other.
    let again = again.finish(std::time::Duration::ZERO);
    let rechecked = again.files_scanned;
    stats.skipped.extend(again.skipped);
    Ok(IncrementalOutcome {
        outcome: Outcome { findings, stats },
        history: new.stats,
        settled: new.settled,
        rechecked,
    })
}

/// Attribution of the blobs that had findings (one commit-graph walk, only
/// when there are any).
fn attribute_found(
    repo: &git::Repo,
    blobs: &BlobScan<'_>,
    branch: Option<&str>,
    counters: &Counters,
) -> Result<HashMap<git::ObjectId, GitOrigin>, git::GitError> {
    let wanted: HashSet<git::ObjectId> = blobs
        .found
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(id, _)| *id)
        .collect();
    let mut provenance = HashMap::new();
    if wanted.is_empty() {
        return Ok(provenance);
    }
    for (id, a) in repo.attribute(&wanted, branch, counters)? {
        provenance.insert(id, from_attribution(id, a));
    }
    Ok(provenance)
}

/// The detector's side of a history scan: each blob's findings, made with
/// a provisional origin (the blob id) and given their provenance once
/// attribution has run.
struct BlobScan<'a> {
    detector: &'a Detector,
    min_confidence: Confidence,
    observe: Option<Observer<'a>>,
    derive: bool,
    found: Mutex<Vec<(git::ObjectId, Vec<Finding>)>>,
}

impl<'a> BlobScan<'a> {
    fn new(
        detector: &'a Detector,
        min_confidence: Confidence,
        observe: Option<Observer<'a>>,
    ) -> Self {
        BlobScan {
            detector,
            min_confidence,
            observe,
            derive: delta_hits_enabled(),
            found: Mutex::new(Vec::new()),
        }
    }

    /// One piece of a blob streamed because it is too large to build.
    fn piece(&self, id: git::ObjectId, piece: Piece<'_>) {
        let f = piece_findings(self.detector, &piece, self.min_confidence, self.observe);
        if !f.is_empty() {
            self.found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((id, f));
        }
    }

    /// Findings so far (for the progress line).
    fn count(&self) -> usize {
        self.found
            .lock()
            .map_or(0, |f| f.iter().map(|(_, v)| v.len()).sum())
    }

    fn visit(
        &self,
        id: git::ObjectId,
        blob: &[u8],
        lineage: git::Lineage<'_>,
    ) -> Option<git::Kept> {
        let (detector, derive) = (self.detector, self.derive);
        let origin = Origin::Git(Box::new(GitOrigin {
            blob: id.to_string(),
            commit: None,
            paths: Vec::new(),
            author: None,
            email: None,
            date: None,
            summary: None,
            reachable: false,
            in_head: None,
            commits: None,
        }));
        // A delta's keyword hits are derived from its base's where the
        // base's were kept (exactly the same hits, see detect/derive.rs).
        let base = lineage
            .base
            .as_ref()
            .filter(|_| derive)
            .and_then(|d| Some((d, d.base.downcast_ref::<KeywordHits>()?)));
        let hits = match base {
            Some((d, base)) => detector.derive_hits(blob, base, d.copies()),
            None => detector.keyword_hits(blob),
        };
        let matches = detector.detect_with(blob, &hits);
        let f = findings_of(detector, blob, matches, &origin, self.min_confidence);
        if let (Some(observe), false) = (self.observe, f.is_empty()) {
            observe(blob, &f);
        }
        if !f.is_empty() {
            self.found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((id, f));
        }
        (derive && lineage.has_deltas).then(|| Box::new(hits) as git::Kept)
    }

    /// Every finding, given its blob's provenance where there is one.
    fn into_findings(self, provenance: &HashMap<git::ObjectId, GitOrigin>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (id, mut fs) in self.found.into_inner().unwrap_or_else(|e| e.into_inner()) {
            if let Some(origin) = provenance.get(&id) {
                for f in &mut fs {
                    f.origin = Origin::Git(Box::new(origin.clone()));
                }
            }
            findings.append(&mut fs);
        }
        sort_and_dedup(&mut findings);
        findings
    }
}

/// Whether history scans derive a delta's keyword hits from its base's.
/// `KEYHOUND_NO_DELTA_HITS=1` turns it off, to check that a scan without it
/// finds the same (a debugging switch, see docs/benchmarks.md).
fn delta_hits_enabled() -> bool {
    std::env::var_os("KEYHOUND_NO_DELTA_HITS").is_none_or(|v| v.is_empty() || v == "0")
}

fn from_commit(
    id: git::ObjectId,
    commit: Option<&git::CommitInfo>,
    paths: Vec<String>,
) -> GitOrigin {
    GitOrigin {
        blob: id.to_string(),
        commit: commit.map(|c| c.id.to_string()),
        paths,
        author: commit.map(|c| c.author_name.clone()),
        email: commit.map(|c| c.author_email.clone()),
        date: commit.map(|c| c.date.clone()),
        summary: commit.map(|c| c.summary.clone()),
        reachable: false,
        in_head: None,
        commits: None,
    }
}

fn from_attribution(id: git::ObjectId, a: git::Attribution) -> GitOrigin {
    let mut origin = from_commit(id, a.commit.as_ref(), a.paths);
    origin.reachable = a.reachable;
    origin.in_head = Some(a.in_head);
    origin.commits = Some(a.commits);
    origin
}

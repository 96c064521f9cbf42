//! The state store (`--state FILE`): what earlier runs settled, so a
//! night scans only what changed and can say what is new and what is
//! fixed.
//!
//! One SQLite database (bundled SQLite, WAL journal):
//!
//! - `repos`: every repository by name.
//! - `repo_blobs`: per repository, under a **scan digest** (rules, keyhound
//!   version, every setting that changes findings), the blob ids settled
//!   (scanned, or skipped by the size and binary rules) and those that had
//!   findings, and the refs key of its last scan when that scan was
//!   complete (an unchanged repository is then not opened). Packed
//!   20-byte ids in one row per repository: a night rewrites one row per
//!   repository, not one per blob.
//! - `findings`: every finding by (repository, fingerprint): first and
//!   last seen, `present` or `fixed`, in HEAD or history only,
//!   suppressed, its places (redacted), the last verification and when.
//!   No secret is stored in the clear.
//! - `kept`: per present finding, everything a report renders of it
//!   (`org::kept`, secret redacted), so that an unchanged repository is
//!   reported from the store.
//! - `runs` and `run_repos`: the scope of every run: which repositories
//!   were scanned completely, which failed and why, which were skipped.
//!
//! Fail closed: a finding becomes `fixed` only when a complete scan of its
//! repository no longer sees it; a failed repository's findings stay as
//! they were. Each repository is committed in one transaction, so a crash
//! loses at most the repository in flight.
//!
//! The schema version is SQLite's `user_version`; [`MIGRATIONS`] bring an
//! older store up to date, a newer one is refused. A store that fails
//! `PRAGMA quick_check` (or is not a database at all) is moved aside and
//! rebuilt, with a warning: a damaged store is never trusted. One run at a
//! time: a lock file beside the store is held for the whole run; a second
//! process waits for it up to a limit and then fails clearly. Inside,
//! SQLite's `busy_timeout` covers the short moments anything else (a
//! reader such as `sqlite3`) holds the database.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::source::git::ObjectId;

/// The schema this keyhound writes.
pub const SCHEMA_VERSION: i64 = 3;

/// `MIGRATIONS[v]` takes a store from version `v` to `v + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the first schema.
    "CREATE TABLE repos (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL
    );
    CREATE TABLE repo_blobs (
        repo_id INTEGER PRIMARY KEY REFERENCES repos(id),
        digest TEXT NOT NULL,
        settled BLOB NOT NULL,
        with_findings BLOB NOT NULL
    );
    CREATE TABLE findings (
        repo_id INTEGER NOT NULL REFERENCES repos(id),
        fingerprint TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        provider TEXT NOT NULL,
        severity TEXT NOT NULL,
        secret_redacted TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('present', 'fixed')),
        fixed_at TEXT,
        in_head INTEGER,
        suppressed INTEGER NOT NULL,
        places TEXT NOT NULL,
        verification TEXT,
        verified_at TEXT,
        PRIMARY KEY (repo_id, fingerprint)
    ) WITHOUT ROWID;
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        finished TEXT,
        digest TEXT NOT NULL,
        shard TEXT NOT NULL,
        keyhound_version TEXT NOT NULL
    );
    CREATE TABLE run_repos (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        repo_id INTEGER NOT NULL REFERENCES repos(id),
        scope TEXT NOT NULL CHECK (scope IN ('complete', 'failed', 'skipped')),
        error TEXT,
        blobs_scanned INTEGER NOT NULL,
        PRIMARY KEY (run_id, repo_id)
    ) WITHOUT ROWID;",
    // 1 -> 2: what an unchanged repository needs to be reported without
    // being opened: its refs' fingerprint at its last complete scan, and
    // every finding as reports render it (secret redacted).
    "ALTER TABLE repo_blobs ADD COLUMN refs TEXT;
    ALTER TABLE findings ADD COLUMN kept TEXT;",
    // 2 -> 3: the kept findings in a table of their own. An unchanged
    // night updates every present finding's last_seen; with the kept
    // text (kilobytes each) in the same row that rewrote the whole store.
    "CREATE TABLE kept (
        repo_id INTEGER NOT NULL REFERENCES repos(id),
        fingerprint TEXT NOT NULL,
        kept TEXT NOT NULL,
        PRIMARY KEY (repo_id, fingerprint)
    ) WITHOUT ROWID;
    INSERT INTO kept SELECT repo_id, fingerprint, kept FROM findings WHERE kept IS NOT NULL;
    ALTER TABLE findings DROP COLUMN kept;",
];

/// Bytes of one stored blob id (SHA-1).
const ID_LEN: usize = 20;

/// What can go wrong with the store itself.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "state store {} has schema version {found}, newer than this keyhound's {SCHEMA_VERSION}: \
         use a newer keyhound, or another --state file",
        path.display()
    )]
    Newer { path: PathBuf, found: i64 },
    #[error(
        "state store {} is in use by another keyhound run (waited {}s for {})",
        path.display(),
        waited.as_secs(),
        lock.display()
    )]
    Busy {
        path: PathBuf,
        lock: PathBuf,
        waited: Duration,
    },
    #[error("state store {}: {message}", path.display())]
    Sqlite { path: PathBuf, message: String },
}

/// An open store, held by this run.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The run lock; released when dropped.
    _lock: RunLock,
}

/// An opened store and what opening it had to say.
pub struct Opened {
    pub store: Store,
    /// Human warnings (a damaged store moved aside and rebuilt).
    pub warnings: Vec<String>,
}

/// Where a repository's scan stands in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every blob of the mirror settled: findings not seen are fixed.
    Complete,
    /// Could not be brought up to date or read completely.
    Failed(String),
    /// Not this run's (another shard, or not asked for).
    Skipped,
}

impl Scope {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::Complete => "complete",
            Scope::Failed(_) => "failed",
            Scope::Skipped => "skipped",
        }
    }
}

/// What the store knows of a repository under the current digest.
#[derive(Debug, Default)]
pub struct Known {
    /// Blobs settled by earlier runs.
    pub settled: HashSet<ObjectId>,
    /// Those of them that had findings.
    pub with_findings: Vec<ObjectId>,
    /// The refs' key recorded when the last scan was complete (`None`
    /// after a failed scan, or before any).
    pub refs: Option<String>,
}

/// A finding as stored and as the store hands it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub fingerprint: String,
    pub rule_id: String,
    pub rule_name: String,
    pub provider: String,
    pub severity: String,
    pub secret_redacted: String,
    pub in_head: Option<bool>,
    pub suppressed: bool,
    /// The places, as JSON (an array; never a clear secret).
    pub places: String,
    /// The last verification, as JSON, and when it was made.
    pub verification: Option<String>,
    pub verified_at: Option<String>,
    /// Every finding of this fingerprint as reports render it, as JSON
    /// (see `org::kept`; the secret only redacted). `None` in stores
    /// written before schema 2.
    pub kept: Option<String>,
}

/// A stored finding with its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub record: Record,
    pub first_seen: String,
    pub last_seen: String,
    /// `present` or `fixed`.
    pub status: String,
    pub fixed_at: Option<String>,
}

/// One repository's result, committed in one transaction.
pub struct RepoResult<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub scope: Scope,
    pub digest: &'a str,
    /// Blobs settled this run (added to what was known).
    pub settled: &'a [ObjectId],
    /// Every blob that has findings now (replaces the stored list).
    pub with_findings: &'a [ObjectId],
    /// Every finding seen this run.
    pub findings: &'a [Record],
    pub blobs_scanned: u64,
    /// The refs' key the scan saw; stored only when the scope is
    /// complete (a failed scan clears it: the next run scans).
    pub refs: Option<&'a str>,
    /// Not opened: its refs key was the stored one. Its findings are the
    /// store's; only their last sighting and the run's scope are written.
    pub unchanged: bool,
}

/// What a committed repository changed.
#[derive(Debug, Default)]
pub struct Changes {
    /// Fingerprints seen for the first time (or again after being fixed).
    pub new: Vec<String>,
    /// Findings a complete scan no longer saw.
    pub fixed: Vec<Stored>,
    /// For every finding seen: when it was first seen.
    pub first_seen: BTreeMap<String, String>,
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    move |e| StateError::Sqlite {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Opens (or creates) the store at `path`, waiting up to `wait` for
/// another run to release it.
pub fn open(path: &Path, wait: Duration) -> Result<Opened, StateError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StateError::Sqlite {
            path: path.to_path_buf(),
            message: format!("cannot create {}: {e}", dir.display()),
        })?;
    }
    let lock = RunLock::acquire(path, wait)?;
    let mut warnings = Vec::new();
    let conn = match connect(path) {
        Ok(conn) => conn,
        Err(Damage::Newer(found)) => {
            return Err(StateError::Newer {
                path: path.to_path_buf(),
                found,
            })
        }
        Err(Damage::Broken(why)) => {
            let aside = set_aside(path).map_err(|e| StateError::Sqlite {
                path: path.to_path_buf(),
                message: format!("is damaged ({why}) and cannot be moved aside: {e}"),
            })?;
            warnings.push(format!(
                "state store {} is damaged ({why}); moved to {} and rebuilt from scratch: \
                 this run scans every blob again and reports every finding as new",
                path.display(),
                aside.display()
            ));
            connect(path).map_err(|d| StateError::Sqlite {
                path: path.to_path_buf(),
                message: format!("cannot create a fresh store: {d:?}"),
            })?
        }
    };
    Ok(Opened {
        store: Store {
            conn,
            path: path.to_path_buf(),
            _lock: lock,
        },
        warnings,
    })
}

#[derive(Debug)]
enum Damage {
    Newer(i64),
    Broken(String),
}

/// Opens, checks and migrates.
fn connect(path: &Path) -> Result<Connection, Damage> {
    let broken = |e: rusqlite::Error| Damage::Broken(e.to_string());
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(broken)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(broken)?;
    // A file that is not a database fails here or at the check.
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(broken)?;
    if check != "ok" {
        return Err(Damage::Broken(format!("integrity check: {check}")));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(broken)?;
    if version > SCHEMA_VERSION {
        return Err(Damage::Newer(version));
    }
    // WAL: readers (a report, `sqlite3`) never block the run's commits,
    // and a crash leaves the last committed repository intact.
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(broken)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(broken)?;
    for (v, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction().map_err(broken)?;
        tx.execute_batch(sql).map_err(broken)?;
        tx.pragma_update(None, "user_version", v as i64 + 1)
            .map_err(broken)?;
        tx.commit().map_err(broken)?;
    }
    Ok(conn)
}

/// Moves a damaged store (and its WAL files) aside; returns the new name.
fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let aside = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
    std::fs::rename(path, &aside)?;
    for ext in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{ext}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{ext}", aside.display()));
        }
    }
    Ok(aside)
}

/// Now, RFC 3339 UTC, to the second.
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Store {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the start of a run.
    pub fn begin_run(&self, digest: &str, shard: &str) -> Result<i64, StateError> {
        let err = sqlite(&self.path);
        self.conn
            .execute(
                "INSERT INTO runs (started, digest, shard, keyhound_version) VALUES (?1, ?2, ?3, ?4)",
                params![now(), digest, shard, crate::VERSION],
            )
            .map_err(err)?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(&self, run: i64) -> Result<(), StateError> {
        self.conn
            .execute(
                "UPDATE runs SET finished = ?1 WHERE id = ?2",
                params![now(), run],
            )
            .map_err(sqlite(&self.path))?;
        Ok(())
    }

    /// The blobs settled for `name` under `digest` (nothing under another
    /// digest: a changed ruleset rescans).
    pub fn known(&self, name: &str, digest: &str) -> Result<Known, StateError> {
        let row: Option<(Vec<u8>, Vec<u8>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT b.settled, b.with_findings, b.refs FROM repo_blobs b
                 JOIN repos r ON r.id = b.repo_id
                 WHERE r.name = ?1 AND b.digest = ?2",
                params![name, digest],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(sqlite(&self.path))?;
        let Some((settled, with_findings, refs)) = row else {
            return Ok(Known::default());
        };
        Ok(Known {
            settled: unpack(&settled).collect(),
            with_findings: unpack(&with_findings).collect(),
            refs,
        })
    }

    /// Every stored finding of `name` (present and fixed).
    pub fn findings(&self, name: &str) -> Result<Vec<Stored>, StateError> {
        let err = sqlite(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.fingerprint, f.rule_id, f.rule_name, f.provider, f.severity,
                        f.secret_redacted, f.in_head, f.suppressed, f.places, f.verification,
                        f.verified_at, f.first_seen, f.last_seen, f.status, f.fixed_at, k.kept
                 FROM findings f JOIN repos r ON r.id = f.repo_id
                 LEFT JOIN kept k ON k.repo_id = f.repo_id AND k.fingerprint = f.fingerprint
                 WHERE r.name = ?1
                 ORDER BY f.fingerprint",
            )
            .map_err(&err)?;
        let rows = stmt.query_map(params![name], stored_row).map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Records one repository's result in one transaction: its scope, the
    /// blobs now settled, and its findings. Returns what changed.
    pub fn commit_repo(
        &mut self,
        run: i64,
        result: &RepoResult<'_>,
    ) -> Result<Changes, StateError> {
        let path = self.path.clone();
        let err = sqlite(&path);
        let now = now();
        let tx = self.conn.transaction().map_err(&err)?;
        tx.execute(
            "INSERT INTO repos (name, url) VALUES (?1, ?2)
             ON CONFLICT(name) DO UPDATE SET url = excluded.url",
            params![result.name, result.url],
        )
        .map_err(&err)?;
        let repo_id: i64 = tx
            .query_row(
                "SELECT id FROM repos WHERE name = ?1",
                params![result.name],
                |r| r.get(0),
            )
            .map_err(&err)?;
        let error = match &result.scope {
            Scope::Failed(reason) => Some(reason.as_str()),
            _ => None,
        };
        tx.execute(
            "INSERT OR REPLACE INTO run_repos (run_id, repo_id, scope, error, blobs_scanned)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                run,
                repo_id,
                result.scope.as_str(),
                error,
                result.blobs_scanned as i64
            ],
        )
        .map_err(&err)?;
        let mut changes = Changes::default();
        if result.scope == Scope::Skipped {
            tx.commit().map_err(&err)?;
            return Ok(changes);
        }
        if result.unchanged && result.scope == Scope::Complete {
            tx.execute(
                "UPDATE findings SET last_seen = ?2 WHERE repo_id = ?1 AND status = 'present'",
                params![repo_id, now],
            )
            .map_err(&err)?;
            {
                let mut stmt = tx
                    .prepare(
                        "SELECT fingerprint, first_seen FROM findings
                         WHERE repo_id = ?1 AND status = 'present'",
                    )
                    .map_err(&err)?;
                let rows = stmt
                    .query_map(params![repo_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(&err)?;
                for row in rows {
                    let (fp, first): (String, String) = row.map_err(&err)?;
                    changes.first_seen.insert(fp, first);
                }
            }
            tx.commit().map_err(&err)?;
            return Ok(changes);
        }

        // Blobs: what was known under this digest, plus what settled now.
        let previous: Option<(String, Vec<u8>)> = tx
            .query_row(
                "SELECT digest, settled FROM repo_blobs WHERE repo_id = ?1",
                params![repo_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)?;
        let mut settled: Vec<ObjectId> = match previous {
            Some((digest, ids)) if digest == result.digest => unpack(&ids).collect(),
            _ => Vec::new(),
        };
        settled.extend_from_slice(result.settled);
        settled.sort_unstable();
        settled.dedup();
        let mut with_findings = result.with_findings.to_vec();
        with_findings.sort_unstable();
        with_findings.dedup();
        let refs = result.refs.filter(|_| result.scope == Scope::Complete);
        tx.execute(
            "INSERT OR REPLACE INTO repo_blobs (repo_id, digest, settled, with_findings, refs)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                repo_id,
                result.digest,
                pack(&settled),
                pack(&with_findings),
                refs
            ],
        )
        .map_err(&err)?;

        // Findings seen: inserted, or updated (and new again if fixed).
        let mut seen = HashSet::new();
        for f in result.findings {
            seen.insert(f.fingerprint.as_str());
            // Prepared once per connection: a repository may have
            // thousands of findings.
            let before: Option<(String, String)> = tx
                .prepare_cached(
                    "SELECT status, first_seen FROM findings WHERE repo_id = ?1 AND fingerprint = ?2",
                )
                .map_err(&err)?
                .query_row(params![repo_id, f.fingerprint], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(&err)?;
            let first_seen = match before {
                Some((status, first)) if status == "present" => first,
                _ => {
                    changes.new.push(f.fingerprint.clone());
                    now.clone()
                }
            };
            changes
                .first_seen
                .insert(f.fingerprint.clone(), first_seen.clone());
            tx.prepare_cached(
                "INSERT OR REPLACE INTO findings (repo_id, fingerprint, rule_id, rule_name, provider,
                    severity, secret_redacted, first_seen, last_seen, status, fixed_at, in_head,
                    suppressed, places, verification, verified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'present', NULL, ?10, ?11, ?12,
                    COALESCE(?13, (SELECT verification FROM findings WHERE repo_id = ?1 AND fingerprint = ?2)),
                    COALESCE(?14, (SELECT verified_at FROM findings WHERE repo_id = ?1 AND fingerprint = ?2)))",
            )
            .map_err(&err)?
            .execute(params![
                    repo_id,
                    f.fingerprint,
                    f.rule_id,
                    f.rule_name,
                    f.provider,
                    f.severity,
                    f.secret_redacted,
                    first_seen,
                    now,
                    f.in_head,
                    f.suppressed,
                    f.places,
                    f.verification,
                    f.verified_at,
            ])
            .map_err(&err)?;
            match &f.kept {
                Some(kept) => tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO kept (repo_id, fingerprint, kept) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(&err)?
                    .execute(params![repo_id, f.fingerprint, kept]),
                None => tx
                    .prepare_cached("DELETE FROM kept WHERE repo_id = ?1 AND fingerprint = ?2")
                    .map_err(&err)?
                    .execute(params![repo_id, f.fingerprint]),
            }
            .map_err(&err)?;
        }

        // Findings not seen are fixed, but only after a complete scan.
        if result.scope == Scope::Complete {
            let gone: Vec<String> = {
                let mut stmt = tx
                    .prepare(
                        "SELECT fingerprint FROM findings WHERE repo_id = ?1 AND status = 'present'",
                    )
                    .map_err(&err)?;
                let rows = stmt
                    .query_map(params![repo_id], |r| r.get::<_, String>(0))
                    .map_err(&err)?;
                rows.collect::<Result<Vec<_>, _>>()
                    .map_err(&err)?
                    .into_iter()
                    .filter(|fp| !seen.contains(fp.as_str()))
                    .collect()
            };
            for fp in gone {
                tx.execute(
                    "UPDATE findings SET status = 'fixed', fixed_at = ?3
                     WHERE repo_id = ?1 AND fingerprint = ?2",
                    params![repo_id, fp, now],
                )
                .map_err(&err)?;
                // Only present findings are ever restored.
                tx.execute(
                    "DELETE FROM kept WHERE repo_id = ?1 AND fingerprint = ?2",
                    params![repo_id, fp],
                )
                .map_err(&err)?;
                let stored = stored_one(&tx, repo_id, &fp).map_err(&err)?;
                changes.fixed.extend(stored);
            }
        }
        tx.commit().map_err(&err)?;
        Ok(changes)
    }

    /// Each repository's scope in the last run that recorded it.
    pub fn last_scope(&self, name: &str) -> Result<Option<(String, Option<String>)>, StateError> {
        self.conn
            .query_row(
                "SELECT s.scope, s.error FROM run_repos s JOIN repos r ON r.id = s.repo_id
                 WHERE r.name = ?1 ORDER BY s.run_id DESC LIMIT 1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sqlite(&self.path))
    }
}

fn stored_one(
    conn: &Connection,
    repo_id: i64,
    fp: &str,
) -> Result<Option<Stored>, rusqlite::Error> {
    conn.query_row(
        "SELECT fingerprint, rule_id, rule_name, provider, severity, secret_redacted, in_head,
                suppressed, places, verification, verified_at, first_seen, last_seen, status, fixed_at,
                (SELECT kept FROM kept k WHERE k.repo_id = ?1 AND k.fingerprint = ?2)
         FROM findings WHERE repo_id = ?1 AND fingerprint = ?2",
        params![repo_id, fp],
        stored_row,
    )
    .optional()
}

fn pack(ids: &[ObjectId]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * ID_LEN);
    for id in ids {
        out.extend_from_slice(id.as_bytes());
    }
    out
}

/// Stored ids; a torn tail (not a whole id) is ignored, costing at most a
/// rescan of that blob.
fn unpack(bytes: &[u8]) -> impl Iterator<Item = ObjectId> + '_ {
    bytes
        .chunks_exact(ID_LEN)
        .filter_map(|c| <[u8; ID_LEN]>::try_from(c).ok())
        .map(ObjectId::from)
}

/// The run lock: an exclusive `flock` on `<store>.lock`, held while the
/// store is open.
struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    fn acquire(store: &Path, wait: Duration) -> Result<RunLock, StateError> {
        let lock = PathBuf::from(format!("{}.lock", store.display()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(|e| StateError::Sqlite {
                path: store.to_path_buf(),
                message: format!("cannot open lock file {}: {e}", lock.display()),
            })?;
        let started = Instant::now();
        while !try_lock(&file).map_err(|e| StateError::Sqlite {
            path: store.to_path_buf(),
            message: format!("cannot lock {}: {e}", lock.display()),
        })? {
            if started.elapsed() >= wait {
                return Err(StateError::Busy {
                    path: store.to_path_buf(),
                    lock,
                    waited: wait,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(RunLock { _file: file })
    }
}

/// `flock(LOCK_EX | LOCK_NB)`: `false` when another process holds it. The
/// lock goes with the file descriptor, so it is released when the run
/// ends however it ends (even killed).
#[cfg(target_os = "linux")]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock(2) on a descriptor this `File` owns for the call's
    // duration; no memory is passed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Elsewhere the run lock is not taken (SQLite's own locking still keeps
/// the file consistent); see docs/org.md.
#[cfg(not(target_os = "linux"))]
fn try_lock(_: &std::fs::File) -> std::io::Result<bool> {
    Ok(true)
}

/// One finding row, in the column order both finding queries select:
/// fingerprint, rule_id, rule_name, provider, severity, secret_redacted,
/// in_head, suppressed, places, verification, verified_at, first_seen,
/// last_seen, status, fixed_at, kept.
fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        record: Record {
            fingerprint: r.get(0)?,
            rule_id: r.get(1)?,
            rule_name: r.get(2)?,
            provider: r.get(3)?,
            severity: r.get(4)?,
            secret_redacted: r.get(5)?,
            in_head: r.get(6)?,
            suppressed: r.get(7)?,
            places: r.get(8)?,
            verification: r.get(9)?,
            verified_at: r.get(10)?,
            kept: r.get(15)?,
        },
        first_seen: r.get(11)?,
        last_seen: r.get(12)?,
        status: r.get(13)?,
        fixed_at: r.get(14)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from([n; ID_LEN])
    }

    fn record(fp: &str) -> Record {
        Record {
            fingerprint: fp.into(),
            rule_id: "github-token".into(),
            rule_name: "GitHub token".into(),
            provider: "github".into(),
            severity: "high".into(),
            secret_redacted: "ghp_*****M0".into(),
            in_head: Some(true),
            suppressed: false,
            places: "[]".into(),
            verification: None,
            verified_at: None,
            kept: None,
        }
    }

    fn result<'a>(
        scope: Scope,
        digest: &'a str,
        settled: &'a [ObjectId],
        with: &'a [ObjectId],
        findings: &'a [Record],
    ) -> RepoResult<'a> {
        RepoResult {
            name: "acme/app",
            url: "https://h/acme/app.git",
            scope,
            digest,
            settled,
            with_findings: with,
            findings,
            blobs_scanned: settled.len() as u64,
            refs: Some("r1"),
            unchanged: false,
        }
    }

    #[test]
    fn known_blobs_accumulate_per_digest_and_a_new_digest_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir.path().join("s.db"), Duration::ZERO)
            .unwrap()
            .store;
        let run = store.begin_run("d1", "0/1").unwrap();
        store
            .commit_repo(
                run,
                &result(Scope::Complete, "d1", &[id(1), id(2)], &[id(2)], &[]),
            )
            .unwrap();
        store
            .commit_repo(run, &result(Scope::Complete, "d1", &[id(3)], &[id(2)], &[]))
            .unwrap();
        let known = store.known("acme/app", "d1").unwrap();
        assert_eq!(known.settled, HashSet::from([id(1), id(2), id(3)]));
        assert_eq!(known.with_findings, vec![id(2)]);
        assert!(store.known("acme/app", "d2").unwrap().settled.is_empty());
        store
            .commit_repo(run, &result(Scope::Complete, "d2", &[id(9)], &[], &[]))
            .unwrap();
        assert_eq!(
            store.known("acme/app", "d2").unwrap().settled,
            HashSet::from([id(9)])
        );
    }

    #[test]
    fn fixed_only_after_a_complete_scan() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir.path().join("s.db"), Duration::ZERO)
            .unwrap()
            .store;
        let run = store.begin_run("d", "0/1").unwrap();
        let both = [record("fa"), record("fb")];
        let c = store
            .commit_repo(run, &result(Scope::Complete, "d", &[], &[], &both))
            .unwrap();
        assert_eq!(c.new, ["fa", "fb"]);
        // Seen again: not new.
        let c = store
            .commit_repo(run, &result(Scope::Complete, "d", &[], &[], &both))
            .unwrap();
        assert!(c.new.is_empty());
        // A failed scan that saw only one: nothing fixed.
        let one = [record("fa")];
        let c = store
            .commit_repo(run, &result(Scope::Failed("x".into()), "d", &[], &[], &one))
            .unwrap();
        assert!(c.fixed.is_empty());
        // A complete one: fixed, once.
        let c = store
            .commit_repo(run, &result(Scope::Complete, "d", &[], &[], &one))
            .unwrap();
        assert_eq!(c.fixed.len(), 1);
        assert_eq!(c.fixed[0].record.fingerprint, "fb");
        assert_eq!(c.fixed[0].status, "fixed");
        let c = store
            .commit_repo(run, &result(Scope::Complete, "d", &[], &[], &one))
            .unwrap();
        assert!(c.fixed.is_empty());
        // Back again after being fixed: new again.
        let c = store
            .commit_repo(run, &result(Scope::Complete, "d", &[], &[], &both))
            .unwrap();
        assert_eq!(c.new, ["fb"]);
        assert_eq!(store.last_scope("acme/app").unwrap().unwrap().0, "complete");
    }

    #[test]
    fn a_second_run_on_the_store_waits_then_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let first = open(&path, Duration::ZERO).unwrap();
        let started = Instant::now();
        let err = open(&path, Duration::from_millis(300)).err().expect("busy");
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(matches!(err, StateError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("in use by another keyhound run"));
        drop(first);
        // A child another test forks in this process holds a copy of the
        // lock's descriptor until it execs (close-on-exec), so "free" may
        // take a moment to show here: wait a little, not zero.
        open(&path, Duration::from_secs(2)).expect("free again");
    }

    #[test]
    fn a_reader_does_not_block_commits_and_a_writer_waits_for_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut store = open(&path, Duration::ZERO).unwrap().store;
        let run = store.begin_run("d", "0/1").unwrap();
        // A second connection (sqlite3, a report) holding a read
        // transaction: WAL lets the run commit anyway.
        let reader = Connection::open(&path).unwrap();
        reader
            .execute_batch("BEGIN; SELECT count(*) FROM repos;")
            .unwrap();
        store
            .commit_repo(run, &result(Scope::Complete, "d", &[id(1)], &[], &[]))
            .unwrap();
        reader.execute_batch("COMMIT").unwrap();
        // A second writer holding the write lock for a moment: the commit
        // waits for it (busy_timeout) instead of failing.
        let writer = Connection::open(&path).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE;").unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            writer.execute_batch("COMMIT").unwrap();
        });
        store
            .commit_repo(run, &result(Scope::Complete, "d", &[id(2)], &[], &[]))
            .unwrap();
        release.join().unwrap();
        assert_eq!(store.known("acme/app", "d").unwrap().settled.len(), 2);
    }

    #[test]
    fn garbage_is_moved_aside_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        std::fs::write(&path, b"not a database at all, just bytes\n".repeat(200)).unwrap();
        let opened = open(&path, Duration::ZERO).unwrap();
        assert_eq!(opened.warnings.len(), 1, "{:?}", opened.warnings);
        assert!(opened.warnings[0].contains("rebuilt"));
        let run = opened.store.begin_run("d", "0/1").unwrap();
        assert!(run > 0);
    }

    #[test]
    fn a_schema_1_store_upgrades_and_its_repositories_are_scanned_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            // A store as keyhound wrote it before schema 2.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(
                "INSERT INTO repos (id, name, url) VALUES (1, 'acme/app', 'https://h/acme/app.git');
                 INSERT INTO repo_blobs VALUES (1, 'd', x'0101010101010101010101010101010101010101', x'');
                 INSERT INTO findings (repo_id, fingerprint, rule_id, rule_name, provider, severity,
                    secret_redacted, first_seen, last_seen, status, in_head, suppressed, places)
                 VALUES (1, 'fa', 'github-token', 'GitHub token', 'github', 'high', 'ghp_*****M0',
                    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'present', 1, 0, '[]');
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let mut store = open(&path, Duration::ZERO).unwrap().store;
        let v: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        // Kept what it had; no refs recorded and no finding kept, so the
        // next run reads the repository (and then records both).
        let known = store.known("acme/app", "d").unwrap();
        assert_eq!(known.settled, HashSet::from([id(1)]));
        assert_eq!(known.refs, None);
        let stored = store.findings("acme/app").unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].first_seen, "2026-01-01T00:00:00Z");
        assert_eq!(stored[0].record.kept, None);
        let run = store.begin_run("d", "0/1").unwrap();
        let kept = Record {
            kept: Some("[]".into()),
            ..record("fa")
        };
        let c = store
            .commit_repo(run, &result(Scope::Complete, "d", &[], &[], &[kept]))
            .unwrap();
        assert!(c.new.is_empty(), "still the same finding");
        assert_eq!(
            store.known("acme/app", "d").unwrap().refs.as_deref(),
            Some("r1")
        );
        assert_eq!(
            store.findings("acme/app").unwrap()[0]
                .record
                .kept
                .as_deref(),
            Some("[]")
        );
        // A failed scan clears the refs: the next run scans.
        store
            .commit_repo(run, &result(Scope::Failed("x".into()), "d", &[], &[], &[]))
            .unwrap();
        assert_eq!(store.known("acme/app", "d").unwrap().refs, None);
    }

    #[test]
    fn a_schema_2_store_keeps_its_kept_findings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(MIGRATIONS[1]).unwrap();
            conn.execute_batch(
                "INSERT INTO repos (id, name, url) VALUES (1, 'acme/app', 'https://h/acme/app.git');
                 INSERT INTO repo_blobs VALUES (1, 'd', x'', x'', 'r1');
                 INSERT INTO findings (repo_id, fingerprint, rule_id, rule_name, provider, severity,
                    secret_redacted, first_seen, last_seen, status, in_head, suppressed, places, kept)
                 VALUES (1, 'fa', 'github-token', 'GitHub token', 'github', 'high', 'ghp_*****M0',
                    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'present', 1, 0, '[]', '[1]');
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let store = open(&path, Duration::ZERO).unwrap().store;
        assert_eq!(
            store.findings("acme/app").unwrap()[0]
                .record
                .kept
                .as_deref(),
            Some("[1]")
        );
        assert_eq!(
            store.known("acme/app", "d").unwrap().refs.as_deref(),
            Some("r1")
        );
    }

    #[test]
    fn migrations_set_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(open(&path, Duration::ZERO).unwrap());
        let conn = Connection::open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

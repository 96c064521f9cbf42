//! Git repositories: every unique blob once, then attribution for the few
//! that had findings.
//!
//! A full-history scan never walks diffs. [`Repo::for_each_blob`] enumerates
//! the object database (every pack, including those of alternates, then the
//! loose objects), decoding each pack's blob delta chains once on all cores
//! (trees and commits are never inflated), drops duplicates by id and hands
//! each unique blob to the visitor on the decoding threads. Only blobs that produced findings are then attributed to commits
//! and paths ([`Repo::attribute`]), by one walk of the commit graph that
//! compares tree ids and descends only into changed subtrees.
//! [`Repo::for_each_blob_derived`] also tells the visitor how a delta blob
//! is made of its base and hands back what the visitor kept of the base,
//! so the detector can derive a delta's keyword hits instead of searching
//! it again.
//!
//! Narrow scans (pre-push, pull requests, `--since`) use
//! [`Repo::blobs_in_range`] and [`Repo::staged_blobs`] to pick the blobs, and
//! [`Repo::visit_blobs`] to read them with per-object lookups.
//!
//! Nothing here knows about rules or findings; corrupt, missing, huge, binary
//! and Git LFS pointer objects are recorded in
//! [`Counters`](crate::stats::Counters) and skipped, never fatal.
//!
//! ```text
//! open(path) ─▶ Repo ─┬─ for_each_blob(_derived) ─▶ visit(id, bytes[, lineage])  (all history)
//!                     ├─ blobs_in_range / staged_blobs ─▶ visit_blobs
//!                     └─ attribute(ids) ─▶ commit, paths, counts  (findings only)
//! ```

mod attribute;
mod commit;
mod head;
mod odb;
mod range;
mod refs;
mod staged;
mod tree;

use std::path::{Path, PathBuf};

pub use attribute::Attribution;
pub use commit::CommitInfo;
pub use gix::ObjectId;
pub use odb::{
    blob_origin, DeltaVisitor, Derivation, HistoryOptions, HistoryStats, Kept, Known, Lineage,
    NewBlobs, PieceVisitor, IN_MEMORY_LIMIT,
};
pub use range::{RangeBlob, RevRange};
pub use staged::StagedBlob;

/// What can go wrong at the level of a whole repository operation.
///
/// Problems with single objects are not errors: they are skipped and
/// counted. The CLI maps [`GitError::NotARepository`] and
/// [`GitError::BadRevision`] to a usage error (exit 2) and the rest to "scan
/// could not complete" (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The path does not exist or is not a git repository (worktree, `.git`
    /// directory or bare repository).
    #[error("{}: not a git repository ({reason})", path.display())]
    NotARepository { path: PathBuf, reason: String },
    /// A revision, range or ref name that does not resolve to a commit.
    #[error("cannot resolve revision {spec:?}: {reason}")]
    BadRevision { spec: String, reason: String },
    /// Anything else: refs, the index or the object store could not be read.
    #[error("{context}: {reason}")]
    Repository { context: String, reason: String },
}

impl GitError {
    pub(crate) fn repo(
        context: impl Into<String>,
        err: &(dyn std::error::Error + 'static),
    ) -> Self {
        GitError::Repository {
            context: context.into(),
            reason: describe(err),
        }
    }
}

/// An error and its sources on one line, each cause once (gix repeats the
/// message of a wrapped error in its wrapper's text).
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// An opened repository. Cheap to share: it is `Send + Sync`, and every
/// operation works on its own thread-local handle with its own caches.
pub struct Repo {
    repo: gix::ThreadSafeRepository,
    /// How much attribution reads through one object store before it opens
    /// a fresh one.
    store_budget: StoreBudget,
}

/// How much attribution reads through one object store before dropping it
/// for a fresh one (see [`Repo::local_with_own_store`]). Counted per kind:
/// commits lie far apart in a pack, trees are dense and mostly deltas.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoreBudget {
    /// Commits read while building the commit graph.
    pub commits: usize,
    /// Bytes of trees read by one tree-comparison thread.
    pub tree_bytes: u64,
}

impl StoreBudget {
    /// Measured on a 40,000-commit history with a 913 MiB pack (see
    /// `docs/benchmarks.md`): with 4096 commits per store the graph read
    /// stays under the blob scan's peak (one store for all commits mapped
    /// 974 MiB), and 64 MiB of trees per store holds each comparison thread
    /// to about 80 MiB of mapped pack; peak RSS 1,257 -> 323 MiB with no
    /// measurable cost in CPU time. 256 MiB of trees peaked at 700 MiB.
    const DEFAULT: StoreBudget = StoreBudget {
        commits: 4096,
        tree_bytes: 64 * 1024 * 1024,
    };
}

/// Opens the repository at `path`: a worktree, its `.git` directory, or a
/// bare repository. Parent directories are not searched (see [`discover`]),
/// so a scan never silently covers a different repository than the one named.
pub fn open(path: &Path) -> Result<Repo, GitError> {
    if !path.exists() {
        return Err(GitError::NotARepository {
            path: path.to_path_buf(),
            reason: "no such file or directory".into(),
        });
    }
    match gix::open(path) {
        Ok(repo) => Ok(Repo {
            repo: repo.into_sync(),
            store_budget: StoreBudget::DEFAULT,
        }),
        Err(err) => Err(GitError::NotARepository {
            path: path.to_path_buf(),
            reason: describe(&err),
        }),
    }
}

/// Like [`open`], but also accepts a directory inside a worktree, as `git`
/// itself does.
pub fn discover(path: &Path) -> Result<Repo, GitError> {
    match gix::discover(path) {
        Ok(repo) => Ok(Repo {
            repo: repo.into_sync(),
            store_budget: StoreBudget::DEFAULT,
        }),
        Err(err) => Err(GitError::NotARepository {
            path: path.to_path_buf(),
            reason: describe(&err),
        }),
    }
}

/// Object cache per thread-local handle for attribution and ranges: trees
/// of a child commit are mostly those of its parent, so repeated lookups
/// are common. The bulk scan does not use it.
const OBJECT_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Delta-base cache per handle, sized like git's `core.deltaBaseCacheLimit`
/// (96 MiB): walking history decodes the same delta bases over and over,
/// and gix's default 64-entry cache thrashes on long chains.
const PACK_CACHE_BYTES: usize = 96 * 1024 * 1024;

impl Repo {
    /// A handle for this thread, with an object cache.
    pub(crate) fn local(&self) -> gix::Repository {
        let mut repo = self.repo.to_thread_local();
        repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
        repo.objects.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                PACK_CACHE_BYTES,
            ))
        });
        repo
    }

    /// Like [`Repo::local`], but reading objects through a store of its
    /// own: the packs it maps are unmapped when it is dropped. The shared
    /// store keeps every pack it ever mapped for the life of the `Repo`,
    /// and a history walk touches nearly all of a pack's pages, so a long
    /// walk through it holds the whole pack resident; one through handles
    /// dropped every so often holds only what each handle read.
    ///
    /// Falls back to [`Repo::local`] when the store cannot be opened again
    /// (the directory vanished since): slower to give memory back, but the
    /// same objects.
    pub(crate) fn local_with_own_store(&self) -> gix::Repository {
        let mut repo = self.local();
        let shared = repo.objects.store_ref();
        let options = gix::odb::store::init::Options {
            use_multi_pack_index: shared.use_multi_pack_index(),
            ..Default::default()
        };
        let replacements: Vec<_> = shared.replacements().collect();
        let Ok(own) = gix::odb::at_opts(
            shared.path().to_owned(),
            shared.object_hash(),
            replacements,
            options,
        ) else {
            return repo;
        };
        let mut own = own.into_inner();
        // The handle's read settings, as the shared store's handle has them.
        own.refresh = repo.objects.refresh;
        own.max_recursion_depth = repo.objects.max_recursion_depth;
        own.ignore_replacements = repo.objects.ignore_replacements;
        // `Proxy` derefs to the cached handle; replacing the handle keeps
        // the caches `local` configured (they are per handle, not per store).
        **repo.objects = own;
        repo
    }

    /// Sets how many commits (building the commit graph) and bytes of trees
    /// (per tree-comparison thread) attribution reads through one object
    /// store before it opens a fresh one; both at least 1. Only for tests,
    /// which force frequent reopening on small repositories.
    #[doc(hidden)]
    pub fn set_store_budget(&mut self, commits: usize, tree_bytes: u64) {
        self.store_budget = StoreBudget {
            commits: commits.max(1),
            tree_bytes: tree_bytes.max(1),
        };
    }

    /// The ids among `ids` that are objects of this repository (any pack,
    /// loose, or an alternate's), in the order given.
    pub fn existing(&self, ids: &[ObjectId]) -> Vec<ObjectId> {
        let repo = self.local();
        ids.iter()
            .copied()
            .filter(|id| repo.has_object(id))
            .collect()
    }

    /// The `.git` directory (the repository itself when bare).
    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// The checked-out worktree, `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.work_dir()
    }

    /// Whether this is a shallow clone (missing parents are then expected).
    pub fn is_shallow(&self) -> bool {
        self.repo.to_thread_local().is_shallow().unwrap_or(false)
    }

    /// What SARIF's `versionControlProvenance` records about the scanned
    /// repository: the `origin` remote's URL (else the repository's own
    /// `file://` path), HEAD's commit and its branch, when there are any.
    pub fn provenance(&self) -> Provenance {
        let repo = self.local();
        let base = self.workdir().unwrap_or(self.git_dir());
        let url = repo
            .config_snapshot()
            .string("remote.origin.url")
            .and_then(|u| remote_uri(&u.to_string(), base));
        Provenance {
            repository_uri: url,
            revision_id: repo.head_id().ok().map(|id| id.detach().to_string()),
            branch: repo
                .head_name()
                .ok()
                .flatten()
                .map(|n| n.shorten().to_string()),
        }
    }

    /// Resolves `spec` (`HEAD`, `main`, `origin/main`, `v1.0`, `HEAD~3`, a
    /// hex id or prefix) to a commit id, peeling annotated tags.
    pub fn rev_parse(&self, spec: &str) -> Result<ObjectId, GitError> {
        let repo = self.local();
        resolve_commit(&repo, spec)
    }

    /// The commits named by refs under each of `prefixes` (e.g.
    /// `refs/remotes/`, or `refs/` for all), peeled to commits. Refs that
    /// do not name a commit (a tag of a blob) are left out; so are broken
    /// refs, which cannot name history a push would send. Used for the
    /// exclusion side of "commits not on any remote yet".
    pub fn ref_tips(&self, prefixes: &[&str]) -> Result<Vec<ObjectId>, GitError> {
        let repo = self.local();
        let mut tips = Vec::new();
        for target in ref_targets(&repo)? {
            if prefixes.iter().any(|p| target.name.starts_with(p))
                && target.kind == gix::object::Kind::Commit
            {
                tips.push(target.id);
            }
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }
}

/// See [`Repo::provenance`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub repository_uri: Option<String>,
    pub revision_id: Option<String>,
    pub branch: Option<String>,
}

/// A ref, fully peeled: its name, the object it names and that object's kind.
pub(crate) struct RefTarget {
    pub name: String,
    pub id: ObjectId,
    pub kind: gix::object::Kind,
}

/// All refs (and `HEAD` when detached or pointing at a branch), peeled.
/// Unreadable refs and refs to missing objects are skipped: a broken ref
/// must not stop a history scan.
pub(crate) fn ref_targets(repo: &gix::Repository) -> Result<Vec<RefTarget>, GitError> {
    let platform = repo
        .references()
        .map_err(|e| GitError::repo("cannot read refs", &e))?;
    let iter = platform
        .all()
        .map_err(|e| GitError::repo("cannot list refs", &e))?;
    let mut out = Vec::new();
    let mut push = |name: String, id: ObjectId| {
        if let Ok(header) = repo.find_header(id) {
            out.push(RefTarget {
                name,
                id,
                kind: header.kind(),
            });
        }
    };
    for reference in iter {
        let Ok(mut reference) = reference else {
            continue;
        };
        let name = reference.name().as_bstr().to_string();
        if let Ok(id) = reference.peel_to_id() {
            push(name, id.detach());
        }
    }
    if let Ok(Some(id)) = repo.head().and_then(|mut head| head.try_peel_to_id()) {
        push("HEAD".into(), id.detach());
    }
    Ok(out)
}

/// `spec` to a commit id, peeling tags.
pub(crate) fn resolve_commit(repo: &gix::Repository, spec: &str) -> Result<ObjectId, GitError> {
    let bad = |reason: String| GitError::BadRevision {
        spec: spec.to_string(),
        reason,
    };
    let id = repo
        .rev_parse_single(spec)
        .map_err(|e| bad(describe(&e)))?
        .detach();
    peel_to_commit(repo, id).map_err(bad)
}

/// `id` itself if it is a commit, the commit an annotated tag points to, or
/// a reason why neither.
///
/// Written out rather than gix's `peel_to_kind`, which panics on a
/// malformed tag.
pub(crate) fn peel_to_commit(repo: &gix::Repository, id: ObjectId) -> Result<ObjectId, String> {
    use gix::prelude::Find;
    let mut buf = Vec::new();
    let mut current = id;
    // Tags of tags are legal; a chain this long is not a real one.
    for _ in 0..32 {
        let object = match repo.objects.try_find(&current, &mut buf) {
            Ok(Some(object)) => object,
            Ok(None) => return Err(format!("object {current} is missing")),
            Err(e) => return Err(format!("object {current}: {}", describe(&e))),
        };
        match object.kind {
            gix::object::Kind::Commit => return Ok(current),
            gix::object::Kind::Tag => {
                current = gix::objs::TagRefIter::from_bytes(object.data, repo.object_hash())
                    .target_id()
                    .map_err(|e| format!("corrupt tag {current}: {}", describe(&e)))?;
            }
            kind => return Err(format!("{id} names a {kind}, not a commit")),
        }
    }
    Err(format!("{id}: too many nested tags"))
}

/// A git path as UTF-8 for reports (invalid bytes become U+FFFD).
pub(crate) fn path_string(path: &gix::bstr::BStr) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// A remote URL as an RFC 3986 URI, as SARIF's `repositoryUri` requires:
/// scp-like `git@host:org/repo.git` becomes `ssh://git@host/org/repo.git`,
/// a local path (relative ones to `base`) becomes a `file://` URI. A URL
/// with a password in it is dropped: it must not end up in a report.
pub fn remote_uri(raw: &str, base: &Path) -> Option<String> {
    if let Some((scheme, rest)) = raw.split_once("://") {
        let authority = rest.split('/').next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if userinfo.contains(':') {
                return None;
            }
        }
        return Some(format!("{scheme}://{}", encode_uri_path(rest)));
    }
    // scp-like syntax: `[user@]host:path`, with no slash before the colon.
    if let Some((host, path)) = raw.split_once(':') {
        if !host.is_empty() && !host.contains('/') && host.len() > 1 {
            let path = path.trim_start_matches('/');
            return Some(format!("ssh://{host}/{}", encode_uri_path(path)));
        }
    }
    let path = base.join(raw);
    Some(file_uri(&std::fs::canonicalize(&path).unwrap_or(path)))
}

/// `file://` URI of an absolute local path.
pub fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    format!("file://{}", encode_uri_path(&text))
}

/// Percent-encodes what may not appear unencoded in a URI's path.
fn encode_uri_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=%".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod uri_tests {
    use super::*;

    #[test]
    fn remote_urls_become_uris() {
        let base = Path::new("/repo");
        assert_eq!(
            remote_uri("git@github.com:acme/app.git", base).as_deref(),
            Some("ssh://git@github.com/acme/app.git")
        );
        assert_eq!(
            remote_uri("https://github.com/acme/app.git", base).as_deref(),
            Some("https://github.com/acme/app.git")
        );
        assert_eq!(
            remote_uri("https://user:hunter2@example.com/app.git", base),
            None
        );
        assert_eq!(
            remote_uri("/srv/git/my app.git", base).as_deref(),
            Some("file:///srv/git/my%20app.git")
        );
        assert_eq!(
            remote_uri("../origin.git", base).as_deref(),
            Some("file:///repo/../origin.git")
        );
    }
}

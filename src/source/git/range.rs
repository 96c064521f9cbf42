//! Range scans: only the blobs that a set of commits introduced.
//!
//! Pre-push hooks, pull-request checks and `--since` look at a handful of
//! commits. A blob is *introduced* by a commit when the commit's tree has
//! it at a path where none of its parents had that same blob: added or
//! modified files, never ones merely kept. For a merge, a blob that one
//! parent already had was introduced by that parent's own commit, which is
//! either in the range too or was scanned when it was pushed; only what is
//! new relative to every parent (conflict resolutions, "evil" merges)
//! counts for the merge itself.
//!
//! Commit selection uses gix's walk with hidden tips, which stops at the
//! merge base instead of painting all of history, so a push to a repository
//! with a long history costs time in proportion to the pushed commits.

use std::collections::{BTreeSet, HashMap, HashSet};

use gix::bstr::BString;
use gix::ObjectId;

use super::commit::{read_info, read_node, CommitInfo, CommitProblem};
use super::tree::{Side, TreeDiff};
use super::{describe, path_string, peel_to_commit, GitError, Repo};
use crate::stats::{Counters, SkipReason};

/// The commits of a range: reachable from any of `include`, but not from
/// any of `exclude`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevRange {
    pub exclude: Vec<ObjectId>,
    pub include: Vec<ObjectId>,
}

/// A blob introduced by some commit of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeBlob {
    pub id: ObjectId,
    /// The paths under which commits of the range introduced it, sorted.
    pub paths: Vec<String>,
    /// The oldest commit of the range that introduced it.
    pub commit_id: ObjectId,
    /// That commit's author, date and summary (`None` only if the commit
    /// became unreadable between the walk and this lookup).
    pub commit: Option<CommitInfo>,
}

impl Repo {
    /// Parses a revision range as `git log` takes it: `A..B` (`B` minus
    /// `A`; an empty side is `HEAD`), `A...B` (either side, minus their
    /// merge base), `A^!` (`A` alone), `A^@` (`A`'s parents) or a single
    /// revision (its whole history).
    pub fn parse_range(&self, spec: &str) -> Result<RevRange, GitError> {
        use gix::revision::plumbing::Spec;
        let repo = self.local();
        let bad = |reason: String| GitError::BadRevision {
            spec: spec.to_string(),
            reason,
        };
        let parsed = repo
            .rev_parse(spec)
            .map_err(|e| bad(describe(&e)))?
            .detach();
        let commit = |id: ObjectId| peel_to_commit(&repo, id).map_err(bad);
        let parents_of = |id: ObjectId| -> Result<Vec<ObjectId>, GitError> {
            let mut buf = Vec::new();
            match read_node(&repo, &commit(id)?, &mut buf) {
                Ok(node) => Ok(node.parents),
                Err(CommitProblem::Missing) => Err(bad(format!("commit {id} is missing"))),
                Err(CommitProblem::Corrupt(reason)) => Err(bad(reason)),
            }
        };
        Ok(match parsed {
            Spec::Include(id) => RevRange {
                exclude: Vec::new(),
                include: vec![commit(id)?],
            },
            Spec::Exclude(id) => RevRange {
                exclude: vec![commit(id)?],
                include: Vec::new(),
            },
            Spec::Range { from, to } => RevRange {
                exclude: vec![commit(from)?],
                include: vec![commit(to)?],
            },
            Spec::Merge { theirs, ours } => {
                let (theirs, ours) = (commit(theirs)?, commit(ours)?);
                let base = repo
                    .merge_base(theirs, ours)
                    .map_err(|e| bad(describe(&e)))?
                    .map(|id| id.detach());
                RevRange {
                    exclude: base.into_iter().collect(),
                    include: vec![theirs, ours],
                }
            }
            Spec::IncludeOnlyParents(id) => RevRange {
                exclude: Vec::new(),
                include: parents_of(id)?,
            },
            Spec::ExcludeParents(id) => RevRange {
                exclude: parents_of(id)?,
                include: vec![commit(id)?],
            },
        })
    }

    /// `--since REF`: the commits of `HEAD` that `REF` does not have.
    pub fn since(&self, spec: &str) -> Result<RevRange, GitError> {
        Ok(RevRange {
            exclude: vec![self.rev_parse(spec)?],
            include: vec![self.rev_parse("HEAD")?],
        })
    }

    /// The commits reachable from `include` but not from `exclude`, oldest
    /// first (by commit time). For a pre-push of a new branch, `exclude`
    /// is every remote-tracking tip ([`Repo::ref_tips`] with
    /// `refs/remotes/`), so only commits no remote has yet are listed.
    pub fn commits_in_range(
        &self,
        exclude: &[ObjectId],
        include: &[ObjectId],
    ) -> Result<Vec<ObjectId>, GitError> {
        let repo = self.local();
        commits_in_range(&repo, exclude, include)
    }

    /// The blobs introduced by the commits of the range (see the module
    /// docs), each once, in the order the range introduced them. Read them
    /// with [`Repo::visit_blobs`]. Unreadable trees are recorded in
    /// `counters` and treated as empty.
    pub fn blobs_in_range(
        &self,
        exclude: &[ObjectId],
        include: &[ObjectId],
        counters: &Counters,
    ) -> Result<Vec<RangeBlob>, GitError> {
        let repo = self.local();
        let commits = commits_in_range(&repo, exclude, include)?;
        let shallow: HashSet<ObjectId> = match repo.shallow_commits() {
            Ok(Some(commits)) => commits.iter().copied().collect(),
            Ok(None) => HashSet::new(),
            Err(e) => return Err(GitError::repo("cannot read the shallow file", &e)),
        };
        let mut diff = TreeDiff::new(&repo);
        let mut buf = Vec::new();
        // Tree ids of commits, `None` for commits that are missing (beyond a
        // shallow boundary): their children are compared with nothing.
        let mut trees: HashMap<ObjectId, Option<ObjectId>> = HashMap::new();
        let mut tree_of = |id: ObjectId, buf: &mut Vec<u8>| -> Result<Option<ObjectId>, GitError> {
            if let Some(tree) = trees.get(&id) {
                return Ok(*tree);
            }
            let tree = match read_node(&repo, &id, buf) {
                Ok(node) => Some(node.tree),
                Err(CommitProblem::Missing) => None,
                Err(CommitProblem::Corrupt(reason)) => {
                    return Err(GitError::Repository {
                        context: format!("cannot read commit {id}"),
                        reason,
                    })
                }
            };
            trees.insert(id, tree);
            Ok(tree)
        };

        let mut order: Vec<ObjectId> = Vec::new();
        let mut found: HashMap<ObjectId, (BTreeSet<String>, ObjectId)> = HashMap::new();
        for commit in commits {
            let node = match read_node(&repo, &commit, &mut buf) {
                Ok(node) => node,
                Err(CommitProblem::Missing) => continue,
                Err(CommitProblem::Corrupt(reason)) => {
                    return Err(GitError::Repository {
                        context: format!("cannot read commit {commit}"),
                        reason,
                    })
                }
            };
            let parents = if shallow.contains(&commit) {
                Vec::new()
            } else {
                node.parents
            };
            let mut parent_trees = Vec::with_capacity(parents.len());
            for parent in parents {
                if let Some(tree) = tree_of(parent, &mut buf)? {
                    parent_trees.push(tree);
                }
            }
            for (blob, path) in introduced(&mut diff, node.tree, &parent_trees) {
                let entry = found.entry(blob).or_insert_with(|| {
                    order.push(blob);
                    (BTreeSet::new(), commit)
                });
                entry.0.insert(path_string(path.as_ref()));
            }
        }
        let mut seen_broken = HashSet::new();
        for (id, reason) in &diff.broken {
            if seen_broken.insert(*id) {
                counters.skip(
                    id.to_string(),
                    SkipReason::Unreadable,
                    format!("tree cannot be read, its files are not scanned: {reason}"),
                );
            }
        }

        let mut infos: HashMap<ObjectId, Option<CommitInfo>> = HashMap::new();
        let mut out = Vec::with_capacity(order.len());
        for id in order {
            let Some((paths, commit_id)) = found.remove(&id) else {
                continue;
            };
            let commit = infos
                .entry(commit_id)
                .or_insert_with(|| {
                    read_info(&repo, commit_id)
                        .map_err(|reason| {
                            counters.skip(commit_id.to_string(), SkipReason::Unreadable, reason)
                        })
                        .ok()
                })
                .clone();
            out.push(RangeBlob {
                id,
                paths: paths.into_iter().collect(),
                commit_id,
                commit,
            });
        }
        Ok(out)
    }
}

fn commits_in_range(
    repo: &gix::Repository,
    exclude: &[ObjectId],
    include: &[ObjectId],
) -> Result<Vec<ObjectId>, GitError> {
    use gix::revision::walk::Sorting;
    use gix::traverse::commit::simple::CommitTimeOrder;
    // Pre-push hands over all-zero ids for refs that do not exist on the
    // other side, and remote tips this clone never fetched: neither hides
    // anything.
    let usable = |ids: &[ObjectId]| -> Vec<ObjectId> {
        ids.iter()
            .copied()
            .filter(|id| !id.is_null() && repo.has_object(id))
            .collect()
    };
    let include = usable(include);
    if include.is_empty() {
        return Ok(Vec::new());
    }
    let walk = repo
        .rev_walk(include)
        .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
        .with_hidden(usable(exclude))
        .all()
        .map_err(|e| GitError::repo("cannot walk the commit range", &e))?;
    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(|e| GitError::repo("cannot walk the commit range", &e))?;
        commits.push(info.id);
    }
    commits.reverse();
    Ok(commits)
}

/// Blobs (with paths) in `tree` that are new relative to every one of
/// `parents` (parent tree ids); everything for a root commit.
fn introduced(
    diff: &mut TreeDiff<'_>,
    tree: ObjectId,
    parents: &[ObjectId],
) -> Vec<(ObjectId, BString)> {
    let added = |diff: &mut TreeDiff<'_>, base: Option<ObjectId>| {
        let mut out = Vec::new();
        diff.diff(base, Some(tree), false, &mut |side, id, path| {
            if side == Side::Added {
                out.push((id.to_owned(), path.to_owned()));
            }
        });
        out
    };
    let Some((first, rest)) = parents.split_first() else {
        return added(diff, None);
    };
    let mut new = added(diff, Some(*first));
    for parent in rest {
        if new.is_empty() {
            break;
        }
        let also: HashSet<(ObjectId, BString)> = added(diff, Some(*parent)).into_iter().collect();
        new.retain(|entry| also.contains(entry));
    }
    new
}

//! Attribution: which commit introduced a blob, under which paths it lives,
//! how many commits carry it, and whether it is reachable or in `HEAD`.
//!
//! Run only for the blobs that had findings, after the bulk scan. One walk
//! covers them all:
//!
//! 1. Read the commit graph of all refs (or one branch): ids, parents, tree
//!    ids and commit times only, never trees. Missing parents (shallow or
//!    partial clones) end the graph there; shallow commits lose their
//!    parents as git itself treats them.
//! 2. Compare each commit's tree with its first parent's by id, descending
//!    only into changed subtrees, and keep what changed about the wanted
//!    blobs (and every path they were added at). This pass runs newest
//!    commit first, the direction packs delta against (see `walk_graph`).
//! 3. Replay those changes parents-first (Kahn's algorithm, oldest commit
//!    time first among the ready commits, so independent introductions
//!    resolve to the older one), keeping per commit a *presence state*:
//!    how many paths each wanted blob has in that commit's tree. A state is
//!    inherited from the first parent and dropped when the parent's last
//!    child is done, so memory is bounded by the width of the graph times
//!    the number of wanted blobs. No object is read in this pass.
//!
//! The first commit whose state contains a blob introduced it (parents
//! come first, so none of its ancestors had it). Every path is seen when
//! it first appears in some commit's diff. `commits` is exact: the number
//! of walked commits whose tree contains the blob at one path or more.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};

use gix::ObjectId;

use super::commit::{read_info, read_node, CommitInfo, CommitProblem};
use super::tree::{Side, TreeDiff};
use super::{path_string, resolve_commit, GitError, Repo};
use crate::stats::{Counters, SkipReason};

/// Where a scanned blob comes from in history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    /// The commit that first introduced the blob (oldest first, parents
    /// before children); `None` when no walked commit contains it.
    pub commit: Option<CommitInfo>,
    /// Every path the blob has in any walked commit (or in a tree a ref
    /// points to directly), sorted.
    pub paths: Vec<String>,
    /// How many walked commits contain the blob in their tree, at any
    /// path: the commit that introduced it and every commit that kept it.
    pub commits: usize,
    /// Whether any walked ref reaches the blob (through a commit, a tag of
    /// a tree, or a tag of the blob itself). Unreachable blobs (dangling
    /// objects, stashes dropped, rewritten history not yet pruned) are
    /// still scanned by [`Repo::for_each_blob`].
    pub reachable: bool,
    /// Whether `HEAD`'s tree contains the blob, i.e. it is in the current
    /// checkout's committed state.
    pub in_head: bool,
}

/// Per wanted blob, while walking.
#[derive(Default)]
struct Acc {
    first: Option<u32>,
    paths: BTreeSet<String>,
    commits: usize,
    reachable: bool,
    in_head: bool,
}

/// Wanted blob -> number of paths it has in one commit's tree.
type Presence = gix::hashtable::HashMap<ObjectId, u32>;

struct Graph {
    ids: Vec<ObjectId>,
    trees: Vec<ObjectId>,
    times: Vec<i64>,
    /// Parents that are in the graph, first parent first, deduplicated.
    parents: Vec<Vec<u32>>,
    children: Vec<Vec<u32>>,
}

impl Repo {
    /// Attributes each of `blobs` (see [`Attribution`]). With `branch`, only
    /// that revision's history is walked and "reachable" means reachable
    /// from it; otherwise every ref and `HEAD`.
    ///
    /// Trees and commits that cannot be read are recorded in `counters`
    /// and treated as empty; the answer for the rest of history stands.
    /// Errors only when the refs cannot be listed or `branch` does not
    /// resolve.
    pub fn attribute(
        &self,
        blobs: &HashSet<ObjectId>,
        branch: Option<&str>,
        counters: &Counters,
    ) -> Result<HashMap<ObjectId, Attribution>, GitError> {
        let mut out = HashMap::new();
        if blobs.is_empty() {
            return Ok(out);
        }
        let repo = self.local();
        let mut acc: gix::hashtable::HashMap<ObjectId, Acc> =
            blobs.iter().map(|id| (*id, Acc::default())).collect();
        let mut diff = TreeDiff::new(&repo);

        let mut tips = Vec::new();
        match branch {
            Some(spec) => tips.push(resolve_commit(&repo, spec)?),
            None => {
                for target in super::ref_targets(&repo)? {
                    match target.kind {
                        gix::object::Kind::Commit => tips.push(target.id),
                        gix::object::Kind::Tree => diff.walk(target.id, &mut |id, path| {
                            if let Some(a) = acc.get_mut(id) {
                                a.reachable = true;
                                a.paths.insert(path_string(path));
                            }
                        }),
                        gix::object::Kind::Blob => {
                            if let Some(a) = acc.get_mut(&target.id) {
                                a.reachable = true;
                            }
                        }
                        gix::object::Kind::Tag => {} // peeling stopped at a broken tag
                    }
                }
            }
        }

        let graph = read_graph(self, &repo, tips, counters)?;
        walk_graph(self, &graph, &mut diff, &mut acc);

        // HEAD's tree, in full: one tree walk, cheap next to the history.
        if let Ok(tree) = repo.head_tree_id() {
            diff.walk(tree.detach(), &mut |id, _| {
                if let Some(a) = acc.get_mut(id) {
                    a.in_head = true;
                }
            });
        }
        record_broken_trees(&diff, counters);

        let mut infos: HashMap<u32, Option<CommitInfo>> = HashMap::new();
        for (id, a) in acc {
            let commit = a.first.and_then(|node| {
                infos
                    .entry(node)
                    .or_insert_with(|| {
                        let commit = graph.ids[node as usize];
                        read_info(&repo, commit)
                            .map_err(|reason| {
                                counters.skip(commit.to_string(), SkipReason::Unreadable, reason)
                            })
                            .ok()
                    })
                    .clone()
            });
            out.insert(
                id,
                Attribution {
                    commit,
                    paths: a.paths.into_iter().collect(),
                    commits: a.commits,
                    reachable: a.reachable || a.commits > 0,
                    in_head: a.in_head,
                },
            );
        }
        Ok(out)
    }
}

/// All commits reachable from `tips`, as a graph of indices.
///
/// Commits are read through a store of their own, replaced every
/// `store_budget.commits` commits: commits lie all over a pack, and
/// reading each maps the pages around it too, so one store reading all of
/// a long history's commits ends up with nearly the whole pack resident.
fn read_graph(
    owner: &Repo,
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    counters: &Counters,
) -> Result<Graph, GitError> {
    let shallow: HashSet<ObjectId> = match repo.shallow_commits() {
        Ok(Some(commits)) => commits.iter().copied().collect(),
        Ok(None) => HashSet::new(),
        Err(e) => return Err(GitError::repo("cannot read the shallow file", &e)),
    };
    let mut index: gix::hashtable::HashMap<ObjectId, u32> = Default::default();
    let mut absent: gix::hashtable::HashSet<ObjectId> = Default::default();
    let mut graph = Graph {
        ids: Vec::new(),
        trees: Vec::new(),
        times: Vec::new(),
        parents: Vec::new(),
        children: Vec::new(),
    };
    let mut parent_ids: Vec<Vec<ObjectId>> = Vec::new();
    let mut buf = Vec::new();
    let mut stack = tips;
    let mut handle = owner.local_with_own_store();
    let mut read = 0;
    while let Some(id) = stack.pop() {
        if index.contains_key(&id) || absent.contains(&id) {
            continue;
        }
        if read >= owner.store_budget.commits {
            handle = owner.local_with_own_store();
            read = 0;
        }
        read += 1;
        let node = match read_node(&handle, &id, &mut buf) {
            Ok(node) => node,
            Err(problem) => {
                if let CommitProblem::Corrupt(reason) = problem {
                    counters.skip(
                        id.to_string(),
                        SkipReason::Unreadable,
                        format!(
                            "commit cannot be read, history behind it is not attributed: {reason}"
                        ),
                    );
                }
                // Missing: the edge of a shallow or partial clone.
                absent.insert(id);
                continue;
            }
        };
        index.insert(id, graph.ids.len() as u32);
        graph.ids.push(id);
        graph.trees.push(node.tree);
        graph.times.push(node.time);
        let parents = if shallow.contains(&id) {
            Vec::new()
        } else {
            node.parents
        };
        stack.extend(parents.iter().rev().copied());
        parent_ids.push(parents);
    }
    graph.children = vec![Vec::new(); graph.ids.len()];
    for (child, parents) in parent_ids.into_iter().enumerate() {
        let mut present: Vec<u32> = Vec::with_capacity(parents.len());
        for parent in parents {
            if let Some(&p) = index.get(&parent) {
                if !present.contains(&p) {
                    present.push(p);
                    graph.children[p as usize].push(child as u32);
                }
            }
        }
        graph.parents.push(present);
    }
    Ok(graph)
}

/// Parents-first order of all commits: Kahn's algorithm, oldest commit
/// time first among the commits whose parents are all done.
fn topological_order(graph: &Graph) -> Vec<u32> {
    let n = graph.ids.len();
    let mut pending: Vec<usize> = graph.parents.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<(i64, u32)>> = (0..n)
        .filter(|&i| pending[i] == 0)
        .map(|i| Reverse((graph.times[i], i as u32)))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((_, node))) = ready.pop() {
        order.push(node);
        for &child in &graph.children[node as usize] {
            let c = child as usize;
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push(Reverse((graph.times[c], child)));
            }
        }
    }
    order
}

/// What one commit changed about the wanted blobs, relative to its first
/// parent.
#[derive(Default)]
struct Changes {
    added: Vec<ObjectId>,
    removed: Vec<ObjectId>,
}

/// Fills in `acc` (see the module docs) in two passes.
///
/// The tree comparisons run newest commit first: packs store older
/// versions of a tree as deltas against newer ones, and gix's delta cache
/// keeps only the last object it resolved, so reading oldest first would
/// re-decode whole delta chains for every commit (several times slower on
/// a deep history). Each commit is compared with its first parent on its
/// own, so the comparisons are split over threads, each a contiguous run
/// of that order with its own handles and caches (reading the trees was
/// nearly all of a full scan's time when it had findings: 12 of 20 s on a
/// 40,000-commit history; see `diff_commits` for why the handles are
/// replaced as a thread goes). What they find about wanted blobs is small and
/// kept per commit; the second pass replays it parents-first, reading
/// nothing.
fn walk_graph(
    repo: &Repo,
    graph: &Graph,
    diff: &mut TreeDiff<'_>,
    acc: &mut gix::hashtable::HashMap<ObjectId, Acc>,
) {
    let order = topological_order(graph);

    let newest_first: Vec<u32> = order.iter().rev().copied().collect();
    let threads = super::odb::thread_count(0).min(newest_first.len().div_ceil(1000));
    let chunk = newest_first.len().div_ceil(threads.max(1)).max(1);
    let wanted = &*acc;
    let results: Vec<Diffed> = std::thread::scope(|scope| {
        let workers: Vec<_> = newest_first
            .chunks(chunk)
            .map(|nodes| scope.spawn(move || diff_commits(repo, graph, nodes, wanted)))
            .collect();
        workers
            .into_iter()
            // A worker only panics on a bug; re-raise it here.
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut changes: gix::hashtable::HashMap<ObjectId, Changes> = Default::default();
    for result in results {
        for (id, path) in result.paths {
            if let Some(a) = acc.get_mut(&id) {
                a.paths.insert(path);
            }
        }
        changes.extend(result.changes);
        diff.broken.extend(result.broken);
    }

    let mut remaining: Vec<usize> = graph.children.iter().map(Vec::len).collect();
    let mut states: Vec<Option<Presence>> = (0..graph.ids.len()).map(|_| None).collect();
    for &node in &order {
        let i = node as usize;
        let parents = &graph.parents[i];
        let mut state = match parents.first() {
            Some(&p) if remaining[p as usize] == 1 => states[p as usize].take(),
            Some(&p) => states[p as usize].clone(),
            None => None,
        }
        .unwrap_or_default();
        for &p in parents {
            let p = p as usize;
            remaining[p] -= 1;
            if remaining[p] == 0 {
                states[p] = None;
            }
        }
        if let Some(found) = changes.get(&graph.ids[i]) {
            for id in &found.removed {
                if let Some(count) = state.get_mut(id) {
                    *count -= 1;
                    if *count == 0 {
                        state.remove(id);
                    }
                }
            }
            for id in &found.added {
                *state.entry(*id).or_insert(0) += 1;
                if let Some(a) = acc.get_mut(id) {
                    a.first.get_or_insert(node);
                }
            }
        }
        for id in state.keys() {
            if let Some(a) = acc.get_mut(id) {
                a.commits += 1;
            }
        }
        if remaining[i] > 0 {
            states[i] = Some(state);
        }
    }
}

/// What comparing some commits with their first parents found.
struct Diffed {
    changes: Vec<(ObjectId, Changes)>,
    /// Wanted blobs and a path each was added at.
    paths: Vec<(ObjectId, String)>,
    broken: Vec<(ObjectId, String)>,
}

/// Compares each of `nodes` with its first parent, on handles of its own.
///
/// Each handle has a store of its own and is replaced by a fresh one after
/// `store_budget.tree_bytes` bytes of trees: dropping a store unmaps its packs,
/// which otherwise stay resident for as long as the store lives (the whole
/// pack, by the end of a long history). The fresh handle starts with empty
/// caches, so the budget is set large enough that re-decoding after a
/// reopen is rare.
fn diff_commits(
    repo: &Repo,
    graph: &Graph,
    nodes: &[u32],
    wanted: &gix::hashtable::HashMap<ObjectId, Acc>,
) -> Diffed {
    let mut out = Diffed {
        changes: Vec::new(),
        paths: Vec::new(),
        broken: Vec::new(),
    };
    let mut next = 0;
    while next < nodes.len() {
        let handle = repo.local_with_own_store();
        let mut diff = TreeDiff::new(&handle);
        // The budget is at least one byte and a fresh `diff` has read none,
        // so every handle compares one commit or more.
        while next < nodes.len() && diff.bytes_read < repo.store_budget.tree_bytes {
            let i = nodes[next] as usize;
            next += 1;
            let base = graph.parents[i].first().map(|&p| graph.trees[p as usize]);
            let mut found = Changes::default();
            diff.diff(base, Some(graph.trees[i]), true, &mut |side, id, path| {
                if !wanted.contains_key(id) {
                    return;
                }
                match side {
                    Side::Added => {
                        found.added.push(id.to_owned());
                        out.paths.push((id.to_owned(), path_string(path)));
                    }
                    Side::Removed => found.removed.push(id.to_owned()),
                }
            });
            if !found.added.is_empty() || !found.removed.is_empty() {
                out.changes.push((graph.ids[i], found));
            }
        }
        out.broken.append(&mut diff.broken);
    }
    out
}

fn record_broken_trees(diff: &TreeDiff<'_>, counters: &Counters) {
    let mut seen = HashSet::new();
    for (id, reason) in &diff.broken {
        if seen.insert(*id) {
            counters.skip(
                id.to_string(),
                SkipReason::Unreadable,
                format!("tree cannot be read, its files are not attributed: {reason}"),
            );
        }
    }
}

//! Staged content: what `git commit` would record that `HEAD` lacks.
//!
//! The pre-commit hook scans exactly the index entries whose blob differs
//! from `HEAD`'s tree at the same path (new or modified files), read from
//! the object database where `git add` put them, not from the worktree,
//! which may hold unstaged edits.

use std::collections::{HashMap, HashSet};

use gix::bstr::{BStr, BString};
use gix::ObjectId;

use super::tree::TreeDiff;
use super::{path_string, GitError, Repo};

/// An index entry whose content is not in `HEAD` at that path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedBlob {
    pub id: ObjectId,
    pub path: String,
}

impl Repo {
    /// The staged blobs, sorted by path. Empty for a bare repository.
    /// With an unborn `HEAD` (before the first commit) every entry counts.
    /// Submodules, sparse-directory entries and `git add -N` placeholders
    /// carry no content and are left out; during a conflicted merge each
    /// unmerged side is listed.
    pub fn staged_blobs(&self) -> Result<Vec<StagedBlob>, GitError> {
        let repo = self.local();
        if repo.is_bare() {
            return Ok(Vec::new());
        }
        let index = repo
            .index_or_empty()
            .map_err(|e| GitError::repo("cannot read the index", &e))?;

        // HEAD's blobs by path. One full tree walk: simple, and fast next
        // to the process start-up for any checkout that fits on a laptop.
        let mut head: HashMap<BString, ObjectId> = HashMap::new();
        if let Ok(tree) = repo.head_tree_id() {
            let mut diff = TreeDiff::new(&repo);
            diff.walk(tree.detach(), &mut |id, path| {
                head.insert(path.to_owned(), id.to_owned());
            });
        }

        let mut out = Vec::new();
        let mut seen: HashSet<(ObjectId, &BStr)> = HashSet::new();
        for entry in index.entries() {
            if entry.mode.is_submodule()
                || entry.mode.is_sparse()
                || entry
                    .flags
                    .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            {
                continue;
            }
            let path = entry.path(&index);
            if head.get(path) == Some(&entry.id) || !seen.insert((entry.id, path)) {
                continue;
            }
            out.push(StagedBlob {
                id: entry.id,
                path: path_string(path),
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

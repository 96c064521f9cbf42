//! Which blobs HEAD's tree holds, for scans that do not attribute through
//! the whole history (ranges, staged content) but still say whether a
//! finding is in HEAD or only in history.

use std::collections::HashSet;

use gix::ObjectId;

use super::tree::TreeDiff;
use super::Repo;

impl Repo {
    /// Every blob id in HEAD's tree, at any path: one tree walk. Empty when
    /// HEAD is unborn (a repository without commits).
    pub fn head_blobs(&self) -> HashSet<ObjectId> {
        let repo = self.local();
        let mut blobs = HashSet::new();
        if let Ok(tree) = repo.head_tree_id() {
            let mut diff = TreeDiff::new(&repo);
            diff.walk(tree.detach(), &mut |id, _| {
                blobs.insert(id.to_owned());
            });
        }
        blobs
    }
}

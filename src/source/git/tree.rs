//! Tree comparison by id: the one primitive behind attribution and ranges.
//!
//! Two trees are walked side by side in git's entry order; entries with
//! equal ids are skipped without being read, so a commit that touched one
//! file in a deep directory costs one tree read per level, never a full
//! listing and never a look at file contents. Blob entries that differ are
//! reported with their full path. Submodule gitlinks are ignored: their
//! content lives in another repository.

use gix::bstr::{BStr, BString, ByteVec};
use gix::objs::tree::EntryRef;
use gix::objs::TreeRefIter;
use gix::prelude::Find;
use gix::ObjectId;

/// Which side of a comparison a blob entry is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// In the old tree only (deleted, or the old version of a modified file).
    Removed,
    /// In the new tree only (added, or the new version of a modified file).
    Added,
}

/// Reads and compares trees with reused buffers. Trees that are missing or
/// cannot be decoded count as empty and are remembered in `broken`, so a
/// damaged repository yields partial answers rather than none.
pub(crate) struct TreeDiff<'r> {
    repo: &'r gix::Repository,
    /// Buffers not in use; one is taken per tree being read.
    pool: Vec<Vec<u8>>,
    /// The directory of the trees being compared, with a trailing `/`.
    path: BString,
    /// Tree ids that could not be read, with the reason.
    pub broken: Vec<(ObjectId, String)>,
    /// Bytes of tree objects read so far, so a caller can tell how much of
    /// the store's packs it has been through.
    pub bytes_read: u64,
}

impl<'r> TreeDiff<'r> {
    pub fn new(repo: &'r gix::Repository) -> Self {
        TreeDiff {
            repo,
            pool: Vec::new(),
            path: BString::default(),
            broken: Vec::new(),
            bytes_read: 0,
        }
    }

    /// Reports every blob entry that differs between `old` and `new`
    /// (either may be `None`, the empty tree). With `removed == false`,
    /// subtrees that only exist in `old` are not descended into and no
    /// [`Side::Removed`] entries are reported: a range scan only wants what
    /// a commit added.
    pub fn diff(
        &mut self,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        removed: bool,
        report: &mut dyn FnMut(Side, &gix::oid, &BStr),
    ) {
        self.path.clear();
        self.diff_at(old, new, removed, report);
    }

    /// Every blob in `tree`, with its path.
    pub fn walk(&mut self, tree: ObjectId, report: &mut dyn FnMut(&gix::oid, &BStr)) {
        self.diff(None, Some(tree), false, &mut |_, id, path| report(id, path));
    }

    fn diff_at(
        &mut self,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        removed: bool,
        report: &mut dyn FnMut(Side, &gix::oid, &BStr),
    ) {
        if old == new || (!removed && new.is_none()) {
            return;
        }
        let old_buf = self.read(old);
        let new_buf = self.read(new);
        let hash = self.repo.object_hash();
        self.merge(&old_buf, &new_buf, hash, removed, report);
        self.pool.push(old_buf);
        self.pool.push(new_buf);
    }

    /// The side-by-side walk of two raw trees (see the module docs).
    fn merge(
        &mut self,
        old_buf: &[u8],
        new_buf: &[u8],
        hash: gix::hash::Kind,
        removed: bool,
        report: &mut dyn FnMut(Side, &gix::oid, &BStr),
    ) {
        let mut olds = entries(old_buf, hash);
        let mut news = entries(new_buf, hash);
        let (mut o, mut n) = (olds.next(), news.next());
        loop {
            match (o, n) {
                (None, None) => break,
                (Some(a), None) => {
                    self.one_side(Side::Removed, a, removed, report);
                    o = olds.next();
                }
                (None, Some(b)) => {
                    self.one_side(Side::Added, b, removed, report);
                    n = news.next();
                }
                (Some(a), Some(b)) => {
                    let order = gix::objs::tree::name_order(
                        a.filename,
                        a.mode.is_tree(),
                        b.filename,
                        b.mode.is_tree(),
                    );
                    match order {
                        std::cmp::Ordering::Less => {
                            self.one_side(Side::Removed, a, removed, report);
                            o = olds.next();
                        }
                        std::cmp::Ordering::Greater => {
                            self.one_side(Side::Added, b, removed, report);
                            n = news.next();
                        }
                        std::cmp::Ordering::Equal => {
                            if a.oid != b.oid {
                                if a.mode.is_tree() {
                                    // Equal order means both are trees.
                                    self.descend(
                                        a.filename,
                                        Some(a.oid.to_owned()),
                                        Some(b.oid.to_owned()),
                                        removed,
                                        report,
                                    );
                                } else {
                                    self.one_side(Side::Removed, a, removed, report);
                                    self.one_side(Side::Added, b, removed, report);
                                }
                            }
                            o = olds.next();
                            n = news.next();
                        }
                    }
                }
            }
        }
    }

    /// An entry present on one side only: a blob is reported, a tree is
    /// walked against nothing.
    fn one_side(
        &mut self,
        side: Side,
        entry: EntryRef<'_>,
        removed: bool,
        report: &mut dyn FnMut(Side, &gix::oid, &BStr),
    ) {
        if entry.mode.is_commit() || (side == Side::Removed && !removed) {
            return;
        }
        if entry.mode.is_tree() {
            let id = Some(entry.oid.to_owned());
            let (old, new) = match side {
                Side::Removed => (id, None),
                Side::Added => (None, id),
            };
            self.descend(entry.filename, old, new, removed, report);
        } else {
            let len = self.path.len();
            self.path.push_str(entry.filename);
            report(side, entry.oid, self.path.as_ref());
            self.path.truncate(len);
        }
    }

    fn descend(
        &mut self,
        name: &BStr,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        removed: bool,
        report: &mut dyn FnMut(Side, &gix::oid, &BStr),
    ) {
        let len = self.path.len();
        self.path.push_str(name);
        self.path.push(b'/');
        self.diff_at(old, new, removed, report);
        self.path.truncate(len);
    }

    /// The raw tree `id` in a pooled buffer; empty for `None`, a missing
    /// object or one that is not a tree (recorded in `broken`).
    fn read(&mut self, id: Option<ObjectId>) -> Vec<u8> {
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.clear();
        let Some(id) = id else {
            return buf;
        };
        let problem = match self.repo.objects.try_find(&id, &mut buf) {
            Ok(Some(object)) if object.kind == gix::object::Kind::Tree => None,
            Ok(Some(object)) => Some(format!("expected a tree, found a {}", object.kind)),
            Ok(None) => Some("tree is missing from the repository".to_string()),
            Err(e) => Some(format!("corrupt tree: {}", super::describe(&e))),
        };
        if let Some(problem) = problem {
            buf.clear();
            self.broken.push((id, problem));
        }
        self.bytes_read += buf.len() as u64;
        buf
    }
}

/// The entries of a raw tree, stopping quietly at the first undecodable
/// one: a damaged tree contributes what can be read of it.
fn entries(data: &[u8], hash: gix::hash::Kind) -> impl Iterator<Item = EntryRef<'_>> {
    TreeRefIter::from_bytes(data, hash).map_while(Result::ok)
}

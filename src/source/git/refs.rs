//! A fingerprint of a repository's refs: what `keyhound org` compares to
//! tell that nothing about a mirror's history can have changed.
//!
//! Every ref's name and target (an object id, or the name a symbolic ref
//! points to) and HEAD's target, sorted, hashed. Nothing is peeled and no
//! object is read: only the ref files and `packed-refs`. Equal
//! fingerprints mean the same commits are reachable from the same names,
//! hence the same blobs, paths and attribution.

use sha2::{Digest, Sha256};

use super::{GitError, Repo};

impl Repo {
    /// SHA-256 (hex) over every ref and HEAD; see the module doc. A ref
    /// that cannot be read is an error, never left out: a fingerprint that
    /// skipped it could match one taken before the ref changed.
    pub fn refs_fingerprint(&self) -> Result<String, GitError> {
        let repo = self.repo.to_thread_local();
        let platform = repo
            .references()
            .map_err(|e| GitError::repo("cannot read refs", &e))?;
        let iter = platform
            .all()
            .map_err(|e| GitError::repo("cannot list refs", &e))?;
        let mut lines = Vec::new();
        for reference in iter {
            let reference = reference.map_err(|e| GitError::Repository {
                context: "cannot read a ref".into(),
                reason: e.to_string(),
            })?;
            lines.push(format!(
                "{} {}",
                reference.name().as_bstr(),
                target(reference.target())
            ));
        }
        lines.sort();
        let head = repo
            .head()
            .map_err(|e| GitError::repo("cannot read HEAD", &e))?;
        let head = match &head.kind {
            gix::head::Kind::Symbolic(r) => format!("ref: {}", r.name.as_bstr()),
            gix::head::Kind::Unborn(name) => format!("ref: {}", name.as_bstr()),
            gix::head::Kind::Detached { target, .. } => target.to_string(),
        };
        let mut h = Sha256::new();
        h.update(format!("HEAD {head}\n").as_bytes());
        for line in &lines {
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        Ok(hex::encode(h.finalize()))
    }
}

fn target(t: gix::refs::TargetRef<'_>) -> String {
    match t {
        gix::refs::TargetRef::Object(id) => id.to_string(),
        gix::refs::TargetRef::Symbolic(name) => format!("ref: {}", name.as_bstr()),
    }
}

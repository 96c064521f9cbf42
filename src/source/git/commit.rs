//! Reading commits: the graph facts a walk needs, and the human facts a
//! report shows.

use gix::bstr::ByteSlice;
use gix::objs::CommitRef;
use gix::prelude::Find;
use gix::ObjectId;
use time::format_description::well_known::Rfc3339;

/// The commit that introduced a blob, as shown in reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub author_name: String,
    pub author_email: String,
    /// Author date, RFC 3339 in the author's own UTC offset
    /// (`2024-05-01T12:00:00+02:00`).
    pub date: String,
    /// Author date as seconds since the Unix epoch.
    pub timestamp: i64,
    /// The message's summary: its first paragraph on one line, as `git log
    /// --format=%s` shows it.
    pub summary: String,
}

/// What a graph walk needs of a commit.
pub(crate) struct CommitNode {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    /// Committer time, to order otherwise unordered commits oldest first.
    pub time: i64,
}

/// Why a commit could not be read.
pub(crate) enum CommitProblem {
    Missing,
    Corrupt(String),
}

/// Reads the graph facts of commit `id` into `buf`.
pub(crate) fn read_node(
    repo: &gix::Repository,
    id: &gix::oid,
    buf: &mut Vec<u8>,
) -> Result<CommitNode, CommitProblem> {
    let data = match repo.objects.try_find(id, buf) {
        Ok(Some(data)) if data.kind == gix::object::Kind::Commit => data,
        Ok(Some(data)) => {
            return Err(CommitProblem::Corrupt(format!(
                "expected a commit, found a {}",
                data.kind
            )))
        }
        Ok(None) => return Err(CommitProblem::Missing),
        Err(e) => return Err(CommitProblem::Corrupt(super::describe(&e))),
    };
    let commit = CommitRef::from_bytes(data.data, repo.object_hash())
        .map_err(|e| CommitProblem::Corrupt(format!("corrupt commit: {}", super::describe(&e))))?;
    let time = commit.committer().map(|sig| sig.seconds()).unwrap_or(0);
    Ok(CommitNode {
        tree: commit.tree(),
        parents: commit.parents().collect(),
        time,
    })
}

/// Reads the report facts of commit `id`.
pub(crate) fn read_info(repo: &gix::Repository, id: ObjectId) -> Result<CommitInfo, String> {
    let mut buf = Vec::new();
    let data = match repo.objects.try_find(&id, &mut buf) {
        Ok(Some(data)) if data.kind == gix::object::Kind::Commit => data,
        Ok(Some(data)) => return Err(format!("{id} is a {}, not a commit", data.kind)),
        Ok(None) => return Err(format!("commit {id} is missing")),
        Err(e) => return Err(format!("commit {id}: {}", super::describe(&e))),
    };
    let commit = CommitRef::from_bytes(data.data, repo.object_hash())
        .map_err(|e| format!("corrupt commit {id}: {}", super::describe(&e)))?;
    let author = commit
        .author()
        .map_err(|e| {
            format!(
                "commit {id} has no readable author: {}",
                super::describe(&e)
            )
        })?
        .trim();
    let (timestamp, offset) = author.time().map_or((0, 0), |t| (t.seconds, t.offset));
    Ok(CommitInfo {
        id,
        author_name: author.name.to_str_lossy().into_owned(),
        author_email: author.email.to_str_lossy().into_owned(),
        date: rfc3339(timestamp, offset),
        timestamp,
        summary: commit.message_summary().to_str_lossy().into_owned(),
    })
}

/// `seconds` since the epoch as RFC 3339 in the given UTC offset, falling
/// back to UTC when the offset is out of range, and to the raw number for
/// dates RFC 3339 cannot express.
fn rfc3339(seconds: i64, offset_seconds: i32) -> String {
    let Ok(utc) = time::OffsetDateTime::from_unix_timestamp(seconds) else {
        return seconds.to_string();
    };
    let local = time::UtcOffset::from_whole_seconds(offset_seconds)
        .map_or(utc, |offset| utc.to_offset(offset));
    local
        .format(&Rfc3339)
        .or_else(|_| utc.format(&Rfc3339))
        .unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn dates_keep_the_author_offset() {
        assert_eq!(rfc3339(1_700_000_000, 0), "2023-11-14T22:13:20Z");
        assert_eq!(
            rfc3339(1_700_000_000, 2 * 3600),
            "2023-11-15T00:13:20+02:00"
        );
        assert_eq!(
            rfc3339(1_700_000_000, -(5 * 3600 + 1800)),
            "2023-11-14T16:43:20-05:30"
        );
        // An absurd offset falls back to UTC instead of failing.
        assert_eq!(rfc3339(1_700_000_000, 999_999), "2023-11-14T22:13:20Z");
    }
}

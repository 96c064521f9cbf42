//! The git data layer (`keyhound::source::git`) against repositories built
//! with the `git` CLI: enumeration, attribution, ranges, staged content and
//! damaged or unusual repositories.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use keyhound::source::git::{
    self, Attribution, GitError, HistoryOptions, HistoryStats, ObjectId, Repo,
};
use keyhound::stats::{Counters, SkipReason, Stats};

/// A scratch repository driven by the `git` CLI with fixed identities and
/// dates, isolated from the user's and the system's git configuration.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    repo: PathBuf,
    /// Commit dates advance one day per commit.
    day: std::cell::Cell<u32>,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let repo = root.join("repo");
        std::fs::create_dir(&repo).unwrap();
        let f = Fixture {
            _tmp: tmp,
            root,
            repo,
            day: std::cell::Cell::new(0),
        };
        f.git(&["init", "-q", "-b", "main"]);
        f
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let day = self.day.get();
        let date = format!("2024-01-{:02}T12:00:00+02:00", day.clamp(1, 28));
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=Ada Lovelace",
                "-c",
                "user.email=ada@example.com",
            ])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "gc.auto=0",
                "-c",
                "core.autocrlf=false",
            ])
            .args([
                "-c",
                "protocol.file.allow=always",
                "-c",
                "advice.detachedHead=false",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.repo, args)
    }

    fn write(&self, rel: &str, content: &[u8]) {
        let path = self.repo.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Stages everything and commits; returns the commit id.
    fn commit(&self, message: &str) -> ObjectId {
        self.day.set(self.day.get() + 1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.id("HEAD")
    }

    fn id(&self, rev: &str) -> ObjectId {
        oid(&self.git(&["rev-parse", rev]))
    }

    /// The id `content` has as a blob, without writing it.
    fn blob_id(&self, content: &[u8]) -> ObjectId {
        let tmp = self.root.join("hash-input");
        std::fs::write(&tmp, content).unwrap();
        oid(&self.git(&["hash-object", tmp.to_str().unwrap()]))
    }

    fn open(&self) -> Repo {
        git::open(&self.repo).unwrap()
    }

    /// Every blob git knows of in the object database, with its size.
    fn all_blobs(&self, dir: &Path) -> BTreeMap<ObjectId, u64> {
        self.git_in(
            dir,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname) %(objecttype) %(objectsize)",
            ],
        )
        .lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let (id, kind, size) = (parts.next()?, parts.next()?, parts.next()?);
            (kind == "blob").then(|| (oid(id), size.parse().unwrap()))
        })
        .collect()
    }

    /// The index of the repository's (first) pack.
    fn pack_index(&self) -> PathBuf {
        std::fs::read_dir(self.repo.join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap()
    }

    /// Overwrites the middle of `id`'s compressed data in the repository's
    /// single pack, so that it no longer inflates.
    fn damage_pack_entry(&self, id: ObjectId) {
        let idx = self.pack_index();
        // `verify-pack -v`: "<id> <type> <size> <size-in-pack> <offset> …".
        let listing = self.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
        let fields: Vec<u64> = listing
            .lines()
            .find(|l| l.starts_with(&id.to_string()))
            .unwrap()
            .split_whitespace()
            .skip(3)
            .take(2)
            .map(|n| n.parse().unwrap())
            .collect();
        let (in_pack, offset) = (fields[0], fields[1]);
        assert!(in_pack > 24, "{id}'s entry is too small to damage");
        let pack = idx.with_extension("pack");
        let mut bytes = std::fs::read(&pack).unwrap();
        for b in &mut bytes[(offset + 8) as usize..(offset + in_pack - 8) as usize] {
            *b = 0x55;
        }
        writable(&pack);
        std::fs::write(&pack, bytes).unwrap();
    }

    fn loose_path(&self, git_dir: &Path, id: ObjectId) -> PathBuf {
        let hex = id.to_string();
        git_dir.join("objects").join(&hex[..2]).join(&hex[2..])
    }
}

/// Git writes packs read-only.
fn writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

fn oid(hex: &str) -> ObjectId {
    ObjectId::from_hex(hex.trim().as_bytes()).unwrap()
}

/// Runs `for_each_blob` and returns each visit (id, content) in visit order
/// plus the stats.
fn scan_all(repo: &Repo, opts: &HistoryOptions) -> (Vec<(ObjectId, Vec<u8>)>, HistoryStats, Stats) {
    let visits = Mutex::new(Vec::new());
    let counters = Counters::default();
    let stats = repo
        .for_each_blob(opts, &counters, &|id, data| {
            visits.lock().unwrap().push((id, data.to_vec()));
        })
        .unwrap();
    (
        visits.into_inner().unwrap(),
        stats,
        counters.finish(Duration::ZERO),
    )
}

fn attribute(
    repo: &Repo,
    ids: &[ObjectId],
    branch: Option<&str>,
) -> HashMap<ObjectId, Attribution> {
    let wanted: HashSet<ObjectId> = ids.iter().copied().collect();
    let counters = Counters::default();
    let out = repo.attribute(&wanted, branch, &counters).unwrap();
    let stats = counters.finish(Duration::ZERO);
    assert!(
        stats.skipped.is_empty(),
        "unexpected skips: {:?}",
        stats.skipped
    );
    assert_eq!(out.len(), ids.len(), "every wanted blob gets an answer");
    out
}

fn threads() -> HistoryOptions {
    HistoryOptions {
        threads: 2,
        ..HistoryOptions::default()
    }
}

#[test]
fn every_unique_blob_is_visited_once_across_packs_and_loose_objects() {
    let f = Fixture::new();
    // Early history: enough similar files that git stores deltas.
    for round in 0..3 {
        for file in 0..5 {
            let body: String = (0..40)
                .map(|line| format!("round {round} file {file} line {line}\n"))
                .collect();
            f.write(&format!("dir{file}/notes.txt"), body.as_bytes());
        }
        f.commit(&format!("round {round}"));
    }
    f.write("kept-loose-too.txt", b"packed and also loose\n");
    f.commit("will be packed and kept loose");
    let twice = f.blob_id(b"packed and also loose\n");
    let loose_copy = std::fs::read(f.loose_path(&f.repo.join(".git"), twice)).unwrap();

    // Pack that part of history; repack -d removes the packed loose files.
    f.git(&["repack", "-d", "-q"]);
    // A second pack holding a blob the first one has too.
    let in_first_pack = f.blob_id(
        (0..40)
            .map(|line| format!("round 2 file 3 line {line}\n"))
            .collect::<String>()
            .as_bytes(),
    );
    let pack_dir = f.repo.join(".git/objects/pack");
    let out = Command::new("git")
        .args([
            "pack-objects",
            "-q",
            pack_dir.join("pack").to_str().unwrap(),
        ])
        .current_dir(&f.repo)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{in_first_pack}\n{twice}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let packs = std::fs::read_dir(&pack_dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "idx")
        })
        .count();
    assert_eq!(packs, 2);
    // And a loose copy of a packed blob.
    let loose = f.loose_path(&f.repo.join(".git"), twice);
    std::fs::create_dir_all(loose.parent().unwrap()).unwrap();
    std::fs::write(&loose, loose_copy).unwrap();

    // Newer history stays loose.
    f.write("dir0/notes.txt", b"rewritten after the repack\n");
    f.write("fresh.txt", b"a loose blob\n");
    f.commit("after repack");

    let expected = f.all_blobs(&f.repo);
    let (visits, stats, counters) = scan_all(&f.open(), &threads());

    let mut counts: BTreeMap<ObjectId, usize> = BTreeMap::new();
    for (id, data) in &visits {
        *counts.entry(*id).or_default() += 1;
        assert_eq!(data.len() as u64, expected[id], "content of {id}");
    }
    assert!(
        counts.values().all(|&n| n == 1),
        "a blob was visited twice: {counts:?}"
    );
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        expected.keys().copied().collect::<Vec<_>>()
    );
    assert_eq!(stats.packs, 2);
    assert!(stats.loose_objects >= 3, "{stats:?}");
    // `in_first_pack` and `twice` are in both packs; `twice` is loose too.
    assert_eq!(stats.duplicate_blobs, 3, "{stats:?}");
    assert_eq!(stats.blobs as usize, expected.len());
    assert_eq!(stats.scanned as usize, expected.len());
    assert_eq!(counters.files_scanned as usize, expected.len());
    assert!(counters.skipped.is_empty(), "{:?}", counters.skipped);
    // Content is the blob itself, not a delta or a header.
    let fresh = f.blob_id(b"a loose blob\n");
    assert!(visits
        .iter()
        .any(|(id, data)| *id == fresh && data == b"a loose blob\n"));
}

/// A file rewritten over many commits (and a copy that drifts from it),
/// so that a repack stores long delta chains, some with several children.
fn history_of_versions(f: &Fixture, versions: usize) {
    let mut lines: Vec<String> = (0..80).map(|i| format!("setting_{i} = {i}\n")).collect();
    for v in 0..versions {
        lines[v % 80] = format!("setting_{} = changed in version {v}\n", v % 80);
        lines.push(format!("appended in version {v}\n"));
        f.write("config.txt", lines.concat().as_bytes());
        if v % 3 == 0 {
            let mut copy = lines.clone();
            copy.truncate(60 + v % 20);
            f.write("copy/config.txt", copy.concat().as_bytes());
        }
        f.commit(&format!("version {v}"));
    }
}

/// Every blob with its content, as `git cat-file` gives it.
fn blob_contents(f: &Fixture) -> BTreeMap<ObjectId, Vec<u8>> {
    f.all_blobs(&f.repo)
        .into_keys()
        .map(|id| {
            let out = Command::new("git")
                .args(["cat-file", "blob", &id.to_string()])
                .current_dir(&f.repo)
                .output()
                .unwrap();
            assert!(out.status.success());
            (id, out.stdout)
        })
        .collect()
}

/// `(id, base)` of each delta entry in the repository's single pack, and
/// the entry type bits of each (6: offset delta, 7: ref delta).
fn pack_deltas(f: &Fixture) -> (Vec<(ObjectId, ObjectId)>, BTreeSet<u8>) {
    let idx = f.pack_index();
    let pack = std::fs::read(idx.with_extension("pack")).unwrap();
    // `verify-pack -v`: "<id> <type> <size> <size-in-pack> <offset>
    // [<depth> <base id>]".
    let mut deltas = Vec::new();
    let mut types = BTreeSet::new();
    for line in f.git(&["verify-pack", "-v", idx.to_str().unwrap()]).lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() == 7 && fields[1] == "blob" {
            deltas.push((oid(fields[0]), oid(fields[6])));
            let offset: usize = fields[4].parse().unwrap();
            types.insert((pack[offset] >> 4) & 7);
        }
    }
    (deltas, types)
}

#[test]
fn delta_chains_decode_to_the_content_git_has() {
    for (packing, delta_type) in [
        (&["gc", "-q", "--aggressive"][..], 6u8),
        (
            &[
                "-c",
                "repack.useDeltaBaseOffset=false",
                "repack",
                "-a",
                "-d",
                "-f",
                "-q",
            ][..],
            7u8,
        ),
    ] {
        let f = Fixture::new();
        history_of_versions(&f, 120);
        f.git(packing);
        let (deltas, types) = pack_deltas(&f);
        // The premise: long chains of the kind under test.
        assert!(deltas.len() > 100, "{packing:?}: {} deltas", deltas.len());
        assert_eq!(types, BTreeSet::from([delta_type]), "{packing:?}");
        let bases: HashSet<ObjectId> = deltas.iter().map(|(_, base)| *base).collect();
        let mut children = HashMap::<ObjectId, usize>::new();
        for (_, base) in &deltas {
            *children.entry(*base).or_default() += 1;
        }
        assert!(
            children.values().any(|&n| n > 1),
            "{packing:?}: no base with several deltas"
        );
        assert!(bases.len() > 1);

        let expected = blob_contents(&f);
        let (visits, stats, counters) = scan_all(&f.open(), &threads());
        assert!(counters.skipped.is_empty(), "{:?}", counters.skipped);
        assert_eq!(stats.corrupt, 0);
        let got: BTreeMap<ObjectId, Vec<u8>> = visits.into_iter().collect();
        assert_eq!(
            got.len(),
            expected.len(),
            "{packing:?}: a blob visited twice or missed"
        );
        for (id, content) in &expected {
            assert_eq!(got.get(id), Some(content), "{packing:?}: content of {id}");
        }
    }
}

#[test]
fn a_damaged_delta_base_costs_its_chain_and_nothing_else() {
    let f = Fixture::new();
    history_of_versions(&f, 40);
    f.write("unrelated.txt", b"an unrelated blob\n");
    f.commit("unrelated");
    f.git(&["gc", "-q", "--aggressive"]);
    let (deltas, _) = pack_deltas(&f);
    let expected = blob_contents(&f);

    // The base with the most entries built on it, directly or not.
    let mut children: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    for (id, base) in &deltas {
        children.entry(*base).or_default().push(*id);
    }
    let descendants = |root: ObjectId| {
        let mut out = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            for &child in children.get(&id).into_iter().flatten() {
                if out.insert(child) {
                    stack.push(child);
                }
            }
        }
        out
    };
    let is_delta: HashSet<ObjectId> = deltas.iter().map(|(id, _)| *id).collect();
    let victim = *children
        .keys()
        .filter(|id| !is_delta.contains(*id))
        .max_by_key(|id| descendants(**id).len())
        .unwrap();
    let lost = descendants(victim);
    assert!(lost.len() > 5, "premise: a chain hangs on the victim");

    f.damage_pack_entry(victim);

    let (visits, stats, counters) = scan_all(&f.open(), &threads());
    let got: BTreeMap<ObjectId, Vec<u8>> = visits.into_iter().collect();
    let broken: BTreeSet<String> = counters
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Corrupt)
        .map(|s| s.path.clone())
        .collect();
    let mut want_broken: BTreeSet<String> = lost.iter().map(|id| id.to_string()).collect();
    want_broken.insert(victim.to_string());
    assert_eq!(broken, want_broken);
    assert_eq!(stats.corrupt as usize, want_broken.len());
    for (id, content) in &expected {
        if *id == victim || lost.contains(id) {
            assert!(!got.contains_key(id), "{id} decoded from a damaged base");
        } else {
            assert_eq!(got.get(id), Some(content), "content of {id}");
        }
    }
}

#[test]
fn add_modify_delete_visits_both_versions_and_attributes_each() {
    let f = Fixture::new();
    f.write("README.md", b"hello\n");
    f.write("config/secret.env", b"TOKEN=first-version\n");
    let c1 = f.commit("Add config\n\nWith a body that is not the summary.");
    f.write("config/secret.env", b"TOKEN=second-version\n");
    let c2 = f.commit("Rotate token");
    std::fs::remove_file(f.repo.join("config/secret.env")).unwrap();
    let c3 = f.commit("Remove config");
    let v1 = f.blob_id(b"TOKEN=first-version\n");
    let v2 = f.blob_id(b"TOKEN=second-version\n");
    let readme = f.blob_id(b"hello\n");

    let repo = f.open();
    let (visits, _, _) = scan_all(&repo, &threads());
    let visited: HashSet<ObjectId> = visits.iter().map(|(id, _)| *id).collect();
    assert!(visited.contains(&v1) && visited.contains(&v2));

    let attr = attribute(&repo, &[v1, v2, readme], None);
    let a1 = &attr[&v1];
    let commit = a1.commit.as_ref().unwrap();
    assert_eq!(commit.id, c1);
    assert_eq!(commit.author_name, "Ada Lovelace");
    assert_eq!(commit.author_email, "ada@example.com");
    assert_eq!(commit.date, "2024-01-01T12:00:00+02:00");
    assert_eq!(commit.summary, "Add config");
    assert_eq!(a1.paths, ["config/secret.env"]);
    assert_eq!(a1.commits, 1);
    assert!(a1.reachable);
    assert!(!a1.in_head);

    let a2 = &attr[&v2];
    assert_eq!(a2.commit.as_ref().unwrap().id, c2);
    assert_eq!(a2.commit.as_ref().unwrap().summary, "Rotate token");
    assert_eq!(a2.paths, ["config/secret.env"]);
    assert_eq!(a2.commits, 1);
    assert!(!a2.in_head);

    let r = &attr[&readme];
    assert_eq!(r.commit.as_ref().unwrap().id, c1);
    assert_eq!(r.commits, 3, "kept in all three commits");
    assert!(r.in_head);
    let _ = c3;
}

#[test]
fn the_same_blob_under_two_paths_is_scanned_once_with_both_paths() {
    let f = Fixture::new();
    f.write("a.txt", b"shared content\n");
    f.write("deep/er/b.txt", b"shared content\n");
    let c1 = f.commit("two copies");
    f.write("other.txt", b"x\n");
    f.commit("unrelated");
    let shared = f.blob_id(b"shared content\n");

    let repo = f.open();
    let (visits, stats, _) = scan_all(&repo, &threads());
    assert_eq!(visits.iter().filter(|(id, _)| *id == shared).count(), 1);
    assert_eq!(stats.blobs, 2);

    let a = &attribute(&repo, &[shared], None)[&shared];
    assert_eq!(a.commit.as_ref().unwrap().id, c1);
    assert_eq!(a.paths, ["a.txt", "deep/er/b.txt"]);
    assert_eq!(a.commits, 2);
    assert!(a.in_head);
}

#[test]
fn blob_on_an_unmerged_branch_is_reachable_only_through_that_branch() {
    let f = Fixture::new();
    f.write("main.txt", b"main\n");
    f.commit("base");
    f.git(&["checkout", "-q", "-b", "feature"]);
    f.write("feature.txt", b"only on the feature branch\n");
    let on_feature = f.commit("feature work");
    f.git(&["checkout", "-q", "main"]);
    f.write("main.txt", b"main moves on\n");
    f.commit("main work");
    let blob = f.blob_id(b"only on the feature branch\n");

    let repo = f.open();
    let all = &attribute(&repo, &[blob], None)[&blob];
    assert!(all.reachable);
    assert!(!all.in_head);
    assert_eq!(all.commit.as_ref().unwrap().id, on_feature);
    assert_eq!(all.paths, ["feature.txt"]);

    let main_only = &attribute(&repo, &[blob], Some("main"))[&blob];
    assert!(!main_only.reachable);
    assert!(main_only.commit.is_none());
    assert_eq!(main_only.commits, 0);

    let feature_only = &attribute(&repo, &[blob], Some("feature"))[&blob];
    assert!(feature_only.reachable);

    let err = repo.attribute(
        &[blob].into_iter().collect(),
        Some("no-such-branch"),
        &Counters::default(),
    );
    assert!(matches!(err, Err(GitError::BadRevision { .. })), "{err:?}");
}

#[test]
fn unreachable_blob_is_scanned_but_not_reachable() {
    let f = Fixture::new();
    f.write("a.txt", b"a\n");
    f.commit("one");
    let dangling_file = f.root.join("dangling.txt");
    std::fs::write(&dangling_file, b"written with hash-object -w\n").unwrap();
    let dangling = oid(&f.git(&["hash-object", "-w", dangling_file.to_str().unwrap()]));

    let repo = f.open();
    let (visits, _, _) = scan_all(&repo, &threads());
    assert!(visits
        .iter()
        .any(|(id, data)| *id == dangling && data == b"written with hash-object -w\n"));
    let a = &attribute(&repo, &[dangling], None)[&dangling];
    assert_eq!(
        a,
        &Attribution {
            commit: None,
            paths: vec![],
            commits: 0,
            reachable: false,
            in_head: false,
        }
    );
}

#[test]
fn merge_commit_keeps_the_branch_commit_as_the_introduction() {
    let f = Fixture::new();
    f.write("base.txt", b"base\n");
    f.commit("base");
    f.git(&["checkout", "-q", "-b", "topic"]);
    f.write("topic.txt", b"from the topic branch\n");
    let topic = f.commit("topic adds a file");
    f.git(&["checkout", "-q", "main"]);
    f.write("main.txt", b"main side\n");
    f.commit("main side");
    f.day.set(f.day.get() + 1);
    f.git(&["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"]);
    let merge = f.id("HEAD");
    f.write("after.txt", b"after\n");
    f.commit("after merge");
    let blob = f.blob_id(b"from the topic branch\n");

    let repo = f.open();
    let a = &attribute(&repo, &[blob], None)[&blob];
    assert_eq!(a.commit.as_ref().unwrap().id, topic);
    assert_eq!(a.paths, ["topic.txt"]);
    // topic commit, the merge, and the commit after it.
    assert_eq!(a.commits, 3);
    assert!(a.in_head);

    // The merge itself introduced nothing new relative to both parents.
    let range = repo
        .blobs_in_range(&[f.id("HEAD~2")], &[merge], &Counters::default())
        .unwrap();
    let ids: Vec<ObjectId> = range.iter().map(|b| b.id).collect();
    assert_eq!(ids, [blob], "only the topic commit's blob: {range:?}");
    assert_eq!(range[0].commit_id, topic);
}

#[test]
fn rename_keeps_the_original_introduction_and_lists_both_paths() {
    let f = Fixture::new();
    f.write("old/name.txt", b"renamed content\n");
    let c1 = f.commit("add");
    f.git(&["mv", "old/name.txt", "new-name.txt"]);
    let c2 = f.commit("rename");
    let blob = f.blob_id(b"renamed content\n");

    let repo = f.open();
    let a = &attribute(&repo, &[blob], None)[&blob];
    assert_eq!(a.commit.as_ref().unwrap().id, c1);
    assert_eq!(a.paths, ["new-name.txt", "old/name.txt"]);
    assert_eq!(a.commits, 2);
    assert!(a.in_head);

    // As a range, the rename commit "introduces" the blob at its new path.
    let range = repo
        .blobs_in_range(&[c1], &[c2], &Counters::default())
        .unwrap();
    assert_eq!(range.len(), 1);
    assert_eq!(range[0].paths, ["new-name.txt"]);
}

#[test]
fn range_yields_only_blobs_new_in_the_range() {
    let f = Fixture::new();
    f.write("a.txt", b"old a\n");
    f.write("b.txt", b"old b\n");
    let a = f.commit("A");
    f.write("a.txt", b"new a\n");
    f.write("c/d.txt", b"new d\n");
    let mid = f.commit("middle");
    f.write("b.txt", b"old a\n"); // content that existed before: not new
    std::fs::remove_file(f.repo.join("c/d.txt")).unwrap();
    f.write("e.txt", b"new e\n");
    let b = f.commit("B");

    let repo = f.open();
    let range = repo.parse_range("HEAD~2..HEAD").unwrap();
    assert_eq!(range.exclude, [a]);
    assert_eq!(range.include, [b]);
    assert_eq!(
        repo.commits_in_range(&range.exclude, &range.include)
            .unwrap(),
        [mid, b]
    );

    let counters = Counters::default();
    let blobs = repo
        .blobs_in_range(&range.exclude, &range.include, &counters)
        .unwrap();
    let got: BTreeMap<ObjectId, (Vec<String>, ObjectId)> = blobs
        .iter()
        .map(|blob| (blob.id, (blob.paths.clone(), blob.commit_id)))
        .collect();
    let want: BTreeMap<ObjectId, (Vec<String>, ObjectId)> = [
        (f.blob_id(b"new a\n"), (vec!["a.txt".to_string()], mid)),
        (f.blob_id(b"new d\n"), (vec!["c/d.txt".to_string()], mid)),
        // Known content at a new path is still introduced at that path.
        (f.blob_id(b"old a\n"), (vec!["b.txt".to_string()], b)),
        (f.blob_id(b"new e\n"), (vec!["e.txt".to_string()], b)),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
    assert_eq!(blobs[0].commit.as_ref().unwrap().summary, "middle");

    // Reading them: exactly those blobs, once each.
    let ids: Vec<ObjectId> = blobs.iter().map(|b| b.id).collect();
    let seen = Mutex::new(Vec::new());
    let stats = repo.visit_blobs(&ids, &threads(), &counters, &|id, data| {
        seen.lock().unwrap().push((id, data.to_vec()))
    });
    assert_eq!(stats.scanned, 4);
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(
        seen.iter().map(|(id, _)| *id).collect::<BTreeSet<_>>(),
        got.keys().copied().collect()
    );
    assert!(seen.iter().any(|(_, data)| data == b"new e\n"));

    // `--since` and new-branch pushes use the same machinery.
    assert_eq!(repo.since("HEAD~1").unwrap().exclude, [mid]);
    let pushed = repo
        .blobs_in_range(&[mid], &[b], &Counters::default())
        .unwrap();
    assert_eq!(pushed.len(), 2);
    let everything = repo
        .blobs_in_range(&[], &[b], &Counters::default())
        .unwrap();
    // old a (at a.txt, and b.txt later), old b, new a, new d, new e.
    assert_eq!(everything.len(), 5, "{everything:?}");
    assert!(matches!(
        repo.parse_range("nope..HEAD"),
        Err(GitError::BadRevision { .. })
    ));
}

#[test]
fn commits_not_on_any_remote_for_a_new_branch_push() {
    let upstream = Fixture::new();
    upstream.write("shared.txt", b"shared\n");
    upstream.commit("upstream base");
    let f = Fixture::new();
    f.git(&["remote", "add", "origin", upstream.repo.to_str().unwrap()]);
    f.git(&["fetch", "-q", "origin"]);
    f.git(&["checkout", "-q", "-b", "new-branch", "origin/main"]);
    f.write("new.txt", b"not pushed anywhere yet\n");
    let tip = f.commit("new branch work");

    let repo = f.open();
    let remotes = repo.ref_tips(&["refs/remotes/"]).unwrap();
    assert_eq!(remotes, [upstream.id("HEAD")]);
    assert_eq!(repo.commits_in_range(&remotes, &[tip]).unwrap(), [tip]);
    // Zero ids (a ref the remote lacks) and unknown remote tips hide nothing.
    let unknown = oid("1234567890123456789012345678901234567890");
    let zero = oid("0000000000000000000000000000000000000000");
    assert_eq!(
        repo.commits_in_range(&[zero, unknown], &[tip])
            .unwrap()
            .len(),
        2
    );
    assert!(repo.commits_in_range(&[], &[zero]).unwrap().is_empty());
    let blobs = repo
        .blobs_in_range(&remotes, &[tip], &Counters::default())
        .unwrap();
    assert_eq!(blobs.len(), 1);
    assert_eq!(blobs[0].id, f.blob_id(b"not pushed anywhere yet\n"));
}

#[test]
fn staged_blobs_are_index_entries_that_differ_from_head() {
    let f = Fixture::new();
    f.write("same.txt", b"unchanged\n");
    f.write("edit.txt", b"before\n");
    f.commit("base");
    f.write("edit.txt", b"after, staged\n");
    f.write("dir/new.txt", b"brand new\n");
    f.git(&["add", "edit.txt", "dir/new.txt"]);
    f.write(
        "edit.txt",
        b"after, staged, then edited again but not staged\n",
    );
    f.write("untracked.txt", b"never added\n");

    let staged = f.open().staged_blobs().unwrap();
    let got: Vec<(String, ObjectId)> = staged.iter().map(|s| (s.path.clone(), s.id)).collect();
    assert_eq!(
        got,
        [
            ("dir/new.txt".to_string(), f.blob_id(b"brand new\n")),
            ("edit.txt".to_string(), f.blob_id(b"after, staged\n")),
        ]
    );
}

#[test]
fn staged_blobs_before_the_first_commit_are_all_entries() {
    let f = Fixture::new();
    f.write("first.txt", b"first\n");
    f.git(&["add", "first.txt"]);
    let staged = f.open().staged_blobs().unwrap();
    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].path, "first.txt");
}

#[test]
fn bare_repository_works() {
    let f = Fixture::new();
    f.write("a.txt", b"in a bare clone\n");
    let c1 = f.commit("one");
    let bare = f.root.join("bare.git");
    f.git(&[
        "clone",
        "-q",
        "--bare",
        f.repo.to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);

    let repo = git::open(&bare).unwrap();
    assert!(repo.workdir().is_none());
    let (visits, _, _) = scan_all(&repo, &threads());
    assert_eq!(visits.len(), 1);
    assert!(repo.staged_blobs().unwrap().is_empty());
    let blob = f.blob_id(b"in a bare clone\n");
    let a = &attribute(&repo, &[blob], None)[&blob];
    assert_eq!(a.commit.as_ref().unwrap().id, c1);
    assert!(a.in_head);
}

#[test]
fn corrupt_loose_object_is_skipped_and_counted() {
    let f = Fixture::new();
    f.write("good.txt", b"good\n");
    f.write("bad.txt", b"this object will be damaged\n");
    f.commit("one");
    let bad = f.blob_id(b"this object will be damaged\n");
    let path = f.loose_path(&f.repo.join(".git"), bad);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"garbage, not zlib at all").unwrap();

    let repo = f.open();
    let (visits, stats, counters) = scan_all(&repo, &threads());
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].1, b"good\n");
    assert_eq!(stats.corrupt, 1);
    assert_eq!(counters.skipped.len(), 1);
    assert_eq!(counters.skipped[0].path, bad.to_string());
    assert_eq!(counters.skipped[0].reason, SkipReason::Corrupt);

    // Reading it by id for a range scan is a counted skip too.
    let counters = Counters::default();
    let stats = repo.visit_blobs(&[bad], &threads(), &counters, &|_, _| {
        panic!("nothing readable")
    });
    assert_eq!(stats.corrupt, 1);
    assert_eq!(counters.finish(Duration::ZERO).skipped.len(), 1);
}

#[test]
fn corrupt_pack_entry_costs_only_that_object() {
    let f = Fixture::new();
    // Incompressible-ish, distinct contents so no entry is a delta of
    // another and each has a sizeable zlib stream to damage.
    let bodies: Vec<Vec<u8>> = (0..6u64)
        .map(|n| {
            let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            (0..2000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b'a' + (x % 26) as u8
                })
                .collect()
        })
        .collect();
    for (i, body) in bodies.iter().enumerate() {
        f.write(&format!("f{i}.txt"), body);
    }
    f.commit("blobs");
    f.git(&["repack", "-a", "-d", "-q"]);
    let victim = f.blob_id(&bodies[3]);
    f.damage_pack_entry(victim);

    let (visits, stats, counters) = scan_all(&f.open(), &threads());
    let visited: HashSet<ObjectId> = visits.iter().map(|(id, _)| *id).collect();
    assert_eq!(visited.len(), 5, "{stats:?} {:?}", counters.skipped);
    assert!(!visited.contains(&victim));
    for (id, data) in &visits {
        assert!(bodies.iter().any(|b| b == data), "{id} has wrong content");
    }
    assert_eq!(stats.corrupt, 1, "{:?}", counters.skipped);
    assert_eq!(counters.skipped[0].path, victim.to_string());
}

/// Damage at random places in a pack, and in its index: the scan never
/// panics, never visits a blob twice, and whatever it hands over is the
/// blob's real content (its id is the hash of what was visited).
#[test]
fn random_damage_to_a_pack_never_panics_or_yields_wrong_content() {
    let f = Fixture::new();
    history_of_versions(&f, 30);
    f.git(&["gc", "-q", "--aggressive"]);
    let idx = f.pack_index();
    let pack = idx.with_extension("pack");
    writable(&idx);
    writable(&pack);
    let (pristine_pack, pristine_idx) =
        (std::fs::read(&pack).unwrap(), std::fs::read(&idx).unwrap());
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for round in 0..120 {
        let (mut pack_bytes, mut idx_bytes) = (pristine_pack.clone(), pristine_idx.clone());
        // Mostly the pack's entries; every fourth round the index instead
        // (past its header and fan-out table, before its trailer).
        let (target, lo, hi) = if round % 4 == 3 {
            (&mut idx_bytes, 8 + 256 * 4, pristine_idx.len() - 40)
        } else {
            (&mut pack_bytes, 12, pristine_pack.len() - 20)
        };
        for _ in 0..1 + next(3) {
            let at = lo + next(hi - lo);
            target[at] ^= 1 << next(8);
        }
        std::fs::write(&pack, &pack_bytes).unwrap();
        std::fs::write(&idx, &idx_bytes).unwrap();
        let (visits, _, counters) = scan_all(&f.open(), &threads());
        // A damaged index can name a blob with a wrong id; then the
        // damage must have been reported.
        let index_reported = counters
            .skipped
            .iter()
            .any(|s| s.reason == SkipReason::Corrupt && s.path.ends_with(".idx"));
        let mut seen = HashSet::new();
        for (id, data) in &visits {
            assert!(seen.insert(*id), "round {round}: {id} visited twice");
            let hash = gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, data)
                .unwrap();
            assert!(
                hash == *id || index_reported,
                "round {round}: {id} visited with the content of {hash}"
            );
        }
        if round % 4 == 3 {
            assert!(index_reported, "round {round}: index damage not reported");
        }
    }
}

#[test]
fn skip_rules_apply_to_history_too() {
    let f = Fixture::new();
    f.write("text.txt", b"plain\n");
    f.write("image.bin", b"\x89PNG\r\n\x1a\n\0\0\0binary");
    f.write(
        "big.dat",
        b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    f.write("huge.txt", &b"x".repeat(5000));
    f.commit("mixed");

    let repo = f.open();
    let opts = HistoryOptions {
        max_blob_size: 4096,
        ..threads()
    };
    let (visits, stats, counters) = scan_all(&repo, &opts);
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].1, b"plain\n");
    assert_eq!(
        (stats.binary, stats.lfs_pointers, stats.too_large),
        (1, 1, 1)
    );
    assert_eq!(counters.skipped_count(SkipReason::TooLarge), 1);
    assert_eq!(counters.skipped_count(SkipReason::Binary), 1);
    assert_eq!(counters.skipped_count(SkipReason::LfsPointer), 1);

    let with_binary = HistoryOptions {
        binary: true,
        ..opts.clone()
    };
    let (visits, _, _) = scan_all(&repo, &with_binary);
    assert_eq!(visits.len(), 2);

    // The same rules when reading by id.
    let ids: Vec<ObjectId> = f.all_blobs(&f.repo).into_keys().collect();
    let counters = Counters::default();
    let stats = repo.visit_blobs(&ids, &opts, &counters, &|_, _| {});
    assert_eq!(
        (
            stats.scanned,
            stats.binary,
            stats.lfs_pointers,
            stats.too_large
        ),
        (1, 1, 1, 1)
    );
}

#[test]
fn packed_blobs_over_the_limit_are_skipped_but_still_serve_as_delta_bases() {
    let f = Fixture::new();
    // 6,000 bytes of text, over the limit; its trimmed next version is
    // under it, and `git gc` stores one as a delta of the other.
    let lines: Vec<String> = (0..300).map(|i| format!("line {i:04} of text\n")).collect();
    let big = lines.concat();
    let small = lines[..150].concat();
    f.write("file.txt", big.as_bytes());
    // Incompressible-ish and unlike anything else: a leaf with no deltas.
    let lone: String = (0..600u32)
        .map(|i| format!("{:08x}\n", i.wrapping_mul(2_654_435_761)))
        .collect();
    f.write("lone.txt", lone.as_bytes());
    f.commit("big");
    f.write("file.txt", small.as_bytes());
    f.commit("trimmed");
    f.git(&["gc", "-q", "--aggressive"]);
    assert_eq!(
        f.git(&["count-objects", "-v"]).lines().next(),
        Some("count: 0")
    );
    let (big_id, small_id) = (f.blob_id(big.as_bytes()), f.blob_id(small.as_bytes()));
    // The premise: one of the two versions is a delta of the other.
    let bases = f.git(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objectname) %(deltabase)",
    ]);
    assert!(
        bases.contains(&format!("{small_id} {big_id}"))
            || bases.contains(&format!("{big_id} {small_id}")),
        "git did not delta the two versions: {bases}"
    );

    let opts = HistoryOptions {
        max_blob_size: 4096,
        ..threads()
    };
    let (visits, stats, counters) = scan_all(&f.open(), &opts);
    assert_eq!(visits, vec![(small_id, small.into_bytes())]);
    assert_eq!((stats.too_large, stats.blobs, stats.scanned), (2, 3, 1));
    assert_eq!(counters.skipped_count(SkipReason::TooLarge), 2);
}

#[test]
fn attribution_over_a_long_history_splits_the_walk_without_changing_answers() {
    // Long enough that the tree comparisons run on several threads.
    const COMMITS: usize = 2400;
    let f = Fixture::new();
    let secret = b"the blob we look for\n";
    let mut stream = Vec::new();
    for c in 1..=COMMITS {
        let msg = format!("commit {c}");
        stream.extend_from_slice(b"commit refs/heads/main\n");
        stream.extend_from_slice(
            format!(
                "author A <a@example.com> {} +0000\ncommitter A <a@example.com> {} +0000\n",
                1_600_000_000 + c * 60,
                1_600_000_000 + c * 60
            )
            .as_bytes(),
        );
        stream.extend_from_slice(format!("data {}\n{msg}\n", msg.len()).as_bytes());
        let counter = format!("{c}\n");
        stream.extend_from_slice(
            format!(
                "M 100644 inline dir/counter.txt\ndata {}\n{counter}\n",
                counter.len()
            )
            .as_bytes(),
        );
        let put = |stream: &mut Vec<u8>, path: &str| {
            stream.extend_from_slice(
                format!("M 100644 inline {path}\ndata {}\n", secret.len()).as_bytes(),
            );
            stream.extend_from_slice(secret);
            stream.push(b'\n');
        };
        match c {
            500 => put(&mut stream, "a/one.txt"),
            1500 => stream.extend_from_slice(b"D a/one.txt\n"),
            1800 => put(&mut stream, "b/two.txt"),
            _ => {}
        }
        stream.push(b'\n');
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&f.repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());

    let id = f.blob_id(secret);
    let introduced = f.id(&format!("main~{}", COMMITS - 500));
    let a = &attribute(&f.open(), &[id], None)[&id];
    assert_eq!(a.commit.as_ref().map(|c| c.id), Some(introduced));
    assert_eq!(
        a.paths,
        vec!["a/one.txt".to_string(), "b/two.txt".to_string()]
    );
    // Commits 500..=1499 and 1800..=2400 carry it.
    assert_eq!(a.commits, 1000 + (COMMITS - 1800 + 1));
    assert!(a.reachable && a.in_head);
}

#[test]
fn attribution_is_unchanged_when_its_object_stores_are_reopened_after_every_read() {
    // Attribution reads through object stores of its own that it drops and
    // reopens as it goes, to unmap packs. Forced to reopen after every
    // commit and tree, the answers must be those of the default budget,
    // including for objects that only an alternate's pack holds.
    let f = Fixture::new();
    let secret = b"found in a reopened store\n";
    let mut introduced = None;
    for c in 0..30 {
        f.write("dir/deep/counter.txt", format!("{c}\n").as_bytes());
        match c {
            5 => f.write("a/one.txt", secret),
            15 => std::fs::remove_file(f.repo.join("a/one.txt")).unwrap(),
            20 => f.write("b/sub/two.txt", secret),
            _ => {}
        }
        let id = f.commit(&format!("commit {c}"));
        if c == 5 {
            introduced = Some(id);
        }
    }
    f.git(&["repack", "-adq"]);
    let clone = f.root.join("borrower");
    f.git(&[
        "clone",
        "-q",
        "--shared",
        f.repo.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    std::fs::create_dir_all(clone.join("c")).unwrap();
    std::fs::write(clone.join("c/three.txt"), secret).unwrap();
    f.git_in(&clone, &["add", "-A"]);
    f.git_in(&clone, &["commit", "-q", "-m", "own"]);

    let secret_id = f.blob_id(secret);
    let counters: Vec<ObjectId> = [0, 12, 29]
        .iter()
        .map(|c| f.blob_id(format!("{c}\n").as_bytes()))
        .collect();
    let mut ids = counters.clone();
    ids.push(secret_id);

    let normal = attribute(&git::open(&clone).unwrap(), &ids, None);
    let mut reopening = git::open(&clone).unwrap();
    reopening.set_store_budget(1, 1);
    let reopened = attribute(&reopening, &ids, None);
    assert_eq!(reopened, normal);

    let a = &reopened[&secret_id];
    assert_eq!(a.commit.as_ref().map(|c| c.id), introduced);
    assert_eq!(
        a.paths,
        vec![
            "a/one.txt".to_string(),
            "b/sub/two.txt".to_string(),
            "c/three.txt".to_string()
        ]
    );
    // Commits 5..=14 and 20..=29 of the original, and the clone's own.
    assert_eq!(a.commits, 10 + 10 + 1);
    assert!(a.reachable && a.in_head);
    let last = &reopened[&counters[2]];
    assert_eq!(last.paths, vec!["dir/deep/counter.txt".to_string()]);
    assert_eq!(last.commits, 2);
    assert!(last.in_head);
    assert_eq!(reopened[&counters[0]].commits, 1);
    assert!(!reopened[&counters[1]].in_head);
}

#[test]
fn empty_repository_has_nothing_and_fails_nothing() {
    let f = Fixture::new();
    let repo = f.open();
    let (visits, stats, counters) = scan_all(&repo, &threads());
    assert!(visits.is_empty());
    assert_eq!(stats, HistoryStats::default());
    assert!(counters.skipped.is_empty());
    let blob = f.blob_id(b"never written\n");
    let a = &attribute(&repo, &[blob], None)[&blob];
    assert!(!a.reachable);
    assert!(repo.staged_blobs().unwrap().is_empty());
    assert!(repo.ref_tips(&["refs/"]).unwrap().is_empty());
    assert!(matches!(
        repo.rev_parse("HEAD"),
        Err(GitError::BadRevision { .. })
    ));
}

#[test]
fn submodule_gitlinks_are_skipped() {
    let f = Fixture::new();
    f.write("a.txt", b"a\n");
    let first = f.commit("one");
    let gitlink = format!("160000,{first},vendor/sub");
    f.git(&["update-index", "--add", "--cacheinfo", &gitlink]);
    let with_link = f.commit("add a submodule");
    let blob = f.blob_id(b"a\n");

    let repo = f.open();
    let a = &attribute(&repo, &[blob], None)[&blob];
    assert_eq!(a.paths, ["a.txt"]);
    assert_eq!(a.commits, 2);
    let counters = Counters::default();
    let range = repo
        .blobs_in_range(&[first], &[with_link], &counters)
        .unwrap();
    assert!(range.is_empty(), "{range:?}");
    assert!(counters.finish(Duration::ZERO).skipped.is_empty());
    f.write("b.txt", b"b\n");
    f.git(&["add", "b.txt"]);
    let staged = repo.staged_blobs().unwrap();
    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].path, "b.txt");
}

#[test]
fn repo_handle_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Repo>();
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = git::open(tmp.path()).err().unwrap();
    assert!(matches!(err, GitError::NotARepository { .. }), "{err:?}");
    assert!(err.to_string().contains("not a git repository"), "{err}");
    let missing = tmp.path().join("missing");
    let err = git::open(&missing).err().unwrap();
    assert!(matches!(err, GitError::NotARepository { .. }), "{err:?}");
}

#[test]
fn shallow_clone_scans_and_attributes_what_it_has() {
    let f = Fixture::new();
    f.write("a.txt", b"old\n");
    f.commit("one");
    f.write("a.txt", b"middle\n");
    f.commit("two");
    f.write("a.txt", b"newest\n");
    f.write("b.txt", b"kept\n");
    let tip = f.commit("three");
    let clone = f.root.join("shallow");
    let url = format!("file://{}", f.repo.display());
    f.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);

    let repo = git::open(&clone).unwrap();
    assert!(repo.is_shallow());
    let (visits, _, counters) = scan_all(&repo, &threads());
    let visited: BTreeSet<ObjectId> = visits.iter().map(|(id, _)| *id).collect();
    assert_eq!(visited, f.all_blobs(&clone).into_keys().collect());
    assert_eq!(visited.len(), 2);
    assert!(counters.skipped.is_empty());

    let newest = f.blob_id(b"newest\n");
    let a = &attribute(&repo, &[newest], None)[&newest];
    assert_eq!(a.commit.as_ref().unwrap().id, tip);
    assert_eq!(a.commits, 1);
    assert!(a.in_head);

    // The boundary commit has no parents here: it introduces all it holds.
    let blobs = repo
        .blobs_in_range(&[], &[tip], &Counters::default())
        .unwrap();
    assert_eq!(blobs.len(), 2);
}

#[test]
fn alternates_are_enumerated() {
    let f = Fixture::new();
    f.write("shared.txt", b"lives in the alternate\n");
    f.commit("one");
    let clone = f.root.join("borrower");
    f.git(&[
        "clone",
        "-q",
        "--shared",
        f.repo.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    std::fs::write(clone.join("own.txt"), b"own object\n").unwrap();
    f.git_in(&clone, &["add", "own.txt"]);
    f.git_in(&clone, &["commit", "-q", "-m", "own"]);

    let repo = git::open(&clone).unwrap();
    let (visits, _, _) = scan_all(&repo, &threads());
    let got: BTreeSet<Vec<u8>> = visits.into_iter().map(|(_, data)| data).collect();
    assert_eq!(
        got,
        [
            b"lives in the alternate\n".to_vec(),
            b"own object\n".to_vec()
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn rev_parse_resolves_names_and_peels_tags() {
    let f = Fixture::new();
    f.write("a.txt", b"a\n");
    let c1 = f.commit("one");
    f.git(&["tag", "-a", "-m", "annotated", "v1"]);
    f.write("a.txt", b"b\n");
    let c2 = f.commit("two");
    let repo = f.open();
    assert_eq!(repo.rev_parse("HEAD").unwrap(), c2);
    assert_eq!(repo.rev_parse("main~1").unwrap(), c1);
    assert_eq!(repo.rev_parse("v1").unwrap(), c1);
    assert!(matches!(
        repo.rev_parse("HEAD:a.txt"),
        Err(GitError::BadRevision { .. })
    ));
}

/// Timing on a real repository, by hand:
/// `KEYHOUND_BENCH_REPO=/path cargo test --release --test git_source bench -- --ignored --nocapture`
#[test]
#[ignore = "benchmark; needs KEYHOUND_BENCH_REPO"]
fn bench_full_history() {
    let Some(path) = std::env::var_os("KEYHOUND_BENCH_REPO") else {
        return;
    };
    let repo = git::open(Path::new(&path)).unwrap();
    let opts = HistoryOptions {
        threads: std::env::var("KEYHOUND_BENCH_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0),
        ..HistoryOptions::default()
    };
    let lines = std::sync::atomic::AtomicU64::new(0);
    let sample = Mutex::new(Vec::new());
    let counters = Counters::default();
    let start = std::time::Instant::now();
    let stats = repo
        .for_each_blob(&opts, &counters, &|id, data| {
            let n = memchr_count(data);
            lines.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            if id.as_bytes()[0] == 0 && id.as_bytes()[1] < 8 {
                sample.lock().unwrap().push(id);
            }
        })
        .unwrap();
    eprintln!("for_each_blob: {:?} {stats:?}", start.elapsed());

    let wanted: HashSet<ObjectId> = sample.into_inner().unwrap().into_iter().collect();
    let start = std::time::Instant::now();
    let attr = repo.attribute(&wanted, None, &counters).unwrap();
    let reachable = attr.values().filter(|a| a.reachable).count();
    eprintln!(
        "attribute {} blobs ({reachable} reachable): {:?}",
        wanted.len(),
        start.elapsed()
    );

    let start = std::time::Instant::now();
    let range = repo.parse_range("HEAD~10..HEAD").unwrap();
    let blobs = repo
        .blobs_in_range(&range.exclude, &range.include, &counters)
        .unwrap();
    let ids: Vec<ObjectId> = blobs.iter().map(|b| b.id).collect();
    let read = repo.visit_blobs(&ids, &opts, &counters, &|_, _| {});
    eprintln!(
        "range of 10 commits: {} blobs, {} bytes, {:?}",
        blobs.len(),
        read.bytes,
        start.elapsed()
    );
}

fn memchr_count(data: &[u8]) -> u64 {
    data.iter().filter(|&&b| b == b'\n').count() as u64
}

/// `for_each_new_blob` with a `known` set: exactly the unknown blobs are
/// visited, with git's content even when they are deltas on known bases
/// (which must then be decoded, but not visited), and exactly they are
/// settled.
#[test]
fn incremental_enumeration_visits_only_unknown_blobs() {
    let f = Fixture::new();
    history_of_versions(&f, 60);
    f.git(&["gc", "-q", "--aggressive"]);
    let expected = blob_contents(&f);
    let (deltas, _) = pack_deltas(&f);
    assert!(deltas.len() > 40, "{} deltas", deltas.len());
    let repo = f.open();
    let run = |known: &(dyn Fn(&gix::oid) -> bool + Sync)| {
        let visits = Mutex::new(BTreeMap::new());
        let counters = Counters::default();
        let new = repo
            .for_each_new_blob(&threads(), known, &counters, &|id, data, _| {
                assert!(visits.lock().unwrap().insert(id, data.to_vec()).is_none());
                None
            })
            .unwrap();
        let mut settled = new.settled.clone();
        settled.sort();
        (visits.into_inner().unwrap(), new.stats, settled)
    };

    // Nothing known: every blob, all settled.
    let (visits, stats, settled) = run(&|_| false);
    assert_eq!(visits, expected);
    assert_eq!(stats.known, 0);
    assert_eq!(settled, expected.keys().copied().collect::<Vec<_>>());

    // Everything known: nothing visited, nothing settled.
    let all: HashSet<ObjectId> = expected.keys().copied().collect();
    let (visits, stats, settled) = run(&|id| all.contains(id));
    assert!(visits.is_empty());
    assert_eq!(stats.known as usize, expected.len());
    assert_eq!(stats.scanned, 0);
    assert!(settled.is_empty());

    // Some deltas deep in chains unknown: only they, with git's content.
    let unknown: BTreeSet<ObjectId> = deltas.iter().step_by(7).map(|(id, _)| *id).collect();
    let (visits, stats, settled) = run(&|id| !unknown.contains(&id.to_owned()));
    assert_eq!(visits.keys().copied().collect::<BTreeSet<_>>(), unknown);
    for (id, content) in &visits {
        assert_eq!(Some(content), expected.get(id), "content of {id}");
    }
    assert_eq!(stats.scanned as usize, unknown.len());
    assert_eq!(stats.known as usize, expected.len() - unknown.len());
    assert_eq!(settled, unknown.into_iter().collect::<Vec<_>>());
}

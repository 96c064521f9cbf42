//! Enumerating the object database: every unique blob, once, in parallel.
//!
//! Packs are decoded by [`packed`]: each blob delta chain is resolved once,
//! on our worker threads, and each decoded blob goes straight to the
//! visitor, so there is no queue and no copy between decoding and
//! scanning; trees and commits are never inflated. The pack's mapped
//! pages are handed back to the kernel as decoding moves on, so resident
//! memory does not grow to the pack's size. Decoding works one pack at a
//! time and knows nothing of loose objects, so a concurrent set of blob
//! ids makes sure each blob is visited once however many packs (or loose
//! files) hold it.
//!
//! Failure is local: a pack that cannot be opened is recorded and skipped;
//! a damaged pack entry costs that entry and the deltas built on it; a
//! corrupt loose object is recorded and skipped.

mod delta;
mod lineage;
mod packed;

pub use lineage::{DeltaVisitor, Derivation, Kept, Lineage};

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use gix::odb::pack;
use gix::prelude::{Find, Header};
use gix::ObjectId;

use super::{describe, GitError, Repo};
use crate::finding::{GitOrigin, Origin};
use crate::source::expand::is_binary;
use crate::source::stream::{self, Chunking, Piece};
use crate::stats::{Counters, SkipReason};

/// How much of a blob's start is searched for a NUL byte.
const BINARY_PROBE: usize = 8 * 1024;

/// Git LFS pointer files start with one of these; their content lives
/// elsewhere and the pointer itself holds no secret. (`hawser` is the
/// pre-1.0 name of the spec.)
const LFS_PREFIXES: [&[u8]; 2] = [
    b"version https://git-lfs.github.com/spec/",
    b"version https://hawser.github.com/spec/",
];

/// Pointer files are tiny; the spec caps them below 1024 bytes.
const LFS_MAX_POINTER: usize = 1024;

/// `keyhound git` settings for reading blobs.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// Blobs larger than this are skipped (`--max-file-size`).
    pub max_blob_size: u64,
    /// Blobs larger than this are not built in memory. One that can be
    /// inflated front to back (stored whole in a pack, or loose) is
    /// streamed in pieces instead, when the caller takes pieces
    /// ([`Repo::for_each_blob_streamed`]); one that must be built (a delta,
    /// or the base deltas are built on) is skipped as too large.
    pub in_memory_limit: u64,
    /// How streamed blobs are cut into pieces.
    pub chunking: Chunking,
    /// Scan blobs with NUL bytes too (`--binary`).
    pub binary: bool,
    /// Worker threads; 0 picks the number of CPUs.
    pub threads: usize,
}

/// Blobs up to this size are built in memory (see
/// [`HistoryOptions::in_memory_limit`]).
pub const IN_MEMORY_LIMIT: u64 = 64 * 1024 * 1024;

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            max_blob_size: u64::MAX,
            in_memory_limit: IN_MEMORY_LIMIT,
            chunking: Chunking::default(),
            binary: false,
            threads: 0,
        }
    }
}

/// What a history scan calls with each piece of a streamed blob.
pub type PieceVisitor<'a> = dyn Fn(ObjectId, Piece<'_>) + Sync + 'a;

/// The origin a blob is reported under until attribution has found its
/// commit and paths.
pub fn blob_origin(id: ObjectId) -> Origin {
    Origin::Git(Box::new(GitOrigin {
        blob: id.to_string(),
        commit: None,
        paths: Vec::new(),
        author: None,
        email: None,
        date: None,
        summary: None,
        reachable: false,
        in_head: None,
        commits: None,
    }))
}

/// What one enumeration saw. Every unique blob ends up in exactly one of
/// `scanned`, `too_large`, `binary`, `lfs_pointers`; `corrupt` counts
/// objects of any kind that could not be decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryStats {
    /// Pack files traversed (including those of alternates).
    pub packs: u64,
    /// Loose object files found.
    pub loose_objects: u64,
    /// Objects found, of every kind, counting each copy (pack entries and
    /// loose files; only blobs are decoded in full).
    pub objects: u64,
    /// Unique blobs.
    pub blobs: u64,
    /// Further copies of blobs already seen (in another pack, or loose too).
    pub duplicate_blobs: u64,
    /// Blobs handed to the visitor.
    pub scanned: u64,
    /// Their total size.
    pub bytes: u64,
    /// Blobs over [`HistoryOptions::max_blob_size`].
    pub too_large: u64,
    /// Blobs with a NUL byte in their first 8 KiB.
    pub binary: u64,
    /// Git LFS pointer files.
    pub lfs_pointers: u64,
    /// Objects that could not be read or decoded, or were requested but
    /// missing.
    pub corrupt: u64,
    /// Blobs left out because the caller knew them already
    /// ([`Repo::for_each_new_blob`]); 0 for full scans.
    pub known: u64,
}

/// Which blobs an incremental scan leaves out: `true` for an id the caller
/// has settled before under the same settings (scanned, or skipped by the
/// same size and binary rules).
pub type Known<'a> = &'a (dyn Fn(&gix::oid) -> bool + Sync);

/// What [`Repo::for_each_new_blob`] did.
#[derive(Debug, Clone, Default)]
pub struct NewBlobs {
    pub stats: HistoryStats,
    /// Every blob settled this time: scanned, or skipped as too large,
    /// binary or an LFS pointer (settings the caller's digest covers).
    /// Corrupt ones are not settled: the next scan tries them again.
    /// In no particular order.
    pub settled: Vec<ObjectId>,
}

impl Repo {
    /// Hands every unique blob in the object database to `visit`, exactly
    /// once, from several threads at a time. Covers every pack (also of
    /// alternates) and every loose object, reachable or not.
    ///
    /// Skipped blobs (too large, binary, LFS pointer) and corrupt objects
    /// are recorded in `counters` under the object id and counted in the
    /// returned stats; scanned blobs go to `counters.scanned`. Only a
    /// missing or unlistable object directory is an error.
    pub fn for_each_blob(
        &self,
        opts: &HistoryOptions,
        counters: &Counters,
        visit: &(dyn Fn(ObjectId, &[u8]) + Sync),
    ) -> Result<HistoryStats, GitError> {
        self.for_each_blob_derived(opts, counters, &|id, data, _| {
            visit(id, data);
            None
        })
    }

    /// [`Repo::for_each_blob`] for a visitor that reuses work on delta
    /// bases: a blob with deltas built on it in the same pack is visited
    /// before them, and what the visitor returns for it is handed back with
    /// each of them, together with how the delta's bytes are made of the
    /// base's ([`Lineage`]).
    pub fn for_each_blob_derived(
        &self,
        opts: &HistoryOptions,
        counters: &Counters,
        visit: &DeltaVisitor<'_>,
    ) -> Result<HistoryStats, GitError> {
        self.enumerate(opts, None, counters, visit, None)
            .map(|new| new.stats)
    }

    /// [`Repo::for_each_blob_derived`], with blobs over
    /// [`HistoryOptions::in_memory_limit`] that can be inflated front to
    /// back streamed to `pieces` in overlapping pieces
    /// ([`stream`](crate::source::stream)) instead of skipped.
    pub fn for_each_blob_streamed(
        &self,
        opts: &HistoryOptions,
        counters: &Counters,
        visit: &DeltaVisitor<'_>,
        pieces: &PieceVisitor<'_>,
    ) -> Result<HistoryStats, GitError> {
        self.enumerate(opts, None, counters, visit, Some(pieces))
            .map(|new| new.stats)
    }

    /// [`Repo::for_each_blob_derived`] for incremental scans: blobs that
    /// `known` names are neither visited nor, where no unknown delta needs
    /// them as a base, even decoded (a repository whose blobs are all known
    /// costs its pack headers only); and the blobs settled this time are
    /// returned, for the caller to add to what it knows.
    pub fn for_each_new_blob(
        &self,
        opts: &HistoryOptions,
        known: Known<'_>,
        counters: &Counters,
        visit: &DeltaVisitor<'_>,
    ) -> Result<NewBlobs, GitError> {
        self.enumerate(opts, Some(known), counters, visit, None)
    }

    fn enumerate(
        &self,
        opts: &HistoryOptions,
        known: Option<Known<'_>>,
        counters: &Counters,
        visit: &DeltaVisitor<'_>,
        pieces: Option<&PieceVisitor<'_>>,
    ) -> Result<NewBlobs, GitError> {
        let repo = self.repo.to_thread_local();
        let store = repo.objects.store_ref();
        let hash = store.object_hash();
        let mut dirs = vec![store.path().to_path_buf()];
        dirs.extend(
            store
                .alternate_db_paths()
                .map_err(|e| GitError::repo("cannot read alternates", &e))?,
        );
        let threads = thread_count(opts.threads);
        let tally = Tally {
            record: known.is_some(),
            ..Tally::default()
        };
        let scanner = Scanner {
            opts,
            counters,
            visit,
            pieces,
            seen: &SeenSet::default(),
            tally: &tally,
            known,
        };
        // Packs first: the fast path covers nearly everything, and a loose
        // copy of a packed blob is then dropped without being read.
        for dir in &dirs {
            for idx in pack_indices(dir)? {
                scanner.pack(&idx, hash, threads);
            }
        }
        for dir in &dirs {
            scanner.loose(dir, hash, threads);
        }
        Ok(tally.into_new_blobs())
    }

    /// Reads the given blobs with per-object lookups (a pack cache keeps
    /// delta chains cheap) and hands each readable one to `visit`, with the
    /// same skip rules and counting as [`Repo::for_each_blob`]. Meant for
    /// the few blobs of a range or the index, not for whole histories.
    /// Duplicate ids are visited once; ids that are not blobs are ignored.
    pub fn visit_blobs(
        &self,
        ids: &[ObjectId],
        opts: &HistoryOptions,
        counters: &Counters,
        visit: &(dyn Fn(ObjectId, &[u8]) + Sync),
    ) -> HistoryStats {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let tally = Tally::default();
        let scanner = Scanner {
            opts,
            counters,
            visit: &|id, data, _| {
                visit(id, data);
                None
            },
            pieces: None,
            seen: &SeenSet::default(),
            tally: &tally,
            known: None,
        };
        in_parallel(ids.len(), thread_count(opts.threads), &|claim| {
            let repo = self.local();
            let mut local = LocalTally::new(&tally);
            let mut buf = Vec::new();
            while let Some(range) = claim() {
                for id in &ids[range] {
                    scanner.by_lookup(&repo, *id, &mut buf, &mut local);
                }
            }
        });
        tally.into_new_blobs().stats
    }
}

/// `*.idx` files in `objects/pack` that have their `.pack`, sorted. A
/// missing `pack` directory is an empty list (a fresh repository).
fn pack_indices(objects_dir: &Path) -> Result<Vec<PathBuf>, GitError> {
    let pack_dir = objects_dir.join("pack");
    let entries = match std::fs::read_dir(&pack_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(GitError::repo(
                format!("cannot list {}", pack_dir.display()),
                &e,
            ))
        }
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "idx")
                && path.with_extension("pack").is_file()
        })
        .collect();
    out.sort();
    Ok(out)
}

/// `0` means one thread per CPU.
pub(crate) fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Hands out the next range of indices to work on, `None` when done.
pub(crate) type Claim<'a> = &'a dyn Fn() -> Option<Range<usize>>;

/// Runs `work` on up to `threads` scoped threads. Each call of `work` is one
/// thread: it claims index ranges of `0..len` until none are left, so
/// per-thread state (buffers, handles) is set up once per thread.
pub(crate) fn in_parallel(len: usize, threads: usize, work: &(dyn Fn(Claim<'_>) + Sync)) {
    if len == 0 {
        return;
    }
    let chunk = (len / (threads.max(1) * 8)).clamp(1, 512);
    let next = AtomicUsize::new(0);
    let claim = || {
        let start = next.fetch_add(chunk, Ordering::Relaxed);
        (start < len).then(|| start..(start + chunk).min(len))
    };
    let threads = threads.clamp(1, len.div_ceil(chunk));
    if threads == 1 {
        work(&claim);
        return;
    }
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| work(&claim));
        }
    });
}

/// Blob ids seen so far, sharded by the id's first byte so that threads
/// rarely contend for the same lock. Ids are uniformly distributed, and
/// each lock is held only for one hash-set insert.
struct SeenSet {
    shards: Vec<Mutex<gix::hashtable::HashSet<ObjectId>>>,
}

const SHARDS: usize = 64;

impl Default for SeenSet {
    fn default() -> Self {
        SeenSet {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl SeenSet {
    fn shard(&self, id: &gix::oid) -> std::sync::MutexGuard<'_, gix::hashtable::HashSet<ObjectId>> {
        let shard = &self.shards[id.as_bytes()[0] as usize % SHARDS];
        // A poisoned shard only means a visitor panicked while another
        // thread held it; the set itself is intact.
        shard.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `true` if `id` was not in the set before.
    fn insert(&self, id: ObjectId) -> bool {
        self.shard(&id).insert(id)
    }

    fn contains(&self, id: &gix::oid) -> bool {
        self.shard(id).contains(id)
    }

    /// Makes room for about `more` further ids, so a pack's worth of
    /// inserts does not rehash each shard again and again on the way.
    fn reserve(&self, more: usize) {
        for shard in &self.shards {
            shard
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .reserve(more / SHARDS + 1);
        }
    }
}

/// Shared totals, updated once per thread rather than once per object.
#[derive(Default)]
struct Tally {
    packs: AtomicU64,
    loose_objects: AtomicU64,
    objects: AtomicU64,
    blobs: AtomicU64,
    duplicate_blobs: AtomicU64,
    scanned: AtomicU64,
    bytes: AtomicU64,
    too_large: AtomicU64,
    binary: AtomicU64,
    lfs_pointers: AtomicU64,
    corrupt: AtomicU64,
    known: AtomicU64,
    /// Whether settled blob ids are collected ([`NewBlobs::settled`]).
    record: bool,
    settled: Mutex<Vec<ObjectId>>,
}

impl Tally {
    fn into_new_blobs(self) -> NewBlobs {
        let stats = HistoryStats {
            packs: self.packs.into_inner(),
            loose_objects: self.loose_objects.into_inner(),
            objects: self.objects.into_inner(),
            blobs: self.blobs.into_inner(),
            duplicate_blobs: self.duplicate_blobs.into_inner(),
            scanned: self.scanned.into_inner(),
            bytes: self.bytes.into_inner(),
            too_large: self.too_large.into_inner(),
            binary: self.binary.into_inner(),
            lfs_pointers: self.lfs_pointers.into_inner(),
            corrupt: self.corrupt.into_inner(),
            known: self.known.into_inner(),
        };
        NewBlobs {
            stats,
            settled: self.settled.into_inner().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

/// A thread's own counts, added to the shared [`Tally`] when dropped. gix
/// clones the pack processor once per worker thread; each clone starts at
/// zero, so nothing is counted twice.
struct LocalTally<'a> {
    shared: &'a Tally,
    counts: HistoryStats,
    /// Settled blob ids not yet handed to the shared list.
    settled: Vec<ObjectId>,
}

impl<'a> LocalTally<'a> {
    fn new(shared: &'a Tally) -> Self {
        LocalTally {
            shared,
            counts: HistoryStats::default(),
            settled: Vec::new(),
        }
    }

    /// Records `id` as settled when the caller asked for the list.
    fn settle(&mut self, id: ObjectId) {
        if self.shared.record {
            self.settled.push(id);
            if self.settled.len() >= 4096 {
                self.flush_settled();
            }
        }
    }

    fn flush_settled(&mut self) {
        if !self.settled.is_empty() {
            self.shared
                .settled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .append(&mut self.settled);
        }
    }
}

impl Clone for LocalTally<'_> {
    fn clone(&self) -> Self {
        LocalTally::new(self.shared)
    }
}

impl Drop for LocalTally<'_> {
    fn drop(&mut self) {
        self.flush_settled();
        let c = &self.counts;
        let s = self.shared;
        for (from, to) in [
            (c.packs, &s.packs),
            (c.loose_objects, &s.loose_objects),
            (c.objects, &s.objects),
            (c.blobs, &s.blobs),
            (c.duplicate_blobs, &s.duplicate_blobs),
            (c.scanned, &s.scanned),
            (c.bytes, &s.bytes),
            (c.too_large, &s.too_large),
            (c.binary, &s.binary),
            (c.lfs_pointers, &s.lfs_pointers),
            (c.corrupt, &s.corrupt),
            (c.known, &s.known),
        ] {
            if from > 0 {
                to.fetch_add(from, Ordering::Relaxed);
            }
        }
    }
}

/// Pack bytes decoded between two calls of [`release_mapped_pages`].
const RELEASE_EVERY: u64 = 128 * 1024 * 1024;

/// Takes the pack's pages out of this process's address space; they stay
/// in the page cache, and a page still needed is mapped again on its next
/// access (a minor fault, no I/O while the cache holds it).
///
/// gix maps a whole pack and a full-history scan reads all of it, so
/// without this the resident size grows to the pack's size: 0.96 GB for
/// a 1.3M-object pack whose scan needs 75 MB of heap. Releasing every
/// [`RELEASE_EVERY`] bytes bounds the mapped part to about that much per
/// pack, at the cost of re-faulting the few pages a delta chain still
/// reads after a release.
#[cfg(target_os = "linux")]
fn release_mapped_pages(pack: &pack::data::File<pack::MMap>) {
    let Some(mapped) = pack.entry_slice(0..pack.data_len() as u64) else {
        return;
    };
    // SAFETY: `pack::data::File<MMap>` is a read-only private mapping of
    // the pack file (gix maps it with `map_copy_read_only`; `PROT_READ`,
    // so no page was ever copied on write). MADV_DONTNEED on such a
    // mapping only drops page-table entries: the next read of any byte
    // faults the same file content back in, so the slices other threads
    // hold keep reading exactly what they read before. The range is the
    // whole mapping, from its page-aligned start; an unaligned pointer
    // (not a mapping) is left alone.
    let start = mapped.as_ptr();
    let page = 4096;
    if mapped.is_empty() || start as usize % page != 0 {
        return;
    }
    unsafe {
        libc::madvise(
            start as *mut libc::c_void,
            mapped.len(),
            libc::MADV_DONTNEED,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn release_mapped_pages(_: &pack::data::File<pack::MMap>) {}

/// Why a blob is not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Scan,
    TooLarge,
    Binary,
    LfsPointer,
}

/// The skip rules, on a blob's full content.
pub(crate) fn classify(data: &[u8], opts: &HistoryOptions) -> Verdict {
    if data.len() as u64 > opts.max_blob_size {
        Verdict::TooLarge
    } else if data.len() < LFS_MAX_POINTER && LFS_PREFIXES.iter().any(|p| data.starts_with(p)) {
        Verdict::LfsPointer
    } else if !opts.binary && memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some() {
        Verdict::Binary
    } else {
        Verdict::Scan
    }
}

/// Everything the per-object path needs, shared by reference across
/// threads.
struct Scanner<'a> {
    opts: &'a HistoryOptions,
    counters: &'a Counters,
    visit: &'a DeltaVisitor<'a>,
    /// Takes streamed blobs; without it, blobs too large to build are
    /// skipped.
    pieces: Option<&'a PieceVisitor<'a>>,
    seen: &'a SeenSet,
    tally: &'a Tally,
    /// Incremental scans: blobs to leave out.
    known: Option<Known<'a>>,
}

impl Scanner<'_> {
    /// A decoded blob from anywhere: dropped if seen before, else scanned
    /// or skipped. Returns what the visitor kept for the blob's deltas
    /// (nothing for a skipped or duplicate blob: its deltas are then
    /// visited without a base).
    fn blob(
        &self,
        id: ObjectId,
        data: &[u8],
        lineage: Lineage<'_>,
        local: &mut LocalTally<'_>,
    ) -> Option<Kept> {
        if !self.seen.insert(id) {
            local.counts.duplicate_blobs += 1;
            return None;
        }
        local.counts.blobs += 1;
        if self.is_known(&id) {
            // Decoded only as the base of an unknown delta.
            local.counts.known += 1;
            return None;
        }
        local.settle(id);
        match classify(data, self.opts) {
            Verdict::Scan => {
                local.counts.scanned += 1;
                local.counts.bytes += data.len() as u64;
                self.counters.scanned(data.len());
                return (self.visit)(id, data, lineage);
            }
            Verdict::TooLarge => self.too_large(id, data.len() as u64, local),
            Verdict::Binary => {
                local.counts.binary += 1;
                self.counters.skip(
                    id.to_string(),
                    SkipReason::Binary,
                    "binary blob (NUL byte in the first 8 KiB)",
                );
            }
            Verdict::LfsPointer => {
                local.counts.lfs_pointers += 1;
                self.counters.skip(
                    id.to_string(),
                    SkipReason::LfsPointer,
                    "Git LFS pointer (the content is not in the repository)",
                );
            }
        }
        None
    }

    /// A blob its header says is over the size limit, not read: counted
    /// once like any blob, then skipped.
    fn oversized(&self, id: ObjectId, size: u64, local: &mut LocalTally<'_>) {
        if !self.seen.insert(id) {
            local.counts.duplicate_blobs += 1;
        } else if self.is_known(&id) {
            local.counts.blobs += 1;
            local.counts.known += 1;
        } else {
            local.counts.blobs += 1;
            local.settle(id);
            self.too_large(id, size, local);
        }
    }

    /// A known blob that is not even decoded: counted once like any blob.
    fn left_out(&self, id: ObjectId, local: &mut LocalTally<'_>) {
        if self.seen.insert(id) {
            local.counts.blobs += 1;
            local.counts.known += 1;
        } else {
            local.counts.duplicate_blobs += 1;
        }
    }

    fn is_known(&self, id: &gix::oid) -> bool {
        self.known.is_some_and(|known| known(id))
    }

    fn too_large(&self, id: ObjectId, size: u64, local: &mut LocalTally<'_>) {
        local.counts.too_large += 1;
        let message = if size > self.opts.max_blob_size {
            format!(
                "blob of {size} bytes is over the size limit of {} bytes",
                self.opts.max_blob_size
            )
        } else {
            format!(
                "blob of {size} bytes would have to be built in memory (a delta, or a delta's \
                 base), over the limit of {} bytes for that",
                self.opts.in_memory_limit
            )
        };
        self.counters
            .skip(id.to_string(), SkipReason::TooLarge, message);
    }

    /// Whether a blob of `size` bytes that can be read front to back is
    /// streamed: over the in-memory limit, within the size limit, and
    /// the caller takes pieces.
    fn streams(&self, size: u64) -> bool {
        size > self.opts.in_memory_limit && size <= self.opts.max_blob_size && self.pieces.is_some()
    }

    /// A blob inflated front to back, too large to hold: dropped if seen
    /// before, else streamed to the piece visitor (binary ones skipped by
    /// their first piece). A blob whose data ends early or inflates to
    /// another size than its header's is scanned as far as it goes and
    /// reported corrupt.
    fn stream_blob(
        &self,
        id: ObjectId,
        size: u64,
        reader: &mut dyn std::io::Read,
        local: &mut LocalTally<'_>,
    ) {
        let Some(pieces) = self.pieces else {
            return self.oversized(id, size, local);
        };
        if !self.seen.insert(id) {
            local.counts.duplicate_blobs += 1;
            return;
        }
        local.counts.blobs += 1;
        let origin = blob_origin(id);
        let started = std::time::Instant::now();
        let mut binary = false;
        // LFS pointers are under 1 KiB: a streamed blob is never one.
        let probe = |first: &[u8]| {
            binary = !self.opts.binary && is_binary(first);
            !binary
        };
        let result = stream::stream(reader, &origin, self.opts.chunking, probe, &mut |p| {
            pieces(id, p)
        });
        match result {
            Ok(_) if binary => {
                local.counts.binary += 1;
                self.counters.skip(
                    id.to_string(),
                    SkipReason::Binary,
                    "binary blob (NUL byte in the first 8 KiB)",
                );
            }
            Ok(done) => {
                local.counts.scanned += 1;
                local.counts.bytes += done.bytes;
                self.counters.scanned(done.bytes as usize);
                self.counters
                    .large(id.to_string(), done.bytes, started.elapsed());
                let damage = match done.error {
                    Some(e) => Some(format!("cannot be inflated past byte {}: {e}", done.bytes)),
                    None if done.bytes != size => Some(format!(
                        "inflates to {} bytes where its header says {size}",
                        done.bytes
                    )),
                    None => None,
                };
                if let Some(damage) = damage {
                    self.corrupt(
                        id.to_string(),
                        format!("blob {damage} (scanned as far as it went)"),
                        local,
                    );
                }
            }
            Err(e) => self.corrupt(
                id.to_string(),
                format!("blob cannot be inflated: {e}"),
                local,
            ),
        }
    }

    fn corrupt(&self, what: String, message: String, local: &mut LocalTally<'_>) {
        local.counts.corrupt += 1;
        self.counters.skip(what, SkipReason::Corrupt, message);
    }

    /// One pack: its blob delta chains, decoded in parallel (see
    /// [`packed`]).
    fn pack(&self, idx: &Path, hash: gix::hash::Kind, threads: usize) {
        let mut local = LocalTally::new(self.tally);
        match pack::Bundle::at(idx, hash) {
            Ok(bundle) => {
                local.counts.packs += 1;
                self.pack_blobs(&bundle, threads, &mut local);
            }
            Err(e) => self.corrupt(
                idx.display().to_string(),
                format!(
                    "pack cannot be opened, its objects are not scanned: {}",
                    describe(&e)
                ),
                &mut local,
            ),
        }
    }

    /// Every loose object under `objects_dir`, read in parallel.
    fn loose(&self, objects_dir: &Path, hash: gix::hash::Kind, threads: usize) {
        let store = gix::odb::loose::Store::at(objects_dir, hash);
        let mut local = LocalTally::new(self.tally);
        let mut ids = Vec::new();
        for id in store.iter() {
            match id {
                Ok(id) => ids.push(id),
                Err(e) => self.corrupt(
                    objects_dir.display().to_string(),
                    format!("cannot list loose objects: {}", describe(&e)),
                    &mut local,
                ),
            }
        }
        local.counts.loose_objects += ids.len() as u64;
        in_parallel(ids.len(), threads, &|claim| {
            let mut local = LocalTally::new(self.tally);
            let mut buf = Vec::new();
            while let Some(range) = claim() {
                for id in &ids[range] {
                    self.loose_object(&store, *id, &mut buf, &mut local);
                }
            }
        });
    }

    fn loose_object(
        &self,
        store: &gix::odb::loose::Store,
        id: ObjectId,
        buf: &mut Vec<u8>,
        local: &mut LocalTally<'_>,
    ) {
        if self.seen.contains(&id) {
            local.counts.duplicate_blobs += 1;
            return;
        }
        if self.is_known(&id) {
            // Known ids are blob ids: no need to read the header.
            local.counts.objects += 1;
            self.left_out(id, local);
            return;
        }
        let (size, kind) = match store.try_header(&id) {
            Ok(Some(header)) => header,
            Ok(None) => return, // removed since listing (a concurrent gc)
            Err(e) => {
                self.corrupt(
                    id.to_string(),
                    format!("corrupt loose object: {}", describe(&e)),
                    local,
                );
                return;
            }
        };
        local.counts.objects += 1;
        if kind != gix::object::Kind::Blob {
            return;
        }
        if self.streams(size) {
            return self.stream_loose(store, id, size, local);
        }
        if size > self.opts.max_blob_size.min(self.opts.in_memory_limit) {
            self.oversized(id, size, local);
            return;
        }
        match store.try_find(&id, buf) {
            Ok(Some(object)) => {
                self.blob(id, object.data, Lineage::ALONE, local);
            }
            Ok(None) => {}
            Err(e) => self.corrupt(
                id.to_string(),
                format!("corrupt loose object: {}", describe(&e)),
                local,
            ),
        }
    }

    /// A large loose blob: its file inflated as it is read, past the
    /// `blob <size>\0` header.
    fn stream_loose(
        &self,
        store: &gix::odb::loose::Store,
        id: ObjectId,
        size: u64,
        local: &mut LocalTally<'_>,
    ) {
        let hex = id.to_hex().to_string();
        let path = store.path().join(&hex[..2]).join(&hex[2..]);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                return self.corrupt(hex, format!("loose object cannot be read: {e}"), local);
            }
        };
        let mut inflate = flate2::read::ZlibDecoder::new(std::io::BufReader::new(file));
        // The header is a few dozen bytes; read it a byte at a time.
        let mut header = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            match std::io::Read::read(&mut inflate, &mut byte) {
                Ok(1) if byte[0] == 0 => break,
                Ok(1) if header.len() < 64 => header.push(byte[0]),
                Ok(_) => {
                    return self.corrupt(hex, "loose object has no valid header".into(), local);
                }
                Err(e) => {
                    return self.corrupt(hex, format!("corrupt loose object: {e}"), local);
                }
            }
        }
        self.stream_blob(id, size, &mut inflate, local);
    }

    /// One blob through the repository's object handle (any pack or loose
    /// file, alternates included).
    fn by_lookup(
        &self,
        repo: &gix::Repository,
        id: ObjectId,
        buf: &mut Vec<u8>,
        local: &mut LocalTally<'_>,
    ) {
        let missing = |local: &mut LocalTally<'_>, message: String| {
            self.corrupt(id.to_string(), message, local)
        };
        let header = match repo.objects.try_header(&id) {
            Ok(Some(header)) => header,
            Ok(None) => return missing(local, "object is missing from the repository".into()),
            Err(e) => return missing(local, format!("corrupt object: {}", describe(&e))),
        };
        local.counts.objects += 1;
        if header.kind() != gix::object::Kind::Blob {
            return;
        }
        // Looked-up blobs are built whole (ranges and the index hold few).
        if header.size() > self.opts.max_blob_size.min(self.opts.in_memory_limit) {
            self.oversized(id, header.size(), local);
            return;
        }
        match repo.objects.try_find(&id, buf) {
            Ok(Some(object)) => {
                self.blob(id, object.data, Lineage::ALONE, local);
            }
            Ok(None) => missing(local, "object is missing from the repository".into()),
            Err(e) => missing(local, format!("corrupt object: {}", describe(&e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_applies_the_skip_rules_in_order() {
        let opts = HistoryOptions {
            max_blob_size: 200,
            ..HistoryOptions::default()
        };
        assert_eq!(classify(b"plain text", &opts), Verdict::Scan);
        assert_eq!(classify(b"a\0b", &opts), Verdict::Binary);
        assert_eq!(classify(&[b'x'; 201], &opts), Verdict::TooLarge);
        let lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        assert_eq!(classify(lfs, &opts), Verdict::LfsPointer);
        let binary_ok = HistoryOptions {
            binary: true,
            ..opts.clone()
        };
        assert_eq!(classify(b"a\0b", &binary_ok), Verdict::Scan);
        // NUL beyond the probe window is not binary.
        let mut late_nul = vec![b'a'; BINARY_PROBE + 10];
        late_nul[BINARY_PROBE + 5] = 0;
        let big = HistoryOptions {
            max_blob_size: u64::MAX,
            ..opts
        };
        assert_eq!(classify(&late_nul, &big), Verdict::Scan);
    }

    #[test]
    fn in_parallel_covers_every_index_once() {
        for (len, threads) in [(0, 4), (1, 4), (7, 1), (1000, 3), (5000, 2)] {
            let hits: Vec<AtomicUsize> = (0..len).map(|_| AtomicUsize::new(0)).collect();
            in_parallel(len, threads, &|claim| {
                while let Some(range) = claim() {
                    for i in range {
                        hits[i].fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                "len {len}"
            );
        }
    }

    #[test]
    fn released_pack_pages_read_back_the_same_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(tmp.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
        };
        git(&["init", "-q"]);
        let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(tmp.path().join("a.txt"), text).unwrap();
        git(&["add", "a.txt"]);
        git(&["commit", "-q", "-m", "one"]);
        git(&["gc", "-q"]);
        let pack_dir = tmp.path().join(".git/objects/pack");
        let idx = pack_indices(tmp.path().join(".git/objects").as_path()).unwrap();
        assert_eq!(idx.len(), 1, "{pack_dir:?}");
        let bundle = pack::Bundle::at(&idx[0], gix::hash::Kind::Sha1).unwrap();
        let data = &bundle.pack;
        let all = 0..data.data_len() as u64;
        let before = data.entry_slice(all.clone()).unwrap().to_vec();
        release_mapped_pages(data);
        // The same bytes come back from the file, not zeroed pages.
        assert_eq!(data.entry_slice(all).unwrap(), &before[..]);
        assert!(before.starts_with(b"PACK"));
    }

    #[test]
    fn seen_set_reports_first_insert_only() {
        let seen = SeenSet::default();
        let id = ObjectId::empty_blob(gix::hash::Kind::Sha1);
        assert!(!seen.contains(&id));
        assert!(seen.insert(id));
        assert!(!seen.insert(id));
        assert!(seen.contains(&id));
    }
}

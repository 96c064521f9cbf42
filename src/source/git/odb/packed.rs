//! One pack's blobs, each delta chain resolved once, in parallel.
//!
//! 1. **Layout.** The index lists entries by object id; sorted by pack
//!    offset, each entry's compressed bytes end where the next one starts.
//! 2. **Headers.** Every entry's header is read (no inflating) for its
//!    kind, size and delta base. A delta has its base's kind, so each
//!    delta chain holds one kind of object, its root's: the chains of
//!    trees, commits and tags (two thirds of a typical history's objects)
//!    are never inflated.
//! 3. **Forest.** The blob chains become a forest: roots are whole blobs,
//!    children are deltas against their parent.
//! 4. **Decoding.** From each root down, a root is inflated, a delta is
//!    inflated and applied to its parent's content, which its children
//!    share and which is freed after the last of them. Roots are spread
//!    over the threads, and a node's children are offered to idle threads,
//!    so one file with thousands of versions does not pin a single
//!    thread. Each blob goes to the scanner as soon as it is decoded,
//!    a delta together with the ranges it copied from its parent and
//!    whatever the visitor kept of the parent ([`super::lineage`]).
//!
//! gix reads the index and the entry headers. Its own delta-tree traversal
//! is not used: building its tree re-reads every header on one thread,
//! and it inflates with zlib-rs, where libdeflate takes 0.81-0.85 of the
//! time on our benchmark pack (`examples/inflate_bench.rs`,
//! docs/benchmarks.md).
//!
//! Damage stays local: an entry that cannot be read or decoded is counted
//! as corrupt together with the deltas built on it, and every other chain
//! is decoded as usual.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gix::odb::pack;
use gix::ObjectId;
use rayon::prelude::*;

use super::delta::{Copied, Delta};
use super::lineage::{Derivation, Kept, Lineage};
use super::{release_mapped_pages, LocalTally, Scanner, RELEASE_EVERY};

/// "No entry" in `u32` entry links.
const NONE: u32 = u32::MAX;

/// Deflate cannot compress better than about 1032:1; a header announcing
/// more than this many bytes per compressed byte is damaged, and is not
/// allowed to reserve memory its data could never fill.
const MAX_DEFLATE_RATIO: u64 = 1040;

/// Entries per unit of work in the header pass.
const HEADER_CHUNK: usize = 16 * 1024;

/// What an entry's chain holds, or why it cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    /// A delta whose base's kind is not settled yet.
    Unknown,
    Blob,
    /// A tree, commit or tag chain: not decoded.
    Other,
    Broken(Damage),
}

/// Why an entry cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Damage {
    Header,
    BaseNotInPack,
    BaseOffset,
    /// Its base is broken, or its chain never reaches a base (a loop).
    Base,
}

impl Damage {
    fn message(self) -> &'static str {
        match self {
            Damage::Header => "its pack entry header cannot be read",
            Damage::BaseNotInPack => "its delta base is not in this pack",
            Damage::BaseOffset => "its delta base offset is not an entry of this pack",
            Damage::Base => "its delta base cannot be decoded",
        }
    }
}

/// One pack entry, in pack order.
#[derive(Debug, Clone, Copy)]
struct Node {
    chain: Chain,
    /// The base entry of a delta, [`NONE`] for a whole object.
    base: u32,
    /// Where the compressed data starts (after the entry header).
    data_offset: u64,
    /// Inflated size: the object's for a whole object, the delta's for a
    /// delta.
    size: u64,
}

/// A pack laid out for decoding.
struct Forest<'p> {
    bundle: &'p pack::Bundle,
    /// Entry start offsets in pack order, then the end of the entries.
    offsets: Vec<u64>,
    /// Each entry's position in the index (for its object id).
    index_pos: Vec<u32>,
    nodes: Vec<Node>,
    /// `children[first_child[i]..first_child[i + 1]]` are entry `i`'s
    /// blob deltas.
    first_child: Vec<u32>,
    children: Vec<u32>,
}

impl Scanner<'_> {
    /// Decodes the blobs of one pack and hands each to the scanner, on up
    /// to `threads` threads.
    pub(super) fn pack_blobs(
        &self,
        bundle: &pack::Bundle,
        threads: usize,
        local: &mut LocalTally<'_>,
    ) {
        // Without threads of our own, rayon's shared pool does the work.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .ok();
        let (forest, index_intact) = on(pool.as_ref(), || {
            rayon::join(|| Forest::read(bundle), || index_intact(bundle))
        });
        if !index_intact {
            // The ids come from the index; a damaged one could hand a
            // blob over under another id. Its objects are still scanned
            // (their content is checked by zlib), and the damage is said.
            self.corrupt(
                bundle.index.path().display().to_string(),
                "pack index checksum mismatch: object ids read from it may be wrong; \
                 its pack is scanned anyway (run `git fsck`)"
                    .to_string(),
                local,
            );
        }
        local.counts.objects += forest.nodes.len() as u64;
        forest.report_broken(self, local);
        release_mapped_pages(&bundle.pack);
        let blobs = forest
            .nodes
            .iter()
            .filter(|n| n.chain == Chain::Blob)
            .count();
        self.seen.reserve(blobs);
        // Incremental scans decode only what an unknown blob needs.
        let needed = self
            .known
            .map(|known| on(pool.as_ref(), || forest.needed(known)));
        let decoder = Decoder {
            scanner: self,
            forest: &forest,
            needed: needed.as_deref(),
            consumed: AtomicU64::new(0),
        };
        on(pool.as_ref(), || decoder.run());
    }
}

/// Whether the index's trailing checksum matches its content (a hash of
/// the index file, about 28 bytes per object; it runs beside the header
/// pass).
fn index_intact(bundle: &pack::Bundle) -> bool {
    let interrupt = std::sync::atomic::AtomicBool::new(false);
    bundle
        .index
        .verify_checksum(&mut gix::progress::Discard, &interrupt)
        .is_ok()
}

/// Runs `work` inside `pool`, so rayon calls in it use the pool's threads.
fn on<R: Send>(pool: Option<&rayon::ThreadPool>, work: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

impl<'p> Forest<'p> {
    fn read(bundle: &'p pack::Bundle) -> Self {
        let index = &bundle.index;
        let data = &bundle.pack;
        let n = index.num_objects();
        let mut order: Vec<(u64, u32)> = (0..n)
            .into_par_iter()
            .map(|i| (index.pack_offset_at_index(i), i))
            .collect();
        order.par_sort_unstable();
        let mut offsets: Vec<u64> = order.iter().map(|&(offset, _)| offset).collect();
        let index_pos: Vec<u32> = order.iter().map(|&(_, i)| i).collect();
        drop(order);
        // Entry position of each index position, for ref-delta bases.
        let mut position = vec![0u32; n as usize];
        for (at, &i) in index_pos.iter().enumerate() {
            position[i as usize] = at as u32;
        }

        let mut nodes = vec![
            Node {
                chain: Chain::Unknown,
                base: NONE,
                data_offset: 0,
                size: 0,
            };
            n as usize
        ];
        let released = AtomicU64::new(0);
        nodes
            .par_chunks_mut(HEADER_CHUNK)
            .enumerate()
            .for_each(|(chunk, nodes)| {
                let first = chunk * HEADER_CHUNK;
                for (k, node) in nodes.iter_mut().enumerate() {
                    *node = header(bundle, &offsets, &position, first + k);
                }
                // The header pass touches every page of the pack once.
                let end = offsets[first + nodes.len() - 1];
                let before = released.fetch_max(end, Ordering::Relaxed);
                if before / RELEASE_EVERY != end / RELEASE_EVERY {
                    release_mapped_pages(data);
                }
            });
        drop(position);
        settle_chains(&mut nodes);
        offsets.push(data.pack_end() as u64);

        // Children lists, for blob deltas only.
        let mut first_child = vec![0u32; nodes.len() + 1];
        for node in &nodes {
            if node.chain == Chain::Blob && node.base != NONE {
                first_child[node.base as usize + 1] += 1;
            }
        }
        for i in 1..first_child.len() {
            first_child[i] += first_child[i - 1];
        }
        let mut fill = first_child.clone();
        let mut children = vec![0u32; *first_child.last().unwrap_or(&0) as usize];
        for (i, node) in nodes.iter().enumerate() {
            if node.chain == Chain::Blob && node.base != NONE {
                let slot = &mut fill[node.base as usize];
                children[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        Forest {
            bundle,
            offsets,
            index_pos,
            nodes,
            first_child,
            children,
        }
    }

    fn id(&self, entry: u32) -> ObjectId {
        self.bundle
            .index
            .oid_at_index(self.index_pos[entry as usize])
            .to_owned()
    }

    /// For an incremental scan: which blob entries must be decoded, the
    /// unknown blobs and every base an unknown delta is built on. A
    /// chain whose blobs are all known is never inflated.
    fn needed(&self, known: super::Known<'_>) -> Vec<bool> {
        let unknown: Vec<bool> = (0..self.nodes.len() as u32)
            .into_par_iter()
            .map(|i| self.nodes[i as usize].chain == Chain::Blob && !known(&self.id(i)))
            .collect();
        let mut needed = vec![false; self.nodes.len()];
        for (i, &wanted) in unknown.iter().enumerate() {
            if !wanted {
                continue;
            }
            // Up the chain until a link already marked (its bases are too).
            let mut at = i as u32;
            while at != NONE && !needed[at as usize] {
                needed[at as usize] = true;
                at = self.nodes[at as usize].base;
            }
        }
        needed
    }

    fn children(&self, entry: u32) -> &[u32] {
        let i = entry as usize;
        &self.children[self.first_child[i] as usize..self.first_child[i + 1] as usize]
    }

    /// Entries that will never be decoded: unreadable, or in a chain
    /// with an unreadable link. Their kind is unknown, so they are
    /// counted as corrupt objects, not as blobs.
    fn report_broken(&self, scanner: &Scanner<'_>, local: &mut LocalTally<'_>) {
        for (i, node) in self.nodes.iter().enumerate() {
            if let Chain::Broken(damage) = node.chain {
                scanner.corrupt(self.id(i as u32).to_string(), self.message(damage), local);
            }
        }
    }

    fn message(&self, damage: impl std::fmt::Display) -> String {
        let path = self.bundle.pack.path();
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        format!("corrupt object in {name}: {damage}")
    }
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Entry `at`'s header: its kind, size and base.
fn header(bundle: &pack::Bundle, offsets: &[u64], position: &[u32], at: usize) -> Node {
    use pack::data::entry::Header;
    let offset = offsets[at];
    let mut node = Node {
        chain: Chain::Unknown,
        base: NONE,
        data_offset: 0,
        size: 0,
    };
    let entry = match bundle.pack.entry(offset) {
        Ok(entry) => entry,
        Err(_) => {
            node.chain = Chain::Broken(Damage::Header);
            return node;
        }
    };
    node.data_offset = entry.data_offset;
    node.size = entry.decompressed_size;
    let base_offset = match entry.header {
        Header::Blob => {
            node.chain = Chain::Blob;
            return node;
        }
        Header::Tree | Header::Commit | Header::Tag => {
            node.chain = Chain::Other;
            return node;
        }
        Header::OfsDelta { base_distance } => {
            match Header::verified_base_pack_offset(offset, base_distance) {
                Some(base_offset) => base_offset,
                None => {
                    node.chain = Chain::Broken(Damage::BaseOffset);
                    return node;
                }
            }
        }
        Header::RefDelta { base_id } => match bundle.index.lookup(base_id) {
            Some(i) => {
                node.base = position[i as usize];
                return node;
            }
            None => {
                node.chain = Chain::Broken(Damage::BaseNotInPack);
                return node;
            }
        },
    };
    match find_before(&offsets[..at], base_offset) {
        Some(base) => node.base = base as u32,
        None => node.chain = Chain::Broken(Damage::BaseOffset),
    }
    node
}

/// Where `offset` is in the sorted `offsets`, searching from the end: an
/// offset delta's base comes before it in the pack, usually not far (git
/// picks bases from a window of recent objects), so a galloping search
/// from the end touches a few nearby cache lines where a binary search
/// over a million entries would miss the cache at every step.
fn find_before(offsets: &[u64], offset: u64) -> Option<usize> {
    let mut span = 1;
    let mut hi = offsets.len();
    while span < hi && offsets[hi - span] > offset {
        hi -= span;
        span *= 2;
    }
    let lo = hi.saturating_sub(span);
    offsets[lo..hi].binary_search(&offset).ok().map(|i| lo + i)
}

/// Gives every delta its chain's kind. Offset deltas point back, so one
/// pass in pack order settles them; a ref-delta may name a base stored
/// after it, so passes repeat until nothing changes. What is still
/// unsettled then is a loop without a base.
fn settle_chains(nodes: &mut [Node]) {
    let mut pending = Vec::new();
    for i in 0..nodes.len() {
        if nodes[i].chain != Chain::Unknown {
            continue;
        }
        match nodes[nodes[i].base as usize].chain {
            Chain::Unknown => pending.push(i),
            Chain::Broken(_) => nodes[i].chain = Chain::Broken(Damage::Base),
            settled => nodes[i].chain = settled,
        }
    }
    loop {
        let before = pending.len();
        pending.retain(|&i| match nodes[nodes[i].base as usize].chain {
            Chain::Unknown => true,
            Chain::Broken(_) => {
                nodes[i].chain = Chain::Broken(Damage::Base);
                false
            }
            settled => {
                nodes[i].chain = settled;
                false
            }
        });
        if pending.len() == before {
            break;
        }
    }
    for i in pending {
        nodes[i].chain = Chain::Broken(Damage::Base);
    }
}

/// Decodes a [`Forest`]'s blob chains.
struct Decoder<'a, 'p> {
    scanner: &'a Scanner<'a>,
    forest: &'a Forest<'p>,
    /// Incremental scans: the entries worth decoding ([`Forest::needed`]).
    needed: Option<&'a [bool]>,
    /// Compressed bytes decoded so far, for releasing mapped pages.
    consumed: AtomicU64,
}

/// A decoded blob that deltas are built on, shared by them.
struct Parent {
    content: Vec<u8>,
    /// What the visitor kept of it, if anything.
    kept: Option<Kept>,
}

/// What decoding one entry gave.
enum Decoded {
    Content(Vec<u8>),
    /// A blob over the size limit that no delta needs: not decoded.
    TooLarge(u64),
    /// A whole (non-delta) blob over the in-memory limit that no delta
    /// needs: to be inflated as it is scanned.
    Stream,
}

thread_local! {
    static INFLATE: RefCell<libdeflater::Decompressor> =
        RefCell::new(libdeflater::Decompressor::new());
}

impl Decoder<'_, '_> {
    fn run(&self) {
        if let Some(needed) = self.needed {
            // Known blobs nobody needs are counted, not decoded.
            let mut local = LocalTally::new(self.scanner.tally);
            for (i, node) in self.forest.nodes.iter().enumerate() {
                if node.chain == Chain::Blob && !needed[i] {
                    self.scanner.left_out(self.forest.id(i as u32), &mut local);
                }
            }
        }
        let roots: Vec<u32> = (0..self.forest.nodes.len() as u32)
            .filter(|&i| {
                let node = &self.forest.nodes[i as usize];
                node.chain == Chain::Blob && node.base == NONE && self.is_needed(i)
            })
            .collect();
        roots
            .par_iter()
            .for_each(|&root| rayon::scope(|scope| self.chain(scope, root, None)));
    }

    /// Decodes `entry` and the deltas built on it. A single child is
    /// followed in this loop; further children become tasks that idle
    /// threads may take, sharing the decoded parent.
    fn chain<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        mut entry: u32,
        mut base: Option<Arc<Parent>>,
    ) {
        let mut local = LocalTally::new(self.scanner.tally);
        // Where a delta's bytes come from in its base, reused per blob.
        let mut copies: Vec<Copied> = Vec::new();
        loop {
            let children = self.children(entry);
            let children = &children[..];
            let decoded = self.decode(
                entry,
                base.as_deref().map(|p| p.content.as_slice()),
                children.is_empty(),
                &mut copies,
            );
            let content = match decoded {
                Ok(Decoded::Content(content)) => content,
                Ok(Decoded::TooLarge(size)) => {
                    self.scanner
                        .oversized(self.forest.id(entry), size, &mut local);
                    return;
                }
                Ok(Decoded::Stream) => return self.stream(entry, &mut local),
                Err(message) => {
                    self.lose(entry, message, &mut local);
                    return;
                }
            };
            let lineage = Lineage {
                base: base
                    .as_deref()
                    .and_then(|p| p.kept.as_deref())
                    .map(|kept| Derivation {
                        base: kept,
                        copies: &copies,
                    }),
                has_deltas: !children.is_empty(),
            };
            let kept = self
                .scanner
                .blob(self.forest.id(entry), &content, lineage, &mut local);
            // The base is freed here, after its delta was visited with it.
            drop(base.take());
            let Some((&last, others)) = children.split_last() else {
                return;
            };
            let parent = Arc::new(Parent { content, kept });
            for &child in others {
                let parent = Arc::clone(&parent);
                scope.spawn(move |scope| self.chain(scope, child, Some(parent)));
            }
            entry = last;
            base = Some(parent);
        }
    }

    fn is_needed(&self, entry: u32) -> bool {
        self.needed.is_none_or(|needed| needed[entry as usize])
    }

    /// The deltas on `entry` worth decoding.
    fn children(&self, entry: u32) -> std::borrow::Cow<'_, [u32]> {
        let all = self.forest.children(entry);
        match self.needed {
            None => all.into(),
            Some(needed) => all
                .iter()
                .copied()
                .filter(|&c| needed[c as usize])
                .collect::<Vec<u32>>()
                .into(),
        }
    }

    /// One entry's content: inflated, and for a delta applied to `base`
    /// (with the ranges it copies from `base` in `copies`). A leaf over the
    /// size limit is not built.
    fn decode(
        &self,
        entry: u32,
        base: Option<&[u8]>,
        leaf: bool,
        copies: &mut Vec<Copied>,
    ) -> Result<Decoded, String> {
        let forest = self.forest;
        let node = &forest.nodes[entry as usize];
        let end = forest.offsets[entry as usize + 1];
        self.consumed(end - forest.offsets[entry as usize]);
        let opts = self.scanner.opts;
        let limit = opts.max_blob_size.min(opts.in_memory_limit);
        if base.is_none() && leaf && self.scanner.streams(node.size) {
            return Ok(Decoded::Stream);
        }
        if base.is_none() && leaf && node.size > limit {
            return Ok(Decoded::TooLarge(node.size));
        }
        let inflated = self.inflate(node, end).map_err(|e| forest.message(e))?;
        let Some(base) = base else {
            return Ok(Decoded::Content(inflated));
        };
        let delta = Delta::parse(&inflated).map_err(|e| forest.message(e))?;
        if leaf && delta.result_size > limit {
            return Ok(Decoded::TooLarge(delta.result_size));
        }
        delta
            .apply_recording(base, copies)
            .map(Decoded::Content)
            .map_err(|e| forest.message(e))
    }

    /// A large whole blob, inflated with a streaming zlib decoder
    /// (libdeflate inflates only whole buffers) straight into the
    /// scanner's pieces. The pack's pages are released as the compressed
    /// data is read, as for every other blob.
    fn stream(&self, entry: u32, local: &mut LocalTally<'_>) {
        let forest = self.forest;
        let node = &forest.nodes[entry as usize];
        let end = forest.offsets[entry as usize + 1];
        let Some(compressed) = forest.bundle.pack.entry_slice(node.data_offset..end) else {
            return self.lose(
                entry,
                forest.message("its compressed data lies outside the pack"),
                local,
            );
        };
        let mut reader = flate2::read::ZlibDecoder::new(Releasing {
            data: compressed,
            since: 0,
            pack: &forest.bundle.pack,
        });
        self.scanner
            .stream_blob(forest.id(entry), node.size, &mut reader, local);
    }

    fn inflate(&self, node: &Node, end: u64) -> Result<Vec<u8>, &'static str> {
        let compressed = self
            .forest
            .bundle
            .pack
            .entry_slice(node.data_offset..end)
            .ok_or("its compressed data lies outside the pack")?;
        if node.size > (compressed.len() as u64 + 1).saturating_mul(MAX_DEFLATE_RATIO) {
            return Err("its header announces more data than it could hold");
        }
        let mut out = Vec::new();
        out.try_reserve_exact(node.size as usize)
            .map_err(|_| "its size does not fit in memory")?;
        out.resize(node.size as usize, 0);
        let written = INFLATE
            .with(|inflate| inflate.borrow_mut().zlib_decompress(compressed, &mut out))
            .map_err(|_| "its compressed data cannot be inflated")?;
        if written != out.len() {
            return Err("it inflates to a different size than its header says");
        }
        Ok(out)
    }

    /// `entry` cannot be decoded, and so neither can the deltas built on
    /// it.
    fn lose(&self, entry: u32, message: String, local: &mut LocalTally<'_>) {
        self.scanner
            .corrupt(self.forest.id(entry).to_string(), message, local);
        let mut stack = self.forest.children(entry).to_vec();
        while let Some(child) = stack.pop() {
            self.scanner.corrupt(
                self.forest.id(child).to_string(),
                self.forest.message(Damage::Base),
                local,
            );
            stack.extend_from_slice(self.forest.children(child));
        }
    }

    /// Releases the pack's mapped pages each time another
    /// [`RELEASE_EVERY`] compressed bytes have been decoded.
    fn consumed(&self, size: u64) {
        let before = self.consumed.fetch_add(size, Ordering::Relaxed);
        if before / RELEASE_EVERY != (before + size) / RELEASE_EVERY {
            release_mapped_pages(&self.forest.bundle.pack);
        }
    }
}

/// Reads a large entry's compressed bytes out of the mapped pack, handing
/// the mapped pages back every [`RELEASE_EVERY`] bytes so a blob of
/// gigabytes does not stay resident.
struct Releasing<'p> {
    data: &'p [u8],
    since: u64,
    pack: &'p pack::data::File<pack::MMap>,
}

impl std::io::Read for Releasing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.since += n as u64;
        if self.since >= RELEASE_EVERY {
            self.since = 0;
            release_mapped_pages(self.pack);
        }
        Ok(n)
    }
}

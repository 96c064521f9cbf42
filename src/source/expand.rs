//! One input → the inputs inside it: archives, compressed streams and
//! UTF-16 text, opened the same way for every source.
//!
//! An input (a file's bytes, a reader) is sniffed by its first bytes:
//!
//! - **archives** (zip and its kin: jar, war, ear, whl, nupkg, apk; tar)
//!   yield their regular-file members, each an input of its own named
//!   `archive!/member/path`;
//! - **compressed streams** (gzip, bzip2, xz, zstd) yield their content,
//!   named `file.gz!/file` (or, when the content is itself an archive such
//!   as a `.tar.gz`, its members directly: `file.tar.gz!/member`);
//! - **UTF-16** text (a byte-order mark, or the NUL pattern of ASCII in
//!   UTF-16) is transcoded to UTF-8, which keeps line and column numbers;
//! - anything else is **plain**: the binary probe, then the detector.
//!
//! Nesting is followed up to [`ExpandOptions::max_depth`]. Every input
//! read out of an archive or decompressor counts against the top input's
//! [`ExpandOptions::max_total`], and a decompressor whose output outgrows
//! [`ExpandOptions::max_ratio`] times what it read is stopped: a zip bomb
//! costs a few megabytes of reading and a
//! [`SkipReason::ExpansionLimit`](crate::stats::SkipReason::ExpansionLimit),
//! never memory or disk (nothing is written anywhere). What was scanned
//! before a limit tripped still counts.
//!
//! Memory: an input up to one chunk is held whole; a larger one is
//! streamed ([`super::stream`]). A zip needs to seek, so a zip member of
//! another archive is held in memory (up to [`ZIP_IN_MEMORY`]); a zip on
//! disk is read in place.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::rc::Rc;
use std::time::Instant;

use super::stream::{self, Chunking, Piece};
use super::Visit;
use crate::finding::Origin;
use crate::stats::{Counters, SkipReason};

/// Limits for opening archives and compressed streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpandOptions {
    /// Open archives and compressed streams at all (`--no-archives` turns
    /// it off; UTF-16 is still decoded).
    pub archives: bool,
    /// Archives inside archives are opened this many levels deep.
    pub max_depth: u32,
    /// Bytes one top input may expand to, all members together.
    pub max_total: u64,
    /// A decompressor may put out at most this many times what it read
    /// (checked once it has put out [`RATIO_GRACE`] bytes).
    pub max_ratio: u64,
}

impl Default for ExpandOptions {
    fn default() -> Self {
        ExpandOptions {
            archives: true,
            max_depth: 5,
            max_total: 4 << 30,
            max_ratio: 100,
        }
    }
}

/// A decompressor's first output is never held against its ratio: small
/// highly repetitive files (a config of blank lines) are fine.
pub const RATIO_GRACE: u64 = 1 << 20;

/// A zip inside another archive or stream is read into memory to seek in
/// it; larger ones are skipped as too large.
pub const ZIP_IN_MEMORY: u64 = 64 << 20;

/// How much of a plain input's start is searched for a NUL byte.
pub const BINARY_PROBE: usize = 8 * 1024;

/// NUL in the first 8 KiB, as git and ripgrep decide.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}

/// How many bytes the sniffer looks at (tar's magic sits at 257).
const SNIFF: usize = 512;

/// What the first bytes say an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    Utf16 { little: bool, bom: bool },
    Plain,
}

impl Kind {
    fn sniff(head: &[u8], archives: bool) -> Kind {
        if archives {
            if let Some(kind) = Self::container(head) {
                return kind;
            }
        }
        // A byte-order mark alone could be the start of any binary or
        // invalid UTF-8 file: half the characters after it must be ASCII
        // too (the text a credential sits in is), without it nine in ten.
        let bom = match head {
            [0xFF, 0xFE, ..] => Some(true),
            [0xFE, 0xFF, ..] => Some(false),
            _ => None,
        };
        match bom {
            Some(little) if ascii_share(&head[2..], little) >= 0.5 => {
                Kind::Utf16 { little, bom: true }
            }
            _ if head.len() >= 16 && ascii_share(head, true) >= 0.9 => Kind::Utf16 {
                little: true,
                bom: false,
            },
            _ if head.len() >= 16 && ascii_share(head, false) >= 0.9 => Kind::Utf16 {
                little: false,
                bom: false,
            },
            _ => Kind::Plain,
        }
    }

    fn container(head: &[u8]) -> Option<Kind> {
        Some(match head {
            // A local file header, or the end record of an empty zip.
            [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Kind::Zip,
            [0x1F, 0x8B, ..] => Kind::Gzip,
            [b'B', b'Z', b'h', b'1'..=b'9', ..] => Kind::Bzip2,
            [0xFD, b'7', b'z', b'X', b'Z', 0, ..] => Kind::Xz,
            [0x28, 0xB5, 0x2F, 0xFD, ..] => Kind::Zstd,
            _ if head.len() >= 262 && &head[257..262] == b"ustar" => Kind::Tar,
            _ => return None,
        })
    }

    fn is_container(self) -> bool {
        !matches!(self, Kind::Plain | Kind::Utf16 { .. })
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Zip => "zip",
            Kind::Tar => "tar",
            Kind::Gzip => "gzip",
            Kind::Bzip2 => "bzip2",
            Kind::Xz => "xz",
            Kind::Zstd => "zstd",
            Kind::Utf16 { .. } => "utf-16",
            Kind::Plain => "plain",
        }
    }
}

/// The share of UTF-16 code units in `head` that are printable ASCII
/// or ASCII whitespace (high byte NUL): in UTF-16 text of mostly ASCII
/// characters, every other byte is NUL. Little-endian puts the NULs at
/// odd offsets.
fn ascii_share(head: &[u8], little: bool) -> f64 {
    let units = head.len() / 2;
    if units == 0 {
        return 0.0;
    }
    let ascii = head
        .chunks_exact(2)
        .filter(|p| {
            let (low, high) = if little { (p[0], p[1]) } else { (p[1], p[0]) };
            high == 0 && (low.is_ascii_graphic() || low.is_ascii_whitespace())
        })
        .count();
    ascii as f64 / units as f64
}

/// An input's name in reports, and the name its decompressed content
/// would get if that content is plain (see the module doc).
#[derive(Debug, Clone)]
struct Name {
    shown: String,
    /// Set inside a compressed stream: `Some("x.log")` for `x.log.gz`.
    pending: Option<String>,
    /// The top input is standard input.
    stdin: bool,
}

impl Name {
    /// A plain input's origin.
    fn origin(&self) -> Origin {
        match &self.pending {
            Some(inner) => Origin::File {
                path: format!("{}!/{inner}", self.shown),
            },
            None if self.stdin && !self.shown.contains("!/") => Origin::Stdin,
            None => Origin::File {
                path: self.shown.clone(),
            },
        }
    }

    /// Where an archive's members hang: a `.tar.gz`'s members sit right
    /// under the `.tar.gz`.
    fn member(&self, path: &str) -> Name {
        Name {
            shown: format!("{}!/{}", self.shown, path.trim_start_matches("./")),
            pending: None,
            stdin: self.stdin,
        }
    }

    /// The content of a compressed stream.
    fn decompressed(&self) -> Name {
        let last = self.pending.as_deref().unwrap_or_else(|| {
            let s = self.shown.rsplit("!/").next().unwrap_or(&self.shown);
            s.rsplit('/').next().unwrap_or(s)
        });
        let inner = strip_compression(last);
        // Nested compression (x.gz inside y.gz) shows each level.
        let shown = match &self.pending {
            Some(p) => format!("{}!/{p}", self.shown),
            None => self.shown.clone(),
        };
        Name {
            shown,
            pending: Some(inner),
            stdin: self.stdin,
        }
    }

    /// Whether this is something inside a top input.
    fn is_member(&self) -> bool {
        self.pending.is_some() || self.shown.contains("!/")
    }

    /// The name skips are recorded under.
    fn skip_name(&self) -> String {
        match &self.pending {
            Some(p) => format!("{}!/{p}", self.shown),
            None => self.shown.clone(),
        }
    }
}

/// `x.tar.gz` → `x.tar`, `x.tgz` → `x.tar`, `x.log.zst` → `x.log`; a name
/// without a known extension keeps its name.
fn strip_compression(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    for (ext, with) in [(".tgz", ".tar"), (".tbz2", ".tar"), (".txz", ".tar")] {
        if lower.ends_with(ext) {
            return format!("{}{with}", &name[..name.len() - ext.len()]);
        }
    }
    for ext in [".gz", ".bz2", ".xz", ".zst", ".zstd"] {
        if lower.ends_with(ext) && lower.len() > ext.len() {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name.to_string()
}

/// What one top input may still expand to, and whether a limit tripped.
struct Budget {
    left: Cell<u64>,
    tripped: Cell<bool>,
}

/// The error a guarded reader returns when a limit trips.
fn limit_error(what: String) -> io::Error {
    io::Error::other(LimitTripped(what))
}

#[derive(Debug)]
struct LimitTripped(String);

impl std::fmt::Display for LimitTripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitTripped {}

fn tripped(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<LimitTripped>())
}

/// Counts the bytes a decompressor reads from below.
struct Counted<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Meters what comes out of an archive member or decompressor against the
/// top input's budget and the ratio limit.
struct Guarded<'b, R> {
    inner: R,
    budget: &'b Budget,
    /// Compressed bytes behind this output: read so far (a stream) or
    /// stated (a zip member).
    compressed: Rc<Cell<u64>>,
    out: u64,
    max_ratio: u64,
    total_limit: u64,
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let left = self.budget.left.get();
        if n as u64 > left {
            self.budget.tripped.set(true);
            return Err(limit_error(format!(
                "expands past the limit of {} bytes",
                self.total_limit
            )));
        }
        self.budget.left.set(left - n as u64);
        let compressed = self.compressed.get().max(1);
        if self.out > RATIO_GRACE && self.out / compressed > self.max_ratio {
            self.budget.tripped.set(true);
            return Err(limit_error(format!(
                "expands more than {}:1 ({} bytes from {compressed})",
                self.max_ratio, self.out
            )));
        }
        Ok(n)
    }
}

/// Opens inputs and hands their plain content to the visitor.
pub struct Expander<'a> {
    pub options: ExpandOptions,
    pub chunking: Chunking,
    /// Scan plain content with NUL bytes too (`--binary`).
    pub binary: bool,
    pub counters: &'a Counters,
    pub visit: Visit<'a>,
}

impl Expander<'_> {
    /// A whole input already in memory (a small file, a blob).
    pub fn bytes(&self, data: &[u8], shown: String, stdin: bool) {
        let budget = self.budget();
        let name = Name {
            shown,
            pending: None,
            stdin,
        };
        self.in_memory(data, &name, 0, &budget);
    }

    /// A file on disk, read whole when small and streamed when not; a
    /// large zip is read in place.
    pub fn file(&self, path: &std::path::Path, shown: String) {
        let budget = self.budget();
        let name = Name {
            shown,
            pending: None,
            stdin: false,
        };
        match File::open(path) {
            Ok(file) => self.reader(&mut &file, Some(&file), &name, 0, &budget),
            Err(e) => self.read_failed(&name, &e, 0),
        }
    }

    /// A reader of unknown size (standard input), streamed.
    pub fn stream(&self, reader: &mut dyn Read, shown: String, stdin: bool) {
        let budget = self.budget();
        let name = Name {
            shown,
            pending: None,
            stdin,
        };
        self.reader(reader, None, &name, 0, &budget);
    }

    fn budget(&self) -> Budget {
        Budget {
            left: Cell::new(self.options.max_total),
            tripped: Cell::new(false),
        }
    }

    /// Reads up to one chunk; an input that ends there is handled in
    /// memory, a longer one streamed (a zip: read in place from `seekable`,
    /// or buffered).
    fn reader(
        &self,
        reader: &mut dyn Read,
        seekable: Option<&File>,
        name: &Name,
        depth: u32,
        budget: &Budget,
    ) {
        let chunk = self.chunking.chunk();
        let mut head = Vec::new();
        if let Err(e) = Read::take(&mut *reader, chunk as u64 + 1).read_to_end(&mut head) {
            self.read_failed(name, &e, head.len() as u64);
            // What was read of plain text before a read error is still
            // scanned; a container cut short is not opened, and what a
            // tripped limit cut off is not scanned at all.
            let sniffed = Kind::sniff(&head[..head.len().min(SNIFF)], self.options.archives);
            if !head.is_empty() && !sniffed.is_container() && !tripped(&e) {
                self.in_memory(&head, name, depth, budget);
            }
            return;
        }
        if head.len() <= chunk {
            self.in_memory(&head, name, depth, budget);
            return;
        }
        let kind = self.kind(&head, name, depth);
        let mut rest = Cursor::new(head).chain(reader);
        match kind {
            Kind::Zip => match seekable {
                Some(mut file) => match file.rewind() {
                    Ok(()) => self.zip(&mut file, name, depth, budget),
                    Err(e) => self.read_failed(name, &e, 0),
                },
                None => self.zip_buffered(&mut rest, name, depth, budget),
            },
            Kind::Plain | Kind::Utf16 { .. } => self.plain_stream(&mut rest, kind, name),
            _ => self.unpack(&mut rest, kind, name, depth, budget),
        }
    }

    /// The kind of an input, with the depth limit applied: too deep, a
    /// container is scanned as it is (and the limit recorded).
    fn kind(&self, head: &[u8], name: &Name, depth: u32) -> Kind {
        let kind = Kind::sniff(&head[..head.len().min(SNIFF)], self.options.archives);
        if kind.is_container() && depth >= self.options.max_depth {
            self.counters.skip(
                name.skip_name(),
                SkipReason::ExpansionLimit,
                format!(
                    "{} nested {} levels deep, over the limit of {}: not opened",
                    kind.name(),
                    depth,
                    self.options.max_depth
                ),
            );
            return Kind::Plain;
        }
        kind
    }

    fn in_memory(&self, data: &[u8], name: &Name, depth: u32, budget: &Budget) {
        match self.kind(data, name, depth) {
            Kind::Plain => {
                let origin = name.origin();
                if !self.binary && is_binary(data) {
                    self.binary_skip(name, origin.display_path());
                    return;
                }
                self.counters.scanned(data.len());
                (self.visit)(Piece::whole(data, &origin));
            }
            Kind::Utf16 { little, bom } => {
                let text = utf16_to_utf8(&data[if bom { 2 } else { 0 }..], little);
                self.counters.scanned(data.len());
                (self.visit)(Piece::whole(&text, &name.origin()));
            }
            Kind::Zip => self.zip(&mut Cursor::new(data), name, depth, budget),
            kind => self.unpack(&mut &data[..], kind, name, depth, budget),
        }
    }

    /// A plain or UTF-16 input too large to hold: streamed.
    fn plain_stream(&self, reader: &mut dyn Read, kind: Kind, name: &Name) {
        let origin = name.origin();
        let shown = origin.display_path().to_string();
        let started = Instant::now();
        let mut binary = false;
        let probe = |first: &[u8]| {
            binary = kind == Kind::Plain && !self.binary && is_binary(first);
            !binary
        };
        let mut visit = |p: Piece<'_>| (self.visit)(p);
        let result = match kind {
            Kind::Utf16 { little, bom } => {
                let mut decoded = Utf16Reader::new(reader, little, bom);
                stream::stream(&mut decoded, &origin, self.chunking, probe, &mut visit)
            }
            _ => stream::stream(reader, &origin, self.chunking, probe, &mut visit),
        };
        match result {
            Ok(_) if binary => self.binary_skip(name, &shown),
            Ok(done) => {
                self.counters.scanned(done.bytes as usize);
                self.counters.large(&shown, done.bytes, started.elapsed());
                if let Some(e) = done.error {
                    self.read_failed(name, &e, done.bytes);
                }
            }
            Err(e) => self.read_failed(name, &e, 0),
        }
    }

    /// A binary file is listed as skipped; a binary member of an archive
    /// is not (a jar's thousand class files would drown the list).
    fn binary_skip(&self, name: &Name, shown: &str) {
        if !name.is_member() {
            self.counters
                .skip(shown, SkipReason::Binary, "binary file (NUL byte)");
        }
    }

    /// Records why reading stopped: a tripped limit, or a read error.
    fn read_failed(&self, name: &Name, e: &io::Error, after: u64) {
        let (reason, message) = if tripped(e) {
            (SkipReason::ExpansionLimit, format!("{e}: not read further"))
        } else if after > 0 {
            (
                SkipReason::Unreadable,
                format!("read error after {after} bytes (scanned up to there): {e}"),
            )
        } else {
            (SkipReason::Unreadable, e.to_string())
        };
        self.counters.skip(name.skip_name(), reason, message);
    }

    /// Compressed streams and tar: all read front to back.
    fn unpack(&self, reader: &mut dyn Read, kind: Kind, name: &Name, depth: u32, budget: &Budget) {
        let read = Rc::new(Cell::new(0));
        let counted = Counted {
            inner: reader,
            read: read.clone(),
        };
        let decoder: Box<dyn Read + '_> = match kind {
            Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counted)),
            Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
            Kind::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(counted)),
            Kind::Zstd => match zstd::stream::read::Decoder::new(counted) {
                Ok(d) => Box::new(d),
                Err(e) => return self.read_failed(name, &e, 0),
            },
            Kind::Tar => return self.tar(counted, name, depth, budget),
            _ => return,
        };
        let mut guarded = self.guard(decoder, read, budget);
        self.reader(&mut guarded, None, &name.decompressed(), depth + 1, budget);
    }

    fn guard<'b, R: Read>(
        &self,
        inner: R,
        compressed: Rc<Cell<u64>>,
        budget: &'b Budget,
    ) -> Guarded<'b, R> {
        Guarded {
            inner,
            budget,
            compressed,
            out: 0,
            max_ratio: self.options.max_ratio,
            total_limit: self.options.max_total,
        }
    }

    fn tar(&self, reader: impl Read, name: &Name, depth: u32, budget: &Budget) {
        let mut archive = tar::Archive::new(reader);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => return self.damaged(name, "tar", &e),
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) if tripped(&e) => return self.read_failed(name, &e, 0),
                Err(e) => return self.damaged(name, "tar", &e),
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().map_or_else(
                |_| String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                |p| p.to_string_lossy().into_owned(),
            );
            // A tar member is stored, not compressed: what it expands to
            // was counted by the decompressor around the tar, if any.
            self.reader(&mut entry, None, &name.member(&path), depth + 1, budget);
            if budget.tripped.get() {
                return;
            }
        }
    }

    fn zip_buffered(&self, reader: &mut dyn Read, name: &Name, depth: u32, budget: &Budget) {
        let mut data = Vec::new();
        match reader.take(ZIP_IN_MEMORY + 1).read_to_end(&mut data) {
            Err(e) => self.read_failed(name, &e, 0),
            Ok(_) if data.len() as u64 > ZIP_IN_MEMORY => self.counters.skip(
                name.skip_name(),
                SkipReason::TooLarge,
                format!(
                    "a zip inside an archive is read into memory, and this one is over {ZIP_IN_MEMORY} bytes: not opened"
                ),
            ),
            Ok(_) => self.zip(&mut Cursor::new(&data[..]), name, depth, budget),
        }
    }

    fn zip<R: Read + Seek>(&self, reader: &mut R, name: &Name, depth: u32, budget: &Budget) {
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(a) => a,
            Err(e) => return self.damaged(name, "zip", &e),
        };
        for i in 0..archive.len() {
            let mut member = match archive.by_index(i) {
                Ok(m) => m,
                Err(zip::result::ZipError::UnsupportedArchive(what)) => {
                    self.counters.skip(
                        name.skip_name(),
                        SkipReason::Unreadable,
                        format!("zip member {i}: {what}"),
                    );
                    continue;
                }
                Err(e) => return self.damaged(name, "zip", &e),
            };
            if !member.is_file() {
                continue;
            }
            let path = member.name().to_string();
            let compressed = Rc::new(Cell::new(member.compressed_size()));
            let mut guarded = self.guard(&mut member, compressed, budget);
            self.reader(&mut guarded, None, &name.member(&path), depth + 1, budget);
            if budget.tripped.get() {
                return;
            }
        }
    }

    fn damaged(&self, name: &Name, what: &str, e: &dyn std::fmt::Display) {
        self.counters.skip(
            name.skip_name(),
            SkipReason::Corrupt,
            format!("{what} archive cannot be read further: {e}"),
        );
    }
}

/// UTF-16 code units → UTF-8; unpaired surrogates become U+FFFD.
fn utf16_to_utf8(data: &[u8], little: bool) -> Vec<u8> {
    let units = data.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    text.into_bytes()
}

/// Streaming [`utf16_to_utf8`]: decodes what it reads, keeping an odd
/// byte or a high surrogate for the next read.
struct Utf16Reader<R> {
    inner: R,
    little: bool,
    /// Bytes read but not yet decoded (at most 3: an odd byte, a lone
    /// high surrogate).
    raw: Vec<u8>,
    /// Decoded UTF-8 not yet handed out.
    out: Vec<u8>,
    out_at: usize,
    skip_bom: bool,
    eof: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, little: bool, bom: bool) -> Self {
        Utf16Reader {
            inner,
            little,
            raw: Vec::new(),
            out: Vec::new(),
            out_at: 0,
            skip_bom: bom,
            eof: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; 64 * 1024];
        while self.out_at == self.out.len() && !self.eof {
            let n = self.inner.read(&mut buf)?;
            if n == 0 {
                self.eof = true;
            }
            self.raw.extend_from_slice(&buf[..n]);
            if self.skip_bom && self.raw.len() >= 2 {
                self.raw.drain(..2);
                self.skip_bom = false;
            }
            // Decode whole units, holding back a trailing high surrogate
            // (its partner may come with the next read) unless at the end.
            let mut usable = self.raw.len() & !1;
            if !self.eof && usable >= 2 {
                let last = &self.raw[usable - 2..usable];
                let unit = if self.little {
                    u16::from_le_bytes([last[0], last[1]])
                } else {
                    u16::from_be_bytes([last[0], last[1]])
                };
                if (0xD800..0xDC00).contains(&unit) {
                    usable -= 2;
                }
            }
            if self.eof {
                usable = self.raw.len();
            }
            self.out = utf16_to_utf8(&self.raw[..usable & !1], self.little);
            if self.eof && usable % 2 == 1 {
                // A final odd byte is no character.
                self.out.extend_from_slice("\u{FFFD}".as_bytes());
            }
            self.out_at = 0;
            self.raw.drain(..usable);
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_at == self.out.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_at);
        buf[..n].copy_from_slice(&self.out[self.out_at..self.out_at + n]);
        self.out_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_containers_and_encodings() {
        assert_eq!(Kind::sniff(b"PK\x03\x04rest", true), Kind::Zip);
        assert_eq!(Kind::sniff(b"PK\x03\x04rest", false), Kind::Plain);
        assert_eq!(Kind::sniff(&[0x1F, 0x8B, 8, 0], true), Kind::Gzip);
        assert_eq!(Kind::sniff(b"BZh91AY&SY", true), Kind::Bzip2);
        assert_eq!(Kind::sniff(b"plain text", true), Kind::Plain);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(Kind::sniff(&tar, true), Kind::Tar);
        let le: Vec<u8> = "key = value here"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            Kind::sniff(&le, true),
            Kind::Utf16 {
                little: true,
                bom: false
            }
        );
        let be: Vec<u8> = "key = value here"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(
            Kind::sniff(&be, true),
            Kind::Utf16 {
                little: false,
                bom: false
            }
        );
        // Mostly NUL with a few bytes (a binary header) is not text.
        let mut binary = vec![0u8; 64];
        binary[3] = 7;
        assert_eq!(Kind::sniff(&binary, true), Kind::Plain);
    }

    #[test]
    fn names_of_members_and_decompressed_content() {
        let top = Name {
            shown: "dist/app.tar.gz".into(),
            pending: None,
            stdin: false,
        };
        let inner = top.decompressed();
        assert_eq!(inner.pending.as_deref(), Some("app.tar"));
        // Members of the tar inside hang under the .tar.gz.
        let member = inner.member("./etc/app.env");
        assert_eq!(
            member.origin().display_path(),
            "dist/app.tar.gz!/etc/app.env"
        );
        let log = Name {
            shown: "logs/x.log.gz".into(),
            pending: None,
            stdin: false,
        };
        assert_eq!(
            log.decompressed().origin().display_path(),
            "logs/x.log.gz!/x.log"
        );
        assert_eq!(strip_compression("a.TGZ"), "a.tar");
        assert_eq!(strip_compression("blob"), "blob");
    }

    #[test]
    fn utf16_reader_matches_whole_decoding_at_every_read_size() {
        let text = "line one\nκλειδί = 𝄞 value\nAKIA end\n".repeat(50);
        for little in [true, false] {
            let mut bytes: Vec<u8> = if little {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for unit in text.encode_utf16() {
                bytes.extend(if little {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                });
            }
            for step in [1, 2, 3, 5, 64, 4096] {
                let reader = OneByOne(&bytes[..], step);
                let mut out = Vec::new();
                Utf16Reader::new(reader, little, true)
                    .read_to_end(&mut out)
                    .unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), text, "step {step}");
            }
        }
    }

    /// A reader that returns at most `step` bytes per read.
    struct OneByOne<'a>(&'a [u8], usize);

    impl Read for OneByOne<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
}

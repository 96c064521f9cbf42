//! Inputs of any size in bounded memory: a reader is scanned as a series
//! of overlapping [`Piece`]s.
//!
//! A piece is at most `chunk + overlap` bytes: the last `overlap` bytes of
//! the previous piece followed by up to `chunk` new ones. With
//! `overlap = 2 * reach`, where `reach` is how far the detector can look
//! from a secret's start (its windows, pairing; see
//! [`Detector::context_reach`](crate::detect::Detector::context_reach)),
//! each piece *owns* the secrets that start in
//! `[reach, len - reach)` of it (from 0 in the first piece, to the end in
//! the last). Owned ranges of consecutive pieces meet exactly, so every
//! secret is reported once, by a piece that holds at least `reach` real
//! bytes on both sides of it, as a whole-file scan would see them.
//!
//! A piece also carries its [`Position`] in the input (byte offset, lines
//! and characters before it), so locations found in a piece are turned
//! into locations in the input without reading anything twice.

use std::io::{self, Read};
use std::ops::Range;

use crate::finding::{Location, Origin};

/// Chunk size when nothing else is asked for: large enough that the
/// overlap is noise, small enough that a thread's buffer is no burden.
pub const DEFAULT_CHUNK: usize = 8 * 1024 * 1024;

/// How inputs are cut into pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// New bytes per piece; inputs up to this size are one piece.
    chunk: usize,
    /// Bytes either side of an owned range a piece must hold.
    reach: usize,
}

impl Chunking {
    /// `chunk` new bytes per piece, for a detector that looks `reach` bytes
    /// around a secret. The chunk is raised to the overlap (`2 * reach`) so
    /// that every piece moves forward by more than it keeps.
    pub fn new(chunk: usize, reach: usize) -> Chunking {
        let reach = reach.max(1);
        Chunking {
            chunk: chunk.max(2 * reach),
            reach,
        }
    }

    /// The chunk size from `KEYHOUND_CHUNK_SIZE` (bytes; a debugging and
    /// test switch, documented in docs/robustness.md), else
    /// [`DEFAULT_CHUNK`].
    pub fn from_env(reach: usize) -> Chunking {
        let chunk = std::env::var("KEYHOUND_CHUNK_SIZE")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_CHUNK);
        Chunking::new(chunk, reach)
    }

    pub fn chunk(&self) -> usize {
        self.chunk
    }

    pub fn reach(&self) -> usize {
        self.reach
    }

    fn overlap(&self) -> usize {
        2 * self.reach
    }
}

impl Default for Chunking {
    /// A reach that covers every built-in rule (the largest `max_span` is
    /// 16 KiB); scans pass the detector's own reach.
    fn default() -> Self {
        Chunking::new(DEFAULT_CHUNK, 64 * 1024)
    }
}

/// Where a piece starts in its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// Byte offset of the piece's first byte.
    pub offset: u64,
    /// Newlines before the piece.
    pub lines: usize,
    /// Characters between the last newline before the piece (or the input's
    /// start) and the piece: its first line's column offset.
    pub columns: usize,
}

impl Position {
    /// Turns a location within the piece into one within the input.
    pub fn place(&self, mut at: Location) -> Location {
        if at.line == 1 {
            at.column += self.columns;
        }
        if at.end_line == 1 {
            at.end_column += self.columns;
        }
        at.line += self.lines;
        at.end_line += self.lines;
        at
    }

    /// The position just after `consumed`, which starts at `self`.
    fn advance(&mut self, consumed: &[u8]) {
        self.offset += consumed.len() as u64;
        let newlines = memchr::memchr_iter(b'\n', consumed).count();
        self.lines += newlines;
        match memchr::memrchr(b'\n', consumed) {
            Some(nl) => self.columns = chars(&consumed[nl + 1..]),
            None => self.columns += chars(consumed),
        }
    }
}

/// Characters in `bytes`, counting UTF-8 lead bytes (exact for valid
/// UTF-8, which is what columns are counted in; only a line longer than a
/// chunk needs it).
fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// One stretch of an input, handed to the scanner.
#[derive(Debug, Clone)]
pub struct Piece<'a> {
    pub bytes: &'a [u8],
    pub origin: &'a Origin,
    pub at: Position,
    /// Matches whose secret starts here belong to this piece; the others
    /// are reported by a neighbour.
    pub owned: Range<usize>,
}

impl<'a> Piece<'a> {
    /// A whole input in one piece.
    pub fn whole(bytes: &'a [u8], origin: &'a Origin) -> Piece<'a> {
        Piece {
            bytes,
            origin,
            at: Position::default(),
            owned: 0..bytes.len(),
        }
    }
}

/// What a stream delivered before it ended.
#[derive(Debug)]
pub struct Streamed {
    /// Bytes read and scanned.
    pub bytes: u64,
    /// The read error that ended it early, if any.
    pub error: Option<io::Error>,
}

/// Reads `reader` to its end in pieces of `chunking`, calling `visit` on
/// each. `first` sees the first piece's bytes before it is visited and may
/// refuse the input (the binary probe); then nothing is visited.
pub fn stream(
    mut reader: impl Read,
    origin: &Origin,
    chunking: Chunking,
    first: impl FnOnce(&[u8]) -> bool,
    visit: &mut dyn FnMut(Piece<'_>),
) -> Result<Streamed, io::Error> {
    let overlap = chunking.overlap();
    let mut buf: Vec<u8> = Vec::with_capacity(chunking.chunk + overlap + 4);
    let mut at = Position::default();
    // Where the current piece's owned range begins.
    let mut owned_from = 0;
    let mut first = Some(first);
    let mut total = 0u64;
    loop {
        let kept = buf.len();
        let (eof, error) = fill(&mut reader, &mut buf, kept + chunking.chunk);
        total += (buf.len() - kept) as u64;
        if let Some(first) = first.take() {
            if buf.is_empty() {
                if let Some(e) = error {
                    // Nothing read at all: the input is unreadable.
                    return Err(e);
                }
            }
            if !first(&buf) {
                return Ok(Streamed {
                    bytes: 0,
                    error: None,
                });
            }
        }
        let done = eof || error.is_some();
        // A full piece (never the last) holds at least `overlap` bytes.
        let end = if done {
            buf.len()
        } else {
            buf.len() - chunking.reach
        };
        if owned_from < end {
            visit(Piece {
                bytes: &buf,
                origin,
                at,
                owned: owned_from..end,
            });
        }
        if done {
            return Ok(Streamed {
                bytes: total,
                error,
            });
        }
        // Keep the last `overlap` bytes (a few more, so the next piece
        // starts on a character boundary and its first line's columns add
        // up exactly) as the next piece's start.
        let drop = char_boundary_at_or_before(&buf, buf.len() - overlap);
        at.advance(&buf[..drop]);
        buf.copy_within(drop.., 0);
        let kept = buf.len() - drop;
        buf.truncate(kept);
        owned_from = end - drop;
    }
}

/// The largest `i <= at` that does not split a UTF-8 sequence (at most 3
/// bytes back; invalid UTF-8 is cut anywhere).
fn char_boundary_at_or_before(bytes: &[u8], at: usize) -> usize {
    (at.saturating_sub(3)..=at)
        .rev()
        .find(|&i| i == 0 || i >= bytes.len() || (bytes[i] & 0xC0) != 0x80)
        .unwrap_or(at)
}

/// Reads into `buf` until it holds `want` bytes or the input ends.
/// Returns whether the input ended, and the error that stopped reading.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> (bool, Option<io::Error>) {
    while buf.len() < want {
        let len = buf.len();
        buf.resize(want, 0);
        match reader.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return (true, None);
            }
            Ok(n) => buf.truncate(len + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => {
                buf.truncate(len);
                return (false, Some(e));
            }
        }
    }
    (false, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `input` as (file range, owned file range, position).
    fn pieces(input: &[u8], chunking: Chunking) -> Vec<(Range<u64>, Range<u64>, Position)> {
        let origin = Origin::Stdin;
        let mut out = Vec::new();
        let mut visit = |p: Piece<'_>| {
            let start = p.at.offset;
            out.push((
                start..start + p.bytes.len() as u64,
                start + p.owned.start as u64..start + p.owned.end as u64,
                p.at,
            ));
        };
        let done = stream(input, &origin, chunking, |_| true, &mut visit).expect("in memory");
        assert_eq!(done.bytes, input.len() as u64);
        out
    }

    #[test]
    fn owned_ranges_tile_the_input_with_reach_on_both_sides() {
        let input: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let chunking = Chunking::new(1000, 100);
        let got = pieces(&input, chunking);
        assert!(got.len() >= 10, "{} pieces", got.len());
        let mut next = 0;
        for (i, (bytes, owned, _)) in got.iter().enumerate() {
            assert_eq!(owned.start, next, "piece {i} starts where the last ended");
            assert!(bytes.end - bytes.start <= 1200);
            if i > 0 {
                assert!(owned.start >= bytes.start + 100);
            }
            if i + 1 < got.len() {
                assert!(owned.end + 100 <= bytes.end);
            }
            next = owned.end;
        }
        assert_eq!(next, input.len() as u64);
    }

    #[test]
    fn a_small_input_is_one_piece() {
        let got = pieces(b"short", Chunking::new(1000, 100));
        assert_eq!(got, vec![(0..5, 0..5, Position::default())]);
        assert!(pieces(b"", Chunking::new(1000, 100)).is_empty());
    }

    #[test]
    fn positions_count_lines_and_columns_before_each_piece() {
        // Lines of 7 bytes ("abcdef\n"), plus a multi-byte character.
        let mut input = Vec::new();
        for _ in 0..1000 {
            input.extend_from_slice("abcdé\n".as_bytes());
        }
        let got = pieces(&input, Chunking::new(500, 50));
        for (bytes, _, at) in got {
            let before = &input[..bytes.start as usize];
            assert_eq!(at.lines, before.iter().filter(|&&b| b == b'\n').count());
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let cols = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count();
            assert_eq!(at.columns, cols);
        }
    }

    #[test]
    fn pieces_of_a_long_multibyte_line_start_on_character_boundaries() {
        // One line of 2- and 3-byte characters, far longer than a chunk:
        // each piece's column offset counts whole characters.
        let input = "é€x".repeat(2000).into_bytes();
        let got = pieces(&input, Chunking::new(500, 50));
        assert!(got.len() > 10);
        for (bytes, _, at) in got {
            let before = &input[..bytes.start as usize];
            let text = std::str::from_utf8(before).expect("cut on a boundary");
            assert_eq!((at.lines, at.columns), (0, text.chars().count()));
        }
    }

    #[test]
    fn place_shifts_only_the_first_lines_columns() {
        let at = Position {
            offset: 100,
            lines: 9,
            columns: 4,
        };
        let loc = Location {
            line: 1,
            column: 2,
            end_line: 2,
            end_column: 3,
        };
        let placed = at.place(loc);
        assert_eq!(
            (
                placed.line,
                placed.column,
                placed.end_line,
                placed.end_column
            ),
            (10, 6, 11, 3)
        );
    }

    #[test]
    fn a_refused_first_piece_visits_nothing() {
        let origin = Origin::Stdin;
        let mut seen = 0;
        let input = vec![0u8; 5000];
        let done = stream(
            &input[..],
            &origin,
            Chunking::new(1000, 100),
            |_| false,
            &mut |_| seen += 1,
        )
        .expect("in memory");
        assert_eq!((seen, done.bytes), (0, 0));
    }
}

//! Streamed inputs find exactly what whole inputs find: every secret once,
//! at the same line and column, pairs paired across piece boundaries.
//!
//! The chunk size is made small (two reaches, the least the stream allows)
//! so that ordinary test files are cut into many pieces.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use keyhound::detect::Detector;
use keyhound::rules::{self, Confidence};
use keyhound::scan::{self, Input};
use keyhound::source::git::{self, HistoryOptions};
use keyhound::source::{Chunking, PathNamer, WalkOptions};

/// What a finding is, for comparing two scans: rule, place, secret
/// (by fingerprint), facts.
type Seen = (
    String,
    usize,
    usize,
    usize,
    usize,
    String,
    Vec<(String, String)>,
);

fn detector() -> Detector {
    Detector::new(&rules::builtin().expect("builtins load")).expect("detector builds")
}

/// A chunking that cuts inputs as finely as the detector allows.
fn fine(detector: &Detector) -> Chunking {
    Chunking::new(1, detector.context_reach())
}

/// A chunking under which every test input is one piece.
fn whole(detector: &Detector) -> Chunking {
    Chunking::new(1 << 40, detector.context_reach())
}

fn scan_bytes(detector: &Detector, bytes: &[u8], chunking: Chunking) -> Vec<Seen> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.log");
    std::fs::write(&path, bytes).unwrap();
    let walk = WalkOptions {
        chunking,
        ..WalkOptions::default()
    };
    let namer = PathNamer::for_roots(&[dir.path().to_path_buf()]);
    let outcome = scan::run(
        detector,
        &Input::Paths(vec![path]),
        &walk,
        &namer,
        Confidence::Low,
    )
    .expect("scan runs");
    assert!(
        outcome.stats.skipped.is_empty(),
        "{:?}",
        outcome.stats.skipped
    );
    assert_eq!(outcome.stats.bytes_scanned, bytes.len() as u64);
    outcome
        .findings
        .into_iter()
        .map(|f| {
            let l = f.location;
            (
                f.rule_id,
                l.line,
                l.column,
                l.end_line,
                l.end_column,
                f.fingerprint,
                f.facts.into_iter().collect(),
            )
        })
        .collect()
}

/// Filler lines: words, digits, a multi-byte character now and then, no
/// keyword of any rule (checked by scanning it alone).
fn filler(rng: &mut Rng, bytes: usize) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "lorem", "ipsum", "dolor", "sit", "amet", "row", "value", "count", "näive", "日本",
        "metric", "42",
    ];
    let mut out = Vec::with_capacity(bytes + 64);
    while out.len() < bytes {
        let words = rng.below(12) + 1;
        for w in 0..words {
            if w > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(WORDS[rng.below(WORDS.len())].as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// A small deterministic generator (xorshift64*), so failures repeat.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const AWS_ID: &str = "AKIAYTAZMROB6K6IVLAU"; // keyhound:allow (rule examples)
const AWS_LINE: &str = "aws_access_key_id = AKIAYTAZMROB6K6IVLAU\n"; // keyhound:allow (rule examples)
/// A bare secret is reported only when a key id is within 200 bytes.
const AWS_PAIR: &str = "AKIAYTAZMROB6K6IVLAU,CBfU9zyI49sBiZ0/516FUikyrspUWIpsvQX25vkP\n"; // keyhound:allow (rule examples)
const GITHUB_LINE: &str = "GITHUB_TOKEN=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\n"; // keyhound:allow (rule examples)

/// Puts `line` into `text` so that it starts at `at` (moved to the start of
/// the line holding `at`, so lines stay whole and columns are 1).
fn insert_line(text: &mut Vec<u8>, at: usize, line: &str) -> usize {
    let at = at.min(text.len());
    let start = text[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    text.splice(start..start, line.bytes());
    start
}

/// Puts `token` at exactly byte `at` (inside a line), with spaces round it
/// so word boundaries hold.
fn insert_at(text: &mut Vec<u8>, at: usize, token: &str) {
    let at = at.min(text.len());
    let mut piece = Vec::new();
    piece.push(b' ');
    piece.extend_from_slice(token.as_bytes());
    piece.push(b' ');
    text.splice(at..at, piece);
}

#[test]
fn filler_alone_finds_nothing() {
    let d = detector();
    let text = filler(&mut Rng(7), 200_000);
    assert!(scan_bytes(&d, &text, fine(&d)).is_empty());
}

#[test]
fn keys_at_start_middle_end_are_found_once_at_whole_file_lines() {
    let d = detector();
    let chunking = fine(&d);
    let mut text = filler(&mut Rng(1), 6 * chunking.chunk());
    let len = text.len();
    insert_line(&mut text, len, GITHUB_LINE);
    insert_line(&mut text, len / 2, AWS_LINE);
    insert_line(&mut text, 0, AWS_PAIR);
    let streamed = scan_bytes(&d, &text, chunking);
    let wholly = scan_bytes(&d, &text, whole(&d));
    assert_eq!(streamed, wholly);
    let rules: Vec<&str> = streamed.iter().map(|s| s.0.as_str()).collect();
    // Start: the id and its paired secret; middle: an id; end: a token.
    assert_eq!(
        rules,
        [
            "aws-access-key-id",
            "aws-secret-access-key",
            "aws-access-key-id",
            "github-token",
        ],
        "{streamed:#?}"
    );
    let last_line = text.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(streamed[3].1, last_line, "the token is on the last line");
}

/// The absolute offsets where the stream cuts: each piece's buffer ends at
/// `k * chunk`, the next one starts `2 * reach` before that, and ownership
/// passes at `k * chunk - reach` (up to 3 bytes earlier for UTF-8).
fn cuts(chunking: Chunking, len: usize) -> Vec<usize> {
    let (chunk, reach) = (chunking.chunk(), chunking.reach());
    (1..)
        .map(|k| k * chunk)
        .take_while(|&end| end < len)
        .flat_map(|end| [end - 2 * reach, end - reach, end])
        .collect()
}

#[test]
fn a_key_straddling_every_cut_is_found_once_at_the_same_place() {
    let d = detector();
    let chunking = fine(&d);
    let base = filler(&mut Rng(2), 3 * chunking.chunk());
    let mut cases = 0;
    for cut in cuts(chunking, base.len()) {
        for shift in [0usize, 1, 2, 10, 19, 20, 21, 39] {
            let mut text = base.clone();
            // The id's bytes run from cut - shift: across the cut.
            insert_at(&mut text, cut.saturating_sub(shift + 1), AWS_ID);
            let streamed = scan_bytes(&d, &text, chunking);
            let wholly = scan_bytes(&d, &text, whole(&d));
            assert_eq!(streamed, wholly, "cut {cut} shift {shift}");
            assert_eq!(streamed.len(), 1, "cut {cut} shift {shift}: {streamed:?}");
            cases += 1;
        }
    }
    assert!(cases >= 24);
}

#[test]
fn a_pair_split_by_a_cut_still_pairs() {
    let d = detector();
    let chunking = fine(&d);
    let base = filler(&mut Rng(3), 3 * chunking.chunk());
    for cut in cuts(chunking, base.len()) {
        // Key id before the cut, secret after it, 150 bytes apart.
        for gap in [1usize, 60, 150] {
            let mut text = base.clone();
            let secret = "CBfU9zyI49sBiZ0/516FUikyrspUWIpsvQX25vkP"; // keyhound:allow (rule examples)
            let line = format!("\n{AWS_ID}{}{secret}\n", " ".repeat(gap));
            let start = cut.saturating_sub(AWS_ID.len() + gap / 2);
            text.splice(start..start, line.bytes());
            let streamed = scan_bytes(&d, &text, chunking);
            assert_eq!(
                streamed,
                scan_bytes(&d, &text, whole(&d)),
                "cut {cut} gap {gap}"
            );
            let by_rule: BTreeMap<&str, &Seen> =
                streamed.iter().map(|s| (s.0.as_str(), s)).collect();
            let secret_seen = by_rule
                .get("aws-secret-access-key")
                .unwrap_or_else(|| panic!("cut {cut} gap {gap}: {streamed:?}"));
            assert!(
                secret_seen
                    .6
                    .contains(&("paired".to_string(), "true".to_string())),
                "{secret_seen:?}"
            );
        }
    }
}

/// Every rule example, for sprinkling into generated inputs.
fn examples() -> Vec<String> {
    let set = rules::builtin().unwrap();
    set.rules()
        .iter()
        .flat_map(|r| r.examples.iter().cloned())
        .filter(|e| !e.contains('\n') || e.ends_with('\n'))
        .collect()
}

#[test]
fn streamed_findings_equal_whole_findings_over_generated_inputs() {
    let d = detector();
    let reach = d.context_reach();
    let examples = examples();
    assert!(examples.len() > 100);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut found = 0;
    for round in 0..40 {
        // Chunks from the smallest allowed to a few times it; inputs of
        // one to a handful of chunks, dense with credentials.
        let chunking = Chunking::new(2 * reach + rng.below(3 * reach), reach);
        let len = chunking.chunk() / 2 + rng.below(5 * chunking.chunk());
        let mut text = filler(&mut rng, len);
        for _ in 0..(5 + rng.below(30)) {
            let at = rng.below(text.len());
            let example = &examples[rng.below(examples.len())];
            if rng.below(2) == 0 {
                insert_line(&mut text, at, &format!("{example}\n"));
            } else {
                // Mid-line, anywhere (even inside a multi-byte character's
                // line): the whole scan decides what counts.
                let at = (at..text.len())
                    .find(|&i| (text[i] & 0xC0) != 0x80)
                    .unwrap_or(text.len());
                text.splice(at..at, example.bytes());
            }
        }
        let streamed = scan_bytes(&d, &text, chunking);
        let wholly = scan_bytes(&d, &text, whole(&d));
        assert_eq!(
            streamed,
            wholly,
            "round {round}: chunk {} reach {reach} len {}",
            chunking.chunk(),
            text.len()
        );
        found += wholly.len();
    }
    assert!(found > 200, "the inputs hold credentials: {found}");
}

/// The binary streams standard input and large files with the chunk size
/// of `KEYHOUND_CHUNK_SIZE`, and reports what a whole read reports.
#[test]
fn the_binary_streams_files_and_stdin_with_keyhound_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = filler(&mut Rng(4), 1 << 20);
    let len = text.len();
    insert_line(&mut text, len, GITHUB_LINE);
    insert_line(&mut text, len / 3, AWS_PAIR);
    insert_line(&mut text, 0, AWS_LINE);
    std::fs::write(dir.path().join("big.log"), &text).unwrap();
    let run = |chunk: Option<&str>, stdin: bool| {
        let mut cmd = Command::new(support::BIN);
        support::clean_env(&mut cmd);
        cmd.current_dir(dir.path())
            .args(["scan", "--format", "json", "--all-locations"])
            .arg(if stdin { "-" } else { "big.log" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if let Some(c) = chunk {
            cmd.env("KEYHOUND_CHUNK_SIZE", c);
        }
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if stdin {
            input.write_all(&text).unwrap();
        }
        drop(input);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", support::stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let places: Vec<(String, u64, u64)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(doc["stats"]["bytes_scanned"], text.len() as u64);
        places
    };
    let reference = run(None, false);
    assert_eq!(reference.len(), 4, "{reference:?}");
    assert_eq!(run(Some("4096"), false), reference);
    assert_eq!(run(Some("4096"), true), reference);
    assert_eq!(run(None, true), reference);
}

/// (rule, line, column, path) of a history finding's place.
type HistoryPlace = (String, usize, usize, String);

/// Findings of a full-history scan of `dir` and its skips, as (rule,
/// line, column, path) and (path, reason).
fn scan_history(
    detector: &Detector,
    dir: &std::path::Path,
    options: &HistoryOptions,
) -> (Vec<HistoryPlace>, Vec<(String, String)>) {
    let repo = git::open(dir).expect("repository opens");
    let outcome = scan::run_git(
        detector,
        &repo,
        &scan::GitScope::Full { branch: None },
        options,
        Confidence::Low,
        false,
    )
    .expect("history scan runs");
    let mut found: Vec<_> = outcome
        .findings
        .iter()
        .flat_map(|f| {
            let mut places = vec![(f.location, f.path().to_string())];
            places.extend(
                f.locations
                    .iter()
                    .map(|p| (p.location, p.origin.display_path().to_string())),
            );
            places
                .into_iter()
                .map(|(l, p)| (f.rule_id.clone(), l.line, l.column, p))
        })
        .collect();
    found.sort();
    found.dedup();
    let skips = outcome
        .stats
        .skipped
        .iter()
        .map(|s| (s.path.clone(), s.reason.as_str().to_string()))
        .collect();
    (found, skips)
}

#[test]
fn large_git_blobs_are_streamed_loose_and_packed_with_whole_blob_lines() {
    let d = detector();
    let chunking = fine(&d);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::git(root, &["init", "-q"]);
    let mut text = filler(&mut Rng(5), 4 * chunking.chunk());
    let len = text.len();
    insert_line(&mut text, len, GITHUB_LINE);
    // Across the first piece's end.
    insert_at(&mut text, chunking.chunk() - 8, AWS_ID);
    insert_line(&mut text, 0, AWS_PAIR);
    std::fs::write(root.join("dump.sql"), &text).unwrap();
    support::git(root, &["add", "-A"]);
    support::git(root, &["commit", "-q", "-m", "dump"]);

    let streamed = HistoryOptions {
        in_memory_limit: 64 * 1024,
        chunking,
        threads: 2,
        ..HistoryOptions::default()
    };
    let whole = HistoryOptions {
        in_memory_limit: u64::MAX,
        threads: 2,
        ..HistoryOptions::default()
    };
    let (reference, skips) = scan_history(&d, root, &whole);
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(reference.len(), 4, "{reference:#?}");
    assert!(reference.iter().all(|f| f.3 == "dump.sql"));
    // Loose: inflated from the object file as it is scanned.
    assert_eq!(
        scan_history(&d, root, &streamed),
        (reference.clone(), vec![])
    );
    // Packed whole (the only blob): inflated from the pack as it is scanned.
    support::git(root, &["repack", "-a", "-d", "-q"]);
    support::git(root, &["prune-packed"]);
    assert!(
        std::fs::read_dir(root.join(".git/objects/pack"))
            .unwrap()
            .count()
            >= 2
    );
    assert_eq!(
        scan_history(&d, root, &streamed),
        (reference.clone(), vec![])
    );

    // A second version differing at its end becomes a delta of the first
    // in a pack: built in memory, so over the limit it is skipped, with
    // the reason.
    text.extend_from_slice(b"one more line\n");
    std::fs::write(root.join("dump.sql"), &text).unwrap();
    support::git(root, &["commit", "-q", "-am", "more"]);
    support::git(root, &["repack", "-a", "-d", "-f", "-q"]);
    let (found, skips) = scan_history(&d, root, &streamed);
    assert_eq!(skips.len(), 1, "{skips:?}");
    assert_eq!(skips[0].1, "too_large");
    // The other version (the delta base or the delta) is still scanned.
    assert!(!found.is_empty());
}

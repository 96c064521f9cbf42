//! Microbenchmark of the keyword prefilter alone, over every file under a
//! directory (read into memory first, so only the search is timed):
//!
//!     cargo run --release --example prefilter_bench -- DIR [MODES]
//!
//! MODES (default `aqt`): `a` the old search (leftmost-longest DFA,
//! restarted one byte after each hit), `q` the striped search the detector
//! uses now (a copy of `detect::Keywords`, which is private), `t` Teddy
//! over the lowercased blob and the keywords' distinct prefixes (`PLEN`
//! bytes, default 4; Teddy takes at most 128 patterns). Each mode reports
//! ns per byte and whether its hits equal mode `a`'s. `KEYWORDS=FILE`
//! searches the keywords listed in FILE instead of the built-in rules'.
use std::time::Instant;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{packed, AhoCorasickBuilder, Anchored, MatchKind};

type Hits = Vec<Vec<(usize, usize)>>;

fn walk(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            walk(&e.path(), out)
        } else if ft.is_file() {
            out.push(std::fs::read(e.path()).unwrap())
        }
    }
}

fn report(name: &str, t: Instant, total: usize, hits: &Hits, reference: &Hits) {
    let d = t.elapsed();
    let n: usize = hits.iter().map(Vec::len).sum();
    let same = if reference.is_empty() {
        String::new()
    } else {
        format!(", identical to a: {}", hits == reference)
    };
    eprintln!(
        "{name}: {d:?}, {:.3} ns/B, {n} hits{same}",
        d.as_nanos() as f64 / total as f64
    );
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: prefilter_bench DIR [MODES]");
    let mode = std::env::args().nth(2).unwrap_or_else(|| "aqt".into());
    let mut files = Vec::new();
    walk(std::path::Path::new(&dir), &mut files);
    let total: usize = files.iter().map(Vec::len).sum();
    // KEYWORDS=FILE (one keyword a line) searches another keyword set with
    // the same binary, e.g. an older release's (`rules list --json`), so
    // two rule sets compare in one run.
    let listed: Vec<String> = match std::env::var("KEYWORDS") {
        Ok(path) => std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        Err(_) => {
            let set = keyhound::rules::builtin().unwrap();
            set.rules()
                .iter()
                .flat_map(|r| r.keywords.iter().cloned())
                .collect()
        }
    };
    let mut kws: Vec<Vec<u8>> = Vec::new();
    for k in listed {
        let k = k.to_ascii_lowercase().into_bytes();
        if !kws.contains(&k) {
            kws.push(k)
        }
    }
    eprintln!(
        "{} files, {} MiB, {} keywords",
        files.len(),
        total >> 20,
        kws.len()
    );

    let mut reference: Hits = Vec::new();
    if mode.contains('a') {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&kws)
            .unwrap();
        let t = Instant::now();
        let mut hits: Hits = Vec::new();
        for f in &files {
            let mut v = Vec::new();
            let mut at = 0;
            while let Some(h) = ac.find(aho_corasick::Input::new(f).span(at..f.len())) {
                at = h.start() + 1;
                v.push((h.start(), h.pattern().as_usize()));
            }
            hits.push(v);
        }
        report(
            "a: leftmost-longest DFA, restarts",
            t,
            total,
            &hits,
            &reference,
        );
        reference = hits;
    }
    if mode.contains('q') {
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&kws)
            .unwrap();
        let len: Vec<usize> = kws.iter().map(Vec::len).collect();
        let longest = len.iter().copied().max().unwrap();
        let start = dfa.start_state(Anchored::No).unwrap();
        let record = |s: StateID, at: usize, lo: usize, hi: usize, v: &mut Vec<(usize, usize)>| {
            for m in 0..dfa.match_len(s) {
                let p = dfa.match_pattern(s, m).as_usize();
                let st = at + 1 - len[p];
                if (lo..hi).contains(&st) {
                    v.push((st, p));
                }
            }
        };
        let t = Instant::now();
        let mut hits: Hits = Vec::new();
        for f in &files {
            let mut v = Vec::new();
            let n = f.len();
            let tail =
                |from: usize, to: usize, lo: usize, hi: usize, mut s: StateID, v: &mut Vec<_>| {
                    for (at, &b) in f.iter().enumerate().take(to).skip(from) {
                        s = dfa.next_state(Anchored::No, s, b);
                        if dfa.is_match(s) {
                            record(s, at, lo, hi, v);
                        }
                    }
                };
            if n < 256 {
                tail(0, n, 0, n, start, &mut v);
            } else {
                let q = n / 4;
                let own = [0, q, 2 * q, 3 * q, n];
                let (a, b, c, d) = (&f[..q], &f[q..2 * q], &f[2 * q..3 * q], &f[3 * q..4 * q]);
                let mut s = [start; 4];
                for i in 0..q {
                    s[0] = dfa.next_state(Anchored::No, s[0], a[i]);
                    s[1] = dfa.next_state(Anchored::No, s[1], b[i]);
                    s[2] = dfa.next_state(Anchored::No, s[2], c[i]);
                    s[3] = dfa.next_state(Anchored::No, s[3], d[i]);
                    if s.iter().any(|&x| dfa.is_match(x)) {
                        for k in 0..4 {
                            if dfa.is_match(s[k]) {
                                record(s[k], own[k] + i, own[k], own[k + 1], &mut v);
                            }
                        }
                    }
                }
                for k in 0..4 {
                    let end = (own[k + 1] + longest - 1).min(n);
                    tail(own[k] + q, end, own[k], own[k + 1], s[k], &mut v);
                }
            }
            v.sort_unstable_by_key(|&(s, p)| (s, std::cmp::Reverse(len[p])));
            v.dedup_by_key(|x| x.0);
            hits.push(v);
        }
        report(
            "q: standard DFA, 4 stretches at once",
            t,
            total,
            &hits,
            &reference,
        );
    }
    if mode.contains('t') {
        let plen: usize = std::env::var("PLEN")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4);
        let mut prefixes: Vec<&[u8]> = kws.iter().map(|k| &k[..k.len().min(plen)]).collect();
        prefixes.sort();
        prefixes.dedup();
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .heuristic_pattern_limits(false)
            .builder()
            .extend(&prefixes)
            .build()
            .expect("Teddy takes at most 128 patterns");
        // Keywords by their first 3 bytes (all are at least 3), longest first.
        let mut groups: std::collections::HashMap<[u8; 3], Vec<usize>> = Default::default();
        for (i, k) in kws.iter().enumerate() {
            groups.entry([k[0], k[1], k[2]]).or_default().push(i);
        }
        for g in groups.values_mut() {
            g.sort_by_key(|&i| std::cmp::Reverse(kws[i].len()));
        }
        eprintln!("t: {} prefixes of {plen} bytes", prefixes.len());
        let t = Instant::now();
        let mut buf = Vec::new();
        let mut hits: Hits = Vec::new();
        for f in &files {
            buf.clear();
            buf.extend(f.iter().map(u8::to_ascii_lowercase));
            let mut v = Vec::new();
            let mut at = 0;
            while let Some(h) = teddy.find_in(&buf, aho_corasick::Span::from(at..buf.len())) {
                let p = h.start();
                at = p + 1;
                let g = &groups[&[buf[p], buf[p + 1], buf[p + 2]]];
                if let Some(&i) = g.iter().find(|&&i| buf[p..].starts_with(&kws[i])) {
                    v.push((p, i));
                }
            }
            hits.push(v);
        }
        report(
            "t: lowercase + Teddy on prefixes",
            t,
            total,
            &hits,
            &reference,
        );
    }
}

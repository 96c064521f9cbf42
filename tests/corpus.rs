//! The labeled corpus: every expected finding is found, nothing else is.
//!
//! `corpus/expected.jsonl` lists each expected finding as
//! `{"path", "line", "rule_id", "confidence"}` (path relative to `corpus/`);
//! `corpus/traps.jsonl` lists the false-positive traps as
//! `{"path", "line", "kind"}`. The scan runs at `--confidence low` and is
//! compared with the whole manifest, then at the default (`medium`) and
//! compared with the entries whose confidence is medium or high.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use keyhound::detect::Detector;
use keyhound::rules::{self, Confidence};
use keyhound::scan::{self, Input};
use keyhound::source::{PathNamer, WalkOptions};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

#[derive(serde::Deserialize)]
struct Expected {
    path: String,
    line: usize,
    rule_id: String,
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
struct Trap {
    path: String,
    line: usize,
    kind: String,
}

fn read_jsonl<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
    let path = corpus_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1)))
        .collect()
}

type Key = (String, usize, String);

fn scan_corpus(confidence: Confidence) -> BTreeSet<Key> {
    let set = rules::builtin().expect("builtin rules load");
    let detector = Detector::new(&set).expect("detector builds");
    let root = corpus_dir();
    let walk = WalkOptions {
        hidden: true,
        no_ignore: true,
        exclude: vec![
            "expected.jsonl".into(),
            "traps.jsonl".into(),
            "tools/**".into(),
        ],
        ..WalkOptions::default()
    };
    let namer = PathNamer::for_roots(std::slice::from_ref(&root));
    let outcome = scan::run(
        &detector,
        &Input::Paths(vec![root]),
        &walk,
        &namer,
        confidence,
    )
    .expect("corpus scan runs");
    assert!(
        outcome.stats.skipped.iter().all(|s| !s.reason.is_warning()),
        "corpus files skipped: {:?}",
        outcome.stats.skipped
    );
    outcome
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .map(|f| (f.path().to_string(), f.location.line, f.rule_id.clone()))
        .collect()
}

/// Compares, prints precision/recall per provider, and returns the
/// missing and extra findings.
fn compare(label: &str, expected: &BTreeSet<Key>, found: &BTreeSet<Key>) -> Vec<String> {
    let set = rules::builtin().expect("builtin rules load");
    let provider = |rule: &str| {
        set.get(rule)
            .map_or("?", |r| r.provider.as_str())
            .to_string()
    };
    let mut per: BTreeMap<String, [usize; 3]> = BTreeMap::new(); // tp, fp, fn
    let mut problems = Vec::new();
    for k in found.union(expected) {
        let slot = per.entry(provider(&k.2)).or_default();
        match (expected.contains(k), found.contains(k)) {
            (true, true) => slot[0] += 1,
            (false, true) => {
                slot[1] += 1;
                problems.push(format!("[{label}] extra:   {}:{} {}", k.0, k.1, k.2));
            }
            (true, false) => {
                slot[2] += 1;
                problems.push(format!("[{label}] missing: {}:{} {}", k.0, k.1, k.2));
            }
            (false, false) => {}
        }
    }
    println!("corpus at confidence {label}:");
    for (p, [tp, fp, fnn]) in &per {
        let precision = *tp as f64 / (*tp + *fp).max(1) as f64;
        let recall = *tp as f64 / (*tp + *fnn).max(1) as f64;
        println!(
            "  {p:<14} precision {:>6.2}%  recall {:>6.2}%  ({tp} found, {fp} extra, {fnn} missing)",
            precision * 100.0,
            recall * 100.0
        );
    }
    problems
}

#[test]
fn corpus_matches_manifest_exactly() {
    let expected: Vec<Expected> = read_jsonl("expected.jsonl");
    let all: BTreeSet<Key> = expected
        .iter()
        .map(|e| (e.path.clone(), e.line, e.rule_id.clone()))
        .collect();
    assert_eq!(all.len(), expected.len(), "duplicate manifest entries");
    let default: BTreeSet<Key> = expected
        .iter()
        .filter(|e| e.confidence >= Confidence::Medium)
        .map(|e| (e.path.clone(), e.line, e.rule_id.clone()))
        .collect();

    let mut problems = compare("low", &all, &scan_corpus(Confidence::Low));
    problems.extend(compare(
        "medium",
        &default,
        &scan_corpus(Confidence::Medium),
    ));
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_is_big_and_varied_enough() {
    let expected: Vec<Expected> = read_jsonl("expected.jsonl");
    let traps: Vec<Trap> = read_jsonl("traps.jsonl");
    let types: BTreeSet<&str> = expected.iter().map(|e| e.rule_id.as_str()).collect();
    assert!(expected.len() >= 200, "{} positives", expected.len());
    assert!(types.len() >= 25, "{} credential types", types.len());
    assert!(traps.len() >= 300, "{} traps", traps.len());
    // Every labeled location exists.
    for (path, line) in expected
        .iter()
        .map(|e| (&e.path, e.line))
        .chain(traps.iter().map(|t| (&t.path, t.line)))
    {
        let text =
            std::fs::read(corpus_dir().join(path)).unwrap_or_else(|e| panic!("corpus/{path}: {e}"));
        let lines = text.split(|&b| b == b'\n').count();
        assert!(
            line >= 1 && line <= lines,
            "corpus/{path}:{line} out of range"
        );
    }
    let kinds: BTreeSet<&str> = traps.iter().map(|t| t.kind.as_str()).collect();
    println!(
        "{} positives of {} types; {} traps of {} kinds",
        expected.len(),
        types.len(),
        traps.len(),
        kinds.len()
    );
}

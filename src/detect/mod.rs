//! The detector: bytes in, matches out.
//!
//! 1. **Prefilter.** One Aho-Corasick DFA over every keyword of every rule
//!    (ASCII case-insensitive) finds where any rule could match; it runs
//!    over four stretches of a blob at once (`Keywords`).
//! 2. **Windows.** Each hit becomes a window of the owning rules' `max_span`
//!    either side; overlapping windows of one rule merge, so a file with a
//!    thousand hits runs each regex over each region once. The regex sees
//!    the window as a span of the whole blob, so `^`, `$` and `\b` at a
//!    window's edge look at the real neighbouring bytes.
//! 3. **Regex**, compiled the first time its rule fires: a scan that finds
//!    no keyword compiles nothing.
//! 4. **Confirm:** known-public values, entropy, placeholders, stopwords,
//!    then the rule's structural check ([`checks`]).
//! 5. **Relate:** pairing (a rule that needs a partner nearby) and
//!    superseding (a specific rule replaces a generic one on the same bytes).
//!    Known public values (`allow_secrets`, a check's `known_public`) take
//!    part in superseding and are then dropped, so a published test key
//!    file silences the generic rules on its bytes too.
//!
//! The detector knows nothing of files, git or reports.

pub mod checks;
mod derive;
pub mod examples;
mod filters;

use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::Input;

use crate::rules::{Confidence, Rule, RuleSet, Severity};

use checks::{CheckFn, CheckInput};

/// Bytes added to each side of a window beyond the rule's `max_span`.
const WINDOW_SLACK: usize = 16;

/// A confirmed candidate secret in a blob.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the rule in the detector's rule list ([`Detector::rule`]).
    pub rule: usize,
    /// The whole regex match.
    pub whole: Range<usize>,
    /// The `secret` capture.
    pub secret: Range<usize>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Facts from the structural check, and pairing.
    pub facts: Vec<(&'static str, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("rule {rule} ({origin}): unknown check `{check}`; known checks: {known}")]
    UnknownCheck {
        rule: String,
        origin: String,
        check: String,
        known: String,
    },
    #[error("cannot build the keyword prefilter: {0}")]
    Prefilter(String),
    #[error(transparent)]
    Rules(#[from] crate::rules::RuleError),
}

/// A rule ready to scan with.
struct Compiled {
    rule: Rule,
    /// Compiled on first use; `None` if the pattern does not compile (only
    /// possible for builtins, which `cargo test` compiles).
    regex: OnceLock<Option<Regex>>,
    check: Option<CheckFn>,
    /// `(partner rule index, within, required)`.
    pair: Option<(usize, usize, bool)>,
    /// Rules this one replaces on overlapping secrets.
    supersedes: Vec<usize>,
    /// Lowercased stopwords.
    stopwords: Vec<Vec<u8>>,
    allow: HashSet<Vec<u8>>,
}

impl Compiled {
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| match crate::rules::regex::compile(&self.rule.regex) {
                Ok(re) => Some(re),
                Err(e) => {
                    eprintln!(
                        "keyhound: warning: rule {} ({}) disabled: {e}",
                        self.rule.id, self.rule.origin
                    );
                    None
                }
            })
            .as_ref()
    }
}

/// Built once per run from a [`RuleSet`]; shared by every scanning thread.
pub struct Detector {
    rules: Vec<Compiled>,
    prefilter: Keywords,
    /// Aho-Corasick pattern id → rules owning that keyword.
    owners: Vec<Vec<usize>>,
    now: i64,
}

/// A regex match that passed the per-match filters, before pairing.
struct Candidate {
    m: Match,
    /// The regex's `context` group took part: the match stands on its own
    /// context words even if the rule wants a partner.
    has_context: bool,
    /// A known public value (`allow_secrets`, or a check's verdict): never
    /// reported and never a pairing partner, but it supersedes like any
    /// match, so a generic rule does not report the same bytes.
    public: bool,
}

impl Detector {
    /// Builds the prefilter and resolves checks and cross-rule references.
    pub fn new(set: &RuleSet) -> Result<Detector, DetectError> {
        set.validate_references()?;
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut rules = Vec::with_capacity(set.len());
        for (i, rule) in set.rules().iter().enumerate() {
            for kw in &rule.keywords {
                let key = kw.to_ascii_lowercase().into_bytes();
                let id = *index.entry(key.clone()).or_insert_with(|| {
                    keywords.push(key);
                    owners.push(Vec::new());
                    owners.len() - 1
                });
                if !owners[id].contains(&i) {
                    owners[id].push(i);
                }
            }
            let check = match &rule.check {
                None => None,
                Some(name) => {
                    Some(
                        checks::lookup(name).ok_or_else(|| DetectError::UnknownCheck {
                            rule: rule.id.clone(),
                            origin: rule.origin.clone(),
                            check: name.clone(),
                            known: checks::names().collect::<Vec<_>>().join(", "),
                        })?,
                    )
                }
            };
            let lookup = |id: &str| set.index_of(id).unwrap_or(usize::MAX);
            rules.push(Compiled {
                pair: rule
                    .pair
                    .as_ref()
                    .map(|p| (lookup(&p.rule), p.within, p.required)),
                supersedes: rule.supersedes.iter().map(|s| lookup(s)).collect(),
                stopwords: rule
                    .stopwords
                    .iter()
                    .map(|s| s.to_ascii_lowercase().into_bytes())
                    .collect(),
                allow: rule
                    .allow_secrets
                    .iter()
                    .map(|s| s.as_bytes().to_vec())
                    .collect(),
                check,
                regex: OnceLock::new(),
                rule: rule.clone(),
            });
        }
        // The search below reports, at each position, only the longest
        // keyword starting there; a keyword contained in another is
        // covered by giving the longer one its owners too.
        let contained: Vec<(usize, usize)> = (0..keywords.len())
            .flat_map(|outer| (0..keywords.len()).map(move |inner| (outer, inner)))
            .filter(|&(outer, inner)| {
                outer != inner && memchr::memmem::find(&keywords[outer], &keywords[inner]).is_some()
            })
            .collect();
        for (outer, inner) in contained {
            for rule in owners[inner].clone() {
                if !owners[outer].contains(&rule) {
                    owners[outer].push(rule);
                }
            }
        }
        let prefilter = Keywords::new(&keywords)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Ok(Detector {
            rules,
            prefilter,
            owners,
            now,
        })
    }

    /// Pins "now" (seconds since the epoch) for expiry checks; for tests.
    pub fn with_now(mut self, now: i64) -> Detector {
        self.now = now;
        self
    }

    /// The rule behind a [`Match::rule`] index.
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index].rule
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// How far from a secret's start the detector can look, in bytes: a
    /// keyword within a rule's `max_span` of the match, that keyword's
    /// window (`max_span` plus slack either side of it), and a pairing
    /// partner `within` bytes away with a window of its own. A streamed
    /// input holding this much on both sides of a secret sees it exactly
    /// as a whole-input scan would (see `source::stream`).
    pub fn context_reach(&self) -> usize {
        let longest_keyword = self.prefilter.longest;
        let window = |c: &Compiled| 2 * (c.rule.max_span + WINDOW_SLACK) + longest_keyword;
        self.rules
            .iter()
            .map(|c| {
                let partner = c
                    .pair
                    .and_then(|(p, within, _)| Some(within + window(self.rules.get(p)?)))
                    .unwrap_or(0);
                window(c) + partner
            })
            .max()
            .unwrap_or(0)
    }

    /// Compiles every rule's regex now, returning the errors (for
    /// `rules check` and tests; scanning compiles lazily).
    pub fn compile_all(&self) -> Vec<(String, String)> {
        self.rules
            .iter()
            .filter_map(|c| {
                crate::rules::regex::compile(&c.rule.regex)
                    .err()
                    .map(|e| (c.rule.id.clone(), e))
            })
            .collect()
    }

    /// Finds every confirmed secret in `blob`, ordered by position.
    pub fn detect(&self, blob: &[u8]) -> Vec<Match> {
        self.detect_with(blob, &self.keyword_hits(blob))
    }

    /// The prefilter's keyword hits in `blob`, for [`Detector::detect_with`]
    /// and for deriving the hits of blobs made from it.
    pub fn keyword_hits(&self, blob: &[u8]) -> KeywordHits {
        KeywordHits(self.prefilter.hits(blob))
    }

    /// The keyword hits of `blob`, made of a base whose hits are `base` by
    /// copying the ranges `copies` (`(range in blob, start in the base)`, in
    /// blob order) and inserting every other byte: exactly
    /// [`Detector::keyword_hits`] of `blob`, reading only the inserted
    /// bytes and the bytes around each copy's ends (see [`derive`]).
    pub fn derive_hits(
        &self,
        blob: &[u8],
        base: &KeywordHits,
        copies: impl IntoIterator<Item = (Range<usize>, usize)>,
    ) -> KeywordHits {
        match self.prefilter.derive(blob, &base.0, copies) {
            Some(hits) => KeywordHits(hits),
            None => self.keyword_hits(blob),
        }
    }

    /// [`Detector::detect`] with the blob's keyword hits already known.
    pub fn detect_with(&self, blob: &[u8], hits: &KeywordHits) -> Vec<Match> {
        let windows = self.windows(blob, &hits.0);
        if windows.is_empty() {
            return Vec::new();
        }
        let mut candidates = Vec::new();
        for (rule, span) in windows {
            self.run_rule(rule, blob, span, &mut candidates);
        }
        self.relate(candidates)
    }

    /// Keyword hits → merged `(rule, window)` pairs, sorted by rule and start.
    fn windows(&self, blob: &[u8], hits: &[(usize, usize)]) -> Vec<(usize, Range<usize>)> {
        let mut raw: Vec<(usize, usize, usize)> = Vec::new();
        for &(start, pattern) in hits {
            let end = start + self.prefilter.len[pattern];
            for &rule in &self.owners[pattern] {
                // A little slack past max_span, so that a match reaching
                // exactly max_span still has its boundary byte in the window.
                let span = self.rules[rule].rule.max_span + WINDOW_SLACK;
                raw.push((
                    rule,
                    start.saturating_sub(span),
                    (end + span).min(blob.len()),
                ));
            }
        }
        raw.sort_unstable();
        let mut merged: Vec<(usize, Range<usize>)> = Vec::new();
        for (rule, start, end) in raw {
            match merged.last_mut() {
                Some((r, w)) if *r == rule && start <= w.end => w.end = w.end.max(end),
                _ => merged.push((rule, start..end)),
            }
        }
        merged
    }

    /// Runs one rule's regex over one window and filters each match.
    fn run_rule(&self, index: usize, blob: &[u8], span: Range<usize>, out: &mut Vec<Candidate>) {
        let compiled = &self.rules[index];
        let Some(re) = compiled.regex() else { return };
        let info = re.group_info();
        let names: Vec<(usize, &str)> = info
            .pattern_names(regex_automata::PatternID::ZERO)
            .enumerate()
            .filter_map(|(i, n)| n.map(|n| (i, n)))
            .collect();
        let input = Input::new(blob).range(span);
        for caps in re.captures_iter(input) {
            let Some(whole) = caps.get_match().map(|m| m.range()) else {
                continue;
            };
            let mut secret = None;
            let mut groups: Vec<(&str, Range<usize>)> = Vec::new();
            for &(i, name) in &names {
                if let Some(g) = caps.get_group(i) {
                    if name == "secret" {
                        secret = Some(g.range());
                    } else {
                        groups.push((name, g.range()));
                    }
                }
            }
            let Some(secret) = secret.filter(|s| !s.is_empty()) else {
                continue;
            };
            if let Some((m, public)) = self.confirm(index, blob, whole, secret, &groups) {
                let has_context = groups.iter().any(|(n, _)| *n == "context");
                out.push(Candidate {
                    m,
                    has_context,
                    public,
                });
            }
        }
    }

    /// The per-match filters, cheapest first, then the structural check.
    /// Returns the match and whether it is a known public value.
    fn confirm(
        &self,
        index: usize,
        blob: &[u8],
        whole: Range<usize>,
        secret: Range<usize>,
        groups: &[(&str, Range<usize>)],
    ) -> Option<(Match, bool)> {
        let c = &self.rules[index];
        let value = &blob[secret.clone()];
        let mut m = Match {
            rule: index,
            whole,
            secret,
            severity: c.rule.severity,
            confidence: c.rule.confidence,
            facts: Vec::new(),
        };
        if c.allow.contains(value) {
            return Some((m, true));
        }
        if filters::entropy(value) < c.rule.min_entropy {
            return None;
        }
        if filters::has_stopword(value, &c.stopwords) {
            return None;
        }
        if c.rule.placeholder_filter && filters::is_placeholder(value) {
            return None;
        }
        let mut public = false;
        if let Some(check) = c.check {
            let input = CheckInput {
                blob,
                whole: m.whole.clone(),
                secret: m.secret.clone(),
                groups,
                now: self.now,
            };
            let outcome = check(&input).ok()?;
            m.facts = outcome.facts;
            m.severity = outcome.severity.unwrap_or(m.severity);
            m.confidence = outcome.confidence.unwrap_or(m.confidence);
            public = outcome.known_public;
        }
        Some((m, public))
    }

    /// Pairing and superseding over all candidates of one blob.
    fn relate(&self, mut candidates: Vec<Candidate>) -> Vec<Match> {
        // One match per rule and secret span (merged windows can overlap
        // after a rule's regex reaches across a window edge).
        candidates.sort_by_key(|c| (c.m.secret.start, c.m.rule, c.m.secret.end));
        candidates.dedup_by(|a, b| a.m.rule == b.m.rule && a.m.secret == b.m.secret);

        // Pairing looks up partners by position, so a file with thousands
        // of matches costs n log n, not n².
        let before = NearIndex::new(candidates.iter().filter(|c| !c.public).map(|c| &c.m));
        let mut keep: Vec<bool> = candidates
            .iter()
            .map(|c| match self.rules[c.m.rule].pair {
                Some((partner, within, true)) => {
                    c.has_context || before.near(partner, &c.m.whole, within)
                }
                _ => true,
            })
            .collect();
        // Superseding: candidates are sorted by secret start, so the ones
        // overlapping candidate i are the following ones that start before
        // it ends.
        for i in 0..candidates.len() {
            let a = &candidates[i].m;
            for j in i + 1..candidates.len() {
                let b = &candidates[j].m;
                if b.secret.start >= a.secret.end {
                    break;
                }
                if keep[i] && self.rules[a.rule].supersedes.contains(&b.rule) {
                    keep[j] = false;
                }
                if keep[j] && self.rules[b.rule].supersedes.contains(&a.rule) {
                    keep[i] = false;
                }
            }
        }
        let mut out: Vec<Match> = candidates
            .into_iter()
            .zip(keep)
            .filter_map(|(c, k)| (k && !c.public).then_some(c.m))
            .collect();
        // Record that a partner was found, for reports and verification.
        let after = NearIndex::new(out.iter());
        for m in &mut out {
            if let Some((partner, within, _)) = self.rules[m.rule].pair {
                if after.near(partner, &m.whole, within) {
                    m.facts.push(("paired", "true".to_string()));
                }
            }
        }
        out
    }
}

/// Where the prefilter's keywords are in one blob: the longest keyword at
/// each position where one starts, sorted by start. Opaque outside the
/// detector; a history scan keeps a delta base's hits to derive its
/// deltas' hits from ([`Detector::derive_hits`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordHits(Vec<(usize, usize)>);

/// Blobs shorter than this are searched in one stretch: splitting them
/// saves nothing and the stretches' overlaps would be a large share.
const STRIPED_MIN: usize = 256;

/// The keyword search: at every position where some keyword starts (ASCII
/// case-insensitively), the longest keyword starting there.
///
/// This is what the detector has always asked for (it used to restart a
/// leftmost-longest search one byte after each hit), computed differently
/// for speed. A DFA's search loop waits on each transition's table load
/// before it can start the next, about 1.8 ns a byte here whatever the
/// automaton (aho-corasick's and regex-automata's DFAs measured the same).
/// So the blob is cut into four stretches and one plain (overlapping,
/// "standard") Aho-Corasick DFA walks all four in the same loop: the four
/// loads are independent and overlap, 0.7 ns a byte. Each stretch owns the
/// keyword starts inside it and scans on `longest keyword - 1` bytes past
/// its end, so a keyword crossing the cut is found by the stretch it starts
/// in. Starting a stretch in the DFA's start state is exact: an
/// Aho-Corasick automaton reports every occurrence that lies wholly after
/// where it started. A SIMD (Teddy) search was slower: 135 keywords are far
/// more than its buckets separate well.
struct Keywords {
    dfa: aho_corasick::dfa::DFA,
    /// Pattern id → keyword length.
    len: Vec<usize>,
    longest: usize,
    /// The unanchored start state, where each stretch begins.
    start: StateID,
}

impl Keywords {
    fn new(keywords: &[Vec<u8>]) -> Result<Keywords, DetectError> {
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // Its prefilter would skip ahead in one stretch at a time; the
            // striped loop below does better without.
            .prefilter(false)
            .build(keywords)
            .map_err(|e| DetectError::Prefilter(e.to_string()))?;
        let len: Vec<usize> = keywords.iter().map(Vec::len).collect();
        let longest = len.iter().copied().max().unwrap_or(0);
        let start = dfa
            .start_state(Anchored::No)
            .map_err(|e| DetectError::Prefilter(e.to_string()))?;
        Ok(Keywords {
            dfa,
            len,
            longest,
            start,
        })
    }

    /// `(start, pattern id)` of the longest keyword at each position where
    /// one starts, sorted by start.
    fn hits(&self, blob: &[u8]) -> Vec<(usize, usize)> {
        let mut hits = Vec::new();
        let start = self.start;
        let n = blob.len();
        if n < STRIPED_MIN {
            self.scan(blob, 0..n, 0..n, start, &mut hits);
        } else {
            let q = n / 4;
            // Stretch k owns starts in bounds[k]..bounds[k + 1]; every
            // stretch scans at least q bytes, the first q of them together.
            let bounds = [0, q, 2 * q, 3 * q, n];
            let (s0, s1, s2, s3) = (
                &blob[..q],
                &blob[q..2 * q],
                &blob[2 * q..3 * q],
                &blob[3 * q..4 * q],
            );
            let mut state = [start; 4];
            for i in 0..q {
                state[0] = self.dfa.next_state(Anchored::No, state[0], s0[i]);
                state[1] = self.dfa.next_state(Anchored::No, state[1], s1[i]);
                state[2] = self.dfa.next_state(Anchored::No, state[2], s2[i]);
                state[3] = self.dfa.next_state(Anchored::No, state[3], s3[i]);
                if state.iter().any(|&s| self.dfa.is_match(s)) {
                    for k in 0..4 {
                        let owned = bounds[k]..bounds[k + 1];
                        self.record(state[k], bounds[k] + i, &owned, &mut hits);
                    }
                }
            }
            for k in 0..4 {
                let owned = bounds[k]..bounds[k + 1];
                let end = (owned.end + self.longest.saturating_sub(1)).min(n);
                self.scan(blob, owned.start + q..end, owned, state[k], &mut hits);
            }
        }
        self.longest_per_start(&mut hits);
        hits
    }

    /// Sorts `hits` by start and keeps the longest keyword at each.
    fn longest_per_start(&self, hits: &mut Vec<(usize, usize)>) {
        hits.sort_unstable_by_key(|&(at, pattern)| (at, std::cmp::Reverse(self.len[pattern])));
        hits.dedup_by_key(|&mut (at, _)| at);
    }

    /// Runs the DFA from `state` over `blob[range]`, recording keywords
    /// that start in `owned`.
    fn scan(
        &self,
        blob: &[u8],
        range: Range<usize>,
        owned: Range<usize>,
        mut state: StateID,
        hits: &mut Vec<(usize, usize)>,
    ) {
        for at in range {
            state = self.dfa.next_state(Anchored::No, state, blob[at]);
            self.record(state, at, &owned, hits);
        }
    }

    /// The keywords ending at `at` (inclusive) in `state`, if they start in
    /// `owned`.
    fn record(
        &self,
        state: StateID,
        at: usize,
        owned: &Range<usize>,
        hits: &mut Vec<(usize, usize)>,
    ) {
        if !self.dfa.is_match(state) {
            return;
        }
        for i in 0..self.dfa.match_len(state) {
            let pattern = self.dfa.match_pattern(state, i).as_usize();
            // The DFA started no later than owned.start and reports only
            // keywords wholly inside what it read, so this cannot underflow.
            let start = at + 1 - self.len[pattern];
            if owned.contains(&start) {
                hits.push((start, pattern));
            }
        }
    }
}

/// Whole-match spans per rule, sorted by start, for "is there a match of
/// rule R within N bytes of this span" queries.
struct NearIndex {
    /// rule → (sorted spans, longest span length)
    by_rule: std::collections::HashMap<usize, (Vec<Range<usize>>, usize)>,
}

impl NearIndex {
    fn new<'a>(matches: impl Iterator<Item = &'a Match>) -> NearIndex {
        let mut by_rule: std::collections::HashMap<usize, (Vec<Range<usize>>, usize)> =
            std::collections::HashMap::new();
        for m in matches {
            let entry = by_rule.entry(m.rule).or_default();
            entry.1 = entry.1.max(m.whole.len());
            entry.0.push(m.whole.clone());
        }
        for (spans, _) in by_rule.values_mut() {
            spans.sort_unstable_by_key(|s| s.start);
        }
        NearIndex { by_rule }
    }

    fn near(&self, rule: usize, span: &Range<usize>, within: usize) -> bool {
        let Some((spans, longest)) = self.by_rule.get(&rule) else {
            return false;
        };
        // Candidates start no later than span.end + within and no earlier
        // than span.start - within - longest.
        let hi = spans.partition_point(|s| s.start <= span.end + within);
        let lo_start = span.start.saturating_sub(within + longest);
        let lo = spans.partition_point(|s| s.start < lo_start);
        spans[lo..hi].iter().any(|s| distance(s, span) <= within)
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Bytes between two spans (0 when they overlap or touch).
fn distance(a: &Range<usize>, b: &Range<usize>) -> usize {
    if overlaps(a, b) {
        0
    } else if a.end <= b.start {
        b.start - a.end
    } else {
        a.start - b.end
    }
}

#[cfg(test)]
mod tests;

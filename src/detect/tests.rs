use super::*;
use crate::rules::{parse_rules, Compile};

fn detector(toml: &str) -> Detector {
    let mut set = RuleSet::default();
    set.extend(parse_rules(toml, "test.toml", Compile::Now).unwrap())
        .unwrap();
    Detector::new(&set).unwrap()
}

const TOKEN_RULES: &str = r#"
[[rule]]
id = "tok-id"
name = "Token id"
provider = "t"
description = "d"
severity = "high"
confidence = "high"
keywords = ["TKID"]
regex = '''(?-u:\b)(?P<secret>TKID[A-Z2-7]{16})(?-u:\b)'''
max_span = 32
pair = { rule = "tok-secret", within = 100 }

[[rule]]
id = "tok-secret"
name = "Token secret"
provider = "t"
description = "d"
severity = "high"
confidence = "high"
keywords = ["tok_secret", "TKID"]
regex = '''(?:(?P<context>(?i)tok_secret)\s*=\s*)?(?:^|[^A-Za-z0-9+/])(?P<secret>[A-Za-z0-9+/]{24})(?:[^A-Za-z0-9+/=]|$)'''
min_entropy = 3.5
max_span = 120
pair = { rule = "tok-id", within = 80, required = true }

[[rule]]
id = "generic-tok"
name = "Generic"
provider = "t"
description = "d"
severity = "low"
confidence = "low"
keywords = ["TKID"]
regex = '''(?P<secret>TKID[A-Z0-9]{16})'''

[[rule]]
id = "specific-tok"
name = "Specific"
provider = "t"
description = "d"
severity = "high"
confidence = "high"
keywords = ["TKID"]
regex = '''(?P<secret>TKIDQ[A-Z0-9]{15})'''
supersedes = ["generic-tok"]
"#;

fn found(d: &Detector, blob: &[u8]) -> Vec<(String, String)> {
    d.detect(blob)
        .into_iter()
        .map(|m| {
            (
                d.rule(m.rule).id.clone(),
                String::from_utf8_lossy(&blob[m.secret]).into_owned(),
            )
        })
        .collect()
}

#[test]
fn nothing_without_keywords_and_nothing_compiled() {
    let d = detector(TOKEN_RULES);
    assert!(d.detect(b"plain text with no anchors at all").is_empty());
    assert!(d.rules.iter().all(|c| c.regex.get().is_none()));
}

#[test]
fn keyword_matching_is_ascii_case_insensitive_but_regex_decides() {
    let d = detector(TOKEN_RULES);
    // The keyword matches case-insensitively; the id regex is upper-case only.
    assert!(found(&d, b"x = tkidabcdefghijklmnop").is_empty());
    let hits = found(&d, b"id: TKIDQ7LMZ3RPWX4HNCYE\n");
    assert!(hits.contains(&("tok-id".into(), "TKIDQ7LMZ3RPWX4HNCYE".into())));
}

#[test]
fn paired_secret_needs_partner_or_context() {
    let d = detector(TOKEN_RULES);
    let secret = "Zm9vYmFyYmF6cXV4MTIzNDU2"; // keyhound:allow
                                             // Bare 24-char value next to an id: kept thanks to the pair.
    let blob = format!("TKIDQ7LMZ3RPWX4HNCYE {secret}\n");
    assert!(found(&d, blob.as_bytes()).contains(&("tok-secret".into(), secret.into())));
    // The same value with neither an id nearby nor context words: dropped.
    let far = format!("TKIDQ7LMZ3RPWX4HNCYE{}{secret}\n", " ".repeat(100));
    assert!(!found(&d, far.as_bytes())
        .iter()
        .any(|(r, _)| r == "tok-secret"));
    // With its context words it stands alone.
    let ctx = format!("tok_secret = {secret}\n");
    assert_eq!(
        found(&d, ctx.as_bytes()),
        vec![("tok-secret".into(), secret.into())]
    );
}

#[test]
fn pairing_is_recorded_as_a_fact() {
    let d = detector(TOKEN_RULES);
    let blob = b"TKIDQ7LMZ3RPWX4HNCYE Zm9vYmFyYmF6cXV4MTIzNDU2\n";
    let ms = d.detect(blob);
    let id = ms.iter().find(|m| d.rule(m.rule).id == "tok-id").unwrap();
    assert!(id.facts.contains(&("paired", "true".into())));
}

#[test]
fn specific_rule_supersedes_generic_on_same_bytes() {
    let d = detector(TOKEN_RULES);
    let ids: Vec<String> = found(&d, b"TKIDQ7LMZ3RPWX4HNCYE")
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert!(ids.contains(&"specific-tok".to_string()));
    assert!(!ids.contains(&"generic-tok".to_string()));
    // Where the specific rule does not match, the generic one stays.
    let ids: Vec<String> = found(&d, b"TKIDA7LMZ3RPWX4HNCYE")
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert!(ids.contains(&"generic-tok".to_string()));
}

#[test]
fn a_known_public_value_is_not_reported_and_still_supersedes() {
    // The specific rule knows this exact value is public: neither it nor
    // the generic rule it supersedes reports those bytes.
    let rules = TOKEN_RULES.replace(
        "supersedes = [\"generic-tok\"]",
        "supersedes = [\"generic-tok\"]\nallow_secrets = [\"TKIDQ7LMZ3RPWX4HNCYE\"]",
    );
    let d = detector(&rules);
    let ids = |blob: &[u8]| -> Vec<String> {
        found(&d, blob)
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| r.ends_with("-tok"))
            .collect()
    };
    assert_eq!(ids(b"TKIDQ7LMZ3RPWX4HNCYE"), Vec::<String>::new());
    // Another value of the same shape is reported as before.
    assert_eq!(
        ids(b"TKIDQ8LMZ3RPWX4HNCYE"),
        vec!["specific-tok".to_string()]
    );
}

#[test]
fn window_edges_see_real_neighbours() {
    // The keyword's window starts inside a long alphanumeric run. If the
    // cut looked like a start of text, part of the run's tail would match
    // as a 24-character token.
    let d = detector(
        r#"
[[rule]]
id = "edge"
name = "Edge"
provider = "t"
description = "d"
severity = "high"
confidence = "high"
keywords = ["zzkw"]
regex = '''(?:^|[^A-Za-z0-9])(?P<secret>[A-Za-z0-9]{24})(?:[^A-Za-z0-9]|$)'''
max_span = 50
"#,
    );
    let run: String = (0..100)
        .map(|i| (b"q7Wm2Xk9Lp4Rz8Nv3Tb6"[i % 20]) as char)
        .collect();
    let blob = format!("{run}{}zzkw", " ".repeat(26));
    assert!(found(&d, blob.as_bytes()).is_empty());
    // A real 24-character token in the same place is found.
    let blob = format!("{} {}{}zzkw", &run[..70], &run[..24], " ".repeat(26));
    assert_eq!(found(&d, blob.as_bytes()).len(), 1);
}

#[test]
fn many_hits_in_one_blob_are_found_once_each() {
    let d = detector(TOKEN_RULES);
    let mut blob = String::new();
    for i in 0..500 {
        blob.push_str(&format!("k{i} = TKIDA2345ABCDEFG{:04}\n", i));
    }
    let generic = found(&d, blob.as_bytes())
        .into_iter()
        .filter(|(r, _)| r == "generic-tok")
        .count();
    assert_eq!(generic, 500);
}

#[test]
fn entropy_and_placeholders_filter_candidates() {
    let d = detector(TOKEN_RULES);
    // Low entropy secret.
    assert!(found(&d, b"tok_secret = aaaaaaaaaaaabbbbbbbbbbbb\n").is_empty());
    // Placeholder shape.
    assert!(found(&d, b"tok_secret = xxxxYmFyYmF6cXV4MTIzNDU2\n").is_empty());
}

#[test]
fn invalid_utf8_is_scanned_as_bytes() {
    let d = detector(TOKEN_RULES);
    let mut blob = vec![0xff, 0xfe, b'\n'];
    blob.extend_from_slice(b"TKIDQ7LMZ3RPWX4HNCYE");
    blob.push(0x80);
    assert!(!d.detect(&blob).is_empty());
}

#[test]
fn unknown_check_is_an_error() {
    let toml = TOKEN_RULES.replacen("max_span = 32", "max_span = 32\ncheck = \"no-such\"", 1);
    let mut set = RuleSet::default();
    set.extend(parse_rules(&toml, "t.toml", Compile::Now).unwrap())
        .unwrap();
    let err = Detector::new(&set).err().unwrap().to_string();
    assert!(err.contains("unknown check `no-such`"), "{err}");
}

#[test]
fn overlapping_and_contained_keywords_all_fire() {
    // "ab_key" contains "key"; "key_id" overlaps "ab_key" ("ab_key_id").
    let rule = |id: &str, kw: &str| {
        format!(
            r#"
[[rule]]
id = "{id}"
name = "n"
provider = "t"
description = "d"
severity = "high"
confidence = "high"
keywords = ["{kw}"]
regex = '''{kw}=(?P<secret>[0-9]{{4}})'''
"#
        )
    };
    let d = detector(&format!(
        "{}{}{}",
        rule("outer", "ab_key"),
        rule("inner", "key"),
        rule("overlap", "key_id")
    ));
    let ids = |blob: &[u8]| -> Vec<String> {
        let mut v: Vec<String> = found(&d, blob).into_iter().map(|(r, _)| r).collect();
        v.sort();
        v
    };
    // "key=5678" inside "ab_key=5678" is a match of the inner rule too.
    assert_eq!(
        ids(b"key=1234 ab_key=5678"),
        vec!["inner", "inner", "outer"]
    );
    assert_eq!(ids(b"x ab_key_id=9012"), vec!["overlap"]);
    assert_eq!(ids(b"AB_KEY=5678"), Vec::<String>::new()); // regex is case-sensitive
}

/// The old keyword search: leftmost-longest, restarting one byte after each
/// hit's start. The striped search must give exactly its hits.
fn reference_hits(keywords: &[Vec<u8>], blob: &[u8]) -> Vec<(usize, usize)> {
    let ac = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(keywords)
        .unwrap();
    let mut hits = Vec::new();
    let mut at = 0;
    while let Some(hit) = ac.find(aho_corasick::Input::new(blob).span(at..blob.len())) {
        at = hit.start() + 1;
        hits.push((hit.start(), hit.pattern().as_usize()));
    }
    hits
}

#[test]
fn striped_keyword_search_equals_leftmost_longest_restarts() {
    let keywords = builtin_keywords();
    let search = Keywords::new(&keywords).unwrap();
    // xorshift: a fixed, dependency-free stream of blobs.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut total_hits = 0;
    for round in 0..400 {
        let len = [0, 3, 100, 255, 256, 257, 1000, 5000][round % 8] + (next() % 64) as usize;
        let mut blob: Vec<u8> = (0..len)
            .map(|_| b"aAsSeEkK_-=~ .\n"[(next() % 15) as usize])
            .collect();
        // Keywords (in random case, some cut short) at random places and
        // across the four stretches' boundaries.
        let q = len / 4;
        let mut places: Vec<usize> = (0..len / 40)
            .map(|_| (next() as usize) % len.max(1))
            .collect();
        places.extend(
            [q, 2 * q, 3 * q]
                .iter()
                .map(|b| b.saturating_sub((next() % 12) as usize)),
        );
        for at in places {
            let kw = &keywords[(next() as usize) % keywords.len()];
            let take = if next() % 4 == 0 {
                kw.len() - 1
            } else {
                kw.len()
            };
            for (i, &b) in kw[..take].iter().enumerate() {
                if let Some(slot) = blob.get_mut(at + i) {
                    *slot = if next() % 2 == 0 {
                        b.to_ascii_uppercase()
                    } else {
                        b
                    };
                }
            }
        }
        let expected = reference_hits(&keywords, &blob);
        total_hits += expected.len();
        assert_eq!(search.hits(&blob), expected, "round {round}, {len} bytes");
    }
    // The blobs did exercise the search.
    assert!(total_hits > 1000, "{total_hits} hits");
}

/// Every builtin keyword, lowercased, once.
fn builtin_keywords() -> Vec<Vec<u8>> {
    let set = crate::rules::builtin().unwrap();
    let mut keywords: Vec<Vec<u8>> = Vec::new();
    for rule in set.rules() {
        for kw in &rule.keywords {
            let kw = kw.to_ascii_lowercase().into_bytes();
            if !keywords.contains(&kw) {
                keywords.push(kw);
            }
        }
    }
    keywords
}

#[test]
fn derived_hits_of_a_delta_equal_its_full_search() {
    let keywords = builtin_keywords();
    let search = Keywords::new(&keywords).unwrap();
    // Keyword pairs where one is a proper prefix of the other: a copy that
    // cuts the longer one after the shorter one leaves only the shorter.
    let prefixed: Vec<(usize, usize)> = (0..keywords.len())
        .flat_map(|long| (0..keywords.len()).map(move |short| (long, short)))
        .filter(|&(long, short)| {
            keywords[long].len() > keywords[short].len()
                && keywords[long].starts_with(&keywords[short])
        })
        .collect();
    assert!(!prefixed.is_empty(), "no keyword is a prefix of another");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let filler = |next: &mut dyn FnMut() -> u64, len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| b"aAsSeEkK_-=~ .\n"[(next() % 15) as usize])
            .collect()
    };
    let (mut derived_hits, mut cut_short) = (0, 0);
    for round in 0..300 {
        // The base: filler with keywords, and long keywords with a shorter
        // prefix keyword, at known places.
        let len = 200 + (next() % 3000) as usize;
        let mut base = filler(&mut next, len);
        let mut planted: Vec<(usize, usize)> = Vec::new(); // (at, keyword)
        for _ in 0..len / 60 {
            let (long, short) = prefixed[(next() as usize) % prefixed.len()];
            let kw = if next() % 2 == 0 { long } else { short };
            let at = (next() as usize) % (len - keywords[kw].len());
            base[at..at + keywords[kw].len()].copy_from_slice(&keywords[kw]);
            planted.push((at, kw));
        }
        // The delta: copies that start or end inside planted keywords
        // (often right after the shorter prefix of a longer one), whole
        // copies, and inserts of filler, keywords and keyword halves.
        let mut blob = Vec::new();
        let mut copies: Vec<(Range<usize>, usize)> = Vec::new();
        for _ in 0..1 + next() % 12 {
            match next() % 5 {
                0 | 1 => {
                    let (at, kw) = planted[(next() as usize) % planted.len()];
                    let kwlen = keywords[kw].len();
                    let from = at.saturating_sub((next() % 80) as usize);
                    let cut = match prefixed.iter().find(|&&(long, _)| long == kw) {
                        Some(&(_, short)) if next() % 2 == 0 => keywords[short].len(),
                        _ => 1 + (next() as usize) % kwlen,
                    };
                    let end = at + cut;
                    copies.push((blob.len()..blob.len() + end - from, from));
                    blob.extend_from_slice(&base[from..end]);
                }
                2 => {
                    let (at, kw) = planted[(next() as usize) % planted.len()];
                    let from = at + 1 + (next() as usize) % (keywords[kw].len() - 1);
                    let end = (from + (next() % 200) as usize).min(len);
                    copies.push((blob.len()..blob.len() + end - from, from));
                    blob.extend_from_slice(&base[from..end]);
                }
                3 => {
                    let from = (next() as usize) % len;
                    let end = (from + (next() % 400) as usize).min(len);
                    copies.push((blob.len()..blob.len() + end - from, from));
                    blob.extend_from_slice(&base[from..end]);
                }
                _ => {
                    let n = (next() % 30) as usize;
                    blob.extend(filler(&mut next, n));
                    let kw = &keywords[(next() as usize) % keywords.len()];
                    let piece = match next() % 3 {
                        0 => &kw[..],
                        1 => &kw[..(next() as usize) % kw.len()],
                        _ => &kw[(next() as usize) % kw.len()..],
                    };
                    blob.extend_from_slice(piece);
                }
            }
        }
        copies.retain(|(to, _)| !to.is_empty());
        let base_hits = search.hits(&base);
        let expected = search.hits(&blob);
        let derived = search
            .derive_scanning_at_most(&blob, &base_hits, copies.iter().cloned(), usize::MAX)
            .unwrap();
        assert_eq!(derived, expected, "round {round}: copies {copies:?}");
        derived_hits += expected.len();
        // Count base hits cut off by a copy's end with a shorter keyword
        // still at the same start: the case only the boundary windows find.
        for (to, from) in &copies {
            let end = from + to.len();
            for &(at, p) in &base_hits {
                if at >= *from && at < end && at + search.len[p] > end {
                    let moved = to.start + (at - from);
                    cut_short += expected.iter().filter(|&&(a, _)| a == moved).count();
                }
            }
        }
    }
    assert!(derived_hits > 1000, "{derived_hits} hits");
    assert!(cut_short > 50, "{cut_short} cut-off keywords");
}

#[test]
fn derive_hits_falls_back_to_a_full_search_when_little_is_copied() {
    let d = Detector::new(&crate::rules::builtin().unwrap()).unwrap();
    let base = b"password = 1 ".repeat(40);
    let base_hits = d.keyword_hits(&base);
    assert!(!base_hits.0.is_empty());
    // All inserted: nothing to derive, the whole blob is searched.
    let blob = b"x api_key y".repeat(50);
    assert_eq!(
        d.derive_hits(&blob, &base_hits, std::iter::empty()),
        d.keyword_hits(&blob)
    );
    // One long copy and a small insert: derived.
    let mut blob = base.clone();
    blob.extend_from_slice(b" token");
    let copies = [(0..base.len(), 0)];
    assert_eq!(
        d.derive_hits(&blob, &base_hits, copies.iter().cloned()),
        d.keyword_hits(&blob)
    );
    assert!(d
        .prefilter
        .derive(&blob, &base_hits.0, copies.iter().cloned())
        .is_some());
}

#[test]
fn a_copy_that_cuts_a_longer_keyword_keeps_the_shorter_one_at_its_start() {
    let keywords = [b"secret".to_vec(), b"secret_access".to_vec()];
    let search = Keywords::new(&keywords).unwrap();
    let base = b"a long enough start, secret_access yy";
    let base_hits = search.hits(base);
    assert_eq!(base_hits, [(21, 1)]);
    // Copy up to "secret" (the base's hit at 21 runs past the copy's end),
    // then insert other bytes: only "secret" starts at 21 now, and only the
    // window around the copy's end can see it.
    for insert in [&b"_zzz"[..], b"", b"_acc", b" secret"] {
        let mut blob = base[..27].to_vec();
        blob.extend_from_slice(insert);
        let derived = search
            .derive_scanning_at_most(&blob, &base_hits, [(0..27, 0)], usize::MAX)
            .unwrap();
        assert_eq!(derived, search.hits(&blob), "{insert:?}");
        assert_eq!(derived[0], (21, 0));
    }
}

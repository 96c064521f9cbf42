//! Cheap filters every candidate passes before its structural check:
//! entropy, stopwords and the shared placeholder shapes.

/// Shannon entropy in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// ASCII case-insensitive substring test against pre-lowercased needles.
pub fn has_stopword(value: &[u8], lowered: &[Vec<u8>]) -> bool {
    !lowered.is_empty() && {
        let v = value.to_ascii_lowercase();
        lowered.iter().any(|w| contains(&v, w))
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(hay, needle).is_some()
}

/// Words that mark a value as documentation or a template, not a secret.
/// Random credentials essentially never contain them.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"xxxx",
    b"****",
    b"${",
    b"{{",
    b"<%",
    b"$(",
    b"your_",
    b"your-",
    b"yourkey",
    b"changeme",
    b"change_me",
    b"placeholder",
    b"redacted",
    b"replace_me",
    b"replaceme",
    b"insert_",
    b"dummy",
    b"fake_",
    b"notreal",
    b"not_a_real",
];

/// True for values shaped like a placeholder rather than a secret:
/// template syntax, `<angle>` slots, env-var references, filler words,
/// and values that are mostly one repeated or sequential run.
pub fn is_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| contains(&lower, w)) {
        return true;
    }
    match (value.first(), value.last()) {
        (Some(b'<'), Some(b'>')) | (Some(b'%'), Some(b'%')) => return true,
        (Some(b'$'), _) if value.len() > 1 && is_env_name(&value[1..]) => return true,
        _ => {}
    }
    let n = value.len();
    if longest_run(value, |a, b| a == b) >= (n / 3).max(8) {
        return true;
    }
    if longest_run(value, |a, b| b == a.wrapping_add(1)) >= (n / 2).max(6) {
        return true;
    }
    n >= 16 && distinct(value) <= 4
}

fn is_env_name(v: &[u8]) -> bool {
    v.iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
}

fn longest_run(v: &[u8], step: impl Fn(u8, u8) -> bool) -> usize {
    let (mut best, mut cur) = (usize::from(!v.is_empty()), 1);
    for w in v.windows(2) {
        if step(w[0], w[1]) {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 1;
        }
    }
    best
}

fn distinct(v: &[u8]) -> usize {
    let mut seen = [false; 256];
    v.iter().for_each(|&b| seen[b as usize] = true);
    seen.iter().filter(|&&s| s).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_random_above_repetitive() {
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(entropy(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9f3kQw1p") > 4.3);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            &b"AKIAXXXXXXXXXXXXXXXX"[..],
            b"${AWS_SECRET_ACCESS_KEY}",
            b"{{ secrets.KEY }}",
            b"<your-secret-here>",
            b"$AWS_SECRET",
            b"%APPDATA%",
            b"abcdefghijklmnopqrst",
            b"aaaaaaaaaaaaaaaaaaaaaaaa1",
            b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            b"abababababababababab",
        ] {
            assert!(is_placeholder(p), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn real_looking_values_pass() {
        for v in [
            &b"AKIAQYLPMN5HHHFPZAM2"[..],                // keyhound:allow
            b"9f3kQw1pwJalrXUtnFEMI/K7MDENGbPxRfiCYzzq", // keyhound:allow
            b"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", // keyhound:allow
            b"S3cure-Passw0rd!",
        ] {
            assert!(!is_placeholder(v), "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn stopwords_are_case_insensitive() {
        let words = vec![b"dummy".to_vec()];
        assert!(has_stopword(b"xyzDUMMYxyz", &words));
        assert!(!has_stopword(b"xyz", &words));
        assert!(!has_stopword(b"xyz", &[]));
    }
}

//! Properties every check must have: registered once, and no panic on any
//! input.

use super::testing::{run_full, NOW};
use super::{lookup, names, REGISTRY};

#[test]
fn registry_names_are_unique_and_resolve() {
    let all: Vec<&str> = names().collect();
    for (i, n) in all.iter().enumerate() {
        assert!(!all[i + 1..].contains(n), "duplicate check {n}");
        assert!(lookup(n).is_some());
    }
    assert!(lookup("no-such-check").is_none());
    assert_eq!(all.len(), 21);
}

/// xorshift64: deterministic garbage.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Prefixes that steer garbage into each check's deeper paths.
const PREFIXES: &[&[u8]] = &[
    b"",
    b"AKIA",
    b"ABSK",
    b"ABSKQmVkcm9ja0FQSUtleS",
    b"bedrock-api-key-",
    b"ghp_",
    b"github_pat_",
    b"eyJhbGciOiJIUzI1NiJ9.",
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA",
    b"-----BEGIN PGP PRIVATE KEY BLOCK-----",
    b"PuTTY-User-Key-File-2: ",
    b"LS0tLS1CRUdJT",
    b"SharedAccessSignature sr=",
    b"?sv=2020-01-01&se=2020-01-01T00%3A00&sig=",
    b"\"type\": \"service_account\", \"private_key\": \"",
    b"zzz8Q~",
    b"npm_",
    b"MTIzNDU2Nzg5MDEyMzQ1Njc4.",
    b"eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.",
    b"eyJhbGciOiJSUzI1NiJ9.eyJrdWJlcm5ldGVzLmlvIjp7fX0.",
];

const ALPHABETS: &[&[u8]] = &[
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
    b"abcdefghijklmnopqrstuvwxyz234567",
    b"-_.~:;&=%\\\"' \n\r\t+/",
];

fn garbage(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = PREFIXES[rng.below(PREFIXES.len())].to_vec();
    let mode = rng.below(3);
    let alphabet = ALPHABETS[rng.below(ALPHABETS.len())];
    for _ in 0..len {
        let b = match mode {
            0 => rng.next() as u8,
            _ => alphabet[rng.below(alphabet.len())],
        };
        out.push(b);
    }
    if rng.below(4) == 0 {
        out.extend_from_slice(b"\n-----END RSA PRIVATE KEY-----");
    }
    out
}

#[test]
fn no_check_panics_on_garbage() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let lens = [
        0usize, 1, 2, 3, 4, 5, 7, 16, 20, 36, 37, 40, 43, 44, 52, 56, 84, 88, 100, 300, 1500,
    ];
    for (name, check) in REGISTRY {
        // Empty blob and empty ranges.
        let _ = run_full(*check, b"", 0..0, &[], NOW);
        for &len in &lens {
            for _ in 0..40 {
                let blob = garbage(&mut rng, len);
                let n = blob.len();
                let a = rng.below(n + 1);
                let b = a + rng.below(n - a + 1);
                let groups = [("account", a..b)];
                for (range, now) in [(0..n, NOW), (a..b, i64::MIN), (a..b, i64::MAX)] {
                    let r = run_full(*check, &blob, range.clone(), &groups, now);
                    // Facts never repeat a long secret verbatim.
                    if let (Ok(out), true) = (&r, range.len() >= 16) {
                        let secret = String::from_utf8_lossy(&blob[range]).into_owned();
                        for (k, v) in &out.facts {
                            assert!(!v.contains(&secret), "{name}: fact {k} leaks the secret");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn exact_lengths_with_signatures_do_not_panic() {
    // Right length and signature, random content: the deepest paths.
    let mut rng = Rng(42);
    let b64 = ALPHABETS[0];
    let shapes: &[(usize, usize, &[u8])] = &[
        (88, 76, b"+ASt"),
        (88, 76, b"ACDb"),
        (56, 44, b"AzFu"),
        (52, 42, b"AzSe"),
        (44, 33, b"+ASb"),
        (84, 52, b"JQQJ99"),
        (88, 52, b"JQQJ99"),
    ];
    for &(len, at, sig) in shapes {
        for _ in 0..200 {
            let mut key: Vec<u8> = (0..len).map(|_| b64[rng.below(64)]).collect();
            key[at..at + sig.len()].copy_from_slice(sig);
            for (_, check) in REGISTRY {
                let _ = run_full(*check, &key, 0..len, &[], NOW);
            }
        }
    }
}

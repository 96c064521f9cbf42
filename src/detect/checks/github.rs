//! GitHub-format tokens. GitHub's classic-format tokens end in six base62
//! characters that encode the CRC32 of the random part, so a typo'd or
//! invented token fails offline; npm adopted the same format for its
//! access tokens (`npm_`, announced with the same checksum).

use super::util::{base62_decode, base62_encode};
use super::{CheckInput, Outcome, Rejection};

/// Prefixes and the `token_kind` each one means.
const KINDS: &[(&[u8], &str)] = &[
    (b"github_pat_", "fine-grained-pat"),
    (b"ghp_", "classic-pat"),
    (b"gho_", "oauth"),
    (b"ghu_", "user-to-server"),
    (b"ghs_", "server-to-server"),
    (b"ghr_", "refresh"),
];

/// The 6-character checksum of a token body (the characters between the
/// 4-character prefix and the checksum): CRC32 (IEEE) in base62, most
/// significant digit first, zero-padded. `ghp_` + body + this is a token
/// that passes the check.
pub fn github_checksum(body: &str) -> String {
    base62_encode(u64::from(crc32fast::hash(body.as_bytes())), 6)
}

/// `github-token`: verifies the checksum of `ghp_/gho_/ghu_/ghs_/ghr_`
/// tokens; fine-grained `github_pat_` tokens have no known checksum.
pub fn token(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    let (prefix, kind) = KINDS
        .iter()
        .find(|(p, _)| s.starts_with(p))
        .ok_or("unknown GitHub token prefix")?;
    let out = Outcome::default().fact("token_kind", *kind);
    if prefix.len() != 4 {
        return Ok(out);
    }
    checksum_ok(s, 4).map(|()| out)
}

/// True when the last six characters of `s` (after a prefix of
/// `prefix_len` bytes) are the base62 CRC32 of the body before them.
fn checksum_ok(s: &[u8], prefix_len: usize) -> Result<(), Rejection> {
    let Some(split) = s.len().checked_sub(6).filter(|&n| n > prefix_len) else {
        return Err("token too short".into());
    };
    let stored = base62_decode(&s[split..]).ok_or("checksum is not base62")?;
    if stored == u64::from(crc32fast::hash(&s[prefix_len..split])) {
        Ok(())
    } else {
        Err("checksum mismatch".into())
    }
}

/// `npm-token`: verifies the CRC32/base62 checksum of an `npm_` access
/// token (same layout as GitHub's: `npm_` + 30 random + 6 checksum).
pub fn npm_token(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    if !s.starts_with(b"npm_") {
        return Err("not an npm token".into());
    }
    checksum_ok(s, 4).map(|()| Outcome::default())
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn vectors_pass() {
        for t in [
            "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", // keyhound:allow
            "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", // keyhound:allow
        ] {
            let out = run(token, t).unwrap();
            assert_eq!(out.facts, vec![("token_kind", "classic-pat".into())]);
        }
        assert_eq!(github_checksum("IwdMx9WFWRRfMhTYiaVjZ78Jfuamvn"), "0YWRM0");
    }

    #[test]
    fn kinds_and_generated() {
        let body = "abcdefghijklmnopqrstuvwxyz0123";
        for (p, kind) in [
            ("gho_", "oauth"),
            ("ghu_", "user-to-server"),
            ("ghs_", "server-to-server"),
        ] {
            let t = format!("{p}{body}{}", github_checksum(body));
            let out = run(token, &t).unwrap();
            assert_eq!(out.facts, vec![("token_kind", kind.into())]);
        }
        let long = "A".repeat(70);
        let t = format!("ghr_{long}{}", github_checksum(&long));
        assert!(run(token, &t).is_ok());
        let fg = format!("github_pat_{}_{}", "1".repeat(22), "a".repeat(59));
        let out = run(token, &fg).unwrap();
        assert_eq!(out.facts, vec![("token_kind", "fine-grained-pat".into())]);
    }

    #[test]
    fn mismatches_rejected() {
        assert!(run(token, "ghp_IwdMx9WFWRRfMhTYiaVjZ78Jfuamvn0YWRM1").is_err());
        assert!(run(token, "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").is_err());
        assert!(run(token, "ghp_abc").is_err());
        assert!(run(token, "ghp_IwdMx9WFWRRfMhTYiaVjZ78Jfuamvn0YWR-0").is_err());
        assert!(run(token, "xyz_IwdMx9WFWRRfMhTYiaVjZ78Jfuamvn0YWRM0").is_err());
    }

    #[test]
    fn npm_tokens_carry_the_same_checksum() {
        let body = "Zq7RfX2mKp9LwT4vNc8HsJ3dBg6Ya1";
        let good = format!("npm_{body}{}", github_checksum(body));
        assert!(run(npm_token, &good).is_ok());
        let bad = format!(
            "npm_{body}{}",
            github_checksum("Zq7RfX2mKp9LwT4vNc8HsJ3dBg6Ya2")
        );
        assert_eq!(run(npm_token, &bad).unwrap_err(), "checksum mismatch");
        assert!(run(npm_token, "npm_abc").is_err());
        assert!(run(npm_token, &good.replace("npm_", "ghp_")).is_err());
    }
}

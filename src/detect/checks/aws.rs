//! AWS: access key ids (account decode, canaries), secret access keys
//! (shape filters), session tokens, and Bedrock API keys.

use super::util::{
    b64_loose, base32_decode, contains, find, parse_amz_date, percent_decode, query_pairs, text,
    with_expiry,
};
use super::{CheckInput, Outcome, Rejection};
use crate::rules::Confidence;

/// Thinkst Canarytokens, look-alike canary services and other known
/// honeypot accounts: keys from them are traps, and calling AWS with them
/// alerts whoever planted them.
const CANARY_ACCOUNTS: &[&str] = &[
    // Thinkst
    "052310077262",
    "171436882533",
    "534261010715",
    "595918472158",
    "717712589309",
    "819147034852",
    "992382622183",
    "730335385048",
    "266735846894",
    "893192397702",
    // look-alike canary services
    "044858866125",
    "251535659677",
    "344043088457",
    "351906852752",
    "390477818340",
    "426127672474",
    "427150556519",
    "439872796651",
    "445142720921",
    "465867158099",
    "637958123769",
    "693412236332",
    "732624840810",
    "735421457923",
    "959235150393",
    "982842642351",
    // further skip-listed accounts
    "528757803018",
    "538784191382",
    "729780141977",
];

/// Decodes the AWS account id embedded in an access key id (or any other
/// 4-character-prefixed unique id such as `AROA…`), as 12 zero-padded
/// digits.
///
/// Characters 5–20 are base32; bits 9..48 of the first six decoded bytes
/// hold the account. Old keys whose fifth character is `I` or `J` carry no
/// account and give `None`, as does anything that is not 20 characters of
/// base32 after the prefix.
pub fn aws_account_id(key_id: &str) -> Option<String> {
    let id = key_id.as_bytes();
    if id.len() != 20 || !id[..4].iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    if matches!(id[4].to_ascii_uppercase(), b'I' | b'J') {
        return None;
    }
    let b = base32_decode(&id[4..])?;
    let bytes = b.get(..6)?;
    let z = bytes.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let account = (z & 0x7FFF_FFFF_FF80) >> 7;
    Some(format!("{account:012}"))
}

/// Whether a 12-digit account id belongs to a known canary (honeytoken)
/// provider. Such keys must never be verified against AWS.
pub fn is_aws_canary_account(id: &str) -> bool {
    CANARY_ACCOUNTS.contains(&id)
}

/// Account id (and canary flag) facts for a key id.
fn account_facts(out: Outcome, key_id: &[u8]) -> Outcome {
    let Some(acct) = std::str::from_utf8(key_id).ok().and_then(aws_account_id) else {
        return out;
    };
    let canary = is_aws_canary_account(&acct);
    let out = out.fact("aws_account_id", acct);
    if canary {
        out.fact("canary", "true")
    } else {
        out
    }
}

/// `aws-access-key-id`: decodes the account, flags canaries, down-ranks
/// ids that cannot be base32 (real ids never contain 0, 1, 8 or 9) and
/// rejects a run of one repeated character.
pub fn access_key_id(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let id = input.secret_bytes();
    if id.len() != 20 || !id.iter().all(u8::is_ascii_alphanumeric) {
        return Err("not a 20-character key id".into());
    }
    let body = &id[4..];
    if body.iter().all(|&c| c == body[0]) {
        return Err("key id body is one repeated character".into());
    }
    let mut out = account_facts(Outcome::default(), id);
    if body.iter().any(|c| matches!(c, b'0' | b'1' | b'8' | b'9')) {
        out.confidence = Some(Confidence::Medium);
    }
    Ok(out)
}

/// `aws-secret-access-key`: drops 40-character shapes that are not keys:
/// hex digests (git SHA-1s), single-case words with no digit or symbol,
/// and the documentation's `…EXAMPLE…` keys.
pub fn secret_access_key(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    let b64 = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/');
    if s.len() != 40 || !s.iter().all(b64) {
        return Err("not 40 characters of the base64 alphabet".into());
    }
    let lower_hex = s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    let upper_hex = s.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'));
    if lower_hex || upper_hex {
        return Err("hexadecimal digest, not a secret key".into());
    }
    let digit_or_symbol = s.iter().any(|c| !c.is_ascii_alphabetic());
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let mixed_case = upper && lower;
    if !(digit_or_symbol || mixed_case) {
        return Err("single-case letters only".into());
    }
    if contains(s, b"EXAMPLE") {
        return Err("documentation example key".into());
    }
    Ok(Outcome::default())
}

/// `aws-session-token`: STS tokens carry base64 of "aws" (`YXdz`, older
/// tokens) or of "origin_ec" (`Jb3JpZ2luX2Vj`, current tokens).
pub fn session_token(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    if contains(s, b"YXdz") || contains(s, b"Jb3JpZ2luX2Vj") {
        Ok(Outcome::default())
    } else {
        Err("no STS token marker".into())
    }
}

/// `aws-bedrock-long-term`: `ABSK` + base64 of `BedrockAPIKey-…`. The
/// decoded service user name may end in `-at-<account>`.
pub fn bedrock_long_term(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    let body = s.strip_prefix(b"ABSK").ok_or("missing ABSK prefix")?;
    let decoded = b64_loose(body).ok_or("body is not base64")?;
    if !decoded.starts_with(b"BedrockAPIKey-") {
        return Err("does not decode to a Bedrock API key".into());
    }
    let mut out = Outcome::default();
    if let Some(acct) = account_after_at(&decoded) {
        out = out.fact("aws_account_id", acct);
    }
    Ok(out)
}

/// The first `-at-` followed by exactly 12 digits.
fn account_after_at(hay: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = find(&hay[from..], b"-at-") {
        let start = from + pos + 4;
        let n = hay[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 12 {
            return Some(text(&hay[start..start + 12]));
        }
        from = start;
    }
    None
}

/// `aws-bedrock-short-term`: `bedrock-api-key-` + base64 of a SigV4
/// presigned URL. Its date and lifetime say whether it is still usable;
/// its credential's key id gives the account.
pub fn bedrock_short_term(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    let body = s
        .strip_prefix(b"bedrock-api-key-")
        .ok_or("missing bedrock-api-key- prefix")?;
    let url = b64_loose(body).ok_or("body is not base64")?;
    if !contains(&url, b"X-Amz-Algorithm=AWS4-HMAC-SHA256") {
        return Err("not a SigV4 presigned URL".into());
    }
    let mut date = None;
    let mut lifetime = None;
    let mut key_id = None;
    for (k, v) in query_pairs(&url) {
        match k {
            b"X-Amz-Date" => date = parse_amz_date(&percent_decode(v)),
            b"X-Amz-Expires" => {
                lifetime = std::str::from_utf8(v)
                    .ok()
                    .and_then(|t| t.parse::<i64>().ok())
            }
            b"X-Amz-Credential" => {
                let v = percent_decode(v);
                let end = v.iter().position(|&c| c == b'/').unwrap_or(v.len());
                key_id = Some(v[..end].to_vec());
            }
            _ => {}
        }
    }
    let (Some(date), Some(lifetime)) = (date, lifetime) else {
        return Err("presigned URL lacks X-Amz-Date or X-Amz-Expires".into());
    };
    let expires = date.checked_add(lifetime).ok_or("expiry out of range")?;
    let mut out = with_expiry(Outcome::default(), expires, input.now);
    if let Some(id) = key_id {
        out = account_facts(out, &id);
    }
    Ok(out)
}

/// Builds a `bedrock-api-key-…` value for tests.
#[cfg(test)]
pub(crate) fn make_short_term(key_id: &str, amz_date: &str, expires: u32) -> String {
    let token = "IQoJb3JpZ2luX2Vj"; // keyhound:allow (test value)
    let url = format!(
        "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential={key_id}%2F20250801%2Fus-east-1%2Fbedrock%2Faws4_request\
         &X-Amz-Date={amz_date}&X-Amz-Expires={expires}&X-Amz-Security-Token={token}\
         &X-Amz-Signature=00aa&Version=1"
    );
    format!(
        "bedrock-api-key-{}",
        super::util::b64_encode(url.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;
    use crate::rules::Severity;

    #[test]
    fn account_ids_decode() {
        assert_eq!(
            aws_account_id("AKIAXYZDQCEN4B6JSJQI").as_deref(), // keyhound:allow
            Some("534261010715")
        );
        assert_eq!(
            aws_account_id("AKIARZPUZDIKK2J7GGFG").as_deref(), // keyhound:allow
            Some("123456789012")
        );
        assert_eq!(aws_account_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(aws_account_id("AKIAJOSFODNN7EXAMPLE"), None);
        assert_eq!(aws_account_id("AKIARZPUZDIKK2J7GGF"), None);
        assert_eq!(aws_account_id("AKIAR0PUZDIKK2J7GGFG"), None); // keyhound:allow
        assert_eq!(aws_account_id(""), None);
    }

    #[test]
    fn canaries() {
        assert!(is_aws_canary_account("534261010715"));
        assert!(is_aws_canary_account("982842642351"));
        assert!(is_aws_canary_account("729780141977"));
        assert!(!is_aws_canary_account("123456789012"));
    }

    #[test]
    fn access_key_id_check() {
        let out = run(access_key_id, "AKIAXYZDQCEN4B6JSJQI").unwrap(); // keyhound:allow
        assert!(out
            .facts
            .contains(&("aws_account_id", "534261010715".into())));
        assert!(out.facts.contains(&("canary", "true".into())));
        assert_eq!(out.confidence, None);

        let out = run(access_key_id, "AKIARZPUZDIKK2J7GGFG").unwrap(); // keyhound:allow
        assert_eq!(out.facts, vec![("aws_account_id", "123456789012".into())]);

        let out = run(access_key_id, "AKIAIOSFODNN7EXAMPLE").unwrap();
        assert!(out.facts.is_empty());

        let out = run(access_key_id, "AKIARZPUZDIKK2J7GG18").unwrap(); // keyhound:allow
        assert_eq!(out.confidence, Some(Confidence::Medium));

        assert!(run(access_key_id, "ABIARZPUZDIKK2J7GGFG").is_ok()); // keyhound:allow
        assert!(run(access_key_id, "ACCARZPUZDIKK2J7GGFG").is_ok()); // keyhound:allow
        assert!(run(access_key_id, "AKIAAAAAAAAAAAAAAAAA").is_err());
        assert!(run(access_key_id, "AKIA").is_err());
    }

    #[test]
    fn secret_access_key_check() {
        assert!(run(
            secret_access_key,
            "9dRw0cPq3K+fj2Ls/Qa7ZbT1nXv8YeUh4GmWk6Ji"
        )
        .is_ok());
        assert!(run(
            secret_access_key,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        )
        .is_err());
        assert!(run(
            secret_access_key,
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
        )
        .is_err());
        assert!(run(
            secret_access_key,
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmn"
        )
        .is_err());
        assert!(run(
            secret_access_key,
            "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN"
        )
        .is_err());
        assert!(run(
            secret_access_key,
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
        )
        .is_ok());
        assert!(run(
            secret_access_key,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        )
        .is_err());
        assert!(run(secret_access_key, "short").is_err());
    }

    #[test]
    fn session_token_check() {
        assert!(run(
            session_token,
            "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH"
        )
        .is_ok());
        assert!(run(session_token, "FwoGZXIvYXdzEBYaDGx0c2xvZ2luZXhhbXBsZQ").is_ok());
        assert!(run(session_token, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=").is_err());
    }

    #[test]
    fn bedrock_long_term_check() {
        let key = format!(
            "ABSK{}",
            super::super::util::b64_encode(b"BedrockAPIKey-ab12-at-123456789012:c2VjcmV0c2VjcmV0")
        );
        let out = run(bedrock_long_term, key.trim_end_matches('=')).unwrap();
        assert_eq!(out.facts, vec![("aws_account_id", "123456789012".into())]);
        assert!(key.starts_with("ABSKQmVkcm9ja0FQSUtleS"));

        let no_acct = format!(
            "ABSK{}",
            super::super::util::b64_encode(b"BedrockAPIKey-ab12-at-1234:xyz")
        );
        assert!(run(bedrock_long_term, &no_acct).unwrap().facts.is_empty());

        let other = format!(
            "ABSK{}",
            super::super::util::b64_encode(b"SomethingElse-123")
        );
        assert!(run(bedrock_long_term, &other).is_err());
        assert!(run(bedrock_long_term, "ABSK!!!!").is_err());
    }

    #[test]
    fn bedrock_short_term_check() {
        let key = make_short_term("AKIARZPUZDIKK2J7GGFG", "20250801T120000Z", 43_200); // keyhound:allow
                                                                                       // 2025-08-01T12:00:00Z = 1754049600; expires 12 h later.
        let live = run_at(bedrock_short_term, &key, 1_754_049_600 + 60).unwrap();
        assert!(live
            .facts
            .contains(&("expires_at", "2025-08-02T00:00:00Z".into())));
        assert!(live.facts.contains(&("expired", "false".into())));
        assert!(live
            .facts
            .contains(&("aws_account_id", "123456789012".into())));
        assert_eq!(live.severity, None);

        let dead = run_at(bedrock_short_term, &key, 1_754_049_600 + 43_200 + 1).unwrap();
        assert!(dead.facts.contains(&("expired", "true".into())));
        assert_eq!(dead.severity, Some(Severity::Low));

        let junk = format!(
            "bedrock-api-key-{}",
            super::super::util::b64_encode(b"https://example.com/?a=b")
        );
        assert!(run(bedrock_short_term, &junk).is_err());
        let no_date = format!(
            "bedrock-api-key-{}",
            super::super::util::b64_encode(b"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=5")
        );
        assert!(run(bedrock_short_term, &no_date).is_err());
    }

    fn run_at(
        f: super::super::CheckFn,
        secret: &str,
        now: i64,
    ) -> Result<Outcome, super::super::Rejection> {
        super::super::testing::run_full(f, secret.as_bytes(), 0..secret.len(), &[], now)
    }
}

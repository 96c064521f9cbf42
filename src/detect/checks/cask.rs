//! Microsoft Common Annotated Security Keys (CASK, "HIS v2"): 84 base62
//! characters with a fixed `JQQJ9x` marker, an issue month, a provider
//! signature and a Marvin32 checksum (new Azure DevOps PATs, Azure OpenAI
//! keys, …).

use super::marvin::{marvin32, DEFAULT0};
use super::util::{b64_encode, b64_std, BASE62};
use super::{CheckInput, Outcome, Rejection};

/// `Base62.Net`-style rendering of a byte string: the bytes read as one
/// big-endian number, written in base 62 most significant digit first,
/// one leading `0` digit per leading zero byte.
fn base62_bytes(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    let mut num: Vec<u8> = bytes[zeros..].to_vec();
    let mut digits = Vec::new();
    while !num.is_empty() {
        // Long division of the base-256 number by 62.
        let mut rem: u32 = 0;
        let mut quotient = Vec::with_capacity(num.len());
        for &b in &num {
            let acc = (rem << 8) | u32::from(b);
            let q = acc / 62;
            rem = acc % 62;
            if !(quotient.is_empty() && q == 0) {
                quotient.push(q as u8);
            }
        }
        digits.push(BASE62[rem as usize]);
        num = quotient;
    }
    digits.extend(std::iter::repeat_n(b'0', zeros));
    digits.reverse();
    String::from_utf8_lossy(&digits).into_owned()
}

/// The two renderings of a checksum value a CASK key may carry.
fn renderings(first80: &[u8]) -> Option<(String, String)> {
    let data = b64_std(first80.get(..80)?)?;
    let sum = marvin32(DEFAULT0, &data).to_le_bytes();
    let mut b62 = base62_bytes(&sum);
    while b62.len() < 6 {
        b62.push('0');
    }
    b62.truncate(4);
    let mut b64 = b64_encode(&sum[..3]);
    b64.truncate(4);
    Some((b62, b64))
}

/// The 4-character checksum for the first 80 characters of a CASK key
/// (Marvin32 with seed `Default0` over their base64 decoding), for
/// building valid test keys: append it to `first80`.
///
/// Returns the base62 rendering (the one the published keys use); an empty
/// string if `first80` is not 80 base64 characters.
pub fn cask_checksum(first80: &str) -> String {
    renderings(first80.as_bytes())
        .map(|(b62, _)| b62)
        .unwrap_or_default()
}

/// Whether a CASK key's checksum holds, in either rendering.
fn checksum_ok(key: &[u8]) -> bool {
    let (Some(head), Some(sum)) = (key.get(..80), key.get(80..84)) else {
        return false;
    };
    renderings(head).is_some_and(|(b62, b64)| sum == b62.as_bytes() || sum == b64.as_bytes())
}

/// `azure-cask`: checks layout and checksum; reports the provider and the
/// month the key was issued.
pub fn cask(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    let key = match s.len() {
        84 => s,
        88 if s.ends_with(b"==") => &s[..84],
        _ => return Err("not 84 (or 88) characters".into()),
    };
    if !key.iter().all(u8::is_ascii_alphanumeric) {
        return Err("not base62".into());
    }
    if !key[52..57].eq(b"JQQJ9") || !matches!(key[57], b'9' | b'D' | b'H') {
        return Err("no CASK marker".into());
    }
    if !checksum_ok(key) {
        return Err("CASK checksum mismatch".into());
    }
    let signature = &key[76..80];
    let kind = match signature {
        b"AZDO" => "devops-pat".to_string(),
        b"ACOG" => "openai".to_string(),
        other => String::from_utf8_lossy(other).to_ascii_lowercase(),
    };
    let mut out = Outcome::default().fact("azure_key_kind", kind);
    if let Some(month) = issued(key[58], key[59]) {
        out = out.fact("issued", month);
    }
    Ok(out)
}

/// `YYYY-MM` from the year letter (`A` = 2024, `a` = 2050) and the month
/// letter (`A` = January … `L` = December).
fn issued(year: u8, month: u8) -> Option<String> {
    let y = match year {
        b'A'..=b'Z' => 2024 + u32::from(year - b'A'),
        b'a'..=b'z' => 2050 + u32::from(year - b'a'),
        _ => return None,
    };
    let m = match month {
        b'A'..=b'L' => 1 + u32::from(month - b'A'),
        _ => return None,
    };
    Some(format!("{y}-{m:02}"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    const PAT: &str =
        "6RtqHqPc66Y6DYbkydbrrFJTYnRoA7r40ts7LWS2SkINSFsRABxhJQQJ99BFACAAAAALGcqjAAASAZDO3eqU"; // keyhound:allow

    #[test]
    fn devops_pat_vector() {
        assert_eq!(cask_checksum(&PAT[..80]), &PAT[80..]);
        let out = run(cask, PAT).unwrap();
        assert_eq!(
            out.facts,
            vec![
                ("azure_key_kind", "devops-pat".into()),
                ("issued", "2025-06".into())
            ]
        );
        assert!(run(cask, &format!("{PAT}ab==")).is_ok());
    }

    #[test]
    fn failures() {
        let bad = PAT.replacen('6', "7", 1);
        assert!(run(cask, &bad).is_err());
        let marker = PAT.replace("JQQJ99", "JQQJ98");
        assert!(run(cask, &marker).is_err());
        assert!(run(cask, &PAT[..80]).is_err());
        assert!(run(cask, "").is_err());
        assert_eq!(cask_checksum("short"), "");
    }

    #[test]
    fn generated_keys_pass() {
        let head = format!("{}JQQJ99AL{}ACOG", "a1B2".repeat(13), "AAAAAAAAAAAAAAAB");
        assert_eq!(head.len(), 80);
        let key = format!("{head}{}", cask_checksum(&head));
        let out = run(cask, &key).unwrap();
        assert!(out.facts.contains(&("azure_key_kind", "openai".into())));
        assert!(out.facts.contains(&("issued", "2024-12".into())));
    }

    #[test]
    fn base62_of_bytes() {
        assert_eq!(base62_bytes(&[0, 0]), "00");
        assert_eq!(base62_bytes(&[62]), "10");
        assert_eq!(base62_bytes(&[1, 0]), "48");
        assert_eq!(base62_bytes(&[]), "");
    }
}

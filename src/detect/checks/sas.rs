//! Azure shared access signatures: storage SAS query strings and Service
//! Bus / Event Hubs `SharedAccessSignature` tokens. The signature cannot be
//! checked offline, but the expiry can: an expired SAS is harmless.

use super::util::{parse_iso8601, percent_decode, query_pairs, text, with_expiry};
use super::{CheckInput, Outcome, Rejection};

/// Shortest plausible `sig` (an HMAC-SHA256 in base64 is 44 characters).
const MIN_SIG: usize = 20;

/// Parses `se`: ISO 8601 for storage SAS, Unix seconds for Service Bus.
fn parse_expiry(raw: &[u8]) -> Option<i64> {
    let mut v = percent_decode(raw);
    let end = v
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b':' | b'.' | b'+' | b'-')))
        .unwrap_or(v.len());
    v.truncate(end);
    if !v.is_empty() && v.iter().all(u8::is_ascii_digit) {
        return std::str::from_utf8(&v).ok()?.parse().ok();
    }
    parse_iso8601(&v)
}

/// A parameter name without the quote or bracket that may precede it.
fn key(k: &[u8]) -> &[u8] {
    let start = k
        .iter()
        .rposition(|c| !c.is_ascii_alphanumeric())
        .map_or(0, |p| p + 1);
    &k[start..]
}

/// A parameter value up to the first character a URL query value cannot
/// hold unescaped (a closing quote, `<`, …).
fn value(v: &[u8]) -> &[u8] {
    let end = v
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || b"%:._+/=-".contains(c)))
        .unwrap_or(v.len());
    &v[..end]
}

/// `token` with JSON's `\u0026` (Go's and .NET's encoders escape `&` so)
/// turned back into `&`, so the query splits into its parameters.
fn json_ampersands(token: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    const ESCAPED: &[u8] = b"\\u0026";
    if memchr::memmem::find(token, ESCAPED).is_none() {
        return token.into();
    }
    let mut out = Vec::with_capacity(token.len());
    let mut rest = token;
    while let Some(i) = memchr::memmem::find(rest, ESCAPED) {
        out.extend_from_slice(&rest[..i]);
        out.push(b'&');
        rest = &rest[i + ESCAPED.len()..];
    }
    out.extend_from_slice(rest);
    out.into()
}

/// `azure-sas`: needs a real-looking `sig`; reports expiry, permissions,
/// resource and signed version.
pub fn sas(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    // The token is the secret when the rule captured it, else the match.
    let secret = input.secret_bytes();
    let token = if secret.windows(4).any(|w| w.eq_ignore_ascii_case(b"sig=")) {
        secret
    } else {
        input.whole_bytes()
    };
    let token = json_ampersands(token);
    // Whitespace separates `SharedAccessSignature` from its fields.
    let mut pairs = Vec::new();
    for word in token.split(|b| b.is_ascii_whitespace()) {
        pairs.extend(
            query_pairs(word)
                .into_iter()
                .map(|(k, v)| (key(k), value(v))),
        );
    }
    let get = |key: &[u8]| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    };
    let sig = get(b"sig").ok_or("no sig parameter")?;
    if sig.len() < MIN_SIG {
        return Err("sig too short".into());
    }
    let mut out = Outcome::default();
    // An `se` we cannot read (a template placeholder, an odd format) leaves
    // the expiry unknown rather than hiding the token.
    if let Some(expires) = get(b"se").and_then(parse_expiry) {
        out = with_expiry(out, expires, input.now);
    }
    if let Some(sp) = get(b"sp") {
        out = out.fact("permissions", text(&percent_decode(sp)));
    }
    if let Some(sr) = get(b"sr").or_else(|| get(b"srt")) {
        out = out.fact("resource", text(&percent_decode(sr)));
    }
    if let Some(sv) = get(b"sv") {
        out = out.fact("signed_version", text(&percent_decode(sv)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, run_full};
    use super::*;
    use crate::rules::Severity;

    const SIG: &str = "sig=aGVsbG8gd29ybGQgdGhpcyBpcyBhIHNpZw%3D%3D";

    fn at(whole: &str, now: i64) -> Result<Outcome, Rejection> {
        run_full(sas, whole.as_bytes(), 0..whole.len(), &[], now)
    }

    #[test]
    fn storage_sas_expired() {
        let url = format!(
            "https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=co&sp=rl\
             &se=2024-01-01T00%3A00%3A00Z&st=2023-12-01T00:00:00Z&spr=https&{SIG}"
        );
        let out = at(&url, 1_800_000_000).unwrap();
        assert!(out
            .facts
            .contains(&("expires_at", "2024-01-01T00:00:00Z".into())));
        assert!(out.facts.contains(&("expired", "true".into())));
        assert!(out.facts.contains(&("permissions", "rl".into())));
        assert!(out.facts.contains(&("resource", "co".into())));
        assert!(out.facts.contains(&("signed_version", "2022-11-02".into())));
        assert_eq!(out.severity, Some(Severity::Low));
    }

    #[test]
    fn storage_sas_live_date_only() {
        let q = format!("sv=2020-08-04&sr=b&sp=r&se=2030-06-30&{SIG}");
        let out = at(&q, 1_700_000_000).unwrap();
        assert!(out
            .facts
            .contains(&("expires_at", "2030-06-30T00:00:00Z".into())));
        assert!(out.facts.contains(&("expired", "false".into())));
        assert!(out.facts.contains(&("resource", "b".into())));
        assert_eq!(out.severity, None);
    }

    #[test]
    fn service_bus_token() {
        let t = format!(
            "SharedAccessSignature sr=sb%3a%2f%2fns.servicebus.windows.net%2fq&{SIG}&se=1700000000&skn=RootManageSharedAccessKey"
        );
        let out = at(&t, 1_600_000_000).unwrap();
        assert!(out
            .facts
            .contains(&("expires_at", "2023-11-14T22:13:20Z".into())));
        assert!(out.facts.contains(&("expired", "false".into())));
        assert!(out
            .facts
            .contains(&("resource", "sb://ns.servicebus.windows.net/q".into())));
    }

    #[test]
    fn no_expiry_kept() {
        let out = run(sas, &format!("sv=2020-08-04&sp=r&{SIG}")).unwrap();
        assert!(!out.facts.iter().any(|(k, _)| *k == "expires_at"));
    }

    #[test]
    fn quoted_and_xml_escaped() {
        let q = format!("\"sp=racwdl&se=2032-03-01T16:00:00Z&sv=2022-11-02&sr=c&{SIG}\"");
        let out = run(sas, &q).unwrap();
        assert!(out.facts.contains(&("permissions", "racwdl".into())));
        assert!(out.facts.contains(&("signed_version", "2022-11-02".into())));
        assert!(out.facts.contains(&("expired", "false".into())));
        let xml = format!("?sv=2021-08-06&amp;sp=rl&amp;se=2020-06-30T00:00:00Z&amp;{SIG}");
        let out = run(sas, &xml).unwrap();
        assert!(out.facts.contains(&("permissions", "rl".into())));
        assert!(out.facts.contains(&("expired", "true".into())));
    }

    #[test]
    fn json_escaped_ampersands() {
        // As Go's encoding/json writes a SAS URL; `\\u0026` when that
        // JSON is itself a string.
        for amp in ["\\u0026", "\\\\u0026"] {
            let url = format!(
                "https://acct.blob.core.windows.net/c?sv=2022-11-02{amp}sr=c{amp}sp=rl\
                 {amp}se=2024-01-01T00%3A00%3A00Z{amp}{SIG}"
            );
            let out = at(&url, 1_800_000_000).unwrap();
            assert!(
                out.facts
                    .contains(&("expires_at", "2024-01-01T00:00:00Z".into())),
                "{amp}: {:?}",
                out.facts
            );
            assert!(out.facts.contains(&("expired", "true".into())));
            assert!(out.facts.contains(&("permissions", "rl".into())));
            assert!(out.facts.contains(&("resource", "c".into())));
        }
        // The signature is still required.
        let url = "sv=2022-11-02\\u0026sp=rl\\u0026sig=short";
        assert!(run(sas, url).is_err());
    }

    #[test]
    fn secret_capture_preferred() {
        let blob = format!("SharedAccessSignature sr=x&{SIG}&se=1&skn=k");
        let start = blob.find("sr=").unwrap();
        let input = super::super::CheckInput {
            blob: blob.as_bytes(),
            whole: 0..blob.len(),
            secret: start..blob.len(),
            groups: &[],
            now: 10,
        };
        let out = sas(&input).unwrap();
        assert!(out.facts.contains(&("expired", "true".into())));
        assert!(out.facts.contains(&("resource", "x".into())));
    }

    #[test]
    fn rejections() {
        assert!(run(sas, "sv=2020-08-04&sp=r&se=2030-01-01").is_err());
        assert!(run(sas, "sv=2020-08-04&sig=short&se=2030-01-01").is_err());
        let odd = run(sas, &format!("se=yesterday&{SIG}")).unwrap();
        assert!(odd.facts.is_empty());
        let quoted = at(&format!("{SIG}&se=2020-01-01\""), 1_700_000_000).unwrap();
        assert!(quoted.facts.contains(&("expired", "true".into())));
    }
}

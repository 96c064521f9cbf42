//! Small decoding and formatting helpers shared by the checks: lenient
//! base64/base32, base62 numbers, percent-decoding, time and expiry facts.
//!
//! Everything here takes untrusted bytes and returns `Option` instead of
//! panicking: a check must survive any input a blob can hold.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::Outcome;
use crate::rules::Severity;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);

/// Standard alphabet; padding optional, stray trailing bits tolerated.
const STD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
/// URL-safe alphabet (`-_`), same leniency.
const URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes standard base64, with or without padding.
pub fn b64_std(input: &[u8]) -> Option<Vec<u8>> {
    STD.decode(input).ok()
}

/// Decodes URL-safe base64, with or without padding.
pub fn b64_url(input: &[u8]) -> Option<Vec<u8>> {
    URL.decode(input).ok()
}

/// Decodes base64 in either alphabet, ignoring ASCII whitespace; a final
/// lone character (which cannot carry a whole byte) is dropped, so a token
/// cut one character short still decodes.
pub fn b64_loose(input: &[u8]) -> Option<Vec<u8>> {
    let mut clean: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    while clean.last() == Some(&b'=') {
        clean.pop();
    }
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    b64_std(&clean).or_else(|| b64_url(&clean))
}

/// Standard base64 encoding (for building test values).
pub fn b64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// RFC 4648 base32 without padding, case-insensitive; `None` on any
/// character outside `A-Z2-7`. Trailing bits that do not fill a byte are
/// dropped.
pub fn base32_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 5 / 8);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &c in input {
        let v = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The base62 alphabet GitHub and CASK use: digits, upper, lower.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base 62, most significant digit first, left-padded with `0` to
/// `width` digits.
pub fn base62_encode(mut n: u64, width: usize) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8_lossy(&digits).into_owned()
}

/// Parses a base62 number (most significant first); `None` on a foreign
/// character or overflow.
pub fn base62_decode(s: &[u8]) -> Option<u64> {
    s.iter().try_fold(0u64, |acc, &c| {
        let d = BASE62.iter().position(|&a| a == c)? as u64;
        acc.checked_mul(62)?.checked_add(d)
    })
}

/// Percent-decodes `%XX` sequences (and nothing else); malformed escapes
/// are kept as they are.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            let hex = std::str::from_utf8(&s[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// Finds `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

/// Unix seconds as an RFC 3339 UTC timestamp (`2024-05-01T12:00:00Z`).
pub fn rfc3339(secs: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

/// Adds `expires_at` and `expired` for an expiry time; an expired
/// credential can no longer be used, so its severity drops to `Low`.
/// Out-of-range times add nothing.
pub fn with_expiry(mut out: Outcome, expires: i64, now: i64) -> Outcome {
    let Some(stamp) = rfc3339(expires) else {
        return out;
    };
    let expired = expires <= now;
    out = out
        .fact("expires_at", stamp)
        .fact("expired", if expired { "true" } else { "false" });
    if expired {
        out.severity = Some(Severity::Low);
    }
    out
}

/// Parses exactly `n` ASCII digits at `s[at..]`.
fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    part.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Unix seconds for a calendar date and time of day, UTC.
pub fn unix_utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    let month = Month::try_from(u8::try_from(mo).ok()?).ok()?;
    let date = Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(mi).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Parses an ISO 8601 date or date-time as SAS tokens and similar carry
/// them: `2024-05-01`, `2024-05-01T12:00Z`, `2024-05-01T12:00:00.1234567Z`,
/// `2024-05-01 12:00:00+02:00`. A missing zone means UTC.
pub fn parse_iso8601(s: &[u8]) -> Option<i64> {
    let y = digits(s, 0, 4)?;
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let (mo, d) = (digits(s, 5, 2)?, digits(s, 8, 2)?);
    let rest = &s[10..];
    if rest.is_empty() {
        return unix_utc(y as i32, mo, d, 0, 0, 0);
    }
    if !matches!(rest[0], b'T' | b't' | b' ') {
        return None;
    }
    let h = digits(rest, 1, 2)?;
    if rest.get(3) != Some(&b':') {
        return None;
    }
    let mi = digits(rest, 4, 2)?;
    let mut i = 6;
    let mut sec = 0;
    if rest.get(i) == Some(&b':') {
        sec = digits(rest, i + 1, 2)?;
        i += 3;
        if rest.get(i) == Some(&b'.') {
            i += 1;
            while rest.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    let base = unix_utc(y as i32, mo, d, h, mi, sec)?;
    let zone = &rest[i..];
    match zone.first() {
        None | Some(b'Z') | Some(b'z') => Some(base),
        Some(&sign @ (b'+' | b'-')) => {
            let zh = digits(zone, 1, 2)?;
            let zm = match zone.get(3) {
                Some(b':') => digits(zone, 4, 2)?,
                Some(_) => digits(zone, 3, 2)?,
                None => 0,
            };
            let offset = UtcOffset::from_hms(i8::try_from(zh).ok()?, i8::try_from(zm).ok()?, 0)
                .ok()?
                .whole_seconds();
            let offset = i64::from(offset);
            Some(if sign == b'+' {
                base - offset
            } else {
                base + offset
            })
        }
        Some(_) => None,
    }
}

/// Parses the compact SigV4 timestamp `YYYYMMDDTHHMMSSZ`.
pub fn parse_amz_date(s: &[u8]) -> Option<i64> {
    if s.get(8) != Some(&b'T') || s.get(15) != Some(&b'Z') {
        return None;
    }
    unix_utc(
        digits(s, 0, 4)? as i32,
        digits(s, 4, 2)?,
        digits(s, 6, 2)?,
        digits(s, 9, 2)?,
        digits(s, 11, 2)?,
        digits(s, 13, 2)?,
    )
}

/// Splits a query string (`a=1&b=2`, also `;`-separated or with a leading
/// `?`) into key/value pairs; the values stay percent-encoded.
pub fn query_pairs(s: &[u8]) -> Vec<(&[u8], &[u8])> {
    s.split(|&b| matches!(b, b'&' | b'?' | b';'))
        .filter_map(|part| {
            let eq = part.iter().position(|&b| b == b'=')?;
            Some((&part[..eq], &part[eq + 1..]))
        })
        .collect()
}

/// Lossy UTF-8 text for facts (facts are never the secret itself).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_numbers() {
        assert_eq!(base32_decode(b"MZXW6YQ").as_deref(), Some(&b"foob"[..]));
        assert_eq!(base32_decode(b"mzxw6yq").as_deref(), Some(&b"foob"[..]));
        assert!(base32_decode(b"MZXW6Y1").is_none());
    }

    #[test]
    fn base62_round_trip() {
        for n in [0u64, 1, 61, 62, 0xffff_ffff, 123_456_789] {
            assert_eq!(base62_decode(base62_encode(n, 6).as_bytes()), Some(n));
        }
        assert_eq!(base62_encode(62, 3), "010");
        assert!(base62_decode(b"ab-").is_none());
        assert!(base62_decode(b"zzzzzzzzzzzzzzzzzzzzzzz").is_none());
    }

    #[test]
    fn iso_dates() {
        assert_eq!(parse_iso8601(b"1970-01-02"), Some(86_400));
        assert_eq!(parse_iso8601(b"1970-01-01T01:00Z"), Some(3_600));
        assert_eq!(parse_iso8601(b"1970-01-01T01:00:05.123Z"), Some(3_605));
        assert_eq!(parse_iso8601(b"1970-01-01T02:00:00+01:00"), Some(3_600));
        assert_eq!(parse_iso8601(b"1970-01-01T00:00:00-0100"), Some(3_600));
        assert_eq!(parse_iso8601(b"2024-13-01"), None);
        assert_eq!(parse_iso8601(b"2024-01-01X"), None);
        assert_eq!(parse_iso8601(b""), None);
    }

    #[test]
    fn amz_date() {
        assert_eq!(parse_amz_date(b"19700101T000010Z"), Some(10));
        assert_eq!(parse_amz_date(b"19700101T000010"), None);
    }

    #[test]
    fn percent() {
        assert_eq!(percent_decode(b"a%3Ab%2f%zz%4"), b"a:b/%zz%4");
        assert_eq!(percent_decode(b"%"), b"%");
    }

    #[test]
    fn expiry_facts() {
        let o = with_expiry(Outcome::default(), 0, 10);
        assert_eq!(o.severity, Some(Severity::Low));
        assert!(o
            .facts
            .contains(&("expires_at", "1970-01-01T00:00:00Z".into())));
        assert!(o.facts.contains(&("expired", "true".into())));
        let o = with_expiry(Outcome::default(), 20, 10);
        assert_eq!(o.severity, None);
        assert!(o.facts.contains(&("expired", "false".into())));
        assert!(with_expiry(Outcome::default(), i64::MAX, 0)
            .facts
            .is_empty());
    }
}

//! Entra ID (Azure AD) application client secrets. Current secrets
//! (`xxx8Q~…`, 40 characters) end in a 3-character checksum; older `7Q~`
//! secrets have none.

use super::marvin::{marvin32, seed};
use super::{CheckInput, Outcome, Rejection};
use crate::rules::Confidence;

/// Base-66 digits, in Microsoft's order.
const ALPHABET: &[u8; 66] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~";

/// The checksum's seed, `"AadPwd00"`.
const SEED: u64 = seed(b"AadPwd00");

/// The 3-character checksum of the first 37 characters of an `8Q~`
/// secret (Marvin32 over their Latin-1 bytes, in base 66, most significant
/// digit first, padded to 6 digits, first 3 kept). Append it to `first37`
/// to make a valid secret. Characters beyond U+00FF, which no real secret
/// has, are taken modulo 256.
pub fn entra_checksum(first37: &str) -> String {
    let bytes: Vec<u8> = first37.chars().map(|c| c as u32 as u8).collect();
    checksum_of(&bytes)
}

fn checksum_of(first37: &[u8]) -> String {
    let mut n = marvin32(SEED, first37);
    let mut digits = [ALPHABET[0]; 6];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(n % 66) as usize];
        n /= 66;
    }
    String::from_utf8_lossy(&digits[..3]).into_owned()
}

/// `entra-client-secret`: a failed checksum on an `8Q~` secret lowers the
/// confidence rather than rejecting, since the scheme is confirmed only on
/// Microsoft's own sample.
pub fn client_secret(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    match (s.len(), s.get(3..6)) {
        (40, Some(b"8Q~")) => {
            if checksum_of(&s[..37]).as_bytes() == &s[37..] {
                Ok(Outcome::default().fact("checksum", "valid"))
            } else {
                let mut out = Outcome::default().fact("checksum", "invalid");
                out.confidence = Some(Confidence::Low);
                Ok(out)
            }
        }
        _ => Ok(Outcome::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    const SAMPLE: &str = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";

    #[test]
    fn microsoft_sample() {
        assert_eq!(entra_checksum(&SAMPLE[..37]), "blP");
        let out = run(client_secret, SAMPLE).unwrap();
        assert_eq!(out.facts, vec![("checksum", "valid".into())]);
        assert_eq!(out.confidence, None);
    }

    #[test]
    fn bad_checksum_lowers_confidence() {
        let out = run(client_secret, "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblQ").unwrap();
        assert_eq!(out.facts, vec![("checksum", "invalid".into())]);
        assert_eq!(out.confidence, Some(Confidence::Low));
    }

    #[test]
    fn older_secrets_unchanged() {
        let out = run(client_secret, "abc7Q~abcdefghijklmnopqrstuvwxyz01234").unwrap();
        assert_eq!(out, Outcome::default());
    }

    #[test]
    fn generated_secret_passes() {
        let head = "Ab.8Q~x_y-z~0123456789abcdefghijklmno";
        assert_eq!(head.len(), 37);
        let secret = format!("{head}{}", entra_checksum(head));
        let out = run(client_secret, &secret).unwrap();
        assert_eq!(out.facts, vec![("checksum", "valid".into())]);
    }
}

//! Legacy Azure DevOps personal access tokens: 52 lower-case base32
//! characters (32 bytes) with a CRC32 scattered over four of the bytes.
//! The scheme comes from Microsoft's code but is unconfirmed on real
//! tokens, so a mismatch never rejects.

use super::util::base32_decode;
use super::{CheckInput, Outcome, Rejection};

/// XOR masks for user and application tokens.
const MAGICS: [u32; 2] = [0xE0B9_692D, 0x1019_F92E];

/// Whether the 32 decoded bytes carry a valid checksum: bytes 22, 8, 7
/// and 2 (least significant first) hold CRC32 of the other 28 bytes,
/// XOR a magic.
fn checksum_ok(b: &[u8]) -> bool {
    if b.len() < 32 {
        return false;
    }
    let stored = u32::from_le_bytes([b[22], b[8], b[7], b[2]]);
    let mut h = crc32fast::Hasher::new();
    for part in [&b[0..2], &b[3..7], &b[9..22], &b[23..32]] {
        h.update(part);
    }
    let crc = h.finalize();
    MAGICS.iter().any(|m| crc ^ m == stored)
}

/// `azure-devops-legacy-pat`: rejects only what is not base32 at all.
pub fn legacy_pat(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    if s.len() != 52 || !s.iter().all(|c| matches!(c, b'a'..=b'z' | b'2'..=b'7')) {
        return Err("not 52 lower-case base32 characters".into());
    }
    let bytes = base32_decode(s).ok_or("not base32")?;
    let verdict = if checksum_ok(&bytes) {
        "valid"
    } else {
        "unverified"
    };
    Ok(Outcome::default().fact("checksum", verdict))
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    /// Lower-case RFC 4648 base32 without padding.
    fn base32(bytes: &[u8]) -> String {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
        let mut out = String::new();
        let (mut acc, mut bits) = (0u32, 0);
        for &b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(A[((acc >> bits) & 31) as usize] as char);
            }
        }
        if bits > 0 {
            out.push(A[((acc << (5 - bits)) & 31) as usize] as char);
        }
        out
    }

    fn make(magic: u32) -> String {
        let mut b: Vec<u8> = (0..32u8)
            .map(|i| i.wrapping_mul(73).wrapping_add(5))
            .collect();
        let mut h = crc32fast::Hasher::new();
        for part in [&b[0..2], &b[3..7], &b[9..22], &b[23..32]] {
            h.update(part);
        }
        let sum = (h.finalize() ^ magic).to_le_bytes();
        (b[22], b[8], b[7], b[2]) = (sum[0], sum[1], sum[2], sum[3]);
        base32(&b)
    }

    #[test]
    fn both_magics_validate() {
        for m in MAGICS {
            let pat = make(m);
            assert_eq!(pat.len(), 52);
            let out = run(legacy_pat, &pat).unwrap();
            assert_eq!(out.facts, vec![("checksum", "valid".into())]);
        }
    }

    #[test]
    fn mismatch_is_unverified_not_rejected() {
        let pat = make(0x1234_5678);
        let out = run(legacy_pat, &pat).unwrap();
        assert_eq!(out.facts, vec![("checksum", "unverified".into())]);
    }

    #[test]
    fn non_base32_rejected() {
        assert!(run(legacy_pat, &"a1".repeat(26)).is_err());
        assert!(run(legacy_pat, &"A".repeat(52)).is_err());
        assert!(run(legacy_pat, "abc").is_err());
    }
}

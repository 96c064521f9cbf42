//! Marvin32, the seeded hash Microsoft uses for the checksums of its
//! "identifiable" secrets (HIS v1 keys, CASK keys, Entra client secrets).
//!
//! Written from the algorithm description (SymCrypt's Marvin32): two 32-bit
//! lanes seeded from a 64-bit seed, one mixing block per little-endian word,
//! a `0x80` terminator in the tail word, two final blocks.

/// Reads an 8-character ASCII seed name the way Microsoft's code does: the
/// first character is the most significant byte (`"Default0"` is
/// `0x44656661756c7430`).
pub const fn seed(name: &[u8; 8]) -> u64 {
    u64::from_be_bytes(*name)
}

/// The seed behind storage keys, CASK keys and several other families.
pub const DEFAULT0: u64 = seed(b"Default0");

/// One Marvin mixing round.
fn block(mut p0: u32, mut p1: u32) -> (u32, u32) {
    p1 ^= p0;
    p0 = p0.rotate_left(20);
    p0 = p0.wrapping_add(p1);
    p1 = p1.rotate_left(9);
    p1 ^= p0;
    p0 = p0.rotate_left(27);
    p0 = p0.wrapping_add(p1);
    p1 = p1.rotate_left(19);
    (p0, p1)
}

/// The full 64-bit Marvin state `(p1 << 32) | p0` after hashing `data`.
pub fn marvin64(seed: u64, data: &[u8]) -> u64 {
    let mut p0 = seed as u32;
    let mut p1 = (seed >> 32) as u32;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        p0 = p0.wrapping_add(word);
        (p0, p1) = block(p0, p1);
    }
    // The tail (0..=3 bytes) is closed with a 0x80 byte, little-endian.
    let tail = words.remainder();
    let mut last: u32 = 0x80 << (8 * tail.len());
    for (i, b) in tail.iter().enumerate() {
        last |= u32::from(*b) << (8 * i);
    }
    p0 = p0.wrapping_add(last);
    (p0, p1) = block(p0, p1);
    (p0, p1) = block(p0, p1);
    (u64::from(p1) << 32) | u64::from(p0)
}

/// Marvin32 folded to 32 bits (high half XOR low half): the value whose
/// little-endian bytes Microsoft embeds as a key's checksum.
pub fn marvin32(seed: u64, data: &[u8]) -> u32 {
    let h = marvin64(seed, data);
    ((h >> 32) as u32) ^ (h as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_names_read_big_endian() {
        assert_eq!(DEFAULT0, 0x4465_6661_756c_7430);
        assert_eq!(seed(b"AadPwd00"), 0x4161_6450_7764_3030);
    }

    #[test]
    fn tail_lengths_all_differ() {
        let data = b"abcdefg";
        let hashes: Vec<u32> = (0..=data.len())
            .map(|n| marvin32(DEFAULT0, &data[..n]))
            .collect();
        for (i, a) in hashes.iter().enumerate() {
            for b in &hashes[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}

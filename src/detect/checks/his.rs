//! Microsoft "identifiable" keys, HIS v1: a service signature at a fixed
//! offset and a Marvin32 checksum in the last four decoded bytes. A key
//! that passes is almost certainly a real Azure key of that service.

use super::marvin::{marvin32, seed};
use super::util::{b64_std, b64_url};
use super::{CheckInput, Outcome, Rejection};

/// One family of identifiable keys.
struct Family {
    /// Encoded length of the key.
    len: usize,
    /// Offset of the 4-character signature in the encoded key.
    at: usize,
    signature: &'static [u8; 4],
    /// Functions keys use the URL-safe alphabet, whose `=` padding is
    /// optional (RFC 4648 §5): in `?code=` URLs it is often left off.
    url_safe: bool,
    /// Seeds to try, each with the `azure_key_kind` it proves.
    seeds: &'static [(&'static [u8; 8], &'static str)],
}

/// Seeds that all prove the same kind.
macro_rules! same_kind {
    ($kind:literal; $($s:literal),+) => { &[$(($s, $kind)),+] };
}

/// Service Bus, Event Hubs and Relay share their SAS-key seeds.
macro_rules! sas_key_seeds {
    ($kind:literal) => {
        same_kind!($kind; b"Send0000", b"Listen00", b"Manage00", b"System00")
    };
}

/// The families, from Microsoft's published metadata.
const FAMILIES: &[Family] = &[
    Family {
        len: 88,
        at: 76,
        signature: b"+ASt",
        url_safe: false,
        seeds: same_kind!("storage"; b"Default0"),
    },
    Family {
        len: 88,
        at: 76,
        signature: b"ACDb",
        url_safe: false,
        seeds: same_kind!(
            "cosmosdb";
            b"MastRO00", b"MastRW00", b"SysAll00", b"Resour00", b"SystRO00", b"SystRW00", b"Encryp00"
        ),
    },
    Family {
        len: 88,
        at: 76,
        signature: b"+ABa",
        url_safe: false,
        seeds: same_kind!("batch"; b"AbAcct00"),
    },
    Family {
        len: 88,
        at: 76,
        signature: b"+AMC",
        url_safe: false,
        seeds: same_kind!("ml"; b"Classic0"),
    },
    Family {
        len: 88,
        at: 76,
        signature: b"APIM",
        url_safe: false,
        seeds: same_kind!("apim"; b"Tenant00", b"IoTHub00", b"Gatewy00", b"GitKey00"),
    },
    Family {
        len: 56,
        at: 44,
        signature: b"AzFu",
        url_safe: true,
        seeds: same_kind!("functions"; b"Functi00", b"Master00", b"System00"),
    },
    Family {
        len: 52,
        at: 42,
        signature: b"AzSe",
        url_safe: false,
        seeds: &[(b"Query000", "search-query"), (b"PAdmin00", "search-admin")],
    },
    Family {
        len: 52,
        at: 42,
        signature: b"+ACR",
        url_safe: false,
        seeds: same_kind!("container-registry"; b"ACRDflt0"),
    },
    Family {
        len: 44,
        at: 33,
        signature: b"+ASb",
        url_safe: false,
        seeds: sas_key_seeds!("service-bus"),
    },
    Family {
        len: 44,
        at: 33,
        signature: b"+AEh",
        url_safe: false,
        seeds: sas_key_seeds!("event-hubs"),
    },
    Family {
        len: 44,
        at: 33,
        signature: b"+ARm",
        url_safe: false,
        seeds: sas_key_seeds!("relay"),
    },
    Family {
        len: 44,
        at: 33,
        signature: b"AzCa",
        url_safe: false,
        seeds: same_kind!("redis"; b"Access00"),
    },
    Family {
        len: 44,
        at: 33,
        signature: b"AIoT",
        url_safe: false,
        seeds: same_kind!("iot"; b"IoTHub00", b"DpsKey00", b"Device00"),
    },
];

/// The little-endian Marvin32 checksum HIS v1 keys end with, for building
/// valid test keys: encode `data` followed by these four bytes.
pub fn his_v1_checksum_bytes(seed: u64, data: &[u8]) -> [u8; 4] {
    marvin32(seed, data).to_le_bytes()
}

/// Whether decoded key bytes end with the checksum of the rest under `seed`.
fn checksum_ok(seed: u64, decoded: &[u8]) -> bool {
    let Some(split) = decoded.len().checked_sub(4).filter(|&n| n > 0) else {
        return false;
    };
    let (data, sum) = decoded.split_at(split);
    his_v1_checksum_bytes(seed, data) == sum
}

impl Family {
    /// Whether `key` has this family's length: the encoded length, or for
    /// URL-safe keys also that length with the `=` padding left off (the
    /// decoded bytes, which the checksum covers, are the same).
    fn fits(&self, key: &[u8]) -> bool {
        key.len() == self.len || (self.url_safe && key.len().next_multiple_of(4) == self.len)
    }
}

/// The kind of identifiable key `key` is, if its signature and checksum
/// both hold.
pub fn identify(key: &[u8]) -> Option<&'static str> {
    FAMILIES
        .iter()
        .filter(|f| f.fits(key) && key.get(f.at..f.at + 4) == Some(&f.signature[..]))
        .find_map(|f| {
            let decoded = if f.url_safe {
                b64_url(key)
            } else {
                b64_std(key)
            }?;
            f.seeds
                .iter()
                .find(|(s, _)| checksum_ok(seed(s), &decoded))
                .map(|(_, kind)| *kind)
        })
}

/// `azure-identifiable-key`: accepts only keys whose family checksum holds.
pub fn identifiable_key(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let kind =
        identify(input.secret_bytes()).ok_or("no identifiable-key signature and checksum")?;
    Ok(Outcome::default().fact("azure_key_kind", kind))
}

/// Well-known public keys of the local emulators (Azurite storage,
/// Cosmos DB emulator): in thousands of repositories, never secret.
const EMULATOR_KEYS: &[&[u8]] = &[
    b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    b"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
];

/// `azure-storage-key`: an account key must be 64 random bytes; one that
/// carries the storage signature must also carry its checksum.
pub fn storage_key(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let key = input.secret_bytes();
    if EMULATOR_KEYS.contains(&key) {
        return Err("well-known emulator key".into());
    }
    let decoded = b64_std(key).ok_or("not base64")?;
    if decoded.len() != 64 {
        return Err("does not decode to 64 bytes".into());
    }
    let mut out = Outcome::default();
    if key.get(76..80) == Some(b"+ASt") {
        if identify(key) != Some("storage") {
            return Err("storage signature with a bad checksum".into());
        }
        out = out.fact("identifiable", "true");
    }
    if let Some(account) = input.group("account") {
        out = out.fact("account_name", super::util::text(account));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, run_full};
    use super::super::util::b64_encode;
    use super::*;

    const STORAGE: &str =
        "oqb4TdY9T0hphvktd5fJnMiHuQqzVy1jd5sSuOpAbGkaoqTlrHl0BOJN2okcasinVLOJzfDbZo1L+ASt68RAhA=="; // keyhound:allow
    const LEGACY: &str =
        "6jqh42QQjWWBwoPGGR/Jr0PZjhBMZVbHm/gkhEfHvOj8aV6+oI8ed6ZAAwB5a6993WqyQDiuJJB0QpseJwqYxw==";

    /// Builds a valid key of a family: random-looking bytes with the
    /// signature spliced in at its offset, then the checksum.
    fn make(len: usize, at: usize, sig: &[u8; 4], seed_name: &[u8; 8], url: bool) -> String {
        // Decoded length and the byte count before the checksum.
        let total = (len - len % 4) / 4 * 3 - key_pad(len);
        let mut data: Vec<u8> = (0..total - 4).map(|i| (i * 37 + 11) as u8).collect();
        // Place the signature by encoding, patching the text, decoding back.
        for _ in 0..2 {
            let mut text = encode(&[data.clone(), vec![0; 4]].concat(), url);
            text.replace_range(at..at + 4, std::str::from_utf8(sig).unwrap());
            let back = if url {
                b64_url(text.as_bytes())
            } else {
                b64_std(text.as_bytes())
            };
            data = back.unwrap()[..total - 4].to_vec();
        }
        let sum = his_v1_checksum_bytes(seed(seed_name), &data);
        encode(&[data, sum.to_vec()].concat(), url)
    }

    fn key_pad(len: usize) -> usize {
        match len {
            88 | 56 => 2,
            44 => 1,
            _ => 0,
        }
    }

    fn encode(bytes: &[u8], url: bool) -> String {
        let s = b64_encode(bytes);
        if url {
            s.replace('+', "-").replace('/', "_")
        } else {
            s
        }
    }

    #[test]
    fn storage_vector_passes() {
        assert_eq!(identify(STORAGE.as_bytes()), Some("storage"));
        let out = run(identifiable_key, STORAGE).unwrap();
        assert_eq!(out.facts, vec![("azure_key_kind", "storage".into())]);
    }

    #[test]
    fn legacy_and_tampered_fail() {
        assert!(run(identifiable_key, LEGACY).is_err());
        let tampered = STORAGE.replacen('o', "p", 1);
        assert!(run(identifiable_key, &tampered).is_err());
        assert!(run(identifiable_key, "").is_err());
    }

    #[test]
    fn every_family_round_trips() {
        for f in FAMILIES {
            for (s, kind) in f.seeds {
                let key = make(f.len, f.at, f.signature, s, f.url_safe);
                assert_eq!(key.len(), f.len, "{kind}");
                assert_eq!(&key.as_bytes()[f.at..f.at + 4], f.signature, "{kind}");
                assert_eq!(identify(key.as_bytes()), Some(*kind), "{key}");
            }
        }
    }

    #[test]
    fn url_safe_keys_may_leave_off_their_padding() {
        for f in FAMILIES {
            let key = make(f.len, f.at, f.signature, f.seeds[0].0, f.url_safe);
            let unpadded = key.trim_end_matches('=');
            if unpadded.len() == key.len() {
                continue;
            }
            let want = f.url_safe.then_some(f.seeds[0].1);
            assert_eq!(identify(unpadded.as_bytes()), want, "{key}");
        }
        // The checksum still decides.
        let key = make(56, 44, b"AzFu", b"Functi00", true);
        let tampered = format!("B{}", &key[1..54]);
        assert_ne!(tampered.as_bytes(), &key.as_bytes()[..54]);
        assert_eq!(identify(tampered.as_bytes()), None);
    }

    #[test]
    fn storage_key_check() {
        let out = run(storage_key, STORAGE).unwrap();
        assert_eq!(out.facts, vec![("identifiable", "true".into())]);
        assert!(run(storage_key, LEGACY).unwrap().facts.is_empty());
        let bad = STORAGE.replacen('o', "p", 1);
        assert!(run(storage_key, &bad).is_err());
        assert!(run(storage_key, &LEGACY[..44]).is_err());
        assert!(run(storage_key, "!!").is_err());
        assert!(run(
            storage_key,
            EMULATOR_KEYS[0].escape_ascii().to_string().as_str()
        )
        .is_err());

        let blob = format!("AccountName=myacct;AccountKey={LEGACY}");
        let start = blob.len() - LEGACY.len();
        let out = run_full(
            storage_key,
            blob.as_bytes(),
            start..blob.len(),
            &[("account", 12..18)],
            0,
        )
        .unwrap();
        assert_eq!(out.facts, vec![("account_name", "myacct".into())]);
    }
}

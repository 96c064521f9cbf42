//! `--shard I/N`: which repositories one of N machines scans.
//!
//! A repository belongs to shard `fnv1a64(name) % N`. The hash is fixed
//! (64-bit FNV-1a of the name's UTF-8 bytes), not Rust's per-process
//! `RandomState`, so the same shard gets the same repositories on every
//! run and every machine and can keep its own cache and state store
//! between nights. Adding a repository never moves the others.

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (`0 <= index < count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole list: one shard of one.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("shard count must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is out of range: with {count} shards it is 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the repository named `name` is this shard's.
    pub fn owns(&self, name: &str) -> bool {
        fnv1a64(name.as_bytes()) % self.count == self.index
    }
}

/// Where array-job engines put the index of the task: Kubernetes Indexed
/// Jobs, then AWS Batch array jobs.
pub const INDEX_VARIABLES: [&str; 2] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"];

impl Shard {
    /// Shard `index/count` with the index read from the engine's variable
    /// (`--shard-count N`): the first of [`INDEX_VARIABLES`] that `env`
    /// has.
    pub fn from_env(count: u64, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        for name in INDEX_VARIABLES {
            if let Some(value) = env(name) {
                let index = value
                    .trim()
                    .parse::<u64>()
                    .map_err(|e| format!("{name}={value:?} is not a shard index: {e}"))?;
                return Shard::new(index, count).map_err(|e| format!("{name}: {e}"));
            }
        }
        Err(format!(
            "--shard-count needs the shard index in {} (or give --shard I/N)",
            INDEX_VARIABLES.join(" or ")
        ))
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, e.g. `0/3`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("invalid shard {s:?}: expected I/N, e.g. 0/4"))?;
        let num = |t: &str| {
            t.trim()
                .parse::<u64>()
                .map_err(|e| format!("invalid shard {s:?}: {e}"))
        };
        Shard::new(num(i)?, num(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 64-bit FNV-1a.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!("2/5".parse::<Shard>(), Ok(Shard { index: 2, count: 5 }));
        assert!("5/5".parse::<Shard>().unwrap_err().contains("out of range"));
        assert!("0/0".parse::<Shard>().is_err());
        assert!("1".parse::<Shard>().is_err());
        assert!("a/2".parse::<Shard>().is_err());
    }

    #[test]
    fn index_from_the_engines_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Shard::from_env(3, env(&[("JOB_COMPLETION_INDEX", "2")])),
            Ok(Shard { index: 2, count: 3 })
        );
        assert_eq!(
            Shard::from_env(4, env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "1")])),
            Ok(Shard { index: 1, count: 4 })
        );
        // Kubernetes' wins when both are set.
        assert_eq!(
            Shard::from_env(
                4,
                env(&[
                    ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
                    ("JOB_COMPLETION_INDEX", "0")
                ])
            ),
            Ok(Shard { index: 0, count: 4 })
        );
        let e = Shard::from_env(3, env(&[("JOB_COMPLETION_INDEX", "3")])).unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        assert!(Shard::from_env(3, env(&[("JOB_COMPLETION_INDEX", "x")])).is_err());
        assert!(Shard::from_env(3, env(&[]))
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX"));
    }

    #[test]
    fn hash_is_the_published_fnv1a() {
        // Test vectors of the FNV reference (draft-eastlake-fnv).
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn shards_partition_the_names() {
        let names: Vec<String> = (0..300).map(|i| format!("acme/repo-{i}")).collect();
        let n = 7;
        let mut sizes = vec![0; n as usize];
        for name in &names {
            let owners: Vec<u64> = (0..n)
                .filter(|&i| Shard::new(i, n).unwrap().owns(name))
                .collect();
            assert_eq!(owners.len(), 1, "{name} is in {owners:?}");
            sizes[owners[0] as usize] += 1;
        }
        // Not a test of the hash's quality; only that no shard is empty.
        assert!(sizes.iter().all(|&s| s > 10), "{sizes:?}");
    }
}

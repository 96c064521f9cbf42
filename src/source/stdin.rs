//! Standard input (`keyhound scan -`): one blob.

use std::io::Read;

use crate::finding::Origin;
use crate::stats::{Counters, SkipReason};

/// Reads all of stdin (up to `limit` bytes) and visits it once.
pub fn read(limit: u64, counters: &Counters, visit: &(dyn Fn(&[u8], Origin) + Sync)) {
    let mut bytes = Vec::new();
    let stdin = std::io::stdin();
    match stdin
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        Ok(_) if bytes.len() as u64 > limit => counters.skip(
            "<stdin>",
            SkipReason::TooLarge,
            format!("over the --max-file-size limit of {limit} bytes"),
        ),
        Ok(_) => {
            counters.scanned(bytes.len());
            visit(&bytes, Origin::Stdin);
        }
        Err(e) => counters.skip("<stdin>", SkipReason::Unreadable, e.to_string()),
    }
}

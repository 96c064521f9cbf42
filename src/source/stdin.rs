//! Standard input (`keyhound scan -`): one input, streamed, opened like a
//! file (an archive or compressed stream piped in is looked inside).

use std::io::Read;

use super::expand::{ExpandOptions, Expander};
use super::stream::Chunking;
use super::Visit;
use crate::stats::{Counters, SkipReason};

/// How standard input is read.
#[derive(Debug, Clone, Copy)]
pub struct StdinOptions {
    /// Bytes read at most (`--max-file-size`); the rest is left unread
    /// and the input reported as too large.
    pub limit: u64,
    pub chunking: Chunking,
    pub expand: ExpandOptions,
    /// Scan content with NUL bytes too.
    pub binary: bool,
}

/// Reads stdin to its end (or to `limit`), in pieces of `chunking`.
pub fn read(options: StdinOptions, counters: &Counters, visit: Visit<'_>) {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let expander = Expander {
        options: options.expand,
        chunking: options.chunking,
        binary: options.binary,
        counters,
        visit,
    };
    expander.stream(
        &mut Read::take(&mut lock, options.limit),
        "<stdin>".to_string(),
        true,
    );
    // Anything left past the limit: what came before was scanned, the
    // input as a whole was not.
    let mut probe = [0u8; 1];
    if matches!(lock.read(&mut probe), Ok(1)) {
        counters.skip(
            "<stdin>",
            SkipReason::TooLarge,
            format!(
                "over the --max-file-size limit of {} bytes (the first {0} bytes were scanned)",
                options.limit
            ),
        );
    }
}

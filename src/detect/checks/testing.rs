//! Test helpers: run a check on a value without a detector.

use std::ops::Range;

use super::{CheckFn, CheckInput, Outcome, Rejection};

/// Fixed "now" for tests that do not care about time: 2025-01-01.
pub const NOW: i64 = 1_735_689_600;

/// Runs `check` with `secret` as the whole blob, match and secret.
pub fn run(check: CheckFn, secret: &str) -> Result<Outcome, Rejection> {
    run_full(check, secret.as_bytes(), 0..secret.len(), &[], NOW)
}

/// Runs `check` on `blob` with `secret` as both the match and the secret.
pub fn run_full(
    check: CheckFn,
    blob: &[u8],
    secret: Range<usize>,
    groups: &[(&str, Range<usize>)],
    now: i64,
) -> Result<Outcome, Rejection> {
    let input = CheckInput {
        blob,
        whole: secret.clone(),
        secret,
        groups,
        now,
    };
    check(&input)
}

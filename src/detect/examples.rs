//! Runs rules' `examples` and `negative_examples` through the detector:
//! the contract `cargo test` enforces on every builtin rule and
//! `keyhound rules check FILE` on a user's file.

use super::Detector;

/// One example that did not behave as its rule says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub origin: String,
    /// `true` for an `examples` entry that found nothing, `false` for a
    /// `negative_examples` entry that found something.
    pub expected_match: bool,
    pub example: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.expected_match {
            "example was not matched"
        } else {
            "negative example was matched"
        };
        write!(
            f,
            "{} ({}): {what}: {:?}",
            self.rule_id, self.origin, self.example
        )
    }
}

/// Checks the examples of every rule for which `select` is true. An
/// example passes when the detector, with all its rules, reports a match
/// of that rule; a negative example when it reports none of that rule.
pub fn check(detector: &Detector, select: impl Fn(&str) -> bool) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    for index in 0..detector.rule_count() {
        let rule = detector.rule(index);
        if !select(&rule.id) {
            continue;
        }
        let cases = rule
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.negative_examples.iter().map(|e| (e, false)));
        for (example, expected_match) in cases {
            let matched = detector
                .detect(example.as_bytes())
                .iter()
                .any(|m| m.rule == index);
            if matched != expected_match {
                failures.push(ExampleFailure {
                    rule_id: rule.id.clone(),
                    origin: rule.origin.clone(),
                    expected_match,
                    example: example.clone(),
                });
            }
        }
    }
    failures
}

//! How a rule's regex is compiled: one place, so that loading (validation)
//! and the detector (scanning) agree on the dialect.
//!
//! Rules match bytes, not text: Unicode mode is off, so `.` and classes
//! match any byte, `\w`/`\b` are ASCII, `(?i)` is ASCII case folding, and
//! invalid UTF-8 in a blob is never an error.

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

/// Compiles a rule regex in keyhound's byte dialect and checks that it has
/// the `secret` capture.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    let re = Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            Regex::config()
                .utf8_empty(false)
                .nfa_size_limit(Some(32 * 1024 * 1024)),
        )
        .build(pattern)
        .map_err(|e| format!("regex does not compile: {e}"))?;
    let has_secret = re
        .group_info()
        .pattern_names(regex_automata::PatternID::ZERO)
        .flatten()
        .any(|n| n == "secret");
    if !has_secret {
        return Err("regex has no named capture `secret`".into());
    }
    Ok(re)
}

//! Rules: what a credential looks like, as data.
//!
//! A [`Rule`] is read from TOML (`patterns/*.toml`, embedded at build time,
//! plus `--rules FILE` and a `keyhound.toml` at the scanned root), validated
//! once, and handed to the detector as a [`RuleSet`]. Nothing here scans; the
//! detector decides when a rule's regex is compiled (lazily, on first use).

pub mod allow;
mod builtin;
mod load;
mod model;
pub mod regex;

pub use allow::Allowlist;
pub use builtin::BUILTIN_FILES;
pub use load::{
    finish_rules, load_file, parse_rules, place_allowlist, toml_error, Compile, RuleError,
};
pub use model::{Confidence, Pair, Rule, RuleSet, Severity};

/// The built-in rules embedded from `patterns/`.
///
/// Builtin files are checked by `cargo test` (every regex compiles, every
/// example matches), so a failure here is a build defect, reported as such.
pub fn builtin() -> Result<RuleSet, RuleError> {
    let mut set = RuleSet::default();
    for (name, text) in BUILTIN_FILES {
        let origin = format!("<builtin>/patterns/{name}");
        // Builtin regexes are compiled lazily by the detector, not here.
        set.extend(parse_rules(text, &origin, Compile::Lazily)?)?;
    }
    Ok(set)
}

//! `keyhound.toml`: per-repository settings, read from the scanned root or
//! `--config`.
//!
//! ```toml
//! exclude = ["corpus/**", "tests/fixtures/**"]   # gitignore-style globs
//! disable = ["generic-password"]                 # rule ids to turn off
//! confidence = "medium"                          # default --confidence
//! stopwords = ["internal-test-value"]            # placeholders for every rule
//!
//! [allow.github-token]                           # findings that are not leaks
//! paths = ["tests/fixtures/**"]
//! reason = "test fixtures"
//!
//! [[rule]]                                       # extra or overriding rules
//! id = "acme-token"
//! ...
//! ```
//!
//! Unknown keys are errors: a typo must not silently turn a setting off.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::{
    finish_rules, place_allowlist, toml_error, Allowlist, Compile, Confidence, Rule, RuleError,
    RuleSet,
};

/// The file name looked for at the scanned root.
pub const FILE_NAME: &str = "keyhound.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    disable: Vec<String>,
    confidence: Option<Confidence>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    rule: Vec<toml::Spanned<Rule>>,
    #[serde(default)]
    allow: std::collections::BTreeMap<String, toml::Spanned<Allowlist>>,
}

/// A parsed `keyhound.toml`.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Where it was read from (`None`: no file, defaults).
    pub path: Option<PathBuf>,
    pub exclude: Vec<String>,
    pub disable: Vec<String>,
    pub confidence: Option<Confidence>,
    pub stopwords: Vec<String>,
    pub rules: Vec<Rule>,
    /// `[allow.RULE-ID]` tables: (rule id, allowlist).
    pub allow: Vec<(String, Allowlist)>,
}

impl Config {
    /// Reads `path`. A missing file is an error here; use [`Config::discover`]
    /// for the optional file at a scanned root.
    pub fn load(path: &Path) -> Result<Config, RuleError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, RuleError> {
        // `keyhound.toml`, not `./keyhound.toml`, in errors and in the
        // justifications of allowlisted findings.
        let origin = path.strip_prefix(".").unwrap_or(path).display().to_string();
        let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(text, &origin, &e))?;
        let mut allow = Vec::with_capacity(raw.allow.len());
        for (id, table) in raw.allow {
            let offset = table.span().start;
            let mut list = table.into_inner();
            list.offset = offset;
            place_allowlist(text, &origin, &mut list)?;
            allow.push((id, list));
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            exclude: raw.exclude,
            disable: raw.disable,
            confidence: raw.confidence,
            stopwords: raw.stopwords,
            rules: finish_rules(text, &origin, raw.rule, Compile::Now)?,
            allow,
        })
    }

    /// The `keyhound.toml` in `root` if there is one.
    pub fn discover(root: &Path) -> Result<Config, RuleError> {
        let path = root.join(FILE_NAME);
        if root.is_dir() && path.is_file() {
            Config::load(&path)
        } else {
            Ok(Config::default())
        }
    }

    /// Adds this config's `[[rule]]`s to `set` (before any `--rules` file).
    pub fn add_rules(&self, set: &mut RuleSet) -> Result<(), RuleError> {
        set.extend(self.rules.clone())
    }

    /// Applies the settings that name rules: `disable`, `stopwords` and the
    /// `[allow.RULE-ID]` tables. Called once every rule file is loaded, so
    /// a `--rules` file that replaces a rule still gets the repository's
    /// stopwords and allowlist for it.
    pub fn apply(&self, set: &mut RuleSet) -> Result<(), RuleError> {
        set.disable(&self.disable)?;
        if !self.stopwords.is_empty() {
            set.add_stopwords(&self.stopwords);
        }
        for (id, allow) in &self.allow {
            set.add_allowlist(id, allow.clone())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_line() {
        let err = Config::parse("exclude = []\nexlcude = [\"x\"]\n", Path::new("k.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("k.toml:2:"), "{err}");
        assert!(err.contains("exlcude"), "{err}");
    }

    #[test]
    fn rules_other_rules_refer_to_can_be_disabled() {
        let c = Config::parse(
            "disable = [\"generic-password\", \"jwt\", \"aws-access-key-id\"]\n",
            Path::new("k.toml"),
        )
        .unwrap();
        let mut set = crate::rules::builtin().unwrap();
        c.add_rules(&mut set).unwrap();
        c.apply(&mut set).unwrap();
        set.validate_references().unwrap();
        assert!(set.get("jwt").is_none());
        let detector = crate::detect::Detector::new(&set).unwrap();
        // The secret rule still works on its own context words.
        let blob = b"aws_secret_access_key = 9f3kQw1pwJalrXUtnFEMI/K7MDENGbPxRfiCYzzq\n"; // keyhound:allow
        assert!(!detector.detect(blob).is_empty());
    }

    #[test]
    fn settings_are_read() {
        let c = Config::parse(
            "exclude = [\"corpus/**\"]\nconfidence = \"low\"\ndisable = [\"a\"]\n",
            Path::new("k.toml"),
        )
        .unwrap();
        assert_eq!(c.exclude, vec!["corpus/**"]);
        assert_eq!(c.confidence, Some(Confidence::Low));
        assert_eq!(c.disable, vec!["a"]);
    }
}

//! The rule model: the fields a `patterns/*.toml` entry may have.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::allow::Allowlist;
use super::RuleError;

/// How bad it is if this credential is live. Maps to SARIF `security-severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub code scanning reads `security-severity` as a CVSS-like score.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Info => "1.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a match is a real credential rather than something shaped like one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Credentials that are only dangerous together (AWS key id + secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// The partner rule's id.
    pub rule: String,
    /// How many bytes may separate this match from the partner's.
    #[serde(default = "default_pair_within")]
    pub within: usize,
    /// Drop a match that has no partner nearby — unless the rule's regex has
    /// a named group `context` that took part in the match (the match then
    /// stands on its own context words).
    #[serde(default)]
    pub required: bool,
}

fn default_pair_within() -> usize {
    512
}

fn default_max_span() -> usize {
    256
}

fn default_true() -> bool {
    true
}

/// One rule, as written in TOML. Field docs are the rule format's docs
/// (`docs/rules.md` repeats them for users).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, e.g. `aws-access-key-id`: fingerprints, baselines and
    /// ignore files refer to it, so it never changes once shipped.
    pub id: String,
    pub name: String,
    pub provider: String,
    pub description: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Literals (ASCII case-insensitive) that must occur in or near every
    /// match: the prefilter's input.
    pub keywords: Vec<String>,
    /// Byte regex with one named capture `secret`.
    pub regex: String,
    /// How far (bytes) a match may reach from a keyword hit, either side.
    #[serde(default = "default_max_span")]
    pub max_span: usize,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub min_entropy: f64,
    /// Name of a structural check in `detect::checks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair: Option<Pair>,
    /// Rule ids whose findings this rule replaces when their secrets overlap
    /// (a GCP service-account key replaces the bare private-key finding).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supersedes: Vec<String>,
    /// Substrings (ASCII case-insensitive) that make a secret a placeholder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopwords: Vec<String>,
    /// Exact values known to be public (documentation keys, emulator keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_secrets: Vec<String>,
    /// Findings to report as suppressed rather than as leaks
    /// (`[rule.allow]`). `keyhound.toml`'s `[allow.ID]` tables are added
    /// here too.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::allow::one_table"
    )]
    pub allow: Vec<Allowlist>,
    /// Apply the shared placeholder filters (`${…}`, `xxxx`, runs, …).
    #[serde(default = "default_true")]
    pub placeholder_filter: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Texts this rule must find a secret in (checked by `cargo test` and
    /// `keyhound rules check`).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts this rule must not report.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Where the rule was defined (`file:line`), for error messages.
    #[serde(skip)]
    pub origin: String,
}

/// Every rule of a run, in load order, by id.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    /// Ids turned off by configuration: other rules may still name them
    /// (in `pair` or `supersedes`); such references simply never match.
    disabled: std::collections::HashSet<String>,
}

impl RuleSet {
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Adds rules. A rule whose id is already present replaces it in place:
    /// that is how `--rules` and `keyhound.toml` override a builtin.
    pub fn extend(&mut self, rules: Vec<Rule>) -> Result<(), RuleError> {
        for rule in rules {
            self.disabled.remove(&rule.id);
            match self.by_id.get(&rule.id) {
                Some(&i) => self.rules[i] = rule,
                None => {
                    self.by_id.insert(rule.id.clone(), self.rules.len());
                    self.rules.push(rule);
                }
            }
        }
        Ok(())
    }

    /// Drops the named rules (from `keyhound.toml`'s `disable`).
    pub fn disable(&mut self, ids: &[String]) -> Result<(), RuleError> {
        for id in ids {
            if !self.by_id.contains_key(id) {
                return Err(RuleError::UnknownRule {
                    id: id.clone(),
                    context: "disable".into(),
                });
            }
        }
        self.rules.retain(|r| !ids.contains(&r.id));
        self.disabled.extend(ids.iter().cloned());
        self.reindex();
        Ok(())
    }

    /// Adds placeholder words to every rule (from `keyhound.toml`).
    pub fn add_stopwords(&mut self, words: &[String]) {
        for rule in &mut self.rules {
            rule.stopwords.extend(words.iter().cloned());
        }
    }

    /// Adds an allowlist to rule `id` (from `keyhound.toml`). A rule
    /// that was disabled needs none; an unknown id is an error.
    pub fn add_allowlist(&mut self, id: &str, allow: Allowlist) -> Result<(), RuleError> {
        match self.by_id.get(id) {
            Some(&i) => self.rules[i].allow.push(allow),
            None if self.disabled.contains(id) => {}
            None => {
                return Err(RuleError::UnknownRule {
                    id: id.to_string(),
                    context: format!("[allow.{id}] at {}", allow.origin),
                })
            }
        }
        Ok(())
    }

    fn reindex(&mut self) {
        self.by_id = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    /// Cross-rule references (`pair.rule`, `supersedes`) must name rules
    /// that exist once every source of rules has been merged.
    pub fn validate_references(&self) -> Result<(), RuleError> {
        for rule in &self.rules {
            let refs = rule
                .pair
                .iter()
                .map(|p| p.rule.as_str())
                .chain(rule.supersedes.iter().map(String::as_str));
            for target in refs {
                if !self.by_id.contains_key(target) && !self.disabled.contains(target) {
                    return Err(RuleError::UnknownRule {
                        id: target.to_string(),
                        context: format!("rule {} at {}", rule.id, rule.origin),
                    });
                }
            }
        }
        Ok(())
    }
}

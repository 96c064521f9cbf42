//! Rule allowlists (`[rule.allow]`, `keyhound.toml`'s `[allow.ID]`) as
//! suppressions: the finding is kept and marked `external`, with the
//! table's place and reason as justification, exactly like an ignore-file
//! entry.

use std::collections::{HashMap, HashSet};

use globset::GlobMatcher;

use super::ignore::path_matches;
use crate::finding::{Finding, Suppression, SuppressionKind};
use crate::rules::allow::{path_glob, secret_regex};
use crate::rules::{Allowlist, RuleSet};

/// Every allowlist of a run, compiled, by rule id.
#[derive(Debug, Default)]
pub struct Allowlists {
    by_rule: HashMap<String, Vec<Compiled>>,
}

#[derive(Debug)]
struct Compiled {
    secrets: HashSet<String>,
    regexes: Vec<regex::Regex>,
    paths: Vec<GlobMatcher>,
    justification: String,
}

impl Allowlists {
    /// Compiles the allowlists of every rule in `set`. Loading validated
    /// them; an error here names the table anyway.
    pub fn new(set: &RuleSet) -> Result<Allowlists, String> {
        let mut by_rule: HashMap<String, Vec<Compiled>> = HashMap::new();
        for rule in set.rules() {
            for allow in &rule.allow {
                let compiled =
                    compile(&rule.id, allow).map_err(|e| format!("{}: {e}", allow.origin))?;
                by_rule.entry(rule.id.clone()).or_default().push(compiled);
            }
        }
        Ok(Allowlists { by_rule })
    }

    pub fn is_empty(&self) -> bool {
        self.by_rule.is_empty()
    }

    /// The suppression for `finding` (one place, before grouping) if an
    /// allowlist of its rule matches it.
    pub fn suppression(&self, finding: &Finding) -> Option<Suppression> {
        let lists = self.by_rule.get(&finding.rule_id)?;
        let secret = finding.secret.expose();
        let hit = lists.iter().find(|a| {
            a.secrets.contains(secret)
                || a.regexes.iter().any(|re| re.is_match(secret))
                || a.paths.iter().any(|g| path_matches(g, &finding.origin))
        })?;
        Some(Suppression {
            kind: SuppressionKind::External,
            justification: hit.justification.clone(),
        })
    }

    /// Marks matching findings that nothing suppressed yet (an inline
    /// `keyhound:allow` stays the reason shown).
    pub fn apply(&self, findings: &mut [Finding]) {
        if self.is_empty() {
            return;
        }
        for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
            f.suppression = self.suppression(f);
        }
    }
}

fn compile(rule: &str, allow: &Allowlist) -> Result<Compiled, String> {
    let mut justification = format!("{}: allowlist of rule {rule}", allow.origin);
    if let Some(reason) = allow.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        justification.push_str(": ");
        justification.push_str(reason.trim());
    }
    Ok(Compiled {
        secrets: allow.secrets.iter().cloned().collect(),
        regexes: allow
            .regexes
            .iter()
            .map(|r| secret_regex(r))
            .collect::<Result<_, _>>()?,
        paths: allow
            .paths
            .iter()
            .map(|g| path_glob(g))
            .collect::<Result<_, _>>()?,
        justification,
    })
}

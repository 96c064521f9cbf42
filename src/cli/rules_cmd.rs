//! `keyhound rules list` and `keyhound rules check`.

use super::*;

pub(super) fn list_rules(set: &RuleSet, json: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, set.rules())?;
        return writeln!(out);
    }
    write_grouped(&mut out, set)
}

/// The text listing: one block per provider (providers sorted by name,
/// rules in load order inside each), a header with the provider's rule
/// count, then a line per rule, then the totals.
fn write_grouped(out: &mut impl Write, set: &RuleSet) -> std::io::Result<()> {
    let mut groups: std::collections::BTreeMap<&str, Vec<&rules::Rule>> = Default::default();
    for r in set.rules() {
        groups.entry(r.provider.as_str()).or_default().push(r);
    }
    for (i, (provider, members)) in groups.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let noun = if members.len() == 1 { "rule" } else { "rules" };
        writeln!(out, "{provider} ({} {noun})", members.len())?;
        for r in members {
            writeln!(
                out,
                "  {:<40} {:<9} {:<10} {}",
                r.id,
                r.severity.as_str(),
                r.confidence.as_str(),
                r.name
            )?;
        }
    }
    writeln!(out, "\n{} rules from {} providers", set.len(), groups.len())
}

pub(super) fn check_rules(file: &Path) -> Result<Exit, Failure> {
    let added = rules::load_file(file).map_err(usage)?;
    let ids: Vec<String> = added.iter().map(|r| r.id.clone()).collect();
    // Checked together with the builtins, so pairs and supersedes may name
    // builtin rules and examples see the same competition as in a scan.
    let mut set = rules::builtin().map_err(incomplete)?;
    set.extend(added).map_err(usage)?;
    set.validate_references().map_err(usage)?;
    let detector = Detector::new(&set).map_err(usage)?;
    let failures = examples::check(&detector, |id| ids.iter().any(|i| i == id));
    let examples_run: usize = ids
        .iter()
        .filter_map(|id| set.get(id))
        .map(|r| r.examples.len() + r.negative_examples.len())
        .sum();
    let mut out = std::io::stdout().lock();
    let written = failures
        .iter()
        .try_for_each(|f| writeln!(out, "FAIL {f}"))
        .and_then(|()| {
            writeln!(
                out,
                "{}: {} rule(s), {} example(s), {} failure(s)",
                file.display(),
                ids.len(),
                examples_run,
                failures.len()
            )
        });
    stdout_written(written, "the check's results")?;
    Ok(if failures.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_groups_rules_by_provider() {
        let text = r#"
[[rule]]
id = "zeta-token"
name = "Zeta token"
provider = "zeta"
description = "d"
severity = "high"
confidence = "high"
keywords = ["zeta_"]
regex = '''(?P<secret>zeta_[a-z]{8})'''

[[rule]]
id = "alpha-key"
name = "Alpha key"
provider = "alpha"
description = "d"
severity = "low"
confidence = "medium"
keywords = ["alpha_"]
regex = '''(?P<secret>alpha_[a-z]{8})'''

[[rule]]
id = "zeta-secret"
name = "Zeta secret"
provider = "zeta"
description = "d"
severity = "critical"
confidence = "high"
keywords = ["zetas_"]
regex = '''(?P<secret>zetas_[a-z]{8})'''
"#;
        let mut set = RuleSet::default();
        set.extend(rules::parse_rules(text, "t.toml", rules::Compile::Now).unwrap())
            .unwrap();
        let mut out = Vec::new();
        write_grouped(&mut out, &set).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "alpha (1 rule)");
        assert!(lines[1].starts_with("  alpha-key "), "{out}");
        assert_eq!(lines[2], "");
        assert_eq!(lines[3], "zeta (2 rules)");
        // Load order inside a provider.
        assert!(lines[4].starts_with("  zeta-token "), "{out}");
        assert!(lines[5].starts_with("  zeta-secret "), "{out}");
        // Columns line up (Display of severity ignores width; as_str pads).
        assert!(lines[5].contains(" critical  high "), "{out}");
        assert_eq!(lines.last(), Some(&"3 rules from 2 providers"));
    }

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("").is_err());
    }
}

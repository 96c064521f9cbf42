//! `keyhound rules list` and `keyhound rules check`.

use super::*;

pub(super) fn list_rules(set: &RuleSet, json: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, set.rules())?;
        return writeln!(out);
    }
    writeln!(
        out,
        "{:<40} {:<10} {:<9} {:<10} NAME",
        "ID", "PROVIDER", "SEVERITY", "CONFIDENCE"
    )?;
    for r in set.rules() {
        writeln!(
            out,
            "{:<40} {:<10} {:<9} {:<10} {}",
            r.id, r.provider, r.severity, r.confidence, r.name
        )?;
    }
    writeln!(out, "{} rules", set.len())
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
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "{}: {} rule(s), {} example(s), {} failure(s)",
        file.display(),
        ids.len(),
        examples_run,
        failures.len()
    );
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
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("").is_err());
    }
}

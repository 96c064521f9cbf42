//! Triage: what a finished scan reports. Rule allowlists and the ignore
//! file are applied per place, findings are grouped one per secret, then the baseline marks
//! what was already accepted. `keyhound.toml`'s `exclude` reaches history
//! findings here too (the walker applies it to files).

use super::*;
use crate::suppress::entries::Warning;

/// The findings of a scan after the ignore file, grouping and the baseline.
pub(super) struct Triaged {
    pub(super) findings: Vec<Finding>,
    /// Baseline entries no finding matched.
    pub(super) absent: Vec<BaselineEntry>,
    /// Bad lines of the ignore file and the baseline (already printed on
    /// stderr; JSON and SARIF carry them too).
    pub(super) warnings: Vec<Warning>,
}

/// Allowlists and ignore file per place, then one finding per secret (unless
/// `--all-locations`), then the baseline. Problems with the ignore or
/// baseline file's lines are warnings (on stderr, and returned for the
/// report); a file that cannot be read is a usage error (it was named, or
/// exists and is broken).
pub(super) fn triage(args: &TriageArgs, scanned: &mut Scanned) -> Result<Triaged, Failure> {
    let mut findings = std::mem::take(&mut scanned.outcome.findings);
    let mut warnings = suppress_places(
        args.ignore_file.as_deref(),
        &scanned.config_root,
        &scanned.set,
        &mut findings,
    )?;
    let mut findings = if args.all_locations {
        group::ungrouped(findings)
    } else {
        group::group(findings)
    };
    let mut absent = Vec::new();
    if let Some(path) = &args.baseline {
        let (baseline, bad_lines) = load_baseline(path)?;
        warnings.extend(bad_lines);
        baseline.apply(&mut findings);
        if args.report_absent {
            absent = baseline.absent(&findings).into_iter().cloned().collect();
        }
    }
    warn_all(&warnings);
    Ok(Triaged {
        findings,
        absent,
        warnings,
    })
}

/// The suppressions decided per place, before grouping: the rules'
/// allowlists (they belong to the rules), then the ignore file (it belongs
/// to the repository). Either way a finding is marked, not dropped.
/// Returns the ignore file's warnings, for the caller to show.
pub(super) fn suppress_places(
    ignore_file: Option<&Path>,
    root: &Path,
    set: &RuleSet,
    findings: &mut [Finding],
) -> Result<Vec<Warning>, Failure> {
    suppress::allowlist::Allowlists::new(set)
        .map_err(|e| usage(anyhow::anyhow!(e)))?
        .apply(findings);
    apply_ignore_file(ignore_file, root, set, findings)
}

/// Applies `explicit` or else the `.keyhoundignore` in `root` (if any),
/// returning its bad lines; a file that cannot be read is a usage error.
fn apply_ignore_file(
    explicit: Option<&Path>,
    root: &Path,
    set: &RuleSet,
    findings: &mut [Finding],
) -> Result<Vec<Warning>, Failure> {
    let (path, label) = match explicit {
        Some(path) => (path.to_path_buf(), path.display().to_string()),
        None => {
            let path = root.join(ignore::FILE_NAME);
            if !path.is_file() {
                return Ok(Vec::new());
            }
            (path, ignore::FILE_NAME.to_string())
        }
    };
    let (list, warnings) =
        IgnoreList::load(&path, &label, suppress::today(), |id| set.get(id).is_some())
            .map_err(|e| usage(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    suppress::apply_ignore(&list, findings);
    Ok(warnings)
}

/// `keyhound.toml`'s `exclude` for history scans: the walker applies it to
/// files, but blobs are found without paths, so findings are dropped here
/// when every path of their blob is excluded.
pub(super) fn exclude_history_paths(
    root: &Path,
    globs: &[String],
    findings: &mut Vec<Finding>,
) -> Result<(), Failure> {
    if globs.is_empty() {
        return Ok(());
    }
    let mut builder = ::ignore::gitignore::GitignoreBuilder::new(root);
    for glob in globs {
        builder
            .add_line(None, glob)
            .map_err(|e| usage(anyhow::anyhow!("invalid exclude glob {glob:?}: {e}")))?;
    }
    let matcher = builder
        .build()
        .map_err(|e| usage(anyhow::anyhow!("invalid exclude globs: {e}")))?;
    findings.retain(|f| match f.git() {
        Some(g) if !g.paths.is_empty() => !g
            .paths
            .iter()
            .all(|p| matcher.matched_path_or_any_parents(p, false).is_ignore()),
        _ => true,
    });
    Ok(())
}

/// Reads a baseline named on the command line, with its bad lines.
pub(super) fn load_baseline(path: &Path) -> Result<(Baseline, Vec<Warning>), Failure> {
    let (baseline, warnings) = Baseline::load(path).map_err(|e| {
        usage(anyhow::anyhow!(
            "cannot read baseline {}: {e}",
            path.display()
        ))
    })?;
    Ok((baseline, warnings))
}

pub(super) fn warn_all(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("keyhound: warning: {w}");
    }
}

//! Triage: what a finished scan reports. Rule allowlists and the ignore
//! file are applied per place, findings are grouped one per secret, then the baseline marks
//! what was already accepted. `keyhound.toml`'s `exclude` reaches history
//! findings here too (the walker applies it to files).

use super::*;

/// The findings of a scan after the ignore file, grouping and the baseline.
pub(super) struct Triaged {
    pub(super) findings: Vec<Finding>,
    /// Baseline entries no finding matched.
    pub(super) absent: Vec<BaselineEntry>,
}

/// Allowlists and ignore file per place, then one finding per secret (unless
/// `--all-locations`), then the baseline. Problems with the ignore or
/// baseline file's lines are warnings on stderr; a file that cannot be
/// read is a usage error (it was named, or exists and is broken).
pub(super) fn triage(args: &TriageArgs, scanned: &mut Scanned) -> Result<Triaged, Failure> {
    let mut findings = std::mem::take(&mut scanned.outcome.findings);
    suppress_places(
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
        let baseline = load_baseline(path)?;
        baseline.apply(&mut findings);
        if args.report_absent {
            absent = baseline.absent(&findings).into_iter().cloned().collect();
        }
    }
    Ok(Triaged { findings, absent })
}

/// The suppressions decided per place, before grouping: the rules'
/// allowlists (they belong to the rules), then the ignore file (it belongs
/// to the repository). Either way a finding is marked, not dropped.
pub(crate) fn suppress_places(
    ignore_file: Option<&Path>,
    root: &Path,
    set: &RuleSet,
    findings: &mut [Finding],
) -> Result<(), Failure> {
    suppress::allowlist::Allowlists::new(set)
        .map_err(|e| usage(anyhow::anyhow!(e)))?
        .apply(findings);
    apply_ignore_file(ignore_file, root, set, findings)
}

/// Applies `explicit` or else the `.keyhoundignore` in `root` (if any).
/// Bad lines warn on stderr; a file that cannot be read is a usage error.
fn apply_ignore_file(
    explicit: Option<&Path>,
    root: &Path,
    set: &RuleSet,
    findings: &mut [Finding],
) -> Result<(), Failure> {
    let (path, label) = match explicit {
        Some(path) => (path.to_path_buf(), path.display().to_string()),
        None => {
            let path = root.join(ignore::FILE_NAME);
            if !path.is_file() {
                return Ok(());
            }
            (path, ignore::FILE_NAME.to_string())
        }
    };
    let (list, warnings) =
        IgnoreList::load(&path, &label, suppress::today(), |id| set.get(id).is_some())
            .map_err(|e| usage(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    warn_all(&warnings);
    suppress::apply_ignore(&list, findings);
    Ok(())
}

/// `keyhound.toml`'s `exclude` for history scans: the walker applies it to
/// files, but blobs are found without paths, so findings are dropped here
/// when every path of their blob is excluded.
pub(crate) fn exclude_history_paths(
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

/// Reads a baseline named on the command line; its bad lines warn.
pub(super) fn load_baseline(path: &Path) -> Result<Baseline, Failure> {
    let (baseline, warnings) = Baseline::load(path).map_err(|e| {
        usage(anyhow::anyhow!(
            "cannot read baseline {}: {e}",
            path.display()
        ))
    })?;
    warn_all(&warnings);
    Ok(baseline)
}

pub(super) fn warn_all(warnings: &[suppress::entries::Warning]) {
    for w in warnings {
        eprintln!("keyhound: warning: {w}");
    }
}

//! `keyhound scan` and `keyhound git`: build the rule set and detector,
//! run the scan, triage, verify on request, write the report.

use super::*;

/// A finished scan, before triage and reporting.
pub(super) struct Scanned {
    pub(super) set: RuleSet,
    pub(super) outcome: scan::Outcome,
    /// Where `keyhound.toml` and `.keyhoundignore` are looked for.
    pub(super) config_root: PathBuf,
    /// SARIF's `%SRCROOT%` (`None`: stdin).
    pub(super) report_root: Option<PathBuf>,
    pub(super) vcs: Option<report::Vcs>,
    /// `--verify`: what to verify, planned while blobs were in memory;
    /// sent only after triage.
    pub(super) verifier: verify_cmd::ScanVerifier,
}

pub(super) fn run_scan(args: ScanArgs) -> Result<Exit, Failure> {
    let scanned = scan_files(&args)?;
    finish(&args.output, scanned)
}

pub(super) fn scan_files(args: &ScanArgs) -> Result<Scanned, Failure> {
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && args.paths.len() > 1 {
        return Err(usage(anyhow::anyhow!(
            "`-` (stdin) cannot be combined with other paths"
        )));
    }
    let namer = PathNamer::for_roots(&args.paths);
    let config_root = if stdin { Path::new(".") } else { namer.base() };
    let config = load_config(&args.output.rules, config_root)?;
    let set = rule_set_with(
        &args.output.rules.rules,
        &config,
        args.output.rules.allow_no_rules,
    )?;
    let detector = Detector::new(&set).map_err(usage)?;

    let walk = WalkOptions {
        no_ignore: args.no_ignore,
        hidden: args.hidden || !args.no_hidden,
        exclude: args
            .exclude
            .iter()
            .chain(&config.exclude)
            .cloned()
            .collect(),
        max_file_size: args.max_file_size.unwrap_or(u64::MAX),
        // Pieces overlap by what this detector can look across (its windows
        // and pairing distances), so a streamed file finds what a whole one would.
        chunking: Chunking::from_env(detector.context_reach()),
        expand: ExpandOptions {
            archives: !args.no_archives,
            ..ExpandOptions::default()
        },
        binary: args.binary,
        follow_links: !args.no_follow,
        threads: args.threads,
    };
    let input = if stdin {
        Input::Stdin
    } else {
        Input::Paths(args.paths.clone())
    };
    let confidence = min_confidence(&args.output, &config);
    let verifying = verify_cmd::ScanVerifier::new(&args.output.verify)?;
    let observe = |blob: &[u8], found: &[crate::finding::Finding]| verifying.observe(blob, found);
    let observer: Option<scan::Observer<'_>> = verifying.enabled().then_some(&observe);
    let outcome = scan::run_observed(&detector, &input, &walk, &namer, confidence, observer)
        .map_err(usage)?;
    let root = (!stdin).then(|| std::fs::canonicalize(namer.base()).unwrap_or_default());
    Ok(Scanned {
        set,
        outcome,
        config_root: config_root.to_path_buf(),
        report_root: root,
        vcs: None,
        verifier: verifying,
    })
}

pub(super) fn run_git(args: GitArgs) -> Result<Exit, Failure> {
    let scanned = scan_git(&args)?;
    finish(&args.output, scanned)
}

pub(super) fn scan_git(args: &GitArgs) -> Result<Scanned, Failure> {
    let repo = git::open(&args.repo).map_err(usage)?;
    let root = repo
        .workdir()
        .map_or_else(|| repo.git_dir().to_path_buf(), Path::to_path_buf);
    let config = load_config(&args.output.rules, &root)?;
    let set = rule_set_with(
        &args.output.rules.rules,
        &config,
        args.output.rules.allow_no_rules,
    )?;
    let detector = Detector::new(&set).map_err(usage)?;
    let scope = if let Some(range) = &args.range {
        GitScope::Range(repo.parse_range(range).map_err(git_failure)?)
    } else if let Some(since) = &args.since {
        GitScope::Range(repo.since(since).map_err(git_failure)?)
    } else if args.staged {
        GitScope::Staged
    } else {
        GitScope::Full {
            branch: args.branch.clone(),
        }
    };
    let options = git::HistoryOptions {
        max_blob_size: args.max_file_size.unwrap_or(u64::MAX),
        chunking: Chunking::from_env(detector.context_reach()),
        binary: args.binary,
        threads: args.threads,
        ..git::HistoryOptions::default()
    };
    let confidence = min_confidence(&args.output, &config);
    let verifying = verify_cmd::ScanVerifier::new(&args.output.verify)?;
    let observe = |blob: &[u8], found: &[crate::finding::Finding]| verifying.observe(blob, found);
    let observer: Option<scan::Observer<'_>> = verifying.enabled().then_some(&observe);
    let mut outcome = scan::run_git_observed(
        &detector,
        &repo,
        &scope,
        &options,
        confidence,
        args.progress || std::io::stderr().is_terminal(),
        observer,
    )
    .map_err(git_failure)?;
    exclude_history_paths(&root, &config.exclude, &mut outcome.findings)?;
    let p = repo.provenance();
    let vcs = report::Vcs {
        repository_uri: p.repository_uri.unwrap_or_else(|| file_uri(&root)),
        revision_id: p.revision_id,
        branch: p.branch,
    };
    Ok(Scanned {
        set,
        outcome,
        config_root: root.clone(),
        report_root: Some(root),
        vcs: Some(vcs),
        verifier: verifying,
    })
}

/// `file://` URI of a local repository without a remote.
pub(super) fn file_uri(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    git::file_uri(&abs)
}

pub(super) fn min_confidence(args: &OutputArgs, config: &Config) -> Confidence {
    args.confidence
        .or(config.confidence)
        .unwrap_or(Confidence::Medium)
}

/// Triages, writes the report and decides the exit code.
pub(super) fn finish(args: &OutputArgs, mut scanned: Scanned) -> Result<Exit, Failure> {
    let mut triaged = triage(&args.triage, &mut scanned)?;
    scanned.verifier.finish(&args.verify, &mut triaged.findings);
    let outcome = &scanned.outcome;
    let report = report::Report {
        findings: &triaged.findings,
        stats: &outcome.stats,
        rules: &scanned.set,
        root: scanned.report_root.clone(),
        vcs: scanned.vcs.clone(),
        absent: &triaged.absent,
        warnings: &triaged.warnings,
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let options = report::Options {
        show_secrets: args.show_secrets,
        color: match args.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
        },
        include_suppressed: args.triage.include_suppressed,
    };
    write_report(args.format, &report, &options, args.output.as_deref())?;
    if args.format != Format::Text {
        warn_skips(&outcome.stats);
    }
    let reported = triaged.findings.iter().any(Finding::is_reported);
    Ok(if reported {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

pub(super) fn write_report(
    format: Format,
    report: &report::Report<'_>,
    options: &report::Options,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let result = match output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                incomplete(anyhow::anyhow!("cannot create {}: {e}", path.display()))
            })?;
            let mut out = std::io::BufWriter::new(file);
            report::write(format, report, options, &mut out).and_then(|()| out.flush())
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            report::write(format, report, options, &mut out).and_then(|()| out.flush())
        }
    };
    stdout_written(result, "report")
}

/// Machine formats carry skips inside the report; say on stderr too, so a
/// CI log shows that the scan was partial.
pub(super) fn warn_skips(stats: &crate::stats::Stats) {
    let warnings: Vec<_> = stats
        .skipped
        .iter()
        .filter(|s| s.reason.is_warning())
        .collect();
    if warnings.is_empty() {
        return;
    }
    let mut by_reason = std::collections::BTreeMap::new();
    for s in &warnings {
        *by_reason.entry(s.reason.as_str()).or_insert(0usize) += 1;
    }
    let detail: Vec<String> = by_reason.iter().map(|(r, n)| format!("{n} {r}")).collect();
    eprintln!(
        "keyhound: warning: skipped {} file(s): {}",
        warnings.len(),
        detail.join(", ")
    );
}

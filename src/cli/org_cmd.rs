//! `keyhound org` and `keyhound org merge`: clap arguments, printing and
//! exit codes over [`crate::org`].
//!
//! Exit codes, in this order of precedence: 2 for a usage or
//! configuration error (nothing scanned); 3 when any repository failed
//! (fail closed: a repository that could not be scanned is never reported
//! clean, even if others had new findings); 1 when there are findings new
//! since the last run; 0 otherwise.

use std::time::Duration;

use super::*;
use crate::org::report::{json as org_json, OrgReport};
use crate::org::{self, repos, run, shard::Shard, state};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct OrgCommand {
    #[command(subcommand)]
    merge: Option<OrgSub>,
    #[command(flatten)]
    scan: OrgArgs,
}

#[derive(Debug, Subcommand)]
enum OrgSub {
    /// Merge shard reports written with `--format json` into one.
    Merge(MergeArgs),
    /// Print the repositories of --github-org/--github-user/--gitlab-group,
    /// one per line in the --repos FILE format (`URL name=... branch=...`).
    List(super::org_list_cmd::OrgListArgs),
}

/// Report formats of `keyhound org`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum OrgFormat {
    Text,
    Json,
    Jsonl,
    Sarif,
    Markdown,
    Html,
}

#[derive(Debug, Args)]
struct OrgArgs {
    /// Repository list: one local path or git URL per line, optional
    /// `name=` and `branch=`, `#` comments; repeatable.
    #[arg(long = "repos", value_name = "FILE")]
    repos: Vec<PathBuf>,
    #[command(flatten)]
    forge: super::org_list_cmd::ForgeArgs,
    /// Directory of bare mirrors (cloned once, fetched after).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// SQLite state store (created if missing).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Scan only shard I of N (0 <= I < N), by a stable hash of each
    /// repository's name.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Scan one of N shards, the index read from JOB_COMPLETION_INDEX
    /// (Kubernetes Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch).
    #[arg(long, value_name = "N", conflicts_with = "shard")]
    shard_count: Option<u64>,
    /// Repositories scanned at the same time [default: up to 4, at most one per CPU].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Seconds each git clone or fetch may take before it is killed.
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    repo_timeout: u64,
    /// Seconds to wait for another run holding the state store.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    lock_timeout: u64,
    /// List only findings first seen in this run.
    #[arg(long)]
    new_only: bool,
    /// Check found credentials with their provider (live/unknown ones
    /// again each run, not dead ones).
    #[arg(long)]
    verify: bool,
    /// With --verify: check dead ones again too.
    #[arg(long, requires = "verify")]
    reverify: bool,
    #[command(flatten)]
    verify_options: verify_cmd::VerifyOptions,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = OrgFormat::Text)]
    format: OrgFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write one SARIF and one JSONL file per repository into DIR.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
    /// Lowest confidence to report [default: medium, or the config's].
    #[arg(long, value_enum)]
    confidence: Option<Confidence>,
    /// Print secrets in the clear (they are redacted by default).
    #[arg(long)]
    show_secrets: bool,
    /// Scan blobs that contain NUL bytes.
    #[arg(long)]
    binary: bool,
    /// Skip blobs larger than this many bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    max_file_size: u64,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Shard reports written with `keyhound org --format json`.
    #[arg(value_name = "REPORT.json", required = true)]
    reports: Vec<PathBuf>,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = OrgFormat::Text)]
    format: OrgFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(super) fn run(command: OrgCommand) -> Result<Exit, Failure> {
    match command.merge {
        Some(OrgSub::Merge(args)) => merge(args),
        Some(OrgSub::List(args)) => super::org_list_cmd::run(args),
        None => scan(command.scan),
    }
}

fn scan(args: OrgArgs) -> Result<Exit, Failure> {
    if args.repos.is_empty() && !args.forge.any() {
        return Err(usage(anyhow::anyhow!(
            "no repositories: give --repos FILE, --github-org, --github-user or --gitlab-group (see `keyhound org --help`)"
        )));
    }
    let cache = args
        .cache
        .clone()
        .ok_or_else(|| usage(anyhow::anyhow!("--cache DIR is required")))?;
    let state_path = args
        .state
        .clone()
        .ok_or_else(|| usage(anyhow::anyhow!("--state FILE is required")))?;
    if args.format == OrgFormat::Sarif && args.out_dir.is_none() {
        return Err(usage(anyhow::anyhow!(
            "--format sarif writes one log per repository: give --out-dir DIR"
        )));
    }
    let mut all = Vec::new();
    for file in &args.repos {
        for spec in repos::load(file).map_err(usage)? {
            if let Some(other) = all.iter().find(|r: &&repos::RepoSpec| r.name == spec.name) {
                return Err(usage(anyhow::anyhow!(
                    "repository name {:?} is in more than one list ({} and {})",
                    spec.name,
                    other.display_url(),
                    spec.display_url()
                )));
            }
            all.push(spec);
        }
    }
    // Forge sources: listed now (a source that cannot be listed stops the
    // run: a missing organisation must not look clean); each clone or
    // fetch later asks `access` for a fresh token and a budget slot.
    let access = if args.forge.any() {
        let (specs, access) = super::org_list_cmd::forge_specs(&args.forge)?;
        for spec in specs {
            if let Some(other) = all.iter().find(|r: &&repos::RepoSpec| r.name == spec.name) {
                return Err(usage(anyhow::anyhow!(
                    "repository name {:?} is both in a list ({}) and from the API ({})",
                    spec.name,
                    other.display_url(),
                    spec.display_url()
                )));
            }
            all.push(spec);
        }
        Some(access)
    } else {
        None
    };
    let shard = match (args.shard, args.shard_count) {
        (Some(shard), _) => shard,
        (None, Some(count)) => Shard::from_env(count, |k| std::env::var(k).ok())
            .map_err(|e| usage(anyhow::anyhow!(e)))?,
        (None, None) => Shard::ALL,
    };
    let mine: Vec<repos::RepoSpec> = all.into_iter().filter(|r| shard.owns(&r.name)).collect();

    let config = match &args.rules.config {
        Some(path) => Config::load(path).map_err(usage)?,
        None => Config::default(),
    };
    let set = rule_set_with(&args.rules.rules, &config, args.rules.allow_no_rules)?;
    let detector = Detector::new(&set).map_err(usage)?;
    let confidence = args
        .confidence
        .or(config.confidence)
        .unwrap_or(Confidence::Medium);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cpus.min(4)).max(1);
    let history = git::HistoryOptions {
        max_blob_size: args.max_file_size,
        binary: args.binary,
        // The CPUs shared out among the repositories in flight.
        threads: (cpus / jobs).max(1),
        ..git::HistoryOptions::default()
    };
    let digest = org::digest::scan_digest(&set, &history, confidence);
    let settings = run::Settings {
        cache,
        jobs,
        repo_timeout: Duration::from_secs(args.repo_timeout.max(1)),
        history,
        min_confidence: confidence,
        verify: if args.verify {
            Some(run::Verify {
                settings: args.verify_options.settings()?,
                reverify: args.reverify,
            })
        } else {
            None
        },
        need_secrets: args.show_secrets,
        access,
    };

    let opened =
        state::open(&state_path, Duration::from_secs(args.lock_timeout)).map_err(|e| match e {
            state::StateError::Newer { .. } => usage(e),
            other => incomplete(other),
        })?;
    for w in &opened.warnings {
        eprintln!("keyhound: warning: {w}");
    }
    let mut store = opened.store;
    let run_id = store
        .begin_run(&digest, &shard.to_string())
        .map_err(incomplete)?;
    let progress = std::io::stderr().is_terminal();
    let total = mine.len();
    let on_done = |o: &run::RepoOutcome, n: usize| {
        if progress {
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[2Kkeyhound org: {n}/{total} repositories ({}: {} blobs scanned)",
                o.name,
                o.blobs_scanned
            );
        }
    };
    let cx = run::Context {
        detector: &detector,
        rules: &set,
        digest: &digest,
        settings: &settings,
        on_done: &on_done,
    };
    let outcomes = run::run(&mine, &mut store, run_id, &cx).map_err(incomplete)?;
    if progress && total > 0 {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
    store.finish_run(run_id).map_err(incomplete)?;
    drop(store);

    let options = report::Options {
        show_secrets: args.show_secrets,
        color: false,
        include_suppressed: false,
    };
    let report = OrgReport::of(
        &outcomes,
        &org::report::Build {
            shard: shard.to_string(),
            digest: &digest,
            new_only: args.new_only,
            options: &options,
        },
    );
    if let Some(dir) = &args.out_dir {
        write_out_dir(dir, &outcomes, &set, &options, args.new_only)?;
    }
    // SARIF went to --out-dir; the text summary goes to stdout or -o.
    write_org(args.format, &report, args.output.as_deref())?;
    for f in &report.failures {
        eprintln!("keyhound: error: {}: {}", f.repo, f.error);
    }
    Ok(exit_for(&report))
}

/// Fail closed first: a failed repository makes the run incomplete even
/// when others had new findings.
fn exit_for(report: &OrgReport) -> Exit {
    if report.stats.repos_failed > 0 {
        Exit::Incomplete
    } else if report.stats.new > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

fn merge(args: MergeArgs) -> Result<Exit, Failure> {
    if args.format == OrgFormat::Sarif {
        return Err(usage(anyhow::anyhow!(
            "`org merge` writes text, json, jsonl, markdown or html; SARIF is written per \
             repository by each shard's --out-dir"
        )));
    }
    let mut parts = Vec::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
        parts.push(
            org_json::read(&text).map_err(|e| usage(anyhow::anyhow!("{}: {e}", path.display())))?,
        );
    }
    let report = OrgReport::merge(parts).map_err(|e| usage(anyhow::anyhow!(e)))?;
    write_org(args.format, &report, args.output.as_deref())?;
    Ok(exit_for(&report))
}

fn write_org(format: OrgFormat, report: &OrgReport, output: Option<&Path>) -> Result<(), Failure> {
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match format {
            OrgFormat::Json => org_json::write_json(report, out),
            OrgFormat::Jsonl => org_json::write_jsonl(report, out),
            OrgFormat::Markdown => org::report::markdown::write(report, out),
            OrgFormat::Html => org::report::html::write(report, out),
            OrgFormat::Text | OrgFormat::Sarif => write_text(report, out),
        }
    };
    let result = match output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                incomplete(anyhow::anyhow!("cannot create {}: {e}", path.display()))
            })?;
            let mut out = std::io::BufWriter::new(file);
            write(&mut out).and_then(|()| out.flush())
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out).and_then(|()| out.flush())
        }
    };
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| incomplete(anyhow::anyhow!("cannot write report: {e}"))),
    }
}

/// `--out-dir`: per repository a SARIF log (or its parts) and a JSONL
/// file of its findings.
fn write_out_dir(
    dir: &Path,
    outcomes: &[run::RepoOutcome],
    set: &RuleSet,
    options: &report::Options,
    new_only: bool,
) -> Result<(), Failure> {
    let fail =
        |e: std::io::Error| incomplete(anyhow::anyhow!("cannot write to {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    for o in outcomes {
        let stem = org::mirror::file_stem(&o.name);
        let findings: Vec<Finding> = o
            .findings
            .iter()
            .filter(|f| !new_only || o.new.contains(&f.fingerprint))
            .cloned()
            .collect();
        let vcs = o.provenance.as_ref().map(|p| report::Vcs {
            repository_uri: p
                .repository_uri
                .as_deref()
                .map_or_else(|| o.url.clone(), repos::strip_userinfo),
            revision_id: p.revision_id.clone(),
            branch: o.branch.clone().or_else(|| p.branch.clone()),
        });
        let logs = org::report::sarif::logs(
            &o.name,
            &findings,
            set,
            vcs,
            options,
            (
                org::report::sarif::MAX_RESULTS,
                org::report::sarif::MAX_BYTES,
            ),
        )
        .map_err(fail)?;
        let many = logs.len() > 1;
        for (i, log) in logs.iter().enumerate() {
            let name = if many {
                format!("{stem}.part-{}.sarif", i + 1)
            } else {
                format!("{stem}.sarif")
            };
            std::fs::write(dir.join(name), log).map_err(fail)?;
        }
        let mut jsonl = Vec::new();
        for f in findings.iter().filter(|f| f.is_reported()) {
            let mut v = report::finding_json(f, options);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("repo".into(), o.name.clone().into());
                obj.insert("new".into(), o.new.contains(&f.fingerprint).into());
            }
            jsonl.extend(v.to_string().into_bytes());
            jsonl.push(b'\n');
        }
        std::fs::write(dir.join(format!("{stem}.jsonl")), jsonl).map_err(fail)?;
    }
    Ok(())
}

/// The text summary: one line per repository, then findings, fixed and
/// failures.
fn write_text(r: &OrgReport, out: &mut dyn Write) -> std::io::Result<()> {
    let t = &r.stats;
    for repo in &t.repos {
        writeln!(
            out,
            "{:<8} {}  {}{} blobs scanned, {} known, {} findings ({} new, {} fixed){}",
            repo.status,
            repo.name,
            if repo.unchanged { "unchanged, " } else { "" },
            repo.blobs_scanned,
            repo.blobs_known,
            repo.findings,
            repo.new,
            repo.fixed,
            repo.error
                .as_ref()
                .map_or(String::new(), |e| format!(": {e}"))
        )?;
    }
    if !r.findings.is_empty() {
        writeln!(out)?;
    }
    for f in &r.findings {
        let s = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or("");
        writeln!(
            out,
            "{}{}: {} {}:{} {}",
            if f.get("new").and_then(|v| v.as_bool()) == Some(true) {
                "NEW "
            } else {
                ""
            },
            s("repo"),
            s("rule_id"),
            s("path"),
            f.get("line").and_then(|v| v.as_u64()).unwrap_or(0),
            s("secret"),
        )?;
    }
    for f in &r.fixed {
        writeln!(out, "FIXED {}: {} {}", f.repo, f.rule_id, f.secret)?;
    }
    writeln!(
        out,
        "\n{} repositories ({} complete, {} of them unchanged, {} failed), {} blobs scanned, {} findings ({} new, {} fixed)",
        t.repos_total,
        t.repos_complete,
        t.repos_unchanged,
        t.repos_failed,
        t.blobs_scanned,
        t.findings,
        t.new,
        t.fixed
    )
}

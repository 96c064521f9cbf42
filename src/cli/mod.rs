//! Command-line interface: clap definitions and dispatch.
//!
//! Each command returns an [`Exit`]; `main` maps it to the process exit
//! code. Errors carry their context and are printed once, here.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::detect::{examples, Detector};
use crate::finding::Finding;
use crate::group;
use crate::report::{self, Format};
use crate::rules::{self, Confidence, RuleSet};
use crate::scan::{self, GitScope, Input};
use crate::source::git;
use crate::source::{PathNamer, WalkOptions};
use crate::suppress::{
    self, baseline, baseline::Baseline, baseline::BaselineEntry, ignore, ignore::IgnoreList,
};

mod baseline_cmd;
mod rules_cmd;
mod triage;

use triage::triage;
pub(crate) use triage::{exclude_history_paths, suppress_places, warn_all};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing found.
    Clean = 0,
    /// Findings reported (or rule examples failed).
    Findings = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// The scan could not complete (I/O on output, internal failure).
    Incomplete = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "keyhound",
    version,
    about = "Find leaked cloud credentials (AWS, GCP, Azure, private keys, tokens) in files",
    after_help = "Exit codes: 0 nothing found, 1 findings, 2 usage or configuration error, 3 scan could not complete."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and directories (or `-` for stdin) for credentials.
    Scan(ScanArgs),
    /// Scan a git repository's history: every unique blob once.
    Git(GitArgs),
    /// List or check rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Install, remove or run git hooks that block leaked credentials.
    #[command(subcommand)]
    Hook(crate::hook::HookCommand),
    /// Record today's findings as accepted, or find stale baseline entries.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Check credentials given directly or in a JSON/JSONL report written
    /// with --show-secrets (sends them to their provider).
    Verify(crate::verify::command::VerifyCommand),
}

#[derive(Debug, Subcommand)]
enum BaselineCommand {
    /// Print the fingerprints of today's findings, one per line, sorted
    /// (`keyhound baseline create [PATH ...] > keyhound-baseline.txt`;
    /// `keyhound baseline create git [REPO]` for history).
    Create(BaselineScan),
    /// List baseline entries whose secret no longer occurs (exit 1 if any),
    /// so the baseline can shrink.
    Check(BaselineScan),
}

/// The scan a baseline command runs: a file scan by default, or
/// `git [REPO]` for history, with the usual options of either.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct BaselineScan {
    #[command(subcommand)]
    source: Option<BaselineSource>,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
enum BaselineSource {
    /// Scan files and directories (the default).
    Scan(ScanArgs),
    /// Scan a repository's history.
    Git(GitArgs),
}

#[derive(Debug, Args)]
struct GitArgs {
    /// Repository (worktree, .git directory or bare repository).
    #[arg(value_name = "REPO", default_value = ".")]
    repo: PathBuf,
    /// Scan only blobs introduced by the commits of this range (`A..B`).
    #[arg(long, value_name = "A..B", conflicts_with_all = ["since", "staged"])]
    range: Option<String>,
    /// Scan only blobs introduced since REF (`REF..HEAD`).
    #[arg(long, value_name = "REF", conflicts_with = "staged")]
    since: Option<String>,
    /// Scan staged content (index entries that differ from HEAD).
    #[arg(long)]
    staged: bool,
    /// Attribute findings using only this branch's history.
    #[arg(long, value_name = "REF")]
    branch: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
    /// Scan blobs that contain NUL bytes.
    #[arg(long)]
    binary: bool,
    /// Skip blobs larger than this many bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    max_file_size: u64,
    /// Worker threads (default: one per CPU).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// Show progress on stderr even when it is not a terminal.
    #[arg(long)]
    progress: bool,
}

/// Rule, report and display options shared by `scan` and `git`.
#[derive(Debug, Args)]
struct OutputArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Lowest confidence to report [default: medium, or keyhound.toml's].
    #[arg(long, value_enum)]
    confidence: Option<Confidence>,
    /// Print secrets in the clear (they are redacted by default).
    #[arg(long)]
    show_secrets: bool,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[command(flatten)]
    triage: TriageArgs,
    #[command(flatten)]
    verify: crate::verify::command::VerifyArgs,
}

/// What is reported: ignore file, baseline, grouping.
#[derive(Debug, Args)]
struct TriageArgs {
    /// Ignore file [default: .keyhoundignore in the scanned directory].
    #[arg(long, value_name = "FILE")]
    ignore_file: Option<PathBuf>,
    /// Report only findings whose fingerprint is not in FILE (made by
    /// `keyhound baseline create`).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// With --baseline: list baseline entries no longer found (SARIF
    /// `baselineState: absent`).
    #[arg(long, requires = "baseline")]
    report_absent: bool,
    /// Also list suppressed and baselined findings in text and JSON
    /// (SARIF always carries them).
    #[arg(long)]
    include_suppressed: bool,
    /// One result per place a secret occurs instead of one per secret.
    #[arg(long)]
    all_locations: bool,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Print every rule in effect (builtins, `--rules` files, keyhound.toml).
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Validate a rule file and run its examples and negative examples.
    Check {
        /// Rule file (TOML with `[[rule]]` tables).
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
struct RuleArgs {
    /// Extra rule file; repeatable. A rule with a builtin's id replaces it.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Configuration file (default: keyhound.toml in the scanned directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Do not read .gitignore/.ignore files.
    #[arg(long)]
    no_ignore: bool,
    /// Scan hidden files and directories (the default: `.env` files are
    /// where keys leak).
    #[arg(long, overrides_with = "no_hidden")]
    hidden: bool,
    /// Skip hidden files and directories.
    #[arg(long)]
    no_hidden: bool,
    /// Leave out paths matching this gitignore-style glob; repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Scan files that contain NUL bytes.
    #[arg(long)]
    binary: bool,
    /// Do not follow symbolic links.
    #[arg(long)]
    no_follow: bool,
    /// Skip files larger than this many bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    max_file_size: u64,
    /// Worker threads (default: one per CPU).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mult = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in {s:?} (use K, M or G)")),
            };
            (&s[..i], mult)
        }
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .map_err(|e| format!("invalid size {s:?}: {e}"))?
        .checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

/// Parses arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => Exit::Usage.into(),
            };
        }
    };
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(Failure(exit, err)) => {
            eprintln!("keyhound: error: {err:#}");
            exit.into()
        }
    }
}

/// An error and the exit code it maps to.
#[derive(Debug)]
pub(crate) struct Failure(Exit, anyhow::Error);

pub(crate) fn usage(err: impl Into<anyhow::Error>) -> Failure {
    Failure(Exit::Usage, err.into())
}

pub(crate) fn incomplete(err: impl Into<anyhow::Error>) -> Failure {
    Failure(Exit::Incomplete, err.into())
}

/// A revision or path the user named is a usage error; a repository that
/// cannot be read means the scan could not complete.
pub(crate) fn git_failure(err: git::GitError) -> Failure {
    match err {
        git::GitError::NotARepository { .. } | git::GitError::BadRevision { .. } => usage(err),
        other => incomplete(other),
    }
}

fn run(cli: Cli) -> Result<Exit, Failure> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Git(args) => run_git(args),
        Command::Rules(RulesCommand::List { rules, json }) => {
            let config = load_config(&rules, Path::new("."))?;
            let set = rule_set(&rules.rules, &config)?;
            rules_cmd::list_rules(&set, json).map_err(incomplete)?;
            Ok(Exit::Clean)
        }
        Command::Rules(RulesCommand::Check { file }) => rules_cmd::check_rules(&file),
        Command::Hook(command) => crate::hook::run(command),
        Command::Baseline(BaselineCommand::Create(args)) => baseline_cmd::create(args),
        Command::Baseline(BaselineCommand::Check(args)) => baseline_cmd::check(args),
        Command::Verify(command) => crate::verify::command::run(command),
    }
}

fn load_config(args: &RuleArgs, root: &Path) -> Result<Config, Failure> {
    match &args.config {
        Some(path) => Config::load(path).map_err(usage),
        None => Config::discover(root).map_err(usage),
    }
}

/// Builtins, then `keyhound.toml`'s rules, then `--rules` files (last wins).
pub(crate) fn rule_set(files: &[PathBuf], config: &Config) -> Result<RuleSet, Failure> {
    let mut set = rules::builtin().map_err(incomplete)?;
    config.add_rules(&mut set).map_err(usage)?;
    for file in files {
        set.extend(rules::load_file(file).map_err(usage)?)
            .map_err(usage)?;
    }
    config.apply(&mut set).map_err(usage)?;
    set.validate_references().map_err(usage)?;
    Ok(set)
}

/// A finished scan, before triage and reporting.
struct Scanned {
    set: RuleSet,
    outcome: scan::Outcome,
    /// Where `keyhound.toml` and `.keyhoundignore` are looked for.
    config_root: PathBuf,
    /// SARIF's `%SRCROOT%` (`None`: stdin).
    report_root: Option<PathBuf>,
    vcs: Option<report::Vcs>,
    /// `--verify`: what to verify, planned while blobs were in memory;
    /// sent only after triage.
    verifier: crate::verify::command::ScanVerifier,
}

fn run_scan(args: ScanArgs) -> Result<Exit, Failure> {
    let scanned = scan_files(&args)?;
    finish(&args.output, scanned)
}

fn scan_files(args: &ScanArgs) -> Result<Scanned, Failure> {
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && args.paths.len() > 1 {
        return Err(usage(anyhow::anyhow!(
            "`-` (stdin) cannot be combined with other paths"
        )));
    }
    let namer = PathNamer::for_roots(&args.paths);
    let config_root = if stdin { Path::new(".") } else { namer.base() };
    let config = load_config(&args.output.rules, config_root)?;
    let set = rule_set(&args.output.rules.rules, &config)?;
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
        max_file_size: args.max_file_size,
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
    let verifying = crate::verify::command::ScanVerifier::new(&args.output.verify)?;
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

fn run_git(args: GitArgs) -> Result<Exit, Failure> {
    let scanned = scan_git(&args)?;
    finish(&args.output, scanned)
}

fn scan_git(args: &GitArgs) -> Result<Scanned, Failure> {
    let repo = git::open(&args.repo).map_err(usage)?;
    let root = repo
        .workdir()
        .map_or_else(|| repo.git_dir().to_path_buf(), Path::to_path_buf);
    let config = load_config(&args.output.rules, &root)?;
    let set = rule_set(&args.output.rules.rules, &config)?;
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
        max_blob_size: args.max_file_size,
        binary: args.binary,
        threads: args.threads,
    };
    let confidence = min_confidence(&args.output, &config);
    let verifying = crate::verify::command::ScanVerifier::new(&args.output.verify)?;
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
fn file_uri(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    git::file_uri(&abs)
}

fn min_confidence(args: &OutputArgs, config: &Config) -> Confidence {
    args.confidence
        .or(config.confidence)
        .unwrap_or(Confidence::Medium)
}

/// Triages, writes the report and decides the exit code.
fn finish(args: &OutputArgs, mut scanned: Scanned) -> Result<Exit, Failure> {
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

fn write_report(
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
    match result {
        // A closed pipe (`keyhound scan | head`) is the reader's choice.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| incomplete(anyhow::anyhow!("cannot write report: {e}"))),
    }
}

/// Machine formats carry skips inside the report; say on stderr too, so a
/// CI log shows that the scan was partial.
fn warn_skips(stats: &crate::stats::Stats) {
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

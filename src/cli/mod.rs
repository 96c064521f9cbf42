//! Command-line interface: clap definitions, dispatch, exit codes.
//!
//! One module per command, each a thin layer over the library:
//! `scan_cmd` (`scan`, `git`), `baseline_cmd`, `rules_cmd`, `hook_cmd`,
//! `verify_cmd`, `org_cmd`, `org_list_cmd` (`org list` and the forge
//! flags `org` flattens); `triage` is the triage they share (allowlists,
//! ignore file, grouping, baseline). Each command returns an [`Exit`]; `main` maps
//! it to the process exit code. Errors carry their context and are printed
//! once, here: [`Failure`] pairs an error with its exit code.

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
use crate::source::{Chunking, ExpandOptions, PathNamer, WalkOptions};
use crate::suppress::{
    self, baseline, baseline::Baseline, baseline::BaselineEntry, ignore, ignore::IgnoreList,
};

mod baseline_cmd;
mod doctor_cmd;
mod hook_cmd;
mod org_cmd;
mod org_list_cmd;
mod revoke_cmd;
mod rules_cmd;
mod scan_cmd;
mod triage;
mod verify_cmd;

use scan_cmd::{run_git, run_scan, scan_files, scan_git, Scanned};
use triage::triage;
use triage::{exclude_history_paths, suppress_places, warn_all};

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
    Hook(hook_cmd::HookCommand),
    /// Record today's findings as accepted, or find stale baseline entries.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Check credentials given directly or in a JSON/JSONL report written
    /// with --show-secrets (sends them to their provider).
    Verify(verify_cmd::VerifyCommand),
    /// Revoke leaked credentials, on this explicit command only: GitHub
    /// tokens through GitHub's revocation API, AWS keys deactivated with
    /// their own credentials. Shows what it will do and asks first.
    Revoke(revoke_cmd::RevokeCommand),
    /// Check that this configuration still finds leaks: plants fresh
    /// canary credentials in a temporary file and git history, scans them
    /// as `scan` and `git` would, says which were found (exit 0 all, 1 not).
    Doctor(doctor_cmd::DoctorCommand),
    /// Scan many repositories (mirrored into a cache), incrementally:
    /// only blobs not scanned before. `org merge` joins shard reports;
    /// `org list` prints the repositories the GitHub/GitLab sources name.
    Org(org_cmd::OrgCommand),
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
    /// Do not open archive and compressed blobs (zip, jar, tar, gz, …).
    #[arg(long)]
    no_archives: bool,
    /// Skip blobs larger than this many bytes (suffixes K, M, G allowed;
    /// default: no limit for blobs stored whole, which are streamed; deltas
    /// over 64 MiB, which must be built in memory, are skipped).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_file_size: Option<u64>,
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
    verify: verify_cmd::VerifyArgs,
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
    /// Run even when the configuration leaves no built-in rule enabled
    /// (otherwise refused: a scan with no rule finds nothing and says so).
    #[arg(long)]
    allow_no_rules: bool,
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
    /// Do not open archives and compressed files (zip, jar, war, whl, apk,
    /// tar, gz, bz2, xz, zst); UTF-16 text is still decoded.
    #[arg(long)]
    no_archives: bool,
    /// Skip files larger than this many bytes (suffixes K, M, G allowed;
    /// default: no limit, since large files are streamed in bounded memory).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_file_size: Option<u64>,
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
pub struct Failure(Exit, anyhow::Error);

fn usage(err: impl Into<anyhow::Error>) -> Failure {
    Failure(Exit::Usage, err.into())
}

fn incomplete(err: impl Into<anyhow::Error>) -> Failure {
    Failure(Exit::Incomplete, err.into())
}

/// The end of writing `what` to standard output. A reader that went away
/// (`keyhound rules list | head`) chose to stop reading: a closed pipe
/// ends the output quietly, as in git and ripgrep, and is no failure.
fn stdout_written(result: std::io::Result<()>, what: &str) -> Result<(), Failure> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| incomplete(anyhow::anyhow!("cannot write {what}: {e}"))),
    }
}

/// A revision or path the user named is a usage error; a repository that
/// cannot be read means the scan could not complete.
fn git_failure(err: git::GitError) -> Failure {
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
            let set = rule_set_with(&rules.rules, &config, rules.allow_no_rules)?;
            stdout_written(rules_cmd::list_rules(&set, json), "the rule list")?;
            Ok(Exit::Clean)
        }
        Command::Rules(RulesCommand::Check { file }) => rules_cmd::check_rules(&file),
        Command::Hook(command) => hook_cmd::run(command),
        Command::Baseline(BaselineCommand::Create(args)) => baseline_cmd::create(args),
        Command::Baseline(BaselineCommand::Check(args)) => baseline_cmd::check(args),
        Command::Verify(command) => verify_cmd::run(command),
        Command::Revoke(command) => revoke_cmd::run(command),
        Command::Doctor(command) => doctor_cmd::run(command),
        Command::Org(command) => org_cmd::run(command),
    }
}

fn load_config(args: &RuleArgs, root: &Path) -> Result<Config, Failure> {
    match &args.config {
        Some(path) => Config::load(path).map_err(usage),
        None => Config::discover(root).map_err(usage),
    }
}

/// Builtins, then `keyhound.toml`'s rules, then `--rules` files (last wins).
fn rule_set(files: &[PathBuf], config: &Config) -> Result<RuleSet, Failure> {
    rule_set_with(files, config, false)
}

/// The run's rules: built-ins, the configuration's, `--rules` files, then
/// the configuration's switches. Fails closed: a configuration (or a
/// `disable` list) that turns off every built-in rule is refused unless
/// `allow_no_rules`, since a scan with nothing to look for reports
/// "no secrets found" for any input.
fn rule_set_with(
    files: &[PathBuf],
    config: &Config,
    allow_no_rules: bool,
) -> Result<RuleSet, Failure> {
    let mut set = rules::builtin().map_err(incomplete)?;
    let builtin: std::collections::HashSet<String> =
        set.rules().iter().map(|r| r.id.clone()).collect();
    config.add_rules(&mut set).map_err(usage)?;
    for file in files {
        set.extend(rules::load_file(file).map_err(usage)?)
            .map_err(usage)?;
    }
    config.apply(&mut set).map_err(usage)?;
    set.validate_references().map_err(usage)?;
    if !allow_no_rules && !set.rules().iter().any(|r| builtin.contains(&r.id)) {
        let from = config.path.as_ref().map_or_else(
            || "the configuration".to_string(),
            |p| p.display().to_string(),
        );
        return Err(usage(anyhow::anyhow!(
            "{from} leaves no built-in rule enabled ({} rule(s) in all): refusing to scan with it; pass --allow-no-rules if that is meant",
            set.len()
        )));
    }
    Ok(set)
}

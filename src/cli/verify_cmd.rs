//! `--verify` for `scan` and `git`, and `keyhound verify`: clap options,
//! reading reports, printing results. Verification itself is
//! [`crate::verify`].

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{stdout_written, usage, Exit, Failure};
use crate::finding::{fingerprint, Finding, Secret, Status, Verification};
use crate::verify::input::{self, Entry};
use crate::verify::plan::Item;
use crate::verify::{self as verifier, Endpoints, Plans, Settings};

/// How verification behaves and where it may send requests.
#[derive(Debug, Clone, Args)]
pub struct VerifyOptions {
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    verify_concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    verify_timeout: f64,
    /// Requests per second to each provider.
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    verify_rate: f64,
    /// For a live AWS key, also read what it may do: its IAM policies and
    /// IAM's policy simulator, read-only calls made with the key itself
    /// (docs/verification.md lists them). With --verify, or `keyhound verify`.
    #[arg(long)]
    exposure: bool,
    /// Send AWS STS requests here instead of https://sts.amazonaws.com (tests, emulators).
    #[arg(long, value_name = "URL", env = "KEYHOUND_AWS_STS_ENDPOINT")]
    aws_sts_endpoint: Option<String>,
    /// Send AWS IAM requests (--exposure) here instead of https://iam.amazonaws.com (tests, emulators).
    #[arg(long, value_name = "URL", env = "KEYHOUND_AWS_IAM_ENDPOINT")]
    aws_iam_endpoint: Option<String>,
    /// Send GCP token requests here instead of https://oauth2.googleapis.com/token.
    #[arg(long, value_name = "URL", env = "KEYHOUND_GCP_TOKEN_ENDPOINT")]
    gcp_token_endpoint: Option<String>,
    /// Send GCP API key probes here instead of https://www.googleapis.com.
    #[arg(long, value_name = "URL", env = "KEYHOUND_GCP_API_ENDPOINT")]
    gcp_api_endpoint: Option<String>,
    /// Send Azure Storage requests here instead of https://<account>.blob.core.windows.net.
    #[arg(long, value_name = "URL", env = "KEYHOUND_AZURE_BLOB_ENDPOINT")]
    azure_blob_endpoint: Option<String>,
    /// Send Entra ID token requests here instead of https://login.microsoftonline.com.
    #[arg(long, value_name = "URL", env = "KEYHOUND_AZURE_LOGIN_ENDPOINT")]
    azure_login_endpoint: Option<String>,
}

/// `--verify` and `--only-verified` on `scan` and `git`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Check found AWS, GCP and Azure credentials with their provider
    /// (sends them over the network; see docs/verification.md).
    #[arg(long)]
    pub verify: bool,
    /// Report only credentials verified live (needs --verify).
    #[arg(long, requires = "verify")]
    pub only_verified: bool,
    #[command(flatten)]
    pub options: VerifyOptions,
}

impl VerifyOptions {
    /// Validated settings; prints a warning per endpoint override.
    pub(super) fn settings(&self) -> Result<Settings, Failure> {
        let endpoints = Endpoints {
            aws_sts: self.aws_sts_endpoint.clone(),
            aws_iam: self.aws_iam_endpoint.clone(),
            gcp_token: self.gcp_token_endpoint.clone(),
            gcp_api: self.gcp_api_endpoint.clone(),
            azure_blob: self.azure_blob_endpoint.clone(),
            azure_login: self.azure_login_endpoint.clone(),
            github_api: None,
        };
        endpoints
            .validate()
            .map_err(|e| usage(anyhow::anyhow!(e)))?;
        if self.verify_concurrency == 0 {
            return Err(usage(anyhow::anyhow!(
                "--verify-concurrency must be at least 1"
            )));
        }
        if !(self.verify_timeout > 0.0 && self.verify_timeout <= 600.0) {
            return Err(usage(anyhow::anyhow!(
                "--verify-timeout must be between 0 and 600 seconds"
            )));
        }
        if self.verify_rate.is_nan() || self.verify_rate <= 0.0 {
            return Err(usage(anyhow::anyhow!("--verify-rate must be positive")));
        }
        for (name, url) in endpoints.overrides() {
            eprintln!("keyhound: warning: {name} {url}: credentials will be sent there instead of the provider");
        }
        Ok(Settings {
            endpoints,
            concurrency: self.verify_concurrency,
            timeout: Duration::from_secs_f64(self.verify_timeout),
            rate_per_provider: self.verify_rate,
            exposure: self.exposure,
            ..Settings::default()
        })
    }
}

/// Verifies the planned findings of a scan and applies `--only-verified`.
fn verify_findings(
    args: &VerifyArgs,
    settings: &Settings,
    findings: &mut Vec<Finding>,
    plans: Plans,
) {
    let results = verifier::verify_plans(plans, settings);
    verifier::attach(findings, &results);
    if args.only_verified {
        verifier::retain_live(findings);
    }
}

/// `--verify` for one scan: collects what to verify while blobs are in
/// memory, verifies once the scan is done. Without `--verify` it observes
/// nothing and nothing is sent anywhere.
pub(super) struct ScanVerifier {
    settings: Option<Settings>,
    plans: std::sync::Mutex<Plans>,
}

impl ScanVerifier {
    pub(super) fn new(args: &VerifyArgs) -> Result<ScanVerifier, Failure> {
        if args.options.exposure && !args.verify {
            return Err(usage(anyhow::anyhow!(
                "--exposure needs --verify (it reads what a verified live key may do)"
            )));
        }
        Ok(ScanVerifier {
            settings: if args.verify {
                Some(args.options.settings()?)
            } else {
                None
            },
            plans: std::sync::Mutex::new(Plans::default()),
        })
    }

    pub(super) fn enabled(&self) -> bool {
        self.settings.is_some()
    }

    pub(super) fn observe(&self, blob: &[u8], findings: &[Finding]) {
        self.plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add_blob(blob, findings);
    }

    /// Runs after triage, so only findings that are neither suppressed
    /// (inline, ignore file) nor excluded are verified.
    pub(super) fn finish(self, args: &VerifyArgs, findings: &mut Vec<Finding>) {
        if let Some(settings) = &self.settings {
            let mut plans = self.plans.into_inner().unwrap_or_else(|e| e.into_inner());
            let wanted: std::collections::HashSet<&str> = findings
                .iter()
                .filter(|f| f.suppression.is_none())
                .map(|f| f.fingerprint.as_str())
                .collect();
            plans.retain(|fp| wanted.contains(fp));
            verify_findings(args, settings, findings, plans);
        }
    }
}

/// `keyhound verify`.
#[derive(Debug, Args)]
pub struct VerifyCommand {
    /// A JSON or JSONL report written with `--show-secrets` (`-` for stdin).
    #[arg(value_name = "REPORT", conflicts_with = "aws_key_id")]
    report: Option<PathBuf>,
    /// AWS access key id to check (with --aws-secret).
    #[arg(long, value_name = "ID", requires = "aws_secret")]
    aws_key_id: Option<String>,
    /// AWS secret access key (note: visible in the process list; prefer a report file).
    #[arg(long, value_name = "SECRET", requires = "aws_key_id")]
    aws_secret: Option<String>,
    /// AWS session token, for ASIA key ids.
    #[arg(long, value_name = "TOKEN", requires = "aws_key_id")]
    aws_session_token: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
    /// Print secrets in the clear in the results.
    #[arg(long)]
    show_secrets: bool,
    #[command(flatten)]
    options: VerifyOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ResultFormat {
    Text,
    Jsonl,
}

/// One result object of `keyhound verify`.
#[derive(Debug, Serialize)]
struct ResultView<'a> {
    rule_id: &'a str,
    path: &'a str,
    line: usize,
    secret: String,
    fingerprint: &'a str,
    verification: &'a Verification,
}

pub(super) fn run(cmd: VerifyCommand) -> Result<Exit, Failure> {
    let entries = entries(&cmd)?;
    if entries.is_empty() {
        return Err(usage(anyhow::anyhow!("no credentials to verify")));
    }
    let settings = cmd.options.settings()?;
    let mut by_path: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for e in &entries {
        by_path.entry(&e.path).or_default().push(e.item.clone());
    }
    let mut plans = Plans::default();
    for items in by_path.values() {
        plans.add_group(None, items);
    }
    let results = verifier::verify_plans(plans, &settings);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut live = false;
    for e in &entries {
        let Some(v) = results.get(&e.item.fingerprint) else {
            continue;
        };
        live |= v.status == Status::Live;
        let view = ResultView {
            rule_id: &e.item.rule_id,
            path: &e.path,
            line: e.item.line,
            secret: e.item.secret.shown(cmd.show_secrets),
            fingerprint: &e.item.fingerprint,
            verification: v,
        };
        let written = write_result(&mut out, cmd.format, &view);
        if written.is_err() {
            stdout_written(written, "results")?;
            break;
        }
    }
    stdout_written(out.flush(), "results")?;
    Ok(if live { Exit::Findings } else { Exit::Clean })
}

fn write_result(
    out: &mut dyn Write,
    format: ResultFormat,
    v: &ResultView<'_>,
) -> std::io::Result<()> {
    match format {
        ResultFormat::Jsonl => {
            serde_json::to_writer(&mut *out, v).map_err(std::io::Error::from)?;
            writeln!(out)
        }
        ResultFormat::Text => {
            let mut line = format!(
                "{}:{} [{}] {} {}",
                v.path,
                v.line,
                v.rule_id,
                v.secret,
                v.verification.status.as_str()
            );
            if !v.verification.identity.is_empty() {
                let id: Vec<String> = v
                    .verification
                    .identity
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                line.push_str(&format!(" ({})", id.join(", ")));
            }
            if let Some(reason) = &v.verification.reason {
                line.push_str(&format!(": {reason}"));
            }
            let line: String = line.chars().filter(|c| !c.is_control()).collect();
            writeln!(out, "{line}")?;
            if let Some(exposure) = &v.verification.exposure {
                for (label, text) in crate::report::exposure_lines(exposure) {
                    writeln!(out, "  {label:<11} {text}")?;
                }
            }
            Ok(())
        }
    }
}

/// The credentials named on the command line, or read from the report.
fn entries(cmd: &VerifyCommand) -> Result<Vec<Entry>, Failure> {
    if let (Some(id), Some(secret)) = (&cmd.aws_key_id, &cmd.aws_secret) {
        let path = "<command line>".to_string();
        let item = |rule: &str, value: &str, line: usize| Entry {
            path: path.clone(),
            item: Item {
                rule_id: rule.to_string(),
                secret: Secret::new(value.as_bytes()),
                facts: BTreeMap::new(),
                line,
                fingerprint: fingerprint(rule, value.as_bytes()),
            },
        };
        let mut entries = vec![
            item("aws-access-key-id", id, 1),
            item("aws-secret-access-key", secret, 2),
        ];
        if let Some(token) = &cmd.aws_session_token {
            entries.push(item("aws-session-token", token, 3));
        }
        return Ok(entries);
    }
    let (text, name) = match cmd.report.as_deref() {
        None => {
            return Err(usage(anyhow::anyhow!(
                "give a report file (or `-` for stdin), or --aws-key-id with --aws-secret"
            )))
        }
        Some(p) if p.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| usage(anyhow::anyhow!("cannot read stdin: {e}")))?;
            (text, "<stdin>".to_string())
        }
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| usage(anyhow::anyhow!("cannot read {}: {e}", p.display())))?;
            (text, p.display().to_string())
        }
    };
    input::read_report(&text, &name).map_err(usage)
}

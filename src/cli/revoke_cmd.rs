//! `keyhound revoke`: shows what will be revoked, asks, then asks the
//! provider ([`crate::verify::revoke`]). Never run by any other command.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{stdout_written, usage, Exit, Failure};
use crate::finding::Secret;
use crate::verify::revoke::{self, Target};
use crate::verify::{input, Endpoints, Settings, Transport};

/// `keyhound revoke`.
#[derive(Debug, Args)]
pub struct RevokeCommand {
    /// A JSON or JSONL report written with `--show-secrets` (`-` for
    /// stdin): every GitHub token in it is revoked.
    #[arg(value_name = "REPORT", conflicts_with_all = ["github_token", "aws_key_id"])]
    report: Option<PathBuf>,
    /// A GitHub token to revoke (`ghp_`, `github_pat_`, `gho_`, `ghu_`,
    /// `ghr_`). Note: visible in the process list; prefer a report file.
    #[arg(long, value_name = "TOKEN", conflicts_with = "aws_key_id")]
    github_token: Option<String>,
    /// An AWS access key id to deactivate (with --aws-secret).
    #[arg(long, value_name = "ID", requires = "aws_secret")]
    aws_key_id: Option<String>,
    /// Its secret access key: the key deactivates itself.
    #[arg(long, value_name = "SECRET", requires = "aws_key_id")]
    aws_secret: Option<String>,
    /// Do not ask (needed when standard input is not a terminal).
    #[arg(long)]
    yes: bool,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
    /// Send GitHub requests here instead of https://api.github.com (tests).
    #[arg(long, value_name = "URL", env = "KEYHOUND_GITHUB_API_ENDPOINT")]
    github_api_endpoint: Option<String>,
    /// Send AWS STS requests here instead of https://sts.amazonaws.com (tests).
    #[arg(long, value_name = "URL", env = "KEYHOUND_AWS_STS_ENDPOINT")]
    aws_sts_endpoint: Option<String>,
    /// Send AWS IAM requests here instead of https://iam.amazonaws.com (tests).
    #[arg(long, value_name = "URL", env = "KEYHOUND_AWS_IAM_ENDPOINT")]
    aws_iam_endpoint: Option<String>,
}

pub(super) fn run(cmd: RevokeCommand) -> Result<Exit, Failure> {
    let targets = targets(&cmd)?;
    if targets.is_empty() {
        return Err(usage(anyhow::anyhow!("no credential to revoke")));
    }
    let endpoints = Endpoints {
        aws_sts: cmd.aws_sts_endpoint.clone(),
        aws_iam: cmd.aws_iam_endpoint.clone(),
        github_api: cmd.github_api_endpoint.clone(),
        ..Endpoints::default()
    };
    endpoints
        .validate()
        .map_err(|e| usage(anyhow::anyhow!(e)))?;
    if !(cmd.timeout > 0.0 && cmd.timeout <= 600.0) {
        return Err(usage(anyhow::anyhow!(
            "--timeout must be between 0 and 600 seconds"
        )));
    }
    for (name, url) in endpoints.overrides() {
        eprintln!("keyhound: warning: {name} {url}: credentials will be sent there instead of the provider");
    }
    // Refusals are decided before anything is asked or sent.
    let mut refused = false;
    let mut todo = Vec::new();
    for t in targets {
        match t.refusal() {
            Some(why) => {
                eprintln!("keyhound: not revoking: {}: {why}", t.describe());
                refused = true;
            }
            None => todo.push(t),
        }
    }
    if todo.is_empty() {
        return Err(usage(anyhow::anyhow!("nothing that can be revoked")));
    }
    eprintln!("keyhound revoke will:");
    for t in &todo {
        eprintln!("  - {}", t.describe());
    }
    if !cmd.yes && !confirmed()? {
        eprintln!("keyhound: nothing revoked");
        return Ok(Exit::Usage);
    }
    let transport = Transport::new(&Settings {
        endpoints,
        timeout: Duration::from_secs_f64(cmd.timeout),
        ..Settings::default()
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = refused;
    for t in &todo {
        let outcome = revoke::revoke(&transport, t);
        failed |= !outcome.done;
        let mark = match (outcome.done, outcome.confirmed) {
            (true, true) => "revoked",
            (true, false) => "accepted",
            (false, _) => "failed",
        };
        let line: String = format!("{mark}: {}: {}", t.describe(), outcome.message)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        // Revocation goes on when nobody reads the lines any more.
        let _ = stdout_written(writeln!(out, "{line}"), "results");
    }
    Ok(if failed {
        Exit::Incomplete
    } else {
        Exit::Clean
    })
}

/// Asks on the terminal; without one, refuses (use --yes).
fn confirmed() -> Result<bool, Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(usage(anyhow::anyhow!(
            "not asking without a terminal: run with --yes to revoke"
        )));
    }
    eprint!("Revoke? Type 'yes' to go on: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| usage(anyhow::anyhow!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}

fn targets(cmd: &RevokeCommand) -> Result<Vec<Target>, Failure> {
    if let Some(token) = &cmd.github_token {
        return Ok(vec![Target::GitHub {
            token: Secret::new(token.as_bytes()),
        }]);
    }
    if let (Some(id), Some(secret)) = (&cmd.aws_key_id, &cmd.aws_secret) {
        return Ok(vec![Target::Aws {
            key_id: id.clone(),
            secret: Secret::new(secret.as_bytes()),
            session_token: None,
        }]);
    }
    let Some(path) = &cmd.report else {
        return Err(usage(anyhow::anyhow!(
            "give a report file (or `-`), --github-token, or --aws-key-id with --aws-secret"
        )));
    };
    let (text, name) = if path.as_os_str() == "-" {
        if !cmd.yes {
            // The answer would be read from the same stdin as the report.
            return Err(usage(anyhow::anyhow!(
                "a report on standard input needs --yes"
            )));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| usage(anyhow::anyhow!("cannot read stdin: {e}")))?;
        (text, "<stdin>".to_string())
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
        (text, path.display().to_string())
    };
    let entries = input::read_report(&text, &name).map_err(usage)?;
    let mut seen = std::collections::HashSet::new();
    let mut targets = Vec::new();
    for e in entries {
        if e.item.rule_id == "github-token" && seen.insert(e.item.fingerprint.clone()) {
            targets.push(Target::GitHub {
                token: e.item.secret.clone(),
            });
        }
    }
    Ok(targets)
}

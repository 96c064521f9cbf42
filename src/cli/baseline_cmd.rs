//! `keyhound baseline create` and `keyhound baseline check`.

use super::triage::{load_baseline, triage, warn_all};
use super::*;

impl BaselineScan {
    fn output(&self) -> &OutputArgs {
        match &self.source {
            None => &self.scan.output,
            Some(BaselineSource::Scan(a)) => &a.output,
            Some(BaselineSource::Git(a)) => &a.output,
        }
    }

    /// Runs the scan the command names.
    fn run(&self) -> Result<Scanned, Failure> {
        let output = self.output();
        // Options that would do nothing here are refused rather than
        // silently ignored: a baseline is fingerprints, nothing else.
        let inapplicable = [
            (output.format != Format::Text, "--format"),
            (output.show_secrets, "--show-secrets"),
            (output.triage.include_suppressed, "--include-suppressed"),
            (output.triage.all_locations, "--all-locations"),
            (output.verify.only_verified, "--only-verified"),
            (output.verify.verify, "--verify"),
        ];
        if let Some((_, flag)) = inapplicable.iter().find(|(given, _)| *given) {
            return Err(usage(anyhow::anyhow!(
                "{flag} does not apply to baseline commands: they print fingerprints only \
                 (verify credentials with `keyhound scan --verify` or `keyhound git --verify`)"
            )));
        }
        match &self.source {
            None => scan_files(&self.scan),
            Some(BaselineSource::Scan(a)) => scan_files(a),
            Some(BaselineSource::Git(a)) => scan_git(a),
        }
    }
}

/// `keyhound baseline create`: today's reported findings (the ignore file
/// and inline allows still apply), one fingerprint per line, sorted.
pub(super) fn create(args: BaselineScan) -> Result<Exit, Failure> {
    let output = args.output();
    let mut scanned = args.run()?;
    // A new baseline replaces the old one rather than adding to it, so
    // any --baseline given is not read.
    let triage_args = TriageArgs {
        ignore_file: output.triage.ignore_file.clone(),
        baseline: None,
        report_absent: false,
        include_suppressed: false,
        all_locations: false,
    };
    let triaged = triage(&triage_args, &mut scanned)?;
    let text = baseline::render(triaged.findings.iter().filter(|f| f.is_reported()));
    write_text(&text, output.output.as_deref())?;
    let count = text.lines().filter(|l| !l.starts_with('#')).count();
    eprintln!("keyhound: baseline of {count} fingerprint(s)");
    Ok(Exit::Clean)
}

/// `keyhound baseline check --baseline FILE`: entries whose secret no
/// longer occurs anywhere the scan looked (suppressed findings count as
/// occurring).
pub(super) fn check(args: BaselineScan) -> Result<Exit, Failure> {
    let output = args.output();
    let Some(path) = output.triage.baseline.clone() else {
        return Err(usage(anyhow::anyhow!(
            "baseline check needs --baseline FILE"
        )));
    };
    let (baseline, warnings) = load_baseline(&path)?;
    warn_all(&warnings);
    let mut scanned = args.run()?;
    let findings = std::mem::take(&mut scanned.outcome.findings);
    let stale = baseline.absent(&findings);
    let mut text = String::new();
    for e in &stale {
        text.push_str(&format!(
            "{}:{}: {} no longer occurs{}\n",
            path.display(),
            e.line,
            e.fingerprint,
            e.note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ));
    }
    text.push_str(&format!(
        "{} of {} baseline entries no longer occur\n",
        stale.len(),
        baseline.len()
    ));
    write_text(&text, output.output.as_deref())?;
    Ok(if stale.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

pub(super) fn write_text(text: &str, output: Option<&Path>) -> Result<(), Failure> {
    let result = match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| anyhow::anyhow!("cannot write output: {e}")),
            }
        }
    };
    result.map_err(incomplete)
}

//! keyhound finds leaked cloud credentials in files and git history.
//!
//! The pipeline, one way only:
//!
//! ```text
//! source  ──(bytes, Origin)──▶  detect  ──Match──▶  suppress  ──▶  group  ──Finding──▶  report
//! files/stdin/git               prefilter            keyhound:allow   one finding      text/json/
//! (ignore walker, gix)          → window regex       .keyhoundignore  per secret,      jsonl/sarif
//!                               → entropy/placeholder                 every place;
//!                               → structural checks                   then baseline
//!                               → pairing/superseding                 new/unchanged
//! ```
//!
//! - [`rules`]: rule files (`patterns/*.toml`, `--rules`, `keyhound.toml`)
//!   become a validated [`rules::RuleSet`].
//! - [`detect`]: a [`detect::Detector`] built once per run turns a blob's
//!   bytes into matches. It knows nothing of files or git.
//! - [`source`]: where bytes come from: a parallel directory walk, stdin.
//! - [`suppress`]: inline `keyhound:allow`, `.keyhoundignore`, baselines.
//! - [`group`]: one finding per secret, with every place it occurs.
//! - [`finding`]: the reported unit, its location and fingerprint.
//! - [`report`]: findings to text, JSON, JSONL or SARIF 2.1.0.
//! - [`scan`]: wires the stages together for one run.
//! - [`verify`]: `--verify` only: checks found credentials with their
//!   provider. The only code that sends a secret over the network.

pub mod cli;
pub mod config;
pub mod detect;
pub mod finding;
pub mod group;
pub mod hook;
pub mod progress;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod stats;
pub mod suppress;
pub mod verify;

/// keyhound's version, as reported in SARIF and `--version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

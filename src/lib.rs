//! keyhound finds leaked cloud credentials in files and git history.
//!
//! The pipeline, one way only:
//!
//! ```text
//! source  ──(bytes, Origin)──▶  detect  ──Match──▶  suppress  ──▶  group  ──Finding──▶  [verify] ──▶ report
//! files/stdin/git               prefilter            keyhound:allow   one finding      --verify     text/json/
//! (ignore walker, gix)          → window regex       rule allowlists  per secret,      only: ask    jsonl/sarif
//!                               → entropy/placeholder .keyhoundignore every place;     the provider
//!                               → structural checks                   then baseline
//!                               → pairing/superseding                 new/unchanged
//! ```
//!
//! - [`rules`]: rule files (`patterns/*.toml`, `--rules`, `keyhound.toml`)
//!   become a validated [`rules::RuleSet`].
//! - [`detect`]: a [`detect::Detector`] built once per run turns a blob's
//!   bytes into matches. It knows nothing of files or git.
//! - [`source`]: where bytes come from: a parallel directory walk, stdin,
//!   git history (every unique blob once, then attribution to commits).
//! - [`suppress`]: inline `keyhound:allow`, rule allowlists,
//!   `.keyhoundignore`, baselines.
//! - [`group`]: one finding per secret, with every place it occurs.
//! - [`finding`]: the reported unit, its location and fingerprint, and the
//!   verification result it carries.
//! - [`report`]: findings to text, JSON, JSONL or SARIF 2.1.0.
//! - [`scan`]: wires the stages together for one run.
//! - [`verify`]: `--verify` only: checks found credentials with their
//!   provider, after triage. The only code that sends a secret over the
//!   network (`verify::transport`).
//! - [`forge`]: repositories from the GitHub and GitLab APIs (for
//!   `keyhound org`), the request budget they share with clones, and the
//!   environment that hands a token to git.
//! - [`hook`]: git hooks as a library: hook scripts, the commits a push
//!   sends, the message that blocks it.
//! - [`org`]: many repositories: the list, mirrors, the state store,
//!   shards, incremental runs and their reports (`keyhound org`).
//! - [`cli`]: every command (`scan`, `git`, `baseline`, `rules`, `hook`,
//!   `verify`), triage of a finished scan, printing, exit codes. Nothing
//!   below it knows about clap or exit codes.
//!
//! `docs/architecture.md` says what each module may import; `tests/layers.rs`
//! holds the code to it.

pub mod cli;
pub mod config;
pub mod detect;
pub mod finding;
pub mod forge;
pub mod group;
pub mod hook;
pub mod org;
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

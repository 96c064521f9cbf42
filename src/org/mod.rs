//! `keyhound org`: many repositories, every night, scanning only what
//! changed.
//!
//! ```text
//! repos::load (--repos FILE)  ──RepoSpec──▶  shard::Shard::owns  ──▶  run::run
//!                                                                      │ per repository, --jobs at a time:
//!                                                                      │ mirror::update → state::Store::known
//!                                                                      │ → scan::run_git_incremental → state::Store::commit_repo
//!                                                                      ▼
//!                                                         report::OrgReport ──▶ JSON, JSONL, ...
//! ```
//!
//! - [`repos`]: the `--repos` list and [`repos::RepoSpec`], the one type a
//!   repository source produces (the forge APIs make them too).
//! - [`shard`]: `--shard I/N` by a stable hash of the name.
//! - [`mirror`]: bare mirrors under `--cache`, real `git`, per-repository
//!   timeout.
//! - [`state`]: the SQLite store: settled blobs per scan digest, findings
//!   by fingerprint, the scope of every run.
//! - [`digest`]: the scan digest.
//! - [`run`]: one run over the repositories.
//! - [`report`]: the org report, and merging shard reports.
//!
//! Nothing here knows about clap, printing or exit codes (`cli::org_cmd`).

pub mod digest;
pub mod kept;
pub mod mirror;
pub mod report;
pub mod repos;
pub mod run;
pub mod shard;
pub mod state;

pub use repos::RepoSpec;

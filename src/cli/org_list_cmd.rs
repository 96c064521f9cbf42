//! `keyhound org list`: the repositories the GitHub/GitLab sources name,
//! one per line in the `--repos FILE` format (`URL name=… branch=…`), so
//! a team can review or pin the list a nightly run will scan.
//!
//! [`ForgeArgs`] are the source and authentication flags; `keyhound org`
//! flattens the same struct, and [`ForgeArgs::forge`] turns them into a
//! [`Forge`] (tokens read from the environment here, nowhere else).
//! [`forge_specs`] makes `keyhound org`'s repository specs from a listing,
//! with a [`GitAccess`] that gives each clone or fetch a token valid at
//! that moment and a slot in the forge's request budget.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::forge::{
    AppCredentials, Forge, ForgeError, GitHubAuth, Listing, RemoteRepo, Sources, Target, Token,
    GITHUB_API, GITLAB_API,
};

use crate::org::repos::RepoSpec;
use crate::org::run::{Access, GitAccess, Prepared};

use super::{incomplete, usage, Exit, Failure};

/// Where repositories come from when they come from a forge's API.
#[derive(Debug, Clone, Args)]
pub struct ForgeArgs {
    /// Every repository of a GitHub organisation; repeatable.
    #[arg(long = "github-org", value_name = "ORG")]
    pub github_org: Vec<String>,
    /// Every repository a GitHub user owns; repeatable (private ones too
    /// when the token is that user's).
    #[arg(long = "github-user", value_name = "USER")]
    pub github_user: Vec<String>,
    /// Every project of a GitLab group and its subgroups (path or id);
    /// repeatable.
    #[arg(long = "gitlab-group", value_name = "GROUP")]
    pub gitlab_group: Vec<String>,
    /// GitHub API base; `https://HOST/api/v3` for GitHub Enterprise Server.
    #[arg(long, value_name = "URL", default_value = GITHUB_API)]
    pub github_api: String,
    /// GitLab base URL or API base, for a self-hosted instance.
    #[arg(long, value_name = "URL", default_value = GITLAB_API)]
    pub gitlab_api: String,
    /// Read the API token from this variable instead of GITHUB_TOKEN /
    /// GITLAB_TOKEN.
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Authenticate as this GitHub App (with --github-app-key) instead of
    /// a token.
    #[arg(long, value_name = "ID", requires = "github_app_key")]
    pub github_app_id: Option<String>,
    /// The GitHub App's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "github_app_id")]
    pub github_app_key: Option<PathBuf>,
    /// Include forks (left out by default).
    #[arg(long)]
    pub include_forks: bool,
    /// Include archived repositories (left out by default).
    #[arg(long)]
    pub include_archived: bool,
    /// Give up when rate limits would make the run wait longer than this
    /// many seconds in total.
    #[arg(long, value_name = "SECONDS", default_value_t = 1200)]
    pub max_api_wait: u64,
}

impl ForgeArgs {
    /// Whether any forge source was named.
    pub fn any(&self) -> bool {
        !(self.github_org.is_empty() && self.github_user.is_empty() && self.gitlab_group.is_empty())
    }

    fn targets(&self) -> Vec<Target> {
        let orgs = self.github_org.iter().cloned().map(Target::GitHubOrg);
        let users = self.github_user.iter().cloned().map(Target::GitHubUser);
        let groups = self.gitlab_group.iter().cloned().map(Target::GitLabGroup);
        orgs.chain(users).chain(groups).collect()
    }

    /// The sources, with tokens read from the environment. A variable
    /// named by `--token-env` must be set; the defaults may be missing
    /// (public data only, with a warning).
    pub fn sources(&self) -> Result<Sources, Failure> {
        let mut sources = Sources {
            targets: self.targets(),
            github_api: self.github_api.clone(),
            gitlab_api: self.gitlab_api.clone(),
            filters: crate::forge::Filters {
                include_forks: self.include_forks,
                include_archived: self.include_archived,
            },
            ..Sources::default()
        };
        sources.settings.limits.max_wait = Duration::from_secs(self.max_api_wait);
        let wants_github = !(self.github_org.is_empty() && self.github_user.is_empty());
        let wants_gitlab = !self.gitlab_group.is_empty();
        if let Some(name) = &self.token_env {
            sources.github_token_name = name.clone();
            sources.gitlab_token_name = name.clone();
        }
        if wants_github {
            sources.github_auth = match (&self.github_app_id, &self.github_app_key) {
                (Some(id), Some(key)) => {
                    GitHubAuth::App(AppCredentials::load(id, key).map_err(usage)?)
                }
                _ => match token_from_env(&sources.github_token_name, self.token_env.is_some())? {
                    Some(t) => GitHubAuth::Token(t),
                    None => GitHubAuth::Anonymous,
                },
            };
        }
        if wants_gitlab {
            sources.gitlab_token =
                token_from_env(&sources.gitlab_token_name, self.token_env.is_some())?;
        }
        Ok(sources)
    }

    pub fn forge(&self) -> Result<Forge, Failure> {
        Forge::new(self.sources()?).map_err(usage)
    }
}

/// A token from `name`; an error names the variable, never a value.
fn token_from_env(name: &str, required: bool) -> Result<Option<Token>, Failure> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Token::new(value)
            .map(Some)
            .map_err(|e| usage(anyhow::anyhow!("{name}: {e}"))),
        _ if required => Err(usage(anyhow::anyhow!(
            "--token-env {name}: the variable is not set or empty"
        ))),
        _ => {
            eprintln!("keyhound: {name} is not set: unauthenticated requests see public repositories only and have a low rate limit");
            Ok(None)
        }
    }
}

#[derive(Debug, Args)]
pub struct OrgListArgs {
    #[command(flatten)]
    pub forge: ForgeArgs,
}

/// Prints the listing in the `--repos FILE` format.
pub fn run(args: OrgListArgs) -> Result<Exit, Failure> {
    if !args.forge.any() {
        return Err(usage(anyhow::anyhow!(
            "name at least one of --github-org, --github-user, --gitlab-group"
        )));
    }
    let forge = args.forge.forge()?;
    let listing = forge.list().map_err(list_failure)?;
    let mut out = std::io::stdout().lock();
    write_listing(&mut out, &listing)
        .and_then(|()| out.flush())
        .map_err(|e| incomplete(anyhow::anyhow!("writing the list: {e}")))?;
    Ok(Exit::Clean)
}

/// A bad name or URL is the user's; anything the API said is a run that
/// could not complete.
pub fn list_failure(e: ForgeError) -> Failure {
    match e {
        ForgeError::Config(_) | ForgeError::AppKey { .. } => usage(e),
        other => incomplete(other),
    }
}

fn write_listing(out: &mut impl Write, listing: &Listing) -> std::io::Result<()> {
    writeln!(
        out,
        "# keyhound org list: {} repositories ({} forks and {} archived left out)",
        listing.repos.len(),
        listing.skipped_forks,
        listing.skipped_archived
    )?;
    for repo in &listing.repos {
        writeln!(out, "{}", repos_line(repo))?;
    }
    Ok(())
}

/// `URL name=owner/repo branch=main`, the `--repos FILE` line of a repo.
pub fn repos_line(repo: &RemoteRepo) -> String {
    let mut line = format!("{} name={}", repo.clone_url, repo.full_name);
    if let Some(branch) = &repo.default_branch {
        line.push_str(" branch=");
        line.push_str(branch);
    }
    line
}

/// `keyhound org`'s specs for every listed repository (name, clone URL,
/// default branch) and the access their git processes go through.
pub fn forge_specs(args: &ForgeArgs) -> Result<(Vec<RepoSpec>, Access), Failure> {
    let forge = Arc::new(args.forge()?);
    let listing = forge.list().map_err(list_failure)?;
    eprintln!(
        "keyhound: {} repositories from the APIs ({} forks and {} archived left out)",
        listing.repos.len(),
        listing.skipped_forks,
        listing.skipped_archived
    );
    let specs = listing
        .repos
        .iter()
        .map(|r| RepoSpec::new(&r.full_name, &r.clone_url, r.default_branch.clone()))
        .collect();
    let remotes = listing
        .repos
        .into_iter()
        .map(|r| (r.full_name.clone(), r))
        .collect();
    Ok((specs, Access(Arc::new(ForgeAccess { forge, remotes }))))
}

/// Every clone and fetch of a run waits for a budget slot; a forge
/// repository's also gets its token's environment, minted or still valid
/// now. Repositories from `--repos` keep their own environment.
struct ForgeAccess {
    forge: Arc<Forge>,
    remotes: HashMap<String, RemoteRepo>,
}

impl GitAccess for ForgeAccess {
    fn prepare(&self, repo: &RepoSpec) -> Result<Prepared, String> {
        let slot = self.forge.budget().acquire_long();
        let env = match self.remotes.get(&repo.name) {
            Some(remote) if remote.clone_url == repo.url => {
                self.forge.git_env(remote).map_err(|e| e.to_string())?
            }
            _ => repo.env.clone(),
        };
        Ok(Prepared {
            env,
            slot: Box::new(slot),
        })
    }
}

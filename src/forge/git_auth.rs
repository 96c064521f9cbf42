//! Handing a token to `git clone`/`git fetch` without writing it down.
//!
//! The token goes into one environment variable, [`TOKEN_VAR`], of the git
//! process only. git's configuration comes from the environment too
//! (`GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_n`, `GIT_CONFIG_VALUE_n`, git
//! 2.31+), and names a credential helper scoped to the clone URL's origin
//! (`credential.https://HOST.helper`): a shell snippet that answers git's
//! `get` with `username=…` and `password=$KEYHOUND_GIT_TOKEN`, expanded by
//! the helper's shell when git asks, so the token appears in no URL, no
//! command line (`ps`), no config file and no remote of the mirror. An
//! empty `helper` entry first clears helpers inherited from the user's or
//! the system's configuration for that origin, so a stored credential
//! cannot take precedence. `GIT_TERMINAL_PROMPT=0` makes a refused token
//! an error instead of a prompt that hangs a nightly run.
//!
//! Usernames: GitHub takes `x-access-token` with an installation token
//! (and any name with a personal token); GitLab takes `oauth2`.

use std::ffi::OsString;

use super::Token;

/// The variable that carries the token to the credential helper.
pub const TOKEN_VAR: &str = "KEYHOUND_GIT_TOKEN";

/// The environment for a git command that talks to `clone_url` with
/// `token`. Entries are appended after any `GIT_CONFIG_COUNT` already in
/// keyhound's own environment. For a URL that is not https (file://,
/// ssh, or plain http to anything but loopback) only [`no_prompt_env`] is
/// returned: the token is not needed there, or must not go there.
pub fn git_env(clone_url: &str, username: &str, token: &Token) -> Vec<(OsString, OsString)> {
    let inherited = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    git_env_after(clone_url, username, token, inherited)
}

/// [`git_env`] with the count of inherited `GIT_CONFIG_*` entries given.
pub fn git_env_after(
    clone_url: &str,
    username: &str,
    token: &Token,
    inherited: usize,
) -> Vec<(OsString, OsString)> {
    let mut env = no_prompt_env();
    let Some(origin) = origin(clone_url) else {
        return env;
    };
    // The username is ours (x-access-token, oauth2); keep it to safe
    // characters anyway, it is pasted into a shell snippet.
    let username: String = username
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let helper = format!(
        "!f() {{ test \"$1\" = get || exit 0; echo username={username}; echo \"password=${TOKEN_VAR}\"; }}; f"
    );
    let key = format!("credential.{origin}.helper");
    let entries = [(key.clone(), String::new()), (key, helper)];
    for (i, (k, v)) in entries.iter().enumerate() {
        let n = inherited + i;
        env.push((format!("GIT_CONFIG_KEY_{n}").into(), k.into()));
        env.push((format!("GIT_CONFIG_VALUE_{n}").into(), v.into()));
    }
    env.push((
        "GIT_CONFIG_COUNT".into(),
        (inherited + entries.len()).to_string().into(),
    ));
    env.push((TOKEN_VAR.into(), token.expose().into()));
    env
}

/// What every git command keyhound runs for a forge gets: never prompt.
pub fn no_prompt_env() -> Vec<(OsString, OsString)> {
    vec![("GIT_TERMINAL_PROMPT".into(), "0".into())]
}

/// `https://host[:port]` of an https URL, without credentials; plain
/// `http://` only to a loopback host (a token must not cross a network in
/// the clear).
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host = authority.rsplit('@').next()?;
    if host.is_empty() {
        return None;
    }
    if scheme.eq_ignore_ascii_case("https") {
        return Some(format!("https://{host}"));
    }
    let bare = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (scheme.eq_ignore_ascii_case("http") && loopback).then(|| format!("http://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(env: &'a [(OsString, OsString)], k: &str) -> Option<&'a str> {
        env.iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.to_str())
    }

    #[test]
    fn the_helper_is_scoped_to_the_origin_and_numbered_after_inherited_entries() {
        let token = Token::new("ghs_test123").unwrap();
        let env = git_env_after(
            "https://github.com/acme/api.git",
            "x-access-token",
            &token,
            2,
        );
        assert_eq!(get(&env, "GIT_CONFIG_COUNT"), Some("4"));
        assert_eq!(
            get(&env, "GIT_CONFIG_KEY_2"),
            Some("credential.https://github.com.helper")
        );
        assert_eq!(get(&env, "GIT_CONFIG_VALUE_2"), Some(""));
        let helper = get(&env, "GIT_CONFIG_VALUE_3").unwrap();
        assert!(helper.contains("username=x-access-token"));
        assert!(helper.contains("$KEYHOUND_GIT_TOKEN") && !helper.contains("ghs_test123"));
        assert_eq!(get(&env, TOKEN_VAR), Some("ghs_test123"));
        assert_eq!(get(&env, "GIT_TERMINAL_PROMPT"), Some("0"));
        // Only the token variable holds the token.
        let holding: Vec<_> = env
            .iter()
            .filter(|(_, v)| v.to_string_lossy().contains("ghs_test123"))
            .collect();
        assert_eq!(holding.len(), 1);
    }

    #[test]
    fn no_token_for_local_or_ssh_urls() {
        let token = Token::new("t0k").unwrap();
        for url in [
            "file:///srv/a.git",
            "ssh://git@h/a.git",
            "/srv/a.git",
            "http://gitlab.internal/a.git",
        ] {
            let env = git_env_after(url, "oauth2", &token, 0);
            assert_eq!(env, no_prompt_env(), "{url}");
        }
        assert_eq!(
            origin("http://u:p@127.0.0.1:8080/a.git").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin("http://[::1]:81/a.git").as_deref(),
            Some("http://[::1]:81")
        );
    }
}

//! Authenticating as a GitHub App.
//!
//! 1. The app signs a JWT with its private key (RS256; `iss` the app id,
//!    `iat` a minute in the past for clock drift, `exp` nine minutes
//!    ahead, under GitHub's ten-minute maximum).
//! 2. With it, `GET /orgs/{org}/installation` (or `/users/{user}/…`)
//!    finds the app's installation on the target.
//! 3. `POST /app/installations/{id}/access_tokens` mints an installation
//!    token (`{"token", "expires_at"}`, an hour's life).
//!
//! [`Installations`] keeps one token per target and mints a new one when
//! the cached one is within `margin` of its `expires_at`, so a run longer
//! than an hour keeps working. It is thread-safe: the lock is held while
//! minting, so parallel clones do not mint one token each.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::github::{api_error, base, headers};
use super::http::Call;
use super::{Forge, ForgeError, Target, Token};

/// A GitHub App's id and private key.
#[derive(Clone)]
pub struct AppCredentials {
    app_id: String,
    key: Arc<EncodingKey>,
    key_path: PathBuf,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iat: u64,
    exp: u64,
    iss: &'a str,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
}

#[derive(Deserialize)]
struct Minted {
    token: String,
    expires_at: String,
}

impl AppCredentials {
    /// Reads the PEM private key GitHub issued for the app (PKCS#1 or
    /// PKCS#8). The error names the file, never its content.
    pub fn load(app_id: &str, key_path: &Path) -> Result<AppCredentials, ForgeError> {
        let bad = |detail: String| ForgeError::AppKey {
            path: key_path.to_path_buf(),
            detail,
        };
        if app_id.is_empty() || !app_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ForgeError::Config(format!(
                "--github-app-id {app_id:?}: an app id (digits) or client id (letters and digits)"
            )));
        }
        let pem = std::fs::read(key_path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let key =
            EncodingKey::from_rsa_pem(&pem).map_err(|_| bad("not a PEM RSA private key".into()))?;
        Ok(AppCredentials {
            app_id: app_id.to_string(),
            key: Arc::new(key),
            key_path: key_path.to_path_buf(),
        })
    }

    /// A fresh app JWT.
    fn jwt(&self) -> Result<Token, ForgeError> {
        let now = epoch_now();
        let claims = Claims {
            iat: now.saturating_sub(60),
            exp: now + 9 * 60,
            iss: &self.app_id,
        };
        let jwt = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| ForgeError::AppKey {
                path: self.key_path.clone(),
                detail: format!("cannot sign the app JWT: {e}"),
            })?;
        Token::new(jwt)
    }
}

struct Cached {
    token: Token,
    expires_at: u64,
}

/// Installation tokens per target, re-minted before they expire.
pub(super) struct Installations {
    creds: AppCredentials,
    margin: Duration,
    cache: Mutex<HashMap<Target, Cached>>,
}

impl Installations {
    pub fn new(creds: AppCredentials, margin: Duration) -> Installations {
        Installations {
            creds,
            margin,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A token for `target` with more than `margin` left to live.
    pub fn token(&self, forge: &Forge, target: &Target) -> Result<Token, ForgeError> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let now = epoch_now();
        if let Some(c) = cache.get(target) {
            if c.expires_at.saturating_sub(now) > self.margin.as_secs() {
                return Ok(c.token.clone());
            }
        }
        let minted = self.mint(forge, target)?;
        let token = minted.token.clone();
        cache.insert(target.clone(), minted);
        Ok(token)
    }

    fn mint(&self, forge: &Forge, target: &Target) -> Result<Cached, ForgeError> {
        let what = format!("GitHub App installation for {target}");
        let jwt = self.creds.jwt()?;
        let base = base(forge);
        let lookup = match target {
            Target::GitHubOrg(org) => format!("{base}/orgs/{org}/installation"),
            Target::GitHubUser(user) => format!("{base}/users/{user}/installation"),
            Target::GitLabGroup(_) => {
                return Err(ForgeError::Config(format!("{target}: not a GitHub target")))
            }
        };
        let call = |method, url: String| Call {
            method,
            url,
            headers: headers(Some(jwt.expose())),
            body: None,
            what: &what,
            token: Some(&jwt),
        };
        let reply = forge.client.send(&call("GET", lookup))?;
        if reply.status != 200 {
            return Err(api_error(forge, &what, &reply, Some(&jwt)));
        }
        let installation: Installation = parse(&what, &reply.body)?;
        let url = format!("{base}/app/installations/{}/access_tokens", installation.id);
        let reply = forge.client.send(&call("POST", url))?;
        if reply.status != 201 && reply.status != 200 {
            return Err(api_error(forge, &what, &reply, Some(&jwt)));
        }
        let minted: Minted = parse(&what, &reply.body)?;
        let expires_at = time::OffsetDateTime::parse(
            &minted.expires_at,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
        .and_then(|t| u64::try_from(t.unix_timestamp()).ok())
        .ok_or_else(|| ForgeError::BadResponse {
            what: what.clone(),
            detail: format!("expires_at {:?} is not an RFC 3339 time", minted.expires_at),
        })?;
        Ok(Cached {
            token: Token::new(minted.token).map_err(|_| ForgeError::BadResponse {
                what: what.clone(),
                detail: "the installation token is malformed".into(),
            })?,
            expires_at,
        })
    }
}

fn parse<'a, T: Deserialize<'a>>(what: &str, body: &'a str) -> Result<T, ForgeError> {
    // The error describes the shape only: a token response must not be
    // quoted.
    serde_json::from_str(body).map_err(|e| ForgeError::BadResponse {
        what: what.to_string(),
        detail: format!("unexpected JSON (line {}, column {})", e.line(), e.column()),
    })
}

fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

//! The HTTP client for verification, and the rules every request obeys:
//!
//! - a request goes only to a host on its provider's allow-list, or to the
//!   endpoint the user overrode explicitly; redirects are never followed, so
//!   a credential cannot be bounced elsewhere;
//! - `User-Agent: keyhound/<version>`, so the owner of a verified key can
//!   see in their logs who asked;
//! - a per-request timeout, a per-provider rate limit, and a few retries
//!   with jittered exponential backoff on throttling, 5xx and network
//!   errors.
//!
//! Failures are described by kind only: a URL may carry an account name
//! and an error must never carry a secret.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::http::Uri;

use super::Settings;

/// Who a request is for: each has its own allow-list and rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Aws,
    Gcp,
    Azure,
    /// `keyhound revoke` only: GitHub's credential-revocation API.
    GitHub,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
            Provider::GitHub => "github",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The provider's official hosts.
    fn allows(self, host: &str) -> bool {
        match self {
            Provider::Aws => {
                // IAM only for `--exposure`: its reads are global.
                host == "sts.amazonaws.com"
                    || host == "iam.amazonaws.com"
                    || host
                        .strip_prefix("sts.")
                        .and_then(|h| h.strip_suffix(".amazonaws.com"))
                        .is_some_and(is_region)
            }
            Provider::Gcp => matches!(host, "oauth2.googleapis.com" | "www.googleapis.com"),
            Provider::GitHub => host == "api.github.com",
            Provider::Azure => {
                host == "login.microsoftonline.com"
                    || host
                        .strip_suffix(".blob.core.windows.net")
                        .is_some_and(is_storage_account)
            }
        }
    }
}

/// `us-east-1`, `eu-central-2`: lowercase letters, digits and dashes.
fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Azure storage account names: 3 to 24 lowercase letters and digits.
pub fn is_storage_account(s: &str) -> bool {
    (3..=24).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Endpoint overrides (`--aws-sts-endpoint`, …), for tests and emulators.
/// `None` means the provider's official endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Replaces `https://sts.amazonaws.com`.
    pub aws_sts: Option<String>,
    /// Replaces `https://iam.amazonaws.com` (`--exposure`).
    pub aws_iam: Option<String>,
    /// Replaces `https://oauth2.googleapis.com/token`.
    pub gcp_token: Option<String>,
    /// Replaces `https://www.googleapis.com` (API key probe).
    pub gcp_api: Option<String>,
    /// Replaces `https://<account>.blob.core.windows.net`.
    pub azure_blob: Option<String>,
    /// Replaces `https://login.microsoftonline.com`.
    pub azure_login: Option<String>,
    /// Replaces `https://api.github.com` (`keyhound revoke`).
    pub github_api: Option<String>,
}

impl Endpoints {
    /// Every override as `(option name, URL)`, to warn about them.
    pub fn overrides(&self) -> Vec<(&'static str, &str)> {
        [
            ("--aws-sts-endpoint", &self.aws_sts),
            ("--aws-iam-endpoint", &self.aws_iam),
            ("--gcp-token-endpoint", &self.gcp_token),
            ("--gcp-api-endpoint", &self.gcp_api),
            ("--azure-blob-endpoint", &self.azure_blob),
            ("--azure-login-endpoint", &self.azure_login),
            ("--github-api-endpoint", &self.github_api),
        ]
        .into_iter()
        .filter_map(|(name, url)| url.as_deref().map(|u| (name, u)))
        .collect()
    }

    /// Checks that every override is an absolute http(s) URL.
    pub fn validate(&self) -> Result<(), String> {
        for (name, url) in self.overrides() {
            let uri: Uri = url
                .parse()
                .map_err(|e| format!("{name} {url:?} is not a URL: {e}"))?;
            if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
                return Err(format!("{name} {url:?} must be an http:// or https:// URL"));
            }
        }
        // SigV4 signs the path: the AWS overrides are base URLs only.
        for (name, url) in [
            ("--aws-sts-endpoint", &self.aws_sts),
            ("--aws-iam-endpoint", &self.aws_iam),
        ] {
            let Some(url) = url else { continue };
            let path = url.parse::<Uri>().map(|u| u.path().to_string());
            if path.is_ok_and(|p| p != "/" && !p.is_empty()) {
                return Err(format!(
                    "{name} {url:?} must be a base URL (scheme, host, port) without a path"
                ));
            }
        }
        Ok(())
    }

    fn override_hosts(&self, provider: Provider) -> Vec<&str> {
        let urls: &[&Option<String>] = match provider {
            Provider::Aws => &[&self.aws_sts, &self.aws_iam],
            Provider::Gcp => &[&self.gcp_token, &self.gcp_api],
            Provider::Azure => &[&self.azure_blob, &self.azure_login],
            Provider::GitHub => &[&self.github_api],
        };
        urls.iter().filter_map(|u| u.as_deref()).collect()
    }
}

/// One request. Headers and body may hold a secret; the URL must not
/// (it shows up in proxy logs), which is why API keys go in a header.
#[derive(Debug)]
pub struct Request {
    pub provider: Provider,
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// A response, whatever its status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Why no response was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The URL's host is not on the provider's allow-list.
    NotAllowed(String),
    /// The name does not resolve.
    HostNotFound,
    Timeout,
    Network(String),
    /// Still throttled or failing after every retry.
    Exhausted(u16),
}

impl Failure {
    /// A reason for an `unknown` verdict.
    pub fn reason(&self, timeout: Duration) -> String {
        match self {
            Failure::NotAllowed(host) => format!("refused to send a credential to {host}"),
            Failure::HostNotFound => "network: host not found".into(),
            Failure::Timeout => format!("timeout after {} s", timeout.as_secs_f64()),
            Failure::Network(what) => format!("network: {what}"),
            Failure::Exhausted(429) => "throttled (HTTP 429) after retries".into(),
            Failure::Exhausted(status) => format!("provider error (HTTP {status}) after retries"),
        }
    }
}

/// Spaces requests to one provider at least `interval` apart.
#[derive(Debug)]
struct RateLimit {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimit {
    fn wait(&self) {
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

/// The verification HTTP client.
#[derive(Debug)]
pub struct Transport {
    agent: ureq::Agent,
    endpoints: super::Endpoints,
    limits: [RateLimit; 4],
    timeout: Duration,
    retries: u32,
    /// First backoff; doubled per retry, plus up to as much again of jitter.
    backoff: Duration,
}

impl Transport {
    pub fn new(settings: &Settings) -> Transport {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            // A redirect could point anywhere; the allow-list is checked on
            // the URL we send to, so never follow one.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(format!("keyhound/{}", crate::VERSION))
            .build();
        let interval = if settings.rate_per_provider > 0.0 {
            Duration::from_secs_f64(1.0 / settings.rate_per_provider)
        } else {
            Duration::ZERO
        };
        let limit = || RateLimit {
            interval,
            next: Mutex::new(Instant::now()),
        };
        Transport {
            agent: ureq::Agent::new_with_config(config),
            endpoints: settings.endpoints.clone(),
            limits: [limit(), limit(), limit(), limit()],
            timeout: settings.timeout,
            retries: settings.retries,
            backoff: Duration::from_millis(250),
        }
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Checks the host, then sends with retries.
    pub fn send(&self, request: &Request) -> Result<Reply, Failure> {
        self.check_host(request)?;
        let mut attempt = 0;
        loop {
            self.limits[request.provider.index()].wait();
            let result = self.send_once(request);
            let retry = match &result {
                Ok(reply) => reply.status == 429 || reply.status >= 500 || throttled(reply),
                Err(Failure::Timeout | Failure::Network(_)) => true,
                Err(_) => false,
            };
            if !retry || attempt >= self.retries {
                return match result {
                    Ok(reply) if retry && (reply.status == 429 || reply.status >= 500) => {
                        Err(Failure::Exhausted(reply.status))
                    }
                    other => other,
                };
            }
            std::thread::sleep(self.backoff_for(attempt));
            attempt += 1;
        }
    }

    fn backoff_for(&self, attempt: u32) -> Duration {
        let base = self.backoff * 2u32.saturating_pow(attempt);
        let jitter = RandomState::new().build_hasher().finish() % (base.as_millis() as u64 + 1);
        base + Duration::from_millis(jitter)
    }

    fn check_host(&self, request: &Request) -> Result<(), Failure> {
        let uri: Uri = request
            .url
            .parse()
            .map_err(|_| Failure::NotAllowed("a malformed URL".into()))?;
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let overridden = self
            .endpoints
            .override_hosts(request.provider)
            .into_iter()
            .filter_map(|u| u.parse::<Uri>().ok())
            .any(|o| o.host() == uri.host() && o.port_u16() == uri.port_u16());
        let official = uri.scheme_str() == Some("https")
            && uri.port_u16().is_none_or(|p| p == 443)
            && request.provider.allows(&host);
        if overridden || official {
            Ok(())
        } else {
            Err(Failure::NotAllowed(host))
        }
    }

    fn send_once(&self, request: &Request) -> Result<Reply, Failure> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method)
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let http = builder
            .body(request.body.clone())
            .map_err(|_| Failure::Network("could not build the request".into()))?;
        match self.agent.run(http) {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_string()
                    .map_err(describe)?;
                Ok(Reply { status, body })
            }
            Err(e) => Err(describe(e)),
        }
    }
}

/// AWS answers throttling with HTTP 400 and a `Throttling` code.
fn throttled(reply: &Reply) -> bool {
    reply.status == 400 && reply.body.contains("Throttling")
}

/// An error by kind only: ureq's own messages may quote the URL.
fn describe(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Timeout(_) => Failure::Timeout,
        ureq::Error::HostNotFound => Failure::HostNotFound,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout,
        ureq::Error::Io(io) => Failure::Network(io.kind().to_string()),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => Failure::Network("TLS error".into()),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            Failure::Network("redirect refused".into())
        }
        ureq::Error::ConnectionFailed => Failure::Network("connection failed".into()),
        _ => Failure::Network("protocol error".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(endpoints: Endpoints) -> Transport {
        Transport::new(&Settings {
            endpoints,
            ..Settings::default()
        })
    }

    fn get(provider: Provider, url: &str) -> Request {
        Request {
            provider,
            method: "GET",
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    #[test]
    fn allow_list_is_per_provider() {
        let t = transport(Endpoints::default());
        let ok = |p, u: &str| t.check_host(&get(p, u)).is_ok();
        assert!(ok(Provider::Aws, "https://sts.amazonaws.com/"));
        assert!(ok(Provider::Aws, "https://sts.eu-west-1.amazonaws.com/"));
        assert!(ok(Provider::Aws, "https://iam.amazonaws.com/"));
        assert!(!ok(Provider::Aws, "https://ec2.amazonaws.com/"));
        assert!(!ok(
            Provider::Aws,
            "https://iam.us-east-1.amazonaws.com.evil.example/"
        ));
        assert!(!ok(Provider::Aws, "http://sts.amazonaws.com/"));
        assert!(!ok(
            Provider::Aws,
            "https://sts.amazonaws.com.evil.example/"
        ));
        assert!(!ok(Provider::Aws, "https://oauth2.googleapis.com/token"));
        assert!(ok(Provider::Gcp, "https://oauth2.googleapis.com/token"));
        assert!(!ok(Provider::Gcp, "https://evil.example/token"));
        assert!(ok(
            Provider::Azure,
            "https://acct1.blob.core.windows.net/?comp=list"
        ));
        assert!(!ok(Provider::Azure, "https://a.b.blob.core.windows.net/"));
        assert!(ok(
            Provider::Azure,
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        ));
        assert!(!ok(Provider::Azure, "https://127.0.0.1:8080/"));
    }

    #[test]
    fn overrides_allow_their_own_host_and_port_only() {
        let t = transport(Endpoints {
            aws_sts: Some("http://127.0.0.1:5055".into()),
            ..Endpoints::default()
        });
        let ok = |p, u: &str| t.check_host(&get(p, u)).is_ok();
        assert!(ok(Provider::Aws, "http://127.0.0.1:5055/"));
        assert!(!ok(Provider::Aws, "http://127.0.0.1:5056/"));
        // An AWS override does not open the door for another provider.
        assert!(!ok(Provider::Gcp, "http://127.0.0.1:5055/"));
    }

    #[test]
    fn bad_overrides_are_rejected() {
        let e = Endpoints {
            gcp_token: Some("ftp://x".into()),
            ..Endpoints::default()
        };
        assert!(e.validate().unwrap_err().contains("--gcp-token-endpoint"));
        let e = Endpoints {
            aws_sts: Some("http://127.0.0.1:5055/sts".into()),
            ..Endpoints::default()
        };
        assert!(e.validate().unwrap_err().contains("base URL"));
        let e = Endpoints {
            aws_iam: Some("http://127.0.0.1:5055/iam".into()),
            ..Endpoints::default()
        };
        assert!(e.validate().unwrap_err().contains("--aws-iam-endpoint"));
        let ok = Endpoints {
            aws_sts: Some("http://127.0.0.1:5055/".into()),
            ..Endpoints::default()
        };
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn rate_limit_spaces_requests() {
        let limit = RateLimit {
            interval: Duration::from_millis(30),
            next: Mutex::new(Instant::now()),
        };
        let start = Instant::now();
        for _ in 0..3 {
            limit.wait();
        }
        assert!(start.elapsed() >= Duration::from_millis(60));
    }
}

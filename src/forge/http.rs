//! The one HTTP client of the forge APIs, and the rules every request
//! obeys:
//!
//! - redirects are never followed (a token must not be carried to
//!   another host; a renamed organisation answers 301 and is reported);
//! - pagination links are followed only on the API's own scheme, host and
//!   port ([`Client::same_origin`]);
//! - plain `http://` only to a loopback address (tests, a local proxy);
//! - each start takes a [`Permit`](super::Permit) from the shared
//!   [`Budget`]; rate-limit answers pause the budget and the request is
//!   sent again; 5xx and network errors are retried with a doubling
//!   backoff, a few times;
//! - errors carry the target, the status and the API's `message`, with
//!   the token scrubbed out, never a header.

use std::sync::Arc;
use std::time::Duration;

use ureq::http::Uri;

use super::ratelimit::{advise, Advice, Budget, Headers};
use super::{scrub, ForgeError, Settings, Token};

/// One request.
pub(crate) struct Call<'a> {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    /// What the request is for, for errors ("GitHub org acme").
    pub what: &'a str,
    /// The token in the headers, to scrub from messages.
    pub token: Option<&'a Token>,
}

/// A response, whatever its status.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.as_slice().header(name)
    }

    /// The API's error message (`{"message": …}` on both forges; GitLab
    /// also uses `error`), scrubbed; else the start of the body.
    pub fn message(&self, token: Option<&Token>) -> String {
        let json: Option<serde_json::Value> = serde_json::from_str(&self.body).ok();
        let text = json
            .as_ref()
            .and_then(|v| v.get("message").or_else(|| v.get("error")))
            .map(|m| match m {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| self.body.chars().take(200).collect());
        let text = scrub(text.trim(), token);
        if text.is_empty() {
            "(no message)".into()
        } else {
            text
        }
    }
}

pub(crate) struct Client {
    agent: ureq::Agent,
    budget: Arc<Budget>,
    retries: u32,
    backoff: Duration,
    secondary_wait: Duration,
    reset_slack: Duration,
}

/// A response body larger than this is refused (a page of 100 repos is
/// well under 1 MiB).
const BODY_LIMIT: u64 = 32 << 20;
/// Rate-limit waits for one request before it is given up.
const LIMIT_ATTEMPTS: u32 = 8;

impl Client {
    pub fn new(settings: &Settings, budget: Arc<Budget>) -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(format!("keyhound/{}", crate::VERSION))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            budget,
            retries: settings.retries,
            backoff: settings.backoff,
            secondary_wait: settings.secondary_wait,
            reset_slack: settings.reset_slack,
        }
    }

    pub fn budget(&self) -> Arc<Budget> {
        Arc::clone(&self.budget)
    }

    /// Sends `call`, waiting out rate limits and retrying transient
    /// failures. Any status that is not a rate limit or a 5xx comes back
    /// as a [`Reply`] for the caller to judge; 3xx is an error.
    pub fn send(&self, call: &Call<'_>) -> Result<Reply, ForgeError> {
        let mut failures = 0;
        let mut limited = 0;
        loop {
            let result = {
                let _permit = self.budget.acquire();
                self.send_once(call)
            };
            let reply = match result {
                Ok(reply) => reply,
                Err(_) if failures < self.retries => {
                    std::thread::sleep(self.backoff * 2u32.pow(failures));
                    failures += 1;
                    continue;
                }
                Err(detail) => {
                    return Err(ForgeError::Network {
                        what: call.what.to_string(),
                        detail,
                    })
                }
            };
            if (300..400).contains(&reply.status) {
                return Err(ForgeError::Redirect {
                    what: call.what.to_string(),
                    status: reply.status,
                    location: reply
                        .header("location")
                        .map(|l| scrub(l, call.token))
                        .unwrap_or_else(|| "(no location)".into()),
                });
            }
            let low = self.budget.limits().low_remaining;
            match advise(reply.status, reply.headers.as_slice(), &reply.body, low) {
                Advice::Go => {}
                Advice::Pace(d) => {
                    self.pause(call, d)?;
                }
                Advice::Retry(wait) => {
                    if limited >= LIMIT_ATTEMPTS {
                        return Err(ForgeError::StillLimited {
                            what: call.what.to_string(),
                            attempts: limited,
                        });
                    }
                    let wait = match wait {
                        Some(d) => d + self.reset_slack,
                        None => self.secondary_wait * 2u32.pow(limited.min(6)),
                    };
                    self.pause(call, wait)?;
                    limited += 1;
                    continue;
                }
            }
            if reply.status >= 500 && failures < self.retries {
                std::thread::sleep(self.backoff * 2u32.pow(failures));
                failures += 1;
                continue;
            }
            return Ok(reply);
        }
    }

    fn pause(&self, call: &Call<'_>, d: Duration) -> Result<(), ForgeError> {
        self.budget
            .pause(d)
            .map_err(|too_long| ForgeError::RateLimited {
                what: call.what.to_string(),
                needed: too_long.needed.as_secs_f64().ceil() as u64,
                left: too_long.left.as_secs(),
            })
    }

    /// One exchange; the error is a description without the URL (which
    /// may carry a group name, harmless, but ureq's messages are not ours
    /// to vouch for).
    fn send_once(&self, call: &Call<'_>) -> Result<Reply, String> {
        let mut builder = ureq::http::Request::builder()
            .method(call.method)
            .uri(&call.url);
        for (name, value) in &call.headers {
            builder = builder.header(*name, value);
        }
        let request = builder
            .body(call.body.clone().unwrap_or_default())
            .map_err(|_| "could not build the request".to_string())?;
        let mut response = self.agent.run(request).map_err(describe)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_string()
            .map_err(describe)?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Whether `link` is on the same scheme, host and port as `base`.
    pub fn same_origin(base: &str, link: &str) -> Result<(), String> {
        let (a, b) = match (base.parse::<Uri>(), link.parse::<Uri>()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err("a malformed URL".into()),
        };
        let port = |u: &Uri| {
            u.port_u16().unwrap_or(if u.scheme_str() == Some("http") {
                80
            } else {
                443
            })
        };
        if a.scheme_str() == b.scheme_str()
            && a.host().map(str::to_ascii_lowercase) == b.host().map(str::to_ascii_lowercase)
            && port(&a) == port(&b)
        {
            Ok(())
        } else {
            Err(b.host().unwrap_or("(no host)").to_string())
        }
    }
}

/// Checks an API base URL: absolute, https (or http to loopback), no
/// credentials, no query.
pub(crate) fn check_base(url: &str, flag: &str) -> Result<(), ForgeError> {
    let bad = |why: &str| ForgeError::Config(format!("{flag} {url:?}: {why}"));
    let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(bad("must not carry credentials (use a token variable)"));
    }
    if uri.query().is_some() {
        return Err(bad("must not have a query"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(bad(
            "plain http would send the token in the clear; use https",
        )),
        _ => Err(bad("must be an https:// URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| url.to_string())
    })
}

/// An error by kind only.
fn describe(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Io(io) => format!("network: {}", io.kind()),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS error".into(),
        ureq::Error::BodyExceedsLimit(_) => "response too large".into(),
        _ => "protocol error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_give_the_next_page() {
        let link = r#"<https://api.github.com/organizations/1/repos?page=2>; rel="next", <https://api.github.com/organizations/1/repos?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/organizations/1/repos?page=2")
        );
        let last = r#"<https://x/repos?page=1>; rel="first", <https://x/repos?page=4>; rel="prev""#;
        assert_eq!(next_link(last), None);
    }

    #[test]
    fn only_same_origin_links_are_followed() {
        let base = "https://api.github.com";
        assert!(Client::same_origin(base, "https://api.github.com/x?page=2").is_ok());
        assert!(Client::same_origin(base, "https://API.github.com:443/x").is_ok());
        assert_eq!(
            Client::same_origin(base, "https://evil.example/x"),
            Err("evil.example".into())
        );
        assert!(Client::same_origin(base, "http://api.github.com/x").is_err());
        assert!(Client::same_origin("http://127.0.0.1:5", "http://127.0.0.1:6/x").is_err());
    }

    #[test]
    fn api_bases_are_https_or_loopback() {
        assert!(check_base("https://ghe.example.com/api/v3", "--github-api").is_ok());
        assert!(check_base("http://127.0.0.1:8080", "--github-api").is_ok());
        assert!(check_base("http://[::1]:8080", "--github-api").is_ok());
        assert!(check_base("http://ghe.example.com/api/v3", "--github-api").is_err());
        assert!(check_base("https://u:p@ghe.example.com", "--github-api").is_err());
        assert!(check_base("ftp://x", "--github-api").is_err());
        assert!(check_base("not a url", "--github-api").is_err());
    }
}

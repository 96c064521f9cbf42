//! The shared request budget, and what a forge's rate-limit headers ask
//! of it.
//!
//! [`Budget`] is one object per run. Every API request and every clone or
//! fetch of a listed repository takes a [`Permit`] from it first. It holds
//! three limits:
//!
//! - at most `max_concurrent` permits out at once (GitHub counts
//!   concurrent requests towards its secondary limit), clones and fetches
//!   ([`Budget::acquire_long`]) at most one fewer, so an API request can
//!   always start;
//! - starts at least `min_interval` apart (the default, 100 ms, keeps a
//!   run under 600 starts a minute, below GitHub's 900 points a minute
//!   for REST reads, however many jobs ask);
//! - a pause: when any response says "wait" (a primary limit until
//!   `x-ratelimit-reset`, a secondary limit's `retry-after`, or a low
//!   `x-ratelimit-remaining` that should be spread until the reset), no
//!   permit is handed out to anyone until the pause ends. Pauses add up
//!   against `max_wait`; a wait that would pass it is an error instead of
//!   a silent stall of an hour.
//!
//! [`advise`] reads a response's headers (GitHub's `x-ratelimit-*` and
//! GitLab's `ratelimit-*`, `retry-after` for both) into an [`Advice`].

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The budget's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_concurrent: usize,
    pub min_interval: Duration,
    /// The most a run may spend paused for rate limits, all pauses
    /// together.
    pub max_wait: Duration,
    /// Below this many remaining requests, spread the rest until the reset.
    pub low_remaining: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_concurrent: 8,
            min_interval: Duration::from_millis(100),
            max_wait: Duration::from_secs(20 * 60),
            low_remaining: 50,
        }
    }
}

#[derive(Debug)]
struct State {
    running: usize,
    next_start: Instant,
    paused_until: Instant,
    /// Pause time charged so far.
    waited: Duration,
}

/// Shared by every request and clone of a run; see the module doc.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    state: Mutex<State>,
    changed: Condvar,
}

/// A pause that would pass the budget's `max_wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    pub needed: Duration,
    pub left: Duration,
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        let now = Instant::now();
        Budget {
            limits: Limits {
                // One slot is kept from clones (see acquire_long).
                max_concurrent: limits.max_concurrent.max(2),
                ..limits
            },
            state: Mutex::new(State {
                running: 0,
                next_start: now,
                paused_until: now,
                waited: Duration::ZERO,
            }),
            changed: Condvar::new(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks until a start is allowed, then holds a slot until the
    /// permit is dropped. For API requests.
    pub fn acquire(self: &Arc<Self>) -> Permit {
        self.acquire_below(self.limits.max_concurrent)
    }

    /// [`acquire`](Self::acquire) for a clone or fetch, which holds its
    /// slot for minutes: clones get one slot fewer than requests, so an API
    /// request (a GitHub App token minted for the next clone) always finds
    /// a free slot even when every clone slot is taken, and cannot wait
    /// for itself.
    pub fn acquire_long(self: &Arc<Self>) -> Permit {
        self.acquire_below(self.limits.max_concurrent - 1)
    }

    fn acquire_below(self: &Arc<Self>, cap: usize) -> Permit {
        let mut state = self.lock();
        loop {
            let now = Instant::now();
            let ready = state.next_start.max(state.paused_until);
            if state.running < cap && now >= ready {
                state.running += 1;
                state.next_start = now + self.limits.min_interval;
                return Permit {
                    budget: Arc::clone(self),
                };
            }
            state = if state.running >= cap {
                self.changed.wait(state).unwrap_or_else(|e| e.into_inner())
            } else {
                self.changed
                    .wait_timeout(state, ready - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            };
        }
    }

    /// Stops every start for `d` from now (or longer, if a pause is
    /// already running), charging the extension to `max_wait`.
    pub fn pause(&self, d: Duration) -> Result<(), TooLong> {
        let mut state = self.lock();
        let now = Instant::now();
        let until = now + d;
        let extra = until.saturating_duration_since(state.paused_until.max(now));
        let left = self.limits.max_wait.saturating_sub(state.waited);
        if extra > left {
            return Err(TooLong { needed: d, left });
        }
        state.waited += extra;
        state.paused_until = state.paused_until.max(until);
        drop(state);
        self.changed.notify_all();
        Ok(())
    }

    /// Pause time charged so far.
    pub fn waited(&self) -> Duration {
        self.lock().waited
    }
}

/// A slot in the budget; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    budget: Arc<Budget>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.budget.lock();
        state.running = state.running.saturating_sub(1);
        drop(state);
        self.budget.changed.notify_all();
    }
}

/// What a response asks of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Carry on.
    Go,
    /// The response is good, but the quota is nearly spent: pause this
    /// long before the next start.
    Pace(Duration),
    /// Rate limited: wait this long, then send the same request again.
    /// `None` when the response names no time (a secondary limit without
    /// `retry-after`): the caller backs off on its own.
    Retry(Option<Duration>),
}

/// The headers [`advise`] reads, lowercased names.
pub trait Headers {
    fn header(&self, name: &str) -> Option<&str>;
}

impl Headers for [(String, String)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

/// Reads the rate-limit headers of one response.
///
/// - 403 or 429 with `retry-after`: a secondary limit (GitHub) or a
///   throttle (GitLab): wait that long.
/// - 403 or 429 with `x-ratelimit-remaining: 0` (`ratelimit-remaining`
///   on GitLab): the primary limit: wait until `x-ratelimit-reset` (UTC
///   epoch seconds), measured against the response's `Date` when there is
///   one, so a skewed local clock does not shorten the wait.
/// - 429 without either, or a 403 whose message says "rate limit": wait
///   an unknown time (`Retry(None)`).
/// - any other response with fewer than `low` requests left: spread
///   them evenly until the reset.
pub fn advise(status: u16, headers: &(impl Headers + ?Sized), body: &str, low: u64) -> Advice {
    let remaining = header_u64(headers, &["x-ratelimit-remaining", "ratelimit-remaining"]);
    let until_reset = || {
        let reset = header_u64(headers, &["x-ratelimit-reset", "ratelimit-reset"])?;
        let now = headers
            .header("date")
            .and_then(http_date)
            .unwrap_or_else(epoch_now);
        Some(Duration::from_secs(reset.saturating_sub(now)))
    };
    if status == 403 || status == 429 {
        if let Some(wait) = headers.header("retry-after").and_then(retry_after) {
            return Advice::Retry(Some(wait));
        }
        if remaining == Some(0) {
            return Advice::Retry(until_reset());
        }
        let lower = body.to_ascii_lowercase();
        if status == 429 || lower.contains("rate limit") || lower.contains("abuse") {
            return Advice::Retry(None);
        }
        return Advice::Go;
    }
    match (remaining, until_reset()) {
        (Some(left), Some(reset)) if left < low => {
            Advice::Pace(reset / u32::try_from(left + 1).unwrap_or(u32::MAX))
        }
        _ => Advice::Go,
    }
}

fn header_u64(headers: &(impl Headers + ?Sized), names: &[&str]) -> Option<u64> {
    names
        .iter()
        .find_map(|n| headers.header(n))
        .and_then(|v| v.parse().ok())
}

/// `retry-after` is seconds or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = http_date(value)?;
    Some(Duration::from_secs(at.saturating_sub(epoch_now())))
}

fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as epoch seconds.
fn http_date(value: &str) -> Option<u64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(value.trim(), &format).ok()?;
    u64::try_from(t.assume_utc().unix_timestamp()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(http_date("yesterday"), None);
    }

    #[test]
    fn primary_limit_waits_until_the_reset_by_the_servers_clock() {
        // The server's clock says 08:49:37; the reset is 30 s later. The
        // local clock (2026) is ignored.
        let headers = h(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "784111807"),
            ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(
            advise(403, headers.as_slice(), "", 50),
            Advice::Retry(Some(Duration::from_secs(30)))
        );
        // GitLab's names, same meaning.
        let headers = h(&[
            ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", "784111817"),
            ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(
            advise(429, headers.as_slice(), "", 50),
            Advice::Retry(Some(Duration::from_secs(40)))
        );
    }

    #[test]
    fn secondary_limits_and_permission_errors_differ() {
        let retry = h(&[("retry-after", "7"), ("x-ratelimit-remaining", "4000")]);
        assert_eq!(
            advise(403, retry.as_slice(), "", 50),
            Advice::Retry(Some(Duration::from_secs(7)))
        );
        let none = h(&[("x-ratelimit-remaining", "4000")]);
        let msg = r#"{"message":"You have exceeded a secondary rate limit."}"#;
        assert_eq!(advise(403, none.as_slice(), msg, 50), Advice::Retry(None));
        let forbidden = r#"{"message":"Resource not accessible by integration"}"#;
        assert_eq!(advise(403, none.as_slice(), forbidden, 50), Advice::Go);
        assert_eq!(advise(429, none.as_slice(), "", 50), Advice::Retry(None));
    }

    #[test]
    fn a_low_quota_is_spread_until_the_reset() {
        let headers = h(&[
            ("x-ratelimit-remaining", "9"),
            ("x-ratelimit-reset", "784111837"),
            ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(
            advise(200, headers.as_slice(), "", 50),
            Advice::Pace(Duration::from_secs(6))
        );
        assert_eq!(advise(200, headers.as_slice(), "", 5), Advice::Go);
    }

    #[test]
    fn budget_spaces_starts_and_caps_concurrency() {
        let budget = Arc::new(Budget::new(Limits {
            max_concurrent: 2,
            min_interval: Duration::from_millis(30),
            ..Limits::default()
        }));
        let t0 = Instant::now();
        let a = budget.acquire();
        let b = budget.acquire();
        assert!(t0.elapsed() >= Duration::from_millis(30));
        let (tx, rx) = std::sync::mpsc::channel();
        let b2 = Arc::clone(&budget);
        let waiter = std::thread::spawn(move || {
            let _c = b2.acquire();
            tx.send(()).unwrap();
        });
        // Two permits out: the third start waits for one to be dropped.
        assert!(rx.recv_timeout(Duration::from_millis(150)).is_err());
        drop(a);
        rx.recv_timeout(Duration::from_secs(5)).expect("freed slot");
        waiter.join().unwrap();
        drop(b);
    }

    #[test]
    fn clones_leave_a_slot_for_api_requests() {
        let budget = Arc::new(Budget::new(Limits {
            max_concurrent: 3,
            min_interval: Duration::ZERO,
            ..Limits::default()
        }));
        let _a = budget.acquire_long();
        let _b = budget.acquire_long();
        let (tx, rx) = std::sync::mpsc::channel();
        let b2 = Arc::clone(&budget);
        std::thread::spawn(move || {
            let _c = b2.acquire_long();
            tx.send(()).unwrap();
        });
        // A third clone waits; an API request still starts at once.
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
        let t0 = Instant::now();
        drop(budget.acquire());
        assert!(t0.elapsed() < Duration::from_millis(50));
    }

    #[test]
    fn pauses_hold_everyone_and_are_capped() {
        let budget = Arc::new(Budget::new(Limits {
            min_interval: Duration::ZERO,
            max_wait: Duration::from_millis(300),
            ..Limits::default()
        }));
        budget.pause(Duration::from_millis(120)).unwrap();
        let t0 = Instant::now();
        drop(budget.acquire());
        assert!(t0.elapsed() >= Duration::from_millis(100));
        let err = budget.pause(Duration::from_secs(3600)).unwrap_err();
        assert!(err.left <= Duration::from_millis(300 - 100));
        assert!(budget.waited() >= Duration::from_millis(100));
    }
}

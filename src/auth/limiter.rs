//! Sign-in rate limiting that an outsider can use neither to guess a password nor to
//! lock staff out.
//!
//! Every failed attempt (a wrong password at sign-in or at a password change) counts
//! against three keys within a 15-minute window:
//!
//! - the **(address, name)** pair: after 5 failures that address may not try that name
//!   again (429, right password or not) — no guessing from one address; everyone
//!   else, including the account's owner elsewhere, is unaffected;
//! - the **address**: after 30 failures (any names) the address may not try names that
//!   have not signed in successfully from it — no password spraying over many names
//!   from one address;
//! - the **name**: after 20 failures (from any addresses) the name may not be tried
//!   from addresses it has not signed in from — a distributed guess gets at most 20
//!   tries per window.
//!
//! A name "has signed in from" an address when a sign-in (or password change) with the
//! right password succeeded from there within the last 30 days. So the address and name
//! locks never shut out staff where they usually work — the office network, or the TLS
//! proxy's clients once `--trusted-proxies` names the proxy — while an attacker from
//! anywhere else stays locked. A locked attempt is refused *before* the password is
//! checked, so a lock gives away nothing about the password.
//!
//! What is left: someone sharing a staff member's address (same office network) can
//! still lock that pair with 5 failures, and a staff member signing in from a new address
//! while their account is under a distributed attack waits for the window.
//!
//! Kept in memory per instance (behind a load balancer each instance limits on its own,
//! which multiplies the allowance by the number of instances — still far too slow to
//! guess an argon2-protected password); known addresses are forgotten on restart.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per (address, name) within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// Failures allowed per client address within [`WINDOW`] before it may try only names
/// known at it.
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
/// Failures allowed per name (over all addresses) within [`WINDOW`] before it may be
/// tried only from addresses it is known at.
pub const MAX_FAILURES_PER_NAME: usize = 20;
/// How far back failed sign-ins are counted.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a successful sign-in makes an address known for its name.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Entries kept before old ones are swept (bounds the memory an attacker can fill).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, String),
    Address(String),
    Name(String),
}

#[derive(Default)]
struct State {
    failures: HashMap<Key, VecDeque<Instant>>,
    /// (address, name) → last successful sign-in.
    known: HashMap<(String, String), Instant>,
}

/// Failed and successful sign-ins by address and name.
#[derive(Default)]
pub struct LoginLimiter {
    state: Mutex<State>,
}

/// The address key for an attempt whose client address is unknown (no connection
/// information: tests, or a server embedded without it).
fn address(client: Option<&str>) -> &str {
    client.unwrap_or("-")
}

impl LoginLimiter {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// If an attempt for `name` from `client` is locked out at `now`, how long until it
    /// is not.
    pub fn blocked(&self, name: &str, client: Option<&str>, now: Instant) -> Option<Duration> {
        let addr = address(client);
        let mut state = self.state();
        let known = state
            .known
            .get(&(addr.to_string(), name.to_string()))
            .is_some_and(|t| now.duration_since(*t) < KNOWN_FOR);
        let mut limits = vec![(Key::Pair(addr.into(), name.into()), MAX_FAILURES)];
        if !known {
            limits.push((Key::Address(addr.into()), MAX_FAILURES_PER_ADDRESS));
            limits.push((Key::Name(name.into()), MAX_FAILURES_PER_NAME));
        }
        limits
            .into_iter()
            .filter_map(|(key, max)| {
                let times = state.failures.get_mut(&key)?;
                prune(times, now);
                (times.len() >= max).then(|| WINDOW - now.duration_since(times[times.len() - max]))
            })
            .max()
    }

    /// Records a failed attempt for `name` from `client`.
    pub fn failed(&self, name: &str, client: Option<&str>, now: Instant) {
        let addr = address(client);
        let mut state = self.state();
        if state.failures.len() > MAX_ENTRIES {
            state.failures.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
        }
        for key in [
            Key::Pair(addr.into(), name.into()),
            Key::Address(addr.into()),
            Key::Name(name.into()),
        ] {
            let times = state.failures.entry(key).or_default();
            prune(times, now);
            times.push_back(now);
        }
    }

    /// Records a successful sign-in: forgets the pair's failures and makes `client`
    /// known for `name`. The address's and the name's failures stay: the owner signing
    /// in does not reopen the account to whoever is guessing elsewhere.
    pub fn succeeded(&self, name: &str, client: Option<&str>, now: Instant) {
        let addr = address(client);
        let mut state = self.state();
        state.failures.remove(&Key::Pair(addr.into(), name.into()));
        if state.known.len() > MAX_ENTRIES {
            state
                .known
                .retain(|_, t| now.duration_since(*t) < KNOWN_FOR);
        }
        state.known.insert((addr.into(), name.into()), now);
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_locks_after_max_failures_and_unlocks_after_the_window() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(limiter.blocked("a", Some("1"), t0), None, "attempt {i}");
            limiter.failed("a", Some("1"), t0);
        }
        assert_eq!(limiter.blocked("a", Some("1"), t0), Some(WINDOW));
        // The name from elsewhere and other names from here are not locked.
        assert_eq!(limiter.blocked("a", Some("2"), t0), None);
        assert_eq!(limiter.blocked("b", Some("1"), t0), None);
        assert_eq!(limiter.blocked("a", Some("1"), t0 + WINDOW), None);
    }

    #[test]
    fn an_address_locks_only_names_not_known_at_it() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        limiter.succeeded("staff", Some("office"), t0);
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            limiter.failed(&format!("guess{i}"), Some("office"), t0);
        }
        assert!(limiter.blocked("someone", Some("office"), t0).is_some());
        assert_eq!(limiter.blocked("staff", Some("office"), t0), None);
        assert_eq!(limiter.blocked("someone", Some("home"), t0), None);
        // Known for 30 days only.
        let later = t0 + KNOWN_FOR;
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            limiter.failed(&format!("guess{i}"), Some("office"), later);
        }
        assert!(limiter.blocked("staff", Some("office"), later).is_some());
    }

    #[test]
    fn a_name_locks_only_addresses_it_is_not_known_at() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        limiter.succeeded("staff", Some("office"), t0);
        for i in 0..MAX_FAILURES_PER_NAME {
            limiter.failed("staff", Some(&format!("bot{i}")), t0);
        }
        assert!(limiter.blocked("staff", Some("bot-new"), t0).is_some());
        assert_eq!(limiter.blocked("staff", Some("office"), t0), None);
        // The owner signing in does not reopen the name to the others.
        limiter.succeeded("staff", Some("office"), t0);
        assert!(limiter.blocked("staff", Some("bot-new"), t0).is_some());
    }
}

/// A plain rate limit: at most `max` events per key within `window` (a sliding
/// window), for anonymous writes such as problem reports (per client address, found
/// the same way as for sign-ins). Memory is bounded like the sign-in limiter's.
pub struct WindowLimiter {
    max: usize,
    window: Duration,
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl WindowLimiter {
    /// At most `max` events per key within `window`.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            events: Mutex::default(),
        }
    }

    /// Counts an event for `key` at `now` if the limit allows it; otherwise counts
    /// nothing and returns how long until it would.
    pub fn allow(&self, key: Option<&str>, now: Instant) -> Result<(), Duration> {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if events.len() >= MAX_ENTRIES {
            let window = self.window;
            events.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        let times = events.entry(address(key).to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(self.window - now.saturating_duration_since(oldest));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn a_window_limit_per_key() {
        let limiter = WindowLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(
                limiter
                    .allow(Some("10.0.0.1"), t0 + Duration::from_secs(i))
                    .is_ok()
            );
        }
        let wait = limiter
            .allow(Some("10.0.0.1"), t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another address is not affected; the first one may again once the window moved.
        assert!(limiter.allow(Some("10.0.0.2"), t0).is_ok());
        assert!(
            limiter
                .allow(Some("10.0.0.1"), t0 + Duration::from_secs(60))
                .is_ok()
        );
    }
}

//! Sign-in rate limiting: after too many failures for one user name (5) or from one
//! client address (30: behind a proxy many people share one) within a window, further
//! attempts are refused until it passes.
//! Kept in memory per instance (behind a load balancer each instance limits on its own,
//! which multiplies the allowance by the number of instances — still far too slow to
//! guess an argon2-protected password).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per user name within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// Failures allowed per client address within [`WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed sign-ins by key (`user:<name>` or `addr:<ip>`).
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// If any of `keys` is locked out at `now`, how long until it is not.
    pub fn blocked(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|k| {
                let times = failures.get_mut(k)?;
                prune(times, now);
                let max = if k.starts_with("addr:") {
                    MAX_FAILURES_PER_ADDRESS
                } else {
                    MAX_FAILURES
                };
                (times.len() >= max).then(|| WINDOW - now.duration_since(times[times.len() - max]))
            })
            .max()
    }

    /// Records a failure for each key.
    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > 100_000 {
            // Bound the memory an attacker can make us use with many names/addresses.
            failures.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
        }
        for k in keys {
            let times = failures.entry(k.clone()).or_default();
            prune(times, now);
            times.push_back(now);
        }
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
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
    fn locks_after_max_failures_and_unlocks_after_the_window() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        let keys = vec!["user:a".to_string(), "addr:1".to_string()];
        for i in 0..MAX_FAILURES {
            assert_eq!(limiter.blocked(&keys, t0), None, "attempt {i}");
            limiter.failed(&keys, t0);
        }
        assert_eq!(limiter.blocked(&keys, t0), Some(WINDOW));
        // The address allows more failures (people share addresses behind proxies).
        assert!(limiter.blocked(&["addr:1".into()], t0).is_none());
        for _ in MAX_FAILURES..MAX_FAILURES_PER_ADDRESS {
            limiter.failed(&["addr:1".into()], t0);
        }
        assert!(
            limiter
                .blocked(&["addr:1".into(), "user:b".into()], t0)
                .is_some()
        );
        assert!(limiter.blocked(&["addr:2".into()], t0).is_none());
        assert_eq!(limiter.blocked(&keys, t0 + WINDOW), None);
        limiter.succeeded("user:a");
        assert!(limiter.blocked(&["user:a".into()], t0).is_none());
    }
}

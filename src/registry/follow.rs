//! Following the store: keeps a running instance's index snapshot up to date with
//! writes made by any process (another instance behind the load balancer, or the CLI on
//! the same database); analysis answers, kept per data version, follow with it.
//!
//! A background task holds a [`ChangeWatch`](crate::store::ChangeWatch) and calls
//! [`Registry::catch_up`] on every wake, and at least every
//! [`FollowOptions::safety_poll`] in case a notification was lost. Wakes are hints
//! (at least once, possibly spurious or folded together); what is applied is decided by
//! the change log alone: everything after the snapshot's data version, in sequence
//! order, so a change is never skipped and applying one twice changes nothing. After
//! (re)connecting the task always catches up, so an instance that was down or cut off
//! gets what it missed. The store owns everything backend-specific.

use crate::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Timing of a follower.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// Catch up at least this often, even without a wake.
    pub safety_poll: Duration,
    /// First wait before opening a watch again after a failure (doubled each time).
    pub min_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        Self {
            safety_poll: Duration::from_secs(5),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// A running follower; dropping it stops the task.
pub struct Follower {
    task: JoinHandle<()>,
}

impl Follower {
    /// Stops following (also done on drop).
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts following the registry's store (on the current tokio runtime).
pub fn follow(registry: Arc<Registry>, options: FollowOptions) -> Follower {
    Follower {
        task: tokio::spawn(run(registry, options)),
    }
}

async fn run(registry: Arc<Registry>, options: FollowOptions) {
    let mut backoff = options.min_backoff;
    loop {
        match registry.store().watch().await {
            Ok(mut watch) => {
                // Listening has started: whatever was written while this instance was not
                // listening is in the change log.
                if catch_up(&registry).await {
                    backoff = options.min_backoff;
                }
                loop {
                    match tokio::time::timeout(options.safety_poll, watch.changed()).await {
                        Ok(Ok(())) | Err(_) => {
                            catch_up(&registry).await;
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "change watch lost; reopening it");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot watch the store for changes");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(options.max_backoff);
    }
}

/// One catch-up; failures are logged (the next wake or safety poll retries).
async fn catch_up(registry: &Registry) -> bool {
    let before = registry.index().version();
    match registry.catch_up().await {
        Ok(version) => {
            if version != before {
                tracing::debug!(from = before, to = version, "caught up with the change log");
            }
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, version = before, "catch-up from the change log failed; will retry");
            false
        }
    }
}

//! Keeping the steady state cheap: a settled service's resync reads ECS in batches shared
//! with its cluster's other settled services, and a settled TaskDefinition's resync reads AWS
//! only every `deep_check_every`-th time.
//!
//! Refresh-ahead: when a settled service has no fresh observation, one DescribeServices call
//! observes it together with up to 9 other settled services of the same cluster that have
//! none; their observations wait (at most `ttl`) for their own resyncs. With resyncs spread
//! over the period, that is about one DescribeServices (and one DescribeClusters) per 10
//! services per period. A drifted service is still found: the engine plans from the cached
//! observation, and any change it makes is followed by a fresh one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::aws::{Aws, AwsError};
use crate::engine::observe::{observe_services, DESCRIBE_SERVICES_BATCH};
use crate::plan::model::ObservedFargateService;

type Key = (String, String);

/// Observations made ahead of a service's own resync.
pub struct ServiceObservations {
    ttl: Duration,
    ahead: Mutex<HashMap<Key, (Instant, ObservedFargateService)>>,
}

impl ServiceObservations {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            ahead: Mutex::default(),
        }
    }

    /// A fresh observation of `cluster/name` made ahead, taken (used once).
    pub fn take(&self, cluster: &str, name: &str) -> Option<ObservedFargateService> {
        let mut ahead = self.ahead.lock().ok()?;
        let (at, observed) = ahead.remove(&(cluster.to_owned(), name.to_owned()))?;
        (at.elapsed() <= self.ttl).then_some(observed)
    }

    fn has_fresh(&self, cluster: &str, name: &str) -> bool {
        self.ahead.lock().is_ok_and(|a| {
            a.get(&(cluster.to_owned(), name.to_owned()))
                .is_some_and(|(at, _)| at.elapsed() <= self.ttl)
        })
    }

    /// Observes `name` for a settled service's resync: from an earlier batch if one is
    /// fresh, else in a batch with up to 9 of `siblings()` (settled services of the same
    /// cluster; listed only on a miss) that have no fresh observation, keeping theirs for
    /// later.
    pub async fn observe<I: IntoIterator<Item = String>>(
        &self,
        aws: &Aws,
        cluster: &str,
        name: &str,
        siblings: impl FnOnce() -> I,
    ) -> Result<ObservedFargateService, AwsError> {
        if let Some(o) = self.take(cluster, name) {
            return Ok(o);
        }
        let mut names = vec![name.to_owned()];
        names.extend(
            siblings()
                .into_iter()
                .filter(|s| s != name && !self.has_fresh(cluster, s))
                .take(DESCRIBE_SERVICES_BATCH - 1),
        );
        let mut observed = observe_services(aws, cluster, &names).await?;
        let mine = observed.remove(name).unwrap_or_default();
        if let Ok(mut ahead) = self.ahead.lock() {
            let now = Instant::now();
            // Forget what expired, so the map holds at most a period's worth.
            ahead.retain(|_, (at, _)| at.elapsed() <= self.ttl);
            for (n, o) in observed {
                ahead.insert((cluster.to_owned(), n), (now, o));
            }
        }
        Ok(mine)
    }

    /// Observations waiting.
    pub fn len(&self) -> usize {
        self.ahead.lock().map(|a| a.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Counts a settled TaskDefinition's resyncs; every `every`-th one reads AWS.
pub struct DeepChecks {
    every: u32,
    counts: Mutex<HashMap<String, u32>>,
}

impl DeepChecks {
    pub fn new(every: u32) -> Self {
        Self {
            every: every.max(1),
            counts: Mutex::default(),
        }
    }

    /// Whether this resync of `key` must read AWS. The first resync after a start always
    /// does (a restart re-verifies everything once).
    pub fn due(&self, key: &str) -> bool {
        let Ok(mut counts) = self.counts.lock() else {
            return true;
        };
        let n = counts.entry(key.to_owned()).or_insert(0);
        let due = *n % self.every == 0;
        *n = n.wrapping_add(1);
        due
    }

    /// `key` changed or was deleted: its next resync reads AWS.
    pub fn reset(&self, key: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deep_check_every_nth_resync_and_after_a_reset() {
        let d = DeepChecks::new(3);
        let pattern: Vec<bool> = (0..7).map(|_| d.due("a")).collect();
        assert_eq!(pattern, [true, false, false, true, false, false, true]);
        d.reset("a");
        assert!(d.due("a"));
        assert!(d.due("b"), "objects are counted apart");
    }
}

//! Keeping the steady state cheap: a settled service's resync reads ECS in batches shared
//! with its cluster's other settled services, and a settled object's resync reads what
//! rarely changes (a TaskDefinition's roles, log group and revisions; a service's
//! autoscaling) only every `deep_check_every`-th time.
//!
//! Refresh-ahead: when a settled service has no fresh observation, one DescribeServices call
//! observes it together with up to 9 other settled services of the same cluster that have
//! none; their observations wait (at most `ttl`) for their own resyncs. With resyncs spread
//! over the period, that is about one DescribeServices per 10 services per period. The
//! cluster is described once per `ttl` and shared by all its services. A service's
//! autoscaling is read on its deep checks; in between, its last reading stands in. A
//! drifted service is still found: the engine plans from the observation, and any change
//! it makes is followed by a fresh one, and by [`ServiceObservations::forget`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::aws::{Aws, AwsError};
use crate::engine::observe::{observe_services_in, DESCRIBE_SERVICES_BATCH};
use crate::plan::model::{ObservedCluster, ObservedFargateService, ObservedScaling};

type Key = (String, String);

fn key(cluster: &str, name: &str) -> Key {
    (cluster.to_owned(), name.to_owned())
}

/// Observations made ahead of a service's own resync, and what a settled service's resync
/// reuses instead of reading.
pub struct ServiceObservations {
    ttl: Duration,
    /// With whether its autoscaling was read for it (not reused).
    ahead: Mutex<HashMap<Key, (Instant, ObservedFargateService, bool)>>,
    clusters: Mutex<HashMap<String, (Instant, Option<ObservedCluster>)>>,
    /// Each settled service's last autoscaling reading.
    scaling: Mutex<HashMap<Key, ObservedScaling>>,
}

impl ServiceObservations {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            ahead: Mutex::default(),
            clusters: Mutex::default(),
            scaling: Mutex::default(),
        }
    }

    /// A fresh observation of `cluster/name` made ahead, taken (used once), with whether its
    /// autoscaling was read for it.
    fn take(&self, cluster: &str, name: &str) -> Option<(ObservedFargateService, bool)> {
        let mut ahead = self.ahead.lock().ok()?;
        let (at, observed, scaling_read) = ahead.remove(&key(cluster, name))?;
        (at.elapsed() <= self.ttl).then_some((observed, scaling_read))
    }

    fn has_fresh(&self, cluster: &str, name: &str) -> bool {
        self.ahead.lock().is_ok_and(|a| {
            a.get(&key(cluster, name))
                .is_some_and(|(at, _, _)| at.elapsed() <= self.ttl)
        })
    }

    /// `cluster/name` changed, or is no longer settled: nothing kept about it is used again.
    pub fn forget(&self, cluster: &str, name: &str) {
        let k = key(cluster, name);
        if let Ok(mut ahead) = self.ahead.lock() {
            ahead.remove(&k);
        }
        if let Ok(mut scaling) = self.scaling.lock() {
            scaling.remove(&k);
        }
    }

    /// The cluster as described within `ttl`, else described now.
    async fn cluster(&self, aws: &Aws, cluster: &str) -> Result<Option<ObservedCluster>, AwsError> {
        let cached = self.clusters.lock().ok().and_then(|c| {
            c.get(cluster)
                .filter(|(at, _)| at.elapsed() <= self.ttl)
                .map(|(_, state)| state.clone())
        });
        if let Some(state) = cached {
            return Ok(state);
        }
        let state = aws.ecs.describe_cluster(cluster).await?;
        if let Ok(mut c) = self.clusters.lock() {
            c.insert(cluster.to_owned(), (Instant::now(), state.clone()));
        }
        Ok(state)
    }

    fn known_scaling(&self, cluster: &str, name: &str) -> Option<ObservedScaling> {
        self.scaling
            .lock()
            .ok()
            .and_then(|s| s.get(&key(cluster, name)).cloned())
    }

    fn remember_scaling(&self, cluster: &str, name: &str, scaling: &ObservedScaling) {
        if let Ok(mut s) = self.scaling.lock() {
            s.insert(key(cluster, name), scaling.clone());
        }
    }

    /// Observes `name` for a settled service's resync: from an earlier batch if one is
    /// fresh, else in a batch with up to 9 of `siblings()` (settled services of the same
    /// cluster; listed only on a miss) that have no fresh observation, keeping theirs for
    /// later. `deep`: this resync reads the service's autoscaling rather than reuse it.
    pub async fn observe<I: IntoIterator<Item = String>>(
        &self,
        aws: &Aws,
        cluster: &str,
        name: &str,
        deep: bool,
        siblings: impl FnOnce() -> I,
    ) -> Result<ObservedFargateService, AwsError> {
        let result = self.observe_inner(aws, cluster, name, deep, siblings).await;
        match &result {
            Ok(o) => self.remember_scaling(cluster, name, &o.scaling),
            Err(_) => {
                // The cluster may be what failed (deleted behind our back): describe it again.
                if let Ok(mut c) = self.clusters.lock() {
                    c.remove(cluster);
                }
            }
        }
        result
    }

    async fn observe_inner<I: IntoIterator<Item = String>>(
        &self,
        aws: &Aws,
        cluster: &str,
        name: &str,
        deep: bool,
        siblings: impl FnOnce() -> I,
    ) -> Result<ObservedFargateService, AwsError> {
        if let Some((mut o, scaling_read)) = self.take(cluster, name) {
            let live = o.service.as_ref().is_some_and(|s| s.status != "INACTIVE");
            if deep && live && !scaling_read {
                o.scaling = aws
                    .scaling
                    .describe(&crate::plan::service::resource_id(cluster, name))
                    .await?;
            }
            return Ok(o);
        }
        let cluster_state = self.cluster(aws, cluster).await?;
        let mut names = vec![name.to_owned()];
        names.extend(
            siblings()
                .into_iter()
                .filter(|s| s != name && !self.has_fresh(cluster, s))
                .take(DESCRIBE_SERVICES_BATCH - 1),
        );
        let known: HashMap<String, ObservedScaling> = names
            .iter()
            .filter(|n| !(*n == name && deep))
            .filter_map(|n| Some((n.clone(), self.known_scaling(cluster, n)?)))
            .collect();
        let mut observed = observe_services_in(aws, cluster, cluster_state, &names, |n| {
            known.get(n).cloned()
        })
        .await?;
        let mine = observed.remove(name).unwrap_or_default();
        let now = Instant::now();
        if let Ok(mut ahead) = self.ahead.lock() {
            // Forget what expired, so the map holds at most a period's worth.
            ahead.retain(|_, (at, _, _)| at.elapsed() <= self.ttl);
            for (n, o) in observed {
                self.remember_scaling(cluster, &n, &o.scaling);
                let scaling_read = !known.contains_key(&n);
                ahead.insert(key(cluster, &n), (now, o, scaling_read));
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

/// Counts a settled object's resyncs; every `every`-th one reads AWS deeply.
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

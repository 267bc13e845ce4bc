//! Keeping the steady state cheap: a settled service's resync reads ECS in batches shared
//! with its cluster's other settled services, and a settled object's resync reads what
//! rarely changes (a TaskDefinition's roles, log group and revisions; a service's
//! autoscaling and cluster) only every `deep_check_every`-th time.
//!
//! Batches: when a settled service has no fresh observation, one DescribeServices call
//! observes it together with up to 9 other settled services of the same cluster that have
//! none, those observed longest ago first. Their observations are kept for them, and the
//! controller reconciles them at once ([`ServiceObservations::wake_with`]); without a waker
//! they wait (at most `ttl`) for their own resyncs. That is about one DescribeServices per
//! 10 services per period. One batch per cluster is read at a time: resyncs that overlap
//! (after a start, all of them) wait for the batch in flight, which may have observed them,
//! rather than each starting one. The cluster is described once per deep-check period and
//! shared by all its services (a settled service's DescribeServices answering is itself
//! proof the cluster is there; what the description adds, its capacity providers, is drift
//! found like autoscaling's). A service's autoscaling is read on its deep checks; in
//! between, it is not read as long as it was in sync at its last reading and nothing
//! changed since. A drifted service is still found: the engine plans from the observation,
//! and any change it makes is followed by a fresh one, and by
//! [`ServiceObservations::forget`].
//!
//! A TaskDefinition's deep check takes its family's revision list from one account-wide
//! listing shared by the period's deep checks ([`RevisionListing`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// tokio's clock, so a paused runtime (tests, benches) can step through resync periods.
use tokio::time::Instant;

use crate::api::TaskDefinition;
use crate::aws::{Aws, AwsError};
use crate::engine;
use crate::engine::observe::{observe_services_in, DESCRIBE_SERVICES_BATCH};
use crate::plan::model::{ObservedCluster, ObservedFargateService};
use crate::plan::PlanConfig;

type Key = (String, String);

fn key(cluster: &str, name: &str) -> Key {
    (cluster.to_owned(), name.to_owned())
}

fn observed_key(cluster: &str, name: &str) -> u64 {
    crate::util::hashed(&(cluster, name))
}

/// Observations made ahead of a service's own resync, and what a settled service's resync
/// reuses instead of reading.
pub struct ServiceObservations {
    ttl: Duration,
    /// How long a cluster's description is shared (its services' deep-check period).
    cluster_ttl: Duration,
    ahead: Mutex<HashMap<Key, Ahead>>,
    clusters: Mutex<HashMap<String, (Instant, Option<ObservedCluster>)>>,
    /// Settled services whose own resync last read their autoscaling, and nothing changed
    /// since (see [`ServiceObservations::forget`]): not read again until a deep check.
    scaling_in_sync: Mutex<HashSet<u64>>,
    /// Per cluster, held while a batch is read: resyncs that overlap wait for the batch in
    /// flight (which may observe them) instead of each starting one.
    batches: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When each settled service (by a hash of cluster and name) was last observed: a batch
    /// takes the siblings observed longest ago.
    observed_at: Mutex<HashMap<u64, Instant>>,
    /// Told the siblings a batch observed ahead (cluster, names), so their resyncs can come
    /// now rather than wait (see [`ServiceObservations::wake_with`]).
    waker: std::sync::OnceLock<Waker>,
}

/// Resyncs now the services of a cluster whose observations were made ahead.
pub type Waker = Box<dyn Fn(&str, &[String]) + Send + Sync>;

/// An observation made ahead. The cluster, the same for the whole batch, is kept once.
struct Ahead {
    at: Instant,
    cluster: Arc<Option<ObservedCluster>>,
    /// Without its cluster; boxed, so the map's spare capacity (grown by a start-up burst)
    /// costs little.
    observed: Box<ObservedFargateService>,
}

/// For how many resync periods what one resync reads is shared with the others: the period
/// with its ±10 % jitter, and some.
const SHARED_PERIODS: f64 = 1.25;

/// How long what one resync reads is shared with the others of its period.
pub fn shared_for(resync: Duration) -> Duration {
    resync.mul_f64(SHARED_PERIODS)
}

/// The pages an account-wide revision listing may take: as many as the family listings the
/// deep checks it serves (those of `task_definitions` settled ones within [`shared_for`] a
/// period) would make.
pub fn listing_budget(task_definitions: usize, deep_check_every: u32) -> usize {
    (task_definitions as f64 * SHARED_PERIODS / f64::from(deep_check_every.max(1))) as usize
}

impl ServiceObservations {
    /// With the controller's settings: an observation made ahead is used within
    /// [`shared_for`] a resync period, a cluster's description for a deep-check period.
    pub fn for_settings(settings: &super::Settings) -> Self {
        Self::new(
            shared_for(settings.resync),
            settings.resync * settings.deep_check_every.max(1),
        )
    }

    /// `ttl`: how long an observation made ahead waits for its service's resync;
    /// `cluster_ttl`: how long a cluster's description is reused.
    pub fn new(ttl: Duration, cluster_ttl: Duration) -> Self {
        Self {
            ttl,
            cluster_ttl,
            ahead: Mutex::default(),
            clusters: Mutex::default(),
            scaling_in_sync: Mutex::default(),
            batches: Mutex::default(),
            observed_at: Mutex::default(),
            waker: std::sync::OnceLock::new(),
        }
    }

    /// From now on, the siblings a batch observes ahead are resynced at once by `waker`
    /// (the controller queues their reconciles): an observation then waits milliseconds,
    /// not up to a period, so the status it reports is fresh and few are held at a time.
    /// Without a waker, observations wait for their services' own resyncs.
    pub fn wake_with(&self, waker: Waker) {
        // Set once, by the controller that owns this; a second call changes nothing.
        let _ = self.waker.set(waker);
    }

    /// A fresh observation of `cluster/name` made ahead, taken (used once).
    fn take(&self, cluster: &str, name: &str) -> Option<ObservedFargateService> {
        let mut ahead = self.ahead.lock().ok()?;
        let a = ahead.remove(&key(cluster, name))?;
        (a.at.elapsed() <= self.ttl).then(|| ObservedFargateService {
            cluster: (*a.cluster).clone(),
            ..*a.observed
        })
    }

    fn has_fresh(&self, cluster: &str, name: &str) -> bool {
        self.ahead.lock().is_ok_and(|a| {
            a.get(&key(cluster, name))
                .is_some_and(|a| a.at.elapsed() <= self.ttl)
        })
    }

    /// `cluster/name` changed, is no longer settled, or its reconcile did not end in sync:
    /// nothing kept about it is used again.
    pub fn forget(&self, cluster: &str, name: &str) {
        if let Ok(mut at) = self.observed_at.lock() {
            at.remove(&observed_key(cluster, name));
        }
        let k = key(cluster, name);
        if let Ok(mut ahead) = self.ahead.lock() {
            ahead.remove(&k);
        }
        if let Ok(mut in_sync) = self.scaling_in_sync.lock() {
            in_sync.remove(&observed_key(cluster, name));
        }
    }

    /// `cluster` was just changed (created, its settings updated): described again next time.
    pub fn forget_cluster(&self, cluster: &str) {
        if let Ok(mut c) = self.clusters.lock() {
            c.remove(cluster);
        }
    }

    /// The cluster as described within `cluster_ttl`, else described now.
    async fn cluster(&self, aws: &Aws, cluster: &str) -> Result<Option<ObservedCluster>, AwsError> {
        let cached = self.clusters.lock().ok().and_then(|c| {
            c.get(cluster)
                .filter(|(at, _)| at.elapsed() <= self.cluster_ttl)
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

    fn scaling_in_sync(&self, cluster: &str, name: &str) -> bool {
        self.scaling_in_sync
            .lock()
            .is_ok_and(|s| s.contains(&observed_key(cluster, name)))
    }

    /// Observes `name` for a settled service's resync: from an earlier batch if one is
    /// fresh, else in a batch with up to 9 of `siblings()` (settled services of the same
    /// cluster; listed only on a miss) that have no fresh observation, keeping theirs for
    /// later. Autoscaling is read on a deep check (`deep`), and whenever it was not read by
    /// the service's own last resync or something changed since (`scaling` None tells).
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
            Ok(o) if o.scaling.is_some() => {
                if let Ok(mut in_sync) = self.scaling_in_sync.lock() {
                    in_sync.insert(observed_key(cluster, name));
                }
            }
            Ok(_) => {}
            Err(_) => {
                // The cluster may be what failed (deleted behind our back): describe it again.
                if let Ok(mut c) = self.clusters.lock() {
                    c.remove(cluster);
                }
            }
        }
        result
    }

    /// The observation made ahead for `cluster/name`, if fresh, with its autoscaling read
    /// now if this is a deep check and the batch reused it.
    async fn take_made_ahead(
        &self,
        aws: &Aws,
        cluster: &str,
        name: &str,
        deep: bool,
    ) -> Result<Option<ObservedFargateService>, AwsError> {
        let Some(mut o) = self.take(cluster, name) else {
            return Ok(None);
        };
        if o.scaling.is_none() && (deep || !self.scaling_in_sync(cluster, name)) {
            o.scaling = Some(
                aws.scaling
                    .describe(&crate::api::names::resource_id(cluster, name))
                    .await?,
            );
        }
        Ok(Some(o))
    }

    async fn observe_inner<I: IntoIterator<Item = String>>(
        &self,
        aws: &Aws,
        cluster: &str,
        name: &str,
        deep: bool,
        siblings: impl FnOnce() -> I,
    ) -> Result<ObservedFargateService, AwsError> {
        if let Some(o) = self.take_made_ahead(aws, cluster, name, deep).await? {
            return Ok(o);
        }
        // One batch per cluster at a time; the one in flight may have observed this service.
        let gate = self
            .batches
            .lock()
            .map(|mut b| b.entry(cluster.to_owned()).or_default().clone())
            .unwrap_or_default();
        let _one_at_a_time = gate.lock().await;
        if let Some(o) = self.take_made_ahead(aws, cluster, name, deep).await? {
            return Ok(o);
        }
        let cluster_state = self.cluster(aws, cluster).await?;
        let names = self.batch(cluster, name, siblings);
        let mut observed = observe_services_in(aws, cluster, cluster_state.as_ref(), &names, |n| {
            !(n == name && deep) && self.scaling_in_sync(cluster, n)
        })
        .await?;
        let mine = observed.remove(name).unwrap_or_default();
        let now = Instant::now();
        if let Ok(mut at) = self.observed_at.lock() {
            for n in &names {
                at.insert(observed_key(cluster, n), now);
            }
        }
        self.keep_ahead(cluster, Arc::new(cluster_state), observed, now);
        Ok(mine)
    }

    /// The services one DescribeServices reads for `name`: it, then the siblings observed
    /// longest ago (never first) with no fresh observation, up to a batch. With their
    /// resyncs woken (or waiting), a cluster's services settle into batches that come due
    /// together.
    fn batch<I: IntoIterator<Item = String>>(
        &self,
        cluster: &str,
        name: &str,
        siblings: impl FnOnce() -> I,
    ) -> Vec<String> {
        let mut names = vec![name.to_owned()];
        let mut candidates: Vec<(Option<Instant>, String)> = {
            let at = self.observed_at.lock().ok();
            siblings()
                .into_iter()
                .filter(|s| s != name && !self.has_fresh(cluster, s))
                .map(|s| {
                    let when = at
                        .as_ref()
                        .and_then(|at| at.get(&observed_key(cluster, &s)).copied());
                    (when, s)
                })
                .collect()
        };
        candidates.sort();
        names.extend(
            candidates
                .into_iter()
                .take(DESCRIBE_SERVICES_BATCH - 1)
                .map(|(_, s)| s),
        );
        names
    }

    /// Keeps the siblings' observations for their own resyncs (dropping expired ones) and
    /// wakes those resyncs, so they run while the observations are fresh.
    fn keep_ahead(
        &self,
        cluster: &str,
        cluster_state: Arc<Option<ObservedCluster>>,
        observed: std::collections::BTreeMap<String, ObservedFargateService>,
        now: Instant,
    ) {
        let woken: Vec<String> = observed.keys().cloned().collect();
        if let Ok(mut ahead) = self.ahead.lock() {
            // Forget what expired, so the map holds at most a period's worth.
            ahead.retain(|_, a| a.at.elapsed() <= self.ttl);
            let len = ahead.len();
            if ahead.capacity() > 64 && ahead.capacity() > 4 * len {
                ahead.shrink_to(2 * len);
            }
            for (n, mut o) in observed {
                o.cluster = None;
                let entry = Ahead {
                    at: now,
                    cluster: cluster_state.clone(),
                    observed: Box::new(o),
                };
                ahead.insert(key(cluster, &n), entry);
            }
        }
        if let Some(wake) = self.waker.get() {
            if !woken.is_empty() {
                wake(cluster, &woken);
            }
        }
    }

    /// Observations waiting.
    pub fn len(&self) -> usize {
        self.ahead.lock().map(|a| a.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How much a settled object's resync reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// What changes often only (a service's own state; nothing for a TaskDefinition).
    Shallow,
    /// Also what rarely changes (a service's autoscaling and cluster; a TaskDefinition's
    /// roles, log groups and the list of its revisions).
    Deep,
    /// Everything, as a reconcile of a changed object does (a TaskDefinition's revisions
    /// described with their tags).
    Full,
}

/// Counts a settled object's resyncs: the first is [`Depth::Full`], then every `every`-th
/// is [`Depth::Deep`] and every `every²`-th [`Depth::Full`]. Objects are spread over the
/// `every` phases (by a hash of their key), so after a start, when every object's first
/// resync comes at once, their deep checks do not all come together again.
pub struct DeepChecks {
    every: u32,
    /// By a hash of the object's key.
    counts: Mutex<HashMap<u64, u32>>,
}

impl DeepChecks {
    pub fn new(every: u32) -> Self {
        Self {
            every: every.max(1),
            counts: Mutex::default(),
        }
    }

    /// How deeply this resync of `key` reads AWS. The first resync after a start (or a
    /// [`DeepChecks::reset`]) is full: a restart re-verifies everything once.
    pub fn next(&self, key: &str) -> Depth {
        let Ok(mut counts) = self.counts.lock() else {
            return Depth::Full;
        };
        let h = crate::util::hashed(key);
        let Some(n) = counts.get_mut(&h) else {
            counts.insert(h, 1 + self.phase(h));
            return Depth::Full;
        };
        let depth = if *n % self.every.saturating_mul(self.every) == 0 {
            Depth::Full
        } else if *n % self.every == 0 {
            Depth::Deep
        } else {
            Depth::Shallow
        };
        *n = n.wrapping_add(1);
        depth
    }

    /// Where in the `every` resyncs between deep checks the key hashed to `h` starts.
    fn phase(&self, h: u64) -> u32 {
        (h % u64::from(self.every)) as u32
    }

    /// Whether this resync of `key` reads deeply ([`Depth::Deep`] or [`Depth::Full`]).
    pub fn due(&self, key: &str) -> bool {
        self.next(key) != Depth::Shallow
    }

    /// `key` changed or was deleted: its next resync reads AWS.
    pub fn reset(&self, key: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.remove(&crate::util::hashed(key));
        }
    }
}

/// The ACTIVE task-definition revisions of the account, listed once per `ttl` and shared by
/// every settled TaskDefinition's deep check: ListTaskDefinitions returns 100 ARNs a page,
/// where listing each family apart is a call per family. An account holding more revisions
/// than that saves (more pages than the deep checks one listing serves) is not listed
/// whole; each deep check then lists its own family. One listing is made at a time; deep
/// checks that need it meanwhile wait for it.
pub struct RevisionListing {
    ttl: Duration,
    state: tokio::sync::Mutex<Listing>,
}

#[derive(Default)]
struct Listing {
    at: Option<Instant>,
    /// Family → ACTIVE revision numbers.
    families: HashMap<Box<str>, Vec<i32>>,
    /// Families whose revisions a reconcile changed since the listing: listed apart.
    changed: HashSet<Box<str>>,
    /// The account has more revisions than listing it whole saves.
    too_large: bool,
}

impl RevisionListing {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            state: tokio::sync::Mutex::default(),
        }
    }

    /// The ACTIVE revision numbers of `family`: from the shared listing (made now if none
    /// is fresh, unless it would take more than `budget()` pages), else by listing the
    /// family.
    pub async fn family(
        &self,
        aws: &Aws,
        family: &str,
        budget: impl FnOnce() -> usize,
    ) -> Result<Vec<i32>, AwsError> {
        {
            let mut l = self.state.lock().await;
            let fresh = |l: &Listing| l.at.is_some_and(|at| at.elapsed() <= self.ttl);
            if !fresh(&l) && !l.too_large {
                match list_account(aws, budget()).await? {
                    Some(families) => {
                        *l = Listing {
                            at: Some(Instant::now()),
                            families,
                            ..Listing::default()
                        }
                    }
                    None => {
                        // Listed apart from now on: the account is too large to list whole.
                        *l = Listing {
                            too_large: true,
                            ..Listing::default()
                        }
                    }
                }
            }
            if fresh(&l) && !l.changed.contains(family) {
                return Ok(l.families.get(family).cloned().unwrap_or_default());
            }
        }
        Ok(aws
            .ecs
            .family_revision_arns(family)
            .await?
            .iter()
            .filter_map(|arn| crate::aws::revision_of_arn(arn).map(|(_, n)| n))
            .collect())
    }

    /// A reconcile changed `family`'s revisions (or may have): the listing no longer speaks
    /// for it.
    pub async fn changed(&self, family: &str) {
        let mut l = self.state.lock().await;
        if l.at.is_some() {
            l.changed.insert(family.into());
        }
    }
}

/// A settled TaskDefinition's resync up to the full reconcile: `true` when it is done, as
/// nothing is read this time ([`Depth::Shallow`]) or its deep check found nothing drifted
/// (its family listed from the account's shared listing — made with at most `budget()`
/// pages — and its roles and log groups read; see [`engine::task_definition_unchanged`]).
/// `false`: reconcile it whole, then tell `revisions` the family [`RevisionListing::changed`].
pub async fn settled_task_definition_done(
    deep_checks: &DeepChecks,
    revisions: &RevisionListing,
    aws: &Aws,
    config: &PlanConfig,
    (key, td, family): (&str, &TaskDefinition, &str),
    budget: impl FnOnce() -> usize,
) -> bool {
    match deep_checks.next(key) {
        // A settled TaskDefinition's revisions are immutable; the rest is re-read on deep
        // checks.
        Depth::Shallow => true,
        Depth::Deep => match revisions.family(aws, family, budget).await {
            Ok(active) => engine::task_definition_unchanged(aws, config, td, &active).await,
            Err(_) => false,
        },
        Depth::Full => false,
    }
}

/// Every ACTIVE revision of the account by family, or `None` if that takes more than
/// `budget` pages.
async fn list_account(
    aws: &Aws,
    budget: usize,
) -> Result<Option<HashMap<Box<str>, Vec<i32>>>, AwsError> {
    let mut families: HashMap<Box<str>, Vec<i32>> = HashMap::new();
    let mut token: Option<String> = None;
    for _ in 0..budget.max(1) {
        let page = aws.ecs.list_revisions(None, token.as_deref()).await?;
        for arn in &page.arns {
            if let Some((family, n)) = crate::aws::revision_of_arn(arn) {
                families.entry(family.into()).or_default().push(n);
            }
        }
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(Some(families)),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_check_first_then_a_deep_check_every_nth_resync() {
        use Depth::*;
        let d = DeepChecks::new(3);
        for key in ["a", "b", "c", "d", "e"] {
            let depths: Vec<Depth> = (0..32).map(|_| d.next(key)).collect();
            assert_eq!(
                depths[0], Full,
                "{key}: the first resync after a start is full"
            );
            let deep: Vec<usize> = (1..32).filter(|i| depths[*i] != Shallow).collect();
            assert!(
                deep[0] <= 3,
                "{key}: a deep check within 3 resyncs: {depths:?}"
            );
            assert!(
                deep.windows(2).all(|w| w[1] - w[0] == 3),
                "{key}: then every 3rd: {depths:?}"
            );
            let full = depths.iter().filter(|d| **d == Full).count();
            assert!(
                (4..=5).contains(&full),
                "{key}: every 9th is full: {depths:?}"
            );
        }
        let phases: std::collections::BTreeSet<u32> = (0..50)
            .map(|i| d.phase(crate::util::hashed(&format!("ns/o{i}"))))
            .collect();
        assert_eq!(phases.len(), 3, "objects are spread over the phases");
        d.reset("a");
        assert_eq!(d.next("a"), Full, "a reset object is checked in full");
        d.next("b");
        assert_ne!(d.next("b"), Full, "objects are counted apart");
    }
}

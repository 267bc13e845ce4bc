//! Client-side token buckets per AWS API category, shared by every reconcile: a request waits
//! for a token instead of being sent and throttled. The defaults are the published ECS
//! limits (and conservative ones where AWS publishes none) at 80 %, so other tools in the
//! account keep headroom. GCRA buckets from `governor`.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::plan::op::AwsOp;
pub use crate::plan::op::Category;

/// One bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub burst: u32,
    pub per_second: f64,
}

impl Bucket {
    /// The least time `n` requests take starting from a full bucket.
    pub fn minimum_time(&self, n: u64) -> Duration {
        let beyond_burst = n.saturating_sub(u64::from(self.burst));
        Duration::from_secs_f64(beyond_burst as f64 / self.per_second)
    }
}

/// The published (or assumed) AWS limit of a category.
pub fn published(category: Category) -> Bucket {
    let (burst, per_second) = match category {
        Category::EcsServiceWrite => (50, 5.0),
        Category::EcsRegisterTaskDefinition => (20, 1.0),
        Category::EcsDescribeServices => (100, 20.0),
        Category::EcsRead => (100, 20.0),
        Category::EcsWrite => (50, 5.0),
        Category::Iam => (20, 10.0),
        Category::AutoScaling => (20, 10.0),
        Category::Logs => (10, 5.0),
        Category::Elb => (20, 10.0),
        // EventBridge Scheduler's quotas are per account and region and adjustable (tens
        // of requests per second); a schedule is written once per spec change, so the
        // conservative IAM-like bucket costs nothing.
        Category::Scheduler => (20, 10.0),
    };
    Bucket { burst, per_second }
}

/// The buckets to enforce.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits(pub BTreeMap<Category, Bucket>);

/// Share of the published limits used by default.
pub const DEFAULT_SHARE: f64 = 0.8;

impl Default for Limits {
    fn default() -> Self {
        Self::share_of_published(DEFAULT_SHARE)
    }
}

impl Limits {
    /// `share` (0–1] of every published limit (at least 1 request of burst and rate).
    pub fn share_of_published(share: f64) -> Self {
        Self(
            Category::ALL
                .into_iter()
                .map(|c| {
                    let p = published(c);
                    let b = Bucket {
                        burst: ((f64::from(p.burst) * share).floor() as u32).max(1),
                        per_second: (p.per_second * share).max(0.01),
                    };
                    (c, b)
                })
                .collect(),
        )
    }

    pub fn bucket(&self, c: Category) -> Bucket {
        self.0.get(&c).copied().unwrap_or_else(|| published(c))
    }
}

/// Overrides in flag syntax: `ecs-service-write=40/4,iam=10/5` (burst/per-second).
impl FromStr for Limits {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut limits = Limits::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected category=burst/per-second"))?;
            let category = Category::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| {
                    let names: Vec<_> = Category::ALL.iter().map(|c| c.name()).collect();
                    format!("{name:?} is not a category; one of {}", names.join(", "))
                })?;
            let (burst, rate) = value
                .split_once('/')
                .ok_or_else(|| format!("{part:?}: expected burst/per-second, e.g. 40/4"))?;
            let burst: u32 = burst
                .parse()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(|| format!("{part:?}: burst must be a positive integer"))?;
            let per_second: f64 = rate
                .parse()
                .ok()
                .filter(|r: &f64| *r > 0.0 && r.is_finite())
                .ok_or_else(|| format!("{part:?}: rate must be a positive number"))?;
            limits.0.insert(category, Bucket { burst, per_second });
        }
        Ok(limits)
    }
}

/// The live buckets, how long requests waited for them, and how many requests of each
/// operation took a token (every SDK request does, so these are the requests sent).
pub struct RateLimits {
    buckets: BTreeMap<Category, DefaultDirectRateLimiter>,
    waited_micros: BTreeMap<Category, AtomicU64>,
    sent: BTreeMap<AwsOp, AtomicU64>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

impl RateLimits {
    pub fn new(limits: &Limits) -> Self {
        let buckets = Category::ALL
            .into_iter()
            .map(|c| {
                let b = limits.bucket(c);
                let period = Duration::from_secs_f64(1.0 / b.per_second);
                let burst = NonZeroU32::new(b.burst).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::with_period(period)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(burst);
                (c, RateLimiter::direct(quota))
            })
            .collect();
        Self {
            buckets,
            waited_micros: Category::ALL
                .into_iter()
                .map(|c| (c, AtomicU64::new(0)))
                .collect(),
            sent: counters(),
        }
    }

    /// No limits at all, for tests of other things.
    #[cfg(any(test, feature = "test-util"))]
    pub fn unlimited() -> Self {
        Self {
            buckets: BTreeMap::new(),
            waited_micros: BTreeMap::new(),
            sent: counters(),
        }
    }

    /// Waits for a token for one request of `op`, and counts it.
    pub async fn acquire(&self, op: AwsOp) {
        if let Some(n) = self.sent.get(&op) {
            n.fetch_add(1, Ordering::Relaxed);
        }
        self.acquire_category(op.category()).await;
    }

    /// The requests that took a token, by operation (those with none left out).
    pub fn sent(&self) -> BTreeMap<AwsOp, u64> {
        self.sent
            .iter()
            .map(|(op, n)| (*op, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Takes a token now if there is one.
    pub fn try_acquire(&self, category: Category) -> bool {
        self.buckets
            .get(&category)
            .is_none_or(|b| b.check().is_ok())
    }

    /// Waits for a token of `category`.
    pub async fn acquire_category(&self, category: Category) {
        let Some(bucket) = self.buckets.get(&category) else {
            return;
        };
        if bucket.check().is_ok() {
            return;
        }
        let started = Instant::now();
        bucket.until_ready().await;
        let waited = started.elapsed();
        tracing::debug!(?category, ?waited, "waited for the rate limit");
        if let Some(w) = self.waited_micros.get(&category) {
            w.fetch_add(waited.as_micros() as u64, Ordering::Relaxed);
        }
    }

    /// Time spent waiting, per category.
    pub fn waited(&self) -> BTreeMap<Category, Duration> {
        self.waited_micros
            .iter()
            .map(|(c, w)| (*c, Duration::from_micros(w.load(Ordering::Relaxed))))
            .collect()
    }
}

fn counters() -> BTreeMap<AwsOp, AtomicU64> {
    AwsOp::ALL
        .iter()
        .map(|op| (*op, AtomicU64::new(0)))
        .collect()
}

/// As a hook on the AWS traits: every call waits for its category's token.
#[async_trait::async_trait]
impl super::instrument::CallHook for RateLimits {
    async fn before(&self, call: super::instrument::Call) -> Result<(), super::AwsError> {
        self.acquire_category(call.op.category()).await;
        Ok(())
    }

    fn after(
        &self,
        _call: super::instrument::Call,
        _error: Option<&super::AwsError>,
    ) -> Option<super::AwsError> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::op::CallKind;

    #[test]
    fn operations_fall_into_the_published_categories() {
        use AwsOp::*;
        assert_eq!(CreateService.category(), Category::EcsServiceWrite);
        assert_eq!(UpdateService.category(), Category::EcsServiceWrite);
        assert_eq!(DeleteService.category(), Category::EcsServiceWrite);
        assert_eq!(
            RegisterTaskDefinition.category(),
            Category::EcsRegisterTaskDefinition
        );
        assert_eq!(DescribeServices.category(), Category::EcsDescribeServices);
        assert_eq!(ListTaskDefinitions.category(), Category::EcsRead);
        assert_eq!(TagResource.category(), Category::EcsWrite);
        assert_eq!(CreateRole.category(), Category::Iam);
        assert_eq!(PutScalingPolicy.category(), Category::AutoScaling);
        assert_eq!(CreateLogGroup.category(), Category::Logs);
        // The rest of ECS: reads are Describe*/List*, writes the others.
        for op in AwsOp::ALL.iter().filter(|o| o.service() == "ecs") {
            let special = [
                CreateService,
                UpdateService,
                DeleteService,
                RegisterTaskDefinition,
                DescribeServices,
            ];
            if !special.contains(op) {
                let want = match op.kind() {
                    CallKind::Read => Category::EcsRead,
                    CallKind::Write => Category::EcsWrite,
                };
                assert_eq!(op.category(), want, "{op:?}");
            }
        }
    }

    #[test]
    fn defaults_leave_headroom_below_the_published_limits() {
        let d = Limits::default();
        for c in Category::ALL {
            let (ours, aws) = (d.bucket(c), published(c));
            assert!(ours.burst < aws.burst || aws.burst == 1, "{c:?}");
            assert!(ours.per_second < aws.per_second, "{c:?}");
        }
        assert_eq!(
            d.bucket(Category::EcsServiceWrite),
            Bucket {
                burst: 40,
                per_second: 4.0
            }
        );
    }

    #[test]
    fn overrides_parse_and_bad_ones_name_the_problem() {
        let l: Limits = "ecs-service-write=10/2, iam=5/0.5".parse().unwrap();
        assert_eq!(
            l.bucket(Category::EcsServiceWrite),
            Bucket {
                burst: 10,
                per_second: 2.0
            }
        );
        assert_eq!(l.bucket(Category::Iam).per_second, 0.5);
        assert_eq!(
            l.bucket(Category::Logs),
            Limits::default().bucket(Category::Logs)
        );
        assert!("ecs=1/1"
            .parse::<Limits>()
            .unwrap_err()
            .contains("not a category"));
        assert!("iam=0/1".parse::<Limits>().unwrap_err().contains("burst"));
        assert!("iam=5"
            .parse::<Limits>()
            .unwrap_err()
            .contains("burst/per-second"));
    }

    #[test]
    fn the_theoretical_minimum_counts_the_burst() {
        let b = Bucket {
            burst: 20,
            per_second: 1.0,
        };
        assert_eq!(b.minimum_time(20), Duration::ZERO);
        assert_eq!(b.minimum_time(1000), Duration::from_secs(980));
    }

    #[tokio::test]
    async fn a_burst_passes_at_once_and_the_rest_queues() {
        // A refill every 100 ms: slow enough that a loaded machine cannot refill the bucket
        // between the third and the fourth call (at 1000/s, 1 ms apart, it once did).
        let limits: Limits = "logs=3/10".parse().unwrap();
        let r = RateLimits::new(&limits);
        for _ in 0..3 {
            r.acquire(AwsOp::CreateLogGroup).await;
        }
        assert_eq!(r.waited()[&Category::Logs], Duration::ZERO);
        // The fourth waits for a refill (up to 100 ms at 10/s) instead of failing.
        r.acquire(AwsOp::CreateLogGroup).await;
        assert!(r.waited()[&Category::Logs] > Duration::ZERO);
        // Other categories are not affected.
        r.acquire(AwsOp::GetRole).await;
        assert_eq!(r.waited()[&Category::Iam], Duration::ZERO);
        assert_eq!(
            r.sent(),
            BTreeMap::from([(AwsOp::CreateLogGroup, 4), (AwsOp::GetRole, 1)])
        );
    }
}

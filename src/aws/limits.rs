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

/// An API category with a bucket of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// ECS CreateService, UpdateService, DeleteService (published: burst 50, 5/s).
    EcsServiceWrite,
    /// ECS RegisterTaskDefinition (published: burst 20, 1/s).
    EcsRegisterTaskDefinition,
    /// ECS DescribeServices (published: burst 100, 20/s; 10 services per call).
    EcsDescribeServices,
    /// Other ECS reads: DescribeClusters, DescribeTaskDefinition, ListTaskDefinitions,
    /// DescribeTasks, ListTasks, ListClusters, ListServices (published: burst 100, 20/s for
    /// most).
    EcsRead,
    /// Other ECS writes: CreateCluster, DeregisterTaskDefinition, TagResource, UntagResource.
    EcsWrite,
    /// IAM (global, no published per-API rate).
    Iam,
    /// Application Auto Scaling.
    AutoScaling,
    /// CloudWatch Logs (most control-plane calls: 5/s).
    Logs,
    /// Elastic Load Balancing reads.
    Elb,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::EcsServiceWrite,
        Category::EcsRegisterTaskDefinition,
        Category::EcsDescribeServices,
        Category::EcsRead,
        Category::EcsWrite,
        Category::Iam,
        Category::AutoScaling,
        Category::Logs,
        Category::Elb,
    ];

    /// The flag/config name, e.g. `ecs-service-write`.
    pub fn name(self) -> &'static str {
        match self {
            Self::EcsServiceWrite => "ecs-service-write",
            Self::EcsRegisterTaskDefinition => "ecs-register-task-definition",
            Self::EcsDescribeServices => "ecs-describe-services",
            Self::EcsRead => "ecs-read",
            Self::EcsWrite => "ecs-write",
            Self::Iam => "iam",
            Self::AutoScaling => "autoscaling",
            Self::Logs => "logs",
            Self::Elb => "elb",
        }
    }

    /// The category of an IAM-style operation name (`ecs:CreateService`).
    pub fn of(operation: &str) -> Category {
        let (service, op) = operation.split_once(':').unwrap_or(("", operation));
        match (service, op) {
            ("ecs", "CreateService" | "UpdateService" | "DeleteService") => Self::EcsServiceWrite,
            ("ecs", "RegisterTaskDefinition") => Self::EcsRegisterTaskDefinition,
            ("ecs", "DescribeServices") => Self::EcsDescribeServices,
            ("ecs", o) if o.starts_with("Describe") || o.starts_with("List") => Self::EcsRead,
            ("ecs", _) => Self::EcsWrite,
            ("iam", _) => Self::Iam,
            ("application-autoscaling", _) => Self::AutoScaling,
            ("logs", _) => Self::Logs,
            _ => Self::Elb,
        }
    }
}

impl Category {
    /// The category of a call through the AWS traits (`Instrumented`), for rate limiting at
    /// the trait level (stand-ins and benchmarks; the SDK adapter limits each request).
    pub fn of_call(call: &super::instrument::Call) -> Category {
        match (call.service, call.operation) {
            ("ecs", "create_service" | "update_service" | "delete_service") => {
                Self::EcsServiceWrite
            }
            ("ecs", "register_task_definition") => Self::EcsRegisterTaskDefinition,
            ("ecs", "describe_services") => Self::EcsDescribeServices,
            ("ecs", _) if call.kind == super::instrument::CallKind::Read => Self::EcsRead,
            ("ecs", _) => Self::EcsWrite,
            ("iam", _) => Self::Iam,
            ("application-autoscaling", _) => Self::AutoScaling,
            ("logs", _) => Self::Logs,
            _ => Self::Elb,
        }
    }
}

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

/// The live buckets, and how long requests waited for them.
pub struct RateLimits {
    buckets: BTreeMap<Category, DefaultDirectRateLimiter>,
    waited_micros: BTreeMap<Category, AtomicU64>,
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
        }
    }

    /// No limits at all, for tests of other things.
    #[cfg(any(test, feature = "test-util"))]
    pub fn unlimited() -> Self {
        Self {
            buckets: BTreeMap::new(),
            waited_micros: BTreeMap::new(),
        }
    }

    /// Waits for a token for `operation` (`ecs:CreateService`).
    pub async fn acquire(&self, operation: &str) {
        self.acquire_category(Category::of(operation)).await;
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

/// As a hook on the AWS traits: every call waits for its category's token.
#[async_trait::async_trait]
impl super::instrument::CallHook for RateLimits {
    async fn before(&self, call: super::instrument::Call) -> Result<(), super::AwsError> {
        self.acquire_category(Category::of_call(&call)).await;
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

    #[test]
    fn operations_fall_into_the_published_categories() {
        assert_eq!(Category::of("ecs:CreateService"), Category::EcsServiceWrite);
        assert_eq!(Category::of("ecs:UpdateService"), Category::EcsServiceWrite);
        assert_eq!(Category::of("ecs:DeleteService"), Category::EcsServiceWrite);
        assert_eq!(
            Category::of("ecs:RegisterTaskDefinition"),
            Category::EcsRegisterTaskDefinition
        );
        assert_eq!(
            Category::of("ecs:DescribeServices"),
            Category::EcsDescribeServices
        );
        assert_eq!(Category::of("ecs:ListTaskDefinitions"), Category::EcsRead);
        assert_eq!(Category::of("ecs:TagResource"), Category::EcsWrite);
        assert_eq!(Category::of("iam:CreateRole"), Category::Iam);
        assert_eq!(
            Category::of("application-autoscaling:PutScalingPolicy"),
            Category::AutoScaling
        );
        assert_eq!(Category::of("logs:CreateLogGroup"), Category::Logs);
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
            r.acquire("logs:CreateLogGroup").await;
        }
        assert_eq!(r.waited()[&Category::Logs], Duration::ZERO);
        // The fourth waits for a refill (up to 100 ms at 10/s) instead of failing.
        r.acquire("logs:CreateLogGroup").await;
        assert!(r.waited()[&Category::Logs] > Duration::ZERO);
        // Other categories are not affected.
        r.acquire("iam:GetRole").await;
        assert_eq!(r.waited()[&Category::Iam], Duration::ZERO);
    }
}

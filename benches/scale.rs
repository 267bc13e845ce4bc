//! Scale benchmark (a bench binary, not a test): N TaskDefinition + FargateService pairs
//! (the web-api example: two managed roles, a log group, a service with CPU autoscaling and
//! two schedules), reconciled through the engine against the in-memory AWS stand-in, with
//! the operator's client-side token buckets in front and a stand-in that *enforces* AWS's
//! published buckets (a call over the limit is refused with ThrottlingException).
//!
//! Both sets of buckets are scaled by `FGO_BENCH_SCALE` (default 100) so that a 1,000-object
//! cold start takes seconds instead of the ~17 minutes RegisterTaskDefinition's 1/s allows;
//! the ratio to the theoretical minimum does not depend on the scale.
//!
//!   cargo bench --bench scale                      # 1,000 objects, writes BENCHMARKS.md's section
//!   FGO_BENCH_OBJECTS=200 cargo bench --bench scale
//!
//! Figures: cold start (time vs the buckets' minimum, throttles, retry exhaustion), then one
//! resync pass over the converged objects (AWS calls per object; writes must be 0), which is
//! also what a restart with a fresh process does.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fargate_operator::api::{FargateService, TaskDefinition};
use fargate_operator::aws::instrument::{Call, CallHook, CallKind};
use fargate_operator::aws::limits::{
    published, Bucket, Category, Limits, RateLimits, DEFAULT_SHARE,
};
use fargate_operator::aws::retry::RetryPolicy;
use fargate_operator::aws::{Aws, AwsError, ErrorKind};
use fargate_operator::controller::backoff::{BackoffSettings, Backoffs, Bounds, RetryClass};
use fargate_operator::controller::observations::{
    listing_budget, shared_for, DeepChecks, RevisionListing, ServiceObservations,
};
use fargate_operator::controller::Settings;
use fargate_operator::engine::{self, Sync};
use fargate_operator::plan::{PlanConfig, TaskDefinitionInfo};
use fargate_operator::testing::SimBackend;
use fargate_operator::testing::{FaultRates, Faults};
use k8s_openapi::jiff::Timestamp;
use support::sim::requests;
use tokio::sync::Semaphore;

/// AWS's side: refuses a call when its published bucket (scaled) is empty.
struct Enforce {
    buckets: RateLimits,
    throttled: AtomicUsize,
}

#[async_trait]
impl CallHook for Enforce {
    async fn before(&self, call: Call) -> Result<(), AwsError> {
        if self.buckets.try_acquire(call.op.category()) {
            return Ok(());
        }
        self.throttled.fetch_add(1, Ordering::Relaxed);
        Err(AwsError::new(
            ErrorKind::Throttled,
            call.op,
            "Rate exceeded",
        ))
    }
    fn after(&self, _call: Call, _error: Option<&AwsError>) -> Option<AwsError> {
        None
    }
}

/// Calls that reached AWS and succeeded, by category and kind.
#[derive(Default)]
struct Counts {
    by_category: std::sync::Mutex<BTreeMap<Category, u64>>,
    reads: AtomicUsize,
    writes: AtomicUsize,
    ecs_reads: AtomicUsize,
}

impl CallHook for Counts {
    fn after(&self, call: Call, error: Option<&AwsError>) -> Option<AwsError> {
        if error.is_some() {
            return None;
        }
        if let Ok(mut m) = self.by_category.lock() {
            *m.entry(call.op.category()).or_default() += 1;
        }
        match call.kind() {
            CallKind::Read => {
                self.reads.fetch_add(1, Ordering::Relaxed);
                if call.service() == "ecs" {
                    self.ecs_reads.fetch_add(1, Ordering::Relaxed);
                }
            }
            CallKind::Write => {
                self.writes.fetch_add(1, Ordering::Relaxed);
            }
        }
        None
    }
}

impl Counts {
    fn reset(&self) {
        if let Ok(mut m) = self.by_category.lock() {
            m.clear();
        }
        self.reads.store(0, Ordering::Relaxed);
        self.writes.store(0, Ordering::Relaxed);
        self.ecs_reads.store(0, Ordering::Relaxed);
    }
    fn snapshot(&self) -> BTreeMap<Category, u64> {
        self.by_category
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }
}

fn scaled(limits: &Limits, scale: f64) -> Limits {
    Limits(
        limits
            .0
            .iter()
            .map(|(c, b)| {
                (
                    *c,
                    Bucket {
                        burst: b.burst,
                        per_second: b.per_second * scale,
                    },
                )
            })
            .collect(),
    )
}

fn published_limits() -> Limits {
    Limits(
        Category::ALL
            .into_iter()
            .map(|c| (c, published(c)))
            .collect(),
    )
}

/// The operator's AWS stack over the stand-in, as in production: the retry layer, then the
/// client-side buckets (every attempt takes a token), then (for the fault run) injected
/// faults; behind them, `served` counts calls AWS answered and `enforce` plays AWS's buckets.
fn stack(
    backend: &SimBackend,
    enforce: Arc<Enforce>,
    served: Arc<Counts>,
    faults: Option<Arc<Faults>>,
    ours: Arc<RateLimits>,
    retry: RetryPolicy,
) -> Aws {
    let mut aws = backend.aws().instrumented(enforce).instrumented(served);
    if let Some(f) = faults {
        aws = aws.instrumented(f);
    }
    aws.instrumented(ours).retried(retry)
}

fn requests_since(
    now: &BTreeMap<&'static str, u64>,
    before: &BTreeMap<&'static str, u64>,
    filter: impl Fn(&str) -> bool,
) -> u64 {
    now.iter()
        .filter(|(op, _)| filter(op))
        .map(|(op, n)| n - before.get(op).copied().unwrap_or(0))
        .sum()
}

/// An ECS API request that reads.
fn ecs_read(op: &str) -> bool {
    op.strip_prefix("ecs:")
        .is_some_and(|o| ["Describe", "List"].iter().any(|p| o.starts_with(p)))
}

/// `n` copies of the web-api example (`app-00000`.., namespace `bench`) over 10 clusters.
fn objects(n: usize) -> Vec<(TaskDefinition, FargateService)> {
    let example = support::examples::web_api_pair();
    (0..n)
        .map(|i| {
            let name = format!("app-{i:05}");
            let cluster = format!("bench-{}", i % 10);
            support::examples::copy(&example, &name, Some("bench"), cluster)
        })
        .collect()
}

/// Reconciles one pair like the controller would: the TaskDefinition until in sync, then
/// the service; failures back off per object (the controller's policy). Returns retries
/// given up (none expected).
async fn converge_pair(
    aws: &Aws,
    config: &PlanConfig,
    backoff: &Backoffs,
    td: &TaskDefinition,
    fs: &FargateService,
    max_attempts: usize,
) -> Result<(), String> {
    let key = td.metadata.name.clone().unwrap_or_default();
    let in_use = Default::default();
    let mut info: Option<TaskDefinitionInfo> = None;
    for _ in 0..max_attempts {
        let (r, i) =
            engine::reconcile_task_definition(aws, config, td, &in_use, 5, Timestamp::now()).await;
        match r.sync {
            Sync::InSync => {
                info = i;
                break;
            }
            Sync::Applying { .. } => continue,
            other => tokio::time::sleep(backoff.next(&key, retry(&other))).await,
        }
    }
    let Some(info) = info else {
        return Err(format!("{key}: TaskDefinition did not converge"));
    };
    backoff.reset(&key);
    for _ in 0..max_attempts {
        let r = engine::reconcile_fargate_service(
            aws,
            config,
            fs,
            Some(&info),
            None,
            5,
            Timestamp::now(),
        )
        .await;
        match r.sync {
            Sync::InSync => return Ok(()),
            Sync::Applying { .. } => continue,
            other => tokio::time::sleep(backoff.next(&key, retry(&other))).await,
        }
    }
    Err(format!("{key}: FargateService did not converge"))
}

fn retry(sync: &Sync) -> RetryClass {
    match sync {
        Sync::Failed { reason, .. } if *reason == fargate_operator::api::reasons::THROTTLED => {
            RetryClass::Transient
        }
        _ => RetryClass::Other,
    }
}

struct Pass {
    wall: Duration,
    failed: Vec<String>,
}

async fn pass(
    aws: &Aws,
    config: &PlanConfig,
    pairs: &Arc<Vec<(TaskDefinition, FargateService)>>,
    concurrency: usize,
    backoff: &Arc<Backoffs>,
) -> Pass {
    let sem = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = vec![];
    for i in 0..pairs.len() {
        let (aws, config, pairs, sem, backoff) = (
            aws.clone(),
            config.clone(),
            pairs.clone(),
            sem.clone(),
            backoff.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.expect("semaphore open");
            let (td, fs) = &pairs[i];
            converge_pair(&aws, &config, &backoff, td, fs, 20).await
        }));
    }
    let mut failed = vec![];
    for t in tasks {
        if let Err(e) = t.await.expect("task joins") {
            failed.push(e);
        }
    }
    Pass {
        wall: started.elapsed(),
        failed,
    }
}

/// The controller's per-object backoff, shortened for the bench.
fn bench_backoff() -> BackoffSettings {
    BackoffSettings {
        transient: Bounds {
            first: Duration::from_millis(10),
            max: Duration::from_secs(2),
        },
        other: Bounds {
            first: Duration::from_millis(100),
            max: Duration::from_secs(5),
        },
    }
}

/// A read request (Describe*, List*, Get*).
fn is_read(op: &str) -> bool {
    op.split_once(':')
        .is_some_and(|(_, o)| ["Describe", "List", "Get"].iter().any(|p| o.starts_with(p)))
}

fn minimum(limits: &Limits, counts: &BTreeMap<Category, u64>) -> (Duration, Category) {
    counts
        .iter()
        .map(|(c, n)| (limits.bucket(*c).minimum_time(*n), *c))
        .max()
        .unwrap_or((Duration::ZERO, Category::EcsRead))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it:
    // then it is a smoke test on 20 objects that writes nothing.
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = match bench {
        true => std::env::var("FGO_BENCH_OBJECTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000),
        false => 20,
    };
    let scale: f64 = std::env::var("FGO_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100.0);
    let concurrency = 64;
    let enforced = scaled(&published_limits(), scale);
    let ours = scaled(&Limits::default(), scale);

    let backend = support::sim::fresh();
    let enforce = Arc::new(Enforce {
        buckets: RateLimits::new(&enforced),
        throttled: AtomicUsize::new(0),
    });
    let counts = Arc::new(Counts::default());
    // Retry delays scaled like the buckets.
    let retry = RetryPolicy {
        first: RetryPolicy::default().first.div_f64(scale),
        max: RetryPolicy::default().max.div_f64(scale),
        ..RetryPolicy::default()
    };
    let aws = stack(
        &backend,
        enforce.clone(),
        counts.clone(),
        None,
        Arc::new(RateLimits::new(&ours)),
        retry,
    );
    let config = PlanConfig::default();
    let pairs = Arc::new(objects(n));
    let backoff = Arc::new(Backoffs::new(bench_backoff()));

    // 1. Cold start.
    let cold = pass(&aws, &config, &pairs, concurrency, &backoff).await;
    let cold_counts = counts.snapshot();
    let (bound_aws, bottleneck) = minimum(&enforced, &cold_counts);
    let (bound_ours, _) = minimum(&ours, &cold_counts);
    let throttled_cold = enforce.throttled.load(Ordering::Relaxed);
    let requests_cold = requests(&backend);
    let requests_cold_total = requests_since(&requests_cold, &BTreeMap::new(), |_| true);

    // 2. Planner throughput for an unchanged object (pure: observation taken once).
    let plans_per_second = planner_throughput(
        &backend,
        &config,
        &pairs[0],
        Duration::from_secs(if bench { 2 } else { 0 }),
    );

    // 3. A resync (or restart) pass over converged objects.
    counts.reset();
    let before = requests(&backend);
    let resync = pass(&aws, &config, &pairs, concurrency, &backoff).await;
    let after = requests(&backend);
    let writes = counts.writes.load(Ordering::Relaxed);
    let resync_reads = requests_since(&after, &before, is_read);
    let resync_ecs_reads = requests_since(&after, &before, ecs_read);
    let resync_counts = counts.snapshot();

    // 4. Steady state: the controller's resync path for settled objects (batched service
    // observations, deep checks every 10th resync, full ones every 100th), over 100 periods
    // after the first (full) resync a start makes. The clock is tokio's, paused and stepped
    // a period at a time, so what the controller shares for a period is shared here too.
    backend.lock().finish_deployments();
    let periods = 100;
    let (steady_before, after, steady_writes) = {
        let (backend, pairs, config, counts) = (
            backend.clone(),
            pairs.clone(),
            config.clone(),
            counts.clone(),
        );
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("runtime");
            rt.block_on(async move {
                // Not rate limited: resyncs are spread over the period (±10 % jitter on 5
                // minutes: ~3/s per 1,000 objects), modelled as one at a time.
                let aws = backend.aws().instrumented(counts.clone());
                let steady = Steady::new(&aws, &config, &pairs).await;
                steady.pass(&aws, &config).await;
                counts.reset();
                let before = requests(&backend);
                for _ in 0..periods {
                    tokio::time::advance(Settings::default().resync).await;
                    steady.pass(&aws, &config).await;
                }
                (
                    before,
                    requests(&backend),
                    counts.writes.load(Ordering::Relaxed),
                )
            })
        })
        .join()
        .expect("steady-state run")
    };
    let before = steady_before;
    let resyncs = (periods * n) as f64;
    let steady_ecs = requests_since(&after, &before, ecs_read) as f64;
    let steady_service_ecs = requests_since(&after, &before, |op| {
        op == "ecs:DescribeServices" || op == "ecs:DescribeClusters" || op == "ecs:ListTasks"
    }) as f64;
    let steady_td_ecs = requests_since(&after, &before, |op| {
        op == "ecs:ListTaskDefinitions" || op == "ecs:DescribeTaskDefinition"
    }) as f64;
    let steady_reads = requests_since(&after, &before, is_read) as f64;

    // 5. Faults: a cold start of a fresh account with 50 % of calls throttled and 5 %
    // failing with a server error, compared with the clean cold start above.
    let faulty = support::sim::fresh();
    let faults = Arc::new(Faults::new(
        FaultRates {
            throttling: 0.5,
            server_errors: 0.05,
            ..Default::default()
        },
        42,
    ));
    let enforce_faulty = Arc::new(Enforce {
        buckets: RateLimits::new(&enforced),
        throttled: AtomicUsize::new(0),
    });
    let aws_faulty = stack(
        &faulty,
        enforce_faulty.clone(),
        Arc::new(Counts::default()),
        Some(faults.clone()),
        Arc::new(RateLimits::new(&ours)),
        retry,
    );
    let fault_backoff = Arc::new(Backoffs::new(bench_backoff()));
    let fault_run = pass(&aws_faulty, &config, &pairs, concurrency, &fault_backoff).await;
    let requests_faulty = requests_since(&requests(&faulty), &BTreeMap::new(), |_| true);
    let attempts_clean = requests_cold_total + throttled_cold as u64;
    let attempts_faulty = requests_faulty
        + faults.injected.total()
        + enforce_faulty.throttled.load(Ordering::Relaxed) as u64;
    let same_account = faulty.lock().inventory() == backend.lock().inventory();

    let mut md = String::new();
    md.push_str(&format!(
        "Run: {n} TaskDefinition + FargateService pairs (examples/web-api.yaml), {concurrency} reconciles in flight, buckets scaled ×{scale}, {} CPUs. \"Requests\" are AWS API requests as the SDK makes them (one operator call can be several: a role is GetRole, two listings and a GetRolePolicy per inline policy).\n\n",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    ));
    md.push_str("| Figure | Value |\n|---|---|\n");
    let mut row = |k: &str, v: String| md.push_str(&format!("| {k} | {v} |\n"));
    row(
        "**1. planner throughput**, unchanged TaskDefinition + FargateService (plan pairs/s, one core)",
        format!("**{plans_per_second:.0}**"),
    );
    row(
        "2. cold start: time to converge",
        format!("{:.2} s", cold.wall.as_secs_f64()),
    );
    row(
        &format!(
            "2. cold start: theoretical minimum at AWS's published buckets ({})",
            bottleneck.name()
        ),
        format!("{:.2} s", bound_aws.as_secs_f64()),
    );
    row(
        &format!(
            "**2. cold start ratio** (time / minimum at AWS's buckets; target ≤ 1.1; ≥ {:.2} by construction at a {:.0} % share)",
            1.0 / DEFAULT_SHARE,
            DEFAULT_SHARE * 100.0
        ),
        format!(
            "**{:.2}**",
            cold.wall.as_secs_f64() / bound_aws.as_secs_f64().max(1e-9)
        ),
    );
    row(
        "**2. cold start ratio to the operator's own buckets** (target ≤ 1.1)",
        format!(
            "**{:.2}**",
            cold.wall.as_secs_f64() / bound_ours.as_secs_f64().max(1e-9)
        ),
    );
    row(
        "2. cold start: AWS requests / calls AWS throttled",
        format!("{requests_cold_total} / {throttled_cold}"),
    );
    row(
        "2. cold start: retry exhaustion (objects not converged)",
        format!("{}", cold.failed.len()),
    );
    row(
        &format!("**3. steady state** (settled objects, {periods} resync periods after the first): writes"),
        format!("**{steady_writes}**"),
    );
    row(
        "**3. steady state**: ECS read requests per object per resync (target ≤ 0.1)",
        format!("**{:.3}**", steady_ecs / (2.0 * resyncs)),
    );
    row(
        "3. steady state: ECS read requests per service per resync, the service's own (DescribeServices, DescribeClusters)",
        format!("{:.3}", steady_service_ecs / resyncs),
    );
    row(
        "3. steady state: ECS read requests per TaskDefinition per resync (ListTaskDefinitions, DescribeTaskDefinition)",
        format!("{:.3}", steady_td_ecs / resyncs),
    );
    row(
        "3. steady state: all AWS read requests per object per resync (ECS, IAM, Logs, Auto Scaling)",
        format!("{:.3}", steady_reads / (2.0 * resyncs)),
    );
    row(
        "**4. restart pass: writes** (target 0)",
        format!("**{writes}**"),
    );
    row(
        "4. restart pass: AWS read requests per object pair (ECS)",
        format!(
            "{:.2} ({:.2})",
            resync_reads as f64 / n as f64,
            resync_ecs_reads as f64 / n as f64
        ),
    );
    row(
        "4. restart pass: time to in-sync",
        format!("{:.2} s", resync.wall.as_secs_f64()),
    );
    row(
        "4. restart pass: objects not converged",
        format!("{}", resync.failed.len()),
    );
    row(
        "faults (50 % throttled, 5 % server errors): objects converged",
        format!("{} / {n}", n - fault_run.failed.len()),
    );
    row(
        "faults: account equals the clean run's (no duplicate service, revision or role)",
        format!("{same_account}"),
    );
    row(
        "**faults: AWS requests served, ratio to the clean run** (target ≤ 1.2)",
        format!(
            "**{:.3}** ({requests_faulty} / {requests_cold_total})",
            requests_faulty as f64 / requests_cold_total.max(1) as f64
        ),
    );
    row(
        "faults: requests sent including refused ones, ratio to the clean run",
        format!(
            "{:.2} ({attempts_faulty} / {attempts_clean}; {} throttled, {} server errors injected)",
            attempts_faulty as f64 / attempts_clean.max(1) as f64,
            faults.injected.throttled.load(Ordering::Relaxed),
            faults.injected.server_errors.load(Ordering::Relaxed),
        ),
    );
    row(
        "faults: time to converge",
        format!("{:.2} s", fault_run.wall.as_secs_f64()),
    );
    md.push_str("\nOperator calls by category (cold start / restart pass):\n\n| Category | Cold start | Restart |\n|---|---|---|\n");
    for c in Category::ALL {
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            c.name(),
            cold_counts.get(&c).copied().unwrap_or(0),
            resync_counts.get(&c).copied().unwrap_or(0)
        ));
    }
    println!("{md}");
    if !cold.failed.is_empty() {
        eprintln!(
            "not converged: {:?}",
            &cold.failed[..cold.failed.len().min(5)]
        );
    }
    if bench {
        support::benchmarks::write_section("scale", &md);
    } else {
        assert!(
            cold.failed.is_empty() && resync.failed.is_empty(),
            "objects did not converge"
        );
        assert_eq!(writes, 0, "a resync of converged objects wrote to AWS");
        assert_eq!(steady_writes, 0, "a steady-state resync wrote to AWS");
        assert!(
            fault_run.failed.is_empty(),
            "objects did not converge under faults"
        );
        assert!(same_account, "the fault run left a different account");
        assert!(plans_per_second > 0.0);
    }
}

/// Reconciles a TaskDefinition that must be (or become) in sync.
async fn reconcile_settled_td(
    aws: &Aws,
    config: &PlanConfig,
    td: &TaskDefinition,
) -> (
    fargate_operator::engine::Reconciled<fargate_operator::api::TaskDefinitionStatus>,
    Option<TaskDefinitionInfo>,
) {
    let (r, info) = engine::reconcile_task_definition(
        aws,
        config,
        td,
        &Default::default(),
        5,
        Timestamp::now(),
    )
    .await;
    assert_eq!(r.sync, Sync::InSync, "{:?}", td.metadata.name);
    (r, info)
}

/// The controller's resync of settled objects, with the same `controller::observations`
/// pieces and settings src/controller/reconcile.rs uses: a TaskDefinition's deep check
/// (every 10th resync) lists its family from the account's shared listing and reads its
/// roles and log groups, its full check (every 100th) reconciles it whole; a service is
/// observed in batches per cluster ahead of its resync, its autoscaling and cluster read on
/// its deep checks.
struct Steady {
    observations: ServiceObservations,
    revisions: RevisionListing,
    deep_checks: DeepChecks,
    /// The TaskDefinitions carry the status their reconcile wrote.
    pairs: Vec<(TaskDefinition, FargateService)>,
    infos: Vec<TaskDefinitionInfo>,
    by_cluster: BTreeMap<String, Vec<String>>,
}

impl Steady {
    async fn new(
        aws: &Aws,
        config: &PlanConfig,
        pairs: &[(TaskDefinition, FargateService)],
    ) -> Arc<Self> {
        use fargate_operator::api::names::service_location;
        let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut settled = vec![];
        let mut infos = vec![];
        for (td, fs) in pairs {
            let (c, s) = service_location(fs);
            by_cluster.entry(c).or_default().push(s);
            let (r, info) = reconcile_settled_td(aws, config, td).await;
            let mut td = td.clone();
            td.status = Some(r.status);
            settled.push((td, fs.clone()));
            infos.push(info.expect("a registered revision"));
        }
        // The controller's defaults.
        let settings = Settings::default();
        Arc::new(Self {
            observations: ServiceObservations::for_settings(&settings),
            revisions: RevisionListing::new(shared_for(settings.resync)),
            deep_checks: DeepChecks::new(settings.deep_check_every),
            infos,
            pairs: settled,
            by_cluster,
        })
    }

    /// One resync of every object, one at a time.
    async fn pass(self: &Arc<Self>, aws: &Aws, config: &PlanConfig) {
        use fargate_operator::api::names::{service_location, task_definition_lookups};
        use fargate_operator::controller::observations::settled_task_definition_done;
        for i in 0..self.pairs.len() {
            let (td, fs) = &self.pairs[i];
            let key = td.metadata.name.clone().unwrap_or_default();
            let family = task_definition_lookups(td).family;
            let budget = || listing_budget(self.pairs.len(), Settings::default().deep_check_every);
            let td_key = format!("TaskDefinition/{key}");
            if !settled_task_definition_done(
                &self.deep_checks,
                &self.revisions,
                aws,
                config,
                (&td_key, td, &family),
                budget,
            )
            .await
            {
                reconcile_settled_td(aws, config, td).await;
                self.revisions.changed(&family).await;
            }
            let (cluster, name) = service_location(fs);
            let siblings = || self.by_cluster[&cluster].clone();
            let deep = self.deep_checks.due(&format!("FargateService/{key}"));
            let first = self
                .observations
                .observe(aws, &cluster, &name, deep, siblings)
                .await
                .ok();
            let r = engine::reconcile_fargate_service(
                aws,
                config,
                fs,
                Some(&self.infos[i]),
                first,
                5,
                Timestamp::now(),
            )
            .await;
            assert_eq!(r.sync, Sync::InSync, "{key}");
        }
    }
}

/// Plans an unchanged pair (TaskDefinition and its service) repeatedly for `for_at_least`
/// (at least once); returns pairs planned per second. Both plans must be empty.
fn planner_throughput(
    backend: &SimBackend,
    config: &PlanConfig,
    (td, fs): &(TaskDefinition, FargateService),
    for_at_least: Duration,
) -> f64 {
    use fargate_operator::api::names::{owner_of, service_location, task_definition_lookups};
    use fargate_operator::plan::service::task_definition_info;
    use fargate_operator::plan::{
        plan_fargate_service, plan_task_definition, ServiceInputs, TaskDefinitionInputs,
    };
    let lookups = task_definition_lookups(td);
    let (td_owner, fs_owner) = (
        owner_of(td, "TaskDefinition"),
        owner_of(fs, "FargateService"),
    );
    let (cluster, service) = service_location(fs);
    let (observed_td, observed_fs, arn) = {
        let sim = backend.lock();
        (
            sim.observe_task_definition(&lookups.family, &lookups.log_groups, &lookups.roles),
            sim.observe_service(&cluster, &service),
            sim.latest_revision(&lookups.family),
        )
    };
    let info = task_definition_info(td, arn);
    let started = Instant::now();
    let mut planned = 0u64;
    loop {
        let a = plan_task_definition(
            TaskDefinitionInputs {
                owner: &td_owner,
                spec: &td.spec,
            },
            &observed_td,
            config,
        )
        .expect("plans");
        let b = plan_fargate_service(
            ServiceInputs {
                owner: &fs_owner,
                spec: &fs.spec,
                restarted_at: None,
                task_definition: Some(&info),
                rolled_back: None,
                pre_deploy: Default::default(),
            },
            &observed_fs,
            config,
        )
        .expect("plans");
        assert!(
            a.is_empty() && b.is_empty(),
            "an unchanged object planned changes"
        );
        planned += 1;
        if started.elapsed() >= for_at_least {
            break;
        }
    }
    planned as f64 / started.elapsed().as_secs_f64()
}

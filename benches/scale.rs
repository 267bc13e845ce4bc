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

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fargate_operator::api::{FargateService, TaskDefinition};
use fargate_operator::aws::instrument::{Call, CallHook, CallKind};
use fargate_operator::aws::limits::{
    published, Bucket, Category, Limits, RateLimits, DEFAULT_SHARE,
};
use fargate_operator::aws::sim::SimBackend;
use fargate_operator::aws::{Aws, AwsError, ErrorKind};
use fargate_operator::controller::backoff::{BackoffSettings, Backoffs, Bounds, RetryClass};
use fargate_operator::controller::observations::{DeepChecks, ServiceObservations};
use fargate_operator::engine::{self, Sync};
use fargate_operator::plan::sim::SimAws;
use fargate_operator::plan::{PlanConfig, TaskDefinitionInfo};
use k8s_openapi::jiff::Timestamp;
use tokio::sync::Semaphore;

/// AWS's side: refuses a call when its published bucket (scaled) is empty.
struct Enforce {
    buckets: RateLimits,
    throttled: AtomicUsize,
}

#[async_trait]
impl CallHook for Enforce {
    async fn before(&self, call: Call) -> Result<(), AwsError> {
        if self.buckets.try_acquire(Category::of_call(&call)) {
            return Ok(());
        }
        self.throttled.fetch_add(1, Ordering::Relaxed);
        Err(AwsError::new(
            ErrorKind::Throttled,
            "stand-in",
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
            *m.entry(Category::of_call(&call)).or_default() += 1;
        }
        match call.kind {
            CallKind::Read => {
                self.reads.fetch_add(1, Ordering::Relaxed);
                if call.service == "ecs" {
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

fn objects(n: usize) -> Vec<(TaskDefinition, FargateService)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/web-api.yaml");
    let m = fargate_operator::manifests::load(&[path]).expect("example loads");
    (0..n)
        .map(|i| {
            let mut td = m.task_definitions[0].clone();
            let mut fs = m.services[0].clone();
            let name = format!("app-{i:05}");
            td.metadata.name = Some(name.clone());
            td.metadata.namespace = Some("bench".into());
            fs.metadata.name = Some(name.clone());
            fs.metadata.namespace = Some("bench".into());
            fs.spec.task_definition_ref.as_mut().expect("ref").name = name;
            fs.spec.cluster.name = format!("bench-{}", i % 10);
            (td, fs)
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

    let backend = SimBackend::new(SimAws::new("123456789012", "us-east-1"));
    let enforce = Arc::new(Enforce {
        buckets: RateLimits::new(&enforced),
        throttled: AtomicUsize::new(0),
    });
    let counts = Arc::new(Counts::default());
    let client = Arc::new(RateLimits::new(&ours));
    let aws = backend
        .aws()
        .instrumented(enforce.clone())
        .instrumented(counts.clone())
        .instrumented(client.clone());
    let config = PlanConfig::default();
    let pairs = Arc::new(objects(n));
    let backoff = Arc::new(Backoffs::new(BackoffSettings {
        transient: Bounds {
            first: Duration::from_millis(10),
            max: Duration::from_secs(2),
        },
        other: Bounds {
            first: Duration::from_millis(100),
            max: Duration::from_secs(5),
        },
    }));

    // 1. Cold start.
    let cold = pass(&aws, &config, &pairs, concurrency, &backoff).await;
    let cold_counts = counts.snapshot();
    let (bound_aws, bottleneck) = minimum(&enforced, &cold_counts);
    let (bound_ours, _) = minimum(&ours, &cold_counts);
    let throttled_cold = enforce.throttled.load(Ordering::Relaxed);
    let calls_cold: u64 = cold_counts.values().sum();

    // 2. Planner throughput for an unchanged object (pure: observation taken once).
    let plans_per_second = planner_throughput(
        &backend,
        &config,
        &pairs[0],
        Duration::from_secs(if bench { 2 } else { 0 }),
    );

    // 3. A resync (or restart) pass over converged objects.
    counts.reset();
    let resync = pass(&aws, &config, &pairs, concurrency, &backoff).await;
    let writes = counts.writes.load(Ordering::Relaxed);
    let reads = counts.reads.load(Ordering::Relaxed);
    let ecs_reads = counts.ecs_reads.load(Ordering::Relaxed);
    let resync_counts = counts.snapshot();

    // 4. Steady state: the controller's resync path for settled objects (batched service
    // observations, deep TaskDefinition checks every 10th resync), over 10 periods.
    backend.lock().finish_deployments();
    let periods = 10;
    let steady = Steady::new(&backend, &pairs);
    counts.reset();
    for _ in 0..periods {
        // Resyncs are spread over the period (±10 % jitter on 5 minutes: ~3/s per 1,000
        // objects), so they rarely overlap: modelled as one at a time. Overlapping resyncs of
        // one cluster would each start their own batch (not shared in flight yet).
        steady.pass(&aws, &config, 1).await;
    }
    let steady_reads = counts.reads.load(Ordering::Relaxed) as f64 / (periods * 2 * n) as f64;
    let steady_ecs_per_service =
        counts.ecs_reads.load(Ordering::Relaxed) as f64 / (periods * n) as f64;
    let steady_writes = counts.writes.load(Ordering::Relaxed);

    let mut md = String::new();
    md.push_str(&format!(
        "Run: {n} TaskDefinition + FargateService pairs (examples/web-api.yaml), {concurrency} reconciles in flight, buckets scaled ×{scale}, {} CPUs.\n\n",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    ));
    md.push_str("| Figure | Value |\n|---|---|\n");
    md.push_str(&format!(
        "| planner throughput, unchanged TaskDefinition + FargateService (plan pairs/s, one core) | {plans_per_second:.0} |\n"
    ));
    md.push_str(&format!(
        "| cold start: time to converge | {:.2} s |\n",
        cold.wall.as_secs_f64()
    ));
    md.push_str(&format!(
        "| cold start: theoretical minimum at AWS's published buckets ({}) | {:.2} s |\n",
        bottleneck.name(),
        bound_aws.as_secs_f64()
    ));
    md.push_str(&format!(
        "| **cold start ratio** (time / minimum at AWS's buckets; target ≤ 1.1 at a {:.0} % share: ≥ {:.2} by construction) | **{:.2}** |\n",
        DEFAULT_SHARE * 100.0,
        1.0 / DEFAULT_SHARE,
        cold.wall.as_secs_f64() / bound_aws.as_secs_f64().max(1e-9)
    ));
    md.push_str(&format!(
        "| cold start ratio to the operator's own buckets | {:.2} |\n",
        cold.wall.as_secs_f64() / bound_ours.as_secs_f64().max(1e-9)
    ));
    md.push_str(&format!(
        "| cold start: AWS calls (successful) | {calls_cold} |\n"
    ));
    md.push_str(&format!(
        "| cold start: calls AWS throttled | {throttled_cold} |\n"
    ));
    md.push_str(&format!(
        "| cold start: retry exhaustion (objects not converged) | {} |\n",
        cold.failed.len()
    ));
    md.push_str(&format!("| resync pass: writes | {writes} |\n"));
    md.push_str(&format!(
        "| resync pass: reads per object pair (all services) | {:.2} |\n",
        reads as f64 / n as f64
    ));
    md.push_str(&format!(
        "| resync pass: ECS reads per object pair | {:.2} |\n",
        ecs_reads as f64 / n as f64
    ));
    md.push_str(&format!(
        "| restart/resync pass: time to in-sync | {:.2} s |\n",
        resync.wall.as_secs_f64()
    ));
    md.push_str(&format!(
        "| resync pass: objects not converged | {} |\n",
        resync.failed.len()
    ));
    md.push_str(&format!(
        "| **steady state** (settled objects, 10 resync periods): writes | **{steady_writes}** |\n"
    ));
    md.push_str(&format!(
        "| **steady state**: AWS reads per object per resync (all services) | **{steady_reads:.2}** |\n"
    ));
    md.push_str(&format!(
        "| **steady state**: ECS reads per service per resync (target ≤ 0.1) | **{steady_ecs_per_service:.2}** |\n"
    ));
    md.push_str("\nCalls by category (cold start / resync pass):\n\n| Category | Cold start | Resync |\n|---|---|---|\n");
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
        write_section(&md);
    } else {
        assert!(
            cold.failed.is_empty() && resync.failed.is_empty(),
            "objects did not converge"
        );
        assert_eq!(writes, 0, "a resync of converged objects wrote to AWS");
        assert_eq!(steady_writes, 0, "a steady-state resync wrote to AWS");
        assert!(plans_per_second > 0.0);
    }
}

/// The controller's resync of settled objects (src/controller/reconcile.rs uses the same
/// `controller::observations` pieces): deep TaskDefinition checks every 10th time, service
/// observations batched per cluster ahead of their resyncs.
struct Steady {
    observations: ServiceObservations,
    deep_checks: DeepChecks,
    pairs: Arc<Vec<(TaskDefinition, FargateService)>>,
    infos: Vec<TaskDefinitionInfo>,
    by_cluster: BTreeMap<String, Vec<String>>,
}

impl Steady {
    fn new(backend: &SimBackend, pairs: &Arc<Vec<(TaskDefinition, FargateService)>>) -> Arc<Self> {
        use fargate_operator::batch::{
            service_location, task_definition_info, task_definition_lookups,
        };
        let sim = backend.lock();
        let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (_, fs) in pairs.iter() {
            let (c, s) = service_location(fs);
            by_cluster.entry(c).or_default().push(s);
        }
        Arc::new(Self {
            observations: ServiceObservations::new(Duration::from_secs(3600)),
            deep_checks: DeepChecks::new(10),
            infos: pairs
                .iter()
                .map(|(td, _)| {
                    task_definition_info(
                        td,
                        sim.latest_revision(&task_definition_lookups(td).family),
                    )
                })
                .collect(),
            pairs: pairs.clone(),
            by_cluster,
        })
    }

    async fn pass(self: &Arc<Self>, aws: &Aws, config: &PlanConfig, concurrency: usize) {
        use fargate_operator::batch::service_location;
        let sem = Arc::new(Semaphore::new(concurrency));
        let mut tasks = vec![];
        for i in 0..self.pairs.len() {
            let (me, aws, config, sem) = (self.clone(), aws.clone(), config.clone(), sem.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await.expect("semaphore open");
                let (td, fs) = &me.pairs[i];
                let key = td.metadata.name.clone().unwrap_or_default();
                if me.deep_checks.due(&key) {
                    let (r, _) = engine::reconcile_task_definition(
                        &aws,
                        &config,
                        td,
                        &Default::default(),
                        5,
                        Timestamp::now(),
                    )
                    .await;
                    assert_eq!(r.sync, Sync::InSync, "{key}");
                }
                let (cluster, name) = service_location(fs);
                let siblings = || me.by_cluster[&cluster].clone();
                let first = me
                    .observations
                    .observe(&aws, &cluster, &name, siblings)
                    .await
                    .ok();
                let r = engine::reconcile_fargate_service(
                    &aws,
                    &config,
                    fs,
                    Some(&me.infos[i]),
                    first,
                    5,
                    Timestamp::now(),
                )
                .await;
                assert_eq!(r.sync, Sync::InSync, "{key}");
            }));
        }
        for t in tasks {
            t.await.expect("steady-state reconcile");
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
    use fargate_operator::batch::{
        owner_of, service_location, task_definition_info, task_definition_lookups,
    };
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

/// Replaces the scale section of BENCHMARKS.md (between its markers).
fn write_section(md: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let (begin, end) = ("<!-- scale:begin -->", "<!-- scale:end -->");
    if let (Some(a), Some(b)) = (text.find(begin), text.find(end)) {
        let updated = format!("{}{begin}\n{md}{}", &text[..a], &text[b..]);
        if let Err(e) = std::fs::write(&path, updated) {
            eprintln!("writing {}: {e}", path.display());
        }
    }
}

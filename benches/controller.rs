//! Controller benchmark (a bench binary, not a test): the *running* controller
//! (`controller::run::run_with`: reflectors, both Controllers, triggers, shutdown) on kube's
//! `tower-test` mock client, with the in-memory AWS stand-in (`testing::backend`) behind it.
//!
//!   cargo bench --bench controller                 # 5,000 + 5,000 objects, 200 edits; writes BENCHMARKS.md's section
//!   FGO_BENCH_PAIRS=1000 FGO_BENCH_EDITS=100 cargo bench --bench controller
//!
//! Without `--bench` (`cargo test --all-targets`) it is a smoke test on 100 pairs and 10
//! edits that asserts every edit produced an UpdateService and the controller stopped cleanly.
//!
//! How it is driven:
//!
//! - Objects: N TaskDefinition + FargateService pairs from examples/web-api.yaml (`app-00000`..,
//!   namespace `bench`, services spread over 10 clusters, as benches/scale.rs), each with a
//!   finalizer, a `kubectl.kubernetes.io/last-applied-configuration` annotation and two
//!   `metadata.managedFields` entries (kubectl's client-side apply of the spec, the operator's
//!   server-side apply of the status), as a real cluster holds them.
//! - Pre-converged: before the controller starts, every pair is reconciled through the engine
//!   (`engine::reconcile_task_definition` / `reconcile_fargate_service`, as benches/scale.rs's
//!   `converge_pair`, with one fixed `now`), deployments are finished, and each object gets the
//!   status the engine reports for it. The API server's side serves objects with those
//!   statuses, so the controller's first reconcile of each finds it settled (a resync: reads,
//!   no AWS write, no status write). The statuses are not held per object: ten templates per
//!   kind (one per cluster) are rendered per object by substituting its name and uid, and the
//!   bench checks, before starting, that every object's rendered status equals the status the
//!   engine reported for it.
//! - The API server's side (the `Script`, on the mock client's request handle) answers the CRD
//!   lookups (both Established), lists (paginated by `limit`/`continue`; pages are generated
//!   from the templates when asked, so the bench never holds 10,000 objects' JSON), watches
//!   (held until an event is due; each event answers the held watch and the watcher watches
//!   again), status patches (the object with the new status is kept and fed back through the
//!   watch as MODIFIED) and Events. Anything else is counted as unexpected and refused.
//!
//! Figures:
//!
//! - Memory: the whole process's VmRSS (and VmHWM for peaks; reset through /proc/self/clear_refs before the
//!   relist, plus a 5 ms sampler) (a) before the controller starts (the stand-in already holds
//!   the converged AWS state, which stays in every later figure), (b) steady: every object
//!   reconciled once (`fargate_operator_reconciles_total` ≥ 2N) and no request or reconcile
//!   for a while, (c) peak during a relist (both watches answered with ERROR 410 Gone; the
//!   watchers list all objects again), (d) once quiet after the relist. Beside RSS, the live
//!   heap (bytes allocated and not freed, from a counting wrapper around the operator's
//!   allocator, jemalloc) tells data from what the allocator keeps; after shutdown, the objects alone
//!   are deserialised as the stores hold them, trimmed and whole, to size the caches.
//! - Latency: one edit at a time (generation + 1, a new image on containers[0], pushed through
//!   the TaskDefinition watch as MODIFIED) on the same running controller; time from pushing
//!   the event to the stand-in seeing UpdateService (a `CallHook`). In between, the controller
//!   registers the revision, patches the TaskDefinition's status, which (fed back through the
//!   watch) wakes the FargateService. The stand-in is not rate limited (no
//!   `aws::limits::RateLimits` in front): at one edit at a time RegisterTaskDefinition's bucket
//!   (1/s, burst 16 at AWS) is not what is measured. `poll` is 600 s so no deployment poll runs
//!   between edits; each edit waits for the previous one's requests to end.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fargate_operator::api::{FargateService, TaskDefinition, FINALIZER};
use fargate_operator::aws::instrument::{Call, CallHook};
use fargate_operator::aws::AwsError;
use fargate_operator::controller::run::run_with;
use fargate_operator::engine::{self, Sync};
use fargate_operator::metrics::Metrics;
use fargate_operator::plan::PlanConfig;
use fargate_operator::testing::SimBackend;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry, Time};
use k8s_openapi::jiff::Timestamp;
use kube::core::DeserializeGuard;
use kube::Resource;
use serde_json::{json, Value};
use support::apiserver::{
    mock_client, query_param, run_config, ApiServer, ClusterSide, Req, Watches,
};
use tokio::sync::{mpsc, oneshot};

const NAMESPACE: &str = "bench";
const GROUP_PATH: &str = "/apis/ecs.fargate.dev/v1alpha1";
const CLUSTERS: usize = 10;

// ---------------------------------------------------------------- memory

/// The operator's allocator (jemalloc, as `src/main.rs` sets it), counting the bytes
/// allocated and not yet freed: live heap, to tell data from what the allocator keeps.
struct Counting;

static LIVE: AtomicU64 = AtomicU64::new(0);
static LIVE_PEAK: AtomicU64 = AtomicU64::new(0);

// SAFETY: delegates every call to `Jemalloc` unchanged; only counts sizes.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        let p = unsafe { tikv_jemallocator::Jemalloc.alloc(layout) };
        if !p.is_null() {
            grew(layout.size() as u64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { tikv_jemallocator::Jemalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size() as u64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout (the caller's contract).
        unsafe { tikv_jemallocator::Jemalloc.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        // SAFETY: the caller upholds `realloc`'s contract, passed on as is.
        let p = unsafe { tikv_jemallocator::Jemalloc.realloc(ptr, layout, new) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
            grew(new as u64);
        }
        p
    }
}

fn grew(by: u64) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    LIVE_PEAK.fetch_max(now, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap in KiB.
fn live_kib() -> u64 {
    LIVE.load(Ordering::Relaxed) / 1024
}

/// A `/proc/self/status` field in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Of the RSS, pages the allocator gave back with MADV_FREE (`LazyFree` in
/// /proc/self/smaps_rollup), in KiB: the kernel takes them back when it needs memory, and a
/// pod's working set does not count them.
fn lazy_free_kib() -> u64 {
    std::fs::read_to_string("/proc/self/smaps_rollup")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("LazyFree:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Samples VmRSS every 5 ms on its own thread; `peak` is the highest since the last reset.
struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start() -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(proc_kib("VmRSS"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            peak,
            stop,
            thread: Some(thread),
        }
    }
    fn reset(&self) {
        self.peak.store(proc_kib("VmRSS"), Ordering::Relaxed);
    }
    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0); false where not permitted.
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

// ---------------------------------------------------------------- objects

fn name(i: usize) -> String {
    format!("app-{i:05}")
}

/// The varying part of object `i`'s uid (the rest is fixed per kind).
fn uid_suffix(i: usize) -> String {
    format!("8000-{i:012}")
}

/// Pair `i` as a user would have applied it (spec and metadata; no status).
fn pair(example: &(TaskDefinition, FargateService), i: usize) -> (TaskDefinition, FargateService) {
    let (mut td, mut fs) = example.clone();
    for (meta, uid) in [
        (
            &mut td.metadata,
            format!("7d000000-0000-4000-{}", uid_suffix(i)),
        ),
        (
            &mut fs.metadata,
            format!("f5000000-0000-4000-{}", uid_suffix(i)),
        ),
    ] {
        meta.name = Some(name(i));
        meta.namespace = Some(NAMESPACE.into());
        meta.uid = Some(uid);
        meta.generation = Some(1);
        meta.resource_version = Some("1000".into());
        meta.creation_timestamp = Some(Time(
            Timestamp::from_second(1_780_000_000).expect("valid time"),
        ));
        meta.finalizers = Some(vec![FINALIZER.into()]);
    }
    fs.spec.task_definition_ref.as_mut().expect("ref").name = name(i);
    fs.spec.cluster.name = format!("bench-{}", i % CLUSTERS);
    (td, fs)
}

/// `managedFields` keys for a JSON value as the API server writes them (`f:` fields,
/// `k:{..}` list entries keyed by name/type, `v:` set members).
fn fields_of(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                out.insert(format!("f:{k}"), fields_of(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = serde_json::Map::new();
            for item in items {
                match item {
                    Value::Object(m) => {
                        let key = ["name", "type"]
                            .iter()
                            .find_map(|k| m.get(*k).map(|v| json!({ *k: v })))
                            .unwrap_or_else(|| json!({"index": out.len()}));
                        let mut inner = fields_of(item);
                        inner["."] = json!({});
                        out.insert(format!("k:{key}"), inner);
                    }
                    other => {
                        out.insert(format!("v:{other}"), json!({}));
                    }
                }
            }
            Value::Object(out)
        }
        _ => json!({}),
    }
}

/// What `kubectl apply` and the operator leave on an object: the last-applied annotation and
/// two managedFields entries.
fn add_apply_history(obj: &mut Value) {
    let applied = json!({
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "metadata": {"annotations": {}, "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"]},
        "spec": obj["spec"],
    });
    obj["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration": format!("{applied}\n"),
    });
    let time = Time(Timestamp::from_second(1_780_000_000).expect("valid time"));
    let entries = [
        ManagedFieldsEntry {
            api_version: obj["apiVersion"].as_str().map(Into::into),
            fields_type: Some("FieldsV1".into()),
            fields_v1: Some(FieldsV1(json!({
                "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}},
                "f:spec": fields_of(&obj["spec"]),
            }))),
            manager: Some("kubectl-client-side-apply".into()),
            operation: Some("Update".into()),
            subresource: None,
            time: Some(time.clone()),
        },
        ManagedFieldsEntry {
            api_version: obj["apiVersion"].as_str().map(Into::into),
            fields_type: Some("FieldsV1".into()),
            fields_v1: Some(FieldsV1(json!({"f:status": fields_of(&obj["status"])}))),
            manager: Some(fargate_operator::api::FIELD_MANAGER.into()),
            operation: Some("Apply".into()),
            subresource: Some("status".into()),
            time: Some(time),
        },
    ];
    obj["metadata"]["managedFields"] = serde_json::to_value(entries).expect("serialises");
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Res {
    Td,
    Fs,
}

impl Res {
    fn plural(self) -> &'static str {
        match self {
            Res::Td => "taskdefinitions",
            Res::Fs => "fargateservices",
        }
    }
    fn list_kind(self) -> &'static str {
        match self {
            Res::Td => "TaskDefinitionList",
            Res::Fs => "FargateServiceList",
        }
    }
    fn of(plural: &str) -> Option<Res> {
        [Res::Td, Res::Fs]
            .into_iter()
            .find(|r| r.plural() == plural)
    }
}

/// Serialised objects with `@NAME@` / `@UID@` / `@HASH@` in place of object `j`'s name, uid
/// suffix and TaskDefinition spec hash (it covers the family name), one per cluster
/// (`j` = 0..10) and kind; plus each TaskDefinition's spec hash (8 bytes an object).
struct Templates {
    td: Vec<String>,
    fs: Vec<String>,
    spec_hashes: Vec<u64>,
}

/// A TaskDefinition status's `specHash` (16 hex digits).
fn spec_hash(td: &Value) -> u64 {
    td["status"]["specHash"]
        .as_str()
        .filter(|h| h.len() == 16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .expect("specHash is 16 hex digits")
}

impl Templates {
    fn template(obj: &Value, j: usize, hash: u64) -> String {
        obj.to_string()
            .replace(&name(j), "@NAME@")
            .replace(&uid_suffix(j), "@UID@")
            .replace(&format!("{hash:016x}"), "@HASH@")
    }

    fn render(&self, res: Res, i: usize) -> String {
        let t = match res {
            Res::Td => &self.td[i % CLUSTERS],
            Res::Fs => &self.fs[i % CLUSTERS],
        };
        t.replace("@NAME@", &name(i))
            .replace("@UID@", &uid_suffix(i))
            .replace("@HASH@", &format!("{:016x}", self.spec_hashes[i]))
    }
}

/// The pairs converged in the stand-in, and the templates serving them with their statuses.
struct Converged {
    templates: Templates,
    /// Objects whose rendered status differs from the engine's (0 expected).
    mismatches: usize,
    took: Duration,
}

async fn converge_all(
    backend: &SimBackend,
    example: &(TaskDefinition, FargateService),
    n: usize,
) -> Converged {
    let started = Instant::now();
    let aws = backend.aws();
    let config = PlanConfig::default();
    let now = Timestamp::now();
    let in_use = Default::default();
    let passes = fargate_operator::engine::DEFAULT_MAX_PASSES;

    // The TaskDefinition until in sync, then once more with its status (the fixpoint the
    // controller's resync reaches); the service until created.
    let settle_td = |td: TaskDefinition| {
        let aws = aws.clone();
        let config = config.clone();
        let in_use = &in_use;
        async move {
            let mut td = td;
            let mut info = None;
            for _ in 0..10 {
                let (r, i) =
                    engine::reconcile_task_definition(&aws, &config, &td, in_use, passes, now)
                        .await;
                let done = r.sync == Sync::InSync && td.status.as_ref() == Some(&r.status);
                td.status = Some(r.status);
                info = i;
                if done {
                    break;
                }
            }
            (td, info.expect("the TaskDefinition converges"))
        }
    };
    for i in 0..n {
        let (td, fs) = pair(example, i);
        let (_, info) = settle_td(td).await;
        let r =
            engine::reconcile_fargate_service(&aws, &config, &fs, Some(&info), None, passes, now)
                .await;
        assert_eq!(r.sync, Sync::InSync, "{}: {:?}", name(i), r.sync);
    }
    backend.lock().finish_deployments();

    // Every object's final status; the first ten become the templates, the rest are compared.
    let mut templates = Templates {
        td: vec![],
        fs: vec![],
        spec_hashes: Vec::with_capacity(n),
    };
    let mut mismatches = 0;
    for i in 0..n {
        let (td, mut fs) = pair(example, i);
        let (td, info) = settle_td(td).await;
        for _ in 0..10 {
            let r = engine::reconcile_fargate_service(
                &aws,
                &config,
                &fs,
                Some(&info),
                None,
                passes,
                now,
            )
            .await;
            let done = r.sync == Sync::InSync && fs.status.as_ref() == Some(&r.status);
            fs.status = Some(r.status);
            if done {
                break;
            }
        }
        let mut td = serde_json::to_value(&td).expect("serialises");
        let mut fs = serde_json::to_value(&fs).expect("serialises");
        add_apply_history(&mut td);
        add_apply_history(&mut fs);
        let hash = spec_hash(&td);
        templates.spec_hashes.push(hash);
        if i < CLUSTERS {
            templates.td.push(Templates::template(&td, i, hash));
            templates.fs.push(Templates::template(&fs, i, hash));
            continue;
        }
        for (res, real) in [(Res::Td, &td), (Res::Fs, &fs)] {
            let rendered: Value =
                serde_json::from_str(&templates.render(res, i)).expect("template is JSON");
            if &rendered != real {
                if mismatches == 0 {
                    eprintln!(
                        "{res:?} {} differs from its template:\n  real     {}\n  rendered {}",
                        name(i),
                        real["status"],
                        rendered["status"]
                    );
                }
                mismatches += 1;
            }
        }
    }
    Converged {
        templates,
        mismatches,
        took: started.elapsed(),
    }
}

// ---------------------------------------------------------------- the API server's side

/// What the bench reads about the scripted side while it runs.
#[derive(Default)]
struct Stats {
    /// Nanoseconds since `epoch` of the last request.
    last_request: AtomicU64,
    requests: AtomicU64,
    list_pages: AtomicU64,
    status_patches: AtomicU64,
    events: AtomicU64,
    unexpected: Mutex<Vec<String>>,
}

impl Stats {
    fn idle_for(&self, epoch: Instant) -> Duration {
        let last = Duration::from_nanos(self.last_request.load(Ordering::Relaxed));
        epoch.elapsed().saturating_sub(last)
    }
}

enum Cmd {
    /// A new generation of TaskDefinition `i` with `image` on containers[0]; answers when the
    /// watch event has been pushed.
    Edit {
        index: usize,
        image: String,
        pushed: oneshot::Sender<Instant>,
    },
    /// Both watches end with ERROR 410 Gone: the watchers re-list.
    Expire,
}

struct Script {
    pairs: usize,
    templates: Arc<Templates>,
    /// Objects changed since the templates (edited, or a status written): the whole object.
    changed: HashMap<(Res, usize), Value>,
    resource_version: u64,
    watches: Watches,
    cluster: ClusterSide,
    stats: Arc<Stats>,
    epoch: Instant,
}

impl Script {
    fn next_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    fn object(&self, res: Res, i: usize) -> Value {
        match self.changed.get(&(res, i)) {
            Some(v) => v.clone(),
            None => serde_json::from_str(&self.templates.render(res, i)).expect("template is JSON"),
        }
    }

    fn modified(&mut self, res: Res, i: usize, mut obj: Value) -> Value {
        obj["metadata"]["resourceVersion"] = json!(self.next_version());
        self.changed.insert((res, i), obj.clone());
        self.watches.deliver(
            res.plural(),
            json!({"type": "MODIFIED", "object": obj.clone()}).to_string(),
        );
        obj
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Edit {
                index,
                image,
                pushed,
            } => {
                let mut td = self.object(Res::Td, index);
                let generation = td["metadata"]["generation"].as_i64().unwrap_or(1);
                td["metadata"]["generation"] = json!(generation + 1);
                td["spec"]["containers"][0]["image"] = json!(image);
                self.modified(Res::Td, index, td);
                let _ = pushed.send(Instant::now());
            }
            Cmd::Expire => {
                for res in [Res::Td, Res::Fs] {
                    let gone = json!({"type": "ERROR", "object": {
                        "apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
                        "message": "too old resource version", "reason": "Expired", "code": 410,
                    }});
                    self.watches.deliver(res.plural(), gone.to_string());
                }
            }
        }
    }

    fn list_page(&mut self, res: Res, query: &str) -> Vec<u8> {
        let limit = query_param(query, "limit")
            .and_then(|l| l.parse::<usize>().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let start: usize = query_param(query, "continue")
            .and_then(|c| c.strip_prefix("from-"))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let end = start.saturating_add(limit).min(self.pairs);
        let cont = if end < self.pairs {
            format!(r#","continue":"from-{end}""#)
        } else {
            String::new()
        };
        let mut out = format!(
            r#"{{"apiVersion":"ecs.fargate.dev/v1alpha1","kind":"{}","metadata":{{"resourceVersion":"{}"{cont}}},"items":["#,
            res.list_kind(),
            self.resource_version
        );
        for i in start..end {
            if i > start {
                out.push(',');
            }
            match self.changed.get(&(res, i)) {
                Some(v) => {
                    let _ = write!(out, "{v}");
                }
                None => out.push_str(&self.templates.render(res, i)),
            }
        }
        out.push_str("]}");
        self.stats.list_pages.fetch_add(1, Ordering::Relaxed);
        out.into_bytes()
    }

    fn answer(&mut self, req: Req) {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(req) = self.cluster.answer(req) {
            self.answer_objects(req);
        }
        self.stats
            .last_request
            .store(self.epoch.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    /// Lists, watches and status patches of both kinds, and Events; anything else refused.
    fn answer_objects(&mut self, req: Req) {
        let objects = req
            .path
            .strip_prefix(GROUP_PATH)
            .map(|p| p.trim_start_matches('/').split('/').collect::<Vec<_>>())
            .unwrap_or_default();
        match (req.method.as_str(), req.path.as_str(), objects.as_slice()) {
            ("GET", _, [plural]) if Res::of(plural).is_some() => {
                let res = Res::of(plural).expect("matched");
                if req.is_watch() {
                    self.watches.hold(res.plural(), req);
                } else {
                    let page = self.list_page(res, &req.query);
                    req.reply_raw(page);
                }
            }
            ("PATCH", _, ["namespaces", NAMESPACE, plural, object, "status"])
                if Res::of(plural).is_some() =>
            {
                let res = Res::of(plural).expect("matched");
                let index = object
                    .strip_prefix("app-")
                    .and_then(|i| i.parse::<usize>().ok())
                    .filter(|i| *i < self.pairs);
                match index {
                    Some(i) => {
                        self.stats.status_patches.fetch_add(1, Ordering::Relaxed);
                        let mut obj = self.object(res, i);
                        obj["status"] = req.body["status"].clone();
                        let obj = self.modified(res, i, obj);
                        req.reply(&obj);
                    }
                    _ => self.refuse(req),
                }
            }
            ("POST" | "PATCH", p, _)
                if p.starts_with(&format!(
                    "/apis/events.k8s.io/v1/namespaces/{NAMESPACE}/events"
                )) =>
            {
                self.stats.events.fetch_add(1, Ordering::Relaxed);
                let body = req.body.clone();
                req.reply(&body);
            }
            _ => self.refuse(req),
        }
    }

    fn refuse(&mut self, req: Req) {
        if let Ok(mut u) = self.stats.unexpected.lock() {
            u.push(format!("{} {}?{}", req.method, req.path, req.query));
        }
        req.fail_with(500, "InternalError", "not scripted");
    }
}

/// Answers the controller's requests and the bench's commands until every client is gone.
async fn serve(
    mut server: ApiServer,
    mut script: Script,
    mut commands: mpsc::UnboundedReceiver<Cmd>,
) {
    loop {
        tokio::select! {
            req = server.next() => match req {
                Some(req) => script.answer(req),
                None => break,
            },
            Some(cmd) = commands.recv() => script.command(cmd),
        }
    }
}

// ---------------------------------------------------------------- AWS side

/// When each successful UpdateService happened.
#[derive(Default)]
struct Updates {
    at: Mutex<Vec<Instant>>,
    notify: tokio::sync::Notify,
}

impl CallHook for Updates {
    fn after(&self, call: Call, error: Option<&AwsError>) -> Option<AwsError> {
        if call.operation() == "update_service" && error.is_none() {
            if let Ok(mut at) = self.at.lock() {
                at.push(Instant::now());
            }
            self.notify.notify_one();
        }
        None
    }
}

impl Updates {
    fn count(&self) -> usize {
        self.at.lock().map(|a| a.len()).unwrap_or_default()
    }
    fn nth(&self, n: usize) -> Option<Instant> {
        self.at.lock().ok().and_then(|a| a.get(n).copied())
    }
}

// ---------------------------------------------------------------- running it

/// A counter family's total in the metrics text (`fargate_operator_reconciles_total`, ...).
fn metric_total(metrics: &Metrics, name: &str) -> u64 {
    let text = metrics.encode().unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum::<f64>() as u64
}

/// Waits until no request came and no reconcile ran for `quiet` (or `max` passed); true if
/// quiet was reached.
async fn settle(
    stats: &Stats,
    metrics: &Metrics,
    epoch: Instant,
    quiet: Duration,
    max: Duration,
) -> bool {
    let started = Instant::now();
    let mut reconciles = metric_total(metrics, "fargate_operator_reconciles_total");
    let mut since = Instant::now();
    while started.elapsed() < max {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = metric_total(metrics, "fargate_operator_reconciles_total");
        if now != reconciles {
            reconciles = now;
            since = Instant::now();
        }
        if since.elapsed() >= quiet && stats.idle_for(epoch) >= quiet {
            return true;
        }
    }
    false
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it.
    let bench = std::env::args().any(|a| a == "--bench");
    let env = |k: &str, default: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (pairs, edits) = if bench {
        (env("FGO_BENCH_PAIRS", 5000), env("FGO_BENCH_EDITS", 200))
    } else {
        (100, 10)
    };
    assert!(pairs >= CLUSTERS, "at least {CLUSTERS} pairs");
    let quiet = if bench {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(500)
    };
    let epoch = Instant::now();
    let sampler = Sampler::start();
    let rss_at_start = proc_kib("VmRSS");

    // The stand-in, converged; the templates serving every object with its status.
    let example = support::examples::web_api_pair();
    let backend = support::sim::fresh();
    let converged = converge_all(&backend, &example, pairs).await;
    println!(
        "converged {pairs} pairs in the stand-in in {:.1} s; status mismatches: {}",
        converged.took.as_secs_f64(),
        converged.mismatches
    );
    let templates = Arc::new(converged.templates);
    let object_bytes = (
        templates.render(Res::Td, pairs - 1).len(),
        templates.render(Res::Fs, pairs - 1).len(),
    );

    let updates = Arc::new(Updates::default());
    let stats = Arc::new(Stats::default());
    let (client, api_server) = mock_client();
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let script = Script {
        pairs,
        templates: templates.clone(),
        changed: HashMap::new(),
        resource_version: 1000,
        watches: Watches::default(),
        cluster: ClusterSide::all(),
        stats: stats.clone(),
        epoch,
    };
    let server = tokio::spawn(serve(api_server.without_timeout(), script, commands_rx));

    // (a) Before the controller starts.
    let rss_before = proc_kib("VmRSS");
    let lazy_before = lazy_free_kib();
    let live_before = live_kib();

    let sim_calls_before = backend.lock().total_calls();
    let metrics = Arc::new(Metrics::new());
    let config = run_config(16);
    let (stop, stopped) = oneshot::channel::<()>();
    let started = Instant::now();
    let running = tokio::spawn(run_with(
        client,
        backend.aws().instrumented(updates.clone()),
        metrics.clone(),
        config,
        async {
            let _ = stopped.await;
        },
    ));

    // (b) Steady: every object reconciled once, then nothing for a while.
    let objects = 2 * pairs as u64;
    let limit = Duration::from_secs(if bench { 600 } else { 60 });
    while metric_total(&metrics, "fargate_operator_reconciles_total") < objects {
        assert!(started.elapsed() < limit, "first reconciles did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first_reconciles = started.elapsed();
    assert!(
        settle(&stats, &metrics, epoch, quiet, limit).await,
        "the controller did not become quiet"
    );
    let steady_reconciles = metric_total(&metrics, "fargate_operator_reconciles_total");
    let steady_patches = stats.status_patches.load(Ordering::Relaxed);
    let steady_pages = stats.list_pages.load(Ordering::Relaxed);
    let aws_writes_start = backend.lock().total_calls() - sim_calls_before;
    let rss_steady = proc_kib("VmRSS");
    let lazy_steady = lazy_free_kib();
    let live_steady = live_kib();
    let live_peak_start = LIVE_PEAK.load(Ordering::Relaxed) / 1024;
    let hwm_start = proc_kib("VmHWM");

    // (c) A relist: both watches expire; the watchers list everything again.
    let hwm_reset = reset_hwm();
    sampler.reset();
    LIVE_PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let relist_started = Instant::now();
    let _ = commands.send(Cmd::Expire);
    let pages_per_kind = pairs.div_ceil(500) as u64;
    while stats.list_pages.load(Ordering::Relaxed) < steady_pages + 2 * pages_per_kind {
        assert!(
            relist_started.elapsed() < limit,
            "the watchers did not re-list"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        settle(&stats, &metrics, epoch, quiet, limit).await,
        "the controller did not become quiet after the relist"
    );
    let relist_pages = stats.list_pages.load(Ordering::Relaxed) - steady_pages;
    let relist_reconciles =
        metric_total(&metrics, "fargate_operator_reconciles_total") - steady_reconciles;
    let relist_peak_sampled = sampler.peak();
    let relist_hwm = proc_kib("VmHWM");
    // (d) After the relist.
    let rss_after = proc_kib("VmRSS");
    let lazy_after = lazy_free_kib();
    let live_relist_peak = LIVE_PEAK.load(Ordering::Relaxed) / 1024;
    let live_after = live_kib();
    // (e) Later: an allocator gives freed pages back after a delay (jemalloc's background
    // threads after ~10 s of decay), not at once.
    let later = if bench {
        Duration::from_secs(20)
    } else {
        Duration::from_millis(100)
    };
    tokio::time::sleep(later).await;
    let (rss_later, lazy_later, live_later) = (proc_kib("VmRSS"), lazy_free_kib(), live_kib());

    // Latency: one edit at a time, spread over the pairs.
    let mut latencies = vec![];
    let mut missed = vec![];
    let mut edited: HashMap<usize, usize> = HashMap::new();
    for k in 0..edits {
        let index = (k * 37) % pairs;
        let before = updates.count();
        let (pushed, pushed_rx) = oneshot::channel();
        let _ = commands.send(Cmd::Edit {
            index,
            image: format!("public.ecr.aws/nginx/nginx:bench-{k}"),
            pushed,
        });
        let t0 = pushed_rx.await.expect("the script pushed the edit");
        let deadline = Instant::now() + Duration::from_secs(30);
        while updates.count() <= before && Instant::now() < deadline {
            let _ = tokio::time::timeout_at(deadline.into(), updates.notify.notified()).await;
        }
        if let Some(at) = updates.nth(before) {
            latencies.push(at.saturating_duration_since(t0));
        }
        // The service now runs the new revision.
        let revision = {
            let n = edited.entry(index).or_insert(1);
            *n += 1;
            *n
        };
        let (cluster, service) =
            fargate_operator::api::names::service_location(&pair(&example, index).1);
        let runs = backend
            .lock()
            .services
            .get(&(cluster, service))
            .map(|s| s.body.task_definition.to_string())
            .unwrap_or_default();
        if !runs.ends_with(&format!(":{revision}")) {
            missed.push(format!("{} runs {runs:?}", name(index)));
        }
        // The rest of the edit (status patches, Events) ends before the next one.
        settle(
            &stats,
            &metrics,
            epoch,
            Duration::from_millis(100),
            Duration::from_secs(10),
        )
        .await;
        backend.lock().finish_deployments();
    }
    let updates_total = updates.count();

    // Shutdown: keep answering until run_with returns and every client is gone.
    let _ = stop.send(());
    let shutdown_started = Instant::now();
    let stopped_cleanly = matches!(
        tokio::time::timeout(Duration::from_secs(30), running).await,
        Ok(Ok(Ok(())))
    );
    let shutdown_took = shutdown_started.elapsed();
    drop(commands);
    let server_done = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .is_ok();
    let unexpected = stats
        .unexpected
        .lock()
        .map(|u| u.clone())
        .unwrap_or_default();
    drop(sampler);

    // What the two stores' objects alone take: every object deserialised as the reflector
    // caches it, with and without what src/controller/run.rs trims before caching.
    let cached = |trim: bool| {
        let before = LIVE.load(Ordering::Relaxed);
        let mut tds = Vec::with_capacity(pairs);
        let mut fss = Vec::with_capacity(pairs);
        for i in 0..pairs {
            let mut td: DeserializeGuard<TaskDefinition> =
                serde_json::from_str(&templates.render(Res::Td, i)).expect("deserialises");
            let mut fs: DeserializeGuard<FargateService> =
                serde_json::from_str(&templates.render(Res::Fs, i)).expect("deserialises");
            if trim {
                for meta in [td.meta_mut(), fs.meta_mut()] {
                    meta.managed_fields = None;
                    if let Some(a) = meta.annotations.as_mut() {
                        a.remove("kubectl.kubernetes.io/last-applied-configuration");
                    }
                }
            }
            tds.push(Arc::new(td));
            fss.push(Arc::new(fs));
        }
        LIVE.load(Ordering::Relaxed).saturating_sub(before) / 1024
    };
    let store_full = cached(false);
    let store_trimmed = cached(true);

    latencies.sort();
    let cpus = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Run: {pairs} TaskDefinitions + {pairs} FargateServices (examples/web-api.yaml, with last-applied annotation and two managedFields entries: {:.1} / {:.1} KiB of JSON each), concurrency 16, {edits} edits, {cpus} CPUs (nproc).\n",
        object_bytes.0 as f64 / 1024.0,
        object_bytes.1 as f64 / 1024.0,
    );
    md.push_str("| Figure | Value |\n|---|---|\n");
    let _ = writeln!(
        md,
        "| **edit → UpdateService latency p50** | **{}** |",
        ms(percentile(&latencies, 50.0))
    );
    let _ = writeln!(
        md,
        "| **edit → UpdateService latency p99** (target ≤ 1 s) | **{}** |",
        ms(percentile(&latencies, 99.0))
    );
    let _ = writeln!(
        md,
        "| edit → UpdateService latency max | {} |",
        ms(latencies.last().copied().unwrap_or_default())
    );
    let _ = writeln!(
        md,
        "| edits without an UpdateService on the new revision | {} |",
        missed.len()
    );
    let hwm_note = if hwm_reset {
        format!("; VmHWM {:.1} MiB", mib(relist_hwm))
    } else {
        String::new()
    };
    let row = |md: &mut String, what: &str, rss: u64, live: u64, lazy: Option<u64>| {
        let (lazy, held) = match lazy {
            Some(l) => (
                format!("{:.1} MiB", mib(l)),
                format!(
                    "+{:.1} MiB",
                    mib((rss - l.min(rss)).saturating_sub(rss_before - lazy_before.min(rss_before)))
                ),
            ),
            None => ("–".into(), "–".into()),
        };
        let _ = writeln!(
            md,
            "| {what} | {:.1} MiB | +{:.1} MiB | {lazy} | {held} | {:.1} MiB | +{:.1} MiB |",
            mib(rss),
            mib(rss.saturating_sub(rss_before)),
            mib(live),
            mib(live.saturating_sub(live_before)),
        );
    };
    let mut mem = String::new();
    mem.push_str("\nMemory (whole process; *live heap* = bytes allocated and not freed, counted by a wrapper around the operator's allocator, jemalloc, as in src/main.rs; *LazyFree* = pages of the RSS the allocator gave back with MADV_FREE, which the kernel reclaims when it needs memory and a pod's working set does not count):\n\n| Point | VmRSS | over (a) | LazyFree | RSS − LazyFree, over (a) | live heap | over (a) |\n|---|---|---|---|---|---|---|\n");
    let _ = writeln!(
        mem,
        "| process start | {:.1} MiB | | | | | |",
        mib(rss_at_start)
    );
    row(
        &mut mem,
        "(a) before the controller starts (stand-in holds the converged AWS state)",
        rss_before,
        live_before,
        Some(lazy_before),
    );
    row(&mut mem, &format!("**(b) steady**: {objects} objects cached, each reconciled once, quiet (target ≤ 64 MiB)"), rss_steady, live_steady, Some(lazy_steady));
    row(
        &mut mem,
        "peak up to (b): initial list and first reconciles (VmHWM; live heap peak)",
        hwm_start,
        live_peak_start,
        None,
    );
    row(
        &mut mem,
        &format!("**(c) peak during the relist** (5 ms VmRSS samples{hwm_note}; live heap peak)"),
        relist_peak_sampled,
        live_relist_peak,
        None,
    );
    row(
        &mut mem,
        "(d) after the relist, quiet",
        rss_after,
        live_after,
        Some(lazy_after),
    );
    row(
        &mut mem,
        &format!("(e) {} s later, still quiet", later.as_secs_f64()),
        rss_later,
        live_later,
        Some(lazy_later),
    );
    let _ = writeln!(
        mem,
        "\nOf (b)'s live heap, the {objects} cached objects themselves (deserialised apart, as the reflector holds them): {:.1} MiB as trimmed before caching (managedFields and last-applied annotation dropped), {:.1} MiB if kept whole.",
        mib(store_trimmed),
        mib(store_full),
    );
    let _ = writeln!(
        md,
        "| time to first reconcile of every object (start → {objects} reconciles) | {:.2} s |",
        first_reconciles.as_secs_f64()
    );
    let _ = writeln!(
        md,
        "| status patches / AWS writes on start (pre-converged objects: 0 expected) | {steady_patches} / {} |",
        aws_writes_start
    );
    let _ = writeln!(
        md,
        "| relist: list pages served (500 objects each) / reconciles it caused | {relist_pages} / {relist_reconciles} |"
    );
    let _ = writeln!(
        md,
        "| shutdown: run_with returned cleanly / took | {} / {:.2} s |",
        if stopped_cleanly { "yes" } else { "no" },
        shutdown_took.as_secs_f64()
    );
    md.push_str(&mem);
    println!("{md}");
    if !missed.is_empty() {
        eprintln!("edits without UpdateService: {missed:?}");
    }
    if !unexpected.is_empty() {
        eprintln!(
            "unexpected requests: {:?}",
            &unexpected[..unexpected.len().min(10)]
        );
    }

    if bench {
        support::benchmarks::write_section("controller", &md);
    } else {
        assert!(missed.is_empty(), "edits without UpdateService: {missed:?}");
        assert_eq!(latencies.len(), edits);
        assert_eq!(updates_total, edits, "one UpdateService per edit");
        assert_eq!(
            converged.mismatches, 0,
            "templates render every object's status"
        );
        assert_eq!(
            steady_patches, 0,
            "pre-converged objects were written on start"
        );
        assert!(relist_pages >= 2 * pages_per_kind);
        assert!(unexpected.is_empty(), "unexpected requests: {unexpected:?}");
        assert!(stopped_cleanly, "run_with did not return Ok after shutdown");
        assert!(server_done, "a client outlived run_with");
    }
}

//! The controller (`fargate-operator run`): kube-rs `Controller`s for TaskDefinition,
//! FargateService and FargateTask sharing one [`Context`]. The kube wiring is kept thin; what a reconcile
//! does is the engine's observe → plan → act → report.
//!
//! - One reflector per kind (and per watched namespace) feeds both controllers: the
//!   TaskDefinition store answers "which revision may a service run", the FargateService
//!   store answers "which revisions are in use" and "which services reference this
//!   TaskDefinition" (so a new revision rolls the services out at once); the FargateTask
//!   store answers "which runs wait for this TaskDefinition".
//! - Objects are read through `DeserializeGuard`, so one malformed object cannot stop a watch.
//! - A controller is woken only by changes that matter to it (see [`trigger_key`]), never by
//!   the status it wrote itself; deploying services are re-read every `poll`, settled ones
//!   every `resync`.

pub mod backoff;
pub mod http;
pub mod observations;
pub mod reconcile;
pub mod run;
pub mod task;
pub mod tenancy;
pub mod tenants;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::core::DeserializeGuard;
use kube::runtime::events::Recorder;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource, ResourceExt};

use crate::api::conditions::{condition_types as ct, is_true};
use crate::api::names::service_location;
use crate::api::{
    FargateService, FargateTask, TaskDefinition, ADOPT_ANNOTATION, FINALIZER,
    RESTARTED_AT_ANNOTATION,
};
use crate::aws::Aws;
use crate::metrics::Metrics;
use crate::plan::service::task_definition_info;
use crate::plan::{PlanConfig, TaskDefinitionInfo};
use crate::util::hashed;
use backoff::{BackoffSettings, Backoffs};

/// A TaskDefinition as read from the API server (or why it could not be read).
pub type GuardedTaskDefinition = DeserializeGuard<TaskDefinition>;
/// A FargateService as read from the API server (or why it could not be read).
pub type GuardedFargateService = DeserializeGuard<FargateService>;
/// A FargateTask as read from the API server (or why it could not be read).
pub type GuardedFargateTask = DeserializeGuard<FargateTask>;

/// How the controller behaves (from flags and environment).
#[derive(Clone, Debug)]
pub struct Settings {
    pub plan: PlanConfig,
    /// Re-read a settled object this often to catch drift.
    pub resync: Duration,
    /// Re-read a deploying service (or a waiting object) this often.
    pub poll: Duration,
    /// Observe → plan → act passes per reconcile.
    pub max_passes: usize,
    pub backoff: BackoffSettings,
    /// A settled TaskDefinition reads AWS, and a settled service its autoscaling and
    /// cluster, on every this-many-th resync (drift there is found within this many periods;
    /// a service's own state is read on every resync). A TaskDefinition's deep check lists
    /// its revisions; every this-many-squared-th resync describes them too (tags edited on a
    /// revision are found then).
    pub deep_check_every: u32,
    /// How one AWS call is retried in place before the reconcile fails.
    pub retry: crate::aws::retry::RetryPolicy,
}

impl Settings {
    /// `resync` unless told otherwise (`--resync`).
    pub const DEFAULT_RESYNC: Duration = Duration::from_secs(300);
    /// `poll` unless told otherwise (`--poll`).
    pub const DEFAULT_POLL: Duration = Duration::from_secs(15);
    /// `deep_check_every` unless told otherwise (`--deep-check-every`).
    pub const DEFAULT_DEEP_CHECK_EVERY: u32 = 10;
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            plan: PlanConfig::default(),
            resync: Self::DEFAULT_RESYNC,
            poll: Self::DEFAULT_POLL,
            max_passes: crate::engine::DEFAULT_MAX_PASSES,
            backoff: BackoffSettings::default(),
            deep_check_every: Self::DEFAULT_DEEP_CHECK_EVERY,
            retry: Default::default(),
        }
    }
}

/// Whether this replica may reconcile.
#[derive(Clone, Debug)]
pub enum Leadership {
    /// Leader election is off: always.
    Always,
    /// While it holds the Lease (the receiver follows the lease manager).
    Lease(tokio::sync::watch::Receiver<bool>),
}

impl Leadership {
    pub fn leading(&self) -> bool {
        match self {
            Self::Always => true,
            Self::Lease(rx) => *rx.borrow(),
        }
    }
}

/// The caches both controllers read.
#[derive(Clone)]
pub struct Stores {
    pub task_definitions: Store<GuardedTaskDefinition>,
    pub services: Store<GuardedFargateService>,
    /// FargateTenants and namespaces.
    pub tenancy: tenancy::TenancyStores,
}

impl Stores {
    /// The two kinds' caches, and no tenants.
    pub fn new(
        task_definitions: Store<GuardedTaskDefinition>,
        services: Store<GuardedFargateService>,
    ) -> Self {
        Self {
            task_definitions,
            services,
            tenancy: tenancy::TenancyStores::empty(),
        }
    }
}

/// What every reconcile shares.
pub struct Context {
    pub client: Client,
    /// The AWS clients of the operator's own account and region, and of each tenant's.
    pub accounts: Arc<crate::aws::accounts::Accounts>,
    pub settings: Settings,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    pub backoff: Backoffs,
    pub stores: Stores,
    pub leadership: Leadership,
    /// Service observations made ahead of their resyncs (batched per cluster).
    pub observations: observations::ServiceObservations,
    /// The account's task-definition revisions, listed for settled TaskDefinitions' deep
    /// checks.
    pub revisions: observations::RevisionListing,
    /// Which settled resyncs read deeply (see `Settings::deep_check_every`).
    pub deep_checks: observations::DeepChecks,
    /// Per TaskDefinition whose cleanup waits for ECS services that run its revisions (by
    /// object key): those services, described again at the next attempt instead of listing
    /// the account's. The entry goes when the cleanup finishes.
    pub cleanup_waits: std::sync::Mutex<
        std::collections::HashMap<String, BTreeSet<crate::engine::observe::ServiceKey>>,
    >,
    /// The clock (injectable so tests are deterministic).
    pub now: fn() -> Timestamp,
}

impl Context {
    pub fn new(
        client: Client,
        aws: Aws,
        settings: Settings,
        metrics: Arc<Metrics>,
        stores: Stores,
        leadership: Leadership,
    ) -> Self {
        let recorder = Recorder::new(client.clone(), reporter());
        Self {
            backoff: Backoffs::new(settings.backoff),
            observations: observations::ServiceObservations::for_settings(&settings),
            revisions: observations::RevisionListing::new(observations::shared_for(
                settings.resync,
            )),
            deep_checks: observations::DeepChecks::new(settings.deep_check_every),
            cleanup_waits: Default::default(),
            client,
            accounts: Arc::new(crate::aws::accounts::Accounts::new(aws, None)),
            settings,
            metrics,
            recorder,
            stores,
            leadership,
            now: Timestamp::now,
        }
    }
}

/// Who the Events say reported them: the controller, and the pod when known.
pub fn reporter() -> kube::runtime::events::Reporter {
    kube::runtime::events::Reporter {
        controller: crate::api::FIELD_MANAGER.into(),
        instance: std::env::var("POD_NAME").ok(),
    }
}

/// What a controller reacts to in its own kind: a new generation (spec), deletion, the
/// finalizer, the adopt / restartedAt annotations, a re-created object. Not status: the
/// controller writes status itself, and re-reading AWS because of its own write would turn
/// every deployment into a polling loop.
pub fn trigger_key<K: Resource>(obj: &K) -> u64 {
    let meta = obj.meta();
    let annotation = |k: &str| meta.annotations.as_ref().and_then(|a| a.get(k)).cloned();
    hashed(&(
        &meta.uid,
        meta.generation,
        meta.deletion_timestamp.is_some(),
        meta.finalizers
            .as_ref()
            .is_some_and(|f| f.iter().any(|x| x == FINALIZER)),
        annotation(ADOPT_ANNOTATION),
        annotation(RESTARTED_AT_ANNOTATION),
    ))
}

/// What a FargateService needs to hear about its TaskDefinition: its generation, deletion,
/// and the revision its status offers (ARN, for which generation, whether in sync).
pub fn task_definition_trigger_key(td: &GuardedTaskDefinition) -> u64 {
    let meta = td.meta();
    let status = td.0.as_ref().ok().and_then(|t| t.status.as_ref());
    hashed(&(
        &meta.uid,
        meta.generation,
        meta.deletion_timestamp.is_some(),
        status.and_then(|s| s.arn.clone()),
        status.and_then(|s| s.observed_generation),
        status.is_some_and(|s| is_true(&s.conditions, ct::SYNCED)),
    ))
}

/// The FargateServices (of the same namespace) that reference `td` by name: the ones to
/// reconcile when it changes.
pub fn services_referencing(
    td: &GuardedTaskDefinition,
    services: &Store<GuardedFargateService>,
) -> Vec<ObjectRef<GuardedFargateService>> {
    let mut out = referencing(td, services, |fs: &FargateService| {
        fs.spec
            .task_definition_ref
            .as_ref()
            .map(|r| r.name.as_str())
    });
    // A preDeploy naming the TaskDefinition waits for its revision too.
    for o in referencing(td, services, |fs: &FargateService| {
        let r = crate::plan::predeploy::pre_deploy_of(&fs.spec)?;
        r.task_definition_ref.as_ref().map(|r| r.name.as_str())
    }) {
        if !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

/// The FargateTasks (of the same namespace) that reference `td` by name: the ones to
/// reconcile when it changes (a run waiting for its revision starts at once).
pub fn tasks_referencing(
    td: &GuardedTaskDefinition,
    tasks: &Store<GuardedFargateTask>,
) -> Vec<ObjectRef<GuardedFargateTask>> {
    referencing(td, tasks, |ft: &FargateTask| {
        ft.spec
            .task_definition_ref
            .as_ref()
            .map(|r| r.name.as_str())
    })
}

/// The objects of `store` in `td`'s namespace whose `name_of` is `td`'s name.
fn referencing<K>(
    td: &GuardedTaskDefinition,
    store: &Store<DeserializeGuard<K>>,
    name_of: fn(&K) -> Option<&str>,
) -> Vec<ObjectRef<DeserializeGuard<K>>>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let namespace = td.namespace();
    let name = td.name_any();
    store
        .state()
        .iter()
        .filter(|o| o.namespace() == namespace)
        .filter(|o| {
            o.0.as_ref()
                .ok()
                .is_some_and(|o| name_of(o) == Some(name.as_str()))
        })
        .map(|o| ObjectRef::from_obj(&**o))
        .collect()
}

/// The revision a FargateTask runs: its `taskDefinitionArn`, or its TaskDefinition's
/// registered revision for that object's current generation (None until there is one).
pub fn revision_for_task(
    ft: &FargateTask,
    task_definitions: &Store<GuardedTaskDefinition>,
) -> Option<String> {
    if let Some(arn) = &ft.spec.task_definition_arn {
        return Some(arn.clone());
    }
    let r = ft.spec.task_definition_ref.as_ref()?;
    let key = ObjectRef::new(&r.name).within(&ft.namespace().unwrap_or_default());
    task_definitions
        .get(&key)
        .and_then(|g| g.0.as_ref().ok().cloned())
        .and_then(|td| current_revision(&td))
}

/// The revision a FargateService may run, from its TaskDefinition's status: only once that
/// status is for the current generation and in sync (the revision is registered). A service
/// that names a task definition by ARN runs that ARN.
pub fn task_definition_for(
    fs: &FargateService,
    task_definitions: &Store<GuardedTaskDefinition>,
) -> Option<TaskDefinitionInfo> {
    let namespace = fs.namespace().unwrap_or_default();
    let mut infos = std::collections::BTreeMap::new();
    let pre_deploy = crate::plan::predeploy::pre_deploy_of(&fs.spec)
        .and_then(|p| p.task_definition_ref.as_ref());
    for r in fs
        .spec
        .task_definition_ref
        .iter()
        .map(|r| &r.name)
        .chain(pre_deploy.map(|r| &r.name))
    {
        let key = ObjectRef::new(r).within(&namespace);
        let current = task_definitions
            .get(&key)
            .and_then(|g| g.0.as_ref().ok().cloned())
            .and_then(|td| current_revision(&td).map(|arn| task_definition_info(&td, Some(arn))));
        if let Some(info) = current {
            infos.insert((namespace.clone(), r.clone()), info);
        }
    }
    crate::plan::service::referenced_task_definition(fs, &infos)
}

/// A TaskDefinition's registered revision for its current generation, if its status says so.
pub fn current_revision(td: &TaskDefinition) -> Option<String> {
    let status = td.status.as_ref()?;
    let current = status.observed_generation == td.metadata.generation
        && is_true(&status.conditions, ct::SYNCED)
        && td.metadata.deletion_timestamp.is_none();
    current.then(|| status.arn.clone()).flatten()
}

/// Revisions of `td` that services (as the cache last saw them) run or deploy, or name by
/// ARN: never deregistered by the history limit. (Conservative, for an apply; a cleanup
/// asks ECS instead, see [`revision_users_in_cache`].)
pub fn revisions_in_use(
    td: &TaskDefinition,
    services: &Store<GuardedFargateService>,
) -> BTreeSet<String> {
    let namespace = td.namespace();
    let name = td.name_any();
    let mut out = BTreeSet::new();
    for fs in services.state() {
        let Ok(fs) = &fs.0 else { continue };
        let by_name = references_by_name(fs, &namespace, &name);
        if let Some(arn) = &fs.spec.task_definition_arn {
            out.insert(arn.clone());
        }
        if !by_name {
            continue;
        }
        if let Some(s) = &fs.status {
            out.extend(s.task_definition_arn.clone());
            out.extend(s.deployments.iter().map(|d| d.task_definition_arn.clone()));
        }
    }
    out
}

/// Whether `fs` names the TaskDefinition `namespace/name` in `spec.taskDefinitionRef`.
fn references_by_name(fs: &FargateService, namespace: &Option<String>, name: &str) -> bool {
    fs.namespace() == *namespace
        && fs
            .spec
            .task_definition_ref
            .as_ref()
            .is_some_and(|r| r.name == name)
}

/// Revisions of `td` that FargateServices of its namespace referencing it by name run or
/// deploy, as their status in the cache last said, with who runs them: what a cleanup knows
/// without asking AWS, a fast path only. An ECS service whose object is gone
/// (`deletionPolicy: Retain`), or that no object names, is found by asking ECS
/// ([`crate::engine::cleanup_task_definition_asking_ecs`]); a `spec.taskDefinitionArn`
/// proves nothing (it may be invalid, or never created), so it is not counted here.
pub fn revision_users_in_cache(
    td: &TaskDefinition,
    services: &Store<GuardedFargateService>,
) -> crate::engine::observe::RevisionUsers {
    let namespace = td.namespace();
    let name = td.name_any();
    let mut out = crate::engine::observe::RevisionUsers::new();
    for fs in services.state() {
        let Ok(fs) = &fs.0 else { continue };
        let by_name = references_by_name(fs, &namespace, &name);
        let Some(s) = fs.status.as_ref().filter(|_| by_name) else {
            continue;
        };
        let who = format!(
            "FargateService {}/{}",
            fs.namespace().unwrap_or_default(),
            fs.name_any()
        );
        let arns = s
            .task_definition_arn
            .iter()
            .chain(s.deployments.iter().map(|d| &d.task_definition_arn));
        for arn in arns {
            out.entry(arn.clone()).or_default().insert(who.clone());
        }
    }
    out
}

/// The object's status is for its current generation, in sync and Ready: a reconcile now is
/// a resync (or the watch re-delivering it).
pub fn settled(
    generation: Option<i64>,
    observed_generation: Option<i64>,
    conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
) -> bool {
    generation.is_some()
        && observed_generation == generation
        && is_true(conditions, ct::READY)
        && is_true(conditions, ct::SYNCED)
}

/// Settled services of `cluster` in the cache (ECS names), to observe with one in a batch:
/// only those reconciled in the operator's own account and region (a tenant's cluster of the
/// same name is another cluster).
pub fn settled_services_of(cluster: &str, stores: &Stores) -> Vec<String> {
    let own = |fs: &FargateService| {
        tenancy::tenant_of(&stores.tenancy, &fs.namespace().unwrap_or_default())
            .is_ok_and(|t| crate::aws::accounts::Scope::of(t.as_ref()).is_own())
    };
    stores
        .services
        .state()
        .iter()
        .filter_map(|g| g.0.as_ref().ok())
        .filter(|fs| service_location(fs).0 == cluster && fs.metadata.deletion_timestamp.is_none())
        .filter(|fs| own(fs))
        .filter(|fs| {
            fs.status.as_ref().is_some_and(|s| {
                settled(fs.metadata.generation, s.observed_generation, &s.conditions)
            })
        })
        .map(|fs| service_location(fs).1)
        .collect()
}

/// The FargateServices (any namespace) that run ECS services `names` in `cluster`.
pub fn services_named(
    cluster: &str,
    names: &[String],
    services: &Store<GuardedFargateService>,
) -> Vec<ObjectRef<GuardedFargateService>> {
    services
        .state()
        .iter()
        .filter(|g| {
            g.0.as_ref().is_ok_and(|fs| {
                let (c, n) = service_location(fs);
                c == cluster && names.contains(&n)
            })
        })
        .map(|g| ObjectRef::from_obj(g.as_ref()))
        .collect()
}

/// `kind/namespace/name`: an object's key for backoff and metrics.
pub fn object_key<K: Resource>(kind: &str, obj: &K) -> String {
    format!(
        "{kind}/{}/{}",
        obj.meta().namespace.as_deref().unwrap_or_default(),
        obj.meta().name.as_deref().unwrap_or_default()
    )
}

/// `base` ± 10 %, so objects created together do not resync together forever.
pub fn jittered(base: Duration) -> Duration {
    base.mul_f64(0.9 + 0.2 * fastrand::f64())
}

/// Passes an object on only when `key` of it differs from the last one seen for the same
/// namespace/name (the first sighting always passes). kube's `predicate_filter` does this for
/// watcher streams (`Result<K, _>`); shared-store subscriptions yield `Arc<K>`, hence this. Memory: one entry per live object;
/// an object's entry goes when it is seen deleting with no finalizers left.
pub struct Changes<K> {
    key: fn(&K) -> u64,
    /// By a hash of namespace and name.
    seen: std::collections::HashMap<u64, u64>,
}

impl<K: Resource> Changes<K> {
    pub fn new(key: fn(&K) -> u64) -> Self {
        Self {
            key,
            seen: std::collections::HashMap::new(),
        }
    }

    /// Whether `obj` changed in a way `key` sees.
    pub fn changed(&mut self, obj: &K) -> bool {
        let meta = obj.meta();
        let id = hashed(&(meta.namespace.as_deref(), meta.name.as_deref()));
        let gone = meta.deletion_timestamp.is_some()
            && meta.finalizers.as_ref().is_none_or(|f| f.is_empty());
        if gone {
            self.seen.remove(&id);
            return true;
        }
        let k = (self.key)(obj);
        self.seen.insert(id, k) != Some(k)
    }

    /// Objects remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

//! One reconcile of one object: finalizer first, then the engine's observe → plan → act →
//! report, then status (server-side apply, only when it changed) and Events. What to do next
//! (requeue, wait for a change, back off) follows from how the engine's run ended.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::FutureExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Patch, PatchParams};
use kube::core::error_boundary::InvalidObject;
use kube::core::object::HasStatus;
use kube::core::DeserializeGuard;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::finalizer::{finalizer, Event as Finalize};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;

use super::backoff::RetryClass;
use super::observations;
use super::tenancy;
use super::{
    jittered, object_key, revision_users_in_cache, revisions_in_use, task_definition_for, Context,
};
use crate::api::conditions::{
    condition_types as ct, is_true, reasons, truncate_message, ObjectStatus,
};
use crate::api::names::{owner_of, service_location, task_definition_lookups};
use crate::api::{FargateService, FargateTask, TaskDefinition, FIELD_MANAGER, FINALIZER};
use crate::engine::report::{unobserved_conditions, ReportInputs};
use crate::engine::{self, Applied, Sync};
use crate::plan::tenant::governed_fargate_service;
use crate::plan::{ChangeKind, PlanError};

pub const TASK_DEFINITION: &str = "TaskDefinition";
pub const FARGATE_SERVICE: &str = "FargateService";
pub const FARGATE_TASK: &str = crate::engine::task::KIND;

/// Event reasons besides the condition reasons.
pub mod event_reasons {
    /// An AWS resource was created (or a revision registered).
    pub const CREATED: &str = "Created";
    /// An AWS resource was changed.
    pub const UPDATED: &str = "Updated";
    /// An AWS resource was deleted (or a revision deregistered).
    pub const DELETED: &str = "Deleted";
    /// The object could not be read as this operator's type.
    pub const INVALID_OBJECT: &str = "InvalidObject";
    /// Cleanup finished; the finalizer is removed.
    pub const CLEANED_UP: &str = "CleanedUp";
}

/// Why a reconcile did not finish. Each variant says how it is retried.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Kubernetes API refused or was unreachable (status, finalizer, lookup).
    #[error("Kubernetes API: {0}")]
    Kube(#[source] kube::Error),
    /// AWS refused or failed, or a resource conflicts; the status says so.
    #[error("{reason}: {message}")]
    NotSynced {
        reason: &'static str,
        message: String,
        class: RetryClass,
    },
    /// Cleanup is waiting for something outside it (a service still runs a revision).
    #[error("{reason}: {message}")]
    CleanupWaiting {
        reason: &'static str,
        message: String,
    },
    #[error(transparent)]
    Finalizer(Box<kube::runtime::finalizer::Error<Error>>),
}

impl Error {
    /// The `reason` label of the errors metric.
    pub fn metric_label(&self) -> String {
        use kube::runtime::finalizer::Error as F;
        match self {
            Self::Kube(_) => "KubeApi".into(),
            Self::NotSynced { reason, .. } | Self::CleanupWaiting { reason, .. } => {
                (*reason).into()
            }
            Self::Finalizer(f) => match &**f {
                F::ApplyFailed(e) | F::CleanupFailed(e) => e.metric_label(),
                F::AddFinalizer(_) | F::RemoveFinalizer(_) => "Finalizer".into(),
                F::UnnamedObject | F::InvalidFinalizer => "InvalidObject".into(),
            },
        }
    }

    /// How soon to retry: `None` means after the fixed poll interval.
    fn retry(&self) -> Option<RetryClass> {
        use kube::runtime::finalizer::Error as F;
        match self {
            Self::Kube(_) => Some(RetryClass::Transient),
            Self::NotSynced { class, .. } => Some(*class),
            Self::CleanupWaiting { .. } => None,
            Self::Finalizer(f) => match &**f {
                F::ApplyFailed(e) | F::CleanupFailed(e) => e.retry(),
                _ => Some(RetryClass::Transient),
            },
        }
    }
}

/// How a failure reason is retried: `None` = not until the object changes (the spec, or
/// the operator's configuration, must change first).
pub fn retry_class(reason: &str) -> Option<RetryClass> {
    match reason {
        // A FargateTenant's change also wakes the object (every object is reconciled then).
        reasons::INVALID_SPEC | reasons::POLICY_NOT_ALLOWED | reasons::NOT_ALLOWED => None,
        reasons::THROTTLED | reasons::AWS_UNAVAILABLE => Some(RetryClass::Transient),
        _ => Some(RetryClass::Other),
    }
}

/// The controllers' error policy: per-object exponential backoff with jitter.
pub fn error_policy<K: Resource<DynamicType = ()>>(
    obj: Arc<DeserializeGuard<K>>,
    error: &Error,
    ctx: Arc<Context>,
) -> Action {
    let kind = static_kind::<K>();
    ctx.metrics.failed(kind, &error.metric_label());
    let key = object_key(kind, &*obj);
    let delay = match error.retry() {
        Some(class) => ctx.backoff.next(&key, class),
        None => jittered(ctx.settings.poll),
    };
    tracing::warn!(object = %key, error = %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// The kind as a `'static` label (only the three kinds are reconciled).
fn static_kind<K: Resource<DynamicType = ()>>() -> &'static str {
    match K::kind(&()).as_ref() {
        FARGATE_SERVICE => FARGATE_SERVICE,
        FARGATE_TASK => FARGATE_TASK,
        _ => TASK_DEFINITION,
    }
}

/// Reconciles a TaskDefinition.
pub fn reconcile_task_definition(
    obj: Arc<DeserializeGuard<TaskDefinition>>,
    ctx: Arc<Context>,
) -> BoxFuture<'static, Result<Action, Error>> {
    reconcile(obj, ctx, |event, ctx| match event {
        Finalize::Apply(o) => async move { apply_task_definition(&o, ctx).await }.boxed(),
        Finalize::Cleanup(o) => async move { cleanup_task_definition(&o, ctx).await }.boxed(),
    })
}

/// Reconciles a FargateService.
pub fn reconcile_fargate_service(
    obj: Arc<DeserializeGuard<FargateService>>,
    ctx: Arc<Context>,
) -> BoxFuture<'static, Result<Action, Error>> {
    reconcile(obj, ctx, |event, ctx| match event {
        Finalize::Apply(o) => async move { apply_fargate_service(&o, ctx).await }.boxed(),
        Finalize::Cleanup(o) => async move { cleanup_fargate_service(&o, ctx).await }.boxed(),
    })
}

/// Reconciles a FargateTask.
pub fn reconcile_fargate_task(
    obj: Arc<DeserializeGuard<FargateTask>>,
    ctx: Arc<Context>,
) -> BoxFuture<'static, Result<Action, Error>> {
    reconcile(obj, ctx, |event, ctx| match event {
        Finalize::Apply(o) => async move { super::task::apply_fargate_task(&o, ctx).await }.boxed(),
        Finalize::Cleanup(o) => {
            async move { super::task::cleanup_fargate_task(&o, ctx).await }.boxed()
        }
    })
}

/// A kind's steps: apply or clean up the object the finalizer hands over.
type Handler<K> = for<'a> fn(Finalize<K>, &'a Context) -> BoxFuture<'a, Result<Action, Error>>;

/// One reconcile of either kind: an object that cannot be read gets a Warning Event;
/// otherwise `handle` applies or cleans it up, [`guarded`], in a span naming the object.
/// (Boxed: the controller needs a `Send` future; `handle` boxes the kind's own steps.)
fn reconcile<K>(
    obj: Arc<DeserializeGuard<K>>,
    ctx: Arc<Context>,
    handle: Handler<K>,
) -> BoxFuture<'static, Result<Action, Error>>
where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + Debug
        + Send
        + std::marker::Sync
        + 'static,
{
    async move {
        let obj = match &obj.0 {
            Ok(o) => Arc::new(o.clone()),
            Err(bad) => return invalid_object::<K>(bad, &ctx).await,
        };
        let kind = static_kind::<K>();
        let span = tracing::info_span!(
            "reconcile",
            kind,
            namespace = %obj.namespace().unwrap_or_default(),
            name = %obj.name_any(),
            generation = obj.meta().generation.unwrap_or_default(),
        );
        guarded(kind, obj, &ctx, |event| handle(event, &ctx))
            .instrument(span)
            .await
    }
    .boxed()
}

/// Leader check, finalizer, timing and backoff reset around one reconcile.
async fn guarded<K, F, Fut>(
    kind: &'static str,
    obj: Arc<K>,
    ctx: &Context,
    body: F,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + Debug,
    F: FnOnce(Finalize<K>) -> Fut,
    Fut: std::future::Future<Output = Result<Action, Error>>,
{
    if !ctx.leadership.leading() {
        // A follower keeps its caches warm and writes nothing; it reconciles everything
        // when it becomes the leader.
        ctx.metrics.skipped_not_leader(kind);
        return Ok(Action::await_change());
    }
    let started = Instant::now();
    let key = object_key(kind, &*obj);
    let api: Api<K> = Api::namespaced(
        ctx.client.clone(),
        obj.meta().namespace.as_deref().unwrap_or("default"),
    );
    let result = finalizer(&api, FINALIZER, obj, body)
        .await
        .map_err(|e| Error::Finalizer(Box::new(e)));
    ctx.metrics.reconciled(kind, started.elapsed());
    if result.is_ok() {
        ctx.backoff.reset(&key);
    }
    result
}

/// What the generic steps below (refusal, status reports, cleanups) need of a kind: a
/// namespaced object whose status the operator writes.
pub(super) trait Reported:
    Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
    + HasStatus<Status: ObjectStatus>
    + Clone
    + DeserializeOwned
    + Debug
    + 'static
{
}

impl<K> Reported for K where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
        + HasStatus<Status: ObjectStatus>
        + Clone
        + DeserializeOwned
        + Debug
        + 'static
{
}

/// An object refused before AWS is asked anything (its tenant cannot be decided or used):
/// its conditions and a Warning Event say why.
pub(super) async fn refuse<K>(
    ctx: &Context,
    kind: &'static str,
    obj: &K,
    e: PlanError,
) -> Result<Action, Error>
where
    K: Reported,
{
    let r = engine::refusal(obj, kind, e, (ctx.now)());
    reported(ctx, kind, obj, &r).await?;
    next_action(ctx, &r.sync, false)
}

async fn apply_task_definition(td: &TaskDefinition, ctx: &Context) -> Result<Action, Error> {
    let governed = match tenancy::govern(ctx, &td.namespace().unwrap_or_default()).await {
        Ok(g) => g,
        Err(e) => return refuse(ctx, TASK_DEFINITION, td, e).await,
    };
    let key = object_key(TASK_DEFINITION, td);
    let is_settled = td.status.as_ref().is_some_and(|s| {
        super::settled(td.metadata.generation, s.observed_generation, &s.conditions)
    });
    let family = task_definition_lookups(td).family;
    // The shared revision listing is the operator's own account's: a tenant's objects in
    // another account or region are reconciled in full on every resync.
    if !is_settled || !governed.scope.is_own() {
        ctx.deep_checks.reset(&key);
    } else {
        let budget = || {
            observations::listing_budget(
                ctx.stores.task_definitions.len(),
                ctx.settings.deep_check_every,
            )
        };
        let done = observations::settled_task_definition_done(
            &ctx.deep_checks,
            &ctx.revisions,
            &governed.aws,
            &governed.config,
            (&key, td, &family),
            budget,
        )
        .await;
        if done {
            return Ok(Action::requeue(jittered(ctx.settings.resync)));
        }
    }
    let in_use = revisions_in_use(td, &ctx.stores.services);
    let (r, _) = engine::reconcile_task_definition(
        &governed.aws,
        &governed.config,
        td,
        &in_use,
        ctx.settings.max_passes,
        (ctx.now)(),
    )
    .await;
    // What this reconcile found or changed may differ from the shared listing (made before
    // it, or during it).
    ctx.revisions.changed(&family).await;
    reported(ctx, TASK_DEFINITION, td, &r).await?;
    next_action(ctx, &r.sync, false)
}

async fn apply_fargate_service(fs: &FargateService, ctx: &Context) -> Result<Action, Error> {
    let governed = match tenancy::govern(ctx, &fs.namespace().unwrap_or_default()).await {
        Ok(g) => g,
        Err(e) => return refuse(ctx, FARGATE_SERVICE, fs, e).await,
    };
    let td = task_definition_for(fs, &ctx.stores.task_definitions);
    let is_settled = fs.status.as_ref().is_some_and(|s| {
        super::settled(fs.metadata.generation, s.observed_generation, &s.conditions)
    });
    // A settled service's resync shares its DescribeServices with its cluster's others and
    // reads its autoscaling on deep checks only.
    let key = object_key(FARGATE_SERVICE, fs);
    let (cluster, name) = service_location(&governed_fargate_service(fs, &governed.config));
    // Batches are the operator's own account's (see `settled_services_of`).
    let first = if is_settled && governed.scope.is_own() {
        let deep = ctx.deep_checks.due(&key);
        let siblings = || super::settled_services_of(&cluster, &ctx.stores);
        ctx.observations
            .observe(&governed.aws, &cluster, &name, deep, siblings)
            .await
            .ok()
    } else {
        ctx.deep_checks.reset(&key);
        ctx.observations.forget(&cluster, &name);
        None
    };
    let r = engine::reconcile_fargate_service(
        &governed.aws,
        &governed.config,
        fs,
        td.as_ref(),
        first,
        ctx.settings.max_passes,
        (ctx.now)(),
    )
    .await;
    if !r.applied.is_empty() || r.sync != Sync::InSync {
        // What was kept about the service is out of date now, or may be what needs a
        // change (a change that failed is planned again from a fresh reading).
        ctx.observations.forget(&cluster, &name);
    }
    let cluster_changed =
        |a: &engine::act::Applied| matches!(a.action, "CreateCluster" | "UpdateClusterSettings");
    if r.applied.iter().any(cluster_changed) {
        ctx.observations.forget_cluster(&cluster);
    }
    reported(ctx, FARGATE_SERVICE, fs, &r).await?;
    pre_deploy_events(ctx, fs, r.status.pre_deploy.as_ref()).await;
    // A deployment in progress is followed closely; a settled service is resynced.
    let deploying = is_true(&r.status.conditions, ct::PROGRESSING);
    next_action(ctx, &r.sync, deploying)
}

/// The Events of a FargateService's preDeploy run: a Warning per failed attempt and for the
/// failed run (PreDeployFailed, naming the exit code), a Normal one when it succeeded.
async fn pre_deploy_events(
    ctx: &Context,
    fs: &FargateService,
    now: Option<&crate::api::predeploy::PreDeployStatus>,
) {
    use super::task::{run_events, RunReasons};
    let Some(now) = now else { return };
    fn record(p: &crate::api::predeploy::PreDeployStatus) -> super::task::RunRecord<'_> {
        super::task::RunRecord {
            attempts: &p.attempts,
            phase: Some(p.phase),
            failure: p.failure.as_deref(),
        }
    }
    let before = fs
        .status
        .as_ref()
        .and_then(|s| s.pre_deploy.as_ref())
        .filter(|p| {
            p.target_task_definition_arn == now.target_task_definition_arn
                && p.generation == now.generation
        });
    let labels = RunReasons {
        failed: crate::api::reasons::PRE_DEPLOY_FAILED,
        succeeded: crate::api::reasons::PRE_DEPLOY_SUCCEEDED,
        what: "the preDeploy task",
        attempt: "preDeploy attempt",
    };
    run_events(ctx, fs, before.map(record), record(now), labels).await;
}

async fn cleanup_task_definition(td: &TaskDefinition, ctx: &Context) -> Result<Action, Error> {
    let key = object_key(TASK_DEFINITION, td);
    ctx.deep_checks.reset(&key);
    // What the cache knows is a fast path; ECS says which services run the revisions
    // (read only now, during deletion, never on a resync).
    let known = revision_users_in_cache(td, &ctx.stores.services);
    let recheck = lock(&ctx.cleanup_waits)
        .get(&key)
        .cloned()
        .unwrap_or_default();
    let arn = td.status.as_ref().and_then(|s| s.arn.as_deref());
    clean_up_governed(ctx, TASK_DEFINITION, td, arn, async |governed| {
        let (c, running) = engine::cleanup_task_definition_asking_ecs(
            &governed.aws,
            td,
            &known,
            &recheck,
            ctx.settings.max_passes,
        )
        .await;
        let mut waits = lock(&ctx.cleanup_waits);
        match &c.sync {
            // A failed attempt may not have read ECS: keep what the last one found.
            Sync::Failed { .. } if running.is_empty() => {}
            _ if running.is_empty() || c.sync == Sync::InSync => {
                waits.remove(&key);
            }
            _ => {
                waits.insert(key, running);
            }
        }
        c
    })
    .await
}

async fn cleanup_fargate_service(fs: &FargateService, ctx: &Context) -> Result<Action, Error> {
    // Where it lives: its service, or (a preDeploy before the first create) its cluster or
    // the revision its preDeploy runs.
    let arn = fs.status.as_ref().and_then(|s| {
        let pre_deploy = s.pre_deploy.as_ref();
        let revision = pre_deploy.map(|p| p.target_task_definition_arn.as_str());
        s.service_arn
            .as_deref()
            .or(s.cluster_arn.as_deref())
            .or(revision)
    });
    clean_up_governed(ctx, FARGATE_SERVICE, fs, arn, async |governed| {
        let fs = &*governed_fargate_service(fs, &governed.config);
        let (cluster, name) = service_location(fs);
        ctx.observations.forget(&cluster, &name);
        ctx.deep_checks.reset(&object_key(FARGATE_SERVICE, fs));
        engine::cleanup_fargate_service(&governed.aws, fs, ctx.settings.max_passes).await
    })
    .await
}

/// Cleans `obj` up with `clean`, given what the cleanup runs with (its namespace's tenant:
/// clients and policy), and reports the outcome; when that cannot be had, reports why
/// instead (see [`governed_for_cleanup`]) and cleans nothing.
pub(super) async fn clean_up_governed<K>(
    ctx: &Context,
    kind: &'static str,
    obj: &K,
    arn: Option<&str>,
    clean: impl AsyncFnOnce(tenancy::Governed) -> engine::Cleanup,
) -> Result<Action, Error>
where
    K: Reported,
{
    let c = match governed_for_cleanup(ctx, obj, arn).await {
        Ok(governed) => clean(governed).await,
        Err(c) => c,
    };
    cleaned_up(ctx, kind, obj, c).await
}

/// What a cleanup runs with, or the unfinished cleanup that says why it cannot run: the
/// namespace's tenant cannot be used, or the resources the status names (`arn`) live in
/// another account or region than the tenant now points to.
async fn governed_for_cleanup<K: Resource>(
    ctx: &Context,
    obj: &K,
    arn: Option<&str>,
) -> Result<tenancy::Governed, engine::Cleanup> {
    let failed = |reason: &'static str, message: String| engine::Cleanup {
        sync: Sync::Failed { reason, message },
        applied: vec![],
        notes: vec![],
    };
    let governed = tenancy::govern(ctx, &obj.namespace().unwrap_or_default())
        .await
        .map_err(|e| failed(e.reason(), e.to_string()))?;
    match tenancy::elsewhere(arn, &governed) {
        Some(message) => Err(failed(reasons::TENANT_UNAVAILABLE, message)),
        None => Ok(governed),
    }
}

fn cleanup_conditions<K: Resource + 'static>(
    ctx: &Context,
    obj: &K,
    sync: &Sync,
    previous: &[Condition],
) -> Vec<Condition> {
    let owner = owner_of(obj, "");
    let sync = match sync {
        Sync::Applying { pending } => Sync::Waiting {
            reason: reasons::DELETING,
            message: format!("deleting: {pending} AWS change(s) left"),
        },
        other => other.clone(),
    };
    unobserved_conditions(
        &ReportInputs {
            owner: &owner,
            sync: &sync,
            notes: &[],
            now: (ctx.now)(),
        },
        previous,
    )
}

/// After a reconcile: the status written (when it changed), its conditions in the metrics,
/// an Event per AWS change and one for a failure.
pub(super) async fn reported<K>(
    ctx: &Context,
    kind: &'static str,
    obj: &K,
    r: &engine::Reconciled<K::Status>,
) -> Result<(), Error>
where
    K: Reported,
{
    let api = namespaced::<K>(ctx, obj);
    write_status(ctx, &api, obj, &r.status, obj.status()).await?;
    ctx.metrics
        .report_conditions(kind, &object_key(kind, obj), r.status.conditions());
    publish(ctx, obj, &r.applied, &r.sync).await;
    Ok(())
}

/// After a cleanup: its Events, and on an object whose cleanup is not finished, conditions
/// that say why. `Ok` lets the finalizer go; anything else keeps it and retries.
pub(super) async fn cleaned_up<K>(
    ctx: &Context,
    kind: &'static str,
    obj: &K,
    c: engine::Cleanup,
) -> Result<Action, Error>
where
    K: Reported,
{
    publish(ctx, obj, &c.applied, &c.sync).await;
    if c.sync != Sync::InSync {
        let mut status = obj.status().cloned().unwrap_or_default();
        *status.conditions_mut() = cleanup_conditions(ctx, obj, &c.sync, status.conditions());
        let api = namespaced::<K>(ctx, obj);
        write_status(ctx, &api, obj, &status, obj.status()).await?;
    }
    match c.sync {
        Sync::InSync => {
            let note = if c.notes.is_empty() {
                "nothing of this object's is left in AWS".to_owned()
            } else {
                c.notes.join("; ")
            };
            emit(
                ctx,
                obj,
                EventType::Normal,
                event_reasons::CLEANED_UP,
                "Cleanup",
                note,
            )
            .await;
            ctx.metrics.forget(kind, &object_key(kind, obj));
            Ok(Action::await_change())
        }
        Sync::Waiting { reason, message } => Err(Error::CleanupWaiting { reason, message }),
        Sync::Applying { pending } => Err(Error::CleanupWaiting {
            reason: reasons::DELETING,
            message: format!("{pending} AWS change(s) left"),
        }),
        Sync::Failed { reason, message } => Err(Error::NotSynced {
            reason,
            message,
            class: retry_class(reason).unwrap_or(RetryClass::Other),
        }),
    }
}

/// What to do after an apply that ended with `sync`.
pub(super) fn next_action(ctx: &Context, sync: &Sync, deploying: bool) -> Result<Action, Error> {
    match sync {
        Sync::InSync if deploying => Ok(Action::requeue(ctx.settings.poll)),
        Sync::InSync => Ok(Action::requeue(jittered(ctx.settings.resync))),
        // The pass limit ran out with changes left: carry on shortly.
        Sync::Applying { .. } => Ok(Action::requeue(Duration::from_secs(1))),
        // Waiting for a TaskDefinition: its change wakes this object; poll as a fallback.
        Sync::Waiting { .. } => Ok(Action::requeue(jittered(ctx.settings.poll))),
        Sync::Failed { reason, message } => match retry_class(reason) {
            None => Ok(Action::await_change()),
            Some(class) => Err(Error::NotSynced {
                reason,
                message: message.clone(),
                class,
            }),
        },
    }
}

fn namespaced<K>(ctx: &Context, obj: &K) -> Api<K>
where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>,
{
    Api::namespaced(
        ctx.client.clone(),
        obj.meta().namespace.as_deref().unwrap_or("default"),
    )
}

/// Writes `status` with server-side apply on the status subresource (one field manager),
/// unless it equals what the object already shows.
async fn write_status<K, S>(
    ctx: &Context,
    api: &Api<K>,
    obj: &K,
    status: &S,
    current: Option<&S>,
) -> Result<bool, Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: Serialize + PartialEq,
{
    if current == Some(status) {
        return Ok(false);
    }
    let body = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    api.patch_status(
        &obj.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&body),
    )
    .await
    .map_err(Error::Kube)?;
    ctx.metrics.status_written(static_kind::<K>());
    Ok(true)
}

/// Events for a reconcile: Normal for each AWS change, Warning for a failure.
async fn publish<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    applied: &[Applied],
    sync: &Sync,
) {
    for a in applied {
        let reason = match a.kind {
            ChangeKind::Create => event_reasons::CREATED,
            ChangeKind::Update => event_reasons::UPDATED,
            ChangeKind::Delete => event_reasons::DELETED,
        };
        // The Events API folds repeats of one (type, reason, action) into a series that
        // keeps the first note, so each distinct change gets its own action: the AWS
        // action's name and what it acted on (at most 128 characters).
        let action = short(&format!("{} {}", a.action, a.description), 128);
        emit(
            ctx,
            obj,
            EventType::Normal,
            reason,
            &action,
            a.description.clone(),
        )
        .await;
    }
    if let Sync::Failed { reason, message } = sync {
        emit(
            ctx,
            obj,
            EventType::Warning,
            reason,
            "Reconcile",
            message.clone(),
        )
        .await;
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn short(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Publishes an Event. `action` is what was done (an AWS action's name, or `Reconcile`):
/// the recorder folds repeats of the same (type, reason, action) into one Event series.
pub(super) async fn emit<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    type_: EventType,
    reason: &str,
    action: &str,
    note: String,
) {
    send_event(ctx, obj.object_ref(&()), type_, reason, action, note).await;
}

async fn send_event(
    ctx: &Context,
    reference: k8s_openapi::api::core::v1::ObjectReference,
    type_: EventType,
    reason: &str,
    action: &str,
    note: String,
) {
    let event = Event {
        type_,
        reason: reason.to_owned(),
        note: Some(truncate_message(note)),
        action: action.to_owned(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &reference).await {
        // An Event is best effort; the status carries the same facts.
        tracing::warn!(error = %e, reason = %event.reason, "could not publish event");
    }
}

/// An object the API server holds but this operator cannot read (a schema it does not
/// know): a Warning Event naming the problem; no AWS call, and no retry until it changes.
async fn invalid_object<K: Resource<DynamicType = ()>>(
    bad: &InvalidObject,
    ctx: &Context,
) -> Result<Action, Error> {
    let meta = &bad.metadata;
    tracing::warn!(
        namespace = meta.namespace.as_deref().unwrap_or_default(),
        name = meta.name.as_deref().unwrap_or_default(),
        error = %bad.error,
        "object cannot be read"
    );
    let reference = k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some(K::api_version(&()).into_owned()),
        kind: Some(K::kind(&()).into_owned()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        field_path: None,
    };
    let note = format!(
        "fargate-operator cannot read this object: {}. Fix the field named (or upgrade the \
         operator if the object was written for a newer version).",
        bad.error
    );
    send_event(
        ctx,
        reference,
        EventType::Warning,
        event_reasons::INVALID_OBJECT,
        "Read",
        note,
    )
    .await;
    Ok(Action::await_change())
}

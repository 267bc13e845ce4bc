//! The reconcile core shared by `apply`/`delete` and the controller: observe → plan → act,
//! repeated until the plan is empty (or a pass limit), then report.

pub mod act;
pub mod observe;
pub mod report;
pub mod run;
pub mod schedule;
pub mod task;
pub mod tenancy;

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;

use crate::api::conditions::ObjectStatus;
use crate::api::names::{
    owner_of, role_name, service_location, task_definition_lookups, Owner, Ownership, RoleKind,
    TaskDefinitionLookups,
};
use crate::api::{FargateService, FargateServiceStatus, TaskDefinition, TaskDefinitionStatus};
use crate::aws::{Aws, AwsError};
use crate::plan::delete::{plan_fargate_service_delete, plan_task_definition_delete};
use crate::plan::model::{ObservedFargateService, ObservedTaskDefinition};
use crate::plan::service::task_definition_info;
use crate::plan::tenant;
use crate::plan::{
    plan_fargate_service, plan_task_definition, Note, Plan, PlanConfig, PlanError, ServiceInputs,
    TaskDefinitionInfo, TaskDefinitionInputs,
};
pub use act::Applied;
use act::{ActError, Executor};
use observe::{RevisionUsers, ServiceKey};
use report::ReportInputs;
pub use report::Sync;

/// Observe → plan → act passes per reconcile before reporting "still applying".
pub const DEFAULT_MAX_PASSES: usize = 5;

/// What a reconcile of one object did and found.
#[derive(Debug, Clone)]
pub struct Reconciled<S> {
    pub sync: Sync,
    /// AWS changes made.
    pub applied: Vec<Applied>,
    pub status: S,
}

fn failed_from_plan(e: &PlanError) -> Sync {
    match e {
        PlanError::Waiting { reason, message } => Sync::Waiting {
            reason,
            message: message.clone(),
        },
        other => Sync::Failed {
            reason: other.reason(),
            message: other.to_string(),
        },
    }
}

fn failed_from_aws(e: &AwsError) -> Sync {
    Sync::Failed {
        reason: e.reason(),
        message: e.to_string(),
    }
}

fn failed_from_act(e: &ActError) -> Sync {
    Sync::Failed {
        reason: e.source.reason(),
        message: e.to_string(),
    }
}

/// Runs passes of `observe` → `plan` → act until the plan is empty; `first`, an observation
/// already made, serves the first pass. Returns the outcome, the actions applied, the last
/// observation and the last plan.
async fn converge<O: Default, F: std::future::Future<Output = Result<O, AwsError>>>(
    aws: &Aws,
    max_passes: usize,
    cleanup: bool,
    mut first: Option<O>,
    // A plain closure returning a future (not an async closure), so the reconcile future
    // can be proven `Send` for the controller.
    mut observe: impl FnMut() -> F,
    plan: impl Fn(&O) -> Result<Plan, PlanError>,
    seed: impl Fn(&O, &mut Executor<'_>),
) -> (Sync, Vec<Applied>, O, Option<Plan>) {
    let mut exec = Executor::new(aws);
    let mut applied = vec![];
    let mut last_plan = None;
    let mut observed = O::default();
    for _ in 0..max_passes.max(1) {
        let next = match first.take() {
            Some(o) => Ok(o),
            None => observe().await,
        };
        observed = match next {
            Ok(o) => o,
            Err(e) => return (failed_from_aws(&e), applied, observed, last_plan),
        };
        let p = match plan(&observed) {
            Ok(p) => p,
            Err(e) => return (failed_from_plan(&e), applied, observed, last_plan),
        };
        if p.is_empty() {
            return (Sync::InSync, applied, observed, Some(p));
        }
        seed(&observed, &mut exec);
        let result = exec.run(&p.actions, cleanup).await;
        last_plan = Some(p);
        match result {
            Ok(r) => applied.extend(r.applied),
            Err(e) => return (failed_from_act(&e), applied, observed, last_plan),
        }
    }
    let pending = last_plan.as_ref().map_or(0, |p| p.actions.len());
    (Sync::Applying { pending }, applied, observed, last_plan)
}

/// Whether a settled TaskDefinition is still as its status says, checked without describing
/// its revisions: its family's ACTIVE revision numbers (`active`, from a listing) are exactly
/// the current and retained ones its status names, its spec still hashes to the status's
/// hash, and its log groups and roles need no change and cause no warning. Revisions are
/// immutable, so the bodies are the ones last planned against; only tags edited on a
/// revision by someone else go unseen (the full reconcile re-reads them). `false` means run
/// the full reconcile: something may have drifted, a read failed, or the spec is invalid.
pub async fn task_definition_unchanged(
    aws: &Aws,
    config: &PlanConfig,
    td: &TaskDefinition,
    active: &[i32],
) -> bool {
    let Some(status) = td.status.as_ref() else {
        return false;
    };
    let td = &*tenant::governed_task_definition(td, config);
    let lookups = task_definition_lookups(td);
    // The revisions the status names, as numbers of this family.
    let named: Option<BTreeSet<i32>> = status
        .arn
        .iter()
        .chain(&status.retained_revisions)
        .map(|arn| {
            crate::aws::revision_of_arn(arn)
                .filter(|(family, _)| *family == lookups.family)
                .map(|(_, n)| n)
        })
        .collect();
    let active: BTreeSet<i32> = active.iter().copied().collect();
    if status.arn.is_none() || named != Some(active) {
        return false;
    }
    let owner = owner_of(td, "TaskDefinition");
    let Ok(observed) = observe::observe_log_groups_and_roles(aws, &lookups).await else {
        return false;
    };
    let plan = crate::plan::taskdef::plan_log_groups_and_roles_only(
        TaskDefinitionInputs {
            owner: &owner,
            spec: &td.spec,
        },
        &observed,
        config,
    );
    plan.is_ok_and(|p| {
        p.actions.is_empty() && p.notes.is_empty() && p.spec_hash == status.spec_hash
    })
}

/// Reconciles one TaskDefinition. `in_use`: revisions ECS services run (never deregistered).
pub async fn reconcile_task_definition(
    aws: &Aws,
    config: &PlanConfig,
    td: &TaskDefinition,
    in_use: &BTreeSet<String>,
    max_passes: usize,
    now: Timestamp,
) -> (Reconciled<TaskDefinitionStatus>, Option<TaskDefinitionInfo>) {
    let td = &*tenant::governed_task_definition(td, config);
    let owner = owner_of(td, "TaskDefinition");
    let valid = crate::api::validation::validate_task_definition(&td.spec)
        .and_then(|()| owner.validate_family(&td.spec))
        .map_err(PlanError::Invalid)
        .and_then(|()| {
            let (tenant, floor) = (config.tenant.as_ref(), &config.floor);
            tenant::check_task_definition(&td.spec, tenant, floor, &owner.namespace)
                .map_err(PlanError::NotAllowed)
        });
    if let Err(e) = valid {
        return (refused(&owner, td.status.as_ref(), e, now), None);
    }
    let lookups = task_definition_lookups(td);
    let (sync, applied, observed, plan) = converge(
        aws,
        max_passes,
        false,
        None,
        || observe::observe_task_definition(aws, &lookups, in_use.clone()),
        |o: &ObservedTaskDefinition| {
            plan_task_definition(
                TaskDefinitionInputs {
                    owner: &owner,
                    spec: &td.spec,
                },
                o,
                config,
            )
        },
        |o, exec| {
            for (name, role) in &o.roles {
                exec.know_role(name, &role.arn);
            }
        },
    )
    .await;
    let notes: Vec<Note> = plan.as_ref().map(|p| p.notes.clone()).unwrap_or_default();
    let status = report::task_definition_status(
        &ReportInputs {
            owner: &owner,
            sync: &sync,
            notes: &notes,
            now,
        },
        &lookups.family,
        plan.as_ref().and_then(|p| p.spec_hash.as_deref()),
        &observed,
        td.status.as_ref(),
    );
    // Services may use the revision only once this generation's revision is registered.
    let info = (sync == Sync::InSync)
        .then(|| status.arn.clone())
        .flatten()
        .map(|arn| TaskDefinitionInfo {
            kept: crate::plan::service::kept_revisions(Some(&status)),
            ..task_definition_info(td, Some(arn))
        });
    (
        Reconciled {
            sync,
            applied,
            status,
        },
        info,
    )
}

/// Reconciles one FargateService. `task_definition`: the referenced TaskDefinition's
/// current revision (None: not registered yet, the service waits). `first`: an observation
/// already made (batched), used for the first pass.
pub async fn reconcile_fargate_service(
    aws: &Aws,
    config: &PlanConfig,
    fs: &FargateService,
    task_definition: Option<&TaskDefinitionInfo>,
    first: Option<ObservedFargateService>,
    max_passes: usize,
    now: Timestamp,
) -> Reconciled<FargateServiceStatus> {
    let fs = &*tenant::governed_fargate_service(fs, config);
    let owner = owner_of(fs, "FargateService");
    let valid = crate::api::validation::validate_fargate_service(&fs.spec)
        .and_then(|()| owner.validate_service_name(&fs.spec))
        .map_err(PlanError::Invalid)
        .and_then(|()| {
            let (tenant, floor) = (config.tenant.as_ref(), &config.floor);
            tenant::check_fargate_service(&fs.spec, tenant, floor, &owner.namespace)
                .map_err(PlanError::NotAllowed)
        });
    if let Err(e) = valid {
        return refused(&owner, fs.status.as_ref(), e, now);
    }
    let (cluster, name) = service_location(fs);
    let restarted_at = fs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::api::RESTARTED_AT_ANNOTATION))
        .map(String::as_str);
    // The managed infrastructure role is read only when the spec asks for one.
    let role = crate::api::ebs::wants_managed_role(&fs.spec)
        .then(|| role_name(&owner, RoleKind::Infrastructure));
    let first = with_role(aws, first, role.as_deref()).await;
    let first = match first {
        Some(o) => with_pre_deploy(aws, fs, &owner, task_definition, o)
            .await
            .ok(),
        None => None,
    };
    let (sync, applied, observed, plan) = converge(
        aws,
        max_passes,
        false,
        first,
        || async {
            let o = observe_one(aws, &cluster, &name, role.as_deref()).await?;
            with_pre_deploy(aws, fs, &owner, task_definition, o).await
        },
        |o: &ObservedFargateService| {
            let rolled_back = crate::plan::rollback::rolled_back_revision(
                o,
                fs.status.as_ref(),
                owner.generation,
            );
            plan_fargate_service(
                ServiceInputs {
                    owner: &owner,
                    spec: &fs.spec,
                    restarted_at,
                    task_definition,
                    rolled_back: rolled_back.as_ref(),
                    pre_deploy: crate::plan::predeploy::PreDeployInputs {
                        previous: fs.status.as_ref().and_then(|s| s.pre_deploy.as_ref()),
                        task_definition_arn: None,
                        now,
                    },
                },
                o,
                config,
            )
        },
        |_, _| {},
    )
    .await;
    let observed = if not_this_objects(&sync) {
        // The service is another's (or not this object's to adopt): its status says so
        // without showing that service's ARN, deployments, events or stopped tasks.
        ObservedFargateService {
            cluster: observed.cluster,
            ..Default::default()
        }
    } else {
        last_service_deployment(aws, &cluster, &name, fs, observed).await
    };
    let notes: Vec<Note> = plan.as_ref().map(|p| p.notes.clone()).unwrap_or_default();
    let mut status = report::fargate_service_status(
        &ReportInputs {
            owner: &owner,
            sync: &sync,
            notes: &notes,
            now,
        },
        &observed,
        plan.as_ref().and_then(|p| p.estimated_monthly_cost_usd),
        fs.status.as_ref(),
    );
    status.pre_deploy = report::pre_deploy_status(
        &sync,
        plan.as_ref(),
        fs.status.as_ref().and_then(|s| s.pre_deploy.as_ref()),
    );
    Reconciled {
        sync,
        applied,
        status,
    }
}

/// Whether a reconcile stopped because the ECS service of its name is not this object's.
fn not_this_objects(sync: &Sync) -> bool {
    matches!(sync, Sync::Failed { reason, .. }
        if *reason == crate::api::reasons::CONFLICT || *reason == crate::api::reasons::NOT_ALLOWED)
}

/// The observation with the service deployment read once more when the previous status
/// showed one in flight and this observation did not read it (ECS no longer rolls out): so
/// the status says how it ended (SUCCESSFUL, ROLLBACK_SUCCESSFUL and why) rather than
/// dropping it. A failed read leaves the observation as it was
/// ([`observe::read_service_deployment`]).
async fn last_service_deployment(
    aws: &Aws,
    cluster: &str,
    name: &str,
    fs: &FargateService,
    mut observed: ObservedFargateService,
) -> ObservedFargateService {
    let was_in_flight = fs
        .status
        .as_ref()
        .and_then(|s| s.rollout.as_ref())
        .and_then(|r| r.status.as_deref())
        .is_some_and(report::in_flight);
    let live = observed
        .service
        .as_ref()
        .is_some_and(|s| s.status == "ACTIVE");
    if was_in_flight && live && observed.service_deployment.is_none() {
        match aws.ecs.latest_service_deployment(cluster, name).await {
            Ok(d) => observed.service_deployment = d,
            Err(e) => {
                tracing::warn!(%cluster, %name, error = %e, "reading the last service deployment failed")
            }
        }
    }
    observed
}

/// `obj` refused before AWS is asked anything (`error` says why, e.g. its namespace's
/// tenant cannot be decided): conditions say so; the rest of its status stays.
pub fn refusal<K>(obj: &K, kind: &str, error: PlanError, now: Timestamp) -> Reconciled<K::Status>
where
    K: kube::Resource + kube::core::object::HasStatus + 'static,
    K::Status: ObjectStatus,
{
    refused(&owner_of(obj, kind), obj.status(), error, now)
}

/// A spec that fails validation, or references what it is not allowed to, is refused before
/// AWS is asked anything: the conditions say why; the rest of the status stays as last
/// observed (what runs keeps running).
fn refused<S: ObjectStatus>(
    owner: &Owner,
    previous: Option<&S>,
    error: PlanError,
    now: Timestamp,
) -> Reconciled<S> {
    let mut status = previous.cloned().unwrap_or_default();
    let sync = failed_from_plan(&error);
    *status.conditions_mut() = report::unobserved_conditions(
        &ReportInputs {
            owner,
            sync: &sync,
            notes: &[],
            now,
        },
        status.conditions(),
    );
    status.set_observed_generation(owner.generation);
    Reconciled {
        sync,
        applied: vec![],
        status,
    }
}

/// `o` with the service's preDeploy tasks read, when the gate needs them
/// ([`crate::plan::predeploy::reads_runs`]): every task ECS lists for its `startedBy`, the
/// ones its status names, and the revision the task runs (for its containers' essential
/// flags and log settings).
async fn with_pre_deploy(
    aws: &Aws,
    fs: &FargateService,
    owner: &Owner,
    td: Option<&TaskDefinitionInfo>,
    mut o: ObservedFargateService,
) -> Result<ObservedFargateService, AwsError> {
    use crate::plan::predeploy::{pre_deploy_of, reads_runs};
    let previous = fs.status.as_ref().and_then(|s| s.pre_deploy.as_ref());
    let live = o
        .service
        .as_ref()
        .filter(|s| s.status != "INACTIVE")
        .map(|s| &s.body.task_definition);
    let desired = td.and_then(|t| t.arn.as_deref());
    let pinned = td.is_some_and(|t| t.pin.is_some());
    if !reads_runs(&fs.spec, previous, live, desired, pinned) {
        return Ok(o);
    }
    // The revision the task runs: the one the status records for a run under way (a pin
    // or a rollback may make it another than the TaskDefinition's current one), else what
    // the spec names.
    let pd = pre_deploy_of(&fs.spec);
    let recorded = previous
        .filter(|p| !p.phase.finished())
        .and_then(|p| p.task_definition_arn.clone());
    let revision = recorded.or_else(|| match pd {
        Some(p) if p.task_definition_arn.is_some() => p.task_definition_arn.clone(),
        Some(p) if p.task_definition_ref.is_some() => td.and_then(|t| t.pre_deploy_arn.clone()),
        _ => desired.map(str::to_owned),
    });
    let known = previous
        .into_iter()
        .flat_map(|p| &p.attempts)
        .flat_map(|a| &a.tasks)
        .filter(|t| t.last_status != crate::plan::task::STOPPED)
        .map(|t| t.task_arn.clone())
        .collect();
    let (cluster, _) = service_location(fs);
    let by = crate::api::names::started_by(owner);
    o.pre_deploy = Some(task::observe_run(aws, &cluster, &by, &known, revision.as_deref()).await?);
    Ok(o)
}

/// One service, with its managed infrastructure `role` when given.
async fn observe_one(
    aws: &Aws,
    cluster: &str,
    name: &str,
    role: Option<&str>,
) -> Result<ObservedFargateService, AwsError> {
    let mut o = observe::observe_services(aws, cluster, &[name.to_owned()])
        .await?
        .remove(name)
        .unwrap_or_default();
    let roles: Vec<String> = role.map(str::to_owned).into_iter().collect();
    o.roles = observe::observe_roles(aws, &roles).await?;
    Ok(o)
}

/// A batched observation with the service's managed infrastructure `role` read too; on a
/// failed read, none (the first pass then observes on its own).
async fn with_role(
    aws: &Aws,
    first: Option<ObservedFargateService>,
    role: Option<&str>,
) -> Option<ObservedFargateService> {
    match (first, role) {
        (Some(mut o), Some(role)) => {
            o.roles = observe::observe_roles(aws, &[role.to_owned()]).await.ok()?;
            Some(o)
        }
        (first, _) => first,
    }
}

/// What a cleanup did.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleanup {
    /// `InSync`: nothing of this object's is left in AWS (or it is retained).
    pub sync: Sync,
    pub applied: Vec<Applied>,
    /// Why resources were left (retained, not owned).
    pub notes: Vec<String>,
}

/// Deletes what a FargateService owns, in order (never validating the spec).
pub async fn cleanup_fargate_service(aws: &Aws, fs: &FargateService, max_passes: usize) -> Cleanup {
    if fs.spec.deletion_policy == crate::api::fargateservice::DeletionPolicy::Retain {
        return retained("ECS service, its autoscaling and its infrastructure role");
    }
    let owner = owner_of(fs, "FargateService");
    let (cluster, name) = service_location(fs);
    // The infrastructure role is looked for whatever the spec says now: an earlier spec may
    // have asked for it.
    let role = role_name(&owner, RoleKind::Infrastructure);
    let by = crate::api::names::started_by(&owner);
    let (sync, applied, _, plan) = converge(
        aws,
        max_passes,
        true,
        None,
        || async {
            let mut o = observe_one(aws, &cluster, &name, Some(&role)).await?;
            // Its preDeploy tasks, which stop with it.
            let none = BTreeSet::new();
            o.pre_deploy = Some(task::observe_run(aws, &cluster, &by, &none, None).await?);
            Ok(o)
        },
        |o| plan_fargate_service_delete(&owner, &cluster, &name, o),
        |_, _| {},
    )
    .await;
    Cleanup {
        sync,
        applied,
        notes: plan
            .map(|p| p.notes.into_iter().map(|n| n.message).collect())
            .unwrap_or_default(),
    }
}

/// Deletes what a TaskDefinition owns, in order. `in_use`: revisions services still run
/// (the caller observed every service that may run them: `delete` its manifests' services).
pub async fn cleanup_task_definition(
    aws: &Aws,
    td: &TaskDefinition,
    in_use: &BTreeSet<String>,
    max_passes: usize,
) -> Cleanup {
    let users = in_use
        .iter()
        .map(|arn| (arn.clone(), BTreeSet::new()))
        .collect();
    cleanup_task_definition_with(aws, td, Users::Known(&users), max_passes)
        .await
        .0
}

/// Deletes what a TaskDefinition owns, in order, asking ECS which services still run its
/// revisions — the controller's way, whose cache cannot know an ECS service whose object is
/// gone (`deletionPolicy: Retain`), or one no object names. `known`: revisions the caller
/// knows are in use (services it watches that reference this TaskDefinition), a fast path.
/// `recheck`: the ECS services that ran a revision of the family at the last attempt.
///
/// First `known` plus what `recheck` runs now (DescribeServices of those only); when that
/// leaves anything to delete, every ECS service of the account and region is read before
/// (ListClusters, ListServices, DescribeServices): nothing is deleted that a live service
/// runs or needs. A cleanup that waits for a service therefore costs a DescribeServices per
/// attempt, not a listing of the account. Returns the ECS services found running a revision
/// of the family: the next attempt's `recheck`.
pub async fn cleanup_task_definition_asking_ecs(
    aws: &Aws,
    td: &TaskDefinition,
    known: &RevisionUsers,
    recheck: &BTreeSet<ServiceKey>,
    max_passes: usize,
) -> (Cleanup, BTreeSet<ServiceKey>) {
    cleanup_task_definition_with(aws, td, Users::AskEcs { known, recheck }, max_passes).await
}

/// Where a TaskDefinition's cleanup learns which revisions services still run.
enum Users<'a> {
    Known(&'a RevisionUsers),
    AskEcs {
        known: &'a RevisionUsers,
        recheck: &'a BTreeSet<ServiceKey>,
    },
}

fn merge(into: &mut RevisionUsers, from: RevisionUsers) {
    for (arn, who) in from {
        into.entry(arn).or_default().extend(who);
    }
}

fn with_users(mut o: ObservedTaskDefinition, users: &RevisionUsers) -> ObservedTaskDefinition {
    o.in_use = users.keys().cloned().collect();
    o.in_use_by = users.clone();
    o
}

async fn cleanup_task_definition_with(
    aws: &Aws,
    td: &TaskDefinition,
    users: Users<'_>,
    max_passes: usize,
) -> (Cleanup, BTreeSet<ServiceKey>) {
    if td.spec.deletion_policy == crate::api::fargateservice::DeletionPolicy::Retain {
        return (
            retained("revisions, managed roles and log groups"),
            BTreeSet::new(),
        );
    }
    let owner = owner_of(td, "TaskDefinition");
    let lookups = task_definition_lookups(td);
    let family = lookups.family.as_str();
    let mut running = BTreeSet::new();
    let (users, first) = match users {
        Users::Known(users) => (users.clone(), None),
        Users::AskEcs { known, recheck } => {
            let asked = users_asking_ecs(aws, &owner, &lookups, known, recheck, &mut running);
            match asked.await {
                Ok((users, observed)) => (users, Some(observed)),
                Err(e) => {
                    let failed = Cleanup {
                        sync: failed_from_aws(&e),
                        applied: vec![],
                        notes: vec![],
                    };
                    return (failed, running);
                }
            }
        }
    };
    let (sync, applied, observed, _) = converge(
        aws,
        max_passes,
        true,
        first,
        || {
            let (lookups, users) = (&lookups, &users);
            async move {
                observe::observe_task_definition(aws, lookups, BTreeSet::new())
                    .await
                    .map(|o| with_users(o, users))
            }
        },
        |o| plan_task_definition_delete(&owner, family, o),
        |_, _| {},
    )
    .await;
    let notes = observed
        .log_groups
        .iter()
        .filter(|(_, g)| owner.ownership(&g.tags) != Ownership::Owned)
        .map(|(name, _)| format!("log group {name} was not created by this object; kept"))
        .collect();
    (
        Cleanup {
            sync,
            applied,
            notes,
        },
        running,
    )
}

/// The revisions of a TaskDefinition's family that services run, asking ECS, and the
/// cleanup's first observation (with those users). First `known` plus what `recheck` runs
/// now; when that leaves anything to delete, every ECS service of the account and region
/// is read instead. `running` is set to the ECS services found running a revision of the
/// family (kept when a later read fails).
async fn users_asking_ecs(
    aws: &Aws,
    owner: &Owner,
    lookups: &TaskDefinitionLookups,
    known: &RevisionUsers,
    recheck: &BTreeSet<ServiceKey>,
    running: &mut BTreeSet<ServiceKey>,
) -> Result<(RevisionUsers, ObservedTaskDefinition), AwsError> {
    let family = lookups.family.as_str();
    let mut users = known.clone();
    let (u, r) = observe::family_users(aws, family, recheck).await?;
    merge(&mut users, u);
    *running = r;
    let observed = observe::observe_task_definition(aws, lookups, BTreeSet::new()).await?;
    let observed = with_users(observed, &users);
    let deletes =
        plan_task_definition_delete(owner, family, &observed).is_ok_and(|p| !p.actions.is_empty());
    if !deletes {
        return Ok((users, observed));
    }
    let everyone = observe::all_services(aws).await?;
    let mut users = known.clone();
    let (u, r) = observe::family_users(aws, family, &everyone).await?;
    merge(&mut users, u);
    *running = r;
    let observed = with_users(observed, &users);
    Ok((users, observed))
}

fn retained(what: &str) -> Cleanup {
    Cleanup {
        sync: Sync::InSync,
        applied: vec![],
        notes: vec![format!("deletionPolicy: Retain; {what} kept in AWS")],
    }
}

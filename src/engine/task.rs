//! A FargateTask's reconcile and cleanup: observe its tasks (by `startedBy` and by the ARNs
//! its status names), plan ([`crate::plan::task`]), act, report.

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;

use super::report::{self, ReportInputs};
use super::{converge, refused, retained, Cleanup, Reconciled, Sync};
use crate::api::conditions::{condition_types as ct, is_true};
use crate::api::fargatetask::{FargateTask, FargateTaskStatus};
use crate::api::names::{owner_of, started_by};
use crate::aws::{Aws, AwsError};
use crate::plan::task::{
    plan_fargate_task, plan_fargate_task_delete, run_state, DesiredStatus, ObservedRun, TaskFilter,
    TaskInputs, STOPPED,
};
use crate::plan::{PlanConfig, PlanError};

/// DescribeTasks takes at most 100 tasks per request.
const DESCRIBE_BATCH: usize = 100;

pub use crate::api::fargatetask::KIND;

/// Reads what a FargateTask's run consists of: every task ECS lists for its `startedBy`
/// (running and stopped), plus `known` (ARNs the status names that have not stopped), each
/// described with its tags; the ones ECS no longer knows are `missing`. `revision`: the
/// task definition run, described for its containers' log settings.
pub async fn observe_run(
    aws: &Aws,
    cluster: &str,
    started_by: &str,
    known: &BTreeSet<String>,
    revision: Option<&str>,
) -> Result<ObservedRun, AwsError> {
    let filter = TaskFilter::StartedBy(started_by.to_owned());
    let mut arns = known.clone();
    for desired in [DesiredStatus::Running, DesiredStatus::Stopped] {
        arns.extend(aws.ecs.all_task_arns(cluster, &filter, desired).await?);
    }
    let arns: Vec<String> = arns.into_iter().collect();
    let mut tasks = vec![];
    for batch in arns.chunks(DESCRIBE_BATCH) {
        tasks.extend(aws.ecs.describe_tasks(cluster, batch).await?);
    }
    let seen: BTreeSet<&str> = tasks.iter().map(|t| t.task_arn.as_str()).collect();
    let missing = known
        .iter()
        .filter(|a| !seen.contains(a.as_str()))
        .cloned()
        .collect();
    let revision = match revision {
        Some(arn) => aws.ecs.describe_revision(arn).await?,
        None => None,
    };
    let cluster_missing = tasks.is_empty()
        && aws
            .ecs
            .describe_cluster(cluster)
            .await?
            .is_none_or(|c| c.status == "INACTIVE");
    Ok(ObservedRun {
        tasks,
        missing,
        revision,
        cluster_missing,
        schedule: None,
    })
}

/// The ARNs of this generation's tasks the status names that had not stopped.
fn known_arns(status: Option<&FargateTaskStatus>, generation: i64) -> BTreeSet<String> {
    status
        .filter(|s| s.run_generation == Some(generation))
        .into_iter()
        .flat_map(|s| &s.attempts)
        .flat_map(|a| &a.tasks)
        .filter(|t| t.last_status != STOPPED)
        .map(|t| t.task_arn.clone())
        .collect()
}

/// The run of this generation finished and its status says so in sync: nothing in AWS
/// can change it any more, so it is not read again.
pub fn finished(ft: &FargateTask) -> bool {
    ft.status.as_ref().is_some_and(|s| {
        s.observed_generation == ft.metadata.generation
            && s.run_generation == ft.metadata.generation
            && s.phase.is_some_and(|p| p.finished())
            && is_true(&s.conditions, ct::SYNCED)
    })
}

/// The spec's own rules, then what its tenant (or the operator's floor) allows.
fn validated(ft: &FargateTask, config: &PlanConfig, namespace: &str) -> Result<(), PlanError> {
    crate::api::validation::validate_fargate_task(&ft.spec).map_err(PlanError::Invalid)?;
    let (tenant, floor) = (config.tenant.as_ref(), &config.floor);
    crate::plan::tenant::check_fargate_task(&ft.spec, tenant, floor, namespace)
        .map_err(PlanError::NotAllowed)
}

/// Reconciles one FargateTask. `task_definition_arn`: the revision to run (its
/// TaskDefinition's current one, or the spec's ARN; None: not registered yet).
pub async fn reconcile_fargate_task(
    aws: &Aws,
    config: &PlanConfig,
    ft: &FargateTask,
    task_definition_arn: Option<&str>,
    max_passes: usize,
    now: Timestamp,
) -> Reconciled<FargateTaskStatus> {
    let ft = &*crate::plan::tenant::governed_fargate_task(ft, config);
    let owner = owner_of(ft, KIND);
    if let Err(e) = validated(ft, config, &owner.namespace) {
        return refused(&owner, ft.status.as_ref(), e, now);
    }
    let previous = ft.status.as_ref();
    if ft.spec.schedule.is_some() {
        // A scheduled FargateTask follows its TaskDefinition's current revision. Tasks a
        // one-off run of an earlier generation started are left to finish.
        return super::schedule::reconcile_scheduled(
            aws,
            config,
            ft,
            &owner,
            task_definition_arn,
            max_passes,
            now,
        )
        .await;
    }
    let torn_down = match teardown_left_schedule(aws, &owner, previous, max_passes, now).await {
        Ok(applied) => applied,
        Err(r) => return r,
    };
    if finished(ft) {
        return Reconciled {
            sync: Sync::InSync,
            applied: torn_down,
            status: previous.cloned().unwrap_or_default(),
        };
    }
    // A run already started keeps the revision it started with.
    let task_definition_arn = previous
        .filter(|s| s.run_generation == owner.generation.into() && !s.attempts.is_empty())
        .and_then(|s| s.task_definition_arn.as_deref())
        .or(task_definition_arn);
    let inputs = TaskInputs {
        owner: &owner,
        spec: &ft.spec,
        task_definition_arn,
        previous,
        now,
    };
    let cluster = ft.spec.cluster.name.as_str();
    let by = started_by(&owner);
    let known = known_arns(previous, owner.generation);
    let (sync, applied, observed, plan) = converge(
        aws,
        max_passes,
        false,
        None,
        || observe_run(aws, cluster, &by, &known, task_definition_arn),
        |o: &ObservedRun| plan_fargate_task(inputs, o).map(|p| p.plan),
        |_, _| {},
    )
    .await;
    let run = run_state(inputs, &observed);
    let notes = plan.map(|p| p.notes).unwrap_or_default();
    let status = report::fargate_task_status(
        &ReportInputs {
            owner: &owner,
            sync: &sync,
            notes: &notes,
            now,
        },
        &run,
        task_definition_arn,
        previous,
    );
    Reconciled {
        sync,
        applied: [torn_down, applied].concat(),
        status,
    }
}

/// A one-off FargateTask whose spec no longer has a schedule (an edit of an object that had
/// one): its schedule and scheduler role go first (runs the schedule started are left to
/// finish). The changes made, or the reconcile's result when they are not all made yet.
async fn teardown_left_schedule(
    aws: &Aws,
    owner: &crate::api::names::Owner,
    previous: Option<&FargateTaskStatus>,
    max_passes: usize,
    now: Timestamp,
) -> Result<Vec<crate::engine::act::Applied>, Reconciled<FargateTaskStatus>> {
    let edited = previous.is_some_and(|p| p.observed_generation != Some(owner.generation));
    if !edited && previous.is_none_or(|p| p.schedule.is_none()) {
        return Ok(vec![]);
    }
    let (sync, applied) = super::schedule::teardown_schedule(aws, owner, max_passes).await;
    if sync == Sync::InSync {
        return Ok(applied);
    }
    let mut status = previous.cloned().unwrap_or_default();
    status.conditions = report::unobserved_conditions(
        &ReportInputs {
            owner,
            sync: &sync,
            notes: &[],
            now,
        },
        &status.conditions,
    );
    Err(Reconciled {
        sync,
        applied,
        status,
    })
}

/// Stops every task of a FargateTask still running (any generation, one-off or scheduled;
/// never validating the spec) after deleting its schedule and scheduler role, unless
/// `deletionPolicy: Retain`.
pub async fn cleanup_fargate_task(aws: &Aws, ft: &FargateTask, max_passes: usize) -> Cleanup {
    if ft.spec.deletion_policy == crate::api::fargateservice::DeletionPolicy::Retain {
        return retained("running tasks, schedule and scheduler role");
    }
    let owner = owner_of(ft, KIND);
    let (sync, mut applied) = super::schedule::teardown_schedule(aws, &owner, max_passes).await;
    if sync != Sync::InSync {
        return Cleanup {
            sync,
            applied,
            notes: vec![],
        };
    }
    let (sync, stopped) = super::schedule::stop_scheduled_runs(aws, ft, &owner, max_passes).await;
    applied.extend(stopped);
    if sync != Sync::InSync {
        return Cleanup {
            sync,
            applied,
            notes: vec![],
        };
    }
    let cluster = ft.spec.cluster.name.as_str();
    let by = started_by(&owner);
    let known = ft
        .status
        .as_ref()
        .map(|s| known_arns(Some(s), s.run_generation.unwrap_or_default()))
        .unwrap_or_default();
    let (sync, stopped, _, _) = converge(
        aws,
        max_passes,
        true,
        None,
        || observe_run(aws, cluster, &by, &known, None),
        |o| Ok(plan_fargate_task_delete(&owner, cluster, o)),
        |_, _| {},
    )
    .await;
    applied.extend(stopped);
    Cleanup {
        sync,
        applied,
        notes: vec![],
    }
}

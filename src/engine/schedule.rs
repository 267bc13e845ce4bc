//! A scheduled FargateTask's reconcile (observe its schedule, scheduler role, cluster,
//! revision and the tasks of the revision's family → plan ([`crate::plan::schedule`]) →
//! act → report), and the teardown of a schedule and its role when the spec drops
//! `schedule` or the object is deleted.

use k8s_openapi::jiff::Timestamp;

use super::report::{self, ReportInputs};
use super::{converge, Reconciled, Sync};
use crate::api::fargatetask::{FargateTask, FargateTaskStatus};
use crate::api::names::{role_name, Owner, RoleKind};
use crate::api::schedule::{schedule_name, SCHEDULE_GROUP};
use crate::aws::{Aws, AwsError};
use crate::engine::act::Applied;
use crate::plan::schedule::{
    plan_schedule_delete, plan_scheduled, schedule_status, ObservedScheduled, ScheduleInputs,
};
use crate::plan::task::{DesiredStatus, ObservedRun, ObservedTask, TaskFilter};
use crate::plan::PlanConfig;

/// DescribeTasks takes at most 100 tasks per request.
const DESCRIBE_BATCH: usize = 100;

/// The object's schedule (by its derived name, in the `default` group) and scheduler role.
async fn observe_schedule_and_role(
    aws: &Aws,
    owner: &Owner,
) -> Result<ObservedScheduled, AwsError> {
    Ok(ObservedScheduled {
        schedule: aws
            .scheduler
            .get_schedule(SCHEDULE_GROUP, &schedule_name(owner))
            .await?,
        role: aws
            .iam
            .get_role(&role_name(owner, RoleKind::Scheduler))
            .await?,
        ..ObservedScheduled::default()
    })
}

/// Every task of `family` in `cluster` (running and stopped), described with its tags.
pub async fn family_tasks(
    aws: &Aws,
    cluster: &str,
    family: &str,
) -> Result<Vec<ObservedTask>, AwsError> {
    let filter = TaskFilter::Family(family.to_owned());
    let mut arns = vec![];
    for desired in [DesiredStatus::Running, DesiredStatus::Stopped] {
        arns.extend(aws.ecs.all_task_arns(cluster, &filter, desired).await?);
    }
    let mut tasks = vec![];
    for batch in arns.chunks(DESCRIBE_BATCH) {
        tasks.extend(aws.ecs.describe_tasks(cluster, batch).await?);
    }
    Ok(tasks)
}

/// What a scheduled FargateTask's plan needs: the schedule and role, the cluster and the
/// revision to run. (Its runs do not change the plan: [`with_runs`] reads them once.)
pub async fn observe_scheduled(
    aws: &Aws,
    owner: &Owner,
    cluster: &str,
    revision: Option<&str>,
) -> Result<ObservedScheduled, AwsError> {
    let mut o = observe_schedule_and_role(aws, owner).await?;
    o.cluster = aws.ecs.describe_cluster(cluster).await?;
    o.revision = match revision {
        Some(arn) => aws.ecs.describe_revision(arn).await?,
        None => None,
    };
    Ok(o)
}

/// `o` with the tasks of its revision's family in `cluster`, when both exist; a failed read
/// leaves them unlisted (the status keeps the runs it had).
async fn with_runs(aws: &Aws, cluster: &str, mut o: ObservedScheduled) -> ObservedScheduled {
    let Some(family) = o
        .revision
        .as_ref()
        .filter(|_| o.cluster.is_some())
        .map(|r| r.body.family.clone())
    else {
        return o;
    };
    match family_tasks(aws, cluster, &family).await {
        Ok(tasks) => {
            o.tasks = tasks;
            o.listed = true;
        }
        Err(e) => tracing::warn!(error = %e, "listing a schedule's runs failed"),
    }
    o
}

/// Reconciles a FargateTask with a `schedule`: its scheduler role and schedule, then its
/// status with the recent runs. `task_definition_arn`: the revision to run.
pub async fn reconcile_scheduled(
    aws: &Aws,
    config: &PlanConfig,
    ft: &FargateTask,
    owner: &Owner,
    task_definition_arn: Option<&str>,
    max_passes: usize,
    now: Timestamp,
) -> Reconciled<FargateTaskStatus> {
    let inputs = ScheduleInputs {
        owner,
        spec: &ft.spec,
        task_definition_arn,
        config,
        now,
    };
    let cluster = ft.spec.cluster.name.as_str();
    let (sync, applied, observed, plan) = converge(
        aws,
        max_passes,
        false,
        None,
        || observe_scheduled(aws, owner, cluster, task_definition_arn),
        |o: &ObservedScheduled| plan_scheduled(inputs, o),
        |o, exec| {
            if let Some(r) = &o.role {
                exec.know_role(&role_name(owner, RoleKind::Scheduler), &r.arn);
            }
        },
    )
    .await;
    // After the last pass the schedule may have changed: read it again for the status.
    let observed = match &sync {
        Sync::InSync => observed,
        _ => match observe_schedule_and_role(aws, owner).await {
            Ok(fresh) => ObservedScheduled {
                schedule: fresh.schedule,
                ..observed
            },
            Err(_) => observed,
        },
    };
    let observed = with_runs(aws, cluster, observed).await;
    let previous = ft.status.as_ref();
    let notes = plan.map(|p| p.notes).unwrap_or_default();
    let status = report::scheduled_task_status(
        &ReportInputs {
            owner,
            sync: &sync,
            notes: &notes,
            now,
        },
        schedule_status(owner, &observed, previous.and_then(|p| p.schedule.as_ref())),
        previous,
    );
    Reconciled {
        sync,
        applied,
        status,
    }
}

/// Deletes the object's schedule and then its scheduler role, each only when it is this
/// object's (a schedule or role of its name that is not is left alone). `InSync` once
/// neither is left.
pub async fn teardown_schedule(
    aws: &Aws,
    owner: &Owner,
    max_passes: usize,
) -> (Sync, Vec<Applied>) {
    let (sync, applied, _, _) = converge(
        aws,
        max_passes,
        true,
        None,
        || observe_schedule_and_role(aws, owner),
        |o| Ok(plan_schedule_delete(owner, o)),
        |_, _| {},
    )
    .await;
    (sync, applied)
}

/// Stops the scheduled runs of the object still running (cleanup with `deletionPolicy:
/// Delete`): the tasks of the family its status says the schedule ran, with its ownership
/// tags exactly.
pub async fn stop_scheduled_runs(
    aws: &Aws,
    ft: &FargateTask,
    owner: &Owner,
    max_passes: usize,
) -> (Sync, Vec<Applied>) {
    let Some(family) = ft
        .status
        .as_ref()
        .and_then(|s| s.schedule.as_ref())
        .and_then(|s| s.task_definition_arn.as_deref())
        .and_then(crate::api::revision_of_arn)
        .map(|(f, _)| f.to_owned())
    else {
        return (Sync::InSync, vec![]);
    };
    let cluster = ft.spec.cluster.name.as_str();
    let (sync, applied, _, _) = converge(
        aws,
        max_passes,
        true,
        None,
        || async {
            Ok(ObservedRun {
                tasks: family_tasks(aws, cluster, &family).await?,
                ..ObservedRun::default()
            })
        },
        |o| {
            Ok(crate::plan::task::plan_fargate_task_delete(
                owner, cluster, o,
            ))
        },
        |_, _| {},
    )
    .await;
    (sync, applied)
}

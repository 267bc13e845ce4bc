//! The FargateTask steps of the generic reconcile ([`super::reconcile`]): the engine's run,
//! the status and Events through the shared paths, a Warning Event per failed attempt (with
//! its exit code) and for a failed run, and `ttlSecondsAfterFinished`: the object deletes
//! itself through the API once its run finished that long ago.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Preconditions};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};

use super::reconcile::{
    clean_up_governed, emit, next_action, refuse, reported, Error, FARGATE_TASK,
};
use super::{object_key, revision_for_task, Context};
use crate::api::conditions::{condition_types as ct, is_true, reasons};
use crate::api::fargatetask::{FargateTask, FargateTaskStatus, TaskAttempt, TaskPhase};
use crate::engine;

/// Event reason of an attempt that failed (another may follow).
pub const ATTEMPT_FAILED: &str = "AttemptFailed";

pub(super) async fn apply_fargate_task(ft: &FargateTask, ctx: &Context) -> Result<Action, Error> {
    let governed = match super::tenancy::govern(ctx, &ft.namespace().unwrap_or_default()).await {
        Ok(g) => g,
        Err(e) => return refuse(ctx, FARGATE_TASK, ft, e).await,
    };
    let arn = revision_for_task(ft, &ctx.stores.task_definitions);
    let now = (ctx.now)();
    let r = engine::task::reconcile_fargate_task(
        &governed.aws,
        &governed.config,
        ft,
        arn.as_deref(),
        ctx.settings.max_passes,
        now,
    )
    .await;
    reported(ctx, FARGATE_TASK, ft, &r).await?;
    task_run_events(ctx, ft, &r.status).await;
    scheduled_run_events(ctx, ft, &r.status).await;
    if let Some(left) = ttl_left(ft, &r.status, now) {
        if left.is_zero() {
            delete_finished(ctx, ft).await?;
            return Ok(Action::await_change());
        }
        return Ok(Action::requeue(left));
    }
    // A run in progress (one-off, or the newest a schedule started) is followed every
    // `poll`; a finished one-off run is not read again, a schedule every `resync`.
    let running =
        is_true(&r.status.conditions, ct::PROGRESSING) || scheduled_run_running(&r.status);
    next_action(ctx, &r.sync, running)
}

pub(super) async fn cleanup_fargate_task(ft: &FargateTask, ctx: &Context) -> Result<Action, Error> {
    // Where it runs: its schedule's ARN, or the ARN of any task of its runs.
    let status = ft.status.as_ref();
    let arn = status
        .and_then(|s| s.schedule.as_ref())
        .and_then(|s| s.arn.as_deref())
        .or_else(|| {
            status
                .and_then(|s| s.attempts.iter().flat_map(|a| &a.tasks).next())
                .map(|t| t.task_arn.as_str())
        });
    clean_up_governed(ctx, FARGATE_TASK, ft, arn, async |governed| {
        engine::task::cleanup_fargate_task(&governed.aws, ft, ctx.settings.max_passes).await
    })
    .await
}

/// How long until a finished run's object is deleted (zero: now); None when it is not
/// finished or has no `ttlSecondsAfterFinished`.
pub fn ttl_left(ft: &FargateTask, status: &FargateTaskStatus, now: Timestamp) -> Option<Duration> {
    let ttl = ft.spec.ttl_seconds_after_finished?;
    if !status.phase.is_some_and(TaskPhase::finished) {
        return None;
    }
    let finished: Timestamp = status.finished_at.as_deref()?.parse().ok()?;
    let left = finished.as_second() + ttl - now.as_second();
    Some(Duration::from_secs(left.max(0).unsigned_abs()))
}

/// Deletes the object (only this incarnation: a UID precondition) once its TTL passed; the
/// finalizer's cleanup then runs as for any deletion.
async fn delete_finished(ctx: &Context, ft: &FargateTask) -> Result<(), Error> {
    let api: Api<FargateTask> = Api::namespaced(
        ctx.client.clone(),
        ft.namespace().as_deref().unwrap_or("default"),
    );
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: ft.uid(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    tracing::info!(object = %object_key(FARGATE_TASK, ft), "ttlSecondsAfterFinished passed; deleting");
    match api.delete(&ft.name_any(), &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
        Err(e) => Err(Error::Kube(e)),
    }
}

/// A run as a status records it: its attempts, phase and failure.
#[derive(Clone, Copy)]
pub(super) struct RunRecord<'a> {
    pub attempts: &'a [TaskAttempt],
    pub phase: Option<TaskPhase>,
    pub failure: Option<&'a str>,
}

/// The Event reasons of a run that failed and one that succeeded, and what it is called.
#[derive(Clone, Copy)]
pub(super) struct RunReasons {
    pub failed: &'static str,
    pub succeeded: &'static str,
    /// `the run`: how the success Event names it.
    pub what: &'static str,
    /// `attempt`: how a failed attempt's Event names it.
    pub attempt: &'static str,
}

/// A FargateTask's run.
const TASK_RUN: RunReasons = RunReasons {
    failed: reasons::RUN_FAILED,
    succeeded: reasons::RUN_SUCCEEDED,
    what: "the run",
    attempt: "attempt",
};

async fn task_run_events(ctx: &Context, ft: &FargateTask, status: &FargateTaskStatus) {
    fn record(s: &FargateTaskStatus) -> RunRecord<'_> {
        RunRecord {
            attempts: &s.attempts,
            phase: s.phase,
            failure: s.failure.as_deref(),
        }
    }
    let previous = ft
        .status
        .as_ref()
        .filter(|p| p.run_generation == status.run_generation);
    run_events(ctx, ft, previous.map(record), record(status), TASK_RUN).await;
}

/// A Warning Event for each attempt that failed since the last status (`before`: the same
/// run as it recorded it; its reason names the exit code), one for a run that failed, and
/// a Normal one for a run that succeeded.
pub(super) async fn run_events<K: kube::Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    before: Option<RunRecord<'_>>,
    now: RunRecord<'_>,
    labels: RunReasons,
) {
    let was_failed = |n: i32| {
        before.is_some_and(|p| {
            p.attempts
                .iter()
                .any(|a| a.attempt == n && a.outcome == TaskPhase::Failed)
        })
    };
    for a in now
        .attempts
        .iter()
        .filter(|a| a.outcome == TaskPhase::Failed)
    {
        if !was_failed(a.attempt) {
            let why = a.reason.clone().unwrap_or_default();
            let note = format!("{} {} failed: {why}", labels.attempt, a.attempt);
            let action = format!("Attempt {}", a.attempt);
            emit(ctx, obj, EventType::Warning, ATTEMPT_FAILED, &action, note).await;
        }
    }
    let phase_before = before.and_then(|p| p.phase);
    match (now.phase, phase_before) {
        (Some(TaskPhase::Failed), b) if b != Some(TaskPhase::Failed) => {
            let note = now.failure.unwrap_or_default().to_owned();
            emit(ctx, obj, EventType::Warning, labels.failed, "Run", note).await;
        }
        (Some(TaskPhase::Succeeded), b) if b != Some(TaskPhase::Succeeded) => {
            let note = format!(
                "{} succeeded after {} attempt(s)",
                labels.what,
                now.attempts.len()
            );
            emit(ctx, obj, EventType::Normal, labels.succeeded, "Run", note).await;
        }
        _ => {}
    }
}

/// Whether a run a schedule started has not finished.
fn scheduled_run_running(status: &FargateTaskStatus) -> bool {
    status.schedule.as_ref().is_some_and(|s| {
        s.recent_runs
            .iter()
            .any(|r| r.outcome == TaskPhase::Running)
    })
}

/// A Warning Event for each run of a schedule that failed since the last status (naming
/// the exit code, or why the task stopped).
async fn scheduled_run_events(ctx: &Context, ft: &FargateTask, status: &FargateTaskStatus) {
    let Some(schedule) = &status.schedule else {
        return;
    };
    let known_failed = |arn: &str| {
        ft.status
            .as_ref()
            .and_then(|p| p.schedule.as_ref())
            .is_some_and(|p| {
                p.recent_runs
                    .iter()
                    .any(|r| r.task.task_arn == arn && r.outcome == TaskPhase::Failed)
            })
    };
    for run in schedule
        .recent_runs
        .iter()
        .filter(|r| r.outcome == TaskPhase::Failed && !known_failed(&r.task.task_arn))
    {
        let id = run
            .task
            .task_arn
            .rsplit('/')
            .next()
            .unwrap_or(&run.task.task_arn);
        let why = run.reason.clone().unwrap_or_default();
        let note = format!("scheduled run (task {id}) failed: {why}");
        emit(
            ctx,
            ft,
            EventType::Warning,
            reasons::RUN_FAILED,
            "ScheduledRun",
            note,
        )
        .await;
    }
}

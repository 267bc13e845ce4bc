//! The gate a FargateService's `spec.deployment.preDeploy` puts before a new revision: when
//! the service would move to a revision (an UpdateService changing its task definition, or
//! the CreateService of a new service: a pre-install migration), the preDeploy task runs
//! first, and only the revision change waits for it; the service's other changes (count,
//! scaling, network...) go through meanwhile. A success is recorded per revision in
//! `status.preDeploy` (and read back from the tasks ECS still lists), so one revision never
//! runs it twice; a failure after `backoffLimit` retries, or the deadline, holds the
//! revision (Degraded, `PreDeployFailed`) while the running one keeps serving, until a new
//! generation of the service or a new revision.
//!
//! The run is a FargateTask's ([`super::task`]: the same attempts, outcomes, status
//! records), scoped to the revision it gates and the service generation it started at
//! (the `epoch`). Idempotent across crashes: attempt `n` is RunTask with a client token from
//! the UID, the revision, the epoch and `n`, `startedBy` naming the service, and tags naming
//! all of them; a task found with those tags (re-checked exactly) is that attempt, and the
//! epoch is read back from the tasks too, so a lost status runs nothing new.
//!
//! A revision ECS rolled back is never a target: [`super::rollback::hold`] keeps the running
//! revision first, and the service already runs that one.

use k8s_openapi::jiff::Timestamp;

use super::model::TaskDefinitionRef;
use super::task::{
    next_attempt, owned, placed, scoped_run_state, still_running, stop, stop_in_scope, ObservedRun,
    RunScope, RunState, RunTaskBody,
};
use super::{Action, Note, Owner};
use crate::api::fargateservice::FargateServiceSpec;
use crate::api::fargatetask::TaskPhase;
use crate::api::names::{pre_deploy_client_token, pre_deploy_label, pre_deploy_tags, started_by};
use crate::api::predeploy::{PreDeploySpec, PreDeployStatus};
use crate::api::{reasons, GENERATION_TAG, PRE_DEPLOY_TAG};

/// What the gate reads besides the spec and the observation.
#[derive(Clone, Copy, Debug, Default)]
pub struct PreDeployInputs<'a> {
    /// `status.preDeploy` as last written.
    pub previous: Option<&'a PreDeployStatus>,
    /// With `preDeploy.taskDefinitionRef`: that TaskDefinition's registered revision (None
    /// until it has one).
    pub task_definition_arn: Option<&'a str>,
    pub now: Timestamp,
}

/// The service the gate is for and the revision change it guards.
#[derive(Clone, Copy, Debug)]
pub struct GateInputs<'a> {
    pub owner: &'a Owner,
    pub spec: &'a FargateServiceSpec,
    /// The revision the live service runs (None: no service yet).
    pub running: Option<&'a TaskDefinitionRef>,
    /// The revision the planner would deploy.
    pub target: &'a TaskDefinitionRef,
    pub inputs: PreDeployInputs<'a>,
}

/// The gate's answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gate {
    /// RunTask for the next attempt, StopTask past the deadline or for superseded runs.
    pub actions: Vec<Action>,
    /// `PreDeployRunning` or `PreDeployFailed` while the revision is held.
    pub notes: Vec<Note>,
    /// The service must not move to the target yet.
    pub hold: bool,
    /// `status.preDeploy` after this plan.
    pub status: Option<PreDeployStatus>,
}

/// The spec's preDeploy, if it has one.
pub fn pre_deploy_of(spec: &FargateServiceSpec) -> Option<&PreDeploySpec> {
    spec.deployment.as_ref()?.pre_deploy.as_ref()
}

/// Whether a reconcile must read the service's preDeploy tasks (ListTasks by `startedBy`):
/// the spec has a preDeploy and the service is not known to run `desired` (the revision
/// its TaskDefinition has, or a pin), or the last status shows a run that has not
/// finished (to stop it if the preDeploy was removed). A service settled on its revision
/// costs no read.
pub fn reads_runs(
    spec: &FargateServiceSpec,
    previous: Option<&PreDeployStatus>,
    running: Option<&TaskDefinitionRef>,
    desired: Option<&str>,
    pinned: bool,
) -> bool {
    let moving =
        pinned || desired.is_some_and(|d| running.map(|r| r.to_string()).as_deref() != Some(d));
    (pre_deploy_of(spec).is_some() && moving) || previous.is_some_and(|p| !p.phase.finished())
}

/// Plans the gate (see the module doc). `observed`: the service's preDeploy tasks (None:
/// not read; the gate then holds and starts nothing).
pub fn gate(g: GateInputs<'_>, observed: Option<&ObservedRun>) -> Gate {
    let Some(pd) = pre_deploy_of(g.spec) else {
        return Gate {
            actions: stop_others(g, observed, None, "spec.deployment.preDeploy was removed"),
            ..Gate::default()
        };
    };
    let previous = g.inputs.previous;
    if g.running == Some(g.target) {
        return on_target(g, pd, observed);
    }
    let TaskDefinitionRef::Arn(target) = g.target else {
        return held(
            reasons::PRE_DEPLOY_RUNNING,
            format!(
                "{} before the service moves to the revision this plan registers",
                describe(pd)
            ),
            None,
        );
    };
    if let Some(p) = previous
        .filter(|p| &p.target_task_definition_arn == target && p.phase == TaskPhase::Succeeded)
    {
        return Gate {
            actions: stop_others(
                g,
                observed,
                None,
                "its revision's preDeploy already succeeded",
            ),
            status: Some(p.clone()),
            ..Gate::default()
        };
    }
    let Some(observed) = observed else {
        return held(
            reasons::PRE_DEPLOY_RUNNING,
            format!(
                "{} before revision {}: its tasks were not read yet",
                describe(pd),
                short(target)
            ),
            previous.cloned(),
        );
    };
    let run_arn = match (&pd.task_definition_arn, &pd.task_definition_ref) {
        (Some(arn), _) => arn.as_str(),
        (None, Some(r)) => match g.inputs.task_definition_arn {
            Some(arn) => arn,
            None => {
                return held(
                    reasons::WAITING_FOR_TASK_DEFINITION,
                    format!("the preDeploy task waits for TaskDefinition {} to have a registered revision; revision {} is held until it ran", r.name, short(target)),
                    previous.cloned(),
                )
            }
        },
        (None, None) => target.as_str(),
    };
    run_gate(g, pd, Run { target, run_arn }, observed)
}

/// The service runs the revision the planner deploys: nothing is held. The run recorded for
/// that revision is brought up to date (it just succeeded, and the revision moved in this
/// same reconcile) and left alone; other runs still going are stopped.
fn on_target(g: GateInputs<'_>, pd: &PreDeploySpec, observed: Option<&ObservedRun>) -> Gate {
    let previous = g.inputs.previous;
    let recorded = previous.filter(|p| *g.target == p.target_task_definition_arn);
    let scope = recorded.map(|p| scope(g, pd, &p.target_task_definition_arn, p.generation));
    let status = match (recorded, observed, &scope) {
        (Some(p), Some(o), Some(s)) if !p.phase.finished() => {
            let r = Run {
                target: &p.target_task_definition_arn,
                run_arn: p
                    .task_definition_arn
                    .as_deref()
                    .unwrap_or(&p.target_task_definition_arn),
            };
            Some(status_of(g, r, p.generation, &scoped_run_state(s, o)))
        }
        _ => previous.cloned(),
    };
    Gate {
        actions: stop_others(
            g,
            observed,
            scope.as_ref(),
            "the service runs another revision",
        ),
        status,
        ..Gate::default()
    }
}

/// The revision gated and the revision the task runs.
#[derive(Clone, Copy)]
struct Run<'a> {
    target: &'a str,
    run_arn: &'a str,
}

/// The gate once the revisions are known and the tasks read: the run of the current epoch,
/// what it needs next, and whether the revision is held.
fn run_gate(g: GateInputs<'_>, pd: &PreDeploySpec, r: Run<'_>, observed: &ObservedRun) -> Gate {
    let mut epoch = epoch_of(g, r.target, observed);
    let mut run = scoped_run_state(&scope(g, pd, r.target, epoch), observed);
    if run.phase == TaskPhase::Failed && g.owner.generation > failed_generation(g, r, epoch) {
        // A new generation of the service retries a failed preDeploy.
        epoch = g.owner.generation;
        run = scoped_run_state(&scope(g, pd, r.target, epoch), observed);
    }
    let scope = scope(g, pd, r.target, epoch);
    let mut out = Gate {
        actions: stop_others(
            g,
            Some(observed),
            Some(&scope),
            "superseded by the preDeploy of another revision",
        ),
        hold: run.phase != TaskPhase::Succeeded,
        ..Gate::default()
    };
    let cluster = g.spec.cluster.name.as_str();
    let revision = short(r.target);
    let attempts = format!(
        "attempt {} of at most {}",
        run.attempts.len().max(1),
        pd.backoff_limit + 1
    );
    match (run.phase, &run.failure) {
        (TaskPhase::Succeeded, _) => {}
        (TaskPhase::Failed, failure) => {
            if failure
                .as_ref()
                .is_some_and(|(reason, _)| *reason == reasons::DEADLINE_EXCEEDED)
            {
                out.actions.extend(stop_in_scope(
                    &scope,
                    cluster,
                    observed,
                    "preDeploy activeDeadlineSeconds exceeded",
                ));
            }
            let why = failure.as_ref().map_or("it failed", |(_, m)| m.as_str());
            let running = g
                .running
                .map_or("no revision (the service is not created)".to_owned(), |s| {
                    short(&s.to_string())
                });
            out.notes.push(Note {
                reason: reasons::PRE_DEPLOY_FAILED,
                message: format!(
                    "the preDeploy task of revision {revision} failed: {why}{}; the service keeps {running}. A new generation of this FargateService (any spec change) or a new revision runs it again",
                    stopped_reason(&run).map(|s| format!(" (task stopped: {s})")).unwrap_or_default()
                ),
            });
        }
        (TaskPhase::Pending, _) if next_attempt(&run).is_some() => {
            let attempt = next_attempt(&run).unwrap_or(1);
            out.actions.push(Action::RunTask {
                body: Box::new(body(g, pd, r, epoch, attempt)),
                attempt,
            });
            out.notes.push(running_note(
                pd,
                &revision,
                &format!(
                    "attempt {attempt} of at most {} is being started",
                    pd.backoff_limit + 1
                ),
            ));
        }
        _ => out
            .notes
            .push(running_note(pd, &revision, &format!("{attempts} runs"))),
    }
    out.status = Some(status_of(g, r, epoch, &run));
    out
}

fn running_note(pd: &PreDeploySpec, revision: &str, what: &str) -> Note {
    Note {
        reason: reasons::PRE_DEPLOY_RUNNING,
        message: format!(
            "{} before the service moves to revision {revision}: {what}",
            describe(pd)
        ),
    }
}

/// A held revision with one note.
fn held(reason: &'static str, message: String, status: Option<PreDeployStatus>) -> Gate {
    Gate {
        notes: vec![Note { reason, message }],
        hold: true,
        status,
        ..Gate::default()
    }
}

/// `the preDeploy task (./manage migrate) runs`.
fn describe(pd: &PreDeploySpec) -> String {
    let command = pd
        .overrides
        .iter()
        .flat_map(|o| &o.containers)
        .find(|c| !c.command.is_empty())
        .map(|c| format!(" ({})", c.command.join(" ")))
        .unwrap_or_default();
    format!("the preDeploy task{command} runs")
}

/// `family:revision` of a revision ARN.
fn short(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

/// The stoppedReason of the last attempt's first stopped task.
fn stopped_reason(run: &RunState) -> Option<String> {
    run.attempts
        .last()?
        .tasks
        .iter()
        .find_map(|t| t.stopped_reason.clone())
}

/// The service generation the run of `target` started at: the newest the status or the
/// tasks ECS lists name for it (so a lost status finds the run again), else this one.
fn epoch_of(g: GateInputs<'_>, target: &str, observed: &ObservedRun) -> i64 {
    let label = pre_deploy_label(target);
    let from_status = g
        .inputs
        .previous
        .filter(|p| p.target_task_definition_arn == target)
        .map(|p| p.generation);
    let from_tasks = owned(g.owner, observed)
        .filter(|t| t.tags.get(PRE_DEPLOY_TAG) == Some(&label))
        .filter_map(|t| t.tags.get(GENERATION_TAG)?.parse::<i64>().ok());
    from_status
        .into_iter()
        .chain(from_tasks)
        .max()
        .unwrap_or(g.owner.generation)
}

/// The run of `target` started at `epoch`.
fn scope<'a>(g: GateInputs<'a>, pd: &PreDeploySpec, target: &str, epoch: i64) -> RunScope<'a> {
    let previous = g
        .inputs
        .previous
        .filter(|p| p.target_task_definition_arn == target && p.generation == epoch);
    let mut key = pre_deploy_tags(g.owner, target, epoch, 0);
    key.retain(|k, _| k == GENERATION_TAG || k == PRE_DEPLOY_TAG);
    RunScope {
        owner: g.owner,
        key,
        backoff_limit: pd.backoff_limit,
        active_deadline_seconds: pd.active_deadline_seconds,
        previous_attempts: previous.map_or(&[], |p| p.attempts.as_slice()),
        previous_started_at: previous.and_then(|p| p.started_at.as_deref()),
        now: g.inputs.now,
    }
}

/// StopTask for the service's preDeploy tasks that still run outside `keep` (any, when
/// None).
fn stop_others(
    g: GateInputs<'_>,
    observed: Option<&ObservedRun>,
    keep: Option<&RunScope<'_>>,
    why: &str,
) -> Vec<Action> {
    let Some(observed) = observed else {
        return vec![];
    };
    owned(g.owner, observed)
        .filter(|t| t.tags.contains_key(PRE_DEPLOY_TAG) && still_running(t))
        .filter(|t| !keep.is_some_and(|s| s.contains(t)))
        .map(|t| stop(&g.spec.cluster.name, t, why))
        .collect()
}

/// RunTask for attempt `attempt`: the service's cluster, platform version, network and
/// strategy unless the preDeploy gives its own, one task.
fn body(
    g: GateInputs<'_>,
    pd: &PreDeploySpec,
    r: Run<'_>,
    epoch: i64,
    attempt: i32,
) -> RunTaskBody {
    let spec = g.spec;
    let strategy = if pd.capacity_provider_strategy.is_empty() {
        &spec.capacity_provider_strategy
    } else {
        &pd.capacity_provider_strategy
    };
    let mut tags = spec.tags.clone();
    tags.extend(pre_deploy_tags(g.owner, r.target, epoch, attempt));
    RunTaskBody {
        cluster: spec.cluster.name.clone(),
        task_definition_arn: r.run_arn.to_owned(),
        started_by: started_by(g.owner),
        client_token: pre_deploy_client_token(g.owner, r.target, epoch, attempt),
        tags,
        platform_version: spec.platform_version.clone(),
        overrides: pd.overrides.clone(),
        ..placed(strategy, pd.network.as_ref().unwrap_or(&spec.network))
    }
}

/// The service generation at which the run of `r.target` at `epoch` was first seen failed:
/// the status's, or this one.
fn failed_generation(g: GateInputs<'_>, r: Run<'_>, epoch: i64) -> i64 {
    g.inputs
        .previous
        .filter(|p| p.target_task_definition_arn == r.target && p.generation == epoch)
        .and_then(|p| p.failed_generation)
        .unwrap_or(g.owner.generation)
}

/// `status.preDeploy` for the run of `r.target` at `epoch`.
fn status_of(g: GateInputs<'_>, r: Run<'_>, epoch: i64, run: &RunState) -> PreDeployStatus {
    let same = g
        .inputs
        .previous
        .filter(|p| p.target_task_definition_arn == r.target && p.generation == epoch);
    PreDeployStatus {
        target_task_definition_arn: r.target.to_owned(),
        task_definition_arn: Some(r.run_arn.to_owned()),
        generation: epoch,
        phase: run.phase,
        attempt_count: run.attempts.len() as i32,
        started_at: run.started_at.clone(),
        finished_at: run.phase.finished().then(|| {
            same.and_then(|p| p.finished_at.clone())
                .unwrap_or_else(|| g.inputs.now.to_string())
        }),
        failed_generation: (run.phase == TaskPhase::Failed).then(|| failed_generation(g, r, epoch)),
        failure: run.failure.as_ref().map(|(_, m)| m.clone()),
        attempts: run.attempts.clone(),
    }
}

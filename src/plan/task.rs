//! The planner of a FargateTask's one-off run: from the spec, what the previous status
//! recorded and the tasks ECS reports (found by `startedBy` and by the ARNs the status
//! names, their ownership tags re-checked exactly), the attempts so far, the phase, and the
//! next AWS change: RunTask for the next attempt, StopTask when the deadline passed (or an
//! older generation's task still runs), or nothing while a task runs. Pure: the clock is an
//! input.
//!
//! Idempotent across crashes: attempt `n` of generation `g` is RunTask with a client token
//! derived from the UID, `g` and `n`, and its tasks carry `g` and `n` as tags; a task of
//! this object, generation and attempt found in ECS is that attempt, so a crash between
//! RunTask and the status write runs nothing new (and ECS answers a repeated RunTask with
//! the same token, within 24 hours, with the tasks it already started).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::model::{ContainerDef, NetworkDef, ObservedRevision, StrategyItem, Tags};
use super::{Action, Note, Owner, Ownership, Plan, PlanError};
use crate::api::fargateservice::{CapacityProviderStrategyItem, NetworkSpec};
use crate::api::fargatetask::{
    ContainerRun, FargateTaskSpec, FargateTaskStatus, TaskAttempt, TaskOverrides, TaskPhase,
    TaskRun,
};
use crate::api::names::{log_stream_name, run_client_token, run_tags, started_by};
use crate::api::{reasons, ATTEMPT_TAG, GENERATION_TAG};

/// ECS's lastStatus of a stopped task.
pub const STOPPED: &str = "STOPPED";

/// StopTask's `reason` is at most 255 characters (API reference).
const STOP_REASON_MAX: usize = 255;

/// Everything RunTask needs for one attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTaskBody {
    pub cluster: String,
    pub task_definition_arn: String,
    pub count: i32,
    pub started_by: String,
    pub client_token: String,
    /// The ownership, generation and attempt tags, then the spec's.
    pub tags: Tags,
    /// `Some("FARGATE")` when no strategy is used.
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Vec<StrategyItem>,
    pub platform_version: Option<String>,
    pub network: NetworkDef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverrides>,
}

/// Which tasks ECS's desiredStatus filter of ListTasks asks for (it lists one at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DesiredStatus {
    Running,
    Stopped,
}

/// What ListTasks filters on: a service's tasks, the tasks one `startedBy` started, or the
/// tasks of a task-definition family (a schedule's runs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TaskFilter {
    Service(String),
    StartedBy(String),
    Family(String),
}

/// A task as DescribeTasks reports it (with its tags).
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedTask {
    pub task_arn: String,
    pub last_status: String,
    pub desired_status: String,
    pub task_definition_arn: String,
    pub started_by: Option<String>,
    /// RFC 3339.
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    pub stopped_reason: Option<String>,
    pub stop_code: Option<String>,
    pub tags: Tags,
    pub containers: Vec<ObservedContainer>,
}

/// A container of an observed task.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedContainer {
    pub name: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

/// What a FargateTask's reconcile reads.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ObservedRun {
    /// Tasks ECS listed for the object's `startedBy`, and the ones the status names.
    pub tasks: Vec<ObservedTask>,
    /// ARNs the status names that ECS no longer knows (it forgets stopped tasks after
    /// about an hour).
    pub missing: BTreeSet<String>,
    /// The revision run, for the containers' essential flags and log settings.
    pub revision: Option<ObservedRevision>,
    /// The cluster does not exist (read only when no task of the object was found).
    pub cluster_missing: bool,
    /// A scheduled FargateTask's schedule, role and cluster (`plan --observe`; None: not
    /// read).
    pub schedule: Option<super::schedule::ObservedScheduled>,
}

/// What the FargateTask planner takes besides the observation.
#[derive(Clone, Copy, Debug)]
pub struct TaskInputs<'a> {
    pub owner: &'a Owner,
    pub spec: &'a FargateTaskSpec,
    /// The revision to run (None: the referenced TaskDefinition has none yet).
    pub task_definition_arn: Option<&'a str>,
    pub previous: Option<&'a FargateTaskStatus>,
    pub now: Timestamp,
}

/// Which tasks make up one run and the limits it runs under: a FargateTask's generation
/// ([`task_scope`]), or a FargateService's preDeploy run of one revision
/// ([`super::predeploy`]). Pure: the clock is an input.
#[derive(Clone, Debug)]
pub struct RunScope<'a> {
    pub owner: &'a Owner,
    /// Tags every task of this run carries besides the ownership tags, matched exactly.
    pub key: Tags,
    pub backoff_limit: i32,
    pub active_deadline_seconds: Option<i64>,
    /// The attempts the status recorded for this run.
    pub previous_attempts: &'a [TaskAttempt],
    /// When the status recorded the run started.
    pub previous_started_at: Option<&'a str>,
    pub now: Timestamp,
}

impl RunScope<'_> {
    /// Whether `t` is a task of this run: the owner's, carrying every key tag.
    pub fn contains(&self, t: &ObservedTask) -> bool {
        self.owner.ownership(&t.tags) == Ownership::Owned
            && self
                .key
                .iter()
                .all(|(k, v)| t.tags.get(k).is_some_and(|got| got == v))
    }
}

/// The run of a FargateTask's current generation.
pub fn task_scope<'a>(inputs: TaskInputs<'a>) -> RunScope<'a> {
    let owner = inputs.owner;
    let previous = inputs
        .previous
        .filter(|p| p.run_generation == Some(owner.generation));
    RunScope {
        owner,
        key: [(GENERATION_TAG.to_owned(), owner.generation.to_string())].into(),
        backoff_limit: inputs.spec.backoff_limit,
        active_deadline_seconds: inputs.spec.active_deadline_seconds,
        previous_attempts: previous.map_or(&[], |p| p.attempts.as_slice()),
        previous_started_at: previous.and_then(|p| p.started_at.as_deref()),
        now: inputs.now,
    }
}

/// Where the run of this generation is.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RunState {
    pub phase: TaskPhase,
    /// Attempts of this generation, oldest first.
    pub attempts: Vec<TaskAttempt>,
    /// When the first attempt's tasks were created (RFC 3339).
    pub started_at: Option<String>,
    /// `(reason, message)` of a failed run.
    pub failure: Option<(&'static str, String)>,
}

/// The plan and the run state it was made from.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskPlan {
    pub plan: Plan,
    pub run: RunState,
}

/// Plans a FargateTask's next step (see the module doc).
pub fn plan_fargate_task(
    inputs: TaskInputs<'_>,
    observed: &ObservedRun,
) -> Result<TaskPlan, PlanError> {
    let run = run_state(inputs, observed);
    let mut plan = Plan::default();
    plan.actions
        .extend(stop_older_generations(inputs, observed));
    match (run.phase, run.failure.as_ref()) {
        (TaskPhase::Failed, Some((reason, _))) if *reason == reasons::DEADLINE_EXCEEDED => {
            plan.actions.extend(stop_in_scope(
                &task_scope(inputs),
                &inputs.spec.cluster.name,
                observed,
                "activeDeadlineSeconds exceeded",
            ));
        }
        (TaskPhase::Pending, _) if next_attempt(&run).is_some() => {
            let Some(arn) = inputs.task_definition_arn else {
                return Err(PlanError::Waiting {
                    reason: reasons::WAITING_FOR_TASK_DEFINITION,
                    message: "the referenced TaskDefinition has no registered revision for its current generation yet".into(),
                });
            };
            if observed.cluster_missing {
                return Err(PlanError::Waiting {
                    reason: reasons::CLUSTER_NOT_FOUND,
                    message: format!(
                        "ECS cluster {} does not exist; a FargateTask never creates one (a FargateService can)",
                        inputs.spec.cluster.name
                    ),
                });
            }
            let attempt = next_attempt(&run).unwrap_or(1);
            plan.actions.push(Action::RunTask {
                body: Box::new(run_task_body(inputs, arn, attempt)),
                attempt,
            });
        }
        _ => {}
    }
    if run.attempts.len() > 1 && !run.phase.finished() {
        plan.notes.push(Note {
            reason: reasons::TASK_RUNNING,
            message: format!(
                "attempt {} of at most {}",
                run.attempts.len(),
                inputs.spec.backoff_limit + 1
            ),
        });
    }
    Ok(TaskPlan { plan, run })
}

/// The attempt to start now, if one is due: the first, or the next after a failed one.
pub(crate) fn next_attempt(run: &RunState) -> Option<i32> {
    match run.attempts.last() {
        None => Some(1),
        Some(a) if a.outcome == TaskPhase::Failed => Some(a.attempt + 1),
        Some(_) => None,
    }
}

/// RunTask for attempt `attempt` of this generation.
pub fn run_task_body(inputs: TaskInputs<'_>, arn: &str, attempt: i32) -> RunTaskBody {
    let spec = inputs.spec;
    let mut tags = spec.tags.clone();
    tags.extend(run_tags(inputs.owner, attempt));
    RunTaskBody {
        cluster: spec.cluster.name.clone(),
        task_definition_arn: arn.to_owned(),
        count: spec.count,
        started_by: started_by(inputs.owner),
        client_token: run_client_token(inputs.owner, attempt),
        tags,
        platform_version: spec.platform_version.clone(),
        overrides: spec.overrides.clone(),
        ..placed(&spec.capacity_provider_strategy, &spec.network)
    }
}

/// A RunTask body placed by `strategy` (FARGATE when empty) in `network`; the rest empty.
pub(crate) fn placed(
    strategy: &[CapacityProviderStrategyItem],
    network: &NetworkSpec,
) -> RunTaskBody {
    let strategy = super::service::strategy_items(strategy);
    RunTaskBody {
        cluster: String::new(),
        task_definition_arn: String::new(),
        count: 1,
        started_by: String::new(),
        client_token: String::new(),
        tags: Tags::new(),
        launch_type: strategy.is_empty().then(|| "FARGATE".to_owned()),
        capacity_provider_strategy: strategy,
        platform_version: None,
        network: NetworkDef {
            subnets: network.subnets.clone(),
            security_groups: network.security_groups.clone(),
            assign_public_ip: network.assign_public_ip,
        },
        overrides: None,
    }
}

/// Whether ECS still runs (or is about to stop) `t`: not stopped, and not told to stop.
pub(crate) fn still_running(t: &ObservedTask) -> bool {
    t.last_status != STOPPED && t.desired_status != STOPPED
}

fn generation_of(t: &ObservedTask) -> Option<i64> {
    t.tags.get(GENERATION_TAG).and_then(|g| g.parse().ok())
}

pub(crate) fn owned<'a>(
    owner: &'a Owner,
    observed: &'a ObservedRun,
) -> impl Iterator<Item = &'a ObservedTask> {
    observed
        .tasks
        .iter()
        .filter(move |t| owner.ownership(&t.tags) == Ownership::Owned)
}

/// StopTask for the tasks of the run `scope` that still run.
pub(crate) fn stop_in_scope(
    scope: &RunScope<'_>,
    cluster: &str,
    observed: &ObservedRun,
    why: &str,
) -> Vec<Action> {
    observed
        .tasks
        .iter()
        .filter(|t| scope.contains(t) && still_running(t))
        .map(|t| stop(cluster, t, why))
        .collect()
}

/// StopTask for this object's tasks of older generations that still run: a new generation's
/// run replaces them.
fn stop_older_generations(inputs: TaskInputs<'_>, observed: &ObservedRun) -> Vec<Action> {
    owned(inputs.owner, observed)
        .filter(|t| generation_of(t).is_some_and(|g| g < inputs.owner.generation))
        .filter(|t| still_running(t))
        .map(|t| {
            stop(
                &inputs.spec.cluster.name,
                t,
                "replaced by a newer generation of its FargateTask",
            )
        })
        .collect()
}

pub(crate) fn stop(cluster: &str, t: &ObservedTask, why: &str) -> Action {
    let mut reason = format!("fargate-operator: {why}");
    reason.truncate(STOP_REASON_MAX);
    Action::StopTask {
        cluster: cluster.to_owned(),
        task_arn: t.task_arn.clone(),
        reason,
    }
}

/// The deletion plan: StopTask for every task of this object ECS still runs (any
/// generation). Tasks of another owner are never touched.
pub fn plan_fargate_task_delete(owner: &Owner, cluster: &str, observed: &ObservedRun) -> Plan {
    Plan {
        actions: owned(owner, observed)
            .filter(|t| still_running(t))
            .map(|t| stop(cluster, t, "its FargateTask was deleted"))
            .collect(),
        ..Plan::default()
    }
}

/// The attempts of this generation (the status's, updated from what ECS reports), the
/// phase they add up to, and why the run failed.
pub fn run_state(inputs: TaskInputs<'_>, observed: &ObservedRun) -> RunState {
    scoped_run_state(&task_scope(inputs), observed)
}

/// The attempts of the run `scope` (the status's, updated from what ECS reports), the
/// phase they add up to, and why the run failed.
pub fn scoped_run_state(scope: &RunScope<'_>, observed: &ObservedRun) -> RunState {
    let mut attempts: BTreeMap<i32, TaskAttempt> = scope
        .previous_attempts
        .iter()
        .map(|a| (a.attempt, a.clone()))
        .collect();
    let tasks = || observed.tasks.iter().filter(|t| scope.contains(t));
    for t in tasks() {
        let Some(n) = t.tags.get(ATTEMPT_TAG).and_then(|a| a.parse::<i32>().ok()) else {
            continue;
        };
        let entry = attempts.entry(n).or_insert_with(|| TaskAttempt {
            attempt: n,
            ..Default::default()
        });
        let run = task_run(t, containers_of(observed));
        match entry.tasks.iter_mut().find(|r| r.task_arn == t.task_arn) {
            Some(r) => *r = run,
            None => entry.tasks.push(run),
        }
    }
    let mut attempts: Vec<TaskAttempt> = attempts.into_values().collect();
    for a in &mut attempts {
        forget_missing(a, &observed.missing);
        a.tasks.sort_by(|x, y| x.task_arn.cmp(&y.task_arn));
        let (outcome, reason) = outcome(&a.tasks, containers_of(observed));
        a.outcome = outcome;
        a.reason = reason;
    }
    let started_at = scope
        .previous_started_at
        .map(str::to_owned)
        .into_iter()
        .chain(tasks().filter_map(|t| t.created_at.clone()))
        .min();
    let (phase, failure) = phase(scope, &attempts, started_at.as_deref());
    RunState {
        phase,
        attempts,
        started_at,
        failure,
    }
}

/// A task the status names that ECS no longer knows stopped long ago (ECS keeps stopped
/// tasks for about an hour); what the status last saw of it stays.
fn forget_missing(a: &mut TaskAttempt, missing: &BTreeSet<String>) {
    for r in a.tasks.iter_mut().filter(|r| missing.contains(&r.task_arn)) {
        if r.last_status != STOPPED {
            r.last_status = STOPPED.to_owned();
            r.stopped_reason
                .get_or_insert_with(|| "ECS no longer knows this task".to_owned());
        }
    }
}

/// The phase of the run and why it failed.
fn phase(
    scope: &RunScope<'_>,
    attempts: &[TaskAttempt],
    started_at: Option<&str>,
) -> (TaskPhase, Option<(&'static str, String)>) {
    let Some(last) = attempts.last() else {
        return (TaskPhase::Pending, None);
    };
    if last.outcome == TaskPhase::Succeeded {
        return (TaskPhase::Succeeded, None);
    }
    let deadline = scope
        .active_deadline_seconds
        .zip(started_at)
        .and_then(|(d, s)| {
            let start: Timestamp = s.parse().ok()?;
            let elapsed = scope.now.as_second() - start.as_second();
            (elapsed > d).then_some((d, elapsed))
        });
    if let Some((d, elapsed)) = deadline {
        let message = format!(
            "activeDeadlineSeconds ({d}) exceeded: the run started {elapsed} s ago; its tasks were stopped"
        );
        return (
            TaskPhase::Failed,
            Some((reasons::DEADLINE_EXCEEDED, message)),
        );
    }
    match last.outcome {
        TaskPhase::Failed if last.attempt > scope.backoff_limit => {
            let why = last.reason.clone().unwrap_or_else(|| "failed".into());
            let message = format!(
                "attempt {} of {} failed: {why}",
                last.attempt,
                scope.backoff_limit + 1
            );
            (TaskPhase::Failed, Some((reasons::RUN_FAILED, message)))
        }
        // The next attempt is due.
        TaskPhase::Failed => (TaskPhase::Pending, None),
        _ if last.tasks.iter().any(|t| is_running(&t.last_status)) => (TaskPhase::Running, None),
        _ => (TaskPhase::Pending, None),
    }
}

/// ECS's lastStatus of a task whose containers run (or are being stopped).
fn is_running(last_status: &str) -> bool {
    matches!(
        last_status,
        "RUNNING" | "DEACTIVATING" | "STOPPING" | "DEPROVISIONING"
    )
}

/// The containers of the revision run, when it was read.
fn containers_of(observed: &ObservedRun) -> Option<&[ContainerDef]> {
    observed
        .revision
        .as_ref()
        .map(|r| r.body.containers.as_slice())
}

/// The status's record of an observed task, with its containers' log group and stream.
pub(crate) fn task_run(t: &ObservedTask, revision: Option<&[ContainerDef]>) -> TaskRun {
    TaskRun {
        task_arn: t.task_arn.clone(),
        last_status: t.last_status.clone(),
        started_at: t.started_at.clone(),
        stopped_at: t.stopped_at.clone(),
        stopped_reason: t.stopped_reason.clone(),
        stop_code: t.stop_code.clone(),
        containers: t
            .containers
            .iter()
            .map(|c| {
                let (group, prefix) = awslogs_of(revision, &c.name);
                ContainerRun {
                    name: c.name.clone(),
                    exit_code: c.exit_code,
                    reason: c.reason.clone(),
                    log_stream: group
                        .as_ref()
                        .and_then(|_| log_stream_name(prefix.as_deref(), &c.name, &t.task_arn)),
                    log_group: group,
                }
            })
            .collect(),
    }
}

/// A container's awslogs group and stream prefix, from the revision run.
fn awslogs_of(
    revision: Option<&[ContainerDef]>,
    container: &str,
) -> (Option<String>, Option<String>) {
    let log = revision
        .and_then(|r| r.iter().find(|c| c.name == container))
        .and_then(|c| c.log_configuration.as_ref())
        .filter(|l| l.log_driver == "awslogs");
    let option = |k: &str| log.and_then(|l| l.options.get(k).cloned());
    (option("awslogs-group"), option("awslogs-stream-prefix"))
}

/// Whether a container of the revision is essential (ECS's default: yes). Without the
/// revision every container counts.
fn essential(revision: Option<&[ContainerDef]>, container: &str) -> bool {
    revision
        .and_then(|r| r.iter().find(|c| c.name == container))
        .is_none_or(|c| c.essential != Some(false))
}

/// How an attempt ended: Running while a task has not stopped; Succeeded when every task
/// stopped with each essential container exiting 0; otherwise Failed, with the first
/// failure (a non-zero exit code, or why the task stopped).
pub(crate) fn outcome(
    tasks: &[TaskRun],
    revision: Option<&[ContainerDef]>,
) -> (TaskPhase, Option<String>) {
    if tasks.is_empty() || tasks.iter().any(|t| t.last_status != STOPPED) {
        return (TaskPhase::Running, None);
    }
    for t in tasks {
        let id = t.task_arn.rsplit('/').next().unwrap_or(&t.task_arn);
        let essentials: Vec<&ContainerRun> = t
            .containers
            .iter()
            .filter(|c| essential(revision, &c.name))
            .collect();
        for c in &essentials {
            match c.exit_code {
                Some(0) => {}
                Some(code) => {
                    let why = c
                        .reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default();
                    return (
                        TaskPhase::Failed,
                        Some(format!(
                            "task {id}: container {} exited with code {code}{why}",
                            c.name
                        )),
                    );
                }
                None => {
                    let why = t.stopped_reason.as_deref().unwrap_or("no exit code");
                    return (
                        TaskPhase::Failed,
                        Some(format!(
                            "task {id}: container {} did not exit: {why}",
                            c.name
                        )),
                    );
                }
            }
        }
        if essentials.is_empty() {
            let why = t.stopped_reason.as_deref().unwrap_or("no container exited");
            return (TaskPhase::Failed, Some(format!("task {id} stopped: {why}")));
        }
    }
    (TaskPhase::Succeeded, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(containers: &[(&str, Option<i32>)], last_status: &str) -> TaskRun {
        TaskRun {
            task_arn: "arn:aws:ecs:us-east-1:1:task/c/abc".into(),
            last_status: last_status.into(),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: containers
                .iter()
                .map(|(n, code)| ContainerRun {
                    name: (*n).into(),
                    exit_code: *code,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn revision(essential: &[(&str, bool)]) -> Vec<ContainerDef> {
        essential
            .iter()
            .map(|(n, e)| ContainerDef {
                name: (*n).into(),
                essential: Some(*e),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn only_essential_containers_decide_an_attempt() {
        let r = revision(&[("app", true), ("sidecar", false)]);
        let t = run(&[("app", Some(0)), ("sidecar", Some(137))], STOPPED);
        assert_eq!(
            outcome(&[t], Some(r.as_slice())),
            (TaskPhase::Succeeded, None)
        );
        let t = run(&[("app", Some(2)), ("sidecar", Some(0))], STOPPED);
        let (phase, why) = outcome(&[t], Some(r.as_slice()));
        assert_eq!(phase, TaskPhase::Failed);
        assert_eq!(
            why.as_deref(),
            Some("task abc: container app exited with code 2")
        );
        // Without the revision every container counts.
        let t = run(&[("app", Some(0)), ("sidecar", Some(137))], STOPPED);
        assert_eq!(outcome(&[t], None).0, TaskPhase::Failed);
    }

    #[test]
    fn a_task_not_stopped_keeps_the_attempt_running() {
        let done = run(&[("app", Some(0))], STOPPED);
        let running = run(&[("app", None)], "RUNNING");
        assert_eq!(outcome(&[done, running], None).0, TaskPhase::Running);
        let no_exit = run(&[("app", None)], STOPPED);
        let (phase, why) = outcome(&[no_exit], None);
        assert_eq!(phase, TaskPhase::Failed);
        assert!(why
            .unwrap()
            .contains("did not exit: Essential container in task exited"));
    }

    #[test]
    fn awslogs_settings_give_group_and_stream() {
        let mut r = revision(&[("app", true)]);
        r[0].log_configuration = Some(crate::plan::model::LogConfigDef {
            log_driver: "awslogs".into(),
            options: [
                ("awslogs-group".to_owned(), "/ecs/shop".to_owned()),
                ("awslogs-stream-prefix".to_owned(), "migrate".to_owned()),
            ]
            .into(),
            secret_options: vec![],
        });
        let t = ObservedTask {
            task_arn: "arn:aws:ecs:us-east-1:1:task/c/0123".into(),
            last_status: "RUNNING".into(),
            containers: vec![ObservedContainer {
                name: "app".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let c = &task_run(&t, Some(r.as_slice())).containers[0];
        assert_eq!(c.log_group.as_deref(), Some("/ecs/shop"));
        assert_eq!(c.log_stream.as_deref(), Some("migrate/app/0123"));
        // Another driver: no group, no stream.
        let c = &task_run(&t, None).containers[0];
        assert_eq!(
            (c.log_group.as_deref(), c.log_stream.as_deref()),
            (None, None)
        );
    }
}

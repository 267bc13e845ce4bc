//! The planner of a scheduled FargateTask (`spec.schedule`): an EventBridge Scheduler
//! schedule whose templated ECS RunTask target starts the TaskDefinition's current revision,
//! and the managed role Scheduler starts it with; its recent runs from the tasks ECS reports.
//! Pure.
//!
//! Ownership: schedules cannot be tagged, so a schedule is this object's when its target
//! puts exactly this object's ownership tags on the tasks it starts (GetSchedule returns
//! them); a schedule of the same name that does not is never changed or deleted.
//!
//! Order: the role (created, or brought in line) before the schedule that names it; on
//! teardown the schedule before its role.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use super::model::{
    NetworkDef, ObservedCluster, ObservedRevision, ObservedRole, RoleRef, StrategyItem, Tags,
};
use super::task::{outcome, task_run, ObservedTask};
use super::taskdef::{plan_role, DesiredRole};
use super::{Action, Owner, Ownership, Plan, PlanConfig, PlanError};
use crate::api::fargatetask::{FargateTaskSpec, TaskOverrides, TaskPhase};
use crate::api::names::{role_name, RoleKind};
use crate::api::schedule::{
    date_text, schedule_name, ScheduleRetryPolicy, ScheduleStatus, ScheduledRun, RECENT_RUNS,
    SCHEDULE_GROUP,
};
use crate::api::{reasons, SCHEDULE_TAG};

/// The inline policy of a managed scheduler role.
pub const SCHEDULER_INLINE_POLICY: &str = "fargate-operator-scheduler";
/// The service that assumes a scheduler role.
pub const SCHEDULER_PRINCIPAL: &str = "scheduler.amazonaws.com";

/// A schedule as the operator writes it (CreateSchedule / UpdateSchedule take all of it).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleBody {
    pub name: String,
    pub group: String,
    pub expression: String,
    /// Always sent (`UTC` unless the spec says otherwise), so what GetSchedule returns
    /// compares with it.
    pub timezone: String,
    /// `State`: ENABLED, or DISABLED while suspended.
    pub enabled: bool,
    /// `StartDate`, whole seconds since the epoch: never one that has passed (see
    /// [`effective_start`]).
    pub start_date: Option<i64>,
    /// `EndDate`, whole seconds since the epoch.
    pub end_date: Option<i64>,
    pub description: String,
    pub target: ScheduleTarget,
}

/// The templated ECS RunTask target of a schedule. The flexible time window is always
/// `OFF` (a job runs at its time) and not part of the body.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleTarget {
    /// `Target.Arn`: the cluster's ARN.
    pub cluster_arn: String,
    /// The role Scheduler assumes: the managed role by name until it is resolved to its
    /// ARN (as GetSchedule reports it).
    pub role: RoleRef,
    pub task_definition_arn: String,
    pub task_count: i32,
    /// `Some("FARGATE")` when no capacity provider strategy is used.
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Vec<StrategyItem>,
    pub platform_version: Option<String>,
    pub network: NetworkDef,
    /// The tasks' tags: the ownership tags, the schedule's name, the spec's.
    pub tags: Tags,
    /// `Target.Input`: RunTask's `overrides` as JSON (how a templated ECS target takes
    /// container overrides), when the spec has any.
    pub input: Option<String>,
    pub maximum_retry_attempts: i32,
    pub maximum_event_age_seconds: i32,
}

/// A schedule as GetSchedule reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedSchedule {
    pub arn: String,
    pub body: ScheduleBody,
}

/// What a scheduled FargateTask's reconcile reads.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ObservedScheduled {
    /// The schedule of this object's name, if one exists (anyone's).
    pub schedule: Option<ObservedSchedule>,
    /// The managed scheduler role, if it exists.
    pub role: Option<ObservedRole>,
    /// The cluster (any status), if it exists.
    pub cluster: Option<ObservedCluster>,
    /// The revision the schedule should run, as ECS describes it.
    pub revision: Option<ObservedRevision>,
    /// Tasks of the revision's family in the cluster (anyone's: filtered by tags here).
    pub tasks: Vec<ObservedTask>,
    /// Every task of the family was listed (running and stopped): a run of the previous
    /// status not among `tasks` is one ECS forgot.
    pub listed: bool,
}

/// What the schedule planner takes besides the observation.
#[derive(Clone, Copy, Debug)]
pub struct ScheduleInputs<'a> {
    pub owner: &'a Owner,
    pub spec: &'a FargateTaskSpec,
    /// The revision to run (None: the referenced TaskDefinition has none yet).
    pub task_definition_arn: Option<&'a str>,
    pub config: &'a PlanConfig,
    /// The clock: which of the spec's dates have passed.
    pub now: k8s_openapi::jiff::Timestamp,
}

/// The period of a `rate(<n> <unit>)` expression in seconds; None for any other.
fn rate_seconds(expression: &str) -> Option<i64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.split_once(' ')?;
    let n: i64 = n.parse().ok()?;
    let unit_seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        _ => return None,
    };
    Some(n.checked_mul(unit_seconds)?).filter(|p| *p > 0)
}

/// The `StartDate` that makes `expression` run as `start` says, given the clock: `start`
/// itself while it is to come. EventBridge Scheduler refuses a `StartDate` more than 5
/// minutes old ("The StartDate you specify cannot be earlier than 5 minutes ago", on
/// CreateSchedule; the API reference sets no rule for UpdateSchedule, which takes the whole
/// schedule again), so one that has passed is never sent: a `cron` schedule runs at its
/// times after now either way (none); a `rate` schedule's times are `start` plus whole
/// periods, so it gets the first of them still to come (the same times).
pub fn effective_start(expression: &str, start: Option<i64>, now: i64) -> Option<i64> {
    let start = start?;
    if start > now {
        return Some(start);
    }
    let period = rate_seconds(expression)?;
    Some(start + ((now - start) / period + 1) * period)
}

/// Whether an `EndDate` has passed: Scheduler starts no more runs.
pub fn ended(end: Option<i64>, now: i64) -> bool {
    end.is_some_and(|e| e <= now)
}

/// Whether a schedule starts no run again at `now`: its end has passed, or (a `rate` one
/// whose start passed) the next of its times is not before its end.
fn finished(b: &ScheduleBody, now: i64) -> bool {
    ended(b.end_date, now) || b.start_date.zip(b.end_date).is_some_and(|(s, e)| s >= e)
}

/// `(StartDate, EndDate)` of the spec as sent at `now`. A schedule that starts no run again
/// gets no start (a start after the end could be refused) and its end, or `now` when its end
/// is still to come but its next time is not before it (a `rate` one whose start passed):
/// without a start it could run before that end.
fn desired_dates(spec: &FargateTaskSpec, expression: &str, now: i64) -> (Option<i64>, Option<i64>) {
    let date = |d: &Option<String>| d.as_deref().and_then(crate::api::schedule::date_seconds);
    let end = date(&spec.end_date);
    if ended(end, now) {
        return (None, end);
    }
    let start = effective_start(expression, date(&spec.start_date), now);
    if start.zip(end).is_some_and(|(s, e)| s >= e) {
        return (None, Some(now));
    }
    (start, end)
}

/// `(partition, region, account)` of an ARN.
fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let _arn = parts.next()?;
    let partition = parts.next()?;
    let _service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    Some((partition, region, account))
}

/// The tags a schedule puts on the tasks it starts (what proves the schedule is ours).
pub fn schedule_task_tags(owner: &Owner, spec: &FargateTaskSpec) -> Tags {
    let mut tags = spec.tags.clone();
    tags.extend(owner.tags());
    tags.insert(SCHEDULE_TAG.to_owned(), schedule_name(owner));
    tags
}

/// RunTask's `overrides` as the ECS API's JSON (`containerOverrides`, task `cpu`/`memory` as
/// strings), for a templated target's `Input`; None without overrides.
pub fn overrides_input(o: Option<&TaskOverrides>) -> Option<String> {
    let o = o?;
    let containers: Vec<serde_json::Value> = o
        .containers
        .iter()
        .map(|c| {
            let mut v = json!({ "name": c.name });
            if !c.command.is_empty() {
                v["command"] = json!(c.command);
            }
            if !c.environment.is_empty() {
                let env: Vec<_> = c
                    .environment
                    .iter()
                    .map(|e| json!({"name": e.name, "value": e.value}))
                    .collect();
                v["environment"] = json!(env);
            }
            if let Some(cpu) = c.cpu {
                v["cpu"] = json!(cpu);
            }
            if let Some(m) = c.memory {
                v["memory"] = json!(m);
            }
            v
        })
        .collect();
    let mut v = json!({});
    if !containers.is_empty() {
        v["containerOverrides"] = json!(containers);
    }
    if let Some(cpu) = o.cpu {
        v["cpu"] = json!(cpu.to_string());
    }
    if let Some(m) = o.memory {
        v["memory"] = json!(m.to_string());
    }
    (v != json!({})).then(|| v.to_string())
}

/// The schedule as it should be, running `revision` in `cluster_arn`.
pub fn desired_schedule(
    inputs: ScheduleInputs<'_>,
    cluster_arn: &str,
    revision: &str,
) -> ScheduleBody {
    let (owner, spec) = (inputs.owner, inputs.spec);
    let strategy = super::service::strategy_items(&spec.capacity_provider_strategy);
    let (attempts, age) = ScheduleRetryPolicy::effective(spec.retry_policy.as_ref());
    let expression = spec.schedule.clone().unwrap_or_default();
    let (start_date, end_date) = desired_dates(spec, &expression, inputs.now.as_second());
    ScheduleBody {
        name: schedule_name(owner),
        group: SCHEDULE_GROUP.to_owned(),
        expression,
        timezone: spec.timezone.clone().unwrap_or_else(|| "UTC".to_owned()),
        enabled: !spec.suspend,
        start_date,
        end_date,
        description: format!(
            "FargateTask {}/{} (uid {}), managed by fargate-operator",
            owner.namespace, owner.name, owner.uid
        ),
        target: ScheduleTarget {
            cluster_arn: cluster_arn.to_owned(),
            role: RoleRef::Managed(role_name(owner, RoleKind::Scheduler)),
            task_definition_arn: revision.to_owned(),
            task_count: spec.count,
            launch_type: strategy.is_empty().then(|| "FARGATE".to_owned()),
            capacity_provider_strategy: strategy,
            platform_version: spec.platform_version.clone(),
            network: NetworkDef {
                subnets: spec.network.subnets.clone(),
                security_groups: spec.network.security_groups.clone(),
                assign_public_ip: spec.network.assign_public_ip,
            },
            tags: schedule_task_tags(owner, spec),
            input: overrides_input(spec.overrides.as_ref()),
            maximum_retry_attempts: attempts,
            maximum_event_age_seconds: age,
        },
    }
}

/// The managed scheduler role: trusted by EventBridge Scheduler for schedules of this
/// account only (`aws:SourceAccount`); allowed RunTask on this family's revisions in this
/// cluster only, PassRole of exactly the revision's execution and task roles to ECS tasks,
/// and TagResource only while RunTask creates the task (the ownership tags).
pub fn desired_scheduler_role(
    owner: &Owner,
    config: &PlanConfig,
    cluster_arn: &str,
    revision: &ObservedRevision,
) -> DesiredRole {
    let pass: Vec<String> = [&revision.body.execution_role, &revision.body.task_role]
        .into_iter()
        .filter_map(|r| match r {
            Some(RoleRef::Arn(arn)) => Some(arn.clone()),
            _ => None,
        })
        .collect();
    scheduler_role(owner, config, cluster_arn, &revision.arn, pass)
}

/// [`desired_scheduler_role`] from the revision's ARN and the roles it passes.
fn scheduler_role(
    owner: &Owner,
    config: &PlanConfig,
    cluster_arn: &str,
    revision_arn: &str,
    pass: Vec<String>,
) -> DesiredRole {
    // A revision not registered yet (a plan): the region's partition, the account unknown.
    let (part, region, account) = arn_parts(revision_arn).unwrap_or((
        super::taskdef::partition(&config.region),
        config.region.as_str(),
        "<account>",
    ));
    // `<arn>/<family>:<revision>`, or `<family>:<new revision>` in a plan.
    let tail = revision_arn.rsplit('/').next().unwrap_or(revision_arn);
    let family = tail.rsplit_once(':').map_or(tail, |(f, _)| f);
    let cluster = crate::api::names::cluster_name_of_arn(cluster_arn).unwrap_or_default();
    let mut statements = vec![
        json!({
            "Sid": "RunThisFamily",
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": format!("arn:{part}:ecs:{region}:{account}:task-definition/{family}:*"),
            "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}}
        }),
        json!({
            "Sid": "TagItsTasks",
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": format!("arn:{part}:ecs:{region}:{account}:task/{cluster}/*"),
            "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}}
        }),
    ];
    if !pass.is_empty() {
        statements.push(json!({
            "Sid": "PassItsRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": pass,
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
        }));
    }
    DesiredRole {
        name: role_name(owner, RoleKind::Scheduler),
        kind: RoleKind::Scheduler,
        trust_policy: json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": SCHEDULER_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}}
            }]
        }),
        permissions_boundary: config.permissions_boundary.clone(),
        attached_policies: Default::default(),
        inline_policies: [(
            SCHEDULER_INLINE_POLICY.to_owned(),
            json!({"Version": "2012-10-17", "Statement": statements}),
        )]
        .into(),
    }
}

/// Whether a schedule is this object's, by the ownership tags its target puts on tasks.
pub fn schedule_ownership(owner: &Owner, s: &ObservedSchedule) -> Ownership {
    owner.ownership(&s.body.target.tags)
}

/// What GetSchedule reports, made comparable with the desired body: the role by the
/// managed name it is the ARN of, the input as parsed JSON, the dates as they act at `now`
/// (a start that has passed as [`effective_start`] makes it; none wanted and one that has
/// passed reported: the schedule has started either way). Two schedules that both start no
/// run again ([`finished`]) are the same whatever else differs.
fn same_schedule(want: &ScheduleBody, got: &ScheduleBody, now: i64) -> bool {
    let started = got.start_date.is_some_and(|s| s <= now);
    let mut got = got.clone();
    got.start_date = effective_start(&got.expression, got.start_date, now);
    if finished(want, now) && finished(&got, now) {
        return true;
    }
    if started && want.start_date.is_none() {
        got.start_date = None;
    }
    same_body(want, &got)
}

/// [`same_schedule`] apart from the dates.
fn same_body(want: &ScheduleBody, got: &ScheduleBody) -> bool {
    let json = |s: &Option<String>| {
        s.as_deref()
            .map(|s| serde_json::from_str::<serde_json::Value>(s).unwrap_or(json!(s)))
    };
    let role_same = match (&want.target.role, &got.target.role) {
        (w, RoleRef::Arn(arn)) => w.is_arn_of(arn),
        (w, g) => w == g,
    };
    let mut g = got.clone();
    g.target.role = want.target.role.clone();
    g.target.input = want.target.input.clone();
    role_same && json(&want.target.input) == json(&got.target.input) && g == *want
}

/// Plans a scheduled FargateTask: its role, then its schedule.
pub fn plan_scheduled(
    inputs: ScheduleInputs<'_>,
    observed: &ObservedScheduled,
) -> Result<Plan, PlanError> {
    let owner = inputs.owner;
    if inputs.task_definition_arn.is_none() {
        return Err(PlanError::Waiting {
            reason: reasons::WAITING_FOR_TASK_DEFINITION,
            message: "the referenced TaskDefinition has no registered revision for its current generation yet".into(),
        });
    }
    let Some(cluster) = observed.cluster.as_ref().filter(|c| c.status != "INACTIVE") else {
        return Err(PlanError::Waiting {
            reason: reasons::CLUSTER_NOT_FOUND,
            message: format!(
                "ECS cluster {} does not exist; a FargateTask never creates one (a FargateService can)",
                inputs.spec.cluster.name
            ),
        });
    };
    let Some(revision) = observed.revision.as_ref() else {
        return Err(PlanError::Waiting {
            reason: reasons::WAITING_FOR_TASK_DEFINITION,
            message: format!(
                "ECS does not know task definition {} (yet)",
                inputs.task_definition_arn.unwrap_or_default()
            ),
        });
    };
    let mut plan = Plan::default();
    let role = desired_scheduler_role(owner, inputs.config, &cluster.arn, revision);
    plan_role(
        &role,
        observed.role.as_ref(),
        owner,
        "delete or rename that role",
        &mut plan.actions,
    )?;
    let body = desired_schedule(inputs, &cluster.arn, &revision.arn);
    plan_schedule_body(inputs, observed, body, &mut plan)?;
    Ok(plan)
}

/// What `plan` (without applying) shows for a scheduled FargateTask: the full plan when
/// AWS's view of the cluster and revision was read (`plan --observe`); else what the first
/// apply would do, with the cluster's ARN from the region (account unknown) and the role
/// only when it is missing (its grants name the revision's roles, which only ECS reports).
pub fn plan_scheduled_preview(
    inputs: ScheduleInputs<'_>,
    observed: &ObservedScheduled,
) -> Result<Plan, PlanError> {
    if observed.cluster.is_some() && observed.revision.is_some() {
        return plan_scheduled(inputs, observed);
    }
    let Some(revision) = inputs.task_definition_arn else {
        return plan_scheduled(inputs, observed);
    };
    let cluster_arn = observed.cluster.as_ref().map_or_else(
        || {
            format!(
                "arn:aws:ecs:{}:<account>:cluster/{}",
                inputs.config.region, inputs.spec.cluster.name
            )
        },
        |c| c.arn.clone(),
    );
    let mut plan = Plan::default();
    if observed.role.is_none() {
        let role = scheduler_role(inputs.owner, inputs.config, &cluster_arn, revision, vec![]);
        plan_role(&role, None, inputs.owner, "", &mut plan.actions)?;
    }
    plan_schedule_body(
        inputs,
        observed,
        desired_schedule(inputs, &cluster_arn, revision),
        &mut plan,
    )?;
    Ok(plan)
}

/// CreateSchedule, or UpdateSchedule of this object's schedule when it differs from `body`.
fn plan_schedule_body(
    inputs: ScheduleInputs<'_>,
    observed: &ObservedScheduled,
    body: ScheduleBody,
    plan: &mut Plan,
) -> Result<(), PlanError> {
    match &observed.schedule {
        None => plan.actions.push(Action::CreateSchedule {
            body: Box::new(body),
        }),
        Some(s) => {
            check_schedule_owned(inputs.owner, s)?;
            if !same_schedule(&body, &s.body, inputs.now.as_second()) {
                plan.actions.push(Action::UpdateSchedule {
                    body: Box::new(body),
                });
            }
        }
    }
    Ok(())
}

/// Refuses a schedule of this object's name that is not this object's (adopting one left
/// by an earlier object of this name when the annotation asks and it is allowed).
fn check_schedule_owned(owner: &Owner, s: &ObservedSchedule) -> Result<(), PlanError> {
    let ownership = schedule_ownership(owner, s);
    let resource = format!("EventBridge Scheduler schedule {}", s.body.name);
    match ownership {
        Ownership::Owned => Ok(()),
        // UpdateSchedule writes this object's tags into the target: the adoption.
        Ownership::PreviousIncarnation | Ownership::Unmanaged if owner.adopt => Ok(()),
        Ownership::PreviousIncarnation | Ownership::Unmanaged
            if owner.adopt_forbidden.is_some() =>
        {
            Err(super::adoption_not_allowed(resource, owner))
        }
        _ => Err(super::conflict(
            resource,
            &ownership,
            "delete or rename that schedule, or (when it is an earlier object's of this name) annotate ecs.fargate.dev/adopt: \"true\"",
        )),
    }
}

/// The teardown of a schedule and its role (the object was deleted, or its spec no longer
/// has a schedule): the schedule, then the role, each only when it is this object's.
pub fn plan_schedule_delete(owner: &Owner, observed: &ObservedScheduled) -> Plan {
    let mut plan = Plan::default();
    if let Some(s) = &observed.schedule {
        if schedule_ownership(owner, s) == Ownership::Owned {
            plan.actions.push(Action::DeleteSchedule {
                name: s.body.name.clone(),
                group: s.body.group.clone(),
            });
        }
    }
    if let Some(r) = &observed.role {
        if owner.ownership(&r.tags) == Ownership::Owned {
            super::delete::delete_role(
                &role_name(owner, RoleKind::Scheduler),
                r,
                &mut plan.actions,
            );
        }
    }
    plan
}

/// The status's view of the schedule: name, ARN and state as observed, the revision it
/// runs and its role, and the recent runs merged with the previous status's.
pub fn schedule_status(
    owner: &Owner,
    observed: &ObservedScheduled,
    previous: Option<&ScheduleStatus>,
) -> ScheduleStatus {
    let s = observed
        .schedule
        .as_ref()
        .filter(|s| schedule_ownership(owner, s) == Ownership::Owned);
    ScheduleStatus {
        name: schedule_name(owner),
        arn: s.map(|s| s.arn.clone()),
        state: s.map(|s| {
            if s.body.enabled {
                "ENABLED"
            } else {
                "DISABLED"
            }
            .to_owned()
        }),
        task_definition_arn: s.map(|s| s.body.target.task_definition_arn.clone()),
        start_date: s.and_then(|s| s.body.start_date).map(date_text),
        end_date: s.and_then(|s| s.body.end_date).map(date_text),
        role_arn: s.and_then(|s| match &s.body.target.role {
            RoleRef::Arn(a) => Some(a.clone()),
            RoleRef::Managed(_) => None,
        }),
        recent_runs: recent_runs(owner, observed, previous.map(|p| p.recent_runs.as_slice())),
    }
}

/// This object's scheduled runs: the tasks ECS reports with its ownership tags exactly and
/// its schedule's tag, merged with the previous status's runs (ECS forgets stopped tasks
/// after about an hour), newest first, at most [`RECENT_RUNS`].
pub fn recent_runs(
    owner: &Owner,
    observed: &ObservedScheduled,
    previous: Option<&[ScheduledRun]>,
) -> Vec<ScheduledRun> {
    let name = schedule_name(owner);
    let containers = observed
        .revision
        .as_ref()
        .map(|r| r.body.containers.as_slice());
    let mut runs: BTreeMap<String, ScheduledRun> = previous
        .unwrap_or_default()
        .iter()
        .map(|r| (r.task.task_arn.clone(), r.clone()))
        .collect();
    for t in observed.tasks.iter().filter(|t| {
        owner.ownership(&t.tags) == Ownership::Owned && t.tags.get(SCHEDULE_TAG) == Some(&name)
    }) {
        let run = task_run(t, containers);
        let (outcome, reason) = outcome(std::slice::from_ref(&run), containers);
        runs.insert(
            t.task_arn.clone(),
            ScheduledRun {
                outcome,
                reason,
                created_at: t.created_at.clone(),
                task: run,
            },
        );
    }
    let mut runs: Vec<ScheduledRun> = runs.into_values().collect();
    if observed.listed {
        let seen: std::collections::BTreeSet<&str> =
            observed.tasks.iter().map(|t| t.task_arn.as_str()).collect();
        for r in runs
            .iter_mut()
            .filter(|r| r.outcome == TaskPhase::Running && !seen.contains(r.task.task_arn.as_str()))
        {
            forgotten(r, containers);
        }
    }
    // RFC 3339 times of one format sort as text; the ARN breaks ties.
    runs.sort_by(|a, b| (&b.created_at, &b.task.task_arn).cmp(&(&a.created_at, &a.task.task_arn)));
    runs.truncate(RECENT_RUNS);
    runs
}

/// A run ECS no longer reports that had not stopped when last seen: it stopped long ago,
/// how is unknown (no exit code: Failed, saying so).
fn forgotten(r: &mut ScheduledRun, containers: Option<&[super::model::ContainerDef]>) {
    r.task.last_status = super::task::STOPPED.to_owned();
    r.task
        .stopped_reason
        .get_or_insert_with(|| "ECS no longer knows this task".to_owned());
    let (outcome, reason) = outcome(std::slice::from_ref(&r.task), containers);
    r.outcome = outcome;
    r.reason = reason;
}

/// The newest run that finished, if it failed: `(task id, why)`.
pub fn latest_failure(runs: &[ScheduledRun]) -> Option<&ScheduledRun> {
    runs.iter()
        .find(|r| r.outcome != TaskPhase::Running)
        .filter(|r| r.outcome == TaskPhase::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::fargatetask::FargateTask;

    fn spec() -> FargateTaskSpec {
        serde_json::from_value(json!({
            "cluster": {"name": "shop"},
            "taskDefinitionRef": {"name": "web"},
            "network": {"subnets": ["subnet-0123456789abcdef0"]},
            "schedule": "rate(1 hour)",
            "overrides": {"containers": [{"name": "api", "command": ["x"]}]},
        }))
        .unwrap()
    }

    fn owner() -> Owner {
        let mut ft = FargateTask::new("nightly", spec());
        ft.metadata.namespace = Some("shop".into());
        ft.metadata.uid = Some("u-1".into());
        crate::api::names::owner_of(&ft, "FargateTask")
    }

    #[test]
    fn what_get_schedule_reports_of_an_unchanged_schedule_is_the_same() {
        let (o, s, config) = (owner(), spec(), PlanConfig::default());
        let inputs = ScheduleInputs {
            owner: &o,
            spec: &s,
            task_definition_arn: None,
            config: &config,
            now: k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
        };
        let want = desired_schedule(inputs, "arn:aws:ecs:us-east-1:1:cluster/shop", "arn:td:1");
        let mut got = want.clone();
        got.target.role = RoleRef::Arn(format!(
            "arn:aws:iam::1:role/fargate-operator/scheduler/{}",
            role_name(&o, RoleKind::Scheduler)
        ));
        got.target.input =
            Some(r#"{ "containerOverrides": [ { "command": ["x"], "name": "api" } ] }"#.into());
        assert!(same_schedule(&want, &got, 0));
        // Another role, another input, another revision: a change.
        let mut other = got.clone();
        other.target.role = RoleRef::Arn("arn:aws:iam::1:role/other".into());
        assert!(!same_schedule(&want, &other, 0));
        let mut other = got.clone();
        other.target.input = None;
        assert!(!same_schedule(&want, &other, 0));
        let mut other = got;
        other.target.task_definition_arn = "arn:td:2".into();
        assert!(!same_schedule(&want, &other, 0));
    }

    #[test]
    fn a_start_that_passed_is_dropped_for_cron_and_moved_by_whole_periods_for_rate() {
        assert_eq!(rate_seconds("rate(1 minute)"), Some(60));
        assert_eq!(rate_seconds("rate(15 minutes)"), Some(900));
        assert_eq!(rate_seconds("rate(2 hours)"), Some(7_200));
        assert_eq!(rate_seconds("rate(1 day)"), Some(86_400));
        assert_eq!(rate_seconds("cron(0 5 ? * * *)"), None);
        // (expression, start, now, what is sent): a start to come as it is, whatever the
        // expression; one that passed (or is now) none for cron, and for rate the first of
        // start + n periods after now.
        for (expr, start, now, sent) in [
            ("cron(0 5 ? * * *)", 1_000, 999, Some(1_000)),
            ("rate(1 hour)", 1_000, 999, Some(1_000)),
            ("cron(0 5 ? * * *)", 1_000, 1_000, None),
            ("rate(1 hour)", 1_000, 1_000, Some(4_600)),
            ("rate(1 hour)", 1_000, 4_599, Some(4_600)),
            ("rate(1 hour)", 1_000, 4_600, Some(8_200)),
        ] {
            assert_eq!(
                effective_start(expr, Some(start), now),
                sent,
                "{expr} {start} {now}"
            );
        }
        assert_eq!(effective_start("rate(1 hour)", None, 4_600), None);
        assert!(ended(Some(5), 5) && !ended(Some(6), 5) && !ended(None, 5));
    }

    fn dated(schedule: &str, start: Option<&str>, end: Option<&str>) -> FargateTaskSpec {
        let mut s = spec();
        s.schedule = Some(schedule.into());
        s.start_date = start.map(str::to_owned);
        s.end_date = end.map(str::to_owned);
        s
    }

    const DAY: i64 = 86_400;
    /// 2030-01-01T00:00:00Z
    const JAN1: i64 = 1_893_456_000;

    #[test]
    fn a_start_date_that_passed_plans_nothing_and_an_update_never_sends_it() {
        let start = Some("2030-01-01T00:00:00Z");
        for expr in ["cron(0 5 ? * * *)", "rate(1 day)"] {
            let s = dated(expr, start, None);
            // Made before the start, read long after it: nothing to do.
            assert_eq!(
                plan_at(&s, &s, (JAN1 - DAY, JAN1 + 40 * DAY + 7), "arn:td:1"),
                vec![],
                "{expr}"
            );
            // A new revision long after the start: the update sends no date that has passed.
            let actions = plan_at(&s, &s, (JAN1 - DAY, JAN1 + 40 * DAY + 7), "arn:td:2");
            let [Action::UpdateSchedule { body }] = actions.as_slice() else {
                panic!("{actions:?}");
            };
            let want = if expr.starts_with("rate") {
                Some(JAN1 + 41 * DAY)
            } else {
                None
            };
            assert_eq!(body.start_date, want, "{expr}");
        }
        // Made after the start (a rate one then started at its next time): the same.
        let s = dated("rate(1 day)", start, None);
        assert_eq!(
            plan_at(&s, &s, (JAN1 + 3 * DAY + 5, JAN1 + 9 * DAY), "arn:td:1"),
            vec![]
        );
        // A start moved to another time of day is a change for rate (its times move) ...
        let moved = dated("rate(1 day)", Some("2030-01-01T06:00:00Z"), None);
        let mut o = s.clone();
        o.start_date = moved.start_date.clone();
        let (made, now) = (JAN1 + 3 * DAY + 5, JAN1 + 9 * DAY);
        assert_ne!(plan_at(&s, &o, (made, now), "arn:td:1"), vec![]);
        // ... but not for cron once both have passed (it runs at its times either way).
        let c = dated("cron(0 5 ? * * *)", start, None);
        let mut c2 = c.clone();
        c2.start_date = Some("2030-01-02T00:00:00Z".into());
        assert_eq!(
            plan_at(&c, &c2, (JAN1 - DAY, JAN1 + 9 * DAY), "arn:td:1"),
            vec![]
        );
        // Removing a start still to come is a change.
        let mut none = c.clone();
        none.start_date = None;
        assert_ne!(
            plan_at(&c, &none, (JAN1 - 2 * DAY, JAN1 - DAY), "arn:td:1"),
            vec![]
        );
    }

    /// The plan at `now` for `spec` running `revision`, when the schedule was made at `made`
    /// from `was` (running `arn:td:1`) and Scheduler stored it as sent.
    fn plan_at(
        was: &FargateTaskSpec,
        spec: &FargateTaskSpec,
        (made, now): (i64, i64),
        revision: &str,
    ) -> Vec<Action> {
        let (o, config) = (owner(), PlanConfig::default());
        let inputs = |s, t| ScheduleInputs {
            owner: &o,
            spec: s,
            task_definition_arn: Some("arn:td:1"),
            config: &config,
            now: k8s_openapi::jiff::Timestamp::from_second(t).unwrap(),
        };
        let cluster = "arn:aws:ecs:us-east-1:1:cluster/shop";
        let mut stored = desired_schedule(inputs(was, made), cluster, "arn:td:1");
        stored.target.role = RoleRef::Arn(format!(
            "arn:aws:iam::1:role/fargate-operator/scheduler/{}",
            role_name(&o, RoleKind::Scheduler)
        ));
        let observed = ObservedScheduled {
            schedule: Some(ObservedSchedule {
                arn: "arn:s".into(),
                body: stored,
            }),
            ..ObservedScheduled::default()
        };
        let mut plan = Plan::default();
        let want = desired_schedule(inputs(spec, now), cluster, revision);
        plan_schedule_body(inputs(spec, now), &observed, want, &mut plan).unwrap();
        plan.actions
    }

    #[test]
    fn an_end_date_that_passed_stops_a_schedule_once_and_then_nothing_changes_it() {
        let running = dated("rate(1 hour)", None, None);
        let ends = dated("rate(1 hour)", None, Some("2030-01-01T00:00:00Z"));
        // Ended in the spec, not yet in Scheduler: sent once, with no start.
        let actions = plan_at(&running, &ends, (JAN1 - DAY, JAN1 + DAY), "arn:td:1");
        let [Action::UpdateSchedule { body }] = actions.as_slice() else {
            panic!("{actions:?}");
        };
        assert_eq!((body.start_date, body.end_date), (None, Some(JAN1)));
        let shown = actions[0].describe();
        assert!(shown.contains("until 2030-01-01T00:00:00Z"), "{shown}");
        // Both ended: nothing, even when the spec changes otherwise.
        let mut other = ends.clone();
        other.count = 3;
        other.end_date = Some("2030-01-01T12:00:00Z".into());
        assert_eq!(
            plan_at(&ends, &other, (JAN1 - DAY, JAN1 + DAY), "arn:td:1"),
            vec![]
        );
        // An end moved back into the future: an update.
        other.end_date = Some("2030-02-01T00:00:00Z".into());
        assert_ne!(
            plan_at(&ends, &other, (JAN1 - DAY, JAN1 + DAY), "arn:td:1"),
            vec![]
        );
    }

    #[test]
    fn a_rate_schedule_whose_next_time_is_past_its_end_is_ended_now_once() {
        // Daily from Jan 1 00:00 until Jan 10, then (at Jan 5 06:00) until Jan 5 12:00: the
        // next time (Jan 6) is after the new end, so no run is left. The update ends it now
        // (no start, which could run before that end) ...
        let was = dated(
            "rate(1 day)",
            Some("2030-01-01T00:00:00Z"),
            Some("2030-01-10T00:00:00Z"),
        );
        let mut s = was.clone();
        s.end_date = Some("2030-01-05T12:00:00Z".into());
        let now = JAN1 + 4 * DAY + 6 * 3_600;
        let actions = plan_at(&was, &s, (JAN1 - DAY, now), "arn:td:1");
        let [Action::UpdateSchedule { body }] = actions.as_slice() else {
            panic!("{actions:?}");
        };
        assert_eq!((body.start_date, body.end_date), (None, Some(now)));
        assert!(finished(body, now) && finished(body, now + DAY));
        // ... and a schedule made with that spec (no run left) is left alone, as it is when
        // something else changes (another revision).
        assert_eq!(plan_at(&s, &s, (JAN1 - DAY, now), "arn:td:1"), vec![]);
        assert_eq!(plan_at(&s, &s, (JAN1 - DAY, now), "arn:td:2"), vec![]);
    }

    #[test]
    fn overrides_are_runtasks_json_and_absent_without_any() {
        assert_eq!(overrides_input(None), None);
        assert_eq!(overrides_input(Some(&TaskOverrides::default())), None);
        let o: TaskOverrides = serde_json::from_value(json!({
            "cpu": 512, "memory": 1024,
            "containers": [{"name": "api", "environment": [{"name": "A", "value": "1"}], "memory": 512}]
        }))
        .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&overrides_input(Some(&o)).unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"cpu": "512", "memory": "1024", "containerOverrides": [
                {"name": "api", "environment": [{"name": "A", "value": "1"}], "memory": 512}
            ]})
        );
    }

    #[test]
    fn a_plan_without_aws_shows_the_role_and_schedule_the_first_apply_makes() {
        let (o, s, config) = (owner(), spec(), PlanConfig::default());
        let inputs = ScheduleInputs {
            owner: &o,
            spec: &s,
            task_definition_arn: Some("shop_web:<new revision>"),
            config: &config,
            now: k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
        };
        let plan = plan_scheduled_preview(inputs, &ObservedScheduled::default()).unwrap();
        let names: Vec<&str> = plan.actions.iter().map(Action::name).collect();
        assert_eq!(names, ["CreateRole", "PutRolePolicy", "CreateSchedule"]);
        let Action::PutRolePolicy { document, .. } = &plan.actions[1] else {
            panic!("{:?}", plan.actions[1]);
        };
        assert_eq!(
            document["Statement"][0]["Resource"],
            "arn:aws:ecs:us-east-1:<account>:task-definition/shop_web:*"
        );
    }
}

//! Report: a pure function from observed AWS state and the outcome of a reconcile to an
//! object's status. No I/O; the clock is a parameter.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::jiff::Timestamp;

use crate::api::conditions::{condition, condition_types as ct, reasons, set_condition};
use crate::api::fargateservice::{DeploymentStatus, RolloutStatus, ServiceEvent, StoppedTask};
use crate::api::names::{Owner, Ownership};
use crate::api::taskdefinition::RevisionHistoryEntry;
use crate::api::{FargateServiceStatus, TaskDefinitionStatus, GENERATION_TAG, SPEC_HASH_TAG};
use crate::plan::model::{
    ObservedDeployment, ObservedFargateService, ObservedRevision, ObservedService,
    ObservedServiceDeployment, ObservedStoppedTask, ObservedTaskDefinition, RoleRef,
};
use crate::plan::Note;

/// Recent ECS service events shown on the status.
pub const EVENTS_SHOWN: usize = 5;

/// How a reconcile ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Sync {
    /// The last plan was empty: AWS matches the spec.
    InSync,
    /// Changes were made or remain; not yet confirmed by a later observation.
    Applying { pending: usize },
    /// Something this object needs is not there yet; not an error of the spec.
    Waiting {
        reason: &'static str,
        message: String,
    },
    /// The spec is invalid, AWS refused, or a resource belongs to someone else.
    Failed {
        reason: &'static str,
        message: String,
    },
}

/// Everything `report` needs besides observed state.
#[derive(Clone, Debug)]
pub struct ReportInputs<'a> {
    pub owner: &'a Owner,
    pub sync: &'a Sync,
    pub notes: &'a [Note],
    pub now: Timestamp,
}

fn notes_suffix(notes: &[Note]) -> String {
    notes
        .iter()
        .map(|n| format!(" Note: {}", n.message))
        .collect()
}

/// Sets the Synced condition from how the reconcile ended.
fn sync_conditions(conditions: &mut Vec<Condition>, inputs: &ReportInputs<'_>) {
    let g = Some(inputs.owner.generation);
    let now = inputs.now;
    let synced = match inputs.sync {
        Sync::InSync => condition(
            ct::SYNCED,
            true,
            reasons::IN_SYNC,
            "AWS matches the spec",
            g,
            now,
        ),
        Sync::Applying { pending } => condition(
            ct::SYNCED,
            false,
            reasons::APPLYING,
            format!("{pending} change(s) to AWS in progress"),
            g,
            now,
        ),
        Sync::Waiting { reason, message } | Sync::Failed { reason, message } => {
            condition(ct::SYNCED, false, reason, message.clone(), g, now)
        }
    };
    set_condition(conditions, synced);
}

/// A TaskDefinition's status.
pub fn task_definition_status(
    inputs: &ReportInputs<'_>,
    family: &str,
    spec_hash: Option<&str>,
    observed: &ObservedTaskDefinition,
    previous: Option<&TaskDefinitionStatus>,
) -> TaskDefinitionStatus {
    let owner = inputs.owner;
    let g = Some(owner.generation);
    let now = inputs.now;
    let mut owned: Vec<_> = observed
        .revisions
        .iter()
        .filter(|r| owner.ownership(&r.tags) == Ownership::Owned)
        .collect();
    owned.sort_by_key(|r| r.revision);
    // The revision the spec hashes to (an older one when a spec was reverted to it), else
    // the newest.
    let current = spec_hash
        .and_then(|h| {
            owned
                .iter()
                .rev()
                .find(|r| r.tags.get(SPEC_HASH_TAG).map(String::as_str) == Some(h))
        })
        .or(owned.last())
        .copied();
    let role_arn = |r: &Option<RoleRef>| match r {
        Some(RoleRef::Arn(a)) => Some(a.clone()),
        _ => None,
    };
    let mut status = TaskDefinitionStatus {
        observed_generation: g,
        conditions: previous.map(|p| p.conditions.clone()).unwrap_or_default(),
        family: Some(family.to_owned()),
        revision: current.map(|r| r.revision),
        arn: current.map(|r| r.arn.clone()),
        spec_hash: spec_hash
            .map(str::to_owned)
            .or_else(|| previous.and_then(|p| p.spec_hash.clone())),
        execution_role_arn: current.and_then(|r| role_arn(&r.body.execution_role)),
        task_role_arn: current.and_then(|r| role_arn(&r.body.task_role)),
        log_group: observed.log_groups.keys().next().cloned(),
        retained_revisions: owned
            .iter()
            .rev()
            .filter(|r| Some(r.arn.as_str()) != current.map(|c| c.arn.as_str()))
            .map(|r| r.arn.clone())
            .collect(),
        revision_history: revision_history(&owned, current),
    };
    sync_conditions(&mut status.conditions, inputs);
    let notes = notes_suffix(inputs.notes);
    let readiness = not_synced(inputs).unwrap_or_else(|| match (inputs.sync, current) {
        (Sync::InSync, Some(r)) => (
            condition(
                ct::READY,
                true,
                reasons::REGISTERED,
                format!(
                    "revision {} of family {family} is registered.{notes}",
                    r.revision
                ),
                g,
                now,
            ),
            condition(
                ct::PROGRESSING,
                false,
                reasons::IN_SYNC,
                "nothing to change",
                g,
                now,
            ),
            degraded_ok(inputs),
        ),
        _ => applying(
            inputs,
            "the revision for this generation is being registered",
            "registering",
        ),
    });
    set_readiness(&mut status.conditions, readiness);
    status
}

/// Revisions shown in a TaskDefinition's `status.revisionHistory`.
pub const REVISION_HISTORY_SHOWN: usize = 20;

/// The kept revisions (`owned`, oldest first), newest first, at most
/// [`REVISION_HISTORY_SHOWN`].
fn revision_history(
    owned: &[&ObservedRevision],
    current: Option<&ObservedRevision>,
) -> Vec<RevisionHistoryEntry> {
    owned
        .iter()
        .rev()
        .take(REVISION_HISTORY_SHOWN)
        .map(|r| RevisionHistoryEntry {
            revision: r.revision,
            arn: r.arn.clone(),
            images: r
                .body
                .containers
                .iter()
                .map(|c| format!("{}={}", c.name, c.image))
                .collect(),
            registered_at: r.registered_at.clone(),
            generation: r.tags.get(GENERATION_TAG).and_then(|g| g.parse().ok()),
            current: current.is_some_and(|c| c.arn == r.arn),
        })
        .collect()
}

/// Ready, Progressing and Degraded of one object.
type Readiness = (Condition, Condition, Condition);

/// Sets Ready, Progressing and Degraded, and puts the conditions in order.
fn set_readiness(conditions: &mut Vec<Condition>, (ready, progressing, degraded): Readiness) {
    for c in [ready, progressing, degraded] {
        set_condition(conditions, c);
    }
    order(conditions);
}

/// Changes to AWS are still being made: not Ready, Progressing, not Degraded.
fn applying(inputs: &ReportInputs<'_>, ready: &str, progressing: &str) -> Readiness {
    let g = Some(inputs.owner.generation);
    (
        condition(ct::READY, false, reasons::APPLYING, ready, g, inputs.now),
        condition(
            ct::PROGRESSING,
            true,
            reasons::APPLYING,
            progressing,
            g,
            inputs.now,
        ),
        degraded_ok(inputs),
    )
}

fn degraded_ok(inputs: &ReportInputs<'_>) -> Condition {
    condition(
        ct::DEGRADED,
        false,
        reasons::AS_EXPECTED,
        "",
        Some(inputs.owner.generation),
        inputs.now,
    )
}

/// Ready, Progressing and Degraded when the reconcile waits or failed (the same on both
/// kinds): waiting is progress, failing is degradation. None when it did neither.
/// Readiness while the planner holds back a revision ECS rolled back (its RolledBack note):
/// Degraded, neither Ready nor Progressing, until the spec changes.
///
/// Likewise while `spec.deployment.preDeploy` holds the new revision: Degraded once it
/// failed (PreDeployFailed), Progressing while it runs or waits for its TaskDefinition.
fn held_back(inputs: &ReportInputs<'_>) -> Option<Readiness> {
    let held = |n: &&Note| {
        [
            reasons::ROLLED_BACK,
            reasons::PRE_DEPLOY_FAILED,
            reasons::PRE_DEPLOY_RUNNING,
            reasons::WAITING_FOR_TASK_DEFINITION,
        ]
        .contains(&n.reason)
    };
    let note = inputs.notes.iter().find(held)?;
    let failed = [reasons::ROLLED_BACK, reasons::PRE_DEPLOY_FAILED].contains(&note.reason);
    let g = Some(inputs.owner.generation);
    let cond = |t: &str, s: bool| condition(t, s, note.reason, &note.message, g, inputs.now);
    Some((
        cond(ct::READY, false),
        cond(ct::PROGRESSING, !failed),
        if failed {
            cond(ct::DEGRADED, true)
        } else {
            degraded_ok(inputs)
        },
    ))
}

fn not_synced(inputs: &ReportInputs<'_>) -> Option<Readiness> {
    let (reason, message, failed) = match inputs.sync {
        Sync::Waiting { reason, message } => (reason, message, false),
        Sync::Failed { reason, message } => (reason, message, true),
        Sync::InSync | Sync::Applying { .. } => return None,
    };
    let g = Some(inputs.owner.generation);
    let cond = |t: &str, s: bool| condition(t, s, reason, message, g, inputs.now);
    let degraded = if failed {
        cond(ct::DEGRADED, true)
    } else {
        degraded_ok(inputs)
    };
    Some((
        cond(ct::READY, false),
        cond(ct::PROGRESSING, !failed),
        degraded,
    ))
}

/// The conditions of a reconcile that ended without a fresh observation (the spec was
/// refused before AWS was asked, or a cleanup is still waiting): the previous
/// conditions with Synced, Ready, Progressing and Degraded set from `inputs.sync` (which is
/// `Failed` or `Waiting`). Everything else on the status stays as last observed.
pub fn unobserved_conditions(inputs: &ReportInputs<'_>, previous: &[Condition]) -> Vec<Condition> {
    let mut conditions = previous.to_vec();
    sync_conditions(&mut conditions, inputs);
    if let Some(readiness) = not_synced(inputs) {
        set_readiness(&mut conditions, readiness);
    }
    conditions
}

/// Conditions in the documented order (Ready, Progressing, Degraded, Synced).
fn order(conditions: &mut [Condition]) {
    conditions.sort_by_key(|c| {
        ct::ALL
            .iter()
            .position(|t| *t == c.type_)
            .unwrap_or(usize::MAX)
    });
}

/// `family:revision` from a task-definition ARN (`…:task-definition/family:revision`).
fn revision_of(arn: &str) -> Option<String> {
    arn.rsplit_once('/')
        .map(|(_, fr)| fr.to_owned())
        .filter(|fr| fr.contains(':'))
}

fn deployment_status(d: &ObservedDeployment) -> DeploymentStatus {
    DeploymentStatus {
        id: d.id.clone(),
        status: d.status.clone(),
        task_definition_arn: d.task_definition.clone(),
        desired_count: d.desired_count,
        running_count: d.running_count,
        pending_count: d.pending_count,
        failed_tasks: d.failed_tasks,
        rollout_state: d.rollout_state.clone(),
        created_at: d.created_at.clone(),
    }
}

/// A FargateService's status. `Ready` means: AWS matches the spec, the PRIMARY deployment
/// runs the spec's revision and completed, and running == desired.
pub fn fargate_service_status(
    inputs: &ReportInputs<'_>,
    observed: &ObservedFargateService,
    estimated_monthly_cost_usd: Option<f64>,
    previous: Option<&FargateServiceStatus>,
) -> FargateServiceStatus {
    let service = observed.service.as_ref().filter(|s| s.status != "INACTIVE");
    let mut status = observed_service_status(inputs, observed, service, previous);
    status.estimated_monthly_cost_usd =
        estimated_monthly_cost_usd.or_else(|| previous.and_then(|p| p.estimated_monthly_cost_usd));
    sync_conditions(&mut status.conditions, inputs);
    status.rolled_back =
        crate::plan::rollback::rolled_back_revision(observed, previous, inputs.owner.generation);
    let rollout = status.rollout.clone();
    let readiness = not_synced(inputs)
        .or_else(|| held_back(inputs))
        .unwrap_or_else(|| match (inputs.sync, service) {
            (Sync::InSync, Some(s)) => rollout
                .as_ref()
                .and_then(|r| rollout_readiness(inputs, s, r))
                .unwrap_or_else(|| deployment_readiness(inputs, s, &observed.stopped_tasks)),
            _ => applying(
                inputs,
                "changes to AWS are being applied",
                "changes to AWS are being applied",
            ),
        });
    set_readiness(&mut status.conditions, readiness);
    status
}

/// The status fields read from AWS (everything but the conditions' update and the cost):
/// the service, its deployments, its newest events and stopped tasks.
fn observed_service_status(
    inputs: &ReportInputs<'_>,
    observed: &ObservedFargateService,
    service: Option<&ObservedService>,
    previous: Option<&FargateServiceStatus>,
) -> FargateServiceStatus {
    let primary = service.and_then(primary_deployment);
    FargateServiceStatus {
        observed_generation: Some(inputs.owner.generation),
        conditions: previous.map(|p| p.conditions.clone()).unwrap_or_default(),
        service_arn: service.map(|s| s.arn.clone()),
        cluster_arn: observed.cluster.as_ref().map(|c| c.arn.clone()),
        task_definition_arn: service.map(|s| s.body.task_definition.to_string()),
        task_definition_revision: service
            .and_then(|s| revision_of(&s.body.task_definition.to_string())),
        desired_count: service.map(|s| s.body.desired_count),
        running_count: service.map(|s| s.running_count),
        pending_count: service.map(|s| s.pending_count),
        rollout_state: primary.and_then(|d| d.rollout_state.clone()),
        rollout_state_reason: primary.and_then(|d| d.rollout_state_reason.clone()),
        deployments: service
            .map(|s| s.deployments.iter().map(deployment_status).collect())
            .unwrap_or_default(),
        rollout: service.map(|s| rollout_status(s, observed.service_deployment.as_ref(), previous)),
        recent_events: service
            .map(|s| {
                s.events
                    .iter()
                    .take(EVENTS_SHOWN)
                    .map(|e| ServiceEvent {
                        created_at: e.created_at.clone(),
                        message: e.message.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        stopped_tasks: observed
            .stopped_tasks
            .iter()
            .take(crate::engine::observe::STOPPED_TASKS_SHOWN)
            .map(|t| StoppedTask {
                task_arn: t.task_arn.clone(),
                stopped_reason: t.stopped_reason.clone(),
                stop_code: t.stop_code.clone(),
                stopped_at: t.stopped_at.clone(),
            })
            .collect(),
        estimated_monthly_cost_usd: None,
        rolled_back: None,
        pre_deploy: None,
    }
}

/// `status.preDeploy`: the run the last plan was made with; the previous status's while a
/// reconcile did not get to plan, or did not finish (what it would stop or start is still
/// due), so a run in flight is never forgotten.
pub fn pre_deploy_status(
    sync: &Sync,
    plan: Option<&crate::plan::Plan>,
    previous: Option<&crate::api::predeploy::PreDeployStatus>,
) -> Option<crate::api::predeploy::PreDeployStatus> {
    let planned = plan.and_then(|p| p.pre_deploy.as_deref().cloned());
    match sync {
        Sync::InSync => planned,
        _ => planned.or_else(|| previous.cloned()),
    }
}

/// The rollout on the status: the newest service deployment when one was read; else the
/// previous status's, while it ended (a terminal status does not change) and the service
/// still runs the revision it was about; else the strategy alone.
fn rollout_status(
    s: &ObservedService,
    read: Option<&ObservedServiceDeployment>,
    previous: Option<&FargateServiceStatus>,
) -> RolloutStatus {
    let strategy = s.body.rollout.strategy().to_owned();
    if let Some(d) = read {
        return RolloutStatus {
            strategy,
            service_deployment_arn: Some(d.arn.clone()),
            status: Some(d.status.clone()),
            stage: d.stage.clone(),
            production_traffic_percent: d.production_traffic_percent,
            test_traffic_percent: d.test_traffic_percent,
            bake_ends_at: bake_ends_at(d),
            status_reason: d.status_reason.clone(),
            rollback_reason: d.rollback_reason.clone(),
        };
    }
    let same_revision = previous.and_then(|p| p.task_definition_arn.as_deref())
        == Some(s.body.task_definition.to_string().as_str());
    previous
        .and_then(|p| p.rollout.clone())
        .filter(|r| same_revision && r.status.as_deref().is_some_and(|st| !in_flight(st)))
        .map(|r| RolloutStatus {
            strategy: strategy.clone(),
            ..r
        })
        .unwrap_or(RolloutStatus {
            strategy,
            ..RolloutStatus::default()
        })
}

/// Whether a service deployment status is one ECS is still working on.
pub fn in_flight(status: &str) -> bool {
    ObservedServiceDeployment {
        status: status.to_owned(),
        ..Default::default()
    }
    .in_flight()
}

/// When the bake ends: during BAKE_TIME, ECS's last update of the deployment (the stage's
/// start) plus its bake time.
fn bake_ends_at(d: &ObservedServiceDeployment) -> Option<String> {
    if d.stage.as_deref() != Some("BAKE_TIME") {
        return None;
    }
    let start: Timestamp = d.updated_at.as_deref()?.parse().ok()?;
    let minutes = i64::from(d.bake_time_minutes?);
    let end = start
        .checked_add(k8s_openapi::jiff::SignedDuration::from_mins(minutes))
        .ok()?;
    Some(end.to_string())
}

/// Readiness while ECS runs a service deployment (Progressing, with its stage), or after it
/// rolled one back (Degraded). None when the rollout says nothing beyond the deployments.
fn rollout_readiness(
    inputs: &ReportInputs<'_>,
    s: &ObservedService,
    r: &RolloutStatus,
) -> Option<Readiness> {
    let (g, now) = (Some(inputs.owner.generation), inputs.now);
    let cond = |t: &str, st: bool, reason: &str, m: &str| condition(t, st, reason, m, g, now);
    let status = r.status.as_deref()?;
    let revision = revision_of(&s.body.task_definition.to_string()).unwrap_or_default();
    if in_flight(status) {
        let tasks = primary_deployment(s)
            .map(|d| format!("; {}/{} tasks running", d.running_count, d.desired_count))
            .unwrap_or_default();
        let m = format!(
            "{} of revision {revision}: {}{tasks}",
            r.strategy,
            rollout_progress(r)
        );
        return Some((
            cond(ct::READY, false, reasons::DEPLOYING, &m),
            cond(ct::PROGRESSING, true, reasons::DEPLOYING, &m),
            degraded_ok(inputs),
        ));
    }
    if !matches!(status, "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED") {
        return None;
    }
    let why = r
        .rollback_reason
        .as_deref()
        .or(r.status_reason.as_deref())
        .unwrap_or("no reason given");
    let m = format!(
        "ECS rolled the {} deployment back ({status}): {why}. Fix the revision (or pin a kept one with ecs.fargate.dev/rollback-to) and apply again",
        r.strategy
    );
    Some((
        cond(ct::READY, false, reasons::ROLLED_BACK, &m),
        cond(ct::PROGRESSING, false, reasons::ROLLED_BACK, &m),
        cond(ct::DEGRADED, true, reasons::ROLLED_BACK, &m),
    ))
}

/// `stage BAKE_TIME, 100% of production traffic on the new revision, bake ends at ...`.
fn rollout_progress(r: &RolloutStatus) -> String {
    let mut parts = vec![format!(
        "{} at stage {}",
        r.status.as_deref().unwrap_or("PENDING"),
        r.stage.as_deref().unwrap_or("(not started)")
    )];
    if let Some(p) = r.production_traffic_percent {
        parts.push(format!("{p}% of production traffic on the new revision"));
    }
    if let Some(p) = r.test_traffic_percent.filter(|p| *p > 0.0) {
        parts.push(format!("{p}% of test traffic"));
    }
    if let Some(t) = &r.bake_ends_at {
        parts.push(format!("bake ends at {t}"));
    }
    parts.join(", ")
}

/// The deployment ECS rolls out (or has rolled out) for the current spec.
fn primary_deployment(s: &ObservedService) -> Option<&ObservedDeployment> {
    s.deployments.iter().find(|d| d.status == "PRIMARY")
}

/// Readiness of a service in sync with its spec, from its PRIMARY deployment: failed, still
/// deploying, completed with tasks missing, or completed with every task running (Ready).
fn deployment_readiness(
    inputs: &ReportInputs<'_>,
    s: &ObservedService,
    stopped_tasks: &[ObservedStoppedTask],
) -> Readiness {
    let (g, now) = (Some(inputs.owner.generation), inputs.now);
    let cond = |t: &str, st: bool, r: &str, m: String| condition(t, st, r, m, g, now);
    let notes = notes_suffix(inputs.notes);
    let why_stopped = stopped_tasks
        .first()
        .and_then(|t| t.stopped_reason.clone())
        .map(|r| format!(" Last stopped task: {r}"))
        .unwrap_or_default();
    let primary = primary_deployment(s);
    let desired = s.body.desired_count;
    let running = s.running_count;
    let rollout = primary.and_then(|d| d.rollout_state.as_deref());
    let on_spec = primary.is_some_and(|d| s.body.task_definition == d.task_definition);
    // Without rollout state (older ECS, emulators), one deployment left means done.
    let completed = on_spec
        && match rollout {
            Some(r) => r == "COMPLETED",
            None => s.deployments.len() == 1,
        };
    let revision = revision_of(&s.body.task_definition.to_string()).unwrap_or_default();
    if rollout == Some("FAILED") {
        let reason_text = primary
            .and_then(|d| d.rollout_state_reason.clone())
            .unwrap_or_else(|| "the deployment failed".into());
        let m = format!("{reason_text}.{why_stopped}");
        (
            cond(ct::READY, false, reasons::DEPLOYMENT_FAILED, m.clone()),
            cond(
                ct::PROGRESSING,
                false,
                reasons::DEPLOYMENT_FAILED,
                m.clone(),
            ),
            cond(ct::DEGRADED, true, reasons::DEPLOYMENT_FAILED, m),
        )
    } else if !completed {
        let m = format!(
            "deploying revision {revision}: {running}/{desired} tasks running.{why_stopped}"
        );
        (
            cond(ct::READY, false, reasons::DEPLOYING, m.clone()),
            cond(ct::PROGRESSING, true, reasons::DEPLOYING, m),
            degraded_ok(inputs),
        )
    } else if running < desired {
        let m = format!("{running}/{desired} tasks running (revision {revision}).{why_stopped}");
        let degraded = if stopped_tasks.is_empty() {
            degraded_ok(inputs)
        } else {
            cond(ct::DEGRADED, true, reasons::TASKS_NOT_RUNNING, m.clone())
        };
        (
            cond(ct::READY, false, reasons::TASKS_NOT_RUNNING, m.clone()),
            cond(ct::PROGRESSING, false, reasons::TASKS_NOT_RUNNING, m),
            degraded,
        )
    } else {
        let m = format!(
            "deployment of revision {revision} completed: {running}/{desired} tasks running.{notes}"
        );
        (
            cond(ct::READY, true, reasons::DEPLOYMENT_COMPLETED, m.clone()),
            cond(ct::PROGRESSING, false, reasons::DEPLOYMENT_COMPLETED, m),
            degraded_ok(inputs),
        )
    }
}

/// A FargateTask's status: the run's phase and attempts, and the conditions every kind
/// has: Ready = the run succeeded; Progressing while it is being started or runs; Degraded
/// once it failed (the last allowed attempt, or the deadline).
pub fn fargate_task_status(
    inputs: &ReportInputs<'_>,
    run: &crate::plan::task::RunState,
    task_definition_arn: Option<&str>,
    previous: Option<&crate::api::FargateTaskStatus>,
) -> crate::api::FargateTaskStatus {
    use crate::api::fargatetask::TaskPhase;
    let g = Some(inputs.owner.generation);
    let same_run = previous.filter(|p| p.run_generation == g);
    let finished_at = run.phase.finished().then(|| {
        same_run
            .and_then(|p| p.finished_at.clone())
            .unwrap_or_else(|| inputs.now.to_string())
    });
    let mut status = crate::api::FargateTaskStatus {
        observed_generation: g,
        conditions: previous.map(|p| p.conditions.clone()).unwrap_or_default(),
        phase: Some(run.phase),
        run_generation: g,
        task_definition_arn: task_definition_arn.map(str::to_owned),
        attempt_count: Some(run.attempts.len() as i32),
        started_at: run.started_at.clone(),
        finished_at,
        failure: run.failure.as_ref().map(|(_, m)| m.clone()),
        attempts: run.attempts.clone(),
        schedule: None,
    };
    sync_conditions(&mut status.conditions, inputs);
    let now = inputs.now;
    let cond =
        |t: &str, s: bool, reason: &str, message: &str| condition(t, s, reason, message, g, now);
    let attempt = run.attempts.len();
    let readiness = not_synced(inputs).unwrap_or_else(|| match (run.phase, &run.failure) {
        (TaskPhase::Succeeded, _) => {
            let m = format!("the run succeeded (attempt {attempt})");
            (
                cond(ct::READY, true, reasons::RUN_SUCCEEDED, &m),
                cond(ct::PROGRESSING, false, reasons::RUN_SUCCEEDED, &m),
                degraded_ok(inputs),
            )
        }
        (TaskPhase::Failed, failure) => {
            let (reason, m) = failure
                .clone()
                .unwrap_or((reasons::RUN_FAILED, "the run failed".into()));
            (
                cond(ct::READY, false, reason, &m),
                cond(ct::PROGRESSING, false, reason, &m),
                cond(ct::DEGRADED, true, reason, &m),
            )
        }
        (TaskPhase::Running, _) => {
            let m = format!("attempt {attempt} runs");
            (
                cond(ct::READY, false, reasons::TASK_RUNNING, &m),
                cond(ct::PROGRESSING, true, reasons::TASK_RUNNING, &m),
                degraded_ok(inputs),
            )
        }
        (TaskPhase::Pending, _) if matches!(inputs.sync, Sync::Applying { .. }) => applying(
            inputs,
            "the run's tasks are being started",
            "the run's tasks are being started",
        ),
        (TaskPhase::Pending, _) => {
            let m = format!("attempt {} is being started or provisioned", attempt.max(1));
            (
                cond(ct::READY, false, reasons::TASK_STARTING, &m),
                cond(ct::PROGRESSING, true, reasons::TASK_STARTING, &m),
                degraded_ok(inputs),
            )
        }
    });
    set_readiness(&mut status.conditions, readiness);
    status
}

/// A scheduled FargateTask's status: its schedule (name, ARN, state, the revision it runs,
/// its role) and recent runs, and the conditions: Ready once the schedule is in place and
/// matches the spec (suspended or not; reason `Ended` once its end date has passed); Progressing while it is being created or changed;
/// Degraded while the newest finished run failed (naming its exit code). A scheduled
/// FargateTask has no phase: its runs have outcomes.
pub fn scheduled_task_status(
    inputs: &ReportInputs<'_>,
    schedule: crate::api::schedule::ScheduleStatus,
    previous: Option<&crate::api::FargateTaskStatus>,
) -> crate::api::FargateTaskStatus {
    let g = Some(inputs.owner.generation);
    let failed = crate::plan::schedule::latest_failure(&schedule.recent_runs).map(|r| {
        let id = r
            .task
            .task_arn
            .rsplit('/')
            .next()
            .unwrap_or(&r.task.task_arn);
        let why = r.reason.clone().unwrap_or_else(|| "failed".into());
        format!("the latest run (task {id}) failed: {why}")
    });
    let suspended = schedule.state.as_deref() == Some("DISABLED");
    // What GetSchedule reported as the EndDate, against the clock.
    let ended = schedule
        .end_date
        .as_deref()
        .and_then(crate::api::schedule::date_seconds)
        .is_some_and(|e| e <= inputs.now.as_second());
    let mut status = crate::api::FargateTaskStatus {
        observed_generation: g,
        conditions: previous.map(|p| p.conditions.clone()).unwrap_or_default(),
        task_definition_arn: schedule.task_definition_arn.clone(),
        failure: failed.clone(),
        schedule: Some(schedule),
        ..Default::default()
    };
    sync_conditions(&mut status.conditions, inputs);
    let now = inputs.now;
    let cond =
        |t: &str, s: bool, reason: &str, message: &str| condition(t, s, reason, message, g, now);
    let readiness = not_synced(inputs).unwrap_or_else(|| {
        if matches!(inputs.sync, Sync::Applying { .. }) {
            return applying(
                inputs,
                "the schedule is being created or changed",
                "the schedule is being created or changed",
            );
        }
        let (reason, m) = if ended {
            (
                reasons::ENDED,
                "the schedule is in place and its end date has passed: it starts no more runs",
            )
        } else if suspended {
            (reasons::SUSPENDED, "the schedule is in place and suspended")
        } else {
            (reasons::SCHEDULED, "the schedule is in place")
        };
        let degraded = match &failed {
            Some(why) => cond(ct::DEGRADED, true, reasons::RUN_FAILED, why),
            None => degraded_ok(inputs),
        };
        (
            cond(ct::READY, true, reason, m),
            cond(ct::PROGRESSING, false, reason, m),
            degraded,
        )
    });
    set_readiness(&mut status.conditions, readiness);
    status
}

//! A deployment ECS rolled back (the circuit breaker, an alarm, a lifecycle hook) leaves the
//! service on the previous revision while the spec still names the new one. Deploying the
//! spec's revision again would start the same failing deployment, and again after each
//! rollback: a loop. So the revision ECS rolled back is held (recorded in the status with the
//! generation it failed at), and the planner does not deploy it again until the spec changes:
//! a new generation of the FargateService retries it, and a new TaskDefinition revision is
//! another revision.

use super::model::{ObservedFargateService, ObservedService, ServiceBody};
use super::Note;
use crate::api::fargateservice::{FargateServiceStatus, RolledBackRevision};
use crate::api::reasons;

/// Service deployment statuses of a rollback under way.
fn rolling_back(status: &str) -> bool {
    matches!(status, "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS")
}

/// Service deployment statuses of a rollback that ended.
fn rolled_back(status: &str) -> bool {
    matches!(status, "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED")
}

/// The revision ECS rolled back for this `generation`, if any: the one `previous` (the last
/// status written) records for it; else one ECS has just rolled back: the revision the last
/// status showed the service running, which it runs no longer, with a sign of a rollback: a
/// deployment of it that FAILED (the circuit breaker), a service deployment rolling back at
/// the last status, or one read now rolling back or rolled back (unless the last status
/// already showed a rollback that ended: that one was about an earlier revision). The
/// service moving to another revision for any other reason (the spec, a pin) shows none.
pub fn rolled_back_revision(
    observed: &ObservedFargateService,
    previous: Option<&FargateServiceStatus>,
    generation: i64,
) -> Option<RolledBackRevision> {
    let s = observed.service.as_ref().filter(|s| s.status == "ACTIVE")?;
    let now = s.body.task_definition.to_string();
    if let Some(r) = previous
        .and_then(|p| p.rolled_back.as_ref())
        .filter(|r| r.generation == generation && r.task_definition_arn != now)
    {
        return Some(r.clone());
    }
    let was = previous?.task_definition_arn.as_deref()?;
    if was == now {
        return None;
    }
    let failed = s
        .deployments
        .iter()
        .find(|d| d.task_definition == was && d.rollout_state.as_deref() == Some("FAILED"));
    let last = previous.and_then(|p| p.rollout.as_ref());
    let last_status = last.and_then(|r| r.status.as_deref());
    let read = observed
        .service_deployment
        .as_ref()
        .filter(|d| rolling_back(&d.status) || rolled_back(&d.status))
        .filter(|_| !last_status.is_some_and(rolled_back));
    let last = last.filter(|_| last_status.is_some_and(rolling_back));
    let reason = failed
        .and_then(|d| d.rollout_state_reason.clone())
        .or_else(|| read.and_then(|d| d.rollback_reason.clone().or(d.status_reason.clone())))
        .or_else(|| last.and_then(|r| r.rollback_reason.clone().or(r.status_reason.clone())));
    (failed.is_some() || read.is_some() || last.is_some()).then(|| RolledBackRevision {
        task_definition_arn: was.to_owned(),
        generation,
        reason,
    })
}

/// `want` with the running revision kept instead of `held`'s, when the spec (this
/// generation) still names the revision ECS rolled back and the service runs another one;
/// the note says so (Degraded, reason RolledBack). Otherwise `want` unchanged.
pub fn hold(
    mut want: ServiceBody,
    live: Option<&ObservedService>,
    held: Option<&RolledBackRevision>,
    generation: i64,
    notes: &mut Vec<Note>,
) -> ServiceBody {
    let (Some(h), Some(s)) = (held.filter(|h| h.generation == generation), live) else {
        return want;
    };
    if want.task_definition != h.task_definition_arn
        || s.body.task_definition == want.task_definition
    {
        return want;
    }
    let revision = |arn: &str| {
        crate::api::revision_of_arn(arn).map_or(arn.to_owned(), |(f, n)| format!("{f}:{n}"))
    };
    let failed = revision(&h.task_definition_arn);
    notes.push(Note {
        reason: reasons::ROLLED_BACK,
        message: format!(
            "ECS rolled revision {failed} back ({}); the service runs {}, and the operator does not deploy {failed} again until the spec changes: a new generation of this FargateService (any spec change) retries it, a new TaskDefinition revision replaces it",
            h.reason.as_deref().unwrap_or("no reason given"),
            revision(&s.body.task_definition.to_string()),
        ),
    });
    want.task_definition = s.body.task_definition.clone();
    want
}

//! Condition types and reasons: one place for the strings users, `kubectl wait` and Argo CD read.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

/// Condition types written on every kind.
pub mod condition_types {
    /// The ECS deployment for this generation completed with running == desired
    /// (FargateService), or the revision for this generation is registered (TaskDefinition).
    pub const READY: &str = "Ready";
    /// AWS is being changed, or a deployment is rolling out.
    pub const PROGRESSING: &str = "Progressing";
    /// Something is wrong: bad spec, AWS refused, deployment failed, ownership conflict.
    pub const DEGRADED: &str = "Degraded";
    /// AWS matches the spec (no further changes planned).
    pub const SYNCED: &str = "Synced";
    /// All four, in the order they are written.
    pub const ALL: [&str; 4] = [READY, PROGRESSING, DEGRADED, SYNCED];
}

/// CamelCase reasons. Stable: they are API, and Event reasons reuse them.
pub mod reasons {
    /// Every AWS resource matches the spec.
    pub const IN_SYNC: &str = "InSync";
    /// Changes to AWS are being made.
    pub const APPLYING: &str = "Applying";
    /// The spec failed validation; nothing was sent to AWS.
    pub const INVALID_SPEC: &str = "InvalidSpec";
    /// AWS rejected a request as invalid; its message is in the condition.
    pub const AWS_REJECTED: &str = "AwsRejected";
    /// The operator's credentials may not perform an AWS call.
    pub const ACCESS_DENIED: &str = "AccessDenied";
    /// AWS is throttling the operator; it retries with backoff.
    pub const THROTTLED: &str = "Throttled";
    /// AWS could not be reached or answered with a server error; retried with backoff.
    pub const AWS_UNAVAILABLE: &str = "AwsUnavailable";
    /// A resource of that name exists and is not owned by this object.
    pub const CONFLICT: &str = "Conflict";
    /// A managed role asked for a policy outside the operator's allowlist.
    pub const POLICY_NOT_ALLOWED: &str = "PolicyNotAllowed";
    /// The spec references what its FargateTenant or the operator's flags do not allow
    /// (another team's secret, role, target group, ...); nothing was sent to AWS.
    pub const NOT_ALLOWED: &str = "NotAllowed";
    /// The namespace's FargateTenant cannot be used (yet): its role cannot be assumed, it
    /// cannot be read, or the namespace's labels are not known yet; retried.
    pub const TENANT_UNAVAILABLE: &str = "TenantUnavailable";
    /// The referenced TaskDefinition does not exist or has no registered revision yet.
    pub const WAITING_FOR_TASK_DEFINITION: &str = "WaitingForTaskDefinition";
    /// The ECS cluster does not exist and the spec does not let the operator create it.
    pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
    /// An ECS deployment is in progress.
    pub const DEPLOYING: &str = "Deploying";
    /// The ECS deployment for this generation completed and running == desired.
    pub const DEPLOYMENT_COMPLETED: &str = "DeploymentCompleted";
    /// The ECS deployment failed (circuit breaker or alarms); see rolloutStateReason.
    pub const DEPLOYMENT_FAILED: &str = "DeploymentFailed";
    /// ECS rolled a deployment back (circuit breaker, alarm, lifecycle hook).
    pub const ROLLED_BACK: &str = "RolledBack";
    /// A pinned revision (`taskDefinitionRef.revision`, `ecs.fargate.dev/rollback-to`) is
    /// not one the TaskDefinition keeps.
    pub const REVISION_NOT_KEPT: &str = "RevisionNotKept";
    /// Fewer tasks are running than desired.
    pub const TASKS_NOT_RUNNING: &str = "TasksNotRunning";
    /// The task-definition revision for this generation is registered.
    pub const REGISTERED: &str = "Registered";
    /// The object is being deleted.
    pub const DELETING: &str = "Deleting";
    /// An image uses a mutable tag (or none); rollbacks to it are not reproducible.
    pub const MUTABLE_IMAGE_TAG: &str = "MutableImageTag";
    /// No problem to report.
    pub const AS_EXPECTED: &str = "AsExpected";
    /// A FargateTask's tasks are being started or provisioned.
    pub const TASK_STARTING: &str = "TaskStarting";
    /// A FargateTask's tasks run.
    pub const TASK_RUNNING: &str = "TaskRunning";
    /// A FargateTask's run succeeded: every essential container exited 0.
    pub const RUN_SUCCEEDED: &str = "RunSucceeded";
    /// A FargateTask's run failed on its last allowed attempt.
    pub const RUN_FAILED: &str = "RunFailed";
    /// A FargateTask's run passed `activeDeadlineSeconds`; its tasks were stopped.
    pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
    /// A scheduled FargateTask's schedule is in place and enabled.
    pub const SCHEDULED: &str = "Scheduled";
    /// A scheduled FargateTask's schedule is in place and disabled (`spec.suspend`).
    pub const SUSPENDED: &str = "Suspended";
    /// A scheduled FargateTask's schedule is in place and its `EndDate` (as GetSchedule
    /// reports it) has passed: Scheduler starts no more runs.
    pub const ENDED: &str = "Ended";
    /// A FargateService's preDeploy task runs (or is being started): its new revision waits.
    pub const PRE_DEPLOY_RUNNING: &str = "PreDeployRunning";
    /// A FargateService's preDeploy task failed (its last allowed attempt, or the deadline):
    /// the service keeps its running revision.
    pub const PRE_DEPLOY_FAILED: &str = "PreDeployFailed";
    /// A FargateService's preDeploy task succeeded for the revision it now deploys.
    pub const PRE_DEPLOY_SUCCEEDED: &str = "PreDeploySucceeded";
}

/// Sets `new` into `conditions`, keeping `lastTransitionTime` when the status did not flip.
/// Returns whether anything (status, reason, message, generation) changed.
pub fn set_condition(conditions: &mut Vec<Condition>, mut new: Condition) -> bool {
    match conditions.iter_mut().find(|c| c.type_ == new.type_) {
        Some(existing) => {
            if existing.status == new.status {
                new.last_transition_time = existing.last_transition_time.clone();
            }
            let changed = *existing != new;
            *existing = new;
            changed
        }
        None => {
            conditions.push(new);
            true
        }
    }
}

/// Builds a condition; `now` is injected so callers (and tests) control the clock.
pub fn condition(
    type_: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
    generation: Option<i64>,
    now: Timestamp,
) -> Condition {
    Condition {
        type_: type_.to_owned(),
        status: if status { "True" } else { "False" }.to_owned(),
        reason: reason.to_owned(),
        message: truncate_message(message.into()),
        observed_generation: generation,
        last_transition_time: Time(now),
    }
}

/// Condition and Event messages are capped at 1 KiB (on a character boundary).
pub fn truncate_message(mut message: String) -> String {
    const MAX: usize = 1024;
    if message.len() > MAX {
        let mut end = MAX - 3;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("...");
    }
    message
}

/// Whether condition `type_` is present with status `True`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == type_ && c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    #[test]
    fn transition_time_only_changes_when_status_flips() {
        let mut conds = vec![];
        assert!(set_condition(
            &mut conds,
            condition("Ready", false, reasons::APPLYING, "a", Some(1), at(10))
        ));
        // same status, new message: time kept, change reported
        assert!(set_condition(
            &mut conds,
            condition("Ready", false, reasons::DEPLOYING, "b", Some(2), at(20))
        ));
        assert_eq!(conds[0].last_transition_time, Time(at(10)));
        // identical: no change
        assert!(!set_condition(
            &mut conds,
            condition("Ready", false, reasons::DEPLOYING, "b", Some(2), at(30))
        ));
        assert_eq!(conds[0].last_transition_time, Time(at(10)));
        // flip: time moves
        assert!(set_condition(
            &mut conds,
            condition(
                "Ready",
                true,
                reasons::DEPLOYMENT_COMPLETED,
                "c",
                Some(2),
                at(40)
            )
        ));
        assert_eq!(conds[0].last_transition_time, Time(at(40)));
        assert!(is_true(&conds, "Ready"));
    }

    #[test]
    fn long_messages_are_truncated_on_char_boundary() {
        let msg = "é".repeat(1000);
        let out = truncate_message(msg);
        assert!(out.len() <= 1024);
        assert!(out.ends_with("..."));
    }
}

/// What the operator writes on either kind's status besides the kind's own fields: the
/// conditions and the generation they are for.
pub trait ObjectStatus: Clone + Default + PartialEq + serde::Serialize {
    fn conditions(&self) -> &[Condition];
    fn conditions_mut(&mut self) -> &mut Vec<Condition>;
    fn set_observed_generation(&mut self, generation: i64);
}

macro_rules! object_status {
    ($($status:ty),*) => {$(
        impl ObjectStatus for $status {
            fn conditions(&self) -> &[Condition] {
                &self.conditions
            }
            fn conditions_mut(&mut self) -> &mut Vec<Condition> {
                &mut self.conditions
            }
            fn set_observed_generation(&mut self, generation: i64) {
                self.observed_generation = Some(generation);
            }
        }
    )*};
}
object_status!(
    super::TaskDefinitionStatus,
    super::FargateServiceStatus,
    super::FargateTaskStatus
);

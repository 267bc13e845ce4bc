//! `FargateService.spec.deployment.preDeploy`: a task that must succeed before the service
//! moves to a new task-definition revision (a database migration run with the new image),
//! and `status.preDeploy`, where its run is recorded. The run is a FargateTask's run
//! ([`super::fargatetask`]: the same overrides, attempts, outcomes and per-container
//! records), keyed by the revision it gates instead of a generation.

#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::{ListMerge, Rule};
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::fargateservice::{CapacityProviderStrategyItem, NetworkSpec};
use super::fargatetask::{TaskAttempt, TaskDefinitionName, TaskOverrides, TaskPhase};
use super::patterns;

/// A task run (and waited for) before the service moves to a new revision. Unless it
/// succeeds, the service keeps its running revision: other changes to the service still
/// go through. A success is recorded per revision: the same revision never runs it twice.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.taskDefinitionRef) || !has(self.taskDefinitionArn)")
        .message("deployment.preDeploy: set at most one of taskDefinitionRef or taskDefinitionArn (neither: the revision the service is about to deploy)")
        .field_path(".taskDefinitionArn"),
    validation = Rule::new("!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(c, has(c.base) && c.base > 0).size() <= 1")
        .message("deployment.preDeploy.capacityProviderStrategy: only one capacity provider may have a base")
        .field_path(".capacityProviderStrategy"),
    validation = Rule::new("!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.exists(c, !has(c.weight) || c.weight > 0)")
        .message("deployment.preDeploy.capacityProviderStrategy: at least one capacity provider needs a weight above 0")
        .field_path(".capacityProviderStrategy"),
)]
pub struct PreDeploySpec {
    /// A TaskDefinition in the same namespace whose current revision runs. Unset (with
    /// `taskDefinitionArn` unset): the revision the service is about to deploy, so the task
    /// runs the new image (add `overrides` to run another command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<TaskDefinitionName>,

    /// An existing task-definition revision ARN to run instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::TASK_DEFINITION_ARN), length(max = 512))]
    pub task_definition_arn: Option<String>,

    /// Changes for this run: container commands (e.g. `["./manage", "migrate"]`),
    /// environment and sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverrides>,

    /// VPC networking of the task. Unset: the service's `network`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkSpec>,

    /// FARGATE / FARGATE_SPOT mix of the task. Unset: the service's strategy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["capacityProvider".into()]))]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,

    /// Seconds one revision's run may take, from the start of its first attempt, before the
    /// operator stops its task and the rollout is held as failed (1-604800, a week). Unset:
    /// no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604800))]
    pub active_deadline_seconds: Option<i64>,

    /// Attempts after the first when one fails (an essential container exits non-zero, or
    /// the task stops before its containers finish) (0-100, default 0: a migration is
    /// usually not safe to repeat blindly).
    #[serde(default)]
    #[schemars(range(min = 0, max = 100))]
    pub backoff_limit: i32,
}

/// The preDeploy run of the revision the service is moving to (or moved to last).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreDeployStatus {
    /// The service revision this run gates.
    pub target_task_definition_arn: String,
    /// The revision the preDeploy task runs (the target unless the spec names another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// The service generation the attempts below started at (their tasks carry it).
    pub generation: i64,
    /// Pending, Running, Succeeded (the rollout goes ahead) or Failed (it is held).
    pub phase: TaskPhase,
    /// Attempts started.
    #[serde(default)]
    pub attempt_count: i32,
    /// When the first attempt's task was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the run finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The service generation at which the failure was first seen: a newer one runs the
    /// preDeploy again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_generation: Option<i64>,
    /// Why it failed: the container, its exit code and the task's stoppedReason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Every attempt, oldest first, with its task ARN, containers' exit codes and logs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<TaskAttempt>,
}

//! `FargateTask`: a one-off run of a TaskDefinition on Fargate (a migration, a batch job),
//! with Kubernetes Job semantics where they fit: retries (`backoffLimit`), a deadline
//! (`activeDeadlineSeconds`) and clean-up after it finished (`ttlSecondsAfterFinished`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::{ListMerge, Rule};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fargateservice::{
    CapacityProviderStrategyItem, ClusterSpec, DeletionPolicy, NetworkSpec,
};
use super::patterns;
use super::taskdefinition::EnvVar;

/// The kind's name, as ownership, Events and the `plan` output name it.
pub const KIND: &str = "FargateTask";

/// RunTask starts at most 10 tasks per call (API reference, `RunTask.count`).
pub const MAX_COUNT: i32 = 10;

/// A one-off run of a TaskDefinition on Fargate: RunTask once per generation (retried up to
/// `backoffLimit` times when it fails), watched until every task stopped.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "ecs.fargate.dev",
    version = "v1alpha1",
    kind = "FargateTask",
    namespaced,
    status = "FargateTaskStatus",
    shortname = "fgt",
    category = "fargate",
    derive = "PartialEq",
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Attempts","type":"integer","jsonPath":".status.attemptCount"}"#,
    printcolumn = r#"{"name":"Schedule","type":"string","jsonPath":".spec.schedule"}"#,
    printcolumn = r#"{"name":"Suspend","type":"boolean","jsonPath":".spec.suspend","priority":1}"#,
    printcolumn = r#"{"name":"Last Run","type":"string","jsonPath":".status.schedule.recentRuns[0].outcome","priority":1}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.taskDefinitionRef) != has(self.taskDefinitionArn)")
        .message("set exactly one of spec.taskDefinitionRef (a TaskDefinition in this namespace) or spec.taskDefinitionArn (an existing revision)"),
    validation = Rule::new("!has(self.cluster) || (!has(self.cluster.containerInsights) && !has(self.cluster.serviceConnectDefaults))")
        .message("spec.cluster: a FargateTask runs in an existing cluster and never changes it: containerInsights and serviceConnectDefaults belong on a FargateService")
        .field_path(".cluster"),
    validation = Rule::new("!has(self.tags) || self.tags.all(k, !k.startsWith('ecs.fargate.dev/') && !k.startsWith('aws:'))")
        .message("spec.tags: keys starting with ecs.fargate.dev/ or aws: are reserved")
        .field_path(".tags"),
    validation = Rule::new("!has(self.tags) || self.tags.all(k, k.size() >= 1 && k.size() <= 128)")
        .message("spec.tags: a tag key is 1 to 128 characters (AWS's limit)")
        .field_path(".tags"),
    validation = Rule::new("!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(c, has(c.base) && c.base > 0).size() <= 1")
        .message("spec.capacityProviderStrategy: only one capacity provider may have a base")
        .field_path(".capacityProviderStrategy"),
    validation = Rule::new("!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.exists(c, !has(c.weight) || c.weight > 0)")
        .message("spec.capacityProviderStrategy: at least one capacity provider needs a weight above 0")
        .field_path(".capacityProviderStrategy"),
    // Scheduled runs (super::schedule): the one-off settings do not apply to them, and the
    // schedule settings need a schedule.
    validation = Rule::new("!has(self.schedule) || !has(self.backoffLimit) || self.backoffLimit == 0")
        .message("spec.backoffLimit: a scheduled FargateTask does not retry a failed run (each run is one RunTask by EventBridge Scheduler; the next run comes at the next scheduled time): leave backoffLimit unset")
        .field_path(".backoffLimit"),
    validation = Rule::new("!has(self.schedule) || !has(self.activeDeadlineSeconds)")
        .message("spec.activeDeadlineSeconds applies to a one-off run only, not to a scheduled FargateTask")
        .field_path(".activeDeadlineSeconds"),
    validation = Rule::new("!has(self.schedule) || !has(self.ttlSecondsAfterFinished)")
        .message("spec.ttlSecondsAfterFinished applies to a one-off run only: a scheduled FargateTask never finishes")
        .field_path(".ttlSecondsAfterFinished"),
    validation = Rule::new("has(self.schedule) || !has(self.timezone)")
        .message("spec.timezone needs spec.schedule")
        .field_path(".timezone"),
    validation = Rule::new("has(self.schedule) || !has(self.suspend) || !self.suspend")
        .message("spec.suspend needs spec.schedule (it disables the schedule)")
        .field_path(".suspend"),
    validation = Rule::new("has(self.schedule) || !has(self.retryPolicy)")
        .message("spec.retryPolicy needs spec.schedule")
        .field_path(".retryPolicy"),
    // EventBridge Scheduler ignores StartDate and EndDate for one-time at(...) schedules.
    validation = Rule::new("!has(self.startDate) || (has(self.schedule) && !self.schedule.startsWith('at('))")
        .message("spec.startDate needs a cron(...) or rate(...) spec.schedule (EventBridge Scheduler ignores it for a one-time at(...) schedule)")
        .field_path(".startDate"),
    validation = Rule::new("!has(self.endDate) || (has(self.schedule) && !self.schedule.startsWith('at('))")
        .message("spec.endDate needs a cron(...) or rate(...) spec.schedule (EventBridge Scheduler ignores it for a one-time at(...) schedule)")
        .field_path(".endDate"),
    validation = Rule::new("!has(self.startDate) || !has(self.endDate) || timestamp(self.endDate) > timestamp(self.startDate)")
        .message("spec.endDate must be after spec.startDate")
        .field_path(".endDate"),
)]
pub struct FargateTaskSpec {
    /// The ECS cluster. Defaults to `{name: default, create: true}`; a task never creates a
    /// cluster: it must exist (a FargateService creates it, or it was made elsewhere).
    #[serde(default)]
    pub cluster: ClusterSpec,

    /// A TaskDefinition in the same namespace: the run uses its current revision (and waits
    /// until one is registered). Exactly one of this or `taskDefinitionArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<TaskDefinitionName>,

    /// An existing task-definition revision ARN, for task definitions managed elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::TASK_DEFINITION_ARN), length(max = 512))]
    pub task_definition_arn: Option<String>,

    /// VPC networking (awsvpc): subnets, security groups, public IP.
    pub network: NetworkSpec,

    /// Mix of FARGATE and FARGATE_SPOT (Spot suits batch work that can be retried). Unset
    /// runs on FARGATE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["capacityProvider".into()]))]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,

    /// Fargate platform version (default `LATEST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::PLATFORM_VERSION), length(max = 32))]
    pub platform_version: Option<String>,

    /// Copies of the task started per attempt (1-10, default 1; RunTask's limit). The run
    /// succeeds when every copy does.
    #[serde(default = "default_count")]
    #[schemars(range(min = 1, max = 10))]
    pub count: i32,

    /// Per-run changes to the task definition: container commands, environment and sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverrides>,

    /// Attempts after the first when one fails (an essential container exits non-zero, or
    /// a task stops before its containers finish), like a Job's (0-100, default 0: a failed
    /// run is not repeated; a migration is usually not safe to run twice blindly).
    #[serde(default)]
    #[schemars(range(min = 0, max = 100))]
    pub backoff_limit: i32,

    /// Seconds the run may take, from the start of its first attempt, before the operator
    /// stops its tasks and marks it Failed (1-604800, a week). Unset: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604800))]
    pub active_deadline_seconds: Option<i64>,

    /// Seconds after the run finished (Succeeded or Failed) before the operator deletes this
    /// object (0-2592000, 30 days). Unset: kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 2592000))]
    pub ttl_seconds_after_finished: Option<i64>,

    /// Tags for the tasks (with the operator's ownership tags). Keys starting with
    /// `ecs.fargate.dev/` or `aws:` are reserved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::validation::tags_schema")]
    pub tags: BTreeMap<String, String>,

    /// `Delete` (default) stops the tasks still running when this object is deleted (and
    /// deletes a schedule and its managed scheduler role); `Retain` leaves them.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Run on a schedule instead of once: an EventBridge Scheduler expression,
    /// `cron(minutes hours day-of-month month day-of-week year)` (e.g. `cron(0 5 ? * * *)`),
    /// `rate(<n> minute(s)|hour(s)|day(s))` or `at(yyyy-mm-ddThh:mm:ss)` (once). At most 256
    /// characters (the Scheduler API's limit). Each run starts `count` tasks of the
    /// TaskDefinition's current revision; a failed run is not retried (`backoffLimit`,
    /// `activeDeadlineSeconds` and `ttlSecondsAfterFinished` apply to one-off runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::SCHEDULER_EXPRESSION), length(max = 256))]
    pub schedule: Option<String>,

    /// The time zone `schedule` is evaluated in (an IANA name such as `Europe/Berlin`;
    /// default `UTC`; at most 50 characters, the Scheduler API's limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::SCHEDULER_TIMEZONE), length(max = 50))]
    pub timezone: Option<String>,

    /// `true` disables the schedule (no new runs; runs in progress go on); `false` (default)
    /// enables it. Needs `schedule`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,

    /// How hard EventBridge Scheduler tries to start a run it could not start (ECS
    /// throttling, capacity): unset uses Scheduler's defaults (185 attempts within 24
    /// hours), which can start a nightly job the next afternoon. Needs `schedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<super::schedule::ScheduleRetryPolicy>,

    /// When the schedule may start its first run: an RFC 3339 date-time with an offset
    /// (e.g. `2030-01-01T00:00:00Z`; fractions of a second are dropped), EventBridge
    /// Scheduler's `StartDate`. A `cron` schedule runs at its first time after it; a
    /// `rate` schedule at it and then every period. Unset: from when the schedule is made.
    /// A date that has passed is fine (Scheduler refuses a `StartDate` more than 5 minutes
    /// old, so the operator then sends none for a `cron` schedule, and for a `rate` one the
    /// first of its times still to come). Needs a `cron(...)` or `rate(...)` `schedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DATE_TIME), length(max = 64))]
    pub start_date: Option<String>,

    /// When the schedule stops starting runs: an RFC 3339 date-time with an offset (e.g.
    /// `2030-12-31T23:59:59Z`; fractions of a second are dropped), EventBridge Scheduler's
    /// `EndDate`; after `startDate`. Once it has passed the schedule stays, starts nothing
    /// more and the object is Ready with reason `Ended`. Needs a `cron(...)` or `rate(...)`
    /// `schedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DATE_TIME), length(max = 64))]
    pub end_date: Option<String>,
}

fn default_count() -> i32 {
    1
}

/// A TaskDefinition in the same namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
pub struct TaskDefinitionName {
    /// Object name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// RunTask's `overrides`. ECS allows 8192 characters of overrides in all (JSON included);
/// the operator checks that before it asks.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.cpu) == has(self.memory)")
        .message("overrides: set cpu and memory together (a valid Fargate size), or neither")
        .field_path(".memory"),
    // The TaskDefinition's rule of Fargate sizes (AWS's table of CPU and memory pairs).
    validation = Rule::new("!has(self.cpu) || !has(self.memory) || (self.cpu == 256 ? self.memory in [512, 1024, 2048] : self.cpu == 512 ? (self.memory >= 1024 && self.memory <= 4096 && self.memory % 1024 == 0) : self.cpu == 1024 ? (self.memory >= 2048 && self.memory <= 8192 && self.memory % 1024 == 0) : self.cpu == 2048 ? (self.memory >= 4096 && self.memory <= 16384 && self.memory % 1024 == 0) : self.cpu == 4096 ? (self.memory >= 8192 && self.memory <= 30720 && self.memory % 1024 == 0) : self.cpu == 8192 ? (self.memory >= 16384 && self.memory <= 61440 && self.memory % 4096 == 0) : self.cpu == 16384 && self.memory >= 32768 && self.memory <= 122880 && self.memory % 8192 == 0)")
        .message("overrides.memory is not a valid Fargate size for overrides.cpu (cpu 256 takes 512, 1024 or 2048 MiB; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384; 4096 takes 8192-30720; 8192 takes 16384-61440; 16384 takes 32768-122880)")
        .field_path(".memory"),
)]
pub struct TaskOverrides {
    /// Task CPU units for this run (256, 512, 1024, 2048, 4096, 8192 or 16384), with
    /// `memory`: a valid Fargate size, at least the containers' sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 256, max = 16384))]
    pub cpu: Option<i32>,
    /// Task memory in MiB for this run, with `cpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 512, max = 122880))]
    pub memory: Option<i32>,
    /// Per container (by name, each once; at most 10, the containers a task definition
    /// may have).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub containers: Vec<ContainerOverride>,
}

/// One container's changes for this run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverride {
    /// The container of the task definition.
    #[schemars(regex(pattern = patterns::ECS_NAME), length(max = 64))]
    pub name: String,
    /// Replaces the container's command (at most 100 arguments).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(length(max = 8192)))]
    pub command: Vec<String>,
    /// Added to (or replacing) the container's environment variables (at most 100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub environment: Vec<EnvVar>,
    /// CPU units for the container (0-16384).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 16384))]
    pub cpu: Option<i32>,
    /// Hard memory limit in MiB (6-122880; Docker needs at least 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 6, max = 122880))]
    pub memory: Option<i32>,
}

/// Where a run is.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default)]
pub enum TaskPhase {
    /// Not started yet (waiting for the TaskDefinition, or RunTask in progress), or the
    /// tasks are being provisioned.
    #[default]
    Pending,
    /// A task of the current attempt runs.
    Running,
    /// Every task of an attempt stopped with its essential containers exiting 0.
    Succeeded,
    /// The last allowed attempt failed, or the deadline passed.
    Failed,
}

impl TaskPhase {
    /// Succeeded or Failed: nothing more will run for this generation.
    pub fn finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// Observed state of a FargateTask.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct FargateTaskStatus {
    /// The `metadata.generation` this status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready (the run succeeded), Progressing, Degraded and Synced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// Pending, Running, Succeeded or Failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<TaskPhase>,
    /// The generation the attempts below ran for (a new generation runs again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_generation: Option<i64>,
    /// The task-definition revision run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// Attempts started for `runGeneration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_count: Option<i32>,
    /// When the first attempt's tasks were created (RFC 3339): what
    /// `activeDeadlineSeconds` counts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the run finished (RFC 3339): what `ttlSecondsAfterFinished` counts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Why the run failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Every attempt of `runGeneration`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<TaskAttempt>,
    /// A scheduled FargateTask's schedule and its recent runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<super::schedule::ScheduleStatus>,
}

/// One attempt: the tasks RunTask started for it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskAttempt {
    /// 1 for the first attempt.
    pub attempt: i32,
    /// Running (a task has not stopped), Succeeded or Failed.
    pub outcome: TaskPhase,
    /// Why it failed: the first non-zero exit code, or the task's stoppedReason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskRun>,
}

/// One ECS task of an attempt.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskRun {
    /// Task ARN.
    pub task_arn: String,
    /// ECS's lastStatus: PROVISIONING, PENDING, RUNNING, STOPPED, ...
    pub last_status: String,
    /// When it started running (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it stopped (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
    /// ECS's stoppedReason, e.g. `Essential container in task exited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// ECS's stopCode, e.g. `EssentialContainerExited`, `UserInitiated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    /// Its containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerRun>,
}

/// One container of a task: how it ended and where its logs are.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRun {
    /// Container name.
    pub name: String,
    /// Exit code, once it exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why it stopped, as ECS says (e.g. `OutOfMemoryError`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// CloudWatch Logs group (awslogs containers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    /// CloudWatch Logs stream: `<prefix>/<container>/<task-id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
}

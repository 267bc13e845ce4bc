//! The AWS-side shapes the planner compares. Desired state (built from a spec) and observed
//! state (read from AWS) use the same types, and [`TaskDefBody::normalized`] /
//! [`ServiceBody::canonical`] map both to one canonical form: AWS fills in defaults
//! (`hostPort`, `protocol`, `essential`, `cpu: 0`, ...) and reorders lists, and none of that
//! is drift.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// Resource tags.
pub type Tags = BTreeMap<String, String>;

/// What turns `current` tags into `want`: the tags to add or change, and the keys to remove
/// (never AWS's own `aws:` tags).
pub fn tag_changes(current: &Tags, want: &Tags) -> (Tags, Vec<String>) {
    let mut add = want.clone();
    add.retain(|k, v| current.get(k) != Some(v));
    let remove = current
        .keys()
        .filter(|k| !want.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    (add, remove)
}

/// IAM path of every role the operator manages (with the other derived names in
/// [`crate::api::names`]).
pub use crate::api::names::ROLE_PATH;

/// A role a task definition refers to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub enum RoleRef {
    /// A role given by ARN (user-supplied, or as AWS reports it).
    Arn(String),
    /// A role the operator manages, by name (under [`ROLE_PATH`]); its ARN is known once it
    /// exists.
    Managed(String),
}

impl RoleRef {
    /// Whether an ARN AWS reports is this role.
    pub fn is_arn_of(&self, arn: &str) -> bool {
        match self {
            Self::Arn(a) => a == arn,
            Self::Managed(name) => [ROLE_PATH, crate::api::names::SCHEDULER_ROLE_PATH]
                .iter()
                .any(|path| arn.ends_with(&format!(":role{path}{name}"))),
        }
    }
}

/// A task-definition registration, in the planner's own terms.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefBody {
    /// Family.
    pub family: String,
    /// CPU units, as ECS's string.
    pub cpu: String,
    /// Memory MiB, as ECS's string.
    pub memory: String,
    /// `X86_64` / `ARM64`; None means X86_64.
    pub cpu_architecture: Option<String>,
    /// `LINUX`; None means LINUX.
    pub operating_system_family: Option<String>,
    /// Ephemeral storage GiB; None means Fargate's 20.
    pub ephemeral_storage_gib: Option<i32>,
    /// Execution role.
    pub execution_role: Option<RoleRef>,
    /// Task role.
    pub task_role: Option<RoleRef>,
    /// Containers, in order.
    pub containers: Vec<ContainerDef>,
    /// Volumes.
    pub volumes: Vec<VolumeDef>,
    /// `task`; None means each container has its own process namespace. (Left out of the
    /// JSON when None, as the new fields below: the spec hash of a spec without them is the
    /// one earlier versions computed.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<String>,
    /// None means false, ECS's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,
}

/// A container definition.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDef {
    pub name: String,
    pub image: String,
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
    pub memory_reservation: Option<i32>,
    pub essential: Option<bool>,
    pub command: Vec<String>,
    pub entry_point: Vec<String>,
    pub working_directory: Option<String>,
    pub user: Option<String>,
    /// `(name, value)`.
    pub environment: Vec<(String, String)>,
    /// `(name, valueFrom)`.
    pub secrets: Vec<(String, String)>,
    pub port_mappings: Vec<PortMappingDef>,
    pub health_check: Option<HealthCheckDef>,
    pub log_configuration: Option<LogConfigDef>,
    /// `(containerName, condition)`.
    pub depends_on: Vec<(String, String)>,
    pub readonly_root_filesystem: Option<bool>,
    /// `(name, soft, hard)`.
    pub ulimits: Vec<(String, i32, i32)>,
    pub init_process_enabled: Option<bool>,
    pub mount_points: Vec<MountPointDef>,
    // The fields below are left out of the JSON when unset, so the spec hash of a spec that
    // does not use them is what it was before they existed.
    /// Secrets Manager ARN of a private registry's credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicyDef>,
    /// S3 object ARNs (type `s3`), in order: later files do not override earlier ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<String>,
    /// `(sourceContainer, readOnly)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<(String, Option<bool>)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i32>,
    /// `enabled` / `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_consistency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub docker_labels: BTreeMap<String, String>,
    /// `(namespace, value)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system_controls: Vec<(String, String)>,
    /// `credentialspec[domainless]:<ARN>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credential_specs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensDef>,
    /// `linuxParameters.capabilities.add`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_add: Vec<String>,
    /// `linuxParameters.capabilities.drop`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_drop: Vec<String>,
}

/// A container restart policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestartPolicyDef {
    pub enabled: bool,
    pub ignored_exit_codes: Vec<i32>,
    pub restart_attempt_period: Option<i32>,
}

/// ECS's restart attempt period when a policy gives none, in seconds.
pub const RESTART_ATTEMPT_PERIOD_DEFAULT: i32 = 300;
/// Fargate's stop timeout when a container gives none, in seconds.
pub const STOP_TIMEOUT_DEFAULT: i32 = 30;

/// A FireLens log router configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirelensDef {
    /// `fluentbit` / `fluentd`.
    #[serde(rename = "type")]
    pub router_type: String,
    pub options: BTreeMap<String, String>,
}

/// A port mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct PortMappingDef {
    /// None with a range (serialised as before for a single port, so spec hashes keep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    pub host_port: Option<i32>,
    pub protocol: Option<String>,
    pub name: Option<String>,
    pub app_protocol: Option<String>,
    /// `first-last`; None for a single port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_port_range: Option<String>,
}

/// A container health check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckDef {
    pub command: Vec<String>,
    pub interval: Option<i32>,
    pub timeout: Option<i32>,
    pub retries: Option<i32>,
    pub start_period: Option<i32>,
}

/// A log configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogConfigDef {
    pub log_driver: String,
    pub options: BTreeMap<String, String>,
    /// `(name, valueFrom)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_options: Vec<(String, String)>,
}

/// A mount point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct MountPointDef {
    pub source_volume: String,
    pub container_path: String,
    pub read_only: Option<bool>,
}

/// A task volume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeDef {
    pub name: String,
    pub efs: Option<EfsDef>,
    /// An Amazon S3 Files file system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3files: Option<S3FilesDef>,
    /// A managed EBS volume the service configures; None (ECS reports `false`) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configured_at_launch: Option<bool>,
}

/// An Amazon S3 Files volume configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct S3FilesDef {
    pub file_system_arn: String,
    pub root_directory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transit_encryption_port: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_point_arn: Option<String>,
}

/// An EFS volume configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EfsDef {
    pub file_system_id: String,
    pub root_directory: Option<String>,
    pub transit_encryption: Option<String>,
    pub access_point_id: Option<String>,
    pub iam: Option<String>,
    /// None: the EFS mount helper picks the port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transit_encryption_port: Option<i32>,
}

/// The keys of two JSON objects, in order, each once.
fn json_keys(a: &serde_json::Value, b: &serde_json::Value) -> BTreeSet<String> {
    [a, b]
        .iter()
        .filter_map(|v| v.as_object())
        .flat_map(|o| o.keys().cloned())
        .collect()
}

/// The containers (JSON lists of objects with a `name`) that differ, by name and field.
fn changed_containers(want: &serde_json::Value, got: &serde_json::Value) -> Vec<String> {
    let by_name = |v: &serde_json::Value| -> BTreeMap<String, serde_json::Value> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|c| (c["name"].as_str().unwrap_or_default().to_owned(), c.clone()))
            .collect()
    };
    let (want, got) = (by_name(want), by_name(got));
    let names: BTreeSet<&String> = want.keys().chain(got.keys()).collect();
    let mut out = vec![];
    for name in names {
        match (want.get(name), got.get(name)) {
            (Some(w), Some(g)) => out.extend(
                json_keys(w, g)
                    .into_iter()
                    .filter(|k| w.get(k) != g.get(k))
                    .map(|k| format!("containers[{name}].{k}")),
            ),
            _ => out.push(format!("containers[{name}]")),
        }
    }
    out
}

/// ECS's health-check defaults.
pub const HEALTH_CHECK_DEFAULTS: (i32, i32, i32, i32) = (30, 5, 3, 0);

impl TaskDefBody {
    /// The canonical form: every field AWS defaults set to its default, every list whose
    /// order AWS does not keep sorted.
    pub fn normalized(&self) -> Self {
        let mut b = self.clone();
        b.cpu_architecture.get_or_insert_with(|| "X86_64".into());
        b.operating_system_family
            .get_or_insert_with(|| "LINUX".into());
        if b.ephemeral_storage_gib == Some(20) {
            b.ephemeral_storage_gib = None;
        }
        // Canonically absent when false, so the spec hash of a spec without it is unchanged.
        b.enable_fault_injection = b.enable_fault_injection.filter(|on| *on);
        for c in &mut b.containers {
            c.normalize();
        }
        for v in &mut b.volumes {
            v.configured_at_launch = v.configured_at_launch.filter(|on| *on);
            if let Some(efs) = &mut v.efs {
                efs.root_directory.get_or_insert_with(|| "/".into());
                efs.transit_encryption
                    .get_or_insert_with(|| "DISABLED".into());
                efs.iam.get_or_insert_with(|| "DISABLED".into());
            }
            // ECS: `/` is the same as no root directory.
            if let Some(s3) = &mut v.s3files {
                s3.root_directory.get_or_insert_with(|| "/".into());
            }
        }
        b.volumes.sort_by(|x, y| x.name.cmp(&y.name));
        b
    }

    /// Whether `observed` (as AWS reports it) is the same registration as `self` (desired).
    pub fn same_as_observed(&self, observed: &TaskDefBody) -> bool {
        self.normalized() == self.observed_as_desired(observed).normalized()
    }

    /// What registering `self` changes against `observed` (as AWS reports it), for `plan`:
    /// the top-level fields that differ, a container's as `containers[<name>].<field>`, and
    /// a container added or removed as `containers[<name>]`. ECS's defaults do not count.
    pub fn changed_fields(&self, observed: &TaskDefBody) -> Vec<String> {
        let json = |b: &TaskDefBody| serde_json::to_value(b.normalized()).unwrap_or_default();
        let (want, got) = (json(self), json(&self.observed_as_desired(observed)));
        let mut out = vec![];
        for key in json_keys(&want, &got) {
            match key.as_str() {
                "containers" => out.extend(changed_containers(&want[&key], &got[&key])),
                _ if want.get(&key) != got.get(&key) => out.push(key),
                _ => {}
            }
        }
        out
    }

    /// `observed` with the roles AWS reports by ARN read as the managed roles of `self` they
    /// are (matched by name and path).
    fn observed_as_desired(&self, observed: &TaskDefBody) -> TaskDefBody {
        let mut observed = observed.clone();
        // AWS reports roles by ARN; a managed role is matched by its name and path.
        for (want, got) in [
            (&self.execution_role, &mut observed.execution_role),
            (&self.task_role, &mut observed.task_role),
        ] {
            if let (Some(want), Some(RoleRef::Arn(arn))) = (want, got.as_ref()) {
                if want.is_arn_of(arn) {
                    *got = Some(want.clone());
                }
            }
        }
        observed
    }

    /// Secrets Manager and SSM ARNs ECS reads for any container at task start (for the
    /// execution role's policy): its secrets, its log driver's secret options, its private
    /// registry credentials and a credential spec kept in SSM.
    pub fn secret_arns(&self) -> BTreeSet<String> {
        let mut arns = BTreeSet::new();
        for c in &self.containers {
            arns.extend(c.secrets.iter().map(|(_, v)| v.clone()));
            if let Some(l) = &c.log_configuration {
                arns.extend(l.secret_options.iter().map(|(_, v)| v.clone()));
            }
            arns.extend(c.repository_credentials.iter().cloned());
            arns.extend(
                c.credential_spec_arns()
                    .filter(|a| a.contains(":ssm:"))
                    .map(str::to_owned),
            );
        }
        arns
    }

    /// S3 object ARNs ECS reads for any container at task start (for the execution role's
    /// policy): environment files and credential specs kept in S3.
    pub fn s3_object_arns(&self) -> BTreeSet<String> {
        let mut arns = BTreeSet::new();
        for c in &self.containers {
            arns.extend(c.environment_files.iter().cloned());
            arns.extend(
                c.credential_spec_arns()
                    .filter(|a| a.contains(":s3:::"))
                    .map(str::to_owned),
            );
        }
        arns
    }
}

impl ContainerDef {
    fn normalize(&mut self) {
        self.cpu.get_or_insert(0);
        self.essential.get_or_insert(true);
        self.environment.sort();
        self.secrets.sort();
        for p in &mut self.port_mappings {
            if let Some(port) = p.container_port {
                p.host_port.get_or_insert(port);
            }
            p.protocol.get_or_insert_with(|| "tcp".into());
        }
        self.port_mappings.sort();
        if let Some(h) = &mut self.health_check {
            let (interval, timeout, retries, start) = HEALTH_CHECK_DEFAULTS;
            h.interval.get_or_insert(interval);
            h.timeout.get_or_insert(timeout);
            h.retries.get_or_insert(retries);
            h.start_period.get_or_insert(start);
        }
        self.depends_on.sort();
        self.readonly_root_filesystem.get_or_insert(false);
        self.ulimits.sort();
        self.init_process_enabled.get_or_insert(false);
        for m in &mut self.mount_points {
            m.read_only.get_or_insert(false);
        }
        self.mount_points.sort();
        self.normalize_newer_fields();
    }

    /// The fields added for issue 19, each brought to its canonical form: ECS's default (or
    /// the same meaning) as absent, so a spec that does not use a field hashes as before, and
    /// sets sorted.
    fn normalize_newer_fields(&mut self) {
        if self.restart_policy.as_ref().is_some_and(|r| !r.enabled) {
            // A disabled policy restarts nothing: the same as none.
            self.restart_policy = None;
        }
        if let Some(r) = &mut self.restart_policy {
            r.ignored_exit_codes.sort();
            r.ignored_exit_codes.dedup();
            if r.restart_attempt_period == Some(RESTART_ATTEMPT_PERIOD_DEFAULT) {
                r.restart_attempt_period = None;
            }
        }
        for v in &mut self.volumes_from {
            v.1 = v.1.filter(|read_only| *read_only);
        }
        self.volumes_from.sort();
        self.stop_timeout = self.stop_timeout.filter(|t| *t != STOP_TIMEOUT_DEFAULT);
        self.version_consistency = self.version_consistency.take().filter(|v| v != "enabled");
        self.interactive = self.interactive.filter(|i| *i);
        self.pseudo_terminal = self.pseudo_terminal.filter(|t| *t);
        self.system_controls.sort();
        if let Some(l) = &mut self.log_configuration {
            l.secret_options.sort();
        }
        self.capabilities_add.sort();
        self.capabilities_drop.sort();
    }

    /// The ARNs of the credential specs, without their `credentialspec[domainless]:` prefix.
    pub fn credential_spec_arns(&self) -> impl Iterator<Item = &str> {
        self.credential_specs
            .iter()
            .filter_map(|s| s.split_once(':').map(|(_, arn)| arn))
    }
}

/// A revision of the family as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedRevision {
    pub arn: String,
    pub revision: i32,
    pub body: TaskDefBody,
    pub tags: Tags,
    /// When ECS registered it (RFC 3339), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
}

/// A log group as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedLogGroup {
    pub retention_days: Option<i32>,
    pub tags: Tags,
}

/// An IAM role as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedRole {
    pub arn: String,
    pub path: String,
    pub tags: Tags,
    pub trust_policy: serde_json::Value,
    pub permissions_boundary: Option<String>,
    pub attached_policies: BTreeSet<String>,
    /// Inline policies by name (decoded JSON).
    pub inline_policies: BTreeMap<String, serde_json::Value>,
}

/// Everything a TaskDefinition owns, as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedTaskDefinition {
    /// Log groups the desired spec names, by name (absent = does not exist).
    pub log_groups: BTreeMap<String, ObservedLogGroup>,
    /// Managed roles the desired spec names, by role name (absent = does not exist).
    pub roles: BTreeMap<String, ObservedRole>,
    /// ACTIVE revisions of the family, oldest first.
    pub revisions: Vec<ObservedRevision>,
    /// Revision ARNs some service still runs (never deregistered).
    pub in_use: BTreeSet<String>,
    /// Who runs each of `in_use`, where the caller knows (`ECS service <cluster>/<name>`,
    /// `FargateService <namespace>/<name>`): for messages only.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub in_use_by: BTreeMap<String, BTreeSet<String>>,
}

/// One entry of a capacity-provider strategy. Ordered by provider, then base, then weight.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StrategyItem {
    pub capacity_provider: String,
    pub base: i32,
    pub weight: i32,
}

impl StrategyItem {
    pub fn new(capacity_provider: impl Into<String>, base: i32, weight: i32) -> Self {
        Self {
            capacity_provider: capacity_provider.into(),
            base,
            weight,
        }
    }
}

/// A service registry (Cloud Map). Ordered by its fields, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryDef {
    pub registry_arn: String,
    pub port: Option<i32>,
    pub container_name: Option<String>,
    pub container_port: Option<i32>,
}

/// A deployment circuit breaker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitBreakerDef {
    pub enable: bool,
    pub rollback: bool,
    /// None means true, ECS's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_on_healthy_task: Option<bool>,
    /// None means ECS's default, [`ThresholdDef::ecs_default`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdDef>,
}

impl CircuitBreakerDef {
    /// A breaker with ECS's defaults for the newer settings left out.
    pub fn new(enable: bool, rollback: bool) -> Self {
        Self {
            enable,
            rollback,
            reset_on_healthy_task: None,
            threshold: None,
        }
    }

    /// ECS's defaults spelled out: reset on a healthy task, 50 percent bounded.
    fn canonical(&self) -> Self {
        Self {
            reset_on_healthy_task: Some(self.reset_on_healthy_task.unwrap_or(true)),
            threshold: Some(
                self.threshold
                    .clone()
                    .unwrap_or_else(ThresholdDef::ecs_default),
            ),
            ..self.clone()
        }
    }
}

/// The circuit breaker's failure threshold: `BOUNDED_PERCENT`, `UNBOUNDED_PERCENT` or
/// `COUNT`, and its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdDef {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: i32,
}

impl ThresholdDef {
    /// ECS's default: 50 percent of the desired count, within 3 and 200.
    pub fn ecs_default() -> Self {
        Self {
            kind: "BOUNDED_PERCENT".into(),
            value: 50,
        }
    }
}

/// Early success of a rolling deployment: the healthy percentage of the new revision that
/// completes it, and when the old revision's tasks go (`BLOCKING` / `DEFERRED`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EarlySuccessDef {
    pub healthy_percent: i32,
    pub source_revision_cleanup: String,
}

/// CloudWatch alarms that watch a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmsDef {
    pub names: Vec<String>,
    pub rollback: bool,
}

/// A deployment configuration as UpdateService sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentDef {
    pub minimum_healthy_percent: i32,
    pub maximum_percent: i32,
    pub circuit_breaker: CircuitBreakerDef,
    /// None means no alarms.
    pub alarms: Option<AlarmsDef>,
    /// None means off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_success: Option<EarlySuccessDef>,
    /// Strategy, bake times and lifecycle hooks.
    pub rollout: RolloutDef,
}

/// ECS's strategy when none is given.
pub const ROLLING: &str = "ROLLING";
/// ECS's canary defaults (`CanaryConfiguration`): 5.0 percent, 10 minutes.
pub const CANARY_DEFAULTS: CanaryDef = CanaryDef {
    percent_tenths: 50,
    bake_time_minutes: 10,
};
/// ECS's linear defaults (`LinearConfiguration`): 10.0 percent, 6 minutes.
pub const LINEAR_DEFAULTS: LinearDef = LinearDef {
    step_percent_tenths: 100,
    step_bake_time_minutes: 6,
};
/// ECS's lifecycle-hook timeout defaults (`DeploymentLifecycleHookTimeoutConfiguration`):
/// 1440 minutes, then ROLLBACK.
pub const HOOK_TIMEOUT_DEFAULTS: (i32, &str) = (1440, "ROLLBACK");

/// A percent ECS takes in steps of 0.1 (a float), in tenths: compared exactly.
pub fn tenths(percent: f64) -> i32 {
    (percent * 10.0).round() as i32
}

/// Tenths of a percent back to ECS's float.
pub fn percent(tenths: i32) -> f64 {
    f64::from(tenths) / 10.0
}

/// The canary step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryDef {
    pub percent_tenths: i32,
    pub bake_time_minutes: i32,
}

/// The linear steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinearDef {
    pub step_percent_tenths: i32,
    pub step_bake_time_minutes: i32,
}

/// A Lambda lifecycle hook.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookDef {
    pub lambda_arn: String,
    pub role_arn: String,
    /// ECS stage names.
    pub stages: Vec<String>,
    pub timeout_minutes: Option<i32>,
    /// `CONTINUE` / `ROLLBACK`.
    pub timeout_action: Option<String>,
    /// The `hookDetails` object as canonical JSON ([`canonical_json`]); None: none (an
    /// empty object is none too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// `value` as JSON with every object's keys sorted, whatever order it was built or parsed
/// in: equal values give equal strings.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_sorted(value, &mut out);
    out
}

fn write_sorted(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                write_sorted(&m[k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// How a service rolls out a new revision beyond the rolling-update bounds: the strategy,
/// its bake times and the lifecycle hooks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RolloutDef {
    /// `ROLLING` / `BLUE_GREEN` / `CANARY` / `LINEAR`; None means ROLLING.
    pub strategy: Option<String>,
    pub bake_time_minutes: Option<i32>,
    /// None with CANARY means ECS's defaults.
    pub canary: Option<CanaryDef>,
    /// None with LINEAR means ECS's defaults.
    pub linear: Option<LinearDef>,
    pub lifecycle_hooks: Vec<HookDef>,
}

impl RolloutDef {
    /// The strategy, ROLLING when none is set.
    pub fn strategy(&self) -> &str {
        self.strategy.as_deref().unwrap_or(ROLLING)
    }

    /// The canonical form: the strategy spelled out; bake time, canary and linear steps only
    /// where the strategy uses them (ECS may keep reporting an earlier strategy's), with
    /// ECS's defaults filled in; hooks with their timeout defaults, stages and hooks sorted.
    pub fn canonical(&self) -> Self {
        let strategy = self.strategy().to_owned();
        let rolling = strategy == ROLLING;
        let mut lifecycle_hooks = self.lifecycle_hooks.clone();
        for h in &mut lifecycle_hooks {
            h.stages.sort();
            h.timeout_minutes.get_or_insert(HOOK_TIMEOUT_DEFAULTS.0);
            h.timeout_action
                .get_or_insert_with(|| HOOK_TIMEOUT_DEFAULTS.1.to_owned());
            h.details = h.details.take().filter(|d| d != "{}");
        }
        lifecycle_hooks.sort();
        Self {
            bake_time_minutes: self.bake_time_minutes.filter(|_| !rolling),
            canary: (strategy == "CANARY").then(|| self.canary.unwrap_or(CANARY_DEFAULTS)),
            linear: (strategy == "LINEAR").then(|| self.linear.unwrap_or(LINEAR_DEFAULTS)),
            strategy: Some(strategy),
            lifecycle_hooks,
        }
    }

    /// Minutes a deployment keeps both revisions running at once (for the cost estimate):
    /// the canary or linear steps' bake times plus the final bake time. None for ROLLING.
    pub fn overlap_minutes(&self) -> Option<i32> {
        let c = self.canonical();
        let bake = c.bake_time_minutes?;
        let steps = match (c.canary, c.linear) {
            (Some(k), _) => k.bake_time_minutes,
            // ECS bakes after every step but the last: ceil(100 / step) - 1 bakes.
            (_, Some(l)) => {
                let shifts = (1000 + l.step_percent_tenths - 1) / l.step_percent_tenths.max(1);
                (shifts - 1).max(0) * l.step_bake_time_minutes
            }
            _ => 0,
        };
        Some(bake + steps)
    }
}

/// A service's awsvpc network configuration as UpdateService sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkDef {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
}

/// A load balancer target group the service registers a container port with. Ordered by its
/// fields, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerDef {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: i32,
    /// Blue/green resources (ECS `advancedConfiguration`).
    pub advanced: Option<AdvancedDef>,
}

/// A load balancer's blue/green resources.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedDef {
    pub alternate_target_group_arn: String,
    pub production_listener_rule: String,
    pub test_listener_rule: Option<String>,
    pub role_arn: String,
}

/// A VPC Lattice target group the service registers a named port with. Ordered by its
/// fields, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcLatticeDef {
    pub target_group_arn: String,
    pub port_name: String,
    pub role_arn: String,
    /// Blue/green resources (ECS `VpcLatticeAdvancedConfiguration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advanced: Option<LatticeAdvancedDef>,
}

/// A VPC Lattice registration's blue/green resources. Ordered by its fields.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatticeAdvancedDef {
    pub alternate_target_group_arn: String,
    pub production_listener_rule: String,
    pub test_listener_rule: Option<String>,
}

/// The task definition a service runs: a registered revision, or the revision of `family`
/// that a RegisterTaskDefinition earlier in the same plan registers (resolved when the plan
/// is carried out). Serialised and shown as the ARN, or as `pending:<family>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskDefinitionRef {
    Arn(String),
    Pending { family: String },
}

impl TaskDefinitionRef {
    /// The revision ARN; None while pending.
    pub fn arn(&self) -> Option<&str> {
        match self {
            Self::Arn(a) => Some(a),
            Self::Pending { .. } => None,
        }
    }
}

impl std::fmt::Display for TaskDefinitionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Arn(a) => f.write_str(a),
            Self::Pending { family } => {
                write!(f, "{}{family}", super::service::PENDING_REVISION_PREFIX)
            }
        }
    }
}

impl Serialize for TaskDefinitionRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Compares the shown form (`pending:<family>` or the ARN) with a string.
impl PartialEq<str> for TaskDefinitionRef {
    fn eq(&self, other: &str) -> bool {
        match self {
            Self::Arn(a) => a == other,
            Self::Pending { family } => other
                .strip_prefix(super::service::PENDING_REVISION_PREFIX)
                .is_some_and(|f| f == family),
        }
    }
}

impl PartialEq<String> for TaskDefinitionRef {
    fn eq(&self, other: &String) -> bool {
        self == other.as_str()
    }
}

impl From<&str> for TaskDefinitionRef {
    fn from(arn: &str) -> Self {
        Self::Arn(arn.to_owned())
    }
}

impl From<String> for TaskDefinitionRef {
    fn from(arn: String) -> Self {
        Self::Arn(arn)
    }
}

/// An ECS service's configuration, in the planner's own terms.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceBody {
    pub task_definition: TaskDefinitionRef,
    pub desired_count: i32,
    /// `Some("FARGATE")` when no strategy is used.
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Vec<StrategyItem>,
    pub platform_version: Option<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub load_balancers: Vec<LoadBalancerDef>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub minimum_healthy_percent: Option<i32>,
    pub maximum_percent: Option<i32>,
    /// None means both false.
    pub circuit_breaker: Option<CircuitBreakerDef>,
    /// None means no alarms.
    pub alarms: Option<AlarmsDef>,
    /// Strategy, bake times and lifecycle hooks.
    pub rollout: RolloutDef,
    pub enable_execute_command: bool,
    pub service_registries: Vec<RegistryDef>,
    pub propagate_tags: Option<String>,
    /// `ENABLED` / `DISABLED`; None: ECS's choice (and, observed, a service that never had
    /// one, which ECS treats as `DISABLED`).
    pub availability_zone_rebalancing: Option<String>,
    /// None means off.
    pub early_success: Option<EarlySuccessDef>,
    /// Reported on the primary deployment, not the service.
    pub vpc_lattice: Vec<VpcLatticeDef>,
    /// Managed EBS volumes; reported on the primary deployment, not the service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_configurations: Vec<EbsVolumeDef>,
    /// Service Connect; reported on the primary deployment, not the service. None: never
    /// configured (the same as off, [`super::service_connect::ServiceConnectDef::canonical`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_connect: Option<super::service_connect::ServiceConnectDef>,
    /// Metric resolutions. Reported on the service revision only (see
    /// [`ObservedService::revision_arns`]); None: not configured, or not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringDef>,
    /// At most one. Reported on the service revision only, as `monitoring`; empty: none, or
    /// not read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gateway_connectors: Vec<GatewayConnectorDef>,
}

/// A gateway connector (`GatewayConnector`): every field but the port name optional, None
/// meaning ECS's choice.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorDef {
    pub port_name: String,
    pub protocol: Option<String>,
    pub port: Option<i32>,
    pub path: Option<String>,
    pub timeout_seconds: Option<i32>,
    pub interval_seconds: Option<i32>,
    pub healthy_threshold_count: Option<i32>,
    pub unhealthy_threshold_count: Option<i32>,
    pub http_code: Option<String>,
    pub grpc_code: Option<String>,
    /// Sorted; None: no filters.
    pub access_types: Option<Vec<String>>,
}

impl GatewayConnectorDef {
    /// Whether `got` (as ECS reports it) has everything this connector sets: the fields it
    /// leaves unset are ECS's choice, whatever ECS reports for them.
    pub fn is_met_by(&self, got: &Self) -> bool {
        fn met<T: PartialEq>(want: &Option<T>, got: &Option<T>) -> bool {
            want.is_none() || want == got
        }
        self.port_name == got.port_name
            && met(&self.protocol, &got.protocol)
            && met(&self.port, &got.port)
            && met(&self.path, &got.path)
            && met(&self.timeout_seconds, &got.timeout_seconds)
            && met(&self.interval_seconds, &got.interval_seconds)
            && met(&self.healthy_threshold_count, &got.healthy_threshold_count)
            && met(
                &self.unhealthy_threshold_count,
                &got.unhealthy_threshold_count,
            )
            && met(&self.http_code, &got.http_code)
            && met(&self.grpc_code, &got.grpc_code)
            && met(&self.access_types, &got.access_types)
    }
}

/// Whether the connectors ECS reports have everything the wanted ones set (the same count,
/// each met in order; a service has at most one).
pub fn gateway_connectors_met(want: &[GatewayConnectorDef], got: &[GatewayConnectorDef]) -> bool {
    want.len() == got.len() && want.iter().zip(got).all(|(w, g)| w.is_met_by(g))
}

/// A service's metric resolutions (`MonitoringConfiguration`): seconds by metric name.
pub type MonitoringDef = BTreeMap<String, i32>;

/// `m` with ECS's default resolution filled in for every metric it does not name, so an
/// unset configuration, an empty one and one naming the defaults compare equal.
pub fn canonical_monitoring(m: Option<&MonitoringDef>) -> MonitoringDef {
    use crate::api::monitoring::{MetricName, DEFAULT_RESOLUTION_SECONDS};
    let mut out = m.cloned().unwrap_or_default();
    for name in MetricName::ALL {
        out.entry(name.as_str().to_owned())
            .or_insert(DEFAULT_RESOLUTION_SECONDS);
    }
    out
}

/// What the service revision a service runs says that DescribeServices does not.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedRevisionSettings {
    pub monitoring: Option<MonitoringDef>,
    pub gateway_connectors: Vec<GatewayConnectorDef>,
}

/// A managed EBS volume ECS creates for each task (`ServiceVolumeConfiguration` and its
/// `managedEBSVolume`). Ordered by its fields, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EbsVolumeDef {
    pub name: String,
    /// The infrastructure role: by ARN, or the service's managed one (its ARN resolved when
    /// the request is sent).
    pub role: RoleRef,
    pub size_in_gib: Option<i32>,
    pub volume_type: Option<String>,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub snapshot_id: Option<String>,
    pub volume_initialization_rate: Option<i32>,
    pub filesystem_type: Option<String>,
    /// The volume's tags (one `volume` tag specification).
    pub tags: BTreeMap<String, String>,
    pub propagate_tags: Option<String>,
}

impl EbsVolumeDef {
    /// ECS's documented defaults filled in (file system `xfs`, encrypted, tags not
    /// propagated), so a spec that leaves them unset matches what ECS reports either way.
    pub fn canonical(&self) -> Self {
        let mut v = self.clone();
        v.filesystem_type.get_or_insert_with(|| "xfs".into());
        v.encrypted.get_or_insert(true);
        v.propagate_tags = v.propagate_tags.filter(|p| p != "NONE");
        v
    }
}

/// The canonical, comparable form of a [`ServiceBody`] (without desired count and task
/// definition, which the planner compares on their own).
#[derive(Clone, Debug, PartialEq)]
pub struct CanonicalService {
    pub strategy: Vec<StrategyItem>,
    pub platform_version: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub load_balancers: Vec<LoadBalancerDef>,
    pub health_check_grace_period_seconds: i32,
    /// Defaults filled in; alarms None when there are none, else their names sorted.
    pub deployment: DeploymentDef,
    pub enable_execute_command: bool,
    pub service_registries: Vec<RegistryDef>,
    pub propagate_tags: String,
    pub vpc_lattice: Vec<VpcLatticeDef>,
    pub volume_configurations: Vec<EbsVolumeDef>,
    /// [`canonical_monitoring`].
    pub monitoring: MonitoringDef,
}

impl ServiceBody {
    /// The capacity-provider strategy, with a bare `launchType: FARGATE` read as
    /// `[FARGATE base 0 weight 1]`.
    pub fn canonical_strategy(&self) -> Vec<StrategyItem> {
        let mut s = if self.capacity_provider_strategy.is_empty() {
            vec![StrategyItem::new("FARGATE", 0, 1)]
        } else {
            self.capacity_provider_strategy.clone()
        };
        s.sort();
        s
    }

    /// The canonical form. `desired_security_groups_empty`: when the spec names no security
    /// group, AWS puts the VPC's default one in; that is not drift.
    pub fn canonical(&self, ignore_security_groups: bool) -> CanonicalService {
        let mut subnets = self.subnets.clone();
        subnets.sort();
        let mut security_groups = if ignore_security_groups {
            vec![]
        } else {
            self.security_groups.clone()
        };
        security_groups.sort();
        let mut load_balancers = self.load_balancers.clone();
        load_balancers.sort();
        let mut service_registries = self.service_registries.clone();
        service_registries.sort();
        let mut vpc_lattice = self.vpc_lattice.clone();
        vpc_lattice.sort();
        let mut volume_configurations: Vec<EbsVolumeDef> = self
            .volume_configurations
            .iter()
            .map(EbsVolumeDef::canonical)
            .collect();
        volume_configurations.sort();
        let alarms = match &self.alarms {
            Some(AlarmsDef { names, rollback }) if !names.is_empty() => {
                let mut names = names.clone();
                names.sort();
                Some(AlarmsDef {
                    names,
                    rollback: *rollback,
                })
            }
            _ => None,
        };
        CanonicalService {
            strategy: self.canonical_strategy(),
            platform_version: self
                .platform_version
                .clone()
                .unwrap_or_else(|| "LATEST".into()),
            subnets,
            security_groups,
            assign_public_ip: self.assign_public_ip,
            load_balancers,
            health_check_grace_period_seconds: self.health_check_grace_period_seconds.unwrap_or(0),
            deployment: DeploymentDef {
                minimum_healthy_percent: self.minimum_healthy_percent.unwrap_or(100),
                maximum_percent: self.maximum_percent.unwrap_or(200),
                circuit_breaker: self
                    .circuit_breaker
                    .clone()
                    .unwrap_or_else(|| CircuitBreakerDef::new(false, false))
                    .canonical(),
                alarms,
                // Rolling deployments only: ECS may keep reporting an earlier rolling
                // deployment's criteria under another strategy.
                early_success: self
                    .early_success
                    .clone()
                    .filter(|_| self.rollout.strategy() == ROLLING),
                rollout: self.rollout.canonical(),
            },
            enable_execute_command: self.enable_execute_command,
            service_registries,
            propagate_tags: self.propagate_tags.clone().unwrap_or_else(|| "NONE".into()),
            vpc_lattice,
            volume_configurations,
            monitoring: canonical_monitoring(self.monitoring.as_ref()),
        }
    }
}

/// An ECS deployment as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedDeployment {
    pub id: String,
    /// PRIMARY / ACTIVE / INACTIVE.
    pub status: String,
    pub task_definition: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub failed_tasks: i32,
    /// IN_PROGRESS / COMPLETED / FAILED.
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    /// RFC 3339.
    pub created_at: Option<String>,
}

/// An ECS service event.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedEvent {
    pub id: String,
    /// RFC 3339.
    pub created_at: String,
    pub message: String,
}

/// A stopped task.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedStoppedTask {
    pub task_arn: String,
    pub stopped_reason: Option<String>,
    pub stop_code: Option<String>,
    /// RFC 3339.
    pub stopped_at: Option<String>,
}

/// The newest ECS service deployment of a service, as DescribeServiceDeployments reports
/// it (ECS's view of a rollout: its stage and traffic split).
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedServiceDeployment {
    pub arn: String,
    /// PENDING / IN_PROGRESS / SUCCESSFUL / STOPPED / STOP_REQUESTED / ROLLBACK_REQUESTED /
    /// ROLLBACK_IN_PROGRESS / ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED.
    pub status: String,
    pub status_reason: Option<String>,
    /// `lifecycleStage`, e.g. TEST_TRAFFIC_SHIFT, BAKE_TIME.
    pub stage: Option<String>,
    /// The target revision's share of production traffic, in percent.
    pub production_traffic_percent: Option<f64>,
    /// The target revision's share of test traffic, in percent.
    pub test_traffic_percent: Option<f64>,
    /// The deployment's bake time (its deploymentConfiguration).
    pub bake_time_minutes: Option<i32>,
    /// When ECS last updated the deployment (RFC 3339).
    pub updated_at: Option<String>,
    /// Why it rolled back, when it did.
    pub rollback_reason: Option<String>,
}

impl ObservedServiceDeployment {
    /// Whether ECS is still working on it.
    pub fn in_flight(&self) -> bool {
        matches!(
            self.status.as_str(),
            "PENDING"
                | "IN_PROGRESS"
                | "STOP_REQUESTED"
                | "ROLLBACK_REQUESTED"
                | "ROLLBACK_IN_PROGRESS"
        )
    }

    /// Whether it ended rolled back (or failing to).
    pub fn rolled_back(&self) -> bool {
        matches!(
            self.status.as_str(),
            "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED"
        )
    }
}

/// An ECS service as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedService {
    pub arn: String,
    /// ACTIVE / DRAINING / INACTIVE.
    pub status: String,
    pub body: ServiceBody,
    pub tags: Tags,
    pub running_count: i32,
    pub pending_count: i32,
    pub deployments: Vec<ObservedDeployment>,
    /// Newest first.
    pub events: Vec<ObservedEvent>,
    /// The service's current service revisions (`currentServiceRevisions`): during a
    /// rollout the old and the new one, else one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revision_arns: Vec<String>,
}

/// An ECS cluster as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedCluster {
    pub arn: String,
    /// ACTIVE / PROVISIONING / INACTIVE ...
    pub status: String,
    pub capacity_providers: Vec<String>,
    pub tags: Tags,
    /// The `containerInsights` setting (`enhanced`, `enabled`, `disabled`), if reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_insights: Option<String>,
    /// Its default Service Connect namespace, as ECS reports it (a name or an ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_connect_namespace: Option<String>,
}

/// A target-tracking scaling policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetTrackingDef {
    /// `ECSServiceAverageCPUUtilization`, `ECSServiceAverageMemoryUtilization` or
    /// `ALBRequestCountPerTarget`.
    pub metric: String,
    /// For ALBRequestCountPerTarget: the target-group part of the resource label
    /// (`targetgroup/<name>/<id>`); AWS reports the full label (`app/<lb>/<id>/targetgroup/..`).
    pub resource_label: Option<String>,
    pub target_value: f64,
    pub scale_in_cooldown: i32,
    pub scale_out_cooldown: i32,
}

impl TargetTrackingDef {
    fn canonical(&self) -> (String, Option<String>, i64, i32, i32) {
        let label = self.resource_label.as_ref().map(|l| {
            l.find("targetgroup/")
                .map_or_else(|| l.clone(), |i| l[i..].to_owned())
        });
        (
            self.metric.clone(),
            label,
            (self.target_value * 1000.0).round() as i64,
            self.scale_in_cooldown,
            self.scale_out_cooldown,
        )
    }

    /// Equal up to AWS's form of the resource label.
    pub fn same_as(&self, other: &Self) -> bool {
        self.canonical() == other.canonical()
    }
}

/// A scheduled action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledActionDef {
    pub schedule: String,
    /// None means UTC.
    pub timezone: Option<String>,
    pub min_capacity: Option<i32>,
    pub max_capacity: Option<i32>,
}

impl ScheduledActionDef {
    /// Equal with `timezone: None` read as UTC.
    pub fn same_as(&self, other: &Self) -> bool {
        let tz = |s: &Self| s.timezone.clone().unwrap_or_else(|| "UTC".into());
        self.schedule == other.schedule
            && tz(self) == tz(other)
            && self.min_capacity == other.min_capacity
            && self.max_capacity == other.max_capacity
    }
}

/// Application Auto Scaling state of one service: its items only (the ResourceId matched
/// exactly, `ecs:service:DesiredCount`; the `Scaling` adapters filter). Every action planned
/// from it names the service's own resource ID.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObservedScaling {
    /// `(min, max)` of the scalable target, if registered.
    pub target: Option<(i32, i32)>,
    /// Policies on the target, by name.
    pub policies: BTreeMap<String, TargetTrackingDef>,
    /// Scheduled actions on the target, by name.
    pub scheduled_actions: BTreeMap<String, ScheduledActionDef>,
}

/// Everything a FargateService owns, as AWS reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedFargateService {
    pub cluster: Option<ObservedCluster>,
    pub service: Option<ObservedService>,
    /// The service's autoscaling; None when it was not read this time, because its last
    /// reading needed no change and nothing changed since: no autoscaling change is planned.
    /// Serialised as before: an unread one as empty.
    #[serde(serialize_with = "serialize_scaling")]
    pub scaling: Option<ObservedScaling>,
    /// Recently stopped tasks, newest first.
    pub stopped_tasks: Vec<ObservedStoppedTask>,
    /// The newest service deployment, read while ECS rolls one out (None otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_deployment: Option<ObservedServiceDeployment>,
    /// The service's managed infrastructure role, by name, when it was read (it is when the
    /// spec asks for one, and on cleanup) and exists.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<String, ObservedRole>,
    /// The service's `spec.deployment.preDeploy` tasks (by its `startedBy`), when they were
    /// read ([`super::predeploy::reads_runs`]); None: not read, and nothing of a preDeploy
    /// is started on this observation.
    #[serde(skip)]
    pub pre_deploy: Option<super::task::ObservedRun>,
}

/// The default is an observation of nothing, autoscaling included (read, and empty).
impl Default for ObservedFargateService {
    fn default() -> Self {
        Self {
            cluster: None,
            service: None,
            scaling: Some(ObservedScaling::default()),
            stopped_tasks: vec![],
            service_deployment: None,
            roles: BTreeMap::new(),
            pre_deploy: None,
        }
    }
}

fn serialize_scaling<S: serde::Serializer>(
    scaling: &Option<ObservedScaling>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match scaling {
        Some(scaling) => scaling.serialize(s),
        None => ObservedScaling::default().serialize(s),
    }
}

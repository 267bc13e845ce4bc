//! `TaskDefinition`: a container blueprint that becomes an ECS task-definition family.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::{ListMerge, Rule};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::containers::*;
use super::patterns;
pub use super::s3files::S3FilesVolume;

/// A container blueprint for Amazon ECS on Fargate. Every change to the spec registers a new
/// revision of the ECS task-definition family; older revisions beyond `revisionHistoryLimit`
/// are deregistered once no service uses them.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "ecs.fargate.dev",
    version = "v1alpha1",
    kind = "TaskDefinition",
    namespaced,
    status = "TaskDefinitionStatus",
    shortname = "taskdef",
    shortname = "ecstd",
    category = "fargate",
    derive = "PartialEq",
    printcolumn = r#"{"name":"Family","type":"string","jsonPath":".status.family"}"#,
    printcolumn = r#"{"name":"Revision","type":"integer","jsonPath":".status.revision"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.family) == has(oldSelf.family) && (!has(self.family) || self.family == oldSelf.family)")
        .message("spec.family is immutable: it names the ECS family every revision belongs to; create a new TaskDefinition to use another family"),
    validation = Rule::new("self.cpu == 256 ? self.memory in [512, 1024, 2048] : self.cpu == 512 ? (self.memory >= 1024 && self.memory <= 4096 && self.memory % 1024 == 0) : self.cpu == 1024 ? (self.memory >= 2048 && self.memory <= 8192 && self.memory % 1024 == 0) : self.cpu == 2048 ? (self.memory >= 4096 && self.memory <= 16384 && self.memory % 1024 == 0) : self.cpu == 4096 ? (self.memory >= 8192 && self.memory <= 30720 && self.memory % 1024 == 0) : self.cpu == 8192 ? (self.memory >= 16384 && self.memory <= 61440 && self.memory % 4096 == 0) : (self.memory >= 32768 && self.memory <= 122880 && self.memory % 8192 == 0)")
        .message("spec.memory is not a valid Fargate size for spec.cpu: cpu 256 takes 512, 1024 or 2048 MiB; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384; 4096 takes 8192-30720 (1024 MiB steps); 8192 takes 16384-61440 (4096 steps); 16384 takes 32768-122880 (8192 steps)")
        .field_path(".memory"),
    validation = Rule::new("self.containers.map(c, has(c.cpu) ? c.cpu : 0).sum() <= self.cpu")
        .message("spec.containers[].cpu adds up to more than spec.cpu: lower the containers' cpu or raise the task's")
        .field_path(".containers"),
    validation = Rule::new("self.containers.map(c, has(c.memory) ? c.memory : (has(c.memoryReservation) ? c.memoryReservation : 0)).sum() <= self.memory")
        .message("spec.containers[].memory (or memoryReservation) adds up to more than spec.memory: lower the containers' memory or raise the task's")
        .field_path(".containers"),
    validation = Rule::new("self.containers.exists(c, !has(c.essential) || c.essential)")
        .message("spec.containers: at least one container must be essential (essential: true)")
        .field_path(".containers"),
    validation = Rule::new("self.containers.all(c, !has(c.dependsOn) || c.dependsOn.all(d, d.containerName != c.name && self.containers.exists(o, o.name == d.containerName)))")
        .message("spec.containers[].dependsOn[].containerName must name another container of this task")
        .field_path(".containers"),
    validation = Rule::new("self.containers.all(c, !has(c.volumesFrom) || c.volumesFrom.all(v, v.sourceContainer != c.name && self.containers.exists(o, o.name == v.sourceContainer)))")
        .message("spec.containers[].volumesFrom[].sourceContainer must name another container of this task")
        .field_path(".containers"),
    validation = Rule::new("self.containers.filter(c, has(c.firelensConfiguration)).size() <= 1")
        .message("spec.containers: at most one container may have firelensConfiguration (the task's log router)")
        .field_path(".containers"),
    validation = Rule::new("!self.containers.exists(c, has(c.logging) && has(c.logging.driver) && c.logging.driver == 'awsfirelens') || self.containers.exists(c, has(c.firelensConfiguration))")
        .message("spec.containers: logging.driver awsfirelens needs a log router: give one container firelensConfiguration")
        .field_path(".containers"),
    validation = Rule::new("self.containers.all(c, !has(c.mountPoints) || c.mountPoints.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.sourceVolume)))")
        .message("spec.containers[].mountPoints[].sourceVolume must name a volume in spec.volumes")
        .field_path(".containers"),
    validation = Rule::new("!has(self.tags) || self.tags.all(k, !k.startsWith('ecs.fargate.dev/') && !k.startsWith('aws:'))")
        .message("spec.tags: keys starting with ecs.fargate.dev/ or aws: are reserved")
        .field_path(".tags"),
    validation = Rule::new("!has(self.tags) || self.tags.all(k, k.size() >= 1 && k.size() <= 128)")
        .message("spec.tags: a tag key is 1 to 128 characters (AWS's limit)")
        .field_path(".tags"),
    validation = Rule::new("has(self.taskRole) || !has(self.volumes) || !self.volumes.exists(v, has(v.s3files))")
        .message("spec.taskRole is required with an s3files volume: ECS mounts S3 Files with the task role")
        .field_path(".taskRole"),
    validation = Rule::new("!has(self.volumes) || self.volumes.filter(v, has(v.configuredAtLaunch) && v.configuredAtLaunch).size() <= 1")
        .message("spec.volumes: at most one volume may have configuredAtLaunch: true (ECS attaches one EBS volume per task)")
        .field_path(".volumes"),
)]
pub struct TaskDefinitionSpec {
    /// ECS task-definition family. Defaults to `<namespace>_<name>` (objects made by
    /// earlier versions keep `<namespace>-<name>`, which their status records). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ECS_NAME), length(max = 255))]
    pub family: Option<String>,

    /// Task CPU in CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
    #[x_kube(validation = Rule::new("self in [256, 512, 1024, 2048, 4096, 8192, 16384]")
        .message("spec.cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (CPU units; 1024 = 1 vCPU)"))]
    pub cpu: i32,

    /// Task memory in MiB. Must be a valid Fargate size for `cpu` (e.g. cpu 256 takes 512, 1024
    /// or 2048).
    #[schemars(range(min = 512, max = 122880))]
    pub memory: i32,

    /// CPU architecture and OS. Defaults to X86_64 / LINUX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,

    /// Ephemeral storage for the task in GiB (21-200). Fargate gives 20 GiB when unset.
    #[serde(
        default,
        rename = "ephemeralStorageGiB",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 21, max = 200))]
    pub ephemeral_storage_gib: Option<i32>,

    /// How many old revisions to keep registered for rollback (default 10). Revisions a
    /// service still uses are never deregistered.
    #[serde(default = "default_revision_history_limit")]
    #[schemars(range(min = 0, max = 100))]
    pub revision_history_limit: i32,

    /// The containers of the task (1 to 10).
    #[schemars(length(min = 1, max = 10))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub containers: Vec<Container>,

    /// Volumes containers can mount (bind volumes on task storage, EFS, or one managed EBS
    /// volume configured at launch), at most 10.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub volumes: Vec<Volume>,

    /// The role ECS uses to pull images, read secrets and write logs. Defaults to a role the
    /// operator manages (`{managed: {}}`), with access to exactly this task's secrets and logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<RoleSpec>,

    /// The role the application inside the containers assumes. None unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role: Option<RoleSpec>,

    /// Tags for every revision (and the managed roles and log groups). Keys starting with
    /// `ecs.fargate.dev/` or `aws:` are reserved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::validation::tags_schema")]
    pub tags: BTreeMap<String, String>,

    /// Process namespace of the containers: `task` makes all containers of the task share
    /// one (a sidecar can see and signal the others' processes). Unset, each container has
    /// its own. `task` is the only value Fargate accepts (`host` is EC2 only); it needs
    /// platform version 1.4.0 or later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<PidMode>,

    /// Accept fault-injection requests (AWS Fault Injection Service's ECS network actions)
    /// from the task's containers (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,

    /// `Delete` (default) deregisters the revisions and deletes the managed roles and the log
    /// groups the operator created when this object is deleted; `Retain` leaves them all in
    /// place (a new object of the same name must adopt them).
    #[serde(default)]
    pub deletion_policy: super::fargateservice::DeletionPolicy,
}

fn default_revision_history_limit() -> i32 {
    10
}

fn default_true() -> bool {
    true
}

/// CPU architecture and operating system of the task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    /// `X86_64` (default) or `ARM64` (Graviton, about 20% cheaper).
    #[serde(default)]
    pub cpu_architecture: CpuArchitecture,
    /// `LINUX` (the only family supported by the operator).
    #[serde(default)]
    pub operating_system_family: OperatingSystemFamily,
}

/// CPU architecture.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default, Hash)]
pub enum CpuArchitecture {
    /// Intel/AMD.
    #[default]
    #[serde(rename = "X86_64")]
    X86_64,
    /// AWS Graviton.
    #[serde(rename = "ARM64")]
    Arm64,
}

impl CpuArchitecture {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X86_64 => "X86_64",
            Self::Arm64 => "ARM64",
        }
    }
}

/// Operating system family.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default)]
pub enum OperatingSystemFamily {
    /// Linux.
    #[default]
    #[serde(rename = "LINUX")]
    Linux,
}

/// A task's process namespace.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PidMode {
    /// All containers of the task share one process namespace.
    Task,
}

impl PidMode {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Task => "task",
        }
    }
}

/// One container of the task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.memory) || !has(self.memoryReservation) || self.memoryReservation <= self.memory")
        .message("memoryReservation must not exceed memory (the hard limit)")
        .field_path(".memoryReservation"),
    validation = Rule::new("!has(self.dockerLabels) || self.dockerLabels.all(k, k.size() >= 1 && k.size() <= 255)")
        .message("dockerLabels: a label key is 1 to 255 characters")
        .field_path(".dockerLabels"),
)]
pub struct Container {
    /// Container name: 1-64 letters, digits, `-` and `_`, unique within the task. (ECS allows
    /// 255; 64 keeps the admission rules that cross-check names within the API server's CEL
    /// cost budget.)
    #[schemars(regex(pattern = patterns::CONTAINER_NAME), length(max = 64))]
    pub name: String,

    /// Image reference. Prefer an immutable tag or a digest (`repo@sha256:...`): rollbacks to
    /// `latest` or an untagged image are not reproducible.
    #[schemars(length(min = 1, max = 1024))]
    pub image: String,

    /// CPU units reserved for this container (part of the task's `cpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 16384))]
    pub cpu: Option<i32>,

    /// Hard memory limit in MiB; the container is killed above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 6, max = 122880))]
    pub memory: Option<i32>,

    /// Soft memory reservation in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 6, max = 122880))]
    pub memory_reservation: Option<i32>,

    /// Whether the task stops when this container stops (default true). At least one container
    /// must be essential.
    #[serde(default = "default_true")]
    pub essential: bool,

    /// Overrides the image's CMD (at most 100 arguments).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(length(max = 65536)))]
    pub command: Vec<String>,

    /// Overrides the image's ENTRYPOINT (at most 100 arguments).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(length(max = 65536)))]
    pub entry_point: Vec<String>,

    /// Working directory inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub working_directory: Option<String>,

    /// User (name, UID, or `uid:gid`) the container runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub user: Option<String>,

    /// Plain environment variables. Use `secrets` for anything sensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 200))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub environment: Vec<EnvVar>,

    /// Environment variables read from Secrets Manager or SSM Parameter Store at task start.
    /// The managed execution role is granted read access to exactly these ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub secrets: Vec<Secret>,

    /// Ports the container listens on (at most 8). On Fargate the host port always equals the
    /// container port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub port_mappings: Vec<PortMapping>,

    /// Container health check run by the ECS agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,

    /// Where logs go. Logging is on by default: CloudWatch Logs (awslogs), group
    /// `/ecs/<family>`, stream prefix = container name, group created by the operator. Set
    /// `driver` for Splunk or the task's FireLens router.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,

    /// Start-up ordering relative to the other containers of the task (at most 9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 9))]
    pub depends_on: Vec<ContainerDependency>,

    /// Mount the root filesystem read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,

    /// Resource limits (e.g. `nofile`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub ulimits: Vec<Ulimit>,

    /// Linux-specific settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,

    /// Volumes mounted into the container (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub mount_points: Vec<MountPoint>,

    /// Credentials for an image in a private registry outside ECR (a Secrets Manager secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,

    /// Restart the container in place when it exits, instead of stopping the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,

    /// `.env` files in S3 loaded into the environment, in order (at most 10, ECS's limit).
    /// Variables in `environment` win over the files'.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub environment_files: Vec<EnvironmentFile>,

    /// Mount the volumes of other containers of this task.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 9))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["sourceContainer".into()]))]
    pub volumes_from: Vec<VolumeFrom>,

    /// Seconds to wait for this container to reach the condition others depend on before
    /// giving up on them (2-120 on Fargate; platform 1.3.0 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 120))]
    pub start_timeout_seconds: Option<i32>,

    /// Seconds between SIGTERM and SIGKILL when the container is stopped (2-120 on Fargate,
    /// default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 120))]
    pub stop_timeout_seconds: Option<i32>,

    /// `enabled` (ECS's default) resolves the image tag to a digest at deployment, so every
    /// task runs the same image; `disabled` runs the tag as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_consistency: Option<VersionConsistency>,

    /// Keep stdin open (`docker run -i`). Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,

    /// Allocate a TTY (`docker run -t`). Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,

    /// Docker labels on the container (at most 100; keys 1-255 characters, values up to
    /// 4096).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::containers::docker_labels_schema")]
    pub docker_labels: BTreeMap<String, String>,

    /// Namespaced kernel parameters (sysctls), at most 20. Fargate platform 1.4.0 or later.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["namespace".into()]))]
    pub system_controls: Vec<SystemControl>,

    /// A gMSA credential spec for Active Directory (at most 1, ECS's limit):
    /// `credentialspecdomainless:<ARN>` or `credentialspec:<ARN>`, the ARN of an S3 object
    /// or SSM parameter. The managed execution role may read exactly that object or parameter;
    /// a domainless spec's own Secrets Manager secret must be granted by you.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1), inner(regex(pattern = patterns::CREDENTIAL_SPEC), length(max = 2100)))]
    pub credential_specs: Vec<String>,

    /// Makes this container the task's FireLens log router (at most one per task); other
    /// containers send it their logs with `logging.driver: awsfirelens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensConfiguration>,
}

/// A plain environment variable.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
pub struct EnvVar {
    /// Variable name.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Variable value.
    #[serde(default)]
    #[schemars(length(max = 65536))]
    pub value: String,
}

/// An environment variable whose value ECS reads from Secrets Manager or SSM at task start.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Variable name.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Full ARN of a Secrets Manager secret (optionally `:json-key::` suffixed) or an SSM
    /// parameter, e.g. `arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf`.
    #[schemars(regex(pattern = patterns::SECRET_ARN), length(max = 2048))]
    pub value_from: String,
}

/// A port the container listens on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.containerPort) != has(self.containerPortRange)")
        .message("portMappings[]: set exactly one of containerPort or containerPortRange")
        .field_path(".containerPortRange"),
    validation = Rule::new("!has(self.containerPortRange) || int(self.containerPortRange.split('-')[0]) < int(self.containerPortRange.split('-')[1])")
        .message("portMappings[].containerPortRange: the first port must be below the last, e.g. 8000-8099")
        .field_path(".containerPortRange"),
)]
pub struct PortMapping {
    /// Port number (1-65535). Exactly one of this and `containerPortRange`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: Option<i32>,
    /// A range of ports, `first-last` (e.g. `8000-8099`, first below last, each 1-65535),
    /// instead of `containerPort`: on Fargate (awsvpc) each host port equals its container
    /// port. Ranges may not overlap each other or a port of any container of the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::PORT_RANGE), length(max = 11))]
    pub container_port_range: Option<String>,
    /// `tcp` (default) or `udp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Name for Service Connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::PORT_NAME), length(max = 64))]
    pub name: Option<String>,
    /// Application protocol for Service Connect: `http`, `http2` or `grpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<AppProtocol>,
}

/// Transport protocol.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

/// Application protocol (Service Connect).
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum AppProtocol {
    /// HTTP/1.1.
    Http,
    /// HTTP/2.
    Http2,
    /// gRPC.
    Grpc,
}

impl AppProtocol {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Http2 => "http2",
            Self::Grpc => "grpc",
        }
    }
}

/// Container health check.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.command[0] in ['CMD', 'CMD-SHELL', 'NONE']")
    .message("healthCheck.command must start with CMD, CMD-SHELL or NONE, e.g. [CMD-SHELL, 'curl -f http://localhost/ || exit 1']")
    .field_path(".command"))]
pub struct HealthCheck {
    /// Command, first element `CMD` or `CMD-SHELL`.
    #[schemars(length(min = 1, max = 100), inner(length(max = 65536)))]
    pub command: Vec<String>,
    /// Seconds between checks (5-300, default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 300))]
    pub interval_seconds: Option<i32>,
    /// Seconds before a check counts as failed (2-120, default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 120))]
    pub timeout_seconds: Option<i32>,
    /// Consecutive failures before the container is unhealthy (1-10, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub retries: Option<i32>,
    /// Grace period in seconds before failures count (0-300, default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 300))]
    pub start_period_seconds: Option<i32>,
}

/// Where the container's logs go: CloudWatch Logs (awslogs, the default, with a log group the
/// operator can create), Splunk, or the task's FireLens router.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.retentionDays) || self.retentionDays in [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
        .message("logging.retentionDays must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653")
        .field_path(".retentionDays"),
    validation = Rule::new("!has(self.driver) || self.driver == 'awslogs' || (!has(self.group) && !has(self.streamPrefix) && !has(self.retentionDays))")
        .message("logging.group, streamPrefix and retentionDays are awslogs settings: remove them, or use driver: awslogs")
        .field_path(".driver"),
    validation = Rule::new("!has(self.options) || self.options.all(k, k.size() >= 1 && k.size() <= 256 && !(k in ['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix', 'awslogs-create-group', 'mode', 'max-buffer-size']))")
        .message("logging.options: keys are 1-256 characters, and awslogs-group, awslogs-region, awslogs-stream-prefix, awslogs-create-group, mode and max-buffer-size are set by group, streamPrefix, createGroup, mode and maxBufferSize")
        .field_path(".options"),
    validation = Rule::new("!has(self.maxBufferSize) || !has(self.mode) || self.mode == 'non-blocking'")
        .message("logging.maxBufferSize applies to mode: non-blocking only")
        .field_path(".maxBufferSize"),
)]
pub struct Logging {
    /// `awslogs` (default), `splunk` or `awsfirelens` (the drivers Fargate supports).
    /// `group`, `streamPrefix`, `createGroup` and `retentionDays` apply to awslogs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<LogDriver>,
    /// Log group. Defaults to `/ecs/<family>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::LOG_GROUP), length(max = 512))]
    pub group: Option<String>,
    /// Stream prefix. Defaults to the container name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::STREAM_PREFIX), length(max = 256))]
    pub stream_prefix: Option<String>,
    /// Create the log group if it does not exist (default true). A group the operator created
    /// is deleted with the TaskDefinition.
    #[serde(default = "default_true")]
    pub create_group: bool,
    /// Retention in days for a group the operator creates. Unset keeps logs forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i32>,
    /// `non-blocking`: buffer log lines in memory (`maxBufferSize`) and drop them when the
    /// buffer is full, so the application never blocks on logging; `blocking`: never drop,
    /// block instead. Unset leaves ECS's default (the account's `defaultLogDriverMode`,
    /// non-blocking unless changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<LogMode>,
    /// Buffer of the non-blocking mode, e.g. `25m` (ECS's default is `10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::BUFFER_SIZE), length(max = 13))]
    pub max_buffer_size: Option<String>,
    /// More options for the driver (at most 50), e.g. `awslogs-datetime-format`, Splunk's
    /// `splunk-url`, or a FireLens output's `Name`, `region`, `log_group_name`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::containers::driver_options_schema")]
    pub options: BTreeMap<String, String>,
    /// Driver options read from Secrets Manager or SSM at task start (e.g. `splunk-token`),
    /// at most 20. The managed execution role is granted read access to exactly these ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub secret_options: Vec<Secret>,
}

/// A start-up dependency on another container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDependency {
    /// The container depended on.
    #[schemars(length(max = 64))]
    pub container_name: String,
    /// `START`, `COMPLETE`, `SUCCESS` or `HEALTHY`.
    pub condition: DependencyCondition,
}

/// Dependency condition.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, PartialOrd, Ord,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum DependencyCondition {
    /// The dependency has started.
    Start,
    /// The dependency ran to completion.
    Complete,
    /// The dependency exited with code 0.
    Success,
    /// The dependency passes its health check.
    Healthy,
}

impl DependencyCondition {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "START",
            Self::Complete => "COMPLETE",
            Self::Success => "SUCCESS",
            Self::Healthy => "HEALTHY",
        }
    }
}

/// A resource limit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.softLimit <= self.hardLimit")
    .message("ulimits[].softLimit must not exceed hardLimit")
    .field_path(".softLimit"))]
pub struct Ulimit {
    /// Limit name, e.g. `nofile`.
    #[schemars(regex(pattern = patterns::ULIMIT_NAME), length(max = 16))]
    pub name: String,
    /// Soft limit.
    #[schemars(range(min = 0))]
    pub soft_limit: i32,
    /// Hard limit.
    #[schemars(range(min = 0))]
    pub hard_limit: i32,
}

/// Linux-specific container settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct LinuxParameters {
    /// Run an init process (tini) as PID 1 that forwards signals and reaps zombies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
    /// Linux capabilities to add (Fargate: `SYS_PTRACE` only) or drop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

/// A volume mounted into a container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    /// Name of a volume in `spec.volumes`.
    #[schemars(length(max = 64))]
    pub source_volume: String,
    /// Absolute path inside the container.
    #[schemars(regex(pattern = patterns::ABSOLUTE_PATH), length(max = 4096))]
    pub container_path: String,
    /// Mount read-only (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// A task volume: on task storage (bind) when `efs`, `s3files` and `configuredAtLaunch` are
/// unset, else an EFS file system, an S3 Files file system or a managed EBS volume.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.efs) || !has(self.configuredAtLaunch) || !self.configuredAtLaunch")
        .message("a volume configured at launch is a managed EBS volume: it cannot have efs too")
        .field_path(".configuredAtLaunch"),
    validation = Rule::new("!has(self.s3files) || (!has(self.efs) && (!has(self.configuredAtLaunch) || !self.configuredAtLaunch))")
        .message("an s3files volume is one kind of volume: not with efs or configuredAtLaunch: true")
        .field_path(".s3files"),
)]
pub struct Volume {
    /// Volume name, referenced by `mountPoints[].sourceVolume`: 1-64 letters, digits, `-` and
    /// `_`. (ECS allows 255; 64 keeps the admission rule that checks the references within the
    /// API server's CEL cost budget.)
    #[schemars(regex(pattern = patterns::VOLUME_NAME), length(max = 64))]
    pub name: String,
    /// EFS file system to mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efs: Option<EfsVolume>,
    /// Amazon S3 Files file system to mount (needs `spec.taskRole`; a managed task role gets
    /// the grant to mount it, and to write when a container mounts it writable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3files: Option<super::s3files::S3FilesVolume>,
    /// `true`: a managed Amazon EBS volume, configured at launch by the FargateService
    /// running this task definition (its `volumeConfigurations`, under this volume's name).
    /// At most one volume per task definition; not with `efs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_at_launch: Option<bool>,
}

/// An Amazon EFS volume.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!((has(self.accessPointId) || (has(self.iam) && self.iam == 'ENABLED')) && has(self.transitEncryption) && self.transitEncryption == 'DISABLED')")
        .message("efs.transitEncryption must be ENABLED when accessPointId or iam: ENABLED is used")
        .field_path(".transitEncryption"),
    validation = Rule::new("!has(self.accessPointId) || !has(self.rootDirectory) || self.rootDirectory == '/'")
        .message("efs.rootDirectory must be omitted (or /) with an accessPointId: the access point sets the root")
        .field_path(".rootDirectory"),
    validation = Rule::new("!has(self.transitEncryptionPort) || (has(self.transitEncryption) ? self.transitEncryption == 'ENABLED' : (has(self.accessPointId) || (has(self.iam) && self.iam == 'ENABLED')))")
        .message("efs.transitEncryptionPort is the port of encrypted NFS traffic: it needs transitEncryption: ENABLED")
        .field_path(".transitEncryptionPort"),
)]
pub struct EfsVolume {
    /// File system ID, e.g. `fs-0123456789abcdef0`.
    #[schemars(regex(pattern = patterns::EFS_ID), length(max = 128))]
    pub file_system_id: String,
    /// Directory of the file system to mount as the root (default `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ABSOLUTE_PATH), length(max = 4096))]
    pub root_directory: Option<String>,
    /// Encrypt NFS traffic: `ENABLED` or `DISABLED`. Defaults to ENABLED when an access point
    /// or IAM authorization is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_encryption: Option<Toggle>,
    /// EFS access point ID, e.g. `fsap-0123456789abcdef0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::EFS_ACCESS_POINT_ID), length(max = 128))]
    pub access_point_id: Option<String>,
    /// Use the task role for EFS IAM authorization: `ENABLED` or `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<Toggle>,
    /// Local port of the encrypted NFS traffic (1-65535). Unset, the EFS mount helper picks
    /// one. Needs transit encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub transit_encryption_port: Option<i32>,
}

/// `ENABLED` / `DISABLED`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Toggle {
    /// On.
    Enabled,
    /// Off.
    Disabled,
}

impl Toggle {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "ENABLED",
            Self::Disabled => "DISABLED",
        }
    }
}

/// An IAM role: an existing one by ARN, or one the operator creates and manages.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.arn) != has(self.managed)")
    .message("set exactly one of arn (an existing role) or managed (a role the operator creates)"))]
pub struct RoleSpec {
    /// ARN of an existing role, e.g. `arn:aws:iam::123456789012:role/my-task-role`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ROLE_ARN), length(max = 2048))]
    pub arn: Option<String>,
    /// A role the operator creates under the IAM path `/fargate-operator/`, trusted by
    /// `ecs-tasks.amazonaws.com`, and deletes with the TaskDefinition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<ManagedRole>,
}

/// A role the operator creates and manages.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ManagedRole {
    /// Managed policies to attach. Each must be in the operator's allowlist
    /// (`--allowed-policy-arns`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    #[schemars(inner(regex(pattern = patterns::POLICY_ARN), length(max = 2048)))]
    pub policy_arns: Vec<String>,
    /// An inline IAM policy document (JSON object with `Version` and `Statement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::api::validation::free_form_object")]
    pub policy: Option<serde_json::Value>,
}

/// Observed state of a TaskDefinition, as AWS reports it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionStatus {
    /// The `metadata.generation` this status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Progressing, Degraded and Synced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// The ECS family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Current revision number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i32>,
    /// Current revision ARN; FargateServices referencing this object deploy it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Hash of the normalised spec the current revision was registered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// Execution role ARN in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// Task role ARN in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// Log group of the first container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    /// Older revisions kept registered for rollback (newest first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retained_revisions: Vec<String>,
    /// The kept revisions, newest first (at most 20): what each runs, when it was
    /// registered and from which generation. A FargateService can pin one with
    /// `taskDefinitionRef.revision` or the `ecs.fargate.dev/rollback-to` annotation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revision_history: Vec<RevisionHistoryEntry>,
}

/// One kept revision of a TaskDefinition's family.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionHistoryEntry {
    /// Revision number.
    pub revision: i32,
    /// Revision ARN.
    pub arn: String,
    /// `container=image` of each container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// When ECS registered it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    /// The `metadata.generation` it was registered for (revisions registered before the
    /// operator recorded it have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Whether it is the current revision (the one the spec hashes to).
    #[serde(default)]
    pub current: bool,
}

//! The container settings beyond the basics (issue 19, container level): private-registry
//! credentials, restart policy, environment files, volumes from other containers, timeouts,
//! image version consistency, terminals, Docker labels, sysctls, gMSA credential specs, log
//! drivers other than awslogs, FireLens and Linux capabilities. `taskdefinition` re-exports
//! them; `Container` holds them.
//!
//! Limits come from the ECS API reference (the doc comments of the `aws-sdk-ecs` types Cargo
//! resolved) unless a comment says otherwise.

use std::collections::BTreeMap;

#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::{ListMerge, Rule};
use kube::KubeSchema;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use super::patterns;
use super::taskdefinition::{Container, Logging, PortMapping, TaskDefinitionSpec};
use super::validation::Check;

/// Most Docker labels on one container. ECS documents no limit of its own (the task
/// definition's 64 KiB is the real one, checked before registering); 100 keeps the CRD's
/// admission cost bounded.
pub const MAX_DOCKER_LABELS: u32 = 100;
/// Longest Docker label key (our bound, as [`MAX_DOCKER_LABELS`]).
pub const DOCKER_LABEL_KEY_MAX: usize = 255;
/// Longest Docker label value (our bound, as [`MAX_DOCKER_LABELS`]).
pub const DOCKER_LABEL_VALUE_MAX: u32 = 4096;
/// Most options of a log driver or a FireLens router (our bound; ECS documents none).
pub const MAX_DRIVER_OPTIONS: u32 = 50;
/// Longest option key of a log driver or a FireLens router (our bound).
pub const DRIVER_OPTION_KEY_MAX: usize = 256;
/// Longest option value of a log driver or a FireLens router (our bound).
pub const DRIVER_OPTION_VALUE_MAX: u32 = 4096;
/// awslogs options the operator sets from `logging.group`/`streamPrefix` and the region, and
/// the ones `logging.mode`/`maxBufferSize` set: not allowed in `logging.options`.
pub const RESERVED_LOG_OPTIONS: [&str; 6] = [
    "awslogs-group",
    "awslogs-region",
    "awslogs-stream-prefix",
    "awslogs-create-group",
    "mode",
    "max-buffer-size",
];
/// The FireLens options Fargate takes (`config-file-type` only as `file`: Fargate cannot read
/// the configuration from S3).
pub const FIRELENS_OPTIONS: [&str; 3] = [
    "enable-ecs-log-metadata",
    "config-file-type",
    "config-file-value",
];

/// Schema of `dockerLabels`: at most [`MAX_DOCKER_LABELS`] labels of values up to
/// [`DOCKER_LABEL_VALUE_MAX`] characters (key lengths are a CEL rule).
pub fn docker_labels_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_DOCKER_LABELS,
        "additionalProperties": {"type": "string", "maxLength": DOCKER_LABEL_VALUE_MAX},
    })
}

/// Schema of a log driver's or FireLens router's `options`: at most [`MAX_DRIVER_OPTIONS`]
/// of values up to [`DRIVER_OPTION_VALUE_MAX`] characters (key lengths are a CEL rule).
pub fn driver_options_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_DRIVER_OPTIONS,
        "additionalProperties": {"type": "string", "maxLength": DRIVER_OPTION_VALUE_MAX},
    })
}

/// Credentials for pulling the image from a private registry outside ECR.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCredentials {
    /// Full ARN of the Secrets Manager secret holding `{"username": ..., "password": ...}`,
    /// e.g. `arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf`. The
    /// managed execution role is granted `secretsmanager:GetSecretValue` on exactly this ARN.
    #[schemars(regex(pattern = patterns::SECRETSMANAGER_ARN), length(max = 2048))]
    pub credentials_parameter: String,
}

/// Restart a container in place when it exits, without stopping the task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestartPolicy {
    /// Whether the container is restarted when it exits.
    pub enabled: bool,
    /// Exit codes that do not cause a restart (at most 50). None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub ignored_exit_codes: Vec<i32>,
    /// Seconds the container must have run before a restart is attempted (60-1800, default
    /// 300); a container that exits sooner is not restarted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 1800))]
    pub restart_attempt_period_seconds: Option<i32>,
}

/// An S3 object of `VARIABLE=VALUE` lines loaded into the container's environment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentFile {
    /// S3 object ARN of a `.env` file, e.g. `arn:aws:s3:::my-bucket/app/prod.env`. The
    /// managed execution role is granted `s3:GetObject` on exactly this object and
    /// `s3:GetBucketLocation` on its bucket.
    #[schemars(regex(pattern = patterns::ENV_FILE_ARN), length(max = 1200))]
    pub value: String,
    /// `s3` (the only type ECS has).
    #[serde(default, rename = "type")]
    pub file_type: EnvironmentFileType,
}

/// Where an environment file lives.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentFileType {
    /// Amazon S3.
    #[default]
    S3,
}

/// Mount every volume of another container of the task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeFrom {
    /// Name of another container of this task.
    #[schemars(length(max = 64))]
    pub source_container: String,
    /// Mount the volumes read-only (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// Whether ECS resolves the image tag to a digest when registering (`enabled`, ECS's
/// default) or runs the tag as written (`disabled`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VersionConsistency {
    /// Resolve the tag to a digest, so every task of a deployment runs the same image.
    Enabled,
    /// Use the tag as written.
    Disabled,
}

impl VersionConsistency {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

/// A namespaced kernel parameter (sysctl) for the container. On Fargate one container's
/// network sysctls apply to the whole task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemControl {
    /// The parameter: `net.*`, `fs.mqueue.*`, or one of `kernel.msgmax`, `kernel.msgmnb`,
    /// `kernel.msgmni`, `kernel.sem`, `kernel.shmall`, `kernel.shmmax`, `kernel.shmmni`,
    /// `kernel.shm_rmid_forced`.
    #[schemars(regex(pattern = patterns::SYSCTL), length(max = 256))]
    pub namespace: String,
    /// Its value, e.g. `"500"`.
    #[schemars(length(max = 256))]
    pub value: String,
}

/// A log driver Fargate supports.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogDriver {
    /// CloudWatch Logs (the default): the operator fills in group, region and stream prefix.
    #[default]
    Awslogs,
    /// Splunk HTTP Event Collector: set `splunk-url` in `options` and `splunk-token` in
    /// `secretOptions`.
    Splunk,
    /// FireLens: logs go to the task's log router container (the one with
    /// `firelensConfiguration`); `options` configure its output (e.g. `Name: cloudwatch`).
    Awsfirelens,
}

impl LogDriver {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Awslogs => "awslogs",
            Self::Splunk => "splunk",
            Self::Awsfirelens => "awsfirelens",
        }
    }
}

/// How log lines reach the driver when it cannot keep up.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum LogMode {
    /// Writes to stdout/stderr block until the driver takes them.
    #[serde(rename = "blocking")]
    Blocking,
    /// Lines are buffered (`maxBufferSize`, default 10m) and dropped when the buffer is full;
    /// the application never blocks on logging. ECS's default since June 2025 unless the
    /// account's `defaultLogDriverMode` says otherwise.
    #[serde(rename = "non-blocking")]
    NonBlocking,
}

impl LogMode {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocking => "blocking",
            Self::NonBlocking => "non-blocking",
        }
    }
}

/// Makes this container the task's FireLens log router (Fluent Bit or Fluentd).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.options) || self.options.all(k, k in ['enable-ecs-log-metadata', 'config-file-type', 'config-file-value'])")
        .message("firelensConfiguration.options takes enable-ecs-log-metadata, config-file-type and config-file-value only")
        .field_path(".options"),
    validation = Rule::new("!has(self.options) || self.options.all(k, k != 'config-file-type' || self.options[k] == 'file')")
        .message("firelensConfiguration.options config-file-type must be file on Fargate (it cannot read the configuration from S3)")
        .field_path(".options"),
)]
pub struct FirelensConfiguration {
    /// `fluentbit` or `fluentd`.
    #[serde(rename = "type")]
    pub router_type: FirelensType,
    /// `enable-ecs-log-metadata` (`"true"`/`"false"`), and a custom configuration file in
    /// the image: `config-file-type: file`, `config-file-value: /path/in/image.conf`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "driver_options_schema")]
    pub options: BTreeMap<String, String>,
}

/// The FireLens log router.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FirelensType {
    /// Fluent Bit (AWS for Fluent Bit images).
    Fluentbit,
    /// Fluentd.
    Fluentd,
}

impl FirelensType {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fluentbit => "fluentbit",
            Self::Fluentd => "fluentd",
        }
    }
}

/// Linux capabilities added to or dropped from Docker's default set.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// Capabilities to add: Fargate allows `SYS_PTRACE` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub add: Vec<AddCapability>,
    /// Capabilities to drop (any of the Linux capabilities, or `ALL`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 38))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub drop: Vec<KernelCapability>,
}

/// A capability Fargate lets a container add.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum AddCapability {
    /// Trace other processes (debuggers, profilers, sidecars like X-Ray).
    #[serde(rename = "SYS_PTRACE")]
    SysPtrace,
}

impl AddCapability {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SysPtrace => "SYS_PTRACE",
        }
    }
}

/// Declares [`KernelCapability`] from the ECS API's list of capability names.
macro_rules! kernel_capabilities {
    ($($variant:ident = $name:literal),+ $(,)?) => {
        /// A Linux capability, as ECS names it (`ALL` or `CAP_` without its prefix).
        #[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
        pub enum KernelCapability {
            $(
                #[doc = concat!("`", $name, "`.")]
                #[serde(rename = $name)]
                $variant,
            )+
        }

        impl KernelCapability {
            /// The ECS API string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }
    };
}

kernel_capabilities! {
    All = "ALL", AuditControl = "AUDIT_CONTROL", AuditWrite = "AUDIT_WRITE",
    BlockSuspend = "BLOCK_SUSPEND", Chown = "CHOWN", DacOverride = "DAC_OVERRIDE",
    DacReadSearch = "DAC_READ_SEARCH", Fowner = "FOWNER", Fsetid = "FSETID",
    IpcLock = "IPC_LOCK", IpcOwner = "IPC_OWNER", Kill = "KILL", Lease = "LEASE",
    LinuxImmutable = "LINUX_IMMUTABLE", MacAdmin = "MAC_ADMIN", MacOverride = "MAC_OVERRIDE",
    Mknod = "MKNOD", NetAdmin = "NET_ADMIN", NetBindService = "NET_BIND_SERVICE",
    NetBroadcast = "NET_BROADCAST", NetRaw = "NET_RAW", Setfcap = "SETFCAP", Setgid = "SETGID",
    Setpcap = "SETPCAP", Setuid = "SETUID", SysAdmin = "SYS_ADMIN", SysBoot = "SYS_BOOT",
    SysChroot = "SYS_CHROOT", SysModule = "SYS_MODULE", SysNice = "SYS_NICE",
    SysPacct = "SYS_PACCT", SysPtrace = "SYS_PTRACE", SysRawio = "SYS_RAWIO",
    SysResource = "SYS_RESOURCE", SysTime = "SYS_TIME", SysTtyConfig = "SYS_TTY_CONFIG",
    Syslog = "SYSLOG", WakeAlarm = "WAKE_ALARM",
}

/// `validate()`'s twin of the CRD rules on the fields above, for one container at `at`
/// (`names`: the task's container names).
pub(super) fn validate_newer_fields(c: &mut Check, at: &str, k: &Container, names: &[&str]) {
    sources_and_lifecycle(c, at, k, names);
    runtime_settings(c, at, k);
}

/// Where the container's image, environment and volumes come from, and its restarts and
/// timeouts.
fn sources_and_lifecycle(c: &mut Check, at: &str, k: &Container, names: &[&str]) {
    if let Some(r) = &k.repository_credentials {
        c.pattern(
            format!("{at}.repositoryCredentials.credentialsParameter"),
            &r.credentials_parameter,
            patterns::SECRETSMANAGER_ARN,
            "the full ARN of a Secrets Manager secret, e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf",
        );
    }
    if let Some(r) = &k.restart_policy {
        c.opt_range(
            format!("{at}.restartPolicy.restartAttemptPeriodSeconds"),
            r.restart_attempt_period_seconds,
            60,
            1800,
        );
        unique(
            c,
            |i| format!("{at}.restartPolicy.ignoredExitCodes[{i}]"),
            r.ignored_exit_codes.iter(),
        );
    }
    for (i, f) in k.environment_files.iter().enumerate() {
        c.pattern(
            format!("{at}.environmentFiles[{i}].value"),
            &f.value,
            patterns::ENV_FILE_ARN,
            "the ARN of an S3 object ending in .env, e.g. arn:aws:s3:::my-bucket/app/prod.env",
        );
    }
    for (i, v) in k.volumes_from.iter().enumerate() {
        if v.source_container == k.name || !names.contains(&v.source_container.as_str()) {
            c.fail(
                format!("{at}.volumesFrom[{i}].sourceContainer"),
                format!(
                    "{:?} must name another container of this task (one of {names:?})",
                    v.source_container
                ),
            );
        }
    }
    let sources = k.volumes_from.iter().map(|v| &v.source_container);
    unique(
        c,
        |i| format!("{at}.volumesFrom[{i}].sourceContainer"),
        sources,
    );
    c.opt_range(
        format!("{at}.startTimeoutSeconds"),
        k.start_timeout_seconds,
        2,
        120,
    );
    c.opt_range(
        format!("{at}.stopTimeoutSeconds"),
        k.stop_timeout_seconds,
        2,
        120,
    );
}

/// Labels, sysctls, credential specs, FireLens, capabilities and logging.
fn runtime_settings(c: &mut Check, at: &str, k: &Container) {
    for key in k.docker_labels.keys() {
        let n = key.chars().count();
        if !(1..=DOCKER_LABEL_KEY_MAX).contains(&n) {
            c.fail(
                format!("{at}.dockerLabels"),
                format!("key {key:?} is {n} characters long: a label key is 1 to {DOCKER_LABEL_KEY_MAX} characters"),
            );
        }
    }
    for (i, s) in k.system_controls.iter().enumerate() {
        c.pattern(
            format!("{at}.systemControls[{i}].namespace"),
            &s.namespace,
            patterns::SYSCTL,
            "a sysctl Fargate allows: net.*, fs.mqueue.* or kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni, shm_rmid_forced",
        );
    }
    unique(
        c,
        |i| format!("{at}.systemControls[{i}].namespace"),
        k.system_controls.iter().map(|s| &s.namespace),
    );
    for (i, spec) in k.credential_specs.iter().enumerate() {
        c.pattern(
            format!("{at}.credentialSpecs[{i}]"),
            spec,
            patterns::CREDENTIAL_SPEC,
            "credentialspecdomainless:<ARN> or credentialspec:<ARN>, the ARN of an S3 object or SSM parameter",
        );
    }
    if let Some(f) = &k.firelens_configuration {
        firelens_options(c, at, f);
    }
    if let Some(caps) = k
        .linux_parameters
        .as_ref()
        .and_then(|l| l.capabilities.as_ref())
    {
        let at = format!("{at}.linuxParameters.capabilities");
        unique(
            c,
            |i| format!("{at}.add[{i}]"),
            caps.add.iter().map(|a| a.as_str()),
        );
        unique(
            c,
            |i| format!("{at}.drop[{i}]"),
            caps.drop.iter().map(|d| d.as_str()),
        );
    }
    if let Some(l) = &k.logging {
        log_driver_settings(c, &format!("{at}.logging"), l);
    }
}

/// A list that is a set (or a map keyed by these values) names each value once: the second
/// of two is refused at `field(i)`.
fn unique<T: Ord + std::fmt::Debug>(
    c: &mut Check,
    field: impl Fn(usize) -> String,
    values: impl Iterator<Item = T>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in values.enumerate() {
        if let Some(v) = seen.replace(v) {
            c.fail(
                field(i),
                format!("{v:?} is given twice: each may appear once"),
            );
        }
    }
}

fn firelens_options(c: &mut Check, at: &str, f: &FirelensConfiguration) {
    let field = format!("{at}.firelensConfiguration.options");
    for key in f.options.keys() {
        if !FIRELENS_OPTIONS.contains(&key.as_str()) {
            c.fail(
                &field,
                format!("{key:?} is not a FireLens option: use {FIRELENS_OPTIONS:?}"),
            );
        }
    }
    if f.options
        .get("config-file-type")
        .is_some_and(|t| t != "file")
    {
        c.fail(
            field,
            "config-file-type must be file on Fargate (it cannot read the configuration from S3)",
        );
    }
}

/// `logging`'s driver-specific settings, options and secret options.
fn log_driver_settings(c: &mut Check, at: &str, l: &Logging) {
    let awslogs = l.driver.unwrap_or_default() == LogDriver::Awslogs;
    if !awslogs && (l.group.is_some() || l.stream_prefix.is_some() || l.retention_days.is_some()) {
        c.fail(
            format!("{at}.driver"),
            "group, streamPrefix and retentionDays are awslogs settings: remove them, or use driver: awslogs",
        );
    }
    for key in l.options.keys() {
        let n = key.chars().count();
        if !(1..=DRIVER_OPTION_KEY_MAX).contains(&n) || RESERVED_LOG_OPTIONS.contains(&key.as_str())
        {
            c.fail(
                format!("{at}.options"),
                format!("{key:?}: keys are 1-{DRIVER_OPTION_KEY_MAX} characters, and {RESERVED_LOG_OPTIONS:?} are set by group, streamPrefix, createGroup, mode and maxBufferSize"),
            );
        }
    }
    if let Some(size) = &l.max_buffer_size {
        c.pattern(
            format!("{at}.maxBufferSize"),
            size,
            patterns::BUFFER_SIZE,
            "a size like 25m (a number, then k, m or g)",
        );
        if l.mode == Some(LogMode::Blocking) {
            c.fail(
                format!("{at}.maxBufferSize"),
                "applies to mode: non-blocking only",
            );
        }
    }
    for (i, s) in l.secret_options.iter().enumerate() {
        c.pattern(
            format!("{at}.secretOptions[{i}].valueFrom"),
            &s.value_from,
            patterns::SECRET_ARN,
            "the full ARN of a Secrets Manager secret or SSM parameter",
        );
    }
    unique(
        c,
        |i| format!("{at}.secretOptions[{i}].name"),
        l.secret_options.iter().map(|s| &s.name),
    );
}

/// The task's FireLens router: at most one, and there must be one when a container logs
/// with `awsfirelens`.
pub(super) fn validate_log_router(c: &mut Check, spec: &TaskDefinitionSpec) {
    let routers = spec
        .containers
        .iter()
        .filter(|k| k.firelens_configuration.is_some())
        .count();
    if routers > 1 {
        c.fail(
            "spec.containers",
            "at most one container may have firelensConfiguration (the task's log router)",
        );
    }
    let uses_firelens = spec
        .containers
        .iter()
        .any(|k| k.logging.as_ref().and_then(|l| l.driver) == Some(LogDriver::Awsfirelens));
    if uses_firelens && routers == 0 {
        c.fail(
            "spec.containers",
            "logging.driver awsfirelens needs a log router: give one container firelensConfiguration",
        );
    }
}

/// The ports of a mapping, `(first, last)`: its one port, or its range when the range reads
/// as `first-last` with first below last (else None: refused on its own).
pub fn mapped_ports(p: &PortMapping) -> Option<(i32, i32)> {
    match (&p.container_port, &p.container_port_range) {
        (Some(port), None) => Some((*port, *port)),
        (None, Some(range)) => {
            let (a, b) = range.split_once('-')?;
            let (a, b) = (a.parse().ok()?, b.parse().ok()?);
            (a < b).then_some((a, b))
        }
        _ => None,
    }
}

/// The twin of a port mapping's rules: exactly one of containerPort and containerPortRange
/// (ECS API reference, `PortMapping`), and a range that reads `first-last`, first below last,
/// each 1-65535.
pub(super) fn validate_port_range(c: &mut Check, at: &str, p: &PortMapping) {
    if p.container_port.is_some() == p.container_port_range.is_some() {
        c.fail(
            format!("{at}.containerPortRange"),
            "set exactly one of containerPort or containerPortRange",
        );
    }
    if let Some(range) = &p.container_port_range {
        if !super::validation::matches(patterns::PORT_RANGE, range) {
            c.fail(
                format!("{at}.containerPortRange"),
                format!(
                    "{range:?} is not valid: expected first-last, each 1-65535, e.g. 8000-8099"
                ),
            );
        } else if mapped_ports(p).is_none() {
            c.fail(
                format!("{at}.containerPortRange"),
                format!("{range:?}: the first port must be below the last, e.g. 8000-8099"),
            );
        }
    }
}

/// No port mapped twice per protocol in the task, by a port or a range (Fargate tasks share
/// one network namespace; ECS: "A port can only be included in one port mapping per
/// container", "You cannot specify overlapping port ranges"). Rust-only: as a CEL rule the
/// pairwise check across containers exceeds the API server's cost budget.
pub(super) fn validate_port_overlaps(c: &mut Check, spec: &TaskDefinitionSpec) {
    let mut seen: Vec<(&str, i32, i32)> = vec![];
    for (i, k) in spec.containers.iter().enumerate() {
        for (j, p) in k.port_mappings.iter().enumerate() {
            let Some((lo, hi)) = mapped_ports(p) else {
                continue;
            };
            let proto = p.protocol.map_or("tcp", |p| p.as_str());
            let clash = seen
                .iter()
                .any(|(q, a, b)| *q == proto && lo <= *b && *a <= hi);
            if clash {
                let (field, what) = match &p.container_port_range {
                    Some(r) => ("containerPortRange", r.clone()),
                    None => ("containerPort", lo.to_string()),
                };
                c.fail(
                    format!("spec.containers[{i}].portMappings[{j}].{field}"),
                    format!(
                        "{what}/{proto} is used twice: a port may be mapped once in the task, by one container (Fargate tasks share one network namespace)"
                    ),
                );
            }
            seen.push((proto, lo, hi));
        }
    }
}

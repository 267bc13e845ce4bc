//! `validate()`: the CRD's schema and CEL rules again, in Rust.
//!
//! Older clusters ignore CEL, and `plan`/`apply` run without a cluster, so the planner never
//! trusts the API server to have checked anything. Every rule here has a twin in the CRD schema
//! (`tests/validation_corpus.rs` proves the two agree on one corpus of invalid specs); messages
//! name the field and say how to fix it.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::LazyLock;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use regex::Regex;
use schemars::{json_schema, Schema, SchemaGenerator};
use serde_json::Value;

use super::fargateservice::{FargateServiceSpec, ScalingSpec};
use super::patterns;
use super::taskdefinition::{Container, TaskDefinitionSpec};

/// One rejected field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `spec.containers[0].cpu`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All the fields a spec got wrong (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

/// Most user tags an object may carry: AWS allows 50 per resource, and the operator adds its
/// own (owner, uid, spec hash, ...).
pub const MAX_TAGS: u32 = 40;
/// AWS's limit on a tag key's length.
pub const TAG_KEY_MAX: usize = 128;
/// AWS's limit on a tag value's length.
pub const TAG_VALUE_MAX: u32 = 256;

/// Schema of `spec.tags`: at most [`MAX_TAGS`] tags with values of at most [`TAG_VALUE_MAX`]
/// characters (key lengths are a CEL rule: a schema cannot bound map keys).
pub fn tags_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_TAGS,
        "additionalProperties": {"type": "string", "maxLength": TAG_VALUE_MAX},
    })
}

/// The `spec` schema of a CRD, as the API server checks it.
fn spec_schema(crd: CustomResourceDefinition) -> Value {
    crd.spec
        .versions
        .first()
        .and_then(|v| v.schema.as_ref())
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .and_then(|s| s.properties.as_ref())
        .and_then(|p| p.get("spec"))
        .and_then(|s| serde_json::to_value(s).ok())
        .unwrap_or(Value::Null)
}

static TASK_DEFINITION_SPEC: LazyLock<Value> =
    LazyLock::new(|| spec_schema(super::TaskDefinition::crd()));
static FARGATE_SERVICE_SPEC: LazyLock<Value> =
    LazyLock::new(|| spec_schema(super::FargateService::crd()));
static FARGATE_TASK_SPEC: LazyLock<Value> =
    LazyLock::new(|| spec_schema(super::FargateTask::crd()));

/// Schema of a free-form JSON object (an IAM policy document).
pub fn free_form_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

static REGEXES: LazyLock<HashMap<&'static str, Regex>> = LazyLock::new(|| {
    patterns::ALL
        .iter()
        .map(|p| (*p, Regex::new(p).expect("patterns::ALL are valid regexes")))
        .collect()
});

/// Whether `value` matches one of the [`patterns`] constants.
pub fn matches(pattern: &'static str, value: &str) -> bool {
    REGEXES.get(pattern).is_some_and(|re| re.is_match(value))
}

/// Valid Fargate CPU units.
pub const FARGATE_CPU: [i32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

/// Whether `memory` MiB is a valid Fargate size for `cpu` units.
pub fn fargate_size_valid(cpu: i32, memory: i32) -> bool {
    let gib = 1024;
    let stepped = |lo: i32, hi: i32, step: i32| memory >= lo && memory <= hi && memory % step == 0;
    match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => stepped(gib, 4 * gib, gib),
        1024 => stepped(2 * gib, 8 * gib, gib),
        2048 => stepped(4 * gib, 16 * gib, gib),
        4096 => stepped(8 * gib, 30 * gib, gib),
        8192 => stepped(16 * gib, 60 * gib, 4 * gib),
        16384 => stepped(32 * gib, 120 * gib, 8 * gib),
        _ => false,
    }
}

/// CloudWatch Logs retention values.
pub const LOG_RETENTION_DAYS: [i32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Collects errors.
#[derive(Default)]
pub(super) struct Check(Vec<FieldError>);

impl Check {
    pub(super) fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub(super) fn pattern(
        &mut self,
        field: impl Into<String>,
        value: &str,
        pattern: &'static str,
        hint: &str,
    ) {
        if !matches(pattern, value) {
            self.fail(field, format!("{value:?} is not valid: expected {hint}"));
        }
    }

    fn range(&mut self, field: impl Into<String>, value: i32, min: i32, max: i32) {
        if value < min || value > max {
            self.fail(
                field,
                format!("{value} is out of range: use {min} to {max}"),
            );
        }
    }

    pub(super) fn opt_range(
        &mut self,
        field: impl Into<String>,
        value: Option<i32>,
        min: i32,
        max: i32,
    ) {
        if let Some(v) = value {
            self.range(field, v, min, max);
        }
    }

    /// The size bounds of the CRD schema (`maxLength`, `maxItems`, `maxProperties`), checked
    /// on `value` (a serialised spec) at `at`. Read from the schema itself, so the CRD and
    /// this validator cannot disagree on a bound. Lengths count characters, as the API server
    /// does.
    fn bounds(&mut self, at: &str, schema: &Value, value: &Value) {
        let limit = |key: &str| schema.get(key).and_then(Value::as_u64);
        match value {
            Value::String(s) => {
                let n = s.chars().count() as u64;
                if let Some(max) = limit("maxLength").filter(|max| n > *max) {
                    self.fail(
                        at,
                        format!("is {n} characters long; at most {max} are allowed"),
                    );
                }
            }
            Value::Array(items) => {
                let n = items.len() as u64;
                if let Some(max) = limit("maxItems").filter(|max| n > *max) {
                    self.fail(at, format!("has {n} items; at most {max} are allowed"));
                }
                for (i, item) in items.iter().enumerate() {
                    self.bounds(&format!("{at}[{i}]"), &schema["items"], item);
                }
            }
            Value::Object(map) => {
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (k, v) in map {
                        if let Some(sub) = props.get(k) {
                            self.bounds(&format!("{at}.{k}"), sub, v);
                        }
                    }
                }
                if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                    let n = map.len() as u64;
                    if let Some(max) = limit("maxProperties").filter(|max| n > *max) {
                        self.fail(at, format!("has {n} entries; at most {max} are allowed"));
                    }
                    for (k, v) in map {
                        self.bounds(&format!("{at}.{k}"), values, v);
                    }
                }
            }
            _ => {}
        }
    }

    /// [`Check::bounds`] of a whole spec against its CRD's `spec` schema.
    fn spec_bounds(&mut self, schema: &Value, spec: &impl serde::Serialize) {
        if let Ok(value) = serde_json::to_value(spec) {
            self.bounds("spec", schema, &value);
        }
    }

    fn reserved_tags<'a>(&mut self, keys: impl Iterator<Item = &'a String>) {
        for k in keys {
            let n = k.chars().count();
            if !(1..=TAG_KEY_MAX).contains(&n) {
                self.fail(
                    "spec.tags",
                    format!("key {k:?} is {n} characters long: a tag key is 1 to {TAG_KEY_MAX} characters (AWS's limit)"),
                );
            }
            if k.starts_with(super::RESERVED_TAG_PREFIX) || k.starts_with("aws:") {
                self.fail(
                    "spec.tags",
                    format!(
                        "key {k:?} is reserved (ecs.fargate.dev/ and aws: prefixes): rename it"
                    ),
                );
            }
        }
    }

    fn done(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}

/// Validates a TaskDefinition spec (schema + CEL rules, in Rust).
pub fn validate_task_definition(spec: &TaskDefinitionSpec) -> Result<(), ValidationErrors> {
    let mut c = Check::default();
    c.spec_bounds(&TASK_DEFINITION_SPEC, spec);
    if let Some(family) = &spec.family {
        c.pattern(
            "spec.family",
            family,
            patterns::ECS_NAME,
            "1-255 letters, digits, - or _",
        );
    }
    task_size(&mut c, spec);
    if spec.containers.is_empty() {
        c.fail("spec.containers", "at least one container is required");
    }
    c.reserved_tags(spec.tags.keys());
    containers(&mut c, spec);
    container_totals(&mut c, spec);
    super::containers::validate_log_router(&mut c, spec);
    volumes(&mut c, spec);
    super::ebs::validate_launch_volumes(&mut c, spec);
    roles(&mut c, spec);
    c.done()
}

/// The Fargate CPU/memory matrix, ephemeral storage and the history limit.
fn task_size(c: &mut Check, spec: &TaskDefinitionSpec) {
    if !FARGATE_CPU.contains(&spec.cpu) {
        c.fail(
            "spec.cpu",
            format!(
                "{} is not a Fargate size: use one of 256, 512, 1024, 2048, 4096, 8192, 16384 (CPU units; 1024 = 1 vCPU)",
                spec.cpu
            ),
        );
    } else if !fargate_size_valid(spec.cpu, spec.memory) {
        c.fail(
            "spec.memory",
            format!(
                "{} MiB is not a valid Fargate size for cpu {}: cpu 256 takes 512, 1024 or 2048 MiB; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384; 4096 takes 8192-30720 (1024 MiB steps); 8192 takes 16384-61440 (4096 steps); 16384 takes 32768-122880 (8192 steps)",
                spec.memory, spec.cpu
            ),
        );
    }
    c.opt_range(
        "spec.ephemeralStorageGiB",
        spec.ephemeral_storage_gib,
        21,
        200,
    );
    c.range(
        "spec.revisionHistoryLimit",
        spec.revision_history_limit,
        0,
        100,
    );
}

/// Each container, and names unique within the task.
fn containers(c: &mut Check, spec: &TaskDefinitionSpec) {
    let names: Vec<&str> = spec.containers.iter().map(|k| k.name.as_str()).collect();
    let volumes: BTreeSet<&str> = spec.volumes.iter().map(|v| v.name.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (i, k) in spec.containers.iter().enumerate() {
        let at = format!("spec.containers[{i}]");
        if !seen.insert(k.name.as_str()) {
            c.fail(
                format!("{at}.name"),
                format!(
                    "container name {:?} is used twice: names must be unique",
                    k.name
                ),
            );
        }
        validate_container(c, &at, k, &names, &volumes);
    }
}

/// What the containers add up to: CPU and memory within the task's, one essential
/// container, each port used once.
fn container_totals(c: &mut Check, spec: &TaskDefinitionSpec) {
    // Summed in i64: `plan -f` reads specs no API server has range-checked, and ten
    // containers of i32::MAX would overflow an i32.
    let cpu_sum: i64 = spec
        .containers
        .iter()
        .filter_map(|k| k.cpu)
        .map(i64::from)
        .sum();
    if FARGATE_CPU.contains(&spec.cpu) && cpu_sum > i64::from(spec.cpu) {
        c.fail(
            "spec.containers",
            format!(
                "containers' cpu adds up to {cpu_sum}, more than spec.cpu {}: lower the containers' cpu or raise the task's",
                spec.cpu
            ),
        );
    }
    let mem_sum: i64 = spec
        .containers
        .iter()
        .map(|k| i64::from(k.memory.or(k.memory_reservation).unwrap_or(0)))
        .sum();
    if mem_sum > i64::from(spec.memory) {
        c.fail(
            "spec.containers",
            format!(
                "containers' memory (or memoryReservation) adds up to {mem_sum} MiB, more than spec.memory {}: lower the containers' memory or raise the task's",
                spec.memory
            ),
        );
    }
    if !spec.containers.is_empty() && !spec.containers.iter().any(|k| k.essential) {
        c.fail(
            "spec.containers",
            "at least one container must be essential (essential: true)",
        );
    }
    // Rust-only: as a CEL rule this cross-container check exceeds the API server's cost budget.
    super::containers::validate_port_overlaps(c, spec);
}

/// Task volumes: names and EFS settings.
fn volumes(c: &mut Check, spec: &TaskDefinitionSpec) {
    for (i, v) in spec.volumes.iter().enumerate() {
        let at = format!("spec.volumes[{i}]");
        c.pattern(
            format!("{at}.name"),
            &v.name,
            patterns::VOLUME_NAME,
            "1-64 letters, digits, - or _",
        );
        if let Some(efs) = &v.efs {
            efs_volume(c, &at, efs);
        }
        if let Some(s3) = &v.s3files {
            super::s3files::validate_s3files_volume(c, &at, s3);
            if v.efs.is_some() || v.configured_at_launch == Some(true) {
                c.fail(
                    format!("{at}.s3files"),
                    "an s3files volume is one kind of volume: not with efs or configuredAtLaunch: true",
                );
            }
            if spec.task_role.is_none() {
                c.fail(
                    "spec.taskRole",
                    "is required with an s3files volume: ECS mounts S3 Files with the task role",
                );
            }
        }
    }
}

/// An EFS volume: IDs, root, and the transit-encryption settings access points, IAM
/// authorisation and a transit-encryption port need.
fn efs_volume(c: &mut Check, at: &str, efs: &super::taskdefinition::EfsVolume) {
    use super::taskdefinition::Toggle;
    c.pattern(
        format!("{at}.efs.fileSystemId"),
        &efs.file_system_id,
        patterns::EFS_ID,
        "an EFS file system ID like fs-0123456789abcdef0",
    );
    if let Some(ap) = &efs.access_point_id {
        c.pattern(
            format!("{at}.efs.accessPointId"),
            ap,
            patterns::EFS_ACCESS_POINT_ID,
            "an EFS access point ID like fsap-0123456789abcdef0",
        );
    }
    if let Some(root) = &efs.root_directory {
        c.pattern(
            format!("{at}.efs.rootDirectory"),
            root,
            patterns::ABSOLUTE_PATH,
            "an absolute path",
        );
    }
    let needs_tls = efs.access_point_id.is_some() || efs.iam == Some(Toggle::Enabled);
    if needs_tls && efs.transit_encryption == Some(Toggle::Disabled) {
        c.fail(
            format!("{at}.efs.transitEncryption"),
            "must be ENABLED when accessPointId or iam: ENABLED is used",
        );
    }
    if efs.access_point_id.is_some() && efs.root_directory.as_deref().is_some_and(|r| r != "/") {
        c.fail(
            format!("{at}.efs.rootDirectory"),
            "must be omitted (or /) with an accessPointId: the access point sets the root",
        );
    }
    c.opt_range(
        format!("{at}.efs.transitEncryptionPort"),
        efs.transit_encryption_port,
        1,
        65535,
    );
    let tls = efs
        .transit_encryption
        .map_or(needs_tls, |t| t == Toggle::Enabled);
    if efs.transit_encryption_port.is_some() && !tls {
        c.fail(
            format!("{at}.efs.transitEncryptionPort"),
            "is the port of encrypted NFS traffic: it needs transitEncryption: ENABLED",
        );
    }
}

/// The execution and task roles: an existing ARN or a managed role.
fn roles(c: &mut Check, spec: &TaskDefinitionSpec) {
    for (field, role) in [
        ("spec.executionRole", &spec.execution_role),
        ("spec.taskRole", &spec.task_role),
    ] {
        let Some(role) = role else { continue };
        match (&role.arn, &role.managed) {
            (Some(arn), None) => c.pattern(
                format!("{field}.arn"),
                arn,
                patterns::ROLE_ARN,
                "an IAM role ARN like arn:aws:iam::123456789012:role/my-role",
            ),
            (None, Some(m)) => {
                for (i, p) in m.policy_arns.iter().enumerate() {
                    c.pattern(
                        format!("{field}.managed.policyArns[{i}]"),
                        p,
                        patterns::POLICY_ARN,
                        "an IAM policy ARN like arn:aws:iam::aws:policy/ReadOnlyAccess",
                    );
                }
                if let Some(doc) = &m.policy {
                    if doc.get("Statement").is_none() {
                        c.fail(
                            format!("{field}.managed.policy"),
                            "an IAM policy document needs a Statement (and Version: 2012-10-17)",
                        );
                    }
                }
            }
            _ => c.fail(
                field,
                "set exactly one of arn (an existing role) or managed (a role the operator creates)",
            ),
        }
    }
}

fn validate_container(
    c: &mut Check,
    at: &str,
    k: &Container,
    names: &[&str],
    volumes: &BTreeSet<&str>,
) {
    c.pattern(
        format!("{at}.name"),
        &k.name,
        patterns::CONTAINER_NAME,
        "1-64 letters, digits, - or _",
    );
    if k.image.is_empty() {
        c.fail(
            format!("{at}.image"),
            "an image reference is required, e.g. public.ecr.aws/nginx/nginx:1.27",
        );
    }
    c.opt_range(format!("{at}.cpu"), k.cpu, 0, 16384);
    c.opt_range(format!("{at}.memory"), k.memory, 6, 122880);
    c.opt_range(
        format!("{at}.memoryReservation"),
        k.memory_reservation,
        6,
        122880,
    );
    if let (Some(mem), Some(res)) = (k.memory, k.memory_reservation) {
        if res > mem {
            c.fail(
                format!("{at}.memoryReservation"),
                format!(
                    "{res} MiB exceeds memory {mem} MiB (the hard limit): lower it or raise memory"
                ),
            );
        }
    }
    environment_and_secrets(c, at, k);
    ports_health_and_logging(c, at, k);
    references_and_limits(c, at, k, names, volumes);
    super::containers::validate_newer_fields(c, at, k, names);
}

/// Variables and secrets: names unique across both, secrets as full ARNs.
fn environment_and_secrets(c: &mut Check, at: &str, k: &Container) {
    let mut env = BTreeSet::new();
    for (i, e) in k.environment.iter().enumerate() {
        if e.name.is_empty() {
            c.fail(
                format!("{at}.environment[{i}].name"),
                "must be 1-255 characters",
            );
        }
        if !env.insert(e.name.as_str()) {
            c.fail(
                format!("{at}.environment[{i}].name"),
                format!("variable {:?} is set twice: names must be unique", e.name),
            );
        }
    }
    let mut secrets = BTreeSet::new();
    for (i, s) in k.secrets.iter().enumerate() {
        // The clash with an environment variable is checked here only: as a CEL rule it
        // would exceed the API server's cost budget.
        if !secrets.insert(s.name.as_str()) || env.contains(s.name.as_str()) {
            c.fail(
                format!("{at}.secrets[{i}].name"),
                format!(
                    "{:?} is set twice: secret names must be unique and must not repeat an environment variable",
                    s.name
                ),
            );
        }
        c.pattern(
            format!("{at}.secrets[{i}].valueFrom"),
            &s.value_from,
            patterns::SECRET_ARN,
            "the full ARN of a Secrets Manager secret or SSM parameter, e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        );
    }
}

/// Port mappings, the health check and the awslogs settings.
fn ports_health_and_logging(c: &mut Check, at: &str, k: &Container) {
    for (i, p) in k.port_mappings.iter().enumerate() {
        c.opt_range(
            format!("{at}.portMappings[{i}].containerPort"),
            p.container_port,
            1,
            65535,
        );
        super::containers::validate_port_range(c, &format!("{at}.portMappings[{i}]"), p);
        if let Some(name) = &p.name {
            c.pattern(
                format!("{at}.portMappings[{i}].name"),
                name,
                patterns::PORT_NAME,
                "lower-case letters, digits and -, up to 64 characters",
            );
        }
    }
    if let Some(h) = &k.health_check {
        let first = h.command.first().map(String::as_str);
        if !matches!(first, Some("CMD" | "CMD-SHELL" | "NONE")) {
            c.fail(
                format!("{at}.healthCheck.command"),
                "must start with CMD, CMD-SHELL or NONE, e.g. [CMD-SHELL, 'curl -f http://localhost/ || exit 1']",
            );
        }
        c.opt_range(
            format!("{at}.healthCheck.intervalSeconds"),
            h.interval_seconds,
            5,
            300,
        );
        c.opt_range(
            format!("{at}.healthCheck.timeoutSeconds"),
            h.timeout_seconds,
            2,
            120,
        );
        c.opt_range(format!("{at}.healthCheck.retries"), h.retries, 1, 10);
        c.opt_range(
            format!("{at}.healthCheck.startPeriodSeconds"),
            h.start_period_seconds,
            0,
            300,
        );
    }
    if let Some(l) = &k.logging {
        if let Some(g) = &l.group {
            c.pattern(
                format!("{at}.logging.group"),
                g,
                patterns::LOG_GROUP,
                "1-512 characters of letters, digits, _ / . # -",
            );
        }
        if let Some(p) = &l.stream_prefix {
            c.pattern(
                format!("{at}.logging.streamPrefix"),
                p,
                patterns::STREAM_PREFIX,
                "1-256 characters without : or *",
            );
        }
        if let Some(days) = l.retention_days {
            if !LOG_RETENTION_DAYS.contains(&days) {
                c.fail(
                    format!("{at}.logging.retentionDays"),
                    format!("{days} is not a CloudWatch Logs retention: use one of {LOG_RETENTION_DAYS:?}"),
                );
            }
        }
    }
}

/// `dependsOn` and `mountPoints` naming what exists, and ulimits.
fn references_and_limits(
    c: &mut Check,
    at: &str,
    k: &Container,
    names: &[&str],
    volumes: &BTreeSet<&str>,
) {
    for (i, d) in k.depends_on.iter().enumerate() {
        if d.container_name == k.name || !names.contains(&d.container_name.as_str()) {
            c.fail(
                format!("{at}.dependsOn[{i}].containerName"),
                format!(
                    "{:?} must name another container of this task (one of {names:?})",
                    d.container_name
                ),
            );
        }
    }
    for (i, u) in k.ulimits.iter().enumerate() {
        c.pattern(
            format!("{at}.ulimits[{i}].name"),
            &u.name,
            patterns::ULIMIT_NAME,
            "a ulimit name such as nofile or nproc",
        );
        if u.soft_limit < 0 || u.hard_limit < 0 {
            c.fail(format!("{at}.ulimits[{i}]"), "limits must not be negative");
        }
        if u.soft_limit > u.hard_limit {
            c.fail(
                format!("{at}.ulimits[{i}].softLimit"),
                "must not exceed hardLimit",
            );
        }
    }
    for (i, m) in k.mount_points.iter().enumerate() {
        if !volumes.contains(m.source_volume.as_str()) {
            c.fail(
                format!("{at}.mountPoints[{i}].sourceVolume"),
                format!(
                    "{:?} must name a volume in spec.volumes (one of {volumes:?})",
                    m.source_volume
                ),
            );
        }
        c.pattern(
            format!("{at}.mountPoints[{i}].containerPath"),
            &m.container_path,
            patterns::ABSOLUTE_PATH,
            "an absolute path",
        );
    }
}

/// Checks the immutable fields of a TaskDefinition against its previous spec.
pub fn validate_task_definition_update(
    old: &TaskDefinitionSpec,
    new: &TaskDefinitionSpec,
) -> Result<(), ValidationErrors> {
    let mut c = Check::default();
    if old.family != new.family {
        c.fail(
            "spec.family",
            "is immutable: it names the ECS family every revision belongs to; create a new TaskDefinition to use another family",
        );
    }
    c.done()
}

/// Validates a FargateService spec (schema + CEL rules, in Rust).
pub fn validate_fargate_service(spec: &FargateServiceSpec) -> Result<(), ValidationErrors> {
    let mut c = Check::default();
    c.spec_bounds(&FARGATE_SERVICE_SPEC, spec);
    c.pattern(
        "spec.cluster.name",
        &spec.cluster.name,
        patterns::ECS_NAME,
        "1-255 letters, digits, - or _",
    );
    if let Some(name) = &spec.service_name {
        c.pattern(
            "spec.serviceName",
            name,
            patterns::ECS_NAME,
            "1-255 letters, digits, - or _",
        );
    }
    task_definition_source(
        &mut c,
        spec.task_definition_ref.as_ref().map(|r| r.name.as_str()),
        spec.task_definition_arn.as_deref(),
    );
    if let Some(r) = &spec.task_definition_ref {
        c.opt_range(
            "spec.taskDefinitionRef.revision",
            r.revision,
            1,
            999_999_999,
        );
    }
    c.range("spec.desiredCount", spec.desired_count, 0, 5000);
    network(&mut c, "spec.network", &spec.network);
    load_balancers(&mut c, spec);
    deployment(&mut c, spec);
    if let Some(pd) = spec.deployment.as_ref().and_then(|d| d.pre_deploy.as_ref()) {
        pre_deploy(&mut c, pd);
    }
    progressive_delivery(&mut c, spec);
    capacity_and_placement(&mut c, spec);
    c.reserved_tags(spec.tags.keys());
    super::ebs::validate_volume_configurations(&mut c, spec);
    super::monitoring::validate_monitoring(&mut c, spec.monitoring.as_ref());
    super::gateway::validate_gateway_connectors(&mut c, &spec.gateway_connectors);
    if let Some(s) = &spec.scaling {
        scaling(&mut c, spec, s);
    }
    c.done()
}

/// `spec.deployment.preDeploy`: at most one task-definition source, its network, strategy
/// and overrides as a FargateTask's.
fn pre_deploy(c: &mut Check, pd: &super::predeploy::PreDeploySpec) {
    const AT: &str = "spec.deployment.preDeploy";
    if pd.task_definition_ref.is_some() && pd.task_definition_arn.is_some() {
        c.fail(
            format!("{AT}.taskDefinitionArn"),
            "set at most one of taskDefinitionRef or taskDefinitionArn (neither: the revision the service is about to deploy)",
        );
    }
    if let Some(r) = &pd.task_definition_ref {
        if r.name.is_empty() {
            c.fail(
                format!("{AT}.taskDefinitionRef.name"),
                "must name a TaskDefinition in this namespace",
            );
        }
    }
    if let Some(arn) = &pd.task_definition_arn {
        c.pattern(
            format!("{AT}.taskDefinitionArn"),
            arn,
            patterns::TASK_DEFINITION_ARN,
            "a task-definition revision ARN like arn:aws:ecs:us-east-1:123456789012:task-definition/migrate:3",
        );
    }
    if let Some(n) = &pd.network {
        network(c, &format!("{AT}.network"), n);
    }
    capacity(
        c,
        &format!("{AT}.capacityProviderStrategy"),
        &pd.capacity_provider_strategy,
        None,
    );
    c.range(format!("{AT}.backoffLimit"), pd.backoff_limit, 0, 100);
    if let Some(d) = pd
        .active_deadline_seconds
        .filter(|d| !(1..=604_800).contains(d))
    {
        c.fail(
            format!("{AT}.activeDeadlineSeconds"),
            format!("{d} is out of range: use 1 to 604800"),
        );
    }
    if let Some(o) = &pd.overrides {
        task_overrides(c, &format!("{AT}.overrides"), o);
    }
}

/// Exactly one of `taskDefinitionRef` (`name`: its name) or `taskDefinitionArn` (`arn`),
/// each well-formed (a FargateService's or a FargateTask's).
fn task_definition_source(c: &mut Check, name: Option<&str>, arn: Option<&str>) {
    match (name, arn) {
        (Some(name), None) => {
            if name.is_empty() {
                c.fail(
                    "spec.taskDefinitionRef.name",
                    "must name a TaskDefinition in this namespace",
                );
            }
        }
        (None, Some(arn)) => c.pattern(
            "spec.taskDefinitionArn",
            arn,
            patterns::TASK_DEFINITION_ARN,
            "a task-definition revision ARN like arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
        ),
        _ => c.fail(
            "spec",
            "set exactly one of spec.taskDefinitionRef (a TaskDefinition in this namespace) or spec.taskDefinitionArn (an existing revision)",
        ),
    }
}

/// Subnets and security groups.
fn network(c: &mut Check, at: &str, n: &super::fargateservice::NetworkSpec) {
    if n.subnets.is_empty() {
        c.fail(
            format!("{at}.subnets"),
            "at least one subnet ID is required, e.g. subnet-0123456789abcdef0 (or a \
             FargateTenant with defaults.subnets for this namespace)",
        );
    }
    for (i, s) in n.subnets.iter().enumerate() {
        c.pattern(
            format!("{at}.subnets[{i}]"),
            s,
            patterns::SUBNET_ID,
            "a subnet ID like subnet-0123456789abcdef0",
        );
    }
    for (i, s) in n.security_groups.iter().enumerate() {
        c.pattern(
            format!("{at}.securityGroups[{i}]"),
            s,
            patterns::SECURITY_GROUP_ID,
            "a security group ID like sg-0123456789abcdef0",
        );
    }
}

/// Target groups, containers and ports of the load balancers, and the grace period.
fn load_balancers(c: &mut Check, spec: &FargateServiceSpec) {
    for (i, lb) in spec.load_balancers.iter().enumerate() {
        c.pattern(
            format!("spec.loadBalancers[{i}].targetGroupArn"),
            &lb.target_group_arn,
            patterns::TARGET_GROUP_ARN,
            "a target group ARN like arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
        );
        c.pattern(
            format!("spec.loadBalancers[{i}].containerName"),
            &lb.container_name,
            patterns::ECS_NAME,
            "a container name of the task definition",
        );
        c.range(
            format!("spec.loadBalancers[{i}].containerPort"),
            lb.container_port,
            1,
            65535,
        );
    }
    c.opt_range(
        "spec.healthCheckGracePeriodSeconds",
        spec.health_check_grace_period_seconds,
        0,
        i32::MAX,
    );
}

/// The rolling-update policy and its alarms.
fn deployment(c: &mut Check, spec: &FargateServiceSpec) {
    if let Some(d) = &spec.deployment {
        c.opt_range(
            "spec.deployment.minimumHealthyPercent",
            d.minimum_healthy_percent,
            0,
            100,
        );
        c.opt_range(
            "spec.deployment.maximumPercent",
            d.maximum_percent,
            100,
            200,
        );
        if d.minimum_healthy_percent.unwrap_or(100) >= d.maximum_percent.unwrap_or(200) {
            c.fail(
                "spec.deployment.maximumPercent",
                "must be greater than minimumHealthyPercent, or a rolling update can neither start nor stop a task",
            );
        }
        breaker_and_early_success(c, d);
        if let Some(a) = &d.alarms {
            if a.names.is_empty() {
                c.fail(
                    "spec.deployment.alarms.names",
                    "name at least one CloudWatch alarm, or remove alarms",
                );
            }
            for (i, name) in a.names.iter().enumerate() {
                if name.is_empty() {
                    c.fail(
                        format!("spec.deployment.alarms.names[{i}]"),
                        "must be 1-255 characters",
                    );
                }
            }
        }
    }
}

/// The circuit breaker's threshold and the early-success percentage.
fn breaker_and_early_success(c: &mut Check, d: &super::fargateservice::DeploymentSpec) {
    if let Some(t) = &d.circuit_breaker.threshold {
        c.range(
            "spec.deployment.circuitBreaker.threshold.value",
            t.value,
            1,
            5000,
        );
    }
    if d.early_success.is_some()
        && d.strategy.unwrap_or_default() != super::fargateservice::DeploymentStrategy::Rolling
    {
        c.fail(
            "spec.deployment.earlySuccess",
            "applies to the Rolling strategy only: remove earlySuccess, or use strategy Rolling",
        );
    }
    if let Some(e) = &d.early_success {
        let field = "spec.deployment.earlySuccess.healthyPercent";
        c.range(field, e.healthy_percent, 0, 100);
        let min = d.minimum_healthy_percent.unwrap_or(100);
        if e.healthy_percent < min {
            c.fail(
                field,
                format!(
                    "{} is below minimumHealthyPercent {min} (default 100): it must be at least minimumHealthyPercent",
                    e.healthy_percent
                ),
            );
        }
    }
}

/// Whether a percent is a multiple of 0.1, as ECS takes canary and linear percents.
fn tenths(value: f64) -> bool {
    let scaled = value * 10.0;
    (scaled - scaled.round()).abs() < 1e-6
}

/// The deployment strategy and what it needs: its bake time, its canary or linear steps,
/// the load balancers' blue/green resources, and the lifecycle hooks.
fn progressive_delivery(c: &mut Check, spec: &FargateServiceSpec) {
    use super::fargateservice::DeploymentStrategy as S;
    let d = spec.deployment.clone().unwrap_or_default();
    let strategy = d.strategy.unwrap_or_default();
    let progressive = strategy != S::Rolling;
    const BAKE: &str = "spec.deployment.bakeTimeMinutes";
    match d.bake_time_minutes {
        None if progressive => c.fail(BAKE, "is required with the BlueGreen, Canary and Linear strategies: how long both revisions run after production traffic moved (0-1440)"),
        Some(_) if !progressive => c.fail(BAKE, "applies to the BlueGreen, Canary and Linear strategies only: set deployment.strategy, or remove bakeTimeMinutes"),
        v => c.opt_range(BAKE, v, 0, 1440),
    }
    if let Some(k) = &d.canary {
        traffic_step(
            c,
            strategy == S::Canary,
            "canary",
            ("percent", k.percent, 0.1),
            ("bakeTimeMinutes", k.bake_time_minutes),
        );
    }
    if let Some(l) = &d.linear {
        traffic_step(
            c,
            strategy == S::Linear,
            "linear",
            ("stepPercent", l.step_percent, 3.0),
            ("stepBakeTimeMinutes", l.step_bake_time_minutes),
        );
    }
    lifecycle_hooks(c, &d.lifecycle_hooks);
    blue_green_load_balancers(c, spec, strategy);
    let rolling = strategy == S::Rolling;
    super::service_connect::validate_strategy(c, spec.service_connect.as_ref(), rolling);
    super::service_connect::validate_lattice_strategy(c, &spec.vpc_lattice, rolling);
}

/// A canary or linear step (`spec.deployment.<block>`): only under its own strategy, its
/// percent from `min` to 100 in steps of 0.1, its bake time 0-1440 minutes (the ECS API
/// reference's `CanaryConfiguration` and `LinearConfiguration`).
fn traffic_step(
    c: &mut Check,
    own_strategy: bool,
    block: &str,
    (percent_field, percent, min): (&str, Option<f64>, f64),
    (bake_field, bake): (&str, Option<i32>),
) {
    let at = format!("spec.deployment.{block}");
    if !own_strategy {
        c.fail(
            &at,
            format!(
                "applies to strategy {} only",
                if block == "canary" {
                    "Canary"
                } else {
                    "Linear"
                }
            ),
        );
    }
    if let Some(p) = percent.filter(|p| !(min..=100.0).contains(p) || !tenths(*p)) {
        c.fail(
            format!("{at}.{percent_field}"),
            format!("{p} is out of range: use {min} to 100 in steps of 0.1"),
        );
    }
    c.opt_range(format!("{at}.{bake_field}"), bake, 0, 1440);
}

/// Each hook's Lambda, role, stages (at least one, each once) and timeout.
fn lifecycle_hooks(c: &mut Check, hooks: &[super::fargateservice::LifecycleHook]) {
    for (i, h) in hooks.iter().enumerate() {
        let at = format!("spec.deployment.lifecycleHooks[{i}]");
        c.pattern(
            format!("{at}.lambdaArn"),
            &h.lambda_arn,
            patterns::LAMBDA_ARN,
            "a Lambda function ARN like arn:aws:lambda:us-east-1:123456789012:function:check",
        );
        c.pattern(
            format!("{at}.roleArn"),
            &h.role_arn,
            patterns::ROLE_ARN,
            "an IAM role ARN",
        );
        if h.stages.is_empty() {
            c.fail(format!("{at}.stages"), "name at least one stage");
        }
        let mut seen = BTreeSet::new();
        for (j, stage) in h.stages.iter().enumerate() {
            if !seen.insert(*stage) {
                c.fail(
                    format!("{at}.stages[{j}]"),
                    format!("{} is listed twice", stage.as_str()),
                );
            }
        }
        c.opt_range(format!("{at}.timeoutMinutes"), h.timeout_minutes, 1, 1440);
        hook_details(c, &at, h.details.as_ref());
    }
}

/// A hook's `details`: at most [`HOOK_DETAILS_MAX_KEYS`] keys (the schema's maxProperties)
/// and [`HOOK_DETAILS_MAX_CHARS`] characters as JSON (which the API server cannot check on
/// a value it keeps as given: refused here, before any AWS call).
fn hook_details(c: &mut Check, at: &str, details: Option<&serde_json::Map<String, Value>>) {
    use super::fargateservice::{HOOK_DETAILS_MAX_CHARS, HOOK_DETAILS_MAX_KEYS};
    let Some(d) = details else { return };
    let at = format!("{at}.details");
    if d.len() > HOOK_DETAILS_MAX_KEYS {
        c.fail(
            &at,
            format!(
                "has {} entries; at most {HOOK_DETAILS_MAX_KEYS} are allowed",
                d.len()
            ),
        );
    }
    let n = serde_json::to_string(d).map_or(0, |s| s.chars().count());
    if n > HOOK_DETAILS_MAX_CHARS {
        c.fail(
            &at,
            format!("is {n} characters long as JSON; at most {HOOK_DETAILS_MAX_CHARS} are allowed"),
        );
    }
}

/// With BlueGreen, Canary or Linear every load balancer has its blue/green resources, and
/// Canary and Linear have a load balancer; without them no load balancer has any.
fn blue_green_load_balancers(
    c: &mut Check,
    spec: &FargateServiceSpec,
    strategy: super::fargateservice::DeploymentStrategy,
) {
    use super::fargateservice::DeploymentStrategy as S;
    let lbs = &spec.load_balancers;
    if strategy != S::Rolling && lbs.iter().any(|lb| lb.advanced.is_none()) {
        c.fail("spec.loadBalancers", "with a BlueGreen, Canary or Linear strategy every load balancer needs advanced (alternateTargetGroupArn, productionListenerRule, roleArn), so ECS can shift traffic between the revisions");
    }
    if strategy == S::Rolling && lbs.iter().any(|lb| lb.advanced.is_some()) {
        c.fail("spec.loadBalancers", "advanced applies to the BlueGreen, Canary and Linear strategies only: set spec.deployment.strategy, or remove advanced");
    }
    if matches!(strategy, S::Canary | S::Linear) && lbs.is_empty() {
        c.fail("spec.loadBalancers", "Canary and Linear deployments shift production traffic through a load balancer: add one (with advanced), or use BlueGreen or Rolling");
    }
    for (i, lb) in lbs.iter().enumerate() {
        let Some(a) = &lb.advanced else { continue };
        let at = format!("spec.loadBalancers[{i}].advanced");
        c.pattern(
            format!("{at}.alternateTargetGroupArn"),
            &a.alternate_target_group_arn,
            patterns::TARGET_GROUP_ARN,
            "a target group ARN",
        );
        if a.alternate_target_group_arn == lb.target_group_arn {
            c.fail(format!("{at}.alternateTargetGroupArn"), "must differ from targetGroupArn: the new revision registers with the alternate target group while traffic shifts");
        }
        c.pattern(
            format!("{at}.productionListenerRule"),
            &a.production_listener_rule,
            patterns::LISTENER_RULE_ARN,
            "a listener rule (ALB) or listener (NLB) ARN",
        );
        if let Some(t) = &a.test_listener_rule {
            c.pattern(
                format!("{at}.testListenerRule"),
                t,
                patterns::LISTENER_RULE_ARN,
                "a listener rule (ALB) or listener (NLB) ARN",
            );
        }
        c.pattern(
            format!("{at}.roleArn"),
            &a.role_arn,
            patterns::ROLE_ARN,
            "an IAM role ARN",
        );
    }
}

/// The FARGATE / FARGATE_SPOT strategy, the platform version and the service registries.
fn capacity_and_placement(c: &mut Check, spec: &FargateServiceSpec) {
    capacity(
        c,
        "spec.capacityProviderStrategy",
        &spec.capacity_provider_strategy,
        spec.platform_version.as_deref(),
    );
    vpc_lattice(c, spec);
    if let Some(sc) = &spec.service_connect {
        super::service_connect::validate(c, sc);
    }
    super::service_connect::validate_cluster(c, &spec.cluster);
    for (i, r) in spec.service_registries.iter().enumerate() {
        c.pattern(
            format!("spec.serviceRegistries[{i}].registryArn"),
            &r.registry_arn,
            patterns::SERVICE_REGISTRY_ARN,
            "a Cloud Map service ARN like arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abc123",
        );
    }
}

/// The capacity-provider strategy and platform version (a service's or a task's).
fn capacity(
    c: &mut Check,
    at: &str,
    cps: &[super::fargateservice::CapacityProviderStrategyItem],
    platform_version: Option<&str>,
) {
    let mut providers = BTreeSet::new();
    for (i, item) in cps.iter().enumerate() {
        if !providers.insert(item.capacity_provider) {
            c.fail(
                format!("{at}[{i}].capacityProvider"),
                format!(
                    "{} appears twice: each capacity provider may appear once",
                    item.capacity_provider.as_str()
                ),
            );
        }
    }
    if cps.iter().filter(|i| i.base.unwrap_or(0) > 0).count() > 1 {
        c.fail(at, "only one capacity provider may have a base");
    }
    if !cps.is_empty() && !cps.iter().any(|i| i.weight.unwrap_or(1) > 0) {
        c.fail(at, "at least one capacity provider needs a weight above 0");
    }
    for (i, item) in cps.iter().enumerate() {
        c.opt_range(format!("{at}[{i}].base"), item.base, 0, 100000);
        c.opt_range(format!("{at}[{i}].weight"), item.weight, 0, 1000);
    }
    if let Some(p) = platform_version {
        c.pattern(
            "spec.platformVersion",
            p,
            patterns::PLATFORM_VERSION,
            "LATEST or a version like 1.4.0",
        );
    }
}

/// VPC Lattice target groups: ARNs, port names, each target group once.
fn vpc_lattice(c: &mut Check, spec: &FargateServiceSpec) {
    let mut seen = BTreeSet::new();
    for (i, l) in spec.vpc_lattice.iter().enumerate() {
        let at = format!("spec.vpcLattice[{i}]");
        c.pattern(
            format!("{at}.roleArn"),
            &l.role_arn,
            patterns::ROLE_ARN,
            "an IAM role ARN like arn:aws:iam::123456789012:role/ecsInfrastructureRole",
        );
        c.pattern(
            format!("{at}.targetGroupArn"),
            &l.target_group_arn,
            patterns::LATTICE_TARGET_GROUP_ARN,
            "a VPC Lattice target group ARN like arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0",
        );
        c.pattern(
            format!("{at}.portName"),
            &l.port_name,
            patterns::PORT_NAME,
            "the name of a port mapping of the task definition",
        );
        if !seen.insert(l.target_group_arn.as_str()) {
            c.fail(
                format!("{at}.targetGroupArn"),
                "names a target group twice: each target group may appear once",
            );
        }
        if let Some(a) = &l.advanced {
            super::service_connect::validate_lattice_advanced(c, &at, l, a);
        }
    }
}

/// Autoscaling: capacity bounds, target tracking and schedules.
fn scaling(c: &mut Check, spec: &FargateServiceSpec, s: &ScalingSpec) {
    c.range("spec.scaling.minCapacity", s.min_capacity, 0, 5000);
    c.range("spec.scaling.maxCapacity", s.max_capacity, 1, 5000);
    if s.min_capacity > s.max_capacity {
        c.fail(
            "spec.scaling.minCapacity",
            format!(
                "{} exceeds maxCapacity {}: minCapacity must not exceed maxCapacity",
                s.min_capacity, s.max_capacity
            ),
        );
    }
    c.opt_range(
        "spec.scaling.targetCpuUtilization",
        s.target_cpu_utilization,
        1,
        100,
    );
    c.opt_range(
        "spec.scaling.targetMemoryUtilization",
        s.target_memory_utilization,
        1,
        100,
    );
    c.opt_range(
        "spec.scaling.scaleInCooldownSeconds",
        s.scale_in_cooldown_seconds,
        0,
        86400,
    );
    c.opt_range(
        "spec.scaling.scaleOutCooldownSeconds",
        s.scale_out_cooldown_seconds,
        0,
        86400,
    );
    if let Some(r) = &s.requests_per_target {
        c.range(
            "spec.scaling.requestsPerTarget.value",
            r.value,
            1,
            1_000_000,
        );
        let valid = matches(patterns::TARGET_GROUP_ARN, &r.target_group_arn);
        if !valid {
            c.pattern(
                "spec.scaling.requestsPerTarget.targetGroupArn",
                &r.target_group_arn,
                patterns::TARGET_GROUP_ARN,
                "a target group ARN",
            );
        } else if !spec
            .load_balancers
            .iter()
            .any(|lb| lb.target_group_arn == r.target_group_arn)
        {
            c.fail(
                "spec.scaling.requestsPerTarget.targetGroupArn",
                "must be one of spec.loadBalancers[].targetGroupArn",
            );
        }
    }
    schedules(c, s);
}

/// Scheduled capacity changes: names unique, expressions and bounds valid.
fn schedules(c: &mut Check, s: &ScalingSpec) {
    let mut names = BTreeSet::new();
    for (i, sc) in s.schedules.iter().enumerate() {
        let at = format!("spec.scaling.schedules[{i}]");
        if !names.insert(sc.name.as_str()) {
            c.fail(
                format!("{at}.name"),
                format!(
                    "schedule name {:?} is used twice: names must be unique",
                    sc.name
                ),
            );
        }
        c.pattern(
            format!("{at}.name"),
            &sc.name,
            patterns::SCHEDULE_NAME,
            "1-200 letters, digits, - or _",
        );
        c.pattern(
            format!("{at}.schedule"),
            &sc.schedule,
            patterns::SCHEDULE,
            "cron(...), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss)",
        );
        c.opt_range(format!("{at}.minCapacity"), sc.min_capacity, 0, 5000);
        c.opt_range(format!("{at}.maxCapacity"), sc.max_capacity, 0, 5000);
        if let (Some(lo), Some(hi)) = (sc.min_capacity, sc.max_capacity) {
            if lo > hi {
                c.fail(format!("{at}.minCapacity"), "must not exceed maxCapacity");
            }
        }
        if let Some(tz) = &sc.timezone {
            if tz.is_empty() {
                c.fail(format!("{at}.timezone"), "must be an IANA time zone name");
            }
        }
    }
}

/// Checks the immutable fields of a FargateService against its previous spec.
pub fn validate_fargate_service_update(
    old: &FargateServiceSpec,
    new: &FargateServiceSpec,
) -> Result<(), ValidationErrors> {
    let mut c = Check::default();
    if old.service_name != new.service_name {
        c.fail(
            "spec.serviceName",
            "is immutable: ECS cannot rename a service; create a new FargateService instead",
        );
    }
    if old.cluster.name != new.cluster.name {
        c.fail(
            "spec.cluster.name",
            "is immutable: ECS cannot move a service between clusters; create a new FargateService instead",
        );
    }
    c.done()
}

// ---- FargateTask ----

/// ECS's limit on a RunTask's `overrides`: 8192 characters of JSON in all (API reference,
/// `RunTask.overrides`). The schema cannot express it; this is checked before RunTask.
pub const OVERRIDES_MAX_CHARS: usize = 8192;

/// Validates a FargateTask spec (schema + CEL rules, in Rust, and the overrides' size).
pub fn validate_fargate_task(
    spec: &super::fargatetask::FargateTaskSpec,
) -> Result<(), ValidationErrors> {
    let mut c = Check::default();
    c.spec_bounds(&FARGATE_TASK_SPEC, spec);
    if spec.cluster.container_insights.is_some() || spec.cluster.service_connect_defaults.is_some()
    {
        c.fail(
            "spec.cluster",
            "a FargateTask runs in an existing cluster and never changes it: containerInsights \
             and serviceConnectDefaults belong on a FargateService",
        );
    }
    c.pattern(
        "spec.cluster.name",
        &spec.cluster.name,
        patterns::ECS_NAME,
        "1-255 letters, digits, - or _",
    );
    task_definition_source(
        &mut c,
        spec.task_definition_ref.as_ref().map(|r| r.name.as_str()),
        spec.task_definition_arn.as_deref(),
    );
    c.range("spec.count", spec.count, 1, super::fargatetask::MAX_COUNT);
    c.range("spec.backoffLimit", spec.backoff_limit, 0, 100);
    if let Some(d) = spec.active_deadline_seconds {
        if !(1..=604_800).contains(&d) {
            c.fail(
                "spec.activeDeadlineSeconds",
                format!("{d} is out of range: use 1 to 604800"),
            );
        }
    }
    if let Some(t) = spec.ttl_seconds_after_finished {
        if !(0..=2_592_000).contains(&t) {
            c.fail(
                "spec.ttlSecondsAfterFinished",
                format!("{t} is out of range: use 0 to 2592000"),
            );
        }
    }
    network(&mut c, "spec.network", &spec.network);
    capacity(
        &mut c,
        "spec.capacityProviderStrategy",
        &spec.capacity_provider_strategy,
        spec.platform_version.as_deref(),
    );
    c.reserved_tags(spec.tags.keys());
    if let Some(o) = &spec.overrides {
        task_overrides(&mut c, "spec.overrides", o);
    }
    super::schedule::validate(&mut c, spec);
    c.done()
}

/// The overrides: a task size given whole and valid, each container once, ECS's size limit.
fn task_overrides(c: &mut Check, at: &str, o: &super::fargatetask::TaskOverrides) {
    match (o.cpu, o.memory) {
        (Some(cpu), Some(memory)) if !fargate_size_valid(cpu, memory) => c.fail(
            format!("{at}.memory"),
            format!("cpu {cpu} with memory {memory} MiB is not a valid Fargate size"),
        ),
        (Some(_), None) | (None, Some(_)) => c.fail(
            format!("{at}.memory"),
            "overrides: set cpu and memory together (a valid Fargate size), or neither",
        ),
        _ => {}
    }
    let mut names = BTreeSet::new();
    for (i, k) in o.containers.iter().enumerate() {
        let at = format!("{at}.containers[{i}]");
        c.pattern(
            format!("{at}.name"),
            &k.name,
            patterns::ECS_NAME,
            "a container name",
        );
        if !names.insert(&k.name) {
            c.fail(format!("{at}.name"), format!("{:?} appears twice", k.name));
        }
        c.opt_range(format!("{at}.cpu"), k.cpu, 0, 16384);
        c.opt_range(format!("{at}.memory"), k.memory, 6, 122_880);
    }
    let size = serde_json::to_string(o).map_or(0, |j| j.chars().count());
    if size > OVERRIDES_MAX_CHARS {
        c.fail(
            at,
            format!("is {size} characters of JSON; ECS takes at most {OVERRIDES_MAX_CHARS} for a run's overrides"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_matrix_edges() {
        assert!(fargate_size_valid(256, 512));
        assert!(!fargate_size_valid(256, 3072));
        assert!(fargate_size_valid(512, 4096));
        assert!(!fargate_size_valid(512, 5120));
        assert!(fargate_size_valid(4096, 30720));
        assert!(!fargate_size_valid(4096, 31744));
        assert!(fargate_size_valid(8192, 20480));
        assert!(!fargate_size_valid(8192, 17408));
        assert!(fargate_size_valid(16384, 122880));
        assert!(!fargate_size_valid(16384, 36864));
        assert!(!fargate_size_valid(300, 1024));
    }

    #[test]
    fn container_sums_do_not_overflow() {
        let spec: TaskDefinitionSpec = serde_json::from_value(serde_json::json!({
            "cpu": 256, "memory": 512,
            "containers": [
                {"name": "a", "image": "a:1", "cpu": i32::MAX, "memory": i32::MAX},
                {"name": "b", "image": "b:1", "cpu": i32::MAX, "memory": i32::MAX},
            ],
        }))
        .unwrap();
        let errors = validate_task_definition(&spec).unwrap_err().0;
        let sums: Vec<&str> = errors
            .iter()
            .filter(|e| e.field == "spec.containers")
            .map(|e| e.message.as_str())
            .collect();
        assert!(
            sums.iter().any(|m| m.contains("adds up to 4294967294")),
            "{sums:?}"
        );
    }

    /// Rust-only (too costly as CEL): no port mapped twice in the task per protocol, by a
    /// port or a range, in one container or across them.
    #[test]
    fn overlapping_ports_and_ranges_are_refused() {
        let errors = |mappings: serde_json::Value| {
            let spec: TaskDefinitionSpec = serde_json::from_value(serde_json::json!({
                "cpu": 256, "memory": 512,
                "containers": [
                    {"name": "a", "image": "a:1", "portMappings": mappings[0]},
                    {"name": "b", "image": "b:1", "portMappings": mappings[1]},
                ],
            }))
            .unwrap();
            validate_task_definition(&spec)
                .err()
                .map(|e| e.0.into_iter().map(|e| e.field).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        use serde_json::json;
        let range = |r: &str| json!({"containerPortRange": r});
        // Apart, or on another protocol: fine.
        assert_eq!(
            errors(json!([[range("8000-8099")], [range("8100-8199"), {"containerPort": 8200}]])),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(
                json!([[range("8000-8099")], [{"containerPortRange": "8000-8099", "protocol": "udp"}]])
            ),
            Vec::<String>::new()
        );
        // A port inside a range of another container; two ranges sharing their ends.
        assert_eq!(
            errors(json!([[range("8000-8099")], [{"containerPort": 8050}]])),
            ["spec.containers[1].portMappings[0].containerPort"]
        );
        assert_eq!(
            errors(json!([[range("8000-8099"), range("8099-8200")], []])),
            ["spec.containers[0].portMappings[1].containerPortRange"]
        );
        // The same single port twice, as before.
        assert_eq!(
            errors(json!([[{"containerPort": 80}], [{"containerPort": 80}]])),
            ["spec.containers[1].portMappings[0].containerPort"]
        );
    }

    #[test]
    fn every_pattern_compiles() {
        for p in patterns::ALL {
            assert!(REGEXES.contains_key(p), "{p}");
        }
        assert!(matches(patterns::SUBNET_ID, "subnet-0123456789abcdef0"));
        assert!(!matches(patterns::SUBNET_ID, "subnet-xyz"));
        for ok in ["1-2", "8000-8099", "65534-65535"] {
            assert!(matches(patterns::PORT_RANGE, ok), "{ok}");
        }
        for bad in [
            "0-5",
            "8000",
            "8000-65536",
            "80-99999",
            "a-b",
            "8000 - 8099",
        ] {
            assert!(!matches(patterns::PORT_RANGE, bad), "{bad}");
        }
    }
}

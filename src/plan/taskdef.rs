//! Planning a TaskDefinition: log groups → roles → revision registration → old revisions.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::{conflict, hash_json, Action, Note, Plan, PlanConfig, PlanError};
use crate::api::images::{mutable_reason, ImageTagPolicy};
/// Which of a task's two roles (defined with the role names in [`crate::api::names`]).
pub use crate::api::names::RoleKind;
use crate::api::names::{family, log_group_name, role_name, Owner, Ownership};
use crate::api::taskdefinition::{Container, RoleSpec, TaskDefinitionSpec};
use crate::api::validation::{validate_task_definition, FieldError, ValidationErrors};
use crate::api::{reasons, GENERATION_TAG, SPEC_HASH_TAG};

/// What the TaskDefinition planner reads.
#[derive(Clone, Copy, Debug)]
pub struct TaskDefinitionInputs<'a> {
    pub owner: &'a Owner,
    pub spec: &'a TaskDefinitionSpec,
}

/// A managed role as it should be.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredRole {
    pub name: String,
    pub kind: RoleKind,
    pub trust_policy: serde_json::Value,
    pub permissions_boundary: Option<String>,
    pub attached_policies: BTreeSet<String>,
    pub inline_policies: BTreeMap<String, serde_json::Value>,
}

/// A log group as it should be.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredLogGroup {
    pub create: bool,
    pub retention_days: Option<i32>,
}

/// Everything a TaskDefinition should have in AWS.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredTaskDefinition {
    pub body: TaskDefBody,
    pub log_groups: BTreeMap<String, DesiredLogGroup>,
    pub roles: Vec<DesiredRole>,
    /// Tags of each revision (ownership, spec hash and the user's).
    pub tags: Tags,
    pub spec_hash: String,
    pub notes: Vec<Note>,
}

/// The trust policy of a task's managed roles: only ECS tasks may assume them.
pub fn ecs_tasks_trust_policy() -> serde_json::Value {
    service_trust_policy("ecs-tasks.amazonaws.com")
}

/// A trust policy that lets only the AWS service `principal` assume the role.
pub fn service_trust_policy(principal: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": principal},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// `aws`, `aws-cn` or `aws-us-gov` for a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The inline policy name the operator puts on execution roles.
pub const EXECUTION_INLINE_POLICY: &str = "fargate-operator-execution";
/// The inline policy name for a user-supplied `managed.policy`.
pub const USER_INLINE_POLICY: &str = "fargate-operator-user";

fn container_def(
    c: &Container,
    family: &str,
    region: &str,
) -> (ContainerDef, Option<(String, DesiredLogGroup)>) {
    let (log_configuration, log_group) = container_logging(c, family, region);
    let basics = ContainerDef {
        name: c.name.clone(),
        image: c.image.clone(),
        cpu: c.cpu,
        memory: c.memory,
        memory_reservation: c.memory_reservation,
        essential: Some(c.essential),
        command: c.command.clone(),
        entry_point: c.entry_point.clone(),
        working_directory: c.working_directory.clone(),
        user: c.user.clone(),
        environment: c
            .environment
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect(),
        secrets: c
            .secrets
            .iter()
            .map(|s| (s.name.clone(), s.value_from.clone()))
            .collect(),
        port_mappings: port_mapping_defs(c),
        health_check: c.health_check.as_ref().map(|h| HealthCheckDef {
            command: h.command.clone(),
            interval: h.interval_seconds,
            timeout: h.timeout_seconds,
            retries: h.retries,
            start_period: h.start_period_seconds,
        }),
        log_configuration: Some(log_configuration),
        depends_on: c
            .depends_on
            .iter()
            .map(|d| (d.container_name.clone(), d.condition.as_str().to_owned()))
            .collect(),
        readonly_root_filesystem: c.readonly_root_filesystem,
        ulimits: c
            .ulimits
            .iter()
            .map(|u| (u.name.clone(), u.soft_limit, u.hard_limit))
            .collect(),
        init_process_enabled: c
            .linux_parameters
            .as_ref()
            .and_then(|l| l.init_process_enabled),
        mount_points: c
            .mount_points
            .iter()
            .map(|m| MountPointDef {
                source_volume: m.source_volume.clone(),
                container_path: m.container_path.clone(),
                read_only: m.read_only,
            })
            .collect(),
        ..ContainerDef::default()
    };
    (with_newer_fields(basics, c), log_group)
}

/// `def` with the container fields added for issue 19, as the spec gives them.
fn with_newer_fields(def: ContainerDef, c: &Container) -> ContainerDef {
    let capabilities = c
        .linux_parameters
        .as_ref()
        .and_then(|l| l.capabilities.clone())
        .unwrap_or_default();
    ContainerDef {
        repository_credentials: c
            .repository_credentials
            .as_ref()
            .map(|r| r.credentials_parameter.clone()),
        restart_policy: c.restart_policy.as_ref().map(|r| RestartPolicyDef {
            enabled: r.enabled,
            ignored_exit_codes: r.ignored_exit_codes.clone(),
            restart_attempt_period: r.restart_attempt_period_seconds,
        }),
        environment_files: c
            .environment_files
            .iter()
            .map(|f| f.value.clone())
            .collect(),
        volumes_from: c
            .volumes_from
            .iter()
            .map(|v| (v.source_container.clone(), v.read_only))
            .collect(),
        start_timeout: c.start_timeout_seconds,
        stop_timeout: c.stop_timeout_seconds,
        version_consistency: c.version_consistency.map(|v| v.as_str().to_owned()),
        interactive: c.interactive,
        pseudo_terminal: c.pseudo_terminal,
        docker_labels: c.docker_labels.clone(),
        system_controls: c
            .system_controls
            .iter()
            .map(|s| (s.namespace.clone(), s.value.clone()))
            .collect(),
        credential_specs: c.credential_specs.clone(),
        firelens_configuration: c.firelens_configuration.as_ref().map(|f| FirelensDef {
            router_type: f.router_type.as_str().to_owned(),
            options: f.options.clone(),
        }),
        capabilities_add: capabilities
            .add
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        capabilities_drop: capabilities
            .drop
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect(),
        ..def
    }
}

/// A container's port mappings with the values AWS fills in on Fargate (host port = container
/// port, protocol `tcp`; a range has no host port of its own), so an unchanged spec compares
/// equal to what AWS returns.
fn port_mapping_defs(c: &Container) -> Vec<PortMappingDef> {
    c.port_mappings
        .iter()
        .map(|p| PortMappingDef {
            container_port: p.container_port,
            host_port: p.container_port,
            protocol: Some(p.protocol.map_or("tcp", |p| p.as_str()).to_owned()),
            name: p.name.clone(),
            app_protocol: p.app_protocol.map(|a| a.as_str().to_owned()),
            container_port_range: p.container_port_range.clone(),
        })
        .collect()
}

/// A container's log configuration, and for awslogs the log group it writes to (by name):
/// its `logging`, else awslogs to `/ecs/<family>` with the container's name as stream prefix,
/// created by the operator. `mode`, `maxBufferSize` and `options` are passed on for every
/// driver; group, region and stream prefix are the operator's for awslogs.
fn container_logging(
    c: &Container,
    family: &str,
    region: &str,
) -> (LogConfigDef, Option<(String, DesiredLogGroup)>) {
    let logging = c.logging.as_ref();
    let driver = logging.and_then(|l| l.driver).unwrap_or_default();
    let mut options = logging.map(|l| l.options.clone()).unwrap_or_default();
    if let Some(mode) = logging.and_then(|l| l.mode) {
        options.insert("mode".to_owned(), mode.as_str().to_owned());
    }
    if let Some(size) = logging.and_then(|l| l.max_buffer_size.clone()) {
        options.insert("max-buffer-size".to_owned(), size);
    }
    let log_group = log_group_name(family, logging).map(|group| {
        let prefix = logging
            .and_then(|l| l.stream_prefix.clone())
            .unwrap_or_else(|| c.name.clone());
        options.insert("awslogs-group".to_owned(), group.clone());
        options.insert("awslogs-region".to_owned(), region.to_owned());
        options.insert("awslogs-stream-prefix".to_owned(), prefix);
        let desired = DesiredLogGroup {
            create: logging.is_none_or(|l| l.create_group),
            retention_days: logging.and_then(|l| l.retention_days),
        };
        (group, desired)
    });
    let config = LogConfigDef {
        log_driver: driver.as_str().to_owned(),
        options,
        secret_options: logging
            .map(|l| {
                l.secret_options
                    .iter()
                    .map(|s| (s.name.clone(), s.value_from.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    (config, log_group)
}

fn execution_policy(
    body: &TaskDefBody,
    log_groups: &BTreeSet<String>,
    region: &str,
) -> Option<serde_json::Value> {
    let part = partition(region);
    let mut secrets = BTreeSet::new();
    let mut params = BTreeSet::new();
    for arn in body.secret_arns() {
        if arn.contains(":secretsmanager:") {
            // A JSON-key reference (`...:secret:name-AbCdEf:key::`) reads the whole secret.
            let base: Vec<&str> = arn.split(':').take(7).collect();
            secrets.insert(base.join(":"));
        } else {
            params.insert(arn);
        }
    }
    let mut statements = vec![];
    if !secrets.is_empty() {
        statements.push(json!({
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": secrets,
        }));
    }
    if !params.is_empty() {
        statements.push(json!({
            "Sid": "ReadParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameters"],
            "Resource": params,
        }));
    }
    statements.extend(s3_read_statements(&body.s3_object_arns()));
    if !log_groups.is_empty() {
        let resources: Vec<String> = log_groups
            .iter()
            .map(|g| format!("arn:{part}:logs:{region}:*:log-group:{g}:*"))
            .collect();
        statements.push(json!({
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": resources,
        }));
    }
    (!statements.is_empty()).then(|| json!({"Version": "2012-10-17", "Statement": statements}))
}

/// The execution role's grants on the S3 objects ECS reads at task start (environment
/// files, credential specs): `s3:GetObject` on exactly those objects and
/// `s3:GetBucketLocation` on their buckets, as the ECS developer guide asks for.
fn s3_read_statements(objects: &BTreeSet<String>) -> Vec<serde_json::Value> {
    if objects.is_empty() {
        return vec![];
    }
    let buckets: BTreeSet<&str> = objects
        .iter()
        .filter_map(|arn| arn.split_once('/').map(|(bucket, _)| bucket))
        .collect();
    vec![
        json!({
            "Sid": "ReadS3Objects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": objects,
        }),
        json!({
            "Sid": "LocateS3Buckets",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": buckets,
        }),
    ]
}

fn role_ref(
    owner: &Owner,
    kind: RoleKind,
    spec: Option<&RoleSpec>,
) -> Option<(RoleRef, Option<crate::api::taskdefinition::ManagedRole>)> {
    match (kind, spec) {
        (_, Some(RoleSpec { arn: Some(arn), .. })) => Some((RoleRef::Arn(arn.clone()), None)),
        (
            _,
            Some(RoleSpec {
                managed: Some(m), ..
            }),
        ) => Some((RoleRef::Managed(role_name(owner, kind)), Some(m.clone()))),
        (RoleKind::Execution, _) => Some((
            RoleRef::Managed(role_name(owner, kind)),
            Some(Default::default()),
        )),
        (RoleKind::Task | RoleKind::Infrastructure | RoleKind::Scheduler, _) => None,
    }
}

/// Builds the desired AWS state of a TaskDefinition, enforcing validation, the image-tag
/// policy and the role allowlist.
pub fn desired(
    inputs: TaskDefinitionInputs<'_>,
    config: &PlanConfig,
) -> Result<DesiredTaskDefinition, PlanError> {
    let TaskDefinitionInputs { owner, spec } = inputs;
    validate_task_definition(spec)?;
    owner.validate_family(spec)?;
    let (tenant, floor) = (config.tenant.as_ref(), &config.floor);
    super::tenant::check_task_definition(spec, tenant, floor, &owner.namespace)
        .map_err(PlanError::NotAllowed)?;
    let notes = image_tag_notes(spec, config.image_tag_policy)?;

    let family = family(owner, spec);
    let mut containers = vec![];
    let mut log_groups = BTreeMap::new();
    for c in &spec.containers {
        let (def, group) = container_def(c, &family, &config.region);
        if let Some((name, lg)) = group {
            log_groups.entry(name).or_insert(lg);
        }
        containers.push(def);
    }
    let exec = role_ref(owner, RoleKind::Execution, spec.execution_role.as_ref());
    let task = role_ref(owner, RoleKind::Task, spec.task_role.as_ref());
    let platform = spec.runtime_platform.clone().unwrap_or_default();
    let body = TaskDefBody {
        family: family.clone(),
        cpu: spec.cpu.to_string(),
        memory: spec.memory.to_string(),
        cpu_architecture: Some(platform.cpu_architecture.as_str().to_owned()),
        operating_system_family: Some("LINUX".into()),
        ephemeral_storage_gib: spec.ephemeral_storage_gib,
        execution_role: exec.as_ref().map(|(r, _)| r.clone()),
        task_role: task.as_ref().map(|(r, _)| r.clone()),
        containers,
        volumes: spec.volumes.iter().map(volume_def).collect(),
        pid_mode: spec.pid_mode.map(|p| p.as_str().to_owned()),
        enable_fault_injection: spec.enable_fault_injection,
    };

    let mut roles = vec![];
    for (kind, field, r) in [
        (RoleKind::Execution, "spec.executionRole", exec),
        (RoleKind::Task, "spec.taskRole", task),
    ] {
        let Some((RoleRef::Managed(name), Some(managed))) = r else {
            continue;
        };
        let role = ManagedRoleInputs {
            name,
            kind,
            field,
            managed: &managed,
        };
        roles.push(desired_role(role, &body, &log_groups, config)?);
    }

    check_sizes(&body, &roles)?;

    let spec_hash = hash_json(&body.normalized())[..16].to_owned();
    let mut tags = spec.tags.clone();
    tags.extend(owner.tags());
    tags.insert(SPEC_HASH_TAG.to_owned(), spec_hash.clone());
    tags.insert(GENERATION_TAG.to_owned(), owner.generation.to_string());
    Ok(DesiredTaskDefinition {
        body,
        log_groups,
        roles,
        tags,
        spec_hash,
        notes,
    })
}

/// What the image-tag policy says of the containers' images: a note per mutable tag
/// (`warn`), an invalid spec naming each (`deny`), or nothing (`allow`).
fn image_tag_notes(
    spec: &TaskDefinitionSpec,
    policy: ImageTagPolicy,
) -> Result<Vec<Note>, PlanError> {
    let mut notes = vec![];
    let mut denied = vec![];
    for (i, c) in spec.containers.iter().enumerate() {
        if let Some(why) = mutable_reason(&c.image) {
            match policy {
                ImageTagPolicy::Allow => {}
                ImageTagPolicy::Warn => notes.push(Note {
                    reason: reasons::MUTABLE_IMAGE_TAG,
                    message: format!("spec.containers[{i}].image: {why}"),
                }),
                ImageTagPolicy::Deny => denied.push(FieldError {
                    field: format!("spec.containers[{i}].image"),
                    message: format!("{why} (the operator runs with --image-tag-policy=deny)"),
                }),
            }
        }
    }
    if denied.is_empty() {
        Ok(notes)
    } else {
        Err(ValidationErrors(denied).into())
    }
}

/// A volume as ECS stores it: an EFS volume with an access point or IAM authorisation needs
/// transit encryption, which ECS turns on for it when the spec does not say.
fn volume_def(v: &crate::api::taskdefinition::Volume) -> VolumeDef {
    VolumeDef {
        name: v.name.clone(),
        efs: v.efs.as_ref().map(|e| {
            let needs_tls = e.access_point_id.is_some()
                || e.iam == Some(crate::api::taskdefinition::Toggle::Enabled);
            EfsDef {
                file_system_id: e.file_system_id.clone(),
                root_directory: e.root_directory.clone(),
                transit_encryption: e
                    .transit_encryption
                    .map(|t| t.as_str().to_owned())
                    .or_else(|| needs_tls.then(|| "ENABLED".to_owned())),
                access_point_id: e.access_point_id.clone(),
                iam: e.iam.map(|t| t.as_str().to_owned()),
                transit_encryption_port: e.transit_encryption_port,
            }
        }),
        s3files: v.s3files.as_ref().map(|s| S3FilesDef {
            file_system_arn: s.file_system_arn.clone(),
            root_directory: s.root_directory.clone(),
            transit_encryption_port: s.transit_encryption_port,
            access_point_arn: s.access_point_arn.clone(),
        }),
        configured_at_launch: v.configured_at_launch,
    }
}

/// A managed role the spec asks for: its name, which of the two it is, the spec field that
/// asks (for errors) and what it asks.
struct ManagedRoleInputs<'a> {
    name: String,
    kind: RoleKind,
    field: &'static str,
    managed: &'a crate::api::taskdefinition::ManagedRole,
}

/// A managed role as it should be: AWS's execution policy (execution role), the attached
/// policies the operator's allowlist permits, the execution role's inline policy for its
/// secrets and log groups, and the user's inline policy when the operator allows one.
fn desired_role(
    role: ManagedRoleInputs<'_>,
    body: &TaskDefBody,
    log_groups: &BTreeMap<String, DesiredLogGroup>,
    config: &PlanConfig,
) -> Result<DesiredRole, PlanError> {
    let ManagedRoleInputs {
        name,
        kind,
        field,
        managed,
    } = role;
    let mut attached = BTreeSet::new();
    if kind == RoleKind::Execution {
        attached.insert(super::ECS_EXECUTION_POLICY_ARN.to_owned());
    }
    for (i, arn) in managed.policy_arns.iter().enumerate() {
        let builtin = kind == RoleKind::Execution && arn == super::ECS_EXECUTION_POLICY_ARN;
        if !builtin && !config.allowed_policy_arns.contains(arn) {
            return Err(PlanError::PolicyNotAllowed {
                field: format!("{field}.managed.policyArns[{i}]"),
                message: format!(
                    "{arn} is not in the operator's allowlist (--allowed-policy-arns); ask the operator's admin to allow it, or use a role you create yourself via {field}.arn"
                ),
            });
        }
        attached.insert(arn.clone());
    }
    let mut inline = BTreeMap::new();
    if kind == RoleKind::Execution {
        let groups: BTreeSet<String> = log_groups.keys().cloned().collect();
        if let Some(p) = execution_policy(body, &groups, &config.region) {
            inline.insert(EXECUTION_INLINE_POLICY.to_owned(), p);
        }
    }
    if kind == RoleKind::Task {
        // Operator-written and least privilege, as the execution role's.
        if let Some(p) = super::s3files::task_policy(body) {
            inline.insert(super::s3files::S3FILES_INLINE_POLICY.to_owned(), p);
        }
    }
    if let Some(doc) = &managed.policy {
        if config.permissions_boundary.is_none() && !config.allow_inline_policies {
            return Err(PlanError::PolicyNotAllowed {
                field: format!("{field}.managed.policy"),
                message: "inline policies on managed roles need a permissions boundary (--role-permissions-boundary) or --allow-inline-policies on the operator; otherwise any user who can create a TaskDefinition could mint an administrator role".into(),
            });
        }
        inline.insert(USER_INLINE_POLICY.to_owned(), doc.clone());
    }
    Ok(DesiredRole {
        name,
        kind,
        trust_policy: ecs_tasks_trust_policy(),
        permissions_boundary: config.permissions_boundary.clone(),
        attached_policies: attached,
        inline_policies: inline,
    })
}

/// ECS's limit on a task definition: 64 KiB.
pub const TASK_DEFINITION_MAX_BYTES: usize = 64 * 1024;
/// IAM's limit on all inline policies of one role together, whitespace not counted.
pub const ROLE_INLINE_POLICIES_MAX_CHARS: usize = 10_240;

/// Refuses, before any AWS call, a revision ECS would refuse for its size and a managed role
/// IAM would refuse for its inline policies' size, naming what makes them large. The revision
/// is measured as the JSON of its body (the ECS field names and values RegisterTaskDefinition
/// carries); a policy as compact JSON, as IAM counts it.
fn check_sizes(body: &TaskDefBody, roles: &[DesiredRole]) -> Result<(), PlanError> {
    let mut errors = vec![];
    let bytes = serde_json::to_vec(body).map_or(0, |v| v.len());
    if bytes > TASK_DEFINITION_MAX_BYTES {
        errors.push(FieldError {
            field: "spec.containers".into(),
            message: format!(
                "the task definition comes to {bytes} bytes; ECS allows {TASK_DEFINITION_MAX_BYTES} (64 KiB): move large values (environment, command) into secrets, files or the image"
            ),
        });
    }
    for role in roles {
        let chars: usize = role
            .inline_policies
            .values()
            .map(|p| serde_json::to_string(p).map_or(0, |s| s.chars().count()))
            .sum();
        if chars <= ROLE_INLINE_POLICIES_MAX_CHARS {
            continue;
        }
        let (field, hint) = match role.kind {
            RoleKind::Execution => (
                "spec.executionRole",
                "the managed execution role may read exactly the ARNs in spec.containers[].secrets (and write the log groups): use fewer secrets (one JSON secret with several keys, or an SSM path), or give a role of your own in spec.executionRole.arn",
            ),
            RoleKind::Task | RoleKind::Infrastructure | RoleKind::Scheduler => (
                "spec.taskRole",
                "shorten spec.taskRole.managed.policy, attach managed policies instead (managed.policyArns), or give a role of your own in spec.taskRole.arn",
            ),
        };
        errors.push(FieldError {
            field: field.into(),
            message: format!(
                "the managed role {}'s inline policies come to {chars} characters; IAM allows {ROLE_INLINE_POLICIES_MAX_CHARS} per role: {hint}",
                role.name
            ),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(errors).into())
    }
}

/// A managed role: created with its policies when missing, refused when not this object's
/// (`hint`: how to get out of the conflict), else brought in line with what it should be.
pub(crate) fn plan_role(
    role: &DesiredRole,
    observed: Option<&ObservedRole>,
    owner: &Owner,
    hint: &str,
    actions: &mut Vec<Action>,
) -> Result<(), PlanError> {
    let Some(obs) = observed else {
        create_role(role, owner, actions);
        return Ok(());
    };
    let ownership = owner.ownership(&obs.tags);
    let resource = || format!("IAM role {}", role.name);
    match ownership {
        Ownership::Owned => {}
        // Left by an earlier object of this name (Retain, a restore from backup) or made by
        // hand under the operator's path: taken over as the annotation asks, once.
        Ownership::PreviousIncarnation | Ownership::Unmanaged if owner.adopt => {
            actions.push(Action::TagRole {
                role: role.name.clone(),
                tags: owner.tags(),
            });
        }
        Ownership::PreviousIncarnation | Ownership::Unmanaged
            if owner.adopt_forbidden.is_some() =>
        {
            return Err(super::adoption_not_allowed(resource(), owner));
        }
        _ => {
            return Err(conflict(
                resource(),
                &ownership,
                &format!(
                    "{hint}, or (when it is an earlier object's of this name) annotate \
                     ecs.fargate.dev/adopt: \"true\""
                ),
            ))
        }
    }
    update_role(role, obs, actions);
    Ok(())
}

/// A missing managed role: create it, then attach and put its policies.
fn create_role(role: &DesiredRole, owner: &Owner, actions: &mut Vec<Action>) {
    actions.push(Action::CreateRole {
        name: role.name.clone(),
        path: crate::api::names::role_path(role.kind).to_owned(),
        trust_policy: role.trust_policy.clone(),
        permissions_boundary: role.permissions_boundary.clone(),
        description: format!(
            "{:?} role of {}/{}, managed by fargate-operator",
            role.kind, owner.namespace, owner.name
        ),
        tags: owner.tags(),
    });
    for p in &role.attached_policies {
        actions.push(Action::AttachRolePolicy {
            role: role.name.clone(),
            policy_arn: p.clone(),
        });
    }
    for (name, doc) in &role.inline_policies {
        actions.push(Action::PutRolePolicy {
            role: role.name.clone(),
            policy_name: name.clone(),
            document: doc.clone(),
        });
    }
}

/// An owned managed role: its trust policy, boundary and policies where they differ. Attach
/// before detach, so the role never loses a permission it keeps.
fn update_role(role: &DesiredRole, obs: &ObservedRole, actions: &mut Vec<Action>) {
    if obs.trust_policy != role.trust_policy {
        actions.push(Action::UpdateAssumeRolePolicy {
            role: role.name.clone(),
            trust_policy: role.trust_policy.clone(),
        });
    }
    match (&role.permissions_boundary, &obs.permissions_boundary) {
        (Some(want), got) if Some(want) != got.as_ref() => {
            actions.push(Action::PutRolePermissionsBoundary {
                role: role.name.clone(),
                arn: want.clone(),
            })
        }
        (None, Some(_)) => actions.push(Action::DeleteRolePermissionsBoundary {
            role: role.name.clone(),
        }),
        _ => {}
    }
    for p in role.attached_policies.difference(&obs.attached_policies) {
        actions.push(Action::AttachRolePolicy {
            role: role.name.clone(),
            policy_arn: p.clone(),
        });
    }
    for (name, doc) in &role.inline_policies {
        if obs.inline_policies.get(name) != Some(doc) {
            actions.push(Action::PutRolePolicy {
                role: role.name.clone(),
                policy_name: name.clone(),
                document: doc.clone(),
            });
        }
    }
    for p in obs.attached_policies.difference(&role.attached_policies) {
        actions.push(Action::DetachRolePolicy {
            role: role.name.clone(),
            policy_arn: p.clone(),
        });
    }
    for name in obs.inline_policies.keys() {
        if !role.inline_policies.contains_key(name) {
            actions.push(Action::DeleteRolePolicy {
                role: role.name.clone(),
                policy_name: name.clone(),
            });
        }
    }
}

/// Plans one TaskDefinition against what AWS has.
pub fn plan_task_definition(
    inputs: TaskDefinitionInputs<'_>,
    observed: &ObservedTaskDefinition,
    config: &PlanConfig,
) -> Result<Plan, PlanError> {
    let owner = &super::tenant::governed_owner(inputs.owner.clone(), config);
    let want = desired(inputs, config)?;
    let mut actions = vec![];
    let mut notes = want.notes.clone();

    // The family: its newest revision must be ours (or adopted).
    check_family_owner(owner, &want, observed)?;

    // 1 and 2. Log groups and managed roles.
    plan_log_groups_and_roles(&want, observed, owner, &mut actions, &mut notes)?;

    // 3. The revision.
    let owned: Vec<&ObservedRevision> = observed
        .revisions
        .iter()
        .filter(|r| owner.ownership(&r.tags) == Ownership::Owned)
        .collect();
    let current = current_revision(&want, &owned);
    match current {
        Some(r) => actions.extend(retag_revision(&want, r)),
        None => actions.push(Action::RegisterTaskDefinition {
            body: Box::new(want.body.clone()),
            tags: want.tags.clone(),
            changes: owned
                .iter()
                .max_by_key(|r| r.revision)
                .map(|newest| want.body.changed_fields(&newest.body))
                .unwrap_or_default(),
        }),
    }

    // 4. Old revisions beyond the history limit, unless a service still runs them.
    let limit = usize::try_from(inputs.spec.revision_history_limit).unwrap_or(0);
    deregister_old_revisions(&owned, current, limit, observed, &mut actions);

    Ok(task_definition_plan(actions, notes, want.spec_hash))
}

/// The owned revision the spec is registered as: the newest, if it matches; else the newest
/// older one that matches (a spec reverted to an earlier one, e.g. by a GitOps revert,
/// re-uses its kept revision: no copy is registered). A revision matches by its spec-hash
/// tag, or field by field.
fn current_revision<'a>(
    want: &DesiredTaskDefinition,
    owned: &[&'a ObservedRevision],
) -> Option<&'a ObservedRevision> {
    let mut newest_first = owned.to_vec();
    newest_first.sort_by_key(|r| std::cmp::Reverse(r.revision));
    newest_first.into_iter().find(|r| {
        r.tags.get(SPEC_HASH_TAG) == Some(&want.spec_hash) || want.body.same_as_observed(&r.body)
    })
}

/// The family's newest revision must be this object's, or one it may adopt (unmanaged or an
/// earlier object's of the same name, with the adopt annotation).
fn check_family_owner(
    owner: &Owner,
    want: &DesiredTaskDefinition,
    observed: &ObservedTaskDefinition,
) -> Result<(), PlanError> {
    let Some(newest) = observed.revisions.iter().max_by_key(|r| r.revision) else {
        return Ok(());
    };
    let ownership = owner.ownership(&newest.tags);
    let adoptable =
        owner.adopt && ownership != Ownership::Owned && !matches!(ownership, Ownership::Other(_));
    if ownership != Ownership::Owned && !adoptable {
        if owner.adopt_forbidden.is_some() && !matches!(ownership, Ownership::Other(_)) {
            return Err(super::adoption_not_allowed(
                format!("task-definition family {}", want.body.family),
                owner,
            ));
        }
        return Err(conflict(
            format!("task-definition family {}", want.body.family),
            &ownership,
            "set spec.family to another name (or add the annotation ecs.fargate.dev/adopt: \"true\" to take over an unmanaged family)",
        ));
    }
    Ok(())
}

/// The current revision matches the spec: only its tags may need a change. The spec-hash tag
/// may legitimately differ when the bodies matched structurally, and the generation tag
/// records the generation it was registered for, not the current one.
fn retag_revision(want: &DesiredTaskDefinition, r: &ObservedRevision) -> Option<Action> {
    let (mut add, remove) = tag_changes(&r.tags, &want.tags);
    add.remove(SPEC_HASH_TAG);
    add.remove(GENERATION_TAG);
    (!add.is_empty() || !remove.is_empty()).then(|| Action::TagTaskDefinition {
        arn: r.arn.clone(),
        tags: add,
        remove,
    })
}

/// Owned revisions beyond the newest `limit` (the current one not counted) are deregistered,
/// unless a service still runs them.
fn deregister_old_revisions(
    owned: &[&ObservedRevision],
    current: Option<&ObservedRevision>,
    limit: usize,
    observed: &ObservedTaskDefinition,
    actions: &mut Vec<Action>,
) {
    let mut older: Vec<&ObservedRevision> = owned
        .iter()
        .copied()
        .filter(|r| Some(r.arn.as_str()) != current.map(|c| c.arn.as_str()))
        .collect();
    older.sort_by_key(|r| std::cmp::Reverse(r.revision));
    for r in older.iter().skip(limit) {
        if !observed.in_use.contains(&r.arn) {
            actions.push(Action::DeregisterTaskDefinition { arn: r.arn.clone() });
        }
    }
}

/// A TaskDefinition's plan (it has a spec hash and no cost estimate).
fn task_definition_plan(actions: Vec<Action>, notes: Vec<Note>, spec_hash: String) -> Plan {
    Plan {
        actions,
        notes,
        spec_hash: Some(spec_hash),
        ..Plan::default()
    }
}

/// The log groups and managed roles of a TaskDefinition: what to change (into `actions`)
/// and what to warn about (into `notes`).
fn plan_log_groups_and_roles(
    want: &DesiredTaskDefinition,
    observed: &ObservedTaskDefinition,
    owner: &Owner,
    actions: &mut Vec<Action>,
    notes: &mut Vec<Note>,
) -> Result<(), PlanError> {
    // 1. Log groups.
    for (name, lg) in &want.log_groups {
        match observed.log_groups.get(name) {
            None if lg.create => actions.push(Action::CreateLogGroup {
                name: name.clone(),
                retention_days: lg.retention_days,
                tags: owner.tags(),
            }),
            None => notes.push(Note {
                reason: reasons::AWS_REJECTED,
                message: format!(
                    "log group {name} does not exist and createGroup is false: tasks will fail to start until it exists"
                ),
            }),
            Some(obs) if owner.ownership(&obs.tags) == Ownership::Owned => {
                match (lg.retention_days, obs.retention_days) {
                    (Some(days), got) if got != Some(days) => {
                        actions.push(Action::PutRetentionPolicy {
                            name: name.clone(),
                            days,
                        })
                    }
                    (None, Some(_)) => actions.push(Action::DeleteRetentionPolicy { name: name.clone() }),
                    _ => {}
                }
            }
            // A group someone else made: used, never changed.
            Some(_) => {}
        }
    }

    // 2. Managed roles.
    for role in &want.roles {
        plan_role(
            role,
            observed.roles.get(&role.name),
            owner,
            "delete or rename that role, or give this TaskDefinition an existing role with arn:",
            actions,
        )?;
    }

    Ok(())
}

/// What a settled TaskDefinition's deep check plans when its family's revisions are known to
/// be unchanged: its log groups and roles only (`observed.revisions` is not read). The notes
/// are only those AWS's state causes, not the spec's own warnings.
pub fn plan_log_groups_and_roles_only(
    inputs: TaskDefinitionInputs<'_>,
    observed: &ObservedTaskDefinition,
    config: &PlanConfig,
) -> Result<Plan, PlanError> {
    let owner = &super::tenant::governed_owner(inputs.owner.clone(), config);
    let want = desired(inputs, config)?;
    let mut actions = vec![];
    let mut notes = vec![];
    plan_log_groups_and_roles(&want, observed, owner, &mut actions, &mut notes)?;
    Ok(task_definition_plan(actions, notes, want.spec_hash))
}

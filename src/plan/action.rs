//! [`Action`]: one AWS change the planner asks for. Everything the rest of the operator
//! needs to know about an action is in the one `impl` below: its name, whether it creates,
//! changes or removes, the AWS operation it is made with, and its one-line description.

use serde::Serialize;

use super::model::{
    percent, EbsVolumeDef, RoleRef, RolloutDef, ScheduledActionDef, ServiceBody, Tags,
    TargetTrackingDef, TaskDefBody, TaskDefinitionRef,
};
use super::op::AwsOp;
use super::task::RunTaskBody;
use super::ServiceUpdate;

/// One AWS change, in the order the plan lists them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Action {
    CreateLogGroup {
        name: String,
        retention_days: Option<i32>,
        tags: Tags,
    },
    PutRetentionPolicy {
        name: String,
        days: i32,
    },
    DeleteRetentionPolicy {
        name: String,
    },
    CreateRole {
        name: String,
        path: String,
        trust_policy: serde_json::Value,
        permissions_boundary: Option<String>,
        description: String,
        tags: Tags,
    },
    UpdateAssumeRolePolicy {
        role: String,
        trust_policy: serde_json::Value,
    },
    PutRolePermissionsBoundary {
        role: String,
        arn: String,
    },
    DeleteRolePermissionsBoundary {
        role: String,
    },
    AttachRolePolicy {
        role: String,
        policy_arn: String,
    },
    DetachRolePolicy {
        role: String,
        policy_arn: String,
    },
    PutRolePolicy {
        role: String,
        policy_name: String,
        document: serde_json::Value,
    },
    DeleteRolePolicy {
        role: String,
        policy_name: String,
    },
    /// Tags a managed role with this object's ownership (adopting one an earlier object of
    /// the same name, or someone, left).
    TagRole {
        role: String,
        tags: Tags,
    },
    RegisterTaskDefinition {
        body: Box<TaskDefBody>,
        tags: Tags,
        /// What it changes against the family's newest revision (`TaskDefBody::changed_fields`),
        /// for `plan`; empty for a first revision.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        changes: Vec<String>,
    },
    TagTaskDefinition {
        arn: String,
        tags: Tags,
        remove: Vec<String>,
    },
    DeregisterTaskDefinition {
        arn: String,
    },
    CreateCluster {
        name: String,
        capacity_providers: Vec<String>,
        tags: Tags,
        /// The `containerInsights` setting; None: the account's default.
        #[serde(skip_serializing_if = "Option::is_none")]
        container_insights: Option<String>,
        /// Its default Service Connect namespace (name or ARN).
        #[serde(skip_serializing_if = "Option::is_none")]
        service_connect_namespace: Option<String>,
    },
    /// Only on a cluster the operator created.
    UpdateClusterSettings {
        name: String,
        container_insights: String,
    },
    /// Sets the default Service Connect namespace of a cluster the operator created.
    UpdateCluster {
        name: String,
        service_connect_namespace: String,
    },
    CreateService {
        cluster: String,
        name: String,
        body: Box<ServiceBody>,
        tags: Tags,
        /// Idempotency token derived from the object's UID and generation.
        client_token: String,
    },
    UpdateService {
        cluster: String,
        name: String,
        changes: Box<ServiceUpdate>,
    },
    /// Tags of an ECS service (or of a cluster the operator created: TagResource takes
    /// either).
    TagService {
        arn: String,
        tags: Tags,
        remove: Vec<String>,
    },
    RegisterScalableTarget {
        resource_id: String,
        min: i32,
        max: i32,
    },
    DeregisterScalableTarget {
        resource_id: String,
    },
    PutScalingPolicy {
        resource_id: String,
        name: String,
        policy: TargetTrackingDef,
        /// For request-count tracking: the target group whose load balancer the label names.
        target_group_arn: Option<String>,
    },
    DeleteScalingPolicy {
        resource_id: String,
        name: String,
    },
    PutScheduledAction {
        resource_id: String,
        name: String,
        action: ScheduledActionDef,
    },
    DeleteScheduledAction {
        resource_id: String,
        name: String,
    },
    /// Deletes an ECS service (cleanup only; it is scaled to 0 first).
    DeleteService {
        cluster: String,
        name: String,
    },
    /// Deletes a managed role (cleanup only; its policies are removed first).
    DeleteRole {
        name: String,
    },
    /// Deletes a log group the operator created (cleanup only).
    DeleteLogGroup {
        name: String,
    },
    /// Starts the tasks of one attempt of a FargateTask's run.
    RunTask {
        body: Box<RunTaskBody>,
        attempt: i32,
    },
    /// Stops a FargateTask's task (deadline, a newer generation, deletion).
    StopTask {
        cluster: String,
        task_arn: String,
        reason: String,
    },
    /// Creates a scheduled FargateTask's EventBridge Scheduler schedule.
    CreateSchedule {
        body: Box<crate::plan::schedule::ScheduleBody>,
    },
    /// Rewrites a scheduled FargateTask's schedule (UpdateSchedule replaces all of it).
    UpdateSchedule {
        body: Box<crate::plan::schedule::ScheduleBody>,
    },
    /// Deletes a scheduled FargateTask's schedule (its spec lost `schedule`, or deletion).
    DeleteSchedule {
        name: String,
        group: String,
    },
}

/// Whether an action creates, changes or removes something (for the plan summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

/// The variant names, each once: `name()` gives each its own (the plan's JSON `type` tag in
/// PascalCase); leaving one out does not compile.
macro_rules! variant_names {
    ($action:expr, $($variant:ident),* $(,)?) => {
        match $action {
            $(Action::$variant { .. } => stringify!($variant),)*
        }
    };
}

impl Action {
    /// The variant name, e.g. `RegisterTaskDefinition`.
    pub fn name(&self) -> &'static str {
        variant_names!(
            self,
            CreateLogGroup,
            PutRetentionPolicy,
            DeleteRetentionPolicy,
            CreateRole,
            UpdateAssumeRolePolicy,
            PutRolePermissionsBoundary,
            DeleteRolePermissionsBoundary,
            AttachRolePolicy,
            DetachRolePolicy,
            PutRolePolicy,
            DeleteRolePolicy,
            TagRole,
            RegisterTaskDefinition,
            TagTaskDefinition,
            DeregisterTaskDefinition,
            CreateCluster,
            UpdateClusterSettings,
            UpdateCluster,
            CreateService,
            UpdateService,
            TagService,
            RegisterScalableTarget,
            DeregisterScalableTarget,
            PutScalingPolicy,
            DeleteScalingPolicy,
            PutScheduledAction,
            DeleteScheduledAction,
            DeleteService,
            DeleteRole,
            DeleteLogGroup,
            RunTask,
            StopTask,
            CreateSchedule,
            UpdateSchedule,
            DeleteSchedule,
        )
    }

    /// Create, update or delete.
    pub fn kind(&self) -> ChangeKind {
        use Action::*;
        match self {
            CreateLogGroup { .. }
            | CreateRole { .. }
            | RegisterTaskDefinition { .. }
            | CreateCluster { .. }
            | CreateService { .. }
            | RunTask { .. }
            | CreateSchedule { .. } => ChangeKind::Create,
            DeleteRetentionPolicy { .. }
            | DeleteRolePermissionsBoundary { .. }
            | DetachRolePolicy { .. }
            | DeleteRolePolicy { .. }
            | DeregisterTaskDefinition { .. }
            | DeregisterScalableTarget { .. }
            | DeleteScalingPolicy { .. }
            | DeleteScheduledAction { .. }
            | DeleteService { .. }
            | DeleteRole { .. }
            | DeleteLogGroup { .. }
            | StopTask { .. }
            | DeleteSchedule { .. } => ChangeKind::Delete,
            _ => ChangeKind::Update,
        }
    }

    /// The AWS operation the change is made with. An action may need more (a log group with
    /// a retention is CreateLogGroup then PutRetentionPolicy; a tag change that also removes
    /// tags is TagResource then UntagResource); this is the one it is named after, and a tag
    /// change that only removes is UntagResource.
    pub fn op(&self) -> AwsOp {
        use Action::*;
        match self {
            CreateLogGroup { .. } => AwsOp::CreateLogGroup,
            PutRetentionPolicy { .. } => AwsOp::PutRetentionPolicy,
            DeleteRetentionPolicy { .. } => AwsOp::DeleteRetentionPolicy,
            CreateRole { .. } => AwsOp::CreateRole,
            UpdateAssumeRolePolicy { .. } => AwsOp::UpdateAssumeRolePolicy,
            PutRolePermissionsBoundary { .. } => AwsOp::PutRolePermissionsBoundary,
            DeleteRolePermissionsBoundary { .. } => AwsOp::DeleteRolePermissionsBoundary,
            AttachRolePolicy { .. } => AwsOp::AttachRolePolicy,
            DetachRolePolicy { .. } => AwsOp::DetachRolePolicy,
            PutRolePolicy { .. } => AwsOp::PutRolePolicy,
            DeleteRolePolicy { .. } => AwsOp::DeleteRolePolicy,
            TagRole { .. } => AwsOp::TagRole,
            RegisterTaskDefinition { .. } => AwsOp::RegisterTaskDefinition,
            TagTaskDefinition { tags, remove, .. } | TagService { tags, remove, .. } => {
                if tags.is_empty() && !remove.is_empty() {
                    AwsOp::UntagResource
                } else {
                    AwsOp::TagResource
                }
            }
            DeregisterTaskDefinition { .. } => AwsOp::DeregisterTaskDefinition,
            CreateCluster { .. } => AwsOp::CreateCluster,
            UpdateClusterSettings { .. } => AwsOp::UpdateClusterSettings,
            UpdateCluster { .. } => AwsOp::UpdateCluster,
            CreateService { .. } => AwsOp::CreateService,
            UpdateService { .. } => AwsOp::UpdateService,
            RegisterScalableTarget { .. } => AwsOp::RegisterScalableTarget,
            DeregisterScalableTarget { .. } => AwsOp::DeregisterScalableTarget,
            PutScalingPolicy { .. } => AwsOp::PutScalingPolicy,
            DeleteScalingPolicy { .. } => AwsOp::DeleteScalingPolicy,
            PutScheduledAction { .. } => AwsOp::PutScheduledAction,
            DeleteScheduledAction { .. } => AwsOp::DeleteScheduledAction,
            DeleteService { .. } => AwsOp::DeleteService,
            DeleteRole { .. } => AwsOp::DeleteRole,
            DeleteLogGroup { .. } => AwsOp::DeleteLogGroup,
            RunTask { .. } => AwsOp::RunTask,
            StopTask { .. } => AwsOp::StopTask,
            CreateSchedule { .. } => AwsOp::CreateSchedule,
            UpdateSchedule { .. } => AwsOp::UpdateSchedule,
            DeleteSchedule { .. } => AwsOp::DeleteSchedule,
        }
    }

    /// One line describing the action, for humans (`plan`, Events, logs).
    pub fn describe(&self) -> String {
        use Action::*;
        match self {
            CreateLogGroup {
                name,
                retention_days,
                ..
            } => match retention_days {
                Some(d) => format!("create log group {name} (retention {d} days)"),
                None => format!("create log group {name}"),
            },
            PutRetentionPolicy { name, days } => {
                format!("set retention of log group {name} to {days} days")
            }
            DeleteRetentionPolicy { name } => format!("remove retention of log group {name}"),
            CreateRole {
                name,
                path,
                permissions_boundary,
                trust_policy,
                ..
            } => {
                let trusts = trusted_service(trust_policy);
                match permissions_boundary {
                    Some(b) => {
                        format!("create IAM role {path}{name} (trusts {trusts}, boundary {b})")
                    }
                    None => format!("create IAM role {path}{name} (trusts {trusts})"),
                }
            }
            UpdateAssumeRolePolicy { role, .. } => format!("reset trust policy of role {role}"),
            PutRolePermissionsBoundary { role, arn } => {
                format!("set permissions boundary of role {role} to {arn}")
            }
            DeleteRolePermissionsBoundary { role } => {
                format!("remove permissions boundary of role {role}")
            }
            AttachRolePolicy { role, policy_arn } => format!("attach {policy_arn} to role {role}"),
            DetachRolePolicy { role, policy_arn } => {
                format!("detach {policy_arn} from role {role}")
            }
            PutRolePolicy {
                role,
                policy_name,
                document,
            } => {
                let n = document
                    .get("Statement")
                    .and_then(|s| s.as_array())
                    .map_or(0, Vec::len);
                format!("put inline policy {policy_name} on role {role} ({n} statements)")
            }
            DeleteRolePolicy { role, policy_name } => {
                format!("delete inline policy {policy_name} from role {role}")
            }
            TagRole { role, tags } => format!(
                "adopt role {role} (tag it {})",
                tags.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            RegisterTaskDefinition { body, changes, .. } => {
                let mut out = describe_registration(body);
                if !changes.is_empty() {
                    out.push_str(&format!(" — changes {}", changes.join(", ")));
                }
                out
            }
            TagTaskDefinition { arn, .. } => format!("update tags of {}", revision_of_arn(arn)),
            DeregisterTaskDefinition { arn } => {
                format!("deregister revision {}", revision_of_arn(arn))
            }
            CreateCluster {
                name,
                capacity_providers,
                container_insights,
                service_connect_namespace,
                ..
            } => {
                let insights = container_insights
                    .as_ref()
                    .map(|c| format!(", Container Insights {c}"))
                    .unwrap_or_default();
                let defaults = service_connect_namespace
                    .as_ref()
                    .map(|ns| format!(", Service Connect namespace {ns}"))
                    .unwrap_or_default();
                format!(
                    "create ECS cluster {name} (capacity providers {}{insights}{defaults})",
                    capacity_providers.join(", ")
                )
            }
            UpdateClusterSettings {
                name,
                container_insights,
            } => format!("set Container Insights of ECS cluster {name} to {container_insights}"),
            UpdateCluster {
                name,
                service_connect_namespace,
            } => format!(
                "set the default Service Connect namespace of ECS cluster {name} to {service_connect_namespace}"
            ),
            CreateService {
                cluster,
                name,
                body,
                ..
            } => describe_creation(cluster, name, body),
            UpdateService { name, changes, .. } => {
                format!("update ECS service {name}: {}", update_summary(changes))
            }
            TagService { arn, tags, remove } => {
                let service = arn.rsplit('/').next().unwrap_or(arn);
                let what = if arn.contains(":cluster/") {
                    "cluster"
                } else {
                    "service"
                };
                format!(
                    "tag ECS {what} {service} (+{} −{})",
                    tags.len(),
                    remove.len()
                )
            }
            RegisterScalableTarget {
                resource_id,
                min,
                max,
            } => {
                format!("register scalable target {resource_id} (min {min}, max {max})")
            }
            DeregisterScalableTarget { resource_id } => {
                format!("deregister scalable target {resource_id}")
            }
            PutScalingPolicy { name, policy, .. } => format!(
                "put target-tracking policy {name}: {} at {}",
                policy.metric, policy.target_value
            ),
            DeleteScalingPolicy { name, .. } => format!("delete scaling policy {name}"),
            PutScheduledAction { name, action, .. } => describe_schedule(name, action),
            DeleteScheduledAction { name, .. } => format!("delete scheduled action {name}"),
            DeleteService { cluster, name } => {
                format!("delete service {name} in cluster {cluster}")
            }
            DeleteRole { name } => format!("delete role {name}"),
            DeleteLogGroup { name } => format!("delete log group {name}"),
            RunTask { body, attempt } => format!(
                "run {} × {} in cluster {} (attempt {attempt}, startedBy {})",
                body.count,
                revision_of_arn(&body.task_definition_arn),
                body.cluster,
                body.started_by
            ),
            StopTask {
                cluster, task_arn, ..
            } => format!(
                "stop task {} in cluster {cluster}",
                task_arn.rsplit('/').next().unwrap_or(task_arn)
            ),
            CreateSchedule { body } => format!("create schedule {}", describe_scheduled(body)),
            UpdateSchedule { body } => format!("update schedule {}", describe_scheduled(body)),
            DeleteSchedule { name, group } => format!("delete schedule {name} (group {group})"),
        }
    }
}

/// `<name>: <expression> [<timezone>] runs <n> × <family:revision> in <cluster>`.
fn describe_scheduled(b: &crate::plan::schedule::ScheduleBody) -> String {
    let state = if b.enabled { "" } else { ", suspended" };
    let date = |label: &str, d: Option<i64>| {
        d.map(|d| format!(", {label} {}", crate::api::schedule::date_text(d)))
            .unwrap_or_default()
    };
    format!(
        "{}: {} ({}{state}{}{}) runs {} × {} in cluster {}",
        b.name,
        b.expression,
        b.timezone,
        date("from", b.start_date),
        date("until", b.end_date),
        b.target.task_count,
        revision_of_arn(&b.target.task_definition_arn),
        crate::api::names::cluster_name_of_arn(&b.target.cluster_arn)
            .unwrap_or(&b.target.cluster_arn)
    )
}

/// The service principal a trust policy lets assume the role (`ecs-tasks.amazonaws.com`).
fn trusted_service(policy: &serde_json::Value) -> String {
    policy["Statement"][0]["Principal"]["Service"]
        .as_str()
        .unwrap_or("?")
        .to_owned()
}

fn role(r: &Option<RoleRef>) -> String {
    match r {
        None => "none".into(),
        Some(RoleRef::Arn(a)) => a.clone(),
        Some(RoleRef::Managed(n)) => format!("managed role {n}"),
    }
}

fn revision(td: &TaskDefinitionRef) -> String {
    match td {
        TaskDefinitionRef::Pending { family } => format!("{family}:<new revision>"),
        TaskDefinitionRef::Arn(arn) => revision_of_arn(arn),
    }
}

fn revision_of_arn(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

fn update_summary(u: &ServiceUpdate) -> String {
    let mut parts = vec![];
    if let Some(td) = &u.task_definition {
        parts.push(format!("taskDefinition → {}", revision(td)));
    }
    if let Some(c) = u.desired_count {
        parts.push(format!("desiredCount → {c}"));
    }
    if let Some(d) = &u.deployment {
        parts.push(format!(
            "deploymentConfiguration → {}",
            describe_rollout(&d.rollout)
        ));
    }
    if let Some(v) = &u.volume_configurations {
        parts.push(format!("volumeConfigurations → {}", describe_volumes(v)));
    }
    if let Some(sc) = &u.service_connect {
        parts.push(format!("serviceConnectConfiguration → {sc}"));
    }
    for f in u.changed_fields() {
        if ![
            "taskDefinition",
            "desiredCount",
            "deploymentConfiguration",
            "volumeConfigurations",
            "serviceConnectConfiguration",
        ]
        .contains(&f)
        {
            parts.push(f.to_owned());
        }
    }
    parts.join(", ")
}

/// `CANARY 5% then the rest after 10 min, bake 30 min, 1 lifecycle hook(s)`.
pub fn describe_rollout(r: &RolloutDef) -> String {
    let r = r.canonical();
    let mut out = r.strategy().to_owned();
    if let Some(c) = r.canary {
        out.push_str(&format!(
            " {}% then the rest after {} min",
            percent(c.percent_tenths),
            c.bake_time_minutes
        ));
    }
    if let Some(l) = r.linear {
        out.push_str(&format!(
            " {}% per step, {} min apart",
            percent(l.step_percent_tenths),
            l.step_bake_time_minutes
        ));
    }
    if let Some(b) = r.bake_time_minutes {
        out.push_str(&format!(", bake {b} min"));
    }
    if !r.lifecycle_hooks.is_empty() {
        out.push_str(&format!(", {} lifecycle hook(s)", r.lifecycle_hooks.len()));
    }
    out
}

fn describe_registration(body: &TaskDefBody) -> String {
    let images: Vec<String> = body
        .containers
        .iter()
        .map(|c| format!("{}={}", c.name, c.image))
        .collect();
    format!(
        "register task definition {} ({} CPU / {} MiB, {}; execution role: {}; task role: {}; {})",
        body.family,
        body.cpu,
        body.memory,
        body.cpu_architecture.as_deref().unwrap_or("X86_64"),
        role(&body.execution_role),
        role(&body.task_role),
        images.join(", ")
    )
}

fn describe_creation(cluster: &str, name: &str, body: &ServiceBody) -> String {
    let placement = match &body.launch_type {
        Some(l) => l.clone(),
        None => body
            .capacity_provider_strategy
            .iter()
            .map(|i| {
                format!(
                    "{} base {} weight {}",
                    i.capacity_provider, i.base, i.weight
                )
            })
            .collect::<Vec<_>>()
            .join(" + "),
    };
    let volumes = match body.volume_configurations.is_empty() {
        true => String::new(),
        false => format!(
            ", EBS volume {}",
            describe_volumes(&body.volume_configurations)
        ),
    };
    let service_connect = body
        .service_connect
        .as_ref()
        .map(|sc| format!(", Service Connect: {sc}"))
        .unwrap_or_default();
    format!(
        "create ECS service {name} in cluster {cluster}: {} × {} on {placement}, {} load balancer(s){volumes}, deployments: {}{service_connect}",
        body.desired_count,
        revision(&body.task_definition),
        body.load_balancers.len(),
        describe_rollout(&body.rollout)
    )
}

/// `index 100 GiB gp3 (4000 IOPS, 250 MiB/s) from snap-…`, or `none` (removed).
fn describe_volumes(volumes: &[EbsVolumeDef]) -> String {
    let one = |v: &EbsVolumeDef| {
        let mut out = v.name.clone();
        if let Some(size) = v.size_in_gib {
            out.push_str(&format!(" {size} GiB"));
        }
        out.push_str(&format!(
            " {}",
            v.volume_type.as_deref().unwrap_or("(ECS's default type)")
        ));
        let perf: Vec<String> = [
            v.iops.map(|i| format!("{i} IOPS")),
            v.throughput.map(|t| format!("{t} MiB/s")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !perf.is_empty() {
            out.push_str(&format!(" ({})", perf.join(", ")));
        }
        if let Some(s) = &v.snapshot_id {
            out.push_str(&format!(" from {s}"));
        }
        out
    };
    match volumes {
        [] => "none".into(),
        vs => vs.iter().map(one).collect::<Vec<_>>().join("; "),
    }
}

fn describe_schedule(name: &str, action: &ScheduledActionDef) -> String {
    let capacity = |v: Option<i32>| v.map_or("unchanged".into(), |v| v.to_string());
    format!(
        "put scheduled action {name}: {} ({}) min {} max {}",
        action.schedule,
        action.timezone.as_deref().unwrap_or("UTC"),
        capacity(action.min_capacity),
        capacity(action.max_capacity)
    )
}

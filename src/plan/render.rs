//! Human-readable plan output.

use super::model::RoleRef;
use super::model::TaskDefinitionRef;
use super::{Action, ServiceUpdate};

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
    for f in u.changed_fields() {
        if f != "taskDefinition" && f != "desiredCount" {
            parts.push(f.to_owned());
        }
    }
    parts.join(", ")
}

/// One line describing an action.
pub fn describe(action: &Action) -> String {
    use Action::*;
    match action {
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
            ..
        } => match permissions_boundary {
            Some(b) => format!(
                "create IAM role {path}{name} (trusts ecs-tasks.amazonaws.com, boundary {b})"
            ),
            None => format!("create IAM role {path}{name} (trusts ecs-tasks.amazonaws.com)"),
        },
        UpdateAssumeRolePolicy { role, .. } => format!("reset trust policy of role {role}"),
        PutRolePermissionsBoundary { role, arn } => {
            format!("set permissions boundary of role {role} to {arn}")
        }
        DeleteRolePermissionsBoundary { role } => {
            format!("remove permissions boundary of role {role}")
        }
        AttachRolePolicy { role, policy_arn } => format!("attach {policy_arn} to role {role}"),
        DetachRolePolicy { role, policy_arn } => format!("detach {policy_arn} from role {role}"),
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
        RegisterTaskDefinition { body, .. } => {
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
        TagTaskDefinition { arn, .. } => format!("update tags of {}", revision_of_arn(arn)),
        DeregisterTaskDefinition { arn } => format!("deregister revision {}", revision_of_arn(arn)),
        CreateCluster {
            name,
            capacity_providers,
            ..
        } => {
            format!(
                "create ECS cluster {name} (capacity providers {})",
                capacity_providers.join(", ")
            )
        }
        CreateService {
            cluster,
            name,
            body,
            ..
        } => {
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
            format!(
                "create ECS service {name} in cluster {cluster}: {} × {} on {placement}, {} load balancer(s)",
                body.desired_count,
                revision(&body.task_definition),
                body.load_balancers.len()
            )
        }
        UpdateService { name, changes, .. } => {
            format!("update ECS service {name}: {}", update_summary(changes))
        }
        TagService { arn, tags, remove } => {
            let service = arn.rsplit('/').next().unwrap_or(arn);
            format!(
                "tag ECS service {service} (+{} −{})",
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
        PutScheduledAction { name, action, .. } => format!(
            "put scheduled action {name}: {} ({}) min {} max {}",
            action.schedule,
            action.timezone.as_deref().unwrap_or("UTC"),
            action
                .min_capacity
                .map_or("unchanged".into(), |v| v.to_string()),
            action
                .max_capacity
                .map_or("unchanged".into(), |v| v.to_string())
        ),
        DeleteScheduledAction { name, .. } => format!("delete scheduled action {name}"),
        DeleteService { cluster, name } => format!("delete service {name} in cluster {cluster}"),
        DeleteRole { name } => format!("delete role {name}"),
        DeleteLogGroup { name } => format!("delete log group {name}"),
    }
}

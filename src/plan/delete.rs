//! Cleanup plans: what deleting an object removes from AWS, in dependency order.
//!
//! FargateService: scheduled actions and scaling policies → scalable target → service scaled
//! to 0 → service deleted → (once ECS is done with it) its managed infrastructure role. TaskDefinition: revisions deregistered → managed roles (policies
//! detached and deleted first) → log groups the operator created. Only resources tagged as
//! this object's (name and UID) are touched; what is already gone plans nothing, so a cleanup
//! interrupted anywhere resumes where it stopped. The spec is never validated here.

use super::model::{ObservedFargateService, ObservedRole, ObservedScaling, ObservedTaskDefinition};
use super::{Action, Note, Plan, PlanError, ServiceUpdate};
use crate::api::names::{resource_id, Owner, Ownership};
use crate::api::reasons;

/// The next cleanup steps for a FargateService's ECS service `cluster/name`. Its managed
/// infrastructure role goes last, once the service is gone: ECS deletes the volumes of the
/// draining tasks with it, so while the service drains the cleanup waits.
pub fn plan_fargate_service_delete(
    owner: &Owner,
    cluster: &str,
    name: &str,
    observed: &ObservedFargateService,
) -> Result<Plan, PlanError> {
    let mut plan = Plan::default();
    // A preDeploy task still running stops first (whatever became of the service).
    if let Some(runs) = &observed.pre_deploy {
        plan.actions.extend(
            super::task::owned(owner, runs)
                .filter(|t| t.tags.contains_key(crate::api::PRE_DEPLOY_TAG))
                .filter(|t| super::task::still_running(t))
                .map(|t| super::task::stop(cluster, t, "its FargateService was deleted")),
        );
    }
    let owned_roles: Vec<(&String, &ObservedRole)> = observed
        .roles
        .iter()
        .filter(|(_, r)| owner.ownership(&r.tags) == Ownership::Owned)
        .collect();
    let Some(service) = observed.service.as_ref().filter(|s| s.status != "INACTIVE") else {
        for (name, role) in owned_roles {
            delete_role(name, role, &mut plan.actions);
        }
        return Ok(plan);
    };
    if service.status == "DRAINING" && !owned_roles.is_empty() {
        return Err(PlanError::Waiting {
            reason: reasons::DELETING,
            message: format!(
                "ECS service {name} is draining; its infrastructure role is deleted once ECS has finished with the tasks' volumes"
            ),
        });
    }
    if owner.ownership(&service.tags) != Ownership::Owned {
        plan.notes.push(Note {
            reason: reasons::CONFLICT,
            message: format!(
                "ECS service {name} in cluster {cluster} is not owned by this object; left untouched"
            ),
        });
        return Ok(plan);
    }
    let rid = resource_id(cluster, name);
    // Cleanup reads autoscaling; were it unread, there is nothing known to delete.
    let unread = ObservedScaling::default();
    let scaling = observed.scaling.as_ref().unwrap_or(&unread);
    for action in scaling.scheduled_actions.keys() {
        plan.actions.push(Action::DeleteScheduledAction {
            resource_id: rid.clone(),
            name: action.clone(),
        });
    }
    for policy in scaling.policies.keys() {
        plan.actions.push(Action::DeleteScalingPolicy {
            resource_id: rid.clone(),
            name: policy.clone(),
        });
    }
    if scaling.target.is_some() {
        plan.actions
            .push(Action::DeregisterScalableTarget { resource_id: rid });
    }
    if service.status == "ACTIVE" {
        if service.body.desired_count != 0 {
            plan.actions.push(Action::UpdateService {
                cluster: cluster.to_owned(),
                name: name.to_owned(),
                changes: Box::new(ServiceUpdate {
                    desired_count: Some(0),
                    ..Default::default()
                }),
            });
        }
        plan.actions.push(Action::DeleteService {
            cluster: cluster.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(plan)
}

/// A managed role's policies detached and deleted, then the role.
pub(crate) fn delete_role(name: &str, role: &ObservedRole, actions: &mut Vec<Action>) {
    for policy_arn in &role.attached_policies {
        actions.push(Action::DetachRolePolicy {
            role: name.to_owned(),
            policy_arn: policy_arn.clone(),
        });
    }
    for policy_name in role.inline_policies.keys() {
        actions.push(Action::DeleteRolePolicy {
            role: name.to_owned(),
            policy_name: policy_name.clone(),
        });
    }
    actions.push(Action::DeleteRole {
        name: name.to_owned(),
    });
}

/// The next cleanup steps for a TaskDefinition whose ECS family is `family`. Revisions a
/// service still runs or deploys (`observed.in_use`) are kept, and so are the roles and log
/// groups those tasks need — also when the revision a service runs is already deregistered,
/// or not this object's: once nothing else is left to do, that is a `Waiting` error naming
/// the revisions (and who runs them, where known). Only revisions of `family` exactly count
/// (ECS matches families by prefix; `shop-web` is not `shop-web-api`).
pub fn plan_task_definition_delete(
    owner: &Owner,
    family: &str,
    observed: &ObservedTaskDefinition,
) -> Result<Plan, PlanError> {
    let mut plan = Plan::default();
    let owned = |tags| owner.ownership(tags) == Ownership::Owned;
    for r in observed.revisions.iter().filter(|r| owned(&r.tags)) {
        if !observed.in_use.contains(&r.arn) {
            plan.actions
                .push(Action::DeregisterTaskDefinition { arn: r.arn.clone() });
        }
    }
    let in_use: Vec<String> = observed
        .in_use
        .iter()
        .filter(|arn| crate::api::revision_of_arn(arn).is_some_and(|(f, _)| f == family))
        .map(|arn| match observed.in_use_by.get(arn) {
            Some(users) if !users.is_empty() => format!(
                "{arn} (run by {})",
                users.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            _ => arn.clone(),
        })
        .collect();
    if !in_use.is_empty() {
        if plan.actions.is_empty() {
            return Err(PlanError::Waiting {
                reason: reasons::DELETING,
                message: format!(
                    "revisions {} are still used by ECS services; the revisions, roles and log groups are kept until no service runs them",
                    in_use.join(", ")
                ),
            });
        }
        return Ok(plan);
    }
    for (name, role) in observed.roles.iter().filter(|(_, r)| owned(&r.tags)) {
        delete_role(name, role, &mut plan.actions);
    }
    for (name, _) in observed.log_groups.iter().filter(|(_, g)| owned(&g.tags)) {
        plan.actions
            .push(Action::DeleteLogGroup { name: name.clone() });
    }
    Ok(plan)
}

//! Act: execute a plan's actions in order through the AWS traits.
//!
//! Crash safety comes from the planner (every pass re-observes and plans only what is
//! missing) plus three rules here: a create that finds the resource already there stops the
//! pass so the next one observes it, deletes treat NotFound as done, and CreateService carries
//! the planner's client token.

use std::collections::BTreeMap;

use crate::aws::AwsOp;
use crate::aws::{Aws, AwsError, ErrorKind, NewRole};
use crate::plan::model::{
    EbsVolumeDef, RoleRef, ServiceBody, Tags, TargetTrackingDef, TaskDefBody, TaskDefinitionRef,
};
use crate::plan::{Action, ChangeKind, ServiceUpdate};

/// An action AWS refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{action}: {source}")]
pub struct ActError {
    /// The action, described for humans.
    pub action: String,
    #[source]
    pub source: AwsError,
}

/// One AWS change made.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub kind: ChangeKind,
    /// The action's name, e.g. `RegisterTaskDefinition`.
    pub action: &'static str,
    /// The action, described for humans.
    pub description: String,
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActReport {
    /// Actions applied. When a create finds its resource already there (a crash or a race),
    /// the pass stops early and the caller's next pass observes it.
    pub applied: Vec<Applied>,
}

/// Executes actions, remembering what later actions of the same run need.
pub struct Executor<'a> {
    aws: &'a Aws,
    /// Managed role name → ARN (seeded from observation, extended by CreateRole).
    role_arns: BTreeMap<String, String>,
    /// Family → the revision registered in this run.
    registered: BTreeMap<String, String>,
}

impl<'a> Executor<'a> {
    pub fn new(aws: &'a Aws) -> Self {
        Self {
            aws,
            role_arns: BTreeMap::new(),
            registered: BTreeMap::new(),
        }
    }

    /// Tells the executor a managed role's ARN (from observation).
    pub fn know_role(&mut self, name: &str, arn: &str) {
        self.role_arns.insert(name.to_owned(), arn.to_owned());
    }

    /// Runs `actions` in order, stopping at the first failure. Deletes (and, with
    /// `cleanup`, every action) treat NotFound as done.
    pub async fn run(&mut self, actions: &[Action], cleanup: bool) -> Result<ActReport, ActError> {
        let mut report = ActReport::default();
        for action in actions {
            let described = action.describe();
            match self.one(action).await {
                Ok(()) => {
                    tracing::info!(action = %described, "applied");
                    report.applied.push(Applied {
                        kind: action.kind(),
                        action: action.name(),
                        description: described,
                    });
                }
                Err(e) if e.is_not_found() && (cleanup || action.kind() == ChangeKind::Delete) => {
                    tracing::debug!(action = %described, "already gone");
                }
                Err(e) if e.kind == ErrorKind::Conflict && action.kind() == ChangeKind::Create => {
                    tracing::info!(action = %described, error = %e, "already exists; observing again");
                    return Ok(report);
                }
                Err(source) => {
                    return Err(ActError {
                        action: described,
                        source,
                    })
                }
            }
        }
        Ok(report)
    }

    async fn role_arn(&mut self, role: &Option<RoleRef>) -> Result<Option<RoleRef>, AwsError> {
        let Some(RoleRef::Managed(name)) = role else {
            return Ok(role.clone());
        };
        if let Some(arn) = self.role_arns.get(name) {
            return Ok(Some(RoleRef::Arn(arn.clone())));
        }
        match self.aws.iam.get_role(name).await? {
            Some(r) => {
                self.role_arns.insert(name.clone(), r.arn.clone());
                Ok(Some(RoleRef::Arn(r.arn)))
            }
            None => Err(AwsError::new(
                ErrorKind::NotFound,
                AwsOp::GetRole,
                format!("managed role {name} does not exist yet"),
            )),
        }
    }

    /// Managed EBS volumes' managed infrastructure roles by ARN (ECS takes nothing else).
    async fn resolve_volume_roles(&mut self, volumes: &mut [EbsVolumeDef]) -> Result<(), AwsError> {
        for v in volumes {
            if let Some(arn) = self.role_arn(&Some(v.role.clone())).await? {
                v.role = arn;
            }
        }
        Ok(())
    }

    fn resolve_revision(&self, td: &TaskDefinitionRef) -> Result<TaskDefinitionRef, AwsError> {
        match td {
            TaskDefinitionRef::Arn(_) => Ok(td.clone()),
            TaskDefinitionRef::Pending { family } => self
                .registered
                .get(family)
                .cloned()
                .map(TaskDefinitionRef::Arn)
                .ok_or_else(|| {
                    AwsError::new(
                        ErrorKind::Invalid,
                        AwsOp::RegisterTaskDefinition,
                        format!("no revision of family {family} was registered in this run"),
                    )
                }),
        }
    }

    /// One action: the trait call it is made with (or a named step when it takes more
    /// than one).
    async fn one(&mut self, action: &Action) -> Result<(), AwsError> {
        use Action::*;
        let aws = self.aws;
        match action {
            CreateLogGroup {
                name,
                retention_days,
                tags,
            } => self.create_log_group(name, *retention_days, tags).await,
            PutRetentionPolicy { name, days } => aws.logs.put_retention_policy(name, *days).await,
            DeleteRetentionPolicy { name } => aws.logs.delete_retention_policy(name).await,
            DeleteLogGroup { name } => aws.logs.delete_log_group(name).await,
            CreateRole {
                name,
                path,
                trust_policy,
                permissions_boundary,
                description,
                tags,
            } => {
                let permissions_boundary = permissions_boundary.as_deref();
                let role = NewRole {
                    name,
                    path,
                    trust_policy,
                    permissions_boundary,
                    description,
                    tags,
                };
                self.create_role(role).await
            }
            UpdateAssumeRolePolicy { role, trust_policy } => {
                aws.iam.update_assume_role_policy(role, trust_policy).await
            }
            PutRolePermissionsBoundary { role, arn } => {
                aws.iam.put_role_permissions_boundary(role, arn).await
            }
            DeleteRolePermissionsBoundary { role } => {
                aws.iam.delete_role_permissions_boundary(role).await
            }
            AttachRolePolicy { role, policy_arn } => {
                aws.iam.attach_role_policy(role, policy_arn).await
            }
            DetachRolePolicy { role, policy_arn } => {
                aws.iam.detach_role_policy(role, policy_arn).await
            }
            PutRolePolicy {
                role,
                policy_name,
                document,
            } => aws.iam.put_role_policy(role, policy_name, document).await,
            DeleteRolePolicy { role, policy_name } => {
                aws.iam.delete_role_policy(role, policy_name).await
            }
            DeleteRole { name } => aws.iam.delete_role(name).await,
            TagRole { role, tags } => aws.iam.tag_role(role, tags).await,
            RegisterTaskDefinition { body, tags, .. } => {
                self.register_task_definition(body, tags).await
            }
            TagTaskDefinition { arn, tags, remove } | TagService { arn, tags, remove } => {
                self.tag(arn, tags, remove).await
            }
            DeregisterTaskDefinition { arn } => aws.ecs.deregister_task_definition(arn).await,
            CreateCluster {
                name,
                capacity_providers,
                tags,
                container_insights,
                service_connect_namespace,
            } => {
                let insights = container_insights.as_deref();
                let ns = service_connect_namespace.as_deref();
                aws.ecs
                    .create_cluster(name, capacity_providers, tags, insights, ns)
                    .await
            }
            UpdateClusterSettings {
                name,
                container_insights,
            } => {
                aws.ecs
                    .update_cluster_settings(name, container_insights)
                    .await
            }
            UpdateCluster {
                name,
                service_connect_namespace,
            } => {
                aws.ecs
                    .update_cluster(name, service_connect_namespace)
                    .await
            }
            CreateService {
                cluster,
                name,
                body,
                tags,
                client_token,
            } => {
                let mut body = self.resolved(body)?;
                self.resolve_volume_roles(&mut body.volume_configurations)
                    .await?;
                let ecs = &aws.ecs;
                ecs.create_service(cluster, name, &body, tags, client_token)
                    .await
                    .map(drop)
            }
            UpdateService {
                cluster,
                name,
                changes,
            } => {
                let mut changes = self.resolved_update(changes)?;
                if let Some(v) = &mut changes.volume_configurations {
                    self.resolve_volume_roles(v).await?;
                }
                aws.ecs.update_service(cluster, name, &changes).await
            }
            DeleteService { cluster, name } => aws.ecs.delete_service(cluster, name).await,
            RegisterScalableTarget {
                resource_id,
                min,
                max,
            } => {
                aws.scaling
                    .register_scalable_target(resource_id, *min, *max)
                    .await
            }
            DeregisterScalableTarget { resource_id } => {
                aws.scaling.deregister_scalable_target(resource_id).await
            }
            PutScalingPolicy {
                resource_id,
                name,
                policy,
                target_group_arn,
            } => {
                self.put_scaling_policy(resource_id, name, policy, target_group_arn.as_deref())
                    .await
            }
            DeleteScalingPolicy { resource_id, name } => {
                aws.scaling.delete_scaling_policy(resource_id, name).await
            }
            PutScheduledAction {
                resource_id,
                name,
                action,
            } => {
                aws.scaling
                    .put_scheduled_action(resource_id, name, action)
                    .await
            }
            DeleteScheduledAction { resource_id, name } => {
                aws.scaling.delete_scheduled_action(resource_id, name).await
            }
            RunTask { body, .. } => aws.ecs.run_task(body).await.map(drop),
            StopTask {
                cluster,
                task_arn,
                reason,
            } => aws.ecs.stop_task(cluster, task_arn, reason).await,
            CreateSchedule { body } => {
                let body = self.schedule_with_role_arn(body).await?;
                aws.scheduler.create_schedule(&body).await.map(drop)
            }
            UpdateSchedule { body } => {
                let body = self.schedule_with_role_arn(body).await?;
                aws.scheduler.update_schedule(&body).await
            }
            DeleteSchedule { name, group } => aws.scheduler.delete_schedule(group, name).await,
        }
    }

    /// A schedule body with its managed role by ARN (Scheduler takes nothing else).
    async fn schedule_with_role_arn(
        &mut self,
        body: &crate::plan::schedule::ScheduleBody,
    ) -> Result<crate::plan::schedule::ScheduleBody, AwsError> {
        let mut body = body.clone();
        if let Some(arn) = self.role_arn(&Some(body.target.role.clone())).await? {
            body.target.role = arn;
        }
        Ok(body)
    }

    /// CreateLogGroup, then its retention if the spec sets one.
    async fn create_log_group(
        &self,
        name: &str,
        retention_days: Option<i32>,
        tags: &Tags,
    ) -> Result<(), AwsError> {
        self.aws.logs.create_log_group(name, tags).await?;
        if let Some(days) = retention_days {
            self.aws.logs.put_retention_policy(name, days).await?;
        }
        Ok(())
    }

    /// CreateRole, remembering the new role's ARN for the task definitions that name it.
    async fn create_role(&mut self, role: NewRole<'_>) -> Result<(), AwsError> {
        let arn = self.aws.iam.create_role(role).await?;
        self.role_arns.insert(role.name.to_owned(), arn);
        Ok(())
    }

    /// RegisterTaskDefinition with its managed roles resolved to ARNs, remembering the new
    /// revision for the services of the same run.
    async fn register_task_definition(
        &mut self,
        body: &TaskDefBody,
        tags: &Tags,
    ) -> Result<(), AwsError> {
        let mut body = body.clone();
        body.execution_role = self.role_arn(&body.execution_role).await?;
        body.task_role = self.role_arn(&body.task_role).await?;
        let arn = self.aws.ecs.register_task_definition(&body, tags).await?;
        self.registered.insert(body.family.clone(), arn);
        Ok(())
    }

    /// TagResource for the tags to set, UntagResource for the keys to remove.
    async fn tag(&self, arn: &str, tags: &Tags, remove: &[String]) -> Result<(), AwsError> {
        if !tags.is_empty() {
            self.aws.ecs.tag_resource(arn, tags).await?;
        }
        if !remove.is_empty() {
            self.aws.ecs.untag_resource(arn, remove).await?;
        }
        Ok(())
    }

    /// A service body on the revision registered in this run, if the plan left it pending.
    fn resolved(&self, body: &ServiceBody) -> Result<ServiceBody, AwsError> {
        let mut body = body.clone();
        body.task_definition = self.resolve_revision(&body.task_definition)?;
        Ok(body)
    }

    /// An update to the revision registered in this run, if the plan left it pending.
    fn resolved_update(&self, changes: &ServiceUpdate) -> Result<ServiceUpdate, AwsError> {
        let mut changes = changes.clone();
        if let Some(td) = &changes.task_definition {
            changes.task_definition = Some(self.resolve_revision(td)?);
        }
        Ok(changes)
    }

    /// PutScalingPolicy; request-count tracking first reads its target group's resource
    /// label from ELB.
    async fn put_scaling_policy(
        &self,
        resource_id: &str,
        name: &str,
        policy: &TargetTrackingDef,
        target_group_arn: Option<&str>,
    ) -> Result<(), AwsError> {
        let mut policy = policy.clone();
        if let Some(tg) = target_group_arn {
            policy.resource_label = Some(self.aws.elb.resource_label(tg).await?);
        }
        self.aws
            .scaling
            .put_scaling_policy(resource_id, name, &policy)
            .await
    }
}

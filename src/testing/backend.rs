//! The AWS traits on the in-memory account model ([`super::sim::SimAws`]): a stand-in
//! for what the local emulator cannot do (honour CreateService's client token, refuse a
//! duplicate service, run tasks) and for fault injection and benchmarks. Writes go through
//! `SimAws::apply`, so the model's AWS behaviour is the one the planner is tested against.

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::sim::{SimAws, SimError};
use crate::aws::{self as aws, Aws, AwsError, AwsOp, ErrorKind, NewRole};
use crate::plan::model::*;
use crate::plan::task::{DesiredStatus, ObservedTask, RunTaskBody, TaskFilter};
use crate::plan::{Action, ServiceUpdate};

/// A shared in-memory AWS account implementing every trait.
#[derive(Clone)]
pub struct SimBackend(pub Arc<Mutex<SimAws>>);

impl SimBackend {
    pub fn new(sim: SimAws) -> Self {
        Self(Arc::new(Mutex::new(sim)))
    }

    /// The clients, all backed by this account.
    pub fn aws(&self) -> Aws {
        let me = Arc::new(self.clone());
        Aws {
            ecs: me.clone(),
            iam: me.clone(),
            logs: me.clone(),
            scaling: me.clone(),
            elb: me.clone(),
            scheduler: me,
        }
    }

    /// Locks the model (tests inspect and change it).
    pub fn lock(&self) -> MutexGuard<'_, SimAws> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One write: the request the action is made with, applied to the model.
    fn apply(&self, action: Action) -> Result<(), AwsError> {
        let op = action.op();
        let mut sim = self.lock();
        sim.requests_of(op, None);
        sim.apply(&action).map_err(|e| {
            let kind = match e {
                SimError::NotFound(_) => ErrorKind::NotFound,
                SimError::Invalid(_) => ErrorKind::Invalid,
                SimError::Conflict(_) => ErrorKind::Conflict,
            };
            AwsError::new(kind, op, e.to_string())
        })
    }
}

#[async_trait]
impl aws::Ecs for SimBackend {
    async fn list_revisions(
        &self,
        family: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<aws::RevisionPage, AwsError> {
        const PAGE: usize = 100;
        let mut sim = self.lock();
        sim.requests_of(AwsOp::ListTaskDefinitions, None);
        let start = match next_token {
            None => 0,
            Some(t) => t.parse::<usize>().map_err(|_| {
                AwsError::new(
                    ErrorKind::Invalid,
                    AwsOp::ListTaskDefinitions,
                    format!("invalid nextToken {t}"),
                )
            })?,
        };
        // Like ECS, a family filter matches by prefix.
        let arns: Vec<String> = sim
            .active_revision_arns()
            .filter(|arn| {
                family.is_none_or(|f| {
                    aws::revision_of_arn(arn).is_some_and(|(got, _)| got.starts_with(f))
                })
            })
            .skip(start)
            .take(PAGE + 1)
            .map(str::to_owned)
            .collect();
        let more = arns.len() > PAGE;
        Ok(aws::RevisionPage {
            arns: arns.into_iter().take(PAGE).collect(),
            next_token: more.then(|| (start + PAGE).to_string()),
        })
    }

    async fn describe_revision(&self, arn: &str) -> Result<Option<ObservedRevision>, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::DescribeTaskDefinition, None);
        Ok(sim.revision(arn).cloned())
    }

    async fn register_task_definition(
        &self,
        body: &TaskDefBody,
        tags: &Tags,
    ) -> Result<String, AwsError> {
        self.apply(Action::RegisterTaskDefinition {
            body: Box::new(body.clone()),
            tags: tags.clone(),
            changes: vec![],
        })?;
        self.lock().latest_revision(&body.family).ok_or_else(|| {
            AwsError::new(ErrorKind::Transient, AwsOp::RegisterTaskDefinition, "lost")
        })
    }

    async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        self.apply(Action::DeregisterTaskDefinition { arn: arn.into() })
    }

    async fn tag_resource(&self, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        self.apply(tag_action(arn, tags.clone(), vec![]))
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.apply(tag_action(arn, Tags::new(), keys.to_vec()))
    }

    async fn describe_cluster(&self, name: &str) -> Result<Option<ObservedCluster>, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::DescribeClusters, None);
        Ok(sim.clusters.get(name).cloned())
    }

    async fn create_cluster(
        &self,
        name: &str,
        capacity_providers: &[String],
        tags: &Tags,
        container_insights: Option<&str>,
        service_connect_namespace: Option<&str>,
    ) -> Result<(), AwsError> {
        self.apply(Action::CreateCluster {
            name: name.into(),
            capacity_providers: capacity_providers.to_vec(),
            tags: tags.clone(),
            container_insights: container_insights.map(str::to_owned),
            service_connect_namespace: service_connect_namespace.map(str::to_owned),
        })
    }

    async fn update_cluster_settings(
        &self,
        name: &str,
        container_insights: &str,
    ) -> Result<(), AwsError> {
        self.apply(Action::UpdateClusterSettings {
            name: name.into(),
            container_insights: container_insights.into(),
        })
    }

    async fn update_cluster(
        &self,
        name: &str,
        service_connect_namespace: &str,
    ) -> Result<(), AwsError> {
        self.apply(Action::UpdateCluster {
            name: name.into(),
            service_connect_namespace: service_connect_namespace.into(),
        })
    }

    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<(String, ObservedService)>, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::DescribeServices, None);
        Ok(names
            .iter()
            .filter_map(|n| {
                sim.services
                    .get(&(cluster.to_owned(), n.clone()))
                    .map(|s| (n.clone(), described_service(s)))
            })
            .collect())
    }

    async fn create_service(
        &self,
        cluster: &str,
        name: &str,
        body: &ServiceBody,
        tags: &Tags,
        client_token: &str,
    ) -> Result<String, AwsError> {
        self.apply(Action::CreateService {
            cluster: cluster.into(),
            name: name.into(),
            body: Box::new(body.clone()),
            tags: tags.clone(),
            client_token: client_token.into(),
        })?;
        Ok(self
            .lock()
            .services
            .get(&(cluster.to_owned(), name.to_owned()))
            .map(|s| s.arn.clone())
            .unwrap_or_default())
    }

    async fn update_service(
        &self,
        cluster: &str,
        name: &str,
        update: &ServiceUpdate,
    ) -> Result<(), AwsError> {
        self.apply(Action::UpdateService {
            cluster: cluster.into(),
            name: name.into(),
            changes: Box::new(update.clone()),
        })
    }

    async fn delete_service(&self, cluster: &str, name: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteService {
            cluster: cluster.into(),
            name: name.into(),
        })
    }

    async fn list_clusters(&self, next_token: Option<&str>) -> Result<aws::NamePage, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::ListClusters, None);
        let names = sim
            .clusters
            .iter()
            .filter(|(_, c)| c.status != "INACTIVE")
            .map(|(name, _)| name.clone());
        name_page(AwsOp::ListClusters, names, next_token)
    }

    async fn list_services(
        &self,
        cluster: &str,
        next_token: Option<&str>,
    ) -> Result<aws::NamePage, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::ListServices, None);
        // Like ECS: ACTIVE and DRAINING services, not INACTIVE ones.
        let names = sim
            .services
            .iter()
            .filter(|((c, _), s)| c == cluster && s.status != "INACTIVE")
            .map(|((_, name), _)| name.clone());
        name_page(AwsOp::ListServices, names, next_token)
    }

    async fn list_task_arns(
        &self,
        cluster: &str,
        filter: &TaskFilter,
        desired: DesiredStatus,
        next_token: Option<&str>,
    ) -> Result<aws::NamePage, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::ListTasks, None);
        let arns = sim.listed_tasks(cluster, filter, desired == DesiredStatus::Stopped);
        name_page(AwsOp::ListTasks, arns.into_iter(), next_token)
    }

    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ObservedTask>, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::DescribeTasks, None);
        let in_cluster = format!(":task/{cluster}/");
        Ok(arns
            .iter()
            .take(100)
            .filter_map(|a| sim.tasks.get(a))
            .filter(|t| t.task_arn.contains(&in_cluster))
            .cloned()
            .collect())
    }

    async fn run_task(&self, body: &RunTaskBody) -> Result<Vec<String>, AwsError> {
        self.apply(Action::RunTask {
            body: Box::new(body.clone()),
            attempt: 0,
        })?;
        let key = (body.cluster.clone(), body.client_token.clone());
        Ok(self.lock().started_by_token(&key))
    }

    async fn stop_task(&self, cluster: &str, task_arn: &str, reason: &str) -> Result<(), AwsError> {
        self.apply(Action::StopTask {
            cluster: cluster.into(),
            task_arn: task_arn.into(),
            reason: reason.into(),
        })
    }

    async fn latest_service_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<ObservedServiceDeployment>, AwsError> {
        let mut sim = self.lock();
        let found = sim
            .service_deployments
            .get(&(cluster.to_owned(), service.to_owned()))
            .cloned();
        sim.requests_of(AwsOp::ListServiceDeployments, found.as_ref().map(|_| 1));
        Ok(found)
    }

    async fn service_revision_settings(
        &self,
        arns: &[String],
    ) -> Result<Option<ObservedRevisionSettings>, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::DescribeServiceRevisions, None);
        Ok(sim
            .services
            .values()
            .find(|s| arns.contains(&revision_arn(&s.arn)))
            .map(|s| ObservedRevisionSettings {
                monitoring: s.body.monitoring.clone(),
                gateway_connectors: s.body.gateway_connectors.clone(),
            }))
    }
}

/// The stand-in's one service revision of a service: ECS's ARN form
/// (`service-revision/<cluster>/<service>/<id>`).
fn revision_arn(service_arn: &str) -> String {
    format!(
        "{}/1",
        service_arn.replacen(":service/", ":service-revision/", 1)
    )
}

/// A stored service as DescribeServices reports it: its current revision named, the
/// settings only a revision reports left out.
fn described_service(s: &ObservedService) -> ObservedService {
    let mut out = s.clone();
    out.body.monitoring = None;
    out.body.gateway_connectors = vec![];
    out.revision_arns = vec![revision_arn(&s.arn)];
    out
}

/// One page (at most 100) of `names`, from the offset `next_token` holds.
fn name_page(
    op: AwsOp,
    names: impl Iterator<Item = String>,
    next_token: Option<&str>,
) -> Result<aws::NamePage, AwsError> {
    const PAGE: usize = 100;
    let start = match next_token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| AwsError::new(ErrorKind::Invalid, op, format!("invalid nextToken {t}")))?,
    };
    let names: Vec<String> = names.skip(start).take(PAGE + 1).collect();
    let more = names.len() > PAGE;
    Ok(aws::NamePage {
        names: names.into_iter().take(PAGE).collect(),
        next_token: more.then(|| (start + PAGE).to_string()),
    })
}

fn tag_action(arn: &str, tags: Tags, remove: Vec<String>) -> Action {
    if arn.contains(":task-definition/") {
        Action::TagTaskDefinition {
            arn: arn.into(),
            tags,
            remove,
        }
    } else {
        Action::TagService {
            arn: arn.into(),
            tags,
            remove,
        }
    }
}

#[async_trait]
impl aws::Iam for SimBackend {
    async fn get_role(&self, name: &str) -> Result<Option<ObservedRole>, AwsError> {
        let mut sim = self.lock();
        let role = sim.roles.get(name).cloned();
        let inline_policies = role.as_ref().map(|r| r.inline_policies.len() as u64);
        sim.requests_of(AwsOp::GetRole, inline_policies);
        Ok(role)
    }

    async fn create_role(&self, r: NewRole<'_>) -> Result<String, AwsError> {
        self.apply(Action::CreateRole {
            name: r.name.into(),
            path: r.path.into(),
            trust_policy: r.trust_policy.clone(),
            permissions_boundary: r.permissions_boundary.map(str::to_owned),
            description: r.description.into(),
            tags: r.tags.clone(),
        })?;
        Ok(self
            .lock()
            .roles
            .get(r.name)
            .map(|r| r.arn.clone())
            .unwrap_or_default())
    }

    async fn update_assume_role_policy(
        &self,
        role: &str,
        policy: &serde_json::Value,
    ) -> Result<(), AwsError> {
        self.apply(Action::UpdateAssumeRolePolicy {
            role: role.into(),
            trust_policy: policy.clone(),
        })
    }

    async fn put_role_permissions_boundary(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        self.apply(Action::PutRolePermissionsBoundary {
            role: role.into(),
            arn: arn.into(),
        })
    }

    async fn delete_role_permissions_boundary(&self, role: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteRolePermissionsBoundary { role: role.into() })
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        self.apply(Action::AttachRolePolicy {
            role: role.into(),
            policy_arn: policy_arn.into(),
        })
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        self.apply(Action::DetachRolePolicy {
            role: role.into(),
            policy_arn: policy_arn.into(),
        })
    }

    async fn put_role_policy(
        &self,
        role: &str,
        name: &str,
        document: &serde_json::Value,
    ) -> Result<(), AwsError> {
        self.apply(Action::PutRolePolicy {
            role: role.into(),
            policy_name: name.into(),
            document: document.clone(),
        })
    }

    async fn delete_role_policy(&self, role: &str, name: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteRolePolicy {
            role: role.into(),
            policy_name: name.into(),
        })
    }

    async fn tag_role(&self, role: &str, tags: &Tags) -> Result<(), AwsError> {
        self.apply(Action::TagRole {
            role: role.into(),
            tags: tags.clone(),
        })
    }

    async fn delete_role(&self, role: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteRole { name: role.into() })
    }
}

#[async_trait]
impl aws::Logs for SimBackend {
    async fn describe_log_group(&self, name: &str) -> Result<Option<ObservedLogGroup>, AwsError> {
        let mut sim = self.lock();
        let group = sim.log_groups.get(name).cloned();
        sim.requests_of(AwsOp::DescribeLogGroups, group.is_some().then_some(0));
        Ok(group)
    }

    async fn create_log_group(&self, name: &str, tags: &Tags) -> Result<(), AwsError> {
        self.apply(Action::CreateLogGroup {
            name: name.into(),
            retention_days: None,
            tags: tags.clone(),
        })
    }

    async fn put_retention_policy(&self, name: &str, days: i32) -> Result<(), AwsError> {
        self.apply(Action::PutRetentionPolicy {
            name: name.into(),
            days,
        })
    }

    async fn delete_retention_policy(&self, name: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteRetentionPolicy { name: name.into() })
    }

    async fn delete_log_group(&self, name: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteLogGroup { name: name.into() })
    }
}

#[async_trait]
impl aws::Scaling for SimBackend {
    async fn describe(&self, resource_id: &str) -> Result<ObservedScaling, AwsError> {
        let mut sim = self.lock();
        let scaling = sim.scaling.get(resource_id).cloned().unwrap_or_default();
        sim.requests_of(
            AwsOp::DescribeScalableTargets,
            scaling.target.is_some().then_some(0),
        );
        Ok(scaling)
    }

    async fn register_scalable_target(
        &self,
        resource_id: &str,
        min: i32,
        max: i32,
    ) -> Result<(), AwsError> {
        self.apply(Action::RegisterScalableTarget {
            resource_id: resource_id.into(),
            min,
            max,
        })
    }

    async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), AwsError> {
        self.apply(Action::DeregisterScalableTarget {
            resource_id: resource_id.into(),
        })
    }

    async fn put_scaling_policy(
        &self,
        resource_id: &str,
        name: &str,
        policy: &TargetTrackingDef,
    ) -> Result<(), AwsError> {
        self.apply(Action::PutScalingPolicy {
            resource_id: resource_id.into(),
            name: name.into(),
            policy: policy.clone(),
            target_group_arn: None,
        })
    }

    async fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteScalingPolicy {
            resource_id: resource_id.into(),
            name: name.into(),
        })
    }

    async fn put_scheduled_action(
        &self,
        resource_id: &str,
        name: &str,
        action: &ScheduledActionDef,
    ) -> Result<(), AwsError> {
        self.apply(Action::PutScheduledAction {
            resource_id: resource_id.into(),
            name: name.into(),
            action: action.clone(),
        })
    }

    async fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteScheduledAction {
            resource_id: resource_id.into(),
            name: name.into(),
        })
    }
}

#[async_trait]
impl aws::LoadBalancing for SimBackend {
    async fn resource_label(&self, target_group_arn: &str) -> Result<String, AwsError> {
        self.lock().requests_of(AwsOp::DescribeTargetGroups, None);
        let tg = target_group_arn
            .rsplit_once(':')
            .map_or(target_group_arn, |(_, t)| t);
        Ok(format!("app/sim/0000000000000000/{tg}"))
    }
}

#[async_trait]
impl aws::Scheduler for SimBackend {
    async fn get_schedule(
        &self,
        group: &str,
        name: &str,
    ) -> Result<Option<crate::plan::schedule::ObservedSchedule>, AwsError> {
        let mut sim = self.lock();
        sim.requests_of(AwsOp::GetSchedule, None);
        Ok(sim
            .schedules
            .get(&(group.to_owned(), name.to_owned()))
            .cloned())
    }

    async fn create_schedule(
        &self,
        body: &crate::plan::schedule::ScheduleBody,
    ) -> Result<String, AwsError> {
        self.apply(Action::CreateSchedule {
            body: Box::new(body.clone()),
        })?;
        self.lock()
            .schedules
            .get(&(body.group.clone(), body.name.clone()))
            .map(|s| s.arn.clone())
            .ok_or_else(|| AwsError::new(ErrorKind::Transient, AwsOp::CreateSchedule, "lost"))
    }

    async fn update_schedule(
        &self,
        body: &crate::plan::schedule::ScheduleBody,
    ) -> Result<(), AwsError> {
        self.apply(Action::UpdateSchedule {
            body: Box::new(body.clone()),
        })
    }

    async fn delete_schedule(&self, group: &str, name: &str) -> Result<(), AwsError> {
        self.apply(Action::DeleteSchedule {
            name: name.to_owned(),
            group: group.to_owned(),
        })
    }
}

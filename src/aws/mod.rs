//! The AWS boundary: one narrow trait per AWS service, with operator-level verbs in the
//! planner's own types, and one error type ([`AwsError`]) that classifies every failure.
//!
//! [`sdk`] implements the traits on the AWS SDK for Rust; [`instrument::Instrumented`] wraps any
//! implementation to count, trace or fault-inject calls, and [`instrument::Retried`] to retry
//! them in place ([`retry`]); tests also write fakes.

pub mod accounts;
pub mod call;
pub mod error;
pub mod instrument;
pub mod limits;
pub mod retry;
pub mod sdk;

use std::sync::Arc;

pub use crate::plan::op::{AwsOp, CallKind};
pub use error::{AwsError, ErrorKind};

use crate::plan::model::{
    ObservedCluster, ObservedLogGroup, ObservedRevision, ObservedRevisionSettings, ObservedRole,
    ObservedScaling, ObservedService, ObservedServiceDeployment, ObservedStoppedTask,
    ScheduledActionDef, ServiceBody, Tags, TargetTrackingDef, TaskDefBody,
};
use crate::plan::schedule::{ObservedSchedule, ScheduleBody};
use crate::plan::task::{DesiredStatus, ObservedTask, RunTaskBody, TaskFilter};
use crate::plan::ServiceUpdate;

instrument::aws_trait! {
    /// Amazon ECS: task definitions, clusters, services, tasks.
    pub trait Ecs {
        /// One page (at most 100) of the ARNs of ACTIVE task-definition revisions, oldest first:
        /// of `family` (which ECS matches as a prefix, so callers filter with
        /// [`revision_of_arn`]), or of every family in the account and region when `None`.
        /// `next_token` continues a listing; the page's own token is `None` on the last page.
        ListTaskDefinitions => fn list_revisions(
            &self,
            family: Option<&str>,
            next_token: Option<&str>
        ) -> RevisionPage;
        /// One revision with its tags, if ECS knows it.
        DescribeTaskDefinition => fn describe_revision(
            &self,
            arn: &str
        ) -> Option<ObservedRevision>;
        /// Registers a revision (roles given by ARN); returns its ARN.
        RegisterTaskDefinition => fn register_task_definition(
            &self,
            body: &TaskDefBody,
            tags: &Tags
        ) -> String;
        DeregisterTaskDefinition => fn deregister_task_definition(&self, arn: &str) -> ();
        /// Adds tags to a task definition, service or cluster.
        TagResource => fn tag_resource(&self, arn: &str, tags: &Tags) -> ();
        UntagResource => fn untag_resource(&self, arn: &str, keys: &[String]) -> ();
        /// The cluster, if it exists (any status).
        DescribeClusters => fn describe_cluster(&self, name: &str) -> Option<ObservedCluster>;
        CreateCluster => fn create_cluster(
            &self,
            name: &str,
            capacity_providers: &[String],
            tags: &Tags,
            container_insights: Option<&str>,
            service_connect_namespace: Option<&str>
        ) -> ();
        /// Sets the cluster's `containerInsights` setting.
        UpdateClusterSettings => fn update_cluster_settings(
            &self,
            name: &str,
            container_insights: &str
        ) -> ();
        /// Sets a cluster's default Service Connect namespace.
        UpdateCluster => fn update_cluster(
            &self,
            name: &str,
            service_connect_namespace: &str
        ) -> ();
        /// Up to 10 services of one cluster, with tags, deployments and events; names ECS does
        /// not know are left out.
        DescribeServices => fn describe_services(
            &self,
            cluster: &str,
            names: &[String]
        ) -> Vec<(String, ObservedService)>;
        /// Creates a service; returns its ARN.
        CreateService => fn create_service(
            &self,
            cluster: &str,
            name: &str,
            body: &ServiceBody,
            tags: &Tags,
            client_token: &str
        ) -> String;
        UpdateService => fn update_service(
            &self,
            cluster: &str,
            name: &str,
            update: &ServiceUpdate
        ) -> ();
        DeleteService => fn delete_service(&self, cluster: &str, name: &str) -> ();
        /// One page (at most 100) of the names of the account's clusters in this region.
        /// `next_token` continues a listing; the page's own token is `None` on the last page.
        ListClusters => fn list_clusters(&self, next_token: Option<&str>) -> NamePage;
        /// One page (at most 100) of the names of a cluster's services (ECS lists ACTIVE and
        /// DRAINING ones); none when the cluster does not exist.
        ListServices => fn list_services(
            &self,
            cluster: &str,
            next_token: Option<&str>
        ) -> NamePage;
        /// One page (at most 100) of the ARNs of a cluster's tasks that `filter` selects
        /// with desired status `desired`; none when the cluster does not exist.
        ListTasks => fn list_task_arns(
            &self,
            cluster: &str,
            filter: &TaskFilter,
            desired: DesiredStatus,
            next_token: Option<&str>
        ) -> NamePage;
        /// Up to 100 tasks of a cluster, with their containers and tags; ARNs ECS does not
        /// know (any more) are left out.
        DescribeTasks => fn describe_tasks(
            &self,
            cluster: &str,
            arns: &[String]
        ) -> Vec<ObservedTask>;
        /// Starts one attempt's tasks (with the body's client token); returns their ARNs.
        /// Tasks ECS could not place are an error naming why (those it did start carry the
        /// attempt's tags, so a later observation finds them).
        RunTask => fn run_task(&self, body: &RunTaskBody) -> Vec<String>;
        /// Stops a task; `reason` is what ECS shows as its stoppedReason.
        StopTask => fn stop_task(&self, cluster: &str, task_arn: &str, reason: &str) -> ();
        /// The newest service deployment of a service (ListServiceDeployments, then
        /// DescribeServiceDeployments of it), if ECS has one.
        ListServiceDeployments => fn latest_service_deployment(
            &self,
            cluster: &str,
            service: &str
        ) -> Option<ObservedServiceDeployment>;
        /// What the newest (by creation time) of the service revisions `arns` (at most 20,
        /// ECS's limit) says that DescribeServices does not; None if ECS knows none of them.
        DescribeServiceRevisions => fn service_revision_settings(
            &self,
            arns: &[String]
        ) -> Option<ObservedRevisionSettings>;
    }
    provided {
        /// The ACTIVE revisions of a family with their tags, oldest first: every page of
        /// [`Ecs::list_revisions`], then [`Ecs::describe_revision`] for each.
        async fn family_revisions(&self, family: &str) -> Result<Vec<ObservedRevision>, AwsError> {
            let mut out = vec![];
            for arn in self.family_revision_arns(family).await? {
                if let Some(r) = self.describe_revision(&arn).await? {
                    out.push(r);
                }
            }
            Ok(out)
        }
        /// The most recently stopped tasks of a service (at most `limit`), newest first: one
        /// page of [`Ecs::list_task_arns`], then [`Ecs::describe_tasks`] when it found any.
        async fn stopped_tasks(
            &self,
            cluster: &str,
            service: &str,
            limit: usize
        ) -> Result<Vec<ObservedStoppedTask>, AwsError> {
            let filter = TaskFilter::Service(service.to_owned());
            let page = self
                .list_task_arns(cluster, &filter, DesiredStatus::Stopped, None)
                .await?;
            if page.names.is_empty() {
                return Ok(vec![]);
            }
            let mut tasks = self.describe_tasks(cluster, &page.names).await?;
            // RFC 3339 times of one format sort as text.
            tasks.sort_by(|a, b| b.stopped_at.cmp(&a.stopped_at));
            Ok(tasks
                .into_iter()
                .take(limit)
                .map(|t| ObservedStoppedTask {
                    task_arn: t.task_arn,
                    stopped_reason: t.stopped_reason,
                    stop_code: t.stop_code,
                    stopped_at: t.stopped_at,
                })
                .collect())
        }
        /// Every ARN of a cluster's tasks `filter` selects with desired status `desired`.
        async fn all_task_arns(
            &self,
            cluster: &str,
            filter: &TaskFilter,
            desired: DesiredStatus
        ) -> Result<Vec<String>, AwsError> {
            every_page(|token| async move {
                let page = self
                    .list_task_arns(cluster, filter, desired, token.as_deref())
                    .await?;
                Ok((page.names, page.next_token))
            })
            .await
        }
        /// The ARNs of a family's ACTIVE revisions, oldest first (every page).
        async fn family_revision_arns(&self, family: &str) -> Result<Vec<String>, AwsError> {
            let arns = every_page(|token| async move {
                let page = self.list_revisions(Some(family), token.as_deref()).await?;
                Ok((page.arns, page.next_token))
            })
            .await?;
            Ok(arns
                .into_iter()
                .filter(|a| revision_of_arn(a).is_some_and(|(f, _)| f == family))
                .collect())
        }
    }
}

/// A page of [`Ecs::list_revisions`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RevisionPage {
    pub arns: Vec<String>,
    /// Where the next page starts; `None` on the last page.
    pub next_token: Option<String>,
}

/// A page of [`Ecs::list_clusters`], [`Ecs::list_services`] or [`Ecs::list_task_arns`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamePage {
    pub names: Vec<String>,
    /// Where the next page starts; `None` on the last page.
    pub next_token: Option<String>,
}

pub use crate::api::revision_of_arn;

/// Every item of a listing read one page at a time: `page` gets the next token (`None`
/// first) and returns the page's items and its own next token (`None` on the last page).
pub async fn every_page<T, F, Fut>(mut page: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut all = vec![];
    let mut token = None;
    loop {
        let (items, next) = page(token).await?;
        all.extend(items);
        match next {
            Some(t) => token = Some(t),
            None => return Ok(all),
        }
    }
}

/// Parameters of a role to create.
#[derive(Clone, Copy, Debug)]
pub struct NewRole<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub trust_policy: &'a serde_json::Value,
    pub permissions_boundary: Option<&'a str>,
    pub description: &'a str,
    pub tags: &'a Tags,
}

instrument::aws_trait! {
    /// AWS IAM: the roles the operator manages.
    pub trait Iam {
        /// The role with its tags, boundary, attached and inline policies, if it exists.
        GetRole => fn get_role(&self, name: &str) -> Option<ObservedRole>;
        /// Creates a role; returns its ARN.
        CreateRole => fn create_role(&self, role: NewRole<'_>) -> String;
        UpdateAssumeRolePolicy => fn update_assume_role_policy(
            &self,
            role: &str,
            policy: &serde_json::Value
        ) -> ();
        PutRolePermissionsBoundary => fn put_role_permissions_boundary(
            &self,
            role: &str,
            arn: &str
        ) -> ();
        DeleteRolePermissionsBoundary => fn delete_role_permissions_boundary(
            &self,
            role: &str
        ) -> ();
        AttachRolePolicy => fn attach_role_policy(&self, role: &str, policy_arn: &str) -> ();
        DetachRolePolicy => fn detach_role_policy(&self, role: &str, policy_arn: &str) -> ();
        PutRolePolicy => fn put_role_policy(
            &self,
            role: &str,
            name: &str,
            document: &serde_json::Value
        ) -> ();
        DeleteRolePolicy => fn delete_role_policy(&self, role: &str, name: &str) -> ();
        TagRole => fn tag_role(&self, role: &str, tags: &Tags) -> ();
        DeleteRole => fn delete_role(&self, role: &str) -> ();
    }
}

instrument::aws_trait! {
    /// Amazon CloudWatch Logs: the tasks' log groups.
    pub trait Logs {
        /// The log group (exact name) with its retention and tags, if it exists.
        DescribeLogGroups => fn describe_log_group(&self, name: &str) -> Option<ObservedLogGroup>;
        CreateLogGroup => fn create_log_group(&self, name: &str, tags: &Tags) -> ();
        PutRetentionPolicy => fn put_retention_policy(&self, name: &str, days: i32) -> ();
        DeleteRetentionPolicy => fn delete_retention_policy(&self, name: &str) -> ();
        DeleteLogGroup => fn delete_log_group(&self, name: &str) -> ();
    }
}

instrument::aws_trait! {
    /// Application Auto Scaling for ECS services' desired count.
    pub trait Scaling {
        /// Scalable target, policies and scheduled actions of `service/<cluster>/<service>`:
        /// only items whose ResourceId is `resource_id` exactly, in the `ecs` namespace, on
        /// `ecs:service:DesiredCount`, whatever the backend's filter returned. Policies and
        /// scheduled actions carry no ownership tags, so this is their only ownership proof.
        DescribeScalableTargets => fn describe(&self, resource_id: &str) -> ObservedScaling;
        RegisterScalableTarget => fn register_scalable_target(
            &self,
            resource_id: &str,
            min: i32,
            max: i32
        ) -> ();
        DeregisterScalableTarget => fn deregister_scalable_target(&self, resource_id: &str) -> ();
        /// Puts a target-tracking policy; `policy.resource_label` is the full label.
        PutScalingPolicy => fn put_scaling_policy(
            &self,
            resource_id: &str,
            name: &str,
            policy: &TargetTrackingDef
        ) -> ();
        DeleteScalingPolicy => fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> ();
        PutScheduledAction => fn put_scheduled_action(
            &self,
            resource_id: &str,
            name: &str,
            action: &ScheduledActionDef
        ) -> ();
        DeleteScheduledAction => fn delete_scheduled_action(
            &self,
            resource_id: &str,
            name: &str
        ) -> ();
    }
}

instrument::aws_trait! {
    /// Elastic Load Balancing v2, read only: what request-count scaling needs.
    pub trait LoadBalancing {
        /// The `ALBRequestCountPerTarget` resource label of a target group:
        /// `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`.
        DescribeTargetGroups => fn resource_label(&self, target_group_arn: &str) -> String;
    }
}

instrument::aws_trait! {
    /// Amazon EventBridge Scheduler: scheduled FargateTasks' schedules.
    pub trait Scheduler {
        /// The schedule `name` of `group`, if it exists (the answer's group and name are
        /// re-checked exactly).
        GetSchedule => fn get_schedule(&self, group: &str, name: &str) -> Option<ObservedSchedule>;
        /// Creates a schedule (its role given by ARN); returns its ARN.
        CreateSchedule => fn create_schedule(&self, body: &ScheduleBody) -> String;
        /// Replaces a schedule's settings with `body`'s (its role given by ARN).
        UpdateSchedule => fn update_schedule(&self, body: &ScheduleBody) -> ();
        DeleteSchedule => fn delete_schedule(&self, group: &str, name: &str) -> ();
    }
}

/// The AWS clients the operator uses, shared by every reconcile.
#[derive(Clone)]
pub struct Aws {
    pub ecs: Arc<dyn Ecs>,
    pub iam: Arc<dyn Iam>,
    pub logs: Arc<dyn Logs>,
    pub scaling: Arc<dyn Scaling>,
    pub elb: Arc<dyn LoadBalancing>,
    pub scheduler: Arc<dyn Scheduler>,
}

impl Aws {
    /// Wraps every client with `hook` (counting, tracing, fault injection).
    pub fn instrumented(self, hook: Arc<dyn instrument::CallHook>) -> Self {
        use instrument::Instrumented;
        Self {
            ecs: Arc::new(Instrumented::new(self.ecs, hook.clone())),
            iam: Arc::new(Instrumented::new(self.iam, hook.clone())),
            logs: Arc::new(Instrumented::new(self.logs, hook.clone())),
            scaling: Arc::new(Instrumented::new(self.scaling, hook.clone())),
            elb: Arc::new(Instrumented::new(self.elb, hook.clone())),
            scheduler: Arc::new(Instrumented::new(self.scheduler, hook)),
        }
    }

    /// Wraps every client so a failed call is retried in place as `policy` allows
    /// ([`retry`] says which failures are).
    pub fn retried(self, policy: retry::RetryPolicy) -> Self {
        use instrument::Retried;
        Self {
            ecs: Arc::new(Retried::new(self.ecs, policy)),
            iam: Arc::new(Retried::new(self.iam, policy)),
            logs: Arc::new(Retried::new(self.logs, policy)),
            scaling: Arc::new(Retried::new(self.scaling, policy)),
            elb: Arc::new(Retried::new(self.elb, policy)),
            scheduler: Arc::new(Retried::new(self.scheduler, policy)),
        }
    }
}

//! Amazon ECS on the SDK.

use async_trait::async_trait;
use aws_sdk_ecs as ecs;

use super::ecs_convert::*;
use super::{found, invalid, send};
use crate::aws::limits::RateLimits;
use crate::aws::{self as aws, AwsError, AwsOp, NamePage, RevisionPage};
use crate::plan::model::*;
use crate::plan::task::{DesiredStatus, ObservedTask, RunTaskBody, TaskFilter};
use crate::plan::ServiceUpdate;
use std::sync::Arc;

/// ECS on the SDK.
pub struct SdkEcs(pub ecs::Client, pub Arc<RateLimits>);

/// The name in a cluster ARN (`arn:aws:ecs:<region>:<account>:cluster/<name>`).
fn cluster_of_arn(arn: &str) -> Option<&str> {
    arn.split_once(":cluster/").map(|(_, name)| name)
}

/// The service name in a service ARN of `cluster`: `.../service/<cluster>/<name>`, or the
/// old format without the cluster (`.../service/<name>`). An ARN naming another cluster is
/// `None`.
fn service_of_arn<'a>(arn: &'a str, cluster: &str) -> Option<&'a str> {
    let (_, rest) = arn.split_once(":service/")?;
    match rest.split_once('/') {
        Some((c, name)) => (c == cluster).then_some(name),
        None => Some(rest),
    }
}

#[async_trait]
impl aws::Ecs for SdkEcs {
    async fn list_revisions(
        &self,
        family: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<RevisionPage, AwsError> {
        let page = send(
            &self.1,
            AwsOp::ListTaskDefinitions,
            self.0
                .list_task_definitions()
                .set_family_prefix(family.map(str::to_owned))
                .status(ecs::types::TaskDefinitionStatus::Active)
                .sort(ecs::types::SortOrder::Asc)
                .max_results(100)
                .set_next_token(next_token.map(str::to_owned))
                .send(),
        )
        .await?;
        Ok(RevisionPage {
            arns: page.task_definition_arns().to_vec(),
            next_token: page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        })
    }

    async fn describe_revision(&self, arn: &str) -> Result<Option<ObservedRevision>, AwsError> {
        let Some((_, revision)) = aws::revision_of_arn(arn) else {
            return Err(invalid(
                AwsOp::DescribeTaskDefinition,
                format!("{arn} is not a task-definition revision ARN"),
            ));
        };
        let Some(d) = found(
            send(
                &self.1,
                AwsOp::DescribeTaskDefinition,
                self.0
                    .describe_task_definition()
                    .task_definition(arn)
                    .include(ecs::types::TaskDefinitionField::Tags)
                    .send(),
            )
            .await,
        )?
        else {
            return Ok(None);
        };
        Ok(d.task_definition().map(|td| ObservedRevision {
            arn: arn.to_owned(),
            revision,
            body: task_definition_from_sdk(td),
            tags: from_ecs_tags(d.tags()),
            registered_at: rfc3339(td.registered_at()),
        }))
    }

    async fn register_task_definition(
        &self,
        body: &TaskDefBody,
        tags: &Tags,
    ) -> Result<String, AwsError> {
        const OP: AwsOp = AwsOp::RegisterTaskDefinition;
        let request =
            register_task_definition_request(self.0.register_task_definition(), body, tags)?;
        let out = send(&self.1, OP, request.send()).await?;
        out.task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_owned)
            .ok_or_else(|| invalid(OP, "response had no task definition ARN"))
    }

    async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeregisterTaskDefinition,
            self.0
                .deregister_task_definition()
                .task_definition(arn)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn tag_resource(&self, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::TagResource,
            self.0
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(ecs_tags(tags)))
                .send(),
        )
        .await
        .map(drop)
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::UntagResource,
            self.0
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys.to_vec()))
                .send(),
        )
        .await
        .map(drop)
    }

    async fn describe_cluster(&self, name: &str) -> Result<Option<ObservedCluster>, AwsError> {
        let out = send(
            &self.1,
            AwsOp::DescribeClusters,
            self.0
                .describe_clusters()
                .clusters(name)
                .include(ecs::types::ClusterField::Tags)
                .include(ecs::types::ClusterField::Settings)
                .send(),
        )
        .await?;
        Ok(out.clusters().first().map(|c| ObservedCluster {
            arn: c.cluster_arn().unwrap_or_default().to_owned(),
            status: c.status().unwrap_or_default().to_owned(),
            capacity_providers: c.capacity_providers().to_vec(),
            tags: from_ecs_tags(c.tags()),
            container_insights: container_insights_from_sdk(c.settings()),
            service_connect_namespace: c
                .service_connect_defaults()
                .and_then(|d| d.namespace())
                .map(str::to_owned),
        }))
    }

    async fn create_cluster(
        &self,
        name: &str,
        capacity_providers: &[String],
        tags: &Tags,
        container_insights: Option<&str>,
        service_connect_namespace: Option<&str>,
    ) -> Result<(), AwsError> {
        let defaults = service_connect_namespace
            .map(|ns| service_connect_defaults(AwsOp::CreateCluster, ns))
            .transpose()?;
        send(
            &self.1,
            AwsOp::CreateCluster,
            create_cluster_request(
                self.0.create_cluster(),
                name,
                capacity_providers,
                tags,
                container_insights,
            )
            .set_service_connect_defaults(defaults)
            .send(),
        )
        .await
        .map(drop)
    }

    async fn update_cluster_settings(
        &self,
        name: &str,
        container_insights: &str,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::UpdateClusterSettings,
            self.0
                .update_cluster_settings()
                .cluster(name)
                .settings(container_insights_setting(container_insights))
                .send(),
        )
        .await
        .map(drop)
    }

    async fn update_cluster(
        &self,
        name: &str,
        service_connect_namespace: &str,
    ) -> Result<(), AwsError> {
        let defaults = service_connect_defaults(AwsOp::UpdateCluster, service_connect_namespace)?;
        send(
            &self.1,
            AwsOp::UpdateCluster,
            self.0
                .update_cluster()
                .cluster(name)
                .service_connect_defaults(defaults)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<(String, ObservedService)>, AwsError> {
        let out = found(
            send(
                &self.1,
                AwsOp::DescribeServices,
                self.0
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(names.to_vec()))
                    .include(ecs::types::ServiceField::Tags)
                    .send(),
            )
            .await,
        )?;
        Ok(out
            .iter()
            .flat_map(|o| o.services())
            .map(|s| {
                (
                    s.service_name().unwrap_or_default().to_owned(),
                    service_from_sdk(s),
                )
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
        const OP: AwsOp = AwsOp::CreateService;
        let request = create_service_request(self.0.create_service(), cluster, name, body, tags)?
            .client_token(client_token);
        let out = send(&self.1, OP, request.send()).await?;
        out.service()
            .and_then(|s| s.service_arn())
            .map(str::to_owned)
            .ok_or_else(|| invalid(OP, "response had no service ARN"))
    }

    async fn update_service(
        &self,
        cluster: &str,
        name: &str,
        u: &ServiceUpdate,
    ) -> Result<(), AwsError> {
        let request = update_service_request(self.0.update_service(), cluster, name, u)?;
        send(&self.1, AwsOp::UpdateService, request.send())
            .await
            .map(drop)
    }

    async fn delete_service(&self, cluster: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteService,
            self.0
                .delete_service()
                .cluster(cluster)
                .service(name)
                .force(true)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn list_clusters(&self, next_token: Option<&str>) -> Result<NamePage, AwsError> {
        let page = send(
            &self.1,
            AwsOp::ListClusters,
            self.0
                .list_clusters()
                .max_results(100)
                .set_next_token(next_token.map(str::to_owned))
                .send(),
        )
        .await?;
        Ok(NamePage {
            names: page
                .cluster_arns()
                .iter()
                .filter_map(|arn| cluster_of_arn(arn))
                .map(str::to_owned)
                .collect(),
            next_token: page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        })
    }

    async fn list_services(
        &self,
        cluster: &str,
        next_token: Option<&str>,
    ) -> Result<NamePage, AwsError> {
        let Some(page) = found(
            send(
                &self.1,
                AwsOp::ListServices,
                self.0
                    .list_services()
                    .cluster(cluster)
                    .max_results(100)
                    .set_next_token(next_token.map(str::to_owned))
                    .send(),
            )
            .await,
        )?
        else {
            return Ok(NamePage::default());
        };
        Ok(NamePage {
            names: page
                .service_arns()
                .iter()
                .filter_map(|arn| service_of_arn(arn, cluster))
                .map(str::to_owned)
                .collect(),
            next_token: page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        })
    }

    async fn list_task_arns(
        &self,
        cluster: &str,
        filter: &TaskFilter,
        desired: DesiredStatus,
        next_token: Option<&str>,
    ) -> Result<NamePage, AwsError> {
        let (mut service, mut started_by, mut family) = (None, None, None);
        match filter {
            TaskFilter::Service(s) => service = Some(s.clone()),
            TaskFilter::StartedBy(s) => started_by = Some(s.clone()),
            TaskFilter::Family(f) => family = Some(f.clone()),
        }
        let desired = match desired {
            DesiredStatus::Running => ecs::types::DesiredStatus::Running,
            DesiredStatus::Stopped => ecs::types::DesiredStatus::Stopped,
        };
        let listed = found(
            send(
                &self.1,
                AwsOp::ListTasks,
                self.0
                    .list_tasks()
                    .cluster(cluster)
                    .set_service_name(service)
                    .set_started_by(started_by)
                    .set_family(family)
                    .desired_status(desired)
                    .max_results(100)
                    .set_next_token(next_token.map(str::to_owned))
                    .send(),
            )
            .await,
        )?;
        Ok(listed.map_or_else(NamePage::default, |l| NamePage {
            names: l.task_arns().to_vec(),
            next_token: l.next_token().filter(|t| !t.is_empty()).map(str::to_owned),
        }))
    }

    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ObservedTask>, AwsError> {
        let described = send(
            &self.1,
            AwsOp::DescribeTasks,
            self.0
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(arns.iter().take(100).cloned().collect()))
                .include(ecs::types::TaskField::Tags)
                .send(),
        )
        .await?;
        // Only the tasks asked for (a backend's answer is re-checked, like every filter).
        Ok(described
            .tasks()
            .iter()
            .map(super::ecs_tasks::task_from_sdk)
            .filter(|t| arns.contains(&t.task_arn))
            .collect())
    }

    async fn run_task(&self, body: &RunTaskBody) -> Result<Vec<String>, AwsError> {
        let request = super::ecs_tasks::run_task_request(&self.0, body)?;
        let out = send(&self.1, AwsOp::RunTask, request.send()).await?;
        super::ecs_tasks::run_task_result(&out)
    }

    async fn stop_task(&self, cluster: &str, task_arn: &str, reason: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::StopTask,
            self.0
                .stop_task()
                .cluster(cluster)
                .task(task_arn)
                .reason(reason)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn latest_service_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<ObservedServiceDeployment>, AwsError> {
        // The API reference documents no order: the newest of the first page (20, ECS's
        // default) by creation time.
        let listed = found(
            send(
                &self.1,
                AwsOp::ListServiceDeployments,
                self.0
                    .list_service_deployments()
                    .cluster(cluster)
                    .service(service)
                    .max_results(20)
                    .send(),
            )
            .await,
        )?;
        let Some(arn) = listed
            .iter()
            .flat_map(|l| l.service_deployments())
            .max_by_key(|d| d.created_at().copied())
            .and_then(|d| d.service_deployment_arn())
            .map(str::to_owned)
        else {
            return Ok(None);
        };
        let described = send(
            &self.1,
            AwsOp::DescribeServiceDeployments,
            self.0
                .describe_service_deployments()
                .service_deployment_arns(arn)
                .send(),
        )
        .await?;
        Ok(described
            .service_deployments()
            .first()
            .map(service_deployment_from_sdk))
    }

    async fn service_revision_settings(
        &self,
        arns: &[String],
    ) -> Result<Option<ObservedRevisionSettings>, AwsError> {
        let out = send(
            &self.1,
            AwsOp::DescribeServiceRevisions,
            self.0
                .describe_service_revisions()
                .set_service_revision_arns(Some(arns.to_vec()))
                .send(),
        )
        .await?;
        Ok(out
            .service_revisions()
            .iter()
            .max_by_key(|r| r.created_at().copied())
            .map(revision_settings_from_sdk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_arns_give_names_of_exactly_the_cluster_asked() {
        let arn = |rest: &str| format!("arn:aws:ecs:us-east-1:123456789012:{rest}");
        assert_eq!(cluster_of_arn(&arn("cluster/shop")), Some("shop"));
        assert_eq!(
            service_of_arn(&arn("service/shop/shop-web-api"), "shop"),
            Some("shop-web-api")
        );
        // A cluster whose name ends like the one asked is another cluster.
        assert_eq!(service_of_arn(&arn("service/bigshop/web"), "shop"), None);
        // The old ARN format has no cluster in it.
        assert_eq!(service_of_arn(&arn("service/web"), "shop"), Some("web"));
    }
}

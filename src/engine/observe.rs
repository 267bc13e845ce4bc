//! Observe: read everything an object owns from AWS into the planner's observed types.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::names::{resource_id, TaskDefinitionLookups};
use crate::api::REVISION_SETTINGS_TAG;
use crate::aws::{every_page, Aws, AwsError};
use crate::plan::model::{
    ObservedCluster, ObservedFargateService, ObservedRole, ObservedService, ObservedTaskDefinition,
};

/// DescribeServices takes at most this many services per call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;

/// Stopped tasks reported on a FargateService's status.
pub const STOPPED_TASKS_SHOWN: usize = 5;

/// A TaskDefinition's family revisions, log groups and managed roles. `in_use`: revision
/// ARNs some ECS service still runs (the caller knows which services it watches).
pub async fn observe_task_definition(
    aws: &Aws,
    lookups: &TaskDefinitionLookups,
    in_use: BTreeSet<String>,
) -> Result<ObservedTaskDefinition, AwsError> {
    let mut observed = observe_log_groups_and_roles(aws, lookups).await?;
    observed.in_use = in_use;
    observed.revisions = aws.ecs.family_revisions(&lookups.family).await?;
    Ok(observed)
}

/// A TaskDefinition's log groups and managed roles (revisions and `in_use` left empty).
pub async fn observe_log_groups_and_roles(
    aws: &Aws,
    lookups: &TaskDefinitionLookups,
) -> Result<ObservedTaskDefinition, AwsError> {
    let mut observed = ObservedTaskDefinition::default();
    for group in &lookups.log_groups {
        if let Some(g) = aws.logs.describe_log_group(group).await? {
            observed.log_groups.insert(group.clone(), g);
        }
    }
    observed.roles = observe_roles(aws, &lookups.roles).await?;
    Ok(observed)
}

/// The managed roles of `names` that exist, by name.
pub async fn observe_roles(
    aws: &Aws,
    names: impl IntoIterator<Item = &String>,
) -> Result<BTreeMap<String, ObservedRole>, AwsError> {
    let mut out = BTreeMap::new();
    for name in names {
        if let Some(r) = aws.iam.get_role(name).await? {
            out.insert(name.clone(), r);
        }
    }
    Ok(out)
}

/// Whether a service's tasks look unhealthy enough to read why tasks stopped.
fn wants_stopped_tasks(s: &ObservedService) -> bool {
    s.status == "ACTIVE"
        && (s.running_count < s.body.desired_count
            || s.deployments.iter().any(|d| d.failed_tasks > 0))
}

/// Whether ECS is rolling out a deployment of the service, with any strategy (one of its
/// deployments is IN_PROGRESS: a rollout, or a rollback). Only then is its service
/// deployment read (its stage, traffic split, rollback), so a steady service costs no extra
/// reads.
pub fn wants_service_deployment(s: &ObservedService) -> bool {
    s.status == "ACTIVE"
        && s.deployments
            .iter()
            .any(|d| d.rollout_state.as_deref() == Some("IN_PROGRESS"))
}

/// The newest service deployment, for the status only: a failed read (ECS cannot describe
/// deployments of service revisions from before 25 October 2024, emulators have none) is
/// logged and reads as none, so it never stops the service from being reconciled.
pub async fn read_service_deployment(
    aws: &Aws,
    cluster: &str,
    name: &str,
) -> Option<crate::plan::model::ObservedServiceDeployment> {
    match aws.ecs.latest_service_deployment(cluster, name).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(%cluster, service = %name, error = %e, "reading the service deployment failed; the status shows no rollout stage");
            None
        }
    }
}

/// Fills in what only the service revision reports (`monitoring`, `gatewayConnectors`), from the newest of the
/// service's current revisions, when the service carries [`REVISION_SETTINGS_TAG`]: the
/// operator tags a service whose spec sets such a setting, or whose revision still has one,
/// so a service that uses none costs no extra read (see the steady-state request counts in
/// BENCHMARKS.md and tests/controller.rs).
async fn read_revision_settings(aws: &Aws, s: &mut ObservedService) -> Result<(), AwsError> {
    if s.status != "ACTIVE"
        || s.revision_arns.is_empty()
        || !s.tags.contains_key(REVISION_SETTINGS_TAG)
    {
        return Ok(());
    }
    // ECS describes at most 20 revisions per call; a service has one or, mid-rollout, two.
    let arns = &s.revision_arns[..s.revision_arns.len().min(20)];
    if let Some(r) = aws.ecs.service_revision_settings(arns).await? {
        s.body.monitoring = r.monitoring;
        s.body.gateway_connectors = r.gateway_connectors;
    }
    Ok(())
}

/// Services of one cluster by name, with the cluster, autoscaling and (when tasks are
/// missing or failing) recently stopped tasks. DescribeServices is batched by
/// [`DESCRIBE_SERVICES_BATCH`]; names ECS does not know come back with `service: None`.
pub async fn observe_services(
    aws: &Aws,
    cluster: &str,
    names: &[String],
) -> Result<BTreeMap<String, ObservedFargateService>, AwsError> {
    let cluster_state = aws.ecs.describe_cluster(cluster).await?;
    observe_services_in(aws, cluster, cluster_state.as_ref(), names, |_| false).await
}

/// [`observe_services`] with the cluster already observed; the autoscaling of the services
/// `scaling_in_sync` answers `true` for is not read (`scaling` None).
pub async fn observe_services_in(
    aws: &Aws,
    cluster: &str,
    cluster_state: Option<&ObservedCluster>,
    names: &[String],
    scaling_in_sync: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, ObservedFargateService>, AwsError> {
    let mut services: BTreeMap<String, ObservedService> = BTreeMap::new();
    let cluster_live = cluster_state
        .as_ref()
        .is_some_and(|c| c.status != "INACTIVE");
    if cluster_live {
        for chunk in names.chunks(DESCRIBE_SERVICES_BATCH) {
            services.extend(aws.ecs.describe_services(cluster, chunk).await?);
        }
    }
    let mut out = BTreeMap::new();
    for name in names {
        let mut service = services.remove(name);
        if let Some(s) = &mut service {
            read_revision_settings(aws, s).await?;
        }
        let live = service.as_ref().is_some_and(|s| s.status != "INACTIVE");
        let scaling = if !live {
            Some(Default::default())
        } else if scaling_in_sync(name) {
            None
        } else {
            Some(aws.scaling.describe(&resource_id(cluster, name)).await?)
        };
        let stopped_tasks = match &service {
            Some(s) if wants_stopped_tasks(s) => {
                aws.ecs
                    .stopped_tasks(cluster, name, STOPPED_TASKS_SHOWN)
                    .await?
            }
            _ => vec![],
        };
        let service_deployment = match &service {
            Some(s) if wants_service_deployment(s) => {
                read_service_deployment(aws, cluster, name).await
            }
            _ => None,
        };
        out.insert(
            name.clone(),
            ObservedFargateService {
                cluster: cluster_state.cloned(),
                service,
                scaling,
                stopped_tasks,
                service_deployment,
                roles: BTreeMap::new(),
                pre_deploy: None,
            },
        );
    }
    Ok(out)
}

/// An ECS service: `(cluster, name)`.
pub type ServiceKey = (String, String);

/// Who runs each revision: revision ARN → `ECS service <cluster>/<name>` (or, from the
/// controller's cache, `FargateService <namespace>/<name>`).
pub type RevisionUsers = BTreeMap<String, BTreeSet<String>>;

/// The revisions an ECS service runs or deploys: its task definition and every deployment's.
fn revisions_of(s: &ObservedService) -> impl Iterator<Item = String> + '_ {
    std::iter::once(s.body.task_definition.to_string())
        .chain(s.deployments.iter().map(|d| d.task_definition.clone()))
}

/// Every ECS service of the account and region: ListClusters, then ListServices of each
/// cluster (every page of both). Read-only and account-wide, so made only when a cleanup is
/// about to delete something (see [`family_users`]).
pub async fn all_services(aws: &Aws) -> Result<BTreeSet<ServiceKey>, AwsError> {
    let clusters = every_page(|token| async move {
        let page = aws.ecs.list_clusters(token.as_deref()).await?;
        Ok((page.names, page.next_token))
    })
    .await?;
    let mut out = BTreeSet::new();
    for cluster in clusters {
        let cluster = cluster.as_str();
        let names = every_page(|token| async move {
            let page = aws.ecs.list_services(cluster, token.as_deref()).await?;
            Ok((page.names, page.next_token))
        })
        .await?;
        out.extend(names.into_iter().map(|n| (cluster.to_owned(), n)));
    }
    Ok(out)
}

/// Which of `services` run or deploy a revision of `family` (exactly: ECS matches families
/// by prefix, this does not), and which revisions, read with DescribeServices (10 services
/// per call). Only ACTIVE services count, as in `delete`: a deleted service drains, its
/// tasks are stopping. Services ECS does not know are skipped.
pub async fn family_users(
    aws: &Aws,
    family: &str,
    services: &BTreeSet<ServiceKey>,
) -> Result<(RevisionUsers, BTreeSet<ServiceKey>), AwsError> {
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (cluster, name) in services {
        by_cluster.entry(cluster).or_default().push(name.clone());
    }
    let mut users = RevisionUsers::new();
    let mut running = BTreeSet::new();
    for (cluster, names) in by_cluster {
        for chunk in names.chunks(DESCRIBE_SERVICES_BATCH) {
            for (name, s) in aws.ecs.describe_services(cluster, chunk).await? {
                if s.status != "ACTIVE" {
                    continue;
                }
                for arn in revisions_of(&s) {
                    if crate::aws::revision_of_arn(&arn).is_some_and(|(f, _)| f == family) {
                        users
                            .entry(arn)
                            .or_default()
                            .insert(format!("ECS service {cluster}/{name}"));
                        running.insert((cluster.to_owned(), name.clone()));
                    }
                }
            }
        }
    }
    Ok((users, running))
}

/// Revision ARNs that services run: each live service's task definition and every
/// deployment's.
pub fn revisions_in_use<'a>(
    services: impl IntoIterator<Item = &'a ObservedFargateService>,
) -> BTreeSet<String> {
    services
        .into_iter()
        .filter_map(|o| o.service.as_ref())
        .filter(|s| s.status == "ACTIVE" || s.status == "DRAINING")
        .flat_map(revisions_of)
        .collect()
}

//! The AWS traits on the AWS SDK for Rust. Each call is a tracing span and every error is
//! classified into an [`AwsError`]; conversions to and from the planner's types live here.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_applicationautoscaling as aas;
use aws_sdk_cloudwatchlogs as cwl;
use aws_sdk_ecs as ecs;
use aws_sdk_elasticloadbalancingv2 as elbv2;
use aws_sdk_iam as iam;
use tracing::Instrument;

use super::limits::{Limits, RateLimits};

use super::error::from_sdk;
use super::{Aws, AwsError, ErrorKind, NewRole};
use crate::plan::model::*;
use crate::plan::ServiceUpdate;

/// Where and how to reach AWS.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    /// Region; None uses the standard chain (`AWS_REGION`, profile, IMDS).
    pub region: Option<String>,
    /// Endpoint for every service (a local emulator); None uses `AWS_ENDPOINT_URL` or AWS.
    pub endpoint_url: Option<String>,
    /// Client-side rate limits per API category.
    pub limits: Limits,
}

/// Loads the standard credential chain and region, and builds the SDK clients.
///
/// The SDK makes one attempt per request, bounded in time: retrying is the caller's
/// ([`Aws::retried`]), so that every attempt waits for a rate-limit token and one policy
/// decides which failures are safe to repeat.
pub async fn connect(settings: &AwsSettings) -> (Aws, String) {
    crate::tls::install_crypto_provider();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_attempt_timeout(std::time::Duration::from_secs(30))
                .build(),
        );
    if let Some(r) = &settings.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(e) = &settings.endpoint_url {
        loader = loader.endpoint_url(e.clone());
    }
    let conf = loader.load().await;
    let region = conf
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let limits = Arc::new(RateLimits::new(&settings.limits));
    (from_config_limited(&conf, limits), region)
}

/// The SDK clients of one shared configuration, with the default client-side rate limits.
pub fn from_config(conf: &aws_config::SdkConfig) -> Aws {
    from_config_limited(conf, Arc::new(RateLimits::new(&Limits::default())))
}

/// The SDK clients of one shared configuration; every request first waits for a token of
/// its category in `limits`.
pub fn from_config_limited(conf: &aws_config::SdkConfig, limits: Arc<RateLimits>) -> Aws {
    crate::tls::install_crypto_provider();
    Aws {
        ecs: Arc::new(SdkEcs(ecs::Client::new(conf), limits.clone())),
        iam: Arc::new(SdkIam(iam::Client::new(conf), limits.clone())),
        logs: Arc::new(SdkLogs(cwl::Client::new(conf), limits.clone())),
        scaling: Arc::new(SdkScaling(aas::Client::new(conf), limits.clone())),
        elb: Arc::new(SdkElb(elbv2::Client::new(conf), limits)),
    }
}

/// Sends one SDK request inside a span, classifying its error, once its rate-limit bucket
/// has a token.
async fn send<T, E>(
    limits: &RateLimits,
    operation: &'static str,
    request: impl Future<Output = Result<T, ecs::error::SdkError<E>>>,
) -> Result<T, AwsError>
where
    E: ecs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    limits.acquire(operation).await;
    let span = tracing::debug_span!("aws", operation);
    let result = request
        .instrument(span.clone())
        .await
        .map_err(|e| from_sdk(operation, e));
    if let Err(e) = &result {
        span.in_scope(|| tracing::debug!(kind = ?e.kind, error = %e.message, "AWS call failed"));
    }
    result
}

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

/// NotFound → None.
fn found<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn invalid(operation: &'static str, e: impl std::fmt::Display) -> AwsError {
    AwsError::new(ErrorKind::Invalid, operation, e.to_string())
}

fn rfc3339(t: Option<&ecs::primitives::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(ecs::primitives::DateTimeFormat::DateTime).ok())
}

/// IAM returns policy documents URL-encoded; emulators sometimes do not.
fn policy_json(doc: &str) -> serde_json::Value {
    serde_json::from_str(doc)
        .or_else(|_| {
            let decoded = urlencoding::decode(doc).map(|d| d.into_owned());
            serde_json::from_str(&decoded.unwrap_or_default())
        })
        .unwrap_or(serde_json::Value::Null)
}

// ---------------------------------------------------------------- ECS

/// ECS on the SDK.
pub struct SdkEcs(pub ecs::Client, pub Arc<RateLimits>);

fn ecs_tags(tags: &Tags) -> Vec<ecs::types::Tag> {
    tags.iter()
        .map(|(k, v)| ecs::types::Tag::builder().key(k).value(v).build())
        .collect()
}

fn from_ecs_tags(tags: &[ecs::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn role_arn(op: &'static str, role: &Option<RoleRef>) -> Result<Option<String>, AwsError> {
    match role {
        None => Ok(None),
        Some(RoleRef::Arn(a)) => Ok(Some(a.clone())),
        Some(RoleRef::Managed(name)) => Err(invalid(
            op,
            format!("managed role {name} has no ARN yet (it must be created first)"),
        )),
    }
}

fn container_to_sdk(
    op: &'static str,
    c: &ContainerDef,
) -> Result<ecs::types::ContainerDefinition, AwsError> {
    use ecs::types as t;
    let mut b = t::ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .set_essential(c.essential)
        .set_command((!c.command.is_empty()).then(|| c.command.clone()))
        .set_entry_point((!c.entry_point.is_empty()).then(|| c.entry_point.clone()))
        .set_working_directory(c.working_directory.clone())
        .set_user(c.user.clone())
        .set_readonly_root_filesystem(c.readonly_root_filesystem);
    for (name, value) in &c.environment {
        b = b.environment(t::KeyValuePair::builder().name(name).value(value).build());
    }
    for (name, from) in &c.secrets {
        b = b.secrets(
            t::Secret::builder()
                .name(name)
                .value_from(from)
                .build()
                .map_err(|e| invalid(op, e))?,
        );
    }
    for p in &c.port_mappings {
        b = b.port_mappings(
            t::PortMapping::builder()
                .container_port(p.container_port)
                .set_host_port(p.host_port)
                .set_protocol(p.protocol.as_deref().map(t::TransportProtocol::from))
                .set_name(p.name.clone())
                .set_app_protocol(p.app_protocol.as_deref().map(t::ApplicationProtocol::from))
                .build(),
        );
    }
    if let Some(h) = &c.health_check {
        b = b.health_check(
            t::HealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .set_interval(h.interval)
                .set_timeout(h.timeout)
                .set_retries(h.retries)
                .set_start_period(h.start_period)
                .build()
                .map_err(|e| invalid(op, e))?,
        );
    }
    if let Some(l) = &c.log_configuration {
        b = b.log_configuration(
            t::LogConfiguration::builder()
                .log_driver(t::LogDriver::from(l.log_driver.as_str()))
                .set_options(Some(l.options.clone().into_iter().collect()))
                .build()
                .map_err(|e| invalid(op, e))?,
        );
    }
    for (name, condition) in &c.depends_on {
        b = b.depends_on(
            t::ContainerDependency::builder()
                .container_name(name)
                .condition(t::ContainerCondition::from(condition.as_str()))
                .build()
                .map_err(|e| invalid(op, e))?,
        );
    }
    for (name, soft, hard) in &c.ulimits {
        b = b.ulimits(
            t::Ulimit::builder()
                .name(t::UlimitName::from(name.as_str()))
                .soft_limit(*soft)
                .hard_limit(*hard)
                .build()
                .map_err(|e| invalid(op, e))?,
        );
    }
    if let Some(init) = c.init_process_enabled {
        b = b.linux_parameters(
            t::LinuxParameters::builder()
                .init_process_enabled(init)
                .build(),
        );
    }
    for m in &c.mount_points {
        b = b.mount_points(
            t::MountPoint::builder()
                .source_volume(&m.source_volume)
                .container_path(&m.container_path)
                .set_read_only(m.read_only)
                .build(),
        );
    }
    Ok(b.build())
}

fn container_from_sdk(c: &ecs::types::ContainerDefinition) -> ContainerDef {
    let s = |v: Option<&str>| v.map(str::to_owned);
    ContainerDef {
        name: c.name().unwrap_or_default().to_owned(),
        image: c.image().unwrap_or_default().to_owned(),
        cpu: Some(c.cpu()),
        memory: c.memory(),
        memory_reservation: c.memory_reservation(),
        essential: c.essential(),
        command: c.command().to_vec(),
        entry_point: c.entry_point().to_vec(),
        working_directory: s(c.working_directory()),
        user: s(c.user()),
        environment: c
            .environment()
            .iter()
            .map(|e| {
                (
                    e.name().unwrap_or_default().to_owned(),
                    e.value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        secrets: c
            .secrets()
            .iter()
            .map(|e| (e.name().to_owned(), e.value_from().to_owned()))
            .collect(),
        port_mappings: c
            .port_mappings()
            .iter()
            .map(|p| PortMappingDef {
                container_port: p.container_port().unwrap_or_default(),
                host_port: p.host_port(),
                protocol: p.protocol().map(|p| p.as_str().to_owned()),
                name: s(p.name()),
                app_protocol: p.app_protocol().map(|p| p.as_str().to_owned()),
            })
            .collect(),
        health_check: c.health_check().map(|h| HealthCheckDef {
            command: h.command().to_vec(),
            interval: h.interval(),
            timeout: h.timeout(),
            retries: h.retries(),
            start_period: h.start_period(),
        }),
        log_configuration: c.log_configuration().map(|l| LogConfigDef {
            log_driver: l.log_driver().as_str().to_owned(),
            options: l
                .options()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }),
        depends_on: c
            .depends_on()
            .iter()
            .map(|d| {
                (
                    d.container_name().to_owned(),
                    d.condition().as_str().to_owned(),
                )
            })
            .collect(),
        readonly_root_filesystem: c.readonly_root_filesystem(),
        ulimits: c
            .ulimits()
            .iter()
            .map(|u| (u.name().as_str().to_owned(), u.soft_limit(), u.hard_limit()))
            .collect(),
        init_process_enabled: c.linux_parameters().and_then(|l| l.init_process_enabled()),
        mount_points: c
            .mount_points()
            .iter()
            .map(|m| MountPointDef {
                source_volume: m.source_volume().unwrap_or_default().to_owned(),
                container_path: m.container_path().unwrap_or_default().to_owned(),
                read_only: m.read_only(),
            })
            .collect(),
    }
}

fn task_definition_from_sdk(td: &ecs::types::TaskDefinition) -> TaskDefBody {
    let role = |a: Option<&str>| a.map(|a| RoleRef::Arn(a.to_owned()));
    TaskDefBody {
        family: td.family().unwrap_or_default().to_owned(),
        cpu: td.cpu().unwrap_or_default().to_owned(),
        memory: td.memory().unwrap_or_default().to_owned(),
        cpu_architecture: td
            .runtime_platform()
            .and_then(|p| p.cpu_architecture())
            .map(|a| a.as_str().to_owned()),
        operating_system_family: td
            .runtime_platform()
            .and_then(|p| p.operating_system_family())
            .map(|a| a.as_str().to_owned()),
        ephemeral_storage_gib: td.ephemeral_storage().map(|e| e.size_in_gib()),
        execution_role: role(td.execution_role_arn()),
        task_role: role(td.task_role_arn()),
        containers: td
            .container_definitions()
            .iter()
            .map(container_from_sdk)
            .collect(),
        volumes: td
            .volumes()
            .iter()
            .map(|v| VolumeDef {
                name: v.name().unwrap_or_default().to_owned(),
                efs: v.efs_volume_configuration().map(|e| EfsDef {
                    file_system_id: e.file_system_id().to_owned(),
                    root_directory: e.root_directory().map(str::to_owned),
                    transit_encryption: e.transit_encryption().map(|t| t.as_str().to_owned()),
                    access_point_id: e
                        .authorization_config()
                        .and_then(|a| a.access_point_id())
                        .map(str::to_owned),
                    iam: e
                        .authorization_config()
                        .and_then(|a| a.iam())
                        .map(|i| i.as_str().to_owned()),
                }),
            })
            .collect(),
    }
}

fn service_from_sdk(s: &ecs::types::Service) -> ObservedService {
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let dc = s.deployment_configuration();
    let body = ServiceBody {
        task_definition: TaskDefinitionRef::Arn(s.task_definition().unwrap_or_default().to_owned()),
        desired_count: s.desired_count(),
        launch_type: s.launch_type().map(|l| l.as_str().to_owned()),
        capacity_provider_strategy: s
            .capacity_provider_strategy()
            .iter()
            .map(|i| StrategyItem::new(i.capacity_provider(), i.base(), i.weight()))
            .collect(),
        platform_version: s.platform_version().map(str::to_owned),
        subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
        security_groups: vpc
            .map(|v| v.security_groups().to_vec())
            .unwrap_or_default(),
        assign_public_ip: vpc
            .and_then(|v| v.assign_public_ip())
            .is_some_and(|a| *a == ecs::types::AssignPublicIp::Enabled),
        load_balancers: s
            .load_balancers()
            .iter()
            .map(|l| LoadBalancerDef {
                target_group_arn: l.target_group_arn().unwrap_or_default().to_owned(),
                container_name: l.container_name().unwrap_or_default().to_owned(),
                container_port: l.container_port().unwrap_or_default(),
            })
            .collect(),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds(),
        minimum_healthy_percent: dc.and_then(|d| d.minimum_healthy_percent()),
        maximum_percent: dc.and_then(|d| d.maximum_percent()),
        circuit_breaker: dc.and_then(|d| d.deployment_circuit_breaker()).map(|c| {
            CircuitBreakerDef {
                enable: c.enable(),
                rollback: c.rollback(),
            }
        }),
        alarms: dc
            .and_then(|d| d.alarms())
            .filter(|a| a.enable())
            .map(|a| AlarmsDef {
                names: a.alarm_names().to_vec(),
                rollback: a.rollback(),
            }),
        enable_execute_command: s.enable_execute_command(),
        service_registries: s
            .service_registries()
            .iter()
            .map(|r| RegistryDef {
                registry_arn: r.registry_arn().unwrap_or_default().to_owned(),
                port: r.port(),
                container_name: r.container_name().map(str::to_owned),
                container_port: r.container_port(),
            })
            .collect(),
        propagate_tags: s.propagate_tags().map(|p| p.as_str().to_owned()),
    };
    ObservedService {
        arn: s.service_arn().unwrap_or_default().to_owned(),
        status: s.status().unwrap_or_default().to_owned(),
        body,
        tags: from_ecs_tags(s.tags()),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        deployments: s
            .deployments()
            .iter()
            .map(|d| ObservedDeployment {
                id: d.id().unwrap_or_default().to_owned(),
                status: d.status().unwrap_or_default().to_owned(),
                task_definition: d.task_definition().unwrap_or_default().to_owned(),
                desired_count: d.desired_count(),
                running_count: d.running_count(),
                pending_count: d.pending_count(),
                failed_tasks: d.failed_tasks(),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_owned()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                created_at: rfc3339(d.created_at()),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| ObservedEvent {
                id: e.id().unwrap_or_default().to_owned(),
                created_at: rfc3339(e.created_at()).unwrap_or_default(),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect(),
    }
}

fn network_to_sdk(
    op: &'static str,
    NetworkDef {
        subnets,
        security_groups,
        assign_public_ip: public_ip,
    }: &NetworkDef,
) -> Result<ecs::types::NetworkConfiguration, AwsError> {
    use ecs::types as t;
    let vpc = t::AwsVpcConfiguration::builder()
        .set_subnets(Some(subnets.clone()))
        .set_security_groups((!security_groups.is_empty()).then(|| security_groups.clone()))
        .assign_public_ip(if *public_ip {
            t::AssignPublicIp::Enabled
        } else {
            t::AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| invalid(op, e))?;
    Ok(t::NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

fn strategy_to_sdk(
    op: &'static str,
    items: &[StrategyItem],
) -> Result<Vec<ecs::types::CapacityProviderStrategyItem>, AwsError> {
    items
        .iter()
        .map(|i| {
            ecs::types::CapacityProviderStrategyItem::builder()
                .capacity_provider(&i.capacity_provider)
                .base(i.base)
                .weight(i.weight)
                .build()
                .map_err(|e| invalid(op, e))
        })
        .collect()
}

fn load_balancers_to_sdk(lbs: &[LoadBalancerDef]) -> Vec<ecs::types::LoadBalancer> {
    lbs.iter()
        .map(|l| {
            ecs::types::LoadBalancer::builder()
                .target_group_arn(&l.target_group_arn)
                .container_name(&l.container_name)
                .container_port(l.container_port)
                .build()
        })
        .collect()
}

fn registries_to_sdk(rs: &[RegistryDef]) -> Vec<ecs::types::ServiceRegistry> {
    rs.iter()
        .map(|r| {
            ecs::types::ServiceRegistry::builder()
                .registry_arn(&r.registry_arn)
                .set_port(r.port)
                .set_container_name(r.container_name.clone())
                .set_container_port(r.container_port)
                .build()
        })
        .collect()
}

fn deployment_to_sdk(
    op: &'static str,
    DeploymentDef {
        minimum_healthy_percent: min,
        maximum_percent: max,
        circuit_breaker: CircuitBreakerDef { enable, rollback },
        alarms,
    }: &DeploymentDef,
) -> Result<ecs::types::DeploymentConfiguration, AwsError> {
    use ecs::types as t;
    let breaker = t::DeploymentCircuitBreaker::builder()
        .enable(*enable)
        .rollback(*rollback)
        .build();
    let alarms = match alarms {
        Some(AlarmsDef { names, rollback }) if !names.is_empty() => t::DeploymentAlarms::builder()
            .set_alarm_names(Some(names.clone()))
            .enable(true)
            .rollback(*rollback)
            .build(),
        _ => t::DeploymentAlarms::builder()
            .set_alarm_names(Some(vec![]))
            .enable(false)
            .rollback(false)
            .build(),
    }
    .map_err(|e| invalid(op, e))?;
    Ok(t::DeploymentConfiguration::builder()
        .minimum_healthy_percent(*min)
        .maximum_percent(*max)
        .deployment_circuit_breaker(breaker)
        .alarms(alarms)
        .build())
}

/// A [`ServiceBody`]'s deployment configuration, defaults filled in.
fn body_deployment(b: &ServiceBody) -> DeploymentDef {
    DeploymentDef {
        minimum_healthy_percent: b.minimum_healthy_percent.unwrap_or(100),
        maximum_percent: b.maximum_percent.unwrap_or(200),
        circuit_breaker: b.circuit_breaker.unwrap_or(CircuitBreakerDef {
            enable: false,
            rollback: false,
        }),
        alarms: b.alarms.clone(),
    }
}

#[async_trait]
impl super::Ecs for SdkEcs {
    async fn list_revisions(
        &self,
        family: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<super::RevisionPage, AwsError> {
        let page = send(
            &self.1,
            "ecs:ListTaskDefinitions",
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
        Ok(super::RevisionPage {
            arns: page.task_definition_arns().to_vec(),
            next_token: page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        })
    }

    async fn describe_revision(&self, arn: &str) -> Result<Option<ObservedRevision>, AwsError> {
        let Some((_, revision)) = super::revision_of_arn(arn) else {
            return Err(invalid(
                "ecs:DescribeTaskDefinition",
                format!("{arn} is not a task-definition revision ARN"),
            ));
        };
        let Some(d) = found(
            send(
                &self.1,
                "ecs:DescribeTaskDefinition",
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
        }))
    }

    async fn register_task_definition(
        &self,
        body: &TaskDefBody,
        tags: &Tags,
    ) -> Result<String, AwsError> {
        use ecs::types as t;
        const OP: &str = "ecs:RegisterTaskDefinition";
        let containers = body
            .containers
            .iter()
            .map(|c| container_to_sdk(OP, c))
            .collect::<Result<Vec<_>, _>>()?;
        let volumes = body
            .volumes
            .iter()
            .map(|v| {
                let efs = v
                    .efs
                    .as_ref()
                    .map(|e| {
                        t::EfsVolumeConfiguration::builder()
                            .file_system_id(&e.file_system_id)
                            .set_root_directory(e.root_directory.clone())
                            .set_transit_encryption(
                                e.transit_encryption
                                    .as_deref()
                                    .map(t::EfsTransitEncryption::from),
                            )
                            .set_authorization_config(
                                (e.access_point_id.is_some() || e.iam.is_some()).then(|| {
                                    t::EfsAuthorizationConfig::builder()
                                        .set_access_point_id(e.access_point_id.clone())
                                        .set_iam(
                                            e.iam
                                                .as_deref()
                                                .map(t::EfsAuthorizationConfigIam::from),
                                        )
                                        .build()
                                }),
                            )
                            .build()
                            .map_err(|err| invalid(OP, err))
                    })
                    .transpose()?;
                Ok(t::Volume::builder()
                    .name(&v.name)
                    .set_efs_volume_configuration(efs)
                    .build())
            })
            .collect::<Result<Vec<_>, AwsError>>()?;
        let out = send(
            &self.1,
            OP,
            self.0
                .register_task_definition()
                .family(&body.family)
                .cpu(&body.cpu)
                .memory(&body.memory)
                .network_mode(t::NetworkMode::Awsvpc)
                .requires_compatibilities(t::Compatibility::Fargate)
                .runtime_platform(
                    t::RuntimePlatform::builder()
                        .set_cpu_architecture(
                            body.cpu_architecture
                                .as_deref()
                                .map(t::CpuArchitecture::from),
                        )
                        .set_operating_system_family(
                            body.operating_system_family
                                .as_deref()
                                .map(t::OsFamily::from),
                        )
                        .build(),
                )
                .set_ephemeral_storage(
                    body.ephemeral_storage_gib
                        .map(|g| t::EphemeralStorage::builder().size_in_gib(g).build()),
                )
                .set_execution_role_arn(role_arn(OP, &body.execution_role)?)
                .set_task_role_arn(role_arn(OP, &body.task_role)?)
                .set_container_definitions(Some(containers))
                .set_volumes(Some(volumes))
                .set_tags(Some(ecs_tags(tags)))
                .send(),
        )
        .await?;
        out.task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_owned)
            .ok_or_else(|| invalid(OP, "response had no task definition ARN"))
    }

    async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "ecs:DeregisterTaskDefinition",
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
            "ecs:TagResource",
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
            "ecs:UntagResource",
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
            "ecs:DescribeClusters",
            self.0
                .describe_clusters()
                .clusters(name)
                .include(ecs::types::ClusterField::Tags)
                .send(),
        )
        .await?;
        Ok(out.clusters().first().map(|c| ObservedCluster {
            arn: c.cluster_arn().unwrap_or_default().to_owned(),
            status: c.status().unwrap_or_default().to_owned(),
            capacity_providers: c.capacity_providers().to_vec(),
            tags: from_ecs_tags(c.tags()),
        }))
    }

    async fn create_cluster(
        &self,
        name: &str,
        capacity_providers: &[String],
        tags: &Tags,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            "ecs:CreateCluster",
            self.0
                .create_cluster()
                .cluster_name(name)
                .set_capacity_providers(Some(capacity_providers.to_vec()))
                .set_tags(Some(ecs_tags(tags)))
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
                "ecs:DescribeServices",
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
        const OP: &str = "ecs:CreateService";
        let out = send(
            &self.1,
            OP,
            self.0
                .create_service()
                .cluster(cluster)
                .service_name(name)
                .task_definition(body.task_definition.to_string())
                .desired_count(body.desired_count)
                .set_launch_type(
                    body.launch_type
                        .as_deref()
                        .map(ecs::types::LaunchType::from),
                )
                .set_capacity_provider_strategy(
                    (!body.capacity_provider_strategy.is_empty())
                        .then(|| strategy_to_sdk(OP, &body.capacity_provider_strategy))
                        .transpose()?,
                )
                .set_platform_version(body.platform_version.clone())
                .network_configuration(network_to_sdk(
                    OP,
                    &NetworkDef {
                        subnets: body.subnets.clone(),
                        security_groups: body.security_groups.clone(),
                        assign_public_ip: body.assign_public_ip,
                    },
                )?)
                .set_load_balancers(Some(load_balancers_to_sdk(&body.load_balancers)))
                .set_health_check_grace_period_seconds(body.health_check_grace_period_seconds)
                .deployment_configuration(deployment_to_sdk(OP, &body_deployment(body))?)
                .enable_execute_command(body.enable_execute_command)
                .set_service_registries(Some(registries_to_sdk(&body.service_registries)))
                .set_propagate_tags(
                    body.propagate_tags
                        .as_deref()
                        .map(ecs::types::PropagateTags::from),
                )
                .enable_ecs_managed_tags(true)
                .set_tags(Some(ecs_tags(tags)))
                .client_token(client_token)
                .send(),
        )
        .await?;
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
        const OP: &str = "ecs:UpdateService";
        let mut req = self
            .0
            .update_service()
            .cluster(cluster)
            .service(name)
            .set_task_definition(u.task_definition.as_ref().map(ToString::to_string))
            .set_desired_count(u.desired_count)
            .set_platform_version(u.platform_version.clone())
            .set_health_check_grace_period_seconds(u.health_check_grace_period_seconds)
            .set_enable_execute_command(u.enable_execute_command)
            .set_propagate_tags(
                u.propagate_tags
                    .as_deref()
                    .map(ecs::types::PropagateTags::from),
            )
            .force_new_deployment(u.force_new_deployment);
        if let Some(s) = &u.capacity_provider_strategy {
            req = req.set_capacity_provider_strategy(Some(strategy_to_sdk(OP, s)?));
        }
        if let Some(n) = &u.network {
            req = req.network_configuration(network_to_sdk(OP, n)?);
        }
        if let Some(lbs) = &u.load_balancers {
            req = req.set_load_balancers(Some(load_balancers_to_sdk(lbs)));
        }
        if let Some(d) = &u.deployment {
            req = req.deployment_configuration(deployment_to_sdk(OP, d)?);
        }
        if let Some(r) = &u.service_registries {
            req = req.set_service_registries(Some(registries_to_sdk(r)));
        }
        send(&self.1, OP, req.send()).await.map(drop)
    }

    async fn delete_service(&self, cluster: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "ecs:DeleteService",
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

    async fn list_clusters(&self, next_token: Option<&str>) -> Result<super::NamePage, AwsError> {
        let page = send(
            &self.1,
            "ecs:ListClusters",
            self.0
                .list_clusters()
                .max_results(100)
                .set_next_token(next_token.map(str::to_owned))
                .send(),
        )
        .await?;
        Ok(super::NamePage {
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
    ) -> Result<super::NamePage, AwsError> {
        let Some(page) = found(
            send(
                &self.1,
                "ecs:ListServices",
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
            return Ok(super::NamePage::default());
        };
        Ok(super::NamePage {
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

    async fn stopped_tasks(
        &self,
        cluster: &str,
        service: &str,
        limit: usize,
    ) -> Result<Vec<ObservedStoppedTask>, AwsError> {
        let listed = found(
            send(
                &self.1,
                "ecs:ListTasks",
                self.0
                    .list_tasks()
                    .cluster(cluster)
                    .service_name(service)
                    .desired_status(ecs::types::DesiredStatus::Stopped)
                    .max_results(100)
                    .send(),
            )
            .await,
        )?;
        let arns: Vec<String> = listed
            .iter()
            .flat_map(|l| l.task_arns().iter().cloned())
            .collect();
        if arns.is_empty() {
            return Ok(vec![]);
        }
        let described = send(
            &self.1,
            "ecs:DescribeTasks",
            self.0
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(arns.into_iter().take(100).collect()))
                .send(),
        )
        .await?;
        let mut tasks: Vec<(Option<ecs::primitives::DateTime>, ObservedStoppedTask)> = described
            .tasks()
            .iter()
            .map(|t| {
                (
                    t.stopped_at().copied(),
                    ObservedStoppedTask {
                        task_arn: t.task_arn().unwrap_or_default().to_owned(),
                        stopped_reason: t.stopped_reason().map(str::to_owned),
                        stop_code: t.stop_code().map(|c| c.as_str().to_owned()),
                        stopped_at: rfc3339(t.stopped_at()),
                    },
                )
            })
            .collect();
        tasks.sort_by_key(|t| std::cmp::Reverse(t.0));
        Ok(tasks.into_iter().take(limit).map(|(_, t)| t).collect())
    }
}

// ---------------------------------------------------------------- IAM

/// IAM on the SDK.
pub struct SdkIam(pub iam::Client, pub Arc<RateLimits>);

#[async_trait]
impl super::Iam for SdkIam {
    async fn get_role(&self, name: &str) -> Result<Option<ObservedRole>, AwsError> {
        let Some(out) = found(
            send(
                &self.1,
                "iam:GetRole",
                self.0.get_role().role_name(name).send(),
            )
            .await,
        )?
        else {
            return Ok(None);
        };
        let Some(role) = out.role() else {
            return Ok(None);
        };
        let mut attached = BTreeSet::new();
        let mut marker = None;
        loop {
            let page = send(
                &self.1,
                "iam:ListAttachedRolePolicies",
                self.0
                    .list_attached_role_policies()
                    .role_name(name)
                    .set_marker(marker.take())
                    .send(),
            )
            .await?;
            attached.extend(
                page.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        let names = send(
            &self.1,
            "iam:ListRolePolicies",
            self.0.list_role_policies().role_name(name).send(),
        )
        .await?;
        let mut inline = BTreeMap::new();
        for policy in names.policy_names() {
            let doc = send(
                &self.1,
                "iam:GetRolePolicy",
                self.0
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send(),
            )
            .await?;
            inline.insert(policy.clone(), policy_json(doc.policy_document()));
        }
        Ok(Some(ObservedRole {
            arn: role.arn().to_owned(),
            path: role.path().to_owned(),
            tags: role
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
            trust_policy: role
                .assume_role_policy_document()
                .map(policy_json)
                .unwrap_or_default(),
            permissions_boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
            attached_policies: attached,
            inline_policies: inline,
        }))
    }

    async fn create_role(&self, r: NewRole<'_>) -> Result<String, AwsError> {
        const OP: &str = "iam:CreateRole";
        let tags = r
            .tags
            .iter()
            .map(|(k, v)| {
                iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| invalid(OP, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = send(
            &self.1,
            OP,
            self.0
                .create_role()
                .role_name(r.name)
                .path(r.path)
                .assume_role_policy_document(r.trust_policy.to_string())
                .set_permissions_boundary(r.permissions_boundary.map(str::to_owned))
                .description(r.description)
                .set_tags(Some(tags))
                .send(),
        )
        .await?;
        out.role()
            .map(|r| r.arn().to_owned())
            .ok_or_else(|| invalid(OP, "response had no role"))
    }

    async fn update_assume_role_policy(
        &self,
        role: &str,
        policy: &serde_json::Value,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:UpdateAssumeRolePolicy",
            self.0
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(policy.to_string())
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_role_permissions_boundary(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:PutRolePermissionsBoundary",
            self.0
                .put_role_permissions_boundary()
                .role_name(role)
                .permissions_boundary(arn)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_role_permissions_boundary(&self, role: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:DeleteRolePermissionsBoundary",
            self.0
                .delete_role_permissions_boundary()
                .role_name(role)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:AttachRolePolicy",
            self.0
                .attach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:DetachRolePolicy",
            self.0
                .detach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_role_policy(
        &self,
        role: &str,
        name: &str,
        document: &serde_json::Value,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:PutRolePolicy",
            self.0
                .put_role_policy()
                .role_name(role)
                .policy_name(name)
                .policy_document(document.to_string())
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_role_policy(&self, role: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:DeleteRolePolicy",
            self.0
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_role(&self, role: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "iam:DeleteRole",
            self.0.delete_role().role_name(role).send(),
        )
        .await
        .map(drop)
    }
}

// ---------------------------------------------------------------- CloudWatch Logs

/// CloudWatch Logs on the SDK.
pub struct SdkLogs(pub cwl::Client, pub Arc<RateLimits>);

#[async_trait]
impl super::Logs for SdkLogs {
    async fn describe_log_group(&self, name: &str) -> Result<Option<ObservedLogGroup>, AwsError> {
        let out = send(
            &self.1,
            "logs:DescribeLogGroups",
            self.0
                .describe_log_groups()
                .log_group_name_prefix(name)
                .limit(50)
                .send(),
        )
        .await?;
        let Some(group) = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        else {
            return Ok(None);
        };
        let arn = group
            .arn()
            .map(|a| a.trim_end_matches(":*").to_owned())
            .unwrap_or_default();
        let tags = send(
            &self.1,
            "logs:ListTagsForResource",
            self.0.list_tags_for_resource().resource_arn(&arn).send(),
        )
        .await?;
        Ok(Some(ObservedLogGroup {
            retention_days: group.retention_in_days(),
            tags: tags
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }))
    }

    async fn create_log_group(&self, name: &str, tags: &Tags) -> Result<(), AwsError> {
        send(
            &self.1,
            "logs:CreateLogGroup",
            self.0
                .create_log_group()
                .log_group_name(name)
                .set_tags(Some(tags.clone().into_iter().collect()))
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_retention_policy(&self, name: &str, days: i32) -> Result<(), AwsError> {
        send(
            &self.1,
            "logs:PutRetentionPolicy",
            self.0
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_retention_policy(&self, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "logs:DeleteRetentionPolicy",
            self.0.delete_retention_policy().log_group_name(name).send(),
        )
        .await
        .map(drop)
    }

    async fn delete_log_group(&self, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "logs:DeleteLogGroup",
            self.0.delete_log_group().log_group_name(name).send(),
        )
        .await
        .map(drop)
    }
}

// ---------------------------------------------------------------- Application Auto Scaling

/// Application Auto Scaling on the SDK.
pub struct SdkScaling(pub aas::Client, pub Arc<RateLimits>);

const ECS_NS: aas::types::ServiceNamespace = aas::types::ServiceNamespace::Ecs;
const DESIRED_COUNT: aas::types::ScalableDimension =
    aas::types::ScalableDimension::EcsServiceDesiredCount;

/// Whether an Application Auto Scaling item (scalable target, scaling policy or scheduled
/// action) is the one of the ECS service `resource_id`: the same ResourceId exactly, in the
/// `ecs` namespace, on `ecs:service:DesiredCount`. Real AWS filters this way already; the
/// check holds whatever the backend's filter does.
fn belongs_to(
    resource_id: &str,
    item_resource_id: &str,
    namespace: &aas::types::ServiceNamespace,
    dimension: Option<&aas::types::ScalableDimension>,
) -> bool {
    item_resource_id == resource_id && *namespace == ECS_NS && dimension == Some(&DESIRED_COUNT)
}

const DESCRIBE_TARGETS: &str = "application-autoscaling:DescribeScalableTargets";
const DESCRIBE_POLICIES: &str = "application-autoscaling:DescribeScalingPolicies";
const DESCRIBE_ACTIONS: &str = "application-autoscaling:DescribeScheduledActions";

/// At most this many pages of one Describe call; a backend that keeps answering with a next
/// token is an error, not a loop.
const MAX_PAGES: usize = 100;

/// Every item of the paginated call `operation`: `fetch` gets the next token (None first) and
/// returns a page's items and its next token.
async fn pages<T, F, Fut>(operation: &'static str, mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Option<Vec<T>>, Option<String>), AwsError>>,
{
    let mut all = vec![];
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let (items, next) = fetch(token).await?;
        all.extend(items.unwrap_or_default());
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(all),
        }
    }
    Err(AwsError::new(
        ErrorKind::Transient,
        operation,
        format!("still paginating after {MAX_PAGES} pages"),
    ))
}

#[async_trait]
impl super::Scaling for SdkScaling {
    async fn describe(&self, resource_id: &str) -> Result<ObservedScaling, AwsError> {
        // Every item is checked against `resource_id` here, whatever the request filtered
        // by: scaling policies and scheduled actions carry no ownership tags, so their
        // ResourceId is the only proof they are this service's, and a backend that
        // matches the filter loosely (moto matches DescribeScalingPolicies' ResourceId as
        // a substring) would otherwise hand `service/c/app9` the items of
        // `service/c/app99`, which the planner would then delete.
        let targets = pages(DESCRIBE_TARGETS, |token| async move {
            let page = send(
                &self.1,
                DESCRIBE_TARGETS,
                self.0
                    .describe_scalable_targets()
                    .service_namespace(ECS_NS)
                    .resource_ids(resource_id)
                    .scalable_dimension(DESIRED_COUNT)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
            let next = page.next_token().map(str::to_owned);
            Ok((page.scalable_targets, next))
        })
        .await?;
        let Some(target) = targets.iter().find(|t| {
            belongs_to(
                resource_id,
                t.resource_id(),
                t.service_namespace(),
                Some(t.scalable_dimension()),
            )
        }) else {
            return Ok(ObservedScaling::default());
        };
        let policies = pages(DESCRIBE_POLICIES, |token| async move {
            let page = send(
                &self.1,
                DESCRIBE_POLICIES,
                self.0
                    .describe_scaling_policies()
                    .service_namespace(ECS_NS)
                    .resource_id(resource_id)
                    .scalable_dimension(DESIRED_COUNT)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
            let next = page.next_token().map(str::to_owned);
            Ok((page.scaling_policies, next))
        })
        .await?;
        let actions = pages(DESCRIBE_ACTIONS, |token| async move {
            let page = send(
                &self.1,
                DESCRIBE_ACTIONS,
                self.0
                    .describe_scheduled_actions()
                    .service_namespace(ECS_NS)
                    .resource_id(resource_id)
                    .scalable_dimension(DESIRED_COUNT)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
            let next = page.next_token().map(str::to_owned);
            Ok((page.scheduled_actions, next))
        })
        .await?;
        Ok(ObservedScaling {
            target: Some((target.min_capacity(), target.max_capacity())),
            policies: policies
                .iter()
                .filter(|p| {
                    belongs_to(
                        resource_id,
                        p.resource_id(),
                        p.service_namespace(),
                        Some(p.scalable_dimension()),
                    )
                })
                .filter_map(|p| {
                    let c = p.target_tracking_scaling_policy_configuration()?;
                    let m = c.predefined_metric_specification()?;
                    Some((
                        p.policy_name().to_owned(),
                        TargetTrackingDef {
                            metric: m.predefined_metric_type().as_str().to_owned(),
                            resource_label: m.resource_label().map(str::to_owned),
                            target_value: c.target_value(),
                            scale_in_cooldown: c.scale_in_cooldown().unwrap_or_default(),
                            scale_out_cooldown: c.scale_out_cooldown().unwrap_or_default(),
                        },
                    ))
                })
                .collect(),
            scheduled_actions: actions
                .iter()
                .filter(|a| {
                    belongs_to(
                        resource_id,
                        a.resource_id(),
                        a.service_namespace(),
                        a.scalable_dimension(),
                    )
                })
                .map(|a| {
                    (
                        a.scheduled_action_name().to_owned(),
                        ScheduledActionDef {
                            schedule: a.schedule().to_owned(),
                            timezone: a.timezone().map(str::to_owned),
                            min_capacity: a.scalable_target_action().and_then(|t| t.min_capacity()),
                            max_capacity: a.scalable_target_action().and_then(|t| t.max_capacity()),
                        },
                    )
                })
                .collect(),
        })
    }

    async fn register_scalable_target(
        &self,
        resource_id: &str,
        min: i32,
        max: i32,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            "application-autoscaling:RegisterScalableTarget",
            self.0
                .register_scalable_target()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .min_capacity(min)
                .max_capacity(max)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "application-autoscaling:DeregisterScalableTarget",
            self.0
                .deregister_scalable_target()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_scaling_policy(
        &self,
        resource_id: &str,
        name: &str,
        policy: &TargetTrackingDef,
    ) -> Result<(), AwsError> {
        const OP: &str = "application-autoscaling:PutScalingPolicy";
        use aas::types as t;
        let metric = t::PredefinedMetricSpecification::builder()
            .predefined_metric_type(t::MetricType::from(policy.metric.as_str()))
            .set_resource_label(policy.resource_label.clone())
            .build()
            .map_err(|e| invalid(OP, e))?;
        let config = t::TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(policy.target_value)
            .predefined_metric_specification(metric)
            .scale_in_cooldown(policy.scale_in_cooldown)
            .scale_out_cooldown(policy.scale_out_cooldown)
            .build()
            .map_err(|e| invalid(OP, e))?;
        send(
            &self.1,
            OP,
            self.0
                .put_scaling_policy()
                .policy_name(name)
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .policy_type(t::PolicyType::TargetTrackingScaling)
                .target_tracking_scaling_policy_configuration(config)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "application-autoscaling:DeleteScalingPolicy",
            self.0
                .delete_scaling_policy()
                .policy_name(name)
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_scheduled_action(
        &self,
        resource_id: &str,
        name: &str,
        action: &ScheduledActionDef,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            "application-autoscaling:PutScheduledAction",
            self.0
                .put_scheduled_action()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .scheduled_action_name(name)
                .schedule(&action.schedule)
                .set_timezone(action.timezone.clone())
                .scalable_target_action(
                    aas::types::ScalableTargetAction::builder()
                        .set_min_capacity(action.min_capacity)
                        .set_max_capacity(action.max_capacity)
                        .build(),
                )
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            "application-autoscaling:DeleteScheduledAction",
            self.0
                .delete_scheduled_action()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .scheduled_action_name(name)
                .send(),
        )
        .await
        .map(drop)
    }
}

// ---------------------------------------------------------------- ELBv2

/// ELBv2 on the SDK (read only).
pub struct SdkElb(pub elbv2::Client, pub Arc<RateLimits>);

/// `app/<lb>/<id>/targetgroup/<tg>/<id>` from a load balancer and a target group ARN.
pub fn resource_label(lb_arn: &str, tg_arn: &str) -> Option<String> {
    let lb = lb_arn.split_once(":loadbalancer/")?.1;
    let tg = tg_arn.rsplit_once(':')?.1;
    tg.starts_with("targetgroup/").then(|| format!("{lb}/{tg}"))
}

#[async_trait]
impl super::LoadBalancing for SdkElb {
    async fn resource_label(&self, target_group_arn: &str) -> Result<String, AwsError> {
        const OP: &str = "elasticloadbalancing:DescribeTargetGroups";
        let out = send(
            &self.1,
            OP,
            self.0
                .describe_target_groups()
                .target_group_arns(target_group_arn)
                .send(),
        )
        .await?;
        let lb = out
            .target_groups()
            .first()
            .and_then(|t| t.load_balancer_arns().first())
            .ok_or_else(|| {
                invalid(
                    OP,
                    format!(
                        "target group {target_group_arn} is not attached to a load balancer; requestsPerTarget scaling needs one"
                    ),
                )
            })?;
        resource_label(lb, target_group_arn)
            .ok_or_else(|| invalid(OP, format!("cannot build a resource label from {lb}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_label_joins_load_balancer_and_target_group() {
        assert_eq!(
            resource_label(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-api/943f017f100becff"
            )
            .as_deref(),
            Some("app/web/50dc6c495c0c9188/targetgroup/web-api/943f017f100becff")
        );
    }

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

    #[test]
    fn policy_documents_decode_either_way() {
        let plain = r#"{"Version":"2012-10-17"}"#;
        assert_eq!(policy_json(plain)["Version"], "2012-10-17");
        assert_eq!(
            policy_json("%7B%22Version%22%3A%222012-10-17%22%7D")["Version"],
            "2012-10-17"
        );
    }
}

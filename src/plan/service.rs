//! Planning a FargateService: cluster → service create/update → autoscaling.

use std::collections::BTreeMap;

use super::cost::{estimate_monthly_cost, TaskSize};
use super::model::*;
use super::taskdef::DesiredRole;
use super::{Action, Note, Plan, PlanConfig, PlanError, ServiceUpdate};
use crate::api::fargateservice::{
    CapacityProvider, DeploymentSpec, DeploymentStrategy, FargateServiceSpec,
};
/// The Application Auto Scaling resource ID of a service (`testing::sim` reads scaling by it).
pub use crate::api::names::resource_id;
use crate::api::names::{
    client_token, owner_of, role_name, scaling_policy_name, service_name, Owner, Ownership,
    RoleKind,
};
use crate::api::restart::validate_restarted_at;
use crate::api::validation::{validate_fargate_service, FieldError, ValidationErrors};
use crate::api::{
    reasons, FargateService, TaskDefinition, MANAGED_BY_TAG, RESTARTED_AT_TAG,
    REVISION_SETTINGS_TAG,
};
use crate::plan::cost::overlap_cost;
use crate::plan::service_connect::{self as sc, ServiceConnectDef};

/// How a [`TaskDefinitionRef::Pending`] is serialised and shown: `pending:<family>`.
pub const PENDING_REVISION_PREFIX: &str = "pending:";

/// What the service planner knows of the task definition it deploys.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TaskDefinitionInfo {
    /// Revision ARN to deploy; `None` when it is registered in this same run.
    pub arn: Option<String>,
    /// Family.
    pub family: String,
    /// Task size, when known (for the cost estimate).
    pub size: Option<TaskSize>,
    /// Container name → its container ports, when known (to check loadBalancers).
    pub containers: Option<BTreeMap<String, Vec<i32>>>,
    /// The names of its port mappings, when known (to check vpcLattice).
    pub port_names: Option<std::collections::BTreeSet<String>>,
    /// Its volume with `configuredAtLaunch: true` (`Some(None)`: it has none), when known
    /// (to check volumeConfigurations).
    pub launch_volume: Option<Option<String>>,
    /// The family's kept revisions, number → ARN: what a service may pin (roll back to).
    pub kept: BTreeMap<i32, String>,
    /// The revision the FargateService pins instead of the current one, if it does.
    pub pin: Option<Pin>,
    /// The registered revision of the TaskDefinition `spec.deployment.preDeploy` names, if
    /// it names one and it has one.
    pub pre_deploy_arn: Option<String>,
}

/// A revision a FargateService pins: where it is asked (the annotation or
/// `spec.taskDefinitionRef.revision`) and the value asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Pin {
    pub field: String,
    pub value: String,
}

/// The revisions a TaskDefinition's status names as kept (its current one and the retained
/// ones), number → ARN.
pub fn kept_revisions(status: Option<&crate::api::TaskDefinitionStatus>) -> BTreeMap<i32, String> {
    status
        .into_iter()
        .flat_map(|s| s.arn.iter().chain(&s.retained_revisions))
        .filter_map(|arn| crate::api::revision_of_arn(arn).map(|(_, n)| (n, arn.clone())))
        .collect()
}

/// Where a FargateService pins a revision: the `ecs.fargate.dev/rollback-to` annotation
/// (first) or `spec.taskDefinitionRef.revision`.
pub fn pin_of(fs: &FargateService) -> Option<Pin> {
    let annotation = fs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::api::ROLLBACK_TO_ANNOTATION));
    match (
        annotation,
        fs.spec
            .task_definition_ref
            .as_ref()
            .and_then(|r| r.revision),
    ) {
        (Some(v), _) => Some(Pin {
            field: format!(
                "metadata.annotations[{}]",
                crate::api::ROLLBACK_TO_ANNOTATION
            ),
            value: v.clone(),
        }),
        (None, Some(r)) => Some(Pin {
            field: "spec.taskDefinitionRef.revision".into(),
            value: r.to_string(),
        }),
        (None, None) => None,
    }
}

/// Task-definition facts the service planner needs, from a TaskDefinition spec; `arn`: the
/// revision to deploy (None: it is registered in this same run).
pub fn task_definition_info(td: &TaskDefinition, arn: Option<String>) -> TaskDefinitionInfo {
    let owner = owner_of(td, "TaskDefinition");
    TaskDefinitionInfo {
        arn,
        family: crate::api::names::family(&owner, &td.spec),
        size: Some(TaskSize {
            cpu: td.spec.cpu,
            memory: td.spec.memory,
            arm64: td.spec.runtime_platform.as_ref().is_some_and(|p| {
                p.cpu_architecture == crate::api::taskdefinition::CpuArchitecture::Arm64
            }),
            ephemeral_storage_gib: td.spec.ephemeral_storage_gib,
        }),
        containers: Some(
            td.spec
                .containers
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        c.port_mappings
                            .iter()
                            .filter_map(|p| p.container_port)
                            .collect(),
                    )
                })
                .collect(),
        ),
        port_names: Some(
            td.spec
                .containers
                .iter()
                .flat_map(|c| c.port_mappings.iter().filter_map(|p| p.name.clone()))
                .collect(),
        ),
        launch_volume: Some(
            td.spec
                .volumes
                .iter()
                .find(|v| v.configured_at_launch == Some(true))
                .map(|v| v.name.clone()),
        ),
        kept: kept_revisions(td.status.as_ref()),
        pin: None,
        pre_deploy_arn: None,
    }
}

/// The task definition a FargateService runs: its TaskDefinition's entry in `infos` (keyed
/// by namespace and name; absent until a revision is registered), or what is known of a
/// revision given by ARN.
pub fn referenced_task_definition(
    fs: &FargateService,
    infos: &BTreeMap<(String, String), TaskDefinitionInfo>,
) -> Option<TaskDefinitionInfo> {
    let namespace = namespace_of(fs);
    let info = match (&fs.spec.task_definition_ref, &fs.spec.task_definition_arn) {
        (Some(r), _) => infos.get(&(namespace, r.name.clone())).cloned(),
        (None, Some(arn)) => Some(external_task_definition(arn)),
        (None, None) => None,
    };
    let pre_deploy_arn = super::predeploy::pre_deploy_of(&fs.spec)
        .and_then(|p| p.task_definition_ref.as_ref())
        .and_then(|r| infos.get(&(namespace_of(fs), r.name.clone())))
        .and_then(|i| i.arn.clone());
    info.map(|i| TaskDefinitionInfo {
        pin: pin_of(fs),
        pre_deploy_arn,
        ..i
    })
}

fn namespace_of(fs: &FargateService) -> String {
    owner_of(fs, "FargateService").namespace
}

/// What the service planner knows of a task definition given by ARN (not managed here).
fn external_task_definition(arn: &str) -> TaskDefinitionInfo {
    TaskDefinitionInfo {
        arn: Some(arn.to_owned()),
        family: crate::api::names::family_of_arn(arn).to_owned(),
        size: None,
        containers: None,
        port_names: None,
        launch_volume: None,
        kept: BTreeMap::new(),
        pin: None,
        pre_deploy_arn: None,
    }
}

/// The task definition to deploy once a pin is applied: the pinned kept revision's ARN, or
/// a refusal naming the field and the revisions that are kept.
fn resolve_pin(td: &TaskDefinitionInfo) -> Result<TaskDefinitionInfo, PlanError> {
    let Some(pin) = &td.pin else {
        return Ok(td.clone());
    };
    let Ok(revision) = pin.value.trim().parse::<i32>() else {
        return Err(ValidationErrors(vec![FieldError {
            field: pin.field.clone(),
            message: format!(
                "{:?} is not a revision number: give one of the kept revisions {:?} (the TaskDefinition's status.revisionHistory)",
                pin.value,
                td.kept.keys().collect::<Vec<_>>()
            ),
        }])
        .into());
    };
    match td.kept.get(&revision) {
        Some(arn) => Ok(TaskDefinitionInfo {
            arn: Some(arn.clone()),
            ..td.clone()
        }),
        None => Err(PlanError::RevisionNotKept {
            field: pin.field.clone(),
            message: format!(
                "revision {revision} of family {} is not kept (deregistered, beyond revisionHistoryLimit, or never registered; a service given by taskDefinitionArn cannot pin one): kept revisions are {:?}",
                td.family,
                td.kept.keys().rev().collect::<Vec<_>>()
            ),
        }),
    }
}

/// What the FargateService planner reads.
#[derive(Clone, Copy, Debug)]
pub struct ServiceInputs<'a> {
    pub owner: &'a Owner,
    pub spec: &'a FargateServiceSpec,
    /// The `ecs.fargate.dev/restartedAt` annotation.
    pub restarted_at: Option<&'a str>,
    /// The task definition to deploy; `None` while it cannot be resolved.
    pub task_definition: Option<&'a TaskDefinitionInfo>,
    /// The revision ECS rolled back, not to be deployed again for this generation
    /// ([`super::rollback::rolled_back_revision`]).
    pub rolled_back: Option<&'a crate::api::fargateservice::RolledBackRevision>,
    /// What `spec.deployment.preDeploy`'s gate reads besides the observation.
    pub pre_deploy: super::predeploy::PreDeployInputs<'a>,
}

/// The [`RESTARTED_AT_TAG`] value once the restart asked for by the annotation `value` is
/// done: a short hash of the value, so whatever the annotation holds, the tag is one ECS
/// accepts (16 hex digits).
pub fn restart_tag(value: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(value.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The [`RESTARTED_AT_TAG`] value while the restart for `value` is being forced: written
/// before the UpdateService, replaced by [`restart_tag`] after it.
pub fn restart_pending_tag(value: &str) -> String {
    format!("pending:{}", restart_tag(value))
}

/// Whether the annotation `value` still asks for a forced deployment, given the tag the
/// service carries. Done: the tag holds its hash, or the value itself (as versions before
/// the hash recorded it, after the deployment). A pending tag, another value's hash or no
/// tag: not done.
fn restart_needed(value: Option<&str>, recorded: Option<&str>) -> bool {
    value.is_some_and(|v| recorded != Some(restart_tag(v).as_str()) && recorded != Some(v))
}

/// A capacity-provider strategy as ECS takes it: ECS's defaults (base 0, weight 1) filled in.
pub fn strategy_items(
    items: &[crate::api::fargateservice::CapacityProviderStrategyItem],
) -> Vec<StrategyItem> {
    items
        .iter()
        .map(|i| {
            StrategyItem::new(
                i.capacity_provider.as_str(),
                i.base.unwrap_or(0),
                i.weight.unwrap_or(1),
            )
        })
        .collect()
}

/// The desired body of the service (`owner`: whose managed infrastructure role a managed
/// EBS volume without `roleArn` names).
pub fn desired_body(
    owner: &Owner,
    spec: &FargateServiceSpec,
    task_definition: &TaskDefinitionRef,
    desired_count: i32,
) -> ServiceBody {
    let strategy = strategy_items(&spec.capacity_provider_strategy);
    let deployment = spec.deployment.clone().unwrap_or_default();
    ServiceBody {
        task_definition: task_definition.clone(),
        desired_count,
        launch_type: strategy.is_empty().then(|| "FARGATE".to_owned()),
        capacity_provider_strategy: strategy,
        platform_version: spec.platform_version.clone(),
        subnets: spec.network.subnets.clone(),
        security_groups: spec.network.security_groups.clone(),
        assign_public_ip: spec.network.assign_public_ip,
        load_balancers: spec
            .load_balancers
            .iter()
            .map(|l| LoadBalancerDef {
                target_group_arn: l.target_group_arn.clone(),
                container_name: l.container_name.clone(),
                container_port: l.container_port,
                advanced: l.advanced.as_ref().map(|a| AdvancedDef {
                    alternate_target_group_arn: a.alternate_target_group_arn.clone(),
                    production_listener_rule: a.production_listener_rule.clone(),
                    test_listener_rule: a.test_listener_rule.clone(),
                    role_arn: a.role_arn.clone(),
                }),
            })
            .collect(),
        health_check_grace_period_seconds: spec.health_check_grace_period_seconds,
        minimum_healthy_percent: Some(deployment.minimum_healthy_percent.unwrap_or(100)),
        maximum_percent: Some(deployment.maximum_percent.unwrap_or(200)),
        circuit_breaker: Some(circuit_breaker(&deployment)),
        rollout: desired_rollout(&deployment),
        alarms: deployment.alarms.map(|a| AlarmsDef {
            names: a.names,
            rollback: a.rollback,
        }),
        // Rolling deployments only: check_spec refuses it with another strategy.
        early_success: deployment.early_success.map(|e| EarlySuccessDef {
            healthy_percent: e.healthy_percent,
            source_revision_cleanup: e.source_revision_cleanup.as_str().to_owned(),
        }),
        availability_zone_rebalancing: spec
            .availability_zone_rebalancing
            .map(|t| t.as_str().to_owned()),
        vpc_lattice: spec
            .vpc_lattice
            .iter()
            .map(|l| VpcLatticeDef {
                target_group_arn: l.target_group_arn.clone(),
                port_name: l.port_name.clone(),
                role_arn: l.role_arn.clone(),
                advanced: l.advanced.as_ref().map(|a| LatticeAdvancedDef {
                    alternate_target_group_arn: a.alternate_target_group_arn.clone(),
                    production_listener_rule: a.production_listener_rule.clone(),
                    test_listener_rule: a.test_listener_rule.clone(),
                }),
            })
            .collect(),
        volume_configurations: ebs_volume_defs(owner, spec),
        service_connect: spec
            .service_connect
            .as_ref()
            .map(ServiceConnectDef::from_spec),
        monitoring: spec.monitoring.as_ref().map(monitoring_def),
        gateway_connectors: spec
            .gateway_connectors
            .iter()
            .map(gateway_connector_def)
            .collect(),
        enable_execute_command: spec.enable_execute_command,
        service_registries: spec
            .service_registries
            .iter()
            .map(|r| RegistryDef {
                registry_arn: r.registry_arn.clone(),
                port: r.port,
                container_name: r.container_name.clone(),
                container_port: r.container_port,
            })
            .collect(),
        propagate_tags: spec.propagate_tags.map(|p| p.as_str().to_owned()),
    }
}

/// The metric resolutions of `spec.monitoring`, by metric name.
fn monitoring_def(m: &crate::api::monitoring::Monitoring) -> super::model::MonitoringDef {
    m.metric_configurations
        .iter()
        .flat_map(|c| {
            c.metric_names
                .iter()
                .map(|n| (n.as_str().to_owned(), c.resolution_seconds))
        })
        .collect()
}

/// A gateway connector as CreateService and UpdateService send it.
fn gateway_connector_def(g: &crate::api::gateway::GatewayConnector) -> GatewayConnectorDef {
    let h = g.health_check.clone().unwrap_or_default();
    let matcher = h.matcher.as_ref();
    GatewayConnectorDef {
        port_name: g.port_name.clone(),
        protocol: h.health_check_protocol.map(|p| p.as_str().to_owned()),
        port: h.health_check_port,
        path: h.health_check_path.clone(),
        timeout_seconds: h.health_check_timeout_seconds,
        interval_seconds: h.health_check_interval_seconds,
        healthy_threshold_count: h.healthy_threshold_count,
        unhealthy_threshold_count: h.unhealthy_threshold_count,
        http_code: matcher.and_then(|m| m.http_code.clone()),
        grpc_code: matcher.and_then(|m| m.grpc_code.clone()),
        access_types: g.filters.as_ref().map(|f| {
            let mut t: Vec<String> = f
                .access_types
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect();
            t.sort();
            t
        }),
    }
}

/// Whether the service should carry [`REVISION_SETTINGS_TAG`] (so its service revision is
/// read): the spec sets `monitoring` or a gateway connector, or the live service's revision
/// still has a resolution other than ECS's default or a connector (the tag then stays until
/// the reset or the detachment is seen applied).
fn wants_revision_settings(spec: &FargateServiceSpec, live: Option<&ObservedService>) -> bool {
    spec.monitoring.is_some()
        || !spec.gateway_connectors.is_empty()
        || live.is_some_and(|s| {
            !s.body.gateway_connectors.is_empty()
                || (s.body.monitoring.is_some()
                    && canonical_monitoring(s.body.monitoring.as_ref())
                        != canonical_monitoring(None))
        })
}

/// The managed EBS volumes as CreateService and UpdateService send them.
fn ebs_volume_defs(owner: &Owner, spec: &FargateServiceSpec) -> Vec<EbsVolumeDef> {
    spec.volume_configurations
        .iter()
        .map(|v| ebs_volume_def(owner, v))
        .collect()
}

/// A managed EBS volume as CreateService and UpdateService send it.
fn ebs_volume_def(owner: &Owner, v: &crate::api::ebs::VolumeConfiguration) -> EbsVolumeDef {
    let m = &v.managed_ebs_volume;
    EbsVolumeDef {
        name: v.name.clone(),
        role: match &m.role_arn {
            Some(arn) => RoleRef::Arn(arn.clone()),
            None => RoleRef::Managed(role_name(owner, RoleKind::Infrastructure)),
        },
        size_in_gib: m.size_in_gib,
        volume_type: m.volume_type.map(|t| t.as_str().to_owned()),
        iops: m.iops,
        throughput: m.throughput,
        encrypted: m.encrypted,
        kms_key_id: m.kms_key_id.clone(),
        snapshot_id: m.snapshot_id.clone(),
        volume_initialization_rate: m.volume_initialization_rate,
        filesystem_type: m.filesystem_type.map(|f| f.as_str().to_owned()),
        tags: m.tags.clone(),
        propagate_tags: m.propagate_tags.map(|p| p.as_str().to_owned()),
    }
}

/// The circuit breaker as sent: the spec's (its newer settings only when the spec gives
/// them), except with Canary and Linear, where ECS watches alarms instead (the developer
/// guide's "deployment failure detection": the circuit breaker supports the rolling and
/// blue/green strategies).
fn circuit_breaker(d: &DeploymentSpec) -> CircuitBreakerDef {
    let cb = &d.circuit_breaker;
    match d.strategy.unwrap_or_default() {
        DeploymentStrategy::Canary | DeploymentStrategy::Linear => {
            CircuitBreakerDef::new(false, false)
        }
        _ => CircuitBreakerDef {
            reset_on_healthy_task: cb.reset_on_healthy_task,
            threshold: cb.threshold.as_ref().map(|t| ThresholdDef {
                kind: t.kind.as_str().to_owned(),
                value: t.value,
            }),
            ..CircuitBreakerDef::new(cb.enable, cb.rollback)
        },
    }
}

/// The strategy, bake times and hooks the spec asks for (ECS's defaults left to
/// [`RolloutDef::canonical`]).
fn desired_rollout(d: &DeploymentSpec) -> RolloutDef {
    RolloutDef {
        strategy: Some(d.strategy.unwrap_or_default().as_str().to_owned()),
        bake_time_minutes: d.bake_time_minutes,
        canary: d.canary.as_ref().map(|c| CanaryDef {
            percent_tenths: c.percent.map_or(CANARY_DEFAULTS.percent_tenths, tenths),
            bake_time_minutes: c
                .bake_time_minutes
                .unwrap_or(CANARY_DEFAULTS.bake_time_minutes),
        }),
        linear: d.linear.as_ref().map(|l| LinearDef {
            step_percent_tenths: l
                .step_percent
                .map_or(LINEAR_DEFAULTS.step_percent_tenths, tenths),
            step_bake_time_minutes: l
                .step_bake_time_minutes
                .unwrap_or(LINEAR_DEFAULTS.step_bake_time_minutes),
        }),
        lifecycle_hooks: d
            .lifecycle_hooks
            .iter()
            .map(|h| HookDef {
                lambda_arn: h.lambda_arn.clone(),
                role_arn: h.role_arn.clone(),
                stages: h.stages.iter().map(|s| s.as_str().to_owned()).collect(),
                timeout_minutes: h.timeout_minutes,
                timeout_action: h.timeout_action.map(|a| a.as_str().to_owned()),
                details: h
                    .details
                    .as_ref()
                    .map(|d| canonical_json(&serde_json::Value::Object(d.clone()))),
            })
            .collect(),
    }
}

fn desired_policies(
    spec: &FargateServiceSpec,
    service: &str,
) -> BTreeMap<String, (TargetTrackingDef, Option<String>)> {
    let mut out = BTreeMap::new();
    let Some(s) = &spec.scaling else { return out };
    let cooldowns = (
        s.scale_in_cooldown_seconds.unwrap_or(300),
        s.scale_out_cooldown_seconds.unwrap_or(300),
    );
    let mut add =
        |suffix: &str, metric: &str, label: Option<String>, tg: Option<String>, value: f64| {
            out.insert(
                scaling_policy_name(service, suffix),
                (
                    TargetTrackingDef {
                        metric: metric.to_owned(),
                        resource_label: label,
                        target_value: value,
                        scale_in_cooldown: cooldowns.0,
                        scale_out_cooldown: cooldowns.1,
                    },
                    tg,
                ),
            );
        };
    if let Some(v) = s.target_cpu_utilization {
        add(
            "cpu",
            "ECSServiceAverageCPUUtilization",
            None,
            None,
            f64::from(v),
        );
    }
    if let Some(v) = s.target_memory_utilization {
        add(
            "memory",
            "ECSServiceAverageMemoryUtilization",
            None,
            None,
            f64::from(v),
        );
    }
    if let Some(r) = &s.requests_per_target {
        let label = r
            .target_group_arn
            .find("targetgroup/")
            .map(|i| r.target_group_arn[i..].to_owned());
        add(
            "requests",
            "ALBRequestCountPerTarget",
            label,
            Some(r.target_group_arn.clone()),
            f64::from(r.value),
        );
    }
    out
}

/// Step 3: the service's autoscaling against what Application Auto Scaling has.
fn plan_scaling(
    spec: &FargateServiceSpec,
    cluster: &str,
    service: &str,
    observed: &ObservedScaling,
    actions: &mut Vec<Action>,
) {
    let rid = resource_id(cluster, service);
    let Some(s) = &spec.scaling else {
        remove_scaling(&rid, observed, actions);
        return;
    };
    if observed.target != Some((s.min_capacity, s.max_capacity)) {
        actions.push(Action::RegisterScalableTarget {
            resource_id: rid.clone(),
            min: s.min_capacity,
            max: s.max_capacity,
        });
    }
    plan_scaling_policies(&rid, &desired_policies(spec, service), observed, actions);
    plan_scheduled_actions(&rid, s, observed, actions);
}

/// Scaling removed from the spec: policies and schedules first, then the target.
fn remove_scaling(rid: &str, observed: &ObservedScaling, actions: &mut Vec<Action>) {
    for name in observed.policies.keys() {
        actions.push(Action::DeleteScalingPolicy {
            resource_id: rid.to_owned(),
            name: name.clone(),
        });
    }
    for name in observed.scheduled_actions.keys() {
        actions.push(Action::DeleteScheduledAction {
            resource_id: rid.to_owned(),
            name: name.clone(),
        });
    }
    if observed.target.is_some() {
        actions.push(Action::DeregisterScalableTarget {
            resource_id: rid.to_owned(),
        });
    }
}

/// Target-tracking policies: put those that differ, delete those no longer wanted.
fn plan_scaling_policies(
    rid: &str,
    want: &BTreeMap<String, (TargetTrackingDef, Option<String>)>,
    observed: &ObservedScaling,
    actions: &mut Vec<Action>,
) {
    for (name, (policy, tg)) in want {
        if !observed
            .policies
            .get(name)
            .is_some_and(|p| p.same_as(policy))
        {
            actions.push(Action::PutScalingPolicy {
                resource_id: rid.to_owned(),
                name: name.clone(),
                policy: policy.clone(),
                target_group_arn: tg.clone(),
            });
        }
    }
    for name in observed.policies.keys() {
        if !want.contains_key(name) {
            actions.push(Action::DeleteScalingPolicy {
                resource_id: rid.to_owned(),
                name: name.clone(),
            });
        }
    }
}

/// Scheduled actions: put those that differ, delete those no longer in the spec.
fn plan_scheduled_actions(
    rid: &str,
    s: &crate::api::fargateservice::ScalingSpec,
    observed: &ObservedScaling,
    actions: &mut Vec<Action>,
) {
    for sc in &s.schedules {
        let def = ScheduledActionDef {
            schedule: sc.schedule.clone(),
            timezone: sc.timezone.clone(),
            min_capacity: sc.min_capacity,
            max_capacity: sc.max_capacity,
        };
        if !observed
            .scheduled_actions
            .get(&sc.name)
            .is_some_and(|o| o.same_as(&def))
        {
            actions.push(Action::PutScheduledAction {
                resource_id: rid.to_owned(),
                name: sc.name.clone(),
                action: def,
            });
        }
    }
    for name in observed.scheduled_actions.keys() {
        if !s.schedules.iter().any(|sc| &sc.name == name) {
            actions.push(Action::DeleteScheduledAction {
                resource_id: rid.to_owned(),
                name: name.clone(),
            });
        }
    }
}

/// The operator-managed infrastructure role of a service whose managed EBS volume gives no
/// `roleArn`: trusted only by `ecs.amazonaws.com`, with AWS's policy for volumes alone and
/// the operator's permissions boundary. A role the spec no longer asks for is kept until the
/// service is deleted (ECS may still be deleting the volumes of stopping tasks with it).
fn plan_infrastructure_role(
    owner: &Owner,
    spec: &FargateServiceSpec,
    observed: &ObservedFargateService,
    config: &PlanConfig,
    actions: &mut Vec<Action>,
) -> Result<(), PlanError> {
    if !crate::api::ebs::wants_managed_role(spec) {
        return Ok(());
    }
    let role = DesiredRole {
        name: role_name(owner, RoleKind::Infrastructure),
        kind: RoleKind::Infrastructure,
        trust_policy: super::taskdef::service_trust_policy("ecs.amazonaws.com"),
        permissions_boundary: config.permissions_boundary.clone(),
        attached_policies: [crate::api::ebs::volumes_policy_arn(
            super::taskdef::partition(&config.region),
        )]
        .into(),
        inline_policies: BTreeMap::new(),
    };
    super::taskdef::plan_role(
        &role,
        observed.roles.get(&role.name),
        owner,
        "delete or rename that role, or give spec.volumeConfigurations[].managedEBSVolume.roleArn",
        actions,
    )
}

/// ECS reports a managed EBS volume's role by ARN: the desired managed role when it is that
/// role's.
fn managed_roles_as_desired(got: &ServiceBody, want: &ServiceBody) -> ServiceBody {
    let mut got = got.clone();
    for g in &mut got.volume_configurations {
        if let RoleRef::Arn(arn) = &g.role {
            if let Some(w) = want
                .volume_configurations
                .iter()
                .find(|w| w.role.is_arn_of(arn))
            {
                g.role = w.role.clone();
            }
        }
    }
    got
}

fn diff_service(
    want: &ServiceBody,
    got: &ObservedService,
    spec: &FargateServiceSpec,
) -> ServiceUpdate {
    let mut u = diff_body(want, &got.body, spec);
    if ServiceConnectDef::needs_update(
        want.service_connect.as_ref(),
        got.body.service_connect.as_ref(),
        &got.tags,
    ) {
        u.service_connect = Some(
            want.service_connect
                .clone()
                .unwrap_or_else(ServiceConnectDef::disabled),
        );
    }
    u
}

fn diff_body(want: &ServiceBody, got: &ServiceBody, spec: &FargateServiceSpec) -> ServiceUpdate {
    let got = &managed_roles_as_desired(got, want);
    let ignore_sgs = spec.network.security_groups.is_empty();
    let w = want.canonical(ignore_sgs);
    let g = got.canonical(ignore_sgs);
    let mut u = ServiceUpdate::default();
    if want.task_definition != got.task_definition {
        u.task_definition = Some(want.task_definition.clone());
    }
    // Rule 3: with scaling, desiredCount belongs to the autoscaler.
    if spec.scaling.is_none() && want.desired_count != got.desired_count {
        u.desired_count = Some(want.desired_count);
    }
    if w.strategy != g.strategy {
        u.capacity_provider_strategy = Some(w.strategy.clone());
        // ECS switches a launch-type service to a strategy only with a new deployment.
        u.force_new_deployment = got.launch_type.is_some();
    }
    if w.platform_version != g.platform_version {
        u.platform_version = Some(w.platform_version.clone());
    }
    if (&w.subnets, &w.security_groups, w.assign_public_ip)
        != (&g.subnets, &g.security_groups, g.assign_public_ip)
    {
        u.network = Some(NetworkDef {
            subnets: w.subnets.clone(),
            security_groups: w.security_groups.clone(),
            assign_public_ip: w.assign_public_ip,
        });
    }
    if w.load_balancers != g.load_balancers {
        u.load_balancers = Some(w.load_balancers.clone());
    }
    if w.health_check_grace_period_seconds != g.health_check_grace_period_seconds {
        u.health_check_grace_period_seconds = Some(w.health_check_grace_period_seconds);
    }
    if w.deployment != g.deployment {
        u.deployment = Some(w.deployment.clone());
    }
    if w.enable_execute_command != g.enable_execute_command {
        u.enable_execute_command = Some(w.enable_execute_command);
    }
    if w.service_registries != g.service_registries {
        u.service_registries = Some(w.service_registries.clone());
    }
    if w.propagate_tags != g.propagate_tags {
        u.propagate_tags = Some(w.propagate_tags.clone());
    }
    if w.vpc_lattice != g.vpc_lattice {
        u.vpc_lattice = Some(w.vpc_lattice.clone());
    }
    if w.monitoring != g.monitoring {
        u.monitoring = Some(w.monitoring.clone());
    }
    if !gateway_connectors_met(&want.gateway_connectors, &got.gateway_connectors) {
        u.gateway_connectors = Some(want.gateway_connectors.clone());
    }
    if w.volume_configurations != g.volume_configurations {
        // As the spec gives it (ECS's defaults left to ECS); an empty list removes it.
        u.volume_configurations = Some(want.volume_configurations.clone());
    }
    // Unset in the spec: ECS's choice, never drift. A service that never had a value is
    // DISABLED to ECS.
    if let Some(want_az) = &want.availability_zone_rebalancing {
        if got
            .availability_zone_rebalancing
            .as_deref()
            .unwrap_or("DISABLED")
            != want_az
        {
            u.availability_zone_rebalancing = Some(want_az.clone());
        }
    }
    u
}

/// The Fargate platform-version floor of a service, from the ECS API reference: Linux ARM64
/// tasks run on platform version 1.4.0 or later, on FARGATE and FARGATE_SPOT alike
/// (`RuntimePlatform`, `CapacityProviderStrategyItem`), and FARGATE_SPOT runs Linux X86_64
/// tasks on 1.3.0 or later. Unset and `LATEST` (1.4.0 or newer) meet both; the operator
/// registers Linux task definitions only, so Windows (no Spot) never arises. A task definition
/// given by ARN has no known architecture and is not checked.
fn platform_version_error(
    spec: &FargateServiceSpec,
    td: &TaskDefinitionInfo,
) -> Option<FieldError> {
    let spot = spec
        .capacity_provider_strategy
        .iter()
        .any(|i| i.capacity_provider == CapacityProvider::FargateSpot);
    let arm64 = td.size.as_ref()?.arm64;
    let (floor, what) = match (arm64, spot) {
        (true, true) => ((1, 4, 0), "FARGATE_SPOT runs ARM64 tasks"),
        (true, false) => ((1, 4, 0), "Fargate runs ARM64 tasks"),
        (false, true) => ((1, 3, 0), "FARGATE_SPOT runs X86_64 tasks"),
        (false, false) => return None,
    };
    let version = spec.platform_version.as_deref()?;
    if platform_version_number(version)? >= floor {
        return None;
    }
    let floor = format!("{}.{}.{}", floor.0, floor.1, floor.2);
    // ARM64 on Fargate needs 1.4.0 with or without Spot: dropping Spot is no fix for it.
    let alternative = if arm64 {
        ""
    } else {
        ", or drop FARGATE_SPOT from spec.capacityProviderStrategy"
    };
    Some(FieldError {
        field: "spec.platformVersion".into(),
        message: format!(
            "{what} (task definition {}) only on platform version {floor} or later, not {version}: set spec.platformVersion to {floor} or LATEST (or leave it unset){alternative}",
            td.family
        ),
    })
}

/// `1.4.0` as `(1, 4, 0)`; None for `LATEST` (always the newest) or anything else.
fn platform_version_number(v: &str) -> Option<(u32, u32, u32)> {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
    let parsed = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(parsed)
}

/// Plans one FargateService against what AWS has.
pub fn plan_fargate_service(
    inputs: ServiceInputs<'_>,
    observed: &ObservedFargateService,
    config: &PlanConfig,
) -> Result<Plan, PlanError> {
    let ServiceInputs {
        owner,
        spec,
        restarted_at,
        task_definition,
        rolled_back,
        pre_deploy: _,
    } = inputs;
    check_spec(owner, spec, restarted_at)?;
    let (tenant, floor) = (config.tenant.as_ref(), &config.floor);
    super::tenant::check_fargate_service(spec, tenant, floor, &owner.namespace)
        .map_err(PlanError::NotAllowed)?;
    let owner = &super::tenant::governed_owner(owner.clone(), config);
    let Some(td) = task_definition else {
        return Err(waiting_for_task_definition(owner, spec));
    };
    let td = &resolve_pin(td)?;
    check_against_task_definition(spec, td)?;

    let cluster = spec.cluster.name.clone();
    let name = service_name(owner, spec);
    let mut actions = vec![];
    let mut notes = vec![];

    // 1. Cluster, and the infrastructure role of managed EBS volumes.
    plan_cluster(
        owner,
        spec,
        observed.cluster.as_ref(),
        &mut actions,
        &mut notes,
    )?;
    plan_infrastructure_role(owner, spec, observed, config, &mut actions)?;

    // 2. Service.
    let initial_count = initial_desired_count(spec);
    let live = observed.service.as_ref().filter(|s| s.status != "INACTIVE");
    // A revision pinned on purpose is deployed whatever ECS did before.
    let want = super::rollback::hold(
        desired_body(owner, spec, &task_definition_ref(td), initial_count),
        live,
        rolled_back.filter(|_| td.pin.is_none()),
        owner.generation,
        &mut notes,
    );
    // The preDeploy gate: only the revision change waits for it.
    let (want, gate) = gate_revision(owner, &inputs, td, live, want, observed);
    actions.extend(gate.actions);
    notes.extend(gate.notes);
    let mut target = ServiceTarget {
        owner,
        spec,
        restarted_at,
        cluster: &cluster,
        name: &name,
        want: &want,
        tags: service_tags(owner, spec, restarted_at),
    };
    if wants_revision_settings(spec, live) {
        target
            .tags
            .insert(REVISION_SETTINGS_TAG.to_owned(), "true".to_owned());
    }
    let running_count = match live {
        // A new service waits for its first preDeploy (a pre-install migration).
        None if gate.hold => initial_count,
        None => {
            actions.push(create_service(&target));
            initial_count
        }
        Some(s) => plan_live_service(&target, s, &mut actions)?,
    };

    // 3. Autoscaling (unless it was not read: in sync at its last reading), once the
    // service exists or is created.
    if let Some(scaling) = observed
        .scaling
        .as_ref()
        .filter(|_| live.is_some() || !gate.hold)
    {
        plan_scaling(spec, &cluster, &name, scaling, &mut actions);
    }

    let estimated_monthly_cost_usd = td.size.as_ref().map(|size| {
        estimate_monthly_cost(
            size,
            running_count,
            &want.canonical_strategy(),
            &config.prices,
        )
    });
    let deployment_overlap = td.size.as_ref().and_then(|size| {
        let minutes = want.rollout.overlap_minutes()?;
        let strategy = want.canonical_strategy();
        Some(super::DeploymentOverlap {
            strategy: want.rollout.strategy().to_owned(),
            extra_tasks: running_count,
            minutes,
            usd: overlap_cost(size, running_count, &strategy, &config.prices, minutes),
        })
    });
    Ok(Plan {
        actions,
        notes,
        spec_hash: None,
        estimated_monthly_cost_usd,
        deployment_overlap,
        pre_deploy: gate.status.map(Box::new),
    })
}

/// Step 2's preDeploy gate ([`super::predeploy`]): `want` with the running revision kept
/// while the gate holds the new one, and the gate (its RunTask or StopTask, its notes, the
/// run to report).
fn gate_revision(
    owner: &Owner,
    inputs: &ServiceInputs<'_>,
    td: &TaskDefinitionInfo,
    live: Option<&ObservedService>,
    want: ServiceBody,
    observed: &ObservedFargateService,
) -> (ServiceBody, super::predeploy::Gate) {
    let pre_deploy = inputs.pre_deploy;
    let gate = super::predeploy::gate(
        super::predeploy::GateInputs {
            owner,
            spec: inputs.spec,
            running: live.map(|s| &s.body.task_definition),
            target: &want.task_definition,
            inputs: super::predeploy::PreDeployInputs {
                task_definition_arn: pre_deploy
                    .task_definition_arn
                    .or(td.pre_deploy_arn.as_deref()),
                ..pre_deploy
            },
        },
        observed.pre_deploy.as_ref(),
    );
    let want = match live {
        Some(s) if gate.hold => ServiceBody {
            task_definition: s.body.task_definition.clone(),
            ..want
        },
        _ => want,
    };
    (want, gate)
}

/// The spec, the names derived from the object and the `restartedAt` annotation, checked
/// before anything is planned. A restartedAt value that cannot be used refuses the plan:
/// nothing changes in AWS (no deployment is forced, nothing is torn down) until the
/// annotation is fixed.
fn check_spec(
    owner: &Owner,
    spec: &FargateServiceSpec,
    restarted_at: Option<&str>,
) -> Result<(), PlanError> {
    let mut errors = validate_fargate_service(spec)
        .err()
        .unwrap_or(ValidationErrors(vec![]));
    if let Err(e) = owner.validate_service_name(spec) {
        errors.0.extend(e.0);
    }
    if let Some(Err(e)) = restarted_at.map(|r| validate_restarted_at(r, &owner.name)) {
        errors.0.push(e);
    }
    if errors.0.is_empty() {
        Ok(())
    } else {
        Err(errors.into())
    }
}

/// The service waits (not an error of its spec) while its task definition cannot be
/// resolved.
fn waiting_for_task_definition(owner: &Owner, spec: &FargateServiceSpec) -> PlanError {
    let what = match (&spec.task_definition_ref, &spec.task_definition_arn) {
        (Some(r), _) => format!("TaskDefinition {}/{}", owner.namespace, r.name),
        (_, Some(arn)) => arn.clone(),
        _ => "the task definition".to_owned(),
    };
    PlanError::Waiting {
        reason: reasons::WAITING_FOR_TASK_DEFINITION,
        message: format!("waiting for {what} to exist and have a registered revision"),
    }
}

/// What the spec asks of the task definition it runs: every load balancer names one of its
/// containers and ports, every VPC Lattice registration and Service Connect endpoint one of
/// its port names, and the platform version runs its architecture.
fn check_against_task_definition(
    spec: &FargateServiceSpec,
    td: &TaskDefinitionInfo,
) -> Result<(), PlanError> {
    let mut errors = vec![];
    if let Some(containers) = &td.containers {
        errors.extend(load_balancer_errors(spec, td, containers));
    }
    if let Some(names) = &td.port_names {
        errors.extend(lattice_port_errors(spec, td, names));
        errors.extend(sc::port_name_errors(
            spec.service_connect.as_ref(),
            &td.family,
            names,
        ));
    }
    // A pinned revision may have other volumes than the TaskDefinition's spec: ECS checks.
    if let (Some(launch), None) = (&td.launch_volume, &td.pin) {
        errors.extend(launch_volume_errors(spec, td, launch.as_deref()));
    }
    if !errors.is_empty() {
        return Err(ValidationErrors(errors).into());
    }
    match platform_version_error(spec, td) {
        Some(e) => Err(ValidationErrors(vec![e]).into()),
        None => Ok(()),
    }
}

/// Load balancers naming a container the task definition does not have, or a port its
/// container does not map.
fn load_balancer_errors(
    spec: &FargateServiceSpec,
    td: &TaskDefinitionInfo,
    containers: &BTreeMap<String, Vec<i32>>,
) -> Vec<FieldError> {
    let mut errors = vec![];
    for (i, lb) in spec.load_balancers.iter().enumerate() {
        match containers.get(&lb.container_name) {
            None => errors.push(FieldError {
                field: format!("spec.loadBalancers[{i}].containerName"),
                message: format!(
                    "{:?} is not a container of task definition {} (containers: {:?})",
                    lb.container_name,
                    td.family,
                    containers.keys().collect::<Vec<_>>()
                ),
            }),
            Some(ports) if !ports.contains(&lb.container_port) => errors.push(FieldError {
                field: format!("spec.loadBalancers[{i}].containerPort"),
                message: format!(
                    "{} is not a portMapping of container {:?} (ports: {ports:?}): add it to the TaskDefinition's portMappings",
                    lb.container_port, lb.container_name
                ),
            }),
            Some(_) => {}
        }
    }
    errors
}

/// The service's managed EBS volume against the task definition's volume configured at
/// launch: one needs the other, under the same name (ECS refuses the service otherwise).
fn launch_volume_errors(
    spec: &FargateServiceSpec,
    td: &TaskDefinitionInfo,
    launch: Option<&str>,
) -> Vec<FieldError> {
    let given = spec.volume_configurations.first();
    match (launch, given) {
        (None, None) => vec![],
        (Some(name), None) => vec![FieldError {
            field: "spec.volumeConfigurations".into(),
            message: format!(
                "task definition {} has volume {name:?} with configuredAtLaunch: true: add a volumeConfigurations entry named {name:?} (its managedEBSVolume), or remove configuredAtLaunch",
                td.family
            ),
        }],
        (launch, Some(v)) if launch != Some(v.name.as_str()) => vec![FieldError {
            field: "spec.volumeConfigurations[0].name".into(),
            message: match launch {
                Some(name) => format!(
                    "{:?} is not the volume of task definition {} configured at launch: name it {name:?}",
                    v.name, td.family
                ),
                None => format!(
                    "task definition {} has no volume with configuredAtLaunch: true: add one named {:?} to its spec.volumes, or remove volumeConfigurations",
                    td.family, v.name
                ),
            },
        }],
        _ => vec![],
    }
}

/// VPC Lattice registrations and gateway connectors naming a port the task definition does
/// not name.
fn lattice_port_errors(
    spec: &FargateServiceSpec,
    td: &TaskDefinitionInfo,
    names: &std::collections::BTreeSet<String>,
) -> Vec<FieldError> {
    let lattice = spec
        .vpc_lattice
        .iter()
        .enumerate()
        .map(|(i, l)| (format!("spec.vpcLattice[{i}].portName"), &l.port_name));
    let gateway = spec.gateway_connectors.iter().enumerate().map(|(i, g)| {
        (
            format!("spec.gatewayConnectors[{i}].portName"),
            &g.port_name,
        )
    });
    lattice
        .chain(gateway)
        .filter(|(_, name)| !names.contains(*name))
        .map(|(field, name)| unknown_port_name(field, name, &td.family, names))
        .collect()
}

/// `field` names `port`, which is not a port name of task definition `family`.
pub(super) fn unknown_port_name(
    field: String,
    port: &str,
    family: &str,
    names: &std::collections::BTreeSet<String>,
) -> FieldError {
    FieldError {
        field,
        message: format!(
            "{port:?} is not the name of a port mapping of task definition {family} (names: {names:?}): name the port in the TaskDefinition's portMappings[].name"
        ),
    }
}

/// Step 1: the cluster. A missing (or inactive) one is created when the spec asks, else the
/// service waits; a live one missing a capacity provider the strategy names is a note.
fn plan_cluster(
    owner: &Owner,
    spec: &FargateServiceSpec,
    observed: Option<&ObservedCluster>,
    actions: &mut Vec<Action>,
    notes: &mut Vec<Note>,
) -> Result<(), PlanError> {
    let cluster = &spec.cluster.name;
    let cluster_active =
        observed.is_some_and(|c| c.status == "ACTIVE" || c.status == "PROVISIONING");
    if !cluster_active {
        if !spec.cluster.create {
            return Err(PlanError::Waiting {
                reason: reasons::CLUSTER_NOT_FOUND,
                message: format!(
                    "ECS cluster {cluster} does not exist and spec.cluster.create is false: create the cluster, or set spec.cluster.create: true"
                ),
            });
        }
        let mut tags = spec.tags.clone();
        tags.insert(MANAGED_BY_TAG.to_owned(), "fargate-operator".to_owned());
        let defaults = spec.cluster.service_connect_defaults.as_ref();
        if let Some(d) = defaults {
            tags.extend(sc::cluster_defaults_tags(owner, &d.namespace));
        }
        actions.push(Action::CreateCluster {
            name: cluster.clone(),
            capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            tags,
            container_insights: spec
                .cluster
                .container_insights
                .map(|c| c.as_str().to_owned()),
            service_connect_namespace: defaults.map(|d| d.namespace.clone()),
        });
    } else if let Some(c) = observed {
        plan_container_insights(spec, c, actions, notes);
        sc::plan_cluster_defaults(owner, spec, c, actions, notes);
        for item in &spec.capacity_provider_strategy {
            let p = item.capacity_provider.as_str();
            if !c.capacity_providers.iter().any(|x| x == p) {
                notes.push(Note {
                    reason: reasons::AWS_REJECTED,
                    message: format!(
                        "cluster {cluster} has no {p} capacity provider: ECS will reject the strategy until it is added (aws ecs put-cluster-capacity-providers)"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A live cluster's Container Insights setting, when the spec gives one: changed on a
/// cluster the operator created (its managed-by tag), only noted on anyone else's. ECS
/// reports no setting for a cluster that never had one: `disabled`.
fn plan_container_insights(
    spec: &FargateServiceSpec,
    observed: &ObservedCluster,
    actions: &mut Vec<Action>,
    notes: &mut Vec<Note>,
) {
    let Some(want) = spec.cluster.container_insights.map(|c| c.as_str()) else {
        return;
    };
    let got = observed.container_insights.as_deref().unwrap_or("disabled");
    if got == want {
        return;
    }
    let name = &spec.cluster.name;
    if observed.tags.get(MANAGED_BY_TAG).map(String::as_str) == Some("fargate-operator") {
        actions.push(Action::UpdateClusterSettings {
            name: name.clone(),
            container_insights: want.to_owned(),
        });
    } else {
        notes.push(Note {
            reason: reasons::CONFLICT,
            message: format!(
                "cluster {name} was not created by the operator: its Container Insights stays {got} (spec.cluster.containerInsights asks for {want}); change it yourself, or remove the setting"
            ),
        });
    }
}

/// The revision to deploy: its ARN, or the family's revision registered in this same run.
fn task_definition_ref(td: &TaskDefinitionInfo) -> TaskDefinitionRef {
    match &td.arn {
        Some(arn) => TaskDefinitionRef::Arn(arn.clone()),
        None => TaskDefinitionRef::Pending {
            family: td.family.clone(),
        },
    }
}

/// The desired count a new service starts with: the spec's, within the autoscaling bounds.
fn initial_desired_count(spec: &FargateServiceSpec) -> i32 {
    match &spec.scaling {
        Some(s) => spec.desired_count.clamp(s.min_capacity, s.max_capacity),
        None => spec.desired_count,
    }
}

/// The tags the ECS service carries: the user's, the owner's, and, when the object asks for
/// a restart, that restart as done (a new service starts with a fresh deployment).
fn service_tags(owner: &Owner, spec: &FargateServiceSpec, restarted_at: Option<&str>) -> Tags {
    let mut tags = spec.tags.clone();
    tags.extend(owner.tags());
    tags.extend(sc::tag(
        spec.service_connect
            .as_ref()
            .map(ServiceConnectDef::from_spec)
            .as_ref(),
    ));
    if let Some(r) = restarted_at {
        tags.insert(RESTARTED_AT_TAG.to_owned(), restart_tag(r));
    }
    tags
}

/// Step 2's inputs: the object, where its ECS service is, and how it should be.
struct ServiceTarget<'a> {
    owner: &'a Owner,
    spec: &'a FargateServiceSpec,
    restarted_at: Option<&'a str>,
    cluster: &'a str,
    name: &'a str,
    want: &'a ServiceBody,
    /// [`service_tags`].
    tags: Tags,
}

/// Step 2 with no live service: create it (idempotently, by client token).
fn create_service(t: &ServiceTarget<'_>) -> Action {
    Action::CreateService {
        cluster: t.cluster.to_owned(),
        name: t.name.to_owned(),
        body: Box::new(t.want.clone()),
        tags: t.tags.clone(),
        client_token: client_token(t.owner),
    }
}

/// Step 2 with a live service: wait while it drains, refuse one that is not this object's
/// (unless adopted), else tag and update it. Returns the desired count it runs at after the
/// plan (for the cost estimate).
fn plan_live_service(
    t: &ServiceTarget<'_>,
    s: &ObservedService,
    actions: &mut Vec<Action>,
) -> Result<i32, PlanError> {
    if s.status == "DRAINING" {
        return Err(PlanError::Waiting {
            reason: reasons::DEPLOYING,
            message: format!(
                "ECS service {} is draining after a delete; it is re-created once ECS finishes",
                t.name
            ),
        });
    }
    let adopting = claim(t, s)?;
    let mut running_count = s.body.desired_count;
    // Tags written before the update: an adoption's claim, so a crash after the update
    // still finds the service ours, and a restart's pending mark.
    let force_restart = restart_needed(
        t.restarted_at,
        s.tags.get(RESTARTED_AT_TAG).map(String::as_str),
    );
    let before = tags_before_update(t, s, adopting, force_restart);
    if !before.is_empty() {
        actions.push(Action::TagService {
            arn: s.arn.clone(),
            tags: before.clone(),
            remove: vec![],
        });
    }
    let mut update = diff_service(t.want, s, t.spec);
    update.force_new_deployment |= force_restart;
    if !update.is_empty() {
        if let Some(c) = update.desired_count {
            running_count = c;
        }
        actions.push(Action::UpdateService {
            cluster: t.cluster.to_owned(),
            name: t.name.to_owned(),
            changes: Box::new(update),
        });
    }
    actions.extend(tags_after_update(t, s, before, adopting));
    Ok(running_count)
}

/// Whether the live service is this object's: `Ok(false)` when it owns it, `Ok(true)` when
/// it adopts an unmanaged one (or one of an earlier object of the same name) as the
/// annotation asks, a conflict otherwise.
fn claim(t: &ServiceTarget<'_>, s: &ObservedService) -> Result<bool, PlanError> {
    match t.owner.ownership(&s.tags) {
        Ownership::Owned => Ok(false),
        Ownership::Unmanaged | Ownership::PreviousIncarnation if t.owner.adopt => Ok(true),
        Ownership::Unmanaged | Ownership::PreviousIncarnation
            if t.owner.adopt_forbidden.is_some() =>
        {
            Err(super::adoption_not_allowed(
                format!("ECS service {} in cluster {}", t.name, t.cluster),
                t.owner,
            ))
        }
        other => {
            let hint = match other {
                Ownership::Other(_) => "two objects cannot own one ECS service: set spec.serviceName to another name",
                _ => "add the annotation ecs.fargate.dev/adopt: \"true\" to take it over, or set spec.serviceName to another name",
            };
            Err(super::conflict(
                format!("ECS service {} in cluster {}", t.name, t.cluster),
                &other,
                hint,
            ))
        }
    }
}

/// The tags written before the UpdateService: all of them when adopting (the claim), and a
/// restart's pending mark; only those the service does not carry already.
///
/// A restart is recorded before it is forced, and in two steps: the tag says
/// `pending:<hash>` before the UpdateService that forces the deployment, and `<hash>` after
/// it. A crash between the mark and the update resumes the restart on the next reconcile (a
/// restart is never lost); a crash between the update and the final tag forces it once more
/// (at most one extra deployment). Forcing first and tagging after was as safe against
/// crashes, but a tag write that failed every time (a value ECS refused, a missing
/// permission, the tag limit) then forced a deployment on every retry; now it fails before
/// any deployment.
fn tags_before_update(
    t: &ServiceTarget<'_>,
    s: &ObservedService,
    adopting: bool,
    force_restart: bool,
) -> Tags {
    let mut before = if adopting {
        t.tags.clone()
    } else {
        Tags::new()
    };
    if let (true, Some(r)) = (force_restart, t.restarted_at) {
        before.insert(RESTARTED_AT_TAG.to_owned(), restart_pending_tag(r));
    }
    before.retain(|k, v| s.tags.get(k) != Some(v));
    before
}

/// After the update: the rest of the tags (the restart done), against the tags as the steps
/// before left them. An adopted service keeps the tags it had.
fn tags_after_update(
    t: &ServiceTarget<'_>,
    s: &ObservedService,
    before: Tags,
    adopting: bool,
) -> Option<Action> {
    let mut current = s.tags.clone();
    current.extend(before);
    let (add, mut remove) = tag_changes(&current, &t.tags);
    if adopting {
        remove.clear();
    }
    (!add.is_empty() || !remove.is_empty()).then(|| Action::TagService {
        arn: s.arn.clone(),
        tags: add,
        remove,
    })
}

//! `FargateService`: a long-running, self-healing ECS service on Fargate.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::{ListMerge, Rule};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::ebs::{EbsFilesystemType, EbsVolumeType, ManagedEbsVolume, VolumeConfiguration};
pub use super::gateway::{
    GatewayAccessType, GatewayConnector, GatewayFilters, GatewayHealthCheck,
    GatewayHealthCheckMatcher, GatewayHealthCheckProtocol,
};
pub use super::monitoring::{MetricConfiguration, MetricName, Monitoring};
use super::patterns;

/// A long-running ECS service on Fargate: which TaskDefinition to run, how many copies, where,
/// behind which load balancer, how to roll out, and how to scale.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "ecs.fargate.dev",
    version = "v1alpha1",
    kind = "FargateService",
    namespaced,
    status = "FargateServiceStatus",
    shortname = "fgs",
    shortname = "fargatesvc",
    category = "fargate",
    derive = "PartialEq",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Desired","type":"integer","jsonPath":".status.desiredCount"}"#,
    printcolumn = r#"{"name":"Running","type":"integer","jsonPath":".status.runningCount"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".status.taskDefinitionRevision"}"#,
    printcolumn = r#"{"name":"Rollout","type":"string","jsonPath":".status.rolloutState"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.taskDefinitionRef) != has(self.taskDefinitionArn)")
        .message("set exactly one of spec.taskDefinitionRef (a TaskDefinition in this namespace) or spec.taskDefinitionArn (an existing revision)"),
    validation = Rule::new("has(self.serviceName) == has(oldSelf.serviceName) && (!has(self.serviceName) || self.serviceName == oldSelf.serviceName)")
        .message("spec.serviceName is immutable: ECS cannot rename a service; create a new FargateService instead"),
    validation = Rule::new("(has(self.cluster) && has(self.cluster.name) ? self.cluster.name : 'default') == (has(oldSelf.cluster) && has(oldSelf.cluster.name) ? oldSelf.cluster.name : 'default')")
        .message("spec.cluster.name is immutable: ECS cannot move a service between clusters; create a new FargateService instead")
        .field_path(".cluster.name"),
    validation = Rule::new("!has(self.cluster) || !has(self.cluster.serviceConnectDefaults) || !has(self.cluster.create) || self.cluster.create")
        .message("spec.cluster.serviceConnectDefaults applies to a cluster the operator creates (create: true); the operator never changes a cluster it did not create")
        .field_path(".cluster.serviceConnectDefaults"),
    validation = Rule::new("!has(self.scaling) || !has(self.scaling.requestsPerTarget) || (has(self.loadBalancers) && self.loadBalancers.exists(lb, lb.targetGroupArn == self.scaling.requestsPerTarget.targetGroupArn))")
        .message("spec.scaling.requestsPerTarget.targetGroupArn must be one of spec.loadBalancers[].targetGroupArn")
        .field_path(".scaling.requestsPerTarget.targetGroupArn"),
    validation = Rule::new("!has(self.tags) || self.tags.all(k, !k.startsWith('ecs.fargate.dev/') && !k.startsWith('aws:'))")
        .message("spec.tags: keys starting with ecs.fargate.dev/ or aws: are reserved")
        .field_path(".tags"),
    validation = Rule::new("!has(self.tags) || self.tags.all(k, k.size() >= 1 && k.size() <= 128)")
        .message("spec.tags: a tag key is 1 to 128 characters (AWS's limit)")
        .field_path(".tags"),
    validation = Rule::new("!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(c, has(c.base) && c.base > 0).size() <= 1")
        .message("spec.capacityProviderStrategy: only one capacity provider may have a base")
        .field_path(".capacityProviderStrategy"),
    validation = Rule::new("!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.exists(c, !has(c.weight) || c.weight > 0)")
        .message("spec.capacityProviderStrategy: at least one capacity provider needs a weight above 0")
        .field_path(".capacityProviderStrategy"),
    validation = Rule::new("!has(self.deployment) || !has(self.deployment.strategy) || self.deployment.strategy == 'Rolling' || !has(self.loadBalancers) || self.loadBalancers.all(lb, has(lb.advanced))")
        .message("spec.loadBalancers: with a BlueGreen, Canary or Linear strategy every load balancer needs advanced (alternateTargetGroupArn, productionListenerRule, roleArn), so ECS can shift traffic between the revisions")
        .field_path(".loadBalancers"),
    validation = Rule::new("!has(self.loadBalancers) || !self.loadBalancers.exists(lb, has(lb.advanced)) || (has(self.deployment) && has(self.deployment.strategy) && self.deployment.strategy != 'Rolling')")
        .message("spec.loadBalancers: advanced applies to the BlueGreen, Canary and Linear strategies only: set spec.deployment.strategy, or remove advanced")
        .field_path(".loadBalancers"),
    validation = Rule::new("!has(self.vpcLattice) || !self.vpcLattice.exists(l, has(l.advanced)) || (has(self.deployment) && has(self.deployment.strategy) && self.deployment.strategy != 'Rolling')")
        .message("spec.vpcLattice: advanced applies to the BlueGreen, Canary and Linear strategies only: set spec.deployment.strategy, or remove advanced")
        .field_path(".vpcLattice"),
    validation = Rule::new("!has(self.serviceConnect) || !has(self.serviceConnect.services) || !self.serviceConnect.services.exists(s, has(s.clientAliases) && s.clientAliases.exists(a, has(a.testTrafficHeader))) || (has(self.deployment) && has(self.deployment.strategy) && self.deployment.strategy != 'Rolling')")
        .message("spec.serviceConnect: clientAliases[].testTrafficHeader applies to the BlueGreen, Canary and Linear strategies only: set spec.deployment.strategy, or remove testTrafficHeader")
        .field_path(".serviceConnect"),
    validation = Rule::new("!has(self.deployment) || !has(self.deployment.strategy) || (self.deployment.strategy != 'Canary' && self.deployment.strategy != 'Linear') || (has(self.loadBalancers) && size(self.loadBalancers) > 0)")
        .message("spec.loadBalancers: Canary and Linear deployments shift production traffic through a load balancer: add one (with advanced), or use BlueGreen or Rolling")
        .field_path(".loadBalancers"),
)]
pub struct FargateServiceSpec {
    /// The ECS cluster. Defaults to `{name: default, create: true}`.
    #[serde(default)]
    pub cluster: ClusterSpec,

    /// ECS service name. Defaults to `<namespace>_<name>` (objects made by earlier versions keep
    /// `<namespace>-<name>`, which their status records). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ECS_NAME), length(max = 255))]
    pub service_name: Option<String>,

    /// A TaskDefinition in the same namespace; the service deploys its current revision and
    /// rolls out each new one. Exactly one of this or `taskDefinitionArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<LocalObjectRef>,

    /// An existing task-definition revision ARN, for task definitions managed elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::TASK_DEFINITION_ARN), length(max = 512))]
    pub task_definition_arn: Option<String>,

    /// Number of tasks (default 1). With `scaling` set this is only the initial count: the
    /// autoscaler owns it afterwards.
    #[serde(default = "default_desired_count")]
    #[schemars(range(min = 0, max = 5000))]
    pub desired_count: i32,

    /// VPC networking (awsvpc): subnets, security groups, public IP. May be left out when
    /// the namespace's FargateTenant has default subnets.
    #[serde(default)]
    pub network: NetworkSpec,

    /// Target groups to register tasks with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub load_balancers: Vec<LoadBalancer>,

    /// Seconds ECS ignores failing load-balancer health checks after a task starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 2147483647))]
    pub health_check_grace_period_seconds: Option<i32>,

    /// How a new revision rolls out: the strategy (Rolling, BlueGreen, Canary, Linear), its
    /// bake times, the alarms that stop and roll back, and lifecycle hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentSpec>,

    /// Mix of FARGATE and FARGATE_SPOT. Unset runs everything on FARGATE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["capacityProvider".into()]))]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,

    /// Fargate platform version (default `LATEST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::PLATFORM_VERSION), length(max = 32))]
    pub platform_version: Option<String>,

    /// Allow `aws ecs execute-command` into the tasks (the task role needs SSM permissions).
    #[serde(default)]
    pub enable_execute_command: bool,

    /// Cloud Map service registries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    pub service_registries: Vec<ServiceRegistry>,

    /// Copy tags to tasks from the `SERVICE` or the `TASK_DEFINITION`, or `NONE` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,

    /// Tags for the ECS service (and the cluster, if the operator creates it). Keys starting
    /// with `ecs.fargate.dev/` or `aws:` are reserved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::validation::tags_schema")]
    pub tags: BTreeMap<String, String>,

    /// `Delete` (default) removes the ECS service and its autoscaling (and its managed
    /// infrastructure role) when this object is deleted; `Retain` leaves them running, untouched (a new object of the same name must
    /// adopt them).
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Application Auto Scaling. When set, the autoscaler owns the running count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<ScalingSpec>,

    /// Move tasks between Availability Zones when they become unbalanced (after an AZ
    /// outage, or a scale-in): `ENABLED` or `DISABLED`. Unset leaves it to ECS: `ENABLED`
    /// for a new service, and an existing service keeps its setting. Changing it starts no
    /// deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<super::taskdefinition::Toggle>,

    /// Amazon VPC Lattice target groups to register the tasks with (at most 5), each through
    /// a named port mapping of the task definition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["targetGroupArn".into()]))]
    pub vpc_lattice: Vec<VpcLattice>,

    /// The managed Amazon EBS volume ECS creates for each task (at most one): its settings
    /// for the task definition's volume with `configuredAtLaunch: true`, which must have
    /// the same name. A change starts a deployment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    pub volume_configurations: Vec<VolumeConfiguration>,
    /// ECS Service Connect: the Cloud Map namespace the tasks join, the endpoints they
    /// publish there (named port mappings of the task definition), and the proxy's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect: Option<super::service_connect::ServiceConnect>,

    /// The resolution of the service's `CPUUtilization` and `MemoryUtilization` CloudWatch
    /// metrics (ECS's default: 60 seconds). A change starts a deployment. DescribeServices
    /// does not report it: the operator reads the service revision it runs
    /// (DescribeServiceRevisions), only while the service has or had one set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,

    /// Attach the service to the ingress paths of its cluster's ECS gateways through a named
    /// port of the task definition (at most one connector; the cluster needs an ACTIVE
    /// gateway association, or ECS refuses). Removing it detaches the service. Read from the
    /// service revision, as `monitoring`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    pub gateway_connectors: Vec<GatewayConnector>,
}

/// A VPC Lattice target group the tasks are registered with. (ECS publishes no limit on
/// how many; 5 is its limit of load-balancer target groups per service.)
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.advanced) || self.advanced.alternateTargetGroupArn != self.targetGroupArn")
        .message("vpcLattice[].advanced.alternateTargetGroupArn must differ from targetGroupArn: the new revision registers with the alternate target group while traffic shifts")
        .field_path(".advanced.alternateTargetGroupArn"),
)]
pub struct VpcLattice {
    /// The ECS infrastructure role ECS uses to manage the Lattice registration, e.g.
    /// `arn:aws:iam::123456789012:role/ecsInfrastructureRole` (trusted by
    /// `ecs.amazonaws.com`, with AWS's `AmazonECSInfrastructureRolePolicyForVpcLattice`).
    /// The operator passes it to ECS: its policy must allow `iam:PassRole` on it
    /// (iam/README.md).
    #[schemars(regex(pattern = patterns::ROLE_ARN), length(max = 2048))]
    pub role_arn: String,
    /// The Lattice target group, e.g.
    /// `arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0`.
    #[schemars(regex(pattern = patterns::LATTICE_TARGET_GROUP_ARN), length(max = 256))]
    pub target_group_arn: String,
    /// The `name` of a port mapping of the task definition.
    #[schemars(regex(pattern = patterns::PORT_NAME), length(max = 64))]
    pub port_name: String,
    /// What ECS needs to shift traffic through VPC Lattice in BlueGreen, Canary and Linear
    /// deployments (refused with Rolling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<super::service_connect::VpcLatticeAdvanced>,
}

fn default_desired_count() -> i32 {
    1
}

fn default_true() -> bool {
    true
}

/// The cluster a FargateService runs in when it names none (a FargateTenant's
/// `defaults.cluster` replaces it).
pub const DEFAULT_CLUSTER: &str = "default";

fn default_cluster_name() -> String {
    DEFAULT_CLUSTER.to_owned()
}

/// The ECS cluster a service runs in.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    /// Cluster name (default `default`). Immutable.
    #[serde(default = "default_cluster_name")]
    #[schemars(regex(pattern = patterns::ECS_NAME), length(max = 255))]
    pub name: String,
    /// Create the cluster (with FARGATE and FARGATE_SPOT capacity providers) if it does not
    /// exist (default true). Clusters are shared and never deleted by the operator.
    #[serde(default = "default_true")]
    pub create: bool,
    /// CloudWatch Container Insights for the cluster: `enhanced` (per-task and per-container
    /// metrics), `enabled` or `disabled`. Set when the operator creates the cluster, and kept
    /// so on a cluster it created (UpdateClusterSettings); a cluster someone else made is
    /// never changed (a note says so). Unset: whatever the cluster has. The cluster is
    /// shared: give its services the same value, or set it on one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_insights: Option<ContainerInsights>,
    /// The cluster's default Service Connect namespace: the one a service with
    /// `serviceConnect` but no `namespace` joins. Set when the operator creates the cluster,
    /// and changed on a cluster it created (by the FargateService that set it; others get a
    /// note). Removing it leaves the cluster's default as it is (clusters are shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_defaults: Option<super::service_connect::ClusterServiceConnectDefaults>,
}

/// A cluster's CloudWatch Container Insights setting.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContainerInsights {
    /// Enhanced observability: task- and container-level metrics.
    Enhanced,
    /// Cluster- and service-level metrics.
    Enabled,
    /// Off.
    Disabled,
}

impl ContainerInsights {
    /// The ECS API string (the value of the `containerInsights` cluster setting).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enhanced => "enhanced",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

impl Default for ClusterSpec {
    fn default() -> Self {
        Self {
            name: default_cluster_name(),
            create: true,
            container_insights: None,
            service_connect_defaults: None,
        }
    }
}

/// A reference to a TaskDefinition in the same namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
pub struct LocalObjectRef {
    /// Object name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Pin the service to this revision of the TaskDefinition's family (one it keeps, see
    /// its `status.revisionHistory`) instead of its current one: a rollback. Remove it to
    /// follow the TaskDefinition again. The `ecs.fargate.dev/rollback-to` annotation, when
    /// set, takes precedence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 999_999_999))]
    pub revision: Option<i32>,
}

/// VPC networking for the tasks.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSpec {
    /// Subnet IDs (1-16), e.g. `subnet-0123456789abcdef0`. Use private subnets with a NAT
    /// gateway or VPC endpoints, or public subnets with `assignPublicIp: true`. Left empty,
    /// the namespace's FargateTenant's `defaults.subnets` (and its `assignPublicIp`); with
    /// neither, the object is refused (InvalidSpec).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    #[schemars(inner(regex(pattern = patterns::SUBNET_ID), length(max = 24)))]
    pub subnets: Vec<String>,
    /// Security group IDs (up to 5). The VPC's default group is used when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    #[schemars(inner(regex(pattern = patterns::SECURITY_GROUP_ID), length(max = 20)))]
    pub security_groups: Vec<String>,
    /// Give tasks a public IP (default false). Needed to pull images from public subnets
    /// without a NAT gateway.
    #[serde(default)]
    pub assign_public_ip: bool,
}

/// A target group tasks are registered with.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    /// Target group ARN (target type `ip`).
    #[schemars(regex(pattern = patterns::TARGET_GROUP_ARN), length(max = 256))]
    pub target_group_arn: String,
    /// Container receiving the traffic.
    #[schemars(regex(pattern = patterns::ECS_NAME), length(max = 255))]
    pub container_name: String,
    /// Its port (must be one of the container's portMappings).
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: i32,
    /// What ECS needs to shift traffic in BlueGreen, Canary and Linear deployments (required
    /// with those strategies, refused without them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<LoadBalancerAdvanced>,
}

/// A load balancer's blue/green resources (ECS `AdvancedConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerAdvanced {
    /// The target group the new revision's tasks register with while traffic shifts (target
    /// type `ip`, same VPC and port as `targetGroupArn`).
    #[schemars(regex(pattern = patterns::TARGET_GROUP_ARN), length(max = 256))]
    pub alternate_target_group_arn: String,
    /// The listener rule (Application Load Balancer) or listener (Network Load Balancer)
    /// that routes production traffic; ECS moves its weights between the target groups.
    #[schemars(regex(pattern = patterns::LISTENER_RULE_ARN), length(max = 512))]
    pub production_listener_rule: String,
    /// The listener rule or listener that routes test traffic to the new revision before
    /// production traffic moves (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::LISTENER_RULE_ARN), length(max = 512))]
    pub test_listener_rule: Option<String>,
    /// The IAM role ECS assumes to change the listener rules (trusts `ecs.amazonaws.com`,
    /// with the Elastic Load Balancing permissions of AWS's
    /// `AmazonECS-ServiceLinkedRolePolicy`-style infrastructure role).
    #[schemars(regex(pattern = patterns::ROLE_ARN), length(max = 2048))]
    pub role_arn: String,
}

/// How a new revision rolls out.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("(has(self.minimumHealthyPercent) ? self.minimumHealthyPercent : 100) < (has(self.maximumPercent) ? self.maximumPercent : 200)")
        .message("deployment.maximumPercent must be greater than minimumHealthyPercent, or a rolling update can neither start nor stop a task")
        .field_path(".maximumPercent"),
    validation = Rule::new("!has(self.earlySuccess) || self.earlySuccess.healthyPercent >= (has(self.minimumHealthyPercent) ? self.minimumHealthyPercent : 100)")
        .message("deployment.earlySuccess.healthyPercent must be at least minimumHealthyPercent (default 100)")
        .field_path(".earlySuccess.healthyPercent"),
    validation = Rule::new("!has(self.earlySuccess) || !has(self.strategy) || self.strategy == 'Rolling'")
        .message("deployment.earlySuccess applies to the Rolling strategy only: remove earlySuccess, or use strategy Rolling")
        .field_path(".earlySuccess"),
    validation = Rule::new("!has(self.strategy) || self.strategy == 'Rolling' || has(self.bakeTimeMinutes)")
        .message("deployment.bakeTimeMinutes is required with the BlueGreen, Canary and Linear strategies: how long both revisions run after production traffic moved (0-1440)")
        .field_path(".bakeTimeMinutes"),
    validation = Rule::new("!has(self.bakeTimeMinutes) || (has(self.strategy) && self.strategy != 'Rolling')")
        .message("deployment.bakeTimeMinutes applies to the BlueGreen, Canary and Linear strategies only: set deployment.strategy, or remove bakeTimeMinutes")
        .field_path(".bakeTimeMinutes"),
    validation = Rule::new("!has(self.canary) || (has(self.strategy) && self.strategy == 'Canary')")
        .message("deployment.canary applies to strategy Canary only")
        .field_path(".canary"),
    validation = Rule::new("!has(self.linear) || (has(self.strategy) && self.strategy == 'Linear')")
        .message("deployment.linear applies to strategy Linear only")
        .field_path(".linear"),
)]
pub struct DeploymentSpec {
    /// `Rolling` (default): replace tasks in place, within minimumHealthyPercent and
    /// maximumPercent. `BlueGreen`: start the new revision beside the old one, shift all
    /// traffic at once, keep both for `bakeTimeMinutes`. `Canary`: shift `canary.percent` of
    /// traffic first, the rest after `canary.bakeTimeMinutes`. `Linear`: shift
    /// `linear.stepPercent` at a time, `linear.stepBakeTimeMinutes` apart. The last three
    /// need `bakeTimeMinutes`; Canary and Linear need a load balancer, and with any of them
    /// every load balancer needs `advanced`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<DeploymentStrategy>,
    /// Minutes both revisions keep running after production traffic moved to the new one,
    /// so a rollback is instant (0-1440). Required with BlueGreen, Canary and Linear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub bake_time_minutes: Option<i32>,
    /// The canary step (strategy Canary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanarySpec>,
    /// The linear steps (strategy Linear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear: Option<LinearSpec>,
    /// Lambda functions ECS invokes at stages of a deployment; one that fails (or times
    /// out, by default) rolls the deployment back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub lifecycle_hooks: Vec<LifecycleHook>,
    /// Lower bound of running tasks during a deployment, in percent of desiredCount (0-100,
    /// default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub minimum_healthy_percent: Option<i32>,
    /// Upper bound of tasks during a deployment, in percent of desiredCount (100-200, default
    /// 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 200))]
    pub maximum_percent: Option<i32>,
    /// Stop (and roll back) a deployment whose tasks keep failing. Both default true. ECS
    /// applies it to the Rolling and BlueGreen strategies; with Canary and Linear the
    /// operator turns it off and `alarms` are what stop and roll back.
    #[serde(default)]
    pub circuit_breaker: CircuitBreaker,
    /// CloudWatch alarms that fail a deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
    /// Declare a rolling deployment successful as soon as this share of the new tasks is
    /// healthy, instead of waiting for the service to settle completely. Unset: wait. With the
    /// Rolling strategy only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_success: Option<EarlySuccess>,
    /// A task (a migration) that must succeed before the service moves to a new revision,
    /// the first one included: until it does, the service keeps its running revision (a new
    /// service is not created) while its other changes still go through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_deploy: Option<super::predeploy::PreDeploySpec>,
}

/// Early success of a rolling deployment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EarlySuccess {
    /// Percent of desiredCount that must run healthy in the new revision (0-100, at least
    /// `minimumHealthyPercent`). ECS scales the rest in afterwards.
    #[schemars(range(min = 0, max = 100))]
    pub healthy_percent: i32,
    /// When the old revision's tasks go: `BLOCKING` (before the deployment counts as done)
    /// or `DEFERRED` (after, in the background).
    pub source_revision_cleanup: RevisionCleanup,
}

/// When a deployment removes the tasks of the revision it replaces.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RevisionCleanup {
    /// Before the deployment completes.
    Blocking,
    /// After it completes, in the background.
    Deferred,
}

impl RevisionCleanup {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocking => "BLOCKING",
            Self::Deferred => "DEFERRED",
        }
    }
}

/// How ECS rolls out a new revision (`deploymentConfiguration.strategy`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default)]
pub enum DeploymentStrategy {
    /// Replace tasks in place (ECS's default).
    #[default]
    Rolling,
    /// All traffic at once to the new revision, the old one kept for the bake time.
    BlueGreen,
    /// A slice of traffic first, the rest after the canary bake time.
    Canary,
    /// Traffic in equal steps with a bake time between them.
    Linear,
}

impl DeploymentStrategy {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rolling => "ROLLING",
            Self::BlueGreen => "BLUE_GREEN",
            Self::Canary => "CANARY",
            Self::Linear => "LINEAR",
        }
    }
}

/// The canary step. Ranges and defaults from the ECS API reference (`CanaryConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.percent) || (double(self.percent) * 10.0 - double(int(double(self.percent) * 10.0 + 0.5)) < 0.000001 && double(self.percent) * 10.0 - double(int(double(self.percent) * 10.0 + 0.5)) > -0.000001)")
    .message("deployment.canary.percent: ECS takes steps of 0.1 (e.g. 12.5)")
    .field_path(".percent"))]
pub struct CanarySpec {
    /// Percent of production traffic the new revision gets first: 0.1 to 100 in steps of 0.1
    /// (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.1, max = 100.0))]
    pub percent: Option<f64>,
    /// Minutes before the rest of the traffic moves (0-1440, default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub bake_time_minutes: Option<i32>,
}

/// The linear steps. Ranges and defaults from the ECS API reference (`LinearConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.stepPercent) || (double(self.stepPercent) * 10.0 - double(int(double(self.stepPercent) * 10.0 + 0.5)) < 0.000001 && double(self.stepPercent) * 10.0 - double(int(double(self.stepPercent) * 10.0 + 0.5)) > -0.000001)")
    .message("deployment.linear.stepPercent: ECS takes steps of 0.1 (e.g. 12.5)")
    .field_path(".stepPercent"))]
pub struct LinearSpec {
    /// Percent of production traffic moved per step: 3 to 100 in steps of 0.1 (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3.0, max = 100.0))]
    pub step_percent: Option<f64>,
    /// Minutes between steps (0-1440, default 6; none after the last step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub step_bake_time_minutes: Option<i32>,
}

/// A Lambda function ECS invokes at stages of a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHook {
    /// The Lambda function (ARN, optionally with a version or alias).
    #[schemars(regex(pattern = patterns::LAMBDA_ARN), length(max = 256))]
    pub lambda_arn: String,
    /// The IAM role ECS assumes to invoke it (trusts `ecs.amazonaws.com`, may
    /// `lambda:InvokeFunction` it).
    #[schemars(regex(pattern = patterns::ROLE_ARN), length(max = 2048))]
    pub role_arn: String,
    /// The stages it runs at (1-8, each once).
    #[schemars(length(min = 1, max = 8))]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub stages: Vec<HookStage>,
    /// Minutes ECS waits for the hook before `timeoutAction` (1-1440; ECS's default 1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1440))]
    pub timeout_minutes: Option<i32>,
    /// What ECS does when the hook times out: `ROLLBACK` (ECS's default) or `CONTINUE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_action: Option<HookTimeoutAction>,
    /// Custom parameters ECS passes to the function on each invocation (its `hookDetails`):
    /// an object of any JSON values, e.g. `{environment: prod, checks: [5xx, latency]}`. At
    /// most 32 keys and 4096 characters as JSON (ECS publishes no limit; this keeps specs
    /// and requests small).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "hook_details_schema")]
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The most keys of a lifecycle hook's `details`.
pub const HOOK_DETAILS_MAX_KEYS: usize = 32;
/// The most characters of a lifecycle hook's `details` as JSON.
pub const HOOK_DETAILS_MAX_CHARS: usize = 4096;

/// `lifecycleHooks[].details`: an object whose values the API server keeps as given.
fn hook_details_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "maxProperties": HOOK_DETAILS_MAX_KEYS,
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// A deployment lifecycle stage a hook runs at.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookStage {
    /// Before a deployment starts while more than one revision is active.
    ReconcileService,
    /// Before the new revision's tasks start.
    PreScaleUp,
    /// After they started, before any traffic.
    PostScaleUp,
    /// While test traffic moves to the new revision.
    TestTrafficShift,
    /// Once all test traffic reaches it.
    PostTestTrafficShift,
    /// Before each production traffic shift.
    PreProductionTrafficShift,
    /// During each production traffic shift.
    ProductionTrafficShift,
    /// Once all production traffic reaches it.
    PostProductionTrafficShift,
}

impl HookStage {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReconcileService => "RECONCILE_SERVICE",
            Self::PreScaleUp => "PRE_SCALE_UP",
            Self::PostScaleUp => "POST_SCALE_UP",
            Self::TestTrafficShift => "TEST_TRAFFIC_SHIFT",
            Self::PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
            Self::PreProductionTrafficShift => "PRE_PRODUCTION_TRAFFIC_SHIFT",
            Self::ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
            Self::PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
        }
    }
}

/// What ECS does when a lifecycle hook times out.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookTimeoutAction {
    /// Go on to the next stage.
    Continue,
    /// Roll the deployment back.
    Rollback,
}

impl HookTimeoutAction {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continue => "CONTINUE",
            Self::Rollback => "ROLLBACK",
        }
    }
}

/// Deployment circuit breaker.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CircuitBreaker {
    /// Turn the circuit breaker on (default true).
    #[serde(default = "default_true")]
    pub enable: bool,
    /// Roll back to the last completed deployment when it trips (default true).
    #[serde(default = "default_true")]
    pub rollback: bool,
    /// Start counting failures from 0 again each time a task becomes healthy (ECS's
    /// default, true); false counts every failure of the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_on_healthy_task: Option<bool>,
    /// How many task failures trip the breaker. Default: 50 percent of desiredCount,
    /// kept within 3 and 200 (`{type: BOUNDED_PERCENT, value: 50}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<BreakerThreshold>,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self {
            enable: true,
            rollback: true,
            reset_on_healthy_task: None,
            threshold: None,
        }
    }
}

/// The circuit breaker's failure threshold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreakerThreshold {
    /// `BOUNDED_PERCENT` (default: value percent of desiredCount, kept within 3 and 200),
    /// `UNBOUNDED_PERCENT` (the same without the bounds) or `COUNT` (value failures).
    #[serde(default, rename = "type")]
    pub kind: ThresholdType,
    /// The percentage or the count (1-5000). ECS publishes no bound; 5000 is the most
    /// tasks a service may run, so no count or percentage beyond it changes anything.
    #[schemars(range(min = 1, max = 5000))]
    pub value: i32,
}

/// How the circuit breaker reads its threshold value.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThresholdType {
    /// Percent of desiredCount, kept within 3 and 200 failures.
    #[default]
    BoundedPercent,
    /// Percent of desiredCount, unbounded.
    UnboundedPercent,
    /// A number of failures.
    Count,
}

impl ThresholdType {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BoundedPercent => "BOUNDED_PERCENT",
            Self::UnboundedPercent => "UNBOUNDED_PERCENT",
            Self::Count => "COUNT",
        }
    }
}

/// CloudWatch alarms watched during deployments.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentAlarms {
    /// Alarm names (1-10).
    #[schemars(length(min = 1, max = 10))]
    #[schemars(inner(length(min = 1, max = 255)))]
    pub names: Vec<String>,
    /// Roll back when an alarm fires (default true).
    #[serde(default = "default_true")]
    pub rollback: bool,
}

/// One entry of a capacity-provider strategy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    /// `FARGATE` or `FARGATE_SPOT`.
    pub capacity_provider: CapacityProvider,
    /// Tasks placed on this provider first, before weights apply (0-100000, default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub base: Option<i32>,
    /// Relative share of the tasks beyond the base (0-1000, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub weight: Option<i32>,
}

/// Fargate capacity providers.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, PartialOrd, Ord, Hash,
)]
pub enum CapacityProvider {
    /// On-demand Fargate.
    #[serde(rename = "FARGATE")]
    Fargate,
    /// Fargate Spot: about 70% cheaper, may be interrupted with a 2-minute warning.
    #[serde(rename = "FARGATE_SPOT")]
    FargateSpot,
}

impl CapacityProvider {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fargate => "FARGATE",
            Self::FargateSpot => "FARGATE_SPOT",
        }
    }
}

/// A Cloud Map service registry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRegistry {
    /// Cloud Map service ARN.
    #[schemars(regex(pattern = patterns::SERVICE_REGISTRY_ARN), length(max = 512))]
    pub registry_arn: String,
    /// Port for SRV records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    /// Container for SRV records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub container_name: Option<String>,
    /// Container port for SRV records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: Option<i32>,
}

/// Where tasks get their tags from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PropagateTags {
    /// From the service.
    Service,
    /// From the task definition.
    TaskDefinition,
    /// Not propagated.
    None,
}

impl PropagateTags {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "SERVICE",
            Self::TaskDefinition => "TASK_DEFINITION",
            Self::None => "NONE",
        }
    }
}

/// What happens to AWS resources when the object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema, Default)]
pub enum DeletionPolicy {
    /// Delete them (default).
    #[default]
    Delete,
    /// Leave them in AWS, untouched.
    Retain,
}

/// Application Auto Scaling for the service's desired count.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.minCapacity <= self.maxCapacity")
        .message("scaling.minCapacity must not exceed scaling.maxCapacity")
        .field_path(".minCapacity"),
)]
pub struct ScalingSpec {
    /// Lowest task count the autoscaler may set.
    #[schemars(range(min = 0, max = 5000))]
    pub min_capacity: i32,
    /// Highest task count the autoscaler may set.
    #[schemars(range(min = 1, max = 5000))]
    pub max_capacity: i32,
    /// Target average CPU utilisation in percent (target tracking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization: Option<i32>,
    /// Target average memory utilisation in percent (target tracking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_memory_utilization: Option<i32>,
    /// Target ALB requests per task (target tracking on ALBRequestCountPerTarget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_target: Option<RequestsPerTarget>,
    /// Seconds after a scale-in before another scale-in (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub scale_in_cooldown_seconds: Option<i32>,
    /// Seconds after a scale-out before another scale-out (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub scale_out_cooldown_seconds: Option<i32>,
    /// Scheduled changes of min/max capacity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub schedules: Vec<ScalingSchedule>,
}

/// Target tracking on requests per target.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestsPerTarget {
    /// Target requests per task per minute.
    #[schemars(range(min = 1, max = 1000000))]
    pub value: i32,
    /// Target group whose request count is tracked (one of spec.loadBalancers).
    #[schemars(regex(pattern = patterns::TARGET_GROUP_ARN), length(max = 256))]
    pub target_group_arn: String,
}

/// A scheduled change of the scaling bounds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.minCapacity) || !has(self.maxCapacity) || self.minCapacity <= self.maxCapacity")
    .message("scaling.schedules[].minCapacity must not exceed maxCapacity")
    .field_path(".minCapacity"))]
pub struct ScalingSchedule {
    /// Name, unique within the service.
    #[schemars(regex(pattern = patterns::SCHEDULE_NAME), length(max = 200))]
    pub name: String,
    /// `cron(...)`, `rate(...)` or `at(yyyy-mm-ddThh:mm:ss)`.
    #[schemars(regex(pattern = patterns::SCHEDULE), length(max = 1600))]
    pub schedule: String,
    /// IANA time zone of the schedule (default UTC), e.g. `Europe/Berlin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub timezone: Option<String>,
    /// New minimum capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 5000))]
    pub min_capacity: Option<i32>,
    /// New maximum capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 5000))]
    pub max_capacity: Option<i32>,
}

/// Observed state of a FargateService, as AWS reports it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct FargateServiceStatus {
    /// The `metadata.generation` this status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Progressing, Degraded and Synced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// ECS service ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_arn: Option<String>,
    /// ECS cluster ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// Task-definition revision ARN of the primary deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// `family:revision` of the primary deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_revision: Option<String>,
    /// Desired task count reported by ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Running task count reported by ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Pending task count reported by ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// Rollout state of the primary deployment: IN_PROGRESS, COMPLETED or FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why the rollout is in that state, as ECS says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// ECS deployments of the service (primary first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<DeploymentStatus>,
    /// The rollout as ECS runs it: strategy, stage, traffic on the new revision, when the
    /// bake ends, and why it rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStatus>,
    /// The newest ECS service events (at most 5, newest first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_events: Vec<ServiceEvent>,
    /// Recently stopped tasks and why (at most 5, newest first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopped_tasks: Vec<StoppedTask>,
    /// Estimated monthly cost in USD at the current desired count (list prices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_monthly_cost_usd: Option<f64>,
    /// A revision ECS rolled back (circuit breaker, alarm, lifecycle hook) while this
    /// generation names it: the operator does not deploy it again until the spec changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<RolledBackRevision>,
    /// The `spec.deployment.preDeploy` run of the revision the service moves (or last
    /// moved) to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_deploy: Option<super::predeploy::PreDeployStatus>,
}

/// A task-definition revision ECS rolled back.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolledBackRevision {
    /// The revision's ARN.
    pub task_definition_arn: String,
    /// The `metadata.generation` it was rolled back at: a newer generation deploys it again.
    pub generation: i64,
    /// Why, as ECS said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One ECS deployment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatus {
    /// Deployment ID.
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    /// Task-definition revision ARN.
    pub task_definition_arn: String,
    /// Desired tasks.
    pub desired_count: i32,
    /// Running tasks.
    pub running_count: i32,
    /// Pending tasks.
    pub pending_count: i32,
    /// Tasks that failed to start.
    pub failed_tasks: i32,
    /// IN_PROGRESS, COMPLETED or FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// When the deployment was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// The newest ECS service deployment of a service (`DescribeServiceDeployments`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// ROLLING, BLUE_GREEN, CANARY or LINEAR, as the service is configured.
    pub strategy: String,
    /// The service deployment's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_deployment_arn: Option<String>,
    /// PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED, ROLLBACK_REQUESTED,
    /// ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ECS's lifecycle stage, e.g. SCALE_UP, TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
    /// BAKE_TIME, CLEAN_UP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Percent of production traffic ECS sends to the new revision (its last snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_traffic_percent: Option<f64>,
    /// Percent of test traffic ECS sends to the new revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_percent: Option<f64>,
    /// When the bake time ends (RFC 3339): the stage's start as ECS last updated the
    /// deployment, plus bakeTimeMinutes. Only during BAKE_TIME.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_ends_at: Option<String>,
    /// Why ECS says the deployment is in that status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Why it rolled back (the circuit breaker, an alarm, a hook), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_reason: Option<String>,
}

/// An ECS service event.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    /// When (RFC 3339).
    pub created_at: String,
    /// What ECS said.
    pub message: String,
}

/// A stopped task and why it stopped.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoppedTask {
    /// Task ARN.
    pub task_arn: String,
    /// ECS's stoppedReason, e.g. `Essential container in task exited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// ECS's stopCode, e.g. `TaskFailedToStart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    /// When it stopped (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
}

//! Property tests of the planner against the in-memory AWS model (`testing::sim`):
//! 1. for generated valid specs, applying the plan and planning again yields an empty plan;
//! 2. observed states that differ from the converged one only in AWS defaults and ordering
//!    plan nothing.

use std::collections::BTreeMap;

use fargate_operator::api::fargateservice::*;
use fargate_operator::api::names::{role_name, service_name, task_definition_lookups, RoleKind};
use fargate_operator::api::service_connect::{
    AccessLogFormat, ClientAlias, ProxyLogLevel, ServiceConnect, ServiceConnectAccessLogs,
    ServiceConnectLogging, ServiceConnectProxy, ServiceConnectService, ServiceConnectTimeout,
    ServiceConnectTls, TestTrafficHeader, VpcLatticeAdvanced,
};
use fargate_operator::api::taskdefinition::*;
use fargate_operator::plan::model::{
    canonical_monitoring, ObservedFargateService, ObservedTaskDefinition, RestartPolicyDef,
    StrategyItem, ThresholdDef, CANARY_DEFAULTS, LINEAR_DEFAULTS,
};
use fargate_operator::plan::service::task_definition_info;
use fargate_operator::plan::{
    plan_fargate_service, plan_task_definition, Owner, Plan, PlanConfig, ServiceInputs,
    TaskDefinitionInputs,
};
use fargate_operator::testing::SimAws;
use proptest::prelude::*;

const SIZES: [(i32, i32); 8] = [
    (256, 512),
    (256, 2048),
    (512, 1024),
    (1024, 3072),
    (2048, 8192),
    (4096, 30720),
    (8192, 20480),
    (16384, 40960),
];

/// A container's fields of issue 19 (on a container whose other fields are placeholders):
/// each left out or set, to values AWS accepts on Fargate. Container `i` may mount the
/// volumes of `c0` and be the FireLens router when it is `c0`.
fn newer_fields(i: usize) -> impl Strategy<Value = Container> {
    (
        (
            any::<bool>(),
            proptest::option::of((
                any::<bool>(),
                proptest::collection::vec(0i32..256, 0..3),
                proptest::option::of(60i32..1800),
            )),
            0usize..3,
            proptest::option::of(any::<bool>()),
        ),
        (
            proptest::option::of(2i32..120),
            proptest::option::of(2i32..120),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        ),
        (
            proptest::collection::btree_map("[a-z.]{1,12}", "[a-z0-9]{0,8}", 0..3),
            proptest::collection::btree_map("[a-z]{1,8}", "[0-9]{1,4}", 0..3),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            0u8..4,
        ),
    )
        .prop_map(move |(refs, flags, misc)| {
            let (private, restart, env_files, volumes_from) = refs;
            let (start, stop, consistency, interactive, tty) = flags;
            let (labels, sysctls, gmsa, router, caps, driver) = misc;
            Container {
                repository_credentials: private.then(|| RepositoryCredentials {
                    credentials_parameter: format!(
                        "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry{i}-AbCdEf"
                    ),
                }),
                restart_policy: restart.map(|(enabled, codes, period)| RestartPolicy {
                    enabled,
                    ignored_exit_codes: codes
                        .into_iter()
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                    restart_attempt_period_seconds: period,
                }),
                environment_files: (0..env_files)
                    .map(|f| EnvironmentFile {
                        value: format!("arn:aws:s3:::config-{i}/app/{f}.env"),
                        file_type: EnvironmentFileType::S3,
                    })
                    .collect(),
                volumes_from: volumes_from
                    .filter(|_| i > 0)
                    .map(|read_only| VolumeFrom {
                        source_container: "c0".into(),
                        read_only: Some(read_only),
                    })
                    .into_iter()
                    .collect(),
                start_timeout_seconds: start,
                stop_timeout_seconds: stop,
                version_consistency: consistency.map(|on| {
                    if on {
                        VersionConsistency::Enabled
                    } else {
                        VersionConsistency::Disabled
                    }
                }),
                interactive,
                pseudo_terminal: tty,
                docker_labels: labels,
                system_controls: sysctls
                    .into_iter()
                    .map(|(k, v)| SystemControl {
                        namespace: format!("net.ipv4.{k}"),
                        value: v,
                    })
                    .collect(),
                credential_specs: gmsa
                    .then(|| format!("credentialspec:arn:aws:s3:::gmsa-{i}/spec.json"))
                    .into_iter()
                    .collect(),
                firelens_configuration: (router && i == 0).then(|| FirelensConfiguration {
                    router_type: FirelensType::Fluentbit,
                    options: BTreeMap::from([("enable-ecs-log-metadata".into(), "true".into())]),
                }),
                linux_parameters: caps.then(|| LinuxParameters {
                    init_process_enabled: None,
                    capabilities: Some(Capabilities {
                        add: vec![AddCapability::SysPtrace],
                        drop: vec![KernelCapability::NetRaw, KernelCapability::Mknod],
                    }),
                }),
                logging: log_driver(i, driver),
                ..placeholder_container()
            }
        })
}

/// A container of placeholders, for struct-update syntax.
fn placeholder_container() -> Container {
    serde_json::from_value(serde_json::json!({"name": "x", "image": "x:1"})).expect("valid")
}

/// Logging with each driver: 0 none (the default), 1 awslogs non-blocking with options,
/// 2 Splunk with a secret option, 3 FireLens.
fn log_driver(i: usize, choice: u8) -> Option<Logging> {
    let logging = |driver| Logging {
        driver: Some(driver),
        group: None,
        stream_prefix: None,
        create_group: true,
        retention_days: None,
        mode: None,
        max_buffer_size: None,
        options: BTreeMap::new(),
        secret_options: vec![],
    };
    match choice {
        1 => Some(Logging {
            mode: Some(LogMode::NonBlocking),
            max_buffer_size: Some("25m".into()),
            options: BTreeMap::from([("awslogs-datetime-format".into(), "%Y-%m-%d".into())]),
            ..logging(LogDriver::Awslogs)
        }),
        2 => Some(Logging {
            options: BTreeMap::from([("splunk-url".into(), "https://splunk.example.com".into())]),
            secret_options: vec![Secret {
                name: "splunk-token".into(),
                value_from: format!("arn:aws:ssm:us-east-1:123456789012:parameter/splunk{i}"),
            }],
            ..logging(LogDriver::Splunk)
        }),
        3 => Some(Logging {
            options: BTreeMap::from([("Name".into(), "cloudwatch".into())]),
            ..logging(LogDriver::Awsfirelens)
        }),
        _ => None,
    }
}

fn container(i: usize) -> impl Strategy<Value = Container> {
    (
        newer_fields(i),
        1u8..9,
        proptest::option::of(0i32..64),
        proptest::collection::btree_map("[A-Z]{1,4}", "[a-z0-9]{0,6}", 0..4),
        proptest::option::of((
            proptest::option::of(5i32..300),
            proptest::option::of(1i32..10),
        )),
        proptest::option::of(prop_oneof![Just(7), Just(30), Just(365)]),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        0usize..3,
        any::<bool>(),
    )
        .prop_map(
            move |(newer_fields, v, cpu, env, hc, retention, ro, init, secrets, udp)| Container {
                name: format!("c{i}"),
                image: format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/app{i}:1.{v}"),
                cpu,
                memory: None,
                memory_reservation: None,
                essential: true,
                command: vec![],
                entry_point: vec![],
                working_directory: None,
                user: None,
                environment: env
                    .into_iter()
                    .map(|(name, value)| EnvVar { name, value })
                    .collect(),
                secrets: (0..secrets)
                    .map(|s| Secret {
                        name: format!("SECRET_{s}"),
                        value_from: format!(
                            "arn:aws:ssm:us-east-1:123456789012:parameter/app{i}/s{s}"
                        ),
                    })
                    .collect(),
                port_mappings: vec![
                    PortMapping {
                        container_port: Some(8000 + i as i32),
                        container_port_range: None,
                        protocol: udp.then_some(Protocol::Udp),
                        name: Some(format!("p{i}")),
                        app_protocol: None,
                    },
                    // A range of its own per container (containerPortRange).
                    PortMapping {
                        container_port: None,
                        container_port_range: Some(format!(
                            "{}-{}",
                            20000 + 100 * i,
                            20099 + 100 * i
                        )),
                        protocol: None,
                        name: None,
                        app_protocol: None,
                    },
                ],
                health_check: hc.map(|(interval, retries)| HealthCheck {
                    command: vec!["CMD-SHELL".into(), "true".into()],
                    interval_seconds: interval,
                    timeout_seconds: None,
                    retries,
                    start_period_seconds: None,
                }),
                logging: retention
                    .map(|d| Logging {
                        driver: None,
                        group: None,
                        stream_prefix: None,
                        create_group: true,
                        retention_days: Some(d),
                        mode: None,
                        max_buffer_size: None,
                        options: BTreeMap::new(),
                        secret_options: vec![],
                    })
                    .or_else(|| newer_fields.logging.clone()),
                depends_on: vec![],
                readonly_root_filesystem: ro,
                ulimits: vec![],
                linux_parameters: match init {
                    Some(b) => Some(LinuxParameters {
                        init_process_enabled: Some(b),
                        capabilities: newer_fields
                            .linux_parameters
                            .as_ref()
                            .and_then(|l| l.capabilities.clone()),
                    }),
                    None => newer_fields.linux_parameters.clone(),
                },
                mount_points: vec![],
                ..newer_fields
            },
        )
}

/// Task-level settings beyond size and containers: pidMode, fault injection, and an EFS
/// volume (with or without a transit-encryption port).
#[derive(Clone, Debug)]
struct TaskExtras {
    pid_task: bool,
    fault_injection: Option<bool>,
    efs: Option<Option<i32>>,
    /// A managed EBS volume configured at launch (the service then configures it).
    ebs: bool,
    /// An S3 Files volume (see `s3files_volume`), with a task role only.
    s3files: Option<u8>,
}

fn task_extras() -> impl Strategy<Value = TaskExtras> {
    (
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::option::of(1i32..65536)),
        any::<bool>(),
        proptest::option::of(0u8..3),
    )
        .prop_map(
            |(pid_task, fault_injection, efs, ebs, s3files)| TaskExtras {
                pid_task,
                fault_injection,
                efs,
                ebs,
                s3files,
            },
        )
}

/// An S3 Files volume: the file system alone; through an access point with a
/// transit-encryption port; with the root directory `/` (ECS's default) spelled out.
fn s3files_volume(kind: u8) -> Volume {
    let fs = "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0";
    Volume {
        name: "files".into(),
        efs: None,
        configured_at_launch: None,
        s3files: Some(S3FilesVolume {
            file_system_arn: fs.into(),
            root_directory: (kind == 2).then(|| "/".into()),
            transit_encryption_port: (kind == 1).then_some(20050),
            access_point_arn: (kind == 1)
                .then(|| format!("{fs}/access-point/fsap-0123456789abcdef0")),
        }),
    }
}

/// The task definition's volume configured at launch.
fn launch_volume() -> Volume {
    Volume {
        name: "ebs".into(),
        efs: None,
        s3files: None,
        configured_at_launch: Some(true),
    }
}

/// The service's managed EBS volume of kind 0 (size only, the operator's role), 1 (gp3 with IOPS and
/// throughput, ext4, encrypted with a key) or 2 (io2 from a snapshot), with tags or not.
fn volume_configuration(kind: u8, tags: bool) -> VolumeConfiguration {
    let base = ManagedEbsVolume {
        // Kind 0 leaves the infrastructure role to the operator.
        role_arn: (kind != 0)
            .then(|| "arn:aws:iam::123456789012:role/ecsInfrastructureRole".into()),
        size_in_gib: Some(20),
        volume_type: None,
        iops: None,
        throughput: None,
        encrypted: None,
        kms_key_id: None,
        snapshot_id: None,
        volume_initialization_rate: None,
        filesystem_type: None,
        tags: if tags {
            BTreeMap::from([("team".to_owned(), "t".to_owned())])
        } else {
            BTreeMap::new()
        },
        propagate_tags: tags.then_some(PropagateTags::Service),
    };
    let managed_ebs_volume = match kind {
        0 => base,
        1 => ManagedEbsVolume {
            volume_type: Some(EbsVolumeType::Gp3),
            iops: Some(4000),
            throughput: Some(250),
            encrypted: Some(true),
            kms_key_id: Some("alias/ebs".into()),
            filesystem_type: Some(EbsFilesystemType::Ext4),
            ..base
        },
        _ => ManagedEbsVolume {
            size_in_gib: None,
            volume_type: Some(EbsVolumeType::Io2),
            iops: Some(1000),
            snapshot_id: Some("snap-0123456789abcdef0".into()),
            volume_initialization_rate: Some(150),
            ..base
        },
    };
    VolumeConfiguration {
        name: "ebs".into(),
        managed_ebs_volume,
    }
}

fn efs_volume(port: Option<i32>) -> Volume {
    Volume {
        name: "shared".into(),
        configured_at_launch: None,
        s3files: None,
        efs: Some(EfsVolume {
            file_system_id: "fs-0123456789abcdef0".into(),
            root_directory: None,
            transit_encryption: port.map(|_| Toggle::Enabled),
            access_point_id: None,
            iam: None,
            transit_encryption_port: port,
        }),
    }
}

fn task_definition() -> impl Strategy<Value = TaskDefinitionSpec> {
    (
        proptest::sample::select(SIZES.to_vec()),
        1usize..4,
        any::<bool>(),
        any::<bool>(),
        0i32..4,
        task_extras(),
    )
        .prop_flat_map(|(size, n, arm, task_role, history, extras)| {
            let containers: Vec<_> = (0..n).map(container).collect();
            (
                Just(size),
                containers,
                Just(arm),
                Just(task_role),
                Just(history),
                Just(extras),
            )
        })
        .prop_map(
            |((cpu, memory), mut containers, arm, task_role, history, extras)| {
                with_log_router(&mut containers);
                TaskDefinitionSpec {
                    deletion_policy: Default::default(),
                    family: None,
                    cpu,
                    memory,
                    runtime_platform: arm.then_some(RuntimePlatform {
                        cpu_architecture: CpuArchitecture::Arm64,
                        operating_system_family: OperatingSystemFamily::Linux,
                    }),
                    ephemeral_storage_gib: None,
                    revision_history_limit: history,
                    containers,
                    volumes: extras
                        .efs
                        .map(efs_volume)
                        .into_iter()
                        .chain(extras.ebs.then(launch_volume))
                        .chain(extras.s3files.filter(|_| task_role).map(s3files_volume))
                        .collect(),
                    pid_mode: extras.pid_task.then_some(PidMode::Task),
                    enable_fault_injection: extras.fault_injection,
                    execution_role: None,
                    task_role: task_role.then(|| RoleSpec {
                        arn: None,
                        managed: Some(ManagedRole::default()),
                    }),
                    tags: BTreeMap::from([("team".to_owned(), "t".to_owned())]),
                }
            },
        )
}

/// A FireLens router on `c0` when a container logs to one; the router itself never logs
/// through FireLens.
fn with_log_router(containers: &mut [Container]) {
    let firelens =
        |c: &Container| c.logging.as_ref().and_then(|l| l.driver) == Some(LogDriver::Awsfirelens);
    if containers.iter().any(firelens) {
        containers[0]
            .firelens_configuration
            .get_or_insert(FirelensConfiguration {
                router_type: FirelensType::Fluentbit,
                options: BTreeMap::new(),
            });
    }
    if containers[0].firelens_configuration.is_some() && firelens(&containers[0]) {
        containers[0].logging = None;
    }
}

/// Service settings of issue 19: AZ rebalancing, the circuit breaker's newer settings and
/// early success.
#[derive(Clone, Debug)]
struct ServiceExtras {
    az: Option<bool>,
    reset: Option<bool>,
    threshold: Option<(u8, i32)>,
    early_success: Option<(i32, bool)>,
    /// How many VPC Lattice target groups (0-2), through container 0's named port.
    lattice: usize,
    /// The managed EBS volume's kind and whether it has tags (see `volume_configuration`).
    ebs: (u8, bool),
    /// Service Connect through container 0's named port: `(discovery name given, client
    /// alias given, idle timeout)`.
    service_connect: Option<(bool, bool, Option<i32>)>,
    /// The newer Service Connect and Lattice settings: access logs, the proxy's log level,
    /// TLS, and (with a progressive strategy) a test traffic header and Lattice's blue/green
    /// resources.
    rich: bool,
    /// The metric resolutions (see `monitoring`).
    monitoring: Option<u8>,
    /// The gateway connector (see `gateway_connector`).
    gateway: Option<u8>,
}

fn service_extras() -> impl Strategy<Value = ServiceExtras> {
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of((0u8..3, 1i32..200)),
        proptest::option::of((0i32..=100, any::<bool>())),
        0usize..3,
        (0u8..3, any::<bool>()),
        proptest::option::of((
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0i32..7200),
        )),
        any::<bool>(),
        proptest::option::of(0u8..4),
        proptest::option::of(0u8..3),
    )
        .prop_map(
            |(
                az,
                reset,
                threshold,
                early_success,
                lattice,
                ebs,
                service_connect,
                rich,
                monitoring,
                gateway,
            )| {
                ServiceExtras {
                    az,
                    reset,
                    threshold,
                    early_success,
                    lattice,
                    ebs,
                    service_connect,
                    rich,
                    monitoring,
                    gateway,
                }
            },
        )
}

fn service_connect(
    (discovery, alias, idle): (bool, bool, Option<i32>),
    rich: bool,
    progressive: bool,
) -> ServiceConnect {
    ServiceConnect {
        enabled: true,
        namespace: Some("internal".into()),
        services: vec![ServiceConnectService {
            port_name: "p0".into(),
            discovery_name: discovery.then(|| "api".into()),
            client_aliases: if alias {
                vec![ClientAlias {
                    port: 80,
                    dns_name: Some("api".into()),
                    test_traffic_header: (rich && progressive).then(|| TestTrafficHeader {
                        name: "x-canary".into(),
                        value: "1".into(),
                    }),
                }]
            } else {
                vec![]
            },
            ingress_port_override: None,
            timeout: idle.map(|s| ServiceConnectTimeout {
                idle_timeout_seconds: Some(s),
                per_request_timeout_seconds: None,
            }),
            tls: rich.then(|| ServiceConnectTls {
                certificate_authority_arn: "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/01234567-89ab-cdef-0123-456789abcdef".into(),
                kms_key: idle.map(|_| "alias/sc-tls".into()),
                role_arn: Some("arn:aws:iam::123456789012:role/ecsInfrastructureRole".into()),
            }),
        }],
        logging: rich.then(|| ServiceConnectLogging {
            driver: LogDriver::Awslogs,
            options: BTreeMap::from([("awslogs-group".into(), "/ecs/td".into())]),
        }),
        access_logs: rich.then(|| ServiceConnectAccessLogs {
            format: AccessLogFormat::Json,
            include_query_parameters: discovery.then_some(Toggle::Disabled),
        }),
        proxy: rich.then_some(ServiceConnectProxy {
            log_level: Some(if alias {
                ProxyLogLevel::Info
            } else {
                ProxyLogLevel::Debug
            }),
        }),
    }
}

/// A gateway connector on container 0's named port: the port alone; with some health-check
/// settings; with every health-check setting and both access types.
fn gateway_connector(kind: u8) -> GatewayConnector {
    let some = GatewayHealthCheck {
        health_check_protocol: Some(GatewayHealthCheckProtocol::Https),
        health_check_path: Some("/healthz".into()),
        health_check_interval_seconds: Some(15),
        ..GatewayHealthCheck::default()
    };
    let every = GatewayHealthCheck {
        health_check_port: Some(8443),
        health_check_timeout_seconds: Some(5),
        healthy_threshold_count: Some(3),
        unhealthy_threshold_count: Some(2),
        matcher: Some(GatewayHealthCheckMatcher {
            http_code: Some("200-299".into()),
            grpc_code: None,
        }),
        ..some.clone()
    };
    GatewayConnector {
        port_name: "p0".into(),
        health_check: match kind {
            0 => None,
            1 => Some(some),
            _ => Some(every),
        },
        filters: (kind >= 2).then(|| GatewayFilters {
            access_types: vec![GatewayAccessType::Public, GatewayAccessType::Private],
        }),
    }
}

/// Metric resolutions: CPU at 20 s; both at 20 s; CPU at 20 s and memory at 60 s (two
/// configurations); both at ECS's default of 60 s, written out.
fn monitoring(kind: u8) -> Monitoring {
    let config = |names: &[MetricName], resolution_seconds| MetricConfiguration {
        metric_names: names.to_vec(),
        resolution_seconds,
    };
    use MetricName::{CpuUtilization as Cpu, MemoryUtilization as Memory};
    let metric_configurations = match kind {
        0 => vec![config(&[Cpu], 20)],
        1 => vec![config(&[Cpu, Memory], 20)],
        2 => vec![config(&[Cpu], 20), config(&[Memory], 60)],
        _ => vec![config(&[Memory, Cpu], 60)],
    };
    Monitoring {
        metric_configurations,
    }
}

fn threshold((kind, value): (u8, i32)) -> BreakerThreshold {
    let kind = match kind {
        0 => ThresholdType::BoundedPercent,
        1 => ThresholdType::UnboundedPercent,
        _ => ThresholdType::Count,
    };
    BreakerThreshold { kind, value }
}

/// Whether the task definition has a volume configured at launch (the service configures it).
fn has_launch_volume(td: &TaskDefinitionSpec) -> bool {
    td.volumes
        .iter()
        .any(|v| v.configured_at_launch == Some(true))
}

fn service(arm: bool, ebs: bool) -> impl Strategy<Value = FargateServiceSpec> {
    (
        0i32..6,
        proptest::collection::btree_set("[0-9a-f]{17}", 1..3),
        proptest::collection::btree_set("[0-9a-f]{17}", 0..3),
        proptest::option::of((
            1i32..3,
            3i32..10,
            proptest::option::of(10i32..90),
            0usize..3,
        )),
        any::<bool>(),
        proptest::option::of((50i32..100, any::<bool>(), rollout())),
        any::<bool>(),
        service_extras(),
    )
        .prop_map(
            move |(count, subnets, sgs, scaling, spot, deployment, exec, extras)| {
                // Test traffic headers and Lattice blue/green resources need one.
                let progressive = deployment.as_ref().is_some_and(|(_, _, r)| {
                    r.strategy.is_some_and(|s| s != DeploymentStrategy::Rolling)
                });
                FargateServiceSpec {
                    cluster: ClusterSpec::default(),
                    service_name: None,
                    task_definition_ref: Some(LocalObjectRef {
                        name: "td".into(),
                        revision: None,
                    }),
                    task_definition_arn: None,
                    desired_count: count,
                    network: NetworkSpec {
                        subnets: subnets.into_iter().map(|s| format!("subnet-{s}")).collect(),
                        security_groups: sgs.into_iter().map(|s| format!("sg-{s}")).collect(),
                        assign_public_ip: false,
                    },
                    // A progressive strategy shifts traffic through a load balancer.
                    load_balancers: deployment
                        .as_ref()
                        .filter(|(_, _, r)| {
                            r.strategy.is_some_and(|s| s != DeploymentStrategy::Rolling)
                        })
                        .map(|_| vec![blue_green_load_balancer()])
                        .unwrap_or_default(),
                    health_check_grace_period_seconds: None,
                    deployment: deployment.map(|(min, rollback, r)| {
                        let rolling = r.strategy.is_none_or(|s| s == DeploymentStrategy::Rolling);
                        DeploymentSpec {
                            minimum_healthy_percent: Some(min),
                            maximum_percent: None,
                            circuit_breaker: CircuitBreaker {
                                enable: true,
                                rollback,
                                reset_on_healthy_task: extras.reset,
                                threshold: extras.threshold.map(threshold),
                            },
                            alarms: None,
                            // Rolling deployments only; at least minimumHealthyPercent, as
                            // validation asks.
                            early_success: extras.early_success.filter(|_| rolling).map(
                                |(p, deferred)| EarlySuccess {
                                    healthy_percent: p.max(min),
                                    source_revision_cleanup: if deferred {
                                        RevisionCleanup::Deferred
                                    } else {
                                        RevisionCleanup::Blocking
                                    },
                                },
                            ),
                            ..r
                        }
                    }),
                    capacity_provider_strategy: if spot && !arm {
                        vec![
                            CapacityProviderStrategyItem {
                                capacity_provider: CapacityProvider::Fargate,
                                base: Some(1),
                                weight: Some(1),
                            },
                            CapacityProviderStrategyItem {
                                capacity_provider: CapacityProvider::FargateSpot,
                                base: None,
                                weight: Some(3),
                            },
                        ]
                    } else {
                        vec![]
                    },
                    platform_version: None,
                    enable_execute_command: exec,
                    service_registries: vec![],
                    propagate_tags: None,
                    tags: BTreeMap::new(),
                    deletion_policy: DeletionPolicy::Delete,
                    vpc_lattice: (0..extras.lattice)
                        .map(|i| VpcLattice {
                            role_arn: "arn:aws:iam::123456789012:role/ecsInfrastructureRole".into(),
                            target_group_arn: format!(
                                "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-{i:017}"
                            ),
                            port_name: "p0".into(),
                            advanced: (progressive && extras.rich).then(|| VpcLatticeAdvanced {
                                alternate_target_group_arn: format!(
                                    "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-{:017}",
                                    i + 10
                                ),
                                production_listener_rule: "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0/rule/rule-0123456789abcdef0".into(),
                                test_listener_rule: (i == 0).then(|| "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef1".into()),
                            }),
                        })
                        .collect(),
                    volume_configurations: ebs
                        .then(|| volume_configuration(extras.ebs.0, extras.ebs.1))
                        .into_iter()
                        .collect(),
                    service_connect: extras
                        .service_connect
                        .map(|sc| service_connect(sc, extras.rich, progressive)),
                    monitoring: extras.monitoring.map(monitoring),
                    gateway_connectors: extras.gateway.map(gateway_connector).into_iter().collect(),
                    availability_zone_rebalancing: extras.az.map(|on| {
                        if on {
                            Toggle::Enabled
                        } else {
                            Toggle::Disabled
                        }
                    }),
                    scaling: scaling.map(|(min, max, cpu, schedules)| ScalingSpec {
                        min_capacity: min,
                        max_capacity: max,
                        target_cpu_utilization: cpu,
                        target_memory_utilization: None,
                        requests_per_target: None,
                        scale_in_cooldown_seconds: None,
                        scale_out_cooldown_seconds: None,
                        schedules: (0..schedules)
                            .map(|i| ScalingSchedule {
                                name: format!("s{i}"),
                                schedule: format!("cron(0 {i} * * ? *)"),
                                timezone: None,
                                min_capacity: Some(min),
                                max_capacity: Some(max),
                            })
                            .collect(),
                    }),
                }
            },
        )
}

/// A deployment strategy with what it needs (the rest of a `DeploymentSpec` left default):
/// Rolling (said or not), BlueGreen, Canary or Linear with bake times, percents in steps of
/// 0.1 or ECS's defaults, and a hook.
fn rollout() -> impl Strategy<Value = DeploymentSpec> {
    (
        0usize..5,
        0i32..1441,
        proptest::option::of((1i32..1001, 0i32..1441)),
        any::<bool>(),
    )
        .prop_map(|(which, bake, step, hook)| {
            let strategy = [
                None,
                Some(DeploymentStrategy::Rolling),
                Some(DeploymentStrategy::BlueGreen),
                Some(DeploymentStrategy::Canary),
                Some(DeploymentStrategy::Linear),
            ][which];
            let progressive = which >= 2;
            DeploymentSpec {
                strategy,
                bake_time_minutes: progressive.then_some(bake),
                canary: (which == 3).then(|| CanarySpec {
                    percent: step.map(|(p, _)| f64::from(p) / 10.0),
                    bake_time_minutes: step.map(|(_, b)| b),
                }),
                linear: (which == 4).then(|| LinearSpec {
                    step_percent: step.map(|(p, _)| f64::from(p.max(30)) / 10.0),
                    step_bake_time_minutes: step.map(|(_, b)| b),
                }),
                lifecycle_hooks: if hook {
                    vec![LifecycleHook {
                        lambda_arn: "arn:aws:lambda:us-east-1:123456789012:function:smoke".into(),
                        role_arn: "arn:aws:iam::123456789012:role/ecs-hooks".into(),
                        stages: vec![HookStage::PostTestTrafficShift, HookStage::PreScaleUp],
                        timeout_minutes: None,
                        timeout_action: None,
                        // Keys out of order and nested: the canonical JSON sorts them.
                        details: serde_json::json!({"z": 1, "a": [true, null, 1.5], "m": {"y": "x", "b": -3}})
                            .as_object()
                            .cloned(),
                    }]
                } else {
                    vec![]
                },
                ..DeploymentSpec::default()
            }
        })
}

fn blue_green_load_balancer() -> LoadBalancer {
    LoadBalancer {
        target_group_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef".into(),
        container_name: "c0".into(),
        container_port: 8000,
        advanced: Some(LoadBalancerAdvanced {
            alternate_target_group_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef".into(),
            production_listener_rule: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef".into(),
            test_listener_rule: None,
            role_arn: "arn:aws:iam::123456789012:role/ecs-elb".into(),
        }),
    }
}

fn owner(name: &str) -> Owner {
    Owner {
        namespace: "ns".into(),
        name: name.into(),
        uid: format!("uid-{name}"),
        generation: 1,
        adopt: false,
        adopt_forbidden: None,
        legacy_names: false,
    }
}

fn td_object(spec: &TaskDefinitionSpec) -> TaskDefinition {
    let mut td = TaskDefinition::new("td", spec.clone());
    td.metadata.namespace = Some("ns".into());
    td.metadata.uid = Some("uid-td".into());
    td
}

struct World {
    aws: SimAws,
    config: PlanConfig,
    td: TaskDefinition,
    fs: FargateServiceSpec,
}

impl World {
    fn observe_td(&self) -> ObservedTaskDefinition {
        let l = task_definition_lookups(&self.td);
        self.aws
            .observe_task_definition(&l.family, &l.log_groups, &l.roles)
    }

    fn plan_td(&self, observed: &ObservedTaskDefinition) -> Plan {
        let o = owner("td");
        plan_task_definition(
            TaskDefinitionInputs {
                owner: &o,
                spec: &self.td.spec,
            },
            observed,
            &self.config,
        )
        .expect("valid spec plans")
    }

    fn observe_fs(&self) -> ObservedFargateService {
        let name = service_name(&owner("svc"), &self.fs);
        let role = fargate_operator::api::ebs::wants_managed_role(&self.fs)
            .then(|| role_name(&owner("svc"), RoleKind::Infrastructure));
        self.aws
            .observe_service_and_role(&self.fs.cluster.name, &name, role.as_deref())
    }

    fn plan_fs(&self, observed: &ObservedFargateService) -> Plan {
        let o = owner("svc");
        let family = task_definition_lookups(&self.td).family;
        let info = task_definition_info(&self.td, self.aws.latest_revision(&family));
        plan_fargate_service(
            ServiceInputs {
                owner: &o,
                spec: &self.fs,
                restarted_at: None,
                task_definition: Some(&info),
                rolled_back: None,
                pre_deploy: Default::default(),
            },
            observed,
            &self.config,
        )
        .expect("valid spec plans")
    }

    fn converge(&mut self) {
        for plan in [self.plan_td(&self.observe_td())] {
            for a in &plan.actions {
                self.aws.apply(a).expect("sim accepts the planned action");
            }
        }
        let plan = self.plan_fs(&self.observe_fs());
        for a in &plan.actions {
            self.aws.apply(a).expect("sim accepts the planned action");
        }
    }
}

fn world(td: TaskDefinitionSpec, fs: FargateServiceSpec) -> World {
    World {
        aws: SimAws::new("123456789012", "us-east-1"),
        config: PlanConfig::default(),
        td: td_object(&td),
        fs,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn applying_a_plan_converges((td, fs) in task_definition().prop_flat_map(|td| {
        let arm = td.runtime_platform.is_some();
        let ebs = has_launch_volume(&td);
        (Just(td), service(arm, ebs))
    })) {
        let mut w = world(td, fs);
        w.converge();
        let again_td = w.plan_td(&w.observe_td());
        prop_assert!(again_td.is_empty(), "TaskDefinition replans: {:?}", again_td.actions);
        let again_fs = w.plan_fs(&w.observe_fs());
        prop_assert!(again_fs.is_empty(), "FargateService replans: {:?}", again_fs.actions);
        prop_assert_eq!(w.aws.revisions.values().flatten().count(), 1);
    }

    #[test]
    fn aws_defaults_and_ordering_are_not_drift(
        (td, fs) in task_definition().prop_flat_map(|td| {
            let arm = td.runtime_platform.is_some();
            let ebs = has_launch_volume(&td);
            (Just(td), service(arm, ebs))
        }),
        seed in any::<u64>(),
        autoscaled_count in 0i32..20,
    ) {
        let mut w = world(td, fs);
        w.converge();
        let mut bit = {
            let mut s = seed;
            move || { s = s.rotate_left(7) ^ 0x9E37_79B9_7F4A_7C15; s & 1 == 1 }
        };

        // Task definition: drop the hash tag so the structural comparison decides, then
        // toggle every field between "AWS default spelled out" and "left out".
        let mut otd = w.observe_td();
        for rev in &mut otd.revisions {
            rev.tags.remove(fargate_operator::api::SPEC_HASH_TAG);
            let b = &mut rev.body;
            if bit() { b.cpu_architecture = b.cpu_architecture.take().filter(|a| a != "X86_64"); }
            if bit() { b.operating_system_family = None; }
            for c in &mut b.containers {
                if bit() && c.cpu == Some(0) { c.cpu = None; }
                if bit() && c.essential == Some(true) { c.essential = None; }
                if bit() { c.environment.reverse(); }
                if bit() { c.secrets.reverse(); }
                for p in &mut c.port_mappings {
                    if bit() { p.host_port = None; }
                    if bit() && p.protocol.as_deref() == Some("tcp") { p.protocol = None; }
                }
                if let Some(h) = &mut c.health_check {
                    if bit() { h.interval.get_or_insert(30); }
                    if bit() { h.timeout = h.timeout.filter(|t| *t != 5); }
                    if bit() { h.retries.get_or_insert(3); }
                    if bit() { h.start_period.get_or_insert(0); }
                }
                if bit() { c.readonly_root_filesystem.get_or_insert(false); }
                if bit() { c.init_process_enabled.get_or_insert(false); }
                // Issue 19's container fields: ECS's defaults spelled out, sets reordered.
                if bit() { c.stop_timeout.get_or_insert(30); }
                if bit() { c.version_consistency.get_or_insert_with(|| "enabled".into()); }
                if bit() { c.interactive.get_or_insert(false); }
                if bit() { c.pseudo_terminal.get_or_insert(false); }
                if bit() && c.restart_policy.is_none() {
                    c.restart_policy = Some(RestartPolicyDef {
                        enabled: false,
                        ignored_exit_codes: vec![],
                        restart_attempt_period: None,
                    });
                }
                if let Some(r) = &mut c.restart_policy {
                    if bit() { r.restart_attempt_period.get_or_insert(300); }
                    if bit() { r.ignored_exit_codes.reverse(); }
                }
                for v in &mut c.volumes_from {
                    if bit() { v.1.get_or_insert(false); }
                }
                if bit() { c.system_controls.reverse(); }
                if bit() { c.capabilities_drop.reverse(); }
                if let Some(l) = &mut c.log_configuration {
                    if bit() { l.secret_options.reverse(); }
                }
            }
            if bit() { b.enable_fault_injection = b.enable_fault_injection.filter(|on| *on); }
            else { b.enable_fault_injection.get_or_insert(false); }
            for v in &mut b.volumes {
                // ECS reports configuredAtLaunch false on every other volume.
                if bit() { v.configured_at_launch.get_or_insert(false); }
                if let Some(e) = &mut v.efs {
                    if bit() { e.root_directory.get_or_insert_with(|| "/".into()); }
                    if bit() { e.iam.get_or_insert_with(|| "DISABLED".into()); }
                }
            }
        }
        let plan = w.plan_td(&otd);
        prop_assert!(plan.is_empty(), "TaskDefinition: {:?}", plan.actions);

        // Service: the same for its defaults; with scaling, the autoscaler moved the count.
        let mut ofs = w.observe_fs();
        if let Some(s) = &mut ofs.service {
            let b = &mut s.body;
            if w.fs.scaling.is_some() { b.desired_count = autoscaled_count; }
            b.subnets.reverse();
            if bit() && b.launch_type.is_some() {
                b.launch_type = None;
                b.capacity_provider_strategy = vec![StrategyItem::new("FARGATE", 0, 1)];
            }
            if bit() { b.platform_version = Some("LATEST".into()); }
            if bit() { b.health_check_grace_period_seconds = Some(0); }
            if bit() { b.propagate_tags = Some("NONE".into()); }
            if bit() { b.capacity_provider_strategy.reverse(); }
            if bit() { b.vpc_lattice.reverse(); }
            // Metric resolutions at ECS's default, spelled out or not.
            if bit() && b.monitoring.is_some() {
                b.monitoring = Some(canonical_monitoring(b.monitoring.as_ref()));
            }
            // A gateway connector's health-check settings the spec leaves to ECS: whatever
            // ECS reports for them is not drift.
            for g in &mut b.gateway_connectors {
                if bit() { g.protocol.get_or_insert_with(|| "HTTP".into()); }
                if bit() { g.interval_seconds.get_or_insert(30); }
                if bit() { g.http_code.get_or_insert_with(|| "200".into()); }
            }
            // The managed EBS volume's documented defaults, spelled out or not.
            for v in &mut b.volume_configurations {
                if bit() { v.filesystem_type.get_or_insert_with(|| "xfs".into()); }
                if bit() { v.encrypted.get_or_insert(true); }
                if bit() { v.propagate_tags.get_or_insert_with(|| "NONE".into()); }
            }
            // Service Connect as ECS may report it (the namespace by ARN, the default
            // discovery name filled in), or as an emulator that drops it does: the tag
            // records what was sent.
            if let Some(sc) = &mut b.service_connect {
                if bit() {
                    sc.namespace = Some("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-0123456789".into());
                }
                for s in &mut sc.services {
                    if bit() { s.discovery_name.get_or_insert_with(|| s.port_name.clone()); }
                }
                // ECS's defaults of the newer settings, spelled out or not.
                if let Some(a) = &mut sc.access_logs {
                    if bit() { a.include_query_parameters.get_or_insert_with(|| "DISABLED".into()); }
                }
                if bit() { sc.proxy_log_level.get_or_insert_with(|| "info".into()); }
            }
            if bit() { b.service_connect = None; }
            // ECS's defaults of the newer circuit-breaker settings, spelled out or not.
            if let Some(cb) = &mut b.circuit_breaker {
                if bit() { cb.reset_on_healthy_task.get_or_insert(true); }
                if bit() { cb.threshold.get_or_insert_with(ThresholdDef::ecs_default); }
            }
            // AZ rebalancing the spec leaves to ECS: whatever ECS reports is not drift.
            if w.fs.availability_zone_rebalancing.is_none() {
                b.availability_zone_rebalancing = match (bit(), bit()) {
                    (true, true) => None,
                    (true, false) => Some("ENABLED".into()),
                    _ => Some("DISABLED".into()),
                };
            }
            // ECS's defaults for each strategy spelled out or left out, hooks reordered.
            let r = &mut b.rollout;
            if bit() && r.strategy() == "ROLLING" { r.strategy = None; }
            if r.strategy() == "ROLLING" && bit() {
                // An earlier strategy's settings ECS may keep reporting.
                r.bake_time_minutes = Some(60);
                r.canary = Some(CANARY_DEFAULTS);
            }
            if bit() && r.canary == Some(CANARY_DEFAULTS) && r.strategy() == "CANARY" { r.canary = None; }
            if bit() && r.linear == Some(LINEAR_DEFAULTS) && r.strategy() == "LINEAR" { r.linear = None; }
            for h in &mut r.lifecycle_hooks {
                if bit() { h.stages.reverse(); }
                // No details, as ECS may report them: an empty object.
                if h.details.is_none() && bit() { h.details = Some("{}".into()); }
                if bit() { h.timeout_minutes = None; h.timeout_action = None; }
            }
        }
        let plan = w.plan_fs(&ofs);
        prop_assert!(plan.is_empty(), "FargateService: {:?}", plan.actions);
    }
}

use fargate_operator::plan::Action;

/// A `spec.deployment.preDeploy`: backoff, deadline, a command override, its own network
/// or the service's, its own strategy or the service's.
fn pre_deploy() -> impl Strategy<Value = fargate_operator::api::predeploy::PreDeploySpec> {
    (
        0i32..4,
        proptest::option::of(1i64..7200),
        proptest::option::of(proptest::collection::vec("[a-z]{1,8}", 1..4)),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(backoff_limit, deadline, command, own_network, spot)| {
            use fargate_operator::api::fargatetask::{ContainerOverride, TaskOverrides};
            fargate_operator::api::predeploy::PreDeploySpec {
                overrides: command.map(|command| TaskOverrides {
                    containers: vec![ContainerOverride {
                        name: "c0".into(),
                        command,
                        environment: vec![],
                        cpu: None,
                        memory: None,
                    }],
                    ..Default::default()
                }),
                network: own_network.then(|| NetworkSpec {
                    subnets: vec!["subnet-0123456789abcdef0".into()],
                    security_groups: vec![],
                    assign_public_ip: false,
                }),
                capacity_provider_strategy: if spot {
                    vec![CapacityProviderStrategyItem {
                        capacity_provider: CapacityProvider::FargateSpot,
                        base: None,
                        weight: Some(1),
                    }]
                } else {
                    vec![]
                },
                backoff_limit,
                active_deadline_seconds: deadline,
                ..Default::default()
            }
        })
}

/// A task definition and a service running it.
fn task_definition_and_service() -> impl Strategy<Value = (TaskDefinitionSpec, FargateServiceSpec)>
{
    task_definition().prop_flat_map(|td| {
        let arm = td.runtime_platform.is_some();
        let ebs = has_launch_volume(&td);
        (Just(td), service(arm, ebs))
    })
}

impl World {
    fn with_pre_deploy(
        &self,
        pd: Option<fargate_operator::api::predeploy::PreDeploySpec>,
    ) -> FargateServiceSpec {
        let mut fs = self.fs.clone();
        fs.deployment
            .get_or_insert_with(Default::default)
            .pre_deploy = pd;
        fs
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A service running the revision it deploys plans exactly what it planned without a
    /// preDeploy (nothing): adding one costs no AWS change.
    #[test]
    fn a_pre_deploy_plans_nothing_for_the_revision_running(
        (td, fs) in task_definition_and_service(),
        pd in pre_deploy(),
    ) {
        let mut w = world(td, fs);
        w.converge();
        let mut observed = w.observe_fs();
        observed.pre_deploy = Some(Default::default());
        let without = w.plan_fs(&observed);
        w.fs = w.with_pre_deploy(Some(pd));
        let with = w.plan_fs(&observed);
        prop_assert_eq!(&with.actions, &without.actions);
        prop_assert!(with.is_empty(), "{:?}", with.actions);
        prop_assert!(with.notes.iter().all(|n| !n.reason.starts_with("PreDeploy")));
    }

    /// With a new revision registered and other changes to the service, a preDeploy adds
    /// its RunTask first and takes the revision out of the UpdateService; nothing else of
    /// the plan changes.
    #[test]
    fn a_pre_deploy_holds_only_the_revision(
        (td, fs) in task_definition_and_service(),
        pd in pre_deploy(),
        grace in proptest::option::of(1i32..300),
    ) {
        let mut w = world(td, fs);
        w.converge();
        // A new revision (another image), and maybe a grace-period change.
        w.td.spec.containers[0].image = "public.ecr.aws/nginx/nginx:9.9.9".into();
        for a in &w.plan_td(&w.observe_td()).actions {
            w.aws.apply(a).expect("sim accepts the planned action");
        }
        w.fs.health_check_grace_period_seconds = grace;
        let mut observed = w.observe_fs();
        observed.pre_deploy = Some(Default::default());
        let without = w.plan_fs(&observed);
        w.fs = w.with_pre_deploy(Some(pd));
        let with = w.plan_fs(&observed);
        prop_assert!(matches!(with.actions.first(), Some(Action::RunTask { attempt: 1, .. })), "{:?}", with.actions);
        let held: Vec<Action> = without
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::UpdateService { cluster, name, changes } => {
                    let mut changes = changes.clone();
                    changes.task_definition = None;
                    changes.force_new_deployment &= changes.capacity_provider_strategy.is_some();
                    (!changes.is_empty()).then(|| Action::UpdateService {
                        cluster: cluster.clone(),
                        name: name.clone(),
                        changes,
                    })
                }
                other => Some(other.clone()),
            })
            .collect();
        prop_assert_eq!(&with.actions[1..], held.as_slice());
        prop_assert!(with.notes.iter().any(|n| n.reason == "PreDeployRunning"));
    }
}

// ---- Scheduled FargateTasks (plan::schedule) ----

use fargate_operator::api::fargatetask::FargateTaskSpec;
use fargate_operator::plan::model::RoleRef;
use fargate_operator::plan::schedule::{plan_scheduled, ObservedScheduled, ScheduleInputs};

/// A scheduled FargateTask's spec: each schedule setting left out or set, with the run
/// settings a schedule's target carries.
fn scheduled_task() -> impl Strategy<Value = FargateTaskSpec> {
    (
        prop::sample::select(vec!["cron(0 5 ? * * *)", "rate(15 minutes)", "at(2030-01-01T05:00:00)"]),
        prop::option::of(prop::sample::select(vec!["UTC", "Europe/Berlin", "Etc/GMT+5"])),
        any::<bool>(),
        prop::option::of((prop::option::of(0i32..=185), prop::option::of(60i32..=86_400))),
        (1i32..=10, any::<bool>(), any::<bool>()),
        prop::option::of(prop::sample::select(vec!["LATEST", "1.4.0"])),
        0u8..4,
        schedule_dates(),
    )
        .prop_map(|(expr, tz, suspend, retry, (count, spot, public), platform, overrides, (start, end))| {
            let mut v = serde_json::json!({
                "cluster": {"name": "c"},
                "taskDefinitionRef": {"name": "td"},
                "network": {"subnets": ["subnet-0123456789abcdef0"], "assignPublicIp": public},
                "schedule": expr,
                "count": count,
                "suspend": suspend,
                "tags": {"team": "data"},
            });
            if let Some(tz) = tz {
                v["timezone"] = tz.into();
            }
            if let Some((attempts, age)) = retry {
                v["retryPolicy"] = serde_json::json!({"maximumRetryAttempts": attempts, "maximumEventAgeSeconds": age});
            }
            if spot {
                v["capacityProviderStrategy"] = serde_json::json!([
                    {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                    {"capacityProvider": "FARGATE_SPOT", "weight": 3}
                ]);
            }
            if let Some(p) = platform {
                v["platformVersion"] = p.into();
            }
            // Scheduler ignores the dates of a one-time schedule: the CRD refuses them.
            if !expr.starts_with("at(") {
                if let Some(start) = start {
                    v["startDate"] = start.into();
                }
                if let Some(end) = end {
                    v["endDate"] = end.into();
                }
            }
            v["overrides"] = match overrides {
                0 => serde_json::Value::Null,
                1 => serde_json::json!({"containers": [{"name": "app", "command": ["./run", "--all"]}]}),
                2 => serde_json::json!({"cpu": 512, "memory": 1024,
                    "containers": [{"name": "app", "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}], "cpu": 256, "memory": 512}]}),
                _ => serde_json::json!({"containers": [{"name": "app", "command": ["x"], "environment": [{"name": "A", "value": "1"}]}]}),
            };
            let spec: FargateTaskSpec = serde_json::from_value(v).expect("a valid spec");
            fargate_operator::api::validation::validate_fargate_task(&spec).expect("generated specs are valid");
            spec
        })
}

/// The clock of the schedule properties: 2030-03-17T17:46:40Z.
const SCHEDULE_NOW: i64 = 1_900_000_000;

/// An RFC 3339 date-time `seconds` after the epoch, in UTC or at +02:00, with or without a
/// fraction of a second.
fn rfc3339(seconds: i64, plus_two: bool, fraction: bool) -> String {
    let zone = if plus_two { "+02:00" } else { "Z" };
    let local =
        k8s_openapi::jiff::Timestamp::from_second(seconds + if plus_two { 7_200 } else { 0 })
            .expect("in range");
    let text = local.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    format!("{text}{}{zone}", if fraction { ".5" } else { "" })
}

/// `(startDate, endDate)`: each unset or set, a start up to 100 days either side of
/// [`SCHEDULE_NOW`], an end after it (or, without a start, either side of the clock).
fn schedule_dates() -> impl Strategy<Value = (Option<String>, Option<String>)> {
    (
        prop::option::of(-8_640_000i64..8_640_000),
        prop::option::of(1i64..17_280_000),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(start, end, plus_two, fraction)| {
            let start_at = start.map(|s| SCHEDULE_NOW + s);
            let end_at = end.map(|e| start_at.unwrap_or(SCHEDULE_NOW - 8_640_000) + e);
            (
                start_at.map(|s| rfc3339(s, plus_two, fraction)),
                end_at.map(|e| rfc3339(e, !plus_two, fraction)),
            )
        })
}

/// An account with the TaskDefinition `td` registered and cluster `c`.
fn schedule_world() -> (World, String) {
    let td: TaskDefinitionSpec = serde_json::from_value(serde_json::json!({
        "cpu": 256, "memory": 512,
        "containers": [{"name": "app", "image": "public.ecr.aws/nginx/nginx:1.27.3"}],
        "taskRole": {"managed": {}},
    }))
    .expect("a valid TaskDefinition");
    let fs: FargateServiceSpec = serde_json::from_value(serde_json::json!({
        "taskDefinitionRef": {"name": "td"},
        "network": {"subnets": ["subnet-0123456789abcdef0"]},
    }))
    .expect("a valid FargateService");
    let mut w = world(td, fs);
    for a in &w.plan_td(&w.observe_td()).actions {
        w.aws.apply(a).expect("sim accepts the planned action");
    }
    w.aws.clusters.insert(
        "c".into(),
        fargate_operator::plan::model::ObservedCluster {
            arn: "arn:aws:ecs:us-east-1:123456789012:cluster/c".into(),
            status: "ACTIVE".into(),
            ..Default::default()
        },
    );
    let family = task_definition_lookups(&w.td).family;
    let arn = w.aws.latest_revision(&family).expect("registered");
    (w, arn)
}

fn observe_scheduled(aws: &SimAws, o: &Owner, revision: &str) -> ObservedScheduled {
    let name = fargate_operator::api::schedule::schedule_name(o);
    ObservedScheduled {
        schedule: aws.schedules.get(&("default".to_owned(), name)).cloned(),
        role: aws.roles.get(&role_name(o, RoleKind::Scheduler)).cloned(),
        cluster: aws.clusters.get("c").cloned(),
        revision: aws.revision(revision).cloned(),
        ..Default::default()
    }
}

/// Applies a plan as the executor does: a schedule names its role by ARN.
fn apply_scheduled(aws: &mut SimAws, plan: &Plan) {
    for a in &plan.actions {
        let mut a = a.clone();
        if let Action::CreateSchedule { body } | Action::UpdateSchedule { body } = &mut a {
            if let RoleRef::Managed(name) = &body.target.role {
                body.target.role = RoleRef::Arn(aws.roles[name].arn.clone());
            }
        }
        aws.apply(&a).expect("sim accepts the planned action");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_scheduled_task_converges_and_what_scheduler_reports_back_is_not_drift(
        spec in scheduled_task(),
        pretty in any::<bool>(),
        later in 0i64..40_000_000,
    ) {
        let (mut w, revision) = schedule_world();
        let o = owner("job");
        let inputs = ScheduleInputs {
            owner: &o,
            spec: &spec,
            task_definition_arn: Some(&revision),
            config: &w.config,
            now: k8s_openapi::jiff::Timestamp::from_second(SCHEDULE_NOW).unwrap(),
        };
        let plan = plan_scheduled(inputs, &observe_scheduled(&w.aws, &o, &revision)).expect("plans");
        let creates = plan.actions.iter().any(|a| matches!(a, Action::CreateSchedule { .. }));
        prop_assert!(creates, "no CreateSchedule: {:?}", plan.actions);
        apply_scheduled(&mut w.aws, &plan);
        let mut observed = observe_scheduled(&w.aws, &o, &revision);
        // Scheduler hands the Input back as it likes to format JSON.
        if pretty {
            if let Some(s) = &mut observed.schedule {
                if let Some(input) = &mut s.body.target.input {
                    let v: serde_json::Value = serde_json::from_str(input).unwrap();
                    *input = serde_json::to_string_pretty(&v).unwrap();
                }
            }
        }
        let again = plan_scheduled(inputs, &observed).expect("plans");
        prop_assert!(again.is_empty(), "replans: {:?}", again.actions);
        // Nothing sent is a date that has passed, and time passing changes nothing: a start
        // that passes, an end that passes.
        let sent = observed.schedule.as_ref().expect("created").body.clone();
        prop_assert!(sent.end_date.is_some_and(|e| e <= SCHEDULE_NOW) || sent.start_date.is_none_or(|s| s > SCHEDULE_NOW), "{sent:?}");
        let later = ScheduleInputs {
            now: k8s_openapi::jiff::Timestamp::from_second(SCHEDULE_NOW + later).unwrap(),
            ..inputs
        };
        let again = plan_scheduled(later, &observed).expect("plans");
        prop_assert!(again.is_empty(), "replans later: {:?}", again.actions);
    }
}

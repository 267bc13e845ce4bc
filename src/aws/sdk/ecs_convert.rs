//! The ECS conversions: the planner's task-definition and service bodies to the SDK's
//! request inputs, and the SDK's descriptions back to the planner's observed types. The
//! tests round-trip every field: body → request → the shape ECS returns → body.

use aws_sdk_ecs as ecs;
use ecs::operation::create_cluster::builders::CreateClusterFluentBuilder;
use ecs::operation::create_service::builders::CreateServiceFluentBuilder;
use ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use ecs::operation::update_service::builders::UpdateServiceFluentBuilder;

use super::invalid;
use crate::aws::{AwsError, AwsOp};
use crate::plan::model::*;
use crate::plan::service_connect::{
    AccessLogsDef, ClientAliasDef, ScServiceDef, ScTlsDef, ServiceConnectDef,
};
use crate::plan::ServiceUpdate;

pub(super) fn rfc3339(t: Option<&ecs::primitives::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(ecs::primitives::DateTimeFormat::DateTime).ok())
}

pub(super) fn ecs_tags(tags: &Tags) -> Vec<ecs::types::Tag> {
    tags.iter()
        .map(|(k, v)| ecs::types::Tag::builder().key(k).value(v).build())
        .collect()
}

pub(super) fn from_ecs_tags(tags: &[ecs::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

pub(super) fn role_arn(op: AwsOp, role: &Option<RoleRef>) -> Result<Option<String>, AwsError> {
    match role {
        None => Ok(None),
        Some(RoleRef::Arn(a)) => Ok(Some(a.clone())),
        Some(RoleRef::Managed(name)) => Err(invalid(
            op,
            format!("managed role {name} has no ARN yet (it must be created first)"),
        )),
    }
}

pub(super) fn container_to_sdk(
    op: AwsOp,
    c: &ContainerDef,
) -> Result<ecs::types::ContainerDefinition, AwsError> {
    use ecs::types as t;
    let bad = |e: ecs::error::BuildError| invalid(op, e);
    let environment = c
        .environment
        .iter()
        .map(|(name, value)| t::KeyValuePair::builder().name(name).value(value).build())
        .collect();
    let secrets = secrets_to_sdk(&c.secrets).map_err(bad)?;
    let depends_on = c
        .depends_on
        .iter()
        .map(|(name, condition)| {
            t::ContainerDependency::builder()
                .container_name(name)
                .condition(t::ContainerCondition::from(condition.as_str()))
                .build()
        })
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    let ulimits = c
        .ulimits
        .iter()
        .map(|(name, soft, hard)| {
            t::Ulimit::builder()
                .name(t::UlimitName::from(name.as_str()))
                .soft_limit(*soft)
                .hard_limit(*hard)
                .build()
        })
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    let health_check = c
        .health_check
        .as_ref()
        .map(health_check_to_sdk)
        .transpose()
        .map_err(bad)?;
    let log_configuration = c
        .log_configuration
        .as_ref()
        .map(log_configuration_to_sdk)
        .transpose()
        .map_err(bad)?;
    let builder = newer_fields_to_sdk(t::ContainerDefinition::builder(), c).map_err(bad)?;
    Ok(builder
        .name(&c.name)
        .image(&c.image)
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .set_essential(c.essential)
        .set_command(listed(c.command.clone()))
        .set_entry_point(listed(c.entry_point.clone()))
        .set_working_directory(c.working_directory.clone())
        .set_user(c.user.clone())
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_environment(listed(environment))
        .set_secrets(listed(secrets))
        .set_port_mappings(listed(
            c.port_mappings.iter().map(port_mapping_to_sdk).collect(),
        ))
        .set_health_check(health_check)
        .set_log_configuration(log_configuration)
        .set_depends_on(listed(depends_on))
        .set_ulimits(listed(ulimits))
        .set_linux_parameters(linux_parameters_to_sdk(c))
        .set_mount_points(listed(
            c.mount_points.iter().map(mount_point_to_sdk).collect(),
        ))
        .build())
}

/// `linuxParameters`, sent when the container sets any of it.
fn linux_parameters_to_sdk(c: &ContainerDef) -> Option<ecs::types::LinuxParameters> {
    use ecs::types as t;
    let capabilities =
        (!c.capabilities_add.is_empty() || !c.capabilities_drop.is_empty()).then(|| {
            t::KernelCapabilities::builder()
                .set_add(listed(c.capabilities_add.clone()))
                .set_drop(listed(c.capabilities_drop.clone()))
                .build()
        });
    (c.init_process_enabled.is_some() || capabilities.is_some()).then(|| {
        t::LinuxParameters::builder()
            .set_init_process_enabled(c.init_process_enabled)
            .set_capabilities(capabilities)
            .build()
    })
}

/// The container fields added for issue 19, on `b`.
fn newer_fields_to_sdk(
    b: ecs::types::builders::ContainerDefinitionBuilder,
    c: &ContainerDef,
) -> Result<ecs::types::builders::ContainerDefinitionBuilder, ecs::error::BuildError> {
    use ecs::types as t;
    let repository_credentials = c
        .repository_credentials
        .as_ref()
        .map(|arn| {
            t::RepositoryCredentials::builder()
                .credentials_parameter(arn)
                .build()
        })
        .transpose()?;
    let restart_policy = c
        .restart_policy
        .as_ref()
        .map(|r| {
            t::ContainerRestartPolicy::builder()
                .enabled(r.enabled)
                .set_ignored_exit_codes(listed(r.ignored_exit_codes.clone()))
                .set_restart_attempt_period(r.restart_attempt_period)
                .build()
        })
        .transpose()?;
    let environment_files = c
        .environment_files
        .iter()
        .map(|arn| {
            t::EnvironmentFile::builder()
                .value(arn)
                .r#type(t::EnvironmentFileType::S3)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let firelens = c
        .firelens_configuration
        .as_ref()
        .map(|f| {
            t::FirelensConfiguration::builder()
                .r#type(t::FirelensConfigurationType::from(f.router_type.as_str()))
                .set_options(
                    (!f.options.is_empty()).then(|| f.options.clone().into_iter().collect()),
                )
                .build()
        })
        .transpose()?;
    Ok(b.set_repository_credentials(repository_credentials)
        .set_restart_policy(restart_policy)
        .set_environment_files(listed(environment_files))
        .set_volumes_from(listed(volumes_from_to_sdk(c)))
        .set_start_timeout(c.start_timeout)
        .set_stop_timeout(c.stop_timeout)
        .set_version_consistency(
            c.version_consistency
                .as_deref()
                .map(t::VersionConsistency::from),
        )
        .set_interactive(c.interactive)
        .set_pseudo_terminal(c.pseudo_terminal)
        .set_docker_labels(
            (!c.docker_labels.is_empty()).then(|| c.docker_labels.clone().into_iter().collect()),
        )
        .set_system_controls(listed(system_controls_to_sdk(c)))
        .set_credential_specs(listed(c.credential_specs.clone()))
        .set_firelens_configuration(firelens))
}

/// `volumesFrom` as ECS takes it.
fn volumes_from_to_sdk(c: &ContainerDef) -> Vec<ecs::types::VolumeFrom> {
    c.volumes_from
        .iter()
        .map(|(source, read_only)| {
            ecs::types::VolumeFrom::builder()
                .source_container(source)
                .set_read_only(*read_only)
                .build()
        })
        .collect()
}

/// `systemControls` as ECS takes them.
fn system_controls_to_sdk(c: &ContainerDef) -> Vec<ecs::types::SystemControl> {
    c.system_controls
        .iter()
        .map(|(namespace, value)| {
            ecs::types::SystemControl::builder()
                .namespace(namespace)
                .value(value)
                .build()
        })
        .collect()
}

/// `(name, valueFrom)` pairs (a container's secrets, a log driver's secret options) as ECS
/// secrets.
fn secrets_to_sdk(
    pairs: &[(String, String)],
) -> Result<Vec<ecs::types::Secret>, ecs::error::BuildError> {
    pairs
        .iter()
        .map(|(name, from)| {
            ecs::types::Secret::builder()
                .name(name)
                .value_from(from)
                .build()
        })
        .collect()
}

fn secret_from_sdk(s: &ecs::types::Secret) -> (String, String) {
    (s.name().to_owned(), s.value_from().to_owned())
}

/// A list field as the request sends it: left out when empty.
fn listed<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

fn port_mapping_to_sdk(p: &PortMappingDef) -> ecs::types::PortMapping {
    use ecs::types as t;
    t::PortMapping::builder()
        .set_container_port(p.container_port)
        .set_container_port_range(p.container_port_range.clone())
        .set_host_port(p.host_port)
        .set_protocol(p.protocol.as_deref().map(t::TransportProtocol::from))
        .set_name(p.name.clone())
        .set_app_protocol(p.app_protocol.as_deref().map(t::ApplicationProtocol::from))
        .build()
}

fn health_check_to_sdk(
    h: &HealthCheckDef,
) -> Result<ecs::types::HealthCheck, ecs::error::BuildError> {
    ecs::types::HealthCheck::builder()
        .set_command(Some(h.command.clone()))
        .set_interval(h.interval)
        .set_timeout(h.timeout)
        .set_retries(h.retries)
        .set_start_period(h.start_period)
        .build()
}

fn log_configuration_to_sdk(
    l: &LogConfigDef,
) -> Result<ecs::types::LogConfiguration, ecs::error::BuildError> {
    let secret_options = secrets_to_sdk(&l.secret_options)?;
    ecs::types::LogConfiguration::builder()
        .log_driver(ecs::types::LogDriver::from(l.log_driver.as_str()))
        .set_options(Some(l.options.clone().into_iter().collect()))
        .set_secret_options(listed(secret_options))
        .build()
}

fn log_configuration_from_sdk(l: &ecs::types::LogConfiguration) -> LogConfigDef {
    LogConfigDef {
        log_driver: l.log_driver().as_str().to_owned(),
        options: l
            .options()
            .map(|o| o.clone().into_iter().collect())
            .unwrap_or_default(),
        secret_options: l.secret_options().iter().map(secret_from_sdk).collect(),
    }
}

fn mount_point_to_sdk(m: &MountPointDef) -> ecs::types::MountPoint {
    ecs::types::MountPoint::builder()
        .source_volume(&m.source_volume)
        .container_path(&m.container_path)
        .set_read_only(m.read_only)
        .build()
}

pub(super) fn container_from_sdk(c: &ecs::types::ContainerDefinition) -> ContainerDef {
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
        secrets: c.secrets().iter().map(secret_from_sdk).collect(),
        port_mappings: c
            .port_mappings()
            .iter()
            .map(port_mapping_from_sdk)
            .collect(),
        health_check: c.health_check().map(|h| HealthCheckDef {
            command: h.command().to_vec(),
            interval: h.interval(),
            timeout: h.timeout(),
            retries: h.retries(),
            start_period: h.start_period(),
        }),
        log_configuration: c.log_configuration().map(log_configuration_from_sdk),
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
        ..newer_fields_from_sdk(c)
    }
}

/// The container fields added for issue 19, as ECS describes them (the others default).
fn newer_fields_from_sdk(c: &ecs::types::ContainerDefinition) -> ContainerDef {
    let capabilities = c.linux_parameters().and_then(|l| l.capabilities());
    let names = |caps: &[String]| caps.to_vec();
    ContainerDef {
        repository_credentials: c
            .repository_credentials()
            .map(|r| r.credentials_parameter().to_owned()),
        restart_policy: c.restart_policy().map(|r| RestartPolicyDef {
            enabled: r.enabled(),
            ignored_exit_codes: r.ignored_exit_codes().to_vec(),
            restart_attempt_period: r.restart_attempt_period(),
        }),
        environment_files: c
            .environment_files()
            .iter()
            .map(|f| f.value().to_owned())
            .collect(),
        volumes_from: c
            .volumes_from()
            .iter()
            .map(|v| {
                (
                    v.source_container().unwrap_or_default().to_owned(),
                    v.read_only(),
                )
            })
            .collect(),
        start_timeout: c.start_timeout(),
        stop_timeout: c.stop_timeout(),
        version_consistency: c.version_consistency().map(|v| v.as_str().to_owned()),
        interactive: c.interactive(),
        pseudo_terminal: c.pseudo_terminal(),
        docker_labels: c
            .docker_labels()
            .map(|l| l.clone().into_iter().collect())
            .unwrap_or_default(),
        system_controls: c
            .system_controls()
            .iter()
            .map(|s| {
                (
                    s.namespace().unwrap_or_default().to_owned(),
                    s.value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        credential_specs: c.credential_specs().to_vec(),
        firelens_configuration: c.firelens_configuration().map(|f| FirelensDef {
            router_type: f.r#type().as_str().to_owned(),
            options: f
                .options()
                .map(|o| o.clone().into_iter().collect())
                .unwrap_or_default(),
        }),
        capabilities_add: capabilities.map(|k| names(k.add())).unwrap_or_default(),
        capabilities_drop: capabilities.map(|k| names(k.drop())).unwrap_or_default(),
        ..ContainerDef::default()
    }
}

fn port_mapping_from_sdk(p: &ecs::types::PortMapping) -> PortMappingDef {
    PortMappingDef {
        container_port: p.container_port(),
        host_port: p.host_port(),
        protocol: p.protocol().map(|p| p.as_str().to_owned()),
        name: p.name().map(str::to_owned),
        app_protocol: p.app_protocol().map(|p| p.as_str().to_owned()),
        container_port_range: p.container_port_range().map(str::to_owned),
    }
}

pub(super) fn task_definition_from_sdk(td: &ecs::types::TaskDefinition) -> TaskDefBody {
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
                    transit_encryption_port: e.transit_encryption_port(),
                }),
                s3files: v.s3files_volume_configuration().map(|s| S3FilesDef {
                    file_system_arn: s.file_system_arn().to_owned(),
                    root_directory: s.root_directory().map(str::to_owned),
                    transit_encryption_port: s.transit_encryption_port(),
                    access_point_arn: s.access_point_arn().map(str::to_owned),
                }),
                configured_at_launch: v.configured_at_launch(),
            })
            .collect(),
        pid_mode: td.pid_mode().map(|p| p.as_str().to_owned()),
        enable_fault_injection: td.enable_fault_injection(),
    }
}

/// The VPC Lattice registrations of a described service: ECS reports them on its
/// deployments only, so those of the primary one (the newest configuration).
fn vpc_lattice_from_sdk(s: &ecs::types::Service) -> Vec<VpcLatticeDef> {
    s.deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .map(|d| {
            d.vpc_lattice_configurations()
                .iter()
                .map(|l| VpcLatticeDef {
                    target_group_arn: l.target_group_arn().to_owned(),
                    port_name: l.port_name().to_owned(),
                    role_arn: l.role_arn().to_owned(),
                    advanced: l
                        .advanced_configuration()
                        .and_then(lattice_advanced_from_sdk),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The managed EBS volumes of a described service: like the VPC Lattice registrations,
/// ECS reports them on its deployments only, so those of the primary one.
fn volume_configurations_from_sdk(s: &ecs::types::Service) -> Vec<EbsVolumeDef> {
    let primary = s
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    primary
        .map(|d| {
            d.volume_configurations()
                .iter()
                .filter_map(|v| {
                    let m = v.managed_ebs_volume()?;
                    let tags = m.tag_specifications().first();
                    Some(EbsVolumeDef {
                        name: v.name().to_owned(),
                        role: RoleRef::Arn(m.role_arn().to_owned()),
                        size_in_gib: m.size_in_gib(),
                        volume_type: m.volume_type().map(str::to_owned),
                        iops: m.iops(),
                        throughput: m.throughput(),
                        encrypted: m.encrypted(),
                        kms_key_id: m.kms_key_id().map(str::to_owned),
                        snapshot_id: m.snapshot_id().map(str::to_owned),
                        volume_initialization_rate: m.volume_initialization_rate(),
                        filesystem_type: m.filesystem_type().map(|f| f.as_str().to_owned()),
                        tags: tags.map(|t| from_ecs_tags(t.tags())).unwrap_or_default(),
                        propagate_tags: tags
                            .and_then(|t| t.propagate_tags())
                            .map(|p| p.as_str().to_owned()),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `volumeConfigurations` of a CreateService or UpdateService request: one `volume`
/// tag specification when the volume has tags or propagates them.
fn volume_configurations_to_sdk(
    op: AwsOp,
    vs: &[EbsVolumeDef],
) -> Result<Vec<ecs::types::ServiceVolumeConfiguration>, AwsError> {
    use ecs::types as t;
    vs.iter()
        .map(|v| {
            let tags = (!v.tags.is_empty() || v.propagate_tags.is_some())
                .then(|| {
                    t::EbsTagSpecification::builder()
                        .resource_type(t::EbsResourceType::Volume)
                        .set_tags((!v.tags.is_empty()).then(|| ecs_tags(&v.tags)))
                        .set_propagate_tags(v.propagate_tags.as_deref().map(t::PropagateTags::from))
                        .build()
                        .map_err(|e| invalid(op, e))
                })
                .transpose()?;
            let ebs = t::ServiceManagedEbsVolumeConfiguration::builder()
                .set_role_arn(role_arn(op, &Some(v.role.clone()))?)
                .set_size_in_gib(v.size_in_gib)
                .set_volume_type(v.volume_type.clone())
                .set_iops(v.iops)
                .set_throughput(v.throughput)
                .set_encrypted(v.encrypted)
                .set_kms_key_id(v.kms_key_id.clone())
                .set_snapshot_id(v.snapshot_id.clone())
                .set_volume_initialization_rate(v.volume_initialization_rate)
                .set_filesystem_type(
                    v.filesystem_type
                        .as_deref()
                        .map(t::TaskFilesystemType::from),
                )
                .set_tag_specifications(tags.map(|t| vec![t]))
                .build()
                .map_err(|e| invalid(op, e))?;
            t::ServiceVolumeConfiguration::builder()
                .name(&v.name)
                .managed_ebs_volume(ebs)
                .build()
                .map_err(|e| invalid(op, e))
        })
        .collect()
}

fn vpc_lattice_to_sdk(
    op: AwsOp,
    ls: &[VpcLatticeDef],
) -> Result<Vec<ecs::types::VpcLatticeConfiguration>, AwsError> {
    ls.iter()
        .map(|l| {
            let advanced = l.advanced.as_ref().map(|a| {
                ecs::types::VpcLatticeAdvancedConfiguration::builder()
                    .alternate_target_group_arn(&a.alternate_target_group_arn)
                    .production_listener_rule(&a.production_listener_rule)
                    .set_test_listener_rule(a.test_listener_rule.clone())
                    .build()
            });
            ecs::types::VpcLatticeConfiguration::builder()
                .role_arn(&l.role_arn)
                .target_group_arn(&l.target_group_arn)
                .port_name(&l.port_name)
                .set_advanced_configuration(advanced)
                .build()
                .map_err(|e| invalid(op, e))
        })
        .collect()
}

/// A reported Lattice advanced configuration; None without the two ARNs ECS requires.
fn lattice_advanced_from_sdk(
    a: &ecs::types::VpcLatticeAdvancedConfiguration,
) -> Option<LatticeAdvancedDef> {
    Some(LatticeAdvancedDef {
        alternate_target_group_arn: a.alternate_target_group_arn()?.to_owned(),
        production_listener_rule: a.production_listener_rule()?.to_owned(),
        test_listener_rule: a.test_listener_rule().map(str::to_owned),
    })
}

/// A reported Service Connect endpoint.
fn sc_service_from_sdk(s: &ecs::types::ServiceConnectService) -> ScServiceDef {
    ScServiceDef {
        port_name: s.port_name().to_owned(),
        discovery_name: s.discovery_name().map(str::to_owned),
        client_aliases: s
            .client_aliases()
            .iter()
            .map(|a| ClientAliasDef {
                port: a.port(),
                dns_name: a.dns_name().map(str::to_owned),
                test_header: a
                    .test_traffic_rules()
                    .and_then(|r| r.header())
                    .and_then(|h| Some((h.name().to_owned(), h.value()?.exact().to_owned()))),
            })
            .collect(),
        ingress_port_override: s.ingress_port_override(),
        idle_timeout_seconds: s.timeout().and_then(|t| t.idle_timeout_seconds()),
        per_request_timeout_seconds: s.timeout().and_then(|t| t.per_request_timeout_seconds()),
        tls: s.tls().and_then(|t| {
            Some(ScTlsDef {
                certificate_authority_arn: t
                    .issuer_certificate_authority()?
                    .aws_pca_authority_arn()?
                    .to_owned(),
                kms_key: t.kms_key().map(str::to_owned),
                role_arn: t.role_arn().map(str::to_owned),
            })
        }),
    }
}

/// The proxy log level among a reported configuration's container settings.
fn proxy_log_level_from_sdk(c: &ecs::types::ServiceConnectConfiguration) -> Option<String> {
    c.container_configurations().iter().find_map(|s| match s {
        ecs::types::ServiceConnectContainerConfiguration::LogLevel(l) => {
            Some(l.as_str().to_owned())
        }
        _ => None,
    })
}

/// The Service Connect configuration of a described service: ECS reports it on its
/// deployments only, so that of the primary one (the newest configuration).
fn service_connect_from_sdk(s: &ecs::types::Service) -> Option<ServiceConnectDef> {
    let d = s
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))?;
    let c = d.service_connect_configuration()?;
    Some(ServiceConnectDef {
        enabled: c.enabled(),
        namespace: c.namespace().map(str::to_owned),
        services: c.services().iter().map(sc_service_from_sdk).collect(),
        log_configuration: c.log_configuration().map(log_configuration_from_sdk),
        access_logs: c.access_log_configuration().map(|a| AccessLogsDef {
            format: a.format().as_str().to_owned(),
            include_query_parameters: a.include_query_parameters().map(|q| q.as_str().to_owned()),
        }),
        proxy_log_level: proxy_log_level_from_sdk(c),
    })
}

/// A Service Connect configuration as ECS takes it.
fn service_connect_to_sdk(
    op: AwsOp,
    c: &ServiceConnectDef,
) -> Result<ecs::types::ServiceConnectConfiguration, AwsError> {
    use ecs::types as t;
    let services = c
        .services
        .iter()
        .map(|s| {
            let aliases = s
                .client_aliases
                .iter()
                .map(client_alias_to_sdk)
                .collect::<Result<Vec<_>, _>>()?;
            let tls = s.tls.as_ref().map(|t| {
                t::ServiceConnectTlsConfiguration::builder()
                    .issuer_certificate_authority(
                        t::ServiceConnectTlsCertificateAuthority::builder()
                            .aws_pca_authority_arn(&t.certificate_authority_arn)
                            .build(),
                    )
                    .set_kms_key(t.kms_key.clone())
                    .set_role_arn(t.role_arn.clone())
                    .build()
            });
            let timeout = (s.idle_timeout_seconds.is_some()
                || s.per_request_timeout_seconds.is_some())
            .then(|| {
                t::TimeoutConfiguration::builder()
                    .set_idle_timeout_seconds(s.idle_timeout_seconds)
                    .set_per_request_timeout_seconds(s.per_request_timeout_seconds)
                    .build()
            });
            t::ServiceConnectService::builder()
                .port_name(&s.port_name)
                .set_discovery_name(s.discovery_name.clone())
                .set_client_aliases(listed(aliases))
                .set_ingress_port_override(s.ingress_port_override)
                .set_timeout(timeout)
                .set_tls(tls)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(op, e))?;
    let access_logs = c
        .access_logs
        .as_ref()
        .map(|a| {
            t::ServiceConnectAccessLogConfiguration::builder()
                .format(t::ServiceConnectAccessLoggingFormat::from(
                    a.format.as_str(),
                ))
                .set_include_query_parameters(
                    a.include_query_parameters
                        .as_deref()
                        .map(t::ServiceConnectIncludeQueryParameters::from),
                )
                .build()
        })
        .transpose()
        .map_err(|e| invalid(op, e))?;
    // Every proxy setting the spec gives (ECS: each at most once); none returns them all to
    // ECS's defaults.
    let container = c.proxy_log_level.as_deref().map(|l| {
        vec![t::ServiceConnectContainerConfiguration::LogLevel(
            t::ServiceConnectContainerLogLevel::from(l),
        )]
    });
    let logs = c
        .log_configuration
        .as_ref()
        .map(log_configuration_to_sdk)
        .transpose()
        .map_err(|e| invalid(op, e))?;
    Ok(t::ServiceConnectConfiguration::builder()
        .enabled(c.enabled)
        .set_namespace(c.namespace.clone())
        .set_services(listed(services))
        .set_log_configuration(logs)
        .set_access_log_configuration(access_logs)
        .set_container_configurations(container)
        .build())
}

/// A client alias as ECS takes it, with its test traffic header rule.
fn client_alias_to_sdk(
    a: &ClientAliasDef,
) -> Result<ecs::types::ServiceConnectClientAlias, ecs::error::BuildError> {
    use ecs::types as t;
    let rules = a
        .test_header
        .as_ref()
        .map(|(name, value)| {
            let header = t::ServiceConnectTestTrafficHeaderRules::builder()
                .name(name)
                .value(
                    t::ServiceConnectTestTrafficHeaderMatchRules::builder()
                        .exact(value)
                        .build()?,
                )
                .build()?;
            Ok::<_, ecs::error::BuildError>(
                t::ServiceConnectTestTrafficRules::builder()
                    .header(header)
                    .build(),
            )
        })
        .transpose()?;
    t::ServiceConnectClientAlias::builder()
        .port(a.port)
        .set_dns_name(a.dns_name.clone())
        .set_test_traffic_rules(rules)
        .build()
}

/// A cluster's default Service Connect namespace as CreateCluster and UpdateCluster take it.
pub(super) fn service_connect_defaults(
    op: AwsOp,
    namespace: &str,
) -> Result<ecs::types::ClusterServiceConnectDefaultsRequest, AwsError> {
    ecs::types::ClusterServiceConnectDefaultsRequest::builder()
        .namespace(namespace)
        .build()
        .map_err(|e| invalid(op, e))
}

pub(super) fn service_from_sdk(s: &ecs::types::Service) -> ObservedService {
    let body = service_body_from_sdk(s);
    ObservedService {
        arn: s.service_arn().unwrap_or_default().to_owned(),
        status: s.status().unwrap_or_default().to_owned(),
        body,
        tags: from_ecs_tags(s.tags()),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        deployments: s.deployments().iter().map(deployment_from_sdk).collect(),
        events: s
            .events()
            .iter()
            .map(|e| ObservedEvent {
                id: e.id().unwrap_or_default().to_owned(),
                created_at: rfc3339(e.created_at()).unwrap_or_default(),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect(),
        revision_arns: s
            .current_service_revisions()
            .iter()
            .filter_map(|r| r.arn())
            .map(str::to_owned)
            .collect(),
    }
}

/// The settings of a described service revision that DescribeServices does not report.
pub(super) fn revision_settings_from_sdk(
    r: &ecs::types::ServiceRevision,
) -> ObservedRevisionSettings {
    ObservedRevisionSettings {
        monitoring: r.monitoring().map(monitoring_from_sdk),
        gateway_connectors: r
            .gateway_connectors()
            .iter()
            .map(gateway_connector_from_sdk)
            .collect(),
    }
}

/// A gateway connector as a service revision reports it.
pub(super) fn gateway_connector_from_sdk(g: &ecs::types::GatewayConnector) -> GatewayConnectorDef {
    let h = g.health_check();
    let matcher = h.and_then(|h| h.matcher());
    GatewayConnectorDef {
        port_name: g.port_name().to_owned(),
        protocol: h
            .and_then(|h| h.health_check_protocol())
            .map(|p| p.as_str().to_owned()),
        port: h.and_then(|h| h.health_check_port()),
        path: h.and_then(|h| h.health_check_path()).map(str::to_owned),
        timeout_seconds: h.and_then(|h| h.health_check_timeout_seconds()),
        interval_seconds: h.and_then(|h| h.health_check_interval_seconds()),
        healthy_threshold_count: h.and_then(|h| h.healthy_threshold_count()),
        unhealthy_threshold_count: h.and_then(|h| h.unhealthy_threshold_count()),
        http_code: matcher.and_then(|m| m.http_code()).map(str::to_owned),
        grpc_code: matcher.and_then(|m| m.grpc_code()).map(str::to_owned),
        access_types: g.filters().map(|f| {
            let mut t: Vec<String> = f
                .access_types()
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect();
            t.sort();
            t
        }),
    }
}

/// Gateway connectors as CreateService and UpdateService send them (a health check and a
/// matcher only when one of their fields is set).
pub(super) fn gateway_connectors_to_sdk(
    op: AwsOp,
    connectors: &[GatewayConnectorDef],
) -> Result<Vec<ecs::types::GatewayConnector>, AwsError> {
    connectors
        .iter()
        .map(|g| {
            let matcher = (g.http_code.is_some() || g.grpc_code.is_some()).then(|| {
                ecs::types::GatewayConnectorHealthCheckMatcher::builder()
                    .set_http_code(g.http_code.clone())
                    .set_grpc_code(g.grpc_code.clone())
                    .build()
            });
            let health_check = ecs::types::GatewayConnectorHealthCheck::builder()
                .set_health_check_protocol(
                    g.protocol
                        .as_deref()
                        .map(ecs::types::GatewayConnectorHealthCheckProtocol::from),
                )
                .set_health_check_port(g.port)
                .set_health_check_path(g.path.clone())
                .set_health_check_timeout_seconds(g.timeout_seconds)
                .set_health_check_interval_seconds(g.interval_seconds)
                .set_healthy_threshold_count(g.healthy_threshold_count)
                .set_unhealthy_threshold_count(g.unhealthy_threshold_count)
                .set_matcher(matcher)
                .build();
            let filters = g.access_types.as_ref().map(|t| {
                ecs::types::GatewayConnectorFilters::builder()
                    .set_access_types(Some(
                        t.iter()
                            .map(|a| ecs::types::AccessType::from(a.as_str()))
                            .collect(),
                    ))
                    .build()
            });
            ecs::types::GatewayConnector::builder()
                .port_name(&g.port_name)
                .set_health_check(
                    (health_check != ecs::types::GatewayConnectorHealthCheck::builder().build())
                        .then_some(health_check),
                )
                .set_filters(filters)
                .build()
                .map_err(|e| invalid(op, e))
        })
        .collect()
}

/// Resolutions by metric name, as a monitoring configuration says them.
pub(super) fn monitoring_from_sdk(m: &ecs::types::MonitoringConfiguration) -> MonitoringDef {
    m.metric_configurations()
        .iter()
        .flat_map(|c| {
            c.metric_names()
                .iter()
                .map(|n| (n.clone(), c.resolution_seconds()))
        })
        .collect()
}

/// A monitoring configuration: one metric configuration per resolution, its metrics sorted.
pub(super) fn monitoring_to_sdk(
    op: AwsOp,
    m: &MonitoringDef,
) -> Result<ecs::types::MonitoringConfiguration, AwsError> {
    let mut by_resolution: std::collections::BTreeMap<i32, Vec<String>> = Default::default();
    for (name, seconds) in m {
        by_resolution
            .entry(*seconds)
            .or_default()
            .push(name.clone());
    }
    let configurations = by_resolution
        .into_iter()
        .map(|(seconds, names)| {
            ecs::types::MetricConfiguration::builder()
                .set_metric_names(Some(names))
                .resolution_seconds(seconds)
                .build()
                .map_err(|e| invalid(op, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ecs::types::MonitoringConfiguration::builder()
        .set_metric_configurations(Some(configurations))
        .build())
}

fn deployment_from_sdk(d: &ecs::types::Deployment) -> ObservedDeployment {
    ObservedDeployment {
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
    }
}

/// A described service deployment: its status, stage and the target revision's traffic.
pub(super) fn service_deployment_from_sdk(
    d: &ecs::types::ServiceDeployment,
) -> ObservedServiceDeployment {
    let target = d.target_service_revision();
    ObservedServiceDeployment {
        arn: d.service_deployment_arn().unwrap_or_default().to_owned(),
        status: d
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        status_reason: d.status_reason().map(str::to_owned),
        stage: d.lifecycle_stage().map(|s| s.as_str().to_owned()),
        production_traffic_percent: target.and_then(|t| t.requested_production_traffic_weight()),
        test_traffic_percent: target.and_then(|t| t.requested_test_traffic_weight()),
        bake_time_minutes: d
            .deployment_configuration()
            .and_then(|c| c.bake_time_in_minutes()),
        updated_at: rfc3339(d.updated_at()),
        rollback_reason: d.rollback().and_then(|r| r.reason()).map(str::to_owned),
    }
}

/// The planner's body of a described service.
fn service_body_from_sdk(s: &ecs::types::Service) -> ServiceBody {
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let dc = s.deployment_configuration();
    ServiceBody {
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
                advanced: l.advanced_configuration().map(|a| AdvancedDef {
                    alternate_target_group_arn: a
                        .alternate_target_group_arn()
                        .unwrap_or_default()
                        .to_owned(),
                    production_listener_rule: a
                        .production_listener_rule()
                        .unwrap_or_default()
                        .to_owned(),
                    test_listener_rule: a.test_listener_rule().map(str::to_owned),
                    role_arn: a.role_arn().unwrap_or_default().to_owned(),
                }),
            })
            .collect(),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds(),
        minimum_healthy_percent: dc.and_then(|d| d.minimum_healthy_percent()),
        maximum_percent: dc.and_then(|d| d.maximum_percent()),
        circuit_breaker: dc
            .and_then(|d| d.deployment_circuit_breaker())
            .map(circuit_breaker_from_sdk),
        alarms: dc
            .and_then(|d| d.alarms())
            .filter(|a| a.enable())
            .map(|a| AlarmsDef {
                names: a.alarm_names().to_vec(),
                rollback: a.rollback(),
            }),
        rollout: dc.map(rollout_from_sdk).unwrap_or_default(),
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
        availability_zone_rebalancing: s
            .availability_zone_rebalancing()
            .map(|a| a.as_str().to_owned()),
        vpc_lattice: vpc_lattice_from_sdk(s),
        volume_configurations: volume_configurations_from_sdk(s),
        service_connect: service_connect_from_sdk(s),
        // Only the service revision reports these: the observer reads them from there.
        monitoring: None,
        gateway_connectors: vec![],
        early_success: dc
            .and_then(|d| d.early_success_criteria())
            .filter(|e| e.enable())
            .map(|e| EarlySuccessDef {
                healthy_percent: e.healthy_percent().unwrap_or_default(),
                source_revision_cleanup: e
                    .source_service_revision_cleanup()
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
            }),
    }
}

fn circuit_breaker_from_sdk(c: &ecs::types::DeploymentCircuitBreaker) -> CircuitBreakerDef {
    CircuitBreakerDef {
        reset_on_healthy_task: c.reset_on_healthy_task(),
        threshold: c.threshold_configuration().map(|t| ThresholdDef {
            kind: t.r#type().as_str().to_owned(),
            value: t.value(),
        }),
        ..CircuitBreakerDef::new(c.enable(), c.rollback())
    }
}

/// The strategy, bake times and hooks of a described deployment configuration.
pub(super) fn rollout_from_sdk(d: &ecs::types::DeploymentConfiguration) -> RolloutDef {
    RolloutDef {
        strategy: d.strategy().map(|s| s.as_str().to_owned()),
        bake_time_minutes: d.bake_time_in_minutes(),
        canary: d.canary_configuration().map(|c| CanaryDef {
            percent_tenths: c
                .canary_percent()
                .map_or(CANARY_DEFAULTS.percent_tenths, tenths),
            bake_time_minutes: c
                .canary_bake_time_in_minutes()
                .unwrap_or(CANARY_DEFAULTS.bake_time_minutes),
        }),
        linear: d.linear_configuration().map(|l| LinearDef {
            step_percent_tenths: l
                .step_percent()
                .map_or(LINEAR_DEFAULTS.step_percent_tenths, tenths),
            step_bake_time_minutes: l
                .step_bake_time_in_minutes()
                .unwrap_or(LINEAR_DEFAULTS.step_bake_time_minutes),
        }),
        lifecycle_hooks: d
            .lifecycle_hooks()
            .iter()
            .map(|h| HookDef {
                lambda_arn: h.hook_target_arn().unwrap_or_default().to_owned(),
                role_arn: h.role_arn().unwrap_or_default().to_owned(),
                stages: h
                    .lifecycle_stages()
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
                timeout_minutes: h
                    .timeout_configuration()
                    .and_then(|t| t.timeout_in_minutes()),
                timeout_action: h
                    .timeout_configuration()
                    .and_then(|t| t.action())
                    .map(|a| a.as_str().to_owned()),
                details: h
                    .hook_details()
                    .map(|d| canonical_json(&json_of_document(d))),
            })
            .collect(),
    }
}

pub(super) fn network_to_sdk(
    op: AwsOp,
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

pub(super) fn strategy_to_sdk(
    op: AwsOp,
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

pub(super) fn load_balancers_to_sdk(lbs: &[LoadBalancerDef]) -> Vec<ecs::types::LoadBalancer> {
    lbs.iter()
        .map(|l| {
            let advanced = l.advanced.as_ref().map(|a| {
                ecs::types::AdvancedConfiguration::builder()
                    .alternate_target_group_arn(&a.alternate_target_group_arn)
                    .production_listener_rule(&a.production_listener_rule)
                    .set_test_listener_rule(a.test_listener_rule.clone())
                    .role_arn(&a.role_arn)
                    .build()
            });
            ecs::types::LoadBalancer::builder()
                .target_group_arn(&l.target_group_arn)
                .container_name(&l.container_name)
                .container_port(l.container_port)
                .set_advanced_configuration(advanced)
                .build()
        })
        .collect()
}

pub(super) fn registries_to_sdk(rs: &[RegistryDef]) -> Vec<ecs::types::ServiceRegistry> {
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

pub(super) fn deployment_to_sdk(
    op: AwsOp,
    DeploymentDef {
        minimum_healthy_percent: min,
        maximum_percent: max,
        circuit_breaker,
        alarms,
        early_success,
        rollout,
    }: &DeploymentDef,
) -> Result<ecs::types::DeploymentConfiguration, AwsError> {
    use ecs::types as t;
    let breaker = circuit_breaker_to_sdk(op, circuit_breaker)?;
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
    let r = rollout.canonical();
    let hooks = r.lifecycle_hooks.iter().map(hook_to_sdk).collect();
    // For rolling deployments only (ECS's early success criteria apply to them), and there
    // always, as the alarms are: off is said out loud, so an update that removes it turns
    // it off (an UpdateService without it would keep the service's).
    let early_success = (r.strategy() == ROLLING).then(|| match early_success {
        Some(e) => t::DeploymentEarlySuccessCriteria::builder()
            .enable(true)
            .healthy_percent(e.healthy_percent)
            .source_service_revision_cleanup(t::ServiceRevisionCleanup::from(
                e.source_revision_cleanup.as_str(),
            ))
            .build(),
        None => t::DeploymentEarlySuccessCriteria::builder()
            .enable(false)
            .build(),
    });
    Ok(t::DeploymentConfiguration::builder()
        .minimum_healthy_percent(*min)
        .maximum_percent(*max)
        .deployment_circuit_breaker(breaker)
        .alarms(alarms)
        .strategy(t::DeploymentStrategy::from(r.strategy()))
        .set_bake_time_in_minutes(r.bake_time_minutes)
        .set_canary_configuration(r.canary.map(|c| {
            t::CanaryConfiguration::builder()
                .canary_percent(percent(c.percent_tenths))
                .canary_bake_time_in_minutes(c.bake_time_minutes)
                .build()
        }))
        .set_linear_configuration(r.linear.map(|l| {
            t::LinearConfiguration::builder()
                .step_percent(percent(l.step_percent_tenths))
                .step_bake_time_in_minutes(l.step_bake_time_minutes)
                .build()
        }))
        // Sent even when empty, so removing the last hook removes it in ECS.
        .set_lifecycle_hooks(Some(hooks))
        .set_early_success_criteria(early_success)
        .build())
}

fn circuit_breaker_to_sdk(
    op: AwsOp,
    c: &CircuitBreakerDef,
) -> Result<ecs::types::DeploymentCircuitBreaker, AwsError> {
    use ecs::types as t;
    let threshold = c
        .threshold
        .as_ref()
        .map(|th| {
            t::ThresholdConfiguration::builder()
                .r#type(t::ThresholdType::from(th.kind.as_str()))
                .value(th.value)
                .build()
                .map_err(|e| invalid(op, e))
        })
        .transpose()?;
    Ok(t::DeploymentCircuitBreaker::builder()
        .enable(c.enable)
        .rollback(c.rollback)
        .set_reset_on_healthy_task(c.reset_on_healthy_task)
        .set_threshold_configuration(threshold)
        .build())
}

/// A Lambda lifecycle hook as ECS takes it.
fn hook_to_sdk(h: &HookDef) -> ecs::types::DeploymentLifecycleHook {
    use ecs::types as t;
    let timeout = t::DeploymentLifecycleHookTimeoutConfiguration::builder()
        .set_timeout_in_minutes(h.timeout_minutes)
        .set_action(
            h.timeout_action
                .as_deref()
                .map(t::DeploymentLifecycleHookAction::from),
        )
        .build();
    let details = h
        .details
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .map(|v| document_of_json(&v));
    t::DeploymentLifecycleHook::builder()
        .set_hook_details(details)
        .target_type(t::DeploymentLifecycleHookTargetType::AwsLambda)
        .hook_target_arn(&h.lambda_arn)
        .role_arn(&h.role_arn)
        .set_lifecycle_stages(Some(
            h.stages
                .iter()
                .map(|s| t::DeploymentLifecycleHookStage::from(s.as_str()))
                .collect(),
        ))
        .timeout_configuration(timeout)
        .build()
}

/// A JSON value as the SDK's document type (`hookDetails`).
fn document_of_json(v: &serde_json::Value) -> aws_smithy_types::Document {
    use aws_smithy_types::{Document as D, Number as N};
    match v {
        serde_json::Value::Null => D::Null,
        serde_json::Value::Bool(b) => D::Bool(*b),
        serde_json::Value::Number(n) => D::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => N::PosInt(u),
            (None, Some(i)) => N::NegInt(i),
            _ => N::Float(n.as_f64().unwrap_or_default()),
        }),
        serde_json::Value::String(s) => D::String(s.clone()),
        serde_json::Value::Array(items) => D::Array(items.iter().map(document_of_json).collect()),
        serde_json::Value::Object(m) => D::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), document_of_json(v)))
                .collect(),
        ),
    }
}

/// The SDK's document type as a JSON value.
fn json_of_document(d: &aws_smithy_types::Document) -> serde_json::Value {
    use aws_smithy_types::{Document as D, Number as N};
    match d {
        D::Null => serde_json::Value::Null,
        D::Bool(b) => serde_json::Value::Bool(*b),
        D::Number(N::PosInt(u)) => (*u).into(),
        D::Number(N::NegInt(i)) => (*i).into(),
        D::Number(N::Float(f)) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        D::String(s) => serde_json::Value::String(s.clone()),
        D::Array(items) => serde_json::Value::Array(items.iter().map(json_of_document).collect()),
        D::Object(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), json_of_document(v)))
                .collect(),
        ),
    }
}

/// A [`ServiceBody`]'s deployment configuration, defaults filled in.
pub(super) fn body_deployment(b: &ServiceBody) -> DeploymentDef {
    DeploymentDef {
        minimum_healthy_percent: b.minimum_healthy_percent.unwrap_or(100),
        maximum_percent: b.maximum_percent.unwrap_or(200),
        circuit_breaker: b
            .circuit_breaker
            .clone()
            .unwrap_or_else(|| CircuitBreakerDef::new(false, false)),
        alarms: b.alarms.clone(),
        early_success: b.early_success.clone(),
        rollout: b.rollout.clone(),
    }
}

/// The RegisterTaskDefinition request for `body` (its roles given by ARN) and `tags`.
pub(super) fn register_task_definition_request(
    request: RegisterTaskDefinitionFluentBuilder,
    body: &TaskDefBody,
    tags: &Tags,
) -> Result<RegisterTaskDefinitionFluentBuilder, AwsError> {
    use ecs::types as t;
    const OP: AwsOp = AwsOp::RegisterTaskDefinition;
    let containers = body
        .containers
        .iter()
        .map(|c| container_to_sdk(OP, c))
        .collect::<Result<Vec<_>, _>>()?;
    let volumes = body
        .volumes
        .iter()
        .map(|v| volume_to_sdk(OP, v))
        .collect::<Result<Vec<_>, _>>()?;
    let platform = t::RuntimePlatform::builder()
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
        .build();
    Ok(request
        .family(&body.family)
        .cpu(&body.cpu)
        .memory(&body.memory)
        .network_mode(t::NetworkMode::Awsvpc)
        .requires_compatibilities(t::Compatibility::Fargate)
        .runtime_platform(platform)
        .set_ephemeral_storage(
            body.ephemeral_storage_gib
                .map(|g| t::EphemeralStorage::builder().size_in_gib(g).build()),
        )
        .set_execution_role_arn(role_arn(OP, &body.execution_role)?)
        .set_task_role_arn(role_arn(OP, &body.task_role)?)
        .set_container_definitions(Some(containers))
        .set_volumes(Some(volumes))
        .set_pid_mode(body.pid_mode.as_deref().map(t::PidMode::from))
        .set_enable_fault_injection(body.enable_fault_injection)
        .set_tags(Some(ecs_tags(tags))))
}

pub(super) fn volume_to_sdk(op: AwsOp, v: &VolumeDef) -> Result<ecs::types::Volume, AwsError> {
    use ecs::types as t;
    let efs = v
        .efs
        .as_ref()
        .map(|e| {
            let authorization = (e.access_point_id.is_some() || e.iam.is_some()).then(|| {
                t::EfsAuthorizationConfig::builder()
                    .set_access_point_id(e.access_point_id.clone())
                    .set_iam(e.iam.as_deref().map(t::EfsAuthorizationConfigIam::from))
                    .build()
            });
            t::EfsVolumeConfiguration::builder()
                .file_system_id(&e.file_system_id)
                .set_root_directory(e.root_directory.clone())
                .set_transit_encryption(
                    e.transit_encryption
                        .as_deref()
                        .map(t::EfsTransitEncryption::from),
                )
                .set_authorization_config(authorization)
                .set_transit_encryption_port(e.transit_encryption_port)
                .build()
                .map_err(|err| invalid(op, err))
        })
        .transpose()?;
    let s3files = v
        .s3files
        .as_ref()
        .map(|s| {
            t::S3FilesVolumeConfiguration::builder()
                .file_system_arn(&s.file_system_arn)
                .set_root_directory(s.root_directory.clone())
                .set_transit_encryption_port(s.transit_encryption_port)
                .set_access_point_arn(s.access_point_arn.clone())
                .build()
                .map_err(|err| invalid(op, err))
        })
        .transpose()?;
    Ok(t::Volume::builder()
        .name(&v.name)
        .set_efs_volume_configuration(efs)
        .set_s3files_volume_configuration(s3files)
        .set_configured_at_launch(v.configured_at_launch)
        .build())
}

/// The `containerInsights` cluster setting with `value`.
pub(super) fn container_insights_setting(value: &str) -> ecs::types::ClusterSetting {
    ecs::types::ClusterSetting::builder()
        .name(ecs::types::ClusterSettingName::ContainerInsights)
        .value(value)
        .build()
}

/// The `containerInsights` value of a described cluster's settings.
pub(super) fn container_insights_from_sdk(
    settings: &[ecs::types::ClusterSetting],
) -> Option<String> {
    settings
        .iter()
        .find(|s| s.name() == Some(&ecs::types::ClusterSettingName::ContainerInsights))
        .and_then(|s| s.value())
        .map(str::to_owned)
}

/// The CreateCluster request: capacity providers, tags and the Container Insights setting
/// (left out when the spec gives none: the account's default).
pub(super) fn create_cluster_request(
    request: CreateClusterFluentBuilder,
    name: &str,
    capacity_providers: &[String],
    tags: &Tags,
    container_insights: Option<&str>,
) -> CreateClusterFluentBuilder {
    request
        .cluster_name(name)
        .set_capacity_providers(Some(capacity_providers.to_vec()))
        .set_settings(container_insights.map(|c| vec![container_insights_setting(c)]))
        .set_tags(Some(ecs_tags(tags)))
}

/// The CreateService request for service `name` of `cluster` (without its client token).
pub(super) fn create_service_request(
    request: CreateServiceFluentBuilder,
    cluster: &str,
    name: &str,
    body: &ServiceBody,
    tags: &Tags,
) -> Result<CreateServiceFluentBuilder, AwsError> {
    const OP: AwsOp = AwsOp::CreateService;
    let strategy = (!body.capacity_provider_strategy.is_empty())
        .then(|| strategy_to_sdk(OP, &body.capacity_provider_strategy))
        .transpose()?;
    let network = NetworkDef {
        subnets: body.subnets.clone(),
        security_groups: body.security_groups.clone(),
        assign_public_ip: body.assign_public_ip,
    };
    Ok(request
        .cluster(cluster)
        .service_name(name)
        .task_definition(body.task_definition.to_string())
        .desired_count(body.desired_count)
        .set_launch_type(
            body.launch_type
                .as_deref()
                .map(ecs::types::LaunchType::from),
        )
        .set_capacity_provider_strategy(strategy)
        .set_platform_version(body.platform_version.clone())
        .network_configuration(network_to_sdk(OP, &network)?)
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
        .set_availability_zone_rebalancing(
            body.availability_zone_rebalancing
                .as_deref()
                .map(ecs::types::AvailabilityZoneRebalancing::from),
        )
        .set_vpc_lattice_configurations(listed(vpc_lattice_to_sdk(OP, &body.vpc_lattice)?))
        .set_volume_configurations(listed(volume_configurations_to_sdk(
            OP,
            &body.volume_configurations,
        )?))
        .set_service_connect_configuration(
            body.service_connect
                .as_ref()
                .map(|c| service_connect_to_sdk(OP, c))
                .transpose()?,
        )
        .set_monitoring(
            body.monitoring
                .as_ref()
                .map(|m| monitoring_to_sdk(OP, m))
                .transpose()?,
        )
        .set_gateway_connectors(listed(gateway_connectors_to_sdk(
            OP,
            &body.gateway_connectors,
        )?))
        .enable_ecs_managed_tags(true)
        .set_tags(Some(ecs_tags(tags))))
}

/// The UpdateService request for service `name` of `cluster`: the fields `u` changes.
pub(super) fn update_service_request(
    request: UpdateServiceFluentBuilder,
    cluster: &str,
    name: &str,
    u: &ServiceUpdate,
) -> Result<UpdateServiceFluentBuilder, AwsError> {
    const OP: AwsOp = AwsOp::UpdateService;
    let mut req = request
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
        .set_availability_zone_rebalancing(
            u.availability_zone_rebalancing
                .as_deref()
                .map(ecs::types::AvailabilityZoneRebalancing::from),
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
    if let Some(m) = &u.monitoring {
        req = req.monitoring(monitoring_to_sdk(OP, m)?);
    }
    if let Some(g) = &u.gateway_connectors {
        // An empty list detaches the service.
        req = req.set_gateway_connectors(Some(gateway_connectors_to_sdk(OP, g)?));
    }
    if let Some(r) = &u.service_registries {
        req = req.set_service_registries(Some(registries_to_sdk(r)));
    }
    if let Some(l) = &u.vpc_lattice {
        // An empty list removes every registration.
        req = req.set_vpc_lattice_configurations(Some(vpc_lattice_to_sdk(OP, l)?));
    }
    if let Some(v) = &u.volume_configurations {
        // An empty list removes the managed EBS volume.
        req = req.set_volume_configurations(Some(volume_configurations_to_sdk(OP, v)?));
    }
    if let Some(c) = &u.service_connect {
        req = req.service_connect_configuration(service_connect_to_sdk(OP, c)?);
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    //! Round trips: a planner body → the request the adapter sends → the shape ECS returns
    //! for it (built from the request's own fields, as DescribeTaskDefinition and
    //! DescribeServices return them) → the observed body, equal to the start.

    use super::*;
    use std::collections::BTreeMap;

    /// A client that never sends anything: the tests only build requests.
    fn client() -> ecs::Client {
        let conf = ecs::Config::builder()
            .behavior_version(ecs::config::BehaviorVersion::latest())
            .region(ecs::config::Region::new("us-east-1"))
            .build();
        ecs::Client::from_conf(conf)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn tags() -> Tags {
        Tags::from([
            ("ecs.fargate.dev/owner".into(), "shop/web".into()),
            ("ecs.fargate.dev/uid".into(), "0b1c".into()),
        ])
    }

    /// A container with every field the planner sets.
    fn full_container() -> ContainerDef {
        ContainerDef {
            name: "web".into(),
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            cpu: Some(256),
            memory: Some(512),
            memory_reservation: Some(256),
            essential: Some(true),
            command: strings(&["nginx", "-g", "daemon off;"]),
            entry_point: strings(&["/docker-entrypoint.sh"]),
            working_directory: Some("/srv".into()),
            user: Some("101:101".into()),
            environment: vec![("MODE".into(), "prod".into()), ("A".into(), "1".into())],
            secrets: vec![(
                "DB_PASSWORD".into(),
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".into(),
            )],
            port_mappings: vec![
                PortMappingDef {
                    container_port: Some(8080),
                    host_port: Some(8080),
                    protocol: Some("tcp".into()),
                    name: Some("http".into()),
                    app_protocol: Some("http".into()),
                    container_port_range: None,
                },
                PortMappingDef {
                    container_port: Some(9090),
                    host_port: None,
                    protocol: Some("udp".into()),
                    name: None,
                    app_protocol: None,
                    container_port_range: None,
                },
                PortMappingDef {
                    container_port: None,
                    host_port: None,
                    protocol: Some("udp".into()),
                    name: None,
                    app_protocol: None,
                    container_port_range: Some("10000-10099".into()),
                },
            ],
            health_check: Some(HealthCheckDef {
                command: strings(&["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]),
                interval: Some(15),
                timeout: Some(4),
                retries: Some(2),
                start_period: Some(20),
            }),
            log_configuration: Some(LogConfigDef {
                log_driver: "awslogs".into(),
                options: BTreeMap::from([
                    ("awslogs-group".into(), "/ecs/shop/web".into()),
                    ("awslogs-region".into(), "us-east-1".into()),
                    ("awslogs-stream-prefix".into(), "web".into()),
                    ("mode".into(), "non-blocking".into()),
                    ("max-buffer-size".into(), "25m".into()),
                ]),
                secret_options: vec![(
                    "splunk-token".into(),
                    "arn:aws:ssm:us-east-1:123456789012:parameter/splunk/token".into(),
                )],
            }),
            depends_on: vec![("init".into(), "SUCCESS".into())],
            readonly_root_filesystem: Some(true),
            ulimits: vec![("nofile".into(), 1024, 4096)],
            init_process_enabled: Some(true),
            mount_points: vec![
                MountPointDef {
                    source_volume: "data".into(),
                    container_path: "/data".into(),
                    read_only: Some(false),
                },
                MountPointDef {
                    source_volume: "scratch".into(),
                    container_path: "/tmp/scratch".into(),
                    read_only: None,
                },
            ],
            repository_credentials: Some(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf".into(),
            ),
            restart_policy: Some(RestartPolicyDef {
                enabled: true,
                ignored_exit_codes: vec![0, 143],
                restart_attempt_period: Some(120),
            }),
            environment_files: strings(&[
                "arn:aws:s3:::shop-config/web/base.env",
                "arn:aws:s3:::shop-config/web/prod.env",
            ]),
            volumes_from: vec![("init".into(), Some(true))],
            start_timeout: Some(60),
            stop_timeout: Some(110),
            version_consistency: Some("disabled".into()),
            interactive: Some(true),
            pseudo_terminal: Some(false),
            docker_labels: BTreeMap::from([("team".into(), "shop".into())]),
            system_controls: vec![("net.ipv4.tcp_keepalive_time".into(), "120".into())],
            credential_specs: strings(&[
                "credentialspecdomainless:arn:aws:ssm:us-east-1:123456789012:parameter/gmsa",
            ]),
            firelens_configuration: Some(FirelensDef {
                router_type: "fluentbit".into(),
                options: BTreeMap::from([("enable-ecs-log-metadata".into(), "true".into())]),
            }),
            capabilities_add: strings(&["SYS_PTRACE"]),
            capabilities_drop: strings(&["NET_RAW", "MKNOD"]),
        }
    }

    /// A task definition with every field the planner sets, and a container with few.
    fn full_task_definition() -> TaskDefBody {
        TaskDefBody {
            family: "shop_web".into(),
            cpu: "512".into(),
            memory: "1024".into(),
            cpu_architecture: Some("ARM64".into()),
            operating_system_family: Some("LINUX".into()),
            ephemeral_storage_gib: Some(40),
            execution_role: Some(RoleRef::Arn(
                "arn:aws:iam::123456789012:role/fargate-operator/fgo-shop-web-exec".into(),
            )),
            task_role: Some(RoleRef::Arn(
                "arn:aws:iam::123456789012:role/app-task".into(),
            )),
            containers: vec![
                full_container(),
                ContainerDef {
                    name: "init".into(),
                    image: "busybox:1.36".into(),
                    cpu: Some(0),
                    essential: Some(false),
                    ..ContainerDef::default()
                },
            ],
            volumes: vec![
                VolumeDef {
                    name: "data".into(),
                    efs: Some(EfsDef {
                        file_system_id: "fs-0123456789abcdef0".into(),
                        root_directory: Some("/app".into()),
                        transit_encryption: Some("ENABLED".into()),
                        access_point_id: Some("fsap-0123456789abcdef0".into()),
                        iam: Some("ENABLED".into()),
                        transit_encryption_port: Some(20049),
                    }),
                    s3files: None,
                    configured_at_launch: None,
                },
                VolumeDef {
                    name: "efs-plain".into(),
                    efs: Some(EfsDef {
                        file_system_id: "fs-0fedcba9876543210".into(),
                        root_directory: None,
                        transit_encryption: None,
                        access_point_id: None,
                        iam: None,
                        transit_encryption_port: None,
                    }),
                    s3files: None,
                    configured_at_launch: None,
                },
                VolumeDef {
                    name: "scratch".into(),
                    efs: None,
                    s3files: None,
                    configured_at_launch: None,
                },
                VolumeDef {
                    name: "ebs".into(),
                    efs: None,
                    s3files: None,
                    configured_at_launch: Some(true),
                },
                VolumeDef {
                    name: "s3-ap".into(),
                    efs: None,
                    s3files: Some(S3FilesDef {
                        file_system_arn: S3FILES_FS.into(),
                        root_directory: None,
                        transit_encryption_port: Some(20050),
                        access_point_arn: Some(format!(
                            "{S3FILES_FS}/access-point/fsap-0123456789abcdef0"
                        )),
                    }),
                    configured_at_launch: None,
                },
                VolumeDef {
                    name: "s3-root".into(),
                    efs: None,
                    s3files: Some(S3FilesDef {
                        file_system_arn: S3FILES_FS.into(),
                        root_directory: Some("/shared".into()),
                        transit_encryption_port: None,
                        access_point_arn: None,
                    }),
                    configured_at_launch: None,
                },
            ],
            pid_mode: Some("task".into()),
            enable_fault_injection: Some(true),
        }
    }

    /// The task definition ECS describes after registering `request`.
    fn registered(request: &RegisterTaskDefinitionFluentBuilder) -> ecs::types::TaskDefinition {
        let input = request.as_input();
        ecs::types::TaskDefinition::builder()
            .task_definition_arn("arn:aws:ecs:us-east-1:123456789012:task-definition/shop_web:1")
            .set_family(input.get_family().clone())
            .set_cpu(input.get_cpu().clone())
            .set_memory(input.get_memory().clone())
            .set_network_mode(input.get_network_mode().clone())
            .set_requires_compatibilities(input.get_requires_compatibilities().clone())
            .set_runtime_platform(input.get_runtime_platform().clone())
            .set_ephemeral_storage(input.get_ephemeral_storage().clone())
            .set_execution_role_arn(input.get_execution_role_arn().clone())
            .set_task_role_arn(input.get_task_role_arn().clone())
            .set_container_definitions(input.get_container_definitions().clone())
            .set_volumes(input.get_volumes().clone())
            .set_pid_mode(input.get_pid_mode().clone())
            .set_enable_fault_injection(*input.get_enable_fault_injection())
            .revision(1)
            .build()
    }

    #[test]
    fn a_task_definition_round_trips_through_register_and_describe() {
        let body = full_task_definition();
        let request =
            register_task_definition_request(client().register_task_definition(), &body, &tags())
                .unwrap();
        let input = request.as_input();
        assert_eq!(
            input.get_network_mode(),
            &Some(ecs::types::NetworkMode::Awsvpc)
        );
        assert_eq!(
            input.get_requires_compatibilities(),
            &Some(vec![ecs::types::Compatibility::Fargate])
        );
        assert_eq!(task_definition_from_sdk(&registered(&request)), body);
        assert_eq!(
            from_ecs_tags(input.get_tags().as_deref().unwrap_or_default()),
            tags()
        );
    }

    #[test]
    fn a_minimal_task_definition_comes_back_with_only_ecs_defaults() {
        let body = TaskDefBody {
            family: "shop_min".into(),
            cpu: "256".into(),
            memory: "512".into(),
            cpu_architecture: None,
            operating_system_family: None,
            ephemeral_storage_gib: None,
            execution_role: None,
            task_role: None,
            containers: vec![ContainerDef {
                name: "app".into(),
                image: "busybox:1.36".into(),
                ..ContainerDef::default()
            }],
            volumes: vec![],
            pid_mode: None,
            enable_fault_injection: None,
        };
        let request = register_task_definition_request(
            client().register_task_definition(),
            &body,
            &Tags::new(),
        )
        .unwrap();
        // ECS reports a container's CPU as 0 when none was given; nothing else is added.
        let mut want = body.clone();
        want.containers[0].cpu = Some(0);
        assert_eq!(task_definition_from_sdk(&registered(&request)), want);
    }

    #[test]
    fn a_managed_role_without_an_arn_is_refused_before_sending() {
        let mut body = full_task_definition();
        body.task_role = Some(RoleRef::Managed("fgo-shop-web-task".into()));
        let e =
            register_task_definition_request(client().register_task_definition(), &body, &tags())
                .unwrap_err();
        assert_eq!(e.op, AwsOp::RegisterTaskDefinition);
        assert!(e.message.contains("fgo-shop-web-task"), "{e}");
    }

    const S3FILES_FS: &str =
        "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0";

    fn full_service(strategy: bool) -> ServiceBody {
        ServiceBody {
            task_definition: TaskDefinitionRef::Arn(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/shop_web:3".into(),
            ),
            desired_count: 3,
            launch_type: (!strategy).then(|| "FARGATE".into()),
            capacity_provider_strategy: if strategy {
                vec![
                    StrategyItem::new("FARGATE", 1, 1),
                    StrategyItem::new("FARGATE_SPOT", 0, 3),
                ]
            } else {
                vec![]
            },
            platform_version: Some("1.4.0".into()),
            subnets: strings(&["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"]),
            security_groups: strings(&["sg-0123456789abcdef0"]),
            assign_public_ip: true,
            load_balancers: vec![LoadBalancerDef {
                target_group_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/943f017f100becff".into(),
                container_name: "web".into(),
                container_port: 8080,
                advanced: strategy.then(|| AdvancedDef {
                    alternate_target_group_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123456789abcdef".into(),
                    production_listener_rule: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef".into(),
                    test_listener_rule: Some("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/fedcba9876543210".into()),
                    role_arn: "arn:aws:iam::123456789012:role/ecs-elb".into(),
                }),
            }],
            health_check_grace_period_seconds: Some(60),
            minimum_healthy_percent: Some(50),
            maximum_percent: Some(150),
            circuit_breaker: Some(CircuitBreakerDef {
                reset_on_healthy_task: Some(false),
                threshold: Some(ThresholdDef {
                    kind: "COUNT".into(),
                    value: 7,
                }),
                ..CircuitBreakerDef::new(true, true)
            }),
            alarms: Some(AlarmsDef {
                names: strings(&["web-5xx", "web-latency"]),
                rollback: true,
            }),
            // Early success criteria apply to rolling deployments only.
            early_success: (!strategy).then(|| EarlySuccessDef {
                healthy_percent: 80,
                source_revision_cleanup: "DEFERRED".into(),
            }),
            availability_zone_rebalancing: Some("DISABLED".into()),
            vpc_lattice: vec![VpcLatticeDef {
                target_group_arn:
                    "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0"
                        .into(),
                port_name: "http".into(),
                role_arn: "arn:aws:iam::123456789012:role/ecsInfrastructureRole".into(),
                advanced: strategy.then(|| LatticeAdvancedDef {
                    alternate_target_group_arn:
                        "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef1"
                            .into(),
                    production_listener_rule: "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0/rule/rule-0123456789abcdef0".into(),
                    test_listener_rule: Some("arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef1".into()),
                }),
            }],
            volume_configurations: vec![full_ebs_volume(strategy)],
            rollout: if strategy { canary_rollout() } else { RolloutDef { strategy: Some("ROLLING".into()), ..RolloutDef::default() } },
            enable_execute_command: true,
            service_registries: vec![RegistryDef {
                registry_arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abc".into(),
                port: Some(80),
                container_name: Some("web".into()),
                container_port: Some(8080),
            }],
            propagate_tags: Some("SERVICE".into()),
            // One metric configuration, or one per resolution.
            monitoring: Some(if strategy {
                MonitoringDef::from([("CPUUtilization".into(), 20), ("MemoryUtilization".into(), 60)])
            } else {
                MonitoringDef::from([("CPUUtilization".into(), 20)])
            }),
            // Every field, or the port alone (no health check, no filters sent).
            gateway_connectors: vec![if strategy {
                GatewayConnectorDef {
                    port_name: "http".into(),
                    protocol: Some("HTTPS".into()),
                    port: Some(8443),
                    path: Some("/healthz".into()),
                    timeout_seconds: Some(5),
                    interval_seconds: Some(15),
                    healthy_threshold_count: Some(3),
                    unhealthy_threshold_count: Some(2),
                    http_code: Some("200-299".into()),
                    grpc_code: Some("0".into()),
                    access_types: Some(strings(&["PRIVATE", "PUBLIC"])),
                }
            } else {
                GatewayConnectorDef {
                    port_name: "http".into(),
                    ..GatewayConnectorDef::default()
                }
            }],
            service_connect: Some(full_service_connect()),
        }
    }

    /// Service Connect with every field the operator maps.
    fn full_service_connect() -> ServiceConnectDef {
        ServiceConnectDef {
            enabled: true,
            namespace: Some("internal".into()),
            services: vec![ScServiceDef {
                port_name: "http".into(),
                discovery_name: Some("web".into()),
                client_aliases: vec![ClientAliasDef {
                    port: 80,
                    dns_name: Some("web.internal".into()),
                    test_header: Some(("x-canary".into(), "1".into())),
                }],
                ingress_port_override: Some(15000),
                idle_timeout_seconds: Some(600),
                per_request_timeout_seconds: Some(0),
                tls: Some(ScTlsDef {
                    certificate_authority_arn: "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/01234567-89ab-cdef-0123-456789abcdef".into(),
                    kms_key: Some("alias/sc-tls".into()),
                    role_arn: Some("arn:aws:iam::123456789012:role/ecsInfrastructureRole".into()),
                }),
            }],
            access_logs: Some(AccessLogsDef {
                format: "JSON".into(),
                include_query_parameters: Some("ENABLED".into()),
            }),
            proxy_log_level: Some("debug".into()),
            log_configuration: Some(LogConfigDef {
                log_driver: "awslogs".into(),
                options: [
                    ("awslogs-group", "/ecs/shop_web"),
                    ("awslogs-region", "us-east-1"),
                    ("awslogs-stream-prefix", "service-connect"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
                secret_options: vec![],
            }),
        }
    }

    /// A managed EBS volume with every field set: gp3 with its throughput, or io2 from a
    /// snapshot.
    fn full_ebs_volume(gp3: bool) -> EbsVolumeDef {
        EbsVolumeDef {
            name: "ebs".into(),
            role: RoleRef::Arn("arn:aws:iam::123456789012:role/ecsInfrastructureRole".into()),
            size_in_gib: Some(if gp3 { 100 } else { 500 }),
            volume_type: Some(if gp3 { "gp3" } else { "io2" }.into()),
            iops: Some(if gp3 { 4000 } else { 20000 }),
            throughput: gp3.then_some(250),
            encrypted: Some(true),
            kms_key_id: Some("alias/ebs".into()),
            snapshot_id: (!gp3).then(|| "snap-0123456789abcdef0".into()),
            volume_initialization_rate: (!gp3).then_some(200),
            filesystem_type: Some("ext4".into()),
            tags: BTreeMap::from([("team".into(), "shop".into())]),
            propagate_tags: Some("SERVICE".into()),
        }
    }

    #[test]
    fn container_insights_is_sent_on_create_only_when_given_and_read_back() {
        let caps = strings(&["FARGATE"]);
        let with = create_cluster_request(
            client().create_cluster(),
            "shop",
            &caps,
            &tags(),
            Some("enhanced"),
        );
        let settings = with.as_input().get_settings().clone().unwrap_or_default();
        assert_eq!(settings.len(), 1);
        assert_eq!(
            settings[0].name(),
            Some(&ecs::types::ClusterSettingName::ContainerInsights)
        );
        assert_eq!(
            container_insights_from_sdk(&settings).as_deref(),
            Some("enhanced")
        );
        let without =
            create_cluster_request(client().create_cluster(), "shop", &caps, &tags(), None);
        assert_eq!(without.as_input().get_settings(), &None);
        assert_eq!(container_insights_from_sdk(&[]), None);
    }

    #[test]
    fn a_managed_ebs_volume_request_has_the_shape_ecs_documents() {
        // moto does not keep volumeConfigurations: this checks the SDK request itself.
        let body = full_service(true);
        let request = create(&body);
        let input = request.as_input();
        let sent = input
            .get_volume_configurations()
            .as_deref()
            .unwrap_or_default();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].name(), "ebs");
        let m = sent[0].managed_ebs_volume().unwrap();
        assert_eq!(
            m.role_arn(),
            "arn:aws:iam::123456789012:role/ecsInfrastructureRole"
        );
        assert_eq!((m.size_in_gib(), m.volume_type()), (Some(100), Some("gp3")));
        assert_eq!((m.iops(), m.throughput()), (Some(4000), Some(250)));
        assert_eq!(
            m.filesystem_type(),
            Some(&ecs::types::TaskFilesystemType::Ext4)
        );
        let spec = &m.tag_specifications()[0];
        assert_eq!(spec.resource_type(), &ecs::types::EbsResourceType::Volume);
        assert_eq!(spec.tags()[0].key(), Some("team"));
        assert_eq!(
            spec.propagate_tags(),
            Some(&ecs::types::PropagateTags::Service)
        );
        // A volume without tags sends no tag specification at all.
        let plain = EbsVolumeDef {
            tags: BTreeMap::new(),
            propagate_tags: None,
            ..full_ebs_volume(true)
        };
        let sent = volume_configurations_to_sdk(AwsOp::CreateService, &[plain]).unwrap();
        assert!(sent[0]
            .managed_ebs_volume()
            .unwrap()
            .tag_specifications
            .is_none());
        // No volume: the request leaves the field out (not an empty list).
        let none = ServiceBody {
            volume_configurations: vec![],
            ..full_service(false)
        };
        assert_eq!(create(&none).as_input().get_volume_configurations(), &None);
        // A managed role must be resolved to its ARN before the request is built.
        let managed = EbsVolumeDef {
            role: RoleRef::Managed("fgo-search-indexer-infra".into()),
            ..full_ebs_volume(true)
        };
        let e = volume_configurations_to_sdk(AwsOp::UpdateService, &[managed]).unwrap_err();
        assert!(e.message.contains("fgo-search-indexer-infra"), "{e}");
    }

    /// The CreateService request for `body` as service shop_web of cluster shop.
    fn create(body: &ServiceBody) -> CreateServiceFluentBuilder {
        create_service_request(client().create_service(), "shop", "shop_web", body, &tags())
            .unwrap()
    }

    /// A canary rollout with a hook, in the canonical form ECS reports back.
    fn canary_rollout() -> RolloutDef {
        RolloutDef {
            strategy: Some("CANARY".into()),
            bake_time_minutes: Some(30),
            canary: Some(CanaryDef {
                percent_tenths: 125,
                bake_time_minutes: 15,
            }),
            linear: None,
            lifecycle_hooks: vec![HookDef {
                lambda_arn: "arn:aws:lambda:us-east-1:123456789012:function:smoke".into(),
                role_arn: "arn:aws:iam::123456789012:role/ecs-hooks".into(),
                stages: strings(&["POST_TEST_TRAFFIC_SHIFT", "TEST_TRAFFIC_SHIFT"]),
                timeout_minutes: Some(30),
                timeout_action: Some("ROLLBACK".into()),
                details: Some(canonical_json(&serde_json::json!({
                    "environment": "prod",
                    "checks": ["5xx", "latency"],
                    "threshold": {"errors": 5, "ratio": 0.5, "delta": -2},
                }))),
            }],
        }
    }

    #[test]
    fn a_canary_rollout_is_sent_as_ecs_takes_it() {
        let body = full_service(true);
        let request = create(&body);
        let d = request
            .as_input()
            .get_deployment_configuration()
            .clone()
            .unwrap();
        assert_eq!(d.strategy(), Some(&ecs::types::DeploymentStrategy::Canary));
        assert_eq!(d.bake_time_in_minutes(), Some(30));
        let c = d.canary_configuration().unwrap();
        assert_eq!(
            (c.canary_percent(), c.canary_bake_time_in_minutes()),
            (Some(12.5), Some(15))
        );
        assert!(d.linear_configuration().is_none());
        let h = &d.lifecycle_hooks()[0];
        assert_eq!(
            h.target_type(),
            Some(&ecs::types::DeploymentLifecycleHookTargetType::AwsLambda)
        );
        assert_eq!(
            h.hook_target_arn(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:smoke")
        );
        assert_eq!(h.lifecycle_stages().len(), 2);
        // hookDetails as a JSON document (moto drops it: the request is checked here, and
        // the service round trip below reads it back).
        use aws_smithy_types::{Document as D, Number as N};
        let details = match h.hook_details() {
            Some(D::Object(m)) => m.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(details["environment"], D::String("prod".into()));
        assert_eq!(
            details["checks"],
            D::Array(vec![D::String("5xx".into()), D::String("latency".into())])
        );
        match &details["threshold"] {
            D::Object(t) => {
                assert_eq!(t["errors"], D::Number(N::PosInt(5)));
                assert_eq!(t["ratio"], D::Number(N::Float(0.5)));
                assert_eq!(t["delta"], D::Number(N::NegInt(-2)));
            }
            other => panic!("{other:?}"),
        }
        let lb = &request.as_input().get_load_balancers().clone().unwrap()[0];
        let a = lb.advanced_configuration().unwrap();
        assert_eq!(a.role_arn(), Some("arn:aws:iam::123456789012:role/ecs-elb"));
        // A rolling service sends its strategy and no steps, and an empty hook list (so a
        // removed hook is removed).
        let rolling = create(&full_service(false));
        let d = rolling
            .as_input()
            .get_deployment_configuration()
            .clone()
            .unwrap();
        assert_eq!(d.strategy(), Some(&ecs::types::DeploymentStrategy::Rolling));
        assert_eq!(d.bake_time_in_minutes(), None);
        assert!(d.canary_configuration().is_none() && d.lifecycle_hooks().is_empty());
    }

    #[test]
    fn a_service_deployment_reads_stage_traffic_and_rollback_reason() {
        use ecs::types as t;
        let d = t::ServiceDeployment::builder()
            .service_deployment_arn(
                "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop/shop_web/abc",
            )
            .status(t::ServiceDeploymentStatus::RollbackSuccessful)
            .status_reason("alarm web-5xx in ALARM")
            .lifecycle_stage(t::ServiceDeploymentLifecycleStage::BakeTime)
            .target_service_revision(
                t::ServiceRevisionSummary::builder()
                    .requested_production_traffic_weight(100.0)
                    .requested_test_traffic_weight(0.0)
                    .build(),
            )
            .deployment_configuration(
                t::DeploymentConfiguration::builder()
                    .bake_time_in_minutes(30)
                    .build(),
            )
            .updated_at(ecs::primitives::DateTime::from_secs(1_795_000_000))
            .rollback(t::Rollback::builder().reason("alarm web-5xx").build())
            .build();
        let o = service_deployment_from_sdk(&d);
        assert_eq!(o.status, "ROLLBACK_SUCCESSFUL");
        assert_eq!(o.stage.as_deref(), Some("BAKE_TIME"));
        assert_eq!(o.production_traffic_percent, Some(100.0));
        assert_eq!(o.bake_time_minutes, Some(30));
        assert_eq!(o.rollback_reason.as_deref(), Some("alarm web-5xx"));
        assert!(o.updated_at.is_some());
        assert!(o.rolled_back() && !o.in_flight());
    }

    /// The service ECS describes after `request` created it.
    fn created(request: &CreateServiceFluentBuilder) -> ecs::types::Service {
        let input = request.as_input();
        ecs::types::Service::builder()
            .service_arn("arn:aws:ecs:us-east-1:123456789012:service/shop/shop_web")
            .set_service_name(input.get_service_name().clone())
            .status("ACTIVE")
            .set_task_definition(input.get_task_definition().clone())
            .set_desired_count(*input.get_desired_count())
            .set_launch_type(input.get_launch_type().clone())
            .set_capacity_provider_strategy(input.get_capacity_provider_strategy().clone())
            .set_platform_version(input.get_platform_version().clone())
            .set_network_configuration(input.get_network_configuration().clone())
            .set_load_balancers(input.get_load_balancers().clone())
            .set_health_check_grace_period_seconds(*input.get_health_check_grace_period_seconds())
            .set_deployment_configuration(input.get_deployment_configuration().clone())
            .set_enable_execute_command(*input.get_enable_execute_command())
            .set_service_registries(input.get_service_registries().clone())
            .set_propagate_tags(input.get_propagate_tags().clone())
            .set_availability_zone_rebalancing(input.get_availability_zone_rebalancing().clone())
            .set_tags(input.get_tags().clone())
            .current_service_revisions(
                ecs::types::ServiceCurrentRevisionSummary::builder()
                    .arn(REVISION_ARN)
                    .build(),
            )
            // ECS reports the Lattice registrations on the deployment it starts.
            .deployments(
                ecs::types::Deployment::builder()
                    .id("ecs-svc/1")
                    .status("PRIMARY")
                    .set_task_definition(input.get_task_definition().clone())
                    .set_vpc_lattice_configurations(input.get_vpc_lattice_configurations().clone())
                    .set_volume_configurations(input.get_volume_configurations().clone())
                    .set_service_connect_configuration(
                        input.get_service_connect_configuration().clone(),
                    )
                    .build(),
            )
            .build()
    }

    const REVISION_ARN: &str =
        "arn:aws:ecs:us-east-1:123456789012:service-revision/shop/shop_web/4980306466373577095";

    /// The body the operator observes for a created service: DescribeServices, then
    /// DescribeServiceRevisions of its revision (which reports the monitoring sent).
    fn described(request: &CreateServiceFluentBuilder) -> ServiceBody {
        let observed = service_from_sdk(&created(request));
        assert_eq!(observed.revision_arns, strings(&[REVISION_ARN]));
        assert_eq!(observed.body.monitoring, None);
        assert_eq!(observed.body.gateway_connectors, vec![]);
        let revision = ecs::types::ServiceRevision::builder()
            .service_revision_arn(REVISION_ARN)
            .set_monitoring(request.as_input().get_monitoring().clone())
            .set_gateway_connectors(request.as_input().get_gateway_connectors().clone())
            .build();
        let settings = revision_settings_from_sdk(&revision);
        ServiceBody {
            monitoring: settings.monitoring,
            gateway_connectors: settings.gateway_connectors,
            ..observed.body
        }
    }

    #[test]
    fn a_gateway_connector_without_settings_is_sent_as_its_port_alone_and_an_empty_list_detaches() {
        let port_only = GatewayConnectorDef {
            port_name: "http".into(),
            ..GatewayConnectorDef::default()
        };
        let sent = gateway_connectors_to_sdk(AwsOp::CreateService, &[port_only]).unwrap();
        assert_eq!(sent[0].port_name(), "http");
        assert_eq!(sent[0].health_check(), None);
        assert_eq!(sent[0].filters(), None);
        let update = ServiceUpdate {
            gateway_connectors: Some(vec![]),
            ..ServiceUpdate::default()
        };
        let request =
            update_service_request(client().update_service(), "shop", "shop_web", &update).unwrap();
        assert_eq!(request.as_input().get_gateway_connectors(), &Some(vec![]));
    }

    #[test]
    fn monitoring_is_sent_as_one_metric_configuration_per_resolution() {
        let m = MonitoringDef::from([
            ("CPUUtilization".into(), 20),
            ("MemoryUtilization".into(), 20),
        ]);
        let sdk = monitoring_to_sdk(AwsOp::UpdateService, &m).unwrap();
        assert_eq!(sdk.metric_configurations().len(), 1);
        assert_eq!(
            sdk.metric_configurations()[0].metric_names(),
            strings(&["CPUUtilization", "MemoryUtilization"])
        );
        assert_eq!(monitoring_from_sdk(&sdk), m);
    }

    #[test]
    fn a_service_round_trips_through_create_and_describe() {
        for strategy in [false, true] {
            let body = full_service(strategy);
            let request = create(&body);
            let input = request.as_input();
            assert_eq!(input.get_cluster().as_deref(), Some("shop"));
            assert_eq!(input.get_enable_ecs_managed_tags(), &Some(true));
            assert_eq!(described(&request), body, "strategy: {strategy}");
            let observed = service_from_sdk(&created(&request));
            assert_eq!(observed.tags, tags());
            assert_eq!(observed.status, "ACTIVE");
        }
    }

    #[test]
    fn a_service_without_deployment_settings_comes_back_with_the_defaults_sent() {
        let body = ServiceBody {
            security_groups: vec![],
            assign_public_ip: false,
            minimum_healthy_percent: None,
            maximum_percent: None,
            circuit_breaker: None,
            alarms: None,
            early_success: None,
            availability_zone_rebalancing: None,
            vpc_lattice: vec![],
            volume_configurations: vec![],
            service_connect: None,
            monitoring: None,
            gateway_connectors: vec![],
            load_balancers: vec![],
            service_registries: vec![],
            health_check_grace_period_seconds: None,
            platform_version: None,
            propagate_tags: None,
            enable_execute_command: false,
            rollout: RolloutDef::default(),
            ..full_service(false)
        };
        let request = create(&body);
        // CreateService always sends a deployment configuration: ECS's defaults, no alarms,
        // the ROLLING strategy.
        let want = ServiceBody {
            minimum_healthy_percent: Some(100),
            maximum_percent: Some(200),
            circuit_breaker: Some(CircuitBreakerDef::new(false, false)),
            rollout: RolloutDef {
                strategy: Some("ROLLING".into()),
                ..RolloutDef::default()
            },
            ..body.clone()
        };
        assert_eq!(described(&request), want);
    }

    #[test]
    fn an_update_round_trips_every_field_it_changes() {
        let after = ServiceBody {
            task_definition: TaskDefinitionRef::Arn(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/shop_web:4".into(),
            ),
            desired_count: 5,
            launch_type: None,
            ..full_service(true)
        };
        let update = ServiceUpdate {
            task_definition: Some(after.task_definition.clone()),
            desired_count: Some(after.desired_count),
            capacity_provider_strategy: Some(after.capacity_provider_strategy.clone()),
            platform_version: after.platform_version.clone(),
            network: Some(NetworkDef {
                subnets: after.subnets.clone(),
                security_groups: after.security_groups.clone(),
                assign_public_ip: after.assign_public_ip,
            }),
            load_balancers: Some(after.load_balancers.clone()),
            health_check_grace_period_seconds: after.health_check_grace_period_seconds,
            deployment: Some(body_deployment(&after)),
            enable_execute_command: Some(after.enable_execute_command),
            service_registries: Some(after.service_registries.clone()),
            propagate_tags: after.propagate_tags.clone(),
            availability_zone_rebalancing: after.availability_zone_rebalancing.clone(),
            vpc_lattice: Some(after.vpc_lattice.clone()),
            volume_configurations: Some(after.volume_configurations.clone()),
            service_connect: after.service_connect.clone(),
            monitoring: after.monitoring.clone(),
            gateway_connectors: Some(after.gateway_connectors.clone()),
            force_new_deployment: true,
        };
        let request =
            update_service_request(client().update_service(), "shop", "shop_web", &update).unwrap();
        let u = request.as_input();
        assert_eq!(u.get_service().as_deref(), Some("shop_web"));
        assert_eq!(u.get_force_new_deployment(), &Some(true));
        // Every field the update sends is the one CreateService sends for the new body, so
        // ECS describes the updated service as it would a service created with it (the
        // create round trip above); moving to a capacity-provider strategy drops the launch
        // type.
        let create = create(&after);
        let c = create.as_input();
        assert_eq!(c.get_launch_type(), &None);
        assert_eq!(u.get_task_definition(), c.get_task_definition());
        assert_eq!(u.get_desired_count(), c.get_desired_count());
        assert_eq!(
            u.get_capacity_provider_strategy(),
            c.get_capacity_provider_strategy()
        );
        assert_eq!(u.get_platform_version(), c.get_platform_version());
        assert_eq!(u.get_network_configuration(), c.get_network_configuration());
        assert_eq!(u.get_load_balancers(), c.get_load_balancers());
        assert_eq!(
            u.get_health_check_grace_period_seconds(),
            c.get_health_check_grace_period_seconds()
        );
        assert_eq!(
            u.get_deployment_configuration(),
            c.get_deployment_configuration()
        );
        assert_eq!(
            u.get_enable_execute_command(),
            c.get_enable_execute_command()
        );
        assert_eq!(u.get_service_registries(), c.get_service_registries());
        assert_eq!(u.get_propagate_tags(), c.get_propagate_tags());
        assert_eq!(
            u.get_availability_zone_rebalancing(),
            c.get_availability_zone_rebalancing()
        );
        assert_eq!(
            u.get_vpc_lattice_configurations(),
            c.get_vpc_lattice_configurations()
        );
        assert_eq!(u.get_volume_configurations(), c.get_volume_configurations());
        assert_eq!(
            u.get_service_connect_configuration(),
            c.get_service_connect_configuration()
        );
        assert_eq!(u.get_monitoring(), c.get_monitoring());
        assert_eq!(u.get_gateway_connectors(), c.get_gateway_connectors());
        assert_eq!(described(&create), after);
    }

    #[test]
    fn turning_service_connect_off_sends_enabled_false_alone() {
        let update = ServiceUpdate {
            service_connect: Some(ServiceConnectDef::disabled()),
            ..ServiceUpdate::default()
        };
        let request =
            update_service_request(client().update_service(), "shop", "shop_web", &update).unwrap();
        let sent = request
            .as_input()
            .get_service_connect_configuration()
            .clone();
        assert_eq!(
            sent,
            Some(
                ecs::types::ServiceConnectConfiguration::builder()
                    .enabled(false)
                    .build()
            )
        );
    }

    #[test]
    fn an_update_leaves_out_the_fields_it_does_not_change() {
        let update = ServiceUpdate {
            desired_count: Some(2),
            ..ServiceUpdate::default()
        };
        let request =
            update_service_request(client().update_service(), "shop", "shop_web", &update).unwrap();
        let u = request.as_input();
        assert_eq!(u.get_desired_count(), &Some(2));
        assert_eq!(u.get_task_definition(), &None);
        assert_eq!(u.get_capacity_provider_strategy(), &None);
        assert_eq!(u.get_network_configuration(), &None);
        assert_eq!(u.get_load_balancers(), &None);
        assert_eq!(u.get_deployment_configuration(), &None);
        assert_eq!(u.get_service_registries(), &None);
        assert_eq!(u.get_enable_execute_command(), &None);
        assert_eq!(u.get_availability_zone_rebalancing(), &None);
        assert_eq!(u.get_vpc_lattice_configurations(), &None);
        assert_eq!(u.get_volume_configurations(), &None);
        assert_eq!(u.get_service_connect_configuration(), &None);
        assert_eq!(u.get_monitoring(), &None);
        assert_eq!(u.get_gateway_connectors(), &None);
        assert_eq!(u.get_force_new_deployment(), &Some(false));
    }
}

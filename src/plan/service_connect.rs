//! Service Connect in the planner's terms: the desired configuration from a spec, its
//! canonical form, whether a service needs an update, and the port-name check against the
//! task definition.
//!
//! DescribeServices reports Service Connect on the service's deployments only (the PRIMARY
//! one is the newest configuration), and ECS may report a namespace given by name as its
//! ARN, or fill in names it defaults; emulators may drop the configuration altogether. So
//! besides comparing what is reported, the operator tags the service with a hash of the
//! canonical configuration it last sent ([`SERVICE_CONNECT_TAG`], written with the other
//! tags after the UpdateService): a service whose tag matches the spec is in sync, whatever
//! form ECS reports it in.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::model::{LogConfigDef, ObservedCluster, Tags};
use super::{Action, Note};
use crate::api::fargateservice::FargateServiceSpec;
use crate::api::names::Owner;
use crate::api::service_connect::ServiceConnect;
use crate::api::validation::FieldError;
use crate::api::{reasons, MANAGED_BY_TAG};

/// Tag on an ECS service: the hash of the Service Connect configuration the operator last
/// sent ([`ServiceConnectDef::tag_value`]).
pub const SERVICE_CONNECT_TAG: &str = "ecs.fargate.dev/service-connect";

/// A service's Service Connect configuration (ECS `ServiceConnectConfiguration`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectDef {
    pub enabled: bool,
    /// Cloud Map namespace name or ARN; None: the cluster's default.
    pub namespace: Option<String>,
    pub services: Vec<ScServiceDef>,
    /// The proxy's logs.
    pub log_configuration: Option<LogConfigDef>,
    /// The proxy's access logs. Skipped when absent (as the other new fields), so the
    /// [`SERVICE_CONNECT_TAG`] of a configuration without them is what it was before they
    /// existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<AccessLogsDef>,
    /// The proxy container's log level (`debug`, `info`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_log_level: Option<String>,
}

/// The proxy's access logs (ECS `ServiceConnectAccessLogConfiguration`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogsDef {
    /// `TEXT` or `JSON`.
    pub format: String,
    /// `ENABLED` or `DISABLED`; None: ECS's default (`DISABLED`).
    pub include_query_parameters: Option<String>,
}

/// A client alias (ECS `ServiceConnectClientAlias`). Serialised as `[port, dnsName]`, with
/// `[headerName, value]` appended when it has a test traffic header, so the tag of an
/// alias without one is what it was before the header existed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClientAliasDef {
    pub port: i32,
    pub dns_name: Option<String>,
    /// The test traffic header's name and exact value.
    pub test_header: Option<(String, String)>,
}

impl Serialize for ClientAliasDef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.test_header {
            None => (self.port, &self.dns_name).serialize(s),
            Some(h) => (self.port, &self.dns_name, h).serialize(s),
        }
    }
}

/// TLS between the proxies (ECS `ServiceConnectTlsConfiguration`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScTlsDef {
    pub certificate_authority_arn: String,
    pub kms_key: Option<String>,
    pub role_arn: Option<String>,
}

/// An endpoint the service publishes (ECS `ServiceConnectService`). Ordered by its fields.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScServiceDef {
    pub port_name: String,
    /// None: the port name.
    pub discovery_name: Option<String>,
    /// At most one.
    pub client_aliases: Vec<ClientAliasDef>,
    pub ingress_port_override: Option<i32>,
    pub idle_timeout_seconds: Option<i32>,
    pub per_request_timeout_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ScTlsDef>,
}

impl ServiceConnectDef {
    /// What turns Service Connect off (sent when the spec no longer asks for it).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            namespace: None,
            services: vec![],
            log_configuration: None,
            access_logs: None,
            proxy_log_level: None,
        }
    }

    /// The desired configuration of a spec's `serviceConnect`.
    pub fn from_spec(sc: &ServiceConnect) -> Self {
        Self {
            enabled: sc.enabled,
            namespace: sc.namespace.clone(),
            services: sc
                .services
                .iter()
                .map(|s| ScServiceDef {
                    port_name: s.port_name.clone(),
                    discovery_name: s.discovery_name.clone(),
                    client_aliases: s
                        .client_aliases
                        .iter()
                        .map(|a| ClientAliasDef {
                            port: a.port,
                            dns_name: a.dns_name.clone(),
                            test_header: a
                                .test_traffic_header
                                .as_ref()
                                .map(|h| (h.name.clone(), h.value.clone())),
                        })
                        .collect(),
                    ingress_port_override: s.ingress_port_override,
                    idle_timeout_seconds: s.timeout.as_ref().and_then(|t| t.idle_timeout_seconds),
                    per_request_timeout_seconds: s
                        .timeout
                        .as_ref()
                        .and_then(|t| t.per_request_timeout_seconds),
                    tls: s.tls.as_ref().map(|t| ScTlsDef {
                        certificate_authority_arn: t.certificate_authority_arn.clone(),
                        kms_key: t.kms_key.clone(),
                        role_arn: t.role_arn.clone(),
                    }),
                })
                .collect(),
            log_configuration: sc.logging.as_ref().map(|l| LogConfigDef {
                log_driver: l.driver.as_str().to_owned(),
                options: l.options.clone(),
                secret_options: vec![],
            }),
            access_logs: sc.access_logs.as_ref().map(|a| AccessLogsDef {
                format: a.format.as_str().to_owned(),
                include_query_parameters: a.include_query_parameters.map(|t| t.as_str().to_owned()),
            }),
            proxy_log_level: sc
                .proxy
                .as_ref()
                .and_then(|p| p.log_level)
                .map(|l| l.as_str().to_owned()),
        }
    }

    /// The canonical form: None when off (absent and disabled are the same to ECS); a
    /// discovery name equal to the port name (ECS's default) as absent; services sorted;
    /// ECS's defaults (query parameters `DISABLED`, proxy log level `info`) as absent.
    pub fn canonical(sc: Option<&Self>) -> Option<Self> {
        let sc = sc.filter(|s| s.enabled)?;
        let mut services = sc.services.clone();
        for s in &mut services {
            s.discovery_name = s.discovery_name.take().filter(|d| *d != s.port_name);
        }
        services.sort();
        let access_logs = sc.access_logs.clone().map(|a| AccessLogsDef {
            include_query_parameters: a.include_query_parameters.filter(|q| q != "DISABLED"),
            ..a
        });
        Some(Self {
            services,
            access_logs,
            proxy_log_level: sc.proxy_log_level.clone().filter(|l| l != "info"),
            ..sc.clone()
        })
    }

    /// The [`SERVICE_CONNECT_TAG`] value for a desired configuration: a short hash of its
    /// canonical form; None when it is off (the tag is then removed).
    pub fn tag_value(sc: Option<&Self>) -> Option<String> {
        Self::canonical(sc).map(|c| super::hash_json(&c)[..16].to_owned())
    }

    /// Whether a service whose deployments report `got` and whose tags are `tags` needs an
    /// update to run `want`: not when the canonical forms agree, nor when the tag records
    /// that `want` was sent.
    pub fn needs_update(want: Option<&Self>, got: Option<&Self>, tags: &Tags) -> bool {
        let (w, g) = (Self::canonical(want), Self::canonical(got));
        if w == g {
            return false;
        }
        match Self::tag_value(want) {
            Some(hash) => tags.get(SERVICE_CONNECT_TAG) != Some(&hash),
            // Off in the spec, on in ECS: turn it off.
            None => true,
        }
    }
}

impl std::fmt::Display for ServiceConnectDef {
    /// `namespace internal: http as api:80, grpc` (the endpoints and their aliases), `cluster
    /// default namespace` when none is named, `off`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.enabled {
            return f.write_str("off");
        }
        match &self.namespace {
            Some(ns) => write!(f, "namespace {ns}")?,
            None => f.write_str("the cluster's default namespace")?,
        }
        let endpoints: Vec<String> = self
            .services
            .iter()
            .map(|s| {
                let name = s.discovery_name.as_deref().unwrap_or(&s.port_name);
                let tls = if s.tls.is_some() { " (TLS)" } else { "" };
                let alias = match s.client_aliases.first() {
                    Some(ClientAliasDef {
                        port,
                        dns_name: Some(dns),
                        ..
                    }) => format!("{name} as {dns}:{port}"),
                    Some(a) => format!("{name} on port {}", a.port),
                    None => name.to_owned(),
                };
                let test = match s
                    .client_aliases
                    .first()
                    .and_then(|a| a.test_header.as_ref())
                {
                    Some((h, v)) => format!(" [test traffic: {h}: {v}]"),
                    None => String::new(),
                };
                format!("{alias}{tls}{test}")
            })
            .collect();
        if endpoints.is_empty() {
            f.write_str(" (client only)")?;
        } else {
            write!(f, ": {}", endpoints.join(", "))?;
        }
        if let Some(a) = &self.access_logs {
            write!(f, "; access logs {}", a.format)?;
        }
        match &self.proxy_log_level {
            Some(l) => write!(f, "; proxy log level {l}"),
            None => Ok(()),
        }
    }
}

/// Service Connect endpoints naming a port the task definition does not name.
pub fn port_name_errors(
    sc: Option<&ServiceConnect>,
    family: &str,
    names: &BTreeSet<String>,
) -> Vec<FieldError> {
    let Some(sc) = sc.filter(|s| s.enabled) else {
        return vec![];
    };
    sc.services
        .iter()
        .enumerate()
        .filter(|(_, s)| !names.contains(&s.port_name))
        .map(|(i, s)| {
            super::service::unknown_port_name(
                format!("spec.serviceConnect.services[{i}].portName"),
                &s.port_name,
                family,
                names,
            )
        })
        .collect()
}

/// Tag on a cluster the operator created: a hash of the default Service Connect namespace
/// the operator last set (ECS may report a namespace set by name as its ARN).
pub const CLUSTER_DEFAULTS_TAG: &str = "ecs.fargate.dev/service-connect-defaults";
/// Tag on such a cluster: the UID of the FargateService that set its default namespace. Only
/// that object changes it, so two services naming the cluster with different defaults
/// cannot undo each other's change on every reconcile.
pub const CLUSTER_DEFAULTS_BY_TAG: &str = "ecs.fargate.dev/service-connect-defaults-by";

/// The tags recording that `owner` set `namespace` as a cluster's default.
pub fn cluster_defaults_tags(owner: &Owner, namespace: &str) -> Tags {
    Tags::from([
        (
            CLUSTER_DEFAULTS_TAG.to_owned(),
            super::hash_json(&namespace)[..16].to_owned(),
        ),
        (CLUSTER_DEFAULTS_BY_TAG.to_owned(), owner.uid.clone()),
    ])
}

/// The default Service Connect namespace of a live cluster against the spec's
/// `cluster.serviceConnectDefaults`: in sync when ECS reports it or the cluster's tag
/// records it; else UpdateCluster (and the tags after it) on a cluster the operator created
/// whose default this object set (or nobody did); else a note saying why it is left alone.
/// Unset in the spec: the cluster is left as it is.
pub fn plan_cluster_defaults(
    owner: &Owner,
    spec: &FargateServiceSpec,
    cluster: &ObservedCluster,
    actions: &mut Vec<Action>,
    notes: &mut Vec<Note>,
) {
    let Some(want) = spec
        .cluster
        .service_connect_defaults
        .as_ref()
        .map(|d| &d.namespace)
    else {
        return;
    };
    let tags = cluster_defaults_tags(owner, want);
    let name = &spec.cluster.name;
    if cluster.service_connect_namespace.as_ref() == Some(want)
        || cluster.tags.get(CLUSTER_DEFAULTS_TAG) == tags.get(CLUSTER_DEFAULTS_TAG)
    {
        return;
    }
    if cluster.tags.get(MANAGED_BY_TAG).map(String::as_str) != Some("fargate-operator") {
        notes.push(Note {
            reason: reasons::CONFLICT,
            message: format!(
                "ECS cluster {name} was not created by the operator, so its default Service Connect namespace is left alone: spec.cluster.serviceConnectDefaults ({want}) is not applied"
            ),
        });
        return;
    }
    if let Some(by) = cluster
        .tags
        .get(CLUSTER_DEFAULTS_BY_TAG)
        .filter(|by| **by != owner.uid)
    {
        notes.push(Note {
            reason: reasons::CONFLICT,
            message: format!(
                "the default Service Connect namespace of ECS cluster {name} was set by another FargateService (UID {by}): spec.cluster.serviceConnectDefaults ({want}) is not applied; give both the same namespace, or remove the cluster's {CLUSTER_DEFAULTS_BY_TAG} tag to let this one set it"
            ),
        });
        return;
    }
    actions.push(Action::UpdateCluster {
        name: name.clone(),
        service_connect_namespace: want.clone(),
    });
    actions.push(Action::TagService {
        arn: cluster.arn.clone(),
        tags,
        remove: vec![],
    });
}

/// The tag to add to the service's tags for a desired configuration, if any.
pub fn tag(want: Option<&ServiceConnectDef>) -> BTreeMap<String, String> {
    ServiceConnectDef::tag_value(want)
        .map(|v| BTreeMap::from([(SERVICE_CONNECT_TAG.to_owned(), v)]))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ServiceConnectDef {
        ServiceConnectDef {
            enabled: true,
            namespace: Some("internal".into()),
            services: vec![ScServiceDef {
                port_name: "http".into(),
                discovery_name: None,
                client_aliases: vec![ClientAliasDef {
                    port: 80,
                    dns_name: Some("api".into()),
                    test_header: None,
                }],
                ingress_port_override: None,
                idle_timeout_seconds: None,
                per_request_timeout_seconds: None,
                tls: None,
            }],
            log_configuration: None,
            access_logs: None,
            proxy_log_level: None,
        }
    }

    #[test]
    fn a_configuration_without_the_newer_settings_hashes_as_before_they_existed() {
        // The form the tag hashed before accessLogs, proxy, tls and testTrafficHeader: a
        // service tagged then is not updated by an operator upgrade.
        let json = serde_json::to_value(ServiceConnectDef::canonical(Some(&config()))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "enabled": true,
                "namespace": "internal",
                "services": [{
                    "portName": "http",
                    "discoveryName": null,
                    "clientAliases": [[80, "api"]],
                    "ingressPortOverride": null,
                    "idleTimeoutSeconds": null,
                    "perRequestTimeoutSeconds": null,
                }],
                "logConfiguration": null,
            })
        );
    }

    #[test]
    fn ecs_defaults_of_the_newer_settings_are_not_drift_and_the_settings_are() {
        let tags = Tags::new();
        let mut want = config();
        want.access_logs = Some(AccessLogsDef {
            format: "TEXT".into(),
            include_query_parameters: None,
        });
        let mut got = want.clone();
        got.access_logs.as_mut().unwrap().include_query_parameters = Some("DISABLED".into());
        got.proxy_log_level = Some("info".into());
        assert!(!ServiceConnectDef::needs_update(
            Some(&want),
            Some(&got),
            &tags
        ));
        for change in [
            |c: &mut ServiceConnectDef| c.proxy_log_level = Some("debug".into()),
            |c: &mut ServiceConnectDef| c.access_logs = None,
            |c: &mut ServiceConnectDef| {
                c.services[0].client_aliases[0].test_header = Some(("x-canary".into(), "1".into()))
            },
            |c: &mut ServiceConnectDef| {
                c.services[0].tls = Some(ScTlsDef {
                    certificate_authority_arn: "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/01234567-89ab-cdef-0123-456789abcdef".into(),
                    kms_key: None,
                    role_arn: None,
                })
            },
        ] {
            let mut changed = want.clone();
            change(&mut changed);
            assert!(ServiceConnectDef::needs_update(
                Some(&changed),
                Some(&got),
                &tags
            ));
            assert_ne!(
                ServiceConnectDef::tag_value(Some(&changed)),
                ServiceConnectDef::tag_value(Some(&want))
            );
        }
    }

    #[test]
    fn the_plan_line_shows_tls_test_traffic_access_logs_and_the_log_level() {
        let mut c = config();
        c.services[0].client_aliases[0].test_header = Some(("x-canary".into(), "1".into()));
        c.services[0].tls = Some(ScTlsDef {
            certificate_authority_arn: "arn:ca".into(),
            kms_key: None,
            role_arn: None,
        });
        c.access_logs = Some(AccessLogsDef {
            format: "JSON".into(),
            include_query_parameters: None,
        });
        c.proxy_log_level = Some("debug".into());
        assert_eq!(
            c.to_string(),
            "namespace internal: http as api:80 (TLS) [test traffic: x-canary: 1]; access logs JSON; proxy log level debug"
        );
    }
}

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
}

/// An endpoint the service publishes (ECS `ServiceConnectService`). Ordered by its fields.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScServiceDef {
    pub port_name: String,
    /// None: the port name.
    pub discovery_name: Option<String>,
    /// `(port, dnsName)`; at most one.
    pub client_aliases: Vec<(i32, Option<String>)>,
    pub ingress_port_override: Option<i32>,
    pub idle_timeout_seconds: Option<i32>,
    pub per_request_timeout_seconds: Option<i32>,
}

impl ServiceConnectDef {
    /// What turns Service Connect off (sent when the spec no longer asks for it).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            namespace: None,
            services: vec![],
            log_configuration: None,
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
                        .map(|a| (a.port, a.dns_name.clone()))
                        .collect(),
                    ingress_port_override: s.ingress_port_override,
                    idle_timeout_seconds: s.timeout.as_ref().and_then(|t| t.idle_timeout_seconds),
                    per_request_timeout_seconds: s
                        .timeout
                        .as_ref()
                        .and_then(|t| t.per_request_timeout_seconds),
                })
                .collect(),
            log_configuration: sc.logging.as_ref().map(|l| LogConfigDef {
                log_driver: l.driver.as_str().to_owned(),
                options: l.options.clone(),
                secret_options: vec![],
            }),
        }
    }

    /// The canonical form: None when off (absent and disabled are the same to ECS); a
    /// discovery name equal to the port name (ECS's default) as absent; services sorted.
    pub fn canonical(sc: Option<&Self>) -> Option<Self> {
        let sc = sc.filter(|s| s.enabled)?;
        let mut services = sc.services.clone();
        for s in &mut services {
            s.discovery_name = s.discovery_name.take().filter(|d| *d != s.port_name);
        }
        services.sort();
        Some(Self {
            services,
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
                match s.client_aliases.first() {
                    Some((port, Some(dns))) => format!("{name} as {dns}:{port}"),
                    Some((port, None)) => format!("{name} on port {port}"),
                    None => name.to_owned(),
                }
            })
            .collect();
        if endpoints.is_empty() {
            f.write_str(" (client only)")
        } else {
            write!(f, ": {}", endpoints.join(", "))
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

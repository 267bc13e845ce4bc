//! `FargateService.spec.serviceConnect`: ECS Service Connect, so services of one Cloud Map
//! namespace reach each other by name through the proxy ECS adds to every task. Bounds and
//! patterns from the ECS API reference (`ServiceConnectConfiguration`,
//! `ServiceConnectService`, `ServiceConnectClientAlias`, `TimeoutConfiguration`).

use std::collections::{BTreeMap, BTreeSet};

#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::{ListMerge, Rule};
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::containers::LogDriver;
use super::patterns;
use super::validation::Check;

/// The most services one Service Connect configuration lists. ECS publishes no such limit;
/// each service names a distinct named port mapping of the task definition, and a task
/// definition of the operator has at most 10 containers of at most 8 port mappings, but a
/// service publishing more than 10 endpoints is not one we have seen: 10 keeps the CEL cost
/// small and can be raised.
pub const MAX_SERVICES: usize = 10;

fn default_true() -> bool {
    true
}

/// ECS Service Connect for the service's tasks.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.enabled) || self.enabled || ((!has(self.services) || size(self.services) == 0) && !has(self.logging))")
        .message("serviceConnect.services and logging apply only with enabled: true")
        .field_path(".enabled"),
)]
pub struct ServiceConnect {
    /// Use Service Connect (default true). `false` turns it off for the service's new tasks;
    /// removing `serviceConnect` does the same.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The Cloud Map namespace, by name (e.g. `internal`) or ARN, in the service's Region.
    /// Unset: the cluster's default namespace (its `serviceConnectDefaults`). ECS may report a
    /// namespace given by name as its ARN; the operator records what it sent (a tag on the
    /// service) so that is not drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::CLOUD_MAP_NAMESPACE), length(max = 1024))]
    pub namespace: Option<String>,
    /// The endpoints this service publishes (at most 10), one per named port mapping of the
    /// task definition. Empty: a client-only service, which reaches the others in the
    /// namespace but publishes nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["portName".into()]))]
    pub services: Vec<ServiceConnectService>,
    /// Where the Service Connect proxy's own logs go. Unset: ECS keeps no proxy logs. With
    /// `awslogs`, give `awslogs-group`, `awslogs-region` and `awslogs-stream-prefix` in
    /// `options`: the task's execution role writes them, and a managed execution role may
    /// write only to its TaskDefinition's log groups (use one of those, e.g. `/ecs/<family>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<ServiceConnectLogging>,
}

/// An endpoint the service publishes in the namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectService {
    /// The `name` of a port mapping of the task definition.
    #[schemars(regex(pattern = patterns::PORT_NAME), length(max = 64))]
    pub port_name: String,
    /// The Cloud Map service ECS creates for it: up to 64 lowercase letters, digits, `_` and
    /// `-`, not starting with `-`; unique in the namespace. Default: `portName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DISCOVERY_NAME), length(max = 64))]
    pub discovery_name: Option<String>,
    /// The name and port clients use (at most 1, ECS's limit). Unset: clients use
    /// `<discoveryName>.<namespace>` on the container port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    pub client_aliases: Vec<ClientAlias>,
    /// The port the proxy listens on for this endpoint (0-65535). Default: the container
    /// port of the named port mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub ingress_port_override: Option<i32>,
    /// Connection timeouts of the proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<ServiceConnectTimeout>,
}

/// A name and port clients of the namespace use to reach an endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientAlias {
    /// The port the proxy listens on in every client task (0-65535).
    #[schemars(range(min = 0, max = 65535))]
    pub port: i32,
    /// The name clients use, e.g. `api` or `api.internal`: up to 127 lowercase letters,
    /// digits, `_`, `-` and `.`, not starting with `-`. Default:
    /// `<discoveryName>.<namespace>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DNS_ALIAS), length(max = 127))]
    pub dns_name: Option<String>,
}

/// Timeouts of the Service Connect proxy, in seconds (0 turns one off).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTimeout {
    /// How long an idle connection stays open. ECS's default: 300 for HTTP, HTTP2 and gRPC,
    /// 3600 for TCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 2147483647))]
    pub idle_timeout_seconds: Option<i32>,
    /// How long the proxy waits for a complete response (not for TCP ports: their
    /// `appProtocol` has no requests). ECS's default: 15.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 2147483647))]
    pub per_request_timeout_seconds: Option<i32>,
}

/// The Service Connect proxy's log configuration.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectLogging {
    /// `awslogs` (default), `splunk` or `awsfirelens`.
    #[serde(default)]
    pub driver: LogDriver,
    /// The driver's options (at most 50), e.g. `awslogs-group`, `awslogs-region`,
    /// `awslogs-stream-prefix`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::containers::driver_options_schema")]
    pub options: BTreeMap<String, String>,
}

/// The cluster's default Service Connect namespace (ECS `serviceConnectDefaults`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterServiceConnectDefaults {
    /// A Cloud Map namespace name or ARN (up to 1024 characters, no `<`, `>`, `"` or `/` in
    /// a name). A name no namespace has yet makes ECS create an HTTP namespace of that name.
    #[schemars(regex(pattern = patterns::CLOUD_MAP_NAMESPACE), length(max = 1024))]
    pub namespace: String,
}

/// The Rust twin of the rules for `spec.cluster.serviceConnectDefaults`: a namespace name or
/// ARN, on a cluster the operator creates.
pub(super) fn validate_cluster(c: &mut Check, cluster: &super::fargateservice::ClusterSpec) {
    let Some(d) = &cluster.service_connect_defaults else {
        return;
    };
    let at = "spec.cluster.serviceConnectDefaults";
    c.pattern(
        format!("{at}.namespace"),
        &d.namespace,
        patterns::CLOUD_MAP_NAMESPACE,
        "a Cloud Map namespace name (no <, >, \" or /) or ARN",
    );
    if !cluster.create {
        c.fail(at, CLUSTER_DEFAULTS_NEED_CREATE);
    }
}

/// Why `serviceConnectDefaults` is refused with `create: false` (the CEL rule's message).
pub const CLUSTER_DEFAULTS_NEED_CREATE: &str = "spec.cluster.serviceConnectDefaults applies to a cluster the operator creates (create: true); the operator never changes a cluster it did not create";

/// The Rust twin of the schema's rules for `spec.serviceConnect` (its size bounds are
/// checked from the schema itself): patterns, ranges, each port name once, nothing but
/// `enabled` when it is off.
pub(super) fn validate(c: &mut Check, sc: &ServiceConnect) {
    let at = "spec.serviceConnect";
    if let Some(ns) = &sc.namespace {
        c.pattern(
            format!("{at}.namespace"),
            ns,
            patterns::CLOUD_MAP_NAMESPACE,
            "a Cloud Map namespace name (no <, >, \" or /) or ARN",
        );
    }
    if !sc.enabled && (!sc.services.is_empty() || sc.logging.is_some()) {
        c.fail(
            format!("{at}.enabled"),
            "serviceConnect.services and logging apply only with enabled: true",
        );
    }
    // Each port name once (the schema's list-map key on portName). Discovery names must be
    // unique in the whole namespace, which only ECS can see.
    let mut ports = BTreeSet::new();
    for (i, s) in sc.services.iter().enumerate() {
        let at = format!("{at}.services[{i}]");
        validate_service(c, &at, s);
        if !ports.insert(s.port_name.as_str()) {
            c.fail(
                format!("{at}.portName"),
                "names a port twice: each port name may appear once",
            );
        }
    }
}

fn validate_service(c: &mut Check, at: &str, s: &ServiceConnectService) {
    c.pattern(
        format!("{at}.portName"),
        &s.port_name,
        patterns::PORT_NAME,
        "the name of a port mapping of the task definition",
    );
    if let Some(d) = &s.discovery_name {
        c.pattern(
            format!("{at}.discoveryName"),
            d,
            patterns::DISCOVERY_NAME,
            "up to 64 lowercase letters, digits, _ or -, not starting with -",
        );
    }
    c.opt_range(
        format!("{at}.ingressPortOverride"),
        s.ingress_port_override,
        0,
        65535,
    );
    for (j, a) in s.client_aliases.iter().enumerate() {
        c.opt_range(
            format!("{at}.clientAliases[{j}].port"),
            Some(a.port),
            0,
            65535,
        );
        if let Some(d) = &a.dns_name {
            c.pattern(
                format!("{at}.clientAliases[{j}].dnsName"),
                d,
                patterns::DNS_ALIAS,
                "up to 127 lowercase letters, digits, _, - or ., not starting with -",
            );
        }
    }
    if let Some(t) = &s.timeout {
        c.opt_range(
            format!("{at}.timeout.idleTimeoutSeconds"),
            t.idle_timeout_seconds,
            0,
            i32::MAX,
        );
        c.opt_range(
            format!("{at}.timeout.perRequestTimeoutSeconds"),
            t.per_request_timeout_seconds,
            0,
            i32::MAX,
        );
    }
}

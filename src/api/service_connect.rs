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
    validation = Rule::new("!has(self.enabled) || self.enabled || ((!has(self.services) || size(self.services) == 0) && !has(self.logging) && !has(self.accessLogs) && !has(self.proxy))")
        .message("serviceConnect.services, logging, accessLogs and proxy apply only with enabled: true")
        .field_path(".enabled"),
    validation = Rule::new("!has(self.accessLogs) || has(self.logging)")
        .message("serviceConnect.accessLogs needs serviceConnect.logging: the access logs go where the proxy's logs go")
        .field_path(".accessLogs"),
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
    /// The proxy's access logs (one entry per request it handles), written where `logging`
    /// sends its logs, which is therefore required. Unset: no access logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<ServiceConnectAccessLogs>,
    /// Settings of the Service Connect proxy container ECS adds to each task. They apply to
    /// tasks started after a change; unset settings are ECS's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ServiceConnectProxy>,
}

/// The Service Connect proxy's access logs (ECS `ServiceConnectAccessLogConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectAccessLogs {
    /// `TEXT` (human-readable) or `JSON` (structured, for log analysis tools).
    pub format: AccessLogFormat,
    /// Include HTTP query parameters in the access logs: `ENABLED` or `DISABLED` (ECS's
    /// default). Query parameters may carry tokens and request IDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_query_parameters: Option<super::taskdefinition::Toggle>,
}

/// The format of the Service Connect access logs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum AccessLogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per request.
    Json,
}

impl AccessLogFormat {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Json => "JSON",
        }
    }
}

/// Settings of the Service Connect proxy container (ECS `containerConfigurations`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectProxy {
    /// The proxy's log level: `debug` (more detail, and more log volume, to troubleshoot
    /// connections) or `info` (ECS's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<ProxyLogLevel>,
}

/// The Service Connect proxy's log level.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProxyLogLevel {
    /// Detailed logs for troubleshooting.
    Debug,
    /// The default.
    Info,
}

impl ProxyLogLevel {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
        }
    }
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
    /// Encrypt traffic to this endpoint with TLS certificates ECS issues from an AWS Private
    /// CA, rotates and distributes. Unset: plain traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServiceConnectTls>,
}

/// TLS between the Service Connect proxies (ECS `ServiceConnectTlsConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTls {
    /// The AWS Private CA that signs the certificates and is the clients' root of trust, e.g.
    /// `arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/<uuid>`.
    #[schemars(regex(pattern = patterns::PCA_ARN), length(max = 200))]
    pub certificate_authority_arn: String,
    /// The KMS key (ID, alias or ARN) ECS encrypts the certificates' private keys with in
    /// Secrets Manager. Unset: an AWS managed key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub kms_key: Option<String>,
    /// The ECS infrastructure role ECS assumes to issue the certificates (trusted by
    /// `ecs.amazonaws.com`, with AWS's
    /// `AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity`). The
    /// operator passes it to ECS: its policy must allow `iam:PassRole` on it
    /// (iam/README.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ROLE_ARN), length(max = 2048))]
    pub role_arn: Option<String>,
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
    /// The HTTP header that marks test traffic during a BlueGreen, Canary or Linear
    /// deployment: requests through this alias that carry it go to the new revision before
    /// production traffic moves. Only with those strategies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_header: Option<TestTrafficHeader>,
}

/// A test traffic rule (ECS `ServiceConnectTestTrafficRules`: one header rule).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestTrafficHeader {
    /// The header's name, e.g. `x-canary` (an HTTP token, up to 128 characters).
    #[schemars(regex(pattern = patterns::HTTP_HEADER_NAME), length(max = 128))]
    pub name: String,
    /// The value the header must have exactly (up to 256 visible ASCII characters, no
    /// leading or trailing space). Required here: ECS leaves it optional but documents no
    /// meaning for a rule without one.
    #[schemars(regex(pattern = patterns::HTTP_HEADER_VALUE), length(max = 256))]
    pub value: String,
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

/// Why `accessLogs` without `logging` is refused (the CEL rule's message).
pub const ACCESS_LOGS_NEED_LOGGING: &str = "serviceConnect.accessLogs needs serviceConnect.logging: the access logs go where the proxy's logs go";

/// Why test traffic headers are refused under the Rolling strategy (the CEL rule's message).
pub const TEST_TRAFFIC_NEEDS_BLUE_GREEN: &str = "spec.serviceConnect: clientAliases[].testTrafficHeader applies to the BlueGreen, Canary and Linear strategies only: set spec.deployment.strategy, or remove testTrafficHeader";

/// The Rust twin of the spec-level rule: test traffic headers only with a strategy that has
/// test traffic (BlueGreen, Canary, Linear).
pub(super) fn validate_strategy(c: &mut Check, sc: Option<&ServiceConnect>, rolling: bool) {
    let any = sc.is_some_and(|sc| {
        sc.services.iter().any(|s| {
            s.client_aliases
                .iter()
                .any(|a| a.test_traffic_header.is_some())
        })
    });
    if rolling && any {
        c.fail("spec.serviceConnect", TEST_TRAFFIC_NEEDS_BLUE_GREEN);
    }
}

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
    if !sc.enabled
        && (!sc.services.is_empty()
            || sc.logging.is_some()
            || sc.access_logs.is_some()
            || sc.proxy.is_some())
    {
        c.fail(
            format!("{at}.enabled"),
            "serviceConnect.services, logging, accessLogs and proxy apply only with enabled: true",
        );
    }
    if sc.access_logs.is_some() && sc.logging.is_none() {
        c.fail(format!("{at}.accessLogs"), ACCESS_LOGS_NEED_LOGGING);
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
    if let Some(t) = &s.tls {
        validate_tls(c, &format!("{at}.tls"), t);
    }
    for (j, a) in s.client_aliases.iter().enumerate() {
        if let Some(h) = &a.test_traffic_header {
            let at = format!("{at}.clientAliases[{j}].testTrafficHeader");
            c.pattern(
                format!("{at}.name"),
                &h.name,
                patterns::HTTP_HEADER_NAME,
                "an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
            );
            c.pattern(
                format!("{at}.value"),
                &h.value,
                patterns::HTTP_HEADER_VALUE,
                "visible ASCII characters and inner spaces",
            );
        }
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

fn validate_tls(c: &mut Check, at: &str, t: &ServiceConnectTls) {
    c.pattern(
        format!("{at}.certificateAuthorityArn"),
        &t.certificate_authority_arn,
        patterns::PCA_ARN,
        "an AWS Private CA ARN like arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/<uuid>",
    );
    if let Some(r) = &t.role_arn {
        c.pattern(
            format!("{at}.roleArn"),
            r,
            patterns::ROLE_ARN,
            "an IAM role ARN",
        );
    }
}

/// A VPC Lattice registration's blue/green resources (ECS
/// `VpcLatticeAdvancedConfiguration`); the registration's `roleArn` is the role ECS uses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpcLatticeAdvanced {
    /// The Lattice target group the new revision's tasks register with while traffic
    /// shifts, e.g. `arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-...`.
    #[schemars(regex(pattern = patterns::LATTICE_TARGET_GROUP_ARN), length(max = 256))]
    pub alternate_target_group_arn: String,
    /// The Lattice listener rule or listener that routes production traffic; ECS moves its
    /// weights between the target groups.
    #[schemars(regex(pattern = patterns::LATTICE_LISTENER_RULE_ARN), length(max = 512))]
    pub production_listener_rule: String,
    /// The Lattice listener rule or listener that routes test traffic to the new revision
    /// before production traffic moves (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::LATTICE_LISTENER_RULE_ARN), length(max = 512))]
    pub test_listener_rule: Option<String>,
}

/// Why Lattice `advanced` is refused under the Rolling strategy (the CEL rule's message).
pub const LATTICE_ADVANCED_NEEDS_BLUE_GREEN: &str = "spec.vpcLattice: advanced applies to the BlueGreen, Canary and Linear strategies only: set spec.deployment.strategy, or remove advanced";

/// The Rust twin of the spec-level rule on `vpcLattice[].advanced`.
pub(super) fn validate_lattice_strategy(
    c: &mut Check,
    lattice: &[super::fargateservice::VpcLattice],
    rolling: bool,
) {
    if rolling && lattice.iter().any(|l| l.advanced.is_some()) {
        c.fail("spec.vpcLattice", LATTICE_ADVANCED_NEEDS_BLUE_GREEN);
    }
}

/// The patterns of `vpcLattice[i].advanced` (at: `spec.vpcLattice[i]`), and an alternate
/// target group other than the registration's own.
pub(super) fn validate_lattice_advanced(
    c: &mut Check,
    at: &str,
    l: &super::fargateservice::VpcLattice,
    a: &VpcLatticeAdvanced,
) {
    let at = format!("{at}.advanced");
    c.pattern(
        format!("{at}.alternateTargetGroupArn"),
        &a.alternate_target_group_arn,
        patterns::LATTICE_TARGET_GROUP_ARN,
        "a VPC Lattice target group ARN",
    );
    if a.alternate_target_group_arn == l.target_group_arn {
        c.fail(format!("{at}.alternateTargetGroupArn"), "must differ from targetGroupArn: the new revision registers with the alternate target group while traffic shifts");
    }
    let rules = [
        ("productionListenerRule", Some(&a.production_listener_rule)),
        ("testListenerRule", a.test_listener_rule.as_ref()),
    ];
    for (name, rule) in rules {
        if let Some(r) = rule {
            c.pattern(
                format!("{at}.{name}"),
                r,
                patterns::LATTICE_LISTENER_RULE_ARN,
                "a VPC Lattice listener rule or listener ARN",
            );
        }
    }
}

//! A FargateService's `gatewayConnectors` (issue 19): attaching the service to an Amazon ECS
//! gateway's ingress paths through a named port (ECS's `GatewayConnector` and its health
//! check, matcher and filters). `fargateservice` re-exports it.
//!
//! From the ECS API reference (`aws-sdk-ecs` 1.157's doc comments and the developer guide's
//! "Connect Amazon ECS services to a gateway"): at most one connector per service; the task
//! definition must use `awsvpc` (Fargate always does) and name the port; protocols `HTTP`
//! and `HTTPS`; access types `PUBLIC` and `PRIVATE`. The reference gives no ranges for the
//! health check's numbers and lengths: the schema bounds only what it must (ports 1-65535,
//! counts and seconds at least 1, strings at the Application Load Balancer's own limits: a
//! path of at most 1024 characters, a matcher of at most 64), and ECS refuses the rest (the
//! `AwsRejected` condition).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns;
use super::validation::Check;

/// Attaches the service to the gateway ingress paths of its cluster's gateways.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnector {
    /// The `name` of a port mapping of the task definition: the port that receives the
    /// gateway's traffic.
    #[schemars(regex(pattern = patterns::PORT_NAME), length(max = 64))]
    pub port_name: String,
    /// How the gateway checks the tasks. A field left unset is ECS's choice: whatever ECS
    /// reports for it is not drift, and removing a field leaves its last value in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<GatewayHealthCheck>,
    /// Which gateway ingress paths the connector applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<GatewayFilters>,
}

/// The health check the gateway runs against the service's tasks.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayHealthCheck {
    /// `HTTP` or `HTTPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_protocol: Option<GatewayHealthCheckProtocol>,
    /// The port checked (1-65535).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub health_check_port: Option<i32>,
    /// The path requested, e.g. `/healthz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub health_check_path: Option<String>,
    /// Seconds without an answer that fail a check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub health_check_timeout_seconds: Option<i32>,
    /// Seconds between checks of a task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub health_check_interval_seconds: Option<i32>,
    /// Consecutive passed checks before a task is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub healthy_threshold_count: Option<i32>,
    /// Consecutive failed checks before a task is unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub unhealthy_threshold_count: Option<i32>,
    /// The answers that pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<GatewayHealthCheckMatcher>,
}

/// The codes of a passing health check answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayHealthCheckMatcher {
    /// HTTP codes, e.g. `200` or `200-299`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub http_code: Option<String>,
    /// gRPC codes, e.g. `0` or `0-99`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub grpc_code: Option<String>,
}

/// `HTTP` or `HTTPS`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum GatewayHealthCheckProtocol {
    /// Checks over HTTP.
    Http,
    /// Checks over HTTPS.
    Https,
}

impl GatewayHealthCheckProtocol {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "HTTP",
            Self::Https => "HTTPS",
        }
    }
}

/// Which gateway ingress paths the connector applies to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayFilters {
    /// `PUBLIC`, `PRIVATE` or both.
    #[schemars(length(min = 1, max = 2))]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub access_types: Vec<GatewayAccessType>,
}

/// The access type of a gateway ingress path.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum GatewayAccessType {
    /// Reachable from the internet.
    Public,
    /// Reachable privately only.
    Private,
}

impl GatewayAccessType {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "PUBLIC",
            Self::Private => "PRIVATE",
        }
    }
}

/// The Rust twin of the schema's checks the size bounds ([`Check`]'s `spec_bounds`) do not
/// cover: the port name's pattern, the lower bounds and ranges, each access type once.
pub(super) fn validate_gateway_connectors(c: &mut Check, connectors: &[GatewayConnector]) {
    for (i, g) in connectors.iter().enumerate() {
        let at = format!("spec.gatewayConnectors[{i}]");
        c.pattern(
            format!("{at}.portName"),
            &g.port_name,
            patterns::PORT_NAME,
            "the name of a port mapping: lowercase letters, digits and -",
        );
        if let Some(h) = &g.health_check {
            health_check(c, &format!("{at}.healthCheck"), h);
        }
        if let Some(f) = &g.filters {
            let mut seen = f.access_types.clone();
            seen.sort();
            seen.dedup();
            if f.access_types.is_empty() || seen.len() != f.access_types.len() {
                c.fail(
                    format!("{at}.filters.accessTypes"),
                    "PUBLIC, PRIVATE or both, each once",
                );
            }
        }
    }
}

fn health_check(c: &mut Check, at: &str, h: &GatewayHealthCheck) {
    c.opt_range(
        format!("{at}.healthCheckPort"),
        h.health_check_port,
        1,
        65535,
    );
    for (name, value) in [
        ("healthCheckTimeoutSeconds", h.health_check_timeout_seconds),
        (
            "healthCheckIntervalSeconds",
            h.health_check_interval_seconds,
        ),
        ("healthyThresholdCount", h.healthy_threshold_count),
        ("unhealthyThresholdCount", h.unhealthy_threshold_count),
    ] {
        c.opt_range(format!("{at}.{name}"), value, 1, i32::MAX);
    }
    let matcher = h.matcher.as_ref();
    for (name, value) in [
        ("healthCheckPath", h.health_check_path.as_deref()),
        (
            "matcher.httpCode",
            matcher.and_then(|m| m.http_code.as_deref()),
        ),
        (
            "matcher.grpcCode",
            matcher.and_then(|m| m.grpc_code.as_deref()),
        ),
    ] {
        if value.is_some_and(str::is_empty) {
            c.fail(format!("{at}.{name}"), "must not be empty");
        }
    }
}

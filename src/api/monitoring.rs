//! A FargateService's `monitoring` (issue 19): the resolution of the service-level
//! `CPUUtilization` and `MemoryUtilization` CloudWatch metrics (ECS's
//! `MonitoringConfiguration` and `MetricConfiguration`). `fargateservice` re-exports it.
//!
//! Limits come from the ECS API reference (the doc comments of `aws-sdk-ecs` 1.157's
//! `MetricConfiguration`): the metric names are `CPUUtilization` and `MemoryUtilization`,
//! the resolutions 20 and 60 seconds, and ECS uses 60 for a metric nobody configured.

#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::Rule;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::validation::Check;

/// ECS's resolution, in seconds, of a metric the monitoring configuration does not name.
pub const DEFAULT_RESOLUTION_SECONDS: i32 = 60;

/// The resolutions ECS accepts, in seconds.
pub const RESOLUTIONS_SECONDS: [i32; 2] = [20, DEFAULT_RESOLUTION_SECONDS];

/// The resolution of the service's CloudWatch metrics.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.metricConfigurations.size() < 2 || !self.metricConfigurations[0].metricNames.exists(n, n in self.metricConfigurations[1].metricNames)")
        .message("spec.monitoring.metricConfigurations: each metric is named in one configuration only")
        .field_path(".metricConfigurations")
)]
pub struct Monitoring {
    /// Resolutions by metric (at most 2: one per resolution). A metric not named here is
    /// collected at ECS's default of 60 seconds; removing `monitoring` sets both back to 60.
    #[schemars(length(min = 1, max = 2))]
    pub metric_configurations: Vec<MetricConfiguration>,
}

/// One resolution for one or both metrics.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricConfiguration {
    /// `CPUUtilization`, `MemoryUtilization`, or both.
    #[schemars(length(min = 1, max = 2))]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub metric_names: Vec<MetricName>,
    /// Seconds between data points: 20 (high resolution) or 60 (ECS's default).
    #[schemars(extend("enum" = [20, 60]))]
    pub resolution_seconds: i32,
}

/// A service-level CloudWatch metric whose resolution can be set.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema,
)]
pub enum MetricName {
    /// The service's average CPU utilisation.
    #[serde(rename = "CPUUtilization")]
    CpuUtilization,
    /// The service's average memory utilisation.
    #[serde(rename = "MemoryUtilization")]
    MemoryUtilization,
}

impl MetricName {
    /// Both metrics.
    pub const ALL: [Self; 2] = [Self::CpuUtilization, Self::MemoryUtilization];

    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CpuUtilization => "CPUUtilization",
            Self::MemoryUtilization => "MemoryUtilization",
        }
    }
}

/// The Rust twin of the schema's and the CEL rule's checks: resolutions ECS accepts, each
/// metric in one configuration only.
pub(super) fn validate_monitoring(c: &mut Check, monitoring: Option<&Monitoring>) {
    let Some(m) = monitoring else { return };
    if m.metric_configurations.is_empty() {
        c.fail(
            "spec.monitoring.metricConfigurations",
            "name at least one metric, or leave monitoring out",
        );
    }
    let mut seen = vec![];
    for (i, mc) in m.metric_configurations.iter().enumerate() {
        if !RESOLUTIONS_SECONDS.contains(&mc.resolution_seconds) {
            c.fail(
                format!("spec.monitoring.metricConfigurations[{i}].resolutionSeconds"),
                "must be 20 or 60",
            );
        }
        if mc.metric_names.is_empty() {
            c.fail(
                format!("spec.monitoring.metricConfigurations[{i}].metricNames"),
                "name CPUUtilization, MemoryUtilization or both",
            );
        }
        for n in &mc.metric_names {
            if seen.contains(n) {
                c.fail(
                    "spec.monitoring.metricConfigurations",
                    "each metric is named once, in one configuration only",
                );
            }
            seen.push(*n);
        }
    }
}

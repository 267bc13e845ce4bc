//! Prometheus metrics (prometheus-client), served on `/metrics` by the controller.
//!
//! Every series is prefixed `fargate_operator_`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::api::conditions::condition_types as ct;
use crate::aws::instrument::{Call, CallHook};
use crate::aws::AwsError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: &'static str,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AwsCallLabels {
    service: &'static str,
    operation: &'static str,
    /// `ok`, or the error class (`throttled`, `not_found`, ...).
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConditionLabels {
    kind: &'static str,
    condition: &'static str,
    status: &'static str,
}

/// The conditions counted in `objects`.
const COUNTED: [&str; 3] = [ct::READY, ct::PROGRESSING, ct::DEGRADED];

/// An object's reported status of each of [`COUNTED`], as indexes into [`STATUSES`] (0: no
/// such condition): one byte each, as the map holds one per object.
type Reported = [u8; 3];

/// Condition statuses by index (Kubernetes allows only these three).
const STATUSES: [&str; 4] = ["", "True", "False", "Unknown"];

fn status_index(status: &str) -> u8 {
    match status {
        "True" => 1,
        "False" => 2,
        _ => 3,
    }
}

/// The operator's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<KindLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: Family<KindLabels, Histogram>,
    aws_calls: Family<AwsCallLabels, Counter>,
    objects: Family<ConditionLabels, Gauge>,
    not_leader: Family<KindLabels, Counter>,
    status_writes: Family<KindLabels, Counter>,
    /// Each object's last reported (condition, status) pairs, so `objects` can be moved
    /// from the old series to the new one.
    /// Keyed by kind and a 64-bit hash of the object's key (a few bytes per object instead
    /// of its name).
    reported: Mutex<HashMap<(&'static str, u64), Reported>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("fargate_operator");
        let reconciles = Family::<KindLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let duration = Family::<KindLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.01, 2.0, 14))) as fn() -> Histogram,
        );
        let aws_calls = Family::<AwsCallLabels, Counter>::default();
        let objects = Family::<ConditionLabels, Gauge>::default();
        let not_leader = Family::<KindLabels, Counter>::default();
        let status_writes = Family::<KindLabels, Counter>::default();
        registry.register("reconciles", "Reconciles run, by kind", reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Reconciles that failed, by kind and reason",
            errors.clone(),
        );
        registry.register_with_unit(
            "reconcile_duration",
            "Time a reconcile took, by kind",
            prometheus_client::registry::Unit::Seconds,
            duration.clone(),
        );
        registry.register(
            "aws_calls",
            "AWS API calls, by service, operation and outcome",
            aws_calls.clone(),
        );
        registry.register(
            "objects",
            "Objects by condition and status, as last reported",
            objects.clone(),
        );
        registry.register(
            "not_leader_skips",
            "Reconciles skipped because this replica does not hold the lease",
            not_leader.clone(),
        );
        registry.register(
            "status_writes",
            "Status patches sent (unchanged statuses are not written)",
            status_writes.clone(),
        );
        Self {
            registry,
            reconciles,
            errors,
            duration,
            aws_calls,
            objects,
            not_leader,
            status_writes,
            reported: Mutex::default(),
        }
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }

    pub fn reconciled(&self, kind: &'static str, took: Duration) {
        self.reconciles.get_or_create(&KindLabels { kind }).inc();
        self.duration
            .get_or_create(&KindLabels { kind })
            .observe(took.as_secs_f64());
    }

    pub fn failed(&self, kind: &'static str, reason: &str) {
        self.errors
            .get_or_create(&ErrorLabels {
                kind,
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn skipped_not_leader(&self, kind: &'static str) {
        self.not_leader.get_or_create(&KindLabels { kind }).inc();
    }

    pub fn status_written(&self, kind: &'static str) {
        self.status_writes.get_or_create(&KindLabels { kind }).inc();
    }

    /// Records an object's conditions (Ready, Progressing, Degraded) for `objects`.
    pub fn report_conditions(&self, kind: &'static str, key: &str, conditions: &[Condition]) {
        let now: Reported = COUNTED.map(|t| {
            conditions
                .iter()
                .find(|c| c.type_ == t)
                .map_or(0, |c| status_index(&c.status))
        });
        let Ok(mut reported) = self.reported.lock() else {
            return;
        };
        let old = reported.insert((kind, crate::util::hashed(key)), now);
        self.shift(kind, old.unwrap_or_default(), now);
    }

    /// Forgets a deleted object.
    pub fn forget(&self, kind: &'static str, key: &str) {
        let Ok(mut reported) = self.reported.lock() else {
            return;
        };
        if let Some(old) = reported.remove(&(kind, crate::util::hashed(key))) {
            self.shift(kind, old, Reported::default());
        }
    }

    fn shift(&self, kind: &'static str, old: Reported, new: Reported) {
        for (condition, (old, new)) in COUNTED.into_iter().zip(old.into_iter().zip(new)) {
            if old == new {
                continue;
            }
            let labels = |status| ConditionLabels {
                kind,
                condition,
                status,
            };
            if old != 0 {
                self.objects
                    .get_or_create(&labels(STATUSES[usize::from(old)]))
                    .dec();
            }
            if new != 0 {
                self.objects
                    .get_or_create(&labels(STATUSES[usize::from(new)]))
                    .inc();
            }
        }
    }
}

impl CallHook for Metrics {
    fn after(&self, call: Call, error: Option<&AwsError>) -> Option<AwsError> {
        let outcome = error.map_or("ok", |e| e.kind.label());
        self.aws_calls
            .get_or_create(&AwsCallLabels {
                service: call.service(),
                operation: call.operation(),
                outcome,
            })
            .inc();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::conditions::condition;
    use k8s_openapi::jiff::Timestamp;

    #[test]
    fn objects_gauge_moves_with_the_condition() {
        let m = Metrics::new();
        let ready = |s| {
            vec![condition(
                ct::READY,
                s,
                "R",
                "",
                Some(1),
                Timestamp::UNIX_EPOCH,
            )]
        };
        m.report_conditions("FargateService", "a/web", &ready(false));
        m.report_conditions("FargateService", "a/api", &ready(false));
        m.report_conditions("FargateService", "a/web", &ready(true));
        let text = m.encode().unwrap();
        assert!(text.contains(
            r#"fargate_operator_objects{kind="FargateService",condition="Ready",status="True"} 1"#
        ), "{text}");
        assert!(text.contains(
            r#"fargate_operator_objects{kind="FargateService",condition="Ready",status="False"} 1"#
        ), "{text}");
        m.forget("FargateService", "a/web");
        let text = m.encode().unwrap();
        assert!(text.contains(
            r#"fargate_operator_objects{kind="FargateService",condition="Ready",status="True"} 0"#
        ), "{text}");
    }

    #[test]
    fn aws_calls_are_counted_by_outcome() {
        let m = Metrics::new();
        let call = Call {
            op: crate::aws::AwsOp::CreateService,
        };
        m.after(call, None);
        let throttled = AwsError {
            kind: crate::aws::ErrorKind::Throttled,
            op: crate::aws::AwsOp::CreateService,
            code: Some("ThrottlingException".into()),
            message: "Rate exceeded".into(),
        };
        m.after(call, Some(&throttled));
        m.after(call, Some(&throttled));
        let text = m.encode().unwrap();
        assert!(text.contains(r#"fargate_operator_aws_calls_total{service="ecs",operation="create_service",outcome="ok"} 1"#), "{text}");
        assert!(text.contains(r#"fargate_operator_aws_calls_total{service="ecs",operation="create_service",outcome="throttled"} 2"#), "{text}");
    }
}

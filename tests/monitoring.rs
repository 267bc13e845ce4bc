//! `FargateService` `spec.monitoring` end to end on the in-memory stand-in, through the
//! engine's own observation (`engine::observe`): DescribeServices does not report it, so the
//! operator tags the service and reads its service revision, and only then.
//!
//! The stand-in rather than moto: moto implements neither `monitoring` on CreateService /
//! UpdateService nor DescribeServiceRevisions. The SDK request shapes are checked in
//! `aws::sdk::ecs_convert`'s tests (create, update and revision round trips).

mod support;

use fargate_operator::api::fargateservice::{MetricConfiguration, MetricName, Monitoring};
use fargate_operator::api::REVISION_SETTINGS_TAG;
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::model::{MonitoringDef, ObservedService};
use fargate_operator::testing::SimBackend;
use support::results::assert_converged;
use support::sim::{apply, fresh, requests};

fn with_monitoring(monitoring: Option<Monitoring>) -> Manifests {
    let mut m = support::examples::web_api();
    m.services[0].spec.monitoring = monitoring;
    m
}

fn cpu_at_20s() -> Monitoring {
    Monitoring {
        metric_configurations: vec![MetricConfiguration {
            metric_names: vec![MetricName::CpuUtilization],
            resolution_seconds: 20,
        }],
    }
}

fn service(backend: &SimBackend) -> ObservedService {
    let sim = backend.lock();
    assert_eq!(sim.services.len(), 1);
    sim.services.values().next().cloned().unwrap()
}

fn count(backend: &SimBackend, action: &str) -> u64 {
    requests(backend).get(action).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_service_without_monitoring_never_reads_its_revision() {
    let backend = fresh();
    let aws = backend.aws();
    let m = with_monitoring(None);
    assert_converged(&apply(&aws, &m).await);
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(count(&backend, "ecs:DescribeServiceRevisions"), 0);
    assert!(!service(&backend).tags.contains_key(REVISION_SETTINGS_TAG));
}

#[tokio::test]
async fn monitoring_is_created_kept_and_reset_through_the_service_revision() {
    let backend = fresh();
    let aws = backend.aws();
    let m = with_monitoring(Some(cpu_at_20s()));
    assert_converged(&apply(&aws, &m).await);
    let s = service(&backend);
    assert_eq!(
        s.body.monitoring,
        Some(MonitoringDef::from([("CPUUtilization".into(), 20)]))
    );
    assert!(s.tags.contains_key(REVISION_SETTINGS_TAG));

    // Unchanged: read from the revision, nothing updated.
    let (reads, updates) = (
        count(&backend, "ecs:DescribeServiceRevisions"),
        count(&backend, "ecs:UpdateService"),
    );
    assert_converged(&apply(&aws, &m).await);
    assert!(count(&backend, "ecs:DescribeServiceRevisions") > reads);
    assert_eq!(count(&backend, "ecs:UpdateService"), updates);

    // Removed from the spec: both metrics back to ECS's default, then the tag goes.
    let m = with_monitoring(None);
    assert_converged(&apply(&aws, &m).await);
    let s = service(&backend);
    assert_eq!(
        s.body.monitoring,
        Some(MonitoringDef::from([
            ("CPUUtilization".into(), 60),
            ("MemoryUtilization".into(), 60),
        ]))
    );
    assert!(!s.tags.contains_key(REVISION_SETTINGS_TAG));
    assert_eq!(count(&backend, "ecs:UpdateService"), updates + 1);

    // Untagged again: no more revision reads.
    let reads = count(&backend, "ecs:DescribeServiceRevisions");
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(count(&backend, "ecs:DescribeServiceRevisions"), reads);
}

#[tokio::test]
async fn a_change_of_resolution_is_one_update_with_every_metric_written_out() {
    let backend = fresh();
    let aws = backend.aws();
    assert_converged(&apply(&aws, &with_monitoring(Some(cpu_at_20s()))).await);
    let both = Monitoring {
        metric_configurations: vec![MetricConfiguration {
            metric_names: vec![MetricName::MemoryUtilization, MetricName::CpuUtilization],
            resolution_seconds: 20,
        }],
    };
    let updates = count(&backend, "ecs:UpdateService");
    assert_converged(&apply(&aws, &with_monitoring(Some(both))).await);
    assert_eq!(count(&backend, "ecs:UpdateService"), updates + 1);
    assert_eq!(
        service(&backend).body.monitoring,
        Some(MonitoringDef::from([
            ("CPUUtilization".into(), 20),
            ("MemoryUtilization".into(), 20),
        ]))
    );
}

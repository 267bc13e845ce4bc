//! `FargateService` `spec.monitoring` and `spec.gatewayConnectors` end to end on the
//! in-memory stand-in, through the engine's own observation (`engine::observe`):
//! DescribeServices reports neither, so the operator tags the service and reads its service
//! revision, and only then.
//!
//! The stand-in rather than moto: moto implements neither field on CreateService /
//! UpdateService nor DescribeServiceRevisions. The SDK request shapes are checked in
//! `aws::sdk::ecs_convert`'s tests (create, update and revision round trips).

mod support;

use fargate_operator::api::fargateservice::{
    GatewayConnector, GatewayHealthCheck, GatewayHealthCheckProtocol, MetricConfiguration,
    MetricName, Monitoring,
};
use fargate_operator::api::REVISION_SETTINGS_TAG;
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::model::{GatewayConnectorDef, MonitoringDef, ObservedService};
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

fn with_gateway(connectors: Vec<GatewayConnector>) -> Manifests {
    let mut m = support::examples::web_api();
    m.services[0].spec.gateway_connectors = connectors;
    m
}

/// On the example's port named `http`, checked over HTTPS every 15 s.
fn http_connector(path: Option<&str>) -> GatewayConnector {
    GatewayConnector {
        port_name: "http".into(),
        health_check: Some(GatewayHealthCheck {
            health_check_protocol: Some(GatewayHealthCheckProtocol::Https),
            health_check_path: path.map(str::to_owned),
            health_check_interval_seconds: Some(15),
            ..GatewayHealthCheck::default()
        }),
        filters: None,
    }
}

#[tokio::test]
async fn a_gateway_connector_is_attached_kept_changed_and_detached() {
    let backend = fresh();
    let aws = backend.aws();
    let m = with_gateway(vec![http_connector(None)]);
    assert_converged(&apply(&aws, &m).await);
    let s = service(&backend);
    assert_eq!(s.body.gateway_connectors.len(), 1);
    assert_eq!(
        s.body.gateway_connectors[0].protocol.as_deref(),
        Some("HTTPS")
    );
    assert!(s.tags.contains_key(REVISION_SETTINGS_TAG));

    // What ECS fills in for settings the spec leaves unset is not drift.
    {
        let mut sim = backend.lock();
        let s = sim.services.values_mut().next().unwrap();
        s.body.gateway_connectors[0].path = Some("/".into());
        s.body.gateway_connectors[0].healthy_threshold_count = Some(5);
    }
    let updates = count(&backend, "ecs:UpdateService");
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(count(&backend, "ecs:UpdateService"), updates);

    // A setting the spec changes: one update with the connector as the spec gives it.
    let m = with_gateway(vec![http_connector(Some("/healthz"))]);
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(count(&backend, "ecs:UpdateService"), updates + 1);
    assert_eq!(
        service(&backend).body.gateway_connectors[0].path.as_deref(),
        Some("/healthz")
    );

    // Removed: detached with an empty list, then untagged, then no more revision reads.
    let m = with_gateway(vec![]);
    assert_converged(&apply(&aws, &m).await);
    let s = service(&backend);
    assert_eq!(s.body.gateway_connectors, Vec::<GatewayConnectorDef>::new());
    assert!(!s.tags.contains_key(REVISION_SETTINGS_TAG));
    assert_eq!(count(&backend, "ecs:UpdateService"), updates + 2);
    let reads = count(&backend, "ecs:DescribeServiceRevisions");
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(count(&backend, "ecs:DescribeServiceRevisions"), reads);
}

#[tokio::test]
async fn a_gateway_connector_must_name_a_port_of_the_task_definition() {
    let backend = fresh();
    let aws = backend.aws();
    let mut connector = http_connector(None);
    connector.port_name = "grpc".into();
    let results = apply(&aws, &with_gateway(vec![connector])).await;
    let r = support::results::result(&results, "FargateService", "web-api");
    let failure = r.failure.clone().map(|(_, m)| m).unwrap_or_default();
    assert!(
        failure.contains("spec.gatewayConnectors[0].portName") && failure.contains("\"http\""),
        "{failure}"
    );
    assert_eq!(count(&backend, "ecs:CreateService"), 0);
}

/// An access type named twice: the API server refuses it (`x-kubernetes-list-type: set`,
/// which the corpus's JSON-schema check does not know), and so does `validate()`.
#[test]
fn an_access_type_named_twice_is_refused() {
    use fargate_operator::api::fargateservice::{GatewayAccessType, GatewayFilters};
    use fargate_operator::api::validation::validate_fargate_service;
    let mut m = with_gateway(vec![http_connector(None)]);
    let spec = &mut m.services[0].spec;
    spec.gateway_connectors[0].filters = Some(GatewayFilters {
        access_types: vec![GatewayAccessType::Public, GatewayAccessType::Public],
    });
    let errors = validate_fargate_service(spec).unwrap_err();
    assert!(
        errors
            .0
            .iter()
            .any(|e| e.field == "spec.gatewayConnectors[0].filters.accessTypes"),
        "{errors:?}"
    );
    spec.gateway_connectors[0].filters = Some(GatewayFilters {
        access_types: vec![GatewayAccessType::Private, GatewayAccessType::Public],
    });
    assert!(validate_fargate_service(spec).is_ok());
}

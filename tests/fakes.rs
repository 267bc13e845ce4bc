//! What moto cannot show, against the in-memory stand-in (`testing::SimBackend`, the AWS
//! model the planner is property-tested against): moto drops CreateService's client token
//! and silently replaces a duplicate service, so a lost CreateService answer and a service
//! owned by another object are tested here; faults are injected through the instrumenting
//! wrapper's hook.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use fargate_operator::api::reasons;
use fargate_operator::aws::instrument::{Call, CallHook};
use fargate_operator::aws::{AwsError, ErrorKind};
use fargate_operator::engine::run::{self, ApplyOptions, ObjectResult};
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::PlanConfig;
use support::examples::web_api;
use support::sim::{apply, fresh};

fn service(results: &[ObjectResult]) -> &ObjectResult {
    results
        .iter()
        .find(|r| r.kind == "FargateService")
        .expect("a service result")
}

/// Fails matching calls: `lose` makes the call and then loses its answer; otherwise the
/// call is refused before it reaches AWS. `times` bounds how often.
struct Fault {
    operation: &'static str,
    kind: ErrorKind,
    lose: bool,
    times: AtomicUsize,
    calls: AtomicUsize,
}

impl Fault {
    fn new(operation: &'static str, kind: ErrorKind, lose: bool, times: usize) -> Arc<Self> {
        Arc::new(Self {
            operation,
            kind,
            lose,
            times: AtomicUsize::new(times),
            calls: AtomicUsize::new(0),
        })
    }

    fn fire(&self, call: Call) -> Option<AwsError> {
        if call.operation() != self.operation {
            return None;
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        let left = self.times.load(Ordering::SeqCst);
        (left > 0).then(|| {
            self.times.store(left - 1, Ordering::SeqCst);
            AwsError::new(self.kind, call.op, format!("injected {:?}", self.kind))
        })
    }
}

#[async_trait]
impl CallHook for Fault {
    async fn before(&self, call: Call) -> Result<(), AwsError> {
        match self.lose {
            true => Ok(()),
            false => self.fire(call).map_or(Ok(()), Err),
        }
    }

    fn after(&self, call: Call, _error: Option<&AwsError>) -> Option<AwsError> {
        self.lose.then(|| self.fire(call)).flatten()
    }
}

#[tokio::test]
async fn a_lost_create_service_answer_does_not_create_a_second_service() {
    let backend = fresh();
    let fault = Fault::new("create_service", ErrorKind::Transient, true, 1);
    let aws = backend.aws().instrumented(fault.clone());
    let m = web_api();

    let first = apply(&aws, &m).await;
    let (reason, _) = service(&first)
        .failure
        .clone()
        .expect("the lost answer is reported");
    assert_eq!(reason, reasons::AWS_UNAVAILABLE);
    assert_eq!(
        backend.lock().services.len(),
        1,
        "ECS did create the service"
    );

    let second = apply(&aws, &m).await;
    assert!(
        service(&second).failure.is_none(),
        "{:?}",
        service(&second).failure
    );
    assert!(service(&second).synced());
    assert_eq!(
        fault.calls.load(Ordering::SeqCst),
        1,
        "CreateService was sent again"
    );
    assert_eq!(backend.lock().services.len(), 1);
}

#[tokio::test]
async fn a_service_owned_by_another_object_is_a_conflict_even_with_adopt() {
    let backend = fresh();
    let aws = backend.aws();
    let m = web_api();
    assert!(apply(&aws, &m).await.iter().all(|r| r.failure.is_none()));
    // Another object claims the same ECS service (serviceName collision).
    let mut other = m.clone();
    other.services[0].metadata.name = Some("web-api-copy".into());
    other.services[0].spec.service_name = Some("shop_web-api".into());
    other.services[0]
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert("ecs.fargate.dev/adopt".into(), "true".into());
    other.task_definitions.clear();
    let before = backend.lock().total_calls();
    let results = run::apply(
        &aws,
        &support::sim::adopting(),
        &Manifests {
            task_definitions: m.task_definitions.clone(),
            services: other.services,
            tasks: vec![],
            skipped: vec![],
            ..Default::default()
        },
        &ApplyOptions::default(),
    )
    .await;
    let (reason, message) = service(&results).failure.clone().expect("conflict");
    assert_eq!(reason, reasons::CONFLICT);
    assert!(message.contains("owned by shop/web-api"), "{message}");
    assert_eq!(backend.lock().total_calls(), before, "nothing was written");
}

#[tokio::test]
async fn throttling_on_update_is_reported_and_leaves_the_running_service_alone() {
    let backend = fresh();
    let m = web_api();
    assert!(apply(&backend.aws(), &m)
        .await
        .iter()
        .all(|r| r.failure.is_none()));
    let running = backend
        .lock()
        .services
        .values()
        .next()
        .map(|s| s.body.task_definition.clone())
        .expect("service");

    let fault = Fault::new("update_service", ErrorKind::Throttled, false, usize::MAX);
    let aws = backend.aws().instrumented(fault);
    let mut changed = m.clone();
    changed.task_definitions[0].spec.containers[0].image =
        "public.ecr.aws/nginx/nginx:1.27.4".into();
    let results = apply(&aws, &changed).await;
    let svc = service(&results);
    assert_eq!(
        svc.failure.as_ref().map(|f| f.0.as_str()),
        Some(reasons::THROTTLED)
    );
    let degraded = support::results::condition(svc, "Degraded");
    assert_eq!(degraded.reason, reasons::THROTTLED);
    let sim = backend.lock();
    let s = sim.services.values().next().expect("service");
    assert_eq!(s.status, "ACTIVE");
    assert_eq!(
        s.body.task_definition, running,
        "the service still runs the old revision"
    );
}

/// examples/ebs-volume.yaml end to end through the engine (moto keeps no
/// volumeConfigurations): the service's managed infrastructure role is created, passed to
/// ECS by ARN, left alone by a second apply, and deleted by `delete` after the service.
#[tokio::test]
async fn a_managed_ebs_volume_gets_its_infrastructure_role_and_delete_removes_it() {
    let backend = fresh();
    let aws = backend.aws();
    let m = support::examples::load(&["ebs-volume.yaml"]);
    let role = "fgo_search_indexer_infra";

    let first = apply(&aws, &m).await;
    assert!(first.iter().all(|r| r.failure.is_none()), "{first:?}");
    {
        let sim = backend.lock();
        let service = sim.services.values().next().expect("the service");
        assert_eq!(
            service.body.volume_configurations[0].role,
            fargate_operator::plan::model::RoleRef::Arn(format!(
                "arn:aws:iam::123456789012:role/fargate-operator/{role}"
            ))
        );
        assert!(sim.roles.contains_key(role));
    }
    let second = apply(&aws, &m).await;
    assert!(
        second
            .iter()
            .all(|r| r.applied.is_empty() && r.failure.is_none()),
        "{second:?}"
    );

    let deleted = run::delete(&aws, &m, 10).await;
    assert!(deleted.iter().all(|r| r.failure.is_none()), "{deleted:?}");
    let svc = service(&deleted);
    assert!(
        svc.applied
            .iter()
            .any(|a| a.contains(&format!("delete role {role}"))),
        "{:?}",
        svc.applied
    );
    assert!(!backend.lock().roles.contains_key(role));
}

/// A service of the same name that another object owns: the status reports the conflict
/// and nothing of that service (its ARN, counts, deployments, events, stopped tasks).
#[tokio::test]
async fn a_conflict_status_carries_no_field_of_the_other_service() {
    use fargate_operator::engine::reconcile_fargate_service;
    use fargate_operator::plan::service::task_definition_info;

    let backend = fresh();
    let aws = backend.aws();
    let m = web_api();
    assert!(apply(&aws, &m).await.iter().all(|r| r.failure.is_none()));
    backend.lock().finish_deployments();
    // Another object of another name claims the same ECS service (serviceName).
    let mut other = m.services[0].clone();
    other.metadata.name = Some("web-api-copy".into());
    other.metadata.uid = Some("0a6b7e4c-3333-4e8e-9f7a-5d2b3c4d5e6f".into());
    other.spec.service_name = Some("shop_web-api".into());
    let td = &m.task_definitions[0];
    let arn = backend.lock().latest_revision("shop_web-api").clone();
    let info = task_definition_info(td, arn);
    let r = reconcile_fargate_service(
        &aws,
        &Default::default(),
        &other,
        Some(&info),
        None,
        5,
        k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
    )
    .await;
    let s = &r.status;
    let degraded = s
        .conditions
        .iter()
        .find(|c| c.type_ == "Degraded")
        .expect("Degraded");
    assert_eq!(degraded.reason, reasons::CONFLICT);
    assert!(
        degraded.message.contains("owned by shop/web-api"),
        "{}",
        degraded.message
    );
    assert_eq!(s.service_arn, None);
    assert_eq!(s.task_definition_arn, None);
    assert_eq!((s.desired_count, s.running_count), (None, None));
    assert!(s.deployments.is_empty(), "{:?}", s.deployments);
    assert!(s.recent_events.is_empty() && s.stopped_tasks.is_empty());
    assert_eq!(s.rollout, None);
}

/// ECS rolling a deployment back (here the circuit breaker: the deployment of the new
/// revision FAILED, the service runs the previous one again) must not make the operator
/// deploy the failed revision again on every reconcile. moto runs no deployments, so the
/// rollback is written into the stand-in by hand, as DescribeServices reports it.
#[tokio::test]
async fn a_rolled_back_revision_is_held_until_the_spec_changes() {
    use fargate_operator::api::FargateServiceStatus;
    use fargate_operator::engine::reconcile_fargate_service;
    use fargate_operator::plan::model::ObservedDeployment;
    use fargate_operator::plan::service::task_definition_info;
    use k8s_openapi::jiff::Timestamp;

    let backend = fresh();
    let aws = backend.aws();
    let config = PlanConfig::default();
    let m = web_api();
    apply(&aws, &m).await;
    let mut changed = m.clone();
    changed.task_definitions[0].spec.containers[0].image =
        "public.ecr.aws/nginx/nginx:1.27.4".into();
    apply(&aws, &changed).await;
    let current = |backend: &fargate_operator::testing::SimBackend| {
        let sim = backend.lock();
        sim.services
            .values()
            .next()
            .expect("service")
            .body
            .task_definition
            .to_string()
    };
    let td2 = current(&backend);
    let td1 = td2.replace(":2", ":1");
    assert!(td2.ends_with(":2"), "{td2}");
    let info = task_definition_info(&changed.task_definitions[0], Some(td2.clone()));
    let mut fs = changed.services[0].clone();
    fs.metadata.generation = Some(4);
    let reconcile = |fs: &fargate_operator::api::FargateService| {
        let (aws, config, info, fs) = (aws.clone(), config.clone(), info.clone(), fs.clone());
        async move {
            reconcile_fargate_service(&aws, &config, &fs, Some(&info), None, 3, Timestamp::now())
                .await
        }
    };
    // The status of the reconcile that rolled out revision 2.
    let deployed = reconcile(&fs).await;
    assert_eq!(
        deployed.status.task_definition_arn.as_deref(),
        Some(td2.as_str())
    );
    fs.status = Some(deployed.status);

    // The circuit breaker fails it and ECS rolls back to revision 1.
    {
        let mut sim = backend.lock();
        let s = sim.services.values_mut().next().expect("service");
        s.body.task_definition = td1.as_str().into();
        s.deployments = vec![
            ObservedDeployment {
                id: "ecs-svc/3".into(),
                status: "PRIMARY".into(),
                task_definition: td1.clone(),
                desired_count: 2,
                running_count: 2,
                rollout_state: Some("COMPLETED".into()),
                ..Default::default()
            },
            ObservedDeployment {
                id: "ecs-svc/2".into(),
                status: "ACTIVE".into(),
                task_definition: td2.clone(),
                failed_tasks: 3,
                rollout_state: Some("FAILED".into()),
                rollout_state_reason: Some(
                    "ECS deployment circuit breaker: tasks failed to start.".into(),
                ),
                ..Default::default()
            },
        ];
    }
    let degraded = |s: &FargateServiceStatus| {
        let c = s
            .conditions
            .iter()
            .find(|c| c.type_ == "Degraded")
            .expect("Degraded");
        (c.status.clone(), c.reason.clone(), c.message.clone())
    };
    // Reconciles after it (the failed deployment soon drops out of the list): revision 2 is
    // not deployed again, the service stays on revision 1, and the status says why.
    for round in 0..3 {
        let r = reconcile(&fs).await;
        assert!(r.applied.is_empty(), "round {round}: {:?}", r.applied);
        assert_eq!(current(&backend), td1, "round {round}");
        let held = r.status.rolled_back.clone().expect("held");
        assert_eq!(
            (held.task_definition_arn.as_str(), held.generation),
            (td2.as_str(), 4)
        );
        let (status, reason, message) = degraded(&r.status);
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("True", reasons::ROLLED_BACK)
        );
        assert!(
            message.contains("circuit breaker") && message.contains(":2"),
            "{message}"
        );
        let ready = r
            .status
            .conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .expect("Ready");
        assert_eq!(ready.status, "False");
        fs.status = Some(r.status);
        backend.lock().finish_deployments();
    }

    // A new generation (any spec change) retries it: one UpdateService to revision 2.
    fs.metadata.generation = Some(5);
    let retried = reconcile(&fs).await;
    assert_eq!(
        retried.applied.iter().map(|a| a.action).collect::<Vec<_>>(),
        vec!["UpdateService"]
    );
    assert_eq!(current(&backend), td2);
    assert_eq!(retried.status.rolled_back, None);
    assert_eq!(degraded(&retried.status).0, "False");
}

/// `a-b/c` and `a/b-c` joined their namespace and name to the same `a-b-c` before; with the
/// `_` separator they converge side by side, each with its own family, service, roles and
/// log group, and neither is a Conflict.
#[tokio::test]
async fn objects_whose_namespace_and_name_join_alike_converge_side_by_side() {
    let backend = fresh();
    let aws = backend.aws();
    let example = support::examples::web_api_pair();
    let (td1, fs1) = support::examples::copy(&example, "c", Some("a-b"), "shop".into());
    let (td2, fs2) = support::examples::copy(&example, "b-c", Some("a"), "shop".into());
    let mut m = web_api();
    m.task_definitions = vec![td1, td2];
    m.services = vec![fs1, fs2];
    for fs in &mut m.services {
        // Service Connect needs the cluster's namespace; these two do without it.
        fs.spec.service_connect = None;
    }
    let results = apply(&aws, &m).await;
    for r in &results {
        assert_eq!(r.failure, None, "{} {}/{}", r.kind, r.namespace, r.name);
    }
    let sim = backend.lock();
    for name in ["a-b_c", "a_b-c"] {
        assert!(sim.latest_revision(name).is_some(), "family {name}");
        assert!(
            sim.services
                .contains_key(&("shop".to_owned(), name.to_owned())),
            "service {name}"
        );
        assert!(
            sim.log_groups.contains_key(&format!("/ecs/{name}")),
            "{name}"
        );
    }
    assert!(sim.roles.contains_key("fgo_a-b_c_exec") && sim.roles.contains_key("fgo_a_b-c_exec"));
}

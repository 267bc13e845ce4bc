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
    other.services[0].spec.service_name = Some("shop-web-api".into());
    other.services[0]
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert("ecs.fargate.dev/adopt".into(), "true".into());
    other.task_definitions.clear();
    let before = backend.lock().total_calls();
    let results = run::apply(
        &aws,
        &PlanConfig::default(),
        &Manifests {
            task_definitions: m.task_definitions.clone(),
            services: other.services,
            tasks: vec![],
            skipped: vec![],
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

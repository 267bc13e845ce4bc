//! The in-memory AWS stand-in (`testing::SimBackend`) as the tests and benches set it up, and `apply`
//! over it (or any AWS) with the default settings.

use std::collections::BTreeMap;

use fargate_operator::api::fargatetask::{FargateTask, FargateTaskStatus};
use fargate_operator::aws::Aws;
use fargate_operator::engine::run::{self, ApplyOptions, ObjectResult};
use fargate_operator::engine::task::reconcile_fargate_task;
use fargate_operator::engine::Reconciled;
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::PlanConfig;
use fargate_operator::testing::{SimAws, SimBackend};
use k8s_openapi::jiff::Timestamp;

/// An empty account (123456789012, us-east-1).
pub fn fresh() -> SimBackend {
    SimBackend::new(SimAws::new("123456789012", "us-east-1"))
}

/// `apply` of `m` with the default plan settings and options.
pub async fn apply(aws: &Aws, m: &Manifests) -> Vec<ObjectResult> {
    run::apply(aws, &PlanConfig::default(), m, &ApplyOptions::default()).await
}

/// `apply` of `m` with the operator started with `--allow-adoption`.
pub async fn apply_adopting(aws: &Aws, m: &Manifests) -> Vec<ObjectResult> {
    run::apply(aws, &adopting(), m, &ApplyOptions::default()).await
}

/// The default plan settings with `--allow-adoption`.
pub fn adopting() -> PlanConfig {
    let mut config = PlanConfig::default();
    config.floor.allow_adoption = true;
    config
}

/// AWS API requests the stand-in served so far (as the SDK would make them), by operation.
pub fn requests(backend: &SimBackend) -> BTreeMap<&'static str, u64> {
    backend.lock().requests.clone()
}

/// `backend` with the web-api example applied (its revision registered, its cluster made):
/// the revision's ARN, what a FargateTask of the examples runs.
pub async fn web_api_registered(backend: &SimBackend) -> String {
    let results = apply(&backend.aws(), &crate::support::examples::web_api()).await;
    results
        .iter()
        .find_map(|r| r.task_definition.as_ref()?.arn.clone())
        .expect("web-api registered")
}

/// `backend` with the web-api example applied (its revision registered, its cluster made;
/// the revision's ARN returned), the stand-in's clock at `clock`, and `example`'s
/// FargateTask as the API server would hold it (with `uid`, generation 1).
pub async fn task_setup(
    backend: SimBackend,
    clock: Timestamp,
    example: &str,
    uid: &str,
) -> (SimBackend, FargateTask, String) {
    backend.lock().clock = Some(clock);
    let arn = web_api_registered(&backend).await;
    let mut ft = crate::support::examples::load(&[example]).tasks[0].clone();
    ft.metadata.uid = Some(uid.into());
    ft.metadata.generation = Some(1);
    (backend, ft, arn)
}

/// One engine reconcile of `ft` at `now` with the TaskDefinition's current revision `arn`;
/// the status it reports is written back onto `ft`.
pub async fn task_step(
    backend: &SimBackend,
    ft: &mut FargateTask,
    arn: &str,
    now: Timestamp,
) -> Reconciled<FargateTaskStatus> {
    let r = reconcile_fargate_task(
        &backend.aws(),
        &PlanConfig::default(),
        ft,
        Some(arn),
        5,
        now,
    )
    .await;
    ft.status = Some(r.status.clone());
    r
}

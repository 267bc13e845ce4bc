//! Fault injection (`testing::faults`) under the production retry layer (`Aws::retried`), on the
//! in-memory AWS stand-in: throttling, server errors and lost answers at chosen rates.
//!
//! The stand-in rather than moto: the faults are injected at the AWS trait, below the
//! retry layer, and the stand-in counts the API requests each call would make, which is
//! the figure compared with a clean run. Objects are applied one at a time and the faults
//! are seeded, so each run is the same run. The objects that failed are applied again, as
//! the controller's requeue would, at most `ROUNDS` times.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use fargate_operator::aws::retry::RetryPolicy;
use fargate_operator::aws::Aws;
use fargate_operator::engine::run::{self, ApplyOptions, ObjectResult};
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::PlanConfig;
use fargate_operator::testing::{FaultRates, Faults, Inventory, SimBackend};
use support::sim::fresh;

const ROUNDS: usize = 10;

/// `n` copies of the web-api example over 3 clusters.
fn objects(n: usize) -> Manifests {
    let one = support::examples::web_api_pair();
    let mut m = Manifests {
        task_definitions: vec![],
        services: vec![],
        tasks: vec![],
        skipped: vec![],
        ..Default::default()
    };
    for i in 0..n {
        let cluster = format!("faults-{}", i % 3);
        let (td, fs) = support::examples::copy(&one, &format!("app-{i:03}"), None, cluster);
        m.task_definitions.push(td);
        m.services.push(fs);
    }
    m
}

/// Retries in place with short delays (the default's shape, 1/100 of its times).
fn retried(aws: Aws) -> Aws {
    aws.retried(RetryPolicy {
        first: Duration::from_millis(1),
        max: Duration::from_millis(50),
        ..RetryPolicy::default()
    })
}

fn failures(results: &[ObjectResult]) -> Vec<(String, (String, String))> {
    results
        .iter()
        .filter_map(|r| r.failure.clone().map(|f| (r.name.clone(), f)))
        .collect()
}

/// Applies `m`, then again the objects that failed, until every object is in sync; returns
/// the rounds it took.
async fn converge(aws: &Aws, m: &Manifests) -> usize {
    let mut todo = m.clone();
    for round in 1..=ROUNDS {
        let results =
            run::apply(aws, &PlanConfig::default(), &todo, &ApplyOptions::default()).await;
        let failed: Vec<String> = results
            .iter()
            .filter(|r| r.failure.is_some() || !r.synced())
            .map(|r| r.name.clone())
            .collect();
        if failed.is_empty() {
            return round;
        }
        assert!(
            round < ROUNDS,
            "not converged after {ROUNDS} rounds: {:?}",
            failures(&results)
        );
        // A pair shares its name: retry both halves of a pair with a failure.
        let again = |name: &Option<String>| name.as_ref().is_some_and(|n| failed.contains(n));
        todo.task_definitions.retain(|td| again(&td.metadata.name));
        todo.services.retain(|fs| again(&fs.metadata.name));
    }
    unreachable!()
}

fn requests(backend: &SimBackend) -> u64 {
    support::sim::requests(backend).values().sum()
}

/// A clean run of `m`: its account inventory and the API requests it took.
async fn clean(m: &Manifests) -> (Inventory, u64) {
    let backend = fresh();
    assert_eq!(converge(&retried(backend.aws()), m).await, 1);
    let inv = backend.lock().inventory();
    (inv, requests(&backend))
}

#[tokio::test]
async fn half_throttled_and_5pc_server_errors_converge_within_1_2x_the_requests() {
    let m = objects(30);
    let (expected, clean_requests) = clean(&m).await;
    assert_eq!(
        (
            expected.active_services,
            expected.active_revisions,
            expected.roles,
            expected.log_groups,
            expected.scalable_targets
        ),
        (30, 30, 60, 30, 30)
    );

    let backend = fresh();
    let faults = Arc::new(Faults::new(
        FaultRates {
            throttling: 0.5,
            server_errors: 0.05,
            ..Default::default()
        },
        7,
    ));
    let aws = retried(backend.aws().instrumented(faults.clone()));
    let rounds = converge(&aws, &m).await;

    assert_eq!(
        backend.lock().inventory(),
        expected,
        "duplicates or leftovers"
    );
    let throttled = faults.injected.throttled.load(Ordering::Relaxed);
    let server_errors = faults.injected.server_errors.load(Ordering::Relaxed);
    let served = requests(&backend);
    println!(
        "{rounds} round(s); {served} requests served vs {clean_requests} clean; \
         {throttled} throttled and {server_errors} server errors injected"
    );
    // About half of all calls were refused (the rate is per call, seeded).
    assert!(
        throttled as f64 > 0.4 * (served + throttled) as f64,
        "{throttled}"
    );
    assert!(server_errors > 0);
    // The refused calls are retried in place: the work AWS does stays close to a clean run's.
    assert!(
        served as f64 <= 1.2 * clean_requests as f64,
        "{served} requests served vs {clean_requests} in a clean run"
    );
}

#[tokio::test]
async fn lost_answers_are_not_repeated_into_duplicates() {
    // 10 % of calls happen but their answers are lost (a timeout after AWS acted), on top
    // of throttling. A lost RegisterTaskDefinition or CreateRole must not be made twice.
    let m = objects(20);
    let (expected, _) = clean(&m).await;
    let backend = fresh();
    let faults = Arc::new(Faults::new(
        FaultRates {
            throttling: 0.2,
            timeouts: 0.1,
            ..Default::default()
        },
        11,
    ));
    let aws = retried(backend.aws().instrumented(faults.clone()));
    converge(&aws, &m).await;
    assert!(faults.injected.timeouts.load(Ordering::Relaxed) > 10);
    assert_eq!(
        backend.lock().inventory(),
        expected,
        "duplicates or leftovers"
    );
}

#[tokio::test]
async fn without_in_place_retries_half_throttling_does_not_converge() {
    // The reason for the retry layer: with every throttled call failing its reconcile, an
    // object needs every one of its ~20 calls to pass in one attempt (0.5^20).
    let m = objects(3);
    let backend = fresh();
    let faults = Arc::new(Faults::new(
        FaultRates {
            throttling: 0.5,
            ..Default::default()
        },
        3,
    ));
    let aws = backend
        .aws()
        .instrumented(faults)
        .retried(RetryPolicy::NONE);
    let results = run::apply(&aws, &PlanConfig::default(), &m, &ApplyOptions::default()).await;
    assert!(
        results.iter().any(|r| r.failure.is_some()),
        "converged without retries"
    );
}

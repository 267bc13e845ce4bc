//! Crash harness: the executor dies right after its k-th AWS call (AWS did the call, the
//! operator never saw the answer, and nothing after it is sent), for every k of a create,
//! an update, a delete and a restart; then the operator restarts with a fresh executor.
//! Whatever k, the objects converge with no duplicate service, role or revision, no object
//! needs a human, and a restart (`restartedAt`) is never lost and forced at most once more.
//! Runs against the in-memory stand-in (`testing::backend`): moto silently replaces a duplicate
//! service and drops CreateService's client token, so it cannot show duplicates.

mod support;

use std::sync::{Arc, Mutex};

use fargate_operator::api::{RESTARTED_AT_ANNOTATION, RESTARTED_AT_TAG};
use fargate_operator::aws::instrument::{Call, CallHook};
use fargate_operator::aws::{AwsError, AwsOp};
use fargate_operator::engine::run::{self, ObjectResult};
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::service::restart_tag;
use fargate_operator::testing::SimBackend;
use support::crash::CrashAfter;
use support::sim::{apply, fresh};

/// The operations of a clean run, in order (to size the loop over k and name call k).
#[derive(Default)]
struct Record(Mutex<Vec<AwsOp>>);

impl CallHook for Record {
    fn after(&self, call: Call, _error: Option<&AwsError>) -> Option<AwsError> {
        if let Ok(mut ops) = self.0.lock() {
            ops.push(call.op);
        }
        None
    }
}

fn examples() -> Manifests {
    support::examples::load(&["web-api.yaml", "worker-spot.yaml"])
}

fn updated(m: &Manifests) -> Manifests {
    let mut m = m.clone();
    for td in &mut m.task_definitions {
        td.spec.containers[0].image = format!("{}-patched", td.spec.containers[0].image);
    }
    for fs in &mut m.services {
        fs.spec.desired_count += 1;
    }
    m
}

/// Every object finished: applied and in sync, or (delete) cleaned up.
fn converged(results: &[ObjectResult]) -> bool {
    results.iter().all(|r| {
        let cleanup =
            r.task_definition.is_none() && r.fargate_service.is_none() && r.fargate_task.is_none();
        r.failure.is_none() && (cleanup || r.synced())
    })
}

/// Runs `step` with a crash after every k in 1..=calls of a clean run, then a restart
/// (`restart`, up to 3 times, as a controller would requeue); checks the account matches
/// the clean run's.
async fn crash_everywhere(
    name: &str,
    setup: impl AsyncFn(&SimBackend),
    step: impl AsyncFn(&fargate_operator::aws::Aws) -> Vec<ObjectResult>,
) {
    crash_everywhere_tolerating(name, &[], setup, step).await;
}

/// [`crash_everywhere`], where a crash at a call of `tolerated` (a read whose failure the
/// operator deliberately survives, keeping what its status had) may go unnoticed; a crash
/// at any other call must leave the run unfinished.
async fn crash_everywhere_tolerating(
    name: &str,
    tolerated: &[AwsOp],
    setup: impl AsyncFn(&SimBackend),
    step: impl AsyncFn(&fargate_operator::aws::Aws) -> Vec<ObjectResult>,
) {
    let clean = fresh();
    setup(&clean).await;
    let record = Arc::new(Record::default());
    assert!(converged(
        &step(&clean.aws().instrumented(record.clone())).await
    ));
    let ops = record.0.lock().map(|o| o.clone()).unwrap_or_default();
    let calls = ops.len();
    assert!(calls > 3, "{name}: {calls} calls");
    let expected = clean.lock().inventory();
    let mut needed_restarts = 0;

    for k in 1..=calls {
        let backend = fresh();
        setup(&backend).await;
        let crash = Arc::new(CrashAfter::call(k));
        let crashed = step(&backend.aws().instrumented(crash)).await;
        assert!(
            !converged(&crashed) || k == calls || tolerated.contains(&ops[k - 1]),
            "{name}: a crash at call {k} ({:?}) went unnoticed",
            ops[k - 1]
        );
        let mut restarts = 0;
        loop {
            restarts += 1;
            let results = step(&backend.aws()).await;
            if converged(&results) {
                needed_restarts = needed_restarts.max(restarts);
                break;
            }
            assert!(
                restarts < 3,
                "{name}, crash at call {k}/{calls}: still not converged after {restarts} restarts: {:?}",
                results
                    .iter()
                    .filter_map(|r| r.failure.clone().map(|f| (r.name.clone(), f)))
                    .collect::<Vec<_>>()
            );
        }
        assert_eq!(
            backend.lock().inventory(),
            expected,
            "{name}, crash at call {k}/{calls}: the account differs from a clean run"
        );
    }
    println!("{name}: {calls} crash points, at most {needed_restarts} restart(s) each");
}

/// A one-off run (examples/migrate.yaml, with the web-api example it runs and whose service
/// makes its cluster): wherever the operator crashes — after RunTask included, its answer
/// lost — the restarted operator finds the attempt's task by `startedBy` and its tags, and
/// the account holds exactly one task, as after a clean run.
#[tokio::test]
async fn a_crash_at_any_call_of_a_one_off_run_starts_exactly_one_task() {
    let m = support::examples::load(&["web-api.yaml", "migrate.yaml"]);
    crash_everywhere(
        "one-off run",
        async |_| {},
        async |aws| apply(aws, &m).await,
    )
    .await;
    // The clean run's inventory (compared at every crash point) holds one task.
    let clean = fresh();
    assert!(converged(&apply(&clean.aws(), &m).await));
    assert_eq!(clean.lock().inventory().tasks, 1);
    assert_eq!(clean.lock().calls.get("RunTask"), Some(&1));
}

/// A FargateService's preDeploy (examples/migrate-before-rollout.yaml): on the first create
/// (the task runs before the service exists) and on a new revision (the service keeps its
/// running one), wherever the operator crashes — after RunTask included — the restarted
/// operator, which has no status (`apply`), finds the task by `startedBy` and its tags:
/// exactly one preDeploy task per revision, as after a clean run.
#[tokio::test]
async fn a_crash_at_any_call_of_a_pre_deploy_starts_exactly_one_task() {
    let m = support::examples::load(&["migrate-before-rollout.yaml"]);
    crash_everywhere(
        "preDeploy on create",
        async |_| {},
        async |aws| apply(aws, &m).await,
    )
    .await;
    let clean = fresh();
    assert!(converged(&apply(&clean.aws(), &m).await));
    assert_eq!(clean.lock().inventory().tasks, 1);
    assert_eq!(
        clean.lock().inventory().active_services,
        0,
        "held until it succeeds"
    );

    // The migration succeeded and the service runs; a new image runs it once more.
    let m2 = updated(&m);
    let finished = async |b: &SimBackend| {
        assert!(converged(&apply(&b.aws(), &m).await));
        let running = b.lock().running_tasks();
        for t in running {
            b.lock().finish_task(&t, 0);
        }
        assert!(converged(&apply(&b.aws(), &m).await));
        assert_eq!(b.lock().inventory().active_services, 1);
    };
    crash_everywhere("preDeploy on update", finished, async |aws| {
        apply(aws, &m2).await
    })
    .await;
    let clean = fresh();
    finished(&clean).await;
    assert!(converged(&apply(&clean.aws(), &m2).await));
    assert_eq!(clean.lock().inventory().tasks, 2);
    assert_eq!(clean.lock().running_tasks().len(), 1);
    assert_eq!(clean.lock().calls.get("RunTask"), Some(&2));
}

/// A scheduled FargateTask (examples/nightly-report.yaml): schedules cannot be tagged and
/// CreateSchedule's answer may be lost, so a restarted operator must find its schedule by
/// name and recognise it by the owner tags its target puts on each run, and its scheduler
/// role by its tags: wherever it crashes, creating or deleting, the account ends as after a
/// clean run (one schedule and its role; then none), with no Conflict and no task started.
#[tokio::test]
async fn a_crash_at_any_call_of_a_schedule_leaves_one_schedule_then_none() {
    let m = support::examples::load(&["web-api.yaml", "nightly-report.yaml"]);
    // Listing the schedule's runs is the last read of a reconcile; a failed listing keeps
    // the runs the status had, so a crash there may leave the object converged.
    let runs = [AwsOp::ListTasks, AwsOp::DescribeTasks];
    crash_everywhere_tolerating(
        "schedule create",
        &runs,
        async |_| {},
        async |aws| apply(aws, &m).await,
    )
    .await;
    let clean = fresh();
    assert!(converged(&apply(&clean.aws(), &m).await));
    let made = clean.lock().inventory();
    assert_eq!((made.schedules, made.tasks), (1, 0));

    crash_everywhere_tolerating(
        "schedule delete",
        &runs,
        async |b| assert!(converged(&apply(&b.aws(), &m).await)),
        async |aws| run::delete(aws, &m, fargate_operator::engine::DEFAULT_MAX_PASSES).await,
    )
    .await;
    run::delete(
        &clean.aws(),
        &m,
        fargate_operator::engine::DEFAULT_MAX_PASSES,
    )
    .await;
    let left = clean.lock().inventory();
    assert_eq!((left.schedules, left.roles, left.tasks), (0, 0, 0));
}

#[tokio::test]
async fn a_crash_at_any_call_of_a_create_leaves_no_duplicate() {
    let m = examples();
    crash_everywhere("create", async |_| {}, async |aws| apply(aws, &m).await).await;
}

#[tokio::test]
async fn a_crash_at_any_call_of_an_update_leaves_no_duplicate() {
    let m = examples();
    let m2 = updated(&m);
    crash_everywhere(
        "update",
        async |b| assert!(converged(&apply(&b.aws(), &m).await)),
        async |aws| apply(aws, &m2).await,
    )
    .await;
}

#[tokio::test]
async fn a_crash_at_any_call_of_a_delete_leaves_nothing_behind() {
    let m = examples();
    crash_everywhere(
        "delete",
        async |b| assert!(converged(&apply(&b.aws(), &m).await)),
        async |aws| run::delete(aws, &m, fargate_operator::engine::DEFAULT_MAX_PASSES).await,
    )
    .await;
    // And the account is really empty (not just equal to a clean delete).
    let b = fresh();
    assert!(converged(&apply(&b.aws(), &m).await));
    run::delete(&b.aws(), &m, fargate_operator::engine::DEFAULT_MAX_PASSES).await;
    let left = b.lock().inventory();
    assert_eq!(
        (
            left.active_services,
            left.roles,
            left.active_revisions,
            left.log_groups,
            left.scalable_targets
        ),
        (0, 0, 0, 0, 0)
    );
}

/// The examples with `ecs.fargate.dev/restartedAt: value` on every FargateService.
fn restarted(m: &Manifests, value: &str) -> Manifests {
    let mut m = m.clone();
    for fs in &mut m.services {
        fs.metadata
            .annotations
            .get_or_insert_default()
            .insert(RESTARTED_AT_ANNOTATION.into(), value.into());
    }
    m
}

#[tokio::test]
async fn a_crash_at_any_call_of_a_restart_neither_loses_it_nor_forces_it_more_than_once_extra() {
    let m = examples();
    let value = "2026-11-29T06:00:00Z";
    let m2 = restarted(&m, value);
    let services = m.services.len();
    let clean = fresh();
    assert!(converged(&apply(&clean.aws(), &m).await));
    let record = Arc::new(Record::default());
    assert!(converged(
        &apply(&clean.aws().instrumented(record.clone()), &m2).await
    ));
    assert_eq!(clean.lock().forced_deployments, services, "one per service");
    let calls = record.0.lock().map(|o| o.len()).unwrap_or_default();

    for k in 1..=calls {
        let backend = fresh();
        assert!(converged(&apply(&backend.aws(), &m).await));
        apply(
            &backend.aws().instrumented(Arc::new(CrashAfter::call(k))),
            &m2,
        )
        .await;
        let mut restarts = 0;
        while !converged(&apply(&backend.aws(), &m2).await) {
            restarts += 1;
            assert!(restarts < 3, "crash at call {k}/{calls}: not converged");
        }
        let forced = backend.lock().forced_deployments;
        // One crash loses one answer: at most one UpdateService is repeated.
        assert!(
            (services..=services + 1).contains(&forced),
            "crash at call {k}/{calls}: {forced} deployments forced for {services} restarts"
        );
        for s in backend.lock().services.values() {
            assert_eq!(
                s.tags.get(RESTARTED_AT_TAG),
                Some(&restart_tag(value)),
                "crash at call {k}/{calls}: {} records the restart as done",
                s.arn
            );
        }
        assert!(converged(&apply(&backend.aws(), &m2).await));
        assert_eq!(
            backend.lock().forced_deployments,
            forced,
            "crash at call {k}/{calls}: a later apply forces nothing"
        );
    }
    println!("restart: {calls} crash points");
}

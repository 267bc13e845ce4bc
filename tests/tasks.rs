//! FargateTask runs on the in-memory stand-in (`testing::backend`), where tasks end the way a
//! test says (moto runs no containers: its tasks never exit): exit codes, `backoffLimit`
//! retries, `activeDeadlineSeconds` stopping the tasks, the status a failed run reports,
//! deletion, and tasks that are not the object's. Each step is one reconcile from the
//! status the previous one wrote, as the controller runs it.

mod support;

use fargate_operator::api::conditions::{condition_types as ct, is_true, reasons};
use fargate_operator::api::fargatetask::{FargateTask, TaskPhase};
use fargate_operator::api::FargateTaskStatus;
use fargate_operator::api::{ATTEMPT_TAG, UID_TAG};
use fargate_operator::engine::task::{cleanup_fargate_task, reconcile_fargate_task};
use fargate_operator::engine::Sync;
use fargate_operator::plan::PlanConfig;
use fargate_operator::testing::SimBackend;
use k8s_openapi::jiff::Timestamp;
use support::sim::{fresh, task_setup, task_step};

/// When the stand-in's tasks were created.
const CREATED: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn at(offset: i64) -> Timestamp {
    Timestamp::from_second(CREATED + offset).unwrap()
}

/// An account with the web-api example applied (its revision registered, its cluster
/// made), and the migrate example's FargateTask as the API server would hold it.
async fn setup() -> (SimBackend, FargateTask, String) {
    task_setup(
        fresh(),
        at(0),
        "migrate.yaml",
        "0f8e2a4c-0000-4000-8000-000000000001",
    )
    .await
}

fn run_tasks(backend: &SimBackend) -> usize {
    backend.lock().calls.get("RunTask").copied().unwrap_or(0)
}

fn status(ft: &FargateTask) -> &FargateTaskStatus {
    ft.status.as_ref().expect("status")
}

/// The ARN of the task of attempt `n` (1 first).
fn task_of(ft: &FargateTask, n: usize) -> String {
    status(ft).attempts[n - 1].tasks[0].task_arn.clone()
}

#[tokio::test]
async fn a_run_starts_once_reports_its_task_and_logs_and_succeeds_on_exit_0() {
    let (backend, mut ft, arn) = setup().await;
    let r = task_step(&backend, &mut ft, &arn, at(5)).await;
    assert_eq!(r.sync, Sync::InSync);
    assert_eq!(r.applied.len(), 1, "{:?}", r.applied);
    assert_eq!(r.applied[0].action, "RunTask");
    let s = status(&ft);
    assert_eq!(s.phase, Some(TaskPhase::Running));
    assert_eq!(s.task_definition_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(s.attempt_count, Some(1));
    let task = s.attempts[0].tasks[0].clone();
    let id = task.task_arn.rsplit('/').next().unwrap();
    let api = &task.containers[0];
    assert_eq!(api.name, "api");
    assert_eq!(api.log_group.as_deref(), Some("/ecs/shop_web-api"));
    assert_eq!(api.log_stream, Some(format!("api/api/{id}")));
    assert!(is_true(&s.conditions, ct::PROGRESSING));
    assert!(!is_true(&s.conditions, ct::READY));
    // The task carries its owner, generation and attempt; startedBy names the object.
    {
        let sim = backend.lock();
        let t = &sim.tasks[&task.task_arn];
        assert_eq!(t.tags.get(ATTEMPT_TAG).map(String::as_str), Some("1"));
        assert_eq!(t.tags.get(UID_TAG), ft.metadata.uid.as_ref());
        assert_eq!(t.tags.get("team").map(String::as_str), Some("shop"));
        assert!(t.started_by.as_deref().unwrap().starts_with("migrate-"));
    }

    // While it runs, reconciles start nothing.
    task_step(&backend, &mut ft, &arn, at(60)).await;
    assert_eq!(run_tasks(&backend), 1);

    backend.lock().finish_task(&task.task_arn, 0);
    let r = task_step(&backend, &mut ft, &arn, at(120)).await;
    assert!(r.applied.is_empty());
    let s = status(&ft);
    assert_eq!(s.phase, Some(TaskPhase::Succeeded));
    assert_eq!(s.attempts[0].tasks[0].containers[0].exit_code, Some(0));
    assert!(s.finished_at.is_some());
    assert!(is_true(&s.conditions, ct::READY));
    assert!(!is_true(&s.conditions, ct::PROGRESSING));
    assert!(!is_true(&s.conditions, ct::DEGRADED));

    // A finished run is not read again: no AWS request at all.
    let before = backend.lock().requests.clone();
    let r = task_step(&backend, &mut ft, &arn, at(500)).await;
    assert_eq!(r.sync, Sync::InSync);
    assert_eq!(backend.lock().requests, before);
    assert_eq!(run_tasks(&backend), 1);
}

#[tokio::test]
async fn a_new_generation_runs_once_more_and_a_lost_status_runs_nothing_new() {
    let (backend, mut ft, arn) = setup().await;
    task_step(&backend, &mut ft, &arn, at(5)).await;
    // The status write was lost (a crash after RunTask): the task is found by its startedBy
    // and tags, not started again.
    ft.status = None;
    task_step(&backend, &mut ft, &arn, at(10)).await;
    assert_eq!(run_tasks(&backend), 1);
    assert_eq!(status(&ft).attempts.len(), 1);
    backend.lock().finish_task(&task_of(&ft, 1), 0);
    task_step(&backend, &mut ft, &arn, at(20)).await;
    assert_eq!(status(&ft).phase, Some(TaskPhase::Succeeded));

    ft.metadata.generation = Some(2);
    ft.spec.overrides.as_mut().unwrap().containers[0].command =
        vec!["./manage".into(), "check".into()];
    task_step(&backend, &mut ft, &arn, at(30)).await;
    task_step(&backend, &mut ft, &arn, at(40)).await;
    assert_eq!(run_tasks(&backend), 2);
    let s = status(&ft);
    assert_eq!(s.run_generation, Some(2));
    assert_eq!(s.phase, Some(TaskPhase::Running));
    assert_eq!(s.attempts.len(), 1, "the new generation's attempts only");
}

#[tokio::test]
async fn a_non_zero_exit_fails_the_run_naming_the_exit_code() {
    let (backend, mut ft, arn) = setup().await;
    ft.spec.backoff_limit = 0;
    task_step(&backend, &mut ft, &arn, at(5)).await;
    backend.lock().finish_task(&task_of(&ft, 1), 3);
    let r = task_step(&backend, &mut ft, &arn, at(60)).await;
    assert_eq!(r.sync, Sync::InSync);
    assert!(r.applied.is_empty(), "no retry: {:?}", r.applied);
    let s = status(&ft);
    assert_eq!(s.phase, Some(TaskPhase::Failed));
    assert_eq!(s.attempts[0].outcome, TaskPhase::Failed);
    assert_eq!(s.attempts[0].tasks[0].containers[0].exit_code, Some(3));
    let failure = s.failure.as_deref().unwrap();
    assert!(
        failure.contains("container api exited with code 3"),
        "{failure}"
    );
    let degraded = support::results::assert_condition(
        &s.conditions,
        ct::DEGRADED,
        "True",
        reasons::RUN_FAILED,
    );
    assert!(degraded.message.contains("code 3"));
    assert!(!is_true(&s.conditions, ct::READY));
    assert!(!is_true(&s.conditions, ct::PROGRESSING));
    assert_eq!(run_tasks(&backend), 1);
}

#[tokio::test]
async fn backoff_limit_retries_each_failure_with_its_reason_recorded() {
    let (backend, mut ft, arn) = setup().await;
    ft.spec.backoff_limit = 2;
    task_step(&backend, &mut ft, &arn, at(5)).await;
    backend.lock().finish_task(&task_of(&ft, 1), 1);
    let r = task_step(&backend, &mut ft, &arn, at(60)).await;
    assert_eq!(r.applied.len(), 1);
    assert!(
        r.applied[0].description.contains("attempt 2"),
        "{:?}",
        r.applied
    );
    assert_eq!(status(&ft).phase, Some(TaskPhase::Running));
    // A task stopped before its container exited (a Spot interruption) fails too.
    let second = task_of(&ft, 2);
    {
        let mut sim = backend.lock();
        let t = sim.tasks.get_mut(&second).unwrap();
        t.last_status = "STOPPED".into();
        t.desired_status = "STOPPED".into();
        t.stopped_reason = Some("Your Spot Task was interrupted.".into());
        t.stop_code = Some("SpotInterruption".into());
    }
    task_step(&backend, &mut ft, &arn, at(120)).await;
    backend.lock().finish_task(&task_of(&ft, 3), 0);
    task_step(&backend, &mut ft, &arn, at(180)).await;
    let s = status(&ft);
    assert_eq!(run_tasks(&backend), 3);
    assert_eq!(s.phase, Some(TaskPhase::Succeeded));
    let outcomes: Vec<_> = s.attempts.iter().map(|a| (a.attempt, a.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (1, TaskPhase::Failed),
            (2, TaskPhase::Failed),
            (3, TaskPhase::Succeeded)
        ]
    );
    assert!(s.attempts[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("exited with code 1"));
    assert!(s.attempts[1]
        .reason
        .as_deref()
        .unwrap()
        .contains("Spot Task was interrupted"));
    let sim = backend.lock();
    let attempt_of = |arn: &str| sim.tasks[arn].tags[ATTEMPT_TAG].clone();
    assert_eq!(attempt_of(&second), "2");
}

#[tokio::test]
async fn the_last_allowed_failure_fails_the_run() {
    let (backend, mut ft, arn) = setup().await;
    ft.spec.backoff_limit = 1;
    task_step(&backend, &mut ft, &arn, at(5)).await;
    backend.lock().finish_task(&task_of(&ft, 1), 2);
    task_step(&backend, &mut ft, &arn, at(10)).await;
    backend.lock().finish_task(&task_of(&ft, 2), 2);
    task_step(&backend, &mut ft, &arn, at(20)).await;
    let s = status(&ft);
    assert_eq!(s.phase, Some(TaskPhase::Failed));
    assert_eq!(run_tasks(&backend), 2);
    assert!(s
        .failure
        .as_deref()
        .unwrap()
        .starts_with("attempt 2 of 2 failed"));
}

#[tokio::test]
async fn active_deadline_stops_the_tasks_and_fails_the_run_without_retrying() {
    let (backend, mut ft, arn) = setup().await;
    ft.spec.active_deadline_seconds = Some(1800);
    ft.spec.backoff_limit = 3;
    task_step(&backend, &mut ft, &arn, at(5)).await;
    let task = task_of(&ft, 1);
    let r = task_step(&backend, &mut ft, &arn, at(1000)).await;
    assert!(r.applied.is_empty());
    let r = task_step(&backend, &mut ft, &arn, at(1801)).await;
    assert_eq!(r.applied.len(), 1);
    assert_eq!(r.applied[0].action, "StopTask");
    let s = status(&ft);
    assert_eq!(s.phase, Some(TaskPhase::Failed));
    let degraded = s
        .conditions
        .iter()
        .find(|c| c.type_ == ct::DEGRADED)
        .unwrap();
    assert_eq!(degraded.reason, reasons::DEADLINE_EXCEEDED);
    {
        let sim = backend.lock();
        let t = &sim.tasks[&task];
        assert_eq!(t.last_status, "STOPPED");
        assert!(t
            .stopped_reason
            .as_deref()
            .unwrap()
            .contains("activeDeadlineSeconds"));
    }
    task_step(&backend, &mut ft, &arn, at(2000)).await;
    assert_eq!(run_tasks(&backend), 1, "a deadline is not retried");
    assert_eq!(backend.lock().calls.get("StopTask"), Some(&1));
}

#[tokio::test]
async fn deletion_stops_running_tasks_unless_retained_and_never_anothers() {
    let (backend, mut ft, arn) = setup().await;
    task_step(&backend, &mut ft, &arn, at(5)).await;
    let mine = task_of(&ft, 1);
    // A task with the same startedBy whose tags name another object's incarnation.
    let theirs = {
        let mut sim = backend.lock();
        let mut t = sim.tasks[&mine].clone();
        t.task_arn = format!("{mine}-other");
        t.tags.insert(UID_TAG.into(), "someone-else".into());
        sim.tasks.insert(t.task_arn.clone(), t.clone());
        t.task_arn
    };
    // Another step neither adopts nor stops it.
    task_step(&backend, &mut ft, &arn, at(10)).await;
    assert_eq!(status(&ft).attempts[0].tasks.len(), 1);

    let mut retained = ft.clone();
    retained.spec.deletion_policy = fargate_operator::api::fargateservice::DeletionPolicy::Retain;
    let c = cleanup_fargate_task(&backend.aws(), &retained, 5).await;
    assert_eq!(c.sync, Sync::InSync);
    assert_eq!(backend.lock().running_tasks().len(), 2);

    let c = cleanup_fargate_task(&backend.aws(), &ft, 5).await;
    assert_eq!(c.sync, Sync::InSync);
    assert_eq!(c.applied.len(), 1);
    assert_eq!(backend.lock().running_tasks(), [theirs]);
    // Again: nothing left to stop.
    let c = cleanup_fargate_task(&backend.aws(), &ft, 5).await;
    assert!(c.applied.is_empty());
}

#[tokio::test]
async fn a_missing_cluster_or_revision_waits_instead_of_running() {
    let (backend, mut ft, arn) = setup().await;
    let mut elsewhere = ft.clone();
    elsewhere.spec.cluster.name = "nowhere".into();
    let r = task_step(&backend, &mut elsewhere, &arn, at(5)).await;
    assert!(
        matches!(r.sync, Sync::Waiting { reason, .. } if reason == reasons::CLUSTER_NOT_FOUND),
        "{:?}",
        r.sync
    );
    let r =
        reconcile_fargate_task(&backend.aws(), &PlanConfig::default(), &ft, None, 5, at(5)).await;
    assert!(
        matches!(r.sync, Sync::Waiting { reason, .. } if reason == reasons::WAITING_FOR_TASK_DEFINITION),
        "{:?}",
        r.sync
    );
    assert_eq!(run_tasks(&backend), 0);
    // An invalid spec is refused before any AWS call.
    ft.spec.count = 11;
    let before = backend.lock().requests.clone();
    let r = task_step(&backend, &mut ft, &arn, at(5)).await;
    assert!(matches!(r.sync, Sync::Failed { reason, .. } if reason == reasons::INVALID_SPEC));
    assert_eq!(backend.lock().requests, before);
}

#[test]
fn plan_shows_the_run_it_would_start() {
    use fargate_operator::batch::{plan_all, render_text};
    use fargate_operator::plan::ChangeKind;
    let m = support::examples::load(&["web-api.yaml", "migrate.yaml"]);
    let plans = plan_all(
        &m,
        &PlanConfig::default(),
        |_| Default::default(),
        |_, _, _| Default::default(),
    );
    let task = plans
        .iter()
        .find(|p| p.kind == "FargateTask")
        .expect("planned");
    assert_eq!(
        (task.namespace.as_str(), task.name.as_str()),
        ("shop", "migrate")
    );
    let actions = &task.plan().expect("a plan").actions;
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].name(), "RunTask");
    assert_eq!(actions[0].kind(), ChangeKind::Create);
    let text = render_text(&plans);
    assert!(
        text.contains("+ run 1 × shop_web-api:<new revision> in cluster shop (attempt 1"),
        "{text}"
    );
}

/// `apply --wait` follows a run to its end: Ready once it succeeded, or the object's failure
/// (exit code 1) naming the exit code when it failed.
#[tokio::test]
async fn apply_wait_follows_the_run_to_its_end() {
    use fargate_operator::engine::run::{self, ApplyOptions};
    use std::time::Duration;

    for (exit_code, succeeds) in [(0, true), (3, false)] {
        let backend = fresh();
        let mut m = support::examples::load(&["web-api.yaml", "migrate.yaml"]);
        m.tasks[0].spec.backoff_limit = 0;
        let options = ApplyOptions {
            wait: true,
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(10),
            ..ApplyOptions::default()
        };
        let aws = backend.aws();
        let waiting =
            tokio::spawn(
                async move { run::apply(&aws, &PlanConfig::default(), &m, &options).await },
            );
        // ECS's part: the task runs, then its container exits.
        let task = loop {
            if let Some(t) = backend.lock().running_tasks().first().cloned() {
                break t;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        backend.lock().finish_task(&task, exit_code);
        backend.lock().finish_deployments(); // the service --wait also waits for
        let results = waiting.await.expect("joins");
        let r = results.iter().find(|r| r.kind == "FargateTask").unwrap();
        let s = r.fargate_task.as_ref().unwrap();
        if succeeds {
            assert!(r.failure.is_none() && r.ready(), "{:?}", r.failure);
            assert_eq!(s.phase, Some(TaskPhase::Succeeded));
        } else {
            let (reason, message) = r.failure.clone().expect("a failed run fails apply");
            assert_eq!(reason, reasons::RUN_FAILED);
            assert!(message.contains("exited with code 3"), "{message}");
        }
        assert_eq!(run_tasks(&backend), 1);
    }
}

//! Scheduled FargateTasks (`spec.schedule`) on the in-memory stand-in (`testing::backend`):
//! the schedule and its managed scheduler role as EventBridge Scheduler and IAM would hold
//! them, changes to expression, suspension and revision, the runs a schedule starts (the
//! stand-in fires a schedule when a test says so: neither it nor moto runs schedules) in the
//! status, newest first, bounded and kept after ECS forgets them, a failed run, a schedule of
//! another owner, removing the schedule, deletion, and a tenant's account. Each step is one
//! reconcile from the status the previous one wrote, as the controller runs it.

mod support;

use fargate_operator::api::conditions::{condition_types as ct, is_true, reasons};
use fargate_operator::api::fargatetask::{FargateTask, TaskPhase};
use fargate_operator::api::schedule::{RECENT_RUNS, SCHEDULE_GROUP};
use fargate_operator::api::{FargateTaskStatus, OWNER_TAG, SCHEDULE_TAG, UID_TAG};
use fargate_operator::engine::task::{cleanup_fargate_task, reconcile_fargate_task};
use fargate_operator::engine::{Reconciled, Sync};
use fargate_operator::plan::model::RoleRef;
use fargate_operator::plan::PlanConfig;
use fargate_operator::testing::{SimAws, SimBackend};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;
use support::results::assert_condition;
use support::sim::{fresh, task_setup, task_step};

const CREATED: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const NAME: &str = "fgo_shop_nightly-report";
const ROLE: &str = "fgo_shop_nightly-report_sched";

fn at(offset: i64) -> Timestamp {
    Timestamp::from_second(CREATED + offset).unwrap()
}

/// `backend` with the web-api example applied (its revision registered, its cluster made),
/// and the nightly-report example's FargateTask as the API server would hold it.
async fn setup_in(backend: SimBackend) -> (SimBackend, FargateTask, String) {
    let uid = "5c4d3e2f-0000-4000-8000-000000000018";
    task_setup(backend, at(0), "nightly-report.yaml", uid).await
}

async fn setup() -> (SimBackend, FargateTask, String) {
    setup_in(fresh()).await
}

/// One reconcile with the TaskDefinition's current revision `arn`; the status it reports is
/// written back onto `ft`.
async fn step(
    backend: &SimBackend,
    ft: &mut FargateTask,
    arn: &str,
) -> Reconciled<FargateTaskStatus> {
    step_at(backend, ft, arn, at(30)).await
}

/// [`step`] at `now` (the stand-in's clock set to it too).
async fn step_at(
    backend: &SimBackend,
    ft: &mut FargateTask,
    arn: &str,
    now: Timestamp,
) -> Reconciled<FargateTaskStatus> {
    backend.lock().clock = Some(now);
    task_step(backend, ft, arn, now).await
}

/// A spec edit: the API server bumps the generation.
fn edit(ft: &mut FargateTask, change: impl FnOnce(&mut FargateTask)) {
    change(ft);
    ft.metadata.generation = Some(ft.metadata.generation.unwrap_or(1) + 1);
}

fn actions(r: &Reconciled<FargateTaskStatus>) -> Vec<&'static str> {
    r.applied.iter().map(|a| a.action).collect()
}

fn schedule_of(backend: &SimBackend) -> Option<fargate_operator::plan::schedule::ObservedSchedule> {
    backend
        .lock()
        .schedules
        .get(&(SCHEDULE_GROUP.to_owned(), NAME.to_owned()))
        .cloned()
}

fn status(ft: &FargateTask) -> &FargateTaskStatus {
    ft.status.as_ref().expect("status")
}

#[tokio::test]
async fn a_schedule_and_its_least_privilege_role_are_made_and_reapplying_writes_nothing() {
    let (backend, mut ft, arn) = setup().await;
    let r = step(&backend, &mut ft, &arn).await;
    assert_eq!(r.sync, Sync::InSync, "{:?}", r.status.conditions);
    assert_eq!(
        actions(&r),
        ["CreateRole", "PutRolePolicy", "CreateSchedule"]
    );
    let s = schedule_of(&backend).expect("schedule");
    let b = &s.body;
    assert_eq!(b.expression, "cron(0 5 ? * * *)");
    assert_eq!(b.timezone, "Europe/Berlin");
    assert!(b.enabled);
    assert_eq!(
        b.target.cluster_arn,
        "arn:aws:ecs:us-east-1:123456789012:cluster/shop"
    );
    assert_eq!(b.target.task_definition_arn, arn);
    assert_eq!(b.target.launch_type.as_deref(), Some("FARGATE"));
    assert_eq!(
        (
            b.target.maximum_retry_attempts,
            b.target.maximum_event_age_seconds
        ),
        (3, 3600)
    );
    assert_eq!(
        b.target.role,
        RoleRef::Arn(format!(
            "arn:aws:iam::123456789012:role/fargate-operator/scheduler/{ROLE}"
        ))
    );
    // Each run's task carries the owner, the UID, the schedule and the spec's tags.
    let tags = &b.target.tags;
    assert_eq!(
        tags.get(OWNER_TAG).map(String::as_str),
        Some("shop/nightly-report")
    );
    assert_eq!(tags.get(UID_TAG), ft.metadata.uid.as_ref());
    assert_eq!(tags.get(SCHEDULE_TAG).map(String::as_str), Some(NAME));
    assert_eq!(tags.get("team").map(String::as_str), Some("shop"));
    // The container overrides are RunTask's `overrides`, as the target's Input.
    let input: serde_json::Value =
        serde_json::from_str(b.target.input.as_deref().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({"containerOverrides": [{"name": "api", "command": ["./manage", "nightly-report"]}]})
    );

    // The role: Scheduler of this account only; RunTask of this family in this cluster,
    // PassRole of exactly the revision's roles to ECS tasks, TagResource on RunTask only.
    let role = backend.lock().roles[ROLE].clone();
    assert_eq!(role.path, "/fargate-operator/scheduler/");
    let trust = &role.trust_policy["Statement"][0];
    assert_eq!(trust["Principal"]["Service"], "scheduler.amazonaws.com");
    assert_eq!(
        trust["Condition"]["StringEquals"]["aws:SourceAccount"],
        "123456789012"
    );
    let policy = &role.inline_policies["fargate-operator-scheduler"]["Statement"];
    assert_eq!(policy[0]["Action"], "ecs:RunTask");
    assert_eq!(
        policy[0]["Resource"],
        "arn:aws:ecs:us-east-1:123456789012:task-definition/shop_web-api:*"
    );
    assert_eq!(
        policy[0]["Condition"]["ArnEquals"]["ecs:cluster"],
        b.target.cluster_arn
    );
    assert_eq!(policy[1]["Action"], "ecs:TagResource");
    assert_eq!(
        policy[1]["Condition"]["StringEquals"]["ecs:CreateAction"],
        "RunTask"
    );
    assert_eq!(policy[2]["Action"], "iam:PassRole");
    assert_eq!(
        policy[2]["Resource"],
        json!([
            "arn:aws:iam::123456789012:role/fargate-operator/fgo_shop_web-api_exec",
            "arn:aws:iam::123456789012:role/fargate-operator/fgo_shop_web-api_task"
        ])
    );
    assert_eq!(
        policy[2]["Condition"]["StringEquals"]["iam:PassedToService"],
        "ecs-tasks.amazonaws.com"
    );

    let st = status(&ft);
    let sched = st.schedule.as_ref().expect("schedule status");
    assert_eq!(sched.name, NAME);
    assert_eq!(sched.arn.as_deref(), Some(s.arn.as_str()));
    assert_eq!(sched.state.as_deref(), Some("ENABLED"));
    assert_eq!(st.phase, None, "a scheduled FargateTask has no phase");
    assert!(is_true(&st.conditions, ct::READY));
    assert!(!is_true(&st.conditions, ct::PROGRESSING));
    assert!(!is_true(&st.conditions, ct::DEGRADED));

    // Applied again unchanged: no write.
    let r = step(&backend, &mut ft, &arn).await;
    assert_eq!(r.sync, Sync::InSync);
    assert!(r.applied.is_empty(), "{:?}", r.applied);
    assert_eq!(
        backend.lock().calls.get("RunTask"),
        None,
        "nothing runs until the schedule fires"
    );
}

#[tokio::test]
async fn expression_suspension_and_a_new_revision_update_the_schedule_in_place() {
    let (backend, mut ft, arn) = setup().await;
    step(&backend, &mut ft, &arn).await;
    let first = schedule_of(&backend).unwrap();

    edit(&mut ft, |ft| {
        ft.spec.schedule = Some("rate(6 hours)".into())
    });
    let r = step(&backend, &mut ft, &arn).await;
    assert_eq!(actions(&r), ["UpdateSchedule"]);
    assert_eq!(
        schedule_of(&backend).unwrap().body.expression,
        "rate(6 hours)"
    );
    assert_eq!(schedule_of(&backend).unwrap().arn, first.arn);

    edit(&mut ft, |ft| ft.spec.suspend = true);
    let r = step(&backend, &mut ft, &arn).await;
    assert_eq!(actions(&r), ["UpdateSchedule"]);
    assert!(!schedule_of(&backend).unwrap().body.enabled);
    let st = status(&ft);
    assert_eq!(
        st.schedule.as_ref().unwrap().state.as_deref(),
        Some("DISABLED")
    );
    assert_condition(&st.conditions, ct::READY, "True", reasons::SUSPENDED);

    // The TaskDefinition registers a new revision: the schedule follows it; the role's
    // grants (the family, the same roles) stay.
    let next = new_revision(&backend, &arn, "public.ecr.aws/nginx/nginx:1.28").await;
    let r = step(&backend, &mut ft, &next).await;
    assert_eq!(actions(&r), ["UpdateSchedule"]);
    assert_eq!(
        schedule_of(&backend)
            .unwrap()
            .body
            .target
            .task_definition_arn,
        next
    );
    assert!(step(&backend, &mut ft, &next).await.applied.is_empty());
}

/// A new revision of the TaskDefinition of `arn`, registered.
async fn new_revision(backend: &SimBackend, arn: &str, image: &str) -> String {
    let mut td = backend.lock().revision(arn).unwrap().body.clone();
    td.containers[0].image = image.into();
    let aws = backend.aws();
    aws.ecs
        .register_task_definition(&td, &Default::default())
        .await
        .unwrap()
}

const DAY: i64 = 86_400;

fn fire(backend: &SimBackend) -> usize {
    backend
        .lock()
        .fire_schedule(SCHEDULE_GROUP, NAME)
        .unwrap()
        .len()
}

#[tokio::test]
async fn start_and_end_dates_are_sent_and_kept_as_time_passes_and_a_start_that_passed_is_never_resent(
) {
    let (backend, mut ft, arn) = setup().await;
    // 2026-01-02T00:00:00Z to 2026-01-11T00:00:00Z, written at +01:00 and with a fraction.
    ft.spec.start_date = Some("2026-01-02T01:00:00.250+01:00".into());
    ft.spec.end_date = Some("2026-01-11T00:00:00Z".into());
    let r = step(&backend, &mut ft, &arn).await;
    assert_eq!(r.sync, Sync::InSync, "{:?}", r.status.conditions);
    let b = schedule_of(&backend).unwrap().body;
    assert_eq!(
        (b.start_date, b.end_date),
        (Some(CREATED + DAY), Some(CREATED + 10 * DAY))
    );
    let st = status(&ft).schedule.clone().unwrap();
    assert_eq!(
        (st.start_date.as_deref(), st.end_date.as_deref()),
        (Some("2026-01-02T00:00:00Z"), Some("2026-01-11T00:00:00Z"))
    );
    assert_condition(
        &status(&ft).conditions,
        ct::READY,
        "True",
        reasons::SCHEDULED,
    );
    assert_eq!(fire(&backend), 0, "before its start date no run");

    // The start passes: nothing to write (the stand-in would refuse the old start).
    let r = step_at(&backend, &mut ft, &arn, at(3 * DAY)).await;
    assert!(r.applied.is_empty(), "{:?}", actions(&r));
    assert_eq!(fire(&backend), 1);

    // A new revision after the start passed: the update sends no start (a cron schedule
    // runs at its times either way) and keeps the end.
    let next = new_revision(&backend, &arn, "public.ecr.aws/nginx/nginx:1.28").await;
    let r = step_at(&backend, &mut ft, &next, at(3 * DAY)).await;
    assert_eq!(actions(&r), ["UpdateSchedule"], "{:?}", r.status.conditions);
    let b = schedule_of(&backend).unwrap().body;
    assert_eq!((b.start_date, b.end_date), (None, Some(CREATED + 10 * DAY)));
    assert!(step_at(&backend, &mut ft, &next, at(3 * DAY + 60))
        .await
        .applied
        .is_empty());

    // As a rate schedule its times are the start plus whole days: the next one is sent.
    edit(&mut ft, |ft| ft.spec.schedule = Some("rate(1 day)".into()));
    let r = step_at(&backend, &mut ft, &next, at(3 * DAY + 7)).await;
    assert_eq!(actions(&r), ["UpdateSchedule"]);
    assert_eq!(
        schedule_of(&backend).unwrap().body.start_date,
        Some(CREATED + 4 * DAY)
    );
    assert!(step_at(&backend, &mut ft, &next, at(6 * DAY))
        .await
        .applied
        .is_empty());
}

#[tokio::test]
async fn a_schedule_whose_end_passed_is_ended_and_left_alone_until_the_end_moves() {
    let (backend, mut ft, arn) = setup().await;
    ft.spec.schedule = Some("rate(1 day)".into());
    ft.spec.start_date = Some("2026-01-02T00:00:00Z".into());
    ft.spec.end_date = Some("2026-01-11T00:00:00Z".into());
    step(&backend, &mut ft, &arn).await;
    let next = new_revision(&backend, &arn, "public.ecr.aws/nginx/nginx:1.28").await;
    step_at(&backend, &mut ft, &next, at(3 * DAY)).await;
    // The end passes: the schedule stays, starts nothing, Ready says Ended; later edits
    // and revisions change nothing of an ended schedule.
    let r = step_at(&backend, &mut ft, &next, at(10 * DAY)).await;
    assert!(r.applied.is_empty(), "{:?}", actions(&r));
    assert_condition(&status(&ft).conditions, ct::READY, "True", reasons::ENDED);
    assert!(!is_true(&status(&ft).conditions, ct::DEGRADED));
    assert_eq!(fire(&backend), 0);
    edit(&mut ft, |ft| ft.spec.count = 2);
    let newer = new_revision(&backend, &arn, "public.ecr.aws/nginx/nginx:1.29").await;
    assert!(step_at(&backend, &mut ft, &newer, at(11 * DAY))
        .await
        .applied
        .is_empty());

    // An end moved into the future starts it again, with the next of its times.
    edit(&mut ft, |ft| {
        ft.spec.end_date = Some("2026-02-01T00:00:00Z".into())
    });
    let r = step_at(&backend, &mut ft, &newer, at(11 * DAY + 5)).await;
    assert_eq!(actions(&r), ["UpdateSchedule"]);
    let b = schedule_of(&backend).unwrap().body;
    assert_eq!(
        (b.start_date, b.end_date),
        (Some(CREATED + 12 * DAY), Some(CREATED + 31 * DAY))
    );
    assert_eq!(
        (b.target.task_count, b.target.task_definition_arn.as_str()),
        (2, newer.as_str())
    );
    assert_condition(
        &status(&ft).conditions,
        ct::READY,
        "True",
        reasons::SCHEDULED,
    );
}

#[tokio::test]
async fn an_end_date_set_in_the_past_stops_a_running_schedule_once() {
    let (backend, mut ft, arn) = setup().await;
    step(&backend, &mut ft, &arn).await;
    assert_eq!(fire(&backend), 1);
    edit(&mut ft, |ft| {
        ft.spec.end_date = Some("2026-01-01T00:00:00Z".into())
    });
    let r = step_at(&backend, &mut ft, &arn, at(DAY)).await;
    assert_eq!(actions(&r), ["UpdateSchedule"]);
    let b = schedule_of(&backend).unwrap().body;
    assert_eq!((b.start_date, b.end_date), (None, Some(CREATED)));
    assert_condition(&status(&ft).conditions, ct::READY, "True", reasons::ENDED);
    assert_eq!(fire(&backend), 0);
    assert!(step_at(&backend, &mut ft, &arn, at(DAY + 60))
        .await
        .applied
        .is_empty());
}

#[tokio::test]
async fn runs_appear_newest_first_bounded_kept_after_ecs_forgets_them_and_a_failure_degrades() {
    let (backend, mut ft, arn) = setup().await;
    step(&backend, &mut ft, &arn).await;
    let mut fired = vec![];
    for i in 0..7 {
        let mut sim = backend.lock();
        sim.clock = Some(at(3600 * (i + 1)));
        let arns = sim.fire_schedule(SCHEDULE_GROUP, NAME).unwrap();
        sim.finish_task(&arns[0], 0);
        fired.push(arns[0].clone());
    }
    // A task of the same family that is not this schedule's (a one-off run's tags, another
    // owner's): never a run of this schedule.
    {
        let mut sim = backend.lock();
        let mut foreign = sim.tasks[&fired[0]].clone();
        foreign.task_arn =
            "arn:aws:ecs:us-east-1:123456789012:task/shop/ffffffffffffffffffffffffffffffff".into();
        foreign.tags.insert(OWNER_TAG.into(), "shop/other".into());
        foreign.created_at = Some(at(999_999).to_string());
        sim.tasks.insert(foreign.task_arn.clone(), foreign);
    }
    let r = step(&backend, &mut ft, &arn).await;
    assert!(r.applied.is_empty());
    let runs = &status(&ft).schedule.as_ref().unwrap().recent_runs;
    let listed: Vec<&str> = runs.iter().map(|r| r.task.task_arn.as_str()).collect();
    let newest: Vec<&str> = fired
        .iter()
        .rev()
        .take(RECENT_RUNS)
        .map(String::as_str)
        .collect();
    assert_eq!(listed, newest, "newest first, at most {RECENT_RUNS}");
    let run = &runs[0];
    assert_eq!(run.outcome, TaskPhase::Succeeded);
    let api = &run.task.containers[0];
    assert_eq!(api.exit_code, Some(0));
    let id = run.task.task_arn.rsplit('/').next().unwrap();
    assert_eq!(api.log_stream, Some(format!("api/api/{id}")));
    assert!(!is_true(&status(&ft).conditions, ct::DEGRADED));

    // The next run fails: Degraded names the exit code; the schedule stays Ready.
    let failed = {
        let mut sim = backend.lock();
        sim.clock = Some(at(3600 * 9));
        let arns = sim.fire_schedule(SCHEDULE_GROUP, NAME).unwrap();
        sim.finish_task(&arns[0], 3);
        arns[0].clone()
    };
    step(&backend, &mut ft, &arn).await;
    let st = status(&ft);
    let degraded = assert_condition(&st.conditions, ct::DEGRADED, "True", reasons::RUN_FAILED);
    assert!(
        degraded.message.contains("exited with code 3"),
        "{}",
        degraded.message
    );
    assert!(is_true(&st.conditions, ct::READY));
    assert_eq!(
        st.schedule.as_ref().unwrap().recent_runs[0].task.task_arn,
        failed
    );

    // ECS forgets stopped tasks after about an hour: the status keeps what it saw.
    let before = status(&ft).schedule.clone();
    backend.lock().tasks.clear();
    step(&backend, &mut ft, &arn).await;
    assert_eq!(
        status(&ft).schedule.as_ref().unwrap().recent_runs,
        before.unwrap().recent_runs
    );

    // A later successful run clears Degraded.
    {
        let mut sim = backend.lock();
        sim.clock = Some(at(3600 * 10));
        let arns = sim.fire_schedule(SCHEDULE_GROUP, NAME).unwrap();
        sim.finish_task(&arns[0], 0);
    }
    step(&backend, &mut ft, &arn).await;
    assert!(!is_true(&status(&ft).conditions, ct::DEGRADED));
}

#[tokio::test]
async fn a_run_ecs_forgot_while_running_is_recorded_as_lost() {
    let (backend, mut ft, arn) = setup().await;
    step(&backend, &mut ft, &arn).await;
    let task = backend.lock().fire_schedule(SCHEDULE_GROUP, NAME).unwrap()[0].clone();
    step(&backend, &mut ft, &arn).await;
    assert_eq!(
        status(&ft).schedule.as_ref().unwrap().recent_runs[0].outcome,
        TaskPhase::Running
    );
    backend.lock().tasks.remove(&task);
    step(&backend, &mut ft, &arn).await;
    let run = &status(&ft).schedule.as_ref().unwrap().recent_runs[0];
    assert_eq!(run.task.last_status, "STOPPED");
    assert_eq!(run.outcome, TaskPhase::Failed);
    assert!(run
        .reason
        .as_deref()
        .unwrap()
        .contains("ECS no longer knows this task"));
}

#[tokio::test]
async fn a_schedule_of_the_same_name_that_is_not_the_objects_is_never_touched() {
    let (backend, mut ft, arn) = setup().await;
    // Someone else's schedule of the derived name (no ownership tags on its tasks).
    step(&backend, &mut ft, &arn).await;
    {
        let mut sim = backend.lock();
        let s = sim
            .schedules
            .get_mut(&(SCHEDULE_GROUP.to_owned(), NAME.to_owned()))
            .unwrap();
        s.body
            .target
            .tags
            .insert(UID_TAG.into(), "someone-else".into());
        s.body
            .target
            .tags
            .insert(OWNER_TAG.into(), "ops/cron".into());
        s.body.expression = "rate(1 day)".into();
    }
    let before = schedule_of(&backend).unwrap();
    let r = step(&backend, &mut ft, &arn).await;
    assert!(
        matches!(&r.sync, Sync::Failed { reason, .. } if *reason == reasons::CONFLICT),
        "{:?}",
        r.sync
    );
    assert!(r.applied.is_empty());
    assert_eq!(schedule_of(&backend).unwrap(), before);
    // Nor does deleting the object delete it (the role, which is the object's, goes).
    let c = cleanup_fargate_task(&backend.aws(), &ft, 5).await;
    assert_eq!(c.sync, Sync::InSync);
    assert_eq!(schedule_of(&backend).unwrap(), before);
    assert!(!backend.lock().roles.contains_key(ROLE));
}

#[tokio::test]
async fn removing_the_schedule_deletes_it_and_its_role_then_runs_once_leaving_scheduled_runs() {
    let (backend, mut ft, arn) = setup().await;
    step(&backend, &mut ft, &arn).await;
    let scheduled = backend.lock().fire_schedule(SCHEDULE_GROUP, NAME).unwrap()[0].clone();
    edit(&mut ft, |ft| {
        ft.spec.schedule = None;
        ft.spec.timezone = None;
        ft.spec.retry_policy = None;
    });
    let r = step(&backend, &mut ft, &arn).await;
    assert_eq!(
        actions(&r),
        [
            "DeleteSchedule",
            "DeleteRolePolicy",
            "DeleteRole",
            "RunTask"
        ],
        "the schedule and its role go, then the one-off run starts"
    );
    assert!(schedule_of(&backend).is_none());
    assert!(!backend.lock().roles.contains_key(ROLE));
    assert_eq!(status(&ft).schedule, None);
    assert_eq!(status(&ft).phase, Some(TaskPhase::Running));
    // The run the schedule had started is not torn down by the edit.
    assert_eq!(backend.lock().tasks[&scheduled].desired_status, "RUNNING");

    // And back: adding a schedule leaves the one-off run running.
    let one_off = status(&ft).attempts[0].tasks[0].task_arn.clone();
    edit(&mut ft, |ft| ft.spec.schedule = Some("rate(1 day)".into()));
    let r = step(&backend, &mut ft, &arn).await;
    assert_eq!(
        actions(&r),
        ["CreateRole", "PutRolePolicy", "CreateSchedule"]
    );
    assert_eq!(backend.lock().tasks[&one_off].desired_status, "RUNNING");
}

#[tokio::test]
async fn deletion_removes_the_schedule_and_role_and_stops_running_runs_unless_retained() {
    let (backend, mut ft, arn) = setup().await;
    step(&backend, &mut ft, &arn).await;
    let running = backend.lock().fire_schedule(SCHEDULE_GROUP, NAME).unwrap()[0].clone();
    step(&backend, &mut ft, &arn).await;

    let mut retained = ft.clone();
    retained.spec.deletion_policy = fargate_operator::api::fargateservice::DeletionPolicy::Retain;
    let c = cleanup_fargate_task(&backend.aws(), &retained, 5).await;
    assert_eq!(c.sync, Sync::InSync);
    assert!(c.applied.is_empty());
    assert!(schedule_of(&backend).is_some());

    let c = cleanup_fargate_task(&backend.aws(), &ft, 5).await;
    assert_eq!(c.sync, Sync::InSync);
    let done: Vec<&str> = c.applied.iter().map(|a| a.action).collect();
    assert_eq!(
        done,
        [
            "DeleteSchedule",
            "DeleteRolePolicy",
            "DeleteRole",
            "StopTask"
        ]
    );
    {
        let sim = backend.lock();
        assert_eq!(sim.inventory().schedules, 0);
        assert!(!sim.roles.contains_key(ROLE));
        assert_eq!(sim.tasks[&running].desired_status, "STOPPED");
    }
    // Again: nothing left to do.
    assert!(cleanup_fargate_task(&backend.aws(), &ft, 5)
        .await
        .applied
        .is_empty());
}

#[tokio::test]
async fn a_tenants_schedule_lives_in_its_account_and_region() {
    // The clients of a FargateTenant's account and region (what the controller reconciles
    // its namespaces with): the schedule, its role's trust and grants are that account's.
    let (backend, mut ft, arn) =
        setup_in(SimBackend::new(SimAws::new("111111111111", "eu-west-1"))).await;
    assert!(
        arn.starts_with("arn:aws:ecs:eu-west-1:111111111111:"),
        "{arn}"
    );
    let r = reconcile_fargate_task(
        &backend.aws(),
        &PlanConfig {
            region: "eu-west-1".into(),
            ..PlanConfig::default()
        },
        &ft,
        Some(&arn),
        5,
        at(30),
    )
    .await;
    assert_eq!(r.sync, Sync::InSync, "{:?}", r.status.conditions);
    ft.status = Some(r.status);
    let s = schedule_of(&backend).unwrap();
    assert!(
        s.arn
            .starts_with("arn:aws:scheduler:eu-west-1:111111111111:schedule/default/"),
        "{}",
        s.arn
    );
    assert_eq!(
        s.body.target.cluster_arn,
        "arn:aws:ecs:eu-west-1:111111111111:cluster/shop"
    );
    let role = backend.lock().roles[ROLE].clone();
    assert_eq!(
        role.trust_policy["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        "111111111111"
    );
    assert_eq!(
        role.inline_policies["fargate-operator-scheduler"]["Statement"][0]["Resource"],
        "arn:aws:ecs:eu-west-1:111111111111:task-definition/shop_web-api:*"
    );
}

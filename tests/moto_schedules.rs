//! A scheduled FargateTask (examples/nightly-report.yaml, with the web-api example whose
//! service makes the cluster) against moto's EventBridge Scheduler, IAM and ECS, through the
//! real SDK clients: the schedule and its role created (with a start and an end date), applied
//! again with no write, changed (expression, suspension, a start date that has passed, a new
//! TaskDefinition revision), and deleted with its role. What
//! the operator made is read back with plain SDK clients.
//!
//! moto stores a schedule as sent and returns it (the target's ECS parameters, tags, input
//! and retry policy too; StartDate and EndDate as the epoch seconds sent) but never runs it: the runs a schedule starts, their status and a
//! failed run are shown on the stand-in (tests/schedules.rs).

mod support;

use std::collections::BTreeMap;

use fargate_operator::engine::run;
use fargate_operator::manifests::Manifests;
use support::examples::only;
use support::moto::{aws, moto, sdk_config};
use support::results::{assert_converged, assert_no_failure, result};
use support::sim::apply;

const NS: &str = "shop-sched";
const SCHEDULE: &str = "fgo_shop-sched_nightly-report";
const ROLE: &str = "fgo_shop-sched_nightly-report_sched";

/// web-api and nightly-report in namespace and cluster `shop-sched`, on moto's network.
fn manifests() -> Manifests {
    let info = moto();
    let all = support::examples::all();
    let mut m = only(&all, "web-api");
    m.tasks = only(&all, "nightly-report").tasks;
    assert_eq!(m.tasks.len(), 1);
    for meta in m
        .task_definitions
        .iter_mut()
        .map(|t| &mut t.metadata)
        .chain(m.services.iter_mut().map(|s| &mut s.metadata))
        .chain(m.tasks.iter_mut().map(|t| &mut t.metadata))
    {
        meta.namespace = Some(NS.into());
    }
    for fs in &mut m.services {
        fs.spec.cluster.name = NS.into();
        fs.spec.network.subnets = info.subnets.clone();
        fs.spec.network.security_groups = vec![info.security_group.clone()];
    }
    for ft in &mut m.tasks {
        ft.spec.cluster.name = NS.into();
        ft.spec.network.subnets = info.subnets.clone();
        ft.spec.network.security_groups = vec![info.security_group.clone()];
    }
    m
}

async fn schedule(
    raw: &aws_sdk_scheduler::Client,
) -> Option<aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput> {
    raw.get_schedule()
        .group_name("default")
        .name(SCHEDULE)
        .send()
        .await
        .ok()
}

/// `seconds` after the epoch as RFC 3339 with the text of `zone` (the caller shifts the
/// seconds by the zone's offset).
fn rfc3339(seconds: i64, zone: &str) -> String {
    let t = k8s_openapi::jiff::Timestamp::from_second(seconds).expect("in range");
    format!("{}{zone}", t.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// `(StartDate, EndDate)` of a schedule as GetSchedule reports them, in epoch seconds.
fn dates(
    s: &aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput,
) -> (Option<i64>, Option<i64>) {
    (
        s.start_date().map(|d| d.secs()),
        s.end_date().map(|d| d.secs()),
    )
}

/// Applies `m`: it converges with one write, UpdateSchedule.
async fn assert_one_update(
    aws: &fargate_operator::aws::Aws,
    calls: &fargate_operator::aws::instrument::CallCounter,
    m: &Manifests,
) {
    calls.reset();
    assert_converged(&apply(aws, m).await);
    assert_eq!(
        calls.writes(),
        BTreeMap::from([("scheduler:update_schedule".to_owned(), 1)])
    );
}

#[tokio::test]
async fn a_schedule_is_created_changed_and_deleted_with_its_role() {
    let (aws, calls) = aws().await;
    let conf = sdk_config().await;
    let scheduler = aws_sdk_scheduler::Client::new(&conf);
    let iam = aws_sdk_iam::Client::new(&conf);
    let mut m = manifests();
    // Created with a start a day ahead (written at +02:00) and an end 30 days ahead.
    let now = k8s_openapi::jiff::Timestamp::now().as_second();
    let (start, end) = (now + 86_400, now + 30 * 86_400);
    m.tasks[0].spec.start_date = Some(rfc3339(start + 7_200, "+02:00"));
    m.tasks[0].spec.end_date = Some(rfc3339(end, "Z"));

    let results = apply(&aws, &m).await;
    assert_converged(&results);
    let status = result(&results, "FargateTask", "nightly-report")
        .fargate_task
        .clone()
        .expect("status");
    let s = schedule(&scheduler).await.expect("schedule created");
    assert_eq!(s.schedule_expression(), Some("cron(0 5 ? * * *)"));
    assert_eq!(s.schedule_expression_timezone(), Some("Europe/Berlin"));
    assert_eq!(s.state().map(|s| s.as_str()), Some("ENABLED"));
    assert_eq!(
        s.flexible_time_window().map(|w| w.mode().as_str()),
        Some("OFF")
    );
    assert_eq!(status.schedule.as_ref().unwrap().arn.as_deref(), s.arn());
    // The dates as sent (epoch seconds), read back as sent and shown in the status.
    assert_eq!(dates(&s), (Some(start), Some(end)));
    assert_eq!(
        status.schedule.as_ref().unwrap().end_date,
        Some(rfc3339(end, "Z"))
    );
    let target = s.target().expect("target");
    assert!(
        target.arn().ends_with(&format!(":cluster/{NS}")),
        "{}",
        target.arn()
    );
    assert!(
        target
            .role_arn()
            .ends_with(&format!(":role/fargate-operator/scheduler/{ROLE}")),
        "{}",
        target.role_arn()
    );
    let ecs = target.ecs_parameters().expect("ECS RunTask target");
    let td = status.task_definition_arn.clone().expect("revision");
    assert_eq!(ecs.task_definition_arn(), td);
    assert!(td.contains(":task-definition/shop-sched_web-api:"), "{td}");
    assert_eq!(ecs.launch_type().map(|l| l.as_str()), Some("FARGATE"));
    let tags: BTreeMap<&str, &str> = ecs
        .tags()
        .iter()
        .filter_map(|m| Some((m.get("key")?.as_str(), m.get("value")?.as_str())))
        .collect();
    assert_eq!(
        tags.get("ecs.fargate.dev/owner"),
        Some(&"shop-sched/nightly-report")
    );
    assert_eq!(tags.get("ecs.fargate.dev/schedule"), Some(&SCHEDULE));
    assert_eq!(tags.get("team"), Some(&"shop"));
    let input: serde_json::Value = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(
        input["containerOverrides"][0]["command"][1],
        "nightly-report"
    );
    let retry = target.retry_policy().expect("retry policy");
    assert_eq!(
        (
            retry.maximum_retry_attempts(),
            retry.maximum_event_age_in_seconds()
        ),
        (Some(3), Some(3600))
    );

    // The role, as IAM has it.
    let role = iam.get_role().role_name(ROLE).send().await.expect("role");
    let role = role.role().unwrap();
    assert_eq!(role.path(), "/fargate-operator/scheduler/");
    let trust = urlencoding::decode(role.assume_role_policy_document().unwrap_or_default())
        .unwrap()
        .into_owned();
    assert!(
        trust.contains("scheduler.amazonaws.com") && trust.contains("aws:SourceAccount"),
        "{trust}"
    );
    let policy = iam
        .get_role_policy()
        .role_name(ROLE)
        .policy_name("fargate-operator-scheduler")
        .send()
        .await
        .expect("inline policy");
    let doc = urlencoding::decode(policy.policy_document())
        .unwrap()
        .into_owned();
    for needle in [
        "ecs:RunTask",
        "task-definition/shop-sched_web-api:*",
        "ecs:cluster",
        "iam:PassRole",
        "fgo_shop-sched_web-api_exec",
        "ecs:CreateAction",
    ] {
        assert!(doc.contains(needle), "{needle} not in {doc}");
    }

    // Applied again: nothing written.
    calls.reset();
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(calls.writes(), BTreeMap::new(), "applied again: no write");

    // A new expression, then suspension: UpdateSchedule only.
    m.tasks[0].spec.schedule = Some("rate(6 hours)".into());
    m.tasks[0].metadata.generation = Some(2);
    assert_one_update(&aws, &calls, &m).await;
    assert_eq!(
        schedule(&scheduler).await.unwrap().schedule_expression(),
        Some("rate(6 hours)")
    );
    m.tasks[0].spec.suspend = true;
    m.tasks[0].metadata.generation = Some(3);
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(
        schedule(&scheduler)
            .await
            .unwrap()
            .state()
            .map(|s| s.as_str()),
        Some("DISABLED")
    );

    // The start moved to an hour ago (moto, like Scheduler, refuses a cron schedule's
    // StartDate more than 5 minutes old at CreateSchedule): the update never sends it. The
    // schedule is `rate(6 hours)` now, so its times are that start plus whole periods: the
    // first still to come is sent (a cron schedule would get none); the end as it was.
    // Applied again: no write.
    m.tasks[0].spec.start_date = Some(rfc3339(now - 3_600, "Z"));
    m.tasks[0].metadata.generation = Some(4);
    assert_one_update(&aws, &calls, &m).await;
    assert_eq!(
        dates(&schedule(&scheduler).await.unwrap()),
        (Some(now - 3_600 + 6 * 3_600), Some(end))
    );
    calls.reset();
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(
        calls.writes(),
        BTreeMap::new(),
        "a start that passed: no write"
    );

    // A new TaskDefinition revision: the schedule follows it.
    m.task_definitions[0].spec.containers[0].image = "public.ecr.aws/nginx/nginx:1.28.0".into();
    m.task_definitions[0].metadata.generation = Some(2);
    let results = apply(&aws, &m).await;
    assert_converged(&results);
    let next = result(&results, "TaskDefinition", "web-api")
        .task_definition
        .as_ref()
        .and_then(|s| s.arn.clone())
        .expect("new revision");
    assert_ne!(next, td);
    let s = schedule(&scheduler).await.unwrap();
    assert_eq!(
        s.target()
            .unwrap()
            .ecs_parameters()
            .unwrap()
            .task_definition_arn(),
        next
    );
    calls.reset();
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(calls.writes(), BTreeMap::new());

    // Deleted: no schedule, no role; then the rest.
    let results = run::delete(
        &aws,
        &Manifests {
            tasks: m.tasks.clone(),
            ..Default::default()
        },
        5,
    )
    .await;
    assert_no_failure(&results);
    assert!(schedule(&scheduler).await.is_none(), "schedule left behind");
    assert!(
        iam.get_role().role_name(ROLE).send().await.is_err(),
        "role left behind"
    );
    let results = run::delete(&aws, &m, 5).await;
    assert_no_failure(&results);
}

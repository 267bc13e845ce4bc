//! Status reporting from observed ECS state. moto keeps runningCount at 0, has no rollout
//! state from a circuit breaker, no service events and no stopped tasks, so these cases are
//! covered here with observed state written by hand (what DescribeServices/DescribeTasks
//! return for them) fed to the pure report function.

use fargate_operator::api::names::Owner;
use fargate_operator::api::FargateServiceStatus;
use fargate_operator::engine::report::{fargate_service_status, ReportInputs, Sync};
use fargate_operator::plan::model::*;
use k8s_openapi::jiff::Timestamp;

const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web-api:1";
const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web-api:2";

fn owner() -> Owner {
    Owner {
        namespace: "shop".into(),
        name: "web-api".into(),
        uid: "u-1".into(),
        generation: 3,
        adopt: false,
    }
}

fn deployment(
    status: &str,
    td: &str,
    desired: i32,
    running: i32,
    rollout: &str,
) -> ObservedDeployment {
    ObservedDeployment {
        id: format!("ecs-svc/{status}-{td}"),
        status: status.into(),
        task_definition: td.into(),
        desired_count: desired,
        running_count: running,
        pending_count: desired - running,
        failed_tasks: 0,
        rollout_state: Some(rollout.into()),
        rollout_state_reason: None,
        created_at: Some("2026-11-21T10:00:00Z".into()),
    }
}

fn observed(running: i32, deployments: Vec<ObservedDeployment>) -> ObservedFargateService {
    ObservedFargateService {
        cluster: Some(ObservedCluster {
            arn: "arn:aws:ecs:us-east-1:123456789012:cluster/shop".into(),
            status: "ACTIVE".into(),
            ..Default::default()
        }),
        service: Some(ObservedService {
            arn: "arn:aws:ecs:us-east-1:123456789012:service/shop/shop-web-api".into(),
            status: "ACTIVE".into(),
            body: ServiceBody {
                task_definition: TD2.into(),
                desired_count: 2,
                launch_type: Some("FARGATE".into()),
                capacity_provider_strategy: vec![],
                platform_version: Some("LATEST".into()),
                subnets: vec!["subnet-0a1b2c3d4e5f60718".into()],
                security_groups: vec![],
                assign_public_ip: false,
                load_balancers: vec![],
                health_check_grace_period_seconds: None,
                minimum_healthy_percent: Some(100),
                maximum_percent: Some(200),
                circuit_breaker: Some(CircuitBreakerDef::new(true, true)),
                alarms: None,
                enable_execute_command: false,
                service_registries: vec![],
                propagate_tags: None,
                availability_zone_rebalancing: Some("ENABLED".into()),
                early_success: None,
                vpc_lattice: vec![],
            },
            tags: owner().tags(),
            running_count: running,
            pending_count: 2 - running,
            deployments,
            events: (0..8)
                .map(|i| ObservedEvent {
                    id: format!("e{i}"),
                    created_at: format!("2026-11-21T10:0{i}:00Z"),
                    message: format!("(service shop-web-api) event {i}"),
                })
                .collect(),
        }),
        scaling: Some(Default::default()),
        stopped_tasks: vec![],
    }
}

fn status(
    sync: &Sync,
    o: &ObservedFargateService,
    previous: Option<&FargateServiceStatus>,
    now: &str,
) -> FargateServiceStatus {
    let owner = owner();
    fargate_service_status(
        &ReportInputs {
            owner: &owner,
            sync,
            notes: &[],
            now: now.parse::<Timestamp>().expect("timestamp"),
        },
        o,
        Some(36.04),
        previous,
    )
}

fn cond<'a>(s: &'a FargateServiceStatus, t: &str) -> (&'a str, &'a str, &'a str) {
    let c = s
        .conditions
        .iter()
        .find(|c| c.type_ == t)
        .unwrap_or_else(|| panic!("no {t} condition"));
    (c.status.as_str(), c.reason.as_str(), c.message.as_str())
}

#[test]
fn ready_only_when_this_revision_completed_with_every_task_running() {
    let done = observed(2, vec![deployment("PRIMARY", TD2, 2, 2, "COMPLETED")]);
    let s = status(&Sync::InSync, &done, None, "2026-11-21T10:10:00Z");
    assert_eq!(cond(&s, "Ready").0, "True");
    assert_eq!(cond(&s, "Ready").1, "DeploymentCompleted");
    assert_eq!(cond(&s, "Progressing").0, "False");
    assert_eq!(cond(&s, "Degraded").0, "False");
    assert_eq!(s.observed_generation, Some(3));
    assert_eq!(
        s.task_definition_revision.as_deref(),
        Some("shop-web-api:2")
    );
    assert_eq!((s.desired_count, s.running_count), (Some(2), Some(2)));
    // Newest 5 events only.
    assert_eq!(s.recent_events.len(), 5);
    assert_eq!(s.recent_events[0].message, "(service shop-web-api) event 0");
    assert_eq!(s.estimated_monthly_cost_usd, Some(36.04));
    let types: Vec<_> = s.conditions.iter().map(|c| c.type_.as_str()).collect();
    assert_eq!(types, ["Ready", "Progressing", "Degraded", "Synced"]);

    // The API call succeeded but the new revision is still rolling out: not Ready.
    let rolling = observed(
        1,
        vec![
            deployment("PRIMARY", TD2, 2, 1, "IN_PROGRESS"),
            deployment("ACTIVE", TD1, 2, 2, "COMPLETED"),
        ],
    );
    let s = status(&Sync::InSync, &rolling, None, "2026-11-21T10:10:00Z");
    assert_eq!(cond(&s, "Ready").1, "Deploying");
    assert_eq!(cond(&s, "Ready").0, "False");
    assert_eq!(cond(&s, "Progressing").0, "True");
    assert!(
        cond(&s, "Ready").2.contains("1/2 tasks running"),
        "{}",
        cond(&s, "Ready").2
    );
    assert_eq!(s.deployments.len(), 2);

    // Changes still being applied: not Ready, whatever ECS says.
    let s = status(
        &Sync::Applying { pending: 1 },
        &done,
        None,
        "2026-11-21T10:10:00Z",
    );
    assert_eq!(cond(&s, "Ready").0, "False");
    assert_eq!(cond(&s, "Synced").1, "Applying");
}

#[test]
fn a_failed_rollout_is_degraded_with_the_circuit_breaker_and_task_reasons() {
    let mut primary = deployment("PRIMARY", TD2, 2, 0, "FAILED");
    primary.failed_tasks = 3;
    primary.rollout_state_reason = Some(
        "ECS deployment circuit breaker: tasks failed to start. Rolling back to the previous deployment".into(),
    );
    let mut o = observed(
        2,
        vec![primary, deployment("ACTIVE", TD1, 2, 2, "COMPLETED")],
    );
    o.stopped_tasks = vec![ObservedStoppedTask {
        task_arn: "arn:aws:ecs:us-east-1:123456789012:task/shop/0a1b".into(),
        stopped_reason: Some(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"
                .into(),
        ),
        stop_code: Some("TaskFailedToStart".into()),
        stopped_at: Some("2026-11-21T10:05:00Z".into()),
    }];
    let s = status(&Sync::InSync, &o, None, "2026-11-21T10:10:00Z");
    let (st, reason, message) = cond(&s, "Degraded");
    assert_eq!((st, reason), ("True", "DeploymentFailed"));
    assert!(message.contains("circuit breaker"), "{message}");
    assert!(message.contains("CannotPullContainerError"), "{message}");
    assert_eq!(cond(&s, "Ready").0, "False");
    assert_eq!(s.rollout_state.as_deref(), Some("FAILED"));
    assert_eq!(
        s.stopped_tasks[0].stop_code.as_deref(),
        Some("TaskFailedToStart")
    );
}

#[test]
fn tasks_that_keep_stopping_after_a_completed_rollout_are_degraded() {
    let mut o = observed(1, vec![deployment("PRIMARY", TD2, 2, 1, "COMPLETED")]);
    let s = status(&Sync::InSync, &o, None, "2026-11-21T10:10:00Z");
    // Fewer running than desired with no stopped task to blame: not Ready, not yet Degraded.
    assert_eq!(cond(&s, "Ready").1, "TasksNotRunning");
    assert_eq!(cond(&s, "Degraded").0, "False");
    o.stopped_tasks = vec![ObservedStoppedTask {
        task_arn: "t".into(),
        stopped_reason: Some("Essential container in task exited".into()),
        stop_code: Some("EssentialContainerExited".into()),
        stopped_at: None,
    }];
    let s = status(&Sync::InSync, &o, None, "2026-11-21T10:10:00Z");
    let (st, reason, message) = cond(&s, "Degraded");
    assert_eq!((st, reason), ("True", "TasksNotRunning"));
    assert!(
        message.contains("Essential container in task exited"),
        "{message}"
    );
}

#[test]
fn last_transition_time_moves_only_when_a_condition_flips() {
    let done = observed(2, vec![deployment("PRIMARY", TD2, 2, 2, "COMPLETED")]);
    let first = status(&Sync::InSync, &done, None, "2026-11-21T10:00:00Z");
    let ready_at = |s: &FargateServiceStatus| {
        s.conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .map(|c| c.last_transition_time.0)
            .expect("Ready")
    };
    let same = status(&Sync::InSync, &done, Some(&first), "2026-11-21T11:00:00Z");
    assert_eq!(ready_at(&same), ready_at(&first));
    assert_eq!(
        same, first,
        "an unchanged observation must give an identical status"
    );
    let failed = status(
        &Sync::Failed {
            reason: "AwsRejected",
            message: "ecs:UpdateService: bad subnet".into(),
        },
        &done,
        Some(&first),
        "2026-11-21T12:00:00Z",
    );
    assert_ne!(ready_at(&failed), ready_at(&first));
    assert_eq!(cond(&failed, "Degraded").1, "AwsRejected");
    // Counts still show what AWS runs, so nothing running looks torn down.
    assert_eq!(failed.running_count, Some(2));
}

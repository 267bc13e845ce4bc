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
        adopt_forbidden: None,
        legacy_names: false,
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
                rollout: RolloutDef::default(),
                enable_execute_command: false,
                service_registries: vec![],
                propagate_tags: None,
                availability_zone_rebalancing: Some("ENABLED".into()),
                early_success: None,
                vpc_lattice: vec![],
                volume_configurations: vec![],
                service_connect: None,
                monitoring: None,
                gateway_connectors: vec![],
            },
            revision_arns: vec![],
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
        service_deployment: None,
        roles: Default::default(),
        pre_deploy: None,
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

/// A canary service mid-rollout, with the service deployment ECS reports at `stage`. The
/// stand-ins: moto has no service deployments (ListServiceDeployments,
/// DescribeServiceDeployments), so the stage reports are tested here on the planner's
/// observed types, and the SDK shape in `aws::sdk::ecs_convert`'s tests.
fn canary_at(stage: &str, status: &str, traffic: f64) -> ObservedFargateService {
    let mut o = observed(
        2,
        vec![
            deployment("PRIMARY", TD2, 2, 2, "IN_PROGRESS"),
            deployment("ACTIVE", TD1, 2, 2, "COMPLETED"),
        ],
    );
    if let Some(s) = o.service.as_mut() {
        s.body.rollout = RolloutDef {
            strategy: Some("CANARY".into()),
            bake_time_minutes: Some(30),
            ..RolloutDef::default()
        };
    }
    o.service_deployment = Some(ObservedServiceDeployment {
        arn: "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop/shop-web-api/d1".into(),
        status: status.into(),
        stage: Some(stage.into()),
        production_traffic_percent: Some(traffic),
        test_traffic_percent: Some(100.0),
        bake_time_minutes: Some(30),
        updated_at: Some("2026-11-21T10:00:00Z".into()),
        ..Default::default()
    });
    o
}

#[test]
fn every_stage_of_a_rollout_is_progressing_with_the_stage_in_the_message() {
    for (stage, traffic) in [
        ("PRE_SCALE_UP", 0.0),
        ("SCALE_UP", 0.0),
        ("POST_SCALE_UP", 0.0),
        ("TEST_TRAFFIC_SHIFT", 0.0),
        ("POST_TEST_TRAFFIC_SHIFT", 0.0),
        ("PRE_PRODUCTION_TRAFFIC_SHIFT", 0.0),
        ("PRODUCTION_TRAFFIC_SHIFT", 5.0),
        ("POST_PRODUCTION_TRAFFIC_SHIFT", 100.0),
        ("BAKE_TIME", 100.0),
        ("CLEAN_UP", 100.0),
    ] {
        let s = status(
            &Sync::InSync,
            &canary_at(stage, "IN_PROGRESS", traffic),
            None,
            "2026-11-21T10:10:00Z",
        );
        let (ready, reason, message) = cond(&s, "Ready");
        assert_eq!((ready, reason), ("False", "Deploying"), "{stage}");
        let (progressing, _, pm) = cond(&s, "Progressing");
        assert_eq!(progressing, "True", "{stage}");
        assert!(
            pm.contains(stage) && message.contains("CANARY"),
            "{stage}: {pm}"
        );
        assert_eq!(cond(&s, "Degraded").0, "False", "{stage}");
        let r = s.rollout.as_ref().expect("rollout");
        assert_eq!(
            (r.strategy.as_str(), r.stage.as_deref()),
            ("CANARY", Some(stage))
        );
        assert_eq!(r.production_traffic_percent, Some(traffic));
        // The bake's end is known only while baking: the stage's start plus bakeTimeMinutes.
        let bake_end = (stage == "BAKE_TIME").then(|| "2026-11-21T10:30:00Z".to_owned());
        assert_eq!(r.bake_ends_at, bake_end, "{stage}");
        if stage == "PRODUCTION_TRAFFIC_SHIFT" {
            assert!(
                pm.contains("5% of production traffic on the new revision"),
                "{pm}"
            );
        }
    }
}

#[test]
fn a_rolled_back_deployment_is_degraded_with_the_reason_until_the_revision_changes() {
    let mut o = canary_at("CLEAN_UP", "ROLLBACK_SUCCESSFUL", 0.0);
    if let Some(d) = o.service_deployment.as_mut() {
        d.rollback_reason = Some("alarm web-5xx in ALARM".into());
    }
    let s = status(&Sync::InSync, &o, None, "2026-11-21T10:10:00Z");
    let (degraded, reason, message) = cond(&s, "Degraded");
    assert_eq!((degraded, reason), ("True", "RolledBack"));
    assert!(message.contains("alarm web-5xx in ALARM"), "{message}");
    assert_eq!(cond(&s, "Ready").0, "False");
    assert_eq!(cond(&s, "Progressing").0, "False");
    // Not read again (nothing in flight): the ended rollout is kept while the service runs
    // the same revision ...
    let mut settled = observed(2, vec![deployment("PRIMARY", TD2, 2, 2, "COMPLETED")]);
    let later = status(&Sync::InSync, &settled, Some(&s), "2026-11-21T10:20:00Z");
    assert_eq!(cond(&later, "Degraded").1, "RolledBack");
    // ... and dropped once it runs another one.
    if let Some(svc) = settled.service.as_mut() {
        svc.body.task_definition = TD1.into();
        svc.deployments = vec![deployment("PRIMARY", TD1, 2, 2, "COMPLETED")];
    }
    let moved = status(
        &Sync::InSync,
        &settled,
        Some(&later),
        "2026-11-21T10:30:00Z",
    );
    assert_eq!(cond(&moved, "Ready").0, "True");
    assert_eq!(moved.rollout.as_ref().and_then(|r| r.status.clone()), None);
}

#[test]
fn a_successful_rollout_is_ready() {
    let mut o = canary_at("CLEAN_UP", "SUCCESSFUL", 100.0);
    if let Some(s) = o.service.as_mut() {
        s.deployments = vec![deployment("PRIMARY", TD2, 2, 2, "COMPLETED")];
    }
    let s = status(&Sync::InSync, &o, None, "2026-11-21T10:10:00Z");
    assert_eq!(cond(&s, "Ready").0, "True");
    assert_eq!(cond(&s, "Progressing").0, "False");
}

#[test]
fn revision_history_lists_kept_revisions_newest_first_with_the_current_one_marked() {
    use fargate_operator::api::{GENERATION_TAG, SPEC_HASH_TAG};
    use fargate_operator::engine::report::task_definition_status;
    let owner = owner();
    let revision = |n: i32, image: &str| {
        let mut tags = owner.tags();
        tags.insert(SPEC_HASH_TAG.into(), format!("hash{n}"));
        tags.insert(GENERATION_TAG.into(), (n + 10).to_string());
        ObservedRevision {
            arn: format!("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web-api:{n}"),
            revision: n,
            body: TaskDefBody {
                family: "shop-web-api".into(),
                cpu: "256".into(),
                memory: "512".into(),
                cpu_architecture: None,
                operating_system_family: None,
                ephemeral_storage_gib: None,
                execution_role: None,
                task_role: None,
                containers: vec![ContainerDef {
                    name: "api".into(),
                    image: image.into(),
                    ..Default::default()
                }],
                volumes: vec![],
                pid_mode: None,
                enable_fault_injection: None,
            },
            tags,
            registered_at: Some(format!("2026-11-2{n}T10:00:00Z")),
        }
    };
    let observed = ObservedTaskDefinition {
        revisions: vec![
            revision(1, "web:1"),
            revision(2, "web:2"),
            revision(3, "web:3"),
        ],
        ..Default::default()
    };
    // A spec reverted to revision 2's: it is current, not the newest.
    let s = task_definition_status(
        &ReportInputs {
            owner: &owner,
            sync: &Sync::InSync,
            notes: &[],
            now: "2026-11-24T10:00:00Z".parse().unwrap(),
        },
        "shop-web-api",
        Some("hash2"),
        &observed,
        None,
    );
    assert!(s.arn.as_deref().is_some_and(|a| a.ends_with(":2")));
    let shown: Vec<(i32, bool, Option<i64>)> = s
        .revision_history
        .iter()
        .map(|e| (e.revision, e.current, e.generation))
        .collect();
    assert_eq!(
        shown,
        vec![
            (3, false, Some(13)),
            (2, true, Some(12)),
            (1, false, Some(11))
        ]
    );
    assert_eq!(s.revision_history[0].images, vec!["api=web:3".to_owned()]);
    assert_eq!(
        s.revision_history[0].registered_at.as_deref(),
        Some("2026-11-23T10:00:00Z")
    );
    assert_eq!(s.retained_revisions.len(), 2);
}

#[test]
fn a_rollback_ecs_ran_between_two_reconciles_is_recorded_with_the_revision_it_undid() {
    use fargate_operator::api::fargateservice::RolloutStatus;
    // The last status: revision 2 rolling back (an alarm), the service still on it.
    let mut rolling_back = canary_at("PRODUCTION_TRAFFIC_SHIFT", "ROLLBACK_IN_PROGRESS", 5.0);
    if let Some(d) = rolling_back.service_deployment.as_mut() {
        d.rollback_reason = Some("alarm web-5xx in ALARM".into());
    }
    let before = status(&Sync::InSync, &rolling_back, None, "2026-11-21T10:10:00Z");
    assert_eq!(before.task_definition_arn.as_deref(), Some(TD2));
    assert_eq!(
        before.rolled_back, None,
        "still on revision 2: nothing to hold yet"
    );
    // Now ECS runs revision 1 again and the service deployment is no longer read.
    let mut after = observed(2, vec![deployment("PRIMARY", TD1, 2, 2, "COMPLETED")]);
    if let Some(s) = after.service.as_mut() {
        s.body.task_definition = TD1.into();
    }
    let s = status(&Sync::InSync, &after, Some(&before), "2026-11-21T10:20:00Z");
    let held = s.rolled_back.clone().expect("recorded");
    assert_eq!(held.task_definition_arn, TD2);
    assert_eq!(held.generation, 3);
    assert_eq!(held.reason.as_deref(), Some("alarm web-5xx in ALARM"));
    // Kept while the generation is the same ...
    let later = status(&Sync::InSync, &after, Some(&s), "2026-11-21T10:30:00Z");
    assert_eq!(later.rolled_back, s.rolled_back);
    // ... and a rollback that had already ended at the last status is not taken for one of
    // the revision the service ran then.
    let ended = FargateServiceStatus {
        rolled_back: None,
        pre_deploy: None,
        rollout: Some(RolloutStatus {
            strategy: "CANARY".into(),
            status: Some("ROLLBACK_SUCCESSFUL".into()),
            ..Default::default()
        }),
        ..before.clone()
    };
    assert_eq!(
        status(&Sync::InSync, &after, Some(&ended), "2026-11-21T10:40:00Z").rolled_back,
        None
    );
}

/// A rolling deployment reads its service deployment as the other strategies do
/// (`engine::observe::wants_service_deployment`), so its stage shows too.
#[test]
fn every_stage_of_a_rolling_deployment_is_progressing_with_the_stage_in_the_message() {
    use fargate_operator::engine::observe::wants_service_deployment;
    for stage in [
        "RECONCILE_SERVICE",
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "CLEAN_UP",
    ] {
        let mut o = canary_at(stage, "IN_PROGRESS", 0.0);
        if let Some(s) = o.service.as_mut() {
            s.body.rollout = RolloutDef {
                strategy: Some("ROLLING".into()),
                ..RolloutDef::default()
            };
            s.deployments[0].running_count = 1;
            assert!(
                wants_service_deployment(s),
                "{stage}: read while rolling out"
            );
        }
        if let Some(d) = o.service_deployment.as_mut() {
            d.production_traffic_percent = None;
            d.test_traffic_percent = None;
            d.bake_time_minutes = None;
        }
        let s = status(&Sync::InSync, &o, None, "2026-11-21T10:10:00Z");
        let (ready, reason, _) = cond(&s, "Ready");
        assert_eq!((ready, reason), ("False", "Deploying"), "{stage}");
        let (progressing, _, message) = cond(&s, "Progressing");
        assert_eq!(progressing, "True", "{stage}");
        assert!(
            message.starts_with("ROLLING of revision shop-web-api:2: IN_PROGRESS at stage ")
                && message.contains(stage)
                && message.ends_with("1/2 tasks running"),
            "{stage}: {message}"
        );
        let r = s.rollout.as_ref().expect("rollout");
        assert_eq!(
            (
                r.strategy.as_str(),
                r.stage.as_deref(),
                r.bake_ends_at.as_deref()
            ),
            ("ROLLING", Some(stage), None)
        );
    }
    // Settled: no read (a steady service costs nothing extra).
    let done = observed(2, vec![deployment("PRIMARY", TD2, 2, 2, "COMPLETED")]);
    assert!(!wants_service_deployment(done.service.as_ref().unwrap()));
}

//! `spec.deployment.preDeploy` against moto: the RunTask the operator sends (read back from
//! moto: the revision, `startedBy`, tags, overrides) and the held UpdateService (the new
//! revision is not deployed while its preDeploy task has not succeeded; the other change
//! is). moto runs no containers: its task never exits 0 (it ends STOPPED without an exit
//! code), so the revision stays held; the success path, retries and the deadline are shown
//! on the stand-in (tests/predeploy.rs).

mod support;

use std::collections::BTreeMap;

use fargate_operator::api::{PRE_DEPLOY_TAG, UID_TAG};
use fargate_operator::engine::run;
use fargate_operator::manifests::Manifests;
use support::moto::{aws, moto, sdk_config};
use support::results::{assert_converged, assert_no_failure, result};
use support::sim::apply;

const CLUSTER: &str = "shop-pd";

/// examples/migrate-before-rollout.yaml in a namespace and cluster of its own, on moto's
/// network.
fn example() -> Manifests {
    let info = moto();
    let mut m = support::examples::load(&["migrate-before-rollout.yaml"]);
    for td in &mut m.task_definitions {
        td.metadata.namespace = Some("shop-pd".into());
    }
    for fs in &mut m.services {
        fs.metadata.namespace = Some("shop-pd".into());
        fs.spec.cluster.name = CLUSTER.into();
        fs.spec.network.subnets = info.subnets.clone();
        fs.spec.network.security_groups = vec![info.security_group.clone()];
    }
    m
}

#[tokio::test]
async fn a_pre_deploy_runs_the_new_revision_and_holds_it_while_other_changes_go_through() {
    let (aws, calls) = aws().await;
    let ecs = aws_sdk_ecs::Client::new(&sdk_config().await);
    let with = example();
    // The service first runs revision 1 (made without its preDeploy).
    let mut m = with.clone();
    m.services[0].spec.deployment.as_mut().unwrap().pre_deploy = None;
    assert_converged(&apply(&aws, &m).await);
    let service = "shop-pd_orders";
    let running = |s: &aws_sdk_ecs::types::Service| {
        (
            s.task_definition().unwrap_or_default().to_owned(),
            s.desired_count(),
        )
    };
    let describe = async || {
        let out = ecs
            .describe_services()
            .cluster(CLUSTER)
            .services(service)
            .send()
            .await
            .unwrap();
        running(&out.services()[0])
    };
    let (rev1, _) = describe().await;
    assert!(rev1.ends_with("task-definition/shop-pd_orders:1"), "{rev1}");

    // A new image, the preDeploy back, and another change (desiredCount).
    let mut m = with;
    m.task_definitions[0].spec.containers[0]
        .image
        .push_str("-2");
    m.services[0].spec.desired_count = 3;
    calls.reset();
    let results = apply(&aws, &m).await;
    assert_no_failure(&results);
    let writes = calls.writes();
    assert_eq!(writes.get("ecs:run_task"), Some(&1), "{writes:?}");
    assert_eq!(writes.get("ecs:update_service"), Some(&1), "{writes:?}");
    let (now, count) = describe().await;
    assert_eq!(now, rev1, "the new revision is held");
    assert_eq!(count, 3, "the other change went through");
    let s = result(&results, "FargateService", "orders")
        .fargate_service
        .clone()
        .unwrap();
    let pd = s.pre_deploy.expect("status.preDeploy");
    assert!(pd.target_task_definition_arn.ends_with(":2"), "{pd:?}");

    // The task as moto holds it: the new revision, startedBy naming the service, the
    // ownership and revision tags, the command override.
    let arn = pd.attempts[0].tasks[0].task_arn.clone();
    let t = ecs
        .describe_tasks()
        .cluster(CLUSTER)
        .tasks(&arn)
        .include(aws_sdk_ecs::types::TaskField::Tags)
        .send()
        .await
        .unwrap()
        .tasks()[0]
        .clone();
    assert_eq!(
        t.task_definition_arn(),
        Some(pd.target_task_definition_arn.as_str())
    );
    assert!(t.started_by().unwrap_or_default().starts_with("orders-"));
    let tags: BTreeMap<&str, &str> = t
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    assert_eq!(tags.get(PRE_DEPLOY_TAG), Some(&"shop-pd_orders:2"));
    assert!(tags.contains_key(UID_TAG));
    let command = t
        .overrides()
        .map(|o| o.container_overrides())
        .unwrap_or_default()
        .iter()
        .find(|c| c.name() == Some("app"))
        .map(|c| c.command().to_vec());
    assert_eq!(
        command,
        Some(
            ["python", "-m", "orders.manage", "migrate", "--no-input"]
                .map(String::from)
                .to_vec()
        )
    );

    // Applied again: no second task for the revision, and still held.
    calls.reset();
    assert_no_failure(&apply(&aws, &m).await);
    assert_eq!(calls.writes().get("ecs:run_task"), None);
    assert_eq!(describe().await.0, rev1);

    // Delete stops the task (if moto has not already) and removes the service.
    assert_no_failure(&run::delete(&aws, &m, 5).await);
    let t = ecs
        .describe_tasks()
        .cluster(CLUSTER)
        .tasks(&arn)
        .send()
        .await
        .unwrap()
        .tasks()[0]
        .clone();
    let stopped = t.last_status() == Some("STOPPED") || t.desired_status() == Some("STOPPED");
    assert!(stopped, "delete left the preDeploy task running");
}

//! The requests the SDK adapter really sends for one operator call are the ones the
//! operation table says (`AwsOp::requests`), which is also what the in-memory stand-in
//! counts: reads that follow up what they found (a role's policies, a log group's tags,
//! a scalable target's policies and scheduled actions) send exactly those follow-ups, and
//! nothing when they find nothing. Against moto, through the real SDK clients; the rate
//! limiter counts every request the adapter sends.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use fargate_operator::aws::limits::{Limits, RateLimits};
use fargate_operator::aws::{Aws, AwsOp, NewRole};
use fargate_operator::plan::model::{
    ContainerDef, ServiceBody, Tags, TaskDefBody, TaskDefinitionRef,
};
use support::moto::sdk_config;

async fn aws() -> (Aws, Arc<RateLimits>) {
    let limits = Arc::new(RateLimits::new(&Limits::default()));
    let conf = sdk_config().await;
    let aws = fargate_operator::aws::sdk::from_config_limited(&conf, limits.clone());
    (aws, limits)
}

/// The requests sent since `before`.
fn since(limits: &RateLimits, before: &BTreeMap<AwsOp, u64>) -> BTreeMap<AwsOp, u64> {
    limits
        .sent()
        .into_iter()
        .map(|(op, n)| (op, n - before.get(&op).copied().unwrap_or_default()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// What the table says one call of `op` sends, given what it found.
fn table(op: AwsOp, found: Option<u64>) -> BTreeMap<AwsOp, u64> {
    op.requests(found).into_iter().collect()
}

/// A service `web` in a new cluster (moto registers scalable targets of existing services
/// only).
async fn web_service(aws: &Aws, cluster: &str) {
    let info = support::moto::moto();
    aws.ecs
        .create_cluster(cluster, &["FARGATE".to_owned()], &Tags::new())
        .await
        .unwrap();
    let body = TaskDefBody {
        family: format!("{cluster}_web"),
        cpu: "256".into(),
        memory: "512".into(),
        cpu_architecture: None,
        operating_system_family: None,
        ephemeral_storage_gib: None,
        execution_role: None,
        task_role: None,
        containers: vec![ContainerDef {
            name: "web".into(),
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            ..ContainerDef::default()
        }],
        volumes: vec![],
    };
    let arn = aws
        .ecs
        .register_task_definition(&body, &Tags::new())
        .await
        .unwrap();
    let service = ServiceBody {
        task_definition: TaskDefinitionRef::Arn(arn),
        desired_count: 1,
        launch_type: Some("FARGATE".into()),
        capacity_provider_strategy: vec![],
        platform_version: None,
        subnets: info.subnets.clone(),
        security_groups: vec![info.security_group.clone()],
        assign_public_ip: false,
        load_balancers: vec![],
        health_check_grace_period_seconds: None,
        minimum_healthy_percent: None,
        maximum_percent: None,
        circuit_breaker: None,
        alarms: None,
        enable_execute_command: false,
        service_registries: vec![],
        propagate_tags: None,
    };
    aws.ecs
        .create_service(cluster, "web", &service, &Tags::new(), cluster)
        .await
        .unwrap();
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}-{nanos}")
}

#[tokio::test]
async fn reading_a_role_sends_the_tables_requests() {
    let (aws, limits) = aws().await;
    let name = unique("fgo-requests");

    let before = limits.sent();
    assert_eq!(aws.iam.get_role(&name).await.unwrap(), None);
    assert_eq!(since(&limits, &before), table(AwsOp::GetRole, None));

    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    });
    aws.iam
        .create_role(NewRole {
            name: &name,
            path: "/fargate-operator/",
            trust_policy: &trust,
            permissions_boundary: None,
            description: "requests test",
            tags: &Tags::new(),
        })
        .await
        .unwrap();
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]
    });
    for policy in ["one", "two"] {
        aws.iam
            .put_role_policy(&name, policy, &document)
            .await
            .unwrap();
    }
    let before = limits.sent();
    let role = aws.iam.get_role(&name).await.unwrap().expect("the role");
    assert_eq!(role.inline_policies.len(), 2);
    assert_eq!(since(&limits, &before), table(AwsOp::GetRole, Some(2)));
}

#[tokio::test]
async fn reading_a_log_group_sends_the_tables_requests() {
    let (aws, limits) = aws().await;
    let name = format!("/ecs/{}", unique("requests"));

    let before = limits.sent();
    assert_eq!(aws.logs.describe_log_group(&name).await.unwrap(), None);
    assert_eq!(
        since(&limits, &before),
        table(AwsOp::DescribeLogGroups, None)
    );

    aws.logs
        .create_log_group(&name, &Tags::from([("team".into(), "shop".into())]))
        .await
        .unwrap();
    let before = limits.sent();
    assert!(aws.logs.describe_log_group(&name).await.unwrap().is_some());
    assert_eq!(
        since(&limits, &before),
        table(AwsOp::DescribeLogGroups, Some(0))
    );
}

#[tokio::test]
async fn reading_autoscaling_and_stopped_tasks_sends_the_tables_requests() {
    let (aws, limits) = aws().await;
    let cluster = unique("requests");
    let resource_id = format!("service/{cluster}/web");

    let before = limits.sent();
    let scaling = aws.scaling.describe(&resource_id).await.unwrap();
    assert_eq!(scaling.target, None);
    assert_eq!(
        since(&limits, &before),
        table(AwsOp::DescribeScalableTargets, None)
    );

    web_service(&aws, &cluster).await;
    aws.scaling
        .register_scalable_target(&resource_id, 1, 4)
        .await
        .unwrap();
    let before = limits.sent();
    let scaling = aws.scaling.describe(&resource_id).await.unwrap();
    assert_eq!(scaling.target, Some((1, 4)));
    assert_eq!(
        since(&limits, &before),
        table(AwsOp::DescribeScalableTargets, Some(0))
    );

    // A cluster without tasks: ListTasks finds none to describe.
    let before = limits.sent();
    let stopped = aws.ecs.stopped_tasks(&cluster, "web", 5).await.unwrap();
    assert!(stopped.is_empty());
    assert_eq!(since(&limits, &before), table(AwsOp::ListTasks, None));
}

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
use fargate_operator::plan::model::Tags;
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
/// only), made with plain SDK clients.
async fn web_service(cluster: &str) {
    use aws_sdk_ecs::types::{
        AwsVpcConfiguration, ContainerDefinition, LaunchType, NetworkConfiguration, NetworkMode,
    };
    let info = support::moto::moto();
    let ecs = aws_sdk_ecs::Client::new(&sdk_config().await);
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    let container = ContainerDefinition::builder()
        .name("web")
        .image("public.ecr.aws/nginx/nginx:1.27")
        .build();
    let registered = ecs
        .register_task_definition()
        .family(format!("{cluster}_web"))
        .cpu("256")
        .memory("512")
        .network_mode(NetworkMode::Awsvpc)
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    let revision = registered
        .task_definition()
        .and_then(|t| t.task_definition_arn());
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(info.subnets.clone()))
        .security_groups(info.security_group.clone())
        .build()
        .unwrap();
    ecs.create_service()
        .cluster(cluster)
        .service_name("web")
        .set_task_definition(revision.map(str::to_owned))
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        .send()
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

    web_service(&cluster).await;
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

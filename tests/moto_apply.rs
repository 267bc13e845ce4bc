//! `apply` and `delete` end to end against moto (the local AWS emulator), through the real
//! SDK clients. What the operator made is read back with plain SDK clients, not through the
//! operator's own types.
//!
//! moto gaps, covered elsewhere with fakes (tests/report.rs, tests/fakes.rs): it keeps
//! runningCount at 0 (so no service here becomes Ready), drops circuit breaker, capacity
//! providers and clientToken, has no service events, keeps no managed EBS volumes
//! (volumeConfigurations), and crashes on a service without security groups (so every
//! service here names one).

mod support;

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ServiceField, TaskDefinitionField};
use fargate_operator::api::{reasons, FargateService, TaskDefinition};
use fargate_operator::aws::instrument::CallKind;
use fargate_operator::engine::run::{self};
use fargate_operator::manifests::Manifests;
use support::examples::{only, with_services_named};
use support::moto::{aws, moto, sdk_config};
use support::results::{assert_converged, assert_no_failure, condition, result};
use support::sim::apply;

/// The examples, moved to namespaces and clusters of their own (`<ns>-<tag>`), with moto's
/// subnets and security group in place of the placeholders.
fn examples(tag: &str) -> Manifests {
    let info = moto();
    let mut m = support::examples::all();
    // moto keeps no volumeConfigurations (managed EBS volumes): the example with one would
    // never converge here. Its request shape is tested in src/aws/sdk/ecs_convert.rs.
    m.services
        .retain(|s| s.spec.volume_configurations.is_empty());
    // moto runs no containers: a preDeploy task never exits there, so the example with one
    // would wait for ever (tests/moto_predeploy.rs checks its RunTask and the held
    // revision on moto; tests/predeploy.rs runs it on the stand-in).
    m.services.retain(|s| {
        s.spec
            .deployment
            .as_ref()
            .is_none_or(|d| d.pre_deploy.is_none())
    });
    m.task_definitions.retain(|t| {
        t.spec
            .volumes
            .iter()
            .all(|v| v.configured_at_launch != Some(true))
    });
    for td in &mut m.task_definitions {
        retag(&mut td.metadata, tag);
    }
    for fs in &mut m.services {
        retag(&mut fs.metadata, tag);
        fs.spec.cluster.name = format!("{}-{tag}", fs.spec.cluster.name);
        fs.spec.network.subnets = info.subnets.clone();
        fs.spec.network.security_groups = vec![info.security_group.clone()];
    }
    for ft in &mut m.tasks {
        retag(&mut ft.metadata, tag);
        ft.spec.cluster.name = format!("{}-{tag}", ft.spec.cluster.name);
        ft.spec.network.subnets = info.subnets.clone();
        ft.spec.network.security_groups = vec![info.security_group.clone()];
    }
    m
}

fn retag(meta: &mut kube::api::ObjectMeta, tag: &str) {
    let ns = meta.namespace.clone().unwrap_or_else(|| "default".into());
    meta.namespace = Some(format!("{ns}-{tag}"));
}

fn td_mut<'a>(m: &'a mut Manifests, name: &str) -> &'a mut TaskDefinition {
    m.task_definitions
        .iter_mut()
        .find(|t| t.metadata.name.as_deref() == Some(name))
        .expect("task definition in manifests")
}

fn fs_mut<'a>(m: &'a mut Manifests, name: &str) -> &'a mut FargateService {
    m.services
        .iter_mut()
        .find(|t| t.metadata.name.as_deref() == Some(name))
        .expect("service in manifests")
}

/// Clients that read AWS directly, bypassing the operator's code.
struct Raw {
    ecs: aws_sdk_ecs::Client,
    iam: aws_sdk_iam::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    scaling: aws_sdk_applicationautoscaling::Client,
}

async fn raw() -> Raw {
    let conf = sdk_config().await;
    Raw {
        ecs: aws_sdk_ecs::Client::new(&conf),
        iam: aws_sdk_iam::Client::new(&conf),
        logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
        scaling: aws_sdk_applicationautoscaling::Client::new(&conf),
    }
}

impl Raw {
    async fn service(&self, cluster: &str, name: &str) -> Option<aws_sdk_ecs::types::Service> {
        self.ecs
            .describe_services()
            .cluster(cluster)
            .services(name)
            .include(ServiceField::Tags)
            .send()
            .await
            .ok()?
            .services()
            .first()
            .cloned()
    }

    async fn active_revisions(&self, family: &str) -> Vec<String> {
        self.ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .send()
            .await
            .expect("list task definitions")
            .task_definition_arns()
            .to_vec()
    }

    async fn role_exists(&self, name: &str) -> bool {
        self.iam.get_role().role_name(name).send().await.is_ok()
    }

    async fn log_group_exists(&self, name: &str) -> bool {
        self.logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .expect("describe log groups")
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(name))
    }

    async fn scalable_targets(&self, resource_id: &str) -> usize {
        self.scaling
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_ids(resource_id)
            .send()
            .await
            .expect("describe scalable targets")
            .scalable_targets()
            .len()
    }
}

fn tags(t: &[aws_sdk_ecs::types::Tag]) -> BTreeMap<String, String> {
    t.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn examples_create_every_resource_and_a_second_apply_writes_nothing() {
    let (aws, calls) = aws().await;
    let raw = raw().await;
    let m = examples("create");
    let results = apply(&aws, &m).await;
    assert_converged(&results);

    // The task definition, as ECS has it.
    let td = raw
        .ecs
        .describe_task_definition()
        .task_definition("shop-create_web-api")
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .expect("web-api family registered");
    let def = td.task_definition().expect("task definition");
    assert_eq!(def.revision(), 1);
    assert_eq!(def.cpu(), Some("512"));
    assert_eq!(def.memory(), Some("1024"));
    assert_eq!(def.network_mode().map(|n| n.as_str()), Some("awsvpc"));
    let api = &def.container_definitions()[0];
    assert_eq!(api.image(), Some("public.ecr.aws/nginx/nginx:1.27.3"));
    assert_eq!(api.port_mappings()[0].container_port(), Some(8080));
    assert_eq!(
        api.secrets()[0].value_from(),
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/database-url-AbCdEf"
    );
    let exec_arn = def.execution_role_arn().expect("execution role");
    assert!(
        exec_arn.ends_with(":role/fargate-operator/fgo_shop-create_web-api_exec"),
        "{exec_arn}"
    );
    let td_tags = tags(td.tags());
    assert_eq!(td_tags["ecs.fargate.dev/owner"], "shop-create/web-api");
    assert!(td_tags.contains_key("ecs.fargate.dev/uid"));

    // The execution role: path, trust, managed policy, and read access to exactly its secret
    // and log group.
    let role = raw
        .iam
        .get_role()
        .role_name("fgo_shop-create_web-api_exec")
        .send()
        .await
        .expect("execution role exists");
    let role = role.role().expect("role");
    assert_eq!(role.path(), "/fargate-operator/");
    let trust = urlencoding::decode(role.assume_role_policy_document().unwrap_or_default())
        .expect("decodable")
        .into_owned();
    assert!(trust.contains("ecs-tasks.amazonaws.com"), "{trust}");
    let attached = raw
        .iam
        .list_attached_role_policies()
        .role_name("fgo_shop-create_web-api_exec")
        .send()
        .await
        .expect("attached policies");
    let attached: Vec<_> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(
        attached,
        ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    );
    let inline = raw
        .iam
        .get_role_policy()
        .role_name("fgo_shop-create_web-api_exec")
        .policy_name("fargate-operator-execution")
        .send()
        .await
        .expect("inline execution policy");
    let doc = urlencoding::decode(inline.policy_document())
        .expect("decodable")
        .into_owned();
    assert!(doc.contains("secret:shop/database-url-AbCdEf"), "{doc}");
    assert!(doc.contains("log-group:/ecs/shop-create_web-api"), "{doc}");

    // The log group with its retention.
    let groups = raw
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/shop-create_web-api")
        .send()
        .await
        .expect("log groups");
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(30));

    // The service.
    let svc = raw
        .service("shop-create", "shop-create_web-api")
        .await
        .expect("service exists");
    assert_eq!(svc.status(), Some("ACTIVE"));
    assert_eq!(svc.desired_count(), 2);
    assert_eq!(svc.task_definition(), def.task_definition_arn());
    assert_eq!(
        svc.load_balancers()[0].target_group_arn(),
        Some("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-api/0123456789abcdef")
    );
    let vpc = svc
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .expect("awsvpc");
    let mut subnets = vpc.subnets().to_vec();
    subnets.sort();
    let mut want = moto().subnets;
    want.sort();
    assert_eq!(subnets, want);
    assert_eq!(svc.health_check_grace_period_seconds(), Some(30));
    assert_eq!(tags(svc.tags())["team"], "shop");

    // Autoscaling: target, CPU policy, two schedules.
    let rid = "service/shop-create/shop-create_web-api";
    let targets = raw
        .scaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_ids(rid)
        .send()
        .await
        .expect("targets");
    let t = &targets.scalable_targets()[0];
    assert_eq!((t.min_capacity(), t.max_capacity()), (2, 10));
    let policies = raw
        .scaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(rid)
        .send()
        .await
        .expect("policies");
    let p = &policies.scaling_policies()[0];
    let cfg = p
        .target_tracking_scaling_policy_configuration()
        .expect("target tracking");
    assert_eq!(cfg.target_value(), 60.0);
    let schedules = raw
        .scaling
        .describe_scheduled_actions()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(rid)
        .send()
        .await
        .expect("schedules");
    let mut names: Vec<_> = schedules
        .scheduled_actions()
        .iter()
        .map(|a| a.scheduled_action_name())
        .collect();
    names.sort();
    assert_eq!(names, ["morning", "night"]);

    // The status reports what AWS has. moto keeps runningCount at 0, so not Ready.
    let web = result(&results, "FargateService", "web-api");
    let status = web.fargate_service.as_ref().expect("status");
    assert_eq!(status.service_arn.as_deref(), svc.service_arn());
    let family = status
        .task_definition_arn
        .as_deref()
        .and_then(|a| a.rsplit_once('/'))
        .map(|(_, fr)| fr.to_owned());
    assert_eq!(status.task_definition_revision, family);
    assert!(status
        .task_definition_revision
        .as_deref()
        .unwrap()
        .ends_with("web-api:1"));
    assert_eq!(status.desired_count, Some(2));
    assert!(!web.ready());

    // Again: zero writes, no new revision.
    calls.reset();
    let again = apply(&aws, &m).await;
    assert_converged(&again);
    assert_eq!(
        calls.writes(),
        BTreeMap::new(),
        "a second apply wrote to AWS"
    );
    assert!(
        calls.total(CallKind::Read) > 0,
        "the second apply observed nothing"
    );
    assert_eq!(raw.active_revisions("shop-create_web-api").await.len(), 1);
    for r in &again {
        assert!(
            r.applied.is_empty(),
            "{} {} applied {:?}",
            r.kind,
            r.name,
            r.applied
        );
    }
}

#[tokio::test]
async fn an_image_change_registers_one_revision_and_rolls_the_service() {
    let (aws, calls) = aws().await;
    let raw = raw().await;
    let mut m = only(&examples("image"), "web-api");
    assert_converged(&apply(&aws, &m).await);

    td_mut(&mut m, "web-api").spec.containers[0].image = "public.ecr.aws/nginx/nginx:1.27.4".into();
    calls.reset();
    let results = apply(&aws, &m).await;
    assert_converged(&results);
    assert_eq!(calls.count("register_task_definition"), 1);
    assert_eq!(calls.count("update_service"), 1);
    assert_eq!(calls.count("create_service"), 0);
    let svc = raw
        .service("shop-image", "shop-image_web-api")
        .await
        .expect("service");
    assert!(
        svc.task_definition()
            .is_some_and(|t| t.ends_with("shop-image_web-api:2")),
        "{:?}",
        svc.task_definition()
    );
    // The old revision is kept for rollback (history limit 10).
    assert_eq!(raw.active_revisions("shop-image_web-api").await.len(), 2);

    // desiredCount belongs to the autoscaler once scaling is set.
    fs_mut(&mut m, "web-api").spec.desired_count = 7;
    calls.reset();
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(calls.total(CallKind::Write), 0, "{:?}", calls.writes());
    let svc = raw
        .service("shop-image", "shop-image_web-api")
        .await
        .expect("service");
    assert_eq!(svc.desired_count(), 2);
}

#[tokio::test]
async fn a_service_made_outside_the_operator_is_a_conflict_until_adopted() {
    let (aws, calls) = aws().await;
    let raw = raw().await;
    let info = moto();
    let m = only(&examples("adopt"), "worker");
    // Someone else's service of the same name, in the same cluster, on their own revision.
    raw.ecs
        .create_cluster()
        .cluster_name("shop-adopt")
        .send()
        .await
        .expect("cluster");
    let theirs = raw
        .ecs
        .register_task_definition()
        .family("hand-made")
        .cpu("256")
        .memory("512")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("busybox:1.36")
                .build(),
        )
        .send()
        .await
        .expect("their task definition");
    let theirs = theirs
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("arn")
        .to_owned();
    raw.ecs
        .create_service()
        .cluster("shop-adopt")
        .service_name("shop-adopt_worker")
        .task_definition(&theirs)
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(
            aws_sdk_ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                        .subnets(&info.subnets[0])
                        .security_groups(&info.security_group)
                        .build()
                        .expect("vpc config"),
                )
                .build(),
        )
        .send()
        .await
        .expect("their service");

    calls.reset();
    let results = apply(&aws, &m).await;
    let worker = result(&results, "FargateService", "worker");
    let (reason, message) = worker.failure.clone().expect("a conflict");
    assert_eq!(reason, reasons::CONFLICT);
    assert!(message.contains("ecs.fargate.dev/adopt"), "{message}");
    assert_eq!(calls.count("update_service"), 0);
    assert_eq!(calls.count("tag_resource"), 0);
    let svc = raw
        .service("shop-adopt", "shop-adopt_worker")
        .await
        .expect("service");
    assert_eq!(svc.task_definition(), Some(theirs.as_str()));
    assert!(tags(svc.tags()).is_empty());

    let mut m = m;
    fs_mut(&mut m, "worker")
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert("ecs.fargate.dev/adopt".into(), "true".into());
    // The annotation alone: refused, nothing written.
    calls.reset();
    let results = apply(&aws, &m).await;
    let (reason, message) = result(&results, "FargateService", "worker")
        .failure
        .clone()
        .expect("adoption refused");
    assert_eq!(reason, reasons::NOT_ALLOWED);
    assert!(message.contains("--allow-adoption"), "{message}");
    assert_eq!(calls.count("update_service"), 0);
    assert_eq!(calls.count("tag_resource"), 0);
    // With the operator's --allow-adoption, the service is taken over.
    let results = support::sim::apply_adopting(&aws, &m).await;
    assert_converged(&results);
    let svc = raw
        .service("shop-adopt", "shop-adopt_worker")
        .await
        .expect("service");
    let t = tags(svc.tags());
    assert_eq!(t["ecs.fargate.dev/owner"], "shop-adopt/worker");
    assert!(svc
        .task_definition()
        .is_some_and(|t| t.contains("shop-adopt_worker:")));
    assert_eq!(svc.desired_count(), 4);
}

#[tokio::test]
async fn delete_removes_what_the_operator_made_and_nothing_else_and_retain_keeps() {
    let (aws, _) = aws().await;
    let raw = raw().await;
    let m = examples("delete");
    assert_converged(&apply(&aws, &m).await);
    // Things the operator did not make, with names close to its own.
    raw.logs
        .create_log_group()
        .log_group_name("/ecs/shop-delete_web-api-other")
        .send()
        .await
        .expect("other log group");
    raw.iam
        .create_role()
        .role_name("fgo-shop-delete-web-api-other")
        .path("/fargate-operator/")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .expect("other role");

    let results = run::delete(&aws, &m, 5).await;
    assert_no_failure(&results);
    // web-api and worker: everything gone.
    for (cluster, name, family) in [
        ("shop-delete", "shop-delete_web-api", "shop-delete_web-api"),
        ("shop-delete", "shop-delete_worker", "shop-delete_worker"),
    ] {
        let svc = raw.service(cluster, name).await;
        assert!(
            svc.as_ref().is_none_or(|s| s.status() != Some("ACTIVE")),
            "{name} still active"
        );
        assert_eq!(
            raw.scalable_targets(&format!("service/{cluster}/{name}"))
                .await,
            0
        );
        assert!(raw.active_revisions(family).await.is_empty(), "{family}");
        assert!(!raw.role_exists(&format!("fgo_{family}_exec")).await);
        assert!(!raw.log_group_exists(&format!("/ecs/{family}")).await);
    }
    assert!(!raw.role_exists("fgo_shop-delete_web-api_task").await);
    // Not ours: untouched.
    assert!(raw.log_group_exists("/ecs/shop-delete_web-api-other").await);
    assert!(raw.role_exists("fgo-shop-delete-web-api-other").await);
    // reports has deletionPolicy: Retain: its service and what it runs stay.
    let reports = raw
        .service("analytics-delete", "analytics-delete_reports")
        .await
        .expect("retained service");
    assert_eq!(reports.status(), Some("ACTIVE"));
    assert_eq!(
        raw.active_revisions("analytics-delete_reports").await.len(),
        1
    );
    assert!(raw.role_exists("fgo_analytics-delete_reports_exec").await);

    // Deleting again is a no-op.
    let again = run::delete(&aws, &m, 5).await;
    assert!(again
        .iter()
        .all(|r| r.applied.is_empty() && r.failure.is_none()));
}

/// The controller's cleanup, which has no manifests: it asks ECS (ListClusters,
/// ListServices, DescribeServices through the real SDK client) which services run the
/// family, so a retained service whose object is gone keeps its revision, roles and log group.
#[tokio::test]
async fn a_cleanup_asking_ecs_keeps_what_a_retained_service_runs_until_it_is_deleted() {
    use fargate_operator::engine::{cleanup_task_definition_asking_ecs, Sync};
    use std::collections::BTreeSet;

    let (aws, calls) = aws().await;
    let raw = raw().await;
    let m = only(&examples("asking"), "reports");
    assert_converged(&apply(&aws, &m).await);
    let td = &m.task_definitions[0];
    let (cluster, service) = ("analytics-asking", "analytics-asking_reports");
    let family = "analytics-asking_reports";
    let revisions = raw.active_revisions(family).await;
    assert_eq!(revisions.len(), 1, "{revisions:?}");

    let (known, none) = (Default::default(), BTreeSet::new());
    let (c, running) = cleanup_task_definition_asking_ecs(&aws, td, &known, &none, 5).await;
    match &c.sync {
        Sync::Waiting { reason, message } => {
            assert_eq!(*reason, reasons::DELETING);
            assert!(message.contains(&revisions[0]), "{message}");
            assert!(
                message.contains(&format!("ECS service {cluster}/{service}")),
                "{message}"
            );
        }
        other => panic!("cleanup should wait: {other:?}"),
    }
    assert!(c.applied.is_empty(), "{:?}", c.applied);
    assert_eq!(
        running,
        BTreeSet::from([(cluster.to_owned(), service.to_owned())])
    );
    assert!(calls.count("list_clusters") > 0 && calls.count("list_services") > 0);
    assert_eq!(raw.active_revisions(family).await, revisions);
    assert!(raw.role_exists(&format!("fgo_{family}_exec")).await);
    assert!(raw.log_group_exists(&format!("/ecs/{family}")).await);

    // The service is deleted in AWS: the next attempt cleans up.
    raw.ecs
        .delete_service()
        .cluster(cluster)
        .service(service)
        .force(true)
        .send()
        .await
        .expect("delete service");
    let (c, running) = cleanup_task_definition_asking_ecs(&aws, td, &known, &running, 5).await;
    assert_eq!(c.sync, Sync::InSync, "{c:?}");
    assert!(running.is_empty());
    assert!(raw.active_revisions(family).await.is_empty());
    assert!(!raw.role_exists(&format!("fgo_{family}_exec")).await);
    assert!(!raw.log_group_exists(&format!("/ecs/{family}")).await);
}

#[tokio::test]
async fn a_task_role_asking_for_a_policy_outside_the_allowlist_is_refused_without_iam_writes() {
    let (aws, calls) = aws().await;
    let raw = raw().await;
    let mut m = only(&examples("deny"), "web-api");
    let td = td_mut(&mut m, "web-api");
    let managed = td
        .spec
        .task_role
        .as_mut()
        .and_then(|r| r.managed.as_mut())
        .expect("web-api has a managed task role");
    managed
        .policy_arns
        .push("arn:aws:iam::aws:policy/AdministratorAccess".into());
    let results = apply(&aws, &m).await;
    let td = result(&results, "TaskDefinition", "web-api");
    let (reason, message) = td.failure.clone().expect("refused");
    assert_eq!(reason, reasons::POLICY_NOT_ALLOWED);
    assert!(message.contains("AdministratorAccess"), "{message}");
    let degraded = condition(td, "Degraded");
    assert_eq!(
        (degraded.status.as_str(), degraded.reason.as_str()),
        ("True", "PolicyNotAllowed")
    );
    let iam_writes: usize = calls
        .writes()
        .iter()
        .filter(|(k, _)| k.starts_with("iam:"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(iam_writes, 0);
    assert!(!raw.role_exists("fgo_shop-deny_web-api_task").await);
    // The service waits for its task definition instead of failing.
    let svc = result(&results, "FargateService", "web-api");
    assert_eq!(
        svc.failure.as_ref().map(|f| f.0.as_str()),
        Some(reasons::WAITING_FOR_TASK_DEFINITION)
    );
}

/// moto matches DescribeScalingPolicies' ResourceId as a substring, so reading
/// `service/<cluster>/scale-app99` also answers with the policy of `scale-app9`. Scaling
/// policies carry no ownership tags: the operator keeps only items whose ResourceId is its
/// service's exactly, and neither reconciling nor deleting one service touches the other's.
#[tokio::test]
async fn autoscaling_of_a_service_whose_name_extends_another_is_left_alone() {
    let (aws, calls) = aws().await;
    let raw = raw().await;
    let m = with_services_named(
        only(&examples("prefix"), "web-api"),
        &["scale-app9", "scale-app99"],
    );
    let app9 = "service/shop-prefix/scale-app9";
    let app99 = "service/shop-prefix/scale-app99";
    assert_converged(&apply(&aws, &m).await);
    calls.reset();
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(
        calls.writes(),
        BTreeMap::new(),
        "a second apply wrote to AWS"
    );

    let policies = |rid: &'static str| {
        let raw = &raw;
        async move {
            let mut names: Vec<String> = raw
                .scaling
                .describe_scaling_policies()
                .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
                .resource_id(rid)
                .send()
                .await
                .expect("policies")
                .scaling_policies()
                .iter()
                .filter(|p| p.resource_id() == rid)
                .map(|p| p.policy_name().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    let schedules = |rid: &'static str| {
        let raw = &raw;
        async move {
            let mut names: Vec<String> = raw
                .scaling
                .describe_scheduled_actions()
                .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
                .resource_id(rid)
                .send()
                .await
                .expect("schedules")
                .scheduled_actions()
                .iter()
                .filter(|a| a.resource_id() == rid)
                .map(|a| a.scheduled_action_name().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    // moto's loose match, which this test depends on.
    let loose = raw
        .scaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(app99)
        .send()
        .await
        .expect("policies");
    assert!(
        loose
            .scaling_policies()
            .iter()
            .any(|p| p.resource_id() == app9),
        "moto no longer answers {app99} with {app9}'s policy: this test no longer tests anything"
    );

    // Deleting scale-app99 leaves scale-app9's autoscaling alone.
    let results = run::delete(&aws, &only(&m, "scale-app99"), 5).await;
    assert_no_failure(&results);
    assert_eq!(raw.scalable_targets(app99).await, 0);
    assert_eq!(raw.scalable_targets(app9).await, 1);
    assert_eq!(policies(app9).await, ["scale-app9-cpu"]);
    assert_eq!(schedules(app9).await, ["morning", "night"]);

    // And scale-app9 still plans nothing.
    calls.reset();
    let app9_only = Manifests {
        task_definitions: m.task_definitions.clone(),
        ..only(&m, "scale-app9")
    };
    assert_converged(&apply(&aws, &app9_only).await);
    assert_eq!(calls.writes(), BTreeMap::new());

    let results = run::delete(&aws, &only(&m, "scale-app9"), 5).await;
    assert_no_failure(&results);
    assert_eq!(raw.scalable_targets(app9).await, 0);
}

/// Moto keeps a container definition as sent, so the fields of issue 19 round-trip through
/// RegisterTaskDefinition and DescribeTaskDefinition there, and a second apply registers
/// nothing.
#[tokio::test]
async fn the_newer_container_fields_round_trip_through_moto() {
    let (aws, calls) = aws().await;
    let raw = raw().await;
    let m = only(&examples("fields"), "ledger");
    assert_converged(&apply(&aws, &m).await);
    let td = raw
        .ecs
        .describe_task_definition()
        .task_definition("payments-fields_ledger")
        .send()
        .await
        .expect("ledger registered");
    let def = td.task_definition().expect("task definition");
    let api = &def.container_definitions()[0];
    assert_eq!(
        api.repository_credentials()
            .map(|r| r.credentials_parameter()),
        Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/ghcr-pull-AbCdEf")
    );
    assert_eq!(
        api.environment_files()[0].value(),
        "arn:aws:s3:::payments-config-123456789012/ledger/prod.env"
    );
    assert_eq!(api.stop_timeout(), Some(60));
    let restart = api.restart_policy().expect("restart policy");
    assert!(restart.enabled());
    assert_eq!(restart.ignored_exit_codes(), [0]);
    assert_eq!(restart.restart_attempt_period(), Some(120));
    assert_eq!(
        api.docker_labels()
            .and_then(|l| l.get("com.example.team"))
            .map(String::as_str),
        Some("payments")
    );
    assert_eq!(
        api.system_controls()[0].namespace(),
        Some("net.ipv4.tcp_keepalive_time")
    );
    let caps = api
        .linux_parameters()
        .and_then(|l| l.capabilities())
        .expect("capabilities");
    assert_eq!(caps.drop(), ["NET_RAW"]);
    let logs = api.log_configuration().expect("log configuration");
    assert_eq!(logs.log_driver().as_str(), "awsfirelens");
    let options = logs.options().expect("options");
    assert_eq!(options["mode"], "non-blocking");
    assert_eq!(options["Name"], "cloudwatch_logs");
    let router = &def.container_definitions()[1];
    assert_eq!(
        router.firelens_configuration().map(|f| f.r#type().as_str()),
        Some("fluentbit")
    );

    calls.reset();
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(calls.total(CallKind::Write), 0, "{:?}", calls.writes());
    assert_eq!(
        raw.active_revisions("payments-fields_ledger").await.len(),
        1
    );
}

/// examples/migrate.yaml (with the web-api example it runs, whose service makes the
/// cluster) end to end: one RunTask whose task reports its ARN and log stream; applied again,
/// nothing new runs (the run is found by startedBy and its tags); a new generation runs once;
/// delete stops what runs and leaves no task of the object running.
///
/// moto runs no containers: each DescribeTasks moves a task one step along RUNNING →
/// DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED, with no exit code (a run that would
/// fail). `backoffLimit: 0` keeps that from being retried here; exit codes, retries and the
/// deadline are shown on the stand-in (tests/tasks.rs).
#[tokio::test]
async fn a_one_off_run_starts_once_per_generation_and_delete_stops_it() {
    let (aws, calls) = aws().await;
    let raw = raw().await;
    let all = examples("fgt");
    let mut m = only(&all, "web-api");
    m.tasks = only(&all, "migrate").tasks;
    assert_eq!(m.tasks.len(), 1);
    m.tasks[0].spec.backoff_limit = 0;

    let results = apply(&aws, &m).await;
    assert_converged(&results);
    let r = result(&results, "FargateTask", "migrate");
    let s = r.fargate_task.as_ref().expect("status");
    assert_eq!(s.attempts.len(), 1);
    let task = &s.attempts[0].tasks[0];
    let id = task.task_arn.rsplit('/').next().unwrap();
    let api = task
        .containers
        .iter()
        .find(|c| c.name == "api")
        .expect("api");
    assert_eq!(api.log_group.as_deref(), Some("/ecs/shop-fgt_web-api"));
    assert_eq!(api.log_stream, Some(format!("api/api/{id}")));
    assert_eq!(calls.writes().get("ecs:run_task"), Some(&1));

    // What ECS holds, read directly: one task, tagged with its owner and attempt.
    let started_by = raw_task(&raw, &m, &task.task_arn).await;
    let listed = raw
        .ecs
        .list_tasks()
        .cluster("shop-fgt")
        .started_by(&started_by)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.task_arns(), std::slice::from_ref(&task.task_arn));

    calls.reset();
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(
        calls.writes(),
        BTreeMap::new(),
        "applied again: nothing runs"
    );

    let mut next = m.clone();
    next.tasks[0].metadata.generation = Some(2);
    calls.reset();
    let results = apply(&aws, &next).await;
    assert_converged(&results);
    // One RunTask (and a StopTask of the older generation's task if moto had not moved it
    // to STOPPED yet).
    assert_eq!(calls.writes().get("ecs:run_task"), Some(&1));
    assert!(calls.writes().get("ecs:stop_task").is_none_or(|n| *n <= 1));
    let s = result(&results, "FargateTask", "migrate")
        .fargate_task
        .clone()
        .unwrap();
    assert_eq!(s.run_generation, Some(2));
    assert_eq!(s.attempts.len(), 1);
    calls.reset();
    assert_converged(&apply(&aws, &next).await);
    assert_eq!(calls.writes(), BTreeMap::new());

    let results = run::delete(&aws, &next, 5).await;
    assert_no_failure(&results);
    // Every task of the object is stopped or told to stop.
    let listed = raw
        .ecs
        .list_tasks()
        .cluster("shop-fgt")
        .started_by(&started_by)
        .send()
        .await
        .unwrap();
    let described = raw
        .ecs
        .describe_tasks()
        .cluster("shop-fgt")
        .set_tasks(Some(listed.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(described.tasks().len(), 2, "one task per generation");
    for t in described.tasks() {
        let stopped = t.last_status() == Some("STOPPED") || t.desired_status() == Some("STOPPED");
        assert!(stopped, "delete left {:?} running", t.task_arn());
    }
    let results = run::delete(&aws, &only(&all, "web-api"), 5).await;
    assert_no_failure(&results);
}

/// The task's startedBy, after checking its ownership and attempt tags (read directly).
async fn raw_task(raw: &Raw, m: &Manifests, arn: &str) -> String {
    let described = raw
        .ecs
        .describe_tasks()
        .cluster("shop-fgt")
        .tasks(arn)
        .include(aws_sdk_ecs::types::TaskField::Tags)
        .send()
        .await
        .unwrap();
    let t = &described.tasks()[0];
    let tags: BTreeMap<&str, &str> = t
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    let owner = format!(
        "{}/migrate",
        m.tasks[0].metadata.namespace.as_deref().unwrap()
    );
    assert_eq!(tags.get("ecs.fargate.dev/owner"), Some(&owner.as_str()));
    assert_eq!(tags.get("ecs.fargate.dev/attempt"), Some(&"1"));
    assert_eq!(tags.get("ecs.fargate.dev/generation"), Some(&"1"));
    t.started_by().expect("startedBy").to_owned()
}

//! Planner behaviour on the examples, against the in-memory AWS model (`testing::sim`).

mod support;

use std::collections::BTreeMap;

use fargate_operator::api::fargateservice::{CanarySpec, DeploymentStrategy, LoadBalancerAdvanced};
use fargate_operator::api::images::ImageTagPolicy;
use fargate_operator::api::names::task_definition_lookups;
use fargate_operator::api::{
    reasons, ADOPT_ANNOTATION, OWNER_TAG, RESTARTED_AT_ANNOTATION, RESTARTED_AT_TAG,
    ROLLBACK_TO_ANNOTATION, UID_TAG,
};
use fargate_operator::batch::{plan_all, ObjectPlan, Outcome};
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::model::{
    RoleRef, RolloutDef, ServiceBody, StrategyItem, LINEAR_DEFAULTS,
};
use fargate_operator::plan::service::{restart_pending_tag, restart_tag};
use fargate_operator::plan::service_connect::{ServiceConnectDef, SERVICE_CONNECT_TAG};
use fargate_operator::plan::{Action, PlanConfig};
use fargate_operator::testing::SimAws;

/// The examples' TaskDefinitions and FargateServices. (A FargateTask's plan depends on the
/// tasks ECS lists, which these plans do not observe: tests/tasks.rs and tests/crash.rs run
/// examples/migrate.yaml.)
/// The example with a preDeploy is left out too: its service waits for a task these plans
/// do not observe (tests/predeploy.rs).
fn examples() -> Manifests {
    let mut m = support::examples::all();
    m.services.retain(|s| {
        s.spec
            .deployment
            .as_ref()
            .is_none_or(|d| d.pre_deploy.is_none())
    });
    Manifests { tasks: vec![], ..m }
}

fn plan(aws: &SimAws, m: &Manifests, config: &PlanConfig) -> Vec<ObjectPlan> {
    plan_all(
        m,
        config,
        |l| aws.observe_task_definition(&l.family, &l.log_groups, &l.roles),
        |c, s, role| aws.observe_service_and_role(c, s, role),
    )
}

/// Plans and applies until nothing is left to do (like `apply`), returning the rounds taken.
fn converge(aws: &mut SimAws, m: &Manifests, config: &PlanConfig) -> usize {
    for round in 1..=5 {
        let plans = plan(aws, m, config);
        let actions: Vec<Action> = plans
            .iter()
            .filter_map(|p| p.plan())
            .flat_map(|p| p.actions.clone())
            .collect();
        if actions.is_empty() {
            return round;
        }
        for a in &actions {
            // Services referencing a revision registered this round apply in the next one.
            let _ = aws.apply(a);
        }
    }
    panic!("did not converge")
}

fn actions_of<'a>(plans: &'a [ObjectPlan], name: &str, kind: &str) -> &'a [Action] {
    let p = plans
        .iter()
        .find(|p| p.name == name && p.kind == kind)
        .unwrap();
    match &p.outcome {
        Outcome::Plan(plan) => &plan.actions,
        Outcome::Error { reason, message } => panic!("{reason}: {message}"),
    }
}

fn error_of(plans: &[ObjectPlan], name: &str, kind: &str) -> (String, String) {
    let p = plans
        .iter()
        .find(|p| p.name == name && p.kind == kind)
        .unwrap();
    match &p.outcome {
        Outcome::Error { reason, message } => (reason.clone(), message.clone()),
        Outcome::Plan(plan) => panic!("expected an error, got {:?}", plan.actions),
    }
}

#[test]
fn examples_converge_and_then_plan_nothing() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let m = examples();
    let config = PlanConfig::default();
    let rounds = converge(&mut aws, &m, &config);
    assert!(rounds <= 3, "{rounds} rounds");
    assert_eq!(aws.services.len(), 6);
    // Six services; seven task definitions (the preDeploy example's service is left out).
    assert_eq!(aws.revisions.values().flatten().count(), 7);
    let calls = aws.total_calls();
    assert!(plan(&aws, &m, &config)
        .iter()
        .all(|p| p.plan().is_some_and(|p| p.is_empty())));
    assert_eq!(aws.total_calls(), calls);
    // every created resource carries the ownership tags
    for s in aws.services.values() {
        assert!(s.tags.contains_key(OWNER_TAG), "{}", s.arn);
    }
    for r in aws.roles.values() {
        assert!(r.tags.contains_key(OWNER_TAG), "{}", r.arn);
        assert_eq!(r.path, "/fargate-operator/");
    }
}

#[test]
fn image_change_registers_one_revision_and_updates_only_the_task_definition() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let web = m
        .task_definitions
        .iter_mut()
        .find(|t| t.metadata.name.as_deref() == Some("web-api"))
        .unwrap();
    web.spec.containers[0].image = "public.ecr.aws/nginx/nginx:1.27.4".into();
    let plans = plan(&aws, &m, &config);
    let td_actions = actions_of(&plans, "web-api", "TaskDefinition");
    assert_eq!(td_actions.len(), 1);
    assert!(matches!(
        td_actions[0],
        Action::RegisterTaskDefinition { .. }
    ));
    converge(&mut aws, &m, &config);
    assert_eq!(aws.revisions["shop_web-api"].len(), 2);
    let svc = &aws.services[&("shop".to_owned(), "shop_web-api".to_owned())];
    assert!(
        svc.body
            .task_definition
            .to_string()
            .ends_with("shop_web-api:2"),
        "{}",
        svc.body.task_definition
    );
}

#[test]
fn desired_count_belongs_to_the_autoscaler() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    // the autoscaler moved it, and the user edits desiredCount: neither is acted on
    aws.services
        .get_mut(&("shop".to_owned(), "shop_web-api".to_owned()))
        .unwrap()
        .body
        .desired_count = 7;
    let web = m
        .services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some("web-api"))
        .unwrap();
    web.spec.desired_count = 3;
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());
    // without scaling, the same edit is an UpdateService of desiredCount alone
    let worker = m
        .services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some("worker"))
        .unwrap();
    worker.spec.desired_count = 9;
    let plans = plan(&aws, &m, &config);
    match actions_of(&plans, "worker", "FargateService") {
        [Action::UpdateService { changes, .. }] => {
            assert_eq!(changes.changed_fields(), vec!["desiredCount"])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_service_not_owned_is_a_conflict_unless_adopted() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    // someone else's service of the same name
    let key = ("shop".to_owned(), "shop_worker".to_owned());
    aws.services.get_mut(&key).unwrap().tags.clear();
    let before = aws.services[&key].clone();
    let (reason, message) = error_of(&plan(&aws, &m, &config), "worker", "FargateService");
    assert_eq!(reason, reasons::CONFLICT);
    assert!(
        message.contains("not managed by fargate-operator"),
        "{message}"
    );
    converge(&mut aws, &m, &config);
    assert_eq!(
        aws.services[&key], before,
        "a conflicting service is left untouched"
    );

    let worker = m
        .services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some("worker"))
        .unwrap();
    worker
        .metadata
        .annotations
        .get_or_insert_default()
        .insert(ADOPT_ANNOTATION.into(), "true".into());
    // the annotation alone is not enough: the operator must allow adopting
    let (reason, message) = error_of(&plan(&aws, &m, &config), "worker", "FargateService");
    assert_eq!(reason, reasons::NOT_ALLOWED);
    assert!(message.contains("--allow-adoption"), "{message}");
    assert!(
        message.contains("metadata.annotations[ecs.fargate.dev/adopt]"),
        "{message}"
    );
    let config = support::sim::adopting();
    let plans = plan(&aws, &m, &config);
    assert!(matches!(
        actions_of(&plans, "worker", "FargateService")[0],
        Action::TagService { .. }
    ));
    converge(&mut aws, &m, &config);
    assert!(aws.services[&key].tags.contains_key(OWNER_TAG));

    // a service owned by another object is never taken over, even with adopt
    aws.services
        .get_mut(&key)
        .unwrap()
        .tags
        .insert(OWNER_TAG.into(), "other/obj".into());
    let (reason, message) = error_of(&plan(&aws, &m, &config), "worker", "FargateService");
    assert_eq!(reason, reasons::CONFLICT);
    assert!(message.contains("owned by other/obj"), "{message}");
}

/// The worker example, settled, with `restartedAt` set to `value`.
fn restarted(aws: &mut SimAws, value: &str) -> Manifests {
    let mut m = examples();
    converge(aws, &m, &PlanConfig::default());
    annotate(&mut m, "worker", RESTARTED_AT_ANNOTATION, value);
    m
}

fn annotate(m: &mut Manifests, name: &str, key: &str, value: &str) {
    m.services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some(name))
        .unwrap()
        .metadata
        .annotations
        .get_or_insert_default()
        .insert(key.into(), value.into());
}

const WORKER: (&str, &str) = ("shop", "shop_worker");

fn restart_tag_of(aws: &SimAws) -> Option<String> {
    let key = (WORKER.0.to_owned(), WORKER.1.to_owned());
    aws.services[&key].tags.get(RESTARTED_AT_TAG).cloned()
}

/// Applies the first `n` actions of the worker's plan, as a run that crashed after them.
fn apply_first(aws: &mut SimAws, m: &Manifests, n: usize, config: &PlanConfig) {
    let plans = plan(aws, m, config);
    for a in actions_of(&plans, "worker", "FargateService")
        .iter()
        .take(n)
    {
        aws.apply(a).unwrap();
    }
}

#[test]
fn restarted_at_forces_one_new_deployment() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let m = restarted(&mut aws, "2026-11-21T10:00:00Z");
    let config = PlanConfig::default();
    let plans = plan(&aws, &m, &config);
    let pending = restart_pending_tag("2026-11-21T10:00:00Z");
    let done = restart_tag("2026-11-21T10:00:00Z");
    match actions_of(&plans, "worker", "FargateService") {
        [Action::TagService {
            tags: marked,
            remove,
            ..
        }, Action::UpdateService { changes, .. }, Action::TagService { tags, .. }] => {
            assert_eq!(
                marked,
                &BTreeMap::from([(RESTARTED_AT_TAG.to_owned(), pending.clone())]),
                "recorded as pending before it is forced"
            );
            assert!(remove.is_empty());
            assert_eq!(changes.changed_fields(), vec!["forceNewDeployment"]);
            assert_eq!(
                tags,
                &BTreeMap::from([(RESTARTED_AT_TAG.to_owned(), done.clone())])
            );
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert!(actions_of(&plan(&aws, &m, &config), "worker", "FargateService").is_empty());
    assert_eq!(aws.forced_deployments, 1);
    assert_eq!(restart_tag_of(&aws), Some(done.clone()));
    assert_eq!(done.len(), 16, "a short hash, not the value: {done}");
}

#[test]
fn a_restarted_at_ecs_cannot_hold_as_a_tag_is_refused_naming_the_annotation_and_forces_nothing() {
    for value in [
        "Sun, 29 Nov 2026 06:00:00 +0000".to_owned(), // date -R
        format!("2026-11-29T06:00:00Z {}", "x".repeat(256)),
    ] {
        let mut aws = SimAws::new("123456789012", "us-east-1");
        let m = restarted(&mut aws, &value);
        let config = PlanConfig::default();
        let before = aws.services.clone();
        let (reason, message) = error_of(&plan(&aws, &m, &config), "worker", "FargateService");
        assert_eq!(reason, reasons::INVALID_SPEC);
        assert!(
            message
                .starts_with("invalid spec: metadata.annotations[ecs.fargate.dev/restartedAt]: "),
            "{message}"
        );
        assert!(
            message.contains("date -u +%Y-%m-%dT%H:%M:%SZ"),
            "says what to use instead: {message}"
        );
        // However often it is reconciled: no deployment, nothing changed or torn down.
        for _ in 0..3 {
            converge(&mut aws, &m, &config);
        }
        assert_eq!(aws.forced_deployments, 0, "{value}");
        assert_eq!(aws.services, before, "{value}");
    }
}

#[test]
fn a_restart_is_marked_pending_before_it_is_forced_so_a_crash_neither_loses_nor_repeats_it_twice() {
    let value = "2026-11-21T10:00:00Z";
    let config = PlanConfig::default();
    let forced = |aws: &SimAws, m: &Manifests| {
        actions_of(&plan(aws, m, &config), "worker", "FargateService")
            .iter()
            .any(|a| matches!(a, Action::UpdateService { changes, .. } if changes.force_new_deployment))
    };

    // A crash after the pending mark, before the update: the restart is resumed.
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let m = restarted(&mut aws, value);
    apply_first(&mut aws, &m, 1, &PlanConfig::default());
    assert_eq!(restart_tag_of(&aws), Some(restart_pending_tag(value)));
    assert_eq!(aws.forced_deployments, 0);
    assert!(forced(&aws, &m), "the restart is not lost");
    converge(&mut aws, &m, &config);
    assert_eq!(aws.forced_deployments, 1);

    // A crash after the update, before the final tag: forced once more, then done.
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let m = restarted(&mut aws, value);
    apply_first(&mut aws, &m, 2, &PlanConfig::default());
    assert_eq!(aws.forced_deployments, 1);
    assert!(forced(&aws, &m));
    converge(&mut aws, &m, &config);
    assert_eq!(aws.forced_deployments, 2, "at most one extra deployment");
    assert_eq!(restart_tag_of(&aws), Some(restart_tag(value)));
    assert!(!forced(&aws, &m));
}

#[test]
fn adopting_a_service_with_a_restart_claims_it_before_forcing_and_does_not_lose_the_restart() {
    let value = "2026-11-21T10:00:00Z";
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = restarted(&mut aws, value);
    let key = (WORKER.0.to_owned(), WORKER.1.to_owned());
    aws.services.get_mut(&key).unwrap().tags.clear();
    annotate(&mut m, "worker", ADOPT_ANNOTATION, "true");
    // A crash right after the claim (the first action).
    apply_first(&mut aws, &m, 1, &support::sim::adopting());
    assert!(aws.services[&key].tags.contains_key(OWNER_TAG), "claimed");
    let marked = restart_tag_of(&aws);
    converge(&mut aws, &m, &support::sim::adopting());
    assert_eq!(aws.forced_deployments, 1, "the restart survived the crash");
    assert_eq!(
        marked,
        Some(restart_pending_tag(value)),
        "claimed as pending"
    );
    assert_eq!(restart_tag_of(&aws), Some(restart_tag(value)));
}

#[test]
fn a_restart_an_older_version_recorded_as_the_value_itself_is_not_repeated() {
    let value = "2026-11-21T10:00:00Z";
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let m = restarted(&mut aws, value);
    let key = (WORKER.0.to_owned(), WORKER.1.to_owned());
    aws.services
        .get_mut(&key)
        .unwrap()
        .tags
        .insert(RESTARTED_AT_TAG.into(), value.into());
    match actions_of(
        &plan(&aws, &m, &PlanConfig::default()),
        "worker",
        "FargateService",
    ) {
        [Action::TagService { tags, remove, .. }] => {
            assert_eq!(
                tags,
                &BTreeMap::from([(RESTARTED_AT_TAG.to_owned(), restart_tag(value))])
            );
            assert!(remove.is_empty());
        }
        other => panic!("only the tag is rewritten as a hash, no deployment: {other:?}"),
    }
    converge(&mut aws, &m, &PlanConfig::default());
    assert_eq!(aws.forced_deployments, 0);
}

#[test]
fn policies_outside_the_allowlist_are_refused_before_any_iam_write() {
    let aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let web = m
        .task_definitions
        .iter_mut()
        .find(|t| t.metadata.name.as_deref() == Some("web-api"))
        .unwrap();
    web.spec
        .task_role
        .as_mut()
        .unwrap()
        .managed
        .as_mut()
        .unwrap()
        .policy_arns = vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()];
    let mut config = PlanConfig::default();
    let (reason, message) = error_of(&plan(&aws, &m, &config), "web-api", "TaskDefinition");
    assert_eq!(reason, reasons::POLICY_NOT_ALLOWED);
    assert!(
        message.starts_with("spec.taskRole.managed.policyArns[0]"),
        "{message}"
    );
    config
        .allowed_policy_arns
        .insert("arn:aws:iam::aws:policy/AdministratorAccess".into());
    let plans = plan(&aws, &m, &config);
    assert!(actions_of(&plans, "web-api", "TaskDefinition").iter().any(|a| matches!(a,
        Action::AttachRolePolicy { policy_arn, .. } if policy_arn.ends_with("AdministratorAccess"))));
}

#[test]
fn inline_policies_need_a_boundary_or_explicit_permission() {
    let aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let web = m
        .task_definitions
        .iter_mut()
        .find(|t| t.metadata.name.as_deref() == Some("web-api"))
        .unwrap();
    web.spec
        .task_role
        .as_mut()
        .unwrap()
        .managed
        .as_mut()
        .unwrap()
        .policy = Some(
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    );
    let mut config = PlanConfig::default();
    assert_eq!(
        error_of(&plan(&aws, &m, &config), "web-api", "TaskDefinition").0,
        reasons::POLICY_NOT_ALLOWED
    );
    config.permissions_boundary = Some("arn:aws:iam::123456789012:policy/boundary".into());
    let plans = plan(&aws, &m, &config);
    assert!(actions_of(&plans, "web-api", "TaskDefinition")
        .iter()
        .any(|a| matches!(a,
        Action::CreateRole { permissions_boundary: Some(b), .. } if b.ends_with("boundary"))));
}

#[test]
fn old_revisions_beyond_the_limit_are_deregistered_unless_in_use() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    let idx = m
        .task_definitions
        .iter()
        .position(|t| t.metadata.name.as_deref() == Some("worker"))
        .unwrap();
    m.task_definitions[idx].spec.revision_history_limit = 1;
    converge(&mut aws, &m, &config);
    for v in 1..=3 {
        m.task_definitions[idx].spec.containers[0].image =
            format!("public.ecr.aws/docker/library/python:3.12.{v}-slim");
        converge(&mut aws, &m, &config);
    }
    let active: Vec<i32> = aws.revisions["shop_worker"]
        .iter()
        .filter(|(_, a)| *a)
        .map(|(r, _)| r.revision)
        .collect();
    assert_eq!(active, vec![3, 4], "current + 1 retained");

    // a revision a service still runs is kept even beyond the limit
    let l = task_definition_lookups(&m.task_definitions[idx]);
    let mut observed = aws.observe_task_definition(&l.family, &l.log_groups, &l.roles);
    let old = observed.revisions[0].arn.clone();
    observed.in_use.insert(old.clone());
    m.task_definitions[idx].spec.revision_history_limit = 0;
    let owner = fargate_operator::api::names::owner_of(&m.task_definitions[idx], "TaskDefinition");
    let plan = fargate_operator::plan::plan_task_definition(
        fargate_operator::plan::TaskDefinitionInputs {
            owner: &owner,
            spec: &m.task_definitions[idx].spec,
        },
        &observed,
        &config,
    )
    .unwrap();
    assert!(!plan
        .actions
        .iter()
        .any(|a| matches!(a, Action::DeregisterTaskDefinition { arn } if *arn == old)));
}

#[test]
fn deny_policy_rejects_mutable_tags_and_warn_notes_them() {
    let aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    m.task_definitions[0].spec.containers[0].image = "nginx:latest".into();
    let mut config = PlanConfig::default();
    let plans = plan(&aws, &m, &config);
    let notes = &plans[0].plan().unwrap().notes;
    assert_eq!(notes[0].reason, reasons::MUTABLE_IMAGE_TAG);
    config.image_tag_policy = ImageTagPolicy::Deny;
    let name = m.task_definitions[0].metadata.name.clone().unwrap();
    let (reason, message) = error_of(&plan(&aws, &m, &config), &name, "TaskDefinition");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("spec.containers[0].image"), "{message}");
}

#[test]
fn cross_object_mistakes_are_caught_before_aws() {
    let aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    let web = m
        .services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some("web-api"))
        .unwrap();
    web.spec.load_balancers[0].container_port = 9999;
    let (reason, message) = error_of(&plan(&aws, &m, &config), "web-api", "FargateService");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(
        message.contains("spec.loadBalancers[0].containerPort"),
        "{message}"
    );

    let worker = m
        .services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some("worker"))
        .unwrap();
    worker.spec.task_definition_ref.as_mut().unwrap().name = "missing".into();
    let (reason, _) = error_of(&plan(&aws, &m, &config), "worker", "FargateService");
    assert_eq!(reason, reasons::WAITING_FOR_TASK_DEFINITION);
}

#[test]
fn a_vpc_lattice_port_must_be_a_named_port_of_the_task_definition() {
    use fargate_operator::api::fargateservice::VpcLattice;
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let lattice = |port: &str| VpcLattice {
        role_arn: "arn:aws:iam::123456789012:role/ecsInfrastructureRole".into(),
        target_group_arn:
            "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0".into(),
        port_name: port.into(),
        advanced: None,
    };
    let set_lattice = |m: &mut Manifests, port: &str| {
        m.services
            .iter_mut()
            .find(|s| s.metadata.name.as_deref() == Some("web-api"))
            .unwrap()
            .spec
            .vpc_lattice = vec![lattice(port)];
    };
    set_lattice(&mut m, "grpc");
    let (reason, message) = error_of(&plan(&aws, &m, &config), "web-api", "FargateService");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("spec.vpcLattice[0].portName"), "{message}");
    assert!(
        message.contains("\"http\""),
        "names the ports there are: {message}"
    );

    // The container's port named `http`: one UpdateService, then nothing.
    set_lattice(&mut m, "http");
    let plans = plan(&aws, &m, &config);
    match actions_of(&plans, "web-api", "FargateService") {
        [Action::UpdateService { changes, .. }] => {
            assert_eq!(changes.changed_fields(), vec!["vpcLatticeConfigurations"])
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());
}

/// examples/ebs-volume.yaml: the service's managed EBS volume and the task definition's
/// volume configured at launch must name each other; a change to the volume is one
/// UpdateService, and ECS's documented defaults spelled out are not drift.
#[test]
fn a_managed_ebs_volume_pairs_with_the_volume_configured_at_launch() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = support::examples::only(&examples(), "indexer");
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let indexer = |m: &mut Manifests| {
        m.services
            .iter_mut()
            .find(|s| s.metadata.name.as_deref() == Some("indexer"))
            .unwrap()
            .spec
            .clone()
    };
    let original = indexer(&mut m);
    let set = |m: &mut Manifests, spec: &fargate_operator::api::FargateServiceSpec| {
        m.services[0].spec = spec.clone();
    };

    // Another name than the task definition's volume, or none at all: refused, naming it.
    let mut renamed = original.clone();
    renamed.volume_configurations[0].name = "other".into();
    set(&mut m, &renamed);
    let (reason, message) = error_of(&plan(&aws, &m, &config), "indexer", "FargateService");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(
        message.contains("spec.volumeConfigurations[0].name") && message.contains("\"index\""),
        "{message}"
    );
    let mut without = original.clone();
    without.volume_configurations.clear();
    set(&mut m, &without);
    let (_, message) = error_of(&plan(&aws, &m, &config), "indexer", "FargateService");
    assert!(
        message.contains("spec.volumeConfigurations:") && message.contains("configuredAtLaunch"),
        "{message}"
    );

    // A bigger volume: one UpdateService sending the whole configuration, then nothing.
    let mut bigger = original.clone();
    bigger.volume_configurations[0]
        .managed_ebs_volume
        .size_in_gib = Some(200);
    set(&mut m, &bigger);
    match actions_of(&plan(&aws, &m, &config), "indexer", "FargateService") {
        [a @ Action::UpdateService { changes, .. }] => {
            assert_eq!(changes.changed_fields(), vec!["volumeConfigurations"]);
            let sent = changes.volume_configurations.as_ref().unwrap();
            assert_eq!(sent[0].size_in_gib, Some(200));
            assert!(
                a.describe()
                    .contains("volumeConfigurations → index 200 GiB gp3 (4000 IOPS, 250 MiB/s)"),
                "{}",
                a.describe()
            );
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert!(actions_of(&plan(&aws, &m, &config), "indexer", "FargateService").is_empty());

    // ECS reporting its defaults (xfs is not the spec's ext4, so only encryption and the
    // propagation here) plans nothing.
    for s in aws.services.values_mut() {
        for v in &mut s.body.volume_configurations {
            v.encrypted = Some(true);
        }
    }
    assert!(actions_of(&plan(&aws, &m, &config), "indexer", "FargateService").is_empty());

    // The task definition without the volume and the service without its configuration:
    // the service removes it (an empty list) along with the new revision.
    m.task_definitions[0].spec.volumes.clear();
    m.task_definitions[0].spec.containers[0]
        .mount_points
        .clear();
    set(&mut m, &without);
    converge(&mut aws, &m, &config);
    assert!(aws
        .services
        .values()
        .all(|s| s.body.volume_configurations.is_empty()));
    assert!(actions_of(&plan(&aws, &m, &config), "indexer", "FargateService").is_empty());
}

/// examples/ebs-volume.yaml gives no roleArn: the operator creates the service's
/// infrastructure role (trusted by ECS only, AWS's volumes policy, the boundary) before the
/// service that names it, leaves it alone once in line, refuses one that is not this
/// object's, and deletes it last, once the service is gone.
#[test]
fn a_managed_ebs_volume_without_a_role_gets_the_services_own_infrastructure_role() {
    use fargate_operator::api::names::{owner_of, RoleKind};
    use fargate_operator::plan::delete::plan_fargate_service_delete;
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let m = support::examples::only(&examples(), "indexer");
    let config = PlanConfig {
        permissions_boundary: Some(
            "arn:aws:iam::123456789012:policy/fargate-operator-boundary".into(),
        ),
        ..PlanConfig::default()
    };
    let role = "fgo_search_indexer_infra";
    let plans = plan(&aws, &m, &config);
    let actions = actions_of(&plans, "indexer", "FargateService");
    let names: Vec<&str> = actions.iter().map(Action::name).collect();
    assert_eq!(
        names,
        [
            "CreateCluster",
            "CreateRole",
            "AttachRolePolicy",
            "CreateService"
        ]
    );
    match &actions[1] {
        Action::CreateRole {
            name,
            path,
            trust_policy,
            permissions_boundary,
            ..
        } => {
            assert_eq!((name.as_str(), path.as_str()), (role, "/fargate-operator/"));
            assert_eq!(
                trust_policy["Statement"][0]["Principal"]["Service"],
                "ecs.amazonaws.com"
            );
            assert_eq!(permissions_boundary, &config.permissions_boundary);
            assert!(actions[1].describe().contains("trusts ecs.amazonaws.com"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&actions[2], Action::AttachRolePolicy { policy_arn, .. }
        if policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes")
    );
    converge(&mut aws, &m, &config);
    // ECS reports the role by ARN: the managed one, so nothing to change.
    let service = aws.services.values().next().unwrap();
    assert_eq!(
        service.body.volume_configurations[0].role,
        RoleRef::Arn(format!(
            "arn:aws:iam::123456789012:role/fargate-operator/{role}"
        ))
    );
    assert!(actions_of(&plan(&aws, &m, &config), "indexer", "FargateService").is_empty());

    // A role of that name that is not this object's: a conflict, nothing created.
    let mut other = SimAws::new("123456789012", "us-east-1");
    converge(&mut other, &m, &config);
    other.roles.get_mut(role).unwrap().tags = BTreeMap::new();
    let (reason, message) = error_of(&plan(&other, &m, &config), "indexer", "FargateService");
    assert_eq!(reason, reasons::CONFLICT);
    assert!(message.contains("roleArn"), "{message}");

    // Cleanup: the service first, the role once the service is gone.
    let fs = &m.services[0];
    let owner = owner_of(fs, "FargateService");
    let name = fargate_operator::api::names::role_name(&owner, RoleKind::Infrastructure);
    assert_eq!(name, role);
    let mut rounds = vec![];
    for _ in 0..3 {
        let o = aws.observe_service_and_role("search", "search_indexer", Some(role));
        let p = plan_fargate_service_delete(&owner, "search", "search_indexer", &o).unwrap();
        rounds.push(p.actions.iter().map(Action::name).collect::<Vec<_>>());
        for a in &p.actions {
            aws.apply(a).unwrap();
        }
    }
    assert_eq!(
        rounds,
        [
            vec!["UpdateService", "DeleteService"],
            vec!["DetachRolePolicy", "DeleteRole"],
            vec![],
        ]
    );
    assert!(!aws.roles.contains_key(role));

    // While ECS drains the service, the role stays: the cleanup waits.
    let mut draining = aws.observe_service_and_role("search", "search_indexer", None);
    draining.service.as_mut().unwrap().status = "DRAINING".into();
    let mut other_roles = SimAws::new("123456789012", "us-east-1");
    converge(&mut other_roles, &m, &config);
    draining.roles = other_roles
        .observe_service_and_role("search", "search_indexer", Some(role))
        .roles;
    assert!(matches!(
        plan_fargate_service_delete(&owner, "search", "search_indexer", &draining),
        Err(fargate_operator::plan::PlanError::Waiting { .. })
    ));
}

/// spec.cluster.containerInsights: sent with CreateCluster; a change on a cluster the
/// operator created is one UpdateClusterSettings, then nothing; someone else's cluster is
/// never changed (a note says so).
#[test]
fn container_insights_is_set_on_the_operators_clusters_only() {
    use fargate_operator::api::fargateservice::ContainerInsights;
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = support::examples::only(&examples(), "indexer");
    let config = PlanConfig::default();
    match &actions_of(&plan(&aws, &m, &config), "indexer", "FargateService")[0] {
        a @ Action::CreateCluster {
            container_insights, ..
        } => {
            assert_eq!(container_insights.as_deref(), Some("enhanced"));
            assert!(a.describe().contains("Container Insights enhanced"));
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert_eq!(
        aws.clusters["search"].container_insights.as_deref(),
        Some("enhanced")
    );

    m.services[0].spec.cluster.container_insights = Some(ContainerInsights::Disabled);
    match actions_of(&plan(&aws, &m, &config), "indexer", "FargateService") {
        [Action::UpdateClusterSettings {
            name,
            container_insights,
        }] => assert_eq!(
            (name.as_str(), container_insights.as_str()),
            ("search", "disabled")
        ),
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert!(actions_of(&plan(&aws, &m, &config), "indexer", "FargateService").is_empty());
    // Unset: whatever the cluster has.
    m.services[0].spec.cluster.container_insights = None;
    aws.clusters.get_mut("search").unwrap().container_insights = Some("enabled".into());
    assert!(actions_of(&plan(&aws, &m, &config), "indexer", "FargateService").is_empty());

    // A cluster without the operator's managed-by tag: a note, no change.
    m.services[0].spec.cluster.container_insights = Some(ContainerInsights::Enhanced);
    aws.clusters.get_mut("search").unwrap().tags = BTreeMap::new();
    let plans = plan(&aws, &m, &config);
    assert!(actions_of(&plans, "indexer", "FargateService").is_empty());
    let notes = &plans
        .iter()
        .find(|p| p.kind == "FargateService")
        .and_then(|p| p.plan())
        .unwrap()
        .notes;
    assert!(
        notes
            .iter()
            .any(|n| n.reason == reasons::CONFLICT
                && n.message.contains("not created by the operator")),
        "{notes:?}"
    );
}

/// `plan` says what a new revision changes, container field by container field: each of the
/// newer container settings shows, and ECS's defaults spelled out by AWS do not.
#[test]
fn a_new_revision_names_what_it_changes() {
    use fargate_operator::api::taskdefinition::{
        FirelensConfiguration, FirelensType, RestartPolicy,
    };
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = support::examples::only(&examples(), "web-api");
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let c = &mut m.task_definitions[0].spec.containers[0];
    let name = c.name.clone();
    c.restart_policy = Some(RestartPolicy {
        enabled: true,
        ignored_exit_codes: vec![0],
        restart_attempt_period_seconds: None,
    });
    c.docker_labels = BTreeMap::from([("team".into(), "shop".into())]);
    c.stop_timeout_seconds = Some(60);
    m.task_definitions[0].spec.memory = 2048;
    let plans = plan(&aws, &m, &config);
    let [a @ Action::RegisterTaskDefinition { changes, .. }] =
        actions_of(&plans, "web-api", "TaskDefinition")
    else {
        panic!("{:?}", actions_of(&plans, "web-api", "TaskDefinition"));
    };
    assert_eq!(
        changes,
        &[
            format!("containers[{name}].dockerLabels"),
            format!("containers[{name}].restartPolicy"),
            format!("containers[{name}].stopTimeout"),
            "memory".to_owned(),
        ]
    );
    assert!(
        a.describe()
            .contains(&format!("changes containers[{name}].dockerLabels")),
        "{}",
        a.describe()
    );

    // A log router added: the new container, and the FireLens settings of the old one.
    converge(&mut aws, &m, &config);
    let mut router = m.task_definitions[0].spec.containers[0].clone();
    router.name = "log-router".into();
    router.port_mappings.clear();
    router.essential = false;
    router.firelens_configuration = Some(FirelensConfiguration {
        router_type: FirelensType::Fluentbit,
        options: BTreeMap::new(),
    });
    router.logging = None;
    router.cpu = None;
    router.memory = None;
    m.task_definitions[0].spec.containers.push(router);
    let plans = plan(&aws, &m, &config);
    let [Action::RegisterTaskDefinition { changes, .. }] =
        actions_of(&plans, "web-api", "TaskDefinition")
    else {
        panic!()
    };
    assert!(
        changes.contains(&"containers[log-router]".to_owned()),
        "{changes:?}"
    );
}

fn spot_on(m: &mut Manifests, service: &str, platform_version: Option<&str>) {
    use fargate_operator::api::fargateservice::{CapacityProvider, CapacityProviderStrategyItem};
    let s = m
        .services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some(service))
        .unwrap();
    s.spec.capacity_provider_strategy = vec![CapacityProviderStrategyItem {
        capacity_provider: CapacityProvider::FargateSpot,
        base: None,
        weight: None,
    }];
    s.spec.platform_version = platform_version.map(str::to_owned);
}

/// ECS runs ARM64 Linux tasks on FARGATE_SPOT from platform version 1.4.0 (API reference,
/// CapacityProviderStrategyItem), as on FARGATE; only an older pinned version is refused.
#[test]
fn fargate_spot_runs_arm64_tasks_on_platform_version_1_4_0_and_later() {
    let aws = SimAws::new("123456789012", "us-east-1");
    let config = PlanConfig::default();
    // `reports` runs the ARM64 TaskDefinition of examples/arm64-efs.yaml.
    for version in [None, Some("LATEST"), Some("1.4.0")] {
        let mut m = examples();
        spot_on(&mut m, "reports", version);
        let plans = plan(&aws, &m, &config);
        let actions = actions_of(&plans, "reports", "FargateService");
        let strategy = actions.iter().find_map(|a| match a {
            Action::CreateService { body, .. } => Some(body.capacity_provider_strategy.clone()),
            _ => None,
        });
        assert_eq!(
            strategy,
            Some(vec![StrategyItem::new("FARGATE_SPOT", 0, 1)]),
            "platformVersion {version:?}: {actions:?}"
        );
    }

    let mut m = examples();
    spot_on(&mut m, "reports", Some("1.3.0"));
    let (reason, message) = error_of(&plan(&aws, &m, &config), "reports", "FargateService");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("spec.platformVersion"), "{message}");
    assert!(message.contains("ARM64"), "{message}");
    assert!(message.contains("1.4.0 or LATEST"), "{message}");

    // ARM64 needs 1.4.0 on FARGATE too: dropping Spot does not make 1.3.0 valid.
    let mut m = examples();
    spot_on(&mut m, "reports", Some("1.3.0"));
    m.services
        .iter_mut()
        .filter(|s| s.metadata.name.as_deref() == Some("reports"))
        .for_each(|s| s.spec.capacity_provider_strategy.clear());
    let (reason, message) = error_of(&plan(&aws, &m, &config), "reports", "FargateService");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("Fargate runs ARM64 tasks"), "{message}");

    // X86_64 needs 1.3.0 on FARGATE_SPOT; `web-api` is X86_64.
    let mut m = examples();
    spot_on(&mut m, "web-api", Some("1.3.0"));
    actions_of(&plan(&aws, &m, &config), "web-api", "FargateService");
    spot_on(&mut m, "web-api", Some("1.2.0"));
    let (reason, message) = error_of(&plan(&aws, &m, &config), "web-api", "FargateService");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("spec.platformVersion"), "{message}");
    assert!(message.contains("X86_64"), "{message}");
}

/// What AWS would refuse for its size is refused before any AWS call, naming the field: a
/// task definition over ECS's 64 KiB, and so many secrets that the managed execution role's
/// inline policy would exceed IAM's 10,240 characters.
#[test]
fn sizes_aws_refuses_are_refused_by_the_planner() {
    use fargate_operator::api::taskdefinition::{Container, EnvVar, Secret};
    let aws = SimAws::new("123456789012", "us-east-1");
    let config = PlanConfig::default();
    let with = |edit: &dyn Fn(&mut Container)| {
        let mut m = examples();
        edit(&mut m.task_definitions[0].spec.containers[0]);
        let name = m.task_definitions[0].metadata.name.clone().unwrap();
        (plan(&aws, &m, &config), name)
    };
    let secrets = |n: usize| -> Vec<Secret> {
        (0..n)
            .map(|i| Secret {
                name: format!("S{i}"),
                value_from: format!(
                    "arn:aws:ssm:us-east-1:123456789012:parameter/{i:03}{}",
                    "p".repeat(197)
                ),
            })
            .collect()
    };

    // 20 variables of 4 KiB: 80 KiB of task definition.
    let (plans, name) = with(&|c| {
        c.environment = (0..20)
            .map(|i| EnvVar {
                name: format!("V{i}"),
                value: "x".repeat(4096),
            })
            .collect();
    });
    let (reason, message) = error_of(&plans, &name, "TaskDefinition");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("spec.containers"), "{message}");
    assert!(message.contains("64 KiB"), "{message}");

    // 60 SSM parameters with 200-character names: ~15,000 characters of policy.
    let (plans, name) = with(&|c| c.secrets = secrets(60));
    let (reason, message) = error_of(&plans, &name, "TaskDefinition");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("spec.executionRole"), "{message}");
    assert!(message.contains("10240"), "{message}");

    // 30 of them fit.
    let (plans, name) = with(&|c| c.secrets = secrets(30));
    actions_of(&plans, &name, "TaskDefinition");
}

/// Names ECS or IAM would refuse never reach AWS: an object name with a `.` is mapped to
/// `__` in the ECS name it derives, and one over the 256 characters of the owner tag is
/// refused before any AWS call.
#[test]
fn names_aws_would_refuse_are_mapped_or_refused_by_the_planner() {
    let aws = SimAws::new("123456789012", "us-east-1");
    let config = PlanConfig::default();
    let mut m = examples();
    // A `.` (ECS names cannot have one) is mapped: the derived service name has `__`.
    m.services[0].metadata.name = Some("web.api".into());
    let plans = plan(&aws, &m, &config);
    let created = actions_of(&plans, "web.api", "FargateService")
        .iter()
        .find_map(|a| match a {
            Action::CreateService { name, .. } => Some(name.clone()),
            _ => None,
        });
    let want = format!(
        "{}_web__api",
        m.services[0].metadata.namespace.as_deref().unwrap()
    );
    assert_eq!(created, Some(want));

    let mut m = examples();
    let long = "a".repeat(250);
    m.task_definitions[0].metadata.name = Some(long.clone());
    m.task_definitions[0].spec.family = Some("short".into());
    let (reason, message) = error_of(&plan(&aws, &m, &config), &long, "TaskDefinition");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(message.contains("256"), "{message}");
}

/// The private-registry + FireLens example: the managed execution role may read exactly the
/// registry secret, the `.env` object (and locate its bucket) and write the router's log
/// group; the application, which logs through FireLens, has no log group of its own.
#[test]
fn the_execution_role_reads_exactly_what_the_new_container_fields_name() {
    let m = support::examples::load(&["private-registry-firelens.yaml"]);
    let mut aws = SimAws::new("123456789012", "us-east-1");
    converge(&mut aws, &m, &PlanConfig::default());
    let lookups = task_definition_lookups(&m.task_definitions[0]);
    assert_eq!(
        lookups.log_groups.iter().collect::<Vec<_>>(),
        ["/ecs/payments_ledger"],
        "only the router logs with awslogs"
    );
    let role = &aws.roles["fgo_payments_ledger_exec"];
    let policy = &role.inline_policies["fargate-operator-execution"];
    let grants: BTreeMap<&str, (&serde_json::Value, &serde_json::Value)> = policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| {
            (
                s["Sid"].as_str().expect("sid"),
                (&s["Action"], &s["Resource"]),
            )
        })
        .collect();
    assert_eq!(
        grants.keys().copied().collect::<Vec<_>>(),
        [
            "LocateS3Buckets",
            "ReadS3Objects",
            "ReadSecrets",
            "WriteLogs"
        ]
    );
    assert_eq!(
        *grants["ReadSecrets"].1,
        (serde_json::json!([
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/ghcr-pull-AbCdEf"
        ]))
    );
    assert_eq!(
        *grants["ReadS3Objects"].1,
        (serde_json::json!(["arn:aws:s3:::payments-config-123456789012/ledger/prod.env"]))
    );
    assert_eq!(
        *grants["ReadS3Objects"].0,
        serde_json::json!(["s3:GetObject"])
    );
    assert_eq!(
        *grants["LocateS3Buckets"].1,
        serde_json::json!(["arn:aws:s3:::payments-config-123456789012"])
    );
    assert_eq!(
        *grants["WriteLogs"].1,
        serde_json::json!(["arn:aws:logs:us-east-1:*:log-group:/ecs/payments_ledger:*"])
    );
    // What ECS is asked to register: FireLens for the API, awslogs non-blocking for the router.
    let revision = aws.revisions.values().flatten().next().expect("registered");
    let body = &revision.0.body;
    let api = &body.containers[0];
    let logs = api.log_configuration.as_ref().expect("log configuration");
    assert_eq!(logs.log_driver, "awsfirelens");
    assert_eq!(logs.options["mode"], "non-blocking");
    assert_eq!(logs.options["max-buffer-size"], "25m");
    assert!(!logs.options.contains_key("awslogs-group"));
    let router = &body.containers[1];
    assert_eq!(
        router
            .firelens_configuration
            .as_ref()
            .map(|f| f.router_type.as_str()),
        Some("fluentbit")
    );
    let router_logs = router
        .log_configuration
        .as_ref()
        .expect("log configuration");
    assert_eq!(router_logs.log_driver, "awslogs");
    assert_eq!(router_logs.options["awslogs-stream-prefix"], "firelens");
    assert_eq!(router_logs.options["mode"], "non-blocking");
}

/// Credential specs and a log driver's secret options are read by the execution role too:
/// an SSM credential spec and secret option as parameters, an S3 one as an object.
#[test]
fn credential_specs_and_log_secret_options_are_granted_to_the_execution_role() {
    let td: fargate_operator::api::TaskDefinition = serde_norway::from_str(
        r#"
apiVersion: ecs.fargate.dev/v1alpha1
kind: TaskDefinition
metadata: {name: ad, namespace: corp}
spec:
  cpu: 256
  memory: 512
  containers:
    - name: app
      image: "app:1.0"
      credentialSpecs: ["credentialspecdomainless:arn:aws:ssm:us-east-1:123456789012:parameter/gmsa/app"]
      logging:
        driver: splunk
        options: {splunk-url: "https://splunk.example.com:8088"}
        secretOptions:
          - {name: splunk-token, valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:splunk-AbCdEf:token::"}
    - name: sidecar
      image: "sidecar:1.0"
      essential: false
      credentialSpecs: ["credentialspec:arn:aws:s3:::corp-gmsa/sidecar.json"]
"#,
    )
    .expect("valid manifest");
    let m = Manifests {
        task_definitions: vec![td],
        services: vec![],
        tasks: vec![],
        skipped: vec![],
        ..Default::default()
    };
    let mut aws = SimAws::new("123456789012", "us-east-1");
    converge(&mut aws, &m, &PlanConfig::default());
    let policy = &aws.roles["fgo_corp_ad_exec"].inline_policies["fargate-operator-execution"];
    let resources = |sid: &str| {
        policy["Statement"]
            .as_array()
            .expect("statements")
            .iter()
            .find(|s| s["Sid"] == sid)
            .map(|s| s["Resource"].clone())
    };
    assert_eq!(
        resources("ReadParameters"),
        Some(serde_json::json!([
            "arn:aws:ssm:us-east-1:123456789012:parameter/gmsa/app"
        ]))
    );
    assert_eq!(
        resources("ReadSecrets"),
        Some(serde_json::json!([
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:splunk-AbCdEf"
        ]))
    );
    assert_eq!(
        resources("ReadS3Objects"),
        Some(serde_json::json!(["arn:aws:s3:::corp-gmsa/sidecar.json"]))
    );
    // The sidecar logs with awslogs (the default); the Splunk container has no group.
    assert_eq!(
        resources("WriteLogs"),
        Some(serde_json::json!([
            "arn:aws:logs:us-east-1:*:log-group:/ecs/corp_ad:*"
        ]))
    );
}

// --- Progressive delivery and rollback -------------------------------------------------

const WEB: (&str, &str) = ("shop", "shop_web-api");

fn web_service(m: &mut Manifests) -> &mut fargate_operator::api::FargateService {
    m.services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some("web-api"))
        .unwrap()
}

/// The web-api example's service with `strategy` (and what it needs: a bake time, the load
/// balancer's blue/green resources).
fn with_strategy(m: &mut Manifests, strategy: DeploymentStrategy) {
    let fs = web_service(m);
    let d = fs.spec.deployment.get_or_insert_default();
    d.strategy = Some(strategy);
    d.bake_time_minutes = (strategy != DeploymentStrategy::Rolling).then_some(30);
    d.canary = (strategy == DeploymentStrategy::Canary).then_some(CanarySpec {
        percent: Some(12.5),
        bake_time_minutes: None,
    });
    d.linear = None;
    for lb in &mut fs.spec.load_balancers {
        lb.advanced = (strategy != DeploymentStrategy::Rolling).then(|| LoadBalancerAdvanced {
            alternate_target_group_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-api-green/0123456789abcdef".into(),
            production_listener_rule: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef".into(),
            test_listener_rule: None,
            role_arn: "arn:aws:iam::123456789012:role/ecs-blue-green".into(),
        });
    }
}

fn web_body(aws: &SimAws) -> &ServiceBody {
    &aws.services[&(WEB.0.to_owned(), WEB.1.to_owned())].body
}

fn web_rollout(aws: &SimAws) -> RolloutDef {
    web_body(aws).rollout.canonical()
}

#[test]
fn each_strategy_is_created_as_asked_and_then_plans_nothing() {
    for strategy in [
        DeploymentStrategy::Rolling,
        DeploymentStrategy::BlueGreen,
        DeploymentStrategy::Canary,
        DeploymentStrategy::Linear,
    ] {
        let mut aws = SimAws::new("123456789012", "us-east-1");
        let mut m = examples();
        with_strategy(&mut m, strategy);
        let config = PlanConfig::default();
        let plans = plan(&aws, &m, &config);
        let p = plans
            .iter()
            .find(|p| p.name == "web-api" && p.kind == "FargateService")
            .and_then(|p| p.plan());
        // The service waits for its revision in this round; the strategy shows once created.
        assert!(
            p.is_none()
                || p.is_some_and(|p| p
                    .actions
                    .iter()
                    .all(|a| !matches!(a, Action::UpdateService { .. })))
        );
        converge(&mut aws, &m, &config);
        let r = web_rollout(&aws);
        assert_eq!(r.strategy(), strategy.as_str(), "{strategy:?}");
        let bake = (strategy != DeploymentStrategy::Rolling).then_some(30);
        assert_eq!(r.bake_time_minutes, bake, "{strategy:?}");
        if strategy == DeploymentStrategy::Canary {
            assert_eq!(
                r.canary.map(|c| (c.percent_tenths, c.bake_time_minutes)),
                Some((125, 10))
            );
        }
        if strategy == DeploymentStrategy::Linear {
            // ECS's defaults, spelled out by the canonical form.
            assert_eq!(r.linear, Some(LINEAR_DEFAULTS));
        }
        assert!(
            actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty(),
            "{strategy:?} replans"
        );
    }
}

#[test]
fn switching_strategy_on_a_live_service_updates_only_its_deployment_configuration() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let mut before = DeploymentStrategy::Rolling;
    for strategy in [
        DeploymentStrategy::Canary,
        DeploymentStrategy::Linear,
        DeploymentStrategy::BlueGreen,
        DeploymentStrategy::Rolling,
    ] {
        with_strategy(&mut m, strategy);
        // The load balancers gain or lose their blue/green resources leaving or entering
        // Rolling; between progressive strategies they stay.
        let rolling = DeploymentStrategy::Rolling;
        let mut want = vec!["deploymentConfiguration"];
        if (before == rolling) != (strategy == rolling) {
            want.push("loadBalancers");
        }
        before = strategy;
        let plans = plan(&aws, &m, &config);
        match actions_of(&plans, "web-api", "FargateService") {
            [Action::UpdateService { changes, .. }] => {
                let mut fields = changes.changed_fields();
                fields.sort_unstable();
                assert_eq!(fields, want, "{strategy:?}");
                let d = changes.deployment.as_ref().unwrap();
                assert_eq!(d.rollout.strategy(), strategy.as_str());
                // Canary and Linear roll back on alarms: the circuit breaker is sent off.
                let breaker = !matches!(
                    strategy,
                    DeploymentStrategy::Canary | DeploymentStrategy::Linear
                );
                assert_eq!(d.circuit_breaker.enable, breaker, "{strategy:?}");
            }
            other => panic!("{strategy:?}: {other:?}"),
        }
        let described = plans
            .iter()
            .find(|p| p.name == "web-api" && p.kind == "FargateService")
            .unwrap();
        let text = fargate_operator::batch::render_text(std::slice::from_ref(described));
        assert!(
            text.contains(&format!("deploymentConfiguration → {}", strategy.as_str())),
            "{text}"
        );
        converge(&mut aws, &m, &config);
        assert_eq!(web_rollout(&aws).strategy(), strategy.as_str());
    }
    // Back on Rolling, ECS still reports the earlier strategies' steps: not drift.
    assert!(aws.services[&(WEB.0.to_owned(), WEB.1.to_owned())]
        .body
        .rollout
        .canary
        .is_some());
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());
}

#[test]
fn a_progressive_plan_shows_the_cost_of_the_bake() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    with_strategy(&mut m, DeploymentStrategy::Canary);
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let plans = plan(&aws, &m, &config);
    let p = plans
        .iter()
        .find(|p| p.name == "web-api" && p.kind == "FargateService")
        .unwrap();
    let o = p
        .plan()
        .and_then(|p| p.deployment_overlap.clone())
        .expect("overlap");
    // Canary: 10 min of canary bake plus 30 of final bake, with the example's 2 tasks.
    assert_eq!(
        (o.strategy.as_str(), o.minutes, o.extra_tasks),
        ("CANARY", 40, 2)
    );
    assert!(o.usd > 0.0);
    let text = fargate_operator::batch::render_text(std::slice::from_ref(p));
    assert!(
        text.contains("each CANARY deployment: 2 extra task(s) for 40 min"),
        "{text}"
    );
}

/// The web-api example after three images: revisions 1, 2 and 3, the service on 3.
fn three_revisions(aws: &mut SimAws) -> Manifests {
    let mut m = examples();
    let config = PlanConfig::default();
    for tag in ["1.27.1", "1.27.2", "1.27.3"] {
        set_web_image(&mut m, tag);
        converge(aws, &m, &config);
    }
    m
}

/// The web-api TaskDefinition's image, nginx at `tag`.
fn set_web_image(m: &mut Manifests, tag: &str) {
    m.task_definitions
        .iter_mut()
        .find(|t| t.metadata.name.as_deref() == Some("web-api"))
        .unwrap()
        .spec
        .containers[0]
        .image = format!("public.ecr.aws/nginx/nginx:{tag}");
}

fn web_revision(aws: &SimAws) -> String {
    web_body(aws).task_definition.to_string()
}

#[test]
fn the_rollback_annotation_pins_a_kept_revision_without_registering_one() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = three_revisions(&mut aws);
    assert!(web_revision(&aws).ends_with("shop_web-api:3"));
    let registered = aws.calls.get("RegisterTaskDefinition").copied();
    annotate(&mut m, "web-api", ROLLBACK_TO_ANNOTATION, "2");
    let config = PlanConfig::default();
    let plans = plan(&aws, &m, &config);
    assert!(actions_of(&plans, "web-api", "TaskDefinition").is_empty());
    match actions_of(&plans, "web-api", "FargateService") {
        [Action::UpdateService { changes, .. }] => {
            assert_eq!(changes.changed_fields(), vec!["taskDefinition"]);
            assert!(changes
                .task_definition
                .as_ref()
                .unwrap()
                .to_string()
                .ends_with("shop_web-api:2"));
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert!(web_revision(&aws).ends_with("shop_web-api:2"));
    assert_eq!(aws.calls.get("RegisterTaskDefinition").copied(), registered);
    // The same through the spec field, and back to following the TaskDefinition.
    web_service(&mut m).metadata.annotations = None;
    web_service(&mut m)
        .spec
        .task_definition_ref
        .as_mut()
        .unwrap()
        .revision = Some(1);
    converge(&mut aws, &m, &config);
    assert!(web_revision(&aws).ends_with("shop_web-api:1"));
    web_service(&mut m)
        .spec
        .task_definition_ref
        .as_mut()
        .unwrap()
        .revision = None;
    converge(&mut aws, &m, &config);
    assert!(web_revision(&aws).ends_with("shop_web-api:3"));
}

#[test]
fn pinning_a_revision_that_is_not_kept_is_refused_naming_it() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = three_revisions(&mut aws);
    let config = PlanConfig::default();
    for (value, reason, says) in [
        (
            "9",
            reasons::REVISION_NOT_KEPT,
            "revision 9 of family shop_web-api is not kept",
        ),
        (
            "two",
            reasons::INVALID_SPEC,
            "\"two\" is not a revision number",
        ),
    ] {
        annotate(&mut m, "web-api", ROLLBACK_TO_ANNOTATION, value);
        let before = aws.services.clone();
        let (r, message) = error_of(&plan(&aws, &m, &config), "web-api", "FargateService");
        assert_eq!(r, reason);
        assert!(
            message.contains("metadata.annotations[ecs.fargate.dev/rollback-to]"),
            "{message}"
        );
        assert!(message.contains(says), "{message}");
        converge(&mut aws, &m, &config);
        assert_eq!(aws.services, before, "nothing changes in AWS");
    }
}

#[test]
fn reverting_a_task_definition_spec_reuses_its_kept_revision() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = three_revisions(&mut aws);
    let config = PlanConfig::default();
    let revisions = aws.revisions["shop_web-api"].len();
    // A GitOps revert: the spec of revision 2 again.
    set_web_image(&mut m, "1.27.2");
    let plans = plan(&aws, &m, &config);
    assert!(
        !actions_of(&plans, "web-api", "TaskDefinition")
            .iter()
            .any(|a| matches!(a, Action::RegisterTaskDefinition { .. })),
        "no copy is registered"
    );
    converge(&mut aws, &m, &config);
    assert_eq!(
        aws.revisions["shop_web-api"].len(),
        revisions,
        "zero new revisions"
    );
    assert!(web_revision(&aws).ends_with("shop_web-api:2"));
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());
}

/// A managed role left by an earlier object of the same namespace/name (deleted with
/// Retain, or restored from a backup: another UID) is a conflict until adopted; adopting
/// needs the annotation and the operator's --allow-adoption, tags the role once, and then
/// the object owns it by its tags.
#[test]
fn a_managed_role_left_by_an_earlier_object_of_the_same_name_is_adopted_once() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = support::examples::web_api();
    converge(&mut aws, &m, &PlanConfig::default());
    // The same object again, with another UID: the role is the earlier incarnation's (its
    // revisions were deregistered; a family left too is adopted the same way, and its check
    // comes first).
    let td = &mut m.task_definitions[0];
    td.metadata.uid = Some("0a6b7e4c-9999-4e8e-9f7a-5d2b3c4d5e6f".into());
    m.services.clear();
    aws.revisions.clear();
    let roles: Vec<String> = aws
        .roles
        .keys()
        .filter(|r| r.contains("web-api"))
        .cloned()
        .collect();
    assert_eq!(roles.len(), 2, "execution and task roles: {roles:?}");
    let role = roles[0].clone();
    let (reason, message) = error_of(
        &plan(&aws, &m, &PlanConfig::default()),
        "web-api",
        "TaskDefinition",
    );
    assert_eq!(reason, reasons::CONFLICT);
    assert!(message.contains(&format!("IAM role {role}")), "{message}");
    assert!(message.contains("ecs.fargate.dev/adopt"), "{message}");

    m.task_definitions[0]
        .metadata
        .annotations
        .get_or_insert_default()
        .insert(ADOPT_ANNOTATION.into(), "true".into());
    let (reason, _) = error_of(
        &plan(&aws, &m, &PlanConfig::default()),
        "web-api",
        "TaskDefinition",
    );
    assert_eq!(reason, reasons::NOT_ALLOWED, "the annotation alone");

    let config = support::sim::adopting();
    let plans = plan(&aws, &m, &config);
    let tagged: Vec<&Action> = actions_of(&plans, "web-api", "TaskDefinition")
        .iter()
        .filter(|a| matches!(a, Action::TagRole { .. }))
        .collect();
    let retagged: Vec<&str> = tagged
        .iter()
        .filter_map(|a| match a {
            Action::TagRole { role, tags }
                if tags.get(UID_TAG).map(String::as_str)
                    == Some("0a6b7e4c-9999-4e8e-9f7a-5d2b3c4d5e6f") =>
            {
                Some(role.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(retagged, roles, "each role tagged once, with the new UID");
    converge(&mut aws, &m, &config);
    // Owned by its tags now: the annotation is no longer needed.
    m.task_definitions[0].metadata.annotations = None;
    let plans = plan(&aws, &m, &PlanConfig::default());
    assert!(
        actions_of(&plans, "web-api", "TaskDefinition").is_empty(),
        "{:?}",
        plans
    );
}

fn with_service_connect(
    m: &mut Manifests,
    sc: Option<fargate_operator::api::service_connect::ServiceConnect>,
) {
    m.services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some("web-api"))
        .unwrap()
        .spec
        .service_connect = sc;
}

fn service_connect(port: &str) -> fargate_operator::api::service_connect::ServiceConnect {
    use fargate_operator::api::service_connect::{
        ClientAlias, ServiceConnect, ServiceConnectService,
    };
    ServiceConnect {
        enabled: true,
        namespace: Some("internal".into()),
        services: vec![ServiceConnectService {
            port_name: port.into(),
            discovery_name: None,
            client_aliases: vec![ClientAlias {
                port: 80,
                dns_name: Some("web-api".into()),
                test_traffic_header: None,
            }],
            ingress_port_override: None,
            timeout: None,
            tls: None,
        }],
        logging: None,
        access_logs: None,
        proxy: None,
    }
}

#[test]
fn a_service_connect_port_must_be_a_named_port_of_the_task_definition() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let before = web_body(&aws).clone();

    with_service_connect(&mut m, Some(service_connect("grpc")));
    let (reason, message) = error_of(&plan(&aws, &m, &config), "web-api", "FargateService");
    assert_eq!(reason, reasons::INVALID_SPEC);
    assert!(
        message.contains("spec.serviceConnect.services[0].portName"),
        "{message}"
    );
    assert!(
        message.contains("\"http\""),
        "names the ports there are: {message}"
    );
    // Nothing running changed.
    assert_eq!(web_body(&aws), &before);

    // The container's port named `http`: one UpdateService (and the tag recording what was
    // sent), then nothing.
    with_service_connect(&mut m, Some(service_connect("http")));
    let plans = plan(&aws, &m, &config);
    match actions_of(&plans, "web-api", "FargateService") {
        [update @ Action::UpdateService { changes, .. }, Action::TagService { tags, .. }] => {
            assert_eq!(
                changes.changed_fields(),
                vec!["serviceConnectConfiguration"]
            );
            assert!(tags.contains_key(SERVICE_CONNECT_TAG), "{tags:?}");
            assert!(
                update.describe().ends_with(
                    "serviceConnectConfiguration → namespace internal: http as web-api:80"
                ),
                "{}",
                update.describe()
            );
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());
}

#[test]
fn service_connect_as_ecs_reports_it_plans_nothing_and_removing_it_turns_it_off() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    with_service_connect(&mut m, Some(service_connect("http")));
    converge(&mut aws, &m, &config);
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());

    // ECS reports the namespace by ARN and fills in the discovery name: the tag says this
    // is what was sent, so no update.
    let key = (WEB.0.to_owned(), WEB.1.to_owned());
    let reported = aws.services.get_mut(&key).unwrap();
    let sc = reported.body.service_connect.as_mut().unwrap();
    sc.namespace =
        Some("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc123".into());
    sc.services[0].discovery_name = Some("http".into());
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());

    // An emulator that drops it altogether (moto keeps no serviceConnectConfiguration on
    // its services or deployments; the request it is sent is checked in
    // aws::sdk::ecs_convert's tests): the same.
    aws.services.get_mut(&key).unwrap().body.service_connect = None;
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());

    // A changed spec updates it again.
    let mut changed = service_connect("http");
    changed.services[0].client_aliases[0].port = 8080;
    with_service_connect(&mut m, Some(changed));
    match actions_of(&plan(&aws, &m, &config), "web-api", "FargateService") {
        [Action::UpdateService { changes, .. }, Action::TagService { .. }] => {
            assert_eq!(
                changes.changed_fields(),
                vec!["serviceConnectConfiguration"]
            )
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);

    // Removed from the spec: turned off (enabled: false) and the tag removed, then nothing.
    with_service_connect(&mut m, None);
    match actions_of(&plan(&aws, &m, &config), "web-api", "FargateService") {
        [update @ Action::UpdateService { changes, .. }, Action::TagService { remove, .. }] => {
            assert_eq!(changes.service_connect, Some(ServiceConnectDef::disabled()));
            assert!(update
                .describe()
                .ends_with("serviceConnectConfiguration → off"));
            assert_eq!(remove, &vec![SERVICE_CONNECT_TAG.to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    converge(&mut aws, &m, &config);
    assert!(actions_of(&plan(&aws, &m, &config), "web-api", "FargateService").is_empty());
}

fn with_cluster_defaults(m: &mut Manifests, service: &str, namespace: Option<&str>) {
    use fargate_operator::api::service_connect::ClusterServiceConnectDefaults;
    m.services
        .iter_mut()
        .find(|s| s.metadata.name.as_deref() == Some(service))
        .unwrap()
        .spec
        .cluster
        .service_connect_defaults = namespace.map(|ns| ClusterServiceConnectDefaults {
        namespace: ns.into(),
    });
}

fn plan_of<'a>(plans: &'a [ObjectPlan], name: &str) -> &'a fargate_operator::plan::Plan {
    plans
        .iter()
        .find(|p| p.name == name && p.kind == "FargateService")
        .and_then(|p| p.plan())
        .unwrap()
}

#[test]
fn a_cluster_the_operator_creates_gets_the_default_service_connect_namespace() {
    use fargate_operator::plan::service_connect::{CLUSTER_DEFAULTS_BY_TAG, CLUSTER_DEFAULTS_TAG};
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    with_cluster_defaults(&mut m, "web-api", Some("shop"));
    with_cluster_defaults(&mut m, "worker", Some("shop"));
    let plans = plan(&aws, &m, &config);
    let create = plan_of(&plans, "web-api")
        .actions
        .iter()
        .find(|a| matches!(a, Action::CreateCluster { .. }))
        .unwrap();
    match create {
        Action::CreateCluster {
            service_connect_namespace,
            tags,
            ..
        } => {
            assert_eq!(service_connect_namespace.as_deref(), Some("shop"));
            assert!(
                tags.contains_key(CLUSTER_DEFAULTS_TAG)
                    && tags.contains_key(CLUSTER_DEFAULTS_BY_TAG)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        create
            .describe()
            .ends_with("Service Connect namespace shop)"),
        "{}",
        create.describe()
    );
    converge(&mut aws, &m, &config);
    assert_eq!(
        aws.clusters["shop"].service_connect_namespace.as_deref(),
        Some("shop")
    );
    // Both services name it and agree: nothing more, also as ECS reports it (by ARN).
    aws.clusters
        .get_mut("shop")
        .unwrap()
        .service_connect_namespace =
        Some("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc123".into());
    let plans = plan(&aws, &m, &config);
    for s in ["web-api", "worker"] {
        assert!(actions_of(&plans, s, "FargateService").is_empty(), "{s}");
        assert!(plan_of(&plans, s).notes.is_empty(), "{s}");
    }

    // The object that set it changes it: UpdateCluster, then the tags; then nothing.
    let setter = aws.clusters["shop"].tags[CLUSTER_DEFAULTS_BY_TAG].clone();
    let (mine, other) = if m.services.iter().any(|s| {
        s.metadata.name.as_deref() == Some("web-api")
            && s.metadata.uid.as_deref() == Some(setter.as_str())
    }) {
        ("web-api", "worker")
    } else {
        ("worker", "web-api")
    };
    with_cluster_defaults(&mut m, mine, Some("shop-v2"));
    let plans = plan(&aws, &m, &config);
    match actions_of(&plans, mine, "FargateService") {
        [update @ Action::UpdateCluster {
            service_connect_namespace,
            ..
        }, tag @ Action::TagService { .. }] => {
            assert_eq!(service_connect_namespace, "shop-v2");
            assert_eq!(
                update.describe(),
                "set the default Service Connect namespace of ECS cluster shop to shop-v2"
            );
            assert!(
                tag.describe().starts_with("tag ECS cluster shop"),
                "{}",
                tag.describe()
            );
        }
        other => panic!("{other:?}"),
    }
    // The other one, still asking for `shop`, is told why it is not applied, and changes
    // nothing: the two do not undo each other.
    let other_plan = plan_of(&plans, other);
    assert!(other_plan.actions.is_empty());
    assert!(
        other_plan.notes.is_empty(),
        "the cluster still has shop: in sync"
    );
    converge(&mut aws, &m, &config);
    assert_eq!(
        aws.clusters["shop"].service_connect_namespace.as_deref(),
        Some("shop-v2")
    );
    let plans = plan(&aws, &m, &config);
    assert!(actions_of(&plans, mine, "FargateService").is_empty());
    assert!(actions_of(&plans, other, "FargateService").is_empty());
    let note = &plan_of(&plans, other).notes[0];
    assert_eq!(note.reason, reasons::CONFLICT);
    assert!(
        note.message.contains("set by another FargateService"),
        "{}",
        note.message
    );

    // Removed from the spec: the shared cluster is left as it is.
    with_cluster_defaults(&mut m, mine, None);
    with_cluster_defaults(&mut m, other, None);
    let plans = plan(&aws, &m, &config);
    assert!(actions_of(&plans, mine, "FargateService").is_empty());
    assert!(actions_of(&plans, other, "FargateService").is_empty());
}

#[test]
fn a_cluster_the_operator_did_not_create_keeps_its_default_namespace() {
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = examples();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    aws.clusters
        .get_mut("shop")
        .unwrap()
        .tags
        .remove(fargate_operator::api::MANAGED_BY_TAG);
    with_cluster_defaults(&mut m, "web-api", Some("elsewhere"));
    let plans = plan(&aws, &m, &config);
    assert!(actions_of(&plans, "web-api", "FargateService").is_empty());
    let note = &plan_of(&plans, "web-api").notes[0];
    assert_eq!(note.reason, reasons::CONFLICT);
    assert!(
        note.message.contains("not created by the operator"),
        "{}",
        note.message
    );
}

#[test]
fn a_revision_ecs_rolled_back_is_held_unless_pinned_on_purpose() {
    use fargate_operator::api::fargateservice::RolledBackRevision;
    use fargate_operator::api::names::owner_of;
    use fargate_operator::plan::model::ObservedFargateService;
    use fargate_operator::plan::service::{referenced_task_definition, task_definition_info};
    use fargate_operator::plan::{plan_fargate_service, ServiceInputs};
    let mut aws = SimAws::new("123456789012", "us-east-1");
    let mut m = support::examples::web_api();
    let config = PlanConfig::default();
    converge(&mut aws, &m, &config);
    let td1 = web_body(&aws).task_definition.to_string();
    m.task_definitions[0].spec.containers[0].image = "public.ecr.aws/nginx/nginx:1.27.4".into();
    converge(&mut aws, &m, &config);
    let td2 = web_body(&aws).task_definition.to_string();
    // ECS rolled revision 2 back.
    aws.services
        .get_mut(&(WEB.0.to_owned(), WEB.1.to_owned()))
        .unwrap()
        .body
        .task_definition = td1.as_str().into();
    let held = RolledBackRevision {
        task_definition_arn: td2.clone(),
        generation: 1,
        reason: Some("alarm web-5xx in ALARM".into()),
    };
    let fs = &m.services[0];
    let owner = owner_of(fs, "FargateService");
    let observed: ObservedFargateService = aws.observe_service(WEB.0, WEB.1);
    let info = task_definition_info(&m.task_definitions[0], Some(td2.clone()));
    let plan_with = |fs: &fargate_operator::api::FargateService, info| {
        plan_fargate_service(
            ServiceInputs {
                owner: &owner,
                spec: &fs.spec,
                restarted_at: None,
                task_definition: Some(info),
                rolled_back: Some(&held),
                pre_deploy: Default::default(),
            },
            &observed,
            &config,
        )
        .unwrap()
    };
    let p = plan_with(fs, &info);
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert_eq!(p.notes[0].reason, reasons::ROLLED_BACK);
    assert!(
        p.notes[0].message.contains("alarm web-5xx"),
        "{}",
        p.notes[0].message
    );

    // Pinned to revision 2 on purpose (rollback-to): deployed.
    let mut pinned = fs.clone();
    pinned
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(ROLLBACK_TO_ANNOTATION.into(), "2".into());
    let mut kept = info.clone();
    kept.kept = [(1, td1.clone()), (2, td2.clone())].into();
    let infos = [(("shop".to_owned(), "web-api".to_owned()), kept)].into();
    let pinned_info = referenced_task_definition(&pinned, &infos).unwrap();
    match &plan_with(&pinned, &pinned_info).actions[..] {
        [Action::UpdateService { changes, .. }] => {
            assert_eq!(
                changes.task_definition.as_ref().map(ToString::to_string),
                Some(td2.clone())
            )
        }
        other => panic!("{other:?}"),
    }
}

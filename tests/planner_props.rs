//! Property tests of the planner against the in-memory AWS model (`testing::sim`):
//! 1. for generated valid specs, applying the plan and planning again yields an empty plan;
//! 2. observed states that differ from the converged one only in AWS defaults and ordering
//!    plan nothing.

use std::collections::BTreeMap;

use fargate_operator::api::fargateservice::*;
use fargate_operator::api::names::{service_name, task_definition_lookups};
use fargate_operator::api::taskdefinition::*;
use fargate_operator::plan::model::{
    ObservedFargateService, ObservedTaskDefinition, StrategyItem, CANARY_DEFAULTS, LINEAR_DEFAULTS,
};
use fargate_operator::plan::service::task_definition_info;
use fargate_operator::plan::{
    plan_fargate_service, plan_task_definition, Owner, Plan, PlanConfig, ServiceInputs,
    TaskDefinitionInputs,
};
use fargate_operator::testing::SimAws;
use proptest::prelude::*;

const SIZES: [(i32, i32); 8] = [
    (256, 512),
    (256, 2048),
    (512, 1024),
    (1024, 3072),
    (2048, 8192),
    (4096, 30720),
    (8192, 20480),
    (16384, 40960),
];

fn container(i: usize) -> impl Strategy<Value = Container> {
    (
        1u8..9,
        proptest::option::of(0i32..64),
        proptest::collection::btree_map("[A-Z]{1,4}", "[a-z0-9]{0,6}", 0..4),
        proptest::option::of((
            proptest::option::of(5i32..300),
            proptest::option::of(1i32..10),
        )),
        proptest::option::of(prop_oneof![Just(7), Just(30), Just(365)]),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        0usize..3,
        any::<bool>(),
    )
        .prop_map(
            move |(v, cpu, env, hc, retention, ro, init, secrets, udp)| Container {
                name: format!("c{i}"),
                image: format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/app{i}:1.{v}"),
                cpu,
                memory: None,
                memory_reservation: None,
                essential: true,
                command: vec![],
                entry_point: vec![],
                working_directory: None,
                user: None,
                environment: env
                    .into_iter()
                    .map(|(name, value)| EnvVar { name, value })
                    .collect(),
                secrets: (0..secrets)
                    .map(|s| Secret {
                        name: format!("SECRET_{s}"),
                        value_from: format!(
                            "arn:aws:ssm:us-east-1:123456789012:parameter/app{i}/s{s}"
                        ),
                    })
                    .collect(),
                port_mappings: vec![PortMapping {
                    container_port: 8000 + i as i32,
                    protocol: udp.then_some(Protocol::Udp),
                    name: None,
                    app_protocol: None,
                }],
                health_check: hc.map(|(interval, retries)| HealthCheck {
                    command: vec!["CMD-SHELL".into(), "true".into()],
                    interval_seconds: interval,
                    timeout_seconds: None,
                    retries,
                    start_period_seconds: None,
                }),
                logging: retention.map(|d| Logging {
                    group: None,
                    stream_prefix: None,
                    create_group: true,
                    retention_days: Some(d),
                }),
                depends_on: vec![],
                readonly_root_filesystem: ro,
                ulimits: vec![],
                linux_parameters: init.map(|b| LinuxParameters {
                    init_process_enabled: Some(b),
                }),
                mount_points: vec![],
            },
        )
}

fn task_definition() -> impl Strategy<Value = TaskDefinitionSpec> {
    (
        proptest::sample::select(SIZES.to_vec()),
        1usize..4,
        any::<bool>(),
        any::<bool>(),
        0i32..4,
    )
        .prop_flat_map(|(size, n, arm, task_role, history)| {
            let containers: Vec<_> = (0..n).map(container).collect();
            (
                Just(size),
                containers,
                Just(arm),
                Just(task_role),
                Just(history),
            )
        })
        .prop_map(
            |((cpu, memory), containers, arm, task_role, history)| TaskDefinitionSpec {
                deletion_policy: Default::default(),
                family: None,
                cpu,
                memory,
                runtime_platform: arm.then_some(RuntimePlatform {
                    cpu_architecture: CpuArchitecture::Arm64,
                    operating_system_family: OperatingSystemFamily::Linux,
                }),
                ephemeral_storage_gib: None,
                revision_history_limit: history,
                containers,
                volumes: vec![],
                execution_role: None,
                task_role: task_role.then(|| RoleSpec {
                    arn: None,
                    managed: Some(ManagedRole::default()),
                }),
                tags: BTreeMap::from([("team".to_owned(), "t".to_owned())]),
            },
        )
}

fn service(arm: bool) -> impl Strategy<Value = FargateServiceSpec> {
    (
        0i32..6,
        proptest::collection::btree_set("[0-9a-f]{17}", 1..3),
        proptest::collection::btree_set("[0-9a-f]{17}", 0..3),
        proptest::option::of((
            1i32..3,
            3i32..10,
            proptest::option::of(10i32..90),
            0usize..3,
        )),
        any::<bool>(),
        proptest::option::of((50i32..100, any::<bool>(), rollout())),
        any::<bool>(),
    )
        .prop_map(
            move |(count, subnets, sgs, scaling, spot, deployment, exec)| FargateServiceSpec {
                cluster: ClusterSpec::default(),
                service_name: None,
                task_definition_ref: Some(LocalObjectRef {
                    name: "td".into(),
                    revision: None,
                }),
                task_definition_arn: None,
                desired_count: count,
                network: NetworkSpec {
                    subnets: subnets.into_iter().map(|s| format!("subnet-{s}")).collect(),
                    security_groups: sgs.into_iter().map(|s| format!("sg-{s}")).collect(),
                    assign_public_ip: false,
                },
                // A progressive strategy shifts traffic through a load balancer.
                load_balancers: deployment
                    .as_ref()
                    .filter(|(_, _, r)| {
                        r.strategy.is_some_and(|s| s != DeploymentStrategy::Rolling)
                    })
                    .map(|_| vec![blue_green_load_balancer()])
                    .unwrap_or_default(),
                health_check_grace_period_seconds: None,
                deployment: deployment.map(|(min, rollback, r)| DeploymentSpec {
                    minimum_healthy_percent: Some(min),
                    maximum_percent: None,
                    circuit_breaker: CircuitBreaker {
                        enable: true,
                        rollback,
                    },
                    alarms: None,
                    ..r
                }),
                capacity_provider_strategy: if spot && !arm {
                    vec![
                        CapacityProviderStrategyItem {
                            capacity_provider: CapacityProvider::Fargate,
                            base: Some(1),
                            weight: Some(1),
                        },
                        CapacityProviderStrategyItem {
                            capacity_provider: CapacityProvider::FargateSpot,
                            base: None,
                            weight: Some(3),
                        },
                    ]
                } else {
                    vec![]
                },
                platform_version: None,
                enable_execute_command: exec,
                service_registries: vec![],
                propagate_tags: None,
                tags: BTreeMap::new(),
                deletion_policy: DeletionPolicy::Delete,
                scaling: scaling.map(|(min, max, cpu, schedules)| ScalingSpec {
                    min_capacity: min,
                    max_capacity: max,
                    target_cpu_utilization: cpu,
                    target_memory_utilization: None,
                    requests_per_target: None,
                    scale_in_cooldown_seconds: None,
                    scale_out_cooldown_seconds: None,
                    schedules: (0..schedules)
                        .map(|i| ScalingSchedule {
                            name: format!("s{i}"),
                            schedule: format!("cron(0 {i} * * ? *)"),
                            timezone: None,
                            min_capacity: Some(min),
                            max_capacity: Some(max),
                        })
                        .collect(),
                }),
            },
        )
}

/// A deployment strategy with what it needs (the rest of a `DeploymentSpec` left default):
/// Rolling (said or not), BlueGreen, Canary or Linear with bake times, percents in steps of
/// 0.1 or ECS's defaults, and a hook.
fn rollout() -> impl Strategy<Value = DeploymentSpec> {
    (
        0usize..5,
        0i32..1441,
        proptest::option::of((1i32..1001, 0i32..1441)),
        any::<bool>(),
    )
        .prop_map(|(which, bake, step, hook)| {
            let strategy = [
                None,
                Some(DeploymentStrategy::Rolling),
                Some(DeploymentStrategy::BlueGreen),
                Some(DeploymentStrategy::Canary),
                Some(DeploymentStrategy::Linear),
            ][which];
            let progressive = which >= 2;
            DeploymentSpec {
                strategy,
                bake_time_minutes: progressive.then_some(bake),
                canary: (which == 3).then(|| CanarySpec {
                    percent: step.map(|(p, _)| f64::from(p) / 10.0),
                    bake_time_minutes: step.map(|(_, b)| b),
                }),
                linear: (which == 4).then(|| LinearSpec {
                    step_percent: step.map(|(p, _)| f64::from(p.max(30)) / 10.0),
                    step_bake_time_minutes: step.map(|(_, b)| b),
                }),
                lifecycle_hooks: if hook {
                    vec![LifecycleHook {
                        lambda_arn: "arn:aws:lambda:us-east-1:123456789012:function:smoke".into(),
                        role_arn: "arn:aws:iam::123456789012:role/ecs-hooks".into(),
                        stages: vec![HookStage::PostTestTrafficShift, HookStage::PreScaleUp],
                        timeout_minutes: None,
                        timeout_action: None,
                    }]
                } else {
                    vec![]
                },
                ..DeploymentSpec::default()
            }
        })
}

fn blue_green_load_balancer() -> LoadBalancer {
    LoadBalancer {
        target_group_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef".into(),
        container_name: "c0".into(),
        container_port: 8000,
        advanced: Some(LoadBalancerAdvanced {
            alternate_target_group_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef".into(),
            production_listener_rule: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef".into(),
            test_listener_rule: None,
            role_arn: "arn:aws:iam::123456789012:role/ecs-elb".into(),
        }),
    }
}

fn owner(name: &str) -> Owner {
    Owner {
        namespace: "ns".into(),
        name: name.into(),
        uid: format!("uid-{name}"),
        generation: 1,
        adopt: false,
    }
}

fn td_object(spec: &TaskDefinitionSpec) -> TaskDefinition {
    let mut td = TaskDefinition::new("td", spec.clone());
    td.metadata.namespace = Some("ns".into());
    td.metadata.uid = Some("uid-td".into());
    td
}

struct World {
    aws: SimAws,
    config: PlanConfig,
    td: TaskDefinition,
    fs: FargateServiceSpec,
}

impl World {
    fn observe_td(&self) -> ObservedTaskDefinition {
        let l = task_definition_lookups(&self.td);
        self.aws
            .observe_task_definition(&l.family, &l.log_groups, &l.roles)
    }

    fn plan_td(&self, observed: &ObservedTaskDefinition) -> Plan {
        let o = owner("td");
        plan_task_definition(
            TaskDefinitionInputs {
                owner: &o,
                spec: &self.td.spec,
            },
            observed,
            &self.config,
        )
        .expect("valid spec plans")
    }

    fn observe_fs(&self) -> ObservedFargateService {
        let name = service_name(&owner("svc"), &self.fs);
        self.aws.observe_service(&self.fs.cluster.name, &name)
    }

    fn plan_fs(&self, observed: &ObservedFargateService) -> Plan {
        let o = owner("svc");
        let family = task_definition_lookups(&self.td).family;
        let info = task_definition_info(&self.td, self.aws.latest_revision(&family));
        plan_fargate_service(
            ServiceInputs {
                owner: &o,
                spec: &self.fs,
                restarted_at: None,
                task_definition: Some(&info),
            },
            observed,
            &self.config,
        )
        .expect("valid spec plans")
    }

    fn converge(&mut self) {
        for plan in [self.plan_td(&self.observe_td())] {
            for a in &plan.actions {
                self.aws.apply(a).expect("sim accepts the planned action");
            }
        }
        let plan = self.plan_fs(&self.observe_fs());
        for a in &plan.actions {
            self.aws.apply(a).expect("sim accepts the planned action");
        }
    }
}

fn world(td: TaskDefinitionSpec, fs: FargateServiceSpec) -> World {
    World {
        aws: SimAws::new("123456789012", "us-east-1"),
        config: PlanConfig::default(),
        td: td_object(&td),
        fs,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn applying_a_plan_converges((td, fs) in task_definition().prop_flat_map(|td| {
        let arm = td.runtime_platform.is_some();
        (Just(td), service(arm))
    })) {
        let mut w = world(td, fs);
        w.converge();
        let again_td = w.plan_td(&w.observe_td());
        prop_assert!(again_td.is_empty(), "TaskDefinition replans: {:?}", again_td.actions);
        let again_fs = w.plan_fs(&w.observe_fs());
        prop_assert!(again_fs.is_empty(), "FargateService replans: {:?}", again_fs.actions);
        prop_assert_eq!(w.aws.revisions.values().flatten().count(), 1);
    }

    #[test]
    fn aws_defaults_and_ordering_are_not_drift(
        (td, fs) in task_definition().prop_flat_map(|td| {
            let arm = td.runtime_platform.is_some();
            (Just(td), service(arm))
        }),
        seed in any::<u64>(),
        autoscaled_count in 0i32..20,
    ) {
        let mut w = world(td, fs);
        w.converge();
        let mut bit = {
            let mut s = seed;
            move || { s = s.rotate_left(7) ^ 0x9E37_79B9_7F4A_7C15; s & 1 == 1 }
        };

        // Task definition: drop the hash tag so the structural comparison decides, then
        // toggle every field between "AWS default spelled out" and "left out".
        let mut otd = w.observe_td();
        for rev in &mut otd.revisions {
            rev.tags.remove(fargate_operator::api::SPEC_HASH_TAG);
            let b = &mut rev.body;
            if bit() { b.cpu_architecture = b.cpu_architecture.take().filter(|a| a != "X86_64"); }
            if bit() { b.operating_system_family = None; }
            for c in &mut b.containers {
                if bit() && c.cpu == Some(0) { c.cpu = None; }
                if bit() && c.essential == Some(true) { c.essential = None; }
                if bit() { c.environment.reverse(); }
                if bit() { c.secrets.reverse(); }
                for p in &mut c.port_mappings {
                    if bit() { p.host_port = None; }
                    if bit() && p.protocol.as_deref() == Some("tcp") { p.protocol = None; }
                }
                if let Some(h) = &mut c.health_check {
                    if bit() { h.interval.get_or_insert(30); }
                    if bit() { h.timeout = h.timeout.filter(|t| *t != 5); }
                    if bit() { h.retries.get_or_insert(3); }
                    if bit() { h.start_period.get_or_insert(0); }
                }
                if bit() { c.readonly_root_filesystem.get_or_insert(false); }
                if bit() { c.init_process_enabled.get_or_insert(false); }
            }
        }
        let plan = w.plan_td(&otd);
        prop_assert!(plan.is_empty(), "TaskDefinition: {:?}", plan.actions);

        // Service: the same for its defaults; with scaling, the autoscaler moved the count.
        let mut ofs = w.observe_fs();
        if let Some(s) = &mut ofs.service {
            let b = &mut s.body;
            if w.fs.scaling.is_some() { b.desired_count = autoscaled_count; }
            b.subnets.reverse();
            if bit() && b.launch_type.is_some() {
                b.launch_type = None;
                b.capacity_provider_strategy = vec![StrategyItem::new("FARGATE", 0, 1)];
            }
            if bit() { b.platform_version = Some("LATEST".into()); }
            if bit() { b.health_check_grace_period_seconds = Some(0); }
            if bit() { b.propagate_tags = Some("NONE".into()); }
            if bit() { b.capacity_provider_strategy.reverse(); }
            // ECS's defaults for each strategy spelled out or left out, hooks reordered.
            let r = &mut b.rollout;
            if bit() && r.strategy() == "ROLLING" { r.strategy = None; }
            if r.strategy() == "ROLLING" && bit() {
                // An earlier strategy's settings ECS may keep reporting.
                r.bake_time_minutes = Some(60);
                r.canary = Some(CANARY_DEFAULTS);
            }
            if bit() && r.canary == Some(CANARY_DEFAULTS) && r.strategy() == "CANARY" { r.canary = None; }
            if bit() && r.linear == Some(LINEAR_DEFAULTS) && r.strategy() == "LINEAR" { r.linear = None; }
            for h in &mut r.lifecycle_hooks {
                if bit() { h.stages.reverse(); }
                if bit() { h.timeout_minutes = None; h.timeout_action = None; }
            }
        }
        let plan = w.plan_fs(&ofs);
        prop_assert!(plan.is_empty(), "FargateService: {:?}", plan.actions);
    }
}

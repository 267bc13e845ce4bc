//! Tenancy: the reference table knows every field of the CRDs that names an AWS resource
//! another team could own, and a tenant's defaults and allowlist do what they say.

use std::collections::BTreeSet;

use fargate_operator::api::{FargateService, FargateTask, TaskDefinition};
use fargate_operator::plan::tenant::{
    adoption_forbidden_by, check_fargate_service, fargate_service_with_defaults, permits, Floor,
    Tenant, FARGATE_SERVICE_REFERENCES, FARGATE_TASK_REFERENCES, NOT_REFERENCES,
    TASK_DEFINITION_REFERENCES,
};
use kube::CustomResourceExt;
use serde_json::{json, Value};

/// Every path of the spec schema (`containers[].secrets[].valueFrom`), with its leaf schema.
fn paths(node: &Value, at: &str, out: &mut Vec<(String, Value)>) {
    if !at.is_empty() {
        out.push((at.to_owned(), node.clone()));
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let p = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            paths(v, &p, out);
        }
    }
    if let Some(items) = node.get("items") {
        paths(items, &format!("{at}[]"), out);
    }
}

fn spec_schema(
    crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
) -> Value {
    let v = serde_json::to_value(&crd.spec.versions[0]).expect("version");
    v["schema"]["openAPIV3Schema"]["properties"]["spec"].clone()
}

/// Whether a string field looks like a reference to an AWS resource: its name ends in
/// `arn`/`arns`/`id` (any case), it is one of the known reference names, or its pattern
/// names an ARN or an EC2/EFS ID.
fn looks_like_a_reference(path: &str, schema: &Value) -> bool {
    let leaf = path
        .rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[]");
    let lower = leaf.to_ascii_lowercase();
    let pattern = schema["pattern"].as_str().unwrap_or_default();
    let named = lower.ends_with("arn") || lower.ends_with("arns") || lower.ends_with("id");
    let known = [
        "subnets",
        "securityGroups",
        "valueFrom",
        "credentialsParameter",
        "credentialSpecs",
        "group",
        "productionListenerRule",
        "testListenerRule",
    ]
    .contains(&leaf);
    let patterned = ["arn:", "subnet-", "sg-", "fs-", "fsap-"]
        .iter()
        .any(|p| pattern.contains(p));
    schema["type"] == "string" && (named || known || patterned)
}

#[test]
fn every_reference_field_of_both_crds_is_decided_and_no_row_is_stale() {
    let mut failures = vec![];
    for (kind, schema, table) in [
        (
            "TaskDefinition",
            spec_schema(TaskDefinition::crd()),
            TASK_DEFINITION_REFERENCES,
        ),
        (
            "FargateService",
            spec_schema(FargateService::crd()),
            FARGATE_SERVICE_REFERENCES,
        ),
        (
            "FargateTask",
            spec_schema(FargateTask::crd()),
            FARGATE_TASK_REFERENCES,
        ),
    ] {
        let mut all = vec![];
        paths(&schema, "", &mut all);
        let known: BTreeSet<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        let decided: BTreeSet<&str> = table
            .iter()
            .map(|(p, _)| *p)
            .chain(NOT_REFERENCES.iter().map(|(p, _)| *p))
            .collect();
        for (path, leaf) in &all {
            if looks_like_a_reference(path, leaf) && !decided.contains(path.as_str()) {
                failures.push(format!(
                    "{kind} spec.{path} looks like a reference: add it to plan/tenant.rs's \
                     table (with its category) or to NOT_REFERENCES (with why)"
                ));
            }
        }
        for (path, _) in table {
            if !known.contains(path) {
                failures.push(format!("{kind}: stale reference row {path}"));
            }
        }
    }
    for (path, why) in NOT_REFERENCES {
        assert!(!why.is_empty(), "{path}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn entries_match_exactly_or_by_prefix_before_a_trailing_star() {
    let entries = vec![
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/*".to_owned(),
        "subnet-0123456789abcdef0".to_owned(),
    ];
    assert!(permits(
        &entries,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/db-AbCdEf"
    ));
    assert!(!permits(
        &entries,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:team-ab/db"
    ));
    assert!(permits(&entries, "subnet-0123456789abcdef0"));
    assert!(
        !permits(&entries, "subnet-0123456789abcdef01"),
        "an entry without * is exact"
    );
    assert!(!permits(&[], "anything"), "an empty list allows nothing");
}

fn tenant(spec: Value) -> Tenant {
    Tenant {
        name: "team-a".into(),
        spec: serde_json::from_value(spec).expect("tenant spec"),
    }
}

fn service(spec: Value) -> FargateService {
    serde_json::from_value(json!({
        "apiVersion": "ecs.fargate.dev/v1alpha1",
        "kind": "FargateService",
        "metadata": {"name": "web", "namespace": "team-a"},
        "spec": spec,
    }))
    .expect("service")
}

#[test]
fn defaults_fill_a_minimal_service_and_are_allowed_without_listing_them() {
    let t = tenant(json!({
        "namespaces": ["team-a"],
        "defaults": {
            "cluster": "team-a",
            "subnets": ["subnet-0123456789abcdef0"],
            "securityGroups": ["sg-0123456789abcdef0"],
            "assignPublicIp": true,
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
            "tags": {"team": "a", "cost-center": "42"},
        },
    }));
    let fs = service(
        json!({"taskDefinitionRef": {"name": "web"}, "desiredCount": 2, "tags": {"team": "mine"}}),
    );
    let spec = fargate_service_with_defaults(&fs.spec, &t.spec, None);
    assert_eq!(spec.cluster.name, "team-a");
    assert_eq!(spec.network.subnets, ["subnet-0123456789abcdef0"]);
    assert_eq!(spec.network.security_groups, ["sg-0123456789abcdef0"]);
    assert!(spec.network.assign_public_ip);
    assert_eq!(spec.capacity_provider_strategy.len(), 1);
    assert_eq!(spec.tags["team"], "mine", "the object's own tag wins");
    assert_eq!(spec.tags["cost-center"], "42");
    assert_eq!(spec.desired_count, 2);
    fargate_operator::api::validation::validate_fargate_service(&spec)
        .expect("the defaulted spec is valid");
    check_fargate_service(&spec, Some(&t), &Floor::default(), "team-a")
        .expect("a tenant's own defaults are allowed");

    // A service that already runs in a cluster stays there when the default changes.
    let spec = fargate_service_with_defaults(&fs.spec, &t.spec, Some("team-a-old"));
    assert_eq!(spec.cluster.name, "team-a-old");
    // What the spec sets is kept.
    let own = service(json!({
        "taskDefinitionRef": {"name": "web"},
        "cluster": {"name": "mine"},
        "network": {"subnets": ["subnet-0fedcba9876543210"]},
    }));
    let spec = fargate_service_with_defaults(&own.spec, &t.spec, None);
    assert_eq!(spec.cluster.name, "mine");
    assert_eq!(spec.network.subnets, ["subnet-0fedcba9876543210"]);
    assert!(
        !spec.network.assign_public_ip,
        "assignPublicIp comes with the default subnets only"
    );
    assert_eq!(spec.network.security_groups, ["sg-0123456789abcdef0"]);
}

#[test]
fn the_operators_floor_binds_every_tenant() {
    let open = tenant(json!({"namespaces": ["team-a"], "allowed": {
        "adoption": true,
        "roleArns": ["arn:aws:iam::123456789012:role/*"],
        "targetGroupArns": ["*"],
    }}));
    // Adoption: the flag first, then the tenant.
    let off = Floor::default();
    let by = adoption_forbidden_by(Some(&open), &off).expect("refused");
    assert!(by.contains("--allow-adoption"), "{by}");
    let on = Floor {
        allow_adoption: true,
        allowed_role_arns: vec!["arn:aws:iam::123456789012:role/team-a/*".into()],
    };
    assert_eq!(adoption_forbidden_by(Some(&open), &on), None);
    assert_eq!(adoption_forbidden_by(None, &on), None);
    let closed = tenant(json!({"namespaces": ["team-a"]}));
    let by = adoption_forbidden_by(Some(&closed), &on).expect("refused");
    assert!(by.contains("FargateTenant team-a"), "{by}");

    // Roles: the tenant allows every role of the account; the flag does not.
    let fs = service(json!({
        "taskDefinitionRef": {"name": "web"},
        "network": {"subnets": ["subnet-0123456789abcdef0"]},
        "cluster": {"name": "default"},
        "loadBalancers": [{
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
            "containerName": "app", "containerPort": 80,
            "advanced": {
                "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123456789abcdef",
                "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef",
                "roleArn": "arn:aws:iam::123456789012:role/team-b/ecs-elb",
            },
        }],
    }));
    let errors = check_fargate_service(&fs.spec, None, &on, "team-a")
        .expect_err("the flag refuses team-b's role")
        .0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "spec.loadBalancers[0].advanced.roleArn");
    assert!(
        errors[0].message.contains("--allowed-role-arns"),
        "{errors:?}"
    );
    // Without a tenant and without the flag's list, nothing is refused (today's behaviour).
    check_fargate_service(&fs.spec, None, &Floor::default(), "team-a").expect("no tenant");
}

/// docs/tenants.yaml, the README's two-team example: it loads, the web team's minimal
/// service gets its tenant's defaults and plans, and what belongs to payments is refused.
#[test]
fn the_documented_two_team_example_does_what_the_readme_says() {
    use fargate_operator::api::reasons;
    use fargate_operator::batch::Outcome;
    use fargate_operator::engine::tenancy::groups;
    use fargate_operator::plan::PlanConfig;

    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/tenants.yaml");
    let mut m = fargate_operator::manifests::load(&[path]).expect("docs/tenants.yaml loads");
    assert_eq!(m.tenants.len(), 2);
    // As the API server would admit them: the CRD's schema and CEL rules.
    let crd = serde_json::to_value(&fargate_operator::api::FargateTenant::crd().spec.versions[0])
        .expect("version");
    let schema = &crd["schema"]["openAPIV3Schema"];
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    for t in &m.tenants {
        let obj = serde_json::to_value(t).expect("serialises");
        let errors: Vec<String> = validator.iter_errors(&obj).map(|e| e.to_string()).collect();
        assert_eq!(errors, Vec::<String>::new(), "{obj}");
        kube::core::cel::Validator::new()
            .validate(schema, &obj, None)
            .map_err(|e| format!("{e:?}"))
            .expect("CEL rules pass");
    }
    let config = PlanConfig::default();
    let g = groups(&config, &m);
    assert_eq!(g.len(), 1, "one namespace: storefront");
    let (scope, governed) = g[0].governed.clone().expect("governed");
    assert!(scope.is_own(), "the web tenant uses the operator's account");
    assert_eq!(
        governed.tenant.as_ref().map(|t| t.name.as_str()),
        Some("web")
    );
    let fs = &g[0].manifests.services[0];
    assert_eq!(fs.spec.cluster.name, "web");
    assert_eq!(fs.spec.capacity_provider_strategy.len(), 2);
    let plans = fargate_operator::batch::plan_all(
        &g[0].manifests,
        &governed,
        |_| Default::default(),
        |_, _, _| Default::default(),
    );
    for p in &plans {
        assert!(
            matches!(p.outcome, Outcome::Plan(_)),
            "{} {:?}",
            p.name,
            p.outcome
        );
    }

    // The web team points its secret at payments': refused, naming the tenant.
    m.task_definitions[0].spec.containers[0].secrets[0].value_from =
        "arn:aws:secretsmanager:eu-west-1:222222222222:secret:payments/db-AbCdEf".into();
    let g = groups(&config, &m);
    let plans = fargate_operator::batch::plan_all(
        &g[0].manifests,
        &g[0].governed.clone().expect("governed").1,
        |_| Default::default(),
        |_, _, _| Default::default(),
    );
    match &plans[0].outcome {
        Outcome::Error { reason, message } => {
            assert_eq!(reason, reasons::NOT_ALLOWED);
            assert!(
                message.contains("FargateTenant web (allowed.secretArns)"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// `/ecs/<namespace>_` is each namespace's own: another namespace's object may not name a
/// log group there, with or without a tenant.
#[test]
fn a_log_group_under_another_namespaces_prefix_is_refused() {
    use fargate_operator::plan::tenant::check_task_definition;
    let td: TaskDefinition = serde_json::from_value(json!({
        "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "web", "namespace": "team-a"},
        "spec": {"cpu": 256, "memory": 512, "containers": [
            {"name": "app", "image": "nginx:1.27", "logging": {"group": "/ecs/team-b_web"}}
        ]},
    }))
    .expect("td");
    let errors = check_task_definition(&td.spec, None, &Floor::default(), "team-a")
        .expect_err("refused")
        .0;
    assert_eq!(errors[0].field, "spec.containers[0].logging.group");
    assert!(
        errors[0].message.contains("namespace team-b's log groups"),
        "{errors:?}"
    );
    // Its own prefix, or a group outside /ecs/<namespace>_, is fine without a tenant.
    for ok in ["/ecs/team-a_web", "/ecs/shared-logs", "/aws/custom_group"] {
        let mut td = td.clone();
        td.spec.containers[0]
            .logging
            .as_mut()
            .expect("logging")
            .group = Some(ok.into());
        check_task_definition(&td.spec, None, &Floor::default(), "team-a")
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

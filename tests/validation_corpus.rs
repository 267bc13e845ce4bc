//! The invalid-spec corpus: the CRD schema (structural constraints, checked with the
//! `jsonschema` crate, plus the CEL rules, evaluated with kube's client-side CEL validator)
//! and the Rust `validate()` must both reject every case, naming the same field; both must
//! accept the examples.

use std::path::PathBuf;

use fargate_operator::api::names::validate_names;
use fargate_operator::api::validation::{
    validate_fargate_service, validate_fargate_service_update, validate_fargate_task,
    validate_task_definition, validate_task_definition_update,
};
use fargate_operator::api::{FargateService, FargateTask, TaskDefinition};
use fargate_operator::plan::tenant::{
    check_fargate_service, check_fargate_task, check_task_definition, Floor, Tenant,
};
use kube::core::cel::Validator;
use kube::CustomResourceExt;
use serde_json::{json, Value};

fn schema_of(kind: &str) -> Value {
    let crd = match kind {
        "TaskDefinition" => TaskDefinition::crd(),
        "FargateService" => FargateService::crd(),
        "FargateTask" => FargateTask::crd(),
        other => panic!("unknown kind {other}"),
    };
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .expect("schema");
    serde_json::to_value(schema).unwrap()
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// `/spec/containers/0/cpu` → `spec.containers[0].cpu`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').filter(|s| !s.is_empty()) {
        if seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// Duplicate keys in lists the schema declares as `x-kubernetes-list-type: map` (the API
/// server rejects them as "Duplicate value"; jsonschema does not know the keyword).
fn list_map_errors(schema: &Value, obj: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match obj {
        Value::Object(map) => {
            for (k, v) in map {
                if let Some(sub) = schema.pointer(&format!("/properties/{k}")) {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    list_map_errors(sub, v, &p, out);
                }
            }
        }
        Value::Array(items) => {
            let keys: Vec<&str> = schema["x-kubernetes-list-map-keys"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut seen = std::collections::BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                if !keys.is_empty() {
                    let key: Vec<String> = keys.iter().map(|k| item[*k].to_string()).collect();
                    if !seen.insert(key.clone()) {
                        out.push((
                            format!("{p}.{}", keys[0]),
                            format!("Duplicate value: {key:?}"),
                        ));
                    }
                }
                list_map_errors(&schema["items"], item, &p, out);
            }
        }
        _ => {}
    }
}

/// Every `(path, message)` the CRD schema and its CEL rules report for `obj`.
fn schema_errors(kind: &str, obj: &Value, old: Option<&Value>) -> Vec<(String, String)> {
    let schema = schema_of(kind);
    let structural = jsonschema::validator_for(&schema).expect("CRD schema compiles");
    let mut out: Vec<(String, String)> = structural
        .iter_errors(obj)
        .map(|e| (dotted(e.instance_path().as_str()), e.to_string()))
        .collect();
    list_map_errors(&schema, obj, "", &mut out);
    if let Err(errs) = Validator::new().validate(&schema, obj, old) {
        for e in errs.into_vec() {
            let path = e.field_path.trim_start_matches('.').to_owned();
            out.push((path, e.message.clone()));
        }
    }
    out
}

/// Every `(field, message)` the Rust side reports for `obj` (deserialisation, then validate,
/// then the names derived from its namespace and name, as the engine and planner check them).
fn rust_errors(kind: &str, obj: &Value) -> Vec<(String, String)> {
    fn de<T: serde::de::DeserializeOwned>(obj: &Value) -> Result<T, (String, String)> {
        serde_path_to_error::deserialize(obj.clone())
            .map_err(|e| (e.path().to_string(), e.inner().to_string()))
    }
    let namespace = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let result = match kind {
        "TaskDefinition" => de::<TaskDefinition>(obj).map(|td| {
            let mut errors = validate_task_definition(&td.spec).err().map(|e| e.0);
            if let Err(e) = validate_names(namespace, name) {
                errors.get_or_insert_with(Vec::new).extend(e.0);
            }
            errors
        }),
        "FargateTask" => de::<FargateTask>(obj).map(|ft| {
            let mut errors = validate_fargate_task(&ft.spec).err().map(|e| e.0);
            // A task's ECS names are derived (startedBy, tags): only the owner tag's bound.
            if let Err(e) = validate_names(namespace, name) {
                errors.get_or_insert_with(Vec::new).extend(e.0);
            }
            errors
        }),
        _ => de::<FargateService>(obj).map(|fs| {
            let mut errors = validate_fargate_service(&fs.spec).err().map(|e| e.0);
            if let Err(e) = validate_names(namespace, name) {
                errors.get_or_insert_with(Vec::new).extend(e.0);
            }
            errors
        }),
    };
    match result {
        Err(de_err) => vec![de_err],
        Ok(None) => vec![],
        Ok(Some(errors)) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
    }
}

fn corpus_doc() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/invalid.yaml");
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn corpus() -> (Value, Vec<Value>) {
    let doc = corpus_doc();
    let cases = doc["cases"].as_array().unwrap().clone();
    (doc["bases"].clone(), cases)
}

/// A case's name, kind and field.
fn case_keys(case: &Value) -> (&str, &str, &str) {
    let key = |k: &str| case[k].as_str().unwrap_or_else(|| panic!("{k} of {case}"));
    (key("name"), key("kind"), key("field"))
}

#[test]
fn corpus_has_enough_cases() {
    let (_, cases) = corpus();
    assert!(cases.len() >= 25, "{} cases", cases.len());
}

#[test]
fn bases_are_valid_on_both_sides() {
    let (bases, _) = corpus();
    for kind in ["TaskDefinition", "FargateService", "FargateTask"] {
        assert_eq!(schema_errors(kind, &bases[kind], None), vec![], "{kind}");
        assert_eq!(rust_errors(kind, &bases[kind]), vec![], "{kind}");
    }
}

#[test]
fn schedule_dates_in_any_offset_and_with_fractions_are_admitted_on_both_sides() {
    let (bases, _) = corpus();
    for (start, end) in [
        ("2030-01-01T00:00:00Z", "2030-12-31T23:59:59Z"),
        ("2030-01-01T02:00:00.5+02:00", "2030-01-01T00:00:01Z"),
        (
            "2020-01-01T00:00:00-05:00",
            "2020-01-01T00:00:00.000000001-05:00",
        ),
    ] {
        for schedule in ["cron(0 5 ? * * *)", "rate(1 day)"] {
            let mut obj = bases["FargateTask"].clone();
            merge_patch(
                &mut obj,
                &json!({"spec": {"schedule": schedule, "startDate": start, "endDate": end}}),
            );
            assert_eq!(
                schema_errors("FargateTask", &obj, None),
                vec![],
                "{start} {end}"
            );
            assert_eq!(rust_errors("FargateTask", &obj), vec![], "{start} {end}");
        }
    }
}

/// Why the schema or the Rust side did not reject `patch` (applied to the kind's base) at
/// `field`; empty when both did.
fn check_case(bases: &Value, name: &str, kind: &str, field: &str, patch: &Value) -> Vec<String> {
    let mut failures = vec![];
    let mut obj = bases[kind].clone();
    merge_patch(&mut obj, patch);

    let schema = schema_errors(kind, &obj, None);
    // The schema reports where a rule is attached (a CEL rule on spec names spec.containers
    // for a container problem): that place must contain the field. A rule on the root (it
    // sees metadata.name) reports no path: its message must name the field.
    let schema_ok = schema.iter().any(|(path, msg)| {
        !msg.is_empty()
            && (field == path
                || field.starts_with(&format!("{path}."))
                || field.starts_with(&format!("{path}["))
                || (path.is_empty() && msg.contains(field)))
    });
    if !schema_ok {
        failures.push(format!(
            "{name}: schema did not reject at {field}: {schema:?}"
        ));
    }
    let rust = rust_errors(kind, &obj);
    let rust_ok = rust.iter().any(|(f, msg)| f == field && msg.len() > 10);
    if !rust_ok {
        failures.push(format!("{name}: rust did not reject at {field}: {rust:?}"));
    }
    failures
}

#[test]
fn schema_and_rust_reject_every_case_naming_the_field() {
    let (bases, cases) = corpus();
    let mut failures = vec![];
    for case in &cases {
        failures.extend(check_case(
            &bases,
            case["name"].as_str().unwrap(),
            case["kind"].as_str().unwrap(),
            case["field"].as_str().unwrap(),
            &case["patch"],
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Cases the schema must admit (a FargateTenant may fill them in) and Rust must refuse when
/// nothing does, naming the field.
#[test]
fn reconcile_cases_are_admitted_and_refused_by_rust() {
    let doc = corpus_doc();
    let bases = &doc["bases"];
    let mut failures = vec![];
    for case in doc["reconcile_cases"].as_array().expect("reconcile_cases") {
        let (name, kind, field) = case_keys(case);
        let mut obj = bases[kind].clone();
        merge_patch(&mut obj, &case["patch"]);
        let schema = schema_errors(kind, &obj, None);
        if !schema.is_empty() {
            failures.push(format!("{name}: the schema refused it: {schema:?}"));
        }
        let rust = rust_errors(kind, &obj);
        if !rust.iter().any(|(f, msg)| f == field && msg.len() > 10) {
            failures.push(format!("{name}: rust did not reject at {field}: {rust:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Valid specs the corpus's FargateTenant refuses: the schema and `validate()` admit each,
/// and the tenant check refuses it naming the field and the tenant; the bases pass it.
#[test]
fn a_tenant_refuses_every_tenant_case_naming_the_field_and_itself() {
    let doc = corpus_doc();
    let bases = &doc["bases"];
    let tenant = Tenant {
        name: doc["tenant"]["name"]
            .as_str()
            .expect("tenant name")
            .to_owned(),
        spec: serde_json::from_value(doc["tenant"]["spec"].clone()).expect("tenant spec"),
    };
    let floor = Floor::default();
    let refused = |kind: &str, obj: &Value| -> Vec<(String, String)> {
        let result = match kind {
            "TaskDefinition" => {
                let td: TaskDefinition = serde_json::from_value(obj.clone()).expect("td");
                check_task_definition(&td.spec, Some(&tenant), &floor, "ns")
            }
            "FargateTask" => {
                let ft: FargateTask = serde_json::from_value(obj.clone()).expect("ft");
                check_fargate_task(&ft.spec, Some(&tenant), &floor, "ns")
            }
            _ => {
                let fs: FargateService = serde_json::from_value(obj.clone()).expect("fs");
                check_fargate_service(&fs.spec, Some(&tenant), &floor, "ns")
            }
        };
        result
            .err()
            .map(|e| e.0.into_iter().map(|f| (f.field, f.message)).collect())
            .unwrap_or_default()
    };
    for kind in ["TaskDefinition", "FargateService", "FargateTask"] {
        assert_eq!(refused(kind, &bases[kind]), vec![], "{kind} base");
    }
    let cases = doc["tenant_cases"].as_array().expect("tenant_cases");
    assert!(cases.len() >= 10, "{} tenant cases", cases.len());
    let mut failures = vec![];
    for case in cases {
        let (name, kind, field) = case_keys(case);
        let mut obj = bases[kind].clone();
        merge_patch(&mut obj, &case["patch"]);
        let schema = schema_errors(kind, &obj, None);
        let rust = rust_errors(kind, &obj);
        if !schema.is_empty() || !rust.is_empty() {
            failures.push(format!("{name}: not a valid spec: {schema:?} {rust:?}"));
        }
        let errors = refused(kind, &obj);
        if !errors
            .iter()
            .any(|(f, msg)| f == field && msg.contains("FargateTenant team-a (allowed."))
        {
            failures.push(format!(
                "{name}: the tenant did not refuse {field}: {errors:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The size bounds (AWS's limits, and what keeps the CEL rules within the API server's cost
/// budget) are refused by both sides: cases too long to write out in the corpus file.
#[test]
fn schema_and_rust_refuse_what_exceeds_a_bound() {
    let (bases, _) = corpus();
    let long = |n: usize| "a".repeat(n);
    let tags = |n: usize| -> Value { (0..n).map(|i| (format!("k{i}"), json!("v"))).collect() };
    let container = |name: String| json!([{"name": name, "image": "a:1"}]);
    let cases = [
        (
            "td-41-tags",
            "TaskDefinition",
            "spec.tags",
            json!({"spec": {"tags": tags(41)}}),
        ),
        (
            "fs-41-tags",
            "FargateService",
            "spec.tags",
            json!({"spec": {"tags": tags(41)}}),
        ),
        (
            "tag-value-too-long",
            "FargateService",
            "spec.tags.team",
            json!({"spec": {"tags": {"team": long(257)}}}),
        ),
        (
            "tag-key-too-long",
            "TaskDefinition",
            "spec.tags",
            json!({"spec": {"tags": {long(129): "x"}}}),
        ),
        (
            "container-name-over-64",
            "TaskDefinition",
            "spec.containers[0].name",
            json!({"spec": {"containers": container(long(65))}}),
        ),
        (
            "family-over-255",
            "TaskDefinition",
            "spec.family",
            json!({"spec": {"family": long(256)}}),
        ),
        (
            "command-over-100-arguments",
            "TaskDefinition",
            "spec.containers[0].command",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "command": vec!["x"; 101]}]}}),
        ),
        (
            "eleven-volumes",
            "TaskDefinition",
            "spec.volumes",
            json!({"spec": {"volumes": (0..11).map(|i| json!({"name": format!("v{i}")})).collect::<Vec<_>>()}}),
        ),
        (
            "user-over-255",
            "TaskDefinition",
            "spec.containers[0].user",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "user": long(256)}]}}),
        ),
        (
            "ssm-parameter-name-over-1011",
            "TaskDefinition",
            "spec.containers[0].secrets[0].valueFrom",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "secrets": [{"name": "S", "valueFrom": format!("arn:aws:ssm:us-east-1:123456789012:parameter/{}", long(1012))}]}]}}),
        ),
        (
            "eleven-environment-files",
            "TaskDefinition",
            "spec.containers[0].environmentFiles",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "environmentFiles": (0..11).map(|i| json!({"value": format!("arn:aws:s3:::b/{i}.env")})).collect::<Vec<_>>()}]}}),
        ),
        (
            "docker-labels-over-100",
            "TaskDefinition",
            "spec.containers[0].dockerLabels",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "dockerLabels": tags(101)}]}}),
        ),
        (
            "docker-label-key-over-255",
            "TaskDefinition",
            "spec.containers[0].dockerLabels",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "dockerLabels": {long(256): "x"}}]}}),
        ),
        (
            "log-option-value-over-4096",
            "TaskDefinition",
            "spec.containers[0].logging.options.splunk-url",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "logging": {"driver": "splunk", "options": {"splunk-url": long(4097)}}}]}}),
        ),
        (
            "restart-policy-51-ignored-exit-codes",
            "TaskDefinition",
            "spec.containers[0].restartPolicy.ignoredExitCodes",
            json!({"spec": {"containers": [{"name": "a", "image": "a:1", "restartPolicy": {"enabled": true, "ignoredExitCodes": (0..51).collect::<Vec<_>>()}}]}}),
        ),
        (
            "schedule-expression-over-1600",
            "FargateService",
            "spec.scaling.schedules[0].schedule",
            json!({"spec": {"scaling": {"minCapacity": 1, "maxCapacity": 2, "schedules": [{"name": "n", "schedule": format!("cron({})", long(1600))}]}}}),
        ),
        (
            // EventBridge Scheduler's ScheduleExpression is at most 256 characters.
            "task-schedule-over-256",
            "FargateTask",
            "spec.schedule",
            json!({"spec": {"schedule": format!("cron({} 5 ? * * *)", long(250))}}),
        ),
        (
            // ScheduleExpressionTimezone is at most 50.
            "task-timezone-over-50",
            "FargateTask",
            "spec.timezone",
            json!({"spec": {"schedule": "rate(1 hour)", "timezone": format!("Europe/{}", long(45))}}),
        ),
    ];
    let mut failures = vec![];
    for (name, kind, field, patch) in &cases {
        failures.extend(check_case(&bases, name, kind, field, patch));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // At the bound itself, both sides accept: an SSM parameter name of 1011 characters.
    let mut obj = bases["TaskDefinition"].clone();
    let arn = format!(
        "arn:aws:ssm:us-east-1:123456789012:parameter/{}",
        long(1011)
    );
    merge_patch(
        &mut obj,
        &json!({"spec": {"containers": [{"name": "a", "image": "a:1", "secrets": [{"name": "S", "valueFrom": arn}]}]}}),
    );
    assert_eq!(schema_errors("TaskDefinition", &obj, None), vec![]);
    assert_eq!(rust_errors("TaskDefinition", &obj), vec![]);
}

#[test]
fn examples_are_accepted_by_schema_and_rust() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for doc in serde_norway::Deserializer::from_str(&text) {
            let obj: Value = serde::Deserialize::deserialize(doc).unwrap();
            let kind = obj["kind"].as_str().unwrap().to_owned();
            assert_eq!(
                schema_errors(&kind, &obj, None),
                vec![],
                "{}",
                path.display()
            );
            assert_eq!(rust_errors(&kind, &obj), vec![], "{}", path.display());
            seen += 1;
        }
    }
    assert!(
        seen >= 8,
        "expected 4 examples with 2 objects each, saw {seen}"
    );
}

#[test]
fn immutable_fields_are_rejected_on_update_by_cel_and_rust() {
    let (bases, _) = corpus();
    // family
    let mut old = bases["TaskDefinition"].clone();
    merge_patch(&mut old, &json!({"spec": {"family": "a"}}));
    let mut new = old.clone();
    merge_patch(&mut new, &json!({"spec": {"family": "b"}}));
    let cel = schema_errors("TaskDefinition", &new, Some(&old));
    assert!(
        cel.iter()
            .any(|(_, m)| m.contains("spec.family is immutable")),
        "{cel:?}"
    );
    assert!(schema_errors("TaskDefinition", &old, Some(&old)).is_empty());
    let (o, n): (TaskDefinition, TaskDefinition) = (
        serde_json::from_value(old).unwrap(),
        serde_json::from_value(new).unwrap(),
    );
    let err = validate_task_definition_update(&o.spec, &n.spec).unwrap_err();
    assert_eq!(err.0[0].field, "spec.family");

    // serviceName and cluster.name
    for (patch_old, patch_new, field) in [
        (
            json!({"spec": {"serviceName": "a"}}),
            json!({"spec": {"serviceName": "b"}}),
            "spec.serviceName",
        ),
        (
            json!({"spec": {}}),
            json!({"spec": {"cluster": {"name": "other"}}}),
            "spec.cluster.name",
        ),
    ] {
        let mut old = bases["FargateService"].clone();
        merge_patch(&mut old, &patch_old);
        let mut new = old.clone();
        merge_patch(&mut new, &patch_new);
        let cel = schema_errors("FargateService", &new, Some(&old));
        assert!(
            cel.iter().any(|(_, m)| m.contains("immutable")),
            "{field}: {cel:?}"
        );
        assert!(schema_errors("FargateService", &old, Some(&old)).is_empty());
        let (o, n): (FargateService, FargateService) = (
            serde_json::from_value(old).unwrap(),
            serde_json::from_value(new).unwrap(),
        );
        let err = validate_fargate_service_update(&o.spec, &n.spec).unwrap_err();
        assert_eq!(err.0[0].field, field);
    }
}

/// What the operator derives from the object's name always fits ECS (a `.` becomes `__`, a
/// long name keeps a prefix and a hash), so both sides admit a dotted or long name; only the
/// owner tag `namespace/name` (256 characters) can be too long, which Rust refuses, since a
/// CEL rule does not see the namespace.
#[test]
fn names_derived_from_the_object_are_checked() {
    let (bases, _) = corpus();
    for kind in ["TaskDefinition", "FargateService"] {
        let mut obj = bases[kind].clone();
        merge_patch(&mut obj, &json!({"metadata": {"name": "web.api"}}));
        assert_eq!(schema_errors(kind, &obj, None), vec![], "{kind}");
        assert_eq!(rust_errors(kind, &obj), vec![], "{kind}");

        let long = json!({"metadata": {"namespace": "n".repeat(63), "name": "a".repeat(200)}});
        let mut obj = bases[kind].clone();
        merge_patch(&mut obj, &long);
        assert_eq!(
            schema_errors(kind, &obj, None),
            vec![],
            "{kind}: the API server cannot see the namespace; if it now can, refuse this at admission"
        );
        let rust = rust_errors(kind, &obj);
        assert_eq!(rust.len(), 1, "{kind}: {rust:?}");
        assert_eq!(rust[0].0, "metadata.name");
        assert!(rust[0].1.contains("256"), "{rust:?}");
    }
    let derived = fargate_operator::api::names::default_aws_name("shop", "web.api");
    assert_eq!(derived, "shop_web__api");
    let long = fargate_operator::api::names::default_aws_name("n", &"a".repeat(300));
    assert_eq!(long.len(), 255, "{long}");
    assert_ne!(
        long,
        fargate_operator::api::names::default_aws_name("n", &format!("{}b", "a".repeat(299)))
    );
}

/// A hook's `details` the API server keeps as given (nested values): only the Rust side can
/// measure it, and refuses it above 4096 characters as JSON, before any AWS call.
#[test]
fn hook_details_longer_than_4096_characters_are_refused_naming_the_field() {
    use fargate_operator::api::validation::validate_fargate_service;
    use fargate_operator::api::FargateService;
    let fs: FargateService = serde_norway::from_str(
        r#"
apiVersion: ecs.fargate.dev/v1alpha1
kind: FargateService
metadata: {name: s, namespace: ns}
spec:
  taskDefinitionRef: {name: t}
  network: {subnets: [subnet-0123456789abcdef0]}
  deployment:
    strategy: BlueGreen
    bakeTimeMinutes: 5
    lifecycleHooks:
      - lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:check"
        roleArn: "arn:aws:iam::123456789012:role/hooks"
        stages: [PRE_SCALE_UP]
        details: {note: "x"}
"#,
    )
    .expect("parses");
    assert!(validate_fargate_service(&fs.spec).is_ok());
    let mut long = fs.clone();
    long.spec.deployment.as_mut().unwrap().lifecycle_hooks[0].details =
        serde_json::json!({"note": "x".repeat(4100)})
            .as_object()
            .cloned();
    let errors = validate_fargate_service(&long.spec).unwrap_err();
    assert!(
        errors
            .0
            .iter()
            .any(|e| e.field == "spec.deployment.lifecycleHooks[0].details"
                && e.message.contains("4096")),
        "{errors:?}"
    );
}

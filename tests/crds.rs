//! The checked-in CRDs are exactly what `crdgen` produces, and they are well-formed:
//! structural (every field typed), status subresource, printer columns, list-map conditions,
//! and CEL rules that compile. kube's client-side CEL neither estimates a rule's cost nor
//! compiles patterns as RE2, as the API server does: tests/python/test_crd_admission.py does.

use std::path::PathBuf;

use fargate_operator::crdgen::{crds, CRD_DIRS};
use kube::core::cel::{analyze_rule, compile_schema, ScopeContext};
use serde_json::Value;

#[test]
fn checked_in_crds_match_crdgen() {
    // crds/, the Helm chart's crds/ and the kustomize base's crds/ are all generated.
    for dir in CRD_DIRS {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
        for (file, yaml) in crds().unwrap() {
            let on_disk = std::fs::read_to_string(path.join(file)).unwrap_or_default();
            assert!(
                on_disk == yaml,
                "{dir}/{file} is stale: run `cargo run -- crdgen --write`"
            );
        }
    }
}

/// Walks a schema; every node must say what it is.
fn assert_structural(path: &str, node: &Value) {
    let typed = node.get("type").is_some()
        || node.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || node.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    assert!(typed, "{path} has no type: {node}");
    for key in ["anyOf", "oneOf", "allOf", "$ref"] {
        assert!(node.get(key).is_none(), "{path} uses {key}, not structural");
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            assert!(
                v.get("description").is_some()
                    || path.contains("metadata")
                    || path.contains("conditions"),
                "{path}.{k} has no description (kubectl explain text)"
            );
            assert_structural(&format!("{path}.{k}"), v);
        }
    }
    if let Some(items) = node.get("items") {
        assert_structural(&format!("{path}[]"), items);
    }
    if let Some(extra) = node.get("additionalProperties").filter(|v| v.is_object()) {
        assert_structural(&format!("{path}{{}}"), extra);
    }
}

fn crd_values() -> Vec<Value> {
    crds()
        .unwrap()
        .into_iter()
        .map(|(_, y)| serde_norway::from_str(&y).unwrap())
        .collect()
}

#[test]
fn crds_are_structural_with_status_columns_and_list_map_conditions() {
    for crd in crd_values() {
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap().to_owned();
        assert_eq!(crd["spec"]["group"], "ecs.fargate.dev");
        let scope = if kind == "FargateTenant" {
            "Cluster"
        } else {
            "Namespaced"
        };
        assert_eq!(crd["spec"]["scope"], scope, "{kind}");
        assert_eq!(crd["spec"]["names"]["categories"][0], "fargate");
        let v = &crd["spec"]["versions"][0];
        assert_eq!(v["name"], "v1alpha1");
        assert!(
            v["subresources"]["status"].is_object(),
            "{kind} has no status subresource"
        );
        let columns: Vec<&str> = v["additionalPrinterColumns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        let want: &[&str] = match kind.as_str() {
            "FargateService" => &["Ready", "Desired", "Running", "Revision", "Rollout", "Age"],
            "FargateTenant" => &["Ready", "Region", "Objects", "Age"],
            "FargateTask" => &[
                "Phase", "Ready", "Attempts", "Schedule", "Suspend", "Last Run", "Age",
            ],
            _ => &["Family", "Revision", "Ready", "Age"],
        };
        assert_eq!(columns, want, "{kind}");
        let schema = &v["schema"]["openAPIV3Schema"];
        assert_structural(&kind, &schema["properties"]["spec"]);
        assert_structural(&format!("{kind}.status"), &schema["properties"]["status"]);
        let conditions = &schema["properties"]["status"]["properties"]["conditions"];
        assert_eq!(conditions["x-kubernetes-list-type"], "map", "{kind}");
        assert_eq!(
            conditions["x-kubernetes-list-map-keys"][0], "type",
            "{kind}"
        );
    }
}

/// `(schema node, rule)` for every CEL rule.
fn rules<'a>(node: &'a Value, out: &mut Vec<(&'a Value, &'a str)>) {
    if let Some(rs) = node
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
    {
        out.extend(
            rs.iter()
                .filter_map(|r| r["rule"].as_str())
                .map(|r| (node, r)),
        );
    }
    match node {
        Value::Object(m) => m.values().for_each(|v| rules(v, out)),
        Value::Array(a) => a.iter().for_each(|v| rules(v, out)),
        _ => {}
    }
}

#[test]
fn cel_rules_compile_and_fit_the_cost_budget() {
    let mut total = 0;
    for crd in crd_values() {
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let compiled = compile_schema(schema);
        assert!(
            !compiled.has_errors(),
            "{:?}",
            compiled.compilation_errors()
        );
        let mut found = vec![];
        rules(schema, &mut found);
        total += found.len();
        for (node, rule) in found {
            let at = compile_schema(node);
            let warnings = analyze_rule(rule, &at, ScopeContext::CrdValidation);
            let cost: Vec<_> = warnings
                .iter()
                .filter(|w| w.message.contains("exceeds"))
                .collect();
            assert!(cost.is_empty(), "rule {rule:?}: {cost:?}");
        }
    }
    assert!(total >= 25, "{total} CEL rules");
}

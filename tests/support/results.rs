//! Reading and asserting what `apply` and `delete` report per object (`ObjectResult`).

use fargate_operator::engine::run::ObjectResult;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// The result of object `kind` `name`.
pub fn result<'a>(results: &'a [ObjectResult], kind: &str, name: &str) -> &'a ObjectResult {
    results
        .iter()
        .find(|r| r.kind == kind && r.name == name)
        .unwrap_or_else(|| panic!("no result for {kind} {name}"))
}

/// Condition `type_` on a result's status (which it must have).
pub fn condition<'a>(r: &'a ObjectResult, type_: &str) -> &'a Condition {
    let conditions = match (&r.task_definition, &r.fargate_service, &r.fargate_task) {
        (Some(s), _, _) => &s.conditions,
        (_, Some(s), _) => &s.conditions,
        (_, _, Some(s)) => &s.conditions,
        _ => panic!("{} {} has no status", r.kind, r.name),
    };
    conditions
        .iter()
        .find(|c| c.type_ == type_)
        .unwrap_or_else(|| panic!("no {type_} condition"))
}

/// Every object finished without a failure.
pub fn assert_no_failure(results: &[ObjectResult]) {
    for r in results {
        assert!(
            r.failure.is_none(),
            "{} {}: {:?}",
            r.kind,
            r.name,
            r.failure
        );
    }
}

/// Every object finished without a failure and in sync.
pub fn assert_converged(results: &[ObjectResult]) {
    for r in results {
        assert!(
            r.failure.is_none() && r.synced(),
            "{} {}/{} did not converge: {:?}",
            r.kind,
            r.namespace,
            r.name,
            r.failure
        );
    }
}

/// The condition `type_` of `conditions`, after checking its status and reason.
pub fn assert_condition<'a>(
    conditions: &'a [Condition],
    type_: &str,
    status: &str,
    reason: &str,
) -> &'a Condition {
    let c = conditions
        .iter()
        .find(|c| c.type_ == type_)
        .unwrap_or_else(|| panic!("no {type_} condition in {conditions:?}"));
    assert_eq!(
        (c.status.as_str(), c.reason.as_str()),
        (status, reason),
        "{type_}: {c:?}"
    );
    c
}

//! FargateTenants against moto (the local AWS emulator), through the real SDK clients and
//! STS: a cross-account tenant's objects are made and deleted in its account with the
//! assumed role's credentials (moto runs a request in the account of the role whose
//! credentials sign it), with its defaults filling a minimal FargateService; what a tenant
//! does not allow is refused with no AWS write.

mod support;

use std::sync::Arc;

use fargate_operator::api::names::{service_location, task_definition_lookups};
use fargate_operator::api::{reasons, FargateTenant};
use fargate_operator::aws::accounts::{Accounts, Scope};
use fargate_operator::aws::limits::Limits;
use fargate_operator::aws::sdk::{from_config, SdkConnector};
use fargate_operator::engine::observe::{observe_services, observe_task_definition};
use fargate_operator::engine::run::ApplyOptions;
use fargate_operator::engine::tenancy;
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::tenant::Tenant;
use fargate_operator::plan::PlanConfig;
use serde_json::json;
use support::moto::{aws, moto, sdk_config};

fn tenant(name: &str, spec: serde_json::Value) -> FargateTenant {
    serde_json::from_value(json!({
        "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": "FargateTenant",
        "metadata": {"name": name}, "spec": spec,
    }))
    .expect("tenant")
}

/// The web-api example in `namespace`, its service as minimal as a team writes it: a
/// TaskDefinition ref and a count (no cluster, no network; moto has no load balancers).
fn minimal_web_api(namespace: &str) -> Manifests {
    let (mut td, mut fs) = support::examples::web_api_pair();
    td.metadata.namespace = Some(namespace.into());
    fs.metadata.namespace = Some(namespace.into());
    fs.spec.cluster = Default::default();
    fs.spec.network = Default::default();
    fs.spec.load_balancers.clear();
    fs.spec.health_check_grace_period_seconds = None;
    fs.spec.service_connect = None;
    Manifests {
        task_definitions: vec![td],
        services: vec![fs],
        ..Default::default()
    }
}

async fn accounts() -> Accounts {
    let conf = sdk_config().await;
    let connector = SdkConnector::new(conf.clone(), Limits::default());
    Accounts::new(from_config(&conf), Some(Arc::new(connector)))
}

#[tokio::test]
async fn a_cross_account_tenants_objects_live_in_its_account_made_with_the_assumed_role() {
    let info = moto().tenant;
    let namespace = "tenancy-cross";
    let t = tenant(
        "team-cross",
        json!({
            "namespaces": [namespace],
            "aws": {"roleArn": info.role_arn, "externalId": "fargate-operator-tests"},
            "defaults": {
                "cluster": "tenancy-cross",
                "subnets": info.subnets,
                "securityGroups": [info.security_group],
                "tags": {"team": "cross", "cost-center": "42"},
            },
            "allowed": {"secretArns": ["arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/*"]},
        }),
    );
    let mut m = minimal_web_api(namespace);
    m.tenants = vec![t.clone()];
    let accounts = accounts().await;
    let config = PlanConfig::default();

    let results = tenancy::apply(&accounts, &config, &m, &ApplyOptions::default()).await;
    for r in &results {
        assert_eq!(r.failure, None, "{} {}", r.kind, r.name);
    }

    // Where it went: the tenant's account, not the operator's.
    let scope = Scope::of(Some(&Tenant {
        name: "team-cross".into(),
        spec: t.spec.clone(),
    }));
    let theirs = accounts.aws_for(&scope).await.expect("the role is assumed");
    let own = accounts.own();
    let lookups = task_definition_lookups(&m.task_definitions[0]);
    let revisions = observe_task_definition(&theirs, &lookups, Default::default())
        .await
        .expect("observed")
        .revisions;
    assert_eq!(revisions.len(), 1, "{revisions:?}");
    assert!(
        revisions[0]
            .arn
            .contains(&format!(":{}:task-definition/", info.account)),
        "{}",
        revisions[0].arn
    );
    let mine = observe_task_definition(own, &lookups, Default::default())
        .await
        .expect("observed");
    assert!(
        mine.revisions.is_empty(),
        "nothing in the operator's account"
    );

    // The tenant's defaults made the minimal service whole: its cluster, subnets and tags.
    let governed = tenancy::groups(&config, &m);
    let fs = &governed[0].manifests.services[0];
    let (cluster, name) = service_location(fs);
    assert_eq!(cluster, "tenancy-cross");
    let observed = observe_services(&theirs, &cluster, std::slice::from_ref(&name))
        .await
        .expect("observed");
    let service = observed[&name].service.clone().expect("the service exists");
    assert!(
        service.arn.contains(":111111111111:service/tenancy-cross/"),
        "{}",
        service.arn
    );
    let tag = |k: &str| service.tags.get(k).map(String::as_str);
    assert_eq!(tag("cost-center"), Some("42"), "the tenant's tag");
    assert_eq!(tag("team"), Some("shop"), "the object's own tag wins");
    assert!(observe_services(own, &cluster, std::slice::from_ref(&name))
        .await
        .expect("observed")[&name]
        .service
        .as_ref()
        .is_none_or(|s| s.status == "INACTIVE"));

    // Deleted where it lives.
    let results = tenancy::delete(&accounts, &config, &m, 5).await;
    for r in &results {
        assert_eq!(r.failure, None, "{} {}", r.kind, r.name);
    }
    let left = observe_task_definition(&theirs, &lookups, Default::default())
        .await
        .expect("observed");
    assert!(
        left.revisions.is_empty(),
        "no ACTIVE revision left: {:?}",
        left.revisions
    );
}

#[tokio::test]
async fn what_a_tenant_does_not_allow_is_refused_with_no_aws_write() {
    let namespace = "tenancy-refused";
    let mut m = minimal_web_api(namespace);
    m.tenants = vec![tenant(
        "team-strict",
        json!({"namespaces": [namespace], "defaults": {"subnets": moto().subnets}}),
    )];
    let (own, calls) = aws().await;
    let accounts = Accounts::new(own, None);
    let results = tenancy::apply(
        &accounts,
        &PlanConfig::default(),
        &m,
        &ApplyOptions::default(),
    )
    .await;
    let td = results
        .iter()
        .find(|r| r.kind == "TaskDefinition")
        .expect("td");
    let (reason, message) = td.failure.clone().expect("refused");
    assert_eq!(reason, reasons::NOT_ALLOWED);
    assert!(
        message.contains("spec.containers[0].secrets[0].valueFrom"),
        "{message}"
    );
    assert!(
        message.contains("FargateTenant team-strict (allowed.secretArns)"),
        "{message}"
    );
    let fs = results
        .iter()
        .find(|r| r.kind == "FargateService")
        .expect("fs");
    let (reason, message) = fs.failure.clone().expect("refused");
    // The service waits for its TaskDefinition or is refused for its cluster: either way
    // nothing was written.
    assert!(
        reason == reasons::NOT_ALLOWED || reason == reasons::WAITING_FOR_TASK_DEFINITION,
        "{reason}: {message}"
    );
    // (`apply` from files reads the services of the files in one batch first.)
    let writes = calls.total(fargate_operator::aws::instrument::CallKind::Write);
    assert_eq!(writes, 0, "nothing written");
}

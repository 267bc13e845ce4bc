//! The controller under FargateTenants, against kube's `tower-test` mock client (every
//! request asserted) and the in-memory AWS stand-in: what a tenant forbids is refused with
//! NotAllowed before any AWS call, a namespace two tenants claim is refused naming both, a
//! tenant's objects are reconciled with its account's clients, and a cleanup never runs
//! where the object's resources do not live.

mod support;

use std::sync::{Arc, Mutex};

use fargate_operator::api::conditions::{condition_types as ct, reasons};
use fargate_operator::api::{
    FargateService, FargateTask, FargateTenant, TaskDefinition, FINALIZER,
};
use fargate_operator::aws::accounts::{Accounts, Connect, Scope};
use fargate_operator::aws::instrument::CallCounter;
use fargate_operator::aws::Aws;
use fargate_operator::controller::reconcile::{
    reconcile_fargate_service, reconcile_fargate_task, reconcile_task_definition,
};
use fargate_operator::controller::tenancy::TenancyStores;
use fargate_operator::controller::{Context, Leadership, Settings, Stores};
use fargate_operator::metrics::Metrics;
use fargate_operator::testing::{SimAws, SimBackend};
use futures::future::BoxFuture;
use k8s_openapi::jiff::Timestamp;
use kube::core::DeserializeGuard;
use kube::runtime::controller::Action;
use kube::runtime::reflector;
use kube::runtime::watcher;
use serde_json::{json, Value};
use support::apiserver::{mock_client, ApiServer};

const TD_PATH: &str = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/taskdefinitions/web-api";
const FS_PATH: &str = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/fargateservices/web-api";

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).expect("valid time")
}

fn tenant(name: &str, spec: Value) -> FargateTenant {
    serde_json::from_value(json!({
        "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": "FargateTenant",
        "metadata": {"name": name, "uid": format!("uid-{name}"), "generation": 1},
        "spec": spec,
    }))
    .expect("tenant")
}

/// What the web-api example references, allowed; `extra` merged into `allowed`.
fn team_shop(extra: Value) -> FargateTenant {
    let mut allowed = json!({
        "clusters": ["shop"],
        "subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"],
        "securityGroups": ["sg-0123456789abcdef0"],
        "secretArns": ["arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/*"],
    });
    for (k, v) in extra.as_object().expect("object") {
        allowed[k] = v.clone();
    }
    tenant(
        "team-shop",
        json!({"namespaces": ["shop"], "allowed": allowed}),
    )
}

fn tenancy(tenants: &[FargateTenant]) -> TenancyStores {
    let (store, mut writer) = reflector::store();
    for t in tenants {
        writer.apply_watcher_event(&watcher::Event::Apply(DeserializeGuard(Ok(t.clone()))));
    }
    TenancyStores {
        tenants: store,
        ..TenancyStores::empty()
    }
}

/// A stand-in "other account" (111111111111): the scopes it was asked for are recorded.
struct OtherAccount {
    backend: SimBackend,
    asked: Mutex<Vec<Scope>>,
}

impl Connect for OtherAccount {
    fn connect<'a>(&'a self, scope: &'a Scope) -> BoxFuture<'a, Result<Aws, String>> {
        self.asked.lock().unwrap().push(scope.clone());
        let aws = self.backend.aws();
        Box::pin(async move { Ok(aws) })
    }
}

struct Harness {
    own: SimBackend,
    calls: Arc<CallCounter>,
    other: Arc<OtherAccount>,
}

impl Harness {
    fn new() -> Self {
        Self {
            own: support::sim::fresh(),
            calls: Arc::new(CallCounter::default()),
            other: Arc::new(OtherAccount {
                backend: SimBackend::new(SimAws::new("111111111111", "eu-west-1")),
                asked: Mutex::default(),
            }),
        }
    }

    fn context(&self, client: kube::Client, tenants: &[FargateTenant]) -> Arc<Context> {
        let own = self.own.aws().instrumented(self.calls.clone());
        let mut stores = Stores::new(reflector::store().0, reflector::store().0);
        stores.tenancy = tenancy(tenants);
        let mut ctx = Context::new(
            client,
            own.clone(),
            Settings::default(),
            Arc::new(Metrics::new()),
            stores,
            Leadership::Always,
        );
        let connect: Arc<dyn Connect> = self.other.clone();
        ctx.accounts = Arc::new(Accounts::new(own, Some(connect)));
        ctx.now = now;
        Arc::new(ctx)
    }
}

fn finalized<K: kube::Resource>(mut obj: K, uid: &str) -> K {
    let meta = obj.meta_mut();
    meta.finalizers = Some(vec![FINALIZER.into()]);
    meta.uid = Some(uid.into());
    meta.generation = Some(1);
    meta.resource_version = Some("100".into());
    obj
}

fn web_api() -> (TaskDefinition, FargateService) {
    let (td, fs) = support::examples::web_api_pair();
    (
        finalized(td, "0a6b7e4c-1111-4e8e-9f7a-5d2b3c4d5e6f"),
        finalized(fs, "0a6b7e4c-2222-4e8e-9f7a-5d2b3c4d5e6f"),
    )
}

fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_))
        .unwrap_or_else(|| panic!("no {type_} condition in {status}"))
}

/// The status patch of `path`, answered; then the Events, and nothing else.
async fn status_then_events(
    server: &mut ApiServer,
    path: &str,
    obj: &impl serde::Serialize,
) -> (Value, Vec<(String, String, String)>) {
    let req = server.expect("PATCH", &format!("{path}/status")).await;
    assert!(
        req.query.contains("fieldManager=fargate-operator"),
        "{}",
        req.query
    );
    let status = req.body["status"].clone();
    let mut answer = serde_json::to_value(obj).expect("serialises");
    answer["status"] = status.clone();
    req.reply(&answer);
    let (events, rest) = server.events_then().await;
    assert!(rest.is_none(), "nothing after the Events");
    (status, events)
}

#[tokio::test]
async fn what_the_tenant_does_not_allow_is_refused_naming_field_value_and_tenant_with_no_aws_call()
{
    let h = Harness::new();
    let (_, fs) = web_api();
    let (client, mut server) = mock_client();
    let ctx = h.context(client, &[team_shop(json!({}))]);
    let run = tokio::spawn(reconcile_fargate_service(
        Arc::new(DeserializeGuard(Ok(fs.clone()))),
        ctx,
    ));
    let (status, events) = status_then_events(&mut server, FS_PATH, &fs).await;
    let degraded = condition(&status, ct::DEGRADED);
    assert_eq!(degraded["status"], "True");
    assert_eq!(degraded["reason"], reasons::NOT_ALLOWED);
    let message = degraded["message"].as_str().expect("message");
    for part in [
        "spec.loadBalancers[0].targetGroupArn",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-api/0123456789abcdef",
        "FargateTenant team-shop (allowed.targetGroupArns)",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].0.as_str(), events[0].1.as_str()),
        ("Warning", reasons::NOT_ALLOWED)
    );
    // Nothing to retry until the object or a tenant changes.
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    server.done().await;
    assert_eq!(h.calls.snapshot(), Default::default(), "AWS was called");
    assert!(h.other.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_namespace_two_tenants_select_is_refused_naming_both() {
    let h = Harness::new();
    let (td, _) = web_api();
    let (client, mut server) = mock_client();
    let rival = tenant(
        "team-rival",
        json!({"namespaceSelector": {}}), // every namespace
    );
    let mut with_labels = tenancy(&[team_shop(json!({})), rival]);
    let (namespaces, mut writer) = reflector::store();
    writer.apply_watcher_event(&watcher::Event::Apply(
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {}},
        }))
        .expect("namespace"),
    ));
    with_labels.namespaces = namespaces;
    let ctx = h.context(client, &[]);
    let mut ctx = Arc::try_unwrap(ctx).ok().expect("one owner");
    ctx.stores.tenancy = with_labels;
    let run = tokio::spawn(reconcile_task_definition(
        Arc::new(DeserializeGuard(Ok(td.clone()))),
        Arc::new(ctx),
    ));
    let (status, _) = status_then_events(&mut server, TD_PATH, &td).await;
    let degraded = condition(&status, ct::DEGRADED);
    assert_eq!(degraded["reason"], reasons::NOT_ALLOWED);
    let message = degraded["message"].as_str().expect("message");
    assert!(message.contains("metadata.namespace"), "{message}");
    assert!(
        message.contains("FargateTenants team-rival and team-shop"),
        "{message}"
    );
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    server.done().await;
    assert_eq!(h.calls.snapshot(), Default::default(), "AWS was called");
}

#[tokio::test]
async fn a_tenants_objects_are_made_in_its_account_with_its_clients() {
    let h = Harness::new();
    let (td, _) = web_api();
    let role = "arn:aws:iam::111111111111:role/fargate-operator";
    let mut t = team_shop(json!({}));
    t.spec.aws =
        Some(serde_json::from_value(json!({"roleArn": role, "region": "eu-west-1"})).expect("aws"));
    let (client, mut server) = mock_client();
    let run = tokio::spawn(reconcile_task_definition(
        Arc::new(DeserializeGuard(Ok(td.clone()))),
        h.context(client, &[t]),
    ));
    let (status, events) = status_then_events(&mut server, TD_PATH, &td).await;
    assert!(run.await.unwrap().is_ok());
    server.done().await;
    assert!(events.iter().all(|(t, _, _)| t == "Normal"), "{events:?}");
    let arn = status["arn"].as_str().expect("registered");
    assert!(
        arn.starts_with("arn:aws:ecs:eu-west-1:111111111111:task-definition/shop_web-api:"),
        "{arn}"
    );
    let asked = h.other.asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        [Scope {
            role_arn: Some(role.into()),
            external_id: None,
            region: Some("eu-west-1".into()),
        }]
    );
    assert!(h
        .other
        .backend
        .lock()
        .latest_revision("shop_web-api")
        .is_some());
    assert_eq!(
        h.calls.snapshot(),
        Default::default(),
        "the operator's own account was not touched"
    );
    // The awslogs region of the containers is the tenant's.
    let registered = h
        .other
        .backend
        .lock()
        .latest_revision("shop_web-api")
        .expect("revision");
    let body = serde_json::to_string(&registered).expect("serialises");
    assert!(body.contains("eu-west-1"), "{body}");
}

/// Deletes `obj` (its status as the tenant left it) through `reconcile`, with no tenant
/// now: the cleanup must not run (no AWS call), the status must say where its resources
/// are (account 111111111111, eu-west-1), a Warning goes out and the finalizer stays.
async fn assert_cleanup_held<K, F>(
    obj: K,
    status: Value,
    path: &str,
    reconcile: impl FnOnce(Arc<DeserializeGuard<K>>, Arc<Context>) -> F,
) where
    K: kube::Resource + serde::Serialize + serde::de::DeserializeOwned + Clone,
    F: std::future::Future<Output = Result<Action, fargate_operator::controller::reconcile::Error>>
        + Send
        + 'static,
{
    let h = Harness::new();
    let mut obj = obj;
    obj.meta_mut().deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
    let mut stored = serde_json::to_value(&obj).expect("serialises");
    stored["status"] = status;
    let obj: K = serde_json::from_value(stored).expect("object");
    let (client, mut server) = mock_client();
    let run = tokio::spawn(reconcile(
        Arc::new(DeserializeGuard(Ok(obj.clone()))),
        h.context(client, &[]),
    ));
    // A cleanup publishes its Events first, then the status saying why it is not done.
    let (events, next) = server.events_then().await;
    let req = next.expect("the status patch");
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("PATCH", format!("{path}/status").as_str())
    );
    let status = req.body["status"].clone();
    let mut answer = serde_json::to_value(&obj).expect("serialises");
    answer["status"] = status.clone();
    req.reply(&answer);
    let text = status.to_string();
    assert!(
        text.contains("account 111111111111, region eu-west-1"),
        "{text}"
    );
    assert!(events.iter().any(|(t, _, _)| t == "Warning"), "{events:?}");
    assert!(run.await.unwrap().is_err(), "the finalizer stays; retried");
    server.done().await;
    assert_eq!(h.calls.snapshot(), Default::default(), "AWS was called");
}

/// Made while a tenant pointed the namespace at eu-west-1; the tenant is gone now.
#[tokio::test]
async fn a_cleanup_does_not_run_where_the_objects_resources_are_not() {
    let (_, fs) = web_api();
    let status = json!({
        "serviceArn": "arn:aws:ecs:eu-west-1:111111111111:service/shop/shop_web-api",
        "clusterArn": "arn:aws:ecs:eu-west-1:111111111111:cluster/shop",
    });
    assert_cleanup_held(fs, status, FS_PATH, reconcile_fargate_service).await;
}

/// A service whose preDeploy ran before its first create has no service ARN yet: the
/// revision its preDeploy runs says where it lives.
#[tokio::test]
async fn a_pre_deploy_before_the_first_create_holds_the_cleanup_too() {
    let (_, fs) = web_api();
    let status = json!({"preDeploy": {
        "targetTaskDefinitionArn": "arn:aws:ecs:eu-west-1:111111111111:task-definition/shop_web-api:1",
        "generation": 1,
        "phase": "Running",
        "attemptCount": 1,
    }});
    assert_cleanup_held(fs, status, FS_PATH, reconcile_fargate_service).await;
}

/// A scheduled FargateTask has no task of its own to say where it lives: its schedule's
/// ARN does. With the tenant gone, its cleanup must not run with the operator's own
/// clients (which would find no schedule there and drop the finalizer, leaking the
/// schedule and its role).
#[tokio::test]
async fn a_scheduled_tasks_cleanup_does_not_run_where_its_schedule_is_not() {
    let ft: FargateTask = finalized(
        support::examples::load(&["nightly-report.yaml"]).tasks[0].clone(),
        "0a6b7e4c-4444-4e8e-9f7a-5d2b3c4d5e6f",
    );
    let status = json!({"schedule": {
        "name": "fgo_shop_nightly-report",
        "arn": "arn:aws:scheduler:eu-west-1:111111111111:schedule/default/fgo_shop_nightly-report",
    }});
    let path = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/fargatetasks/nightly-report";
    assert_cleanup_held(ft, status, path, reconcile_fargate_task).await;
}

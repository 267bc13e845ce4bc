//! The controller's reconcile against kube's `tower-test` mock client (every request to the
//! API server asserted: method, path, body) and the in-memory AWS stand-in
//! (`testing::SimBackend`; tests/controller_moto.rs runs the same against moto).

mod support;

use std::sync::Arc;
use std::time::Duration;

use fargate_operator::api::conditions::{condition_types as ct, reasons};
use fargate_operator::api::{FargateService, TaskDefinition, FINALIZER};
use fargate_operator::aws::instrument::{Call, CallCounter, CallHook, CallKind};
use fargate_operator::controller::reconcile::{
    error_policy, event_reasons, reconcile_fargate_service, reconcile_task_definition, Error,
};
use fargate_operator::controller::{
    backoff::RetryClass, services_referencing, task_definition_trigger_key, trigger_key, Changes,
    Context, GuardedFargateService, GuardedTaskDefinition, Leadership, Settings, Stores,
};
use fargate_operator::metrics::Metrics;
use fargate_operator::testing::SimBackend;
use k8s_openapi::jiff::Timestamp;
use kube::core::DeserializeGuard;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{self, store::Writer};
use kube::runtime::watcher;
use kube::Resource;
use kube::ResourceExt;
use serde_json::{json, Value};
use support::apiserver::mock_client;

const TD_PATH: &str = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/taskdefinitions/web-api";
const FS_PATH: &str = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/fargateservices/web-api";
const EVENTS_PATH: &str = "/apis/events.k8s.io/v1/namespaces/shop/events";

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).expect("valid time")
}

/// The web-api example as the API server would hold it.
fn web_api() -> (TaskDefinition, FargateService) {
    let (mut td, mut fs) = support::examples::web_api_pair();
    stored(&mut td.metadata, "0a6b7e4c-1111-4e8e-9f7a-5d2b3c4d5e6f");
    stored(&mut fs.metadata, "0a6b7e4c-2222-4e8e-9f7a-5d2b3c4d5e6f");
    (td, fs)
}

fn stored(meta: &mut kube::api::ObjectMeta, uid: &str) {
    meta.uid = Some(uid.into());
    meta.generation = Some(1);
    meta.resource_version = Some("100".into());
}

fn finalized<K: Resource>(mut obj: K) -> K {
    obj.meta_mut().finalizers = Some(vec![FINALIZER.into()]);
    obj
}

fn deleting<K: Resource>(mut obj: K) -> K {
    obj.meta_mut().deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
    obj
}

fn json_of<K: serde::Serialize>(obj: &K) -> Value {
    serde_json::to_value(obj).expect("serialises")
}

/// AWS (in memory, every call counted) and the caches, as the controller shares them.
struct Harness {
    backend: SimBackend,
    calls: Arc<CallCounter>,
    stores: Stores,
    td_writer: Writer<GuardedTaskDefinition>,
    fs_writer: Writer<GuardedFargateService>,
    shared: std::sync::Mutex<Option<Arc<Context>>>,
}

impl Harness {
    fn new() -> Self {
        let backend = support::sim::fresh();
        let (task_definitions, td_writer) = reflector::store();
        let (services, fs_writer) = reflector::store();
        Self {
            backend,
            calls: Arc::new(CallCounter::default()),
            stores: Stores::new(task_definitions, services),
            td_writer,
            fs_writer,
            shared: Default::default(),
        }
    }

    fn context(&self, client: kube::Client, leadership: Leadership) -> Arc<Context> {
        let aws = self.backend.aws().instrumented(self.calls.clone());
        let mut ctx = Context::new(
            client,
            aws,
            Settings::default(),
            Arc::new(Metrics::new()),
            self.stores.clone(),
            leadership,
        );
        ctx.now = now;
        Arc::new(ctx)
    }

    /// Like [`Harness::context`], with `hook` between the operator and AWS (calls it
    /// refuses never reach AWS or the counter).
    fn context_with(&self, client: kube::Client, hook: Arc<dyn CallHook>) -> Arc<Context> {
        let aws = self
            .backend
            .aws()
            .instrumented(self.calls.clone())
            .instrumented(hook);
        let mut ctx = Context::new(
            client,
            aws,
            Settings::default(),
            Arc::new(Metrics::new()),
            self.stores.clone(),
            Leadership::Always,
        );
        ctx.now = now;
        Arc::new(ctx)
    }

    /// One context shared by several reconciles (as in the controller), built once per client.
    fn context_shared(&self, client: kube::Client) -> Arc<Context> {
        let mut slot = self.shared.lock().unwrap();
        slot.get_or_insert_with(|| self.context(client, Leadership::Always))
            .clone()
    }

    fn assert_no_aws_call(&self) {
        assert_eq!(self.calls.snapshot(), Default::default(), "AWS was called");
    }

    fn cache_td(&mut self, td: &TaskDefinition) {
        self.td_writer
            .apply_watcher_event(&watcher::Event::Apply(DeserializeGuard(Ok(td.clone()))));
    }

    fn cache_fs(&mut self, fs: &FargateService) {
        self.fs_writer
            .apply_watcher_event(&watcher::Event::Apply(DeserializeGuard(Ok(fs.clone()))));
    }
}

type Outcome = Result<Action, Error>;

fn spawn_td(td: &TaskDefinition, ctx: Arc<Context>) -> tokio::task::JoinHandle<Outcome> {
    tokio::spawn(reconcile_task_definition(
        Arc::new(DeserializeGuard(Ok(td.clone()))),
        ctx,
    ))
}

fn spawn_fs(fs: &FargateService, ctx: Arc<Context>) -> tokio::task::JoinHandle<Outcome> {
    tokio::spawn(reconcile_fargate_service(
        Arc::new(DeserializeGuard(Ok(fs.clone()))),
        ctx,
    ))
}

fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_))
        .unwrap_or_else(|| panic!("no {type_} condition in {status}"))
}

/// Asserts a server-side-apply status patch with the one field manager; returns the status
/// and answers with the object carrying it.
fn status_patch<K: serde::Serialize>(req: support::apiserver::Req, obj: &K, path: &str) -> Value {
    assert_eq!(req.method, "PATCH");
    assert_eq!(req.path, format!("{path}/status"));
    assert!(
        req.query.contains("fieldManager=fargate-operator"),
        "{}",
        req.query
    );
    assert!(req.query.contains("force=true"), "{}", req.query);
    let status = req.body["status"].clone();
    let mut answer = json_of(obj);
    answer["status"] = status.clone();
    req.reply(&answer);
    status
}

type Events = Vec<(String, String, String)>;

/// One reconcile that writes status, then Events, and nothing else: returns the status
/// written, the Events and the reconcile's result.
async fn reconcile_reporting<K: serde::Serialize>(
    h: &Harness,
    obj: &K,
    path: &str,
    spawn: fn(&K, Arc<Context>) -> tokio::task::JoinHandle<Outcome>,
) -> (Value, Events, Outcome) {
    let (client, mut server) = mock_client();
    let run = spawn(obj, h.context(client, Leadership::Always));
    let req = server.expect("PATCH", &format!("{path}/status")).await;
    let status = status_patch(req, obj, path);
    let (events, rest) = server.events_then().await;
    assert!(rest.is_none(), "nothing after the Events");
    (status, events, run.await.expect("joins"))
}

/// A TaskDefinition after a successful reconcile: with the status it wrote.
async fn reconcile_td_once(h: &Harness, td: &TaskDefinition) -> TaskDefinition {
    let (status, events, outcome) = reconcile_reporting(h, td, TD_PATH, spawn_td).await;
    assert!(events.iter().all(|(t, _, _)| t == "Normal"), "{events:?}");
    outcome.expect("reconciles");
    let mut out = td.clone();
    out.status = Some(serde_json::from_value(status).expect("status deserialises"));
    out
}

/// A FargateService (of any name, in namespace shop) after a successful reconcile: with the
/// status it wrote.
async fn reconcile_fs_once(h: &Harness, fs: &FargateService) -> (FargateService, Events) {
    let path = format!(
        "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/fargateservices/{}",
        fs.metadata.name.as_deref().unwrap()
    );
    let (status, events, outcome) = reconcile_reporting(h, fs, &path, spawn_fs).await;
    outcome.expect("reconciles");
    let mut out = fs.clone();
    out.status = Some(serde_json::from_value(status).expect("status deserialises"));
    (out, events)
}

fn has_revisions(h: &Harness, td: &TaskDefinition) -> bool {
    let family = td
        .status
        .as_ref()
        .and_then(|s| s.family.clone())
        .expect("family");
    h.backend.lock().latest_revision(&family).is_some()
}

#[tokio::test]
async fn a_new_object_gets_the_finalizer_before_anything_is_created_in_aws() {
    let h = Harness::new();
    let (td, _) = web_api();
    let (client, mut server) = mock_client();
    let run = spawn_td(&td, h.context(client, Leadership::Always));

    let req = server.expect("PATCH", TD_PATH).await;
    assert_eq!(
        req.body,
        json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]},
        ])
    );
    req.reply(&json_of(&finalized(td.clone())));

    // The patch itself wakes the next reconcile.
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    server.done().await;
    h.assert_no_aws_call();
}

#[tokio::test]
async fn the_first_reconcile_writes_status_and_an_event_per_aws_change() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let (td, fs) = (finalized(td), finalized(fs));

    // TaskDefinition: registered in one reconcile, Ready.
    let (client, mut server) = mock_client();
    let run = spawn_td(&td, h.context(client, Leadership::Always));
    let req = server.expect("PATCH", &format!("{TD_PATH}/status")).await;
    assert_eq!(
        req.body["apiVersion"], "ecs.fargate.dev/v1alpha1",
        "server-side apply names the type"
    );
    assert_eq!(req.body["kind"], "TaskDefinition");
    let status = status_patch(req, &td, TD_PATH);
    assert_eq!(status["observedGeneration"], 1);
    assert_eq!(condition(&status, ct::READY)["status"], "True");
    assert_eq!(condition(&status, ct::SYNCED)["status"], "True");
    assert!(status["arn"].as_str().unwrap().ends_with(":1"), "{status}");
    let (events, rest) = server.events_then().await;
    assert!(rest.is_none());
    // One Event per AWS change, none folded into another.
    for change in [
        "create log group /ecs/shop_web-api",
        "create IAM role /fargate-operator/fgo_shop_web-api_exec",
        "create IAM role /fargate-operator/fgo_shop_web-api_task",
        "attach arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        "register task definition shop_web-api",
    ] {
        assert_eq!(
            events
                .iter()
                .filter(|(t, _, n)| t == "Normal" && n.starts_with(change))
                .count(),
            1,
            "{change}: {events:?}"
        );
    }
    assert!(events
        .iter()
        .any(|(_, r, n)| r == event_reasons::CREATED && n.starts_with("register")));
    let resync = run.await.unwrap().unwrap();
    assert_ne!(
        resync,
        Action::await_change(),
        "a settled object is resynced"
    );

    // FargateService: created, deploying → Progressing.
    let mut td_now = td.clone();
    td_now.status = Some(serde_json::from_value(status).unwrap());
    h.cache_td(&td_now);
    let (client, mut server) = mock_client();
    let run = spawn_fs(&fs, h.context(client, Leadership::Always));
    let req = server.expect("PATCH", &format!("{FS_PATH}/status")).await;
    let status = status_patch(req, &fs, FS_PATH);
    assert_eq!(status["observedGeneration"], 1);
    let progressing = condition(&status, ct::PROGRESSING);
    assert_eq!(progressing["status"], "True");
    assert_eq!(progressing["reason"], reasons::DEPLOYING);
    assert_eq!(progressing["observedGeneration"], 1);
    assert_eq!(progressing["lastTransitionTime"], json!(now()));
    assert_eq!(condition(&status, ct::READY)["status"], "False");
    let (events, rest) = server.events_then().await;
    assert!(rest.is_none());
    for (reason, change) in [
        (event_reasons::CREATED, "create ECS cluster shop"),
        (event_reasons::CREATED, "create ECS service shop_web-api"),
        (
            event_reasons::UPDATED,
            "register scalable target service/shop/shop_web-api",
        ),
    ] {
        assert!(
            events
                .iter()
                .any(|(t, r, n)| t == "Normal" && r == reason && n.starts_with(change)),
            "{change}: {events:?}"
        );
    }
    // Deploying: re-read soon, not at the 5-minute resync.
    assert_eq!(
        run.await.unwrap().unwrap(),
        Action::requeue(Settings::default().poll)
    );
    assert_eq!(h.backend.lock().services.len(), 1);
}

#[tokio::test]
async fn an_invalid_spec_is_degraded_with_a_warning_and_no_aws_call() {
    let h = Harness::new();
    let (td, _) = web_api();
    let mut td = finalized(td);
    // Not a Fargate size (the CRD's CEL rule rejects this at apply time; an older CRD or a
    // direct etcd write may still hold it).
    td.spec.cpu = 256;
    td.spec.memory = 4096;
    let (client, mut server) = mock_client();
    let run = spawn_td(&td, h.context(client, Leadership::Always));

    let req = server.expect("PATCH", &format!("{TD_PATH}/status")).await;
    let status = status_patch(req, &td, TD_PATH);
    let degraded = condition(&status, ct::DEGRADED);
    assert_eq!(degraded["status"], "True");
    assert_eq!(degraded["reason"], reasons::INVALID_SPEC);
    let message = degraded["message"].as_str().unwrap();
    assert!(
        message.contains("memory"),
        "the message names the field: {message}"
    );
    assert_eq!(condition(&status, ct::SYNCED)["status"], "False");
    assert_eq!(condition(&status, ct::READY)["status"], "False");

    let (events, rest) = server.events_then().await;
    assert!(rest.is_none());
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "Warning");
    assert_eq!(events[0].1, reasons::INVALID_SPEC);
    assert!(events[0].2.contains("memory"));

    // Not retried until the object changes.
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    server.done().await;
    h.assert_no_aws_call();
}

#[tokio::test]
async fn deletion_cleans_up_in_aws_then_removes_the_finalizer() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    let (fs, _) = reconcile_fs_once(&h, &finalized(fs)).await;
    assert!(h
        .backend
        .lock()
        .services
        .values()
        .any(|s| s.status == "ACTIVE"));

    // Delete the FargateService: service and scaling go, then the finalizer.
    let fs = deleting(fs);
    let (client, mut server) = mock_client();
    let run = spawn_fs(&fs, h.context(client, Leadership::Always));
    let (events, req) = server.events_then().await;
    let req = req.expect("the finalizer patch");
    assert_eq!((req.method.as_str(), req.path.as_str()), ("PATCH", FS_PATH));
    assert_eq!(
        req.body,
        json!([
            {"op": "test", "path": "/metadata/finalizers/0", "value": FINALIZER},
            {"op": "remove", "path": "/metadata/finalizers/0"},
        ])
    );
    let mut gone = json_of(&fs);
    gone["metadata"]["finalizers"] = json!([]);
    req.reply(&gone);
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    server.done().await;
    for change in ["deregister scalable target", "delete service"] {
        assert!(
            events.iter().any(|(t, r, n)| t == "Normal"
                && r == event_reasons::DELETED
                && n.starts_with(change)),
            "{change}: {events:?}"
        );
    }
    assert_eq!(events.last().unwrap().1, event_reasons::CLEANED_UP);
    assert!(h
        .backend
        .lock()
        .services
        .values()
        .all(|s| s.status != "ACTIVE"));

    // Now the TaskDefinition: the service object is gone, nothing uses the revision.
    h.fs_writer
        .apply_watcher_event(&watcher::Event::Delete(DeserializeGuard(Ok(fs.clone()))));
    let td = deleting(td);
    let (client, mut server) = mock_client();
    let run = spawn_td(&td, h.context(client, Leadership::Always));
    let (events, req) = server.events_then().await;
    assert!(
        events
            .iter()
            .any(|(_, r, n)| r == event_reasons::DELETED && n.contains("deregister")),
        "{events:?}"
    );
    let req = req.expect("the finalizer patch");
    assert_eq!((req.method.as_str(), req.path.as_str()), ("PATCH", TD_PATH));
    req.reply(&json_of(&td));
    run.await.unwrap().unwrap();
    server.done().await;
    assert!(!has_revisions(&h, &td));
}

#[tokio::test]
async fn a_revision_a_service_still_runs_keeps_the_finalizer_and_says_why() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    // The service (retained, or not yet deleted) runs the revision.
    let mut fs = finalized(fs);
    fs.status = Some(fargate_operator::api::FargateServiceStatus {
        task_definition_arn: td.status.as_ref().unwrap().arn.clone(),
        ..Default::default()
    });
    h.cache_fs(&fs);
    let td = deleting(td);
    let (client, mut server) = mock_client();
    let run = spawn_td(&td, h.context(client, Leadership::Always));
    let req = server.expect("PATCH", &format!("{TD_PATH}/status")).await;
    let status = status_patch(req, &td, TD_PATH);
    let ready = condition(&status, ct::READY);
    assert_eq!(ready["reason"], reasons::DELETING);
    let err = run.await.unwrap().expect_err("cleanup is not finished");
    assert_eq!(err.metric_label(), reasons::DELETING);
    server.done().await;
    assert!(has_revisions(&h, &td));
}

/// A TaskDefinition's roles and log group exist in AWS.
fn has_roles_and_log_group(h: &Harness) -> (bool, bool) {
    let sim = h.backend.lock();
    (
        sim.roles.keys().any(|r| r.starts_with("fgo_shop_web-api")),
        sim.log_groups.contains_key("/ecs/shop_web-api"),
    )
}

/// `family:revision` of a revision ARN (what Events name).
fn family_revision(arn: &str) -> &str {
    arn.rsplit_once('/').unwrap().1
}

/// Whether ECS still holds `arn` as an ACTIVE revision.
fn is_active(h: &Harness, arn: &str) -> bool {
    h.backend.lock().active_revision_arns().any(|a| a == arn)
}

/// `kubectl delete -f examples/arm64-efs.yaml`, the shape of it: the FargateService says
/// Retain, so its object goes at once and its ECS service keeps running revision 1; the
/// TaskDefinition says Delete. The cache no longer knows the service: ECS must be asked.
#[tokio::test]
async fn a_retained_service_keeps_the_revision_roles_and_log_group_it_runs_until_it_is_gone() {
    use fargate_operator::api::fargateservice::DeletionPolicy;

    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    let rev1 = td.status.as_ref().unwrap().arn.clone().unwrap();
    h.cache_td(&td);
    let mut fs = finalized(fs);
    fs.spec.deletion_policy = DeletionPolicy::Retain;
    let (fs, _) = reconcile_fs_once(&h, &fs).await;
    h.cache_fs(&fs);
    h.backend.lock().finish_deployments();
    // A new generation registers revision 2, which no service runs yet.
    let mut td2 = td.clone();
    td2.metadata.generation = Some(2);
    td2.spec.containers[0].image = "public.ecr.aws/nginx/nginx:1.27.4".into();
    let td = reconcile_td_once(&h, &td2).await;
    let rev2 = td.status.as_ref().unwrap().arn.clone().unwrap();
    assert!(rev2.ends_with(":2"), "{rev2}");

    // The FargateService goes first: Retain, so nothing is deleted in AWS.
    let fs = deleting(fs);
    let (client, mut server) = mock_client();
    let run = spawn_fs(&fs, h.context(client, Leadership::Always));
    let (events, req) = server.events_then().await;
    assert_eq!(events.last().unwrap().1, event_reasons::CLEANED_UP);
    let req = req.expect("the finalizer patch");
    assert_eq!((req.method.as_str(), req.path.as_str()), ("PATCH", FS_PATH));
    req.reply(&json_of(&fs));
    run.await.unwrap().unwrap();
    server.done().await;
    h.fs_writer
        .apply_watcher_event(&watcher::Event::Delete(DeserializeGuard(Ok(fs.clone()))));
    assert!(h.stores.services.state().is_empty());
    let ecs_service = ("shop".to_owned(), "shop_web-api".to_owned());
    assert_eq!(h.backend.lock().services[&ecs_service].status, "ACTIVE");
    assert_eq!(
        h.backend.lock().services[&ecs_service].body.task_definition,
        rev1
    );

    // The TaskDefinition: revision 2 goes; revision 1, the roles and the log group stay;
    // the finalizer stays and Ready says why, naming the ECS service.
    let td = deleting(td);
    // One context for every attempt, as in the controller (it remembers who ran what).
    let (client, mut server) = mock_client();
    let ctx = h.context(client, Leadership::Always);
    let run = spawn_td(&td, ctx.clone());
    let (events, req) = server.events_then().await;
    assert!(
        events.iter().any(|(_, r, n)| r == event_reasons::DELETED
            && n.starts_with("deregister")
            && n.contains(family_revision(&rev2))),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .all(|(_, _, n)| !n.contains(family_revision(&rev1))),
        "{events:?}"
    );
    let status = status_patch(req.expect("the status patch"), &td, TD_PATH);
    let ready = condition(&status, ct::READY);
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], reasons::DELETING);
    let message = ready["message"].as_str().unwrap();
    assert!(message.contains(&rev1), "{message}");
    assert!(
        message.contains("ECS service shop/shop_web-api"),
        "{message}"
    );
    let err = run.await.unwrap().expect_err("cleanup waits");
    assert_eq!(err.metric_label(), reasons::DELETING);
    assert!(is_active(&h, &rev1), "revision 1 is still registered");
    assert!(!is_active(&h, &rev2), "revision 2 is deregistered");
    assert_eq!(has_roles_and_log_group(&h), (true, true));

    // Retried while the service still runs it: the same answer, from one DescribeServices
    // of that service, not another listing of the account; nothing written.
    let mut td = td;
    td.status = Some(serde_json::from_value(status).unwrap());
    let listings = h.calls.count("list_clusters");
    let writes = h.calls.total(CallKind::Write);
    let err = tokio::time::timeout(Duration::from_secs(10), spawn_td(&td, ctx.clone()))
        .await
        .expect("no request to the API server")
        .unwrap()
        .expect_err("still waiting");
    assert_eq!(err.metric_label(), reasons::DELETING);
    assert_eq!(h.calls.count("list_clusters"), listings);
    assert_eq!(h.calls.total(CallKind::Write), writes);
    assert!(is_active(&h, &rev1));

    // The ECS service is deleted in AWS: the next attempt finishes the cleanup.
    h.backend
        .lock()
        .services
        .get_mut(&ecs_service)
        .unwrap()
        .status = "INACTIVE".into();
    let run = spawn_td(&td, ctx.clone());
    let (events, req) = server.events_then().await;
    assert!(
        events.iter().any(|(_, r, n)| r == event_reasons::DELETED
            && n.starts_with("deregister")
            && n.contains(family_revision(&rev1))),
        "{events:?}"
    );
    assert_eq!(events.last().unwrap().1, event_reasons::CLEANED_UP);
    let req = req.expect("the finalizer patch");
    assert_eq!((req.method.as_str(), req.path.as_str()), ("PATCH", TD_PATH));
    req.reply(&json_of(&td));
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    drop(ctx);
    server.done().await;
    assert!(!has_revisions(&h, &td));
    assert_eq!(has_roles_and_log_group(&h), (false, false));
}

#[tokio::test]
async fn a_bogus_revision_arn_in_another_namespace_does_not_hold_a_deletion() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    let rev1 = td.status.as_ref().unwrap().arn.clone().unwrap();
    // Another namespace's FargateService names the revision by ARN; it was never created
    // in ECS (say it is invalid, or its tenant may not use it).
    let mut other = finalized(fs.clone());
    other.metadata.namespace = Some("elsewhere".into());
    other.metadata.name = Some("squatter".into());
    other.spec.task_definition_ref = None;
    other.spec.task_definition_arn = Some(rev1.clone());
    other.spec.cluster.name = "elsewhere".into();
    h.cache_fs(&other);
    // And ECS runs a service of a family that merely starts with this one's (ListTaskDefinitions'
    // familyPrefix would match it).
    h.cache_td(&td);
    let (_, _) = reconcile_fs_once(&h, &finalized(fs)).await;
    {
        let mut sim = h.backend.lock();
        let mut revision = sim.revision(&rev1).unwrap().clone();
        let lookalike = rev1.replace("shop_web-api:", "shop_web-api-v2:");
        revision.arn = lookalike.clone();
        revision.body.family = "shop_web-api-v2".into();
        sim.revisions
            .insert("shop_web-api-v2".into(), vec![(revision, true)]);
        let mut service = sim
            .services
            .remove(&("shop".to_owned(), "shop_web-api".to_owned()))
            .unwrap();
        service.arn = service.arn.replace("shop_web-api", "lookalike");
        service.body.task_definition = lookalike.into();
        sim.services
            .insert(("shop".into(), "lookalike".into()), service);
        sim.finish_deployments();
    }

    let td = deleting(td);
    let (client, mut server) = mock_client();
    let run = spawn_td(&td, h.context(client, Leadership::Always));
    let (events, req) = server.events_then().await;
    assert!(
        events.iter().any(|(_, r, n)| r == event_reasons::DELETED
            && n.starts_with("deregister")
            && n.contains(family_revision(&rev1))),
        "{events:?}"
    );
    let req = req.expect("the finalizer patch");
    assert_eq!((req.method.as_str(), req.path.as_str()), ("PATCH", TD_PATH));
    req.reply(&json_of(&td));
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    server.done().await;
    assert!(!has_revisions(&h, &td));
    assert_eq!(has_roles_and_log_group(&h), (false, false));
}

#[tokio::test]
async fn an_unchanged_object_gets_no_status_write_and_no_aws_write() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    // The watch delivers the object with the status just written; resync reconciles it.
    let (fs, _) = reconcile_fs_once(&h, &finalized(fs)).await;
    let writes = h.calls.total(CallKind::Write);
    let (client, server) = mock_client();
    spawn_fs(&fs, h.context(client.clone(), Leadership::Always))
        .await
        .unwrap()
        .unwrap();
    spawn_td(&td, h.context(client, Leadership::Always))
        .await
        .unwrap()
        .unwrap();
    server.done().await;
    assert_eq!(
        h.calls.total(CallKind::Write),
        writes,
        "{:?}",
        h.calls.writes()
    );
}

#[tokio::test]
async fn a_task_definition_change_rolls_the_services_that_reference_it() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    let (fs, _) = reconcile_fs_once(&h, &finalized(fs)).await;
    h.cache_fs(&fs);
    // A second service in the namespace runs something else; one elsewhere has the same ref.
    let mut other = fs.clone();
    other.metadata.name = Some("batch".into());
    other.spec.task_definition_ref.as_mut().unwrap().name = "batch".into();
    h.cache_fs(&other);
    let mut elsewhere = fs.clone();
    elsewhere.metadata.namespace = Some("other".into());
    h.cache_fs(&elsewhere);

    // The image changes: generation 2.
    let mut td2 = td.clone();
    td2.metadata.generation = Some(2);
    td2.spec.containers[0].image = "public.ecr.aws/nginx/nginx:1.27.4".into();
    let mut td_changes = Changes::new(task_definition_trigger_key);
    assert!(td_changes.changed(&DeserializeGuard(Ok(td.clone()))));
    assert!(
        td_changes.changed(&DeserializeGuard(Ok(td2.clone()))),
        "a new generation wakes the services"
    );
    let td2 = reconcile_td_once(&h, &td2).await;
    assert!(td2
        .status
        .as_ref()
        .unwrap()
        .arn
        .as_deref()
        .unwrap()
        .ends_with(":2"));
    h.cache_td(&td2);
    // The status naming the new revision is what rolls the services.
    let guard = DeserializeGuard(Ok(td2.clone()));
    assert!(
        td_changes.changed(&guard),
        "the new revision wakes the services"
    );
    let woken = services_referencing(&guard, &h.stores.services);
    assert_eq!(woken.len(), 1, "{woken:?}");
    assert_eq!(woken[0].name, "web-api");
    assert_eq!(woken[0].namespace.as_deref(), Some("shop"));

    let updates = h.calls.count("update_service");
    let (_, events) = reconcile_fs_once(&h, &fs).await;
    assert_eq!(h.calls.count("update_service"), updates + 1);
    assert!(
        events
            .iter()
            .any(|(_, r, n)| r == event_reasons::UPDATED && n.contains(":2")),
        "{events:?}"
    );
    let sim = h.backend.lock();
    let service = sim.services.values().next().unwrap();
    assert!(service.body.task_definition.to_string().ends_with(":2"));
}

#[test]
fn a_controller_is_not_woken_by_its_own_status_writes() {
    let (td, fs) = web_api();
    let mut changes = Changes::new(trigger_key::<GuardedFargateService>);
    let guard = |fs: &FargateService| DeserializeGuard(Ok(fs.clone()));
    assert!(changes.changed(&guard(&fs)), "first sighting");
    let mut with_status = fs.clone();
    with_status.status = Some(Default::default());
    with_status.metadata.resource_version = Some("101".into());
    assert!(!changes.changed(&guard(&with_status)), "own status write");
    let mut restarted = with_status.clone();
    restarted
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            fargate_operator::api::RESTARTED_AT_ANNOTATION.into(),
            "2026-11-21T10:00:00Z".into(),
        );
    assert!(
        changes.changed(&guard(&restarted)),
        "restartedAt annotation"
    );
    let mut adopt = restarted.clone();
    adopt
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            fargate_operator::api::ADOPT_ANNOTATION.into(),
            "true".into(),
        );
    assert!(changes.changed(&guard(&adopt)), "adopt annotation");
    let fin = finalized(adopt.clone());
    assert!(changes.changed(&guard(&fin)), "finalizer added");
    let mut g2 = fin.clone();
    g2.metadata.generation = Some(2);
    assert!(changes.changed(&guard(&g2)), "spec change");
    let del = deleting(g2.clone());
    assert!(changes.changed(&guard(&del)), "deletion");
    assert_eq!(changes.len(), 1);
    let mut gone = del.clone();
    gone.metadata.finalizers = Some(vec![]);
    assert!(changes.changed(&guard(&gone)));
    assert_eq!(changes.len(), 0, "a deleted object is forgotten");

    // The TaskDefinition trigger ignores message-only status changes.
    let mut tdc = Changes::new(task_definition_trigger_key);
    let mut td = td;
    td.status = Some(fargate_operator::api::TaskDefinitionStatus {
        arn: Some("arn:aws:ecs:us-east-1:123456789012:task-definition/f:1".into()),
        observed_generation: Some(1),
        ..Default::default()
    });
    assert!(tdc.changed(&DeserializeGuard(Ok(td.clone()))));
    td.status.as_mut().unwrap().log_group = Some("/ecs/x".into());
    assert!(!tdc.changed(&DeserializeGuard(Ok(td.clone()))));
    td.status.as_mut().unwrap().arn =
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/f:2".into());
    assert!(tdc.changed(&DeserializeGuard(Ok(td))));
}

#[tokio::test]
async fn a_standby_replica_reconciles_nothing() {
    let h = Harness::new();
    let (td, _) = web_api();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let (client, server) = mock_client();
    let action = spawn_td(&td, h.context(client, Leadership::Lease(rx)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(action, Action::await_change());
    server.done().await;
    h.assert_no_aws_call();
}

#[tokio::test]
async fn throttling_backs_off_per_object_and_resets_on_success() {
    let h = Harness::new();
    let (client, _server) = mock_client();
    let ctx = h.context(client, Leadership::Always);
    let (td, _) = web_api();
    let obj = Arc::new(DeserializeGuard(Ok(td)));
    let throttled = || Error::NotSynced {
        reason: reasons::THROTTLED,
        message: "Rate exceeded".into(),
        class: RetryClass::Transient,
    };
    // Action keeps its delay private; its Debug form is `Action { requeue_after: Some(..) }`.
    let delay = |a: Action| parse_debug_duration(&format!("{a:?}"));
    let d1 = delay(error_policy(obj.clone(), &throttled(), ctx.clone()));
    let d2 = delay(error_policy(obj.clone(), &throttled(), ctx.clone()));
    let d3 = delay(error_policy(obj.clone(), &throttled(), ctx.clone()));
    assert!(
        d1 >= Duration::from_secs(1) && d1 <= Duration::from_secs(2),
        "{d1:?}"
    );
    assert!(
        d2 >= Duration::from_secs(2) && d2 <= Duration::from_secs(4),
        "{d2:?}"
    );
    assert!(
        d3 >= Duration::from_secs(4) && d3 <= Duration::from_secs(8),
        "{d3:?}"
    );
    ctx.backoff.reset("TaskDefinition/shop/web-api");
    let again = delay(error_policy(obj, &throttled(), ctx.clone()));
    assert!(again <= Duration::from_secs(2), "{again:?}");
    let text = ctx.metrics.encode().unwrap();
    assert!(
        text.contains(
            r#"fargate_operator_reconcile_errors_total{kind="TaskDefinition",reason="Throttled"} 4"#
        ),
        "{text}"
    );
}

fn parse_debug_duration(text: &str) -> Duration {
    // `Some(1.234567s)` / `Some(812.5ms)`
    let inner = text
        .split("Some(")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("a delay");
    if let Some(ms) = inner.strip_suffix("ms") {
        Duration::from_secs_f64(ms.parse::<f64>().expect("ms") / 1000.0)
    } else if let Some(s) = inner.strip_suffix('s') {
        Duration::from_secs_f64(s.parse::<f64>().expect("s"))
    } else {
        panic!("unrecognised delay {inner}")
    }
}

#[tokio::test]
async fn a_malformed_object_gets_a_warning_event_and_no_aws_call() {
    let h = Harness::new();
    let (client, mut server) = mock_client();
    let ctx = h.context(client, Leadership::Always);
    let raw = json!({
        "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "web-api", "namespace": "shop", "uid": "u-1", "generation": 1},
        "spec": {"cpu": "lots", "memory": 1024, "containers": []},
    });
    let guard: GuardedTaskDefinition = serde_json::from_value(raw).unwrap();
    assert!(guard.0.is_err());
    let run = tokio::spawn(reconcile_task_definition(Arc::new(guard), ctx));
    let req = server.expect("POST", EVENTS_PATH).await;
    assert_eq!(req.body["type"], "Warning");
    assert_eq!(req.body["reason"], event_reasons::INVALID_OBJECT);
    let note = req.body["note"].as_str().unwrap();
    assert!(
        note.contains("\"lots\""),
        "the note quotes the bad value: {note}"
    );
    assert_eq!(req.body["regarding"]["name"], "web-api");
    let body = req.body.clone();
    req.reply(&body);
    assert_eq!(run.await.unwrap().unwrap(), Action::await_change());
    server.done().await;
    h.assert_no_aws_call();
}

/// The whole life of both kinds with AWS in moto (the real SDK clients) and the API server
/// mocked: finalizers, first reconciles, the status `kubectl get` shows, deletion. moto keeps
/// runningCount at 0, so the service stays Deploying here (Ready is covered in
/// tests/report.rs).
#[tokio::test]
async fn full_reconcile_of_both_kinds_against_moto() {
    use fargate_operator::api::{FargateService as Fs, TaskDefinition as Td};
    use kube::CustomResourceExt;
    use support::apiserver::kubectl_get;

    let info = support::moto::moto();
    let (aws, calls) = support::moto::aws().await;
    let (mut td, mut fs) = web_api();
    td.metadata.namespace = Some("shop-ctl".into());
    fs.metadata.namespace = Some("shop-ctl".into());
    fs.spec.cluster.name = "shop-ctl".into();
    fs.spec.network.subnets = info.subnets.clone();
    fs.spec.network.security_groups = vec![info.security_group.clone()];
    // moto has no load balancers to attach to; the rest of the example stays.
    fs.spec.load_balancers.clear();
    fs.spec.health_check_grace_period_seconds = None;
    let td_path = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop-ctl/taskdefinitions/web-api";
    let fs_path = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop-ctl/fargateservices/web-api";

    let (task_definitions, mut td_writer) = reflector::store::<GuardedTaskDefinition>();
    let (services, mut fs_writer) = reflector::store::<GuardedFargateService>();
    let stores = Stores::new(task_definitions, services);
    let context = |client| {
        let mut ctx = Context::new(
            client,
            aws.clone(),
            Settings::default(),
            Arc::new(Metrics::new()),
            stores.clone(),
            Leadership::Always,
        );
        ctx.now = now;
        Arc::new(ctx)
    };

    // 1. Finalizers first; nothing in AWS yet.
    for (path, is_td) in [(td_path, true), (fs_path, false)] {
        let (client, mut server) = mock_client();
        let run = if is_td {
            spawn_td(&td, context(client))
        } else {
            spawn_fs(&fs, context(client))
        };
        let req = server.expect("PATCH", path).await;
        assert_eq!(req.body[1]["value"], json!([FINALIZER]));
        let answer = if is_td {
            json_of(&finalized(td.clone()))
        } else {
            json_of(&finalized(fs.clone()))
        };
        req.reply(&answer);
        run.await.unwrap().unwrap();
        server.done().await;
    }
    assert_eq!(calls.total(CallKind::Write), 0);
    let (td, fs) = (finalized(td), finalized(fs));

    // 2. The TaskDefinition registers.
    let (client, mut server) = mock_client();
    let run = spawn_td(&td, context(client));
    let req = server.expect("PATCH", &format!("{td_path}/status")).await;
    let td_status = status_patch(req, &td, td_path);
    let (events, _) = server.events_then().await;
    run.await.unwrap().unwrap();
    assert!(
        events
            .iter()
            .any(|(_, _, n)| n.starts_with("register task definition shop-ctl_web-api")),
        "{events:?}"
    );
    let mut td = td;
    td.status = Some(serde_json::from_value(td_status).unwrap());
    td_writer.apply_watcher_event(&watcher::Event::Apply(DeserializeGuard(Ok(td.clone()))));

    // 3. The FargateService is created and deploys.
    let (client, mut server) = mock_client();
    let run = spawn_fs(&fs, context(client));
    let req = server.expect("PATCH", &format!("{fs_path}/status")).await;
    let fs_status = status_patch(req, &fs, fs_path);
    let (events, _) = server.events_then().await;
    assert_eq!(
        run.await.unwrap().unwrap(),
        Action::requeue(Settings::default().poll)
    );
    assert!(
        events
            .iter()
            .any(|(_, _, n)| n.starts_with("create ECS service shop-ctl_web-api")),
        "{events:?}"
    );
    let mut fs = fs;
    fs.status = Some(serde_json::from_value(fs_status).unwrap());
    fs_writer.apply_watcher_event(&watcher::Event::Apply(DeserializeGuard(Ok(fs.clone()))));

    // What `kubectl get taskdefinitions,fargateservices -n shop-ctl` shows.
    let td_row = kubectl_get(&Td::crd(), &json_of(&td));
    let fs_row = kubectl_get(&Fs::crd(), &json_of(&fs));
    for row in [&td_row, &fs_row] {
        println!(
            "{}",
            row.iter()
                .map(|(k, _)| format!("{k:<22}"))
                .collect::<String>()
        );
        println!(
            "{}",
            row.iter()
                .map(|(_, v)| format!("{v:<22}"))
                .collect::<String>()
        );
    }
    let col = |row: &[(String, String)], name: &str| {
        row.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(col(&td_row, "FAMILY"), "shop-ctl_web-api");
    assert_eq!(col(&td_row, "REVISION"), "1");
    assert_eq!(col(&td_row, "READY"), "True");
    assert_eq!(col(&fs_row, "READY"), "False", "moto never runs tasks");
    assert_eq!(col(&fs_row, "DESIRED"), "2");
    assert_eq!(col(&fs_row, "RUNNING"), "0");
    assert_eq!(col(&fs_row, "REVISION"), "shop-ctl_web-api:1");
    let progressing =
        condition(&serde_json::to_value(&fs.status).unwrap(), ct::PROGRESSING).clone();
    assert_eq!(progressing["reason"], reasons::DEPLOYING);

    // The ECS service exists, read back with a plain SDK client.
    let ecs = aws_sdk_ecs::Client::new(&support::moto::sdk_config().await);
    let described = ecs
        .describe_services()
        .cluster("shop-ctl")
        .services("shop-ctl_web-api")
        .send()
        .await
        .unwrap();
    assert_eq!(described.services()[0].status(), Some("ACTIVE"));

    // 4. A resync with nothing changed: no status write, no AWS write.
    let writes = calls.total(CallKind::Write);
    let (client, server) = mock_client();
    spawn_td(&td, context(client.clone()))
        .await
        .unwrap()
        .unwrap();
    spawn_fs(&fs, context(client)).await.unwrap().unwrap();
    server.done().await;
    assert_eq!(calls.total(CallKind::Write), writes, "{:?}", calls.writes());

    // 5. Delete both: the service first, then the TaskDefinition's revision and roles.
    let fs_deleting = deleting(fs.clone());
    let (client, mut server) = mock_client();
    let run = spawn_fs(&fs_deleting, context(client));
    let (_, req) = server.events_then().await;
    let req = req.expect("finalizer removal");
    assert_eq!((req.method.as_str(), req.path.as_str()), ("PATCH", fs_path));
    req.reply(&json_of(&fs_deleting));
    run.await.unwrap().unwrap();
    server.done().await;
    let mut fs_gone = fs.clone();
    fs_gone.status = None;
    fs_writer.apply_watcher_event(&watcher::Event::Delete(DeserializeGuard(Ok(fs_gone))));

    let td_deleting = deleting(td.clone());
    let (client, mut server) = mock_client();
    let run = spawn_td(&td_deleting, context(client));
    let (events, req) = server.events_then().await;
    let req = req.expect("finalizer removal");
    assert_eq!((req.method.as_str(), req.path.as_str()), ("PATCH", td_path));
    req.reply(&json_of(&td_deleting));
    run.await.unwrap().unwrap();
    server.done().await;
    assert!(
        events
            .iter()
            .any(|(_, r, n)| r == event_reasons::DELETED && n.contains("role")),
        "{events:?}"
    );

    let described = ecs
        .describe_services()
        .cluster("shop-ctl")
        .services("shop-ctl_web-api")
        .send()
        .await
        .unwrap();
    assert!(
        described
            .services()
            .iter()
            .all(|s| s.status() != Some("ACTIVE")),
        "{described:?}"
    );
    let iam = aws_sdk_iam::Client::new(&support::moto::sdk_config().await);
    let roles = iam
        .list_roles()
        .path_prefix("/fargate-operator/")
        .send()
        .await
        .unwrap();
    assert!(
        roles
            .roles()
            .iter()
            .all(|r| !r.role_name().starts_with("fgo_shop-ctl_web-api")),
        "{:?}",
        roles
            .roles()
            .iter()
            .map(|r| r.role_name())
            .collect::<Vec<_>>()
    );
}

/// The whole controller (`run_with`: reflectors, both Controllers, triggers, shutdown) on
/// the mock client. The API server's side is scripted: the test answers the list and watch
/// requests for this scenario's two objects, feeds each status patch back through the
/// watch, and fails on any request it does not expect.
#[tokio::test]
async fn the_running_controller_rolls_a_service_when_its_task_definition_changes() {
    use fargate_operator::controller::run::run_with;
    use support::apiserver::{ClusterSide, Watches};

    let h = Harness::new();
    let (td, fs) = web_api();
    let mut script = Script {
        td_created: false,
        td: finalized(td),
        fs: finalized(fs),
        resource_version: 100,
        watches: Watches::default(),
        td_statuses: vec![],
        fs_statuses: vec![],
        cluster: ClusterSide::all(),
    };
    let (client, mut server) = mock_client();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics = Arc::new(Metrics::new());
    // Only the TaskDefinition's watch can wake the service in time: no poll fallback.
    let config = support::apiserver::run_config(4);
    let aws = h.backend.aws().instrumented(h.calls.clone());
    let mut running = tokio::spawn(run_with(client, aws, metrics.clone(), config, async {
        let _ = stopped.await;
    }));

    // Start-up: only the service exists; it waits for its TaskDefinition.
    script
        .serve_until(&mut server, |s| !s.fs_statuses.is_empty())
        .await;
    assert_eq!(
        condition(&script.fs_statuses[0], ct::PROGRESSING)["reason"],
        reasons::WAITING_FOR_TASK_DEFINITION,
    );
    assert_eq!(h.calls.total(CallKind::Write), 0);

    // The TaskDefinition is created: it registers revision 1, and its status (fed back
    // through the watch) wakes the service, which is created at once (not at the next poll).
    script.push_td();
    script
        .serve_until(&mut server, |s| {
            s.fs_statuses
                .last()
                .is_some_and(|st| condition(st, ct::PROGRESSING)["reason"] == reasons::DEPLOYING)
        })
        .await;
    assert_eq!(h.calls.count("create_service"), 1);
    assert_eq!(h.calls.count("register_task_definition"), 1);

    // An image change: generation 2 arrives through the watch. The TaskDefinition registers
    // revision 2; its status wakes the service, which rolls to it.
    let mut td2 = script.td.clone();
    td2.metadata.generation = Some(2);
    td2.spec.containers[0].image = "public.ecr.aws/nginx/nginx:1.27.4".into();
    script.td = td2;
    script.push_td();
    script
        .serve_until(&mut server, |_| {
            h.backend
                .lock()
                .services
                .values()
                .any(|s| s.body.task_definition.to_string().ends_with(":2"))
        })
        .await;
    assert_eq!(h.calls.count("register_task_definition"), 2);
    assert_eq!(h.calls.count("update_service"), 1);
    assert_eq!(h.calls.count("create_service"), 1, "no second service");

    // SIGTERM: reconciles in flight finish, then run_with returns.
    stop.send(()).unwrap();
    loop {
        tokio::select! {
            result = &mut running => {
                result.unwrap().unwrap();
                break;
            }
            req = server.next() => match req {
                Some(req) => script.answer(req),
                None => break,
            },
        }
    }
    drop(script);
    server.done().await;
    let text = metrics.encode().unwrap();
    assert!(text.contains(r#"fargate_operator_aws_calls_total{service="ecs",operation="update_service",outcome="ok"} 1"#), "{text}");
}

/// This scenario's side of the API server.
struct Script {
    /// The TaskDefinition exists (lists include it) once pushed.
    td_created: bool,
    td: TaskDefinition,
    fs: FargateService,
    resource_version: u64,
    watches: support::apiserver::Watches,
    td_statuses: Vec<Value>,
    fs_statuses: Vec<Value>,
    cluster: support::apiserver::ClusterSide,
}

impl Script {
    async fn serve_until(
        &mut self,
        server: &mut support::apiserver::ApiServer,
        done: impl Fn(&Self) -> bool,
    ) {
        while !done(self) {
            let req = server.next().await.expect("the controller is running");
            self.answer(req);
        }
    }

    fn next_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    fn push_td(&mut self) {
        self.td_created = true;
        self.td.metadata.resource_version = Some(self.next_version());
        let obj = json_of(&self.td);
        self.deliver("taskdefinitions", obj);
    }

    fn push_fs(&mut self) {
        self.fs.metadata.resource_version = Some(self.next_version());
        let obj = json_of(&self.fs);
        self.deliver("fargateservices", obj);
    }

    fn deliver(&mut self, resource: &str, object: Value) {
        let event = json!({"type": "MODIFIED", "object": object});
        self.watches.deliver(resource, event.to_string());
    }

    fn answer(&mut self, req: support::apiserver::Req) {
        let Some(req) = self.cluster.answer(req) else {
            return;
        };
        let base = "/apis/ecs.fargate.dev/v1alpha1";
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", p)
                if p == format!("{base}/taskdefinitions")
                    || p == format!("{base}/fargateservices") =>
            {
                let resource = p.rsplit('/').next().unwrap().to_owned();
                if req.is_watch() {
                    self.watches.hold(&resource, req);
                } else {
                    let (kind, items) = if resource == "taskdefinitions" {
                        let items = if self.td_created {
                            vec![json_of(&self.td)]
                        } else {
                            vec![]
                        };
                        ("TaskDefinitionList", items)
                    } else {
                        ("FargateServiceList", vec![json_of(&self.fs)])
                    };
                    req.reply(&json!({
                        "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": kind,
                        "metadata": {"resourceVersion": self.resource_version.to_string()},
                        "items": items,
                    }));
                }
            }
            ("PATCH", p) if p == format!("{TD_PATH}/status") => {
                let status = req.body["status"].clone();
                self.td.status = Some(serde_json::from_value(status.clone()).unwrap());
                self.td_statuses.push(status);
                req.reply(&json_of(&self.td));
                self.push_td();
            }
            ("PATCH", p) if p == format!("{FS_PATH}/status") => {
                let status = req.body["status"].clone();
                self.fs.status = Some(serde_json::from_value(status.clone()).unwrap());
                self.fs_statuses.push(status);
                req.reply(&json_of(&self.fs));
                self.push_fs();
            }
            ("POST" | "PATCH", p) if p.starts_with(EVENTS_PATH) => {
                let body = req.body.clone();
                req.reply(&body);
            }
            (m, p) => panic!("unexpected request {m} {p}?{} {}", req.query, req.body),
        }
    }
}

/// The ECS cluster and service names of services of one cluster.
fn ecs_names(services: &[FargateService]) -> (String, Vec<String>) {
    let names = services
        .iter()
        .map(|fs| fargate_operator::api::names::service_location(fs).1)
        .collect();
    (
        fargate_operator::api::names::service_location(&services[0]).0,
        names,
    )
}

/// A settled TaskDefinition and ten settled services of one cluster running it, cached.
async fn ten_settled_services(h: &mut Harness) -> (TaskDefinition, Vec<FargateService>) {
    settled_services(h, 10).await
}

/// A settled TaskDefinition and `n` settled services of one cluster running it, cached.
async fn settled_services(h: &mut Harness, n: usize) -> (TaskDefinition, Vec<FargateService>) {
    let (td, fs) = web_api();
    let td = reconcile_td_once(h, &finalized(td)).await;
    h.cache_td(&td);
    let mut services = vec![];
    for i in 0..n {
        let mut one = finalized(fs.clone());
        one.metadata.name = Some(format!("web-{i}"));
        let (created, _) = reconcile_fs_once(h, &one).await;
        services.push(created);
    }
    h.backend.lock().finish_deployments();
    for fs in &mut services {
        let (ready, _) = reconcile_fs_once(h, fs).await;
        assert_eq!(
            condition(&serde_json::to_value(&ready.status).unwrap(), ct::READY)["status"],
            "True"
        );
        *fs = ready;
        h.cache_fs(fs);
    }
    (td, services)
}

#[tokio::test]
async fn a_resync_of_settled_objects_makes_no_write_and_shares_its_reads() {
    let mut h = Harness::new();
    let (td, services) = ten_settled_services(&mut h).await;

    // Resync: every object twice, then the TaskDefinition nine more times.
    let before = h.calls.snapshot();
    let (client, server) = mock_client();
    for _ in 0..2 {
        for fs in &services {
            spawn_fs(fs, h.context_shared(client.clone()))
                .await
                .unwrap()
                .unwrap();
        }
    }
    for _ in 0..11 {
        spawn_td(&td, h.context_shared(client.clone()))
            .await
            .unwrap()
            .unwrap();
    }
    drop(client);
    drop(h.shared.lock().unwrap().take());
    server.done().await;
    let used = |op: &str| {
        h.calls.count(op)
            - before
                .iter()
                .filter(|((_, o, _), _)| *o == op)
                .map(|(_, n)| n)
                .sum::<usize>()
    };
    assert_eq!(
        used("describe_services"),
        2,
        "10 services resynced twice, one DescribeServices each time"
    );
    assert_eq!(
        used("describe_cluster"),
        1,
        "the cluster is described once per period"
    );
    // Autoscaling is read on a service's deep checks: its first resync, and the second for
    // the services whose phase (a hash of their key) puts their next deep check there.
    let phases = fargate_operator::controller::observations::DeepChecks::new(10);
    let deep_second = services
        .iter()
        .filter(|fs| {
            let key = fargate_operator::controller::object_key("FargateService", *fs);
            phases.next(&key);
            phases.due(&key)
        })
        .count();
    assert_eq!(
        used("describe"),
        10 + deep_second,
        "autoscaling is read on deep checks only, once per service and check"
    );
    // The first resync is a full check: the family listed, its revision described. In the
    // next ten, one deep check lists the account's revisions (shared by every
    // TaskDefinition's deep check in the period) and describes none.
    assert_eq!(used("list_revisions"), 2, "a full check and a deep check");
    assert_eq!(used("describe_revision"), 1, "the full check only");
    let writes_before: usize = before
        .iter()
        .filter(|((_, _, k), _)| *k == CallKind::Write)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        h.calls.total(CallKind::Write),
        writes_before,
        "a resync wrote"
    );
}

type Spawn<K> = fn(&K, Arc<Context>) -> tokio::task::JoinHandle<Outcome>;

/// Resyncs a settled object (one shared context, as in the controller) until a
/// resync talks to the API server, answering what it sends; returns how many resyncs that
/// took (None if none did in `limit`) and the status patches it sent.
async fn resync_until_reported<K: serde::Serialize>(
    ctx: &Arc<Context>,
    server: &mut support::apiserver::ApiServer,
    (obj, path, spawn): (&K, &str, Spawn<K>),
    limit: usize,
) -> (Option<usize>, Vec<Value>) {
    for i in 1..=limit {
        let mut run = spawn(obj, ctx.clone());
        let first = tokio::select! {
            outcome = &mut run => {
                outcome.expect("joins").expect("reconciles");
                continue;
            }
            req = server.next() => req.expect("a request"),
        };
        let mut statuses = vec![];
        let mut next = Some(first);
        while let Some(req) = next.take() {
            if req.path == format!("{path}/status") {
                statuses.push(status_patch(req, obj, path));
            } else {
                assert!(
                    req.path.starts_with(EVENTS_PATH),
                    "{} {}",
                    req.method,
                    req.path
                );
                let body = req.body.clone();
                req.reply(&body);
            }
            next = tokio::select! {
                outcome = &mut run => {
                    outcome.expect("joins").expect("reconciles");
                    None
                }
                req = server.next() => req,
            };
        }
        return (Some(i), statuses);
    }
    (None, vec![])
}

#[tokio::test]
async fn a_deep_check_finds_a_deregistered_revision_and_a_detached_policy() {
    use fargate_operator::plan::Action as AwsAction;
    let mut h = Harness::new();
    let (td, _) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    let (client, mut server) = mock_client();
    let ctx = h.context(client, Leadership::Always);
    // The first resync after a start is full, and finds nothing to do.
    let (reported, _) = resync_until_reported(&ctx, &mut server, (&td, TD_PATH, spawn_td), 1).await;
    assert_eq!(
        reported, None,
        "a settled TaskDefinition's full check wrote"
    );

    // Someone detaches the execution role's managed policy.
    let role = fargate_operator::api::names::role_name(
        &fargate_operator::api::names::owner_of(&td, "TaskDefinition"),
        fargate_operator::api::names::RoleKind::Execution,
    );
    let policy = {
        let sim = h.backend.lock();
        let attached = &sim.roles[&role].attached_policies;
        attached.iter().next().expect("a managed policy").clone()
    };
    h.backend
        .lock()
        .apply(&AwsAction::DetachRolePolicy {
            role: role.clone(),
            policy_arn: policy.clone(),
        })
        .unwrap();
    let (reported, _) =
        resync_until_reported(&ctx, &mut server, (&td, TD_PATH, spawn_td), 10).await;
    assert!(
        reported.is_some(),
        "no deep check in 10 resyncs found the policy detached"
    );
    assert!(
        h.backend.lock().roles[&role]
            .attached_policies
            .contains(&policy),
        "the policy is attached again"
    );

    // Someone deregisters the current revision: the next deep check registers another and
    // reports it.
    let arn = td.status.as_ref().and_then(|s| s.arn.clone()).unwrap();
    h.backend
        .lock()
        .apply(&AwsAction::DeregisterTaskDefinition { arn: arn.clone() })
        .unwrap();
    let before = h.calls.snapshot();
    let (reported, statuses) =
        resync_until_reported(&ctx, &mut server, (&td, TD_PATH, spawn_td), 10).await;
    assert!(
        reported.is_some(),
        "no deep check in 10 resyncs found the revision gone"
    );
    let new_arn = statuses.last().expect("a status patch")["arn"].clone();
    assert_ne!(
        new_arn,
        Value::from(arn.clone()),
        "a new revision is reported"
    );
    let family = fargate_operator::api::names::task_definition_lookups(&td).family;
    assert_eq!(
        h.backend.lock().latest_revision(&family).map(Value::from),
        Some(new_arn)
    );
    let described = h.calls.count("describe_revision")
        - before
            .iter()
            .filter(|((_, o, _), _)| *o == "describe_revision")
            .map(|(_, n)| n)
            .sum::<usize>();
    assert!(
        described >= 1,
        "the drift is handled by the full reconcile, which describes the revisions"
    );
}

#[tokio::test]
async fn the_account_revision_listing_is_shared_and_given_up_when_too_large() {
    use fargate_operator::controller::observations::RevisionListing;
    let h = Harness::new();
    let (td, _) = web_api();
    reconcile_td_once(&h, &finalized(td)).await;
    // 250 families of one ACTIVE revision each (no name a prefix of another): three pages
    // of ListTaskDefinitions.
    {
        let mut sim = h.backend.lock();
        let (_, revisions) = sim.revisions.iter().next().expect("a family");
        let template = revisions[0].0.clone();
        sim.revisions.clear();
        for i in 0..250 {
            let mut r = template.clone();
            r.arn = format!("arn:aws:ecs:us-east-1:123456789012:task-definition/fam-{i:03}:1");
            sim.revisions.insert(format!("fam-{i:03}"), vec![(r, true)]);
        }
    }
    let aws = h.backend.aws();
    let lists = || h.backend.lock().requests["ecs:ListTaskDefinitions"];
    let hour = Duration::from_secs(3600);

    let listing = RevisionListing::new(hour);
    let start = lists();
    assert_eq!(listing.family(&aws, "fam-001", || 10).await.unwrap(), [1]);
    assert_eq!(lists() - start, 3, "the account listed whole");
    assert_eq!(listing.family(&aws, "fam-002", || 10).await.unwrap(), [1]);
    assert_eq!(listing.family(&aws, "nope", || 10).await.unwrap(), [0; 0]);
    assert_eq!(lists() - start, 3, "the listing is shared");
    listing.changed("fam-003").await;
    assert_eq!(listing.family(&aws, "fam-003", || 10).await.unwrap(), [1]);
    assert_eq!(lists() - start, 4, "a changed family is listed apart");

    let small = RevisionListing::new(hour);
    let start = lists();
    assert_eq!(small.family(&aws, "fam-001", || 2).await.unwrap(), [1]);
    assert_eq!(
        lists() - start,
        3,
        "two pages of the account, then the family"
    );
    assert_eq!(small.family(&aws, "fam-002", || 100).await.unwrap(), [1]);
    assert_eq!(
        lists() - start,
        4,
        "too large once: families are listed apart"
    );
}

#[tokio::test]
async fn overlapping_resyncs_of_one_cluster_share_the_batch_in_flight() {
    use fargate_operator::controller::observations::ServiceObservations;
    use fargate_operator::testing::{FaultRates, Faults};
    let mut h = Harness::new();
    let (_, services) = ten_settled_services(&mut h).await;
    // Every AWS call takes 20 ms, so the ten resyncs below overlap.
    let slow = Arc::new(Faults::new(
        FaultRates {
            latency: Duration::from_millis(20),
            ..Default::default()
        },
        1,
    ));
    let calls = Arc::new(CallCounter::default());
    let aws = h
        .backend
        .aws()
        .instrumented(slow)
        .instrumented(calls.clone());
    let observations = Arc::new(ServiceObservations::new(
        Duration::from_secs(300),
        Duration::from_secs(3000),
    ));
    let (cluster, names) = ecs_names(&services);
    let resyncs: Vec<_> = names
        .iter()
        .map(|name| {
            let (observations, aws, cluster, name, names) = (
                observations.clone(),
                aws.clone(),
                cluster.clone(),
                name.clone(),
                names.clone(),
            );
            tokio::spawn(async move {
                observations
                    .observe(&aws, &cluster, &name, false, || names)
                    .await
            })
        })
        .collect();
    for (r, name) in resyncs.into_iter().zip(&names) {
        let observed = r.await.unwrap().unwrap();
        assert_eq!(
            observed.service.map(|s| s.status),
            Some("ACTIVE".to_owned()),
            "{name}"
        );
    }
    assert_eq!(
        calls.count("describe_services"),
        1,
        "one batch for ten resyncs"
    );
    assert_eq!(calls.count("describe_cluster"), 1);
}

#[tokio::test]
async fn a_deep_check_finds_autoscaling_drift_that_shallow_resyncs_do_not_read() {
    use fargate_operator::plan::Action as AwsAction;
    let mut h = Harness::new();
    let (_, services) = ten_settled_services(&mut h).await;
    let fs = services[0].clone();
    let path = FS_PATH.replace("web-api", &fs.name_any());
    let (client, mut server) = mock_client();
    let ctx = h.context(client, Leadership::Always);
    let (reported, _) = resync_until_reported(&ctx, &mut server, (&fs, &path, spawn_fs), 1).await;
    assert_eq!(reported, None, "a settled service's first resync wrote");

    // Someone deletes one of the service's scheduled actions.
    let (cluster, name) = fargate_operator::api::names::service_location(&fs);
    let rid = fargate_operator::api::names::resource_id(&cluster, &name);
    let action = {
        let sim = h.backend.lock();
        let scaling = &sim.scaling[&rid];
        scaling
            .scheduled_actions
            .keys()
            .next()
            .expect("a schedule")
            .clone()
    };
    h.backend
        .lock()
        .apply(&AwsAction::DeleteScheduledAction {
            resource_id: rid.clone(),
            name: action.clone(),
        })
        .unwrap();
    let before = h.calls.snapshot();
    let (reported, _) = resync_until_reported(&ctx, &mut server, (&fs, &path, spawn_fs), 10).await;
    let n = reported.expect("no deep check in 10 resyncs found the schedule gone");
    assert!(
        h.backend.lock().scaling[&rid]
            .scheduled_actions
            .contains_key(&action),
        "the schedule is put back"
    );
    let reads = h.calls.count("describe")
        - before
            .iter()
            .filter(|((_, o, _), _)| *o == "describe")
            .map(|(_, c)| c)
            .sum::<usize>();
    assert_eq!(
        reads, 2,
        "autoscaling read by the deep check (resync {n}) and the pass after its fix, not before"
    );
}

#[tokio::test]
async fn a_batch_wakes_the_siblings_it_observed_ahead_and_takes_those_observed_longest_ago() {
    use fargate_operator::controller::observations::ServiceObservations;
    use std::collections::BTreeSet;
    let mut h = Harness::new();
    let (_, services) = settled_services(&mut h, 20).await;
    let calls = Arc::new(CallCounter::default());
    let aws = h.backend.aws().instrumented(calls.clone());
    let observations =
        ServiceObservations::new(Duration::from_secs(300), Duration::from_secs(3000));
    let woken: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let sink = woken.clone();
    observations.wake_with(Box::new(move |_, names| {
        sink.lock().unwrap().extend(names.iter().cloned())
    }));
    let (cluster, names) = ecs_names(&services);
    let observe = |name: String| {
        let (observations, aws, cluster, names) =
            (&observations, &aws, cluster.clone(), names.clone());
        async move {
            observations
                .observe(aws, &cluster, &name, false, || names)
                .await
                .unwrap()
        }
    };
    let take_woken = || -> BTreeSet<String> { woken.lock().unwrap().drain(..).collect() };

    observe(names[0].clone()).await;
    let first = take_woken();
    assert_eq!(first.len(), 9, "the nine siblings observed ahead are woken");
    assert!(!first.contains(&names[0]));
    for n in &first {
        observe(n.clone()).await;
    }
    assert_eq!(calls.count("describe_services"), 1, "the woken take theirs");
    assert!(
        take_woken().is_empty(),
        "taking an observation wakes no one"
    );

    // The next batch takes the nine never observed.
    let rest: Vec<String> = names
        .iter()
        .filter(|n| **n != names[0] && !first.contains(*n))
        .cloned()
        .collect();
    observe(rest[0].clone()).await;
    assert_eq!(take_woken(), rest[1..].iter().cloned().collect());
    for n in &rest[1..] {
        observe(n.clone()).await;
    }
    assert_eq!(calls.count("describe_services"), 2);

    // Every one observed: the next batch takes those observed longest ago, the first batch's.
    observe(names[0].clone()).await;
    assert_eq!(take_woken(), first);
}

#[tokio::test]
async fn the_services_a_batch_woke_are_found_by_their_ecs_names() {
    let mut h = Harness::new();
    let (_, services) = ten_settled_services(&mut h).await;
    let (cluster, all) = ecs_names(&services);
    let names = vec![all[3].clone(), all[5].clone(), "nope".into()];
    let found: Vec<(Option<String>, String)> =
        fargate_operator::controller::services_named(&cluster, &names, &h.stores.services)
            .into_iter()
            .map(|r| (r.namespace, r.name))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
    let want: Vec<(Option<String>, String)> = [3, 5]
        .iter()
        .map(|i| (services[*i].namespace(), services[*i].name_any()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(found, want);
    assert!(
        fargate_operator::controller::services_named("other", &names, &h.stores.services)
            .is_empty(),
        "another cluster's services are not woken"
    );
}

/// `fs` with `ecs.fargate.dev/restartedAt: value`.
fn restarted(mut fs: FargateService, value: &str) -> FargateService {
    fs.metadata.annotations.get_or_insert_default().insert(
        fargate_operator::api::RESTARTED_AT_ANNOTATION.into(),
        value.into(),
    );
    fs
}

/// One FargateService reconcile through the context `ctx_of` builds, which may write status
/// (then Events) and nothing else: returns the object as the watch then shows it (with the
/// status written, if any), the Events and the result.
async fn reconcile_fs_with(
    ctx_of: impl FnOnce(kube::Client) -> Arc<Context>,
    fs: &FargateService,
) -> (FargateService, Events, Outcome) {
    let path = format!(
        "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/fargateservices/{}",
        fs.metadata.name.as_deref().unwrap()
    );
    let (client, mut server) = mock_client();
    let run = spawn_fs(fs, ctx_of(client));
    let (mut events, next) = server.events_then().await;
    let mut out = fs.clone();
    if let Some(req) = next {
        assert!(events.is_empty(), "Events before the status: {events:?}");
        let status = status_patch(req, fs, &path);
        out.status = Some(serde_json::from_value(status).expect("status deserialises"));
        let (after, rest) = server.events_then().await;
        assert!(rest.is_none(), "nothing after the Events");
        events = after;
    }
    (out, events, run.await.expect("joins"))
}

fn forced_deployments(h: &Harness) -> usize {
    h.backend.lock().forced_deployments
}

fn restart_tag_on_service(h: &Harness) -> Option<String> {
    let sim = h.backend.lock();
    let service = sim.services.values().next().expect("one service");
    service
        .tags
        .get(fargate_operator::api::RESTARTED_AT_TAG)
        .cloned()
}

#[tokio::test]
async fn a_restarted_at_ecs_cannot_hold_is_one_clear_condition_and_forces_no_deployment() {
    let mut h = Harness::new();
    let (_, services) = settled_services(&mut h, 1).await;
    // `date -R`: ECS refuses the comma in a tag value.
    let mut fs = restarted(services[0].clone(), "Sun, 29 Nov 2026 06:00:00 +0000");
    let writes = h.calls.total(CallKind::Write);
    let before = h.backend.lock().services.clone();
    let mut outcomes = vec![];
    let mut warnings = vec![];
    for _ in 0..3 {
        let (next, events, outcome) =
            reconcile_fs_with(|c| h.context(c, Leadership::Always), &fs).await;
        fs = next;
        outcomes.push(outcome);
        warnings.extend(events.into_iter().filter(|(t, _, _)| t == "Warning"));
    }
    assert_eq!(
        forced_deployments(&h),
        0,
        "no deployment forced, however often"
    );
    assert_eq!(
        h.calls.total(CallKind::Write),
        writes,
        "nothing written to AWS: {:?}",
        h.calls.writes()
    );
    assert_eq!(
        h.backend.lock().services,
        before,
        "the running service is untouched"
    );

    let status = serde_json::to_value(&fs.status).unwrap();
    let degraded = condition(&status, ct::DEGRADED);
    assert_eq!(degraded["status"], "True");
    assert_eq!(degraded["reason"], reasons::INVALID_SPEC);
    let message = degraded["message"].as_str().unwrap();
    for needle in [
        "metadata.annotations[ecs.fargate.dev/restartedAt]",
        "\"Sun, 29 Nov 2026 06:00:00 +0000\" contains ','",
        "no deployment forced",
        "ecs.fargate.dev/restartedAt=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    let synced = condition(&status, ct::SYNCED);
    assert_eq!(
        (&synced["status"], &synced["reason"]),
        (&json!("False"), &json!(reasons::INVALID_SPEC))
    );
    // What runs keeps running, and the status still says so.
    assert_eq!(status["rolloutState"], "COMPLETED");
    assert_eq!(status["runningCount"], status["desiredCount"]);
    assert!(
        warnings
            .iter()
            .all(|(_, r, n)| r == reasons::INVALID_SPEC && n.contains("restartedAt")),
        "{warnings:?}"
    );
    // Not retried until the object changes.
    for outcome in outcomes {
        assert_eq!(
            outcome.expect("not an error to retry"),
            Action::await_change()
        );
    }
}

#[tokio::test]
async fn a_restarted_at_forces_exactly_one_deployment_and_later_reconciles_nothing() {
    let mut h = Harness::new();
    let (_, services) = settled_services(&mut h, 1).await;
    let value = "2026-11-29T06:00:00Z";
    let fs = restarted(services[0].clone(), value);
    // The annotation wakes the object, though its generation is the same.
    let mut changes = Changes::new(trigger_key::<GuardedFargateService>);
    assert!(changes.changed(&DeserializeGuard(Ok(services[0].clone()))));
    assert!(changes.changed(&DeserializeGuard(Ok(fs.clone()))));

    let (mut fs, events, outcome) =
        reconcile_fs_with(|c| h.context(c, Leadership::Always), &fs).await;
    outcome.expect("reconciles");
    assert_eq!(forced_deployments(&h), 1);
    assert!(
        events.iter().any(|(t, r, n)| t == "Normal"
            && r == event_reasons::UPDATED
            && n.contains("forceNewDeployment")),
        "{events:?}"
    );
    assert_eq!(
        restart_tag_on_service(&h),
        Some(fargate_operator::plan::service::restart_tag(value)),
        "the service records a short hash of the value"
    );

    h.backend.lock().finish_deployments();
    let writes = h.calls.total(CallKind::Write);
    for _ in 0..3 {
        let (next, _, outcome) = reconcile_fs_with(|c| h.context(c, Leadership::Always), &fs).await;
        outcome.expect("reconciles");
        fs = next;
    }
    assert_eq!(forced_deployments(&h), 1, "exactly one");
    assert_eq!(
        h.calls.total(CallKind::Write),
        writes,
        "{:?}",
        h.calls.writes()
    );
}

#[tokio::test]
async fn a_crash_during_a_restart_never_loses_it_and_forces_at_most_one_extra_deployment() {
    let value = "2026-11-29T06:00:00Z";
    // (the call the operator dies after, deployments forced by then, in all)
    for (dies_after, forced_at_crash, forced_in_all) in [
        // between the pending mark and the UpdateService
        ("tag_resource", 0, 1),
        // between the UpdateService and the tag
        ("update_service", 1, 2),
    ] {
        let mut h = Harness::new();
        let (_, services) = settled_services(&mut h, 1).await;
        let fs = restarted(services[0].clone(), value);
        let crash = Arc::new(support::crash::CrashAfter::operation(dies_after));
        let (_, _, outcome) = reconcile_fs_with(|c| h.context_with(c, crash.clone()), &fs).await;
        assert!(crash.crashed(), "{dies_after}");
        assert!(outcome.is_err(), "{dies_after}");
        assert_eq!(forced_deployments(&h), forced_at_crash, "{dies_after}");

        // The operator starts again and reconciles the object as it was (the dead process
        // wrote nothing more).
        let (mut fs, _, outcome) =
            reconcile_fs_with(|c| h.context(c, Leadership::Always), &fs).await;
        outcome.expect("reconciles");
        assert_eq!(forced_deployments(&h), forced_in_all, "{dies_after}");
        assert_eq!(
            restart_tag_on_service(&h),
            Some(fargate_operator::plan::service::restart_tag(value)),
            "{dies_after}"
        );
        for _ in 0..2 {
            let (next, _, outcome) =
                reconcile_fs_with(|c| h.context(c, Leadership::Always), &fs).await;
            outcome.expect("reconciles");
            fs = next;
        }
        assert_eq!(
            forced_deployments(&h),
            forced_in_all,
            "{dies_after}: then nothing"
        );
    }
}

/// Refuses every call of one operation with AccessDenied (a permission the operator lacks).
struct Deny(&'static str);

#[async_trait::async_trait]
impl CallHook for Deny {
    async fn before(&self, call: Call) -> Result<(), fargate_operator::aws::AwsError> {
        if call.operation() == self.0 {
            return Err(fargate_operator::aws::AwsError::new(
                fargate_operator::aws::ErrorKind::AccessDenied,
                fargate_operator::aws::AwsOp::TagResource,
                "not authorized to perform: ecs:TagResource",
            ));
        }
        Ok(())
    }

    fn after(
        &self,
        _call: Call,
        _error: Option<&fargate_operator::aws::AwsError>,
    ) -> Option<fargate_operator::aws::AwsError> {
        None
    }
}

#[tokio::test]
async fn a_restart_whose_tag_aws_refuses_forces_no_deployment_on_any_retry() {
    let mut h = Harness::new();
    let (_, services) = settled_services(&mut h, 1).await;
    let mut fs = restarted(services[0].clone(), "2026-11-29T06:00:00Z");
    let deny: Arc<dyn CallHook> = Arc::new(Deny("tag_resource"));
    for _ in 0..3 {
        let (next, _, outcome) = reconcile_fs_with(|c| h.context_with(c, deny.clone()), &fs).await;
        let err = outcome.expect_err("retried with backoff");
        assert_eq!(err.metric_label(), reasons::ACCESS_DENIED);
        fs = next;
    }
    assert_eq!(forced_deployments(&h), 0, "the retries forced nothing");
    let status = serde_json::to_value(&fs.status).unwrap();
    assert_eq!(
        condition(&status, ct::DEGRADED)["reason"],
        reasons::ACCESS_DENIED
    );

    // The permission is granted: the restart happens, once.
    for _ in 0..2 {
        let (next, _, outcome) = reconcile_fs_with(|c| h.context(c, Leadership::Always), &fs).await;
        outcome.expect("reconciles");
        fs = next;
    }
    assert_eq!(forced_deployments(&h), 1);
}

#[tokio::test]
async fn a_service_connect_port_the_task_definition_does_not_name_is_refused_with_a_warning() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    let (fs, _) = reconcile_fs_once(&h, &finalized(fs)).await;
    let before = h
        .backend
        .lock()
        .services
        .values()
        .next()
        .unwrap()
        .body
        .clone();
    let (creates, updates) = (
        h.calls.count("create_service"),
        h.calls.count("update_service"),
    );

    let mut bad = fs.clone();
    bad.metadata.generation = Some(2);
    bad.spec.service_connect.as_mut().unwrap().services[0].port_name = "grpc".into();
    let (bad, events) = reconcile_fs_once(&h, &bad).await;
    let degraded = bad
        .status
        .as_ref()
        .unwrap()
        .conditions
        .iter()
        .find(|c| c.type_ == ct::DEGRADED)
        .unwrap()
        .clone();
    assert_eq!(
        (degraded.status.as_str(), degraded.reason.as_str()),
        ("True", reasons::INVALID_SPEC)
    );
    assert!(
        degraded
            .message
            .contains("spec.serviceConnect.services[0].portName")
            && degraded.message.contains("\"http\""),
        "{}",
        degraded.message
    );
    assert!(
        events.iter().any(|(t, r, n)| t == "Warning"
            && r == reasons::INVALID_SPEC
            && n.contains("spec.serviceConnect.services[0].portName")),
        "{events:?}"
    );
    // Nothing running changed.
    assert_eq!(h.calls.count("create_service"), creates);
    assert_eq!(h.calls.count("update_service"), updates);
    assert_eq!(
        h.backend.lock().services.values().next().unwrap().body,
        before
    );
}

// ---- FargateTask through the generic reconcile ----

const FT_PATH: &str = "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/fargatetasks/migrate";

fn spawn_ft(
    ft: &fargate_operator::api::FargateTask,
    ctx: Arc<Context>,
) -> tokio::task::JoinHandle<Outcome> {
    tokio::spawn(
        fargate_operator::controller::reconcile::reconcile_fargate_task(
            Arc::new(DeserializeGuard(Ok(ft.clone()))),
            ctx,
        ),
    )
}

/// examples/migrate.yaml as the API server would hold it (finalizer added), without its
/// deadline (the stand-in stamps tasks with the real time; `now()` is fixed).
fn migrate() -> fargate_operator::api::FargateTask {
    let mut ft = support::examples::load(&["migrate.yaml"]).tasks[0].clone();
    stored(&mut ft.metadata, "0a6b7e4c-3333-4e8e-9f7a-5d2b3c4d5e6f");
    ft.spec.active_deadline_seconds = None;
    ft.spec.ttl_seconds_after_finished = None;
    ft.spec.backoff_limit = 0;
    finalized(ft)
}

/// A FargateTask goes through the shared reconcile: the status (server-side apply), a
/// Normal Event for RunTask, then, once its container exited 3, a Failed status and Warning
/// Events naming the exit code; with `ttlSecondsAfterFinished: 0` the finished object
/// deletes itself (this incarnation only: a UID precondition).
#[tokio::test]
async fn a_failed_run_reports_warning_events_with_the_exit_code_and_its_ttl_deletes_it() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    reconcile_fs_once(&h, &finalized(fs)).await; // makes the cluster

    let ft = migrate();
    let (status, events, outcome) = reconcile_reporting(&h, &ft, FT_PATH, spawn_ft).await;
    assert_eq!(status["phase"], "Running", "{status}");
    assert_eq!(condition(&status, ct::PROGRESSING)["status"], "True");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].0.as_str(), events[0].1.as_str()),
        ("Normal", "Created")
    );
    // Running: followed every poll.
    assert!(matches!(outcome, Ok(a) if a == Action::requeue(Settings::default().poll)));
    let task = status["attempts"][0]["tasks"][0]["taskArn"]
        .as_str()
        .unwrap()
        .to_owned();

    h.backend.lock().finish_task(&task, 3);
    let mut ft = ft;
    ft.status = Some(serde_json::from_value(status).unwrap());
    let (status, events, outcome) = reconcile_reporting(&h, &ft, FT_PATH, spawn_ft).await;
    assert_eq!(status["phase"], "Failed", "{status}");
    let degraded = condition(&status, ct::DEGRADED);
    assert_eq!(degraded["status"], "True");
    assert_eq!(degraded["reason"], reasons::RUN_FAILED);
    let warnings: Vec<_> = events.iter().filter(|(t, _, _)| t == "Warning").collect();
    assert_eq!(warnings.len(), 2, "{events:?}");
    assert_eq!(warnings[0].1, "AttemptFailed");
    assert!(warnings[0].2.contains("exited with code 3"), "{events:?}");
    assert_eq!(warnings[1].1, reasons::RUN_FAILED);
    assert!(warnings[1].2.contains("code 3"), "{events:?}");
    assert!(outcome.is_ok());

    // Finished, with a TTL of 0: no AWS call, no new status or Event, the object deleted.
    ft.status = Some(serde_json::from_value(status).unwrap());
    ft.spec.ttl_seconds_after_finished = Some(0);
    h.calls.reset();
    let (client, mut server) = mock_client();
    let run = spawn_ft(&ft, h.context(client, Leadership::Always));
    let req = server.expect("DELETE", FT_PATH).await;
    assert_eq!(
        req.body["preconditions"]["uid"],
        "0a6b7e4c-3333-4e8e-9f7a-5d2b3c4d5e6f"
    );
    req.reply(&json_of(&ft));
    assert_eq!(
        run.await.expect("joins").expect("ok"),
        Action::await_change()
    );
    h.assert_no_aws_call();
}

/// A FargateService with a preDeploy, through the shared reconcile: the first create runs
/// the task before the service (Progressing, followed every poll); once its container
/// exited 3, Warning Events name the exit code, Degraded says PreDeployFailed, and the
/// service is still not created.
#[tokio::test]
async fn a_failed_pre_deploy_reports_warning_events_with_the_exit_code() {
    let mut h = Harness::new();
    let (td, mut fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    fs.spec
        .deployment
        .get_or_insert_with(Default::default)
        .pre_deploy = Some(fargate_operator::api::predeploy::PreDeploySpec::default());
    let mut fs = finalized(fs);
    let (status, _, outcome) = reconcile_reporting(&h, &fs, FS_PATH, spawn_fs).await;
    assert_eq!(status["preDeploy"]["phase"], "Running", "{status}");
    assert_eq!(
        condition(&status, ct::PROGRESSING)["reason"],
        reasons::PRE_DEPLOY_RUNNING
    );
    assert!(matches!(outcome, Ok(a) if a == Action::requeue(Settings::default().poll)));
    assert_eq!(h.calls.count("create_service"), 0);
    let task = status["preDeploy"]["attempts"][0]["tasks"][0]["taskArn"]
        .as_str()
        .unwrap()
        .to_owned();

    h.backend.lock().finish_task(&task, 3);
    fs.status = Some(serde_json::from_value(status).unwrap());
    let (status, events, _) = reconcile_reporting(&h, &fs, FS_PATH, spawn_fs).await;
    assert_eq!(status["preDeploy"]["phase"], "Failed", "{status}");
    let degraded = condition(&status, ct::DEGRADED);
    assert_eq!(degraded["status"], "True");
    assert_eq!(degraded["reason"], reasons::PRE_DEPLOY_FAILED);
    let warnings: Vec<_> = events.iter().filter(|(t, _, _)| t == "Warning").collect();
    assert_eq!(warnings.len(), 2, "{events:?}");
    assert_eq!(warnings[0].1, "AttemptFailed");
    assert!(warnings[0].2.contains("exited with code 3"), "{events:?}");
    assert_eq!(warnings[1].1, reasons::PRE_DEPLOY_FAILED);
    assert!(warnings[1].2.contains("code 3"), "{events:?}");
    assert_eq!(h.calls.count("create_service"), 0);
}

const NIGHTLY_PATH: &str =
    "/apis/ecs.fargate.dev/v1alpha1/namespaces/shop/fargatetasks/nightly-report";

/// A scheduled FargateTask goes through the same reconcile: the schedule and its role made
/// (a Normal Event each), Ready once in place, re-read every resync; a run the schedule
/// started is followed every poll, and when it fails a Warning Event names the exit code
/// and Degraded says so, while the schedule stays Ready.
#[tokio::test]
async fn a_scheduled_task_reports_its_schedule_and_a_failed_run_with_a_warning() {
    let mut h = Harness::new();
    let (td, fs) = web_api();
    let td = reconcile_td_once(&h, &finalized(td)).await;
    h.cache_td(&td);
    reconcile_fs_once(&h, &finalized(fs)).await; // makes the cluster

    let mut ft = support::examples::load(&["nightly-report.yaml"]).tasks[0].clone();
    stored(&mut ft.metadata, "0a6b7e4c-4444-4e8e-9f7a-5d2b3c4d5e6f");
    let ft = finalized(ft);
    let (status, events, outcome) = reconcile_reporting(&h, &ft, NIGHTLY_PATH, spawn_ft).await;
    assert_eq!(
        condition(&status, ct::READY)["reason"],
        reasons::SCHEDULED,
        "{status}"
    );
    assert_eq!(status["schedule"]["state"], "ENABLED");
    let created: Vec<_> = events
        .iter()
        .map(|(t, r, _)| (t.as_str(), r.as_str()))
        .collect();
    assert!(
        created
            .iter()
            .all(|e| *e == ("Normal", "Created") || *e == ("Normal", "Updated")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|(_, _, m)| m.contains("create schedule fgo_shop_nightly-report")),
        "{events:?}"
    );
    // Nothing runs: re-read every resync.
    assert!(
        matches!(&outcome, Ok(a) if *a != Action::requeue(Settings::default().poll)),
        "{outcome:?}"
    );

    let task = h
        .backend
        .lock()
        .fire_schedule("default", "fgo_shop_nightly-report")
        .unwrap()[0]
        .clone();
    let mut ft = ft;
    ft.status = Some(serde_json::from_value(status).unwrap());
    let (status, events, outcome) = reconcile_reporting(&h, &ft, NIGHTLY_PATH, spawn_ft).await;
    assert_eq!(
        status["schedule"]["recentRuns"][0]["outcome"], "Running",
        "{status}"
    );
    assert!(events.is_empty(), "{events:?}");
    assert!(matches!(outcome, Ok(a) if a == Action::requeue(Settings::default().poll)));

    h.backend.lock().finish_task(&task, 3);
    ft.status = Some(serde_json::from_value(status).unwrap());
    let (status, events, _) = reconcile_reporting(&h, &ft, NIGHTLY_PATH, spawn_ft).await;
    assert_eq!(
        condition(&status, ct::DEGRADED)["reason"],
        reasons::RUN_FAILED,
        "{status}"
    );
    assert_eq!(condition(&status, ct::READY)["status"], "True");
    let warnings: Vec<_> = events.iter().filter(|(t, _, _)| t == "Warning").collect();
    assert_eq!(warnings.len(), 1, "{events:?}");
    assert_eq!(warnings[0].1, reasons::RUN_FAILED);
    assert!(warnings[0].2.contains("exited with code 3"), "{events:?}");

    // Reported once: the next reconcile repeats no Warning.
    ft.status = Some(serde_json::from_value(status).unwrap());
    let (client, server) = mock_client();
    let run = spawn_ft(&ft, h.context(client, Leadership::Always));
    assert!(run.await.expect("joins").is_ok());
    server.done().await;
}

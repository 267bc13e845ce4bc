//! Scaling policies and scheduled actions carry no ownership tags: their ResourceId is the
//! only proof of whose they are. These tests run the real SDK adapter (`SdkScaling`) against
//! a small Application Auto Scaling backend that, like moto's DescribeScalingPolicies,
//! matches the Describe calls' ResourceId filter loosely (either ID a prefix of the other)
//! and ignores their namespace and dimension filters, so `service/shop/scale-app9` is
//! answered with the items of `service/shop/scale-app99` too (and the other way round).
//! ECS, IAM and logs are the in-memory stand-in (`testing::backend`).

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_sdk_applicationautoscaling as aas;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use fargate_operator::aws::limits::RateLimits;
use fargate_operator::aws::sdk::SdkScaling;
use fargate_operator::aws::{Aws, Scaling};
use fargate_operator::engine::run::{self};
use fargate_operator::manifests::Manifests;
use serde_json::{json, Value};
use support::results::assert_no_failure;
use support::sim::{apply, fresh};

const APP9: &str = "service/shop/scale-app9";
const APP99: &str = "service/shop/scale-app99";
const DESIRED_COUNT: &str = "ecs:service:DesiredCount";

/// What the backend holds, and every write it was sent (operation, request body).
#[derive(Default)]
struct Backend {
    /// Filter Describe calls exactly, as AWS does (set while the services are created).
    exact: bool,
    /// Answer Describe calls this many items a page, with a NextToken.
    page_size: Option<usize>,
    /// Always answer with a NextToken (a backend that never stops paginating).
    endless: bool,
    targets: Vec<Value>,
    policies: Vec<Value>,
    actions: Vec<Value>,
    writes: Vec<(String, Value)>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Backend>>);

impl Fake {
    fn lock(&self) -> MutexGuard<'_, Backend> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or_default()
}

/// Exact identity, as AWS keys the item: namespace, resource ID, dimension (and name).
fn same(a: &Value, b: &Value, name: Option<&str>) -> bool {
    ["ServiceNamespace", "ResourceId", "ScalableDimension"]
        .iter()
        .chain(name.as_slice())
        .all(|f| s(a, f) == s(b, f))
}

/// The loose filter: either resource ID a prefix of the other.
fn loose(query: &str, item: &Value) -> bool {
    let id = s(item, "ResourceId");
    query.starts_with(id) || id.starts_with(query)
}

/// The Describe filter: AWS's (the same resource ID, namespace and dimension) or the loose one.
fn matches(exact: bool, req: &Value, query: &str, item: &Value) -> bool {
    match exact {
        true => {
            s(item, "ResourceId") == query
                && s(item, "ServiceNamespace") == s(req, "ServiceNamespace")
                && s(item, "ScalableDimension") == s(req, "ScalableDimension")
        }
        false => loose(query, item),
    }
}

fn not_found(what: &str) -> (StatusCode, String) {
    (
        StatusCode::BAD_REQUEST,
        json!({"__type": "ObjectNotFoundException", "message": format!("No {what} found")})
            .to_string(),
    )
}

fn upsert(items: &mut Vec<Value>, item: Value, name: Option<&str>) {
    match items.iter_mut().find(|i| same(i, &item, name)) {
        Some(old) => *old = item,
        None => items.push(item),
    }
}

fn remove(items: &mut Vec<Value>, req: &Value, name: Option<&str>) -> bool {
    let before = items.len();
    items.retain(|i| !same(i, req, name));
    items.len() < before
}

/// One page of a Describe answer, from the request's NextToken (an index).
fn page(b: &Backend, req: &Value, key: &str, found: Vec<&Value>) -> Value {
    let Some(size) = b.page_size else {
        return json!({ key: found });
    };
    let start: usize = s(req, "NextToken").parse().unwrap_or(0);
    let end = (start + size).min(found.len());
    let mut out = json!({ key: found.get(start..end).unwrap_or_default() });
    if end < found.len() || b.endless {
        out["NextToken"] = json!(end.to_string());
    }
    out
}

fn answer(b: &mut Backend, op: &str, req: Value) -> (StatusCode, String) {
    if !op.starts_with("Describe") {
        b.writes.push((op.to_owned(), req.clone()));
    }
    let mut item = req.clone();
    item["CreationTime"] = json!(1_700_000_000.0);
    let ok = |v: Value| (StatusCode::OK, v.to_string());
    match op {
        "DescribeScalableTargets" => {
            let ids: Vec<&str> = req["ResourceIds"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let found: Vec<&Value> = b
                .targets
                .iter()
                .filter(|t| ids.is_empty() || ids.iter().any(|id| matches(b.exact, &req, id, t)))
                .collect();
            ok(page(b, &req, "ScalableTargets", found))
        }
        "DescribeScalingPolicies" => {
            let found: Vec<&Value> = b
                .policies
                .iter()
                .filter(|p| matches(b.exact, &req, s(&req, "ResourceId"), p))
                .collect();
            ok(page(b, &req, "ScalingPolicies", found))
        }
        "DescribeScheduledActions" => {
            let found: Vec<&Value> = b
                .actions
                .iter()
                .filter(|a| matches(b.exact, &req, s(&req, "ResourceId"), a))
                .collect();
            ok(page(b, &req, "ScheduledActions", found))
        }
        "RegisterScalableTarget" => {
            item["RoleARN"] = json!("arn:aws:iam::123456789012:role/autoscaling");
            upsert(&mut b.targets, item, None);
            ok(json!({ "ScalableTargetARN": "arn:aws:application-autoscaling:target" }))
        }
        "DeregisterScalableTarget" => {
            if !remove(&mut b.targets, &req, None) {
                return not_found("scalable target");
            }
            // AWS deletes the target's policies and scheduled actions with it.
            b.policies.retain(|p| !same(p, &req, None));
            b.actions.retain(|a| !same(a, &req, None));
            ok(json!({}))
        }
        "PutScalingPolicy" => {
            if !b.targets.iter().any(|t| same(t, &req, None)) {
                return not_found("scalable target");
            }
            item["PolicyARN"] = json!(format!("arn:policy/{}", s(&req, "PolicyName")));
            upsert(&mut b.policies, item, Some("PolicyName"));
            ok(json!({ "PolicyARN": "arn:policy", "Alarms": [] }))
        }
        "DeleteScalingPolicy" => match remove(&mut b.policies, &req, Some("PolicyName")) {
            true => ok(json!({})),
            false => not_found("scaling policy"),
        },
        "PutScheduledAction" => {
            if !b.targets.iter().any(|t| same(t, &req, None)) {
                return not_found("scalable target");
            }
            item["ScheduledActionARN"] =
                json!(format!("arn:action/{}", s(&req, "ScheduledActionName")));
            upsert(&mut b.actions, item, Some("ScheduledActionName"));
            ok(json!({}))
        }
        "DeleteScheduledAction" => {
            match remove(&mut b.actions, &req, Some("ScheduledActionName")) {
                true => ok(json!({})),
                false => not_found("scheduled action"),
            }
        }
        other => (
            StatusCode::BAD_REQUEST,
            json!({"__type": "ValidationException", "message": format!("fake: {other}")})
                .to_string(),
        ),
    }
}

async fn handle(
    State(fake): State<Fake>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let op = target.rsplit('.').next().unwrap_or_default();
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let (status, body) = answer(&mut fake.lock(), op, req);
    (
        status,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        body,
    )
}

/// Starts the backend; returns it and an SDK client pointed at it.
async fn start() -> (Fake, aas::Client) {
    let fake = Fake::default();
    let app = Router::new()
        .route("/", post(handle))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let conf = aas::Config::builder()
        .behavior_version(aas::config::BehaviorVersion::latest())
        .region(aas::config::Region::new("us-east-1"))
        .credentials_provider(aas::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .endpoint_url(format!("http://{addr}"))
        .build();
    (fake, aas::Client::from_conf(conf))
}

/// ECS and the rest in memory, autoscaling through the SDK adapter to the fake; both
/// services applied while the fake filters exactly, then the fake turned loose and the
/// items of another namespace and dimension added.
async fn setup() -> (Fake, aas::Client, Aws) {
    let (fake, client) = start().await;
    let backend = fresh();
    let aws = Aws {
        scaling: Arc::new(scaling(client.clone())),
        ..backend.aws()
    };
    fake.lock().exact = true;
    let results = apply(&aws, &two_services()).await;
    assert_no_failure(&results);
    seed_other_dimension(&fake);
    let mut b = fake.lock();
    b.exact = false;
    b.writes.clear();
    drop(b);
    (fake, client, aws)
}

fn scaling(client: aas::Client) -> SdkScaling {
    SdkScaling(client, Arc::new(RateLimits::unlimited()))
}

/// Items of another namespace and dimension under scale-app9's very resource ID: not the
/// service's either.
fn seed_other_dimension(fake: &Fake) {
    let mut b = fake.lock();
    let base = json!({
        "ServiceNamespace": "custom-resource",
        "ResourceId": APP9,
        "ScalableDimension": "custom-resource:ResourceType:Property",
        "CreationTime": 1_700_000_000.0,
    });
    let mut target = base.clone();
    target["MinCapacity"] = json!(0);
    target["MaxCapacity"] = json!(100);
    target["RoleARN"] = json!("arn:aws:iam::123456789012:role/other");
    let mut policy = base.clone();
    policy["PolicyName"] = json!("other-dimension");
    policy["PolicyARN"] = json!("arn:policy/other-dimension");
    policy["PolicyType"] = json!("TargetTrackingScaling");
    policy["TargetTrackingScalingPolicyConfiguration"] = json!({
        "TargetValue": 10.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    });
    let mut action = base;
    action["ScheduledActionName"] = json!("other-dimension");
    action["ScheduledActionARN"] = json!("arn:action/other-dimension");
    action["Schedule"] = json!("cron(0 1 * * ? *)");
    // Inserted first, so a Describe answers with them ahead of the service's own.
    b.targets.insert(0, target);
    b.policies.insert(0, policy);
    b.actions.insert(0, action);
}

/// Two services of the web-api example, `scale-app9` and `scale-app99`, each with a CPU
/// policy and the `night` and `morning` schedules.
fn two_services() -> Manifests {
    support::examples::with_services_named(
        support::examples::web_api(),
        &["scale-app9", "scale-app99"],
    )
}

/// `(operation, ResourceId, namespace, dimension, name)` of each write sent.
fn writes(fake: &Fake) -> Vec<(String, String, String, String, String)> {
    fake.lock()
        .writes
        .iter()
        .map(|(op, r)| {
            let name = [s(r, "PolicyName"), s(r, "ScheduledActionName")].concat();
            (
                op.clone(),
                s(r, "ResourceId").to_owned(),
                s(r, "ServiceNamespace").to_owned(),
                s(r, "ScalableDimension").to_owned(),
                name,
            )
        })
        .collect()
}

fn names(items: &[Value], rid: &str, field: &str) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .filter(|i| s(i, "ResourceId") == rid && s(i, "ScalableDimension") == DESIRED_COUNT)
        .map(|i| s(i, field).to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn describe_keeps_only_the_services_own_items() {
    let (fake, client, _aws) = setup().await;
    let adapter = scaling(client);

    for (rid, own, other) in [
        (APP9, "scale-app9", "scale-app99"),
        (APP99, "scale-app99", "scale-app9"),
    ] {
        // The backend answers with both services' items (and the other dimension's).
        let answered = fake
            .lock()
            .policies
            .iter()
            .filter(|p| loose(rid, p))
            .count();
        assert_eq!(
            answered, 3,
            "{rid}: both services' and the other dimension's"
        );

        let observed = adapter.describe(rid).await.unwrap();
        assert_eq!(observed.target, Some((2, 10)), "{rid}");
        assert_eq!(
            observed.policies.keys().collect::<Vec<_>>(),
            [&format!("{own}-cpu")],
            "{rid}: no {other}-cpu, no other-dimension"
        );
        assert_eq!(
            observed.scheduled_actions.keys().collect::<Vec<_>>(),
            ["morning", "night"],
            "{rid}"
        );
    }
}

#[tokio::test]
async fn reconciling_and_deleting_scale_app9_never_touches_scale_app99() {
    let (fake, _client, aws) = setup().await;
    {
        let b = fake.lock();
        assert_eq!(names(&b.policies, APP9, "PolicyName"), ["scale-app9-cpu"]);
        assert_eq!(names(&b.policies, APP99, "PolicyName"), ["scale-app99-cpu"]);
        assert_eq!(
            names(&b.actions, APP99, "ScheduledActionName"),
            ["morning", "night"]
        );
    }
    let m = two_services();

    // Reconciling both again: the other service's items are not drift to remove.
    let results = apply(&aws, &m).await;
    assert_eq!(writes(&fake), vec![], "a second apply writes nothing");
    assert_no_failure(&results);

    // Deleting scale-app9: only scale-app9's own policy, schedules and target go.
    let results = run::delete(&aws, &support::examples::only(&m, "scale-app9"), 10).await;
    let sent = writes(&fake);
    assert!(!sent.is_empty(), "scale-app9's autoscaling is deleted");
    for (op, rid, ns, dim, name) in &sent {
        assert_eq!(
            (rid.as_str(), ns.as_str(), dim.as_str()),
            (APP9, "ecs", DESIRED_COUNT),
            "{op} {name}"
        );
        assert!(
            ["", "scale-app9-cpu", "night", "morning"].contains(&name.as_str()),
            "{op} of {name:?} is not scale-app9's: {sent:?}"
        );
    }
    assert_no_failure(&results);
    let b = fake.lock();
    assert_eq!(names(&b.targets, APP9, "ResourceId"), Vec::<String>::new());
    assert_eq!(names(&b.targets, APP99, "ResourceId"), [APP99]);
    assert_eq!(names(&b.policies, APP99, "PolicyName"), ["scale-app99-cpu"]);
    assert_eq!(
        names(&b.actions, APP99, "ScheduledActionName"),
        ["morning", "night"]
    );
    assert_eq!(
        b.policies
            .iter()
            .filter(|p| s(p, "PolicyName") == "other-dimension")
            .count(),
        1
    );
    assert_eq!(
        b.actions
            .iter()
            .filter(|a| s(a, "ScheduledActionName") == "other-dimension")
            .count(),
        1
    );
}

#[tokio::test]
async fn describe_reads_every_page() {
    let (fake, client, _aws) = setup().await;
    let adapter = scaling(client);
    // One item a page: the other dimension's items come first, the service's own later.
    fake.lock().page_size = Some(1);
    let observed = adapter.describe(APP9).await.unwrap();
    assert_eq!(observed.target, Some((2, 10)));
    assert_eq!(
        observed.policies.keys().collect::<Vec<_>>(),
        ["scale-app9-cpu"]
    );
    assert_eq!(
        observed.scheduled_actions.keys().collect::<Vec<_>>(),
        ["morning", "night"]
    );

    // A backend that never stops paginating is an error, not a hang.
    fake.lock().endless = true;
    let err = adapter.describe(APP9).await.unwrap_err();
    assert_eq!(
        err.kind,
        fargate_operator::aws::ErrorKind::Transient,
        "{err}"
    );
}

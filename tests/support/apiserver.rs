//! The Kubernetes side of controller tests and the controller bench: kube's `tower-test`
//! mock client and a verifier in the style of controller-rs's `ApiServerVerifier`. Each
//! expected request is asserted (method, path, body) and answered; when the code under test
//! has dropped every client, [`ApiServer::done`] proves nothing else was asked.
//!
//! For the running controller (`run_with`), the API server's side is scripted instead: the
//! pieces every script needs are here ([`ClusterSide`] for the CRD lookups, tenants and namespaces, [`Watches`] for the
//! watches held until an event is due, [`established`], [`query_param`], [`run_config`]);
//! each script keeps its own objects.

use std::collections::HashMap;
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use kube::Client;
use serde_json::Value;

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;
type Responder = tower_test::mock::SendResponse<Response<Body>>;

/// Upper bound on waiting for a request the code under test is about to make. Not a
/// readiness stand-in: it only turns a hang (a missing request) into a failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A mock client and the verifier on the other end of it.
pub fn mock_client() -> (Client, ApiServer) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = ApiServer {
        handle,
        timeout: Some(REQUEST_TIMEOUT),
    };
    (Client::new(service, "default"), server)
}

pub struct ApiServer {
    handle: Handle,
    /// How long [`ApiServer::next`] waits for a request (None: as long as it takes).
    timeout: Option<Duration>,
}

/// One request the client made.
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
    respond: Responder,
}

impl Req {
    /// Answers 200 with `body`.
    pub fn reply(self, body: &Value) {
        let bytes = serde_json::to_vec(body).expect("response serialises");
        self.reply_raw(bytes);
    }

    /// Answers 200 with raw bytes (a watch's event lines, a list page).
    pub fn reply_raw(self, bytes: Vec<u8>) {
        self.send(200, bytes);
    }

    /// Answers with a Kubernetes `Status` error.
    pub fn fail(self, code: u16, reason: &str) {
        self.fail_with(code, reason, reason);
    }

    /// Answers with a Kubernetes `Status` error saying `message`.
    pub fn fail_with(self, code: u16, reason: &str, message: &str) {
        let status = serde_json::json!({
            "apiVersion": "v1", "kind": "Status", "status": "Failure",
            "message": message, "reason": reason, "code": code,
        });
        self.send(code, serde_json::to_vec(&status).expect("status"));
    }

    fn send(self, code: u16, bytes: Vec<u8>) {
        self.respond.send_response(
            Response::builder()
                .status(code)
                .body(Body::from(bytes))
                .expect("response builds"),
        );
    }

    /// Whether this is a watch (`?watch=true`) rather than a list or a get.
    pub fn is_watch(&self) -> bool {
        query_param(&self.query, "watch") == Some("true")
    }
}

impl ApiServer {
    /// Waits for requests as long as it takes (a running controller may be quiet for long).
    pub fn without_timeout(self) -> Self {
        Self {
            timeout: None,
            ..self
        }
    }

    /// The next request, or None once every client is gone.
    pub async fn next(&mut self) -> Option<Req> {
        let next = self.handle.next_request();
        let (request, respond) = match self.timeout {
            Some(timeout) => tokio::time::timeout(timeout, next)
                .await
                .expect("the code under test neither made a request nor dropped its client")?,
            None => next.await?,
        };
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or_default().to_owned();
        let bytes = request
            .into_body()
            .collect_bytes()
            .await
            .expect("request body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("request body is JSON")
        };
        Some(Req {
            method,
            path,
            query,
            body,
            respond,
        })
    }

    /// The next request, asserted to be `method path`.
    pub async fn expect(&mut self, method: &str, path: &str) -> Req {
        let req = self
            .next()
            .await
            .unwrap_or_else(|| panic!("expected {method} {path}; the client was dropped"));
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            (method, path),
            "unexpected request (body {})",
            req.body
        );
        req
    }

    /// Asserts that no further request comes: the code under test dropped its clients.
    pub async fn done(mut self) {
        if let Some(req) = self.next().await {
            panic!(
                "unexpected request {} {}?{} {}",
                req.method, req.path, req.query, req.body
            );
        }
    }

    /// Accepts Event creations until the next request that is not one, answering each with
    /// the event itself. Returns the events `(type, reason, note)` and that request (None if
    /// the client was dropped).
    pub async fn events_then(&mut self) -> (Vec<(String, String, String)>, Option<Req>) {
        let mut events = vec![];
        loop {
            let Some(req) = self.next().await else {
                return (events, None);
            };
            // A new Event is created; a repeat of the same (type, reason, action) patches
            // the existing one's series.
            if (req.method == "POST" || req.method == "PATCH")
                && req.path.starts_with("/apis/events.k8s.io/v1/namespaces/")
            {
                let b = &req.body;
                events.push((
                    b["type"].as_str().unwrap_or_default().to_owned(),
                    b["reason"].as_str().unwrap_or_default().to_owned(),
                    b["note"].as_str().unwrap_or_default().to_owned(),
                ));
                let body = req.body.clone();
                req.reply(&body);
            } else {
                return (events, Some(req));
            }
        }
    }
}

/// `key`'s value in a URL query (as sent, not decoded).
pub fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// `crd` as the API server serves it once established.
pub fn established(
    mut crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
) -> Value {
    crd.metadata.resource_version = Some("1".into());
    let mut v = serde_json::to_value(&crd).expect("serialises");
    v["status"] = serde_json::json!({"conditions": [
        {"type": "Established", "status": "True"},
        {"type": "NamesAccepted", "status": "True"},
    ]});
    v
}

/// The cluster-scoped side of a scripted API server: the CRDs of all kinds, established (a
/// lookup by name is answered; an unknown name fails the test), no FargateTenants and no
/// namespaces, and the FargateTasks of scripts that have none (their lists are answered
/// empty); every watch of these is left unanswered (held).
pub struct ClusterSide {
    crds: Vec<Value>,
    /// Watches after start-up: never answered.
    parked: Vec<Req>,
}

impl ClusterSide {
    const CRDS: &'static str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    const TENANTS: &'static str = "/apis/ecs.fargate.dev/v1alpha1/fargatetenants";
    const NAMESPACES: &'static str = "/api/v1/namespaces";

    /// Every kind's CRD; no tenants, no namespaces, no tasks.
    pub fn all() -> Self {
        use fargate_operator::api::{FargateService, FargateTask, FargateTenant, TaskDefinition};
        use kube::CustomResourceExt;
        Self {
            crds: vec![
                established(TaskDefinition::crd()),
                established(FargateService::crd()),
                established(FargateTask::crd()),
                established(FargateTenant::crd()),
            ],
            parked: vec![],
        }
    }

    /// Answers `req` if it is about CRDs, tenants, namespaces or FargateTasks; else hands it
    /// back.
    pub fn answer(&mut self, req: Req) -> Option<Req> {
        let path = req.path.as_str();
        let tasks =
            path.starts_with("/apis/ecs.fargate.dev/v1alpha1/") && path.ends_with("/fargatetasks");
        if req.method == "GET" && tasks {
            if req.is_watch() {
                self.parked.push(req);
            } else {
                req.reply(&serde_json::json!({
                    "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": "FargateTaskList",
                    "metadata": {"resourceVersion": "1"}, "items": [],
                }));
            }
            return None;
        }
        if req.method != "GET" || ![Self::CRDS, Self::TENANTS, Self::NAMESPACES].contains(&path) {
            return Some(req);
        }
        if req.is_watch() {
            self.parked.push(req);
            return None;
        }
        if path == Self::TENANTS || path == Self::NAMESPACES {
            let kind = if path == Self::TENANTS {
                "FargateTenantList"
            } else {
                "PartialObjectMetadataList"
            };
            req.reply(&serde_json::json!({
                "apiVersion": "v1", "kind": kind,
                "metadata": {"resourceVersion": "1"}, "items": [],
            }));
            return None;
        }
        let name = query_param(&req.query, "fieldSelector")
            .and_then(|s| urlencoding::decode(s).ok())
            .and_then(|s| s.strip_prefix("metadata.name=").map(str::to_owned))
            .expect("the CRD is asked for by name");
        let items: Vec<Value> = self
            .crds
            .iter()
            .filter(|c| c["metadata"]["name"] == name.as_str())
            .cloned()
            .collect();
        assert_eq!(items.len(), 1, "unknown CRD {name}");
        req.reply(&serde_json::json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinitionList",
            "metadata": {"resourceVersion": "1"}, "items": items,
        }));
        None
    }
}

/// Watches held until an event is due, by resource (`taskdefinitions`, ...): an event is
/// delivered by answering the held watch (the watcher then watches again); events for a
/// watch not re-opened yet wait for it.
#[derive(Default)]
pub struct Watches {
    held: HashMap<String, Req>,
    pending: HashMap<String, Vec<String>>,
}

impl Watches {
    /// Holds a watch request of `resource` (a newer one replaces one the client gave up on)
    /// and answers it if events are waiting.
    pub fn hold(&mut self, resource: &str, req: Req) {
        self.held.insert(resource.to_owned(), req);
        self.flush(resource);
    }

    /// Delivers a watch event (one JSON line) of `resource`.
    pub fn deliver(&mut self, resource: &str, event: String) {
        self.pending
            .entry(resource.to_owned())
            .or_default()
            .push(event);
        self.flush(resource);
    }

    /// Answers the held watch with the pending events.
    fn flush(&mut self, resource: &str) {
        if self.pending.get(resource).is_none_or(|p| p.is_empty()) {
            return;
        }
        if let Some(req) = self.held.remove(resource) {
            let lines: String = self
                .pending
                .remove(resource)
                .unwrap_or_default()
                .iter()
                .map(|l| format!("{l}\n"))
                .collect();
            req.reply_raw(lines.into_bytes());
        }
    }
}

/// The running controller's configuration against a scripted API server: every namespace,
/// `concurrency` reconciles per kind, no leader election, metrics on a free port, and no
/// deployment poll (600 s), so only watches wake objects.
pub fn run_config(concurrency: u16) -> fargate_operator::controller::run::RunConfig {
    fargate_operator::controller::run::RunConfig {
        settings: fargate_operator::controller::Settings {
            poll: Duration::from_secs(600),
            ..Default::default()
        },
        namespaces: vec![],
        label_selector: None,
        concurrency,
        metrics_addr: "127.0.0.1:0".parse().expect("address"),
        leader_election: None,
        aws: Default::default(),
    }
}

/// The columns `kubectl get` shows for `obj`, evaluated from the CRD's printer columns
/// (the subset of JSONPath they use: `.a.b` and `.a.conditions[?(@.type=="X")].status`).
pub fn kubectl_get(
    crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    obj: &Value,
) -> Vec<(String, String)> {
    let version = &crd.spec.versions[0];
    let mut out = vec![(
        "NAME".to_owned(),
        obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )];
    for col in version.additional_printer_columns.iter().flatten() {
        if col.type_ == "date" {
            continue;
        }
        out.push((col.name.to_uppercase(), json_path(obj, &col.json_path)));
    }
    out
}

fn json_path(obj: &Value, path: &str) -> String {
    // Split on dots outside brackets: `.status.conditions[?(@.type=="Ready")].status`.
    let mut parts = vec![];
    let (mut depth, mut start) = (0, 0);
    let path = path.trim_start_matches('.');
    for (i, c) in path.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                parts.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&path[start..]);
    let mut cur = obj.clone();
    for part in parts {
        if let Some((field, filter)) = part.split_once("[?(@.") {
            let (key, want) = filter
                .trim_end_matches(")]")
                .split_once("==")
                .expect("filter is key==\"value\"");
            let want = want.trim_matches('"');
            cur = cur[field]
                .as_array()
                .and_then(|a| a.iter().find(|c| c[key] == want).cloned())
                .unwrap_or(Value::Null);
        } else {
            cur = cur[part].clone();
        }
    }
    match cur {
        Value::Null => "<none>".into(),
        Value::String(s) => s,
        other => other.to_string(),
    }
}

//! The Kubernetes side of controller tests: kube's `tower-test` mock client and a verifier
//! in the style of controller-rs's `ApiServerVerifier`. Each expected request is asserted
//! (method, path, body) and answered; when the code under test has dropped every client,
//! [`ApiServer::done`] proves nothing else was asked.

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
    (Client::new(service, "default"), ApiServer(handle))
}

pub struct ApiServer(Handle);

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
        self.respond.send_response(
            Response::builder()
                .status(200)
                .body(Body::from(bytes))
                .expect("response builds"),
        );
    }

    /// Answers 200 with raw bytes (a watch's event lines).
    pub fn reply_raw(self, bytes: Vec<u8>) {
        self.respond.send_response(
            Response::builder()
                .status(200)
                .body(Body::from(bytes))
                .expect("response builds"),
        );
    }

    /// Answers with a Kubernetes `Status` error.
    pub fn fail(self, code: u16, reason: &str) {
        let status = serde_json::json!({
            "apiVersion": "v1", "kind": "Status", "status": "Failure",
            "message": reason, "reason": reason, "code": code,
        });
        self.respond.send_response(
            Response::builder()
                .status(code)
                .body(Body::from(serde_json::to_vec(&status).expect("status")))
                .expect("response builds"),
        );
    }
}

impl ApiServer {
    /// The next request, or None once every client is gone.
    pub async fn next(&mut self) -> Option<Req> {
        let (request, respond) = tokio::time::timeout(REQUEST_TIMEOUT, self.0.next_request())
            .await
            .expect("the code under test neither made a request nor dropped its client")?;
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

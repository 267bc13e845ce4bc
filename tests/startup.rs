//! First contact with a cluster: the kube and AWS clients build in one process (one rustls
//! crypto provider, src/tls.rs), and `fargate-operator run` against an API server that does not
//! answer stays up, serves `/healthz`, and says in its log that the API server is unreachable;
//! a configuration it cannot work with (a placeholder permissions boundary) is refused before
//! it connects to anything.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A 127.0.0.1 port nothing listens on: bound, then closed (connections are refused).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// A kubeconfig for `server`, skipping TLS verification, with a token.
fn kubeconfig_yaml(server: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
users:
- name: operator
  user:
    token: testing
contexts:
- name: nowhere
  context:
    cluster: nowhere
    user: operator
current-context: nowhere
"
    )
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "fargate-operator-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Both TLS stacks in one process: kube's client (built first, straight from kube, before any
/// of the operator's code runs) and the operator's AWS clients. With two rustls providers
/// compiled in and none chosen, building the kube client panicked.
#[tokio::test]
async fn the_kube_and_aws_clients_build_in_one_process() {
    use fargate_operator::aws::sdk::{connect, from_config, AwsSettings};

    let api_server = format!("https://127.0.0.1:{}", closed_port());
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(&kubeconfig_yaml(&api_server)).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config from the kubeconfig");
    assert!(config.accept_invalid_certs);
    let client = kube::Client::try_from(config).expect("kube client");
    // The client is real: a request goes out and fails to connect, it does not panic.
    let err = client
        .apiserver_version()
        .await
        .expect_err("nothing listens on the API server's port");
    assert!(
        !matches!(err, kube::Error::Api(_)),
        "a connection error, not an answer: {err:?}"
    );

    // The AWS clients: the standard chain (as `run` builds them) ...
    let (_aws, region) = connect(&AwsSettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(format!("https://127.0.0.1:{}", closed_port())),
        limits: Default::default(),
    })
    .await;
    assert_eq!(region, "us-east-1");
    // ... and from a configuration, with a request over HTTPS that fails to connect.
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(format!("https://127.0.0.1:{}", closed_port()))
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let aws = from_config(&conf);
    let result = aws.ecs.describe_cluster("default").await;
    assert!(result.is_err(), "nothing listens there: {result:?}");

    // The process's provider is aws-lc-rs, the one the AWS SDK uses (same key exchanges,
    // post-quantum first; ring has no ML-KEM).
    let installed = rustls::crypto::CryptoProvider::get_default().expect("a default provider");
    let aws_lc_rs = rustls::crypto::aws_lc_rs::default_provider();
    let names = |p: &rustls::crypto::CryptoProvider| {
        p.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>()
    };
    assert_eq!(names(installed), names(&aws_lc_rs));
}

/// Kills and reaps the child on drop, also when the test fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The status line of `GET path`, or None when nothing answers (yet).
fn http_status(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.lines().next().map(str::to_owned)
}

/// Polls `check` every 100 ms until it is Some, the child exits, or `timeout` passes.
fn poll<T>(
    child: &mut Running,
    log: &Path,
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            panic!(
                "fargate-operator exited ({status}) before {what}; its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within {timeout:?}; the log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `fargate-operator run` with an unreachable API server: start-up does not panic, /healthz
/// answers, /readyz does not, the process keeps retrying, and its log names the problem and
/// the address.
#[test]
fn run_stays_up_and_says_the_api_server_is_unreachable() {
    let dir = TempDir::new("startup");
    let api_server = format!("https://127.0.0.1:{}", closed_port());
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, kubeconfig_yaml(&api_server)).expect("write kubeconfig");
    let metrics: SocketAddr = format!("127.0.0.1:{}", closed_port())
        .parse()
        .expect("address");
    let log = dir.path().join("operator.log");
    let out = std::fs::File::create(&log).expect("create log");

    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_fargate-operator"))
            .args(["run", "--metrics-addr", &metrics.to_string()])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("KUBECONFIG", &kubeconfig)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("clone log handle"))
            .stderr(out)
            .spawn()
            .expect("start fargate-operator"),
    );

    let healthz = poll(
        &mut child,
        &log,
        Duration::from_secs(20),
        "/healthz",
        || http_status(metrics, "/healthz"),
    );
    assert!(healthz.contains(" 200 "), "/healthz: {healthz}");

    // Two attempts logged: the process survived the first failed contact and retried.
    let message = "cannot reach the Kubernetes API server";
    poll(
        &mut child,
        &log,
        Duration::from_secs(20),
        "two log lines about the unreachable API server",
        || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|l| l.matches(message).count() >= 2)
        },
    );

    // Still alive (no panic, no exit), live but not ready.
    assert!(
        child.0.try_wait().expect("try_wait").is_none(),
        "fargate-operator exited; its log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let readyz = http_status(metrics, "/readyz").expect("/readyz answers");
    assert!(readyz.contains(" 503 "), "/readyz: {readyz}");
    let healthz = http_status(metrics, "/healthz").expect("/healthz answers");
    assert!(healthz.contains(" 200 "), "/healthz: {healthz}");

    let text = std::fs::read_to_string(&log).expect("read log");
    assert!(
        text.contains(&api_server),
        "the log names the API server {api_server}:\n{text}"
    );
    assert!(!text.contains("panicked"), "no panic in the log:\n{text}");
}

// ------------------------------------------------------------------ configuration checks
//
// The binary's start-up checks: `run` refuses a configuration it cannot work with before it
// connects to anything, saying what to change.

const PLACEHOLDER: &str = "arn:aws:iam::ACCOUNT_ID:policy/fargate-operator-boundary";

/// Runs the binary with only `env` set (no kubeconfig, no AWS credentials), killing it after
/// 30 s: a `run` that got past its checks would try to reach Kubernetes, fail, and exit with
/// another message.
fn operator(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fargate-operator"))
        .args(args)
        .env_clear()
        .env("KUBECONFIG", Path::new("/nonexistent/kubeconfig"))
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let start = Instant::now();
    while child.try_wait().expect("waits").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().expect("kills");
            panic!("`fargate-operator {}` did not exit", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

fn refused_with(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr
}

#[test]
fn run_refuses_the_placeholder_boundary_at_start_up_saying_what_to_replace() {
    let by_flag = operator(
        &[
            "run",
            "--metrics-addr",
            "127.0.0.1:0",
            "--role-permissions-boundary",
            PLACEHOLDER,
        ],
        &[],
    );
    // As the install manifests pass it.
    let by_env = operator(
        &["run", "--metrics-addr", "127.0.0.1:0"],
        &[("FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY", PLACEHOLDER)],
    );
    for out in [by_flag, by_env] {
        let stderr = refused_with(&out);
        assert!(
            stderr.starts_with("error: --role-permissions-boundary"),
            "{stderr}"
        );
        assert!(
            stderr.contains("replace ACCOUNT_ID with your 12-digit AWS account ID"),
            "{stderr}"
        );
    }
}

#[test]
fn run_refuses_a_boundary_that_is_not_a_policy_arn() {
    let out = operator(
        &["run", "--metrics-addr", "127.0.0.1:0"],
        &[(
            "FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY",
            "fargate-operator-boundary",
        )],
    );
    assert!(refused_with(&out).contains("not an IAM policy ARN"));
}

#[test]
fn plan_accepts_a_real_boundary_and_puts_it_on_the_managed_roles() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/web-api.yaml");
    let boundary = "arn:aws:iam::123456789012:policy/fargate-operator-boundary";
    let out = operator(
        &["plan", "-f", examples, "-o", "json"],
        &[("FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY", boundary)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("\"permissionsBoundary\": \"{boundary}\"")),
        "{stdout}"
    );
}

#[test]
fn an_empty_boundary_is_no_boundary() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/web-api.yaml");
    let out = operator(
        &["plan", "-f", examples, "-o", "json"],
        &[("FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY", "")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"permissionsBoundary\": null"), "{stdout}");
}

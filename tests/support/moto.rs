//! A moto server (the local AWS emulator, PyPI `moto[server]`) for integration tests.
//!
//! Started once per test binary on 127.0.0.1 with a free port, from the virtualenv
//! `scripts/venv.sh` makes, with a VPC, two subnets and a security group created through
//! moto's EC2 API (and the same in a tenant's account, 111111111111). The server exits when its stdin closes, which happens when the test binary
//! exits, however it exits; tests isolate themselves by unique names.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use fargate_operator::aws::instrument::CallCounter;
use fargate_operator::aws::Aws;

#[derive(serde::Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct MotoInfo {
    pub endpoint: String,
    pub subnets: Vec<String>,
    pub security_group: String,
    /// The same network in another account (111111111111), made with the credentials of
    /// its role `fargate-operator-tenant`, as a FargateTenant's objects see it.
    pub tenant: TenantNetwork,
}

#[derive(serde::Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct TenantNetwork {
    pub account: String,
    pub role_arn: String,
    pub subnets: Vec<String>,
    pub security_group: String,
}

struct Server {
    info: MotoInfo,
    // Held so the pipe to its stdin stays open while tests run.
    _child: Mutex<Child>,
}

static SERVER: OnceLock<Server> = OnceLock::new();

fn start() -> Server {
    let root = env!("CARGO_MANIFEST_DIR");
    let venv = Command::new("bash")
        .arg(format!("{root}/scripts/venv.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/venv.sh runs");
    assert!(venv.status.success(), "scripts/venv.sh failed");
    let venv = String::from_utf8(venv.stdout).expect("utf-8 path");
    let python = format!("{}/bin/python", venv.trim());
    let mut child = Command::new(python)
        .arg(format!("{root}/scripts/moto_server.py"))
        .arg("--network")
        .args(["--tenant-account", "111111111111"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("moto starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("moto prints its address");
    let info: MotoInfo = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("moto's first line {line:?} is not its address: {e}"));
    Server {
        info,
        _child: Mutex::new(child),
    }
}

/// The shared moto server.
pub fn moto() -> MotoInfo {
    SERVER.get_or_init(start).info.clone()
}

/// SDK configuration pointing at moto.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let info = moto();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(info.endpoint)
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// The operator's AWS clients against moto, with every call counted.
pub async fn aws() -> (Aws, Arc<CallCounter>) {
    let conf = sdk_config().await;
    let counter = Arc::new(CallCounter::default());
    let aws = fargate_operator::aws::sdk::from_config(&conf).instrumented(counter.clone());
    (aws, counter)
}

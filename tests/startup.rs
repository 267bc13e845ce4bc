//! The binary's start-up checks: `run` refuses a configuration it cannot work with before it
//! connects to anything, saying what to change.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

//! First contact with a cluster: the kube and AWS clients build in one process (one rustls
//! crypto provider, src/tls.rs).

use std::net::TcpListener;

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

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use fargate_operator::aws::sdk::AwsSettings;
use fargate_operator::controller;
use fargate_operator::engine::run;
use fargate_operator::telemetry::{self, LogFormat};

use fargate_operator::api::images::ImageTagPolicy;
use fargate_operator::batch::{plan_all, Outcome};
use fargate_operator::plan::{render, PlanConfig, PriceTable};

#[derive(Parser)]
#[command(
    name = "fargate-operator",
    version,
    about = "Run containers on Amazon ECS/Fargate by writing Kubernetes objects"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Print both CRDs as YAML, or write them to directories.
    Crdgen {
        /// Write one file per CRD into this directory instead of printing (repeatable).
        #[arg(long)]
        out: Vec<PathBuf>,
        /// Write them into every directory of this repository that carries them (crds/, the
        /// Helm chart's crds/, deploy/base/crds/); run from the repository root.
        #[arg(long, conflicts_with = "out")]
        write: bool,
    },
    /// Validate manifests and show the AWS changes the operator would make (against an empty
    /// account, or with --observe against the live one).
    Plan {
        #[command(flatten)]
        planner: PlannerArgs,
        /// Diff against the live AWS account instead of an empty one.
        #[arg(long)]
        observe: bool,
        #[command(flatten)]
        aws: AwsArgs,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Make AWS match the manifests once (observe → plan → act until nothing is left to do),
    /// then print each object's status. Exits 1 naming the object and reason when one does
    /// not converge.
    Apply {
        #[command(flatten)]
        planner: PlannerArgs,
        #[command(flatten)]
        aws: AwsArgs,
        /// Also wait until every FargateService is Ready (its deployment completed with
        /// running == desired).
        #[arg(long)]
        wait: bool,
        /// How long --wait waits, e.g. 300s, 10m.
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        timeout: Duration,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Run the controller: watch TaskDefinitions and FargateServices in the cluster of the
    /// current kubeconfig (or in-cluster service account) and keep ECS matching them.
    Run(Box<RunArgs>),
    /// Delete what the manifests' objects own in AWS (honouring deletionPolicy: Retain).
    Delete {
        /// Manifest files or directories (YAML or JSON, multi-document).
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// AWS region.
        #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
        region: String,
        #[command(flatten)]
        aws: AwsArgs,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "text")]
        output: Output,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Namespaces to watch (comma-separated); all namespaces when empty.
    #[arg(long, value_delimiter = ',', env = "FARGATE_OPERATOR_NAMESPACES")]
    namespaces: Vec<String>,
    /// Only reconcile objects matching this label selector, e.g. `team=payments`.
    #[arg(long, env = "FARGATE_OPERATOR_LABEL_SELECTOR")]
    label_selector: Option<String>,
    /// Reconciles in flight at once, per kind (and per watched namespace).
    #[arg(long, default_value_t = 8, env = "FARGATE_OPERATOR_CONCURRENCY")]
    concurrency: u16,
    /// How often a settled object is re-read to catch drift (e.g. 300s, 5m).
    #[arg(long, default_value = "5m", value_parser = parse_duration, env = "FARGATE_OPERATOR_RESYNC")]
    resync: Duration,
    /// How often a deploying service (or an object waiting on another) is re-read.
    #[arg(long, default_value = "15s", value_parser = parse_duration, env = "FARGATE_OPERATOR_POLL")]
    poll: Duration,
    /// Every this-many-th resync of a settled object also re-reads what rarely drifts (a
    /// TaskDefinition's roles, log groups and revisions; a service's autoscaling and
    /// cluster); every this-many-squared-th re-reads everything.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000), env = "FARGATE_OPERATOR_DEEP_CHECK_EVERY")]
    deep_check_every: u32,
    /// Address of /metrics, /healthz and /readyz. In a pod, use 0.0.0.0:8080.
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        env = "FARGATE_OPERATOR_METRICS_ADDR"
    )]
    metrics_addr: std::net::SocketAddr,
    /// Elect a leader with a coordination.k8s.io Lease, so several replicas can run and
    /// only one reconciles.
    #[arg(long, env = "FARGATE_OPERATOR_LEADER_ELECT")]
    leader_elect: bool,
    /// Name of the Lease.
    #[arg(
        long,
        default_value = "fargate-operator",
        env = "FARGATE_OPERATOR_LEASE_NAME"
    )]
    lease_name: String,
    /// Namespace of the Lease (default: the pod's namespace, else `default`).
    #[arg(long, env = "POD_NAMESPACE")]
    lease_namespace: Option<String>,
    /// This replica's identity in the Lease (default: the pod name, else the host name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Log filter, RUST_LOG syntax (RUST_LOG wins when set).
    #[arg(long, default_value = "info", env = "FARGATE_OPERATOR_LOG_LEVEL")]
    log_level: String,
    /// Log format.
    #[arg(
        long,
        value_enum,
        default_value = "text",
        env = "FARGATE_OPERATOR_LOG_FORMAT"
    )]
    log_format: LogFormat,
}

#[derive(clap::Args)]
struct AwsArgs {
    /// Send every AWS call to this endpoint (a local emulator). The SDK also reads
    /// AWS_ENDPOINT_URL.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Client-side rate limits, `category=burst/per-second` (comma-separated), overriding
    /// the defaults (80 % of AWS's published limits). Categories: ecs-service-write,
    /// ecs-register-task-definition, ecs-describe-services, ecs-read, ecs-write, iam,
    /// autoscaling, logs, elb.
    #[arg(long, env = "FARGATE_OPERATOR_AWS_RATE_LIMITS", default_value = "")]
    aws_rate_limits: fargate_operator::aws::limits::Limits,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90s, 10m or 1h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?}: unit must be s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

#[derive(clap::Args)]
struct PlannerArgs {
    /// Manifest files or directories (YAML or JSON, multi-document).
    #[arg(short = 'f', long = "filename", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
}

/// What the planner is allowed to do (shared by plan, apply and run).
#[derive(clap::Args)]
struct ConfigArgs {
    /// AWS region (for log configuration and ARNs).
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Untagged or `latest`-style images: allow, warn, or deny.
    #[arg(
        long,
        value_enum,
        default_value = "warn",
        env = "FARGATE_OPERATOR_IMAGE_TAG_POLICY"
    )]
    image_tag_policy: ImageTagPolicy,
    /// Policy ARNs managed roles may attach (comma-separated), beyond AWS's ECS execution
    /// policy.
    #[arg(
        long,
        value_delimiter = ',',
        env = "FARGATE_OPERATOR_ALLOWED_POLICY_ARNS"
    )]
    allowed_policy_arns: Vec<String>,
    /// Permissions boundary put on every managed role: an IAM policy ARN (the
    /// `ACCOUNT_ID` placeholder of the install manifests is refused). Empty: none.
    #[arg(long, env = "FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY")]
    role_permissions_boundary: Option<String>,
    /// Allow inline policies on managed roles without a permissions boundary.
    #[arg(long, env = "FARGATE_OPERATOR_ALLOW_INLINE_POLICIES")]
    allow_inline_policies: bool,
    /// YAML file overriding the Fargate price table used for cost estimates.
    #[arg(long)]
    price_table: Option<PathBuf>,
}

impl ConfigArgs {
    fn config(&self) -> Result<PlanConfig, String> {
        let Self {
            region,
            image_tag_policy,
            allowed_policy_arns,
            role_permissions_boundary,
            allow_inline_policies,
            price_table,
        } = self;
        let prices = match price_table {
            None => PriceTable::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("reading {}: {e}", path.display()))?;
                serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        let config = PlanConfig {
            region: region.clone(),
            allowed_policy_arns: allowed_policy_arns.iter().cloned().collect::<BTreeSet<_>>(),
            // Empty (an environment variable set to ""): no boundary, as when unset.
            permissions_boundary: role_permissions_boundary.clone().filter(|b| !b.is_empty()),
            allow_inline_policies: *allow_inline_policies,
            image_tag_policy: *image_tag_policy,
            prices,
        };
        config.check()?;
        Ok(config)
    }
}

fn crdgen(mut out: Vec<PathBuf>, write: bool) -> Result<(), String> {
    if write {
        out = fargate_operator::crdgen::CRD_DIRS
            .iter()
            .map(PathBuf::from)
            .collect();
    }
    if out.is_empty() {
        print!(
            "{}",
            fargate_operator::crdgen::crds_yaml().map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    for dir in out {
        fargate_operator::crdgen::write_crds(&dir).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))
}

async fn connect(region: &str, aws: &AwsArgs) -> fargate_operator::aws::Aws {
    let settings = AwsSettings {
        region: Some(region.to_owned()),
        endpoint_url: aws.endpoint_url.clone(),
        limits: aws.aws_rate_limits.clone(),
    };
    fargate_operator::aws::sdk::connect(&settings)
        .await
        .0
        .retried(Default::default())
}

/// Exit code 1: some object cannot be planned (invalid, conflict, ...).
fn plan(
    planner: &PlannerArgs,
    observe: bool,
    aws: &AwsArgs,
    output: Output,
) -> Result<bool, String> {
    let config = planner.config.config()?;
    let manifests = fargate_operator::manifests::load(&planner.files).map_err(|e| e.to_string())?;
    let plans = if observe {
        runtime()?.block_on(async {
            let aws = connect(&planner.config.region, aws).await;
            run::plan_observed(&aws, &config, &manifests)
                .await
                .map_err(|e| format!("observing AWS: {e}"))
        })?
    } else {
        plan_all(
            &manifests,
            &config,
            |_| Default::default(),
            |_, _| Default::default(),
        )
    };
    match output {
        Output::Text => print!("{}", render::render(&plans)),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&plans).map_err(|e| e.to_string())?
        ),
    }
    for s in &manifests.skipped {
        eprintln!("note: ignored {s}");
    }
    Ok(plans.iter().all(|p| matches!(p.outcome, Outcome::Plan(_))))
}

fn print_results(
    results: &[run::ObjectResult],
    output: Output,
    text: fn(&[run::ObjectResult]) -> String,
) -> Result<bool, String> {
    match output {
        Output::Text => print!("{}", text(results)),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(results).map_err(|e| e.to_string())?
        ),
    }
    Ok(results.iter().all(|r| r.failure.is_none()))
}

/// Exit code 1: some object did not converge (or, with --wait, did not become Ready).
fn apply(
    planner: &PlannerArgs,
    aws: &AwsArgs,
    options: run::ApplyOptions,
    output: Output,
) -> Result<bool, String> {
    let config = planner.config.config()?;
    let manifests = fargate_operator::manifests::load(&planner.files).map_err(|e| e.to_string())?;
    let results = runtime()?.block_on(async {
        let aws = connect(&planner.config.region, aws).await;
        run::apply(&aws, &config, &manifests, &options).await
    });
    print_results(&results, output, run::render_table)
}

/// Exit code 1: some object's cleanup did not finish.
fn delete(files: &[PathBuf], region: &str, aws: &AwsArgs, output: Output) -> Result<bool, String> {
    let manifests = fargate_operator::manifests::load(files).map_err(|e| e.to_string())?;
    let results = runtime()?.block_on(async {
        let aws = connect(region, aws).await;
        run::delete(
            &aws,
            &manifests,
            fargate_operator::engine::DEFAULT_MAX_PASSES,
        )
        .await
    });
    print_results(&results, output, run::render_cleanup)
}

/// The namespace this pod runs in, when in a cluster.
fn pod_namespace() -> Option<String> {
    std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("fargate-operator-{}", std::process::id()))
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down: finishing reconciles in flight");
}

/// Runs the controller until SIGTERM.
fn run_controller(args: RunArgs) -> Result<bool, String> {
    let RunArgs {
        config,
        aws,
        namespaces,
        label_selector,
        concurrency,
        resync,
        poll,
        deep_check_every,
        metrics_addr,
        leader_elect,
        lease_name,
        lease_namespace,
        identity,
        log_level,
        log_format,
    } = args;
    telemetry::init(&log_level, log_format)?;
    let plan = config.config()?;
    let run_config = controller::run::RunConfig {
        settings: controller::Settings {
            plan,
            resync,
            poll,
            deep_check_every,
            ..Default::default()
        },
        namespaces: namespaces.into_iter().filter(|n| !n.is_empty()).collect(),
        label_selector,
        concurrency: concurrency.max(1),
        metrics_addr,
        leader_election: leader_elect.then(|| controller::run::LeaseSettings {
            name: lease_name,
            namespace: lease_namespace
                .or_else(pod_namespace)
                .unwrap_or_else(|| "default".into()),
            identity: identity.unwrap_or_else(host_name),
            duration_secs: 15,
            grace_secs: 5,
        }),
        aws: AwsSettings {
            region: Some(config.region.clone()),
            endpoint_url: aws.endpoint_url,
            limits: aws.aws_rate_limits,
        },
    };
    runtime()?
        .block_on(controller::run::run(run_config, shutdown_signal()))
        .map_err(|e| e.to_string())?;
    Ok(true)
}

/// jemalloc rather than glibc's malloc, with its background threads returning freed pages
/// to the kernel after a few seconds: glibc kept what a relist freed (BENCHMARKS.md, 6).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Before any kube or AWS client exists: one rustls crypto provider (src/tls.rs).
    fargate_operator::tls::install_crypto_provider();
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Run(_)) {
        if let Err(e) = telemetry::init("warn", LogFormat::Text) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::Run(args) => run_controller(*args),
        Command::Crdgen { out, write } => crdgen(out, write).map(|()| true),
        Command::Plan {
            planner,
            observe,
            aws,
            output,
        } => plan(&planner, observe, &aws, output),
        Command::Apply {
            planner,
            aws,
            wait,
            timeout,
            output,
        } => apply(
            &planner,
            &aws,
            run::ApplyOptions {
                wait,
                timeout,
                ..Default::default()
            },
            output,
        ),
        Command::Delete {
            files,
            region,
            aws,
            output,
        } => delete(&files, &region, &aws, output),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

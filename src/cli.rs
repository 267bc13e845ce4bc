//! The command line: clap's types for every subcommand and flag, the conversions from flags
//! to the operator's settings ([`PlanConfig`], [`controller::run::RunConfig`], [`AwsSettings`]),
//! and what each subcommand does. `main.rs` only parses, starts telemetry and dispatches.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::api::images::ImageTagPolicy;
use crate::aws::sdk::AwsSettings;
use crate::batch::Outcome;
use crate::controller::{self, Settings};
use crate::engine::run;
use crate::plan::tenant::Floor;
use crate::plan::{PlanConfig, PriceTable};
use crate::telemetry::LogFormat;

#[derive(Parser)]
#[command(
    name = "fargate-operator",
    version,
    about = "Run containers on Amazon ECS/Fargate by writing Kubernetes objects"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// running == desired) and every FargateTask's run finished (Ready: it succeeded).
        #[arg(long)]
        wait: bool,
        /// How long --wait waits, e.g. 300s, 10m.
        #[arg(long, default_value_t = Period(run::ApplyOptions::default().timeout), value_parser = parse_period)]
        timeout: Period,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Run the controller: watch TaskDefinitions, FargateServices and FargateTasks in the cluster of the
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
pub struct RunArgs {
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
    #[arg(long, default_value_t = Period(Settings::DEFAULT_RESYNC), value_parser = parse_period, env = "FARGATE_OPERATOR_RESYNC")]
    resync: Period,
    /// How often a deploying service (or an object waiting on another) is re-read.
    #[arg(long, default_value_t = Period(Settings::DEFAULT_POLL), value_parser = parse_period, env = "FARGATE_OPERATOR_POLL")]
    poll: Period,
    /// Every this-many-th resync of a settled object also re-reads what rarely drifts (a
    /// TaskDefinition's roles, log groups and revisions; a service's autoscaling and
    /// cluster); every this-many-squared-th re-reads everything.
    #[arg(long, default_value_t = Settings::DEFAULT_DEEP_CHECK_EVERY, value_parser = clap::value_parser!(u32).range(1..=1000), env = "FARGATE_OPERATOR_DEEP_CHECK_EVERY")]
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
pub struct AwsArgs {
    /// Send every AWS call to this endpoint (a local emulator). The SDK also reads
    /// AWS_ENDPOINT_URL.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Client-side rate limits, `category=burst/per-second` (comma-separated), overriding
    /// the defaults (80 % of AWS's published limits). Categories: ecs-service-write,
    /// ecs-register-task-definition, ecs-describe-services, ecs-read, ecs-write, iam,
    /// autoscaling, logs, elb.
    #[arg(long, env = "FARGATE_OPERATOR_AWS_RATE_LIMITS", default_value = "")]
    aws_rate_limits: crate::aws::limits::Limits,
}

/// A duration as the flags write it: whole hours, minutes or seconds. Its `Display` is what
/// `--help` shows as a default (`5m`, `15s`), so each default is written once, where the
/// setting it fills is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period(pub Duration);

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_secs() {
            s if s > 0 && s % 3600 == 0 => write!(f, "{}h", s / 3600),
            s if s > 0 && s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

fn parse_period(s: &str) -> Result<Period, String> {
    parse_duration(s).map(Period)
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
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
pub struct PlannerArgs {
    /// Manifest files or directories (YAML or JSON, multi-document).
    #[arg(short = 'f', long = "filename", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
}

/// What the planner is allowed to do (shared by plan, apply and run).
#[derive(clap::Args)]
pub struct ConfigArgs {
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
    /// Let objects adopt existing, untagged ECS services and families with the
    /// `ecs.fargate.dev/adopt` annotation (a FargateTenant must allow it too). Off: adopting
    /// is refused as NotAllowed.
    #[arg(long, env = "FARGATE_OPERATOR_ALLOW_ADOPTION")]
    allow_adoption: bool,
    /// Role ARNs a spec may name (task/execution roles, deployment and hook roles), exact or
    /// prefixes ending in `*` (comma-separated); no FargateTenant can widen it. Empty: any.
    #[arg(
        long,
        value_delimiter = ',',
        env = "FARGATE_OPERATOR_ALLOWED_ROLE_ARNS"
    )]
    allowed_role_arns: Vec<String>,
}

impl ConfigArgs {
    pub fn config(&self) -> Result<PlanConfig, String> {
        let Self {
            region,
            image_tag_policy,
            allowed_policy_arns,
            role_permissions_boundary,
            allow_inline_policies,
            price_table,
            allow_adoption,
            allowed_role_arns,
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
            floor: Floor {
                allow_adoption: *allow_adoption,
                allowed_role_arns: allowed_role_arns
                    .iter()
                    .filter(|a| !a.is_empty())
                    .cloned()
                    .collect(),
            },
            tenant: None,
        };
        config.check()?;
        Ok(config)
    }
}

fn crdgen(mut out: Vec<PathBuf>, write: bool) -> Result<(), String> {
    if write {
        out = crate::crdgen::CRD_DIRS.iter().map(PathBuf::from).collect();
    }
    if out.is_empty() {
        print!("{}", crate::crdgen::crds_yaml().map_err(|e| e.to_string())?);
        return Ok(());
    }
    for dir in out {
        crate::crdgen::write_crds(&dir).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))
}

impl AwsArgs {
    /// The AWS clients' settings for `region`.
    pub fn settings(&self, region: &str) -> AwsSettings {
        let Self {
            endpoint_url,
            aws_rate_limits,
        } = self;
        AwsSettings {
            region: Some(region.to_owned()),
            endpoint_url: endpoint_url.clone(),
            limits: aws_rate_limits.clone(),
        }
    }
}

/// The operator's own clients, and FargateTenants' accounts and regions (with the default
/// retries).
async fn connect(region: &str, aws: &AwsArgs) -> crate::aws::accounts::Accounts {
    crate::aws::sdk::connect_accounts(&aws.settings(region))
        .await
        .0
        .wrapped(|aws| aws.retried(Default::default()))
}

/// Exit code 1: some object cannot be planned (invalid, conflict, ...).
fn plan(
    planner: &PlannerArgs,
    observe: bool,
    aws: &AwsArgs,
    output: Output,
) -> Result<bool, String> {
    let config = planner.config.config()?;
    let manifests = crate::manifests::load(&planner.files).map_err(|e| e.to_string())?;
    let plans = runtime()?.block_on(async {
        let accounts = match observe {
            true => Some(connect(&planner.config.region, aws).await),
            false => None,
        };
        crate::engine::tenancy::plan(accounts.as_ref(), &config, &manifests)
            .await
            .map_err(|e| format!("observing AWS: {e}"))
    })?;
    match output {
        Output::Text => print!("{}", crate::batch::render_text(&plans)),
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
    let manifests = crate::manifests::load(&planner.files).map_err(|e| e.to_string())?;
    let results = runtime()?.block_on(async {
        let accounts = connect(&planner.config.region, aws).await;
        crate::engine::tenancy::apply(&accounts, &config, &manifests, &options).await
    });
    print_results(&results, output, run::render_table)
}

/// Exit code 1: some object's cleanup did not finish.
fn delete(files: &[PathBuf], region: &str, aws: &AwsArgs, output: Output) -> Result<bool, String> {
    let manifests = crate::manifests::load(files).map_err(|e| e.to_string())?;
    // Only where each namespace's objects live matters to a cleanup: the tenant's region
    // (else this one) and account.
    let config = PlanConfig {
        region: region.to_owned(),
        ..PlanConfig::default()
    };
    let results = runtime()?.block_on(async {
        let accounts = connect(region, aws).await;
        let max_passes = crate::engine::DEFAULT_MAX_PASSES;
        crate::engine::tenancy::delete(&accounts, &config, &manifests, max_passes).await
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

impl RunArgs {
    /// The controller's configuration. The Lease's namespace and identity fall back to the
    /// pod's namespace (else `default`) and the host name.
    pub fn run_config(self) -> Result<controller::run::RunConfig, String> {
        self.run_config_with(pod_namespace, host_name)
    }

    fn run_config_with(
        self,
        pod_namespace: impl FnOnce() -> Option<String>,
        host_name: impl FnOnce() -> String,
    ) -> Result<controller::run::RunConfig, String> {
        let Self {
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
            // Read by `Command::log_settings`, before this runs.
            log_level: _,
            log_format: _,
        } = self;
        let plan = config.config()?;
        Ok(controller::run::RunConfig {
            settings: Settings {
                plan,
                resync: resync.0,
                poll: poll.0,
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
            aws: aws.settings(&config.region),
        })
    }
}

/// Runs the controller until SIGTERM.
fn run_controller(args: RunArgs) -> Result<bool, String> {
    let run_config = args.run_config()?;
    runtime()?
        .block_on(controller::run::run(run_config, shutdown_signal()))
        .map_err(|e| e.to_string())?;
    Ok(true)
}

impl Command {
    /// The log filter and format: the flags of `run`, `warn` as text for the others.
    pub fn log_settings(&self) -> (&str, LogFormat) {
        match self {
            Self::Run(args) => (&args.log_level, args.log_format),
            _ => ("warn", LogFormat::Text),
        }
    }

    /// Runs the subcommand. `Ok(false)`: it ran, and some object failed (exit code 1);
    /// `Err`: it could not run (exit code 2).
    pub fn run(self) -> Result<bool, String> {
        match self {
            Self::Run(args) => run_controller(*args),
            Self::Crdgen { out, write } => crdgen(out, write).map(|()| true),
            Self::Plan {
                planner,
                observe,
                aws,
                output,
            } => plan(&planner, observe, &aws, output),
            Self::Apply {
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
                    timeout: timeout.0,
                    ..Default::default()
                },
                output,
            ),
            Self::Delete {
                files,
                region,
                aws,
                output,
            } => delete(&files, &region, &aws, output),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("fargate-operator").chain(args.iter().copied()))
            .map(|cli| cli.command)
    }

    fn run_args(args: &[&str]) -> RunArgs {
        match parse(&[&["run"], args].concat()).unwrap() {
            Command::Run(args) => *args,
            _ => unreachable!("parsed run"),
        }
    }

    fn run_config(args: &[&str]) -> Result<controller::run::RunConfig, String> {
        run_args(args).run_config_with(|| Some("pod-ns".into()), || "host-1".into())
    }

    /// The region when neither --region nor AWS_REGION says otherwise.
    fn default_region() -> String {
        std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into())
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_defaults_are_the_controllers_defaults() {
        let config = run_config(&[]).unwrap();
        let defaults = controller::Settings::default();
        assert_eq!(config.settings.resync, defaults.resync);
        assert_eq!(config.settings.resync, Duration::from_secs(300));
        assert_eq!(config.settings.poll, defaults.poll);
        assert_eq!(config.settings.poll, Duration::from_secs(15));
        assert_eq!(config.settings.deep_check_every, defaults.deep_check_every);
        assert_eq!(config.settings.deep_check_every, 10);
        assert_eq!(config.settings.max_passes, defaults.max_passes);
        assert_eq!(config.concurrency, 8);
        assert_eq!(config.metrics_addr, "127.0.0.1:8080".parse().unwrap());
        assert!(config.namespaces.is_empty());
        assert_eq!(config.label_selector, None);
        assert!(config.leader_election.is_none());
        assert_eq!(
            config.aws.region.as_deref(),
            Some(default_region().as_str())
        );
        assert_eq!(config.aws.endpoint_url, None);
        let plan = &config.settings.plan;
        assert_eq!(plan.region, default_region());
        assert_eq!(plan.image_tag_policy, ImageTagPolicy::Warn);
        assert!(plan.allowed_policy_arns.is_empty());
        assert_eq!(plan.permissions_boundary, None);
        assert!(!plan.allow_inline_policies);
        assert!(!plan.floor.allow_adoption);
        assert!(plan.floor.allowed_role_arns.is_empty());
    }

    #[test]
    fn run_flags_reach_the_run_config() {
        let config = run_config(&[
            "--namespaces=a,,b",
            "--label-selector=team=payments",
            "--concurrency=0",
            "--resync=10m",
            "--poll=1h",
            "--deep-check-every=3",
            "--metrics-addr=0.0.0.0:9090",
            "--region=eu-west-1",
            "--image-tag-policy=deny",
            "--allowed-policy-arns=arn:b,arn:a,arn:b",
            "--allow-inline-policies",
            "--allow-adoption",
            "--allowed-role-arns=arn:aws:iam::123456789012:role/team-a/*,",
            "--endpoint-url=http://localhost:5000",
        ])
        .unwrap();
        assert_eq!(config.namespaces, ["a", "b"]);
        assert_eq!(config.label_selector.as_deref(), Some("team=payments"));
        assert_eq!(config.concurrency, 1, "0 means one at a time");
        assert_eq!(config.settings.resync, Duration::from_secs(600));
        assert_eq!(config.settings.poll, Duration::from_secs(3600));
        assert_eq!(config.settings.deep_check_every, 3);
        assert_eq!(config.metrics_addr, "0.0.0.0:9090".parse().unwrap());
        let plan = &config.settings.plan;
        assert_eq!(plan.region, "eu-west-1");
        assert_eq!(plan.image_tag_policy, ImageTagPolicy::Deny);
        assert_eq!(
            plan.allowed_policy_arns.iter().collect::<Vec<_>>(),
            ["arn:a", "arn:b"]
        );
        assert!(plan.allow_inline_policies);
        assert!(plan.floor.allow_adoption);
        assert_eq!(
            plan.floor.allowed_role_arns,
            ["arn:aws:iam::123456789012:role/team-a/*"]
        );
        assert_eq!(config.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            config.aws.endpoint_url.as_deref(),
            Some("http://localhost:5000")
        );
    }

    #[test]
    fn the_lease_falls_back_to_the_pods_namespace_and_the_host_name() {
        let lease = run_config(&["--leader-elect"])
            .unwrap()
            .leader_election
            .unwrap();
        assert_eq!(lease.name, "fargate-operator");
        assert_eq!(lease.namespace, "pod-ns");
        assert_eq!(lease.identity, "host-1");
        assert_eq!((lease.duration_secs, lease.grace_secs), (15, 5));

        let outside_a_pod = run_args(&["--leader-elect"])
            .run_config_with(|| None, || "host-1".into())
            .unwrap();
        assert_eq!(outside_a_pod.leader_election.unwrap().namespace, "default");

        let named = run_config(&[
            "--leader-elect",
            "--lease-name=l",
            "--lease-namespace=ns",
            "--identity=me",
        ])
        .unwrap()
        .leader_election
        .unwrap();
        assert_eq!(
            (named.name, named.namespace, named.identity),
            ("l".into(), "ns".into(), "me".into())
        );
    }

    #[test]
    fn run_log_flags_choose_the_telemetry_and_other_commands_log_warnings() {
        let command = parse(&["run", "--log-level=debug", "--log-format=json"]).unwrap();
        assert_eq!(command.log_settings(), ("debug", LogFormat::Json));
        let command = parse(&["run"]).unwrap();
        assert_eq!(command.log_settings(), ("info", LogFormat::Text));
        let command = parse(&["plan", "-f", "x.yaml"]).unwrap();
        assert_eq!(command.log_settings(), ("warn", LogFormat::Text));
    }

    #[test]
    fn the_permissions_boundary_is_checked_before_anything_runs() {
        let placeholder = "--role-permissions-boundary=arn:aws:iam::ACCOUNT_ID:policy/b";
        let e = run_config(&[placeholder]).unwrap_err();
        assert!(e.contains("replace ACCOUNT_ID"), "{e}");
        assert!(
            e.contains("FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY"),
            "{e}"
        );

        let e = run_config(&["--role-permissions-boundary=boundary"]).unwrap_err();
        assert!(e.contains("not an IAM policy ARN"), "{e}");

        let arn = "arn:aws:iam::123456789012:policy/fargate-operator-boundary";
        let config = run_config(&[&format!("--role-permissions-boundary={arn}")]).unwrap();
        assert_eq!(
            config.settings.plan.permissions_boundary.as_deref(),
            Some(arn)
        );

        // An environment variable set to "": no boundary, as when unset.
        let config = run_config(&["--role-permissions-boundary="]).unwrap();
        assert_eq!(config.settings.plan.permissions_boundary, None);

        // plan and apply check it too.
        let Command::Plan { planner, .. } = parse(&["plan", "-f", "x.yaml", placeholder]).unwrap()
        else {
            unreachable!("parsed plan")
        };
        assert!(planner.config.config().is_err());
    }

    #[test]
    fn a_missing_price_table_is_an_error_naming_the_file() {
        let e = run_config(&["--price-table=/nonexistent/prices.yaml"]).unwrap_err();
        assert!(e.starts_with("reading /nonexistent/prices.yaml"), "{e}");
    }

    #[test]
    fn apply_defaults_and_flags() {
        let Command::Apply {
            planner,
            wait,
            timeout,
            output,
            ..
        } = parse(&["apply", "-f", "a.yaml", "--filename", "b"]).unwrap()
        else {
            unreachable!("parsed apply")
        };
        assert_eq!(planner.files, [PathBuf::from("a.yaml"), PathBuf::from("b")]);
        assert!(!wait);
        assert_eq!(timeout.0, run::ApplyOptions::default().timeout);
        assert_eq!(timeout.0, Duration::from_secs(600));
        assert!(matches!(output, Output::Text));

        let Command::Apply {
            wait,
            timeout,
            output,
            ..
        } = parse(&["apply", "-f", "a", "--wait", "--timeout=90s", "-o", "json"]).unwrap()
        else {
            unreachable!("parsed apply")
        };
        assert!(wait);
        assert_eq!(timeout.0, Duration::from_secs(90));
        assert!(matches!(output, Output::Json));
    }

    #[test]
    fn refused_command_lines() {
        let kind = |args: &[&str]| parse(args).err().map(|e| e.kind());
        assert_eq!(kind(&["plan"]), Some(ErrorKind::MissingRequiredArgument));
        assert_eq!(kind(&["apply"]), Some(ErrorKind::MissingRequiredArgument));
        assert_eq!(kind(&["delete"]), Some(ErrorKind::MissingRequiredArgument));
        assert_eq!(
            kind(&["crdgen", "--out", "d", "--write"]),
            Some(ErrorKind::ArgumentConflict)
        );
        assert_eq!(
            kind(&["run", "--deep-check-every=0"]),
            Some(ErrorKind::ValueValidation)
        );
        assert_eq!(
            kind(&["run", "--deep-check-every=1001"]),
            Some(ErrorKind::ValueValidation)
        );
        assert_eq!(
            kind(&["run", "--log-format=xml"]),
            Some(ErrorKind::InvalidValue)
        );
        assert_eq!(
            kind(&["plan", "-f", "x", "-o", "yaml"]),
            Some(ErrorKind::InvalidValue)
        );
        let e = parse(&["run", "--resync=5d"]).err().unwrap().to_string();
        assert!(e.contains("\"5d\": unit must be s, m or h"), "{e}");
        let e = parse(&["apply", "-f", "x", "--timeout=soon"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("\"soon\" is not a duration like 90s, 10m or 1h"),
            "{e}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("1d").is_err());
    }

    /// The defaults `--help` shows come from the settings they fill.
    #[test]
    fn periods_print_as_the_flags_write_them() {
        for (secs, text) in [
            (300, "5m"),
            (15, "15s"),
            (600, "10m"),
            (7200, "2h"),
            (90, "90s"),
            (0, "0s"),
        ] {
            let period = Period(Duration::from_secs(secs));
            assert_eq!(period.to_string(), text);
            assert_eq!(parse_period(text), Ok(period), "{text} reads back");
        }
        let help = |sub: &str| {
            let mut cli = Cli::command();
            cli.find_subcommand_mut(sub)
                .unwrap()
                .render_long_help()
                .to_string()
        };
        let run = help("run");
        assert!(run.contains("[default: 5m]"), "{run}");
        assert!(run.contains("[default: 15s]"), "{run}");
        assert!(run.contains("[default: 10]"), "{run}");
        assert!(help("apply").contains("[default: 10m]"));
    }

    /// The environment variables the install manifests and the Helm chart set.
    #[test]
    fn environment_variable_names() {
        let env = |subcommand: &str| -> Vec<(String, String)> {
            let mut cli = Cli::command();
            cli.build();
            let sub = cli.find_subcommand(subcommand).unwrap();
            sub.get_arguments()
                .filter_map(|a| {
                    let env = a.get_env()?.to_str()?.to_owned();
                    Some((a.get_id().to_string(), env))
                })
                .collect()
        };
        let expected = [
            ("region", "AWS_REGION"),
            ("image_tag_policy", "FARGATE_OPERATOR_IMAGE_TAG_POLICY"),
            (
                "allowed_policy_arns",
                "FARGATE_OPERATOR_ALLOWED_POLICY_ARNS",
            ),
            (
                "role_permissions_boundary",
                "FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY",
            ),
            (
                "allow_inline_policies",
                "FARGATE_OPERATOR_ALLOW_INLINE_POLICIES",
            ),
            ("allow_adoption", "FARGATE_OPERATOR_ALLOW_ADOPTION"),
            ("allowed_role_arns", "FARGATE_OPERATOR_ALLOWED_ROLE_ARNS"),
            ("aws_rate_limits", "FARGATE_OPERATOR_AWS_RATE_LIMITS"),
            ("namespaces", "FARGATE_OPERATOR_NAMESPACES"),
            ("label_selector", "FARGATE_OPERATOR_LABEL_SELECTOR"),
            ("concurrency", "FARGATE_OPERATOR_CONCURRENCY"),
            ("resync", "FARGATE_OPERATOR_RESYNC"),
            ("poll", "FARGATE_OPERATOR_POLL"),
            ("deep_check_every", "FARGATE_OPERATOR_DEEP_CHECK_EVERY"),
            ("metrics_addr", "FARGATE_OPERATOR_METRICS_ADDR"),
            ("leader_elect", "FARGATE_OPERATOR_LEADER_ELECT"),
            ("lease_name", "FARGATE_OPERATOR_LEASE_NAME"),
            ("lease_namespace", "POD_NAMESPACE"),
            ("identity", "POD_NAME"),
            ("log_level", "FARGATE_OPERATOR_LOG_LEVEL"),
            ("log_format", "FARGATE_OPERATOR_LOG_FORMAT"),
        ];
        let mut run = env("run");
        run.sort();
        let mut expected: Vec<_> = expected
            .iter()
            .map(|(a, e)| (a.to_string(), e.to_string()))
            .collect();
        expected.sort();
        assert_eq!(run, expected);
        assert!(env("plan").contains(&(
            "aws_rate_limits".into(),
            "FARGATE_OPERATOR_AWS_RATE_LIMITS".into()
        )));
        assert!(env("delete").contains(&("region".into(), "AWS_REGION".into())));
    }
}

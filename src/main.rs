use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use fargate_operator::aws::sdk::AwsSettings;
use fargate_operator::engine::run;

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
    /// Print both CRDs as YAML, or write them to a directory.
    Crdgen {
        /// Write one file per CRD into this directory instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
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
struct AwsArgs {
    /// Send every AWS call to this endpoint (a local emulator). The SDK also reads
    /// AWS_ENDPOINT_URL.
    #[arg(long)]
    endpoint_url: Option<String>,
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
    /// Permissions boundary put on every managed role.
    #[arg(long, env = "FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY")]
    role_permissions_boundary: Option<String>,
    /// Allow inline policies on managed roles without a permissions boundary.
    #[arg(long, env = "FARGATE_OPERATOR_ALLOW_INLINE_POLICIES")]
    allow_inline_policies: bool,
    /// YAML file overriding the Fargate price table used for cost estimates.
    #[arg(long)]
    price_table: Option<PathBuf>,
}

impl PlannerArgs {
    fn config(&self) -> Result<PlanConfig, String> {
        let Self {
            files: _,
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
        Ok(PlanConfig {
            region: region.clone(),
            allowed_policy_arns: allowed_policy_arns.iter().cloned().collect::<BTreeSet<_>>(),
            permissions_boundary: role_permissions_boundary.clone(),
            allow_inline_policies: *allow_inline_policies,
            image_tag_policy: *image_tag_policy,
            prices,
        })
    }
}

fn crdgen(out: Option<PathBuf>) -> Result<(), String> {
    match out {
        Some(dir) => fargate_operator::crdgen::write_crds(&dir).map_err(|e| e.to_string()),
        None => {
            print!(
                "{}",
                fargate_operator::crdgen::crds_yaml().map_err(|e| e.to_string())?
            );
            Ok(())
        }
    }
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
    };
    fargate_operator::aws::sdk::connect(&settings).await.0
}

/// Exit code 1: some object cannot be planned (invalid, conflict, ...).
fn plan(
    planner: &PlannerArgs,
    observe: bool,
    aws: &AwsArgs,
    output: Output,
) -> Result<bool, String> {
    let config = planner.config()?;
    let manifests = fargate_operator::manifests::load(&planner.files).map_err(|e| e.to_string())?;
    let plans = if observe {
        runtime()?.block_on(async {
            let aws = connect(&planner.region, aws).await;
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
    let config = planner.config()?;
    let manifests = fargate_operator::manifests::load(&planner.files).map_err(|e| e.to_string())?;
    let results = runtime()?.block_on(async {
        let aws = connect(&planner.region, aws).await;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let result = match cli.command {
        Command::Crdgen { out } => crdgen(out).map(|()| true),
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

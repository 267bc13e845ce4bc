use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// account).
    Plan {
        #[command(flatten)]
        planner: PlannerArgs,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "text")]
        output: Output,
    },
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

/// Exit code 1: some object cannot be planned (invalid, conflict, ...).
fn plan(planner: &PlannerArgs, output: Output) -> Result<bool, String> {
    let config = planner.config()?;
    let manifests = fargate_operator::manifests::load(&planner.files).map_err(|e| e.to_string())?;
    let plans = plan_all(
        &manifests,
        &config,
        |_| Default::default(),
        |_, _| Default::default(),
    );
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Crdgen { out } => crdgen(out).map(|()| true),
        Command::Plan { planner, output } => plan(&planner, output),
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

//! `plan`, `apply` and `delete` from files under the FargateTenants among them: the objects
//! grouped by namespace, each group reconciled with its tenant's account, region, defaults
//! and rules (as `run` does in a cluster). Without tenants in the files, every object uses
//! the operator's own account and settings, in one group.

use std::collections::BTreeSet;

use kube::ResourceExt;

use super::run::{self, ApplyOptions, ObjectResult};
use crate::api::reasons;
use crate::aws::accounts::{Accounts, Scope};
use crate::aws::{Aws, AwsError};
use crate::batch::{ObjectPlan, Outcome};
use crate::manifests::Manifests;
use crate::plan::tenant::{
    governed_fargate_service, governed_fargate_task, governed_task_definition, tenant_for,
    TenancyError,
};
use crate::plan::PlanConfig;

/// The objects of one namespace (or all of them, without tenants), with their tenant's
/// defaults filled in, and where and how they are reconciled, or why they cannot be.
pub struct Group {
    pub manifests: Manifests,
    pub governed: Result<(Scope, PlanConfig), (&'static str, String)>,
}

/// The namespaces of `m`'s objects.
fn namespaces(m: &Manifests) -> BTreeSet<String> {
    m.task_definitions
        .iter()
        .filter_map(|o| o.namespace())
        .chain(m.services.iter().filter_map(|o| o.namespace()))
        .chain(m.tasks.iter().filter_map(|o| o.namespace()))
        .collect()
}

/// `m`'s objects of `namespace`, with `config`'s tenant's defaults.
fn of_namespace(m: &Manifests, namespace: &str, config: &PlanConfig) -> Manifests {
    let here = |ns: Option<String>| ns.as_deref() == Some(namespace);
    Manifests {
        task_definitions: m
            .task_definitions
            .iter()
            .filter(|o| here(o.namespace()))
            .map(|o| governed_task_definition(o, config).into_owned())
            .collect(),
        services: m
            .services
            .iter()
            .filter(|o| here(o.namespace()))
            .map(|o| governed_fargate_service(o, config).into_owned())
            .collect(),
        tasks: m
            .tasks
            .iter()
            .filter(|o| here(o.namespace()))
            .map(|o| governed_fargate_task(o, config).into_owned())
            .collect(),
        skipped: vec![],
        ..Manifests::default()
    }
}

/// `m`'s objects grouped as they are reconciled.
pub fn groups(config: &PlanConfig, m: &Manifests) -> Vec<Group> {
    if m.tenants.is_empty() {
        return vec![Group {
            manifests: m.clone(),
            governed: Ok((Scope::default(), config.clone())),
        }];
    }
    let mut out = vec![];
    for namespace in namespaces(m) {
        let labels = m.namespace_labels.get(&namespace);
        let governed = match tenant_for(&namespace, labels, &m.tenants) {
            Err(e @ TenancyError::Ambiguous { .. }) => Err((reasons::NOT_ALLOWED, e.to_string())),
            Err(e) => Err((
                reasons::TENANT_UNAVAILABLE,
                format!("{e}: add the Namespace (with its labels) to the files"),
            )),
            Ok(tenant) => Ok((Scope::of(tenant.as_ref()), config.governed_by(tenant))),
        };
        let for_defaults = governed.as_ref().map_or(config, |(_, c)| c);
        out.push(Group {
            manifests: of_namespace(m, &namespace, for_defaults),
            governed,
        });
    }
    out
}

/// What a group is reconciled with: its scope's clients and its settings.
async fn connected(
    accounts: &Accounts,
    g: &Group,
) -> Result<(Aws, PlanConfig), (&'static str, String)> {
    let (scope, config) = g.governed.clone()?;
    match accounts.aws_for(&scope).await {
        Ok(aws) => Ok((aws, config)),
        Err(e) => Err((reasons::TENANT_UNAVAILABLE, e.to_string())),
    }
}

/// `apply` of every group.
pub async fn apply(
    accounts: &Accounts,
    config: &PlanConfig,
    m: &Manifests,
    options: &ApplyOptions,
) -> Vec<ObjectResult> {
    let mut results = vec![];
    for g in groups(config, m) {
        match connected(accounts, &g).await {
            Ok((aws, config)) => {
                results.extend(run::apply(&aws, &config, &g.manifests, options).await)
            }
            Err((reason, message)) => results.extend(run::refused(&g.manifests, reason, &message)),
        }
    }
    results
}

/// `delete` of every group.
pub async fn delete(
    accounts: &Accounts,
    config: &PlanConfig,
    m: &Manifests,
    max_passes: usize,
) -> Vec<ObjectResult> {
    let mut results = vec![];
    for g in groups(config, m) {
        match connected(accounts, &g).await {
            Ok((aws, _)) => results.extend(run::delete(&aws, &g.manifests, max_passes).await),
            Err((reason, message)) => results.extend(run::refused(&g.manifests, reason, &message)),
        }
    }
    results
}

/// `plan`: against the live accounts with `accounts`, else against empty ones (no AWS call).
pub async fn plan(
    accounts: Option<&Accounts>,
    config: &PlanConfig,
    m: &Manifests,
) -> Result<Vec<ObjectPlan>, AwsError> {
    let mut plans = vec![];
    for g in groups(config, m) {
        let governed = match accounts {
            Some(accounts) => connected(accounts, &g).await.map(|(aws, c)| (Some(aws), c)),
            None => g.governed.clone().map(|(_, c)| (None, c)),
        };
        match governed {
            Ok((Some(aws), config)) => {
                plans.extend(run::plan_observed(&aws, &config, &g.manifests).await?)
            }
            Ok((None, config)) => plans.extend(unobserved(&g.manifests, &config)),
            Err((reason, message)) => {
                plans.extend(
                    unobserved(&g.manifests, config)
                        .into_iter()
                        .map(|p| ObjectPlan {
                            outcome: Outcome::Error {
                                reason: reason.to_owned(),
                                message: message.clone(),
                            },
                            ..p
                        }),
                );
            }
        }
    }
    Ok(plans)
}

/// Plans against an empty account.
fn unobserved(m: &Manifests, config: &PlanConfig) -> Vec<ObjectPlan> {
    crate::batch::plan_all(
        m,
        config,
        |_| Default::default(),
        |_, _, _| Default::default(),
    )
}

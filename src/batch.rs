//! Planning a set of objects together (the `plan` and `apply` front ends): TaskDefinitions
//! first, then the FargateServices, whose references resolve to the TaskDefinitions in the
//! same set.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use kube::ResourceExt;
use serde::Serialize;

use crate::api::{FargateService, TaskDefinition, ADOPT_ANNOTATION, RESTARTED_AT_ANNOTATION};
use crate::manifests::Manifests;
use crate::plan::cost::TaskSize;
use crate::plan::model::{ObservedFargateService, ObservedTaskDefinition};
use crate::plan::service::service_name;
use crate::plan::taskdef::{self, family, RoleKind, TaskDefinitionInputs};
use crate::plan::{
    plan_fargate_service, plan_task_definition, Owner, Plan, PlanConfig, PlanError, ServiceInputs,
    TaskDefinitionInfo,
};

/// The identity of an object as the planner sees it. Objects read from files have no UID;
/// they get a stable one derived from kind, namespace and name, so repeated runs agree.
pub fn owner_of<K: kube::Resource>(obj: &K, kind: &str) -> Owner {
    let namespace = obj.namespace().unwrap_or_else(|| "default".into());
    let name = obj.name_any();
    let uid = obj.meta().uid.clone().unwrap_or_else(|| {
        let h = crate::plan::hash_json(&(kind, &namespace, &name));
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    });
    Owner {
        namespace,
        name,
        uid,
        generation: obj.meta().generation.unwrap_or(1),
        adopt: obj
            .annotations()
            .get(ADOPT_ANNOTATION)
            .is_some_and(|v| v == "true"),
    }
}

/// What a TaskDefinition's observation must read.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskDefinitionLookups {
    pub family: String,
    pub log_groups: BTreeSet<String>,
    pub roles: BTreeSet<String>,
}

/// Names to look up for a TaskDefinition (valid or not, so observation never fails on a bad
/// spec).
pub fn task_definition_lookups(td: &TaskDefinition) -> TaskDefinitionLookups {
    let owner = owner_of(td, "TaskDefinition");
    let family = family(&owner, &td.spec);
    let log_groups = td
        .spec
        .containers
        .iter()
        .map(|c| {
            c.logging
                .as_ref()
                .and_then(|l| l.group.clone())
                .unwrap_or_else(|| format!("/ecs/{family}"))
        })
        .collect();
    let roles = [RoleKind::Execution, RoleKind::Task]
        .into_iter()
        .map(|k| taskdef::role_name(&owner, k))
        .collect();
    TaskDefinitionLookups {
        family,
        log_groups,
        roles,
    }
}

/// Where a FargateService lives in ECS: `(cluster, service)`.
pub fn service_location(fs: &FargateService) -> (String, String) {
    let owner = owner_of(fs, "FargateService");
    (fs.spec.cluster.name.clone(), service_name(&owner, &fs.spec))
}

/// One object's plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectPlan {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    /// ECS family (TaskDefinition) or `cluster/service` (FargateService).
    pub target: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A plan, or why there is none.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Plan(Plan),
    Error { reason: String, message: String },
}

impl ObjectPlan {
    /// The plan, if there is one.
    pub fn plan(&self) -> Option<&Plan> {
        match &self.outcome {
            Outcome::Plan(p) => Some(p),
            Outcome::Error { .. } => None,
        }
    }
}

fn outcome(r: Result<Plan, PlanError>) -> Outcome {
    match r {
        Ok(p) => Outcome::Plan(p),
        Err(e) => Outcome::Error {
            reason: e.reason().to_owned(),
            message: e.to_string(),
        },
    }
}

/// Task-definition facts the service planner needs, from a TaskDefinition spec.
pub fn task_definition_info(td: &TaskDefinition, arn: Option<String>) -> TaskDefinitionInfo {
    let owner = owner_of(td, "TaskDefinition");
    TaskDefinitionInfo {
        arn,
        family: family(&owner, &td.spec),
        size: Some(TaskSize {
            cpu: td.spec.cpu,
            memory: td.spec.memory,
            arm64: td.spec.runtime_platform.as_ref().is_some_and(|p| {
                p.cpu_architecture == crate::api::taskdefinition::CpuArchitecture::Arm64
            }),
            ephemeral_storage_gib: td.spec.ephemeral_storage_gib,
        }),
        containers: Some(
            td.spec
                .containers
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        c.port_mappings.iter().map(|p| p.container_port).collect(),
                    )
                })
                .collect(),
        ),
    }
}

/// The task definition a FargateService runs: its TaskDefinition's entry in `infos` (keyed
/// by namespace and name; absent until a revision is registered), or what is known of a
/// revision given by ARN.
pub fn referenced_task_definition(
    fs: &FargateService,
    infos: &BTreeMap<(String, String), TaskDefinitionInfo>,
) -> Option<TaskDefinitionInfo> {
    let namespace = owner_of(fs, "FargateService").namespace;
    match (&fs.spec.task_definition_ref, &fs.spec.task_definition_arn) {
        (Some(r), _) => infos.get(&(namespace, r.name.clone())).cloned(),
        (None, Some(arn)) => Some(external_task_definition(arn)),
        (None, None) => None,
    }
}

/// What the service planner knows of a task definition given by ARN (not managed here).
fn external_task_definition(arn: &str) -> TaskDefinitionInfo {
    let family = arn
        .rsplit_once('/')
        .and_then(|(_, f)| f.rsplit_once(':'))
        .map_or(arn, |(f, _)| f);
    TaskDefinitionInfo {
        arn: Some(arn.to_owned()),
        family: family.to_owned(),
        size: None,
        containers: None,
    }
}

/// Plans every object. `observe_td` / `observe_service` supply AWS state (empty for a plan
/// against an empty account); `revision_arn` gives a TaskDefinition's current revision ARN
/// when it needs no new one (None: it is registered in this run).
pub fn plan_all(
    manifests: &Manifests,
    config: &PlanConfig,
    mut observe_td: impl FnMut(&TaskDefinitionLookups) -> ObservedTaskDefinition,
    mut observe_service: impl FnMut(&str, &str) -> ObservedFargateService,
) -> Vec<ObjectPlan> {
    let mut out = vec![];
    let mut infos: BTreeMap<(String, String), TaskDefinitionInfo> = BTreeMap::new();
    for td in &manifests.task_definitions {
        let owner = owner_of(td, "TaskDefinition");
        let lookups = task_definition_lookups(td);
        let observed = observe_td(&lookups);
        let result = plan_task_definition(
            TaskDefinitionInputs {
                owner: &owner,
                spec: &td.spec,
            },
            &observed,
            config,
        );
        if let Ok(plan) = &result {
            // A revision registered in this run is pending; else the newest owned one.
            let registers = plan
                .actions
                .iter()
                .any(|a| matches!(a, crate::plan::Action::RegisterTaskDefinition { .. }));
            let current = (!registers)
                .then(|| {
                    observed
                        .revisions
                        .iter()
                        .filter(|r| owner.ownership(&r.tags) == crate::plan::Ownership::Owned)
                        .max_by_key(|r| r.revision)
                        .map(|r| r.arn.clone())
                })
                .flatten();
            infos.insert(
                (owner.namespace.clone(), owner.name.clone()),
                task_definition_info(td, current),
            );
        }
        out.push(ObjectPlan {
            kind: "TaskDefinition",
            namespace: owner.namespace.clone(),
            name: owner.name.clone(),
            target: lookups.family,
            outcome: outcome(result),
        });
    }
    for fs in &manifests.services {
        let owner = owner_of(fs, "FargateService");
        let (cluster, service) = service_location(fs);
        let td = referenced_task_definition(fs, &infos);
        let observed = observe_service(&cluster, &service);
        let result = plan_fargate_service(
            ServiceInputs {
                owner: &owner,
                spec: &fs.spec,
                restarted_at: fs
                    .annotations()
                    .get(RESTARTED_AT_ANNOTATION)
                    .map(String::as_str),
                task_definition: td.as_ref(),
            },
            &observed,
            config,
        );
        out.push(ObjectPlan {
            kind: "FargateService",
            namespace: owner.namespace,
            name: owner.name,
            target: format!("{cluster}/{service}"),
            outcome: outcome(result),
        });
    }
    out
}

/// The whole plan as text, with a summary line.
pub fn render_text(plans: &[ObjectPlan]) -> String {
    let mut out = String::new();
    let (mut create, mut update, mut delete, mut errors) = (0, 0, 0, 0);
    for p in plans {
        let _ = writeln!(out, "{} {}/{} → {}", p.kind, p.namespace, p.name, p.target);
        match &p.outcome {
            Outcome::Error { reason, message } => {
                errors += 1;
                let _ = writeln!(out, "  ✗ {reason}: {message}");
            }
            Outcome::Plan(plan) => {
                if plan.actions.is_empty() {
                    let _ = writeln!(out, "  (no changes)");
                }
                for a in &plan.actions {
                    let sign = match a.kind() {
                        crate::plan::ChangeKind::Create => {
                            create += 1;
                            '+'
                        }
                        crate::plan::ChangeKind::Update => {
                            update += 1;
                            '~'
                        }
                        crate::plan::ChangeKind::Delete => {
                            delete += 1;
                            '-'
                        }
                    };
                    let _ = writeln!(out, "  {sign} {}", a.describe());
                }
                for n in &plan.notes {
                    let _ = writeln!(out, "  ! {}: {}", n.reason, n.message);
                }
                if let Some(c) = plan.estimated_monthly_cost_usd {
                    let _ = writeln!(out, "  $ estimated cost: {c:.2} USD/month at list prices");
                }
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Plan: {create} to create, {update} to change, {delete} to delete; {errors} object(s) with errors."
    );
    out
}

//! Planning a set of objects together (the `plan` and `apply` front ends): TaskDefinitions
//! first, then the FargateServices, whose references resolve to the TaskDefinitions in the
//! same set.

use std::collections::BTreeMap;
use std::fmt::Write;

use kube::ResourceExt;
use serde::Serialize;

use crate::api::fargatetask::{FargateTask, KIND};
use crate::api::names::{
    owner_of, service_location, task_definition_lookups, Owner, Ownership, TaskDefinitionLookups,
};
use crate::api::RESTARTED_AT_ANNOTATION;
use crate::manifests::Manifests;
use crate::plan::model::{ObservedFargateService, ObservedTaskDefinition};
use crate::plan::service::{referenced_task_definition, task_definition_info};
use crate::plan::task::{plan_fargate_task, ObservedRun, TaskInputs};
use crate::plan::taskdef::TaskDefinitionInputs;
use crate::plan::tenant::{governed_fargate_service, governed_task_definition};
use crate::plan::{
    plan_fargate_service, plan_task_definition, Plan, PlanConfig, PlanError, ServiceInputs,
    TaskDefinitionInfo,
};

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

/// Plans every object. `observe_td` / `observe_service` supply AWS state (empty for a plan
/// against an empty account; a service's with its managed infrastructure role, the third
/// argument, when the spec asks for one); `revision_arn` gives a TaskDefinition's current
/// revision ARN when it needs no new one (None: it is registered in this run).
pub fn plan_all(
    manifests: &Manifests,
    config: &PlanConfig,
    observe_td: impl FnMut(&TaskDefinitionLookups) -> ObservedTaskDefinition,
    observe_service: impl FnMut(&str, &str, Option<&str>) -> ObservedFargateService,
) -> Vec<ObjectPlan> {
    plan_all_observing(manifests, config, observe_td, observe_service, |_| {
        ObservedRun::default()
    })
}

/// [`plan_all`], with the FargateTasks' runs observed by `observe_task` (`plan --observe`).
pub fn plan_all_observing(
    manifests: &Manifests,
    config: &PlanConfig,
    mut observe_td: impl FnMut(&TaskDefinitionLookups) -> ObservedTaskDefinition,
    mut observe_service: impl FnMut(&str, &str, Option<&str>) -> ObservedFargateService,
    observe_task: impl FnMut(&FargateTask) -> ObservedRun,
) -> Vec<ObjectPlan> {
    let mut out = vec![];
    let mut infos: BTreeMap<(String, String), TaskDefinitionInfo> = BTreeMap::new();
    for td in &manifests.task_definitions {
        let td = &*governed_task_definition(td, config);
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
            let mut info = task_definition_info(td, current_revision(&owner, plan, &observed));
            info.kept = observed
                .revisions
                .iter()
                .filter(|r| owner.ownership(&r.tags) == Ownership::Owned)
                .map(|r| (r.revision, r.arn.clone()))
                .collect();
            infos.insert((owner.namespace.clone(), owner.name.clone()), info);
        }
        out.push(ObjectPlan {
            kind: "TaskDefinition",
            namespace: owner.namespace.clone(),
            name: owner.name.clone(),
            target: lookups.family,
            outcome: outcome(result),
        });
    }
    out.extend(plan_tasks(manifests, config, &infos, observe_task));
    for fs in &manifests.services {
        let fs = &*governed_fargate_service(fs, config);
        let owner = owner_of(fs, "FargateService");
        let (cluster, service) = service_location(fs);
        let td = referenced_task_definition(fs, &infos);
        let role = infrastructure_role(fs);
        let mut observed = observe_service(&cluster, &service, role.as_deref());
        // Without an account no preDeploy task has run (`plan --observe` reads them).
        observed.pre_deploy.get_or_insert_with(ObservedRun::default);
        let result = plan_fargate_service(
            ServiceInputs {
                owner: &owner,
                spec: &fs.spec,
                restarted_at: fs
                    .annotations()
                    .get(RESTARTED_AT_ANNOTATION)
                    .map(String::as_str),
                task_definition: td.as_ref(),
                rolled_back: crate::plan::rollback::rolled_back_revision(
                    &observed,
                    fs.status.as_ref(),
                    owner.generation,
                )
                .as_ref(),
                pre_deploy: crate::plan::predeploy::PreDeployInputs {
                    previous: fs.status.as_ref().and_then(|s| s.pre_deploy.as_ref()),
                    task_definition_arn: None,
                    now: k8s_openapi::jiff::Timestamp::now(),
                },
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

/// The managed infrastructure role a FargateService's spec asks for, if it asks for one.
pub fn infrastructure_role(fs: &crate::api::FargateService) -> Option<String> {
    crate::api::ebs::wants_managed_role(&fs.spec).then(|| {
        crate::api::names::role_name(
            &owner_of(fs, "FargateService"),
            crate::api::names::RoleKind::Infrastructure,
        )
    })
}

/// The FargateTasks' plans: the run of each (its TaskDefinition's revision from `infos`,
/// or `<family>:<new revision>` when this plan registers it). Without a cluster there is no
/// status: what ECS lists for the object's `startedBy` is all a plan knows of earlier runs.
fn plan_tasks(
    manifests: &Manifests,
    config: &PlanConfig,
    infos: &BTreeMap<(String, String), TaskDefinitionInfo>,
    mut observe_task: impl FnMut(&FargateTask) -> ObservedRun,
) -> Vec<ObjectPlan> {
    let mut out = vec![];
    for ft in &manifests.tasks {
        let owner = owner_of(ft, KIND);
        let arn = ft.spec.task_definition_arn.clone().or_else(|| {
            let r = ft.spec.task_definition_ref.as_ref()?;
            let info = infos.get(&(owner.namespace.clone(), r.name.clone()))?;
            Some(
                info.arn
                    .clone()
                    .unwrap_or_else(|| format!("{}:<new revision>", info.family)),
            )
        });
        let observed = observe_task(ft);
        let result = crate::api::validation::validate_fargate_task(&ft.spec)
            .map_err(PlanError::Invalid)
            .and_then(|()| {
                if ft.spec.schedule.is_some() {
                    let inputs = crate::plan::schedule::ScheduleInputs {
                        owner: &owner,
                        spec: &ft.spec,
                        task_definition_arn: arn.as_deref(),
                        config,
                        now: k8s_openapi::jiff::Timestamp::now(),
                    };
                    let observed = observed.schedule.clone().unwrap_or_default();
                    return crate::plan::schedule::plan_scheduled_preview(inputs, &observed);
                }
                let inputs = TaskInputs {
                    owner: &owner,
                    spec: &ft.spec,
                    task_definition_arn: arn.as_deref(),
                    previous: ft.status.as_ref(),
                    now: k8s_openapi::jiff::Timestamp::now(),
                };
                plan_fargate_task(inputs, &observed).map(|p| p.plan)
            });
        out.push(ObjectPlan {
            kind: KIND,
            namespace: owner.namespace,
            name: owner.name,
            target: ft.spec.cluster.name.clone(),
            outcome: outcome(result),
        });
    }
    out
}

/// The revision a TaskDefinition's services deploy after its plan: None when the plan
/// registers one (pending, known by family), else the newest owned one.
fn current_revision(
    owner: &Owner,
    plan: &Plan,
    observed: &ObservedTaskDefinition,
) -> Option<String> {
    let registers = plan
        .actions
        .iter()
        .any(|a| matches!(a, crate::plan::Action::RegisterTaskDefinition { .. }));
    if registers {
        return None;
    }
    let owned = || {
        observed
            .revisions
            .iter()
            .filter(|r| owner.ownership(&r.tags) == Ownership::Owned)
    };
    // The revision the spec hashes to (an older one after a revert), else the newest.
    owned()
        .filter(|r| r.tags.get(crate::api::SPEC_HASH_TAG) == plan.spec_hash.as_ref())
        .max_by_key(|r| r.revision)
        .or_else(|| owned().max_by_key(|r| r.revision))
        .map(|r| r.arn.clone())
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
                if let Some(o) = &plan.deployment_overlap {
                    let _ = writeln!(
                        out,
                        "  $ each {} deployment: {} extra task(s) for {} min of bake time, about {:.2} USD",
                        o.strategy, o.extra_tasks, o.minutes, o.usd
                    );
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

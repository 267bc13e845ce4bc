//! `apply`, `delete` and `plan --observe` over a set of manifests, without a cluster.
//!
//! TaskDefinitions go first (a FargateService or FargateTask needs its revision),
//! FargateServices after, observed in batches per cluster, then FargateTasks. Delete goes
//! the other way: tasks stopped and services first, then the TaskDefinitions whose
//! revisions they ran.
//!
//! Without a cluster a FargateTask has no status to remember its run by: `apply` finds an
//! earlier run of the same manifest by what ECS lists for its `startedBy` (tagged with its
//! generation and attempt), which ECS keeps for about an hour after the tasks stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::observe::{observe_services, observe_task_definition, revisions_in_use};
use super::task::{cleanup_fargate_task, observe_run, reconcile_fargate_task};
use super::{
    cleanup_fargate_service, cleanup_task_definition, reconcile_fargate_service,
    reconcile_task_definition, Sync,
};
use crate::api::conditions::{condition_types as ct, is_true};
use crate::api::fargatetask::{FargateTask, FargateTaskStatus, KIND};
use crate::api::names::{owner_of, service_location, task_definition_lookups};
use crate::api::{FargateServiceStatus, TaskDefinitionStatus};
use crate::aws::{Aws, AwsError};
use crate::batch::{plan_all_observing, ObjectPlan};
use crate::manifests::Manifests;
use crate::plan::model::{ObservedFargateService, ObservedTaskDefinition};
use crate::plan::service::referenced_task_definition;
use crate::plan::{PlanConfig, TaskDefinitionInfo};

/// Options of `apply`.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub max_passes: usize,
    /// Wait until every FargateService is Ready and every FargateTask's run finished.
    pub wait: bool,
    /// Give up waiting after this long.
    pub timeout: Duration,
    /// Time between status polls while waiting.
    pub poll_interval: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            max_passes: super::DEFAULT_MAX_PASSES,
            wait: false,
            timeout: Duration::from_secs(600),
            poll_interval: Duration::from_secs(10),
        }
    }
}

/// One object's result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectResult {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    /// ECS family, or `cluster/service`.
    pub target: String,
    /// AWS changes made.
    pub applied: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<TaskDefinitionStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fargate_service: Option<FargateServiceStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fargate_task: Option<FargateTaskStatus>,
    /// Set when the object did not converge: `(reason, message)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ObjectResult {
    fn new(kind: &'static str, namespace: String, name: String, target: String) -> Self {
        Self {
            kind,
            namespace,
            name,
            target,
            applied: vec![],
            task_definition: None,
            fargate_service: None,
            fargate_task: None,
            failure: None,
            notes: vec![],
        }
    }

    fn for_task_definition(td: &crate::api::TaskDefinition) -> Self {
        let owner = owner_of(td, "TaskDefinition");
        let family = task_definition_lookups(td).family;
        Self::new("TaskDefinition", owner.namespace, owner.name, family)
    }

    fn for_service(fs: &crate::api::FargateService) -> Self {
        let owner = owner_of(fs, "FargateService");
        let (cluster, name) = service_location(fs);
        Self::new(
            "FargateService",
            owner.namespace,
            owner.name,
            format!("{cluster}/{name}"),
        )
    }

    fn for_task(ft: &FargateTask) -> Self {
        let owner = owner_of(ft, KIND);
        Self::new(
            KIND,
            owner.namespace,
            owner.name,
            ft.spec.cluster.name.clone(),
        )
    }

    fn conditions(&self) -> &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition] {
        match (
            &self.task_definition,
            &self.fargate_service,
            &self.fargate_task,
        ) {
            (Some(s), _, _) => &s.conditions,
            (_, Some(s), _) => &s.conditions,
            (_, _, Some(s)) => &s.conditions,
            _ => &[],
        }
    }

    /// The Ready condition is True.
    pub fn ready(&self) -> bool {
        is_true(self.conditions(), ct::READY)
    }

    /// The Synced condition is True.
    pub fn synced(&self) -> bool {
        is_true(self.conditions(), ct::SYNCED)
    }
}

fn descriptions(applied: &[super::Applied]) -> Vec<String> {
    applied.iter().map(ToString::to_string).collect()
}

fn failure(sync: &Sync) -> Option<(String, String)> {
    match sync {
        Sync::InSync => None,
        Sync::Applying { pending } => Some((
            crate::api::reasons::APPLYING.into(),
            format!("still {pending} change(s) to make after the pass limit"),
        )),
        Sync::Waiting { reason, message } | Sync::Failed { reason, message } => {
            Some(((*reason).into(), message.clone()))
        }
    }
}

/// Every object of `m`, refused before AWS is asked anything: `(reason, message)` says why
/// (its namespace's tenant cannot be decided or reached).
pub fn refused(m: &Manifests, reason: &str, message: &str) -> Vec<ObjectResult> {
    let failed = |mut r: ObjectResult| {
        r.failure = Some((reason.to_owned(), message.to_owned()));
        r
    };
    m.task_definitions
        .iter()
        .map(|td| failed(ObjectResult::for_task_definition(td)))
        .chain(
            m.services
                .iter()
                .map(|fs| failed(ObjectResult::for_service(fs))),
        )
        .chain(m.tasks.iter().map(|ft| failed(ObjectResult::for_task(ft))))
        .collect()
}

/// Services of the manifests grouped by cluster: cluster → names.
fn services_by_cluster(manifests: &Manifests) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for fs in &manifests.services {
        let (cluster, name) = service_location(fs);
        let names = out.entry(cluster).or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    out
}

/// Observes every manifest service, batched per cluster: `(cluster, name)` → state.
pub async fn observe_all_services(
    aws: &Aws,
    manifests: &Manifests,
) -> Result<BTreeMap<(String, String), ObservedFargateService>, AwsError> {
    let mut out = BTreeMap::new();
    for (cluster, names) in services_by_cluster(manifests) {
        for (name, o) in observe_services(aws, &cluster, &names).await? {
            out.insert((cluster.clone(), name), o);
        }
    }
    Ok(out)
}

fn td_key(namespace: &str, name: &str) -> (String, String) {
    (namespace.to_owned(), name.to_owned())
}

/// Applies the manifests: reconciles every object until AWS matches, then reports.
pub async fn apply(
    aws: &Aws,
    config: &PlanConfig,
    manifests: &Manifests,
    options: &ApplyOptions,
) -> Vec<ObjectResult> {
    let mut results = vec![];
    let pre = observe_all_services(aws, manifests).await;
    let in_use = pre
        .as_ref()
        .map(|m| revisions_in_use(m.values()))
        .unwrap_or_default();
    let mut infos: BTreeMap<(String, String), TaskDefinitionInfo> = BTreeMap::new();
    for td in &manifests.task_definitions {
        let owner = owner_of(td, "TaskDefinition");
        let (r, info) = reconcile_task_definition(
            aws,
            config,
            td,
            &in_use,
            options.max_passes,
            Timestamp::now(),
        )
        .await;
        if let Some(info) = info {
            infos.insert(td_key(&owner.namespace, &owner.name), info);
        }
        let mut out = ObjectResult::for_task_definition(td);
        out.failure = failure(&r.sync);
        out.applied = descriptions(&r.applied);
        out.task_definition = Some(r.status);
        results.push(out);
    }
    let mut pre = pre.unwrap_or_default();
    for fs in &manifests.services {
        let (cluster, name) = service_location(fs);
        let td = referenced_task_definition(fs, &infos);
        let first = pre.remove(&(cluster.clone(), name.clone()));
        let r = reconcile_fargate_service(
            aws,
            config,
            fs,
            td.as_ref(),
            first,
            options.max_passes,
            Timestamp::now(),
        )
        .await;
        let mut out = ObjectResult::for_service(fs);
        out.failure = failure(&r.sync);
        out.applied = descriptions(&r.applied);
        out.fargate_service = Some(r.status);
        results.push(out);
    }
    for ft in &manifests.tasks {
        let r = apply_task(aws, config, ft, &infos, options.max_passes).await;
        results.push(r);
    }
    if options.wait {
        wait_ready(aws, config, manifests, &infos, options, &mut results).await;
    }
    results
}

/// One FargateTask: the run of its TaskDefinition's revision (registered above) or ARN.
async fn apply_task(
    aws: &Aws,
    config: &PlanConfig,
    ft: &FargateTask,
    infos: &BTreeMap<(String, String), TaskDefinitionInfo>,
    max_passes: usize,
) -> ObjectResult {
    let owner = owner_of(ft, KIND);
    let arn = ft.spec.task_definition_arn.clone().or_else(|| {
        let r = ft.spec.task_definition_ref.as_ref()?;
        infos.get(&td_key(&owner.namespace, &r.name))?.arn.clone()
    });
    let now = Timestamp::now();
    let r = reconcile_fargate_task(aws, config, ft, arn.as_deref(), max_passes, now).await;
    let mut out = ObjectResult::for_task(ft);
    // A run that failed is the object's failure (exit code 1), like a sync that failed.
    let failed = (r.status.phase == Some(crate::api::fargatetask::TaskPhase::Failed)).then(|| {
        (
            crate::api::reasons::RUN_FAILED.to_owned(),
            r.status.failure.clone().unwrap_or_default(),
        )
    });
    out.failure = failure(&r.sync).or(failed);
    out.applied = descriptions(&r.applied);
    out.fargate_task = Some(r.status);
    out
}

/// Polls the services' status until all are Ready or the timeout passes.
async fn wait_ready(
    aws: &Aws,
    config: &PlanConfig,
    manifests: &Manifests,
    infos: &BTreeMap<(String, String), TaskDefinitionInfo>,
    options: &ApplyOptions,
    results: &mut [ObjectResult],
) {
    let deadline = Instant::now() + options.timeout;
    loop {
        let pending: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind != "TaskDefinition" && r.failure.is_none() && !r.ready())
            .map(|(i, _)| i)
            .collect();
        if pending.is_empty() || Instant::now() >= deadline {
            for i in pending {
                if let Some(c) = results[i]
                    .conditions()
                    .iter()
                    .find(|c| c.type_ == ct::READY)
                {
                    results[i].failure = Some((
                        c.reason.clone(),
                        format!("not Ready after {:?}: {}", options.timeout, c.message),
                    ));
                }
            }
            return;
        }
        tokio::time::sleep(options.poll_interval.min(deadline - Instant::now())).await;
        // Service results follow the TaskDefinitions', in manifest order.
        let services = results
            .iter_mut()
            .filter(|r| r.kind == "FargateService")
            .zip(&manifests.services);
        for (result, fs) in services {
            if result.failure.is_some() || result.ready() {
                continue;
            }
            let mut fs = fs.clone();
            fs.status = result.fargate_service.clone();
            let td = referenced_task_definition(&fs, infos);
            let r = reconcile_fargate_service(
                aws,
                config,
                &fs,
                td.as_ref(),
                None,
                options.max_passes,
                Timestamp::now(),
            )
            .await;
            result.failure = failure(&r.sync);
            result.applied.extend(descriptions(&r.applied));
            result.fargate_service = Some(r.status);
        }
        let tasks = results
            .iter_mut()
            .filter(|r| r.kind == KIND)
            .zip(&manifests.tasks);
        for (result, ft) in tasks {
            if result.failure.is_none() && !result.ready() {
                follow_task(aws, config, ft, infos, options.max_passes, result).await;
            }
        }
    }
}

/// One more reconcile of a FargateTask `apply --wait` follows, from its last status.
async fn follow_task(
    aws: &Aws,
    config: &PlanConfig,
    ft: &FargateTask,
    infos: &BTreeMap<(String, String), TaskDefinitionInfo>,
    max_passes: usize,
    result: &mut ObjectResult,
) {
    let mut ft = ft.clone();
    ft.status = result.fargate_task.clone();
    let r = apply_task(aws, config, &ft, infos, max_passes).await;
    result.applied.extend(r.applied);
    result.failure = r.failure;
    result.fargate_task = r.fargate_task;
}

/// Deletes what the manifests' objects own: tasks stopped and services first, then task
/// definitions.
pub async fn delete(aws: &Aws, manifests: &Manifests, max_passes: usize) -> Vec<ObjectResult> {
    let mut results = vec![];
    for ft in &manifests.tasks {
        let c = cleanup_fargate_task(aws, ft, max_passes).await;
        results.push(cleaned(ObjectResult::for_task(ft), c));
    }
    for fs in &manifests.services {
        let c = cleanup_fargate_service(aws, fs, max_passes).await;
        results.push(cleaned(ObjectResult::for_service(fs), c));
    }
    // Revisions still run by services (of these manifests) that were kept.
    let in_use = observe_all_services(aws, manifests)
        .await
        .map(|m| {
            revisions_in_use(
                m.values()
                    .filter(|o| o.service.as_ref().is_some_and(|s| s.status == "ACTIVE")),
            )
        })
        .unwrap_or_default();
    for td in &manifests.task_definitions {
        let c = cleanup_task_definition(aws, td, &in_use, max_passes).await;
        let mut out = ObjectResult::for_task_definition(td);
        out.applied = descriptions(&c.applied);
        out.notes = c.notes;
        // Revisions a retained service still runs are kept on purpose: a note, not a failure.
        match &c.sync {
            Sync::Waiting { message, .. } => out.notes.push(message.clone()),
            other => out.failure = failure(other),
        }
        results.push(out);
    }
    results
}

/// `out` with what a cleanup did and why it did not finish.
fn cleaned(mut out: ObjectResult, c: super::Cleanup) -> ObjectResult {
    out.failure = failure(&c.sync);
    out.applied = descriptions(&c.applied);
    out.notes = c.notes;
    out
}

/// `plan --observe`: plans every object against the live account.
pub async fn plan_observed(
    aws: &Aws,
    config: &PlanConfig,
    manifests: &Manifests,
) -> Result<Vec<ObjectPlan>, AwsError> {
    let mut services = observe_all_services(aws, manifests).await?;
    let in_use: BTreeSet<String> = revisions_in_use(services.values());
    for fs in &manifests.services {
        if let Some(role) = crate::batch::infrastructure_role(fs) {
            let roles = super::observe::observe_roles(aws, &[role]).await?;
            if let Some(o) = services.get_mut(&service_location(fs)) {
                o.roles = roles;
            }
        }
        // The preDeploy tasks ECS lists for the service: a run under way is not planned
        // again.
        if crate::plan::predeploy::pre_deploy_of(&fs.spec).is_some() {
            let (cluster, _) = service_location(fs);
            let by = crate::api::names::started_by(&owner_of(fs, "FargateService"));
            let run = observe_run(aws, &cluster, &by, &BTreeSet::new(), None).await?;
            services.entry(service_location(fs)).or_default().pre_deploy = Some(run);
        }
    }
    let mut tds: BTreeMap<String, ObservedTaskDefinition> = BTreeMap::new();
    for td in &manifests.task_definitions {
        let lookups = task_definition_lookups(td);
        let o = observe_task_definition(aws, &lookups, in_use.clone()).await?;
        tds.insert(lookups.family.clone(), o);
    }
    let mut runs = BTreeMap::new();
    for ft in &manifests.tasks {
        let owner = owner_of(ft, KIND);
        let by = crate::api::names::started_by(&owner);
        let known = BTreeSet::new();
        let mut o = observe_run(aws, &ft.spec.cluster.name, &by, &known, None).await?;
        if ft.spec.schedule.is_some() {
            o.schedule = Some(
                super::schedule::observe_scheduled(aws, &owner, &ft.spec.cluster.name, None)
                    .await?,
            );
        }
        runs.insert(td_key(&owner.namespace, &owner.name), o);
    }
    Ok(plan_all_observing(
        manifests,
        config,
        |l| tds.get(&l.family).cloned().unwrap_or_default(),
        |c, n, _| {
            services
                .get(&(c.to_owned(), n.to_owned()))
                .cloned()
                .unwrap_or_default()
        },
        |ft| {
            let owner = owner_of(ft, KIND);
            runs.remove(&td_key(&owner.namespace, &owner.name))
                .unwrap_or_default()
        },
    ))
}

/// The table `delete` prints.
pub fn render_cleanup(results: &[ObjectResult]) -> String {
    let mut out = String::new();
    for r in results {
        let what = match (&r.failure, r.applied.len()) {
            (Some((reason, message)), _) => format!("FAILED {reason}: {message}"),
            (None, 0) => "nothing to delete".to_owned(),
            (None, n) => format!("{n} change(s)"),
        };
        out.push_str(&format!(
            "{} {}/{} ({}): {what}\n",
            r.kind, r.namespace, r.name, r.target
        ));
        for a in &r.applied {
            out.push_str(&format!("  - {a}\n"));
        }
        for n in &r.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
    }
    out
}

/// A FargateTask's REVISION and RUNNING columns: the revision run, and its phase.
fn task_columns(s: Option<&FargateTaskStatus>) -> (Option<String>, Option<String>) {
    let revision = s
        .and_then(|s| s.task_definition_arn.as_deref())
        .and_then(|a| a.rsplit_once('/'))
        .map(|(_, r)| r.to_owned());
    // A scheduled FargateTask has no phase: its schedule's state instead.
    let phase = s.and_then(|s| {
        s.phase.map(|p| format!("{p:?}")).or_else(|| {
            let state = s.schedule.as_ref()?.state.as_deref()?;
            Some(
                if state == "DISABLED" {
                    "Suspended"
                } else {
                    "Scheduled"
                }
                .to_owned(),
            )
        })
    });
    (revision, phase)
}

/// The status table `apply` prints.
pub fn render_table(results: &[ObjectResult]) -> String {
    let mut rows = vec![[
        "KIND".to_owned(),
        "NAMESPACE/NAME".into(),
        "TARGET".into(),
        "READY".into(),
        "SYNCED".into(),
        "REVISION".into(),
        "RUNNING".into(),
        "REASON".into(),
    ]];
    for r in results {
        let ready = r
            .conditions()
            .iter()
            .find(|c| c.type_ == ct::READY)
            .cloned();
        let (revision, running) = match (&r.task_definition, &r.fargate_service) {
            (Some(s), _) => (s.revision.map(|r| r.to_string()), None),
            (_, None) if r.fargate_task.is_some() => task_columns(r.fargate_task.as_ref()),
            (_, Some(s)) => (
                s.task_definition_revision.clone(),
                s.desired_count
                    .map(|d| format!("{}/{d}", s.running_count.unwrap_or(0))),
            ),
            _ => (None, None),
        };
        let reason = r
            .failure
            .as_ref()
            .map(|(reason, _)| reason.clone())
            .or_else(|| ready.as_ref().map(|c| c.reason.clone()))
            .unwrap_or_else(|| "-".into());
        rows.push([
            r.kind.to_owned(),
            format!("{}/{}", r.namespace, r.name),
            r.target.clone(),
            ready.map_or("-".into(), |c| c.status),
            if r.conditions().is_empty() {
                "-".into()
            } else {
                r.synced().to_string()
            },
            revision.unwrap_or_else(|| "-".into()),
            running.unwrap_or_else(|| "-".into()),
            reason,
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for r in results {
        if let Some((reason, message)) = &r.failure {
            out.push_str(&format!(
                "\n{} {}/{}: {reason}: {message}\n",
                r.kind, r.namespace, r.name
            ));
        }
        for n in &r.notes {
            out.push_str(&format!("{} {}/{}: {n}\n", r.kind, r.namespace, r.name));
        }
    }
    out
}

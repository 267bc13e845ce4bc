//! An in-memory model of the AWS account, for tests and benchmarks of the planner.
//!
//! It applies [`Action`]s the way AWS does — including filling in the defaults AWS adds to a
//! registered task definition, resolving managed roles to ARNs, honouring CreateService's
//! client token and numbering revisions — and reports state back in the planner's observed
//! types. It is pure data: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::model::*;
use crate::plan::{Action, AwsOp};

/// Errors the model returns where AWS would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("already exists: {0}")]
    Conflict(String),
}

/// Counts of what an account holds ([`SimAws::inventory`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub active_services: usize,
    pub roles: usize,
    pub active_revisions: usize,
    pub log_groups: usize,
    pub scalable_targets: usize,
    /// Each active service's task definition (it runs the newest revision).
    pub service_revisions: Vec<String>,
    /// ECS tasks RunTask started (running or stopped).
    pub tasks: usize,
    /// EventBridge Scheduler schedules.
    pub schedules: usize,
}

/// The model account.
#[derive(Clone, Debug, Default)]
pub struct SimAws {
    pub account: String,
    pub region: String,
    pub log_groups: BTreeMap<String, ObservedLogGroup>,
    pub roles: BTreeMap<String, ObservedRole>,
    /// Family → revisions (ACTIVE and INACTIVE), oldest first.
    pub revisions: BTreeMap<String, Vec<(ObservedRevision, bool)>>,
    pub clusters: BTreeMap<String, ObservedCluster>,
    /// (cluster, service) → service.
    pub services: BTreeMap<(String, String), ObservedService>,
    pub scaling: BTreeMap<String, ObservedScaling>,
    client_tokens: BTreeMap<String, (String, String)>,
    /// Every action applied, counted by variant name (`CreateService`).
    pub calls: BTreeMap<&'static str, usize>,
    /// AWS API requests, by IAM action (`ecs:CreateService`), as the SDK adapter
    /// (`aws::sdk`) makes them for the calls served ([`AwsOp::requests`]): one trait call
    /// can be several requests (a role is GetRole, two listings and one GetRolePolicy per
    /// inline policy).
    pub requests: BTreeMap<&'static str, u64>,
    /// UpdateService calls that forced a new deployment (`forceNewDeployment`).
    pub forced_deployments: usize,
    /// (cluster, service) → its newest service deployment, as a test sets it: the stand-in
    /// runs no deployments of its own (nor does moto: it has no service deployments).
    pub service_deployments: BTreeMap<(String, String), ObservedServiceDeployment>,
    /// Task ARN → the task (RunTask's; see `sim_tasks`).
    pub tasks: BTreeMap<String, crate::plan::task::ObservedTask>,
    /// (cluster, RunTask client token) → the ARNs it started.
    pub(super) run_tokens: BTreeMap<(String, String), Vec<String>>,
    /// The time stamped on tasks (created, started, stopped); None: the real time when it
    /// is stamped (a test that counts deadlines sets it).
    pub clock: Option<k8s_openapi::jiff::Timestamp>,
    /// (group, name) → an EventBridge Scheduler schedule (see `sim_schedules`).
    pub schedules: BTreeMap<(String, String), crate::plan::schedule::ObservedSchedule>,
}

impl SimAws {
    /// Counts the requests of one call of `op` (see [`SimAws::requests`]): `found` is what
    /// its first request found to follow up, as [`AwsOp::requests`] takes it.
    pub fn requests_of(&mut self, op: AwsOp, found: Option<u64>) {
        for (op, n) in op.requests(found) {
            *self.requests.entry(op.iam_action()).or_default() += n;
        }
    }

    /// An empty account.
    pub fn new(account: &str, region: &str) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
            ..Default::default()
        }
    }

    fn role_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:role{ROLE_PATH}{name}", self.account)
    }

    /// ECS finishes every deployment: one PRIMARY deployment of the service's task
    /// definition, COMPLETED, with every task running (what a healthy service settles to).
    pub fn finish_deployments(&mut self) {
        for s in self.services.values_mut() {
            s.running_count = s.body.desired_count;
            s.deployments = vec![crate::plan::model::ObservedDeployment {
                id: "ecs-svc/1".into(),
                status: "PRIMARY".into(),
                task_definition: s.body.task_definition.to_string(),
                desired_count: s.body.desired_count,
                running_count: s.body.desired_count,
                rollout_state: Some("COMPLETED".into()),
                ..Default::default()
            }];
        }
    }

    /// What the account holds, to compare with another run's: a duplicate shows as a
    /// higher count, a leftover as a count where none is expected.
    pub fn inventory(&self) -> Inventory {
        let active = || self.services.values().filter(|s| s.status == "ACTIVE");
        Inventory {
            active_services: active().count(),
            roles: self.roles.len(),
            active_revisions: self
                .revisions
                .values()
                .flatten()
                .filter(|(_, active)| *active)
                .count(),
            log_groups: self.log_groups.len(),
            scalable_targets: self.scaling.values().filter(|s| s.target.is_some()).count(),
            service_revisions: active()
                .map(|s| s.body.task_definition.to_string())
                .collect(),
            tasks: self.tasks.len(),
            schedules: self.schedules.len(),
        }
    }

    /// Whether `arn` is an ACTIVE revision (what RunTask may run).
    pub(super) fn runs(&self, arn: &str) -> bool {
        self.is_active_revision(arn)
    }

    /// Total actions applied.
    pub fn total_calls(&self) -> usize {
        self.calls.values().sum()
    }

    /// Applies one action.
    pub fn apply(&mut self, action: &Action) -> Result<(), SimError> {
        *self.calls.entry(action.name()).or_default() += 1;
        match action {
            Action::CreateService { tags, .. }
            | Action::TagService { tags, .. }
            | Action::CreateCluster { tags, .. }
            | Action::RegisterTaskDefinition { tags, .. }
            | Action::TagTaskDefinition { tags, .. } => check_ecs_tags(tags)?,
            Action::RunTask { body, .. } => check_ecs_tags(&body.tags)?,
            Action::CreateSchedule { body } | Action::UpdateSchedule { body } => {
                check_ecs_tags(&body.target.tags)?
            }
            _ => {}
        }
        match action {
            Action::CreateLogGroup {
                name,
                retention_days,
                tags,
            } => {
                if self.log_groups.contains_key(name) {
                    return Err(SimError::Conflict(name.clone()));
                }
                self.log_groups.insert(
                    name.clone(),
                    ObservedLogGroup {
                        retention_days: *retention_days,
                        tags: tags.clone(),
                    },
                );
            }
            Action::PutRetentionPolicy { name, days } => {
                self.log_group(name)?.retention_days = Some(*days);
            }
            Action::DeleteRetentionPolicy { name } => {
                self.log_group(name)?.retention_days = None;
            }
            Action::CreateRole {
                name,
                path,
                trust_policy,
                permissions_boundary,
                tags,
                ..
            } => {
                if self.roles.contains_key(name) {
                    return Err(SimError::Conflict(name.clone()));
                }
                let arn = format!("arn:aws:iam::{}:role{path}{name}", self.account);
                self.roles.insert(
                    name.clone(),
                    ObservedRole {
                        arn,
                        path: path.clone(),
                        tags: tags.clone(),
                        trust_policy: trust_policy.clone(),
                        permissions_boundary: permissions_boundary.clone(),
                        ..Default::default()
                    },
                );
            }
            Action::UpdateAssumeRolePolicy { role, trust_policy } => {
                self.role(role)?.trust_policy = trust_policy.clone();
            }
            Action::PutRolePermissionsBoundary { role, arn } => {
                self.role(role)?.permissions_boundary = Some(arn.clone());
            }
            Action::DeleteRolePermissionsBoundary { role } => {
                self.role(role)?.permissions_boundary = None;
            }
            Action::AttachRolePolicy { role, policy_arn } => {
                self.role(role)?
                    .attached_policies
                    .insert(policy_arn.clone());
            }
            Action::DetachRolePolicy { role, policy_arn } => {
                self.role(role)?.attached_policies.remove(policy_arn);
            }
            Action::PutRolePolicy {
                role,
                policy_name,
                document,
            } => {
                self.role(role)?
                    .inline_policies
                    .insert(policy_name.clone(), document.clone());
            }
            Action::DeleteRolePolicy { role, policy_name } => {
                self.role(role)?.inline_policies.remove(policy_name);
            }
            Action::TagRole { role, tags } => {
                self.role(role)?.tags.extend(tags.clone());
            }
            Action::RegisterTaskDefinition { body, tags, .. } => {
                let mut stored = aws_fill_defaults(body);
                for role in [&mut stored.execution_role, &mut stored.task_role] {
                    if let Some(RoleRef::Managed(name)) = role.clone() {
                        if !self.roles.contains_key(&name) {
                            return Err(SimError::Invalid(format!("role {name} does not exist")));
                        }
                        *role = Some(RoleRef::Arn(self.role_arn(&name)));
                    }
                }
                let family = self.revisions.entry(body.family.clone()).or_default();
                let revision = family.last().map_or(1, |(r, _)| r.revision + 1);
                let arn = format!(
                    "arn:aws:ecs:{}:{}:task-definition/{}:{revision}",
                    self.region, self.account, body.family
                );
                family.push((
                    ObservedRevision {
                        arn,
                        revision,
                        body: stored,
                        tags: tags.clone(),
                        registered_at: None,
                    },
                    true,
                ));
            }
            Action::TagTaskDefinition { arn, tags, remove } => {
                let rev = self
                    .revisions
                    .values_mut()
                    .flatten()
                    .find(|(r, _)| &r.arn == arn)
                    .ok_or_else(|| SimError::NotFound(arn.clone()))?;
                rev.0.tags.extend(tags.clone());
                for k in remove {
                    rev.0.tags.remove(k);
                }
            }
            Action::DeregisterTaskDefinition { arn } => {
                let rev = self
                    .revisions
                    .values_mut()
                    .flatten()
                    .find(|(r, _)| &r.arn == arn)
                    .ok_or_else(|| SimError::NotFound(arn.clone()))?;
                rev.1 = false;
            }
            Action::CreateCluster {
                name,
                capacity_providers,
                tags,
                container_insights,
                service_connect_namespace,
            } => {
                // CreateCluster is idempotent in ECS.
                let arn = format!(
                    "arn:aws:ecs:{}:{}:cluster/{name}",
                    self.region, self.account
                );
                self.clusters
                    .entry(name.clone())
                    .or_insert(ObservedCluster {
                        arn,
                        status: "ACTIVE".into(),
                        capacity_providers: capacity_providers.clone(),
                        tags: tags.clone(),
                        // The account's default when not given.
                        container_insights: Some(
                            container_insights
                                .clone()
                                .unwrap_or_else(|| "disabled".into()),
                        ),
                        service_connect_namespace: service_connect_namespace.clone(),
                    });
            }
            Action::UpdateClusterSettings {
                name,
                container_insights,
            } => {
                let c = self
                    .clusters
                    .get_mut(name)
                    .ok_or_else(|| SimError::NotFound(format!("cluster {name}")))?;
                c.container_insights = Some(container_insights.clone());
            }
            Action::UpdateCluster {
                name,
                service_connect_namespace,
            } => {
                let c = self
                    .clusters
                    .get_mut(name)
                    .ok_or_else(|| SimError::NotFound(format!("cluster {name}")))?;
                // An empty name removes the default, as in ECS.
                c.service_connect_namespace =
                    Some(service_connect_namespace.clone()).filter(|ns| !ns.is_empty());
            }
            Action::CreateService {
                cluster,
                name,
                body,
                tags,
                client_token,
            } => {
                if let Some(existing) = self.client_tokens.get(client_token) {
                    if existing == &(cluster.clone(), name.clone()) {
                        return Ok(());
                    }
                }
                if !self.clusters.contains_key(cluster) {
                    return Err(SimError::NotFound(format!("cluster {cluster}")));
                }
                if !body
                    .task_definition
                    .arn()
                    .is_some_and(|arn| self.is_active_revision(arn))
                {
                    return Err(SimError::Invalid(format!(
                        "task definition {} is not an active revision",
                        body.task_definition
                    )));
                }
                let key = (cluster.clone(), name.clone());
                if self
                    .services
                    .get(&key)
                    .is_some_and(|s| s.status != "INACTIVE")
                {
                    return Err(SimError::Invalid(
                        "Creation of service was not idempotent.".into(),
                    ));
                }
                let arn = format!(
                    "arn:aws:ecs:{}:{}:service/{cluster}/{name}",
                    self.region, self.account
                );
                let mut stored = (**body).clone();
                self.volume_roles_as_arns(&mut stored.volume_configurations)?;
                self.client_tokens.insert(client_token.clone(), key.clone());
                if stored.security_groups.is_empty() {
                    stored.security_groups = vec!["sg-00000000default".into()];
                }
                // ECS's CreateService default.
                stored
                    .availability_zone_rebalancing
                    .get_or_insert_with(|| "ENABLED".into());
                self.services.insert(
                    key,
                    ObservedService {
                        arn,
                        status: "ACTIVE".into(),
                        body: stored,
                        tags: tags.clone(),
                        running_count: 0,
                        pending_count: 0,
                        deployments: vec![],
                        events: vec![],
                        revision_arns: vec![],
                    },
                );
            }
            Action::UpdateService {
                cluster,
                name,
                changes,
            } => {
                if let Some(td) = &changes.task_definition {
                    if !self.is_active_revision(&td.to_string()) {
                        return Err(SimError::Invalid(format!(
                            "task definition {td} is not active"
                        )));
                    }
                }
                let mut volumes = changes.volume_configurations.clone();
                if let Some(v) = &mut volumes {
                    self.volume_roles_as_arns(v)?;
                }
                let s = self
                    .services
                    .get_mut(&(cluster.clone(), name.clone()))
                    .filter(|s| s.status == "ACTIVE")
                    .ok_or_else(|| SimError::NotFound(format!("service {name}")))?;
                let b = &mut s.body;
                if let Some(v) = &changes.task_definition {
                    b.task_definition = v.clone();
                }
                if let Some(v) = changes.desired_count {
                    b.desired_count = v;
                }
                if let Some(v) = &changes.capacity_provider_strategy {
                    b.capacity_provider_strategy = v.clone();
                    b.launch_type = None;
                }
                if let Some(v) = &changes.platform_version {
                    b.platform_version = Some(v.clone());
                }
                if let Some(n) = &changes.network {
                    b.subnets = n.subnets.clone();
                    b.security_groups = if n.security_groups.is_empty() {
                        vec!["sg-00000000default".into()]
                    } else {
                        n.security_groups.clone()
                    };
                    b.assign_public_ip = n.assign_public_ip;
                }
                if let Some(v) = &changes.load_balancers {
                    b.load_balancers = v.clone();
                }
                if let Some(v) = changes.health_check_grace_period_seconds {
                    b.health_check_grace_period_seconds = Some(v);
                }
                if let Some(d) = &changes.deployment {
                    b.minimum_healthy_percent = Some(d.minimum_healthy_percent);
                    b.maximum_percent = Some(d.maximum_percent);
                    b.circuit_breaker = Some(d.circuit_breaker.clone());
                    b.alarms = d.alarms.clone();
                    b.early_success = d.early_success.clone();
                    // ECS reports the strategy it runs and keeps an earlier strategy's steps.
                    let before = std::mem::take(&mut b.rollout);
                    b.rollout = RolloutDef {
                        canary: d.rollout.canary.or(before.canary),
                        linear: d.rollout.linear.or(before.linear),
                        ..d.rollout.canonical()
                    };
                }
                if let Some(v) = changes.enable_execute_command {
                    b.enable_execute_command = v;
                }
                if let Some(v) = &changes.service_registries {
                    b.service_registries = v.clone();
                }
                if let Some(v) = &changes.propagate_tags {
                    b.propagate_tags = Some(v.clone());
                }
                if let Some(v) = &changes.availability_zone_rebalancing {
                    b.availability_zone_rebalancing = Some(v.clone());
                }
                if let Some(v) = &changes.vpc_lattice {
                    b.vpc_lattice = v.clone();
                }
                if let Some(v) = volumes {
                    b.volume_configurations = v;
                }
                if let Some(v) = &changes.service_connect {
                    b.service_connect = Some(v.clone());
                }
                if let Some(v) = &changes.monitoring {
                    b.monitoring = Some(v.clone());
                }
                if let Some(v) = &changes.gateway_connectors {
                    b.gateway_connectors = v.clone();
                }
                if changes.force_new_deployment {
                    self.forced_deployments += 1;
                }
            }
            Action::TagService { arn, tags, remove } => {
                // A service's, or a cluster's (TagResource takes either).
                let current = match self.services.values_mut().find(|s| &s.arn == arn) {
                    Some(s) => &mut s.tags,
                    None => {
                        &mut self
                            .clusters
                            .values_mut()
                            .find(|c| &c.arn == arn)
                            .ok_or_else(|| SimError::NotFound(arn.clone()))?
                            .tags
                    }
                };
                current.extend(tags.clone());
                for k in remove {
                    current.remove(k);
                }
            }
            Action::RegisterScalableTarget {
                resource_id,
                min,
                max,
            } => {
                self.scaling.entry(resource_id.clone()).or_default().target = Some((*min, *max));
            }
            Action::DeregisterScalableTarget { resource_id } => {
                // Deregistering a target deletes its policies and schedules too.
                self.scaling
                    .remove(resource_id)
                    .filter(|s| s.target.is_some())
                    .ok_or_else(|| SimError::NotFound(resource_id.clone()))?;
            }
            Action::PutScalingPolicy {
                resource_id,
                name,
                policy,
                ..
            } => {
                let s = self.target(resource_id)?;
                s.policies.insert(name.clone(), policy.clone());
            }
            Action::DeleteScalingPolicy { resource_id, name } => {
                self.target(resource_id)?
                    .policies
                    .remove(name)
                    .ok_or_else(|| SimError::NotFound(name.clone()))?;
            }
            Action::PutScheduledAction {
                resource_id,
                name,
                action,
            } => {
                let s = self.target(resource_id)?;
                s.scheduled_actions.insert(name.clone(), action.clone());
            }
            Action::DeleteScheduledAction { resource_id, name } => {
                self.target(resource_id)?
                    .scheduled_actions
                    .remove(name)
                    .ok_or_else(|| SimError::NotFound(name.clone()))?;
            }
            Action::DeleteService { cluster, name } => {
                let s = self
                    .services
                    .get_mut(&(cluster.clone(), name.clone()))
                    .filter(|s| s.status == "ACTIVE")
                    .ok_or_else(|| SimError::NotFound(name.clone()))?;
                s.status = "INACTIVE".into();
            }
            Action::DeleteRole { name } => {
                let role = self
                    .roles
                    .get(name)
                    .ok_or_else(|| SimError::NotFound(name.clone()))?;
                if !role.attached_policies.is_empty() || !role.inline_policies.is_empty() {
                    return Err(SimError::Conflict(format!(
                        "role {name} still has policies"
                    )));
                }
                self.roles.remove(name);
            }
            Action::RunTask { body, .. } => {
                self.run_task(body)?;
            }
            Action::StopTask {
                cluster,
                task_arn,
                reason,
            } => self.stop_task(cluster, task_arn, reason)?,
            Action::CreateSchedule { body } => self.create_schedule(body)?,
            Action::UpdateSchedule { body } => self.update_schedule(body)?,
            Action::DeleteSchedule { name, group } => self.delete_schedule(group, name)?,
            Action::DeleteLogGroup { name } => {
                self.log_groups
                    .remove(name)
                    .ok_or_else(|| SimError::NotFound(name.clone()))?;
            }
        }
        Ok(())
    }

    fn log_group(&mut self, name: &str) -> Result<&mut ObservedLogGroup, SimError> {
        self.log_groups
            .get_mut(name)
            .ok_or_else(|| SimError::NotFound(name.to_owned()))
    }

    /// ECS takes (and reports) a managed EBS volume's role by ARN, and refuses one that
    /// does not exist.
    fn volume_roles_as_arns(&self, volumes: &mut [EbsVolumeDef]) -> Result<(), SimError> {
        for v in volumes {
            if let RoleRef::Managed(name) = &v.role {
                if !self.roles.contains_key(name) {
                    return Err(SimError::Invalid(format!("role {name} does not exist")));
                }
                v.role = RoleRef::Arn(self.role_arn(name));
            }
        }
        Ok(())
    }

    fn role(&mut self, name: &str) -> Result<&mut ObservedRole, SimError> {
        self.roles
            .get_mut(name)
            .ok_or_else(|| SimError::NotFound(name.to_owned()))
    }

    fn target(&mut self, rid: &str) -> Result<&mut ObservedScaling, SimError> {
        self.scaling
            .get_mut(rid)
            .filter(|s| s.target.is_some())
            .ok_or_else(|| SimError::NotFound(rid.to_owned()))
    }

    fn is_active_revision(&self, arn: &str) -> bool {
        self.revisions
            .values()
            .flatten()
            .any(|(r, active)| *active && r.arn == arn)
    }

    /// What a TaskDefinition's observation reads: the family's active revisions and the named
    /// log groups and roles.
    pub fn observe_task_definition(
        &self,
        family: &str,
        log_groups: &BTreeSet<String>,
        roles: &BTreeSet<String>,
    ) -> ObservedTaskDefinition {
        let in_use = self
            .services
            .values()
            .filter(|s| s.status == "ACTIVE")
            .map(|s| s.body.task_definition.to_string())
            .collect();
        ObservedTaskDefinition {
            log_groups: log_groups
                .iter()
                .filter_map(|g| self.log_groups.get(g).map(|o| (g.clone(), o.clone())))
                .collect(),
            roles: roles
                .iter()
                .filter_map(|r| self.roles.get(r).map(|o| (r.clone(), o.clone())))
                .collect(),
            revisions: self
                .revisions
                .get(family)
                .into_iter()
                .flatten()
                .filter(|(_, active)| *active)
                .map(|(r, _)| r.clone())
                .collect(),
            in_use,
            in_use_by: BTreeMap::new(),
        }
    }

    /// What a FargateService's observation reads.
    pub fn observe_service(&self, cluster: &str, service: &str) -> ObservedFargateService {
        ObservedFargateService {
            cluster: self.clusters.get(cluster).cloned(),
            // As the engine observes it: `monitoring` and `gatewayConnectors` read from the
            // service revision only
            // for a service tagged for it.
            service: self
                .services
                .get(&(cluster.to_owned(), service.to_owned()))
                .cloned()
                .map(|mut s| {
                    if !s.tags.contains_key(crate::api::REVISION_SETTINGS_TAG) {
                        s.body.monitoring = None;
                        s.body.gateway_connectors = vec![];
                    }
                    s
                }),
            scaling: Some(
                self.scaling
                    .get(&crate::plan::service::resource_id(cluster, service))
                    .cloned()
                    .unwrap_or_default(),
            ),
            stopped_tasks: vec![],
            service_deployment: None,
            roles: BTreeMap::new(),
            pre_deploy: None,
        }
    }

    /// [`SimAws::observe_service`] with the managed role `role` read too, as the engine
    /// reads a service's infrastructure role.
    pub fn observe_service_and_role(
        &self,
        cluster: &str,
        service: &str,
        role: Option<&str>,
    ) -> ObservedFargateService {
        let mut o = self.observe_service(cluster, service);
        if let Some((name, r)) = role.and_then(|n| self.roles.get_key_value(n)) {
            o.roles.insert(name.clone(), r.clone());
        }
        o
    }

    /// The ARNs of every ACTIVE revision, by family then revision (ListTaskDefinitions'
    /// order).
    pub fn active_revision_arns(&self) -> impl Iterator<Item = &str> {
        self.revisions
            .values()
            .flatten()
            .filter(|(_, active)| *active)
            .map(|(r, _)| r.arn.as_str())
    }

    /// A revision by ARN, ACTIVE or INACTIVE.
    pub fn revision(&self, arn: &str) -> Option<&ObservedRevision> {
        let (family, _) = crate::api::revision_of_arn(arn)?;
        self.revisions
            .get(family)?
            .iter()
            .map(|(r, _)| r)
            .find(|r| r.arn == arn)
    }

    /// The newest active revision ARN of a family.
    pub fn latest_revision(&self, family: &str) -> Option<String> {
        self.revisions
            .get(family)?
            .iter()
            .rev()
            .find(|(_, active)| *active)
            .map(|(r, _)| r.arn.clone())
    }
}

/// ECS refuses a request whose tags break its rules (the `Tag` type of the ECS API
/// reference): a key of 1 to 128 and a value of 0 to 256 characters, each made of letters,
/// numbers, spaces and `_ . : / = + - @` only. (`InvalidParameterException`.)
fn check_ecs_tags(tags: &Tags) -> Result<(), SimError> {
    let allowed = |s: &str| {
        s.chars().all(|c| {
            c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
        })
    };
    for (k, v) in tags {
        let key_ok = (1..=128).contains(&k.chars().count()) && allowed(k);
        if !key_ok || v.chars().count() > 256 || !allowed(v) {
            return Err(SimError::Invalid(format!(
                "The tag {k:?}={v:?} is invalid: keys are 1-128 and values 0-256 letters, \
                 numbers, spaces or _ . : / = + - @"
            )));
        }
    }
    Ok(())
}

/// A task definition as DescribeTaskDefinition returns it: AWS fills in `cpu: 0`,
/// `essential`, `hostPort`, `protocol`, health-check defaults, empty flags and
/// `enableFaultInjection: false`.
pub fn aws_fill_defaults(body: &TaskDefBody) -> TaskDefBody {
    let mut b = body.clone();
    b.enable_fault_injection.get_or_insert(false);
    for c in &mut b.containers {
        c.cpu.get_or_insert(0);
        c.essential.get_or_insert(true);
        for p in &mut c.port_mappings {
            if let Some(port) = p.container_port {
                p.host_port.get_or_insert(port);
            }
            p.protocol.get_or_insert_with(|| "tcp".into());
        }
        if let Some(h) = &mut c.health_check {
            let (interval, timeout, retries, _) = HEALTH_CHECK_DEFAULTS;
            h.interval.get_or_insert(interval);
            h.timeout.get_or_insert(timeout);
            h.retries.get_or_insert(retries);
        }
    }
    b
}

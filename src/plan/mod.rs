//! The pure planner: `(desired spec, observed AWS state) -> Plan`.
//!
//! No I/O, no clock, no randomness. An unchanged spec against the state it produced plans
//! nothing (property-tested in `tests/planner_props.rs`).

pub mod action;
pub mod cost;
pub mod delete;
pub mod model;
pub mod op;
pub mod predeploy;
pub mod rollback;
pub mod s3files;
pub mod schedule;
pub mod service;
pub mod service_connect;
pub mod task;
pub mod taskdef;
pub mod tenant;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::api::images::ImageTagPolicy;
pub(crate) use crate::api::names::hash_json;
/// The identity the planner plans for, and how an AWS resource relates to it (defined with
/// the other derived names in [`crate::api::names`]).
pub use crate::api::names::{Owner, Ownership};
use crate::api::ValidationErrors;
pub use action::{Action, ChangeKind};
pub use cost::PriceTable;
pub use op::AwsOp;
pub use service::{plan_fargate_service, ServiceInputs, TaskDefinitionInfo};
pub use taskdef::{plan_task_definition, TaskDefinitionInputs};

/// AWS's managed policy every execution role gets.
pub const ECS_EXECUTION_POLICY_ARN: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// Operator-wide settings the planner needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanConfig {
    /// AWS region (for the awslogs driver's `awslogs-region`).
    pub region: String,
    /// Policy ARNs a managed role may attach, beyond AWS's ECS execution policy.
    pub allowed_policy_arns: BTreeSet<String>,
    /// Permissions boundary put on every managed role.
    pub permissions_boundary: Option<String>,
    /// Allow inline policies on managed roles without a permissions boundary.
    pub allow_inline_policies: bool,
    /// What to do with untagged / `latest` images.
    pub image_tag_policy: ImageTagPolicy,
    /// Prices for the cost estimate.
    pub prices: PriceTable,
    /// What the operator's flags allow whatever a tenant says.
    pub floor: tenant::Floor,
    /// The FargateTenant governing the namespace being planned, if any.
    pub tenant: Option<tenant::Tenant>,
}

impl Default for PlanConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            allowed_policy_arns: BTreeSet::new(),
            permissions_boundary: None,
            allow_inline_policies: false,
            image_tag_policy: ImageTagPolicy::Warn,
            prices: PriceTable::default(),
            floor: tenant::Floor::default(),
            tenant: None,
        }
    }
}

/// The account-ID placeholder in `iam/controller-policy.json` and the install manifests
/// (`deploy/base`, the chart's default `managedRoles.permissionsBoundary`).
pub const ACCOUNT_ID_PLACEHOLDER: &str = "ACCOUNT_ID";

impl PlanConfig {
    /// Checks the settings a human wrote (flags, environment) before anything runs.
    pub fn check(&self) -> Result<(), String> {
        match &self.permissions_boundary {
            Some(arn) => check_permissions_boundary(arn),
            None => Ok(()),
        }
    }
}

/// Checks `--role-permissions-boundary`: an IAM managed-policy ARN, with a real account ID.
/// The install manifests ship `arn:aws:iam::ACCOUNT_ID:policy/fargate-operator-boundary`, as
/// `iam/controller-policy.json` names it; left as it is, every managed role would be created
/// with a boundary that does not exist and the operator's own policy would deny it, so the
/// operator refuses to start and says what to replace.
pub fn check_permissions_boundary(arn: &str) -> Result<(), String> {
    const FLAG: &str = "--role-permissions-boundary (FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY)";
    if arn.contains(ACCOUNT_ID_PLACEHOLDER) {
        return Err(format!(
            "{FLAG} is {arn:?}: replace {ACCOUNT_ID_PLACEHOLDER} with your 12-digit AWS account \
             ID, the account of the boundary policy created from iam/permissions-boundary.json \
             (the same replacement as in iam/controller-policy.json)"
        ));
    }
    let pattern = regex::Regex::new(crate::api::patterns::POLICY_ARN).map_err(|e| e.to_string())?;
    if !pattern.is_match(arn) {
        return Err(format!(
            "{FLAG} is {arn:?}, not an IAM policy ARN: use \
             arn:aws:iam::<account ID>:policy/fargate-operator-boundary (iam/README.md)"
        ));
    }
    Ok(())
}

/// What an UpdateService changes; `None` fields are left alone.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServiceUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<model::TaskDefinitionRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<model::StrategyItem>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<model::NetworkDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancers: Option<Vec<model::LoadBalancerDef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<model::DeploymentDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_registries: Option<Vec<model::RegistryDef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_lattice: Option<Vec<model::VpcLatticeDef>>,
    /// An empty list removes the managed EBS volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_configurations: Option<Vec<model::EbsVolumeDef>>,
    /// The whole configuration (`enabled: false` to turn it off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_connect: Option<service_connect::ServiceConnectDef>,
    /// Every metric's resolution, ECS's defaults written out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<model::MonitoringDef>,
    /// An empty list detaches the service from its gateways.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_connectors: Option<Vec<model::GatewayConnectorDef>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force_new_deployment: bool,
}

impl ServiceUpdate {
    /// The names of the fields this update changes.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        let mut out = vec![];
        let mut push = |set: bool, name| {
            if set {
                out.push(name)
            }
        };
        push(self.task_definition.is_some(), "taskDefinition");
        push(self.desired_count.is_some(), "desiredCount");
        push(
            self.capacity_provider_strategy.is_some(),
            "capacityProviderStrategy",
        );
        push(self.platform_version.is_some(), "platformVersion");
        push(self.network.is_some(), "networkConfiguration");
        push(self.load_balancers.is_some(), "loadBalancers");
        push(
            self.health_check_grace_period_seconds.is_some(),
            "healthCheckGracePeriodSeconds",
        );
        push(self.deployment.is_some(), "deploymentConfiguration");
        push(
            self.enable_execute_command.is_some(),
            "enableExecuteCommand",
        );
        push(self.service_registries.is_some(), "serviceRegistries");
        push(self.propagate_tags.is_some(), "propagateTags");
        push(
            self.availability_zone_rebalancing.is_some(),
            "availabilityZoneRebalancing",
        );
        push(self.vpc_lattice.is_some(), "vpcLatticeConfigurations");
        push(self.volume_configurations.is_some(), "volumeConfigurations");
        push(
            self.service_connect.is_some(),
            "serviceConnectConfiguration",
        );
        push(self.monitoring.is_some(), "monitoring");
        push(self.gateway_connectors.is_some(), "gatewayConnectors");
        push(self.force_new_deployment, "forceNewDeployment");
        out
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changed_fields().is_empty()
    }
}

/// A note the plan carries for the user (shown by `plan`, and as a condition message).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// A reason constant from [`crate::api::reasons`].
    pub reason: &'static str,
    pub message: String,
}

/// The planner's answer for one object.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// AWS changes, in order.
    pub actions: Vec<Action>,
    /// Warnings (e.g. mutable image tags).
    pub notes: Vec<Note>,
    /// Hash of the normalised task-definition spec (TaskDefinition plans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// Estimated monthly cost in USD (FargateService plans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_monthly_cost_usd: Option<f64>,
    /// What each BlueGreen, Canary or Linear deployment adds: both revisions run side by side
    /// for the bake times (FargateService plans with such a strategy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_overlap: Option<DeploymentOverlap>,
    /// The `spec.deployment.preDeploy` run this plan was made with (FargateService plans
    /// with a preDeploy): what `status.preDeploy` reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_deploy: Option<Box<crate::api::predeploy::PreDeployStatus>>,
}

/// The extra tasks a progressive deployment runs while both revisions bake.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentOverlap {
    pub strategy: String,
    /// Tasks of the new revision running beside the old ones.
    pub extra_tasks: i32,
    /// Minutes both run: the canary or linear bake times plus the final bake time.
    pub minutes: i32,
    /// Their cost per deployment, in USD at list prices.
    pub usd: f64,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// Why the planner cannot plan (yet). Each maps to a condition reason.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The spec is invalid; nothing is sent to AWS until it changes.
    #[error("invalid spec: {0}")]
    Invalid(#[from] ValidationErrors),
    /// A resource of that name exists and is not this object's.
    #[error("{resource} already exists and is {owner}; {hint}")]
    Conflict {
        resource: String,
        owner: String,
        hint: String,
    },
    /// A managed role asked for something outside the operator's allowlist.
    #[error("{field}: {message}")]
    PolicyNotAllowed { field: String, message: String },
    /// The spec references what its tenant or the operator's flags do not allow; nothing is
    /// sent to AWS until it changes.
    #[error("not allowed: {0}")]
    NotAllowed(ValidationErrors),
    /// A pinned revision (rollback) is not one the TaskDefinition keeps.
    #[error("{field}: {message}")]
    RevisionNotKept { field: String, message: String },
    /// Something this object depends on is not there yet; not an error of the spec.
    #[error("{message}")]
    Waiting {
        reason: &'static str,
        message: String,
    },
}

impl PlanError {
    /// The condition/Event reason for this error.
    pub fn reason(&self) -> &'static str {
        use crate::api::reasons;
        match self {
            Self::Invalid(_) => reasons::INVALID_SPEC,
            Self::Conflict { .. } => reasons::CONFLICT,
            Self::PolicyNotAllowed { .. } => reasons::POLICY_NOT_ALLOWED,
            Self::NotAllowed(_) => reasons::NOT_ALLOWED,
            Self::RevisionNotKept { .. } => reasons::REVISION_NOT_KEPT,
            Self::Waiting { reason, .. } => reason,
        }
    }
}

/// The `NotAllowed` error for an adoption the annotation asks for and `owner.adopt_forbidden`
/// names who forbids.
pub(crate) fn adoption_not_allowed(
    resource: String,
    owner: &crate::api::names::Owner,
) -> PlanError {
    let by = owner.adopt_forbidden.as_deref().unwrap_or("the operator");
    PlanError::NotAllowed(ValidationErrors(vec![crate::api::FieldError {
        field: format!("metadata.annotations[{}]", crate::api::ADOPT_ANNOTATION),
        message: format!(
            "{resource} exists and is not managed by fargate-operator; adopting it is not \
             allowed by {by}: choose another name, or ask the platform team to allow adoption"
        ),
    }]))
}

/// A `Conflict` error for a resource `ownership` says is not this object's.
pub(crate) fn conflict(resource: String, ownership: &Ownership, hint: &str) -> PlanError {
    let owner = match ownership {
        Ownership::Other(o) => format!("owned by {o}"),
        Ownership::PreviousIncarnation => {
            "owned by an earlier object of the same name (another UID)".to_owned()
        }
        _ => "not managed by fargate-operator".to_owned(),
    };
    PlanError::Conflict {
        resource,
        owner,
        hint: hint.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_placeholder_is_refused_as_a_boundary_and_a_real_arn_accepted() {
        let placeholder = "arn:aws:iam::ACCOUNT_ID:policy/fargate-operator-boundary";
        let e = check_permissions_boundary(placeholder).unwrap_err();
        assert!(
            e.contains("replace ACCOUNT_ID with your 12-digit AWS account ID"),
            "{e}"
        );
        assert!(e.contains("--role-permissions-boundary"), "{e}");
        let e = check_permissions_boundary("fargate-operator-boundary").unwrap_err();
        assert!(e.contains("not an IAM policy ARN"), "{e}");
        for ok in [
            "arn:aws:iam::123456789012:policy/fargate-operator-boundary",
            "arn:aws-us-gov:iam::123456789012:policy/platform/fargate-operator-boundary",
        ] {
            assert_eq!(check_permissions_boundary(ok), Ok(()), "{ok}");
        }
        let config = |b: Option<&str>| PlanConfig {
            permissions_boundary: b.map(str::to_owned),
            ..PlanConfig::default()
        };
        assert!(config(Some(placeholder)).check().is_err());
        assert_eq!(config(None).check(), Ok(()));
    }
}

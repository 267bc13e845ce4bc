//! `FargateTenant`: a cluster-scoped policy naming, per namespace, which AWS account and region
//! its objects deploy to, what they get by default, and what they may reference.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector};
#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::{ListMerge, Rule};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fargateservice::CapacityProviderStrategyItem;
use super::patterns;

/// Who may deploy what, where: the namespaces it selects are reconciled in `aws`'s account
/// and region, get `defaults` where their specs leave a setting out, and may reference only
/// what `allowed` lists (isolation by default). A namespace no tenant selects uses the
/// operator's own credentials and region, as without tenants; one selected by two tenants is
/// refused until only one selects it.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "ecs.fargate.dev",
    version = "v1alpha1",
    kind = "FargateTenant",
    status = "FargateTenantStatus",
    shortname = "fgtenant",
    category = "fargate",
    derive = "PartialEq",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Region","type":"string","jsonPath":".spec.aws.region"}"#,
    printcolumn = r#"{"name":"Objects","type":"integer","jsonPath":".status.objects"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.namespaces) || has(self.namespaceSelector)")
        .message("a tenant selects namespaces: set spec.namespaces (names), spec.namespaceSelector (labels), or both"),
)]
pub struct FargateTenantSpec {
    /// Namespaces this tenant covers, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256), inner(regex(pattern = patterns::NAMESPACE), length(max = 63)))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub namespaces: Vec<String>,
    /// Namespaces this tenant covers, by label (in addition to `namespaces`): `matchLabels`
    /// and `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`), as everywhere in
    /// Kubernetes. `{}` selects every namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "label_selector_schema")]
    pub namespace_selector: Option<LabelSelector>,
    /// The AWS account and region the namespaces deploy to. Unset: the operator's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<TenantAws>,
    /// Settings a spec gets where it leaves them out.
    #[serde(default)]
    pub defaults: TenantDefaults,
    /// What specs may reference. Every list is exact values, or prefixes ending in `*`.
    /// What a list leaves out is refused (`NotAllowed`) before any AWS call; a default is
    /// always allowed.
    #[serde(default)]
    pub allowed: TenantAllowed,
}

/// A label selector's schema, bounded (Kubernetes' own limits: a label key is at most 317
/// characters with its prefix, a value 63) so the API server can cost any rule near it.
fn label_selector_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "properties": {
            "matchLabels": {
                "type": "object",
                "description": "Labels a namespace must carry, all of them.",
                "maxProperties": 64,
                "additionalProperties": {"type": "string", "maxLength": 63},
            },
            "matchExpressions": {
                "type": "array",
                "description": "Requirements a namespace's labels must meet, all of them.",
                "maxItems": 32,
                "items": {
                    "type": "object",
                    "required": ["key", "operator"],
                    "properties": {
                        "key": {"type": "string", "maxLength": 317, "description": "The label key."},
                        "operator": {
                            "type": "string",
                            "enum": ["In", "NotIn", "Exists", "DoesNotExist"],
                            "description": "How the key's value is matched.",
                        },
                        "values": {
                            "type": "array",
                            "maxItems": 64,
                            "items": {"type": "string", "maxLength": 63},
                            "description": "Values for In and NotIn; empty for Exists and DoesNotExist.",
                        },
                    },
                },
            },
        },
    })
}

/// Where a tenant's objects are reconciled.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct TenantAws {
    /// A role the operator assumes (STS AssumeRole, session name `fargate-operator`) to
    /// reconcile these namespaces' objects, e.g. in another account. Unset: the operator's
    /// own credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ROLE_ARN), length(max = 2048))]
    pub role_arn: Option<String>,
    /// The external ID the role's trust policy requires (2-1224 characters, STS's limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::EXTERNAL_ID), length(max = 1224))]
    pub external_id: Option<String>,
    /// AWS region, e.g. `eu-west-1`. Unset: the operator's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::REGION), length(max = 32))]
    pub region: Option<String>,
}

/// What a spec gets where it leaves a setting out.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct TenantDefaults {
    /// The ECS cluster of a FargateService that names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ECS_NAME), length(max = 255))]
    pub cluster: Option<String>,
    /// Subnets of a FargateService that lists none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16), inner(regex(pattern = patterns::SUBNET_ID), length(max = 24)))]
    pub subnets: Vec<String>,
    /// Security groups of a FargateService that lists none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5), inner(regex(pattern = patterns::SECURITY_GROUP_ID), length(max = 20)))]
    pub security_groups: Vec<String>,
    /// `assignPublicIp` of a FargateService that takes its subnets from these defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<bool>,
    /// Capacity-provider mix of a FargateService that sets none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// Retention of the log groups the operator creates when a container's `logging` sets
    /// none (one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, ... 3653).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_retention_days: Option<i32>,
    /// Permissions boundary of the managed roles, instead of the operator's
    /// `--role-permissions-boundary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::POLICY_ARN), length(max = 2048))]
    pub permissions_boundary: Option<String>,
    /// Tags every object of these namespaces gets; the object's own tags win on the same key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::validation::tags_schema")]
    pub tags: BTreeMap<String, String>,
}

/// What specs may reference. Each entry is an exact value, or a prefix ending in `*`
/// (`arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-a/*`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct TenantAllowed {
    /// ECS cluster names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub clusters: Vec<String>,
    /// Subnet IDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub subnets: Vec<String>,
    /// Security group IDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub security_groups: Vec<String>,
    /// Target group ARNs (load balancers, their alternates, VPC Lattice).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub target_group_arns: Vec<String>,
    /// Listener rule (or listener) ARNs, of Elastic Load Balancing or VPC Lattice, that
    /// blue/green, canary and linear deployments shift traffic on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub listener_rule_arns: Vec<String>,
    /// Cloud Map service registry ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub service_registry_arns: Vec<String>,
    /// Cloud Map namespaces (names or ARNs) Service Connect may join, as a service's
    /// namespace or a cluster's default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub service_connect_namespaces: Vec<String>,
    /// Amazon S3 Files file system ARNs (their access points are governed with them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub s3_files_file_systems: Vec<String>,
    /// EFS file system IDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub efs_file_systems: Vec<String>,
    /// Secrets Manager secret and SSM parameter ARNs (secrets, registry credentials, log
    /// driver secrets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub secret_arns: Vec<String>,
    /// S3 object ARNs of environment files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub environment_file_arns: Vec<String>,
    /// IAM role ARNs a spec may name (task and execution roles, deployment and hook roles).
    /// The operator's `--allowed-role-arns` still applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub role_arns: Vec<String>,
    /// Managed policy ARNs a managed role may attach; only those the operator's
    /// `--allowed-policy-arns` also allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub managed_policy_arns: Vec<String>,
    /// AWS Private CA ARNs Service Connect TLS may issue certificates from (a CA is another
    /// team's root of trust).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub certificate_authority_arns: Vec<String>,
    /// KMS keys (IDs, ARNs or aliases) managed EBS volumes and Service Connect TLS may
    /// encrypt with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub kms_keys: Vec<String>,
    /// EBS snapshot IDs managed EBS volumes may be created from (a snapshot holds another
    /// team's data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub ebs_snapshots: Vec<String>,
    /// Lambda function ARNs of deployment lifecycle hooks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub lambda_function_arns: Vec<String>,
    /// Task definition revision ARNs a FargateService may run by `taskDefinitionArn`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub task_definition_arns: Vec<String>,
    /// CloudWatch Logs groups outside `/ecs/<namespace>_` that `logging.group` may name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = patterns::ALLOWED_ENTRY), length(max = 2048)))]
    pub log_groups: Vec<String>,
    /// Let objects adopt existing, untagged ECS services and families with the
    /// `ecs.fargate.dev/adopt` annotation. Also needs the operator's `--allow-adoption`.
    #[serde(default)]
    pub adoption: bool,
}

/// What the operator found for a tenant.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct FargateTenantStatus {
    /// The `metadata.generation` this status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready: the tenant is in force (its role could be assumed, no namespace is claimed
    /// twice).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// The namespaces it covers now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// How many TaskDefinitions and FargateServices it governs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<i32>,
}

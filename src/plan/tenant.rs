//! Tenancy: the policy a namespace's objects are planned under — the defaults its
//! [`FargateTenant`](crate::api::FargateTenant) fills in, and the references it refuses
//! (`NotAllowed`) before any AWS call. Pure: the controller decides which tenant governs a
//! namespace; this module only applies it.

use serde_json::Value;

use crate::api::fargateservice::FargateServiceSpec;
use crate::api::taskdefinition::TaskDefinitionSpec;
use crate::api::tenant::{FargateTenantSpec, TenantAllowed};
use crate::api::validation::{FieldError, ValidationErrors};

/// The tenant that governs a namespace.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Tenant {
    /// The FargateTenant's name.
    pub name: String,
    pub spec: FargateTenantSpec,
}

/// What the operator's own flags allow, whatever a tenant says: no tenant can widen it.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Floor {
    /// `--allow-adoption`: objects may adopt untagged ECS services and families at all.
    pub allow_adoption: bool,
    /// `--allowed-role-arns`: role ARNs (exact, or prefixes ending in `*`) a spec may name;
    /// empty: any.
    pub allowed_role_arns: Vec<String>,
}

/// A kind of AWS resource a spec can reference, and the `allowed` list that governs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Cluster,
    Subnet,
    SecurityGroup,
    TargetGroup,
    ListenerRule,
    ServiceRegistry,
    EfsFileSystem,
    Secret,
    CredentialSpec,
    EnvironmentFile,
    Role,
    ManagedPolicy,
    LambdaFunction,
    TaskDefinition,
    LogGroup,
    KmsKey,
    EbsSnapshot,
    ServiceConnectNamespace,
    CertificateAuthority,
    S3FilesFileSystem,
}

impl Category {
    /// The tenant's list for this category, and its field name.
    fn allowed(self, a: &TenantAllowed) -> (&[String], &'static str) {
        match self {
            Self::Cluster => (&a.clusters, "allowed.clusters"),
            Self::Subnet => (&a.subnets, "allowed.subnets"),
            Self::SecurityGroup => (&a.security_groups, "allowed.securityGroups"),
            Self::TargetGroup => (&a.target_group_arns, "allowed.targetGroupArns"),
            Self::ListenerRule => (&a.listener_rule_arns, "allowed.listenerRuleArns"),
            Self::ServiceRegistry => (&a.service_registry_arns, "allowed.serviceRegistryArns"),
            Self::EfsFileSystem => (&a.efs_file_systems, "allowed.efsFileSystems"),
            Self::Secret | Self::CredentialSpec => (&a.secret_arns, "allowed.secretArns"),
            Self::EnvironmentFile => (&a.environment_file_arns, "allowed.environmentFileArns"),
            Self::Role => (&a.role_arns, "allowed.roleArns"),
            Self::ManagedPolicy => (&a.managed_policy_arns, "allowed.managedPolicyArns"),
            Self::LambdaFunction => (&a.lambda_function_arns, "allowed.lambdaFunctionArns"),
            Self::TaskDefinition => (&a.task_definition_arns, "allowed.taskDefinitionArns"),
            Self::LogGroup => (&a.log_groups, "allowed.logGroups"),
            Self::KmsKey => (&a.kms_keys, "allowed.kmsKeys"),
            Self::EbsSnapshot => (&a.ebs_snapshots, "allowed.ebsSnapshots"),
            Self::S3FilesFileSystem => (&a.s3_files_file_systems, "allowed.s3FilesFileSystems"),
            Self::ServiceConnectNamespace => (
                &a.service_connect_namespaces,
                "allowed.serviceConnectNamespaces",
            ),
            Self::CertificateAuthority => (
                &a.certificate_authority_arns,
                "allowed.certificateAuthorityArns",
            ),
        }
    }

    /// The value as the allowed list names it: a credential spec without its
    /// `credentialspec:`/`credentialspecdomainless:` prefix (the list names the S3 object or
    /// SSM parameter).
    fn subject(self, value: &str) -> &str {
        match self {
            Self::CredentialSpec => value
                .strip_prefix("credentialspecdomainless:")
                .or_else(|| value.strip_prefix("credentialspec:"))
                .unwrap_or(value),
            _ => value,
        }
    }
}

/// Every TaskDefinition spec field that references an AWS resource another team could own,
/// as a path into the spec's JSON (`[]`: each list item). `tests/tenancy.rs` walks the CRD
/// and fails on any ARN, ID or reference field that is neither here nor in
/// [`NOT_REFERENCES`], so a new field forces a decision.
pub const TASK_DEFINITION_REFERENCES: &[(&str, Category)] = &[
    ("containers[].secrets[].valueFrom", Category::Secret),
    (
        "containers[].repositoryCredentials.credentialsParameter",
        Category::Secret,
    ),
    (
        "containers[].logging.secretOptions[].valueFrom",
        Category::Secret,
    ),
    ("containers[].logging.group", Category::LogGroup),
    (
        "containers[].environmentFiles[].value",
        Category::EnvironmentFile,
    ),
    ("containers[].credentialSpecs[]", Category::CredentialSpec),
    ("volumes[].efs.fileSystemId", Category::EfsFileSystem),
    (
        "volumes[].s3files.fileSystemArn",
        Category::S3FilesFileSystem,
    ),
    ("executionRole.arn", Category::Role),
    ("taskRole.arn", Category::Role),
    (
        "executionRole.managed.policyArns[]",
        Category::ManagedPolicy,
    ),
    ("taskRole.managed.policyArns[]", Category::ManagedPolicy),
];

/// Every FargateService spec field that references an AWS resource another team could own
/// (see [`TASK_DEFINITION_REFERENCES`]).
pub const FARGATE_SERVICE_REFERENCES: &[(&str, Category)] = &[
    ("cluster.name", Category::Cluster),
    ("taskDefinitionArn", Category::TaskDefinition),
    ("network.subnets[]", Category::Subnet),
    ("network.securityGroups[]", Category::SecurityGroup),
    ("loadBalancers[].targetGroupArn", Category::TargetGroup),
    (
        "loadBalancers[].advanced.alternateTargetGroupArn",
        Category::TargetGroup,
    ),
    (
        "loadBalancers[].advanced.productionListenerRule",
        Category::ListenerRule,
    ),
    (
        "loadBalancers[].advanced.testListenerRule",
        Category::ListenerRule,
    ),
    ("loadBalancers[].advanced.roleArn", Category::Role),
    ("vpcLattice[].targetGroupArn", Category::TargetGroup),
    ("vpcLattice[].roleArn", Category::Role),
    ("serviceRegistries[].registryArn", Category::ServiceRegistry),
    (
        "deployment.lifecycleHooks[].lambdaArn",
        Category::LambdaFunction,
    ),
    ("deployment.lifecycleHooks[].roleArn", Category::Role),
    (
        "scaling.requestsPerTarget.targetGroupArn",
        Category::TargetGroup,
    ),
    (
        "serviceConnect.namespace",
        Category::ServiceConnectNamespace,
    ),
    (
        "cluster.serviceConnectDefaults.namespace",
        Category::ServiceConnectNamespace,
    ),
    (
        "volumeConfigurations[].managedEBSVolume.roleArn",
        Category::Role,
    ),
    (
        "volumeConfigurations[].managedEBSVolume.kmsKeyId",
        Category::KmsKey,
    ),
    (
        "volumeConfigurations[].managedEBSVolume.snapshotId",
        Category::EbsSnapshot,
    ),
    (
        "serviceConnect.services[].tls.certificateAuthorityArn",
        Category::CertificateAuthority,
    ),
    ("serviceConnect.services[].tls.kmsKey", Category::KmsKey),
    ("serviceConnect.services[].tls.roleArn", Category::Role),
    (
        "vpcLattice[].advanced.alternateTargetGroupArn",
        Category::TargetGroup,
    ),
    (
        "vpcLattice[].advanced.productionListenerRule",
        Category::ListenerRule,
    ),
    (
        "vpcLattice[].advanced.testListenerRule",
        Category::ListenerRule,
    ),
    // spec.deployment.preDeploy (its task's revision and network).
    (
        "deployment.preDeploy.taskDefinitionArn",
        Category::TaskDefinition,
    ),
    ("deployment.preDeploy.network.subnets[]", Category::Subnet),
    (
        "deployment.preDeploy.network.securityGroups[]",
        Category::SecurityGroup,
    ),
];

/// Every FargateTask spec field that references an AWS resource another team could own
/// (see [`TASK_DEFINITION_REFERENCES`]).
pub const FARGATE_TASK_REFERENCES: &[(&str, Category)] = &[
    ("cluster.name", Category::Cluster),
    (
        "cluster.serviceConnectDefaults.namespace",
        Category::ServiceConnectNamespace,
    ),
    ("taskDefinitionArn", Category::TaskDefinition),
    ("network.subnets[]", Category::Subnet),
    ("network.securityGroups[]", Category::SecurityGroup),
];

/// Spec fields that look like references (an ARN, an ID, a name of something in AWS) but
/// are not something another team owns, with why.
pub const NOT_REFERENCES: &[(&str, &str)] = &[
    (
        "volumes[].efs.accessPointId",
        "belongs to the file system, which allowed.efsFileSystems governs",
    ),
    (
        "volumes[].s3files.accessPointArn",
        "must belong to the file system (validate() checks), which allowed.s3FilesFileSystems governs",
    ),
    (
        "deployment.alarms.names[]",
        "CloudWatch alarms are only read, to stop a deployment",
    ),
    (
        "taskDefinitionRef.name",
        "a TaskDefinition object of the same namespace",
    ),
    (
        "containers[].logging.options",
        "the log driver's own settings; awslogs-group is checked as logging.group",
    ),
];

/// The spec values at `path` (see [`TASK_DEFINITION_REFERENCES`]), each with its field path
/// as `validate()` names fields (`spec.containers[0].secrets[1].valueFrom`).
fn values_at<'a>(v: &'a Value, path: &str, at: String, out: &mut Vec<(String, &'a str)>) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (key, each) = match head.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (head, false),
    };
    let Some(child) = v.get(key) else { return };
    let here = format!("{at}.{key}");
    let items: Vec<(String, &Value)> = if each {
        child
            .as_array()
            .map(|a| {
                a.iter()
                    .enumerate()
                    .map(|(i, x)| (format!("{here}[{i}]"), x))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![(here, child)]
    };
    for (p, x) in items {
        match rest {
            Some(r) => values_at(x, r, p, out),
            None => {
                if let Some(s) = x.as_str() {
                    out.push((p, s));
                }
            }
        }
    }
}

/// Whether `value` matches one of `entries`: equal, or starting with an entry's text before
/// its trailing `*`.
pub fn permits(entries: &[String], value: &str) -> bool {
    entries.iter().any(|e| match e.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => e == value,
    })
}

/// What a tenant permits beyond its `allowed` lists: its own defaults, and log groups under
/// `/ecs/<namespace>_`.
fn permitted_by_tenant(t: &FargateTenantSpec, namespace: &str, c: Category, v: &str) -> bool {
    let d = &t.defaults;
    let (list, _) = c.allowed(&t.allowed);
    permits(list, c.subject(v))
        || match c {
            Category::Cluster => d.cluster.as_deref() == Some(v),
            Category::Subnet => d.subnets.iter().any(|s| s == v),
            Category::SecurityGroup => d.security_groups.iter().any(|s| s == v),
            Category::LogGroup => v.starts_with(&format!("/ecs/{namespace}_")),
            _ => false,
        }
}

/// The namespace whose log groups `group` would be among (`/ecs/<namespace>_...`), when it
/// is not `namespace`: namespaces cannot contain `_`, so the prefix names exactly one.
fn reserved_for_another<'a>(group: &'a str, namespace: &str) -> Option<&'a str> {
    let (other, _) = group.strip_prefix("/ecs/")?.split_once('_')?;
    let label = crate::api::validation::matches(crate::api::patterns::NAMESPACE, other);
    (label && other != namespace).then_some(other)
}

/// Checks each referenced value against the tenant (if any) and the operator's floor.
fn check(
    spec: &impl serde::Serialize,
    table: &[(&str, Category)],
    tenant: Option<&Tenant>,
    floor: &Floor,
    namespace: &str,
) -> Result<(), ValidationErrors> {
    let Ok(json) = serde_json::to_value(spec) else {
        return Ok(());
    };
    let mut errors = vec![];
    for (path, category) in table {
        let mut found = vec![];
        values_at(&json, path, "spec".into(), &mut found);
        for (field, value) in found {
            if *category == Category::Role
                && !floor.allowed_role_arns.is_empty()
                && !permits(&floor.allowed_role_arns, value)
            {
                errors.push(FieldError {
                    field: field.clone(),
                    message: format!(
                        "{value} is not allowed by the operator's --allowed-role-arns: use a \
                         managed role, or ask the platform team to allow this one"
                    ),
                });
                continue;
            }
            if *category == Category::LogGroup {
                if let Some(other) = reserved_for_another(value, namespace) {
                    errors.push(FieldError {
                        field: field.clone(),
                        message: format!(
                            "{value} is under /ecs/{other}_, where namespace {other}'s log groups \
                             are: name a group under /ecs/{namespace}_ (or leave group out)"
                        ),
                    });
                    continue;
                }
            }
            let Some(t) = tenant else { continue };
            if !permitted_by_tenant(&t.spec, namespace, *category, value) {
                let (_, list) = category.allowed(&t.spec.allowed);
                errors.push(FieldError {
                    field,
                    message: format!(
                        "{value} is not allowed by FargateTenant {} ({list}): reference one it \
                         allows, or ask the platform team to add it",
                        t.name
                    ),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(errors))
    }
}

/// Refuses what a TaskDefinition of `namespace` may not reference.
pub fn check_task_definition(
    spec: &TaskDefinitionSpec,
    tenant: Option<&Tenant>,
    floor: &Floor,
    namespace: &str,
) -> Result<(), ValidationErrors> {
    check(spec, TASK_DEFINITION_REFERENCES, tenant, floor, namespace)
}

/// Refuses what a FargateService of `namespace` may not reference.
pub fn check_fargate_service(
    spec: &FargateServiceSpec,
    tenant: Option<&Tenant>,
    floor: &Floor,
    namespace: &str,
) -> Result<(), ValidationErrors> {
    check(spec, FARGATE_SERVICE_REFERENCES, tenant, floor, namespace)
}

/// Refuses what a FargateTask of `namespace` may not reference.
pub fn check_fargate_task(
    spec: &crate::api::fargatetask::FargateTaskSpec,
    tenant: Option<&Tenant>,
    floor: &Floor,
    namespace: &str,
) -> Result<(), ValidationErrors> {
    check(spec, FARGATE_TASK_REFERENCES, tenant, floor, namespace)
}

/// Who forbids adopting, if anyone: the operator (no `--allow-adoption`) or the tenant (no
/// `allowed.adoption`).
pub fn adoption_forbidden_by(tenant: Option<&Tenant>, floor: &Floor) -> Option<String> {
    if !floor.allow_adoption {
        return Some("the operator (started without --allow-adoption)".into());
    }
    match tenant {
        Some(t) if !t.spec.allowed.adoption => Some(format!(
            "FargateTenant {} (allowed.adoption is false)",
            t.name
        )),
        _ => None,
    }
}

/// The TaskDefinition spec with the tenant's defaults filled in: tags (the spec's win) and
/// the retention of log groups the operator creates.
pub fn task_definition_with_defaults(
    spec: &TaskDefinitionSpec,
    tenant: &FargateTenantSpec,
) -> TaskDefinitionSpec {
    let d = &tenant.defaults;
    let mut out = spec.clone();
    for (k, v) in &d.tags {
        out.tags.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if let Some(days) = d.log_retention_days {
        for l in out.containers.iter_mut().filter_map(|c| c.logging.as_mut()) {
            if l.create_group && l.retention_days.is_none() {
                l.retention_days = Some(days);
            }
        }
    }
    out
}

/// Where a service or task runs, as a tenant's defaults fill it in: the cluster when the
/// spec names the built-in `default` (`current`: the cluster it already runs in, which a
/// changed default never moves it out of), subnets (and with them `assignPublicIp`) and
/// security groups when it lists none, the capacity-provider mix when it sets none, and tags
/// (the spec's win).
struct Placement<'a> {
    cluster: &'a mut crate::api::fargateservice::ClusterSpec,
    network: &'a mut crate::api::fargateservice::NetworkSpec,
    capacity: &'a mut Vec<crate::api::fargateservice::CapacityProviderStrategyItem>,
    tags: &'a mut std::collections::BTreeMap<String, String>,
}

impl Placement<'_> {
    fn fill(self, tenant: &FargateTenantSpec, current: Option<&str>) {
        let d = &tenant.defaults;
        if self.cluster.name == crate::api::fargateservice::DEFAULT_CLUSTER {
            if let Some(c) = current.or(d.cluster.as_deref()) {
                self.cluster.name = c.to_owned();
            }
        }
        if self.network.subnets.is_empty() && !d.subnets.is_empty() {
            self.network.subnets = d.subnets.clone();
            if let Some(public) = d.assign_public_ip {
                self.network.assign_public_ip = public;
            }
        }
        if self.network.security_groups.is_empty() {
            self.network.security_groups = d.security_groups.clone();
        }
        if self.capacity.is_empty() {
            *self.capacity = d.capacity_provider_strategy.clone();
        }
        for (k, v) in &d.tags {
            self.tags.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// The FargateService spec with the tenant's defaults filled in (see [`Placement`]).
pub fn fargate_service_with_defaults(
    spec: &FargateServiceSpec,
    tenant: &FargateTenantSpec,
    current_cluster: Option<&str>,
) -> FargateServiceSpec {
    let mut out = spec.clone();
    Placement {
        cluster: &mut out.cluster,
        network: &mut out.network,
        capacity: &mut out.capacity_provider_strategy,
        tags: &mut out.tags,
    }
    .fill(tenant, current_cluster);
    out
}

/// The FargateTask as its tenant makes it (`config.tenant`'s defaults filled in, see
/// [`Placement`]).
pub fn governed_fargate_task<'a>(
    ft: &'a crate::api::FargateTask,
    config: &super::PlanConfig,
) -> std::borrow::Cow<'a, crate::api::FargateTask> {
    let Some(t) = &config.tenant else {
        return std::borrow::Cow::Borrowed(ft);
    };
    let mut out = ft.clone();
    let spec = &mut out.spec;
    Placement {
        cluster: &mut spec.cluster,
        network: &mut spec.network,
        capacity: &mut spec.capacity_provider_strategy,
        tags: &mut spec.tags,
    }
    .fill(&t.spec, None);
    std::borrow::Cow::Owned(out)
}

/// The TaskDefinition as its tenant makes it (`config.tenant`'s defaults filled in).
pub fn governed_task_definition<'a>(
    td: &'a crate::api::TaskDefinition,
    config: &super::PlanConfig,
) -> std::borrow::Cow<'a, crate::api::TaskDefinition> {
    match &config.tenant {
        None => std::borrow::Cow::Borrowed(td),
        Some(t) => std::borrow::Cow::Owned(crate::api::TaskDefinition {
            spec: task_definition_with_defaults(&td.spec, &t.spec),
            ..td.clone()
        }),
    }
}

/// The FargateService as its tenant makes it (`config.tenant`'s defaults filled in; the
/// cluster it already runs in, from its status, is kept).
pub fn governed_fargate_service<'a>(
    fs: &'a crate::api::FargateService,
    config: &super::PlanConfig,
) -> std::borrow::Cow<'a, crate::api::FargateService> {
    match &config.tenant {
        None => std::borrow::Cow::Borrowed(fs),
        Some(t) => {
            let current = fs
                .status
                .as_ref()
                .and_then(|s| s.cluster_arn.as_deref())
                .and_then(crate::api::names::cluster_name_of_arn);
            std::borrow::Cow::Owned(crate::api::FargateService {
                spec: fargate_service_with_defaults(&fs.spec, &t.spec, current),
                ..fs.clone()
            })
        }
    }
}

/// The owner with the adoption its annotation asks for only when the operator and the
/// tenant allow it; otherwise `adopt_forbidden` says who forbids it.
pub fn governed_owner(
    mut owner: crate::api::names::Owner,
    config: &super::PlanConfig,
) -> crate::api::names::Owner {
    if owner.adopt {
        if let Some(by) = adoption_forbidden_by(config.tenant.as_ref(), &config.floor) {
            owner.adopt = false;
            owner.adopt_forbidden = Some(by);
        }
    }
    owner
}

/// Why no tenant can be decided for a namespace.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TenancyError {
    /// More than one FargateTenant selects the namespace.
    #[error(
        "namespace {namespace} is selected by FargateTenants {}: a namespace belongs to one \
         tenant; change their namespaces or namespaceSelector",
        tenants.join(" and ")
    )]
    Ambiguous {
        namespace: String,
        tenants: Vec<String>,
    },
    /// A tenant selects by label and the namespace's labels are not known (yet).
    #[error(
        "cannot tell whether FargateTenant {tenant} selects namespace {namespace}: its labels \
         are not known (yet)"
    )]
    LabelsUnknown { namespace: String, tenant: String },
}

impl TenancyError {
    /// As a refusal of the object (`NotAllowed`), naming its namespace.
    pub fn refusal(&self) -> super::PlanError {
        super::PlanError::NotAllowed(ValidationErrors(vec![FieldError {
            field: "metadata.namespace".into(),
            message: self.to_string(),
        }]))
    }
}

/// Whether `t` selects `namespace` (`labels`: its labels, `None` when unknown). A selector
/// that does not parse selects nothing (the tenant's status says why).
pub fn selects(
    t: &crate::api::FargateTenant,
    namespace: &str,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> Result<bool, TenancyError> {
    use kube::core::{Selector, SelectorExt};
    if t.spec.namespaces.iter().any(|n| n == namespace) {
        return Ok(true);
    }
    let Some(selector) = &t.spec.namespace_selector else {
        return Ok(false);
    };
    let Some(labels) = labels else {
        return Err(TenancyError::LabelsUnknown {
            namespace: namespace.to_owned(),
            tenant: kube::ResourceExt::name_any(t),
        });
    };
    Ok(Selector::try_from(selector.clone()).is_ok_and(|s| s.matches(labels)))
}

/// The tenant governing `namespace` among `tenants`: none (the operator's own account and
/// rules), exactly one, or an error when two select it or one cannot tell.
pub fn tenant_for<'a>(
    namespace: &str,
    labels: Option<&std::collections::BTreeMap<String, String>>,
    tenants: impl IntoIterator<Item = &'a crate::api::FargateTenant>,
) -> Result<Option<Tenant>, TenancyError> {
    let mut found = vec![];
    for t in tenants {
        if t.metadata.deletion_timestamp.is_none() && selects(t, namespace, labels)? {
            found.push(t);
        }
    }
    match found.as_slice() {
        [] => Ok(None),
        [t] => Ok(Some(Tenant {
            name: kube::ResourceExt::name_any(*t),
            spec: t.spec.clone(),
        })),
        many => {
            let mut tenants: Vec<String> = many
                .iter()
                .map(|t| kube::ResourceExt::name_any(*t))
                .collect();
            tenants.sort();
            Err(TenancyError::Ambiguous {
                namespace: namespace.to_owned(),
                tenants,
            })
        }
    }
}

impl super::PlanConfig {
    /// These settings as `tenant` (if any) amends them: its region and permissions boundary
    /// replace the operator's, and its rules apply.
    pub fn governed_by(&self, tenant: Option<Tenant>) -> Self {
        let mut config = self.clone();
        if let Some(t) = &tenant {
            if let Some(region) = t.spec.aws.as_ref().and_then(|a| a.region.clone()) {
                config.region = region;
            }
            if let Some(b) = &t.spec.defaults.permissions_boundary {
                config.permissions_boundary = Some(b.clone());
            }
        }
        config.tenant = tenant;
        config
    }
}

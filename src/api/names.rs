//! Every name and identity the operator derives from an object, in one place: who owns what
//! it makes in AWS ([`Owner`], its tags, [`Ownership`]) and what each AWS resource is called
//! (the ECS family, cluster and service, the Application Auto Scaling resource and policies,
//! the managed roles, the log groups), with the check that those names fit AWS's limits
//! ([`validate_names`]). No I/O.
//!
//! Names cannot collide (DESIGN.md rule 9): a derived name joins namespace and name with `_`,
//! which Kubernetes names cannot contain, and one longer than AWS allows keeps a prefix and a
//! hash of the whole ([`bounded_name`]). Objects whose status records the names earlier
//! versions derived (`<namespace>-<name>`) keep them ([`Owner::legacy_names`]).

use std::collections::{BTreeMap, BTreeSet};

use kube::ResourceExt;
use serde::Serialize;

use super::fargateservice::{FargateService, FargateServiceSpec};
use super::taskdefinition::{LogDriver, Logging, TaskDefinition, TaskDefinitionSpec};
use super::validation::{FieldError, ValidationErrors, TAG_VALUE_MAX};
use super::{ADOPT_ANNOTATION, OWNER_TAG, UID_TAG};

/// Who owns the AWS resources: the object's identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub generation: i64,
    /// `ecs.fargate.dev/adopt: "true"`, and adopting is allowed.
    pub adopt: bool,
    /// Who forbids the adoption the annotation asks for (the operator's flags or the
    /// tenant), if anyone: adopting is then refused as `NotAllowed`, naming them.
    pub adopt_forbidden: Option<String>,
    /// Its AWS resources were named `<namespace>-<name>` by an earlier version (its status
    /// says so): they keep those names ([`Owner::aws_name`]).
    pub legacy_names: bool,
}

/// The identity of an object as the planner sees it. Objects read from files have no UID;
/// they get a stable one derived from kind, namespace and name, so repeated runs agree.
pub fn owner_of<K: kube::Resource + 'static>(obj: &K, kind: &str) -> Owner {
    let namespace = obj.namespace().unwrap_or_else(|| "default".into());
    let name = obj.name_any();
    let uid = obj.meta().uid.clone().unwrap_or_else(|| {
        let h = hash_json(&(kind, &namespace, &name));
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
        uid,
        generation: obj.meta().generation.unwrap_or(1),
        adopt: obj
            .annotations()
            .get(ADOPT_ANNOTATION)
            .is_some_and(|v| v == "true"),
        adopt_forbidden: None,
        legacy_names: named_legacy(obj, &namespace, &name),
        namespace,
        name,
    }
}

/// Whether `obj`'s status shows AWS resources under the names versions before the `_`
/// separator derived (`<namespace>-<name>`): a TaskDefinition's family, a FargateService's
/// service. Such an object keeps them; every other object gets `<namespace>_<name>`.
fn named_legacy(obj: &dyn std::any::Any, namespace: &str, name: &str) -> bool {
    let legacy = format!("{namespace}-{name}");
    if let Some(td) = obj.downcast_ref::<TaskDefinition>() {
        let family = td.status.as_ref().and_then(|s| s.family.as_deref());
        return td.spec.family.is_none() && family == Some(legacy.as_str());
    }
    if let Some(fs) = obj.downcast_ref::<FargateService>() {
        let arn = fs.status.as_ref().and_then(|s| s.service_arn.as_deref());
        return fs.spec.service_name.is_none()
            && arn.is_some_and(|a| a.rsplit('/').next() == Some(legacy.as_str()));
    }
    false
}

impl Owner {
    /// The ownership tags every created resource carries.
    pub fn tags(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (OWNER_TAG.to_owned(), owner_key(&self.namespace, &self.name)),
            (UID_TAG.to_owned(), self.uid.clone()),
        ])
    }

    /// How `tags` relate to this owner.
    pub fn ownership(&self, tags: &BTreeMap<String, String>) -> Ownership {
        let key = owner_key(&self.namespace, &self.name);
        match (tags.get(OWNER_TAG), tags.get(UID_TAG)) {
            (Some(o), Some(u)) if *o == key && *u == self.uid => Ownership::Owned,
            (Some(o), _) if *o == key => Ownership::PreviousIncarnation,
            (Some(o), _) => Ownership::Other(o.clone()),
            (None, _) => Ownership::Unmanaged,
        }
    }

    /// The names [`validate_names`] checks for a TaskDefinition: its owner tag and family.
    pub fn validate_family(&self, _spec: &TaskDefinitionSpec) -> Result<(), ValidationErrors> {
        validate_names(&self.namespace, &self.name)
    }

    /// The names [`validate_names`] checks for a FargateService: its owner tag and ECS
    /// service name.
    pub fn validate_service_name(
        &self,
        _spec: &FargateServiceSpec,
    ) -> Result<(), ValidationErrors> {
        validate_names(&self.namespace, &self.name)
    }
}

/// How an AWS resource relates to an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Tagged with this object's name and UID.
    Owned,
    /// Tagged with this object's name but another UID (deleted and re-created object).
    PreviousIncarnation,
    /// Tagged as owned by another object.
    Other(String),
    /// Not tagged by the operator.
    Unmanaged,
}

/// `namespace/name`, the value of [`OWNER_TAG`].
pub fn owner_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// The default ECS family / service name for an object: `<namespace>_<name>`. Kubernetes
/// names cannot contain `_`, so two objects never share it (`a-b`/`c` and `a`/`b-c` gave
/// the same `<namespace>-<name>` before).
///
/// A `.` (Kubernetes names may have one, ECS names may not) becomes `__`, which no
/// Kubernetes name has either; a name longer than ECS's 255 characters keeps a prefix and a
/// hash of the whole ([`bounded_name`]).
pub fn default_aws_name(namespace: &str, name: &str) -> String {
    bounded_name(&format!("{namespace}_{}", name.replace('.', "__")), 255)
}

impl Owner {
    /// The ECS family / service name derived for this object: [`default_aws_name`], or
    /// `<namespace>-<name>` for an object whose resources already have that name.
    pub fn aws_name(&self) -> String {
        if self.legacy_names {
            format!("{}-{}", self.namespace, self.name)
        } else {
            default_aws_name(&self.namespace, &self.name)
        }
    }
}

/// The ECS family of a TaskDefinition.
pub fn family(owner: &Owner, spec: &TaskDefinitionSpec) -> String {
    spec.family.clone().unwrap_or_else(|| owner.aws_name())
}

/// The ECS service name of a FargateService.
pub fn service_name(owner: &Owner, spec: &FargateServiceSpec) -> String {
    spec.service_name
        .clone()
        .unwrap_or_else(|| owner.aws_name())
}

/// Where a FargateService lives in ECS: `(cluster, service)`.
///
/// The cluster is the one the status says the service runs in, when it says so: a
/// FargateTenant's default cluster can change, and the service (and its cleanup) must
/// still find it where it is.
pub fn service_location(fs: &FargateService) -> (String, String) {
    let owner = owner_of(fs, "FargateService");
    let cluster = fs
        .status
        .as_ref()
        .and_then(|s| s.cluster_arn.as_deref())
        .and_then(cluster_name_of_arn)
        .unwrap_or(&fs.spec.cluster.name);
    (cluster.to_owned(), service_name(&owner, &fs.spec))
}

/// The cluster name of an ECS cluster ARN (`arn:aws:ecs:<region>:<account>:cluster/<name>`).
pub fn cluster_name_of_arn(arn: &str) -> Option<&str> {
    arn.rsplit_once(":cluster/")
        .map(|(_, name)| name)
        .filter(|n| !n.is_empty())
}

/// The Application Auto Scaling resource ID of a service.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The name of a service's target-tracking policy `suffix` (`cpu`, `memory`, `requests`):
/// Application Auto Scaling policy names are at most 256 characters.
pub fn scaling_policy_name(service: &str, suffix: &str) -> String {
    bounded_name(&format!("{service}-{suffix}"), 256)
}

/// The idempotency token of CreateService: the same object generation always sends the same
/// token, so a retried create after a crash cannot make a second service.
pub fn client_token(owner: &Owner) -> String {
    hash_json(&(&owner.uid, owner.generation))[..32].to_owned()
}

/// IAM path of every role the operator manages.
pub const ROLE_PATH: &str = "/fargate-operator/";
/// IAM path of the managed scheduler roles (under [`ROLE_PATH`]): what the permissions
/// boundary (`iam/permissions-boundary.json`) tells them from task roles by, so only they
/// may run tasks and pass roles to them.
pub const SCHEDULER_ROLE_PATH: &str = "/fargate-operator/scheduler/";

/// The IAM path of a managed role of `kind`.
pub fn role_path(kind: RoleKind) -> &'static str {
    match kind {
        RoleKind::Scheduler => SCHEDULER_ROLE_PATH,
        RoleKind::Execution | RoleKind::Task | RoleKind::Infrastructure => ROLE_PATH,
    }
}

/// Which managed role: a task's two, or a FargateService's ECS infrastructure role (its
/// managed EBS volumes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RoleKind {
    Execution,
    Task,
    Infrastructure,
    /// The role EventBridge Scheduler starts a scheduled FargateTask's runs with.
    Scheduler,
}

/// Name of the managed role of `kind` of `owner` (a TaskDefinition's execution or task role,
/// a FargateService's infrastructure role, a scheduled FargateTask's scheduler role; IAM
/// role names are at most 64 characters).
pub fn role_name(owner: &Owner, kind: RoleKind) -> String {
    let suffix = match kind {
        RoleKind::Execution => "exec",
        RoleKind::Task => "task",
        RoleKind::Infrastructure => "infra",
        RoleKind::Scheduler => "sched",
    };
    let base = if owner.legacy_names {
        format!("fgo-{}-{}-{suffix}", owner.namespace, owner.name)
    } else {
        format!("fgo_{}_{}_{suffix}", owner.namespace, owner.name)
    };
    bounded_name(&base, 64)
}

/// The log group of a container of `family`: its `logging.group`, else `/ecs/<family>`; None
/// when it logs with another driver than awslogs (no group).
pub fn log_group_name(family: &str, logging: Option<&Logging>) -> Option<String> {
    if logging.and_then(|l| l.driver).unwrap_or_default() != LogDriver::Awslogs {
        return None;
    }
    Some(
        logging
            .and_then(|l| l.group.clone())
            .unwrap_or_else(|| format!("/ecs/{family}")),
    )
}

/// The AWS names of what a TaskDefinition owns: what its observation must read.
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
        .filter_map(|c| log_group_name(&family, c.logging.as_ref()))
        .collect();
    let roles = [RoleKind::Execution, RoleKind::Task]
        .into_iter()
        .map(|k| role_name(&owner, k))
        .collect();
    TaskDefinitionLookups {
        family,
        log_groups,
        roles,
    }
}

/// `(family, revision)` of a task-definition ARN
/// (`arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`).
pub fn revision_of_arn(arn: &str) -> Option<(&str, i32)> {
    let (_, family_revision) = arn.rsplit_once('/')?;
    let (family, revision) = family_revision.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

/// The family of a task-definition ARN, as far as it can be read (the ARN itself when it
/// has no `/<family>:<revision>` end).
pub fn family_of_arn(arn: &str) -> &str {
    arn.rsplit_once('/')
        .and_then(|(_, f)| f.rsplit_once(':'))
        .map_or(arn, |(f, _)| f)
}

/// A hex SHA-256 of `value`'s JSON.
pub(crate) fn hash_json<T: Serialize>(value: &T) -> String {
    use sha2::{Digest, Sha256};
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A name of at most `max` characters: `base` if it fits, else a prefix of it plus a hash of
/// the whole, so distinct long names stay distinct.
pub(crate) fn bounded_name(base: &str, max: usize) -> String {
    if base.len() <= max {
        return base.to_owned();
    }
    let hash = &hash_json(&base)[..8];
    let keep = max - hash.len() - 1;
    let mut prefix: String = base.chars().take(keep).collect();
    while prefix.len() > keep {
        prefix.pop();
    }
    format!("{prefix}-{hash}")
}

/// Checks what the operator derives from an object's namespace and name against AWS's
/// limits, before any AWS call: the owner tag `namespace/name` (a tag value: at most 256
/// characters). The API server cannot check it (a CEL rule does not see the namespace). The
/// derived ECS names always fit ([`default_aws_name`] maps `.` and bounds the length).
pub fn validate_names(namespace: &str, name: &str) -> Result<(), ValidationErrors> {
    let mut errors = vec![];
    let mut fail = |message: String| {
        errors.push(FieldError {
            field: "metadata.name".into(),
            message,
        })
    };
    let owner = owner_key(namespace, name);
    let n = owner.chars().count();
    if n > TAG_VALUE_MAX as usize {
        fail(format!(
            "{owner:?} is {n} characters: the operator tags what it creates with {OWNER_TAG}={owner}, and AWS tag values are at most {TAG_VALUE_MAX}: use a shorter name",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object<K: serde::de::DeserializeOwned>(
        kind: &str,
        ns: &str,
        name: &str,
        status: serde_json::Value,
    ) -> K {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "uid": "u-1"},
            "spec": match kind {
                "TaskDefinition" => serde_json::json!({"cpu": 256, "memory": 512, "containers": [{"name": "a", "image": "a:1"}]}),
                _ => serde_json::json!({"taskDefinitionRef": {"name": "t"}}),
            },
            "status": status,
        }))
        .expect("object")
    }

    #[test]
    fn names_of_objects_whose_namespace_and_name_join_alike_do_not_collide() {
        let a: TaskDefinition = object("TaskDefinition", "a-b", "c", serde_json::json!({}));
        let b: TaskDefinition = object("TaskDefinition", "a", "b-c", serde_json::json!({}));
        let (a, b) = (
            owner_of(&a, "TaskDefinition"),
            owner_of(&b, "TaskDefinition"),
        );
        assert_eq!(a.aws_name(), "a-b_c");
        assert_eq!(b.aws_name(), "a_b-c");
        for kind in [
            RoleKind::Execution,
            RoleKind::Task,
            RoleKind::Infrastructure,
        ] {
            assert_ne!(role_name(&a, kind), role_name(&b, kind));
        }
    }

    #[test]
    fn an_object_whose_status_records_the_earlier_names_keeps_them() {
        let td: TaskDefinition = object(
            "TaskDefinition",
            "shop",
            "web-api",
            serde_json::json!({"family": "shop-web-api"}),
        );
        let owner = owner_of(&td, "TaskDefinition");
        assert!(owner.legacy_names);
        assert_eq!(family(&owner, &td.spec), "shop-web-api");
        assert_eq!(
            role_name(&owner, RoleKind::Execution),
            "fgo-shop-web-api-exec"
        );
        let fresh: TaskDefinition = object(
            "TaskDefinition",
            "shop",
            "web-api",
            serde_json::json!({"family": "shop_web-api"}),
        );
        let owner = owner_of(&fresh, "TaskDefinition");
        assert!(!owner.legacy_names);
        assert_eq!(
            role_name(&owner, RoleKind::Execution),
            "fgo_shop_web-api_exec"
        );
        let fs: FargateService = object(
            "FargateService",
            "shop",
            "web-api",
            serde_json::json!({"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/shop/shop-web-api"}),
        );
        let owner = owner_of(&fs, "FargateService");
        assert_eq!(service_name(&owner, &fs.spec), "shop-web-api");
        assert_eq!(
            service_location(&fs),
            ("default".into(), "shop-web-api".into())
        );
    }

    #[test]
    fn bounded_names_stay_distinct_and_short() {
        let a = bounded_name(&format!("fgo-{}-a-exec", "x".repeat(80)), 64);
        let b = bounded_name(&format!("fgo-{}-b-exec", "x".repeat(80)), 64);
        assert!(a.len() <= 64 && b.len() <= 64);
        assert_ne!(a, b);
        assert_eq!(bounded_name("short", 64), "short");
    }

    #[test]
    fn ownership_classification() {
        let o = Owner {
            namespace: "ns".into(),
            name: "a".into(),
            uid: "u1".into(),
            generation: 1,
            adopt: false,
            adopt_forbidden: None,
            legacy_names: false,
        };
        assert_eq!(o.ownership(&o.tags()), Ownership::Owned);
        let mut t = o.tags();
        t.insert(UID_TAG.into(), "u0".into());
        assert_eq!(o.ownership(&t), Ownership::PreviousIncarnation);
        t.insert(OWNER_TAG.into(), "ns/b".into());
        assert_eq!(o.ownership(&t), Ownership::Other("ns/b".into()));
        assert_eq!(o.ownership(&BTreeMap::new()), Ownership::Unmanaged);
    }
}

// ---- FargateTask runs ----

/// ECS's `startedBy` of a FargateTask's tasks: `<name>-<hash>`, at most 36 characters (the
/// limit the ECS API reference gave `startedBy` before it documented 128; the shorter one
/// holds for both), of the letters, digits, `-`, `_` and `/` it allows. The hash is of the
/// namespace, name and UID, so a re-created object (or one of another namespace) never
/// finds another's tasks; the ownership tags prove it anyway.
pub fn started_by(owner: &Owner) -> String {
    const MAX: usize = 36;
    let hash = &hash_json(&(&owner.namespace, &owner.name, &owner.uid))[..8];
    let name: String = owner
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(MAX - hash.len() - 1)
        .collect();
    format!("{name}-{hash}")
}

/// RunTask's idempotency token for one attempt of one generation: up to 64 ASCII
/// characters 33-126, honoured per cluster for 24 hours (ECS API reference, "Ensuring
/// idempotency"). Hex of a hash of the UID, generation and attempt: 32 characters.
pub fn run_client_token(owner: &Owner, attempt: i32) -> String {
    hash_json(&("run", &owner.uid, owner.generation, attempt))[..32].to_owned()
}

/// The tags on a task of one attempt: the ownership tags, the generation and the attempt
/// (what a lookup after a crash matches exactly).
pub fn run_tags(owner: &Owner, attempt: i32) -> BTreeMap<String, String> {
    let mut tags = owner.tags();
    tags.insert(
        super::GENERATION_TAG.to_owned(),
        owner.generation.to_string(),
    );
    tags.insert(super::ATTEMPT_TAG.to_owned(), attempt.to_string());
    tags
}

/// The [`super::PRE_DEPLOY_TAG`] value of a preDeploy run gating `target` (a revision ARN):
/// `family:revision`, or a hash of the ARN when that would pass a tag value's 256
/// characters (AWS's limit).
pub fn pre_deploy_label(target: &str) -> String {
    const MAX: usize = 256;
    let label = target.rsplit('/').next().unwrap_or(target);
    if label.len() <= MAX {
        label.to_owned()
    } else {
        hash_json(&target)[..32].to_owned()
    }
}

/// The tags on the task of one attempt of a FargateService's preDeploy run for `target`
/// that started at service generation `epoch`: the run tags (ownership, `epoch` as the
/// generation, the attempt) and the revision gated.
pub fn pre_deploy_tags(
    owner: &Owner,
    target: &str,
    epoch: i64,
    attempt: i32,
) -> BTreeMap<String, String> {
    let at_epoch = Owner {
        generation: epoch,
        ..owner.clone()
    };
    let mut tags = run_tags(&at_epoch, attempt);
    tags.insert(super::PRE_DEPLOY_TAG.to_owned(), pre_deploy_label(target));
    tags
}

/// RunTask's idempotency token for one attempt of a preDeploy run (see
/// [`run_client_token`]): a hash of the UID, the revision gated, the generation the run
/// started at and the attempt.
pub fn pre_deploy_client_token(owner: &Owner, target: &str, epoch: i64, attempt: i32) -> String {
    hash_json(&("pre-deploy", &owner.uid, target, epoch, attempt))[..32].to_owned()
}

/// The CloudWatch Logs stream of a container of an awslogs task:
/// `<prefix>/<container>/<task-id>`, where the task ID is the last part of its ARN. None
/// without a prefix (ECS then names the stream itself, with an ID only it knows).
pub fn log_stream_name(prefix: Option<&str>, container: &str, task_arn: &str) -> Option<String> {
    let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
    prefix.map(|p| format!("{p}/{container}/{task_id}"))
}

#[cfg(test)]
mod run_name_tests {
    use super::*;

    fn owner(name: &str) -> Owner {
        Owner {
            namespace: "ns".into(),
            name: name.into(),
            uid: "u-1".into(),
            generation: 3,
            adopt: false,
            adopt_forbidden: None,
            legacy_names: false,
        }
    }

    #[test]
    fn started_by_fits_ecs_and_differs_per_object() {
        let long = owner(&"a.b".repeat(80));
        let s = started_by(&long);
        assert!(s.len() <= 36, "{s}");
        assert!(s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/'));
        assert_ne!(started_by(&owner("a")), started_by(&owner("b")));
        assert!(started_by(&owner("migrate")).starts_with("migrate-"));
    }

    #[test]
    fn client_tokens_differ_per_attempt_and_generation_and_fit() {
        let o = owner("m");
        let t1 = run_client_token(&o, 1);
        assert_eq!(t1.len(), 32);
        assert_ne!(t1, run_client_token(&o, 2));
        let next = Owner {
            generation: 4,
            ..o.clone()
        };
        assert_ne!(t1, run_client_token(&next, 1));
        assert_eq!(t1, run_client_token(&o, 1));
        assert!(t1.bytes().all(|b| (33..=126).contains(&b)));
    }

    #[test]
    fn pre_deploy_tokens_and_tags_differ_per_revision_epoch_and_attempt_and_fit() {
        let o = owner("web");
        let a = "arn:aws:ecs:us-east-1:1:task-definition/ns_web:7";
        let b = "arn:aws:ecs:us-east-1:1:task-definition/ns_web:8";
        let t = pre_deploy_client_token(&o, a, 3, 1);
        assert_eq!(t.len(), 32);
        for other in [
            pre_deploy_client_token(&o, b, 3, 1),
            pre_deploy_client_token(&o, a, 4, 1),
            pre_deploy_client_token(&o, a, 3, 2),
            run_client_token(&o, 1),
        ] {
            assert_ne!(t, other);
        }
        let tags = pre_deploy_tags(&o, a, 2, 1);
        assert_eq!(tags[super::super::PRE_DEPLOY_TAG], "ns_web:7");
        assert_eq!(tags[super::super::GENERATION_TAG], "2");
        let long = format!(
            "arn:aws:ecs:us-east-1:1:task-definition/{}:1",
            "f".repeat(255)
        );
        assert!(pre_deploy_label(&long).len() <= 256);
    }

    #[test]
    fn log_streams_are_prefix_container_task_id() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef";
        assert_eq!(
            log_stream_name(Some("app"), "web", arn).as_deref(),
            Some("app/web/0123456789abcdef")
        );
        assert_eq!(log_stream_name(None, "web", arn), None);
    }
}

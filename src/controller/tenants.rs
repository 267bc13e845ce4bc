//! The FargateTenant controller: each tenant's status says which namespaces it covers, how
//! many TaskDefinitions and FargateServices it governs, and whether it is in force (Ready:
//! its AWS account can be reached, no namespace is claimed by another tenant too).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, Client, ResourceExt};

use super::tenancy::{GuardedTenant, TenancyStores};
use super::{Leadership, Stores};
use crate::api::conditions::{condition, condition_types as ct, set_condition};
use crate::api::{FargateTenant, FargateTenantStatus, FIELD_MANAGER};
use crate::aws::accounts::{Accounts, Scope};
use crate::plan::tenant::selects;

/// Reasons of a tenant's Ready condition.
pub mod tenant_reasons {
    /// The tenant governs its namespaces.
    pub const IN_FORCE: &str = "InForce";
    /// Another tenant selects some of the same namespaces: their objects are refused.
    pub const OVERLAP: &str = "Overlap";
    /// The tenant's AWS account or region cannot be reached (its role cannot be assumed).
    pub const ACCOUNT_UNREACHABLE: &str = "AccountUnreachable";
    /// `namespaceSelector` is not a valid label selector: it selects nothing.
    pub const INVALID_SELECTOR: &str = "InvalidSelector";
}

/// What the tenant controller shares.
pub struct TenantContext {
    pub client: Client,
    pub accounts: Arc<Accounts>,
    pub leadership: Leadership,
    pub tenancy: TenancyStores,
    /// Every scope's caches (objects are counted across them).
    pub scopes: Vec<Stores>,
    /// How often a tenant's counts are refreshed.
    pub resync: Duration,
    pub now: fn() -> Timestamp,
}

/// Why a tenant's status could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("Kubernetes API: {0}")]
    Kube(#[source] kube::Error),
}

/// The namespaces `t` covers: those it names, and the known ones its selector matches.
pub fn covered(t: &FargateTenant, tenancy: &TenancyStores) -> Vec<String> {
    let mut out: Vec<String> = t.spec.namespaces.clone();
    for n in tenancy.namespaces.state() {
        let name = n.name_any();
        if selects(t, &name, Some(n.labels())).unwrap_or(false) {
            out.push(name);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The status of `t`: `others` are the other tenants; `objects` counts objects per
/// namespace; `reached`: whether its AWS account could be reached (or why not).
pub fn tenant_status(
    t: &FargateTenant,
    namespaces: Vec<String>,
    others: &[(String, Vec<String>)],
    objects: &BTreeMap<String, usize>,
    reached: Result<(), String>,
    now: Timestamp,
) -> FargateTenantStatus {
    use tenant_reasons as r;
    let generation = t.metadata.generation;
    let mut shared: Vec<String> = others
        .iter()
        .flat_map(|(other, theirs)| {
            theirs
                .iter()
                .filter(|n| namespaces.contains(n))
                .map(move |n| format!("{n} (also FargateTenant {other})"))
        })
        .collect();
    shared.sort();
    let invalid_selector = t.spec.namespace_selector.as_ref().and_then(|s| {
        kube::core::Selector::try_from(s.clone())
            .err()
            .map(|e| e.to_string())
    });
    let (ready, reason, message) = if let Some(e) = invalid_selector {
        (
            false,
            r::INVALID_SELECTOR,
            format!("spec.namespaceSelector: {e}"),
        )
    } else if !shared.is_empty() {
        (
            false,
            r::OVERLAP,
            format!(
                "namespaces claimed by another tenant too; their objects are refused until one \
                 tenant selects them: {}",
                shared.join(", ")
            ),
        )
    } else if let Err(e) = reached {
        (false, r::ACCOUNT_UNREACHABLE, e)
    } else {
        (
            true,
            r::IN_FORCE,
            format!("governs {} namespace(s)", namespaces.len()),
        )
    };
    let mut conditions = t
        .status
        .as_ref()
        .map(|s| s.conditions.clone())
        .unwrap_or_default();
    set_condition(
        &mut conditions,
        condition(ct::READY, ready, reason, message.clone(), generation, now),
    );
    // Degraded mirrors a tenant not in force (kstatus; Argo CD's health reads it).
    let (degraded, degraded_reason, degraded_message) = match ready {
        true => (false, crate::api::reasons::AS_EXPECTED, String::new()),
        false => (true, reason, message),
    };
    set_condition(
        &mut conditions,
        condition(
            ct::DEGRADED,
            degraded,
            degraded_reason,
            degraded_message,
            generation,
            now,
        ),
    );
    let count: usize = namespaces.iter().filter_map(|n| objects.get(n)).sum();
    FargateTenantStatus {
        observed_generation: generation,
        conditions,
        objects: Some(i32::try_from(count).unwrap_or(i32::MAX)),
        namespaces,
    }
}

/// TaskDefinitions and FargateServices per namespace, across every scope's caches.
fn objects_per_namespace(scopes: &[Stores]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in scopes {
        let namespaces = s
            .task_definitions
            .state()
            .iter()
            .map(|g| g.namespace())
            .chain(s.services.state().iter().map(|g| g.namespace()))
            .collect::<Vec<_>>();
        for n in namespaces.into_iter().flatten() {
            *out.entry(n).or_insert(0) += 1;
        }
    }
    out
}

/// Reconciles one tenant's status (the leader only).
pub fn reconcile_tenant(
    obj: Arc<GuardedTenant>,
    ctx: Arc<TenantContext>,
) -> BoxFuture<'static, Result<Action, TenantError>> {
    async move {
        let Ok(t) = &obj.0 else {
            // Unreadable: the objects of every namespace it might cover say so.
            return Ok(Action::await_change());
        };
        if !ctx.leadership.leading() || t.metadata.deletion_timestamp.is_some() {
            return Ok(Action::await_change());
        }
        let name = t.name_any();
        let span = tracing::info_span!("reconcile", kind = "FargateTenant", name = %name);
        async {
            let namespaces = covered(t, &ctx.tenancy);
            let others: Vec<(String, Vec<String>)> = ctx
                .tenancy
                .tenants
                .state()
                .iter()
                .filter_map(|g| g.0.as_ref().ok())
                .filter(|o| o.name_any() != name && o.metadata.deletion_timestamp.is_none())
                .map(|o| (o.name_any(), covered(o, &ctx.tenancy)))
                .collect();
            let scope = Scope::of(Some(&crate::plan::tenant::Tenant {
                name: name.clone(),
                spec: t.spec.clone(),
            }));
            let reached = ctx
                .accounts
                .aws_for(&scope)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string());
            let objects = objects_per_namespace(&ctx.scopes);
            let status = tenant_status(t, namespaces, &others, &objects, reached, (ctx.now)());
            if t.status.as_ref() != Some(&status) {
                let body = serde_json::json!({
                    "apiVersion": "ecs.fargate.dev/v1alpha1",
                    "kind": "FargateTenant",
                    "status": status,
                });
                Api::<FargateTenant>::all(ctx.client.clone())
                    .patch_status(
                        &name,
                        &PatchParams::apply(FIELD_MANAGER).force(),
                        &Patch::Apply(&body),
                    )
                    .await
                    .map_err(TenantError::Kube)?;
            }
            Ok(Action::requeue(ctx.resync))
        }
        .instrument(span)
        .await
    }
    .boxed()
}

/// Retries a failed status write after a while.
pub fn tenant_error_policy(
    _obj: Arc<GuardedTenant>,
    error: &TenantError,
    _ctx: Arc<TenantContext>,
) -> Action {
    tracing::warn!(error = %error, "writing a FargateTenant's status failed");
    Action::requeue(Duration::from_secs(30))
}

use tracing::Instrument;

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(spec: serde_json::Value) -> FargateTenant {
        let mut t: FargateTenant = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.fargate.dev/v1alpha1", "kind": "FargateTenant",
            "metadata": {"name": "team-a", "generation": 3}, "spec": spec,
        }))
        .unwrap();
        t.metadata.generation = Some(3);
        t
    }

    fn ready(s: &FargateTenantStatus) -> (&str, &str, &str) {
        let c = s.conditions.iter().find(|c| c.type_ == ct::READY).unwrap();
        (c.status.as_str(), c.reason.as_str(), c.message.as_str())
    }

    #[test]
    fn a_tenant_in_force_counts_its_objects_and_overlaps_are_named() {
        let t = tenant(serde_json::json!({"namespaces": ["a", "b"]}));
        let objects = BTreeMap::from([("a".to_owned(), 2), ("c".to_owned(), 5)]);
        let ns = vec!["a".to_owned(), "b".to_owned()];
        let s = tenant_status(&t, ns.clone(), &[], &objects, Ok(()), Timestamp::UNIX_EPOCH);
        assert_eq!(ready(&s).0, "True");
        assert_eq!(s.objects, Some(2));
        assert_eq!(s.namespaces, ns);
        assert_eq!(s.observed_generation, Some(3));

        let others = vec![("team-b".to_owned(), vec!["b".to_owned(), "c".to_owned()])];
        let s = tenant_status(
            &t,
            ns.clone(),
            &others,
            &objects,
            Ok(()),
            Timestamp::UNIX_EPOCH,
        );
        let (status, reason, message) = ready(&s);
        assert_eq!((status, reason), ("False", tenant_reasons::OVERLAP));
        let degraded = s
            .conditions
            .iter()
            .find(|c| c.type_ == ct::DEGRADED)
            .unwrap();
        assert_eq!(
            (degraded.status.as_str(), degraded.reason.as_str()),
            ("True", tenant_reasons::OVERLAP)
        );
        assert!(
            message.contains("b (also FargateTenant team-b)"),
            "{message}"
        );
        assert!(!message.contains("c (also"), "{message}");

        let s = tenant_status(
            &t,
            ns,
            &[],
            &objects,
            Err("assuming arn:aws:iam::111111111111:role/x: AccessDenied".into()),
            Timestamp::UNIX_EPOCH,
        );
        let (status, reason, message) = ready(&s);
        assert_eq!(
            (status, reason),
            ("False", tenant_reasons::ACCOUNT_UNREACHABLE)
        );
        assert!(message.contains("AccessDenied"), "{message}");
    }

    #[test]
    fn an_invalid_selector_is_reported() {
        let t = tenant(
            serde_json::json!({"namespaceSelector": {"matchExpressions": [
                {"key": "team", "operator": "Sometimes", "values": ["a"]}
            ]}}),
        );
        let s = tenant_status(
            &t,
            vec![],
            &[],
            &BTreeMap::new(),
            Ok(()),
            Timestamp::UNIX_EPOCH,
        );
        let (status, reason, _) = ready(&s);
        assert_eq!(
            (status, reason),
            ("False", tenant_reasons::INVALID_SELECTOR)
        );
    }
}

//! Which FargateTenant governs an object, from the cached tenants and namespaces, and what
//! it is reconciled with: the AWS clients of its tenant's account and region, and the plan
//! settings as the tenant amends them.

use k8s_openapi::api::core::v1::Namespace;
use kube::core::{DeserializeGuard, PartialObjectMeta};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::ResourceExt;

use crate::api::{reasons, FargateTenant};
use crate::aws::accounts::Scope;
use crate::aws::Aws;
use crate::plan::tenant::{tenant_for, TenancyError};
use crate::plan::{PlanConfig, PlanError};

/// A FargateTenant as read from the API server (or why it could not be read).
pub type GuardedTenant = DeserializeGuard<FargateTenant>;
/// A namespace's metadata (its labels select tenants).
pub type NamespaceMeta = PartialObjectMeta<Namespace>;

/// The caches tenancy reads: every FargateTenant and every namespace's labels.
#[derive(Clone)]
pub struct TenancyStores {
    pub tenants: Store<GuardedTenant>,
    pub namespaces: Store<NamespaceMeta>,
}

impl TenancyStores {
    /// Empty caches: no tenant governs any namespace.
    pub fn empty() -> Self {
        Self {
            tenants: reflector::store().0,
            namespaces: reflector::store().0,
        }
    }
}

/// How one object is reconciled.
#[derive(Clone)]
pub struct Governed {
    pub aws: Aws,
    pub config: PlanConfig,
    pub scope: Scope,
}

/// The tenant governing `namespace`, from the caches. A tenant the operator cannot read
/// might select it, so it refuses rather than guess.
pub fn tenant_of(
    stores: &TenancyStores,
    namespace: &str,
) -> Result<Option<crate::plan::tenant::Tenant>, PlanError> {
    let mut tenants = vec![];
    for t in stores.tenants.state() {
        match &t.0 {
            Ok(t) => tenants.push(t.clone()),
            Err(bad) => {
                let name = bad.metadata.name.clone().unwrap_or_default();
                return Err(PlanError::Waiting {
                    reason: reasons::TENANT_UNAVAILABLE,
                    message: format!(
                        "FargateTenant {name} cannot be read ({}), and it may govern namespace \
                         {namespace}: fix it (or upgrade the operator)",
                        bad.error
                    ),
                });
            }
        }
    }
    let labels = stores
        .namespaces
        .get(&ObjectRef::new(namespace))
        .map(|n| n.labels().clone());
    tenant_for(namespace, labels.as_ref(), &tenants).map_err(|e| match e {
        TenancyError::LabelsUnknown { .. } => PlanError::Waiting {
            reason: reasons::TENANT_UNAVAILABLE,
            message: e.to_string(),
        },
        TenancyError::Ambiguous { .. } => e.refusal(),
    })
}

/// What an object of `namespace` is reconciled with.
pub async fn govern(ctx: &super::Context, namespace: &str) -> Result<Governed, PlanError> {
    let tenant = tenant_of(&ctx.stores.tenancy, namespace)?;
    let scope = Scope::of(tenant.as_ref());
    let aws = ctx
        .accounts
        .aws_for(&scope)
        .await
        .map_err(|e| PlanError::Waiting {
            reason: reasons::TENANT_UNAVAILABLE,
            message: e.to_string(),
        })?;
    Ok(Governed {
        aws,
        config: ctx.settings.plan.governed_by(tenant),
        scope,
    })
}

/// Whether a resource the status names (`arn`) lives where `governed` reconciles: a tenant
/// whose account or region changed (or that went away) would otherwise make a cleanup look
/// in the wrong place, find nothing, and let the finalizer go while the resources stay.
pub fn elsewhere(arn: Option<&str>, governed: &Governed) -> Option<String> {
    let mut parts = arn?.split(':');
    let (region, account) = (parts.nth(3)?, parts.next()?);
    let want_account = governed.scope.account();
    if region != governed.config.region || want_account.is_some_and(|a| a != account) {
        Some(format!(
            "its AWS resources are in account {account}, region {region}, and this namespace \
             is now reconciled in {} (region {}): restore the FargateTenant that covered it, \
             or delete the resources by hand and remove the finalizer",
            governed.scope, governed.config.region
        ))
    } else {
        None
    }
}

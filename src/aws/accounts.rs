//! The AWS clients of each account and region objects are reconciled in: the operator's own,
//! and one per FargateTenant `aws` block (a role to assume, a region), made once and reused,
//! each with its own client-side rate limits.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::Aws;
use crate::plan::tenant::Tenant;

/// Where objects are reconciled: the operator's credentials and region, or a tenant's role
/// and region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// A role to assume; `None`: the operator's own credentials.
    pub role_arn: Option<String>,
    /// The external ID the role's trust policy asks for.
    pub external_id: Option<String>,
    /// A region; `None`: the operator's own.
    pub region: Option<String>,
}

impl Scope {
    /// The scope of `tenant`'s objects (the operator's own without a tenant or its `aws`).
    pub fn of(tenant: Option<&Tenant>) -> Self {
        let aws = tenant.and_then(|t| t.spec.aws.as_ref());
        Self {
            role_arn: aws.and_then(|a| a.role_arn.clone()),
            external_id: aws.and_then(|a| a.external_id.clone()),
            region: aws.and_then(|a| a.region.clone()),
        }
    }

    /// The operator's own credentials and region.
    pub fn is_own(&self) -> bool {
        *self == Self::default()
    }

    /// The account the role belongs to, when a role is assumed.
    pub fn account(&self) -> Option<&str> {
        self.role_arn.as_deref()?.split(':').nth(4)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.role_arn, &self.region) {
            (None, None) => f.write_str("the operator's own account and region"),
            (Some(r), None) => write!(f, "role {r}"),
            (None, Some(g)) => write!(f, "region {g}"),
            (Some(r), Some(g)) => write!(f, "role {r} in {g}"),
        }
    }
}

/// Makes the clients of a scope other than the operator's own.
pub trait Connect: Send + Sync {
    /// Clients for `scope`, or why there are none (a role that cannot be assumed).
    fn connect<'a>(&'a self, scope: &'a Scope) -> BoxFuture<'a, Result<Aws, String>>;
}

/// Why a scope has no clients.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("AWS clients for {scope}: {message}")]
pub struct AccountError {
    pub scope: String,
    pub message: String,
}

/// Every scope's clients, made on first use and kept. A scope that could not be connected
/// is tried again on its next use.
pub struct Accounts {
    own: Aws,
    connect: Option<Arc<dyn Connect>>,
    /// Applied to every scope's clients (the controller's metrics and retries).
    wrap: Arc<dyn Fn(Aws) -> Aws + Send + Sync>,
    made: tokio::sync::Mutex<HashMap<Scope, Aws>>,
}

impl Accounts {
    /// The operator's own clients; other scopes are made by `connect` (`None`: refused).
    pub fn new(own: Aws, connect: Option<Arc<dyn Connect>>) -> Self {
        Self {
            own,
            connect,
            wrap: Arc::new(|aws| aws),
            made: tokio::sync::Mutex::default(),
        }
    }

    /// Every scope's clients (the operator's own included) go through `wrap`.
    pub fn wrapped(self, wrap: impl Fn(Aws) -> Aws + Send + Sync + 'static) -> Self {
        Self {
            own: wrap(self.own),
            wrap: Arc::new(wrap),
            ..self
        }
    }

    /// The operator's own clients.
    pub fn own(&self) -> &Aws {
        &self.own
    }

    /// The clients of `scope`.
    pub async fn aws_for(&self, scope: &Scope) -> Result<Aws, AccountError> {
        if scope.is_own() {
            return Ok(self.own.clone());
        }
        let mut made = self.made.lock().await;
        if let Some(aws) = made.get(scope) {
            return Ok(aws.clone());
        }
        let Some(connect) = &self.connect else {
            return Err(AccountError {
                scope: scope.to_string(),
                message: "this command reaches only the operator's own account and region".into(),
            });
        };
        let aws = connect
            .connect(scope)
            .await
            .map_err(|message| AccountError {
                scope: scope.to_string(),
                message,
            })?;
        let aws = (self.wrap)(aws);
        made.insert(scope.clone(), aws.clone());
        Ok(aws)
    }
}

impl From<Aws> for Accounts {
    /// Only the operator's own account and region.
    fn from(own: Aws) -> Self {
        Self::new(own, None)
    }
}

//! Wrappers around any implementation of the AWS traits: [`Instrumented`] reports every
//! call to a [`CallHook`] (counting for tests and metrics, rate limits, fault injection: the
//! hook may fail or delay a call before it reaches AWS), and [`Retried`] retries a failed
//! call in place under a [`RetryPolicy`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::retry::RetryPolicy;
use super::{AwsError, Ecs, Iam, LoadBalancing, Logs, NamePage, NewRole, RevisionPage, Scaling};
use crate::plan::model::{
    ObservedCluster, ObservedLogGroup, ObservedRevision, ObservedRole, ObservedScaling,
    ObservedService, ObservedStoppedTask, ScheduledActionDef, ServiceBody, Tags, TargetTrackingDef,
    TaskDefBody,
};
use crate::plan::ServiceUpdate;

pub use super::call::{Call, CallKind};

/// Sees every call through [`Instrumented`].
#[async_trait]
pub trait CallHook: Send + Sync {
    /// Before the call; an error here is returned instead of making the call.
    async fn before(&self, _call: Call) -> Result<(), AwsError> {
        Ok(())
    }
    /// After the call, with whether it failed and how. Returning an error replaces the
    /// call's result: the call happened but its answer was lost (a crash or a timeout).
    fn after(&self, call: Call, error: Option<&AwsError>) -> Option<AwsError>;
}

/// Counts calls by `(service, operation, kind)`; the counts tests and `apply` report.
#[derive(Default, Debug)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<(&'static str, &'static str, CallKind), usize>>,
}

impl CallCounter {
    /// A snapshot of the counts.
    pub fn snapshot(&self) -> BTreeMap<(&'static str, &'static str, CallKind), usize> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Calls of `kind`.
    pub fn total(&self, kind: CallKind) -> usize {
        self.snapshot()
            .iter()
            .filter(|((_, _, k), _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }

    /// Calls of one operation.
    pub fn count(&self, operation: &str) -> usize {
        self.snapshot()
            .iter()
            .filter(|((_, op, _), _)| *op == operation)
            .map(|(_, n)| n)
            .sum()
    }

    /// The write calls, as `service:operation` → count.
    pub fn writes(&self) -> BTreeMap<String, usize> {
        self.snapshot()
            .into_iter()
            .filter(|((_, _, k), _)| *k == CallKind::Write)
            .map(|((s, o, _), n)| (format!("{s}:{o}"), n))
            .collect()
    }

    pub fn reset(&self) {
        if let Ok(mut c) = self.counts.lock() {
            c.clear();
        }
    }
}

impl CallHook for CallCounter {
    fn after(&self, call: Call, _error: Option<&AwsError>) -> Option<AwsError> {
        if let Ok(mut c) = self.counts.lock() {
            *c.entry((call.service, call.operation, call.kind))
                .or_default() += 1;
        }
        None
    }
}

/// Delegates to `inner`, telling `hook` about each call.
pub struct Instrumented<I: ?Sized> {
    inner: Arc<I>,
    hook: Arc<dyn CallHook>,
}

impl<I: ?Sized> Instrumented<I> {
    pub fn new(inner: Arc<I>, hook: Arc<dyn CallHook>) -> Self {
        Self { inner, hook }
    }
}

/// Delegates to `inner`, retrying a failed call in place as `policy` allows.
pub struct Retried<I: ?Sized> {
    inner: Arc<I>,
    policy: RetryPolicy,
}

impl<I: ?Sized> Retried<I> {
    pub fn new(inner: Arc<I>, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }
}

/// Both wrappers for one trait, from its list of methods.
macro_rules! instrumented {
    ($trait:ident, $service:literal, $(
        $kind:ident fn $method:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty;
    )*) => {
        #[async_trait]
        impl $trait for Instrumented<dyn $trait> {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError> {
                    let call = Call {
                        service: $service,
                        operation: stringify!($method),
                        kind: CallKind::$kind,
                    };
                    self.hook.before(call).await?;
                    let result = self.inner.$method($($arg),*).await;
                    match self.hook.after(call, result.as_ref().err()) {
                        Some(lost) => Err(lost),
                        None => result,
                    }
                }
            )*
        }

        #[async_trait]
        impl $trait for Retried<dyn $trait> {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError> {
                    let call = Call {
                        service: $service,
                        operation: stringify!($method),
                        kind: CallKind::$kind,
                    };
                    let mut attempt = 1;
                    loop {
                        match self.inner.$method($($arg),*).await {
                            Err(e) if self.policy.retries(call, &e, attempt) => {
                                tokio::time::sleep(self.policy.delay(attempt)).await;
                                attempt += 1;
                            }
                            result => return result,
                        }
                    }
                }
            )*
        }
    };
}

instrumented!(Ecs, "ecs",
    Read fn list_revisions(&self, family: Option<&str>, next_token: Option<&str>) -> RevisionPage;
    Read fn describe_revision(&self, arn: &str) -> Option<ObservedRevision>;
    Write fn register_task_definition(&self, body: &TaskDefBody, tags: &Tags) -> String;
    Write fn deregister_task_definition(&self, arn: &str) -> ();
    Write fn tag_resource(&self, arn: &str, tags: &Tags) -> ();
    Write fn untag_resource(&self, arn: &str, keys: &[String]) -> ();
    Read fn describe_cluster(&self, name: &str) -> Option<ObservedCluster>;
    Write fn create_cluster(&self, name: &str, capacity_providers: &[String], tags: &Tags) -> ();
    Read fn describe_services(&self, cluster: &str, names: &[String]) -> Vec<(String, ObservedService)>;
    Write fn create_service(&self, cluster: &str, name: &str, body: &ServiceBody, tags: &Tags, client_token: &str) -> String;
    Write fn update_service(&self, cluster: &str, name: &str, update: &ServiceUpdate) -> ();
    Write fn delete_service(&self, cluster: &str, name: &str) -> ();
    Read fn list_clusters(&self, next_token: Option<&str>) -> NamePage;
    Read fn list_services(&self, cluster: &str, next_token: Option<&str>) -> NamePage;
    Read fn stopped_tasks(&self, cluster: &str, service: &str, limit: usize) -> Vec<ObservedStoppedTask>;
);

instrumented!(Iam, "iam",
    Read fn get_role(&self, name: &str) -> Option<ObservedRole>;
    Write fn create_role(&self, role: NewRole<'_>) -> String;
    Write fn update_assume_role_policy(&self, role: &str, policy: &serde_json::Value) -> ();
    Write fn put_role_permissions_boundary(&self, role: &str, arn: &str) -> ();
    Write fn delete_role_permissions_boundary(&self, role: &str) -> ();
    Write fn attach_role_policy(&self, role: &str, policy_arn: &str) -> ();
    Write fn detach_role_policy(&self, role: &str, policy_arn: &str) -> ();
    Write fn put_role_policy(&self, role: &str, name: &str, document: &serde_json::Value) -> ();
    Write fn delete_role_policy(&self, role: &str, name: &str) -> ();
    Write fn delete_role(&self, role: &str) -> ();
);

instrumented!(Logs, "logs",
    Read fn describe_log_group(&self, name: &str) -> Option<ObservedLogGroup>;
    Write fn create_log_group(&self, name: &str, tags: &Tags) -> ();
    Write fn put_retention_policy(&self, name: &str, days: i32) -> ();
    Write fn delete_retention_policy(&self, name: &str) -> ();
    Write fn delete_log_group(&self, name: &str) -> ();
);

instrumented!(Scaling, "application-autoscaling",
    Read fn describe(&self, resource_id: &str) -> ObservedScaling;
    Write fn register_scalable_target(&self, resource_id: &str, min: i32, max: i32) -> ();
    Write fn deregister_scalable_target(&self, resource_id: &str) -> ();
    Write fn put_scaling_policy(&self, resource_id: &str, name: &str, policy: &TargetTrackingDef) -> ();
    Write fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> ();
    Write fn put_scheduled_action(&self, resource_id: &str, name: &str, action: &ScheduledActionDef) -> ();
    Write fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> ();
);

instrumented!(LoadBalancing, "elasticloadbalancing",
    Read fn resource_label(&self, target_group_arn: &str) -> String;
);

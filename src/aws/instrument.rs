//! Wrappers around any implementation of the AWS traits: [`Instrumented`] reports every
//! call to a [`CallHook`] (counting for tests and metrics, rate limits, fault injection: the
//! hook may fail or delay a call before it reaches AWS), and [`Retried`] retries a failed
//! call in place under a [`RetryPolicy`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::retry::RetryPolicy;
use super::{
    AwsError, AwsOp, Ecs, Iam, LoadBalancing, Logs, NamePage, NewRole, RevisionPage, Scaling,
};
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

/// Counts calls by operation; the counts tests and `apply` report.
#[derive(Default, Debug)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<AwsOp, usize>>,
}

impl CallCounter {
    /// A snapshot of the counts, by `(service, operation, kind)`: the operation is the
    /// call's metrics label (`create_service`).
    pub fn snapshot(&self) -> BTreeMap<(&'static str, &'static str, CallKind), usize> {
        let counts = self.counts.lock().map(|c| c.clone()).unwrap_or_default();
        counts
            .into_iter()
            .map(|(op, n)| ((op.service(), op.metrics_label(), op.kind()), n))
            .collect()
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
            *c.entry(call.op).or_default() += 1;
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

/// The operator calls of one trait (`<dyn Ecs as Calls>::OPS`), from its `instrumented!`
/// list.
pub trait Calls {
    const OPS: &'static [AwsOp];
}

/// Whether two strings are equal, at compile time.
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Both wrappers for one trait, from its list of methods, each with the operation it is
/// named after (its first request: `AwsOp` says its service, kind and metrics label).
macro_rules! instrumented {
    ($trait:ident, $(
        $op:ident fn $method:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty;
    )*) => {
        // Each method's metrics label is its name: the table says so, checked at compile
        // time.
        $(
            const _: () = assert!(
                same_str(AwsOp::$op.metrics_label(), stringify!($method)),
                concat!("the metrics label of AwsOp::", stringify!($op), " is not ", stringify!($method)),
            );
        )*

        impl Calls for dyn $trait {
            const OPS: &'static [AwsOp] = &[$(AwsOp::$op,)*];
        }

        #[async_trait]
        impl $trait for Instrumented<dyn $trait> {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError> {
                    let call = Call { op: AwsOp::$op };
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
                    let call = Call { op: AwsOp::$op };
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

instrumented!(Ecs,
    ListTaskDefinitions fn list_revisions(&self, family: Option<&str>, next_token: Option<&str>) -> RevisionPage;
    DescribeTaskDefinition fn describe_revision(&self, arn: &str) -> Option<ObservedRevision>;
    RegisterTaskDefinition fn register_task_definition(&self, body: &TaskDefBody, tags: &Tags) -> String;
    DeregisterTaskDefinition fn deregister_task_definition(&self, arn: &str) -> ();
    TagResource fn tag_resource(&self, arn: &str, tags: &Tags) -> ();
    UntagResource fn untag_resource(&self, arn: &str, keys: &[String]) -> ();
    DescribeClusters fn describe_cluster(&self, name: &str) -> Option<ObservedCluster>;
    CreateCluster fn create_cluster(&self, name: &str, capacity_providers: &[String], tags: &Tags) -> ();
    DescribeServices fn describe_services(&self, cluster: &str, names: &[String]) -> Vec<(String, ObservedService)>;
    CreateService fn create_service(&self, cluster: &str, name: &str, body: &ServiceBody, tags: &Tags, client_token: &str) -> String;
    UpdateService fn update_service(&self, cluster: &str, name: &str, update: &ServiceUpdate) -> ();
    DeleteService fn delete_service(&self, cluster: &str, name: &str) -> ();
    ListClusters fn list_clusters(&self, next_token: Option<&str>) -> NamePage;
    ListServices fn list_services(&self, cluster: &str, next_token: Option<&str>) -> NamePage;
    ListTasks fn stopped_tasks(&self, cluster: &str, service: &str, limit: usize) -> Vec<ObservedStoppedTask>;
);

instrumented!(Iam,
    GetRole fn get_role(&self, name: &str) -> Option<ObservedRole>;
    CreateRole fn create_role(&self, role: NewRole<'_>) -> String;
    UpdateAssumeRolePolicy fn update_assume_role_policy(&self, role: &str, policy: &serde_json::Value) -> ();
    PutRolePermissionsBoundary fn put_role_permissions_boundary(&self, role: &str, arn: &str) -> ();
    DeleteRolePermissionsBoundary fn delete_role_permissions_boundary(&self, role: &str) -> ();
    AttachRolePolicy fn attach_role_policy(&self, role: &str, policy_arn: &str) -> ();
    DetachRolePolicy fn detach_role_policy(&self, role: &str, policy_arn: &str) -> ();
    PutRolePolicy fn put_role_policy(&self, role: &str, name: &str, document: &serde_json::Value) -> ();
    DeleteRolePolicy fn delete_role_policy(&self, role: &str, name: &str) -> ();
    DeleteRole fn delete_role(&self, role: &str) -> ();
);

instrumented!(Logs,
    DescribeLogGroups fn describe_log_group(&self, name: &str) -> Option<ObservedLogGroup>;
    CreateLogGroup fn create_log_group(&self, name: &str, tags: &Tags) -> ();
    PutRetentionPolicy fn put_retention_policy(&self, name: &str, days: i32) -> ();
    DeleteRetentionPolicy fn delete_retention_policy(&self, name: &str) -> ();
    DeleteLogGroup fn delete_log_group(&self, name: &str) -> ();
);

instrumented!(Scaling,
    DescribeScalableTargets fn describe(&self, resource_id: &str) -> ObservedScaling;
    RegisterScalableTarget fn register_scalable_target(&self, resource_id: &str, min: i32, max: i32) -> ();
    DeregisterScalableTarget fn deregister_scalable_target(&self, resource_id: &str) -> ();
    PutScalingPolicy fn put_scaling_policy(&self, resource_id: &str, name: &str, policy: &TargetTrackingDef) -> ();
    DeleteScalingPolicy fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> ();
    PutScheduledAction fn put_scheduled_action(&self, resource_id: &str, name: &str, action: &ScheduledActionDef) -> ();
    DeleteScheduledAction fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> ();
);

instrumented!(LoadBalancing,
    DescribeTargetGroups fn resource_label(&self, target_group_arn: &str) -> String;
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_call_is_one_trait_method() {
        let mut listed: Vec<AwsOp> = [
            <dyn Ecs as Calls>::OPS,
            <dyn Iam as Calls>::OPS,
            <dyn Logs as Calls>::OPS,
            <dyn Scaling as Calls>::OPS,
            <dyn LoadBalancing as Calls>::OPS,
        ]
        .concat();
        listed.sort_unstable();
        let calls: Vec<AwsOp> = AwsOp::ALL.iter().copied().filter(|o| o.is_call()).collect();
        assert_eq!(listed, calls);
    }
}

//! Wrappers around any implementation of the AWS traits: [`Instrumented`] reports every
//! call to a [`CallHook`] (counting for tests and metrics, rate limits, fault injection: the
//! hook may fail or delay a call before it reaches AWS), and [`Retried`] retries a failed
//! call in place under a [`RetryPolicy`]. `aws_trait!` declares each AWS trait (in
//! `aws/mod.rs`) together with both wrappers, so a method is written once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::retry::RetryPolicy;
use super::{AwsError, AwsOp};

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
    pub(super) inner: Arc<I>,
    pub(super) hook: Arc<dyn CallHook>,
}

impl<I: ?Sized> Instrumented<I> {
    pub fn new(inner: Arc<I>, hook: Arc<dyn CallHook>) -> Self {
        Self { inner, hook }
    }
}

/// Delegates to `inner`, retrying a failed call in place as `policy` allows.
pub struct Retried<I: ?Sized> {
    pub(super) inner: Arc<I>,
    pub(super) policy: RetryPolicy,
}

impl<I: ?Sized> Retried<I> {
    pub fn new(inner: Arc<I>, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }
}

/// The operator calls of one trait (`<dyn Ecs as Calls>::OPS`), from its declaration
/// (`aws_trait!`).
pub trait Calls {
    const OPS: &'static [AwsOp];
}

/// Whether two strings are equal, at compile time.
pub(crate) const fn same_str(a: &str, b: &str) -> bool {
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

/// One AWS trait, declared once: each method with the operation it is named after (its
/// first request: [`AwsOp`] says its service, kind and metrics label). Makes the trait (its
/// methods return `Result<_, AwsError>`; methods in an optional `provided` block are copied
/// in as written), and
/// both wrappers, [`Instrumented`] and [`Retried`].
macro_rules! aws_trait {
    (
        $(#[$tmeta:meta])*
        pub trait $trait:ident {
            $(
                $(#[$meta:meta])*
                $op:ident => fn $method:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty;
            )*
        }
        $(provided { $($provided:tt)* })?
    ) => {
        $(#[$tmeta])*
        #[async_trait::async_trait]
        pub trait $trait: Send + Sync {
            $(
                $(#[$meta])*
                async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError>;
            )*
            $($($provided)*)?
        }

        // Each method's metrics label is its name: the table says so, checked at compile
        // time.
        $(
            const _: () = assert!(
                $crate::aws::instrument::same_str(AwsOp::$op.metrics_label(), stringify!($method)),
                concat!("the metrics label of AwsOp::", stringify!($op), " is not ", stringify!($method)),
            );
        )*

        impl $crate::aws::instrument::Calls for dyn $trait {
            const OPS: &'static [AwsOp] = &[$(AwsOp::$op,)*];
        }

        #[async_trait::async_trait]
        impl $trait for $crate::aws::instrument::Instrumented<dyn $trait> {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError> {
                    let call = $crate::aws::instrument::Call { op: AwsOp::$op };
                    self.hook.before(call).await?;
                    let result = self.inner.$method($($arg),*).await;
                    match self.hook.after(call, result.as_ref().err()) {
                        Some(lost) => Err(lost),
                        None => result,
                    }
                }
            )*
        }

        #[async_trait::async_trait]
        impl $trait for $crate::aws::instrument::Retried<dyn $trait> {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError> {
                    let call = $crate::aws::instrument::Call { op: AwsOp::$op };
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

pub(crate) use aws_trait;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{Ecs, Iam, LoadBalancing, Logs, Scaling, Scheduler};

    #[test]
    fn every_operator_call_is_one_trait_method() {
        let mut listed: Vec<AwsOp> = [
            <dyn Ecs as Calls>::OPS,
            <dyn Iam as Calls>::OPS,
            <dyn Logs as Calls>::OPS,
            <dyn Scaling as Calls>::OPS,
            <dyn LoadBalancing as Calls>::OPS,
            <dyn Scheduler as Calls>::OPS,
        ]
        .concat();
        listed.sort_unstable();
        let calls: Vec<AwsOp> = AwsOp::ALL.iter().copied().filter(|o| o.is_call()).collect();
        assert_eq!(listed, calls);
    }
}

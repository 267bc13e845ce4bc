//! One AWS call as the wrappers see it ([`super::instrument`] reports it to hooks,
//! [`super::retry`] decides whether to repeat it): its own module, so that neither of those
//! two depends on the other for it.

pub use crate::plan::op::{AwsOp, CallKind};

/// One operator call (a method of the AWS traits), as the hook sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The operation the call is named after (its first request).
    pub op: AwsOp,
}

impl Call {
    /// `ecs`, `iam`, `logs`, `application-autoscaling`, `elasticloadbalancing`.
    pub fn service(self) -> &'static str {
        self.op.service()
    }

    /// The operator-level verb, e.g. `create_service` (the metrics label).
    pub fn operation(self) -> &'static str {
        self.op.metrics_label()
    }

    /// Whether the call reads or changes AWS.
    pub fn kind(self) -> CallKind {
        self.op.kind()
    }
}

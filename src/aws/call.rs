//! One AWS call as the wrappers see it ([`super::instrument`] reports it to hooks,
//! [`super::retry`] decides whether to repeat it): its own module, so that neither of those
//! two depends on the other for it.

/// Whether a call reads or changes AWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum CallKind {
    Read,
    Write,
}

/// One AWS call, as the hook sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// `ecs`, `iam`, `logs`, `application-autoscaling`, `elasticloadbalancing`.
    pub service: &'static str,
    /// The operator-level verb, e.g. `create_service`.
    pub operation: &'static str,
    pub kind: CallKind,
}

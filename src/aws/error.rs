//! The AWS boundary's error type: every SDK error classified into what the reconciler can act
//! on (retry soon, retry with backoff, give up until the spec changes, or treat as done).

use crate::api::reasons;
use crate::plan::op::AwsOp;

/// What kind of failure an AWS call had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ErrorKind {
    /// AWS asked us to slow down; retried with backoff.
    Throttled,
    /// The resource does not exist (counts as done for deletes).
    NotFound,
    /// The resource exists already, or is in a state that forbids the call.
    Conflict,
    /// The operator's credentials may not make the call.
    AccessDenied,
    /// AWS refused the request as invalid; retrying the same request will not help.
    Invalid,
    /// Network, timeout or AWS server error; retried with backoff.
    Transient,
}

impl ErrorKind {
    /// A metrics label: `throttled`, `not_found`, ...
    pub fn label(self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::AccessDenied => "access_denied",
            Self::Invalid => "invalid",
            Self::Transient => "transient",
        }
    }
}

/// An AWS call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {message}")]
pub struct AwsError {
    pub kind: ErrorKind,
    /// The request that failed (shown as its IAM action, e.g. `ecs:CreateService`).
    pub op: AwsOp,
    /// AWS's error code, when it sent one.
    pub code: Option<String>,
    /// AWS's message (or the transport error).
    pub message: String,
}

impl AwsError {
    pub fn new(kind: ErrorKind, op: AwsOp, message: impl Into<String>) -> Self {
        Self {
            kind,
            op,
            code: None,
            message: message.into(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Whether the same call may succeed later without a spec change.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }

    /// The condition/Event reason for this failure.
    pub fn reason(&self) -> &'static str {
        match self.kind {
            ErrorKind::Throttled => reasons::THROTTLED,
            ErrorKind::Transient => reasons::AWS_UNAVAILABLE,
            ErrorKind::AccessDenied => reasons::ACCESS_DENIED,
            ErrorKind::Conflict => reasons::CONFLICT,
            ErrorKind::NotFound | ErrorKind::Invalid => reasons::AWS_REJECTED,
        }
    }
}

/// Classifies an AWS error response by its code, HTTP status and message.
pub fn classify(code: Option<&str>, status: Option<u16>, message: &str) -> ErrorKind {
    let code = code.unwrap_or_default();
    match code {
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "ProvisionedThroughputExceededException"
        | "SlowDown" => ErrorKind::Throttled,
        "ResourceNotFoundException"
        | "NoSuchEntity"
        | "NoSuchEntityException"
        | "ClusterNotFoundException"
        | "ServiceNotFoundException"
        | "ServiceNotActiveException"
        | "ObjectNotFoundException"
        | "TargetGroupNotFound"
        | "TargetGroupNotFoundException"
        | "LoadBalancerNotFound"
        | "NotFoundException" => ErrorKind::NotFound,
        "ResourceAlreadyExistsException"
        | "EntityAlreadyExists"
        | "EntityAlreadyExistsException"
        | "ResourceInUseException"
        | "ConflictException"
        | "DeleteConflict"
        | "DeleteConflictException"
        | "ClusterContainsServicesException"
        | "ConcurrentModificationException"
        | "OperationAbortedException"
        | "UpdateInProgressException" => ErrorKind::Conflict,
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "MissingAuthenticationToken"
        | "IncompleteSignature"
        | "AuthFailure" => ErrorKind::AccessDenied,
        "ServerException"
        | "ServiceException"
        | "InternalFailure"
        | "InternalError"
        | "InternalServiceException"
        | "InternalServiceError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "ServiceFailure"
        | "RequestTimeout"
        | "RequestTimeoutException" => ErrorKind::Transient,
        // ECS reports some missing things as a generic ClientException.
        "ClientException" | "InvalidParameterException" if looks_missing(message) => {
            ErrorKind::NotFound
        }
        _ => match status {
            Some(429) => ErrorKind::Throttled,
            Some(s) if s >= 500 => ErrorKind::Transient,
            Some(403) => ErrorKind::AccessDenied,
            Some(404) => ErrorKind::NotFound,
            Some(409) => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        },
    }
}

fn looks_missing(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("not found")
        || m.contains("does not exist")
        || m.contains("unable to describe task definition")
        || m.contains("could not be found")
}

/// Turns an SDK error into an [`AwsError`] for `op`.
pub(crate) fn from_sdk<E>(op: AwsOp, err: aws_sdk_ecs::error::SdkError<E>) -> AwsError
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_ecs::error::SdkError;
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let status = se.raw().status().as_u16();
            let message = e.message().map_or_else(
                || e.code().unwrap_or("unknown error").to_owned(),
                str::to_owned,
            );
            AwsError {
                kind: classify(e.code(), Some(status), &message),
                op,
                code: e.code().map(str::to_owned),
                message,
            }
        }
        SdkError::TimeoutError(_) => {
            AwsError::new(ErrorKind::Transient, op, "timed out waiting for AWS")
        }
        SdkError::DispatchFailure(_) => AwsError::new(
            ErrorKind::Transient,
            op,
            format!("could not reach AWS: {}", error_chain(&err)),
        ),
        SdkError::ResponseError(_) => AwsError::new(
            ErrorKind::Transient,
            op,
            format!("unreadable response from AWS: {}", error_chain(&err)),
        ),
        // Building the request failed: usually missing credentials or region.
        _ => AwsError::new(ErrorKind::Invalid, op, error_chain(&err)),
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes_statuses_and_ecs_client_exceptions() {
        let cases = [
            (
                Some("ThrottlingException"),
                Some(400),
                "",
                ErrorKind::Throttled,
            ),
            (
                Some("Throttling"),
                Some(400),
                "Rate exceeded",
                ErrorKind::Throttled,
            ),
            (Some("NoSuchEntity"), Some(404), "", ErrorKind::NotFound),
            (
                Some("ServiceNotFoundException"),
                Some(400),
                "",
                ErrorKind::NotFound,
            ),
            (
                Some("EntityAlreadyExists"),
                Some(409),
                "",
                ErrorKind::Conflict,
            ),
            (
                Some("AccessDeniedException"),
                Some(400),
                "",
                ErrorKind::AccessDenied,
            ),
            (Some("ServerException"), Some(500), "", ErrorKind::Transient),
            (
                Some("ClientException"),
                Some(400),
                "Unable to describe task definition.",
                ErrorKind::NotFound,
            ),
            (
                Some("ClientException"),
                Some(400),
                "Fargate requires task definition to have execution role ARN",
                ErrorKind::Invalid,
            ),
            (
                Some("InvalidParameterException"),
                Some(400),
                "bad",
                ErrorKind::Invalid,
            ),
            (Some("SomethingNew"), Some(503), "", ErrorKind::Transient),
            (Some("SomethingNew"), Some(429), "", ErrorKind::Throttled),
            (None, Some(400), "", ErrorKind::Invalid),
        ];
        for (code, status, msg, want) in cases {
            assert_eq!(
                classify(code, status, msg),
                want,
                "{code:?} {status:?} {msg}"
            );
        }
    }

    #[test]
    fn reasons_and_retryability() {
        let e = AwsError::new(ErrorKind::Throttled, AwsOp::UpdateService, "slow down");
        assert!(e.is_retryable());
        assert_eq!(e.reason(), reasons::THROTTLED);
        let e = AwsError::new(ErrorKind::Invalid, AwsOp::CreateService, "bad subnet");
        assert!(!e.is_retryable());
        assert_eq!(e.reason(), reasons::AWS_REJECTED);
        assert_eq!(e.to_string(), "ecs:CreateService: bad subnet");
    }
}

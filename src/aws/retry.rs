//! Retrying one AWS call in place, so a throttled request does not fail (and restart) the
//! whole reconcile around it.
//!
//! Which failures are retried where is a question of what AWS did with the request:
//! - **Throttled**: AWS refused the request before doing anything. Any call is retried.
//! - **Transient** (5xx, timeout, connection failure): the outcome is unknown. A read is
//!   retried, and so is a write whose repetition is harmless (an update, a put, a delete,
//!   CreateService with its client token, CreateCluster). A write that would make a second
//!   resource or fail on repeat ([`NOT_REPEATABLE`]) is not: the reconcile fails, and its
//!   next attempt observes AWS again before deciding anything, which is what keeps a write
//!   that did land from being made twice (`tests/crash.rs` proves that path for every call).
//!
//! Every attempt goes through the layers below this one, so in production each retry waits
//! for its own token from the client-side rate limits and is counted in the metrics. The
//! SDK's own retries are turned off ([`super::sdk::connect`]) so there is one policy.

use std::time::Duration;

use super::call::{Call, CallKind};
use super::{AwsError, AwsOp, ErrorKind};

/// Writes not retried in place after an unknown outcome: RegisterTaskDefinition would add a
/// second revision; CreateRole and CreateLogGroup would fail with AlreadyExists.
pub const NOT_REPEATABLE: &[AwsOp] = &[
    AwsOp::RegisterTaskDefinition,
    AwsOp::CreateRole,
    AwsOp::CreateLogGroup,
];

/// How a call is retried in place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (1 turns retrying off).
    pub attempts: u32,
    /// The delay before the first retry is drawn from `[0, first]` (full jitter), doubling
    /// per attempt up to `max`.
    pub first: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    /// Ten attempts from 100 ms to 5 s. Under 50 % throttling a call then gives up with
    /// probability 0.5¹⁰ ≈ 0.1 %, and the reconcile's own backoff takes over.
    fn default() -> Self {
        Self {
            attempts: 10,
            first: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: every failure goes straight to the caller.
    pub const NONE: Self = Self {
        attempts: 1,
        first: Duration::ZERO,
        max: Duration::ZERO,
    };

    /// Whether attempt number `attempt` (1-based) of `call`, which failed with `error`, is
    /// followed by another.
    pub fn retries(&self, call: Call, error: &AwsError, attempt: u32) -> bool {
        attempt < self.attempts
            && match error.kind {
                ErrorKind::Throttled => true,
                ErrorKind::Transient => {
                    call.kind() == CallKind::Read || !NOT_REPEATABLE.contains(&call.op)
                }
                _ => false,
            }
    }

    /// The pause after failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let step = attempt.saturating_sub(1);
        crate::util::backoff_delay(self.first, self.max, step, crate::util::Jitter::Full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read or a write that may be repeated.
    fn call(kind: CallKind) -> Call {
        named(match kind {
            CallKind::Read => AwsOp::DescribeServices,
            CallKind::Write => AwsOp::TagResource,
        })
    }

    fn named(op: AwsOp) -> Call {
        Call { op }
    }

    fn error(kind: ErrorKind) -> AwsError {
        AwsError::new(kind, AwsOp::DescribeServices, "x")
    }

    #[test]
    fn throttling_is_retried_for_any_call_and_an_unknown_outcome_unless_repeating_harms() {
        let p = RetryPolicy::default();
        let transient = error(ErrorKind::Transient);
        for kind in [CallKind::Read, CallKind::Write] {
            assert!(p.retries(call(kind), &error(ErrorKind::Throttled), 1));
        }
        assert!(p.retries(call(CallKind::Read), &transient, 1));
        assert!(p.retries(named(AwsOp::UpdateService), &transient, 1));
        assert!(p.retries(named(AwsOp::CreateService), &transient, 1));
        for op in NOT_REPEATABLE {
            assert!(!p.retries(named(*op), &transient, 1), "{op}");
            assert!(p.retries(named(*op), &error(ErrorKind::Throttled), 1));
        }
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::AccessDenied,
            ErrorKind::Invalid,
        ] {
            assert!(
                !p.retries(call(CallKind::Read), &error(kind), 1),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn attempts_are_bounded_and_delays_grow_to_the_cap() {
        let p = RetryPolicy::default();
        let throttled = error(ErrorKind::Throttled);
        assert!(p.retries(call(CallKind::Read), &throttled, 9));
        assert!(!p.retries(call(CallKind::Read), &throttled, 10));
        assert!(!RetryPolicy::NONE.retries(call(CallKind::Read), &throttled, 1));
        for attempt in 1..40 {
            let ceiling = (p.first * 2u32.saturating_pow(attempt - 1)).min(p.max);
            assert!(p.delay(attempt) <= ceiling, "attempt {attempt}");
        }
    }
}

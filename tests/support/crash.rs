//! A crash, as a [`CallHook`]: the process dies right after an AWS call (AWS did the call,
//! the operator never saw the answer, and nothing after it is sent).

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use fargate_operator::aws::instrument::{Call, CallHook};
use fargate_operator::aws::{AwsError, ErrorKind};

/// Lets calls through up to the crash point (losing that call's answer), then refuses
/// everything.
pub struct CrashAfter {
    at: At,
    seen: AtomicUsize,
    /// Set once the crash point's call was made.
    crashed: AtomicUsize,
}

enum At {
    /// The k-th call, of any operation.
    Call(usize),
    /// The first call of this operation (e.g. `update_service`).
    Operation(&'static str),
}

impl CrashAfter {
    /// Crashes after the `k`-th call.
    pub fn call(k: usize) -> Self {
        Self::new(At::Call(k))
    }

    /// Crashes after the first call of `operation` (the operator-level verb).
    pub fn operation(operation: &'static str) -> Self {
        Self::new(At::Operation(operation))
    }

    fn new(at: At) -> Self {
        Self {
            at,
            seen: AtomicUsize::new(0),
            crashed: AtomicUsize::new(0),
        }
    }

    /// Whether the crash point was reached.
    pub fn crashed(&self) -> bool {
        self.crashed.load(Ordering::SeqCst) > 0
    }
}

fn down(call: Call, why: &str) -> AwsError {
    AwsError::new(ErrorKind::Transient, call.op, why)
}

#[async_trait]
impl CallHook for CrashAfter {
    async fn before(&self, call: Call) -> Result<(), AwsError> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        let dead = match self.at {
            At::Call(k) => n > k,
            At::Operation(_) => self.crashed(),
        };
        if dead {
            return Err(down(call, "the operator is down"));
        }
        Ok(())
    }

    fn after(&self, call: Call, _error: Option<&AwsError>) -> Option<AwsError> {
        let here = match self.at {
            At::Call(k) => self.seen.load(Ordering::SeqCst) == k,
            At::Operation(op) => call.operation() == op && !self.crashed(),
        };
        here.then(|| {
            self.crashed.fetch_add(1, Ordering::SeqCst);
            down(call, "crashed before reading the answer")
        })
    }
}

//! Fault injection: a [`CallHook`] that makes AWS misbehave at chosen rates, for tests and
//! benchmarks. Wrap it below the retry layer ([`crate::aws::Aws::retried`]) to see what the
//! operator does with the failures.
//!
//! - **Throttling** and **server errors** refuse the call before it reaches AWS (nothing
//!   happens, as when AWS's front end refuses a request).
//! - **Timeouts** let the call happen and lose its answer (the caller cannot tell whether a
//!   write landed, the hard case).
//! - **Latency** delays the call.
//!
//! The random source is seeded, so a run with one caller at a time is reproducible.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::aws::instrument::{Call, CallHook};
use crate::aws::{AwsError, ErrorKind};

/// Rates, each a probability per call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultRates {
    pub throttling: f64,
    pub server_errors: f64,
    pub timeouts: f64,
    /// Added to every call.
    pub latency: Duration,
}

/// What was injected.
#[derive(Debug, Default)]
pub struct Injected {
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub timeouts: AtomicU64,
}

impl Injected {
    pub fn total(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
            + self.server_errors.load(Ordering::Relaxed)
            + self.timeouts.load(Ordering::Relaxed)
    }
}

/// Injects [`FaultRates`] into every call it sees.
pub struct Faults {
    rates: FaultRates,
    rng: Mutex<fastrand::Rng>,
    pub injected: Injected,
}

impl Faults {
    pub fn new(rates: FaultRates, seed: u64) -> Self {
        Self {
            rates,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            injected: Injected::default(),
        }
    }

    fn draw(&self) -> f64 {
        self.rng.lock().map(|mut r| r.f64()).unwrap_or(1.0)
    }
}

#[async_trait]
impl CallHook for Faults {
    async fn before(&self, call: Call) -> Result<(), AwsError> {
        if !self.rates.latency.is_zero() {
            tokio::time::sleep(self.rates.latency).await;
        }
        let x = self.draw();
        let operation = call.op;
        if x < self.rates.throttling {
            self.injected.throttled.fetch_add(1, Ordering::Relaxed);
            return Err(AwsError {
                code: Some("ThrottlingException".into()),
                ..AwsError::new(ErrorKind::Throttled, operation, "Rate exceeded (injected)")
            });
        }
        if x < self.rates.throttling + self.rates.server_errors {
            self.injected.server_errors.fetch_add(1, Ordering::Relaxed);
            return Err(AwsError {
                code: Some("ServerException".into()),
                ..AwsError::new(
                    ErrorKind::Transient,
                    operation,
                    "500 Internal Server Error (injected)",
                )
            });
        }
        Ok(())
    }

    fn after(&self, call: Call, error: Option<&AwsError>) -> Option<AwsError> {
        if error.is_some() || self.rates.timeouts <= 0.0 || self.draw() >= self.rates.timeouts {
            return None;
        }
        self.injected.timeouts.fetch_add(1, Ordering::Relaxed);
        Some(AwsError::new(
            ErrorKind::Transient,
            call.op,
            "timed out waiting for AWS (injected; the call was made)",
        ))
    }
}

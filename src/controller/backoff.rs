//! Per-object retry delays: exponential with jitter ([`crate::util::backoff_delay`], the
//! same helper as the in-place retries of `aws::retry`), separate for failures that
//! pass by themselves (throttling, AWS or API-server unavailable) and for the rest (AWS
//! refused the request, access denied, a conflict), reset when the object reconciles.
//! kube-runtime's controller has no per-object backoff of its own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::util::{backoff_delay, Jitter};

/// How a failure is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    /// Throttling or an outage: retry soon, backing off fast.
    Transient,
    /// AWS refused or a resource conflicts: retry, but slowly.
    Other,
}

/// Delay bounds for one class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub first: Duration,
    pub max: Duration,
}

/// Backoff settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffSettings {
    pub transient: Bounds,
    pub other: Bounds,
}

impl Default for BackoffSettings {
    fn default() -> Self {
        Self {
            transient: Bounds {
                first: Duration::from_secs(1),
                max: Duration::from_secs(120),
            },
            other: Bounds {
                first: Duration::from_secs(15),
                max: Duration::from_secs(600),
            },
        }
    }
}

/// Retry state of every object that is failing.
#[derive(Debug)]
pub struct Backoffs {
    settings: BackoffSettings,
    /// By object: the class of its last failure and how many delays of that class it had.
    failing: Mutex<HashMap<String, (RetryClass, u32)>>,
}

impl Backoffs {
    pub fn new(settings: BackoffSettings) -> Self {
        Self {
            settings,
            failing: Mutex::default(),
        }
    }

    /// The delay before retrying `key` after another failure of `class`: `first`, doubling
    /// per failure up to `max`. A change of class starts that class's sequence over. Jitter
    /// adds up to 100 % to each step ([`Jitter::Added`]), so objects that failed together do
    /// not retry together.
    pub fn next(&self, key: &str, class: RetryClass) -> Duration {
        let bounds = match class {
            RetryClass::Transient => self.settings.transient,
            RetryClass::Other => self.settings.other,
        };
        let Ok(mut failing) = self.failing.lock() else {
            return bounds.max;
        };
        let entry = failing.entry(key.to_owned()).or_insert((class, 0));
        if entry.0 != class {
            *entry = (class, 0);
        }
        let step = entry.1;
        entry.1 = entry.1.saturating_add(1);
        backoff_delay(bounds.first, bounds.max, step, Jitter::Added)
    }

    /// `key` reconciled: its next failure starts from the first delay again.
    pub fn reset(&self, key: &str) {
        if let Ok(mut failing) = self.failing.lock() {
            failing.remove(key);
        }
    }

    /// Objects currently backing off.
    pub fn len(&self) -> usize {
        self.failing.lock().map(|f| f.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BackoffSettings {
        BackoffSettings {
            transient: Bounds {
                first: Duration::from_secs(1),
                max: Duration::from_secs(16),
            },
            other: Bounds {
                first: Duration::from_secs(10),
                max: Duration::from_secs(100),
            },
        }
    }

    #[test]
    fn delays_grow_within_jitter_bounds_and_cap() {
        let b = Backoffs::new(settings());
        let delays: Vec<Duration> = (0..8).map(|_| b.next("a", RetryClass::Transient)).collect();
        // Step n is base·2ⁿ (capped at 16 s) plus up to 100 % jitter.
        for (n, d) in delays.iter().enumerate() {
            let base = Duration::from_secs((1u64 << n).min(16));
            assert!(
                *d >= base && *d <= base * 2,
                "step {n}: {d:?} not in [{base:?}, 2·{base:?}]"
            );
        }
        assert!(delays[7] >= Duration::from_secs(16));
    }

    #[test]
    fn objects_back_off_independently_and_reset_on_success() {
        let b = Backoffs::new(settings());
        for _ in 0..4 {
            b.next("a", RetryClass::Transient);
        }
        assert!(b.next("b", RetryClass::Transient) <= Duration::from_secs(2));
        assert!(b.next("a", RetryClass::Transient) >= Duration::from_secs(16));
        b.reset("a");
        assert!(b.next("a", RetryClass::Transient) <= Duration::from_secs(2));
        // A different class starts its own sequence.
        let d = b.next("a", RetryClass::Other);
        assert!(
            d >= Duration::from_secs(10) && d <= Duration::from_secs(20),
            "{d:?}"
        );
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn jitter_spreads_objects_that_failed_together() {
        let b = Backoffs::new(settings());
        let delays: std::collections::BTreeSet<Duration> = (0..50)
            .map(|i| b.next(&format!("o{i}"), RetryClass::Other))
            .collect();
        assert!(delays.len() > 40, "only {} distinct delays", delays.len());
    }
}

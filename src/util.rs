//! Small helpers shared across layers (no dependencies on any of them).

use std::time::Duration;

/// A 64-bit hash of `key` (SipHash with fixed keys: the same in every process), for maps
/// with an entry per object that need not hold its name.
pub fn hashed<T: std::hash::Hash + ?Sized>(key: &T) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// How a backoff delay is drawn around its step's [`exponential`] delay `d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Uniform in `[0, d)` ("full jitter"): retries of one call spread from at once to `d`.
    Full,
    /// `d` plus up to 100 % of it, in `[d, 2d)`: never sooner than `d`, and callers that
    /// failed together do not retry together.
    Added,
}

/// Step `step` (0-based) of an exponential backoff: `first · 2^step`, at most `max`.
pub fn exponential(first: Duration, max: Duration, step: u32) -> Duration {
    first.saturating_mul(2u32.saturating_pow(step)).min(max)
}

/// The jittered delay of step `step` (0-based) of an exponential backoff from `first` to
/// `max`: the one backoff of the crate, retries of one AWS call in place
/// (`aws::retry`, [`Jitter::Full`]) and per-object requeues (`controller::backoff`,
/// [`Jitter::Added`]).
pub fn backoff_delay(first: Duration, max: Duration, step: u32, jitter: Jitter) -> Duration {
    let d = exponential(first, max, step);
    match jitter {
        Jitter::Full => d.mul_f64(fastrand::f64()),
        Jitter::Added => d.saturating_add(d.mul_f64(fastrand::f64())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_within_their_jitter() {
        let (first, max) = (Duration::from_millis(100), Duration::from_secs(5));
        for step in 0..64 {
            let d = exponential(first, max, step);
            assert_eq!(d, (first * 2u32.saturating_pow(step.min(31))).min(max));
            let full = backoff_delay(first, max, step, Jitter::Full);
            assert!(full <= d, "step {step}: {full:?}");
            let added = backoff_delay(first, max, step, Jitter::Added);
            assert!(added >= d && added <= d * 2, "step {step}: {added:?}");
        }
        assert_eq!(exponential(first, max, 0), first);
        assert_eq!(exponential(first, max, u32::MAX), max);
    }
}

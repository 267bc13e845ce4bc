//! Small helpers shared by the controller and the metrics (no dependencies on either).

/// A 64-bit hash of `key` (SipHash with fixed keys: the same in every process), for maps
/// with an entry per object that need not hold its name.
pub fn hashed<T: std::hash::Hash + ?Sized>(key: &T) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

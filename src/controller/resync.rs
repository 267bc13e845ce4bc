//! Resyncs of settled objects without a requeue per object.
//!
//! A settled object's reconcile waits for a change ([`kube::runtime::controller::Action::await_change`]);
//! its drift check comes from [`resyncs`], a stream that walks the store once a second and
//! emits the objects whose *slot* (a fixed second of the resync period, by a hash of the
//! object's key) has come. Every settled object is resynced once per period, spread evenly
//! over it, and kube's scheduler holds an entry only for objects that are deploying, waiting
//! or backing off: at 10,000 objects a requeue each cost ~8 MiB there.

use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::Resource;
use tokio::time::Instant;

use super::{hashed, object_key};

/// The seconds of a resync period, and which one is each object's.
#[derive(Clone, Copy, Debug)]
pub struct Slots {
    start: Instant,
    slots: u64,
}

impl Slots {
    /// One slot per second of `period` (at least one), counted from now.
    pub fn new(period: Duration) -> Self {
        Self {
            start: Instant::now(),
            slots: period.as_secs().max(1),
        }
    }

    /// The slot of the object with `key` (see [`object_key`]).
    pub fn of(&self, key: &str) -> u64 {
        hashed(key) % self.slots
    }

    /// Seconds since the start.
    fn elapsed(&self) -> u64 {
        self.start.elapsed().as_secs()
    }
}

/// The settled objects of `store` (`kind`; `due` says which) as their slots come, each once
/// per period, starting one period after `slots` started: every object is reconciled when
/// the controller starts, so its first drift check is due a period later.
pub fn resyncs<K>(
    store: Store<K>,
    kind: &'static str,
    slots: Slots,
    due: impl Fn(&K) -> bool + Send + Sync + 'static,
) -> impl Stream<Item = ObjectRef<K>> + Send
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    let due = std::sync::Arc::new(due);
    let ticks = tokio::time::interval(Duration::from_secs(1));
    // State: the ticks, and the first second not yet walked.
    futures::stream::unfold((ticks, slots.slots), move |(mut ticks, mut next)| {
        let (store, due) = (store.clone(), due.clone());
        async move {
            ticks.tick().await;
            let now = slots.elapsed();
            let mut refs = vec![];
            if now >= next {
                // Seconds missed while the runtime was busy are walked now (a period at most).
                let from = next.max(now.saturating_sub(slots.slots - 1));
                let walked: Vec<u64> = (from..=now).map(|s| s % slots.slots).collect();
                refs = store
                    .state()
                    .iter()
                    .filter(|o| walked.contains(&slots.of(&object_key(kind, o.as_ref()))))
                    .filter(|o| due(o))
                    .map(|o| ObjectRef::from_obj(o.as_ref()))
                    .collect();
                next = now + 1;
            }
            Some((futures::stream::iter(refs), (ticks, next)))
        }
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use futures::StreamExt;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::{reflector, watcher};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn every_due_object_once_a_period_from_the_second_period_on() {
        let (store, mut writer) = reflector::store::<ConfigMap>();
        for i in 0..40 {
            let mut cm = ConfigMap::default();
            cm.metadata.name = Some(format!("o{i}"));
            cm.metadata.namespace = Some("ns".into());
            writer.apply_watcher_event(&watcher::Event::Apply(cm));
        }
        let period = Duration::from_secs(10);
        let slots = Slots::new(period);
        let start = Instant::now();
        // Objects with an odd number are not due (as an unsettled object is not).
        let stream = resyncs(store, "ConfigMap", slots, |cm: &ConfigMap| {
            cm.metadata
                .name
                .as_deref()
                .and_then(|n| n[1..].parse::<u32>().ok())
                .is_some_and(|n| n % 2 == 0)
        });
        futures::pin_mut!(stream);
        let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        while let Some(r) = stream.next().await {
            let at = start.elapsed().as_secs();
            if at >= 40 {
                break;
            }
            seen.entry(r.name.clone()).or_default().push(at);
        }
        assert_eq!(seen.len(), 20, "the due objects, only: {seen:?}");
        let mut spread = std::collections::BTreeSet::new();
        for (name, at) in &seen {
            assert_eq!(
                at.len(),
                3,
                "{name} once in each of 3 periods after the first: {at:?}"
            );
            assert!(at[0] >= 10, "{name} not in the first period: {at:?}");
            assert!(
                at.windows(2).all(|w| w[1] - w[0] == 10),
                "{name} a period apart: {at:?}"
            );
            assert_eq!(at[0] % 10, slots.of(&format!("ConfigMap/ns/{name}")));
            spread.insert(at[0]);
        }
        assert!(
            spread.len() >= 5,
            "objects spread over the period: {spread:?}"
        );
    }
}

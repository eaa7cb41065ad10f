//! The per-request metrics, counted per thread and summed when scraped.
//!
//! Every request moves a handful of counters, gauges and two histograms. Shared atomics
//! (and prometheus-client's locked histograms) make the worker threads pass the same cache
//! lines back and forth on every request; here each thread writes only its own `Shard`,
//! and a scrape adds the shards up. A thread's shard is registered on its first count and
//! kept for the life of the process (worker threads live as long).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub action: &'static str,
    pub decision: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// Upper bounds of the response-head histogram: 0.1 ms doubling 18 times.
pub const HEAD_BUCKETS: usize = 18;
/// Upper bounds of the whole-transfer histogram: 0.1 ms doubling 24 times.
pub const TRANSFER_BUCKETS: usize = 24;

/// One thread's counts.
#[derive(Default)]
pub struct Shard {
    pub(super) in_progress: AtomicI64,
    pub(super) transfers_in_flight: AtomicI64,
    pub(super) bytes_in: AtomicU64,
    pub(super) bytes_out: AtomicU64,
    pub(super) head: Buckets<HEAD_BUCKETS>,
    pub(super) transfer: Buckets<TRANSFER_BUCKETS>,
    /// Few distinct label sets per thread, so a list beats hashing; the lock is only ever
    /// contended by a scrape.
    pub(super) requests: Counts<RequestLabels>,
    pub(super) transfers: Counts<&'static str>,
}

static SHARDS: Mutex<Vec<Arc<Shard>>> = Mutex::new(Vec::new());

thread_local! {
    static MINE: Arc<Shard> = {
        let shard = Arc::new(Shard::default());
        SHARDS.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&shard));
        shard
    };
}

/// Runs `f` on this thread's shard.
pub fn with_shard<R>(f: impl FnOnce(&Shard) -> R) -> R {
    MINE.with(|s| f(s))
}

/// Every shard so far, for a scrape.
fn shards() -> Vec<Arc<Shard>> {
    SHARDS.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Adds one to `key`'s count in a shard's list.
pub(super) fn bump<K: PartialEq>(list: &Counts<K>, key: K) {
    let mut list = list.lock().unwrap_or_else(PoisonError::into_inner);
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => *n += 1,
        None => list.push((key, 1)),
    }
}

/// A histogram's counts on one thread: one per bucket plus one past the last, and the sum
/// (an `f64` kept as bits; only its own thread writes it).
pub struct Buckets<const N: usize> {
    counts: [AtomicU64; N],
    over: AtomicU64,
    sum_bits: AtomicU64,
}

impl<const N: usize> Default for Buckets<N> {
    fn default() -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            over: AtomicU64::new(0),
            sum_bits: AtomicU64::new(0),
        }
    }
}

impl<const N: usize> Buckets<N> {
    pub(super) fn observe(&self, seconds: f64) {
        match (0..N).find(|&i| seconds <= bound(i)).and_then(|i| self.counts.get(i)) {
            Some(c) => c.fetch_add(1, Relaxed),
            None => self.over.fetch_add(1, Relaxed),
        };
        let _ = self.sum_bits.fetch_update(Relaxed, Relaxed, |b| Some((f64::from_bits(b) + seconds).to_bits()));
    }
}

/// The upper bound of bucket `i`: 0.1 ms × 2^i.
fn bound(i: usize) -> f64 {
    0.000_1 * f64::from(2u32.saturating_pow(u32::try_from(i).unwrap_or(u32::MAX)))
}

/// A counter, gauge or histogram read from every shard.
#[derive(Debug, Clone, Copy)]
pub enum Summed {
    InProgress,
    TransfersInFlight,
    BytesIn,
    BytesOut,
    HeadSeconds,
    TransferSeconds,
}

impl EncodeMetric for Summed {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let shards = shards();
        let add = |f: fn(&Shard) -> u64| shards.iter().map(|s| f(s)).fold(0u64, u64::wrapping_add);
        let gauge = |f: fn(&Shard) -> i64| shards.iter().map(|s| f(s)).fold(0i64, i64::wrapping_add);
        match self {
            Self::InProgress => encoder.encode_gauge(&gauge(|s| s.in_progress.load(Relaxed))),
            Self::TransfersInFlight => encoder.encode_gauge(&gauge(|s| s.transfers_in_flight.load(Relaxed))),
            Self::BytesIn => encoder.encode_counter::<NoLabelSet, _, u64>(&add(|s| s.bytes_in.load(Relaxed)), None),
            Self::BytesOut => encoder.encode_counter::<NoLabelSet, _, u64>(&add(|s| s.bytes_out.load(Relaxed)), None),
            Self::HeadSeconds => encode_histogram(&mut encoder, shards.iter().map(|s| &s.head)),
            Self::TransferSeconds => encode_histogram(&mut encoder, shards.iter().map(|s| &s.transfer)),
        }
    }

    fn metric_type(&self) -> MetricType {
        match self {
            Self::InProgress | Self::TransfersInFlight => MetricType::Gauge,
            Self::BytesIn | Self::BytesOut => MetricType::Counter,
            Self::HeadSeconds | Self::TransferSeconds => MetricType::Histogram,
        }
    }
}

fn encode_histogram<'a, const N: usize>(
    encoder: &mut MetricEncoder,
    shards: impl Iterator<Item = &'a Buckets<N>>,
) -> Result<(), std::fmt::Error> {
    let mut buckets: Vec<(f64, u64)> = (0..N).map(|i| (bound(i), 0)).chain([(f64::MAX, 0)]).collect();
    let mut sum = 0.0;
    for shard in shards {
        for (slot, count) in buckets.iter_mut().zip(shard.counts.iter().chain([&shard.over])) {
            slot.1 += count.load(Relaxed);
        }
        sum += f64::from_bits(shard.sum_bits.load(Relaxed));
    }
    let count = buckets.iter().map(|b| b.1).sum();
    encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
}

/// A shard's counts by label.
type Counts<K> = Mutex<Vec<(K, u64)>>;

/// One labelled count list, added up over every shard.
fn summed<K: PartialEq + Clone>(list: fn(&Shard) -> &Counts<K>) -> Vec<(K, u64)> {
    let mut totals: Vec<(K, u64)> = Vec::new();
    for shard in shards() {
        for (key, n) in list(&shard).lock().unwrap_or_else(PoisonError::into_inner).iter() {
            match totals.iter_mut().find(|(k, _)| k == key) {
                Some((_, t)) => *t += n,
                None => totals.push((key.clone(), *n)),
            }
        }
    }
    totals
}

/// `requests` by action, decision and status, from every shard.
#[derive(Debug, Clone, Copy)]
pub struct RequestCounts;

impl EncodeMetric for RequestCounts {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let mut totals = summed(|s| &s.requests);
        totals.sort_by(|a, b| (a.0.action, a.0.decision, a.0.status).cmp(&(b.0.action, b.0.decision, b.0.status)));
        for (labels, n) in &totals {
            encoder.encode_family(labels)?.encode_counter::<NoLabelSet, _, u64>(n, None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// `transfers` by outcome, from every shard.
#[derive(Debug, Clone, Copy)]
pub struct TransferCounts;

impl EncodeMetric for TransferCounts {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let mut totals = summed(|s| &s.transfers);
        totals.sort_unstable();
        for (outcome, n) in &totals {
            encoder.encode_family(&OutcomeLabels { outcome })?.encode_counter::<NoLabelSet, _, u64>(n, None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_two_threads_are_summed() {
        let count = || {
            with_shard(|s| {
                s.bytes_in.fetch_add(5, Relaxed);
                s.head.observe(0.000_15);
                bump(&s.requests, RequestLabels { action: "GetObject", decision: "allow", status: 200 });
            });
        };
        count();
        std::thread::spawn(count).join().unwrap();
        let total: u64 = shards().iter().map(|s| s.bytes_in.load(Relaxed)).sum();
        assert!(total >= 10, "both threads' bytes: {total}");
        let mut text = String::new();
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("head", "h", Summed::HeadSeconds);
        registry.register("requests", "r", RequestCounts);
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("head_bucket{le=\"0.0002\"}"), "{text}");
        assert!(text.contains("requests_total{action=\"GetObject\",decision=\"allow\",status=\"200\"}"), "{text}");
    }
}

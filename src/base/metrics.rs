//! Prometheus metrics (the `prometheus-client` crate): a leaf any layer may count into.
//! `edge::admin` serves them on the admin listener, never on traffic listeners.
//!
//! Counted: requests by action, decision and status; time to the response head and to the
//! end of the transfer; bytes in and out; requests awaiting their head and transfers in
//! flight; transfers by outcome; refusals by S3 error code (expired, bad signature,
//! unknown key, policy deny, …); store errors; each store node's state, connections and
//! errors; reloads by outcome. Per-request label values are static strings and numbers, so
//! counting a request allocates nothing.

use std::sync::OnceLock;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

pub use super::shard::{OutcomeLabels, RequestLabels};
use super::shard::{RequestCounts, Summed, TransferCounts, bump, with_shard};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

/// One store node, by its endpoint. Counted at connect, disconnect and failure, never per
/// request, so the label's string is no cost on the request path.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NodeLabels {
    pub node: String,
}

/// The counts every request moves live in per-thread shards (`shard`); these are the
/// rarer ones, and the registry that renders both.
pub struct Metrics {
    pub refusals: Family<ReasonLabels, Counter>,
    pub store_errors: Counter,
    pub store_node_up: Family<NodeLabels, Gauge>,
    pub store_node_connections: Family<NodeLabels, Gauge>,
    pub store_node_errors: Family<NodeLabels, Counter>,
    pub reloads: Family<OutcomeLabels, Counter>,
    registry: Registry,
}

impl Metrics {
    fn new() -> Self {
        let refusals = Family::<ReasonLabels, Counter>::default();
        let store_errors = Counter::default();
        let store_node_up = Family::<NodeLabels, Gauge>::default();
        let store_node_connections = Family::<NodeLabels, Gauge>::default();
        let store_node_errors = Family::<NodeLabels, Counter>::default();
        let reloads = Family::<OutcomeLabels, Counter>::default();
        let mut registry = Registry::with_prefix("outpost_gate");
        registry.register("requests", "Requests by S3-on-Outposts action, decision and status", RequestCounts);
        registry.register("refusals", "Requests refused, by S3 error code", refusals.clone());
        registry.register(
            "response_head_seconds",
            "Time from a request's arrival to its response head",
            Summed::HeadSeconds,
        );
        registry.register("requests_in_progress", "Requests not yet answered", Summed::InProgress);
        registry.register(
            "transfers_in_flight",
            "Requests from arrival to the end of their response body",
            Summed::TransfersInFlight,
        );
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to the end of its transfer",
            Summed::TransferSeconds,
        );
        registry.register(
            "transfers",
            "Ended requests by outcome: complete, aborted_by_client, aborted_by_store",
            TransferCounts,
        );
        registry.register("received_bytes", "Request body bytes received from clients", Summed::BytesIn);
        registry.register("sent_bytes", "Response body bytes sent to clients", Summed::BytesOut);
        registry.register(
            "store_errors",
            "Store requests that failed (unreachable, broken off before an answer, or not buildable)",
            store_errors.clone(),
        );
        registry.register(
            "store_node_up",
            "1 while a store node is taken for new requests, 0 while it is skipped (connect failed)",
            store_node_up.clone(),
        );
        registry.register(
            "store_node_connections",
            "Open connections to each store node",
            store_node_connections.clone(),
        );
        registry.register(
            "store_node_errors",
            "Failed connects and exchanges, by store node",
            store_node_errors.clone(),
        );
        registry.register("reloads", "Configuration reloads, by outcome", reloads.clone());
        Self { refusals, store_errors, store_node_up, store_node_connections, store_node_errors, reloads, registry }
    }

    /// A request arrived: in progress until answered, in flight until its body ends.
    #[allow(clippy::unused_self)] // counted in this thread's shard, read through `self`'s registry
    pub fn request_started(&self) {
        with_shard(|s| {
            s.in_progress.fetch_add(1, Relaxed);
            s.transfers_in_flight.fetch_add(1, Relaxed);
        });
    }

    /// A request's response head is ready, `head` after its arrival.
    #[allow(clippy::unused_self)]
    pub fn request_answered(&self, head: Duration, labels: RequestLabels) {
        with_shard(|s| {
            s.in_progress.fetch_sub(1, Relaxed);
            s.head.observe(head.as_secs_f64());
            bump(&s.requests, labels);
        });
    }

    /// A request's transfer is over (its response body ended or was dropped).
    #[allow(clippy::unused_self)]
    pub fn transfer_ended(&self, took: Duration, received: u64, sent: u64, outcome: &'static str) {
        with_shard(|s| {
            s.transfers_in_flight.fetch_sub(1, Relaxed);
            s.transfer.observe(took.as_secs_f64());
            bump(&s.transfers, outcome);
            s.bytes_in.fetch_add(received, Relaxed);
            s.bytes_out.fetch_add(sent, Relaxed);
        });
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The process's metrics (one set, as one process serves one gate).
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

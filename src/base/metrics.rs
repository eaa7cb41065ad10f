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
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub action: &'static str,
    pub decision: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// One store node, by its endpoint. Counted at connect, disconnect and failure, never per
/// request, so the label's string is no cost on the request path.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NodeLabels {
    pub node: String,
}

pub struct Metrics {
    pub requests: Family<RequestLabels, Counter>,
    pub refusals: Family<ReasonLabels, Counter>,
    pub head_seconds: Histogram,
    pub in_progress: Gauge,
    pub transfers_in_flight: Gauge,
    transfer_seconds: Histogram,
    transfers: Family<OutcomeLabels, Counter>,
    bytes_in: Counter,
    bytes_out: Counter,
    pub store_errors: Counter,
    pub store_node_up: Family<NodeLabels, Gauge>,
    pub store_node_connections: Family<NodeLabels, Gauge>,
    pub store_node_errors: Family<NodeLabels, Counter>,
    pub reloads: Family<OutcomeLabels, Counter>,
    registry: Registry,
}

impl Metrics {
    fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let refusals = Family::<ReasonLabels, Counter>::default();
        let head_seconds = Histogram::new(exponential_buckets(0.000_1, 2.0, 18));
        let in_progress = Gauge::default();
        let transfers_in_flight = Gauge::default();
        let transfer_seconds = Histogram::new(exponential_buckets(0.000_1, 2.0, 24));
        let transfers = Family::<OutcomeLabels, Counter>::default();
        let (bytes_in, bytes_out) = (Counter::default(), Counter::default());
        let store_errors = Counter::default();
        let store_node_up = Family::<NodeLabels, Gauge>::default();
        let store_node_connections = Family::<NodeLabels, Gauge>::default();
        let store_node_errors = Family::<NodeLabels, Counter>::default();
        let reloads = Family::<OutcomeLabels, Counter>::default();
        let mut registry = Registry::with_prefix("outpost_gate");
        registry.register("requests", "Requests by S3-on-Outposts action, decision and status", requests.clone());
        registry.register("refusals", "Requests refused, by S3 error code", refusals.clone());
        registry.register(
            "response_head_seconds",
            "Time from a request's arrival to its response head",
            head_seconds.clone(),
        );
        registry.register("requests_in_progress", "Requests not yet answered", in_progress.clone());
        registry.register(
            "transfers_in_flight",
            "Requests from arrival to the end of their response body",
            transfers_in_flight.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to the end of its transfer",
            transfer_seconds.clone(),
        );
        registry.register(
            "transfers",
            "Ended requests by outcome: complete, aborted_by_client, aborted_by_store",
            transfers.clone(),
        );
        registry.register("received_bytes", "Request body bytes received from clients", bytes_in.clone());
        registry.register("sent_bytes", "Response body bytes sent to clients", bytes_out.clone());
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
        Self {
            requests,
            refusals,
            head_seconds,
            in_progress,
            transfers_in_flight,
            transfer_seconds,
            transfers,
            bytes_in,
            bytes_out,
            store_errors,
            store_node_up,
            store_node_connections,
            store_node_errors,
            reloads,
            registry,
        }
    }

    /// A request's transfer is over (its response body ended or was dropped).
    pub fn transfer_ended(&self, took: Duration, received: u64, sent: u64, outcome: &'static str) {
        self.transfers_in_flight.dec();
        self.transfer_seconds.observe(took.as_secs_f64());
        self.transfers.get_or_create(&OutcomeLabels { outcome }).inc();
        self.bytes_in.inc_by(received);
        self.bytes_out.inc_by(sent);
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

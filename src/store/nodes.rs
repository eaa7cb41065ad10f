//! The store's nodes: the endpoints of one S3 service (the nodes of a Garage, MinIO or Ceph
//! cluster, each able to serve any request), and which of them are taken for new requests.
//!
//! Requests go round the nodes marked up. A node whose connect fails (refused, or timed
//! out) is marked down at once and skipped; nothing of the request was sent, so the next
//! node takes it. A down node comes back when a probe (`Upstream::probe_node`, run in the
//! background and by `/readyz`) gets an answer from it. When every node is down, each is
//! tried anyway, in turn: a node that came back is found before the probe sees it.
//! Health is shared by every worker; each worker keeps its own connections to each node.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::Uri;

use crate::base::metrics::{NodeLabels, global};
use crate::store::pool::Dial;

/// One endpoint of the store.
#[derive(Debug, Clone)]
pub struct StoreNode {
    pub endpoint: Uri,
    /// `host[:port]` as the node is addressed, and so as store requests to it are signed.
    pub host: String,
    pub dial: Dial,
    pub health: Arc<NodeHealth>,
}

/// Whether a node is taken for new requests. Shared by every worker's client.
#[derive(Debug)]
pub struct NodeHealth {
    up: AtomicBool,
    label: NodeLabels,
}

impl NodeHealth {
    /// A node starts up: it is tried until a connect fails.
    pub fn new(label: &str) -> Arc<Self> {
        let label = NodeLabels { node: label.to_owned() };
        global().store_node_up.get_or_create(&label).set(1);
        Arc::new(Self { up: AtomicBool::new(true), label })
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    pub fn name(&self) -> &str {
        &self.label.node
    }

    /// A connect to the node failed: skip it until a probe finds it back.
    pub fn mark_down(&self, why: &str) {
        global().store_node_errors.get_or_create(&self.label).inc();
        if self.up.swap(false, Ordering::Relaxed) {
            global().store_node_up.get_or_create(&self.label).set(0);
            tracing::warn!("store node {} is down ({why}); new requests go to the others", self.label.node);
        }
    }

    /// An exchange with the node failed after it connected: counted, and the node stays
    /// in turn (the next connect tells whether it is gone).
    pub fn count_error(&self) {
        global().store_node_errors.get_or_create(&self.label).inc();
    }

    /// The node answered.
    pub fn mark_up(&self) {
        if !self.up.swap(true, Ordering::Relaxed) {
            global().store_node_up.get_or_create(&self.label).set(1);
            tracing::info!("store node {} answers again; back in turn", self.label.node);
        }
    }
}

/// The order in which to try the nodes for one request, by index: those up, round from
/// `turn`; when none is up, all of them, round from `turn`.
pub fn order(nodes: &[StoreNode], turn: usize) -> impl Iterator<Item = usize> {
    let n = nodes.len();
    let any_up = nodes.iter().any(|node| node.health.is_up());
    (0..n).map(move |i| (turn + i) % n).filter(move |&i| !any_up || nodes.get(i).is_some_and(|nd| nd.health.is_up()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: usize) -> Vec<StoreNode> {
        (0..n)
            .map(|i| {
                let endpoint: Uri = format!("http://10.0.0.{i}:3900").parse().unwrap();
                StoreNode {
                    host: endpoint.authority().unwrap().to_string(),
                    dial: Dial {
                        addr: format!("10.0.0.{i}:3900"),
                        label: endpoint.to_string(),
                        tls: None,
                        connect_timeout: std::time::Duration::from_secs(1),
                        first_byte_timeout: std::time::Duration::from_secs(1),
                    },
                    health: NodeHealth::new(&format!("test-node-{i}-{n}")),
                    endpoint,
                }
            })
            .collect()
    }

    fn hosts(ns: &[StoreNode], it: impl Iterator<Item = usize>) -> Vec<&str> {
        it.map(|i| ns[i].host.as_str()).collect()
    }

    #[test]
    fn round_robin_over_the_nodes_up_and_all_when_none_is() {
        let ns = nodes(3);
        assert_eq!(hosts(&ns, order(&ns, 1)), ["10.0.0.1:3900", "10.0.0.2:3900", "10.0.0.0:3900"]);
        ns[2].health.mark_down("refused");
        assert_eq!(hosts(&ns, order(&ns, 1)), ["10.0.0.1:3900", "10.0.0.0:3900"]);
        assert_eq!(hosts(&ns, order(&ns, 5)), ["10.0.0.0:3900", "10.0.0.1:3900"]);
        ns[0].health.mark_down("refused");
        ns[1].health.mark_down("timed out");
        assert_eq!(hosts(&ns, order(&ns, 0)).len(), 3, "all down: every node is tried");
        ns[1].health.mark_up();
        assert_eq!(hosts(&ns, order(&ns, 0)), ["10.0.0.1:3900"]);
    }
}

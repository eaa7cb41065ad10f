//! The admin listener: Prometheus metrics that move as requests pass, allowed and refused,
//! `/healthz`, and `/readyz` following the store.

mod support;

use serde_json::json;
use support::{BUCKET, Gate, Setup, boto3_presign, http};

/// A counter's value (counters are whole numbers).
fn value(metrics: &str, line_start: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn metrics_move_with_requests_and_probes_answer() {
    let gate = Gate::start_with(Setup { extra_toml: "[admin]\nlisten = \"127.0.0.1:0\"\n".into(), ..Setup::default() });
    let admin = format!("http://{}", gate.admin.clone().expect("admin listening line"));
    let scrape = || async { http().get(format!("{admin}/metrics")).send().await.unwrap().text().await.unwrap() };

    let before = scrape().await;
    let put = boto3_presign(&json!({"endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": "m"}));
    assert_eq!(http().put(&put).body(vec![1u8; 10_000]).send().await.unwrap().status(), 200);
    let got = boto3_presign(&json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": "m"}));
    assert_eq!(http().get(&got).send().await.unwrap().bytes().await.unwrap().len(), 10_000);
    let get =
        boto3_presign(&json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": "none"}));
    assert_eq!(http().get(&get).send().await.unwrap().status(), 404);
    assert_eq!(http().get(gate.url("/example-outpost-bucket/k")).send().await.unwrap().status(), 403);
    let expired = gate.presign("GET", "k", 1, outpost_gate::time::UnixTime(outpost_gate::time::UnixTime::now().0 - 60));
    assert_eq!(http().get(&expired).send().await.unwrap().status(), 403);
    let after = scrape().await;

    let allowed = r#"outpost_gate_requests_total{action="s3-outposts:GetObject",decision="allow",status="404"}"#;
    assert_eq!(value(&after, allowed) - value(&before, allowed), 1, "{after}");
    let denied = r#"outpost_gate_refusals_total{reason="AccessDenied"}"#;
    assert_eq!(value(&after, denied) - value(&before, denied), 2, "{after}");
    assert!(after.contains("outpost_gate_response_head_seconds_bucket"), "{after}");
    assert!(after.contains("outpost_gate_requests_in_progress 0"), "{after}");
    // Bytes each way (error bodies count as sent bytes too), transfers by outcome, the
    // duration to the end, and nothing left in flight.
    let moved = |name: &str| value(&after, name) - value(&before, name);
    assert!(moved("outpost_gate_received_bytes_total") >= 10_000, "{after}");
    assert!(moved("outpost_gate_sent_bytes_total") >= 10_000, "{after}");
    assert_eq!(moved(r#"outpost_gate_transfers_total{outcome="complete"}"#), 5, "{after}");
    assert_eq!(moved("outpost_gate_request_duration_seconds_count"), 5, "{after}");
    assert!(after.contains("outpost_gate_transfers_in_flight 0"), "{after}");

    assert_eq!(http().get(format!("{admin}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(http().get(format!("{admin}/readyz")).send().await.unwrap().status(), 200);
    // Metrics never go on the traffic listener.
    assert_ne!(http().get(gate.url("/metrics")).send().await.unwrap().status(), 200);

    // A reload is counted.
    assert!(gate.sighup(1));
    assert!(scrape().await.contains(r#"outpost_gate_reloads_total{outcome="applied"} 1"#));
}

#[tokio::test]
async fn readyz_follows_the_store() {
    // Nothing listens there, and no parallel test can take the port meanwhile.
    let (held, port) = support::refused_port();
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\naccess_key_id = \"K\"\nsecret_access_key = \"S\"\n"
        )),
        extra_toml: "[admin]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Setup::default()
    });
    let admin = gate.admin.clone().unwrap();
    assert_eq!(http().get(format!("http://{admin}/readyz")).send().await.unwrap().status(), 503);
    assert_eq!(http().get(format!("http://{admin}/healthz")).send().await.unwrap().status(), 200);
    let url = gate.presign("GET", "k", 60, outpost_gate::time::UnixTime::now());
    assert_eq!(http().get(url).send().await.unwrap().status(), 503);
    let metrics = http().get(format!("http://{admin}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("outpost_gate_store_errors_total 1"), "{metrics}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_needs_an_s3_answer_not_just_an_open_port() {
    // A real S3 server that refuses the gate's key: the port is open, the store is not usable.
    let data = tempfile::tempdir().unwrap();
    let store = outpost_gate::store::start_embedded(data.path(), [BUCKET], support::store_timeouts()).await.unwrap();
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"{}\"\naccess_key_id = \"{}\"\nsecret_access_key = \"wrong\"\n",
            store.endpoint(),
            store.access_key_id
        )),
        extra_toml: "[admin]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Setup::default()
    });
    let admin = gate.admin.clone().unwrap();
    let r = http().get(format!("http://{admin}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let why = r.text().await.unwrap();
    assert!(why.contains("403") && why.contains(BUCKET), "{why}");
}

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

//! `[store] endpoints`: a store of several nodes. Here the nodes are TCP relays in front of
//! one s3s-fs server (so they share data and credentials, as a cluster's nodes do), each of
//! which the test can kill and bring back on its port. Requests spread over the nodes up;
//! a node that refuses connections is skipped (no request fails for it), reported by
//! `/readyz` and the metrics, and taken back when the background probe finds it answering.
//! (The Garage cluster behind HAProxy is `tests/cluster.rs`.)

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use outpost_gate::time::UnixTime;
use support::*;
use tokio::sync::watch;

/// A relay on `port` (or a free one) to `store`, until `stop` is sent.
struct Relay {
    port: u16,
    stop: watch::Sender<bool>,
}

impl Relay {
    async fn start(port: u16, store: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = watch::channel(false);
        let mut on_stop = stopped.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = on_stop.changed() => return,
                };
                let Ok((mut client, _)) = accepted else { continue };
                let mut on_stop = stopped.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(store).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = on_stop.changed() => {}
                    }
                });
            }
        });
        Self { port, stop }
    }

    fn kill(&self) {
        let _ = self.stop.send(true);
    }
}

async fn metrics(gate: &Gate) -> String {
    let admin = gate.admin.as_ref().unwrap();
    http().get(format!("http://{admin}/metrics")).send().await.unwrap().text().await.unwrap()
}

/// The value of `name{node="http://127.0.0.1:PORT/"}`.
fn node_metric(text: &str, name: &str, port: u16) -> Option<f64> {
    let label = format!("{name}{{node=\"http://127.0.0.1:{port}/\"}} ");
    text.lines().find_map(|l| l.strip_prefix(label.as_str())).and_then(|v| v.trim().parse().ok())
}

async fn readyz(gate: &Gate) -> (u16, String) {
    let admin = gate.admin.as_ref().unwrap();
    let r = http().get(format!("http://{admin}/readyz")).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn round_trip(gate: &Gate, key: &str) {
    let body = format!("stored through {key}");
    let r = http().put(gate.presign("PUT", key, 60, UnixTime::now())).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200, "PUT {key}: {}", r.text().await.unwrap());
    let r = http().get(gate.presign("GET", key, 60, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {key}");
    assert_eq!(r.text().await.unwrap(), body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_spread_over_the_nodes_up_and_skip_a_dead_one_until_it_answers() {
    let data = tempfile::tempdir().unwrap();
    let store = outpost_gate::store::start_embedded(data.path(), [BUCKET], store_timeouts()).await.unwrap();
    let store_addr: SocketAddr = store.endpoint().authority().unwrap().as_str().parse().unwrap();
    let (a, b) = (Relay::start(0, store_addr).await, Relay::start(0, store_addr).await);
    // The third node is down from the start: nothing listens on its port.
    let (held, c_port) = refused_port();
    let endpoints = [a.port, b.port, c_port].map(|p| format!("\"http://127.0.0.1:{p}\"")).join(", ");
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoints = [{endpoints}]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
            store.access_key_id,
            store.secret.expose()
        )),
        extra_toml: "[admin]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Setup::default()
    });

    for i in 0..24 {
        round_trip(&gate, &format!("spread/{i}")).await;
    }
    let text = metrics(&gate).await;
    assert_eq!(node_metric(&text, "outpost_gate_store_node_up", c_port), Some(0.0), "{text}");
    assert!(node_metric(&text, "outpost_gate_store_node_errors_total", c_port).unwrap_or(0.0) >= 1.0, "{text}");
    for port in [a.port, b.port] {
        assert_eq!(node_metric(&text, "outpost_gate_store_node_up", port), Some(1.0), "{text}");
        let open = node_metric(&text, "outpost_gate_store_node_connections", port).unwrap_or(0.0);
        assert!(open >= 1.0, "node {port} took no connection: {text}");
    }
    let (status, body) = readyz(&gate).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ready: 2 of 3 store nodes answer; down: http://127.0.0.1:"), "{body}");
    assert!(body.contains(&c_port.to_string()), "{body}");

    // B dies with connections open: requests go on through A.
    b.kill();
    for i in 0..12 {
        round_trip(&gate, &format!("after-b/{i}")).await;
    }
    let text = metrics(&gate).await;
    assert_eq!(node_metric(&text, "outpost_gate_store_node_up", b.port), Some(0.0), "{text}");

    // C comes up on its port: the probe takes it back without a request having to try it.
    drop(held);
    let c = Relay::start(c_port, store_addr).await;
    let back = async {
        loop {
            if node_metric(&metrics(&gate).await, "outpost_gate_store_node_up", c.port) == Some(1.0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(15), back).await.expect("node C was not taken back within 15 s");
    let log = gate.log();
    assert!(log.contains(&format!("store node http://127.0.0.1:{c_port}/ answers again")), "{log}");
    for i in 0..12 {
        round_trip(&gate, &format!("after-c/{i}")).await;
    }

    // Every node down: 503, and /readyz says so.
    a.kill();
    c.kill();
    let r = http().get(gate.presign("GET", "spread/0", 60, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(xml_code(&r.text().await.unwrap()), "ServiceUnavailable");
    let (status, body) = readyz(&gate).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready: no store node answers:"), "{body}");
}

#[test]
fn endpoints_are_checked_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "endpoint = \"http://a:1\"\nendpoints = [\"http://b:1\"]",
            "store.endpoints: give endpoint (one node) or endpoints",
        ),
        ("endpoints = []", "store.endpoints: names no endpoint"),
        ("endpoints = [\"http://a:1\", \"http://a:1\"]", "store.endpoints: \"http://a:1/\" is named twice"),
        (
            "endpoints = [\"http://a:1\", \"https://b:1\"]",
            "store.endpoints: the nodes of one store are all http:// or all https://",
        ),
        ("endpoints = [\"http://a:1/path\"]", "store.endpoints: \"http://a:1/path\" must be a URL with no path"),
    ];
    for (store, expected) in cases {
        let path = dir.path().join("gate.toml");
        std::fs::write(
            &path,
            format!(
                "[server]\nlisten = [\"127.0.0.1:0\"]\n[outpost]\nregion = \"us-east-1\"\naccount_id = \"{ACCOUNT}\"\noutpost_id = \"{OUTPOST}\"\n[store]\nkind = \"s3\"\naccess_key_id = \"K\"\nsecret_access_key = \"S\"\n{store}\n"
            ),
        )
        .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
            .args(["check-config", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expected), "{store}: {err}");
    }
}

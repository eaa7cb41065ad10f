//! Live reload on SIGHUP: a policy change takes effect for new requests while a download
//! that started before it completes; a broken policy file keeps the old state serving; a
//! new certificate is seen by new connections; changes that need a restart are reported.

mod support;

use futures_util::StreamExt as _;
use serde_json::json;
use support::{BUCKET, Gate, Setup, boto3_presign, http, make_certs};

const ALLOW_ALL_BUCKET: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Nothing","Effect":"Deny","Principal":"*","Action":"s3-outposts:GetObject","Resource":"arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904/bucket/example-outpost-bucket/object/none/*"}]}"#;
const DENY_BIG: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoBig","Effect":"Deny","Principal":"*","Action":"s3-outposts:GetObject","Resource":"arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904/bucket/example-outpost-bucket/object/big"}]}"#;

fn get_url(gate: &Gate, key: &str) -> String {
    boto3_presign(&json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": key}))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_change_applies_to_new_requests_only_and_a_broken_file_changes_nothing() {
    const SIZE: usize = 32 << 20;
    let gate = Gate::start_with(Setup { bucket_policy: Some(ALLOW_ALL_BUCKET.into()), ..Setup::default() });
    let put = boto3_presign(&json!({"endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": "big"}));
    let r = http().put(put).body(vec![7u8; SIZE]).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // A download starts under the old policy and reads slowly.
    let url = get_url(&gate, "big");
    let resp = http().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut got = stream.next().await.unwrap().unwrap().len();

    // The bucket policy now denies that object; reload.
    std::fs::write(gate.dir.path().join("policies/bucket.json"), DENY_BIG).unwrap();
    assert!(gate.sighup(1));
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 403, "a new request sees the new policy");

    // The download that started before goes on to the last byte.
    while let Some(chunk) = stream.next().await {
        got += chunk.unwrap().len();
        if got < SIZE / 2 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    assert_eq!(got, SIZE);

    // A broken policy file: the reload fails and the running state stays.
    std::fs::write(gate.dir.path().join("policies/bucket.json"), "{ not json").unwrap();
    assert!(!gate.sighup(2));
    assert_eq!(http().get(&url).send().await.unwrap().status(), 403);
    assert_eq!(http().get(get_url(&gate, "other")).send().await.unwrap().status(), 404);
    let log = gate.log();
    assert!(log.contains("reload failed; the running configuration stays in place"), "{log}");
    assert!(log.contains("policies/bucket.json: (document): not valid JSON"), "{log}");

    // Changes only a restart can make are reported, the rest applied.
    std::fs::write(gate.dir.path().join("policies/bucket.json"), ALLOW_ALL_BUCKET).unwrap();
    let config = gate.dir.path().join("gate.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("max_clock_skew_secs = 900", "max_clock_skew_secs = 900\nworkers = 1");
    std::fs::write(&config, text).unwrap();
    assert!(gate.sighup(3));
    assert!(gate.log().contains("these changes need a restart and are not applied: server.workers"));
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_new_certificate_is_seen_by_new_connections() {
    let certs = tempfile::tempdir().unwrap();
    let first_ca = make_certs(certs.path(), false);
    let gate = Gate::start_with(Setup { server_toml: support::tls_toml(certs.path()), ..Setup::default() });
    let trusting = support::https_client;
    let health = format!("https://localhost:{}/_gate/healthz", gate.addr.rsplit(':').next().unwrap());
    assert_eq!(trusting(&first_ca).get(&health).send().await.unwrap().status(), 200);

    let second_ca = make_certs(certs.path(), true);
    assert!(gate.sighup(1));
    assert_eq!(trusting(&second_ca).get(&health).send().await.unwrap().status(), 200);
    assert!(trusting(&first_ca).get(&health).send().await.is_err(), "the old chain is gone for new connections");
}

#[test]
fn readiness_is_sent_to_systemd_once_listening() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let config = dir.path().join("gate.toml");
    std::fs::write(
        &config,
        "[server]\nlisten = [\"127.0.0.1:0\"]\n[outpost]\nregion = \"us-east-1\"\naccount_id = \"111122223333\"\noutpost_id = \"op-01ac5d28a6a232904\"\n[store]\nkind = \"embedded\"\ndata_dir = \"data\"\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("NOTIFY_SOCKET", &socket_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 64];
    let got = socket.recv(&mut buf);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(&buf[..got.unwrap()], b"READY=1");
}

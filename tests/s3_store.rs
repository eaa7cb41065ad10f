//! `[store] kind = "s3"`: the gate in front of a separate S3 server (s3s-fs, serving from
//! this test process on its own port with its own credentials), driven by boto3 URLs. The
//! store's credentials must never reach the client.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn remote_s3_store_round_trip() {
    let data = tempfile::tempdir().unwrap();
    let store = outpost_gate::store::start_embedded(data.path(), [BUCKET], store_timeouts()).await.unwrap();
    let store_secret = store.secret.expose().to_owned();
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
            store.endpoint, store.access_key_id, store_secret
        )),
        ..Setup::default()
    });
    let url = |method: &str, key: &str| {
        boto3_presign(&json!({"endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": key}))
    };

    let key = "remote/ünï code+plus & space.txt";
    let r = http().put(url("put_object", key)).body("through a remote store").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // It is really in the remote store's bucket directory.
    let on_disk = std::fs::read_to_string(data.path().join(BUCKET).join(key)).unwrap();
    assert_eq!(on_disk, "through a remote store");

    let r = http().get(url("get_object", key)).header("range", "bytes=8-13").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.text().await.unwrap(), "a remo");

    let r = http().delete(url("delete_object", key)).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = http().get(url("get_object", key)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("NoSuchKey"), "the store's own error passes through: {body}");

    for text in [body, gate.log()] {
        assert!(!text.contains(&store_secret), "the store secret leaked");
    }
}

/// A keep-alive store that counts connections and answers every request with a small
/// body (HEAD: headers only).
fn counting_store() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&accepted);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    let head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"e\"\r\n\r\n";
                    let body: &[u8] = if request_line.starts_with("HEAD") { b"" } else { b"hello" };
                    if writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(body)).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, accepted)
}

#[tokio::test(flavor = "multi_thread")]
async fn store_connections_are_reused_after_complete_bodies() {
    use std::sync::atomic::Ordering;
    let (port, accepted) = counting_store();
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\naccess_key_id = \"K\"\nsecret_access_key = \"S\"\n"
        )),
        // One worker: the client may open a second connection (reqwest does not promise
        // reuse), and with one worker it still meets the same store pool.
        server_toml: "workers = 1\n".into(),
        ..Setup::default()
    });
    let now = outpost_gate::time::UnixTime::now;
    // Sequential requests, one at a time.
    let client = http();
    for i in 0..20 {
        let method = if i % 2 == 0 { "GET" } else { "HEAD" };
        let url = gate.presign(method, "k", 60, now());
        let r = client.request(method.parse().unwrap(), url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.bytes().await.unwrap();
        assert_eq!(body.as_ref(), if method == "GET" { &b"hello"[..] } else { b"" });
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "20 sequential requests share one store connection");

    // A client that walks away before reading the body: the next request still gets a
    // whole, correct answer (a half-read connection is never handed on).
    let r = client.get(gate.presign("GET", "k", 60, now())).send().await.unwrap();
    drop(r);
    let r = client.get(gate.presign("GET", "k", 60, now())).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"hello");
}

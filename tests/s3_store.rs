//! `[store] kind = "s3"`: the gate in front of a separate S3 server (s3s-fs, serving from
//! this test process on its own port with its own credentials), driven by boto3 URLs. The
//! store's credentials must never reach the client. An `https://` store is verified
//! against `store.ca_file`; a store that never answers is cut off at the first-byte
//! timeout, counted from the end of the upload.

mod support;

use futures_util::StreamExt as _;
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
            store.endpoint(),
            store.access_key_id,
            store_secret
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

type Heads = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A keep-alive store that counts connections, keeps every request head it reads, and
/// answers every request with a small body (HEAD: headers only).
fn counting_store() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>, Heads) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&accepted);
    let heads = Heads::default();
    let kept = std::sync::Arc::clone(&heads);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let kept = std::sync::Arc::clone(&kept);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut head = request_line.clone();
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        head.push_str(&line);
                        line.clear();
                    }
                    kept.lock().unwrap().push(head);
                    let head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"e\"\r\n\r\n";
                    let body: &[u8] = if request_line.starts_with("HEAD") { b"" } else { b"hello" };
                    if writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(body)).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, accepted, heads)
}

#[tokio::test(flavor = "multi_thread")]
async fn store_connections_are_reused_after_complete_bodies() {
    use std::sync::atomic::Ordering;
    let (port, accepted, _) = counting_store();
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

/// What the store gets of a client's headers: `x-amz-*` and the headers S3 defines. The
/// rest is dropped, as S3 ignores it, since a store may not (MinIO deletes a whole prefix
/// on `x-minio-force-delete`; stores log `X-Forwarded-For` as the client).
#[tokio::test(flavor = "multi_thread")]
async fn only_the_headers_s3_defines_reach_the_store() {
    let (port, _, heads) = counting_store();
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\naccess_key_id = \"K\"\nsecret_access_key = \"S\"\n"
        )),
        ..Setup::default()
    });
    let url = gate.presign("DELETE", "archive", 60, outpost_gate::time::UnixTime::now());
    let mut req = http().delete(url);
    for (name, value) in [
        ("x-minio-force-delete", "true"),
        ("x-minio-extract", "true"),
        ("x-forwarded-for", "10.9.9.9"),
        ("forwarded", "for=10.9.9.9"),
        ("x-http-method-override", "GET"),
        ("x-original-url", "/other/key"),
        ("if-match", "\"e\""),
        ("cache-control", "no-cache"),
    ] {
        req = req.header(name, value);
    }
    assert_eq!(req.send().await.unwrap().status(), 200);
    let head = heads.lock().unwrap().pop().unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("delete /") && head.contains("if-match: \"e\"") && head.contains("cache-control: no-cache"),
        "{head}"
    );
    for dropped in ["x-minio", "forwarded", "x-http-method-override", "x-original-url", "10.9.9.9"] {
        assert!(!head.contains(dropped), "{dropped} reached the store:\n{head}");
    }
}

/// A TLS front for a store: terminates TLS with the certificate `make_certs` wrote in
/// `dir` (for localhost) and passes the bytes to `store` unchanged, as a TLS-speaking
/// MinIO or Garage would look from the gate. Returns its port.
async fn tls_front(store: &str, dir: &std::path::Path) -> u16 {
    let cert = std::fs::read(dir.join("gate.crt")).unwrap();
    let key = std::fs::read(dir.join("gate.key")).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(outpost_gate::tls::server_config(&cert, &key).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = store.to_owned();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, store) = (acceptor.clone(), store.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut plain = tokio::net::TcpStream::connect(store).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

fn s3_store_toml(endpoint: &str, ak: &str, sk: &str, more: &str) -> String {
    format!(
        "[store]\nkind = \"s3\"\nendpoint = \"{endpoint}\"\naccess_key_id = \"{ak}\"\nsecret_access_key = \"{sk}\"\n{more}"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_store_is_verified_against_store_ca_file() {
    let data = tempfile::tempdir().unwrap();
    let store = outpost_gate::store::start_embedded(data.path(), [BUCKET], store_timeouts()).await.unwrap();
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path(), false);
    let port = tls_front(store.endpoint().authority().unwrap().as_ref(), certs.path()).await;
    let (ak, sk) = (store.access_key_id.clone(), store.secret.expose().to_owned());

    // The store section for this TLS store, trusting the CA that `make_certs` wrote in `dir`.
    let trusting = |dir: &std::path::Path| {
        let ca = dir.join("ca.pem").display().to_string();
        Some(s3_store_toml(&format!("https://localhost:{port}"), &ak, &sk, &format!("ca_file = \"{ca}\"\n")))
    };

    // Trusting the store's CA: a boto3 round trip, and /readyz through TLS.
    let gate = Gate::start_with(Setup {
        store_toml: trusting(certs.path()),
        extra_toml: "[admin]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Setup::default()
    });
    let url = |method: &str| {
        boto3_presign(&json!({"endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": "tls.txt"}))
    };
    let r = http().put(url("put_object")).body("over TLS to the store").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(std::fs::read_to_string(data.path().join(BUCKET).join("tls.txt")).unwrap(), "over TLS to the store");
    assert_eq!(http().get(url("get_object")).send().await.unwrap().text().await.unwrap(), "over TLS to the store");
    let admin = gate.admin.clone().unwrap();
    assert_eq!(http().get(format!("http://{admin}/readyz")).send().await.unwrap().status(), 200);

    // Trusting another CA only: the store's certificate is refused, nothing is sent.
    let other = tempfile::tempdir().unwrap();
    make_certs(other.path(), false);
    let gate = Gate::start_with(Setup { store_toml: trusting(other.path()), ..Setup::default() });
    let r = http().get(gate.presign("GET", "tls.txt", 60, outpost_gate::time::UnixTime::now())).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("<Code>ServiceUnavailable</Code>"));
    let log = gate.log();
    // (Both test CAs share a name, so rustls reports the signature rather than the issuer.)
    assert!(log.contains("TLS: invalid peer certificate"), "{log}");
}

#[tokio::test]
async fn store_tls_settings_are_checked_at_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("not-a-ca.pem"), "hello").unwrap();
    let base =
        "[outpost]\nregion = \"us-east-1\"\naccount_id = \"111122223333\"\noutpost_id = \"op-01ac5d28a6a232904\"\n";
    // (the store section, the key named, what is said of it)
    let cases = [
        (
            s3_store_toml("https://localhost:9000", "K", "S", "ca_file = \"not-a-ca.pem\"\n"),
            "store.ca_file: ",
            "not-a-ca.pem: holds no certificate",
        ),
        (
            s3_store_toml("https://localhost:9000", "K", "S", "ca_file = \"missing.pem\"\n"),
            "store.ca_file: ",
            "missing.pem: cannot read",
        ),
        (
            s3_store_toml("http://localhost:9000", "K", "S", "ca_file = \"not-a-ca.pem\"\n"),
            "store.ca_file: ",
            "only for an https:// store endpoint",
        ),
        (s3_store_toml("http://localhost:9000/prefix", "K", "S", ""), "store.endpoint: ", "must be a URL with no path"),
        (
            s3_store_toml("http://localhost:9000", "K", "S", "first_byte_timeout_secs = 0\n"),
            "store.first_byte_timeout_secs: ",
            "must be at least 1",
        ),
    ];
    for (store, key, expected) in cases {
        let path = dir.path().join("gate.toml");
        std::fs::write(&path, format!("{base}{store}")).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
            .args(["check-config", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{store}: {said}");
        let line =
            said.lines().find(|l| l.contains(expected)).unwrap_or_else(|| panic!("{store}: no {expected:?} in {said}"));
        assert!(line.contains(key), "{store}: {line} does not name {key}");
    }
}

/// A store that accepts connections and reads requests but never answers.
fn silent_store() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut sink = [0u8; 4096];
                let mut s = stream;
                while std::io::Read::read(&mut s, &mut sink).is_ok_and(|n| n > 0) {}
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_store_times_out_but_a_slow_upload_does_not() {
    let port = silent_store();
    let gate = Gate::start_with(Setup {
        store_toml: Some(s3_store_toml(&format!("http://127.0.0.1:{port}"), "K", "S", "first_byte_timeout_secs = 1\n")),
        ..Setup::default()
    });
    let started = std::time::Instant::now();
    let r = http().get(gate.presign("GET", "k", 60, outpost_gate::time::UnixTime::now())).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 503);
    assert!(took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(5), "{took:?}");
    assert!(gate.log().contains("the store sent no answer within 1s"));

    // The first-byte clock starts when the body has been sent: an upload taking three
    // times the timeout completes.
    let gate = Gate::start_with(Setup {
        store_toml: Some("[store]\nkind = \"embedded\"\ndata_dir = \"data\"\nfirst_byte_timeout_secs = 1\n".into()),
        ..Setup::default()
    });
    let chunks = futures_util::stream::iter(0..6).then(|_| async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![3u8; 64 * 1024]))
    });
    let put = gate.presign("PUT", "slow.bin", 60, outpost_gate::time::UnixTime::now());
    let r = http()
        .put(put)
        .header("content-length", 6 * 64 * 1024)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

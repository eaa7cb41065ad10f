//! What one presigned GET costs the allocator, end to end: the worker that serves it (the
//! same `worker::run` as in production, on this thread) reads the request, decides it,
//! re-signs it toward a store, relays the answer and writes the access line.
//!
//! `allocation-counter` counts the allocations of the thread it measures, so the client and
//! the store (plain threads here) are not counted, and what is counted is everything the
//! gate's worker does. Startup is cancelled out by serving two runs of different lengths and
//! dividing the difference by the extra requests.
//!
//! The access lines go to stdout, so the counting runs in a child process of this test
//! whose stdout is discarded; it reports on stderr.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use outpost_gate::config::Config;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::Signer;
use outpost_gate::time::UnixTime;

/// Issue 16's bound, and where it stood when pinned (18 on hyper 1.x).
const MAX_ALLOCATIONS_PER_GET: f64 = 20.0;
const CHILD: &str = "OUTPOST_GATE_ALLOCATIONS_CHILD";
const OBJECT: usize = 1024;

#[test]
fn a_presigned_get_allocates_at_most_twenty_times() {
    if std::env::var_os(CHILD).is_some() {
        let short = allocations_serving(100);
        let long = allocations_serving(1100);
        #[allow(clippy::cast_precision_loss)]
        let per_request = (long.saturating_sub(short)) as f64 / 1000.0;
        eprintln!("allocations per request: {per_request:.2} (runs: {short}, {long})");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_presigned_get_allocates_at_most_twenty_times", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the counting run failed:\n{report}");
    let per_request: f64 = report
        .lines()
        .find_map(|l| l.strip_prefix("allocations per request: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in:\n{report}"));
    println!("allocations per presigned GET: {per_request:.2}");
    // hyper alone allocates for every request head it reads: a count this low means the
    // counter was not watching the serving thread.
    assert!(per_request >= 5.0, "implausibly few allocations ({per_request}): is the counter live?");
    assert!(per_request <= MAX_ALLOCATIONS_PER_GET, "{per_request} allocations per presigned GET");
}

/// Allocations on this thread while a worker serves `requests` presigned GETs on one
/// keep-alive connection, against a store that answers every request with 1 KiB.
fn allocations_serving(requests: usize) -> u64 {
    let store = fixed_store();
    let dir = std::env::temp_dir().join(format!("outpost-gate-alloc-{}-{requests}", std::process::id()));
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(
        dir.join("policies/read.json"),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3-outposts:GetObject","Resource":"arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904/bucket/bench-bucket/object/*"}]}"#,
    )
    .unwrap();
    let text = format!(
        r#"
[server]
listen = ["127.0.0.1:0"]
workers = 1
[outpost]
region = "us-east-1"
account_id = "111122223333"
outpost_id = "op-01ac5d28a6a232904"
[store]
kind = "s3"
endpoint = "http://{store}"
access_key_id = "STOREKEY"
secret_access_key = "store-secret"
[[buckets]]
name = "bench-bucket"
[[users]]
arn = "arn:aws:iam::111122223333:user/reader"
policies = ["policies/read.json"]
access_keys = [{{ id = "AKIAREADER0000000000", secret = "reader-secret" }}]
"#
    );
    let config = Config::from_text(&text, &dir.join("gate.toml")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();

    let signer = Signer {
        access_key_id: "AKIAREADER0000000000",
        secret: &SecretKey::new("reader-secret"),
        region: "us-east-1",
        service: "s3",
    };
    let host = addr.to_string();
    let url = signer.presign_url("GET", "http", &host, "/bench-bucket/object.bin", &[], 3600, None, UnixTime::now());
    let target = url.split_once(&host).unwrap().1.to_owned();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let client = std::thread::spawn(move || {
        let result = get_many(addr, &host, &target, requests);
        let _ = done_tx.send(());
        result
    });

    let stop = async move {
        while done_rx.try_recv().is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let counted = allocation_counter::measure(|| {
        outpost_gate::server::serve_one_worker(&config, listener, stop).unwrap();
    });
    client.join().unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    counted.count_total
}

/// `requests` GETs of `target` on one connection; each must be a 200 with the object.
fn get_many(addr: std::net::SocketAddr, host: &str, target: &str, requests: usize) -> std::io::Result<()> {
    let mut conn = TcpStream::connect(addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: alloc-test\r\n\r\n");
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..requests {
        conn.write_all(request.as_bytes())?;
        let mut have = 0;
        let (head_end, length) = loop {
            let n = conn.read(&mut buf[have..])?;
            assert!(n > 0, "the gate closed the connection at request {i}");
            have += n;
            if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                assert!(head.starts_with("http/1.1 200"), "request {i}: {head}");
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse::<usize>().unwrap())
                    .unwrap();
                break (end + 4, length);
            }
        };
        while have < head_end + length {
            let n = conn.read(&mut buf[have..])?;
            assert!(n > 0, "the body of request {i} was cut short");
            have += n;
        }
        assert_eq!(have, head_end + length, "one answer per request");
    }
    Ok(())
}

/// A store that answers every request on every connection with the same 1 KiB object.
fn fixed_store() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {OBJECT}\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .into_bytes();
                answer.extend(std::iter::repeat_n(b'x', OBJECT));
                let mut buf = vec![0u8; 16 * 1024];
                let mut have = 0;
                loop {
                    let Ok(n) = conn.read(&mut buf[have..]) else { return };
                    if n == 0 {
                        return;
                    }
                    have += n;
                    // GETs have no body: each head ends a request.
                    while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                        if conn.write_all(&answer).is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..have, 0);
                        have -= end + 4;
                    }
                }
            });
        }
    });
    addr
}

//! Expiry is decided once, at arrival: transfers that start in time finish, however long
//! they take; a new request after expiry (a Range resume included) is refused. Bodies
//! stream both ways, so the gate's memory stays flat, and a store that fails mid-body makes
//! the gate abort the client's connection instead of ending the body short.

// Test-data generators truncate on purpose.
#![allow(clippy::cast_possible_truncation)]

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use outpost_gate::time::UnixTime;
use serde_json::json;
use sha2::{Digest, Sha256};
use support::*;

const MIB: usize = 1024 * 1024;

/// A deterministic body of `chunks` × `chunk` bytes, paced by `pause` between chunks.
fn body_stream(chunks: usize, chunk: usize, pause: Duration) -> (reqwest::Body, [u8; 32]) {
    let make = move |i: usize| -> Bytes {
        let mut v = vec![0u8; chunk];
        for (j, b) in v.iter_mut().enumerate() {
            *b = (i.wrapping_mul(31) ^ j.wrapping_mul(7)) as u8;
        }
        Bytes::from(v)
    };
    let mut h = Sha256::new();
    for i in 0..chunks {
        h.update(make(i));
    }
    let stream = futures_util::stream::iter(0..chunks).then(move |i| async move {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        Ok::<_, std::io::Error>(make(i))
    });
    (reqwest::Body::wrap_stream(stream), h.finalize().into())
}

fn boto3_url(gate: &Gate, method: &str, key: &str, expires: u32) -> String {
    boto3_presign(
        &json!({"endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": key, "expires": expires}),
    )
}

async fn expect_expired(r: reqwest::Response) {
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_256_mib_download_outlives_its_two_second_url_and_memory_stays_flat() {
    let gate = Gate::start();
    let key = "big/256mib.bin";
    let (body, sha) = body_stream(256, MIB, Duration::ZERO);
    let put = gate.presign("PUT", key, 600, UnixTime::now());
    let r = http().put(put).header("content-length", (256 * MIB).to_string()).body(body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let url = boto3_url(&gate, "get_object", key, 2);
    let signed = Instant::now();
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], (256 * MIB).to_string().as_str());
    let mut stream = r.bytes_stream();
    let (mut h, mut n, mut next_pause) = (Sha256::new(), 0usize, MIB);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("the download must not be cut when its URL expires");
        h.update(&chunk);
        n += chunk.len();
        if n >= next_pause {
            // ~256 pauses of 14 ms: the read takes well over the URL's two seconds.
            tokio::time::sleep(Duration::from_millis(14)).await;
            next_pause += MIB;
        }
    }
    assert_eq!(n, 256 * MIB);
    assert_eq!(<[u8; 32]>::from(h.finalize()), sha, "every byte arrived intact");
    assert!(signed.elapsed() > Duration::from_secs(3), "the read outlived the URL ({:?})", signed.elapsed());

    // Resuming the same download after expiry is a new request, and refused.
    expect_expired(http().get(&url).header("range", format!("bytes={n}-")).send().await.unwrap()).await;
    expect_expired(http().get(&url).header("range", "bytes=0-99").send().await.unwrap()).await;

    let peak = gate.peak_rss_kib();
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB while 512 MiB passed through");
    eprintln!("gate peak RSS: {peak} KiB");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_upload_outlives_its_two_second_url() {
    let gate = Gate::start();
    let key = "slow upload";
    let url = boto3_url(&gate, "put_object", key, 2);
    let started = Instant::now();
    let (body, sha) = body_stream(64, 512 * 1024, Duration::from_millis(55));
    let r = http().put(&url).header("content-length", (32 * MIB).to_string()).body(body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(started.elapsed() > Duration::from_secs(3), "the upload outlived its URL ({:?})", started.elapsed());

    let got = http().get(gate.presign("GET", key, 60, UnixTime::now())).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(got.len(), 32 * MIB);
    assert_eq!(<[u8; 32]>::from(Sha256::digest(&got)), sha);

    // The same URL again, now expired: refused, and the object is untouched.
    expect_expired(http().put(&url).body("overwrite").send().await.unwrap()).await;
    let again = http().get(gate.presign("GET", key, 60, UnixTime::now())).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(again.len(), 32 * MIB);
}

/// A store that answers with headers and part of the body, then dies.
fn failing_store(response_head: &str, partial: usize) -> u16 {
    scripted_store([response_head.as_bytes(), &vec![b'z'; partial]].concat())
}

fn gate_on(port: u16) -> Gate {
    Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\naccess_key_id = \"STOREKEY\"\nsecret_access_key = \"storesecret\"\n"
        )),
        ..Setup::default()
    })
}

fn raw_get(addr: &str, url: &str) -> (Vec<u8>, std::io::Result<usize>) {
    let path = &url[url.find(addr).unwrap() + addr.len()..];
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let r = s.read_to_end(&mut out);
    (out, r)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_failure_after_its_headers_or_mid_body_aborts_the_client_connection() {
    let sized = "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\nETag: \"x\"\r\n\r\n";
    let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    // Closed right after the headers, or 64 KiB into the body.
    for (head, partial) in [(sized, 0), (chunked, 0), (sized, 65_536), (chunked, 65_536)] {
        let head: &'static str = if head == chunked && partial > 0 {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n"
        } else {
            head
        };
        let port = failing_store(head, partial);
        let gate = gate_on(port);
        let url = gate.presign("GET", "k", 60, UnixTime::now());
        let r = http().get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let result = r.bytes().await;
        assert!(result.is_err(), "a short body must surface as an error, got {:?} bytes", result.map(|b| b.len()));

        // On the wire: the connection closes before the declared length or the final chunk.
        let (bytes, _) = raw_get(&gate.addr, &url);
        let text = String::from_utf8_lossy(&bytes);
        let body_at = text.find("\r\n\r\n").unwrap() + 4;
        if head.contains("Content-Length") {
            assert!(bytes.len() - body_at < 1_048_576, "declared 1 MiB, got all of it?");
        } else {
            assert!(!text.ends_with("0\r\n\r\n"), "no terminating chunk may be sent");
        }
        // Both requests' access lines say the store broke them off.
        let lines = gate.access_lines();
        let aborted = lines.iter().filter(|l| l.ends_with("outcome=aborted_by_store")).count();
        assert_eq!(aborted, 2, "{lines:#?}");
    }
}

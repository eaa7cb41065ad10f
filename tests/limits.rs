//! Limits against slow and greedy clients: a slowloris client sending one header byte a
//! second is cut off at `header_read_timeout_secs` while others are served; an idle
//! keep-alive connection is closed at `idle_timeout_secs`, a long transfer is not; request
//! heads and URLs over their caps get S3's RequestHeaderSectionTooLarge.

mod support;

use std::time::{Duration, Instant};

use support::{Gate, Setup, http};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_slowloris_client_is_cut_off_at_the_header_timeout() {
    let gate = Gate::start_with(Setup { server_toml: "header_read_timeout_secs = 2\n".into(), ..Setup::default() });
    let mut slow = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    slow.write_all(b"GET /_gate/healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = slow.into_split();
    let dripping = tokio::spawn(async move {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if writer.write_all(b"a").await.is_err() {
                break;
            }
        }
    });
    // Meanwhile, everyone else is served.
    for _ in 0..3 {
        assert_eq!(http().get(gate.url("/_gate/healthz")).send().await.unwrap().status(), 200);
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), reader.read_to_end(&mut answer)).await.expect("cut off");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_secs(6), "cut off after {took:?}");
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"), "the slow request was never served");
    dripping.abort();
}

/// Reads what the gate sends on `stream` until it closes, or `limit` passes.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut out)).await.ok().map(|_| out)
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_but_a_long_transfer_is_not() {
    let gate = Gate::start_with(Setup { server_toml: "idle_timeout_secs = 1\n".into(), ..Setup::default() });

    // One request, then silence: closed about a second after the answer.
    let mut idle = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    idle.write_all(b"GET /_gate/healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut idle, Duration::from_secs(10)).await.expect("closed while idle");
    let took = started.elapsed();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"), "served first");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "closed after {took:?}");

    // A download that takes three idle timeouts, on a connection that is never idle.
    let size = 8 * 1024 * 1024;
    let put = gate.presign("PUT", "slow.bin", 60, outpost_gate::time::UnixTime::now());
    assert_eq!(http().put(put).body(vec![1u8; size]).send().await.unwrap().status(), 200);
    let get = gate.presign("GET", "slow.bin", 60, outpost_gate::time::UnixTime::now());
    let r = http().get(get).send().await.unwrap();
    let mut stream = futures_util::StreamExt::fuse(r.bytes_stream());
    let (mut n, started) = (0, Instant::now());
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        n += chunk.expect("not cut by the idle timeout").len();
        // Paced to take 3.5 s in all.
        let due = Duration::from_millis(3500 * u64::try_from(n).unwrap() / u64::try_from(size).unwrap());
        tokio::time::sleep_until((started + due).into()).await;
    }
    assert_eq!(n, size);
    assert!(started.elapsed() >= Duration::from_secs(3));
}

/// HTTP/2 closes gracefully by a GOAWAY and a PING the client must answer; a client that
/// never answers is still cut a few seconds after its idle timeout, so it cannot hold a
/// connection permit forever.
#[tokio::test]
async fn an_idle_http2_connection_that_never_answers_is_still_closed() {
    let gate = Gate::start_with(Setup { server_toml: "idle_timeout_secs = 1\n".into(), ..Setup::default() });
    let mut silent = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    // The HTTP/2 preface and an empty SETTINGS frame, then nothing: no ack, no request.
    silent.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").await.unwrap();
    let started = Instant::now();
    let sent =
        read_until_closed(&mut silent, Duration::from_secs(20)).await.expect("closed although it never answered");
    let took = started.elapsed();
    assert!(!sent.is_empty(), "the gate spoke HTTP/2 first");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(12), "closed after {took:?}");
}

#[tokio::test]
async fn oversized_heads_get_s3s_error_or_a_closed_connection() {
    let gate = Gate::start_with(Setup {
        server_toml: "max_header_bytes = 4096\nmax_url_bytes = 1024\n".into(),
        ..Setup::default()
    });
    let url = gate.presign("GET", "k", 60, outpost_gate::time::UnixTime::now());

    let r = http().get(&url).header("x-padding", "p".repeat(5000)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<Code>RequestHeaderSectionTooLarge</Code><Message>Your request header section exceeds the maximum allowed size.</Message><MaxSizeAllowed>4096</MaxSizeAllowed>"),
        "{body}"
    );

    let r = http().get(format!("{url}&x={}", "q".repeat(1024))).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("<MaxSizeAllowed>1024</MaxSizeAllowed>"));

    // Past what hyper will buffer at all (32 KiB here): no 5xx, whatever the way out.
    let mut s = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    let head = format!("GET /_gate/healthz HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n", "h".repeat(200 * 1024));
    let _ = s.write_all(head.as_bytes()).await;
    let answer = read_until_closed(&mut s, Duration::from_secs(10)).await.unwrap_or_default();
    let status = support::status_of(&String::from_utf8_lossy(&answer));
    assert!(status == 0 || (400..500).contains(&status), "{}", String::from_utf8_lossy(&answer));

    // Within the limits, all is well.
    let r = http().get(&url).header("x-padding", "p".repeat(1000)).send().await.unwrap();
    assert_eq!(r.status(), 404, "{}", r.text().await.unwrap());
}

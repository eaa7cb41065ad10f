//! Limits against slow clients: a slowloris client sending one header byte a second is cut
//! off at `header_read_timeout_secs` while others are served.

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

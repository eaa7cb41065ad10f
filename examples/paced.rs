//! An open-loop load for `benches/load.sh`: GETs of one URL at a fixed total rate, spread
//! over keep-alive connections, with the latency of each measured from when it was due
//! (not from when it could be sent), so a server that falls behind is charged for the wait
//! and no slow answer hides the ones queued behind it.
//!
//! Usage: paced URL RATE_PER_SECOND SECONDS [CONNECTIONS (default 32)]
//! Prints: `sent N p50_us P p90_us P p99_us P max_us P errors E`

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(rate), Some(secs)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: paced URL RATE_PER_SECOND SECONDS [CONNECTIONS]");
        std::process::exit(2);
    };
    let rate: f64 = rate.parse().unwrap_or(1000.0);
    let secs: f64 = secs.parse().unwrap_or(10.0);
    let conns: u32 = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(32).max(1);
    let Some((host, target)) = url.strip_prefix("http://").and_then(|r| r.split_once('/')) else {
        eprintln!("paced: an http:// URL with a path");
        std::process::exit(2);
    };
    let request = format!("GET /{target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: paced\r\n\r\n");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let per_conn = Duration::from_secs_f64(f64::from(conns) / rate);
    let (mut latencies, errors) = rt.block_on(async {
        let start = Instant::now() + Duration::from_millis(100);
        let end = start + Duration::from_secs_f64(secs);
        let mut tasks = Vec::new();
        for i in 0..conns {
            let (host, request) = (host.to_owned(), request.clone());
            // Connections start staggered, so the requests are spread evenly in time.
            let first = start + per_conn.mul_f64(f64::from(i) / f64::from(conns));
            tasks.push(tokio::spawn(async move { one_connection(&host, &request, first, per_conn, end).await }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.unwrap_or_default();
            all.extend(l);
            errors += e;
        }
        (all, errors)
    });
    latencies.sort_unstable();
    let at =
        |per_mille: usize| latencies.get((latencies.len() * per_mille / 1000).min(latencies.len().saturating_sub(1)));
    let us = |d: Option<&Duration>| d.map_or(0, Duration::as_micros);
    println!(
        "sent {} p50_us {} p90_us {} p99_us {} max_us {} errors {errors}",
        latencies.len(),
        us(at(500)),
        us(at(900)),
        us(at(990)),
        us(latencies.last())
    );
}

/// Sends one GET every `every` from `first` until `end` on one connection, reading each
/// answer in full; returns each request's latency from its due time, and the failures.
async fn one_connection(
    host: &str,
    request: &str,
    first: Instant,
    every: Duration,
    end: Instant,
) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let Ok(mut conn) = TcpStream::connect(host).await else { return (latencies, 1) };
    let _ = conn.set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    let mut due = first;
    while due < end {
        tokio::time::sleep_until(due.into()).await;
        if conn.write_all(request.as_bytes()).await.is_err() || !read_answer(&mut conn, &mut buf).await {
            return (latencies, 1);
        }
        latencies.push(due.elapsed());
        due += every;
    }
    (latencies, 0)
}

/// Reads one response with a Content-Length body; false unless it is a complete 200.
async fn read_answer(conn: &mut TcpStream, buf: &mut [u8]) -> bool {
    let mut have = 0;
    loop {
        let Some(space) = buf.get_mut(have..) else { return false };
        match conn.read(space).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => have += n,
        }
        let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while have < end + 4 + length {
            let Some(space) = buf.get_mut(have..) else { return false };
            match conn.read(space).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => have += n,
            }
        }
        return head.starts_with("http/1.1 200");
    }
}

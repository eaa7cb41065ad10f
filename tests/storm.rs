//! A malformed-request storm: 2,400 requests mutated from valid ones (presigned SigV4 and
//! SigV4a URLs, header-signed and aws-chunked uploads) with a fixed seed, sent raw on
//! sockets. Bad escapes, duplicated and missing parameters, absurd numbers and dates, huge
//! values, invalid UTF-8, stray bytes, bad Content-Length and Transfer-Encoding, bogus
//! Range, odd methods and versions. No answer may be a 5xx; the gate must not panic, must
//! keep serving, and the object the storm circles must be unchanged.

// The generator truncates its random numbers on purpose.
#![allow(clippy::cast_possible_truncation)]

mod support;

use std::time::Duration;

use base64::Engine as _;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::{Signer, SigningKeyCache};
use outpost_gate::time::UnixTime;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SEED: u64 = 0x5EED_2026_1130;
const REQUESTS: usize = 2_400;
const VALID_BODY: &[u8] = b"the object the storm must not touch";

/// xorshift64: small, fixed, reproducible from `SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One HTTP/1.1 request, kept in parts so that mutations can aim at each.
#[derive(Clone)]
struct Raw {
    method: Vec<u8>,
    path: Vec<u8>,
    query: Vec<(Vec<u8>, Vec<u8>)>,
    version: Vec<u8>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
}

impl Raw {
    fn from_url(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let target = path_and_query(url);
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.as_bytes().to_vec(), v.as_bytes().to_vec())
            })
            .collect();
        let mut all: Vec<(Vec<u8>, Vec<u8>)> =
            headers.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) && !body.is_empty() {
            all.push((b"Content-Length".to_vec(), body.len().to_string().into_bytes()));
        }
        Raw {
            method: method.as_bytes().to_vec(),
            path: path.as_bytes().to_vec(),
            query,
            version: b"HTTP/1.1".to_vec(),
            headers: all,
            body: body.to_vec(),
        }
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let mut out = self.method.clone();
        out.push(b' ');
        out.extend_from_slice(&self.path);
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { b'?' } else { b'&' });
            out.extend_from_slice(k);
            if !v.is_empty() {
                out.push(b'=');
                out.extend_from_slice(v);
            }
        }
        out.push(b' ');
        out.extend_from_slice(&self.version);
        out.extend_from_slice(b"\r\n");
        if !self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(b"host")) {
            out.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
        }
        for (k, v) in &self.headers {
            out.extend_from_slice(k);
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    fn header_mut(&mut self, name: &str) -> Option<&mut Vec<u8>> {
        self.headers.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v)
    }

    fn set_header(&mut self, name: &str, value: &[u8]) {
        match self.header_mut(name) {
            Some(v) => *v = value.to_vec(),
            None => self.headers.push((name.as_bytes().to_vec(), value.to_vec())),
        }
    }
}

const ABSURD_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "604801",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e9",
    "+60",
    " 60",
    "60 ",
    "0x3c",
    "６０",
    "NaN",
    "",
    "%00",
    "3.5",
];
const ABSURD_DATES: &[&str] = &[
    "99991231T235959Z",
    "00000101T000000Z",
    "20261301T000000Z",
    "20260230T000000Z",
    "20261130T246060Z",
    "20261130T235960Z",
    "2026-11-30T00:00:00Z",
    "20261130",
    "T000000Z",
    "",
    "%FF%FE",
    "19700101T000000Z",
    "21061130T000000Z",
];
const RANGES: &[&str] = &[
    "bytes=9-1",
    "bytes=-",
    "bytes=a-b",
    "bytes=0-0,1-1,2-2",
    "items=0-1",
    "bytes=99999999999999999999-",
    "bytes=-0",
    "bytes=0-",
    "bytes= 1-2",
    "bytes=1-2-3",
    "",
];
const CONTENT_LENGTHS: &[&str] = &["-1", "abc", "1 1", "99999999999999999999", "", "+5", "0x10", "5, 6", "１"];
const TRANSFER_ENCODINGS: &[&str] =
    &["chunked", "gzip", "chunked, chunked", "identity", "gzip, chunked", "chunked ", "x"];
const METHODS: &[&str] =
    &["get", "PUTT", "DELETE", "POST", "OPTIONS", "CONNECT", "TRACE", "PATCH", "", "G\x00T", "HEAD"];
const VERSIONS: &[&str] = &["HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "HTTP/0.9", "HTTP/9.9", "http/1.1", ""];
const ESCAPES: &[&str] = &["%", "%G1", "%0", "%zz", "%00", "%FF", "%C0%AF", "%E2%82", "%2F", "%2e%2e", "%%", "%u0041"];
const STRAY: &[u8] = &[0, b'\r', b'\n', b' ', b'\t', b':', b'?', b'#', b'%', 0x7f, 0x80, 0xff, b'"', b'\\'];

fn mutate(raw: &mut Raw, rng: &mut Rng) {
    match rng.below(16) {
        // A bad escape in a query value or the path.
        0 => {
            let escape = rng.pick(ESCAPES).as_bytes().to_vec();
            if rng.below(2) == 0 && !raw.query.is_empty() {
                let i = rng.below(raw.query.len());
                let at = rng.below(raw.query[i].1.len() + 1);
                raw.query[i].1.splice(at..at, escape);
            } else {
                let at = 1 + rng.below(raw.path.len());
                raw.path.splice(at.min(raw.path.len())..at.min(raw.path.len()), escape);
            }
        }
        // A parameter duplicated (same or other value) or dropped.
        1 if !raw.query.is_empty() => {
            let i = rng.below(raw.query.len());
            let mut twin = raw.query[i].clone();
            if rng.below(2) == 0 {
                twin.1.push(b'0');
            }
            raw.query.push(twin);
        }
        2 if !raw.query.is_empty() => {
            let i = rng.below(raw.query.len());
            raw.query.remove(i);
        }
        // Absurd numbers and dates where numbers and dates go.
        3 => {
            let (name, value) = if rng.below(2) == 0 {
                ("X-Amz-Expires", *rng.pick(ABSURD_NUMBERS))
            } else {
                ("X-Amz-Date", *rng.pick(ABSURD_DATES))
            };
            match raw.query.iter_mut().find(|(k, _)| k == name.as_bytes()) {
                Some((_, v)) => *v = value.as_bytes().to_vec(),
                None => raw.set_header(&name.to_ascii_lowercase(), value.as_bytes()),
            }
        }
        // A huge value: a parameter, a header, or the path.
        4 => {
            let size = *rng.pick(&[1_000, 9_000, 70_000, 300_000]);
            let filler = vec![b"aZ9-_.~"[rng.below(7)]; size];
            match rng.below(3) {
                0 if !raw.query.is_empty() => {
                    let i = rng.below(raw.query.len());
                    raw.query[i].1 = filler;
                }
                1 => raw.headers.push((b"x-amz-meta-huge".to_vec(), filler)),
                _ => raw.path.extend_from_slice(&filler),
            }
        }
        // Invalid UTF-8, raw or escaped, in the path, a value or a header.
        5 => {
            let options: [&[u8]; 6] = [b"\xff\xfe", b"\xc3\x28", b"%C3%28", b"\xed\xa0\x80", b"%ED%A0%80", b"\xf8\x88"];
            let bad = *rng.pick(&options);
            match rng.below(3) {
                0 => raw.path.extend_from_slice(bad),
                1 if !raw.query.is_empty() => {
                    let i = rng.below(raw.query.len());
                    raw.query[i].1.extend_from_slice(bad);
                }
                _ => raw.headers.push((b"x-amz-meta-bad".to_vec(), bad.to_vec())),
            }
        }
        // Content-Length that lies or does not parse, or two of them.
        6 => {
            let value = match rng.below(4) {
                0 => (raw.body.len() + 1 + rng.below(100)).to_string(),
                1 => raw.body.len().saturating_sub(1 + rng.below(3)).to_string(),
                _ => (*rng.pick(CONTENT_LENGTHS)).to_owned(),
            };
            if rng.below(3) == 0 {
                raw.headers.push((b"Content-Length".to_vec(), value.into_bytes()));
            } else {
                raw.set_header("content-length", value.as_bytes());
            }
        }
        // Transfer-Encoding, with or without a Content-Length beside it, over a body that
        // may or may not be chunked.
        7 => {
            raw.set_header("transfer-encoding", rng.pick(TRANSFER_ENCODINGS).as_bytes());
            match rng.below(3) {
                0 => raw.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(b"content-length")),
                1 => {
                    let size = rng.pick(&["5", "zz", "-1", "ffffffffffffffffff", "5;x=y", ""]).to_owned();
                    raw.body = format!("{size}\r\nhello\r\n0\r\n\r\n").into_bytes();
                    raw.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(b"content-length"));
                }
                _ => {}
            }
        }
        8 => raw.set_header("range", rng.pick(RANGES).as_bytes()),
        9 => raw.method = rng.pick(METHODS).as_bytes().to_vec(),
        10 => raw.version = rng.pick(VERSIONS).as_bytes().to_vec(),
        // The Host header missing, doubled or strange.
        11 => match rng.below(3) {
            0 => raw.headers.push((b"Host".to_vec(), b"other.example:1".to_vec())),
            1 => {
                let options: [&[u8]; 7] = [b"", b"\xff", b"a b", b"[::1", b"host:99999", b"..", b"-.-"];
                let host: &[u8] = options[rng.below(options.len())];
                raw.set_header("host", host);
            }
            _ => raw.headers.push((b"Host".to_vec(), b"localhost".to_vec())),
        },
        // A byte flipped in the Authorization header, the signature or a signed header.
        12 => {
            let victim: Option<&mut Vec<u8>> = if let Some(a) = raw.header_mut("authorization") {
                Some(a)
            } else {
                raw.query.iter_mut().find(|(k, _)| k.starts_with(b"X-Amz-Sig")).map(|(_, v)| v)
            };
            if let Some(v) = victim.filter(|v| !v.is_empty()) {
                let at = rng.below(v.len());
                v[at] = *rng.pick(&[b',', b'=', b' ', b'/', b'0', b'Z', 0xff]);
            }
        }
        // The payload claims: a content hash, checksums, aws-chunked framing.
        13 => {
            let (name, value): (&str, &[u8]) = *rng.pick(&[
                ("x-amz-content-sha256", &b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD"[..]),
                ("x-amz-content-sha256", b"STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                ("x-amz-content-sha256", b"00"),
                ("x-amz-content-sha256", b"UNSIGNED-PAYLOAD"),
                ("x-amz-decoded-content-length", b"-5"),
                ("x-amz-decoded-content-length", b"18446744073709551615"),
                ("content-encoding", b"aws-chunked"),
                ("x-amz-trailer", b"x-amz-checksum-crc32, x-amz-checksum-sha1"),
                ("x-amz-checksum-crc32", b"!!!!"),
                ("content-md5", b"not base64"),
                ("expect", b"100-continue"),
                ("expect", b"200-ok"),
            ]);
            raw.set_header(name, value);
        }
        // The body cut short or grown past its length.
        14 => {
            if rng.below(2) == 0 {
                let keep = rng.below(raw.body.len() + 1);
                raw.body.truncate(keep);
            } else {
                raw.body.extend(std::iter::repeat_n(b'x', 1 + rng.below(64)));
            }
        }
        // A path made strange: dot segments, doubled slashes, a backslash.
        _ => {
            let options: [&[u8]; 7] = [b"/..", b"//", b"/./", b"\\", b"/%2e%2e/", b";", b"#frag"];
            let piece = *rng.pick(&options);
            let at = rng.below(raw.path.len() + 1);
            raw.path.splice(at..at, piece.iter().copied());
        }
    }
}

/// A stray byte inserted into or replacing one in the request as it goes on the wire.
fn stray(bytes: &mut Vec<u8>, rng: &mut Rng) {
    let at = rng.below(bytes.len());
    let b = *rng.pick(STRAY);
    if rng.below(2) == 0 {
        bytes.insert(at, b);
    } else {
        bytes[at] = b;
    }
}

/// The valid requests the storm starts from, freshly signed.
fn originals(gate: &Gate, round: usize) -> Vec<Raw> {
    let secret = SecretKey::new(SK);
    let signer = Signer { access_key_id: AK, secret: &secret, region: REGION, service: "s3" };
    let now = UnixTime::now();
    let host = gate.addr.as_str();
    let valid = format!("/{BUCKET}/storm/valid");
    let mut out = vec![
        Raw::from_url("GET", &signer.presign_url("GET", "http", host, &valid, &[], 600, None, now), &[], b""),
        Raw::from_url("HEAD", &signer.presign_url("HEAD", "http", host, &valid, &[], 600, None, now), &[], b""),
        Raw::from_url(
            "GET",
            &signer.presign_url(
                "GET",
                "http",
                host,
                &format!("/{BUCKET}"),
                &[("list-type", "2"), ("prefix", "storm/")],
                600,
                None,
                now,
            ),
            &[],
            b"",
        ),
        Raw::from_url("GET", &signer.presign_url_v4a("GET", "http", host, &valid, &[], "*", 600, None, now), &[], b""),
    ];
    let put_path = format!("/{BUCKET}/storm/put-{round}");
    out.push(Raw::from_url(
        "PUT",
        &signer.presign_url("PUT", "http", host, &put_path, &[], 600, None, now),
        &[],
        b"a presigned upload",
    ));
    // Header-signed: UNSIGNED-PAYLOAD, and aws-chunked with a CRC32 trailer.
    for chunked in [false, true] {
        let body: Vec<u8> = if chunked {
            let crc = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(b"hello").to_be_bytes());
            format!("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").into_bytes()
        } else {
            b"hello".to_vec()
        };
        let mut headers = http::HeaderMap::new();
        let hash = if chunked {
            headers.insert("content-encoding", "aws-chunked".parse().unwrap());
            headers.insert("x-amz-decoded-content-length", "5".parse().unwrap());
            headers.insert("x-amz-trailer", "x-amz-checksum-crc32".parse().unwrap());
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        } else {
            "UNSIGNED-PAYLOAD"
        };
        let path = format!("/{BUCKET}/storm/header-{round}-{chunked}");
        signer.sign_headers_for("PUT", &path, "", host, &mut headers, hash, now, &SigningKeyCache::default());
        let pairs: Vec<(String, String)> =
            headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        out.push(Raw::from_url("PUT", &gate.url(&path), &pairs, &body));
    }
    out
}

/// Sends `bytes` and returns the status of the answer (0 when the gate closed without
/// one, or had said nothing within the time allowed).
async fn send(addr: String, bytes: Vec<u8>) -> u16 {
    let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else { return 0 };
    let _ = stream.write_all(&bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(4), stream.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    // The final answer's status: past any interim `100 Continue`.
    let mut rest = text.as_str();
    loop {
        if !rest.starts_with("HTTP/1.") {
            return 0;
        }
        let status = status_of(rest);
        match rest.find("\r\n\r\n") {
            Some(end) if (100..200).contains(&status) => rest = &rest[end + 4..],
            _ => return status,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_malformed_requests_gets_no_5xx_and_changes_nothing() {
    let gate = Gate::start();
    let valid = gate.presign("PUT", "storm/valid", 60, UnixTime::now());
    assert_eq!(http().put(&valid).body(VALID_BODY).send().await.unwrap().status(), 200);

    let mut rng = Rng(SEED);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut server_errors = Vec::new();
    // In rounds, each freshly signed.
    let per_round = 240;
    for round in 0..REQUESTS / per_round {
        let originals = originals(&gate, round);
        let mut batch = Vec::with_capacity(per_round);
        for _ in 0..per_round {
            let mut raw = rng.pick(&originals).clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut raw, &mut rng);
            }
            let mut bytes = raw.bytes(&gate.addr);
            if rng.below(8) == 0 {
                stray(&mut bytes, &mut rng);
            }
            batch.push(bytes);
        }
        // At most 48 in flight; a slow one (a body promised and never sent) holds one slot.
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(48));
        let tasks: Vec<_> = batch
            .iter()
            .map(|b| {
                let (addr, bytes, slots) = (gate.addr.clone(), b.clone(), std::sync::Arc::clone(&slots));
                tokio::spawn(async move {
                    let _slot = slots.acquire_owned().await.unwrap();
                    send(addr, bytes).await
                })
            })
            .collect();
        for (bytes, task) in batch.iter().zip(tasks) {
            let status = task.await.unwrap();
            *statuses.entry(status).or_default() += 1;
            if status >= 500 {
                server_errors.push(String::from_utf8_lossy(&bytes[..bytes.len().min(600)]).into_owned());
            }
        }
    }
    eprintln!("storm of {REQUESTS} (seed {SEED:#x}): answers by status {statuses:?}");
    assert!(
        server_errors.is_empty(),
        "{} answers were 5xx, such as:\n{:#?}",
        server_errors.len(),
        &server_errors[..server_errors.len().min(5)]
    );
    // The storm reached the parsers and the store: most answers are 4xx, some succeed.
    let client_errors: usize = statuses.range(400..500).map(|(_, n)| n).sum();
    let successes: usize = statuses.range(200..300).map(|(_, n)| n).sum();
    assert!(client_errors > REQUESTS / 2, "{statuses:?}");
    assert!(successes > 20, "{statuses:?}");

    // Alive, unharmed, and still serving valid URLs.
    let mut gate = gate;
    assert!(gate.child.try_wait().unwrap().is_none(), "the gate exited");
    assert_eq!(http().get(gate.url("/_gate/healthz")).send().await.unwrap().status(), 200);
    let r = http().get(gate.presign("GET", "storm/valid", 60, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), VALID_BODY);
    let log = gate.log();
    assert!(!log.contains("panicked"), "{}", &log[log.find("panicked").unwrap_or(0).saturating_sub(2000)..]);
}

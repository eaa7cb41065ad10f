//! Every row of INTERFACE.md's error table, with status, code and message, and the bad
//! input that must get a 4xx (never a 5xx, never a panic) from the real gate.

// Test-data generators truncate on purpose.
#![allow(clippy::cast_possible_truncation)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use outpost_gate::time::UnixTime;
use support::*;

struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn code(&self) -> &str {
        self.element("Code").unwrap_or("")
    }

    fn element(&self, name: &str) -> Option<&str> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))? + start;
        Some(&self.body[start..end])
    }

    fn assert(&self, status: u16, code: &str, message: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.body);
        assert!(self.element("Message").unwrap_or("").starts_with(message), "{}", self.body);
        assert!(self.element("RequestId").is_some_and(|r| r.len() == 16), "{}", self.body);
    }
}

async fn get(url: &str) -> Answer {
    let r = http().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let body = r.text().await.unwrap();
    if status >= 400 {
        assert_eq!(ct.as_deref(), Some("application/xml"), "{body}");
    }
    Answer { status, body }
}

fn now() -> UnixTime {
    UnixTime::now()
}

/// `url` with one query parameter's raw value replaced (or removed with `None`).
fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let parts: Vec<String> = query
        .split('&')
        .filter_map(|p| match p.split_once('=') {
            Some((k, _)) if k == name => value.map(|v| format!("{k}={v}")),
            _ => Some(p.to_owned()),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

#[tokio::test]
async fn authorization_query_parameters_errors() {
    let gate = Gate::start();
    let url = gate.presign("GET", "k", 60, now());
    let missing = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    for p in
        ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]
    {
        get(&with_param(&url, p, None)).await.assert(400, "AuthorizationQueryParametersError", missing);
    }
    let cases = [
        ("X-Amz-Expires", "ten", "X-Amz-Expires should be a number"),
        ("X-Amz-Expires", "0", "X-Amz-Expires must be greater than 0"),
        ("X-Amz-Expires", "-5", "X-Amz-Expires must be non-negative"),
        (
            "X-Amz-Expires",
            "604801",
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        ),
        ("X-Amz-Expires", "18446744073709551616000", "X-Amz-Expires must be less than a week"),
        (
            "X-Amz-Credential",
            "AKIAIOSFODNN7EXAMPLE",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed",
        ),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA512", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""),
        ("X-Amz-Date", "20991399T999999Z", "X-Amz-Date must be in the ISO8601 Long Format"),
        ("X-Amz-Date", "0", "X-Amz-Date must be in the ISO8601 Long Format"),
    ];
    for (p, v, msg) in cases {
        get(&with_param(&url, p, Some(v))).await.assert(400, "AuthorizationQueryParametersError", msg);
    }
    let date = now().amz().to_string();
    let wrong_region = format!("{AK}%2F{}%2Fus-west-2%2Fs3%2Faws4_request", &date[..8]);
    let a = get(&with_param(&url, "X-Amz-Credential", Some(&wrong_region))).await;
    a.assert(
        400,
        "AuthorizationQueryParametersError",
        "Error parsing the X-Amz-Credential parameter; the region 'us-west-2' is wrong; expecting 'us-east-1'",
    );
    assert_eq!(a.element("Region"), Some("us-east-1"));
    // Each parameter exactly once.
    get(&format!("{url}&X-Amz-Expires=60")).await.assert(
        400,
        "AuthorizationQueryParametersError",
        "X-Amz-Expires must appear only once",
    );
}

#[tokio::test]
async fn signature_does_not_match() {
    let gate = Gate::start();
    let url = gate.presign("GET", "k", 60, now());
    let sig = url.rsplit_once("X-Amz-Signature=").unwrap().1.to_owned();
    let bad = format!("{}{}", &url[..url.len() - 1], if url.ends_with('0') { '1' } else { '0' });
    let a = get(&bad).await;
    a.assert(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    assert_eq!(a.element("AWSAccessKeyId"), Some(AK));
    assert!(a.element("StringToSign").unwrap().starts_with("AWS4-HMAC-SHA256\n"));
    assert!(a.element("CanonicalRequest").unwrap().starts_with(&format!("GET\n/{BUCKET}/k\n")));
    assert!(!a.body.contains(&sig[..60]), "the provided signature is never echoed");
    // Signed with the wrong secret.
    let wrong = gate.presign_as(AK, "not-the-secret", "GET", "k", 60, now());
    get(&wrong).await.assert(403, "SignatureDoesNotMatch", "The request signature we calculated");
}

#[tokio::test]
async fn invalid_access_key_id() {
    let gate = Gate::start();
    let a = get(&gate.presign_as("AKIAUNKNOWN000000000", SK, "GET", "k", 60, now())).await;
    a.assert(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    assert_eq!(a.element("AWSAccessKeyId"), Some("AKIAUNKNOWN000000000"));
}

#[tokio::test]
async fn expired_and_not_yet_valid() {
    let gate = Gate::start();
    let signed = UnixTime(now().0 - 120);
    let a = get(&gate.presign("GET", "k", 60, signed)).await;
    a.assert(403, "AccessDenied", "Request has expired");
    assert_eq!(a.element("X-Amz-Expires"), Some("60"));
    assert_eq!(a.element("Expires"), Some(UnixTime(signed.0 + 60).iso8601().to_string().as_str()));
    assert!(a.element("ServerTime").is_some());

    let future = UnixTime(now().0 + 3600);
    get(&gate.presign("GET", "k", 60, future)).await.assert(403, "AccessDenied", "Request is not yet valid");
    // Within the skew (900 s) a future date is fine: the object is simply missing.
    let near = UnixTime(now().0 + 600);
    assert_eq!(get(&gate.presign("GET", "k", 60, near)).await.code(), "NoSuchKey");
}

#[tokio::test]
async fn session_token_on_a_permanent_key_is_invalid() {
    let gate = Gate::start();
    let url = gate.presign("GET", "k", 60, now());
    let secret = outpost_gate::secret::SecretKey::new(SK);
    let signer = outpost_gate::sigv4::Signer { access_key_id: AK, secret: &secret, region: REGION, service: "s3" };
    let with_token = signer.presign_url(
        "GET",
        "http",
        &gate.addr,
        &format!("/{BUCKET}/k"),
        &[],
        60,
        Some("FQoGZXIvYXdzEJr//////////wEaDM"),
        now(),
    );
    let a = get(&with_token).await;
    a.assert(400, "InvalidToken", "The provided token is malformed or otherwise invalid.");
    assert!(!a.body.contains("FQoGZXIvYXdz"));
    assert_eq!(get(&url).await.code(), "NoSuchKey");
}

#[tokio::test]
async fn policy_denials() {
    let gate = Gate::start_with(Setup {
        bucket_policy: Some(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3-outposts:GetObject","Resource":"arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/bucket/{BUCKET}/object/secret/*"}}]}}"#
        )),
        ..Setup::default()
    });
    get(&gate.presign("GET", "secret/plans", 60, now())).await.assert(403, "AccessDenied", "Access Denied");
    assert_eq!(get(&gate.presign("GET", "public/plans", 60, now())).await.code(), "NoSuchKey");
    // A user whose identity policy denies everything.
    get(&gate.presign_as(NOBODY_AK, NOBODY_SK, "GET", "public/plans", 60, now())).await.assert(
        403,
        "AccessDenied",
        "Access Denied",
    );
    // The debug log says which statement decided; the body does not.
    let log = gate.log();
    assert!(log.contains("read bucket policy policies/bucket.json"), "{log}");
    assert!(log.contains("Deny: bucket policy statement \"NoSecrets\""), "{log}");
    assert!(log.contains("Deny: identity policy statement Statement[0]"), "{log}");
}

#[tokio::test]
async fn no_such_bucket_or_access_point() {
    let gate = Gate::start();
    let a = get(&gate.url("/no-such-bucket/k")).await;
    a.assert(404, "NoSuchBucket", "The specified bucket does not exist");
    assert_eq!(a.element("BucketName"), Some("no-such-bucket"));
    let r = http()
        .get(gate.url("/k"))
        .header("host", format!("nope-{ACCOUNT}.{OUTPOST}.{AP_HOST_SUFFIX}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Code>NoSuchBucket</Code>") && body.contains("<BucketName>nope</BucketName>"), "{body}");
}

#[tokio::test]
async fn store_unreachable_is_503_service_unavailable() {
    // Nothing listens there, and no parallel test can take the port meanwhile.
    let (held, port) = support::refused_port();
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\naccess_key_id = \"STOREKEY\"\nsecret_access_key = \"STORE-SECRET-never-leaves\"\n"
        )),
        ..Setup::default()
    });
    let a = get(&gate.presign("GET", "k", 60, now())).await;
    a.assert(503, "ServiceUnavailable", "Service is unable to handle request.");
    assert!(!gate.log().contains("STORE-SECRET-never-leaves"));
    drop(held);
}

#[tokio::test]
async fn headers_the_signature_must_cover() {
    let gate = Gate::start();
    let url = gate.presign("PUT", "k", 60, now());
    let r = http()
        .put(&url)
        .header("x-amz-acl", "public-read")
        .header("x-amz-tagging", "a=b")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Message>There were headers present in the request which were not signed</Message>"));
    assert!(
        body.contains("<HeadersNotSigned>") && body.contains("x-amz-acl") && body.contains("x-amz-tagging"),
        "{body}"
    );
    // x-amz-content-sha256 may ride along unsigned, as S3 allows.
    let r = http().put(&url).header("x-amz-content-sha256", "UNSIGNED-PAYLOAD").body("x").send().await.unwrap();
    assert_eq!(r.status(), 200);
    // host missing from X-Amz-SignedHeaders.
    let a = get(&with_param(&gate.presign("GET", "k", 60, now()), "X-Amz-SignedHeaders", Some("range"))).await;
    a.assert(403, "AccessDenied", "There were headers present in the request which were not signed");
    assert_eq!(a.element("HeadersNotSigned"), Some("host"));
}

#[tokio::test]
async fn anonymous_and_sigv2_requests() {
    let gate = Gate::start();
    get(&gate.url(&format!("/{BUCKET}/k"))).await.assert(403, "AccessDenied", "Access Denied");
    get(&gate.url(&format!("/{BUCKET}/k?AWSAccessKeyId={AK}&Expires=9999999999&Signature=abc"))).await.assert(
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported",
    );
    // HEAD errors carry the status and no body, as S3's.
    let r = http().head(gate.url(&format!("/{BUCKET}/k"))).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn unsupported_operations_are_405_not_forwarded() {
    let gate = Gate::start();
    let a = get(&gate.url(&format!("/{BUCKET}?acl"))).await;
    a.assert(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    assert_eq!(a.element("ResourceType"), Some("BUCKET"));
    get(&gate.url("/")).await.assert(405, "MethodNotAllowed", "The specified method");
}

fn raw_request(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    // A request past what the gate buffers may be cut off while it is still being written
    // (the gate answers and closes): what it answered is still there to read.
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn bad_input_gets_4xx_and_never_5xx() {
    let gate = Gate::start();
    let url = gate.presign("GET", "k", 60, now());
    let (base, query) = url.split_once('?').unwrap();
    // Past the URL limit, within what hyper buffers (twice max_header_bytes, at least 32 KiB);
    // past that hyper itself answers 431 (the raw cases below).
    let huge = "a".repeat(20_000);
    let cases: Vec<(String, u16, &str)> = vec![
        (format!("{base}?{query}&x=%zz"), 400, "InvalidURI"),
        (format!("{base}?{query}&%=1"), 400, "InvalidURI"),
        (gate.url(&format!("/{BUCKET}/%FF%FE?{query}")), 400, "InvalidURI"),
        (gate.url(&format!("/{BUCKET}/%E1%88?{query}")), 400, "InvalidURI"),
        (gate.url(&format!("/{BUCKET}/a%2?{query}")), 400, "InvalidURI"),
        (format!("{base}?{query}&X-Amz-Signature=00"), 400, "AuthorizationQueryParametersError"),
        (
            format!("{base}?{query}&X-Amz-Security-Token=a&X-Amz-Security-Token=b"),
            400,
            "AuthorizationQueryParametersError",
        ),
        (with_param(&url, "X-Amz-Date", Some("%FF%FE%FD")), 400, "AuthorizationQueryParametersError"),
        (with_param(&url, "X-Amz-Date", Some("99991231T235959Z")), 400, "AuthorizationQueryParametersError"),
        (with_param(&url, "X-Amz-Date", Some("00000101T000000Z")), 400, "AuthorizationQueryParametersError"),
        (with_param(&url, "X-Amz-Credential", Some("%2F%2F%2F%2F")), 400, "AuthorizationQueryParametersError"),
        (with_param(&url, "X-Amz-SignedHeaders", Some("")), 403, "AccessDenied"),
        // Past server.max_url_bytes (8 KiB by default).
        (format!("{base}?{query}&junk={huge}"), 400, "RequestHeaderSectionTooLarge"),
    ];
    for (u, status, code) in cases {
        let a = get(&u).await;
        assert_eq!((a.status, a.code()), (status, code), "{}: {}", &u[..u.len().min(200)], a.body);
    }

    // Below what a URL parser accepts: raw bytes, an absurd request line, a huge one.
    let raw_cases: Vec<Vec<u8>> = vec![
        b"GET /example-outpost-bucket/\xff\xfe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET example-outpost-bucket HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /x HTTP/1.1\r\nHost: \xff\r\nConnection: close\r\n\r\n".to_vec(),
        format!("GET /{BUCKET}/k?{} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "q".repeat(2_000_000))
            .into_bytes(),
        b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(),
    ];
    for req in raw_cases {
        let resp = raw_request(&gate.addr, &req);
        let status = status_of(&resp);
        assert!(
            resp.is_empty() || (400..500).contains(&status),
            "{:?} -> {}",
            String::from_utf8_lossy(&req[..60.min(req.len())]),
            &resp[..resp.len().min(300)]
        );
    }

    // Still serving.
    assert_eq!(http().get(gate.url("/_gate/healthz")).send().await.unwrap().status(), 200);
    let log = gate.log();
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn random_queries_never_5xx() {
    let gate = Gate::start();
    let url = gate.presign("GET", "k", 60, now());
    let (base, query) = url.split_once('?').unwrap();
    let pieces: Vec<&str> = query.split('&').collect();
    // A small deterministic generator: mutate, drop, duplicate and reorder parameters.
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"%0Fz&=+/ -_.~X";
    for _ in 0..300 {
        let mut ps: Vec<String> = pieces.iter().map(|s| (*s).to_owned()).collect();
        for _ in 0..(next() % 4) {
            let i = (next() as usize) % ps.len();
            match next() % 4 {
                0 => {
                    ps.remove(i);
                    if ps.is_empty() {
                        ps.push("a".into());
                    }
                }
                1 => {
                    let dup = ps[i].clone();
                    ps.push(dup);
                }
                2 => {
                    let mut bytes = ps[i].clone().into_bytes();
                    let j = (next() as usize) % bytes.len().max(1);
                    if !bytes.is_empty() {
                        bytes[j] = alphabet[(next() as usize) % alphabet.len()];
                    }
                    ps[i] = String::from_utf8(bytes).unwrap();
                }
                _ => {
                    let j = (next() as usize) % ps.len();
                    ps.swap(i, j);
                }
            }
        }
        let u = format!("{base}?{}", ps.join("&"));
        let r = http().get(&u).send().await.unwrap();
        assert!(r.status().as_u16() < 500, "{u} -> {}", r.status());
    }
}

#[tokio::test]
async fn logs_hold_no_secret_signature_or_token() {
    let gate = Gate::start();
    let mut signatures = Vec::new();
    for i in 0..5 {
        let url = gate.presign("PUT", &format!("k{i}"), 60, now());
        signatures.push(url.rsplit_once("X-Amz-Signature=").unwrap().1.to_owned());
        assert_eq!(http().put(&url).body("x").send().await.unwrap().status(), 200);
        let bad = url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
        assert_eq!(http().put(&bad).body("x").send().await.unwrap().status(), 403);
    }
    let token = "SESSIONTOKENabcdef0123456789";
    let secret = outpost_gate::secret::SecretKey::new(SK);
    let signer = outpost_gate::sigv4::Signer { access_key_id: AK, secret: &secret, region: REGION, service: "s3" };
    let u = signer.presign_url("GET", "http", &gate.addr, &format!("/{BUCKET}/k0"), &[], 60, Some(token), now());
    assert_eq!(http().get(&u).send().await.unwrap().status(), 400);

    let log = gate.log();
    assert!(log.contains("s3-outposts:PutObject"), "the log is being written: {log}");
    assert!(!log.contains(SK));
    assert!(
        log.lines().any(|l| l.contains("status=403") && l.contains(AK)),
        "a refused request's line names the key id it claimed: {log}"
    );
    assert!(!log.contains(token));
    for s in &signatures {
        assert!(!log.contains(s.as_str()), "signature in log");
    }
    assert!(!log.contains("X-Amz-Signature"), "no raw query strings in the log");
}

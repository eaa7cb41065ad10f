//! SigV4a (`AWS4-ECDSA-P256-SHA256`) presigned URLs, as boto3 with awscrt (and so the AWS
//! CLI v2) makes them for S3 on Outposts access-point ARNs by default, sent to the gate
//! with the access point's host; session credentials; every refusal with S3's error; the
//! verified-signature cache never letting a different request through; policies on
//! `s3-outposts:signatureversion`; a download that outlives its SigV4a URL.

mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::Signer;
use outpost_gate::sigv4::encode::uri_encode;
use outpost_gate::time::UnixTime;
use serde_json::{Value, json};
use support::*;

const V4A: &str = "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256";

fn arn() -> String {
    format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}")
}

/// boto3 (with awscrt) presigning on the access-point ARN with its default signing.
fn crt_args(method: &str, key: &str, extra: &Value) -> Value {
    let mut v = json!({"method": method, "bucket": arn(), "key": key, "signing": "default", "expires": 300});
    if let (Some(obj), Some(more)) = (v.as_object_mut(), extra.as_object()) {
        obj.extend(more.clone());
    }
    v
}

/// The URL's path and query, to send to the gate with the access point's host.
fn target(url: &str) -> String {
    let t = path_and_query(url);
    assert!(url.contains(V4A), "boto3 with awscrt signs Outposts ARNs with SigV4a: {url}");
    t
}

async fn via_ap(gate: &Gate, method: &str, target: &str, body: &[u8]) -> (u16, String) {
    let host = ap_host();
    raw_request(gate, method, target, &[("host", host.as_str())], body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_crt_urls_for_every_method_and_awkward_keys() {
    let gate = Gate::start();
    let keys = ["plain.txt", "with space/and+plus=eq&amp%25pct.txt", "ünïcödé/ሴ/файл.bin", "p/it's (a) *star*!.txt"];
    for key in keys {
        let urls = boto3_presign_many(&[
            crt_args("put_object", key, &json!({})),
            crt_args("head_object", key, &json!({})),
            crt_args("get_object", key, &json!({})),
            crt_args("delete_object", key, &json!({})),
        ]);
        let body = format!("sigv4a body of {key}");
        let put = via_ap(&gate, "PUT", &target(&urls[0]), body.as_bytes()).await;
        assert_eq!(put.0, 200, "PUT {key}: {}", put.1);
        let head = via_ap(&gate, "HEAD", &target(&urls[1]), b"").await;
        assert_eq!(head.0, 200, "HEAD {key}");
        let get = via_ap(&gate, "GET", &target(&urls[2]), b"").await;
        assert_eq!((get.0, get.1.as_str()), (200, body.as_str()), "GET {key}");
        // A second fetch of the same URL (the cached verification) answers the same.
        let again = via_ap(&gate, "GET", &target(&urls[2]), b"").await;
        assert_eq!((again.0, again.1.as_str()), (200, body.as_str()), "GET again {key}");
        let delete = via_ap(&gate, "DELETE", &target(&urls[3]), b"").await;
        assert_eq!(delete.0, 204, "DELETE {key}: {}", delete.1);
        let gone = via_ap(&gate, "GET", &target(&urls[2]), b"").await;
        assert_eq!(gone.0, 404, "{key} after DELETE");
    }
    // The access line says which signature version each request used.
    let lines = gate.access_lines();
    assert!(lines.iter().any(|l| l.contains("signature_version=AWS4-ECDSA-P256-SHA256")), "{lines:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_credentials_sigv4a_url_works_and_dies_with_its_token() {
    let gate = Gate::start_with(Setup {
        extra_toml: "[sts]\nenabled = true\ntoken_key_file = \"sts.key\"\nmin_session_secs = 1\n".into(),
        ..Setup::default()
    });
    let creds =
        boto3_sts(&json!({"endpoint": gate.url(""), "call": "get_session_token", "params": {"DurationSeconds": 3}}));
    let creds = &creds["Credentials"];
    let session = json!({"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                         "session_token": creds["SessionToken"]});
    let urls = boto3_presign_many(&[
        crt_args("put_object", "sess.txt", &session),
        crt_args("get_object", "sess.txt", &session),
    ]);
    assert!(urls[1].contains("X-Amz-Security-Token="));
    let put = via_ap(&gate, "PUT", &target(&urls[0]), b"session data").await;
    assert_eq!(put.0, 200, "{}", put.1);
    let get = via_ap(&gate, "GET", &target(&urls[1]), b"").await;
    assert_eq!((get.0, get.1.as_str()), (200, "session data"));
    // The URL is valid for 300 s, its token for 3 s: the token decides.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let late = via_ap(&gate, "GET", &target(&urls[1]), b"").await;
    assert_eq!((late.0, xml_code(&late.1)), (400, "ExpiredToken"), "{}", late.1);
}

/// Replaces the value of `name` in a URL's query.
fn with_param(target: &str, name: &str, value: &str) -> String {
    let (path, query) = target.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|p| if p.starts_with(&format!("{name}=")) { format!("{name}={value}") } else { p.to_owned() })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_with_s3_errors_and_a_cache_that_admits_nothing_else() {
    let gate = Gate::start();
    let urls = boto3_presign_many(&[
        crt_args("put_object", "r/k.txt", &json!({})),
        crt_args("get_object", "r/k.txt", &json!({})),
    ]);
    assert_eq!(via_ap(&gate, "PUT", &target(&urls[0]), b"refusals").await.0, 200);
    let get = target(&urls[1]);
    // Verified once: now in the cache.
    assert_eq!(via_ap(&gate, "GET", &get, b"").await.0, 200);

    let signature = get.split("X-Amz-Signature=").nth(1).unwrap().to_owned();
    let mut flipped = signature.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    let mismatches = [
        get.replacen("/r/k.txt", "/r/k.txT", 1),
        get.replacen("/r/k.txt", "/r/k.tx", 1),
        with_param(&get, "X-Amz-Expires", "301"),
        with_param(&get, "X-Amz-Region-Set", "us-%2A"),
        format!("{get}&x-id=GetObject"),
        with_param(&get, "X-Amz-Signature", &flipped),
    ];
    for t in &mismatches {
        let answer = via_ap(&gate, "GET", t, b"").await;
        assert_eq!((answer.0, xml_code(&answer.1)), (403, "SignatureDoesNotMatch"), "{t}: {}", answer.1);
        assert!(!answer.1.contains("refusals"));
        assert!(answer.1.contains("<StringToSign>AWS4-ECDSA-P256-SHA256\n"), "{}", answer.1);
    }
    // The same bytes with another host are another request too.
    let other_host = format!("{AP}-{ACCOUNT}.{OUTPOST}.localhost");
    let answer = raw_request(&gate, "GET", &get, &[("host", other_host.as_str())], b"").await;
    assert_ne!(answer.0, 200, "{}", answer.1);

    let malformed = [
        (with_param(&get, "X-Amz-Region-Set", "eu-%2A"), "does not include the region"),
        (with_param(&get, "X-Amz-Region-Set", "us_east"), "comma-separated list"),
        (with_param(&get, "X-Amz-Region-Set", ""), "comma-separated list"),
        (with_param(&get, "X-Amz-Algorithm", "AWS4-ECDSA-P384-SHA384"), "only supports"),
        (with_param(&get, "X-Amz-Signature", "3045"), "DER ECDSA P-256"),
        (with_param(&get, "X-Amz-Signature", "zz"), "DER ECDSA P-256"),
        (
            with_param(
                &get,
                "X-Amz-Credential",
                "AKIAIOSFODNN7EXAMPLE%2F20261130%2Fus-east-1%2Fs3-outposts%2Faws4_request",
            ),
            "mal-formed",
        ),
        (get.replacen("&X-Amz-Region-Set=%2A", "", 1), "X-Amz-Region-Set"),
    ];
    for (t, message) in &malformed {
        let answer = via_ap(&gate, "GET", t, b"").await;
        assert_eq!((answer.0, xml_code(&answer.1)), (400, "AuthorizationQueryParametersError"), "{t}: {}", answer.1);
        assert!(answer.1.contains(message), "{t}: {}", answer.1);
    }
    // Still served as signed.
    let answer = via_ap(&gate, "GET", &get, b"").await;
    assert_eq!((answer.0, answer.1.as_str()), (200, "refusals"));
}

/// The gate's own SigV4a signer, for URLs boto3 cannot make (signed in the past, short).
fn gate_v4a_url(gate: &Gate, method: &str, key: &str, region_set: &str, expires: u32, at: UnixTime) -> String {
    let secret = SecretKey::new(SK);
    let signer = Signer { access_key_id: AK, secret: &secret, region: REGION, service: "s3-outposts" };
    let path = format!("/{BUCKET}/{}", uri_encode(key.as_bytes(), true));
    signer.presign_url_v4a(method, "http", &gate.addr, &path, &[], region_set, expires, None, at)
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_and_the_region_set_as_for_sigv4() {
    let gate = Gate::start();
    let put = gate_v4a_url(&gate, "PUT", "e.txt", "us-*", 60, UnixTime::now());
    assert_eq!(http().put(&put).body("e").send().await.unwrap().status(), 200);
    let old = gate_v4a_url(&gate, "GET", "e.txt", "*", 60, UnixTime(UnixTime::now().0 - 120));
    let r = http().get(&old).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Message>Request has expired</Message><X-Amz-Expires>60</X-Amz-Expires>"), "{body}");
    let future = gate_v4a_url(&gate, "GET", "e.txt", "*", 60, UnixTime(UnixTime::now().0 + 3600));
    let r = http().get(&future).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Request is not yet valid"));
    // explain decides a SigV4a URL as serve does, and says which signature it was.
    let now_url = gate_v4a_url(&gate, "GET", "e.txt", "*", 60, UnixTime::now());
    let (code, text) = explain(&gate, &["--method", "GET", "--url", &now_url]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("presigned (AWS4-ECDSA-P256-SHA256)"), "{text}");
    let elsewhere = gate_v4a_url(&gate, "GET", "e.txt", "eu-west-1,ap-*", 60, UnixTime::now());
    let r = http().get(&elsewhere).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("the region set 'eu-west-1,ap-*' does not include the region 'us-east-1'"), "{body}");
    assert!(body.contains("<Region>us-east-1</Region>"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_on_signatureversion_decides_both_ways() {
    let deny_v4a = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3-outposts:*", "Resource": "*",
         "Condition": {"StringEquals": {"s3-outposts:signatureversion": "AWS4-ECDSA-P256-SHA256"}}}]});
    let gate = Gate::start_with(Setup { bucket_policy: Some(deny_v4a.to_string()), ..Setup::default() });
    let put = gate.presign("PUT", "sv.txt", 60, UnixTime::now());
    assert_eq!(http().put(put).body("sv").send().await.unwrap().status(), 200, "SigV4 is allowed");
    let v4a = gate_v4a_url(&gate, "GET", "sv.txt", "*", 60, UnixTime::now());
    let r = http().get(&v4a).send().await.unwrap();
    assert_eq!((r.status().as_u16(), xml_code(&r.text().await.unwrap()).to_owned()), (403, "AccessDenied".to_owned()));
    let v4 = gate.presign("GET", "sv.txt", 60, UnixTime::now());
    assert_eq!(http().get(v4).send().await.unwrap().status(), 200);

    // The other side: only SigV4a is allowed.
    let only_v4a = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3-outposts:GetObject", "Resource": "*",
         "Condition": {"StringNotEquals": {"s3-outposts:signatureversion": "AWS4-ECDSA-P256-SHA256"}}}]});
    let gate2 = Gate::start_with(Setup { bucket_policy: Some(only_v4a.to_string()), ..Setup::default() });
    let put = gate2.presign("PUT", "sv.txt", 60, UnixTime::now());
    assert_eq!(http().put(put).body("sv2").send().await.unwrap().status(), 200);
    let r = http().get(gate2.presign("GET", "sv.txt", 60, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = http().get(gate_v4a_url(&gate2, "GET", "sv.txt", "*", 60, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "sv2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_outlives_its_sigv4a_url() {
    let gate = Gate::start();
    let size = 32 * 1024 * 1024;
    let put = gate.presign("PUT", "long.bin", 60, UnixTime::now());
    assert_eq!(http().put(put).body(vec![5u8; size]).send().await.unwrap().status(), 200);
    let url = gate_v4a_url(&gate, "GET", "long.bin", "*", 2, UnixTime::now());
    let signed = Instant::now();
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    let (mut n, mut next_pause) = (0, 1024 * 1024);
    while let Some(chunk) = stream.next().await {
        n += chunk.expect("not cut when the URL expires").len();
        if n >= next_pause {
            // 32 pauses of 100 ms: the read takes well over the URL's two seconds.
            tokio::time::sleep(Duration::from_millis(100)).await;
            next_pause += 1024 * 1024;
        }
    }
    assert_eq!(n, size);
    assert!(signed.elapsed() > Duration::from_secs(3), "the read outlived the URL ({:?})", signed.elapsed());
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 403, "a new request after expiry is refused, cache or not");
}

#[test]
fn presign_sigv4a_from_the_command_line() {
    let gate = Gate::start();
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
            .args(["presign", "--config"])
            .arg(gate.dir.path().join("gate.toml"))
            .args([
                "--access-key-id",
                AK,
                "--method",
                "PUT",
                "--bucket",
                BUCKET,
                "--key",
                "cli.txt",
                "--host",
                &gate.addr,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--sigv4a", "--region-set", "us-east-1,eu-*"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(url.contains(V4A) && url.contains("X-Amz-Region-Set=us-east-1%2Ceu-%2A"), "{url}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async { http().put(&url).body("from the cli").send().await.unwrap().status() });
    assert_eq!(status, 200);
    let out = run(&["--sigv4a", "--region-set", "US EAST"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--region-set", "*"]);
    assert!(!out.status.success(), "--region-set needs --sigv4a");
}

/// The AWS SDK for Rust's SigV4a signer (aws-sigv4 with its `sigv4a` feature), configured as
/// its S3 client configures it for an Outposts access point.
fn rust_sdk_presign_v4a(method: &str, url: &str, host: &str) -> String {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{
        PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    use aws_sigv4::sign::v4a;

    let identity = Credentials::new(AK, SK, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_mins(1));
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = v4a::SigningParams::builder()
        .identity(&identity)
        .region_set("*")
        .name("s3-outposts")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let req = SignableRequest::new(method, url, [("host", host)].into_iter(), SignableBody::UnsignedPayload).unwrap();
    let (instructions, _) = sign(req, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method(method).uri(url).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    request.uri().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_sdk_for_rust_sigv4a_signer() {
    let gate = Gate::start();
    let host = ap_host();
    let url = format!("https://{host}/rust%20sdk/%E1%88%B4%2Bv4a");
    let put = rust_sdk_presign_v4a("PUT", &url, &host);
    let put = target(&put);
    let answer = via_ap(&gate, "PUT", &put, b"signed by aws-sigv4 v4a").await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let get = target(&rust_sdk_presign_v4a("GET", &url, &host));
    let answer = via_ap(&gate, "GET", &get, b"").await;
    assert_eq!((answer.0, answer.1.as_str()), (200, "signed by aws-sigv4 v4a"));
}

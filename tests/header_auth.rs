//! Requests signed in the `Authorization` header, as the SDKs send them by default: boto3
//! and the AWS CLI over HTTP (a hex SHA-256 of the body, a CRC32 header) and over TLS
//! (`aws-chunked` with `STREAMING-UNSIGNED-PAYLOAD-TRAILER` and a CRC trailer), against
//! the embedded store and a separate S3 server; multipart and copy; SigV4a header auth on
//! an access-point ARN; `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` from an independent signer;
//! and bodies that fail their check (a tampered chunk, a wrong CRC trailer, a wrong hex
//! SHA-256), each leaving no object behind.

mod support;

use std::process::Command;

use base64::Engine as _;
use hmac::Mac as _;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::{Signer, SigningKeyCache};
use outpost_gate::time::UnixTime;
use serde_json::{Value, json};
use sha2::Digest as _;
use support::*;

/// The bytes `s3_calls.py` uploads for `{"size": size, "seed": seed}`.
fn body_bytes(size: usize, seed: u64) -> Vec<u8> {
    let block: Vec<u8> = sha2::Sha256::digest(seed.to_string().as_bytes()).repeat(2048);
    block.iter().copied().cycle().take(size).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

fn ok(r: &Value, what: &str) {
    assert_eq!(r["ok"], true, "{what}: {r}");
}

const MIB: usize = 1024 * 1024;

/// A gate writing its access log as JSON.
fn json_logging() -> Setup {
    Setup { extra_toml: "[log]\nformat = \"json\"\n".to_owned(), ..Setup::default() }
}

/// The SDK's everyday calls through the gate, checked byte for byte.
fn everyday_calls(gate: &Gate, extra: &Value, https: bool) {
    let big = 50 * MIB;
    let mut args = json!({
        "multipart_threshold": 16 * MIB,
        "multipart_chunksize": 16 * MIB,
        "calls": [
            {"op": "put_object", "params": {"Bucket": BUCKET, "Key": "h/small.txt"}, "body": {"size": 100_000, "seed": 1}},
            {"op": "put_object", "params": {"Bucket": BUCKET, "Key": "h/streamed.bin"}, "body": {"size": 300_000, "seed": 2}, "stream": true},
            {"op": "get_object", "params": {"Bucket": BUCKET, "Key": "h/streamed.bin"}},
            {"op": "head_object", "params": {"Bucket": BUCKET, "Key": "h/small.txt"}},
            {"op": "copy_object", "params": {"Bucket": BUCKET, "Key": "h/copy.txt", "CopySource": format!("{BUCKET}/h/small.txt")}},
            {"op": "get_object", "params": {"Bucket": BUCKET, "Key": "h/copy.txt"}},
            {"op": "upload_file", "params": {"Bucket": BUCKET, "Key": "h/big.bin"}, "body": {"size": big, "seed": 3}},
            {"op": "download_file", "params": {"Bucket": BUCKET, "Key": "h/big.bin"}},
            {"op": "list_objects_v2", "params": {"Bucket": BUCKET, "Prefix": "h/"}},
            {"op": "delete_object", "params": {"Bucket": BUCKET, "Key": "h/copy.txt"}},
            {"op": "head_object", "params": {"Bucket": BUCKET, "Key": "h/copy.txt"}},
        ]
    });
    if let (Some(a), Some(e)) = (args.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    let r = boto3_calls(gate, args);
    for (i, what) in
        ["put", "streamed put", "get", "head", "copy", "get copy", "upload_file", "download_file", "list", "delete"]
            .iter()
            .enumerate()
    {
        ok(&r[i], what);
    }
    assert_eq!(r[2]["sha256"], sha256_hex(&body_bytes(300_000, 2)));
    assert_eq!(r[3]["ContentLength"], 100_000);
    assert_eq!(r[5]["sha256"], sha256_hex(&body_bytes(100_000, 1)));
    assert_eq!(r[7]["sha256"], sha256_hex(&body_bytes(big, 3)), "the 50 MiB multipart upload comes back whole");
    assert_eq!(r[8]["Keys"], json!(["h/big.bin", "h/copy.txt", "h/small.txt", "h/streamed.bin"]));
    assert_eq!((r[10]["ok"].clone(), r[10]["status"].clone()), (json!(false), json!(404)), "{}", r[10]);
    for call in &r {
        if let Some(auth) = call["sent"].get("authorization") {
            assert_eq!(auth, "AWS4-HMAC-SHA256", "header-signed: {call}");
        }
    }
    // What boto3 sent is what the SDKs send by default: over TLS a streamed body goes
    // aws-chunked with a CRC trailer, over plain HTTP it is hashed (with a CRC header).
    let streamed = &r[1]["sent"];
    if https && extra.get("checksums").is_none() {
        assert_eq!(streamed["x-amz-content-sha256"], "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "{streamed}");
        assert!(streamed["x-amz-trailer"].as_str().unwrap().starts_with("x-amz-checksum-"), "{streamed}");
    } else {
        assert_ne!(streamed["x-amz-content-sha256"], "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "{streamed}");
    }
}

#[test]
fn boto3_defaults_over_http() {
    let gate = Gate::start_with(json_logging());
    everyday_calls(&gate, &json!({}), false);
    let log = gate.access_json();
    assert!(log.iter().any(|l| l["auth_type"] == "REST-HEADER" && l["action"] == "s3-outposts:PutObject"), "{log:?}");
}

#[test]
fn boto3_defaults_over_tls_send_aws_chunked_with_a_trailer() {
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path(), false);
    let gate = Gate::start_with(Setup { server_toml: tls_toml(certs.path()), ..Setup::default() });
    let ca = certs.path().join("ca.pem");
    everyday_calls(&gate, &json!({"ca_file": ca}), true);
    everyday_calls(&gate, &json!({"ca_file": ca, "checksums": "when_required"}), true);
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_through_a_separate_s3_store() {
    let data = tempfile::tempdir().unwrap();
    let store = outpost_gate::store::start_embedded(data.path(), [BUCKET], store_timeouts()).await.unwrap();
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path(), false);
    let gate = Gate::start_with(Setup {
        server_toml: tls_toml(certs.path()),
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
            store.endpoint(),
            store.access_key_id,
            store.secret.expose()
        )),
        ..Setup::default()
    });
    let ca = certs.path().join("ca.pem");
    tokio::task::spawn_blocking(move || {
        everyday_calls(&gate, &json!({"ca_file": ca}), true);
        gate
    })
    .await
    .unwrap();
    // Decoded on the way: the store's file is the object's bytes, not the aws-chunked framing.
    let on_disk = std::fs::read(data.path().join(BUCKET).join("h/streamed.bin")).unwrap();
    assert_eq!(sha256_hex(&on_disk), sha256_hex(&body_bytes(300_000, 2)));
}

#[test]
fn the_aws_cli_copies_lists_and_removes() {
    let gate = Gate::start_with(json_logging());
    let dir = tempfile::tempdir().unwrap();
    let up = dir.path().join("up.bin");
    let data = body_bytes(50 * MIB, 9);
    std::fs::write(&up, &data).unwrap();
    let aws_status = |args: &[&str]| {
        Command::new(aws_cli())
            .args(args)
            .args(["--endpoint-url", &gate.url(""), "--region", REGION])
            .env("AWS_ACCESS_KEY_ID", AK)
            .env("AWS_SECRET_ACCESS_KEY", SK)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_MAX_ATTEMPTS", "1")
            .output()
            .unwrap()
    };
    let aws = |args: &[&str]| {
        let out = aws_status(args);
        assert!(out.status.success(), "aws {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let target = format!("s3://{BUCKET}/cli/up.bin");
    aws(&["s3", "cp", up.to_str().unwrap(), &target]);
    let down = dir.path().join("down.bin");
    aws(&["s3", "cp", &target, down.to_str().unwrap()]);
    assert_eq!(sha256_hex(&std::fs::read(&down).unwrap()), sha256_hex(&data));
    let listing = aws(&["s3", "ls", &format!("s3://{BUCKET}/cli/")]);
    assert!(listing.contains("up.bin") && listing.contains(&(50 * MIB).to_string()), "{listing}");
    aws(&["s3", "rm", &target]);
    // `aws s3 ls` exits 1 when nothing matches.
    let after = aws_status(&["s3", "ls", &format!("s3://{BUCKET}/cli/")]);
    assert!(!String::from_utf8_lossy(&after.stdout).contains("up.bin"), "{after:?}");
    // The CLI's multipart upload went through header auth, part by part.
    let log = gate.access_json();
    let parts =
        log.iter().filter(|l| l["action"] == "s3-outposts:PutObject" && l["auth_type"] == "REST-HEADER").count();
    assert!(parts >= 2, "the CLI uploads 50 MiB in parts: {parts}");
}

/// A request signed by the tests' own header signer, with `payload_hash` as its
/// `x-amz-content-sha256` and `extra` headers, sent raw.
async fn signed_put(
    gate: &Gate,
    key: &str,
    payload_hash: &str,
    extra: &[(&str, String)],
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    let mut headers = http::HeaderMap::new();
    for (k, v) in extra {
        headers.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    let signer = Signer { access_key_id: AK, secret: &SecretKey::new(SK), region: REGION, service: "s3" };
    let path = format!("/{BUCKET}/{key}");
    let host = gate.addr.clone();
    signer.sign_headers_for(
        "PUT",
        &path,
        "",
        &host,
        &mut headers,
        payload_hash,
        UnixTime::now(),
        &SigningKeyCache::default(),
    );
    let mut req = http().put(gate.url(&path)).body(body);
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.to_str().unwrap());
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn exists(gate: &Gate, key: &str) -> bool {
    let url = boto3_presign(&json!({"endpoint": gate.url(""), "method": "head_object", "bucket": BUCKET, "key": key}));
    http().head(url).send().await.unwrap().status() == 200
}

/// The `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body of `data` in `chunk`-byte chunks, each
/// signature chained from `seed` (the request's); `tamper` flips a byte of that chunk's
/// data after signing.
fn signed_chunks(data: &[u8], chunk: usize, seed: &str, amz_date: &str, scope: &str, tamper: Option<usize>) -> Vec<u8> {
    let date = &amz_date[..8];
    let key = [date, REGION, "s3", "aws4_request"].iter().fold(format!("AWS4{SK}").into_bytes(), |k, part| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap();
        mac.update(part.as_bytes());
        mac.finalize().into_bytes().to_vec()
    });
    let empty = sha256_hex(b"");
    let mut previous = seed.to_owned();
    let mut out = Vec::new();
    let pieces: Vec<&[u8]> = data.chunks(chunk).chain(std::iter::once(&[][..])).collect();
    for (i, piece) in pieces.iter().enumerate() {
        let sts = format!("AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{empty}\n{}", sha256_hex(piece));
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(sts.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        out.extend_from_slice(format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes());
        let start = out.len();
        out.extend_from_slice(piece);
        if tamper == Some(i) {
            out[start + piece.len() / 2] ^= 1;
        }
        out.extend_from_slice(b"\r\n");
        previous = signature;
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_chunks_from_an_independent_signer_verify_and_a_tampered_one_commits_nothing() {
    let gate = Gate::start();
    let data = body_bytes(20 * MIB, 7);
    for tamper in [None, Some(1), Some(160)] {
        let key = format!("chunked/{tamper:?}.bin");
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amz-decoded-content-length", data.len().to_string().parse().unwrap());
        headers.insert("content-encoding", "aws-chunked".parse().unwrap());
        let signer = Signer { access_key_id: AK, secret: &SecretKey::new(SK), region: REGION, service: "s3" };
        let path = format!("/{BUCKET}/{key}");
        let now = UnixTime::now();
        let mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        signer.sign_headers_for("PUT", &path, "", &gate.addr, &mut headers, mode, now, &SigningKeyCache::default());
        let authorization = headers["authorization"].to_str().unwrap().to_owned();
        let seed = authorization.rsplit_once("Signature=").unwrap().1.to_owned();
        let amz_date = headers["x-amz-date"].to_str().unwrap().to_owned();
        let scope = format!("{}/{REGION}/s3/aws4_request", &amz_date[..8]);
        let body = signed_chunks(&data, 64 * 1024, &seed, &amz_date, &scope, tamper);
        let mut req = http().put(gate.url(&path)).body(body);
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.to_str().unwrap());
        }
        let (status, text) = match req.send().await {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap()),
            // Refused early, the gate closes the connection while the client may still be
            // writing the rest of its 20 MiB (as S3 does): the client can then see the reset
            // before the answer. Nothing may be stored either way.
            Err(e) if tamper.is_some() && e.is_request() => {
                assert!(!exists(&gate, &key).await, "a body with a bad chunk left an object");
                continue;
            }
            Err(e) => panic!("{e:?}"),
        };
        if tamper.is_none() {
            assert_eq!(status, 200, "{text}");
            let url =
                boto3_presign(&json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": key}));
            let got = http().get(url).send().await.unwrap().bytes().await.unwrap();
            assert_eq!(sha256_hex(&got), sha256_hex(&data));
        } else {
            assert_eq!((status, xml_code(&text)), (403, "SignatureDoesNotMatch"), "{text}");
            assert!(!exists(&gate, &key).await, "a body with a bad chunk left an object");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_crc_trailer_or_sha256_leaves_no_object() {
    let gate = Gate::start();
    let data = body_bytes(200_000, 5);
    // STREAMING-UNSIGNED-PAYLOAD-TRAILER, as boto3 sends over TLS, with a wrong CRC32.
    let framed = |crc: &str| {
        let mut out = Vec::new();
        for piece in data.chunks(65_536) {
            out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").as_bytes());
        out
    };
    let good = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes());
    let trailer_headers = |len: usize| {
        vec![
            ("content-encoding", "aws-chunked".to_owned()),
            ("x-amz-decoded-content-length", len.to_string()),
            ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
        ]
    };
    let mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    let (s, t) = signed_put(&gate, "t/bad-crc.bin", mode, &trailer_headers(data.len()), framed("AAAAAA==")).await;
    assert_eq!((s, xml_code(&t)), (400, "BadDigest"), "{t}");
    assert!(t.contains("The CRC32 you specified did not match the calculated checksum."), "{t}");
    assert!(!exists(&gate, "t/bad-crc.bin").await);
    let (s, t) = signed_put(&gate, "t/good-crc.bin", mode, &trailer_headers(data.len()), framed(&good)).await;
    assert_eq!(s, 200, "{t}");
    assert!(exists(&gate, "t/good-crc.bin").await);
    // A declared decoded length the body does not have.
    let (s, t) = signed_put(&gate, "t/short.bin", mode, &trailer_headers(data.len() + 1), framed(&good)).await;
    assert_eq!((s, xml_code(&t)), (400, "IncompleteBody"), "{t}");
    assert!(!exists(&gate, "t/short.bin").await);

    // A hex SHA-256 of other bytes.
    let wrong = sha256_hex(b"something else");
    let (s, t) = signed_put(&gate, "t/bad-sha.bin", &wrong, &[], data.clone()).await;
    assert_eq!((s, xml_code(&t)), (400, "XAmzContentSHA256Mismatch"), "{t}");
    assert!(!exists(&gate, "t/bad-sha.bin").await);
    let (s, t) = signed_put(&gate, "t/good-sha.bin", &sha256_hex(&data), &[], data.clone()).await;
    assert_eq!(s, 200, "{t}");
    // A wrong CRC32 header on a plain body.
    let (s, t) = signed_put(
        &gate,
        "t/bad-crc-header.bin",
        "UNSIGNED-PAYLOAD",
        &[("x-amz-checksum-crc32", "AAAAAA==".into())],
        data.clone(),
    )
    .await;
    assert_eq!((s, xml_code(&t)), (400, "BadDigest"), "{t}");
    assert!(!exists(&gate, "t/bad-crc-header.bin").await);
    // An empty body claiming another body's hash.
    let (s, t) = signed_put(&gate, "t/empty.bin", &wrong, &[], Vec::new()).await;
    assert_eq!((s, xml_code(&t)), (400, "XAmzContentSHA256Mismatch"), "{t}");
    assert!(!exists(&gate, "t/empty.bin").await);
}

#[test]
fn policies_tell_header_auth_from_presigned_urls() {
    // The user may use presigned URLs only: header-signed requests are denied.
    let gate = Gate::start_with(Setup {
        more_identity_policies: vec![
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"s3-outposts:authType":"REST-HEADER"}}}}"#.to_owned(),
        ],
        ..Setup::default()
    });
    let r = boto3_calls(
        &gate,
        json!({"calls": [
            {"op": "put_object", "params": {"Bucket": BUCKET, "Key": "p/x.txt"}, "body": {"size": 10, "seed": 1}},
            {"op": "get_object", "params": {"Bucket": BUCKET, "Key": "p/x.txt"}},
        ]}),
    );
    assert_eq!((r[0]["status"].clone(), r[0]["code"].clone()), (json!(403), json!("AccessDenied")), "{}", r[0]);
    let url =
        boto3_presign(&json!({"endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": "p/x.txt"}));
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(async { http().put(url).body("presigned").send().await.unwrap().status() }), 200);

    // And the other way round: header auth only, for a user whose policy says so.
    let gate = Gate::start_with(Setup {
        identity_policy: Some(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"s3-outposts:authType":"REST-HEADER"},"Null":{"s3-outposts:signatureAge":"true"}}}}"#.to_owned(),
        ),
        ..Setup::default()
    });
    let r = boto3_calls(
        &gate,
        json!({"calls": [
            {"op": "put_object", "params": {"Bucket": BUCKET, "Key": "p/y.txt"}, "body": {"size": 10, "seed": 1}},
        ]}),
    );
    ok(&r[0], "header put allowed");
    let url =
        boto3_presign(&json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": "p/y.txt"}));
    assert_eq!(rt.block_on(async { http().get(url).send().await.unwrap().status() }), 403);
}

#[test]
fn sigv4a_header_auth_on_an_access_point_arn() {
    // botocore reaches an Outposts access point over HTTPS, at its own host name.
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path(), false);
    let gate = Gate::start_with(Setup { server_toml: tls_toml(certs.path()), ..json_logging() });
    let arn = format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}");
    let port = gate.addr.rsplit_once(':').unwrap().1;
    let r = boto3_calls(
        &gate,
        json!({
            "endpoint": format!("https://localhost:{port}"),
            "ca_file": certs.path().join("ca.pem"),
            "signing": "default",
            "resolve_localhost": true,
            "calls": [
                {"op": "put_object", "params": {"Bucket": arn, "Key": "v4a/h.txt"}, "body": {"size": 70_000, "seed": 4}},
                {"op": "get_object", "params": {"Bucket": arn, "Key": "v4a/h.txt"}},
                {"op": "list_objects_v2", "params": {"Bucket": arn, "Prefix": "v4a/"}},
                {"op": "delete_object", "params": {"Bucket": arn, "Key": "v4a/h.txt"}},
            ]
        }),
    );
    for (i, what) in ["put", "get", "list", "delete"].iter().enumerate() {
        ok(&r[i], what);
        assert_eq!(r[i]["sent"]["authorization"], "AWS4-ECDSA-P256-SHA256", "{what}: {}", r[i]);
    }
    assert_eq!(r[1]["sha256"], sha256_hex(&body_bytes(70_000, 4)));
    let log = gate.access_json();
    assert!(
        log.iter().any(|l| l["signature_version"] == "AWS4-ECDSA-P256-SHA256" && l["auth_type"] == "REST-HEADER"),
        "{log:?}"
    );
}

/// A 1 GiB `aws-chunked` upload with a CRC64NVME trailer (as the AWS CLI sends it),
/// generated as it is sent: the gate's memory stays flat, and the object is whole.
#[tokio::test(flavor = "multi_thread")]
async fn a_gigabyte_of_aws_chunked_streams_in_flat_memory() {
    const CHUNK: usize = 64 * 1024;
    const TOTAL: usize = 1024 * MIB;
    let gate = Gate::start();
    let piece: Vec<u8> = body_bytes(CHUNK, 11);
    let mut crc = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
    let mut sha = sha2::Sha256::new();
    for _ in 0..TOTAL / CHUNK {
        crc.update(&piece);
        sha.update(&piece);
    }
    let crc = base64::engine::general_purpose::STANDARD.encode(crc.finalize().to_be_bytes());
    let expected = hex::encode(sha.finalize());
    let framed_piece = {
        let mut p = format!("{CHUNK:x}\r\n").into_bytes();
        p.extend_from_slice(&piece);
        p.extend_from_slice(b"\r\n");
        bytes::Bytes::from(p)
    };
    let last = bytes::Bytes::from(format!("0\r\nx-amz-checksum-crc64nvme:{crc}\r\n\r\n"));
    let frames = std::iter::repeat_n(framed_piece, TOTAL / CHUNK).chain(std::iter::once(last));
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(frames.map(Ok::<_, std::io::Error>)));

    let headers = [
        ("content-encoding", "aws-chunked".to_owned()),
        ("x-amz-decoded-content-length", TOTAL.to_string()),
        ("x-amz-trailer", "x-amz-checksum-crc64nvme".to_owned()),
    ];
    let (status, text) = signed_put(&gate, "big/gig.bin", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", &headers, body).await;
    assert_eq!(status, 200, "{text}");
    let peak_mib = gate.peak_rss_kib() / 1024;
    println!("gate peak RSS after a 1 GiB aws-chunked upload: {peak_mib} MiB");
    assert!(peak_mib < 96, "the gate held the upload in memory: peak RSS {peak_mib} MiB");

    let url = boto3_presign(
        &json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": "big/gig.bin"}),
    );
    let mut got = http().get(url).send().await.unwrap();
    let mut sha = sha2::Sha256::new();
    while let Some(part) = got.chunk().await.unwrap() {
        sha.update(&part);
    }
    assert_eq!(hex::encode(sha.finalize()), expected);
}

/// The AWS SDK for Rust's S3 client, with its default request checksums.
#[tokio::test(flavor = "multi_thread")]
async fn the_aws_sdk_for_rust_with_its_defaults() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{ChecksumMode, CompletedMultipartUpload, CompletedPart};
    let gate = Gate::start();
    let s3 = rust_s3(&gate, AK, SK);
    let data = body_bytes(300_000, 21);
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("rust/one.bin")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(put.e_tag().is_some());
    let got =
        s3.get_object().bucket(BUCKET).key("rust/one.bin").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(sha256_hex(&bytes), sha256_hex(&data));

    // Multipart: two parts of 5 MiB and a short last one, each with its checksum.
    let create = s3.create_multipart_upload().bucket(BUCKET).key("rust/multi.bin").send().await.unwrap();
    let upload_id = create.upload_id().unwrap().to_owned();
    let whole = body_bytes(11 * MIB, 22);
    let mut parts = Vec::new();
    for (i, piece) in whole.chunks(5 * MIB).enumerate() {
        let n = i32::try_from(i + 1).unwrap();
        let r = s3
            .upload_part()
            .bucket(BUCKET)
            .key("rust/multi.bin")
            .upload_id(&upload_id)
            .part_number(n)
            .body(ByteStream::from(piece.to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("part {n}: {e:?}"));
        parts.push(CompletedPart::builder().part_number(n).e_tag(r.e_tag().unwrap()).build());
    }
    let listed = s3.list_parts().bucket(BUCKET).key("rust/multi.bin").upload_id(&upload_id).send().await.unwrap();
    assert_eq!(listed.parts().len(), 3);
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("rust/multi.bin")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let got = s3.get_object().bucket(BUCKET).key("rust/multi.bin").send().await.unwrap();
    assert_eq!(sha256_hex(&got.body.collect().await.unwrap().into_bytes()), sha256_hex(&whole));

    let listing = s3.list_objects_v2().bucket(BUCKET).prefix("rust/").send().await.unwrap();
    let keys: Vec<&str> = listing.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["rust/multi.bin", "rust/one.bin"]);
    s3.delete_object().bucket(BUCKET).key("rust/one.bin").send().await.unwrap();
    assert!(s3.head_object().bucket(BUCKET).key("rust/one.bin").send().await.is_err());
    // A user without the permission gets S3's AccessDenied through the SDK's own error.
    let e = rust_s3(&gate, NOBODY_AK, NOBODY_SK)
        .put_object()
        .bucket(BUCKET)
        .key("rust/denied.bin")
        .body(ByteStream::from_static(b"no"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("AccessDenied"));
}

/// Framing S3 refuses, each through the gate: a 4xx with S3's code, and no object.
#[tokio::test(flavor = "multi_thread")]
async fn malformed_aws_chunked_bodies_get_s3s_4xx_and_store_nothing() {
    let gate = Gate::start();
    let data = body_bytes(20_000, 8);
    let chunk = |piece: &[u8]| {
        let mut out = format!("{:x}\r\n", piece.len()).into_bytes();
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
        out
    };
    let crc = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes());
    let end = format!("0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").into_bytes();
    let whole = [chunk(&data[..10_000]), chunk(&data[10_000..]), end.clone()].concat();
    let cases: Vec<(&str, Vec<u8>, usize, u16, &str)> = vec![
        (
            "a short chunk before another",
            [chunk(&data[..100]), chunk(&data[100..]), end.clone()].concat(),
            20_000,
            400,
            "InvalidChunkSizeError",
        ),
        ("a chunk size that is not hex", [b"zz\r\n".to_vec(), data.clone()].concat(), 20_000, 400, "IncompleteBody"),
        ("a chunk-size line past 4 KiB", [vec![b'0'; 5000], b"1\r\n".to_vec()].concat(), 20_000, 400, "IncompleteBody"),
        (
            "a trailer that never comes",
            [chunk(&data[..10_000]), chunk(&data[10_000..]), b"0\r\n".to_vec()].concat(),
            20_000,
            400,
            "IncompleteBody",
        ),
        (
            "no trailer though one was announced",
            [chunk(&data[..10_000]), chunk(&data[10_000..]), b"0\r\n\r\n".to_vec()].concat(),
            20_000,
            400,
            "MalformedTrailerError",
        ),
        ("a declared length larger than the body", whole.clone(), 20_001, 400, "IncompleteBody"),
        ("a declared length smaller than the body", whole.clone(), 19_999, 400, "IncompleteBody"),
        ("bytes after the end", [whole.clone(), b"extra".to_vec()].concat(), 20_000, 400, "IncompleteBody"),
        ("a zero declared length with data", whole.clone(), 0, 400, "IncompleteBody"),
    ];
    for (i, (what, body, declared, status, code)) in cases.into_iter().enumerate() {
        let key = format!("bad/{i}.bin");
        let headers = [
            ("content-encoding", "aws-chunked".to_owned()),
            ("x-amz-decoded-content-length", declared.to_string()),
            ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
        ];
        let (s, t) = signed_put(&gate, &key, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", &headers, body).await;
        assert_eq!((s, xml_code(&t)), (status, code), "{what}: {t}");
        assert!(!exists(&gate, &key).await, "{what}: an object was stored");
    }
    // The well-formed body goes through, and the gate is still serving.
    let headers = [
        ("content-encoding", "aws-chunked".to_owned()),
        ("x-amz-decoded-content-length", "20000".to_owned()),
        ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
    ];
    let (s, t) = signed_put(&gate, "bad/good.bin", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", &headers, whole).await;
    assert_eq!(s, 200, "{t}");
}

/// `explain` decides a header-signed request given its headers, as `serve` would.
#[test]
fn explain_describes_a_header_signed_request() {
    let gate = Gate::start();
    let mut headers = http::HeaderMap::new();
    let signer = Signer { access_key_id: AK, secret: &SecretKey::new(SK), region: REGION, service: "s3" };
    let path = format!("/{BUCKET}/some/key.txt");
    let now = UnixTime::now();
    signer.sign_headers("GET", &path, "", "localhost", &mut headers, now, &SigningKeyCache::default());
    let mut args: Vec<String> = ["--method", "GET", "--url"].map(String::from).to_vec();
    args.push(format!("http://localhost{path}"));
    for (k, v) in &headers {
        args.push("--header".to_owned());
        args.push(format!("{k}: {}", v.to_str().unwrap()));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, text) = explain(&gate, &argv);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("header-signed (AWS4-HMAC-SHA256)"), "{text}");
    assert!(!text.contains(&headers["authorization"].to_str().unwrap()[80..]), "the signature is not echoed: {text}");
}

/// Found by probing: the verified-SigV4a cache was keyed by what the canonical request
/// covers, and a header-signed request's canonical request does not name its key (the
/// Credential is in the Authorization header). A signature checked once under one key
/// (here a request the signer's own policy denies) was then taken for any other key id.
#[tokio::test(flavor = "multi_thread")]
async fn a_sigv4a_header_signature_is_bound_to_its_key() {
    let gate = Gate::start();
    let url = boto3_presign(
        &json!({"endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": "v4a/private.txt"}),
    );
    assert_eq!(http().put(url).body("the tester's").send().await.unwrap().status(), 200);

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sign_v4a_header.py");
    let target = gate.url(&format!("/{BUCKET}/v4a/private.txt"));
    let args =
        json!({"method": "GET", "url": target, "access_key": NOBODY_AK, "secret_key": NOBODY_SK, "region_set": "*"});
    let out = Command::new(python()).arg(script).arg(args.to_string()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let headers: serde_json::Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    let send = |swap: bool| {
        let mut req = http().get(&target);
        for (k, v) in &headers {
            let v = v.as_str().unwrap();
            let v =
                if swap && k.eq_ignore_ascii_case("authorization") { v.replace(NOBODY_AK, AK) } else { v.to_owned() };
            req = req.header(k.as_str(), v);
        }
        req.send()
    };
    let r = send(false).await.unwrap();
    let (status, text) = (r.status().as_u16(), r.text().await.unwrap());
    assert_eq!((status, xml_code(&text)), (403, "AccessDenied"), "nobody's own request is denied by policy: {text}");
    let r = send(true).await.unwrap();
    let (status, text) = (r.status().as_u16(), r.text().await.unwrap());
    assert_eq!(
        (status, xml_code(&text)),
        (403, "SignatureDoesNotMatch"),
        "the signature is nobody's, not the tester's: {text}"
    );
    assert!(!text.contains("the tester's"));
}

/// Found by probing: the embedded store (s3s-fs) keeps an object before it checks
/// `Content-MD5` or a checksum header, so whatever the gate left to the store was stored
/// though the client was told it failed. The gate checks them all itself now, on plain and
/// aws-chunked bodies alike.
#[tokio::test(flavor = "multi_thread")]
async fn content_md5_and_checksum_headers_are_checked_by_the_gate() {
    let gate = Gate::start();
    let data = body_bytes(50_000, 12);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let md5 = b64(&md5::Md5::digest(&data));
    let wrong_md5 = b64(&md5::Md5::digest(b"other"));
    let crc32 = b64(&crc32fast::hash(&data).to_be_bytes());
    let sha_b64 = b64(&sha2::Sha256::digest(&data));
    let wrong_sha_b64 = b64(&sha2::Sha256::digest(b"other"));
    let unsigned = "UNSIGNED-PAYLOAD";

    let (s, t) =
        signed_put(&gate, "m/bad-md5.bin", unsigned, &[("content-md5", wrong_md5.clone())], data.clone()).await;
    assert_eq!((s, xml_code(&t)), (400, "BadDigest"), "{t}");
    assert!(t.contains("The Content-MD5 you specified did not match what we received."), "{t}");
    assert!(!exists(&gate, "m/bad-md5.bin").await);
    let (s, t) = signed_put(&gate, "m/junk-md5.bin", unsigned, &[("content-md5", "!!!".into())], data.clone()).await;
    assert_eq!((s, xml_code(&t)), (400, "InvalidDigest"), "{t}");
    assert!(!exists(&gate, "m/junk-md5.bin").await);
    let (s, t) = signed_put(&gate, "m/md5.bin", unsigned, &[("content-md5", md5.clone())], data.clone()).await;
    assert_eq!(s, 200, "{t}");

    // aws-chunked with a correct CRC32 trailer, and a header that describes the data wrongly.
    let framed = |crc: &str| {
        let mut out = Vec::new();
        for piece in data.chunks(16_384) {
            out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").as_bytes());
        out
    };
    let chunked = |extra: &[(&'static str, String)]| {
        let mut h = vec![
            ("content-encoding", "aws-chunked".to_owned()),
            ("x-amz-decoded-content-length", data.len().to_string()),
            ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
        ];
        h.extend(extra.iter().cloned());
        h
    };
    let mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    for (what, extra, code) in [
        ("a wrong SHA-256 header", vec![("x-amz-checksum-sha256", wrong_sha_b64.clone())], "BadDigest"),
        ("a wrong Content-MD5", vec![("content-md5", wrong_md5.clone())], "BadDigest"),
        (
            "two checksum headers",
            vec![("x-amz-checksum-sha256", sha_b64.clone()), ("x-amz-checksum-crc32", crc32.clone())],
            "InvalidRequest",
        ),
    ] {
        let key = format!("m/chunked-{}.bin", what.replace(' ', "-"));
        let (s, t) = signed_put(&gate, &key, mode, &chunked(&extra), framed(&crc32)).await;
        assert_eq!((s, xml_code(&t)), (400, code), "{what}: {t}");
        assert!(!exists(&gate, &key).await, "{what}: stored");
    }
    let extra = [("x-amz-checksum-sha256", sha_b64.clone()), ("content-md5", md5.clone())];
    let (s, t) = signed_put(&gate, "m/chunked-good.bin", mode, &chunked(&extra), framed(&crc32)).await;
    assert_eq!(s, 200, "both headers right: {t}");

    // An algorithm named with no value to go with it, and aws-chunked framing claimed
    // without a STREAMING mode.
    let (s, t) = signed_put(
        &gate,
        "m/no-value.bin",
        unsigned,
        &[("x-amz-sdk-checksum-algorithm", "CRC32".into())],
        data.clone(),
    )
    .await;
    assert_eq!((s, xml_code(&t)), (400, "InvalidRequest"), "{t}");
    let hex = sha256_hex(&data);
    let (s, t) =
        signed_put(&gate, "m/framing.bin", &hex, &[("content-encoding", "aws-chunked".into())], data.clone()).await;
    assert_eq!((s, xml_code(&t)), (400, "InvalidArgument"), "{t}");
    assert!(!exists(&gate, "m/no-value.bin").await && !exists(&gate, "m/framing.bin").await);
}

/// Found by probing: a client that stops sending its body held its store request open for
/// ever. After 20 s of nothing it gets S3's RequestTimeout, and nothing is stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_upload_times_out_and_stores_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let gate = Gate::start();
    let url = boto3_presign(
        &json!({"endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": "stall/x.bin"}),
    );
    let mut stream = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    let head = format!("PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000\r\n\r\n", path_and_query(&url), gate.addr);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b'x'; 400]).await.unwrap();
    let started = std::time::Instant::now();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(40), stream.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    assert_eq!(status_of(&text), 400, "{text}");
    assert!(text.contains("<Code>RequestTimeout</Code>"), "{text}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(19), "not before the stall limit");
    assert!(!exists(&gate, "stall/x.bin").await);
}

/// Session credentials from the gate's STS endpoint sign S3 calls in the header too; the
/// virtual-host style reaches the same bucket; an abandoned multipart upload is aborted.
#[test]
fn session_credentials_virtual_hosts_and_aborts() {
    let gate = Gate::start_with(Setup {
        extra_toml: "[sts]\nenabled = true\ntoken_key_file = \"sts.key\"\nmin_session_secs = 1\n".to_owned(),
        ..Setup::default()
    });
    let creds =
        boto3_sts(&json!({"endpoint": gate.url(""), "call": "get_session_token", "params": {"DurationSeconds": 900}}))
            ["Credentials"]
            .clone();
    let port = gate.addr.rsplit_once(':').unwrap().1;
    let r = boto3_calls(
        &gate,
        json!({
            "endpoint": format!("http://localhost:{port}"),
            "addressing": "virtual",
            "resolve_localhost": true,
            "access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"], "session_token": creds["SessionToken"],
            "calls": [
                {"op": "put_object", "params": {"Bucket": BUCKET, "Key": "s/v.txt"}, "body": {"size": 5000, "seed": 30}},
                {"op": "get_object", "params": {"Bucket": BUCKET, "Key": "s/v.txt"}},
                {"op": "create_multipart_upload", "params": {"Bucket": BUCKET, "Key": "s/abandoned.bin"}},
            ]
        }),
    );
    ok(&r[0], "session put, virtual host");
    assert_eq!(r[1]["sha256"], sha256_hex(&body_bytes(5000, 30)));
    let upload_id = r[2]["UploadId"].as_str().unwrap().to_owned();
    let r = boto3_calls(
        &gate,
        json!({
            "endpoint": format!("http://localhost:{port}"),
            "addressing": "virtual",
            "resolve_localhost": true,
            "access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"], "session_token": creds["SessionToken"],
            "calls": [
                {"op": "upload_part", "params": {"Bucket": BUCKET, "Key": "s/abandoned.bin", "UploadId": upload_id, "PartNumber": 1}, "body": {"size": 1000, "seed": 31}},
                {"op": "abort_multipart_upload", "params": {"Bucket": BUCKET, "Key": "s/abandoned.bin", "UploadId": upload_id}},
                {"op": "list_parts", "params": {"Bucket": BUCKET, "Key": "s/abandoned.bin", "UploadId": upload_id}},
            ]
        }),
    );
    ok(&r[0], "upload_part");
    ok(&r[1], "abort");
    assert_eq!((r[2]["ok"].clone(), r[2]["code"].clone()), (json!(false), json!("NoSuchUpload")), "{}", r[2]);
    // A session token that belongs to another key is refused.
    let r = boto3_calls(
        &gate,
        json!({"session_token": creds["SessionToken"], "calls": [{"op": "get_object", "params": {"Bucket": BUCKET, "Key": "s/v.txt"}}]}),
    );
    assert_eq!((r[0]["status"].clone(), r[0]["code"].clone()), (json!(400), json!("InvalidToken")), "{}", r[0]);
    let log = gate.log();
    assert!(!log.contains(creds["SessionToken"].as_str().unwrap()), "the session token is never logged");
}

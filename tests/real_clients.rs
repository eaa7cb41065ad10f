//! URLs presigned by real clients work unchanged: boto3, the AWS CLI, the AWS SDK for
//! Rust's signer (`aws-sigv4`), including botocore's S3-on-Outposts access-point URLs.

mod support;

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::json;
use support::*;

/// Keys that trip up encoders: spaces, reserved characters, unicode, `~`, `?`, `#`.
const AWKWARD_KEYS: [&str; 6] = [
    "plain.txt",
    "sp ace/+=&%~?#ሴ.bin",
    "dir/ünï cödé/x y",
    "a+b=c&d;e,f:g@h$i!j'k(l)m*n",
    "trailing space ",
    "deep/er/and/deeper/~tilde",
];

fn boto3(gate: &Gate, method: &str, key: &str) -> String {
    boto3_presign(&json!({
        "endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": key, "expires": 300
    }))
}

#[tokio::test]
async fn boto3_put_get_head_delete_with_awkward_keys() {
    let gate = Gate::start();
    let c = http();
    for key in AWKWARD_KEYS {
        let body = format!("content of {key}").into_bytes();
        let r = c.put(boto3(&gate, "put_object", key)).body(body.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200, "PUT {key}: {}", r.text().await.unwrap());

        let r = c.get(boto3(&gate, "get_object", key)).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {key}");
        assert_eq!(r.bytes().await.unwrap().as_ref(), body.as_slice(), "GET {key}");

        let r = c.head(boto3(&gate, "head_object", key)).send().await.unwrap();
        assert_eq!(r.status(), 200, "HEAD {key}");
        assert_eq!(r.headers()["content-length"], body.len().to_string().as_str());

        let r = c.delete(boto3(&gate, "delete_object", key)).send().await.unwrap();
        assert_eq!(r.status(), 204, "DELETE {key}");

        let r = c.get(boto3(&gate, "get_object", key)).send().await.unwrap();
        assert_eq!(r.status(), 404, "GET after DELETE {key}");
        assert!(r.text().await.unwrap().contains("<Code>NoSuchKey</Code>"));
    }
}

#[tokio::test]
async fn boto3_url_for_one_key_does_not_open_another() {
    let gate = Gate::start();
    let url = boto3(&gate, "get_object", "a.txt");
    let moved = url.replace("/a.txt?", "/b.txt?");
    let r = http().get(moved).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("<Code>SignatureDoesNotMatch</Code>"));
    // A GET URL used for a PUT does not match either.
    let r = http().put(url).body("x").send().await.unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn boto3_virtual_host_style_with_its_host() {
    let gate = Gate::start();
    let port = gate.addr.rsplit(':').next().unwrap();
    let url = boto3_presign(&json!({
        "endpoint": format!("http://localhost:{port}"), "method": "put_object", "bucket": BUCKET,
        "key": "vhost key", "addressing": "virtual"
    }));
    let host = format!("{BUCKET}.localhost:{port}");
    assert!(url.starts_with(&format!("http://{host}/")), "{url}");
    let direct = url.replacen(&host, &gate.addr, 1);
    let r = http().put(&direct).header("host", &host).body("v").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Without its signed Host the same URL does not verify.
    let r = http().put(&direct).body("v").send().await.unwrap();
    assert_eq!(r.status(), 404, "path style reads the first segment as the bucket");
}

#[tokio::test]
async fn botocore_outposts_access_point_arn_urls() {
    let gate = Gate::start();
    let arn = format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}");
    let presign = |method: &str| boto3_presign(&json!({ "method": method, "bucket": arn, "key": "through ap/ሴ" }));
    let put = presign("put_object");
    assert!(put.contains("%2Fs3-outposts%2Faws4_request"), "botocore signs as s3-outposts: {put}");
    let host = ap_host();
    let local = |url: &str| url.replacen(&format!("https://{host}"), &gate.url(""), 1);

    let r = http().put(local(&put)).header("host", &host).body("via the access point").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http().get(local(&presign("get_object"))).header("host", &host).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "via the access point");
    // The object landed in the access point's bucket.
    let url = gate.presign("GET", "through ap/ሴ", 60, outpost_gate::time::UnixTime::now());
    assert_eq!(http().get(url).send().await.unwrap().text().await.unwrap(), "via the access point");
}

#[tokio::test]
async fn aws_cli_presign() {
    let gate = Gate::start();
    let cfg = gate.dir.path().join("aws-config");
    std::fs::write(&cfg, "[default]\nregion = us-east-1\ns3 =\n  signature_version = s3v4\n").unwrap();
    let key = "cli/with space+plus.txt";
    let put = gate.presign("PUT", key, 60, outpost_gate::time::UnixTime::now());
    assert_eq!(http().put(put).body("from the cli test").send().await.unwrap().status(), 200);

    let out = Command::new(aws_cli())
        .args([
            "s3",
            "presign",
            &format!("s3://{BUCKET}/{key}"),
            "--endpoint-url",
            &gate.url(""),
            "--expires-in",
            "120",
        ])
        .env("AWS_CONFIG_FILE", &cfg)
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "from the cli test");

    // CLI v1's default (SigV2) is refused the way SigV4-only S3 regions refuse it.
    let out = Command::new(aws_cli())
        .args(["s3", "presign", &format!("s3://{BUCKET}/{key}"), "--endpoint-url", &gate.url("")])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .output()
        .unwrap();
    let default_url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let r = http().get(&default_url).send().await.unwrap();
    if default_url.contains("AWSAccessKeyId=") {
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("Please use AWS4-HMAC-SHA256"));
    } else {
        // A CLI whose default became SigV4: its URL must simply work.
        assert!(default_url.contains("X-Amz-Signature="), "{default_url}");
        assert_eq!(r.status(), 200);
    }
}

/// The AWS SDK for Rust's signer, configured as its S3 client configures it.
fn rust_sdk_presign(method: &str, url: &str, expires: Duration) -> String {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{
        PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    use aws_sigv4::sign::v4;

    let identity = Credentials::new(AK, SK, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires);
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let host = url.split('/').nth(2).unwrap().to_owned();
    let req = SignableRequest::new(method, url, [("host", host.as_str())].into_iter(), SignableBody::UnsignedPayload)
        .unwrap();
    let (instructions, _) = sign(req, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method(method).uri(url).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    request.uri().to_string()
}

#[tokio::test]
async fn aws_sdk_for_rust_signer() {
    let gate = Gate::start();
    let path = format!("/{BUCKET}/rust%20sdk/%E1%88%B4%2B");
    let put = rust_sdk_presign("PUT", &gate.url(&path), Duration::from_mins(1));
    assert!(put.contains("X-Amz-Signature="), "{put}");
    let r = http().put(put).body("signed by aws-sigv4").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let get = rust_sdk_presign("GET", &gate.url(&path), Duration::from_mins(1));
    let r = http().get(get).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "signed by aws-sigv4");
}

#[tokio::test]
async fn boto3_multipart_upload_steps_are_put_object() {
    let gate = Gate::start();
    let key = "multi part";
    let create = boto3_presign(
        &json!({"endpoint": gate.url(""), "method": "create_multipart_upload", "bucket": BUCKET, "key": key}),
    );
    let r = http().post(create).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let xml = r.text().await.unwrap();
    let upload_id = xml.split("<UploadId>").nth(1).and_then(|s| s.split("</UploadId>").next()).unwrap().to_owned();

    let part = vec![b'p'; 5 * 1024 * 1024];
    let mut etags = Vec::new();
    for n in 1..=2 {
        let url =
            boto3_presign(&json!({"endpoint": gate.url(""), "method": "upload_part", "bucket": BUCKET, "key": key,
            "params": {"UploadId": upload_id, "PartNumber": n}}));
        let r = http().put(url).body(part.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200, "part {n}");
        etags.push(r.headers()["etag"].to_str().unwrap().to_owned());
    }
    let list = boto3_presign(&json!({"endpoint": gate.url(""), "method": "list_parts", "bucket": BUCKET, "key": key,
        "params": {"UploadId": upload_id}}));
    let r = http().get(list).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<PartNumber>2</PartNumber>"));

    let complete = boto3_presign(
        &json!({"endpoint": gate.url(""), "method": "complete_multipart_upload", "bucket": BUCKET, "key": key,
        "params": {"UploadId": upload_id}}),
    );
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, etag) in etags.iter().enumerate() {
        let n = i + 1;
        let _ = write!(body, "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>");
    }
    body += "</CompleteMultipartUpload>";
    let r = http().post(complete).body(body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http().head(boto3(&gate, "head_object", key)).send().await.unwrap();
    assert_eq!(r.headers()["content-length"], (10 * 1024 * 1024).to_string().as_str());
}

#[tokio::test]
async fn boto3_list_objects_is_list_bucket() {
    let gate = Gate::start();
    for k in ["l/a", "l/b", "m/c"] {
        let r = http().put(boto3(&gate, "put_object", k)).body("x").send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let url = boto3_presign(
        &json!({"endpoint": gate.url(""), "method": "list_objects_v2", "bucket": BUCKET, "params": {"Prefix": "l/"}}),
    );
    let r = http().get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<Key>l/a</Key>") && xml.contains("<Key>l/b</Key>") && !xml.contains("m/c"), "{xml}");
}

/// Some HTTP stacks send the reserved characters `! ' ( ) *` of a URL unencoded. S3 signs
/// the key's canonical form, so a boto3 URL verifies sent either way, and a path naming
/// another key does not.
#[tokio::test]
async fn boto3_url_with_reserved_characters_sent_unencoded() {
    let gate = Gate::start();
    let key = "p/it's (a) *star*!.txt";
    let put = boto3(&gate, "put_object", key);
    assert_eq!(http().put(&put).body("starred").send().await.unwrap().status(), 200);
    let get = path_and_query(&boto3(&gate, "get_object", key));
    assert!(get.contains("%27") && get.contains("%28") && get.contains("%2A") && get.contains("%21"), "{get}");
    let (path, query) = get.split_once('?').unwrap();
    let bare = path.replace("%27", "'").replace("%28", "(").replace("%29", ")").replace("%2A", "*").replace("%21", "!");
    for target in [get.clone(), format!("{bare}?{query}")] {
        let (status, body) = raw_request(&gate, "GET", &target, &[], b"").await;
        assert_eq!((status, body.as_str()), (200, "starred"), "{target}");
    }
    let other = format!("{}?{query}", bare.replace("star", "stars"));
    assert_eq!(raw_request(&gate, "GET", &other, &[], b"").await.0, 403);
}

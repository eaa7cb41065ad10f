//! The request the gate decides on is the request the store acts on. Each test is one way
//! an attacker could make the two differ (found by probing the gate with boto3 URLs and raw
//! sockets), run against the embedded store and against a separate S3 server
//! (`kind = "s3"`): the request is refused before it reaches the store, and the protected
//! objects read back unchanged afterwards.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use sha2::Digest as _;
use support::*;

const PAYROLL: &str = "payroll";
const ADMIN_AK: &str = "AKIAADMIN00000000000";
const ADMIN_SK: &str = "admin-secret-key-00000000000000000000000";
const VERSIONER_AK: &str = "AKIAVERSIONER0000000";
const VERSIONER_SK: &str = "versioner-secret-key-0000000000000000000";
const SECRET: &str = "the salaries of everyone";
/// Any outpost's buckets and access points, as a resource pattern.
const ANY: &str = "arn:aws:s3-outposts:*:*:outpost/*";

/// The tester may do anything, except: the payroll bucket, `private/secret.txt` and `*.pem`
/// (explicit denies), listing under `private`, and PUTs under `sse/` without AES256.
fn tester_policy() -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3-outposts:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3-outposts:*",
         "Resource": [format!("{ANY}/bucket/{PAYROLL}"), format!("{ANY}/bucket/{PAYROLL}/*"),
                      format!("{ANY}/object/private/secret.txt"), format!("{ANY}/object/*.pem")]},
        {"Effect": "Deny", "Action": "s3-outposts:ListBucket", "Resource": "*",
         "Condition": {"StringLike": {"s3-outposts:prefix": "private*"}}},
        {"Effect": "Deny", "Action": "s3-outposts:PutObject", "Resource": format!("{ANY}/object/hashed/*"),
         "Condition": {"StringEquals": {"s3-outposts:x-amz-content-sha256": "UNSIGNED-PAYLOAD"}}},
        {"Effect": "Deny", "Action": "s3-outposts:PutObject", "Resource": format!("{ANY}/object/sse/*"),
         "Condition": {"StringNotEquals": {"s3-outposts:x-amz-server-side-encryption": "AES256"}}},
    ]})
    .to_string()
}

const VERSIONER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3-outposts:DeleteObjectVersion","Resource":"*"}]}"#;

/// A gate with the tester, an admin (everything) and a user allowed DeleteObjectVersion
/// only, over `store_toml` (the embedded store when `None`).
fn attack_gate(store_toml: Option<String>) -> Gate {
    Gate::start_with(Setup {
        store_toml,
        identity_policy: Some(tester_policy()),
        files: vec![("admin.json".into(), ALLOW_ALL.into()), ("versioner.json".into(), VERSIONER_POLICY.into())],
        extra_toml: format!(
            "[[buckets]]\nname = \"{PAYROLL}\"\n\n\
             [[users]]\narn = \"arn:aws:iam::{ACCOUNT}:user/admin\"\npolicies = [\"admin.json\"]\n\
             access_keys = [{{ id = \"{ADMIN_AK}\", secret = \"{ADMIN_SK}\" }}]\n\n\
             [[users]]\narn = \"arn:aws:iam::{ACCOUNT}:user/versioner\"\npolicies = [\"versioner.json\"]\n\
             access_keys = [{{ id = \"{VERSIONER_AK}\", secret = \"{VERSIONER_SK}\" }}]\n"
        ),
        ..Setup::default()
    })
}

/// The embedded store's gate, and the directory its data lives in.
fn embedded() -> (Gate, std::path::PathBuf) {
    let gate = attack_gate(None);
    let data = gate.dir.path().join("data");
    (gate, data)
}

/// A gate with `kind = "s3"` in front of a separate S3 server (s3s-fs on its own port, with
/// its own credentials), and that server's data directory.
async fn remote() -> (Gate, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let store = outpost_gate::store::start_embedded(data.path(), [BUCKET, PAYROLL], store_timeouts()).await.unwrap();
    let gate = attack_gate(Some(format!(
        "[store]\nkind = \"s3\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
        store.endpoint(),
        store.access_key_id,
        store.secret.expose()
    )));
    (gate, data)
}

fn url_args(gate: &Gate, as_: (&str, &str), method: &str, bucket: &str, key: Option<&str>, params: Value) -> Value {
    let mut v = json!({"endpoint": gate.url(""), "method": method, "bucket": bucket,
                       "access_key": as_.0, "secret_key": as_.1, "expires": 600});
    v["params"] = params;
    if let Some(k) = key {
        v["key"] = json!(k);
    }
    v
}

const TESTER: (&str, &str) = (AK, SK);
const ADMIN: (&str, &str) = (ADMIN_AK, ADMIN_SK);

/// What the attacks aim at (`public/readme.txt` is what the tester may read and copy).
const PROTECTED: [(&str, &str); 5] = [
    (BUCKET, "private/secret.txt"),
    (BUCKET, "certs/server.pem"),
    (PAYROLL, "salaries.csv"),
    (BUCKET, "public/v.txt"),
    (BUCKET, "public/readme.txt"),
];

fn admin_urls(gate: &Gate, method: &str) -> Vec<String> {
    let args: Vec<Value> =
        PROTECTED.iter().map(|(b, k)| url_args(gate, ADMIN, method, b, Some(k), json!({}))).collect();
    boto3_presign_many(&args)
}

/// Puts the protected objects, through the admin.
async fn seed(gate: &Gate) {
    for url in admin_urls(gate, "put_object") {
        let r = http().put(url).body(SECRET).send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
}

/// Every protected object still holds exactly what the admin put there.
async fn protected_unchanged(gate: &Gate) {
    for (url, (b, k)) in admin_urls(gate, "get_object").into_iter().zip(PROTECTED) {
        let r = http().get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{b}/{k}");
        assert_eq!(r.text().await.unwrap(), SECRET, "{b}/{k} was changed");
    }
}

/// Asserts a refusal with `status` and `code`, and that no secret came back.
fn refused(answer: &(u16, String), status: u16, code: &str, what: &str) {
    assert_eq!((answer.0, xml_code(&answer.1)), (status, code), "{what}: {}", answer.1);
    assert!(!answer.1.contains(SECRET), "{what}: the protected data came back");
}

async fn run_all(gate: &Gate, data: &Path) {
    seed(gate).await;
    dot_segments_in_keys(gate).await;
    empty_segments_and_trailing_slashes(gate).await;
    copy_source_parsed_as_s3_does(gate, data).await;
    connection_cannot_drop_a_decided_header(gate).await;
    listing_prefix_is_the_one_decided(gate).await;
    versions_on_a_store_without_versions(gate).await;
    conflicting_sub_resources(gate).await;
    a_claimed_payload_hash_binds_the_body(gate, data).await;
    an_upload_belongs_to_its_key(gate, data).await;
    protected_unchanged(gate).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_way_to_make_the_store_read_another_request_is_refused_embedded() {
    let (gate, data) = embedded();
    run_all(&gate, &data).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_way_to_make_the_store_read_another_request_is_refused_remote_s3() {
    let (gate, data) = remote().await;
    run_all(&gate, data.path()).await;
}

/// Attack 1: `..` in a key escaped the policy and the bucket: read and overwrite payroll data.
async fn dot_segments_in_keys(gate: &Gate) {
    let args = [
        url_args(gate, TESTER, "get_object", BUCKET, Some("../payroll/salaries.csv"), json!({})),
        url_args(gate, TESTER, "put_object", BUCKET, Some("../payroll/salaries.csv"), json!({})),
        url_args(gate, TESTER, "get_object", BUCKET, Some("public/../private/secret.txt"), json!({})),
        url_args(gate, TESTER, "get_object", BUCKET, Some("public/./../private/secret.txt"), json!({})),
        url_args(gate, TESTER, "get_object", BUCKET, Some("public/x/../../private/secret.txt"), json!({})),
    ];
    let urls = boto3_presign_many(&args);
    for (url, method) in urls.iter().zip(["GET", "PUT", "GET", "GET", "GET"]) {
        let target = path_and_query(url);
        let answer = raw_request(gate, method, &target, &[], b"overwritten").await;
        refused(&answer, 400, "InvalidArgument", &target);
    }
    // The same walk, spelled with escapes the gate decodes once.
    let walk = path_and_query(&urls[2]);
    for spelled in ["/%2e%2e/", "/%2E%2E/", "/..%2F"] {
        let target = walk.replacen("/../", spelled, 1);
        refused(&raw_request(gate, "GET", &target, &[], b"").await, 400, "InvalidArgument", &target);
    }
    // Through an access-point host, the key is the whole path.
    let ap = ap_host();
    let answer = raw_request(gate, "GET", "/public/../private/secret.txt", &[("host", &ap)], b"").await;
    refused(&answer, 400, "InvalidArgument", "access point");
}

/// Attack 2: Empty segments and trailing slashes named a denied object without any dot.
async fn empty_segments_and_trailing_slashes(gate: &Gate) {
    let cases = [
        ("get_object", "GET", "certs/server.pem/"),
        ("get_object", "GET", "private//secret.txt"),
        ("get_object", "GET", "private/secret.txt/"),
        ("put_object", "PUT", "private//secret.txt"),
        ("put_object", "PUT", "private/secret.txt/"),
    ];
    let args: Vec<Value> =
        cases.iter().map(|(m, _, k)| url_args(gate, TESTER, m, BUCKET, Some(k), json!({}))).collect();
    for (url, (_, method, key)) in boto3_presign_many(&args).iter().zip(cases) {
        let answer = raw_request(gate, method, &path_and_query(url), &[], b"overwritten").await;
        refused(&answer, 400, "InvalidArgument", key);
    }
    // The denied names themselves are denied, as before.
    let url = boto3_presign(&url_args(gate, TESTER, "get_object", BUCKET, Some("private/secret.txt"), json!({})));
    let answer = raw_request(gate, "GET", &path_and_query(&url), &[], b"").await;
    refused(&answer, 403, "AccessDenied", "private/secret.txt");
}

/// Attack 3: The copy source was cut at the first `?` by the gate and only at `?versionId=` by the
/// store, or carried dot segments.
async fn copy_source_parsed_as_s3_does(gate: &Gate, data: &Path) {
    let sources = [
        format!("{BUCKET}/public/x?/../../private/secret.txt"),
        format!("{BUCKET}/public/../private/secret.txt"),
        format!("/{BUCKET}/public/x%3F/../../private/secret.txt"),
        format!("{BUCKET}/public/readme.txt?uploadId=1"),
    ];
    // boto3 signs the copy source header (quoted its own way); the gate must refuse whatever
    // spelling arrives, so each is sent as the attacker writes it.
    let signed = boto3_presign(&url_args(
        gate,
        TESTER,
        "copy_object",
        BUCKET,
        Some("public/loot.txt"),
        json!({"CopySource": format!("{BUCKET}/public/x?/../../private/secret.txt")}),
    ));
    for source in &sources {
        let answer =
            raw_request(gate, "PUT", &path_and_query(&signed), &[("x-amz-copy-source", source.as_str())], b"").await;
        refused(&answer, 400, "InvalidArgument", source);
    }
    assert!(!data.join(BUCKET).join("public/loot.txt").exists(), "the copy went through");
    // A plain copy within what the tester may read still works, through the rebuilt header.
    let url = boto3_presign(&url_args(
        gate,
        TESTER,
        "copy_object",
        BUCKET,
        Some("public/copy.txt"),
        json!({"CopySource": format!("{BUCKET}/public/readme.txt")}),
    ));
    let answer = raw_request(
        gate,
        "PUT",
        &path_and_query(&url),
        &[("x-amz-copy-source", &format!("{BUCKET}/public/readme.txt"))],
        b"",
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(std::fs::read_to_string(data.join(BUCKET).join("public/copy.txt")).unwrap(), SECRET);
}

/// Attack 4: A header the policy required was checked, then dropped as hop-by-hop because the
/// Connection header named it.
async fn connection_cannot_drop_a_decided_header(gate: &Gate) {
    let url = boto3_presign(&url_args(
        gate,
        TESTER,
        "put_object",
        BUCKET,
        Some("sse/a.txt"),
        json!({"ServerSideEncryption": "AES256"}),
    ));
    let target = path_and_query(&url);
    let sse = ("x-amz-server-side-encryption", "AES256");
    let answer =
        raw_request(gate, "PUT", &target, &[sse, ("connection", "close, x-amz-server-side-encryption")], b"x").await;
    refused(&answer, 400, "InvalidArgument", "Connection: x-amz-server-side-encryption");
    assert!(answer.1.contains("<ArgumentName>Connection</ArgumentName>"), "{}", answer.1);
    // Every header the policy engine reads, named by Connection, is refused the same way.
    for name in [
        "x-amz-acl",
        "x-amz-storage-class",
        "x-amz-server-side-encryption",
        "x-amz-copy-source",
        "x-amz-metadata-directive",
        "x-amz-tagging",
        "x-amz-content-sha256",
        "X-Amz-Tagging",
    ] {
        let connection = format!("close, {name}");
        let answer = raw_request(gate, "PUT", &target, &[sse, ("connection", connection.as_str())], b"x").await;
        refused(&answer, 400, "InvalidArgument", name);
    }
    // Without the trick, the signed header goes through, and the policy allows it.
    let answer = raw_request(gate, "PUT", &target, &[sse], b"x").await;
    assert_eq!(answer.0, 200, "{}", answer.1);
}

/// Attack 5: The store stripped a leading `/` from the listing prefix the policy had seen.
async fn listing_prefix_is_the_one_decided(gate: &Gate) {
    let list = |prefix: &str| url_args(gate, TESTER, "list_objects_v2", BUCKET, None, json!({"Prefix": prefix}));
    let urls = boto3_presign_many(&[list("/private/"), list("private/"), list("//private/"), list("public/")]);
    refused(&raw_request(gate, "GET", &path_and_query(&urls[0]), &[], b"").await, 400, "InvalidArgument", "/private/");
    refused(&raw_request(gate, "GET", &path_and_query(&urls[1]), &[], b"").await, 403, "AccessDenied", "private/");
    refused(&raw_request(gate, "GET", &path_and_query(&urls[2]), &[], b"").await, 400, "InvalidArgument", "//private/");
    let r = http().get(&urls[3]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("public/readme.txt") && !body.contains("private/"), "{body}");
}

/// Attack 6: A made-up versionId reached a store that ignores versions, which deleted the live
/// object under a DeleteObjectVersion grant.
async fn versions_on_a_store_without_versions(gate: &Gate) {
    let me = (VERSIONER_AK, VERSIONER_SK);
    let urls = boto3_presign_many(&[
        url_args(gate, me, "delete_object", BUCKET, Some("public/v.txt"), json!({})),
        url_args(gate, me, "delete_object", BUCKET, Some("public/v.txt"), json!({"VersionId": "made-up"})),
        url_args(gate, TESTER, "get_object", BUCKET, Some("public/v.txt"), json!({"VersionId": "made-up"})),
    ]);
    let r = http().delete(&urls[0]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    for (url, method) in [(&urls[1], "DELETE"), (&urls[2], "GET")] {
        let answer = raw_request(gate, method, &path_and_query(url), &[], b"").await;
        refused(&answer, 400, "InvalidArgument", "versionId=made-up");
        assert!(answer.1.contains("<ArgumentName>versionId</ArgumentName>"), "{}", answer.1);
        assert!(answer.1.contains("Invalid version id specified"), "{}", answer.1);
    }
}

/// Seen too: `?tagging&uploadId` was authorized as one action and routed as another.
async fn conflicting_sub_resources(gate: &Gate) {
    let url = gate.presign("GET", "public/readme.txt", 600, outpost_gate::time::UnixTime::now());
    let target = format!("{}&tagging&uploadId=u1", path_and_query(&url));
    let answer = raw_request(gate, "GET", &target, &[], b"").await;
    refused(&answer, 400, "InvalidRequest", "tagging&uploadId");
}

/// Seen too: a presigned request may carry `x-amz-content-sha256` unsigned, and policies
/// read it; so the gate checks the body against it. A claimed hash with another body, or
/// a claimed `aws-chunked` body that is not one, is refused and nothing is stored.
async fn a_claimed_payload_hash_binds_the_body(gate: &Gate, data: &Path) {
    let url = boto3_presign(&url_args(gate, TESTER, "put_object", BUCKET, Some("hashed/a.txt"), json!({})));
    let target = path_and_query(&url);
    refused(&raw_request(gate, "PUT", &target, &[], b"real").await, 403, "AccessDenied", "no hash");
    let hash = hex::encode(sha2::Sha256::digest(b"real"));
    let answer = raw_request(gate, "PUT", &target, &[("x-amz-content-sha256", &hash)], b"forged").await;
    refused(&answer, 400, "XAmzContentSHA256Mismatch", "a hash of other bytes");
    let streaming = [("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")];
    refused(
        &raw_request(gate, "PUT", &target, &streaming, b"forged").await,
        411,
        "MissingContentLength",
        "not chunked",
    );
    let framed =
        [("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("x-amz-decoded-content-length", "6")];
    let answer = raw_request(gate, "PUT", &target, &framed, b"6;chunk-signature=00\r\nforged\r\n").await;
    // The framing's own header rides unsigned on a presigned URL: refused by name.
    refused(&answer, 403, "AccessDenied", "an unsigned x-amz-decoded-content-length");
    assert!(!data.join(BUCKET).join("hashed/a.txt").exists());
    // The body the hash was made of is stored.
    let answer = raw_request(gate, "PUT", &target, &[("x-amz-content-sha256", &hash)], b"real").await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(std::fs::read(data.join(BUCKET).join("hashed/a.txt")).unwrap(), b"real");
}

/// Found by probing: the store did not tie a multipart upload to its bucket and key, so a
/// URL for the tester's own key, carrying another upload's id, added parts to, listed,
/// completed (into a readable key) or aborted an upload into the payroll bucket.
async fn an_upload_belongs_to_its_key(gate: &Gate, data: &Path) {
    let create = boto3_presign(&url_args(gate, ADMIN, "create_multipart_upload", PAYROLL, Some("2027.csv"), json!({})));
    let r = http().post(create).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let xml = r.text().await.unwrap();
    let upload_id = xml.split("<UploadId>").nth(1).and_then(|s| s.split('<').next()).unwrap().to_owned();
    let id = json!({"UploadId": upload_id});
    let part = json!({"UploadId": upload_id, "PartNumber": 1});
    let urls = boto3_presign_many(&[
        url_args(gate, ADMIN, "upload_part", PAYROLL, Some("2027.csv"), part.clone()),
        url_args(gate, TESTER, "upload_part", BUCKET, Some("public/x.txt"), part),
        url_args(gate, TESTER, "list_parts", BUCKET, Some("public/x.txt"), id.clone()),
        url_args(gate, TESTER, "complete_multipart_upload", BUCKET, Some("public/stolen.txt"), id.clone()),
        url_args(gate, TESTER, "abort_multipart_upload", BUCKET, Some("public/x.txt"), id.clone()),
        url_args(gate, ADMIN, "complete_multipart_upload", PAYROLL, Some("2027.csv"), id),
    ]);
    let r = http().put(&urls[0]).body("SALARY-2027").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    for (url, method, body) in [
        (&urls[1], "PUT", "TESTER-OWNED"),
        (&urls[2], "GET", ""),
        (&urls[3], "POST", complete.as_str()),
        (&urls[4], "DELETE", ""),
    ] {
        let answer = raw_request(gate, method, &path_and_query(url), &[], body.as_bytes()).await;
        assert_eq!(
            (answer.0, xml_code(&answer.1)),
            (404, "NoSuchUpload"),
            "{method} with another key's upload: {}",
            answer.1
        );
        assert!(!answer.1.contains("SALARY"));
    }
    assert!(!data.join(BUCKET).join("public/stolen.txt").exists());
    // The upload is intact: its owner completes it with the part they sent.
    let r = http().post(&urls[5]).body(complete).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(std::fs::read_to_string(data.join(PAYROLL).join("2027.csv")).unwrap(), "SALARY-2027");
}

/// Attack 7: The STS endpoint took the payload hash from the client: a captured GetCallerIdentity
/// signature, replayed with a GetSessionToken body, minted the victim's credentials.
#[tokio::test(flavor = "multi_thread")]
async fn sts_replay_with_another_body_is_refused() {
    let gate = Gate::start_with(Setup {
        extra_toml: "[sts]\nenabled = true\ntoken_key_file = \"sts.key\"\n".into(),
        ..Setup::default()
    });
    let original = "Action=GetCallerIdentity&Version=2011-06-15";
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sts_capture.py");
    let out = std::process::Command::new(python())
        .arg(script)
        .arg(json!({"endpoint": gate.url(""), "body": original}).to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let captured: Value = serde_json::from_slice(&out.stdout).unwrap();
    let headers: Vec<(String, String)> = captured["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let send = |body: &'static str, extra: Option<(String, String)>| {
        let mut h: Vec<(String, String)> = headers.clone();
        h.extend(extra);
        let gate = &gate;
        async move {
            let refs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            raw_request(gate, "POST", "/", &refs, body.as_bytes()).await
        }
    };
    // As captured, it is valid.
    let answer = send(original, None).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert!(answer.1.contains("GetCallerIdentityResult"));

    let stolen = "Action=GetSessionToken&DurationSeconds=129600&Version=2011-06-15";
    let claimed = hex::encode(sha2::Sha256::digest(original.as_bytes()));
    let answer = send(stolen, Some(("x-amz-content-sha256".into(), claimed))).await;
    assert_eq!((answer.0, xml_code(&answer.1)), (400, "XAmzContentSHA256Mismatch"), "{}", answer.1);
    assert!(!answer.1.contains("SecretAccessKey"), "credentials were minted: {}", answer.1);
    // Without the claimed hash the signature does not cover the new body.
    let answer = send(stolen, None).await;
    assert_eq!((answer.0, xml_code(&answer.1)), (403, "SignatureDoesNotMatch"), "{}", answer.1);
    assert!(!answer.1.contains("SecretAccessKey"));
}

/// Keys the embedded store's file layout cannot hold get a 4xx that names its limit, and
/// nothing is written; `f` and `f/child` cannot both be objects there.
async fn embedded_layout_limits(gate: &Gate, data: &Path) {
    let long_segment = "s".repeat(300);
    let long_key = format!("deep/{}", "k/".repeat(60));
    let long_key = long_key.trim_end_matches('/');
    let cases = [
        url_args(gate, ADMIN, "put_object", BUCKET, Some(&long_segment), json!({})),
        url_args(gate, ADMIN, "put_object", BUCKET, Some(long_key), json!({})),
        url_args(gate, ADMIN, "put_object", BUCKET, Some("f"), json!({})),
        url_args(gate, ADMIN, "put_object", BUCKET, Some("f/child"), json!({})),
        url_args(gate, ADMIN, "get_object", BUCKET, Some("f/child"), json!({})),
        url_args(gate, ADMIN, "put_object", BUCKET, Some("g/child"), json!({})),
        url_args(gate, ADMIN, "put_object", BUCKET, Some("g"), json!({})),
        url_args(gate, ADMIN, "get_object", BUCKET, Some("g"), json!({})),
        url_args(gate, ADMIN, "put_object", BUCKET, Some("nul\u{0}byte"), json!({})),
    ];
    let urls = boto3_presign_many(&cases);
    let put = |i: usize| {
        let url = urls[i].clone();
        async move { http().put(url).body("layout").send().await.unwrap() }
    };
    for i in [0, 1] {
        let r = put(i).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!((status, xml_code(&body)), (400, "KeyTooLongError"), "{body}");
        assert!(body.contains("embedded store"), "the refusal names the store's limit: {body}");
    }
    assert!(!data.join(BUCKET).join(&long_segment).exists());
    assert_eq!(put(2).await.status(), 200);
    let r = put(3).await;
    assert_eq!(r.status(), 400, "f/child while f exists");
    assert!(r.text().await.unwrap().contains("embedded store"));
    assert_eq!(http().get(&urls[4]).send().await.unwrap().status(), 404);
    assert_eq!(put(5).await.status(), 200);
    assert_eq!(put(6).await.status(), 400, "g while g/child exists");
    assert_eq!(http().get(&urls[7]).send().await.unwrap().status(), 404);
    let answer = raw_request(gate, "PUT", &path_and_query(&urls[8]), &[], b"nul").await;
    refused(&answer, 400, "InvalidArgument", "NUL in a key");
    assert_eq!(std::fs::read_to_string(data.join(BUCKET).join("f")).unwrap(), "layout");
    assert_eq!(std::fs::read_to_string(data.join(BUCKET).join("g/child")).unwrap(), "layout");

    // s3s-fs panics on an empty or non-ASCII delimiter: S3 reads the empty one as none (the
    // gate drops it), and the store refuses what it cannot cut.
    let list =
        |delimiter: &str| url_args(gate, ADMIN, "list_objects_v2", BUCKET, None, json!({"Delimiter": delimiter}));
    let cafe = boto3_presign_many(&[url_args(gate, ADMIN, "put_object", BUCKET, Some("café/menu"), json!({}))]);
    assert_eq!(http().put(&cafe[0]).body("menu").send().await.unwrap().status(), 200);
    let urls = boto3_presign_many(&[list(""), list("é"), list("ab"), list("/")]);
    assert!(urls[0].contains("delimiter=&") || urls[0].ends_with("delimiter="), "{}", urls[0]);
    for (url, status) in urls.iter().zip([200, 400, 400, 200]) {
        let r = http().get(url).send().await.unwrap();
        let code = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(code, status, "{url}: {body}");
        if status == 200 {
            assert!(body.contains("<Key>f</Key>"), "{body}");
        } else {
            assert_eq!(xml_code(&body), "InvalidArgument", "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_store_limits_are_4xx_never_5xx() {
    let (gate, data) = embedded();
    embedded_layout_limits(&gate, &data).await;
    let (gate, data) = remote().await;
    embedded_layout_limits(&gate, data.path()).await;
}

/// `check-config` says how keys are treated, and the embedded store cannot be opaque.
#[test]
fn check_config_explains_the_key_rules() {
    let gate = Gate::start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .args(["check-config", "--config"])
        .arg(gate.dir.path().join("gate.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("keys: strict"), "{text}");
    let toml = std::fs::read_to_string(gate.dir.path().join("gate.toml")).unwrap();
    let bad = toml.replace("kind = \"embedded\"", "kind = \"embedded\"\nopaque_keys = true");
    std::fs::write(gate.dir.path().join("bad.toml"), bad).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .args(["check-config", "--config"])
        .arg(gate.dir.path().join("bad.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("store.opaque_keys"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

//! Bugs other S3 servers and gateways shipped, one test each, named after the peer's issue,
//! asserting what S3 does. The URLs come from boto3 (its clock set where a date in the past
//! or future is the point) or, where the URL must be well signed but break one rule
//! boto3 would not break, from the project's own signer.
//!
//! Where `errors.rs` already checks the same error row in passing, the test here is the
//! named, focused one: it also shows that nothing reached the store.

mod support;

use outpost_gate::time::UnixTime;
use serde_json::json;
use support::*;

const DAY: i64 = 86_400;

fn now_secs() -> i64 {
    UnixTime::now().0
}

/// A boto3 (SigV4) URL for `key` in the test bucket, signed as if at `signed_at`.
fn boto3_url(gate: &Gate, method: &str, key: &str, expires: i64, signed_at: i64) -> String {
    boto3_presign(&json!({
        "endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": key,
        "expires": expires, "signed_at": signed_at,
    }))
}

async fn get(url: &str) -> (u16, String) {
    let r = http().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn element<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    Some(&body[start..start + body[start..].find(&format!("</{name}>"))?])
}

/// Stores `body` under `key` through the gate and returns the gate.
async fn gate_with(key: &str, body: &str) -> Gate {
    let gate = Gate::start();
    put(&gate, key, body).await;
    gate
}

async fn put(gate: &Gate, key: &str, body: &str) {
    let r = http().put(gate.presign("PUT", key, 60, UnixTime::now())).body(body.to_owned()).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// `url` with the raw value of one query parameter replaced.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let parts: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k == name => format!("{k}={value}"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

/// minio/minio#5162: 604801 seconds was accepted. S3 takes at most 604800 (seven days).
#[tokio::test]
async fn minio_5162_expires_of_604801_seconds_is_refused() {
    let gate = gate_with("week", "seven days").await;
    let week = boto3_url(&gate, "get_object", "week", 604_800, now_secs());
    assert_eq!(get(&week).await, (200, "seven days".to_owned()));
    // Well signed over 604801: the only fault is the length.
    let (status, body) = get(&gate.presign("GET", "week", 604_801, UnixTime::now())).await;
    assert_eq!((status, xml_code(&body)), (400, "AuthorizationQueryParametersError"), "{body}");
    assert!(body.contains("X-Amz-Expires must be less than a week (in seconds)"), "{body}");
}

/// minio/minio#2638: a URL dated ahead of the server's clock by more than the allowed skew
/// is "not yet valid" (S3: 403 AccessDenied), never served.
#[tokio::test]
async fn minio_2638_a_url_dated_in_the_future_is_not_yet_valid() {
    let gate = gate_with("later", "not yet").await;
    let (status, body) = get(&boto3_url(&gate, "get_object", "later", 3600, now_secs() + 2 * 3600)).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");
    assert_eq!(element(&body, "Message"), Some("Request is not yet valid"), "{body}");
    assert!(!body.contains("not yet\n") && !body.contains(">not yet<"), "the object was served: {body}");
}

/// s3s-project/s3s#216: a client clock slightly ahead of the server's made fresh URLs fail.
/// S3 accepts dates up to its skew allowance (15 minutes) ahead.
#[tokio::test]
async fn s3s_216_a_url_dated_slightly_ahead_works() {
    let gate = gate_with("ahead", "from the future").await;
    for ahead in [2, 60, 600] {
        let url = boto3_url(&gate, "get_object", "ahead", 300, now_secs() + ahead);
        assert_eq!(get(&url).await, (200, "from the future".to_owned()), "{ahead} s ahead");
    }
    // Header auth too: boto3's put_object with its clock 60 s ahead.
    let r = boto3_calls(
        &gate,
        json!({"signed_at": now_secs() + 60, "calls": [{"op": "head_object", "params": {"Bucket": BUCKET, "Key": "ahead"}}]}),
    );
    assert_eq!(r[0]["ok"], true, "{}", r[0]);
}

/// gaul/s3proxy#648: the header-auth skew window (15 minutes) was applied to presigned
/// dates, so a URL failed 15 minutes after signing whatever its X-Amz-Expires. A seven-day
/// URL signed days ago must still work; one signed eight days ago must not.
#[tokio::test]
async fn s3proxy_648_a_seven_day_url_signed_days_ago_works() {
    let gate = gate_with("shared", "still shared").await;
    let five_days_ago = boto3_url(&gate, "get_object", "shared", 604_800, now_secs() - 5 * DAY);
    assert_eq!(get(&five_days_ago).await, (200, "still shared".to_owned()));
    let eight_days_ago = boto3_url(&gate, "get_object", "shared", 604_800, now_secs() - 8 * DAY);
    let (status, body) = get(&eight_days_ago).await;
    assert_eq!((status, element(&body, "Message")), (403, Some("Request has expired")), "{body}");
}

/// noobaa/noobaa-core#8490: the URL's date was parsed wrongly, which both broke URLs after
/// 15 minutes and left expiry unchecked. A one-hour URL works 20 minutes after signing,
/// is refused two hours after, and a date that does not parse is a 400, never a pass.
#[tokio::test]
async fn noobaa_8490_an_unparseable_date_never_disables_expiry() {
    let gate = gate_with("hour", "an hour").await;
    let fresh = boto3_url(&gate, "get_object", "hour", 3600, now_secs() - 20 * 60);
    assert_eq!(get(&fresh).await, (200, "an hour".to_owned()));
    let stale = boto3_url(&gate, "get_object", "hour", 3600, now_secs() - 2 * 3600);
    assert_eq!(get(&stale).await.0, 403);
    let date = stale.split("X-Amz-Date=").nth(1).unwrap()[..16].to_owned();
    for bad in [
        "",
        &date[..15],                               // no Z
        &format!("{}z", &date[..15]),              // lower-case z
        &format!("{date}0"),                       // trailing digit
        &format!("{}-{}", &date[..8], &date[9..]), // a dash for the T
        "2026-11-30T10:00:00Z",
        "NaN",
        "1764496800",
        "%FF%FE",
    ] {
        let (status, body) = get(&with_param(&stale, "X-Amz-Date", bad)).await;
        assert_eq!((status, xml_code(&body)), (400, "AuthorizationQueryParametersError"), "X-Amz-Date={bad}: {body}");
    }
}

/// versity/versitygw#2116: the expired error lacked S3's extra elements. S3 says
/// `X-Amz-Expires`, `Expires` (when it expired) and `ServerTime`.
#[tokio::test]
async fn versitygw_2116_an_expired_url_says_when_and_why() {
    let gate = Gate::start();
    let signed_at = now_secs() - 3600;
    let (status, body) = get(&boto3_url(&gate, "get_object", "k", 100, signed_at)).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");
    assert_eq!(element(&body, "Message"), Some("Request has expired"));
    assert_eq!(element(&body, "X-Amz-Expires"), Some("100"));
    let expired_at = UnixTime(signed_at + 100).iso8601().to_string();
    assert_eq!(element(&body, "Expires"), Some(expired_at.as_str()));
    let server_time = element(&body, "ServerTime").unwrap();
    assert!(server_time.len() == 20 && server_time.ends_with('Z') && server_time > expired_at.as_str(), "{body}");
    assert_eq!(element(&body, "RequestId").map(str::len), Some(16), "{body}");
}

/// ceph/s3-tests#462: a malformed X-Amz-Expires is the client's syntax error (400
/// AuthorizationQueryParametersError), not a 403.
#[tokio::test]
async fn ceph_462_a_bad_expires_is_400_not_403() {
    let gate = gate_with("k", "v").await;
    let url = boto3_url(&gate, "get_object", "k", 60, now_secs());
    for bad in ["", "ten", "-1", "0", "1.5", "604801", "99999999999999999999999", "%20%2060", "0x10"] {
        let (status, body) = get(&with_param(&url, "X-Amz-Expires", bad)).await;
        assert_eq!(
            (status, xml_code(&body)),
            (400, "AuthorizationQueryParametersError"),
            "X-Amz-Expires={bad}: {body}"
        );
    }
}

/// minio/minio#7857: behind a proxy that rewrote Host, signatures failed. The Host is
/// signed, so S3 refuses a request whose Host is not the one signed, and no forwarding
/// header stands in for it; the gate itself re-signs toward its store, so its own hop
/// rewriting Host is no problem (the store answers 200 with the object).
#[tokio::test]
async fn minio_7857_a_rewritten_host_does_not_verify() {
    let gate = gate_with("hosted", "host bound").await;
    let url = boto3_url(&gate, "get_object", "hosted", 60, now_secs());
    let target = path_and_query(&url);
    let (status, body) = raw_request(&gate, "GET", &target, &[], b"").await;
    assert_eq!((status, body.as_str()), (200, "host bound"));
    let port = gate.addr.rsplit_once(':').unwrap().1;
    let rewritten = format!("localhost:{port}");
    for headers in [
        vec![("Host", rewritten.as_str())],
        vec![("Host", rewritten.as_str()), ("X-Forwarded-Host", gate.addr.as_str())],
        vec![("Host", "127.0.0.1")],
    ] {
        let (status, body) = raw_request(&gate, "GET", &target, &headers, b"").await;
        assert_eq!((status, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{headers:?}: {body}");
        assert!(!body.contains("host bound"), "{body}");
    }
}

/// minio/minio#12924: an `x-amz-acl` header the signature did not cover was honoured. S3
/// refuses every unsigned `x-amz-*` header (but `x-amz-content-sha256` on a presigned
/// URL), and the object is not written.
#[tokio::test]
async fn minio_12924_an_unsigned_x_amz_acl_is_refused() {
    let gate = Gate::start();
    let url = boto3_url(&gate, "put_object", "acl", 60, now_secs());
    let r = http().put(&url).header("x-amz-acl", "public-read-write").body("public?").send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert_eq!(xml_code(&body), "AccessDenied", "{body}");
    assert_eq!(element(&body, "Message"), Some("There were headers present in the request which were not signed"));
    assert_eq!(element(&body, "HeadersNotSigned"), Some("x-amz-acl"), "{body}");
    let (status, _) = get(&gate.presign("GET", "acl", 60, UnixTime::now())).await;
    assert_eq!(status, 404, "nothing was stored");
    // Signed, the same header is the signer's choice and passes the gate.
    let signed = boto3_presign(&json!({
        "endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": "acl",
        "params": {"ACL": "private"},
    }));
    let r = http().put(&signed).header("x-amz-acl", "private").body("private").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// minio/minio#6011: signatures failed for keys and secrets with special characters. A
/// secret full of TOML- and URL-significant characters, and keys with every reserved
/// character, work presigned and header-signed.
#[tokio::test]
async fn minio_6011_special_characters_in_keys_and_secrets() {
    const SPECIAL_AK: &str = "AKIASPECIAL000000001";
    const SPECIAL_SK: &str = r#"a+b/c=d&e?f#g%h"i\j'k<l>m;n,o:p@q$r!s*t(u)v[w]x{y}z|^~`"#;
    let toml_secret = SPECIAL_SK.replace('\\', "\\\\").replace('"', "\\\"");
    let gate = Gate::start_with(Setup {
        extra_toml: format!(
            "[[users]]\narn = \"arn:aws:iam::{ACCOUNT}:user/special\"\npolicies = [\"policies/user.json\"]\naccess_keys = [{{ id = \"{SPECIAL_AK}\", secret = \"{toml_secret}\" }}]\n"
        ),
        ..Setup::default()
    });
    let keys = [
        "6011/a+b c=d&e?f#g%h",
        "6011/'quoted' \"double\" <angle> [square] {curly}",
        "6011/!$&'()*+,;=:@",
        // (A backslash is refused in front of a store that maps keys to files: `same_request.rs`.)
        "6011/~tilde^caret`tick|pipe",
        "6011/é ü 日本語 😀",
    ];
    for (i, key) in keys.iter().enumerate() {
        let body = format!("object {i}");
        let put_url = boto3_presign(&json!({
            "endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": key,
            "access_key": SPECIAL_AK, "secret_key": SPECIAL_SK,
        }));
        let r = http().put(&put_url).body(body.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200, "{key}: {}", r.text().await.unwrap());
        let get_url = boto3_presign(&json!({
            "endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": key,
            "access_key": SPECIAL_AK, "secret_key": SPECIAL_SK,
        }));
        assert_eq!(get(&get_url).await, (200, body), "{key}");
    }
    // Header-signed by boto3 with the same secret: read each back, and list them.
    let calls: Vec<_> =
        keys.iter().map(|k| json!({"op": "get_object", "params": {"Bucket": BUCKET, "Key": k}})).collect();
    let mut calls = calls;
    calls.push(json!({"op": "list_objects_v2", "params": {"Bucket": BUCKET, "Prefix": "6011/"}}));
    let results = boto3_calls(&gate, json!({"access_key": SPECIAL_AK, "secret_key": SPECIAL_SK, "calls": calls}));
    for r in &results {
        assert_eq!(r["ok"], true, "{r}");
    }
    // And a wrong secret that differs only in its last character still fails.
    let wrong = boto3_presign(&json!({
        "endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": keys[0],
        "access_key": SPECIAL_AK, "secret_key": SPECIAL_SK.replace('`', "'"),
    }));
    let (status, body) = get(&wrong).await;
    assert_eq!((status, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{body}");
}

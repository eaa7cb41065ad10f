//! Policies with conditions, end to end: the real gate, URLs presigned by boto3, and the
//! two example policies from the S3 on Outposts and IAM documentation, each shown allowing
//! on one side of its boundary and denying on the other. Also `explain`, and access point
//! policies against bucket policies.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use support::{
    ACCOUNT, AK, AP, BUCKET, Gate, OUTPOST, REGION, SK, Setup, ap_host, boto3_presign, explain, http, http_from,
};

fn now_secs() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// The S3 on Outposts bucket policy example, verbatim but for the account that presigns
/// (ours) and the names.
fn signature_age_policy() -> String {
    format!(
        r#"{{
   "Version": "2012-10-17",
   "Statement": [
      {{
         "Sid": "Deny a presigned URL request if the signature is more than 10 minutes old",
         "Effect": "Deny",
         "Principal": {{"AWS":"{ACCOUNT}"}},
         "Action": "s3-outposts:*",
         "Resource": "arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/bucket/{BUCKET}/object/*",
         "Condition": {{
            "NumericGreaterThan": {{"s3-outposts:signatureAge": 600000}},
            "StringEquals": {{"s3-outposts:authType": "REST-QUERY-STRING"}}
         }}
      }}
   ]
}}"#
    )
}

/// The IAM documentation's identity policy, verbatim but for the address range.
const NETWORK_RESTRICTION: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NetworkRestrictionForIAMPrincipal",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "NotIpAddressIfExists": {
                    "aws:SourceIp": [
                        "127.0.0.1/32"
                    ]
                },
                "BoolIfExists": {
                    "aws:ViaAWSService": "false"
                }
            }
        }
    ]
}"#;

async fn put(gate: &Gate, key: &str, body: &'static str) {
    let url = gate.presign("PUT", key, 60, outpost_gate::time::UnixTime::now());
    let r = http().put(url).body(body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

fn boto3_get(gate: &Gate, key: &str, signed_at: i64) -> String {
    boto3_presign(&json!({
        "endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": key,
        "expires": 3600, "signed_at": signed_at,
    }))
}

#[tokio::test]
async fn signature_age_policy_allows_young_and_denies_old_signatures() {
    let gate = Gate::start_with(Setup { bucket_policy: Some(signature_age_policy()), ..Setup::default() });
    put(&gate, "report.csv", "a,b\n").await;

    // Nine minutes old: under 600000 ms, allowed.
    let young = boto3_get(&gate, "report.csv", now_secs() - 540);
    let r = http().get(&young).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "a,b\n");

    // Eleven minutes old, though X-Amz-Expires (3600) still has 49 minutes to run: denied.
    let old = boto3_get(&gate, "report.csv", now_secs() - 660);
    let r = http().get(&old).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(body.contains("<Message>Access Denied</Message>"), "{body}");

    // The debug log says which statement and condition denied it, with the values compared.
    let log = gate.log();
    let line = log.lines().skip_while(|l| !l.contains("denied:")).take(8).collect::<Vec<_>>().join("\n");
    assert!(
        line.contains(r#"Deny: bucket policy statement "Deny a presigned URL request if the signature is more than 10 minutes old": s3-outposts:signatureAge 66"#),
        "{log}"
    );
    assert!(line.contains("NumericGreaterThan 600000"), "{line}");
}

#[tokio::test]
async fn network_restriction_identity_policy_follows_the_source_address() {
    let gate =
        Gate::start_with(Setup { more_identity_policies: vec![NETWORK_RESTRICTION.to_owned()], ..Setup::default() });
    put(&gate, "inside.txt", "from 127.0.0.1").await;
    let url = boto3_get(&gate, "inside.txt", now_secs());

    let r = http_from("127.0.0.1").get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "from 127.0.0.1");

    // The same URL from another address is outside the range: the Deny applies.
    let r = http_from("127.0.0.2").get(&url).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("<Code>AccessDenied</Code>"));
    let log = gate.log();
    assert!(
        log.contains(r#"Deny: identity policy statement "NetworkRestrictionForIAMPrincipal": aws:SourceIp 127.0.0.2 NotIpAddressIfExists 127.0.0.1/32; aws:ViaAWSService false BoolIfExists false"#),
        "{log}"
    );
}

#[tokio::test]
async fn explain_prints_the_deciding_condition_and_exits_by_decision() {
    let gate = Gate::start_with(Setup {
        bucket_policy: Some(signature_age_policy()),
        more_identity_policies: vec![NETWORK_RESTRICTION.to_owned()],
        ..Setup::default()
    });
    let signed_at = now_secs();
    let url = boto3_get(&gate, "any.txt", signed_at);
    let at = |secs: i64| outpost_gate::time::UnixTime(secs).iso8601().to_string();

    let (code, text) = explain(&gate, &["--method", "GET", "--url", &url, "--at", &at(signed_at + 60)]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Allow: identity policy statement Statement[0]"), "{text}");
    assert!(text.contains("condition false: s3-outposts:signatureAge 60000 NumericGreaterThan 600000"), "{text}");

    let (code, text) = explain(&gate, &["--method", "GET", "--url", &url, "--at", &at(signed_at + 660)]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(r#"Deny: bucket policy statement "Deny a presigned URL request if the signature is more than 10 minutes old": s3-outposts:signatureAge 660000 NumericGreaterThan 600000"#),
        "{text}"
    );

    let (code, text) =
        explain(&gate, &["--method", "GET", "--url", &url, "--source-ip", "192.0.2.9", "--at", &at(signed_at)]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("aws:SourceIp 192.0.2.9 NotIpAddressIfExists 127.0.0.1/32"), "{text}");

    // Refusals before any policy keep their S3 error.
    let (code, text) = explain(&gate, &["--method", "GET", "--url", &url, "--at", &at(signed_at + 3601)]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("403 AccessDenied: Request has expired"), "{text}");
    // The signature itself is never printed.
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap();
    assert!(!text.contains(signature));
}

/// Denies presigned GETs of `private/*` through whichever resource policy carries it.
fn deny_private(resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"NoPrivate","Effect":"Deny","Principal":"*","Action":"s3-outposts:GetObject","Resource":"{resource}","Condition":{{"StringEquals":{{"s3-outposts:authType":"REST-QUERY-STRING"}}}}}}]}}"#
    )
}

fn ap_get(gate: &Gate, key: &str) -> reqwest::RequestBuilder {
    let arn = format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}");
    let url = boto3_presign(&json!({ "method": "get_object", "bucket": arn, "key": key }));
    let host = ap_host();
    http().get(url.replacen(&format!("https://{host}"), &gate.url(""), 1)).header("host", host)
}

#[tokio::test]
async fn access_point_policy_denies_while_the_bucket_allows() {
    let ap_objects =
        format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}/object/private/*");
    let gate = Gate::start_with(Setup { access_point_policy: Some(deny_private(&ap_objects)), ..Setup::default() });
    put(&gate, "private/x", "secret-ish").await;
    put(&gate, "public/x", "open").await;

    let r = ap_get(&gate, "private/x").send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(ap_get(&gate, "public/x").send().await.unwrap().text().await.unwrap(), "open");
    // The bucket itself (no access point on the path) still serves it.
    let r = http().get(boto3_get(&gate, "private/x", now_secs())).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "secret-ish");
    assert!(gate.log().contains(r#"Deny: access point policy statement "NoPrivate""#));
}

#[tokio::test]
async fn bucket_policy_denies_while_the_access_point_allows() {
    let bucket_objects =
        format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/bucket/{BUCKET}/object/private/*");
    let ap_allows = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/tester"}},"Action":"s3-outposts:GetObject","Resource":"arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}/object/*"}}]}}"#
    );
    let gate = Gate::start_with(Setup {
        bucket_policy: Some(deny_private(&bucket_objects)),
        access_point_policy: Some(ap_allows),
        ..Setup::default()
    });
    put(&gate, "private/y", "kept").await;
    put(&gate, "public/y", "shared").await;

    let r = ap_get(&gate, "private/y").send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(ap_get(&gate, "public/y").send().await.unwrap().text().await.unwrap(), "shared");
    assert!(gate.log().contains(r#"Deny: bucket policy statement "NoPrivate""#));
}

#[test]
fn check_config_names_an_unknown_operator_warns_on_unknown_keys_and_refuses_a_deny_that_cannot_apply() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "bad.json",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Typo","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThen":{"s3-outposts:signatureAge":1}}}]}"#,
    );
    write(
        "odd.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"s3:signatureAge":1}}}]}"#,
    );
    // A Deny on a key the gate never sets would never apply where AWS could deny: refused,
    // unless written to hold when the key is absent.
    write(
        "deny.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"s3-outposts:ExistingObjectTag/class":"secret"}}}]}"#,
    );
    write(
        "deny_if.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"s3-outposts:ExistingObjectTag/class":"secret"}}}]}"#,
    );
    let config = |policy: &str| {
        format!(
            "[server]\nlisten = [\"127.0.0.1:0\"]\n[outpost]\nregion = \"{REGION}\"\naccount_id = \"{ACCOUNT}\"\noutpost_id = \"{OUTPOST}\"\n[store]\nkind = \"embedded\"\ndata_dir = \"data\"\n[[buckets]]\nname = \"{BUCKET}\"\n[[users]]\narn = \"arn:aws:iam::{ACCOUNT}:user/u\"\npolicies = [\"{policy}\"]\naccess_keys = [{{ id = \"AKIAIOSFODNN7EXAMPLE\", secret = \"s\" }}]\n"
        )
    };
    write("bad.toml", &config("bad.json"));
    write("odd.toml", &config("odd.json"));
    write("deny.toml", &config("deny.json"));
    write("deny_if.toml", &config("deny_if.json"));
    let run = |name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
            .args(["check-config", "--config"])
            .arg(dir.path().join(name))
            .output()
            .unwrap()
    };
    let out = run("bad.toml");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml: users[0].policies[0]: bad.json: Statement[0].Condition.NumericGreaterThen: unknown condition operator \"NumericGreaterThen\""), "{err}");
    let out = run("odd.toml");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning:") && err.contains("s3:signatureAge"), "{err}");
    let out = run("deny.toml");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Statement[0].Condition.StringEquals: a Deny conditioned on") && err.contains("IfExists"),
        "{err}"
    );
    let out = run("deny_if.toml");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// S3 asks for `PutObjectTagging` as well when a write tags its object; a user who may only
/// put gets 403 for the tagged write and 200 for the plain one.
#[tokio::test]
async fn a_tagged_write_needs_put_object_tagging_too() {
    let put_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3-outposts:PutObject",
            "Resource":"arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/bucket/{BUCKET}/object/*"}}]}}"#
    );
    for (policy, tagged_status) in [(Some(put_only), 403), (None, 200)] {
        let gate = Gate::start_with(Setup { identity_policy: policy, ..Setup::default() });
        // boto3 signs `x-amz-tagging` into the URL; the client must then send it.
        let tagged_url = boto3_presign(&json!({"endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET,
                                               "key": "tagged.txt", "params": {"Tagging": "team=blue"}}));
        let tagged = http().put(tagged_url).header("x-amz-tagging", "team=blue").body("t").send().await.unwrap();
        assert_eq!(tagged.status(), tagged_status, "{}", tagged.text().await.unwrap());
        let plain_url = gate.presign("PUT", "plain.txt", 60, outpost_gate::time::UnixTime::now());
        let plain = http().put(plain_url).body("p").send().await.unwrap();
        assert_eq!(plain.status(), 200, "{}", plain.text().await.unwrap());
    }
}

/// A copy's source is judged in its own context: the destination's access point must not
/// lend it the bucket policy's delegation to access points (`DataAccessPointAccount`).
#[tokio::test]
async fn a_copy_source_is_not_read_through_the_destinations_access_point() {
    let ap = format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}");
    let bucket = format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/bucket/{BUCKET}");
    // AWS's usual delegation: the bucket allows whatever comes through its account's
    // access points; the access point allows the tester `mallory/*`; the tester's own
    // policy allows nothing.
    let gate = Gate::start_with(Setup {
        identity_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
        bucket_policy: Some(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3-outposts:*",
                "Resource":["{bucket}","{bucket}/object/*"],
                "Condition":{{"StringEquals":{{"s3-outposts:DataAccessPointAccount":"{ACCOUNT}"}}}}}}]}}"#
        )),
        access_point_policy: Some(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/tester"}},
                "Action":["s3-outposts:GetObject","s3-outposts:PutObject"],"Resource":"{ap}/object/mallory/*"}}]}}"#
        )),
        ..Setup::default()
    });
    let secret = gate.dir.path().join("data").join(BUCKET).join("private");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("payroll"), "TOP-SECRET").unwrap();
    let through_ap = |method: &str, key: &str, params: serde_json::Value| {
        let url = boto3_presign(&json!({ "method": method, "bucket": ap, "key": key, "params": params }));
        url.replacen(&format!("https://{}", ap_host()), &gate.url(""), 1)
    };
    // The access point serves the tester's own prefix, and the bucket alone nothing.
    let own = http().put(through_ap("put_object", "mallory/own", json!({}))).header("host", ap_host()).body("mine");
    assert_eq!(own.send().await.unwrap().status(), 200);
    let direct = http().get(boto3_get(&gate, "private/payroll", now_secs())).send().await.unwrap();
    assert_eq!(direct.status(), 403);

    let source = format!("{BUCKET}/private/payroll");
    let copy_url = through_ap("copy_object", "mallory/loot", json!({"CopySource": source}));
    let copy =
        http().put(copy_url).header("host", ap_host()).header("x-amz-copy-source", &source).send().await.unwrap();
    let status = copy.status();
    assert_eq!(status, 403, "{}", copy.text().await.unwrap());
    assert!(!gate.dir.path().join("data").join(BUCKET).join("mallory/loot").exists());
}

/// PutObjectTagging's tag set is its body: an `x-amz-tagging` header beside it, which the
/// tag conditions would read while the store applies the body, is refused.
#[tokio::test]
async fn put_object_tagging_is_not_judged_by_a_tagging_header() {
    let gate = Gate::start();
    put(&gate, "tagged", "t").await;
    let secret = outpost_gate::secret::SecretKey::new(SK);
    let signer = outpost_gate::sigv4::Signer { access_key_id: AK, secret: &secret, region: REGION, service: "s3" };
    let path = format!("/{BUCKET}/tagged");
    let now = outpost_gate::time::UnixTime::now();
    let url = signer.presign_url("PUT", "http", &gate.addr, &path, &[("tagging", "")], 60, None, now);
    let body = "<Tagging><TagSet><Tag><Key>class</Key><Value>secret</Value></Tag></TagSet></Tagging>";
    let r = http().put(&url).header("x-amz-tagging", "class=public").body(body).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("<Code>InvalidArgument</Code>") && text.contains("<ArgumentName>x-amz-tagging"), "{text}");

    // Likewise a grant or an object lock, which S3 honours only with a permission the gate
    // does not carry: S3's 501 for an unimplemented header, nothing stored.
    // boto3 signs the ACL header into the URL (an unsigned one is HeadersNotSigned first).
    let put_url = boto3_presign(&json!({"endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET,
                                        "key": "public-now", "params": {"ACL": "public-read-write"}}));
    let r = http().put(put_url).header("x-amz-acl", "public-read-write").body("x").send().await.unwrap();
    assert_eq!(r.status(), 501);
    assert!(r.text().await.unwrap().contains("<Header>x-amz-acl</Header>"));
    assert!(!gate.dir.path().join("data").join(BUCKET).join("public-now").exists());
}

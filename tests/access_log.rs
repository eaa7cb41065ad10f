//! The access log: one line per request on stdout, written when the request has ended,
//! with the fields INTERFACE.md names, in JSON or text; and never a secret, a signature, a
//! session token or a query string anywhere in the gate's output.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::*;

const MIB: usize = 1024 * 1024;

fn json_gate() -> Gate {
    Gate::start_with(Setup {
        extra_toml: "[log]\nformat = \"json\"\n\n[sts]\nenabled = true\ntoken_key_file = \"sts.key\"\n".into(),
        // Every crate at debug, the embedded store's too: none may log a signature.
        log_filter: Some("debug"),
        ..Setup::default()
    })
}

fn presigned(gate: &Gate, method: &str, key: &str, creds: Option<&Value>) -> String {
    let mut args = json!({"endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": key});
    if let Some(c) = creds {
        args["access_key"] = c["AccessKeyId"].clone();
        args["secret_key"] = c["SecretAccessKey"].clone();
        args["session_token"] = c["SessionToken"].clone();
    }
    boto3_presign(&args)
}

/// The line whose `request_id` is the one the response carried.
fn line_for<'a>(lines: &'a [Value], request_id: &str) -> &'a Value {
    let found: Vec<&Value> = lines.iter().filter(|l| l["request_id"] == request_id).collect();
    assert_eq!(found.len(), 1, "exactly one line for {request_id}: {lines:#?}");
    found[0]
}

fn request_id(r: &reqwest::Response) -> String {
    r.headers()["x-amz-request-id"].to_str().unwrap().to_owned()
}

fn signature_of(url: &str) -> String {
    url.split("X-Amz-Signature=").nth(1).unwrap().split('&').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_gets_one_json_line_when_it_ends() {
    let gate = json_gate();
    let mut urls = Vec::new();

    // An upload: bytes in counted.
    let body = vec![5u8; 300 * 1024];
    let put = presigned(&gate, "put_object", "logs/a.bin", None);
    let r = http().put(&put).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let put_id = request_id(&r);
    urls.push(put);

    // A download read to its end: bytes out counted.
    let get = presigned(&gate, "get_object", "logs/a.bin", None);
    let r = http().get(&get).send().await.unwrap();
    let get_id = request_id(&r);
    assert_eq!(r.bytes().await.unwrap().len(), body.len());
    urls.push(get);

    // A refusal: the claimed key, the error code, no principal.
    let bad = gate.presign("GET", "logs/a.bin", 60, outpost_gate::time::UnixTime::now());
    let bad = bad.replace("X-Amz-Signature=", "X-Amz-Signature=f");
    let r = http().get(&bad).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let bad_id = request_id(&r);
    urls.push(bad);

    // A session's URL (temporary credentials from the gate's STS, through boto3).
    let creds =
        boto3_sts(&json!({"endpoint": gate.url(""), "call": "get_session_token", "params": {}}))["Credentials"].clone();
    let token = creds["SessionToken"].as_str().unwrap().to_owned();
    let session_get = presigned(&gate, "get_object", "logs/a.bin", Some(&creds));
    let r = http().get(&session_get).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let session_id = request_id(&r);
    r.bytes().await.unwrap();
    urls.push(session_get);

    // A download the client walks away from.
    let big = vec![9u8; 48 * MIB];
    let put_big = presigned(&gate, "put_object", "logs/big.bin", None);
    assert_eq!(http().put(&put_big).body(big).send().await.unwrap().status(), 200);
    urls.push(put_big);
    let get_big = presigned(&gate, "get_object", "logs/big.bin", None);
    let r = http().get(&get_big).send().await.unwrap();
    let abandoned_id = request_id(&r);
    let mut stream = r.bytes_stream();
    let mut got = 0;
    while got < MIB {
        got += stream.next().await.unwrap().unwrap().len();
    }
    drop(stream);
    urls.push(get_big);
    // The abandoned download's line is written when the gate sees the client gone.
    let seen = wait_until(Duration::from_secs(15), || {
        gate.access_json().iter().any(|l| l["request_id"] == abandoned_id.as_str())
    });
    assert!(seen, "no line for the abandoned download");

    let lines = gate.access_json();
    let keys = [
        "request_id",
        "time",
        "client",
        "principal",
        "access_key_id",
        "auth_type",
        "action",
        "resource",
        "decision",
        "status",
        "bytes_in",
        "bytes_out",
        "duration_ms",
        "outcome",
    ];
    for l in &lines {
        for k in keys {
            assert!(l.get(k).is_some(), "{k} missing from {l}");
        }
    }
    let arn =
        |key: &str| format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/bucket/{BUCKET}/object/{key}");

    let put = line_for(&lines, &put_id);
    assert_eq!(put["action"], "s3-outposts:PutObject");
    assert_eq!(put["method"], "PUT");
    assert_eq!(put["principal"], format!("arn:aws:iam::{ACCOUNT}:user/tester"));
    assert_eq!(put["access_key_id"], AK);
    assert_eq!(put["auth_type"], "REST-QUERY-STRING");
    assert_eq!(put["resource"], arn("logs/a.bin"));
    assert_eq!(put["decision"], "allow");
    assert_eq!(put["status"], 200);
    assert_eq!(put["bytes_in"], body.len());
    assert_eq!(put["outcome"], "complete");
    assert!(put["signature_age_ms"].as_i64().unwrap() >= 0);
    assert!(put["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(put["time"].as_str().unwrap().ends_with('Z'));

    let get = line_for(&lines, &get_id);
    assert_eq!((get["status"].as_u64(), get["bytes_out"].as_u64()), (Some(200), Some(body.len() as u64)));
    assert_eq!((get["bytes_in"].as_u64(), get["outcome"].as_str()), (Some(0), Some("complete")));

    let bad = line_for(&lines, &bad_id);
    assert_eq!(bad["status"], 403);
    assert_eq!(bad["error"], "SignatureDoesNotMatch");
    assert_eq!(bad["access_key_id"], AK);
    assert_eq!(bad["principal"], Value::Null);
    assert_eq!(bad["decision"], Value::Null);

    let session = line_for(&lines, &session_id);
    assert_eq!(session["principal"], format!("arn:aws:iam::{ACCOUNT}:user/tester"));
    assert!(session["access_key_id"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(session["outcome"], "complete");

    let abandoned = line_for(&lines, &abandoned_id);
    assert_eq!(abandoned["outcome"], "aborted_by_client", "{abandoned}");
    let sent = abandoned["bytes_out"].as_u64().unwrap();
    assert!(sent >= MIB as u64 && sent < 48 * MIB as u64, "{abandoned}");

    // The STS call has its line too, as header auth.
    assert!(lines.iter().any(|l| l["action"] == "sts:GetSessionToken" && l["auth_type"] == "REST-HEADER"));

    // Nothing secret anywhere in the gate's output: diagnostics and access lines.
    let log = gate.log();
    assert!(log.contains(&put_id), "the log was read");
    for secret in [SK, NOBODY_SK, token.as_str(), creds["SecretAccessKey"].as_str().unwrap()] {
        assert!(!log.contains(secret), "a secret or token is in the log");
    }
    for u in &urls {
        assert!(!log.contains(&signature_of(u)), "a signature is in the log");
    }
    assert!(!log.contains("X-Amz-Signature") && !log.contains("X-Amz-Credential"), "a query string is in the log");
    // The gate's own signature toward the store (its `Authorization` header) neither.
    assert!(!log.contains("Signature="), "a store signature is in the log");
}

#[tokio::test]
async fn text_lines_say_the_same_fields() {
    let gate = Gate::start();
    let r = http().get(gate.url("/_gate/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let r = http().get(gate.url("/no-such-bucket/k")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let missing = request_id(&r);

    let lines = gate.access_lines();
    let health = lines.iter().find(|l| l.contains(&format!("request_id={id} "))).expect("a line for the health check");
    assert!(health.starts_with("time="), "{health}");
    assert!(health.contains(" status=200 ") && health.ends_with(" outcome=complete"), "{health}");
    assert!(health.contains(" bytes_out=3 "), "{health}");
    let missing = lines.iter().find(|l| l.contains(&format!("request_id={missing} "))).unwrap();
    assert!(missing.contains(" status=404 error=NoSuchBucket "), "{missing}");
    assert!(missing.contains(" principal=- access_key_id=- "), "{missing}");
}

#[tokio::test]
async fn the_log_format_is_checked_and_switched_by_a_reload() {
    let gate = Gate::start();
    let config = gate.dir.path().join("gate.toml");
    let text = std::fs::read_to_string(&config).unwrap();

    // A format the gate does not know is a load error naming the key.
    std::fs::write(&config, format!("{text}\n[log]\nformat = \"xml\"\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("log.format: \"xml\": expected \"text\" or \"json\""), "{said}");
    // …and a reload to it keeps the text lines.
    assert!(!gate.sighup(1));
    http().get(gate.url("/_gate/healthz")).send().await.unwrap();
    assert!(gate.access_lines().last().unwrap().starts_with("time="));

    std::fs::write(&config, format!("{text}\n[log]\nformat = \"json\"\n")).unwrap();
    assert!(gate.sighup(2));
    let r = http().get(gate.url("/_gate/healthz")).send().await.unwrap();
    let id = request_id(&r);
    let last: Value = serde_json::from_str(gate.access_lines().last().unwrap()).unwrap();
    assert_eq!(last["request_id"], id);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_the_client_abandons_is_its_abort_not_the_stores() {
    use tokio::io::AsyncWriteExt;
    let gate = json_gate();
    let put = presigned(&gate, "put_object", "half.bin", None);
    let path = support::path_and_query(&put);
    let mut s = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    let head = format!("PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n", gate.addr, 10 * MIB);
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&vec![4u8; MIB]).await.unwrap();
    s.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(s);
    let seen = wait_until(Duration::from_secs(15), || gate.access_json().iter().any(|l| l["method"] == "PUT"));
    assert!(seen, "no line for the abandoned upload");

    let lines = gate.access_json();
    let line = lines.iter().find(|l| l["method"] == "PUT").expect("a line for the abandoned upload");
    assert_eq!(line["outcome"], "aborted_by_client", "{line}");
    assert_eq!(line["error"], "IncompleteBody", "{line}");
    let received = line["bytes_in"].as_u64().unwrap();
    assert!(received > 0 && received <= MIB as u64, "{line}");
    let log = gate.log();
    assert!(
        !log.contains("store unreachable") && !log.contains("the store failed"),
        "a client's abort is not a store failure"
    );
    // Nothing half-written became an object.
    let get = presigned(&gate, "get_object", "half.bin", None);
    assert_eq!(http().get(&get).send().await.unwrap().status(), 404);
}

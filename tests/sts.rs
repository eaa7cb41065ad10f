//! Temporary credentials end to end: boto3's own STS client against the gate's STS API,
//! URLs presigned by boto3 with the session credentials, URLs that die with their token,
//! two gates sharing one key file, duration limits for each kind of credentials, and
//! session keys used without or with the wrong token.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::{ACCOUNT, BUCKET, Gate, NOBODY_AK, NOBODY_SK, Setup, boto3_presign, boto3_sts, http};

const ROLE: &str = "arn:aws:iam::111122223333:role/reader";
const READER_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3-outposts:GetObject","Resource":"*"}]}"#;

fn sts_toml(key_file: &str) -> String {
    format!(
        "[sts]\nenabled = true\ntoken_key_file = \"{key_file}\"\nmin_session_secs = 1\n\n\
         [[roles]]\narn = \"{ROLE}\"\npolicies = [\"reader.json\"]\ntrusted = [\"arn:aws:iam::{ACCOUNT}:user/tester\"]\nmax_session_secs = 3600\n\n\
         [[roles]]\narn = \"arn:aws:iam::{ACCOUNT}:role/instance\"\npolicies = [\"reader.json\"]\nmax_session_secs = 21600\ninstance_profile = true\n"
    )
}

fn gate_with_sts(key_file: &str) -> Gate {
    Gate::start_with(Setup {
        extra_toml: sts_toml(key_file),
        files: vec![("reader.json".into(), READER_POLICY.into())],
        ..Setup::default()
    })
}

fn sts(gate: &Gate, call: &str, params: &Value) -> Value {
    boto3_sts(&json!({"endpoint": gate.url(""), "call": call, "params": params}))
}

fn sts_as(gate: &Gate, creds: &Value, call: &str, params: &Value) -> Value {
    boto3_sts(&json!({
        "endpoint": gate.url(""), "call": call, "params": params,
        "access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"], "session_token": creds["SessionToken"],
    }))
}

fn presign_with(gate: &Gate, creds: &Value, method: &str, key: &str) -> String {
    boto3_presign(&json!({
        "endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": key, "expires": 3600,
        "access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"], "session_token": creds["SessionToken"],
    }))
}

fn error_code(v: &Value) -> &str {
    v["Error"]["Code"].as_str().unwrap_or("")
}

async fn s3_error(url: &str) -> (u16, String) {
    let r = http().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    let code = body.split("<Code>").nth(1).and_then(|s| s.split('<').next()).unwrap_or("").to_owned();
    (status, code)
}

#[tokio::test]
async fn a_boto3_session_presigns_urls_that_work() {
    let gate = gate_with_sts("sts.key");
    let answer = sts(&gate, "get_session_token", &json!({"DurationSeconds": 900}));
    let creds = &answer["Credentials"];
    assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{answer}");

    let put = presign_with(&gate, creds, "put_object", "from-a-session");
    assert!(put.contains("X-Amz-Security-Token="), "{put}");
    let r = http().put(&put).body("minted by boto3's sts client").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http().get(presign_with(&gate, creds, "get_object", "from-a-session")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "minted by boto3's sts client");

    let me = sts_as(&gate, creds, "get_caller_identity", &json!({}));
    assert_eq!(me["Arn"], format!("arn:aws:iam::{ACCOUNT}:user/tester"), "{me}");
    assert_eq!(me["Account"], ACCOUNT);
    // A session cannot mint another session.
    assert_eq!(error_code(&sts_as(&gate, creds, "get_session_token", &json!({}))), "AccessDenied");
    // The key file was made, private.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(gate.dir.path().join("sts.key")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn assume_role_acts_with_the_roles_policies() {
    let gate = gate_with_sts("sts.key");
    let answer = sts(
        &gate,
        "assume_role",
        &json!({"RoleArn": ROLE, "RoleSessionName": "nightly-report", "DurationSeconds": 900}),
    );
    assert_eq!(
        answer["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/nightly-report"),
        "{answer}"
    );
    assert!(answer["AssumedRoleUser"]["AssumedRoleId"].as_str().unwrap().ends_with(":nightly-report"));
    let creds = &answer["Credentials"];
    let me = sts_as(&gate, creds, "get_caller_identity", &json!({}));
    assert_eq!(me["Arn"], format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/nightly-report"));

    // The reader role may get, not put.
    assert_eq!(s3_error(&presign_with(&gate, creds, "get_object", "nothing-here")).await, (404, "NoSuchKey".into()));
    let r = http().put(presign_with(&gate, creds, "put_object", "x")).body("no").send().await.unwrap();
    assert_eq!(r.status(), 403);

    // An untrusted caller.
    let denied = boto3_sts(&json!({
        "endpoint": gate.url(""), "call": "assume_role", "access_key": NOBODY_AK, "secret_key": NOBODY_SK,
        "params": {"RoleArn": ROLE, "RoleSessionName": "sneaky"},
    }));
    assert_eq!(error_code(&denied), "AccessDenied", "{denied}");
    assert_eq!(denied["Status"], 403);
    assert!(
        denied["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("user/nobody is not authorized to perform: sts:AssumeRole")
    );
}

#[tokio::test]
async fn a_url_dies_with_its_token() {
    let gate = gate_with_sts("sts.key");
    // Long enough to be used on a loaded machine (python starts twice below), short
    // enough to wait out.
    let creds = sts(&gate, "get_session_token", &json!({"DurationSeconds": 6}))["Credentials"].clone();
    let minted_by = std::time::Instant::now();
    let put = presign_with(&gate, &creds, "put_object", "short-lived");
    assert_eq!(http().put(&put).body("x").send().await.unwrap().status(), 200);
    let get = presign_with(&gate, &creds, "get_object", "short-lived");
    assert_eq!(s3_error(&get).await.0, 200);
    // The token was minted before `minted_by` and expires 6 whole seconds after the second
    // it was minted in: 7 s after `minted_by` it is over, whatever the machine's load.
    tokio::time::sleep_until((minted_by + std::time::Duration::from_millis(7200)).into()).await;
    // X-Amz-Expires (3600) still has almost an hour to run; the token does not.
    let r = http().get(&get).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Code>ExpiredToken</Code>") && body.contains("The provided token has expired."), "{body}");
    assert!(!body.contains(creds["SessionToken"].as_str().unwrap()));
}

#[tokio::test]
async fn two_gates_sharing_a_key_file_accept_each_others_sessions() {
    let shared = tempfile::tempdir().unwrap();
    let key_file = shared.path().join("shared.key");
    let key_file = key_file.to_str().unwrap();
    let a = gate_with_sts(key_file);
    let b = gate_with_sts(key_file);
    let creds = sts(&a, "get_session_token", &json!({"DurationSeconds": 900}))["Credentials"].clone();
    // Gate B has never seen this session; it opens the token with the shared key.
    assert_eq!(s3_error(&presign_with(&b, &creds, "get_object", "k")).await, (404, "NoSuchKey".into()));
    let me = sts_as(&b, &creds, "get_caller_identity", &json!({}));
    assert_eq!(me["Arn"], format!("arn:aws:iam::{ACCOUNT}:user/tester"));
    // A gate with another key file refuses it.
    let c = gate_with_sts("other.key");
    assert_eq!(s3_error(&presign_with(&c, &creds, "get_object", "k")).await, (400, "InvalidToken".into()));
}

#[tokio::test]
async fn over_long_durations_are_refused_for_each_kind() {
    let gate = gate_with_sts("sts.key");
    let e = sts(&gate, "get_session_token", &json!({"DurationSeconds": 129_601}));
    assert_eq!(error_code(&e), "ValidationError", "{e}");
    assert_eq!(e["Status"], 400);
    assert!(e["Error"]["Message"].as_str().unwrap().contains("less than or equal to 129600"));
    let ok = sts(&gate, "get_session_token", &json!({"DurationSeconds": 129_600}));
    assert!(ok["Credentials"]["AccessKeyId"].is_string(), "{ok}");
    let e = sts(&gate, "assume_role", &json!({"RoleArn": ROLE, "RoleSessionName": "long", "DurationSeconds": 3601}));
    assert_eq!(error_code(&e), "ValidationError", "{e}");
    assert!(e["Error"]["Message"].as_str().unwrap().contains("MaxSessionDuration"));

    let config = gate.dir.path().join("gate.toml");
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
            .arg("credentials")
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let instance = format!("arn:aws:iam::{ACCOUNT}:role/instance");
    let out = cli(&["--role", &instance, "--instance-profile", "--duration", "21601"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("21600"));
    let out = cli(&["--user", &format!("arn:aws:iam::{ACCOUNT}:user/tester"), "--duration", "129601"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli(&["--role", ROLE, "--duration", "3601"]);
    assert_eq!(out.status.code(), Some(2));
    // Within limits: credential_process JSON that works for a presigned URL.
    let out = cli(&["--role", &instance, "--instance-profile", "--duration", "21600"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let creds: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(creds["Version"], 1);
    assert!(creds["Expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(s3_error(&presign_with(&gate, &creds, "get_object", "k")).await, (404, "NoSuchKey".into()));
}

#[tokio::test]
async fn session_keys_need_their_own_token() {
    let gate = gate_with_sts("sts.key");
    let one = sts(&gate, "get_session_token", &json!({"DurationSeconds": 900}))["Credentials"].clone();
    let two = sts(&gate, "get_session_token", &json!({"DurationSeconds": 900}))["Credentials"].clone();
    let without =
        json!({"AccessKeyId": one["AccessKeyId"], "SecretAccessKey": one["SecretAccessKey"], "SessionToken": null});
    assert_eq!(s3_error(&presign_with(&gate, &without, "get_object", "k")).await, (403, "InvalidAccessKeyId".into()));
    let swapped = json!({"AccessKeyId": one["AccessKeyId"], "SecretAccessKey": one["SecretAccessKey"], "SessionToken": two["SessionToken"]});
    assert_eq!(s3_error(&presign_with(&gate, &swapped, "get_object", "k")).await, (400, "InvalidToken".into()));
    let garbage = json!({"AccessKeyId": one["AccessKeyId"], "SecretAccessKey": one["SecretAccessKey"], "SessionToken": "OG1.k1.AAAA"});
    assert_eq!(s3_error(&presign_with(&gate, &garbage, "get_object", "k")).await, (400, "InvalidToken".into()));
    // The right token but a wrong secret: the signature does not match.
    let wrong_secret = json!({"AccessKeyId": one["AccessKeyId"], "SecretAccessKey": "not-the-secret", "SessionToken": one["SessionToken"]});
    assert_eq!(
        s3_error(&presign_with(&gate, &wrong_secret, "get_object", "k")).await,
        (403, "SignatureDoesNotMatch".into())
    );
    // No secret, signature or token in the log.
    let log = gate.log();
    for secret in [&one["SecretAccessKey"], &one["SessionToken"], &two["SessionToken"]] {
        assert!(!log.contains(secret.as_str().unwrap()), "{secret} in the log");
    }
}

#[tokio::test]
async fn policies_see_token_issue_time_and_principal_type() {
    // Temporary credentials only, and of those only role sessions may read.
    let bucket_policy = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"NoLongTermKeys","Effect":"Deny","Principal":"*","Action":"s3-outposts:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}},
        {"Sid":"RolesOnly","Effect":"Deny","Principal":"*","Action":"s3-outposts:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalType":"AssumedRole"}}}]}"#;
    let gate = Gate::start_with(Setup {
        extra_toml: sts_toml("sts.key"),
        files: vec![("reader.json".into(), READER_POLICY.into())],
        bucket_policy: Some(bucket_policy.into()),
        ..Setup::default()
    });
    // The permanent key: no token issue time.
    let url = gate.presign("GET", "k", 60, outpost_gate::time::UnixTime::now());
    assert_eq!(s3_error(&url).await, (403, "AccessDenied".into()));
    // A user session: a token, but not a role.
    let session = sts(&gate, "get_session_token", &json!({"DurationSeconds": 900}))["Credentials"].clone();
    assert_eq!(s3_error(&presign_with(&gate, &session, "get_object", "k")).await, (403, "AccessDenied".into()));
    // A role session passes both.
    let role = sts(&gate, "assume_role", &json!({"RoleArn": ROLE, "RoleSessionName": "ok", "DurationSeconds": 900}))["Credentials"].clone();
    assert_eq!(s3_error(&presign_with(&gate, &role, "get_object", "k")).await, (404, "NoSuchKey".into()));
    let log = gate.log();
    assert!(log.contains("aws:TokenIssueTime (absent) Null true"), "{log}");
    assert!(log.contains("aws:PrincipalType User StringNotEquals AssumedRole"), "{log}");
}

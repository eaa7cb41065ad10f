//! TLS toward clients, with a CA and certificates made at test time (rcgen): boto3
//! presigned https URLs verified against that CA, HTTP/2 negotiated by ALPN (reqwest and
//! curl), `aws:SecureTransport`, ECDSA and Ed25519 keys, and bad certificate files named
//! by check-config.

mod support;

use std::process::Command;

use rcgen::KeyPair;
use serde_json::json;
use support::{BUCKET, Gate, Setup, boto3_presign, https_client, make_certs};

fn tls_gate(ed25519: bool, bucket_policy: Option<String>) -> (Gate, String, tempfile::TempDir) {
    let certs = tempfile::tempdir().unwrap();
    let ca = make_certs(certs.path(), ed25519);
    let gate =
        Gate::start_with(Setup { server_toml: support::tls_toml(certs.path()), bucket_policy, ..Setup::default() });
    (gate, ca, certs)
}

/// boto3's URL for the gate, addressed as `localhost` (the certificate's name).
fn presign(gate: &Gate, method: &str, key: &str) -> String {
    let endpoint = format!("https://localhost:{}", gate.addr.rsplit(':').next().unwrap());
    boto3_presign(&json!({"endpoint": endpoint, "method": method, "bucket": BUCKET, "key": key}))
}

#[tokio::test]
async fn boto3_https_urls_over_http1_and_http2() {
    let (gate, ca, certs) = tls_gate(false, None);
    assert_eq!(gate.scheme, "https");
    let put = presign(&gate, "put_object", "over tls");
    assert!(put.starts_with("https://localhost:"), "{put}");
    let http1 = https_client(&ca);
    let r = http1.put(&put).body("sealed in transit").version(reqwest::Version::HTTP_11).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // ALPN picks h2 when the client offers it.
    let get = presign(&gate, "get_object", "over tls");
    let r = https_client(&ca).get(&get).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.text().await.unwrap(), "sealed in transit");

    // curl, verifying against the same CA, over HTTP/2.
    let out = Command::new("curl")
        .args(["-sS", "--http2", "--cacert"])
        .arg(certs.path().join("ca.pem"))
        .args(["-w", "\n%{http_version}", &get])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("sealed in transit"), "{text}");
    assert!(text.ends_with("\n2"), "{text}");

    // A client that does not trust the CA gets no further than the handshake.
    assert!(reqwest::Client::builder().no_proxy().build().unwrap().get(&get).send().await.is_err());
}

#[tokio::test]
async fn secure_transport_is_true_on_tls_only() {
    let deny_plain = r#"{"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3-outposts:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    let (gate, ca, _certs) = tls_gate(true, Some(deny_plain.into()));
    // Ed25519 certificate; allowed over TLS (404: no such key, the request got through).
    let r = https_client(&ca).get(presign(&gate, "get_object", "k")).send().await.unwrap();
    assert_eq!(r.status(), 404);

    let plain = Gate::start_with(Setup { bucket_policy: Some(deny_plain.into()), ..Setup::default() });
    let url = boto3_presign(&json!({"endpoint": plain.url(""), "method": "get_object", "bucket": BUCKET, "key": "k"}));
    let r = support::http().get(url).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(plain.log().contains("aws:SecureTransport false Bool false"));
}

#[test]
fn presign_defaults_to_https_and_bad_certificates_are_named() {
    let (gate, _ca, certs) = tls_gate(false, None);
    let config = gate.dir.path().join("gate.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .args(["presign", "--config"])
        .arg(&config)
        .args(["--access-key-id", support::AK, "--method", "GET", "--bucket", BUCKET, "--key", "k"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("https://"));

    // A key that is not the certificate's.
    let other = KeyPair::generate().unwrap();
    std::fs::write(certs.path().join("gate.key"), other.serialize_pem()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.tls_cert") && err.contains("gate.key"), "{err}");
    std::fs::write(certs.path().join("gate.crt"), "not pem").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no certificate"));
}

//! Faults outside the client's control: a store that answers garbage, the embedded store's
//! disk filling during an upload, and the STS key file vanishing or turning unreadable
//! before a reload. Each time the client gets S3's error for the store's (or the
//! operator's) fault, nothing half-written is served, and the gate keeps serving.
//! (A store that dies after its headers or mid-body is in `streaming.rs`.)

mod support;

use std::process::Command;

use outpost_gate::time::UnixTime;
use serde_json::json;
use support::*;

#[tokio::test]
async fn a_store_answering_garbage_is_a_503_and_the_gate_serves_on() {
    for answer in [
        &b"SSH-2.0-OpenSSH_9.2\r\n"[..],
        b"\x00\x01\x02\x03\xff\xfe\xfd\r\n\r\n",
        b"HTTP/1.1 2OO OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: twelve\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    ] {
        let port = scripted_store(answer.to_vec());
        let gate = Gate::start_with(Setup {
            store_toml: Some(format!(
                "[store]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\naccess_key_id = \"STOREKEY\"\nsecret_access_key = \"STORE-SECRET-never-leaves\"\n"
            )),
            ..Setup::default()
        });
        let what = String::from_utf8_lossy(answer);
        let r = http().get(gate.presign("GET", "k", 60, UnixTime::now())).send().await;
        match r {
            // Refused before a byte of body: S3's error for a store that failed.
            Ok(r) if r.status() != 200 => {
                assert_eq!(r.status(), 503, "{what}");
                let body = r.text().await.unwrap();
                assert_eq!(xml_code(&body), "ServiceUnavailable", "{what}: {body}");
                assert!(!body.contains("STORE") && !body.contains("OpenSSH"), "{body}");
                assert!(gate.log().contains("the store failed the request"), "{what}: {}", gate.log());
            }
            // A body that turns bad after a good head (a chunk size that is not hex) can
            // only end in an aborted transfer, never a clean short body.
            Ok(r) => assert!(r.bytes().await.is_err(), "{what}: a broken body must not end cleanly"),
            // The same, when the body broke before its first byte left the gate: the
            // connection closes with the head unsent. Only a good head may end this way.
            Err(e) => assert!(what.contains("chunked"), "{what}: the gate dropped the connection unanswered: {e}"),
        }
        assert_eq!(http().get(gate.url("/_gate/healthz")).send().await.unwrap().status(), 200);
        let log = gate.log();
        assert!(!log.contains("panicked") && !log.contains("STORE-SECRET"), "{log}");
    }
}

/// A tmpfs of `size` mounted at `dir` for the test's length (root and a kernel that allows
/// it, as on the CI machines); `None` when this machine cannot mount.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_during_an_upload_is_a_5xx_stores_nothing_and_the_gate_serves_on() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");
    let Some(_disk) = Tmpfs::mount(&data, "4m") else {
        eprintln!("SKIPPED: this machine cannot mount a tmpfs (needs root); the full-disk fault was not tried");
        return;
    };
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!("[store]\nkind = \"embedded\"\ndata_dir = \"{}\"\n", data.display())),
        ..Setup::default()
    });
    let small = gate.presign("PUT", "before", 60, UnixTime::now());
    assert_eq!(http().put(&small).body("fits").send().await.unwrap().status(), 200);

    // 8 MiB into 4: the store's own fault, said as S3 says an internal failure.
    let big = vec![b'x'; 8 << 20];
    let r = http().put(gate.presign("PUT", "too-big", 60, UnixTime::now())).body(big).send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert!((500..600).contains(&status), "{status}: {body}");
    assert!(matches!(xml_code(&body), "InternalError" | "ServiceUnavailable"), "{body}");

    // Nothing half-written is served, what was there is intact, and once space is free
    // again uploads work.
    let r = http().get(gate.presign("GET", "too-big", 60, UnixTime::now())).send().await.unwrap();
    let (got, len) = (r.status(), r.bytes().await.map(|b| b.len()));
    assert_eq!(got, 404, "a partial object must not exist ({len:?} bytes); the PUT got {status}: {body}");
    let r = http().get(gate.presign("GET", "before", 60, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "fits");
    let r = http().put(gate.presign("PUT", "after", 60, UnixTime::now())).body("fits too").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http().get(gate.presign("GET", "after", 60, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "fits too");
    assert!(!gate.log().contains("panicked"));
}

#[tokio::test]
async fn a_token_key_file_gone_or_unreadable_at_reload_keeps_every_session() {
    let gate = Gate::start_with(Setup {
        extra_toml: "[sts]\nenabled = true\ntoken_key_file = \"sts.key\"\n".into(),
        ..Setup::default()
    });
    let session =
        boto3_sts(&json!({"endpoint": gate.url(""), "call": "get_session_token", "params": {"DurationSeconds": 900}}));
    let creds = &session["Credentials"];
    let put = |key: &str| {
        boto3_presign(&json!({
            "endpoint": gate.url(""), "method": "put_object", "bucket": BUCKET, "key": key,
            "access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"], "session_token": creds["SessionToken"],
        }))
    };
    assert_eq!(http().put(put("one")).body("1").send().await.unwrap().status(), 200);

    let key_file = gate.dir.path().join("sts.key");
    let saved = std::fs::read(&key_file).unwrap();
    // Gone: a reload must not make a fresh key (that would end every live session).
    std::fs::remove_file(&key_file).unwrap();
    assert!(!gate.sighup(1), "a reload without the key file must fail");
    assert!(!key_file.exists(), "the reload made a new key file");
    assert_eq!(http().put(put("two")).body("2").send().await.unwrap().status(), 200);
    // Unreadable (a directory where the file was; root reads through file modes).
    std::fs::create_dir(&key_file).unwrap();
    assert!(!gate.sighup(2), "a reload with an unreadable key file must fail");
    assert_eq!(http().put(put("three")).body("3").send().await.unwrap().status(), 200);
    // New sessions are still minted with the running keys.
    let again = boto3_sts(&json!({"endpoint": gate.url(""), "call": "get_session_token", "params": {}}));
    assert!(again["Credentials"]["SessionToken"].is_string(), "{again}");
    let log = gate.log();
    assert!(log.contains("sts.token_key_file"), "the reload's refusal names the key: {log}");
    // Put back, the file reloads and the sessions live on.
    std::fs::remove_dir(&key_file).unwrap();
    std::fs::write(&key_file, saved).unwrap();
    assert!(gate.sighup(3));
    assert_eq!(http().put(put("four")).body("4").send().await.unwrap().status(), 200);
}
